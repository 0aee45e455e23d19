/* SPDX-License-Identifier: MIT */
/*
 * The metric operations (op.h): PutMetricData, GetMetricStatistics and ListMetrics, on
 * decoded request messages, whatever protocol carried them. PutMetricData answers only once
 * its WAL record is durable; GetMetricStatistics runs on the query pool. Loop thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector_private.h"
#include "op.h"
#include "stratus/alloc.h"
#include "stratus/time_util.h"

static void fail_unavailable(struct st_call *call)
{
    st_call_fail_status(call, 503, "ServiceUnavailable",
                        "the collector cannot write its log; the data was not stored");
}

static void on_put_durable(uint64_t lsn, int status, void *data)
{
    struct st_call *call = data;
    struct st_collector *c = call->c;
    if (status < 0) {
        fail_unavailable(call);
        return;
    }
    struct st_error err;
    int r = st_hot_apply_put(&c->hot, lsn, call->arrival_ms,
                             (const Stratus__PutMetricDataRequest *)call->request, &err);
    if (r == -ENOMEM) {
        st_log_error("collector: out of memory applying record %llu; exiting so that a "
                     "restart replays the log",
                     (unsigned long long)lsn);
        exit(1);
    }
    if (r < 0) {
        st_log_warning("api: %s", err.message);
    }
    st_call_reply_packed(call, NULL, 0);
}

void st_op_put_metric_data(struct st_collector *c, struct st_call *call)
{
    const Stratus__PutMetricDataRequest *msg = (const Stratus__PutMetricDataRequest *)call->request;
    if (c->failed) {
        fail_unavailable(call);
        return;
    }
    struct st_validate_opts vo = {.allow_aws_namespace = c->opts.allow_aws_namespace};
    struct st_error err;
    if (st_validate_put_metric_data(msg, call->arrival_ms, &vo, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    /* The WAL record is the request's protobuf encoding: the received bytes when the native
     * API carried it, else the message packed here. */
    size_t len = call->raw ? call->raw_len : protobuf_c_message_get_packed_size(&msg->base);
    uint8_t *copy = st_malloc(len ? len : 1);
    if (!copy) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    if (call->raw) {
        memcpy(copy, call->raw, len);
    } else {
        protobuf_c_message_pack(&msg->base, copy);
    }
    if (st_wal_append(c->wal, ST_WAL_PUT, call->arrival_ms, copy, len, on_put_durable, call, NULL) <
        0) {
        c->failed = true;
        fail_unavailable(call);
    }
}

/* The query pool's callback for GetMetricStatistics calls (loop thread). */
static void on_stats_done(struct st_query *q, void *data)
{
    struct st_call *call = data;
    if (q->status < 0) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "the query failed");
    } else {
        st_call_reply_packed(call, q->reply, q->reply_len);
    }
    st_query_free(q);
}

void st_op_get_metric_statistics(struct st_collector *c, struct st_call *call)
{
    const Stratus__GetMetricStatisticsRequest *msg =
        (const Stratus__GetMetricStatisticsRequest *)call->request;
    struct st_stats_query q;
    struct st_error err;
    int64_t now = st_wall_ms();
    if (st_validate_get_metric_statistics(msg, now, &q, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    struct st_query *qr = st_query_snapshot(&c->hot, msg, &q, now);
    if (!qr) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    qr->done = on_stats_done;
    qr->data = call;
    st_query_pool_submit(c->qpool, qr);
}

void st_op_list_metrics(struct st_collector *c, struct st_call *call)
{
    const Stratus__ListMetricsRequest *msg = (const Stratus__ListMetricsRequest *)call->request;
    struct st_error err;
    uint8_t *reply = NULL;
    size_t reply_len;
    if (st_validate_list_metrics(msg, &err) < 0 ||
        st_list_metrics(&c->hot, msg, st_wall_ms(), &reply, &reply_len, &err) < 0) {
        st_call_fail(call, &err);
    } else {
        st_call_reply_packed(call, reply, reply_len);
    }
    st_free(reply);
}
