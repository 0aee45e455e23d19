/* SPDX-License-Identifier: MIT */
/*
 * The trace store (trace_store.h). Schema of traces.db:
 *
 *   traces(trace_id PRIMARY KEY, id_time_ms, start_ms, end_ms, received_ms)
 *   segments(rowid, trace_id, id, in_progress, doc), UNIQUE(trace_id, id)
 *
 * Documents live in a rowid table: rows are appended in arrival order and a 1-2 KB document
 * shares its page with others. (Until 2026-12 segments was WITHOUT ROWID, which moves any row
 * over about 1 KB to overflow pages of its own: about 5 KB of file and 10 KB of writes per
 * 1.5 KB document. open_db() copies such a table into the new layout once.)
 *
 * A document replaces the stored one with the same (trace_id, id) unless it is in progress and
 * the stored one is complete. The worker also keeps recent traces parsed in memory (an age list
 * and a map from trace id hash), so queries over recent windows parse nothing; traces evicted
 * from memory are read back from SQLite when a query needs them. A trace is put in memory when
 * its first document arrives, so an entry in memory always holds every stored document.
 *
 * Threads: the loop thread submits jobs and runs done callbacks; the worker owns the database,
 * the index and the arena. Lock order: `lock` (queue) and `done_lock` (finished jobs) are never
 * held together.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sqlite3.h>
#include <xxhash.h>

#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/time_util.h"
#include "stratus/u64_map.h"
#include "trace_store.h"

enum stmt {
    S_SEG_UPSERT,
    S_TRACE_INSERT,
    S_TRACE_UPDATE,
    S_DOCS,
    S_WIN_ID,
    S_WIN_EVENT,
    S_EXPIRED,
    S_OLDEST,
    S_DEL_SEGS,
    S_DEL_TRACE,
    S__COUNT,
};

/* How long the worker waits for a larger group of documents, and how much is enough. */
#define GROUP_WAIT_US 4000
#define GROUP_BYTES   (1u << 20)

static const char *const stmt_sql[S__COUNT] = {
    [S_SEG_UPSERT] = "INSERT INTO segments(trace_id, id, in_progress, doc) VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT(trace_id, id) DO UPDATE SET in_progress = excluded.in_progress,"
                     " doc = excluded.doc WHERE segments.in_progress = 1 OR"
                     " excluded.in_progress = 0",
    [S_TRACE_INSERT] = "INSERT OR IGNORE INTO traces(trace_id, id_time_ms, start_ms, end_ms,"
                       " received_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TRACE_UPDATE] = "UPDATE traces SET start_ms = min(start_ms, ?2), end_ms = max(end_ms, ?3),"
                       " received_ms = ?4 WHERE trace_id = ?1",
    [S_DOCS] = "SELECT doc FROM segments WHERE trace_id = ?1",
    [S_WIN_ID] = "SELECT trace_id, id_time_ms FROM traces WHERE id_time_ms >= ?1 AND"
                 " id_time_ms < ?2 AND (id_time_ms, trace_id) > (?3, ?4)"
                 " ORDER BY id_time_ms, trace_id",
    [S_WIN_EVENT] = "SELECT trace_id, start_ms FROM traces WHERE start_ms < ?2 AND"
                    " start_ms >= ?1 - 86400000 AND end_ms >= ?1 AND"
                    " (start_ms, trace_id) > (?3, ?4)"
                    " ORDER BY start_ms, trace_id",
    [S_EXPIRED] = "SELECT trace_id FROM traces WHERE received_ms < ?1 LIMIT 1000",
    [S_OLDEST] = "SELECT trace_id FROM traces ORDER BY received_ms LIMIT ?1",
    [S_DEL_SEGS] = "DELETE FROM segments WHERE trace_id = ?1",
    [S_DEL_TRACE] = "DELETE FROM traces WHERE trace_id = ?1",
};

static const char schema[] =
    "PRAGMA page_size=16384;"
    "PRAGMA auto_vacuum=INCREMENTAL;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA cache_size=-32768;"
    "CREATE TABLE IF NOT EXISTS traces(trace_id TEXT PRIMARY KEY, id_time_ms INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS traces_by_id_time ON traces(id_time_ms, trace_id);"
    "CREATE INDEX IF NOT EXISTS traces_by_start ON traces(start_ms, trace_id);"
    "CREATE INDEX IF NOT EXISTS traces_by_received ON traces(received_ms);"
    "CREATE TABLE IF NOT EXISTS segments(trace_id TEXT NOT NULL, id TEXT NOT NULL,"
    " in_progress INTEGER NOT NULL, doc BLOB NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS segments_by_trace ON segments(trace_id, id);";

