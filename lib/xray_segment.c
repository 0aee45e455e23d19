/* SPDX-License-Identifier: MIT */
/*
 * The X-Ray segment document parser (xray_segment.h). json-c builds the JSON tree with a bounded
 * depth; this file walks it, checks the fields X-Ray requires (name, 16-hex id, trace id,
 * start_time, end_time or in_progress, parent_id of independent subsegments) and copies what
 * trace assembly, the service graph and filter expressions use into one arena per document.
 * Subsegments nest recursively up to ST_XRAY_MAX_DEPTH levels.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/xray_segment.h"

#define ERR_CODE "InvalidTraceSegment"

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_hex(s[i])) {
            return false;
        }
    }
    return true;
}

bool st_xray_valid_id(const char *s, size_t len)
{
    return len == ST_XRAY_ID_LEN && all_hex(s, len);
}

bool st_xray_valid_trace_id(const char *s, size_t len, int64_t *ret_epoch)
{
    if (len != ST_XRAY_TRACE_ID_LEN || s[0] != '1' || s[1] != '-' || s[10] != '-' ||
        !all_hex(s + 2, 8) || !all_hex(s + 11, 24)) {
        return false;
    }
    if (ret_epoch) {
        int64_t v = 0;
        for (int i = 2; i < 10; i++) {
            char ch = s[i];
            int d = ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
            v = v * 16 + d;
        }
        *ret_epoch = v;
    }
    return true;
}

const char *st_xray_url_host(const char *url, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!url || size == 0) {
        return buf;
    }
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = NULL;
    size_t n = strcspn(p, "/?#");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '@') {
            at = p + i;
        }
    }
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t host = n;
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        host = close ? (size_t)(close - p) + 1 : n;
    } else {
        const char *colon = memchr(p, ':', n);
        host = colon ? (size_t)(colon - p) : n;
    }
    if (host >= size) {
        host = size - 1;
    }
    memcpy(buf, p, host);
    buf[host] = '\0';
    return buf;
}

int st_xray_datagram_body(const uint8_t *dgram, size_t len, const uint8_t **ret_doc,
                          size_t *ret_len)
{
    struct st_cursor c;
    st_cursor_init(&c, dgram, len);
    const uint8_t *nl = memchr(dgram, '\n', len < 256 ? len : 256);
    if (!nl) {
        return -EBADMSG;
    }
    const uint8_t *hdr;
    size_t hdr_len = (size_t)(nl - dgram);
    if (st_cursor_take(&c, hdr_len + 1, &hdr) < 0) {
        return -EBADMSG;
    }
    json_tokener *tok = json_tokener_new_ex(2);
    if (!tok) {
        return -ENOMEM;
    }
    json_object *h = json_tokener_parse_ex(tok, (const char *)hdr, (int)hdr_len);
    bool whole = h && json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == hdr_len;
    json_tokener_free(tok);
    json_object *format, *version;
    bool ok = whole && json_object_is_type(h, json_type_object) &&
              json_object_object_get_ex(h, "format", &format) &&
              json_object_is_type(format, json_type_string) &&
              strcmp(json_object_get_string(format), "json") == 0 &&
              json_object_object_get_ex(h, "version", &version) &&
              json_object_is_type(version, json_type_int) && json_object_get_int64(version) == 1;
    json_object_put(h);
    if (!ok) {
        return -EBADMSG;
    }
    size_t left = st_cursor_left(&c);
    if (left > ST_XRAY_MAX_DOC_BYTES) {
        return -EMSGSIZE;
    }
    const uint8_t *doc;
    st_cursor_take(&c, left, &doc);
    *ret_doc = doc;
    *ret_len = left;
    return 0;
}

struct parse {
    struct st_arena *arena;
    struct st_error *err;
    size_t n_subsegments;
    char path[160]; /* where the error is, for messages: "subsegments[2].id" */
};

static int invalid(struct parse *p, const char *field, const char *what)
{
    return st_error_set(p->err, -EINVAL, ERR_CODE, "%s%s%s %s", p->path, p->path[0] ? "." : "",
                        field, what);
}

static int oom(struct parse *p)
{
    return st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

static const char *copy_str(struct parse *p, json_object *o)
{
    const char *s = json_object_get_string(o);
    size_t n = (size_t)json_object_get_string_len(o);
    char *d = st_arena_alloc(p->arena, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* An optional string member: 0 (absent: *ret untouched), -EINVAL for another type, -ENOMEM. */
static int opt_str(struct parse *p, json_object *obj, const char *key, const char *field,
                   const char **ret)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return invalid(p, field, "must be a string");
    }
    const char *s = copy_str(p, v);
    if (!s) {
        return oom(p);
    }
    *ret = s;
    return 0;
}

static int opt_bool(struct parse *p, json_object *obj, const char *key, bool *ret)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_boolean)) {
        return invalid(p, key, "must be a boolean");
    }
    *ret = json_object_get_boolean(v);
    return 0;
}

