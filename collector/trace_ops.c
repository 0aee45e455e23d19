/* SPDX-License-Identifier: MIT */
/*
 * The trace operations (op.h): PutTraceSegments, GetServiceGraph, GetTraceSummaries and
 * BatchGetTraces, shaped as X-Ray's. The loop thread validates the request (times, filter
 * expression, trace ids, NextToken) and hands a job to the trace store; the job's run function
 * reads traces on the store's worker thread and packs the response; the done callback replies
 * on the loop thread. PutTraceSegments answers once its documents are committed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_private.h"
#include "op.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"
#include "stratus/time_util.h"
#include "stratus/xray_filter.h"
#include "trace_graph.h"
#include "trace_query.h"
#include "trace_store.h"

#define ERR_INVALID "InvalidRequestException"

/* PutTraceSegments takes at most this many documents (the agent sends 50). */
#define PUT_MAX_DOCS 10000
/* GetTraceSummaries: summaries per page, and traces examined per call. */
#define SUMMARIES_PAGE 100
#define SUMMARIES_SCAN 100000
/* BatchGetTraces: trace ids per call (X-Ray's limit). */
#define BATCH_MAX_IDS 5
/* The longest window a query may cover. */
#define MAX_WINDOW_MS (31LL * 86400 * 1000)

__attribute__((format(printf, 2, 3))) static void fail_invalid(struct st_call *call,
                                                               const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    st_call_fail_status(call, 400, ERR_INVALID, msg);
}

static bool store_ready(struct st_collector *c, struct st_call *call)
{
    if (!c->traces) {
        st_call_fail_status(call, 503, "ServiceUnavailable", "trace storage is not available");
        return false;
    }
    return true;
}

/* Packs resp into job->reply; sets job->status. */
static void pack_reply(struct st_trace_job *job, const ProtobufCMessage *resp)
{
    size_t len = protobuf_c_message_get_packed_size(resp);
    job->reply = st_malloc(len ? len : 1);
    if (!job->reply) {
        job->status = -ENOMEM;
        return;
    }
    job->reply_len = protobuf_c_message_pack(resp, job->reply);
    job->status = 0;
}

/* The done callback of every query job: reply with the packed response or fail. */
static void on_query_done(struct st_trace_job *job, void *data)
{
    struct st_call *call = data;
    if (job->status == -EINVAL) {
        st_call_fail(call, &job->err);
    } else if (job->status < 0) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "the trace query failed");
    } else {
        st_call_reply_packed(call, job->reply, job->reply_len);
    }
    st_trace_job_free(job);
}

