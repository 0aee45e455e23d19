/* SPDX-License-Identifier: MIT */
/*
 * The autoscaling verbs (cmd_scaling.h): flags to request, one call, aws-shaped output in the
 * EC2 Auto Scaling model's member order. Requests borrow their strings from argv, except the
 * parts parsed here (step adjustments, the target tracking JSON), which the verb frees.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "args.h"
#include "cmd_scaling.h"
#include "json_writer.h"
#include "output.h"
#include "pb.h"
#include "stratus/alloc.h"

#define MAX_STEPS 20
#define MAX_PAGES 100000

static int opt_i32(const char *flag, const struct st_args_value *v, int32_t *ret,
                   protobuf_c_boolean *has, int64_t min, struct st_error *err)
{
    if (!v->seen) {
        return 0;
    }
    int64_t x;
    int r = st_args_parse_int(flag, v->one, min, INT32_MAX, &x, err);
    if (r == 0) {
        *ret = (int32_t)x;
        *has = true;
    }
    return r;
}

/* Removes a boolean --flag / --no-flag pair from argv. */
static int take_bool(int *argc, char **argv, const char *name, bool *ret_set, bool *ret_value,
                     struct st_error *err)
{
    char no[64];
    snprintf(no, sizeof(no), "--no-%s", name + 2);
    int out = 0;
    *ret_set = false;
    for (int i = 0; i < *argc; i++) {
        bool on = strcmp(argv[i], name) == 0, off = strcmp(argv[i], no) == 0;
        if (on || off) {
            if (*ret_set) {
                return st_args_usage(err, "argument %s: given more than once", name);
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

static void key_str(struct st_json_writer *w, const char *key, const char *s)
{
    if (s) {
        st_json_key(w, key);
        st_json_string(w, s);
    }
}

static void key_int(struct st_json_writer *w, const char *key, bool has, int64_t v)
{
    if (has) {
        st_json_key(w, key);
        st_json_int(w, v);
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

/* --- put-scaling-group --- */

enum {
    PSG_NAME,
    PSG_NAME2,
    PSG_MIN,
    PSG_MIN2,
    PSG_MAX,
    PSG_MAX2,
    PSG_DES,
    PSG_DES2,
    PSG_HOOK,
    PSG_COOLDOWN,
    PSG__COUNT
};

static const struct st_args_flag psg_flags[PSG__COUNT] = {
    [PSG_NAME] = {"--name", ST_ARGS_ONE},
    [PSG_NAME2] = {"--auto-scaling-group-name", ST_ARGS_ONE},
    [PSG_MIN] = {"--min", ST_ARGS_ONE},
    [PSG_MIN2] = {"--min-size", ST_ARGS_ONE},
    [PSG_MAX] = {"--max", ST_ARGS_ONE},
    [PSG_MAX2] = {"--max-size", ST_ARGS_ONE},
    [PSG_DES] = {"--desired", ST_ARGS_ONE},
    [PSG_DES2] = {"--desired-capacity", ST_ARGS_ONE},
    [PSG_HOOK] = {"--apply-hook", ST_ARGS_ONE},
    [PSG_COOLDOWN] = {"--default-cooldown", ST_ARGS_ONE},
};

/* One of two spellings of a flag; usage error when both are given. */
static int either(const struct st_args_value *v, int a, int b, const struct st_args_value **ret,
                  struct st_error *err)
{
    if (v[a].seen && v[b].seen) {
        return st_args_usage(err, "argument %s: not allowed with %s", psg_flags[a].name,
                             psg_flags[b].name);
    }
    *ret = v[a].seen ? &v[a] : &v[b];
    return 0;
}

int st_cmd_put_scaling_group(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[PSG__COUNT];
    int r = st_args_parse(argc, argv, psg_flags, PSG__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    const struct st_args_value *name = NULL, *min = NULL, *max = NULL, *des = NULL;
    if ((r = either(v, PSG_NAME, PSG_NAME2, &name, err)) < 0 ||
        (r = either(v, PSG_MIN, PSG_MIN2, &min, err)) < 0 ||
        (r = either(v, PSG_MAX, PSG_MAX2, &max, err)) < 0 ||
        (r = either(v, PSG_DES, PSG_DES2, &des, err)) < 0) {
        return r;
    }
    if (!name->seen) {
        return st_args_required(err, "--name");
    }
    Stratus__PutScalingGroupRequest req = STRATUS__PUT_SCALING_GROUP_REQUEST__INIT;
    req.auto_scaling_group_name = (char *)name->one;
    req.apply_hook = (char *)v[PSG_HOOK].one;
    if ((r = opt_i32("--min", min, &req.min_size, &req.has_min_size, 0, err)) < 0 ||
        (r = opt_i32("--max", max, &req.max_size, &req.has_max_size, 0, err)) < 0 ||
        (r = opt_i32("--desired", des, &req.desired_capacity, &req.has_desired_capacity, 0, err)) <
            0 ||
        (r = opt_i32("--default-cooldown", &v[PSG_COOLDOWN], &req.default_cooldown,
                     &req.has_default_cooldown, 0, err)) < 0) {
        return r;
    }
    return st_api_call_empty(cli, "PutScalingGroup", &req.base,
                             &stratus__put_scaling_group_response__descriptor, err);
}

/* --- describe-scaling-groups --- */

static const struct st_args_flag dsg_flags[1] = {{"--auto-scaling-group-names", ST_ARGS_MANY}};

int st_cmd_describe_scaling_groups(const struct st_cli *cli, int argc, char **argv,
                                   struct st_error *err)
{
    struct st_args_value v[1];
    int r = st_args_parse(argc, argv, dsg_flags, 1, v, err);
    if (r < 0) {
        return r;
    }
    Stratus__DescribeScalingGroupsRequest req = STRATUS__DESCRIBE_SCALING_GROUPS_REQUEST__INIT;
    req.auto_scaling_group_names = v[0].seen ? (char **)v[0].many : NULL;
    req.n_auto_scaling_group_names = v[0].seen ? v[0].n_many : 0;
    ProtobufCMessage *msg = NULL;
    r = st_api_call(cli, "DescribeScalingGroups", &req.base,
                    &stratus__describe_scaling_groups_response__descriptor, &msg, err);
    if (r < 0) {
        return r;
    }
    const Stratus__DescribeScalingGroupsResponse *resp =
        (const Stratus__DescribeScalingGroupsResponse *)msg;
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    st_json_key(&w, "AutoScalingGroups");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_auto_scaling_groups; i++) {
        const Stratus__AutoScalingGroup *g = resp->auto_scaling_groups[i];
        st_json_begin_object(&w);
        key_str(&w, "AutoScalingGroupName", g->auto_scaling_group_name);
        key_str(&w, "AutoScalingGroupARN", g->auto_scaling_group_arn);
        key_int(&w, "MinSize", g->has_min_size, g->min_size);
        key_int(&w, "MaxSize", g->has_max_size, g->max_size);
        key_int(&w, "DesiredCapacity", g->has_desired_capacity, g->desired_capacity);
        key_int(&w, "DefaultCooldown", g->has_default_cooldown, g->default_cooldown);
        key_str(&w, "ApplyHook", g->apply_hook);
        key_time(&w, "CreatedTime", g->has_created_time_ms, g->created_time_ms);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
    st_pb_free(msg);
    return 0;
}

/* --- put-scaling-policy --- */

int st_cmd_parse_step_adjustment(const char *s, Stratus__StepAdjustment *ret, struct st_error *err)
{
    Stratus__StepAdjustment a = STRATUS__STEP_ADJUSTMENT__INIT;
    char buf[256];
    if (strlen(s) >= sizeof(buf)) {
        return st_args_usage(err, "argument --step-adjustments: '%s' is too long", s);
    }
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            return st_args_usage(err, "argument --step-adjustments: expected KEY=VALUE, not '%s'",
                                 kv);
        }
        *eq = '\0';
        const char *val = eq + 1;
        int r;
        if (strcmp(kv, "MetricIntervalLowerBound") == 0) {
            a.has_metric_interval_lower_bound = true;
            r = st_args_parse_double("MetricIntervalLowerBound", val,
                                     &a.metric_interval_lower_bound, err);
        } else if (strcmp(kv, "MetricIntervalUpperBound") == 0) {
            a.has_metric_interval_upper_bound = true;
            r = st_args_parse_double("MetricIntervalUpperBound", val,
                                     &a.metric_interval_upper_bound, err);
        } else if (strcmp(kv, "ScalingAdjustment") == 0) {
            int64_t x;
            r = st_args_parse_int("ScalingAdjustment", val, INT32_MIN, INT32_MAX, &x, err);
            a.has_scaling_adjustment = true;
            a.scaling_adjustment = (int32_t)x;
        } else {
            return st_args_usage(err,
                                 "argument --step-adjustments: unknown key '%s' (want "
                                 "MetricIntervalLowerBound, MetricIntervalUpperBound, "
                                 "ScalingAdjustment)",
                                 kv);
        }
        if (r < 0) {
            return r;
        }
    }
    if (!a.has_scaling_adjustment) {
        return st_args_usage(err, "argument --step-adjustments: ScalingAdjustment is required");
    }
    *ret = a;
    return 0;
}

/* Fills a TargetTrackingConfiguration from the aws CLI's JSON (strings copied with st_malloc);
 * free with st_pb_free. */
static int parse_target_tracking(const char *text, Stratus__TargetTrackingConfiguration **ret,
                                 struct st_error *err)
{
    json_object *root = json_tokener_parse(text);
    if (!root || !json_object_is_type(root, json_type_object)) {
        if (root) {
            json_object_put(root);
        }
        return st_args_usage(err, "argument --target-tracking-configuration: not a JSON object");
    }
    Stratus__TargetTrackingConfiguration *t = st_malloc(sizeof(*t));
    Stratus__CustomizedMetricSpecification *m = st_malloc(sizeof(*m));
    int r = 0;
    if (!t || !m) {
        st_free(t);
        st_free(m);
        json_object_put(root);
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    stratus__target_tracking_configuration__init(t);
    stratus__customized_metric_specification__init(m);
    t->customized_metric_specification = m;
    json_object *x, *spec = NULL;
    if (json_object_object_get_ex(root, "TargetValue", &x)) {
        t->has_target_value = true;
        t->target_value = json_object_get_double(x);
    }
    if (json_object_object_get_ex(root, "DisableScaleIn", &x)) {
        t->has_disable_scale_in = true;
        t->disable_scale_in = json_object_get_boolean(x);
    }
    json_object_object_get_ex(root, "CustomizedMetricSpecification", &spec);
    static const char *const keys[] = {"MetricName", "Namespace", "Statistic", "Unit"};
    char **dst[] = {&m->metric_name, &m->namespace_, &m->statistic, &m->unit};
    for (size_t i = 0; spec && i < 4 && r == 0; i++) {
        if (json_object_object_get_ex(spec, keys[i], &x) &&
            !(*dst[i] = st_strdup(json_object_get_string(x)))) {
            r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
    }
    if (spec && json_object_object_get_ex(spec, "Period", &x)) {
        m->has_period = true;
        m->period = json_object_get_int(x);
    }
    json_object *dims;
    if (r == 0 && spec && json_object_object_get_ex(spec, "Dimensions", &dims) &&
        json_object_is_type(dims, json_type_array)) {
        size_t n = json_object_array_length(dims);
        m->dimensions = st_calloc(n ? n : 1, sizeof(*m->dimensions));
        for (size_t i = 0; m->dimensions && i < n && i < 30; i++) {
            json_object *d = json_object_array_get_idx(dims, i), *dn, *dv;
            Stratus__Dimension *pd = st_malloc(sizeof(*pd));
            if (!pd) {
                break;
            }
            stratus__dimension__init(pd);
            if (json_object_object_get_ex(d, "Name", &dn)) {
                pd->name = st_strdup(json_object_get_string(dn));
            }
            if (json_object_object_get_ex(d, "Value", &dv)) {
                pd->value = st_strdup(json_object_get_string(dv));
            }
            m->dimensions[m->n_dimensions++] = pd;
        }
    }
    json_object_put(root);
    if (r < 0) {
        st_pb_free(t);
        return r;
    }
    *ret = t;
    return 0;
}

enum {
    PSP_GROUP,
    PSP_NAME,
    PSP_TYPE,
    PSP_ADJ_TYPE,
    PSP_ADJ,
    PSP_MAM,
    PSP_COOLDOWN,
    PSP_STEPS,
    PSP_WARMUP,
    PSP_TT,
    PSP_AGG,
    PSP__COUNT
};

static const struct st_args_flag psp_flags[PSP__COUNT] = {
    [PSP_GROUP] = {"--auto-scaling-group-name", ST_ARGS_ONE},
    [PSP_NAME] = {"--policy-name", ST_ARGS_ONE},
    [PSP_TYPE] = {"--policy-type", ST_ARGS_ONE},
    [PSP_ADJ_TYPE] = {"--adjustment-type", ST_ARGS_ONE},
    [PSP_ADJ] = {"--scaling-adjustment", ST_ARGS_ONE},
    [PSP_MAM] = {"--min-adjustment-magnitude", ST_ARGS_ONE},
    [PSP_COOLDOWN] = {"--cooldown", ST_ARGS_ONE},
    [PSP_STEPS] = {"--step-adjustments", ST_ARGS_MANY},
    [PSP_WARMUP] = {"--estimated-instance-warmup", ST_ARGS_ONE},
    [PSP_TT] = {"--target-tracking-configuration", ST_ARGS_ONE},
    [PSP_AGG] = {"--metric-aggregation-type", ST_ARGS_ONE},
};

int st_cmd_put_scaling_policy(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    bool en_set = false, en = true;
    int r = take_bool(&argc, argv, "--enabled", &en_set, &en, err);
    if (r < 0) {
        return r;
    }
    struct st_args_value v[PSP__COUNT];
    if ((r = st_args_parse(argc, argv, psp_flags, PSP__COUNT, v, err)) < 0) {
        return r;
    }
    if (!v[PSP_GROUP].seen) {
        return st_args_required(err, "--auto-scaling-group-name");
    }
    if (!v[PSP_NAME].seen) {
        return st_args_required(err, "--policy-name");
    }
    if (v[PSP_STEPS].seen && v[PSP_STEPS].n_many > MAX_STEPS) {
        return st_args_usage(err, "argument --step-adjustments: at most %d", MAX_STEPS);
    }
    Stratus__PutScalingPolicyRequest req = STRATUS__PUT_SCALING_POLICY_REQUEST__INIT;
    req.auto_scaling_group_name = (char *)v[PSP_GROUP].one;
    req.policy_name = (char *)v[PSP_NAME].one;
    req.policy_type = (char *)v[PSP_TYPE].one;
    req.adjustment_type = (char *)v[PSP_ADJ_TYPE].one;
    req.metric_aggregation_type = (char *)v[PSP_AGG].one;
    req.has_enabled = en_set;
    req.enabled = en;
    if ((r = opt_i32("--scaling-adjustment", &v[PSP_ADJ], &req.scaling_adjustment,
                     &req.has_scaling_adjustment, INT32_MIN, err)) < 0 ||
        (r = opt_i32("--min-adjustment-magnitude", &v[PSP_MAM], &req.min_adjustment_magnitude,
                     &req.has_min_adjustment_magnitude, INT32_MIN, err)) < 0 ||
        (r = opt_i32("--cooldown", &v[PSP_COOLDOWN], &req.cooldown, &req.has_cooldown, INT32_MIN,
                     err)) < 0 ||
        (r = opt_i32("--estimated-instance-warmup", &v[PSP_WARMUP], &req.estimated_instance_warmup,
                     &req.has_estimated_instance_warmup, INT32_MIN, err)) < 0) {
        return r;
    }
    Stratus__StepAdjustment steps[MAX_STEPS], *step_ptrs[MAX_STEPS];
    for (size_t i = 0; v[PSP_STEPS].seen && i < v[PSP_STEPS].n_many; i++) {
        if ((r = st_cmd_parse_step_adjustment(v[PSP_STEPS].many[i], &steps[i], err)) < 0) {
            return r;
        }
        step_ptrs[i] = &steps[i];
    }
    req.step_adjustments = step_ptrs;
    req.n_step_adjustments = v[PSP_STEPS].seen ? v[PSP_STEPS].n_many : 0;
    Stratus__TargetTrackingConfiguration *tt = NULL;
    if (v[PSP_TT].seen && (r = parse_target_tracking(v[PSP_TT].one, &tt, err)) < 0) {
        return r;
    }
    req.target_tracking_configuration = tt;
    ProtobufCMessage *msg = NULL;
    r = st_api_call(cli, "PutScalingPolicy", &req.base,
                    &stratus__put_scaling_policy_response__descriptor, &msg, err);
    st_pb_free(tt);
    if (r < 0) {
        return r;
    }
    const Stratus__PutScalingPolicyResponse *resp = (const Stratus__PutScalingPolicyResponse *)msg;
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    key_str(&w, "PolicyARN", resp->policy_arn);
    st_json_key(&w, "Alarms");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_alarms; i++) {
        st_json_begin_object(&w);
        key_str(&w, "AlarmName", resp->alarms[i]->alarm_name);
        key_str(&w, "AlarmARN", resp->alarms[i]->alarm_arn);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
    st_pb_free(msg);
    return 0;
}

/* --- describe-policies --- */

enum { DP_GROUP, DP_NAMES, DP_TYPES, DP__COUNT };

static const struct st_args_flag dp_flags[DP__COUNT] = {
    [DP_GROUP] = {"--auto-scaling-group-name", ST_ARGS_ONE},
    [DP_NAMES] = {"--policy-names", ST_ARGS_MANY},
    [DP_TYPES] = {"--policy-types", ST_ARGS_MANY},
};

static void step_json(struct st_json_writer *w, const Stratus__StepAdjustment *a)
{
    st_json_begin_object(w);
    if (a->has_metric_interval_lower_bound) {
        st_json_key(w, "MetricIntervalLowerBound");
        st_json_double(w, a->metric_interval_lower_bound);
    }
    if (a->has_metric_interval_upper_bound) {
        st_json_key(w, "MetricIntervalUpperBound");
        st_json_double(w, a->metric_interval_upper_bound);
    }
    key_int(w, "ScalingAdjustment", a->has_scaling_adjustment, a->scaling_adjustment);
    st_json_end_object(w);
}

static void tt_json(struct st_json_writer *w, const Stratus__TargetTrackingConfiguration *t)
{
    st_json_key(w, "TargetTrackingConfiguration");
    st_json_begin_object(w);
    const Stratus__CustomizedMetricSpecification *m = t->customized_metric_specification;
    if (m) {
        st_json_key(w, "CustomizedMetricSpecification");
        st_json_begin_object(w);
        key_str(w, "MetricName", m->metric_name);
        key_str(w, "Namespace", m->namespace_);
        st_json_key(w, "Dimensions");
        st_json_begin_array(w);
        for (size_t i = 0; i < m->n_dimensions; i++) {
            st_json_begin_object(w);
            key_str(w, "Name", m->dimensions[i]->name);
            key_str(w, "Value", m->dimensions[i]->value);
            st_json_end_object(w);
        }
        st_json_end_array(w);
        key_str(w, "Statistic", m->statistic);
        key_str(w, "Unit", m->unit);
        key_int(w, "Period", m->has_period, m->period);
        st_json_end_object(w);
    }
    if (t->has_target_value) {
        st_json_key(w, "TargetValue");
        st_json_double(w, t->target_value);
    }
    st_json_key(w, "DisableScaleIn");
    st_json_bool(w, t->has_disable_scale_in && t->disable_scale_in);
    st_json_end_object(w);
}

int st_cmd_describe_policies(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[DP__COUNT];
    int r = st_args_parse(argc, argv, dp_flags, DP__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    Stratus__DescribePoliciesRequest req = STRATUS__DESCRIBE_POLICIES_REQUEST__INIT;
    req.auto_scaling_group_name = (char *)v[DP_GROUP].one;
    req.policy_names = v[DP_NAMES].seen ? (char **)v[DP_NAMES].many : NULL;
    req.n_policy_names = v[DP_NAMES].seen ? v[DP_NAMES].n_many : 0;
    req.policy_types = v[DP_TYPES].seen ? (char **)v[DP_TYPES].many : NULL;
    req.n_policy_types = v[DP_TYPES].seen ? v[DP_TYPES].n_many : 0;
    /* Every page, as the aws CLI's paginator does. */
    struct st_pb_pages pages = {0};
    void **pols = NULL;
    size_t n_pols = 0;
    const struct st_api_list list = {"scaling_policies", &pols, &n_pols};
    r = st_api_call_pages(cli, "DescribePolicies", &req.base,
                          &stratus__describe_policies_response__descriptor, &list, 1, 0, MAX_PAGES,
                          &pages, err);
    if (r < 0) {
        st_free(pols);
        st_pb_pages_fini(&pages);
        return r;
    }
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    st_json_key(&w, "ScalingPolicies");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n_pols; i++) {
        const Stratus__ScalingPolicy *p = pols[i];
        st_json_begin_object(&w);
        key_str(&w, "AutoScalingGroupName", p->auto_scaling_group_name);
        key_str(&w, "PolicyName", p->policy_name);
        key_str(&w, "PolicyARN", p->policy_arn);
        key_str(&w, "PolicyType", p->policy_type);
        key_str(&w, "AdjustmentType", p->adjustment_type);
        key_int(&w, "MinAdjustmentMagnitude", p->has_min_adjustment_magnitude,
                p->min_adjustment_magnitude);
        key_int(&w, "ScalingAdjustment", p->has_scaling_adjustment, p->scaling_adjustment);
        key_int(&w, "Cooldown", p->has_cooldown, p->cooldown);
        st_json_key(&w, "StepAdjustments");
        st_json_begin_array(&w);
        for (size_t k = 0; k < p->n_step_adjustments; k++) {
            step_json(&w, p->step_adjustments[k]);
        }
        st_json_end_array(&w);
        key_str(&w, "MetricAggregationType", p->metric_aggregation_type);
        key_int(&w, "EstimatedInstanceWarmup", p->has_estimated_instance_warmup,
                p->estimated_instance_warmup);
        st_json_key(&w, "Alarms");
        st_json_begin_array(&w);
        for (size_t k = 0; k < p->n_alarms; k++) {
            st_json_begin_object(&w);
            key_str(&w, "AlarmName", p->alarms[k]->alarm_name);
            key_str(&w, "AlarmARN", p->alarms[k]->alarm_arn);
            st_json_end_object(&w);
        }
        st_json_end_array(&w);
        if (p->target_tracking_configuration) {
            tt_json(&w, p->target_tracking_configuration);
        }
        st_json_key(&w, "Enabled");
        st_json_bool(&w, !p->has_enabled || p->enabled);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
    st_free(pols);
    st_pb_pages_fini(&pages);
    return 0;
}

/* --- describe-scaling-activities --- */

enum { DSA_GROUP, DSA_MAX, DSA__COUNT };

static const struct st_args_flag dsa_flags[DSA__COUNT] = {
    [DSA_GROUP] = {"--auto-scaling-group-name", ST_ARGS_ONE},
    [DSA_MAX] = {"--max-items", ST_ARGS_ONE},
};

int st_cmd_describe_scaling_activities(const struct st_cli *cli, int argc, char **argv,
                                       struct st_error *err)
{
    struct st_args_value v[DSA__COUNT];
    int r = st_args_parse(argc, argv, dsa_flags, DSA__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    Stratus__DescribeScalingActivitiesRequest req =
        STRATUS__DESCRIBE_SCALING_ACTIVITIES_REQUEST__INIT;
    req.auto_scaling_group_name = (char *)v[DSA_GROUP].one;
    int32_t max_items = 0;
    protobuf_c_boolean has_max = false;
    if ((r = opt_i32("--max-items", &v[DSA_MAX], &max_items, &has_max, 1, err)) < 0) {
        return r;
    }
    if (has_max) { /* pages of up to 100 until that many */
        req.has_max_records = true;
        req.max_records = max_items < 100 ? max_items : 100;
    }
    struct st_pb_pages pages = {0};
    void **acts = NULL;
    size_t n_acts = 0;
    const struct st_api_list list = {"activities", &acts, &n_acts};
    r = st_api_call_pages(cli, "DescribeScalingActivities", &req.base,
                          &stratus__describe_scaling_activities_response__descriptor, &list, 1,
                          has_max ? (size_t)max_items : 0, MAX_PAGES, &pages, err);
    if (r < 0) {
        st_free(acts);
        st_pb_pages_fini(&pages);
        return r;
    }
    if (has_max && n_acts > (size_t)max_items) {
        n_acts = (size_t)max_items;
    }
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    st_json_key(&w, "Activities");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n_acts; i++) {
        const Stratus__Activity *a = acts[i];
        st_json_begin_object(&w);
        key_str(&w, "ActivityId", a->activity_id);
        key_str(&w, "AutoScalingGroupName", a->auto_scaling_group_name);
        key_str(&w, "Description", a->description);
        key_str(&w, "Cause", a->cause);
        key_time(&w, "StartTime", a->has_start_time_ms, a->start_time_ms);
        key_time(&w, "EndTime", a->has_end_time_ms, a->end_time_ms);
        key_str(&w, "StatusCode", a->status_code);
        key_str(&w, "StatusMessage", a->status_message);
        key_int(&w, "Progress", a->has_progress, a->progress);
        key_str(&w, "Details", a->details);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
    st_free(acts);
    st_pb_pages_fini(&pages);
    return 0;
}

/* --- set-desired-capacity --- */

enum { SDC_GROUP, SDC_DESIRED, SDC__COUNT };

static const struct st_args_flag sdc_flags[SDC__COUNT] = {
    [SDC_GROUP] = {"--auto-scaling-group-name", ST_ARGS_ONE},
    [SDC_DESIRED] = {"--desired-capacity", ST_ARGS_ONE},
};

int st_cmd_set_desired_capacity(const struct st_cli *cli, int argc, char **argv,
                                struct st_error *err)
{
    bool hc_set = false, hc = false;
    int r = take_bool(&argc, argv, "--honor-cooldown", &hc_set, &hc, err);
    if (r < 0) {
        return r;
    }
    struct st_args_value v[SDC__COUNT];
    if ((r = st_args_parse(argc, argv, sdc_flags, SDC__COUNT, v, err)) < 0) {
        return r;
    }
    if (!v[SDC_GROUP].seen || !v[SDC_DESIRED].seen) {
        return st_args_required(err, "--auto-scaling-group-name, --desired-capacity");
    }
    Stratus__SetDesiredCapacityRequest req = STRATUS__SET_DESIRED_CAPACITY_REQUEST__INIT;
    req.auto_scaling_group_name = (char *)v[SDC_GROUP].one;
    req.has_honor_cooldown = hc_set;
    req.honor_cooldown = hc;
    if ((r = opt_i32("--desired-capacity", &v[SDC_DESIRED], &req.desired_capacity,
                     &req.has_desired_capacity, 0, err)) < 0) {
        return r;
    }
    return st_api_call_empty(cli, "SetDesiredCapacity", &req.base,
                             &stratus__set_desired_capacity_response__descriptor, err);
}
