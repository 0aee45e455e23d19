/* SPDX-License-Identifier: MIT */
/*
 * The trace store on a real event loop and a temporary directory: documents are stored and
 * answered per document, an in-progress version never replaces a complete one, a reopened
 * store finds every accepted segment (read back from SQLite, not memory), databases in the old
 * layouts (a segments row per document, WITHOUT ROWID or rowid) are moved over with their
 * documents, a replaced or deleted document releases its batch, retention and the disk
 * budget delete the oldest traces (with an injected clock), and independent subsegments count
 * in the trace metrics exactly as if nested.
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
#include <sqlite3.h>

#include "trace_store.h"

static int64_t fake_now_ms;

static int64_t fake_clock(void)
{
    return fake_now_ms;
}

struct env {
    char dir[64];
    struct event_base *base;
    struct st_trace_store *s;
    struct st_trace_store_opts opts;
    struct event *keepalive; /* so that EVLOOP_ONCE waits for the worker's activation */
};

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static void open_store(struct env *e)
{
    struct st_error err;
    if (st_trace_store_open(e->base, &e->opts, &e->s, &err) < 0) {
        fail_msg("open: %s", err.message);
    }
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/stratus-test-traces-XXXXXX");
    if (!mkdtemp(e->dir)) {
        return -1;
    }
    evthread_use_pthreads();
    e->base = event_base_new();
    e->keepalive = event_new(e->base, -1, EV_PERSIST, on_keepalive, NULL);
    struct timeval tv = {0, 10000};
    event_add(e->keepalive, &tv);
    st_trace_store_opts_default(&e->opts);
    e->opts.dir = e->dir;
    e->opts.sync = false;
    e->opts.now_ms = fake_clock;
    e->opts.cache_bytes = 1 << 20;
    fake_now_ms = 1700000000000;
    open_store(e);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    st_trace_store_free(e->s);
    event_free(e->keepalive);
    event_base_free(e->base);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(e);
    return 0;
}

struct waiter {
    struct env *e;
    bool done;
    struct st_trace_job *job;
};

static void on_done(struct st_trace_job *job, void *data)
{
    struct waiter *w = data;
    w->done = true;
    w->job = job;
}

/* Submits job and runs the loop until its callback; returns the job (caller frees). */
static struct st_trace_job *run_job(struct env *e, struct st_trace_job *job)
{
    struct waiter w = {.e = e};
    job->done = on_done;
    job->data = &w;
    assert_int_equal(st_trace_store_submit(e->s, job), 0);
    for (int i = 0; i < 10000 && !w.done; i++) {
        event_base_loop(e->base, EVLOOP_ONCE);
    }
    assert_true(w.done);
    return w.job;
}

static char *segment(const char *trace, const char *id, double start, bool in_progress,
                     const char *extra)
{
    static char buf[4096];
    if (in_progress) {
        snprintf(buf, sizeof(buf),
                 "{\"name\": \"web\", \"id\": \"%s\", \"trace_id\": \"%s\", \"start_time\": %.3f,"
                 " \"in_progress\": true%s}",
                 id, trace, start, extra);
    } else {
        snprintf(buf, sizeof(buf),
                 "{\"name\": \"web\", \"id\": \"%s\", \"trace_id\": \"%s\", \"start_time\": %.3f,"
                 " \"end_time\": %.3f%s}",
                 id, trace, start, start + 1, extra);
    }
    return buf;
}

static struct st_trace_job *put(struct env *e, const char *const *docs, size_t n)
{
    struct st_trace_job *job = st_trace_job_new();
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(st_trace_job_add_doc(job, (const uint8_t *)docs[i], strlen(docs[i])), 0);
    }
    return run_job(e, job);
}

static void put_one(struct env *e, const char *doc)
{
    const char *docs[] = {doc};
    struct st_trace_job *job = put(e, docs, 1);
    assert_int_equal(job->status, 0);
    assert_int_equal(job->accepted, 1);
    st_trace_job_free(job);
}

/* A query job: counts the traces of the window and the documents of the first. */
struct count {
    int64_t start_ms, end_ms;
    int traces;
    size_t docs_first;
    bool last_in_progress;
    char first_id[40];
};