static void submit_query(struct st_collector *c, struct st_call *call, st_trace_job_run_fn run,
                         void *query, void (*free_query)(void *))
{
    struct st_trace_job *job = st_trace_job_new();
    if (!job) {
        if (free_query) {
            free_query(query);
        }
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    job->run = run;
    job->query = query;
    job->free_query = free_query;
    job->done = on_query_done;
    job->data = call;
    if (st_trace_store_submit(c->traces, job) < 0) {
        st_trace_job_free(job);
        st_call_fail_status(call, 503, "ServiceUnavailable", "the trace store is shutting down");
    }
}

/* Checks StartTime/EndTime: both given, end after start, at most MAX_WINDOW_MS apart. */
static bool valid_window(struct st_call *call, bool has_start, int64_t start, bool has_end,
                         int64_t end)
{
    if (!has_start || !has_end) {
        st_call_fail_status(call, 400, ERR_INVALID, "StartTime and EndTime are required");
        return false;
    }
    if (end <= start) {
        st_call_fail_status(call, 400, ERR_INVALID, "EndTime must be after StartTime");
        return false;
    }
    if (end - start > MAX_WINDOW_MS) {
        st_call_fail_status(call, 400, ERR_INVALID,
                            "StartTime and EndTime may be at most 31 days apart");
        return false;
    }
    return true;
}

/* --- PutTraceSegments --- */

static void on_put_done(struct st_trace_job *job, void *data)
{
    struct st_call *call = data;
    if (job->status < 0) {
        st_call_fail_status(call, 503, "ServiceUnavailable",
                            "the collector cannot write its trace store; nothing was stored");
        st_trace_job_free(job);
        return;
    }
    Stratus__PutTraceSegmentsResponse resp = STRATUS__PUT_TRACE_SEGMENTS_RESPONSE__INIT;
    size_t n = 0;
    for (size_t i = 0; i < job->n_docs; i++) {
        n += job->docs[i].status < 0;
    }
    Stratus__UnprocessedTraceSegment *u = st_arena_alloc(&call->arena, (n + 1) * sizeof(*u));
    Stratus__UnprocessedTraceSegment **up = st_arena_alloc(&call->arena, (n + 1) * sizeof(*up));
    if (!u || !up) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        st_trace_job_free(job);
        return;
    }
    for (size_t i = 0; i < job->n_docs; i++) {
        struct st_trace_doc_in *d = &job->docs[i];
        if (d->status >= 0) {
            continue;
        }
        Stratus__UnprocessedTraceSegment *e = &u[resp.n_unprocessed_trace_segments];
        stratus__unprocessed_trace_segment__init(e);
        e->id = d->id[0] ? d->id : NULL;
        e->error_code = d->error_code;
        e->message = d->error;
        up[resp.n_unprocessed_trace_segments++] = e;
    }
    resp.unprocessed_trace_segments = up;
    st_call_reply(call, &resp.base);
    st_trace_job_free(job);
}

void st_op_put_trace_segments(struct st_collector *c, struct st_call *call)
{
    const Stratus__PutTraceSegmentsRequest *req =
        (const Stratus__PutTraceSegmentsRequest *)call->request;
    if (!store_ready(c, call)) {
        return;
    }
    if (req->n_trace_segment_documents == 0) {
        st_call_fail_status(call, 400, ERR_INVALID, "TraceSegmentDocuments is required");
        return;
    }
    if (req->n_trace_segment_documents > PUT_MAX_DOCS) {
        st_call_fail_status(call, 400, ERR_INVALID,
                            "TraceSegmentDocuments holds more than 10000 documents");
        return;
    }
    struct st_trace_job *job = st_trace_job_new();
    if (!job) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_trace_segment_documents; i++) {
        const char *doc = req->trace_segment_documents[i];
        if (st_trace_job_add_doc(job, (const uint8_t *)doc, strlen(doc)) < 0) {
            st_trace_job_free(job);
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
    }
    job->done = on_put_done;
    job->data = call;
    int r = st_trace_store_submit(c->traces, job);
    if (r < 0) {
        st_trace_job_free(job);
        st_call_fail_status(call, 503, "ServiceUnavailable",
                            r == -ENOBUFS ? "the trace store is behind; retry later"
                                          : "the trace store is shutting down");
    }
}

/* --- GetServiceGraph --- */

struct graph_query {
    int64_t start_ms, end_ms;
    size_t first; /* the page's first service */
    struct st_trace_graph *g;
    struct st_arena scratch;
};

static void free_graph_query(void *p)
{
    struct graph_query *q = p;
    if (q) {
        st_trace_graph_free(q->g);
        st_arena_fini(&q->scratch);
        st_free(q);
    }
}

static int graph_visit(const struct st_trace *t, int64_t order_ms, void *data)
{
    (void)order_ms;
    struct graph_query *q = data;
    struct st_trace_assembly as;
    st_arena_reset(&q->scratch);
    if (st_trace_assemble(t, &q->scratch, &as) < 0 || st_trace_graph_add(q->g, &as) < 0) {
        return -ENOMEM;
    }
    return 0;
}

