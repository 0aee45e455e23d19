/* SPDX-License-Identifier: MIT */
/*
 * The hot window, store and query engine together: buckets flushed to real RRD files and
 * SQLite, then GetMetricStatistics over them. Covers exact statistics for every statistic and
 * period, the 60 s / 300 s / 3600 s tier boundaries, percentiles from stored sketches,
 * corrections and their folding, the 1 s tier, unit filters, and that a bucket held both in
 * memory and in the RRD file is counted once, as is a correction a query snapshot holds while
 * the store folds it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "collector_fixtures.h"
#include "hot_window.h"
#include "query.h"
#include "store.h"
#include "stratus/time_util.h"

#define DAY_MS (24LL * 3600 * 1000)

struct fx {
    char dir[64];
    struct event_base *base;
    struct st_hot hot;
    struct st_store *store;
    struct st_store_reader *reader;
    uint64_t lsn;
    int64_t now_ms;
    Stratus__GetMetricStatisticsResponse *resp;
};

static void on_done(struct st_store_job *job, void *data)
{
    st_hot_job_done(&((struct fx *)data)->hot, job);
}

static int on_load(uint64_t id, const uint8_t *key, size_t len, bool hires, void *data)
{
    return st_hot_load_series(&((struct fx *)data)->hot, id, key, len, hires);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_sq.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    evthread_use_pthreads();
    f->base = event_base_new();
    st_hot_init(&f->hot);
    struct st_store_opts o = {.dir = f->dir, .sync = false};
    uint64_t done;
    assert_int_equal(st_store_open(f->base, &o, on_done, f, on_load, f, &done, &f->store, NULL), 0);
    assert_int_equal(st_store_reader_open(f->dir, &f->reader), 0);
    f->now_ms = st_wall_ms() / 3600000 * 3600000; /* an hour boundary keeps tiers aligned */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->resp) {
        stratus__get_metric_statistics_response__free_unpacked(f->resp, NULL);
    }
    st_store_reader_free(f->reader);
    st_store_free(f->store);
    st_hot_fini(&f->hot);
    event_base_free(f->base);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void put(struct fx *f, struct req_builder *b)
{
    assert_int_equal(st_hot_apply_put(&f->hot, ++f->lsn, f->now_ms, &b->req, NULL), 0);
}

/* Applies a marker at the given watermarks and, unless `wait` is false, waits for its job. */
static struct st_store_job *marker(struct fx *f, int64_t w1_s, int64_t w60_s, bool wait)
{
    struct st_store_job *job;
    uint64_t lsn = ++f->lsn;
    assert_int_equal(st_hot_apply_marker(&f->hot, lsn, w1_s, w60_s, &job), 0);
    assert_non_null(job);
    st_store_submit(f->store, job);
    while (wait && f->hot.confirmed_lsn < lsn) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    return job;
}

/* A GetMetricStatistics request for Lat{Host=host} and its validated query; owns what the
 * request points to. */
struct gms {
    Stratus__GetMetricStatisticsRequest req;
    Stratus__Dimension d, *dp;
    char *pct;
    struct st_stats_query q;
};

static char *all_stats[] = {"SampleCount", "Sum", "Minimum", "Maximum", "Average"};

static void gms_init(struct gms *g, const char *host, int64_t start_ms, int64_t end_ms, int period,
                     const char *stat_or_pct, const char *unit)
{
    memset(g, 0, sizeof(*g));
    stratus__get_metric_statistics_request__init(&g->req);
    stratus__dimension__init(&g->d);
    g->dp = &g->d;
    g->req.namespace_ = "App";
    g->req.metric_name = "Lat";
    if (host) {
        g->d.name = "Host";
        g->d.value = (char *)host;
        g->req.dimensions = &g->dp;
        g->req.n_dimensions = 1;
    }
    g->req.has_start_time_ms = g->req.has_end_time_ms = g->req.has_period = true;
    g->req.start_time_ms = start_ms;
    g->req.end_time_ms = end_ms;
    g->req.period = period;
    g->pct = (char *)stat_or_pct;
    if (stat_or_pct) {
        g->req.extended_statistics = &g->pct;
        g->req.n_extended_statistics = 1;
    } else {
        g->req.statistics = all_stats;
        g->req.n_statistics = 5;
    }
    g->req.unit = (char *)unit;
    struct st_error err;
    int r = st_validate_get_metric_statistics(&g->req, st_wall_ms(), &g->q, &err);
    if (r < 0) {
        fail_msg("validation: %s", err.message);
    }
}

