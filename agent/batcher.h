/* SPDX-License-Identifier: MIT */
/*
 * Builds PutMetricData requests incrementally: each datum is packed as it arrives (a
 * length-delimited field 2 of the request), so a batch costs its encoded size in memory. A
 * batch is sealed at 1000 datums, near the collector's 1 MB body limit, or when flushed; a
 * sealed batch goes to the spool and the sender is kicked.
 */
#ifndef STRATUS_AGENT_BATCHER_H
#define STRATUS_AGENT_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "sender.h"
#include "spool.h"
#include "stratus.pb-c.h"

#define ST_BATCH_MAX_DATUMS 1000
#define ST_BATCH_MAX_BYTES  (900 * 1024)

struct st_batcher {
    char namespace_[256];
    uint8_t *buf;
    size_t len, cap;
    size_t n_datums;
    size_t max_bytes;         /* seal before a batch grows past this */
    struct st_spool *spool;   /* borrowed */
    struct st_sender *sender; /* borrowed */
    uint64_t sealed, spool_errors;
};

/* max_bytes is capped at ST_BATCH_MAX_BYTES (0 picks that). */
void st_batcher_init(struct st_batcher *b, const char *namespace_, size_t max_bytes,
                     struct st_spool *spool, struct st_sender *sender);
void st_batcher_fini(struct st_batcher *b);
/* Packs a datum (borrowed). Seals first if the batch is full. Returns 0 or -ENOMEM. */
int st_batcher_add(struct st_batcher *b, const Stratus__MetricDatum *d);
/* Seals the batch if it has datums: spools it and kicks the sender. */
int st_batcher_flush(struct st_batcher *b);

#endif
