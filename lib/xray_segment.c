/* SPDX-License-Identifier: MIT */
/*
 * The X-Ray segment document parser (xray_segment.h). A small in-place JSON scanner checks the
 * document's syntax without building a tree (the ingest path parses every segment it stores, so
 * a json-c tree per document was most of its allocations); the parser then looks up the members
 * it reads, checks the fields X-Ray requires (name, 16-hex id, trace id, start_time, end_time or
 * in_progress, parent_id of independent subsegments) and copies what trace assembly, the
 * service graph and filter expressions use into one arena per document. Subsegments nest
 * recursively up to ST_XRAY_MAX_DEPTH levels.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* --- the JSON scanner ---
 *
 * Values are read in place: read_value() checks one value's syntax (RFC 8259, nesting bounded)
 * and describes where it lies, without building anything. While it checks a document it notes
 * where each object and array ends (struct jends), so that walking an object member by member
 * afterwards steps over a nested object or array at once instead of scanning it again: every
 * byte is scanned once, plus the members of the objects the parser looks into (http,
 * subsegments, ...). The rest (metadata, unknown members) is only checked. */

enum jtype { J_NONE, J_NULL, J_BOOL, J_NUMBER, J_STRING, J_OBJECT, J_ARRAY };

/* Where the objects and arrays of a checked document end, by where they start: noted in
 * document order by read_value, so sorted by start. A document with more containers than fit
 * keeps the first ones; the others are scanned again when walked. */
#define JENDS_MAX 256

struct jends {
    const uint8_t *base;
    size_t n;
    uint32_t start[JENDS_MAX];
    uint32_t end[JENDS_MAX];
};

struct jv {
    enum jtype type;
    const uint8_t *p; /* the whole token (strings: with their quotes) */
    size_t n;
    const struct jends *ends; /* of the document this value lies in, or NULL */
    bool b;                   /* J_BOOL */
    bool integer;             /* J_NUMBER without fraction or exponent */
    bool escaped;             /* J_STRING holding a backslash */
};

#define JSON_MAX_DEPTH (2 * ST_XRAY_MAX_DEPTH + 8)

static int peek(const struct st_cursor *c)
{
    return c->pos < c->end ? *c->pos : -1;
}

static void skip_ws(struct st_cursor *c)
{
    while (c->pos < c->end &&
           (*c->pos == ' ' || *c->pos == '\n' || *c->pos == '\r' || *c->pos == '\t')) {
        c->pos++;
    }
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static int read_literal(struct st_cursor *c, const char *word)
{
    size_t n = strlen(word);
    const uint8_t *p;
    if (st_cursor_take(c, n, &p) < 0 || memcmp(p, word, n) != 0) {
        return -EINVAL;
    }
    return 0;
}

/* The bytes that end a run of plain string characters. */
static const bool string_stop[256] = {['"'] = true, ['\\'] = true, [0] = true};

static int read_string(struct st_cursor *c, struct jv *ret)
{
    const uint8_t *start = c->pos;
    c->pos++; /* the opening quote */
    bool escaped = false;
    for (;;) {
        /* The next quote or backslash: keys and most values are short, so the first bytes go
         * one at a time; a long string (metadata) is searched with memchr, which scans a word
         * at a time. A NUL byte is refused: json-c, the parser before, took it for the end. */
        const uint8_t *q = c->pos;
        const uint8_t *short_end = st_cursor_left(c) < 24 ? c->end : c->pos + 24;
        while (q < short_end && !string_stop[*q]) {
            q++;
        }
        if (q == short_end) {
            q = memchr(q, '"', (size_t)(c->end - q));
            if (!q) {
                return -EINVAL;
            }
            const uint8_t *bs = memchr(short_end, '\\', (size_t)(q - short_end));
            if (bs) {
                q = bs;
            }
            if (memchr(short_end, '\0', (size_t)(q - short_end))) {
                return -EINVAL;
            }
        } else if (*q == '\0') {
            return -EINVAL;
        }
        c->pos = q + 1;
        if (*q == '"') {
            break;
        }
        escaped = true;
        int e = peek(c);
        if (e < 0) {
            return -EINVAL;
        }
        c->pos++;
        if (e == 'u') {
            const uint8_t *hex;
            if (st_cursor_take(c, 4, &hex) < 0 || !all_hex((const char *)hex, 4)) {
                return -EINVAL;
            }
        } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
            return -EINVAL;
        }
    }
    *ret = (struct jv){
        .type = J_STRING, .p = start, .n = (size_t)(c->pos - start), .escaped = escaped};
    return 0;
}

