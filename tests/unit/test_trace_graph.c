/* SPDX-License-Identifier: MIT */
/*
 * Service graphs, summaries and full documents built from the fixture traces in
 * tests/data/traces/: each fixture lists segment documents (in arrival order) and the graph
 * X-Ray would draw from them (nodes with their statistics, edges with theirs). The test
 * assembles the traces, builds the GetServiceGraph response and compares every expected node
 * and edge, and that no other node exists; full documents nest independent subsegments and
 * add X-Ray's inferred segments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stratus/xray_filter.h"
#include "trace_graph.h"
#include "trace_query.h"

#define MAX_TRACES 16

struct loaded {
    json_object *fixture;
    struct st_trace *traces[MAX_TRACES];
    size_t n;
    struct st_arena arena;
};

static void load(struct loaded *l, const char *name)
{
    memset(l, 0, sizeof(*l));
    const char *dir = getenv("STRATUS_TEST_DATA");
    char path[4096];
    snprintf(path, sizeof(path), "%s/traces/%s", dir ? dir : "tests/data", name);
    l->fixture = json_object_from_file(path);
    if (!l->fixture) {
        fail_msg("cannot read %s", path);
    }
    st_arena_init(&l->arena, 64 * 1024, 0);
    json_object *segs = json_object_object_get(l->fixture, "segments");
    for (size_t i = 0; i < json_object_array_length(segs); i++) {
        const char *text = json_object_to_json_string(json_object_array_get_idx(segs, i));
        struct st_xray_doc *d = NULL;
        struct st_error err;
        if (st_xray_segment_parse((const uint8_t *)text, strlen(text), &d, &err) < 0) {
            fail_msg("%s: segment %zu: %s", name, i, err.message);
        }
        struct st_trace *t = NULL;
        for (size_t k = 0; k < l->n; k++) {
            if (strcmp(l->traces[k]->id, d->root.trace_id) == 0) {
                t = l->traces[k];
            }
        }
        if (!t) {
            assert_true(l->n < MAX_TRACES);
            t = l->traces[l->n++] = st_trace_new(d->root.trace_id);
            assert_non_null(t);
        }
        assert_true(st_trace_add(t, d) >= 0);
    }
}

static void unload(struct loaded *l)
{
    for (size_t i = 0; i < l->n; i++) {
        st_trace_free(l->traces[i]);
    }
    st_arena_fini(&l->arena);
    json_object_put(l->fixture);
}

static int64_t jint(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool same_type(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const Stratus__Service *find(const Stratus__GetServiceGraphResponse *g, const char *name,
                                    const char *type)
{
    for (size_t i = 0; i < g->n_services; i++) {
        if (strcmp(g->services[i]->name, name) == 0 && same_type(g->services[i]->type, type)) {
            return g->services[i];
        }
    }
    return NULL;
}

#define CHECK_STATS(where, st, want)                                                               \
    do {                                                                                           \
        assert_non_null(st);                                                                       \
        if ((st)->total_count != jint(want, "total") || (st)->ok_count != jint(want, "ok") ||      \
            (st)->error_statistics->other_count != jint(want, "error") ||                          \
            (st)->error_statistics->throttle_count != jint(want, "throttle") ||                    \
            (st)->error_statistics->total_count != jint(want, "error") + jint(want, "throttle") || \
            (st)->fault_statistics->total_count != jint(want, "fault")) {                          \
            fail_msg("%s: got total %lld ok %lld error %lld throttle %lld fault %lld, want %s",    \
                     where, (long long)(st)->total_count, (long long)(st)->ok_count,               \
                     (long long)(st)->error_statistics->other_count,                               \
                     (long long)(st)->error_statistics->throttle_count,                            \
                     (long long)(st)->fault_statistics->total_count,                               \
                     json_object_to_json_string(want));                                            \
        }                                                                                          \
    } while (0)

static void check_fixture(const char *name)
{
    struct loaded l;
    load(&l, name);
    struct st_trace_graph *g = st_trace_graph_new();
    assert_non_null(g);
    for (size_t i = 0; i < l.n; i++) {
        struct st_trace_assembly as;
        assert_int_equal(st_trace_assemble(l.traces[i], &l.arena, &as), 0);
        assert_int_equal(st_trace_graph_add(g, &as), 0);
    }
    Stratus__GetServiceGraphResponse resp;
    assert_int_equal(st_trace_graph_response(g, 0, 1, &l.arena, &resp), 0);
    json_object *want = json_object_object_get(l.fixture, "graph");
    if (resp.n_services != json_object_array_length(want)) {
        fail_msg("%s: %zu services, want %zu", name, resp.n_services,
                 json_object_array_length(want));
    }
    for (size_t i = 0; i < json_object_array_length(want); i++) {
        json_object *wn = json_object_array_get_idx(want, i);
        const char *wname = jstr(wn, "name"), *wtype = jstr(wn, "type");
        const Stratus__Service *s = find(&resp, wname, wtype);
        if (!s) {
            fail_msg("%s: no node %s (%s)", name, wname, wtype ? wtype : "no type");
        }
        char where[200];
        snprintf(where, sizeof(where), "%s: node %s", name, wname);
        bool client = wtype && strcmp(wtype, "client") == 0;
        json_object *root;
        assert_int_equal(s->root, json_object_object_get_ex(wn, "root", &root) &&
                                      json_object_get_boolean(root));
        if (client) {
            assert_null(s->summary_statistics);
        } else {
            CHECK_STATS(where, s->summary_statistics, wn);
            int64_t hist = 0;
            for (size_t k = 0; k < s->n_duration_histogram; k++) {
                hist += s->duration_histogram[k]->count;
            }
            assert_int_equal(hist, jint(wn, "total"));
        }
        json_object *wedges = json_object_object_get(wn, "edges");
        if (s->n_edges != json_object_array_length(wedges)) {
            fail_msg("%s: %zu edges, want %zu", where, s->n_edges,
                     json_object_array_length(wedges));
        }
        for (size_t k = 0; k < json_object_array_length(wedges); k++) {
            json_object *we = json_object_array_get_idx(wedges, k);
            const char *to_name = jstr(we, "to");
            assert_non_null(to_name);
            const Stratus__Service *to = find(&resp, to_name, jstr(we, "to_type"));
            assert_non_null(to);
            const Stratus__Edge *e = NULL;
            for (size_t j = 0; j < s->n_edges; j++) {
                if (s->edges[j]->reference_id == to->reference_id) {
                    e = s->edges[j];
                }
            }
            snprintf(where, sizeof(where), "%s: edge %s -> %s", name, wname, to_name);
            if (!e) {
                fail_msg("%s: missing", where);
            }
            CHECK_STATS(where, e->summary_statistics, we);
            double rt = json_object_get_double(json_object_object_get(we, "response_time"));
            if (fabs(e->summary_statistics->total_response_time - rt) > 1e-6) {
                fail_msg("%s: TotalResponseTime %g, want %g", where,
                         e->summary_statistics->total_response_time, rt);
            }
        }
    }
    /* ReferenceIds are 0..n-1 in name order. */
    for (size_t i = 0; i < resp.n_services; i++) {
        assert_int_equal(resp.services[i]->reference_id, (int32_t)i);
        if (i > 0) {
            assert_true(strcmp(resp.services[i - 1]->name, resp.services[i]->name) <= 0);
        }
    }
    st_trace_graph_free(g);
    unload(&l);
}

