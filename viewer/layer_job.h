/* SPDX-License-Identifier: MIT */
/*
 * Off-thread drawing of a chart's series layer. When its data or layout changes, a chart
 * submits a job that draws the layer into a cairo image surface; a small pool of worker
 * threads (one fewer than the processors, at least one, process-wide, started on first use)
 * runs the jobs, so that when twelve charts get new data at once their layers are drawn on
 * every core, and a layer submitted when a reply arrives is often ready by the next frame.
 * The thread that needs a job's result (the main thread, in snapshot()) runs it itself if no
 * worker has started it, and while it waits it runs other pending jobs. Only cairo image
 * surfaces are touched off the main thread, never GTK.
 */
#ifndef STRATUS_VIEWER_LAYER_JOB_H
#define STRATUS_VIEWER_LAYER_JOB_H

#include <cairo.h>
#include <glib.h>

/*
 * Draws a layer into cr (device scale and origin already set). It runs on any thread, once at
 * most, and may read only data, which nothing else changes while the job lives.
 */
typedef void (*st_layer_draw_func)(cairo_t *cr, gpointer data);

struct st_layer_job;

/*
 * Queues a job that draws into a new ARGB32 surface of width x height device pixels with
 * device scale scale, translated by (dx, dy) in user units. The job owns data and calls
 * free_data on it (on whichever thread drops the job last). Returns the job, which the caller
 * owns and passes to st_layer_job_free.
 */
struct st_layer_job *st_layer_job_new(int width, int height, int scale, double dx, double dy,
                                      st_layer_draw_func draw, gpointer data,
                                      GDestroyNotify free_data);

/*
 * Returns the drawn surface (a new reference, the caller's), or NULL if it could not be
 * made. Runs the job in the calling thread if no worker has begun it, else waits for it,
 * running other pending jobs meanwhile; if the worker has not finished within 2 ms (it is not
 * being scheduled), draws it in the calling thread too. The job stays the caller's.
 */
cairo_surface_t *st_layer_job_finish(struct st_layer_job *job);

/* Drops the caller's job: a job not begun is never run; one being drawn finishes unseen.
 * NULL is a no-op. */
void st_layer_job_free(struct st_layer_job *job);

#endif
