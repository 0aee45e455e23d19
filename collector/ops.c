/* SPDX-License-Identifier: MIT */
/*
 * The operation table and the calls that carry operations (op.h): every API operation the
 * collector serves is one line of `ops`, whatever protocol asks for it. Calls are pooled with
 * their arenas so that the ingest path does not allocate per request. Loop thread only.
 */
#include <string.h>

#include "collector_private.h"
#include "dashboards.pb-c.h"
#include "metric_data.pb-c.h"
#include "op.h"
#include "stratus/alloc.h"

#define MAX_FREE_CALLS 64

static const struct st_op ops[] = {
    {"PutMetricData", &stratus__put_metric_data_request__descriptor,
     &stratus__put_metric_data_response__descriptor, st_op_put_metric_data, true},
    {"GetMetricStatistics", &stratus__get_metric_statistics_request__descriptor,
     &stratus__get_metric_statistics_response__descriptor, st_op_get_metric_statistics, false},
    {"ListMetrics", &stratus__list_metrics_request__descriptor,
     &stratus__list_metrics_response__descriptor, st_op_list_metrics, false},
    {"GetMetricData", &stratus__get_metric_data_request__descriptor,
     &stratus__get_metric_data_response__descriptor, st_op_get_metric_data, false},
    {"PutDashboard", &stratus__put_dashboard_request__descriptor,
     &stratus__put_dashboard_response__descriptor, st_op_put_dashboard, true},
    {"GetDashboard", &stratus__get_dashboard_request__descriptor,
     &stratus__get_dashboard_response__descriptor, st_op_get_dashboard, false},
    {"ListDashboards", &stratus__list_dashboards_request__descriptor,
     &stratus__list_dashboards_response__descriptor, st_op_list_dashboards, false},
    {"DeleteDashboards", &stratus__delete_dashboards_request__descriptor,
     &stratus__delete_dashboards_response__descriptor, st_op_delete_dashboards, false},
    {"PutMetricAlarm", &stratus__put_metric_alarm_request__descriptor,
     &stratus__put_metric_alarm_response__descriptor, st_op_put_metric_alarm, false},
    {"PutCompositeAlarm", &stratus__put_composite_alarm_request__descriptor,
     &stratus__put_composite_alarm_response__descriptor, st_op_put_composite_alarm, false},
    {"DescribeAlarms", &stratus__describe_alarms_request__descriptor,
     &stratus__describe_alarms_response__descriptor, st_op_describe_alarms, false},
    {"DescribeAlarmHistory", &stratus__describe_alarm_history_request__descriptor,
     &stratus__describe_alarm_history_response__descriptor, st_op_describe_alarm_history, false},
    {"SetAlarmState", &stratus__set_alarm_state_request__descriptor,
     &stratus__set_alarm_state_response__descriptor, st_op_set_alarm_state, false},
    {"DeleteAlarms", &stratus__delete_alarms_request__descriptor,
     &stratus__delete_alarms_response__descriptor, st_op_delete_alarms, false},
    {"EnableAlarmActions", &stratus__enable_alarm_actions_request__descriptor,
     &stratus__enable_alarm_actions_response__descriptor, st_op_enable_alarm_actions, false},
    {"DisableAlarmActions", &stratus__disable_alarm_actions_request__descriptor,
     &stratus__disable_alarm_actions_response__descriptor, st_op_disable_alarm_actions, false},
    {"PutTraceSegments", &stratus__put_trace_segments_request__descriptor,
     &stratus__put_trace_segments_response__descriptor, st_op_put_trace_segments, true},
    {"GetServiceGraph", &stratus__get_service_graph_request__descriptor,
     &stratus__get_service_graph_response__descriptor, st_op_get_service_graph, false},
    {"GetTraceSummaries", &stratus__get_trace_summaries_request__descriptor,
     &stratus__get_trace_summaries_response__descriptor, st_op_get_trace_summaries, false},
    {"BatchGetTraces", &stratus__batch_get_traces_request__descriptor,
     &stratus__batch_get_traces_response__descriptor, st_op_batch_get_traces, false},
    {"PutScalingGroup", &stratus__put_scaling_group_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_put_scaling_group, false},
    {"DescribeScalingGroups", &stratus__describe_scaling_groups_request__descriptor,
     &stratus__describe_scaling_groups_response__descriptor, st_op_describe_scaling_groups, false},
    {"PutScalingPolicy", &stratus__put_scaling_policy_request__descriptor,
     &stratus__put_scaling_policy_response__descriptor, st_op_put_scaling_policy, false},
    {"DescribePolicies", &stratus__describe_policies_request__descriptor,
     &stratus__describe_policies_response__descriptor, st_op_describe_policies, false},
    {"DescribeScalingActivities", &stratus__describe_scaling_activities_request__descriptor,
     &stratus__describe_scaling_activities_response__descriptor, st_op_describe_scaling_activities,
     false},
    {"SetDesiredCapacity", &stratus__set_desired_capacity_request__descriptor,
     &stratus__set_desired_capacity_response__descriptor, st_op_set_desired_capacity, false},
    {"CreateAutoScalingGroup", &stratus__create_auto_scaling_group_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_create_auto_scaling_group, false},
    {"UpdateAutoScalingGroup", &stratus__update_auto_scaling_group_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_update_auto_scaling_group, false},
    {"DeleteAutoScalingGroup", &stratus__delete_auto_scaling_group_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_delete_auto_scaling_group, false},
    {"DescribeAutoScalingGroups", &stratus__describe_auto_scaling_groups_request__descriptor,
     &stratus__describe_auto_scaling_groups_response__descriptor,
     st_op_describe_auto_scaling_groups, false},
    {"DeletePolicy", &stratus__delete_policy_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_delete_policy, false},
    {"ExecutePolicy", &stratus__execute_policy_request__descriptor,
     &stratus__put_scaling_group_response__descriptor, st_op_execute_policy, false},
};