static void run_graph(struct st_trace_job *job, struct st_trace_view *v)
{
    struct graph_query *q = job->query;
    int r = st_trace_view_window(v, q->start_ms, q->end_ms, ST_TRACE_RANGE_EVENT, 0, NULL, SIZE_MAX,
                                 graph_visit, q);
    if (r < 0) {
        job->status = r;
        return;
    }
    Stratus__GetServiceGraphResponse resp;
    if (st_trace_graph_response(q->g, q->start_ms, q->end_ms, st_trace_view_arena(v), &resp) < 0) {
        job->status = -ENOMEM;
        return;
    }
    /* Every page rebuilds the window's graph: ReferenceIds are positions in its order, so they
     * agree across pages while no service joins the window between the calls. */
    char token[ST_TRACE_GRAPH_TOKEN_LEN];
    if (st_trace_graph_page(&resp, q->first, ST_TRACE_GRAPH_PAGE_SERVICES)) {
        st_trace_graph_token(token, q->start_ms, q->end_ms, q->first + resp.n_services);
        resp.next_token = token;
    }
    pack_reply(job, &resp.base);
}

void st_op_get_service_graph(struct st_collector *c, struct st_call *call)
{
    const Stratus__GetServiceGraphRequest *req =
        (const Stratus__GetServiceGraphRequest *)call->request;
    if (!store_ready(c, call) || !valid_window(call, req->has_start_time_ms, req->start_time_ms,
                                               req->has_end_time_ms, req->end_time_ms)) {
        return;
    }
    size_t first = 0;
    if (req->next_token && req->next_token[0] &&
        st_trace_graph_token_parse(req->next_token, req->start_time_ms, req->end_time_ms, &first) <
            0) {
        fail_invalid(call, "Invalid NextToken '%.64s': not a GetServiceGraph token of this window",
                     req->next_token);
        return;
    }
    struct graph_query *q = st_calloc(1, sizeof(*q));
    if (!q || !(q->g = st_trace_graph_new())) {
        st_free(q);
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    q->start_ms = req->start_time_ms;
    q->end_ms = req->end_time_ms;
    q->first = first;
    st_arena_init(&q->scratch, 64 * 1024, 0);
    submit_query(c, call, run_graph, q, free_graph_query);
}

/* --- GetTraceSummaries --- */

struct summaries_query {
    int64_t start_ms, end_ms;
    enum st_trace_time_range range;
    struct st_xray_filter *filter; /* NULL: every trace */
    int64_t after_ms;
    char after_id[ST_XRAY_TRACE_ID_LEN + 1];
    bool has_after;
    struct st_arena scratch;
    /* The summaries packed as field 1 of GetTraceSummariesResponse: a summary points into
     * its trace's documents, which may be freed after the visit, so it is packed at once. */
    uint8_t *packed;
    size_t packed_len, packed_cap;
    size_t n_items;
    int64_t processed;
    int64_t last_ms;
    char last_id[ST_XRAY_TRACE_ID_LEN + 1];
};

static void free_summaries_query(void *p)
{
    struct summaries_query *q = p;
    if (q) {
        st_xray_filter_free(q->filter);
        st_arena_fini(&q->scratch);
        st_free(q->packed);
        st_free(q);
    }
}

static int append_field(struct summaries_query *q, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    size_t need = q->packed_len + len + 11;
    if (need > q->packed_cap) {
        size_t cap = q->packed_cap ? q->packed_cap * 2 : 16384;
        while (cap < need) {
            cap *= 2;
        }
        uint8_t *p = st_realloc(q->packed, cap);
        if (!p) {
            return -ENOMEM;
        }
        q->packed = p;
        q->packed_cap = cap;
    }
    uint8_t *o = q->packed + q->packed_len;
    *o++ = (1 << 3) | 2; /* field 1, length-delimited */
    for (size_t v = len;; v >>= 7) {
        if (v < 0x80) {
            *o++ = (uint8_t)v;
            break;
        }
        *o++ = (uint8_t)(v | 0x80);
    }
    o += protobuf_c_message_pack(m, o);
    q->packed_len = (size_t)(o - q->packed);
    return 0;
}

static int summaries_visit(const struct st_trace *t, int64_t order_ms, void *data)
{
    struct summaries_query *q = data;
    q->processed++;
    q->last_ms = order_ms;
    snprintf(q->last_id, sizeof(q->last_id), "%s", t->id);
    st_arena_reset(&q->scratch);
    struct st_trace_assembly as;
    struct st_xf_trace facts;
    Stratus__TraceSummary ts;
    if (st_trace_assemble(t, &q->scratch, &as) < 0 ||
        st_trace_facts(&as, &q->scratch, &facts) < 0) {
        return -ENOMEM;
    }
    if (q->filter && !st_xray_filter_match(q->filter, &facts)) {
        return 0;
    }
    if (st_trace_summary(&as, &facts, &q->scratch, &ts) < 0 || append_field(q, &ts.base) < 0) {
        return -ENOMEM;
    }
    q->n_items++;
    return q->n_items >= SUMMARIES_PAGE ? 1 : 0;
}

static void run_summaries(struct st_trace_job *job, struct st_trace_view *v)
{
    struct summaries_query *q = job->query;
    int r =
        st_trace_view_window(v, q->start_ms, q->end_ms, q->range, q->after_ms,
                             q->has_after ? q->after_id : NULL, SUMMARIES_SCAN, summaries_visit, q);
    if (r < 0) {
        job->status = r;
        return;
    }
    /* More may follow when the page filled up or the scan limit was reached. */
    char token[80];
    Stratus__GetTraceSummariesResponse resp = STRATUS__GET_TRACE_SUMMARIES_RESPONSE__INIT;
    resp.has_approximate_time_ms = resp.has_traces_processed_count = true;
    resp.approximate_time_ms = st_wall_ms();
    resp.traces_processed_count = q->processed;
    if (r == 1 || q->processed >= SUMMARIES_SCAN) {
        snprintf(token, sizeof(token), "%" PRId64 ":%s", q->last_ms, q->last_id);
        resp.next_token = token;
    }
    size_t tail = protobuf_c_message_get_packed_size(&resp.base);
    job->reply = st_malloc(q->packed_len + tail + 1);
    if (!job->reply) {
        job->status = -ENOMEM;
        return;
    }
    if (q->packed_len) {
        memcpy(job->reply, q->packed, q->packed_len);
    }
    job->reply_len =
        q->packed_len + protobuf_c_message_pack(&resp.base, job->reply + q->packed_len);
    job->status = 0;
}

/* NextToken "<ms>:<trace id>": where the previous page stopped. */
static bool parse_token(const char *s, struct summaries_query *q)
{
    char *end;
    errno = 0;
    long long ms = strtoll(s, &end, 10);
    if (errno || end == s || *end != ':' ||
        !st_xray_valid_trace_id(end + 1, strlen(end + 1), NULL)) {
        return false;
    }
    q->after_ms = ms;
    snprintf(q->after_id, sizeof(q->after_id), "%s", end + 1);
    q->has_after = true;
    return true;
}

void st_op_get_trace_summaries(struct st_collector *c, struct st_call *call)
{
    const Stratus__GetTraceSummariesRequest *req =
        (const Stratus__GetTraceSummariesRequest *)call->request;
    if (!store_ready(c, call) || !valid_window(call, req->has_start_time_ms, req->start_time_ms,
                                               req->has_end_time_ms, req->end_time_ms)) {
        return;
    }
    enum st_trace_time_range range = ST_TRACE_RANGE_TRACE_ID;
    if (req->time_range_type && strcmp(req->time_range_type, "TraceId") != 0) {
        if (strcmp(req->time_range_type, "Event") == 0 ||
            strcmp(req->time_range_type, "Service") == 0) {
            range = ST_TRACE_RANGE_EVENT;
        } else {
            fail_invalid(call, "TimeRangeType '%.64s' is not TraceId, Event or Service",
                         req->time_range_type);
            return;
        }
    }
    struct summaries_query *q = st_calloc(1, sizeof(*q));
    if (!q) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    st_arena_init(&q->scratch, 64 * 1024, 0);
    q->start_ms = req->start_time_ms;
    q->end_ms = req->end_time_ms;
    q->range = range;
    if (req->next_token && req->next_token[0] && !parse_token(req->next_token, q)) {
        free_summaries_query(q);
        fail_invalid(call, "Invalid NextToken '%.64s'", req->next_token);
        return;
    }
    if (req->filter_expression && req->filter_expression[0]) {
        struct st_error err;
        int r = st_xray_filter_parse((const uint8_t *)req->filter_expression,
                                     strlen(req->filter_expression), &q->filter, &err);
        if (r < 0) {
            free_summaries_query(q);
            if (r == -ENOMEM) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            } else {
                st_call_fail_status(call, 400, ERR_INVALID, err.message);
            }
            return;
        }
    }
    submit_query(c, call, run_summaries, q, free_summaries_query);
}

