/* SPDX-License-Identifier: MIT */
/*
 * Collector lifecycle: open the data directory (locked against a second collector), load the
 * series index, replay the WAL into the hot window, start the WAL, store and query threads,
 * bind HTTP, and run the tick that advances the flush watermarks through MARKER records and
 * truncates the WAL behind what the store has made durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/time_util.h"

void st_collector_opts_default(struct st_collector_opts *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
    o->listen_port = 4780;
    o->max_body_bytes = ST_MAX_REQUEST_BYTES;
    o->grace1_s = 10;
    o->grace60_s = 120;
    o->tick_ms = 1000;
    o->wal_fsync = true;
    o->store_sync = true;
    o->store_batch_ms = 60000; /* RRD write-back: at most a minute behind the WAL */
    o->query_threads = 2;
    o->ready_fd = -1;
    o->alarm_tick_ms = 10000;
    o->alarm_hook_timeout_ms = 30000;
    o->trace_retention_s = 30 * 86400;
    o->trace_max_disk_bytes = 4ull << 30;
    o->trace_cache_bytes = 256u << 20;
    o->trace_metrics_ms = 10000;
}

uint16_t st_collector_port(const struct st_collector *c)
{
    return c->port;
}

static void on_job_done(struct st_store_job *job, void *data)
{
    struct st_collector *c = data;
    st_hot_job_done(&c->hot, job);
}

struct marker {
    struct st_collector *c;
    int64_t w1, w60;
};

