/* SPDX-License-Identifier: MIT */
/*
 * Tests of the --metric-data JSON parser (cli/metric_data_json.h): valid batches in the aws
 * CLI's shape and what they become on the wire (packed and decoded again), and a table of
 * invalid inputs, each run as its own test that checks the message names the field. The parsed
 * datums live in the fixture, so a failed assert does not leak them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/cli.h"
#include "../../cli/metric_data_json.h"
#include "stratus/alloc.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct bad_row;

struct fixture {
    const struct bad_row *row; /* the table row a row test runs */
    Stratus__MetricDatum **datums;
    size_t n;
    Stratus__PutMetricDataRequest *decoded;
    char *text;
};

/* *state holds the test's initial_state (a table row, or NULL) on the way in. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    f->row = *state;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_disarm();
    st_metric_data_free(f->datums, f->n);
    stratus__put_metric_data_request__free_unpacked(f->decoded, NULL);
    free(f->text);
    free(f);
    return 0;
}

static int parse(struct fixture *f, const char *json, struct st_error *err)
{
    return st_metric_data_json_parse((const uint8_t *)json, strlen(json), &f->datums, &f->n, err);
}

static void test_full_datum(void **state)
{
    struct fixture *f = *state;
    struct st_error err = {{0}};
    int rc = parse(f,
                   "[{\"MetricName\": \"Lat\", \"Dimensions\": [{\"Name\": \"Host\", \"Value\": "
                   "\"h1\"}, {\"Name\": \"Api\", \"Value\": \"get\"}], \"Timestamp\": "
                   "\"2026-11-23T18:00:07Z\", \"Value\": 12.5, \"Unit\": \"Milliseconds\", "
                   "\"StorageResolution\": 1}]",
                   &err);
    assert_int_equal(rc, 0);
    assert_int_equal(f->n, 1);
    Stratus__MetricDatum *d = f->datums[0];
    assert_string_equal(d->metric_name, "Lat");
    assert_int_equal(d->n_dimensions, 2);
    assert_string_equal(d->dimensions[1]->name, "Api");
    assert_string_equal(d->dimensions[1]->value, "get");
    assert_true(d->has_timestamp_ms);
    assert_int_equal(d->timestamp_ms, 1795456807000LL);
    assert_true(d->has_value);
    assert_true(d->value == 12.5);
    assert_string_equal(d->unit, "Milliseconds");
    assert_true(d->has_storage_resolution);
    assert_int_equal(d->storage_resolution, 1);
    assert_null(d->statistic_values);
    assert_int_equal(d->n_values, 0);
}

static void test_epoch_number_timestamp(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        parse(f, "[{\"MetricName\": \"M\", \"Value\": 1, \"Timestamp\": 1795456807.25}]", NULL), 0);
    assert_int_equal(f->datums[0]->timestamp_ms, 1795456807250LL);
}

static void test_statistic_values(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f,
                           "[{\"MetricName\": \"M\", \"StatisticValues\": {\"SampleCount\": 4, "
                           "\"Sum\": 100, \"Minimum\": 10, \"Maximum\": 40.5}}]",
                           NULL),
                     0);
    Stratus__StatisticSet *s = f->datums[0]->statistic_values;
    assert_non_null(s);
    assert_true(s->has_sample_count && s->has_sum && s->has_minimum && s->has_maximum);
    assert_true(s->sample_count == 4 && s->sum == 100 && s->minimum == 10 && s->maximum == 40.5);
}

static void test_values_and_counts(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f,
                           "[{\"MetricName\": \"M\", \"Values\": [1, 2.5, 3], \"Counts\": [4, 5, "
                           "6]}, {\"MetricName\": \"N\", \"Values\": [7]}]",
                           NULL),
                     0);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->datums[0]->n_values, 3);
    assert_true(f->datums[0]->values[1] == 2.5);
    assert_int_equal(f->datums[0]->n_counts, 3);
    assert_true(f->datums[0]->counts[2] == 6);
    assert_int_equal(f->datums[1]->n_values, 1);
    assert_int_equal(f->datums[1]->n_counts, 0);
}

static void test_whitespace_around_the_list(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "\n  [{\"MetricName\": \"M\", \"Value\": 1}]\n\n", NULL), 0);
}

static void test_thousand_datums_fit(void **state)
{
    struct fixture *f = *state;
    static const char item[] = "{\"MetricName\": \"M\", \"Value\": 1},";
    f->text = malloc(1000 * sizeof(item) + 4);
    assert_non_null(f->text);
    char *p = f->text;
    *p++ = '[';
    for (int i = 0; i < 1000; i++) {
        memcpy(p, item, sizeof(item) - 1);
        p += sizeof(item) - 1;
    }
    p[-1] = ']';
    *p = '\0';
    assert_int_equal(parse(f, f->text, NULL), 0);
    assert_int_equal(f->n, 1000);
}

static void test_more_than_thousand_datums(void **state)
{
    struct fixture *f = *state;
    static const char item[] = "{\"MetricName\": \"M\", \"Value\": 1},";
    f->text = malloc(1001 * sizeof(item) + 4);
    assert_non_null(f->text);
    char *p = f->text;
    *p++ = '[';
    for (int i = 0; i < 1001; i++) {
        memcpy(p, item, sizeof(item) - 1);
        p += sizeof(item) - 1;
    }
    p[-1] = ']';
    *p = '\0';
    struct st_error err = {{0}};
    assert_int_equal(parse(f, f->text, &err), -EINVAL);
    assert_string_equal(err.code, ST_CLI_ERR_USAGE);
    assert_non_null(strstr(err.message, "1001 items, at most 1000"));
    assert_null(f->datums);
}

/* The wire form: packed into a request and decoded again, every field survives. */
static void test_round_trips_through_protobuf(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f,
                           "[{\"MetricName\": \"Lat\", \"Dimensions\": [{\"Name\": \"Host\", "
                           "\"Value\": \"h1\"}], \"Values\": [1, 2], \"Counts\": [3, 4], "
                           "\"Unit\": \"Count\", \"Timestamp\": 1795456807}]",
                           NULL),
                     0);
    Stratus__PutMetricDataRequest req = STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    req.namespace_ = "Bars/Test";
    req.metric_data = f->datums;
    req.n_metric_data = f->n;
    size_t len = stratus__put_metric_data_request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    stratus__put_metric_data_request__pack(&req, buf);
    f->decoded = stratus__put_metric_data_request__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(f->decoded);
    assert_string_equal(f->decoded->namespace_, "Bars/Test");
    assert_int_equal(f->decoded->n_metric_data, 1);
    Stratus__MetricDatum *d = f->decoded->metric_data[0];
    assert_string_equal(d->metric_name, "Lat");
    assert_string_equal(d->dimensions[0]->value, "h1");
    assert_int_equal(d->n_values, 2);
    assert_true(d->counts[1] == 4);
    assert_string_equal(d->unit, "Count");
    assert_int_equal(d->timestamp_ms, 1795456807000LL);
    assert_false(d->has_value);
    assert_false(d->has_storage_resolution);
}

