/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the PutMetricData ingest path: the bytes are decoded as a native API request
 * (stratus.PutMetricDataRequest, into a request arena as the collector decodes it) and validated
 * with st_validate_put_metric_data at a fixed clock. Beyond not crashing, it checks the
 * validator's promises: the result is 0 or -EINVAL, a rejection carries a known code and a
 * printable message, allowing AWS/ namespaces never rejects more, and an accepted request has
 * every property the storage layer relies on (checked again here, independently). Allocation
 * failures injected by replay_main.c make the decoder fail, which must not leak.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/arena.h"
#include "stratus/error.h"
#include "stratus/metric.h"

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok) {
        abort();
    }
}

static void check_rejection(const struct st_error *err)
{
    require(strcmp(err->code, ST_ERR_INVALID_PARAMETER_VALUE) == 0 ||
            strcmp(err->code, ST_ERR_MISSING_PARAMETER) == 0 ||
            strcmp(err->code, ST_ERR_INVALID_PARAMETER_COMBINATION) == 0);
    size_t len = strnlen(err->message, sizeof(err->message));
    require(len > 0 && len < sizeof(err->message));
    for (size_t i = 0; i < len; i++) {
        require(err->message[i] >= 0x20 && err->message[i] < 0x7f);
    }
}

static bool number_ok(double v)
{
    return isfinite(v) && fabs(v) <= ldexp(1.0, ST_VALUE_LIMIT_LOG2);
}

/* What the storage layer may assume of an accepted request. */
static void check_accepted(const Stratus__PutMetricDataRequest *req)
{
    require(req->namespace_ && req->namespace_[0] && strlen(req->namespace_) <= ST_MAX_NAME_LEN);
    require(req->n_metric_data >= 1 && req->n_metric_data <= ST_MAX_DATUMS);
    for (size_t i = 0; i < req->n_metric_data; i++) {
        const Stratus__MetricDatum *d = req->metric_data[i];
        require(d && d->metric_name && d->metric_name[0]);
        require(d->n_dimensions <= ST_MAX_DIMENSIONS);
        for (size_t k = 0; k < d->n_dimensions; k++) {
            const Stratus__Dimension *dim = d->dimensions[k];
            require(dim && dim->name && dim->value);
            require(strlen(dim->name) <= ST_MAX_NAME_LEN);
            require(strlen(dim->value) <= ST_MAX_DIM_VALUE_LEN);
            for (size_t j = 0; j < k; j++) {
                require(strcmp(d->dimensions[j]->name, dim->name) != 0);
            }
        }
        int kinds = !!d->has_value + !!d->statistic_values + !!d->n_values;
        require(kinds == 1);
        if (d->has_value) {
            require(number_ok(d->value));
        }
        if (d->statistic_values) {
            const Stratus__StatisticSet *s = d->statistic_values;
            require(s->has_sample_count && s->has_sum && s->has_minimum && s->has_maximum);
            require(number_ok(s->sample_count) && number_ok(s->sum));
            require(number_ok(s->minimum) && number_ok(s->maximum));
            require(s->sample_count > 0 && s->minimum <= s->maximum);
        }
        require(d->n_values <= ST_MAX_VALUES);
        require(d->n_counts == 0 || d->n_counts == d->n_values);
        for (size_t k = 0; k < d->n_values; k++) {
            require(number_ok(d->values[k]));
        }
        for (size_t k = 0; k < d->n_counts; k++) {
            require(number_ok(d->counts[k]) && d->counts[k] >= 0);
        }
        enum st_unit unit;
        require(!d->unit || st_unit_parse(d->unit, &unit) == 0);
        require(!d->has_storage_resolution || d->storage_resolution == 1 ||
                d->storage_resolution == 60);
        require(!d->has_timestamp_ms || (d->timestamp_ms >= NOW_MS - ST_MAX_PAST_MS &&
                                         d->timestamp_ms <= NOW_MS + ST_MAX_FUTURE_MS));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The collector refuses larger bodies before decoding them. */
    if (size > ST_MAX_REQUEST_BYTES) {
        return 0;
    }
    struct st_arena arena;
    st_arena_init(&arena, 0, 16 * ST_MAX_REQUEST_BYTES);
    Stratus__PutMetricDataRequest *req =
        stratus__put_metric_data_request__unpack(st_arena_protobuf(&arena), size, data);
    if (req) {
        struct st_error err = {0};
        const struct st_validate_opts strict = {.allow_aws_namespace = false};
        int rc = st_validate_put_metric_data(req, NOW_MS, &strict, &err);
        require(rc == 0 || rc == -EINVAL);
        if (rc == 0) {
            require(err.code[0] == '\0');
            check_accepted(req);
        } else {
            check_rejection(&err);
        }

        struct st_error err_aws = {0};
        const struct st_validate_opts aws = {.allow_aws_namespace = true};
        int rc_aws = st_validate_put_metric_data(req, NOW_MS, &aws, &err_aws);
        require(rc_aws == 0 || rc_aws == -EINVAL);
        require(rc != 0 || rc_aws == 0);
        if (rc_aws == 0) {
            check_accepted(req);
        } else {
            check_rejection(&err_aws);
        }
    }
    st_arena_fini(&arena);
    return 0;
}
