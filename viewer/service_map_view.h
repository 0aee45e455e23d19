/* SPDX-License-Identifier: MIT */
/*
 * StServiceMapView: the service graph drawn as the X-Ray console draws it. Each service is a
 * circle whose ring is split in the shares of ok, error, throttle and fault requests (green,
 * amber, purple, red), with its average latency and request count inside and its name and type
 * below; the client node of entry requests is a blue ring, inferred remote services a dashed
 * one. Edges are graphviz splines with an arrow and a label: request count and average latency.
 * A click selects a node or an edge ("selection-changed"). The view owns the graph it shows.
 */
#ifndef STRATUS_VIEWER_SERVICE_MAP_VIEW_H
#define STRATUS_VIEWER_SERVICE_MAP_VIEW_H

#include <gtk/gtk.h>

#include "traces.pb-c.h"

G_BEGIN_DECLS

#define ST_TYPE_SERVICE_MAP_VIEW (st_service_map_view_get_type())
G_DECLARE_FINAL_TYPE(StServiceMapView, st_service_map_view, ST, SERVICE_MAP_VIEW, GtkWidget)

/*
 * Shows graph (the view takes ownership; NULL clears it) and lays it out. Keeps the selection
 * when the selected node or edge is still there. Returns 0, or -ENOMEM when the layout failed
 * (the view is then empty).
 */
int st_service_map_view_set_graph(StServiceMapView *self, Stratus__GetServiceGraphResponse *graph);
guint st_service_map_view_get_n_services(StServiceMapView *self);

/*
 * The selection, borrowed from the graph until the next set_graph: a service (*ret_edge NULL),
 * an edge of *ret_service to *ret_target, or nothing (FALSE).
 */
gboolean st_service_map_view_get_selected(StServiceMapView *self,
                                          const Stratus__Service **ret_service,
                                          const Stratus__Edge **ret_edge,
                                          const Stratus__Service **ret_target);
/* Selects the first service named name (not the client node); FALSE when there is none. */
gboolean st_service_map_view_select_service(StServiceMapView *self, const char *name);

/* The average latency of total_s over count requests as text ("12.3 ms", "1.2 s"). */
char *st_service_map_latency_text(double total_s, gint64 count);

G_END_DECLS

#endif
