/* SPDX-License-Identifier: MIT */
/*
 * X-Ray segment documents: the UDP datagram framing of the X-Ray daemon protocol (a header line
 * `{"format": "json", "version": 1}` then one JSON document) and the parser that validates a
 * segment or independent subsegment document and extracts what traces are built from (ids,
 * times, flags, http, aws, sql, annotations, users, exception messages, nested subsegments).
 * The parsed document owns all its memory (one arena); strings in it live until
 * st_xray_doc_free. No I/O, logging or globals: the input is untrusted bytes.
 */
#ifndef STRATUS_XRAY_SEGMENT_H
#define STRATUS_XRAY_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/arena.h"
#include "stratus/error.h"

/* X-Ray's limit on one segment document (the daemon's 64 KB datagram payload). */
#define ST_XRAY_MAX_DOC_BYTES (64 * 1024)
/* How deep subsegments may nest, and how many one document may hold. */
#define ST_XRAY_MAX_DEPTH       32
#define ST_XRAY_MAX_SUBSEGMENTS 4096
/* Annotations kept per document (X-Ray indexes 50 per trace); further ones are ignored. */
#define ST_XRAY_MAX_ANNOTATIONS 50
#define ST_XRAY_MAX_KEY_LEN     500
/* Exception messages kept per (sub)segment cause. */
#define ST_XRAY_MAX_MESSAGES 16
#define ST_XRAY_MAX_NAME_LEN 200
/* "1-" + 8 hex + "-" + 24 hex */
#define ST_XRAY_TRACE_ID_LEN 35
#define ST_XRAY_ID_LEN       16

enum st_xray_value_type {
    ST_XRAY_STRING,
    ST_XRAY_NUMBER,
    ST_XRAY_BOOL,
};

struct st_xray_annotation {
    const char *key;
    enum st_xray_value_type type;
    const char *s; /* ST_XRAY_STRING */
    double n;      /* ST_XRAY_NUMBER */
    bool b;        /* ST_XRAY_BOOL */
};

struct st_xray_http {
    const char *method, *url, *user_agent, *client_ip; /* NULL when absent */
    int status;                                        /* 0 when absent */
};

struct st_xray_segment {
    const char *name;
    char id[ST_XRAY_ID_LEN + 1];
    char parent_id[ST_XRAY_ID_LEN + 1];      /* "" when absent */
    char trace_id[ST_XRAY_TRACE_ID_LEN + 1]; /* "" in nested subsegments */
    bool independent;                        /* a top-level "type": "subsegment" */
    double start_time, end_time;             /* seconds since the epoch; end 0 in progress */
    bool in_progress;
    const char *origin, *namespace_name, *user; /* NULL when absent */
    bool error, throttle, fault;
    bool has_http;
    struct st_xray_http http;
    const char *aws_operation, *aws_table_name; /* NULL when absent */
    bool has_sql;
    const char *sql_url;
    struct st_xray_annotation *annotations;
    size_t n_annotations;
    const char **messages; /* cause.exceptions[].message */
    size_t n_messages;
    struct st_xray_segment *subsegments;
    size_t n_subsegments;
};

struct st_xray_doc {
    struct st_arena arena;
    struct st_xray_segment root;
    bool counted; /* false after parsing; the holder's (the trace store: in its metrics) */
};

/*
 * Checks the datagram header line (a JSON object with "format": "json" and "version": 1,
 * then "\n") and borrows the document after it into *ret_doc, *ret_len. Returns 0, -EBADMSG
 * for a bad or missing header, or -EMSGSIZE when the document is over ST_XRAY_MAX_DOC_BYTES.
 */
int st_xray_datagram_body(const uint8_t *dgram, size_t len, const uint8_t **ret_doc,
                          size_t *ret_len);

/*
 * Parses and validates one segment document (a segment, or an independent subsegment with
 * "type": "subsegment", "trace_id" and "parent_id"). On success *ret owns the parsed document
 * (free with st_xray_doc_free). Returns 0, -EINVAL (err: the field and what is wrong with it),
 * -EMSGSIZE (over 64 KB) or -ENOMEM.
 */
int st_xray_segment_parse(const uint8_t *doc, size_t len, struct st_xray_doc **ret,
                          struct st_error *err);

void st_xray_doc_free(struct st_xray_doc *d);

/* True when s is 16 lowercase or uppercase hex digits. */
bool st_xray_valid_id(const char *s, size_t len);
/* True when s is a trace id "1-" 8 hex "-" 24 hex; *ret_epoch gets the 8 hex as seconds. */
bool st_xray_valid_trace_id(const char *s, size_t len, int64_t *ret_epoch);

/* The host of an http(s) URL into buf ("" when there is none); returns buf. */
const char *st_xray_url_host(const char *url, char *buf, size_t size);

#endif
