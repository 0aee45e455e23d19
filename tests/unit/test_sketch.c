/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the quantile sketch (lib/sketch.c): argument checks, the relative-error
 * guarantee against exact nearest-rank percentiles of sorted data (uniform, log-normal, Pareto,
 * mixed sign, extreme and collapsing inputs), weights, merge, the binary encoding and its
 * rejection of malformed input, and allocation failure. Random data comes from a fixed-seed
 * splitmix64 so every run sees the same values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/sketch.h"

#define N_VALUES  120000
#define BUF_LEN   (64 * 1024)
#define N_SKETCH  6
#define KEY_ONE   65536 /* the stored key of the value 1.0 (see lib/sketch.c) */
#define N_QS      8
#define ZERO_TOL  DBL_MIN /* values below DBL_MIN are reported as 0 */
#define ROUND_TOL 1e-12   /* floating-point rounding in log/exp, relative */

static const double qs[N_QS] = {0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1};

struct snapshot {
    struct st_sketch_bin bins[ST_SKETCH_MAX_BINS];
    uint32_t n_bins;
    double count;
    double zero_count;
};

struct fixture {
    st_sketch_t sk[N_SKETCH];
    double *values; /* N_VALUES */
    uint8_t *buf;   /* BUF_LEN */
    struct snapshot *snap;
    uint64_t rng;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    for (int i = 0; i < N_SKETCH; i++) {
        st_sketch_init(&f->sk[i]);
    }
    f->values = calloc(N_VALUES, sizeof(*f->values));
    f->buf = calloc(BUF_LEN, 1);
    f->snap = calloc(1, sizeof(*f->snap));
    f->rng = 0x5eed5eed12345678u;
    *state = f;
    return f->values && f->buf && f->snap ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_disarm();
    if (!f) {
        return 0;
    }
    for (int i = 0; i < N_SKETCH; i++) {
        st_sketch_fini(&f->sk[i]);
    }
    free(f->values);
    free(f->buf);
    free(f->snap);
    free(f);
    return 0;
}