static bool is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int opt_object(struct parse *p, json_object *obj, const char *key, json_object **ret)
{
    json_object *v;
    *ret = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_object)) {
        return invalid(p, key, "must be an object");
    }
    *ret = v;
    return 0;
}

static int parse_id(struct parse *p, json_object *obj, const char *key, bool required, char *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        return required ? invalid(p, key, "is required") : 0;
    }
    if (!json_object_is_type(v, json_type_string) ||
        !st_xray_valid_id(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
        return invalid(p, key, "must be 16 hexadecimal digits");
    }
    memcpy(out, json_object_get_string(v), ST_XRAY_ID_LEN + 1);
    return 0;
}

static int parse_http(struct parse *p, json_object *http, struct st_xray_segment *s)
{
    json_object *req, *resp;
    int r;
    if ((r = opt_object(p, http, "request", &req)) < 0 ||
        (r = opt_object(p, http, "response", &resp)) < 0) {
        return r;
    }
    s->has_http = true;
    if (req &&
        ((r = opt_str(p, req, "method", "http.request.method", &s->http.method)) < 0 ||
         (r = opt_str(p, req, "url", "http.request.url", &s->http.url)) < 0 ||
         (r = opt_str(p, req, "user_agent", "http.request.user_agent", &s->http.user_agent)) < 0 ||
         (r = opt_str(p, req, "client_ip", "http.request.client_ip", &s->http.client_ip)) < 0)) {
        return r;
    }
    json_object *status;
    if (resp && json_object_object_get_ex(resp, "status", &status) &&
        !json_object_is_type(status, json_type_null)) {
        if (!json_object_is_type(status, json_type_int) || json_object_get_int64(status) < 0 ||
            json_object_get_int64(status) > 999) {
            return invalid(p, "http.response.status", "must be an integer 0..999");
        }
        s->http.status = (int)json_object_get_int64(status);
    }
    return 0;
}

static bool valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > ST_XRAY_MAX_KEY_LEN) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = k[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '_')) {
            return false;
        }
    }
    return true;
}

static int parse_annotations(struct parse *p, json_object *ann, struct st_xray_segment *s)
{
    size_t n = (size_t)json_object_object_length(ann);
    if (n > ST_XRAY_MAX_ANNOTATIONS) {
        n = ST_XRAY_MAX_ANNOTATIONS;
    }
    if (n == 0) {
        return 0;
    }
    s->annotations = st_arena_alloc(p->arena, n * sizeof(*s->annotations));
    if (!s->annotations) {
        return oom(p);
    }
    json_object_object_foreach(ann, key, val)
    {
        if (!valid_key(key)) {
            return invalid(p, "annotations", "keys must be 1..500 letters, digits or underscores");
        }
        if (s->n_annotations == n) {
            continue; /* past X-Ray's indexing limit: kept in the document only */
        }
        struct st_xray_annotation *a = &s->annotations[s->n_annotations];
        memset(a, 0, sizeof(*a));
        size_t kl = strlen(key);
        char *k = st_arena_alloc(p->arena, kl + 1);
        if (!k) {
            return oom(p);
        }
        memcpy(k, key, kl + 1);
        a->key = k;
        if (json_object_is_type(val, json_type_string)) {
            a->type = ST_XRAY_STRING;
            if (!(a->s = copy_str(p, val))) {
                return oom(p);
            }
        } else if (is_number(val)) {
            a->type = ST_XRAY_NUMBER;
            a->n = json_object_get_double(val);
            if (!isfinite(a->n)) {
                return invalid(p, "annotations", "numbers must be finite");
            }
        } else if (json_object_is_type(val, json_type_boolean)) {
            a->type = ST_XRAY_BOOL;
            a->b = json_object_get_boolean(val);
        } else {
            return invalid(p, "annotations", "values must be strings, numbers or booleans");
        }
        s->n_annotations++;
    }
    return 0;
}

