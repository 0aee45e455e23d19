/* SPDX-License-Identifier: MIT */
/*
 * The collector's internals, shared by collector.c (lifecycle, ticks, replay), api.c (HTTP
 * handlers) and list_metrics.c. Loop thread only.
 */
#ifndef STRATUS_COLLECTOR_COLLECTOR_PRIVATE_H
#define STRATUS_COLLECTOR_COLLECTOR_PRIVATE_H

#include <event2/http.h>

#include "collector.h"
#include "hot_window.h"
#include "query.h"
#include "store.h"
#include "stratus/arena.h"
#include "stratus/log.h"
#include "wal.h"

struct put_ctx {
    struct put_ctx *next_free;
    struct st_collector *c;
    struct evhttp_request *req;
    struct st_arena arena;
    Stratus__PutMetricDataRequest *msg;
    int64_t arrival_ms;
};

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
    struct event *tick_ev;
    int64_t marker_w1, marker_w60; /* watermarks last sent in a marker */
    uint64_t last_truncate_us;
    struct st_hot_walk walk; /* toward the next WAL truncation */
    bool walking;
    struct put_ctx *free_ctx;
    unsigned n_free_ctx;
    struct st_arena replay_arena;
    struct st_ratelimit bad_request_rl;
    bool failed; /* the WAL failed: refuse writes */
};

/* api.c */
int st_api_init(struct st_collector *c);
void st_api_send_error(struct evhttp_request *req, int status, const char *code,
                       const char *message);
void st_api_put_ctx_free_all(struct st_collector *c);
/* The query pool's done callback: replies to the GetMetricStatistics request. */
void st_api_on_query_done(struct st_query *q, void *data);

/* list_metrics.c: answers ListMetrics from the series table. */
int st_list_metrics(const struct st_hot *h, const Stratus__ListMetricsRequest *req, int64_t now_ms,
                    uint8_t **ret_reply, size_t *ret_len, struct st_error *err);

#endif
