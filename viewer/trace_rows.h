/* SPDX-License-Identifier: MIT */
/*
 * The rows of a trace's waterfall, GUI-free so that it is unit-tested: the segment documents
 * of one trace (as BatchGetTraces returns them, parsed by libstratus's st_xray_segment_parse)
 * flattened into one list in tree order. A segment document whose parent_id names a
 * (sub)segment of another document hangs under it, so a downstream service's segment sits
 * below the subsegment that called it; siblings are in start-time order. Each row has its depth
 * (0 for a top-level segment), its status (fault over error over throttle over ok), and the
 * trace's time span maps times to x.
 */
#ifndef STRATUS_VIEWER_TRACE_ROWS_H
#define STRATUS_VIEWER_TRACE_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "stratus/xray_segment.h"

enum st_trace_status {
    ST_TRACE_OK,
    ST_TRACE_THROTTLE,
    ST_TRACE_ERROR,
    ST_TRACE_FAULT,
};

struct st_trace_row {
    const struct st_xray_segment *seg; /* borrowed from the documents */
    int depth;
    bool is_segment;       /* the root of a segment document (a service), not a subsegment */
    double start_s, end_s; /* epoch seconds; an in-progress row ends at the trace's end */
    enum st_trace_status status;
};

struct st_trace_rows {
    struct st_trace_row *rows;
    size_t n;
    double t0_s, t1_s; /* the trace's span: the earliest start, the latest end (t1 > t0) */
};

/* The status a (sub)segment's flags give it. */
enum st_trace_status st_trace_status_of(const struct st_xray_segment *s);

/*
 * Flattens docs[0..n_docs) into *ret (st_trace_rows_fini frees it; the rows borrow the
 * documents, which must outlive them). Documents that form a parent_id cycle are shown as
 * top-level rows. Returns 0 or -ENOMEM; n_docs == 0 yields no rows.
 */
int st_trace_rows_build(struct st_xray_doc *const *docs, size_t n_docs, struct st_trace_rows *ret);
void st_trace_rows_fini(struct st_trace_rows *r);

/* The x of time t_s on an axis of width px starting at x0: t0 maps to x0 and t1 to x0 + width.
 */
double st_trace_rows_x(const struct st_trace_rows *r, double t_s, double x0, double width);

#endif
