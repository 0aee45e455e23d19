/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch over Smithy RPC v2 CBOR (aws.h): POST
 * /service/GraniteServiceVersion20100801/operation/<Op> with a CBOR map of the input members
 * (smithy-protocol: rpc-v2-cbor); the reply is a CBOR map of the output members, timestamps as
 * tag 1 epoch seconds; errors are a map {"__type", "message"} with the status and, as CloudWatch
 * is query-compatible, x-amzn-query-error. CBOR is decoded and encoded by libcbor; before
 * libcbor sees a body, a streaming pass checks that no declared length exceeds the bytes left,
 * so that a few hostile bytes cannot make it allocate gigabytes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cbor.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "aws.h"
#include "aws_shape.h"
#include "collector_private.h"

#define MAX_ITEMS 200000

/* ---- the pre-scan ---- */

struct scan {
    size_t remaining; /* bytes after the current item's head */
    size_t items;
    bool bad;
};

static void scan_collection(void *ctx, size_t n)
{
    struct scan *s = ctx;
    if (n > s->remaining || n > MAX_ITEMS) {
        s->bad = true;
    }
}

static void scan_map(void *ctx, size_t n)
{
    struct scan *s = ctx;
    if (n > s->remaining / 2 || n > MAX_ITEMS) {
        s->bad = true;
    }
}

static int prescan(const uint8_t *buf, size_t len)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    cb.array_start = scan_collection;
    cb.map_start = scan_map;
    struct scan s = {0};
    size_t pos = 0;
    while (pos < len) {
        s.remaining = len - pos;
        struct cbor_decoder_result r = cbor_stream_decode(buf + pos, len - pos, &cb, &s);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || s.bad || ++s.items > MAX_ITEMS) {
            return -EINVAL;
        }
        pos += r.read;
    }
    return 0;
}

/* ---- CBOR to tree ---- */

static json_object *base64(const uint8_t *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(n / 3 * 4 + 5);
    if (!s) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        v |= i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0;
        v |= i + 2 < n ? d[i + 2] : 0;
        s[o++] = tab[(v >> 18) & 63];
        s[o++] = tab[(v >> 12) & 63];
        s[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    s[o] = '\0';
    json_object *j = json_object_new_string(s);
    free(s);
    return j;
}

/* The bytes of a (possibly chunked) string into a new buffer; *ret_len its length. */
static uint8_t *string_bytes(const cbor_item_t *it, size_t *ret_len)
{
    if (cbor_isa_string(it) ? cbor_string_is_definite(it) : cbor_bytestring_is_definite(it)) {
        size_t n = cbor_isa_string(it) ? cbor_string_length(it) : cbor_bytestring_length(it);
        const uint8_t *h =
            cbor_isa_string(it) ? cbor_string_handle(it) : cbor_bytestring_handle(it);
        uint8_t *out = malloc(n + 1);
        if (out) {
            memcpy(out, h, n);
            out[n] = '\0';
            *ret_len = n;
        }
        return out;
    }
    size_t nc = cbor_isa_string(it) ? cbor_string_chunk_count(it) : cbor_bytestring_chunk_count(it);
    cbor_item_t **chunks =
        cbor_isa_string(it) ? cbor_string_chunks_handle(it) : cbor_bytestring_chunks_handle(it);
    size_t total = 0;
    for (size_t i = 0; i < nc; i++) {
        total +=
            cbor_isa_string(it) ? cbor_string_length(chunks[i]) : cbor_bytestring_length(chunks[i]);
    }
    uint8_t *out = malloc(total + 1);
    if (!out) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < nc; i++) {
        size_t n =
            cbor_isa_string(it) ? cbor_string_length(chunks[i]) : cbor_bytestring_length(chunks[i]);
        memcpy(out + o,
               cbor_isa_string(it) ? cbor_string_handle(chunks[i])
                                   : cbor_bytestring_handle(chunks[i]),
               n);
        o += n;
    }
    out[o] = '\0';
    *ret_len = o;
    return out;
}

