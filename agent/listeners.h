/* SPDX-License-Identifier: MIT */
/*
 * The agent's UDP listeners: StatsD (the CloudWatch agent's statsd section) and collectd's
 * binary network protocol (its collectd section). Each owns its socket and turns packets into
 * datums through st_agent_submit. Malformed packets and lines are counted and logged
 * (rate-limited); they never stop the listener.
 */
#ifndef STRATUS_AGENT_LISTENERS_H
#define STRATUS_AGENT_LISTENERS_H

#include <stdint.h>

#include <event2/event.h>

#include "agent_private.h"
#include "stratus/error.h"

struct st_statsd_server;
int st_statsd_server_new(struct event_base *base, struct st_agent *a, struct st_statsd_server **ret,
                         struct st_error *err);
/* Sends what has been aggregated so far (SIGTERM, and every collection interval). */
void st_statsd_server_flush(struct st_statsd_server *s);
void st_statsd_server_free(struct st_statsd_server *s);

struct st_listener_stats {
    uint64_t datagrams, bad, datums;
    uint64_t dropped; /* datums the collector would refuse, and StatsD events over the caps */
};
void st_statsd_server_get_stats(const struct st_statsd_server *s, struct st_listener_stats *ret);

struct st_collectd_server;
int st_collectd_server_new(struct event_base *base, struct st_agent *a,
                           struct st_collectd_server **ret, struct st_error *err);
void st_collectd_server_free(struct st_collectd_server *s);
void st_collectd_server_get_stats(const struct st_collectd_server *s,
                                  struct st_listener_stats *ret);

#endif