/* --- BatchGetTraces --- */

struct batch_query {
    char ids[BATCH_MAX_IDS][ST_XRAY_TRACE_ID_LEN + 1];
    size_t n_ids;
    char **unprocessed; /* borrowed from the request */
    size_t n_unprocessed;
    struct st_arena *arena;
    struct st_trace_raw_doc *docs;
    size_t n_docs, cap_docs;
};

static void free_batch_query(void *p)
{
    struct batch_query *q = p;
    if (q) {
        st_free(q->unprocessed);
        st_free(q->docs);
        st_free(q);
    }
}

static int batch_doc(const uint8_t *doc, size_t len, void *data)
{
    struct batch_query *q = data;
    if (q->n_docs == q->cap_docs) {
        size_t cap = q->cap_docs ? q->cap_docs * 2 : 16;
        struct st_trace_raw_doc *d = st_realloc(q->docs, cap * sizeof(*d));
        if (!d) {
            return -ENOMEM;
        }
        q->docs = d;
        q->cap_docs = cap;
    }
    uint8_t *copy = st_arena_alloc(q->arena, len ? len : 1);
    if (!copy) {
        return -ENOMEM;
    }
    memcpy(copy, doc, len);
    q->docs[q->n_docs++] = (struct st_trace_raw_doc){copy, len};
    return 0;
}

