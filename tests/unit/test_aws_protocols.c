/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the AWS protocol codecs (collector/aws_query.c, aws_json.c, aws_cbor.c,
 * aws_shape.c): Query form parsing into member trees, XML writing, JSON 1.0 and CBOR bodies,
 * the descriptor-driven decoding into request messages (names, lists, timestamps, errors
 * naming the member path) and encoding of responses, and malformed input of each kind.
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

#include "aws.h"
#include "aws_shape.h"
#include "stratus.pb-c.h"

static json_object *form(const char *s)
{
    json_object *t = NULL;
    struct st_error err;
    int r = st_aws_form_parse((const uint8_t *)s, strlen(s), &t, &err);
    if (r < 0) {
        fail_msg("form %s: %s", s, err.message);
    }
    return t;
}

static const char *js(json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void test_form_lists_and_structures(void **state)
{
    (void)state;
    json_object *t = form("Action=PutMetricData&Version=2010-08-01&Namespace=A%2FB+c"
                          "&MetricData.member.2.MetricName=M2"
                          "&MetricData.member.1.MetricName=M1"
                          "&MetricData.member.1.Dimensions.member.1.Name=Host"
                          "&MetricData.member.1.Dimensions.member.1.Value=a%3Db"
                          "&MetricData.member.1.Values.member.1=1.5"
                          "&MetricData.member.1.StatisticValues.Sum=3"
                          "&Tags.entry.1.key=k&Tags.entry.1.value=v&Empty=");
    assert_string_equal(js(t),
                        "{\"Action\":\"PutMetricData\",\"Version\":\"2010-08-01\","
                        "\"Namespace\":\"A\\/B c\",\"MetricData\":[{\"MetricName\":\"M1\","
                        "\"Dimensions\":[{\"Name\":\"Host\",\"Value\":\"a=b\"}],"
                        "\"Values\":[\"1.5\"],\"StatisticValues\":{\"Sum\":\"3\"}},"
                        "{\"MetricName\":\"M2\"}],\"Tags\":[{\"key\":\"k\",\"value\":\"v\"}],"
                        "\"Empty\":\"\"}");
    json_object_put(t);
}

static void test_form_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "A.member.1.B=x&A.member.3.B=y", /* hole */
        "A=1&A.B=2",                     /* value and structure */
        "A.B=2&A=1",
        "A.member.1=x&A.member.1.B=y", /* list member value and structure */
        "A..B=1",
        "A=%zz",
        "A=%4",
        "A%00=1",
        "A=a%00b",
        "A.member.9999999.B=1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_object *t = NULL;
        struct st_error err;
        int r = st_aws_form_parse((const uint8_t *)bad[i], strlen(bad[i]), &t, &err);
        if (r != -EINVAL) {
            fail_msg("form %s parsed: %d", bad[i], r);
        }
        assert_string_equal(err.code, "MalformedQueryString");
        assert_null(t);
    }
    /* too many fields */
    size_t n = (ST_AWS_FORM_MAX_FIELDS + 1) * 4;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 4) {
        memcpy(big + i, "a=1&", 4);
    }
    big[n] = '\0';
    json_object *t = NULL;
    struct st_error err;
    assert_int_equal(st_aws_form_parse((const uint8_t *)big, n, &t, &err), -EINVAL);
    free(big);
}

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d, json_object *t,
                                struct st_arena *a, struct st_error *err)
{
    ProtobufCMessage *m = NULL;
    int r = st_aws_decode(d, t, a, &m, err);
    return r == 0 ? m : NULL;
}

