/* SPDX-License-Identifier: MIT */
/*
 * The metric sources' shared reading helpers (see proc_read.h): root-relative paths, a bounded
 * line reader over a caller-owned buffer, field splitting and strict number parsing over
 * st_cursor, and the "resources" name filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_read.h"
#include "stratus/alloc.h"

int st_proc_root_dup(const char *root, char **ret_root)
{
    if (!root) {
        root = "";
    }
    size_t len = strnlen(root, ST_PROC_PATH_MAX);
    if (len >= ST_PROC_PATH_MAX) {
        return -ENAMETOOLONG;
    }
    while (len > 0 && root[len - 1] == '/') {
        len--;
    }
    char *copy = st_strndup(root, len);
    if (!copy) {
        return -ENOMEM;
    }
    *ret_root = copy;
    return 0;
}

int st_proc_path(char *buf, size_t size, const char *root, const char *path)
{
    int n = snprintf(buf, size, "%s%s", root, path);
    if (n < 0 || (size_t)n >= size) {
        return -ENAMETOOLONG;
    }
    return 0;
}

static void reader_init(struct st_proc_reader *r, int fd, char *buf, size_t cap)
{
    *r = (struct st_proc_reader){.fd = fd, .buf = buf, .cap = cap};
}

int st_proc_open(struct st_proc_reader *r, const char *root, const char *path, char *buf,
                 size_t cap)
{
    char full[ST_PROC_PATH_MAX];
    reader_init(r, -1, buf, cap);
    int ret = st_proc_path(full, sizeof(full), root, path);
    if (ret < 0) {
        return ret;
    }
    return st_proc_openat(r, AT_FDCWD, full, buf, cap);
}

int st_proc_openat(struct st_proc_reader *r, int dirfd, const char *path, char *buf, size_t cap)
{
    reader_init(r, -1, buf, cap);
    if (cap < 2) {
        return -EINVAL;
    }
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return -errno;
    }
    r->fd = fd;
    return 0;
}

int st_proc_open_kept(struct st_proc_reader *r, int *kept_fd, const char *root, const char *path,
                      char *buf, size_t cap)
{
    if (*kept_fd >= 0 && cap >= 2) {
        reader_init(r, *kept_fd, buf, cap);
        r->kept = kept_fd;
        return 0;
    }
    int ret = st_proc_open(r, root, path, buf, cap);
    struct statfs sf;
    if (ret == 0 && fstatfs(r->fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
        *kept_fd = r->fd;
        r->kept = kept_fd;
    }
    return ret;
}

void st_proc_kept_close(int *kept_fd)
{
    if (*kept_fd >= 0) {
        close(*kept_fd);
    }
    *kept_fd = -1;
}

void st_proc_close(struct st_proc_reader *r)
{
    if (r->fd >= 0 && !r->kept) {
        close(r->fd);
    }
    r->fd = -1;
}

/* Appends what read() gives to the buffer. Returns 0 (r->eof set at the end) or -errno. */
static int fill(struct st_proc_reader *r)
{
    for (;;) {
        ssize_t n = r->kept ? pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)r->off)
                            : read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = -errno;
            if (r->kept) {
                st_proc_kept_close(r->kept);
                r->kept = NULL;
                r->fd = -1;
            }
            return err;
        }
        r->off += (uint64_t)n;
        if (n == 0) {
            r->eof = true;
        }
        r->len += (size_t)n;
        return 0;
    }
}

int st_proc_next_line(struct st_proc_reader *r, struct st_cursor *ret_line)
{
    if (r->fd < 0) {
        return 0;
    }
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->len - r->pos);
        if (nl) {
            size_t line_len = (size_t)(nl - start);
            r->pos += line_len + 1;
            if (r->skipping) {
                /* The tail of an overlong line: drop it and go on with the next. */
                r->skipping = false;
                continue;
            }
            st_cursor_init(ret_line, (const uint8_t *)start, line_len);
            return 1;
        }
        if (r->eof) {
            if (r->pos == r->len || r->skipping) {
                r->pos = r->len;
                r->skipping = false;
                return 0;
            }
            /* A last line without '\n'. */
            st_cursor_init(ret_line, (const uint8_t *)start, r->len - r->pos);
            r->pos = r->len;
            return 1;
        }
        /* Keep the partial line, make room after it and read more. */
        memmove(r->buf, start, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
        if (r->len == r->cap) {
            /* The line does not fit at all: discard what we have and skip to its end. */
            if (!r->skipping) {
                r->overlong++;
            }
            r->skipping = true;
            r->len = 0;
        }
        int ret = fill(r);
        if (ret < 0) {
            return ret;
        }
    }
}

