/* SPDX-License-Identifier: MIT */
/*
 * Breaching periods of an alarm's series (alarm_breach.h). A run grows while each next
 * datapoint breaches and starts exactly one period after the previous one, so a gap in the data
 * (a missing period, which TreatMissingData may or may not count) is never painted as breaching.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "alarm_breach.h"

#define DEFAULT_PERIOD_MS 60000

static const struct {
    const char *name;
    enum st_alarm_cmp cmp;
} names[] = {
    {"GreaterThanOrEqualToThreshold", ST_ALARM_CMP_GE},
    {"GreaterThanThreshold", ST_ALARM_CMP_GT},
    {"LessThanThreshold", ST_ALARM_CMP_LT},
    {"LessThanOrEqualToThreshold", ST_ALARM_CMP_LE},
};

int st_alarm_cmp_parse(const char *name, enum st_alarm_cmp *ret_cmp)
{
    if (!name) {
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *ret_cmp = names[i].cmp;
            return 0;
        }
    }
    return -EINVAL;
}

bool st_alarm_breaches(enum st_alarm_cmp cmp, double value, double threshold)
{
    if (isnan(value) || isnan(threshold)) {
        return false;
    }
    switch (cmp) {
    case ST_ALARM_CMP_GE:
        return value >= threshold;
    case ST_ALARM_CMP_GT:
        return value > threshold;
    case ST_ALARM_CMP_LT:
        return value < threshold;
    case ST_ALARM_CMP_LE:
        return value <= threshold;
    }
    return false;
}

static int64_t smallest_gap(const int64_t *ts, size_t n)
{
    int64_t best = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t d = ts[i] - ts[i - 1];
        if (d > 0 && (best == 0 || d < best)) {
            best = d;
        }
    }
    return best > 0 ? best : DEFAULT_PERIOD_MS;
}

size_t st_alarm_breach_spans(const int64_t *ts, const double *vs, size_t n, int64_t period_ms,
                             enum st_alarm_cmp cmp, double threshold,
                             struct st_breach_span *ret_spans, size_t max)
{
    if (!ts || !vs || n == 0) {
        return 0;
    }
    if (period_ms <= 0) {
        period_ms = smallest_gap(ts, n);
    }
    size_t count = 0;
    bool open = false;
    struct st_breach_span cur = {0, 0};
    for (size_t i = 0; i < n; i++) {
        bool b = st_alarm_breaches(cmp, vs[i], threshold);
        if (open && (!b || ts[i] > cur.t1_ms)) {
            if (count < max) {
                ret_spans[count] = cur;
            }
            count++;
            open = false;
        }
        if (!b) {
            continue;
        }
        if (!open) {
            cur.t0_ms = ts[i];
            open = true;
        }
        cur.t1_ms = ts[i] + period_ms;
    }
    if (open) {
        if (count < max) {
            ret_spans[count] = cur;
        }
        count++;
    }
    return count;
}
