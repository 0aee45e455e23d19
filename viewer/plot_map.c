/* SPDX-License-Identifier: MIT */
/*
 * Chart mapping (plot_map.h). Time maps linearly onto x, value onto y with y growing
 * downwards as in GTK. Stacking merges each series with the running sum of the ones below by
 * timestamp, so series with gaps stack correctly.
 */
#include <math.h>

#include "plot_map.h"

double st_plot_x(const struct st_plot_map *m, int64_t t_ms)
{
    double span = (double)(m->t1_ms - m->t0_ms);
    if (span <= 0) {
        return m->x;
    }
    return m->x + (double)(t_ms - m->t0_ms) / span * m->width;
}

double st_plot_y(const struct st_plot_map *m, double v)
{
    double span = m->v1 - m->v0;
    if (!(span > 0)) {
        return m->y + m->height;
    }
    return m->y + m->height - (v - m->v0) / span * m->height;
}

int64_t st_plot_t_at(const struct st_plot_map *m, double x)
{
    if (m->width <= 0) {
        return m->t0_ms;
    }
    return m->t0_ms + (int64_t)llround((x - m->x) / m->width * (double)(m->t1_ms - m->t0_ms));
}

double st_plot_v_at(const struct st_plot_map *m, double y)
{
    if (m->height <= 0) {
        return m->v0;
    }
    return m->v0 + (m->y + m->height - y) / m->height * (m->v1 - m->v0);
}

long st_plot_nearest(const int64_t *ts, size_t n, int64_t t_ms)
{
    if (n == 0) {
        return -1;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < t_ms) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == n) {
        return (long)n - 1;
    }
    if (lo > 0 && t_ms - ts[lo - 1] <= ts[lo] - t_ms) {
        return (long)lo - 1;
    }
    return (long)lo;
}

void st_plot_stack(const struct st_plot_series *series, size_t n_series, double **tops)
{
    for (size_t s = 0; s < n_series; s++) {
        const struct st_plot_series *cur = &series[s];
        for (size_t i = 0; i < cur->n; i++) {
            tops[s][i] = cur->vs[i];
        }
        /* Add each lower series' value at the same timestamps (both lists are sorted). */
        for (size_t b = 0; b < s; b++) {
            const struct st_plot_series *low = &series[b];
            size_t j = 0;
            for (size_t i = 0; i < cur->n; i++) {
                while (j < low->n && low->ts[j] < cur->ts[i]) {
                    j++;
                }
                if (j < low->n && low->ts[j] == cur->ts[i]) {
                    tops[s][i] += low->vs[j];
                }
            }
        }
    }
}
