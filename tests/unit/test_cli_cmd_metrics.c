/* SPDX-License-Identifier: MIT */
/*
 * Tests of the metric verbs (cli/cmd_metrics.h) against the fake collector of fake_collector.h
 * (an evhttp server on 127.0.0.1 port 0 that records each request and answers with canned
 * replies). They check what goes on the wire (the protobuf bodies decoded again), what the verbs
 * print (byte for byte), list-metrics paging with --max-items and resume tokens, the aws-shaped
 * error lines, and the usage errors of the request builders. The server, the output buffer and
 * the recorded requests live in the fixture.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "../../cli/cmd_metrics_private.h"
#include "../../cli/paging_token.h"
#include "../../cli/pb.h"
#include "fake_collector.h"
#include "stratus/alloc.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define T0_MS      1795456800000LL /* 2026-11-23T18:00:00Z */

struct fake {
    struct st_fake_collector c;
    void *req; /* a built request, freed by teardown */
    struct st_list_metrics_paging paging;
};

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    *state = f;
    return st_fake_collector_start(&f->c);
}

static int teardown(void **state)
{
    struct fake *f = *state;
    st_fake_collector_stop(&f->c);
    st_pb_free(f->req);
    st_paging_token_fini(&f->paging.start);
    st_alloc_fail_disarm();
    free(f);
    return 0;
}

static void assert_usage(int rc, const struct st_error *err, const char *want)
{
    assert_int_equal(rc, -EINVAL);
    if (!strstr(err->message, want)) {
        fail_msg("message '%s' lacks '%s'", err->message, want);
    }
}

/* --- put-metric-data --- */

