/* SPDX-License-Identifier: MIT */
/*
 * The StatsD line parser and the interval aggregator behind stratus-agent's StatsD listener
 * (see statsd.h for the grammar and the semantics). The parser reads the datagram only through
 * st_cursor: each field is cut out as a cursor of its own, checked against its limit, and a
 * line's samples and tags stay on the stack until the whole line has validated. The aggregator
 * is a chained hash table of entries, each one allocation holding the key (type, name with the
 * separator applied, tags sorted by key) and the state for its type; sets and distributions own
 * one growable array each.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/statsd.h"

/* Parser */

/* Internal results: 0 when good, else BAD(reason) (the public reasons start at 0). */
#define BAD(reason) ((int)(reason) + 1)

struct sample {
    enum st_statsd_type type;
    double value;
    bool relative;
    bool has_rate;
    double rate;
    struct st_cursor member;
};

struct line {
    struct st_cursor name;
    size_t n_samples;
    struct sample samples[ST_STATSD_MAX_SAMPLES];
    size_t n_tags;
    struct st_statsd_tag tags[ST_STATSD_MAX_TAGS];
};

static const char true_str[] = "true";

const char *st_statsd_type_name(enum st_statsd_type type)
{
    switch (type) {
    case ST_STATSD_COUNTER:
        return "counter";
    case ST_STATSD_GAUGE:
        return "gauge";
    case ST_STATSD_TIMING:
        return "timing";
    case ST_STATSD_HISTOGRAM:
        return "histogram";
    case ST_STATSD_SET:
        return "set";
    case ST_STATSD_DISTRIBUTION:
        return "distribution";
    }
    return "unknown";
}

/* The next byte, or -1 at the end; nothing is consumed. */
static int peek(const struct st_cursor *c)
{
    return st_cursor_left(c) > 0 ? *c->pos : -1;
}

/* Consumes ch if it is the next byte. */
static bool skip_if(struct st_cursor *c, uint8_t ch)
{
    uint8_t b;
    if (peek(c) != ch) {
        return false;
    }
    st_cursor_u8(c, &b);
    return true;
}

/* Cuts the bytes before the first `a` or `b` (all that is left if none) into *ret. */
static void take_until(struct st_cursor *c, uint8_t a, uint8_t b, struct st_cursor *ret)
{
    size_t n = 0, left = st_cursor_left(c);
    while (n < left && c->pos[n] != a && c->pos[n] != b) {
        n++;
    }
    const uint8_t *p = c->pos;
    st_cursor_take(c, n, &p);
    st_cursor_init(ret, p, n);
}

