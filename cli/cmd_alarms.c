/* SPDX-License-Identifier: MIT */
/*
 * The alarm verbs (cmd_alarms.h). As for the metric verbs, the client checks what the aws CLI
 * checks (required flags, number types, list shapes) and leaves the CloudWatch rules (periods,
 * enums, limits, actions) to the collector, which answers with the aws-shaped error. Output
 * member order follows the CloudWatch API model, as botocore prints it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "args.h"
#include "cmd_alarms.h"
#include "json_writer.h"
#include "output.h"
#include "pb.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"

#define MAX_PAGES 100000

static int dup_list(const struct st_args_value *v, char ***ret, size_t *ret_n, struct st_error *err)
{
    if (!v->seen) {
        return 0;
    }
    char **out = st_calloc(v->n_many, sizeof(*out));
    if (!out) {
        return st_args_oom(err);
    }
    *ret = out;
    for (size_t i = 0; i < v->n_many; i++) {
        if (!(out[i] = st_strdup(v->many[i]))) {
            return st_args_oom(err);
        }
        *ret_n = i + 1;
    }
    return 0;
}

static int parse_i32(const char *flag, const struct st_args_value *v, int32_t *ret,
                     protobuf_c_boolean *has, struct st_error *err)
{
    if (!v->seen) {
        return 0;
    }
    int64_t x;
    int r = st_args_parse_int(flag, v->one, INT32_MIN, INT32_MAX, &x, err);
    if (r == 0) {
        *ret = (int32_t)x;
        *has = true;
    }
    return r;
}

/* Removes the boolean --actions-enabled / --no-actions-enabled from argv (they take no value,
 * which st_args_parse does not do); *ret_set says whether one was given. */
