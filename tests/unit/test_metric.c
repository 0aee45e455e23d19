/* SPDX-License-Identifier: MIT */
/*
 * Tests of metric.h and error.h. The validators are tested through tables: each row starts from
 * a valid request, changes one thing (its mutator) and names the outcome, the error code and a
 * distinctive part of the message, and runs as a test of its own named after the row. Beside the
 * tables are the unit, statistic and percentile names, what a valid GetMetricStatistics request
 * turns into (start rounding, the 1440-datapoint limit) and st_error_set.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stratus/error.h"
#include "stratus/metric.h"

#define NOW_MS    1767225600000LL /* 2026-01-01T00:00:00Z, on the hour */
#define SECOND_MS 1000LL
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS   (60 * MINUTE_MS)
#define DAY_MS    (24 * HOUR_MS)

#define IPV ST_ERR_INVALID_PARAMETER_VALUE
#define IPC ST_ERR_INVALID_PARAMETER_COMBINATION
#define MP  ST_ERR_MISSING_PARAMETER
#define OK  NULL

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Checks one validator result against a row: want_code NULL means it must succeed. */
static void check_result(int rc, const struct st_error *err, const char *want_code,
                         const char *want_msg)
{
    if (!want_code) {
        if (rc != 0) {
            fail_msg("want success, got %d: %s: %s", rc, err->code, err->message);
        }
        assert_string_equal(err->code, "");
        return;
    }
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err->code, want_code);
    if (!strstr(err->message, want_msg)) {
        fail_msg("message \"%s\" lacks \"%s\"", err->message, want_msg);
    }
}

/* A string of n copies of unit (a character or a UTF-8 sequence) in buf. */
static char *repeat(char *buf, size_t size, const char *unit, size_t n)
{
    size_t len = strlen(unit);
    assert_true(n * len < size);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + i * len, unit, len);
    }
    buf[n * len] = '\0';
    return buf;
}

/*
 * PutMetricData.
 */

#define FX_DATUMS (ST_MAX_DATUMS + 1)
#define FX_DIMS   (ST_MAX_DIMENSIONS + 1)
#define FX_VALUES (ST_MAX_VALUES + 1)

struct put_fx {
    Stratus__PutMetricDataRequest req;
    Stratus__MetricDatum datums[FX_DATUMS];
    Stratus__MetricDatum *datum_ptrs[FX_DATUMS];
    Stratus__Dimension dims[FX_DIMS];
    Stratus__Dimension *dim_ptrs[FX_DIMS];
    char dim_names[FX_DIMS][8];
    Stratus__StatisticSet stats;
    double values[FX_VALUES];
    double counts[FX_VALUES];
    char text[2048];
    struct st_validate_opts opts;
};

/* One valid datum: Latency = 1.5, a minute ago, no dimensions. */
static void put_fx_init(struct put_fx *f)
{
    f->req = (Stratus__PutMetricDataRequest)STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    f->req.namespace_ = "Stratus/Test";
    f->req.n_metric_data = 1;
    f->req.metric_data = f->datum_ptrs;
    for (size_t i = 0; i < FX_DIMS; i++) {
        f->dims[i] = (Stratus__Dimension)STRATUS__DIMENSION__INIT;
        snprintf(f->dim_names[i], sizeof(f->dim_names[i]), "Dim%zu", i);
        f->dims[i].name = f->dim_names[i];
        f->dims[i].value = "v";
        f->dim_ptrs[i] = &f->dims[i];
    }
    for (size_t i = 0; i < FX_DATUMS; i++) {
        Stratus__MetricDatum *d = &f->datums[i];
        *d = (Stratus__MetricDatum)STRATUS__METRIC_DATUM__INIT;
        d->metric_name = "Latency";
        d->has_value = 1;
        d->value = 1.5;
        d->has_timestamp_ms = 1;
        d->timestamp_ms = NOW_MS - MINUTE_MS;
        d->dimensions = f->dim_ptrs;
        f->datum_ptrs[i] = d;
    }
    f->stats = (Stratus__StatisticSet)STRATUS__STATISTIC_SET__INIT;
    f->stats.has_sample_count = f->stats.has_sum = 1;
    f->stats.has_minimum = f->stats.has_maximum = 1;
    f->stats.sample_count = 3;
    f->stats.sum = 6;
    f->stats.minimum = 1;
    f->stats.maximum = 3;
    for (size_t i = 0; i < FX_VALUES; i++) {
        f->values[i] = (double)i;
        f->counts[i] = 1;
    }
}

static Stratus__MetricDatum *first(struct put_fx *f)
{
    return &f->datums[0];
}

static void use_stats(struct put_fx *f)
{
    first(f)->has_value = 0;
    first(f)->statistic_values = &f->stats;
}

static void use_values(struct put_fx *f, size_t n)
{
    first(f)->has_value = 0;
    first(f)->n_values = n;
    first(f)->values = f->values;
}

static void use_counts(struct put_fx *f, size_t n)
{
    first(f)->n_counts = n;
    first(f)->counts = f->counts;
}

static void use_dims(struct put_fx *f, size_t n)
{
    first(f)->n_dimensions = n;
}

static char *text(struct put_fx *f, const char *unit, size_t n)
{
    return repeat(f->text, sizeof(f->text), unit, n);
}

/* Valid requests. */
static void put_valid_minimal(struct put_fx *f)
{
    (void)f;
}

static void put_timestamp_absent_ok(struct put_fx *f)
{
    first(f)->has_timestamp_ms = 0;
}

/* Namespace. */
static void put_namespace_missing(struct put_fx *f)
{
    f->req.namespace_ = NULL;
}

static void put_namespace_empty(struct put_fx *f)
{
    f->req.namespace_ = "";
}

static void put_namespace_255_ok(struct put_fx *f)
{
    f->req.namespace_ = text(f, "a", 255);
}

static void put_namespace_256(struct put_fx *f)
{
    f->req.namespace_ = text(f, "a", 256);
}

static void put_namespace_every_allowed_char_ok(struct put_fx *f)
{
    f->req.namespace_ = "AZaz09.-_/#: x";
}

static void put_namespace_leading_colon(struct put_fx *f)
{
    f->req.namespace_ = ":Stratus";
}

static void put_namespace_inner_colon_ok(struct put_fx *f)
{
    f->req.namespace_ = "Stratus:Test";
}

static void put_namespace_dollar(struct put_fx *f)
{
    f->req.namespace_ = "a$b";
}

static void put_namespace_non_ascii(struct put_fx *f)
{
    f->req.namespace_ = "caf\xc3\xa9";
}

static void put_namespace_tab(struct put_fx *f)
{
    f->req.namespace_ = "a\tb";
}

static void put_namespace_only_spaces(struct put_fx *f)
{
    f->req.namespace_ = "   ";
}

static void put_namespace_inner_space_ok(struct put_fx *f)
{
    f->req.namespace_ = "My App";
}

static void put_namespace_aws_prefix(struct put_fx *f)
{
    f->req.namespace_ = "AWS/EC2";
}

static void put_namespace_aws_prefix_allowed_ok(struct put_fx *f)
{
    f->req.namespace_ = "AWS/EC2";
    f->opts.allow_aws_namespace = true;
}

static void put_namespace_aws_lowercase_ok(struct put_fx *f)
{
    f->req.namespace_ = "aws/ec2";
}

static void put_namespace_aws_without_slash_ok(struct put_fx *f)
{
    f->req.namespace_ = "AWSome";
}

static void put_namespace_long_invalid_is_cut_in_message(struct put_fx *f)
{
    char *s = text(f, "a", 40);
    s[39] = '$';
    f->req.namespace_ = s;
}

/* MetricData. */
static void put_metric_data_empty(struct put_fx *f)
{
    f->req.n_metric_data = 0;
}

static void put_metric_data_1000_ok(struct put_fx *f)
{
    f->req.n_metric_data = 1000;
}

static void put_metric_data_1001(struct put_fx *f)
{
    f->req.n_metric_data = 1001;
}

static void put_metric_data_null_member(struct put_fx *f)
{
    f->req.n_metric_data = 2;
    f->datum_ptrs[1] = NULL;
}

static void put_error_in_third_datum_names_member_3(struct put_fx *f)
{
    f->req.n_metric_data = 3;
    f->datums[2].value = NAN;
}

static void put_first_error_wins(struct put_fx *f)
{
    first(f)->metric_name = NULL;
    first(f)->value = NAN;
}

/* MetricName. */
static void put_metric_name_missing(struct put_fx *f)
{
    first(f)->metric_name = NULL;
}

static void put_metric_name_empty(struct put_fx *f)
{
    first(f)->metric_name = "";
}

static void put_metric_name_255_ok(struct put_fx *f)
{
    first(f)->metric_name = text(f, "m", 255);
}

static void put_metric_name_256(struct put_fx *f)
{
    first(f)->metric_name = text(f, "m", 256);
}

static void put_metric_name_255_two_byte_chars_ok(struct put_fx *f)
{
    first(f)->metric_name = text(f, "\xc3\xa9", 255);
}

static void put_metric_name_256_two_byte_chars(struct put_fx *f)
{
    first(f)->metric_name = text(f, "\xc3\xa9", 256);
}

static void put_metric_name_astral_chars_count_twice(struct put_fx *f)
{
    /* U+1F600 is two UTF-16 code units, so 128 of them are 256 characters to CloudWatch. */
    first(f)->metric_name = text(f, "\xf0\x9f\x98\x80", 128);
}

static void put_metric_name_invalid_utf8(struct put_fx *f)
{
    first(f)->metric_name = "a\xff";
}

static void put_metric_name_overlong_utf8(struct put_fx *f)
{
    first(f)->metric_name = "\xc0\xaf";
}

static void put_metric_name_surrogate_utf8(struct put_fx *f)
{
    first(f)->metric_name = "\xed\xa0\x80";
}

static void put_metric_name_truncated_utf8(struct put_fx *f)
{
    first(f)->metric_name = "ab\xe2\x82";
}

