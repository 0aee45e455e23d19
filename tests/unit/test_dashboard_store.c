/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the dashboard store (collector/dashboard_store.c): jobs run on its worker
 * against a real dashboards.db in a temporary directory, and their callbacks come back through
 * the event loop. Put/get round trips, replacement, invalid bodies, missing dashboards,
 * listing with prefixes and pages, all-or-nothing deletes, and persistence across a reopen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "dashboard_store.h"
#include "dashboards.pb-c.h"
#include "stratus/alloc.h"
#include "stratus/dashboard.h"

struct fixture {
    char dir[64];
    struct event_base *base;
    struct st_dash_store *store;
    struct st_dash_job *done; /* the last finished job */
};

static void on_done(struct st_dash_job *job, void *data)
{
    struct fixture *f = data;
    st_dash_job_free(f->done);
    f->done = job;
    event_base_loopbreak(f->base);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_dashboard_store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(evthread_use_pthreads(), 0);
    f->base = event_base_new();
    assert_non_null(f->base);
    assert_int_equal(st_dash_store_new(f->base, f->dir, 2, &f->store), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_dash_store_free(f->store);
    st_dash_job_free(f->done);
    event_base_free(f->base);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Runs job to completion; f->done is then the job. */
static struct st_dash_job *run(struct fixture *f, struct st_dash_job *job)
{
    job->done = on_done;
    job->data = f;
    st_dash_store_submit(f->store, job);
    /* The worker wakes the loop from its thread; the timeout only bounds a broken store. */
    struct timeval limit = {10, 0};
    event_base_loopexit(f->base, &limit);
    event_base_dispatch(f->base);
    assert_ptr_equal(f->done, job);
    return job;
}

static struct st_dash_job *put(struct fixture *f, const char *name, const char *body)
{
    struct st_dash_job *j = st_dash_job_new(ST_DASH_JOB_PUT);
    j->name = st_strdup(name);
    j->body = st_strdup(body);
    j->body_len = strlen(body);
    j->now_ms = 1700000000000;
    return run(f, j);
}

static struct st_dash_job *get(struct fixture *f, const char *name)
{
    struct st_dash_job *j = st_dash_job_new(ST_DASH_JOB_GET);
    j->name = st_strdup(name);
    return run(f, j);
}

static Stratus__ListDashboardsResponse *list(struct fixture *f, const char *prefix,
                                             const char *token)
{
    struct st_dash_job *j = st_dash_job_new(ST_DASH_JOB_LIST);
    j->prefix = prefix ? st_strdup(prefix) : NULL;
    j->next_token = token ? st_strdup(token) : NULL;
    run(f, j);
    assert_int_equal(j->status, 0);
    return stratus__list_dashboards_response__unpack(NULL, j->reply_len, j->reply);
}

static struct st_dash_job *del(struct fixture *f, const char *a, const char *b)
{
    struct st_dash_job *j = st_dash_job_new(ST_DASH_JOB_DELETE);
    j->names = st_calloc(2, sizeof(*j->names));
    j->names[j->n_names++] = st_strdup(a);
    if (b) {
        j->names[j->n_names++] = st_strdup(b);
    }
    return run(f, j);
}

#define BODY "{\"widgets\":[{\"type\":\"text\",\"properties\":{\"markdown\":\"hi\"}}]}"

static void test_put_then_get_returns_body(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(put(f, "ops", BODY)->status, 0);
    struct st_dash_job *j = get(f, "ops");
    assert_int_equal(j->status, 0);
    Stratus__GetDashboardResponse *r =
        stratus__get_dashboard_response__unpack(NULL, j->reply_len, j->reply);
    assert_non_null(r);
    assert_string_equal(r->dashboard_body, BODY);
    assert_string_equal(r->dashboard_name, "ops");
    assert_string_equal(r->dashboard_arn, "arn:aws:cloudwatch::000000000000:dashboard/ops");
    stratus__get_dashboard_response__free_unpacked(r, NULL);
}

static void test_put_replaces(void **state)
{
    struct fixture *f = *state;
    put(f, "ops", BODY);
    put(f, "ops", "{\"widgets\":[]}");
    struct st_dash_job *j = get(f, "ops");
    Stratus__GetDashboardResponse *r =
        stratus__get_dashboard_response__unpack(NULL, j->reply_len, j->reply);
    assert_string_equal(r->dashboard_body, "{\"widgets\":[]}");
    stratus__get_dashboard_response__free_unpacked(r, NULL);
}

static void test_put_reports_validation_messages(void **state)
{
    struct fixture *f = *state;
    struct st_dash_job *j = put(f, "ops", "{\"widgets\":[],\"x\":1}");
    assert_int_equal(j->status, 0);
    Stratus__PutDashboardResponse *r =
        stratus__put_dashboard_response__unpack(NULL, j->reply_len, j->reply);
    assert_int_equal(r->n_dashboard_validation_messages, 1);
    assert_string_equal(r->dashboard_validation_messages[0]->data_path, "/x");
    stratus__put_dashboard_response__free_unpacked(r, NULL);
}

static void test_put_invalid_body_stores_nothing(void **state)
{
    struct fixture *f = *state;
    struct st_dash_job *j = put(f, "ops", "{\"widgets\":[{\"type\":\"metric\"}]}");
    assert_int_equal(j->status, -EINVAL);
    assert_string_equal(j->err.code, ST_ERR_INVALID_PARAMETER_INPUT);
    assert_int_equal(get(f, "ops")->status, -ENOENT);
}

static void test_get_missing_is_not_found(void **state)
{
    struct fixture *f = *state;
    struct st_dash_job *j = get(f, "nope");
    assert_int_equal(j->status, -ENOENT);
    assert_string_equal(j->err.code, ST_ERR_RESOURCE_NOT_FOUND);
    assert_string_equal(j->err.message, "Dashboard nope does not exist");
}

static void test_list_pages_in_name_order(void **state)
{
    struct fixture *f = *state;
    put(f, "c", BODY);
    put(f, "a", BODY);
    put(f, "b", BODY);
    Stratus__ListDashboardsResponse *p1 = list(f, NULL, NULL);
    assert_int_equal(p1->n_dashboard_entries, 2);
    assert_string_equal(p1->dashboard_entries[0]->dashboard_name, "a");
    assert_string_equal(p1->dashboard_entries[1]->dashboard_name, "b");
    assert_int_equal(p1->dashboard_entries[0]->size, (int64_t)strlen(BODY));
    assert_int_equal(p1->dashboard_entries[0]->last_modified_ms, 1700000000000);
    assert_non_null(p1->next_token);
    Stratus__ListDashboardsResponse *p2 = list(f, NULL, p1->next_token);
    assert_int_equal(p2->n_dashboard_entries, 1);
    assert_string_equal(p2->dashboard_entries[0]->dashboard_name, "c");
    assert_null(p2->next_token);
    stratus__list_dashboards_response__free_unpacked(p1, NULL);
    stratus__list_dashboards_response__free_unpacked(p2, NULL);
}

static void test_list_prefix_is_literal(void **state)
{
    struct fixture *f = *state;
    put(f, "a_1", BODY);
    put(f, "ab1", BODY);
    Stratus__ListDashboardsResponse *p = list(f, "a_", NULL);
    assert_int_equal(p->n_dashboard_entries, 1);
    assert_string_equal(p->dashboard_entries[0]->dashboard_name, "a_1");
    stratus__list_dashboards_response__free_unpacked(p, NULL);
}

static void test_list_bad_token(void **state)
{
    struct fixture *f = *state;
    struct st_dash_job *j = st_dash_job_new(ST_DASH_JOB_LIST);
    j->next_token = st_strdup("garbage");
    run(f, j);
    assert_int_equal(j->status, -EINVAL);
    assert_string_equal(j->err.code, ST_ERR_INVALID_NEXT_TOKEN);
}

static void test_delete_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    put(f, "a", BODY);
    put(f, "b", BODY);
    assert_int_equal(del(f, "a", "zz")->status, -ENOENT);
    assert_int_equal(get(f, "a")->status, 0);
    assert_int_equal(del(f, "a", "b")->status, 0);
    assert_int_equal(get(f, "a")->status, -ENOENT);
    assert_int_equal(get(f, "b")->status, -ENOENT);
}

static void test_survives_reopen(void **state)
{
    struct fixture *f = *state;
    put(f, "keep", BODY);
    st_dash_store_free(f->store);
    assert_int_equal(st_dash_store_new(f->base, f->dir, 2, &f->store), 0);
    assert_int_equal(get(f, "keep")->status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_then_get_returns_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_reports_validation_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_invalid_body_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_missing_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_in_name_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_prefix_is_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_bad_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