static void on_marker_durable(uint64_t lsn, int status, void *data)
{
    struct marker m = *(struct marker *)data;
    struct st_collector *c = m.c;
    st_free(data);
    if (status < 0) {
        return; /* not in the log: the watermarks did not move */
    }
    struct st_store_job *job;
    if (st_hot_apply_marker(&c->hot, lsn, m.w1, m.w60, &job) < 0) {
        st_log_error("collector: out of memory applying a flush marker; exiting so that a "
                     "restart replays the log");
        exit(1);
    }
    if (job) {
        st_store_submit(c->store, job);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct st_collector *c = arg;
    int64_t now_s = st_wall_ms() / 1000;
    int64_t w1 = now_s - c->opts.grace1_s;
    int64_t w60 = now_s - c->opts.grace60_s;
    w60 -= ((w60 % 60) + 60) % 60;
    if (!c->failed && (w1 > c->marker_w1 || w60 > c->marker_w60)) {
        uint8_t *payload = st_malloc(16);
        struct marker *m = st_malloc(sizeof(*m));
        if (!payload || !m) {
            st_free(payload);
            st_free(m);
        } else {
            c->marker_w1 = w1 > c->marker_w1 ? w1 : c->marker_w1;
            c->marker_w60 = w60 > c->marker_w60 ? w60 : c->marker_w60;
            *m = (struct marker){c, c->marker_w1, c->marker_w60};
            st_put_le64(payload, (uint64_t)c->marker_w1);
            st_put_le64(payload + 8, (uint64_t)c->marker_w60);
            if (st_wal_append(c->wal, ST_WAL_MARKER, st_wall_ms(), payload, 16, on_marker_durable,
                              m, NULL) < 0) {
                st_free(m);
                c->failed = true;
                st_log_error("collector: the write-ahead log failed; refusing new data");
            }
        }
    }
    st_traces_tick(c);
    /* Every 10 s, a walk (64k slots a tick) finds how much of the WAL is still needed. */
    uint64_t now_us = st_mono_us();
    if (!c->walking && now_us - c->last_truncate_us >= 10 * 1000000ull) {
        c->last_truncate_us = now_us;
        /* Records after the newest confirmed job may not be applied yet: keep them. */
        st_hot_walk_start(&c->hot, &c->walk, c->hot.confirmed_lsn + 1);
        c->walking = true;
    }
    if (c->walking && st_hot_walk_step(&c->hot, &c->walk, 65536)) {
        c->walking = false;
        st_wal_truncate_before(c->wal, c->walk.oldest);
    }
}

struct replay_state {
    struct st_collector *c;
    uint64_t puts, markers;
};

static int on_replay(uint64_t lsn, enum st_wal_type type, int64_t arrival_ms,
                     const uint8_t *payload, size_t len, void *data)
{
    struct replay_state *rs = data;
    struct st_collector *c = rs->c;
    int64_t w1, w60;
    switch (type) {
    case ST_WAL_HEADER:
        if (st_wal_parse_watermarks(payload, len, &w1, &w60) < 0) {
            return -EBADMSG;
        }
        c->hot.w[ST_TIER_1S] = w1 > c->hot.w[ST_TIER_1S] ? w1 : c->hot.w[ST_TIER_1S];
        c->hot.w[ST_TIER_60S] = w60 > c->hot.w[ST_TIER_60S] ? w60 : c->hot.w[ST_TIER_60S];
        return 0;
    case ST_WAL_MARKER: {
        if (st_wal_parse_watermarks(payload, len, &w1, &w60) < 0) {
            return -EBADMSG;
        }
        struct st_store_job *job;
        int r = st_hot_apply_marker(&c->hot, lsn, w1, w60, &job);
        if (r < 0) {
            return r;
        }
        if (job) {
            st_store_submit(c->store, job);
        }
        rs->markers++;
        return 0;
    }
    case ST_WAL_PUT: {
        st_arena_reset(&c->replay_arena);
        Stratus__PutMetricDataRequest *msg = stratus__put_metric_data_request__unpack(
            st_arena_protobuf(&c->replay_arena), len, payload);
        if (!msg) {
            return -EBADMSG;
        }
        struct st_error err;
        int r = st_hot_apply_put(&c->hot, lsn, arrival_ms, msg, &err);
        if (r == -ENOMEM) {
            return r;
        }
        if (r < 0) {
            st_log_warning("collector: replay of record %" PRIu64 ": %s", lsn, err.message);
        }
        rs->puts++;
        return 0;
    }
    }
    return -EBADMSG;
}

static int on_load(uint64_t id, const uint8_t *key, size_t key_len, bool hires, void *data)
{
    struct st_collector *c = data;
    int r = st_hot_load_series(&c->hot, id, key, key_len, hires);
    if (r == -EBADMSG) {
        st_log_warning("collector: skipping a corrupt index row (id %016" PRIx64 ")", id);
        return 0;
    }
    return r;
}

static int make_dirs(struct st_collector *c, struct st_error *err)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", c->opts.data_dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
                return st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "cannot create %s: %s",
                                    buf, strerror(errno));
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
        return st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "cannot create %s: %s", buf,
                            strerror(errno));
    }
    snprintf(c->wal_dir, sizeof(c->wal_dir), "%s/wal", c->opts.data_dir);
    if (mkdir(c->wal_dir, 0750) < 0 && errno != EEXIST) {
        return st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "cannot create %s: %s",
                            c->wal_dir, strerror(errno));
    }
    char lock[4200];
    snprintf(lock, sizeof(lock), "%s/LOCK", c->opts.data_dir);
    c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (c->lock_fd < 0) {
        return st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "cannot open %s: %s", lock,
                            strerror(errno));
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        return st_error_set(err, -EBUSY, ST_ERR_INTERNAL_FAILURE,
                            "%s is in use by another stratus-collector", c->opts.data_dir);
    }
    return 0;
}

/* The query pool's callback: each query says who gets it (loop thread). */
static void on_query_done(struct st_query *q, void *data)
{
    (void)data;
    q->done(q, q->data);
}

int st_collector_new(struct event_base *base, const struct st_collector_opts *opts,
                     struct st_collector **ret, struct st_error *err)
{
    struct st_collector *c = st_calloc(1, sizeof(*c));
    if (!c) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    c->base = base;
    c->opts = *opts;
    c->lock_fd = -1;
    c->bad_request_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(10000, 10);
    c->traces_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    st_hot_init(&c->hot);
    st_arena_init(&c->replay_arena, 256 * 1024, 0);
    int r;
    if ((r = make_dirs(c, err)) < 0) {
        goto fail;
    }
    struct st_store_opts so = {.dir = c->opts.data_dir,
                               .sync = c->opts.store_sync,
                               .batch_ms = c->opts.store_batch_ms,
                               .batch_max_jobs = 600};
    uint64_t done_lsn;
    if ((r = st_store_open(base, &so, on_job_done, c, on_load, c, &done_lsn, &c->store, err)) < 0) {
        goto fail;
    }
    c->hot.done_lsn = done_lsn;
    c->hot.confirmed_lsn = done_lsn;

