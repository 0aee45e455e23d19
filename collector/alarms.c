/* SPDX-License-Identifier: MIT */
/*
 * The alarm table, scheduler, transitions and actions (alarms.h).
 *
 * Evaluation: each tick takes every idle metric alarm that is due. When its evaluation range
 * is all in the hot window (st_query_hot_points: above the routing watermark, so nothing of it
 * can be in the store), the period datapoints are computed from the live buckets and the pure
 * evaluator runs at once, on the loop thread. Otherwise it snapshots its metric over the range
 * (st_query_snapshot, as GetMetricStatistics does) and hands the query to the query pool; the
 * pool's loop-thread callback takes the period datapoints and runs the evaluator. Either way a
 * datapoint that arrived late is simply in the next evaluation, and nothing on the loop waits
 * for disk.
 *
 * Transitions: a changed state is written (state columns and a StateUpdate history item, one
 * transaction) by the alarm_db worker; only when that commit is done does the loop apply the
 * state in memory and start the actions. An alarm with a write in flight is not evaluated,
 * and after a crash the stored state is loaded as it is: no action runs twice.
 */
#include "alarms.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"
#include "stratus/series_key.h"
#include "stratus/time_util.h"

#define ACCOUNT "000000000000"
#define REGION  "local"

void st_alarm_arn(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "arn:aws:cloudwatch:" REGION ":" ACCOUNT ":alarm:%s", name);
}

/* --- the table --- */

static void alarm_free(struct st_alarm *al)
{
    if (!al) {
        return;
    }
    if (al->metric) {
        stratus__put_metric_alarm_request__free_unpacked(al->metric, NULL);
    }
    if (al->comp) {
        stratus__put_composite_alarm_request__free_unpacked(al->comp, NULL);
    }
    st_alarm_rule_free(al->rule);
    st_free(al->reason);
    st_free(al->reason_data);
    st_free(al);
}

size_t st_alarms_lower_bound(const struct st_alarms *a, const char *name)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(a->items[mid]->name, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

struct st_alarm *st_alarms_find(struct st_alarms *a, const char *name)
{
    size_t i = st_alarms_lower_bound(a, name);
    return i < a->n && strcmp(a->items[i]->name, name) == 0 ? a->items[i] : NULL;
}

static int table_insert(struct st_alarms *a, struct st_alarm *al)
{
    if (al->composite && a->n_comps == a->cap_comps) {
        size_t cap = a->cap_comps ? a->cap_comps * 2 : 16;
        struct st_alarm **comps = st_realloc(a->comps, cap * sizeof(*comps));
        if (!comps) {
            return -ENOMEM;
        }
        a->comps = comps;
        a->cap_comps = cap;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct st_alarm **items = st_realloc(a->items, cap * sizeof(*items));
        if (!items) {
            return -ENOMEM;
        }
        a->items = items;
        a->cap = cap;
    }
    size_t i = st_alarms_lower_bound(a, al->name);
    memmove(&a->items[i + 1], &a->items[i], (a->n - i) * sizeof(*a->items));
    a->items[i] = al;
    a->n++;
    if (al->composite) {
        a->comps[a->n_comps++] = al;
    }
    return 0;
}

static void table_remove(struct st_alarms *a, const char *name)
{
    size_t i = st_alarms_lower_bound(a, name);
    if (i < a->n && strcmp(a->items[i]->name, name) == 0) {
        for (size_t k = 0; a->items[i]->composite && k < a->n_comps; k++) {
            if (a->comps[k] == a->items[i]) {
                a->comps[k] = a->comps[--a->n_comps];
                break;
            }
        }
        alarm_free(a->items[i]);
        memmove(&a->items[i], &a->items[i + 1], (a->n - i - 1) * sizeof(*a->items));
        a->n--;
    }
}

static int set_str(char **dst, const char *s)
{
    char *copy = st_strdup(s ? s : "");
    if (!copy) {
        return -ENOMEM;
    }
    st_free(*dst);
    *dst = copy;
    return 0;
}

/* --- JSON shapes --- */

static json_object *json_str_array(char **items, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object_array_add(arr, json_object_new_string(items[i]));
    }
    return arr;
}

static json_object *json_time(int64_t ms)
{
    char buf[40];
    st_alarm_format_iso_time(ms, buf, sizeof(buf));
    return json_object_new_string(buf);
}

/* The "Message" of CloudWatch's SNS notification: what hooks get on stdin and webhooks in
 * their body. Returned as a string the caller frees with st_free. */
static char *alarm_message(const struct st_alarm *al, enum st_alarm_state old, int64_t ts)
{
    char arn[300];
    st_alarm_arn(al->name, arn, sizeof(arn));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "AlarmName", json_object_new_string(al->name));
    const char *desc = al->composite ? al->comp->alarm_description : al->metric->alarm_description;
    json_object_object_add(o, "AlarmDescription", desc ? json_object_new_string(desc) : NULL);
    json_object_object_add(o, "AWSAccountId", json_object_new_string(ACCOUNT));
    json_object_object_add(o, "AlarmConfigurationUpdatedTimestamp",
                           json_time(al->config_updated_ms));
    json_object_object_add(o, "NewStateValue",
                           json_object_new_string(st_alarm_state_name(al->state)));
    json_object_object_add(o, "NewStateReason", json_object_new_string(al->reason));
    json_object_object_add(o, "StateChangeTime", json_time(ts));
    json_object_object_add(o, "Region", json_object_new_string(REGION));
    json_object_object_add(o, "AlarmArn", json_object_new_string(arn));
    json_object_object_add(o, "OldStateValue", json_object_new_string(st_alarm_state_name(old)));
    if (al->composite) {
        const Stratus__PutCompositeAlarmRequest *d = al->comp;
        json_object_object_add(o, "AlarmRule", json_object_new_string(d->alarm_rule));
        json_object_object_add(o, "OKActions", json_str_array(d->ok_actions, d->n_ok_actions));
        json_object_object_add(o, "AlarmActions",
                               json_str_array(d->alarm_actions, d->n_alarm_actions));
        json_object_object_add(
            o, "InsufficientDataActions",
            json_str_array(d->insufficient_data_actions, d->n_insufficient_data_actions));
    } else {
        const Stratus__PutMetricAlarmRequest *d = al->metric;
        json_object_object_add(o, "OKActions", json_str_array(d->ok_actions, d->n_ok_actions));
        json_object_object_add(o, "AlarmActions",
                               json_str_array(d->alarm_actions, d->n_alarm_actions));
        json_object_object_add(
            o, "InsufficientDataActions",
            json_str_array(d->insufficient_data_actions, d->n_insufficient_data_actions));
        json_object *t = json_object_new_object();
        json_object_object_add(t, "MetricName", json_object_new_string(d->metric_name));
        json_object_object_add(t, "Namespace", json_object_new_string(d->namespace_));
        if (d->extended_statistic) {
            json_object_object_add(t, "StatisticType", json_object_new_string("ExtendedStatistic"));
            json_object_object_add(t, "ExtendedStatistic",
                                   json_object_new_string(d->extended_statistic));
        } else {
            char upper[32];
            snprintf(upper, sizeof(upper), "%s", d->statistic);
            for (char *p = upper; *p; p++) {
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            }
            json_object_object_add(t, "StatisticType", json_object_new_string("Statistic"));
            json_object_object_add(t, "Statistic", json_object_new_string(upper));
        }
        json_object_object_add(t, "Unit", d->unit ? json_object_new_string(d->unit) : NULL);
        json_object *dims = json_object_new_array();
        for (size_t i = 0; i < d->n_dimensions; i++) {
            json_object *dim = json_object_new_object();
            json_object_object_add(dim, "value", json_object_new_string(d->dimensions[i]->value));
            json_object_object_add(dim, "name", json_object_new_string(d->dimensions[i]->name));
            json_object_array_add(dims, dim);
        }
        json_object_object_add(t, "Dimensions", dims);
        json_object_object_add(t, "Period", json_object_new_int(d->period));
        json_object_object_add(t, "EvaluationPeriods", json_object_new_int((int)al->n));
        json_object_object_add(t, "DatapointsToAlarm", json_object_new_int((int)al->m));
        json_object_object_add(t, "ComparisonOperator",
                               json_object_new_string(st_alarm_cmp_name(al->cmp)));
        json_object_object_add(t, "Threshold", json_object_new_double(d->threshold));
        json_object_object_add(t, "TreatMissingData",
                               json_object_new_string(st_alarm_missing_name(al->missing)));
        json_object_object_add(t, "EvaluateLowSampleCountPercentile",
                               json_object_new_string(d->evaluate_low_sample_count_percentile
                                                          ? d->evaluate_low_sample_count_percentile
                                                          : ""));
        json_object_object_add(o, "Trigger", t);
    }
    char *s = st_strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* The SNS envelope around a message, as an HTTP subscription receives it. */
