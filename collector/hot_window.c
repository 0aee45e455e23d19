/* SPDX-License-Identifier: MIT */
/*
 * The hot window (see hot_window.h): series table, routing of datums into buckets or
 * corrections, flush markers and job completion. Loop thread only.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "hot_window.h"
#include "stratus/alloc.h"
#include "stratus/series_key.h"

void st_hot_init(struct st_hot *h)
{
    memset(h, 0, sizeof(*h));
    st_u64_map_init(&h->series);
    st_u64_map_init(&h->metrics);
}

static void free_list(struct st_bucket *b)
{
    while (b) {
        struct st_bucket *next = b->next;
        st_sketch_fini(&b->sketch);
        st_free(b);
        b = next;
    }
}

void st_hot_fini(struct st_hot *h)
{
    for (size_t i = 0; i < h->series.cap; i++) {
        struct st_series *s = h->series.slots[i].value;
        if (!s) {
            continue;
        }
        for (int t = 0; t < ST_N_HOT_TIERS; t++) {
            free_list(s->hot[t]);
            free_list(s->late[t]);
        }
        st_free(s->key);
        st_free(s);
    }
    st_u64_map_fini(&h->series);
    st_u64_map_fini(&h->metrics);
    for (int t = 0; t < ST_N_HOT_TIERS; t++) {
        st_free(h->heap[t]);
    }
    st_free(h->late);
    st_free(h->dirty);
    memset(h, 0, sizeof(*h));
}

static int push_ptr(struct st_series ***arr, size_t *n, size_t *cap, struct st_series *s)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct st_series **na = st_realloc(*arr, ncap * sizeof(*na));
        if (!na) {
            return -ENOMEM;
        }
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = s;
    return 0;
}

static int heap_push(struct st_hot *h, int tier, int64_t end, struct st_series *s)
{
    if (h->heap_len[tier] == h->heap_cap[tier]) {
        size_t ncap = h->heap_cap[tier] ? h->heap_cap[tier] * 2 : 1024;
        struct heap_entry *na = st_realloc(h->heap[tier], ncap * sizeof(*na));
        if (!na) {
            return -ENOMEM;
        }
        h->heap[tier] = na;
        h->heap_cap[tier] = ncap;
    }
    struct heap_entry *a = h->heap[tier];
    size_t i = h->heap_len[tier]++;
    while (i > 0 && a[(i - 1) / 2].end > end) {
        a[i] = a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    a[i] = (struct heap_entry){end, s};
    return 0;
}

static struct heap_entry heap_pop(struct st_hot *h, int tier)
{
    struct heap_entry *a = h->heap[tier];
    struct heap_entry top = a[0], last = a[--h->heap_len[tier]];
    size_t n = h->heap_len[tier], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && a[c + 1].end < a[c].end) {
            c++;
        }
        if (a[c].end >= last.end) {
            break;
        }
        a[i] = a[c];
        i = c;
    }
    if (n > 0) {
        a[i] = last;
    }
    return top;
}

static struct st_series *new_series(struct st_hot *h, uint64_t id, const uint8_t *key,
                                    size_t key_len, enum st_unit unit, bool hires)
{
    struct st_series *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->key = st_malloc(key_len);
    if (!s->key) {
        st_free(s);
        return NULL;
    }
    memcpy(s->key, key, key_len);
    s->key_len = (uint32_t)key_len;
    s->id = id;
    s->metric_id = st_metric_id(key, key_len);
    s->unit = unit;
    s->hires = hires;
    if (st_u64_map_put(&h->series, id, s) < 0) {
        goto fail;
    }
    struct st_series *head = st_u64_map_get(&h->metrics, s->metric_id);
    if (head) {
        s->next_unit = head->next_unit;
        head->next_unit = s;
    } else if (st_u64_map_put(&h->metrics, s->metric_id, s) < 0) {
        st_u64_map_remove(&h->series, id);
        goto fail;
    }
    return s;
fail:
    st_free(s->key);
    st_free(s);
    return NULL;
}

int st_hot_load_series(struct st_hot *h, uint64_t id, const uint8_t *key, size_t key_len,
                       bool hires)
{
    struct st_series_parts parts;
    if (st_series_key_parse(key, key_len, &parts) < 0 || st_series_id(key, key_len) != id) {
        return -EBADMSG;
    }
    if (st_u64_map_get(&h->series, id)) {
        return 0;
    }
    return new_series(h, id, key, key_len, parts.unit, hires) ? 0 : -ENOMEM;
}

struct st_series *st_hot_find(const struct st_hot *h, const uint8_t *key, size_t key_len)
{
    struct st_series *s = st_u64_map_get(&h->series, st_series_id(key, key_len));
    if (s && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) {
        return s;
    }
    return NULL;
}

/* What one datum contributes to a bucket. */
struct contrib {
    double count, sum, min, max;
    const Stratus__MetricDatum *d; /* for the sketch */
};

