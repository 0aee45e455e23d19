/* SPDX-License-Identifier: MIT */
/*
 * Delivers the spooled batches of one endpoint, oldest first, one request at a time on a
 * keep-alive connection. A 200 removes the batch; a 4xx (the collector refused it for good)
 * removes it, counted and logged; anything else (no connection, timeout, 5xx, 429) keeps it and
 * retries after a backoff that doubles from 1 s to 30 s. Collection never waits on it.
 */
#ifndef STRATUS_AGENT_SENDER_H
#define STRATUS_AGENT_SENDER_H

#include <stdint.h>

#include <event2/event.h>

#include "spool.h"
#include "stratus/error.h"

struct st_sender;

struct st_sender_stats {
    uint64_t requests, delivered, rejected, failures;
};

/* Borrows spool, which must outlive the sender. */
int st_sender_new(struct event_base *base, const char *endpoint_url, struct st_spool *spool,
                  struct st_sender **ret, struct st_error *err);
/* A batch was spooled: start sending if idle (not during a backoff). */
void st_sender_kick(struct st_sender *s);
/* True when nothing is in flight and the spool is empty. */
bool st_sender_idle(const struct st_sender *s);
void st_sender_get_stats(const struct st_sender *s, struct st_sender_stats *ret);
void st_sender_free(struct st_sender *s);

#endif