static int count_visit(const struct st_trace *t, int64_t order_ms, void *data)
{
    (void)order_ms;
    struct count *c = data;
    if (c->traces++ == 0) {
        c->docs_first = t->n_docs;
        c->last_in_progress = t->n_docs && t->docs[0]->root.in_progress;
        snprintf(c->first_id, sizeof(c->first_id), "%s", t->id);
    }
    return 0;
}

static void run_count(struct st_trace_job *job, struct st_trace_view *v)
{
    struct count *c = job->query;
    job->status = st_trace_view_window(v, c->start_ms, c->end_ms, ST_TRACE_RANGE_EVENT, 0, NULL,
                                       SIZE_MAX, count_visit, c);
}

static struct count count_traces(struct env *e)
{
    struct count c = {.start_ms = 1600000000000, .end_ms = 1800000000000};
    struct st_trace_job *job = st_trace_job_new();
    job->run = run_count;
    job->query = &c;
    job = run_job(e, job);
    assert_int_equal(job->status, 0);
    st_trace_job_free(job);
    return c;
}

#define T1 "1-6553f100-000000000000000000000001"
#define T2 "1-6553f100-000000000000000000000002"

static void test_documents_get_a_result_each(void **state)
{
    struct env *e = *state;
    char a[4096];
    snprintf(a, sizeof(a), "%s", segment(T1, "000000000000000a", 1700000000, false, ""));
    const char *docs[] = {a, "{\"name\": \"x\"}", "not json"};
    struct st_trace_job *job = put(e, docs, 3);
    assert_int_equal(job->status, 0);
    assert_int_equal(job->accepted, 1);
    assert_int_equal(job->docs[0].status, 0);
    assert_int_equal(job->docs[1].status, -EINVAL);
    assert_string_equal(job->docs[1].error_code, "InvalidTraceSegment");
    assert_non_null(strstr(job->docs[1].error, "id"));
    assert_int_equal(job->docs[2].status, -EINVAL);
    st_trace_job_free(job);
    assert_int_equal(atomic_load(&st_trace_store_stats(e->s)->segments_invalid), 2);
    assert_int_equal(count_traces(e).traces, 1);
}

static void test_in_progress_never_replaces_complete(void **state)
{
    struct env *e = *state;
    put_one(e, segment(T1, "000000000000000a", 1700000000, true, ""));
    struct count c = count_traces(e);
    assert_true(c.last_in_progress);
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    /* A late in-progress copy is taken but ignored. */
    const char *docs[] = {segment(T1, "000000000000000a", 1700000000, true, "")};
    struct st_trace_job *job = put(e, docs, 1);
    assert_int_equal(job->docs[0].status, 0);
    st_trace_job_free(job);
    assert_int_equal(atomic_load(&st_trace_store_stats(e->s)->segments_ignored), 1);
    c = count_traces(e);
    assert_int_equal(c.docs_first, 1);
    assert_false(c.last_in_progress);
    /* The same from the database after a restart. */
    st_trace_store_free(e->s);
    open_store(e);
    c = count_traces(e);
    assert_int_equal(c.docs_first, 1);
    assert_false(c.last_in_progress);
}

static void test_restart_finds_every_accepted_segment(void **state)
{
    struct env *e = *state;
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    put_one(e, segment(T2, "000000000000000b", 1700000010, false, ""));
    put_one(e, segment(T1, "000000000000000c", 1700000000.5, false,
                       ", \"parent_id\": "
                       "\"000000000000000a\""));
    st_trace_store_free(e->s);
    open_store(e);
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 2);
    assert_string_equal(c.first_id, T1);
    assert_int_equal(c.docs_first, 2);
}

static void sql(sqlite3 *db, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", q, msg ? msg : "?");
    }
}

