/* SPDX-License-Identifier: MIT */
/*
 * StServiceMapPage: the X-Ray service map. GetServiceGraph over the chosen time range drawn by
 * StServiceMapView; selecting a node or an edge shows its summary statistics, its response
 * time histogram and the traces through it (GetTraceSummaries with service("name") or
 * edge("a", "b")). Activating one of those traces emits "trace-activated" with its id.
 */
#ifndef STRATUS_VIEWER_SERVICE_MAP_PAGE_H
#define STRATUS_VIEWER_SERVICE_MAP_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_SERVICE_MAP_PAGE (st_service_map_page_get_type())
G_DECLARE_FINAL_TYPE(StServiceMapPage, st_service_map_page, ST, SERVICE_MAP_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_service_map_page_set_client(StServiceMapPage *self, StApiClient *client);
void st_service_map_page_reload(StServiceMapPage *self);
/* Selects the service named name once the map has loaded (and whenever it reloads). */
void st_service_map_page_select_service(StServiceMapPage *self, const char *name);

G_END_DECLS

#endif
