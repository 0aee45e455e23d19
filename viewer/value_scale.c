/* SPDX-License-Identifier: MIT */
/*
 * Nice y scales (value_scale.h): the classic 1/2/5 ladder applied to range / (max_ticks - 1),
 * bounds rounded outwards to multiples of the step. Labels carry as many decimals as the step
 * needs and an SI suffix from thousands up.
 */
#include <math.h>
#include <stdio.h>

#include "value_scale.h"

static double nice_step(double raw)
{
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double n = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return n * mag;
}

void st_value_scale_compute(double data_min, double data_max, bool has_min, double fixed_min,
                            bool has_max, double fixed_max, int max_ticks,
                            struct st_value_scale *ret)
{
    if (max_ticks < 2) {
        max_ticks = 2;
    }
    double lo = data_min, hi = data_max;
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (lo >= 0.0) {
        lo = 0.0; /* counts, bytes, percent: the zero line matters */
    }
    if (has_min && isfinite(fixed_min)) {
        lo = fixed_min;
    }
    if (has_max && isfinite(fixed_max)) {
        hi = fixed_max;
    }
    if (hi <= lo) {
        hi = lo + (fabs(lo) > 0 ? fabs(lo) : 1.0);
    }
    double step = nice_step((hi - lo) / (max_ticks - 1));
    double nlo = has_min ? lo : floor(lo / step) * step;
    double nhi = has_max ? hi : ceil(hi / step) * step;
    /* Rounding out can need one more step than allowed: widen the step. */
    while ((nhi - nlo) / step + 1 > max_ticks + 0.5) {
        step = nice_step(step * 1.5);
        nlo = has_min ? lo : floor(lo / step) * step;
        nhi = has_max ? hi : ceil(hi / step) * step;
    }
    if (nhi <= nlo) {
        nhi = nlo + step;
    }
    ret->lo = nlo;
    ret->hi = nhi;
    ret->step = step;
    ret->n_ticks = (int)floor((nhi - nlo) / step + 1e-9) + 1;
}

void st_value_scale_format(double v, double step, char *buf, size_t len)
{
    static const struct {
        double div;
        const char *suffix;
    } si[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    if (fabs(v) < step * 1e-9) {
        v = 0.0; /* -0 and rounding noise */
    }
    for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++) {
        if (fabs(v) >= si[i].div || (v == 0.0 && step >= si[i].div)) {
            double s = step / si[i].div;
            int decimals = s >= 1 ? 0 : (int)ceil(-log10(s) - 1e-9);
            if (decimals > 3) {
                decimals = 3;
            }
            snprintf(buf, len, "%.*f%s", decimals, v / si[i].div, v == 0.0 ? "" : si[i].suffix);
            return;
        }
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 6) {
        decimals = 6;
    }
    snprintf(buf, len, "%.*f", decimals, v);
}
