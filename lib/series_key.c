/* SPDX-License-Identifier: MIT */
/*
 * Canonical series keys and their 64-bit ids (see series_key.h).
 */
#include <errno.h>
#include <string.h>

#include <xxhash.h>

#include "stratus/cursor.h"
#include "stratus/series_key.h"

static size_t put_str(uint8_t *buf, const char *s, size_t len)
{
    size_t n = st_put_varint(buf, len);
    memcpy(buf + n, s, len);
    return n + len;
}

static int dim_cmp(const struct st_dim *a, const struct st_dim *b)
{
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->value, b->value);
}

int st_series_key_build(const char *ns, const char *name, const struct st_dim *dims, size_t n_dims,
                        enum st_unit unit, uint8_t *buf, size_t *ret_len)
{
    size_t ns_len = strlen(ns), name_len = strlen(name);
    if (n_dims > ST_MAX_DIMENSIONS || ns_len > ST_MAX_NAME_LEN || name_len > ST_MAX_NAME_LEN) {
        return -E2BIG;
    }
    /* Sort an index, not the caller's array: insertion sort, n <= 30. */
    unsigned char order[ST_MAX_DIMENSIONS];
    for (size_t i = 0; i < n_dims; i++) {
        size_t j = i;
        while (j > 0 && dim_cmp(&dims[order[j - 1]], &dims[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (unsigned char)i;
    }
    size_t n = 0;
    n += put_str(buf + n, ns, ns_len);
    n += put_str(buf + n, name, name_len);
    n += st_put_varint(buf + n, n_dims);
    for (size_t i = 0; i < n_dims; i++) {
        const struct st_dim *d = &dims[order[i]];
        size_t dn = strlen(d->name), dv = strlen(d->value);
        if (dn > ST_MAX_NAME_LEN || dv > ST_MAX_DIM_VALUE_LEN) {
            return -E2BIG;
        }
        n += put_str(buf + n, d->name, dn);
        n += put_str(buf + n, d->value, dv);
    }
    buf[n++] = (uint8_t)unit;
    *ret_len = n;
    return 0;
}

int st_series_key_build_pb(const char *ns, const char *name, Stratus__Dimension *const *dims,
                           size_t n_dims, enum st_unit unit, uint8_t *buf, size_t *ret_len)
{
    struct st_dim d[ST_MAX_DIMENSIONS];
    if (n_dims > ST_MAX_DIMENSIONS) {
        return -E2BIG;
    }
    for (size_t i = 0; i < n_dims; i++) {
        d[i].name = dims[i]->name ? dims[i]->name : "";
        d[i].value = dims[i]->value ? dims[i]->value : "";
    }
    return st_series_key_build(ns, name, d, n_dims, unit, buf, ret_len);
}

uint64_t st_series_id(const uint8_t *key, size_t len)
{
    return XXH3_64bits(key, len);
}

uint64_t st_metric_id(const uint8_t *key, size_t len)
{
    return XXH3_64bits(key, len ? len - 1 : 0);
}

/* A varint in its shortest form only: a key has exactly one encoding. */
static int take_varint(struct st_cursor *c, uint64_t *ret)
{
    const uint8_t *start = c->pos;
    uint8_t tmp[10];
    if (st_cursor_varint(c, ret) < 0 || (size_t)(c->pos - start) != st_put_varint(tmp, *ret)) {
        return -EBADMSG;
    }
    return 0;
}

static int take_str(struct st_cursor *c, size_t max, const char **ret, size_t *ret_len)
{
    uint64_t len;
    const uint8_t *p;
    if (take_varint(c, &len) < 0 || len > max || st_cursor_take(c, len, &p) < 0) {
        return -EBADMSG;
    }
    *ret = (const char *)p;
    *ret_len = len;
    return 0;
}

int st_series_key_parse(const uint8_t *key, size_t len, struct st_series_parts *ret_parts)
{
    struct st_cursor c;
    struct st_series_parts p;
    uint64_t n_dims;
    uint8_t unit;
    st_cursor_init(&c, key, len);
    if (take_str(&c, ST_MAX_NAME_LEN, &p.ns, &p.ns_len) < 0 ||
        take_str(&c, ST_MAX_NAME_LEN, &p.name, &p.name_len) < 0 || take_varint(&c, &n_dims) < 0 ||
        n_dims > ST_MAX_DIMENSIONS) {
        return -EBADMSG;
    }
    p.n_dims = n_dims;
    for (size_t i = 0; i < n_dims; i++) {
        if (take_str(&c, ST_MAX_NAME_LEN, &p.dims[i].name, &p.dims[i].name_len) < 0 ||
            take_str(&c, ST_MAX_DIM_VALUE_LEN, &p.dims[i].value, &p.dims[i].value_len) < 0) {
            return -EBADMSG;
        }
    }
    if (st_cursor_u8(&c, &unit) < 0 || unit >= ST_UNIT__COUNT || st_cursor_left(&c) != 0) {
        return -EBADMSG;
    }
    p.unit = (enum st_unit)unit;
    *ret_parts = p;
    return 0;
}
