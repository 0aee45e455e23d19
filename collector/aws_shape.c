/* SPDX-License-Identifier: MIT */
/*
 * AWS shapes from protobuf-c descriptors (aws_shape.h): a json-c tree with AWS member names to a
 * request message and a response message to such a tree, for every op and protocol. Strings
 * of the decoded message are copied into the call's arena, so the tree may be freed at once.
 */
#include "aws_shape.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Member names that are not the CamelCase of their field. */
static const struct {
    const char *field;
    const char *member;
} name_overrides[] = {
    {"ok_actions", "OKActions"},
    {"http_url", "HttpURL"},
    {"auto_scaling_group_arn", "AutoScalingGroupARN"},
    {"policy_arn", "PolicyARN"},
    {"topic_arn", "TopicARN"},
};

/* Repeated messages of two fields (name and value) that AWS models as maps. */
static const char *const map_fields[] = {
    "Datapoint.extended_statistics",
};

/* Lists below the top of a reply that AWS writes even when empty ("Dimensions": []); other
 * empty lists below the top are left out, as AWS leaves them out. */
static const char *const empty_lists[] = {
    "Metric.dimensions",
    "MetricAlarm.dimensions",
    "MetricAlarm.ok_actions",
    "MetricAlarm.alarm_actions",
    "MetricAlarm.insufficient_data_actions",
    "CompositeAlarm.ok_actions",
    "CompositeAlarm.alarm_actions",
    "CompositeAlarm.insufficient_data_actions",
    "MetricDataResult.timestamps_ms",
    "MetricDataResult.values",
    "AutoScalingGroup.tags",
    "AutoScalingGroup.availability_zones",
    "ScalingPolicy.step_adjustments",
    "ScalingPolicy.alarms",
    "TraceSummary.annotations",
    "TraceSummary.users",
    "TraceSummary.service_ids",
};

static bool written_empty(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    char name[256];
    snprintf(name, sizeof(name), "%s.%s", d->short_name, f->name);
    for (size_t i = 0; i < sizeof(empty_lists) / sizeof(empty_lists[0]); i++) {
        if (strcmp(name, empty_lists[i]) == 0) {
            return true;
        }
    }
    return false;
}

static char map_mark; /* userdata of map nodes written by st_aws_encode */

static bool is_timestamp_field(const ProtobufCFieldDescriptor *f)
{
    size_t n = strlen(f->name);
    return (f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_SINT64) && n > 3 &&
           strcmp(f->name + n - 3, "_ms") == 0;
}

void st_aws_member_name(const ProtobufCFieldDescriptor *f, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof(name_overrides) / sizeof(name_overrides[0]); i++) {
        if (strcmp(f->name, name_overrides[i].field) == 0) {
            snprintf(buf, size, "%s", name_overrides[i].member);
            return;
        }
    }
    size_t n = strlen(f->name);
    if (is_timestamp_field(f)) {
        n -= 3;
    }
    size_t o = 0;
    bool up = true;
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        char ch = f->name[i];
        if (ch == '_') {
            up = true;
            continue;
        }
        buf[o++] = up ? (char)toupper((unsigned char)ch) : ch;
        up = false;
    }
    buf[o] = '\0';
}

/* Whether member names key and field (snake_case, optionally with _ms) are the same. */
static bool name_matches(const char *key, const ProtobufCFieldDescriptor *f)
{
    const char *p = f->name;
    const char *end = p + strlen(p);
    if (is_timestamp_field(f)) {
        end -= 3;
    }
    for (;;) {
        while (p < end && *p == '_') {
            p++;
        }
        if (p == end || *key == '\0') {
            return p == end && *key == '\0';
        }
        if (tolower((unsigned char)*p) != tolower((unsigned char)*key)) {
            return false;
        }
        p++;
        key++;
    }
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (name_matches(key, &d->fields[i])) {
            return &d->fields[i];
        }
    }
    return NULL;
}

