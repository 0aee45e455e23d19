/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hot window: series identity, what each datum shape contributes, routing by
 * watermark into open buckets or corrections, flush markers, replay of durable work, and job
 * completion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "collector_fixtures.h"
#include "hot_window.h"
#include "stratus/series_key.h"

#define T0 1700000040000LL /* 60 s aligned, in ms */

static int setup(void **state)
{
    struct st_hot *h = calloc(1, sizeof(*h));
    st_hot_init(h);
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    st_hot_fini(*state);
    free(*state);
    return 0;
}

static struct st_series *only_series(struct st_hot *h)
{
    assert_int_equal(h->series.len, 1);
    for (size_t i = 0; i < h->series.cap; i++) {
        if (h->series.slots[i].value) {
            return h->series.slots[i].value;
        }
    }
    return NULL;
}

static void apply(struct st_hot *h, uint64_t lsn, struct req_builder *b)
{
    struct st_error err;
    assert_int_equal(st_hot_apply_put(h, lsn, T0, &b->req, &err), 0);
}

static void test_values_of_one_minute_aggregate_into_one_bucket(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0 + 1000, 10);
    rb_value(&b, "Lat", "a", T0 + 59000, 30);
    rb_value(&b, "Lat", "a", T0 + 59000, 20); /* duplicate timestamp: both count */
    apply(h, 1, &b);
    struct st_series *s = only_series(h);
    struct st_bucket *bk = s->hot[ST_TIER_60S];
    assert_non_null(bk);
    assert_null(bk->next);
    assert_int_equal(bk->t, T0 / 1000);
    assert_true(bk->count == 3 && bk->sum == 60 && bk->min == 10 && bk->max == 30);
    assert_true(st_sketch_count(&bk->sketch) == 3);
    assert_null(s->hot[ST_TIER_1S]); /* standard resolution: no 1 s bucket */
}

static void test_high_resolution_datum_fills_both_tiers(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    Stratus__MetricDatum *d = rb_add(&b, "Lat", "a", "Count", T0 + 5500, true);
    d->has_value = true;
    d->value = 4;
    apply(h, 1, &b);
    struct st_series *s = only_series(h);
    assert_true(s->hires);
    assert_int_equal(s->hot[ST_TIER_1S]->t, T0 / 1000 + 5);
    assert_int_equal(s->hot[ST_TIER_60S]->t, T0 / 1000);
}

static void test_statistic_set_feeds_percentiles_only_when_single_valued(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    rb_set(&b, "Lat", "a", T0, 4, 100, 10, 40); /* spread: no percentile contribution */
    rb_set(&b, "Lat", "a", T0, 3, 15, 5, 5);    /* min == max: three fives */
    rb_set(&b, "Lat", "a", T0, 1, 7, 7, 7);     /* one value */
    apply(h, 1, &b);
    struct st_bucket *bk = only_series(h)->hot[ST_TIER_60S];
    assert_true(bk->count == 8 && bk->sum == 122 && bk->min == 5 && bk->max == 40);
    assert_true(st_sketch_count(&bk->sketch) == 4);
}

static void test_values_and_counts_weight_each_value(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    Stratus__MetricDatum *d = rb_add(&b, "Lat", "a", "Count", T0, false);
    double values[] = {1, 2, 3}, counts[] = {4, 5, 0};
    d->values = values;
    d->n_values = 3;
    d->counts = counts;
    d->n_counts = 3;
    apply(h, 1, &b);
    struct st_bucket *bk = only_series(h)->hot[ST_TIER_60S];
    assert_true(bk->count == 9 && bk->sum == 14 && bk->min == 1 && bk->max == 2);
}

static void test_dimension_order_does_not_make_a_new_series_but_unit_does(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    Stratus__MetricDatum *d1 = rb_value(&b, "Lat", "a", T0, 1);
    Stratus__MetricDatum *d2 = rb_value(&b, "Lat", "a", T0, 2);
    /* Give both a second dimension, in opposite orders. */
    Stratus__Dimension api1 = STRATUS__DIMENSION__INIT, api2 = STRATUS__DIMENSION__INIT;
    api1.name = api2.name = "Api";
    api1.value = api2.value = "get";
    Stratus__Dimension *o1[2] = {d1->dimensions[0], &api1};
    Stratus__Dimension *o2[2] = {&api2, d2->dimensions[0]};
    d1->dimensions = o1;
    d1->n_dimensions = 2;
    d2->dimensions = o2;
    d2->n_dimensions = 2;
    Stratus__MetricDatum *d3 = rb_value(&b, "Lat", NULL, T0, 3);
    d3->unit = "Seconds";
    Stratus__MetricDatum *d4 = rb_value(&b, "Lat", NULL, T0, 4);
    d4->unit = "Bytes";
    apply(h, 1, &b);
    assert_int_equal(h->series.len, 3);  /* {Host,Api}; {} in Seconds; {} in Bytes */
    assert_int_equal(h->metrics.len, 2); /* the two unit series share one metric */
}

