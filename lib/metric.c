/* SPDX-License-Identifier: MIT */
/*
 * The metric model of metric.h: CloudWatch's unit and statistic names, percentile parsing, and
 * validation of PutMetricData, GetMetricStatistics and ListMetrics requests with the error codes
 * and messages CloudWatch returns. The collector calls these right after decoding a request
 * (native protobuf or an AWS protocol mapped onto the same messages) and before anything is
 * stored or queried, so everything past them may trust lengths, counts and numbers.
 *
 * Checks run in request order (namespace, then each datum in turn, each field in the order of
 * the API reference) and stop at the first failure, so a request with several errors reports the
 * first. Messages take one of CloudWatch's two shapes: the service's own sentences ("The
 * parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.") and,
 * for constraints of the API model (lengths, patterns, enums), the request validator's "1
 * validation error detected: Value '...' at 'metricData.1.member.unit' failed to satisfy
 * constraint: ...". Values echoed into messages are cut short and have their non-printable bytes
 * escaped, so a message is always printable ASCII and fits struct st_error. Nothing allocates.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/metric.h"

#define MAX_DIMENSION_FILTERS 10  /* ListMetrics */
#define PARAM_MAX             128 /* "MetricData.member.1000.Dimensions.member.30.Value" and kin */
#define SHOW_MAX              32  /* characters of a value echoed into a message */

/*
 * Times a GetMetricStatistics request may name: years 0001 to 9999, all that an ISO 8601 time in
 * an AWS request can spell. Keeping inside them also keeps the rounding arithmetic far from
 * int64 overflow.
 */
#define MIN_TIME_MS (-62135596800000LL) /* 0001-01-01T00:00:00Z */
#define MAX_TIME_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

#define MINUTE_MS (60LL * 1000)
#define DAY_MS    (24LL * 3600 * 1000)

static const char *const unit_names[ST_UNIT__COUNT] = {
    [ST_UNIT_SECONDS] = "Seconds",
    [ST_UNIT_MICROSECONDS] = "Microseconds",
    [ST_UNIT_MILLISECONDS] = "Milliseconds",
    [ST_UNIT_BYTES] = "Bytes",
    [ST_UNIT_KILOBYTES] = "Kilobytes",
    [ST_UNIT_MEGABYTES] = "Megabytes",
    [ST_UNIT_GIGABYTES] = "Gigabytes",
    [ST_UNIT_TERABYTES] = "Terabytes",
    [ST_UNIT_BITS] = "Bits",
    [ST_UNIT_KILOBITS] = "Kilobits",
    [ST_UNIT_MEGABITS] = "Megabits",
    [ST_UNIT_GIGABITS] = "Gigabits",
    [ST_UNIT_TERABITS] = "Terabits",
    [ST_UNIT_PERCENT] = "Percent",
    [ST_UNIT_COUNT] = "Count",
    [ST_UNIT_BYTES_SECOND] = "Bytes/Second",
    [ST_UNIT_KILOBYTES_SECOND] = "Kilobytes/Second",
    [ST_UNIT_MEGABYTES_SECOND] = "Megabytes/Second",
    [ST_UNIT_GIGABYTES_SECOND] = "Gigabytes/Second",
    [ST_UNIT_TERABYTES_SECOND] = "Terabytes/Second",
    [ST_UNIT_BITS_SECOND] = "Bits/Second",
    [ST_UNIT_KILOBITS_SECOND] = "Kilobits/Second",
    [ST_UNIT_MEGABITS_SECOND] = "Megabits/Second",
    [ST_UNIT_GIGABITS_SECOND] = "Gigabits/Second",
    [ST_UNIT_TERABITS_SECOND] = "Terabits/Second",
    [ST_UNIT_COUNT_SECOND] = "Count/Second",
    [ST_UNIT_NONE] = "None",
};

/* In the order of CloudWatch's Statistic enum. */
static const struct {
    const char *name;
    enum st_stat stat;
} stat_names[] = {
    {"SampleCount", ST_STAT_SAMPLE_COUNT}, {"Average", ST_STAT_AVERAGE}, {"Sum", ST_STAT_SUM},
    {"Minimum", ST_STAT_MINIMUM},          {"Maximum", ST_STAT_MAXIMUM},
};

#define N_STATS (sizeof(stat_names) / sizeof(stat_names[0]))

int st_unit_parse(const char *s, enum st_unit *ret_unit)
{
    if (!s) {
        return -EINVAL;
    }
    for (int u = 0; u < ST_UNIT__COUNT; u++) {
        if (strcmp(s, unit_names[u]) == 0) {
            *ret_unit = (enum st_unit)u;
            return 0;
        }
    }
    return -EINVAL;
}

