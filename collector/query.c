/* SPDX-License-Identifier: MIT */
/*
 * GetMetricStatistics: snapshot on the loop thread, merge and pack on a query thread (see
 * query.h). Lock order in the pool: `lock` (queue) and `done_lock` are never held together.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "query.h"
#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/series_key.h"

#define DAY_S (24 * 3600)

static void free_buckets(struct st_query_bucket *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        st_sketch_fini(&b[i].sketch);
    }
    st_free(b);
}

void st_query_free(struct st_query *q)
{
    if (!q) {
        return;
    }
    for (size_t i = 0; i < q->n_series; i++) {
        for (int t = 0; t < ST_N_HOT_TIERS; t++) {
            free_buckets(q->series[i].hot[t], q->series[i].n_hot[t]);
            free_buckets(q->series[i].late[t], q->series[i].n_late[t]);
        }
    }
    st_free(q->series);
    st_free(q->label);
    st_free(q->reply);
    st_free(q->points);
    st_free(q);
}

/* Copies the buckets of list with t in [start, end). */
static int copy_buckets(const struct st_bucket *list, int64_t start, int64_t end, bool sketches,
                        struct st_query_bucket **ret, size_t *ret_n)
{
    size_t n = 0;
    for (const struct st_bucket *b = list; b; b = b->next) {
        n += b->t >= start && b->t < end;
    }
    *ret = NULL;
    *ret_n = 0;
    if (n == 0) {
        return 0;
    }
    struct st_query_bucket *out = st_calloc(n, sizeof(*out));
    if (!out) {
        return -ENOMEM;
    }
    size_t i = 0;
    for (const struct st_bucket *b = list; b; b = b->next) {
        if (b->t < start || b->t >= end) {
            continue;
        }
        struct st_query_bucket *c = &out[i++];
        c->t = b->t;
        c->handed_lsn = b->handed_lsn;
        c->count = b->count;
        c->sum = b->sum;
        c->min = b->min;
        c->max = b->max;
        st_sketch_init(&c->sketch);
        if (sketches && st_sketch_merge(&c->sketch, &b->sketch) < 0) {
            free_buckets(out, i);
            return -ENOMEM;
        }
    }
    *ret = out;
    *ret_n = n;
    return 0;
}

/* The tier a series is read from, as run_series picks it. */
static int read_tier(const struct st_stats_query *q, const struct st_series *s)
{
    return q->period_s < 60 && s->hires ? ST_TIER_1S : ST_TIER_60S;
}

static bool same_metric(const struct st_series *s, const uint8_t *key, size_t key_len,
                        const struct st_stats_query *q)
{
    /* Metric ids collide only if the keys without unit are equal: check anyway. */
    return s->key_len == key_len && memcmp(s->key, key, key_len - 1) == 0 &&
           (!q->has_unit || s->unit == q->unit);
}

struct st_query *st_query_snapshot(const struct st_hot *h,
                                   const Stratus__GetMetricStatisticsRequest *req,
                                   const struct st_stats_query *q, int64_t now_ms)
{
    struct st_query *qr = st_calloc(1, sizeof(*qr));
    if (!qr) {
        return NULL;
    }
    qr->q = *q;
    qr->now_ms = now_ms;
    for (size_t i = 0; i < req->n_extended_statistics && i < ST_MAX_EXT_STATISTICS; i++) {
        snprintf(qr->qnames[i], sizeof(qr->qnames[i]), "%s", req->extended_statistics[i]);
    }
    qr->label = st_strdup(req->metric_name);
    if (!qr->label) {
        goto fail;
    }
    uint8_t key[ST_SERIES_KEY_MAX];
    size_t key_len;
    if (st_series_key_build_pb(req->namespace_, req->metric_name, req->dimensions,
                               req->n_dimensions, ST_UNIT_NONE, key, &key_len) < 0) {
        return qr; /* cannot exist: an empty result */
    }
    const struct st_series *head = st_u64_map_get(&h->metrics, st_metric_id(key, key_len));
    size_t n = 0;
    for (const struct st_series *s = head; s; s = s->next_unit) {
        n++;
    }
    if (n == 0) {
        return qr;
    }
    qr->series = st_calloc(n, sizeof(*qr->series));
    if (!qr->series) {
        goto fail;
    }
    int64_t start = q->start_ms / 1000, end = (q->end_ms + 999) / 1000;
    bool sketches = q->n_quantiles > 0;
    for (const struct st_series *s = head; s; s = s->next_unit) {
        if (!same_metric(s, key, key_len, q)) {
            continue;
        }
        struct st_query_series *qs = &qr->series[qr->n_series++];
        qs->id = s->id;
        qs->unit = s->unit;
        qs->hires = s->hires;
        for (int t = 0; t < ST_N_HOT_TIERS; t++) {
            if (copy_buckets(s->hot[t], start, end, sketches, &qs->hot[t], &qs->n_hot[t]) < 0 ||
                copy_buckets(s->late[t], start, end, sketches, &qs->late[t], &qs->n_late[t]) < 0) {
                goto fail;
            }
        }
    }
    return qr;
fail:
    st_query_free(qr);
    return NULL;
}