/* splitmix64 */
static uint64_t next_u64(struct fixture *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double uniform(struct fixture *f)
{
    return (double)((next_u64(f) >> 11) + 1) * 0x1.0p-53;
}

static double normal(struct fixture *f)
{
    return sqrt(-2 * log(uniform(f))) * cos(2 * M_PI * uniform(f));
}

static double random_sign(struct fixture *f)
{
    return next_u64(f) & 1 ? 1.0 : -1.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank, as in sketch.h: the value of rank ceil(q * n), or the minimum for q = 0. */
static double exact_quantile(const double *sorted, size_t n, double q)
{
    double rank = ceil(q * (double)n);
    size_t k = rank < 1 ? 1 : (size_t)rank;
    return sorted[k - 1];
}

static void check_within_alpha(double got, double want, double q, const char *file, int line)
{
    double tol = (ST_SKETCH_ALPHA + ROUND_TOL) * fabs(want) + ZERO_TOL;
    if (!(fabs(got - want) <= tol)) {
        print_error("q=%g: %.17g is not within %g of %.17g\n", q, got, tol, want);
        _fail(file, line);
    }
}
#define assert_within_alpha(got, want, q) check_within_alpha((got), (want), (q), __FILE__, __LINE__)

static void check_double_same(double got, double want, const char *file, int line)
{
    if (!(got == want)) {
        print_error("%.17g != %.17g\n", got, want);
        _fail(file, line);
    }
}
#define assert_double_same(got, want) check_double_same((got), (want), __FILE__, __LINE__)

static void add_all(st_sketch_t *s, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(st_sketch_add(s, v[i], 1), 0);
    }
}

static double quantile(const st_sketch_t *s, double q)
{
    double v = NAN;
    assert_int_equal(st_sketch_quantile(s, q, &v), 0);
    return v;
}

/* Adds f->values[0, n) to sk[0], sorts them and checks every q in qs against the exact value. */
static void check_quantiles(struct fixture *f, size_t n)
{
    st_sketch_t *s = &f->sk[0];
    add_all(s, f->values, n);
    qsort(f->values, n, sizeof(double), cmp_double);
    assert_double_same(st_sketch_count(s), (double)n);
    /* Nothing collapsed, so the guarantee covers every q. */
    assert_true(s->n_bins < ST_SKETCH_MAX_BINS);
    for (int i = 0; i < N_QS; i++) {
        assert_within_alpha(quantile(s, qs[i]), exact_quantile(f->values, n, qs[i]), qs[i]);
    }
}

static void assert_sketch_equal(const st_sketch_t *got, const st_sketch_t *want)
{
    assert_int_equal(got->n_bins, want->n_bins);
    for (uint32_t i = 0; i < want->n_bins; i++) {
        assert_int_equal(got->bins[i].key, want->bins[i].key);
        assert_double_same(got->bins[i].count, want->bins[i].count);
    }
    assert_double_same(got->zero_count, want->zero_count);
    assert_double_same(got->count, want->count);
}

static void take_snapshot(struct fixture *f, const st_sketch_t *s)
{
    f->snap->n_bins = s->n_bins;
    f->snap->count = s->count;
    f->snap->zero_count = s->zero_count;
    for (uint32_t i = 0; i < s->n_bins; i++) {
        f->snap->bins[i] = s->bins[i];
    }
}

static void assert_matches_snapshot(const struct fixture *f, const st_sketch_t *s)
{
    st_sketch_t view = {.bins = f->snap->bins,
                        .n_bins = f->snap->n_bins,
                        .count = f->snap->count,
                        .zero_count = f->snap->zero_count};
    assert_sketch_equal(s, &view);
}

static void assert_empty(const st_sketch_t *s)
{
    double v;
    assert_int_equal(s->n_bins, 0);
    assert_double_same(st_sketch_count(s), 0);
    assert_double_same(s->zero_count, 0);
    assert_int_equal(st_sketch_quantile(s, 0.5, &v), -ENODATA);
}

/* Fills sk[0] with something, decodes buf into it and expects -EINVAL and an empty sketch. */
static void assert_decode_rejects(struct fixture *f, const uint8_t *buf, size_t len)
{
    st_sketch_t *s = &f->sk[0];
    assert_int_equal(st_sketch_add(s, 3.5, 2), 0);
    assert_int_equal(st_sketch_decode(s, buf, len), -EINVAL);
    assert_empty(s);
}

static void assert_round_trips(struct fixture *f, const st_sketch_t *s)
{
    size_t len = 0;
    assert_int_equal(st_sketch_encode(s, f->buf, BUF_LEN, &len), 0);
    assert_int_equal(len, st_sketch_encoded_size(s));
    assert_int_equal(st_sketch_decode(&f->sk[5], f->buf, len), 0);
    assert_sketch_equal(&f->sk[5], s);
}

/* A valid two-bin encoding (values 1.0 and about 1.0202), built by hand. */
static size_t put_two_bins(uint8_t *b, uint64_t delta, uint64_t count_tag)
{
    size_t n = 0;
    b[n++] = 1;                             /* version */
    n += st_put_varint(b + n, 2);           /* n_bins */
    n += st_put_varint(b + n, 0);           /* zero_count = 0 */
    n += st_put_varint(b + n, 2 * KEY_ONE); /* first key, zigzag */
    n += st_put_varint(b + n, 2);           /* count 1 */
    n += st_put_varint(b + n, delta);       /* key delta */
    n += st_put_varint(b + n, count_tag);   /* count */
    return n;
}

static void quantile_of_empty_sketch_is_enodata(void **state)
{
    struct fixture *f = *state;
    double v = 7;
    assert_int_equal(st_sketch_quantile(&f->sk[0], 0.5, &v), -ENODATA);
    assert_double_same(v, 7);
}

static void quantile_rejects_q_outside_unit_interval(void **state)
{
    struct fixture *f = *state;
    double v = 7;
    assert_int_equal(st_sketch_add(&f->sk[0], 1, 1), 0);
    assert_int_equal(st_sketch_quantile(&f->sk[0], -0.01, &v), -EINVAL);
    assert_int_equal(st_sketch_quantile(&f->sk[0], 1.01, &v), -EINVAL);
    assert_int_equal(st_sketch_quantile(&f->sk[0], NAN, &v), -EINVAL);
    assert_int_equal(st_sketch_quantile(&f->sk[0], INFINITY, &v), -EINVAL);
    assert_double_same(v, 7);
}

static void add_rejects_non_finite_value(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], NAN, 1), -EINVAL);
    assert_int_equal(st_sketch_add(&f->sk[0], INFINITY, 1), -EINVAL);
    assert_int_equal(st_sketch_add(&f->sk[0], -INFINITY, 1), -EINVAL);
    assert_empty(&f->sk[0]);
}

