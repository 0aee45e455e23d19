/* SPDX-License-Identifier: MIT */
/*
 * The quantile sketch of sketch.h: DDSketch logarithmic bins with gamma = (1 + a) / (1 - a).
 * A magnitude m in [DBL_MIN, DBL_MAX] has the bin index k = ceil(log(m) / log(gamma)), in
 * [-35418, 35488], and the representative value 2 * gamma^k / (gamma + 1), which is within
 * relative error a of every magnitude in the bin (gamma^(k-1), gamma^k]. Values with
 * |v| < DBL_MIN (zero and the subnormals) count as zero (zero_count): below DBL_MIN a double no
 * longer has the precision to hold a representative to within a, so there the error is absolute
 * and less than DBL_MIN instead.
 *
 * All bins live in the one `bins` array, sorted by key, and key order is value order: a positive
 * value stores KEY_OFFSET + k and a negative one -(KEY_OFFSET + k), so negative keys are the
 * negative values (the more negative, the bigger the magnitude) and zero (zero_count) sits in the
 * gap between them. At most ST_SKETCH_MAX_BINS bins are held: the top MAX - 1 distinct keys ever
 * added keep their own counts and the MAX-th highest holds the weight of everything at or below
 * it. Adding and merging both keep exactly that shape, so the result depends only on the multiset
 * of values added, never on the order of adds and merges (with integer weights the counts are
 * exact too; non-integer weights may differ in the last bits through summation order).
 *
 * The guarantee, then: for q whose nearest rank r = ceil(q * n) lies above the lowest bin's
 * cumulative weight (anywhere, while nothing has collapsed), the answer is within a * |x_r| of
 * the r-th smallest value x_r, plus about 1e-13 relative from rounding in log and exp at bin
 * edges, or is 0 when |x_r| < DBL_MIN. Weight only ever collapses upwards, so below that rank
 * answers can be too high but never too low by more than a. Zero is not a bin and never
 * collapses; once negative weight has collapsed into a positive lowest bin, ranks up to and
 * including that bin (zero's among them) are approximate.
 *
 * Encoding, version 1: u8 version; varint n_bins; count zero_count; then n_bins times (key,
 * count), where the first key is a zigzag varint and each later one a varint delta >= 1 from the
 * one before (so keys can only ascend; a 0 delta is a duplicate and rejected). A count is a varint
 * t: even t is the integer t / 2 (at most 2^53), t == 1 is followed by the count as a
 * little-endian IEEE double, and other odd t are invalid. The total count is not stored: decode
 * sums it.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/sketch.h"

#define SKETCH_VERSION 1
/* Larger than every |k| (at most 35488), so positive keys stay > 0 and negative ones < 0. */
#define KEY_OFFSET 65536
/* Integer counts up to here are exact in a double and encode as varints. */
#define MAX_INT_COUNT 9007199254740992.0 /* 2^53 */
#define GAMMA         ((1.0 + ST_SKETCH_ALPHA) / (1.0 - ST_SKETCH_ALPHA))

/* log(gamma): the compiler folds it when optimising. */
static double log_gamma(void)
{
    return log(GAMMA);
}

/* Bin index of a magnitude in [DBL_MIN, DBL_MAX]. */
static int32_t magnitude_index(double m)
{
    return (int32_t)ceil(log(m) / log_gamma());
}

static int32_t key_of(double v)
{
    if (v > 0) {
        return KEY_OFFSET + magnitude_index(v);
    }
    return -(KEY_OFFSET + magnitude_index(-v));
}

/* Whether an (untrusted) key is one that st_sketch_add can produce. */
static bool key_valid(int64_t key)
{
    /* Bound first: negating INT64_MIN (a zigzag varint of 2^64 - 1) would overflow. */
    if (key < -INT32_MAX || key > INT32_MAX) {
        return false;
    }
    int64_t k = (key < 0 ? -key : key) - KEY_OFFSET;
    return k >= magnitude_index(DBL_MIN) && k <= magnitude_index(DBL_MAX);
}