/* Accumulators, one per period of the answer. */
struct acc {
    double count, sum, min, max;
    int unit; /* -1: none yet, -2: mixed */
    st_sketch_t sketch;
    /* st_query_hot_points: the one bucket sketch of the period, borrowed, while sketch is
     * empty (most periods have one bucket: its quantiles need no copy) */
    const st_sketch_t *one;
};

struct run {
    struct st_query *q;
    struct acc *acc;
    size_t n;
    int64_t start, end, period;
    int unit;
    bool sketches;
    /* presence of in-memory buckets, for de-duplicating stored sketches */
    const struct st_query_bucket *mem;
    size_t n_mem;
    st_sketch_t tmp;   /* decoding space for stored sketches */
    uint64_t done_lsn; /* the newest job the read transaction sees */
    int err;
};

static struct acc *acc_at(struct run *r, int64_t t)
{
    if (t < r->start || t >= r->end) {
        return NULL;
    }
    size_t i = (size_t)((t - r->start) / r->period);
    return i < r->n ? &r->acc[i] : NULL;
}

static void add_row(struct run *r, int64_t t, double count, double sum, double min, double max)
{
    struct acc *a = acc_at(r, t);
    if (!a || !(count > 0)) {
        return;
    }
    a->count += count;
    a->sum += sum;
    if (!isnan(min)) {
        a->min = fmin(a->min, min);
    }
    if (!isnan(max)) {
        a->max = fmax(a->max, max);
    }
    a->unit = a->unit == -1 ? r->unit : (a->unit == r->unit ? a->unit : -2);
}

static void add_sketch(struct run *r, int64_t t, const st_sketch_t *sk)
{
    struct acc *a = acc_at(r, t);
    if (a && st_sketch_merge(&a->sketch, sk) < 0) {
        r->err = -ENOMEM;
    }
}

static void on_rrd_row(int64_t t, int64_t step, double count, double sum, double min, double max,
                       void *data)
{
    (void)step;
    add_row(data, t, count, sum, min, max);
}

static bool in_memory(const struct run *r, int64_t t)
{
    for (size_t i = 0; i < r->n_mem; i++) {
        if (r->mem[i].t == t) {
            return true;
        }
    }
    return false;
}

/* Merges a stored sketch into the period of t. */
static void add_sketch_blob(struct run *r, int64_t t, const uint8_t *blob, size_t len)
{
    struct acc *a = acc_at(r, t);
    if (!a) {
        return;
    }
    /* Most periods take one stored sketch: decode it in place rather than merge a copy. */
    if (st_sketch_count(&a->sketch) == 0) {
        if (st_sketch_decode(&a->sketch, blob, len) == -ENOMEM) {
            r->err = -ENOMEM;
        }
    } else if (st_sketch_decode(&r->tmp, blob, len) == 0) {
        add_sketch(r, t, &r->tmp);
    }
}

static void on_sketch(int64_t t, const uint8_t *blob, size_t len, void *data)
{
    struct run *r = data;
    if (!in_memory(r, t)) {
        add_sketch_blob(r, t, blob, len);
    }
}

static void on_corr(int64_t t, int64_t step, double count, double sum, double min, double max,
                    const uint8_t *sketch, size_t sketch_len, void *data)
{
    struct run *r = data;
    (void)step;
    add_row(r, t, count, sum, min, max);
    if (sketch) {
        add_sketch_blob(r, t, sketch, sketch_len);
    }
}

