/* SPDX-License-Identifier: MIT */
/*
 * The alarm evaluator: a pure function from an alarm's settings, its current state and the
 * period datapoints of its evaluation range to the new state, the StateReason text and the
 * StateReasonData JSON, with CloudWatch's semantics (DESIGN.md section 4, docs/alarms.md):
 * the evaluation range longer than N, the newest N real datapoints when there are N, the
 * TreatMissingData fill when there are fewer, premature ALARM, and the low-sample rule of
 * percentile alarms. No I/O, no clock, no globals: the caller passes the query time. Also the
 * names of the enums as the CloudWatch API spells them.
 */
#ifndef STRATUS_COLLECTOR_ALARM_EVAL_H
#define STRATUS_COLLECTOR_ALARM_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum st_alarm_state {
    ST_ALARM_STATE_OK,
    ST_ALARM_STATE_ALARM,
    ST_ALARM_STATE_INSUFFICIENT_DATA,
};

enum st_alarm_cmp {
    ST_ALARM_CMP_GE, /* GreaterThanOrEqualToThreshold */
    ST_ALARM_CMP_GT, /* GreaterThanThreshold */
    ST_ALARM_CMP_LT, /* LessThanThreshold */
    ST_ALARM_CMP_LE, /* LessThanOrEqualToThreshold */
};

enum st_alarm_missing {
    ST_ALARM_MISSING_MISSING,
    ST_ALARM_MISSING_NOT_BREACHING,
    ST_ALARM_MISSING_BREACHING,
    ST_ALARM_MISSING_IGNORE,
};

/* The API names ("INSUFFICIENT_DATA", "GreaterThanThreshold", "notBreaching"); static. */
const char *st_alarm_state_name(enum st_alarm_state s);
const char *st_alarm_cmp_name(enum st_alarm_cmp c);
const char *st_alarm_missing_name(enum st_alarm_missing m);
/* Parse an API name; 0 or -EINVAL. */
int st_alarm_state_parse(const char *s, enum st_alarm_state *ret);
int st_alarm_cmp_parse(const char *s, enum st_alarm_cmp *ret);
int st_alarm_missing_parse(const char *s, enum st_alarm_missing *ret);

/* Whether value breaches threshold under c. */
bool st_alarm_breaches(enum st_alarm_cmp c, double value, double threshold);

/* How many periods the evaluation range holds for N evaluation periods: N + 2 (5 for 3). */
unsigned st_alarm_eval_range(unsigned n);

/* One period of the evaluation range. */
struct st_alarm_point {
    int64_t t_ms;        /* start of the period */
    bool present;        /* a datapoint exists for the period */
    double value;        /* the alarm's statistic */
    double sample_count; /* samples behind it */
};

struct st_alarm_eval_in {
    enum st_alarm_state state; /* the current state */
    unsigned n;                /* EvaluationPeriods */
    unsigned m;                /* DatapointsToAlarm (1..n) */
    double threshold;
    enum st_alarm_cmp cmp;
    enum st_alarm_missing missing;
    int period_s;
    const char *statistic;  /* "Average", or the ExtendedStatistic "p99" */
    bool percentile;        /* statistic is an ExtendedStatistic */
    double quantile;        /* 0..1 when percentile */
    bool low_sample_ignore; /* EvaluateLowSampleCountPercentile "ignore" */
    /* The evaluation range, oldest first, consecutive periods. */
    const struct st_alarm_point *points;
    size_t n_points;
    int64_t query_ms; /* when the evaluation ran (StateReasonData's queryDate) */
};

/* CloudWatch limits StateReason to 1023 and StateReasonData to 4000 characters. */
#define ST_ALARM_REASON_MAX      1024
#define ST_ALARM_REASON_DATA_MAX 4001

struct st_alarm_eval_out {
    enum st_alarm_state state; /* the new state; equal to in->state when kept */
    bool changed;
    char reason[ST_ALARM_REASON_MAX];
    char reason_data[ST_ALARM_REASON_DATA_MAX];
};

/*
 * Evaluates. Fills *out always (reason texts only when the state changes; empty otherwise).
 * Returns 0, or -EINVAL for settings out of range (n == 0, m > n, no points).
 */
int st_alarm_eval(const struct st_alarm_eval_in *in, struct st_alarm_eval_out *out);

/* The sample count below which a percentile is "low sample" (10/(1-q) for q >= 0.5, else
 * 10/q): p99 1000, p90 100, p50 20, p10 100. */
double st_alarm_low_sample_limit(double q);

/* Formats ms as CloudWatch's reason dates "dd/MM/yy HH:mm:ss" (UTC); buf needs 20 bytes. */
void st_alarm_format_reason_time(int64_t ms, char *buf, size_t len);
/* Formats ms as StateReasonData's "2026-12-03T15:00:00.000+0000"; buf needs 32 bytes. */
void st_alarm_format_iso_time(int64_t ms, char *buf, size_t len);
/* Formats v as Java prints a double: shortest digits, "50.0" when integral; 32 bytes. */
void st_alarm_format_double(double v, char *buf, size_t len);

#endif