static int add_to_sketch(st_sketch_t *sk, const Stratus__MetricDatum *d)
{
    if (d->has_value) {
        return st_sketch_add(sk, d->value, 1);
    }
    if (d->statistic_values) {
        const Stratus__StatisticSet *ss = d->statistic_values;
        /* CloudWatch: a statistic set feeds percentiles only when it is one value. */
        if (ss->sample_count == 1) {
            return st_sketch_add(sk, ss->sum, 1);
        }
        if (ss->minimum == ss->maximum) {
            return st_sketch_add(sk, ss->minimum, ss->sample_count);
        }
        return 0;
    }
    for (size_t i = 0; i < d->n_values; i++) {
        double c = d->n_counts ? d->counts[i] : 1;
        if (c > 0) {
            int r = st_sketch_add(sk, d->values[i], c);
            if (r < 0) {
                return r;
            }
        }
    }
    return 0;
}

static void contrib_of(const Stratus__MetricDatum *d, struct contrib *c)
{
    c->d = d;
    if (d->has_value) {
        c->count = 1;
        c->sum = c->min = c->max = d->value;
        return;
    }
    if (d->statistic_values) {
        c->count = d->statistic_values->sample_count;
        c->sum = d->statistic_values->sum;
        c->min = d->statistic_values->minimum;
        c->max = d->statistic_values->maximum;
        return;
    }
    c->count = 0;
    c->sum = 0;
    c->min = INFINITY;
    c->max = -INFINITY;
    for (size_t i = 0; i < d->n_values; i++) {
        double n = d->n_counts ? d->counts[i] : 1;
        c->count += n;
        c->sum += d->values[i] * n;
        if (n > 0) {
            c->min = fmin(c->min, d->values[i]);
            c->max = fmax(c->max, d->values[i]);
        }
    }
}

/* Finds or inserts the bucket at t in a sorted list. *ret_new says if it was created. */
static struct st_bucket *bucket_at(struct st_bucket **list, int64_t t, uint64_t lsn,
                                   bool skip_handed, bool *ret_new)
{
    struct st_bucket **pp = list;
    while (*pp && ((*pp)->t < t || ((*pp)->t == t && skip_handed && (*pp)->handed_lsn))) {
        pp = &(*pp)->next;
    }
    *ret_new = false;
    if (*pp && (*pp)->t == t && !(*pp)->handed_lsn) {
        return *pp;
    }
    struct st_bucket *b = st_calloc(1, sizeof(*b));
    if (!b) {
        return NULL;
    }
    b->t = t;
    b->first_lsn = lsn;
    b->min = INFINITY;
    b->max = -INFINITY;
    st_sketch_init(&b->sketch);
    b->next = *pp;
    *pp = b;
    *ret_new = true;
    return b;
}

static void unlink_bucket(struct st_bucket **list, struct st_bucket *b)
{
    for (struct st_bucket **pp = list; *pp; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            return;
        }
    }
}