const char *st_unit_name(enum st_unit unit)
{
    /* The cast also sends negative values (an enum may be signed) to "None". */
    if ((unsigned)unit >= ST_UNIT__COUNT) {
        return unit_names[ST_UNIT_NONE];
    }
    return unit_names[unit];
}

int st_stat_parse(const char *s, enum st_stat *ret_stat)
{
    if (!s) {
        return -EINVAL;
    }
    for (size_t i = 0; i < N_STATS; i++) {
        if (strcmp(s, stat_names[i].name) == 0) {
            *ret_stat = stat_names[i].stat;
            return 0;
        }
    }
    return -EINVAL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int st_percentile_parse(const char *s, double *ret_q)
{
    if (!s || s[0] != 'p') {
        return -EINVAL;
    }
    /* Integer arithmetic in hundredths of a percent, so p99.9 is exactly 9990 / 10000. */
    const char *p = s + 1;
    unsigned whole = 0, n_whole = 0;
    while (is_digit(*p)) {
        if (++n_whole > 3) {
            return -EINVAL;
        }
        whole = whole * 10 + (unsigned)(*p++ - '0');
    }
    /* "p", and leading zeros ("p050"), are not percentiles. */
    if (n_whole == 0 || (n_whole > 1 && s[1] == '0')) {
        return -EINVAL;
    }
    unsigned frac = 0, n_frac = 0;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            if (++n_frac > 2) {
                return -EINVAL;
            }
            frac = frac * 10 + (unsigned)(*p++ - '0');
        }
        if (n_frac == 0) {
            return -EINVAL;
        }
    }
    if (*p != '\0') {
        return -EINVAL;
    }
    if (n_frac == 1) {
        frac *= 10;
    }
    unsigned hundredths = whole * 100 + frac;
    if (hundredths > 10000) {
        return -EINVAL;
    }
    *ret_q = hundredths / 10000.0;
    return 0;
}

/*
 * Messages.
 */

struct shown {
    char s[SHOW_MAX + 8];
};

