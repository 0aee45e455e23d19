/* SPDX-License-Identifier: MIT */
/*
 * StChartView: a time-series chart drawn with GtkSnapshot and cairo. It shows lines or
 * stacked areas of one or more series over a time range, with time-axis ticks, a y scale,
 * an optional threshold line with its breaching stretches shaded, a legend, the value under
 * the cursor on hover, and drag-to-zoom (emitting "zoom-requested" with the chosen range; the
 * owner decides). Layout (time_axis.c, value_scale.c, plot_map.c) is computed when the size or
 * the data change, never in snapshot(). The chart copies the data it is given.
 */
#ifndef STRATUS_VIEWER_CHART_VIEW_H
#define STRATUS_VIEWER_CHART_VIEW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ST_TYPE_CHART_VIEW (st_chart_view_get_type())
G_DECLARE_FINAL_TYPE(StChartView, st_chart_view, ST, CHART_VIEW, GtkWidget)

GtkWidget *st_chart_view_new(void);
/* Removes every series. */
void st_chart_view_clear(StChartView *self);
/* Adds a series of n points (timestamps ascending); color NULL picks the next palette colour. */
void st_chart_view_add_series(StChartView *self, const char *label, const gint64 *ts_ms,
                              const double *values, gsize n, const char *color);
/* The same, placed before every series of a higher order (replies that arrive out of order
 * still stack and list in the order of their queries). */
void st_chart_view_add_series_at(StChartView *self, guint order, const char *label,
                                 const gint64 *ts_ms, const double *values, gsize n,
                                 const char *color);
/* The visible time range, wall-clock ms. */
void st_chart_view_set_range(StChartView *self, gint64 t0_ms, gint64 t1_ms);
void st_chart_view_get_range(StChartView *self, gint64 *ret_t0_ms, gint64 *ret_t1_ms);
void st_chart_view_set_stacked(StChartView *self, gboolean stacked);
gboolean st_chart_view_get_stacked(StChartView *self);
/* Fixed y bounds from a dashboard's yAxis.left; FALSE leaves a bound to the data. */
void st_chart_view_set_y_bounds(StChartView *self, gboolean has_min, double min, gboolean has_max,
                                double max);
/* A horizontal threshold (alarms); the first series' breaching periods are marked. */
void st_chart_view_set_threshold(StChartView *self, gboolean has_threshold, double threshold);
/* How the threshold is breached: cmp is an enum st_alarm_cmp (alarm_breach.h; default
 * GreaterThanThreshold), period_s the alarm's period (0: the data's spacing). */
void st_chart_view_set_threshold_rule(StChartView *self, int cmp, int period_s);
/* Text drawn in the middle while there is no data ("Loading…", an error). NULL: default. */
void st_chart_view_set_message(StChartView *self, const char *message);
/* The number of series. */
guint st_chart_view_get_n_series(StChartView *self);
/* Recomputes the layout and redraws the series layer on the next frame, as new data does
 * (the frame benchmark's worst case). */
void st_chart_view_relayout(StChartView *self);
/* The number of datapoints over every series. */
guint st_chart_view_get_n_points(StChartView *self);
/* The i-th colour of the palette (CloudWatch's), "#rrggbb", static storage. */
const char *st_chart_view_palette(guint i);

G_END_DECLS

#endif
