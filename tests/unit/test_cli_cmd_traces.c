/* SPDX-License-Identifier: MIT */
/*
 * Tests of the trace verbs (cli/cmd_traces.h) against the fake collector of fake_collector.h
 * (an evhttp server on 127.0.0.1 port 0 that records each request and answers with canned
 * replies). They check what goes on the wire (the protobuf bodies decoded again), that
 * get-service-graph and get-trace-summaries follow every NextToken into one answer, that
 * batch-get-traces sends five ids a call, what put-trace-segments prints, the usage errors and
 * the aws-shaped error of a refused call. The server, the output buffer and the recorded
 * requests live in the fixture.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../cli/cmd_traces.h"
#include "../../cli/pb.h"
#include "fake_collector.h"
#include "traces.pb-c.h"
#include "stratus/alloc.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define T0_MS      1795456800000LL /* 2026-11-23T18:00:00Z */
#define T1_MS      (T0_MS + 3600000)

/* Parses the verb's output as JSON; freed by the caller with json_object_put. */
static json_object *output_json(struct st_fake_collector *f)
{
    json_object *o = json_tokener_parse(st_fake_output(f));
    if (!o) {
        fail_msg("output is not JSON: %s", st_fake_output(f));
    }
    return o;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v)) {
        fail_msg("no member %s in %s", key, json_object_to_json_string(o));
    }
    return v;
}

static char *window[] = {"--start-time", "2026-11-23T18:00:00Z", "--end-time",
                         "2026-11-23T19:00:00Z"};

/* --- get-service-graph --- */

static void add_graph_page(struct st_fake_collector *f, const char *name, int32_t ref,
                           int32_t edge_to, const char *next_token)
{
    Stratus__Edge edge = STRATUS__EDGE__INIT;
    edge.has_reference_id = true;
    edge.reference_id = edge_to;
    Stratus__Edge *edges[] = {&edge};
    Stratus__Service svc = STRATUS__SERVICE__INIT;
    svc.name = (char *)name;
    svc.has_reference_id = true;
    svc.reference_id = ref;
    if (edge_to >= 0) {
        svc.edges = edges;
        svc.n_edges = 1;
    }
    Stratus__Service *svcs[] = {&svc};
    Stratus__GetServiceGraphResponse page = STRATUS__GET_SERVICE_GRAPH_RESPONSE__INIT;
    page.has_start_time_ms = page.has_end_time_ms = true;
    page.start_time_ms = T0_MS;
    page.end_time_ms = T1_MS;
    page.services = svcs;
    page.n_services = 1;
    page.next_token = (char *)next_token;
    st_fake_add_reply(f, 200, &page.base, NULL);
}

static void test_service_graph_follows_every_page(void **state)
{
    struct st_fake_collector *f = *state;
    add_graph_page(f, "web", 0, 1, "sg1:page2");
    add_graph_page(f, "db", 1, -1, NULL);
    assert_int_equal(st_cmd_get_service_graph(&f->cli, N_ELEMS(window), window, &f->err), 0);
    assert_int_equal(f->n_calls, 2);
    Stratus__GetServiceGraphRequest *r0 = (Stratus__GetServiceGraphRequest *)st_fake_request(
        f, 0, "/v1/GetServiceGraph", &stratus__get_service_graph_request__descriptor);
    assert_int_equal(r0->start_time_ms, T0_MS);
    assert_int_equal(r0->end_time_ms, T1_MS);
    assert_null(r0->next_token);
    protobuf_c_message_free_unpacked(&r0->base, NULL);
    Stratus__GetServiceGraphRequest *r1 = (Stratus__GetServiceGraphRequest *)st_fake_request(
        f, 1, "/v1/GetServiceGraph", &stratus__get_service_graph_request__descriptor);
    assert_string_equal(r1->next_token, "sg1:page2");
    assert_int_equal(r1->start_time_ms, T0_MS);
    protobuf_c_message_free_unpacked(&r1->base, NULL);
    /* One answer with both pages' services, and no NextToken left in it. */
    json_object *out = output_json(f);
    json_object *svcs = member(out, "Services");
    assert_int_equal(json_object_array_length(svcs), 2);
    assert_string_equal(json_object_get_string(member(json_object_array_get_idx(svcs, 0), "Name")),
                        "web");
    assert_string_equal(json_object_get_string(member(json_object_array_get_idx(svcs, 1), "Name")),
                        "db");
    json_object *edges = member(json_object_array_get_idx(svcs, 0), "Edges");
    assert_int_equal(
        json_object_get_int(member(json_object_array_get_idx(edges, 0), "ReferenceId")), 1);
    assert_false(json_object_object_get_ex(out, "NextToken", NULL));
    json_object_put(out);
}