static int read_number(struct st_cursor *c, struct jv *ret)
{
    const uint8_t *start = c->pos;
    bool integer = true;
    if (peek(c) == '-') {
        c->pos++;
    }
    if (peek(c) == '0') {
        c->pos++;
    } else if (is_digit(peek(c))) {
        while (is_digit(peek(c))) {
            c->pos++;
        }
    } else {
        return -EINVAL;
    }
    if (peek(c) == '.') {
        integer = false;
        c->pos++;
        if (!is_digit(peek(c))) {
            return -EINVAL;
        }
        while (is_digit(peek(c))) {
            c->pos++;
        }
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        integer = false;
        c->pos++;
        if (peek(c) == '+' || peek(c) == '-') {
            c->pos++;
        }
        if (!is_digit(peek(c))) {
            return -EINVAL;
        }
        while (is_digit(peek(c))) {
            c->pos++;
        }
    }
    *ret = (struct jv){
        .type = J_NUMBER, .p = start, .n = (size_t)(c->pos - start), .integer = integer};
    return 0;
}

/* Reads one value at c (whitespace before it skipped), noting where its objects and arrays end
 * in ends (NULL: nowhere). Returns 0 or -EINVAL (not JSON, or nested deeper than max_depth). */
static int read_value(struct st_cursor *c, unsigned depth, unsigned max_depth, struct jends *ends,
                      struct jv *ret)
{
    skip_ws(c);
    const uint8_t *start = c->pos;
    int ch = peek(c);
    int r;
    switch (ch) {
    case '"':
        return read_string(c, ret);
    case 't':
    case 'f':
        if ((r = read_literal(c, ch == 't' ? "true" : "false")) < 0) {
            return r;
        }
        *ret =
            (struct jv){.type = J_BOOL, .p = start, .n = (size_t)(c->pos - start), .b = ch == 't'};
        return 0;
    case 'n':
        if ((r = read_literal(c, "null")) < 0) {
            return r;
        }
        *ret = (struct jv){.type = J_NULL, .p = start, .n = 4};
        return 0;
    case '{':
    case '[': {
        if (depth + 1 > max_depth) {
            return -EINVAL;
        }
        int close = ch == '{' ? '}' : ']';
        size_t slot = ends && ends->n < JENDS_MAX ? ends->n++ : JENDS_MAX;
        if (slot < JENDS_MAX) {
            ends->start[slot] = (uint32_t)(start - ends->base);
        }
        c->pos++;
        skip_ws(c);
        if (peek(c) == close) {
            c->pos++;
        } else {
            for (;;) {
                struct jv v;
                if (ch == '{') {
                    skip_ws(c);
                    if (peek(c) != '"' || read_string(c, &v) < 0) {
                        return -EINVAL;
                    }
                    skip_ws(c);
                    if (peek(c) != ':') {
                        return -EINVAL;
                    }
                    c->pos++;
                }
                if ((r = read_value(c, depth + 1, max_depth, ends, &v)) < 0) {
                    return r;
                }
                skip_ws(c);
                int next = peek(c);
                c->pos++;
                if (next == close) {
                    break;
                }
                if (next != ',') {
                    return -EINVAL;
                }
                /* A trailing comma, as json-c (which parsed documents before) accepts. */
                skip_ws(c);
                if (peek(c) == close) {
                    c->pos++;
                    break;
                }
            }
        }
        if (slot < JENDS_MAX) {
            ends->end[slot] = (uint32_t)(c->pos - ends->base);
        }
        *ret = (struct jv){
            .type = ch == '{' ? J_OBJECT : J_ARRAY, .p = start, .n = (size_t)(c->pos - start)};
        return 0;
    }
    default:
        if (ch == '-' || is_digit(ch)) {
            return read_number(c, ret);
        }
        return -EINVAL;
    }
}

/* Where the container starting at p ends, if ends noted it; else NULL. */
static const uint8_t *jends_find(const struct jends *ends, const uint8_t *p)
{
    uint32_t off = (uint32_t)(p - ends->base);
    size_t lo = 0, hi = ends->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ends->start[mid] < off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < ends->n && ends->start[lo] == off ? ends->base + ends->end[lo] : NULL;
}

/* Steps over one value that read_value accepted before: an object or array whose end was noted
 * at once, anything else by reading it again. */
