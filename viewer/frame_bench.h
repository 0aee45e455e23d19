/* SPDX-License-Identifier: MIT */
/*
 * The viewer's frame-time benchmark (--bench-frames N, used by bench/bench_viewer_frame.sh):
 * renders a window's widget tree N times the way a frame does (every widget's snapshot, then
 * the window's GskRenderer to a texture), timing each, for three cases: a full repaint (every
 * widget invalidated), the same after new data in every chart (each chart's layout redone),
 * and a hover repaint (one chart invalidated, the rest from GTK's render node
 * cache). The whole window is rendered each time, as an unclipped frame is. Prints one line per
 * case and the process's resident memory on out.
 */
#ifndef STRATUS_VIEWER_FRAME_BENCH_H
#define STRATUS_VIEWER_FRAME_BENCH_H

#include <stdio.h>

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Runs the benchmark on the mapped window; returns FALSE with error set when it cannot render. */
gboolean st_frame_bench_run(GtkWindow *window, int frames, FILE *out, GError **error);

G_END_DECLS

#endif