static int64_t floor_to(int64_t t, int64_t step)
{
    return t - ((t % step) + step) % step;
}

static int run_series(struct run *r, const struct st_query_series *s,
                      struct st_store_reader *reader)
{
    r->unit = (int)s->unit;
    int tier = r->period < 60 && s->hires ? ST_TIER_1S : ST_TIER_60S;
    int64_t step = st_tier_step(tier);
    int64_t last;
    int ret = st_store_rrd_last(reader, s->id, tier, &last);
    if (ret == -ENOENT) {
        last = INT64_MIN;
    } else if (ret < 0) {
        return ret;
    }
    int64_t coarse = 60;
    if (tier == ST_TIER_60S) {
        int64_t age = r->q->now_ms / 1000 - r->start;
        coarse = age <= 15 * DAY_S ? 60 : age <= 63 * DAY_S ? 300 : 3600;
        if (coarse > 60 && r->period % coarse != 0) {
            /* CloudWatch: past 15 (63) days only multiples of 300 (3600) s return data. */
            return 0;
        }
    }
    if (last != INT64_MIN) {
        int64_t cursor = r->start;
        int64_t rrd_end = r->end < last ? r->end : last;
        if (tier == ST_TIER_60S) {
            if (coarse > 60) {
                int64_t cend = floor_to(rrd_end, coarse);
                if (cend > cursor) {
                    ret = st_store_read_rrd(reader, s->id, coarse, cursor, cend, on_rrd_row, r);
                    if (ret < 0 && ret != -ERANGE) {
                        return ret;
                    }
                    cursor = cend;
                }
            }
        }
        if (rrd_end > cursor) {
            ret = st_store_read_rrd(reader, s->id, step, cursor, rrd_end, on_rrd_row, r);
            if (ret < 0 && ret != -ERANGE) {
                return ret;
            }
        }
    }
    for (size_t i = 0; i < s->n_hot[tier]; i++) {
        const struct st_query_bucket *b = &s->hot[tier][i];
        if (b->t + step > last) {
            add_row(r, b->t, b->count, b->sum, b->min, b->max);
        }
        if (r->sketches) {
            add_sketch(r, b->t, &b->sketch);
        }
    }
    if (r->sketches) {
        r->mem = s->hot[tier];
        r->n_mem = s->n_hot[tier];
        ret = st_store_read_sketches(reader, s->id, step, r->start, r->end, on_sketch, r);
        if (ret < 0) {
            return ret;
        }
    }
    ret = st_store_read_corrections(reader, s->id, step, r->start, r->end, r->sketches, on_corr, r);
    if (ret < 0) {
        return ret;
    }
    for (size_t i = 0; i < s->n_late[tier]; i++) {
        const struct st_query_bucket *b = &s->late[tier][i];
        if (b->handed_lsn != 0 && b->handed_lsn <= r->done_lsn) {
            continue; /* its job committed before the read transaction: read above */
        }
        add_row(r, b->t, b->count, b->sum, b->min, b->max);
        if (r->sketches) {
            add_sketch(r, b->t, &b->sketch);
        }
    }
    return r->err;
}

/*
 * Turns the accumulators of a run into the answer's periods (at most r->n, written to out):
 * the one place that decides what a datapoint holds, for the packed reply and for points.
 */
static size_t acc_points(const struct st_stats_query *q, const struct acc *acc, size_t n,
                         int64_t start, int64_t period, struct st_query_point *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct acc *a = &acc[i];
        if (!(a->count > 0)) {
            continue;
        }
        const st_sketch_t *sk = a->one ? a->one : &a->sketch;
        bool have_sketch = st_sketch_count(sk) > 0;
        if (q->n_quantiles > 0 && !q->stats && !have_sketch) {
            continue; /* no raw values in this period: no percentile to report */
        }
        struct st_query_point *p = &out[k++];
        p->t_ms = (start + (int64_t)i * period) * 1000;
        p->count = a->count;
        p->sum = a->sum;
        p->min = a->min;
        p->max = a->max;
        p->has_min = isfinite(a->min);
        p->has_max = isfinite(a->max);
        p->unit = a->unit;
        for (unsigned j = 0; j < q->n_quantiles; j++) {
            p->has_quantile[j] =
                have_sketch && st_sketch_quantile(sk, q->quantiles[j], &p->quantile[j]) == 0;
        }
    }
    return k;
}

