/* SPDX-License-Identifier: MIT */
/*
 * The answers about single traces: the TraceSummary of GetTraceSummaries and the Trace of
 * BatchGetTraces (each segment's document as a JSON string, with the independent subsegments
 * of the trace nested in the subsegment or segment they belong to, as X-Ray returns them).
 * Everything is allocated from the arena given; inputs are borrowed for the call.
 */
#ifndef STRATUS_COLLECTOR_TRACE_QUERY_H
#define STRATUS_COLLECTOR_TRACE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "stratus/arena.h"
#include "trace_model.h"
#include "traces.pb-c.h"

/* Fills *ret (initialised here) for an assembled trace and its facts. Returns 0 or -ENOMEM. */
int st_trace_summary(const struct st_trace_assembly *as, const struct st_xf_trace *facts,
                     struct st_arena *a, Stratus__TraceSummary *ret);

/* A stored document, borrowed. */
struct st_trace_raw_doc {
    const uint8_t *bytes;
    size_t len;
};

/*
 * Fills *ret (initialised here) with trace id's documents: one Segment per segment document
 * (and per independent subsegment whose parent is missing), subsegments nested, in start
 * time order. Returns 0 or -ENOMEM.
 */
int st_trace_documents(const char *id, const struct st_trace_raw_doc *docs, size_t n,
                       struct st_arena *a, Stratus__Trace *ret);

#endif
