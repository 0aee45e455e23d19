/* SPDX-License-Identifier: MIT */
/*
 * The trace store (trace_store.h). Schema of traces.db:
 *
 *   batches(batch_id INTEGER PRIMARY KEY, live, docs)
 *   traces(id_time_ms, trace_id, start_ms, end_ms, received_ms, refs),
 *       PRIMARY KEY(id_time_ms, trace_id), indexes on (start_ms, trace_id) and (received_ms)
 *
 * Each ingest transaction (a group commit) appends one batches row: the documents it stored,
 * concatenated in one blob. A trace's row carries refs, one 33-byte record per document (batch,
 * offset, length, in progress, id), so storing a segment costs a slice of one large sequential
 * blob plus its trace's row, not a row and a unique-index entry of its own. `live` counts the
 * refs into a batch; when a document is replaced or its trace deleted, its batch's count drops,
 * and a batch with none left is deleted. The primary key starts with the time in the trace id
 * (derived from the id itself), so it serves both lookups by id and windows by id time.
 *
 * Databases of the older layouts (a segments table with a row per document, rowid or WITHOUT
 * ROWID) are moved over once when opened, in one transaction (migrate_segments()).
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
    S_TRACE_GET,
    S_TRACE_INSERT,
    S_TRACE_UPDATE,
    S_BATCH_INSERT,
    S_BATCH_RELEASE,
    S_BATCH_DROP,
    S_WIN_ID,
    S_WIN_EVENT,
    S_EXPIRED,
    S_OLDEST,
    S_OLDEST_BATCH,
    S_DEL_TRACE,
    S__COUNT,
};

/* How long the worker waits for a larger group of documents, and how much is enough. */
#define GROUP_WAIT_US 4000
#define GROUP_BYTES   (1u << 20)

static const char *const stmt_sql[S__COUNT] = {
    [S_TRACE_GET] = "SELECT start_ms, end_ms, refs FROM traces WHERE id_time_ms = ?1 AND"
                    " trace_id = ?2",
    [S_TRACE_INSERT] = "INSERT INTO traces(id_time_ms, trace_id, start_ms, end_ms, received_ms,"
                       " refs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_TRACE_UPDATE] = "UPDATE traces SET start_ms = ?3, end_ms = ?4, received_ms = ?5, refs = ?6"
                       " WHERE id_time_ms = ?1 AND trace_id = ?2",
    [S_BATCH_INSERT] = "INSERT INTO batches(batch_id, live, docs) VALUES (?1, ?2, ?3)",
    [S_BATCH_RELEASE] = "UPDATE batches SET live = live - ?2 WHERE batch_id = ?1",
    [S_BATCH_DROP] = "DELETE FROM batches WHERE batch_id = ?1 AND live <= 0",
    [S_WIN_ID] = "SELECT trace_id, id_time_ms FROM traces WHERE id_time_ms >= ?1 AND"
                 " id_time_ms < ?2 AND (id_time_ms, trace_id) > (?3, ?4)"
                 " ORDER BY id_time_ms, trace_id",
    [S_WIN_EVENT] = "SELECT trace_id, start_ms FROM traces WHERE start_ms < ?2 AND"
                    " start_ms >= ?1 - 86400000 AND end_ms >= ?1 AND"
                    " (start_ms, trace_id) > (?3, ?4)"
                    " ORDER BY start_ms, trace_id",
    [S_EXPIRED] = "SELECT id_time_ms, trace_id FROM traces WHERE received_ms < ?1 LIMIT 1000",
    [S_OLDEST] = "SELECT id_time_ms, trace_id FROM traces ORDER BY received_ms LIMIT ?1",
    [S_OLDEST_BATCH] = "SELECT id_time_ms, trace_id FROM traces"
                       " ORDER BY st_first_batch(refs), received_ms LIMIT ?1",
    [S_DEL_TRACE] = "DELETE FROM traces WHERE id_time_ms = ?1 AND trace_id = ?2",
};

#define BATCHES_TABLE                                                                              \
    "CREATE TABLE IF NOT EXISTS batches(batch_id INTEGER PRIMARY KEY, live INTEGER NOT NULL,"      \
    " docs BLOB NOT NULL);"
#define TRACES_TABLE(name)                                                                         \
    "CREATE TABLE IF NOT EXISTS " name "(id_time_ms INTEGER NOT NULL, trace_id TEXT NOT NULL,"     \
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"           \
    " refs BLOB NOT NULL, PRIMARY KEY(id_time_ms, trace_id)) WITHOUT ROWID;"

