/* SPDX-License-Identifier: MIT */
/*
 * The metric verbs of `stratus`, named and shaped as `aws cloudwatch ...`: put-metric-data,
 * get-metric-statistics and list-metrics. Each parses its own flags, calls the collector's
 * native API once (list-metrics once per page) and prints the aws-shaped JSON result to
 * cli->out. Return values as st_cli_verb_fn (cli.h).
 */
#ifndef STRATUS_CLI_CMD_METRICS_H
#define STRATUS_CLI_CMD_METRICS_H

#include "cli.h"

int st_cmd_put_metric_data(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_get_metric_statistics(const struct st_cli *cli, int argc, char **argv,
                                 struct st_error *err);
int st_cmd_list_metrics(const struct st_cli *cli, int argc, char **argv, struct st_error *err);

#endif
