/* SPDX-License-Identifier: MIT */
/*
 * StWindow: the main window. A header bar with the connection state, a banner that appears
 * while the collector cannot be reached (retrying every few seconds, never blocking), and a
 * sidebar that switches between the pages: Dashboards, Metrics, Alarms, Service map, Traces.
 * The window holds a reference on the API client and lends it to each page.
 */
#ifndef STRATUS_VIEWER_WINDOW_H
#define STRATUS_VIEWER_WINDOW_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_WINDOW (st_window_get_type())
G_DECLARE_FINAL_TYPE(StWindow, st_window, ST, WINDOW, AdwApplicationWindow)

StWindow *st_window_new(AdwApplication *app, StApiClient *client);
/* Shows the page named name ("dashboards", "metrics", "alarms", "service-map", "traces"). */
void st_window_show_page(StWindow *self, const char *name);
/* Opens the dashboard named name on the Dashboards page. */
void st_window_open_dashboard(StWindow *self, const char *name);
/* Shows the Alarms page with the alarm name selected once it is listed. */
void st_window_open_alarm(StWindow *self, const char *name);
/* Charts the metrics of namespace ns on the Metrics page. */
void st_window_chart_namespace(StWindow *self, const char *ns);
/* Turns the dashboard's edit mode on or off. */
void st_window_set_editing(StWindow *self, gboolean editing);
/* Shows the Traces page with the trace trace_id in its timeline. */
void st_window_open_trace(StWindow *self, const char *trace_id);
/* Shows the Service map with the service named name selected once the map has loaded. */
void st_window_select_service(StWindow *self, const char *name);
/* Shows the Traces page searching with the X-Ray filter expression expr. */
void st_window_search_traces(StWindow *self, const char *expr);
/* Renders the window's content to a PNG file; returns FALSE with error set on failure. */
gboolean st_window_save_png(StWindow *self, const char *path, GError **error);

G_END_DECLS

#endif