/* The documents of a database written before segments became a rowid table, moved over in one
 * transaction (a crash in between leaves the old table, and the next open starts again). */
static const char migrate_segments[] =
    "BEGIN;"
    "ALTER TABLE segments RENAME TO segments_without_rowid;"
    "CREATE TABLE segments(trace_id TEXT NOT NULL, id TEXT NOT NULL,"
    " in_progress INTEGER NOT NULL, doc BLOB NOT NULL);"
    "INSERT INTO segments(trace_id, id, in_progress, doc)"
    " SELECT trace_id, id, in_progress, doc FROM segments_without_rowid ORDER BY trace_id, id;"
    "DROP TABLE segments_without_rowid;"
    "CREATE UNIQUE INDEX segments_by_trace ON segments(trace_id, id);"
    "COMMIT;";

struct st_trace_view {
    struct st_trace_store *s;
};

struct st_trace_store {
    struct st_trace_store_opts opts;
    sqlite3 *db;
    sqlite3_stmt *st[S__COUNT];
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct st_trace_job *head, *tail;
    size_t queue_bytes;
    size_t queued_answers; /* queued jobs someone waits on (a done callback: queries, puts) */
    bool stop;
    pthread_mutex_t done_lock;
    struct st_trace_job *done_head, *done_tail;
    struct event *done_ev;
    /* worker-owned */
    struct st_u64_map cache; /* trace id hash -> struct st_trace */
    struct st_trace *newest, *oldest;
    size_t cache_bytes;
    struct st_arena arena;
    struct st_trace_view view;
    uint64_t last_maint_us;
    struct st_trace_metric *metrics; /* this interval's, worker-owned */
    size_t n_metrics;
    uint64_t last_metrics_us;
    struct st_trace_store_stats stats;
};

void st_trace_store_opts_default(struct st_trace_store_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->sync = true;
    o->retention_s = 30 * 86400;
    o->max_disk_bytes = 4ull << 30;
    o->cache_bytes = 256u << 20;
    o->max_queue_bytes = 64u << 20;
    o->maintenance_ms = 10000;
    o->metrics_ms = 10000;
}

struct st_trace_job *st_trace_job_new(void)
{
    struct st_trace_job *job = st_calloc(1, sizeof(*job));
    if (job) {
        /* The documents' bytes: a UDP batch of 1-2 KB datagrams is a few chunks, not a malloc
         * each (the loop thread's share of the ingest path). */
        st_arena_init(&job->doc_arena, 64 * 1024 - 64, 0);
    }
    return job;
}

int st_trace_job_add_doc(struct st_trace_job *job, const uint8_t *doc, size_t len)
{
    if (job->n_docs == job->cap_docs) {
        size_t cap = job->cap_docs ? job->cap_docs * 2 : 16;
        struct st_trace_doc_in *d = st_realloc(job->docs, cap * sizeof(*d));
        if (!d) {
            return -ENOMEM;
        }
        job->docs = d;
        job->cap_docs = cap;
    }
    uint8_t *copy = st_arena_alloc(&job->doc_arena, len ? len : 1);
    if (!copy) {
        return -ENOMEM;
    }
    memcpy(copy, doc, len);
    struct st_trace_doc_in *d = &job->docs[job->n_docs++];
    memset(d, 0, sizeof(*d));
    d->bytes = copy;
    d->len = len;
    job->bytes += len + sizeof(*d);
    return 0;
}

void st_trace_job_free(struct st_trace_job *job)
{
    if (!job) {
        return;
    }
    st_arena_fini(&job->doc_arena);
    st_free(job->docs);
    if (job->free_query) {
        job->free_query(job->query);
    }
    st_free(job->reply);
    st_free(job);
}

const struct st_trace_store_stats *st_trace_store_stats(const struct st_trace_store *s)
{
    return &s->stats;
}

