/* SPDX-License-Identifier: MIT */
/*
 * StMetricQuery: one metric series to fetch (namespace, name, dimensions, statistic, period,
 * label, colour), and the asynchronous GetMetricStatistics call that turns it into two arrays
 * (timestamps ascending, values of the statistic) for a time range. The period is raised as
 * needed to stay within CloudWatch's 1440 datapoints per call. A query owns its strings.
 */
#ifndef STRATUS_VIEWER_METRIC_QUERY_H
#define STRATUS_VIEWER_METRIC_QUERY_H

#include "api_client.h"

G_BEGIN_DECLS

typedef struct {
    char *namespace_;
    char *metric_name;
    GStrv dim_names; /* NULL-terminated, same length as dim_values */
    GStrv dim_values;
    char *stat;  /* "Average", "Sum", ..., "p99" */
    int period;  /* seconds */
    char *label; /* NULL: "MetricName (Host=a)" */
    char *color; /* "#rrggbb" or NULL */
} StMetricQuery;

StMetricQuery *st_metric_query_new(const char *ns, const char *metric_name,
                                   const char *const *dim_names, const char *const *dim_values,
                                   const char *stat, int period);
void st_metric_query_free(StMetricQuery *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StMetricQuery, st_metric_query_free)
/* The label shown in legends; owned by q. */
const char *st_metric_query_label(StMetricQuery *q);
/* The period used for a range: q->period raised to keep at most 1440 points. */
int st_metric_query_period_for(const StMetricQuery *q, gint64 t0_ms, gint64 t1_ms);

/* Fetches q over [t0_ms, t1_ms). q is copied; the result is read with _fetch_finish. */
void st_metric_query_fetch_async(StApiClient *client, const StMetricQuery *q, gint64 t0_ms,
                                 gint64 t1_ms, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* ret_ts (gint64) and ret_values (double) are new arrays owned by the caller. */
gboolean st_metric_query_fetch_finish(GAsyncResult *result, GArray **ret_ts, GArray **ret_values,
                                      GError **error);

G_END_DECLS

#endif
