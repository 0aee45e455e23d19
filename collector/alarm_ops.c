/* SPDX-License-Identifier: MIT */
/*
 * The alarm operations (op.h) on decoded request messages: PutMetricAlarm, PutCompositeAlarm,
 * DescribeAlarms, DescribeAlarmHistory, SetAlarmState, DeleteAlarms, EnableAlarmActions and
 * DisableAlarmActions, validated as CloudWatch validates them (codes InvalidParameterValue,
 * MissingParameter, ResourceNotFound, LimitExceeded). Writes and history reads go through the
 * alarm_db worker (alarms.c), and the call is answered from its loop-thread callback.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/arena.h"
#include "stratus/metric.h"
#include "stratus/time_util.h"

#define MAX_ACTIONS            5 /* per state, as CloudWatch */
#define MAX_ACTION_LEN         1024
#define MAX_DESCRIPTION_LEN    1024
#define MAX_DESCRIBE_NAMES     100
#define MAX_RECORDS            100
#define DEFAULT_ALARM_RECORDS  50
#define DEFAULT_HISTORY_RECORD 100
#define MAX_REASON_LEN         1023
#define MAX_REASON_DATA_LEN    4000

#define invalid(err, ...) st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, __VA_ARGS__)

static int missing(struct st_error *err, const char *param)
{
    return st_error_set(err, -EINVAL, ST_ERR_MISSING_PARAMETER, "The parameter %s is required.",
                        param);
}

static int check_name(const char *name, const char *param, struct st_error *err)
{
    if (!name) {
        return missing(err, param);
    }
    size_t len = strlen(name);
    if (len == 0 || len > ST_ALARM_NAME_MAX) {
        return invalid(err, "The parameter %s must be 1 to 255 characters long.", param);
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return invalid(err, "The parameter %s must not contain control characters.", param);
        }
    }
    return 0;
}

