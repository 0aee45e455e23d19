/* SPDX-License-Identifier: MIT */
/*
 * The agent core (see agent.h). Everything runs on the event-loop thread: a section's
 * collection reads a few small /proc files, and the only disk write is the spool's, once per
 * sealed batch.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_private.h"
#include "batcher.h"
#include "listeners.h"
#include "sender.h"
#include "spool.h"
#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/series_key.h"
#include "stratus/time_util.h"
#include "trace_relay.h"

#define MAX_DIMS ST_MAX_DIMENSIONS

struct section_run {
    struct st_emitter emitter; /* first: the emit callback finds the run from it */
    struct st_agent *a;
    const struct st_section_cfg *cfg;
    enum st_section_id id;
    void *state;
    int64_t interval_s;
    int64_t ts_ms;   /* the aligned time of the collection in progress */
    int64_t next_ms; /* the aligned time of its next collection */
    struct st_ratelimit err_rl;
};

struct shard {
    struct st_spool *spool;
    struct st_sender *sender;
    struct st_batcher batcher;
};

struct st_agent {
    struct event_base *base;
    struct st_agent_config *cfg;
    char root[PATH_MAX];
    char hostname[256];
    struct section_run runs[ST_N_SECTIONS];
    struct shard shards[ST_AGENT_MAX_ENDPOINTS];
    size_t n_shards;
    /*
     * One timer serves every section: it fires at the earliest next_ms of them, and each
     * section due then collects in that one wakeup. Batches are sealed on a grid of
     * force_flush_interval shifted by flush_phase_ms; when the grid falls on collections
     * (flush_on_tick) the tick seals right after collecting, and flush_ev, FLUSH_SLACK_MS
     * behind the grid point, only stands in for a tick that did not come.
     */
    struct event *tick_ev;
    int64_t tick_ms;
    struct event *flush_ev;
    int64_t flush_ms, flush_phase_ms, next_flush_ms;
    bool flush_on_tick;
    struct st_statsd_server *statsd;
    struct st_collectd_server *collectd;
    struct st_trace_relay *trace_relay; /* traces.traces_collected.xray */
    uint64_t invalid_dropped;
    struct st_ratelimit invalid_rl;
    bool stopping;
};

const struct st_agent_config *st_agent_config(const struct st_agent *a)
{
    return a->cfg;
}

/* ${aws:...} placeholders of CloudWatch configs: there is no EC2 metadata service here. */
static const char *resolve(const struct st_agent *a, const char *value)
{
    if (strncmp(value, "${aws:", 6) != 0) {
        return value;
    }
    if (strcmp(value, "${aws:InstanceId}") == 0) {
        return a->hostname;
    }
    return NULL; /* ImageId, InstanceType, AutoScalingGroupName: unknown, dimension omitted */
}

static int add_dim(Stratus__Dimension *dims, Stratus__Dimension **ptrs, size_t *n, const char *name,
                   const char *value)
{
    if (!value || *n >= MAX_DIMS) {
        return 0;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(dims[i].name, name) == 0) {
            return 0; /* the first one wins: source, then host, then appended */
        }
    }
    stratus__dimension__init(&dims[*n]);
    dims[*n].name = (char *)name;
    dims[*n].value = (char *)value;
    ptrs[*n] = &dims[*n];
    (*n)++;
    return 1;
}

static size_t shard_of(const struct st_agent *a, const Stratus__MetricDatum *d)
{
    if (a->n_shards == 1) {
        return 0;
    }
    uint8_t key[ST_SERIES_KEY_MAX];
    size_t len;
    enum st_unit unit = ST_UNIT_NONE;
    if (d->unit) {
        st_unit_parse(d->unit, &unit);
    }
    if (st_series_key_build_pb(a->cfg->namespace_, d->metric_name, d->dimensions, d->n_dimensions,
                               unit, key, &len) < 0) {
        return 0;
    }
    return (size_t)(st_series_id(key, len) % a->n_shards);
}

static void send_datum(struct st_agent *a, Stratus__MetricDatum *d)
{
    struct shard *sh = &a->shards[shard_of(a, d)];
    if (st_batcher_add(&sh->batcher, d) < 0) {
        st_log_error("agent: out of memory building a batch; datum dropped");
    }
}

