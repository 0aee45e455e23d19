/* SPDX-License-Identifier: MIT */
/*
 * put-metric-data, get-metric-statistics and list-metrics (see cmd_metrics.h). Each verb is a
 * request builder (flags -> protobuf request, in cmd_metrics_private.h for the tests), one
 * st_api_call, and a printer from output.c. The client checks what the aws CLI checks before
 * sending (required flags, types, enum names, list shapes) and leaves value limits to the
 * collector, which validates every request anyway.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "args.h"
#include "cmd_metrics_private.h"
#include "metric_data_json.h"
#include "output.h"
#include "pb.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"

/* ListMetrics takes at most 10 dimension filters (CloudWatch's limit). */
#define LIST_MAX_DIMENSION_FILTERS 10
/* A --metric-data file larger than this cannot be one request of at most 1 MB. */
#define METRIC_DATA_FILE_MAX (64 * 1024 * 1024)

/* Moves parsed dimensions into a protobuf Dimension array (strings are stolen from dims). */
static int dims_to_pb(struct st_args_dims *dims, Stratus__Dimension ***ret, size_t *ret_n,
                      struct st_error *err)
{
    Stratus__Dimension **out = st_calloc(dims->n, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    for (size_t i = 0; i < dims->n; i++) {
        out[i] = st_malloc(sizeof(*out[i]));
        if (!out[i]) {
            for (size_t k = 0; k < i; k++) {
                st_pb_free(out[k]);
            }
            st_free(out);
            return st_args_oom(err);
        }
        stratus__dimension__init(out[i]);
        out[i]->name = dims->items[i].name;
        out[i]->value = dims->items[i].value;
        dims->items[i].name = dims->items[i].value = NULL;
    }
    *ret = out;
    *ret_n = dims->n;
    return 0;
}

static int filters_to_pb(struct st_args_dims *dims, Stratus__DimensionFilter ***ret, size_t *ret_n,
                         struct st_error *err)
{
    Stratus__DimensionFilter **out = st_calloc(dims->n, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    for (size_t i = 0; i < dims->n; i++) {
        out[i] = st_malloc(sizeof(*out[i]));
        if (!out[i]) {
            for (size_t k = 0; k < i; k++) {
                st_pb_free(out[k]);
            }
            st_free(out);
            return st_args_oom(err);
        }
        stratus__dimension_filter__init(out[i]);
        out[i]->name = dims->items[i].name;
        out[i]->value = dims->items[i].value;
        dims->items[i].name = dims->items[i].value = NULL;
    }
    *ret = out;
    *ret_n = dims->n;
    return 0;
}

static int parse_unit(const char *s, char **ret, struct st_error *err)
{
    enum st_unit unit;
    if (st_unit_parse(s, &unit) < 0) {
        return st_args_usage(err,
                             "argument --unit: invalid unit '%s' (want a CloudWatch unit "
                             "such as Seconds, Milliseconds, Bytes, Percent, Count, "
                             "Count/Second or None)",
                             s);
    }
    return st_args_dup(s, ret, err);
}

/* --- put-metric-data --- */

enum {
    PUT_NAMESPACE,
    PUT_METRIC_NAME,
    PUT_DIMENSIONS,
    PUT_VALUE,
    PUT_STATISTIC_VALUES,
    PUT_VALUES,
    PUT_COUNTS,
    PUT_UNIT,
    PUT_TIMESTAMP,
    PUT_STORAGE_RESOLUTION,
    PUT_METRIC_DATA,
    PUT__COUNT,
};

static const struct st_args_flag put_flags[PUT__COUNT] = {
    [PUT_NAMESPACE] = {"--namespace", ST_ARGS_ONE},
    [PUT_METRIC_NAME] = {"--metric-name", ST_ARGS_ONE},
    [PUT_DIMENSIONS] = {"--dimensions", ST_ARGS_MANY},
    [PUT_VALUE] = {"--value", ST_ARGS_ONE},
    [PUT_STATISTIC_VALUES] = {"--statistic-values", ST_ARGS_ONE},
    [PUT_VALUES] = {"--values", ST_ARGS_MANY},
    [PUT_COUNTS] = {"--counts", ST_ARGS_MANY},
    [PUT_UNIT] = {"--unit", ST_ARGS_ONE},
    [PUT_TIMESTAMP] = {"--timestamp", ST_ARGS_ONE},
    [PUT_STORAGE_RESOLUTION] = {"--storage-resolution", ST_ARGS_ONE},
    [PUT_METRIC_DATA] = {"--metric-data", ST_ARGS_ONE},
};

/* Reads a whole (small) file for --metric-data file://PATH. */
static int read_file(const char *path, uint8_t **ret_buf, size_t *ret_len, struct st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return st_args_usage(err, "argument --metric-data: cannot open '%s': %s", path,
                             strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > METRIC_DATA_FILE_MAX) {
        fclose(f);
        return st_args_usage(err,
                             "argument --metric-data: '%s' is not a regular file of at "
                             "most 64 MiB",
                             path);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = st_malloc(size + 1);
    if (!buf) {
        fclose(f);
        return st_args_oom(err);
    }
    size_t len = fread(buf, 1, size, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        st_free(buf);
        return st_args_usage(err, "argument --metric-data: cannot read '%s'", path);
    }
    *ret_buf = buf;
    *ret_len = len;
    return 0;
}

/* --metric-data file://PATH (fileb:// too), or the JSON itself, as the aws CLI takes it. */
static int metric_data_from_arg(const char *arg, Stratus__PutMetricDataRequest *req,
                                struct st_error *err)
{
    const char *path = NULL;
    if (strncmp(arg, "file://", 7) == 0) {
        path = arg + 7;
    } else if (strncmp(arg, "fileb://", 8) == 0) {
        path = arg + 8;
    }
    if (!path) {
        return st_metric_data_json_parse((const uint8_t *)arg, strlen(arg), &req->metric_data,
                                         &req->n_metric_data, err);
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = read_file(path, &buf, &len, err);
    if (r < 0) {
        return r;
    }
    r = st_metric_data_json_parse(buf, len, &req->metric_data, &req->n_metric_data, err);
    st_free(buf);
    if (r == -EINVAL) {
        /* Say which file the complaint is about. */
        char msg[ST_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof(msg), "%s", err ? err->message : "");
        st_args_usage(err, "%s: %s", path, msg);
    }
    return r;
}

static int parse_numbers(const char *flag, const struct st_args_value *v, double **ret,
                         size_t *ret_n, struct st_error *err)
{
    if (v->n_many > ST_MAX_VALUES) {
        return st_args_usage(err, "argument %s: %zu values, at most %d", flag, v->n_many,
                             ST_MAX_VALUES);
    }
    double *out = st_calloc(v->n_many, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    for (size_t i = 0; i < v->n_many; i++) {
        int r = st_args_parse_double(flag, v->many[i], &out[i], err);
        if (r < 0) {
            st_free(out);
            return r;
        }
    }
    *ret = out;
    *ret_n = v->n_many;
    return 0;
}

static int datum_values(const struct st_args_value *v, Stratus__MetricDatum *d,
                        struct st_error *err)
{
    unsigned kinds = v[PUT_VALUE].seen + v[PUT_STATISTIC_VALUES].seen + v[PUT_VALUES].seen;
    if (kinds == 0) {
        return st_args_required(err, "one of --value, --statistic-values or --values");
    }
    if (kinds > 1) {
        return st_args_usage(err, "--value, --statistic-values and --values exclude each other");
    }
    if (v[PUT_COUNTS].seen && !v[PUT_VALUES].seen) {
        return st_args_usage(err, "argument --counts: only with --values");
    }
    if (v[PUT_VALUE].seen) {
        d->has_value = true;
        return st_args_parse_double("--value", v[PUT_VALUE].one, &d->value, err);
    }
    if (v[PUT_STATISTIC_VALUES].seen) {
        struct st_args_stat_set s;
        int r = st_args_parse_stat_set("--statistic-values", v[PUT_STATISTIC_VALUES].one, &s, err);
        if (r < 0) {
            return r;
        }
        d->statistic_values = st_malloc(sizeof(*d->statistic_values));
        if (!d->statistic_values) {
            return st_args_oom(err);
        }
        stratus__statistic_set__init(d->statistic_values);
        Stratus__StatisticSet *ss = d->statistic_values;
        ss->has_sample_count = ss->has_sum = ss->has_minimum = ss->has_maximum = true;
        ss->sample_count = s.sample_count;
        ss->sum = s.sum;
        ss->minimum = s.minimum;
        ss->maximum = s.maximum;
        return 0;
    }
    int r = parse_numbers("--values", &v[PUT_VALUES], &d->values, &d->n_values, err);
    if (r < 0 || !v[PUT_COUNTS].seen) {
        return r;
    }
    r = parse_numbers("--counts", &v[PUT_COUNTS], &d->counts, &d->n_counts, err);
    if (r == 0 && d->n_counts != d->n_values) {
        return st_args_usage(err, "argument --counts: %zu counts for %zu values", d->n_counts,
                             d->n_values);
    }
    return r;
}

static int datum_from_flags(const struct st_args_value *v, Stratus__MetricDatum **ret,
                            struct st_error *err)
{
    Stratus__MetricDatum *d = st_malloc(sizeof(*d));
    if (!d) {
        return st_args_oom(err);
    }
    stratus__metric_datum__init(d);
    struct st_args_dims dims = {0};
    int r = st_args_dup(v[PUT_METRIC_NAME].one, &d->metric_name, err);
    if (r == 0 && v[PUT_DIMENSIONS].seen) {
        r = st_args_parse_dims("--dimensions", v[PUT_DIMENSIONS].many, v[PUT_DIMENSIONS].n_many,
                               false, ST_MAX_DIMENSIONS, &dims, err);
        if (r == 0) {
            r = dims_to_pb(&dims, &d->dimensions, &d->n_dimensions, err);
        }
    }
    if (r == 0) {
        r = datum_values(v, d, err);
    }
    if (r == 0 && v[PUT_UNIT].seen) {
        r = parse_unit(v[PUT_UNIT].one, &d->unit, err);
    }
    if (r == 0 && v[PUT_TIMESTAMP].seen) {
        d->has_timestamp_ms = true;
        r = st_args_parse_time("--timestamp", v[PUT_TIMESTAMP].one, &d->timestamp_ms, err);
    }
    if (r == 0 && v[PUT_STORAGE_RESOLUTION].seen) {
        int64_t res;
        r = st_args_parse_int("--storage-resolution", v[PUT_STORAGE_RESOLUTION].one, INT32_MIN,
                              INT32_MAX, &res, err);
        d->has_storage_resolution = true;
        d->storage_resolution = (int32_t)res;
    }
    st_args_dims_fini(&dims);
    if (r < 0) {
        st_pb_free(d);
        return r;
    }
    *ret = d;
    return 0;
}

int st_cmd_put_metric_data_request(int argc, char **argv, Stratus__PutMetricDataRequest **ret_req,
                                   struct st_error *err)
{
    struct st_args_value v[PUT__COUNT];
    int r = st_args_parse(argc, argv, put_flags, PUT__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[PUT_NAMESPACE].seen) {
        return st_args_required(err, "--namespace");
    }
    if (!v[PUT_METRIC_DATA].seen && !v[PUT_METRIC_NAME].seen) {
        return st_args_required(err, "--metric-name (or --metric-data)");
    }
    if (v[PUT_METRIC_DATA].seen) {
        for (size_t i = 0; i < PUT__COUNT; i++) {
            if (v[i].seen && i != PUT_NAMESPACE && i != PUT_METRIC_DATA) {
                return st_args_usage(err, "argument --metric-data: not allowed with %s",
                                     put_flags[i].name);
            }
        }
    }
    Stratus__PutMetricDataRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__put_metric_data_request__init(req);
    r = st_args_dup(v[PUT_NAMESPACE].one, &req->namespace_, err);
    if (r == 0 && v[PUT_METRIC_DATA].seen) {
        r = metric_data_from_arg(v[PUT_METRIC_DATA].one, req, err);
    } else if (r == 0) {
        req->metric_data = st_calloc(1, sizeof(*req->metric_data));
        r = req->metric_data ? datum_from_flags(v, &req->metric_data[0], err) : st_args_oom(err);
        req->n_metric_data = r == 0;
    }
    if (r < 0) {
        st_pb_free(req);
        return r;
    }
    *ret_req = req;
    return 0;
}

int st_cmd_put_metric_data(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    Stratus__PutMetricDataRequest *req = NULL;
    int r = st_cmd_put_metric_data_request(argc, argv, &req, err);
    if (r < 0) {
        return r;
    }
    ProtobufCMessage *resp = NULL;
    r = st_api_call(cli, "PutMetricData", &req->base,
                    &stratus__put_metric_data_response__descriptor, &resp, err);
    st_pb_free(resp);
    st_pb_free(req);
    return r;
}

/* --- get-metric-statistics --- */

enum {
    GMS_NAMESPACE,
    GMS_METRIC_NAME,
    GMS_DIMENSIONS,
    GMS_START_TIME,
    GMS_END_TIME,
    GMS_PERIOD,
    GMS_STATISTICS,
    GMS_EXTENDED_STATISTICS,
    GMS_UNIT,
    GMS__COUNT,
};

static const struct st_args_flag gms_flags[GMS__COUNT] = {
    [GMS_NAMESPACE] = {"--namespace", ST_ARGS_ONE},
    [GMS_METRIC_NAME] = {"--metric-name", ST_ARGS_ONE},
    [GMS_DIMENSIONS] = {"--dimensions", ST_ARGS_MANY},
    [GMS_START_TIME] = {"--start-time", ST_ARGS_ONE},
    [GMS_END_TIME] = {"--end-time", ST_ARGS_ONE},
    [GMS_PERIOD] = {"--period", ST_ARGS_ONE},
    [GMS_STATISTICS] = {"--statistics", ST_ARGS_MANY},
    [GMS_EXTENDED_STATISTICS] = {"--extended-statistics", ST_ARGS_MANY},
    [GMS_UNIT] = {"--unit", ST_ARGS_ONE},
};

/* Copies the words of a --statistics style flag after checking each with check. */
static int statistic_names(const char *flag, const struct st_args_value *v,
                           bool (*check)(const char *), const char *want, char ***ret,
                           size_t *ret_n, struct st_error *err)
{
    for (size_t i = 0; i < v->n_many; i++) {
        if (!check(v->many[i])) {
            return st_args_usage(err, "argument %s: invalid choice '%s' (%s)", flag, v->many[i],
                                 want);
        }
    }
    char **out = st_calloc(v->n_many, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    /* The count grows with each copy, so that a failure frees exactly the copies made. */
    *ret = out;
    for (size_t i = 0; i < v->n_many; i++) {
        out[i] = st_strdup(v->many[i]);
        if (!out[i]) {
            return st_args_oom(err);
        }
        *ret_n = i + 1;
    }
    return 0;
}

static bool is_statistic(const char *s)
{
    enum st_stat stat;
    return st_stat_parse(s, &stat) == 0;
}

static bool is_percentile(const char *s)
{
    double q;
    return st_percentile_parse(s, &q) == 0;
}

static int gms_fill(const struct st_args_value *v, Stratus__GetMetricStatisticsRequest *req,
                    struct st_error *err)
{
    int r = st_args_dup(v[GMS_NAMESPACE].one, &req->namespace_, err);
    if (r == 0) {
        r = st_args_dup(v[GMS_METRIC_NAME].one, &req->metric_name, err);
    }
    if (r == 0 && v[GMS_DIMENSIONS].seen) {
        struct st_args_dims dims = {0};
        r = st_args_parse_dims("--dimensions", v[GMS_DIMENSIONS].many, v[GMS_DIMENSIONS].n_many,
                               false, ST_MAX_DIMENSIONS, &dims, err);
        if (r == 0) {
            r = dims_to_pb(&dims, &req->dimensions, &req->n_dimensions, err);
        }
        st_args_dims_fini(&dims);
    }
    if (r == 0) {
        req->has_start_time_ms = true;
        r = st_args_parse_time("--start-time", v[GMS_START_TIME].one, &req->start_time_ms, err);
    }
    if (r == 0) {
        req->has_end_time_ms = true;
        r = st_args_parse_time("--end-time", v[GMS_END_TIME].one, &req->end_time_ms, err);
    }
    if (r == 0) {
        int64_t period;
        r = st_args_parse_int("--period", v[GMS_PERIOD].one, 1, INT32_MAX, &period, err);
        req->has_period = true;
        req->period = (int32_t)period;
    }
    if (r == 0 && v[GMS_STATISTICS].seen) {
        r = statistic_names("--statistics", &v[GMS_STATISTICS], is_statistic,
                            "choose from SampleCount, Average, Sum, Minimum, Maximum",
                            &req->statistics, &req->n_statistics, err);
    }
    if (r == 0 && v[GMS_EXTENDED_STATISTICS].seen) {
        r = statistic_names("--extended-statistics", &v[GMS_EXTENDED_STATISTICS], is_percentile,
                            "want percentiles such as p99 or p99.9", &req->extended_statistics,
                            &req->n_extended_statistics, err);
    }
    if (r == 0 && v[GMS_UNIT].seen) {
        r = parse_unit(v[GMS_UNIT].one, &req->unit, err);
    }
    return r;
}

int st_cmd_get_metric_statistics_request(int argc, char **argv,
                                         Stratus__GetMetricStatisticsRequest **ret_req,
                                         struct st_error *err)
{
    struct st_args_value v[GMS__COUNT];
    int r = st_args_parse(argc, argv, gms_flags, GMS__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    static const unsigned need[] = {GMS_NAMESPACE, GMS_METRIC_NAME, GMS_START_TIME, GMS_END_TIME,
                                    GMS_PERIOD};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!v[need[i]].seen) {
            return st_args_required(err, gms_flags[need[i]].name);
        }
    }
    /* Both at once is CloudWatch's InvalidParameterCombination: the collector says so. */
    if (!v[GMS_STATISTICS].seen && !v[GMS_EXTENDED_STATISTICS].seen) {
        return st_args_required(err, "--statistics or --extended-statistics");
    }
    Stratus__GetMetricStatisticsRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__get_metric_statistics_request__init(req);
    r = gms_fill(v, req, err);
    if (r < 0) {
        st_pb_free(req);
        return r;
    }
    *ret_req = req;
    return 0;
}

int st_cmd_get_metric_statistics(const struct st_cli *cli, int argc, char **argv,
                                 struct st_error *err)
{
    Stratus__GetMetricStatisticsRequest *req = NULL;
    int r = st_cmd_get_metric_statistics_request(argc, argv, &req, err);
    if (r < 0) {
        return r;
    }
    ProtobufCMessage *resp = NULL;
    r = st_api_call(cli, "GetMetricStatistics", &req->base,
                    &stratus__get_metric_statistics_response__descriptor, &resp, err);
    if (r == 0) {
        st_output_statistics(cli->out, (Stratus__GetMetricStatisticsResponse *)resp);
    }
    st_pb_free(resp);
    st_pb_free(req);
    return r;
}

/* --- list-metrics --- */

enum {
    LM_NAMESPACE,
    LM_METRIC_NAME,
    LM_DIMENSIONS,
    LM_RECENTLY_ACTIVE,
    LM_NEXT_TOKEN,
    LM_STARTING_TOKEN,
    LM_MAX_ITEMS,
    LM__COUNT,
};

static const struct st_args_flag lm_flags[LM__COUNT] = {
    [LM_NAMESPACE] = {"--namespace", ST_ARGS_ONE},
    [LM_METRIC_NAME] = {"--metric-name", ST_ARGS_ONE},
    [LM_DIMENSIONS] = {"--dimensions", ST_ARGS_MANY},
    [LM_RECENTLY_ACTIVE] = {"--recently-active", ST_ARGS_ONE},
    [LM_NEXT_TOKEN] = {"--next-token", ST_ARGS_ONE},
    [LM_STARTING_TOKEN] = {"--starting-token", ST_ARGS_ONE},
    [LM_MAX_ITEMS] = {"--max-items", ST_ARGS_ONE},
};

static int lm_fill(const struct st_args_value *v, Stratus__ListMetricsRequest *req,
                   struct st_error *err)
{
    int r = 0;
    if (v[LM_NAMESPACE].seen) {
        r = st_args_dup(v[LM_NAMESPACE].one, &req->namespace_, err);
    }
    if (r == 0 && v[LM_METRIC_NAME].seen) {
        r = st_args_dup(v[LM_METRIC_NAME].one, &req->metric_name, err);
    }
    if (r == 0 && v[LM_RECENTLY_ACTIVE].seen) {
        r = st_args_dup(v[LM_RECENTLY_ACTIVE].one, &req->recently_active, err);
    }
    if (r == 0 && v[LM_DIMENSIONS].seen) {
        struct st_args_dims dims = {0};
        r = st_args_parse_dims("--dimensions", v[LM_DIMENSIONS].many, v[LM_DIMENSIONS].n_many, true,
                               LIST_MAX_DIMENSION_FILTERS, &dims, err);
        if (r == 0) {
            r = filters_to_pb(&dims, &req->dimensions, &req->n_dimensions, err);
        }
        st_args_dims_fini(&dims);
    }
    return r;
}

int st_cmd_list_metrics_request(int argc, char **argv, Stratus__ListMetricsRequest **ret_req,
                                struct st_list_metrics_paging *ret_paging, struct st_error *err)
{
    struct st_args_value v[LM__COUNT];
    int r = st_args_parse(argc, argv, lm_flags, LM__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (v[LM_NEXT_TOKEN].seen && v[LM_STARTING_TOKEN].seen) {
        return st_args_usage(err, "argument --next-token: not allowed with --starting-token");
    }
    struct st_list_metrics_paging paging = {.single_page = v[LM_NEXT_TOKEN].seen};
    if (v[LM_MAX_ITEMS].seen) {
        int64_t max;
        r = st_args_parse_int("--max-items", v[LM_MAX_ITEMS].one, 1, INT64_MAX, &max, err);
        if (r < 0) {
            return r;
        }
        paging.max_items = (uint64_t)max;
    }
    Stratus__ListMetricsRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__list_metrics_request__init(req);
    r = lm_fill(v, req, err);
    if (r == 0 && v[LM_NEXT_TOKEN].seen) {
        r = st_args_dup(v[LM_NEXT_TOKEN].one, &paging.start.next_token, err);
    } else if (r == 0 && v[LM_STARTING_TOKEN].seen) {
        r = st_paging_token_decode(v[LM_STARTING_TOKEN].one, &paging.start);
        if (r < 0) {
            r = st_args_oom(err);
        }
    }
    if (r < 0) {
        st_pb_free(req);
        return r;
    }
    *ret_req = req;
    *ret_paging = paging;
    return 0;
}

/* The pages fetched so far and the metrics to print, which point into them. */
struct listing {
    Stratus__ListMetricsResponse **pages;
    size_t n_pages;
    Stratus__Metric **metrics;
    size_t n_metrics;
    char *next_token; /* to print, owned */
};

static void listing_fini(struct listing *l)
{
    for (size_t i = 0; i < l->n_pages; i++) {
        st_pb_free(l->pages[i]);
    }
    st_free(l->pages);
    st_free(l->metrics);
    st_free(l->next_token);
}

/* Takes ownership of page (freeing it on failure). */
static int add_page(struct listing *l, Stratus__ListMetricsResponse *page, struct st_error *err)
{
    Stratus__ListMetricsResponse **pages = st_realloc(l->pages, (l->n_pages + 1) * sizeof(*pages));
    if (!pages) {
        st_pb_free(page);
        return st_args_oom(err);
    }
    l->pages = pages;
    l->pages[l->n_pages++] = page;
    if (page->n_metrics == 0) {
        return 0;
    }
    Stratus__Metric **metrics =
        st_realloc(l->metrics, (l->n_metrics + page->n_metrics) * sizeof(*metrics));
    if (!metrics) {
        return st_args_oom(err);
    }
    l->metrics = metrics;
    return 0;
}

/*
 * Fetches pages from paging->start until the collector has no more, --max-items is reached,
 * or (--next-token) after one page; fills l->metrics and the token to print.
 */
static int list_pages(const struct st_cli *cli, Stratus__ListMetricsRequest *req,
                      const struct st_list_metrics_paging *paging, struct listing *l,
                      struct st_error *err)
{
    const char *page_token = paging->start.next_token;
    uint64_t skip = paging->start.skip;
    for (;;) {
        ProtobufCMessage *msg = NULL;
        /* Borrowed for the call; st_pb_free(req) must not see it. */
        req->next_token = (char *)page_token;
        int r = st_api_call(cli, "ListMetrics", &req->base,
                            &stratus__list_metrics_response__descriptor, &msg, err);
        req->next_token = NULL;
        if (r < 0) {
            return r;
        }
        Stratus__ListMetricsResponse *page = (Stratus__ListMetricsResponse *)msg;
        r = add_page(l, page, err);
        if (r < 0) {
            return r;
        }
        for (size_t i = skip; i < page->n_metrics; i++) {
            if (paging->max_items && l->n_metrics == paging->max_items) {
                /* Stopped inside the page: resume at item i of the same page. */
                r = st_paging_token_encode(page_token, i, &l->next_token);
                return r < 0 ? st_args_oom(err) : 0;
            }
            l->metrics[l->n_metrics++] = page->metrics[i];
        }
        skip = 0;
        if (!page->next_token) {
            return 0;
        }
        if (paging->max_items && l->n_metrics == paging->max_items) {
            /* On a page boundary: resume at the next page, in the aws CLI's token format. */
            r = st_paging_token_encode(page->next_token, 0, &l->next_token);
            return r < 0 ? st_args_oom(err) : 0;
        }
        if (paging->single_page) {
            /* One raw page, as `aws cloudwatch list-metrics --next-token` prints it. */
            return st_args_dup(page->next_token, &l->next_token, err);
        }
        if (page_token && strcmp(page_token, page->next_token) == 0) {
            return st_error_set(err, -EIO, "PaginationError",
                                "The same next token was received twice: %s", page_token);
        }
        page_token = page->next_token;
    }
}

int st_cmd_list_metrics(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    Stratus__ListMetricsRequest *req = NULL;
    struct st_list_metrics_paging paging;
    int r = st_cmd_list_metrics_request(argc, argv, &req, &paging, err);
    if (r < 0) {
        return r;
    }
    struct listing l = {0};
    r = list_pages(cli, req, &paging, &l, err);
    if (r == 0) {
        st_output_metrics(cli->out, l.metrics, l.n_metrics, l.next_token);
    }
    listing_fini(&l);
    st_paging_token_fini(&paging.start);
    st_pb_free(req);
    return r;
}
