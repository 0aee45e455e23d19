/* SPDX-License-Identifier: MIT */
/*
 * The service graph of GetServiceGraph, built from assembled traces (trace_model.h) the way
 * X-Ray builds it: a node per service (name + type), inferred nodes for downstream calls
 * nobody answered with a segment, a client node per root service, edges from caller to callee
 * with SummaryStatistics and a ResponseTimeHistogram, and per-node statistics with
 * DurationHistogram and ResponseTimeHistogram. Node statistics come from the node's own
 * segments (inferred nodes: from the calls that reached them), edge statistics from the
 * caller's subsegments (client edges: from the root segments). The graph owns copies of
 * everything it keeps; st_trace_graph_response fills a response from an arena.
 */
#ifndef STRATUS_COLLECTOR_TRACE_GRAPH_H
#define STRATUS_COLLECTOR_TRACE_GRAPH_H

#include <stdint.h>

#include "stratus/arena.h"
#include "trace_model.h"
#include "traces.pb-c.h"

struct st_trace_graph;

struct st_trace_graph *st_trace_graph_new(void);
void st_trace_graph_free(struct st_trace_graph *g);

/* Adds one trace's segments and calls. Returns 0 or -ENOMEM. */
int st_trace_graph_add(struct st_trace_graph *g, const struct st_trace_assembly *as);

/*
 * Fills resp (initialised here) with the graph, its window [start_ms, end_ms), every message
 * and string allocated from a. Services are ordered by name and type; ReferenceIds follow
 * that order. Returns 0 or -ENOMEM.
 */
int st_trace_graph_response(const struct st_trace_graph *g, int64_t start_ms, int64_t end_ms,
                            struct st_arena *a, Stratus__GetServiceGraphResponse *resp);

/* X-Ray's histogram bucket of a duration in seconds: two significant digits. */
double st_trace_histogram_value(double seconds);

#endif