static int64_t now_ms(const struct st_trace_store *s)
{
    return s->opts.now_ms ? s->opts.now_ms() : st_wall_ms();
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        st_log_debug("traces: sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static uint64_t trace_key(const char *id)
{
    return XXH3_64bits(id, strlen(id));
}

/* 1 when the database holds segments in the old WITHOUT ROWID layout, 0 when not, -EIO. */
static int old_segments_layout(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM sqlite_master WHERE type = 'table' AND"
                           " name = 'segments'",
                           -1, &st, NULL) != SQLITE_OK) {
        return -EIO;
    }
    int r = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        r = sql && strstr(sql, "WITHOUT ROWID") != NULL;
    }
    sqlite3_finalize(st);
    return r;
}

/* Opens dir/traces.db, moving an old segments table over first. Returns 0 or -EIO. */
static int open_db(struct st_trace_store *s, const char *path)
{
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        return -EIO;
    }
    int old = old_segments_layout(s->db);
    if (old < 0) {
        return -EIO;
    }
    if (old && exec_sql(s->db, migrate_segments) < 0) {
        exec_sql(s->db, "ROLLBACK");
        return -EIO;
    }
    if (exec_sql(s->db, schema) < 0 ||
        exec_sql(s->db, s->opts.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF") < 0) {
        return -EIO;
    }
    return 0;
}

/* --- the in-memory index --- */

static void unlink_trace(struct st_trace_store *s, struct st_trace *t)
{
    if (t->newer) {
        t->newer->older = t->older;
    } else {
        s->newest = t->older;
    }
    if (t->older) {
        t->older->newer = t->newer;
    } else {
        s->oldest = t->newer;
    }
    t->newer = t->older = NULL;
}

static void cache_drop(struct st_trace_store *s, struct st_trace *t)
{
    st_u64_map_remove(&s->cache, trace_key(t->id));
    unlink_trace(s, t);
    s->cache_bytes -= t->bytes;
    st_trace_free(t);
}

static void cache_trim(struct st_trace_store *s)
{
    while (s->oldest && s->cache_bytes > s->opts.cache_bytes) {
        cache_drop(s, s->oldest);
    }
}

static struct st_trace *cache_get(struct st_trace_store *s, const char *id)
{
    struct st_trace *t = st_u64_map_get(&s->cache, trace_key(id));
    return t && strcmp(t->id, id) == 0 ? t : NULL;
}

/* --- ingest --- */

static int64_t to_ms(double seconds)
{
    return (int64_t)llround(seconds * 1000.0);
}

static void set_result(struct st_trace_doc_in *d, int status, const char *code, const char *msg)
{
    d->status = status;
    snprintf(d->error_code, sizeof(d->error_code), "%.*s", (int)sizeof(d->error_code) - 1, code);
    snprintf(d->error, sizeof(d->error), "%.*s", (int)sizeof(d->error) - 1, msg);
}

/* The "id" of a document the parser refused, when it has one, for UnprocessedTraceSegments. */
static void peek_id(struct st_trace_doc_in *d)
{
    json_tokener *tok = json_tokener_new_ex(2 * ST_XRAY_MAX_DEPTH + 8);
    json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)d->bytes, (int)d->len) : NULL;
    json_object *id;
    if (o && json_object_object_get_ex(o, "id", &id) && json_object_is_type(id, json_type_string) &&
        st_xray_valid_id(json_object_get_string(id), (size_t)json_object_get_string_len(id))) {
        memcpy(d->id, json_object_get_string(id), sizeof(d->id));
    }
    json_object_put(o);
    if (tok) {
        json_tokener_free(tok);
    }
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* --- trace metrics --- */

static struct st_trace_metric *metric_of(struct st_trace_store *s, const char *service,
                                         const char *downstream)
{
    for (size_t i = 0; i < s->n_metrics; i++) {
        if (strcmp(s->metrics[i].service, service) == 0 &&
            strcmp(s->metrics[i].downstream, downstream) == 0) {
            return &s->metrics[i];
        }
    }
    if (!s->metrics) {
        s->metrics = st_calloc(ST_TRACE_MAX_METRIC_KEYS, sizeof(*s->metrics));
    }
    if (!s->metrics || s->n_metrics == ST_TRACE_MAX_METRIC_KEYS) {
        return NULL; /* more keys than an interval keeps: not counted */
    }
    struct st_trace_metric *m = &s->metrics[s->n_metrics++];
    memset(m, 0, sizeof(*m));
    snprintf(m->service, sizeof(m->service), "%s", service);
    snprintf(m->downstream, sizeof(m->downstream), "%s", downstream);
    return m;
}