/*
 * Room for the reply's messages, carved from one block: the datapoint pointers and structs,
 * then for each datapoint its percentiles' pointers and structs. Returns 0 and the block's
 * size, or -ENOMEM if it would overflow.
 */
static int pack_bytes(size_t n, unsigned n_quantiles, size_t *ret)
{
    size_t per_dp =
        sizeof(Stratus__Datapoint *) + sizeof(Stratus__Datapoint) +
        n_quantiles * (sizeof(Stratus__ExtendedStatistic *) + sizeof(Stratus__ExtendedStatistic));
    if (n > SIZE_MAX / per_dp - 1) {
        return -ENOMEM;
    }
    *ret = (n + 1) * per_dp;
    return 0;
}

/* block: pack_bytes() of room, 8-byte aligned (every part is a multiple of 8 bytes). */
static int pack_reply(struct st_query *q, const struct st_query_point *pts, size_t n, void *block)
{
    Stratus__GetMetricStatisticsResponse resp = STRATUS__GET_METRIC_STATISTICS_RESPONSE__INIT;
    resp.label = q->label;
    unsigned nq = q->q.n_quantiles;
    resp.datapoints = block;
    Stratus__Datapoint *dps = (Stratus__Datapoint *)(resp.datapoints + (n ? n : 1));
    Stratus__ExtendedStatistic **esp = (Stratus__ExtendedStatistic **)(dps + n);
    Stratus__ExtendedStatistic *ess = (Stratus__ExtendedStatistic *)(esp + n * nq);
    for (size_t i = 0; i < n; i++) {
        const struct st_query_point *p = &pts[i];
        Stratus__Datapoint *dp = &dps[i];
        stratus__datapoint__init(dp);
        dp->has_timestamp_ms = true;
        dp->timestamp_ms = p->t_ms;
        unsigned st = q->q.stats;
        if (st & ST_STAT_SAMPLE_COUNT) {
            dp->has_sample_count = true;
            dp->sample_count = p->count;
        }
        if (st & ST_STAT_SUM) {
            dp->has_sum = true;
            dp->sum = p->sum;
        }
        if (st & ST_STAT_AVERAGE) {
            dp->has_average = true;
            dp->average = p->sum / p->count;
        }
        if ((st & ST_STAT_MINIMUM) && p->has_min) {
            dp->has_minimum = true;
            dp->minimum = p->min;
        }
        if ((st & ST_STAT_MAXIMUM) && p->has_max) {
            dp->has_maximum = true;
            dp->maximum = p->max;
        }
        dp->unit = (char *)st_unit_name(p->unit >= 0 ? (enum st_unit)p->unit : ST_UNIT_NONE);
        bool any = false;
        for (unsigned k = 0; k < nq; k++) {
            any |= p->has_quantile[k];
        }
        if (any) {
            dp->extended_statistics = &esp[i * nq];
            for (unsigned k = 0; k < nq; k++) {
                if (!p->has_quantile[k]) {
                    continue;
                }
                Stratus__ExtendedStatistic *es = &ess[i * nq + k];
                stratus__extended_statistic__init(es);
                es->name = q->qnames[k]; /* lives as long as the query, past the packing */
                es->has_value = true;
                es->value = p->quantile[k];
                dp->extended_statistics[dp->n_extended_statistics++] = es;
            }
        }
        resp.datapoints[resp.n_datapoints++] = dp;
    }
    size_t len = stratus__get_metric_statistics_response__get_packed_size(&resp);
    q->reply = st_malloc(len ? len : 1);
    if (!q->reply) {
        return -ENOMEM;
    }
    q->reply_len = stratus__get_metric_statistics_response__pack(&resp, q->reply);
    return 0;
}

/* What a scratch keeps between runs; beyond these a run allocates for itself and frees. */
#define SCRATCH_MAX_PERIODS    4096
#define SCRATCH_MAX_BINS       64 /* per accumulator: a sketch that grew past it is freed */
#define SCRATCH_MAX_PACK_BYTES ((size_t)4 << 20)