static double value_of(int32_t key)
{
    int32_t k = (key < 0 ? -key : key) - KEY_OFFSET;
    /* exp of the sum, not gamma^k * 2 / (gamma + 1): gamma^k alone can overflow for the top
     * bin. For a = 0.01 the top representative (1.78e308) is finite; with another a it could
     * exceed DBL_MAX, which is then closer to every value in the bin. */
    double m = exp(k * log_gamma() + log(2.0 / (GAMMA + 1.0)));
    if (m > DBL_MAX) {
        m = DBL_MAX;
    }
    return key < 0 ? -m : m;
}

void st_sketch_init(st_sketch_t *s)
{
    memset(s, 0, sizeof(*s));
}

void st_sketch_fini(st_sketch_t *s)
{
    st_free(s->bins);
    st_sketch_init(s);
}

void st_sketch_reset(st_sketch_t *s)
{
    s->n_bins = 0;
    s->count = 0;
    s->zero_count = 0;
}

/*
 * Index of the first bin with key >= `key`. Branch-free halving (the ternary becomes a
 * conditional move): keys of real data arrive in no order, so a branchy search mispredicts
 * about half its steps.
 */
static uint32_t lower_bound(const st_sketch_t *s, int32_t key)
{
    uint32_t n = s->n_bins;
    if (n == 0) {
        return 0;
    }
    const struct st_sketch_bin *base = s->bins;
    while (n > 1) {
        uint32_t half = n / 2;
        base = base[half].key < key ? base + half : base;
        n -= half;
    }
    return (uint32_t)(base - s->bins) + (base->key < key);
}

/* Makes room for at least `want` bins (want <= ST_SKETCH_MAX_BINS); on failure changes nothing. */
static int reserve(st_sketch_t *s, uint32_t want)
{
    if (want <= s->cap_bins) {
        return 0;
    }
    uint32_t cap = s->cap_bins ? s->cap_bins : 8;
    while (cap < want) {
        cap *= 2;
    }
    if (cap > ST_SKETCH_MAX_BINS) {
        cap = ST_SKETCH_MAX_BINS;
    }
    struct st_sketch_bin *bins = st_realloc(s->bins, (size_t)cap * sizeof(*bins));
    if (!bins) {
        return -ENOMEM;
    }
    s->bins = bins;
    s->cap_bins = cap;
    return 0;
}

int st_sketch_add(st_sketch_t *s, double value, double count)
{
    if (!isfinite(value) || !isfinite(count) || !(count > 0)) {
        return -EINVAL;
    }
    /* Every bin count is at most the total, so a finite total keeps them all finite. */
    if (!isfinite(s->count + count)) {
        return -ERANGE;
    }
    if (fabs(value) < DBL_MIN) {
        s->zero_count += count;
        s->count += count;
        return 0;
    }

    int32_t key = key_of(value);
    uint32_t i = lower_bound(s, key);
    if (i < s->n_bins && s->bins[i].key == key) {
        s->bins[i].count += count;
        s->count += count;
        return 0;
    }

    if (s->n_bins < ST_SKETCH_MAX_BINS) {
        int r = reserve(s, s->n_bins + 1);
        if (r < 0) {
            return r;
        }
        memmove(&s->bins[i + 1], &s->bins[i], (s->n_bins - i) * sizeof(s->bins[0]));
        s->bins[i] = (struct st_sketch_bin){.key = key, .count = count};
        s->n_bins++;
    } else if (i == 0) {
        /* Below the lowest bin of a full sketch: collapse into it. */
        s->bins[0].count += count;
    } else if (i == 1) {
        /* Between the two lowest: the new key becomes the lowest and takes bins[0]'s weight. */
        s->bins[0] = (struct st_sketch_bin){.key = key, .count = count + s->bins[0].count};
    } else {
        /* The new key pushes bins[0] out: fold it into bins[1] and shift down to make room. */
        s->bins[1].count += s->bins[0].count;
        memmove(&s->bins[0], &s->bins[1], (i - 1) * sizeof(s->bins[0]));
        s->bins[i - 1] = (struct st_sketch_bin){.key = key, .count = count};
    }
    s->count += count;
    return 0;
}

