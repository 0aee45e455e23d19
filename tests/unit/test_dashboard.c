/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the dashboard-body module (lib/dashboard.c): the model of a valid CloudWatch
 * body (metric rows with "." and "...", options, axes, auto placement), malformed bodies (each
 * rejected with InvalidParameterInput naming its data path), non-fatal validation messages,
 * relative times and the edits the viewer makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/dashboard.h"

static int parse(const char *s, struct st_dashboard **ret, struct st_dash_messages *msgs,
                 struct st_error *err)
{
    return st_dashboard_parse((const uint8_t *)s, strlen(s), ret, msgs, err);
}

/* Asserts that s is rejected and that the error names path. */
static void assert_invalid(const char *s, const char *path)
{
    struct st_error err = {{0}};
    struct st_dash_messages msgs = {0};
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(s, &d, &msgs, &err), -EINVAL);
    assert_null(d);
    assert_string_equal(err.code, ST_ERR_INVALID_PARAMETER_INPUT);
    assert_int_equal(msgs.n, 1);
    assert_string_equal(msgs.items[0].data_path, path);
}

static const char full_body[] =
    "{\"start\":\"-PT3H\",\"periodOverride\":\"inherit\",\"widgets\":["
    "{\"type\":\"metric\",\"x\":0,\"y\":0,\"width\":12,\"height\":6,\"properties\":{"
    "\"metrics\":[[\"AWS/EC2\",\"CPUUtilization\",\"InstanceId\",\"i-1\"],"
    "[\"...\",\"i-2\",{\"stat\":\"p99\",\"yAxis\":\"right\",\"color\":\"#ff0000\","
    "\"label\":\"two\"}],"
    "[\".\",\"NetworkIn\",\".\",\"i-3\",{\"period\":60}]],"
    "\"view\":\"timeSeries\",\"stacked\":true,\"region\":\"us-east-1\",\"period\":300,"
    "\"stat\":\"Maximum\",\"title\":\"CPU\",\"yAxis\":{\"left\":{\"min\":0,\"max\":100,"
    "\"label\":\"%\"}}}},"
    "{\"type\":\"text\",\"width\":6,\"height\":3,\"properties\":{\"markdown\":\"# Hi\"}}]}";

static void test_full_body_model(void **state)
{
    (void)state;
    struct st_dashboard *d = NULL;
    struct st_dash_messages msgs = {0};
    struct st_error err;
    assert_int_equal(parse(full_body, &d, &msgs, &err), 0);
    assert_int_equal(msgs.n, 0);
    assert_string_equal(d->start, "-PT3H");
    assert_string_equal(d->period_override, "inherit");
    assert_int_equal(d->n_widgets, 2);
    const struct st_dash_widget *w = &d->widgets[0];
    assert_int_equal(w->type, ST_DASH_WIDGET_METRIC);
    assert_int_equal(w->width, 12);
    assert_true(w->stacked);
    assert_int_equal(w->period, 300);
    assert_string_equal(w->stat, "Maximum");
    assert_string_equal(w->title, "CPU");
    assert_true(w->left.has_min);
    assert_true(w->left.max == 100.0);
    assert_int_equal(w->n_metrics, 3);
    st_dashboard_free(d);
}

static void test_dot_and_ellipsis_expand(void **state)
{
    (void)state;
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(full_body, &d, NULL, NULL), 0);
    const struct st_dash_metric *m = d->widgets[0].metrics;
    assert_string_equal(m[1].namespace_, "AWS/EC2");
    assert_string_equal(m[1].metric_name, "CPUUtilization");
    assert_int_equal(m[1].n_dimensions, 1);
    assert_string_equal(m[1].dimensions[0].name, "InstanceId");
    assert_string_equal(m[1].dimensions[0].value, "i-2");
    assert_string_equal(m[2].namespace_, "AWS/EC2");
    assert_string_equal(m[2].metric_name, "NetworkIn");
    assert_string_equal(m[2].dimensions[0].name, "InstanceId");
    assert_string_equal(m[2].dimensions[0].value, "i-3");
    st_dashboard_free(d);
}

static void test_metric_options(void **state)
{
    (void)state;
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(full_body, &d, NULL, NULL), 0);
    const struct st_dash_metric *m = d->widgets[0].metrics;
    assert_null(m[0].stat);
    assert_string_equal(m[1].stat, "p99");
    assert_true(m[1].right_axis);
    assert_string_equal(m[1].color, "#ff0000");
    assert_string_equal(m[1].label, "two");
    assert_int_equal(m[2].period, 60);
    assert_true(m[0].visible);
    st_dashboard_free(d);
}

