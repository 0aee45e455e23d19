/* SPDX-License-Identifier: MIT */
/*
 * The dashboard store (dashboard_store.h): a queue of jobs, one worker thread that owns the
 * SQLite connection to data_dir/dashboards.db, and a libevent event through which finished
 * jobs come back to the loop thread. Lock order: `lock` (the queue) and `done_lock` are never
 * held together. A database that cannot be opened fails each job with InternalServiceError
 * and is tried again on the next one.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "dashboard_store.h"
#include "dashboards.pb-c.h"
#include "stratus/alloc.h"
#include "stratus/dashboard.h"

#define TOKEN_PREFIX "v1:"

struct st_dash_store {
    char *path;
    size_t page_size;
    sqlite3 *db; /* worker only */
    struct event *done_ev;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct st_dash_job *head, *tail;
    bool stop;
    pthread_mutex_t done_lock;
    struct st_dash_job *done_head, *done_tail;
};

struct st_dash_job *st_dash_job_new(enum st_dash_job_kind kind)
{
    struct st_dash_job *job = st_calloc(1, sizeof(*job));
    if (job) {
        job->kind = kind;
    }
    return job;
}

void st_dash_job_free(struct st_dash_job *job)
{
    if (!job) {
        return;
    }
    st_free(job->name);
    st_free(job->body);
    st_free(job->prefix);
    st_free(job->next_token);
    for (size_t i = 0; i < job->n_names; i++) {
        st_free(job->names[i]);
    }
    st_free(job->names);
    st_free(job->reply);
    st_free(job);
}

static void push(struct st_dash_job **head, struct st_dash_job **tail, struct st_dash_job *j)
{
    j->next = NULL;
    if (*tail) {
        (*tail)->next = j;
    } else {
        *head = j;
    }
    *tail = j;
}

static int fail(struct st_dash_job *job, int ret, const char *code, const char *msg)
{
    job->status = st_error_set(&job->err, ret, code, "%s", msg);
    return job->status;
}

static int db_fail(struct st_dash_store *s, struct st_dash_job *job)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "dashboards: %s", s->db ? sqlite3_errmsg(s->db) : "no database");
    return fail(job, -EIO, ST_ERR_INTERNAL_FAILURE, msg);
}

static int open_db(struct st_dash_store *s)
{
    if (s->db) {
        return 0;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "CREATE TABLE IF NOT EXISTS dashboards ("
                          " name TEXT PRIMARY KEY NOT NULL,"
                          " body TEXT NOT NULL,"
                          " modified_ms INTEGER NOT NULL)",
                          NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    s->db = db;
    return 0;
}

/* Packs msg into job->reply. */
static int pack(struct st_dash_job *job, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    job->reply = st_malloc(len ? len : 1);
    if (!job->reply) {
        return fail(job, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    job->reply_len = protobuf_c_message_pack(msg, job->reply);
    return 0;
}

static void format_arn(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "arn:aws:cloudwatch::" ST_DASH_ACCOUNT ":dashboard/%s", name);
}

static int run_put(struct st_dash_store *s, struct st_dash_job *job)
{
    struct st_dash_messages msgs = {0};
    int r = st_dashboard_parse((const uint8_t *)job->body, job->body_len, NULL, &msgs, &job->err);
    if (r < 0) {
        job->status = r;
        return r;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO dashboards(name, body, modified_ms) VALUES(?1, ?2, ?3) "
                           "ON CONFLICT(name) DO UPDATE SET body = ?2, modified_ms = ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        return db_fail(s, job);
    }
    sqlite3_bind_text(st, 1, job->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, job->body, (int)job->body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, job->now_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return db_fail(s, job);
    }
    Stratus__PutDashboardResponse resp = STRATUS__PUT_DASHBOARD_RESPONSE__INIT;
    Stratus__DashboardValidationMessage items[ST_DASH_MAX_MESSAGES];
    Stratus__DashboardValidationMessage *ptrs[ST_DASH_MAX_MESSAGES];
    for (size_t i = 0; i < msgs.n; i++) {
        stratus__dashboard_validation_message__init(&items[i]);
        items[i].data_path = msgs.items[i].data_path;
        items[i].message = msgs.items[i].message;
        ptrs[i] = &items[i];
    }
    resp.dashboard_validation_messages = ptrs;
    resp.n_dashboard_validation_messages = msgs.n;
    return pack(job, &resp.base);
}

static int run_get(struct st_dash_store *s, struct st_dash_job *job)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT body FROM dashboards WHERE name = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        return db_fail(s, job);
    }
    sqlite3_bind_text(st, 1, job->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        char msg[320];
        snprintf(msg, sizeof(msg), "Dashboard %s does not exist", job->name);
        return fail(job, -ENOENT, ST_ERR_RESOURCE_NOT_FOUND, msg);
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(s, job);
    }
    char arn[400];
    format_arn(job->name, arn, sizeof(arn));
    Stratus__GetDashboardResponse resp = STRATUS__GET_DASHBOARD_RESPONSE__INIT;
    resp.dashboard_arn = arn;
    resp.dashboard_name = job->name;
    resp.dashboard_body = (char *)sqlite3_column_text(st, 0);
    int r = pack(job, &resp.base);
    sqlite3_finalize(st);
    return r;
}

