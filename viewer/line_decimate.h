/* SPDX-License-Identifier: MIT */
/*
 * Per-pixel-column decimation of a chart line, GUI-free so that it is unit-tested. A day of
 * one-minute points on a plot a few hundred pixels wide puts several points in each device
 * pixel column; stroking them all costs the renderer time and changes nothing visible. For
 * each run of consecutive points in one column only the first, the lowest, the highest and
 * the last are kept, in their original order and at their own coordinates, so that the
 * stroked line covers the same pixels: every spike stays, and the segments between columns
 * (a gap of missing datapoints included) are the original ones.
 */
#ifndef STRATUS_VIEWER_LINE_DECIMATE_H
#define STRATUS_VIEWER_LINE_DECIMATE_H

#include <stdbool.h>
#include <stddef.h>

/* A kept point: where to draw it, the index of the input point it is, and whether it starts
 * a new stretch of the line (the first point, and the first after a non-finite coordinate). */
struct st_line_vertex {
    double x, y;
    size_t index;
    bool move;
};

/*
 * Decimates the polyline through (xs[i], ys[i]), i in [0, n), whose xs do not decrease, onto
 * columns [k * column_px, (k + 1) * column_px) for integer k (column_px > 0: one device pixel
 * in the coordinates of xs). A point with a non-finite x or y is not drawn and ends the stretch
 * before it, so the line is broken there instead of joined across. Writes at most n vertices
 * to ret (the caller's, with room for n) and returns how many; the inputs are only read.
 */
size_t st_line_decimate(const double *xs, const double *ys, size_t n, double column_px,
                        struct st_line_vertex *ret);

#endif
