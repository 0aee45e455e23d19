/* SPDX-License-Identifier: MIT */
/*
 * Alarm-driven autoscaling, with EC2 Auto Scaling's semantics on a group of local workers:
 * scaling groups (min, max, desired capacity and an apply hook, an exec: action that receives
 * each new desired capacity), scaling policies (simple, step, target tracking) that alarms
 * name in their actions by ARN, and the scaling activities they record. Groups, policies and
 * activities persist in alarms.db (through the alarms' worker). Loop thread only.
 *
 * A policy runs when its alarm enters a state whose action list names it and again at every
 * evaluation while the alarm stays there (CloudWatch's rule for Auto Scaling actions); the
 * cooldown (simple), the instance warm-up (step, target tracking) and the step bounds decide
 * whether the capacity changes. Capacities are clamped to [min, max]. The apply hook of a
 * group runs one at a time; a change made while it runs is applied when it ends.
 */
#ifndef STRATUS_COLLECTOR_SCALING_H
#define STRATUS_COLLECTOR_SCALING_H

#include <stdbool.h>
#include <stdint.h>

#include "autoscaling.pb-c.h"
#include "stratus/error.h"

struct st_alarms;
struct st_alarm;
struct st_call;
struct st_collector;
struct st_scaling;

/* Loads the groups, policies and recent activities (startup, loop thread). */
int st_scaling_new(struct st_alarms *a, struct st_scaling **ret, struct st_error *err);
void st_scaling_free(struct st_scaling *s);

/* What the evaluation that invokes a policy saw: the datapoints it evaluated (the newest N
 * real ones of the range, at most N) aggregated three ways, and the newest of them. n == 0
 * when there were none (SetAlarmState, composite alarms, only missing data). */
struct st_scaling_values {
    unsigned n;
    double newest, average, minimum, maximum;
};

/* Adds one evaluated datapoint, newest first (the first one added is `newest`). */
void st_scaling_values_add(struct st_scaling_values *v, double x);

/* The value a step policy compares with the alarm's threshold: v aggregated by the policy's
 * MetricAggregationType ("Average", the default when NULL, "Minimum" or "Maximum"). Returns
 * false when v holds no datapoint. */
bool st_scaling_step_value(const char *aggregation, const struct st_scaling_values *v,
                           double *ret_value);

/* Runs the policy named by arn for alarm al (now in its current state) with what its
 * evaluation saw (v, borrowed). Records an Action history item when the policy does not
 * exist. */
void st_scaling_invoke(struct st_scaling *s, const char *arn, const struct st_alarm *al,
                       const struct st_scaling_values *v);

/* The operations (op.h). */
void st_op_put_scaling_group(struct st_collector *c, struct st_call *call);
void st_op_describe_scaling_groups(struct st_collector *c, struct st_call *call);
void st_op_put_scaling_policy(struct st_collector *c, struct st_call *call);
void st_op_describe_policies(struct st_collector *c, struct st_call *call);
void st_op_describe_scaling_activities(struct st_collector *c, struct st_call *call);
void st_op_set_desired_capacity(struct st_collector *c, struct st_call *call);
/* The EC2 Auto Scaling group verbs on the same groups (docs/aws-api.md). */
void st_op_create_auto_scaling_group(struct st_collector *c, struct st_call *call);
void st_op_update_auto_scaling_group(struct st_collector *c, struct st_call *call);
void st_op_delete_auto_scaling_group(struct st_collector *c, struct st_call *call);
void st_op_describe_auto_scaling_groups(struct st_collector *c, struct st_call *call);
void st_op_delete_policy(struct st_collector *c, struct st_call *call);
void st_op_execute_policy(struct st_collector *c, struct st_call *call);

/* What a capacity change computes to, for the unit test: the adjustment applied to current
 * with EC2's rounding for PercentChangeInCapacity and MinAdjustmentMagnitude, before
 * clamping. adjustment_type is ChangeInCapacity, ExactCapacity or PercentChangeInCapacity. */
int st_scaling_adjust(const char *adjustment_type, int current, int adjustment,
                      int min_adjustment_magnitude);
/* Clamps to [min, max]. */
int st_scaling_clamp(int v, int min, int max);

#endif
