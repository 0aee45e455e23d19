/* SPDX-License-Identifier: MIT */
/*
 * The service graph of GetServiceGraph, built from assembled traces (trace_model.h) the way
 * X-Ray builds it: a node per service (name + type), inferred nodes for downstream calls
 * nobody answered with a segment, a client node per root service, edges from caller to callee
 * with SummaryStatistics and a ResponseTimeHistogram, and per-node statistics with
 * DurationHistogram and ResponseTimeHistogram. Node statistics come from the node's own
 * segments (inferred nodes: from the calls that reached them), edge statistics from the
 * caller's subsegments (client edges: from the root segments). The graph owns copies of
 * everything it keeps; st_trace_graph_response fills a response from an arena, and
 * st_trace_graph_page cuts it to one page of X-Ray's NextToken paging.
 */
#ifndef STRATUS_COLLECTOR_TRACE_GRAPH_H
#define STRATUS_COLLECTOR_TRACE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
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

/* Services per GetServiceGraph page; NextToken leads to the next ones. */
#define ST_TRACE_GRAPH_PAGE_SERVICES 100

/*
 * Narrows resp (as st_trace_graph_response filled it) to the services [first, first + max):
 * ReferenceIds stay those of the whole graph, so edges may name services of other pages.
 * Returns true when services follow the page.
 */
bool st_trace_graph_page(Stratus__GetServiceGraphResponse *resp, size_t first, size_t max);

/* The NextToken of the page that starts at service first of the window's graph, into buf
 * (at least ST_TRACE_GRAPH_TOKEN_LEN bytes). */
#define ST_TRACE_GRAPH_TOKEN_LEN 64
void st_trace_graph_token(char *buf, int64_t start_ms, int64_t end_ms, size_t first);

/* Reads a NextToken made by st_trace_graph_token for the same window into *ret_first.
 * Returns 0, or -EINVAL for another window's token or one this did not make. */
int st_trace_graph_token_parse(const char *token, int64_t start_ms, int64_t end_ms,
                               size_t *ret_first);

/* X-Ray's histogram bucket of a duration in seconds: two significant digits. */
double st_trace_histogram_value(double seconds);

#endif
