/* SPDX-License-Identifier: MIT */
/*
 * The y scale of a chart, GUI-free so that it is unit-tested: rounds a data range out to
 * "nice" bounds with a 1/2/5 x 10^k step, so that the axis reads 0, 20, 40 ... instead of
 * 3.7, 21.9 ...; and formats axis values compactly (1.5k, 2M, 0.25). Fixed bounds from the
 * dashboard's yAxis (min/max) take precedence over the data.
 */
#ifndef STRATUS_VIEWER_VALUE_SCALE_H
#define STRATUS_VIEWER_VALUE_SCALE_H

#include <stdbool.h>
#include <stddef.h>

struct st_value_scale {
    double lo, hi; /* the axis bounds */
    double step;   /* between ticks */
    int n_ticks;   /* lo, lo + step, ..., hi */
};

/*
 * Computes the scale for data in [data_min, data_max] (NaN: no data), with at most max_ticks
 * ticks (>= 2). has_min/has_max fix a bound. Charts of non-negative data start at 0. Always
 * yields lo < hi and a finite step.
 */
void st_value_scale_compute(double data_min, double data_max, bool has_min, double fixed_min,
                            bool has_max, double fixed_max, int max_ticks,
                            struct st_value_scale *ret);

/* Formats v for an axis whose ticks are step apart into buf (at least 16 bytes). */
void st_value_scale_format(double v, double step, char *buf, size_t len);

#endif
