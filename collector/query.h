/* SPDX-License-Identifier: MIT */
/*
 * GetMetricStatistics. The loop thread takes a snapshot of the series a request names (copies
 * of their in-memory buckets), then a query thread reads the RRD files and SQLite rows, merges
 * the three sources and packs the protobuf reply. Sources never overlap: an RRD row counts only
 * if its bucket ends at or before the file's last update, an in-memory bucket only if it ends
 * after it; a stored sketch only if no in-memory bucket has the same period. Corrections are
 * read in one SQLite read transaction, which sees every job up to its done_lsn and nothing
 * newer; an in-memory correction counts only if it was not handed to the store yet or was
 * handed to a job after that done_lsn. This holds however the store thread folds committed
 * rows (store.h), and however late the query thread runs after the snapshot.
 *
 * Tier choice follows CloudWatch: periods under 60 s read the 1 s tier of high-resolution
 * series; otherwise the 60 s tier for ranges starting within 15 days, 300 s within 63 days and
 * 3600 s beyond, with the newest, not yet consolidated part of a coarse range read from finer
 * rows.
 *
 * Alarm evaluation reads the same answer without the protobuf: st_query_hot_points computes it
 * on the loop thread when the whole range is in the hot window, and a query with want_points
 * leaves it unpacked in q->points.
 */
#ifndef STRATUS_COLLECTOR_QUERY_H
#define STRATUS_COLLECTOR_QUERY_H

#include <stdint.h>

#include <event2/event.h>

#include "hot_window.h"
#include "store.h"
#include "stratus/metric.h"

struct st_query_bucket {
    int64_t t;
    uint64_t handed_lsn; /* the job it was handed to, 0: none yet */
    double count, sum, min, max;
    st_sketch_t sketch;
};

struct st_query_series {
    uint64_t id;
    enum st_unit unit;
    bool hires;
    struct st_query_bucket *hot[ST_N_HOT_TIERS];
    size_t n_hot[ST_N_HOT_TIERS];
    struct st_query_bucket *late[ST_N_HOT_TIERS];
    size_t n_late[ST_N_HOT_TIERS];
};

/*
 * One period of an answer, what a GetMetricStatistics Datapoint holds: a period is in an
 * answer when its SampleCount is above 0 (and, for a percentile-only query, it has a sketch).
 * min, max and quantile[k] (the query's k-th percentile) count only where their has_ flag is set.
 */
struct st_query_point {
    int64_t t_ms;
    double count, sum, min, max;
    bool has_min, has_max;
    int unit; /* enum st_unit of its data, or -2 when its series have several (None) */
    double quantile[ST_MAX_EXT_STATISTICS];
    bool has_quantile[ST_MAX_EXT_STATISTICS];
};

struct st_query {
    struct st_stats_query q;
    char qnames[ST_MAX_EXT_STATISTICS][16]; /* the percentiles as the request spelled them */
    char *label;
    int64_t now_ms;
    struct st_query_series *series;
    size_t n_series;
    /* Set by the owner before st_query_run: the answer is left in points instead of packed. */
    bool want_points;
    /* results, written by st_query_run */
    uint8_t *reply; /* packed GetMetricStatisticsResponse, st_malloc'ed */
    size_t reply_len;
    struct st_query_point *points; /* with want_points: the answer's periods, oldest first */
    size_t n_points;
    int status; /* 0 or negative errno */
    /* owner's: the collector's pool callback calls done(q, data) (loop thread); done owns q */
    void (*done)(struct st_query *q, void *data);
    void *data;
};

/*
 * Snapshots the series of the metric (namespace, name, dimensions) that the request names,
 * every unit or only q->unit. Returns NULL on OOM. The query owns copies only.
 */
struct st_query *st_query_snapshot(const struct st_hot *h,
                                   const Stratus__GetMetricStatisticsRequest *req,
                                   const struct st_stats_query *q, int64_t now_ms);

/*
 * Answers the query from the hot window alone, on the loop thread, when that is the whole
 * answer: when every series the request names has its range [q->start_ms, q->end_ms) above
 * the routing watermark of the tier it is read from. Nothing of such a range can be in an RRD
 * file, a stored sketch or a correction (the store only ever gets buckets that end at or
 * before a watermark, and watermarks never go back, also across restarts), so the answer is
 * the one st_query_snapshot and st_query_run would give at this moment. Writes at most
 * `cap` points (oldest first, as st_query_run's) into ret_points, which the caller owns, and
 * their number into *ret_n. Returns 0; -EAGAIN when some of the range may be below the hot
 * window (ask the store through a snapshot instead); -ENOBUFS when cap is too small; -ENOMEM.
 */
int st_query_hot_points(const struct st_hot *h, const Stratus__GetMetricStatisticsRequest *req,
                        const struct st_stats_query *q, int64_t now_ms,
                        struct st_query_point *ret_points, size_t cap, size_t *ret_n);

/* Runs a query against the store (any thread). Sets q->status, and q->reply or, with
 * want_points, q->points. */
void st_query_run(struct st_query *q, struct st_store_reader *reader);

/*
 * Memory one thread keeps from one st_query_run_with to the next: the accumulators with their
 * sketches' bins, the points and the protobuf packing space, so that a run reuses them instead
 * of allocating (and faulting in) fresh ones. Owned by the thread that runs the queries; it
 * keeps at most about 10 MiB, whatever the queries were. _free(NULL) is a no-op.
 */
struct st_query_scratch;
struct st_query_scratch *st_query_scratch_new(void);
void st_query_scratch_free(struct st_query_scratch *s);

/* st_query_run, using (and growing) scratch; NULL scratch is st_query_run. The answer is the
 * same byte for byte. */
void st_query_run_with(struct st_query *q, struct st_store_reader *reader,
                       struct st_query_scratch *scratch);

void st_query_free(struct st_query *q);

/* A pool of query threads, each with its own store reader. */
struct st_query_pool;
/* Runs on the loop thread with a finished query; the callback owns it. */
typedef void (*st_query_done_fn)(struct st_query *q, void *data);
int st_query_pool_new(struct event_base *base, const char *dir, unsigned n_threads,
                      st_query_done_fn done, void *data, struct st_query_pool **ret);
void st_query_pool_submit(struct st_query_pool *p, struct st_query *q);
/* Finishes queued queries (running their callbacks), then frees the pool. NULL ok. */
void st_query_pool_free(struct st_query_pool *p);

#endif
