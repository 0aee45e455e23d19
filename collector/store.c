/* SPDX-License-Identifier: MIT */
/*
 * The store thread and the query-side readers (see store.h for the layout and the durability
 * contract). librrd is used through its thread-safe *_r calls only, with numeric timestamps.
 * Lock order: `lock` (job queue) and `done_lock` (finished jobs) are never held together;
 * `stats_lock` is a leaf.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <sqlite3.h>

#include "store.h"
#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/time_util.h"
#include "stratus/u64_map.h"

#define RRD_ROWS_60       21600 /* 15 days of 60 s */
#define RRD_ROWS_300      18144 /* 63 days of 300 s */
#define RRD_ROWS_3600     10920 /* 455 days of 3600 s */
#define RRD_ROWS_1        10800 /* 3 hours of 1 s */
#define RRD_GAP_HEARTBEAT "40000000"

struct job_queue {
    struct st_store_job *head, *tail;
};

/* Per-file state cached by the store thread: the RRD's last update time. */
struct rrd_file {
    int64_t last; /* INT64_MIN: not known yet */
};

struct st_store {
    char *dir;
    int dir_fd;
    bool sync;
    unsigned batch_ms, batch_max_jobs;
    sqlite3 *db;
    sqlite3_stmt *put_sketch, *put_corr, *put_series, *put_meta;
    sqlite3_stmt *next_series, *prune_sketches, *prune_corr;
    sqlite3_stmt *fold_keys, *fold_rows, *fold_delete;
    struct fold_key *fold; /* buckets whose corrections may need folding (a stack) */
    size_t n_fold, cap_fold;
    int64_t prune_after_id;  /* the pruning walk's position in the series index */
    uint64_t next_prune_us;  /* when the next walk starts */
    struct st_u64_map files; /* (id ^ tier) -> struct rrd_file */

    struct event *done_ev;
    st_store_done_fn done_fn;
    void *done_data;

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job_queue queue;
    size_t queue_len;
    struct timespec queue_since; /* CLOCK_MONOTONIC: when the oldest queued job arrived */
    bool flush_now;              /* st_store_flush: end the held batch */
    bool stop;

    pthread_mutex_t done_lock;
    struct job_queue done;

    pthread_mutex_t stats_lock;
    struct st_store_stats stats;
};

static void jq_push(struct job_queue *q, struct st_store_job *j)
{
    j->next = NULL;
    if (q->tail) {
        q->tail->next = j;
    } else {
        q->head = j;
    }
    q->tail = j;
}

struct st_store_job *st_store_job_new(uint64_t lsn)
{
    struct st_store_job *j = st_calloc(1, sizeof(*j));
    if (j) {
        j->lsn = lsn;
    }
    return j;
}

void st_store_job_free(struct st_store_job *job)
{
    if (!job) {
        return;
    }
    st_free(job->flush);
    st_free(job->corr);
    st_free(job->index);
    st_free(job);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) {
        return 0;
    }
    size_t ncap = *cap ? *cap * 2 : 64;
    void *na = st_realloc(*arr, ncap * elem);
    if (!na) {
        return -ENOMEM;
    }
    *arr = na;
    *cap = ncap;
    return 0;
}

int st_store_job_add_flush(struct st_store_job *job, struct st_series *s, struct st_bucket *b,
                           int tier)
{
    if (grow((void **)&job->flush, &job->cap_flush, job->n_flush, sizeof(*job->flush)) < 0) {
        return -ENOMEM;
    }
    job->flush[job->n_flush++] = (struct st_store_item){s, b, (uint8_t)tier};
    return 0;
}

int st_store_job_add_corr(struct st_store_job *job, struct st_series *s, struct st_bucket *b,
                          int tier)
{
    if (grow((void **)&job->corr, &job->cap_corr, job->n_corr, sizeof(*job->corr)) < 0) {
        return -ENOMEM;
    }
    job->corr[job->n_corr++] = (struct st_store_item){s, b, (uint8_t)tier};
    return 0;
}

int st_store_job_add_index(struct st_store_job *job, struct st_series *s)
{
    if (grow((void **)&job->index, &job->cap_index, job->n_index, sizeof(*job->index)) < 0) {
        return -ENOMEM;
    }
    job->index[job->n_index++] = (struct st_store_index_item){s, s->hires};
    return 0;
}