static void test_survives_allocation_failure(void **state)
{
    struct fixture *f = *state;
    static const char json[] =
        "[{\"MetricName\": \"Lat\", \"Dimensions\": [{\"Name\": \"Host\", \"Value\": \"h1\"}], "
        "\"Values\": [1, 2], \"Counts\": [3, 4], \"Unit\": \"Count\"}, {\"MetricName\": \"M\", "
        "\"StatisticValues\": {\"SampleCount\": 1, \"Sum\": 1, \"Minimum\": 1, \"Maximum\": 1}}]";
    int rc = -ENOMEM;
    for (unsigned long k = 1; rc == -ENOMEM; k++) {
        assert_true(k < 200);
        struct st_error err = {{0}};
        st_alloc_fail_after(k);
        rc = parse(f, json, &err);
        st_alloc_fail_disarm();
        if (rc == -ENOMEM) {
            assert_null(f->datums);
            assert_string_equal(err.message, "out of memory");
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(f->n, 2);
}

/* Invalid inputs: each row must fail with -EINVAL and a message containing want. */
struct bad_row {
    const char *name;
    const char *json;
    const char *want;
};

static const struct bad_row bad_rows[] = {
    {"empty input", "", "not valid JSON"},
    {"not json", "[{MetricName: 1}]", "not valid JSON"},
    {"truncated", "[{\"MetricName\": \"M\"", "not valid JSON"},
    {"trailing junk", "[{\"MetricName\": \"M\", \"Value\": 1}] x", "not valid JSON"},
    {"two documents", "[] []", "not valid JSON"},
    {"trailing comma", "[{\"MetricName\": \"M\", \"Value\": 1},]", "not valid JSON"},
    {"an object", "{\"MetricName\": \"M\", \"Value\": 1}",
     "parameter MetricData: got an object, want a list"},
    {"a string", "\"M\"", "parameter MetricData: got a string, want a list"},
    {"a number", "12", "parameter MetricData: got a number, want a list"},
    {"empty list", "[]", "the list is empty"},
    {"datum not an object", "[{\"MetricName\": \"M\", \"Value\": 1}, 3]",
     "parameter MetricData[1]: got a number, want an object"},
    {"missing MetricName", "[{\"Value\": 1}]",
     "missing required parameter in MetricData[0]: \"MetricName\""},
    {"MetricName a number", "[{\"MetricName\": 3, \"Value\": 1}]",
     "MetricData[0].MetricName: got a number, want a string"},
    {"MetricName null", "[{\"MetricName\": null, \"Value\": 1}]",
     "MetricData[0].MetricName: got null, want a string"},
    {"MetricName with NUL", "[{\"MetricName\": \"a\\u0000b\", \"Value\": 1}]",
     "MetricData[0].MetricName: contains a NUL"},
    {"Value a string", "[{\"MetricName\": \"M\", \"Value\": \"12\"}]",
     "MetricData[0].Value: got a string, want a number"},
    {"Value a boolean", "[{\"MetricName\": \"M\", \"Value\": true}]",
     "MetricData[0].Value: got a boolean, want a number"},
    {"Value too large", "[{\"MetricName\": \"M\", \"Value\": 1e999}]", "MetricData[0].Value"},
    {"unknown key", "[{\"MetricName\": \"M\", \"Value\": 1, \"Valeu\": 2}]",
     "unknown parameter in MetricData[0]: \"Valeu\""},
    {"no value at all", "[{\"MetricName\": \"M\"}]",
     "MetricData[0]: give exactly one of Value, StatisticValues and Values"},
    {"Value and Values", "[{\"MetricName\": \"M\", \"Value\": 1, \"Values\": [1]}]",
     "exactly one of"},
    {"Dimensions an object", "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": {}}]",
     "MetricData[0].Dimensions: got an object, want a list"},
    {"Dimension a string", "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [\"Host\"]}]",
     "MetricData[0].Dimensions[0]: got a string, want an object"},
    {"Dimension without Value",
     "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [{\"Name\": \"Host\"}]}]",
     "missing required parameter in MetricData[0].Dimensions[0]: \"Value\""},
    {"Dimension Value a number",
     "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [{\"Name\": \"H\", \"Value\": 1}]}]",
     "MetricData[0].Dimensions[0].Value: got a number, want a string"},
    {"Dimension unknown key",
     "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [{\"Name\": \"H\", \"Value\": \"a\", "
     "\"X\": 1}]}]",
     "unknown parameter in MetricData[0].Dimensions[0]: \"X\""},
    {"Values not a list", "[{\"MetricName\": \"M\", \"Values\": 1}]",
     "MetricData[0].Values: got a number, want a list"},
    {"Values item a string", "[{\"MetricName\": \"M\", \"Values\": [1, \"2\"]}]",
     "MetricData[0].Values[1]: got a string, want a number"},
    {"Counts without Values", "[{\"MetricName\": \"M\", \"Value\": 1, \"Counts\": [1]}]",
     "MetricData[0]: Counts needs Values"},
    {"Counts shorter than Values", "[{\"MetricName\": \"M\", \"Values\": [1, 2], \"Counts\": [1]}]",
     "Counts has 1 items but Values has 2"},
    {"StatisticValues missing Sum",
     "[{\"MetricName\": \"M\", \"StatisticValues\": {\"SampleCount\": 1, \"Minimum\": 1, "
     "\"Maximum\": 1}}]",
     "missing required parameter in MetricData[0].StatisticValues: \"Sum\""},
    {"StatisticValues unknown key",
     "[{\"MetricName\": \"M\", \"StatisticValues\": {\"SampleCount\": 1, \"Sum\": 1, \"Minimum\": "
     "1, \"Maximum\": 1, \"Avg\": 1}}]",
     "unknown parameter in MetricData[0].StatisticValues: \"Avg\""},
    {"StatisticValues a list", "[{\"MetricName\": \"M\", \"StatisticValues\": [1, 2, 3, 4]}]",
     "MetricData[0].StatisticValues: got a list, want an object"},
    {"Timestamp not a time", "[{\"MetricName\": \"M\", \"Value\": 1, \"Timestamp\": \"now\"}]",
     "MetricData[0].Timestamp: not an ISO 8601 time"},
    {"Timestamp an object", "[{\"MetricName\": \"M\", \"Value\": 1, \"Timestamp\": {}}]",
     "MetricData[0].Timestamp: got an object, want a string or a number"},
    {"Timestamp out of range", "[{\"MetricName\": \"M\", \"Value\": 1, \"Timestamp\": 1e300}]",
     "MetricData[0].Timestamp: time out of range"},
    {"Unit unknown", "[{\"MetricName\": \"M\", \"Value\": 1, \"Unit\": \"Millis\"}]",
     "MetricData[0].Unit: not a CloudWatch unit"},
    {"StorageResolution a float",
     "[{\"MetricName\": \"M\", \"Value\": 1, \"StorageResolution\": 1.5}]",
     "MetricData[0].StorageResolution: got a number, want an integer"},
    {"StorageResolution huge",
     "[{\"MetricName\": \"M\", \"Value\": 1, \"StorageResolution\": 99999999999}]",
     "MetricData[0].StorageResolution: out of range"},
    {"error in a later datum",
     "[{\"MetricName\": \"M\", \"Value\": 1}, {\"MetricName\": \"N\", \"Value\": [1]}]",
     "MetricData[1].Value: got a list, want a number"},
};

