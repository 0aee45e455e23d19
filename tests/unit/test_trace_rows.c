/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the trace waterfall rows (viewer/trace_rows.c): nesting across documents by
 * parent_id, sibling order by start time, depths, status precedence, in-progress rows, a
 * parent_id cycle, and the time-to-x mapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "trace_rows.h"

#define TID "1-5f000000-000000000000000000000001"

struct fixture {
    struct st_xray_doc *docs[4];
    size_t n;
    struct st_trace_rows rows;
};

static void parse(struct fixture *f, const char *json)
{
    struct st_error err;
    int r = st_xray_segment_parse((const uint8_t *)json, strlen(json), &f->docs[f->n], &err);
    if (r < 0) {
        fail_msg("%s", err.message);
    }
    f->n++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return f ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_trace_rows_fini(&f->rows);
    for (size_t i = 0; i < f->n; i++) {
        st_xray_doc_free(f->docs[i]);
    }
    free(f);
    return 0;
}

/* web (1600000100 .. 1600000101 s) calls db (fault) and then api; api's own segment hangs under the
 * call. */
static void load_two_services(struct fixture *f)
{
    parse(
        f,
        "{\"name\":\"api\",\"id\":\"00000000000000a1\",\"trace_id\":\"" TID "\","
        "\"parent_id\":\"00000000000000c2\",\"start_time\":1600000100.5,\"end_time\":1600000100.9,"
        "\"error\":true,\"subsegments\":[{\"name\":\"s3\",\"id\":\"00000000000000a2\","
        "\"start_time\":1600000100.6,\"end_time\":1600000100.7,\"throttle\":true}]}");
    parse(f, "{\"name\":\"web\",\"id\":\"00000000000000c0\",\"trace_id\":\"" TID "\","
             "\"start_time\":1600000100.0,\"end_time\":1600000101.0,\"subsegments\":["
             "{\"name\":\"call api\",\"id\":\"00000000000000c2\",\"start_time\":1600000100.4,"
             "\"end_time\":1600000100.95},"
             "{\"name\":\"db\",\"id\":\"00000000000000c1\",\"start_time\":1600000100.1,"
             "\"end_time\":1600000100.3,\"fault\":true,\"error\":true}]}");
}

static void test_documents_nest_under_the_subsegment_that_called_them(void **state)
{
    struct fixture *f = *state;
    load_two_services(f);
    assert_int_equal(st_trace_rows_build(f->docs, f->n, &f->rows), 0);
    assert_int_equal(f->rows.n, 5);
    const char *want[] = {"web", "db", "call api", "api", "s3"};
    int depth[] = {0, 1, 1, 2, 3};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(f->rows.rows[i].seg->name, want[i]);
        assert_int_equal(f->rows.rows[i].depth, depth[i]);
    }
    assert_true(f->rows.rows[0].is_segment);
    assert_false(f->rows.rows[2].is_segment);
    assert_true(f->rows.rows[3].is_segment);
}

static void test_status_prefers_fault_then_error_then_throttle(void **state)
{
    struct fixture *f = *state;
    load_two_services(f);
    assert_int_equal(st_trace_rows_build(f->docs, f->n, &f->rows), 0);
    assert_int_equal(f->rows.rows[0].status, ST_TRACE_OK);
    assert_int_equal(f->rows.rows[1].status, ST_TRACE_FAULT);
    assert_int_equal(f->rows.rows[3].status, ST_TRACE_ERROR);
    assert_int_equal(f->rows.rows[4].status, ST_TRACE_THROTTLE);
}

static void test_span_and_x_mapping(void **state)
{
    struct fixture *f = *state;
    load_two_services(f);
    assert_int_equal(st_trace_rows_build(f->docs, f->n, &f->rows), 0);
    assert_true(f->rows.t0_s == 1600000100.0);
    assert_true(f->rows.t1_s == 1600000101.0);
    assert_true(st_trace_rows_x(&f->rows, 1600000100.0, 200, 800) == 200.0);
    assert_true(st_trace_rows_x(&f->rows, 1600000101.0, 200, 800) == 1000.0);
    double x = st_trace_rows_x(&f->rows, 1600000100.25, 200, 800);
    assert_true(x > 399.99 && x < 400.01);
}

static void test_in_progress_row_runs_to_the_end_of_the_trace(void **state)
{
    struct fixture *f = *state;
    parse(
        f,
        "{\"name\":\"web\",\"id\":\"00000000000000c0\",\"trace_id\":\"" TID "\","
        "\"start_time\":1600000010.0,\"end_time\":1600000012.0,\"subsegments\":[{\"name\":\"slow\","
        "\"id\":\"00000000000000c1\",\"start_time\":1600000011.0,\"in_progress\":true}]}");
    assert_int_equal(st_trace_rows_build(f->docs, f->n, &f->rows), 0);
    assert_int_equal(f->rows.n, 2);
    assert_true(f->rows.rows[1].end_s == 1600000012.0);
}

static void test_a_parent_id_cycle_still_shows_every_row(void **state)
{
    struct fixture *f = *state;
    parse(f,
          "{\"name\":\"a\",\"id\":\"00000000000000a0\",\"trace_id\":\"" TID "\","
          "\"parent_id\":\"00000000000000b1\",\"start_time\":1600000001,\"end_time\":1600000002,"
          "\"subsegments\":[{\"name\":\"a1\",\"id\":\"00000000000000a1\",\"start_time\":1600000001,"
          "\"end_time\":1600000002}]}");
    parse(f,
          "{\"name\":\"b\",\"id\":\"00000000000000b0\",\"trace_id\":\"" TID "\","
          "\"parent_id\":\"00000000000000a1\",\"start_time\":1600000001,\"end_time\":1600000002,"
          "\"subsegments\":[{\"name\":\"b1\",\"id\":\"00000000000000b1\",\"start_time\":1600000001,"
          "\"end_time\":1600000002}]}");
    assert_int_equal(st_trace_rows_build(f->docs, f->n, &f->rows), 0);
    assert_int_equal(f->rows.n, 4);
    assert_string_equal(f->rows.rows[0].seg->name, "a");
    assert_int_equal(f->rows.rows[0].depth, 0);
    assert_int_equal(f->rows.rows[3].depth, 3);
}

static void test_no_documents_no_rows(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_trace_rows_build(NULL, 0, &f->rows), 0);
    assert_int_equal(f->rows.n, 0);
    assert_true(f->rows.t1_s > f->rows.t0_s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_documents_nest_under_the_subsegment_that_called_them,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_prefers_fault_then_error_then_throttle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_span_and_x_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_progress_row_runs_to_the_end_of_the_trace, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_parent_id_cycle_still_shows_every_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_documents_no_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
