/* SPDX-License-Identifier: MIT */
/*
 * The aws CLI's `--metric-data` JSON for put-metric-data, turned into native API datums: a
 * list of up to 1000 objects {MetricName, Dimensions: [{Name, Value}], Timestamp (ISO 8601
 * string or epoch seconds), Value, StatisticValues: {SampleCount, Sum, Minimum, Maximum},
 * Values, Counts, Unit, StorageResolution}. The input comes from outside (a file or the
 * command line), so the parser checks every type, count and length and copes with allocation
 * failure. It checks the shape of the request, as botocore does before sending, and leaves
 * the limits of values, names and times to the collector.
 */
#ifndef STRATUS_CLI_METRIC_DATA_JSON_H
#define STRATUS_CLI_METRIC_DATA_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "stratus.pb-c.h"
#include "stratus/error.h"

/*
 * Parses buf (len bytes, no terminator needed) into *ret_n datums (1 .. ST_MAX_DATUMS). On
 * success the caller owns the array and the datums (free with st_metric_data_free). Returns 0,
 * -EINVAL with err naming the offending field ("MetricData[2].Values[0]"), or -ENOMEM.
 */
int st_metric_data_json_parse(const uint8_t *buf, size_t len, Stratus__MetricDatum ***ret_datums,
                              size_t *ret_n, struct st_error *err);

/* Frees n datums and the array; entries may be NULL. NULL datums is a no-op. */
void st_metric_data_free(Stratus__MetricDatum **datums, size_t n);

#endif
