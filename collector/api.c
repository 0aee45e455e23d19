/* SPDX-License-Identifier: MIT */
/*
 * The native HTTP API (/v1/<Operation>, protobuf bodies). Every handler ends in exactly one
 * reply: a 200 with a protobuf body, or an AWS-shaped JSON error {"__type", "message"} with the
 * HTTP status AWS uses for that code. PutMetricData replies only once its WAL record is durable.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/time_util.h"

#define MAX_FREE_CTX 64

void st_api_send_error(struct evhttp_request *req, int status, const char *code,
                       const char *message)
{
    json_object *o = json_object_new_object();
    struct evbuffer *out = evbuffer_new();
    if (o && out) {
        json_object_object_add(o, "__type", json_object_new_string(code));
        json_object_object_add(o, "message", json_object_new_string(message));
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        evbuffer_add(out, s, strlen(s));
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "x-amzn-ErrorType", code);
    const char *reason = status == 400   ? "Bad Request"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                         : status == 413 ? "Payload Too Large"
                         : status == 415 ? "Unsupported Media Type"
                         : status == 503 ? "Service Unavailable"
                                         : "Internal Server Error";
    evhttp_send_reply(req, status, reason, out);
    if (out) {
        evbuffer_free(out);
    }
    json_object_put(o);
}

static void send_error_st(struct evhttp_request *req, const struct st_error *err)
{
    int status = strcmp(err->code, ST_ERR_INTERNAL_FAILURE) == 0 ? 500 : 400;
    st_api_send_error(req, status, err->code, err->message);
}

static void send_proto(struct evhttp_request *req, const uint8_t *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    evbuffer_add(out, body, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/x-protobuf");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

/*
 * Checks method, content type and size. Returns the body (contiguous, borrowed from the
 * request) or NULL after replying with an error.
 */
static const uint8_t *take_body(struct st_collector *c, struct evhttp_request *req, size_t max,
                                size_t *ret_len)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        st_api_send_error(req, 405, "InvalidAction", "the native API takes POST requests only");
        return NULL;
    }
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-protobuf", 22) != 0 ||
        (ct[22] != '\0' && ct[22] != ';')) {
        st_api_send_error(req, 415, "UnsupportedMediaType",
                          "the native API takes Content-Type: application/x-protobuf");
        return NULL;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > max) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Request size %zu exceeded %zu bytes", len, max);
        st_api_send_error(req, 413, "RequestEntityTooLarge", msg);
        return NULL;
    }
    (void)c;
    *ret_len = len;
    static const uint8_t empty[1];
    return len ? evbuffer_pullup(in, -1) : empty;
}

static void bad_input(struct st_collector *c, struct evhttp_request *req, const char *what)
{
    if (st_ratelimit_allow(&c->bad_request_rl)) {
        st_log_warning("api: %s from %s, rejecting (non-fatal)", what,
                       evhttp_request_get_host(req) ? evhttp_request_get_host(req) : "?");
    }
    char msg[160];
    snprintf(msg, sizeof(msg), "The request body is not a valid %s message.", what);
    st_api_send_error(req, 400, "MalformedInput", msg);
}

static struct put_ctx *ctx_get(struct st_collector *c)
{
    struct put_ctx *ctx = c->free_ctx;
    if (ctx) {
        c->free_ctx = ctx->next_free;
        c->n_free_ctx--;
        return ctx;
    }
    ctx = st_calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->c = c;
        st_arena_init(&ctx->arena, 256 * 1024, 16u * 1024 * 1024);
    }
    return ctx;
}

static void ctx_put(struct st_collector *c, struct put_ctx *ctx)
{
    st_arena_reset(&ctx->arena);
    ctx->req = NULL;
    ctx->msg = NULL;
    if (c->n_free_ctx >= MAX_FREE_CTX) {
        st_arena_fini(&ctx->arena);
        st_free(ctx);
        return;
    }
    ctx->next_free = c->free_ctx;
    c->free_ctx = ctx;
    c->n_free_ctx++;
}

void st_api_put_ctx_free_all(struct st_collector *c)
{
    while (c->free_ctx) {
        struct put_ctx *ctx = c->free_ctx;
        c->free_ctx = ctx->next_free;
        st_arena_fini(&ctx->arena);
        st_free(ctx);
    }
    c->n_free_ctx = 0;
}

static void on_put_durable(uint64_t lsn, int status, void *data)
{
    struct put_ctx *ctx = data;
    struct st_collector *c = ctx->c;
    if (status < 0) {
        st_api_send_error(ctx->req, 503, "ServiceUnavailable",
                          "the collector cannot write its log; the data was not stored");
        ctx_put(c, ctx);
        return;
    }
    struct st_error err;
    int r = st_hot_apply_put(&c->hot, lsn, ctx->arrival_ms, ctx->msg, &err);
    if (r == -ENOMEM) {
        st_log_error("collector: out of memory applying record %llu; exiting so that a "
                     "restart replays the log",
                     (unsigned long long)lsn);
        exit(1);
    }
    if (r < 0) {
        st_log_warning("api: %s", err.message);
    }
    send_proto(ctx->req, NULL, 0);
    ctx_put(c, ctx);
}

