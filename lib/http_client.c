/* SPDX-License-Identifier: MIT */
/*
 * Blocking HTTP client over libevent's evhttp (see http_client.h). Each call builds a private
 * event_base, sends one request on a fresh connection and runs the loop until the reply or the
 * timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "stratus/alloc.h"
#include "stratus/http_client.h"

int st_endpoint_parse(const char *url, struct st_endpoint *ret_ep)
{
    struct st_endpoint ep = {.port = 80};
    const char *p = url;
    if (strncmp(p, "http://", 7) != 0) {
        return -EINVAL;
    }
    p += 7;
    const char *host_end = p + strcspn(p, ":/");
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0 || host_len >= sizeof(ep.host)) {
        return -EINVAL;
    }
    memcpy(ep.host, p, host_len);
    ep.host[host_len] = '\0';
    p = host_end;
    if (*p == ':') {
        char *end;
        errno = 0;
        long port = strtol(p + 1, &end, 10);
        if (errno || end == p + 1 || port < 1 || port > 65535) {
            return -EINVAL;
        }
        ep.port = (uint16_t)port;
        p = end;
    }
    if (*p != '\0' && strcmp(p, "/") != 0) {
        return -EINVAL;
    }
    *ret_ep = ep;
    return 0;
}

void st_http_response_fini(struct st_http_response *r)
{
    st_free(r->body);
    r->body = NULL;
    r->len = 0;
}

struct call {
    struct event_base *base;
    struct st_http_response *resp;
    int result;
};

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (!req || evhttp_request_get_response_code(req) == 0) {
        /* libevent calls this after the error callback: keep the error it reported. */
        if (c->result == 0 || c->result == -EINPROGRESS) {
            c->result = -ECONNREFUSED;
        }
        event_base_loopbreak(c->base);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    uint8_t *body = st_malloc(len + 1);
    if (!body) {
        c->result = -ENOMEM;
        event_base_loopbreak(c->base);
        return;
    }
    evbuffer_remove(in, body, len);
    body[len] = '\0';
    c->resp->status = evhttp_request_get_response_code(req);
    c->resp->body = body;
    c->resp->len = len;
    c->result = 0;
    event_base_loopbreak(c->base);
}

static void on_error(enum evhttp_request_error e, void *arg)
{
    struct call *c = arg;
    c->result = e == EVREQ_HTTP_TIMEOUT ? -ETIMEDOUT : -ECONNREFUSED;
}

int st_http_post(const struct st_endpoint *ep, const char *path, const char *content_type,
                 const void *body, size_t len, int timeout_ms, struct st_http_response *ret,
                 struct st_error *err)
{
    struct st_http_response resp = {0};
    struct call c = {.resp = &resp, .result = -EINPROGRESS};
    struct evhttp_connection *conn = NULL;
    int r = -ENOMEM;

    c.base = event_base_new();
    if (!c.base) {
        goto out;
    }
    conn = evhttp_connection_base_new(c.base, NULL, ep->host, ep->port);
    if (!conn) {
        goto out;
    }
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(conn, &tv);
    evhttp_connection_set_retries(conn, 0);
    struct evhttp_request *req = evhttp_request_new(on_reply, &c);
    if (!req) {
        goto out;
    }
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char hostport[300];
    snprintf(hostport, sizeof(hostport), "%s:%u", ep->host, ep->port);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Connection", "close");
    evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, path) < 0) {
        r = -ECONNREFUSED;
        goto out;
    }
    event_base_dispatch(c.base);
    r = c.result == -EINPROGRESS ? -ECONNREFUSED : c.result;
out:
    if (conn) {
        evhttp_connection_free(conn);
    }
    if (c.base) {
        event_base_free(c.base);
    }
    if (r < 0) {
        st_http_response_fini(&resp);
        if (r == -ETIMEDOUT) {
            st_error_set(err, r, "RequestTimeout", "no reply from %s:%u within %d ms", ep->host,
                         ep->port, timeout_ms);
        } else if (r == -ENOMEM) {
            st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
        } else {
            st_error_set(err, r, "ConnectionRefused", "could not connect to http://%s:%u", ep->host,
                         ep->port);
        }
        return r;
    }
    *ret = resp;
    return 0;
}

void st_http_error_from_reply(const struct st_http_response *r, struct st_error *err)
{
    json_object *obj = NULL, *type, *msg;
    if (r->body && r->len > 0) {
        obj = json_tokener_parse((const char *)r->body);
    }
    if (obj && json_object_is_type(obj, json_type_object) &&
        json_object_object_get_ex(obj, "__type", &type) &&
        json_object_object_get_ex(obj, "message", &msg)) {
        st_error_set(err, -EIO, json_object_get_string(type), "%s", json_object_get_string(msg));
    } else {
        st_error_set(err, -EIO, r->status >= 500 ? ST_ERR_INTERNAL_FAILURE : "HTTPError", "HTTP %d",
                     r->status);
    }
    json_object_put(obj);
}