static void test_decode_put_metric_data_from_form(void **state)
{
    (void)state;
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    json_object *t = form("Action=PutMetricData&Namespace=N"
                          "&MetricData.member.1.MetricName=M"
                          "&MetricData.member.1.Timestamp=2026-12-03T15%3A04%3A05.250Z"
                          "&MetricData.member.1.Value=7.5"
                          "&MetricData.member.1.StorageResolution=1"
                          "&MetricData.member.1.Dimensions.member.1.Name=Host"
                          "&MetricData.member.1.Dimensions.member.1.Value=a"
                          "&MetricData.member.2.MetricName=V"
                          "&MetricData.member.2.Values.member.1=1"
                          "&MetricData.member.2.Values.member.2=2e3"
                          "&MetricData.member.2.Counts.member.1=3"
                          "&MetricData.member.2.Counts.member.2=4"
                          "&MetricData.member.2.Timestamp=1796310245");
    struct st_error err;
    Stratus__PutMetricDataRequest *m = (Stratus__PutMetricDataRequest *)decode(
        &stratus__put_metric_data_request__descriptor, t, &a, &err);
    json_object_put(t);
    assert_non_null(m);
    assert_string_equal(m->namespace_, "N");
    assert_int_equal(m->n_metric_data, 2);
    Stratus__MetricDatum *d = m->metric_data[0];
    assert_string_equal(d->metric_name, "M");
    assert_true(d->has_timestamp_ms);
    assert_int_equal(d->timestamp_ms, 1796310245250LL);
    assert_true(d->has_value);
    assert_true(d->value == 7.5);
    assert_true(d->has_storage_resolution);
    assert_int_equal(d->storage_resolution, 1);
    assert_int_equal(d->n_dimensions, 1);
    assert_string_equal(d->dimensions[0]->name, "Host");
    d = m->metric_data[1];
    assert_false(d->has_value);
    assert_int_equal(d->n_values, 2);
    assert_true(d->values[1] == 2000.0);
    assert_int_equal(d->n_counts, 2);
    assert_true(d->counts[0] == 3.0);
    assert_int_equal(d->timestamp_ms, 1796310245000LL);
    st_arena_fini(&a);
}

