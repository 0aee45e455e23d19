/* SPDX-License-Identifier: MIT */
/*
 * The dashboard operations (op.h): PutDashboard, GetDashboard, ListDashboards and
 * DeleteDashboards. The loop thread checks what is cheap (names, required members, sizes),
 * copies the request into a job and hands it to the dashboard store's worker, which validates
 * the body (lib/dashboard.c) and talks to SQLite; the reply goes out from the job's done
 * callback, back on the loop thread.
 */
#include <errno.h>
#include <string.h>

#include "collector_private.h"
#include "dashboard_store.h"
#include "dashboards.pb-c.h"
#include "op.h"
#include "stratus/alloc.h"
#include "stratus/dashboard.h"
#include "stratus/time_util.h"

static void fail_oom(struct st_call *call)
{
    st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

static void on_job_done(struct st_dash_job *job, void *data)
{
    struct st_call *call = data;
    if (job->status < 0) {
        st_call_fail(call, &job->err);
    } else {
        st_call_reply_packed(call, job->reply, job->reply_len);
    }
    st_dash_job_free(job);
}

static void submit(struct st_collector *c, struct st_call *call, struct st_dash_job *job)
{
    job->done = on_job_done;
    job->data = call;
    st_dash_store_submit(c->dash, job);
}

/* Checks a dashboard name member; fails the call and returns -EINVAL when it is not good. */
static int check_name(struct st_call *call, const char *name, const char *member)
{
    struct st_error err;
    if (!name) {
        st_error_set(&err, -EINVAL, ST_ERR_MISSING_PARAMETER, "The parameter %s is required.",
                     member);
        st_call_fail(call, &err);
        return -EINVAL;
    }
    if (!st_dashboard_name_valid(name)) {
        st_error_set(&err, -EINVAL, ST_ERR_INVALID_PARAMETER_INPUT,
                     "The value for field %s must be 1 to %d characters of alphanumerics, "
                     "dash (-) and underscore (_).",
                     member, ST_DASH_MAX_NAME_LEN);
        st_call_fail(call, &err);
        return -EINVAL;
    }
    return 0;
}

void st_op_put_dashboard(struct st_collector *c, struct st_call *call)
{
    const Stratus__PutDashboardRequest *msg = (const Stratus__PutDashboardRequest *)call->request;
    if (check_name(call, msg->dashboard_name, "DashboardName") < 0) {
        return;
    }
    struct st_error err;
    if (!msg->dashboard_body) {
        st_error_set(&err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                     "The parameter DashboardBody is required.");
        st_call_fail(call, &err);
        return;
    }
    size_t len = strlen(msg->dashboard_body);
    if (len > ST_DASH_MAX_BODY_BYTES) {
        st_error_set(&err, -EINVAL, ST_ERR_INVALID_PARAMETER_INPUT,
                     "The dashboard body is larger than %d bytes", ST_DASH_MAX_BODY_BYTES);
        st_call_fail(call, &err);
        return;
    }
    struct st_dash_job *job = st_dash_job_new(ST_DASH_JOB_PUT);
    if (!job || !(job->name = st_strdup(msg->dashboard_name)) ||
        !(job->body = st_strndup(msg->dashboard_body, len))) {
        st_dash_job_free(job);
        fail_oom(call);
        return;
    }
    job->body_len = len;
    job->now_ms = st_wall_ms();
    submit(c, call, job);
}

void st_op_get_dashboard(struct st_collector *c, struct st_call *call)
{
    const Stratus__GetDashboardRequest *msg = (const Stratus__GetDashboardRequest *)call->request;
    if (check_name(call, msg->dashboard_name, "DashboardName") < 0) {
        return;
    }
    struct st_dash_job *job = st_dash_job_new(ST_DASH_JOB_GET);
    if (!job || !(job->name = st_strdup(msg->dashboard_name))) {
        st_dash_job_free(job);
        fail_oom(call);
        return;
    }
    submit(c, call, job);
}

void st_op_list_dashboards(struct st_collector *c, struct st_call *call)
{
    const Stratus__ListDashboardsRequest *msg =
        (const Stratus__ListDashboardsRequest *)call->request;
    const char *prefix = msg->dashboard_name_prefix;
    if (prefix && prefix[0] && check_name(call, prefix, "DashboardNamePrefix") < 0) {
        return;
    }
    struct st_dash_job *job = st_dash_job_new(ST_DASH_JOB_LIST);
    if (!job || (prefix && !(job->prefix = st_strdup(prefix))) ||
        (msg->next_token && !(job->next_token = st_strndup(msg->next_token, 300)))) {
        st_dash_job_free(job);
        fail_oom(call);
        return;
    }
    submit(c, call, job);
}

void st_op_delete_dashboards(struct st_collector *c, struct st_call *call)
{
    const Stratus__DeleteDashboardsRequest *msg =
        (const Stratus__DeleteDashboardsRequest *)call->request;
    struct st_error err;
    if (msg->n_dashboard_names == 0) {
        st_error_set(&err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                     "The parameter DashboardNames is required.");
        st_call_fail(call, &err);
        return;
    }
    if (msg->n_dashboard_names > ST_DASH_MAX_DELETE) {
        st_error_set(&err, -EINVAL, ST_ERR_INVALID_PARAMETER_INPUT,
                     "At most %d dashboards can be deleted at once", ST_DASH_MAX_DELETE);
        st_call_fail(call, &err);
        return;
    }
    for (size_t i = 0; i < msg->n_dashboard_names; i++) {
        if (check_name(call, msg->dashboard_names[i], "DashboardNames") < 0) {
            return;
        }
    }
    struct st_dash_job *job = st_dash_job_new(ST_DASH_JOB_DELETE);
    if (job) {
        job->names = st_calloc(msg->n_dashboard_names, sizeof(*job->names));
    }
    if (!job || !job->names) {
        st_dash_job_free(job);
        fail_oom(call);
        return;
    }
    for (size_t i = 0; i < msg->n_dashboard_names; i++) {
        if (!(job->names[i] = st_strdup(msg->dashboard_names[i]))) {
            st_dash_job_free(job);
            fail_oom(call);
            return;
        }
        job->n_names++;
    }
    submit(c, call, job);
}
