/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the StatsD parser and aggregator (lib/statsd.c). Every event the parser
 * delivers must satisfy the header's promises (name, tags, value and rate within limits, unique
 * tag keys), the statistics must add up, and the events, fed twice into small aggregators (so
 * that the key and cell limits are hit), must flush into metrics whose distributions are
 * consistent: at most 150 ascending values with positive counts that sum to the count, inside
 * [min, max]. Any allocation may fail (replay_main.c arms st_alloc_fail_after): the aggregator
 * then refuses the event with -ENOMEM and nothing else may go wrong. Violations abort.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/statsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct run {
    const uint8_t *data;
    size_t size;
    struct st_statsd_agg *agg[2];
    size_t events;
};

static bool within(const char *s, size_t len, const uint8_t *data, size_t size)
{
    return (const uint8_t *)s >= data && (const uint8_t *)s + len <= data + size;
}

static int on_event(const struct st_statsd_event *ev, void *arg)
{
    struct run *run = arg;
    run->events++;
    CHECK(ev->name_len >= 1 && ev->name_len <= ST_STATSD_MAX_NAME_LEN);
    CHECK(within(ev->name, ev->name_len, run->data, run->size));
    CHECK(memchr(ev->name, ':', ev->name_len) == NULL);
    CHECK(memchr(ev->name, '|', ev->name_len) == NULL);
    CHECK(memchr(ev->name, '\n', ev->name_len) == NULL);
    CHECK(ev->type <= ST_STATSD_DISTRIBUTION);
    CHECK(ev->sample_rate > 0 && ev->sample_rate <= 1);
    CHECK(ev->n_tags <= ST_STATSD_MAX_TAGS);
    if (ev->type == ST_STATSD_SET) {
        CHECK(ev->set_member_len >= 1 && ev->set_member_len <= ST_STATSD_MAX_SET_LEN);
        CHECK(within(ev->set_member, ev->set_member_len, run->data, run->size));
    } else {
        CHECK(isfinite(ev->value));
    }
    CHECK(!ev->relative || ev->type == ST_STATSD_GAUGE);
    if (ev->type == ST_STATSD_TIMING || ev->type == ST_STATSD_HISTOGRAM) {
        CHECK(ev->value >= 0);
    }
    for (size_t i = 0; i < ev->n_tags; i++) {
        const struct st_statsd_tag *t = &ev->tags[i];
        CHECK(t->key_len >= 1 && t->key_len <= ST_STATSD_MAX_TAG_KEY_LEN);
        CHECK(t->value_len >= 1 && t->value_len <= ST_STATSD_MAX_TAG_VAL_LEN);
        CHECK(within(t->key, t->key_len, run->data, run->size));
        CHECK(within(t->value, t->value_len, run->data, run->size) ||
              (t->value_len == 4 && memcmp(t->value, "true", 4) == 0));
        for (size_t j = 0; j < i; j++) {
            CHECK(t->key_len != ev->tags[j].key_len ||
                  memcmp(t->key, ev->tags[j].key, t->key_len) != 0);
        }
    }
    for (int a = 0; a < 2; a++) {
        if (!run->agg[a]) {
            continue;
        }
        int r = st_statsd_agg_add(run->agg[a], ev);
        CHECK(r == 0 || r == -ENOSPC || r == -EINVAL || r == -ENOMEM || r == -EOPNOTSUPP);
        CHECK(r != -EOPNOTSUPP || ev->type == ST_STATSD_DISTRIBUTION);
    }
    return 0;
}

static int on_metric(const struct st_statsd_metric *m, void *arg)
{
    (void)arg;
    size_t len = strlen(m->name);
    CHECK(len >= 1 && len <= ST_STATSD_MAX_NAME_LEN);
    CHECK(m->type != ST_STATSD_DISTRIBUTION);
    CHECK(strcmp(m->metric_type, st_statsd_type_name(m->type)) == 0);
    CHECK(m->n_tags <= ST_STATSD_MAX_TAGS);
    for (size_t i = 0; i < m->n_tags; i++) {
        CHECK(strlen(m->tags[i].key) == m->tags[i].key_len);
        CHECK(strcmp(m->tags[i].key, "metric_type") != 0);
        if (i > 0) {
            CHECK(strcmp(m->tags[i - 1].key, m->tags[i].key) < 0);
        }
    }
    if (m->type != ST_STATSD_TIMING && m->type != ST_STATSD_HISTOGRAM) {
        CHECK(isfinite(m->value));
        CHECK(m->type != ST_STATSD_SET || m->value >= 1);
        return 0;
    }
    CHECK(m->n_values >= 1 && m->n_values <= ST_STATSD_AGG_MAX_VALUES);
    CHECK(isfinite(m->count) && isfinite(m->sum) && m->min <= m->max && m->min >= 0);
    double total = 0;
    for (size_t i = 0; i < m->n_values; i++) {
        CHECK(i == 0 || m->values[i] > m->values[i - 1]);
        CHECK(m->values[i] >= m->min && m->values[i] <= m->max);
        CHECK(m->counts[i] > 0 && isfinite(m->counts[i]));
        total += m->counts[i];
    }
    CHECK(fabs(total - m->count) <= 1e-9 * m->count);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run run = {.data = data, .size = size};
    /* One aggregator with the defaults, one tiny one that runs into every limit. */
    if (st_statsd_agg_new(NULL, &run.agg[0]) < 0) {
        run.agg[0] = NULL;
    }
    struct st_statsd_agg_config small = {
        .max_keys = 8, .max_cells = 200, .metric_separator = "::", .keep_gauges = size % 2};
    if (st_statsd_agg_new(&small, &run.agg[1]) < 0) {
        run.agg[1] = NULL;
    }
    for (int round = 0; round < 2; round++) {
        struct st_statsd_stats stats = {0};
        run.events = 0;
        int r = st_statsd_parse(data, size, on_event, &run, &stats);
        CHECK(r == 0 || (r == -EMSGSIZE && size > ST_STATSD_MAX_DATAGRAM));
        CHECK(stats.events == run.events);
        uint64_t bad = 0;
        for (int i = 0; i < ST_STATSD__BAD_MAX; i++) {
            bad += stats.bad[i];
        }
        CHECK(bad == stats.bad_lines);
        CHECK(stats.bad_lines + stats.ignored_lines <= stats.lines);
        CHECK(stats.events <=
              (stats.lines - stats.bad_lines - stats.ignored_lines) * ST_STATSD_MAX_SAMPLES);
        for (int a = 0; a < 2; a++) {
            if (run.agg[a]) {
                CHECK(st_statsd_agg_flush(run.agg[a], on_metric, NULL) == 0);
            }
        }
    }
    for (int a = 0; a < 2; a++) {
        if (run.agg[a]) {
            struct st_statsd_agg_stats s;
            st_statsd_agg_get_stats(run.agg[a], &s);
            CHECK(s.keys <= (a ? 8 : ST_STATSD_AGG_DEFAULT_KEYS));
        }
        st_statsd_agg_free(run.agg[a]);
    }
    return 0;
}