static void test_put_sends_one_datum_and_prints_nothing(void **state)
{
    struct fake *f = *state;
    Stratus__PutMetricDataResponse ok = STRATUS__PUT_METRIC_DATA_RESPONSE__INIT;
    st_fake_add_reply(&f->c, 200, &ok.base, NULL);
    char *argv[] = {"--namespace",
                    "Bars/Test",
                    "--metric-name",
                    "Lat",
                    "--dimensions",
                    "Host=h1,Api=get",
                    "--value",
                    "12.5",
                    "--unit",
                    "Milliseconds",
                    "--timestamp",
                    "2026-11-23T18:00:07Z",
                    "--storage-resolution",
                    "1"};
    assert_int_equal(st_cmd_put_metric_data(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    assert_string_equal(st_fake_output(&f->c), "");
    Stratus__PutMetricDataRequest *req = (Stratus__PutMetricDataRequest *)st_fake_request(
        &f->c, 0, "/v1/PutMetricData", &stratus__put_metric_data_request__descriptor);
    assert_string_equal(req->namespace_, "Bars/Test");
    assert_int_equal(req->n_metric_data, 1);
    Stratus__MetricDatum *d = req->metric_data[0];
    assert_string_equal(d->metric_name, "Lat");
    assert_int_equal(d->n_dimensions, 2);
    assert_string_equal(d->dimensions[0]->name, "Host");
    assert_string_equal(d->dimensions[1]->value, "get");
    assert_true(d->has_value);
    assert_true(d->value == 12.5);
    assert_string_equal(d->unit, "Milliseconds");
    assert_int_equal(d->timestamp_ms, T0_MS + 7000);
    assert_int_equal(d->storage_resolution, 1);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void test_put_statistic_values_and_no_timestamp(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace",        "N",
                    "--metric-name",      "M",
                    "--statistic-values", "Sum=100,Minimum=10,Maximum=40,SampleCount=4"};
    assert_int_equal(st_cmd_put_metric_data_request(
                         N_ELEMS(argv), argv, (Stratus__PutMetricDataRequest **)&f->req, &f->c.err),
                     0);
    Stratus__MetricDatum *d = ((Stratus__PutMetricDataRequest *)f->req)->metric_data[0];
    assert_non_null(d->statistic_values);
    assert_true(d->statistic_values->sum == 100 && d->statistic_values->sample_count == 4);
    assert_false(d->has_value);
    assert_false(d->has_timestamp_ms);
    assert_false(d->has_storage_resolution);
    assert_null(d->unit);
}

static void test_put_values_and_counts(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace", "N", "--metric-name", "M", "--values", "1",
                    "2",           "3", "--counts",      "4", "5",        "6"};
    assert_int_equal(st_cmd_put_metric_data_request(
                         N_ELEMS(argv), argv, (Stratus__PutMetricDataRequest **)&f->req, &f->c.err),
                     0);
    Stratus__MetricDatum *d = ((Stratus__PutMetricDataRequest *)f->req)->metric_data[0];
    assert_int_equal(d->n_values, 3);
    assert_int_equal(d->n_counts, 3);
    assert_true(d->values[2] == 3 && d->counts[0] == 4);
}

static void test_put_metric_data_from_file(void **state)
{
    struct fake *f = *state;
    char path[] = "/tmp/test_cli_cmd_metrics_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char json[] = "[{\"MetricName\": \"A\", \"Value\": 1}, "
                               "{\"MetricName\": \"B\", \"Values\": [1, 2]}]";
    assert_int_equal(write(fd, json, sizeof(json) - 1), (ssize_t)sizeof(json) - 1);
    close(fd);
    char arg[64];
    snprintf(arg, sizeof(arg), "file://%s", path);
    char *argv[] = {"--namespace", "N", "--metric-data", arg};
    int rc = st_cmd_put_metric_data_request(N_ELEMS(argv), argv,
                                            (Stratus__PutMetricDataRequest **)&f->req, &f->c.err);
    unlink(path);
    assert_int_equal(rc, 0);
    Stratus__PutMetricDataRequest *req = f->req;
    assert_int_equal(req->n_metric_data, 2);
    assert_string_equal(req->metric_data[1]->metric_name, "B");
}

static void test_put_metric_data_literal_json(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace", "N", "--metric-data", "[{\"MetricName\": \"A\", \"Value\": 1}]"};
    assert_int_equal(st_cmd_put_metric_data_request(
                         N_ELEMS(argv), argv, (Stratus__PutMetricDataRequest **)&f->req, &f->c.err),
                     0);
    assert_int_equal(((Stratus__PutMetricDataRequest *)f->req)->n_metric_data, 1);
}

static void test_put_metric_data_missing_file(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace", "N", "--metric-data", "file:///nonexistent/batch.json"};
    assert_usage(st_cmd_put_metric_data_request(
                     N_ELEMS(argv), argv, (Stratus__PutMetricDataRequest **)&f->req, &f->c.err),
                 &f->c.err, "cannot open '/nonexistent/batch.json'");
}

static void test_put_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args[12];
        const char *want;
    } rows[] = {
        {{"--metric-name", "M", "--value", "1"}, "required: --namespace"},
        {{"--namespace", "N", "--value", "1"}, "required: --metric-name"},
        {{"--namespace", "N", "--metric-name", "M"}, "one of --value, --statistic-values"},
        {{"--namespace", "N", "--metric-name", "M", "--value", "1", "--values", "1"},
         "exclude each other"},
        {{"--namespace", "N", "--metric-name", "M", "--value", "1", "--counts", "1"},
         "--counts: only with --values"},
        {{"--namespace", "N", "--metric-name", "M", "--values", "1", "2", "--counts", "1"},
         "1 counts for 2 values"},
        {{"--namespace", "N", "--metric-name", "M", "--value", "1", "--unit", "Millis"},
         "invalid unit 'Millis'"},
        {{"--namespace", "N", "--metric-name", "M", "--value", "1", "--timestamp", "now"},
         "--timestamp: invalid time 'now'"},
        {{"--namespace", "N", "--metric-name", "M", "--value", "1", "--storage-resolution", "1s"},
         "--storage-resolution: invalid integer"},
        {{"--namespace", "N", "--metric-data", "[]", "--value", "1"},
         "--metric-data: not allowed with --value"},
        {{"--namespace", "N", "--metric-data", "{\"MetricName\": 1}"},
         "MetricData: got an object, want a list"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        char *argv[12];
        int argc = 0;
        while (argc < 12 && rows[i].args[argc]) {
            argv[argc] = (char *)rows[i].args[argc];
            argc++;
        }
        Stratus__PutMetricDataRequest *req = NULL;
        struct st_error err = {{0}};
        assert_usage(st_cmd_put_metric_data_request(argc, argv, &req, &err), &err, rows[i].want);
        assert_null(req);
    }
}

static void test_put_server_error_is_aws_shaped(void **state)
{
    struct fake *f = *state;
    st_fake_add_reply(&f->c, 400, NULL,
                      "{\"__type\": \"InvalidParameterValue\", \"message\": \"The value -1 for "
                      "parameter MetricData.member.1.StorageResolution is invalid.\"}");
    char *argv[] = {"--namespace", "N", "--metric-name",        "M",
                    "--value",     "1", "--storage-resolution", "-1"};
    assert_int_equal(st_cmd_put_metric_data(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), -EIO);
    assert_string_equal(f->c.err.message,
                        "An error occurred (InvalidParameterValue) when calling the "
                        "PutMetricData operation: The value -1 for parameter "
                        "MetricData.member.1.StorageResolution is invalid.");
    assert_string_equal(st_fake_output(&f->c), "");
}

static void test_put_unreachable_collector(void **state)
{
    struct fake *f = *state;
    /* A port nobody listens on: bind one, note it, close it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sin);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
    close(s);
    struct st_cli cli = f->c.cli;
    cli.ep.port = ntohs(sin.sin_port);
    snprintf(cli.url, sizeof(cli.url), "http://127.0.0.1:%u", cli.ep.port);
    char *argv[] = {"--namespace", "N", "--metric-name", "M", "--value", "1"};
    int rc = st_cmd_put_metric_data(&cli, N_ELEMS(argv), argv, &f->c.err);
    assert_true(rc < 0 && rc != -EINVAL);
    char want[512];
    snprintf(want, sizeof(want), "Could not connect to the endpoint URL: \"%s/v1/PutMetricData\"",
             cli.url);
    assert_string_equal(f->c.err.message, want);
}

/* --- get-metric-statistics --- */

static void test_statistics_request_and_output(void **state)
{
    struct fake *f = *state;
    Stratus__Datapoint a = STRATUS__DATAPOINT__INIT, b = STRATUS__DATAPOINT__INIT;
    a.has_timestamp_ms = b.has_timestamp_ms = true;
    a.timestamp_ms = T0_MS + 60000;
    b.timestamp_ms = T0_MS;
    a.has_sample_count = b.has_sample_count = true;
    a.sample_count = 2;
    b.sample_count = 4;
    a.has_average = b.has_average = true;
    a.average = 12.5;
    b.average = 25;
    a.unit = b.unit = "Milliseconds";
    Stratus__Datapoint *points[] = {&a, &b};
    Stratus__GetMetricStatisticsResponse resp = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    resp.label = "Lat";
    resp.datapoints = points;
    resp.n_datapoints = 2;
    st_fake_add_reply(&f->c, 200, &resp.base, NULL);
    char *argv[] = {"--namespace",  "Bars/Test",       "--metric-name", "Lat",
                    "--dimensions", "Host=h1,Api=get", "--start-time",  "2026-11-23T17:59:00Z",
                    "--end-time",   "1795457040",      "--period",      "60",
                    "--statistics", "SampleCount",     "Average",       "--unit",
                    "Milliseconds"};
    assert_int_equal(st_cmd_get_metric_statistics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    assert_string_equal(st_fake_output(&f->c),
                        "{\n"
                        "    \"Label\": \"Lat\",\n"
                        "    \"Datapoints\": [\n"
                        "        {\n"
                        "            \"Timestamp\": \"2026-11-23T18:00:00+00:00\",\n"
                        "            \"SampleCount\": 4.0,\n"
                        "            \"Average\": 25.0,\n"
                        "            \"Unit\": \"Milliseconds\"\n"
                        "        },\n"
                        "        {\n"
                        "            \"Timestamp\": \"2026-11-23T18:01:00+00:00\",\n"
                        "            \"SampleCount\": 2.0,\n"
                        "            \"Average\": 12.5,\n"
                        "            \"Unit\": \"Milliseconds\"\n"
                        "        }\n"
                        "    ]\n"
                        "}\n");
    Stratus__GetMetricStatisticsRequest *req =
        (Stratus__GetMetricStatisticsRequest *)st_fake_request(
            &f->c, 0, "/v1/GetMetricStatistics",
            &stratus__get_metric_statistics_request__descriptor);
    assert_string_equal(req->namespace_, "Bars/Test");
    assert_string_equal(req->metric_name, "Lat");
    assert_int_equal(req->n_dimensions, 2);
    assert_int_equal(req->start_time_ms, T0_MS - 60000);
    assert_int_equal(req->end_time_ms, T0_MS + 240000);
    assert_int_equal(req->period, 60);
    assert_int_equal(req->n_statistics, 2);
    assert_string_equal(req->statistics[1], "Average");
    assert_int_equal(req->n_extended_statistics, 0);
    assert_string_equal(req->unit, "Milliseconds");
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void test_statistics_extended_request(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace", "N",  "--metric-name", "M",  "--start-time",          "0",
                    "--end-time",  "60", "--period",      "60", "--extended-statistics", "p50",
                    "p99.9"};
    assert_int_equal(
        st_cmd_get_metric_statistics_request(
            N_ELEMS(argv), argv, (Stratus__GetMetricStatisticsRequest **)&f->req, &f->c.err),
        0);
    Stratus__GetMetricStatisticsRequest *req = f->req;
    assert_int_equal(req->n_statistics, 0);
    assert_int_equal(req->n_extended_statistics, 2);
    assert_string_equal(req->extended_statistics[1], "p99.9");
    assert_int_equal(req->n_dimensions, 0);
}

static void test_statistics_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args[12];
        const char *want;
    } rows[] = {
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "0", "--end-time", "60",
          "--statistics", "Sum"},
         "required: --period"},
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "0", "--end-time", "60",
          "--period", "60"},
         "required: --statistics or --extended-statistics"},
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "0", "--end-time", "60",
          "--period", "60s", "--statistics", "Sum"},
         "--period: invalid integer '60s'"},
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "0", "--end-time", "60",
          "--period", "60", "--statistics", "Avg"},
         "--statistics: invalid choice 'Avg'"},
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "0", "--end-time", "60",
          "--period", "60", "--extended-statistics", "99"},
         "--extended-statistics: invalid choice '99'"},
        {{"--namespace", "N", "--metric-name", "M", "--start-time", "tomorrow", "--end-time", "60",
          "--period", "60", "--statistics", "Sum"},
         "--start-time: invalid time 'tomorrow'"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        char *argv[12];
        int argc = 0;
        while (argc < 12 && rows[i].args[argc]) {
            argv[argc] = (char *)rows[i].args[argc];
            argc++;
        }
        Stratus__GetMetricStatisticsRequest *req = NULL;
        struct st_error err = {{0}};
        assert_usage(st_cmd_get_metric_statistics_request(argc, argv, &req, &err), &err,
                     rows[i].want);
        assert_null(req);
    }
}