static void add_rejects_bad_weight(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 1, 0), -EINVAL);
    assert_int_equal(st_sketch_add(&f->sk[0], 1, -1), -EINVAL);
    assert_int_equal(st_sketch_add(&f->sk[0], 1, NAN), -EINVAL);
    assert_int_equal(st_sketch_add(&f->sk[0], 1, INFINITY), -EINVAL);
    assert_empty(&f->sk[0]);
}

static void add_rejects_weight_overflowing_total(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 1, DBL_MAX), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 2, DBL_MAX), -ERANGE);
    assert_double_same(st_sketch_count(&f->sk[0]), DBL_MAX);
    assert_int_equal(f->sk[0].n_bins, 1);
}

static void count_is_total_weight_including_zeros(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 5, 2.5), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 0, 1), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], -5, 0.5), 0);
    assert_double_same(st_sketch_count(&f->sk[0]), 4);
    assert_double_same(f->sk[0].zero_count, 1);
}

static void uniform_quantiles_within_alpha(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = 1000 * uniform(f);
    }
    check_quantiles(f, N_VALUES);
}

static void lognormal_quantiles_within_alpha(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = exp(3 + 2 * normal(f));
    }
    check_quantiles(f, N_VALUES);
}

static void pareto_quantiles_within_alpha(void **state)
{
    struct fixture *f = *state;
    /* Shape 1.16 (the 80/20 rule): heavy tail, reaching about 1e5 times the minimum. */
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = 0.1 * pow(uniform(f), -1 / 1.16);
    }
    check_quantiles(f, N_VALUES);
}

static void mixed_sign_quantiles_within_alpha(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = i % 2 ? 100 * normal(f) : random_sign(f) * exp(2 * normal(f));
    }
    check_quantiles(f, N_VALUES);
}

static void quantiles_within_alpha_on_fine_q_grid(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = random_sign(f) * exp(1.5 * normal(f));
    }
    check_quantiles(f, N_VALUES);
    for (int i = 0; i <= 10000; i++) {
        double q = i / 10000.0;
        assert_within_alpha(quantile(&f->sk[0], q), exact_quantile(f->values, N_VALUES, q), q);
    }
}

static void equal_values_give_that_value(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = 42.5;
    }
    check_quantiles(f, N_VALUES);
    assert_int_equal(f->sk[0].n_bins, 1);
}

static void extreme_magnitudes_within_alpha(void **state)
{
    struct fixture *f = *state;
    const double extremes[] = {0x1p360, -0x1p360, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, 1, -1};
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = extremes[i % 8] * (i % 16 < 8 ? 1 : 0.75);
    }
    check_quantiles(f, N_VALUES);
}

static void extreme_magnitudes_round_trip(void **state)
{
    struct fixture *f = *state;
    const double extremes[] = {0x1p360, -0x1p360, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN};
    add_all(&f->sk[0], extremes, 6);
    assert_int_equal(f->sk[0].n_bins, 6);
    assert_round_trips(f, &f->sk[0]);
}

static void subnormals_count_as_zero(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < 1000; i++) {
        f->values[i] = (i % 2 ? 1 : -1) * (double)(i + 1) * 0x1p-1074;
    }
    check_quantiles(f, 1000);
    assert_int_equal(f->sk[0].n_bins, 0);
    assert_double_same(f->sk[0].zero_count, 1000);
    assert_double_same(quantile(&f->sk[0], 1), 0);
}

static void zeros_mixed_in_within_alpha(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        switch (i % 5) {
        case 0:
            f->values[i] = 0.0;
            break;
        case 1:
            f->values[i] = -0.0;
            break;
        default:
            f->values[i] = 10 * normal(f);
        }
    }
    check_quantiles(f, N_VALUES);
}

static void zero_sits_between_negatives_and_positives(void **state)
{
    struct fixture *f = *state;
    const double v[] = {-2, 0, 0, 3};
    add_all(&f->sk[0], v, 4);
    assert_within_alpha(quantile(&f->sk[0], 0), -2, 0);
    assert_double_same(quantile(&f->sk[0], 0.26), 0);
    assert_double_same(quantile(&f->sk[0], 0.75), 0);
    assert_within_alpha(quantile(&f->sk[0], 0.76), 3, 0.76);
}

