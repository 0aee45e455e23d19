/* SPDX-License-Identifier: MIT */
/*
 * A mergeable quantile sketch with a relative-error guarantee (the DDSketch construction:
 * logarithmic bins of ratio gamma = (1 + a) / (1 - a)). Any quantile whose rank falls in an
 * uncollapsed bin is returned within relative error a = ST_SKETCH_ALPHA of a value whose rank
 * is exactly that quantile's (nearest-rank definition: the smallest value v with
 * count(x <= v) >= q * n); values with |v| < DBL_MIN (zero and subnormals) are kept as 0, so
 * there the error is absolute, under DBL_MIN. Negative values, zero and positive values are all
 * kept; at most ST_SKETCH_MAX_BINS bins are held and, beyond that, the lowest bins are collapsed
 * into one (so high percentiles, which alarms use, stay accurate). Merging two sketches gives the
 * sketch of the union of their inputs, in any order.
 *
 * The struct is embedded by its owner (_init/_fini); the bins array is owned by the sketch.
 */
#ifndef STRATUS_SKETCH_H
#define STRATUS_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define ST_SKETCH_ALPHA    0.01
#define ST_SKETCH_MAX_BINS 2048

struct st_sketch_bin {
    int32_t key;
    double count;
};

typedef struct st_sketch {
    struct st_sketch_bin *bins; /* sorted by key, owned */
    uint32_t n_bins;
    uint32_t cap_bins;
    double count; /* total weight, including zero_count */
    double zero_count;
} st_sketch_t;

void st_sketch_init(st_sketch_t *s);
void st_sketch_fini(st_sketch_t *s);
/* Empties the sketch but keeps its allocation. */
void st_sketch_reset(st_sketch_t *s);

/*
 * Adds `value` with weight `count` (> 0, finite). Returns 0, -EINVAL for a non-finite value or
 * a weight that is not > 0, -ERANGE if the total weight would overflow to infinity, or -ENOMEM;
 * on any error the sketch is unchanged.
 */
int st_sketch_add(st_sketch_t *s, double value, double count);

/*
 * dst += src (dst == src is allowed). Returns 0, -ERANGE if the total weight would overflow to
 * infinity, or -ENOMEM; on error dst is unchanged.
 */
int st_sketch_merge(st_sketch_t *dst, const st_sketch_t *src);

/* Total weight added. */
double st_sketch_count(const st_sketch_t *s);

/* q in [0, 1]. Returns 0 and writes *ret_value, -ENODATA if empty, -EINVAL for a bad q. */
int st_sketch_quantile(const st_sketch_t *s, double q, double *ret_value);

/*
 * A compact, versioned binary encoding (varint-coded key deltas and counts).
 * st_sketch_encoded_size() is the exact length; encode returns -ENOBUFS if `len` is shorter.
 * decode replaces the contents of an initialised sketch; it reads only the `len` bytes given,
 * rejects malformed, truncated or over-limit input with -EINVAL, and returns -ENOMEM on
 * allocation failure, leaving the sketch empty on either. decode sums the total weight from the
 * bins, so with non-integer weights it may differ in the last bits from the encoder's.
 */
size_t st_sketch_encoded_size(const st_sketch_t *s);
int st_sketch_encode(const st_sketch_t *s, uint8_t *buf, size_t len, size_t *ret_len);
int st_sketch_decode(st_sketch_t *s, const uint8_t *buf, size_t len);

#endif
