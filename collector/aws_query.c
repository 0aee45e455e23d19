/* SPDX-License-Identifier: MIT */
/*
 * The AWS Query protocol (aws.h): CloudWatch (Version=2010-08-01) and Auto Scaling
 * (Version=2011-01-01) requests as application/x-www-form-urlencoded POST bodies (or GET query
 * strings) to "/", with Action naming the op and list members spelled Name.member.N; replies
 * are XML (<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>) and errors
 * <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "aws.h"
#include "aws_shape.h"
#include "collector_private.h"

#define CLOUDWATCH_NS  "http://monitoring.amazonaws.com/doc/2010-08-01/"
#define AUTOSCALING_NS "http://autoscaling.amazonaws.com/doc/2011-01-01/"

/* ---- form parsing ---- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* URL-decodes s[0..n) into out (at least n + 1 bytes); returns the decoded length or -EINVAL. */
static ssize_t url_decode(const uint8_t *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return -EINVAL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = (char)s[i];
        }
    }
    out[o] = '\0';
    return (ssize_t)o;
}

static bool is_index(const char *s, unsigned long *ret)
{
    if (!*s || *s == '0' || strlen(s) > 6) {
        return false;
    }
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        v = v * 10 + (unsigned long)(*p - '0');
    }
    *ret = v;
    return true;
}

static int form_err(struct st_error *err, const char *msg, const char *key)
{
    return st_error_set(err, -EINVAL, "MalformedQueryString", "%s: %.200s", msg, key);
}

/* Places value under the dotted key in root. key is modified. */
static int form_put(json_object *root, char *key, const char *value, size_t value_len,
                    struct st_error *err)
{
    char *segs[64];
    size_t n = 0;
    char whole[ST_AWS_FORM_MAX_KEY + 1];
    snprintf(whole, sizeof(whole), "%s", key);
    for (char *p = key;;) {
        if (n == sizeof(segs) / sizeof(segs[0])) {
            return form_err(err, "Too many parts in parameter name", whole);
        }
        segs[n++] = p;
        char *dot = strchr(p, '.');
        if (!dot) {
            break;
        }
        *dot = '\0';
        p = dot + 1;
    }
    json_object *node = root;
    for (size_t i = 0; i < n; i++) {
        if (segs[i][0] == '\0') {
            return form_err(err, "Empty part in parameter name", whole);
        }
        unsigned long idx;
        bool list = i + 2 < n &&
                    (strcmp(segs[i + 1], "member") == 0 || strcmp(segs[i + 1], "entry") == 0) &&
                    is_index(segs[i + 2], &idx);
        if (!list && i + 2 < n &&
            (strcmp(segs[i + 1], "member") == 0 || strcmp(segs[i + 1], "entry") == 0)) {
            return form_err(err, "Bad list index", whole);
        }
        json_object *child = NULL;
        bool have = json_object_object_get_ex(node, segs[i], &child);
        if (list) {
            if (idx > ST_AWS_FORM_MAX_FIELDS) {
                return form_err(err, "List index too large", whole);
            }
            if (!have || !json_object_is_type(child, json_type_array)) {
                if (have && !(json_object_is_type(child, json_type_string) &&
                              json_object_get_string_len(child) == 0)) {
                    return form_err(err, "Parameter given as a value and a list", whole);
                }
                child = json_object_new_array();
                if (!child) {
                    return -ENOMEM;
                }
                json_object_object_add(node, segs[i], child);
            }
            json_object *elem = json_object_array_get_idx(child, idx - 1);
            if (i + 3 == n) { /* a list of scalars */
                json_object *s = json_object_new_string_len(value, (int)value_len);
                if (!s || json_object_array_put_idx(child, idx - 1, s) < 0) {
                    json_object_put(s);
                    return -ENOMEM;
                }
                return 0;
            }
            if (!elem) {
                elem = json_object_new_object();
                if (!elem || json_object_array_put_idx(child, idx - 1, elem) < 0) {
                    json_object_put(elem);
                    return -ENOMEM;
                }
            } else if (!json_object_is_type(elem, json_type_object)) {
                return form_err(err, "List member given as a value and a structure", whole);
            }
            node = elem;
            i += 2;
            continue;
        }
        if (i + 1 == n) {
            if (have && !json_object_is_type(child, json_type_string)) {
                return form_err(err, "Parameter given as a value and a structure", whole);
            }
            json_object *s = json_object_new_string_len(value, (int)value_len);
            if (!s) {
                return -ENOMEM;
            }
            json_object_object_add(node, segs[i], s);
            return 0;
        }
        if (!have) {
            child = json_object_new_object();
            if (!child) {
                return -ENOMEM;
            }
            json_object_object_add(node, segs[i], child);
        } else if (!json_object_is_type(child, json_type_object)) {
            return form_err(err, "Parameter given as a value and a structure", whole);
        }
        node = child;
    }
    return 0;
}

