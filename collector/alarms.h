/* SPDX-License-Identifier: MIT */
/*
 * The collector's alarms: the table of metric and composite alarms (sorted by name), the
 * scheduler that evaluates them (alarms of 10 s and 30 s every tick, 10 s by default; longer
 * ones every sixth tick, each minute) through the query pool, state transitions made durable
 * in alarms.db before their actions run, and the actions themselves (exec hooks, webhooks,
 * scaling policies). alarm_ops.c serves the API operations on top of it. Loop thread only;
 * SQLite work goes to the alarm_db worker.
 *
 * Ownership: the table owns every st_alarm; the decoded definitions are owned by their alarm
 * and freed with it. Pointers into an alarm live until the next return to the event loop.
 */
#ifndef STRATUS_COLLECTOR_ALARMS_H
#define STRATUS_COLLECTOR_ALARMS_H

#include <stdbool.h>
#include <stdint.h>

#include "alarm_action.h"
#include "alarm_db.h"
#include "alarm_eval.h"
#include "alarms.pb-c.h"
#include "scaling.h"
#include "stratus/alarm_rule.h"
#include "stratus/error.h"

struct st_collector;
struct st_call;
struct st_query_point;

#define ST_ALARMS_MAX 1000000 /* alarms per collector (LimitExceeded beyond) */

struct st_alarm {
    char *name; /* borrowed from the definition */
    bool composite;
    Stratus__PutMetricAlarmRequest *metric;  /* the definition (metric alarms) */
    Stratus__PutCompositeAlarmRequest *comp; /* the definition (composite alarms) */
    struct st_alarm_rule *rule;              /* composite alarms: the parsed AlarmRule */
    /* parsed from the definition */
    unsigned n, m;
    enum st_alarm_cmp cmp;
    enum st_alarm_missing missing;
    unsigned stat; /* enum st_stat bit, 0 for a percentile */
    double quantile;
    bool low_sample_ignore;
    bool actions_enabled;
    int64_t config_updated_ms;
    uint64_t metric_id; /* st_metric_id of its metric: alarms on one metric share a query */
    /* state */
    enum st_alarm_state state;
    char *reason, *reason_data;
    int64_t state_updated_ms, state_transitioned_ms;
    /* scheduling */
    uint64_t uid;      /* this object's identity (names can be deleted and reused) */
    uint64_t gen;      /* bumped by every redefinition: results of older queries are dropped */
    unsigned inflight; /* queries and state writes in flight; no evaluation meanwhile */
};

struct st_alarms {
    struct st_collector *c;
    struct st_alarm_db *db;
    struct st_actions *actions;
    struct st_alarm **items; /* sorted by name */
    size_t n, cap;
    /* The composite alarms among items, in no order: what a state change looks through for
     * the rules that name the alarm (without it, every transition walked the whole table). */
    struct st_alarm **comps;
    size_t n_comps, cap_comps;
    struct event *tick_ev;
    uint64_t ticks;
    uint64_t next_gen;
    bool stopping;
    /* counters (docs/alarms.md, bench); evaluations_in_memory: of evaluations, those
     * answered from the hot window on the loop thread (st_query_hot_points) */
    uint64_t evaluations, evaluations_in_memory, transitions, actions_run;
    /* scratch of in-memory evaluations, room for scratch_cap periods (loop thread) */
    struct st_query_point *scratch_qp;
    struct st_alarm_point *scratch_pts;
    size_t scratch_cap;
    struct st_alarm_eval_out *scratch_out;
    struct st_scaling *scaling; /* scaling groups and policies (scaling.c) */
};

/* Opens data_dir/alarms.db, loads the alarms and starts the scheduler (tick_ms apart). */
int st_alarms_new(struct st_collector *c, int tick_ms, int hook_timeout_ms, struct st_alarms **ret,
                  struct st_error *err);
/* Stops evaluating, finishes queued writes, kills running hooks, frees. NULL ok. */
void st_alarms_free(struct st_alarms *a);

/* The alarm named name, or NULL. */
struct st_alarm *st_alarms_find(struct st_alarms *a, const char *name);
/* Index of the first alarm whose name is >= name. */
size_t st_alarms_lower_bound(const struct st_alarms *a, const char *name);

/* Queues a history item of the named alarm (item_type Action, StateUpdate, ...). */
void st_alarms_add_history(struct st_alarms *a, const char *name, bool composite, int64_t ts,
                           const char *item_type, const char *summary, const char *json);

/* Runs one evaluation round now (what a tick does; all: every alarm, whatever its period). */
void st_alarms_evaluate_all(struct st_alarms *a, bool all);

/*
 * Puts (creates or redefines) the alarm whose decoded definition is in exactly one of metric /
 * comp (ownership passes to the table, also on failure). Replies to call once durable; call
 * may be NULL (alarms that scaling policies manage), failures are then logged.
 */
void st_alarms_put(struct st_alarms *a, Stratus__PutMetricAlarmRequest *metric,
                   Stratus__PutCompositeAlarmRequest *comp, struct st_call *call);
/* Deletes the named alarms (all must exist: checked by the caller). Replies once durable. */
void st_alarms_delete(struct st_alarms *a, char **names, size_t n, struct st_call *call);
/* Enables or disables actions of the named alarms that exist. Replies once durable. */
void st_alarms_set_actions(struct st_alarms *a, char **names, size_t n, bool enabled,
                           struct st_call *call);
/* Moves the alarm to state with the given reason (SetAlarmState); replies once durable. */
void st_alarms_set_state(struct st_alarms *a, struct st_alarm *al, enum st_alarm_state state,
                         const char *reason, const char *reason_data, struct st_call *call);

/* Fills a MetricAlarm / CompositeAlarm from al; strings borrowed from al. */
void st_alarm_to_metric_pb(const struct st_alarm *al, Stratus__MetricAlarm *out);
void st_alarm_to_composite_pb(const struct st_alarm *al, Stratus__CompositeAlarm *out);

/* Validates and parses a PutMetricAlarm definition into al's parsed fields (no state). */
int st_alarm_parse_metric(const Stratus__PutMetricAlarmRequest *req, struct st_alarm *al,
                          struct st_error *err);

/* The ARN CloudWatch would give the alarm; buf needs 300 bytes. */
void st_alarm_arn(const char *name, char *buf, size_t len);

/* alarm_ops.c: the alarm operations (op.h). */
void st_op_put_metric_alarm(struct st_collector *c, struct st_call *call);
void st_op_put_composite_alarm(struct st_collector *c, struct st_call *call);
void st_op_describe_alarms(struct st_collector *c, struct st_call *call);
void st_op_describe_alarm_history(struct st_collector *c, struct st_call *call);
void st_op_set_alarm_state(struct st_collector *c, struct st_call *call);
void st_op_delete_alarms(struct st_collector *c, struct st_call *call);
void st_op_enable_alarm_actions(struct st_collector *c, struct st_call *call);
void st_op_disable_alarm_actions(struct st_collector *c, struct st_call *call);

#endif