static char *sns_envelope(const struct st_alarm *al, const char *message, int64_t ts)
{
    json_object *o = json_object_new_object();
    char id[64], subject[400];
    snprintf(id, sizeof(id), "%016" PRIx64 "-%08" PRIx64, (uint64_t)ts, al->uid);
    snprintf(subject, sizeof(subject), "%s: \"%s\" in " REGION, st_alarm_state_name(al->state),
             al->name);
    json_object_object_add(o, "Type", json_object_new_string("Notification"));
    json_object_object_add(o, "MessageId", json_object_new_string(id));
    json_object_object_add(o, "TopicArn",
                           json_object_new_string("arn:aws:sns:" REGION ":" ACCOUNT ":stratus"));
    json_object_object_add(o, "Subject", json_object_new_string(subject));
    json_object_object_add(o, "Message", json_object_new_string(message));
    json_object_object_add(o, "Timestamp", json_time(ts));
    json_object_object_add(o, "SignatureVersion", json_object_new_string("1"));
    json_object_object_add(o, "Signature", json_object_new_string(""));
    json_object_object_add(o, "SigningCertURL", json_object_new_string(""));
    json_object_object_add(o, "UnsubscribeURL", json_object_new_string(""));
    char *s = st_strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* --- history jobs --- */

struct history_job {
    struct st_alarm_history_row row;
    char *name, *summary, *data;
};

static void run_history(sqlite3 *db, void *data)
{
    struct history_job *j = data;
    if (st_alarm_db_add_history(db, &j->row) < 0) {
        st_log_warning("alarms: cannot record a history item of %s: %s", j->name,
                       sqlite3_errmsg(db));
    }
}

static void done_history(void *data)
{
    struct history_job *j = data;
    st_free(j->name);
    st_free(j->summary);
    st_free(j->data);
    st_free(j);
}

void st_alarms_add_history(struct st_alarms *a, const char *name, bool composite, int64_t ts,
                           const char *item_type, const char *summary, const char *json)
{
    struct history_job *j = st_calloc(1, sizeof(*j));
    if (!j || !(j->name = st_strdup(name)) || !(j->summary = st_strdup(summary)) ||
        !(j->data = st_strdup(json))) {
        if (j) {
            done_history(j);
        }
        st_log_warning("alarms: out of memory recording history of %s", name);
        return;
    }
    j->row = (struct st_alarm_history_row){
        .alarm_name = j->name,
        .alarm_type = composite ? "CompositeAlarm" : "MetricAlarm",
        .timestamp_ms = ts,
        .item_type = item_type,
        .summary = j->summary,
        .data = j->data,
    };
    if (st_alarm_db_submit(a->db, run_history, done_history, j) < 0) {
        done_history(j);
    }
}

/* --- actions --- */

struct action_ctx {
    struct st_alarms *a;
    char *name;
    char *action;
    bool composite;
    int64_t ts;
};

static void action_ctx_free(struct action_ctx *x)
{
    st_free(x->name);
    st_free(x->action);
    st_free(x);
}

static void record_action(struct action_ctx *x, bool ok, const char *detail, int exit_status,
                          const char *output, size_t output_len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "actionState", json_object_new_string(ok ? "Succeeded" : "Failed"));
    json_object_object_add(o, "stateUpdateTimestamp", json_object_new_int64(x->ts));
    json_object_object_add(o, "notificationResource", json_object_new_string(x->action));
    json_object_object_add(o, "exitStatus", json_object_new_int(exit_status));
    json_object_object_add(o, "detail", json_object_new_string(detail));
    json_object_object_add(o, "output", json_object_new_string_len(output, (int)output_len));
    char summary[1400];
    snprintf(summary, sizeof(summary), "%s action %s: %s", ok ? "Successfully executed" : "Failed",
             x->action, detail);
    st_alarms_add_history(
        x->a, x->name, x->composite, st_wall_ms(), "Action", summary,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void on_action_done(const struct st_action_result *res, void *data)
{
    struct action_ctx *x = data;
    if (!x->a->stopping) {
        if (!res->ok) {
            st_log_warning("alarms: action %s of %s failed: %s", x->action, x->name, res->detail);
        }
        record_action(x, res->ok, res->detail, res->exit_status, res->output, res->output_len);
    }
    action_ctx_free(x);
}

static void run_one_action(struct st_alarms *a, const struct st_alarm *al, const char *action,
                           enum st_alarm_state old, const char *message, int64_t ts,
                           const struct st_scaling_values *v)
{
    if (strncmp(action, ST_ACTION_SCALING_PREFIX, strlen(ST_ACTION_SCALING_PREFIX)) == 0) {
        a->actions_run++;
        st_scaling_invoke(a->scaling, action, al, v);
        return;
    }
    struct action_ctx *x = st_calloc(1, sizeof(*x));
    if (!x || !(x->name = st_strdup(al->name)) || !(x->action = st_strdup(action))) {
        if (x) {
            action_ctx_free(x);
        }
        return;
    }
    x->a = a;
    x->composite = al->composite;
    x->ts = ts;
    struct st_error err = {{0}};
    int r;
    a->actions_run++;
    if (strncmp(action, "exec:", 5) == 0) {
        char *env[5] = {NULL};
        size_t rl = strlen(al->reason);
        env[0] = st_malloc(strlen(al->name) + 32);
        env[1] = st_malloc(64);
        env[2] = st_malloc(64);
        env[3] = st_malloc(rl + 32);
        r = -ENOMEM;
        if (env[0] && env[1] && env[2] && env[3]) {
            sprintf(env[0], "STRATUS_ALARM_NAME=%s", al->name);
            sprintf(env[1], "STRATUS_ALARM_OLD_STATE=%s", st_alarm_state_name(old));
            sprintf(env[2], "STRATUS_ALARM_NEW_STATE=%s", st_alarm_state_name(al->state));
            sprintf(env[3], "STRATUS_ALARM_REASON=%s", al->reason);
            r = st_actions_exec(a->actions, action, (const char *const *)env, message,
                                strlen(message), on_action_done, x, &err);
        }
        for (int i = 0; i < 4; i++) {
            st_free(env[i]);
        }
    } else if (strncmp(action, "http://", 7) == 0 || strncmp(action, "https://", 8) == 0) {
        char *body = sns_envelope(al, message, ts);
        r = body ? st_actions_http(a->actions, action, body, strlen(body), on_action_done, x, &err)
                 : -ENOMEM;
        st_free(body);
    } else {
        r = st_error_set(&err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "unknown action");
    }
    if (r < 0) {
        st_log_warning("alarms: action %s of %s did not start: %s", action, al->name,
                       err.message[0] ? err.message : strerror(-r));
        record_action(x, false, err.message[0] ? err.message : strerror(-r), -1, "", 0);
        action_ctx_free(x);
    }
}

/* The action list of al's current state. */
static char **state_actions(const struct st_alarm *al, size_t *ret_n)
{
    char **list;
    size_t n;
    bool comp = al->composite;
    switch (al->state) {
    case ST_ALARM_STATE_ALARM:
        list = comp ? al->comp->alarm_actions : al->metric->alarm_actions;
        n = comp ? al->comp->n_alarm_actions : al->metric->n_alarm_actions;
        break;
    case ST_ALARM_STATE_OK:
        list = comp ? al->comp->ok_actions : al->metric->ok_actions;
        n = comp ? al->comp->n_ok_actions : al->metric->n_ok_actions;
        break;
    default:
        list = comp ? al->comp->insufficient_data_actions : al->metric->insufficient_data_actions;
        n = comp ? al->comp->n_insufficient_data_actions : al->metric->n_insufficient_data_actions;
        break;
    }
    *ret_n = n;
    return list;
}

static void run_actions(struct st_alarms *a, const struct st_alarm *al, enum st_alarm_state old,
                        int64_t ts, const struct st_scaling_values *v)
{
    size_t n;
    char **list = state_actions(al, &n);
    if (n == 0) {
        return;
    }
    char *message = alarm_message(al, old, ts);
    if (!message) {
        st_log_warning("alarms: out of memory running the actions of %s", al->name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        run_one_action(a, al, list[i], old, message, ts, v);
    }
    st_free(message);
}

/* --- transitions --- */

struct state_job {
    struct st_alarms *a;
    uint64_t uid;
    char *name;
    bool composite;
    enum st_alarm_state old, to;
    char *reason, *reason_data, *history, *summary;
    int64_t ts;
    struct st_scaling_values values; /* what the evaluation saw, for scaling policies */
    struct st_call *call;
    int status;
};

static void state_job_free(struct state_job *j)
{
    st_free(j->name);
    st_free(j->reason);
    st_free(j->reason_data);
    st_free(j->history);
    st_free(j->summary);
    st_free(j);
}

static void run_state(sqlite3 *db, void *data)
{
    struct state_job *j = data;
    struct st_alarm_row row = {
        .name = j->name,
        .state = (int)j->to,
        .reason = j->reason,
        .reason_data = j->reason_data,
        .state_updated_ms = j->ts,
        .state_transitioned_ms = j->ts,
    };
    struct st_alarm_history_row h = {
        .alarm_name = j->name,
        .alarm_type = j->composite ? "CompositeAlarm" : "MetricAlarm",
        .timestamp_ms = j->ts,
        .item_type = "StateUpdate",
        .summary = j->summary,
        .data = j->history,
    };
    j->status = st_alarm_db_begin(db);
    if (j->status == 0 && (st_alarm_db_set_state(db, &row) < 0 ||
                           st_alarm_db_add_history(db, &h) < 0 || st_alarm_db_commit(db) < 0)) {
        st_log_warning("alarms: cannot store the state of %s: %s", j->name, sqlite3_errmsg(db));
        st_alarm_db_rollback(db);
        j->status = -EIO;
    }
}

static void evaluate_composites(struct st_alarms *a, const char *changed);

static void done_state(void *data)
{
    struct state_job *j = data;
    struct st_alarms *a = j->a;
    struct st_alarm *al = st_alarms_find(a, j->name);
    if (al && al->uid == j->uid) {
        al->inflight--;
    } else {
        al = NULL; /* deleted meanwhile */
    }
    if (j->status == 0 && al) {
        enum st_alarm_state old = al->state;
        if (set_str(&al->reason, j->reason) == 0 &&
            set_str(&al->reason_data, j->reason_data) == 0) {
            al->state = j->to;
            al->state_updated_ms = j->ts;
            if (old != j->to) {
                al->state_transitioned_ms = j->ts;
            }
        }
        if (old != al->state) {
            a->transitions++;
            st_log_info("alarms: %s: %s -> %s", al->name, st_alarm_state_name(old),
                        st_alarm_state_name(al->state));
            if (al->actions_enabled && !a->stopping) {
                run_actions(a, al, old, j->ts, &j->values);
            }
            evaluate_composites(a, al->name);
        }
    }
    if (j->call) {
        if (j->status < 0) {
            st_call_fail_status(j->call, 500, ST_ERR_INTERNAL_FAILURE,
                                "the alarm state could not be stored");
        } else {
            st_call_reply_packed(j->call, NULL, 0);
        }
    }
    state_job_free(j);
}

static char *history_json(const struct st_alarm *al, enum st_alarm_state to, const char *reason,
                          const char *reason_data)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_string("1.0"));
    json_object *old = json_object_new_object();
    json_object_object_add(old, "stateValue",
                           json_object_new_string(st_alarm_state_name(al->state)));
    json_object_object_add(old, "stateReason", json_object_new_string(al->reason));
    json_object_object_add(o, "oldState", old);
    json_object *nw = json_object_new_object();
    json_object_object_add(nw, "stateValue", json_object_new_string(st_alarm_state_name(to)));
    json_object_object_add(nw, "stateReason", json_object_new_string(reason));
    json_object *rd = reason_data && reason_data[0] ? json_tokener_parse(reason_data) : NULL;
    if (rd) {
        json_object_object_add(nw, "stateReasonData", rd);
    }
    json_object_object_add(o, "newState", nw);
    char *s = st_strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* Stores the move of al to `to` and applies it when durable; replies to call if not NULL. */
static void transition(struct st_alarms *a, struct st_alarm *al, enum st_alarm_state to,
                       const char *reason, const char *reason_data,
                       const struct st_scaling_values *values, struct st_call *call)
{
    struct state_job *j = st_calloc(1, sizeof(*j));
    char summary[400];
    snprintf(summary, sizeof(summary), "Alarm updated from %s to %s",
             st_alarm_state_name(al->state), st_alarm_state_name(to));
    if (!j || !(j->name = st_strdup(al->name)) || !(j->reason = st_strdup(reason)) ||
        !(j->reason_data = st_strdup(reason_data ? reason_data : "")) ||
        !(j->history = history_json(al, to, reason, reason_data)) ||
        !(j->summary = st_strdup(summary))) {
        goto oom;
    }
    j->a = a;
    j->uid = al->uid;
    j->composite = al->composite;
    j->old = al->state;
    j->to = to;
    j->ts = st_wall_ms();
    j->call = call;
    if (values) {
        j->values = *values;
    }
    if (st_alarm_db_submit(a->db, run_state, done_state, j) < 0) {
        goto oom;
    }
    al->inflight++;
    return;
oom:
    if (j) {
        state_job_free(j);
    }
    st_log_warning("alarms: out of memory storing the state of %s", al->name);
    if (call) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
}

void st_alarms_set_state(struct st_alarms *a, struct st_alarm *al, enum st_alarm_state state,
                         const char *reason, const char *reason_data, struct st_call *call)
{
    transition(a, al, state, reason, reason_data, NULL, call);
}

/* --- composite alarms --- */

static int state_of(const char *name, void *data)
{
    struct st_alarm *al = st_alarms_find(data, name);
    return al ? (int)al->state : -1;
}

static void evaluate_composite(struct st_alarms *a, struct st_alarm *al, const char *changed)
{
    if (al->inflight > 0) {
        return; /* its previous move is being stored; the done callback evaluates again */
    }
    bool on = st_alarm_rule_eval(al->rule, state_of, a);
    enum st_alarm_state to = on ? ST_ALARM_STATE_ALARM : ST_ALARM_STATE_OK;
    if (to == al->state) {
        return;
    }
    int64_t now = st_wall_ms();
    char reason[600], when[40];
    st_alarm_format_iso_time(now, when, sizeof(when));
    if (changed) {
        char arn[300];
        struct st_alarm *c = st_alarms_find(a, changed);
        st_alarm_arn(changed, arn, sizeof(arn));
        snprintf(reason, sizeof(reason), "%s transitioned to %s at %s", arn,
                 c ? st_alarm_state_name(c->state) : "a deleted state", when);
    } else {
        snprintf(reason, sizeof(reason), "AlarmRule evaluated to %s at %s", on ? "TRUE" : "FALSE",
                 when);
    }
    json_object *o = json_object_new_object();
    json_object *trig = json_object_new_array();
    for (size_t i = 0; i < st_alarm_rule_n_refs(al->rule); i++) {
        const char *ref = st_alarm_rule_ref(al->rule, i);
        struct st_alarm *c = st_alarms_find(a, ref);
        if (!c) {
            continue;
        }
        char arn[300];
        st_alarm_arn(ref, arn, sizeof(arn));
        json_object *t = json_object_new_object();
        json_object_object_add(t, "arn", json_object_new_string(arn));
        json_object *s = json_object_new_object();
        json_object_object_add(s, "value", json_object_new_string(st_alarm_state_name(c->state)));
        json_object_object_add(s, "timestamp", json_time(c->state_transitioned_ms));
        json_object_object_add(t, "state", s);
        json_object_array_add(trig, t);
    }
    json_object_object_add(o, "triggeringAlarms", trig);
    transition(
        a, al, to, reason,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        NULL, NULL);
    json_object_put(o);
}

static void evaluate_composites(struct st_alarms *a, const char *changed)
{
    for (size_t i = 0; i < a->n_comps; i++) {
        struct st_alarm *al = a->comps[i];
        if (!al->rule) {
            continue;
        }
        bool refers = !changed;
        for (size_t k = 0; changed && k < st_alarm_rule_n_refs(al->rule) && !refers; k++) {
            refers = strcmp(st_alarm_rule_ref(al->rule, k), changed) == 0;
        }
        if (refers) {
            evaluate_composite(a, al, changed);
        }
    }
}

/* --- evaluation of metric alarms --- */

/*
 * Alarms due in a round that watch the same metric (namespace, name, dimensions) with the same
 * period and unit form a group, and one snapshot and one query serve the whole group: a
 * warning and a critical threshold, several statistics of one metric, a target tracking
 * policy's high and low alarms. The query asks for every statistic and percentile the group
 * needs over the longest range; each alarm then evaluates its own statistic over its own range.
 */
struct eval_member {
    char *name;
    uint64_t uid, gen;
    unsigned n_points; /* its range: the newest n_points periods of the query */
    int qi;            /* index of its percentile in the query, -1 for a statistic */
};

struct eval_ctx {
    struct st_alarms *a;
    int64_t start_s, period_s; /* the query's range */
    unsigned n_points;
    int64_t query_ms;
    size_t n;
    struct eval_member m[];
};

static void eval_ctx_free(struct eval_ctx *x)
{
    for (size_t i = 0; i < x->n; i++) {
        st_free(x->m[i].name);
    }
    st_free(x);
}

/* The alarm's statistic in a period of the answer; false when the period does not have it. */
static bool point_value(const struct st_alarm *al, int qi, const struct st_query_point *p,
                        double *ret_value)
{
    switch (al->stat) {
    case ST_STAT_SAMPLE_COUNT:
        *ret_value = p->count;
        return true;
    case ST_STAT_AVERAGE:
        *ret_value = p->sum / p->count;
        return true;
    case ST_STAT_SUM:
        *ret_value = p->sum;
        return true;
    case ST_STAT_MINIMUM:
        *ret_value = p->min;
        return p->has_min;
    case ST_STAT_MAXIMUM:
        *ret_value = p->max;
        return p->has_max;
    default:
        if (qi < 0 || qi >= ST_MAX_EXT_STATISTICS || !p->has_quantile[qi]) {
            return false;
        }
        *ret_value = p->quantile[qi];
        return true;
    }
}

/* Evaluates al (its percentile is the query's qi-th, its range the newest n_points periods
 * of x's) on the answer qp[0..n_qp); pts has room for x->n_points. False if it could not. */
static bool evaluate_alarm(struct st_alarms *a, const struct eval_ctx *x, struct st_alarm *al,
                           int qi, unsigned n_points, const struct st_query_point *qp, size_t n_qp,
                           struct st_alarm_point *pts, struct st_alarm_eval_out *out)
{
    int64_t period = x->period_s;
    int64_t start_s = x->start_s + (int64_t)(x->n_points - n_points) * period;
    memset(pts, 0, n_points * sizeof(*pts));
    for (unsigned i = 0; i < n_points; i++) {
        pts[i].t_ms = (start_s + (int64_t)i * period) * 1000;
    }
    for (size_t i = 0; i < n_qp; i++) {
        const struct st_query_point *p = &qp[i];
        int64_t off = p->t_ms / 1000 - start_s;
        if (off < 0 || off % period != 0 || off / period >= (int64_t)n_points) {
            continue;
        }
        struct st_alarm_point *pt = &pts[off / period];
        bool ok = point_value(al, qi, p, &pt->value);
        if (!ok) {
            pt->value = 0;
        }
        pt->present = ok && p->count > 0;
        pt->sample_count = p->count;
    }
    const Stratus__PutMetricAlarmRequest *d = al->metric;
    struct st_alarm_eval_in in = {
        .state = al->state,
        .n = al->n,
        .m = al->m,
        .threshold = d->threshold,
        .cmp = al->cmp,
        .missing = al->missing,
        .period_s = d->period,
        .statistic = d->extended_statistic ? d->extended_statistic : d->statistic,
        .percentile = d->extended_statistic != NULL,
        .quantile = al->quantile,
        .low_sample_ignore = al->low_sample_ignore,
        .points = pts,
        .n_points = n_points,
        .query_ms = x->query_ms,
    };
    /* The newest N real datapoints: what the evaluator evaluates (docs/alarms.md). */
    struct st_scaling_values values = {0};
    for (unsigned i = n_points; i-- > 0 && values.n < al->n;) {
        if (pts[i].present) {
            st_scaling_values_add(&values, pts[i].value);
        }
    }
    if (st_alarm_eval(&in, out) < 0) {
        return false;
    }
    a->evaluations++;
    if (out->changed) {
        transition(a, al, out->state, out->reason, out->reason_data, &values, NULL);
    } else if (al->actions_enabled) {
        /* As CloudWatch: scaling actions run at every evaluation, not only on changes. */
        size_t n;
        char **list = state_actions(al, &n);
        for (size_t i = 0; i < n; i++) {
            if (strncmp(list[i], ST_ACTION_SCALING_PREFIX, strlen(ST_ACTION_SCALING_PREFIX)) == 0) {
                a->actions_run++;
                st_scaling_invoke(a->scaling, list[i], al, &values);
            }
        }
    }
    return true;
}

/* Evaluates one alarm of a finished group query. */
static void evaluate_member(struct st_alarms *a, const struct eval_ctx *x,
                            const struct eval_member *m, const struct st_query *q,
                            struct st_alarm_point *pts, struct st_alarm_eval_out *out)
{
    struct st_alarm *al = st_alarms_find(a, m->name);
    if (!al || al->uid != m->uid) {
        return; /* deleted meanwhile */
    }
    al->inflight--;
    /* Dropped: redefined meanwhile, or a state write pending. */
    if (al->gen != m->gen || al->inflight > 0) {
        return;
    }
    evaluate_alarm(a, x, al, m->qi, m->n_points, q->points, q->n_points, pts, out);
}

static void on_eval_done(struct st_query *q, void *data)
{
    struct eval_ctx *x = data;
    struct st_alarms *a = x->a;
    struct st_alarm_point *pts = NULL;
    struct st_alarm_eval_out *out = NULL;
    if (!a->stopping && q->status == 0) {
        pts = st_calloc(x->n_points, sizeof(*pts));
        out = st_malloc(sizeof(*out));
    }
    for (size_t i = 0; i < x->n; i++) {
        if (pts && out) {
            evaluate_member(a, x, &x->m[i], q, pts, out);
            continue;
        }
        /* The query failed (or memory ran out): only release the alarms. */
        struct st_alarm *al = st_alarms_find(a, x->m[i].name);
        if (al && al->uid == x->m[i].uid) {
            al->inflight--;
        }
    }
    st_free(pts);
    st_free(out);
    eval_ctx_free(x);
    st_query_free(q);
}

/* Room for n periods in the table's scratch buffers of st_query_hot_points answers. */
static int scratch_reserve(struct st_alarms *a, size_t n)
{
    if (!a->scratch_out && !(a->scratch_out = st_malloc(sizeof(*a->scratch_out)))) {
        return -ENOMEM;
    }
    if (n <= a->scratch_cap) {
        return 0;
    }
    struct st_query_point *qp = st_realloc(a->scratch_qp, n * sizeof(*qp));
    if (!qp) {
        return -ENOMEM;
    }
    a->scratch_qp = qp;
    struct st_alarm_point *pts = st_realloc(a->scratch_pts, n * sizeof(*pts));
    if (!pts) {
        return -ENOMEM;
    }
    a->scratch_pts = pts;
    a->scratch_cap = n;
    return 0;
}

/*
 * Evaluates the group now, on the loop thread, when its range is all in the hot window
 * (st_query_hot_points): no snapshot, no query thread, no reply to pack and unpack. Returns
 * false when the group needs the store (or memory ran out): the caller then queries.
 */
static bool evaluate_in_memory(struct st_alarms *a, const struct eval_ctx *x,
                               struct st_alarm **group,
                               const Stratus__GetMetricStatisticsRequest *req,
                               const struct st_stats_query *q)
{
    size_t n_qp;
    if (scratch_reserve(a, x->n_points) < 0 ||
        st_query_hot_points(&a->c->hot, req, q, x->query_ms, a->scratch_qp, a->scratch_cap, &n_qp) <
            0) {
        return false;
    }
    for (size_t i = 0; i < x->n; i++) {
        a->evaluations_in_memory +=
            evaluate_alarm(a, x, group[i], x->m[i].qi, x->m[i].n_points, a->scratch_qp, n_qp,
                           a->scratch_pts, a->scratch_out);
    }
    return true;
}

static int str_cmp(const char *x, const char *y)
{
    return strcmp(x ? x : "", y ? y : "");
}

/* Orders alarms so that those one query can serve are adjacent (equal under this order). */
static int metric_cmp(const void *pa, const void *pb)
{
    const struct st_alarm *x = *(const struct st_alarm *const *)pa;
    const struct st_alarm *y = *(const struct st_alarm *const *)pb;
    if (x->metric_id != y->metric_id) {
        return x->metric_id < y->metric_id ? -1 : 1;
    }
    const Stratus__PutMetricAlarmRequest *d = x->metric, *e = y->metric;
    if (d->period != e->period) {
        return d->period < e->period ? -1 : 1;
    }
    int r;
    if ((r = str_cmp(d->unit, e->unit)) != 0 || (r = str_cmp(d->namespace_, e->namespace_)) != 0 ||
        (r = str_cmp(d->metric_name, e->metric_name)) != 0) {
        return r;
    }
    if (d->n_dimensions != e->n_dimensions) {
        return d->n_dimensions < e->n_dimensions ? -1 : 1;
    }
    for (size_t i = 0; i < d->n_dimensions; i++) {
        if ((r = str_cmp(d->dimensions[i]->name, e->dimensions[i]->name)) != 0 ||
            (r = str_cmp(d->dimensions[i]->value, e->dimensions[i]->value)) != 0) {
            return r;
        }
    }
    return 0;
}

/* Index of quantile q in the query, adding it if there is room; -1 when full. */
static int query_quantile(struct st_stats_query *q, char **names, const struct st_alarm *al)
{
    for (unsigned i = 0; i < q->n_quantiles; i++) {
        if (q->quantiles[i] == al->quantile) {
            return (int)i;
        }
    }
    if (q->n_quantiles == ST_MAX_EXT_STATISTICS) {
        return -1;
    }
    names[q->n_quantiles] = al->metric->extended_statistic;
    q->quantiles[q->n_quantiles] = al->quantile;
    return (int)q->n_quantiles++;
}

/* Starts one query for group[0..n) (alarms equal under metric_cmp). Returns how many of them
 * it took: fewer than n when their percentiles do not fit in one query. */
static size_t evaluate_group(struct st_alarms *a, struct st_alarm **group, size_t n, int64_t now_ms)
{
    const Stratus__PutMetricAlarmRequest *d = group[0]->metric;
    int64_t period = d->period;
    int64_t end_s = now_ms / 1000 / period * period;
    struct st_stats_query q = {.stats = ST_STAT_SAMPLE_COUNT, .period_s = period};
    char *names[ST_MAX_EXT_STATISTICS];
    struct eval_ctx *x = st_calloc(1, sizeof(*x) + n * sizeof(x->m[0]));
    if (!x) {
        return n;
    }
    unsigned n_points = 0;
    size_t taken = 0;
    for (; taken < n; taken++) {
        struct st_alarm *al = group[taken];
        struct eval_member *m = &x->m[taken];
        m->qi = -1;
        if (al->metric->extended_statistic && (m->qi = query_quantile(&q, names, al)) < 0) {
            break;
        }
        q.stats |= al->stat;
        m->n_points = st_alarm_eval_range(al->n);
        n_points = m->n_points > n_points ? m->n_points : n_points;
    }
    q.start_ms = (end_s - (int64_t)n_points * period) * 1000;
    q.end_ms = end_s * 1000;
    if (d->unit) {
        enum st_unit unit;
        if (st_unit_parse(d->unit, &unit) == 0) {
            q.has_unit = true;
            q.unit = unit;
        }
    }
    Stratus__GetMetricStatisticsRequest req = STRATUS__GET_METRIC_STATISTICS_REQUEST__INIT;
    req.namespace_ = d->namespace_;
    req.metric_name = d->metric_name;
    req.dimensions = d->dimensions;
    req.n_dimensions = d->n_dimensions;
    req.extended_statistics = names;
    req.n_extended_statistics = q.n_quantiles;
    x->n = taken;
    x->a = a;
    x->start_s = end_s - (int64_t)n_points * period;
    x->period_s = period;
    x->n_points = n_points;
    x->query_ms = now_ms;
    if (evaluate_in_memory(a, x, group, &req, &q)) {
        eval_ctx_free(x);
        return taken;
    }
    for (size_t i = 0; i < taken; i++) {
        x->m[i].uid = group[i]->uid;
        x->m[i].gen = group[i]->gen;
        if (!(x->m[i].name = st_strdup(group[i]->name))) {
            eval_ctx_free(x);
            return taken;
        }
    }
    struct st_query *qr = st_query_snapshot(&a->c->hot, &req, &q, now_ms);
    if (!qr) {
        eval_ctx_free(x);
        return taken;
    }
    qr->want_points = true;
    qr->done = on_eval_done;
    qr->data = x;
    for (size_t i = 0; i < taken; i++) {
        group[i]->inflight++;
    }
    st_query_pool_submit(a->c->qpool, qr);
    return taken;
}

void st_alarms_evaluate_all(struct st_alarms *a, bool all)
{
    int64_t now = st_wall_ms();
    bool minute = all || a->ticks % 6 == 0;
    size_t n_due = 0;
    struct st_alarm **due = a->n ? st_malloc(a->n * sizeof(*due)) : NULL;
    for (size_t i = 0; due && i < a->n; i++) {
        struct st_alarm *al = a->items[i];
        if (al->composite || al->inflight > 0) {
            continue;
        }
        if (al->metric->period >= 60 && !minute) {
            continue;
        }
        due[n_due++] = al;
    }
    if (due) {
        qsort(due, n_due, sizeof(*due), metric_cmp);
        for (size_t i = 0; i < n_due;) {
            size_t k = i + 1;
            while (k < n_due && metric_cmp(&due[i], &due[k]) == 0) {
                k++;
            }
            i += evaluate_group(a, &due[i], k - i, now);
        }
        st_free(due);
    } else if (a->n) {
        st_log_warning("alarms: out of memory, skipping an evaluation round");
    }
    /* Composite alarms follow their children at once; the tick catches anything missed. */
    for (size_t i = 0; i < a->n_comps; i++) {
        if (a->comps[i]->rule) {
            evaluate_composite(a, a->comps[i], NULL);
        }
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct st_alarms *a = arg;
    a->ticks++;
    if (!a->stopping) {
        st_alarms_evaluate_all(a, false);
    }
}

/* --- definitions --- */

/* Parses the definition into al's parsed fields (composite: the rule). */
static int parse_definition(struct st_alarm *al, struct st_error *err)
{
    if (al->composite) {
        const char *rule = al->comp->alarm_rule ? al->comp->alarm_rule : "";
        al->name = al->comp->alarm_name;
        al->actions_enabled = !al->comp->has_actions_enabled || al->comp->actions_enabled;
        return st_alarm_rule_parse((const uint8_t *)rule, strlen(rule), &al->rule, err);
    }
    al->name = al->metric->alarm_name;
    al->actions_enabled = !al->metric->has_actions_enabled || al->metric->actions_enabled;
    int r = st_alarm_parse_metric(al->metric, al, err);
    if (r == 0) {
        /* For grouping the evaluations of alarms on one metric (the canonical key's id). */
        const Stratus__PutMetricAlarmRequest *d = al->metric;
        uint8_t key[ST_SERIES_KEY_MAX];
        size_t key_len;
        al->metric_id = st_series_key_build_pb(d->namespace_, d->metric_name, d->dimensions,
                                               d->n_dimensions, ST_UNIT_NONE, key, &key_len) == 0
                            ? st_metric_id(key, key_len)
                            : 0;
    }
    return r;
}

struct put_job {
    struct st_alarms *a;
    struct st_alarm *al; /* the new definition, not in the table yet */
    uint8_t *def;
    size_t def_len;
    char *history;
    bool existed;
    struct st_call *call;
    int status;
};

static void run_put(sqlite3 *db, void *data)
{
    struct put_job *j = data;
    struct st_alarm *al = j->al;
    struct st_alarm_row row = {
        .name = al->name,
        .composite = al->composite,
        .def = j->def,
        .def_len = j->def_len,
        .config_updated_ms = al->config_updated_ms,
        .state = (int)al->state,
        .reason = al->reason,
        .reason_data = al->reason_data,
        .state_updated_ms = al->state_updated_ms,
        .state_transitioned_ms = al->state_transitioned_ms,
        .actions_enabled = al->actions_enabled,
    };
    struct st_alarm_history_row h = {
        .alarm_name = al->name,
        .alarm_type = al->composite ? "CompositeAlarm" : "MetricAlarm",
        .timestamp_ms = al->config_updated_ms,
        .item_type = "ConfigurationUpdate",
        .summary = j->existed ? "Alarm updated" : "Alarm created",
        .data = j->history,
    };
    char summary[400];
    snprintf(summary, sizeof(summary), "Alarm \"%s\" %s", al->name,
             j->existed ? "updated" : "created");
    h.summary = summary;
    j->status = st_alarm_db_begin(db);
    if (j->status == 0 && (st_alarm_db_put(db, &row) < 0 || st_alarm_db_add_history(db, &h) < 0 ||
                           st_alarm_db_commit(db) < 0)) {
        st_log_warning("alarms: cannot store %s: %s", al->name, sqlite3_errmsg(db));
        st_alarm_db_rollback(db);
        j->status = -EIO;
    }
}

/* Moves the definition of src into dst (same name), keeping dst's state. */
static void redefine(struct st_alarm *dst, struct st_alarm *src)
{
    struct st_alarm keep = *dst;
    *dst = *src;
    dst->uid = keep.uid;
    dst->inflight = keep.inflight;
    dst->state = keep.state;
    dst->reason = keep.reason;
    dst->reason_data = keep.reason_data;
    dst->state_updated_ms = keep.state_updated_ms;
    dst->state_transitioned_ms = keep.state_transitioned_ms;
    /* What src holds now is dst's old definition, freed with it. */
    *src = (struct st_alarm){.metric = keep.metric,
                             .comp = keep.comp,
                             .rule = keep.rule,
                             .reason = src->reason,
                             .reason_data = src->reason_data};
}

static void done_put(void *data)
{
    struct put_job *j = data;
    struct st_alarms *a = j->a;
    struct st_alarm *al = j->al;
    if (j->status < 0) {
        if (j->call) {
            st_call_fail_status(j->call, 500, ST_ERR_INTERNAL_FAILURE,
                                "the alarm could not be stored");
        }
        alarm_free(al);
    } else {
        struct st_alarm *old = st_alarms_find(a, al->name);
        if (old) {
            al->gen = ++a->next_gen;
            redefine(old, al);
            alarm_free(al);
            al = old;
        } else if (table_insert(a, al) < 0) {
            alarm_free(al);
            al = NULL;
        }
        if (j->call) {
            st_call_reply_packed(j->call, NULL, 0);
        }
        if (al && al->composite) {
            evaluate_composite(a, al, NULL);
        }
    }
    st_free(j->def);
    st_free(j->history);
    st_free(j);
}

void st_alarms_put(struct st_alarms *a, Stratus__PutMetricAlarmRequest *metric,
                   Stratus__PutCompositeAlarmRequest *comp, struct st_call *call)
{
    struct st_error err;
    struct put_job *j = NULL;
    struct st_alarm *al = st_calloc(1, sizeof(*al));
    if (!al) {
        goto oom;
    }
    al->metric = metric;
    al->comp = comp;
    al->composite = comp != NULL;
    metric = NULL;
    comp = NULL;
    if (parse_definition(al, &err) < 0) {
        if (call) {
            st_call_fail(call, &err);
        } else {
            st_log_warning("alarms: a managed alarm is invalid: %s", err.message);
        }
        alarm_free(al);
        return;
    }
    struct st_alarm *old = st_alarms_find(a, al->name);
    if ((!old && a->n >= ST_ALARMS_MAX) || (old && old->composite != al->composite)) {
        const char *msg = old ? (old->composite ? "An alarm of this name is a composite alarm"
                                                : "An alarm of this name is a metric alarm")
                              : "The maximum number of alarms has been reached";
        if (call) {
            st_call_fail_status(call, 400,
                                old ? ST_ERR_INVALID_PARAMETER_VALUE : ST_ERR_LIMIT_EXCEEDED, msg);
        } else {
            st_log_warning("alarms: cannot put a managed alarm: %s", msg);
        }
        alarm_free(al);
        return;
    }
    int64_t now = st_wall_ms();
    al->config_updated_ms = now;
    al->uid = ++a->next_gen;
    al->gen = al->uid;
    al->state = ST_ALARM_STATE_INSUFFICIENT_DATA;
    al->state_updated_ms = al->state_transitioned_ms = now;
    if (set_str(&al->reason, "Unchecked: Initial alarm creation") < 0 ||
        set_str(&al->reason_data, "") < 0) {
        goto oom;
    }
    j = st_calloc(1, sizeof(*j));
    if (!j) {
        goto oom;
    }
    const ProtobufCMessage *msg =
        al->composite ? &al->comp->base : (const ProtobufCMessage *)&al->metric->base;
    j->def_len = protobuf_c_message_get_packed_size(msg);
    j->def = st_malloc(j->def_len ? j->def_len : 1);
    if (!j->def) {
        goto oom;
    }
    protobuf_c_message_pack(msg, j->def);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_string("1.0"));
    json_object_object_add(o, "type", json_object_new_string(old ? "Update" : "Create"));
    char *m = alarm_message(al, al->state, now);
    json_object_object_add(o, old ? "updatedAlarm" : "createdAlarm",
                           m ? json_tokener_parse(m) : NULL);
    st_free(m);
    j->history = st_strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    if (!j->history) {
        goto oom;
    }
    j->a = a;
    j->al = al;
    j->existed = old != NULL;
    j->call = call;
    if (st_alarm_db_submit(a->db, run_put, done_put, j) < 0) {
        goto oom;
    }
    return;
oom:
    if (j) {
        st_free(j->def);
        st_free(j->history);
        st_free(j);
    }
    alarm_free(al);
    if (metric) {
        stratus__put_metric_alarm_request__free_unpacked(metric, NULL);
    }
    if (comp) {
        stratus__put_composite_alarm_request__free_unpacked(comp, NULL);
    }
    if (call) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
}

/* --- delete, enable, disable --- */

struct names_job {
    struct st_alarms *a;
    char **names;
    bool *composite;
    size_t n;
    bool enable; /* set_actions */
    bool is_delete;
    struct st_call *call;
    int status;
    int64_t ts;
};

static void names_job_free(struct names_job *j)
{
    for (size_t i = 0; i < j->n; i++) {
        st_free(j->names[i]);
    }
    st_free(j->names);
    st_free(j->composite);
    st_free(j);
}

static void run_names(sqlite3 *db, void *data)
{
    struct names_job *j = data;
    j->status = st_alarm_db_begin(db);
    for (size_t i = 0; i < j->n && j->status == 0; i++) {
        if (j->is_delete) {
            char summary[400];
            snprintf(summary, sizeof(summary), "Alarm \"%s\" deleted", j->names[i]);
            struct st_alarm_history_row h = {
                .alarm_name = j->names[i],
                .alarm_type = j->composite[i] ? "CompositeAlarm" : "MetricAlarm",
                .timestamp_ms = j->ts,
                .item_type = "ConfigurationUpdate",
                .summary = summary,
                .data = "{\"version\":\"1.0\",\"type\":\"Delete\"}",
            };
            j->status =
                st_alarm_db_delete(db, j->names[i]) < 0 || st_alarm_db_add_history(db, &h) < 0
                    ? -EIO
                    : 0;
        } else {
            j->status = st_alarm_db_set_actions_enabled(db, j->names[i], j->enable);
        }
    }
    if (j->status == 0 && st_alarm_db_commit(db) < 0) {
        j->status = -EIO;
    }
    if (j->status < 0) {
        st_log_warning("alarms: cannot update alarms: %s", sqlite3_errmsg(db));
        st_alarm_db_rollback(db);
    }
}

static void done_names(void *data)
{
    struct names_job *j = data;
    if (j->status < 0) {
        st_call_fail_status(j->call, 500, ST_ERR_INTERNAL_FAILURE,
                            "the change could not be stored");
        names_job_free(j);
        return;
    }
    for (size_t i = 0; i < j->n; i++) {
        if (j->is_delete) {
            table_remove(j->a, j->names[i]);
        } else {
            struct st_alarm *al = st_alarms_find(j->a, j->names[i]);
            if (al) {
                al->actions_enabled = j->enable;
            }
        }
    }
    if (j->is_delete) {
        for (size_t i = 0; i < j->n; i++) {
            evaluate_composites(j->a, j->names[i]);
        }
    }
    st_call_reply_packed(j->call, NULL, 0);
    names_job_free(j);
}

static void names_job_submit(struct st_alarms *a, char **names, size_t n, bool is_delete,
                             bool enable, struct st_call *call)
{
    struct names_job *j = st_calloc(1, sizeof(*j));
    if (!j) {
        goto oom;
    }
    j->names = st_calloc(n ? n : 1, sizeof(*j->names));
    j->composite = st_calloc(n ? n : 1, sizeof(*j->composite));
    if (!j->names || !j->composite) {
        goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        struct st_alarm *al = st_alarms_find(a, names[i]);
        if (!al) {
            continue; /* enable/disable skip unknown names, as CloudWatch does */
        }
        if (!(j->names[j->n] = st_strdup(names[i]))) {
            goto oom;
        }
        j->composite[j->n++] = al->composite;
    }
    j->a = a;
    j->is_delete = is_delete;
    j->enable = enable;
    j->call = call;
    j->ts = st_wall_ms();
    if (st_alarm_db_submit(a->db, run_names, done_names, j) < 0) {
        goto oom;
    }
    return;
oom:
    if (j) {
        names_job_free(j);
    }
    st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

void st_alarms_delete(struct st_alarms *a, char **names, size_t n, struct st_call *call)
{
    names_job_submit(a, names, n, true, false, call);
}

void st_alarms_set_actions(struct st_alarms *a, char **names, size_t n, bool enabled,
                           struct st_call *call)
{
    names_job_submit(a, names, n, false, enabled, call);
}

/* --- lifecycle --- */

static int on_load(const struct st_alarm_row *row, void *data)
{
    struct st_alarms *a = data;
    struct st_alarm *al = st_calloc(1, sizeof(*al));
    if (!al) {
        return -ENOMEM;
    }
    al->composite = row->composite;
    if (row->composite) {
        al->comp = stratus__put_composite_alarm_request__unpack(NULL, row->def_len, row->def);
    } else {
        al->metric = stratus__put_metric_alarm_request__unpack(NULL, row->def_len, row->def);
    }
    struct st_error err;
    if ((!al->comp && !al->metric) || parse_definition(al, &err) < 0 ||
        strcmp(al->name, row->name) != 0) {
        st_log_warning("alarms: skipping the unreadable stored alarm %s", row->name);
        alarm_free(al);
        return 0;
    }
    al->actions_enabled = row->actions_enabled;
    al->config_updated_ms = row->config_updated_ms;
    al->state = row->state >= 0 && row->state <= ST_ALARM_STATE_INSUFFICIENT_DATA
                    ? (enum st_alarm_state)row->state
                    : ST_ALARM_STATE_INSUFFICIENT_DATA;
    al->state_updated_ms = row->state_updated_ms;
    al->state_transitioned_ms = row->state_transitioned_ms;
    al->uid = al->gen = ++a->next_gen;
    if (set_str(&al->reason, row->reason) < 0 || set_str(&al->reason_data, row->reason_data) < 0 ||
        table_insert(a, al) < 0) {
        alarm_free(al);
        return -ENOMEM;
    }
    return 0;
}

int st_alarms_new(struct st_collector *c, int tick_ms, int hook_timeout_ms, struct st_alarms **ret,
                  struct st_error *err)
{
    struct st_alarms *a = st_calloc(1, sizeof(*a));
    if (!a) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    a->c = c;
    char path[4200];
    snprintf(path, sizeof(path), "%s/alarms.db", c->opts.data_dir);
    int r = st_alarm_db_open(c->base, path, &a->db, err);
    if (r < 0) {
        goto fail;
    }
    /* The worker is idle: loading on this thread is safe. */
    r = st_alarm_db_load(st_alarm_db_handle(a->db), on_load, a);
    if (r < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "cannot load %s", path);
        goto fail;
    }
    if ((r = st_scaling_new(a, &a->scaling, err)) < 0) {
        goto fail;
    }
    if ((r = st_actions_new(c->base, hook_timeout_ms,
                            c->opts.webhook_ca_file[0] ? c->opts.webhook_ca_file : NULL,
                            &a->actions, err)) < 0) {
        goto fail;
    }
    a->tick_ev = event_new(c->base, -1, EV_PERSIST, on_tick, a);
    if (!a->tick_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    struct timeval tv = {tick_ms / 1000, (tick_ms % 1000) * 1000};
    event_add(a->tick_ev, &tv);
    st_log_info("alarms: %zu alarms loaded, evaluated every %d ms", a->n, tick_ms);
    *ret = a;
    return 0;
fail:
    st_alarms_free(a);
    return r;
}

void st_alarms_free(struct st_alarms *a)
{
    if (!a) {
        return;
    }
    a->stopping = true;
    if (a->tick_ev) {
        event_free(a->tick_ev);
    }
    /* Queued writes finish (their callbacks see `stopping` and start no action). */
    st_alarm_db_free(a->db);
    st_actions_free(a->actions);
    st_scaling_free(a->scaling); /* after the writer: its last callbacks reach the groups */
    for (size_t i = 0; i < a->n; i++) {
        alarm_free(a->items[i]);
    }
    st_free(a->items);
    st_free(a->comps);
    st_free(a->scratch_qp);
    st_free(a->scratch_pts);
    st_free(a->scratch_out);
    st_free(a);
}
