/* SPDX-License-Identifier: MIT */
/*
 * Traces in memory. A `struct st_trace` holds the parsed documents (segments and independent
 * subsegments) received for one trace id, one per document id: an in-progress document is
 * replaced by its completed version, a completed one is never replaced by an in-progress one.
 * Assembly (trace_assembly.c) links the documents into services and calls the way X-Ray's
 * service graph sees them: a segment's parent_id names the caller's subsegment, an independent
 * subsegment belongs to the segment that holds its parent, and subsegments with namespace
 * remote or aws are calls to a downstream service, inferred unless the callee sent its own
 * segment. The trace store's worker thread owns traces; an assembly borrows its trace and
 * allocates from the arena it is given.
 */
#ifndef STRATUS_COLLECTOR_TRACE_MODEL_H
#define STRATUS_COLLECTOR_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/arena.h"
#include "stratus/xray_filter.h"
#include "stratus/xray_segment.h"

/* Most documents one trace keeps (X-Ray caps a trace at 500 KB of documents). */
#define ST_TRACE_MAX_DOCS 2000

struct st_trace {
    char id[ST_XRAY_TRACE_ID_LEN + 1];
    int64_t id_epoch_s; /* the time in the trace id */
    double start, end;  /* earliest start, latest end (or start when in progress) */
    struct st_xray_doc **docs;
    size_t n_docs, cap_docs;
    size_t bytes;           /* approximate memory held */
    struct st_trace *newer; /* the cache's age list */
    struct st_trace *older;
};

struct st_trace *st_trace_new(const char *id);
void st_trace_free(struct st_trace *t);

/*
 * Adds a parsed document, taking ownership of it whatever the outcome. Returns 1 when it was
 * added or replaced an older version, 0 when it was ignored (an in-progress version of a
 * document already complete), -ENOSPC when the trace holds ST_TRACE_MAX_DOCS documents, or
 * -ENOMEM.
 */
int st_trace_add(struct st_trace *t, struct st_xray_doc *doc);

/*
 * The segment that owns the independent subsegment x, as assembly attaches it: the segment
 * whose tree holds x's parent, through other independent subsegments. NULL while a document
 * of that chain has not arrived. *ret_in_call (written on success) is true when a downstream
 * call (namespace remote or aws) encloses x, so that x would not count as a call if nested.
 * Borrows t; the result lives as long as its document in t.
 */
const struct st_xray_segment *st_trace_owner(const struct st_trace *t,
                                             const struct st_xray_segment *x, bool *ret_in_call);
/* Whether the tree under s (s included) holds a (sub)segment with this id. */
bool st_trace_holds(const struct st_xray_segment *tree, const char *id);

/* The outcome of one request (segment or call), as X-Ray counts it. */
enum st_trace_outcome {
    ST_OUTCOME_OK,
    ST_OUTCOME_ERROR,    /* error flag or 4xx */
    ST_OUTCOME_THROTTLE, /* throttle flag or 429 (also an error) */
    ST_OUTCOME_FAULT,    /* fault flag or 5xx */
};

enum st_trace_outcome st_trace_outcome(const struct st_xray_segment *s);

/* The duration of s in seconds, to the microsecond (epoch doubles carry noise beyond); 0 in
 * progress. Also st_trace_round_s for differences of other times. */
double st_trace_duration(const struct st_xray_segment *s);
double st_trace_round_s(double seconds);

/* A node of the trace's graph: a service that sent segments, or one inferred from calls. */
struct st_trace_service {
    const char *name;
    const char *type; /* the origin, "remote", "AWS::..." or NULL */
    bool inferred;
    bool root; /* sent a root segment */
};

struct st_trace_seg {
    const struct st_xray_segment *seg;
    int service;
    bool root; /* no parent_id */
    bool leaf; /* makes no downstream call */
    /* independent subsegments attached to this segment */
    const struct st_xray_segment **extra;
    size_t n_extra;
};

/* A call along an edge: from is -1 for the client's call of a root segment. */
struct st_trace_call {
    int from, to;
    const struct st_xray_segment *node; /* the caller's subsegment, or the root segment */
    bool remote;
};

struct st_trace_assembly {
    const struct st_trace *trace;
    struct st_trace_service *services;
    size_t n_services;
    struct st_trace_seg *segs;
    size_t n_segs;
    struct st_trace_call *calls;
    size_t n_calls;
    const struct st_trace_seg *root; /* the first root segment, or NULL */
    bool partial;                    /* in progress, or a parent is missing */
};

/* Assembles t into *ret from arena a. Returns 0 or -ENOMEM. */
int st_trace_assemble(const struct st_trace *t, struct st_arena *a, struct st_trace_assembly *ret);

/* Builds what a filter expression sees of an assembled trace. Returns 0 or -ENOMEM. */
int st_trace_facts(const struct st_trace_assembly *as, struct st_arena *a, struct st_xf_trace *ret);

/* The node type X-Ray infers for a downstream call (namespace remote or aws): "remote",
 * "Database::SQL" or "AWS::<service>" (DynamoDB tables, S3 buckets, SQS queues, SNS topics
 * with X-Ray's resource suffix), allocated from a; NULL on OOM. */
const char *st_trace_inferred_type(const struct st_xray_segment *call, struct st_arena *a);

#endif
