/* SPDX-License-Identifier: MIT */
/*
 * The collector's in-memory series and their buckets, shared by the hot window (which owns and
 * mutates them on the event-loop thread), the store thread (which reads handed buckets and a
 * series' immutable fields) and the query snapshotting code.
 *
 * A series is (namespace, metric name, dimensions, unit), identified by the 64-bit hash of its
 * canonical key (series_key.h). Series are never freed while the collector runs, so the store
 * thread may keep pointers to them; only `id`, `metric_id`, `key`, `key_len` and `unit` may be
 * read off the loop thread.
 *
 * A bucket aggregates the datums of one period (1 s or 60 s) of one series: SampleCount, Sum,
 * Minimum, Maximum and a percentile sketch. Once handed to the store (`handed_lsn`) it is
 * immutable; the loop frees it when the store confirms it durable.
 */
#ifndef STRATUS_COLLECTOR_SERIES_H
#define STRATUS_COLLECTOR_SERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "stratus/metric.h"
#include "stratus/sketch.h"

enum st_tier_idx {
    ST_TIER_1S = 0,  /* high-resolution buckets, 1 s */
    ST_TIER_60S = 1, /* standard buckets, 60 s */
    ST_N_HOT_TIERS = 2,
};

static inline int64_t st_tier_step(int tier)
{
    return tier == ST_TIER_1S ? 1 : 60;
}

struct st_bucket {
    struct st_bucket *next; /* sorted by t within its list */
    int64_t t;              /* period start, seconds since the epoch */
    uint64_t first_lsn;     /* oldest WAL record in it: the log is kept from here */
    double count, sum, min, max;
    st_sketch_t sketch;
    uint64_t handed_lsn; /* LSN of the job it was given to (0: not handed): immutable then */
};

struct st_series {
    uint64_t id;
    uint64_t metric_id;
    uint8_t *key; /* canonical key, owned */
    uint32_t key_len;
    enum st_unit unit;
    bool hires;       /* has received StorageResolution 1 data */
    bool index_dirty; /* the index row (or its hires flag) is not yet handed to the store */
    int64_t last_ms;  /* newest datum timestamp, for RecentlyActive */
    struct st_series *next_unit; /* other series of the same metric (other units) */
    /* loop-thread state */
    struct st_bucket *hot[ST_N_HOT_TIERS];  /* open and handed buckets, by t */
    struct st_bucket *late[ST_N_HOT_TIERS]; /* pending corrections, by t */
};

#endif