static void test_basic_inferred_remote_node(void **state)
{
    (void)state;
    check_fixture("basic.json");
}

static void test_callee_segment_replaces_inferred_node(void **state)
{
    (void)state;
    check_fixture("callee.json");
}

static void test_independent_and_in_progress_segments(void **state)
{
    (void)state;
    check_fixture("independent.json");
}

static bool matches(struct loaded *l, const char *expr)
{
    struct st_trace_assembly as;
    struct st_xf_trace facts;
    assert_int_equal(st_trace_assemble(l->traces[0], &l->arena, &as), 0);
    assert_int_equal(st_trace_facts(&as, &l->arena, &facts), 0);
    struct st_xray_filter *f = NULL;
    struct st_error err;
    if (st_xray_filter_parse((const uint8_t *)expr, strlen(expr), &f, &err) < 0) {
        fail_msg("%s: %s", expr, err.message);
    }
    bool r = st_xray_filter_match(f, &facts);
    st_xray_filter_free(f);
    return r;
}

static void test_filters_see_services_and_edges_of_a_trace(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "callee.json");
    assert_true(matches(&l, "service(\"api\") { throttle AND NOT root }"));
    assert_true(matches(&l, "edge(\"api\", \"DynamoDB\") { fault }"));
    assert_false(matches(&l, "edge(\"web\", \"DynamoDB\") { fault }"));
    assert_true(matches(&l, "edge(\"web\", \"api\") { throttle AND http.status = 429 }"));
    assert_true(matches(&l, "service(\"DynamoDB\") { inferred AND fault }"));
    assert_true(matches(&l, "service(\"x.example.com\") { error AND remote }"));
    assert_true(matches(&l, "throttle AND NOT fault AND ok = false"));
    assert_true(matches(&l, "responsetime = 1 AND NOT partial"));
    assert_false(matches(&l, "service(\"web\") { fault OR error }"));
    unload(&l);
}