static int take_actions_enabled(int *argc, char **argv, bool *ret_set, bool *ret_value,
                                struct st_error *err)
{
    int out = 0;
    *ret_set = false;
    for (int i = 0; i < *argc; i++) {
        bool on = strcmp(argv[i], "--actions-enabled") == 0;
        bool off = strcmp(argv[i], "--no-actions-enabled") == 0;
        if (on || off) {
            if (*ret_set) {
                return st_args_usage(err, "argument --actions-enabled: given more than once");
            }
            *ret_set = true;
            *ret_value = on;
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    return 0;
}

static int dims_to_pb(char *const *words, size_t n_words, Stratus__Dimension ***ret, size_t *ret_n,
                      struct st_error *err)
{
    struct st_args_dims dims = {0};
    int r =
        st_args_parse_dims("--dimensions", words, n_words, false, ST_MAX_DIMENSIONS, &dims, err);
    if (r < 0) {
        return r;
    }
    Stratus__Dimension **out = st_calloc(dims.n ? dims.n : 1, sizeof(*out));
    if (!out) {
        st_args_dims_fini(&dims);
        return st_args_oom(err);
    }
    *ret = out;
    for (size_t i = 0; i < dims.n; i++) {
        out[i] = st_malloc(sizeof(*out[i]));
        if (!out[i]) {
            st_args_dims_fini(&dims);
            return st_args_oom(err);
        }
        stratus__dimension__init(out[i]);
        out[i]->name = dims.items[i].name;
        out[i]->value = dims.items[i].value;
        dims.items[i].name = dims.items[i].value = NULL;
        *ret_n = i + 1;
    }
    st_args_dims_fini(&dims);
    return 0;
}

/* --- put-metric-alarm --- */

enum {
    PMA_ALARM_NAME,
    PMA_DESCRIPTION,
    PMA_OK_ACTIONS,
    PMA_ALARM_ACTIONS,
    PMA_INSUFFICIENT_ACTIONS,
    PMA_METRIC_NAME,
    PMA_NAMESPACE,
    PMA_STATISTIC,
    PMA_EXTENDED_STATISTIC,
    PMA_DIMENSIONS,
    PMA_PERIOD,
    PMA_UNIT,
    PMA_EVALUATION_PERIODS,
    PMA_DATAPOINTS_TO_ALARM,
    PMA_THRESHOLD,
    PMA_COMPARISON_OPERATOR,
    PMA_TREAT_MISSING_DATA,
    PMA_LOW_SAMPLE,
    PMA__COUNT,
};

static const struct st_args_flag pma_flags[PMA__COUNT] = {
    [PMA_ALARM_NAME] = {"--alarm-name", ST_ARGS_ONE},
    [PMA_DESCRIPTION] = {"--alarm-description", ST_ARGS_ONE},
    [PMA_OK_ACTIONS] = {"--ok-actions", ST_ARGS_MANY},
    [PMA_ALARM_ACTIONS] = {"--alarm-actions", ST_ARGS_MANY},
    [PMA_INSUFFICIENT_ACTIONS] = {"--insufficient-data-actions", ST_ARGS_MANY},
    [PMA_METRIC_NAME] = {"--metric-name", ST_ARGS_ONE},
    [PMA_NAMESPACE] = {"--namespace", ST_ARGS_ONE},
    [PMA_STATISTIC] = {"--statistic", ST_ARGS_ONE},
    [PMA_EXTENDED_STATISTIC] = {"--extended-statistic", ST_ARGS_ONE},
    [PMA_DIMENSIONS] = {"--dimensions", ST_ARGS_MANY},
    [PMA_PERIOD] = {"--period", ST_ARGS_ONE},
    [PMA_UNIT] = {"--unit", ST_ARGS_ONE},
    [PMA_EVALUATION_PERIODS] = {"--evaluation-periods", ST_ARGS_ONE},
    [PMA_DATAPOINTS_TO_ALARM] = {"--datapoints-to-alarm", ST_ARGS_ONE},
    [PMA_THRESHOLD] = {"--threshold", ST_ARGS_ONE},
    [PMA_COMPARISON_OPERATOR] = {"--comparison-operator", ST_ARGS_ONE},
    [PMA_TREAT_MISSING_DATA] = {"--treat-missing-data", ST_ARGS_ONE},
    [PMA_LOW_SAMPLE] = {"--evaluate-low-sample-count-percentile", ST_ARGS_ONE},
};

static int pma_fill(const struct st_args_value *v, Stratus__PutMetricAlarmRequest *req,
                    struct st_error *err)
{
    struct {
        int flag;
        char **dst;
    } strs[] = {
        {PMA_ALARM_NAME, &req->alarm_name},
        {PMA_DESCRIPTION, &req->alarm_description},
        {PMA_METRIC_NAME, &req->metric_name},
        {PMA_NAMESPACE, &req->namespace_},
        {PMA_STATISTIC, &req->statistic},
        {PMA_EXTENDED_STATISTIC, &req->extended_statistic},
        {PMA_UNIT, &req->unit},
        {PMA_COMPARISON_OPERATOR, &req->comparison_operator},
        {PMA_TREAT_MISSING_DATA, &req->treat_missing_data},
        {PMA_LOW_SAMPLE, &req->evaluate_low_sample_count_percentile},
    };
    int r = 0;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]) && r == 0; i++) {
        if (v[strs[i].flag].seen) {
            r = st_args_dup(v[strs[i].flag].one, strs[i].dst, err);
        }
    }
    if (r == 0) {
        r = dup_list(&v[PMA_OK_ACTIONS], &req->ok_actions, &req->n_ok_actions, err);
    }
    if (r == 0) {
        r = dup_list(&v[PMA_ALARM_ACTIONS], &req->alarm_actions, &req->n_alarm_actions, err);
    }
    if (r == 0) {
        r = dup_list(&v[PMA_INSUFFICIENT_ACTIONS], &req->insufficient_data_actions,
                     &req->n_insufficient_data_actions, err);
    }
    if (r == 0 && v[PMA_DIMENSIONS].seen) {
        r = dims_to_pb(v[PMA_DIMENSIONS].many, v[PMA_DIMENSIONS].n_many, &req->dimensions,
                       &req->n_dimensions, err);
    }
    if (r == 0) {
        r = parse_i32("--period", &v[PMA_PERIOD], &req->period, &req->has_period, err);
    }
    if (r == 0) {
        r = parse_i32("--evaluation-periods", &v[PMA_EVALUATION_PERIODS], &req->evaluation_periods,
                      &req->has_evaluation_periods, err);
    }
    if (r == 0) {
        r = parse_i32("--datapoints-to-alarm", &v[PMA_DATAPOINTS_TO_ALARM],
                      &req->datapoints_to_alarm, &req->has_datapoints_to_alarm, err);
    }
    if (r == 0 && v[PMA_THRESHOLD].seen) {
        req->has_threshold = true;
        r = st_args_parse_double("--threshold", v[PMA_THRESHOLD].one, &req->threshold, err);
    }
    return r;
}