#define TRACES_INDEXES                                                                             \
    "CREATE INDEX IF NOT EXISTS traces_by_start ON traces(start_ms, trace_id);"                    \
    "CREATE INDEX IF NOT EXISTS traces_by_received ON traces(received_ms);"

static const char schema[] =
    "PRAGMA page_size=16384;"
    "PRAGMA auto_vacuum=INCREMENTAL;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA cache_size=-32768;" BATCHES_TABLE TRACES_TABLE("traces") TRACES_INDEXES;

/* One stored document, as a trace's refs hold it (REF_BYTES each, little-endian). */
struct ref {
    int64_t batch;
    uint32_t offset, len;
    bool in_progress;
    char id[ST_XRAY_ID_LEN];
};
#define REF_BYTES (8 + 4 + 4 + 1 + ST_XRAY_ID_LEN)

/* A trace the open ingest transaction touched: its row as it will be written at the end. */
struct pending {
    char trace_id[ST_XRAY_TRACE_ID_LEN + 1];
    int64_t id_time_ms, start_ms, end_ms;
    bool exists; /* it has a row already (UPDATE rather than INSERT) */
    bool dirty;
    uint8_t *refs; /* n_refs * REF_BYTES, st_malloc'ed */
    size_t n_refs, cap_refs;
    struct pending *same_key; /* another trace with the same hash */
    struct pending *next;     /* the transaction's list */
};

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
    struct st_trace_metric *txn_metrics; /* the open transaction's, added to metrics on commit */
    size_t n_txn_metrics;
    uint64_t last_metrics_us;
    /* the open transaction's batch: its id, documents, live refs and touched traces */
    int64_t batch_id;
    uint8_t *batch_buf;
    size_t batch_len, batch_cap;
    int64_t batch_live;
    struct st_u64_map pending_map; /* trace id hash -> struct pending */
    struct pending *pending;
    int64_t *releases; /* batch ids that lost a ref (one entry per ref) */
    size_t n_releases, cap_releases;
    uint8_t *read_buf; /* a document read back from its batch */
    size_t read_cap;
    sqlite3_blob *read_blob; /* open on batch read_batch during one query job */
    int64_t read_batch;
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

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The time in a trace id, the first column of traces' key; -1 when id is not a trace id. */
static int64_t id_time_ms(const char *trace_id)
{
    int64_t epoch = 0;
    if (!st_xray_valid_trace_id(trace_id, strlen(trace_id), &epoch)) {
        return -1;
    }
    return epoch * 1000;
}

/* --- refs and batches --- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void ref_encode(uint8_t *p, const struct ref *r)
{
    put_le(p, (uint64_t)r->batch, 8);
    put_le(p + 8, r->offset, 4);
    put_le(p + 12, r->len, 4);
    p[16] = r->in_progress;
    memcpy(p + 17, r->id, ST_XRAY_ID_LEN);
}

static void ref_decode(const uint8_t *p, struct ref *r)
{
    r->batch = (int64_t)get_le(p, 8);
    r->offset = (uint32_t)get_le(p + 8, 4);
    r->len = (uint32_t)get_le(p + 12, 4);
    r->in_progress = p[16] != 0;
    memcpy(r->id, p + 17, ST_XRAY_ID_LEN);
}

static int grow(void **buf, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap) {
        return 0;
    }
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < want) {
        cap2 *= 2;
    }
    void *p = st_realloc(*buf, cap2 * elem);
    if (!p) {
        return -ENOMEM;
    }
    *buf = p;
    *cap = cap2;
    return 0;
}

/* Appends a document to the open batch; *ret gets its ref (id and in_progress left to the
 * caller). Returns 0 or -ENOMEM. */
static int batch_append(struct st_trace_store *s, const uint8_t *doc, size_t len, struct ref *ret)
{
    if (len > UINT32_MAX || s->batch_len + len > UINT32_MAX) {
        return -ENOMEM;
    }
    void *buf = s->batch_buf;
    if (grow(&buf, &s->batch_cap, s->batch_len + len + 1, 1) < 0) {
        return -ENOMEM;
    }
    s->batch_buf = buf;
    memcpy(s->batch_buf + s->batch_len, doc, len);
    ret->batch = s->batch_id;
    ret->offset = (uint32_t)s->batch_len;
    ret->len = (uint32_t)len;
    s->batch_len += len;
    s->batch_live++;
    return 0;
}