static void run_batch_get(struct st_trace_job *job, struct st_trace_view *v)
{
    struct batch_query *q = job->query;
    q->arena = st_trace_view_arena(v);
    Stratus__BatchGetTracesResponse resp = STRATUS__BATCH_GET_TRACES_RESPONSE__INIT;
    Stratus__Trace *traces = st_arena_alloc(q->arena, (q->n_ids + 1) * sizeof(*traces));
    Stratus__Trace **tp = st_arena_alloc(q->arena, (q->n_ids + 1) * sizeof(*tp));
    char **unproc = st_arena_alloc(q->arena, (q->n_ids + q->n_unprocessed + 1) * sizeof(*unproc));
    if (!traces || !tp || !unproc) {
        job->status = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < q->n_unprocessed; i++) {
        unproc[resp.n_unprocessed_trace_ids++] = q->unprocessed[i];
    }
    for (size_t i = 0; i < q->n_ids; i++) {
        q->n_docs = 0;
        int n = st_trace_view_docs(v, q->ids[i], batch_doc, q);
        if (n < 0) {
            job->status = n;
            return;
        }
        if (n == 0) {
            unproc[resp.n_unprocessed_trace_ids++] = q->ids[i];
            continue;
        }
        if (st_trace_documents(q->ids[i], q->docs, q->n_docs, q->arena, &traces[resp.n_traces]) <
            0) {
            job->status = -ENOMEM;
            return;
        }
        tp[resp.n_traces] = &traces[resp.n_traces];
        resp.n_traces++;
    }
    resp.traces = tp;
    resp.unprocessed_trace_ids = unproc;
    pack_reply(job, &resp.base);
}