/* Adds the host and the appended dimensions (section ones first) after the datum's own. */
static void add_common_dims(const struct st_agent *a, const struct st_section_cfg *sc,
                            Stratus__Dimension *dims, Stratus__Dimension **ptrs, size_t *n)
{
    if (!a->cfg->omit_hostname) {
        add_dim(dims, ptrs, n, "host", a->hostname);
    }
    for (size_t i = 0; sc && i < sc->n_append; i++) {
        add_dim(dims, ptrs, n, sc->append[i].key, resolve(a, sc->append[i].value));
    }
    for (size_t i = 0; i < a->cfg->n_append; i++) {
        add_dim(dims, ptrs, n, a->cfg->append[i].key, resolve(a, a->cfg->append[i].value));
    }
}

int st_agent_submit(struct st_agent *a, Stratus__MetricDatum *d)
{
    Stratus__Dimension dims[MAX_DIMS], *ptrs[MAX_DIMS];
    size_t n = 0;
    for (size_t i = 0; i < d->n_dimensions; i++) {
        add_dim(dims, ptrs, &n, d->dimensions[i]->name, d->dimensions[i]->value);
    }
    add_common_dims(a, NULL, dims, ptrs, &n);
    Stratus__Dimension **own = d->dimensions;
    size_t n_own = d->n_dimensions;
    d->dimensions = ptrs;
    d->n_dimensions = n;
    /* One bad datum would make the collector refuse its whole batch: check it here. */
    Stratus__PutMetricDataRequest req = STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    Stratus__MetricDatum *one = d;
    req.namespace_ = a->cfg->namespace_;
    req.metric_data = &one;
    req.n_metric_data = 1;
    struct st_error err;
    int r = st_validate_put_metric_data(&req, st_wall_ms(), NULL, &err);
    if (r < 0) {
        a->invalid_dropped++;
        if (st_ratelimit_allow(&a->invalid_rl)) {
            st_log_warning("agent: dropping a datum the collector would refuse: %s (%llu so "
                           "far)",
                           err.message, (unsigned long long)a->invalid_dropped);
        }
    } else {
        send_datum(a, d);
    }
    d->dimensions = own;
    d->n_dimensions = n_own;
    return r;
}

static void emit(struct st_emitter *e, const char *measurement, enum st_unit unit, double value,
                 const struct st_dim_kv *sdims, size_t n_sdims)
{
    struct section_run *run = (struct section_run *)e;
    struct st_agent *a = run->a;
    const struct st_section_cfg *sc = run->cfg;
    const struct st_measure_cfg *mc = NULL;
    if (!sc->all_measurements) {
        for (size_t i = 0; i < sc->n_meas && !mc; i++) {
            if (strcmp(sc->meas[i].name, measurement) == 0) {
                mc = &sc->meas[i];
            }
        }
        if (!mc) {
            return;
        }
    }
    char name[ST_AGENT_STR + 64];
    if (mc && mc->rename[0]) {
        snprintf(name, sizeof(name), "%s", mc->rename);
    } else {
        snprintf(name, sizeof(name), "%s_%s", st_section_name(run->id), measurement);
    }
    Stratus__Dimension dims[MAX_DIMS], *ptrs[MAX_DIMS];
    size_t n = 0;
    for (size_t i = 0; i < n_sdims; i++) {
        add_dim(dims, ptrs, &n, sdims[i].name, sdims[i].value);
    }
    add_common_dims(a, sc, dims, ptrs, &n);
    Stratus__MetricDatum d = STRATUS__METRIC_DATUM__INIT;
    d.metric_name = name;
    d.dimensions = ptrs;
    d.n_dimensions = n;
    d.has_timestamp_ms = true;
    d.timestamp_ms = run->ts_ms;
    d.has_value = true;
    d.value = value;
    d.unit = (char *)st_unit_name(mc && mc->has_unit ? mc->unit : unit);
    d.has_storage_resolution = true;
    d.storage_resolution = run->interval_s < 60 ? 1 : 60;
    send_datum(a, &d);

    /* aggregation_dimensions: the same value again under each listed subset of dimensions. */
    for (size_t k = 0; k < a->cfg->n_agg; k++) {
        const struct st_agg_set *set = &a->cfg->agg[k];
        if (set->n == n) {
            continue; /* the full set: that is the datum already sent */
        }
        Stratus__Dimension *sub[MAX_DIMS];
        size_t m = 0;
        for (size_t j = 0; j < set->n; j++) {
            for (size_t i = 0; i < n; i++) {
                if (strcmp(dims[i].name, set->dims[j]) == 0) {
                    sub[m++] = &dims[i];
                    break;
                }
            }
        }
        if (m != set->n) {
            continue; /* the datum lacks one of the set's dimensions */
        }
        d.dimensions = sub;
        d.n_dimensions = m;
        send_datum(a, &d);
    }
}