static int parse_cause(struct parse *p, json_object *cause, struct st_xray_segment *s)
{
    if (json_object_is_type(cause, json_type_string)) {
        /* A reference to an exception recorded in another subsegment. */
        if (!st_xray_valid_id(json_object_get_string(cause),
                              (size_t)json_object_get_string_len(cause))) {
            return invalid(p, "cause", "must be an object or a 16-hex exception id");
        }
        return 0;
    }
    if (!json_object_is_type(cause, json_type_object)) {
        return invalid(p, "cause", "must be an object or a 16-hex exception id");
    }
    json_object *ex;
    if (!json_object_object_get_ex(cause, "exceptions", &ex) ||
        json_object_is_type(ex, json_type_null)) {
        return 0;
    }
    if (!json_object_is_type(ex, json_type_array)) {
        return invalid(p, "cause.exceptions", "must be an array");
    }
    size_t n = json_object_array_length(ex);
    size_t keep = n < ST_XRAY_MAX_MESSAGES ? n : ST_XRAY_MAX_MESSAGES;
    if (keep) {
        s->messages = st_arena_alloc(p->arena, keep * sizeof(*s->messages));
        if (!s->messages) {
            return oom(p);
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(ex, i);
        if (!json_object_is_type(e, json_type_object)) {
            return invalid(p, "cause.exceptions", "must hold objects");
        }
        const char *msg = NULL;
        int r = opt_str(p, e, "message", "cause.exceptions[].message", &msg);
        if (r < 0) {
            return r;
        }
        if (msg && s->n_messages < keep) {
            s->messages[s->n_messages++] = msg;
        }
    }
    return 0;
}

static int parse_time(struct parse *p, json_object *obj, const char *key, bool *ret_present,
                      double *ret)
{
    json_object *v;
    *ret_present = false;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        return 0;
    }
    double t = json_object_get_double(v);
    /* Seconds since the epoch: X-Ray takes 2000-01-01 .. 2100-01-01 as plausible. */
    if (!is_number(v) || !isfinite(t) || t < 946684800.0 || t > 4102444800.0) {
        return invalid(p, key, "must be a number of seconds since the epoch");
    }
    *ret_present = true;
    *ret = t;
    return 0;
}

static int parse_segment(struct parse *p, json_object *obj, struct st_xray_segment *s, bool top,
                         unsigned depth);

static int parse_subsegments(struct parse *p, json_object *arr, struct st_xray_segment *s,
                             unsigned depth)
{
    if (!json_object_is_type(arr, json_type_array)) {
        return invalid(p, "subsegments", "must be an array");
    }
    size_t n = json_object_array_length(arr);
    if (n == 0) {
        return 0;
    }
    if (depth >= ST_XRAY_MAX_DEPTH) {
        return invalid(p, "subsegments", "nest too deep");
    }
    if (n > ST_XRAY_MAX_SUBSEGMENTS - p->n_subsegments) {
        return invalid(p, "subsegments", "are too many (at most 4096 in a document)");
    }
    p->n_subsegments += n;
    s->subsegments = st_arena_alloc(p->arena, n * sizeof(*s->subsegments));
    if (!s->subsegments) {
        return oom(p);
    }
    size_t path_len = strlen(p->path);
    for (size_t i = 0; i < n; i++) {
        json_object *sub = json_object_array_get_idx(arr, i);
        snprintf(p->path + path_len, sizeof(p->path) - path_len, "%ssubsegments[%zu]",
                 path_len ? "." : "", i);
        if (!json_object_is_type(sub, json_type_object)) {
            p->path[path_len] = '\0';
            return invalid(p, "subsegments", "must hold objects");
        }
        int r = parse_segment(p, sub, &s->subsegments[i], false, depth + 1);
        if (r < 0) {
            return r;
        }
        s->n_subsegments++;
    }
    p->path[path_len] = '\0';
    return 0;
}