/* Snapshots GetMetricStatistics for Lat{Host=host}; finish_query runs it. */
static struct st_query *snapshot(struct fx *f, const char *host, int64_t start_ms, int64_t end_ms,
                                 int period, const char *stat_or_pct, const char *unit)
{
    struct gms g;
    gms_init(&g, host, start_ms, end_ms, period, stat_or_pct, unit);
    struct st_query *qr = st_query_snapshot(&f->hot, &g.req, &g.q, st_wall_ms());
    assert_non_null(qr);
    return qr;
}

#define HOT_CAP 64

/* st_query_hot_points for Lat{Host=host}: its return value, the points in pts[HOT_CAP]. */
static int hot_points(struct fx *f, const char *host, int64_t start_ms, int64_t end_ms, int period,
                      const char *stat_or_pct, const char *unit, struct st_query_point *pts,
                      size_t *ret_n)
{
    struct gms g;
    gms_init(&g, host, start_ms, end_ms, period, stat_or_pct, unit);
    return st_query_hot_points(&f->hot, &g.req, &g.q, st_wall_ms(), pts, HOT_CAP, ret_n);
}

static void expect_same_double(double got, double want)
{
    assert_memory_equal(&got, &want, sizeof(double));
}

/* Runs a snapshot; the result stays in f->resp. */
static void finish_query(struct fx *f, struct st_query *qr)
{
    st_query_run(qr, f->reader);
    assert_int_equal(qr->status, 0);
    if (f->resp) {
        stratus__get_metric_statistics_response__free_unpacked(f->resp, NULL);
    }
    f->resp = stratus__get_metric_statistics_response__unpack(NULL, qr->reply_len, qr->reply);
    assert_non_null(f->resp);
    st_query_free(qr);
}

/* Runs GetMetricStatistics for Lat{Host=host}; the result stays in f->resp. */
static void query(struct fx *f, const char *host, int64_t start_ms, int64_t end_ms, int period,
                  const char *stat_or_pct, const char *unit)
{
    finish_query(f, snapshot(f, host, start_ms, end_ms, period, stat_or_pct, unit));
}

static void expect_dp(struct fx *f, size_t i, int64_t ts_ms, double n, double sum, double min,
                      double max)
{
    assert_true(i < f->resp->n_datapoints);
    Stratus__Datapoint *d = f->resp->datapoints[i];
    assert_int_equal(d->timestamp_ms, ts_ms);
    assert_true(d->has_sample_count && d->sample_count == n);
    assert_true(fabs(d->sum - sum) <= 1e-9 * fabs(sum));
    assert_true(d->minimum == min);
    assert_true(d->maximum == max);
    assert_true(fabs(d->average - sum / n) <= 1e-9 * fabs(sum / n));
}

/* Five minutes of data, one value per second of the form minute*100 + second. */
static void five_minutes(struct fx *f, const char *host, int64_t t0_ms)
{
    for (int m = 0; m < 5; m++) {
        struct req_builder b;
        rb_init(&b, "App");
        for (int s = 0; s < 60; s += 2) {
            rb_value(&b, "Lat", host, t0_ms + m * 60000 + s * 1000, m * 100 + s);
        }
        put(f, &b);
    }
}