static void q_one_gives_maximum_when_sums_round_differently(void **state)
{
    struct fixture *f = *state;
    /* The total is (0.1 + 0.2) + 0.3 = 0.6000000000000001, but the bins, walked from -3 up,
     * sum to 0.6: the walk ends short of q * n and must still answer the maximum, -1. */
    assert_int_equal(st_sketch_add(&f->sk[0], -1, 0.1), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], -2, 0.2), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], -3, 0.3), 0);
    assert_within_alpha(quantile(&f->sk[0], 1), -1, 1);
}

static void zero_as_maximum_is_returned_for_q_one(void **state)
{
    struct fixture *f = *state;
    const double v[] = {-2, -1, 0};
    add_all(&f->sk[0], v, 3);
    assert_double_same(quantile(&f->sk[0], 1), 0);
}

/* Log-uniform magnitudes from 1e-300 to 1e300 of either sign: far more keys than bins. */
static void fill_huge_range(struct fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f->values[i] = random_sign(f) * exp((2 * uniform(f) - 1) * 690);
    }
}

static void huge_range_collapses_to_max_bins(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES);
    add_all(&f->sk[0], f->values, N_VALUES);
    assert_int_equal(f->sk[0].n_bins, ST_SKETCH_MAX_BINS);
    assert_double_same(st_sketch_count(&f->sk[0]), N_VALUES);
}

static void huge_range_high_quantiles_within_alpha(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES);
    st_sketch_t *s = &f->sk[0];
    add_all(s, f->values, N_VALUES);
    qsort(f->values, N_VALUES, sizeof(double), cmp_double);
    const double high[] = {0.99, 0.999, 1};
    for (int i = 0; i < 3; i++) {
        assert_within_alpha(quantile(s, high[i]), exact_quantile(f->values, N_VALUES, high[i]),
                            high[i]);
    }
    /* The header's promise: every rank past the lowest (collapsed) bin is within alpha. Zero
     * and negatives are walked before a positive lowest bin. */
    double collapsed = s->bins[0].count + (s->bins[0].key > 0 ? s->zero_count : 0);
    int checked = 0;
    for (int i = 0; i <= 10000; i++) {
        double q = i / 10000.0;
        if (q * N_VALUES > collapsed) {
            assert_within_alpha(quantile(s, q), exact_quantile(f->values, N_VALUES, q), q);
            checked++;
        }
    }
    assert_true(checked > 100);
}

static void collapsed_quantiles_never_underestimate(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES);
    add_all(&f->sk[0], f->values, N_VALUES);
    qsort(f->values, N_VALUES, sizeof(double), cmp_double);
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0;
        double want = exact_quantile(f->values, N_VALUES, q);
        double got = quantile(&f->sk[0], q);
        if (!(got >= want - (ST_SKETCH_ALPHA + ROUND_TOL) * fabs(want))) {
            print_error("q=%g: %.17g below %.17g\n", q, got, want);
            fail();
        }
    }
}

static void quantiles_are_monotone_in_q(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES / 4);
    add_all(&f->sk[0], f->values, N_VALUES / 4);
    double prev = -INFINITY;
    for (int i = 0; i <= 10000; i++) {
        double v = quantile(&f->sk[0], i / 10000.0);
        assert_true(v >= prev);
        prev = v;
    }
}

static void weighted_add_equals_repeated_add(void **state)
{
    struct fixture *f = *state;
    for (int v = -50; v <= 50; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v * 1.5, 3), 0);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(st_sketch_add(&f->sk[1], v * 1.5, 1), 0);
        }
    }
    assert_sketch_equal(&f->sk[0], &f->sk[1]);
}

static void one_to_thousand_p50_p99_within_one_percent(void **state)
{
    struct fixture *f = *state;
    for (int v = 1; v <= 1000; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 1), 0);
    }
    assert_within_alpha(quantile(&f->sk[0], 0.5), 500, 0.5);
    assert_within_alpha(quantile(&f->sk[0], 0.99), 990, 0.99);
}

static void weights_shift_ranks(void **state)
{
    struct fixture *f = *state;
    /* 10 has weight 90 and 1000 weight 10: p90 is 10, p91 is 1000. */
    assert_int_equal(st_sketch_add(&f->sk[0], 10, 90), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 1000, 10), 0);
    assert_within_alpha(quantile(&f->sk[0], 0.9), 10, 0.9);
    assert_within_alpha(quantile(&f->sk[0], 0.91), 1000, 0.91);
}

