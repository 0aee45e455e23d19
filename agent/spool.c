/* SPDX-License-Identifier: MIT */
/*
 * On-disk spool of sealed batches (see spool.h). The index of files is an in-memory ring of
 * (sequence, size) entries, rebuilt from the directory at open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "stratus/alloc.h"
#include "stratus/log.h"

struct entry {
    uint64_t seq;
    uint64_t size;
};

struct st_spool {
    char dir[PATH_MAX];
    int dir_fd;
    uint64_t max_bytes;
    bool sync;
    struct entry *ring;
    size_t head, len, cap;
    uint64_t next_seq;
    struct st_spool_stats stats;
    struct st_ratelimit drop_rl;
};

static void path_of(const struct st_spool *s, uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%016" PRIx64 ".batch", s->dir, seq);
}

static int ring_push(struct st_spool *s, uint64_t seq, uint64_t size)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct entry *r = st_malloc(cap * sizeof(*r));
        if (!r) {
            return -ENOMEM;
        }
        for (size_t i = 0; i < s->len; i++) {
            r[i] = s->ring[(s->head + i) % s->cap];
        }
        st_free(s->ring);
        s->ring = r;
        s->cap = cap;
        s->head = 0;
    }
    s->ring[(s->head + s->len) % s->cap] = (struct entry){seq, size};
    s->len++;
    s->stats.files++;
    s->stats.bytes += size;
    return 0;
}

static void ring_pop(struct st_spool *s)
{
    struct entry e = s->ring[s->head];
    char path[PATH_MAX + 32];
    path_of(s, e.seq, path, sizeof(path));
    unlink(path);
    s->head = (s->head + 1) % s->cap;
    s->len--;
    s->stats.files--;
    s->stats.bytes -= e.size;
}

static int cmp_entry(const void *a, const void *b)
{
    uint64_t x = ((const struct entry *)a)->seq, y = ((const struct entry *)b)->seq;
    return x < y ? -1 : x > y;
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
                return -errno;
            }
            *p = '/';
        }
    }
    return mkdir(buf, 0750) < 0 && errno != EEXIST ? -errno : 0;
}

int st_spool_open(const char *dir, uint64_t max_bytes, bool sync, struct st_spool **ret,
                  struct st_error *err)
{
    struct st_spool *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "spool: out of memory");
    }
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->max_bytes = max_bytes;
    s->sync = sync;
    s->dir_fd = -1;
    s->next_seq = 1;
    s->drop_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    int r = mkdir_p(dir);
    DIR *d = r == 0 ? opendir(dir) : NULL;
    if (!d) {
        r = r < 0 ? r : -errno;
        st_spool_free(s);
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "spool: cannot use %s: %s", dir,
                            strerror(-r));
    }
    struct dirent *e;
    struct entry *found = NULL;
    size_t n = 0, cap = 0;
    while ((e = readdir(d))) {
        char *end;
        size_t nl = strlen(e->d_name);
        if (nl == 22 && strcmp(e->d_name + 16, ".batch") == 0) {
            uint64_t seq = strtoull(e->d_name, &end, 16);
            struct stat sb;
            char path[PATH_MAX + 32];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (end != e->d_name + 16 || stat(path, &sb) < 0) {
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct entry *nf = st_realloc(found, cap * sizeof(*nf));
                if (!nf) {
                    r = -ENOMEM;
                    break;
                }
                found = nf;
            }
            found[n++] = (struct entry){seq, (uint64_t)sb.st_size};
        } else if (nl > 4 && strcmp(e->d_name + nl - 4, ".tmp") == 0) {
            unlinkat(dirfd(d), e->d_name, 0); /* a batch that was never sealed */
        }
    }
    closedir(d);
    if (n > 1) {
        qsort(found, n, sizeof(*found), cmp_entry);
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        r = ring_push(s, found[i].seq, found[i].size);
        s->next_seq = found[i].seq + 1;
    }
    st_free(found);
    if (r == 0) {
        s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dir_fd < 0) {
            r = -errno;
        }
    }
    if (r < 0) {
        st_spool_free(s);
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "spool: cannot open %s: %s", dir,
                            strerror(-r));
    }
    *ret = s;
    return 0;
}

void st_spool_free(struct st_spool *s)
{
    if (!s) {
        return;
    }
    if (s->dir_fd >= 0) {
        close(s->dir_fd);
    }
    st_free(s->ring);
    st_free(s);
}

int st_spool_push(struct st_spool *s, const uint8_t *batch, size_t len)
{
    uint64_t seq = s->next_seq++;
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    path_of(s, seq, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        return -errno;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, batch + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            int r = w < 0 ? -errno : -EIO;
            close(fd);
            unlink(tmp);
            return r;
        }
        off += (size_t)w;
    }
    if ((s->sync && fdatasync(fd) < 0) || close(fd) < 0 || rename(tmp, path) < 0) {
        int r = -errno;
        unlink(tmp);
        return r;
    }
    int r = ring_push(s, seq, len);
    if (r < 0) {
        unlink(path);
        return r;
    }
    s->stats.written++;
    /* Keep the newest: past the bound, the oldest batches go (never the one just written). */
    uint64_t dropped = 0;
    while (s->stats.bytes > s->max_bytes && s->len > 1) {
        ring_pop(s);
        dropped++;
    }
    if (dropped) {
        s->stats.dropped_full += dropped;
        if (st_ratelimit_allow(&s->drop_rl)) {
            st_log_warning("spool: over %" PRIu64 " bytes, dropped the %" PRIu64
                           " oldest batches (%" PRIu64 " in all)",
                           s->max_bytes, dropped, s->stats.dropped_full);
        }
    }
    return 0;
}

int st_spool_peek(struct st_spool *s, uint8_t **ret_buf, size_t *ret_len)
{
    if (s->len == 0) {
        return -ENOENT;
    }
    struct entry e = s->ring[s->head];
    char path[PATH_MAX + 32];
    path_of(s, e.seq, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    uint8_t *buf = st_malloc(e.size ? e.size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < e.size) {
        ssize_t n = read(fd, buf + got, e.size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != e.size) {
        st_free(buf);
        return -EIO;
    }
    *ret_buf = buf;
    *ret_len = got;
    return 0;
}

void st_spool_pop(struct st_spool *s, bool rejected)
{
    if (s->len == 0) {
        return;
    }
    ring_pop(s);
    if (rejected) {
        s->stats.dropped_rejected++;
    } else {
        s->stats.sent++;
    }
}

size_t st_spool_count(const struct st_spool *s)
{
    return s->len;
}

void st_spool_get_stats(const struct st_spool *s, struct st_spool_stats *ret)
{
    *ret = s->stats;
}