/* The traces table of the layouts before batches (the one before it differs in segments). */
#define OLD_TRACES                                                                                 \
    "CREATE TABLE traces(trace_id TEXT PRIMARY KEY, id_time_ms INTEGER NOT NULL,"                  \
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL)"           \
    " WITHOUT ROWID;"                                                                              \
    "CREATE INDEX traces_by_id_time ON traces(id_time_ms, trace_id);"                              \
    "CREATE INDEX traces_by_start ON traces(start_ms, trace_id);"                                  \
    "CREATE INDEX traces_by_received ON traces(received_ms);"

/* Closes the store, deletes its database and creates one with schema (an older layout) in its
 * place; returns it open, with its path in path[128]. */
static sqlite3 *old_db(struct env *e, const char *schema, char *path)
{
    st_trace_store_free(e->s);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, 128, "%s/traces.db%s", e->dir, suffixes[i]);
        assert_true(unlink(path) == 0 || errno == ENOENT);
    }
    snprintf(path, 128, "%s/traces.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sql(db, schema);
    return db;
}

static void test_old_layout_is_moved_over(void **state)
{
    struct env *e = *state;
    char path[128];
    /* The schema of traces.db before segments became a rowid table. */
    sqlite3 *db =
        old_db(e,
               "PRAGMA journal_mode=WAL;" OLD_TRACES
               "CREATE TABLE segments(trace_id TEXT NOT NULL, id TEXT NOT NULL,"
               " in_progress INTEGER NOT NULL, doc BLOB NOT NULL, PRIMARY KEY(trace_id, id))"
               " WITHOUT ROWID;",
               path);
    char q[8192];
    snprintf(q, sizeof(q),
             "INSERT INTO traces VALUES ('%s', 1700000000000, 1700000000000, 1700000001000,"
             " 1700000000000); INSERT INTO segments VALUES ('%s', '000000000000000a', 0, '%s');",
             T1, T1, segment(T1, "000000000000000a", 1700000000, false, ""));
    sql(db, q);
    sqlite3_close(db);
    open_store(e);
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 1);
    assert_int_equal(c.docs_first, 1);
    /* The moved document still takes part in replacement: a later document joins its trace. */
    put_one(e, segment(T1, "000000000000000c", 1700000000.5, false,
                       ", \"parent_id\": \"000000000000000a\""));
    st_trace_store_free(e->s);
    open_store(e);
    c = count_traces(e);
    assert_int_equal(c.traces, 1);
    assert_int_equal(c.docs_first, 2);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM sqlite_master WHERE sql LIKE"
                                        " '%WITHOUT ROWID%' AND name LIKE 'segments%'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Runs q on the closed store's database and returns its first column (an integer). */
static int64_t db_int(struct env *e, const char *q)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/traces.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_rowid_layout_is_moved_over(void **state)
{
    struct env *e = *state;
    char path[128];
    /* The schema of traces.db before documents were stored a batch per transaction. */
    sqlite3 *db = old_db(e,
                         "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA "
                         "journal_mode=WAL;" OLD_TRACES
                         "CREATE TABLE segments(trace_id TEXT NOT NULL, id TEXT NOT NULL,"
                         " in_progress INTEGER NOT NULL, doc BLOB NOT NULL);"
                         "CREATE UNIQUE INDEX segments_by_trace ON segments(trace_id, id);",
                         path);
    char q[8192];
    snprintf(q, sizeof(q),
             "INSERT INTO traces VALUES ('%s', 1700000000000, 1700000000000, 1700000000000,"
             " 1700000000000), ('%s', 1700000000000, 1700000010000, 1700000011000,"
             " 1700000000000);",
             T1, T2);
    sql(db, q);
    snprintf(q, sizeof(q), "INSERT INTO segments VALUES ('%s', '000000000000000a', 1, '%s');", T1,
             segment(T1, "000000000000000a", 1700000000, true, ""));
    sql(db, q);
    snprintf(q, sizeof(q), "INSERT INTO segments VALUES ('%s', '000000000000000b', 0, '%s');", T2,
             segment(T2, "000000000000000b", 1700000010, false, ""));
    sql(db, q);
    sqlite3_close(db);
    open_store(e);
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 2);
    assert_string_equal(c.first_id, T1);
    assert_int_equal(c.docs_first, 1);
    assert_true(c.last_in_progress);
    /* The moved in-progress document is replaced by its completed version. */
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_int_equal(db_int(e, "SELECT count(*) FROM sqlite_master WHERE name = 'segments'"), 0);
    assert_int_equal(db_int(e, "SELECT sum(live) FROM batches"), 2);
    open_store(e);
    c = count_traces(e);
    assert_int_equal(c.traces, 2);
    assert_int_equal(c.docs_first, 1);
    assert_false(c.last_in_progress);
}

