/* SPDX-License-Identifier: MIT */
/*
 * The shared part of the AWS protocol front ends (aws.h): routing a request to its protocol,
 * the call that carries a decoded request to its op, request ids, SigV4 checking, and the
 * dispatch of the op's answer to the protocol's writer. Loop thread only.
 */
#include "aws.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <zlib.h>

#include "aws_shape.h"
#include "collector_private.h"
#include "sigv4.h"
#include "stratus/time_util.h"

#define CBOR_PREFIX "/service/GraniteServiceVersion20100801/operation/"

static void new_request_id(char *buf, size_t size)
{
    static uint64_t seed, counter;
    if (!seed) {
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
            seed = (uint64_t)st_wall_ms() * 0x9E3779B97F4A7C15ull;
        }
        seed |= 1;
    }
    uint64_t x = seed ^ (++counter * 0x9E3779B97F4A7C15ull);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    snprintf(buf, size, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-a%03" PRIx32 "-%012" PRIx64,
             (uint32_t)(x >> 32), (uint32_t)(x >> 16) & 0xffff, (uint32_t)x & 0xfff,
             (uint32_t)(counter & 0xfff), (uint64_t)((seed ^ counter) & 0xffffffffffffull));
}

void st_aws_send_error(struct evhttp_request *req, enum st_aws_proto proto,
                       enum st_aws_service service, int status, const char *code,
                       const char *message)
{
    char id[40];
    new_request_id(id, sizeof(id));
    switch (proto) {
    case ST_AWS_QUERY:
        st_aws_query_error(req, service, status, code, message, id);
        break;
    case ST_AWS_CBOR:
        st_aws_cbor_error(req, status, code, message, id);
        break;
    case ST_AWS_JSON10:
    case ST_AWS_REST_JSON:
        st_aws_json_error(req, proto, service, status, code, message, id);
        break;
    }
}

static void aws_reply(struct st_call *call, const ProtobufCMessage *resp, const uint8_t *packed,
                      size_t packed_len)
{
    struct st_aws_req *ar = call->fe_data;
    static const uint8_t empty[1];
    if (!resp) {
        resp = protobuf_c_message_unpack(call->op->response, st_arena_protobuf(&call->arena),
                                         packed_len, packed ? packed : empty);
    }
    json_object *tree =
        resp ? st_aws_encode(resp, ar->proto == ST_AWS_QUERY ? ST_AWS_TIME_ISO8601
                                                             : ST_AWS_TIME_EPOCH_SECONDS)
             : NULL;
    if (!tree) {
        st_aws_send_error(ar->req, ar->proto, ar->service, 500, ST_ERR_INTERNAL_FAILURE,
                          "The response could not be encoded.");
    } else if (ar->proto == ST_AWS_QUERY) {
        st_aws_query_reply(ar, call->op, tree);
    } else if (ar->proto == ST_AWS_CBOR) {
        st_aws_cbor_reply(ar, tree);
    } else {
        st_aws_json_reply(ar, tree);
    }
    json_object_put(tree);
    st_call_release(call);
}

static void aws_fail(struct st_call *call, int status, const char *code, const char *message)
{
    struct st_aws_req *ar = call->fe_data;
    switch (ar->proto) {
    case ST_AWS_QUERY:
        st_aws_query_error(ar->req, ar->service, status, code, message, ar->request_id);
        break;
    case ST_AWS_CBOR:
        st_aws_cbor_error(ar->req, status, code, message, ar->request_id);
        break;
    case ST_AWS_JSON10:
    case ST_AWS_REST_JSON:
        st_aws_json_error(ar->req, ar->proto, ar->service, status, code, message, ar->request_id);
        break;
    }
    st_call_release(call);
}

static const struct st_frontend aws_frontend = {aws_reply, aws_fail};

void st_aws_run(struct st_collector *c, struct evhttp_request *req, enum st_aws_proto proto,
                enum st_aws_service service, const struct st_op *op, json_object *tree)
{
    struct st_call *call = st_call_new(c);
    struct st_aws_req *ar = call ? st_arena_alloc(&call->arena, sizeof(*ar)) : NULL;
    if (!ar) {
        if (call) {
            st_call_release(call);
        }
        st_aws_send_error(req, proto, service, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    ar->req = req;
    ar->proto = proto;
    ar->service = service;
    new_request_id(ar->request_id, sizeof(ar->request_id));
    call->op = op;
    call->fe = &aws_frontend;
    call->fe_data = ar;
    call->arrival_ms = st_wall_ms();
    st_api_peer(req, call->peer, sizeof(call->peer));
    struct st_error err;
    if (st_aws_decode(op->request, tree, &call->arena, &call->request, &err) < 0) {
        if (st_ratelimit_allow(&c->bad_request_rl)) {
            st_log_warning("api: bad %s request from %s: %s (non-fatal)", op->name, call->peer,
                           err.message);
        }
        st_call_fail_status(call, strcmp(err.code, ST_ERR_INTERNAL_FAILURE) == 0 ? 500 : 400,
                            err.code, err.message);
        return;
    }
    op->run(c, call);
}

/* Inflates the gzip body of req in place (botocore compresses large PutMetricData bodies);
 * returns 0, -E2BIG past max bytes, -EINVAL when it is not gzip. */
static int gunzip_body(struct evhttp_request *req, size_t max)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    z_stream z = {0};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        return -ENOMEM;
    }
    struct evbuffer *out = evbuffer_new();
    int r = out ? 0 : -ENOMEM;
    z.next_in = len ? evbuffer_pullup(in, -1) : NULL;
    z.avail_in = (uInt)len;
    int zr = Z_OK;
    while (r == 0 && zr != Z_STREAM_END) {
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(out, 64 * 1024, &v, 1) != 1) {
            r = -ENOMEM;
            break;
        }
        z.next_out = v.iov_base;
        z.avail_out = (uInt)v.iov_len;
        zr = inflate(&z, Z_NO_FLUSH);
        v.iov_len -= z.avail_out;
        evbuffer_commit_space(out, &v, 1);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            r = -EINVAL;
        } else if (evbuffer_get_length(out) > max) {
            r = -E2BIG;
        } else if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            r = -EINVAL; /* truncated */
        }
    }
    inflateEnd(&z);
    if (r == 0) {
        evbuffer_drain(in, len);
        evbuffer_add_buffer(in, out);
    }
    if (out) {
        evbuffer_free(out);
    }
    return r;
}

