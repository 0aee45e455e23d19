/* SPDX-License-Identifier: MIT */
/*
 * Tests of the client's pager (st_api_call_pages in cli/api.h) through the paged alarm and
 * scaling verbs, against the fake collector of fake_collector.h: every page is followed and its
 * items kept in order, each request carries the previous reply's NextToken, an empty token ends
 * the listing like an absent one, --max-items stops the calls once enough items arrived and
 * trims the answer, and a failed page prints nothing and reports the collector's error.
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

#include <cmocka.h>
#include <json-c/json.h>

#include "../../cli/cmd_alarms.h"
#include "../../cli/cmd_scaling.h"
#include "alarms.pb-c.h"
#include "autoscaling.pb-c.h"
#include "fake_collector.h"
#include "stratus/alloc.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The names under key (an array of objects) of the verb's JSON output, joined by commas. */
static void names(struct st_fake_collector *c, const char *key, const char *name_key, char *out,
                  size_t cap)
{
    json_object *o = json_tokener_parse(st_fake_output(c));
    if (!o) {
        fail_msg("output is not JSON: %s", st_fake_output(c));
    }
    json_object *arr = NULL;
    assert_true(json_object_object_get_ex(o, key, &arr));
    out[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *name = NULL;
        assert_true(json_object_object_get_ex(json_object_array_get_idx(arr, i), name_key, &name));
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i ? "," : "", json_object_get_string(name));
    }
    json_object_put(o);
}

/* A DescribeAlarms page of metric alarms m[0..n) and one composite alarm comp (or none). */
static void add_alarms_page(struct st_fake_collector *c, const char *const *m, size_t n,
                            const char *comp, const char *next_token)
{
    Stratus__MetricAlarm alarms[4];
    Stratus__MetricAlarm *ptrs[4];
    assert_true(n <= N_ELEMS(alarms));
    for (size_t i = 0; i < n; i++) {
        alarms[i] = (Stratus__MetricAlarm)STRATUS__METRIC_ALARM__INIT;
        alarms[i].alarm_name = (char *)m[i];
        ptrs[i] = &alarms[i];
    }
    Stratus__CompositeAlarm ca = STRATUS__COMPOSITE_ALARM__INIT;
    Stratus__CompositeAlarm *ca_ptr = &ca;
    ca.alarm_name = (char *)comp;
    Stratus__DescribeAlarmsResponse page = STRATUS__DESCRIBE_ALARMS_RESPONSE__INIT;
    page.metric_alarms = ptrs;
    page.n_metric_alarms = n;
    page.composite_alarms = comp ? &ca_ptr : NULL;
    page.n_composite_alarms = comp ? 1 : 0;
    page.next_token = (char *)next_token;
    st_fake_add_reply(c, 200, &page.base, NULL);
}

