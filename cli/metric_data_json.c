/* SPDX-License-Identifier: MIT */
/*
 * The --metric-data JSON parser (see metric_data_json.h). json-c builds the tree (strict mode,
 * so what Python's json would refuse is refused here too); everything this file allocates goes
 * through st_malloc, so OOM injection reaches every path that builds datums. Parameter paths in
 * messages are botocore's ("MetricData[0].Dimensions[1].Name") so they match what the aws CLI
 * says about the same file.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "metric_data_json.h"
#include "pb.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"
#include "stratus/time_util.h"

#define PATH_MAX_LEN 96

/* Writes a parameter path; long paths (from long unknown keys) are cut, which only a message sees.
 */
__attribute__((format(printf, 2, 3))) static void path_printf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, PATH_MAX_LEN, fmt, ap);
    va_end(ap);
}

static const char *type_name(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "a list";
    case json_type_string:
        return "a string";
    }
    return "?";
}

static int bad_type(struct st_error *err, const char *path, json_object *o, const char *want)
{
    return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                        "invalid type for parameter %s: got %s, want %s", path, type_name(o), want);
}

static int oom(struct st_error *err)
{
    return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

static bool is_number(json_object *o)
{
    return json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int);
}

static int get_number(const char *path, json_object *o, double *ret, struct st_error *err)
{
    if (!is_number(o)) {
        return bad_type(err, path, o, "a number");
    }
    double d = json_object_get_double(o);
    if (!isfinite(d)) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid value for parameter %s: not a finite number", path);
    }
    *ret = d;
    return 0;
}

/* Copies a JSON string; strings with an embedded NUL (from "\u0000") are refused. */
static int get_string(const char *path, json_object *o, char **ret, struct st_error *err)
{
    if (!json_object_is_type(o, json_type_string)) {
        return bad_type(err, path, o, "a string");
    }
    const char *s = json_object_get_string(o);
    if (strlen(s) != (size_t)json_object_get_string_len(o)) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid value for parameter %s: contains a NUL character", path);
    }
    char *copy = st_strdup(s);
    if (!copy) {
        return oom(err);
    }
    *ret = copy;
    return 0;
}

static int get_array(const char *path, json_object *o, size_t max, size_t *ret_n,
                     struct st_error *err)
{
    if (!json_object_is_type(o, json_type_array)) {
        return bad_type(err, path, o, "a list");
    }
    size_t n = json_object_array_length(o);
    if (n > max) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid length for parameter %s: %zu items, at most %zu", path, n,
                            max);
    }
    *ret_n = n;
    return 0;
}

static int unknown_key(struct st_error *err, const char *path, const char *key, const char *want)
{
    return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                        "unknown parameter in %s: \"%.64s\", must be one of: %s", path, key, want);
}

static int missing(struct st_error *err, const char *path, const char *key)
{
    return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE, "missing required parameter in %s: \"%s\"",
                        path, key);
}

static int parse_dimension(const char *path, json_object *o, Stratus__Dimension **ret,
                           struct st_error *err)
{
    if (!json_object_is_type(o, json_type_object)) {
        return bad_type(err, path, o, "an object");
    }
    Stratus__Dimension *d = st_malloc(sizeof(*d));
    if (!d) {
        return oom(err);
    }
    stratus__dimension__init(d);
    int r = 0;
    char sub[PATH_MAX_LEN];
    json_object_object_foreach(o, key, val)
    {
        path_printf(sub, "%s.%s", path, key);
        if (strcmp(key, "Name") == 0) {
            st_free(d->name);
            d->name = NULL;
            r = get_string(sub, val, &d->name, err);
        } else if (strcmp(key, "Value") == 0) {
            st_free(d->value);
            d->value = NULL;
            r = get_string(sub, val, &d->value, err);
        } else {
            r = unknown_key(err, path, key, "Name, Value");
        }
        if (r < 0) {
            break;
        }
    }
    if (r == 0 && !d->name) {
        r = missing(err, path, "Name");
    }
    if (r == 0 && !d->value) {
        r = missing(err, path, "Value");
    }
    if (r < 0) {
        st_pb_free(d);
        return r;
    }
    *ret = d;
    return 0;
}

static int parse_dimensions(const char *path, json_object *o, Stratus__MetricDatum *d,
                            struct st_error *err)
{
    size_t n = 0;
    int r = get_array(path, o, ST_MAX_DIMENSIONS, &n, err);
    if (r < 0) {
        return r;
    }
    if (n == 0) {
        return 0;
    }
    d->dimensions = st_calloc(n, sizeof(*d->dimensions));
    if (!d->dimensions) {
        return oom(err);
    }
    for (size_t i = 0; i < n; i++) {
        char sub[PATH_MAX_LEN];
        path_printf(sub, "%s[%zu]", path, i);
        r = parse_dimension(sub, json_object_array_get_idx(o, i), &d->dimensions[i], err);
        if (r < 0) {
            return r;
        }
        d->n_dimensions = i + 1;
    }
    return 0;
}