/* A repeated message of exactly the fields key and value is an AWS map, and so are the
 * fields in map_fields (field f of message d). */
static bool is_map_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED) {
        return false;
    }
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || e->fields[0].type != PROTOBUF_C_TYPE_STRING) {
        return false;
    }
    if (strcmp(e->fields[0].name, "key") == 0 && strcmp(e->fields[1].name, "value") == 0) {
        return true;
    }
    char name[256];
    snprintf(name, sizeof(name), "%s.%s", d->short_name, f->name);
    for (size_t i = 0; i < sizeof(map_fields) / sizeof(map_fields[0]); i++) {
        if (strcmp(name, map_fields[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool st_aws_is_map(json_object *o)
{
    return o && json_object_is_type(o, json_type_object) &&
           json_object_get_userdata(o) == &map_mark;
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_FLOAT:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 8;
}

/* ---- time and number text ---- */

/* Epoch seconds accepted for a timestamp: every time the ISO 8601 parser can produce (years
 * 0000-9999, |t| < 2.6e11 s) must come back from its number form, or encode -> decode fails. */
#define MAX_EPOCH_SECONDS 1e12

static int parse_digits(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -EINVAL;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

int st_aws_parse_time(const char *s, int64_t *ret_ms)
{
    char *end;
    errno = 0;
    double secs = strtod(s, &end);
    if (end != s && *end == '\0' && errno == 0 && isfinite(secs) &&
        fabs(secs) < MAX_EPOCH_SECONDS && !isspace((unsigned char)s[0])) {
        *ret_ms = (int64_t)llround(secs * 1000.0);
        return 0;
    }
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (parse_digits(&p, 4, &y) < 0 || *p++ != '-' || parse_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &d) < 0) {
        return -EINVAL;
    }
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &mi) < 0) {
            return -EINVAL;
        }
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &sec) < 0) {
                return -EINVAL;
            }
        }
        if (*p == '.' || *p == ',') {
            p++;
            int scale = 100, digits = 0;
            while (isdigit((unsigned char)*p)) {
                if (digits++ < 3) {
                    ms += (*p - '0') * scale;
                    scale /= 10;
                }
                p++;
            }
            if (digits == 0 || digits > 9) {
                return -EINVAL;
            }
        }
    }
    int off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (parse_digits(&p, 2, &oh) < 0) {
            return -EINVAL;
        }
        if (*p == ':') {
            p++;
        }
        if (isdigit((unsigned char)*p) && parse_digits(&p, 2, &om) < 0) {
            return -EINVAL;
        }
        off_min = sign * (oh * 60 + om);
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return -EINVAL;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    *ret_ms = ((int64_t)t - (int64_t)off_min * 60) * 1000 + ms;
    return 0;
}

void st_aws_format_time(int64_t ms, char *buf, size_t size)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac) {
        snprintf(buf, size, "%s.%03dZ", base, frac);
    } else {
        snprintf(buf, size, "%sZ", base);
    }
}

