/* SPDX-License-Identifier: MIT */
/*
 * StTraceTimeline: the waterfall of one trace. Each row is a segment or subsegment (built by
 * trace_rows.c): its name indented by depth on the left, a bar on the trace's time axis
 * coloured by fault, error, throttle or ok, and its duration. A click selects a row
 * ("selection-changed"). The widget's natural height fits every row; put it in a scrolled
 * window.
 */
#ifndef STRATUS_VIEWER_TRACE_TIMELINE_H
#define STRATUS_VIEWER_TRACE_TIMELINE_H

#include <gtk/gtk.h>

#include "trace_rows.h"

G_BEGIN_DECLS

#define ST_TYPE_TRACE_TIMELINE (st_trace_timeline_get_type())
G_DECLARE_FINAL_TYPE(StTraceTimeline, st_trace_timeline, ST, TRACE_TIMELINE, GtkWidget)

/*
 * Shows the documents (st_xray_doc *, the array's free function frees them); the timeline
 * takes a reference on docs. NULL or an empty array clears it. Selects the first row.
 * Returns 0 or -ENOMEM.
 */
int st_trace_timeline_set_docs(StTraceTimeline *self, GPtrArray *docs);
/* The selected row, borrowed until the next set_docs; NULL when there is none. */
const struct st_trace_row *st_trace_timeline_get_selected(StTraceTimeline *self);
/* The trace's span (epoch seconds); FALSE when the timeline is empty. */
gboolean st_trace_timeline_get_span(StTraceTimeline *self, double *ret_t0_s, double *ret_t1_s);

G_END_DECLS

#endif