static int add_contrib(struct st_hot *h, struct st_series *s, int tier, int64_t t, uint64_t lsn,
                       const struct contrib *c)
{
    int64_t step = st_tier_step(tier);
    bool late = t + step <= h->w[tier];
    if (late && lsn <= h->done_lsn) {
        return 0; /* replay: this correction is already in the store */
    }
    bool created;
    struct st_bucket **list = late ? &s->late[tier] : &s->hot[tier];
    struct st_bucket *b = bucket_at(list, t, lsn, late, &created);
    if (!b) {
        return -ENOMEM;
    }
    int r = add_to_sketch(&b->sketch, c->d);
    if (r < 0) {
        if (created) {
            unlink_bucket(list, b);
            st_sketch_fini(&b->sketch);
            st_free(b);
        }
        return r;
    }
    if (created) {
        h->n_buckets++;
        if (late) {
            /* A series enters the late list when it gets its first unhanded correction. */
            bool listed = false;
            for (int k = 0; k < ST_N_HOT_TIERS; k++) {
                for (struct st_bucket *x = s->late[k]; x; x = x->next) {
                    listed |= x != b && !x->handed_lsn;
                }
            }
            if (!listed && push_ptr(&h->late, &h->n_late, &h->cap_late, s) < 0) {
                return -ENOMEM;
            }
        } else if (heap_push(h, tier, t + step, s) < 0) {
            return -ENOMEM;
        }
    }
    if (late) {
        h->n_late_datums++;
    }
    b->count += c->count;
    b->sum += c->sum;
    if (c->count > 0) {
        b->min = fmin(b->min, c->min);
        b->max = fmax(b->max, c->max);
    }
    return 0;
}

