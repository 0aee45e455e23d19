/* SPDX-License-Identifier: MIT */
/*
 * The collector's write-ahead log. Records are appended by the event-loop thread and written by
 * a WAL thread that group-commits: it takes every record queued since its last write, writes
 * them with one writev and makes them durable with one fdatasync, then hands them back to the
 * loop thread, which runs each record's callback in LSN order. A PutMetricData is acknowledged
 * from that callback, so an acknowledged datum is always on disk.
 *
 * On disk: a directory of segment files named by the first LSN they hold (16 hex digits +
 * ".wal"). Each segment starts with a HEADER record carrying the flush watermarks in force at
 * its start, so replay can begin at any retained segment. Record framing, little-endian:
 *   u32 magic "STWR" | u32 payload length | u64 lsn | i64 arrival_ms | u8 type | 3 pad |
 *   u64 xxh3 of (lsn, arrival_ms, type, payload) | payload
 * A torn or corrupt record ends the last segment (the tail of a crash); anywhere else it is an
 * error that stops the collector from starting rather than silently dropping data.
 */
#ifndef STRATUS_COLLECTOR_WAL_H
#define STRATUS_COLLECTOR_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "stratus/error.h"

enum st_wal_type {
    ST_WAL_HEADER = 1, /* payload: i64 w1, i64 w60 (watermarks, seconds) */
    ST_WAL_PUT = 2,    /* payload: a validated PutMetricDataRequest */
    ST_WAL_MARKER = 3, /* payload: i64 w1, i64 w60: the flush watermarks advance */
};

#define ST_WAL_RECORD_HEADER_BYTES 40
#define ST_WAL_MAX_PAYLOAD         (64u * 1024 * 1024)

struct st_wal;

/*
 * Runs on the loop thread once the record is durable (status 0) or could not be written
 * (negative errno; the record is then not in the log). Callbacks run in LSN order and must not
 * block.
 */
typedef void (*st_wal_done_fn)(uint64_t lsn, int status, void *data);

struct st_wal_opts {
    const char *dir;
    size_t segment_bytes; /* rotate after this many bytes; 0: 64 MiB */
    bool fsync;           /* false only for tests and benchmarks that say so */
    int64_t w1, w60;      /* watermarks in force, for the first segment's header */
};

/* Starts the WAL thread and opens a new segment at next_lsn. Existing segments are kept. */
int st_wal_open(struct event_base *base, const struct st_wal_opts *opts, uint64_t next_lsn,
                struct st_wal **ret, struct st_error *err);

/*
 * Queues a record. Takes ownership of payload (freed with st_free once written). *ret_lsn gets
 * the record's LSN. Fails only with -ENOMEM or -EIO after a write error (the log is then
 * read-only and the collector should stop accepting data).
 */
int st_wal_append(struct st_wal *w, enum st_wal_type type, int64_t arrival_ms, uint8_t *payload,
                  size_t len, st_wal_done_fn cb, void *data, uint64_t *ret_lsn);

/* Deletes the closed segments that hold only records with LSN < lsn (asynchronously). */
void st_wal_truncate_before(struct st_wal *w, uint64_t lsn);

/* Reads the two watermarks of a HEADER or MARKER payload. Returns 0 or -EBADMSG. */
int st_wal_parse_watermarks(const uint8_t *payload, size_t len, int64_t *ret_w1, int64_t *ret_w60);

/* Counters for tests and benchmarks. */
struct st_wal_stats {
    uint64_t records;
    uint64_t bytes;
    uint64_t syncs;
    uint64_t segments_deleted;
};
void st_wal_get_stats(struct st_wal *w, struct st_wal_stats *ret);

/* Writes what is queued, runs the callbacks, stops the thread and frees the WAL. NULL ok. */
void st_wal_free(struct st_wal *w);

/*
 * Replays every record of every segment in dir, oldest first, calling fn for each (HEADER
 * records included). fn returns 0 or a negative errno, which stops the replay. A torn tail of
 * the newest segment is truncated away. Returns 0 and the LSN after the last record in
 * *ret_next_lsn (1 for an empty log), or a negative errno with err set.
 */
typedef int (*st_wal_replay_fn)(uint64_t lsn, enum st_wal_type type, int64_t arrival_ms,
                                const uint8_t *payload, size_t len, void *data);
/*
 * Parses the records of one segment held in buf, calling fn for each, and checks that LSNs
 * increase from *next_lsn (updated). Returns 0, -EBADMSG at the first bad or torn record
 * (*ret_good is then the offset after the last good one), or fn's error.
 */
int st_wal_parse(const uint8_t *buf, size_t size, st_wal_replay_fn fn, void *data,
                 uint64_t *next_lsn, size_t *ret_good);

int st_wal_replay(const char *dir, st_wal_replay_fn fn, void *data, uint64_t *ret_next_lsn,
                  struct st_error *err);

#endif