/* Number of distinct keys in the union of the two sorted bin arrays. */
static uint32_t union_size(const st_sketch_t *a, const st_sketch_t *b)
{
    uint32_t i = 0, j = 0, n = 0;
    while (i < a->n_bins && j < b->n_bins) {
        int32_t ka = a->bins[i].key, kb = b->bins[j].key;
        i += ka <= kb;
        j += kb <= ka;
        n++;
    }
    return n + (a->n_bins - i) + (b->n_bins - j);
}

/* The n-th highest key of the union of the two bin arrays (1 <= n <= the union's size). */
static int32_t union_nth_highest(const st_sketch_t *a, const st_sketch_t *b, uint32_t n)
{
    uint32_t i = a->n_bins, j = b->n_bins;
    int32_t key = 0;
    for (uint32_t seen = 0; seen < n; seen++) {
        int32_t ka = i > 0 ? a->bins[i - 1].key : INT32_MIN;
        int32_t kb = j > 0 ? b->bins[j - 1].key : INT32_MIN;
        key = ka > kb ? ka : kb;
        i -= i > 0 && ka == key;
        j -= j > 0 && kb == key;
    }
    return key;
}

/*
 * Merges d[dlo, dhi) and s[slo, shi), both sorted, adding the counts of equal keys, into
 * d[out_end - union, out_end), from the highest key down. This is safe in place as long as the
 * output ends at or after the union's size past dlo: each write then lands on a bin already read
 * or beyond every unread one.
 */
static void merge_down(struct st_sketch_bin *d, uint32_t dlo, uint32_t dhi,
                       const struct st_sketch_bin *s, uint32_t slo, uint32_t shi, uint32_t out_end)
{
    uint32_t o = out_end;
    while (dhi > dlo || shi > slo) {
        struct st_sketch_bin b;
        if (shi == slo || (dhi > dlo && d[dhi - 1].key > s[shi - 1].key)) {
            b = d[--dhi];
        } else if (dhi == dlo || s[shi - 1].key > d[dhi - 1].key) {
            b = s[--shi];
        } else {
            b = d[--dhi];
            b.count += s[--shi].count;
        }
        d[--o] = b;
    }
}

int st_sketch_merge(st_sketch_t *dst, const st_sketch_t *src)
{
    if (!isfinite(dst->count + src->count)) {
        return -ERANGE;
    }
    if (dst == src) {
        for (uint32_t i = 0; i < dst->n_bins; i++) {
            dst->bins[i].count *= 2;
        }
        dst->zero_count *= 2;
        dst->count *= 2;
        return 0;
    }

    uint32_t u = union_size(dst, src);
    uint32_t n = u < ST_SKETCH_MAX_BINS ? u : ST_SKETCH_MAX_BINS;
    int r = reserve(dst, n);
    if (r < 0) {
        return r;
    }

    /* Nothing fails from here on. */
    if (u <= n) {
        merge_down(dst->bins, 0, dst->n_bins, src->bins, 0, src->n_bins, n);
    } else {
        /*
         * Collapse as adding one by one would: the n - 1 highest keys of the union keep their
         * own counts and the n-th highest (the cut) takes all the weight at or below it. dst
         * first becomes [cut bin, dst's bins above the cut]; then the bins above the cut, of
         * which there are exactly n - 1, merge into bins[1, n).
         */
        int32_t cut = union_nth_highest(dst, src, n);
        double low = 0;
        uint32_t dlow = 0, slow = 0;
        for (; dlow < dst->n_bins && dst->bins[dlow].key <= cut; dlow++) {
            low += dst->bins[dlow].count;
        }
        for (; slow < src->n_bins && src->bins[slow].key <= cut; slow++) {
            low += src->bins[slow].count;
        }
        uint32_t dhigh = dst->n_bins - dlow;
        /* When dlow == 0 this shifts up by one; dst then has at most n - 1 bins, so it fits. */
        memmove(&dst->bins[1], &dst->bins[dlow], dhigh * sizeof(dst->bins[0]));
        dst->bins[0] = (struct st_sketch_bin){.key = cut, .count = low};
        merge_down(dst->bins, 1, 1 + dhigh, src->bins, slow, src->n_bins, n);
    }
    dst->n_bins = n;
    dst->zero_count += src->zero_count;
    dst->count += src->count;
    return 0;
}