static void test_widgets_without_position_flow_below(void **state)
{
    (void)state;
    const char *s = "{\"widgets\":["
                    "{\"type\":\"text\",\"x\":0,\"y\":0,\"width\":24,\"height\":2,"
                    "\"properties\":{\"markdown\":\"a\"}},"
                    "{\"type\":\"text\",\"width\":18,\"properties\":{\"markdown\":\"b\"}},"
                    "{\"type\":\"text\",\"width\":12,\"properties\":{\"markdown\":\"c\"}}]}";
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(s, &d, NULL, NULL), 0);
    assert_int_equal(d->widgets[1].x, 0);
    assert_int_equal(d->widgets[1].y, 2);
    assert_int_equal(d->widgets[1].height, ST_DASH_DEFAULT_SIZE);
    assert_int_equal(d->widgets[2].x, 0);
    assert_int_equal(d->widgets[2].y, 2 + ST_DASH_DEFAULT_SIZE);
    st_dashboard_free(d);
}

static void test_defaults(void **state)
{
    (void)state;
    struct st_dashboard *d = NULL;
    assert_int_equal(
        parse("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[[\"N\",\"M\"]]}}]}",
              &d, NULL, NULL),
        0);
    assert_int_equal(d->widgets[0].period, ST_DASH_DEFAULT_PERIOD);
    assert_string_equal(d->widgets[0].stat, "Average");
    assert_int_equal(d->widgets[0].view, ST_DASH_VIEW_TIME_SERIES);
    assert_int_equal(d->widgets[0].width, 6);
    st_dashboard_free(d);
}

static void test_unknown_members_are_messages(void **state)
{
    (void)state;
    struct st_dash_messages msgs = {0};
    const char *s = "{\"widgets\":[{\"type\":\"metric\",\"zz\":1,\"properties\":{\"metrics\":[],"
                    "\"stat\":\"tm99\"}}],\"extra\":true}";
    assert_int_equal(parse(s, NULL, &msgs, NULL), 0);
    assert_int_equal(msgs.n, 3);
    assert_string_equal(msgs.items[0].data_path, "/widgets/0/properties/stat");
    assert_string_equal(msgs.items[1].data_path, "/widgets/0/zz");
    assert_string_equal(msgs.items[2].data_path, "/extra");
}

static void test_expression_row_is_kept_with_message(void **state)
{
    (void)state;
    struct st_dash_messages msgs = {0};
    struct st_dashboard *d = NULL;
    const char *s = "{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":["
                    "[{\"expression\":\"SUM(METRICS())\",\"id\":\"e1\"}]]}}]}";
    assert_int_equal(parse(s, &d, &msgs, NULL), 0);
    assert_int_equal(msgs.n, 1);
    assert_string_equal(d->widgets[0].metrics[0].expression, "SUM(METRICS())");
    assert_null(d->widgets[0].metrics[0].namespace_);
    st_dashboard_free(d);
}

static void test_not_json(void **state)
{
    (void)state;
    assert_invalid("{\"widgets\":[", "");
    assert_invalid("", "");
    assert_invalid("{} x", "");
    assert_invalid("[]", "");
}

static void test_nul_byte_rejected(void **state)
{
    (void)state;
    struct st_error err;
    const char s[] = "{\"widgets\":[]}\0";
    assert_int_equal(st_dashboard_parse((const uint8_t *)s, sizeof(s), NULL, NULL, &err), -EINVAL);
}

static void test_too_deep(void **state)
{
    (void)state;
    char s[200];
    memset(s, '[', 100);
    s[100] = '\0';
    assert_invalid(s, "");
}

static void test_too_large(void **state)
{
    (void)state;
    size_t n = ST_DASH_MAX_BODY_BYTES + 1;
    char *s = st_malloc(n + 1);
    assert_non_null(s);
    memset(s, ' ', n);
    s[0] = '{';
    s[n - 1] = '}';
    s[n] = '\0';
    struct st_error err;
    assert_int_equal(st_dashboard_parse((const uint8_t *)s, n, NULL, NULL, &err), -EINVAL);
    assert_string_equal(err.code, ST_ERR_INVALID_PARAMETER_INPUT);
    st_free(s);
}

static void test_missing_widgets(void **state)
{
    (void)state;
    assert_invalid("{}", "");
    assert_invalid("{\"widgets\":{}}", "/widgets");
}

static void test_bad_widget_members(void **state)
{
    (void)state;
    assert_invalid("{\"widgets\":[1]}", "/widgets/0");
    assert_invalid("{\"widgets\":[{\"properties\":{}}]}", "/widgets/0");
    assert_invalid("{\"widgets\":[{\"type\":\"chart\",\"properties\":{}}]}", "/widgets/0/type");
    assert_invalid("{\"widgets\":[{\"type\":\"text\",\"x\":24,\"y\":0,\"properties\":{"
                   "\"markdown\":\"a\"}}]}",
                   "/widgets/0/x");
    assert_invalid("{\"widgets\":[{\"type\":\"text\",\"x\":1.5,\"y\":0,\"properties\":{"
                   "\"markdown\":\"a\"}}]}",
                   "/widgets/0/x");
    assert_invalid("{\"widgets\":[{\"type\":\"text\",\"x\":1,\"properties\":{"
                   "\"markdown\":\"a\"}}]}",
                   "/widgets/0");
    assert_invalid("{\"widgets\":[{\"type\":\"text\",\"height\":0,\"properties\":{"
                   "\"markdown\":\"a\"}}]}",
                   "/widgets/0/height");
    assert_invalid("{\"widgets\":[{\"type\":\"text\",\"properties\":{}}]}",
                   "/widgets/0/properties");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\"}]}", "/widgets/0");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":[]}]}",
                   "/widgets/0/properties");
}