/* How long flush_ev waits behind a grid point that a tick should have sealed at. */
#define FLUSH_SLACK_MS 100

/* The first multiple of step + phase after t. */
static int64_t next_on_grid(int64_t t, int64_t step, int64_t phase)
{
    return phase + ((t - phase) / step + 1) * step;
}

static void add_timer_at(struct event *ev, int64_t at_ms)
{
    /* libevent adds the delay to the time its loop woke at, which is earlier than now. */
    event_base_update_cache_time(event_get_base(ev));
    int64_t delay = at_ms - st_wall_ms();
    if (delay < 0) {
        delay = 0;
    }
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    evtimer_add(ev, &tv);
}

/* Arms the tick for the earliest next collection of the sections. */
static void arm_tick(struct st_agent *a)
{
    int64_t next = INT64_MAX;
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        if (a->runs[i].cfg && a->runs[i].next_ms < next) {
            next = a->runs[i].next_ms;
        }
    }
    if (next != INT64_MAX) {
        a->tick_ms = next;
        add_timer_at(a->tick_ev, next);
    }
}

static void seal_all(struct st_agent *a)
{
    for (size_t i = 0; i < a->n_shards; i++) {
        st_batcher_flush(&a->shards[i].batcher);
    }
}

/* Seals the batches and sets the next grid point (and flush_ev behind it). */
static void flush_now(struct st_agent *a)
{
    seal_all(a);
    int64_t from = st_wall_ms();
    if (from < a->next_flush_ms) {
        from = a->next_flush_ms;
    }
    a->next_flush_ms = next_on_grid(from, a->flush_ms, a->flush_phase_ms);
    if (!a->stopping) {
        add_timer_at(a->flush_ev, a->next_flush_ms + (a->flush_on_tick ? FLUSH_SLACK_MS : 0));
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct st_agent *a = arg;
    if (st_wall_ms() < a->tick_ms) {
        /* Early: the monotonic clock of the timer and the wall clock of the grid drift apart
         * (NTP slews the latter). A collection stamped with an instant must follow it. */
        add_timer_at(a->tick_ev, a->tick_ms);
        return;
    }
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        struct section_run *run = &a->runs[i];
        if (!run->cfg || run->next_ms > a->tick_ms) {
            continue;
        }
        run->ts_ms = run->next_ms;
        int r = run->cfg->ops->collect(run->state, &run->emitter);
        if (r < 0 && st_ratelimit_allow(&run->err_rl)) {
            st_log_warning("agent: %s: collection failed: %s (non-fatal)", st_section_name(run->id),
                           strerror(-r));
        }
        /* The next multiple of the interval (after a stall: the next one still to come). */
        int64_t now = st_wall_ms();
        run->next_ms = next_on_grid(now > run->ts_ms ? now : run->ts_ms, run->interval_s * 1000, 0);
    }
    if (a->flush_on_tick && a->tick_ms >= a->next_flush_ms) {
        flush_now(a); /* after every section due at this instant */
    }
    if (!a->stopping) {
        arm_tick(a);
    }
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    flush_now(arg);
}

/*
 * The flush grid: every force_flush_interval, at a phase taken from the start time, so that
 * the agents of a fleet, started at different moments, do not all send at once. When the
 * shortest section interval divides force_flush_interval, the phase is rounded down to a
 * multiple of it: every grid point is then a collection instant too, and the seal rides on
 * that tick instead of waking the agent once more. Unless that would leave a single slot for a
 * long interval (force_flush_interval equal to a section interval of 10 s or more: every agent
 * would then send on the same second), where a wakeup is cheap and spreading matters more.
 */
static void set_flush_grid(struct st_agent *a, int64_t start_ms)
{
    a->flush_ms = a->cfg->force_flush_s * 1000;
    int64_t shortest = INT64_MAX;
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        if (a->runs[i].cfg && a->runs[i].interval_s * 1000 < shortest) {
            shortest = a->runs[i].interval_s * 1000;
        }
    }
    a->flush_phase_ms = start_ms % a->flush_ms;
    a->flush_on_tick = shortest != INT64_MAX && a->flush_ms % shortest == 0 &&
                       (a->flush_ms / shortest >= 2 || a->flush_ms < 10000);
    if (a->flush_on_tick) {
        a->flush_phase_ms = a->flush_phase_ms / shortest * shortest;
    }
    a->next_flush_ms = next_on_grid(start_ms, a->flush_ms, a->flush_phase_ms);
    add_timer_at(a->flush_ev, a->next_flush_ms + (a->flush_on_tick ? FLUSH_SLACK_MS : 0));
}

