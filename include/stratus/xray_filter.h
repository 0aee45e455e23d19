/* SPDX-License-Identifier: MIT */
/*
 * X-Ray filter expressions (GetTraceSummaries' FilterExpression): the parser, which turns the
 * untrusted expression text into a tree and reports syntax errors with their 1-based position,
 * and the evaluator, which decides whether one trace matches. The evaluator works on a flat
 * description of the trace (struct st_xf_trace) that the caller builds: facts about the trace
 * as a whole, about each service's segments and about each edge's calls. The parsed filter owns
 * its memory; the trace description is borrowed for the length of st_xray_filter_match.
 *
 * Semantics (docs/traces.md): keywords at the top level describe the trace (the root segment's
 * http and response time, any segment's flags, users, annotations and exception messages);
 * inside service("name") { ... } they describe one segment of that service, inside
 * edge("a", "b") { ... } one call from a to b. A comparison with a value the subject does not
 * have is false; a comparison on a field with several values (users, annotations) is true when
 * one of them satisfies it.
 */
#ifndef STRATUS_XRAY_FILTER_H
#define STRATUS_XRAY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"
#include "stratus/xray_segment.h"

#define ST_XRAY_FILTER_MAX_BYTES 2000 /* X-Ray's FilterExpression length limit */
#define ST_XRAY_FILTER_MAX_DEPTH 64   /* nesting of parentheses, NOT and braces */

/* What the filter sees of one subject (the trace, one service segment, one edge call). */
struct st_xf_scope {
    double responsetime, duration; /* seconds; NAN when unknown */
    int http_status;               /* 0 when absent */
    const char *http_url, *http_method, *http_useragent, *http_clientip; /* NULL when absent */
    const char *name, *type;
    bool ok, error, throttle, fault, partial, inferred, first, last, remote, root;
    const char *const *users;
    size_t n_users;
    const char *const *messages;
    size_t n_messages;
    const struct st_xray_annotation *const *annotations;
    size_t n_annotations;
};

struct st_xf_service {
    const char *name, *type;          /* type NULL when the service has none */
    const struct st_xf_scope *scopes; /* one per segment (or inferred call) of the service */
    size_t n_scopes;
};

struct st_xf_edge {
    const char *from, *to;
    const char *from_type, *to_type;
    const struct st_xf_scope *scopes; /* one per call */
    size_t n_scopes;
};

struct st_xf_trace {
    struct st_xf_scope trace;
    const struct st_xf_service *services;
    size_t n_services;
    const struct st_xf_edge *edges;
    size_t n_edges;
};

struct st_xray_filter;

/*
 * Parses expression src[0..len). On success *ret owns the filter (st_xray_filter_free).
 * Returns 0, -EINVAL with err "... at position N" (code InvalidRequestException) or -ENOMEM.
 */
int st_xray_filter_parse(const uint8_t *src, size_t len, struct st_xray_filter **ret,
                         struct st_error *err);

/* True when the trace matches. */
bool st_xray_filter_match(const struct st_xray_filter *f, const struct st_xf_trace *t);

void st_xray_filter_free(struct st_xray_filter *f);

#endif