static void count(struct st_trace_store *s, const char *service, const char *downstream,
                  const struct st_xray_segment *seg)
{
    struct st_trace_metric *m = metric_of(s, service, downstream);
    if (!m) {
        return;
    }
    m->requests++;
    switch (st_trace_outcome(seg)) {
    case ST_OUTCOME_FAULT:
        m->faults++;
        break;
    case ST_OUTCOME_THROTTLE:
        m->throttles++;
        m->errors++;
        break;
    case ST_OUTCOME_ERROR:
        m->errors++;
        break;
    default:
        break;
    }
    double d = st_trace_duration(seg);
    if (m->latency_n == 0 || d < m->latency_min) {
        m->latency_min = d;
    }
    if (m->latency_n == 0 || d > m->latency_max) {
        m->latency_max = d;
    }
    m->latency_n++;
    m->latency_sum += d;
}

/* The downstream calls under seg (not inside another call). */
static void count_calls(struct st_trace_store *s, const char *service,
                        const struct st_xray_segment *seg)
{
    for (size_t i = 0; i < seg->n_subsegments; i++) {
        const struct st_xray_segment *sub = &seg->subsegments[i];
        if (sub->namespace_name) {
            if (!sub->in_progress) {
                count(s, service, sub->name, sub);
            }
        } else {
            count_calls(s, service, sub);
        }
    }
}

/* Counts x, a completed independent subsegment owned by a segment of service, once, exactly
 * as count_calls counts it nested there: a call on its own edge, otherwise the calls inside
 * it, and nothing when a call encloses it. */
static void count_independent(struct st_trace_store *s, const char *service, bool in_call,
                              struct st_xray_doc *x)
{
    x->counted = true;
    if (in_call) {
        return;
    }
    if (x->root.namespace_name) {
        count(s, service, x->root.name, &x->root);
    } else {
        count_calls(s, service, &x->root);
    }
}

/*
 * doc was just added to t. An independent subsegment counts once the chain from it to its
 * owning segment is there, so doc can only complete the chains of the documents that hang from
 * it (directly or through others): walk those, from doc, when doc's own chain is complete.
 */
static void count_anchored(struct st_trace_store *s, struct st_trace *t, struct st_xray_doc *doc)
{
    bool in_call;
    if (doc->root.independent && !st_trace_owner(t, &doc->root, &in_call)) {
        return;
    }
    size_t *todo = st_malloc(t->n_docs * sizeof(*todo));
    bool *seen = st_calloc(t->n_docs, sizeof(*seen));
    if (!todo || !seen) {
        st_free(todo);
        st_free(seen);
        return; /* out of memory: not counted */
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n_docs; i++) {
        if (t->docs[i] == doc) {
            todo[n++] = i;
            seen[i] = true;
        }
    }
    while (n) {
        struct st_xray_doc *a = t->docs[todo[--n]];
        const struct st_xray_segment *owner;
        if (a->root.independent && !a->root.in_progress && !a->counted &&
            (owner = st_trace_owner(t, &a->root, &in_call))) {
            count_independent(s, owner->name, in_call, a);
        }
        for (size_t j = 0; j < t->n_docs; j++) {
            if (!seen[j] && t->docs[j]->root.independent &&
                st_trace_holds(&a->root, t->docs[j]->root.parent_id)) {
                seen[j] = true;
                todo[n++] = j;
            }
        }
    }
    st_free(todo);
    st_free(seen);
}

static void on_metrics_done(struct st_trace_job *job, void *data)
{
    struct st_trace_store *s = data;
    s->opts.metrics(job->query, job->n_items, s->opts.metrics_data);
    st_trace_job_free(job);
}

static void finish(struct st_trace_store *s, struct st_trace_job *job);

/* Hands this interval's metrics to the loop thread. */
static void flush_metrics(struct st_trace_store *s)
{
    s->last_metrics_us = st_mono_us();
    if (!s->n_metrics) {
        return;
    }
    struct st_trace_job *job = st_trace_job_new();
    if (!job) {
        return; /* the counts stay for the next interval */
    }
    job->query = s->metrics;
    job->free_query = st_free;
    job->n_items = s->n_metrics;
    job->done = on_metrics_done;
    job->data = s;
    s->metrics = NULL;
    s->n_metrics = 0;
    finish(s, job);
}

