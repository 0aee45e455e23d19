/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for st_sketch_decode (lib/sketch.c). Input that decodes must give a
 * consistent sketch: sorted in-range bins with finite positive counts that sum to the total,
 * quantiles monotone in q, an encoding that decodes back to the same sketch, merges that match
 * it, merges with another sketch that agree in either order, and adds that either succeed or leave
 * it unchanged. Input that does not decode must leave the sketch empty. Any allocation may fail
 * (replay_main.c arms st_alloc_fail_after), so every step accepts -ENOMEM provided nothing changed.
 * Violations abort.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_empty(const st_sketch_t *s)
{
    double v;
    CHECK(s->n_bins == 0);
    CHECK(s->count == 0);
    CHECK(s->zero_count == 0);
    CHECK(st_sketch_quantile(s, 0.5, &v) == -ENODATA);
}

static void check_consistent(const st_sketch_t *s)
{
    CHECK(s->n_bins <= ST_SKETCH_MAX_BINS);
    CHECK(s->n_bins <= s->cap_bins);
    CHECK(isfinite(s->zero_count) && s->zero_count >= 0);
    double sum = s->zero_count;
    for (uint32_t i = 0; i < s->n_bins; i++) {
        CHECK(i == 0 || s->bins[i].key > s->bins[i - 1].key);
        CHECK(s->bins[i].key != 0);
        CHECK(isfinite(s->bins[i].count) && s->bins[i].count > 0);
        sum += s->bins[i].count;
    }
    CHECK(isfinite(s->count));
    /* Relative, not exact: adds and merges sum in another order than the bins. */
    CHECK(fabs(sum - s->count) <= 1e-9 * s->count);
    CHECK(st_sketch_count(s) == s->count);
}

static void check_quantiles(const st_sketch_t *s)
{
    double v, prev = -INFINITY;
    CHECK(st_sketch_quantile(s, -0.5, &v) == -EINVAL);
    CHECK(st_sketch_quantile(s, NAN, &v) == -EINVAL);
    if (s->count == 0) {
        CHECK(st_sketch_quantile(s, 0.5, &v) == -ENODATA);
        return;
    }
    for (int i = 0; i <= 64; i++) {
        CHECK(st_sketch_quantile(s, i / 64.0, &v) == 0);
        CHECK(isfinite(v));
        CHECK(v >= prev);
        prev = v;
    }
}

static int same(const st_sketch_t *a, const st_sketch_t *b)
{
    if (a->n_bins != b->n_bins || a->count != b->count || a->zero_count != b->zero_count) {
        return 0;
    }
    for (uint32_t i = 0; i < a->n_bins; i++) {
        if (a->bins[i].key != b->bins[i].key || a->bins[i].count != b->bins[i].count) {
            return 0;
        }
    }
    return 1;
}

/* A deep copy made with plain malloc, so OOM injection cannot touch it. */
static int copy(st_sketch_t *dst, const st_sketch_t *src)
{
    *dst = *src;
    dst->bins = malloc((src->n_bins ? src->n_bins : 1) * sizeof(*dst->bins));
    if (!dst->bins) {
        return -ENOMEM;
    }
    if (src->n_bins) {
        memcpy(dst->bins, src->bins, src->n_bins * sizeof(*dst->bins));
    }
    dst->cap_bins = src->n_bins;
    return 0;
}

static void check_round_trip(const st_sketch_t *s)
{
    size_t size = st_sketch_encoded_size(s), len = 0;
    uint8_t *buf = malloc(size);
    if (!buf) {
        return;
    }
    CHECK(st_sketch_encode(s, buf, size, &len) == 0);
    CHECK(len == size);
    if (size > 0) {
        CHECK(st_sketch_encode(s, buf, size - 1, &len) == -ENOBUFS);
    }
    st_sketch_t t;
    st_sketch_init(&t);
    int r = st_sketch_decode(&t, buf, size);
    CHECK(r == 0 || r == -ENOMEM);
    if (r == 0) {
        CHECK(same(&t, s));
    } else {
        check_empty(&t);
    }
    st_sketch_fini(&t);
    free(buf);
}

static void check_merge(const st_sketch_t *s)
{
    st_sketch_t m;
    st_sketch_init(&m);
    int r = st_sketch_merge(&m, s);
    CHECK(r == 0 || r == -ENOMEM);
    if (r < 0) {
        check_empty(&m);
        st_sketch_fini(&m);
        return;
    }
    CHECK(same(&m, s));
    /* Merging the same again doubles every count exactly (or overflows the total). */
    r = st_sketch_merge(&m, s);
    CHECK(r == 0 || r == -ERANGE);
    if (r == 0) {
        CHECK(m.n_bins == s->n_bins && m.count == 2 * s->count);
        for (uint32_t i = 0; i < s->n_bins; i++) {
            CHECK(m.bins[i].key == s->bins[i].key && m.bins[i].count == 2 * s->bins[i].count);
        }
    } else {
        CHECK(same(&m, s));
    }
    check_consistent(&m);
    st_sketch_fini(&m);
}

static int close_to(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fabs(b);
}

/*
 * Merges s with a sketch of values spread over many keys (so that full inputs collapse) in both
 * orders; the results must agree, up to rounding where counts are summed in another order.
 */
static void check_merge_commutes(const st_sketch_t *s, const uint8_t *data, size_t size)
{
    st_sketch_t b, x, y;
    st_sketch_init(&b);
    st_sketch_init(&x);
    st_sketch_init(&y);
    for (size_t i = 0; i < size && i < 512; i++) {
        double v = (data[i] - 127.5) * pow(1.5, data[i] % 64 - 32.0) * (1 + i / 512.0);
        if (st_sketch_add(&b, v, 1 + i % 3) < 0) {
            goto out;
        }
    }
    if (st_sketch_merge(&x, s) < 0 || st_sketch_merge(&x, &b) < 0 || st_sketch_merge(&y, &b) < 0 ||
        st_sketch_merge(&y, s) < 0) {
        goto out;
    }
    check_consistent(&x);
    check_consistent(&y);
    CHECK(x.n_bins == y.n_bins);
    CHECK(close_to(x.count, y.count) && x.zero_count == y.zero_count);
    for (uint32_t i = 0; i < x.n_bins; i++) {
        CHECK(x.bins[i].key == y.bins[i].key && close_to(x.bins[i].count, y.bins[i].count));
    }
out:
    st_sketch_fini(&b);
    st_sketch_fini(&x);
    st_sketch_fini(&y);
}

/* Adds a few values taken from the input; each add succeeds or changes nothing. */
static void check_adds(st_sketch_t *s, const uint8_t *data, size_t size)
{
    for (size_t off = 0; off + 16 <= size && off < 16 * 8; off += 16) {
        double v, w;
        memcpy(&v, data + off, sizeof(v));
        memcpy(&w, data + off + 8, sizeof(w));
        st_sketch_t before;
        if (copy(&before, s) < 0) {
            return;
        }
        int r = st_sketch_add(s, v, w);
        CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENOMEM);
        if (r < 0) {
            CHECK(same(s, &before));
        } else {
            CHECK(s->count >= before.count);
        }
        free(before.bins);
        check_consistent(s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_sketch_t s;
    st_sketch_init(&s);
    int r = st_sketch_decode(&s, data, size);
    CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        check_empty(&s);
        st_sketch_fini(&s);
        return 0;
    }
    check_consistent(&s);
    check_quantiles(&s);
    check_round_trip(&s);
    check_merge(&s);
    check_merge_commutes(&s, data, size);
    check_adds(&s, data, size);
    check_quantiles(&s);
    st_sketch_fini(&s);
    return 0;
}