/* The document behind ref r of the open batch or an older one no longer counts. */
static int batch_release(struct st_trace_store *s, int64_t batch)
{
    if (batch == s->batch_id) {
        s->batch_live--;
        return 0;
    }
    void *buf = s->releases;
    if (grow(&buf, &s->cap_releases, s->n_releases + 1, sizeof(*s->releases)) < 0) {
        return -ENOMEM;
    }
    s->releases = buf;
    s->releases[s->n_releases++] = batch;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Takes the released refs off their batches' counts, deleting batches left without any (in the
 * open transaction). Returns 0 or -EIO. */
static int apply_releases(struct st_trace_store *s)
{
    if (s->n_releases == 0) {
        return 0;
    }
    qsort(s->releases, s->n_releases, sizeof(*s->releases), cmp_i64);
    for (size_t i = 0; i < s->n_releases;) {
        size_t j = i;
        while (j < s->n_releases && s->releases[j] == s->releases[i]) {
            j++;
        }
        sqlite3_stmt *rel = s->st[S_BATCH_RELEASE], *drop = s->st[S_BATCH_DROP];
        sqlite3_bind_int64(rel, 1, s->releases[i]);
        sqlite3_bind_int64(rel, 2, (int64_t)(j - i));
        sqlite3_bind_int64(drop, 1, s->releases[i]);
        if (step_done(rel) < 0 || step_done(drop) < 0) {
            return -EIO;
        }
        i = j;
    }
    s->n_releases = 0;
    return 0;
}

/* Writes the open batch's row (when it stored a document) and starts the next batch. Returns 0
 * or -EIO. */
static int batch_write(struct st_trace_store *s, sqlite3_stmt *ins)
{
    if (s->batch_live > 0) {
        /* The row is made with a zeroblob and filled in place: binding the documents would have
         * SQLite build (malloc, fault in and copy) a record as large as the batch first. */
        sqlite3_bind_int64(ins, 1, s->batch_id);
        sqlite3_bind_int64(ins, 2, s->batch_live);
        sqlite3_bind_zeroblob(ins, 3, (int)s->batch_len);
        int r = step_done(ins);
        sqlite3_clear_bindings(ins);
        sqlite3_blob *blob = NULL;
        if (r < 0 ||
            sqlite3_blob_open(s->db, "main", "batches", "docs", s->batch_id, 1, &blob) !=
                SQLITE_OK ||
            sqlite3_blob_write(blob, s->batch_buf, (int)s->batch_len, 0) != SQLITE_OK) {
            sqlite3_blob_close(blob);
            return -EIO;
        }
        if (sqlite3_blob_close(blob) != SQLITE_OK) {
            return -EIO;
        }
        s->batch_id++;
    }
    s->batch_len = 0;
    s->batch_live = 0;
    if (s->batch_cap > 4 * GROUP_BYTES) {
        /* a large PutTraceSegments batch: do not keep its memory */
        st_free(s->batch_buf);
        s->batch_buf = NULL;
        s->batch_cap = 0;
    }
    return 0;
}

/* Forgets the open transaction's batch and touched traces (after a commit or a rollback). */
static void batch_reset(struct st_trace_store *s)
{
    /* Emptied key by key, so the map keeps its size from one transaction to the next. */
    while (s->pending) {
        struct pending *p = s->pending;
        s->pending = p->next;
        st_u64_map_remove(&s->pending_map, trace_key(p->trace_id));
        st_free(p->refs);
        st_free(p);
    }
    s->batch_len = 0;
    s->batch_live = 0;
    s->n_releases = 0;
}

static int pending_add_ref(struct pending *p, const struct ref *r)
{
    void *buf = p->refs;
    if (grow(&buf, &p->cap_refs, (p->n_refs + 1) * REF_BYTES, 1) < 0) {
        return -ENOMEM;
    }
    p->refs = buf;
    ref_encode(p->refs + p->n_refs * REF_BYTES, r);
    p->n_refs++;
    p->dirty = true;
    return 0;
}

/* Writes a touched trace's row. Returns 0 or -EIO. */
static int pending_write(struct st_trace_store *s, struct pending *p, int64_t received_ms)
{
    sqlite3_stmt *st = s->st[p->exists ? S_TRACE_UPDATE : S_TRACE_INSERT];
    sqlite3_bind_int64(st, 1, p->id_time_ms);
    sqlite3_bind_text(st, 2, p->trace_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->start_ms);
    sqlite3_bind_int64(st, 4, p->end_ms);
    sqlite3_bind_int64(st, 5, received_ms);
    sqlite3_bind_blob(st, 6, p->refs ? p->refs : (const uint8_t *)"", (int)(p->n_refs * REF_BYTES),
                      SQLITE_STATIC);
    int r = step_done(st);
    sqlite3_clear_bindings(st);
    return r;
}

