/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that build PutMetricData requests in memory for the collector's unit tests.
 * Everything a request points to lives in the struct req_builder, which the test owns.
 */
#ifndef STRATUS_TESTS_COLLECTOR_FIXTURES_H
#define STRATUS_TESTS_COLLECTOR_FIXTURES_H

#include <stdbool.h>
#include <string.h>

#include "stratus.pb-c.h"

#define FIX_MAX_DATUMS 64

struct req_builder {
    Stratus__PutMetricDataRequest req;
    Stratus__MetricDatum datums[FIX_MAX_DATUMS];
    Stratus__MetricDatum *ptrs[FIX_MAX_DATUMS];
    Stratus__Dimension dims[FIX_MAX_DATUMS][2];
    Stratus__Dimension *dim_ptrs[FIX_MAX_DATUMS][2];
    Stratus__StatisticSet sets[FIX_MAX_DATUMS];
};

static inline void rb_init(struct req_builder *b, const char *ns)
{
    memset(b, 0, sizeof(*b));
    stratus__put_metric_data_request__init(&b->req);
    b->req.namespace_ = (char *)ns;
    b->req.metric_data = b->ptrs;
}

/* Adds a datum with one dimension Host=host (host may be NULL for none). */
static inline Stratus__MetricDatum *rb_add(struct req_builder *b, const char *name,
                                           const char *host, const char *unit, int64_t ts_ms,
                                           bool hires)
{
    size_t i = b->req.n_metric_data++;
    Stratus__MetricDatum *d = &b->datums[i];
    stratus__metric_datum__init(d);
    d->metric_name = (char *)name;
    if (host) {
        stratus__dimension__init(&b->dims[i][0]);
        b->dims[i][0].name = (char *)"Host";
        b->dims[i][0].value = (char *)host;
        b->dim_ptrs[i][0] = &b->dims[i][0];
        d->dimensions = b->dim_ptrs[i];
        d->n_dimensions = 1;
    }
    d->unit = (char *)unit;
    d->has_timestamp_ms = true;
    d->timestamp_ms = ts_ms;
    if (hires) {
        d->has_storage_resolution = true;
        d->storage_resolution = 1;
    }
    b->ptrs[i] = d;
    return d;
}

static inline Stratus__MetricDatum *rb_value(struct req_builder *b, const char *name,
                                             const char *host, int64_t ts_ms, double v)
{
    Stratus__MetricDatum *d = rb_add(b, name, host, "Count", ts_ms, false);
    d->has_value = true;
    d->value = v;
    return d;
}

static inline Stratus__MetricDatum *rb_set(struct req_builder *b, const char *name,
                                           const char *host, int64_t ts_ms, double n, double sum,
                                           double min, double max)
{
    size_t i = b->req.n_metric_data;
    Stratus__MetricDatum *d = rb_add(b, name, host, "Count", ts_ms, false);
    Stratus__StatisticSet *s = &b->sets[i];
    stratus__statistic_set__init(s);
    s->has_sample_count = s->has_sum = s->has_minimum = s->has_maximum = true;
    s->sample_count = n;
    s->sum = sum;
    s->minimum = min;
    s->maximum = max;
    d->statistic_values = s;
    return d;
}

#endif