/* The NextToken request i carried (NULL when none), checked against want. */
static void assert_alarms_token(struct st_fake_collector *c, size_t i, const char *want)
{
    Stratus__DescribeAlarmsRequest *req = (Stratus__DescribeAlarmsRequest *)st_fake_request(
        c, i, "/v1/DescribeAlarms", &stratus__describe_alarms_request__descriptor);
    if (want) {
        assert_non_null(req->next_token);
        assert_string_equal(req->next_token, want);
    } else {
        assert_null(req->next_token);
    }
    assert_string_equal(req->alarm_name_prefix, "web-");
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void test_describe_alarms_follows_every_page(void **state)
{
    struct st_fake_collector *c = *state;
    add_alarms_page(c, (const char *[]){"a1", "a2"}, 2, NULL, "tok-1");
    add_alarms_page(c, (const char *[]){"a3"}, 1, "c1", "tok-2");
    add_alarms_page(c, (const char *[]){"a4"}, 1, "c2", NULL);
    char *argv[] = {"--alarm-name-prefix", "web-"};
    assert_int_equal(st_cmd_describe_alarms(&c->cli, N_ELEMS(argv), argv, &c->err), 0);
    assert_int_equal(c->n_calls, 3);
    assert_alarms_token(c, 0, NULL);
    assert_alarms_token(c, 1, "tok-1");
    assert_alarms_token(c, 2, "tok-2");
    char got[128];
    names(c, "MetricAlarms", "AlarmName", got, sizeof(got));
    assert_string_equal(got, "a1,a2,a3,a4");
    names(c, "CompositeAlarms", "AlarmName", got, sizeof(got));
    assert_string_equal(got, "c1,c2");
}

static void test_an_empty_token_ends_the_listing(void **state)
{
    struct st_fake_collector *c = *state;
    add_alarms_page(c, (const char *[]){"a1"}, 1, NULL, "");
    add_alarms_page(c, (const char *[]){"never"}, 1, NULL, NULL);
    char *argv[] = {"--alarm-name-prefix", "web-"};
    assert_int_equal(st_cmd_describe_alarms(&c->cli, N_ELEMS(argv), argv, &c->err), 0);
    assert_int_equal(c->n_calls, 1);
    char got[64];
    names(c, "MetricAlarms", "AlarmName", got, sizeof(got));
    assert_string_equal(got, "a1");
}

static void test_a_failed_page_prints_nothing(void **state)
{
    struct st_fake_collector *c = *state;
    add_alarms_page(c, (const char *[]){"a1"}, 1, NULL, "tok-1");
    st_fake_add_reply(c, 400, NULL,
                      "{\"__type\": \"InvalidNextToken\", \"message\": \"The token is stale\"}");
    char *argv[] = {"--alarm-name-prefix", "web-"};
    assert_true(st_cmd_describe_alarms(&c->cli, N_ELEMS(argv), argv, &c->err) < 0);
    assert_int_equal(c->n_calls, 2);
    assert_string_equal(c->err.code, "InvalidNextToken");
    assert_non_null(strstr(c->err.message, "DescribeAlarms operation: The token is stale"));
    assert_string_equal(st_fake_output(c), "");
}

static void add_history_page(struct st_fake_collector *c, const char *s1, const char *s2,
                             const char *next_token)
{
    Stratus__AlarmHistoryItem items[2] = {STRATUS__ALARM_HISTORY_ITEM__INIT,
                                          STRATUS__ALARM_HISTORY_ITEM__INIT};
    Stratus__AlarmHistoryItem *ptrs[2] = {&items[0], &items[1]};
    items[0].alarm_name = items[1].alarm_name = "cpu-high";
    items[0].history_summary = (char *)s1;
    items[1].history_summary = (char *)s2;
    Stratus__DescribeAlarmHistoryResponse page = STRATUS__DESCRIBE_ALARM_HISTORY_RESPONSE__INIT;
    page.alarm_history_items = ptrs;
    page.n_alarm_history_items = 2;
    page.next_token = (char *)next_token;
    st_fake_add_reply(c, 200, &page.base, NULL);
}

static void test_history_max_items_stops_the_calls_and_trims(void **state)
{
    struct st_fake_collector *c = *state;
    add_history_page(c, "h1", "h2", "tok-1");
    add_history_page(c, "h3", "h4", "tok-2");
    add_history_page(c, "never", "never", NULL);
    char *argv[] = {"--alarm-name", "cpu-high", "--max-items", "3"};
    assert_int_equal(st_cmd_describe_alarm_history(&c->cli, N_ELEMS(argv), argv, &c->err), 0);
    assert_int_equal(c->n_calls, 2);
    char got[64];
    names(c, "AlarmHistoryItems", "HistorySummary", got, sizeof(got));
    assert_string_equal(got, "h1,h2,h3");
}

static void add_activities_page(struct st_fake_collector *c, const char *id, const char *next_token)
{
    Stratus__Activity a = STRATUS__ACTIVITY__INIT;
    Stratus__Activity *ptr = &a;
    a.activity_id = (char *)id;
    a.auto_scaling_group_name = "web";
    Stratus__DescribeScalingActivitiesResponse page =
        STRATUS__DESCRIBE_SCALING_ACTIVITIES_RESPONSE__INIT;
    page.activities = &ptr;
    page.n_activities = 1;
    page.next_token = (char *)next_token;
    st_fake_add_reply(c, 200, &page.base, NULL);
}

static void test_scaling_activities_follow_pages(void **state)
{
    struct st_fake_collector *c = *state;
    add_activities_page(c, "act-1", "p2");
    add_activities_page(c, "act-2", NULL);
    char *argv[] = {"--auto-scaling-group-name", "web", "--max-items", "150"};
    assert_int_equal(st_cmd_describe_scaling_activities(&c->cli, N_ELEMS(argv), argv, &c->err), 0);
    assert_int_equal(c->n_calls, 2);
    for (size_t i = 0; i < 2; i++) {
        Stratus__DescribeScalingActivitiesRequest *req =
            (Stratus__DescribeScalingActivitiesRequest *)st_fake_request(
                c, i, "/v1/DescribeScalingActivities",
                &stratus__describe_scaling_activities_request__descriptor);
        assert_true(req->has_max_records);
        assert_int_equal(req->max_records, 100);
        if (i == 0) {
            assert_null(req->next_token);
        } else {
            assert_string_equal(req->next_token, "p2");
        }
        protobuf_c_message_free_unpacked(&req->base, NULL);
    }
    char got[64];
    names(c, "Activities", "ActivityId", got, sizeof(got));
    assert_string_equal(got, "act-1,act-2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_describe_alarms_follows_every_page, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_an_empty_token_ends_the_listing, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_page_prints_nothing, st_fake_setup,
                                        st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_history_max_items_stops_the_calls_and_trims,
                                        st_fake_setup, st_fake_teardown),
        cmocka_unit_test_setup_teardown(test_scaling_activities_follow_pages, st_fake_setup,
                                        st_fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