/* s as a message shows it: printable ASCII kept, other bytes as \xNN, cut after SHOW_MAX. */
static const char *show(struct shown *b, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[5];
        int n = 1;
        if (*p >= 0x20 && *p < 0x7f) {
            tmp[0] = (char)*p;
        } else {
            n = snprintf(tmp, sizeof(tmp), "\\x%02X", *p);
        }
        if (o + (size_t)n > SHOW_MAX) {
            memcpy(b->s + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(b->s + o, tmp, (size_t)n);
        o += (size_t)n;
    }
    b->s[o] = '\0';
    return b->s;
}

/* The shortest text that reads back as v; "NaN" and "Infinity" as Java (and CloudWatch) spell. */
static const char *show_double(char buf[40], double v)
{
    if (isnan(v)) {
        return "NaN";
    }
    if (isinf(v)) {
        return v > 0 ? "Infinity" : "-Infinity";
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    return buf;
}

/* 16666 -> "16,666", as CloudWatch prints counts. */
static const char *show_thousands(char buf[32], uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/*
 * Parameter names ("MetricData.member.3.Dimensions.member.1.Name") are needed only when a check
 * fails, but the checks name their parameter on every call, for every datum. So param() only
 * records its format and arguments in buf (a marker byte, then the record), and the functions
 * that report an error render it with pn(). The formats use at most two conversions, %s and
 * %zu, and their %s arguments are rendered strings (the datum prefix is made with param_now()).
 */
#define LAZY_MARK '\x01'

union lazy_arg {
    const char *s;
    size_t z;
};

struct lazy_name {
    const char *fmt;
    union lazy_arg args[2];
};

static inline union lazy_arg lazy_z(size_t z)
{
    return (union lazy_arg){.z = z};
}

static inline union lazy_arg lazy_s(const char *s)
{
    return (union lazy_arg){.s = s};
}

#define LAZY(x) _Generic((x), size_t : lazy_z, char * : lazy_s, const char * : lazy_s)(x)

static inline const char *lazy_make(char buf[PARAM_MAX], const char *fmt, union lazy_arg a,
                                    union lazy_arg b)
{
    struct lazy_name ln = {.fmt = fmt, .args = {a, b}};
    buf[0] = LAZY_MARK;
    memcpy(buf + 1, &ln, sizeof(ln));
    return buf;
}

/* param(buf, fmt, a[, b]): the arguments are taken by their static type, not parsed. */
#define PARAM_PICK(_1, _2, NAME, ...) NAME
#define PARAM_1(buf, fmt, a)          lazy_make(buf, fmt, LAZY(a), lazy_z(0))
#define PARAM_2(buf, fmt, a, b)       lazy_make(buf, fmt, LAZY(a), LAZY(b))
#define param(buf, fmt, ...)          PARAM_PICK(__VA_ARGS__, PARAM_2, PARAM_1, _)(buf, fmt, __VA_ARGS__)

/* Returns name itself, or, for a name made by param(), its rendering in out. */
static const char *pn(const char *name, char out[PARAM_MAX])
{
    if (name[0] != LAZY_MARK) {
        return name;
    }
    struct lazy_name ln;
    memcpy(&ln, name + 1, sizeof(ln));
    size_t o = 0;
    unsigned n = 0;
    for (const char *f = ln.fmt; *f && o < PARAM_MAX - 1; f++) {
        if (f[0] == '%' && f[1] == 's') {
            for (const char *a = ln.args[n++].s; *a && o < PARAM_MAX - 1; a++) {
                out[o++] = *a;
            }
            f++;
        } else if (f[0] == '%' && f[1] == 'z' && f[2] == 'u') {
            o += (size_t)snprintf(out + o, PARAM_MAX - o, "%zu", ln.args[n++].z);
            o = o < PARAM_MAX - 1 ? o : PARAM_MAX - 1;
            f += 2;
        } else {
            out[o++] = *f;
        }
    }
    out[o] = '\0';
    return out;
}

/* "MetricData.member.<i>", rendered at once: it is an argument of other names. */
static const char *param_now(char buf[PARAM_MAX], size_t i)
{
    char tmp[PARAM_MAX];
    return pn(param(tmp, "MetricData.member.%zu", i), buf);
}

/*
 * The request validator names a field by its path in the API model rather than by its query
 * parameter: "MetricData.member.3.Dimensions.member.1.Name" is
 * "metricData.3.member.dimensions.1.member.name".
 */
static void model_path(char *out, size_t size, const char *query_param)
{
    size_t o = 0;
    const char *p = query_param;
    while (*p && o + 1 < size) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0) {
            p++;
            continue;
        }
        const char *idx = dot ? dot + 1 : NULL;
        size_t idx_len = idx ? strcspn(idx, ".") : 0;
        int n;
        if (len == 6 && memcmp(p, "member", 6) == 0 && idx_len > 0 &&
            strspn(idx, "0123456789") == idx_len) {
            n = snprintf(out + o, size - o, "%s%.*s.member", o ? "." : "", (int)idx_len, idx);
            p = idx + idx_len;
        } else {
            char first = p[0] >= 'A' && p[0] <= 'Z' ? (char)(p[0] - 'A' + 'a') : p[0];
            n = snprintf(out + o, size - o, "%s%c%.*s", o ? "." : "", first, (int)len - 1, p + 1);
            p += len;
        }
        if (n < 0 || (size_t)n >= size - o) {
            break;
        }
        o += (size_t)n;
        if (*p == '.') {
            p++;
        }
    }
    out[o < size ? o : size - 1] = '\0';
}

static int missing(struct st_error *err, const char *name)
{
    char r[PARAM_MAX];
    name = pn(name, r);
    return st_error_set(err, -EINVAL, ST_ERR_MISSING_PARAMETER, "The parameter %s is required.",
                        name);
}

/* value: the text to show, already made printable. */
static int invalid(struct st_error *err, const char *name, const char *value)
{
    char r[PARAM_MAX];
    name = pn(name, r);
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter %s is invalid.", value, name);
}

static int invalid_str(struct st_error *err, const char *name, const char *value)
{
    struct shown b;
    return invalid(err, name, show(&b, value));
}

static int too_many(struct st_error *err, const char *name, size_t max)
{
    char r[PARAM_MAX];
    name = pn(name, r);
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "The collection %s must not have a size greater than %zu.", name, max);
}

static int exclusive(struct st_error *err, const char *a, const char *b)
{
    char ra[PARAM_MAX], rb[PARAM_MAX];
    a = pn(a, ra);
    b = pn(b, rb);
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                        "The parameters %s and %s are mutually exclusive and you have specified "
                        "both.",
                        a, b);
}