static void test_statistics_are_exact_across_rrd_and_memory(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    marker(f, 0, t0 / 1000 + 180, true); /* three minutes to the RRD, two stay in memory */
    query(f, "a", t0, t0 + 300000, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 5);
    for (int m = 0; m < 5; m++) {
        /* 30 values m*100 + 0, 2, ..., 58 */
        expect_dp(f, (size_t)m, t0 + m * 60000, 30, 30 * m * 100 + 870, m * 100, m * 100 + 58);
    }
    query(f, "a", t0, t0 + 300000, 300, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 1);
    expect_dp(f, 0, t0, 150, 30 * 1000 + 5 * 870, 0, 458);
    assert_string_equal(f->resp->datapoints[0]->unit, "Count");
}

static void test_range_older_than_15_days_reads_the_300s_tier(void **state)
{
    struct fx *f = *state;
    int64_t old = f->now_ms - 20 * DAY_MS;
    five_minutes(f, "a", old);
    five_minutes(f, "a", f->now_ms - 2 * DAY_MS);
    marker(f, 0, f->now_ms / 1000, true);
    /* Start 21 days ago: 300 s rows, then 60 s rows for the newest, unconsolidated part. */
    query(f, "a", f->now_ms - 21 * DAY_MS, f->now_ms, 86400, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 2);
    expect_dp(f, 0, old, 150, 34350, 0, 458);
    expect_dp(f, 1, f->now_ms - 2 * DAY_MS, 150, 34350, 0, 458);
    /* CloudWatch: a range that old needs a period that is a multiple of 300 s. */
    query(f, "a", f->now_ms - 21 * DAY_MS, f->now_ms, 3660, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 0);
}

static void test_range_older_than_63_days_reads_the_3600s_tier(void **state)
{
    struct fx *f = *state;
    int64_t old = f->now_ms - 70 * DAY_MS;
    five_minutes(f, "a", old);
    marker(f, 0, f->now_ms / 1000, true);
    query(f, "a", old - 3600000, old + 2 * 3600000, 3600, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 1);
    expect_dp(f, 0, old, 150, 34350, 0, 458);
    /* Only hours are kept that far back: CloudWatch returns nothing for a 60 s period. */
    query(f, "a", old, old + 300000, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 0);
}

static void test_percentiles_come_from_stored_sketches_within_one_percent(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    struct req_builder b;
    rb_init(&b, "App");
    Stratus__MetricDatum *d = rb_add(&b, "Lat", "a", "Count", t0, false);
    double values[150], counts[150];
    for (int i = 0; i < 150; i++) {
        values[i] = i + 1;
        counts[i] = 1;
    }
    d->values = values;
    d->n_values = 150;
    d->counts = counts;
    d->n_counts = 150;
    put(f, &b);
    marker(f, 0, t0 / 1000 + 60, true);
    query(f, "a", t0, t0 + 60000, 60, "p99", NULL);
    assert_int_equal(f->resp->n_datapoints, 1);
    Stratus__Datapoint *dp = f->resp->datapoints[0];
    assert_int_equal(dp->n_extended_statistics, 1);
    assert_string_equal(dp->extended_statistics[0]->name, "p99");
    /* nearest rank: ceil(0.99 * 150) = 149th value */
    assert_true(fabs(dp->extended_statistics[0]->value - 149) <= 149 * 0.01);
    query(f, "a", t0, t0 + 60000, 60, "p50", NULL);
    assert_true(fabs(f->resp->datapoints[0]->extended_statistics[0]->value - 75) <= 75 * 0.01);
}

static void
test_late_datum_is_merged_exactly_before_and_after_its_correction_is_stored(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0 + 1000, 10);
    put(f, &b);
    marker(f, 0, t0 / 1000 + 60, true);
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0 + 2000, 50);
    rb_value(&b, "Lat", "a", t0 + 3000, 1);
    put(f, &b);
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL); /* correction in memory */
    expect_dp(f, 0, t0, 3, 61, 1, 50);
    marker(f, 0, t0 / 1000 + 60, true); /* correction stored */
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 3, 61, 1, 50);
}