/* Stores one document; the transaction is open. Returns 0 or -EIO (the batch fails). */
static int ingest_doc(struct st_trace_store *s, struct st_trace_doc_in *d, int64_t received_ms)
{
    struct st_xray_doc *doc = NULL;
    struct st_error err;
    int r = st_xray_segment_parse(d->bytes, d->len, &doc, &err);
    if (r < 0) {
        set_result(d, r, err.code, err.message);
        peek_id(d);
        atomic_fetch_add(&s->stats.segments_invalid, 1);
        return 0;
    }
    const struct st_xray_segment *seg = &doc->root;
    memcpy(d->id, seg->id, sizeof(d->id));
    int64_t start = to_ms(seg->start_time);
    int64_t end = seg->in_progress ? start : to_ms(seg->end_time);
    sqlite3_stmt *up = s->st[S_SEG_UPSERT];
    sqlite3_bind_text(up, 1, seg->trace_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 2, seg->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(up, 3, seg->in_progress);
    sqlite3_bind_blob(up, 4, d->bytes, (int)d->len, SQLITE_STATIC);
    if (step_done(up) < 0) {
        st_xray_doc_free(doc);
        return -EIO;
    }
    if (sqlite3_changes(s->db) == 0) {
        /* An in-progress version of a document already complete. */
        atomic_fetch_add(&s->stats.segments_ignored, 1);
        st_xray_doc_free(doc);
        return 0;
    }
    int64_t id_epoch = 0;
    st_xray_valid_trace_id(seg->trace_id, ST_XRAY_TRACE_ID_LEN, &id_epoch);
    sqlite3_stmt *ins = s->st[S_TRACE_INSERT];
    sqlite3_bind_text(ins, 1, seg->trace_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, id_epoch * 1000);
    sqlite3_bind_int64(ins, 3, start);
    sqlite3_bind_int64(ins, 4, end);
    sqlite3_bind_int64(ins, 5, received_ms);
    if (step_done(ins) < 0) {
        st_xray_doc_free(doc);
        return -EIO;
    }
    bool is_new = sqlite3_changes(s->db) > 0;
    if (!is_new) {
        sqlite3_stmt *upd = s->st[S_TRACE_UPDATE];
        sqlite3_bind_text(upd, 1, seg->trace_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, start);
        sqlite3_bind_int64(upd, 3, end);
        sqlite3_bind_int64(upd, 4, received_ms);
        if (step_done(upd) < 0) {
            st_xray_doc_free(doc);
            return -EIO;
        }
    }
    atomic_fetch_add(&s->stats.segments_stored, 1);
    if (s->opts.metrics && !seg->in_progress && !seg->independent) {
        count(s, seg->name, "", seg);
        count_calls(s, seg->name, seg);
    }
    /* The index: the document joins its trace in memory, or starts a new one there. */
    struct st_trace *t = cache_get(s, seg->trace_id);
    if (!t && is_new) {
        t = st_trace_new(seg->trace_id);
        if (t && st_u64_map_put(&s->cache, trace_key(t->id), t) < 0) {
            st_trace_free(t);
            t = NULL;
        }
        if (t) {
            t->older = s->newest;
            if (s->newest) {
                s->newest->newer = t;
            } else {
                s->oldest = t;
            }
            s->newest = t;
            s->cache_bytes += t->bytes;
        }
    }
    if (!t) {
        st_xray_doc_free(doc); /* stored; queries read it back from the database */
        return 0;
    }
    size_t before = t->bytes;
    r = st_trace_add(t, doc);
    s->cache_bytes = s->cache_bytes - before + t->bytes;
    if (r < 0) {
        /* Out of memory or too many documents: the database has it; forget the copy. */
        cache_drop(s, t);
    } else if (r > 0 && s->opts.metrics) {
        count_anchored(s, t, doc);
    }
    return 0;
}

static int ingest(struct st_trace_store *s, struct st_trace_job **jobs, size_t n)
{
    int64_t received = now_ms(s);
    if (exec_sql(s->db, "BEGIN") < 0) {
        return -EIO;
    }
    for (size_t j = 0; j < n; j++) {
        struct st_trace_job *job = jobs[j];
        for (size_t i = 0; i < job->n_docs; i++) {
            if (ingest_doc(s, &job->docs[i], received) < 0) {
                exec_sql(s->db, "ROLLBACK");
                return -EIO;
            }
        }
    }
    if (exec_sql(s->db, "COMMIT") < 0) {
        exec_sql(s->db, "ROLLBACK");
        return -EIO;
    }
    cache_trim(s);
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < jobs[j]->n_docs; i++) {
            jobs[j]->accepted += jobs[j]->docs[i].status == 0;
        }
    }
    return 0;
}

