/* SPDX-License-Identifier: MIT */
/*
 * StMetricsPage: the metric browser, as in the CloudWatch console. ListMetrics (every page)
 * fills a namespace list; choosing a namespace lists its metrics with their dimension sets;
 * the search box filters across namespaces, metric names and dimensions; a row's "+" adds
 * that series to the chart above (last 3 hours; drag to zoom).
 */
#ifndef STRATUS_VIEWER_METRICS_PAGE_H
#define STRATUS_VIEWER_METRICS_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_METRICS_PAGE (st_metrics_page_get_type())
G_DECLARE_FINAL_TYPE(StMetricsPage, st_metrics_page, ST, METRICS_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_metrics_page_set_client(StMetricsPage *self, StApiClient *client);
/* Lists the metrics again. */
void st_metrics_page_reload(StMetricsPage *self);
/* Selects namespace ns and charts its first n metrics (used by the screenshot test). */
void st_metrics_page_chart_namespace(StMetricsPage *self, const char *ns, guint n);

G_END_DECLS

#endif
