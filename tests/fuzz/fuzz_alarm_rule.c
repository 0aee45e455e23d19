/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: composite alarm rules (AlarmRule) from outside bytes. The parser must accept or
 * reject without reading out of bounds; an accepted rule must evaluate (under every state
 * assignment drawn from the input) and list at most ST_ALARM_RULE_MAX_REFS names of at most
 * ST_ALARM_NAME_MAX bytes. Allocations may fail (replay_main.c arms st_alloc_fail_after): the
 * parser then returns -ENOMEM and leaks nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/alarm_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int state_from_name(const char *name, void *data)
{
    (void)data;
    size_t h = 0;
    for (const char *p = name; *p; p++) {
        h = h * 31 + (unsigned char)*p;
    }
    return (int)(h % 4) - 1; /* -1 (no such alarm), OK, ALARM, INSUFFICIENT_DATA */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_alarm_rule *r = NULL;
    struct st_error err;
    int ret = st_alarm_rule_parse(data, size, &r, &err);
    if (ret < 0) {
        if (ret != -EINVAL && ret != -ENOMEM) {
            abort();
        }
        return 0;
    }
    if (st_alarm_rule_n_refs(r) > ST_ALARM_RULE_MAX_REFS) {
        abort();
    }
    for (size_t i = 0; i < st_alarm_rule_n_refs(r); i++) {
        size_t len = strlen(st_alarm_rule_ref(r, i));
        if (len == 0 || len > ST_ALARM_NAME_MAX) {
            abort();
        }
    }
    (void)st_alarm_rule_eval(r, state_from_name, NULL);
    st_alarm_rule_free(r);
    return 0;
}