/* --- list-metrics --- */

/* Adds a page of metrics named names[0..n) with next_token (or none). */
static void add_page(struct fake *f, const char *const *names, size_t n, const char *next_token)
{
    Stratus__Metric m[4];
    Stratus__Metric *pm[4];
    Stratus__ListMetricsResponse page = STRATUS__LIST_METRICS_RESPONSE__INIT;
    for (size_t i = 0; i < n; i++) {
        stratus__metric__init(&m[i]);
        m[i].namespace_ = "N";
        m[i].metric_name = (char *)names[i];
        pm[i] = &m[i];
    }
    page.metrics = pm;
    page.n_metrics = n;
    page.next_token = (char *)next_token;
    st_fake_add_reply(&f->c, 200, &page.base, NULL);
}

/* The metric names in the output, space-separated, and the NextToken line's value if any. */
static void listed(struct fake *f, char *names, size_t len, char *token, size_t token_len)
{
    names[0] = token[0] = '\0';
    const char *p = st_fake_output(&f->c);
    while ((p = strstr(p, "\"MetricName\": \""))) {
        p += strlen("\"MetricName\": \"");
        size_t n = strcspn(p, "\"");
        snprintf(names + strlen(names), len - strlen(names), "%s%.*s", names[0] ? " " : "", (int)n,
                 p);
    }
    const char *t = strstr(st_fake_output(&f->c), "\"NextToken\": \"");
    if (t) {
        t += strlen("\"NextToken\": \"");
        snprintf(token, token_len, "%.*s", (int)strcspn(t, "\""), t);
    }
}

