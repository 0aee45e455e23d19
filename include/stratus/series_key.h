/* SPDX-License-Identifier: MIT */
/*
 * Canonical series keys and ids. A stored series is (namespace, metric name, dimensions, unit);
 * its canonical key is a length-prefixed byte string with the dimensions sorted by name (then
 * value), so the same series always has the same key whatever order a client sent the
 * dimensions in. Its id is the 64-bit XXH3 hash of the key; file names derive from the id, never
 * from user strings. The metric id hashes the same key without the unit: that is the identity
 * ListMetrics reports (CloudWatch lists a metric once whatever units it was published with).
 *
 * Key layout: varint(len) namespace, varint(len) name, varint(n_dims), n x (varint(len) name,
 * varint(len) value), then one byte: the unit.
 */
#ifndef STRATUS_SERIES_KEY_H
#define STRATUS_SERIES_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "stratus/metric.h"

/* Large enough for any key that passes validation (30 dims of 255 + 1024 bytes). */
#define ST_SERIES_KEY_MAX                                                                          \
    (2 * (ST_MAX_NAME_LEN + 3) + 1 + 1 +                                                           \
     ST_MAX_DIMENSIONS * (ST_MAX_NAME_LEN + ST_MAX_DIM_VALUE_LEN + 6))

struct st_dim {
    const char *name;
    const char *value;
};

/*
 * Builds the canonical key into buf (at least ST_SERIES_KEY_MAX bytes). dims are not modified.
 * Returns 0 and the key length, or -E2BIG if a field is longer than validation allows or there
 * are more than ST_MAX_DIMENSIONS dimensions.
 */
int st_series_key_build(const char *ns, const char *name, const struct st_dim *dims, size_t n_dims,
                        enum st_unit unit, uint8_t *buf, size_t *ret_len);

/* Same, from the protobuf dimensions of a request. */
int st_series_key_build_pb(const char *ns, const char *name, Stratus__Dimension *const *dims,
                           size_t n_dims, enum st_unit unit, uint8_t *buf, size_t *ret_len);

uint64_t st_series_id(const uint8_t *key, size_t len);
/* The id of the metric, i.e. of the key without its trailing unit byte. */
uint64_t st_metric_id(const uint8_t *key, size_t len);

/*
 * The parts of a key, borrowed from the key bytes (not NUL-terminated: use the lengths).
 * dims holds up to ST_MAX_DIMENSIONS entries.
 */
struct st_series_parts {
    const char *ns;
    size_t ns_len;
    const char *name;
    size_t name_len;
    size_t n_dims;
    struct {
        const char *name;
        size_t name_len;
        const char *value;
        size_t value_len;
    } dims[ST_MAX_DIMENSIONS];
    enum st_unit unit;
};

/* Parses a key (untrusted bytes: a stored index could be corrupt). Returns 0 or -EBADMSG. */
int st_series_key_parse(const uint8_t *key, size_t len, struct st_series_parts *ret_parts);

#endif
