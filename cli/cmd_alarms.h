/* SPDX-License-Identifier: MIT */
/*
 * The alarm verbs of `stratus`, named and shaped as `aws cloudwatch ...`: put-metric-alarm,
 * put-composite-alarm, describe-alarms, describe-alarm-history, set-alarm-state,
 * delete-alarms, enable-alarm-actions and disable-alarm-actions. Each parses its flags, calls
 * the collector's native API (the describe verbs once per page, following NextToken) and
 * prints the aws-shaped JSON to cli->out. Return values as st_cli_verb_fn (cli.h).
 */
#ifndef STRATUS_CLI_CMD_ALARMS_H
#define STRATUS_CLI_CMD_ALARMS_H

#include <stdio.h>

#include "alarms.pb-c.h"
#include "cli.h"

int st_cmd_put_metric_alarm(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_put_composite_alarm(const struct st_cli *cli, int argc, char **argv,
                               struct st_error *err);
int st_cmd_describe_alarms(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_describe_alarm_history(const struct st_cli *cli, int argc, char **argv,
                                  struct st_error *err);
int st_cmd_set_alarm_state(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_delete_alarms(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_enable_alarm_actions(const struct st_cli *cli, int argc, char **argv,
                                struct st_error *err);
int st_cmd_disable_alarm_actions(const struct st_cli *cli, int argc, char **argv,
                                 struct st_error *err);

/* Builds the PutMetricAlarm request from the verb's arguments (no I/O); for the unit tests.
 * The caller owns *ret (st_pb_free). Returns 0, -EINVAL (usage) or -ENOMEM. */
int st_cmd_put_metric_alarm_request(int argc, char **argv, Stratus__PutMetricAlarmRequest **ret,
                                    struct st_error *err);

/* The aws CLI's JSON for DescribeAlarms and DescribeAlarmHistory answers. */
void st_output_alarms(FILE *f, Stratus__MetricAlarm *const *metric, size_t n_metric,
                      Stratus__CompositeAlarm *const *composite, size_t n_composite);
void st_output_alarm_history(FILE *f, Stratus__AlarmHistoryItem *const *items, size_t n);

#endif
