/* SPDX-License-Identifier: MIT */
/*
 * The trace verbs of `stratus`, named and shaped as `aws xray ...`: put-trace-segments,
 * get-service-graph, get-trace-summaries and batch-get-traces. Each parses its own flags,
 * calls the collector's native API and prints the aws-shaped JSON result to cli->out. Return
 * values as st_cli_verb_fn (cli.h).
 */
#ifndef STRATUS_CLI_CMD_TRACES_H
#define STRATUS_CLI_CMD_TRACES_H

#include "cli.h"

int st_cmd_put_trace_segments(const struct st_cli *cli, int argc, char **argv,
                              struct st_error *err);
int st_cmd_get_service_graph(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_get_trace_summaries(const struct st_cli *cli, int argc, char **argv,
                               struct st_error *err);
int st_cmd_batch_get_traces(const struct st_cli *cli, int argc, char **argv, struct st_error *err);

#endif