/* Fails when a list has a hole (member.1 and member.3 but no member.2). */
static int check_holes(json_object *o, int depth, struct st_error *err)
{
    if (depth > ST_AWS_MAX_DEPTH + 8) {
        return st_error_set(err, -EINVAL, "MalformedQueryString", "Parameters nest too deeply");
    }
    if (json_object_is_type(o, json_type_array)) {
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(o, i);
            if (!e) {
                return st_error_set(err, -EINVAL, "MalformedQueryString",
                                    "List member %zu is missing", i + 1);
            }
            int r = check_holes(e, depth + 1, err);
            if (r < 0) {
                return r;
            }
        }
    } else if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            (void)k;
            int r = check_holes(v, depth + 1, err);
            if (r < 0) {
                return r;
            }
        }
    }
    return 0;
}

int st_aws_form_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err)
{
    json_object *root = json_object_new_object();
    if (!root) {
        return -ENOMEM;
    }
    char *val = malloc(len + 1);
    if (!val) {
        json_object_put(root);
        return -ENOMEM;
    }
    size_t n_fields = 0;
    int r = 0;
    size_t pos = 0;
    while (pos < len && r == 0) {
        const uint8_t *amp = memchr(buf + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - buf) : len;
        if (end > pos) {
            if (++n_fields > ST_AWS_FORM_MAX_FIELDS) {
                r = st_error_set(err, -EINVAL, "MalformedQueryString", "More than %d parameters",
                                 ST_AWS_FORM_MAX_FIELDS);
                break;
            }
            const uint8_t *eq = memchr(buf + pos, '=', end - pos);
            size_t klen = (eq ? (size_t)(eq - buf) : end) - pos;
            char key[ST_AWS_FORM_MAX_KEY + 1];
            if (klen > ST_AWS_FORM_MAX_KEY) {
                r = st_error_set(err, -EINVAL, "MalformedQueryString",
                                 "A parameter name is longer than %d bytes", ST_AWS_FORM_MAX_KEY);
                break;
            }
            ssize_t kl = url_decode(buf + pos, klen, key);
            ssize_t vl = 0;
            if (eq) {
                vl = url_decode(eq + 1, end - (size_t)(eq + 1 - buf), val);
            } else {
                val[0] = '\0';
            }
            if (kl < 0 || vl < 0) {
                r = st_error_set(err, -EINVAL, "MalformedQueryString",
                                 "Bad percent-encoding in the request");
            } else if ((size_t)kl != strlen(key) || (size_t)vl != strlen(val)) {
                r = st_error_set(err, -EINVAL, "MalformedQueryString", "NUL byte in the request");
            } else if (kl > 0) {
                r = form_put(root, key, val, (size_t)vl, err);
            }
        }
        pos = end + 1;
    }
    free(val);
    if (r == 0) {
        r = check_holes(root, 0, err);
    }
    if (r == -ENOMEM) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    if (r < 0) {
        json_object_put(root);
        return r;
    }
    *ret_tree = root;
    return 0;
}

/* ---- XML writing ---- */

static int xml_escape(struct evbuffer *b, const char *s, size_t n)
{
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        switch (s[i]) {
        case '&':
            r = evbuffer_add(b, "&amp;", 5);
            break;
        case '<':
            r = evbuffer_add(b, "&lt;", 4);
            break;
        case '>':
            r = evbuffer_add(b, "&gt;", 4);
            break;
        case '"':
            r = evbuffer_add(b, "&quot;", 6);
            break;
        case '\r':
            r = evbuffer_add(b, "&#13;", 5);
            break;
        default:
            r = evbuffer_add(b, s + i, 1);
        }
    }
    return r;
}