static void fractional_weights_within_alpha(void **state)
{
    struct fixture *f = *state;
    /* Values 1..100 with weight 0.25 each: nearest rank over the weights. */
    for (int v = 1; v <= 100; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 0.25), 0);
    }
    assert_double_same(st_sketch_count(&f->sk[0]), 25);
    assert_within_alpha(quantile(&f->sk[0], 0.5), 50, 0.5);
    assert_within_alpha(quantile(&f->sk[0], 0.99), 99, 0.99);
}

/* sk[0..2] get a third of values[0, n) each, sk[3] all of them. */
static void split_three_ways(struct fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(st_sketch_add(&f->sk[i % 3], f->values[i], 1), 0);
        assert_int_equal(st_sketch_add(&f->sk[3], f->values[i], 1), 0);
    }
}

static void merge_equals_adding_everything_to_one(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VALUES; i++) {
        f->values[i] = random_sign(f) * exp(3 * normal(f)) * (i % 7 != 0);
    }
    split_three_ways(f, N_VALUES);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[2]), 0);
    assert_sketch_equal(&f->sk[0], &f->sk[3]);
    for (int i = 0; i < N_QS; i++) {
        assert_double_same(quantile(&f->sk[0], qs[i]), quantile(&f->sk[3], qs[i]));
    }
}

static void merge_equals_adding_everything_when_collapsing(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES);
    split_three_ways(f, N_VALUES);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[2]), 0);
    assert_sketch_equal(&f->sk[0], &f->sk[3]);
}

static void merge_order_does_not_matter(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES / 2);
    split_three_ways(f, N_VALUES / 2);
    /* sk[4] = (c + b) + a, built into an empty sketch; sk[0] = (a + b) + c. */
    assert_int_equal(st_sketch_merge(&f->sk[4], &f->sk[2]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[4], &f->sk[1]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[4], &f->sk[0]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), 0);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[2]), 0);
    assert_sketch_equal(&f->sk[4], &f->sk[0]);
    assert_sketch_equal(&f->sk[4], &f->sk[3]);
}

static void merge_of_disjoint_ranges_equals_adding_everything(void **state)
{
    struct fixture *f = *state;
    /* dst full of low keys, src full of high ones: src's bins all outrank dst's. */
    for (int i = 0; i < ST_SKETCH_MAX_BINS; i++) {
        double lo = exp(-300 + i * 0.03), hi = exp(10 + i * 0.03);
        assert_int_equal(st_sketch_add(&f->sk[0], lo, 1), 0);
        assert_int_equal(st_sketch_add(&f->sk[1], hi, 2), 0);
        assert_int_equal(st_sketch_add(&f->sk[2], lo, 1), 0);
        assert_int_equal(st_sketch_add(&f->sk[2], hi, 2), 0);
    }
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), 0);
    assert_sketch_equal(&f->sk[0], &f->sk[2]);
}

static void merge_into_itself_doubles_counts(void **state)
{
    struct fixture *f = *state;
    for (int v = -20; v <= 20; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 1), 0);
        assert_int_equal(st_sketch_add(&f->sk[1], v, 2), 0);
    }
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[0]), 0);
    assert_sketch_equal(&f->sk[0], &f->sk[1]);
}

static void merge_of_empty_changes_nothing(void **state)
{
    struct fixture *f = *state;
    for (int v = -20; v <= 20; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 1), 0);
    }
    take_snapshot(f, &f->sk[0]);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), 0);
    assert_matches_snapshot(f, &f->sk[0]);
}

static void merge_rejects_total_overflow(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 1, DBL_MAX), 0);
    assert_int_equal(st_sketch_add(&f->sk[1], 1, DBL_MAX), 0);
    take_snapshot(f, &f->sk[0]);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), -ERANGE);
    assert_matches_snapshot(f, &f->sk[0]);
}

static void round_trip_equals_original(void **state)
{
    struct fixture *f = *state;
    fill_huge_range(f, N_VALUES / 4);
    add_all(&f->sk[0], f->values, N_VALUES / 4);
    /* Fractional weights take the raw-double count encoding. Decode re-sums the total, so
     * these are dyadic: any summation order gives the same total. */
    assert_int_equal(st_sketch_add(&f->sk[0], 0, 0.5), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 7, 0.375), 0);
    assert_round_trips(f, &f->sk[0]);
}

static void huge_weight_round_trips(void **state)
{
    struct fixture *f = *state;
    /* Past 2^53 integer counts are no longer varints but raw doubles. */
    assert_int_equal(st_sketch_add(&f->sk[0], 8, 0x1p60), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 9, 0x1p53), 0);
    assert_round_trips(f, &f->sk[0]);
}