void st_store_rrd_path(const char *dir, uint64_t id, int tier, char *buf, size_t len)
{
    snprintf(buf, len, "%s/rrd/%02x/%016" PRIx64 "%s.rrd", dir, (unsigned)(id >> 56), id,
             tier == ST_TIER_1S ? "-1s" : "");
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        st_log_debug("store: sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, key BLOB NOT NULL,"
    " hires INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS sketches(id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " t INTEGER NOT NULL, sketch BLOB NOT NULL, PRIMARY KEY(id, step, t)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS corrections(id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " t INTEGER NOT NULL, lsn INTEGER NOT NULL, count REAL NOT NULL, sum REAL NOT NULL,"
    " min REAL NOT NULL, max REAL NOT NULL, sketch BLOB,"
    " PRIMARY KEY(id, step, t, lsn)) WITHOUT ROWID;";

static int open_db(const char *dir, bool writer, sqlite3 **ret)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/index.db", dir);
    sqlite3 *db = NULL;
    int flags = writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, 5000);
    if (writer && (exec_sql(db, schema) < 0 || exec_sql(db, "PRAGMA synchronous=FULL") < 0)) {
        sqlite3_close(db);
        return -EIO;
    }
    *ret = db;
    return 0;
}

static void bump(struct st_store *st, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&st->stats_lock);
    *field += n;
    pthread_mutex_unlock(&st->stats_lock);
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
                return -errno;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

/* Creates the RRD file of (id, tier) whose first row will be the bucket starting at t. */
static int create_rrd(struct st_store *st, const char *path, int tier, int64_t t)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    int r = mkdir_p(dir);
    if (r < 0) {
        return r;
    }
    const char *argv60[] = {
        "DS:count:GAUGE:" RRD_GAP_HEARTBEAT ":U:U",
        "DS:sum:GAUGE:" RRD_GAP_HEARTBEAT ":U:U",
        "DS:negmin:GAUGE:60:U:U",
        "DS:max:GAUGE:60:U:U",
        "RRA:AVERAGE:0.99:1:21600",
        "RRA:AVERAGE:0.99:5:18144",
        "RRA:MAX:0.99:5:18144",
        "RRA:AVERAGE:0.99:60:10920",
        "RRA:MAX:0.99:60:10920",
    };
    const char *argv1[] = {
        "DS:count:GAUGE:" RRD_GAP_HEARTBEAT ":U:U",
        "DS:sum:GAUGE:" RRD_GAP_HEARTBEAT ":U:U",
        "DS:negmin:GAUGE:1:U:U",
        "DS:max:GAUGE:1:U:U",
        "RRA:AVERAGE:0.99:1:10800",
    };
    int64_t step = st_tier_step(tier);
    rrd_clear_error();
    if (tier == ST_TIER_1S) {
        r = rrd_create_r2(path, 1, (time_t)(t - step), 1, NULL, NULL, 5, argv1);
    } else {
        r = rrd_create_r2(path, 60, (time_t)(t - step), 1, NULL, NULL, 9, argv60);
    }
    if (r != 0) {
        st_log_debug("store: rrd_create %s: %s", path, rrd_get_error());
        rrd_clear_error();
        return -EIO;
    }
    bump(st, &st->stats.rrd_files_created, 1);
    return 0;
}

static int cmp_items(const void *a, const void *b)
{
    const struct st_store_item *x = a, *y = b;
    if (x->series != y->series) {
        return x->series->id < y->series->id ? -1 : 1;
    }
    if (x->tier != y->tier) {
        return x->tier < y->tier ? -1 : 1;
    }
    return x->bucket->t < y->bucket->t ? -1 : x->bucket->t > y->bucket->t;
}

static void fmt_num(char *buf, size_t len, double v)
{
    if (isfinite(v)) {
        snprintf(buf, len, "%.17g", v);
    } else {
        snprintf(buf, len, "U");
    }
}

/* Writes the buckets items[0..n) (one series and tier, ascending t) with one rrd_update. */
/*
 * Starts writing a file's dirty pages (the header and the rows just updated) to the disk
 * without waiting, so that the disk works while the store thread updates the next files and
 * the batch's syncfs has less left to wait for. Only a head start: syncfs is what makes the
 * rows durable, so a failure here is ignored.
 */
static void start_writeback(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        close(fd);
    }
}

static int write_rrd(struct st_store *st, const struct st_store_item *items, size_t n)
{
    const struct st_series *s = items[0].series;
    int tier = items[0].tier;
    int64_t step = st_tier_step(tier);
    char path[PATH_MAX];
    st_store_rrd_path(st->dir, s->id, tier, path, sizeof(path));
    uint64_t fkey = s->id ^ (uint64_t)tier;

    struct rrd_file *f = st_u64_map_get(&st->files, fkey);
    if (!f) {
        f = st_malloc(sizeof(*f));
        if (!f || st_u64_map_put(&st->files, fkey, f) < 0) {
            st_free(f);
            return -ENOMEM;
        }
        f->last = INT64_MIN;
    }
    if (f->last == INT64_MIN) {
        struct stat sb;
        if (stat(path, &sb) < 0) {
            int r = create_rrd(st, path, tier, items[0].bucket->t);
            if (r < 0) {
                return r;
            }
            f->last = items[0].bucket->t - step;
        } else {
            rrd_clear_error();
            time_t last = rrd_last_r(path);
            if (last == (time_t)-1) {
                st_log_debug("store: rrd_last %s: %s", path, rrd_get_error());
                rrd_clear_error();
                return -EIO;
            }
            f->last = last;
        }
    }

    /* Two update strings per bucket at most: a zero-fill of the gap, then the bucket. */
    char(*bufs)[192] = st_malloc(2 * n * sizeof(*bufs));
    const char **argv = st_malloc(2 * n * sizeof(*argv));
    if (!bufs || !argv) {
        st_free(bufs);
        st_free(argv);
        return -ENOMEM;
    }
    int argc = 0;
    int64_t last = f->last;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        const struct st_bucket *b = items[i].bucket;
        if (b->t + step <= last) {
            continue; /* already written (a job redone after a crash) */
        }
        if (b->t > last) {
            snprintf(bufs[argc], sizeof(bufs[0]), "%" PRId64 ":0:0:U:U", b->t);
            argv[argc] = bufs[argc];
            argc++;
        }
        char c[32], sm[32], mn[32], mx[32];
        fmt_num(c, sizeof(c), b->count);
        fmt_num(sm, sizeof(sm), b->sum);
        fmt_num(mn, sizeof(mn), b->count > 0 ? -b->min : NAN);
        fmt_num(mx, sizeof(mx), b->count > 0 ? b->max : NAN);
        snprintf(bufs[argc], sizeof(bufs[0]), "%" PRId64 ":%s:%s:%s:%s", b->t + step, c, sm, mn,
                 mx);
        argv[argc] = bufs[argc];
        argc++;
        last = b->t + step;
        rows++;
    }
    int r = 0;
    if (argc > 0) {
        rrd_clear_error();
        if (rrd_updatex_r(path, NULL, RRD_SKIP_PAST_UPDATES, argc, argv) != 0) {
            st_log_debug("store: rrd_update %s: %s", path, rrd_get_error());
            rrd_clear_error();
            f->last = INT64_MIN; /* re-read on retry */
            r = -EIO;
        } else {
            f->last = last;
            bump(st, &st->stats.rrd_updates, 1);
            bump(st, &st->stats.rrd_rows, rows);
            if (st->sync) {
                start_writeback(path);
            }
        }
    }
    st_free(bufs);
    st_free(argv);
    return r;
}