static void handle_put(struct st_collector *c, struct evhttp_request *req)
{
    size_t len;
    const uint8_t *body = take_body(c, req, c->opts.max_body_bytes, &len);
    if (!body) {
        return;
    }
    if (c->failed) {
        st_api_send_error(req, 503, "ServiceUnavailable",
                          "the collector cannot write its log; the data was not stored");
        return;
    }
    struct put_ctx *ctx = ctx_get(c);
    if (!ctx) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    ctx->req = req;
    ctx->arrival_ms = st_wall_ms();
    ctx->msg = stratus__put_metric_data_request__unpack(st_arena_protobuf(&ctx->arena), len, body);
    if (!ctx->msg) {
        bad_input(c, req, "PutMetricDataRequest");
        ctx_put(c, ctx);
        return;
    }
    struct st_validate_opts vo = {.allow_aws_namespace = c->opts.allow_aws_namespace};
    struct st_error err;
    if (st_validate_put_metric_data(ctx->msg, ctx->arrival_ms, &vo, &err) < 0) {
        send_error_st(req, &err);
        ctx_put(c, ctx);
        return;
    }
    uint8_t *copy = st_malloc(len ? len : 1);
    if (!copy) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        ctx_put(c, ctx);
        return;
    }
    memcpy(copy, body, len);
    if (st_wal_append(c->wal, ST_WAL_PUT, ctx->arrival_ms, copy, len, on_put_durable, ctx, NULL) <
        0) {
        c->failed = true;
        st_api_send_error(req, 503, "ServiceUnavailable",
                          "the collector cannot write its log; the data was not stored");
        ctx_put(c, ctx);
    }
}

void st_api_on_query_done(struct st_query *q, void *data)
{
    (void)data;
    struct evhttp_request *req = q->data;
    if (q->status < 0) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "the query failed");
    } else {
        send_proto(req, q->reply, q->reply_len);
    }
    st_query_free(q);
}

static void handle_get_stats(struct st_collector *c, struct evhttp_request *req)
{
    size_t len;
    const uint8_t *body = take_body(c, req, 64 * 1024, &len);
    if (!body) {
        return;
    }
    struct st_arena arena;
    st_arena_init(&arena, 16 * 1024, 1024 * 1024);
    Stratus__GetMetricStatisticsRequest *msg =
        stratus__get_metric_statistics_request__unpack(st_arena_protobuf(&arena), len, body);
    struct st_stats_query q;
    struct st_error err;
    int64_t now = st_wall_ms();
    if (!msg) {
        bad_input(c, req, "GetMetricStatisticsRequest");
    } else if (st_validate_get_metric_statistics(msg, now, &q, &err) < 0) {
        send_error_st(req, &err);
    } else {
        struct st_query *qr = st_query_snapshot(&c->hot, msg, &q, now);
        if (!qr) {
            st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        } else {
            qr->data = req;
            st_query_pool_submit(c->qpool, qr);
        }
    }
    st_arena_fini(&arena);
}

static void handle_list_metrics(struct st_collector *c, struct evhttp_request *req)
{
    size_t len;
    const uint8_t *body = take_body(c, req, 64 * 1024, &len);
    if (!body) {
        return;
    }
    struct st_arena arena;
    st_arena_init(&arena, 16 * 1024, 1024 * 1024);
    Stratus__ListMetricsRequest *msg =
        stratus__list_metrics_request__unpack(st_arena_protobuf(&arena), len, body);
    struct st_error err;
    uint8_t *reply = NULL;
    size_t reply_len;
    if (!msg) {
        bad_input(c, req, "ListMetricsRequest");
    } else if (st_validate_list_metrics(msg, &err) < 0 ||
               st_list_metrics(&c->hot, msg, st_wall_ms(), &reply, &reply_len, &err) < 0) {
        send_error_st(req, &err);
    } else {
        send_proto(req, reply, reply_len);
    }
    st_free(reply);
    st_arena_fini(&arena);
}

static bool path_is(const char *uri, size_t len, const char *path)
{
    return strlen(path) == len && strncmp(uri, path, len) == 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct st_collector *c = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t path_len = strcspn(uri, "?#");
    if (path_is(uri, path_len, "/v1/PutMetricData")) {
        handle_put(c, req);
    } else if (path_is(uri, path_len, "/v1/GetMetricStatistics")) {
        handle_get_stats(c, req);
    } else if (path_is(uri, path_len, "/v1/ListMetrics")) {
        handle_list_metrics(c, req);
    } else {
        char msg[200];
        snprintf(msg, sizeof(msg), "No operation at %.*s", (int)(path_len > 120 ? 120 : path_len),
                 uri);
        st_api_send_error(req, 404, "UnknownOperationException", msg);
    }
}

int st_api_init(struct st_collector *c)
{
    c->http = evhttp_new(c->base);
    if (!c->http) {
        return -ENOMEM;
    }
    /* libevent answers 413 itself past this; below it we answer with an AWS-shaped error. */
    evhttp_set_max_body_size(c->http, (ev_ssize_t)(c->opts.max_body_bytes * 2 + 4096));
    evhttp_set_max_headers_size(c->http, 16 * 1024);
    evhttp_set_timeout(c->http, 60);
    evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(c->http, on_request, c);
    c->sock = evhttp_bind_socket_with_handle(c->http, c->opts.listen_host, c->opts.listen_port);
    if (!c->sock) {
        return -EADDRINUSE;
    }
    /* Replies are written as header then body; without TCP_NODELAY, Nagle holds the body until
     * the client's delayed ACK (tens of ms). Accepted sockets inherit it from the listener. */
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(c->sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_storage ss;
    ev_socklen_t sl = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(c->sock), (struct sockaddr *)&ss, &sl) == 0) {
        c->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return 0;
}