int st_proc_read_at(int dirfd, const char *path, char *buf, size_t cap, size_t *ret_len)
{
    struct st_proc_reader r;
    int ret = st_proc_openat(&r, dirfd, path, buf, cap);
    if (ret < 0) {
        return ret;
    }
    while (!r.eof && r.len < r.cap) {
        ret = fill(&r);
        if (ret < 0) {
            st_proc_close(&r);
            return ret;
        }
    }
    if (!r.eof) {
        /* Full: one more byte would say whether that was all of it. */
        char probe;
        ssize_t n;
        do {
            n = read(r.fd, &probe, 1);
        } while (n < 0 && errno == EINTR);
        ret = n < 0 ? -errno : n > 0 ? -EFBIG : 0;
    }
    st_proc_close(&r);
    if (ret < 0) {
        return ret;
    }
    *ret_len = r.len;
    return 0;
}

static bool is_blank(uint8_t b)
{
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

int st_proc_field(struct st_cursor *c, struct st_cursor *ret_field)
{
    while (st_cursor_left(c) > 0 && is_blank(*c->pos)) {
        c->pos++;
    }
    size_t n = 0;
    while (n < st_cursor_left(c) && !is_blank(c->pos[n])) {
        n++;
    }
    if (n == 0) {
        return -EBADMSG;
    }
    const uint8_t *p;
    int ret = st_cursor_take(c, n, &p);
    if (ret < 0) {
        return ret;
    }
    st_cursor_init(ret_field, p, n);
    return 0;
}

int st_proc_parse_u64(const struct st_cursor *field, uint64_t *ret)
{
    size_t n = st_cursor_left(field);
    if (n == 0) {
        return -EBADMSG;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = field->pos[i];
        if (b < '0' || b > '9') {
            return -EBADMSG;
        }
        unsigned d = (unsigned)(b - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -ERANGE;
        }
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

int st_proc_parse_hex(const struct st_cursor *field, uint64_t *ret)
{
    const uint8_t *p = field->pos;
    size_t n = st_cursor_left(field);
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        n -= 2;
    }
    if (n == 0) {
        return -EBADMSG;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        unsigned d;
        if (b >= '0' && b <= '9') {
            d = (unsigned)(b - '0');
        } else if (b >= 'a' && b <= 'f') {
            d = (unsigned)(b - 'a' + 10);
        } else if (b >= 'A' && b <= 'F') {
            d = (unsigned)(b - 'A' + 10);
        } else {
            return -EBADMSG;
        }
        if (v > (UINT64_MAX >> 4)) {
            return -ERANGE;
        }
        v = v << 4 | d;
    }
    *ret = v;
    return 0;
}

int st_proc_field_u64(struct st_cursor *c, uint64_t *ret)
{
    struct st_cursor f;
    int r = st_proc_field(c, &f);
    if (r < 0) {
        return r;
    }
    return st_proc_parse_u64(&f, ret);
}

bool st_proc_field_eq(const struct st_cursor *field, const char *s)
{
    size_t n = strlen(s);
    return st_cursor_left(field) == n && memcmp(field->pos, s, n) == 0;
}

int st_proc_field_copy(const struct st_cursor *field, char *dst, size_t size)
{
    size_t n = st_cursor_left(field);
    if (n >= size) {
        return -ENAMETOOLONG;
    }
    memcpy(dst, field->pos, n);
    dst[n] = '\0';
    return 0;
}

int st_proc_meminfo_line(struct st_cursor *line, struct st_cursor *ret_key, uint64_t *ret_value)
{
    const uint8_t *colon = memchr(line->pos, ':', st_cursor_left(line));
    if (!colon || colon == line->pos) {
        return -EBADMSG;
    }
    struct st_cursor key;
    st_cursor_init(&key, line->pos, (size_t)(colon - line->pos));
    struct st_cursor rest;
    st_cursor_init(&rest, colon + 1, (size_t)(line->end - colon - 1));
    uint64_t v;
    int r = st_proc_field_u64(&rest, &v);
    if (r < 0) {
        return r;
    }
    struct st_cursor unit;
    if (st_proc_field(&rest, &unit) == 0) {
        if (!st_proc_field_eq(&unit, "kB") || v > UINT64_MAX / 1024) {
            return st_proc_field_eq(&unit, "kB") ? -ERANGE : -EBADMSG;
        }
        v *= 1024;
    }
    struct st_cursor extra;
    if (st_proc_field(&rest, &extra) == 0) {
        return -EBADMSG;
    }
    *ret_key = key;
    *ret_value = v;
    return 0;
}

int st_proc_filter_init(struct st_proc_filter *f, const struct st_source_config *cfg)
{
    *f = (struct st_proc_filter){.all = true};
    size_t n = cfg->n_resources;
    if (n > ST_SOURCE_MAX_RESOURCES) {
        n = ST_SOURCE_MAX_RESOURCES;
    }
    if (cfg->all_resources || n == 0) {
        return 0;
    }
    f->names = st_calloc(n, sizeof(*f->names));
    if (!f->names) {
        return -ENOMEM;
    }
    f->all = false;
    for (size_t i = 0; i < n; i++) {
        const char *name = cfg->resources[i];
        f->names[i] = st_strndup(name, strnlen(name, ST_SOURCE_NAME_MAX - 1));
        if (!f->names[i]) {
            st_proc_filter_fini(f);
            return -ENOMEM;
        }
        f->n = i + 1;
    }
    return 0;
}

bool st_proc_filter_match(const struct st_proc_filter *f, const char *name)
{
    if (f->all) {
        return true;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->names[i], name) == 0 || fnmatch(f->names[i], name, 0) == 0) {
            return true;
        }
    }
    return false;
}

