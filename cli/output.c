/* SPDX-License-Identifier: MIT */
/*
 * aws-shaped output of the metric verbs (see output.h). Member order follows the CloudWatch API
 * model, which is the order botocore builds its dicts in and so the order the aws CLI prints:
 * Datapoint is Timestamp, SampleCount, Average, Sum, Minimum, Maximum, Unit, ExtendedStatistics.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "json_writer.h"
#include "output.h"

void st_output_format_time(int64_t ms, char *buf, size_t len)
{
    /* Floor division, so that times before 1970 keep a positive fraction. */
    int64_t secs = ms / 1000 - (ms % 1000 < 0);
    int64_t frac_ms = ms - secs * 1000;
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "%" PRId64, ms);
        return;
    }
    char date[80];
    snprintf(date, sizeof(date), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac_ms) {
        snprintf(buf, len, "%s.%06" PRId64 "+00:00", date, frac_ms * 1000);
    } else {
        snprintf(buf, len, "%s+00:00", date);
    }
}

static int by_time(const void *a, const void *b)
{
    const Stratus__Datapoint *x = *(Stratus__Datapoint *const *)a;
    const Stratus__Datapoint *y = *(Stratus__Datapoint *const *)b;
    int64_t tx = x->has_timestamp_ms ? x->timestamp_ms : INT64_MIN;
    int64_t ty = y->has_timestamp_ms ? y->timestamp_ms : INT64_MIN;
    return (tx > ty) - (tx < ty);
}

static void number(struct st_json_writer *w, const char *key, bool has, double v)
{
    if (has) {
        st_json_key(w, key);
        st_json_double(w, v);
    }
}

static void datapoint(struct st_json_writer *w, const Stratus__Datapoint *d)
{
    st_json_begin_object(w);
    if (d->has_timestamp_ms) {
        char ts[40];
        st_output_format_time(d->timestamp_ms, ts, sizeof(ts));
        st_json_key(w, "Timestamp");
        st_json_string(w, ts);
    }
    number(w, "SampleCount", d->has_sample_count, d->sample_count);
    number(w, "Average", d->has_average, d->average);
    number(w, "Sum", d->has_sum, d->sum);
    number(w, "Minimum", d->has_minimum, d->minimum);
    number(w, "Maximum", d->has_maximum, d->maximum);
    if (d->unit) {
        st_json_key(w, "Unit");
        st_json_string(w, d->unit);
    }
    if (d->n_extended_statistics > 0) {
        st_json_key(w, "ExtendedStatistics");
        st_json_begin_object(w);
        for (size_t i = 0; i < d->n_extended_statistics; i++) {
            const Stratus__ExtendedStatistic *e = d->extended_statistics[i];
            number(w, e->name ? e->name : "", e->has_value, e->value);
        }
        st_json_end_object(w);
    }
    st_json_end_object(w);
}

void st_output_statistics(FILE *f, Stratus__GetMetricStatisticsResponse *resp)
{
    if (resp->n_datapoints > 1) {
        qsort(resp->datapoints, resp->n_datapoints, sizeof(*resp->datapoints), by_time);
    }
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    if (resp->label) {
        st_json_key(&w, "Label");
        st_json_string(&w, resp->label);
    }
    st_json_key(&w, "Datapoints");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_datapoints; i++) {
        datapoint(&w, resp->datapoints[i]);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
}

static void metric(struct st_json_writer *w, const Stratus__Metric *m)
{
    st_json_begin_object(w);
    if (m->namespace_) {
        st_json_key(w, "Namespace");
        st_json_string(w, m->namespace_);
    }
    if (m->metric_name) {
        st_json_key(w, "MetricName");
        st_json_string(w, m->metric_name);
    }
    /* CloudWatch always sends the list, empty for a metric without dimensions. */
    st_json_key(w, "Dimensions");
    st_json_begin_array(w);
    for (size_t i = 0; i < m->n_dimensions; i++) {
        const Stratus__Dimension *d = m->dimensions[i];
        st_json_begin_object(w);
        if (d->name) {
            st_json_key(w, "Name");
            st_json_string(w, d->name);
        }
        if (d->value) {
            st_json_key(w, "Value");
            st_json_string(w, d->value);
        }
        st_json_end_object(w);
    }
    st_json_end_array(w);
    st_json_end_object(w);
}

void st_output_metrics(FILE *f, Stratus__Metric *const *metrics, size_t n, const char *next_token)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "Metrics");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        metric(&w, metrics[i]);
    }
    st_json_end_array(&w);
    if (next_token) {
        st_json_key(&w, "NextToken");
        st_json_string(&w, next_token);
    }
    st_json_end_object(&w);
    st_json_end(&w);
}