int st_cmd_put_metric_alarm_request(int argc, char **argv, Stratus__PutMetricAlarmRequest **ret,
                                    struct st_error *err)
{
    bool ae_set = false, ae = true;
    int r = take_actions_enabled(&argc, argv, &ae_set, &ae, err);
    if (r < 0) {
        return r;
    }
    struct st_args_value v[PMA__COUNT];
    if ((r = st_args_parse(argc, argv, pma_flags, PMA__COUNT, v, err)) < 0) {
        return r;
    }
    static const unsigned need[] = {PMA_ALARM_NAME, PMA_EVALUATION_PERIODS,
                                    PMA_COMPARISON_OPERATOR};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!v[need[i]].seen) {
            return st_args_required(err, pma_flags[need[i]].name);
        }
    }
    Stratus__PutMetricAlarmRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__put_metric_alarm_request__init(req);
    req->has_actions_enabled = ae_set;
    req->actions_enabled = ae;
    r = pma_fill(v, req, err);
    if (r < 0) {
        st_pb_free(req);
        return r;
    }
    *ret = req;
    return 0;
}

int st_cmd_put_metric_alarm(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    Stratus__PutMetricAlarmRequest *req = NULL;
    int r = st_cmd_put_metric_alarm_request(argc, argv, &req, err);
    if (r == 0) {
        r = st_api_call_empty(cli, "PutMetricAlarm", &req->base,
                              &stratus__put_metric_alarm_response__descriptor, err);
    }
    st_pb_free(req);
    return r;
}

/* --- put-composite-alarm --- */

enum {
    PCA_ALARM_NAME,
    PCA_RULE,
    PCA_DESCRIPTION,
    PCA_OK_ACTIONS,
    PCA_ALARM_ACTIONS,
    PCA_INSUFFICIENT_ACTIONS,
    PCA__COUNT,
};

static const struct st_args_flag pca_flags[PCA__COUNT] = {
    [PCA_ALARM_NAME] = {"--alarm-name", ST_ARGS_ONE},
    [PCA_RULE] = {"--alarm-rule", ST_ARGS_ONE},
    [PCA_DESCRIPTION] = {"--alarm-description", ST_ARGS_ONE},
    [PCA_OK_ACTIONS] = {"--ok-actions", ST_ARGS_MANY},
    [PCA_ALARM_ACTIONS] = {"--alarm-actions", ST_ARGS_MANY},
    [PCA_INSUFFICIENT_ACTIONS] = {"--insufficient-data-actions", ST_ARGS_MANY},
};

