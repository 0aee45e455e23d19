/* SPDX-License-Identifier: MIT */
/*
 * A bounds-checked reader over untrusted bytes. Every read either succeeds completely or fails
 * with -EBADMSG and leaves the cursor where it was; nothing reads past `end`. The cursor borrows
 * the buffer, which must outlive it.
 */
#ifndef STRATUS_CURSOR_H
#define STRATUS_CURSOR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct st_cursor {
    const uint8_t *pos;
    const uint8_t *end;
};

static inline void st_cursor_init(struct st_cursor *c, const uint8_t *buf, size_t len)
{
    c->pos = buf;
    c->end = buf + len;
}

static inline size_t st_cursor_left(const struct st_cursor *c)
{
    return (size_t)(c->end - c->pos);
}

/* Borrows the next n bytes: *ret points into the buffer. */
static inline int st_cursor_take(struct st_cursor *c, size_t n, const uint8_t **ret)
{
    if (n > st_cursor_left(c)) {
        return -EBADMSG;
    }
    *ret = c->pos;
    c->pos += n;
    return 0;
}

static inline int st_cursor_u8(struct st_cursor *c, uint8_t *ret)
{
    if (st_cursor_left(c) < 1) {
        return -EBADMSG;
    }
    *ret = *c->pos++;
    return 0;
}

/* Little-endian fixed-width integers. */
static inline int st_cursor_le32(struct st_cursor *c, uint32_t *ret)
{
    if (st_cursor_left(c) < 4) {
        return -EBADMSG;
    }
    const uint8_t *p = c->pos;
    *ret = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    c->pos += 4;
    return 0;
}

static inline int st_cursor_le64(struct st_cursor *c, uint64_t *ret)
{
    if (st_cursor_left(c) < 8) {
        return -EBADMSG;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | c->pos[i];
    }
    c->pos += 8;
    *ret = v;
    return 0;
}

static inline int st_cursor_double(struct st_cursor *c, double *ret)
{
    uint64_t u;
    int r = st_cursor_le64(c, &u);
    if (r < 0) {
        return r;
    }
    memcpy(ret, &u, sizeof(*ret));
    return 0;
}

/* Unsigned LEB128 varint of at most 10 bytes. */
static inline int st_cursor_varint(struct st_cursor *c, uint64_t *ret)
{
    uint64_t v = 0;
    const uint8_t *p = c->pos;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= c->end) {
            return -EBADMSG;
        }
        uint8_t b = *p++;
        if (shift == 63 && b > 1) {
            return -EBADMSG;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            c->pos = p;
            *ret = v;
            return 0;
        }
    }
    return -EBADMSG;
}

/* Writers for the same encodings; each returns the bytes written (buf must have room). */
static inline size_t st_put_varint(uint8_t *buf, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    buf[n++] = (uint8_t)v;
    return n;
}

static inline size_t st_put_le32(uint8_t *buf, uint32_t v)
{
    buf[0] = (uint8_t)v;
    buf[1] = (uint8_t)(v >> 8);
    buf[2] = (uint8_t)(v >> 16);
    buf[3] = (uint8_t)(v >> 24);
    return 4;
}

static inline size_t st_put_le64(uint8_t *buf, uint64_t v)
{
    st_put_le32(buf, (uint32_t)v);
    st_put_le32(buf + 4, (uint32_t)(v >> 32));
    return 8;
}

static inline size_t st_put_double(uint8_t *buf, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return st_put_le64(buf, u);
}

#endif