static void test_bucket_in_memory_and_in_rrd_is_counted_once(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    marker(f, 0, t0 / 1000 + 300, false);
    /* Wait for the store to write the job without letting the loop free the buckets. */
    struct st_store_stats st;
    do {
        usleep(1000);
        st_store_get_stats(f->store, &st);
    } while (st.jobs < 1);
    query(f, "a", t0, t0 + 300000, 300, NULL, NULL);
    expect_dp(f, 0, t0, 150, 34350, 0, 458);
    query(f, "a", t0, t0 + 300000, 60, "p50", NULL);
    assert_int_equal(f->resp->n_datapoints, 5);
}

static void test_high_resolution_series_answers_one_second_periods(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 600000;
    struct req_builder b;
    rb_init(&b, "App");
    for (int s = 0; s < 30; s++) {
        Stratus__MetricDatum *d = rb_add(&b, "Lat", "a", "Count", t0 + s * 1000, true);
        d->has_value = true;
        d->value = s;
    }
    put(f, &b);
    marker(f, t0 / 1000 + 20, 0, true); /* 20 s to the 1 s RRD, 10 s stay in memory */
    query(f, "a", t0, t0 + 30000, 1, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 30);
    for (int s = 0; s < 30; s++) {
        expect_dp(f, (size_t)s, t0 + s * 1000, 1, s, s, s);
    }
    query(f, "a", t0, t0 + 30000, 10, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 3);
    expect_dp(f, 2, t0 + 20000, 10, 245, 20, 29);
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 30, 435, 0, 29);
}

static void test_standard_series_answers_short_periods_at_minute_granularity(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 600000;
    five_minutes(f, "a", t0);
    query(f, "a", t0, t0 + 120000, 10, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 2);
    expect_dp(f, 1, t0 + 60000, 30, 3000 + 870, 100, 158);
}

static void test_unit_filter_selects_one_unit_and_mixed_units_report_none(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 600000;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0, 1)->unit = "Seconds";
    rb_value(&b, "Lat", "a", t0, 1000)->unit = "Milliseconds";
    put(f, &b);
    query(f, "a", t0, t0 + 60000, 60, NULL, "Seconds");
    expect_dp(f, 0, t0, 1, 1, 1, 1);
    assert_string_equal(f->resp->datapoints[0]->unit, "Seconds");
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 2, 1001, 1, 1000);
    assert_string_equal(f->resp->datapoints[0]->unit, "None");
    query(f, "a", t0, t0 + 60000, 60, NULL, "Bytes");
    assert_int_equal(f->resp->n_datapoints, 0);
}

static void count_sketch(int64_t t, const uint8_t *blob, size_t len, void *data)
{
    (void)t, (void)blob, (void)len;
    (*(int *)data)++;
}

static int stored_sketches(struct fx *f, int64_t start_ms, int64_t end_ms)
{
    struct st_series *s = NULL;
    for (size_t i = 0; i < f->hot.series.cap && !s; i++) {
        s = f->hot.series.slots[i].value;
    }
    int n = 0;
    assert_int_equal(st_store_read_sketches(f->reader, s->id, 60, start_ms / 1000, end_ms / 1000,
                                            count_sketch, &n),
                     0);
    return n;
}

static void test_sketches_past_the_60s_retention_are_pruned(void **state)
{
    struct fx *f = *state;
    int64_t old = f->now_ms - 16 * DAY_MS, recent = f->now_ms - 3600000;
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", old, 1);
    rb_value(&b, "Lat", "a", recent, 2);
    put(f, &b);
    marker(f, 0, f->now_ms / 1000, true);
    assert_int_equal(stored_sketches(f, old, old + 60000), 1);
    st_store_request_prune(f->store);
    for (int i = 0; i < 5000 && stored_sketches(f, old, old + 60000) > 0; i++) {
        usleep(1000);
    }
    assert_int_equal(stored_sketches(f, old, old + 60000), 0);
    assert_int_equal(stored_sketches(f, recent, recent + 60000), 1);
}

