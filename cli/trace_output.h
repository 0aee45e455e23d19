/* SPDX-License-Identifier: MIT */
/*
 * The JSON the trace verbs print, shaped as `aws xray ...` prints X-Ray's responses: keys in
 * botocore's member order, only the members the reply has, timestamps as Python's isoformat,
 * numbers as Python floats where X-Ray's are doubles. The printers borrow the replies.
 */
#ifndef STRATUS_CLI_TRACE_OUTPUT_H
#define STRATUS_CLI_TRACE_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "traces.pb-c.h"

/* {"Services": [...], "StartTime", "EndTime", "ContainsOldGroupVersions"} */
void st_output_service_graph(FILE *f, const Stratus__GetServiceGraphResponse *resp);

/* {"TraceSummaries": [...all pages...], "ApproximateTime", "TracesProcessedCount"}; first
 * holds the first page's non-list members. */
void st_output_trace_summaries(FILE *f, Stratus__TraceSummary *const *items, size_t n,
                               const Stratus__GetTraceSummariesResponse *first);

/* {"Traces": [...], "UnprocessedTraceIds": [...]} over every reply. */
void st_output_traces(FILE *f, Stratus__BatchGetTracesResponse *const *replies, size_t n);

/* {"UnprocessedTraceSegments": [...]} */
void st_output_put_trace_segments(FILE *f, const Stratus__PutTraceSegmentsResponse *resp);

#endif