/* --- opening, and moving older layouts over --- */

static bool has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        return false;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return r;
}

/*
 * Moves a database of the older layouts (segments(trace_id, id, in_progress, doc), one row per
 * document, rowid or WITHOUT ROWID; traces keyed by trace_id) into batches of about GROUP_BYTES
 * and the new traces table, in one transaction: a crash in between leaves the old tables, and
 * the next open starts again. Returns 0 or -EIO.
 */
static int migrate_segments(struct st_trace_store *s)
{
    sqlite3_stmt *sel = NULL, *docs = NULL, *ins_trace = NULL, *ins_batch = NULL;
    struct pending p = {0};
    int r = -EIO;
    if (exec_sql(s->db, "BEGIN;" BATCHES_TABLE TRACES_TABLE("traces_moved")) < 0) {
        return -EIO;
    }
    if (sqlite3_prepare_v2(s->db,
                           "SELECT trace_id, id_time_ms, start_ms, end_ms, received_ms FROM traces",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT id, in_progress, doc FROM segments WHERE trace_id = ?1"
                           " ORDER BY id",
                           -1, &docs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO traces_moved(id_time_ms, trace_id, start_ms, end_ms,"
                           " received_ms, refs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &ins_trace, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, stmt_sql[S_BATCH_INSERT], -1, &ins_batch, NULL) != SQLITE_OK) {
        goto done;
    }
    s->batch_id = 1;
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *tid = (const char *)sqlite3_column_text(sel, 0);
        p.n_refs = 0;
        sqlite3_bind_text(docs, 1, tid, -1, SQLITE_TRANSIENT);
        int drc;
        while ((drc = sqlite3_step(docs)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(docs, 0);
            const uint8_t *doc = sqlite3_column_blob(docs, 2);
            size_t len = (size_t)sqlite3_column_bytes(docs, 2);
            struct ref ref;
            if (s->batch_len >= GROUP_BYTES && batch_write(s, ins_batch) < 0) {
                goto done_docs;
            }
            if (!id || strlen(id) != ST_XRAY_ID_LEN ||
                batch_append(s, doc ? doc : (const uint8_t *)"", len, &ref) < 0) {
                goto done_docs;
            }
            ref.in_progress = sqlite3_column_int(docs, 1) != 0;
            memcpy(ref.id, id, ST_XRAY_ID_LEN);
            if (pending_add_ref(&p, &ref) < 0) {
                goto done_docs;
            }
        }
        sqlite3_reset(docs);
        if (drc != SQLITE_DONE) {
            goto done;
        }
        sqlite3_bind_int64(ins_trace, 1, sqlite3_column_int64(sel, 1));
        sqlite3_bind_text(ins_trace, 2, tid, -1, SQLITE_TRANSIENT);
        for (int c = 2; c < 5; c++) {
            sqlite3_bind_int64(ins_trace, c + 1, sqlite3_column_int64(sel, c));
        }
        sqlite3_bind_blob(ins_trace, 6, p.refs ? p.refs : (const uint8_t *)"",
                          (int)(p.n_refs * REF_BYTES), SQLITE_STATIC);
        if (step_done(ins_trace) < 0) {
            goto done;
        }
    }
    if (rc == SQLITE_DONE && batch_write(s, ins_batch) == 0 &&
        exec_sql(s->db, "DROP TABLE segments; DROP TABLE traces;"
                        " ALTER TABLE traces_moved RENAME TO traces; COMMIT") == 0) {
        r = 0;
    }
    goto done;
done_docs:
    sqlite3_reset(docs);
done:
    st_free(p.refs);
    sqlite3_finalize(sel);
    sqlite3_finalize(docs);
    sqlite3_finalize(ins_trace);
    sqlite3_finalize(ins_batch);
    batch_reset(s);
    if (r < 0) {
        exec_sql(s->db, "ROLLBACK");
    }
    return r;
}

/* SQL st_first_batch(refs): the oldest batch a trace's refs point into (0 when none). */
static void sql_first_batch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const uint8_t *refs = sqlite3_value_blob(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]) / REF_BYTES;
    int64_t first = 0;
    for (size_t i = 0; i < n; i++) {
        struct ref r;
        ref_decode(refs + i * REF_BYTES, &r);
        if (i == 0 || r.batch < first) {
            first = r.batch;
        }
    }
    sqlite3_result_int64(ctx, first);
}