static int check_actions(char **actions, size_t n, const char *param, struct st_error *err)
{
    if (n > MAX_ACTIONS) {
        return st_error_set(err, -EINVAL, ST_ERR_LIMIT_EXCEEDED,
                            "The collection %s must not have more than %d members.", param,
                            MAX_ACTIONS);
    }
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "%s.member.%zu", param, i + 1);
        if (!actions[i] || strlen(actions[i]) == 0 || strlen(actions[i]) > MAX_ACTION_LEN) {
            return invalid(err, "The parameter %s must be 1 to 1024 characters long.", where);
        }
        int r = st_action_validate(actions[i], where, err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static int check_description(const char *d, struct st_error *err)
{
    if (d && strlen(d) > MAX_DESCRIPTION_LEN) {
        return invalid(err, "The parameter %s must be at most 1024 characters long.",
                       "AlarmDescription");
    }
    return 0;
}

int st_alarm_parse_metric(const Stratus__PutMetricAlarmRequest *req, struct st_alarm *al,
                          struct st_error *err)
{
    int r;
    if ((r = check_name(req->alarm_name, "AlarmName", err)) < 0 ||
        (r = check_description(req->alarm_description, err)) < 0) {
        return r;
    }
    if (!req->metric_name) {
        return missing(err, "MetricName");
    }
    if (!req->namespace_) {
        return missing(err, "Namespace");
    }
    if (req->statistic && req->extended_statistic) {
        return invalid(err, "%s: Statistic and ExtendedStatistic cannot both be specified.",
                       "Statistic");
    }
    if (!req->statistic && !req->extended_statistic) {
        return st_error_set(err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                            "Either Statistic or ExtendedStatistic must be specified.");
    }
    al->stat = 0;
    al->quantile = 0;
    if (req->statistic) {
        enum st_stat stat;
        if (st_stat_parse(req->statistic, &stat) < 0) {
            return invalid(err,
                           "The parameter Statistic must be one of SampleCount, Average, Sum, "
                           "Minimum, Maximum, not '%s'.",
                           req->statistic);
        }
        al->stat = (unsigned)stat;
    } else if (st_percentile_parse(req->extended_statistic, &al->quantile) < 0) {
        return invalid(err,
                       "The parameter ExtendedStatistic must be a percentile p0.0 to "
                       "p100, not '%s'.",
                       req->extended_statistic);
    }
    if (req->unit) {
        enum st_unit unit;
        if (st_unit_parse(req->unit, &unit) < 0) {
            return invalid(err, "The parameter Unit must be a CloudWatch unit, not '%s'.",
                           req->unit);
        }
    }
    if (!req->has_period) {
        return missing(err, "Period");
    }
    if (!(req->period == 10 || req->period == 30 || (req->period >= 60 && req->period % 60 == 0))) {
        return invalid(err, "%s must be 10, 30 or a multiple of 60.", "Period");
    }
    if (!req->has_evaluation_periods) {
        return missing(err, "EvaluationPeriods");
    }
    if (req->evaluation_periods < 1) {
        return invalid(err, "The parameter %s must be at least 1.", "EvaluationPeriods");
    }
    if ((int64_t)req->evaluation_periods * req->period > 86400) {
        return invalid(err,
                       "%s: the product of EvaluationPeriods and Period must not exceed "
                       "86400 seconds (1 day).",
                       "EvaluationPeriods");
    }
    int32_t m = req->has_datapoints_to_alarm ? req->datapoints_to_alarm : req->evaluation_periods;
    if (m < 1 || m > req->evaluation_periods) {
        return invalid(err, "The parameter %s must be between 1 and EvaluationPeriods.",
                       "DatapointsToAlarm");
    }
    if (!req->has_threshold) {
        return missing(err, "Threshold");
    }
    if (!(req->threshold == req->threshold) || req->threshold > 1e300 || req->threshold < -1e300) {
        return invalid(err, "The parameter %s must be a finite number.", "Threshold");
    }
    if (!req->comparison_operator) {
        return missing(err, "ComparisonOperator");
    }
    if (st_alarm_cmp_parse(req->comparison_operator, &al->cmp) < 0) {
        return invalid(err,
                       "The parameter ComparisonOperator must be one of "
                       "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, "
                       "LessThanOrEqualToThreshold, not '%s'.",
                       req->comparison_operator);
    }
    al->missing = ST_ALARM_MISSING_MISSING;
    if (req->treat_missing_data &&
        st_alarm_missing_parse(req->treat_missing_data, &al->missing) < 0) {
        return invalid(err,
                       "The parameter TreatMissingData must be one of breaching, notBreaching, "
                       "ignore, missing, not '%s'.",
                       req->treat_missing_data);
    }
    al->low_sample_ignore = false;
    const char *e = req->evaluate_low_sample_count_percentile;
    if (e && strcmp(e, "evaluate") != 0 && strcmp(e, "ignore") != 0) {
        return invalid(err,
                       "The parameter EvaluateLowSampleCountPercentile must be evaluate or "
                       "ignore, not '%s'.",
                       e);
    }
    al->low_sample_ignore = e && strcmp(e, "ignore") == 0;
    /* Namespace, metric name and dimensions as GetMetricStatistics checks them. */
    Stratus__GetMetricStatisticsRequest g = STRATUS__GET_METRIC_STATISTICS_REQUEST__INIT;
    char *avg = "Average";
    int64_t now = st_wall_ms();
    g.namespace_ = req->namespace_;
    g.metric_name = req->metric_name;
    g.dimensions = req->dimensions;
    g.n_dimensions = req->n_dimensions;
    g.has_start_time_ms = g.has_end_time_ms = g.has_period = true;
    g.start_time_ms = now - 3600000;
    g.end_time_ms = now;
    g.period = 60;
    g.statistics = &avg;
    g.n_statistics = 1;
    struct st_stats_query q;
    if ((r = st_validate_get_metric_statistics(&g, now, &q, err)) < 0) {
        return r;
    }
    if ((r = check_actions(req->alarm_actions, req->n_alarm_actions, "AlarmActions", err)) < 0 ||
        (r = check_actions(req->ok_actions, req->n_ok_actions, "OKActions", err)) < 0 ||
        (r = check_actions(req->insufficient_data_actions, req->n_insufficient_data_actions,
                           "InsufficientDataActions", err)) < 0) {
        return r;
    }
    al->n = (unsigned)req->evaluation_periods;
    al->m = (unsigned)m;
    return 0;
}

static struct st_alarms *alarms_of(struct st_collector *c)
{
    return c->alarms;
}

/* A copy of the request that the alarm table can own (protobuf-c's default allocator). */
static ProtobufCMessage *owned_copy(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = st_malloc(len ? len : 1);
    if (!buf) {
        return NULL;
    }
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    st_free(buf);
    return copy;
}

void st_op_put_metric_alarm(struct st_collector *c, struct st_call *call)
{
    const Stratus__PutMetricAlarmRequest *req =
        (const Stratus__PutMetricAlarmRequest *)call->request;
    struct st_alarm probe = {0};
    struct st_error err;
    if (st_alarm_parse_metric(req, &probe, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    Stratus__PutMetricAlarmRequest *copy = (Stratus__PutMetricAlarmRequest *)owned_copy(&req->base);
    if (!copy) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    st_alarms_put(alarms_of(c), copy, NULL, call);
}

/* Whether following composite references from rule reaches name (a cycle through name). */
static bool reaches(struct st_alarms *a, const struct st_alarm_rule *rule, const char *name,
                    unsigned depth)
{
    if (depth > 16) {
        return true; /* deeper than CloudWatch allows: refuse as if a cycle */
    }
    for (size_t i = 0; i < st_alarm_rule_n_refs(rule); i++) {
        const char *ref = st_alarm_rule_ref(rule, i);
        if (strcmp(ref, name) == 0) {
            return true;
        }
        struct st_alarm *al = st_alarms_find(a, ref);
        if (al && al->composite && al->rule && reaches(a, al->rule, name, depth + 1)) {
            return true;
        }
    }
    return false;
}

void st_op_put_composite_alarm(struct st_collector *c, struct st_call *call)
{
    const Stratus__PutCompositeAlarmRequest *req =
        (const Stratus__PutCompositeAlarmRequest *)call->request;
    struct st_error err;
    int r;
    if ((r = check_name(req->alarm_name, "AlarmName", &err)) < 0 ||
        (r = check_description(req->alarm_description, &err)) < 0 ||
        (r = check_actions(req->alarm_actions, req->n_alarm_actions, "AlarmActions", &err)) < 0 ||
        (r = check_actions(req->ok_actions, req->n_ok_actions, "OKActions", &err)) < 0 ||
        (r = check_actions(req->insufficient_data_actions, req->n_insufficient_data_actions,
                           "InsufficientDataActions", &err)) < 0) {
        st_call_fail(call, &err);
        return;
    }
    if (!req->alarm_rule) {
        st_call_fail(call, &(struct st_error){ST_ERR_MISSING_PARAMETER,
                                              "The parameter AlarmRule is required."});
        return;
    }
    struct st_alarm_rule *rule = NULL;
    if (st_alarm_rule_parse((const uint8_t *)req->alarm_rule, strlen(req->alarm_rule), &rule,
                            &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    bool cycle = reaches(alarms_of(c), rule, req->alarm_name, 0);
    st_alarm_rule_free(rule);
    if (cycle) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                              "AlarmRule: the rule refers to the alarm itself, "
                                              "directly or through other composite alarms."});
        return;
    }
    Stratus__PutCompositeAlarmRequest *copy =
        (Stratus__PutCompositeAlarmRequest *)owned_copy(&req->base);
    if (!copy) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    st_alarms_put(alarms_of(c), NULL, copy, call);
}

void st_alarm_to_metric_pb(const struct st_alarm *al, Stratus__MetricAlarm *o)
{
    const Stratus__PutMetricAlarmRequest *d = al->metric;
    stratus__metric_alarm__init(o);
    o->alarm_name = al->name;
    o->alarm_description = d->alarm_description;
    o->has_alarm_configuration_updated_timestamp_ms = true;
    o->alarm_configuration_updated_timestamp_ms = al->config_updated_ms;
    o->has_actions_enabled = true;
    o->actions_enabled = al->actions_enabled;
    o->ok_actions = d->ok_actions;
    o->n_ok_actions = d->n_ok_actions;
    o->alarm_actions = d->alarm_actions;
    o->n_alarm_actions = d->n_alarm_actions;
    o->insufficient_data_actions = d->insufficient_data_actions;
    o->n_insufficient_data_actions = d->n_insufficient_data_actions;
    o->state_value = (char *)st_alarm_state_name(al->state);
    o->state_reason = al->reason;
    o->state_reason_data = al->reason_data && al->reason_data[0] ? al->reason_data : NULL;
    o->has_state_updated_timestamp_ms = true;
    o->state_updated_timestamp_ms = al->state_updated_ms;
    o->has_state_transitioned_timestamp_ms = true;
    o->state_transitioned_timestamp_ms = al->state_transitioned_ms;
    o->metric_name = d->metric_name;
    o->namespace_ = d->namespace_;
    o->statistic = d->statistic;
    o->extended_statistic = d->extended_statistic;
    o->dimensions = d->dimensions;
    o->n_dimensions = d->n_dimensions;
    o->has_period = true;
    o->period = d->period;
    o->unit = d->unit;
    o->has_evaluation_periods = true;
    o->evaluation_periods = (int32_t)al->n;
    o->has_datapoints_to_alarm = true;
    o->datapoints_to_alarm = (int32_t)al->m;
    o->has_threshold = true;
    o->threshold = d->threshold;
    o->comparison_operator = (char *)st_alarm_cmp_name(al->cmp);
    o->treat_missing_data = (char *)st_alarm_missing_name(al->missing);
    o->evaluate_low_sample_count_percentile = d->evaluate_low_sample_count_percentile;
}

void st_alarm_to_composite_pb(const struct st_alarm *al, Stratus__CompositeAlarm *o)
{
    const Stratus__PutCompositeAlarmRequest *d = al->comp;
    stratus__composite_alarm__init(o);
    o->alarm_name = al->name;
    o->alarm_description = d->alarm_description;
    o->alarm_rule = d->alarm_rule;
    o->has_alarm_configuration_updated_timestamp_ms = true;
    o->alarm_configuration_updated_timestamp_ms = al->config_updated_ms;
    o->has_actions_enabled = true;
    o->actions_enabled = al->actions_enabled;
    o->ok_actions = d->ok_actions;
    o->n_ok_actions = d->n_ok_actions;
    o->alarm_actions = d->alarm_actions;
    o->n_alarm_actions = d->n_alarm_actions;
    o->insufficient_data_actions = d->insufficient_data_actions;
    o->n_insufficient_data_actions = d->n_insufficient_data_actions;
    o->state_value = (char *)st_alarm_state_name(al->state);
    o->state_reason = al->reason;
    o->state_reason_data = al->reason_data && al->reason_data[0] ? al->reason_data : NULL;
    o->has_state_updated_timestamp_ms = true;
    o->state_updated_timestamp_ms = al->state_updated_ms;
    o->has_state_transitioned_timestamp_ms = true;
    o->state_transitioned_timestamp_ms = al->state_transitioned_ms;
}

static bool has_action_prefix(const struct st_alarm *al, const char *prefix)
{
    size_t pl = strlen(prefix);
    char **lists[3];
    size_t ns[3];
    if (al->composite) {
        lists[0] = al->comp->alarm_actions, ns[0] = al->comp->n_alarm_actions;
        lists[1] = al->comp->ok_actions, ns[1] = al->comp->n_ok_actions;
        lists[2] = al->comp->insufficient_data_actions,
        ns[2] = al->comp->n_insufficient_data_actions;
    } else {
        lists[0] = al->metric->alarm_actions, ns[0] = al->metric->n_alarm_actions;
        lists[1] = al->metric->ok_actions, ns[1] = al->metric->n_ok_actions;
        lists[2] = al->metric->insufficient_data_actions,
        ns[2] = al->metric->n_insufficient_data_actions;
    }
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < ns[k]; i++) {
            if (strncmp(lists[k][i], prefix, pl) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Parses AlarmTypes into bits: 1 MetricAlarm, 2 CompositeAlarm. */
static int parse_types(char **types, size_t n, const char *param, unsigned *ret,
                       struct st_error *err)
{
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(types[i], "MetricAlarm") == 0) {
            bits |= 1;
        } else if (strcmp(types[i], "CompositeAlarm") == 0) {
            bits |= 2;
        } else {
            return invalid(err, "The parameter %s must hold MetricAlarm or CompositeAlarm.", param);
        }
    }
    *ret = bits;
    return 0;
}

void st_op_describe_alarms(struct st_collector *c, struct st_call *call)
{
    const Stratus__DescribeAlarmsRequest *req =
        (const Stratus__DescribeAlarmsRequest *)call->request;
    struct st_alarms *a = alarms_of(c);
    struct st_error err = {{0}};
    if (req->n_alarm_names > MAX_DESCRIBE_NAMES) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                              "The collection AlarmNames must not have more "
                                              "than 100 members."});
        return;
    }
    if (req->n_alarm_names && req->alarm_name_prefix) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_COMBINATION,
                                              "AlarmNames and AlarmNamePrefix cannot both be "
                                              "specified."});
        return;
    }
    enum st_alarm_state want_state = ST_ALARM_STATE_OK;
    if (req->state_value && st_alarm_state_parse(req->state_value, &want_state) < 0) {
        invalid(&err, "The parameter StateValue must be OK, ALARM or INSUFFICIENT_DATA, not '%s'.",
                req->state_value);
        st_call_fail(call, &err);
        return;
    }
    unsigned types = 0;
    if (parse_types(req->alarm_types, req->n_alarm_types, "AlarmTypes", &types, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    if (types == 0) {
        types = 1; /* CloudWatch: metric alarms only unless AlarmTypes asks */
    }
    int32_t max = req->has_max_records ? req->max_records : DEFAULT_ALARM_RECORDS;
    if (max < 1 || max > MAX_RECORDS) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                              "The parameter MaxRecords must be between 1 "
                                              "and 100."});
        return;
    }
    const char *prefix = req->alarm_name_prefix;
    size_t start = 0;
    if (req->next_token) {
        if (strlen(req->next_token) > ST_ALARM_NAME_MAX + 1 || req->next_token[0] != '>') {
            st_call_fail(
                call, &(struct st_error){ST_ERR_INVALID_NEXT_TOKEN, "The NextToken is invalid."});
            return;
        }
        /* The token is '>' and the last name returned: resume after it. */
        start = st_alarms_lower_bound(a, req->next_token + 1);
        if (start < a->n && strcmp(a->items[start]->name, req->next_token + 1) == 0) {
            start++;
        }
    } else if (prefix) {
        start = st_alarms_lower_bound(a, prefix);
    }
    Stratus__DescribeAlarmsResponse resp = STRATUS__DESCRIBE_ALARMS_RESPONSE__INIT;
    resp.metric_alarms = st_arena_alloc(&call->arena, (size_t)max * sizeof(*resp.metric_alarms));
    resp.composite_alarms =
        st_arena_alloc(&call->arena, (size_t)max * sizeof(*resp.composite_alarms));
    if (!resp.metric_alarms || !resp.composite_alarms) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    size_t found = 0;
    const char *last = NULL;
    /* Named alarms: look each up (sorted output, as CloudWatch sorts by name). */
    size_t end = a->n;
    for (size_t i = start; i < end; i++) {
        struct st_alarm *al = a->items[i];
        if (prefix && strncmp(al->name, prefix, strlen(prefix)) != 0) {
            break;
        }
        if (req->n_alarm_names) {
            bool named = false;
            for (size_t k = 0; k < req->n_alarm_names && !named; k++) {
                named = strcmp(req->alarm_names[k], al->name) == 0;
            }
            if (!named) {
                continue;
            }
        }
        if (!(types & (al->composite ? 2u : 1u)) || (req->state_value && al->state != want_state) ||
            (req->action_prefix && !has_action_prefix(al, req->action_prefix))) {
            continue;
        }
        if (found == (size_t)max) {
            char *tok = st_arena_alloc(&call->arena, strlen(last) + 2);
            if (tok) {
                tok[0] = '>';
                strcpy(tok + 1, last);
                resp.next_token = tok;
            }
            break;
        }
        if (al->composite) {
            Stratus__CompositeAlarm *o = st_arena_alloc(&call->arena, sizeof(*o));
            if (!o) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
                return;
            }
            st_alarm_to_composite_pb(al, o);
            char *arn = st_arena_alloc(&call->arena, 300);
            if (arn) {
                st_alarm_arn(al->name, arn, 300);
                o->alarm_arn = arn;
            }
            resp.composite_alarms[resp.n_composite_alarms++] = o;
        } else {
            Stratus__MetricAlarm *o = st_arena_alloc(&call->arena, sizeof(*o));
            if (!o) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
                return;
            }
            st_alarm_to_metric_pb(al, o);
            char *arn = st_arena_alloc(&call->arena, 300);
            if (arn) {
                st_alarm_arn(al->name, arn, 300);
                o->alarm_arn = arn;
            }
            resp.metric_alarms[resp.n_metric_alarms++] = o;
        }
        found++;
        last = al->name;
    }
    st_call_reply(call, &resp.base);
}