static void test_replaced_in_one_batch_keeps_the_complete(void **state)
{
    struct env *e = *state;
    char a1[4096], a2[4096];
    snprintf(a1, sizeof(a1), "%s", segment(T1, "000000000000000a", 1700000000, true, ""));
    snprintf(a2, sizeof(a2), "%s", segment(T1, "000000000000000a", 1700000000, false, ""));
    const char *docs[] = {a1, a2, a1};
    struct st_trace_job *job = put(e, docs, 3);
    assert_int_equal(job->accepted, 3);
    st_trace_job_free(job);
    assert_int_equal(atomic_load(&st_trace_store_stats(e->s)->segments_ignored), 1);
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_int_equal(db_int(e, "SELECT sum(live) FROM batches"), 1);
    open_store(e);
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 1);
    assert_int_equal(c.docs_first, 1);
    assert_false(c.last_in_progress);
}

static void test_batches_go_with_their_last_document(void **state)
{
    struct env *e = *state;
    e->opts.retention_s = 60;
    st_trace_store_free(e->s);
    open_store(e);
    put_one(e, segment(T1, "000000000000000a", 1700000000, true, ""));
    put_one(e, segment(T2, "000000000000000b", 1700000000, false, ""));
    /* The completed version moves T1's only document out of the first batch. */
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_int_equal(db_int(e, "SELECT count(*) FROM batches"), 2);
    assert_int_equal(db_int(e, "SELECT min(batch_id) FROM batches"), 2);
    fake_now_ms += 70 * 1000;
    open_store(e); /* both expire */
    assert_int_equal(count_traces(e).traces, 0);
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_int_equal(db_int(e, "SELECT count(*) FROM batches"), 0);
    open_store(e);
}

static void test_retention_deletes_old_traces(void **state)
{
    struct env *e = *state;
    e->opts.retention_s = 60;
    st_trace_store_free(e->s);
    open_store(e);
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    fake_now_ms += 30 * 1000;
    put_one(e, segment(T2, "000000000000000b", 1700000000, false, ""));
    fake_now_ms += 40 * 1000; /* T1 arrived 70 s ago, T2 40 s ago */
    st_trace_store_free(e->s);
    open_store(e); /* retention runs when the store opens and every maintenance interval */
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 1);
    assert_string_equal(c.first_id, T2);
    assert_int_equal(atomic_load(&st_trace_store_stats(e->s)->traces_expired), 1);
}

/* A segment member that makes a document about 2 KB: metadata of 2099 bytes of padding. */
static void pad_metadata(char *extra, size_t size)
{
    char pad[2100];
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(extra, size, ", \"metadata\": {\"pad\": \"%s\"}", pad);
}

static void test_disk_budget_drops_the_oldest(void **state)
{
    struct env *e = *state;
    char extra[2200];
    pad_metadata(extra, sizeof(extra));
    for (int i = 0; i < 300; i++) {
        char tid[40];
        snprintf(tid, sizeof(tid), "1-6553f100-%024x", i + 1);
        put_one(e, segment(tid, "000000000000000a", 1700000000 + i, false, extra));
        fake_now_ms += 1000;
    }
    assert_int_equal(count_traces(e).traces, 300);
    e->opts.max_disk_bytes = 256 * 1024;
    st_trace_store_free(e->s);
    open_store(e);
    struct count c = count_traces(e);
    assert_true(c.traces > 10 && c.traces < 150);
    /* The newest survive. */
    char last[40];
    snprintf(last, sizeof(last), "1-6553f100-%024x", 300 - c.traces + 1);
    assert_string_equal(c.first_id, last);
    assert_int_equal(atomic_load(&st_trace_store_stats(e->s)->traces_evicted_for_disk),
                     300 - c.traces);
}