static void test_unknown_metric_is_an_empty_answer(void **state)
{
    struct fx *f = *state;
    query(f, "nobody", f->now_ms - 600000, f->now_ms, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 0);
    assert_string_equal(f->resp->label, "Lat");
}

static void test_jobs_held_in_one_batch_write_each_file_once(void **state)
{
    struct fx *f = *state;
    st_store_free(f->store);
    struct st_store_opts o = {.dir = f->dir, .sync = false, .batch_ms = 3600000};
    uint64_t done;
    assert_int_equal(st_store_open(f->base, &o, on_done, f, on_load, f, &done, &f->store, NULL), 0);
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    for (int m = 1; m <= 5; m++) {
        marker(f, 0, t0 / 1000 + m * 60, false); /* one job per minute, as the tick makes */
    }
    st_store_flush(f->store);
    while (f->hot.confirmed_lsn < f->lsn) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    struct st_store_stats st;
    st_store_get_stats(f->store, &st);
    assert_int_equal(st.jobs, 5);
    assert_int_equal(st.rrd_updates, 1);
    assert_int_equal(st.rrd_rows, 5);
    query(f, "a", t0, t0 + 300000, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 5);
    for (int m = 0; m < 5; m++) {
        expect_dp(f, (size_t)m, t0 + m * 60000, 30, 30 * m * 100 + 870, m * 100, m * 100 + 58);
    }
}

static void count_corr(int64_t t, int64_t step, double count, double sum, double min, double max,
                       const uint8_t *sketch, size_t sketch_len, void *data)
{
    (void)t, (void)step, (void)count, (void)sum, (void)min, (void)max, (void)sketch;
    (void)sketch_len;
    (*(int *)data)++;
}

static int stored_corrections(struct fx *f, int64_t t_ms)
{
    struct st_series *s = NULL;
    for (size_t i = 0; i < f->hot.series.cap && !s; i++) {
        s = f->hot.series.slots[i].value;
    }
    int n = 0;
    assert_int_equal(st_store_read_corrections(f->reader, s->id, 60, t_ms / 1000, t_ms / 1000 + 60,
                                               true, count_corr, &n),
                     0);
    return n;
}

/* Waits (bounded) until the store thread has folded `rows` correction rows away. */
static void wait_folded(struct fx *f, uint64_t rows)
{
    struct st_store_stats st;
    for (int i = 0; i < 5000; i++) {
        st_store_get_stats(f->store, &st);
        if (st.corrections_folded >= rows) {
            break;
        }
        usleep(1000);
    }
    assert_int_equal(st.corrections_folded, rows);
}

/* One late datum of one value for minute t0, in its own job. */
static void late_job(struct fx *f, int64_t t0, double v, bool wait)
{
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0 + 7000, v);
    put(f, &b);
    marker(f, 0, t0 / 1000 + 60, wait);
}