void st_agent_free(struct st_agent *a)
{
    if (!a) {
        return;
    }
    if (a->tick_ev) {
        event_free(a->tick_ev);
    }
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        struct section_run *run = &a->runs[i];
        if (run->state) {
            run->cfg->ops->fini(run->state);
        }
    }
    for (size_t i = 0; i < a->n_shards; i++) {
        st_batcher_fini(&a->shards[i].batcher);
        st_sender_free(a->shards[i].sender);
        st_spool_free(a->shards[i].spool);
    }
    if (a->flush_ev) {
        event_free(a->flush_ev);
    }
    st_statsd_server_free(a->statsd);
    st_collectd_server_free(a->collectd);
    st_trace_relay_free(a->trace_relay);
    st_free(a->cfg);
    st_free(a);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

void st_agent_shutdown(struct st_agent *a, int grace_ms)
{
    a->stopping = true;
    if (a->tick_ev) {
        evtimer_del(a->tick_ev);
    }
    if (a->flush_ev) {
        evtimer_del(a->flush_ev);
    }
    struct st_listener_stats ls;
    if (a->statsd) {
        st_statsd_server_flush(a->statsd); /* the aggregates gathered so far go too */
        st_statsd_server_get_stats(a->statsd, &ls);
        st_log_info("statsd: %llu datagrams, %llu malformed lines dropped, %llu datums sent, "
                    "%llu dropped",
                    (unsigned long long)ls.datagrams, (unsigned long long)ls.bad,
                    (unsigned long long)ls.datums, (unsigned long long)ls.dropped);
    }
    if (a->collectd) {
        st_collectd_server_get_stats(a->collectd, &ls);
        st_log_info("collectd: %llu datagrams, %llu malformed or unauthenticated dropped, %llu "
                    "datums sent, %llu dropped",
                    (unsigned long long)ls.datagrams, (unsigned long long)ls.bad,
                    (unsigned long long)ls.datums, (unsigned long long)ls.dropped);
    }
    if (a->trace_relay) {
        struct st_trace_relay_stats ts;
        st_trace_relay_flush(a->trace_relay); /* the segments queued so far go too */
        st_trace_relay_get_stats(a->trace_relay, &ts);
        st_log_info("traces: %llu datagrams, %llu segments sent, %llu bad header, %llu over "
                    "64 KB, %llu queue full, %llu refused",
                    (unsigned long long)ts.received, (unsigned long long)ts.sent,
                    (unsigned long long)ts.bad_header, (unsigned long long)ts.too_big,
                    (unsigned long long)ts.queue_full, (unsigned long long)ts.rejected);
    }
    seal_all(a);
    struct event *deadline = evtimer_new(a->base, on_grace, a->base);
    struct timeval tv = {grace_ms / 1000, (grace_ms % 1000) * 1000};
    if (deadline) {
        evtimer_add(deadline, &tv);
    }
    for (;;) {
        bool idle = true;
        for (size_t i = 0; i < a->n_shards; i++) {
            idle &= st_sender_idle(a->shards[i].sender);
        }
        if (idle || !deadline || !evtimer_pending(deadline, NULL)) {
            break;
        }
        event_base_loop(a->base, EVLOOP_ONCE);
    }
    if (deadline) {
        event_free(deadline);
    }
    size_t left = 0;
    for (size_t i = 0; i < a->n_shards; i++) {
        left += st_spool_count(a->shards[i].spool);
    }
    st_log_info("agent: stopped; %zu batches stay spooled for the next start", left);
}

/*
 * The configuration is about 450 kB, nearly all of it empty resource and measurement arrays.
 * dst is fresh from calloc (zero pages the kernel has not mapped yet): copying only the pages
 * of src that hold something keeps the rest of it out of the resident set.
 */
static void copy_sparse(void *dst, const void *src, size_t len)
{
    static const uint8_t zero[4096];
    for (size_t off = 0; off < len; off += sizeof(zero)) {
        size_t n = len - off < sizeof(zero) ? len - off : sizeof(zero);
        if (memcmp((const uint8_t *)src + off, zero, n) != 0) {
            memcpy((uint8_t *)dst + off, (const uint8_t *)src + off, n);
        }
    }
}