static int xml_value(struct evbuffer *b, json_object *v, int depth);

static int xml_children(struct evbuffer *b, json_object *o, int depth)
{
    int r = 0;
    json_object_object_foreach(o, k, v)
    {
        if (r < 0) {
            break;
        }
        r = evbuffer_add_printf(b, "<%s>", k) < 0 ? -ENOMEM : 0;
        if (r == 0) {
            r = xml_value(b, v, depth + 1);
        }
        if (r == 0) {
            r = evbuffer_add_printf(b, "</%s>", k) < 0 ? -ENOMEM : 0;
        }
    }
    return r;
}

static int xml_value(struct evbuffer *b, json_object *v, int depth)
{
    char buf[64];
    if (depth > 64) {
        return -EINVAL;
    }
    switch (json_object_get_type(v)) {
    case json_type_object:
        if (st_aws_is_map(v)) {
            json_object_object_foreach(v, k, mv)
            {
                if (evbuffer_add(b, "<entry><key>", 12) < 0 || xml_escape(b, k, strlen(k)) < 0 ||
                    evbuffer_add(b, "</key><value>", 13) < 0 || xml_value(b, mv, depth + 1) < 0 ||
                    evbuffer_add(b, "</value></entry>", 16) < 0) {
                    return -ENOMEM;
                }
            }
            return 0;
        }
        return xml_children(b, v, depth);
    case json_type_array: {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (evbuffer_add(b, "<member>", 8) < 0 ||
                xml_value(b, json_object_array_get_idx(v, i), depth + 1) < 0 ||
                evbuffer_add(b, "</member>", 9) < 0) {
                return -ENOMEM;
            }
        }
        return 0;
    }
    case json_type_string:
        return xml_escape(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_double:
        st_aws_format_double(json_object_get_double(v), buf, sizeof(buf));
        return evbuffer_add(b, buf, strlen(buf));
    case json_type_int:
        snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(v));
        return evbuffer_add(b, buf, strlen(buf));
    case json_type_boolean:
        return evbuffer_add_printf(b, "%s", json_object_get_boolean(v) ? "true" : "false") < 0
                   ? -ENOMEM
                   : 0;
    case json_type_null:
        return 0;
    }
    return 0;
}

char *st_aws_xml_write(json_object *tree, size_t *ret_len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        return NULL;
    }
    char *s = NULL;
    if (xml_value(b, tree, 0) == 0) {
        size_t n = evbuffer_get_length(b);
        s = malloc(n + 1);
        if (s) {
            evbuffer_remove(b, s, n);
            s[n] = '\0';
            *ret_len = n;
        }
    }
    evbuffer_free(b);
    return s;
}

static const char *service_ns(enum st_aws_service service)
{
    return service == ST_AWS_AUTOSCALING ? AUTOSCALING_NS : CLOUDWATCH_NS;
}

static void send_xml(struct evhttp_request *req, int status, struct evbuffer *out,
                     const char *request_id)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/xml");
    evhttp_add_header(h, "x-amzn-RequestId", request_id);
    evhttp_send_reply(req, status, st_api_status_reason(status), out);
}

void st_aws_query_error(struct evhttp_request *req, enum st_aws_service service, int status,
                        const char *code, const char *message, const char *request_id)
{
    struct evbuffer *out = evbuffer_new();
    if (out) {
        evbuffer_add_printf(out, "<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>",
                            service_ns(service), status >= 500 ? "Receiver" : "Sender");
        xml_escape(out, code, strlen(code));
        evbuffer_add(out, "</Code><Message>", 16);
        xml_escape(out, message, strlen(message));
        evbuffer_add_printf(out, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n",
                            request_id);
    }
    send_xml(req, status, out, request_id);
    if (out) {
        evbuffer_free(out);
    }
}