static const char *request_token(struct fake *f, size_t i, char *buf, size_t len)
{
    Stratus__ListMetricsRequest *req = (Stratus__ListMetricsRequest *)st_fake_request(
        &f->c, i, "/v1/ListMetrics", &stratus__list_metrics_request__descriptor);
    snprintf(buf, len, "%s", req->next_token ? req->next_token : "(none)");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    return buf;
}

static void test_list_follows_every_page(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"A", "B"}, 2, "t1");
    add_page(f, (const char *[]){"C"}, 1, NULL);
    char *argv[] = {"--namespace", "N"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    char names[64], token[256], buf[64];
    listed(f, names, sizeof(names), token, sizeof(token));
    assert_string_equal(names, "A B C");
    assert_string_equal(token, "");
    assert_int_equal(f->c.n_calls, 2);
    assert_string_equal(request_token(f, 0, buf, sizeof(buf)), "(none)");
    assert_string_equal(request_token(f, 1, buf, sizeof(buf)), "t1");
}

static void test_list_max_items_mid_page_then_resume(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"A", "B"}, 2, "t1");
    add_page(f, (const char *[]){"C", "D"}, 2, "t2");
    /* The resumed call fetches the t1 page again and skips the item already printed. */
    add_page(f, (const char *[]){"C", "D"}, 2, NULL);
    char *argv[] = {"--max-items", "3"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    char names[64], token[256], buf[64];
    listed(f, names, sizeof(names), token, sizeof(token));
    assert_string_equal(names, "A B C");
    struct st_paging_token decoded = {0};
    assert_int_equal(st_paging_token_decode(token, &decoded), 0);
    assert_string_equal(decoded.next_token, "t1");
    assert_int_equal(decoded.skip, 1);
    st_paging_token_fini(&decoded);

    /* A fresh output buffer for the second run. */
    fclose(f->c.cli.out);
    free(f->c.out_buf);
    f->c.out_buf = NULL;
    f->c.cli.out = open_memstream(&f->c.out_buf, &f->c.out_len);
    assert_non_null(f->c.cli.out);
    char *argv2[] = {"--starting-token", token};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv2), argv2, &f->c.err), 0);
    listed(f, names, sizeof(names), token, sizeof(token));
    assert_string_equal(names, "D");
    assert_string_equal(token, "");
    assert_string_equal(request_token(f, 2, buf, sizeof(buf)), "t1");
}