/* --- DescribeAlarmHistory --- */

struct history_read {
    struct st_call *call;
    struct st_alarm_history_query q;
    char *name, *item_type;
    struct st_arena arena; /* worker thread while running, then the loop */
    Stratus__DescribeAlarmHistoryResponse resp;
    size_t cap;
    uint8_t *packed;
    size_t packed_len;
    int status;
};

static int on_history_row(const struct st_alarm_history_row *row, void *data)
{
    struct history_read *h = data;
    Stratus__DescribeAlarmHistoryResponse *r = &h->resp;
    if (r->n_alarm_history_items == h->q.limit) {
        char *tok = st_arena_alloc(&h->arena, 32);
        if (!tok) {
            return -ENOMEM;
        }
        snprintf(tok, 32, "%llu", (unsigned long long)(h->q.offset + h->q.limit));
        r->next_token = tok;
        return 0;
    }
    Stratus__AlarmHistoryItem *it = st_arena_alloc(&h->arena, sizeof(*it));
    size_t ln = strlen(row->alarm_name) + 1, lt = strlen(row->alarm_type) + 1,
           li = strlen(row->item_type) + 1, ls = strlen(row->summary) + 1,
           ld = strlen(row->data) + 1;
    char *s = st_arena_alloc(&h->arena, ln + lt + li + ls + ld);
    if (!it || !s) {
        return -ENOMEM;
    }
    stratus__alarm_history_item__init(it);
    it->alarm_name = memcpy(s, row->alarm_name, ln);
    it->alarm_type = memcpy(s + ln, row->alarm_type, lt);
    it->history_item_type = memcpy(s + ln + lt, row->item_type, li);
    it->history_summary = memcpy(s + ln + lt + li, row->summary, ls);
    it->history_data = memcpy(s + ln + lt + li + ls, row->data, ld);
    it->has_timestamp_ms = true;
    it->timestamp_ms = row->timestamp_ms;
    r->alarm_history_items[r->n_alarm_history_items++] = it;
    return 0;
}