/* Each row runs as its own test (the test name is the row name). */
static void run_bad_row(void **state)
{
    struct fixture *f = *state;
    const struct bad_row *row = f->row;
    struct st_error err = {{0}};
    int rc = parse(f, row->json, &err);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err.code, ST_CLI_ERR_USAGE);
    if (!strstr(err.message, row->want)) {
        fail_msg("message '%s' lacks '%s'", err.message, row->want);
    }
    assert_null(f->datums);
}

static void test_values_over_150(void **state)
{
    struct fixture *f = *state;
    f->text = malloc(151 * 3 + 64);
    assert_non_null(f->text);
    char *p = f->text + sprintf(f->text, "[{\"MetricName\": \"M\", \"Values\": [");
    for (int i = 0; i < 151; i++) {
        p += sprintf(p, "%s1", i ? "," : "");
    }
    strcpy(p, "]}]");
    struct st_error err = {{0}};
    assert_int_equal(parse(f, f->text, &err), -EINVAL);
    assert_non_null(strstr(err.message, "MetricData[0].Values: 151 items, at most 150"));
}

static void test_dimensions_over_30(void **state)
{
    struct fixture *f = *state;
    f->text = malloc(31 * 40 + 64);
    assert_non_null(f->text);
    char *p =
        f->text + sprintf(f->text, "[{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [");
    for (int i = 0; i < 31; i++) {
        p += sprintf(p, "%s{\"Name\": \"D%d\", \"Value\": \"v\"}", i ? "," : "", i);
    }
    strcpy(p, "]}]");
    struct st_error err = {{0}};
    assert_int_equal(parse(f, f->text, &err), -EINVAL);
    assert_non_null(strstr(err.message, "MetricData[0].Dimensions: 31 items, at most 30"));
}

