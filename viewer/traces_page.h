/* SPDX-License-Identifier: MIT */
/*
 * StTracesPage: the trace search and a trace's timeline. GetTraceSummaries over the chosen
 * time range, filtered by the X-Ray filter expression the user types (the collector's error,
 * such as a syntax error and its position, is shown under the entry); selecting a trace loads
 * it with BatchGetTraces into the waterfall (StTraceTimeline), and the selected segment's
 * details (times, http, error/fault/cause, annotations) fill the pane on the right.
 */
#ifndef STRATUS_VIEWER_TRACES_PAGE_H
#define STRATUS_VIEWER_TRACES_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_TRACES_PAGE (st_traces_page_get_type())
G_DECLARE_FINAL_TYPE(StTracesPage, st_traces_page, ST, TRACES_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_traces_page_set_client(StTracesPage *self, StApiClient *client);
void st_traces_page_reload(StTracesPage *self);
/* Sets the filter expression and runs it. */
void st_traces_page_search(StTracesPage *self, const char *filter_expression);
/* Loads the trace id into the timeline (whether or not the list shows it). */
void st_traces_page_open_trace(StTracesPage *self, const char *trace_id);

G_END_DECLS

#endif
