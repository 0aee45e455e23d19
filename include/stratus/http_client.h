/* SPDX-License-Identifier: MIT */
/*
 * A blocking HTTP/1.1 client for the native API, for the CLI and tests: one request, one reply,
 * on a private libevent loop with a timeout. Daemons do not use this (they stay asynchronous).
 */
#ifndef STRATUS_HTTP_CLIENT_H
#define STRATUS_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

#define ST_DEFAULT_PORT     4780
#define ST_DEFAULT_ENDPOINT "http://127.0.0.1:4780"

struct st_endpoint {
    char host[256];
    uint16_t port;
};

/* Parses "http://host[:port][/]" (port defaults to 80). Returns 0 or -EINVAL. */
int st_endpoint_parse(const char *url, struct st_endpoint *ret_ep);

/* The body is owned by the response and freed by st_http_response_fini. */
struct st_http_response {
    int status;
    uint8_t *body;
    size_t len;
};

void st_http_response_fini(struct st_http_response *r);

/*
 * POSTs body to path. Returns 0 once any HTTP reply arrived (check ret->status), or a negative
 * errno with err set when no reply came (connection refused, timeout: -ECONNREFUSED/-ETIMEDOUT).
 */
int st_http_post(const struct st_endpoint *ep, const char *path, const char *content_type,
                 const void *body, size_t len, int timeout_ms, struct st_http_response *ret,
                 struct st_error *err);

/*
 * Fills err from a native API error reply: the JSON body {"__type": code, "message": text}, or,
 * when the body is not that shape, a code derived from the HTTP status.
 */
void st_http_error_from_reply(const struct st_http_response *r, struct st_error *err);

#endif
