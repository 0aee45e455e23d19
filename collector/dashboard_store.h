/* SPDX-License-Identifier: MIT */
/*
 * The dashboards' storage: one SQLite database, data_dir/dashboards.db, owned by one worker
 * thread; the loop thread never touches SQLite. An op hands the store a job (put, get, list,
 * delete) with its inputs; the worker validates (put), runs the statements and packs the
 * protobuf response of the op (dashboards.proto), then the job's done callback runs on the
 * loop thread with either the packed reply or an AWS error. Jobs run in submission order.
 */
#ifndef STRATUS_COLLECTOR_DASHBOARD_STORE_H
#define STRATUS_COLLECTOR_DASHBOARD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "stratus/error.h"

/* Dashboards per ListDashboards page (CloudWatch: 1000). */
#define ST_DASH_LIST_PAGE 1000
/* Names per DeleteDashboards call. */
#define ST_DASH_MAX_DELETE 100
/* The account part of every DashboardArn. */
#define ST_DASH_ACCOUNT "000000000000"

enum st_dash_job_kind {
    ST_DASH_JOB_PUT,
    ST_DASH_JOB_GET,
    ST_DASH_JOB_LIST,
    ST_DASH_JOB_DELETE,
};

struct st_dash_job;
/* Runs on the loop thread when the job is finished; the callback owns the job and frees it
 * with st_dash_job_free. */
typedef void (*st_dash_job_done_fn)(struct st_dash_job *job, void *data);

struct st_dash_job {
    enum st_dash_job_kind kind;
    /* inputs, st_malloc'ed and owned by the job */
    char *name; /* put, get */
    char *body; /* put */
    size_t body_len;
    int64_t now_ms;   /* put: LastModified */
    char *prefix;     /* list: DashboardNamePrefix, or NULL */
    char *next_token; /* list, or NULL */
    char **names;     /* delete */
    size_t n_names;
    /* results, written by the worker */
    int status; /* 0, or negative errno with err set */
    struct st_error err;
    uint8_t *reply; /* packed response, st_malloc'ed (may be NULL with reply_len 0) */
    size_t reply_len;
    st_dash_job_done_fn done;
    void *data;
    struct st_dash_job *next;
};

/* Returns a zeroed job of kind, or NULL on OOM. */
struct st_dash_job *st_dash_job_new(enum st_dash_job_kind kind);
/* Frees the job and what it owns. NULL is a no-op. */
void st_dash_job_free(struct st_dash_job *job);

struct st_dash_store;

/* Starts the worker; the database is opened (and created) by the worker on its first job.
 * page_size is the ListDashboards page (ST_DASH_LIST_PAGE; tests use small pages).
 * Returns 0, -ENOMEM or -EAGAIN. */
int st_dash_store_new(struct event_base *base, const char *data_dir, size_t page_size,
                      struct st_dash_store **ret);
/* Queues the job; its done callback always runs later on the loop thread. */
void st_dash_store_submit(struct st_dash_store *s, struct st_dash_job *job);
/* Finishes queued jobs (running their callbacks), stops the worker, frees. NULL ok. */
void st_dash_store_free(struct st_dash_store *s);

#endif
