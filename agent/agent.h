/* SPDX-License-Identifier: MIT */
/*
 * The stratus-agent process object: it runs each configured metric section on its own timer,
 * aligned to the section's interval, turns what the sources emit into CloudWatch datums (names,
 * units, the host and appended dimensions, aggregation dimensions), and hands them to one
 * batcher/spool/sender per collector endpoint (several endpoints shard series by their key).
 */
#ifndef STRATUS_AGENT_AGENT_H
#define STRATUS_AGENT_AGENT_H

#include <event2/event.h>

#include "agent_config.h"
#include "stratus/error.h"

struct st_agent;

/* Copies cfg. root is where /proc and the mounts are read ("/" normally). */
int st_agent_new(struct event_base *base, const struct st_agent_config *cfg, const char *root,
                 struct st_agent **ret, struct st_error *err);

/*
 * Stops collecting, seals every batch being built into the spool, and gives the senders up to
 * `grace_ms` to deliver (running the loop); what is left stays spooled for the next start.
 */
void st_agent_shutdown(struct st_agent *a, int grace_ms);

void st_agent_free(struct st_agent *a);

#endif