static void put_metric_name_control_char(struct put_fx *f)
{
    first(f)->metric_name = "a\x01z";
}

static void put_metric_name_del_char(struct put_fx *f)
{
    first(f)->metric_name = "a\x7f";
}

static void put_metric_name_only_spaces(struct put_fx *f)
{
    first(f)->metric_name = "   ";
}

static void put_metric_name_spaces_and_punctuation_ok(struct put_fx *f)
{
    first(f)->metric_name = " CPU $usage: 100% ";
}

/* Dimensions. */
static void put_dimensions_30_ok(struct put_fx *f)
{
    use_dims(f, 30);
}

static void put_dimensions_31(struct put_fx *f)
{
    use_dims(f, 31);
}

static void put_dimension_null_member(struct put_fx *f)
{
    use_dims(f, 2);
    f->dim_ptrs[1] = NULL;
}

static void put_dimension_name_missing(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = NULL;
}

static void put_dimension_value_missing(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = NULL;
}

static void put_dimension_second_name_missing(struct put_fx *f)
{
    use_dims(f, 2);
    f->dims[1].name = NULL;
}

static void put_dimension_name_empty(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = "";
}

static void put_dimension_name_255_ok(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = text(f, "n", 255);
}

static void put_dimension_name_256(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = text(f, "n", 256);
}

static void put_dimension_value_empty(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = "";
}

static void put_dimension_value_1024_ok(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = text(f, "v", 1024);
}

static void put_dimension_value_1025(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = text(f, "v", 1025);
}

static void put_dimension_name_leading_colon(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = ":Host";
}

static void put_dimension_name_inner_colon_ok(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = "aws:Host";
}

static void put_dimension_name_only_spaces(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = "  ";
}

static void put_dimension_name_control_char(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = "Ho\nst";
}

static void put_dimension_name_non_ascii(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].name = "H\xc3\xb4te";
}

static void put_dimension_value_only_spaces(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = " ";
}

static void put_dimension_value_control_char(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = "i-1\r";
}

static void put_dimension_value_non_ascii(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = "\xe2\x82\xac";
}

static void put_dimension_value_leading_colon_ok(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = ":x";
}

static void put_dimension_value_spaces_and_punctuation_ok(struct put_fx *f)
{
    use_dims(f, 1);
    f->dims[0].value = " a b/c:d ";
}

static void put_dimension_names_duplicate(struct put_fx *f)
{
    use_dims(f, 3);
    f->dims[2].name = "Dim0";
}

static void put_dimension_names_differing_in_case_ok(struct put_fx *f)
{
    use_dims(f, 2);
    f->dims[0].name = "host";
    f->dims[1].name = "Host";
}

static void put_dimension_values_equal_ok(struct put_fx *f)
{
    use_dims(f, 2);
    f->dims[0].value = f->dims[1].value = "same";
}

/* Value, StatisticValues, Values and Counts together. */
static void put_no_value(struct put_fx *f)
{
    first(f)->has_value = 0;
}

static void put_value_and_statistic_values(struct put_fx *f)
{
    first(f)->statistic_values = &f->stats;
}

static void put_value_and_values(struct put_fx *f)
{
    first(f)->n_values = 1;
    first(f)->values = f->values;
}

static void put_statistic_values_and_values(struct put_fx *f)
{
    use_stats(f);
    first(f)->n_values = 1;
    first(f)->values = f->values;
}

static void put_counts_without_values(struct put_fx *f)
{
    first(f)->has_value = 0;
    use_counts(f, 1);
}

static void put_counts_with_value(struct put_fx *f)
{
    use_counts(f, 1);
}

static void put_counts_with_statistic_values(struct put_fx *f)
{
    use_stats(f);
    use_counts(f, 1);
}

/* Value. */
static void put_value_zero_ok(struct put_fx *f)
{
    first(f)->value = 0;
}

static void put_value_negative_ok(struct put_fx *f)
{
    first(f)->value = -42.5;
}

static void put_value_nan(struct put_fx *f)
{
    first(f)->value = NAN;
}

static void put_value_infinity(struct put_fx *f)
{
    first(f)->value = INFINITY;
}

static void put_value_minus_infinity(struct put_fx *f)
{
    first(f)->value = -INFINITY;
}

static void put_value_2_pow_360_ok(struct put_fx *f)
{
    first(f)->value = ldexp(1.0, 360);
}

static void put_value_minus_2_pow_360_ok(struct put_fx *f)
{
    first(f)->value = -ldexp(1.0, 360);
}

static void put_value_just_above_2_pow_360(struct put_fx *f)
{
    first(f)->value = nextafter(ldexp(1.0, 360), INFINITY);
}

static void put_value_just_below_minus_2_pow_360(struct put_fx *f)
{
    first(f)->value = -nextafter(ldexp(1.0, 360), INFINITY);
}

static void put_value_dbl_max(struct put_fx *f)
{
    first(f)->value = DBL_MAX;
}

static void put_value_smallest_subnormal_ok(struct put_fx *f)
{
    first(f)->value = nextafter(0.0, 1.0);
}

/* StatisticValues. */
static void put_stats_ok(struct put_fx *f)
{
    use_stats(f);
}

static void put_stats_missing_sample_count(struct put_fx *f)
{
    use_stats(f);
    f->stats.has_sample_count = 0;
}

static void put_stats_missing_sum(struct put_fx *f)
{
    use_stats(f);
    f->stats.has_sum = 0;
}

static void put_stats_missing_minimum(struct put_fx *f)
{
    use_stats(f);
    f->stats.has_minimum = 0;
}

static void put_stats_missing_maximum(struct put_fx *f)
{
    use_stats(f);
    f->stats.has_maximum = 0;
}

static void put_stats_empty(struct put_fx *f)
{
    use_stats(f);
    f->stats = (Stratus__StatisticSet)STRATUS__STATISTIC_SET__INIT;
}

static void put_stats_sample_count_zero(struct put_fx *f)
{
    use_stats(f);
    f->stats.sample_count = 0;
}

static void put_stats_sample_count_negative(struct put_fx *f)
{
    use_stats(f);
    f->stats.sample_count = -1;
}

static void put_stats_sample_count_fraction_ok(struct put_fx *f)
{
    use_stats(f);
    f->stats.sample_count = 0.5;
}

static void put_stats_sample_count_nan(struct put_fx *f)
{
    use_stats(f);
    f->stats.sample_count = NAN;
}

static void put_stats_sum_nan(struct put_fx *f)
{
    use_stats(f);
    f->stats.sum = NAN;
}

static void put_stats_minimum_beyond_limit(struct put_fx *f)
{
    use_stats(f);
    f->stats.minimum = -DBL_MAX;
}

static void put_stats_maximum_infinity(struct put_fx *f)
{
    use_stats(f);
    f->stats.maximum = INFINITY;
}

static void put_stats_minimum_above_maximum(struct put_fx *f)
{
    use_stats(f);
    f->stats.minimum = 4;
}

static void put_stats_minimum_equals_maximum_ok(struct put_fx *f)
{
    use_stats(f);
    f->stats.minimum = f->stats.maximum = 2;
}

static void put_stats_negative_ok(struct put_fx *f)
{
    use_stats(f);
    f->stats.minimum = -5;
    f->stats.maximum = -1;
    f->stats.sum = -9;
}

/* Values and Counts. */
static void put_values_one_ok(struct put_fx *f)
{
    use_values(f, 1);
}

static void put_values_150_ok(struct put_fx *f)
{
    use_values(f, 150);
}

static void put_values_151(struct put_fx *f)
{
    use_values(f, 151);
}

static void put_values_duplicates_ok(struct put_fx *f)
{
    use_values(f, 2);
    f->values[0] = f->values[1] = 7;
}

static void put_values_with_counts_ok(struct put_fx *f)
{
    use_values(f, 150);
    use_counts(f, 150);
}

static void put_counts_fewer_than_values(struct put_fx *f)
{
    use_values(f, 3);
    use_counts(f, 2);
}

static void put_counts_more_than_values(struct put_fx *f)
{
    use_values(f, 2);
    use_counts(f, 3);
}

static void put_values_nan(struct put_fx *f)
{
    use_values(f, 3);
    f->values[1] = NAN;
}

static void put_values_beyond_limit(struct put_fx *f)
{
    use_values(f, 3);
    f->values[2] = -ldexp(1.0, 361);
}

static void put_counts_zero_ok(struct put_fx *f)
{
    use_values(f, 2);
    use_counts(f, 2);
    f->counts[0] = 0;
}

static void put_counts_fraction_ok(struct put_fx *f)
{
    use_values(f, 1);
    use_counts(f, 1);
    f->counts[0] = 0.25;
}

static void put_counts_negative(struct put_fx *f)
{
    use_values(f, 2);
    use_counts(f, 2);
    f->counts[0] = -1;
}

static void put_counts_nan(struct put_fx *f)
{
    use_values(f, 2);
    use_counts(f, 2);
    f->counts[1] = NAN;
}

static void put_counts_infinity(struct put_fx *f)
{
    use_values(f, 2);
    use_counts(f, 2);
    f->counts[1] = INFINITY;
}

/* Unit. */
static void put_unit_count_ok(struct put_fx *f)
{
    first(f)->unit = "Count";
}

static void put_unit_count_per_second_ok(struct put_fx *f)
{
    first(f)->unit = "Count/Second";
}

static void put_unit_none_ok(struct put_fx *f)
{
    first(f)->unit = "None";
}

static void put_unit_wrong_case(struct put_fx *f)
{
    first(f)->unit = "count";
}

static void put_unit_empty(struct put_fx *f)
{
    first(f)->unit = "";
}

static void put_unit_unknown(struct put_fx *f)
{
    first(f)->unit = "Furlongs/Fortnight";
}

/* StorageResolution. */
static void put_storage_resolution_1_ok(struct put_fx *f)
{
    first(f)->has_storage_resolution = 1;
    first(f)->storage_resolution = 1;
}