static void run_history_read(sqlite3 *db, void *data)
{
    struct history_read *h = data;
    h->resp.alarm_history_items =
        st_arena_alloc(&h->arena, (h->q.limit + 1) * sizeof(*h->resp.alarm_history_items));
    if (!h->resp.alarm_history_items) {
        h->status = -ENOMEM;
        return;
    }
    h->status = st_alarm_db_query_history(db, &h->q, on_history_row, h);
    if (h->status == 0) {
        h->packed_len = protobuf_c_message_get_packed_size(&h->resp.base);
        h->packed = st_malloc(h->packed_len ? h->packed_len : 1);
        if (!h->packed) {
            h->status = -ENOMEM;
            return;
        }
        protobuf_c_message_pack(&h->resp.base, h->packed);
    }
}

static void done_history_read(void *data)
{
    struct history_read *h = data;
    if (h->status < 0) {
        st_call_fail_status(h->call, 500, ST_ERR_INTERNAL_FAILURE, "the history could not be read");
    } else {
        st_call_reply_packed(h->call, h->packed, h->packed_len);
    }
    st_free(h->packed);
    st_free(h->name);
    st_free(h->item_type);
    st_arena_fini(&h->arena);
    st_free(h);
}

void st_op_describe_alarm_history(struct st_collector *c, struct st_call *call)
{
    const Stratus__DescribeAlarmHistoryRequest *req =
        (const Stratus__DescribeAlarmHistoryRequest *)call->request;
    struct st_error err = {{0}};
    if (req->alarm_name && check_name(req->alarm_name, "AlarmName", &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    static const char *const item_types[] = {"ConfigurationUpdate", "StateUpdate", "Action"};
    bool type_ok = !req->history_item_type;
    for (size_t i = 0; i < 3 && !type_ok; i++) {
        type_ok = strcmp(req->history_item_type, item_types[i]) == 0;
    }
    if (!type_ok) {
        invalid(&err,
                "The parameter HistoryItemType must be ConfigurationUpdate, StateUpdate or "
                "Action, not '%s'.",
                req->history_item_type);
        st_call_fail(call, &err);
        return;
    }
    unsigned types = 0;
    if (parse_types(req->alarm_types, req->n_alarm_types, "AlarmTypes", &types, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    int32_t max = req->has_max_records ? req->max_records : DEFAULT_HISTORY_RECORD;
    if (max < 1 || max > MAX_RECORDS) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                              "The parameter MaxRecords must be between 1 "
                                              "and 100."});
        return;
    }
    bool ascending = false;
    if (req->scan_by) {
        if (strcmp(req->scan_by, "TimestampAscending") == 0) {
            ascending = true;
        } else if (strcmp(req->scan_by, "TimestampDescending") != 0) {
            st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                                  "The parameter ScanBy must be "
                                                  "TimestampDescending or TimestampAscending."});
            return;
        }
    }
    uint64_t offset = 0;
    if (req->next_token) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(req->next_token, &end, 10);
        if (errno || *end || end == req->next_token || v > (1ull << 40)) {
            st_call_fail(
                call, &(struct st_error){ST_ERR_INVALID_NEXT_TOKEN, "The NextToken is invalid."});
            return;
        }
        offset = v;
    }
    struct history_read *h = st_calloc(1, sizeof(*h));
    if (!h) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    st_arena_init(&h->arena, 16 * 1024, 0);
    stratus__describe_alarm_history_response__init(&h->resp);
    h->call = call;
    h->name = req->alarm_name ? st_strdup(req->alarm_name) : NULL;
    h->item_type = req->history_item_type ? st_strdup(req->history_item_type) : NULL;
    h->q = (struct st_alarm_history_query){
        .alarm_name = h->name,
        .item_type = h->item_type,
        .types = types,
        .start_ms = req->has_start_date_ms ? req->start_date_ms : INT64_MIN,
        .end_ms = req->has_end_date_ms ? req->end_date_ms : INT64_MAX,
        .ascending = ascending,
        .limit = (unsigned)max,
        .offset = offset,
    };
    if ((req->alarm_name && !h->name) || (req->history_item_type && !h->item_type) ||
        st_alarm_db_submit(alarms_of(c)->db, run_history_read, done_history_read, h) < 0) {
        h->status = -ENOMEM;
        done_history_read(h);
    }
}