/* --- maintenance --- */

static int delete_trace(struct st_trace_store *s, const char *id)
{
    sqlite3_bind_text(s->st[S_DEL_SEGS], 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->st[S_DEL_TRACE], 1, id, -1, SQLITE_TRANSIENT);
    if (step_done(s->st[S_DEL_SEGS]) < 0 || step_done(s->st[S_DEL_TRACE]) < 0) {
        return -EIO;
    }
    struct st_trace *t = cache_get(s, id);
    if (t) {
        cache_drop(s, t);
    }
    return 0;
}

/* Deletes the traces the statement selects; returns how many or -EIO. */
static long delete_selected(struct st_trace_store *s, sqlite3_stmt *sel)
{
    char(*ids)[ST_XRAY_TRACE_ID_LEN + 1] = st_malloc(1000 * sizeof(*ids));
    if (!ids) {
        sqlite3_reset(sel);
        return -ENOMEM;
    }
    long n = 0;
    while (n < 1000 && sqlite3_step(sel) == SQLITE_ROW) {
        snprintf(ids[n++], sizeof(ids[0]), "%s", (const char *)sqlite3_column_text(sel, 0));
    }
    sqlite3_reset(sel);
    long r = n;
    if (n && exec_sql(s->db, "BEGIN") == 0) {
        for (long i = 0; i < n && r >= 0; i++) {
            if (delete_trace(s, ids[i]) < 0) {
                r = -EIO;
            }
        }
        if (r < 0 || exec_sql(s->db, "COMMIT") < 0) {
            exec_sql(s->db, "ROLLBACK");
            r = -EIO;
        }
    }
    st_free(ids);
    return r;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static uint64_t db_bytes(struct st_trace_store *s)
{
    int64_t pages = pragma_int(s->db, "PRAGMA page_count");
    int64_t free_pages = pragma_int(s->db, "PRAGMA freelist_count");
    int64_t size = pragma_int(s->db, "PRAGMA page_size");
    return (uint64_t)((pages - free_pages) * size);
}

static void maintain(struct st_trace_store *s)
{
    long n;
    sqlite3_bind_int64(s->st[S_EXPIRED], 1, now_ms(s) - s->opts.retention_s * 1000);
    while ((n = delete_selected(s, s->st[S_EXPIRED])) > 0) {
        atomic_fetch_add(&s->stats.traces_expired, (uint64_t)n);
        sqlite3_bind_int64(s->st[S_EXPIRED], 1, now_ms(s) - s->opts.retention_s * 1000);
    }
    /* The disk budget: drop the oldest traces, as many as the excess holds on average. */
    uint64_t bytes;
    for (int rounds = 0; rounds < 100 && (bytes = db_bytes(s)) > s->opts.max_disk_bytes; rounds++) {
        int64_t traces = pragma_int(s->db, "SELECT count(*) FROM traces");
        if (traces <= 0) {
            break;
        }
        uint64_t per_trace = bytes / (uint64_t)traces + 1;
        uint64_t drop = (bytes - s->opts.max_disk_bytes) / per_trace + 1;
        sqlite3_bind_int64(s->st[S_OLDEST], 1, (int64_t)(drop < 1000 ? drop : 1000));
        if ((n = delete_selected(s, s->st[S_OLDEST])) <= 0) {
            break;
        }
        atomic_fetch_add(&s->stats.traces_evicted_for_disk, (uint64_t)n);
    }
    exec_sql(s->db, "PRAGMA incremental_vacuum");
    exec_sql(s->db, "PRAGMA wal_checkpoint(PASSIVE)");
}

/* --- queries --- */

struct st_arena *st_trace_view_arena(struct st_trace_view *v)
{
    return &v->s->arena;
}

struct load {
    struct st_trace *t;
    int status;
};

static int on_load_doc(const uint8_t *doc, size_t len, void *data)
{
    struct load *l = data;
    struct st_xray_doc *d;
    if (st_xray_segment_parse(doc, len, &d, NULL) < 0) {
        return 0; /* stored documents parsed once; a failure now is memory */
    }
    int r = st_trace_add(l->t, d);
    if (r == -ENOMEM) {
        l->status = r;
        return -ENOMEM;
    }
    return 0;
}

int st_trace_view_docs(struct st_trace_view *v, const char *trace_id, st_trace_doc_fn cb,
                       void *data)
{
    sqlite3_stmt *st = v->s->st[S_DOCS];
    sqlite3_bind_text(st, 1, trace_id, -1, SQLITE_TRANSIENT);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *doc = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        int r = cb(doc ? doc : (const uint8_t *)"", len, data);
        if (r < 0) {
            sqlite3_reset(st);
            return r;
        }
        n++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? n : -EIO;
}

int st_trace_view_window(struct st_trace_view *v, int64_t start_ms, int64_t end_ms,
                         enum st_trace_time_range range, int64_t after_ms, const char *after_id,
                         size_t limit, st_trace_visit_fn cb, void *data)
{
    struct st_trace_store *s = v->s;
    sqlite3_stmt *st = s->st[range == ST_TRACE_RANGE_EVENT ? S_WIN_EVENT : S_WIN_ID];
    sqlite3_bind_int64(st, 1, start_ms);
    sqlite3_bind_int64(st, 2, end_ms);
    sqlite3_bind_int64(st, 3, after_id ? after_ms : INT64_MIN);
    sqlite3_bind_text(st, 4, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    int rc, r = 0;
    size_t visited = 0;
    while (visited < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char id[ST_XRAY_TRACE_ID_LEN + 1];
        snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 0));
        int64_t order = sqlite3_column_int64(st, 1);
        visited++;
        const struct st_trace *t = cache_get(s, id);
        if (t) {
            r = cb(t, order, data);
        } else {
            /* Not in memory (evicted, or stored before a restart): parse it from the database
             * (a second statement of the connection; the window statement is still running). */
            struct load l = {.t = st_trace_new(id)};
            if (!l.t) {
                r = -ENOMEM;
                break;
            }
            int n = st_trace_view_docs(v, id, on_load_doc, &l);
            r = n < 0 ? n : cb(l.t, order, data);
            st_trace_free(l.t);
        }
        if (r != 0) {
            break;
        }
    }
    sqlite3_reset(st);
    return r;
}