static void put_storage_resolution_60_ok(struct put_fx *f)
{
    first(f)->has_storage_resolution = 1;
    first(f)->storage_resolution = 60;
}

static void put_storage_resolution_0(struct put_fx *f)
{
    first(f)->has_storage_resolution = 1;
    first(f)->storage_resolution = 0;
}

static void put_storage_resolution_30(struct put_fx *f)
{
    first(f)->has_storage_resolution = 1;
    first(f)->storage_resolution = 30;
}

static void put_storage_resolution_negative(struct put_fx *f)
{
    first(f)->has_storage_resolution = 1;
    first(f)->storage_resolution = -60;
}

/* Timestamp. */
static void put_timestamp_now_ok(struct put_fx *f)
{
    first(f)->timestamp_ms = NOW_MS;
}

static void put_timestamp_14_days_ago_ok(struct put_fx *f)
{
    first(f)->timestamp_ms = NOW_MS - 14 * DAY_MS;
}

static void put_timestamp_14_days_1ms_ago(struct put_fx *f)
{
    first(f)->timestamp_ms = NOW_MS - 14 * DAY_MS - 1;
}

static void put_timestamp_2_hours_ahead_ok(struct put_fx *f)
{
    first(f)->timestamp_ms = NOW_MS + 2 * HOUR_MS;
}

static void put_timestamp_2_hours_1ms_ahead(struct put_fx *f)
{
    first(f)->timestamp_ms = NOW_MS + 2 * HOUR_MS + 1;
}

static void put_timestamp_int64_min(struct put_fx *f)
{
    first(f)->timestamp_ms = INT64_MIN;
}

static void put_timestamp_int64_max(struct put_fx *f)
{
    first(f)->timestamp_ms = INT64_MAX;
}

static void put_timestamp_zero(struct put_fx *f)
{
    first(f)->timestamp_ms = 0;
}

struct put_case {
    const char *name;
    void (*mutate)(struct put_fx *f);
    const char *want_code;
    const char *want_msg;
};

/* clang-format off */
#define PUT(n, code, msg) {"put_" #n, put_##n, code, msg}
/* clang-format on */