void st_op_batch_get_traces(struct st_collector *c, struct st_call *call)
{
    const Stratus__BatchGetTracesRequest *req =
        (const Stratus__BatchGetTracesRequest *)call->request;
    if (!store_ready(c, call)) {
        return;
    }
    if (req->n_trace_ids == 0) {
        st_call_fail_status(call, 400, ERR_INVALID, "TraceIds is required");
        return;
    }
    if (req->n_trace_ids > BATCH_MAX_IDS) {
        st_call_fail_status(call, 400, ERR_INVALID, "TraceIds holds more than 5 trace ids");
        return;
    }
    if (req->next_token && req->next_token[0]) {
        fail_invalid(call, "Invalid NextToken '%.64s': BatchGetTraces answers in one page",
                     req->next_token);
        return;
    }
    struct batch_query *q = st_calloc(1, sizeof(*q));
    if (!q || !(q->unprocessed = st_calloc(req->n_trace_ids, sizeof(char *)))) {
        st_free(q);
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_trace_ids; i++) {
        const char *id = req->trace_ids[i];
        if (!st_xray_valid_trace_id(id, strlen(id), NULL)) {
            q->unprocessed[q->n_unprocessed++] = req->trace_ids[i];
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < q->n_ids; k++) {
            dup = dup || strcmp(q->ids[k], id) == 0;
        }
        if (!dup) {
            snprintf(q->ids[q->n_ids++], sizeof(q->ids[0]), "%s", id);
        }
    }
    submit_query(c, call, run_batch_get, q, free_batch_query);
}

void st_traces_tick(struct st_collector *c)
{
    if (!c->traces) {
        return;
    }
    const struct st_trace_store_stats *st = st_trace_store_stats(c->traces);
    uint64_t invalid = atomic_load(&st->segments_invalid);
    if (invalid != c->traces_logged_invalid && st_ratelimit_allow(&c->traces_rl)) {
        st_log_warning("traces: %llu invalid segment documents rejected so far (non-fatal; "
                       "PutTraceSegments callers get the reason)",
                       (unsigned long long)invalid);
        c->traces_logged_invalid = invalid;
    }
}

/* --- Stratus/Traces metrics --- */

#define METRICS_NAMESPACE "Stratus/Traces"
#define DATUMS_PER_KEY    5

static void internal_reply(struct st_call *call, const ProtobufCMessage *resp,
                           const uint8_t *packed, size_t packed_len)
{
    (void)resp;
    (void)packed;
    (void)packed_len;
    st_call_release(call);
}

static void internal_fail(struct st_call *call, int status, const char *code, const char *message)
{
    struct st_collector *c = call->c;
    if (st_ratelimit_allow(&c->traces_rl)) {
        st_log_warning("traces: the trace metrics were refused (%d %s: %s); dropping them "
                       "(non-fatal)",
                       status, code, message);
    }
    st_call_release(call);
}

static const struct st_frontend internal_frontend = {internal_reply, internal_fail};

