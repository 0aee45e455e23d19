/* SPDX-License-Identifier: MIT */
/*
 * Durable storage below the hot window: one RRD file per series (plus a 1 s file for
 * high-resolution series) and a SQLite database (index.db) holding the series index, the
 * percentile sketches of flushed buckets, corrections (datums that arrived after their period
 * was flushed) and the meta row `done_lsn`.
 *
 * Writes happen on the store thread, one job at a time in submission order. A job carries the
 * buckets a WAL MARKER flushed, the pending corrections and the index rows to write; after its
 * RRD updates are on disk (syncfs) its SQLite rows and done_lsn = job->lsn commit in one
 * transaction. When idle, the store thread folds the correction rows of one bucket into one
 * (store.c, "Folding corrections"). A job that fails is retried with backoff; it is never
 * dropped. Every write is idempotent (RRD updates skip past timestamps, rows are INSERT OR
 * REPLACE), so a job may be redone after a crash. The job and everything it points to are borrowed
 * until the done callback returns it to the loop thread.
 *
 * RRD layout (step 60): DS count, sum (GAUGE, huge heartbeat, so gaps are zero-filled) and
 * negmin, max (GAUGE, heartbeat 60: gaps are unknown). Minimum is stored negated so that MAX
 * consolidation serves both extremes. RRAs: AVERAGE 1 x 21600 (60 s, 15 days), AVERAGE and MAX
 * 5 x 18144 (300 s, 63 days), AVERAGE and MAX 60 x 10920 (3600 s, 455 days): 2.55 MB. The 1 s
 * file: step 1, AVERAGE 1 x 10800 (3 hours): 346 kB. A bucket [t, t+step) is the RRD row ending
 * at t+step; count and sum of a coarse row are its AVERAGE times the PDPs per row.
 */
#ifndef STRATUS_COLLECTOR_STORE_H
#define STRATUS_COLLECTOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "series.h"
#include "stratus/error.h"

struct st_store;

struct st_store_item {
    struct st_series *series;
    struct st_bucket *bucket;
    uint8_t tier; /* enum st_tier_idx */
};

struct st_store_index_item {
    struct st_series *series;
    bool hires;
};

struct st_store_job {
    uint64_t lsn;
    int64_t w1, w60; /* watermarks of the marker that made the job */
    struct st_store_item *flush;
    size_t n_flush, cap_flush;
    struct st_store_item *corr;
    size_t n_corr, cap_corr;
    struct st_store_index_item *index;
    size_t n_index, cap_index;
    struct st_store_job *next; /* queue link, store-owned while submitted */
};

struct st_store_job *st_store_job_new(uint64_t lsn);
void st_store_job_free(struct st_store_job *job);
int st_store_job_add_flush(struct st_store_job *job, struct st_series *s, struct st_bucket *b,
                           int tier);
int st_store_job_add_corr(struct st_store_job *job, struct st_series *s, struct st_bucket *b,
                          int tier);
int st_store_job_add_index(struct st_store_job *job, struct st_series *s);

/* Runs on the loop thread when a job is durable. The callback owns the job from then on. */
typedef void (*st_store_done_fn)(struct st_store_job *job, void *data);

struct st_store_opts {
    const char *dir; /* data directory: rrd/ and index.db live here */
    bool sync;       /* syncfs before each commit (off only in benchmarks that say so) */
    /*
     * Write-back batching, like rrdcached's -w: queued jobs are held until the oldest has
     * waited batch_ms or batch_max_jobs are queued (0: no cap), then written as one batch in
     * which every RRD file gets a single rrd_update with all its rows, followed by one syncfs
     * and one SQLite commit. 0 writes whatever is queued as soon as the thread is free.
     * Nothing is reported done before it is durable; st_store_free writes held jobs at once.
     */
    unsigned batch_ms;
    unsigned batch_max_jobs;
};

/*
 * Opens (creating if needed) the store. Reads meta: *ret_done_lsn is the LSN of the newest job
 * that committed (0 if none). `load` is called for every indexed series (on this thread,
 * before the function returns).
 */