static bool is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Drops blanks at both ends (telegraf's TrimSpace, for ASCII). */
static void trim(struct st_cursor *c)
{
    while (is_blank(peek(c))) {
        skip_if(c, (uint8_t)peek(c));
    }
    while (st_cursor_left(c) > 0 && is_blank(c->end[-1])) {
        c->end--;
    }
}

static bool equals(const struct st_cursor *c, const char *s)
{
    size_t n = strlen(s);
    return st_cursor_left(c) == n && memcmp(c->pos, s, n) == 0;
}

static bool starts_with(const struct st_cursor *c, const char *s)
{
    size_t n = strlen(s);
    return st_cursor_left(c) >= n && memcmp(c->pos, s, n) == 0;
}

static bool contains(const struct st_cursor *c, uint8_t ch)
{
    return memchr(c->pos, ch, st_cursor_left(c)) != NULL;
}

/* Valid UTF-8 without C0 controls or DEL (no overlongs, surrogates or code points > U+10FFFF). */
static bool valid_text(struct st_cursor c)
{
    uint8_t b;
    while (st_cursor_u8(&c, &b) == 0) {
        if (b < 0x20 || b == 0x7f) {
            return false;
        }
        if (b < 0x80) {
            continue;
        }
        size_t more;
        uint32_t cp, min;
        if (b >= 0xc2 && b <= 0xdf) {
            more = 1, cp = b & 0x1f, min = 0x80;
        } else if (b >= 0xe0 && b <= 0xef) {
            more = 2, cp = b & 0x0f, min = 0x800;
        } else if (b >= 0xf0 && b <= 0xf4) {
            more = 3, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        for (size_t i = 0; i < more; i++) {
            uint8_t cb;
            if (st_cursor_u8(&c, &cb) < 0 || (cb & 0xc0) != 0x80) {
                return false;
            }
            cp = cp << 6 | (cb & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
    }
    return true;
}

static size_t skip_digits(struct st_cursor *c)
{
    size_t n = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
        skip_if(c, (uint8_t)peek(c));
        n++;
    }
    return n;
}

/*
 * A finite decimal number: [+-] digits [. digits] [e [+-] digits], digits on at least one side
 * of the point. No hex, inf, nan or blanks. Returns 0 or BAD(reason).
 */
static int parse_number(struct st_cursor c, double *ret)
{
    size_t len = st_cursor_left(&c);
    if (len > ST_STATSD_MAX_NUMBER_LEN) {
        return BAD(ST_STATSD_BAD_TOO_LONG);
    }
    char buf[ST_STATSD_MAX_NUMBER_LEN + 1];
    memcpy(buf, c.pos, len);
    buf[len] = '\0';
    if (!skip_if(&c, '+')) {
        skip_if(&c, '-');
    }
    size_t digits = skip_digits(&c);
    if (skip_if(&c, '.')) {
        digits += skip_digits(&c);
    }
    if (digits == 0) {
        return BAD(ST_STATSD_BAD_VALUE);
    }
    if (skip_if(&c, 'e') || skip_if(&c, 'E')) {
        if (!skip_if(&c, '+')) {
            skip_if(&c, '-');
        }
        if (skip_digits(&c) == 0) {
            return BAD(ST_STATSD_BAD_VALUE);
        }
    }
    if (st_cursor_left(&c) != 0) {
        return BAD(ST_STATSD_BAD_VALUE);
    }
    char *end;
    double v = strtod(buf, &end);
    /* end != buf + len only under a locale whose decimal point is not '.': refuse, never guess. */
    if (end != buf + len || !isfinite(v)) {
        return BAD(ST_STATSD_BAD_VALUE);
    }
    *ret = v;
    return 0;
}

/* Adds or replaces a tag; the key is unique in the list afterwards. */
static int put_tag(struct line *l, const struct st_cursor *key, const struct st_cursor *val)
{
    size_t key_len = st_cursor_left(key), val_len = st_cursor_left(val);
    if (key_len == 0 || val_len == 0) {
        return BAD(ST_STATSD_BAD_TAG);
    }
    if (key_len > ST_STATSD_MAX_TAG_KEY_LEN || val_len > ST_STATSD_MAX_TAG_VAL_LEN) {
        return BAD(ST_STATSD_BAD_TOO_LONG);
    }
    if (!valid_text(*key) || !valid_text(*val)) {
        return BAD(ST_STATSD_BAD_TAG);
    }
    struct st_statsd_tag t = {(const char *)key->pos, key_len, (const char *)val->pos, val_len};
    for (size_t i = 0; i < l->n_tags; i++) {
        if (l->tags[i].key_len == key_len && memcmp(l->tags[i].key, t.key, key_len) == 0) {
            l->tags[i] = t;
            return 0;
        }
    }
    if (l->n_tags == ST_STATSD_MAX_TAGS) {
        return BAD(ST_STATSD_BAD_TOO_MANY);
    }
    l->tags[l->n_tags++] = t;
    return 0;
}

/* telegraf's influx-style bucket tags: ",k=v" repeated, after the name. */
static int parse_bucket_tags(struct line *l, struct st_cursor *c)
{
    while (skip_if(c, ',')) {
        struct st_cursor item, key;
        take_until(c, ',', ',', &item);
        take_until(&item, '=', '=', &key);
        if (!skip_if(&item, '=')) {
            return BAD(ST_STATSD_BAD_TAG);
        }
        int r = put_tag(l, &key, &item);
        if (r) {
            return r;
        }
    }
    return 0;
}

/* DogStatsD tags: "k:v,k2,..." (the '#' already consumed); a key alone means "true". */
static int parse_dog_tags(struct line *l, struct st_cursor *c)
{
    struct st_cursor yes;
    st_cursor_init(&yes, (const uint8_t *)true_str, sizeof(true_str) - 1);
    while (st_cursor_left(c) > 0) {
        struct st_cursor item, key;
        take_until(c, ',', ',', &item);
        skip_if(c, ',');
        if (st_cursor_left(&item) == 0) {
            continue;
        }
        take_until(&item, ':', ':', &key);
        skip_if(&item, ':');
        int r = put_tag(l, &key, st_cursor_left(&item) > 0 ? &item : &yes);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int parse_type(const struct st_cursor *c, enum st_statsd_type *ret)
{
    static const struct {
        const char *s;
        enum st_statsd_type type;
    } types[] = {
        {"c", ST_STATSD_COUNTER},   {"g", ST_STATSD_GAUGE}, {"ms", ST_STATSD_TIMING},
        {"h", ST_STATSD_HISTOGRAM}, {"s", ST_STATSD_SET},   {"d", ST_STATSD_DISTRIBUTION},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (equals(c, types[i].s)) {
            *ret = types[i].type;
            return 0;
        }
    }
    return BAD(ST_STATSD_BAD_TYPE);
}

static int parse_value(struct sample *smp, const struct st_cursor *c)
{
    bool sign = peek(c) == '+' || peek(c) == '-';
    if (smp->type == ST_STATSD_SET) {
        if (sign) {
            return BAD(ST_STATSD_BAD_VALUE);
        }
        if (st_cursor_left(c) > ST_STATSD_MAX_SET_LEN) {
            return BAD(ST_STATSD_BAD_TOO_LONG);
        }
        if (!valid_text(*c)) {
            return BAD(ST_STATSD_BAD_ENCODING);
        }
        smp->member = *c;
        smp->value = 0;
        return 0;
    }
    if (sign && smp->type != ST_STATSD_GAUGE && smp->type != ST_STATSD_COUNTER) {
        return BAD(ST_STATSD_BAD_VALUE);
    }
    smp->relative = sign && smp->type == ST_STATSD_GAUGE;
    return parse_number(*c, &smp->value);
}

static bool all_digits(struct st_cursor c)
{
    return st_cursor_left(&c) > 0 && skip_digits(&c) > 0 && st_cursor_left(&c) == 0;
}

/* The |fields after a sample's type, up to the ':' of the next sample or the end. */
static int parse_fields(struct line *l, struct sample *smp, struct st_cursor *c)
{
    while (skip_if(c, '|')) {
        struct st_cursor field;
        if (skip_if(c, '#')) {
            /* Tags run to the next '|' or the end: their values may hold ':'. */
            take_until(c, '|', '|', &field);
            int r = parse_dog_tags(l, &field);
            if (r) {
                return r;
            }
        } else if (skip_if(c, '@')) {
            take_until(c, '|', ':', &field);
            if (smp->has_rate) {
                return BAD(ST_STATSD_BAD_FIELD);
            }
            if (parse_number(field, &smp->rate) != 0 || !(smp->rate > 0 && smp->rate <= 1)) {
                return BAD(ST_STATSD_BAD_RATE);
            }
            smp->has_rate = true;
        } else if (starts_with(c, "c:")) {
            /* DogStatsD 1.2 container id: accepted and ignored, as by the CloudWatch agent. */
            take_until(c, '|', '|', &field);
        } else if (skip_if(c, 'T')) {
            /* DogStatsD 1.3 timestamp: ignored, the aggregator stamps the interval. */
            take_until(c, '|', ':', &field);
            if (st_cursor_left(&field) > 20 || !all_digits(field)) {
                return BAD(ST_STATSD_BAD_FIELD);
            }
        } else {
            return BAD(ST_STATSD_BAD_FIELD);
        }
    }
    return 0;
}

static int parse_line(struct line *l, struct st_cursor *c)
{
    l->n_samples = 0;
    l->n_tags = 0;

    struct st_cursor bucket;
    take_until(c, ':', ':', &bucket);
    if (!skip_if(c, ':')) {
        return BAD(ST_STATSD_BAD_SYNTAX);
    }
    take_until(&bucket, ',', ',', &l->name);
    size_t name_len = st_cursor_left(&l->name);
    if (name_len == 0) {
        return BAD(ST_STATSD_BAD_SYNTAX);
    }
    if (name_len > ST_STATSD_MAX_NAME_LEN) {
        return BAD(ST_STATSD_BAD_TOO_LONG);
    }
    if (contains(&l->name, '|') || contains(&l->name, '#') || contains(&l->name, '@')) {
        return BAD(ST_STATSD_BAD_SYNTAX);
    }
    if (!valid_text(l->name)) {
        return BAD(ST_STATSD_BAD_ENCODING);
    }
    int r = parse_bucket_tags(l, &bucket);
    if (r) {
        return r;
    }

    for (;;) {
        if (l->n_samples == ST_STATSD_MAX_SAMPLES) {
            return BAD(ST_STATSD_BAD_TOO_MANY);
        }
        struct sample *smp = &l->samples[l->n_samples];
        *smp = (struct sample){.rate = 1};
        struct st_cursor value, type;
        take_until(c, '|', '|', &value);
        if (st_cursor_left(&value) == 0 || !skip_if(c, '|')) {
            return BAD(ST_STATSD_BAD_SYNTAX);
        }
        /* "a:1:2:3|c" (DogStatsD 1.1 multi-value) is not a format telegraf reads either. */
        if (contains(&value, ':')) {
            return BAD(ST_STATSD_BAD_SYNTAX);
        }
        take_until(c, '|', ':', &type);
        r = parse_type(&type, &smp->type);
        if (r) {
            return r;
        }
        r = parse_value(smp, &value);
        if (r) {
            return r;
        }
        r = parse_fields(l, smp, c);
        if (r) {
            return r;
        }
        l->n_samples++;
        if (st_cursor_left(c) == 0) {
            return 0;
        }
        /* parse_fields stops only at the end or at the ':' that starts the next sample. */
        skip_if(c, ':');
        if (st_cursor_left(c) == 0) {
            return BAD(ST_STATSD_BAD_SYNTAX);
        }
    }
}

static int deliver(const struct line *l, st_statsd_event_fn fn, void *data,
                   struct st_statsd_stats *stats)
{
    struct st_statsd_event ev;
    ev.name = (const char *)l->name.pos;
    ev.name_len = st_cursor_left(&l->name);
    ev.n_tags = l->n_tags;
    memcpy(ev.tags, l->tags, l->n_tags * sizeof(l->tags[0]));
    for (size_t i = 0; i < l->n_samples; i++) {
        const struct sample *smp = &l->samples[i];
        ev.type = smp->type;
        ev.value = smp->value;
        ev.relative = smp->relative;
        ev.sample_rate = smp->rate;
        ev.set_member = smp->type == ST_STATSD_SET ? (const char *)smp->member.pos : NULL;
        ev.set_member_len = smp->type == ST_STATSD_SET ? st_cursor_left(&smp->member) : 0;
        stats->events++;
        int r = fn(&ev, data);
        if (r) {
            return r;
        }
    }
    return 0;
}

int st_statsd_parse(const uint8_t *buf, size_t len, st_statsd_event_fn fn, void *data,
                    struct st_statsd_stats *stats)
{
    stats->datagrams++;
    if (len > ST_STATSD_MAX_DATAGRAM) {
        return -EMSGSIZE;
    }
    struct st_cursor c;
    st_cursor_init(&c, buf, len);
    struct line l;
    while (st_cursor_left(&c) > 0) {
        struct st_cursor line;
        take_until(&c, '\n', '\n', &line);
        skip_if(&c, '\n');
        trim(&line);
        if (st_cursor_left(&line) == 0) {
            continue;
        }
        stats->lines++;
        if (starts_with(&line, "_e{") || starts_with(&line, "_sc|")) {
            stats->ignored_lines++;
            continue;
        }
        int bad = parse_line(&l, &line);
        if (bad) {
            stats->bad_lines++;
            stats->bad[bad - 1]++;
            continue;
        }
        int r = deliver(&l, fn, data, stats);
        if (r) {
            return r;
        }
    }
    return 0;
}

/* Aggregator */

#define ZERO_KEY      (-1e9)              /* the bucket of 0, below every real bucket index */
#define LOG_FACTOR    0.09531017980432486 /* ln(1.1) */
#define INITIAL_SLOTS 8
#define MIN_BUCKETS   64

struct cell {
    double key; /* exact mode: the value; bucket mode: the bucket index, or ZERO_KEY */
    double weight;
};

struct dist {
    bool bucketed;
    struct cell *cells; /* ascending by key */
    size_t n, cap;
    double count, sum, min, max;
};

struct set {
    uint64_t *slots; /* open addressing; 0 is empty (hashes of 0 are stored as 1) */
    size_t n, cap;
};

struct entry {
    struct entry *next;
    uint64_t hash;
    enum st_statsd_type type;
    char *name;
    size_t name_len;
    struct st_statsd_tag *tags;
    size_t n_tags;
    union {
        double sum;   /* counter */
        double gauge; /* gauge */
        struct set set;
        struct dist dist;
    } u;
};

struct st_statsd_agg {
    size_t max_keys, max_cells;
    char sep[ST_STATSD_AGG_MAX_SEPARATOR + 1];
    size_t sep_len;
    bool keep_gauges;
    struct entry **buckets;
    size_t n_buckets; /* a power of two */
    size_t cells;     /* set members and distribution cells held */
    struct st_statsd_agg_stats stats;
};

/* The key of an event being added: name with the separator applied, tags sorted by key. */
struct key {
    enum st_statsd_type type;
    char name[ST_STATSD_MAX_NAME_LEN + 1];
    size_t name_len;
    const struct st_statsd_tag *tags[ST_STATSD_MAX_TAGS];
    size_t n_tags;
    uint64_t hash;
};

int st_statsd_agg_new(const struct st_statsd_agg_config *cfg, struct st_statsd_agg **ret_agg)
{
    const char *sep = cfg && cfg->metric_separator ? cfg->metric_separator : "_";
    if (strlen(sep) > ST_STATSD_AGG_MAX_SEPARATOR) {
        return -EINVAL;
    }
    struct st_statsd_agg *agg = st_calloc(1, sizeof(*agg));
    if (!agg) {
        return -ENOMEM;
    }
    agg->max_keys = cfg && cfg->max_keys ? cfg->max_keys : ST_STATSD_AGG_DEFAULT_KEYS;
    agg->max_cells = cfg && cfg->max_cells ? cfg->max_cells : ST_STATSD_AGG_DEFAULT_CELLS;
    agg->keep_gauges = cfg && cfg->keep_gauges;
    agg->sep_len = strlen(sep);
    memcpy(agg->sep, sep, agg->sep_len + 1);
    agg->n_buckets = MIN_BUCKETS;
    agg->buckets = st_calloc(agg->n_buckets, sizeof(*agg->buckets));
    if (!agg->buckets) {
        st_statsd_agg_free(agg);
        return -ENOMEM;
    }
    *ret_agg = agg;
    return 0;
}

static void entry_free(struct st_statsd_agg *agg, struct entry *e)
{
    if (e->type == ST_STATSD_SET) {
        agg->cells -= e->u.set.n;
        st_free(e->u.set.slots);
    } else if (e->type == ST_STATSD_TIMING || e->type == ST_STATSD_HISTOGRAM) {
        agg->cells -= e->u.dist.n;
        st_free(e->u.dist.cells);
    }
    st_free(e);
}

void st_statsd_agg_free(struct st_statsd_agg *agg)
{
    if (!agg) {
        return;
    }
    for (size_t i = 0; agg->buckets && i < agg->n_buckets; i++) {
        struct entry *e = agg->buckets[i];
        while (e) {
            struct entry *next = e->next;
            entry_free(agg, e);
            e = next;
        }
    }
    st_free(agg->buckets);
    st_free(agg);
}

void st_statsd_agg_get_stats(const struct st_statsd_agg *agg, struct st_statsd_agg_stats *ret)
{
    *ret = agg->stats;
}

static int tag_cmp(const struct st_statsd_tag *a, const struct st_statsd_tag *b)
{
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c) {
        return c;
    }
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    /* Mix in the length so that ("ab", "c") and ("a", "bc") differ. */
    return XXH3_64bits_withSeed(p, n, seed ^ (n * 0x9e3779b97f4a7c15u));
}

/* Fills k from ev. Returns 0 or -EINVAL. */
static int make_key(const struct st_statsd_agg *agg, const struct st_statsd_event *ev,
                    struct key *k)
{
    if (ev->name_len == 0 || ev->n_tags > ST_STATSD_MAX_TAGS) {
        return -EINVAL;
    }
    k->type = ev->type;
    size_t n = 0;
    for (size_t i = 0; i < ev->name_len; i++) {
        const char *add = ev->name[i] == '.' ? agg->sep : &ev->name[i];
        size_t add_len = ev->name[i] == '.' ? agg->sep_len : 1;
        if (n + add_len > ST_STATSD_MAX_NAME_LEN) {
            return -EINVAL;
        }
        memcpy(k->name + n, add, add_len);
        n += add_len;
    }
    if (n == 0) {
        return -EINVAL;
    }
    k->name[n] = '\0';
    k->name_len = n;
    /* Insertion sort of pointers (n <= 28); the type is reported apart, so drop metric_type. */
    k->n_tags = 0;
    for (size_t i = 0; i < ev->n_tags; i++) {
        const struct st_statsd_tag *t = &ev->tags[i];
        if (t->key_len == 0 || t->value_len == 0) {
            return -EINVAL;
        }
        if (t->key_len == 11 && memcmp(t->key, "metric_type", 11) == 0) {
            continue;
        }
        size_t j = k->n_tags;
        while (j > 0 && tag_cmp(k->tags[j - 1], t) > 0) {
            k->tags[j] = k->tags[j - 1];
            j--;
        }
        if (j > 0 && tag_cmp(k->tags[j - 1], t) == 0) {
            return -EINVAL;
        }
        k->tags[j] = t;
        k->n_tags++;
    }
    uint64_t h = hash_bytes(k->name, k->name_len, (uint64_t)k->type + 1);
    for (size_t i = 0; i < k->n_tags; i++) {
        h = hash_bytes(k->tags[i]->key, k->tags[i]->key_len, h);
        h = hash_bytes(k->tags[i]->value, k->tags[i]->value_len, ~h);
    }
    k->hash = h;
    return 0;
}

static bool key_equal(const struct entry *e, const struct key *k)
{
    if (e->hash != k->hash || e->type != k->type || e->name_len != k->name_len ||
        e->n_tags != k->n_tags || memcmp(e->name, k->name, k->name_len) != 0) {
        return false;
    }
    for (size_t i = 0; i < k->n_tags; i++) {
        const struct st_statsd_tag *a = &e->tags[i], *b = k->tags[i];
        if (a->key_len != b->key_len || a->value_len != b->value_len ||
            memcmp(a->key, b->key, a->key_len) != 0 ||
            memcmp(a->value, b->value, a->value_len) != 0) {
            return false;
        }
    }
    return true;
}

static struct entry *lookup(const struct st_statsd_agg *agg, const struct key *k)
{
    for (struct entry *e = agg->buckets[k->hash & (agg->n_buckets - 1)]; e; e = e->next) {
        if (key_equal(e, k)) {
            return e;
        }
    }
    return NULL;
}

static size_t n_keys(const struct st_statsd_agg *agg)
{
    return (size_t)agg->stats.keys;
}

/* Doubles the table when it is fuller than one entry per bucket; failure just keeps it. */
static void maybe_grow(struct st_statsd_agg *agg)
{
    if (n_keys(agg) < agg->n_buckets) {
        return;
    }
    size_t n = agg->n_buckets * 2;
    struct entry **b = st_calloc(n, sizeof(*b));
    if (!b) {
        return;
    }
    for (size_t i = 0; i < agg->n_buckets; i++) {
        struct entry *e = agg->buckets[i];
        while (e) {
            struct entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    st_free(agg->buckets);
    agg->buckets = b;
    agg->n_buckets = n;
}

/* One allocation: the entry, its tag array, then the name and tag strings, NUL-terminated. */
static struct entry *entry_new(const struct key *k)
{
    size_t size = sizeof(struct entry) + k->n_tags * sizeof(struct st_statsd_tag) + k->name_len + 1;
    for (size_t i = 0; i < k->n_tags; i++) {
        size += k->tags[i]->key_len + 1 + k->tags[i]->value_len + 1;
    }
    struct entry *e = st_calloc(1, size);
    if (!e) {
        return NULL;
    }
    e->hash = k->hash;
    e->type = k->type;
    e->tags = (struct st_statsd_tag *)(e + 1);
    e->n_tags = k->n_tags;
    char *p = (char *)(e->tags + k->n_tags);
    e->name = p;
    e->name_len = k->name_len;
    memcpy(p, k->name, k->name_len + 1);
    p += k->name_len + 1;
    for (size_t i = 0; i < k->n_tags; i++) {
        const struct st_statsd_tag *t = k->tags[i];
        memcpy(p, t->key, t->key_len);
        p[t->key_len] = '\0';
        e->tags[i].key = p;
        e->tags[i].key_len = t->key_len;
        p += t->key_len + 1;
        memcpy(p, t->value, t->value_len);
        p[t->value_len] = '\0';
        e->tags[i].value = p;
        e->tags[i].value_len = t->value_len;
        p += t->value_len + 1;
    }
    return e;
}

static void link_entry(struct st_statsd_agg *agg, struct entry *e)
{
    size_t b = e->hash & (agg->n_buckets - 1);
    e->next = agg->buckets[b];
    agg->buckets[b] = e;
    agg->stats.keys++;
}

static void unlink_entry(struct st_statsd_agg *agg, struct entry *e)
{
    struct entry **pp = &agg->buckets[e->hash & (agg->n_buckets - 1)];
    while (*pp != e) {
        pp = &(*pp)->next;
    }
    *pp = e->next;
    agg->stats.keys--;
}

static bool cell_available(const struct st_statsd_agg *agg)
{
    return agg->cells < agg->max_cells;
}

/* Sets */

/* Returns 1 if added, 0 if already there, -ENOSPC or -ENOMEM (nothing changed). */
static int set_add(struct st_statsd_agg *agg, struct set *s, uint64_t h)
{
    h = h ? h : 1;
    /* The table is at most half full, so a probe always ends at an empty slot. */
    for (size_t j = h & (s->cap - 1); s->cap && s->slots[j]; j = (j + 1) & (s->cap - 1)) {
        if (s->slots[j] == h) {
            return 0;
        }
    }
    if (!cell_available(agg)) {
        return -ENOSPC;
    }
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : INITIAL_SLOTS;
        uint64_t *slots = st_calloc(cap, sizeof(*slots));
        if (!slots) {
            return -ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i]) {
                size_t j = s->slots[i] & (cap - 1);
                while (slots[j]) {
                    j = (j + 1) & (cap - 1);
                }
                slots[j] = s->slots[i];
            }
        }
        st_free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t j = h & (s->cap - 1);
    while (s->slots[j]) {
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = h;
    s->n++;
    agg->cells++;
    return 1;
}

/* Distributions */

static double bucket_of(double v)
{
    if (v == 0) {
        return ZERO_KEY;
    }
    return floor(log(v) / LOG_FACTOR);
}

static double bucket_value(const struct dist *d, double key)
{
    if (key == ZERO_KEY) {
        return 0;
    }
    double v = exp((key + 0.5) * LOG_FACTOR);
    /* Every value of the bucket lies in [min, max], so clamping only brings it closer. */
    return v < d->min ? d->min : v > d->max ? d->max : v;
}

/* Index of the first cell with key >= the key. */
static size_t find_cell(const struct dist *d, double key)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cells[mid].key < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Moves the exact values into buckets. Returns 0 or -ENOMEM (nothing changed). */
static int dist_to_buckets(struct st_statsd_agg *agg, struct dist *d)
{
    struct cell *cells = st_malloc(d->cap * sizeof(*cells));
    if (!cells) {
        return -ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        double key = bucket_of(d->cells[i].key);
        if (n > 0 && cells[n - 1].key == key) {
            cells[n - 1].weight += d->cells[i].weight;
        } else {
            cells[n++] = (struct cell){key, d->cells[i].weight};
        }
    }
    st_free(d->cells);
    agg->cells -= d->n - n;
    d->cells = cells;
    d->n = n;
    d->bucketed = true;
    return 0;
}

/*
 * Adds v with weight w. Returns 0, -EINVAL (the totals would overflow), -ENOSPC or -ENOMEM; on
 * error the value is not added, though the distribution may have moved to buckets (the same data,
 * at bucket resolution).
 */
static int dist_add(struct st_statsd_agg *agg, struct dist *d, double v, double w)
{
    if (!isfinite(w) || !isfinite(d->count + w) || !isfinite(d->sum + v * w)) {
        return -EINVAL;
    }
    double key = d->bucketed ? bucket_of(v) : v;
    size_t i = find_cell(d, key);
    if (i == d->n || d->cells[i].key != key) {
        if (!d->bucketed && d->n == ST_STATSD_AGG_MAX_VALUES) {
            int r = dist_to_buckets(agg, d);
            if (r < 0) {
                return r;
            }
            return dist_add(agg, d, v, w);
        }
        if (!cell_available(agg)) {
            return -ENOSPC;
        }
        if (d->n == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : INITIAL_SLOTS;
            struct cell *cells = st_realloc(d->cells, cap * sizeof(*cells));
            if (!cells) {
                return -ENOMEM;
            }
            d->cells = cells;
            d->cap = cap;
        }
        memmove(&d->cells[i + 1], &d->cells[i], (d->n - i) * sizeof(*d->cells));
        d->cells[i] = (struct cell){key, 0};
        d->n++;
        agg->cells++;
    }
    bool first = d->count == 0;
    d->cells[i].weight += w;
    d->count += w;
    d->sum += v * w;
    d->min = first ? v : fmin(d->min, v);
    d->max = first ? v : fmax(d->max, v);
    return 0;
}

/* Checks the event's value for its type; returns 0 or -EINVAL. */
static int check_value(const struct st_statsd_event *ev)
{
    if (!(ev->sample_rate > 0 && ev->sample_rate <= 1)) {
        return -EINVAL;
    }
    switch (ev->type) {
    case ST_STATSD_SET:
        return ev->set_member || ev->set_member_len == 0 ? 0 : -EINVAL;
    case ST_STATSD_TIMING:
    case ST_STATSD_HISTOGRAM:
        return isfinite(ev->value) && ev->value >= 0 && ev->value <= 0x1p360 ? 0 : -EINVAL;
    default:
        return isfinite(ev->value) ? 0 : -EINVAL;
    }
}

/* Applies ev to e. Returns 0, -EINVAL (overflow), -ENOSPC or -ENOMEM; nothing changed on error. */
static int apply(struct st_statsd_agg *agg, struct entry *e, const struct st_statsd_event *ev,
                 bool fresh)
{
    double v;
    switch (e->type) {
    case ST_STATSD_COUNTER:
        v = e->u.sum + ev->value / ev->sample_rate;
        if (!isfinite(v)) {
            return -EINVAL;
        }
        e->u.sum = v;
        return 0;
    case ST_STATSD_GAUGE:
        v = ev->relative && !fresh ? e->u.gauge + ev->value : ev->value;
        if (!isfinite(v)) {
            return -EINVAL;
        }
        e->u.gauge = v;
        return 0;
    case ST_STATSD_SET: {
        uint64_t h = XXH3_64bits(ev->set_member, ev->set_member_len);
        int r = set_add(agg, &e->u.set, h);
        return r < 0 ? r : 0;
    }
    case ST_STATSD_TIMING:
    case ST_STATSD_HISTOGRAM:
        v = ev->value < 0x1p-360 ? 0 : ev->value;
        return dist_add(agg, &e->u.dist, v, 1 / ev->sample_rate);
    case ST_STATSD_DISTRIBUTION:
        break;
    }
    return -EINVAL;
}

static int count_error(struct st_statsd_agg *agg, int r)
{
    if (r == -EINVAL) {
        agg->stats.invalid++;
    } else if (r == -ENOSPC) {
        agg->stats.cells_dropped++;
    }
    return r;
}

int st_statsd_agg_add(struct st_statsd_agg *agg, const struct st_statsd_event *ev)
{
    if (ev->type == ST_STATSD_DISTRIBUTION) {
        agg->stats.unsupported++;
        return -EOPNOTSUPP;
    }
    if (check_value(ev) < 0) {
        return count_error(agg, -EINVAL);
    }
    struct key k;
    if (make_key(agg, ev, &k) < 0) {
        return count_error(agg, -EINVAL);
    }
    struct entry *e = lookup(agg, &k);
    if (e) {
        int r = apply(agg, e, ev, false);
        if (r < 0) {
            return count_error(agg, r);
        }
        agg->stats.events++;
        return 0;
    }
    if (n_keys(agg) >= agg->max_keys) {
        agg->stats.keys_dropped++;
        return -ENOSPC;
    }
    if ((k.type == ST_STATSD_SET || k.type == ST_STATSD_TIMING || k.type == ST_STATSD_HISTOGRAM) &&
        !cell_available(agg)) {
        return count_error(agg, -ENOSPC);
    }
    e = entry_new(&k);
    if (!e) {
        return -ENOMEM;
    }
    int r = apply(agg, e, ev, true);
    if (r < 0) {
        entry_free(agg, e);
        return count_error(agg, r);
    }
    maybe_grow(agg);
    link_entry(agg, e);
    agg->stats.events++;
    return 0;
}

int st_statsd_agg_add_fn(const struct st_statsd_event *ev, void *data)
{
    struct st_statsd_agg *agg = data;
    if (st_statsd_agg_add(agg, ev) == -ENOMEM) {
        agg->stats.nomem++;
    }
    return 0;
}

/* Reports a distribution in chunks of at most ST_STATSD_AGG_MAX_VALUES values. */
static int flush_dist(const struct entry *e, const struct st_statsd_metric *base,
                      st_statsd_metric_fn fn, void *data)
{
    const struct dist *d = &e->u.dist;
    double values[ST_STATSD_AGG_MAX_VALUES], counts[ST_STATSD_AGG_MAX_VALUES];
    struct st_statsd_metric chunk = *base;
    struct st_statsd_metric *m = &chunk;
    m->values = values;
    m->counts = counts;
    for (size_t start = 0; start < d->n; start += ST_STATSD_AGG_MAX_VALUES) {
        size_t n = d->n - start;
        n = n > ST_STATSD_AGG_MAX_VALUES ? ST_STATSD_AGG_MAX_VALUES : n;
        double count = 0, sum = 0;
        for (size_t i = 0; i < n; i++) {
            const struct cell *c = &d->cells[start + i];
            values[i] = d->bucketed ? bucket_value(d, c->key) : c->key;
            counts[i] = c->weight;
            count += c->weight;
            sum += values[i] * c->weight;
        }
        m->n_values = n;
        if (n == d->n) {
            m->count = d->count, m->sum = d->sum, m->min = d->min, m->max = d->max;
        } else {
            m->count = count;
            m->sum = sum;
            m->min = start == 0 ? d->min : values[0];
            m->max = start + n == d->n ? d->max : values[n - 1];
        }
        int r = fn(m, data);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int flush_entry(const struct entry *e, st_statsd_metric_fn fn, void *data)
{
    struct st_statsd_metric m = {
        .name = e->name,
        .type = e->type,
        .metric_type = st_statsd_type_name(e->type),
        .tags = e->tags,
        .n_tags = e->n_tags,
    };
    switch (e->type) {
    case ST_STATSD_COUNTER:
        m.value = e->u.sum;
        break;
    case ST_STATSD_GAUGE:
        m.value = e->u.gauge;
        break;
    case ST_STATSD_SET:
        m.value = (double)e->u.set.n;
        break;
    case ST_STATSD_TIMING:
    case ST_STATSD_HISTOGRAM:
        return flush_dist(e, &m, fn, data);
    case ST_STATSD_DISTRIBUTION:
        return 0;
    }
    return fn(&m, data);
}

int st_statsd_agg_flush(struct st_statsd_agg *agg, st_statsd_metric_fn fn, void *data)
{
    for (size_t i = 0; i < agg->n_buckets; i++) {
        struct entry *e = agg->buckets[i];
        while (e) {
            struct entry *next = e->next;
            int r = flush_entry(e, fn, data);
            if (r) {
                return r;
            }
            if (!(e->type == ST_STATSD_GAUGE && agg->keep_gauges)) {
                unlink_entry(agg, e);
                entry_free(agg, e);
            }
            e = next;
        }
    }
    return 0;
}