static char *arena_str(struct st_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = st_arena_alloc(a, n);
    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

static Stratus__MetricDatum *count_datum(struct st_arena *a, const char *name, double v,
                                         Stratus__Dimension **dims, size_t n_dims, int64_t ts)
{
    Stratus__MetricDatum *d = st_arena_alloc(a, sizeof(*d));
    if (!d) {
        return NULL;
    }
    stratus__metric_datum__init(d);
    d->metric_name = (char *)name;
    d->dimensions = dims;
    d->n_dimensions = n_dims;
    d->has_value = d->has_timestamp_ms = d->has_storage_resolution = true;
    d->value = v;
    d->timestamp_ms = ts;
    d->storage_resolution = 60;
    d->unit = (char *)"Count";
    return d;
}

/* Puts up to ST_MAX_DATUMS / DATUMS_PER_KEY keys as one PutMetricData. */
static void put_metrics(struct st_collector *c, const struct st_trace_metric *m, size_t n)
{
    struct st_call *call = st_call_new(c);
    if (!call) {
        return;
    }
    call->op = st_op_find("PutMetricData", strlen("PutMetricData"));
    call->fe = &internal_frontend;
    call->arrival_ms = st_wall_ms();
    snprintf(call->peer, sizeof(call->peer), "trace metrics");
    struct st_arena *a = &call->arena;
    Stratus__PutMetricDataRequest *req = st_arena_alloc(a, sizeof(*req));
    Stratus__MetricDatum **datums = st_arena_alloc(a, n * DATUMS_PER_KEY * sizeof(*datums));
    if (!call->op || !req || !datums) {
        st_call_release(call);
        return;
    }
    stratus__put_metric_data_request__init(req);
    req->namespace_ = (char *)METRICS_NAMESPACE;
    req->metric_data = datums;
    int64_t ts = call->arrival_ms;
    for (size_t i = 0; i < n; i++) {
        const struct st_trace_metric *k = &m[i];
        size_t n_dims = k->downstream[0] ? 2 : 1;
        Stratus__Dimension *dv = st_arena_alloc(a, 2 * sizeof(*dv));
        Stratus__Dimension **dims = st_arena_alloc(a, 2 * sizeof(*dims));
        if (!dv || !dims) {
            st_call_release(call);
            return;
        }
        for (size_t j = 0; j < 2; j++) {
            stratus__dimension__init(&dv[j]);
            dims[j] = &dv[j];
        }
        dv[0].name = (char *)"ServiceName";
        dv[0].value = arena_str(a, k->service);
        dv[1].name = (char *)"DownstreamService";
        dv[1].value = arena_str(a, k->downstream);
        if (!dv[0].value || !dv[1].value) {
            st_call_release(call);
            return;
        }
        static const char *const names[] = {"RequestCount", "ErrorCount", "ThrottleCount",
                                            "FaultCount"};
        const int64_t values[] = {k->requests, k->errors, k->throttles, k->faults};
        for (size_t j = 0; j < 4; j++) {
            Stratus__MetricDatum *d = count_datum(a, names[j], (double)values[j], dims, n_dims, ts);
            if (!d) {
                st_call_release(call);
                return;
            }
            datums[req->n_metric_data++] = d;
        }
        if (k->latency_n > 0) {
            Stratus__MetricDatum *d = count_datum(a, "Latency", 0, dims, n_dims, ts);
            Stratus__StatisticSet *ss = st_arena_alloc(a, sizeof(*ss));
            if (!d || !ss) {
                st_call_release(call);
                return;
            }
            stratus__statistic_set__init(ss);
            ss->has_sample_count = ss->has_sum = ss->has_minimum = ss->has_maximum = true;
            ss->sample_count = (double)k->latency_n;
            ss->sum = k->latency_sum;
            ss->minimum = k->latency_min;
            ss->maximum = k->latency_max;
            d->has_value = false;
            d->statistic_values = ss;
            d->unit = (char *)"Seconds";
            datums[req->n_metric_data++] = d;
        }
    }
    call->request = &req->base;
    /* The same op as a client's PutMetricData: validated, in the WAL, then in the hot window. */
    call->op->run(c, call);
}

void st_traces_on_metrics(const struct st_trace_metric *m, size_t n, void *data)
{
    struct st_collector *c = data;
    size_t per_call = ST_MAX_DATUMS / DATUMS_PER_KEY;
    for (size_t i = 0; i < n; i += per_call) {
        put_metrics(c, m + i, n - i < per_call ? n - i : per_call);
    }
}
