/* SPDX-License-Identifier: MIT */
/*
 * StDashboardsPage: the dashboards stored in the collector (ListDashboards, GetDashboard),
 * one at a time as a 24-column grid of StDashboardWidget cards laid out from the CloudWatch
 * body; time range presets (1h, 3h, 12h, 1d, 1w, custom), drag-to-zoom on any chart,
 * auto-refresh, and editing (add, remove, move, resize widgets), each edit saved at once with
 * PutDashboard.
 */
#ifndef STRATUS_VIEWER_DASHBOARDS_PAGE_H
#define STRATUS_VIEWER_DASHBOARDS_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_DASHBOARDS_PAGE (st_dashboards_page_get_type())
G_DECLARE_FINAL_TYPE(StDashboardsPage, st_dashboards_page, ST, DASHBOARDS_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_dashboards_page_set_client(StDashboardsPage *self, StApiClient *client);
/* Lists the dashboards again and reloads the open one. */
void st_dashboards_page_reload(StDashboardsPage *self);
/* Opens the dashboard name once it is listed. */
void st_dashboards_page_open(StDashboardsPage *self, const char *name);
/* Turns edit mode on or off. */
void st_dashboards_page_set_editing(StDashboardsPage *self, gboolean editing);

G_END_DECLS

#endif
