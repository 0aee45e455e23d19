/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the composite alarm rule parser: the grammar (state functions, TRUE/FALSE,
 * NOT/AND/OR precedence, parentheses, quoted and bare names), evaluation against alarm states,
 * and malformed rules rejected with the position of the problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stratus/alarm_rule.h"

/* Alarm states for evaluation: "a".."e" as the string says (O, A, I), others missing. */
static int states(const char *name, void *data)
{
    const char *s = data;
    if (strlen(name) != 1 || name[0] < 'a' || name[0] > 'e') {
        return -1;
    }
    switch (s[name[0] - 'a']) {
    case 'O':
        return ST_ALARM_RULE_OK;
    case 'A':
        return ST_ALARM_RULE_ALARM;
    case 'I':
        return ST_ALARM_RULE_INSUFFICIENT_DATA;
    default:
        return -1;
    }
}

static bool eval(const char *rule, const char *st)
{
    struct st_alarm_rule *r = NULL;
    struct st_error err;
    int ret = st_alarm_rule_parse((const uint8_t *)rule, strlen(rule), &r, &err);
    if (ret != 0) {
        fail_msg("'%s' did not parse: %s", rule, err.message);
    }
    bool v = st_alarm_rule_eval(r, states, (void *)st);
    st_alarm_rule_free(r);
    return v;
}

static void expect_error(const char *rule, const char *want)
{
    struct st_alarm_rule *r = NULL;
    struct st_error err;
    assert_int_equal(st_alarm_rule_parse((const uint8_t *)rule, strlen(rule), &r, &err), -EINVAL);
    assert_null(r);
    assert_string_equal(err.code, "InvalidParameterValue");
    if (!strstr(err.message, want)) {
        fail_msg("'%s': got '%s', want it to contain '%s'", rule, err.message, want);
    }
}

static void test_state_functions(void **state)
{
    (void)state;
    assert_true(eval("ALARM(\"a\")", "AOI"));
    assert_false(eval("ALARM(\"b\")", "AOI"));
    assert_true(eval("OK(\"b\")", "AOI"));
    assert_true(eval("INSUFFICIENT_DATA(\"c\")", "AOI"));
    assert_false(eval("OK(\"zz\")", "AOI")); /* no such alarm: every state function is false */
    assert_true(eval("ALARM(a)", "A"));      /* bare names */
    assert_true(eval("ALARM( a )", "A"));
}

static void test_literals_and_not(void **state)
{
    (void)state;
    assert_true(eval("TRUE", ""));
    assert_false(eval("FALSE", ""));
    assert_true(eval("NOT FALSE", ""));
    assert_false(eval("NOT NOT FALSE", ""));
    assert_true(eval("ALARM(\"a\") AND NOT OK(\"b\")", "AI"));
    assert_false(eval("ALARM(\"a\") AND NOT OK(\"b\")", "AO"));
}

static void test_precedence_and_parentheses(void **state)
{
    (void)state;
    /* AND binds tighter than OR: TRUE OR (FALSE AND FALSE). */
    assert_true(eval("TRUE OR FALSE AND FALSE", ""));
    assert_false(eval("(TRUE OR FALSE) AND FALSE", ""));
    /* NOT binds tighter than AND. */
    assert_false(eval("NOT TRUE AND TRUE", ""));
    assert_true(eval("NOT (TRUE AND FALSE)", ""));
    assert_true(eval("(ALARM(\"a\") OR ALARM(\"b\")) AND NOT INSUFFICIENT_DATA(\"c\")", "OAO"));
    assert_false(eval("(ALARM(\"a\") OR ALARM(\"b\")) AND NOT INSUFFICIENT_DATA(\"c\")", "OAI"));
}

static void test_refs_and_escapes(void **state)
{
    (void)state;
    const char *rule = "ALARM(\"x \\\"y\\\"\") OR OK(\"b\\\\c\") OR ALARM(\"x \\\"y\\\"\")";
    struct st_alarm_rule *r = NULL;
    assert_int_equal(st_alarm_rule_parse((const uint8_t *)rule, strlen(rule), &r, NULL), 0);
    assert_int_equal(st_alarm_rule_n_refs(r), 3);
    assert_string_equal(st_alarm_rule_ref(r, 0), "x \"y\"");
    assert_string_equal(st_alarm_rule_ref(r, 1), "b\\c");
    assert_null(st_alarm_rule_ref(r, 3));
    st_alarm_rule_free(r);
}

static void test_errors_have_positions(void **state)
{
    (void)state;
    expect_error("", "empty");
    expect_error("ALARM(\"a\") AND", "unexpected end of the rule");
    expect_error("ALARM(\"a\") AND", "at position 15");
    expect_error("ALARM(\"a\"", "expected ')' after the alarm name at position 10");
    expect_error("ALARM \"a\"", "expected '(' after ALARM at position 7");
    expect_error("(TRUE", "expected ')' at position 6");
    expect_error("TRUE FALSE", "expected AND, OR or the end of the rule at position 6");
    expect_error("alarm(\"a\")", "at position 1");
    expect_error("ALARMS(\"a\")", "at position 1");
    expect_error("ALARM(\"a)", "unterminated alarm name");
    expect_error("ALARM()", "expected an alarm name at position 7");
    expect_error("TRUE ANDTRUE", "at position 6");
}

static void test_limits(void **state)
{
    (void)state;
    char buf[ST_ALARM_RULE_MAX_LEN + 2];
    /* Nesting deeper than the limit. */
    size_t n = 0;
    for (int i = 0; i < ST_ALARM_RULE_MAX_DEPTH + 1; i++) {
        buf[n++] = '(';
    }
    memcpy(buf + n, "TRUE", 4);
    n += 4;
    for (int i = 0; i < ST_ALARM_RULE_MAX_DEPTH + 1; i++) {
        buf[n++] = ')';
    }
    buf[n] = '\0';
    expect_error(buf, "nested deeper than");
    /* More alarms than the limit. */
    n = 0;
    for (int i = 0; i <= ST_ALARM_RULE_MAX_REFS; i++) {
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sOK(a)", i ? " OR " : "");
    }
    expect_error(buf, "more than 100 alarms");
    /* Too long. */
    memset(buf, ' ', ST_ALARM_RULE_MAX_LEN + 1);
    buf[ST_ALARM_RULE_MAX_LEN + 1] = '\0';
    expect_error(buf, "longer than");
    /* A name too long. */
    char name[ST_ALARM_NAME_MAX + 20];
    memset(name, 'n', sizeof(name));
    snprintf(buf, sizeof(buf), "ALARM(\"%.*s\")", ST_ALARM_NAME_MAX + 1, name);
    expect_error(buf, "alarm name longer than 255");
}

static void test_embedded_nul_is_rejected(void **state)
{
    (void)state;
    const uint8_t rule[] = {'T', 'R', 'U', 'E', 0, 'X'};
    struct st_alarm_rule *r = NULL;
    struct st_error err;
    assert_int_equal(st_alarm_rule_parse(rule, sizeof(rule), &r, &err), -EINVAL);
    assert_non_null(strstr(err.message, "position 5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_functions),
        cmocka_unit_test(test_literals_and_not),
        cmocka_unit_test(test_precedence_and_parentheses),
        cmocka_unit_test(test_refs_and_escapes),
        cmocka_unit_test(test_errors_have_positions),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_embedded_nul_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