/* Opens dir/traces.db, moving an older layout over first. Returns 0 or -EIO. */
static int open_db(struct st_trace_store *s, const char *path)
{
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(s->db, "st_first_batch", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                   sql_first_batch, NULL, NULL, NULL) != SQLITE_OK) {
        return -EIO;
    }
    if (has_table(s->db, "segments") && migrate_segments(s) < 0) {
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

/* --- trace metrics --- */

/* The entry of (service, downstream) in *ms (n of them), added when missing. */
static struct st_trace_metric *metric_in(struct st_trace_metric **ms, size_t *n,
                                         const char *service, const char *downstream)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*ms)[i].service, service) == 0 &&
            strcmp((*ms)[i].downstream, downstream) == 0) {
            return &(*ms)[i];
        }
    }
    if (!*ms) {
        *ms = st_calloc(ST_TRACE_MAX_METRIC_KEYS, sizeof(**ms));
    }
    if (!*ms || *n == ST_TRACE_MAX_METRIC_KEYS) {
        return NULL; /* more keys than an interval keeps: not counted */
    }
    struct st_trace_metric *m = &(*ms)[(*n)++];
    memset(m, 0, sizeof(*m));
    snprintf(m->service, sizeof(m->service), "%s", service);
    snprintf(m->downstream, sizeof(m->downstream), "%s", downstream);
    return m;
}

/* Counts go to the open transaction's metrics: a transaction that rolls back counts nothing
 * (its client is told the documents were not stored, and sends them again). */
static struct st_trace_metric *metric_of(struct st_trace_store *s, const char *service,
                                         const char *downstream)
{
    return metric_in(&s->txn_metrics, &s->n_txn_metrics, service, downstream);
}

