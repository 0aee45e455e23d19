/* SPDX-License-Identifier: MIT */
/*
 * Composite alarm rules, as CloudWatch's AlarmRule: ALARM("name"), OK("name"),
 * INSUFFICIENT_DATA("name") (the name quoted, or bare up to the closing parenthesis), TRUE,
 * FALSE, NOT, AND, OR (NOT binds tightest, then AND, then OR) and parentheses. The parser takes
 * outside bytes, does no I/O and caps everything a user controls: ST_ALARM_RULE_MAX_LEN bytes,
 * ST_ALARM_RULE_MAX_DEPTH nesting, ST_ALARM_RULE_MAX_REFS state functions. Errors say what was
 * expected and at which position (1-based byte offset), as "... at position 17".
 *
 * Ownership: a parsed rule owns its names; st_alarm_rule_ref's strings live as long as it.
 */
#ifndef STRATUS_ALARM_RULE_H
#define STRATUS_ALARM_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

#define ST_ALARM_RULE_MAX_LEN   10240
#define ST_ALARM_RULE_MAX_DEPTH 64
#define ST_ALARM_RULE_MAX_REFS  100
#define ST_ALARM_NAME_MAX       255

struct st_alarm_rule;

/* Parses s[0..len). Returns 0 with *ret owned by the caller, -EINVAL with err set
 * (InvalidParameterValue), or -ENOMEM. */
int st_alarm_rule_parse(const uint8_t *s, size_t len, struct st_alarm_rule **ret,
                        struct st_error *err);
void st_alarm_rule_free(struct st_alarm_rule *r);

/* The alarms the rule names (duplicates kept), in order of appearance. */
size_t st_alarm_rule_n_refs(const struct st_alarm_rule *r);
const char *st_alarm_rule_ref(const struct st_alarm_rule *r, size_t i);

/* The states a rule can test, as enum st_alarm_state numbers them. */
enum st_alarm_rule_state {
    ST_ALARM_RULE_OK = 0,
    ST_ALARM_RULE_ALARM = 1,
    ST_ALARM_RULE_INSUFFICIENT_DATA = 2,
};

/* Evaluates the rule; state_of returns an alarm's state, or -1 when it does not exist (every
 * state function over it is then false). */
bool st_alarm_rule_eval(const struct st_alarm_rule *r,
                        int (*state_of)(const char *name, void *data), void *data);

#endif