static int bind_sketch(sqlite3_stmt *stmt, int col, const st_sketch_t *sk, uint8_t **buf,
                       size_t *cap)
{
    if (st_sketch_count(sk) <= 0) {
        return sqlite3_bind_null(stmt, col) == SQLITE_OK ? 0 : -EIO;
    }
    size_t need = st_sketch_encoded_size(sk), len;
    if (need > *cap) {
        uint8_t *nb = st_realloc(*buf, need);
        if (!nb) {
            return -ENOMEM;
        }
        *buf = nb;
        *cap = need;
    }
    if (st_sketch_encode(sk, *buf, *cap, &len) < 0) {
        return -EIO;
    }
    return sqlite3_bind_blob(stmt, col, *buf, (int)len, SQLITE_STATIC) == SQLITE_OK ? 0 : -EIO;
}

static int step_stmt(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static int write_rows(struct st_store *st, struct st_store_job *job, uint8_t **buf, size_t *cap)
{
    int r;
    for (size_t i = 0; i < job->n_index; i++) {
        const struct st_series *s = job->index[i].series;
        sqlite3_bind_int64(st->put_series, 1, (int64_t)s->id);
        sqlite3_bind_blob(st->put_series, 2, s->key, (int)s->key_len, SQLITE_STATIC);
        sqlite3_bind_int(st->put_series, 3, job->index[i].hires);
        if ((r = step_stmt(st->put_series)) < 0) {
            return r;
        }
    }
    for (size_t i = 0; i < job->n_flush; i++) {
        const struct st_store_item *it = &job->flush[i];
        if (st_sketch_count(&it->bucket->sketch) <= 0) {
            continue;
        }
        sqlite3_bind_int64(st->put_sketch, 1, (int64_t)it->series->id);
        sqlite3_bind_int64(st->put_sketch, 2, st_tier_step(it->tier));
        sqlite3_bind_int64(st->put_sketch, 3, it->bucket->t);
        if ((r = bind_sketch(st->put_sketch, 4, &it->bucket->sketch, buf, cap)) < 0 ||
            (r = step_stmt(st->put_sketch)) < 0) {
            return r;
        }
    }
    for (size_t i = 0; i < job->n_corr; i++) {
        const struct st_store_item *it = &job->corr[i];
        const struct st_bucket *b = it->bucket;
        sqlite3_bind_int64(st->put_corr, 1, (int64_t)it->series->id);
        sqlite3_bind_int64(st->put_corr, 2, st_tier_step(it->tier));
        sqlite3_bind_int64(st->put_corr, 3, b->t);
        sqlite3_bind_int64(st->put_corr, 4, (int64_t)job->lsn);
        sqlite3_bind_double(st->put_corr, 5, b->count);
        sqlite3_bind_double(st->put_corr, 6, b->sum);
        sqlite3_bind_double(st->put_corr, 7, b->min);
        sqlite3_bind_double(st->put_corr, 8, b->max);
        if ((r = bind_sketch(st->put_corr, 9, &b->sketch, buf, cap)) < 0 ||
            (r = step_stmt(st->put_corr)) < 0) {
            return r;
        }
    }
    sqlite3_bind_int64(st->put_meta, 1, (int64_t)job->lsn);
    return step_stmt(st->put_meta);
}

/*
 * Writes the buckets of every job in the batch, merged so that each RRD file gets one
 * rrd_update carrying all its rows (ascending t) rather than one per job.
 */
static int write_batch_rrd(struct st_store *st, struct st_store_job *jobs)
{
    size_t n = 0;
    for (struct st_store_job *j = jobs; j; j = j->next) {
        n += j->n_flush;
    }
    if (n == 0) {
        return 0;
    }
    struct st_store_item *all = st_malloc(n * sizeof(*all));
    if (!all) {
        return -ENOMEM;
    }
    size_t at = 0;
    for (struct st_store_job *j = jobs; j; j = j->next) {
        memcpy(all + at, j->flush, j->n_flush * sizeof(*all));
        at += j->n_flush;
    }
    qsort(all, n, sizeof(*all), cmp_items);
    int r = 0;
    for (size_t i = 0; i < n && r == 0;) {
        size_t k = i + 1;
        while (k < n && all[k].series == all[i].series && all[k].tier == all[i].tier) {
            k++;
        }
        r = write_rrd(st, all + i, k - i);
        i = k;
    }
    st_free(all);
    return r;
}

/* Store thread: makes one batch of jobs durable. Returns 0 or a negative errno. */
static int run_jobs(struct st_store *st, struct st_store_job *jobs)
{
    int r = write_batch_rrd(st, jobs);
    if (r < 0) {
        return r;
    }
    if (st->sync && syncfs(st->dir_fd) < 0) {
        return -errno;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    if ((r = exec_sql(st->db, "BEGIN")) < 0) {
        return r;
    }
    for (struct st_store_job *j = jobs; j && r == 0; j = j->next) {
        r = write_rows(st, j, &buf, &cap);
    }
    st_free(buf);
    if (r == 0) {
        r = exec_sql(st->db, "COMMIT");
    }
    if (r < 0) {
        exec_sql(st->db, "ROLLBACK");
    }
    return r;
}

/*
 * Folding corrections. Every job with late data for a bucket adds one correction row
 * (id, step, t, lsn), and a query merges them all. After each commit the buckets that got a row
 * are pushed on `fold`; when idle, the store thread folds the rows of each (id, step, t) into
 * one: counts and sums added, the extremes kept, the sketches merged, under the largest lsn of
 * the rows folded. Only committed rows are folded and a fold step is one transaction, so a
 * reader sees either every row or the folded one (the reader's transaction, not lsn, decides
 * what a query counts: store.h). Rows whose count is not positive add nothing to a query's
 * statistics and add nothing to the fold's either; their sketches are merged, as a query does.
 * A bucket whose sketch does not decode is left as it is.
 */
#define FOLD_STEP_KEYS   1024      /* buckets folded per idle step (one transaction) */
#define FOLD_PENDING_MAX (1 << 20) /* beyond this, the prune walk finds the rest */

struct fold_key {
    int64_t id, step, t;
};

/* Folds the correction rows of one bucket if it has more than one. Returns 0 or -errno. */
static int fold_key(struct st_store *st, const struct fold_key *k, st_sketch_t *sk,
                    st_sketch_t *tmp, uint8_t **buf, size_t *cap, uint64_t *folded)
{
    double count = 0, sum = 0, min = INFINITY, max = -INFINITY;
    int64_t lsn = 0;
    int rows = 0, r = 0, rc;
    bool bad = false;
    st_sketch_reset(sk);
    sqlite3_stmt *q = st->fold_rows;
    sqlite3_bind_int64(q, 1, k->id);
    sqlite3_bind_int64(q, 2, k->step);
    sqlite3_bind_int64(q, 3, k->t);
    while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        rows++;
        lsn = sqlite3_column_int64(q, 0);
        double c = sqlite3_column_double(q, 1);
        if (c > 0) {
            count += c;
            sum += sqlite3_column_double(q, 2);
            min = fmin(min, sqlite3_column_double(q, 3));
            max = fmax(max, sqlite3_column_double(q, 4));
        }
        if (sqlite3_column_type(q, 5) == SQLITE_BLOB) {
            const void *blob = sqlite3_column_blob(q, 5);
            size_t len = (size_t)sqlite3_column_bytes(q, 5);
            if (st_sketch_decode(tmp, blob, len) < 0) {
                bad = true; /* leave these rows as they are: the query skips that sketch */
            } else if (st_sketch_merge(sk, tmp) < 0) {
                r = -ENOMEM;
            }
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = -EIO;
    }
    sqlite3_reset(q);
    if (r < 0 || bad || rows < 2) {
        return r;
    }
    sqlite3_bind_int64(st->fold_delete, 1, k->id);
    sqlite3_bind_int64(st->fold_delete, 2, k->step);
    sqlite3_bind_int64(st->fold_delete, 3, k->t);
    sqlite3_bind_int64(st->fold_delete, 4, lsn);
    if ((r = step_stmt(st->fold_delete)) < 0) {
        return r;
    }
    sqlite3_bind_int64(st->put_corr, 1, k->id);
    sqlite3_bind_int64(st->put_corr, 2, k->step);
    sqlite3_bind_int64(st->put_corr, 3, k->t);
    sqlite3_bind_int64(st->put_corr, 4, lsn);
    sqlite3_bind_double(st->put_corr, 5, count);
    sqlite3_bind_double(st->put_corr, 6, sum);
    sqlite3_bind_double(st->put_corr, 7, min);
    sqlite3_bind_double(st->put_corr, 8, max);
    if ((r = bind_sketch(st->put_corr, 9, sk, buf, cap)) < 0 || (r = step_stmt(st->put_corr)) < 0) {
        return r;
    }
    *folded += (uint64_t)rows - 1;
    return 0;
}

static void fold_push(struct st_store *st, int64_t id, int64_t step, int64_t t)
{
    if (st->n_fold >= FOLD_PENDING_MAX ||
        grow((void **)&st->fold, &st->cap_fold, st->n_fold, sizeof(*st->fold)) < 0) {
        return; /* the prune walk finds it */
    }
    st->fold[st->n_fold++] = (struct fold_key){id, step, t};
}

/* After a commit: the buckets that got a correction are folded when the thread is idle. */
static void fold_note(struct st_store *st, const struct st_store_job *jobs)
{
    for (const struct st_store_job *j = jobs; j; j = j->next) {
        for (size_t i = 0; i < j->n_corr; i++) {
            const struct st_store_item *it = &j->corr[i];
            fold_push(st, (int64_t)it->series->id, st_tier_step(it->tier), it->bucket->t);
        }
    }
}

/* Idle work: folds up to FOLD_STEP_KEYS pending buckets (newest first) in one transaction. */
static void fold_step(struct st_store *st)
{
    size_t n = st->n_fold < FOLD_STEP_KEYS ? st->n_fold : FOLD_STEP_KEYS;
    const struct fold_key *keys = st->fold + st->n_fold - n;
    st_sketch_t sk, tmp;
    st_sketch_init(&sk);
    st_sketch_init(&tmp);
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t folded = 0;
    int r = exec_sql(st->db, "BEGIN");
    for (size_t i = 0; i < n && r == 0; i++) {
        r = fold_key(st, &keys[i], &sk, &tmp, &buf, &cap, &folded);
    }
    if (r == 0 && (r = exec_sql(st->db, "COMMIT")) == 0) {
        bump(st, &st->stats.corrections_folded, folded);
    }
    if (r < 0) {
        exec_sql(st->db, "ROLLBACK");
        st_log_debug("store: folding corrections failed (%s); the prune walk retries",
                     strerror(-r));
    }
    st_free(buf);
    st_sketch_fini(&sk);
    st_sketch_fini(&tmp);
    st->n_fold -= n;
    if (st->n_fold == 0 && st->cap_fold > 4096) {
        st_free(st->fold); /* give back what a burst grew */
        st->fold = NULL;
        st->cap_fold = 0;
    }
}

/* The prune walk's part: queues the buckets of series id that have more than one row. */
static int fold_find(struct st_store *st, int64_t id)
{
    sqlite3_bind_int64(st->fold_keys, 1, id);
    int rc;
    while ((rc = sqlite3_step(st->fold_keys)) == SQLITE_ROW) {
        fold_push(st, id, sqlite3_column_int64(st->fold_keys, 0),
                  sqlite3_column_int64(st->fold_keys, 1));
    }
    sqlite3_reset(st->fold_keys);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

#define PRUNE_EVERY_US   (600ull * 1000000) /* a full walk of the index every 10 minutes */
#define PRUNE_BATCH      1000               /* series per step of the walk */
#define SKETCH_KEEP_60_S (15 * 86400)       /* the 60 s tier's retention */
#define SKETCH_KEEP_1_S  (3 * 3600)         /* the 1 s tier's retention */
#define CORR_KEEP_S      (455 * 86400)      /* the 3600 s tier's retention */

/*
 * Deletes sketches and corrections older than the tiers they belong to, for the next
 * PRUNE_BATCH series of the index (by id, through the primary keys). Returns true while the
 * walk is not finished.
 */
static bool prune_step(struct st_store *st)
{
    int64_t now = (int64_t)time(NULL);
    int64_t ids[PRUNE_BATCH];
    size_t n = 0;
    sqlite3_bind_int64(st->next_series, 1, st->prune_after_id);
    sqlite3_bind_int(st->next_series, 2, PRUNE_BATCH);
    while (n < PRUNE_BATCH && sqlite3_step(st->next_series) == SQLITE_ROW) {
        ids[n++] = sqlite3_column_int64(st->next_series, 0);
    }
    sqlite3_reset(st->next_series);
    if (exec_sql(st->db, "BEGIN") < 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st->prune_sketches, 1, ids[i]);
        sqlite3_bind_int64(st->prune_sketches, 2, now - SKETCH_KEEP_60_S);
        sqlite3_bind_int64(st->prune_sketches, 3, now - SKETCH_KEEP_1_S);
        step_stmt(st->prune_sketches);
        sqlite3_bind_int64(st->prune_corr, 1, ids[i]);
        sqlite3_bind_int64(st->prune_corr, 2, now - CORR_KEEP_S);
        step_stmt(st->prune_corr);
        /* Finds what is left to fold (pending folds are not kept over a restart). */
        fold_find(st, ids[i]);
    }
    if (exec_sql(st->db, "COMMIT") < 0) {
        exec_sql(st->db, "ROLLBACK");
    }
    if (n < PRUNE_BATCH) {
        st->prune_after_id = INT64_MIN;
        return false;
    }
    st->prune_after_id = ids[n - 1];
    return true;
}

static void *store_thread(void *arg)
{
    struct st_store *st = arg;
    unsigned backoff_ms = 0;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        while (!st->queue.head && !st->stop && st_mono_us() < st->next_prune_us &&
               st->n_fold == 0) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&st->cond, &st->lock, &until);
        }
        /* Hold the batch open (see st_store_opts.batch_ms); stop and the job cap end it. */
        if (st->batch_ms > 0) {
            struct timespec until = st->queue_since;
            until.tv_sec += st->batch_ms / 1000;
            until.tv_nsec += (long)(st->batch_ms % 1000) * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            while (st->queue.head && !st->stop && !st->flush_now &&
                   (st->batch_max_jobs == 0 || st->queue_len < st->batch_max_jobs)) {
                if (pthread_cond_timedwait(&st->cond, &st->lock, &until) == ETIMEDOUT) {
                    break;
                }
            }
        }
        struct st_store_job *jobs = st->queue.head;
        st->queue.head = st->queue.tail = NULL;
        st->queue_len = 0;
        st->flush_now = false;
        bool stop = st->stop;
        pthread_mutex_unlock(&st->lock);
        if (!jobs) {
            if (stop) {
                break;
            }
            /* Idle: fold the corrections just written, else take a step of the prune walk. */
            if (st->n_fold > 0) {
                fold_step(st);
            } else if (st_mono_us() >= st->next_prune_us && !prune_step(st)) {
                pthread_mutex_lock(&st->lock);
                st->next_prune_us = st_mono_us() + PRUNE_EVERY_US;
                pthread_mutex_unlock(&st->lock);
            }
            continue;
        }
        int r;
        while ((r = run_jobs(st, jobs)) < 0) {
            bump(st, &st->stats.failures, 1);
            st_log_error("store: writing a job failed (%s), retrying; nothing is acknowledged "
                         "as lost",
                         strerror(-r));
            backoff_ms = backoff_ms ? (backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2) : 100;
            struct timespec ts = {backoff_ms / 1000, (long)(backoff_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
        backoff_ms = 0;
        fold_note(st, jobs);
        uint64_t n = 0;
        pthread_mutex_lock(&st->done_lock);
        for (struct st_store_job *j = jobs, *next; j; j = next) {
            next = j->next;
            jq_push(&st->done, j);
            n++;
        }
        pthread_mutex_unlock(&st->done_lock);
        bump(st, &st->stats.jobs, n);
        event_active(st->done_ev, EV_READ, 0);
    }
    return NULL;
}

static void run_done(struct st_store *st)
{
    pthread_mutex_lock(&st->done_lock);
    struct st_store_job *list = st->done.head;
    st->done.head = st->done.tail = NULL;
    pthread_mutex_unlock(&st->done_lock);
    for (struct st_store_job *j = list, *next; j; j = next) {
        next = j->next;
        st->done_fn(j, st->done_data);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_done(arg);
}

void st_store_submit(struct st_store *st, struct st_store_job *job)
{
    pthread_mutex_lock(&st->lock);
    if (!st->queue.head) {
        clock_gettime(CLOCK_MONOTONIC, &st->queue_since);
    }
    jq_push(&st->queue, job);
    st->queue_len++;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

void st_store_request_prune(struct st_store *st)
{
    pthread_mutex_lock(&st->lock);
    st->next_prune_us = 0;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

void st_store_flush(struct st_store *st)
{
    pthread_mutex_lock(&st->lock);
    st->flush_now = true;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

void st_store_get_stats(struct st_store *st, struct st_store_stats *ret)
{
    pthread_mutex_lock(&st->stats_lock);
    *ret = st->stats;
    pthread_mutex_unlock(&st->stats_lock);
}

void st_store_free(struct st_store *st)
{
    if (!st) {
        return;
    }
    if (st->thread_started) {
        pthread_mutex_lock(&st->lock);
        st->stop = true;
        pthread_cond_signal(&st->cond);
        pthread_mutex_unlock(&st->lock);
        pthread_join(st->thread, NULL);
        run_done(st);
    }
    if (st->done_ev) {
        event_free(st->done_ev);
    }
    sqlite3_finalize(st->put_sketch);
    sqlite3_finalize(st->put_corr);
    sqlite3_finalize(st->put_series);
    sqlite3_finalize(st->put_meta);
    sqlite3_finalize(st->next_series);
    sqlite3_finalize(st->prune_sketches);
    sqlite3_finalize(st->prune_corr);
    sqlite3_finalize(st->fold_keys);
    sqlite3_finalize(st->fold_rows);
    sqlite3_finalize(st->fold_delete);
    sqlite3_close(st->db);
    st_free(st->fold);
    for (size_t i = 0; i < st->files.cap; i++) {
        st_free(st->files.slots[i].value);
    }
    st_u64_map_fini(&st->files);
    if (st->dir_fd >= 0) {
        close(st->dir_fd);
    }
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->done_lock);
    pthread_mutex_destroy(&st->stats_lock);
    st_free(st->dir);
    st_free(st);
}

static int load_all(struct st_store *st, st_store_load_fn load, void *load_data,
                    uint64_t *ret_done_lsn)
{
    sqlite3_stmt *q = NULL;
    int r = 0;
    *ret_done_lsn = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT v FROM meta WHERE k = 'done_lsn'", -1, &q, NULL) !=
        SQLITE_OK) {
        return -EIO;
    }
    if (sqlite3_step(q) == SQLITE_ROW) {
        *ret_done_lsn = (uint64_t)sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(st->db, "SELECT id, key, hires FROM series", -1, &q, NULL) !=
        SQLITE_OK) {
        return -EIO;
    }
    int rc;
    while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const void *key = sqlite3_column_blob(q, 1);
        int len = sqlite3_column_bytes(q, 1);
        r = load((uint64_t)sqlite3_column_int64(q, 0), key, (size_t)len,
                 sqlite3_column_int(q, 2) != 0, load_data);
    }
    sqlite3_finalize(q);
    return r;
}

int st_store_open(struct event_base *base, const struct st_store_opts *opts, st_store_done_fn done,
                  void *done_data, st_store_load_fn load, void *load_data, uint64_t *ret_done_lsn,
                  struct st_store **ret, struct st_error *err)
{
    struct st_store *st = st_calloc(1, sizeof(*st));
    if (!st) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "store: out of memory");
    }
    int r;
    st->dir_fd = -1;
    st->prune_after_id = INT64_MIN;
    st->next_prune_us = st_mono_us() + 60 * 1000000ull;
    pthread_mutex_init(&st->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits ignore wall-clock steps */
    pthread_cond_init(&st->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&st->done_lock, NULL);
    pthread_mutex_init(&st->stats_lock, NULL);
    st_u64_map_init(&st->files);
    st->dir = st_strdup(opts->dir);
    st->sync = opts->sync;
    st->batch_ms = opts->batch_ms;
    st->batch_max_jobs = opts->batch_max_jobs;
    st->done_fn = done;
    st->done_data = done_data;
    if (!st->dir) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "store: out of memory");
        goto fail;
    }
    st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dir_fd < 0) {
        r = st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "store: cannot open %s: %s", st->dir,
                         strerror(errno));
        goto fail;
    }
    if ((r = open_db(st->dir, true, &st->db)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "store: cannot open %s/index.db", st->dir);
        goto fail;
    }
    if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO sketches VALUES(?, ?, ?, ?)", -1,
                           &st->put_sketch, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO corrections VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st->put_corr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO series VALUES(?, ?, ?)", -1,
                           &st->put_series, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta VALUES('done_lsn', ?)", -1,
                           &st->put_meta, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "SELECT id FROM series WHERE id > ? ORDER BY id LIMIT ?", -1,
                           &st->next_series, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "DELETE FROM sketches WHERE id = ?1 AND ((step = 60 AND t < ?2) OR "
                           "(step = 1 AND t < ?3))",
                           -1, &st->prune_sketches, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM corrections WHERE id = ? AND t < ?", -1,
                           &st->prune_corr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "SELECT step, t FROM corrections WHERE id = ? GROUP BY step, t "
                           "HAVING count(*) > 1",
                           -1, &st->fold_keys, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "SELECT lsn, count, sum, min, max, sketch FROM corrections WHERE id = ? "
                           "AND step = ? AND t = ? ORDER BY lsn",
                           -1, &st->fold_rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            st->db, "DELETE FROM corrections WHERE id = ? AND step = ? AND t = ? AND lsn < ?", -1,
            &st->fold_delete, NULL) != SQLITE_OK) {
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "store: sqlite: %s",
                         sqlite3_errmsg(st->db));
        goto fail;
    }
    if ((r = load_all(st, load, load_data, ret_done_lsn)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "store: cannot load the index: %s",
                     r == -ENOMEM ? "out of memory" : sqlite3_errmsg(st->db));
        goto fail;
    }
    st->done_ev = event_new(base, -1, 0, on_done, st);
    if (!st->done_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "store: out of memory");
        goto fail;
    }
    if ((r = -pthread_create(&st->thread, NULL, store_thread, st)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "store: cannot start thread");
        goto fail;
    }
    st->thread_started = true;
    *ret = st;
    return 0;