/* Values and Counts: lists of finite numbers. */
static int parse_numbers(const char *path, json_object *o, double **ret, size_t *ret_n,
                         struct st_error *err)
{
    size_t n = 0;
    int r = get_array(path, o, ST_MAX_VALUES, &n, err);
    if (r < 0) {
        return r;
    }
    double *v = NULL;
    if (n > 0) {
        v = st_calloc(n, sizeof(*v));
        if (!v) {
            return oom(err);
        }
    }
    for (size_t i = 0; i < n; i++) {
        char sub[PATH_MAX_LEN];
        path_printf(sub, "%s[%zu]", path, i);
        r = get_number(sub, json_object_array_get_idx(o, i), &v[i], err);
        if (r < 0) {
            st_free(v);
            return r;
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static int parse_statistic_values(const char *path, json_object *o, Stratus__StatisticSet **ret,
                                  struct st_error *err)
{
    if (!json_object_is_type(o, json_type_object)) {
        return bad_type(err, path, o, "an object");
    }
    static const char *const keys[] = {"SampleCount", "Sum", "Minimum", "Maximum"};
    double v[4];
    for (size_t k = 0; k < 4; k++) {
        json_object *val;
        if (!json_object_object_get_ex(o, keys[k], &val)) {
            return missing(err, path, keys[k]);
        }
        char sub[PATH_MAX_LEN];
        path_printf(sub, "%s.%s", path, keys[k]);
        int r = get_number(sub, val, &v[k], err);
        if (r < 0) {
            return r;
        }
    }
    if (json_object_object_length(o) != 4) {
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            if (strcmp(key, keys[0]) && strcmp(key, keys[1]) && strcmp(key, keys[2]) &&
                strcmp(key, keys[3])) {
                return unknown_key(err, path, key, "SampleCount, Sum, Minimum, Maximum");
            }
        }
    }
    Stratus__StatisticSet *s = st_malloc(sizeof(*s));
    if (!s) {
        return oom(err);
    }
    stratus__statistic_set__init(s);
    s->has_sample_count = s->has_sum = s->has_minimum = s->has_maximum = true;
    s->sample_count = v[0];
    s->sum = v[1];
    s->minimum = v[2];
    s->maximum = v[3];
    *ret = s;
    return 0;
}

static int parse_timestamp(const char *path, json_object *o, int64_t *ret_ms, struct st_error *err)
{
    if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        if (strlen(s) != (size_t)json_object_get_string_len(o) || st_time_parse(s, ret_ms) < 0) {
            return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                                "invalid value for parameter %s: not an ISO 8601 time", path);
        }
        return 0;
    }
    if (!is_number(o)) {
        return bad_type(err, path, o, "a string or a number");
    }
    /* Epoch seconds, as botocore takes them; the bound keeps the product in int64. */
    double secs = json_object_get_double(o);
    if (!isfinite(secs) || fabs(secs) > 1e13) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid value for parameter %s: time out of range", path);
    }
    *ret_ms = llround(secs * 1000.0);
    return 0;
}

static int parse_unit(const char *path, json_object *o, char **ret, struct st_error *err)
{
    char *unit = NULL;
    int r = get_string(path, o, &unit, err);
    if (r < 0) {
        return r;
    }
    enum st_unit u;
    if (st_unit_parse(unit, &u) < 0) {
        st_free(unit);
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid value for parameter %s: not a CloudWatch unit", path);
    }
    *ret = unit;
    return 0;
}

static int parse_storage_resolution(const char *path, json_object *o, int32_t *ret,
                                    struct st_error *err)
{
    if (!json_object_is_type(o, json_type_int)) {
        return bad_type(err, path, o, "an integer");
    }
    int64_t v = json_object_get_int64(o);
    if (v < INT32_MIN || v > INT32_MAX) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "invalid value for parameter %s: out of range", path);
    }
    *ret = (int32_t)v;
    return 0;
}

#define DATUM_KEYS                                                                                 \
    "MetricName, Dimensions, Timestamp, Value, StatisticValues, Values, Counts, Unit, "            \
    "StorageResolution"

/* Fills d from one key of a datum object. A key given twice in the JSON arrives once (the
 * last), as with Python's json. */
