/* SPDX-License-Identifier: MIT */
/*
 * The collector process object: it owns the hot window, the WAL, the store, the query pool and
 * the HTTP server, wires them together and runs the flush ticks. main() builds the options,
 * creates one on its event_base and runs the loop.
 */
#ifndef STRATUS_COLLECTOR_COLLECTOR_H
#define STRATUS_COLLECTOR_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "sigv4.h"
#include "stratus/error.h"

struct st_collector_opts {
    char listen_host[256];
    uint16_t listen_port; /* 0: any free port */
    char data_dir[4096];
    size_t max_body_bytes; /* PutMetricData body limit (CloudWatch: 1 MB) */
    int64_t grace1_s;      /* flush a 1 s bucket this long after it closes */
    int64_t grace60_s;     /* flush a 60 s bucket this long after it closes */
    int tick_ms;           /* how often the watermarks may advance */
    bool wal_fsync;
    bool store_sync;
    unsigned store_batch_ms; /* hold store jobs this long to write each RRD file once (0: no) */
    bool allow_aws_namespace;
    unsigned query_threads;
    int ready_fd; /* >= 0: write "PORT\n" here once listening, then close it */
    /* SigV4 access keys (config "access_keys"): with none, AWS-protocol signatures are parsed
     * but not verified, which is allowed on loopback addresses only. */
    struct st_sigv4_keys access_keys;
    int alarm_tick_ms;             /* alarm evaluation tick (10 s; >= 60 s alarms every 6th) */
    int alarm_hook_timeout_ms;     /* exec hooks and webhooks are cut off after this */
    char webhook_ca_file[4096];    /* https webhooks also trust these PEM CAs ("": system's) */
    int64_t trace_retention_s;     /* keep traces this long after they arrive (30 days) */
    uint64_t trace_max_disk_bytes; /* traces.db budget; the oldest traces go first */
    size_t trace_cache_bytes;      /* memory for recent traces kept parsed */
    unsigned trace_metrics_ms;     /* Stratus/Traces metrics are put this often (10 s) */
};

void st_collector_opts_default(struct st_collector_opts *o);

struct st_collector;

/* Opens the data directory, replays the WAL, binds the HTTP server. */
int st_collector_new(struct event_base *base, const struct st_collector_opts *opts,
                     struct st_collector **ret, struct st_error *err);
/* The bound port (useful with listen_port 0). */
uint16_t st_collector_port(const struct st_collector *c);
/* Drains the WAL and the store, then frees everything. NULL ok. */
void st_collector_free(struct st_collector *c);

#endif
