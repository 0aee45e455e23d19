/* SPDX-License-Identifier: MIT */
/*
 * Tests of the CLI's output (cli/output.h and the json_writer.h it prints through): floats as
 * Python's repr prints them, timestamps as datetime.isoformat, string escaping as json.dumps,
 * and the exact bytes of get-metric-statistics and list-metrics results, which must equal what
 * the aws CLI prints for the same response. Output goes to an open_memstream buffer kept in the
 * fixture.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/json_writer.h"
#include "../../cli/output.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct sink {
    FILE *f;
    char *buf;
    size_t len;
};

static int setup(void **state)
{
    struct sink *s = calloc(1, sizeof(*s));
    if (!s) {
        return -1;
    }
    s->f = open_memstream(&s->buf, &s->len);
    *state = s;
    return s->f ? 0 : -1;
}

static int teardown(void **state)
{
    struct sink *s = *state;
    fclose(s->f);
    free(s->buf);
    free(s);
    return 0;
}

static const char *text(struct sink *s)
{
    fflush(s->f);
    return s->buf;
}

static void test_double_like_python_repr(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } rows[] = {
        {4, "4.0"},
        {25, "25.0"},
        {12.5, "12.5"},
        {990, "990.0"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {-3.25, "-3.25"},
        {0, "0.0"},
        {-0.0, "-0.0"},
        {1e16, "1e+16"},
        {1234567890123456.0, "1234567890123456.0"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {0.0001, "0.0001"},
        {0.00001, "1e-05"},
        {2.5e-7, "2.5e-07"},
        {1.5e300, "1.5e+300"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {100, "100.0"},
        {1e15, "1000000000000000.0"},
        {NAN, "NaN"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        char buf[32];
        st_json_format_double(rows[i].v, buf, sizeof(buf));
        assert_string_equal(buf, rows[i].want);
    }
}

static void test_time_like_isoformat(void **state)
{
    (void)state;
    char buf[40];
    st_output_format_time(1795456800000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-23T18:00:00+00:00");
    st_output_format_time(1795456800250LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-23T18:00:00.250000+00:00");
    st_output_format_time(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
    st_output_format_time(-1, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T23:59:59.999000+00:00");
}

static void test_strings_escaped_like_json_dumps(void **state)
{
    struct sink *s = *state;
    struct st_json_writer w;
    st_json_writer_init(&w, s->f);
    st_json_string(&w, "a\"b\\c\n\t\x01\x7f\xc3\xa9/");
    assert_string_equal(text(s), "\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xc3\xa9/\"");
}

static void test_empty_containers_stay_on_one_line(void **state)
{
    struct sink *s = *state;
    struct st_json_writer w;
    st_json_writer_init(&w, s->f);
    st_json_begin_object(&w);
    st_json_key(&w, "A");
    st_json_begin_array(&w);
    st_json_end_array(&w);
    st_json_key(&w, "B");
    st_json_begin_object(&w);
    st_json_end_object(&w);
    st_json_key(&w, "C");
    st_json_int(&w, -3);
    st_json_end_object(&w);
    st_json_end(&w);
    assert_string_equal(text(s), "{\n    \"A\": [],\n    \"B\": {},\n    \"C\": -3\n}\n");
}

static Stratus__Datapoint *point(Stratus__Datapoint *d, int64_t t, double n, double sum, double min,
                                 double max)
{
    stratus__datapoint__init(d);
    d->has_timestamp_ms = true;
    d->timestamp_ms = t;
    d->has_sample_count = d->has_average = d->has_sum = d->has_minimum = d->has_maximum = true;
    d->sample_count = n;
    d->average = sum / n;
    d->sum = sum;
    d->minimum = min;
    d->maximum = max;
    d->unit = "Milliseconds";
    return d;
}

static void test_statistics_sorted_and_shaped_like_aws(void **state)
{
    struct sink *s = *state;
    Stratus__Datapoint a, b;
    Stratus__Datapoint *points[] = {point(&a, 1795456860000LL, 2, 25, 10, 15),
                                    point(&b, 1795456800000LL, 4, 100, 10, 40)};
    Stratus__GetMetricStatisticsResponse resp = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    resp.label = "Lat";
    resp.datapoints = points;
    resp.n_datapoints = 2;
    st_output_statistics(s->f, &resp);
    assert_string_equal(text(s), "{\n"
                                 "    \"Label\": \"Lat\",\n"
                                 "    \"Datapoints\": [\n"
                                 "        {\n"
                                 "            \"Timestamp\": \"2026-11-23T18:00:00+00:00\",\n"
                                 "            \"SampleCount\": 4.0,\n"
                                 "            \"Average\": 25.0,\n"
                                 "            \"Sum\": 100.0,\n"
                                 "            \"Minimum\": 10.0,\n"
                                 "            \"Maximum\": 40.0,\n"
                                 "            \"Unit\": \"Milliseconds\"\n"
                                 "        },\n"
                                 "        {\n"
                                 "            \"Timestamp\": \"2026-11-23T18:01:00+00:00\",\n"
                                 "            \"SampleCount\": 2.0,\n"
                                 "            \"Average\": 12.5,\n"
                                 "            \"Sum\": 25.0,\n"
                                 "            \"Minimum\": 10.0,\n"
                                 "            \"Maximum\": 15.0,\n"
                                 "            \"Unit\": \"Milliseconds\"\n"
                                 "        }\n"
                                 "    ]\n"
                                 "}\n");
}

static void test_statistics_with_percentiles(void **state)
{
    struct sink *s = *state;
    Stratus__ExtendedStatistic p50 = STRATUS__EXTENDED_STATISTIC__INIT;
    Stratus__ExtendedStatistic p99 = STRATUS__EXTENDED_STATISTIC__INIT;
    p50.name = "p50";
    p50.has_value = true;
    p50.value = 500;
    p99.name = "p99.9";
    p99.has_value = true;
    p99.value = 990.5;
    Stratus__ExtendedStatistic *ext[] = {&p50, &p99};
    Stratus__Datapoint d = STRATUS__DATAPOINT__INIT;
    d.has_timestamp_ms = true;
    d.timestamp_ms = 1795456800000LL;
    d.unit = "Count";
    d.extended_statistics = ext;
    d.n_extended_statistics = 2;
    Stratus__Datapoint *points[] = {&d};
    Stratus__GetMetricStatisticsResponse resp = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    resp.label = "Pct";
    resp.datapoints = points;
    resp.n_datapoints = 1;
    st_output_statistics(s->f, &resp);
    assert_string_equal(text(s), "{\n"
                                 "    \"Label\": \"Pct\",\n"
                                 "    \"Datapoints\": [\n"
                                 "        {\n"
                                 "            \"Timestamp\": \"2026-11-23T18:00:00+00:00\",\n"
                                 "            \"Unit\": \"Count\",\n"
                                 "            \"ExtendedStatistics\": {\n"
                                 "                \"p50\": 500.0,\n"
                                 "                \"p99.9\": 990.5\n"
                                 "            }\n"
                                 "        }\n"
                                 "    ]\n"
                                 "}\n");
}

static void test_statistics_without_datapoints(void **state)
{
    struct sink *s = *state;
    Stratus__GetMetricStatisticsResponse resp = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    resp.label = "Lat";
    st_output_statistics(s->f, &resp);
    assert_string_equal(text(s), "{\n    \"Label\": \"Lat\",\n    \"Datapoints\": []\n}\n");
}

static void test_metrics_with_next_token(void **state)
{
    struct sink *s = *state;
    Stratus__Dimension host = STRATUS__DIMENSION__INIT;
    host.name = "Host";
    host.value = "h1";
    Stratus__Dimension *dims[] = {&host};
    Stratus__Metric a = STRATUS__METRIC__INIT, b = STRATUS__METRIC__INIT;
    a.namespace_ = b.namespace_ = "Bars/Test";
    a.metric_name = "Lat";
    a.dimensions = dims;
    a.n_dimensions = 1;
    b.metric_name = "Pct";
    Stratus__Metric *metrics[] = {&a, &b};
    st_output_metrics(s->f, metrics, 2, "tok");
    assert_string_equal(text(s), "{\n"
                                 "    \"Metrics\": [\n"
                                 "        {\n"
                                 "            \"Namespace\": \"Bars/Test\",\n"
                                 "            \"MetricName\": \"Lat\",\n"
                                 "            \"Dimensions\": [\n"
                                 "                {\n"
                                 "                    \"Name\": \"Host\",\n"
                                 "                    \"Value\": \"h1\"\n"
                                 "                }\n"
                                 "            ]\n"
                                 "        },\n"
                                 "        {\n"
                                 "            \"Namespace\": \"Bars/Test\",\n"
                                 "            \"MetricName\": \"Pct\",\n"
                                 "            \"Dimensions\": []\n"
                                 "        }\n"
                                 "    ],\n"
                                 "    \"NextToken\": \"tok\"\n"
                                 "}\n");
}

static void test_no_metrics(void **state)
{
    struct sink *s = *state;
    st_output_metrics(s->f, NULL, 0, NULL);
    assert_string_equal(text(s), "{\n    \"Metrics\": []\n}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_like_python_repr),
        cmocka_unit_test(test_time_like_isoformat),
        cmocka_unit_test_setup_teardown(test_strings_escaped_like_json_dumps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_containers_stay_on_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_sorted_and_shaped_like_aws, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_statistics_with_percentiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_without_datapoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_with_next_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