struct st_query_scratch {
    struct acc *acc; /* cap_acc of them, each sketch initialised */
    size_t cap_acc;
    struct st_query_point *pts;
    size_t cap_pts;
    void *pack;
    size_t cap_pack;
    st_sketch_t tmp;
};

struct st_query_scratch *st_query_scratch_new(void)
{
    struct st_query_scratch *s = st_calloc(1, sizeof(*s));
    if (s) {
        st_sketch_init(&s->tmp);
    }
    return s;
}

void st_query_scratch_free(struct st_query_scratch *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->cap_acc; i++) {
        st_sketch_fini(&s->acc[i].sketch);
    }
    st_free(s->acc);
    st_free(s->pts);
    st_free(s->pack);
    st_sketch_fini(&s->tmp);
    st_free(s);
}

/* Makes *buf hold at least `want` elements of `size` bytes (want * size fits); keeps the old
 * buffer on failure. */
static int grow(void **buf, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap) {
        return 0;
    }
    void *p = st_realloc(*buf, want * size);
    if (!p) {
        return -ENOMEM;
    }
    *buf = p;
    *cap = want;
    return 0;
}

/* The accumulators of a run of n periods: the scratch's, or NULL when it has none to lend. */
static struct acc *scratch_acc(struct st_query_scratch *s, size_t n)
{
    if (!s || n > SCRATCH_MAX_PERIODS) {
        return NULL;
    }
    size_t old = s->cap_acc;
    if (grow((void **)&s->acc, &s->cap_acc, n ? n : 1, sizeof(*s->acc)) < 0) {
        return NULL;
    }
    for (size_t i = old; i < s->cap_acc; i++) {
        st_sketch_init(&s->acc[i].sketch);
    }
    return s->acc;
}

/* The answer of a finished run: points (want_points) or the packed reply. */
static int finish_run_with(struct st_query *q, struct run *r, struct st_query_scratch *s)
{
    size_t cap = r->n ? r->n : 1;
    struct st_query_point *pts = NULL;
    bool own_pts = q->want_points || !s || r->n > SCRATCH_MAX_PERIODS ||
                   grow((void **)&s->pts, &s->cap_pts, cap, sizeof(*s->pts)) < 0;
    pts = own_pts ? st_calloc(cap, sizeof(*pts)) : s->pts;
    if (!pts) {
        return -ENOMEM;
    }
    size_t n = acc_points(&q->q, r->acc, r->n, r->start, r->period, pts);
    if (q->want_points) {
        q->points = pts;
        q->n_points = n;
        return 0;
    }
    size_t bytes;
    int ret = pack_bytes(n, q->q.n_quantiles, &bytes);
    if (ret == 0) {
        bool own_block =
            !s || bytes > SCRATCH_MAX_PACK_BYTES || grow(&s->pack, &s->cap_pack, bytes, 1) < 0;
        void *block = own_block ? st_malloc(bytes) : s->pack;
        ret = block ? pack_reply(q, pts, n, block) : -ENOMEM;
        if (own_block) {
            st_free(block);
        }
    }
    if (own_pts) {
        st_free(pts);
    }
    return ret;
}