static void skip_value(struct st_cursor *c, const struct jends *ends, struct jv *ret)
{
    skip_ws(c);
    int ch = peek(c);
    const uint8_t *end;
    if ((ch == '{' || ch == '[') && ends && (end = jends_find(ends, c->pos))) {
        *ret = (struct jv){
            .type = ch == '{' ? J_OBJECT : J_ARRAY, .p = c->pos, .n = (size_t)(end - c->pos)};
        c->pos = end;
    } else {
        /* Checked once already: this cannot fail. */
        read_value(c, 0, JSON_MAX_DEPTH, NULL, ret);
    }
    ret->ends = ends;
}

/* Walks the members of an object (or the elements of an array) that read_value accepted. */
struct jiter {
    struct st_cursor c;
    const struct jends *ends;
    bool object;
};

static void iter_init(struct jiter *it, const struct jv *v)
{
    st_cursor_init(&it->c, v->p + 1, v->n - 2);
    it->ends = v->ends;
    it->object = v->type == J_OBJECT;
}

/* The next member: 1 (*key is its name for objects, *val its value), or 0 at the end. */
static int iter_next(struct jiter *it, struct jv *key, struct jv *val)
{
    skip_ws(&it->c);
    if (peek(&it->c) == ',') {
        it->c.pos++;
        skip_ws(&it->c);
    }
    if (st_cursor_left(&it->c) == 0) {
        return 0;
    }
    if (it->object) {
        read_string(&it->c, key);
        skip_ws(&it->c);
        it->c.pos++; /* ':' */
    }
    skip_value(&it->c, it->ends, val);
    return 1;
}