static void empty_sketch_round_trips(void **state)
{
    struct fixture *f = *state;
    assert_round_trips(f, &f->sk[0]);
    assert_int_equal(st_sketch_encoded_size(&f->sk[0]), 3);
}

static void one_value_encodes_in_seven_bytes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 123.4, 1), 0);
    assert_int_equal(st_sketch_encoded_size(&f->sk[0]), 7);
    assert_round_trips(f, &f->sk[0]);
}

static void encode_rejects_short_buffer(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 1, 1), 0);
    size_t len = 99;
    size_t need = st_sketch_encoded_size(&f->sk[0]);
    assert_int_equal(st_sketch_encode(&f->sk[0], f->buf, need - 1, &len), -ENOBUFS);
    assert_int_equal(len, 99);
}

static void decode_rejects_every_truncation(void **state)
{
    struct fixture *f = *state;
    for (int v = -30; v <= 30; v++) {
        assert_int_equal(st_sketch_add(&f->sk[1], v * 1.7, v == 3 ? 0.1 : 1), 0);
    }
    size_t len;
    assert_int_equal(st_sketch_encode(&f->sk[1], f->buf, BUF_LEN, &len), 0);
    for (size_t n = 0; n < len; n++) {
        assert_decode_rejects(f, f->buf, n);
    }
}

static void decode_rejects_unknown_version(void **state)
{
    struct fixture *f = *state;
    const uint8_t v0[] = {0, 0, 0}, v2[] = {2, 0, 0};
    assert_decode_rejects(f, v0, sizeof(v0));
    assert_decode_rejects(f, v2, sizeof(v2));
}

static void decode_rejects_garbage(void **state)
{
    struct fixture *f = *state;
    memset(f->buf, 0xff, 64);
    assert_decode_rejects(f, f->buf, 64);
    f->buf[0] = 1;
    assert_decode_rejects(f, f->buf, 64);
}

static void decode_of_random_bytes_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 20000; i++) {
        size_t len = next_u64(f) % 64;
        for (size_t k = 0; k < len; k++) {
            f->buf[k] = (uint8_t)next_u64(f);
        }
        if (len > 0) {
            f->buf[0] = 1;
        }
        int r = st_sketch_decode(&f->sk[0], f->buf, len);
        if (r < 0) {
            assert_int_equal(r, -EINVAL);
            assert_empty(&f->sk[0]);
        }
    }
}

static void decode_rejects_too_many_bins(void **state)
{
    struct fixture *f = *state;
    size_t n = 0;
    f->buf[n++] = 1;
    n += st_put_varint(f->buf + n, ST_SKETCH_MAX_BINS + 1);
    n += st_put_varint(f->buf + n, 0);
    n += st_put_varint(f->buf + n, 2 * KEY_ONE);
    n += st_put_varint(f->buf + n, 2);
    for (int i = 1; i < ST_SKETCH_MAX_BINS + 1; i++) {
        n += st_put_varint(f->buf + n, 1);
        n += st_put_varint(f->buf + n, 2);
    }
    assert_decode_rejects(f, f->buf, n);
}

static void decode_rejects_bin_count_beyond_bytes_left(void **state)
{
    struct fixture *f = *state;
    size_t n = 0;
    f->buf[n++] = 1;
    n += st_put_varint(f->buf + n, 1000);
    n += st_put_varint(f->buf + n, 0);
    n += st_put_varint(f->buf + n, 2 * KEY_ONE);
    n += st_put_varint(f->buf + n, 2);
    assert_decode_rejects(f, f->buf, n);
}

static void decode_accepts_hand_built_encoding(void **state)
{
    struct fixture *f = *state;
    size_t n = put_two_bins(f->buf, 1, 6);
    assert_int_equal(st_sketch_decode(&f->sk[0], f->buf, n), 0);
    assert_int_equal(f->sk[0].n_bins, 2);
    assert_double_same(st_sketch_count(&f->sk[0]), 4);
    assert_within_alpha(quantile(&f->sk[0], 0), 1, 0);
}

static void decode_rejects_duplicate_keys(void **state)
{
    struct fixture *f = *state;
    size_t n = put_two_bins(f->buf, 0, 2);
    assert_decode_rejects(f, f->buf, n);
}