static void test_nul_byte_in_input(void **state)
{
    struct fixture *f = *state;
    static const uint8_t json[] = "[{\"MetricName\": \"M\", \"Value\": 1}]\0junk";
    struct st_error err = {{0}};
    assert_int_equal(st_metric_data_json_parse(json, sizeof(json) - 1, &f->datums, &f->n, &err),
                     -EINVAL);
    assert_non_null(strstr(err.message, "not valid JSON"));
}

#define MAX_TESTS (N_ELEMS(bad_rows) + 32)

int main(void)
{
    static struct CMUnitTest tests[MAX_TESTS];
    size_t n = 0;
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(test_full_datum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_number_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistic_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whitespace_around_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thousand_datums_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_than_thousand_datums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trips_through_protobuf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survives_allocation_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_over_150, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dimensions_over_30, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_byte_in_input, setup, teardown),
    };
    for (size_t i = 0; i < N_ELEMS(fixed); i++) {
        tests[n++] = fixed[i];
    }
    for (size_t i = 0; i < N_ELEMS(bad_rows); i++) {
        tests[n++] = (struct CMUnitTest){bad_rows[i].name, run_bad_row, setup, teardown,
                                         (void *)&bad_rows[i]};
    }
    return _cmocka_run_group_tests("cli_metric_data_json", tests, n, NULL, NULL);
}