fail:
    st_store_free(st);
    return r;
}

/* Query side. */

struct st_store_reader {
    char *dir;
    sqlite3 *db;
    sqlite3_stmt *get_sketches, *get_corr, *get_corr_rows, *get_done, *begin, *commit;
    bool in_txn;
};

void st_store_reader_free(struct st_store_reader *r)
{
    if (!r) {
        return;
    }
    sqlite3_finalize(r->get_sketches);
    sqlite3_finalize(r->get_corr);
    sqlite3_finalize(r->get_corr_rows);
    sqlite3_finalize(r->get_done);
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_close(r->db);
    st_free(r->dir);
    st_free(r);
}

int st_store_reader_open(const char *dir, struct st_store_reader **ret)
{
    struct st_store_reader *r = st_calloc(1, sizeof(*r));
    if (!r || !(r->dir = st_strdup(dir))) {
        st_free(r);
        return -ENOMEM;
    }
    if (open_db(dir, false, &r->db) < 0 ||
        sqlite3_prepare_v2(r->db,
                           "SELECT t, sketch FROM sketches WHERE id = ? AND step = ? AND t >= ? "
                           "AND t < ?",
                           -1, &r->get_sketches, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "SELECT t, count, sum, min, max, sketch FROM corrections WHERE id = ? "
                           "AND step = ? AND t >= ? AND t < ?",
                           -1, &r->get_corr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "SELECT t, count, sum, min, max FROM corrections WHERE id = ? "
                           "AND step = ? AND t >= ? AND t < ?",
                           -1, &r->get_corr_rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "SELECT v FROM meta WHERE k = 'done_lsn'", -1, &r->get_done,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "BEGIN", -1, &r->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "COMMIT", -1, &r->commit, NULL) != SQLITE_OK) {
        st_store_reader_free(r);
        return -EIO;
    }
    *ret = r;
    return 0;
}