void st_query_run_with(struct st_query *q, struct st_store_reader *reader,
                       struct st_query_scratch *scratch)
{
    struct run r = {.q = q, .period = q->q.period_s, .sketches = q->q.n_quantiles > 0};
    r.start = q->q.start_ms / 1000;
    r.end = (q->q.end_ms + 999) / 1000;
    r.n = (size_t)((r.end - r.start + r.period - 1) / r.period);
    st_sketch_init(&r.tmp);
    r.acc = scratch_acc(scratch, r.n);
    bool own_acc = !r.acc;
    if (own_acc) {
        r.acc = st_calloc(r.n ? r.n : 1, sizeof(*r.acc));
        if (!r.acc) {
            q->status = -ENOMEM;
            return;
        }
    } else {
        r.tmp = scratch->tmp; /* lent for the run, handed back below */
    }
    for (size_t i = 0; i < r.n; i++) {
        struct acc *a = &r.acc[i];
        a->count = 0;
        a->sum = 0;
        a->min = INFINITY;
        a->max = -INFINITY;
        a->unit = -1;
        a->one = NULL;
        if (own_acc) {
            st_sketch_init(&a->sketch);
        } else {
            st_sketch_reset(&a->sketch);
        }
    }
    int ret = q->n_series > 0 ? st_store_reader_begin(reader, &r.done_lsn) : 0;
    for (size_t i = 0; i < q->n_series && ret == 0; i++) {
        ret = run_series(&r, &q->series[i], reader);
    }
    if (q->n_series > 0) {
        st_store_reader_end(reader);
    }
    if (ret == 0) {
        ret = finish_run_with(q, &r, own_acc ? NULL : scratch);
    }
    for (size_t i = 0; i < r.n; i++) {
        if (own_acc || r.acc[i].sketch.cap_bins > SCRATCH_MAX_BINS) {
            st_sketch_fini(&r.acc[i].sketch);
        }
    }
    if (own_acc) {
        st_free(r.acc);
        st_sketch_fini(&r.tmp);
    } else {
        if (r.tmp.cap_bins > SCRATCH_MAX_BINS) {
            st_sketch_fini(&r.tmp);
        }
        scratch->tmp = r.tmp;
    }
    q->status = ret;
}

void st_query_run(struct st_query *q, struct st_store_reader *reader)
{
    st_query_run_with(q, reader, NULL);
}

/* The hot window alone (query.h). */

/* Merges a live bucket's sketch into the period of t, borrowing it while it is the only one. */
static void add_hot_sketch(struct run *r, int64_t t, const st_sketch_t *sk)
{
    struct acc *a = acc_at(r, t);
    if (!a || st_sketch_count(sk) == 0) {
        return;
    }
    if (!a->one && st_sketch_count(&a->sketch) == 0) {
        a->one = sk;
        return;
    }
    if (a->one) {
        if (st_sketch_merge(&a->sketch, a->one) < 0) {
            r->err = -ENOMEM;
        }
        a->one = NULL;
    }
    if (st_sketch_merge(&a->sketch, sk) < 0) {
        r->err = -ENOMEM;
    }
}

int st_query_hot_points(const struct st_hot *h, const Stratus__GetMetricStatisticsRequest *req,
                        const struct st_stats_query *q, int64_t now_ms,
                        struct st_query_point *ret_points, size_t cap, size_t *ret_n)
{
    struct run r = {.period = q->period_s, .sketches = q->n_quantiles > 0};
    r.start = q->start_ms / 1000;
    r.end = (q->end_ms + 999) / 1000;
    r.n = (size_t)((r.end - r.start + r.period - 1) / r.period);
    if (r.n > cap) {
        return -ENOBUFS;
    }
    uint8_t key[ST_SERIES_KEY_MAX];
    size_t key_len;
    if (st_series_key_build_pb(req->namespace_, req->metric_name, req->dimensions,
                               req->n_dimensions, ST_UNIT_NONE, key, &key_len) < 0) {
        *ret_n = 0; /* cannot exist: an empty result */
        return 0;
    }
    const struct st_series *head = st_u64_map_get(&h->metrics, st_metric_id(key, key_len));
    for (const struct st_series *s = head; s; s = s->next_unit) {
        if (!same_metric(s, key, key_len, q)) {
            continue;
        }
        int tier = read_tier(q, s);
        /* Below the watermark buckets are flushed and datums are corrections: the store's. */
        if (r.start < h->w[tier]) {
            return -EAGAIN;
        }
        if (tier == ST_TIER_60S && now_ms / 1000 - r.start > 15 * DAY_S) {
            return -EAGAIN; /* the coarse tiers' rules: run_series decides */
        }
    }
    r.acc = st_calloc(r.n ? r.n : 1, sizeof(*r.acc));
    if (!r.acc) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < r.n; i++) {
        r.acc[i].min = INFINITY;
        r.acc[i].max = -INFINITY;
        r.acc[i].unit = -1;
        st_sketch_init(&r.acc[i].sketch);
    }
    for (const struct st_series *s = head; s; s = s->next_unit) {
        if (!same_metric(s, key, key_len, q)) {
            continue;
        }
        int tier = read_tier(q, s);
        r.unit = (int)s->unit;
        /* Late buckets end at or before the watermark, so none is in the range. */
        for (const struct st_bucket *b = s->hot[tier]; b && b->t < r.end; b = b->next) {
            if (b->t < r.start) {
                continue;
            }
            add_row(&r, b->t, b->count, b->sum, b->min, b->max);
            if (r.sketches) {
                add_hot_sketch(&r, b->t, &b->sketch);
            }
        }
    }
    int ret = r.err;
    if (ret == 0) {
        *ret_n = acc_points(q, r.acc, r.n, r.start, r.period, ret_points);
    }
    for (size_t i = 0; i < r.n; i++) {
        st_sketch_fini(&r.acc[i].sketch);
    }
    st_free(r.acc);
    return ret;
}