static int parse_datum_key(const char *path, const char *key, json_object *val,
                           Stratus__MetricDatum *d, bool *has_values, bool *has_counts,
                           struct st_error *err)
{
    char sub[PATH_MAX_LEN];
    path_printf(sub, "%s.%s", path, key);
    if (strcmp(key, "MetricName") == 0) {
        return get_string(sub, val, &d->metric_name, err);
    } else if (strcmp(key, "Dimensions") == 0) {
        return parse_dimensions(sub, val, d, err);
    } else if (strcmp(key, "Timestamp") == 0) {
        d->has_timestamp_ms = true;
        return parse_timestamp(sub, val, &d->timestamp_ms, err);
    } else if (strcmp(key, "Value") == 0) {
        d->has_value = true;
        return get_number(sub, val, &d->value, err);
    } else if (strcmp(key, "StatisticValues") == 0) {
        return parse_statistic_values(sub, val, &d->statistic_values, err);
    } else if (strcmp(key, "Values") == 0) {
        *has_values = true;
        return parse_numbers(sub, val, &d->values, &d->n_values, err);
    } else if (strcmp(key, "Counts") == 0) {
        *has_counts = true;
        return parse_numbers(sub, val, &d->counts, &d->n_counts, err);
    } else if (strcmp(key, "Unit") == 0) {
        return parse_unit(sub, val, &d->unit, err);
    } else if (strcmp(key, "StorageResolution") == 0) {
        d->has_storage_resolution = true;
        return parse_storage_resolution(sub, val, &d->storage_resolution, err);
    }
    return unknown_key(err, path, key, DATUM_KEYS);
}

static int parse_datum(const char *path, json_object *o, Stratus__MetricDatum **ret,
                       struct st_error *err)
{
    if (!json_object_is_type(o, json_type_object)) {
        return bad_type(err, path, o, "an object");
    }
    Stratus__MetricDatum *d = st_malloc(sizeof(*d));
    if (!d) {
        return oom(err);
    }
    stratus__metric_datum__init(d);
    bool has_values = false, has_counts = false;
    int r = 0;
    json_object_object_foreach(o, key, val)
    {
        r = parse_datum_key(path, key, val, d, &has_values, &has_counts, err);
        if (r < 0) {
            goto fail;
        }
    }
    if (!d->metric_name) {
        r = missing(err, path, "MetricName");
        goto fail;
    }
    unsigned kinds = (unsigned)d->has_value + (d->statistic_values != NULL) + has_values;
    if (kinds != 1) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "%s: give exactly one of Value, StatisticValues and Values", path);
        goto fail;
    }
    if (has_counts && !has_values) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE, "%s: Counts needs Values", path);
        goto fail;
    }
    if (has_counts && d->n_counts != d->n_values) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "%s: Counts has %zu items but Values has %zu", path, d->n_counts,
                         d->n_values);
        goto fail;
    }
    *ret = d;
    return 0;
fail:
    st_pb_free(d);
    return r;
}

void st_metric_data_free(Stratus__MetricDatum **datums, size_t n)
{
    if (!datums) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        st_pb_free(datums[i]);
    }
    st_free(datums);
}

/* Parses the whole buffer as one JSON value; anything but whitespace after it is an error. */
static int parse_json(const uint8_t *buf, size_t len, json_object **ret, struct st_error *err)
{
    if (len == 0 || len > INT_MAX - 1 || memchr(buf, '\0', len)) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "--metric-data: not valid JSON (expected a list of metric datums)");
    }
    /* A terminated copy, so that the tokener sees where a trailing number ends. */
    char *text = st_malloc(len + 1);
    if (!text) {
        return oom(err);
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        st_free(text);
        return oom(err);
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    int r = 0;
    if (!root || jerr != json_tokener_success) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "--metric-data: not valid JSON: %s at offset %zu",
                         json_tokener_error_desc(jerr), end);
    } else if (end < len && text[end + strspn(text + end, " \t\r\n")] != '\0') {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "--metric-data: not valid JSON: extra data at offset %zu", end);
    }
    json_tokener_free(tok);
    st_free(text);
    if (r < 0) {
        json_object_put(root);
        return r;
    }
    *ret = root;
    return 0;
}

int st_metric_data_json_parse(const uint8_t *buf, size_t len, Stratus__MetricDatum ***ret_datums,
                              size_t *ret_n, struct st_error *err)
{
    json_object *root = NULL;
    int r = parse_json(buf, len, &root, err);
    if (r < 0) {
        return r;
    }
    Stratus__MetricDatum **datums = NULL;
    size_t n = 0;
    if (!json_object_is_type(root, json_type_array)) {
        r = bad_type(err, "MetricData", root, "a list");
        goto out;
    }
    n = json_object_array_length(root);
    if (n == 0) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "invalid length for parameter MetricData: the list is empty");
        goto out;
    }
    if (n > ST_MAX_DATUMS) {
        r = st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                         "invalid length for parameter MetricData: %zu items, at most %d", n,
                         ST_MAX_DATUMS);
        goto out;
    }
    datums = st_calloc(n, sizeof(*datums));
    if (!datums) {
        r = oom(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX_LEN];
        path_printf(path, "MetricData[%zu]", i);
        r = parse_datum(path, json_object_array_get_idx(root, i), &datums[i], err);
        if (r < 0) {
            goto out;
        }
    }
out:
    json_object_put(root);
    if (r < 0) {
        st_metric_data_free(datums, n);
        return r;
    }
    *ret_datums = datums;
    *ret_n = n;
    return 0;
}
