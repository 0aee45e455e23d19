/* SPDX-License-Identifier: MIT */
/*
 * Data-to-pixel mapping of a chart, GUI-free so that it is unit-tested: the plot rectangle
 * and the visible time and value ranges, the two directions of the mapping (for drawing and
 * for hover and drag-to-zoom), the nearest datapoint to a time, and stacking (each series'
 * top = its value plus the values of the series below it at the same timestamp).
 */
#ifndef STRATUS_VIEWER_PLOT_MAP_H
#define STRATUS_VIEWER_PLOT_MAP_H

#include <stddef.h>
#include <stdint.h>

struct st_plot_map {
    double x, y, width, height; /* the plot area in widget pixels */
    int64_t t0_ms, t1_ms;       /* left and right edges */
    double v0, v1;              /* bottom and top edges */
};

double st_plot_x(const struct st_plot_map *m, int64_t t_ms);
double st_plot_y(const struct st_plot_map *m, double v);
/* The inverse mappings; x and y outside the plot give times and values outside the range. */
int64_t st_plot_t_at(const struct st_plot_map *m, double x);
double st_plot_v_at(const struct st_plot_map *m, double y);

/* The index of the point of ts[0..n) (sorted) nearest to t_ms, or -1 when n is 0. */
long st_plot_nearest(const int64_t *ts, size_t n, int64_t t_ms);

/* One series for stacking: n points at ts (sorted), values vs. */
struct st_plot_series {
    const int64_t *ts;
    const double *vs;
    size_t n;
};

/*
 * Stacks series[0..n_series) in order: tops[s][i] = series[s].vs[i] + the sum of the values
 * of series[0..s) at timestamp series[s].ts[i] (0 where they have none). tops[s] must have
 * room for series[s].n values.
 */
void st_plot_stack(const struct st_plot_series *series, size_t n_series, double **tops);

#endif