/* The pool. */

struct qnode {
    struct qnode *next;
    struct st_query *q;
};

struct st_query_pool {
    char *dir;
    struct event *done_ev;
    st_query_done_fn done_fn;
    void *done_data;
    pthread_t *threads;
    unsigned n_threads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct qnode *head, *tail;
    bool stop;
    pthread_mutex_t done_lock;
    struct qnode *done_head, *done_tail;
};

static void push(struct qnode **head, struct qnode **tail, struct qnode *n)
{
    n->next = NULL;
    if (*tail) {
        (*tail)->next = n;
    } else {
        *head = n;
    }
    *tail = n;
}

static void *query_thread(void *arg)
{
    struct st_query_pool *p = arg;
    struct st_store_reader *reader = NULL;
    struct st_query_scratch *scratch = st_query_scratch_new(); /* NULL: each run allocates */
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stop) {
            pthread_cond_wait(&p->cond, &p->lock);
        }
        struct qnode *n = p->head;
        if (n) {
            p->head = n->next;
            if (!p->head) {
                p->tail = NULL;
            }
        }
        pthread_mutex_unlock(&p->lock);
        if (!n) {
            break;
        }
        if (!reader && st_store_reader_open(p->dir, &reader) < 0) {
            reader = NULL;
            n->q->status = -EIO;
        } else {
            st_query_run_with(n->q, reader, scratch);
        }
        pthread_mutex_lock(&p->done_lock);
        push(&p->done_head, &p->done_tail, n);
        pthread_mutex_unlock(&p->done_lock);
        event_active(p->done_ev, EV_READ, 0);
    }
    st_query_scratch_free(scratch);
    st_store_reader_free(reader);
    return NULL;
}

static void run_done(struct st_query_pool *p)
{
    pthread_mutex_lock(&p->done_lock);
    struct qnode *list = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->done_lock);
    for (struct qnode *n = list, *next; n; n = next) {
        next = n->next;
        p->done_fn(n->q, p->done_data);
        st_free(n);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_done(arg);
}

void st_query_pool_submit(struct st_query_pool *p, struct st_query *q)
{
    struct qnode *n = st_calloc(1, sizeof(*n));
    if (!n) {
        q->status = -ENOMEM;
        p->done_fn(q, p->done_data);
        return;
    }
    n->q = q;
    pthread_mutex_lock(&p->lock);
    push(&p->head, &p->tail, n);
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void st_query_pool_free(struct st_query_pool *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++) {
        pthread_join(p->threads[i], NULL);
    }
    run_done(p);
    if (p->done_ev) {
        event_free(p->done_ev);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->done_lock);
    st_free(p->threads);
    st_free(p->dir);
    st_free(p);
}

int st_query_pool_new(struct event_base *base, const char *dir, unsigned n_threads,
                      st_query_done_fn done, void *data, struct st_query_pool **ret)
{
    struct st_query_pool *p = st_calloc(1, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    pthread_mutex_init(&p->done_lock, NULL);
    p->done_fn = done;
    p->done_data = data;
    p->dir = st_strdup(dir);
    p->threads = st_calloc(n_threads, sizeof(*p->threads));
    p->done_ev = event_new(base, -1, 0, on_done, p);
    if (!p->dir || !p->threads || !p->done_ev) {
        st_query_pool_free(p);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, query_thread, p) != 0) {
            st_query_pool_free(p);
            return -EAGAIN;
        }
        p->n_threads++;
    }
    *ret = p;
    return 0;
}
