/* SPDX-License-Identifier: MIT */
/*
 * Operations, independent of the protocol that carries them. Every API operation of the
 * collector (PutMetricData, GetMetricStatistics, PutMetricAlarm, ...) is one `struct st_op`:
 * its AWS name, the protobuf descriptors of its request and response (the .proto files in proto/,
 * whose messages mirror the AWS shapes: field = snake_case of the AWS member, times in int64 *_ms)
 * and a run function that works on the decoded request message only.
 *
 * A front end (the native protobuf API in api.c; the AWS Query, JSON 1.0 and CBOR protocols)
 * decodes the request into a `struct st_call`, runs the op, and encodes whatever the op
 * answers in its own format. So an op is written once and every protocol serves it.
 *
 * Ownership: the front end owns the call. `run` (loop thread) must end the call with exactly
 * one st_call_reply*, or st_call_fail*, now or later from a loop-thread callback; after that
 * the call and everything in its arena are gone.
 */
#ifndef STRATUS_COLLECTOR_OP_H
#define STRATUS_COLLECTOR_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "stratus/arena.h"
#include "stratus/error.h"

struct st_collector;
struct st_call;

/* Runs on the loop thread with call->request decoded; must not block (no disk, no SQLite). */
typedef void (*st_op_run_fn)(struct st_collector *c, struct st_call *call);

struct st_op {
    const char *name; /* the AWS operation name, e.g. "PutMetricData" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
    st_op_run_fn run;
    bool large_body; /* takes bodies up to --max-body-bytes; others up to 64 KiB */
};

/* How a front end sends what the op answers. Both end the call (free or recycle it). */
struct st_frontend {
    /* resp is the response message, or NULL when only its encoding (packed) is given. */
    void (*reply)(struct st_call *call, const ProtobufCMessage *resp, const uint8_t *packed,
                  size_t packed_len);
    void (*fail)(struct st_call *call, int http_status, const char *code, const char *message);
};

struct st_call {
    struct st_collector *c;
    const struct st_op *op;
    ProtobufCMessage *request; /* decoded into arena; cast to the op's request type */
    /* The request's protobuf encoding when the front end received exactly that (the native
     * API), so that ops which log the request (PutMetricData) need not pack it again; else
     * NULL. Borrowed until the call ends. */
    const uint8_t *raw;
    size_t raw_len;
    int64_t arrival_ms;    /* wall clock, when the request was read */
    struct st_arena arena; /* request-lifetime memory: the decoded request, reply building */
    const struct st_frontend *fe;
    void *fe_data; /* the front end's own (the evhttp request) */
    char peer[64]; /* the client's address, for log lines */
    struct st_call *next_free;
};

/* The op table (ops.c). Returns the op named name[0..len), or NULL. */
const struct st_op *st_op_find(const char *name, size_t len);
/* Every op, for front ends that list them; ret_n receives the count. */
const struct st_op *st_op_all(size_t *ret_n);

/*
 * Calls are pooled with their arenas (the ingest path allocates none). st_call_new returns a
 * zeroed call with an empty arena, or NULL on OOM; st_call_release returns it to the pool
 * (front ends do that after sending the reply).
 */
struct st_call *st_call_new(struct st_collector *c);
void st_call_release(struct st_call *call);
void st_call_pool_free(struct st_collector *c);

/* Ends the call with a response message (borrowed until return). */
void st_call_reply(struct st_call *call, const ProtobufCMessage *resp);
/* Ends the call with an already packed response of the op's response type. */
void st_call_reply_packed(struct st_call *call, const uint8_t *packed, size_t len);
/* Ends the call with an AWS error; the HTTP status follows from the code (st_error_status). */
void st_call_fail(struct st_call *call, const struct st_error *err);
void st_call_fail_status(struct st_call *call, int http_status, const char *code,
                         const char *message);

/* The HTTP status AWS uses for an error code: 400 for parameter errors, 404 ResourceNotFound,
 * 503 ServiceUnavailable, 500 for InternalServiceError and unknown codes. */
int st_error_status(const char *code);

/* The metric operations (api.c). */
void st_op_put_metric_data(struct st_collector *c, struct st_call *call);
void st_op_get_metric_statistics(struct st_collector *c, struct st_call *call);
void st_op_list_metrics(struct st_collector *c, struct st_call *call);
/* GetMetricData, with metric math (get_metric_data.c). */
void st_op_get_metric_data(struct st_collector *c, struct st_call *call);

/* The dashboard operations (dashboard_ops.c). */
void st_op_put_dashboard(struct st_collector *c, struct st_call *call);
void st_op_get_dashboard(struct st_collector *c, struct st_call *call);
void st_op_list_dashboards(struct st_collector *c, struct st_call *call);
void st_op_delete_dashboards(struct st_collector *c, struct st_call *call);
/* The trace operations (trace_ops.c). */
void st_op_put_trace_segments(struct st_collector *c, struct st_call *call);
void st_op_get_service_graph(struct st_collector *c, struct st_call *call);
void st_op_get_trace_summaries(struct st_collector *c, struct st_call *call);
void st_op_batch_get_traces(struct st_collector *c, struct st_call *call);

#endif