void st_aws_format_double(double d, char *buf, size_t size)
{
    if (isnan(d)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    /* A JSON reader must see a float: AWS prints 7.0, not 7. */
    if (!strpbrk(buf, ".eE") && strlen(buf) + 3 <= size) {
        strcat(buf, ".0");
    }
}

/* ---- decoding ---- */

struct dec {
    struct st_arena *arena;
    struct st_error *err;
    char path[256];
    size_t n_members;
};

static int fail_value(struct dec *dc, const char *what)
{
    return st_error_set(dc->err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "The value for parameter %s is not %s.", dc->path, what);
}

static char *arena_strdup(struct st_arena *a, const char *s, size_t n)
{
    char *p = st_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int b64_val(int ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    return ch == '+' || ch == '-' ? 62 : ch == '/' || ch == '_' ? 63 : -1;
}

static int decode_base64(struct dec *dc, const char *s, size_t n, ProtobufCBinaryData *out)
{
    uint8_t *buf = st_arena_alloc(dc->arena, n / 4 * 3 + 3);
    if (!buf) {
        return -ENOMEM;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') {
            break;
        }
        int v = b64_val((unsigned char)s[i]);
        if (v < 0) {
            return fail_value(dc, "valid base64");
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    out->data = buf;
    out->len = o;
    return 0;
}

static int get_double(struct dec *dc, json_object *v, double *ret)
{
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        *ret = json_object_get_double(v);
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        if (strcmp(s, "NaN") == 0) {
            *ret = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
            *ret = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        errno = 0;
        *ret = strtod(s, &end);
        if (end != s && *end == '\0' && !isspace((unsigned char)s[0])) {
            return 0;
        }
    }
    return fail_value(dc, "a number");
}

static int get_int(struct dec *dc, json_object *v, int64_t min, int64_t max, int64_t *ret)
{
    if (json_object_is_type(v, json_type_int)) {
        errno = 0;
        *ret = json_object_get_int64(v);
        if (errno == 0 && *ret >= min && *ret <= max) {
            return 0;
        }
    } else if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d == floor(d) && d >= (double)min && d <= (double)max) {
            *ret = (int64_t)d;
            return 0;
        }
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (end != s && *end == '\0' && errno == 0 && !isspace((unsigned char)s[0]) && x >= min &&
            x <= max) {
            *ret = x;
            return 0;
        }
    }
    return fail_value(dc, "an integer in range");
}

static int decode_msg(struct dec *dc, const ProtobufCMessageDescriptor *d, json_object *in,
                      int depth, ProtobufCMessage **ret);

static int decode_value(struct dec *dc, const ProtobufCFieldDescriptor *f, json_object *v,
                        void *slot, int depth)
{
    int64_t i64;
    double dv;
    int r;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_object_is_type(v, json_type_string)) {
            return fail_value(dc, "a string");
        }
        size_t n = (size_t)json_object_get_string_len(v);
        char *s = arena_strdup(dc->arena, json_object_get_string(v), n);
        if (!s) {
            return -ENOMEM;
        }
        if (strlen(s) != n) {
            return fail_value(dc, "a string without NUL characters");
        }
        *(char **)slot = s;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        if (!json_object_is_type(v, json_type_string)) {
            return fail_value(dc, "a base64 string");
        }
        return decode_base64(dc, json_object_get_string(v), (size_t)json_object_get_string_len(v),
                             slot);
    case PROTOBUF_C_TYPE_DOUBLE:
        if ((r = get_double(dc, v, &dv)) < 0) {
            return r;
        }
        *(double *)slot = dv;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
        if ((r = get_double(dc, v, &dv)) < 0) {
            return r;
        }
        *(float *)slot = (float)dv;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (json_object_is_type(v, json_type_boolean)) {
            *(protobuf_c_boolean *)slot = json_object_get_boolean(v);
            return 0;
        }
        if (json_object_is_type(v, json_type_string)) {
            const char *s = json_object_get_string(v);
            if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
                *(protobuf_c_boolean *)slot = s[0] == 't';
                return 0;
            }
        }
        return fail_value(dc, "a boolean");
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev = NULL;
        if (json_object_is_type(v, json_type_string)) {
            ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor,
                                                              json_object_get_string(v));
        }
        if (!ev) {
            return fail_value(dc, "one of the allowed values");
        }
        *(int *)slot = ev->value;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return decode_msg(dc, f->descriptor, v, depth + 1, slot);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (is_timestamp_field(f)) {
            if (json_object_is_type(v, json_type_string)) {
                if (st_aws_parse_time(json_object_get_string(v), &i64) < 0) {
                    return fail_value(dc, "a valid timestamp");
                }
            } else if ((r = get_double(dc, v, &dv)) < 0 || !isfinite(dv) ||
                       fabs(dv) >= MAX_EPOCH_SECONDS) {
                return fail_value(dc, "a valid timestamp");
            } else {
                i64 = (int64_t)llround(dv * 1000.0);
            }
        } else if ((r = get_int(dc, v, INT64_MIN, INT64_MAX, &i64)) < 0) {
            return r;
        }
        *(int64_t *)slot = i64;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if ((r = get_int(dc, v, 0, INT64_MAX, &i64)) < 0) {
            return r;
        }
        *(uint64_t *)slot = (uint64_t)i64;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if ((r = get_int(dc, v, 0, UINT32_MAX, &i64)) < 0) {
            return r;
        }
        *(uint32_t *)slot = (uint32_t)i64;
        return 0;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if ((r = get_int(dc, v, INT32_MIN, INT32_MAX, &i64)) < 0) {
            return r;
        }
        *(int32_t *)slot = (int32_t)i64;
        return 0;
    }
    return fail_value(dc, "of a supported type");
}