double st_sketch_count(const st_sketch_t *s)
{
    return s->count;
}

int st_sketch_quantile(const st_sketch_t *s, double q, double *ret_value)
{
    if (!(q >= 0 && q <= 1)) {
        return -EINVAL;
    }
    if (!(s->count > 0)) {
        return -ENODATA;
    }
    /* Nearest rank: the first value whose cumulative weight reaches q * n. Zero sits between
     * the negative and the positive keys. */
    double rank = q * s->count;
    double cum = 0;
    bool zero_seen = s->zero_count <= 0;
    for (uint32_t i = 0; i < s->n_bins; i++) {
        if (!zero_seen && s->bins[i].key > 0) {
            zero_seen = true;
            cum += s->zero_count;
            if (cum >= rank) {
                *ret_value = 0;
                return 0;
            }
        }
        cum += s->bins[i].count;
        if (cum >= rank) {
            *ret_value = value_of(s->bins[i].key);
            return 0;
        }
    }
    /* Reached when zero is the highest value, or when rounding left cum just short of
     * q * count for q near 1 (count summed in add order, cum in key order): the answer is then
     * the maximum. */
    if (s->n_bins > 0 && (s->bins[s->n_bins - 1].key > 0 || s->zero_count <= 0)) {
        *ret_value = value_of(s->bins[s->n_bins - 1].key);
    } else {
        *ret_value = 0;
    }
    return 0;
}

/* Writes a count (finite, >= 0) into buf, which has room for 9 bytes; returns the bytes used. */
static size_t put_count(uint8_t *buf, double c)
{
    if (c == floor(c) && c <= MAX_INT_COUNT) {
        return st_put_varint(buf, (uint64_t)c * 2);
    }
    size_t n = st_put_varint(buf, 1);
    return n + st_put_double(buf + n, c);
}

