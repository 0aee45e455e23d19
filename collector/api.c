/* SPDX-License-Identifier: MIT */
/*
 * The native HTTP API: POST /v1/<Operation> with a protobuf body of the op's request type
 * (op.h). This front end finds the op, checks method, content type and size, decodes the body
 * into a call and runs the op; the op's answer goes back as a 200 with the packed response, or
 * as an AWS-shaped JSON error {"__type", "message"} with the HTTP status AWS uses for that code.
 * Every request ends in exactly one reply.
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

#include "aws.h"
#include "collector_private.h"
#include "op.h"
#include "stratus/alloc.h"
#include "stratus/time_util.h"

#define NATIVE_PREFIX    "/v1/"
#define DEFAULT_MAX_BODY (64 * 1024)

const char *st_api_status_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

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
    const char *reason = st_api_status_reason(status);
    evhttp_send_reply(req, status, reason, out);
    if (out) {
        evbuffer_free(out);
    }
    json_object_put(o);
}

static void native_reply(struct st_call *call, const ProtobufCMessage *resp, const uint8_t *packed,
                         size_t packed_len)
{
    struct evhttp_request *req = call->fe_data;
    struct evbuffer *out = evbuffer_new();
    int r = out ? 0 : -ENOMEM;
    if (out && resp) {
        size_t len = protobuf_c_message_get_packed_size(resp);
        struct evbuffer_iovec v;
        if (len && evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) == 1) {
            v.iov_len = protobuf_c_message_pack(resp, v.iov_base);
            r = evbuffer_commit_space(out, &v, 1);
        } else if (len) {
            r = -ENOMEM;
        }
    } else if (out && packed_len) {
        r = evbuffer_add(out, packed, packed_len);
    }
    if (r < 0) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
    } else {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/x-protobuf");
        evhttp_send_reply(req, 200, "OK", out);
    }
    if (out) {
        evbuffer_free(out);
    }
    st_call_release(call);
}

static void native_fail(struct st_call *call, int status, const char *code, const char *message)
{
    st_api_send_error(call->fe_data, status, code, message);
    st_call_release(call);
}

static const struct st_frontend native_frontend = {native_reply, native_fail};

size_t st_api_max_body(const struct st_collector *c, const struct st_op *op)
{
    return op->large_body ? c->opts.max_body_bytes : DEFAULT_MAX_BODY;
}

/*
 * Checks content type and size. Returns the body (contiguous, borrowed from the request) or
 * NULL after replying with an error.
 */
static const uint8_t *take_body(struct evhttp_request *req, size_t max, size_t *ret_len)
{
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
    *ret_len = len;
    static const uint8_t empty[1];
    return len ? evbuffer_pullup(in, -1) : empty;
}

void st_api_peer(struct evhttp_request *req, char *buf, size_t size)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    const char *addr = NULL;
    ev_uint16_t port = 0;
    if (conn) {
        evhttp_connection_get_peer(conn, (char **)&addr, &port);
    }
    snprintf(buf, size, "%s:%u", addr ? addr : "?", (unsigned)port);
}

static void handle_native(struct st_collector *c, struct evhttp_request *req, const char *name,
                          size_t name_len)
{
    const struct st_op *op = st_op_find(name, name_len);
    if (!op) {
        char msg[200];
        snprintf(msg, sizeof(msg), "No operation at /v1/%.*s",
                 (int)(name_len > 120 ? 120 : name_len), name);
        st_api_send_error(req, 404, "UnknownOperationException", msg);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        st_api_send_error(req, 405, "InvalidAction", "the native API takes POST requests only");
        return;
    }
    size_t len;
    const uint8_t *body = take_body(req, st_api_max_body(c, op), &len);
    if (!body) {
        return;
    }
    struct st_call *call = st_call_new(c);
    if (!call) {
        st_api_send_error(req, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    call->op = op;
    call->fe = &native_frontend;
    call->fe_data = req;
    call->arrival_ms = st_wall_ms();
    call->raw = body;
    call->raw_len = len;
    call->request =
        protobuf_c_message_unpack(op->request, st_arena_protobuf(&call->arena), len, body);
    if (!call->request) {
        st_api_peer(req, call->peer, sizeof(call->peer));
        if (st_ratelimit_allow(&c->bad_request_rl)) {
            st_log_warning("api: malformed %s body from %s, rejecting (non-fatal)",
                           op->request->short_name, call->peer);
        }
        char msg[160];
        snprintf(msg, sizeof(msg), "The request body is not a valid %s message.",
                 op->request->short_name);
        st_call_fail_status(call, 400, "MalformedInput", msg);
        return;
    }
    op->run(c, call);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct st_collector *c = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t path_len = strcspn(uri, "?#");
    size_t pl = strlen(NATIVE_PREFIX);
    if (path_len > pl && strncmp(uri, NATIVE_PREFIX, pl) == 0) {
        handle_native(c, req, uri + pl, path_len - pl);
        return;
    }
    if (st_aws_route(c, req, uri, path_len)) { /* the AWS protocols (aws.h) */
        return;
    }
    char msg[200];
    snprintf(msg, sizeof(msg), "No operation at %.*s", (int)(path_len > 120 ? 120 : path_len), uri);
    st_api_send_error(req, 404, "UnknownOperationException", msg);
}

/* Whether host is a loopback address, where unsigned AWS requests are allowed. */
static bool is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

int st_api_init(struct st_collector *c)
{
    if (!is_loopback(c->opts.listen_host) && c->opts.access_keys.n == 0) {
        st_log_error("api: listening on %s needs access_keys in the configuration, so that "
                     "AWS-protocol requests are verified (docs/api.md)",
                     c->opts.listen_host);
        return -EPERM;
    }
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
