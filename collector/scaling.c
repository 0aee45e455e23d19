/* SPDX-License-Identifier: MIT */
/*
 * Scaling groups, policies and activities (scaling.h). Everything lives in memory on the loop
 * thread and is written through to alarms.db by jobs on the alarms' worker; an API call that
 * changes something answers once its job is durable. A capacity change is recorded (group row
 * and an InProgress activity, one transaction) before the apply hook runs; the hook's result
 * completes the activity.
 */
#include "scaling.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/time_util.h"

#define MAX_ACTIVITIES_KEPT 1000 /* per group, in memory; the table keeps every one */
#define MAX_GROUP_SIZE      100000
#define DEFAULT_COOLDOWN_S  300
#define MAX_TAGS            50
/* The tag of CreateAutoScalingGroup that sets the group's apply hook (an exec: action). */
#define APPLY_HOOK_TAG "stratus:apply-hook"

enum policy_type { SIMPLE, STEP, TARGET };

struct activity {
    char id[40];
    int64_t seq;
    int64_t start_ms, end_ms;
    char status[24]; /* InProgress, Successful, Failed */
    char *status_message, *description, *cause, *details;
    int cooldown_s; /* applied to the group when it ends (simple policies) */
};

struct group {
    char *name;
    Stratus__PutScalingGroupRequest *def;
    int desired;
    int64_t created_ms;
    bool hook_running;
    int64_t cooldown_until_ms;
    struct activity **acts; /* oldest first */
    size_t n_acts;
};

struct policy {
    char *arn;
    Stratus__PutScalingPolicyRequest *def;
    enum policy_type type;
    int64_t warm_until_ms;
    int warm_base;
    int64_t scale_in_after_ms;
};

struct st_scaling {
    struct st_alarms *a;
    struct group **groups;
    size_t n_groups;
    struct policy **policies;
    size_t n_policies;
    int64_t seq;
};

/* --- arithmetic --- */

int st_scaling_clamp(int v, int min, int max)
{
    return v < min ? min : v > max ? max : v;
}

int st_scaling_adjust(const char *adjustment_type, int current, int adjustment,
                      int min_adjustment_magnitude)
{
    if (strcmp(adjustment_type, "ExactCapacity") == 0) {
        return adjustment;
    }
    if (strcmp(adjustment_type, "PercentChangeInCapacity") == 0) {
        /* EC2: a change between 0 and 1 is 1, between -1 and 0 is -1; beyond, the fraction is
         * dropped (toward zero); then MinAdjustmentMagnitude is the least change. */
        double change = (double)current * adjustment / 100.0;
        long c;
        if (change > 0 && change < 1) {
            c = 1;
        } else if (change < 0 && change > -1) {
            c = -1;
        } else {
            c = (long)change;
        }
        if (min_adjustment_magnitude > 0 && labs(c) < min_adjustment_magnitude && c != 0) {
            c = c > 0 ? min_adjustment_magnitude : -min_adjustment_magnitude;
        }
        long v = (long)current + c;
        return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
    }
    long v = (long)current + adjustment;
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}

/* --- lookup --- */

static struct group *find_group(struct st_scaling *s, const char *name)
{
    for (size_t i = 0; name && i < s->n_groups; i++) {
        if (strcmp(s->groups[i]->name, name) == 0) {
            return s->groups[i];
        }
    }
    return NULL;
}

static struct policy *find_policy(struct st_scaling *s, const char *arn)
{
    for (size_t i = 0; i < s->n_policies; i++) {
        if (strcmp(s->policies[i]->arn, arn) == 0) {
            return s->policies[i];
        }
    }
    return NULL;
}

static void policy_arn(const char *group, const char *policy, char *buf, size_t len)
{
    /* A stable id from the names, so that putting a policy again keeps its ARN. */
    uint64_t h = 1469598103934665603ull;
    for (const char *p = group; *p; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    }
    h = (h ^ '/') * 1099511628211ull;
    for (const char *p = policy; *p; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    }
    snprintf(buf, len,
             ST_ACTION_SCALING_PREFIX "local:000000000000:scalingPolicy:%016" PRIx64
                                      ":autoScalingGroupName/%s:policyName/%s",
             h, group, policy);
}

static void activity_free(struct activity *x)
{
    if (x) {
        st_free(x->status_message);
        st_free(x->description);
        st_free(x->cause);
        st_free(x->details);
        st_free(x);
    }
}

static void group_free(struct group *g)
{
    if (!g) {
        return;
    }
    for (size_t i = 0; i < g->n_acts; i++) {
        activity_free(g->acts[i]);
    }
    st_free(g->acts);
    if (g->def) {
        stratus__put_scaling_group_request__free_unpacked(g->def, NULL);
    }
    st_free(g);
}

static void policy_free(struct policy *p)
{
    if (!p) {
        return;
    }
    if (p->def) {
        stratus__put_scaling_policy_request__free_unpacked(p->def, NULL);
    }
    st_free(p->arn);
    st_free(p);
}

static int push_ptr(void ***arr, size_t *n, void *item)
{
    void **out = st_realloc(*arr, (*n + 1) * sizeof(*out));
    if (!out) {
        return -ENOMEM;
    }
    out[(*n)++] = item;
    *arr = out;
    return 0;
}

static int add_activity(struct group *g, struct activity *x)
{
    if (g->n_acts == MAX_ACTIVITIES_KEPT) {
        activity_free(g->acts[0]);
        memmove(&g->acts[0], &g->acts[1], (g->n_acts - 1) * sizeof(*g->acts));
        g->n_acts--;
    }
    return push_ptr((void ***)&g->acts, &g->n_acts, x);
}

static int policy_cooldown(const struct policy *p, const struct group *g)
{
    if (p && p->def->has_cooldown) {
        return p->def->cooldown;
    }
    return g->def->has_default_cooldown ? g->def->default_cooldown : DEFAULT_COOLDOWN_S;
}

static int policy_warmup(const struct policy *p, const struct group *g)
{
    if (p->def->has_estimated_instance_warmup) {
        return p->def->estimated_instance_warmup;
    }
    return g->def->has_default_cooldown ? g->def->default_cooldown : DEFAULT_COOLDOWN_S;
}

static bool in_progress(const struct group *g)
{
    for (size_t i = g->n_acts; i-- > 0;) {
        if (strcmp(g->acts[i]->status, "InProgress") == 0) {
            return true;
        }
    }
    return false;
}

/* --- persistence --- */

static uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = st_malloc(len ? len : 1);
    if (buf) {
        protobuf_c_message_pack(m, buf);
        *ret_len = len;
    }
    return buf;
}

struct save_job {
    struct st_scaling *s;
    /* group row (name set) */
    char *group;
    uint8_t *group_def;
    size_t group_def_len;
    int desired;
    int64_t created_ms;
    /* policy row (arn set) */
    char *arn;
    uint8_t *policy_def;
    size_t policy_def_len;
    /* activity row (act_id set): copies */
    char act_id[40];
    int64_t act_seq, act_start, act_end;
    char act_status[24];
    char *act_msg, *act_desc, *act_cause, *act_details;
    bool delete_group;  /* the group's rows, its policies' and its activities' go */
    bool delete_policy; /* the policy row of arn goes */
    /* after */
    struct st_call *call;
    void (*then)(struct st_scaling *s, const char *group);
    int status;
};

static void save_job_free(struct save_job *j)
{
    st_free(j->group);
    st_free(j->group_def);
    st_free(j->arn);
    st_free(j->policy_def);
    st_free(j->act_msg);
    st_free(j->act_desc);
    st_free(j->act_cause);
    st_free(j->act_details);
    st_free(j);
}

