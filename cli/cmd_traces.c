/* SPDX-License-Identifier: MIT */
/*
 * The trace verbs of `stratus`, named and shaped as `aws xray ...`: put-trace-segments,
 * get-service-graph and get-trace-summaries (both following every NextToken, as the aws CLI
 * paginates) and batch-get-traces (five trace ids per call, X-Ray's limit). Each parses its
 * flags, calls the collector's native API and prints the aws-shaped JSON (trace_output.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "args.h"
#include "cmd_traces.h"
#include "pb.h"
#include "stratus/alloc.h"
#include "trace_output.h"
#include "traces.pb-c.h"

#define BATCH_IDS     5
#define MAX_PAGES     10000
#define MAX_DOCUMENTS 10000

/* Copies words into a st_malloc'ed string array (for messages freed by st_pb_free). */
static int dup_words(char *const *words, size_t n, char ***ret, size_t *ret_n, struct st_error *err)
{
    char **out = st_calloc(n ? n : 1, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] = st_strdup(words[i]))) {
            for (size_t k = 0; k < i; k++) {
                st_free(out[k]);
            }
            st_free(out);
            return st_args_oom(err);
        }
    }
    *ret = out;
    *ret_n = n;
    return 0;
}

/* --- put-trace-segments --- */

int st_cmd_put_trace_segments(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    static const struct st_args_flag flags[] = {{"--trace-segment-documents", ST_ARGS_MANY}};
    struct st_args_value v[1];
    int r = st_args_parse(argc, argv, flags, 1, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[0].seen) {
        return st_args_required(err, "--trace-segment-documents");
    }
    if (v[0].n_many > MAX_DOCUMENTS) {
        return st_args_usage(err, "argument --trace-segment-documents: at most %d documents",
                             MAX_DOCUMENTS);
    }
    Stratus__PutTraceSegmentsRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__put_trace_segments_request__init(req);
    r = dup_words(v[0].many, v[0].n_many, &req->trace_segment_documents,
                  &req->n_trace_segment_documents, err);
    ProtobufCMessage *resp = NULL;
    if (r == 0) {
        r = st_api_call(cli, "PutTraceSegments", &req->base,
                        &stratus__put_trace_segments_response__descriptor, &resp, err);
    }
    if (r == 0) {
        st_output_put_trace_segments(cli->out, (Stratus__PutTraceSegmentsResponse *)resp);
    }
    st_pb_free(resp);
    st_pb_free(req);
    return r;
}

/* --- get-service-graph --- */

enum { SG_START, SG_END, SG_GROUP, SG__COUNT };

int st_cmd_get_service_graph(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    static const struct st_args_flag flags[SG__COUNT] = {
        [SG_START] = {"--start-time", ST_ARGS_ONE},
        [SG_END] = {"--end-time", ST_ARGS_ONE},
        [SG_GROUP] = {"--group-name", ST_ARGS_ONE},
    };
    struct st_args_value v[SG__COUNT];
    int r = st_args_parse(argc, argv, flags, SG__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[SG_START].seen || !v[SG_END].seen) {
        return st_args_required(err, "--start-time, --end-time");
    }
    Stratus__GetServiceGraphRequest req = STRATUS__GET_SERVICE_GRAPH_REQUEST__INIT;
    req.has_start_time_ms = req.has_end_time_ms = true;
    if ((r = st_args_parse_time("--start-time", v[SG_START].one, &req.start_time_ms, err)) < 0 ||
        (r = st_args_parse_time("--end-time", v[SG_END].one, &req.end_time_ms, err)) < 0) {
        return r;
    }
    req.group_name = (char *)v[SG_GROUP].one;
    /* Every page, merged into one answer as the aws CLI's paginator does. */
    struct st_pb_pages pages = {0};
    void **services = NULL;
    size_t n_services = 0;
    const struct st_api_list list = {"services", &services, &n_services};
    r = st_api_call_pages(cli, "GetServiceGraph", &req.base,
                          &stratus__get_service_graph_response__descriptor, &list, 1, 0, MAX_PAGES,
                          &pages, err);
    if (r == 0) {
        Stratus__GetServiceGraphResponse merged =
            *(const Stratus__GetServiceGraphResponse *)pages.items[0];
        merged.services = (Stratus__Service **)services;
        merged.n_services = n_services;
        merged.next_token = NULL;
        st_output_service_graph(cli->out, &merged);
    }
    st_free(services);
    st_pb_pages_fini(&pages);
    return r;
}