static void test_bad_properties(void **state)
{
    (void)state;
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],"
                   "\"view\":\"pies\"}}]}",
                   "/widgets/0/properties/view");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],"
                   "\"period\":7}}]}",
                   "/widgets/0/properties/period");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],"
                   "\"stacked\":\"yes\"}}]}",
                   "/widgets/0/properties/stacked");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],"
                   "\"yAxis\":{\"left\":{\"min\":5,\"max\":1}}}}]}",
                   "/widgets/0/properties/yAxis/left");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],"
                   "\"title\":3}}]}",
                   "/widgets/0/properties/title");
    assert_invalid("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":{}}}]}",
                   "/widgets/0/properties/metrics");
}

static void test_bad_metric_rows(void **state)
{
    (void)state;
    const char *pre = "{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":";
    const char *rows[][2] = {
        {"[[\"N\"]]", "/widgets/0/properties/metrics/0"},
        {"[[\"N\",\"M\",\"D\"]]", "/widgets/0/properties/metrics/0"},
        {"[[]]", "/widgets/0/properties/metrics/0"},
        {"[\"N\"]", "/widgets/0/properties/metrics/0"},
        {"[[\"N\",5]]", "/widgets/0/properties/metrics/0/1"},
        {"[[\".\",\"M\"]]", "/widgets/0/properties/metrics/0/0"},
        {"[[\"N\",\"...\"]]", "/widgets/0/properties/metrics/0/1"},
        {"[[\"N\",\"\"]]", "/widgets/0/properties/metrics/0/1"},
        {"[[\"N\",\"M\",{\"yAxis\":\"up\"}]]", "/widgets/0/properties/metrics/0/2/yAxis"},
        {"[[\"N\",\"M\",{\"color\":\"red\"}]]", "/widgets/0/properties/metrics/0/2/color"},
        {"[[\"N\",\"M\",{\"period\":0}]]", "/widgets/0/properties/metrics/0/2/period"},
        {"[[{\"label\":\"x\"}]]", "/widgets/0/properties/metrics/0"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char s[512];
        snprintf(s, sizeof(s), "%s%s}}]}", pre, rows[i][0]);
        assert_invalid(s, rows[i][1]);
    }
}

static void test_too_many_dimensions(void **state)
{
    (void)state;
    char s[4096];
    size_t n = (size_t)snprintf(s, sizeof(s),
                                "{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":"
                                "[[\"N\",\"M\"");
    for (int i = 0; i < ST_DASH_MAX_DIMENSIONS + 1; i++) {
        n += (size_t)snprintf(s + n, sizeof(s) - n, ",\"d%d\",\"v\"", i);
    }
    snprintf(s + n, sizeof(s) - n, "]]}}]}");
    assert_invalid(s, "/widgets/0/properties/metrics/0");
}

static void test_bad_times(void **state)
{
    (void)state;
    assert_invalid("{\"widgets\":[],\"start\":\"yesterday\"}", "/start");
    assert_invalid("{\"widgets\":[],\"end\":\"-PT1H\"}", "");
    assert_invalid("{\"widgets\":[],\"periodOverride\":\"never\"}", "/periodOverride");
}

static void test_relative_times(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(st_dashboard_parse_relative("-PT3H", &ms), 0);
    assert_int_equal(ms, -3 * 3600 * 1000LL);
    assert_int_equal(st_dashboard_parse_relative("-P1W", &ms), 0);
    assert_int_equal(ms, -7 * 86400 * 1000LL);
    assert_int_equal(st_dashboard_parse_relative("-P1DT12H30M", &ms), 0);
    assert_int_equal(ms, -(86400 + 12 * 3600 + 30 * 60) * 1000LL);
    assert_int_equal(st_dashboard_parse_relative("PT3H", &ms), -EINVAL);
    assert_int_equal(st_dashboard_parse_relative("-P", &ms), -EINVAL);
    assert_int_equal(st_dashboard_parse_relative("-PT3D", &ms), -EINVAL);
    assert_int_equal(st_dashboard_parse_relative("-P3H", &ms), -EINVAL);
    assert_int_equal(st_dashboard_parse_relative("-PT99999999999H", &ms), -EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(st_dashboard_name_valid("ops_1-a"));
    assert_false(st_dashboard_name_valid(""));
    assert_false(st_dashboard_name_valid("a/b"));
    assert_false(st_dashboard_name_valid("a b"));
    char long_name[300];
    memset(long_name, 'a', 256);
    long_name[256] = '\0';
    assert_false(st_dashboard_name_valid(long_name));
}

static void test_edit_geometry_keeps_other_members(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(st_dashboard_body_set_geometry(full_body, 0, 6, 2, 18, 4, &out), 0);
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(out, &d, NULL, NULL), 0);
    assert_int_equal(d->widgets[0].x, 6);
    assert_int_equal(d->widgets[0].y, 2);
    assert_int_equal(d->widgets[0].width, 18);
    assert_int_equal(d->widgets[0].height, 4);
    assert_int_equal(d->widgets[0].n_metrics, 3);
    assert_string_equal(d->start, "-PT3H");
    st_dashboard_free(d);
    st_free(out);
}

static void test_edit_geometry_rejects_off_grid(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(st_dashboard_body_set_geometry(full_body, 0, 20, 0, 6, 4, &out), -EINVAL);
    assert_int_equal(st_dashboard_body_set_geometry(full_body, 5, 0, 0, 6, 4, &out), -EINVAL);
    assert_int_equal(st_dashboard_body_set_geometry("{nope", 0, 0, 0, 6, 4, &out), -EINVAL);
    assert_null(out);
}

static void test_edit_remove(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(st_dashboard_body_remove_widget(full_body, 0, &out), 0);
    struct st_dashboard *d = NULL;
    assert_int_equal(parse(out, &d, NULL, NULL), 0);
    assert_int_equal(d->n_widgets, 1);
    assert_int_equal(d->widgets[0].type, ST_DASH_WIDGET_TEXT);
    st_dashboard_free(d);
    st_free(out);
    assert_int_equal(st_dashboard_body_remove_widget(full_body, 2, &out), -EINVAL);
}

static void test_edit_add_to_empty(void **state)
{
    (void)state;
    char *out = NULL;
    struct st_dash_dimension dims[] = {{"Host", "a"}};
    assert_int_equal(st_dashboard_body_add_metric_widget(NULL, NULL, "Bars/View", "Wave", dims, 1,
                                                         "Sum", 60, 0, 0, 12, 6, &out),
                     0);
    struct st_dashboard *d = NULL;
    struct st_dash_messages msgs = {0};
    assert_int_equal(parse(out, &d, &msgs, NULL), 0);
    assert_int_equal(msgs.n, 0);
    assert_int_equal(d->n_widgets, 1);
    const struct st_dash_widget *w = &d->widgets[0];
    assert_string_equal(w->title, "Wave");
    assert_string_equal(w->stat, "Sum");
    assert_int_equal(w->period, 60);
    assert_string_equal(w->metrics[0].namespace_, "Bars/View");
    assert_string_equal(w->metrics[0].dimensions[0].value, "a");
    st_dashboard_free(d);
    st_free(out);
}

static void test_edit_add_rejects_bad_period(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(st_dashboard_body_add_metric_widget(NULL, NULL, "N", "M", NULL, 0, NULL, 7, 0,
                                                         0, 6, 6, &out),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_body_model),
        cmocka_unit_test(test_dot_and_ellipsis_expand),
        cmocka_unit_test(test_metric_options),
        cmocka_unit_test(test_widgets_without_position_flow_below),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_members_are_messages),
        cmocka_unit_test(test_expression_row_is_kept_with_message),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_nul_byte_rejected),
        cmocka_unit_test(test_too_deep),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_missing_widgets),
        cmocka_unit_test(test_bad_widget_members),
        cmocka_unit_test(test_bad_properties),
        cmocka_unit_test(test_bad_metric_rows),
        cmocka_unit_test(test_too_many_dimensions),
        cmocka_unit_test(test_bad_times),
        cmocka_unit_test(test_relative_times),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_edit_geometry_keeps_other_members),
        cmocka_unit_test(test_edit_geometry_rejects_off_grid),
        cmocka_unit_test(test_edit_remove),
        cmocka_unit_test(test_edit_add_to_empty),
        cmocka_unit_test(test_edit_add_rejects_bad_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
