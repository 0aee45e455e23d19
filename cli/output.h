/* SPDX-License-Identifier: MIT */
/*
 * The JSON the verbs print, shaped byte for byte like the aws CLI's output for the same
 * CloudWatch responses: keys in botocore's order, only the members the reply has, timestamps as
 * Python's isoformat ("2026-11-23T18:00:00+00:00"), numbers as Python floats. The printers
 * borrow the replies for the length of the call.
 */
#ifndef STRATUS_CLI_OUTPUT_H
#define STRATUS_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stratus.pb-c.h"

/* Formats ms since the epoch as datetime.isoformat() of a UTC time; buf needs 40 bytes. */
void st_output_format_time(int64_t ms, char *buf, size_t len);

/* Prints {"Label", "Datapoints": [...]}; sorts resp->datapoints by time first (in place). */
void st_output_statistics(FILE *f, Stratus__GetMetricStatisticsResponse *resp);

/* Prints {"Metrics": [...]} and "NextToken" when next_token is not NULL. */
void st_output_metrics(FILE *f, Stratus__Metric *const *metrics, size_t n, const char *next_token);

#endif