static void test_summary_of_a_trace(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "independent.json");
    struct st_trace_assembly as;
    struct st_xf_trace facts;
    Stratus__TraceSummary ts;
    assert_int_equal(l.traces[0]->n_docs, 3); /* the in-progress duplicates collapsed */
    assert_int_equal(st_trace_assemble(l.traces[0], &l.arena, &as), 0);
    assert_int_equal(st_trace_facts(&as, &l.arena, &facts), 0);
    assert_int_equal(st_trace_summary(&as, &facts, &l.arena, &ts), 0);
    assert_string_equal(ts.id, "1-6553f100-000000000000000000000020");
    assert_true(ts.has_response_time && ts.response_time == 1.0);
    assert_true(ts.duration == 1.0);
    assert_false(ts.is_partial);
    assert_false(ts.has_fault); /* the segment itself did not fault, only its call */
    assert_int_equal(ts.n_service_ids, 3);
    assert_string_equal(ts.entry_point->name, "web");
    unload(&l);
}

static void test_documents_nest_independent_subsegments(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "independent.json");
    json_object *segs = json_object_object_get(l.fixture, "segments");
    /* As stored: the last version of each document. */
    int idx[] = {1, 2, 3};
    struct st_trace_raw_doc raw[3];
    for (int i = 0; i < 3; i++) {
        const char *s = json_object_to_json_string(json_object_array_get_idx(segs, idx[i]));
        raw[i] = (struct st_trace_raw_doc){(const uint8_t *)strdup(s), strlen(s)};
    }
    Stratus__Trace t;
    assert_int_equal(
        st_trace_documents("1-6553f100-000000000000000000000020", raw, 3, &l.arena, &t), 0);
    assert_int_equal(t.n_segments, 3); /* web, then the inferred db and cache */
    json_object *doc = json_tokener_parse(t.segments[0]->document);
    assert_non_null(doc);
    json_object *subs = json_object_object_get(doc, "subsegments");
    assert_int_equal(json_object_array_length(subs), 2);
    assert_string_equal(jstr(json_object_array_get_idx(subs, 0), "name"), "query");
    assert_null(jstr(json_object_array_get_idx(subs, 0), "type"));
    assert_null(jstr(json_object_array_get_idx(subs, 0), "parent_id"));
    assert_string_equal(jstr(json_object_array_get_idx(subs, 1), "name"), "cache");
    json_object_put(doc);
    for (int i = 0; i < 3; i++) {
        free((void *)raw[i].bytes);
    }
    unload(&l);
}

static bool jbool(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void test_documents_infer_downstream_segments(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "inferred.json");
    json_object *segs = json_object_object_get(l.fixture, "segments");
    struct st_trace_raw_doc raw[3];
    for (int i = 0; i < 3; i++) {
        const char *s = json_object_to_json_string(json_object_array_get_idx(segs, i));
        raw[i] = (struct st_trace_raw_doc){(const uint8_t *)strdup(s), strlen(s)};
    }
    Stratus__Trace t;
    assert_int_equal(
        st_trace_documents("1-6553f100-000000000000000000000030", raw, 3, &l.arena, &t), 0);
    /* web, auth and the orphan queue as sent, then one inferred segment per call that reached
     * no segment: not auth (it sent its own), slow (in progress) or inner (inside a call). */
    assert_int_equal(t.n_segments, 6);
    static const struct {
        const char *name, *parent_id, *origin;
        bool fault, error;
    } want[] = {
        {"DynamoDB", "000000000000c001", "AWS::DynamoDB::Table", false, false},
        {"api.partner", "000000000000c003", "remote", true, false},
        {"queue", "000000000000c006", "remote", false, true},
    };
    for (size_t i = 0; i < 3; i++) {
        json_object *doc = json_tokener_parse(t.segments[3 + i]->document);
        assert_non_null(doc);
        assert_string_equal(jstr(doc, "name"), want[i].name);
        assert_true(jbool(doc, "inferred"));
        assert_string_equal(jstr(doc, "parent_id"), want[i].parent_id);
        assert_string_equal(jstr(doc, "origin"), want[i].origin);
        assert_string_equal(jstr(doc, "trace_id"), "1-6553f100-000000000000000000000030");
        assert_int_equal(jbool(doc, "fault"), want[i].fault);
        assert_int_equal(jbool(doc, "error"), want[i].error);
        assert_null(jstr(doc, "namespace"));
        assert_null(json_object_object_get(doc, "subsegments"));
        /* The Segment's Id is the document's, a fresh id (not the call's), the same each time. */
        assert_string_equal(t.segments[3 + i]->id, jstr(doc, "id"));
        assert_int_equal(strlen(t.segments[3 + i]->id), 16);
        assert_string_not_equal(t.segments[3 + i]->id, want[i].parent_id);
        json_object_put(doc);
    }
    json_object *dynamo = json_tokener_parse(t.segments[3]->document);
    assert_string_equal(jstr(json_object_object_get(dynamo, "aws"), "table_name"), "orders");
    assert_int_equal(
        jint(json_object_object_get(json_object_object_get(dynamo, "http"), "response"), "status"),
        200);
    json_object_put(dynamo);
    Stratus__Trace again;
    assert_int_equal(
        st_trace_documents("1-6553f100-000000000000000000000030", raw, 3, &l.arena, &again), 0);
    assert_string_equal(again.segments[4]->id, t.segments[4]->id);
    for (int i = 0; i < 3; i++) {
        free((void *)raw[i].bytes);
    }
    unload(&l);
}