int st_cmd_put_composite_alarm(const struct st_cli *cli, int argc, char **argv,
                               struct st_error *err)
{
    bool ae_set = false, ae = true;
    int r = take_actions_enabled(&argc, argv, &ae_set, &ae, err);
    if (r < 0) {
        return r;
    }
    struct st_args_value v[PCA__COUNT];
    if ((r = st_args_parse(argc, argv, pca_flags, PCA__COUNT, v, err)) < 0) {
        return r;
    }
    if (!v[PCA_ALARM_NAME].seen) {
        return st_args_required(err, "--alarm-name");
    }
    if (!v[PCA_RULE].seen) {
        return st_args_required(err, "--alarm-rule");
    }
    Stratus__PutCompositeAlarmRequest *req = st_malloc(sizeof(*req));
    if (!req) {
        return st_args_oom(err);
    }
    stratus__put_composite_alarm_request__init(req);
    req->has_actions_enabled = ae_set;
    req->actions_enabled = ae;
    r = st_args_dup(v[PCA_ALARM_NAME].one, &req->alarm_name, err);
    if (r == 0) {
        r = st_args_dup(v[PCA_RULE].one, &req->alarm_rule, err);
    }
    if (r == 0 && v[PCA_DESCRIPTION].seen) {
        r = st_args_dup(v[PCA_DESCRIPTION].one, &req->alarm_description, err);
    }
    if (r == 0) {
        r = dup_list(&v[PCA_OK_ACTIONS], &req->ok_actions, &req->n_ok_actions, err);
    }
    if (r == 0) {
        r = dup_list(&v[PCA_ALARM_ACTIONS], &req->alarm_actions, &req->n_alarm_actions, err);
    }
    if (r == 0) {
        r = dup_list(&v[PCA_INSUFFICIENT_ACTIONS], &req->insufficient_data_actions,
                     &req->n_insufficient_data_actions, err);
    }
    if (r == 0) {
        r = st_api_call_empty(cli, "PutCompositeAlarm", &req->base,
                              &stratus__put_composite_alarm_response__descriptor, err);
    }
    st_pb_free(req);
    return r;
}

/* --- output --- */

static void key_str(struct st_json_writer *w, const char *key, const char *s)
{
    if (s) {
        st_json_key(w, key);
        st_json_string(w, s);
    }
}

static void key_time(struct st_json_writer *w, const char *key, bool has, int64_t ms)
{
    if (has) {
        char ts[40];
        st_output_format_time(ms, ts, sizeof(ts));
        key_str(w, key, ts);
    }
}

static void key_list(struct st_json_writer *w, const char *key, char *const *items, size_t n)
{
    st_json_key(w, key);
    st_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        st_json_string(w, items[i]);
    }
    st_json_end_array(w);
}

static void key_bool(struct st_json_writer *w, const char *key, bool v)
{
    st_json_key(w, key);
    st_json_bool(w, v);
}

static void metric_alarm(struct st_json_writer *w, const Stratus__MetricAlarm *a)
{
    st_json_begin_object(w);
    key_str(w, "AlarmName", a->alarm_name);
    key_str(w, "AlarmArn", a->alarm_arn);
    key_str(w, "AlarmDescription", a->alarm_description);
    key_time(w, "AlarmConfigurationUpdatedTimestamp",
             a->has_alarm_configuration_updated_timestamp_ms,
             a->alarm_configuration_updated_timestamp_ms);
    key_bool(w, "ActionsEnabled", a->actions_enabled);
    key_list(w, "OKActions", a->ok_actions, a->n_ok_actions);
    key_list(w, "AlarmActions", a->alarm_actions, a->n_alarm_actions);
    key_list(w, "InsufficientDataActions", a->insufficient_data_actions,
             a->n_insufficient_data_actions);
    key_str(w, "StateValue", a->state_value);
    key_str(w, "StateReason", a->state_reason);
    key_str(w, "StateReasonData", a->state_reason_data);
    key_time(w, "StateUpdatedTimestamp", a->has_state_updated_timestamp_ms,
             a->state_updated_timestamp_ms);
    key_str(w, "MetricName", a->metric_name);
    key_str(w, "Namespace", a->namespace_);
    key_str(w, "Statistic", a->statistic);
    key_str(w, "ExtendedStatistic", a->extended_statistic);
    st_json_key(w, "Dimensions");
    st_json_begin_array(w);
    for (size_t i = 0; i < a->n_dimensions; i++) {
        st_json_begin_object(w);
        key_str(w, "Name", a->dimensions[i]->name);
        key_str(w, "Value", a->dimensions[i]->value);
        st_json_end_object(w);
    }
    st_json_end_array(w);
    if (a->has_period) {
        st_json_key(w, "Period");
        st_json_int(w, a->period);
    }
    key_str(w, "Unit", a->unit);
    if (a->has_evaluation_periods) {
        st_json_key(w, "EvaluationPeriods");
        st_json_int(w, a->evaluation_periods);
    }
    if (a->has_datapoints_to_alarm) {
        st_json_key(w, "DatapointsToAlarm");
        st_json_int(w, a->datapoints_to_alarm);
    }
    if (a->has_threshold) {
        st_json_key(w, "Threshold");
        st_json_double(w, a->threshold);
    }
    key_str(w, "ComparisonOperator", a->comparison_operator);
    key_str(w, "TreatMissingData", a->treat_missing_data);
    key_str(w, "EvaluateLowSampleCountPercentile", a->evaluate_low_sample_count_percentile);
    key_time(w, "StateTransitionedTimestamp", a->has_state_transitioned_timestamp_ms,
             a->state_transitioned_timestamp_ms);
    st_json_end_object(w);
}