int st_store_rrd_last(struct st_store_reader *r, uint64_t id, int tier, int64_t *ret_last)
{
    char path[PATH_MAX];
    st_store_rrd_path(r->dir, id, tier, path, sizeof(path));
    if (access(path, F_OK) < 0) {
        return -ENOENT;
    }
    rrd_clear_error();
    time_t last = rrd_last_r(path);
    if (last == (time_t)-1) {
        rrd_clear_error();
        return -EIO;
    }
    *ret_last = last;
    return 0;
}

int st_store_read_rrd(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                      int64_t end, st_store_row_fn fn, void *data)
{
    char path[PATH_MAX];
    st_store_rrd_path(r->dir, id, step == 1 ? ST_TIER_1S : ST_TIER_60S, path, sizeof(path));
    if (start >= end || access(path, F_OK) < 0) {
        return 0;
    }
    /* Rows end at t+step: ask for (start, end] so the first row is the bucket at start. */
    unsigned long ds_cnt = 0;
    char **ds_names = NULL;
    rrd_value_t *avg = NULL, *mx = NULL;
    time_t s = (time_t)start, e = (time_t)end;
    unsigned long rstep = (unsigned long)step;
    rrd_clear_error();
    if (rrd_fetch_r(path, "AVERAGE", &s, &e, &rstep, &ds_cnt, &ds_names, &avg) != 0) {
        st_log_debug("store: rrd_fetch %s: %s", path, rrd_get_error());
        rrd_clear_error();
        return -EIO;
    }
    for (unsigned long i = 0; i < ds_cnt; i++) {
        rrd_freemem(ds_names[i]);
    }
    rrd_freemem(ds_names);
    int ret = 0;
    if (rstep != (unsigned long)step || ds_cnt != 4) {
        ret = -ERANGE; /* the file has no RRA at this resolution for the range */
        goto out;
    }
    time_t ms = s, me = e;
    unsigned long mstep = rstep, mcnt = 0;
    char **mnames = NULL;
    if (step > 60) {
        if (rrd_fetch_r(path, "MAX", &ms, &me, &mstep, &mcnt, &mnames, &mx) != 0) {
            rrd_clear_error();
            ret = -EIO;
            goto out;
        }
        for (unsigned long i = 0; i < mcnt; i++) {
            rrd_freemem(mnames[i]);
        }
        rrd_freemem(mnames);
        if (mstep != rstep || ms != s || mcnt != 4) {
            ret = -ERANGE;
            goto out;
        }
    }
    double pdps = (double)step / (step == 1 ? 1.0 : 60.0);
    size_t rows = (size_t)((e - s) / (time_t)rstep);
    for (size_t i = 0; i < rows; i++) {
        int64_t t = (int64_t)s + (int64_t)i * step;
        if (t < start || t >= end) {
            continue;
        }
        const rrd_value_t *a = avg + i * 4;
        const rrd_value_t *m = mx ? mx + i * 4 : a;
        if (isnan(a[0]) || a[0] <= 0) {
            continue;
        }
        double count = a[0] * pdps, sum = a[1] * pdps;
        /* Counts are whole numbers almost always: undo the AVERAGE's rounding error. */
        double rc = round(count);
        if (fabs(count - rc) <= 1e-9 * (rc > 1 ? rc : 1)) {
            count = rc;
        }
        fn(t, step, count, sum, -m[2], m[3], data);
    }
out:
    rrd_freemem(avg);
    rrd_freemem(mx);
    return ret;
}

