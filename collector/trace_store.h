/* SPDX-License-Identifier: MIT */
/*
 * Durable, bounded trace storage. One worker thread owns data_dir/traces.db (SQLite, WAL mode)
 * and an in-memory index of recent traces (parsed documents, within a memory budget). The loop
 * thread hands it jobs: batches of segment documents to ingest (from UDP or PutTraceSegments)
 * and queries (service graph, summaries, full traces), which the worker runs between ingest
 * batches. Each batch is one SQLite transaction; a job's done callback runs on the loop thread
 * after the transaction has committed, so PutTraceSegments answers only for documents that a
 * restart will find (docs/traces.md). Retention (by arrival time) and a disk budget are applied
 * by the worker every maintenance interval.
 *
 * Ownership: submitted jobs belong to the store until their done callback, which owns the job
 * (and frees it with st_trace_job_free); a job without a done callback is freed by the store.
 */
#ifndef STRATUS_COLLECTOR_TRACE_STORE_H
#define STRATUS_COLLECTOR_TRACE_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "stratus/arena.h"
#include "stratus/error.h"
#include "trace_model.h"

/* Request statistics of one service (downstream "") or one edge, aggregated by the worker
 * from the segments it stored (docs/traces.md, "Trace metrics"). */
struct st_trace_metric {
    char service[ST_XRAY_MAX_NAME_LEN + 1];
    char downstream[ST_XRAY_MAX_NAME_LEN + 1];
    int64_t requests, errors, throttles, faults;
    int64_t latency_n;
    double latency_sum, latency_min, latency_max; /* seconds */
};

/* Gets the metrics aggregated over the last interval; runs on the loop thread, borrows m. */
typedef void (*st_trace_metrics_fn)(const struct st_trace_metric *m, size_t n, void *data);

#define ST_TRACE_MAX_METRIC_KEYS 2000

struct st_trace_store_opts {
    const char *dir;             /* the data directory; the database is dir/traces.db */
    bool sync;                   /* fsync each transaction (synchronous=FULL) */
    int64_t retention_s;         /* delete traces received longer ago (X-Ray: 30 days) */
    uint64_t max_disk_bytes;     /* delete the oldest traces beyond this database size */
    size_t cache_bytes;          /* memory for the index of recent traces */
    size_t max_queue_bytes;      /* documents waiting for the worker; beyond, submit refuses */
    unsigned maintenance_ms;     /* how often retention and the budget are applied */
    int64_t (*now_ms)(void);     /* the wall clock (tests inject one); NULL: st_wall_ms */
    st_trace_metrics_fn metrics; /* NULL: no trace metrics */
    void *metrics_data;
    unsigned metrics_ms; /* how often they are handed over (10 s) */
};

void st_trace_store_opts_default(struct st_trace_store_opts *o);

/* One document as received: bytes owned by the job (in its doc_arena). */
struct st_trace_doc_in {
    uint8_t *bytes;
    size_t len;
    /* the outcome, set by the worker: 0, or negative errno with the reason in error */
    int status;
    char error_code[32];
    char error[160];
    char id[ST_XRAY_ID_LEN + 1]; /* the document's id when it parsed that far */
};

struct st_trace_view;
struct st_trace_job;

/* Runs on the worker thread with the store's view; sets job->status, job->reply. */
typedef void (*st_trace_job_run_fn)(struct st_trace_job *job, struct st_trace_view *v);
/* Runs on the loop thread once the job is done; owns the job. */
typedef void (*st_trace_job_done_fn)(struct st_trace_job *job, void *data);

struct st_trace_job {
    /* ingest: documents (run NULL) */
    struct st_trace_doc_in *docs;
    size_t n_docs, cap_docs;
    size_t bytes;
    struct st_arena doc_arena; /* the documents' bytes */
    /* query: run on the worker */
    st_trace_job_run_fn run;
    void *query; /* the query's own state, freed by free_query */
    void (*free_query)(void *query);
    /* results */
    int status;
    struct st_error err;
    uint8_t *reply; /* st_malloc'ed */
    size_t reply_len;
    int64_t accepted; /* ingest: documents stored */
    size_t n_items;   /* metrics hand-over: entries in query */
    st_trace_job_done_fn done;
    void *data;
    struct st_trace_job *next;
};

struct st_trace_job *st_trace_job_new(void);
/* Copies a document into an ingest job. Returns 0 or -ENOMEM. */
int st_trace_job_add_doc(struct st_trace_job *job, const uint8_t *doc, size_t len);
void st_trace_job_free(struct st_trace_job *job);

/* Counters, readable from any thread. */
struct st_trace_store_stats {
    atomic_uint_fast64_t segments_stored, segments_invalid, segments_ignored, segments_refused;
    atomic_uint_fast64_t traces_expired, traces_evicted_for_disk;
    atomic_uint_fast64_t queue_bytes;
};

struct st_trace_store;

int st_trace_store_open(struct event_base *base, const struct st_trace_store_opts *opts,
                        struct st_trace_store **ret, struct st_error *err);
/* Hands a job to the worker. -ENOBUFS (job not taken) when the queue is over its budget, or
 * -ESHUTDOWN while closing. */
int st_trace_store_submit(struct st_trace_store *s, struct st_trace_job *job);
/* Runs every queued job (their callbacks too), then closes. NULL ok. */
void st_trace_store_free(struct st_trace_store *s);
const struct st_trace_store_stats *st_trace_store_stats(const struct st_trace_store *s);

/* --- for query jobs, on the worker thread --- */

/* How queries pick traces by time. */
enum st_trace_time_range {
    ST_TRACE_RANGE_TRACE_ID, /* the time in the trace id (X-Ray's default) */
    ST_TRACE_RANGE_EVENT,    /* the trace's times overlap the window (traces that started at
                              * most a day before it) */
};

/*
 * Calls cb for each trace in [start_ms, end_ms) in time order (then id), starting after
 * (after_ms, after_id) when after_id is not NULL, until cb returns non-zero or limit traces
 * were visited. The trace is borrowed for the call. Returns cb's non-zero value, 0, or
 * negative errno.
 */
typedef int (*st_trace_visit_fn)(const struct st_trace *t, int64_t order_ms, void *data);
int st_trace_view_window(struct st_trace_view *v, int64_t start_ms, int64_t end_ms,
                         enum st_trace_time_range range, int64_t after_ms, const char *after_id,
                         size_t limit, st_trace_visit_fn cb, void *data);

/* Calls cb for each stored document of trace id (raw bytes, borrowed for the call). Returns the
 * number of documents, or negative errno. */
typedef int (*st_trace_doc_fn)(const uint8_t *doc, size_t len, void *data);
int st_trace_view_docs(struct st_trace_view *v, const char *trace_id, st_trace_doc_fn cb,
                       void *data);

/* Per-query scratch memory, reset after each job. */
struct st_arena *st_trace_view_arena(struct st_trace_view *v);

#endif