static void test_list_max_items_at_page_end_resumes_at_next_page(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"A", "B"}, 2, "t1");
    char *argv[] = {"--max-items", "2"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    char names[64], token[256];
    listed(f, names, sizeof(names), token, sizeof(token));
    assert_string_equal(names, "A B");
    assert_int_equal(f->c.n_calls, 1);
    struct st_paging_token decoded = {0};
    assert_int_equal(st_paging_token_decode(token, &decoded), 0);
    assert_string_equal(decoded.next_token, "t1");
    assert_int_equal(decoded.skip, 0);
    st_paging_token_fini(&decoded);
}

static void test_list_next_token_fetches_one_page(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"C"}, 1, "t2");
    char *argv[] = {"--next-token", "t1"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), 0);
    char names[64], token[256], buf[64];
    listed(f, names, sizeof(names), token, sizeof(token));
    assert_string_equal(names, "C");
    assert_string_equal(token, "t2");
    assert_int_equal(f->c.n_calls, 1);
    assert_string_equal(request_token(f, 0, buf, sizeof(buf)), "t1");
}

static void test_list_same_token_twice_fails(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"A"}, 1, "t1");
    add_page(f, (const char *[]){"B"}, 1, "t1");
    char *argv[] = {"--namespace", "N"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), -EIO);
    assert_non_null(strstr(f->c.err.message, "The same next token was received twice"));
    assert_string_equal(st_fake_output(&f->c), "");
}

