/* SPDX-License-Identifier: MIT */
/*
 * What the agent core offers its listeners (statsd_server.c, collectd_server.c). Loop thread
 * only.
 */
#ifndef STRATUS_AGENT_AGENT_PRIVATE_H
#define STRATUS_AGENT_AGENT_PRIVATE_H

#include <sys/socket.h>

#include "agent.h"
#include "stratus.pb-c.h"

/*
 * Sends a datum built from outside data: adds the host and appended dimensions, checks it as
 * the collector will (an invalid datum would make the collector refuse its whole batch), and
 * hands it to the shard of its series. d and everything it points to are borrowed for the call.
 * Returns 0, or -EINVAL when the datum was dropped as invalid.
 */
int st_agent_submit(struct st_agent *a, Stratus__MetricDatum *d);

const struct st_agent_config *st_agent_config(const struct st_agent *a);

/* Parses "udp://host:port", "host:port", ":port" (host 127.0.0.1) or "[v6]:port". */
int st_agent_parse_udp_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

/* A non-blocking UDP socket bound to addr with a large receive buffer; -errno on failure. */
int st_agent_udp_socket(const struct sockaddr_storage *addr, socklen_t len);

#endif
