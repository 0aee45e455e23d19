/* SPDX-License-Identifier: MIT */
/*
 * The hot window: every series the collector knows, and their open buckets, in memory on the
 * event-loop thread. It is a pure function of the WAL: applying the same records in LSN order
 * gives the same state, which is how a restart rebuilds it.
 *
 * Routing. Two watermarks, w[ST_TIER_1S] and w[ST_TIER_60S], advance only through WAL MARKER
 * records. A datum whose bucket [t, t+step) ends at or before the watermark of its tier is late:
 * its bucket has been (or is being) flushed, so it becomes a correction, stored beside the RRD
 * and merged at query time. Any other datum goes into its open bucket. Applying a MARKER hands
 * the store one job with every bucket the new watermarks close, every pending correction and
 * every new index row; when the store reports the job durable, st_hot_job_done frees them.
 * Until then a handed bucket stays visible to queries, which skip the RRD's copy of any bucket
 * they also hold in memory (the two are identical: a handed bucket is immutable).
 */
#ifndef STRATUS_COLLECTOR_HOT_WINDOW_H
#define STRATUS_COLLECTOR_HOT_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "series.h"
#include "store.h"
#include "stratus/error.h"
#include "stratus/u64_map.h"

struct heap_entry {
    int64_t end;
    struct st_series *series;
};

struct st_hot {
    struct st_u64_map series;  /* id -> struct st_series */
    struct st_u64_map metrics; /* metric id -> first series of the metric (next_unit chain) */
    int64_t w[ST_N_HOT_TIERS]; /* routing watermarks (seconds) */
    uint64_t done_lsn;         /* from the store at start: records <= it are durable */
    uint64_t confirmed_lsn;    /* newest job the store confirmed */

    struct heap_entry *heap[ST_N_HOT_TIERS]; /* min-heaps of bucket ends to flush */
    size_t heap_len[ST_N_HOT_TIERS], heap_cap[ST_N_HOT_TIERS];
    struct st_series **late; /* series with unhanded corrections */
    size_t n_late, cap_late;
    struct st_series **dirty; /* series whose index row is not handed yet */
    size_t n_dirty, cap_dirty;

    uint64_t n_buckets; /* live buckets, hot and late */
    uint64_t n_late_datums;
};

void st_hot_init(struct st_hot *h);
void st_hot_fini(struct st_hot *h);

/* Adds a series read from the index at start (not dirty). Returns 0, -EBADMSG or -ENOMEM. */
int st_hot_load_series(struct st_hot *h, uint64_t id, const uint8_t *key, size_t key_len,
                       bool hires);

/*
 * Applies a validated PutMetricData record. Datums without a timestamp take arrival_ms.
 * During replay, corrections from records with lsn <= done_lsn are skipped (they are durable).
 * Returns 0, or -ENOMEM (then the collector must not acknowledge the request), or -EEXIST on
 * a 64-bit series id collision between two different keys (the datum is refused).
 */
int st_hot_apply_put(struct st_hot *h, uint64_t lsn, int64_t arrival_ms,
                     const Stratus__PutMetricDataRequest *req, struct st_error *err);

/*
 * Applies a MARKER: raises the watermarks and returns the store job that persists what they
 * close (never NULL unless out of memory). If lsn <= done_lsn (replay of a marker whose job
 * committed) the closed buckets are freed and NULL is returned through *ret_job.
 */
int st_hot_apply_marker(struct st_hot *h, uint64_t lsn, int64_t w1, int64_t w60,
                        struct st_store_job **ret_job);

/* The store made `job` durable: free what it carried and move the confirmed boundaries. */
void st_hot_job_done(struct st_hot *h, struct st_store_job *job);

/*
 * The oldest WAL LSN that still holds data not yet durable below the hot window, found by a
 * walk over the series table that runs a bounded number of slots per call, so that a table of
 * millions never stalls the loop. Start a walk with st_hot_walk_start(next_lsn), where
 * next_lsn bounds every record not yet applied; call st_hot_walk_step until it returns true,
 * then walk->oldest is the answer. A walk restarts by itself if the table grew meanwhile.
 */
struct st_hot_walk {
    size_t pos, cap;
    uint64_t oldest, bound;
};
void st_hot_walk_start(const struct st_hot *h, struct st_hot_walk *walk, uint64_t next_lsn);
bool st_hot_walk_step(const struct st_hot *h, struct st_hot_walk *walk, size_t budget);

/* The same in one call (tests). */
uint64_t st_hot_oldest_needed_lsn(const struct st_hot *h, uint64_t next_lsn);

/* Looks up a series by key (NULL if unknown). */
struct st_series *st_hot_find(const struct st_hot *h, const uint8_t *key, size_t key_len);

#endif