/* Appends ".piece" (or "piece" at the top) to the error path; returns the old length. */
static size_t path_push(struct dec *dc, const char *piece)
{
    size_t old = strlen(dc->path);
    if (old + 1 < sizeof(dc->path)) {
        snprintf(dc->path + old, sizeof(dc->path) - old, "%s%s", old ? "." : "", piece);
    }
    return old;
}

static int decode_repeated(struct dec *dc, const ProtobufCFieldDescriptor *f, json_object *v,
                           ProtobufCMessage *m, int depth)
{
    json_object *list = v;
    json_object *made = NULL;
    if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0) {
        return 0; /* Query's empty list: "Name=" */
    }
    if (is_map_field(m->descriptor, f) && json_object_is_type(v, json_type_object)) {
        made = json_object_new_array();
        if (!made) {
            return -ENOMEM;
        }
        json_object_object_foreach(v, k, mv)
        {
            json_object *e = json_object_new_object();
            if (!e) {
                json_object_put(made);
                return -ENOMEM;
            }
            char kn[256], vn[256];
            st_aws_member_name(&((const ProtobufCMessageDescriptor *)f->descriptor)->fields[0], kn,
                               sizeof(kn));
            st_aws_member_name(&((const ProtobufCMessageDescriptor *)f->descriptor)->fields[1], vn,
                               sizeof(vn));
            json_object_object_add(e, kn, json_object_new_string(k));
            json_object_object_add(e, vn, json_object_get(mv));
            json_object_array_add(made, e);
        }
        list = made;
    }
    int r = 0;
    if (!json_object_is_type(list, json_type_array)) {
        r = st_error_set(dc->err, -EINVAL, "MalformedInput", "The parameter %s must be a list.",
                         dc->path);
        goto out;
    }
    size_t n = json_object_array_length(list);
    dc->n_members += n;
    if (dc->n_members > ST_AWS_MAX_MEMBERS) {
        r = st_error_set(dc->err, -EINVAL, ST_ERR_LIMIT_EXCEEDED,
                         "The request has more than %d list members.", ST_AWS_MAX_MEMBERS);
        goto out;
    }
    size_t es = elem_size(f);
    uint8_t *arr = n ? st_arena_alloc(dc->arena, n * es) : NULL;
    if (n && !arr) {
        r = -ENOMEM;
        goto out;
    }
    if (arr) {
        memset(arr, 0, n * es);
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        char piece[32];
        snprintf(piece, sizeof(piece), "member.%zu", i + 1);
        size_t old = path_push(dc, piece);
        json_object *e = json_object_array_get_idx(list, i);
        if (!e || json_object_is_type(e, json_type_null)) {
            r = st_error_set(dc->err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                             "The parameter %s is required.", dc->path);
        } else {
            r = decode_value(dc, f, e, arr + i * es, depth);
        }
        dc->path[old] = '\0';
    }
    if (r == 0) {
        *(size_t *)((uint8_t *)m + f->quantifier_offset) = n;
        *(void **)((uint8_t *)m + f->offset) = arr;
    }