#define N_OPS (sizeof(ops) / sizeof(ops[0]))

const struct st_op *st_op_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPS; i++) {
        if (strlen(ops[i].name) == len && memcmp(ops[i].name, name, len) == 0) {
            return &ops[i];
        }
    }
    return NULL;
}

const struct st_op *st_op_all(size_t *ret_n)
{
    *ret_n = N_OPS;
    return ops;
}

struct st_call *st_call_new(struct st_collector *c)
{
    struct st_call *call = c->free_calls;
    if (call) {
        c->free_calls = call->next_free;
        c->n_free_calls--;
    } else {
        call = st_calloc(1, sizeof(*call));
        if (!call) {
            return NULL;
        }
        st_arena_init(&call->arena, 256 * 1024, 16u * 1024 * 1024);
    }
    struct st_arena arena = call->arena;
    memset(call, 0, sizeof(*call));
    call->arena = arena;
    call->c = c;
    return call;
}

void st_call_release(struct st_call *call)
{
    struct st_collector *c = call->c;
    st_arena_reset(&call->arena);
    if (c->n_free_calls >= MAX_FREE_CALLS) {
        st_arena_fini(&call->arena);
        st_free(call);
        return;
    }
    call->next_free = c->free_calls;
    c->free_calls = call;
    c->n_free_calls++;
}

void st_call_pool_free(struct st_collector *c)
{
    while (c->free_calls) {
        struct st_call *call = c->free_calls;
        c->free_calls = call->next_free;
        st_arena_fini(&call->arena);
        st_free(call);
    }
    c->n_free_calls = 0;
}

void st_call_reply(struct st_call *call, const ProtobufCMessage *resp)
{
    call->fe->reply(call, resp, NULL, 0);
}

void st_call_reply_packed(struct st_call *call, const uint8_t *packed, size_t len)
{
    call->fe->reply(call, NULL, packed, len);
}

void st_call_fail(struct st_call *call, const struct st_error *err)
{
    call->fe->fail(call, st_error_status(err->code), err->code, err->message);
}

void st_call_fail_status(struct st_call *call, int http_status, const char *code,
                         const char *message)
{
    call->fe->fail(call, http_status, code, message);
}

int st_error_status(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        {ST_ERR_INVALID_PARAMETER_VALUE, 400},
        {ST_ERR_MISSING_PARAMETER, 400},
        {ST_ERR_INVALID_PARAMETER_COMBINATION, 400},
        {ST_ERR_LIMIT_EXCEEDED, 400},
        {ST_ERR_INVALID_NEXT_TOKEN, 400},
        {"MalformedInput", 400},
        {"InvalidFormat", 400},
        {"ValidationException", 400},
        {"InvalidRequestException", 400},
        {"InvalidAction", 400},
        {"InvalidParameterInput", 400},
        {ST_ERR_RESOURCE_NOT_FOUND, 404},
        {"ResourceNotFoundException", 404},
        {"ServiceUnavailable", 503},
        {"ThrottlingException", 400},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(code, map[i].code) == 0) {
            return map[i].status;
        }
    }
    return 500;
}