/* Adds the committed transaction's metrics to the interval's. */
static void metrics_commit(struct st_trace_store *s)
{
    for (size_t i = 0; i < s->n_txn_metrics; i++) {
        const struct st_trace_metric *t = &s->txn_metrics[i];
        struct st_trace_metric *m =
            metric_in(&s->metrics, &s->n_metrics, t->service, t->downstream);
        if (!m) {
            continue;
        }
        m->requests += t->requests;
        m->errors += t->errors;
        m->throttles += t->throttles;
        m->faults += t->faults;
        if (t->latency_n > 0) {
            if (m->latency_n == 0 || t->latency_min < m->latency_min) {
                m->latency_min = t->latency_min;
            }
            if (m->latency_n == 0 || t->latency_max > m->latency_max) {
                m->latency_max = t->latency_max;
            }
            m->latency_n += t->latency_n;
            m->latency_sum += t->latency_sum;
        }
    }
    s->n_txn_metrics = 0;
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
    /* Most traces are small: their work lists live on the stack (a malloc and a calloc per
     * document were 3 % of the ingest path). */
    size_t todo_small[64];
    bool seen_small[64] = {false};
    bool small = t->n_docs <= 64;
    size_t *todo = small ? todo_small : st_malloc(t->n_docs * sizeof(*todo));
    bool *seen = small ? seen_small : st_calloc(t->n_docs, sizeof(*seen));
    if (!todo || !seen) {
        if (!small) {
            st_free(todo);
            st_free(seen);
        }
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
    if (!small) {
        st_free(todo);
        st_free(seen);
    }
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

/* The open transaction's view of trace_id: loaded from its row on first touch. *ret gets it.
 * Returns 0, -ENOMEM or -EIO. */
static int pending_of(struct st_trace_store *s, const char *trace_id, struct pending **ret)
{
    uint64_t key = trace_key(trace_id);
    struct pending *first = st_u64_map_get(&s->pending_map, key);
    for (struct pending *p = first; p; p = p->same_key) {
        if (strcmp(p->trace_id, trace_id) == 0) {
            *ret = p;
            return 0;
        }
    }
    struct pending *p = st_calloc(1, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    snprintf(p->trace_id, sizeof(p->trace_id), "%s", trace_id);
    p->id_time_ms = id_time_ms(trace_id);
    sqlite3_stmt *get = s->st[S_TRACE_GET];
    sqlite3_bind_int64(get, 1, p->id_time_ms);
    sqlite3_bind_text(get, 2, trace_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(get), r = 0;
    if (rc == SQLITE_ROW) {
        p->exists = true;
        p->start_ms = sqlite3_column_int64(get, 0);
        p->end_ms = sqlite3_column_int64(get, 1);
        const uint8_t *refs = sqlite3_column_blob(get, 2);
        size_t n = (size_t)sqlite3_column_bytes(get, 2) / REF_BYTES;
        if (n) {
            p->refs = st_malloc(n * REF_BYTES);
            if (p->refs) {
                memcpy(p->refs, refs, n * REF_BYTES);
                p->n_refs = n;
                p->cap_refs = n * REF_BYTES;
            } else {
                r = -ENOMEM;
            }
        }
    } else if (rc != SQLITE_DONE) {
        r = -EIO;
    }
    sqlite3_reset(get);
    if (r == 0 && st_u64_map_put(&s->pending_map, key, p) < 0) {
        r = -ENOMEM;
    }
    if (r < 0) {
        st_free(p->refs);
        st_free(p);
        return r;
    }
    p->same_key = first;
    p->next = s->pending;
    s->pending = p;
    *ret = p;
    return 0;
}

/*
 * Records document d (parsed as seg) in its trace's refs and the open batch. Returns 1 when it
 * is stored, 0 when it is ignored (an in-progress version of a document already complete),
 * -ENOSPC when it is a new id of a trace holding ST_TRACE_MAX_DOCS documents, -ENOMEM or -EIO.
 * *ret_is_new (on 1) tells whether it is its trace's first document.
 */
static int stage_doc(struct st_trace_store *s, const struct st_trace_doc_in *d,
                     const struct st_xray_segment *seg, bool *ret_is_new)
{
    struct pending *p;
    int r = pending_of(s, seg->trace_id, &p);
    if (r < 0) {
        return r;
    }
    size_t at = p->n_refs;
    for (size_t i = 0; i < p->n_refs; i++) {
        if (memcmp(p->refs + i * REF_BYTES + 17, seg->id, ST_XRAY_ID_LEN) == 0) {
            at = i;
            break;
        }
    }
    struct ref old = {0};
    if (at < p->n_refs) {
        ref_decode(p->refs + at * REF_BYTES, &old);
        if (seg->in_progress && !old.in_progress) {
            return 0;
        }
    } else if (p->n_refs >= ST_TRACE_MAX_DOCS) {
        /* The limit a trace has in memory, kept here too: a peer sending new ids to one trace
         * would otherwise make every transaction scan and rewrite an ever longer refs. */
        return -ENOSPC;
    }
    struct ref ref;
    if (batch_append(s, d->bytes, d->len, &ref) < 0) {
        return -ENOMEM;
    }
    ref.in_progress = seg->in_progress;
    memcpy(ref.id, seg->id, ST_XRAY_ID_LEN);
    int64_t start = to_ms(seg->start_time);
    int64_t end = seg->in_progress ? start : to_ms(seg->end_time);
    bool is_new = !p->exists && p->n_refs == 0;
    if (at < p->n_refs) {
        if (batch_release(s, old.batch) < 0) {
            return -ENOMEM;
        }
        ref_encode(p->refs + at * REF_BYTES, &ref);
        p->dirty = true;
    } else if (pending_add_ref(p, &ref) < 0) {
        return -ENOMEM;
    }
    if (is_new) {
        p->start_ms = start;
        p->end_ms = end;
    } else {
        p->start_ms = start < p->start_ms ? start : p->start_ms;
        p->end_ms = end > p->end_ms ? end : p->end_ms;
    }
    *ret_is_new = is_new;
    return 1;
}

/* Stores one document; the transaction is open. Returns 0 or -EIO (the batch fails). */
static int ingest_doc(struct st_trace_store *s, struct st_trace_doc_in *d)
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
    bool is_new = false;
    r = stage_doc(s, d, seg, &is_new);
    if (r == -ENOSPC) {
        char msg[96];
        snprintf(msg, sizeof(msg), "trace %s holds %d documents, the limit", seg->trace_id,
                 ST_TRACE_MAX_DOCS);
        set_result(d, r, "InvalidTraceSegment", msg);
        atomic_fetch_add(&s->stats.segments_invalid, 1);
        st_xray_doc_free(doc);
        return 0;
    }
    if (r <= 0) {
        if (r == 0) {
            atomic_fetch_add(&s->stats.segments_ignored, 1);
        }
        st_xray_doc_free(doc);
        return r < 0 ? -EIO : 0;
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

/* Writes the open transaction's batch, the rows of the traces it touched and the released refs.
 * Returns 0 or -EIO. */
static int ingest_write(struct st_trace_store *s, int64_t received_ms)
{
    if (batch_write(s, s->st[S_BATCH_INSERT]) < 0) {
        return -EIO;
    }
    for (struct pending *p = s->pending; p; p = p->next) {
        if (p->dirty && pending_write(s, p, received_ms) < 0) {
            return -EIO;
        }
    }
    return apply_releases(s);
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
            if (ingest_doc(s, &job->docs[i]) < 0) {
                goto fail;
            }
        }
    }
    if (ingest_write(s, received) < 0 || exec_sql(s->db, "COMMIT") < 0) {
        goto fail;
    }
    batch_reset(s);
    cache_trim(s);
    metrics_commit(s);
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < jobs[j]->n_docs; i++) {
            jobs[j]->accepted += jobs[j]->docs[i].status == 0;
        }
    }
    return 0;
fail:
    exec_sql(s->db, "ROLLBACK");
    /* The traces in memory took the refused documents (ingest_doc adds them before the
     * commit): forget the touched ones, so queries read back what the database holds. */
    for (struct pending *p = s->pending; p; p = p->next) {
        struct st_trace *t = cache_get(s, p->trace_id);
        if (t) {
            cache_drop(s, t);
        }
    }
    s->n_txn_metrics = 0;
    batch_reset(s);
    return -EIO;
}

/* --- maintenance --- */

/* Deletes a trace's row and releases its documents' refs (applied by the caller). Returns 0,
 * -ENOMEM or -EIO. */
static int delete_trace(struct st_trace_store *s, int64_t id_time, const char *id)
{
    sqlite3_stmt *get = s->st[S_TRACE_GET];
    sqlite3_bind_int64(get, 1, id_time);
    sqlite3_bind_text(get, 2, id, -1, SQLITE_STATIC);
    int r = 0;
    if (sqlite3_step(get) == SQLITE_ROW) {
        const uint8_t *refs = sqlite3_column_blob(get, 2);
        size_t n = (size_t)sqlite3_column_bytes(get, 2) / REF_BYTES;
        for (size_t i = 0; i < n && r == 0; i++) {
            struct ref ref;
            ref_decode(refs + i * REF_BYTES, &ref);
            r = batch_release(s, ref.batch);
        }
    }
    sqlite3_reset(get);
    if (r < 0) {
        return r;
    }
    sqlite3_stmt *del = s->st[S_DEL_TRACE];
    sqlite3_bind_int64(del, 1, id_time);
    sqlite3_bind_text(del, 2, id, -1, SQLITE_STATIC);
    if (step_done(del) < 0) {
        return -EIO;
    }
    struct st_trace *t = cache_get(s, id);
    if (t) {
        cache_drop(s, t);
    }
    return 0;
}

/* Deletes the traces the statement selects (id_time_ms, trace_id); returns how many or -EIO. */
static long delete_selected(struct st_trace_store *s, sqlite3_stmt *sel)
{
    struct victim {
        int64_t id_time;
        char id[ST_XRAY_TRACE_ID_LEN + 1];
    } *v = st_malloc(1000 * sizeof(*v));
    if (!v) {
        sqlite3_reset(sel);
        return -ENOMEM;
    }
    long n = 0;
    while (n < 1000 && sqlite3_step(sel) == SQLITE_ROW) {
        v[n].id_time = sqlite3_column_int64(sel, 0);
        snprintf(v[n].id, sizeof(v[n].id), "%s", (const char *)sqlite3_column_text(sel, 1));
        n++;
    }
    sqlite3_reset(sel);
    long r = n;
    /* The batch never has an open ingest transaction here; its id only tells the older batches
     * (every one) from the open one (none). */
    s->n_releases = 0;
    if (n && exec_sql(s->db, "BEGIN") == 0) {
        for (long i = 0; i < n && r >= 0; i++) {
            if (delete_trace(s, v[i].id_time, v[i].id) < 0) {
                r = -EIO;
            }
        }
        if (r < 0 || apply_releases(s) < 0 || exec_sql(s->db, "COMMIT") < 0) {
            exec_sql(s->db, "ROLLBACK");
            r = -EIO;
        }
    } else if (n) {
        r = -EIO; /* nothing was deleted: the callers' loops must not take it for progress */
    }
    s->n_releases = 0;
    st_free(v);
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
    /* The disk budget: drop the oldest traces, as many as the excess holds on average. A batch
     * goes only with its last document, so when a trace received later (one that went on
     * receiving documents) shares the batches of the oldest, deleting those frees next to
     * nothing: then take the traces holding the oldest batches instead, so each round frees
     * them rather than deleting every trace before that one. */
    uint64_t bytes;
    bool by_batch = false;
    for (int rounds = 0; rounds < 100 && (bytes = db_bytes(s)) > s->opts.max_disk_bytes; rounds++) {
        int64_t traces = pragma_int(s->db, "SELECT count(*) FROM traces");
        if (traces <= 0) {
            break;
        }
        uint64_t per_trace = bytes / (uint64_t)traces + 1;
        uint64_t drop = (bytes - s->opts.max_disk_bytes) / per_trace + 1;
        sqlite3_stmt *sel = s->st[by_batch ? S_OLDEST_BATCH : S_OLDEST];
        sqlite3_bind_int64(sel, 1, (int64_t)(drop < 1000 ? drop : 1000));
        if ((n = delete_selected(s, sel)) <= 0) {
            break;
        }
        atomic_fetch_add(&s->stats.traces_evicted_for_disk, (uint64_t)n);
        if (db_bytes(s) + (uint64_t)n * per_trace / 2 > bytes) {
            by_batch = true; /* under half of what the traces held on average came free */
        }
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

/* Closes the handle st_trace_view_docs keeps open for a query job, before anything writes. */
static void read_blob_close(struct st_trace_store *s)
{
    sqlite3_blob_close(s->read_blob);
    s->read_blob = NULL;
}

static int cmp_ref_id(const void *a, const void *b)
{
    return memcmp(((const struct ref *)a)->id, ((const struct ref *)b)->id, ST_XRAY_ID_LEN);
}

int st_trace_view_docs(struct st_trace_view *v, const char *trace_id, st_trace_doc_fn cb,
                       void *data)
{
    struct st_trace_store *s = v->s;
    int64_t id_time = id_time_ms(trace_id);
    if (id_time < 0) {
        return 0;
    }
    sqlite3_stmt *get = s->st[S_TRACE_GET];
    sqlite3_bind_int64(get, 1, id_time);
    sqlite3_bind_text(get, 2, trace_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(get);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(get);
        return rc == SQLITE_DONE ? 0 : -EIO;
    }
    const uint8_t *enc = sqlite3_column_blob(get, 2);
    size_t n_refs = (size_t)sqlite3_column_bytes(get, 2) / REF_BYTES;
    struct ref *refs = st_malloc((n_refs ? n_refs : 1) * sizeof(*refs));
    if (!refs) {
        sqlite3_reset(get);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_refs; i++) {
        ref_decode(enc + i * REF_BYTES, &refs[i]);
    }
    sqlite3_reset(get);
    /* In id order, as the older layouts (a row per document, keyed by trace and id) gave them. */
    qsort(refs, n_refs, sizeof(*refs), cmp_ref_id);
    int n = 0, r = 0;
    for (size_t i = 0; i < n_refs && r == 0; i++) {
        const struct ref *ref = &refs[i];
        /* One handle for the whole query job (read_blob_close): opening one compiles a
         * statement, and moving it within a batch keeps SQLite's map of the overflow pages. */
        int brc = SQLITE_OK;
        if (!s->read_blob) {
            brc = sqlite3_blob_open(s->db, "main", "batches", "docs", ref->batch, 0, &s->read_blob);
        } else if (ref->batch != s->read_batch) {
            brc = sqlite3_blob_reopen(s->read_blob, ref->batch);
        }
        if (brc != SQLITE_OK) {
            read_blob_close(s);
            r = -EIO;
            break;
        }
        s->read_batch = ref->batch;
        void *buf = s->read_buf;
        if (grow(&buf, &s->read_cap, ref->len ? ref->len : 1, 1) < 0) {
            r = -ENOMEM;
            break;
        }
        s->read_buf = buf;
        if (sqlite3_blob_read(s->read_blob, s->read_buf, (int)ref->len, (int)ref->offset) !=
            SQLITE_OK) {
            r = -EIO;
            break;
        }
        r = cb(s->read_buf, ref->len, data);
        n++;
    }
    st_free(refs);
    return r < 0 ? r : n;
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
        read_blob_close(s);
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
    st_u64_map_init(&s->pending_map);
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
    s->batch_id = pragma_int(s->db, "SELECT coalesce(max(batch_id), 0) + 1 FROM batches");
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
    read_blob_close(s);
    for (int i = 0; i < S__COUNT; i++) {
        sqlite3_finalize(s->st[i]);
    }
    sqlite3_close(s->db);
    while (s->oldest) {
        cache_drop(s, s->oldest);
    }
    st_u64_map_fini(&s->cache);
    batch_reset(s);
    st_u64_map_fini(&s->pending_map);
    st_free(s->batch_buf);
    st_free(s->releases);
    st_free(s->read_buf);
    st_free(s->metrics);
    st_free(s->txn_metrics);
    st_arena_fini(&s->arena);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->done_lock);
    st_free(s);
}