static void
test_corrections_of_one_bucket_are_folded_into_one_row_with_the_same_answer(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    late_job(f, t0, 40, true); /* on time: flushed to the RRD file */
    double late[] = {10, 50, 1, 30, 20, 60};
    for (size_t i = 0; i < 6; i++) {
        late_job(f, t0, late[i], true); /* each a correction row of its own job */
    }
    wait_folded(f, 5);
    assert_int_equal(stored_corrections(f, t0), 1);
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 1);
    expect_dp(f, 0, t0, 7, 211, 1, 60);
    query(f, "a", t0, t0 + 60000, 60, "p50", NULL);
    assert_int_equal(f->resp->datapoints[0]->n_extended_statistics, 1);
    double p50 = f->resp->datapoints[0]->extended_statistics[0]->value;
    assert_true(fabs(p50 - 30) <= 0.01 * 30); /* 1 10 20 [30] 40 50 60, within the 1 % */
    /* The fold is committed: a restart reads the same row. */
    st_store_reader_free(f->reader);
    st_store_free(f->store);
    struct st_store_opts o = {.dir = f->dir, .sync = false};
    uint64_t done;
    st_hot_fini(&f->hot);
    st_hot_init(&f->hot);
    assert_int_equal(st_store_open(f->base, &o, on_done, f, on_load, f, &done, &f->store, NULL), 0);
    assert_int_equal(done, f->lsn);
    assert_int_equal(st_store_reader_open(f->dir, &f->reader), 0);
    assert_int_equal(stored_corrections(f, t0), 1);
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 7, 211, 1, 60);
}

static void test_a_query_that_straddles_a_fold_counts_every_correction_once(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    late_job(f, t0, 40, true);
    late_job(f, t0, 10, true);  /* correction A: stored */
    late_job(f, t0, 50, false); /* correction B: handed to a job not confirmed yet */
    /* The snapshot holds B in memory; then B's job commits and A and B are folded. */
    struct st_query *qr = snapshot(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    wait_folded(f, 1);
    finish_query(f, qr);
    expect_dp(f, 0, t0, 3, 100, 10, 50);
    /* After the loop confirms the job, the folded row alone. */
    while (f->hot.confirmed_lsn < f->lsn) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 3, 100, 10, 50);
}

/* The reply of st_query_run_with(scratch), or of st_query_run when scratch is NULL; the caller
 * frees *ret. */
static size_t run_reply(struct fx *f, struct st_query_scratch *scratch, int64_t start_ms,
                        int64_t end_ms, int period, const char *stat_or_pct, uint8_t **ret)
{
    struct st_query *qr = snapshot(f, "a", start_ms, end_ms, period, stat_or_pct, NULL);
    if (scratch) {
        st_query_run_with(qr, f->reader, scratch);
    } else {
        st_query_run(qr, f->reader);
    }
    assert_int_equal(qr->status, 0);
    size_t len = qr->reply_len;
    *ret = malloc(len ? len : 1);
    memcpy(*ret, qr->reply, len);
    st_query_free(qr);
    return len;
}

static void test_a_reused_scratch_gives_the_same_replies_byte_for_byte(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    marker(f, 0, t0 / 1000 + 180, true); /* RRD rows and stored sketches, and memory */
    late_job(f, t0, 40, true);           /* a stored correction with its sketch */
    late_job(f, t0 + 60000, 7, true);
    struct {
        int64_t start_ms, end_ms;
        int period;
        const char *stat;
    } qs[] = {
        {t0, t0 + 300000, 60, "p99"},
        {t0, t0 + 300000, 60, NULL},
        {t0 - 60000, t0 + 300000, 300, "p50"},
        {t0, t0 + 120000, 60, "p10"},
        /* 1440 periods, the most a request may ask for: the scratch grows */
        {t0 + 300000 - 86400000, t0 + 300000, 60, "p99"},
        {t0, t0 + 300000, 60, "p99"},
        {t0, t0 + 240000, 120, NULL},
        {t0 + 3600000, t0 + 7200000, 60, "p99"}, /* nothing there */
        {t0, t0 + 300000, 60, "p99.9"},
    };
    struct st_query_scratch *scratch = st_query_scratch_new();
    assert_non_null(scratch);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
            uint8_t *want, *got;
            size_t want_len =
                run_reply(f, NULL, qs[i].start_ms, qs[i].end_ms, qs[i].period, qs[i].stat, &want);
            size_t got_len =
                run_reply(f, scratch, qs[i].start_ms, qs[i].end_ms, qs[i].period, qs[i].stat, &got);
            assert_int_equal(got_len, want_len);
            assert_memory_equal(got, want, want_len);
            if (i == 0) {
                /* the answer is not empty: the comparison means something */
                Stratus__GetMetricStatisticsResponse *r =
                    stratus__get_metric_statistics_response__unpack(NULL, got_len, got);
                assert_non_null(r);
                assert_int_equal(r->n_datapoints, 5);
                assert_int_equal(r->datapoints[0]->n_extended_statistics, 1);
                stratus__get_metric_statistics_response__free_unpacked(r, NULL);
            }
            free(want);
            free(got);
        }
    }
    st_query_scratch_free(scratch);
    st_query_scratch_free(NULL);
}

