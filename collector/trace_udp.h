/* SPDX-License-Identifier: MIT */
/*
 * The collector's X-Ray daemon port: a UDP socket on the HTTP listen address and port number
 * that takes `{"format": "json", "version": 1}\n` + segment datagrams, checks the header and
 * the 64 KB limit on the loop thread and hands the documents in batches to the trace store.
 * Datagrams with a bad header, too big, or arriving while the store's queue is full are
 * dropped, counted, and logged at most a few times a minute; so are the socket's own drops
 * (SO_RXQ_OVFL). The receiver borrows the store, which must outlive it.
 */
#ifndef STRATUS_COLLECTOR_TRACE_UDP_H
#define STRATUS_COLLECTOR_TRACE_UDP_H

#include <stdint.h>

#include <event2/event.h>

#include "stratus/error.h"
#include "trace_store.h"

struct st_trace_udp_stats {
    uint64_t datagrams, bad_header, too_big, queue_full, socket_drops;
};

struct st_trace_udp;

/* Binds host:port (UDP) and starts reading on base. */
int st_trace_udp_new(struct event_base *base, const char *host, uint16_t port,
                     struct st_trace_store *store, struct st_trace_udp **ret, struct st_error *err);
void st_trace_udp_free(struct st_trace_udp *u);
const struct st_trace_udp_stats *st_trace_udp_stats(const struct st_trace_udp *u);

#endif