static void composite_alarm(struct st_json_writer *w, const Stratus__CompositeAlarm *a)
{
    st_json_begin_object(w);
    key_bool(w, "ActionsEnabled", a->actions_enabled);
    key_list(w, "AlarmActions", a->alarm_actions, a->n_alarm_actions);
    key_str(w, "AlarmArn", a->alarm_arn);
    key_time(w, "AlarmConfigurationUpdatedTimestamp",
             a->has_alarm_configuration_updated_timestamp_ms,
             a->alarm_configuration_updated_timestamp_ms);
    key_str(w, "AlarmDescription", a->alarm_description);
    key_str(w, "AlarmName", a->alarm_name);
    key_str(w, "AlarmRule", a->alarm_rule);
    key_list(w, "InsufficientDataActions", a->insufficient_data_actions,
             a->n_insufficient_data_actions);
    key_list(w, "OKActions", a->ok_actions, a->n_ok_actions);
    key_str(w, "StateReason", a->state_reason);
    key_str(w, "StateReasonData", a->state_reason_data);
    key_time(w, "StateUpdatedTimestamp", a->has_state_updated_timestamp_ms,
             a->state_updated_timestamp_ms);
    key_str(w, "StateValue", a->state_value);
    key_time(w, "StateTransitionedTimestamp", a->has_state_transitioned_timestamp_ms,
             a->state_transitioned_timestamp_ms);
    st_json_end_object(w);
}

void st_output_alarms(FILE *f, Stratus__MetricAlarm *const *metric, size_t n_metric,
                      Stratus__CompositeAlarm *const *composite, size_t n_composite)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "MetricAlarms");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n_metric; i++) {
        metric_alarm(&w, metric[i]);
    }
    st_json_end_array(&w);
    st_json_key(&w, "CompositeAlarms");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n_composite; i++) {
        composite_alarm(&w, composite[i]);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
}

void st_output_alarm_history(FILE *f, Stratus__AlarmHistoryItem *const *items, size_t n)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "AlarmHistoryItems");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        const Stratus__AlarmHistoryItem *it = items[i];
        st_json_begin_object(&w);
        key_str(&w, "AlarmName", it->alarm_name);
        key_str(&w, "AlarmType", it->alarm_type);
        key_time(&w, "Timestamp", it->has_timestamp_ms, it->timestamp_ms);
        key_str(&w, "HistoryItemType", it->history_item_type);
        key_str(&w, "HistorySummary", it->history_summary);
        key_str(&w, "HistoryData", it->history_data);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
}

/* --- describe-alarms --- */

enum {
    DA_NAMES,
    DA_PREFIX,
    DA_STATE,
    DA_TYPES,
    DA_ACTION_PREFIX,
    DA__COUNT,
};

static const struct st_args_flag da_flags[DA__COUNT] = {
    [DA_NAMES] = {"--alarm-names", ST_ARGS_MANY},
    [DA_PREFIX] = {"--alarm-name-prefix", ST_ARGS_ONE},
    [DA_STATE] = {"--state-value", ST_ARGS_ONE},
    [DA_TYPES] = {"--alarm-types", ST_ARGS_MANY},
    [DA_ACTION_PREFIX] = {"--action-prefix", ST_ARGS_ONE},
};