static int violates(struct st_error *err, const char *name, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A constraint of the API model, in the request validator's words; value is shown quoted. */
static int violates(struct st_error *err, const char *name, const char *value, const char *fmt, ...)
{
    char path[PARAM_MAX], constraint[ST_ERROR_MESSAGE_MAX], r[PARAM_MAX];
    struct shown b;
    model_path(path, sizeof(path), pn(name, r));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(constraint, sizeof(constraint), fmt, ap);
    va_end(ap);
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                        "constraint: %s",
                        show(&b, value), path, constraint);
}

/* "[a, b, c]" */
static const char *enum_set(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        int w =
            snprintf(buf + o, size - o, "%s%s%s", i ? ", " : "[", names[i], i + 1 == n ? "]" : "");
        if (w < 0) {
            break;
        }
        o += (size_t)w;
    }
    return buf;
}

static int bad_unit(struct st_error *err, const char *name, const char *value)
{
    char set[400];
    return violates(err, name, value, "Member must satisfy enum value set: %s",
                    enum_set(set, sizeof(set), unit_names, ST_UNIT__COUNT));
}

/*
 * Strings.
 */

struct str_info {
    size_t units; /* length as CloudWatch counts it: UTF-16 code units, or bytes if not UTF-8 */
    bool utf8;    /* well-formed UTF-8 */
    bool ascii;
    bool control; /* has an ASCII control character (0x00-0x1f, 0x7f) */
    bool blank;   /* nothing but whitespace */
};

/* Length of the UTF-8 sequence at p and its code point, or 0 if it is not well-formed. */
static size_t utf8_seq(const unsigned char *p, uint32_t *ret_cp)
{
    uint32_t cp;
    size_t n;
    if (p[0] < 0x80) {
        *ret_cp = p[0];
        return 1;
    } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        cp = p[0] & 0x1f;
        n = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        cp = p[0] & 0x0f;
        n = 3;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        cp = p[0] & 0x07;
        n = 4;
    } else {
        return 0;
    }
    /* A NUL terminator fails the continuation test, so this never reads past the string. */
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    *ret_cp = cp;
    return n;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static void str_scan(const char *s, struct str_info *ret)
{
    struct str_info si = {.utf8 = true, .ascii = true, .blank = true};
    size_t bytes = 0, units = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (p[bytes]) {
        unsigned char c = p[bytes];
        if (c < 0x20 || c == 0x7f) {
            si.control = true;
        }
        if (c >= 0x80) {
            si.ascii = false;
        }
        if (!is_space(c)) {
            si.blank = false;
        }
        uint32_t cp;
        size_t n = si.utf8 ? utf8_seq(p + bytes, &cp) : 0;
        if (n == 0) {
            si.utf8 = false;
            bytes++;
            continue;
        }
        units += cp >= 0x10000 ? 2 : 1;
        bytes += n;
    }
    si.units = si.utf8 ? units : bytes;
    *ret = si;
}

static int check_length(const char *s, const struct str_info *si, const char *name, size_t max,
                        struct st_error *err)
{
    if (si->units < 1) {
        return violates(err, name, s, "Member must have length greater than or equal to 1");
    }
    if (si->units > max) {
        return violates(err, name, s, "Member must have length less than or equal to %zu", max);
    }
    return 0;
}

/* A required string of 1..max characters, as the query APIs check names. */
static int check_required(const char *s, const char *name, size_t max, struct st_error *err)
{
    if (!s) {
        return missing(err, name);
    }
    struct str_info si;
    str_scan(s, &si);
    return check_length(s, &si, name, max, err);
}

/* The namespace pattern of the API model, [^:].*, for the query APIs. */
static int check_query_namespace(const char *ns, const char *name, struct st_error *err)
{
    int r = check_required(ns, name, ST_MAX_NAME_LEN, err);
    if (r < 0) {
        return r;
    }
    if (ns[0] == ':') {
        return violates(err, name, ns, "Member must satisfy regular expression pattern: [^:].*");
    }
    return 0;
}

static bool namespace_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           strchr(".-_/#: ", c) != NULL;
}

int st_validate_namespace(const char *ns, const char *param_name,
                          const struct st_validate_opts *opts, struct st_error *err)
{
    int r = check_query_namespace(ns, param_name, err);
    if (r < 0) {
        return r;
    }
    bool blank = true;
    for (const char *p = ns; *p; p++) {
        if (!namespace_char(*p)) {
            return invalid_str(err, param_name, ns);
        }
        if (*p != ' ') {
            blank = false;
        }
    }
    if (blank) {
        return invalid_str(err, param_name, ns);
    }
    if (strncmp(ns, "AWS/", 4) == 0 && !(opts && opts->allow_aws_namespace)) {
        return invalid(err, param_name, "AWS/");
    }
    return 0;
}