int st_store_read_sketches(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                           int64_t end, st_store_sketch_fn fn, void *data)
{
    sqlite3_stmt *q = r->get_sketches;
    sqlite3_bind_int64(q, 1, (int64_t)id);
    sqlite3_bind_int64(q, 2, step);
    sqlite3_bind_int64(q, 3, start);
    sqlite3_bind_int64(q, 4, end);
    int rc, ret = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(q, 1);
        int len = sqlite3_column_bytes(q, 1);
        fn(sqlite3_column_int64(q, 0), blob, (size_t)len, data);
    }
    if (rc != SQLITE_DONE) {
        ret = -EIO;
    }
    sqlite3_reset(q);
    return ret;
}

int st_store_reader_begin(struct st_store_reader *r, uint64_t *ret_done_lsn)
{
    if (step_stmt(r->begin) < 0) {
        return -EIO;
    }
    r->in_txn = true;
    /* The first read starts the snapshot: done_lsn and every later read come from it. */
    int rc = sqlite3_step(r->get_done);
    *ret_done_lsn = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(r->get_done, 0) : 0;
    sqlite3_reset(r->get_done);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        st_store_reader_end(r);
        return -EIO;
    }
    return 0;
}

void st_store_reader_end(struct st_store_reader *r)
{
    if (r->in_txn) {
        step_stmt(r->commit);
        r->in_txn = false;
    }
}

int st_store_read_corrections(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                              int64_t end, bool sketches, st_store_corr_fn fn, void *data)
{
    sqlite3_stmt *q = sketches ? r->get_corr : r->get_corr_rows;
    sqlite3_bind_int64(q, 1, (int64_t)id);
    sqlite3_bind_int64(q, 2, step);
    sqlite3_bind_int64(q, 3, start);
    sqlite3_bind_int64(q, 4, end);
    int rc, ret = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const uint8_t *blob = NULL;
        size_t len = 0;
        if (sketches && sqlite3_column_type(q, 5) == SQLITE_BLOB) {
            blob = sqlite3_column_blob(q, 5);
            len = (size_t)sqlite3_column_bytes(q, 5);
        }
        fn(sqlite3_column_int64(q, 0), step, sqlite3_column_double(q, 1),
           sqlite3_column_double(q, 2), sqlite3_column_double(q, 3), sqlite3_column_double(q, 4),
           blob, len, data);
    }
    if (rc != SQLITE_DONE) {
        ret = -EIO;
    }
    sqlite3_reset(q);
    return ret;
}