static int run_list(struct st_dash_store *s, struct st_dash_job *job)
{
    const char *after = "";
    if (job->next_token) {
        const char *name = job->next_token + strlen(TOKEN_PREFIX);
        if (strncmp(job->next_token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
            !st_dashboard_name_valid(name)) {
            return fail(job, -EINVAL, ST_ERR_INVALID_NEXT_TOKEN, "The NextToken is not valid");
        }
        after = name;
    }
    sqlite3_stmt *st = NULL;
    /* The prefix is matched with substr, not LIKE: '_' is a valid name character. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT name, modified_ms, length(CAST(body AS BLOB)) FROM dashboards "
                           "WHERE name > ?1 AND substr(name, 1, length(?2)) = ?2 "
                           "ORDER BY name LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        return db_fail(s, job);
    }
    sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, job->prefix ? job->prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)s->page_size + 1);
    size_t cap = 16, n = 0;
    Stratus__DashboardEntry **entries = st_calloc(cap, sizeof(*entries));
    char *token = NULL;
    int r = entries ? 0 : fail(job, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    int rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (n == s->page_size) {
            /* One more than a page: the page ends at the previous entry. */
            size_t len = strlen(TOKEN_PREFIX) + strlen(entries[n - 1]->dashboard_name) + 1;
            token = st_malloc(len);
            if (!token) {
                r = fail(job, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
                break;
            }
            snprintf(token, len, TOKEN_PREFIX "%s", entries[n - 1]->dashboard_name);
            break;
        }
        if (n == cap) {
            Stratus__DashboardEntry **ne = st_realloc(entries, 2 * cap * sizeof(*entries));
            if (!ne) {
                r = fail(job, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
                break;
            }
            entries = ne;
            cap *= 2;
        }
        Stratus__DashboardEntry *e = st_malloc(sizeof(*e));
        char arn[400];
        format_arn(name, arn, sizeof(arn));
        char *nm = st_strdup(name);
        char *an = st_strdup(arn);
        if (!e || !nm || !an) {
            st_free(e);
            st_free(nm);
            st_free(an);
            r = fail(job, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
            break;
        }
        stratus__dashboard_entry__init(e);
        e->dashboard_name = nm;
        e->dashboard_arn = an;
        e->has_last_modified_ms = true;
        e->last_modified_ms = sqlite3_column_int64(st, 1);
        e->has_size = true;
        e->size = sqlite3_column_int64(st, 2);
        entries[n++] = e;
    }
    if (r == 0 && !token && rc != SQLITE_DONE) {
        r = db_fail(s, job);
    }
    sqlite3_finalize(st);
    if (r == 0) {
        Stratus__ListDashboardsResponse resp = STRATUS__LIST_DASHBOARDS_RESPONSE__INIT;
        resp.dashboard_entries = entries;
        resp.n_dashboard_entries = n;
        resp.next_token = token;
        r = pack(job, &resp.base);
    }
    for (size_t i = 0; i < n; i++) {
        st_free(entries[i]->dashboard_name);
        st_free(entries[i]->dashboard_arn);
        st_free(entries[i]);
    }
    st_free(entries);
    st_free(token);
    return r;
}

/* Deletes every named dashboard, or none when one of them does not exist (CloudWatch). */
static int run_delete(struct st_dash_store *s, struct st_dash_job *job)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return db_fail(s, job);
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM dashboards WHERE name = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        db_fail(s, job);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return job->status;
    }
    int r = 0;
    for (size_t i = 0; i < job->n_names && r == 0; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, job->names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            r = db_fail(s, job);
        } else if (sqlite3_changes(s->db) == 0) {
            char msg[320];
            snprintf(msg, sizeof(msg), "Dashboard %s does not exist", job->names[i]);
            r = fail(job, -ENOENT, ST_ERR_RESOURCE_NOT_FOUND, msg);
        }
    }
    sqlite3_finalize(st);
    if (r < 0 || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        if (r == 0) {
            r = db_fail(s, job);
        }
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    job->reply = NULL;
    job->reply_len = 0;
    return 0;
}