/* --- SetAlarmState, DeleteAlarms, Enable/DisableAlarmActions --- */

void st_op_set_alarm_state(struct st_collector *c, struct st_call *call)
{
    const Stratus__SetAlarmStateRequest *req = (const Stratus__SetAlarmStateRequest *)call->request;
    struct st_error err = {{0}};
    if (check_name(req->alarm_name, "AlarmName", &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    if (!req->state_value) {
        st_call_fail(call, &(struct st_error){ST_ERR_MISSING_PARAMETER,
                                              "The parameter StateValue is required."});
        return;
    }
    enum st_alarm_state state;
    if (st_alarm_state_parse(req->state_value, &state) < 0) {
        invalid(&err, "The parameter StateValue must be OK, ALARM or INSUFFICIENT_DATA, not '%s'.",
                req->state_value);
        st_call_fail(call, &err);
        return;
    }
    if (!req->state_reason) {
        st_call_fail(call, &(struct st_error){ST_ERR_MISSING_PARAMETER,
                                              "The parameter StateReason is required."});
        return;
    }
    if (strlen(req->state_reason) > MAX_REASON_LEN) {
        st_call_fail(call, &(struct st_error){ST_ERR_INVALID_PARAMETER_VALUE,
                                              "The parameter StateReason must be at most 1023 "
                                              "characters long."});
        return;
    }
    if (req->state_reason_data) {
        json_object *j = NULL;
        if (strlen(req->state_reason_data) > MAX_REASON_DATA_LEN ||
            !(j = json_tokener_parse(req->state_reason_data))) {
            st_call_fail(call, &(struct st_error){"InvalidFormat",
                                                  "The parameter StateReasonData must be JSON "
                                                  "of at most 4000 characters."});
            return;
        }
        json_object_put(j);
    }
    struct st_alarm *al = st_alarms_find(alarms_of(c), req->alarm_name);
    if (!al) {
        st_error_set(&err, -ENOENT, ST_ERR_RESOURCE_NOT_FOUND, "Alarm %s does not exist.",
                     req->alarm_name);
        st_call_fail(call, &err);
        return;
    }
    st_alarms_set_state(alarms_of(c), al, state, req->state_reason, req->state_reason_data, call);
}

static int check_names(struct st_alarms *a, char **names, size_t n, bool must_exist,
                       struct st_error *err)
{
    if (n > MAX_DESCRIBE_NAMES) {
        return invalid(err, "The collection %s must not have more than 100 members.", "AlarmNames");
    }
    for (size_t i = 0; i < n; i++) {
        int r = check_name(names[i], "AlarmNames.member", err);
        if (r < 0) {
            return r;
        }
        if (must_exist && !st_alarms_find(a, names[i])) {
            st_error_set(err, -ENOENT, ST_ERR_RESOURCE_NOT_FOUND, "Alarm %s does not exist.",
                         names[i]);
            return -ENOENT;
        }
    }
    return 0;
}

void st_op_delete_alarms(struct st_collector *c, struct st_call *call)
{
    const Stratus__DeleteAlarmsRequest *req = (const Stratus__DeleteAlarmsRequest *)call->request;
    struct st_error err;
    if (req->n_alarm_names == 0) {
        st_call_fail(call, &(struct st_error){ST_ERR_MISSING_PARAMETER,
                                              "The parameter AlarmNames is required."});
        return;
    }
    if (check_names(alarms_of(c), req->alarm_names, req->n_alarm_names, true, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    st_alarms_delete(alarms_of(c), req->alarm_names, req->n_alarm_names, call);
}

static void set_actions(struct st_collector *c, struct st_call *call, char **names, size_t n,
                        bool enabled)
{
    struct st_error err;
    if (n == 0) {
        st_call_fail(call, &(struct st_error){ST_ERR_MISSING_PARAMETER,
                                              "The parameter AlarmNames is required."});
        return;
    }
    if (check_names(alarms_of(c), names, n, false, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    st_alarms_set_actions(alarms_of(c), names, n, enabled, call);
}

void st_op_enable_alarm_actions(struct st_collector *c, struct st_call *call)
{
    const Stratus__EnableAlarmActionsRequest *req =
        (const Stratus__EnableAlarmActionsRequest *)call->request;
    set_actions(c, call, req->alarm_names, req->n_alarm_names, true);
}

void st_op_disable_alarm_actions(struct st_collector *c, struct st_call *call)
{
    const Stratus__DisableAlarmActionsRequest *req =
        (const Stratus__DisableAlarmActionsRequest *)call->request;
    set_actions(c, call, req->alarm_names, req->n_alarm_names, false);
}