/* --- get-trace-summaries --- */

enum { TS_START, TS_END, TS_RANGE, TS_FILTER, TS_SAMPLING, TS_NO_SAMPLING, TS__COUNT };

int st_cmd_get_trace_summaries(const struct st_cli *cli, int argc, char **argv,
                               struct st_error *err)
{
    static const struct st_args_flag flags[TS__COUNT] = {
        [TS_START] = {"--start-time", ST_ARGS_ONE},
        [TS_END] = {"--end-time", ST_ARGS_ONE},
        [TS_RANGE] = {"--time-range-type", ST_ARGS_ONE},
        [TS_FILTER] = {"--filter-expression", ST_ARGS_ONE},
        [TS_SAMPLING] = {"--sampling", ST_ARGS_MANY},
        [TS_NO_SAMPLING] = {"--no-sampling", ST_ARGS_MANY},
    };
    struct st_args_value v[TS__COUNT];
    int r = st_args_parse(argc, argv, flags, TS__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[TS_START].seen || !v[TS_END].seen) {
        return st_args_required(err, "--start-time, --end-time");
    }
    if (v[TS_SAMPLING].n_many || v[TS_NO_SAMPLING].n_many) {
        return st_args_usage(err, "--sampling and --no-sampling take no value");
    }
    Stratus__GetTraceSummariesRequest req = STRATUS__GET_TRACE_SUMMARIES_REQUEST__INIT;
    req.has_start_time_ms = req.has_end_time_ms = true;
    if ((r = st_args_parse_time("--start-time", v[TS_START].one, &req.start_time_ms, err)) < 0 ||
        (r = st_args_parse_time("--end-time", v[TS_END].one, &req.end_time_ms, err)) < 0) {
        return r;
    }
    req.time_range_type = (char *)v[TS_RANGE].one;
    req.filter_expression = (char *)v[TS_FILTER].one;
    if (v[TS_SAMPLING].seen || v[TS_NO_SAMPLING].seen) {
        req.has_sampling = true;
        req.sampling = v[TS_SAMPLING].seen;
    }
    struct st_pb_pages pages = {0};
    void **items = NULL;
    size_t n_items = 0;
    const struct st_api_list list = {"trace_summaries", &items, &n_items};
    r = st_api_call_pages(cli, "GetTraceSummaries", &req.base,
                          &stratus__get_trace_summaries_response__descriptor, &list, 1, 0,
                          MAX_PAGES, &pages, err);
    if (r == 0) {
        st_output_trace_summaries(cli->out, (Stratus__TraceSummary **)items, n_items,
                                  (const Stratus__GetTraceSummariesResponse *)pages.items[0]);
    }
    st_free(items);
    st_pb_pages_fini(&pages);
    return r;
}

/* --- batch-get-traces --- */

int st_cmd_batch_get_traces(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    static const struct st_args_flag flags[] = {{"--trace-ids", ST_ARGS_MANY}};
    struct st_args_value v[1];
    int r = st_args_parse(argc, argv, flags, 1, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[0].seen || v[0].n_many == 0) {
        return st_args_required(err, "--trace-ids");
    }
    size_t n_calls = (v[0].n_many + BATCH_IDS - 1) / BATCH_IDS;
    Stratus__BatchGetTracesResponse **replies = st_calloc(n_calls, sizeof(*replies));
    if (!replies) {
        return st_args_oom(err);
    }
    size_t done = 0;
    for (size_t c = 0; c < n_calls && r == 0; c++) {
        size_t first = c * BATCH_IDS;
        size_t n = v[0].n_many - first < BATCH_IDS ? v[0].n_many - first : BATCH_IDS;
        Stratus__BatchGetTracesRequest req = STRATUS__BATCH_GET_TRACES_REQUEST__INIT;
        req.trace_ids = (char **)&v[0].many[first];
        req.n_trace_ids = n;
        ProtobufCMessage *resp = NULL;
        r = st_api_call(cli, "BatchGetTraces", &req.base,
                        &stratus__batch_get_traces_response__descriptor, &resp, err);
        if (r == 0) {
            replies[done++] = (Stratus__BatchGetTracesResponse *)resp;
        }
    }
    if (r == 0) {
        st_output_traces(cli->out, replies, done);
    }
    for (size_t i = 0; i < done; i++) {
        st_pb_free(replies[i]);
    }
    st_free(replies);
    return r;
}