static uint64_t zigzag(int32_t v)
{
    return v < 0 ? (uint64_t)(-(int64_t)v - 1) * 2 + 1 : (uint64_t)v * 2;
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Writes into buf, or only counts the bytes when buf is NULL. */
struct writer {
    uint8_t *buf;
    size_t n;
    uint8_t scratch[16];
};

static uint8_t *writer_at(struct writer *w)
{
    return w->buf ? w->buf + w->n : w->scratch;
}

/* Encodes into buf (which has room for all of it), or only measures when buf is NULL. */
static size_t encode(const st_sketch_t *s, uint8_t *buf)
{
    struct writer w = {.buf = buf};
    *writer_at(&w) = SKETCH_VERSION;
    w.n++;
    w.n += st_put_varint(writer_at(&w), s->n_bins);
    w.n += put_count(writer_at(&w), s->zero_count);
    for (uint32_t i = 0; i < s->n_bins; i++) {
        int32_t key = s->bins[i].key;
        if (i == 0) {
            w.n += st_put_varint(writer_at(&w), zigzag(key));
        } else {
            w.n += st_put_varint(writer_at(&w), (uint64_t)((int64_t)key - s->bins[i - 1].key));
        }
        w.n += put_count(writer_at(&w), s->bins[i].count);
    }
    return w.n;
}

size_t st_sketch_encoded_size(const st_sketch_t *s)
{
    return encode(s, NULL);
}

int st_sketch_encode(const st_sketch_t *s, uint8_t *buf, size_t len, size_t *ret_len)
{
    size_t n = encode(s, NULL);
    if (n > len) {
        return -ENOBUFS;
    }
    encode(s, buf);
    *ret_len = n;
    return 0;
}

/*
 * st_cursor_double, but checking both halves: GCC 12 at -O2 warns (-Wmaybe-uninitialized) in
 * st_cursor_le64, which ignores st_cursor_le32's result, wherever it is inlined.
 */
static int read_double(struct st_cursor *c, double *ret)
{
    uint32_t lo, hi;
    if (st_cursor_left(c) < 8 || st_cursor_le32(c, &lo) < 0 || st_cursor_le32(c, &hi) < 0) {
        return -EBADMSG;
    }
    uint64_t u = (uint64_t)hi << 32 | lo;
    memcpy(ret, &u, sizeof(*ret));
    return 0;
}

/*
 * st_cursor_varint with the one-byte case inline: nearly every key delta and count of real
 * data is under 128 (a count of up to 63), and decoding a query's sketches is mostly this.
 */
static inline int read_varint(struct st_cursor *c, uint64_t *ret)
{
    if (c->pos < c->end && *c->pos < 0x80) {
        *ret = *c->pos++;
        return 0;
    }
    return st_cursor_varint(c, ret);
}

/* Reads a count; `allow_zero` is for zero_count, which may be 0. */
static inline int read_count(struct st_cursor *c, bool allow_zero, double *ret)
{
    uint64_t t;
    if (read_varint(c, &t) < 0) {
        return -EINVAL;
    }
    double v;
    if (t % 2 == 0) {
        if (t / 2 > (uint64_t)MAX_INT_COUNT) {
            return -EINVAL;
        }
        v = (double)(t / 2);
    } else if (t == 1) {
        if (read_double(c, &v) < 0) {
            return -EINVAL;
        }
    } else {
        return -EINVAL;
    }
    if (!isfinite(v) || signbit(v) || (v == 0 && !allow_zero)) {
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

static int decode(st_sketch_t *s, struct st_cursor *c)
{
    uint8_t version;
    uint64_t n_bins;
    if (st_cursor_u8(c, &version) < 0 || version != SKETCH_VERSION) {
        return -EINVAL;
    }
    if (st_cursor_varint(c, &n_bins) < 0 || n_bins > ST_SKETCH_MAX_BINS) {
        return -EINVAL;
    }
    double zero;
    if (read_count(c, true, &zero) < 0) {
        return -EINVAL;
    }
    /* Each bin takes at least two bytes (key and count): check before allocating. */
    if (n_bins > st_cursor_left(c) / 2) {
        return -EINVAL;
    }
    int r = reserve(s, (uint32_t)n_bins);
    if (r < 0) {
        return r;
    }

    double total = zero;
    int64_t key = 0;
    for (uint32_t i = 0; i < n_bins; i++) {
        uint64_t u;
        if (read_varint(c, &u) < 0) {
            return -EINVAL;
        }
        if (i == 0) {
            key = unzigzag(u);
        } else {
            /* Keys ascend strictly: 0 is a duplicate, and any delta past the key range (which
             * spans less than 2^18) is rejected before it can overflow. */
            if (u == 0 || u > UINT32_MAX) {
                return -EINVAL;
            }
            key += (int64_t)u;
        }
        if (!key_valid(key)) {
            return -EINVAL;
        }
        double count;
        if (read_count(c, false, &count) < 0) {
            return -EINVAL;
        }
        total += count;
        s->bins[i] = (struct st_sketch_bin){.key = (int32_t)key, .count = count};
    }
    if (st_cursor_left(c) != 0 || !isfinite(total)) {
        return -EINVAL;
    }
    s->n_bins = (uint32_t)n_bins;
    s->zero_count = zero;
    s->count = total;
    return 0;
}

int st_sketch_decode(st_sketch_t *s, const uint8_t *buf, size_t len)
{
    struct st_cursor c;
    st_sketch_reset(s);
    st_cursor_init(&c, buf, len);
    int r = decode(s, &c);
    if (r < 0) {
        st_sketch_reset(s);
    }
    return r;
}
