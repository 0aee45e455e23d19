/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the schema-driven JSON configuration reader: types, bounds, nesting, unknown
 * keys and syntax errors, each named by its JSON path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "stratus/config.h"

struct cfg {
    char name[8];
    int64_t interval;
    bool debug;
    int64_t depth;
};

#define F(k, t, m) .key = k, .type = t, .offset = offsetof(struct cfg, m)
static const struct st_cfg_field inner[] = {
    {F("depth", ST_CFG_INT, depth), .min = 0, .max = 3},
    {NULL},
};
static const struct st_cfg_field fields[] = {
    {F("name", ST_CFG_STRING, name), .size = 8},
    {F("interval", ST_CFG_INT, interval), .min = 1, .max = 86400},
    {F("debug", ST_CFG_BOOL, debug)},
    {.key = "nested", .type = ST_CFG_OBJECT, .fields = inner},
    {NULL},
};
#undef F

static int apply(const char *text, struct cfg *c, struct st_error *err)
{
    json_object *root;
    int r = st_config_parse(text, strlen(text), &root, err);
    if (r < 0) {
        return r;
    }
    r = st_config_apply(root, "$", fields, c, err);
    json_object_put(root);
    return r;
}

static void test_valid_config_fills_every_field(void **state)
{
    (void)state;
    struct cfg c = {0};
    struct st_error err;
    assert_int_equal(
        apply("{\"name\": \"web\", \"interval\": 60, \"debug\": true, \"nested\": {\"depth\": 2}}",
              &c, &err),
        0);
    assert_string_equal(c.name, "web");
    assert_int_equal(c.interval, 60);
    assert_true(c.debug);
    assert_int_equal(c.depth, 2);
}

static void test_absent_keys_keep_their_defaults(void **state)
{
    (void)state;
    struct cfg c = {.interval = 60};
    assert_int_equal(apply("{}", &c, NULL), 0);
    assert_int_equal(c.interval, 60);
}

struct bad {
    const char *json;
    const char *message_part;
};

static void test_bad_configs_are_rejected_naming_the_json_path(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"{\"interval\": \"60\"}", "$.interval: expected an integer from 1 to 86400, found a "
                                   "string"},
        {"{\"interval\": 0}", "$.interval: expected an integer from 1 to 86400"},
        {"{\"interval\": 1.5}", "$.interval: expected an integer"},
        {"{\"interval\": 99999999999999999999}", "$.interval"},
        {"{\"debug\": 1}", "$.debug: expected true or false, found an integer"},
        {"{\"name\": \"much too long\"}", "$.name: expected a string of at most 7 bytes"},
        {"{\"name\": \"a\\u0000b\"}", "$.name"},
        {"{\"nested\": {\"depth\": 9}}", "$.nested.depth: expected an integer from 0 to 3"},
        {"{\"nested\": {\"other\": 1}}", "$.nested.other: unknown key"},
        {"{\"nested\": []}", "$.nested: expected an object, found an array"},
        {"{\"colour\": \"red\"}", "$.colour: unknown key"},
        {"[1, 2]", "$: expected an object, found an array"},
        {"{\"interval\": 60", "ends in the middle"},
        {"{\"interval\": 60,}", "not valid JSON at line 1"},
        {"{\"a\": 1}\n{\"b\": 2}", "not valid JSON at line 2"},
        {"\n\n  {x}", "line 3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cfg c = {0};
        struct st_error err = {{0}};
        int r = apply(cases[i].json, &c, &err);
        if (r == 0 || !strstr(err.message, cases[i].message_part)) {
            fail_msg("case %zu (%s): r=%d message '%s'", i, cases[i].json, r, err.message);
        }
    }
}

static void test_deep_nesting_is_refused_not_recursed(void **state)
{
    (void)state;
    char deep[2001];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[2000] = '\0';
    json_object *root;
    assert_int_equal(st_config_parse(deep, strlen(deep), &root, NULL), -EINVAL);
}

static void test_missing_file_is_an_error_naming_it(void **state)
{
    (void)state;
    json_object *root;
    struct st_error err;
    assert_true(st_config_parse_file("/nonexistent/stratus.json", &root, &err) < 0);
    assert_non_null(strstr(err.message, "/nonexistent/stratus.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_config_fills_every_field),
        cmocka_unit_test(test_absent_keys_keep_their_defaults),
        cmocka_unit_test(test_bad_configs_are_rejected_naming_the_json_path),
        cmocka_unit_test(test_deep_nesting_is_refused_not_recursed),
        cmocka_unit_test(test_missing_file_is_an_error_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