static void test_list_error_on_second_page_prints_nothing(void **state)
{
    struct fake *f = *state;
    add_page(f, (const char *[]){"A"}, 1, "t1");
    st_fake_add_reply(&f->c, 400, NULL,
                      "{\"__type\": \"InvalidNextToken\", \"message\": \"bad token\"}");
    char *argv[] = {"--namespace", "N"};
    assert_int_equal(st_cmd_list_metrics(&f->c.cli, N_ELEMS(argv), argv, &f->c.err), -EIO);
    assert_string_equal(f->c.err.message, "An error occurred (InvalidNextToken) when calling the "
                                          "ListMetrics operation: bad token");
    assert_string_equal(st_fake_output(&f->c), "");
}

static void test_list_request_filters(void **state)
{
    struct fake *f = *state;
    char *argv[] = {"--namespace",  "N",         "--metric-name",      "M",
                    "--dimensions", "Name=Host", "Name=Api,Value=get", "--recently-active",
                    "PT3H"};
    assert_int_equal(st_cmd_list_metrics_request(N_ELEMS(argv), argv,
                                                 (Stratus__ListMetricsRequest **)&f->req,
                                                 &f->paging, &f->c.err),
                     0);
    Stratus__ListMetricsRequest *req = f->req;
    assert_string_equal(req->namespace_, "N");
    assert_string_equal(req->metric_name, "M");
    assert_int_equal(req->n_dimensions, 2);
    assert_string_equal(req->dimensions[0]->name, "Host");
    assert_null(req->dimensions[0]->value);
    assert_string_equal(req->dimensions[1]->value, "get");
    assert_string_equal(req->recently_active, "PT3H");
    assert_null(req->next_token);
    assert_false(f->paging.single_page);
    assert_int_equal(f->paging.max_items, 0);
}

static void test_list_usage_errors(void **state)
{
    struct fake *f = *state;
    char *both[] = {"--next-token", "a", "--starting-token", "b"};
    assert_usage(st_cmd_list_metrics_request(N_ELEMS(both), both,
                                             (Stratus__ListMetricsRequest **)&f->req, &f->paging,
                                             &f->c.err),
                 &f->c.err, "--next-token: not allowed with --starting-token");
    char *max[] = {"--max-items", "0"};
    assert_usage(st_cmd_list_metrics_request(N_ELEMS(max), max,
                                             (Stratus__ListMetricsRequest **)&f->req, &f->paging,
                                             &f->c.err),
                 &f->c.err, "--max-items: '0' is out of range");
    char *stray[] = {"N"};
    assert_usage(st_cmd_list_metrics_request(N_ELEMS(stray), stray,
                                             (Stratus__ListMetricsRequest **)&f->req, &f->paging,
                                             &f->c.err),
                 &f->c.err, "unexpected argument 'N'");
    assert_null(f->req);
}

/* Every allocation of a full put call may fail; each failure is -ENOMEM and leaks nothing. */
static void test_put_request_survives_allocation_failure(void **state)
{
    (void)state;
    int rc = -ENOMEM;
    for (unsigned long k = 1; rc == -ENOMEM; k++) {
        assert_true(k < 200);
        char *argv[] = {"--namespace",
                        "N",
                        "--metric-name",
                        "M",
                        "--dimensions",
                        "Host=a,Api=b",
                        "--values",
                        "1",
                        "2",
                        "--counts",
                        "3",
                        "4",
                        "--unit",
                        "Count"};
        Stratus__PutMetricDataRequest *req = NULL;
        struct st_error err = {{0}};
        st_alloc_fail_after(k);
        rc = st_cmd_put_metric_data_request(N_ELEMS(argv), argv, &req, &err);
        st_alloc_fail_disarm();
        st_pb_free(req);
    }
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_sends_one_datum_and_prints_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_put_statistic_values_and_no_timestamp, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_put_values_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_metric_data_from_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_metric_data_literal_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_metric_data_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_server_error_is_aws_shaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_unreachable_collector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_request_survives_allocation_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_statistics_request_and_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_extended_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_follows_every_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_max_items_mid_page_then_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_max_items_at_page_end_resumes_at_next_page, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_next_token_fetches_one_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_same_token_twice_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_error_on_second_page_prints_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_request_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_usage_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