static int check_metric_name(const char *s, const char *name, struct st_error *err)
{
    if (!s) {
        return missing(err, name);
    }
    struct str_info si;
    str_scan(s, &si);
    int r = check_length(s, &si, name, ST_MAX_NAME_LEN, err);
    if (r < 0) {
        return r;
    }
    if (!si.utf8 || si.control || si.blank) {
        return invalid_str(err, name, s);
    }
    return 0;
}

/* Dimension names and values: ASCII, no control characters, not all whitespace. */
static int check_dimension_text(const char *s, const char *name, size_t max, bool is_name,
                                struct st_error *err)
{
    if (!s) {
        return missing(err, name);
    }
    struct str_info si;
    str_scan(s, &si);
    int r = check_length(s, &si, name, max, err);
    if (r < 0) {
        return r;
    }
    if (!si.ascii || si.control || si.blank || (is_name && s[0] == ':')) {
        return invalid_str(err, name, s);
    }
    return 0;
}

/* The dimensions of a datum: count, each name and value, no name twice. */
static int check_dimensions(Stratus__Dimension *const *dims, size_t n, const char *prefix,
                            struct st_error *err)
{
    char name[PARAM_MAX];
    if (n > ST_MAX_DIMENSIONS) {
        return too_many(err, param(name, "%s.Dimensions", prefix), ST_MAX_DIMENSIONS);
    }
    for (size_t k = 0; k < n; k++) {
        const Stratus__Dimension *d = dims[k];
        if (!d) {
            return missing(err, param(name, "%s.Dimensions.member.%zu", prefix, k + 1));
        }
        int r = check_dimension_text(d->name,
                                     param(name, "%s.Dimensions.member.%zu.Name", prefix, k + 1),
                                     ST_MAX_NAME_LEN, true, err);
        if (r < 0) {
            return r;
        }
        r = check_dimension_text(d->value,
                                 param(name, "%s.Dimensions.member.%zu.Value", prefix, k + 1),
                                 ST_MAX_DIM_VALUE_LEN, false, err);
        if (r < 0) {
            return r;
        }
    }
    /* At most 30, so comparing every pair is cheaper than sorting a copy. */
    for (size_t k = 1; k < n; k++) {
        for (size_t j = 0; j < k; j++) {
            if (strcmp(dims[j]->name, dims[k]->name) == 0) {
                return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                    "No metric may specify the same dimension name twice.");
            }
        }
    }
    return 0;
}

/* Dimensions of a query: names and values present and of the model's lengths. */
static int check_query_dimensions(Stratus__Dimension *const *dims, size_t n, struct st_error *err)
{
    char name[PARAM_MAX];
    if (n > ST_MAX_DIMENSIONS) {
        return too_many(err, "Dimensions", ST_MAX_DIMENSIONS);
    }
    for (size_t k = 0; k < n; k++) {
        const Stratus__Dimension *d = dims[k];
        if (!d) {
            return missing(err, param(name, "Dimensions.member.%zu", k + 1));
        }
        int r = check_required(d->name, param(name, "Dimensions.member.%zu.Name", k + 1),
                               ST_MAX_NAME_LEN, err);
        if (r < 0) {
            return r;
        }
        r = check_required(d->value, param(name, "Dimensions.member.%zu.Value", k + 1),
                           ST_MAX_DIM_VALUE_LEN, err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

/*
 * Numbers.
 */

static bool number_ok(double v)
{
    /* 2^360 is exact in a double, so the bound itself is accepted. */
    return isfinite(v) && fabs(v) <= ldexp(1.0, ST_VALUE_LIMIT_LOG2);
}

static int check_number(double v, const char *name, struct st_error *err)
{
    if (!number_ok(v)) {
        char buf[40];
        return invalid(err, name, show_double(buf, v));
    }
    return 0;
}

static int check_statistic_set(const Stratus__StatisticSet *s, const char *prefix,
                               struct st_error *err)
{
    char name[PARAM_MAX];
    const struct {
        const char *field;
        bool has;
        double v;
    } fields[] = {
        {"SampleCount", s->has_sample_count, s->sample_count},
        {"Sum", s->has_sum, s->sum},
        {"Minimum", s->has_minimum, s->minimum},
        {"Maximum", s->has_maximum, s->maximum},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!fields[i].has) {
            return missing(err, param(name, "%s.StatisticValues.%s", prefix, fields[i].field));
        }
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        int r = check_number(fields[i].v,
                             param(name, "%s.StatisticValues.%s", prefix, fields[i].field), err);
        if (r < 0) {
            return r;
        }
    }
    if (!(s->sample_count > 0)) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter %s.StatisticValues.SampleCount must be greater than 0.",
                            prefix);
    }
    if (s->minimum > s->maximum) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter %s.StatisticValues.Maximum must be greater than or "
                            "equal to %s.StatisticValues.Minimum.",
                            prefix, prefix);
    }
    return 0;
}