int st_cmd_describe_alarms(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[DA__COUNT];
    int r = st_args_parse(argc, argv, da_flags, DA__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    Stratus__DescribeAlarmsRequest req = STRATUS__DESCRIBE_ALARMS_REQUEST__INIT;
    /* Everything is borrowed from argv: the request is never freed with st_pb_free. */
    req.alarm_names = v[DA_NAMES].seen ? (char **)v[DA_NAMES].many : NULL;
    req.n_alarm_names = v[DA_NAMES].seen ? v[DA_NAMES].n_many : 0;
    req.alarm_name_prefix = (char *)v[DA_PREFIX].one;
    req.state_value = (char *)v[DA_STATE].one;
    req.alarm_types = v[DA_TYPES].seen ? (char **)v[DA_TYPES].many : NULL;
    req.n_alarm_types = v[DA_TYPES].seen ? v[DA_TYPES].n_many : 0;
    req.action_prefix = (char *)v[DA_ACTION_PREFIX].one;
    struct st_pb_pages pages = {0};
    void **metric = NULL, **composite = NULL;
    size_t n_metric = 0, n_composite = 0;
    const struct st_api_list lists[] = {
        {"metric_alarms", &metric, &n_metric},
        {"composite_alarms", &composite, &n_composite},
    };
    r = st_api_call_pages(cli, "DescribeAlarms", &req.base,
                          &stratus__describe_alarms_response__descriptor, lists, 2, 0, MAX_PAGES,
                          &pages, err);
    if (r == 0) {
        st_output_alarms(cli->out, (Stratus__MetricAlarm *const *)metric, n_metric,
                         (Stratus__CompositeAlarm *const *)composite, n_composite);
    }
    st_free(metric);
    st_free(composite);
    st_pb_pages_fini(&pages);
    return r;
}

/* --- describe-alarm-history --- */

enum {
    DH_NAME,
    DH_TYPES,
    DH_ITEM_TYPE,
    DH_START,
    DH_END,
    DH_SCAN_BY,
    DH_MAX_ITEMS,
    DH__COUNT,
};

static const struct st_args_flag dh_flags[DH__COUNT] = {
    [DH_NAME] = {"--alarm-name", ST_ARGS_ONE},
    [DH_TYPES] = {"--alarm-types", ST_ARGS_MANY},
    [DH_ITEM_TYPE] = {"--history-item-type", ST_ARGS_ONE},
    [DH_START] = {"--start-date", ST_ARGS_ONE},
    [DH_END] = {"--end-date", ST_ARGS_ONE},
    [DH_SCAN_BY] = {"--scan-by", ST_ARGS_ONE},
    [DH_MAX_ITEMS] = {"--max-items", ST_ARGS_ONE},
};

int st_cmd_describe_alarm_history(const struct st_cli *cli, int argc, char **argv,
                                  struct st_error *err)
{
    struct st_args_value v[DH__COUNT];
    int r = st_args_parse(argc, argv, dh_flags, DH__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    Stratus__DescribeAlarmHistoryRequest req = STRATUS__DESCRIBE_ALARM_HISTORY_REQUEST__INIT;
    req.alarm_name = (char *)v[DH_NAME].one;
    req.alarm_types = v[DH_TYPES].seen ? (char **)v[DH_TYPES].many : NULL;
    req.n_alarm_types = v[DH_TYPES].seen ? v[DH_TYPES].n_many : 0;
    req.history_item_type = (char *)v[DH_ITEM_TYPE].one;
    req.scan_by = (char *)v[DH_SCAN_BY].one;
    if (v[DH_START].seen) {
        req.has_start_date_ms = true;
        if ((r = st_args_parse_time("--start-date", v[DH_START].one, &req.start_date_ms, err)) <
            0) {
            return r;
        }
    }
    if (v[DH_END].seen) {
        req.has_end_date_ms = true;
        if ((r = st_args_parse_time("--end-date", v[DH_END].one, &req.end_date_ms, err)) < 0) {
            return r;
        }
    }
    int64_t max_items = 0;
    if (v[DH_MAX_ITEMS].seen && (r = st_args_parse_int("--max-items", v[DH_MAX_ITEMS].one, 1,
                                                       INT32_MAX, &max_items, err)) < 0) {
        return r;
    }
    struct st_pb_pages pages = {0};
    void **items = NULL;
    size_t n_items = 0;
    const struct st_api_list list = {"alarm_history_items", &items, &n_items};
    r = st_api_call_pages(cli, "DescribeAlarmHistory", &req.base,
                          &stratus__describe_alarm_history_response__descriptor, &list, 1,
                          (size_t)max_items, MAX_PAGES, &pages, err);
    if (r == 0) {
        if (max_items && n_items > (size_t)max_items) {
            n_items = (size_t)max_items;
        }
        st_output_alarm_history(cli->out, (Stratus__AlarmHistoryItem *const *)items, n_items);
    }
    st_free(items);
    st_pb_pages_fini(&pages);
    return r;
}

/* --- set-alarm-state --- */

enum {
    SS_NAME,
    SS_STATE,
    SS_REASON,
    SS_REASON_DATA,
    SS__COUNT,
};

static const struct st_args_flag ss_flags[SS__COUNT] = {
    [SS_NAME] = {"--alarm-name", ST_ARGS_ONE},
    [SS_STATE] = {"--state-value", ST_ARGS_ONE},
    [SS_REASON] = {"--state-reason", ST_ARGS_ONE},
    [SS_REASON_DATA] = {"--state-reason-data", ST_ARGS_ONE},
};

int st_cmd_set_alarm_state(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[SS__COUNT];
    int r = st_args_parse(argc, argv, ss_flags, SS__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    for (int i = SS_NAME; i <= SS_REASON; i++) {
        if (!v[i].seen) {
            return st_args_required(err, ss_flags[i].name);
        }
    }
    Stratus__SetAlarmStateRequest req = STRATUS__SET_ALARM_STATE_REQUEST__INIT;
    req.alarm_name = (char *)v[SS_NAME].one;
    req.state_value = (char *)v[SS_STATE].one;
    req.state_reason = (char *)v[SS_REASON].one;
    req.state_reason_data = (char *)v[SS_REASON_DATA].one;
    return st_api_call_empty(cli, "SetAlarmState", &req.base,
                             &stratus__set_alarm_state_response__descriptor, err);
}

/* --- delete-alarms, enable-alarm-actions, disable-alarm-actions --- */

static const struct st_args_flag names_flags[1] = {{"--alarm-names", ST_ARGS_MANY}};

static int names_verb(const struct st_cli *cli, int argc, char **argv, const char *op,
                      const ProtobufCMessageDescriptor *req_desc,
                      const ProtobufCMessageDescriptor *resp_desc, struct st_error *err)
{
    struct st_args_value v[1];
    int r = st_args_parse(argc, argv, names_flags, 1, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[0].seen) {
        return st_args_required(err, "--alarm-names");
    }
    /* The three requests have the same shape: one repeated string, field 1. */
    Stratus__DeleteAlarmsRequest req = STRATUS__DELETE_ALARMS_REQUEST__INIT;
    req.base.descriptor = req_desc;
    req.alarm_names = (char **)v[0].many;
    req.n_alarm_names = v[0].n_many;
    return st_api_call_empty(cli, op, &req.base, resp_desc, err);
}

int st_cmd_delete_alarms(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    return names_verb(cli, argc, argv, "DeleteAlarms", &stratus__delete_alarms_request__descriptor,
                      &stratus__delete_alarms_response__descriptor, err);
}

int st_cmd_enable_alarm_actions(const struct st_cli *cli, int argc, char **argv,
                                struct st_error *err)
{
    return names_verb(cli, argc, argv, "EnableAlarmActions",
                      &stratus__enable_alarm_actions_request__descriptor,
                      &stratus__enable_alarm_actions_response__descriptor, err);
}

int st_cmd_disable_alarm_actions(const struct st_cli *cli, int argc, char **argv,
                                 struct st_error *err)
{
    return names_verb(cli, argc, argv, "DisableAlarmActions",
                      &stratus__disable_alarm_actions_request__descriptor,
                      &stratus__disable_alarm_actions_response__descriptor, err);
}
