/* SPDX-License-Identifier: MIT */
/*
 * The collector's internals, shared by collector.c (lifecycle, ticks, replay), api.c (the native
 * HTTP front end), ops.c and the op modules (metric_ops.c, list_metrics.c). Loop thread only.
 */
#ifndef STRATUS_COLLECTOR_COLLECTOR_PRIVATE_H
#define STRATUS_COLLECTOR_COLLECTOR_PRIVATE_H

#include <event2/http.h>

#include "collector.h"
#include "dashboard_store.h"
#include "alarms.h"
#include "hot_window.h"
#include "op.h"
#include "query.h"
#include "store.h"
#include "trace_store.h"
#include "trace_udp.h"
#include "traces.pb-c.h"
#include "stratus/arena.h"
#include "stratus/log.h"
#include "wal.h"

struct st_collector {
    struct event_base *base;
    struct st_collector_opts opts;
    char wal_dir[4200];
    int lock_fd;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    uint16_t port;
    struct st_hot hot;
    struct st_wal *wal;
    struct st_store *store;
    struct st_query_pool *qpool;
    struct st_dash_store *dash; /* dashboard_store.h */
    struct event *tick_ev;
    int64_t marker_w1, marker_w60; /* watermarks last sent in a marker */
    uint64_t last_truncate_us;
    struct st_hot_walk walk; /* toward the next WAL truncation */
    bool walking;
    struct st_call *free_calls; /* op.h's call pool */
    unsigned n_free_calls;
    struct st_arena replay_arena;
    struct st_ratelimit bad_request_rl;
    bool failed;                    /* the WAL failed: refuse writes */
    struct st_alarms *alarms;       /* alarms.c: alarm table, scheduler, actions */
    struct st_trace_store *traces;  /* trace_store.h */
    struct st_trace_udp *trace_udp; /* the X-Ray daemon port, trace_udp.h */
    uint64_t traces_logged_invalid; /* invalid documents already logged */
    struct st_ratelimit traces_rl;
};

/* api.c */
int st_api_init(struct st_collector *c);
/* Replies with an AWS-shaped JSON error {"__type", "message"} (the native API's shape). */
void st_api_send_error(struct evhttp_request *req, int status, const char *code,
                       const char *message);
/* The HTTP reason phrase of a status. */
const char *st_api_status_reason(int status);
/* The largest request body op takes. */
size_t st_api_max_body(const struct st_collector *c, const struct st_op *op);
/* Writes the request's peer address "host:port" into buf. */
void st_api_peer(struct evhttp_request *req, char *buf, size_t size);

/* trace_ops.c: logs (rate-limited) documents the trace store rejected. Loop thread tick. */
void st_traces_tick(struct st_collector *c);
/* trace_ops.c: puts the trace store's metrics as PutMetricData in namespace Stratus/Traces,
 * through the same op (validation, WAL, hot window) as a client's. Loop thread. */
void st_traces_on_metrics(const struct st_trace_metric *m, size_t n, void *data);

/* list_metrics.c: answers ListMetrics from the series table. */
int st_list_metrics(const struct st_hot *h, const Stratus__ListMetricsRequest *req, int64_t now_ms,
                    uint8_t **ret_reply, size_t *ret_len, struct st_error *err);

#endif