static void test_graph_pages_keep_reference_ids(void **state)
{
    (void)state;
    Stratus__Service svcs[5];
    Stratus__Service *ptrs[5];
    for (int i = 0; i < 5; i++) {
        stratus__service__init(&svcs[i]);
        svcs[i].has_reference_id = true;
        svcs[i].reference_id = i;
        ptrs[i] = &svcs[i];
    }
    static const struct {
        size_t first, max, want_n;
        int want_ref;
        bool more;
    } cases[] = {
        {0, 2, 2, 0, true},  {2, 2, 2, 2, true},   {4, 2, 1, 4, false},
        {0, 5, 5, 0, false}, {5, 2, 0, -1, false}, {9, 2, 0, -1, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Stratus__GetServiceGraphResponse resp = STRATUS__GET_SERVICE_GRAPH_RESPONSE__INIT;
        resp.services = ptrs;
        resp.n_services = 5;
        bool more = st_trace_graph_page(&resp, cases[i].first, cases[i].max);
        assert_int_equal(more, cases[i].more);
        assert_int_equal(resp.n_services, cases[i].want_n);
        if (cases[i].want_n) {
            assert_int_equal(resp.services[0]->reference_id, cases[i].want_ref);
        }
    }
}

static void test_graph_tokens_belong_to_their_window(void **state)
{
    (void)state;
    char token[ST_TRACE_GRAPH_TOKEN_LEN];
    st_trace_graph_token(token, 1700000000000, 1700000600000, 100);
    size_t first = 0;
    assert_int_equal(st_trace_graph_token_parse(token, 1700000000000, 1700000600000, &first), 0);
    assert_int_equal(first, 100);
    /* Another window's token, and tokens this did not make. */
    assert_int_equal(st_trace_graph_token_parse(token, 1700000000000, 1700000600001, &first),
                     -EINVAL);
    static const char *const bad[] = {
        "",
        "100",
        "sg1:1700000000000:1700000600000",
        "sg1:1700000000000:1700000600000:",
        "sg1:1700000000000:1700000600000:-1",
        "sg1:1700000000000:1700000600000:0100",
        "sg1:1700000000000:1700000600000:+100",
        "sg1:1700000000000:1700000600000:100x",
        "sg1:1700000000000:1700000600000: 100",
        "sg2:1700000000000:1700000600000:100",
        "sg1:1700000000000:1700000600000:99999999999999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        first = 7;
        if (st_trace_graph_token_parse(bad[i], 1700000000000, 1700000600000, &first) != -EINVAL) {
            fail_msg("'%s' was taken", bad[i]);
        }
        assert_int_equal(first, 7);
    }
}

static void test_histogram_values_keep_two_digits(void **state)
{
    (void)state;
    assert_true(st_trace_histogram_value(0.123) == 0.12);
    assert_true(st_trace_histogram_value(1.0) == 1.0);
    assert_true(st_trace_histogram_value(0.0456) == 0.046);
    assert_true(st_trace_histogram_value(123.0) == 120.0);
    assert_true(st_trace_histogram_value(0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_inferred_remote_node),
        cmocka_unit_test(test_callee_segment_replaces_inferred_node),
        cmocka_unit_test(test_independent_and_in_progress_segments),
        cmocka_unit_test(test_filters_see_services_and_edges_of_a_trace),
        cmocka_unit_test(test_summary_of_a_trace),
        cmocka_unit_test(test_documents_nest_independent_subsegments),
        cmocka_unit_test(test_documents_infer_downstream_segments),
        cmocka_unit_test(test_graph_pages_keep_reference_ids),
        cmocka_unit_test(test_graph_tokens_belong_to_their_window),
        cmocka_unit_test(test_histogram_values_keep_two_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