int st_agent_new(struct event_base *base, const struct st_agent_config *cfg, const char *root,
                 struct st_agent **ret, struct st_error *err)
{
    struct st_agent *a = st_calloc(1, sizeof(*a));
    int r = -ENOMEM;
    if (!a || !(a->cfg = st_calloc(1, sizeof(*a->cfg)))) {
        st_free(a);
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "agent: out of memory");
    }
    copy_sparse(a->cfg, cfg, sizeof(*cfg));
    a->base = base;
    snprintf(a->root, sizeof(a->root), "%s", root ? root : "/");
    if (gethostname(a->hostname, sizeof(a->hostname) - 1) < 0 || !a->hostname[0]) {
        snprintf(a->hostname, sizeof(a->hostname), "localhost");
    }

    char spool_base[PATH_MAX];
    if (cfg->spool_dir[0]) {
        snprintf(spool_base, sizeof(spool_base), "%s", cfg->spool_dir);
    } else {
        const char *state = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
        const char *home = getenv("HOME");
        if (state && *state) {
            snprintf(spool_base, sizeof(spool_base), "%s/spool", state);
        } else if (xdg && *xdg) {
            snprintf(spool_base, sizeof(spool_base), "%s/stratus-agent/spool", xdg);
        } else {
            snprintf(spool_base, sizeof(spool_base), "%s/.local/state/stratus-agent/spool",
                     home && *home ? home : ".");
        }
    }
    a->n_shards = cfg->n_endpoints;
    for (size_t i = 0; i < a->n_shards; i++) {
        struct shard *sh = &a->shards[i];
        char dir[PATH_MAX + 32];
        /* One spool per endpoint, named by position: endpoint strings never become paths. */
        snprintf(dir, sizeof(dir), "%s/%u", spool_base, (unsigned)i);
        if ((r = st_spool_open(dir, (uint64_t)cfg->spool_max_bytes / a->n_shards, true, &sh->spool,
                               err)) < 0 ||
            (r = st_sender_new(base, cfg->endpoints[i], sh->spool, &sh->sender, err)) < 0) {
            goto fail;
        }
        /* memory_max_bytes: a quarter for the batches being built (the spool takes the rest),
         * a half for the StatsD aggregates (statsd_server.c). */
        st_batcher_init(&sh->batcher, cfg->namespace_,
                        (size_t)cfg->memory_max_bytes / 4 / a->n_shards, sh->spool, sh->sender);
        if (st_spool_count(sh->spool) > 0) {
            st_log_info("agent: %zu batches spooled by an earlier run for %s; sending them",
                        st_spool_count(sh->spool), cfg->endpoints[i]);
            st_sender_kick(sh->sender);
        }
    }
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        const struct st_section_cfg *sc = &a->cfg->sections[i];
        struct section_run *run = &a->runs[i];
        if (!sc->ops) {
            continue;
        }
        run->emitter.emit = emit;
        run->a = a;
        run->cfg = sc;
        run->id = (enum st_section_id)i;
        run->interval_s = sc->interval_s ? sc->interval_s : a->cfg->interval_s;
        run->err_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(600000, 3);
        struct st_source_config src = sc->src;
        src.root = a->root;
        if ((r = sc->ops->init(&src, &run->state)) < 0) {
            st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "agent: %s: cannot start: %s",
                         st_section_name(run->id), strerror(-r));
            goto fail;
        }
        /* A first reading now primes the counters; its deltas are not emitted. */
        int64_t now = st_wall_ms();
        run->ts_ms = now / (run->interval_s * 1000) * run->interval_s * 1000;
        sc->ops->collect(run->state, &run->emitter);
        run->next_ms = next_on_grid(now, run->interval_s * 1000, 0);
    }
    a->invalid_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    if (a->cfg->statsd && (r = st_statsd_server_new(base, a, &a->statsd, err)) < 0) {
        goto fail;
    }
    if (a->cfg->collectd && (r = st_collectd_server_new(base, a, &a->collectd, err)) < 0) {
        goto fail;
    }
    if (a->cfg->xray && (r = st_trace_relay_new(base, a->cfg->xray_address, a->cfg->endpoints[0],
                                                &a->trace_relay, err)) < 0) {
        goto fail;
    }
    a->tick_ev = evtimer_new(base, on_tick, a);
    a->flush_ev = evtimer_new(base, on_flush, a);
    if (!a->tick_ev || !a->flush_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "agent: out of memory");
        goto fail;
    }
    set_flush_grid(a, st_wall_ms());
    arm_tick(a);
    *ret = a;
    return 0;
fail:
    st_agent_free(a);
    return r;
}