static int check_values(const Stratus__MetricDatum *d, const char *prefix, struct st_error *err)
{
    char name[PARAM_MAX];
    if (d->n_values > ST_MAX_VALUES) {
        return too_many(err, param(name, "%s.Values", prefix), ST_MAX_VALUES);
    }
    if (d->n_counts > 0 && d->n_counts != d->n_values) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameters %s.Values and %s.Counts must be of the same size.",
                            prefix, prefix);
    }
    for (size_t k = 0; k < d->n_values; k++) {
        int r = check_number(d->values[k], param(name, "%s.Values.member.%zu", prefix, k + 1), err);
        if (r < 0) {
            return r;
        }
    }
    for (size_t k = 0; k < d->n_counts; k++) {
        /* A count says how often its value occurred: zero is a count, a negative is not. */
        if (!number_ok(d->counts[k]) || d->counts[k] < 0) {
            char buf[40];
            return invalid(err, param(name, "%s.Counts.member.%zu", prefix, k + 1),
                           show_double(buf, d->counts[k]));
        }
    }
    return 0;
}

/* Exactly one of Value, StatisticValues and Values; Counts only beside Values. */
static int check_datum_values(const Stratus__MetricDatum *d, const char *prefix,
                              struct st_error *err)
{
    char a[PARAM_MAX], b[PARAM_MAX];
    bool has_value = d->has_value;
    bool has_stats = d->statistic_values != NULL;
    bool has_values = d->n_values > 0;
    if (has_value && has_stats) {
        return exclusive(err, param(a, "%s.Value", prefix), param(b, "%s.StatisticValues", prefix));
    }
    if (has_value && has_values) {
        return exclusive(err, param(a, "%s.Value", prefix), param(b, "%s.Values", prefix));
    }
    if (has_stats && has_values) {
        return exclusive(err, param(a, "%s.StatisticValues", prefix),
                         param(b, "%s.Values", prefix));
    }
    if (d->n_counts > 0 && !has_values) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                            "The parameter %s.Counts can only be specified together with "
                            "%s.Values.",
                            prefix, prefix);
    }
    if (has_value) {
        return check_number(d->value, param(a, "%s.Value", prefix), err);
    }
    if (has_stats) {
        return check_statistic_set(d->statistic_values, prefix, err);
    }
    if (has_values) {
        return check_values(d, prefix, err);
    }
    /* CloudWatch answers a datum without a value with InvalidParameterCombination. */
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                        "At least one of the parameters %s.Value, %s.StatisticValues or "
                        "%s.Values must be specified.",
                        prefix, prefix, prefix);
}

static int check_datum(const Stratus__MetricDatum *d, size_t i, int64_t now_ms,
                       struct st_error *err)
{
    char prefix[PARAM_MAX], name[PARAM_MAX];
    param_now(prefix, i + 1);
    if (!d) {
        return missing(err, prefix);
    }
    int r = check_metric_name(d->metric_name, param(name, "%s.MetricName", prefix), err);
    if (r < 0) {
        return r;
    }
    r = check_dimensions(d->dimensions, d->n_dimensions, prefix, err);
    if (r < 0) {
        return r;
    }
    r = check_datum_values(d, prefix, err);
    if (r < 0) {
        return r;
    }
    enum st_unit unit;
    if (d->unit && st_unit_parse(d->unit, &unit) < 0) {
        return bad_unit(err, param(name, "%s.Unit", prefix), d->unit);
    }
    if (d->has_storage_resolution && d->storage_resolution != 1 && d->storage_resolution != 60) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%" PRId32, d->storage_resolution);
        return invalid(err, param(name, "%s.StorageResolution", prefix), buf);
    }
    if (d->has_timestamp_ms) {
        /* Differences in uint64_t: exact for any pair of int64_t, so no overflow. */
        int64_t ts = d->timestamp_ms;
        if (ts < now_ms && (uint64_t)now_ms - (uint64_t)ts > (uint64_t)ST_MAX_PAST_MS) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "The parameter %s.Timestamp must specify a time within the past "
                                "two weeks.",
                                prefix);
        }
        if (ts > now_ms && (uint64_t)ts - (uint64_t)now_ms > (uint64_t)ST_MAX_FUTURE_MS) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "The parameter %s.Timestamp must specify a time no more than two "
                                "hours in the future.",
                                prefix);
        }
    }
    return 0;
}

