/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the CLI's --metric-data JSON parser (cli/metric_data_json.h), which reads a
 * file or argument the user gives. Beyond not crashing or leaking (also under the allocation
 * failures replay_main.c injects), it checks the parser's promises: the result is 0, -EINVAL
 * with a usage message, or -ENOMEM; an accepted batch has 1..1000 datums, each with a name,
 * exactly one kind of value, Counts only beside Values of the same length, and complete
 * dimensions; and it packs into a PutMetricDataRequest that decodes back to the same shape.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli.h"
#include "../../cli/metric_data_json.h"
#include "stratus/alloc.h"
#include "stratus/metric.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok) {
        abort();
    }
}

static void check_datum(const Stratus__MetricDatum *d)
{
    require(d != NULL && d->metric_name != NULL);
    unsigned kinds = (unsigned)d->has_value + (d->statistic_values != NULL) + (d->values != NULL);
    require(kinds <= 1);
    require(d->n_values <= ST_MAX_VALUES && d->n_counts <= ST_MAX_VALUES);
    require(d->n_counts == 0 || d->n_counts == d->n_values);
    require(d->n_dimensions <= ST_MAX_DIMENSIONS);
    for (size_t i = 0; i < d->n_dimensions; i++) {
        require(d->dimensions[i]->name != NULL && d->dimensions[i]->value != NULL);
    }
    if (d->statistic_values) {
        const Stratus__StatisticSet *s = d->statistic_values;
        require(s->has_sample_count && s->has_sum && s->has_minimum && s->has_maximum);
    }
}

/* Packs the datums as a request and decodes it again; OOM here only skips the check. */
static void check_round_trip(Stratus__MetricDatum **datums, size_t n)
{
    Stratus__PutMetricDataRequest req = STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    req.namespace_ = "Fuzz";
    req.metric_data = datums;
    req.n_metric_data = n;
    size_t len = stratus__put_metric_data_request__get_packed_size(&req);
    uint8_t *buf = st_malloc(len + 1);
    if (!buf) {
        return;
    }
    require(stratus__put_metric_data_request__pack(&req, buf) == len);
    Stratus__PutMetricDataRequest *back = stratus__put_metric_data_request__unpack(NULL, len, buf);
    st_free(buf);
    require(back != NULL);
    require(back->n_metric_data == n);
    for (size_t i = 0; i < n; i++) {
        require(strcmp(back->metric_data[i]->metric_name, datums[i]->metric_name) == 0);
        require(back->metric_data[i]->n_values == datums[i]->n_values);
        require(back->metric_data[i]->n_dimensions == datums[i]->n_dimensions);
    }
    stratus__put_metric_data_request__free_unpacked(back, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Stratus__MetricDatum **datums = NULL;
    size_t n = 0;
    struct st_error err = {{0}};
    int rc = st_metric_data_json_parse(data, size, &datums, &n, &err);
    if (rc < 0) {
        require(rc == -EINVAL || rc == -ENOMEM);
        require(datums == NULL);
        require(err.message[0] != '\0');
        require(rc == -ENOMEM || strcmp(err.code, ST_CLI_ERR_USAGE) == 0);
        return 0;
    }
    require(rc == 0 && n >= 1 && n <= ST_MAX_DATUMS && datums != NULL);
    for (size_t i = 0; i < n; i++) {
        check_datum(datums[i]);
    }
    check_round_trip(datums, n);
    st_metric_data_free(datums, n);
    return 0;
}