void st_aws_query_reply(struct st_aws_req *ar, const struct st_op *op, json_object *result)
{
    struct evbuffer *out = evbuffer_new();
    int r = out ? 0 : -ENOMEM;
    if (r == 0) {
        r = evbuffer_add_printf(out, "<%sResponse xmlns=\"%s\">", op->name,
                                service_ns(ar->service)) < 0
                ? -ENOMEM
                : 0;
    }
    if (r == 0) {
        r = evbuffer_add_printf(out, "<%sResult>", op->name) < 0 ? -ENOMEM : 0;
        if (r == 0) {
            r = xml_value(out, result, 0);
        }
        if (r == 0) {
            r = evbuffer_add_printf(out, "</%sResult>", op->name) < 0 ? -ENOMEM : 0;
        }
    }
    if (r == 0) {
        r = evbuffer_add_printf(out,
                                "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                                "</%sResponse>\n",
                                ar->request_id, op->name) < 0
                ? -ENOMEM
                : 0;
    }
    if (r < 0) {
        st_aws_query_error(ar->req, ar->service, 500, ST_ERR_INTERNAL_FAILURE,
                           "The response could not be written.", ar->request_id);
    } else {
        send_xml(ar->req, 200, out, ar->request_id);
    }
    if (out) {
        evbuffer_free(out);
    }
}

/* ---- the handler ---- */

void st_aws_query_handle(struct st_collector *c, struct evhttp_request *req)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const uint8_t *form;
    size_t len;
    if (cmd == EVHTTP_REQ_POST) {
        const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
        if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
            st_aws_send_error(req, ST_AWS_QUERY, ST_AWS_CLOUDWATCH, 415, "UnsupportedMediaType",
                              "The Query protocol takes application/x-www-form-urlencoded "
                              "bodies.");
            return;
        }
        form = st_aws_body(c, req, ST_AWS_QUERY, ST_AWS_CLOUDWATCH, &len);
        if (!form) {
            return;
        }
    } else if (cmd == EVHTTP_REQ_GET) {
        const char *uri = evhttp_request_get_uri(req);
        const char *q = strchr(uri, '?');
        form = (const uint8_t *)(q ? q + 1 : "");
        len = strcspn((const char *)form, "#");
    } else {
        st_aws_send_error(req, ST_AWS_QUERY, ST_AWS_CLOUDWATCH, 405, "InvalidAction",
                          "The Query protocol takes POST or GET requests.");
        return;
    }
    json_object *tree = NULL;
    struct st_error err;
    if (st_aws_form_parse(form, len, &tree, &err) < 0) {
        st_aws_send_error(req, ST_AWS_QUERY, ST_AWS_CLOUDWATCH,
                          strcmp(err.code, ST_ERR_INTERNAL_FAILURE) == 0 ? 500 : 400, err.code,
                          err.message);
        return;
    }
    json_object *action = NULL, *version = NULL;
    json_object_object_get_ex(tree, "Action", &action);
    json_object_object_get_ex(tree, "Version", &version);
    const char *vs = json_object_is_type(version, json_type_string)
                         ? json_object_get_string(version)
                         : "2010-08-01";
    enum st_aws_service service =
        strcmp(vs, "2011-01-01") == 0 ? ST_AWS_AUTOSCALING : ST_AWS_CLOUDWATCH;
    if (!json_object_is_type(action, json_type_string)) {
        st_aws_send_error(req, ST_AWS_QUERY, service, 400, ST_ERR_MISSING_PARAMETER,
                          "The request must contain the parameter Action.");
    } else if (strcmp(vs, "2010-08-01") != 0 && strcmp(vs, "2011-01-01") != 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Version %.64s is not supported (2010-08-01, 2011-01-01).", vs);
        st_aws_send_error(req, ST_AWS_QUERY, service, 400, "InvalidParameterValue", msg);
    } else {
        const char *name = json_object_get_string(action);
        const struct st_op *op = st_op_find(name, strlen(name));
        if (!op) {
            char msg[200];
            snprintf(msg, sizeof(msg), "Could not find operation %.80s for version %s", name, vs);
            st_aws_send_error(req, ST_AWS_QUERY, service, 400, "InvalidAction", msg);
        } else {
            st_aws_run(c, req, ST_AWS_QUERY, service, op, tree);
        }
    }
    json_object_put(tree);
}