/* Applies one datum whose canonical key and id are known. */
static int apply_datum(struct st_hot *h, uint64_t lsn, int64_t arrival_ms,
                       const Stratus__MetricDatum *d, const uint8_t *key, size_t key_len,
                       uint64_t id, enum st_unit unit, struct st_error *err)
{
    struct st_series *s = st_u64_map_get(&h->series, id);
    bool hires = d->has_storage_resolution && d->storage_resolution == 1;
    if (s && (s->key_len != key_len || memcmp(s->key, key, key_len) != 0)) {
        return st_error_set(err, -EEXIST, ST_ERR_INTERNAL_FAILURE,
                            "series id collision for metric %s", d->metric_name);
    }
    if (!s) {
        s = new_series(h, id, key, key_len, unit, hires);
        if (!s) {
            return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
        s->index_dirty = true;
        if (push_ptr(&h->dirty, &h->n_dirty, &h->cap_dirty, s) < 0) {
            return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        }
    } else if (hires && !s->hires) {
        s->hires = true;
        if (!s->index_dirty) {
            s->index_dirty = true;
            if (push_ptr(&h->dirty, &h->n_dirty, &h->cap_dirty, s) < 0) {
                return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
            }
        }
    }
    int64_t ts_ms = d->has_timestamp_ms ? d->timestamp_ms : arrival_ms;
    if (ts_ms > s->last_ms) {
        s->last_ms = ts_ms;
    }
    int64_t secs = ts_ms >= 0 ? ts_ms / 1000 : -((-ts_ms + 999) / 1000);
    struct contrib c;
    contrib_of(d, &c);
    int64_t t60 = secs - ((secs % 60) + 60) % 60;
    int r = add_contrib(h, s, ST_TIER_60S, t60, lsn, &c);
    if (r == 0 && hires) {
        r = add_contrib(h, s, ST_TIER_1S, secs, lsn, &c);
    }
    return r < 0 ? st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory") : 0;
}

/*
 * Datums are applied in chunks: first every key and id of the chunk is computed and the id's
 * map slot prefetched, then the series are looked up (and prefetched), then applied, each a
 * few datums after its open bucket was prefetched. With a
 * million series nearly every lookup misses the cache; overlapping the misses of a chunk is
 * what keeps ingest near its small-table speed.
 */
#define CHUNK           32
#define CHUNK_KEY_BYTES (64 * 1024)

int st_hot_apply_put(struct st_hot *h, uint64_t lsn, int64_t arrival_ms,
                     const Stratus__PutMetricDataRequest *req, struct st_error *err)
{
    static _Thread_local uint8_t keys[CHUNK_KEY_BYTES + ST_SERIES_KEY_MAX];
    size_t key_off[CHUNK], key_len[CHUNK];
    uint64_t ids[CHUNK];
    enum st_unit units[CHUNK];
    for (size_t i = 0; i < req->n_metric_data;) {
        size_t n = 0, used = 0;
        while (n < CHUNK && i + n < req->n_metric_data && used < CHUNK_KEY_BYTES) {
            const Stratus__MetricDatum *d = req->metric_data[i + n];
            units[n] = ST_UNIT_NONE;
            if (d->unit && st_unit_parse(d->unit, &units[n]) < 0) {
                units[n] = ST_UNIT_NONE;
            }
            int r = st_series_key_build_pb(req->namespace_, d->metric_name, d->dimensions,
                                           d->n_dimensions, units[n], keys + used, &key_len[n]);
            if (r < 0) {
                return st_error_set(err, r, ST_ERR_INVALID_PARAMETER_VALUE, "series key too long");
            }
            key_off[n] = used;
            used += key_len[n];
            ids[n] = st_series_id(keys + key_off[n], key_len[n]);
            st_u64_map_prefetch(&h->series, ids[n]);
            n++;
        }
        for (size_t k = 0; k < n; k++) {
            __builtin_prefetch(st_u64_map_get(&h->series, ids[k]));
        }
        for (size_t k = 0; k < n; k++) {
            if (k + 4 < n) {
                const struct st_series *ahead = st_u64_map_get(&h->series, ids[k + 4]);
                if (ahead && ahead->hot[ST_TIER_60S]) {
                    __builtin_prefetch(ahead->hot[ST_TIER_60S]);
                    __builtin_prefetch(ahead->hot[ST_TIER_60S]->sketch.bins);
                }
            }
            int r = apply_datum(h, lsn, arrival_ms, req->metric_data[i + k], keys + key_off[k],
                                key_len[k], ids[k], units[k], err);
            if (r < 0) {
                return r;
            }
        }
        i += n;
    }
    return 0;
}

static void free_bucket(struct st_hot *h, struct st_bucket *b)
{
    st_sketch_fini(&b->sketch);
    st_free(b);
    h->n_buckets--;
}

int st_hot_apply_marker(struct st_hot *h, uint64_t lsn, int64_t w1, int64_t w60,
                        struct st_store_job **ret_job)
{
    bool durable = lsn <= h->done_lsn;
    struct st_store_job *job = st_store_job_new(lsn);
    if (!job) {
        return -ENOMEM;
    }
    job->w1 = w1;
    job->w60 = w60;
    int64_t w[ST_N_HOT_TIERS] = {w1, w60};
    for (int tier = 0; tier < ST_N_HOT_TIERS; tier++) {
        if (w[tier] > h->w[tier]) {
            h->w[tier] = w[tier];
        }
        int64_t step = st_tier_step(tier);
        while (h->heap_len[tier] > 0 && h->heap[tier][0].end <= h->w[tier]) {
            struct heap_entry e = heap_pop(h, tier);
            struct st_series *s = e.series;
            /* Hand (or, when durable already, drop) every open bucket the watermark closes. */
            for (struct st_bucket **pp = &s->hot[tier]; *pp;) {
                struct st_bucket *b = *pp;
                if (b->t + step > h->w[tier]) {
                    break;
                }
                if (b->handed_lsn) {
                    pp = &b->next;
                    continue;
                }
                if (durable) {
                    *pp = b->next;
                    free_bucket(h, b);
                    continue;
                }
                if (st_store_job_add_flush(job, s, b, tier) < 0) {
                    st_store_job_free(job);
                    return -ENOMEM;
                }
                b->handed_lsn = lsn;
                pp = &b->next;
            }
        }
    }
    if (durable) {
        st_store_job_free(job);
        *ret_job = NULL;
        return 0;
    }
    for (size_t i = 0; i < h->n_late; i++) {
        struct st_series *s = h->late[i];
        for (int tier = 0; tier < ST_N_HOT_TIERS; tier++) {
            for (struct st_bucket *b = s->late[tier]; b; b = b->next) {
                if (!b->handed_lsn) {
                    if (st_store_job_add_corr(job, s, b, tier) < 0) {
                        st_store_job_free(job);
                        return -ENOMEM;
                    }
                }
            }
        }
    }
    for (size_t i = 0; i < h->n_dirty; i++) {
        if (st_store_job_add_index(job, h->dirty[i]) < 0) {
            st_store_job_free(job);
            return -ENOMEM;
        }
    }
    /* Only now that nothing can fail: mark everything handed. */
    for (size_t i = 0; i < job->n_corr; i++) {
        job->corr[i].bucket->handed_lsn = lsn;
    }
    for (size_t i = 0; i < h->n_dirty; i++) {
        h->dirty[i]->index_dirty = false;
    }
    h->n_late = 0;
    h->n_dirty = 0;
    *ret_job = job;
    return 0;
}

void st_hot_job_done(struct st_hot *h, struct st_store_job *job)
{
    for (size_t i = 0; i < job->n_flush; i++) {
        struct st_store_item *it = &job->flush[i];
        unlink_bucket(&it->series->hot[it->tier], it->bucket);
        free_bucket(h, it->bucket);
    }
    for (size_t i = 0; i < job->n_corr; i++) {
        struct st_store_item *it = &job->corr[i];
        unlink_bucket(&it->series->late[it->tier], it->bucket);
        free_bucket(h, it->bucket);
    }
    if (job->lsn > h->confirmed_lsn) {
        h->confirmed_lsn = job->lsn;
    }
    st_store_job_free(job);
}

void st_hot_walk_start(const struct st_hot *h, struct st_hot_walk *walk, uint64_t next_lsn)
{
    walk->pos = 0;
    walk->cap = h->series.cap;
    walk->oldest = next_lsn;
    walk->bound = next_lsn;
}

static uint64_t series_oldest(const struct st_series *s, uint64_t oldest)
{
    for (int t = 0; t < ST_N_HOT_TIERS; t++) {
        for (const struct st_bucket *b = s->hot[t]; b; b = b->next) {
            oldest = b->first_lsn < oldest ? b->first_lsn : oldest;
        }
        for (const struct st_bucket *b = s->late[t]; b; b = b->next) {
            oldest = b->first_lsn < oldest ? b->first_lsn : oldest;
        }
    }
    return oldest;
}

bool st_hot_walk_step(const struct st_hot *h, struct st_hot_walk *walk, size_t budget)
{
    if (walk->cap != h->series.cap) {
        /* The table was rehashed: slots moved, so a series could be missed. Start again. */
        st_hot_walk_start(h, walk, walk->bound);
    }
    size_t end = budget < walk->cap - walk->pos ? walk->pos + budget : walk->cap;
    for (; walk->pos < end; walk->pos++) {
        const struct st_series *s = h->series.slots[walk->pos].value;
        if (s) {
            walk->oldest = series_oldest(s, walk->oldest);
        }
    }
    /*
     * A bucket created during the walk holds records newer than `bound`, and one freed during
     * it is durable, so the minimum over the slots visited is the answer.
     */
    return walk->pos >= walk->cap;
}

uint64_t st_hot_oldest_needed_lsn(const struct st_hot *h, uint64_t next_lsn)
{
    struct st_hot_walk walk;
    st_hot_walk_start(h, &walk, next_lsn);
    while (!st_hot_walk_step(h, &walk, SIZE_MAX)) {
    }
    return walk.oldest;
}