static void test_decode_errors_name_the_member(void **state)
{
    (void)state;
    static const struct {
        const char *form;
        const char *code;
        const char *message_part;
    } cases[] = {
        {"MetricData.member.1.Value=abc", "InvalidParameterValue", "MetricData.member.1.Value"},
        {"MetricData.member.2.Timestamp=yesterday&MetricData.member.1.MetricName=a",
         "InvalidParameterValue", "MetricData.member.2.Timestamp"},
        {"MetricData.member.1.StorageResolution=1.5", "InvalidParameterValue", "StorageResolution"},
        {"MetricData.member.1.StorageResolution=99999999999", "InvalidParameterValue",
         "StorageResolution"},
        {"MetricData=x", "MalformedInput", "MetricData"},
        {"MetricData.member.1=x", "MalformedInput", "MetricData.member.1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct st_arena a;
        st_arena_init(&a, 0, 0);
        json_object *t = form(cases[i].form);
        struct st_error err;
        assert_null(decode(&stratus__put_metric_data_request__descriptor, t, &a, &err));
        assert_string_equal(err.code, cases[i].code);
        if (!strstr(err.message, cases[i].message_part)) {
            fail_msg("%s: %s", cases[i].form, err.message);
        }
        json_object_put(t);
        st_arena_fini(&a);
    }
}

static void test_json_body_decode(void **state)
{
    (void)state;
    const char *body =
        "{\"Namespace\":\"N\",\"MetricName\":\"M\",\"StartTime\":1796310000,"
        "\"EndTime\":1796310060.5,\"Period\":60,\"Statistics\":[\"Sum\",\"Average\"],"
        "\"Dimensions\":[{\"Name\":\"H\",\"Value\":\"a\"}],\"Unknown\":{\"x\":1},"
        "\"Unit\":null}";
    json_object *t = NULL;
    struct st_error err;
    assert_int_equal(st_aws_json_parse((const uint8_t *)body, strlen(body), &t, &err), 0);
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    Stratus__GetMetricStatisticsRequest *m = (Stratus__GetMetricStatisticsRequest *)decode(
        &stratus__get_metric_statistics_request__descriptor, t, &a, &err);
    json_object_put(t);
    assert_non_null(m);
    assert_int_equal(m->start_time_ms, 1796310000000LL);
    assert_int_equal(m->end_time_ms, 1796310060500LL);
    assert_int_equal(m->period, 60);
    assert_int_equal(m->n_statistics, 2);
    assert_string_equal(m->statistics[1], "Average");
    assert_null(m->unit);
    st_arena_fini(&a);

    static const char *const bad[] = {"[1]", "{", "{\"a\":1}x", "\"s\"", "{\"a\":nan}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = NULL;
        assert_int_equal(st_aws_json_parse((const uint8_t *)bad[i], strlen(bad[i]), &t, &err),
                         -EINVAL);
        assert_string_equal(err.code, "SerializationException");
    }
    /* wrong member types */
    static const char *const wrong[] = {"{\"Period\":\"x\"}",       "{\"Period\":1.5}",
                                        "{\"Statistics\":\"Sum\"}", "{\"Statistics\":[1]}",
                                        "{\"Dimensions\":[5]}",     "{\"StartTime\":true}"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        assert_int_equal(st_aws_json_parse((const uint8_t *)wrong[i], strlen(wrong[i]), &t, &err),
                         0);
        st_arena_init(&a, 0, 0);
        assert_null(decode(&stratus__get_metric_statistics_request__descriptor, t, &a, &err));
        json_object_put(t);
        st_arena_fini(&a);
    }
    /* nesting is capped */
    char deep[400];
    size_t o = 0;
    for (int i = 0; i < 100; i++) {
        deep[o++] = '[';
    }
    for (int i = 0; i < 100; i++) {
        deep[o++] = ']';
    }
    deep[o] = '\0';
    char wrapped[420];
    snprintf(wrapped, sizeof(wrapped), "{\"a\":%s}", deep);
    assert_int_equal(st_aws_json_parse((const uint8_t *)wrapped, strlen(wrapped), &t, &err),
                     -EINVAL);
}

static Stratus__GetMetricStatisticsResponse *sample_response(Stratus__Datapoint *dp,
                                                             Stratus__Datapoint **dps,
                                                             Stratus__ExtendedStatistic *es,
                                                             Stratus__ExtendedStatistic **ess)
{
    static Stratus__GetMetricStatisticsResponse r = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    stratus__datapoint__init(dp);
    stratus__extended_statistic__init(es);
    dp->has_timestamp_ms = 1;
    dp->timestamp_ms = 1796310000000LL;
    dp->has_sum = 1;
    dp->sum = 7;
    dp->has_average = 1;
    dp->average = 0.1;
    dp->unit = "Count";
    es->name = "p99";
    es->has_value = 1;
    es->value = 2.5;
    ess[0] = es;
    dp->n_extended_statistics = 1;
    dp->extended_statistics = ess;
    dps[0] = dp;
    r.label = "M<&>";
    r.n_datapoints = 1;
    r.datapoints = dps;
    return &r;
}

static void test_encode_json_and_xml(void **state)
{
    (void)state;
    Stratus__Datapoint dp, *dps[1];
    Stratus__ExtendedStatistic es, *ess[1];
    Stratus__GetMetricStatisticsResponse *r = sample_response(&dp, dps, &es, ess);
    json_object *t = st_aws_encode(&r->base, ST_AWS_TIME_EPOCH_SECONDS);
    assert_string_equal(js(t), "{\"Label\":\"M<&>\",\"Datapoints\":[{\"Timestamp\":1796310000.0,"
                               "\"Average\":0.1,\"Sum\":7.0,\"Unit\":\"Count\","
                               "\"ExtendedStatistics\":{\"p99\":2.5}}]}");
    json_object_put(t);
    t = st_aws_encode(&r->base, ST_AWS_TIME_ISO8601);
    size_t len;
    char *xml = st_aws_xml_write(t, &len);
    assert_string_equal(xml, "<Label>M&lt;&amp;&gt;</Label><Datapoints><member>"
                             "<Timestamp>2026-12-03T15:00:00Z</Timestamp><Average>0.1</Average>"
                             "<Sum>7.0</Sum><Unit>Count</Unit><ExtendedStatistics><entry>"
                             "<key>p99</key><value>2.5</value></entry></ExtendedStatistics>"
                             "</member></Datapoints>");
    assert_int_equal(len, strlen(xml));
    free(xml);
    json_object_put(t);
    /* an empty response keeps its top-level list */
    Stratus__GetMetricStatisticsResponse empty = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    t = st_aws_encode(&empty.base, ST_AWS_TIME_EPOCH_SECONDS);
    assert_string_equal(js(t), "{\"Datapoints\":[]}");
    json_object_put(t);
}

static void test_cbor_round_trip(void **state)
{
    (void)state;
    Stratus__Datapoint dp, *dps[1];
    Stratus__ExtendedStatistic es, *ess[1];
    Stratus__GetMetricStatisticsResponse *r = sample_response(&dp, dps, &es, ess);
    json_object *t = st_aws_encode(&r->base, ST_AWS_TIME_EPOCH_SECONDS);
    uint8_t *buf;
    size_t len;
    assert_int_equal(st_aws_cbor_write(t, &buf, &len), 0);
    /* The timestamp is tag 1 (0xc1) with a double (0xfb). */
    const uint8_t tagged[] = {0xc1, 0xfb};
    assert_non_null(memmem(buf, len, tagged, 2));
    json_object *back = NULL;
    struct st_error err;
    assert_int_equal(st_aws_cbor_parse(buf, len, &back, &err), 0);
    assert_true(json_object_equal(back, t));
    free(buf);
    json_object_put(back);
    json_object_put(t);

    /* A hand-made request: {"Namespace": "N", "MetricData": [{"MetricName": "M", "Value": 1.5,
     * "Timestamp": 1(1796310245)}]} with an indefinite-length array. */
    const uint8_t req[] = {0xa2, 0x69, 'N',  'a',  'm',  'e',  's',  'p',  'a',  'c', 'e',
                           0x61, 'N',  0x6a, 'M',  'e',  't',  'r',  'i',  'c',  'D', 'a',
                           't',  'a',  0x9f, 0xa3, 0x6a, 'M',  'e',  't',  'r',  'i', 'c',
                           'N',  'a',  'm',  'e',  0x61, 'M',  0x65, 'V',  'a',  'l', 'u',
                           'e',  0xf9, 0x3e, 0x00, 0x69, 'T',  'i',  'm',  'e',  's', 't',
                           'a',  'm',  'p',  0xc1, 0x1a, 0x69, 0x30, 0x51, 0x65, 0xff};
    assert_int_equal(st_aws_cbor_parse(req, sizeof(req), &t, &err), 0);
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    Stratus__PutMetricDataRequest *m = (Stratus__PutMetricDataRequest *)decode(
        &stratus__put_metric_data_request__descriptor, t, &a, &err);
    json_object_put(t);
    assert_non_null(m);
    assert_string_equal(m->namespace_, "N");
    assert_int_equal(m->n_metric_data, 1);
    assert_true(m->metric_data[0]->value == 1.5);
    assert_int_equal(m->metric_data[0]->timestamp_ms, 0x69305165LL * 1000);
    st_arena_fini(&a);
}

static void test_cbor_malformed(void **state)
{
    (void)state;
    static const struct {
        uint8_t b[16];
        size_t n;
    } bad[] = {
        {{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9}, /* 2^64 elements */
        {{0xbb, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00}, 9}, /* a huge map */
        {{0xa1, 0x01, 0x02}, 3},                                     /* integer key */
        {{0x81, 0x01}, 2},                                           /* not a map */
        {{0xa1, 0x61, 'a'}, 3},                                      /* truncated */
        {{0xa0, 0xa0}, 2},                                           /* two items */
        {{0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9}, /* a huge string */
        {{0xa1, 0x62, 'a', 0x00, 0x01}, 5},                          /* NUL in a key */
        {{0xff}, 1},                                                 /* a lone break */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_object *t = NULL;
        struct st_error err;
        if (st_aws_cbor_parse(bad[i].b, bad[i].n, &t, &err) != -EINVAL) {
            fail_msg("case %zu parsed", i);
        }
        assert_string_equal(err.code, "SerializationException");
    }
}

static void test_times_and_numbers(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(st_aws_parse_time("2026-12-03T15:04:05Z", &ms), 0);
    assert_int_equal(ms, 1796310245000LL);
    assert_int_equal(st_aws_parse_time("2026-12-03T16:04:05.5+01:00", &ms), 0);
    assert_int_equal(ms, 1796310245500LL);
    assert_int_equal(st_aws_parse_time("2026-12-03", &ms), 0);
    assert_int_equal(ms, 1796256000000LL);
    assert_int_equal(st_aws_parse_time("1796310245.25", &ms), 0);
    assert_int_equal(ms, 1796310245250LL);
    static const char *const bad[] = {"",
                                      "x",
                                      "2026-13-01T00:00:00Z",
                                      "2026-12-03T25:00Z",
                                      "2026-12-03T15:04:05Zjunk",
                                      "2026-12-03T15:04:05.Z",
                                      " 5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (st_aws_parse_time(bad[i], &ms) == 0) {
            fail_msg("%s parsed", bad[i]);
        }
    }
    char buf[64];
    st_aws_format_time(1796310245250LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-12-03T15:04:05.250Z");
    st_aws_format_double(0.1, buf, sizeof(buf));
    assert_string_equal(buf, "0.1");
    st_aws_format_double(1e300, buf, sizeof(buf));
    assert_string_equal(buf, "1e+300");
    st_aws_format_double(-3, buf, sizeof(buf));
    assert_string_equal(buf, "-3.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_lists_and_structures),
        cmocka_unit_test(test_form_malformed),
        cmocka_unit_test(test_decode_put_metric_data_from_form),
        cmocka_unit_test(test_decode_errors_name_the_member),
        cmocka_unit_test(test_json_body_decode),
        cmocka_unit_test(test_encode_json_and_xml),
        cmocka_unit_test(test_cbor_round_trip),
        cmocka_unit_test(test_cbor_malformed),
        cmocka_unit_test(test_times_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