static void run_job(struct st_dash_store *s, struct st_dash_job *job)
{
    if (open_db(s) < 0) {
        fail(job, -EIO, ST_ERR_INTERNAL_FAILURE, "dashboards: cannot open dashboards.db");
        return;
    }
    switch (job->kind) {
    case ST_DASH_JOB_PUT:
        run_put(s, job);
        break;
    case ST_DASH_JOB_GET:
        run_get(s, job);
        break;
    case ST_DASH_JOB_LIST:
        run_list(s, job);
        break;
    case ST_DASH_JOB_DELETE:
        run_delete(s, job);
        break;
    }
}

static void *worker(void *arg)
{
    struct st_dash_store *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !s->stop) {
            pthread_cond_wait(&s->cond, &s->lock);
        }
        struct st_dash_job *job = s->head;
        if (job) {
            s->head = job->next;
            if (!s->head) {
                s->tail = NULL;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!job) {
            break;
        }
        run_job(s, job);
        pthread_mutex_lock(&s->done_lock);
        push(&s->done_head, &s->done_tail, job);
        pthread_mutex_unlock(&s->done_lock);
        event_active(s->done_ev, EV_READ, 0);
    }
    if (s->db) {
        sqlite3_close(s->db);
        s->db = NULL;
    }
    return NULL;
}

static void run_done(struct st_dash_store *s)
{
    pthread_mutex_lock(&s->done_lock);
    struct st_dash_job *list = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->done_lock);
    for (struct st_dash_job *j = list, *next; j; j = next) {
        next = j->next;
        j->done(j, j->data);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_done(arg);
}

void st_dash_store_submit(struct st_dash_store *s, struct st_dash_job *job)
{
    pthread_mutex_lock(&s->lock);
    push(&s->head, &s->tail, job);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void st_dash_store_free(struct st_dash_store *s)
{
    if (!s) {
        return;
    }
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        run_done(s);
    }
    if (s->done_ev) {
        event_free(s->done_ev);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->done_lock);
    st_free(s->path);
    st_free(s);
}

int st_dash_store_new(struct event_base *base, const char *data_dir, size_t page_size,
                      struct st_dash_store **ret)
{
    struct st_dash_store *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    s->page_size = page_size ? page_size : ST_DASH_LIST_PAGE;
    size_t len = strlen(data_dir) + sizeof("/dashboards.db");
    s->path = st_malloc(len);
    s->done_ev = event_new(base, -1, 0, on_done, s);
    if (!s->path || !s->done_ev) {
        st_dash_store_free(s);
        return -ENOMEM;
    }
    snprintf(s->path, len, "%s/dashboards.db", data_dir);
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        st_dash_store_free(s);
        return -EAGAIN;
    }
    s->started = true;
    *ret = s;
    return 0;
}
