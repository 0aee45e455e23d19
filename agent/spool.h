/* SPDX-License-Identifier: MIT */
/*
 * The agent's on-disk spool: an append-only log of sealed PutMetricData batches in segment
 * files, replayed in the order the batches were made. Every sealed batch is appended to the
 * open tail segment before it is sent, so a kill -9 (the page cache outlives the process) loses
 * at most the batch still being built. A batch is fdatasync'd when it has to wait: appended
 * behind others, or not delivered at its first attempt (the sender calls st_spool_sync), so
 * what a power loss can take is the batch of the send under way, never a backlog. Segments are
 * zero-filled when created, so an append overwrites data blocks only and its fdatasync has no
 * file size or extent to commit. A small cursor file holds the
 * sequence number of the oldest batch not yet delivered (rewritten in place, not synced: a kill
 * -9 keeps it; a power loss may resend a few delivered batches). A record is a 24-byte header
 * (magic, length, sequence, checksum over both) and the batch; at open every segment is
 * scanned, and the first record that does not check (a torn tail after a crash) ends it. The
 * spool is bounded: past max_bytes the oldest batches are dropped, counted and logged. The
 * newest batch is also kept in memory, so the usual send does not read the disk. Loop thread
 * only: an append of a few kB (and, while batches wait, its fdatasync) is the one disk access
 * the agent does there.
 */
#ifndef STRATUS_AGENT_SPOOL_H
#define STRATUS_AGENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

struct st_spool;

struct st_spool_stats {
    uint64_t written, sent, dropped_full, dropped_rejected, dropped_corrupt;
    uint64_t syncs; /* fdatasyncs of appended batches (counted, not done, with sync false) */
    uint64_t batches, bytes; /* waiting to be sent */
    uint64_t segments;       /* segment files */
};

/*
 * Opens (creating) dir and indexes the batches left there by an earlier run. sync false skips
 * the fdatasyncs (tests only).
 */
int st_spool_open(const char *dir, uint64_t max_bytes, bool sync, struct st_spool **ret,
                  struct st_error *err);
void st_spool_free(struct st_spool *s);

/*
 * Appends a sealed batch (borrowed bytes): durably (fdatasync'd) when older batches are still
 * to be sent, else to the page cache until st_spool_sync. Drops the oldest batches if over the
 * bound.
 */
int st_spool_push(struct st_spool *s, const uint8_t *batch, size_t len);

/* Makes every appended batch durable: the sender calls it when a send fails. 0 or -errno. */
int st_spool_sync(struct st_spool *s);

/*
 * Points *ret_buf at the oldest batch, valid until the next call on the spool. Returns 0,
 * -ENOENT if the spool is empty, or another negative errno (pop then skips that batch).
 */
int st_spool_peek(struct st_spool *s, const uint8_t **ret_buf, size_t *ret_len);

/* Removes the oldest batch: it was delivered (rejected: the collector refused it for good). */
void st_spool_pop(struct st_spool *s, bool rejected);

size_t st_spool_count(const struct st_spool *s);
void st_spool_get_stats(const struct st_spool *s, struct st_spool_stats *ret);

#endif