out:
    json_object_put(made);
    return r;
}

static int decode_msg(struct dec *dc, const ProtobufCMessageDescriptor *d, json_object *in,
                      int depth, ProtobufCMessage **ret)
{
    if (depth > ST_AWS_MAX_DEPTH) {
        return st_error_set(dc->err, -EINVAL, "MalformedInput", "The request nests too deeply.");
    }
    if (!json_object_is_type(in, json_type_object)) {
        return st_error_set(dc->err, -EINVAL, "MalformedInput",
                            "The parameter %s must be a structure.",
                            dc->path[0] ? dc->path : "(request)");
    }
    ProtobufCMessage *m = st_arena_alloc(dc->arena, d->sizeof_message);
    if (!m) {
        return -ENOMEM;
    }
    protobuf_c_message_init(d, m);
    json_object_object_foreach(in, key, v)
    {
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        if (!f || json_object_is_type(v, json_type_null)) {
            continue;
        }
        size_t old = path_push(dc, key);
        int r;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            r = decode_repeated(dc, f, v, m, depth);
        } else {
            r = decode_value(dc, f, v, (uint8_t *)m + f->offset, depth);
            if (r == 0 && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
                *(uint32_t *)((uint8_t *)m + f->quantifier_offset) = f->id;
            } else if (r == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                       f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
                *(protobuf_c_boolean *)((uint8_t *)m + f->quantifier_offset) = 1;
            }
        }
        dc->path[old] = '\0';
        if (r < 0) {
            return r;
        }
    }
    *ret = m;
    return 0;
}

int st_aws_decode(const ProtobufCMessageDescriptor *d, json_object *in, struct st_arena *arena,
                  ProtobufCMessage **ret, struct st_error *err)
{
    struct dec dc = {.arena = arena, .err = err};
    int r = decode_msg(&dc, d, in, 0, ret);
    if (r == -ENOMEM) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "The request is too large to decode.");
    }
    return r;
}

/* ---- encoding ---- */

static char timestamp_mark; /* userdata of timestamp nodes */

static int double_to_string(json_object *o, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    char buf[64];
    st_aws_format_double(json_object_get_double(o), buf, sizeof(buf));
    if (!isfinite(json_object_get_double(o))) {
        return printbuf_memappend(pb, "null", 4);
    }
    return printbuf_memappend(pb, buf, (int)strlen(buf));
}

static json_object *new_double(double d, bool timestamp)
{
    json_object *o = json_object_new_double(d);
    if (o) {
        json_object_set_serializer(o, double_to_string, timestamp ? &timestamp_mark : NULL, NULL);
    }
    return o;
}

bool st_aws_is_timestamp(json_object *o)
{
    return o && json_object_is_type(o, json_type_double) &&
           json_object_get_userdata(o) == &timestamp_mark;
}

static json_object *encode_msg(const ProtobufCMessage *m, enum st_aws_time_format tf, int depth);

static json_object *encode_value(const ProtobufCFieldDescriptor *f, const void *slot,
                                 enum st_aws_time_format tf, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return json_object_new_string(*(char *const *)slot ? *(char *const *)slot : "");
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = slot;
        static const char tab[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *s = malloc(b->len / 3 * 4 + 5);
        if (!s) {
            return NULL;
        }
        size_t o = 0;
        for (size_t i = 0; i < b->len; i += 3) {
            uint32_t v = (uint32_t)b->data[i] << 16;
            if (i + 1 < b->len) {
                v |= (uint32_t)b->data[i + 1] << 8;
            }
            if (i + 2 < b->len) {
                v |= b->data[i + 2];
            }
            s[o++] = tab[(v >> 18) & 63];
            s[o++] = tab[(v >> 12) & 63];
            s[o++] = i + 1 < b->len ? tab[(v >> 6) & 63] : '=';
            s[o++] = i + 2 < b->len ? tab[v & 63] : '=';
        }
        s[o] = '\0';
        json_object *j = json_object_new_string(s);
        free(s);
        return j;
    }
    case PROTOBUF_C_TYPE_DOUBLE:
        return new_double(*(const double *)slot, false);
    case PROTOBUF_C_TYPE_FLOAT:
        return new_double(*(const float *)slot, false);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)slot);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)slot);
        return json_object_new_string(ev ? ev->name : "");
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return encode_msg(*(ProtobufCMessage *const *)slot, tf, depth + 1);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = *(const int64_t *)slot;
        if (is_timestamp_field(f)) {
            if (tf == ST_AWS_TIME_ISO8601) {
                char buf[40];
                st_aws_format_time(v, buf, sizeof(buf));
                return json_object_new_string(buf);
            }
            return new_double((double)v / 1000.0, true);
        }
        return json_object_new_int64(v);
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_object_new_int64((int64_t) * (const uint64_t *)slot);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)slot);
    }
    return NULL;
}

