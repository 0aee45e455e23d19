/* SPDX-License-Identifier: MIT */
/*
 * The agent's on-disk spool: a directory of sealed PutMetricData batches, one file each, named
 * by a sequence number so that they replay in the order they were made. Every sealed batch is
 * written here before it is sent (write to a temporary name, fdatasync, rename), so a kill -9
 * loses at most the batch still being built. The spool is bounded: past max_bytes the oldest
 * batches are deleted, counted and logged. Loop thread only; file I/O on a few-kB file per
 * batch is the one disk access the agent does on its loop.
 */
#ifndef STRATUS_AGENT_SPOOL_H
#define STRATUS_AGENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

struct st_spool;

struct st_spool_stats {
    uint64_t written, sent, dropped_full, dropped_rejected;
    uint64_t files, bytes;
};

/* Opens (creating) dir and indexes the batches left there by an earlier run. */
int st_spool_open(const char *dir, uint64_t max_bytes, bool sync, struct st_spool **ret,
                  struct st_error *err);
void st_spool_free(struct st_spool *s);

/* Adds a sealed batch (borrowed bytes). Drops the oldest batches if over the bound. */
int st_spool_push(struct st_spool *s, const uint8_t *batch, size_t len);

/*
 * Reads the oldest batch into *ret_buf (st_malloc'ed, the caller frees). Returns 0,
 * -ENOENT if the spool is empty, or another negative errno (that file is then skipped).
 */
int st_spool_peek(struct st_spool *s, uint8_t **ret_buf, size_t *ret_len);

/* Removes the oldest batch: it was delivered (rejected: the collector refused it for good). */
void st_spool_pop(struct st_spool *s, bool rejected);

size_t st_spool_count(const struct st_spool *s);
void st_spool_get_stats(const struct st_spool *s, struct st_spool_stats *ret);

#endif