static size_t hex_value(const uint8_t *p)
{
    size_t v = 0;
    for (int i = 0; i < 4; i++) {
        int ch = p[i];
        v = v * 16 + (size_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(uint8_t *d, size_t cp)
{
    if (cp < 0x80) {
        d[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (uint8_t)(0xc0 | cp >> 6);
        d[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xe0 | cp >> 12);
        d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (uint8_t)(0xf0 | cp >> 18);
    d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the string v (checked by read_string) into d, which has room for v->n bytes (an
 * escape never decodes longer than it is written). Returns the decoded length. */
static size_t decode_string(const struct jv *v, uint8_t *d)
{
    const uint8_t *s = v->p + 1;
    size_t n = v->n - 2;
    if (!v->escaped) {
        memcpy(d, s, n);
        return n;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            d[o++] = s[i++];
            continue;
        }
        uint8_t e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            d[o++] = '\b';
            break;
        case 'f':
            d[o++] = '\f';
            break;
        case 'n':
            d[o++] = '\n';
            break;
        case 'r':
            d[o++] = '\r';
            break;
        case 't':
            d[o++] = '\t';
            break;
        case 'u': {
            size_t cp = hex_value(s + i);
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
                size_t lo = hex_value(s + i + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd; /* a lone surrogate */
            }
            o += put_utf8(d + o, cp);
            break;
        }
        default: /* " \ / */
            d[o++] = e;
            break;
        }
    }
    return o;
}

/* True when the string v is exactly word (escapes decoded). */
static bool str_is(const struct jv *v, const char *word)
{
    size_t n = strlen(word);
    if (!v->escaped) {
        return v->n - 2 == n && memcmp(v->p + 1, word, n) == 0;
    }
    uint8_t buf[64];
    if (v->n > sizeof(buf)) {
        return false; /* longer than any key looked for, even escaped */
    }
    return decode_string(v, buf) == n && memcmp(buf, word, n) == 0;
}

/* Finds the members named in keys[] of object v: vals[i] gets the last value of keys[i]
 * (J_NONE when absent), as a JSON object keeps the last of duplicate names. */
static void get_members(const struct jv *v, const char *const *keys, size_t n, struct jv *vals)
{
    for (size_t i = 0; i < n; i++) {
        vals[i].type = J_NONE;
    }
    struct jiter it;
    iter_init(&it, v);
    struct jv key, val;
    while (iter_next(&it, &key, &val)) {
        size_t kl = key.n - 2;
        for (size_t i = 0; i < n; i++) {
            bool match;
            if (key.escaped) {
                match = str_is(&key, keys[i]);
            } else {
                /* strncmp stops at the end of keys[i], so a longer key reads nothing beyond */
                match = kl && key.p[1] == (uint8_t)keys[i][0] &&
                        strncmp(keys[i], (const char *)key.p + 1, kl) == 0 && keys[i][kl] == '\0';
            }
            if (match) {
                vals[i] = val;
                break;
            }
        }
    }
}

static bool present(const struct jv *v)
{
    return v->type != J_NONE && v->type != J_NULL;
}

/* The value of a number token (read_number checked its syntax). */
static double number_value(const struct jv *v)
{
    /* Clinger's fast path, exact like strtod: an integer m of all the digits below 2^53 and a
     * power of ten 10^k (k <= 22) are both exact doubles, so m / 10^k is the correctly rounded
     * value. Epoch times with microseconds ("1764811234.123456", 16 digits) fit. */
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (v->n <= 18) {
        const uint8_t *q = v->p;
        size_t i = q[0] == '-', frac = 0;
        bool dot = false, simple = true;
        uint64_t m = 0;
        for (; i < v->n; i++) {
            if (q[i] == '.') {
                dot = true;
            } else if (q[i] >= '0' && q[i] <= '9') {
                m = m * 10 + (uint64_t)(q[i] - '0'); /* 17 digits at most: no overflow */
                frac += dot;
            } else {
                simple = false; /* an exponent */
                break;
            }
        }
        if (simple && m < ((uint64_t)1 << 53) && frac < sizeof(pow10) / sizeof(pow10[0])) {
            double d = (double)m / pow10[frac];
            return q[0] == '-' ? -d : d;
        }
    }
    char buf[64];
    if (v->n < sizeof(buf)) {
        memcpy(buf, v->p, v->n);
        buf[v->n] = '\0';
        return strtod(buf, NULL);
    }
    char *big = st_malloc(v->n + 1);
    if (!big) {
        return NAN;
    }
    memcpy(big, v->p, v->n);
    big[v->n] = '\0';
    double d = strtod(big, NULL);
    st_free(big);
    return d;
}

/* An integer token's value, saturated to +-2^62 (callers only test small ranges). */
static int64_t integer_value(const struct jv *v)
{
    const uint8_t *p = v->p;
    size_t n = v->n;
    bool neg = n && p[0] == '-';
    int64_t x = 0;
    for (size_t i = neg; i < n; i++) {
        x = x < ((int64_t)1 << 58) ? x * 10 + (p[i] - '0') : ((int64_t)1 << 62);
    }
    return neg ? -x : x;
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
    static const char canonical[] = "{\"format\": \"json\", \"version\": 1}";
    static const char compact[] = "{\"format\":\"json\",\"version\":1}";
    bool ok = (hdr_len == sizeof(canonical) - 1 && memcmp(hdr, canonical, hdr_len) == 0) ||
              (hdr_len == sizeof(compact) - 1 && memcmp(hdr, compact, hdr_len) == 0);
    if (!ok) {
        /* Any other spelling: a JSON object (one level) and nothing after it. */
        struct st_cursor hc;
        st_cursor_init(&hc, hdr, hdr_len);
        struct jv h;
        if (read_value(&hc, 0, 2, NULL, &h) < 0 || st_cursor_left(&hc) != 0 || h.type != J_OBJECT) {
            return -EBADMSG;
        }
        static const char *const keys[] = {"format", "version"};
        struct jv m[2];
        get_members(&h, keys, 2, m);
        ok = m[0].type == J_STRING && str_is(&m[0], "json") && m[1].type == J_NUMBER &&
             m[1].integer && integer_value(&m[1]) == 1;
        if (!ok) {
            return -EBADMSG;
        }
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
    /* Where the parser is, for messages ("subsegments[2].id"): the index of the subsegment at
     * each level, spelled out only when there is an error. */
    size_t where[ST_XRAY_MAX_DEPTH + 1];
    size_t depth;
};

static int invalid(struct parse *p, const char *field, const char *what)
{
    char path[160] = "";
    size_t len = 0;
    for (size_t i = 0; i < p->depth && len < sizeof(path) - 1; i++) {
        int w = snprintf(path + len, sizeof(path) - len, "%ssubsegments[%zu]", i ? "." : "",
                         p->where[i]);
        len = w < 0 ? sizeof(path) - 1 : len + (size_t)w;
    }
    return st_error_set(p->err, -EINVAL, ERR_CODE, "%s%s%s %s", path, path[0] ? "." : "", field,
                        what);
}

static int oom(struct parse *p)
{
    return st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

/* The string v decoded into the arena (NUL-terminated; *ret_len its length), or NULL on OOM. */
static const char *copy_str_len(struct parse *p, const struct jv *v, size_t *ret_len)
{
    char *d = st_arena_alloc(p->arena, v->n - 1);
    if (!d) {
        return NULL;
    }
    size_t n = decode_string(v, (uint8_t *)d);
    d[n] = '\0';
    if (ret_len) {
        *ret_len = n;
    }
    return d;
}

static const char *copy_str(struct parse *p, const struct jv *v)
{
    return copy_str_len(p, v, NULL);
}

/* An optional string member: 0 (absent: *ret untouched), -EINVAL for another type, -ENOMEM. */
static int opt_str(struct parse *p, const struct jv *v, const char *field, const char **ret)
{
    if (!present(v)) {
        return 0;
    }
    if (v->type != J_STRING) {
        return invalid(p, field, "must be a string");
    }
    const char *s = copy_str(p, v);
    if (!s) {
        return oom(p);
    }
    *ret = s;
    return 0;
}

static int opt_bool(struct parse *p, const struct jv *v, const char *key, bool *ret)
{
    if (!present(v)) {
        return 0;
    }
    if (v->type != J_BOOL) {
        return invalid(p, key, "must be a boolean");
    }
    *ret = v->b;
    return 0;
}

static int opt_object(struct parse *p, const struct jv *v, const char *key, bool *ret_present)
{
    *ret_present = false;
    if (!present(v)) {
        return 0;
    }
    if (v->type != J_OBJECT) {
        return invalid(p, key, "must be an object");
    }
    *ret_present = true;
    return 0;
}

/* A 16-hex id string into out; 0 when absent (or an error when required). */
static int parse_id(struct parse *p, const struct jv *v, const char *key, bool required, char *out)
{
    if (!present(v)) {
        return required ? invalid(p, key, "is required") : 0;
    }
    if (v->type != J_STRING || v->escaped || v->n - 2 != ST_XRAY_ID_LEN ||
        !st_xray_valid_id((const char *)v->p + 1, ST_XRAY_ID_LEN)) {
        return invalid(p, key, "must be 16 hexadecimal digits");
    }
    memcpy(out, v->p + 1, ST_XRAY_ID_LEN);
    out[ST_XRAY_ID_LEN] = '\0';
    return 0;
}

static int parse_http(struct parse *p, const struct jv *http, struct st_xray_segment *s)
{
    static const char *const keys[] = {"request", "response"};
    struct jv m[2];
    get_members(http, keys, 2, m);
    bool have_req, have_resp;
    int r;
    if ((r = opt_object(p, &m[0], "request", &have_req)) < 0 ||
        (r = opt_object(p, &m[1], "response", &have_resp)) < 0) {
        return r;
    }
    s->has_http = true;
    if (have_req) {
        static const char *const rk[] = {"method", "url", "user_agent", "client_ip"};
        struct jv q[4];
        get_members(&m[0], rk, 4, q);
        if ((r = opt_str(p, &q[0], "http.request.method", &s->http.method)) < 0 ||
            (r = opt_str(p, &q[1], "http.request.url", &s->http.url)) < 0 ||
            (r = opt_str(p, &q[2], "http.request.user_agent", &s->http.user_agent)) < 0 ||
            (r = opt_str(p, &q[3], "http.request.client_ip", &s->http.client_ip)) < 0) {
            return r;
        }
    }
    if (have_resp) {
        static const char *const sk[] = {"status"};
        struct jv status;
        get_members(&m[1], sk, 1, &status);
        if (present(&status)) {
            int64_t v = status.type == J_NUMBER && status.integer ? integer_value(&status) : -1;
            if (v < 0 || v > 999) {
                return invalid(p, "http.response.status", "must be an integer 0..999");
            }
            s->http.status = (int)v;
        }
    }
    return 0;
}

static bool valid_key(const char *k, size_t n)
{
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

static int parse_annotations(struct parse *p, const struct jv *ann, struct st_xray_segment *s)
{
    struct jiter it;
    iter_init(&it, ann);
    struct jv key, val;
    size_t cap = 0;
    while (iter_next(&it, &key, &val)) {
        size_t kl;
        const char *k = copy_str_len(p, &key, &kl);
        if (!k) {
            return oom(p);
        }
        if (!valid_key(k, kl)) {
            return invalid(p, "annotations", "keys must be 1..500 letters, digits or underscores");
        }
        /* A repeated key replaces its value, as in a JSON object. */
        struct st_xray_annotation *a = NULL;
        for (size_t i = 0; i < s->n_annotations; i++) {
            if (strcmp(s->annotations[i].key, k) == 0) {
                a = &s->annotations[i];
                break;
            }
        }
        if (!a) {
            if (s->n_annotations == ST_XRAY_MAX_ANNOTATIONS) {
                continue; /* past X-Ray's indexing limit: kept in the document only */
            }
            if (s->n_annotations == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                if (ncap > ST_XRAY_MAX_ANNOTATIONS) {
                    ncap = ST_XRAY_MAX_ANNOTATIONS;
                }
                struct st_xray_annotation *na = st_arena_alloc(p->arena, ncap * sizeof(*na));
                if (!na) {
                    return oom(p);
                }
                if (s->n_annotations) {
                    memcpy(na, s->annotations, s->n_annotations * sizeof(*na));
                }
                s->annotations = na;
                cap = ncap;
            }
            a = &s->annotations[s->n_annotations++];
        }
        memset(a, 0, sizeof(*a));
        a->key = k;
        if (val.type == J_STRING) {
            a->type = ST_XRAY_STRING;
            if (!(a->s = copy_str(p, &val))) {
                return oom(p);
            }
        } else if (val.type == J_NUMBER) {
            a->type = ST_XRAY_NUMBER;
            a->n = number_value(&val);
            if (!isfinite(a->n)) {
                return invalid(p, "annotations", "numbers must be finite");
            }
        } else if (val.type == J_BOOL) {
            a->type = ST_XRAY_BOOL;
            a->b = val.b;
        } else {
            return invalid(p, "annotations", "values must be strings, numbers or booleans");
        }
    }
    return 0;
}

static int parse_cause(struct parse *p, const struct jv *cause, struct st_xray_segment *s)
{
    if (cause->type == J_STRING) {
        /* A reference to an exception recorded in another subsegment. */
        if (cause->escaped || !st_xray_valid_id((const char *)cause->p + 1, cause->n - 2)) {
            return invalid(p, "cause", "must be an object or a 16-hex exception id");
        }
        return 0;
    }
    if (cause->type != J_OBJECT) {
        return invalid(p, "cause", "must be an object or a 16-hex exception id");
    }
    static const char *const keys[] = {"exceptions"};
    struct jv ex;
    get_members(cause, keys, 1, &ex);
    if (!present(&ex)) {
        return 0;
    }
    if (ex.type != J_ARRAY) {
        return invalid(p, "cause.exceptions", "must be an array");
    }
    struct jiter it;
    iter_init(&it, &ex);
    struct jv e;
    while (iter_next(&it, NULL, &e)) {
        if (e.type != J_OBJECT) {
            return invalid(p, "cause.exceptions", "must hold objects");
        }
        static const char *const mk[] = {"message"};
        struct jv m;
        get_members(&e, mk, 1, &m);
        const char *msg = NULL;
        int r = opt_str(p, &m, "cause.exceptions[].message", &msg);
        if (r < 0) {
            return r;
        }
        if (msg && s->n_messages < ST_XRAY_MAX_MESSAGES) {
            if (!s->messages) {
                s->messages = st_arena_alloc(p->arena, ST_XRAY_MAX_MESSAGES * sizeof(*s->messages));
                if (!s->messages) {
                    return oom(p);
                }
            }
            s->messages[s->n_messages++] = msg;
        }
    }
    return 0;
}

static int parse_time(struct parse *p, const struct jv *v, const char *key, bool *ret_present,
                      double *ret)
{
    *ret_present = false;
    if (!present(v)) {
        return 0;
    }
    double t = v->type == J_NUMBER ? number_value(v) : NAN;
    /* Seconds since the epoch: X-Ray takes 2000-01-01 .. 2100-01-01 as plausible. */
    if (!isfinite(t) || t < 946684800.0 || t > 4102444800.0) {
        return invalid(p, key, "must be a number of seconds since the epoch");
    }
    *ret_present = true;
    *ret = t;
    return 0;
}

static int parse_segment(struct parse *p, const struct jv *obj, struct st_xray_segment *s, bool top,
                         unsigned depth);

static int parse_subsegments(struct parse *p, const struct jv *arr, struct st_xray_segment *s,
                             unsigned depth)
{
    if (arr->type != J_ARRAY) {
        return invalid(p, "subsegments", "must be an array");
    }
    /* One pass finds the elements (a few on the stack, more in a temporary array), so the
     * subsegments are allocated once, in the arena. */
    struct jv local[16], *subs = local;
    size_t n = 0, cap = sizeof(local) / sizeof(local[0]);
    struct jiter it;
    iter_init(&it, arr);
    struct jv sub;
    int r = 0;
    while (iter_next(&it, NULL, &sub)) {
        if (n == ST_XRAY_MAX_SUBSEGMENTS - p->n_subsegments) {
            r = invalid(p, "subsegments", "are too many (at most 4096 in a document)");
            goto out;
        }
        if (n == cap) {
            struct jv *bigger = st_malloc(2 * cap * sizeof(*bigger));
            if (!bigger) {
                r = oom(p);
                goto out;
            }
            memcpy(bigger, subs, n * sizeof(*subs));
            if (subs != local) {
                st_free(subs);
            }
            subs = bigger;
            cap *= 2;
        }
        subs[n++] = sub;
    }
    if (n == 0) {
        goto out;
    }
    if (depth >= ST_XRAY_MAX_DEPTH) {
        r = invalid(p, "subsegments", "nest too deep");
        goto out;
    }
    p->n_subsegments += n;
    s->subsegments = st_arena_alloc(p->arena, n * sizeof(*s->subsegments));
    if (!s->subsegments) {
        r = oom(p);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (subs[i].type != J_OBJECT) {
            r = invalid(p, "subsegments", "must hold objects");
            goto out;
        }
        p->where[p->depth++] = i;
        r = parse_segment(p, &subs[i], &s->subsegments[i], false, depth + 1);
        p->depth--;
        if (r < 0) {
            goto out;
        }
        s->n_subsegments++;
    }
out:
    if (subs != local) {
        st_free(subs);
    }
    return r;
}

enum seg_key {
    K_NAME,
    K_ID,
    K_TYPE,
    K_TRACE_ID,
    K_PARENT_ID,
    K_START_TIME,
    K_END_TIME,
    K_IN_PROGRESS,
    K_ORIGIN,
    K_NAMESPACE,
    K_USER,
    K_ERROR,
    K_THROTTLE,
    K_FAULT,
    K_HTTP,
    K_AWS,
    K_SQL,
    K_ANNOTATIONS,
    K_METADATA,
    K_CAUSE,
    K_SUBSEGMENTS,
    K__COUNT,
};

static const char *const seg_keys[K__COUNT] = {
    [K_NAME] = "name",
    [K_ID] = "id",
    [K_TYPE] = "type",
    [K_TRACE_ID] = "trace_id",
    [K_PARENT_ID] = "parent_id",
    [K_START_TIME] = "start_time",
    [K_END_TIME] = "end_time",
    [K_IN_PROGRESS] = "in_progress",
    [K_ORIGIN] = "origin",
    [K_NAMESPACE] = "namespace",
    [K_USER] = "user",
    [K_ERROR] = "error",
    [K_THROTTLE] = "throttle",
    [K_FAULT] = "fault",
    [K_HTTP] = "http",
    [K_AWS] = "aws",
    [K_SQL] = "sql",
    [K_ANNOTATIONS] = "annotations",
    [K_METADATA] = "metadata",
    [K_CAUSE] = "cause",
    [K_SUBSEGMENTS] = "subsegments",
};

static int parse_segment(struct parse *p, const struct jv *obj, struct st_xray_segment *s, bool top,
                         unsigned depth)
{
    memset(s, 0, sizeof(*s));
    struct jv f[K__COUNT];
    get_members(obj, seg_keys, K__COUNT, f);
    int r;
    if (f[K_NAME].type != J_STRING) {
        return invalid(p, "name", "is required and must be a string");
    }
    size_t nl;
    if (!(s->name = copy_str_len(p, &f[K_NAME], &nl))) {
        return oom(p);
    }
    if (nl == 0 || nl > ST_XRAY_MAX_NAME_LEN || strlen(s->name) != nl) {
        return invalid(p, "name", "must be 1..200 characters");
    }
    if ((r = parse_id(p, &f[K_ID], "id", true, s->id)) < 0) {
        return r;
    }
    if (top) {
        const char *type = NULL;
        if ((r = opt_str(p, &f[K_TYPE], "type", &type)) < 0) {
            return r;
        }
        if (type && strcmp(type, "subsegment") != 0) {
            return invalid(p, "type", "must be \"subsegment\" when present");
        }
        s->independent = type != NULL;
        const struct jv *t = &f[K_TRACE_ID];
        if (t->type != J_STRING || t->escaped ||
            !st_xray_valid_trace_id((const char *)t->p + 1, t->n - 2, NULL)) {
            return invalid(p, "trace_id", "is required and must be 1-<8 hex>-<24 hex>");
        }
        memcpy(s->trace_id, t->p + 1, ST_XRAY_TRACE_ID_LEN);
        s->trace_id[ST_XRAY_TRACE_ID_LEN] = '\0';
    }
    if ((r = parse_id(p, &f[K_PARENT_ID], "parent_id", top && s->independent, s->parent_id)) < 0) {
        return r;
    }
    bool have_start, have_end;
    if ((r = parse_time(p, &f[K_START_TIME], "start_time", &have_start, &s->start_time)) < 0 ||
        (r = parse_time(p, &f[K_END_TIME], "end_time", &have_end, &s->end_time)) < 0 ||
        (r = opt_bool(p, &f[K_IN_PROGRESS], "in_progress", &s->in_progress)) < 0) {
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
    if ((r = opt_str(p, &f[K_ORIGIN], "origin", &s->origin)) < 0 ||
        (r = opt_str(p, &f[K_NAMESPACE], "namespace", &s->namespace_name)) < 0 ||
        (r = opt_str(p, &f[K_USER], "user", &s->user)) < 0 ||
        (r = opt_bool(p, &f[K_ERROR], "error", &s->error)) < 0 ||
        (r = opt_bool(p, &f[K_THROTTLE], "throttle", &s->throttle)) < 0 ||
        (r = opt_bool(p, &f[K_FAULT], "fault", &s->fault)) < 0) {
        return r;
    }
    if (s->namespace_name && strcmp(s->namespace_name, "remote") != 0 &&
        strcmp(s->namespace_name, "aws") != 0) {
        return invalid(p, "namespace", "must be \"remote\" or \"aws\"");
    }
    bool have;
    if ((r = opt_object(p, &f[K_HTTP], "http", &have)) < 0 ||
        (have && (r = parse_http(p, &f[K_HTTP], s)) < 0)) {
        return r;
    }
    if ((r = opt_object(p, &f[K_AWS], "aws", &have)) < 0) {
        return r;
    }
    if (have) {
        static const char *const ak[] = {"operation", "table_name"};
        struct jv a[2];
        get_members(&f[K_AWS], ak, 2, a);
        if ((r = opt_str(p, &a[0], "aws.operation", &s->aws_operation)) < 0 ||
            (r = opt_str(p, &a[1], "aws.table_name", &s->aws_table_name)) < 0) {
            return r;
        }
    }
    if ((r = opt_object(p, &f[K_SQL], "sql", &have)) < 0) {
        return r;
    }
    if (have) {
        s->has_sql = true;
        static const char *const qk[] = {"url"};
        struct jv u;
        get_members(&f[K_SQL], qk, 1, &u);
        if ((r = opt_str(p, &u, "sql.url", &s->sql_url)) < 0) {
            return r;
        }
    }
    if ((r = opt_object(p, &f[K_ANNOTATIONS], "annotations", &have)) < 0 ||
        (have && (r = parse_annotations(p, &f[K_ANNOTATIONS], s)) < 0)) {
        return r;
    }
    if ((r = opt_object(p, &f[K_METADATA], "metadata", &have)) < 0) {
        return r;
    }
    if (present(&f[K_CAUSE]) && (r = parse_cause(p, &f[K_CAUSE], s)) < 0) {
        return r;
    }
    if (present(&f[K_SUBSEGMENTS]) && (r = parse_subsegments(p, &f[K_SUBSEGMENTS], s, depth)) < 0) {
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
    /* One pass checks the syntax of the whole document; nesting is bounded by two JSON levels
     * per subsegment level (object, array), plus the members' own. */
    struct st_cursor c;
    st_cursor_init(&c, doc, len);
    struct jends ends; /* only the first ends.n entries are read */
    ends.base = doc;
    ends.n = 0;
    struct jv root;
    if (read_value(&c, 0, JSON_MAX_DEPTH, &ends, &root) < 0) {
        return st_error_set(err, -EINVAL, ERR_CODE, "the segment is not valid JSON");
    }
    skip_ws(&c);
    if (st_cursor_left(&c) != 0) {
        return st_error_set(err, -EINVAL, ERR_CODE, "the segment has bytes after its JSON object");
    }
    if (root.type != J_OBJECT) {
        return st_error_set(err, -EINVAL, ERR_CODE, "the segment must be a JSON object");
    }
    root.ends = &ends;
    struct st_xray_doc *d = st_calloc(1, sizeof(*d));
    if (!d) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    st_arena_init(&d->arena, len / 2 + 1024, 0);
    struct parse p = {.arena = &d->arena, .err = err};
    int r = parse_segment(&p, &root, &d->root, true, 0);
    if (r < 0) {
        st_xray_doc_free(d);
        return r;
    }
    *ret = d;
    return 0;
}