bool st_proc_filter_explicit(const struct st_proc_filter *f)
{
    return !f->all;
}

void st_proc_filter_fini(struct st_proc_filter *f)
{
    for (size_t i = 0; i < f->n; i++) {
        st_free(f->names[i]);
    }
    st_free(f->names);
    *f = (struct st_proc_filter){.all = true};
}

void st_proc_devs_begin(struct st_proc_devs *t)
{
    for (size_t i = 0; i < t->n; i++) {
        t->devs[i].seen = false;
    }
    t->hint = 0;
}

int st_proc_devs_get(struct st_proc_devs *t, const char *name, struct st_proc_dev **ret_dev,
                     bool *ret_new)
{
    size_t len = strnlen(name, ST_PROC_DEV_NAME);
    if (len >= ST_PROC_DEV_NAME) {
        return -ENAMETOOLONG;
    }
    size_t found = t->n;
    if (t->hint < t->n && strcmp(t->devs[t->hint].name, name) == 0) {
        found = t->hint;
    } else {
        for (size_t i = 0; i < t->n; i++) {
            if (strcmp(t->devs[i].name, name) == 0) {
                found = i;
                break;
            }
        }
    }
    if (found < t->n) {
        struct st_proc_dev *d = &t->devs[found];
        if (d->seen) {
            return -EEXIST;
        }
        d->seen = true;
        t->hint = found + 1;
        *ret_dev = d;
        *ret_new = false;
        return 0;
    }
    if (t->n == ST_PROC_DEV_MAX) {
        return -E2BIG;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct st_proc_dev *devs = st_realloc(t->devs, cap * sizeof(*devs));
        if (!devs) {
            return -ENOMEM;
        }
        t->devs = devs;
        t->cap = cap;
    }
    struct st_proc_dev *d = &t->devs[t->n++];
    *d = (struct st_proc_dev){.seen = true};
    memcpy(d->name, name, len + 1);
    t->hint = t->n;
    *ret_dev = d;
    *ret_new = true;
    return 0;
}

void st_proc_devs_end(struct st_proc_devs *t)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->devs[i].seen) {
            if (o != i) {
                t->devs[o] = t->devs[i];
            }
            o++;
        }
    }
    t->n = o;
}

void st_proc_devs_fini(struct st_proc_devs *t)
{
    st_free(t->devs);
    *t = (struct st_proc_devs){0};
}