/* --- the worker --- */

static void finish(struct st_trace_store *s, struct st_trace_job *job)
{
    if (!job->done) {
        st_trace_job_free(job);
        return;
    }
    pthread_mutex_lock(&s->done_lock);
    job->next = NULL;
    if (s->done_tail) {
        s->done_tail->next = job;
    } else {
        s->done_head = job;
    }
    s->done_tail = job;
    pthread_mutex_unlock(&s->done_lock);
    event_active(s->done_ev, EV_READ, 0);
}

static void flush_puts(struct st_trace_store *s, struct st_trace_job **puts, size_t n)
{
    int r = ingest(s, puts, n);
    for (size_t i = 0; i < n; i++) {
        puts[i]->status = r;
        if (r < 0) {
            atomic_fetch_add(&s->stats.segments_refused, puts[i]->n_docs);
        }
        finish(s, puts[i]);
    }
}

/* Ingests the batch's documents in transactions of up to 256 jobs, then runs its queries. */
static void run_batch(struct st_trace_store *s, struct st_trace_job *list)
{
    struct st_trace_job *puts[256];
    size_t n_puts = 0;
    struct st_trace_job *queries = NULL, **qtail = &queries;
    while (list) {
        struct st_trace_job *job = list;
        list = list->next;
        job->next = NULL;
        if (job->run) {
            *qtail = job;
            qtail = &job->next;
            continue;
        }
        puts[n_puts++] = job;
        if (n_puts == sizeof(puts) / sizeof(puts[0])) {
            flush_puts(s, puts, n_puts);
            n_puts = 0;
        }
    }
    if (n_puts) {
        flush_puts(s, puts, n_puts);
    }
    while (queries) {
        struct st_trace_job *job = queries;
        queries = job->next;
        job->next = NULL;
        job->run(job, &s->view);
        st_arena_reset(&s->arena);
        finish(s, job);
    }
}

