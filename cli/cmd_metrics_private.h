/* SPDX-License-Identifier: MIT */
/*
 * The request builders behind the metric verbs, for the unit tests: each turns a verb's
 * arguments into the native API request it sends, without any I/O but reading a
 * `--metric-data file://...`. Requests are owned by the caller (free with st_pb_free).
 * Returns 0, -EINVAL (usage, err says what) or -ENOMEM.
 */
#ifndef STRATUS_CLI_CMD_METRICS_PRIVATE_H
#define STRATUS_CLI_CMD_METRICS_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd_metrics.h"
#include "paging_token.h"
#include "stratus.pb-c.h"

int st_cmd_put_metric_data_request(int argc, char **argv, Stratus__PutMetricDataRequest **ret_req,
                                   struct st_error *err);

int st_cmd_get_metric_statistics_request(int argc, char **argv,
                                         Stratus__GetMetricStatisticsRequest **ret_req,
                                         struct st_error *err);

/* How list-metrics pages: from where, whether past the first page, and how many to print. */
struct st_list_metrics_paging {
    struct st_paging_token start; /* owned */
    bool single_page;             /* --next-token: one call, as the aws CLI does */
    uint64_t max_items;           /* 0: all */
};

/* The request has no next_token: the paging loop sets it per call. */
int st_cmd_list_metrics_request(int argc, char **argv, Stratus__ListMetricsRequest **ret_req,
                                struct st_list_metrics_paging *ret_paging, struct st_error *err);

#endif