static const struct put_case put_cases[] = {
    PUT(valid_minimal, OK, NULL),
    PUT(timestamp_absent_ok, OK, NULL),
    PUT(namespace_missing, MP, "The parameter Namespace is required."),
    PUT(namespace_empty, IPV,
        "1 validation error detected: Value '' at 'namespace' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"),
    PUT(namespace_255_ok, OK, NULL),
    PUT(namespace_256, IPV,
        "at 'namespace' failed to satisfy constraint: Member must have length less than or equal "
        "to 255"),
    PUT(namespace_every_allowed_char_ok, OK, NULL),
    PUT(namespace_leading_colon, IPV,
        "Value ':Stratus' at 'namespace' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [^:].*"),
    PUT(namespace_inner_colon_ok, OK, NULL),
    PUT(namespace_dollar, IPV, "The value a$b for parameter Namespace is invalid."),
    PUT(namespace_non_ascii, IPV, "The value caf\\xC3\\xA9 for parameter Namespace is invalid."),
    PUT(namespace_tab, IPV, "The value a\\x09b for parameter Namespace is invalid."),
    PUT(namespace_only_spaces, IPV, "The value     for parameter Namespace is invalid."),
    PUT(namespace_inner_space_ok, OK, NULL),
    PUT(namespace_aws_prefix, IPV, "The value AWS/ for parameter Namespace is invalid."),
    PUT(namespace_aws_prefix_allowed_ok, OK, NULL),
    PUT(namespace_aws_lowercase_ok, OK, NULL),
    PUT(namespace_aws_without_slash_ok, OK, NULL),
    PUT(namespace_long_invalid_is_cut_in_message, IPV,
        "The value aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... for parameter Namespace is invalid."),
    PUT(metric_data_empty, MP, "The parameter MetricData is required."),
    PUT(metric_data_1000_ok, OK, NULL),
    PUT(metric_data_1001, IPV, "The collection MetricData must not have a size greater than 1000."),
    PUT(metric_data_null_member, MP, "The parameter MetricData.member.2 is required."),
    PUT(error_in_third_datum_names_member_3, IPV,
        "The value NaN for parameter MetricData.member.3.Value is invalid."),
    PUT(first_error_wins, MP, "The parameter MetricData.member.1.MetricName is required."),
    PUT(metric_name_missing, MP, "The parameter MetricData.member.1.MetricName is required."),
    PUT(metric_name_empty, IPV,
        "Value '' at 'metricData.1.member.metricName' failed to satisfy constraint: Member must "
        "have length greater than or equal to 1"),
    PUT(metric_name_255_ok, OK, NULL),
    PUT(metric_name_256, IPV,
        "at 'metricData.1.member.metricName' failed to satisfy constraint: Member must have "
        "length less than or equal to 255"),
    PUT(metric_name_255_two_byte_chars_ok, OK, NULL),
    PUT(metric_name_256_two_byte_chars, IPV, "Member must have length less than or equal to 255"),
    PUT(metric_name_astral_chars_count_twice, IPV,
        "Member must have length less than or equal to 255"),
    PUT(metric_name_invalid_utf8, IPV,
        "The value a\\xFF for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_overlong_utf8, IPV, "for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_surrogate_utf8, IPV,
        "for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_truncated_utf8, IPV,
        "for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_control_char, IPV,
        "The value a\\x01z for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_del_char, IPV,
        "The value a\\x7F for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_only_spaces, IPV, "for parameter MetricData.member.1.MetricName is invalid."),
    PUT(metric_name_spaces_and_punctuation_ok, OK, NULL),
    PUT(dimensions_30_ok, OK, NULL),
    PUT(dimensions_31, IPV,
        "The collection MetricData.member.1.Dimensions must not have a size greater than 30."),
    PUT(dimension_null_member, MP,
        "The parameter MetricData.member.1.Dimensions.member.2 is required."),
    PUT(dimension_name_missing, MP,
        "The parameter MetricData.member.1.Dimensions.member.1.Name is required."),
    PUT(dimension_value_missing, MP,
        "The parameter MetricData.member.1.Dimensions.member.1.Value is required."),
    PUT(dimension_second_name_missing, MP,
        "The parameter MetricData.member.1.Dimensions.member.2.Name is required."),
    PUT(dimension_name_empty, IPV,
        "at 'metricData.1.member.dimensions.1.member.name' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1"),
    PUT(dimension_name_255_ok, OK, NULL),
    PUT(dimension_name_256, IPV,
        "at 'metricData.1.member.dimensions.1.member.name' failed to satisfy constraint: Member "
        "must have length less than or equal to 255"),
    PUT(dimension_value_empty, IPV,
        "at 'metricData.1.member.dimensions.1.member.value' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1"),
    PUT(dimension_value_1024_ok, OK, NULL),
    PUT(dimension_value_1025, IPV,
        "at 'metricData.1.member.dimensions.1.member.value' failed to satisfy constraint: Member "
        "must have length less than or equal to 1024"),
    PUT(dimension_name_leading_colon, IPV,
        "The value :Host for parameter MetricData.member.1.Dimensions.member.1.Name is invalid."),
    PUT(dimension_name_inner_colon_ok, OK, NULL),
    PUT(dimension_name_only_spaces, IPV,
        "for parameter MetricData.member.1.Dimensions.member.1.Name is invalid."),
    PUT(dimension_name_control_char, IPV,
        "The value Ho\\x0Ast for parameter MetricData.member.1.Dimensions.member.1.Name is "
        "invalid."),
    PUT(dimension_name_non_ascii, IPV,
        "The value H\\xC3\\xB4te for parameter MetricData.member.1.Dimensions.member.1.Name is "
        "invalid."),
    PUT(dimension_value_only_spaces, IPV,
        "for parameter MetricData.member.1.Dimensions.member.1.Value is invalid."),
    PUT(dimension_value_control_char, IPV,
        "The value i-1\\x0D for parameter MetricData.member.1.Dimensions.member.1.Value is "
        "invalid."),
    PUT(dimension_value_non_ascii, IPV,
        "The value \\xE2\\x82\\xAC for parameter MetricData.member.1.Dimensions.member.1.Value is "
        "invalid."),
    PUT(dimension_value_leading_colon_ok, OK, NULL),
    PUT(dimension_value_spaces_and_punctuation_ok, OK, NULL),
    PUT(dimension_names_duplicate, IPV, "No metric may specify the same dimension name twice."),
    PUT(dimension_names_differing_in_case_ok, OK, NULL),
    PUT(dimension_values_equal_ok, OK, NULL),
    PUT(no_value, IPC,
        "At least one of the parameters MetricData.member.1.Value, "
        "MetricData.member.1.StatisticValues or MetricData.member.1.Values must be specified."),
    PUT(value_and_statistic_values, IPC,
        "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are "
        "mutually exclusive and you have specified both."),
    PUT(value_and_values, IPC,
        "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually "
        "exclusive and you have specified both."),
    PUT(statistic_values_and_values, IPC,
        "The parameters MetricData.member.1.StatisticValues and MetricData.member.1.Values are "
        "mutually exclusive and you have specified both."),
    PUT(counts_without_values, IPC,
        "The parameter MetricData.member.1.Counts can only be specified together with "
        "MetricData.member.1.Values."),
    PUT(counts_with_value, IPC, "MetricData.member.1.Counts can only be specified together"),
    PUT(counts_with_statistic_values, IPC,
        "MetricData.member.1.Counts can only be specified together"),
    PUT(value_zero_ok, OK, NULL),
    PUT(value_negative_ok, OK, NULL),
    PUT(value_nan, IPV, "The value NaN for parameter MetricData.member.1.Value is invalid."),
    PUT(value_infinity, IPV,
        "The value Infinity for parameter MetricData.member.1.Value is invalid."),
    PUT(value_minus_infinity, IPV,
        "The value -Infinity for parameter MetricData.member.1.Value is invalid."),
    PUT(value_2_pow_360_ok, OK, NULL),
    PUT(value_minus_2_pow_360_ok, OK, NULL),
    PUT(value_just_above_2_pow_360, IPV,
        "The value 2.348542582773834e+108 for parameter MetricData.member.1.Value is invalid."),
    PUT(value_just_below_minus_2_pow_360, IPV,
        "The value -2.348542582773834e+108 for parameter MetricData.member.1.Value is "
        "invalid."),
    PUT(value_dbl_max, IPV,
        "The value 1.7976931348623157e+308 for parameter MetricData.member.1.Value is invalid."),
    PUT(value_smallest_subnormal_ok, OK, NULL),
    PUT(stats_ok, OK, NULL),
    PUT(stats_missing_sample_count, MP,
        "The parameter MetricData.member.1.StatisticValues.SampleCount is required."),
    PUT(stats_missing_sum, MP,
        "The parameter MetricData.member.1.StatisticValues.Sum is required."),
    PUT(stats_missing_minimum, MP,
        "The parameter MetricData.member.1.StatisticValues.Minimum is required."),
    PUT(stats_missing_maximum, MP,
        "The parameter MetricData.member.1.StatisticValues.Maximum is required."),
    PUT(stats_empty, MP,
        "The parameter MetricData.member.1.StatisticValues.SampleCount is required."),
    PUT(stats_sample_count_zero, IPV,
        "The parameter MetricData.member.1.StatisticValues.SampleCount must be greater than 0."),
    PUT(stats_sample_count_negative, IPV,
        "The parameter MetricData.member.1.StatisticValues.SampleCount must be greater than 0."),
    PUT(stats_sample_count_fraction_ok, OK, NULL),
    PUT(stats_sample_count_nan, IPV,
        "The value NaN for parameter MetricData.member.1.StatisticValues.SampleCount is "
        "invalid."),
    PUT(stats_sum_nan, IPV,
        "The value NaN for parameter MetricData.member.1.StatisticValues.Sum is invalid."),
    PUT(stats_minimum_beyond_limit, IPV,
        "The value -1.7976931348623157e+308 for parameter "
        "MetricData.member.1.StatisticValues.Minimum is invalid."),
    PUT(stats_maximum_infinity, IPV,
        "The value Infinity for parameter MetricData.member.1.StatisticValues.Maximum is "
        "invalid."),
    PUT(stats_minimum_above_maximum, IPV,
        "The parameter MetricData.member.1.StatisticValues.Maximum must be greater than or equal "
        "to MetricData.member.1.StatisticValues.Minimum."),
    PUT(stats_minimum_equals_maximum_ok, OK, NULL),
    PUT(stats_negative_ok, OK, NULL),
    PUT(values_one_ok, OK, NULL),
    PUT(values_150_ok, OK, NULL),
    PUT(values_151, IPV,
        "The collection MetricData.member.1.Values must not have a size greater than 150."),
    PUT(values_duplicates_ok, OK, NULL),
    PUT(values_with_counts_ok, OK, NULL),
    PUT(counts_fewer_than_values, IPV,
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the "
        "same size."),
    PUT(counts_more_than_values, IPV,
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the "
        "same size."),
    PUT(values_nan, IPV,
        "The value NaN for parameter MetricData.member.1.Values.member.2 is invalid."),
    PUT(values_beyond_limit, IPV,
        "The value -4.6970851655476665e+108 for parameter MetricData.member.1.Values.member.3 is "
        "invalid."),
    PUT(counts_zero_ok, OK, NULL),
    PUT(counts_fraction_ok, OK, NULL),
    PUT(counts_negative, IPV,
        "The value -1 for parameter MetricData.member.1.Counts.member.1 is invalid."),
    PUT(counts_nan, IPV,
        "The value NaN for parameter MetricData.member.1.Counts.member.2 is invalid."),
    PUT(counts_infinity, IPV,
        "The value Infinity for parameter MetricData.member.1.Counts.member.2 is invalid."),
    PUT(unit_count_ok, OK, NULL),
    PUT(unit_count_per_second_ok, OK, NULL),
    PUT(unit_none_ok, OK, NULL),
    PUT(unit_wrong_case, IPV,
        "Value 'count' at 'metricData.1.member.unit' failed to satisfy constraint: Member must "
        "satisfy enum value set: [Seconds, Microseconds, Milliseconds, Bytes,"),
    PUT(unit_empty, IPV, "Value '' at 'metricData.1.member.unit' failed to satisfy constraint"),
    PUT(unit_unknown, IPV, "Count/Second, None]"),
    PUT(storage_resolution_1_ok, OK, NULL),
    PUT(storage_resolution_60_ok, OK, NULL),
    PUT(storage_resolution_0, IPV,
        "The value 0 for parameter MetricData.member.1.StorageResolution is invalid."),
    PUT(storage_resolution_30, IPV,
        "The value 30 for parameter MetricData.member.1.StorageResolution is invalid."),
    PUT(storage_resolution_negative, IPV,
        "The value -60 for parameter MetricData.member.1.StorageResolution is invalid."),
    PUT(timestamp_now_ok, OK, NULL),
    PUT(timestamp_14_days_ago_ok, OK, NULL),
    PUT(timestamp_14_days_1ms_ago, IPV,
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two "
        "weeks."),
    PUT(timestamp_2_hours_ahead_ok, OK, NULL),
    PUT(timestamp_2_hours_1ms_ahead, IPV,
        "The parameter MetricData.member.1.Timestamp must specify a time no more than two hours "
        "in the future."),
    PUT(timestamp_int64_min, IPV, "must specify a time within the past two weeks."),
    PUT(timestamp_int64_max, IPV, "must specify a time no more than two hours in the future."),
    PUT(timestamp_zero, IPV, "must specify a time within the past two weeks."),
};

/*
 * A row's state starts as the row itself; its setup notes the row in current_* (cmocka hands
 * the test only its state), builds the request and swaps the row for the fixture.
 */
static const struct put_case *current_put;

static int put_setup(void **state)
{
    struct put_fx *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    current_put = *state;
    put_fx_init(f);
    current_put->mutate(f);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_put_case(void **state)
{
    struct put_fx *f = *state;
    struct st_error err = {0};
    int rc = st_validate_put_metric_data(&f->req, NOW_MS, &f->opts, &err);
    check_result(rc, &err, current_put->want_code, current_put->want_msg);
}

/*
 * GetMetricStatistics.
 */

struct get_fx {
    Stratus__GetMetricStatisticsRequest req;
    Stratus__Dimension dims[FX_DIMS];
    Stratus__Dimension *dim_ptrs[FX_DIMS];
    char dim_names[FX_DIMS][8];
    char *stats[ST_MAX_STATISTICS + 1];
    char *ext[ST_MAX_EXT_STATISTICS + 1];
    char text[2048];
};

/* The Average of Latency over the last hour by minute. */
static void get_fx_init(struct get_fx *f)
{
    f->req = (Stratus__GetMetricStatisticsRequest)STRATUS__GET_METRIC_STATISTICS_REQUEST__INIT;
    f->req.namespace_ = "Stratus/Test";
    f->req.metric_name = "Latency";
    for (size_t i = 0; i < FX_DIMS; i++) {
        f->dims[i] = (Stratus__Dimension)STRATUS__DIMENSION__INIT;
        snprintf(f->dim_names[i], sizeof(f->dim_names[i]), "Dim%zu", i);
        f->dims[i].name = f->dim_names[i];
        f->dims[i].value = "v";
        f->dim_ptrs[i] = &f->dims[i];
    }
    f->req.dimensions = f->dim_ptrs;
    f->req.has_start_time_ms = f->req.has_end_time_ms = f->req.has_period = 1;
    f->req.start_time_ms = NOW_MS - HOUR_MS;
    f->req.end_time_ms = NOW_MS;
    f->req.period = 60;
    f->stats[0] = "Average";
    f->req.statistics = f->stats;
    f->req.n_statistics = 1;
    f->req.extended_statistics = f->ext;
}

static char *get_text(struct get_fx *f, const char *unit, size_t n)
{
    return repeat(f->text, sizeof(f->text), unit, n);
}

static void use_ext(struct get_fx *f, size_t n)
{
    f->req.n_statistics = 0;
    f->req.n_extended_statistics = n;
    for (size_t i = 0; i < n; i++) {
        f->ext[i] = "p99";
    }
}

static void get_valid_ok(struct get_fx *f)
{
    (void)f;
}

static void get_namespace_missing(struct get_fx *f)
{
    f->req.namespace_ = NULL;
}

static void get_namespace_empty(struct get_fx *f)
{
    f->req.namespace_ = "";
}

static void get_namespace_256(struct get_fx *f)
{
    f->req.namespace_ = get_text(f, "a", 256);
}

static void get_namespace_leading_colon(struct get_fx *f)
{
    f->req.namespace_ = ":x";
}

static void get_namespace_aws_ok(struct get_fx *f)
{
    f->req.namespace_ = "AWS/EC2";
}

static void get_metric_name_missing(struct get_fx *f)
{
    f->req.metric_name = NULL;
}

static void get_metric_name_empty(struct get_fx *f)
{
    f->req.metric_name = "";
}

static void get_metric_name_256(struct get_fx *f)
{
    f->req.metric_name = get_text(f, "m", 256);
}

static void get_dimensions_30_ok(struct get_fx *f)
{
    f->req.n_dimensions = 30;
}

static void get_dimensions_31(struct get_fx *f)
{
    f->req.n_dimensions = 31;
}

static void get_dimension_name_missing(struct get_fx *f)
{
    f->req.n_dimensions = 1;
    f->dims[0].name = NULL;
}

static void get_dimension_value_missing(struct get_fx *f)
{
    f->req.n_dimensions = 2;
    f->dims[1].value = NULL;
}

static void get_dimension_name_256(struct get_fx *f)
{
    f->req.n_dimensions = 1;
    f->dims[0].name = get_text(f, "n", 256);
}

static void get_dimension_value_1024_ok(struct get_fx *f)
{
    f->req.n_dimensions = 1;
    f->dims[0].value = get_text(f, "v", 1024);
}

static void get_dimension_value_1025(struct get_fx *f)
{
    f->req.n_dimensions = 1;
    f->dims[0].value = get_text(f, "v", 1025);
}

static void get_start_time_missing(struct get_fx *f)
{
    f->req.has_start_time_ms = 0;
}

static void get_end_time_missing(struct get_fx *f)
{
    f->req.has_end_time_ms = 0;
}

static void get_period_missing(struct get_fx *f)
{
    f->req.has_period = 0;
}

static void get_period_zero(struct get_fx *f)
{
    f->req.period = 0;
}

static void get_period_negative(struct get_fx *f)
{
    f->req.period = -60;
}

static void get_period_1_ok(struct get_fx *f)
{
    f->req.period = 1;
    f->req.start_time_ms = NOW_MS - 1440 * SECOND_MS;
}

static void get_period_5_ok(struct get_fx *f)
{
    f->req.period = 5;
}

static void get_period_10_ok(struct get_fx *f)
{
    f->req.period = 10;
}

static void get_period_20_ok(struct get_fx *f)
{
    f->req.period = 20;
}

static void get_period_30_ok(struct get_fx *f)
{
    f->req.period = 30;
}

static void get_period_2(struct get_fx *f)
{
    f->req.period = 2;
}

static void get_period_15(struct get_fx *f)
{
    f->req.period = 15;
}

static void get_period_45(struct get_fx *f)
{
    f->req.period = 45;
}

static void get_period_90(struct get_fx *f)
{
    f->req.period = 90;
}

static void get_period_120_ok(struct get_fx *f)
{
    f->req.period = 120;
}

static void get_period_one_day_ok(struct get_fx *f)
{
    f->req.period = 86400;
}

static void get_period_int32_max(struct get_fx *f)
{
    f->req.period = INT32_MAX;
}

static void get_statistics_none(struct get_fx *f)
{
    f->req.n_statistics = 0;
}

static void get_statistics_and_extended(struct get_fx *f)
{
    f->req.n_extended_statistics = 1;
    f->ext[0] = "p99";
}

static void get_statistics_all_five_ok(struct get_fx *f)
{
    f->stats[0] = "SampleCount";
    f->stats[1] = "Average";
    f->stats[2] = "Sum";
    f->stats[3] = "Minimum";
    f->stats[4] = "Maximum";
    f->req.n_statistics = 5;
}

static void get_statistics_six(struct get_fx *f)
{
    get_statistics_all_five_ok(f);
    f->stats[5] = "Sum";
    f->req.n_statistics = 6;
}

static void get_statistics_duplicate_ok(struct get_fx *f)
{
    f->stats[1] = "Average";
    f->req.n_statistics = 2;
}

static void get_statistic_unknown(struct get_fx *f)
{
    f->stats[0] = "Median";
}

static void get_statistic_wrong_case(struct get_fx *f)
{
    f->stats[1] = "sum";
    f->req.n_statistics = 2;
}

static void get_statistic_percentile(struct get_fx *f)
{
    f->stats[0] = "p99";
}

static void get_extended_one_ok(struct get_fx *f)
{
    use_ext(f, 1);
}

static void get_extended_ten_ok(struct get_fx *f)
{
    use_ext(f, 10);
}

static void get_extended_eleven(struct get_fx *f)
{
    use_ext(f, 11);
}

static void get_extended_beyond_p100(struct get_fx *f)
{
    use_ext(f, 1);
    f->ext[0] = "p100.1";
}

static void get_extended_second_invalid(struct get_fx *f)
{
    use_ext(f, 2);
    f->ext[1] = "P50";
}

static void get_extended_statistic_name(struct get_fx *f)
{
    use_ext(f, 1);
    f->ext[0] = "Average";
}

static void get_unit_ok(struct get_fx *f)
{
    f->req.unit = "Percent";
}

static void get_unit_unknown(struct get_fx *f)
{
    f->req.unit = "Percents";
}

static void get_start_equals_end(struct get_fx *f)
{
    f->req.start_time_ms = f->req.end_time_ms;
}

static void get_start_after_end(struct get_fx *f)
{
    f->req.start_time_ms = f->req.end_time_ms + 1;
}

static void get_start_int64_min(struct get_fx *f)
{
    f->req.start_time_ms = INT64_MIN;
}

static void get_end_int64_max(struct get_fx *f)
{
    f->req.end_time_ms = INT64_MAX;
}

static void get_start_year_1_ok(struct get_fx *f)
{
    f->req.start_time_ms = -62135596800000LL;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
}

static void get_end_year_9999_ok(struct get_fx *f)
{
    f->req.start_time_ms = 253402300799999LL - HOUR_MS;
    f->req.end_time_ms = 253402300799999LL;
}

static void get_datapoints_1440_ok(struct get_fx *f)
{
    f->req.start_time_ms = NOW_MS - DAY_MS;
}

static void get_datapoints_1441(struct get_fx *f)
{
    f->req.start_time_ms = NOW_MS - DAY_MS - MINUTE_MS;
}

static void get_datapoints_thousands_separator(struct get_fx *f)
{
    f->req.start_time_ms = NOW_MS - 30 * DAY_MS;
}

static void get_datapoints_high_resolution_1441(struct get_fx *f)
{
    f->req.period = 1;
    f->req.start_time_ms = NOW_MS - 1441 * SECOND_MS;
}

struct get_case {
    const char *name;
    void (*mutate)(struct get_fx *f);
    const char *want_code;
    const char *want_msg;
};

/* clang-format off */
#define GET(n, code, msg) {"get_" #n, get_##n, code, msg}
/* clang-format on */

static const struct get_case get_cases[] = {
    GET(valid_ok, OK, NULL),
    GET(namespace_missing, MP, "The parameter Namespace is required."),
    GET(namespace_empty, IPV,
        "Value '' at 'namespace' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1"),
    GET(namespace_256, IPV,
        "at 'namespace' failed to satisfy constraint: Member must have length "
        "less than or equal to 255"),
    GET(namespace_leading_colon, IPV, "Member must satisfy regular expression pattern: [^:].*"),
    GET(namespace_aws_ok, OK, NULL),
    GET(metric_name_missing, MP, "The parameter MetricName is required."),
    GET(metric_name_empty, IPV,
        "at 'metricName' failed to satisfy constraint: Member must have length greater than or "
        "equal to 1"),
    GET(metric_name_256, IPV,
        "at 'metricName' failed to satisfy constraint: Member must have length less than or "
        "equal to 255"),
    GET(dimensions_30_ok, OK, NULL),
    GET(dimensions_31, IPV, "The collection Dimensions must not have a size greater than 30."),
    GET(dimension_name_missing, MP, "The parameter Dimensions.member.1.Name is required."),
    GET(dimension_value_missing, MP, "The parameter Dimensions.member.2.Value is required."),
    GET(dimension_name_256, IPV,
        "at 'dimensions.1.member.name' failed to satisfy constraint: Member must have length "
        "less than or equal to 255"),
    GET(dimension_value_1024_ok, OK, NULL),
    GET(dimension_value_1025, IPV,
        "at 'dimensions.1.member.value' failed to satisfy constraint: Member must have length "
        "less than or equal to 1024"),
    GET(start_time_missing, MP, "The parameter StartTime is required."),
    GET(end_time_missing, MP, "The parameter EndTime is required."),
    GET(period_missing, MP, "The parameter Period is required."),
    GET(period_zero, IPV,
        "1 validation error detected: Value '0' at 'period' failed to satisfy constraint: Member "
        "must have value greater than or equal to 1"),
    GET(period_negative, IPV,
        "Value '-60' at 'period' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1"),
    GET(period_1_ok, OK, NULL),
    GET(period_5_ok, OK, NULL),
    GET(period_10_ok, OK, NULL),
    GET(period_20_ok, OK, NULL),
    GET(period_30_ok, OK, NULL),
    GET(period_2, IPV, "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
    GET(period_15, IPV, "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
    GET(period_45, IPV, "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
    GET(period_90, IPV, "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
    GET(period_120_ok, OK, NULL),
    GET(period_one_day_ok, OK, NULL),
    GET(period_int32_max, IPV,
        "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
    GET(statistics_none, IPC, "Must specify either Statistics or ExtendedStatistics."),
    GET(statistics_and_extended, IPC,
        "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have "
        "specified both."),
    GET(statistics_all_five_ok, OK, NULL),
    GET(statistics_six, IPV, "The collection Statistics must not have a size greater than 5."),
    GET(statistics_duplicate_ok, OK, NULL),
    GET(statistic_unknown, IPV,
        "1 validation error detected: Value 'Median' at 'statistics.1.member' failed to satisfy "
        "constraint: Member must satisfy enum value set: [SampleCount, Average, Sum, Minimum, "
        "Maximum]"),
    GET(statistic_wrong_case, IPV, "Value 'sum' at 'statistics.2.member' failed to satisfy"),
    GET(statistic_percentile, IPV, "Value 'p99' at 'statistics.1.member' failed to satisfy"),
    GET(extended_one_ok, OK, NULL),
    GET(extended_ten_ok, OK, NULL),
    GET(extended_eleven, IPV,
        "The collection ExtendedStatistics must not have a size greater than 10."),
    GET(extended_beyond_p100, IPV,
        "The value p100.1 for parameter ExtendedStatistics.member.1 is invalid."),
    GET(extended_second_invalid, IPV,
        "The value P50 for parameter ExtendedStatistics.member.2 is invalid."),
    GET(extended_statistic_name, IPV,
        "The value Average for parameter ExtendedStatistics.member.1 is invalid."),
    GET(unit_ok, OK, NULL),
    GET(unit_unknown, IPV,
        "Value 'Percents' at 'unit' failed to satisfy constraint: Member must satisfy enum value "
        "set: [Seconds,"),
    GET(start_equals_end, IPV, "The parameter StartTime must be less than the parameter EndTime."),
    GET(start_after_end, IPV, "The parameter StartTime must be less than the parameter EndTime."),
    GET(start_int64_min, IPV, "The value -9223372036854775808 for parameter StartTime is invalid."),
    GET(end_int64_max, IPV, "The value 9223372036854775807 for parameter EndTime is invalid."),
    GET(start_year_1_ok, OK, NULL),
    GET(end_year_9999_ok, OK, NULL),
    GET(datapoints_1440_ok, OK, NULL),
    GET(datapoints_1441, IPC,
        "You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may "
        "reduce the datapoints requested by increasing Period, or decreasing the time range."),
    GET(datapoints_thousands_separator, IPC, "You have requested up to 43,200 datapoints"),
    GET(datapoints_high_resolution_1441, IPC, "You have requested up to 1,441 datapoints"),
};

static const struct get_case *current_get;

static int get_setup(void **state)
{
    struct get_fx *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    current_get = *state;
    get_fx_init(f);
    current_get->mutate(f);
    *state = f;
    return 0;
}

static void test_get_case(void **state)
{
    struct get_fx *f = *state;
    struct st_error err = {0};
    struct st_stats_query q;
    int rc = st_validate_get_metric_statistics(&f->req, NOW_MS, &q, &err);
    check_result(rc, &err, current_get->want_code, current_get->want_msg);
}

/*
 * ListMetrics.
 */

#define FX_FILTERS 11

struct list_fx {
    Stratus__ListMetricsRequest req;
    Stratus__DimensionFilter filters[FX_FILTERS];
    Stratus__DimensionFilter *filter_ptrs[FX_FILTERS];
    char filter_names[FX_FILTERS][8];
    char text[2048];
};

/* No filter at all: list everything. */
static void list_fx_init(struct list_fx *f)
{
    f->req = (Stratus__ListMetricsRequest)STRATUS__LIST_METRICS_REQUEST__INIT;
    for (size_t i = 0; i < FX_FILTERS; i++) {
        f->filters[i] = (Stratus__DimensionFilter)STRATUS__DIMENSION_FILTER__INIT;
        snprintf(f->filter_names[i], sizeof(f->filter_names[i]), "Dim%zu", i);
        f->filters[i].name = f->filter_names[i];
        f->filter_ptrs[i] = &f->filters[i];
    }
    f->req.dimensions = f->filter_ptrs;
}

static char *list_text(struct list_fx *f, const char *unit, size_t n)
{
    return repeat(f->text, sizeof(f->text), unit, n);
}

static void list_empty_ok(struct list_fx *f)
{
    (void)f;
}

static void list_everything_set_ok(struct list_fx *f)
{
    f->req.namespace_ = "AWS/EC2";
    f->req.metric_name = "CPUUtilization";
    f->req.n_dimensions = 2;
    f->filters[0].value = "i-1";
    f->req.next_token = "token";
    f->req.recently_active = "PT3H";
}

static void list_namespace_empty(struct list_fx *f)
{
    f->req.namespace_ = "";
}

static void list_namespace_255_ok(struct list_fx *f)
{
    f->req.namespace_ = list_text(f, "a", 255);
}

static void list_namespace_256(struct list_fx *f)
{
    f->req.namespace_ = list_text(f, "a", 256);
}

static void list_namespace_leading_colon(struct list_fx *f)
{
    f->req.namespace_ = ":a";
}

static void list_metric_name_empty(struct list_fx *f)
{
    f->req.metric_name = "";
}

static void list_metric_name_256(struct list_fx *f)
{
    f->req.metric_name = list_text(f, "m", 256);
}

static void list_filters_10_ok(struct list_fx *f)
{
    f->req.n_dimensions = 10;
}

static void list_filters_11(struct list_fx *f)
{
    f->req.n_dimensions = 11;
}

static void list_filter_null_member(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filter_ptrs[0] = NULL;
}

static void list_filter_name_missing(struct list_fx *f)
{
    f->req.n_dimensions = 2;
    f->filters[1].name = NULL;
}

static void list_filter_name_empty(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filters[0].name = "";
}

static void list_filter_name_256(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filters[0].name = list_text(f, "n", 256);
}

static void list_filter_value_absent_ok(struct list_fx *f)
{
    f->req.n_dimensions = 1;
}

static void list_filter_value_empty(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filters[0].value = "";
}

static void list_filter_value_1024_ok(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filters[0].value = list_text(f, "v", 1024);
}

static void list_filter_value_1025(struct list_fx *f)
{
    f->req.n_dimensions = 1;
    f->filters[0].value = list_text(f, "v", 1025);
}

static void list_recently_active_pt3h_ok(struct list_fx *f)
{
    f->req.recently_active = "PT3H";
}

static void list_recently_active_other(struct list_fx *f)
{
    f->req.recently_active = "PT1H";
}

struct list_case {
    const char *name;
    void (*mutate)(struct list_fx *f);
    const char *want_code;
    const char *want_msg;
};

/* clang-format off */
#define LIST(n, code, msg) {"list_" #n, list_##n, code, msg}
/* clang-format on */

static const struct list_case list_cases[] = {
    LIST(empty_ok, OK, NULL),
    LIST(everything_set_ok, OK, NULL),
    LIST(namespace_empty, IPV,
         "Value '' at 'namespace' failed to satisfy constraint: Member must have length greater "
         "than or equal to 1"),
    LIST(namespace_255_ok, OK, NULL),
    LIST(namespace_256, IPV, "Member must have length less than or equal to 255"),
    LIST(namespace_leading_colon, IPV,
         "Value ':a' at 'namespace' failed to satisfy constraint: Member must satisfy regular "
         "expression pattern: [^:].*"),
    LIST(metric_name_empty, IPV,
         "at 'metricName' failed to satisfy constraint: Member must have length greater than or "
         "equal to 1"),
    LIST(metric_name_256, IPV,
         "at 'metricName' failed to satisfy constraint: Member must have length less than or "
         "equal to 255"),
    LIST(filters_10_ok, OK, NULL),
    LIST(filters_11, IPV, "The collection Dimensions must not have a size greater than 10."),
    LIST(filter_null_member, MP, "The parameter Dimensions.member.1 is required."),
    LIST(filter_name_missing, MP, "The parameter Dimensions.member.2.Name is required."),
    LIST(filter_name_empty, IPV,
         "at 'dimensions.1.member.name' failed to satisfy constraint: Member must have length "
         "greater than or equal to 1"),
    LIST(filter_name_256, IPV,
         "at 'dimensions.1.member.name' failed to satisfy constraint: Member must have length "
         "less than or equal to 255"),
    LIST(filter_value_absent_ok, OK, NULL),
    LIST(filter_value_empty, IPV,
         "at 'dimensions.1.member.value' failed to satisfy constraint: Member must have length "
         "greater than or equal to 1"),
    LIST(filter_value_1024_ok, OK, NULL),
    LIST(filter_value_1025, IPV,
         "at 'dimensions.1.member.value' failed to satisfy constraint: Member must have length "
         "less than or equal to 1024"),
    LIST(recently_active_pt3h_ok, OK, NULL),
    LIST(recently_active_other, IPV,
         "Value 'PT1H' at 'recentlyActive' failed to satisfy constraint: Member must satisfy "
         "enum value set: [PT3H]"),
};

static const struct list_case *current_list;

static int list_setup(void **state)
{
    struct list_fx *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    current_list = *state;
    list_fx_init(f);
    current_list->mutate(f);
    *state = f;
    return 0;
}

static void test_list_case(void **state)
{
    struct list_fx *f = *state;
    struct st_error err = {0};
    int rc = st_validate_list_metrics(&f->req, &err);
    check_result(rc, &err, current_list->want_code, current_list->want_msg);
}

/*
 * st_validate_namespace on its own: the parameter name it is given.
 */

static void test_namespace_names_param_in_length_error(void **state)
{
    (void)state;
    struct st_error err = {0};
    int rc = st_validate_namespace("", "Metrics.member.2.Namespace", NULL, &err);
    check_result(rc, &err, IPV, "Value '' at 'metrics.2.member.namespace' failed to satisfy");
}

static void test_namespace_names_param_in_value_error(void **state)
{
    (void)state;
    struct st_error err = {0};
    int rc = st_validate_namespace("a!", "Source", NULL, &err);
    check_result(rc, &err, IPV, "The value a! for parameter Source is invalid.");
}

static void test_namespace_missing_names_param(void **state)
{
    (void)state;
    struct st_error err = {0};
    int rc = st_validate_namespace(NULL, "Source", NULL, &err);
    check_result(rc, &err, MP, "The parameter Source is required.");
}

static void test_namespace_null_opts_rejects_aws(void **state)
{
    (void)state;
    struct st_error err = {0};
    int rc = st_validate_namespace("AWS/Lambda", "Namespace", NULL, &err);
    check_result(rc, &err, IPV, "The value AWS/ for parameter Namespace is invalid.");
}

static void test_validators_accept_null_err(void **state)
{
    (void)state;
    assert_int_equal(st_validate_namespace(":x", "Namespace", NULL, NULL), -EINVAL);
}

/*
 * What a valid GetMetricStatistics request becomes.
 */

static struct st_stats_query query_at(struct get_fx *f, int64_t now_ms)
{
    struct st_error err = {0};
    struct st_stats_query q;
    memset(&q, 0xa5, sizeof(q));
    int rc = st_validate_get_metric_statistics(&f->req, now_ms, &q, &err);
    if (rc != 0) {
        fail_msg("rejected: %s: %s", err.code, err.message);
    }
    return q;
}

static struct st_stats_query query_of(struct get_fx *f)
{
    return query_at(f, NOW_MS);
}

static int get_plain_setup(void **state)
{
    struct get_fx *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    get_fx_init(f);
    *state = f;
    return 0;
}

static void test_query_statistics_bitmask(void **state)
{
    struct get_fx *f = *state;
    f->stats[0] = "Sum";
    f->stats[1] = "Maximum";
    f->stats[2] = "Sum";
    f->req.n_statistics = 3;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.stats, ST_STAT_SUM | ST_STAT_MAXIMUM);
    assert_int_equal(q.n_quantiles, 0);
}

static void test_query_quantiles_in_request_order(void **state)
{
    struct get_fx *f = *state;
    f->req.n_statistics = 0;
    f->ext[0] = "p99.9";
    f->ext[1] = "p0";
    f->ext[2] = "p99.9";
    f->req.n_extended_statistics = 3;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.stats, 0);
    assert_int_equal(q.n_quantiles, 3);
    assert_true(q.quantiles[0] == 0.999);
    assert_true(q.quantiles[1] == 0.0);
    assert_true(q.quantiles[2] == 0.999);
}

static void test_query_unit_parsed(void **state)
{
    struct get_fx *f = *state;
    f->req.unit = "Kilobytes/Second";
    struct st_stats_query q = query_of(f);
    assert_true(q.has_unit);
    assert_int_equal(q.unit, ST_UNIT_KILOBYTES_SECOND);
}

static void test_query_without_unit(void **state)
{
    struct get_fx *f = *state;
    struct st_stats_query q = query_of(f);
    assert_false(q.has_unit);
}

static void test_query_keeps_end_and_period(void **state)
{
    struct get_fx *f = *state;
    f->req.end_time_ms = NOW_MS - 1234;
    f->req.period = 300;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.end_ms, NOW_MS - 1234);
    assert_int_equal(q.period_s, 300);
}

static void test_start_recent_rounds_to_minute(void **state)
{
    struct get_fx *f = *state;
    f->req.start_time_ms = NOW_MS - HOUR_MS + 2 * MINUTE_MS + 34567;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - HOUR_MS + 2 * MINUTE_MS);
}

static void test_start_just_under_15_days_rounds_to_minute(void **state)
{
    struct get_fx *f = *state;
    int64_t now_ms = NOW_MS + 7 * MINUTE_MS;
    f->req.start_time_ms = now_ms - 15 * DAY_MS + 1;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
    struct st_stats_query q = query_at(f, now_ms);
    assert_int_equal(q.start_ms, NOW_MS - 15 * DAY_MS + 7 * MINUTE_MS);
}

static void test_start_15_days_rounds_to_5_minutes(void **state)
{
    struct get_fx *f = *state;
    /* Exactly 15 days old is no longer "less than 15 days"; 7 minutes past makes it show. */
    int64_t now_ms = NOW_MS + 7 * MINUTE_MS;
    f->req.start_time_ms = now_ms - 15 * DAY_MS;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
    struct st_stats_query q = query_at(f, now_ms);
    assert_int_equal(q.start_ms, NOW_MS - 15 * DAY_MS + 5 * MINUTE_MS);
}

static void test_start_20_days_rounds_to_5_minutes(void **state)
{
    struct get_fx *f = *state;
    f->req.start_time_ms = NOW_MS - 20 * DAY_MS + 32 * MINUTE_MS + 34 * SECOND_MS;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - 20 * DAY_MS + 30 * MINUTE_MS);
}

static void test_start_63_days_rounds_to_5_minutes(void **state)
{
    struct get_fx *f = *state;
    /* Exactly 63 days old is still "between 15 and 63 days". */
    int64_t now_ms = NOW_MS + 7 * MINUTE_MS;
    f->req.start_time_ms = now_ms - 63 * DAY_MS;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
    struct st_stats_query q = query_at(f, now_ms);
    assert_int_equal(q.start_ms, NOW_MS - 63 * DAY_MS + 5 * MINUTE_MS);
}

static void test_start_over_63_days_rounds_to_hour(void **state)
{
    struct get_fx *f = *state;
    int64_t now_ms = NOW_MS + 7 * MINUTE_MS;
    f->req.start_time_ms = now_ms - 63 * DAY_MS - 1;
    f->req.end_time_ms = NOW_MS - 62 * DAY_MS;
    f->req.period = 3600;
    struct st_stats_query q = query_at(f, now_ms);
    assert_int_equal(q.start_ms, NOW_MS - 63 * DAY_MS);
}

static void test_start_in_future_rounds_to_minute(void **state)
{
    struct get_fx *f = *state;
    f->req.start_time_ms = NOW_MS + HOUR_MS + 59999;
    f->req.end_time_ms = NOW_MS + 2 * HOUR_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS + HOUR_MS);
}

static void test_start_before_epoch_rounds_down(void **state)
{
    struct get_fx *f = *state;
    f->req.start_time_ms = -1;
    f->req.end_time_ms = HOUR_MS;
    f->req.period = 3600;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, -HOUR_MS);
}