static void test_service_graph_stops_at_a_failed_page(void **state)
{
    struct st_fake_collector *f = *state;
    add_graph_page(f, "web", 0, -1, "sg1:page2");
    st_fake_add_reply(
        f, 400, NULL,
        "{\"__type\": \"InvalidRequestException\", \"message\": \"Invalid NextToken\"}");
    int rc = st_cmd_get_service_graph(&f->cli, N_ELEMS(window), window, &f->err);
    assert_true(rc < 0);
    assert_string_equal(f->err.code, "InvalidRequestException");
    assert_non_null(strstr(f->err.message, "Invalid NextToken"));
    assert_int_equal(f->n_calls, 2);
    assert_string_equal(st_fake_output(f), "");
}

/* --- get-trace-summaries --- */

static void add_summaries_page(struct st_fake_collector *f, const char *id, const char *next_token)
{
    Stratus__TraceSummary ts = STRATUS__TRACE_SUMMARY__INIT;
    ts.id = (char *)id;
    Stratus__TraceSummary *items[] = {&ts};
    Stratus__GetTraceSummariesResponse page = STRATUS__GET_TRACE_SUMMARIES_RESPONSE__INIT;
    page.trace_summaries = items;
    page.n_trace_summaries = 1;
    page.has_traces_processed_count = true;
    page.traces_processed_count = 1;
    page.next_token = (char *)next_token;
    st_fake_add_reply(f, 200, &page.base, NULL);
}

