/* SPDX-License-Identifier: MIT */
/*
 * StProbePage: the page of a view whose collector API may be missing (alarms, service map,
 * traces). It asks the collector whether it serves the page's operation (a call with an
 * empty request) and says so plainly: "not available from this collector" when the operation
 * is unknown there, a waiting state while the collector cannot be reached.
 */
#ifndef STRATUS_VIEWER_PROBE_PAGE_H
#define STRATUS_VIEWER_PROBE_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_PROBE_PAGE (st_probe_page_get_type())
G_DECLARE_FINAL_TYPE(StProbePage, st_probe_page, ST, PROBE_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_probe_page_set_client(StProbePage *self, StApiClient *client);
void st_probe_page_reload(StProbePage *self);

G_END_DECLS

#endif