static void decode_rejects_keys_out_of_range(void **state)
{
    struct fixture *f = *state;
    /* A delta past the top key, one that would overflow int32, and one past uint32. */
    size_t n = put_two_bins(f->buf, 40000, 2);
    assert_decode_rejects(f, f->buf, n);
    n = put_two_bins(f->buf, (uint64_t)INT32_MAX, 2);
    assert_decode_rejects(f, f->buf, n);
    n = put_two_bins(f->buf, UINT64_MAX, 2);
    assert_decode_rejects(f, f->buf, n);
    /* Keys 0 and 1 are in the gap between negative and positive keys. */
    const uint8_t key0[] = {1, 1, 0, 0, 2}, key1[] = {1, 1, 0, 2, 2};
    assert_decode_rejects(f, key0, sizeof(key0));
    assert_decode_rejects(f, key1, sizeof(key1));
    /* First keys of INT64_MIN and INT64_MAX (zigzag 2^64 - 1 and 2^64 - 2). */
    for (uint64_t z = UINT64_MAX - 1; z != 0; z++) {
        n = 0;
        f->buf[n++] = 1;
        n += st_put_varint(f->buf + n, 1);
        n += st_put_varint(f->buf + n, 0);
        n += st_put_varint(f->buf + n, z);
        n += st_put_varint(f->buf + n, 2);
        assert_decode_rejects(f, f->buf, n);
    }
}

static void decode_rejects_bad_counts(void **state)
{
    struct fixture *f = *state;
    /* A zero count, an odd tag other than 1, and an integer past 2^53. */
    size_t n = put_two_bins(f->buf, 1, 0);
    assert_decode_rejects(f, f->buf, n);
    n = put_two_bins(f->buf, 1, 3);
    assert_decode_rejects(f, f->buf, n);
    n = put_two_bins(f->buf, 1, (UINT64_C(1) << 54) + 2);
    assert_decode_rejects(f, f->buf, n);
    /* Raw doubles that are not finite and > 0. */
    const double raw[] = {NAN, INFINITY, -1, 0, -0.0};
    for (int i = 0; i < 5; i++) {
        n = put_two_bins(f->buf, 1, 1);
        n += st_put_double(f->buf + n, raw[i]);
        assert_decode_rejects(f, f->buf, n);
    }
}

static void decode_rejects_negative_zero_count(void **state)
{
    struct fixture *f = *state;
    size_t n = 0;
    f->buf[n++] = 1;
    n += st_put_varint(f->buf + n, 0);
    n += st_put_varint(f->buf + n, 1);
    n += st_put_double(f->buf + n, -0.0);
    assert_decode_rejects(f, f->buf, n);
}

static void decode_rejects_total_overflow(void **state)
{
    struct fixture *f = *state;
    size_t n = 0;
    f->buf[n++] = 1;
    n += st_put_varint(f->buf + n, 1);
    n += st_put_varint(f->buf + n, 1);
    n += st_put_double(f->buf + n, DBL_MAX);
    n += st_put_varint(f->buf + n, 2 * KEY_ONE);
    n += st_put_varint(f->buf + n, 1);
    n += st_put_double(f->buf + n, DBL_MAX);
    assert_decode_rejects(f, f->buf, n);
}

static void decode_rejects_trailing_bytes(void **state)
{
    struct fixture *f = *state;
    size_t n = put_two_bins(f->buf, 1, 2);
    f->buf[n++] = 0;
    assert_decode_rejects(f, f->buf, n);
}

static void add_on_oom_leaves_empty_sketch_unchanged(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_add(&f->sk[0], 1, 1), -ENOMEM);
    st_alloc_fail_disarm();
    assert_empty(&f->sk[0]);
    assert_null(f->sk[0].bins);
}

static void add_on_oom_leaves_sketch_unchanged(void **state)
{
    struct fixture *f = *state;
    st_sketch_t *s = &f->sk[0];
    /* Fill to capacity so the next new key must grow the array. */
    for (int v = 1; s->n_bins < s->cap_bins || s->n_bins == 0; v++) {
        assert_int_equal(st_sketch_add(s, v, 1), 0);
    }
    assert_int_equal(st_sketch_add(s, 0, 1), 0);
    take_snapshot(f, s);
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_add(s, -1, 1), -ENOMEM);
    st_alloc_fail_disarm();
    assert_matches_snapshot(f, s);
}

static void add_to_existing_bin_does_not_allocate(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_sketch_add(&f->sk[0], 10, 1), 0);
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_add(&f->sk[0], 10, 1), 0);
    assert_int_equal(st_sketch_add(&f->sk[0], 0, 1), 0);
    st_alloc_fail_disarm();
    assert_double_same(st_sketch_count(&f->sk[0]), 3);
}