static void test_high_resolution_start_rounds_to_period(void **state)
{
    struct get_fx *f = *state;
    /* 01:05:23 with a 10 s period starts at 01:05:20. */
    f->req.period = 10;
    f->req.start_time_ms = NOW_MS - HOUR_MS + 5 * MINUTE_MS + 23 * SECOND_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - HOUR_MS + 5 * MINUTE_MS + 20 * SECOND_MS);
}

static void test_high_resolution_5s_period_rounds_to_5s(void **state)
{
    struct get_fx *f = *state;
    /* 15:02:17 with a 5 s period starts at 15:02:15. */
    f->req.period = 5;
    f->req.start_time_ms = NOW_MS - 5 * MINUTE_MS + 17 * SECOND_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - 5 * MINUTE_MS + 15 * SECOND_MS);
}

static void test_one_second_period_rounds_to_second(void **state)
{
    struct get_fx *f = *state;
    f->req.period = 1;
    f->req.start_time_ms = NOW_MS - 10 * MINUTE_MS + 999;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - 10 * MINUTE_MS);
}

static void test_high_resolution_ignores_age(void **state)
{
    struct get_fx *f = *state;
    f->req.period = 30;
    f->req.start_time_ms = NOW_MS - 70 * DAY_MS + 45 * SECOND_MS;
    f->req.end_time_ms = f->req.start_time_ms + HOUR_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - 70 * DAY_MS + 30 * SECOND_MS);
}

