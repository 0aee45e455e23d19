/* SPDX-License-Identifier: MIT */
/*
 * StDashboardWidget: one widget of a dashboard, drawn as a card: a metric chart (lines or
 * stacked areas, StChartView), a single value, a text block, or an alarm list. It copies what
 * it needs from the dashboard model, fetches its series for the dashboard's time range, and in
 * edit mode shows move/resize/remove buttons whose clicks come out as the "edit" signal with
 * the action's name ("left", "right", "up", "down", "narrower", "wider", "shorter", "taller",
 * "remove"); the dashboard page applies them.
 */
#ifndef STRATUS_VIEWER_DASHBOARD_WIDGET_H
#define STRATUS_VIEWER_DASHBOARD_WIDGET_H

#include <gtk/gtk.h>

#include "api_client.h"
#include "stratus/dashboard.h"

G_BEGIN_DECLS

#define ST_TYPE_DASHBOARD_WIDGET (st_dashboard_widget_get_type())
G_DECLARE_FINAL_TYPE(StDashboardWidget, st_dashboard_widget, ST, DASHBOARD_WIDGET, GtkWidget)

/* model is read during the call only; index is the widget's position in the body. */
GtkWidget *st_dashboard_widget_new(StApiClient *client, const struct st_dash_widget *model,
                                   guint index);
guint st_dashboard_widget_get_index(StDashboardWidget *self);
/* Sets the time range and fetches the series again. */
void st_dashboard_widget_load(StDashboardWidget *self, gint64 t0_ms, gint64 t1_ms);
void st_dashboard_widget_set_editing(StDashboardWidget *self, gboolean editing);

G_END_DECLS

#endif