    struct replay_state rs = {.c = c};
    uint64_t next_lsn;
    uint64_t t0 = st_mono_us();
    if ((r = st_wal_replay(c->wal_dir, on_replay, &rs, &next_lsn, err)) < 0) {
        goto fail;
    }
    if (next_lsn <= done_lsn) {
        next_lsn = done_lsn + 1;
    }
    st_arena_fini(&c->replay_arena);
    st_log_info("collector: replayed %" PRIu64 " puts and %" PRIu64 " markers in %.1f ms "
                "(%zu series, %" PRIu64 " open buckets)",
                rs.puts, rs.markers, (double)(st_mono_us() - t0) / 1000.0, c->hot.series.len,
                c->hot.n_buckets);

    c->marker_w1 = c->hot.w[ST_TIER_1S];
    c->marker_w60 = c->hot.w[ST_TIER_60S];
    struct st_wal_opts wo = {
        .dir = c->wal_dir, .fsync = c->opts.wal_fsync, .w1 = c->marker_w1, .w60 = c->marker_w60};
    if ((r = st_wal_open(base, &wo, next_lsn, &c->wal, err)) < 0) {
        goto fail;
    }
    if ((r = st_query_pool_new(base, c->opts.data_dir, c->opts.query_threads, on_query_done, c,
                               &c->qpool)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "cannot start query threads");
        goto fail;
    }
    if ((r = st_dash_store_new(base, c->opts.data_dir, ST_DASH_LIST_PAGE, &c->dash)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "cannot start the dashboard store");
        goto fail;
    }
    if ((r = st_alarms_new(c, c->opts.alarm_tick_ms, c->opts.alarm_hook_timeout_ms, &c->alarms,
                           err)) < 0) {
        goto fail;
    }
    struct st_trace_store_opts to;
    st_trace_store_opts_default(&to);
    to.dir = c->opts.data_dir;
    to.sync = c->opts.wal_fsync;
    to.retention_s = c->opts.trace_retention_s;
    to.max_disk_bytes = c->opts.trace_max_disk_bytes;
    to.cache_bytes = c->opts.trace_cache_bytes;
    to.metrics = st_traces_on_metrics;
    to.metrics_data = c;
    to.metrics_ms = c->opts.trace_metrics_ms;
    if ((r = st_trace_store_open(base, &to, &c->traces, err)) < 0) {
        goto fail;
    }
    if ((r = st_api_init(c)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "cannot listen on %s:%u: %s",
                     c->opts.listen_host, c->opts.listen_port, strerror(-r));
        goto fail;
    }
    /* X-Ray segments arrive on UDP at the HTTP address and port number. */
    if ((r = st_trace_udp_new(base, c->opts.listen_host, c->port, c->traces, &c->trace_udp, err)) <
        0) {
        goto fail;
    }
    c->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, c);
    if (!c->tick_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    struct timeval tv = {c->opts.tick_ms / 1000, (c->opts.tick_ms % 1000) * 1000};
    event_add(c->tick_ev, &tv);
    c->last_truncate_us = st_mono_us();
    on_tick(-1, 0, c);
    *ret = c;
    return 0;
fail:
    st_collector_free(c);
    return r;
}

void st_collector_free(struct st_collector *c)
{
    if (!c) {
        return;
    }
    if (c->tick_ev) {
        event_free(c->tick_ev);
    }
    if (c->sock && c->http) {
        evhttp_del_accept_socket(c->http, c->sock);
        c->sock = NULL;
    }
    /* Stored segments first: the worker drains its queue and answers pending calls. */
    st_trace_udp_free(c->trace_udp);
    st_trace_store_free(c->traces);
    /* Writes first (their callbacks reply and hand jobs), then queries, then the store. */
    st_wal_free(c->wal);
    c->wal = NULL;
    st_query_pool_free(c->qpool);
    st_dash_store_free(c->dash);
    st_alarms_free(c->alarms); /* after the pool: its last callbacks may reach alarms */
    st_store_free(c->store);
    if (c->http) {
        evhttp_free(c->http);
    }
    st_call_pool_free(c);
    st_hot_fini(&c->hot);
    st_arena_fini(&c->replay_arena);
    if (c->lock_fd >= 0) {
        close(c->lock_fd);
    }
    st_free(c);
}