int st_validate_put_metric_data(const Stratus__PutMetricDataRequest *req, int64_t now_ms,
                                const struct st_validate_opts *opts, struct st_error *err)
{
    assert(req);
    int r = st_validate_namespace(req->namespace_, "Namespace", opts, err);
    if (r < 0) {
        return r;
    }
    if (req->n_metric_data == 0) {
        return missing(err, "MetricData");
    }
    if (req->n_metric_data > ST_MAX_DATUMS) {
        return too_many(err, "MetricData", ST_MAX_DATUMS);
    }
    for (size_t i = 0; i < req->n_metric_data; i++) {
        r = check_datum(req->metric_data[i], i, now_ms, err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

/*
 * GetMetricStatistics.
 */

/* x rounded down to a multiple of unit (> 0), also for negative x. */
static int64_t floor_to(int64_t x, int64_t unit)
{
    int64_t m = x % unit;
    if (m < 0) {
        m += unit;
    }
    return x - m;
}

/*
 * CloudWatch rounds StartTime down by its age: to the minute under 15 days, to 5 minutes up to
 * 63 days, to the hour beyond. A sub-minute (high-resolution) Period rounds it down to a multiple
 * of the Period instead, which, as every such Period divides a minute, lines up with the minute.
 */
static int64_t round_start(int64_t start_ms, int64_t now_ms, int64_t period_s)
{
    if (period_s < 60) {
        return floor_to(start_ms, period_s * 1000);
    }
    /* In uint64_t, as in check_datum, so that no clock can overflow it. */
    uint64_t age_ms = start_ms < now_ms ? (uint64_t)now_ms - (uint64_t)start_ms : 0;
    if (age_ms < 15 * DAY_MS) {
        return floor_to(start_ms, MINUTE_MS);
    }
    if (age_ms <= 63 * DAY_MS) {
        return floor_to(start_ms, 5 * MINUTE_MS);
    }
    return floor_to(start_ms, 60 * MINUTE_MS);
}

static bool period_ok(int32_t period)
{
    switch (period) {
    case 1:
    case 5:
    case 10:
    case 20:
    case 30:
        return true;
    default:
        return period >= 60 && period % 60 == 0;
    }
}

static int check_time(int64_t ms, const char *name, struct st_error *err)
{
    if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%" PRId64, ms);
        return invalid(err, name, buf);
    }
    return 0;
}

static int check_statistics(const Stratus__GetMetricStatisticsRequest *req,
                            struct st_stats_query *q, struct st_error *err)
{
    char name[PARAM_MAX];
    if (req->n_statistics == 0 && req->n_extended_statistics == 0) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                            "Must specify either Statistics or ExtendedStatistics.");
    }
    if (req->n_statistics > 0 && req->n_extended_statistics > 0) {
        return exclusive(err, "Statistics", "ExtendedStatistics");
    }
    if (req->n_statistics > ST_MAX_STATISTICS) {
        return too_many(err, "Statistics", ST_MAX_STATISTICS);
    }
    for (size_t k = 0; k < req->n_statistics; k++) {
        const char *s = req->statistics[k];
        param(name, "Statistics.member.%zu", k + 1);
        enum st_stat stat;
        if (!s) {
            return missing(err, name);
        }
        if (st_stat_parse(s, &stat) < 0) {
            const char *names[N_STATS];
            char set[96];
            for (size_t j = 0; j < N_STATS; j++) {
                names[j] = stat_names[j].name;
            }
            return violates(err, name, s, "Member must satisfy enum value set: %s",
                            enum_set(set, sizeof(set), names, N_STATS));
        }
        /* Asking twice for one statistic is asking once. */
        q->stats |= (unsigned)stat;
    }
    if (req->n_extended_statistics > ST_MAX_EXT_STATISTICS) {
        return too_many(err, "ExtendedStatistics", ST_MAX_EXT_STATISTICS);
    }
    for (size_t k = 0; k < req->n_extended_statistics; k++) {
        const char *s = req->extended_statistics[k];
        param(name, "ExtendedStatistics.member.%zu", k + 1);
        if (!s) {
            return missing(err, name);
        }
        /* Kept in request order, duplicates too, so quantiles[k] answers member k + 1. */
        if (st_percentile_parse(s, &q->quantiles[k]) < 0) {
            return invalid_str(err, name, s);
        }
    }
    q->n_quantiles = (unsigned)req->n_extended_statistics;
    return 0;
}