static int parse_segment(struct parse *p, json_object *obj, struct st_xray_segment *s, bool top,
                         unsigned depth)
{
    memset(s, 0, sizeof(*s));
    int r;
    json_object *v;
    if (!json_object_object_get_ex(obj, "name", &v) || !json_object_is_type(v, json_type_string)) {
        return invalid(p, "name", "is required and must be a string");
    }
    size_t nl = (size_t)json_object_get_string_len(v);
    if (nl == 0 || nl > ST_XRAY_MAX_NAME_LEN) {
        return invalid(p, "name", "must be 1..200 characters");
    }
    if (!(s->name = copy_str(p, v))) {
        return oom(p);
    }
    if ((r = parse_id(p, obj, "id", true, s->id)) < 0) {
        return r;
    }
    if (top) {
        const char *type = NULL;
        if ((r = opt_str(p, obj, "type", "type", &type)) < 0) {
            return r;
        }
        if (type && strcmp(type, "subsegment") != 0) {
            return invalid(p, "type", "must be \"subsegment\" when present");
        }
        s->independent = type != NULL;
        if (!json_object_object_get_ex(obj, "trace_id", &v) ||
            !json_object_is_type(v, json_type_string) ||
            !st_xray_valid_trace_id(json_object_get_string(v),
                                    (size_t)json_object_get_string_len(v), NULL)) {
            return invalid(p, "trace_id", "is required and must be 1-<8 hex>-<24 hex>");
        }
        memcpy(s->trace_id, json_object_get_string(v), ST_XRAY_TRACE_ID_LEN + 1);
    }
    if ((r = parse_id(p, obj, "parent_id", top && s->independent, s->parent_id)) < 0) {
        return r;
    }
    bool have_start, have_end;
    if ((r = parse_time(p, obj, "start_time", &have_start, &s->start_time)) < 0 ||
        (r = parse_time(p, obj, "end_time", &have_end, &s->end_time)) < 0 ||
        (r = opt_bool(p, obj, "in_progress", &s->in_progress)) < 0) {
        return r;
    }
    if (!have_start) {
        return invalid(p, "start_time", "is required");
    }
    if (s->in_progress && have_end) {
        return invalid(p, "end_time", "cannot be given with in_progress true");
    }
    if (!s->in_progress && !have_end) {
        return invalid(p, "end_time", "is required unless in_progress is true");
    }
    if (have_end && s->end_time < s->start_time) {
        return invalid(p, "end_time", "is before start_time");
    }
    if ((r = opt_str(p, obj, "origin", "origin", &s->origin)) < 0 ||
        (r = opt_str(p, obj, "namespace", "namespace", &s->namespace_name)) < 0 ||
        (r = opt_str(p, obj, "user", "user", &s->user)) < 0 ||
        (r = opt_bool(p, obj, "error", &s->error)) < 0 ||
        (r = opt_bool(p, obj, "throttle", &s->throttle)) < 0 ||
        (r = opt_bool(p, obj, "fault", &s->fault)) < 0) {
        return r;
    }
    if (s->namespace_name && strcmp(s->namespace_name, "remote") != 0 &&
        strcmp(s->namespace_name, "aws") != 0) {
        return invalid(p, "namespace", "must be \"remote\" or \"aws\"");
    }
    json_object *o;
    if ((r = opt_object(p, obj, "http", &o)) < 0 || (o && (r = parse_http(p, o, s)) < 0)) {
        return r;
    }
    if ((r = opt_object(p, obj, "aws", &o)) < 0 ||
        (o && ((r = opt_str(p, o, "operation", "aws.operation", &s->aws_operation)) < 0 ||
               (r = opt_str(p, o, "table_name", "aws.table_name", &s->aws_table_name)) < 0))) {
        return r;
    }
    if ((r = opt_object(p, obj, "sql", &o)) < 0) {
        return r;
    }
    if (o) {
        s->has_sql = true;
        if ((r = opt_str(p, o, "url", "sql.url", &s->sql_url)) < 0) {
            return r;
        }
    }
    if ((r = opt_object(p, obj, "annotations", &o)) < 0 ||
        (o && (r = parse_annotations(p, o, s)) < 0)) {
        return r;
    }
    if ((r = opt_object(p, obj, "metadata", &o)) < 0) {
        return r;
    }
    if (json_object_object_get_ex(obj, "cause", &v) && !json_object_is_type(v, json_type_null) &&
        (r = parse_cause(p, v, s)) < 0) {
        return r;
    }
    if (json_object_object_get_ex(obj, "subsegments", &v) &&
        !json_object_is_type(v, json_type_null) && (r = parse_subsegments(p, v, s, depth)) < 0) {
        return r;
    }
    return 0;
}

void st_xray_doc_free(struct st_xray_doc *d)
{
    if (!d) {
        return;
    }
    st_arena_fini(&d->arena);
    st_free(d);
}

int st_xray_segment_parse(const uint8_t *doc, size_t len, struct st_xray_doc **ret,
                          struct st_error *err)
{
    if (len > ST_XRAY_MAX_DOC_BYTES) {
        return st_error_set(err, -EMSGSIZE, ERR_CODE, "the segment document is over 64 KB");
    }
    /* Two JSON levels per subsegment level (object, array), plus the members' own. */
    json_tokener *tok = json_tokener_new_ex(2 * ST_XRAY_MAX_DEPTH + 8);
    if (!tok) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    json_object *root = json_tokener_parse_ex(tok, (const char *)doc, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return st_error_set(
            err, -EINVAL, ERR_CODE, "the segment is not valid JSON: %s",
            json_tokener_error_desc(jerr == json_tokener_success ? json_tokener_continue : jerr));
    }
    for (; end < len; end++) {
        if (doc[end] != ' ' && doc[end] != '\n' && doc[end] != '\r' && doc[end] != '\t') {
            json_object_put(root);
            return st_error_set(err, -EINVAL, ERR_CODE,
                                "the segment has bytes after its JSON object");
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return st_error_set(err, -EINVAL, ERR_CODE, "the segment must be a JSON object");
    }
    struct st_xray_doc *d = st_calloc(1, sizeof(*d));
    if (!d) {
        json_object_put(root);
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    st_arena_init(&d->arena, len / 2 + 1024, 0);
    struct parse p = {.arena = &d->arena, .err = err};
    int r = parse_segment(&p, root, &d->root, true, 0);
    json_object_put(root);
    if (r < 0) {
        st_xray_doc_free(d);
        return r;
    }
    *ret = d;
    return 0;
}