static void test_marker_hands_closed_buckets_and_keeps_open_ones(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0, 1);
    rb_value(&b, "Lat", "a", T0 + 60000, 2);
    apply(h, 1, &b);
    struct st_store_job *job;
    assert_int_equal(st_hot_apply_marker(h, 2, 0, T0 / 1000 + 60, &job), 0);
    assert_non_null(job);
    assert_int_equal(job->lsn, 2);
    assert_int_equal(job->n_flush, 1);
    assert_int_equal(job->flush[0].bucket->t, T0 / 1000);
    assert_true(job->flush[0].bucket->handed_lsn);
    assert_int_equal(job->n_index, 1); /* the new series' index row goes with it */
    struct st_series *s = only_series(h);
    assert_false(s->hot[ST_TIER_60S]->next->handed_lsn);
    st_hot_job_done(h, job);
    assert_int_equal(s->hot[ST_TIER_60S]->t, T0 / 1000 + 60);
    assert_null(s->hot[ST_TIER_60S]->next);
    assert_int_equal(h->confirmed_lsn, 2);
    assert_int_equal(h->n_buckets, 1);
}

static void test_datum_behind_watermark_becomes_a_correction(void **state)
{
    struct st_hot *h = *state;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0, 1);
    apply(h, 1, &b);
    struct st_store_job *job;
    assert_int_equal(st_hot_apply_marker(h, 2, 0, T0 / 1000 + 60, &job), 0);
    /* A late datum for the handed minute. */
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0 + 30000, 5);
    apply(h, 3, &b);
    struct st_series *s = only_series(h);
    assert_non_null(s->late[ST_TIER_60S]);
    assert_true(s->late[ST_TIER_60S]->count == 1 && s->late[ST_TIER_60S]->sum == 5);
    assert_true(s->hot[ST_TIER_60S]->count == 1); /* the handed bucket is untouched */
    st_hot_job_done(h, job);
    struct st_store_job *job2;
    assert_int_equal(st_hot_apply_marker(h, 4, 0, T0 / 1000 + 60, &job2), 0);
    assert_int_equal(job2->n_flush, 0);
    assert_int_equal(job2->n_corr, 1);
    st_hot_job_done(h, job2);
    assert_null(s->late[ST_TIER_60S]);
    assert_int_equal(h->n_buckets, 0);
}

static void test_replay_skips_durable_corrections_and_drops_durable_flushes(void **state)
{
    struct st_hot *h = *state;
    h->done_lsn = 10; /* the store committed everything up to LSN 10 */
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0, 1);
    apply(h, 1, &b);
    struct st_store_job *job;
    assert_int_equal(st_hot_apply_marker(h, 2, 0, T0 / 1000 + 60, &job), 0);
    assert_null(job); /* durable: the bucket is simply dropped */
    assert_int_equal(h->n_buckets, 0);
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0, 5);
    apply(h, 3, &b); /* a correction that is already stored */
    assert_null(only_series(h)->late[ST_TIER_60S]);
    apply(h, 11, &b); /* one that is not */
    assert_non_null(only_series(h)->late[ST_TIER_60S]);
}

static void test_oldest_needed_lsn_follows_open_buckets(void **state)
{
    struct st_hot *h = *state;
    assert_int_equal(st_hot_oldest_needed_lsn(h, 9), 9);
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", T0, 1);
    apply(h, 3, &b);
    rb_init(&b, "App");
    rb_value(&b, "Lat", "b", T0, 1);
    apply(h, 5, &b);
    assert_int_equal(st_hot_oldest_needed_lsn(h, 9), 3);
    /* The same answer from a walk of one slot per step. */
    struct st_hot_walk walk;
    st_hot_walk_start(h, &walk, 9);
    size_t steps = 0;
    while (!st_hot_walk_step(h, &walk, 1)) {
        steps++;
    }
    assert_int_equal(walk.oldest, 3);
    assert_true(steps + 1 >= h->series.cap);
    struct st_store_job *job;
    assert_int_equal(st_hot_apply_marker(h, 6, 0, T0 / 1000 + 60, &job), 0);
    assert_int_equal(st_hot_oldest_needed_lsn(h, 9), 3); /* handed, not yet durable */
    st_hot_job_done(h, job);
    assert_int_equal(st_hot_oldest_needed_lsn(h, 9), 9);
}

static void test_load_series_rejects_a_corrupt_key(void **state)
{
    struct st_hot *h = *state;
    uint8_t key[ST_SERIES_KEY_MAX];
    size_t len;
    struct st_dim d = {"Host", "a"};
    assert_int_equal(st_series_key_build("App", "Lat", &d, 1, ST_UNIT_COUNT, key, &len), 0);
    assert_int_equal(st_hot_load_series(h, st_series_id(key, len), key, len, false), 0);
    assert_int_equal(st_hot_load_series(h, 42, key, len, false), -EBADMSG);
    assert_int_equal(st_hot_load_series(h, st_series_id(key, len - 1), key, len - 1, false),
                     -EBADMSG);
    assert_non_null(st_hot_find(h, key, len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_of_one_minute_aggregate_into_one_bucket, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_high_resolution_datum_fills_both_tiers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_statistic_set_feeds_percentiles_only_when_single_valued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_counts_weight_each_value, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_dimension_order_does_not_make_a_new_series_but_unit_does, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marker_hands_closed_buckets_and_keeps_open_ones, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_datum_behind_watermark_becomes_a_correction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_replay_skips_durable_corrections_and_drops_durable_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oldest_needed_lsn_follows_open_buckets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_series_rejects_a_corrupt_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