static void test_trace_summaries_follow_pages_with_the_filter(void **state)
{
    struct st_fake_collector *f = *state;
    add_summaries_page(f, "1-6553f100-000000000000000000000001", "5:1-6553f100-x");
    add_summaries_page(f, "1-6553f100-000000000000000000000002", NULL);
    char *argv[] = {"--start-time",        "2026-11-23T18:00:00Z",
                    "--end-time",          "2026-11-23T19:00:00Z",
                    "--filter-expression", "annotation[tier] = \"gold\"",
                    "--time-range-type",   "Event"};
    assert_int_equal(st_cmd_get_trace_summaries(&f->cli, N_ELEMS(argv), argv, &f->err), 0);
    assert_int_equal(f->n_calls, 2);
    for (size_t i = 0; i < 2; i++) {
        Stratus__GetTraceSummariesRequest *r = (Stratus__GetTraceSummariesRequest *)st_fake_request(
            f, i, "/v1/GetTraceSummaries", &stratus__get_trace_summaries_request__descriptor);
        assert_string_equal(r->filter_expression, "annotation[tier] = \"gold\"");
        assert_string_equal(r->time_range_type, "Event");
        if (i == 1) {
            assert_string_equal(r->next_token, "5:1-6553f100-x");
        } else {
            assert_null(r->next_token);
        }
        assert_false(r->has_sampling);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    json_object *out = output_json(f);
    json_object *items = member(out, "TraceSummaries");
    assert_int_equal(json_object_array_length(items), 2);
    assert_string_equal(json_object_get_string(member(json_object_array_get_idx(items, 1), "Id")),
                        "1-6553f100-000000000000000000000002");
    json_object_put(out);
}

/* --- batch-get-traces --- */

static void add_traces_reply(struct st_fake_collector *f, const char *id)
{
    Stratus__Segment seg = STRATUS__SEGMENT__INIT;
    seg.id = "000000000000000a";
    seg.document = "{\"name\": \"web\", \"inferred\": true}";
    Stratus__Segment *segs[] = {&seg};
    Stratus__Trace t = STRATUS__TRACE__INIT;
    t.id = (char *)id;
    t.segments = segs;
    t.n_segments = 1;
    Stratus__Trace *traces[] = {&t};
    Stratus__BatchGetTracesResponse r = STRATUS__BATCH_GET_TRACES_RESPONSE__INIT;
    r.traces = traces;
    r.n_traces = 1;
    st_fake_add_reply(f, 200, &r.base, NULL);
}

static void test_batch_get_traces_sends_five_ids_a_call(void **state)
{
    struct st_fake_collector *f = *state;
    add_traces_reply(f, "1-6553f100-000000000000000000000001");
    add_traces_reply(f, "1-6553f100-000000000000000000000006");
    char *argv[] = {"--trace-ids", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};
    assert_int_equal(st_cmd_batch_get_traces(&f->cli, N_ELEMS(argv), argv, &f->err), 0);
    assert_int_equal(f->n_calls, 2);
    static const size_t want_n[] = {5, 2};
    static const char *const want_first[] = {"t1", "t6"};
    for (size_t i = 0; i < 2; i++) {
        Stratus__BatchGetTracesRequest *r = (Stratus__BatchGetTracesRequest *)st_fake_request(
            f, i, "/v1/BatchGetTraces", &stratus__batch_get_traces_request__descriptor);
        assert_int_equal(r->n_trace_ids, want_n[i]);
        assert_string_equal(r->trace_ids[0], want_first[i]);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    json_object *out = output_json(f);
    json_object *traces = member(out, "Traces");
    assert_int_equal(json_object_array_length(traces), 2);
    json_object *seg =
        json_object_array_get_idx(member(json_object_array_get_idx(traces, 0), "Segments"), 0);
    /* The document stays a JSON string, as aws xray batch-get-traces prints it. */
    assert_string_equal(json_object_get_string(member(seg, "Document")),
                        "{\"name\": \"web\", \"inferred\": true}");
    json_object_put(out);
}

/* --- put-trace-segments --- */

static void test_put_trace_segments_prints_the_unprocessed(void **state)
{
    struct st_fake_collector *f = *state;
    Stratus__UnprocessedTraceSegment bad = STRATUS__UNPROCESSED_TRACE_SEGMENT__INIT;
    bad.id = "0000000000000005";
    bad.error_code = "InvalidTraceSegment";
    bad.message = "trace_id: missing";
    Stratus__UnprocessedTraceSegment *bads[] = {&bad};
    Stratus__PutTraceSegmentsResponse r = STRATUS__PUT_TRACE_SEGMENTS_RESPONSE__INIT;
    r.unprocessed_trace_segments = bads;
    r.n_unprocessed_trace_segments = 1;
    st_fake_add_reply(f, 200, &r.base, NULL);
    char *argv[] = {"--trace-segment-documents", "{\"name\": \"a\"}", "{\"name\": \"b\"}"};
    assert_int_equal(st_cmd_put_trace_segments(&f->cli, N_ELEMS(argv), argv, &f->err), 0);
    Stratus__PutTraceSegmentsRequest *req = (Stratus__PutTraceSegmentsRequest *)st_fake_request(
        f, 0, "/v1/PutTraceSegments", &stratus__put_trace_segments_request__descriptor);
    assert_int_equal(req->n_trace_segment_documents, 2);
    assert_string_equal(req->trace_segment_documents[1], "{\"name\": \"b\"}");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    json_object *out = output_json(f);
    json_object *u = json_object_array_get_idx(member(out, "UnprocessedTraceSegments"), 0);
    assert_string_equal(json_object_get_string(member(u, "Id")), "0000000000000005");
    assert_string_equal(json_object_get_string(member(u, "ErrorCode")), "InvalidTraceSegment");
    json_object_put(out);
}

/* --- usage --- */

typedef int (*verb_fn)(const struct st_cli *cli, int argc, char **argv, struct st_error *err);

static void test_usage_errors_call_nothing(void **state)
{
    struct st_fake_collector *f = *state;
    static const struct {
        verb_fn verb;
        const char *args[8];
        const char *want;
    } rows[] = {
        {st_cmd_get_service_graph, {"--start-time", "2026-11-23T18:00:00Z"}, "--end-time"},
        {st_cmd_get_service_graph,
         {"--start-time", "yesterday", "--end-time", "2026-11-23T19:00:00Z"},
         "--start-time: invalid time 'yesterday'"},
        {st_cmd_get_trace_summaries, {"--end-time", "2026-11-23T19:00:00Z"}, "--start-time"},
        {st_cmd_get_trace_summaries,
         {"--start-time", "2026-11-23T18:00:00Z", "--end-time", "2026-11-23T19:00:00Z",
          "--sampling", "yes"},
         "take no value"},
        {st_cmd_batch_get_traces, {"--trace-ids"}, "--trace-ids"},
        {st_cmd_put_trace_segments, {"--bogus", "x"}, "--bogus"},
        {st_cmd_put_trace_segments, {NULL}, "--trace-segment-documents"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        int argc = 0;
        while (argc < 8 && rows[i].args[argc]) {
            argc++;
        }
        struct st_error err = {{0}};
        int rc = rows[i].verb(&f->cli, argc, (char **)rows[i].args, &err);
        if (rc != -EINVAL || !strstr(err.message, rows[i].want)) {
            fail_msg("row %zu: got %d '%s', want -EINVAL '%s'", i, rc, err.message, rows[i].want);
        }
    }
    assert_int_equal(f->n_calls, 0);
    assert_string_equal(st_fake_output(f), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_service_graph_follows_every_page, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_service_graph_stops_at_a_failed_page, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_trace_summaries_follow_pages_with_the_filter,
                                        st_fake_setup, st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_batch_get_traces_sends_five_ids_a_call, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_put_trace_segments_prints_the_unprocessed,
                                        st_fake_setup, st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors_call_nothing, st_fake_setup,
                                        st_fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