/* Answers the query from the hot window and from the full path; they must be the same. Returns
 * the number of datapoints. */
static size_t expect_hot_points_equal_the_query(struct fx *f, const char *host, int64_t start_ms,
                                                int64_t end_ms, int period, const char *pct,
                                                const char *unit)
{
    struct st_query_point pts[HOT_CAP];
    size_t n = SIZE_MAX;
    assert_int_equal(hot_points(f, host, start_ms, end_ms, period, pct, unit, pts, &n), 0);
    query(f, host, start_ms, end_ms, period, pct, unit);
    assert_int_equal(n, f->resp->n_datapoints);
    for (size_t i = 0; i < n; i++) {
        const Stratus__Datapoint *dp = f->resp->datapoints[i];
        assert_int_equal(pts[i].t_ms, dp->timestamp_ms);
        if (pct) {
            assert_int_equal(dp->n_extended_statistics, 1);
            assert_true(pts[i].has_quantile[0]);
            expect_same_double(pts[i].quantile[0], dp->extended_statistics[0]->value);
            continue;
        }
        expect_same_double(pts[i].count, dp->sample_count);
        expect_same_double(pts[i].sum, dp->sum);
        expect_same_double(pts[i].sum / pts[i].count, dp->average);
        assert_int_equal(pts[i].has_min, dp->has_minimum);
        assert_int_equal(pts[i].has_max, dp->has_maximum);
        expect_same_double(pts[i].min, dp->minimum);
        expect_same_double(pts[i].max, dp->maximum);
        assert_string_equal(
            st_unit_name(pts[i].unit >= 0 ? (enum st_unit)pts[i].unit : ST_UNIT_NONE), dp->unit);
    }
    return n;
}

static void test_hot_points_equal_the_full_query_when_the_range_is_in_memory(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    /* a second unit of the same metric in the first minute, and a high-resolution series */
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0 + 1000, 7)->unit = "Seconds";
    for (int s = 0; s < 30; s++) {
        Stratus__MetricDatum *d = rb_add(&b, "Lat", "h", "Count", t0 + s * 1000, true);
        d->has_value = true;
        d->value = s;
    }
    put(f, &b);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 420000, 60, NULL, NULL), 5);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 300000, 300, NULL, NULL),
                     1);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 300000, 60, "p90", NULL),
                     5);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 300000, 300, "p50", NULL),
                     1);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 120000, 10, NULL, NULL), 2);
    assert_int_equal(
        expect_hot_points_equal_the_query(f, "a", t0, t0 + 120000, 60, NULL, "Seconds"), 1);
    assert_int_equal(expect_hot_points_equal_the_query(f, "a", t0, t0 + 120000, 60, NULL, "Count"),
                     2);
    assert_int_equal(expect_hot_points_equal_the_query(f, "h", t0, t0 + 30000, 10, NULL, NULL), 3);
    assert_int_equal(expect_hot_points_equal_the_query(f, "h", t0, t0 + 30000, 10, "p99", NULL), 3);
    assert_int_equal(expect_hot_points_equal_the_query(f, "nobody", t0, t0 + 60000, 60, NULL, NULL),
                     0);
}

