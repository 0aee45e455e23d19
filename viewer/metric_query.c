/* SPDX-License-Identifier: MIT */
/*
 * Metric series queries (metric_query.h). The request is a protobuf-c
 * GetMetricStatisticsRequest built on the stack around the query's strings; the reply's
 * datapoints are sorted by time and the asked statistic picked out of each.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <stdlib.h>

#include "metric_query.h"

#include "stratus.pb-c.h"

#define MAX_POINTS 1440

StMetricQuery *st_metric_query_new(const char *ns, const char *metric_name,
                                   const char *const *dim_names, const char *const *dim_values,
                                   const char *stat, int period)
{
    StMetricQuery *q = g_new0(StMetricQuery, 1);
    q->namespace_ = g_strdup(ns);
    q->metric_name = g_strdup(metric_name);
    q->dim_names = g_strdupv((char **)(dim_names ? dim_names : (const char *const[]){NULL}));
    q->dim_values = g_strdupv((char **)(dim_values ? dim_values : (const char *const[]){NULL}));
    q->stat = g_strdup(stat ? stat : "Average");
    q->period = period > 0 ? period : 60;
    return q;
}

void st_metric_query_free(StMetricQuery *q)
{
    if (!q) {
        return;
    }
    g_free(q->namespace_);
    g_free(q->metric_name);
    g_strfreev(q->dim_names);
    g_strfreev(q->dim_values);
    g_free(q->stat);
    g_free(q->label);
    g_free(q->color);
    g_free(q);
}

static StMetricQuery *copy(const StMetricQuery *q)
{
    StMetricQuery *c =
        st_metric_query_new(q->namespace_, q->metric_name, (const char *const *)q->dim_names,
                            (const char *const *)q->dim_values, q->stat, q->period);
    c->label = g_strdup(q->label);
    c->color = g_strdup(q->color);
    return c;
}

const char *st_metric_query_label(StMetricQuery *q)
{
    if (!q->label) {
        GString *s = g_string_new(q->metric_name);
        guint n = g_strv_length(q->dim_names);
        for (guint i = 0; i < n; i++) {
            g_string_append_printf(s, "%s%s=%s", i == 0 ? " (" : ", ", q->dim_names[i],
                                   q->dim_values[i]);
        }
        if (n) {
            g_string_append_c(s, ')');
        }
        q->label = g_string_free(s, FALSE);
    }
    return q->label;
}

int st_metric_query_period_for(const StMetricQuery *q, gint64 t0_ms, gint64 t1_ms)
{
    gint64 span_s = MAX(1, (t1_ms - t0_ms) / 1000);
    gint64 need = (span_s + MAX_POINTS - 1) / MAX_POINTS;
    gint64 p = MAX(q->period, need);
    if (p <= 60) {
        static const int small[] = {1, 5, 10, 30, 60};
        for (gsize i = 0; i < G_N_ELEMENTS(small); i++) {
            if (small[i] >= p) {
                return small[i];
            }
        }
    }
    return (int)((p + 59) / 60 * 60);
}

static gboolean is_extended(const char *stat)
{
    return stat[0] == 'p' && g_ascii_isdigit(stat[1]);
}

static double pick(const Stratus__Datapoint *d, const char *stat)
{
    if (is_extended(stat)) {
        for (size_t i = 0; i < d->n_extended_statistics; i++) {
            if (g_strcmp0(d->extended_statistics[i]->name, stat) == 0) {
                return d->extended_statistics[i]->value;
            }
        }
        return 0;
    }
    if (g_str_equal(stat, "Sum")) {
        return d->sum;
    }
    if (g_str_equal(stat, "Minimum")) {
        return d->minimum;
    }
    if (g_str_equal(stat, "Maximum")) {
        return d->maximum;
    }
    if (g_str_equal(stat, "SampleCount")) {
        return d->sample_count;
    }
    return d->average;
}

static int by_time(const void *a, const void *b)
{
    const Stratus__Datapoint *x = *(Stratus__Datapoint *const *)a,
                             *y = *(Stratus__Datapoint *const *)b;
    return x->timestamp_ms < y->timestamp_ms ? -1 : x->timestamp_ms > y->timestamp_ms;
}

static void on_stats(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GTask) task = data;
    const StMetricQuery *q = g_task_get_task_data(task);
    GError *error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (!msg) {
        g_task_return_error(task, error);
        return;
    }
    Stratus__GetMetricStatisticsResponse *resp = (Stratus__GetMetricStatisticsResponse *)msg;
    qsort(resp->datapoints, resp->n_datapoints, sizeof(*resp->datapoints), by_time);
    GArray *ts = g_array_sized_new(FALSE, FALSE, sizeof(gint64), (guint)resp->n_datapoints);
    GArray *vs = g_array_sized_new(FALSE, FALSE, sizeof(double), (guint)resp->n_datapoints);
    for (size_t i = 0; i < resp->n_datapoints; i++) {
        gint64 t = resp->datapoints[i]->timestamp_ms;
        double v = pick(resp->datapoints[i], q->stat);
        g_array_append_val(ts, t);
        g_array_append_val(vs, v);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    GArray **pair = g_new(GArray *, 2);
    pair[0] = ts;
    pair[1] = vs;
    g_task_return_pointer(task, pair, NULL);
}

void st_metric_query_fetch_async(StApiClient *client, const StMetricQuery *q, gint64 t0_ms,
                                 gint64 t1_ms, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(ST_IS_API_CLIENT(client) && q != NULL);
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    StMetricQuery *c = copy(q);
    g_task_set_task_data(task, c, (GDestroyNotify)st_metric_query_free);
    guint n = g_strv_length(c->dim_names);
    Stratus__Dimension *dims = g_new0(Stratus__Dimension, MAX(n, 1));
    Stratus__Dimension **dim_ptrs = g_new0(Stratus__Dimension *, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        stratus__dimension__init(&dims[i]);
        dims[i].name = c->dim_names[i];
        dims[i].value = c->dim_values[i];
        dim_ptrs[i] = &dims[i];
    }
    Stratus__GetMetricStatisticsRequest req = STRATUS__GET_METRIC_STATISTICS_REQUEST__INIT;
    req.namespace_ = c->namespace_;
    req.metric_name = c->metric_name;
    req.dimensions = dim_ptrs;
    req.n_dimensions = n;
    req.has_start_time_ms = req.has_end_time_ms = req.has_period = TRUE;
    req.period = st_metric_query_period_for(c, t0_ms, t1_ms);
    req.start_time_ms = t0_ms / 1000 / req.period * req.period * 1000;
    /* Aligning the start down adds a period to the span: a range of exactly 1440 periods (a
     * day at 60 s) would ask for 1441 datapoints, which the collector refuses. Drop the oldest
     * partial period instead. */
    gint64 period_ms = (gint64)req.period * 1000;
    gint64 n_points = (t1_ms - req.start_time_ms + period_ms - 1) / period_ms;
    if (n_points > MAX_POINTS) {
        req.start_time_ms += (n_points - MAX_POINTS) * period_ms;
    }
    req.end_time_ms = t1_ms;
    char *stat = c->stat;
    if (is_extended(stat)) {
        req.extended_statistics = &stat;
        req.n_extended_statistics = 1;
    } else {
        req.statistics = &stat;
        req.n_statistics = 1;
    }
    st_api_client_call_async(client, "GetMetricStatistics", &req.base,
                             &stratus__get_metric_statistics_response__descriptor, cancellable,
                             on_stats, task);
    g_free(dims);
    g_free(dim_ptrs);
}

gboolean st_metric_query_fetch_finish(GAsyncResult *result, GArray **ret_ts, GArray **ret_values,
                                      GError **error)
{
    GArray **pair = g_task_propagate_pointer(G_TASK(result), error);
    if (!pair) {
        return FALSE;
    }
    *ret_ts = pair[0];
    *ret_values = pair[1];
    g_free(pair);
    return TRUE;
}
