/* SPDX-License-Identifier: MIT */
/*
 * The dashboard verbs of `stratus`, named and shaped as `aws cloudwatch ...`: put-dashboard,
 * get-dashboard, list-dashboards (every page) and delete-dashboards. Each calls the native API
 * and prints the aws-shaped JSON to cli->out. Return values as st_cli_verb_fn (cli.h).
 */
#ifndef STRATUS_CLI_CMD_DASHBOARDS_H
#define STRATUS_CLI_CMD_DASHBOARDS_H

#include "cli.h"

int st_cmd_put_dashboard(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_get_dashboard(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_list_dashboards(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_delete_dashboards(const struct st_cli *cli, int argc, char **argv, struct st_error *err);

#endif