static void test_datapoints_count_from_rounded_start(void **state)
{
    struct get_fx *f = *state;
    /* 30 s short of a full day, but rounding the start down to the minute makes it 1440. */
    f->req.start_time_ms = NOW_MS - DAY_MS + 30 * SECOND_MS;
    struct st_stats_query q = query_of(f);
    assert_int_equal(q.start_ms, NOW_MS - DAY_MS);
}

static void test_datapoints_partial_period_counts(void **state)
{
    struct get_fx *f = *state;
    struct st_error err = {0};
    struct st_stats_query q;
    /* 1440 whole periods and 1 ms more: the partial period is a 1441st datapoint. */
    f->req.start_time_ms = NOW_MS - DAY_MS;
    f->req.end_time_ms = NOW_MS + 1;
    int rc = st_validate_get_metric_statistics(&f->req, NOW_MS, &q, &err);
    check_result(rc, &err, IPC, "You have requested up to 1,441 datapoints");
}

static void test_query_untouched_on_error(void **state)
{
    struct get_fx *f = *state;
    struct st_error err = {0};
    struct st_stats_query q, before;
    memset(&q, 0x5a, sizeof(q));
    before = q;
    f->req.period = 7;
    int rc = st_validate_get_metric_statistics(&f->req, NOW_MS, &q, &err);
    assert_int_equal(rc, -EINVAL);
    assert_memory_equal(&q, &before, sizeof(q));
}