static int to_tree(const cbor_item_t *it, int depth, json_object **ret)
{
    if (depth > ST_AWS_MAX_DEPTH * 2 + 4) {
        return -EINVAL;
    }
    json_object *o = NULL;
    switch (cbor_typeof(it)) {
    case CBOR_TYPE_UINT:
        o = json_object_new_int64(cbor_get_int(it) > INT64_MAX ? INT64_MAX
                                                               : (int64_t)cbor_get_int(it));
        break;
    case CBOR_TYPE_NEGINT:
        o = json_object_new_int64(cbor_get_int(it) >= INT64_MAX ? INT64_MIN
                                                                : -1 - (int64_t)cbor_get_int(it));
        break;
    case CBOR_TYPE_STRING:
    case CBOR_TYPE_BYTESTRING: {
        size_t n;
        uint8_t *s = string_bytes(it, &n);
        if (!s) {
            return -ENOMEM;
        }
        o = cbor_isa_string(it) ? json_object_new_string_len((const char *)s, (int)n)
                                : base64(s, n);
        free(s);
        break;
    }
    case CBOR_TYPE_ARRAY: {
        o = json_object_new_array();
        for (size_t i = 0; o && i < cbor_array_size(it); i++) {
            json_object *e;
            int r = to_tree(cbor_array_handle(it)[i], depth + 1, &e);
            if (r < 0) {
                json_object_put(o);
                return r;
            }
            json_object_array_add(o, e);
        }
        break;
    }
    case CBOR_TYPE_MAP: {
        o = json_object_new_object();
        struct cbor_pair *p = cbor_map_handle(it);
        for (size_t i = 0; o && i < cbor_map_size(it); i++) {
            if (!cbor_isa_string(p[i].key)) {
                json_object_put(o);
                return -EINVAL;
            }
            size_t kl;
            uint8_t *k = string_bytes(p[i].key, &kl);
            json_object *v = NULL;
            int r = k ? to_tree(p[i].value, depth + 1, &v) : -ENOMEM;
            if (r == 0 && strlen((char *)k) != kl) {
                json_object_put(v);
                r = -EINVAL;
            }
            if (r < 0) {
                free(k);
                json_object_put(o);
                return r;
            }
            json_object_object_add(o, (char *)k, v);
            free(k);
        }
        break;
    }
    case CBOR_TYPE_TAG:
        /* Tag 1 (epoch time) and any other tag: the tagged value stands for itself. */
        {
            cbor_item_t *inner = cbor_tag_item(it);
            if (!inner) {
                return -EINVAL;
            }
            int r = to_tree(inner, depth + 1, ret);
            cbor_decref(&inner);
            return r;
        }
    case CBOR_TYPE_FLOAT_CTRL:
        if (cbor_float_get_width(it) != CBOR_FLOAT_0) {
            o = json_object_new_double(cbor_float_get_float(it));
        } else if (cbor_is_bool(it)) {
            o = json_object_new_boolean(cbor_get_bool(it));
        } else if (cbor_is_null(it) || cbor_is_undef(it)) {
            *ret = NULL;
            return 0;
        } else {
            return -EINVAL;
        }
        break;
    }
    if (!o) {
        return -ENOMEM;
    }
    *ret = o;
    return 0;
}