int st_validate_get_metric_statistics(const Stratus__GetMetricStatisticsRequest *req,
                                      int64_t now_ms, struct st_stats_query *ret_query,
                                      struct st_error *err)
{
    assert(req);
    struct st_stats_query q = {0};
    int r = check_query_namespace(req->namespace_, "Namespace", err);
    if (r < 0) {
        return r;
    }
    r = check_required(req->metric_name, "MetricName", ST_MAX_NAME_LEN, err);
    if (r < 0) {
        return r;
    }
    r = check_query_dimensions(req->dimensions, req->n_dimensions, err);
    if (r < 0) {
        return r;
    }
    if (!req->has_start_time_ms) {
        return missing(err, "StartTime");
    }
    if (!req->has_end_time_ms) {
        return missing(err, "EndTime");
    }
    if (!req->has_period) {
        return missing(err, "Period");
    }
    if (req->period < 1) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%" PRId32, req->period);
        return violates(err, "Period", buf, "Member must have value greater than or equal to 1");
    }
    if (!period_ok(req->period)) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.");
    }
    r = check_statistics(req, &q, err);
    if (r < 0) {
        return r;
    }
    if (req->unit) {
        r = st_unit_parse(req->unit, &q.unit);
        if (r < 0) {
            return bad_unit(err, "Unit", req->unit);
        }
        q.has_unit = true;
    }
    r = check_time(req->start_time_ms, "StartTime", err);
    if (r < 0) {
        return r;
    }
    r = check_time(req->end_time_ms, "EndTime", err);
    if (r < 0) {
        return r;
    }
    if (req->start_time_ms >= req->end_time_ms) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter StartTime must be less than the parameter EndTime.");
    }
    q.period_s = req->period;
    q.start_ms = round_start(req->start_time_ms, now_ms, q.period_s);
    q.end_ms = req->end_time_ms;
    /* Both times are within years 1..9999, so neither the span nor the sum overflows. */
    int64_t period_ms = q.period_s * 1000;
    uint64_t points = (uint64_t)((q.end_ms - q.start_ms + period_ms - 1) / period_ms);
    if (points > ST_MAX_DATAPOINTS) {
        char n[32], limit[32];
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                            "You have requested up to %s datapoints, which exceeds the limit of "
                            "%s. You may reduce the datapoints requested by increasing Period, "
                            "or decreasing the time range.",
                            show_thousands(n, points), show_thousands(limit, ST_MAX_DATAPOINTS));
    }
    *ret_query = q;
    return 0;
}

/*
 * ListMetrics.
 */

int st_validate_list_metrics(const Stratus__ListMetricsRequest *req, struct st_error *err)
{
    assert(req);
    char name[PARAM_MAX];
    int r;
    if (req->namespace_) {
        r = check_query_namespace(req->namespace_, "Namespace", err);
        if (r < 0) {
            return r;
        }
    }
    if (req->metric_name) {
        r = check_required(req->metric_name, "MetricName", ST_MAX_NAME_LEN, err);
        if (r < 0) {
            return r;
        }
    }
    if (req->n_dimensions > MAX_DIMENSION_FILTERS) {
        return too_many(err, "Dimensions", MAX_DIMENSION_FILTERS);
    }
    for (size_t k = 0; k < req->n_dimensions; k++) {
        const Stratus__DimensionFilter *f = req->dimensions[k];
        if (!f) {
            return missing(err, param(name, "Dimensions.member.%zu", k + 1));
        }
        r = check_required(f->name, param(name, "Dimensions.member.%zu.Name", k + 1),
                           ST_MAX_NAME_LEN, err);
        if (r < 0) {
            return r;
        }
        /* A filter without a value matches every value of the dimension. */
        if (f->value) {
            r = check_required(f->value, param(name, "Dimensions.member.%zu.Value", k + 1),
                               ST_MAX_DIM_VALUE_LEN, err);
            if (r < 0) {
                return r;
            }
        }
    }
    if (req->recently_active && strcmp(req->recently_active, "PT3H") != 0) {
        return violates(err, "RecentlyActive", req->recently_active,
                        "Member must satisfy enum value set: [PT3H]");
    }
    return 0;
}