/*
 * Units, statistics and percentiles.
 */

static const char *const cloudwatch_units[] = {
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
};

static void test_unit_names_are_cloudwatch_spelling(void **state)
{
    (void)state;
    assert_int_equal(N_ELEMS(cloudwatch_units), ST_UNIT__COUNT);
    for (int u = 0; u < ST_UNIT__COUNT; u++) {
        assert_string_equal(st_unit_name((enum st_unit)u), cloudwatch_units[u]);
    }
}

static void test_unit_parse_round_trips_all_27(void **state)
{
    (void)state;
    for (int u = 0; u < ST_UNIT__COUNT; u++) {
        enum st_unit got = ST_UNIT__COUNT;
        assert_int_equal(st_unit_parse(st_unit_name((enum st_unit)u), &got), 0);
        assert_int_equal(got, u);
    }
}

static void test_unit_parse_is_case_sensitive(void **state)
{
    (void)state;
    enum st_unit got = ST_UNIT_BITS;
    assert_int_equal(st_unit_parse("bytes/second", &got), -EINVAL);
    assert_int_equal(got, ST_UNIT_BITS);
}

static void test_unit_parse_rejects_unknown(void **state)
{
    (void)state;
    enum st_unit got;
    assert_int_equal(st_unit_parse("Count/Minute", &got), -EINVAL);
}

static void test_unit_parse_rejects_empty_and_null(void **state)
{
    (void)state;
    enum st_unit got;
    assert_int_equal(st_unit_parse("", &got), -EINVAL);
    assert_int_equal(st_unit_parse(NULL, &got), -EINVAL);
}

static void test_unit_parse_rejects_padding(void **state)
{
    (void)state;
    enum st_unit got;
    assert_int_equal(st_unit_parse("Count ", &got), -EINVAL);
}

static void test_unit_name_out_of_range_is_none(void **state)
{
    (void)state;
    assert_string_equal(st_unit_name(ST_UNIT__COUNT), "None");
    assert_string_equal(st_unit_name((enum st_unit) - 1), "None");
}

static void test_stat_parse_all_five(void **state)
{
    (void)state;
    const struct {
        const char *name;
        enum st_stat stat;
    } want[] = {
        {"SampleCount", ST_STAT_SAMPLE_COUNT}, {"Average", ST_STAT_AVERAGE}, {"Sum", ST_STAT_SUM},
        {"Minimum", ST_STAT_MINIMUM},          {"Maximum", ST_STAT_MAXIMUM},
    };
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        enum st_stat got = 0;
        assert_int_equal(st_stat_parse(want[i].name, &got), 0);
        assert_int_equal(got, want[i].stat);
    }
}