const uint8_t *st_aws_body(struct st_collector *c, struct evhttp_request *req,
                           enum st_aws_proto proto, enum st_aws_service service, size_t *ret_len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *ce = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Encoding");
    int r = 0;
    if (len <= c->opts.max_body_bytes && ce && strcasecmp(ce, "gzip") == 0) {
        r = gunzip_body(req, c->opts.max_body_bytes);
        len = r == -E2BIG ? c->opts.max_body_bytes + 1 : evbuffer_get_length(in);
        if (r == -EINVAL || r == -ENOMEM) {
            st_aws_send_error(req, proto, service, r == -ENOMEM ? 500 : 400,
                              r == -ENOMEM ? ST_ERR_INTERNAL_FAILURE : "MalformedInput",
                              r == -ENOMEM ? "out of memory" : "The gzip body is not valid.");
            return NULL;
        }
    } else if (ce && strcasecmp(ce, "identity") != 0 && strcasecmp(ce, "gzip") != 0) {
        st_aws_send_error(req, proto, service, 415, "UnsupportedMediaType",
                          "Content-Encoding must be gzip or identity.");
        return NULL;
    }
    if (len > c->opts.max_body_bytes) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Request size exceeded %zu bytes", c->opts.max_body_bytes);
        st_aws_send_error(req, proto, service, 413, "RequestEntityTooLarge", msg);
        return NULL;
    }
    *ret_len = len;
    static const uint8_t empty[1];
    return len ? evbuffer_pullup(in, -1) : empty;
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    default:
        return "OTHER";
    }
}

/* Checks the request's SigV4 signature (sigv4.h) against the collector's access keys; answers
 * and returns false when it does not verify. */
static bool check_signature(struct st_collector *c, struct evhttp_request *req,
                            enum st_aws_proto proto, enum st_aws_service service)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *authz = evhttp_find_header(h, "Authorization");
    if (!authz && c->opts.access_keys.n == 0) {
        return true;
    }
    struct st_sigv4_header hs[ST_SIGV4_MAX_HEADERS];
    size_t n = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, h, next)
    {
        if (n < ST_SIGV4_MAX_HEADERS) {
            hs[n].name = kv->key;
            hs[n].value = kv->value;
            n++;
        }
    }
    const char *uri = evhttp_request_get_uri(req);
    size_t pl = strcspn(uri, "?#");
    char path[1024];
    snprintf(path, sizeof(path), "%.*s", (int)(pl < sizeof(path) ? pl : sizeof(path) - 1), uri);
    const char *query = uri[pl] == '?' ? uri + pl + 1 : "";
    char qbuf[2048];
    snprintf(qbuf, sizeof(qbuf), "%.*s", (int)strcspn(query, "#"), query);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    struct st_sigv4_request sr = {
        .method = method_name(evhttp_request_get_command(req)),
        .path = path,
        .query = qbuf,
        .headers = hs,
        .n_headers = n,
        .body = len ? evbuffer_pullup(in, -1) : NULL,
        .body_len = len,
    };
    struct st_error err;
    if (st_sigv4_verify(&c->opts.access_keys, &sr, st_wall_ms(), &err) == 0) {
        return true;
    }
    st_aws_send_error(req, proto, service, 403, err.code, err.message);
    return false;
}

static const struct {
    const char *path;
    const char *op;
} xray_paths[] = {
    {"/TraceSegments", "PutTraceSegments"},   {"/ServiceGraph", "GetServiceGraph"},
    {"/TraceSummaries", "GetTraceSummaries"}, {"/Traces", "BatchGetTraces"},
    {"/TraceGraph", "GetTraceGraph"},
};

bool st_aws_route(struct st_collector *c, struct evhttp_request *req, const char *path,
                  size_t path_len)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *target = evhttp_find_header(h, "X-Amz-Target");
    size_t cl = strlen(CBOR_PREFIX);
    if (target) {
        if (check_signature(c, req, ST_AWS_JSON10, ST_AWS_CLOUDWATCH)) {
            st_aws_json_handle(c, req, target);
        }
        return true;
    }
    if (path_len > cl && strncmp(path, CBOR_PREFIX, cl) == 0) {
        if (check_signature(c, req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH)) {
            st_aws_cbor_handle(c, req, path + cl, path_len - cl);
        }
        return true;
    }
    if (path_len <= 1) { /* "/" or "/?Action=..." */
        if (check_signature(c, req, ST_AWS_QUERY, ST_AWS_CLOUDWATCH)) {
            st_aws_query_handle(c, req);
        }
        return true;
    }
    for (size_t i = 0; i < sizeof(xray_paths) / sizeof(xray_paths[0]); i++) {
        if (strlen(xray_paths[i].path) == path_len &&
            strncmp(path, xray_paths[i].path, path_len) == 0) {
            if (check_signature(c, req, ST_AWS_REST_JSON, ST_AWS_XRAY)) {
                st_aws_xray_handle(c, req, xray_paths[i].op);
            }
            return true;
        }
    }
    return false;
}
