/* SPDX-License-Identifier: MIT */
/*
 * What the Alarms page marks on an alarm's chart, GUI-free so that it is unit-tested: the
 * comparison operators of CloudWatch alarms (parsed from their names), whether a value breaches
 * a threshold, and the breaching periods of a series: maximal runs of consecutive breaching
 * datapoints, each datapoint standing for [timestamp, timestamp + period). A missing period or
 * a datapoint that does not breach ends a run. Nothing here allocates; callers own the arrays.
 */
#ifndef STRATUS_VIEWER_ALARM_BREACH_H
#define STRATUS_VIEWER_ALARM_BREACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum st_alarm_cmp {
    ST_ALARM_CMP_GE, /* GreaterThanOrEqualToThreshold */
    ST_ALARM_CMP_GT, /* GreaterThanThreshold */
    ST_ALARM_CMP_LT, /* LessThanThreshold */
    ST_ALARM_CMP_LE, /* LessThanOrEqualToThreshold */
};

/* Parses a ComparisonOperator name. Returns 0, or -EINVAL for NULL or any other string
 * (the anomaly-band operators included: they have no fixed threshold); *ret_cmp is written
 * only on success. */
int st_alarm_cmp_parse(const char *name, enum st_alarm_cmp *ret_cmp);

/* Whether value breaches threshold under cmp (NaN never breaches). */
bool st_alarm_breaches(enum st_alarm_cmp cmp, double value, double threshold);

/* One breaching stretch: [t0_ms, t1_ms). */
struct st_breach_span {
    int64_t t0_ms, t1_ms;
};

/*
 * The breaching periods of n datapoints (ts ascending, values vs): writes at most max spans to
 * ret_spans and returns how many there are (which may exceed max; n spans are always enough).
 * period_ms > 0 is the alarm's period; 0 or less takes the smallest positive gap between two
 * timestamps (60 s when there is none), so a chart of any series can be marked.
 */
size_t st_alarm_breach_spans(const int64_t *ts, const double *vs, size_t n, int64_t period_ms,
                             enum st_alarm_cmp cmp, double threshold,
                             struct st_breach_span *ret_spans, size_t max);

#endif