static void test_stat_parse_is_case_sensitive(void **state)
{
    (void)state;
    enum st_stat got;
    assert_int_equal(st_stat_parse("average", &got), -EINVAL);
}

static void test_stat_parse_rejects_percentile_and_null(void **state)
{
    (void)state;
    enum st_stat got;
    assert_int_equal(st_stat_parse("p99", &got), -EINVAL);
    assert_int_equal(st_stat_parse(NULL, &got), -EINVAL);
}

struct pct_case {
    const char *name;
    const char *s;
    int want_rc;
    double want_q;
};

static const struct pct_case pct_cases[] = {
    {"percentile_p0", "p0", 0, 0.0},
    {"percentile_p50", "p50", 0, 0.5},
    {"percentile_p99_9", "p99.9", 0, 0.999},
    {"percentile_p99_99", "p99.99", 0, 0.9999},
    {"percentile_p100", "p100", 0, 1.0},
    {"percentile_p0_0", "p0.0", 0, 0.0},
    {"percentile_p0_01", "p0.01", 0, 0.0001},
    {"percentile_p100_00", "p100.00", 0, 1.0},
    {"percentile_p5_5", "p5.5", 0, 0.055},
    {"percentile_p9_05", "p9.05", 0, 0.0905},
    {"percentile_rejects_p100_1", "p100.1", -EINVAL, 0},
    {"percentile_rejects_p100_01", "p100.01", -EINVAL, 0},
    {"percentile_rejects_p101", "p101", -EINVAL, 0},
    {"percentile_rejects_p_minus_1", "p-1", -EINVAL, 0},
    {"percentile_rejects_p_plus_1", "p+1", -EINVAL, 0},
    {"percentile_rejects_p99_999", "p99.999", -EINVAL, 0},
    {"percentile_rejects_p", "p", -EINVAL, 0},
    {"percentile_rejects_bare_99", "99", -EINVAL, 0},
    {"percentile_rejects_upper_p50", "P50", -EINVAL, 0},
    {"percentile_rejects_p5_5_5", "p5.5.5", -EINVAL, 0},
    {"percentile_rejects_trailing_dot", "p5.", -EINVAL, 0},
    {"percentile_rejects_leading_dot", "p.5", -EINVAL, 0},
    {"percentile_rejects_leading_zero", "p050", -EINVAL, 0},
    {"percentile_rejects_p1000", "p1000", -EINVAL, 0},
    {"percentile_rejects_space", "p 50", -EINVAL, 0},
    {"percentile_rejects_trailing_space", "p50 ", -EINVAL, 0},
    {"percentile_rejects_exponent", "p5e1", -EINVAL, 0},
    {"percentile_rejects_empty", "", -EINVAL, 0},
    {"percentile_rejects_trimmed_mean", "tm99", -EINVAL, 0},
};

static const struct pct_case *current_pct;

static void test_pct_case(void **state)
{
    (void)state;
    double q = -1;
    assert_int_equal(st_percentile_parse(current_pct->s, &q), current_pct->want_rc);
    if (current_pct->want_rc == 0) {
        assert_true(q == current_pct->want_q);
    } else {
        assert_true(q == -1);
    }
}

static void test_percentile_rejects_null(void **state)
{
    (void)state;
    double q;
    assert_int_equal(st_percentile_parse(NULL, &q), -EINVAL);
}

/*
 * st_error_set.
 */

static void test_error_set_fills_code_and_message(void **state)
{
    (void)state;
    struct st_error err = {0};
    int rc =
        st_error_set(&err, -EINVAL, ST_ERR_MISSING_PARAMETER, "The parameter %s is %d.", "X", 7);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err.code, "MissingParameter");
    assert_string_equal(err.message, "The parameter X is 7.");
}

static void test_error_set_null_err_returns_ret(void **state)
{
    (void)state;
    assert_int_equal(st_error_set(NULL, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "x"), -ENOMEM);
}

static void test_error_set_truncates_long_message(void **state)
{
    (void)state;
    struct st_error err;
    char big[2 * ST_ERROR_MESSAGE_MAX];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    st_error_set(&err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "%s", big);
    assert_int_equal(strlen(err.message), ST_ERROR_MESSAGE_MAX - 1);
}

static void test_error_set_truncates_long_code(void **state)
{
    (void)state;
    struct st_error err;
    char big[2 * ST_ERROR_CODE_MAX];
    memset(big, 'C', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    st_error_set(&err, -EINVAL, big, "m");
    assert_int_equal(strlen(err.code), ST_ERROR_CODE_MAX - 1);
}

static int put_plain_setup(void **state)
{
    struct put_fx *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    put_fx_init(f);
    *state = f;
    return 0;
}

static void test_error_messages_fit_and_are_printable(void **state)
{
    /* The longest message: a unit error on the last datum, echoing a value full of escapes. */
    struct put_fx *f = *state;
    f->req.n_metric_data = ST_MAX_DATUMS;
    f->datums[ST_MAX_DATUMS - 1].unit = repeat(f->text, sizeof(f->text), "\x01", 600);
    struct st_error err;
    memset(&err, 0xff, sizeof(err));
    int rc = st_validate_put_metric_data(&f->req, NOW_MS, NULL, &err);
    assert_int_equal(rc, -EINVAL);
    size_t len = strnlen(err.message, sizeof(err.message));
    assert_true(len < sizeof(err.message));
    for (size_t i = 0; i < len; i++) {
        assert_true(err.message[i] >= 0x20 && err.message[i] < 0x7f);
    }
    assert_non_null(strstr(err.message, "'\\x01\\x01\\x01"));
    assert_non_null(strstr(err.message, "metricData.1000.member.unit"));
}

/*
 * The test list: the fixed tests, then one test per table row, named after the row.
 */

#define MAX_TESTS 512

static struct CMUnitTest tests[MAX_TESTS];
static size_t n_tests;

static void add(const char *name, CMUnitTestFunction fn, CMFixtureFunction setup,
                CMFixtureFunction teardown, const void *row)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "test_metric: raise MAX_TESTS\n");
        exit(1);
    }
    tests[n_tests++] = (struct CMUnitTest){name, fn, setup, teardown, (void *)row};
}

static int pct_setup(void **state)
{
    current_pct = *state;
    *state = NULL;
    return 0;
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_namespace_names_param_in_length_error),
        cmocka_unit_test(test_namespace_names_param_in_value_error),
        cmocka_unit_test(test_namespace_missing_names_param),
        cmocka_unit_test(test_namespace_null_opts_rejects_aws),
        cmocka_unit_test(test_validators_accept_null_err),
        cmocka_unit_test_setup_teardown(test_query_statistics_bitmask, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_quantiles_in_request_order, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_unit_parsed, get_plain_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_without_unit, get_plain_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_keeps_end_and_period, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_recent_rounds_to_minute, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_just_under_15_days_rounds_to_minute,
                                        get_plain_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_15_days_rounds_to_5_minutes, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_20_days_rounds_to_5_minutes, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_63_days_rounds_to_5_minutes, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_over_63_days_rounds_to_hour, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_in_future_rounds_to_minute, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_start_before_epoch_rounds_down, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_high_resolution_start_rounds_to_period,
                                        get_plain_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_high_resolution_5s_period_rounds_to_5s,
                                        get_plain_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_one_second_period_rounds_to_second, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_high_resolution_ignores_age, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_datapoints_count_from_rounded_start, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_datapoints_partial_period_counts, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_untouched_on_error, get_plain_setup,
                                        fx_teardown),
        cmocka_unit_test(test_unit_names_are_cloudwatch_spelling),
        cmocka_unit_test(test_unit_parse_round_trips_all_27),
        cmocka_unit_test(test_unit_parse_is_case_sensitive),
        cmocka_unit_test(test_unit_parse_rejects_unknown),
        cmocka_unit_test(test_unit_parse_rejects_empty_and_null),
        cmocka_unit_test(test_unit_parse_rejects_padding),
        cmocka_unit_test(test_unit_name_out_of_range_is_none),
        cmocka_unit_test(test_stat_parse_all_five),
        cmocka_unit_test(test_stat_parse_is_case_sensitive),
        cmocka_unit_test(test_stat_parse_rejects_percentile_and_null),
        cmocka_unit_test(test_percentile_rejects_null),
        cmocka_unit_test(test_error_set_fills_code_and_message),
        cmocka_unit_test(test_error_set_null_err_returns_ret),
        cmocka_unit_test(test_error_set_truncates_long_message),
        cmocka_unit_test(test_error_set_truncates_long_code),
        cmocka_unit_test_setup_teardown(test_error_messages_fit_and_are_printable, put_plain_setup,
                                        fx_teardown),
    };
    for (size_t i = 0; i < N_ELEMS(fixed); i++) {
        add(fixed[i].name, fixed[i].test_func, fixed[i].setup_func, fixed[i].teardown_func,
            fixed[i].initial_state);
    }
    for (size_t i = 0; i < N_ELEMS(put_cases); i++) {
        add(put_cases[i].name, test_put_case, put_setup, fx_teardown, &put_cases[i]);
    }
    for (size_t i = 0; i < N_ELEMS(get_cases); i++) {
        add(get_cases[i].name, test_get_case, get_setup, fx_teardown, &get_cases[i]);
    }
    for (size_t i = 0; i < N_ELEMS(list_cases); i++) {
        add(list_cases[i].name, test_list_case, list_setup, fx_teardown, &list_cases[i]);
    }
    for (size_t i = 0; i < N_ELEMS(pct_cases); i++) {
        add(pct_cases[i].name, test_pct_case, pct_setup, NULL, &pct_cases[i]);
    }
    return _cmocka_run_group_tests("metric", tests, n_tests, NULL, NULL);
}