static void *worker(void *arg)
{
    struct st_trace_store *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            unsigned wait_ms = s->opts.maintenance_ms;
            if (s->opts.metrics && s->opts.metrics_ms < wait_ms) {
                wait_ms = s->opts.metrics_ms;
            }
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT) {
                break;
            }
        }
        /* Group commit: while only a little is queued, give the loop thread a few ms to add
         * more, so one transaction carries many datagrams' documents (every transaction writes
         * the right-hand pages of each index again) and the threads switch less. Only UDP
         * batches wait: a query, a PutTraceSegments (its client waits for the commit) or
         * stopping starts the batch at once. */
        uint64_t until_us = st_mono_us() + GROUP_WAIT_US;
        while (s->head && !s->stop && !s->queued_answers && s->queue_bytes < GROUP_BYTES &&
               st_mono_us() < until_us) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += GROUP_WAIT_US * 1000 / 4;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
        struct st_trace_job *list = s->head;
        bool stop = s->stop && !list;
        s->queued_answers = 0;
        s->head = s->tail = NULL;
        s->queue_bytes = 0;
        atomic_store(&s->stats.queue_bytes, 0);
        pthread_mutex_unlock(&s->lock);
        if (stop) {
            if (s->opts.metrics) {
                flush_metrics(s); /* the last interval's, answered by the final on_done */
            }
            break;
        }
        run_batch(s, list);
        if (s->opts.metrics &&
            st_mono_us() - s->last_metrics_us >= (uint64_t)s->opts.metrics_ms * 1000) {
            flush_metrics(s);
        }
        if (st_mono_us() - s->last_maint_us >= (uint64_t)s->opts.maintenance_ms * 1000) {
            maintain(s);
            s->last_maint_us = st_mono_us();
        }
        pthread_mutex_lock(&s->lock);
    }
    return NULL;
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct st_trace_store *s = arg;
    pthread_mutex_lock(&s->done_lock);
    struct st_trace_job *list = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->done_lock);
    while (list) {
        struct st_trace_job *job = list;
        list = job->next;
        job->done(job, job->data);
    }
}

int st_trace_store_submit(struct st_trace_store *s, struct st_trace_job *job)
{
    pthread_mutex_lock(&s->lock);
    if (s->stop) {
        pthread_mutex_unlock(&s->lock);
        return -ESHUTDOWN;
    }
    if (!job->run && s->queue_bytes + job->bytes > s->opts.max_queue_bytes) {
        pthread_mutex_unlock(&s->lock);
        return -ENOBUFS;
    }
    job->next = NULL;
    if (s->tail) {
        s->tail->next = job;
    } else {
        s->head = job;
    }
    s->tail = job;
    s->queue_bytes += job->bytes;
    s->queued_answers += job->done != NULL;
    atomic_store(&s->stats.queue_bytes, s->queue_bytes);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int st_trace_store_open(struct event_base *base, const struct st_trace_store_opts *opts,
                        struct st_trace_store **ret, struct st_error *err)
{
    struct st_trace_store *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    s->opts = *opts;
    if (s->opts.maintenance_ms == 0) {
        s->opts.maintenance_ms = 10000;
    }
    if (s->opts.metrics_ms == 0) {
        s->opts.metrics_ms = 10000;
    }
    s->view.s = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    st_u64_map_init(&s->cache);
    st_arena_init(&s->arena, 256 * 1024, 0);
    int r;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/traces.db", opts->dir);
    if (open_db(s, path) < 0) {
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "cannot open %s: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    for (int i = 0; i < S__COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "%s: %s", path,
                             sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    s->done_ev = event_new(base, -1, 0, on_done, s);
    if (!s->done_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    /* Retention first, so a collector that was down for long does not serve stale traces. */
    maintain(s);
    s->last_maint_us = st_mono_us();
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        r = st_error_set(err, -EAGAIN, ST_ERR_INTERNAL_FAILURE, "cannot start the trace thread");
        goto fail;
    }
    s->started = true;
    *ret = s;
    return 0;
fail:
    st_trace_store_free(s);
    return r;
}

void st_trace_store_free(struct st_trace_store *s)
{
    if (!s) {
        return;
    }
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    if (s->done_ev) {
        on_done(-1, 0, s); /* the callbacks of jobs the worker finished while stopping */
        event_free(s->done_ev);
    }
    for (int i = 0; i < S__COUNT; i++) {
        sqlite3_finalize(s->st[i]);
    }
    sqlite3_close(s->db);
    while (s->oldest) {
        cache_drop(s, s->oldest);
    }
    st_u64_map_fini(&s->cache);
    st_free(s->metrics);
    st_arena_fini(&s->arena);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->done_lock);
    st_free(s);
}
