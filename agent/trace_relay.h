/* SPDX-License-Identifier: MIT */
/*
 * The agent as the local X-Ray daemon (traces.traces_collected.xray): a UDP listener on
 * bind_address (default 127.0.0.1:2000) that takes `{"format": "json", "version": 1}\n` +
 * segment datagrams, checks the header and the 64 KB limit, keeps the documents in a bounded
 * queue and forwards them in batches of up to 50 to the collector's /v1/PutTraceSegments.
 * Datagrams with a bad header, too big, or arriving while the queue is full are dropped,
 * counted and logged (rate-limited); nothing stops the listener. Loop thread only.
 */
#ifndef STRATUS_AGENT_TRACE_RELAY_H
#define STRATUS_AGENT_TRACE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "stratus/error.h"

#define ST_TRACE_RELAY_BATCH       50
#define ST_TRACE_RELAY_QUEUE_BYTES (16u << 20)

struct st_trace_relay_stats {
    uint64_t received, sent, bad_header, too_big, queue_full, rejected, send_failures;
};

struct st_trace_relay;

/* Binds bind_address and sends to endpoint_url ("http://host:port"). */
int st_trace_relay_new(struct event_base *base, const char *bind_address, const char *endpoint_url,
                       struct st_trace_relay **ret, struct st_error *err);
void st_trace_relay_get_stats(const struct st_trace_relay *r, struct st_trace_relay_stats *ret);
/* Sends what is queued now (shutdown); later datagrams still queue. */
void st_trace_relay_flush(struct st_trace_relay *r);
void st_trace_relay_free(struct st_trace_relay *r);

#endif