static void merge_on_oom_leaves_dst_unchanged(void **state)
{
    struct fixture *f = *state;
    for (int v = 1; v <= 5; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 1), 0);
    }
    for (int v = 1; v <= 100; v++) {
        assert_int_equal(st_sketch_add(&f->sk[1], -v, 1), 0);
    }
    take_snapshot(f, &f->sk[0]);
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_merge(&f->sk[0], &f->sk[1]), -ENOMEM);
    st_alloc_fail_disarm();
    assert_matches_snapshot(f, &f->sk[0]);
}

static void decode_on_oom_leaves_sketch_empty(void **state)
{
    struct fixture *f = *state;
    size_t n = put_two_bins(f->buf, 1, 2);
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_decode(&f->sk[0], f->buf, n), -ENOMEM);
    st_alloc_fail_disarm();
    assert_empty(&f->sk[0]);
}

static void reset_empties_and_keeps_allocation(void **state)
{
    struct fixture *f = *state;
    for (int v = 1; v <= 100; v++) {
        assert_int_equal(st_sketch_add(&f->sk[0], v, 1), 0);
    }
    struct st_sketch_bin *bins = f->sk[0].bins;
    st_sketch_reset(&f->sk[0]);
    assert_empty(&f->sk[0]);
    assert_ptr_equal(f->sk[0].bins, bins);
    st_alloc_fail_after(1);
    assert_int_equal(st_sketch_add(&f->sk[0], 5, 1), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(quantile_of_empty_sketch_is_enodata),
        T(quantile_rejects_q_outside_unit_interval),
        T(add_rejects_non_finite_value),
        T(add_rejects_bad_weight),
        T(add_rejects_weight_overflowing_total),
        T(count_is_total_weight_including_zeros),
        T(uniform_quantiles_within_alpha),
        T(lognormal_quantiles_within_alpha),
        T(pareto_quantiles_within_alpha),
        T(mixed_sign_quantiles_within_alpha),
        T(quantiles_within_alpha_on_fine_q_grid),
        T(equal_values_give_that_value),
        T(extreme_magnitudes_within_alpha),
        T(extreme_magnitudes_round_trip),
        T(subnormals_count_as_zero),
        T(zeros_mixed_in_within_alpha),
        T(zero_sits_between_negatives_and_positives),
        T(zero_as_maximum_is_returned_for_q_one),
        T(q_one_gives_maximum_when_sums_round_differently),
        T(huge_range_collapses_to_max_bins),
        T(huge_range_high_quantiles_within_alpha),
        T(collapsed_quantiles_never_underestimate),
        T(quantiles_are_monotone_in_q),
        T(weighted_add_equals_repeated_add),
        T(one_to_thousand_p50_p99_within_one_percent),
        T(weights_shift_ranks),
        T(fractional_weights_within_alpha),
        T(merge_equals_adding_everything_to_one),
        T(merge_equals_adding_everything_when_collapsing),
        T(merge_order_does_not_matter),
        T(merge_of_disjoint_ranges_equals_adding_everything),
        T(merge_into_itself_doubles_counts),
        T(merge_of_empty_changes_nothing),
        T(merge_rejects_total_overflow),
        T(round_trip_equals_original),
        T(huge_weight_round_trips),
        T(empty_sketch_round_trips),
        T(one_value_encodes_in_seven_bytes),
        T(encode_rejects_short_buffer),
        T(decode_rejects_every_truncation),
        T(decode_rejects_unknown_version),
        T(decode_rejects_garbage),
        T(decode_of_random_bytes_fails_cleanly),
        T(decode_rejects_too_many_bins),
        T(decode_rejects_bin_count_beyond_bytes_left),
        T(decode_accepts_hand_built_encoding),
        T(decode_rejects_duplicate_keys),
        T(decode_rejects_keys_out_of_range),
        T(decode_rejects_bad_counts),
        T(decode_rejects_negative_zero_count),
        T(decode_rejects_total_overflow),
        T(decode_rejects_trailing_bytes),
        T(add_on_oom_leaves_empty_sketch_unchanged),
        T(add_on_oom_leaves_sketch_unchanged),
        T(add_to_existing_bin_does_not_allocate),
        T(merge_on_oom_leaves_dst_unchanged),
        T(decode_on_oom_leaves_sketch_empty),
        T(reset_empties_and_keeps_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
