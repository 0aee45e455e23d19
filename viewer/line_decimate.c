/* SPDX-License-Identifier: MIT */
/*
 * Line decimation (line_decimate.h): one pass over the points, closing a column's run when
 * the next point falls in another column or after a break. Column numbers stay doubles
 * (floor of x / column_px) so that points far outside the plot cannot overflow an integer.
 */
#include <math.h>

#include "line_decimate.h"

/* Appends the run [first, last] of one column: first, then its lowest and highest points in
 * the order they came, then last, each once. */
static size_t emit_run(const double *xs, const double *ys, size_t first, size_t last, size_t lo,
                       size_t hi, bool move, struct st_line_vertex *ret)
{
    size_t keep[4] = {first, lo < hi ? lo : hi, lo < hi ? hi : lo, last};
    size_t n = 0;
    for (size_t k = 0; k < 4; k++) {
        if (k > 0 && keep[k] == ret[n - 1].index) {
            continue;
        }
        ret[n] = (struct st_line_vertex){xs[keep[k]], ys[keep[k]], keep[k], move && n == 0};
        n++;
    }
    return n;
}

size_t st_line_decimate(const double *xs, const double *ys, size_t n, double column_px,
                        struct st_line_vertex *ret)
{
    size_t out = 0;
    bool in_run = false, move = true;
    size_t first = 0, lo = 0, hi = 0;
    double column = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i])) {
            if (in_run) {
                out += emit_run(xs, ys, first, i - 1, lo, hi, move, ret + out);
                in_run = false;
            }
            move = true;
            continue;
        }
        double c = floor(xs[i] / column_px);
        if (in_run && c == column) {
            lo = ys[i] < ys[lo] ? i : lo;
            hi = ys[i] > ys[hi] ? i : hi;
            continue;
        }
        if (in_run) {
            out += emit_run(xs, ys, first, i - 1, lo, hi, move, ret + out);
            move = false;
        }
        in_run = true;
        column = c;
        first = lo = hi = i;
    }
    if (in_run) {
        out += emit_run(xs, ys, first, n - 1, lo, hi, move, ret + out);
    }
    return out;
}