static int bind_step(sqlite3 *db, const char *sql, struct save_job *j, int kind)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -EIO;
    }
    if (kind == 0) {
        sqlite3_bind_text(st, 1, j->group, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, j->group_def, (int)j->group_def_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, j->desired);
        sqlite3_bind_int64(st, 4, j->created_ms);
    } else if (kind == 1) {
        sqlite3_bind_text(st, 1, j->arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, j->group, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, j->policy_def, (int)j->policy_def_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(st, 1, j->act_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, j->group, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, j->act_seq);
        sqlite3_bind_int64(st, 4, j->act_start);
        sqlite3_bind_int64(st, 5, j->act_end);
        sqlite3_bind_text(st, 6, j->act_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, j->act_msg ? j->act_msg : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, j->act_desc ? j->act_desc : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, j->act_cause ? j->act_cause : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, j->act_details ? j->act_details : "", -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static int exec_text(sqlite3 *db, const char *sql, const char *text)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static void run_save(sqlite3 *db, void *data)
{
    struct save_job *j = data;
    j->status = st_alarm_db_begin(db);
    if (j->status == 0 && j->delete_group &&
        (exec_text(db, "DELETE FROM scaling_groups WHERE name = ?1", j->group) < 0 ||
         exec_text(db, "DELETE FROM scaling_policies WHERE group_name = ?1", j->group) < 0 ||
         exec_text(db, "DELETE FROM scaling_activities WHERE group_name = ?1", j->group) < 0)) {
        j->status = -EIO;
    }
    if (j->status == 0 && j->delete_policy &&
        exec_text(db, "DELETE FROM scaling_policies WHERE arn = ?1", j->arn) < 0) {
        j->status = -EIO;
    }
    if (j->status == 0 && j->group_def &&
        bind_step(db,
                  "INSERT OR REPLACE INTO scaling_groups (name, definition, desired, created_ms)"
                  " VALUES (?1, ?2, ?3, ?4)",
                  j, 0) < 0) {
        j->status = -EIO;
    }
    if (j->status == 0 && j->arn && !j->delete_policy &&
        bind_step(db,
                  "INSERT OR REPLACE INTO scaling_policies (arn, group_name, definition)"
                  " VALUES (?1, ?2, ?3)",
                  j, 1) < 0) {
        j->status = -EIO;
    }
    if (j->status == 0 && j->act_id[0] &&
        bind_step(db,
                  "INSERT OR REPLACE INTO scaling_activities (id, group_name, seq, start_ms,"
                  " end_ms, status, status_message, description, cause, details)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                  j, 2) < 0) {
        j->status = -EIO;
    }
    if (j->status == 0 && st_alarm_db_commit(db) < 0) {
        j->status = -EIO;
    }
    if (j->status < 0) {
        st_log_warning("scaling: cannot store %s: %s", j->group, sqlite3_errmsg(db));
        st_alarm_db_rollback(db);
    }
}

static void done_save(void *data)
{
    struct save_job *j = data;
    if (j->call) {
        if (j->status < 0) {
            st_call_fail_status(j->call, 500, ST_ERR_INTERNAL_FAILURE, "could not be stored");
        } else {
            st_call_reply_packed(j->call, NULL, 0);
        }
    }
    if (j->status == 0 && j->then && !j->s->a->stopping) {
        j->then(j->s, j->group);
    }
    save_job_free(j);
}

static struct save_job *save_job_new(struct st_scaling *s, const struct group *g)
{
    struct save_job *j = st_calloc(1, sizeof(*j));
    if (!j || !(j->group = st_strdup(g->name))) {
        st_free(j);
        return NULL;
    }
    j->s = s;
    return j;
}

static int job_add_group(struct save_job *j, const struct group *g)
{
    j->group_def = pack(&g->def->base, &j->group_def_len);
    j->desired = g->desired;
    j->created_ms = g->created_ms;
    return j->group_def ? 0 : -ENOMEM;
}

static int job_add_activity(struct save_job *j, const struct activity *x)
{
    snprintf(j->act_id, sizeof(j->act_id), "%s", x->id);
    j->act_seq = x->seq;
    j->act_start = x->start_ms;
    j->act_end = x->end_ms;
    snprintf(j->act_status, sizeof(j->act_status), "%s", x->status);
    j->act_msg = st_strdup(x->status_message ? x->status_message : "");
    j->act_desc = st_strdup(x->description ? x->description : "");
    j->act_cause = st_strdup(x->cause ? x->cause : "");
    j->act_details = st_strdup(x->details ? x->details : "");
    return j->act_msg && j->act_desc && j->act_cause && j->act_details ? 0 : -ENOMEM;
}

static void submit(struct st_scaling *s, struct save_job *j)
{
    if (st_alarm_db_submit(s->a->db, run_save, done_save, j) < 0) {
        if (j->call) {
            st_call_fail_status(j->call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
        save_job_free(j);
    }
}

/* --- the apply hook --- */

static void start_hook(struct st_scaling *s, const char *group);

struct hook_ctx {
    struct st_scaling *s;
    char *group;
    int target;
    int64_t last_seq; /* activities up to this one are completed by this run */
};

static void on_hook_done(const struct st_action_result *res, void *data)
{
    struct hook_ctx *x = data;
    struct st_scaling *s = x->s;
    struct group *g = s->a->stopping ? NULL : find_group(s, x->group);
    if (g) {
        g->hook_running = false;
        int64_t now = st_wall_ms();
        json_object *d = json_object_new_object();
        json_object_object_add(d, "ApplyHook", json_object_new_string(g->def->apply_hook));
        json_object_object_add(d, "DesiredCapacity", json_object_new_int(x->target));
        json_object_object_add(d, "ExitStatus", json_object_new_int(res->exit_status));
        json_object_object_add(d, "Output",
                               json_object_new_string_len(res->output, (int)res->output_len));
        const char *details = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        for (size_t i = 0; i < g->n_acts; i++) {
            struct activity *a = g->acts[i];
            if (strcmp(a->status, "InProgress") != 0 || a->seq > x->last_seq) {
                continue;
            }
            snprintf(a->status, sizeof(a->status), "%s", res->ok ? "Successful" : "Failed");
            a->end_ms = now;
            st_free(a->status_message);
            a->status_message = st_strdup(res->ok ? "" : res->detail);
            st_free(a->details);
            a->details = st_strdup(details);
            int64_t until = now + (int64_t)a->cooldown_s * 1000;
            if (until > g->cooldown_until_ms) {
                g->cooldown_until_ms = until;
            }
            struct save_job *j = save_job_new(s, g);
            if (j && job_add_activity(j, a) == 0) {
                submit(s, j);
            } else if (j) {
                save_job_free(j);
            }
        }
        json_object_put(d);
        if (!res->ok) {
            st_log_warning("scaling: apply hook of %s failed: %s", g->name, res->detail);
        }
        if (g->desired != x->target) {
            start_hook(s, g->name); /* changed meanwhile: apply the newest capacity */
        }
    }
    st_free(x->group);
    st_free(x);
}

/* Completes the InProgress activities of a group without a hook. */
static void complete_without_hook(struct st_scaling *s, struct group *g)
{
    int64_t now = st_wall_ms();
    for (size_t i = 0; i < g->n_acts; i++) {
        struct activity *a = g->acts[i];
        if (strcmp(a->status, "InProgress") != 0) {
            continue;
        }
        snprintf(a->status, sizeof(a->status), "Successful");
        a->end_ms = now;
        int64_t until = now + (int64_t)a->cooldown_s * 1000;
        if (until > g->cooldown_until_ms) {
            g->cooldown_until_ms = until;
        }
        struct save_job *j = save_job_new(s, g);
        if (j && job_add_activity(j, a) == 0) {
            submit(s, j);
        } else if (j) {
            save_job_free(j);
        }
    }
}

static void start_hook(struct st_scaling *s, const char *name)
{
    struct group *g = find_group(s, name);
    if (!g || g->hook_running) {
        return;
    }
    if (!g->def->apply_hook) {
        complete_without_hook(s, g);
        return;
    }
    struct hook_ctx *x = st_calloc(1, sizeof(*x));
    char action[1200], env_group[320], env_desired[64], env_min[64], env_max[64];
    if (!x || !(x->group = st_strdup(g->name))) {
        st_free(x);
        return;
    }
    x->s = s;
    x->target = g->desired;
    x->last_seq = g->n_acts ? g->acts[g->n_acts - 1]->seq : 0;
    /* The capacity is the hook's last argument, and in its environment and stdin. */
    snprintf(action, sizeof(action), "%s %d", g->def->apply_hook, g->desired);
    snprintf(env_group, sizeof(env_group), "STRATUS_SCALING_GROUP=%s", g->name);
    snprintf(env_desired, sizeof(env_desired), "STRATUS_DESIRED_CAPACITY=%d", g->desired);
    snprintf(env_min, sizeof(env_min), "STRATUS_MIN_SIZE=%d", g->def->min_size);
    snprintf(env_max, sizeof(env_max), "STRATUS_MAX_SIZE=%d", g->def->max_size);
    const char *env[] = {env_group, env_desired, env_min, env_max, NULL};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "AutoScalingGroupName", json_object_new_string(g->name));
    json_object_object_add(o, "DesiredCapacity", json_object_new_int(g->desired));
    json_object_object_add(o, "MinSize", json_object_new_int(g->def->min_size));
    json_object_object_add(o, "MaxSize", json_object_new_int(g->def->max_size));
    const char *in =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    struct st_error err = {{0}};
    g->hook_running = true;
    int r = st_actions_exec(s->a->actions, action, env, in, strlen(in), on_hook_done, x, &err);
    json_object_put(o);
    if (r < 0) {
        struct st_action_result res = {.exit_status = -1, .output = ""};
        snprintf(res.detail, sizeof(res.detail), "%.150s", err.message);
        on_hook_done(&res, x); /* records the failure, frees x */
    }
}

/* Moves the group to capacity `to` (already clamped), recording an activity with cause. */
static void change_capacity(struct st_scaling *s, struct group *g, int to, const char *cause,
                            int cooldown_s, struct st_call *call)
{
    int from = g->desired;
    struct activity *x = st_calloc(1, sizeof(*x));
    char desc[160];
    snprintf(desc, sizeof(desc), "Changing the desired capacity from %d to %d", from, to);
    if (!x || !(x->description = st_strdup(desc)) || !(x->cause = st_strdup(cause)) ||
        !(x->status_message = st_strdup("")) || !(x->details = st_strdup("{}")) ||
        add_activity(g, x) < 0) {
        activity_free(x);
        if (call) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
        return;
    }
    x->seq = ++s->seq;
    x->start_ms = st_wall_ms();
    x->cooldown_s = cooldown_s;
    snprintf(x->id, sizeof(x->id), "%016" PRIx64 "-%08" PRIx64, (uint64_t)x->start_ms,
             (uint64_t)x->seq);
    snprintf(x->status, sizeof(x->status), "InProgress");
    g->desired = to;
    st_log_info("scaling: %s: desired capacity %d -> %d", g->name, from, to);
    struct save_job *j = save_job_new(s, g);
    if (!j || job_add_group(j, g) < 0 || job_add_activity(j, x) < 0) {
        if (j) {
            save_job_free(j);
        }
        if (call) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
        return;
    }
    j->call = call;
    j->then = start_hook;
    submit(s, j);
}

/* --- policies --- */

static bool is_high_alarm(const struct policy *p, const char *alarm)
{
    char want[700];
    snprintf(want, sizeof(want), "TargetTracking-%s-AlarmHigh-%s", p->def->auto_scaling_group_name,
             p->def->policy_name);
    return strcmp(alarm, want) == 0;
}

void st_scaling_values_add(struct st_scaling_values *v, double x)
{
    if (v->n == 0) {
        v->newest = v->minimum = v->maximum = x;
        v->average = 0;
    }
    v->minimum = x < v->minimum ? x : v->minimum;
    v->maximum = x > v->maximum ? x : v->maximum;
    /* Running mean: no sum to overflow, exact for equal values. */
    v->n++;
    v->average += (x - v->average) / v->n;
}

bool st_scaling_step_value(const char *aggregation, const struct st_scaling_values *v,
                           double *ret_value)
{
    if (v->n == 0) {
        return false;
    }
    if (aggregation && strcmp(aggregation, "Minimum") == 0) {
        *ret_value = v->minimum;
    } else if (aggregation && strcmp(aggregation, "Maximum") == 0) {
        *ret_value = v->maximum;
    } else {
        *ret_value = v->average;
    }
    return true;
}

void st_scaling_invoke(struct st_scaling *s, const char *arn, const struct st_alarm *al,
                       const struct st_scaling_values *v)
{
    bool has_value = v->n > 0;
    double value = v->newest;
    struct policy *p = find_policy(s, arn);
    struct group *g = p ? find_group(s, p->def->auto_scaling_group_name) : NULL;
    if (!p || !g) {
        st_alarms_add_history(s->a, al->name, al->composite, st_wall_ms(), "Action",
                              "Failed to execute action: no such scaling policy",
                              "{\"actionState\":\"Failed\",\"detail\":\"no such scaling policy\"}");
        return;
    }
    if (p->def->has_enabled && !p->def->enabled) {
        return;
    }
    int64_t now = st_wall_ms();
    int min = g->def->min_size, max = g->def->max_size;
    int to = g->desired;
    int cooldown = 0;
    const Stratus__PutScalingPolicyRequest *d = p->def;
    switch (p->type) {
    case SIMPLE:
        if (g->hook_running || in_progress(g) || now < g->cooldown_until_ms) {
            return; /* the cooldown (or the activity before it) holds simple policies */
        }
        to = st_scaling_clamp(st_scaling_adjust(d->adjustment_type, g->desired,
                                                d->scaling_adjustment, d->min_adjustment_magnitude),
                              min, max);
        cooldown = policy_cooldown(p, g);
        break;
    case STEP: {
        /* The alarm's evaluated datapoints aggregated by MetricAggregationType, minus its
         * threshold (0 without a datapoint: the step that holds 0). */
        double threshold = al->composite ? 0 : al->metric->threshold;
        double agg;
        double delta =
            st_scaling_step_value(d->metric_aggregation_type, v, &agg) ? agg - threshold : 0;
        const Stratus__StepAdjustment *step = NULL;
        for (size_t i = 0; i < d->n_step_adjustments && !step; i++) {
            const Stratus__StepAdjustment *sa = d->step_adjustments[i];
            bool lo =
                !sa->has_metric_interval_lower_bound || delta >= sa->metric_interval_lower_bound;
            bool hi =
                !sa->has_metric_interval_upper_bound || delta < sa->metric_interval_upper_bound;
            if (lo && hi) {
                step = sa;
            }
        }
        if (!step) {
            return;
        }
        bool warm = now < p->warm_until_ms;
        int base = warm ? p->warm_base : g->desired;
        to = st_scaling_clamp(st_scaling_adjust(d->adjustment_type, base, step->scaling_adjustment,
                                                d->min_adjustment_magnitude),
                              min, max);
        /* During the warm-up the capacity being added already counts: only a larger step
         * (further from where the warm-up began) changes it again. */
        if (warm &&
            !((to > g->desired && g->desired >= base) || (to < g->desired && g->desired <= base))) {
            return;
        }
        if (to != g->desired) {
            if (!warm) {
                p->warm_base = g->desired;
            }
            p->warm_until_ms = now + (int64_t)policy_warmup(p, g) * 1000;
        }
        break;
    }
    case TARGET: {
        const Stratus__TargetTrackingConfiguration *tt = d->target_tracking_configuration;
        if (!has_value || !(tt->target_value > 0)) {
            return;
        }
        double ratio = value / tt->target_value;
        if (is_high_alarm(p, al->name)) {
            /* Out fast: proportional to how far above the target, from the capacity the
             * warm-up began with. */
            bool warm = now < p->warm_until_ms;
            int base = warm ? p->warm_base : g->desired;
            double want = ceil((double)base * ratio);
            to = st_scaling_clamp(want > max ? max : (int)want, min, max);
            if (to <= g->desired) {
                return;
            }
            if (!warm) {
                p->warm_base = g->desired;
            }
            p->warm_until_ms = now + (int64_t)policy_warmup(p, g) * 1000;
        } else {
            /* In slowly: one at a time, at most once a cooldown (the policy's Cooldown). */
            if ((tt->has_disable_scale_in && tt->disable_scale_in) || now < p->scale_in_after_ms) {
                return;
            }
            double want = ceil((double)g->desired * ratio);
            int next = want < g->desired - 1 ? g->desired - 1 : (int)want;
            to = st_scaling_clamp(next, min, max);
            if (to >= g->desired) {
                return;
            }
            p->scale_in_after_ms = now + (int64_t)policy_cooldown(p, g) * 1000;
        }
        break;
    }
    }
    if (to == g->desired) {
        return;
    }
    char when[40], cause[1200];
    st_alarm_format_iso_time(now, when, sizeof(when));
    snprintf(cause, sizeof(cause),
             "At %s a monitor alarm %s in state %s triggered policy %s changing the desired "
             "capacity from %d to %d.",
             when, al->name, st_alarm_state_name(al->state), d->policy_name, g->desired, to);
    change_capacity(s, g, to, cause, cooldown, NULL);
}

/* --- operations --- */

static struct st_scaling *scaling_of(struct st_collector *c)
{
    return c->alarms->scaling;
}

static void fail_validation(struct st_call *call, const char *msg)
{
    st_call_fail_status(call, 400, "ValidationError", msg);
}

static bool bad_name(const char *s)
{
    if (!s || !s[0] || strlen(s) > 255) {
        return true;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == '/' || *p == ':') {
            return true;
        }
    }
    return false;
}

static ProtobufCMessage *owned_copy(const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = pack(m, &len);
    if (!buf) {
        return NULL;
    }
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    st_free(buf);
    return copy;
}

enum put_mode { PUT_ANY, PUT_CREATE, PUT_UPDATE };

/* PutScalingGroup (PUT_ANY), CreateAutoScalingGroup and UpdateAutoScalingGroup. */
static void put_group(struct st_scaling *s, struct st_call *call,
                      const Stratus__PutScalingGroupRequest *req, enum put_mode mode)
{
    char msg[400];
    if (bad_name(req->auto_scaling_group_name)) {
        fail_validation(call, "AutoScalingGroupName must be 1-255 characters without '/', ':' "
                              "or control characters.");
        return;
    }
    struct group *g = find_group(s, req->auto_scaling_group_name);
    if (g && mode == PUT_CREATE) {
        snprintf(msg, sizeof(msg),
                 "AutoScalingGroup by this name already exists - A group with the name %s "
                 "already exists",
                 g->name);
        st_call_fail_status(call, 400, "AlreadyExists", msg);
        return;
    }
    if (!g && mode == PUT_UPDATE) {
        snprintf(msg, sizeof(msg),
                 "AutoScalingGroup name not found - AutoScalingGroup '%s' not found",
                 req->auto_scaling_group_name);
        fail_validation(call, msg);
        return;
    }
    if (!g && (!req->has_min_size || !req->has_max_size)) {
        fail_validation(call, "MinSize and MaxSize are required to create a group.");
        return;
    }
    int min = req->has_min_size ? req->min_size : g->def->min_size;
    int max = req->has_max_size ? req->max_size : g->def->max_size;
    if (min < 0 || max < min || max > MAX_GROUP_SIZE) {
        fail_validation(call, "MinSize must be >= 0 and <= MaxSize, MaxSize at most 100000.");
        return;
    }
    /* As EC2: new bounds without a DesiredCapacity move the capacity into them. */
    int desired = req->has_desired_capacity ? req->desired_capacity
                  : g                       ? st_scaling_clamp(g->desired, min, max)
                                            : min;
    if (desired < min || desired > max) {
        fail_validation(call, "DesiredCapacity must be between MinSize and MaxSize.");
        return;
    }
    if (req->has_default_cooldown && req->default_cooldown < 0) {
        fail_validation(call, "DefaultCooldown must be >= 0.");
        return;
    }
    struct st_error err;
    if (req->apply_hook && (strncmp(req->apply_hook, "exec:", 5) != 0 ||
                            st_action_validate(req->apply_hook, "ApplyHook", &err) < 0)) {
        fail_validation(call, "ApplyHook (the tag " APPLY_HOOK_TAG ") must be exec:/absolute/path "
                              "[args].");
        return;
    }
    Stratus__PutScalingGroupRequest *def =
        (Stratus__PutScalingGroupRequest *)owned_copy(&req->base);
    if (!def) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    def->has_min_size = def->has_max_size = true;
    def->min_size = min;
    def->max_size = max;
    def->has_desired_capacity = false;
    bool created = !g;
    if (!g) {
        g = st_calloc(1, sizeof(*g));
        if (!g || push_ptr((void ***)&s->groups, &s->n_groups, g) < 0) {
            st_free(g);
            stratus__put_scaling_group_request__free_unpacked(def, NULL);
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
        g->created_ms = st_wall_ms();
    } else {
        if (!req->has_default_cooldown && g->def->has_default_cooldown) {
            def->has_default_cooldown = true;
            def->default_cooldown = g->def->default_cooldown;
        }
        if (!req->apply_hook && g->def->apply_hook) {
            def->apply_hook = strdup(g->def->apply_hook); /* protobuf-c frees with free() */
        }
        if (req->n_tags == 0 && g->def->n_tags > 0) {
            /* The tags move over: protobuf-c frees them with the definition that owns them. */
            def->tags = g->def->tags;
            def->n_tags = g->def->n_tags;
            g->def->tags = NULL;
            g->def->n_tags = 0;
        }
        stratus__put_scaling_group_request__free_unpacked(g->def, NULL);
    }
    g->def = def;
    g->name = def->auto_scaling_group_name;
    if (desired != g->desired) {
        char when[40], cause[600];
        st_alarm_format_iso_time(st_wall_ms(), when, sizeof(when));
        snprintf(cause, sizeof(cause),
                 "At %s a user request %s the group, changing the desired capacity from %d to "
                 "%d.",
                 when, created ? "created" : "updated", g->desired, desired);
        change_capacity(s, g, desired, cause, 0, call);
        return;
    }
    struct save_job *j = save_job_new(s, g);
    if (!j || job_add_group(j, g) < 0) {
        if (j) {
            save_job_free(j);
        }
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    j->call = call;
    submit(s, j);
}

void st_op_put_scaling_group(struct st_collector *c, struct st_call *call)
{
    put_group(scaling_of(c), call, (const Stratus__PutScalingGroupRequest *)call->request, PUT_ANY);
}

void st_op_create_auto_scaling_group(struct st_collector *c, struct st_call *call)
{
    const Stratus__CreateAutoScalingGroupRequest *req =
        (const Stratus__CreateAutoScalingGroupRequest *)call->request;
    Stratus__PutScalingGroupRequest put = STRATUS__PUT_SCALING_GROUP_REQUEST__INIT;
    put.auto_scaling_group_name = req->auto_scaling_group_name;
    put.has_min_size = req->has_min_size;
    put.min_size = req->min_size;
    put.has_max_size = req->has_max_size;
    put.max_size = req->max_size;
    put.has_desired_capacity = req->has_desired_capacity;
    put.desired_capacity = req->desired_capacity;
    put.has_default_cooldown = req->has_default_cooldown;
    put.default_cooldown = req->default_cooldown;
    if (req->n_tags > MAX_TAGS) {
        fail_validation(call, "At most 50 tags per group.");
        return;
    }
    Stratus__Tag *tags = st_arena_alloc(&call->arena, (req->n_tags + 1) * sizeof(*tags));
    put.tags = st_arena_alloc(&call->arena, (req->n_tags + 1) * sizeof(*put.tags));
    if (!tags || !put.tags) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_tags; i++) {
        const Stratus__Tag *t = req->tags[i];
        if (!t->key || !t->key[0] || strlen(t->key) > 128 || (t->value && strlen(t->value) > 256)) {
            fail_validation(call, "A tag needs a Key of 1-128 characters and a Value of at most "
                                  "256.");
            return;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(req->tags[k]->key, t->key) == 0) {
                fail_validation(call, "Duplicate tag keys.");
                return;
            }
        }
        /* As DescribeAutoScalingGroups shows them: of this group. */
        tags[i] = *t;
        tags[i].resource_id = req->auto_scaling_group_name;
        tags[i].resource_type = "auto-scaling-group";
        tags[i].value = t->value ? t->value : "";
        tags[i].has_propagate_at_launch = true;
        tags[i].propagate_at_launch = t->has_propagate_at_launch && t->propagate_at_launch;
        put.tags[put.n_tags++] = &tags[i];
        if (strcmp(t->key, APPLY_HOOK_TAG) == 0) {
            put.apply_hook = (char *)tags[i].value;
        }
    }
    put_group(scaling_of(c), call, &put, PUT_CREATE);
}

void st_op_update_auto_scaling_group(struct st_collector *c, struct st_call *call)
{
    const Stratus__UpdateAutoScalingGroupRequest *req =
        (const Stratus__UpdateAutoScalingGroupRequest *)call->request;
    Stratus__PutScalingGroupRequest put = STRATUS__PUT_SCALING_GROUP_REQUEST__INIT;
    put.auto_scaling_group_name = req->auto_scaling_group_name;
    put.has_min_size = req->has_min_size;
    put.min_size = req->min_size;
    put.has_max_size = req->has_max_size;
    put.max_size = req->max_size;
    put.has_desired_capacity = req->has_desired_capacity;
    put.desired_capacity = req->desired_capacity;
    put.has_default_cooldown = req->has_default_cooldown;
    put.default_cooldown = req->default_cooldown;
    put_group(scaling_of(c), call, &put, PUT_UPDATE);
}

static void group_to_pb(const struct group *g, Stratus__AutoScalingGroup *o, char *arn,
                        size_t arn_len)
{
    stratus__auto_scaling_group__init(o);
    snprintf(arn, arn_len,
             ST_ACTION_SCALING_PREFIX "local:000000000000:autoScalingGroup:autoScalingGroupName/%s",
             g->name);
    o->auto_scaling_group_name = g->name;
    o->auto_scaling_group_arn = arn;
    o->has_min_size = o->has_max_size = o->has_desired_capacity = true;
    o->min_size = g->def->min_size;
    o->max_size = g->def->max_size;
    o->desired_capacity = g->desired;
    o->has_default_cooldown = true;
    o->default_cooldown =
        g->def->has_default_cooldown ? g->def->default_cooldown : DEFAULT_COOLDOWN_S;
    o->apply_hook = g->def->apply_hook;
    o->has_created_time_ms = true;
    o->created_time_ms = g->created_ms;
    o->tags = g->def->tags;
    o->n_tags = g->def->n_tags;
    o->health_check_type = "EC2";
}

/* Whether a Describe filter lets name (or its alias, NULL for none) through: an empty list
 * lets everything through, else one of its entries must be equal. */
static bool filter_allows(char *const *list, size_t n, const char *name, const char *alias)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(list[k], name) == 0 || (alias && strcmp(list[k], alias) == 0)) {
            return true;
        }
    }
    return n == 0;
}

void st_op_describe_scaling_groups(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DescribeScalingGroupsRequest *req =
        (const Stratus__DescribeScalingGroupsRequest *)call->request;
    Stratus__DescribeScalingGroupsResponse resp = STRATUS__DESCRIBE_SCALING_GROUPS_RESPONSE__INIT;
    resp.auto_scaling_groups =
        st_arena_alloc(&call->arena, (s->n_groups + 1) * sizeof(*resp.auto_scaling_groups));
    if (!resp.auto_scaling_groups) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    for (size_t i = 0; i < s->n_groups; i++) {
        const struct group *g = s->groups[i];
        if (!filter_allows(req->auto_scaling_group_names, req->n_auto_scaling_group_names, g->name,
                           NULL)) {
            continue;
        }
        Stratus__AutoScalingGroup *o = st_arena_alloc(&call->arena, sizeof(*o));
        char *arn = st_arena_alloc(&call->arena, 400);
        if (!o || !arn) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
        group_to_pb(g, o, arn, 400);
        resp.auto_scaling_groups[resp.n_auto_scaling_groups++] = o;
    }
    st_call_reply(call, &resp.base);
}

static bool valid_adjustment_type(const char *t)
{
    return t && (strcmp(t, "ChangeInCapacity") == 0 || strcmp(t, "ExactCapacity") == 0 ||
                 strcmp(t, "PercentChangeInCapacity") == 0);
}

/* Checks the policy; NULL or the message of the ValidationError. */
static const char *check_policy(const Stratus__PutScalingPolicyRequest *r, enum policy_type *ret)
{
    const char *type = r->policy_type ? r->policy_type : "SimpleScaling";
    if (bad_name(r->policy_name)) {
        return "PolicyName must be 1-255 characters without '/', ':' or control characters.";
    }
    if ((r->has_cooldown && r->cooldown < 0) ||
        (r->has_estimated_instance_warmup && r->estimated_instance_warmup < 0)) {
        return "Cooldown and EstimatedInstanceWarmup must be >= 0.";
    }
    if (r->has_min_adjustment_magnitude &&
        (r->min_adjustment_magnitude < 1 || !r->adjustment_type ||
         strcmp(r->adjustment_type, "PercentChangeInCapacity") != 0)) {
        return "MinAdjustmentMagnitude must be >= 1 and is only valid with "
               "PercentChangeInCapacity.";
    }
    if (strcmp(type, "SimpleScaling") == 0) {
        *ret = SIMPLE;
        if (!valid_adjustment_type(r->adjustment_type)) {
            return "AdjustmentType must be ChangeInCapacity, ExactCapacity or "
                   "PercentChangeInCapacity.";
        }
        if (!r->has_scaling_adjustment) {
            return "ScalingAdjustment is required for a SimpleScaling policy.";
        }
        if (r->n_step_adjustments || r->target_tracking_configuration) {
            return "StepAdjustments and TargetTrackingConfiguration are not valid for a "
                   "SimpleScaling policy.";
        }
        if (r->metric_aggregation_type) {
            return "MetricAggregationType is valid for a StepScaling policy only.";
        }
        return NULL;
    }
    if (strcmp(type, "StepScaling") == 0) {
        *ret = STEP;
        if (!valid_adjustment_type(r->adjustment_type)) {
            return "AdjustmentType must be ChangeInCapacity, ExactCapacity or "
                   "PercentChangeInCapacity.";
        }
        if (r->n_step_adjustments == 0 || r->n_step_adjustments > 20) {
            return "StepAdjustments must have 1 to 20 members.";
        }
        const char *agg = r->metric_aggregation_type;
        if (agg && strcmp(agg, "Average") != 0 && strcmp(agg, "Minimum") != 0 &&
            strcmp(agg, "Maximum") != 0) {
            return "MetricAggregationType must be Average, Minimum or Maximum.";
        }
        if (r->has_scaling_adjustment || r->has_cooldown) {
            return "ScalingAdjustment and Cooldown are not valid for a StepScaling policy.";
        }
        for (size_t i = 0; i < r->n_step_adjustments; i++) {
            const Stratus__StepAdjustment *a = r->step_adjustments[i];
            if (!a->has_scaling_adjustment) {
                return "Each step adjustment needs ScalingAdjustment.";
            }
            if (a->has_metric_interval_lower_bound && a->has_metric_interval_upper_bound &&
                !(a->metric_interval_lower_bound < a->metric_interval_upper_bound)) {
                return "A step's MetricIntervalLowerBound must be below its upper bound.";
            }
            for (size_t k = 0; k < i; k++) {
                const Stratus__StepAdjustment *b = r->step_adjustments[k];
                double alo =
                    a->has_metric_interval_lower_bound ? a->metric_interval_lower_bound : -INFINITY;
                double ahi =
                    a->has_metric_interval_upper_bound ? a->metric_interval_upper_bound : INFINITY;
                double blo =
                    b->has_metric_interval_lower_bound ? b->metric_interval_lower_bound : -INFINITY;
                double bhi =
                    b->has_metric_interval_upper_bound ? b->metric_interval_upper_bound : INFINITY;
                if (alo < bhi && blo < ahi) {
                    return "Step adjustments must not overlap.";
                }
            }
        }
        return NULL;
    }
    if (strcmp(type, "TargetTrackingScaling") == 0) {
        *ret = TARGET;
        const Stratus__TargetTrackingConfiguration *t = r->target_tracking_configuration;
        const Stratus__CustomizedMetricSpecification *m =
            t ? t->customized_metric_specification : NULL;
        if (!t || !t->has_target_value || !(t->target_value > 0) || !m || !m->metric_name ||
            !m->namespace_ || !m->statistic) {
            return "TargetTrackingConfiguration needs TargetValue > 0 and a "
                   "CustomizedMetricSpecification with MetricName, Namespace and Statistic.";
        }
        if (r->adjustment_type || r->has_scaling_adjustment || r->n_step_adjustments ||
            r->metric_aggregation_type) {
            return "AdjustmentType, ScalingAdjustment, StepAdjustments and MetricAggregationType "
                   "are not valid for a TargetTrackingScaling policy.";
        }
        return NULL;
    }
    return "PolicyType must be SimpleScaling, StepScaling or TargetTrackingScaling.";
}

/* The managed alarms of a target tracking policy: high (out) and low (in). */
static Stratus__PutMetricAlarmRequest *tt_alarm(const Stratus__PutScalingPolicyRequest *r,
                                                const char *arn, bool high)
{
    const Stratus__TargetTrackingConfiguration *t = r->target_tracking_configuration;
    const Stratus__CustomizedMetricSpecification *m = t->customized_metric_specification;
    Stratus__PutMetricAlarmRequest req = STRATUS__PUT_METRIC_ALARM_REQUEST__INIT;
    char name[700];
    snprintf(name, sizeof(name), "TargetTracking-%s-Alarm%s-%s", r->auto_scaling_group_name,
             high ? "High" : "Low", r->policy_name);
    char desc[300];
    snprintf(desc, sizeof(desc), "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy %s.",
             r->policy_name);
    char *action = (char *)arn;
    req.alarm_name = name;
    req.alarm_description = desc;
    req.namespace_ = m->namespace_;
    req.metric_name = m->metric_name;
    req.dimensions = m->dimensions;
    req.n_dimensions = m->n_dimensions;
    req.statistic = m->statistic;
    req.unit = m->unit;
    req.has_period = req.has_evaluation_periods = req.has_threshold = true;
    req.period = m->has_period ? m->period : 60;
    /* As EC2: out after 3 breaching periods, in after 15 below 90 % of the target. */
    req.evaluation_periods = high ? 3 : 15;
    req.threshold = high ? t->target_value : t->target_value * 0.9;
    req.comparison_operator = high ? "GreaterThanThreshold" : "LessThanThreshold";
    req.alarm_actions = &action;
    req.n_alarm_actions = 1;
    return (Stratus__PutMetricAlarmRequest *)owned_copy(&req.base);
}

struct policy_reply {
    struct st_call *call;
    char arn[600];
    char names[2][700];
    unsigned n_alarms;
    int status;
};

static void run_policy_noop(sqlite3 *db, void *data)
{
    (void)db;
    (void)data;
}

/* Runs after the policy row and its alarms are stored (FIFO worker): the reply. */
static void done_policy_reply(void *data)
{
    struct policy_reply *pr = data;
    Stratus__PutScalingPolicyResponse resp = STRATUS__PUT_SCALING_POLICY_RESPONSE__INIT;
    Stratus__Alarm al[2], *alp[2];
    char arns[2][800];
    resp.policy_arn = pr->arn;
    for (unsigned i = 0; i < pr->n_alarms; i++) {
        stratus__alarm__init(&al[i]);
        al[i].alarm_name = pr->names[i];
        st_alarm_arn(pr->names[i], arns[i], sizeof(arns[i]));
        al[i].alarm_arn = arns[i];
        alp[i] = &al[i];
    }
    resp.alarms = alp;
    resp.n_alarms = pr->n_alarms;
    st_call_reply(pr->call, &resp.base);
    st_free(pr);
}

void st_op_put_scaling_policy(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__PutScalingPolicyRequest *req =
        (const Stratus__PutScalingPolicyRequest *)call->request;
    struct group *g = find_group(s, req->auto_scaling_group_name);
    if (!g) {
        fail_validation(call, "No AutoScalingGroup of that name.");
        return;
    }
    enum policy_type type;
    const char *msg = check_policy(req, &type);
    if (msg) {
        fail_validation(call, msg);
        return;
    }
    char arn[600];
    policy_arn(g->name, req->policy_name, arn, sizeof(arn));
    Stratus__PutScalingPolicyRequest *def =
        (Stratus__PutScalingPolicyRequest *)owned_copy(&req->base);
    struct policy *p = find_policy(s, arn);
    bool fresh = !p;
    struct policy_reply *pr = st_calloc(1, sizeof(*pr));
    if (!def || !pr || (fresh && !(p = st_calloc(1, sizeof(*p))))) {
        goto oom;
    }
    if (fresh) {
        if (!(p->arn = st_strdup(arn)) || push_ptr((void ***)&s->policies, &s->n_policies, p) < 0) {
            st_free(p->arn);
            st_free(p);
            goto oom;
        }
    } else {
        stratus__put_scaling_policy_request__free_unpacked(p->def, NULL);
    }
    p->def = def;
    p->type = type;
    def = NULL;
    pr->call = call;
    snprintf(pr->arn, sizeof(pr->arn), "%s", arn);
    if (type == TARGET) {
        const Stratus__TargetTrackingConfiguration *t = p->def->target_tracking_configuration;
        bool with_low = !(t->has_disable_scale_in && t->disable_scale_in);
        for (int k = 0; k < (with_low ? 2 : 1); k++) {
            Stratus__PutMetricAlarmRequest *a = tt_alarm(p->def, arn, k == 0);
            if (!a) {
                goto oom;
            }
            snprintf(pr->names[pr->n_alarms++], sizeof(pr->names[0]), "%s", a->alarm_name);
            st_alarms_put(s->a, a, NULL, NULL);
        }
    }
    struct save_job *j = save_job_new(s, g);
    if (!j) {
        goto oom;
    }
    j->arn = st_strdup(arn);
    j->policy_def = pack(&p->def->base, &j->policy_def_len);
    if (!j->arn || !j->policy_def) {
        save_job_free(j);
        goto oom;
    }
    submit(s, j);
    /* Jobs finish in order: this reply comes after the policy and its alarms are stored. */
    if (st_alarm_db_submit(s->a->db, run_policy_noop, done_policy_reply, pr) < 0) {
        pr->call = NULL;
        st_free(pr);
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    return;
oom:
    if (def) {
        stratus__put_scaling_policy_request__free_unpacked(def, NULL);
    }
    st_free(pr);
    st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

static const char *type_name(enum policy_type t)
{
    return t == SIMPLE ? "SimpleScaling" : t == STEP ? "StepScaling" : "TargetTrackingScaling";
}

/* DescribePolicies pages in (group name, policy name) order. Its token is that key of the last
 * policy of a page: "<length of the group name>:<group name><policy name>". */
struct policy_key {
    const char *group, *name;
    size_t group_len;
};

static int policy_key_cmp(const struct policy *p, const struct policy_key *k)
{
    const char *g = p->def->auto_scaling_group_name;
    size_t gl = strlen(g);
    int c = memcmp(g, k->group, gl < k->group_len ? gl : k->group_len);
    if (c == 0 && gl != k->group_len) {
        c = gl < k->group_len ? -1 : 1;
    }
    return c != 0 ? c : strcmp(p->def->policy_name, k->name);
}

static int by_policy_key(const void *a, const void *b)
{
    const struct policy *x = *(struct policy *const *)a, *y = *(struct policy *const *)b;
    int c = strcmp(x->def->auto_scaling_group_name, y->def->auto_scaling_group_name);
    return c != 0 ? c : strcmp(x->def->policy_name, y->def->policy_name);
}

static bool policy_key_parse(const char *token, struct policy_key *k)
{
    size_t len = strlen(token), gl = 0, i = 0;
    if (len == 0 || len > 1024) {
        return false;
    }
    for (; token[i] >= '0' && token[i] <= '9' && i < 4; i++) {
        gl = gl * 10 + (size_t)(token[i] - '0');
    }
    if (i == 0 || token[i] != ':' || gl == 0 || gl >= len - i - 1) {
        return false;
    }
    k->group = token + i + 1;
    k->group_len = gl;
    k->name = token + i + 1 + gl;
    return true;
}

static char *policy_key_token(struct st_arena *arena, const struct policy *p)
{
    const char *g = p->def->auto_scaling_group_name, *n = p->def->policy_name;
    size_t size = strlen(g) + strlen(n) + 24;
    char *t = st_arena_alloc(arena, size);
    if (t) {
        snprintf(t, size, "%zu:%s%s", strlen(g), g, n);
    }
    return t;
}

void st_op_describe_policies(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DescribePoliciesRequest *req =
        (const Stratus__DescribePoliciesRequest *)call->request;
    int32_t max = req->has_max_records ? req->max_records : 50;
    if (max < 1 || max > 100) {
        fail_validation(call, "MaxRecords must be between 1 and 100.");
        return;
    }
    struct policy_key after = {0};
    if (req->next_token && !policy_key_parse(req->next_token, &after)) {
        st_call_fail_status(call, 400, ST_ERR_INVALID_NEXT_TOKEN, "The token is not valid.");
        return;
    }
    Stratus__DescribePoliciesResponse resp = STRATUS__DESCRIBE_POLICIES_RESPONSE__INIT;
    struct policy **sel = st_arena_alloc(&call->arena, (s->n_policies + 1) * sizeof(*sel));
    resp.scaling_policies =
        st_arena_alloc(&call->arena, ((size_t)max + 1) * sizeof(*resp.scaling_policies));
    if (!sel || !resp.scaling_policies) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    /* By group, then policy name; the token is the key of the last policy of the page. */
    size_t n = 0;
    for (size_t i = 0; i < s->n_policies; i++) {
        struct policy *p = s->policies[i];
        const Stratus__PutScalingPolicyRequest *d = p->def;
        if (req->auto_scaling_group_name &&
            strcmp(req->auto_scaling_group_name, d->auto_scaling_group_name) != 0) {
            continue;
        }
        if (!filter_allows(req->policy_names, req->n_policy_names, d->policy_name, p->arn) ||
            !filter_allows(req->policy_types, req->n_policy_types, type_name(p->type), NULL)) {
            continue;
        }
        if (req->next_token && policy_key_cmp(p, &after) <= 0) {
            continue;
        }
        sel[n++] = p;
    }
    qsort(sel, n, sizeof(*sel), by_policy_key);
    for (size_t i = 0; i < n && i < (size_t)max; i++) {
        const struct policy *p = sel[i];
        const Stratus__PutScalingPolicyRequest *d = p->def;
        Stratus__ScalingPolicy *o = st_arena_alloc(&call->arena, sizeof(*o));
        if (!o) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
        stratus__scaling_policy__init(o);
        o->auto_scaling_group_name = d->auto_scaling_group_name;
        o->policy_name = d->policy_name;
        o->policy_arn = p->arn;
        o->policy_type = (char *)type_name(p->type);
        o->adjustment_type = d->adjustment_type;
        o->has_min_adjustment_magnitude = d->has_min_adjustment_magnitude;
        o->min_adjustment_magnitude = d->min_adjustment_magnitude;
        o->has_scaling_adjustment = d->has_scaling_adjustment;
        o->scaling_adjustment = d->scaling_adjustment;
        o->has_cooldown = d->has_cooldown;
        o->cooldown = d->cooldown;
        o->step_adjustments = d->step_adjustments;
        o->n_step_adjustments = d->n_step_adjustments;
        o->metric_aggregation_type = d->metric_aggregation_type;
        o->has_estimated_instance_warmup = d->has_estimated_instance_warmup;
        o->estimated_instance_warmup = d->estimated_instance_warmup;
        o->target_tracking_configuration = d->target_tracking_configuration;
        o->has_enabled = true;
        o->enabled = !d->has_enabled || d->enabled;
        /* The alarms that name this policy in an action. */
        struct st_alarms *a = s->a;
        o->alarms = st_arena_alloc(&call->arena, 8 * sizeof(*o->alarms));
        for (size_t k = 0; o->alarms && k < a->n && o->n_alarms < 8; k++) {
            const struct st_alarm *al = a->items[k];
            char **acts = al->composite ? al->comp->alarm_actions : al->metric->alarm_actions;
            size_t n_acts = al->composite ? al->comp->n_alarm_actions : al->metric->n_alarm_actions;
            bool names = false;
            for (size_t x = 0; x < n_acts && !names; x++) {
                names = strcmp(acts[x], p->arn) == 0;
            }
            if (!names) {
                continue;
            }
            Stratus__Alarm *e = st_arena_alloc(&call->arena, sizeof(*e));
            char *earn = st_arena_alloc(&call->arena, 600);
            if (!e || !earn) {
                break;
            }
            stratus__alarm__init(e);
            e->alarm_name = al->name;
            st_alarm_arn(al->name, earn, 600);
            e->alarm_arn = earn;
            o->alarms[o->n_alarms++] = e;
        }
        resp.scaling_policies[resp.n_scaling_policies++] = o;
    }
    if (n > (size_t)max) {
        resp.next_token = policy_key_token(&call->arena, sel[max - 1]);
        if (!resp.next_token) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
    }
    st_call_reply(call, &resp.base);
}

void st_op_describe_scaling_activities(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DescribeScalingActivitiesRequest *req =
        (const Stratus__DescribeScalingActivitiesRequest *)call->request;
    int32_t max = req->has_max_records ? req->max_records : 100;
    if (max < 1 || max > 100) {
        fail_validation(call, "MaxRecords must be between 1 and 100.");
        return;
    }
    if (req->auto_scaling_group_name && !find_group(s, req->auto_scaling_group_name)) {
        fail_validation(call, "No AutoScalingGroup of that name.");
        return;
    }
    if (req->n_activity_ids > 50) {
        fail_validation(call, "ActivityIds can name at most 50 activities.");
        return;
    }
    /* Newest first; the token is the sequence number of the last activity of the page. */
    int64_t before = INT64_MAX;
    if (req->next_token) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(req->next_token, &end, 10);
        if (errno != 0 || end == req->next_token || *end != '\0' || v < 1) {
            st_call_fail_status(call, 400, ST_ERR_INVALID_NEXT_TOKEN, "The token is not valid.");
            return;
        }
        before = v;
    }
    Stratus__DescribeScalingActivitiesResponse resp =
        STRATUS__DESCRIBE_SCALING_ACTIVITIES_RESPONSE__INIT;
    resp.activities = st_arena_alloc(&call->arena, (size_t)max * sizeof(*resp.activities));
    if (!resp.activities) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    /* Newest first across the groups asked for: merge by sequence number. */
    size_t pos[1024];
    size_t n_groups = s->n_groups < 1024 ? s->n_groups : 1024;
    for (size_t i = 0; i < n_groups; i++) {
        pos[i] = s->groups[i]->n_acts;
        while (pos[i] > 0 && s->groups[i]->acts[pos[i] - 1]->seq >= before) {
            pos[i]--;
        }
    }
    int64_t last_seq = 0;
    for (;;) {
        struct group *best = NULL;
        size_t bi = 0;
        for (size_t i = 0; i < n_groups; i++) {
            struct group *g = s->groups[i];
            if (pos[i] == 0 || (req->auto_scaling_group_name &&
                                strcmp(req->auto_scaling_group_name, g->name) != 0)) {
                continue;
            }
            if (!best || g->acts[pos[i] - 1]->seq > best->acts[pos[bi] - 1]->seq) {
                best = g;
                bi = i;
            }
        }
        if (!best) {
            break;
        }
        const struct activity *x = best->acts[--pos[bi]];
        bool want = req->n_activity_ids == 0;
        for (size_t k = 0; k < req->n_activity_ids && !want; k++) {
            want = strcmp(req->activity_ids[k], x->id) == 0;
        }
        if (!want) {
            continue;
        }
        if (resp.n_activities == (size_t)max) { /* one more exists: the page ends here */
            char *t = st_arena_alloc(&call->arena, 24);
            if (!t) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
                return;
            }
            snprintf(t, 24, "%" PRId64, last_seq);
            resp.next_token = t;
            break;
        }
        last_seq = x->seq;
        Stratus__Activity *o = st_arena_alloc(&call->arena, sizeof(*o));
        if (!o) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
        stratus__activity__init(o);
        o->activity_id = (char *)x->id;
        o->auto_scaling_group_name = best->name;
        o->description = x->description;
        o->cause = x->cause;
        o->has_start_time_ms = true;
        o->start_time_ms = x->start_ms;
        o->has_end_time_ms = x->end_ms > 0;
        o->end_time_ms = x->end_ms;
        o->status_code = (char *)x->status;
        o->status_message = x->status_message && x->status_message[0] ? x->status_message : NULL;
        o->has_progress = true;
        o->progress = strcmp(x->status, "InProgress") == 0 ? 30 : 100;
        o->details = x->details;
        resp.activities[resp.n_activities++] = o;
    }
    st_call_reply(call, &resp.base);
}

void st_op_set_desired_capacity(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__SetDesiredCapacityRequest *req =
        (const Stratus__SetDesiredCapacityRequest *)call->request;
    struct group *g = find_group(s, req->auto_scaling_group_name);
    if (!g) {
        fail_validation(call, "No AutoScalingGroup of that name.");
        return;
    }
    if (!req->has_desired_capacity) {
        fail_validation(call, "DesiredCapacity is required.");
        return;
    }
    char msg[200];
    if (req->desired_capacity < g->def->min_size || req->desired_capacity > g->def->max_size) {
        snprintf(msg, sizeof(msg),
                 "New SetDesiredCapacity value %d is outside the group's bounds [%d, %d].",
                 req->desired_capacity, g->def->min_size, g->def->max_size);
        fail_validation(call, msg);
        return;
    }
    if (req->has_honor_cooldown && req->honor_cooldown &&
        (g->hook_running || in_progress(g) || st_wall_ms() < g->cooldown_until_ms)) {
        st_call_fail_status(call, 400, "ScalingActivityInProgress",
                            "Scaling activity in progress or the group is in its cooldown.");
        return;
    }
    if (req->desired_capacity == g->desired) {
        st_call_reply_packed(call, NULL, 0);
        return;
    }
    char when[40], cause[600];
    st_alarm_format_iso_time(st_wall_ms(), when, sizeof(when));
    snprintf(cause, sizeof(cause),
             "At %s a user request explicitly set group desired capacity changing the desired "
             "capacity from %d to %d.",
             when, g->desired, req->desired_capacity);
    change_capacity(s, g, req->desired_capacity, cause,
                    req->has_honor_cooldown && req->honor_cooldown ? policy_cooldown(NULL, g) : 0,
                    call);
}

static int by_group_name(const void *a, const void *b)
{
    return strcmp((*(struct group *const *)a)->name, (*(struct group *const *)b)->name);
}

void st_op_describe_auto_scaling_groups(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DescribeAutoScalingGroupsRequest *req =
        (const Stratus__DescribeAutoScalingGroupsRequest *)call->request;
    int32_t max = req->has_max_records ? req->max_records : 50;
    if (max < 1 || max > 100) {
        fail_validation(call, "MaxRecords must be between 1 and 100.");
        return;
    }
    /* By name; the token is the name of the last group of the page before. */
    struct group **sel = st_arena_alloc(&call->arena, (s->n_groups + 1) * sizeof(*sel));
    Stratus__DescribeAutoScalingGroupsResponse resp =
        STRATUS__DESCRIBE_AUTO_SCALING_GROUPS_RESPONSE__INIT;
    resp.auto_scaling_groups =
        st_arena_alloc(&call->arena, ((size_t)max + 1) * sizeof(*resp.auto_scaling_groups));
    if (!sel || !resp.auto_scaling_groups) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    if (req->next_token && (!req->next_token[0] || strlen(req->next_token) > 255)) {
        st_call_fail_status(call, 400, ST_ERR_INVALID_NEXT_TOKEN, "The token is not valid.");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->n_groups; i++) {
        struct group *g = s->groups[i];
        bool want = req->n_auto_scaling_group_names == 0;
        for (size_t k = 0; k < req->n_auto_scaling_group_names && !want; k++) {
            want = strcmp(req->auto_scaling_group_names[k], g->name) == 0;
        }
        if (want && (!req->next_token || strcmp(g->name, req->next_token) > 0)) {
            sel[n++] = g;
        }
    }
    qsort(sel, n, sizeof(*sel), by_group_name);
    for (size_t i = 0; i < n && i < (size_t)max; i++) {
        Stratus__AutoScalingGroup *o = st_arena_alloc(&call->arena, sizeof(*o));
        char *arn = st_arena_alloc(&call->arena, 400);
        if (!o || !arn) {
            st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
            return;
        }
        group_to_pb(sel[i], o, arn, 400);
        resp.auto_scaling_groups[resp.n_auto_scaling_groups++] = o;
    }
    if (n > (size_t)max) {
        resp.next_token = sel[max - 1]->name;
    }
    st_call_reply(call, &resp.base);
}

/* The managed alarms of a target tracking policy that exist, named into names[0..2). */
static size_t managed_alarms(struct st_scaling *s, const struct policy *p, char names[2][700])
{
    size_t n = 0;
    if (p->type != TARGET) {
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        snprintf(names[n], sizeof(names[n]), "TargetTracking-%s-Alarm%s-%s",
                 p->def->auto_scaling_group_name, k == 0 ? "High" : "Low", p->def->policy_name);
        if (st_alarms_find(s->a, names[n])) {
            n++;
        }
    }
    return n;
}

static void remove_policy_at(struct st_scaling *s, size_t i)
{
    policy_free(s->policies[i]);
    memmove(&s->policies[i], &s->policies[i + 1], (s->n_policies - i - 1) * sizeof(*s->policies));
    s->n_policies--;
}

/* Ends call after the deletion job j (submitted first) and the managed alarms' deletion. */
static void submit_delete(struct st_scaling *s, struct save_job *j, char **alarms, size_t n,
                          struct st_call *call)
{
    if (n == 0) {
        j->call = call;
        submit(s, j);
        return;
    }
    submit(s, j); /* the worker runs jobs in order: the alarms go after it */
    st_alarms_delete(s->a, alarms, n, call);
}

void st_op_delete_auto_scaling_group(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DeleteAutoScalingGroupRequest *req =
        (const Stratus__DeleteAutoScalingGroupRequest *)call->request;
    struct group *g = find_group(s, req->auto_scaling_group_name);
    char msg[400];
    if (!g) {
        snprintf(msg, sizeof(msg),
                 "AutoScalingGroup name not found - AutoScalingGroup '%s' not found",
                 req->auto_scaling_group_name ? req->auto_scaling_group_name : "null");
        fail_validation(call, msg);
        return;
    }
    bool force = req->has_force_delete && req->force_delete;
    if (!force && (g->hook_running || in_progress(g))) {
        st_call_fail_status(call, 400, "ScalingActivityInProgress",
                            "You cannot delete an AutoScalingGroup while there is a scaling "
                            "activity in progress.");
        return;
    }
    if (!force && g->desired > 0) {
        st_call_fail_status(call, 400, "ResourceInUse",
                            "You cannot delete an AutoScalingGroup while its desired capacity is "
                            "above 0: set it to 0 first, or use ForceDelete.");
        return;
    }
    struct save_job *j = save_job_new(s, g);
    size_t n_alarms = 0;
    char(*names)[700] = st_arena_alloc(&call->arena, (2 * s->n_policies + 1) * sizeof(*names));
    char **alarms = st_arena_alloc(&call->arena, (2 * s->n_policies + 1) * sizeof(*alarms));
    if (!j || !names || !alarms) {
        if (j) {
            save_job_free(j);
        }
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    j->delete_group = true;
    for (size_t i = s->n_policies; i-- > 0;) {
        if (strcmp(s->policies[i]->def->auto_scaling_group_name, g->name) == 0) {
            size_t k = managed_alarms(s, s->policies[i], &names[n_alarms]);
            for (size_t x = 0; x < k; x++) {
                alarms[n_alarms] = names[n_alarms];
                n_alarms++;
            }
            remove_policy_at(s, i);
        }
    }
    for (size_t i = 0; i < s->n_groups; i++) {
        if (s->groups[i] == g) {
            memmove(&s->groups[i], &s->groups[i + 1], (s->n_groups - i - 1) * sizeof(*s->groups));
            s->n_groups--;
            break;
        }
    }
    st_log_info("scaling: %s deleted%s", g->name, force ? " (ForceDelete)" : "");
    group_free(g);
    submit_delete(s, j, alarms, n_alarms, call);
}

/* The policy that PolicyName (a name in the group, or an ARN) names, or NULL. */
static size_t lookup_policy(struct st_scaling *s, const char *group, const char *name)
{
    for (size_t i = 0; name && i < s->n_policies; i++) {
        const struct policy *p = s->policies[i];
        if (strcmp(p->arn, name) == 0 ||
            (group && strcmp(p->def->auto_scaling_group_name, group) == 0 &&
             strcmp(p->def->policy_name, name) == 0)) {
            return i;
        }
    }
    return SIZE_MAX;
}

static void fail_no_policy(struct st_call *call, const char *group, const char *name)
{
    char msg[700];
    if (!group && name &&
        strncmp(name, ST_ACTION_SCALING_PREFIX, strlen(ST_ACTION_SCALING_PREFIX))) {
        fail_validation(call, "AutoScalingGroupName is required when PolicyName is not an ARN.");
        return;
    }
    snprintf(msg, sizeof(msg), "No scaling policy %.300s found%s%.255s.", name ? name : "null",
             group ? " in group " : "", group ? group : "");
    fail_validation(call, msg);
}

void st_op_delete_policy(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__DeletePolicyRequest *req = (const Stratus__DeletePolicyRequest *)call->request;
    size_t i = lookup_policy(s, req->auto_scaling_group_name, req->policy_name);
    if (i == SIZE_MAX) {
        fail_no_policy(call, req->auto_scaling_group_name, req->policy_name);
        return;
    }
    struct policy *p = s->policies[i];
    char names[2][700];
    char *alarms[2] = {names[0], names[1]};
    size_t n_alarms = managed_alarms(s, p, names);
    struct save_job *j = st_calloc(1, sizeof(*j));
    if (!j || !(j->group = st_strdup(p->def->auto_scaling_group_name)) ||
        !(j->arn = st_strdup(p->arn))) {
        if (j) {
            save_job_free(j);
        }
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    j->s = s;
    j->delete_policy = true;
    remove_policy_at(s, i);
    submit_delete(s, j, alarms, n_alarms, call);
}

void st_op_execute_policy(struct st_collector *c, struct st_call *call)
{
    struct st_scaling *s = scaling_of(c);
    const Stratus__ExecutePolicyRequest *req = (const Stratus__ExecutePolicyRequest *)call->request;
    size_t i = lookup_policy(s, req->auto_scaling_group_name, req->policy_name);
    if (i == SIZE_MAX) {
        fail_no_policy(call, req->auto_scaling_group_name, req->policy_name);
        return;
    }
    struct policy *p = s->policies[i];
    const Stratus__PutScalingPolicyRequest *d = p->def;
    struct group *g = find_group(s, d->auto_scaling_group_name);
    if (!g) {
        fail_validation(call, "The policy's group no longer exists.");
        return;
    }
    if (d->has_enabled && !d->enabled) {
        fail_validation(call, "The policy is disabled.");
        return;
    }
    bool honor = req->has_honor_cooldown && req->honor_cooldown;
    int to = g->desired, cooldown = 0;
    switch (p->type) {
    case TARGET:
        fail_validation(call, "ExecutePolicy is not supported for a TargetTrackingScaling policy.");
        return;
    case SIMPLE:
        if (req->has_metric_value || req->has_breach_threshold) {
            fail_validation(call, "MetricValue and BreachThreshold are only valid for a "
                                  "StepScaling policy.");
            return;
        }
        if (honor && (g->hook_running || in_progress(g) || st_wall_ms() < g->cooldown_until_ms)) {
            st_call_fail_status(call, 400, "ScalingActivityInProgress",
                                "Scaling activity in progress or the group is in its cooldown.");
            return;
        }
        to = st_scaling_adjust(d->adjustment_type, g->desired, d->scaling_adjustment,
                               d->min_adjustment_magnitude);
        cooldown = policy_cooldown(p, g);
        break;
    case STEP: {
        if (!req->has_metric_value || !req->has_breach_threshold) {
            fail_validation(call, "MetricValue and BreachThreshold are required for a StepScaling "
                                  "policy.");
            return;
        }
        if (honor) {
            fail_validation(call, "HonorCooldown is only valid for a SimpleScaling policy.");
            return;
        }
        double delta = req->metric_value - req->breach_threshold;
        const Stratus__StepAdjustment *step = NULL;
        for (size_t k = 0; k < d->n_step_adjustments && !step; k++) {
            const Stratus__StepAdjustment *sa = d->step_adjustments[k];
            if ((!sa->has_metric_interval_lower_bound ||
                 delta >= sa->metric_interval_lower_bound) &&
                (!sa->has_metric_interval_upper_bound || delta < sa->metric_interval_upper_bound)) {
                step = sa;
            }
        }
        if (!step) {
            fail_validation(call, "The MetricValue and BreachThreshold match no step adjustment "
                                  "of the policy.");
            return;
        }
        to = st_scaling_adjust(d->adjustment_type, g->desired, step->scaling_adjustment,
                               d->min_adjustment_magnitude);
        break;
    }
    }
    to = st_scaling_clamp(to, g->def->min_size, g->def->max_size);
    if (to == g->desired) {
        st_call_reply_packed(call, NULL, 0);
        return;
    }
    char when[40], cause[1200];
    st_alarm_format_iso_time(st_wall_ms(), when, sizeof(when));
    snprintf(cause, sizeof(cause),
             "At %s a user request executed policy %s changing the desired capacity from %d to "
             "%d.",
             when, d->policy_name, g->desired, to);
    change_capacity(s, g, to, cause, cooldown, call);
}

/* --- lifecycle --- */

static int load(struct st_scaling *s, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int r = 0;
    if (sqlite3_prepare_v2(db, "SELECT name, definition, desired, created_ms FROM scaling_groups",
                           -1, &st, NULL) != SQLITE_OK) {
        return -EIO;
    }
    while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct group *g = st_calloc(1, sizeof(*g));
        if (!g) {
            r = -ENOMEM;
            break;
        }
        g->def = stratus__put_scaling_group_request__unpack(
            NULL, (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        if (!g->def || !g->def->auto_scaling_group_name) {
            group_free(g);
            continue;
        }
        g->name = g->def->auto_scaling_group_name;
        g->desired = sqlite3_column_int(st, 2);
        g->created_ms = sqlite3_column_int64(st, 3);
        if (push_ptr((void ***)&s->groups, &s->n_groups, g) < 0) {
            group_free(g);
            r = -ENOMEM;
        }
    }
    sqlite3_finalize(st);
    if (r == 0 && sqlite3_prepare_v2(db, "SELECT arn, definition FROM scaling_policies", -1, &st,
                                     NULL) != SQLITE_OK) {
        return -EIO;
    }
    while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct policy *p = st_calloc(1, sizeof(*p));
        if (!p || !(p->arn = st_strdup((const char *)sqlite3_column_text(st, 0)))) {
            policy_free(p);
            r = -ENOMEM;
            break;
        }
        p->def = stratus__put_scaling_policy_request__unpack(
            NULL, (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        if (!p->def || check_policy(p->def, &p->type)) {
            policy_free(p);
            continue;
        }
        if (push_ptr((void ***)&s->policies, &s->n_policies, p) < 0) {
            policy_free(p);
            r = -ENOMEM;
        }
    }
    sqlite3_finalize(st);
    if (r == 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT id, group_name, seq, start_ms, end_ms, status, status_message,"
                           " description, cause, details FROM scaling_activities ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK) {
        return -EIO;
    }
    while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct group *g = find_group(s, (const char *)sqlite3_column_text(st, 1));
        if (!g) {
            continue;
        }
        struct activity *x = st_calloc(1, sizeof(*x));
        if (!x) {
            r = -ENOMEM;
            break;
        }
        snprintf(x->id, sizeof(x->id), "%s", (const char *)sqlite3_column_text(st, 0));
        x->seq = sqlite3_column_int64(st, 2);
        x->start_ms = sqlite3_column_int64(st, 3);
        x->end_ms = sqlite3_column_int64(st, 4);
        snprintf(x->status, sizeof(x->status), "%s", (const char *)sqlite3_column_text(st, 5));
        x->status_message = st_strdup((const char *)sqlite3_column_text(st, 6));
        x->description = st_strdup((const char *)sqlite3_column_text(st, 7));
        x->cause = st_strdup((const char *)sqlite3_column_text(st, 8));
        x->details = st_strdup((const char *)sqlite3_column_text(st, 9));
        if (x->seq > s->seq) {
            s->seq = x->seq;
        }
        if (!x->status_message || !x->description || !x->cause || !x->details ||
            add_activity(g, x) < 0) {
            activity_free(x);
            r = -ENOMEM;
        }
    }
    sqlite3_finalize(st);
    return r;
}

int st_scaling_new(struct st_alarms *a, struct st_scaling **ret, struct st_error *err)
{
    struct st_scaling *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    s->a = a;
    int r = load(s, st_alarm_db_handle(a->db));
    if (r < 0) {
        st_scaling_free(s);
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "cannot load the scaling groups");
    }
    *ret = s;
    return 0;
}

void st_scaling_free(struct st_scaling *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_groups; i++) {
        group_free(s->groups[i]);
    }
    for (size_t i = 0; i < s->n_policies; i++) {
        policy_free(s->policies[i]);
    }
    st_free(s->groups);
    st_free(s->policies);
    st_free(s);
}