static void test_hot_points_decline_once_a_marker_moves_the_watermark_into_the_range(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    struct st_query_point pts[HOT_CAP];
    size_t n;
    assert_int_equal(hot_points(f, "a", t0 + 120000, t0 + 300000, 60, NULL, NULL, pts, &n), 0);
    assert_int_equal(n, 3);
    /* Three minutes handed to the store: still in memory, but no longer the window's alone. */
    marker(f, 0, t0 / 1000 + 180, false);
    assert_int_equal(hot_points(f, "a", t0 + 120000, t0 + 300000, 60, NULL, NULL, pts, &n),
                     -EAGAIN);
    assert_int_equal(hot_points(f, "a", t0 + 180000, t0 + 300000, 60, NULL, NULL, pts, &n), 0);
    assert_int_equal(n, 2);
    /* Once durable the buckets leave memory; the full query reads them from the RRD file. */
    while (f->hot.confirmed_lsn < f->lsn) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    assert_int_equal(hot_points(f, "a", t0 + 120000, t0 + 300000, 60, NULL, NULL, pts, &n),
                     -EAGAIN);
    query(f, "a", t0 + 120000, t0 + 300000, 60, NULL, NULL);
    assert_int_equal(f->resp->n_datapoints, 3);
    expect_dp(f, 0, t0 + 120000, 30, 30 * 200 + 870, 200, 258);
}

static void test_hot_points_decline_a_range_with_a_late_datum(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 3600000;
    five_minutes(f, "a", t0);
    marker(f, 0, t0 / 1000 + 300, true);
    struct req_builder b;
    rb_init(&b, "App");
    rb_value(&b, "Lat", "a", t0 + 1000, 1000);
    put(f, &b); /* a correction of the first minute, only in memory */
    struct st_query_point pts[HOT_CAP];
    size_t n;
    assert_int_equal(hot_points(f, "a", t0, t0 + 300000, 60, NULL, NULL, pts, &n), -EAGAIN);
    query(f, "a", t0, t0 + 60000, 60, NULL, NULL);
    expect_dp(f, 0, t0, 31, 870 + 1000, 0, 1000);
}

static void test_hot_points_refuse_a_range_longer_than_the_room_given(void **state)
{
    struct fx *f = *state;
    int64_t t0 = f->now_ms - 7200000;
    struct st_query_point pts[HOT_CAP];
    size_t n;
    assert_int_equal(hot_points(f, "a", t0, t0 + (HOT_CAP + 1) * 60000LL, 60, NULL, NULL, pts, &n),
                     -ENOBUFS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_statistics_are_exact_across_rrd_and_memory),
        T(test_range_older_than_15_days_reads_the_300s_tier),
        T(test_range_older_than_63_days_reads_the_3600s_tier),
        T(test_percentiles_come_from_stored_sketches_within_one_percent),
        T(test_late_datum_is_merged_exactly_before_and_after_its_correction_is_stored),
        T(test_bucket_in_memory_and_in_rrd_is_counted_once),
        T(test_high_resolution_series_answers_one_second_periods),
        T(test_standard_series_answers_short_periods_at_minute_granularity),
        T(test_unit_filter_selects_one_unit_and_mixed_units_report_none),
        T(test_unknown_metric_is_an_empty_answer),
        T(test_sketches_past_the_60s_retention_are_pruned),
        T(test_jobs_held_in_one_batch_write_each_file_once),
        T(test_corrections_of_one_bucket_are_folded_into_one_row_with_the_same_answer),
        T(test_a_query_that_straddles_a_fold_counts_every_correction_once),
        T(test_hot_points_equal_the_full_query_when_the_range_is_in_memory),
        T(test_hot_points_decline_once_a_marker_moves_the_watermark_into_the_range),
        T(test_hot_points_decline_a_range_with_a_late_datum),
        T(test_hot_points_refuse_a_range_longer_than_the_room_given),
        T(test_a_reused_scratch_gives_the_same_replies_byte_for_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
