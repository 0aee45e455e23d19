/* SPDX-License-Identifier: MIT */
/*
 * The metric model with CloudWatch semantics: units, statistics, limits, and validation of the
 * native API's requests exactly as CloudWatch validates PutMetricData, GetMetricStatistics and
 * ListMetrics. Validators borrow the decoded protobuf request and never keep pointers into it.
 * Error messages name the parameter the way the AWS API does ("MetricData.member.3.Value").
 */
#ifndef STRATUS_METRIC_H
#define STRATUS_METRIC_H

#include <stdbool.h>
#include <stdint.h>

#include "stratus.pb-c.h"
#include "stratus/error.h"

#define ST_MAX_NAME_LEN       255  /* namespace, metric name, dimension name */
#define ST_MAX_DIM_VALUE_LEN  1024 /* dimension value */
#define ST_MAX_DIMENSIONS     30
#define ST_MAX_DATUMS         1000
#define ST_MAX_VALUES         150 /* Values/Counts array length */
#define ST_MAX_REQUEST_BYTES  (1024 * 1024)
#define ST_MAX_STATISTICS     5
#define ST_MAX_EXT_STATISTICS 10
#define ST_MAX_DATAPOINTS     1440
#define ST_MAX_PAST_MS        (14LL * 24 * 3600 * 1000) /* two weeks */
#define ST_MAX_FUTURE_MS      (2LL * 3600 * 1000)       /* two hours */
#define ST_VALUE_LIMIT_LOG2   360                       /* |value| <= 2^360 */

/* CloudWatch's StandardUnit enum, in its documented order. */
enum st_unit {
    ST_UNIT_SECONDS,
    ST_UNIT_MICROSECONDS,
    ST_UNIT_MILLISECONDS,
    ST_UNIT_BYTES,
    ST_UNIT_KILOBYTES,
    ST_UNIT_MEGABYTES,
    ST_UNIT_GIGABYTES,
    ST_UNIT_TERABYTES,
    ST_UNIT_BITS,
    ST_UNIT_KILOBITS,
    ST_UNIT_MEGABITS,
    ST_UNIT_GIGABITS,
    ST_UNIT_TERABITS,
    ST_UNIT_PERCENT,
    ST_UNIT_COUNT,
    ST_UNIT_BYTES_SECOND,
    ST_UNIT_KILOBYTES_SECOND,
    ST_UNIT_MEGABYTES_SECOND,
    ST_UNIT_GIGABYTES_SECOND,
    ST_UNIT_TERABYTES_SECOND,
    ST_UNIT_BITS_SECOND,
    ST_UNIT_KILOBITS_SECOND,
    ST_UNIT_MEGABITS_SECOND,
    ST_UNIT_GIGABITS_SECOND,
    ST_UNIT_TERABITS_SECOND,
    ST_UNIT_COUNT_SECOND,
    ST_UNIT_NONE,
    ST_UNIT__COUNT,
};

/* Returns 0 and the unit for its CloudWatch name ("Count/Second"), or -EINVAL. */
int st_unit_parse(const char *s, enum st_unit *ret_unit);
/* The CloudWatch name of a unit; "None" for out-of-range values. Static storage. */
const char *st_unit_name(enum st_unit unit);

enum st_stat {
    ST_STAT_SAMPLE_COUNT = 1 << 0,
    ST_STAT_AVERAGE = 1 << 1,
    ST_STAT_SUM = 1 << 2,
    ST_STAT_MINIMUM = 1 << 3,
    ST_STAT_MAXIMUM = 1 << 4,
};

/* Parses "SampleCount", "Average", "Sum", "Minimum" or "Maximum"; 0 or -EINVAL. */
int st_stat_parse(const char *s, enum st_stat *ret_stat);

/*
 * Parses an extended statistic "pNN.NN" (p0 .. p100, at most two decimals, as CloudWatch) into
 * the quantile q in [0, 1] (p99.9 -> 0.999). Returns 0 or -EINVAL.
 */
int st_percentile_parse(const char *s, double *ret_q);

struct st_validate_opts {
    bool allow_aws_namespace; /* accept namespaces starting with "AWS/" */
};

/* Checks a namespace: 1-255 characters, each a letter, digit, '.', '-', '_', '/', '#', ':' or
 * space, at least one that is not a space, no leading ':', no "AWS/" prefix unless allowed
 * (opts may be NULL: not allowed). `param` names it in the message. Returns 0 or -EINVAL. */
int st_validate_namespace(const char *ns, const char *param, const struct st_validate_opts *opts,
                          struct st_error *err);

/*
 * Validates a whole PutMetricData request as CloudWatch does: namespace; 1..1000 datums; for
 * each: metric name (1-255 characters of UTF-8, no control characters, not all whitespace), up
 * to 30 dimensions (ASCII without control characters and not all whitespace: name 1-255 and not
 * starting with ':', value 1-1024; no duplicate names), exactly one of Value, StatisticValues or
 * Values (Counts only with Values, of equal length, at most 150), every number finite and
 * within +/-2^360, StatisticValues complete with SampleCount > 0 and Minimum <= Maximum,
 * counts >= 0, unit in the enum, StorageResolution 1 or 60, timestamp within two weeks before
 * and two hours after now_ms. Stops at the first error. Returns 0 or -EINVAL with err set (code
 * and message as CloudWatch).
 */
int st_validate_put_metric_data(const Stratus__PutMetricDataRequest *req, int64_t now_ms,
                                const struct st_validate_opts *opts, struct st_error *err);

/*
 * A validated GetMetricStatistics request in a form the query engine uses: the statistics
 * bitmask, the parsed percentiles (quantiles[i] is ExtendedStatistics.member.i+1, duplicates
 * kept), and the start time rounded down the way CloudWatch rounds it (to a multiple of a
 * sub-minute Period; otherwise by its age to the minute, 5 minutes or hour).
 */
struct st_stats_query {
    unsigned stats; /* enum st_stat bits */
    double quantiles[ST_MAX_EXT_STATISTICS];
    unsigned n_quantiles;
    int64_t start_ms; /* rounded */
    int64_t end_ms;
    int64_t period_s;
    bool has_unit;
    enum st_unit unit;
};

/*
 * Validates a GetMetricStatistics request: namespace (1-255, no leading ':', "AWS/" allowed)
 * and metric name required; up to 30 dimensions; StartTime < EndTime, both within years
 * 1..9999; Period 1, 5, 10, 20, 30 or a multiple of 60; Statistics (1-5 of the enum) or
 * ExtendedStatistics (1-10 pNN.NN) but not both; unit in the enum; at most 1440 datapoints from
 * the rounded start. Fills *ret_query only on success; returns 0 or -EINVAL with err set.
 */
int st_validate_get_metric_statistics(const Stratus__GetMetricStatisticsRequest *req,
                                      int64_t now_ms, struct st_stats_query *ret_query,
                                      struct st_error *err);

/* Validates ListMetrics filters: lengths of namespace (no leading ':'), name, and up to 10
 * dimension filters (name required, value optional); RecentlyActive, if set, is "PT3H". */
int st_validate_list_metrics(const Stratus__ListMetricsRequest *req, struct st_error *err);

#endif