static void test_refused_put_leaves_no_trace_in_memory(void **state)
{
    struct env *e = *state;
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    /* Another connection holds the write lock: the store's transaction fails and rolls back. */
    char path[128];
    snprintf(path, sizeof(path), "%s/traces.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sql(db, "BEGIN IMMEDIATE");
    char c1[4096], t2[4096];
    snprintf(c1, sizeof(c1), "%s",
             segment(T1, "000000000000000c", 1700000000.5, false,
                     ", \"parent_id\": \"000000000000000a\""));
    snprintf(t2, sizeof(t2), "%s", segment(T2, "000000000000000b", 1700000010, false, ""));
    const char *docs[] = {c1, t2};
    struct st_trace_job *job = put(e, docs, 2);
    assert_true(job->status < 0);
    assert_int_equal(job->accepted, 0);
    st_trace_job_free(job);
    sql(db, "ROLLBACK");
    sqlite3_close(db);
    /* Queries answer what the database holds, not the refused documents. */
    struct count c = count_traces(e);
    assert_int_equal(c.traces, 1);
    assert_string_equal(c.first_id, T1);
    assert_int_equal(c.docs_first, 1);
}

static void test_trace_stores_at_most_max_docs(void **state)
{
    struct env *e = *state;
    /* ST_TRACE_MAX_DOCS documents with distinct ids, in one transaction. */
    struct st_trace_job *job = st_trace_job_new();
    for (int i = 0; i < 2000; i++) {
        char id[17];
        snprintf(id, sizeof(id), "%016x", i + 1);
        const char *doc = segment(T1, id, 1700000000, false, "");
        assert_int_equal(st_trace_job_add_doc(job, (const uint8_t *)doc, strlen(doc)), 0);
    }
    job = run_job(e, job);
    assert_int_equal(job->status, 0);
    assert_int_equal(job->accepted, 2000);
    st_trace_job_free(job);
    /* One more id is refused; a new version of a stored one is still taken. */
    char extra[4096], again[4096];
    snprintf(extra, sizeof(extra), "%s", segment(T1, "00000000000007d1", 1700000000, false, ""));
    snprintf(again, sizeof(again), "%s", segment(T1, "0000000000000001", 1700000000, false, ""));
    const char *docs[] = {extra, again};
    job = put(e, docs, 2);
    assert_int_equal(job->status, 0);
    assert_int_equal(job->accepted, 1);
    assert_int_equal(job->docs[0].status, -ENOSPC);
    assert_string_equal(job->docs[0].id, "00000000000007d1");
    assert_int_equal(job->docs[1].status, 0);
    st_trace_job_free(job);
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_int_equal(db_int(e, "SELECT length(refs) FROM traces"), 2000 * 33);
    assert_int_equal(db_int(e, "SELECT sum(live) FROM batches"), 2000);
    open_store(e);
}

static void test_disk_budget_frees_batches_a_long_trace_shares(void **state)
{
    struct env *e = *state;
    char extra[2200];
    pad_metadata(extra, sizeof(extra));
    /* Each transaction holds a short trace's document and one more of T1, which goes on
     * receiving documents (so its row is the most recently received) and so shares every
     * batch. */
    for (int i = 0; i < 300; i++) {
        char tid[40], id[17], doc[4096], late[4096];
        snprintf(tid, sizeof(tid), "1-6553f100-%024x", i + 16);
        snprintf(doc, sizeof(doc), "%s",
                 segment(tid, "000000000000000a", 1700000000 + i, false, extra));
        snprintf(id, sizeof(id), "%016x", i + 1);
        snprintf(late, sizeof(late), "%s", segment(T1, id, 1700000000, false, ""));
        const char *docs[] = {doc, late};
        struct st_trace_job *job = put(e, docs, 2);
        assert_int_equal(job->accepted, 2);
        st_trace_job_free(job);
        fake_now_ms += 1000;
    }
    e->opts.max_disk_bytes = 256 * 1024;
    st_trace_store_free(e->s);
    open_store(e);
    /* Deleting the oldest short traces alone frees nothing while T1 holds a document in each of
     * their batches: T1 goes first, then the oldest short traces, as many as the budget needs. */
    struct count c = count_traces(e);
    assert_true(c.traces > 10 && c.traces < 150);
    char last[40];
    snprintf(last, sizeof(last), "1-6553f100-%024x", 300 - c.traces + 16);
    assert_string_equal(c.first_id, last);
    st_trace_store_free(e->s);
    e->s = NULL;
    assert_true(db_int(e, "SELECT (page_count - freelist_count) * page_size FROM"
                          " pragma_page_count(), pragma_freelist_count(), pragma_page_size()") <=
                256 * 1024);
    open_store(e);
}

/* Checks the closed store's database: each batch's live is the number of refs into it, and
 * every ref points into a stored batch, within its blob. */
static void check_live_counts(struct env *e)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/traces.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sql(db, "CREATE TEMP TABLE r(batch INTEGER, off INTEGER, len INTEGER)");
    sqlite3_stmt *sel, *ins;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT refs FROM traces", -1, &sel, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO r VALUES (?1, ?2, ?3)", -1, &ins, NULL),
                     SQLITE_OK);
    while (sqlite3_step(sel) == SQLITE_ROW) {
        const uint8_t *refs = sqlite3_column_blob(sel, 0);
        int n = sqlite3_column_bytes(sel, 0);
        assert_int_equal(n % 33, 0);
        for (int i = 0; i < n; i += 33) {
            int64_t v[3] = {0, 0, 0};
            for (int k = 0; k < 8; k++) {
                v[0] |= (int64_t)refs[i + k] << (8 * k);
            }
            for (int k = 0; k < 4; k++) {
                v[1] |= (int64_t)refs[i + 8 + k] << (8 * k);
                v[2] |= (int64_t)refs[i + 12 + k] << (8 * k);
            }
            for (int c = 0; c < 3; c++) {
                sqlite3_bind_int64(ins, c + 1, v[c]);
            }
            assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM batches b WHERE b.live !="
                           " (SELECT count(*) FROM r WHERE r.batch = b.batch_id)),"
                           " (SELECT count(*) FROM r LEFT JOIN batches b ON b.batch_id = r.batch"
                           " WHERE b.batch_id IS NULL OR r.off + r.len > length(b.docs))",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    assert_int_equal(sqlite3_column_int(st, 1), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_live_counts_match_refs_after_mixed_ingest(void **state)
{
    struct env *e = *state;
    e->opts.retention_s = 60;
    e->opts.maintenance_ms = 1; /* retention after every batch of jobs */
    st_trace_store_free(e->s);
    open_store(e);
    unsigned seed = 12345;
    uint64_t expired = 0;
    for (int round = 0; round < 60; round++) {
        struct st_trace_job *job = st_trace_job_new();
        int n = 1 + (int)(rand_r(&seed) % 12);
        for (int i = 0; i < n; i++) {
            char tid[40], id[17];
            snprintf(tid, sizeof(tid), "1-6553f100-%024x", 1 + rand_r(&seed) % 30);
            snprintf(id, sizeof(id), "%016x", 1 + rand_r(&seed) % 6);
            const char *doc =
                segment(tid, id, 1700000000 + rand_r(&seed) % 10, rand_r(&seed) % 3 == 0, "");
            assert_int_equal(st_trace_job_add_doc(job, (const uint8_t *)doc, strlen(doc)), 0);
        }
        job = run_job(e, job);
        assert_int_equal(job->status, 0);
        st_trace_job_free(job);
        fake_now_ms += 7000; /* traces untouched for 60 s expire */
        if (round % 10 == 9) {
            expired += atomic_load(&st_trace_store_stats(e->s)->traces_expired);
            st_trace_store_free(e->s);
            e->s = NULL;
            check_live_counts(e);
            open_store(e);
        }
    }
    assert_true(expired > 0);
}

/* --- trace metrics --- */

static struct st_trace_metric got_metrics[16];
static size_t n_got_metrics;

static void on_metrics(const struct st_trace_metric *m, size_t n, void *data)
{
    (void)data;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < n_got_metrics && (strcmp(got_metrics[k].service, m[i].service) != 0 ||
                                     strcmp(got_metrics[k].downstream, m[i].downstream) != 0)) {
            k++;
        }
        if (k == n_got_metrics) {
            assert_true(n_got_metrics < sizeof(got_metrics) / sizeof(got_metrics[0]));
            memset(&got_metrics[k], 0, sizeof(got_metrics[k]));
            snprintf(got_metrics[k].service, sizeof(got_metrics[k].service), "%s", m[i].service);
            snprintf(got_metrics[k].downstream, sizeof(got_metrics[k].downstream), "%s",
                     m[i].downstream);
            n_got_metrics++;
        }
        got_metrics[k].requests += m[i].requests;
        got_metrics[k].faults += m[i].faults;
        got_metrics[k].errors += m[i].errors;
        got_metrics[k].latency_n += m[i].latency_n;
        got_metrics[k].latency_sum += m[i].latency_sum;
    }
}

/* Reopens the store with trace metrics (handed over when it closes). */
static void with_metrics(struct env *e)
{
    st_trace_store_free(e->s);
    n_got_metrics = 0;
    e->opts.metrics = on_metrics;
    open_store(e);
}

/* Closes the store, which hands over the last interval's metrics. */
static void close_store(struct env *e)
{
    st_trace_store_free(e->s);
    e->s = NULL;
}

static const struct st_trace_metric *metric(const char *service, const char *downstream)
{
    for (size_t i = 0; i < n_got_metrics; i++) {
        if (strcmp(got_metrics[i].service, service) == 0 &&
            strcmp(got_metrics[i].downstream, downstream) == 0) {
            return &got_metrics[i];
        }
    }
    return NULL;
}

static void test_independent_call_counts_as_if_nested(void **state)
{
    struct env *e = *state;
    with_metrics(e);
    /* T1: the call nested in the segment's handler subsegment. */
    put_one(e, "{\"name\": \"web\", \"id\": \"00000000000000a1\", \"trace_id\": \"" T1 "\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001,"
               " \"subsegments\": [{\"name\": \"handler\", \"id\": \"00000000000000b1\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001,"
               " \"subsegments\": [{\"name\": \"db\", \"id\": \"00000000000000c1\","
               " \"namespace\": \"remote\", \"start_time\": 1700000000,"
               " \"end_time\": 1700000000.5, \"http\": {\"response\": {\"status\": 503}}}]}]}");
    /* T2: the same call sent on its own before its segment, as the X-Ray SDKs stream them. */
    put_one(e, "{\"type\": \"subsegment\", \"name\": \"db\", \"id\": \"00000000000000c2\","
               " \"trace_id\": \"" T2 "\", \"parent_id\": \"00000000000000b2\","
               " \"namespace\": \"remote\", \"start_time\": 1700000000,"
               " \"end_time\": 1700000000.5, \"http\": {\"response\": {\"status\": 503}}}");
    put_one(e, "{\"name\": \"web\", \"id\": \"00000000000000a2\", \"trace_id\": \"" T2 "\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001,"
               " \"subsegments\": [{\"name\": \"handler\", \"id\": \"00000000000000b2\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001}]}");
    close_store(e);
    assert_int_equal(n_got_metrics, 2);
    const struct st_trace_metric *web = metric("web", "");
    assert_non_null(web);
    assert_int_equal(web->requests, 2);
    const struct st_trace_metric *db = metric("web", "db");
    assert_non_null(db);
    assert_int_equal(db->requests, 2);
    assert_int_equal(db->faults, 2);
    assert_int_equal(db->latency_n, 2);
    assert_float_equal(db->latency_sum, 1.0, 1e-9);
}

static void test_refused_put_counts_no_metrics(void **state)
{
    struct env *e = *state;
    with_metrics(e);
    char path[128];
    snprintf(path, sizeof(path), "%s/traces.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sql(db, "BEGIN IMMEDIATE"); /* the store's transaction fails and rolls back */
    const char *docs[] = {segment(T1, "000000000000000a", 1700000000, false, "")};
    struct st_trace_job *job = put(e, docs, 1);
    assert_true(job->status < 0);
    st_trace_job_free(job);
    sql(db, "ROLLBACK");
    sqlite3_close(db);
    /* The client sends it again; it counts once. */
    put_one(e, segment(T1, "000000000000000a", 1700000000, false, ""));
    close_store(e);
    assert_int_equal(n_got_metrics, 1);
    assert_int_equal(metric("web", "")->requests, 1);
    assert_int_equal(metric("web", "")->latency_n, 1);
}

#define T3 "1-6553f100-000000000000000000000003"

static void test_independent_chains_count_once_complete(void **state)
{
    struct env *e = *state;
    with_metrics(e);
    /* cache hangs from worker, itself independent and still in progress when web arrives. */
    put_one(e, "{\"type\": \"subsegment\", \"name\": \"cache\", \"id\": \"00000000000000c3\","
               " \"trace_id\": \"" T3 "\", \"parent_id\": \"00000000000000d3\","
               " \"namespace\": \"remote\", \"start_time\": 1700000000,"
               " \"end_time\": 1700000000.25}");
    put_one(e, "{\"type\": \"subsegment\", \"name\": \"worker\", \"id\": \"00000000000000d3\","
               " \"trace_id\": \"" T3 "\", \"parent_id\": \"00000000000000b3\","
               " \"start_time\": 1700000000, \"in_progress\": true}");
    /* inner hangs from a call (db): nested there it would not count either. */
    put_one(e, "{\"type\": \"subsegment\", \"name\": \"inner\", \"id\": \"00000000000000e3\","
               " \"trace_id\": \"" T3 "\", \"parent_id\": \"00000000000000f3\","
               " \"namespace\": \"remote\", \"start_time\": 1700000000,"
               " \"end_time\": 1700000000.25}");
    put_one(e, "{\"name\": \"web\", \"id\": \"00000000000000a3\", \"trace_id\": \"" T3 "\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001,"
               " \"subsegments\": [{\"name\": \"handler\", \"id\": \"00000000000000b3\","
               " \"start_time\": 1700000000, \"end_time\": 1700000001},"
               " {\"name\": \"db\", \"id\": \"00000000000000f3\", \"namespace\": \"remote\","
               " \"start_time\": 1700000000, \"end_time\": 1700000000.5}]}");
    /* worker completes, with a call inside it. */
    put_one(e, "{\"type\": \"subsegment\", \"name\": \"worker\", \"id\": \"00000000000000d3\","
               " \"trace_id\": \"" T3 "\", \"parent_id\": \"00000000000000b3\","
               " \"start_time\": 1700000000, \"end_time\": 1700000000.75,"
               " \"subsegments\": [{\"name\": \"queue\", \"id\": \"0000000000000013\","
               " \"namespace\": \"aws\", \"start_time\": 1700000000,"
               " \"end_time\": 1700000000.5, \"error\": true}]}");
    close_store(e);
    assert_int_equal(n_got_metrics, 4);
    assert_int_equal(metric("web", "")->requests, 1);
    assert_int_equal(metric("web", "db")->requests, 1);
    assert_int_equal(metric("web", "cache")->requests, 1);
    assert_int_equal(metric("web", "queue")->requests, 1);
    assert_int_equal(metric("web", "queue")->errors, 1);
    assert_null(metric("web", "inner"));
    assert_null(metric("web", "worker"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_documents_get_a_result_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_progress_never_replaces_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_finds_every_accepted_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_layout_is_moved_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rowid_layout_is_moved_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_in_one_batch_keeps_the_complete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batches_go_with_their_last_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_deletes_old_traces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_budget_drops_the_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_budget_frees_batches_a_long_trace_shares, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_put_leaves_no_trace_in_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trace_stores_at_most_max_docs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_counts_match_refs_after_mixed_ingest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_independent_call_counts_as_if_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_put_counts_no_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_independent_chains_count_once_complete, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