static json_object *encode_repeated(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m,
                                    enum st_aws_time_format tf, int depth)
{
    size_t n = *(const size_t *)((const uint8_t *)m + f->quantifier_offset);
    const uint8_t *arr = *(const uint8_t *const *)((const uint8_t *)m + f->offset);
    size_t es = elem_size(f);
    bool map = is_map_field(m->descriptor, f);
    json_object *o = map ? json_object_new_object() : json_object_new_array();
    if (o && map) {
        json_object_set_userdata(o, &map_mark, NULL);
    }
    for (size_t i = 0; o && i < n; i++) {
        if (map) {
            const ProtobufCMessage *e = *(ProtobufCMessage *const *)(arr + i * es);
            const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
            const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
            const char *k = kf->type == PROTOBUF_C_TYPE_STRING
                                ? *(char *const *)((const uint8_t *)e + kf->offset)
                                : NULL;
            if (!k) {
                continue;
            }
            json_object *v;
            if (vf->label == PROTOBUF_C_LABEL_REPEATED) {
                v = encode_repeated(vf, e, tf, depth + 1);
            } else {
                v = encode_value(vf, (const uint8_t *)e + vf->offset, tf, depth + 1);
            }
            if (!v) {
                json_object_put(o);
                return NULL;
            }
            json_object_object_add(o, k, v);
            continue;
        }
        json_object *v = encode_value(f, arr + i * es, tf, depth);
        if (!v || json_object_array_add(o, v) < 0) {
            json_object_put(v);
            json_object_put(o);
            return NULL;
        }
    }
    return o;
}

static json_object *encode_msg(const ProtobufCMessage *m, enum st_aws_time_format tf, int depth)
{
    json_object *o = json_object_new_object();
    if (!o || !m || depth > ST_AWS_MAX_DEPTH * 2) {
        return o;
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const uint8_t *base = (const uint8_t *)m;
        json_object *v = NULL;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            /* Empty lists are written at the top ("Datapoints": []) and where AWS writes
             * them (empty_lists). */
            if (depth > 0 && *(const size_t *)(base + f->quantifier_offset) == 0 &&
                !written_empty(d, f)) {
                continue;
            }
            v = encode_repeated(f, m, tf, depth);
        } else {
            const void *slot = base + f->offset;
            bool present;
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                present = *(const uint32_t *)(base + f->quantifier_offset) == f->id;
            } else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
                present = *(void *const *)slot != NULL;
            } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
                present = *(const protobuf_c_boolean *)(base + f->quantifier_offset);
            } else {
                present = true;
            }
            if (!present) {
                continue;
            }
            v = encode_value(f, slot, tf, depth);
        }
        if (!v) {
            json_object_put(o);
            return NULL;
        }
        char name[256];
        st_aws_member_name(f, name, sizeof(name));
        json_object_object_add(o, name, v);
    }
    return o;
}

json_object *st_aws_encode(const ProtobufCMessage *m, enum st_aws_time_format tf)
{
    return encode_msg(m, tf, 0);
}