int st_aws_cbor_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err)
{
    if (len == 0) {
        *ret_tree = json_object_new_object();
        return *ret_tree ? 0 : -ENOMEM;
    }
    if (prescan(buf, len) < 0) {
        return st_error_set(err, -EINVAL, "SerializationException",
                            "The request body is not valid CBOR.");
    }
    struct cbor_load_result res;
    cbor_item_t *it = cbor_load(buf, len, &res);
    if (!it || res.error.code != CBOR_ERR_NONE || res.read != len) {
        if (it) {
            cbor_decref(&it);
        }
        return st_error_set(err, -EINVAL, "SerializationException",
                            "The request body is not one valid CBOR item.");
    }
    json_object *tree = NULL;
    int r = cbor_isa_map(it) ? to_tree(it, 0, &tree) : -EINVAL;
    cbor_decref(&it);
    if (r == -ENOMEM) {
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    if (r < 0 || !tree) {
        json_object_put(tree);
        return st_error_set(err, -EINVAL, "SerializationException",
                            "The request body must be a CBOR map with text keys.");
    }
    *ret_tree = tree;
    return 0;
}

/* ---- tree to CBOR ---- */

static cbor_item_t *from_tree(json_object *o, int depth)
{
    if (depth > 64) {
        return NULL;
    }
    switch (json_object_get_type(o)) {
    case json_type_null:
        return cbor_new_null();
    case json_type_boolean:
        return cbor_build_bool(json_object_get_boolean(o));
    case json_type_int: {
        int64_t v = json_object_get_int64(o);
        return v >= 0 ? cbor_build_uint64((uint64_t)v) : cbor_build_negint64((uint64_t)(-1 - v));
    }
    case json_type_double: {
        cbor_item_t *f = cbor_build_float8(json_object_get_double(o));
        if (f && st_aws_is_timestamp(o)) {
            cbor_item_t *t = cbor_build_tag(1, f);
            cbor_decref(&f);
            return t;
        }
        return f;
    }
    case json_type_string:
        return cbor_build_stringn(json_object_get_string(o), (size_t)json_object_get_string_len(o));
    case json_type_array: {
        size_t n = json_object_array_length(o);
        cbor_item_t *a = cbor_new_definite_array(n);
        for (size_t i = 0; a && i < n; i++) {
            cbor_item_t *e = from_tree(json_object_array_get_idx(o, i), depth + 1);
            if (!e || !cbor_array_push(a, e)) {
                if (e) {
                    cbor_decref(&e);
                }
                cbor_decref(&a);
                return NULL;
            }
            cbor_decref(&e);
        }
        return a;
    }
    case json_type_object: {
        cbor_item_t *m = cbor_new_definite_map((size_t)json_object_object_length(o));
        json_object_object_foreach(o, k, v)
        {
            if (!m) {
                break;
            }
            cbor_item_t *ki = cbor_build_string(k);
            cbor_item_t *vi = from_tree(v, depth + 1);
            bool ok = ki && vi && cbor_map_add(m, (struct cbor_pair){.key = ki, .value = vi});
            if (ki) {
                cbor_decref(&ki);
            }
            if (vi) {
                cbor_decref(&vi);
            }
            if (!ok) {
                cbor_decref(&m);
                return NULL;
            }
        }
        return m;
    }
    }
    return NULL;
}

int st_aws_cbor_write(json_object *tree, uint8_t **ret, size_t *ret_len)
{
    cbor_item_t *it = from_tree(tree, 0);
    if (!it) {
        return -ENOMEM;
    }
    unsigned char *buf = NULL;
    size_t cap = 0;
    size_t n = cbor_serialize_alloc(it, &buf, &cap);
    cbor_decref(&it);
    if (n == 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret = buf;
    *ret_len = n;
    return 0;
}

static void send_cbor(struct evhttp_request *req, int status, json_object *tree,
                      const char *request_id, const char *code)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct evbuffer *out = evbuffer_new();
    if (st_aws_cbor_write(tree, &buf, &len) < 0 || !out || evbuffer_add(out, buf, len) < 0) {
        status = 500;
        code = ST_ERR_INTERNAL_FAILURE;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/cbor");
    evhttp_add_header(h, "smithy-protocol", "rpc-v2-cbor");
    evhttp_add_header(h, "x-amzn-RequestId", request_id);
    if (code) {
        char qe[160];
        snprintf(qe, sizeof(qe), "%s;%s", code, status >= 500 ? "Receiver" : "Sender");
        evhttp_add_header(h, "x-amzn-query-error", qe);
        evhttp_add_header(h, "x-amzn-ErrorType", code);
    }
    evhttp_send_reply(req, status, st_api_status_reason(status), out);
    free(buf);
    if (out) {
        evbuffer_free(out);
    }
}

void st_aws_cbor_error(struct evhttp_request *req, int status, const char *code,
                       const char *message, const char *request_id)
{
    json_object *o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "__type", json_object_new_string(code));
        json_object_object_add(o, "message", json_object_new_string(message));
    }
    send_cbor(req, status, o, request_id, code);
    json_object_put(o);
}

void st_aws_cbor_reply(struct st_aws_req *ar, json_object *result)
{
    send_cbor(ar->req, 200, result, ar->request_id, NULL);
}

void st_aws_cbor_handle(struct st_collector *c, struct evhttp_request *req, const char *op_name,
                        size_t op_len)
{
    const struct st_op *op = st_op_find(op_name, op_len);
    if (!op) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Unknown operation %.*s", (int)(op_len > 120 ? 120 : op_len),
                 op_name);
        st_aws_send_error(req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH, 404, "UnknownOperationException",
                          msg);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        st_aws_send_error(req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH, 405, "InvalidAction",
                          "RPC v2 CBOR takes POST requests.");
        return;
    }
    size_t len;
    const uint8_t *body = st_aws_body(c, req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH, &len);
    if (!body) {
        return;
    }
    json_object *tree;
    struct st_error err;
    if (st_aws_cbor_parse(body, len, &tree, &err) < 0) {
        st_aws_send_error(req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH, 400, err.code, err.message);
        return;
    }
    st_aws_run(c, req, ST_AWS_CBOR, ST_AWS_CLOUDWATCH, op, tree);
    json_object_put(tree);
}