typedef int (*st_store_load_fn)(uint64_t id, const uint8_t *key, size_t key_len, bool hires,
                                void *data);
int st_store_open(struct event_base *base, const struct st_store_opts *opts, st_store_done_fn done,
                  void *done_data, st_store_load_fn load, void *load_data, uint64_t *ret_done_lsn,
                  struct st_store **ret, struct st_error *err);

/* Queues a job (takes it until the done callback). */
void st_store_submit(struct st_store *st, struct st_store_job *job);

/* Ends the batch being held: what is queued is written now (for shutdown or memory pressure). */
void st_store_flush(struct st_store *st);

/*
 * Sketches older than their tier's retention (15 days for 60 s, 3 hours for 1 s) and
 * corrections older than 455 days are pruned by the store thread when idle, walking the index
 * every 10 minutes. This starts a walk now (tests).
 */
void st_store_request_prune(struct st_store *st);

/* Finishes the queued jobs (running their callbacks) and frees the store. NULL ok. */
void st_store_free(struct st_store *st);

struct st_store_stats {
    uint64_t jobs;
    uint64_t rrd_files_created;
    uint64_t rrd_updates;        /* rrd_update calls */
    uint64_t rrd_rows;           /* bucket rows written */
    uint64_t failures;           /* jobs that had to be retried */
    uint64_t corrections_folded; /* correction rows merged into another by folding */
};
void st_store_get_stats(struct st_store *st, struct st_store_stats *ret);

/* Path of a series' RRD file (tier ST_TIER_60S or ST_TIER_1S); buf >= PATH_MAX. */
void st_store_rrd_path(const char *dir, uint64_t id, int tier, char *buf, size_t len);

/*
 * Query-side reading, from any thread through its own reader (one SQLite connection).
 * Rows are reported per bucket start t (seconds): count, sum, min, max (min/max NaN when the
 * row holds no data).
 */
struct st_store_reader;
int st_store_reader_open(const char *dir, struct st_store_reader **ret);
void st_store_reader_free(struct st_store_reader *r);

/* The time of the last update of a series' RRD file: buckets ending at or before it are in the
 * file. Returns 0, -ENOENT when there is no file, or -EIO. */
int st_store_rrd_last(struct st_store_reader *r, uint64_t id, int tier, int64_t *ret_last);

typedef void (*st_store_row_fn)(int64_t t, int64_t step, double count, double sum, double min,
                                double max, void *data);
/*
 * Reads the RRD rows of series id at `step` (1, 60, 300 or 3600) for buckets starting in
 * [start, end). A missing file reads as no rows. Returns 0 or a negative errno.
 */
int st_store_read_rrd(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                      int64_t end, st_store_row_fn fn, void *data);

/* blob is a st_sketch_encode()d sketch, borrowed for the call. */
typedef void (*st_store_sketch_fn)(int64_t t, const uint8_t *blob, size_t len, void *data);
/* Sketches of flushed buckets of `step` with t in [start, end). */
int st_store_read_sketches(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                           int64_t end, st_store_sketch_fn fn, void *data);

/*
 * A read transaction: every read through r until st_store_reader_end sees the store as of one
 * commit. *ret_done_lsn is that commit's done_lsn: the corrections it shows are exactly those
 * of the jobs with lsn <= done_lsn (a job's rows commit with its done_lsn), folded or not.
 * Returns 0 or -EIO.
 */
int st_store_reader_begin(struct st_store_reader *r, uint64_t *ret_done_lsn);
void st_store_reader_end(struct st_store_reader *r);

/* sketch is a st_sketch_encode()d sketch borrowed for the call, or NULL (none, or not asked). */
typedef void (*st_store_corr_fn)(int64_t t, int64_t step, double count, double sum, double min,
                                 double max, const uint8_t *sketch, size_t sketch_len, void *data);
/*
 * Corrections of `step` with t in [start, end), in (t, lsn) order. The sketches are read only
 * when `sketches` is true (the five statistics do not need them).
 */
int st_store_read_corrections(struct st_store_reader *r, uint64_t id, int64_t step, int64_t start,
                              int64_t end, bool sketches, st_store_corr_fn fn, void *data);

#endif
