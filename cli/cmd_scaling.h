/* SPDX-License-Identifier: MIT */
/*
 * The autoscaling verbs of `stratus`, shaped as `aws autoscaling ...`: put-scaling-group,
 * describe-scaling-groups, put-scaling-policy, describe-policies, describe-scaling-activities
 * and set-desired-capacity. Return values as st_cli_verb_fn (cli.h).
 */
#ifndef STRATUS_CLI_CMD_SCALING_H
#define STRATUS_CLI_CMD_SCALING_H

#include "autoscaling.pb-c.h"
#include "cli.h"

int st_cmd_put_scaling_group(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_describe_scaling_groups(const struct st_cli *cli, int argc, char **argv,
                                   struct st_error *err);
int st_cmd_put_scaling_policy(const struct st_cli *cli, int argc, char **argv,
                              struct st_error *err);
int st_cmd_describe_policies(const struct st_cli *cli, int argc, char **argv, struct st_error *err);
int st_cmd_describe_scaling_activities(const struct st_cli *cli, int argc, char **argv,
                                       struct st_error *err);
int st_cmd_set_desired_capacity(const struct st_cli *cli, int argc, char **argv,
                                struct st_error *err);

/* Parses one --step-adjustments word, the aws shorthand
 * "MetricIntervalLowerBound=0,MetricIntervalUpperBound=10,ScalingAdjustment=1" (bounds
 * optional), into *ret. Returns 0 or -EINVAL (usage). */
int st_cmd_parse_step_adjustment(const char *s, Stratus__StepAdjustment *ret, struct st_error *err);

#endif
