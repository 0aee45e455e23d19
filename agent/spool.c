/* SPDX-License-Identifier: MIT */
/*
 * On-disk spool of sealed batches (see spool.h). Segments are named by the sequence number of
 * their first record (`%016x.seg`), so name order is replay order. In memory there is one
 * small entry per segment (its open fd, where its records end, and how many of them are still
 * to be sent), the position of the oldest record, and a copy of the newest one.
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
#include <sys/uio.h>
#include <unistd.h>

#include <xxhash.h>

#include "spool.h"
#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/log.h"

#define REC_MAGIC 0x314c5053u /* "SPL1" */
#define CUR_MAGIC 0x52435053u /* "SPCR" */
#define HDR       24
#define CUR_LEN   24
#define REC_MAX   (16u << 20) /* no batch is near this: a longer length is damage */
#define SEG_MIN   (64u << 10)
#define SEG_MAX   (4u << 20)
#define KEEP_MAX  (256u << 10) /* larger buffers are not kept between batches */
#define MAX_SEGS  (1u << 20)   /* a directory with more is not ours */
#define NAME_LEN  20           /* 16 hex digits + ".seg" */

struct seg {
    uint64_t id; /* the sequence number of its first record */
    int fd;
    uint64_t end;   /* where the valid records end: the next append goes there */
    uint64_t cap;   /* the file's (zero-filled) size */
    uint64_t n;     /* records still to be sent */
    uint64_t bytes; /* their bytes, headers included */
};

struct record {
    uint64_t len, seq, sum;
};

struct st_spool {
    char dir[PATH_MAX];
    int dir_fd, cur_fd;
    uint64_t max_bytes, seg_size;
    bool sync;
    bool unsynced;    /* the tail segment has appends not yet fdatasync'd */
    struct seg *segs; /* oldest first; the last one is appended to */
    size_t nsegs, segs_cap;
    uint64_t head_off; /* the oldest record still to send, in segs[0] */
    bool head_known;   /* head_rec holds its header */
    struct record head_rec;
    uint64_t done_seq; /* the newest record delivered or dropped (the cursor file) */
    uint64_t next_seq;
    uint64_t count, bytes;
    uint8_t *rbuf; /* a batch read back from disk */
    size_t rbuf_cap;
    uint8_t *cache; /* the newest batch */
    size_t cache_cap;
    bool cache_valid;
    uint64_t cache_seg, cache_off;
    struct record cache_rec;
    struct st_spool_stats stats;
    struct st_ratelimit drop_rl;
};

static uint64_t record_sum(const uint8_t *hdr, const uint8_t *payload, size_t len)
{
    return XXH3_64bits_withSeed(payload, len, XXH3_64bits(hdr, 16));
}

/* Returns the checksum it wrote. */
static uint64_t encode_header(uint8_t *hdr, uint32_t len, uint64_t seq, const uint8_t *payload)
{
    st_put_le32(hdr, REC_MAGIC);
    st_put_le32(hdr + 4, len);
    st_put_le64(hdr + 8, seq);
    uint64_t sum = record_sum(hdr, payload, len);
    st_put_le64(hdr + 16, sum);
    return sum;
}

/* A header's fields, if its magic and length are possible for a record ending before limit. */
static int decode_header(const uint8_t *hdr, uint64_t off, uint64_t limit, struct record *ret)
{
    struct st_cursor c;
    uint32_t magic, len;
    st_cursor_init(&c, hdr, HDR);
    if (st_cursor_le32(&c, &magic) < 0 || st_cursor_le32(&c, &len) < 0 ||
        st_cursor_le64(&c, &ret->seq) < 0 || st_cursor_le64(&c, &ret->sum) < 0) {
        return -EBADMSG;
    }
    if (magic != REC_MAGIC || len == 0 || len > REC_MAX || off + HDR + len > limit) {
        return -EBADMSG;
    }
    ret->len = len;
    return 0;
}

static int pread_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        got += (size_t)n;
    }
    return 0;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        done += (size_t)n;
    }
    return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap) {
        return 0;
    }
    uint8_t *nb = st_realloc(*buf, need);
    if (!nb) {
        return -ENOMEM;
    }
    *buf = nb;
    *cap = need;
    return 0;
}

static void name_of(uint64_t id, char *buf, size_t len)
{
    snprintf(buf, len, "%016" PRIx64 ".seg", id);
}

static void write_cursor(struct st_spool *s)
{
    uint8_t buf[CUR_LEN] = {0};
    st_put_le32(buf, CUR_MAGIC);
    st_put_le64(buf + 8, s->done_seq);
    st_put_le64(buf + 16, XXH3_64bits(buf, 16));
    /* Not synced: the page cache outlives a kill -9, and after a power loss a stale cursor
     * only resends batches the collector already has. */
    if (pwrite_all(s->cur_fd, buf, sizeof(buf), 0) < 0 && st_ratelimit_allow(&s->drop_rl)) {
        st_log_warning("spool: cannot update %s/cursor: %s", s->dir, strerror(errno));
    }
}

static uint64_t read_cursor(int fd)
{
    uint8_t buf[CUR_LEN];
    struct st_cursor c;
    uint32_t magic;
    uint64_t seq, sum;
    if (pread_all(fd, buf, sizeof(buf), 0) < 0) {
        return 0;
    }
    st_cursor_init(&c, buf, sizeof(buf));
    st_cursor_le32(&c, &magic);
    c.pos += 4;
    st_cursor_le64(&c, &seq);
    st_cursor_le64(&c, &sum);
    return magic == CUR_MAGIC && sum == XXH3_64bits(buf, 16) ? seq : 0;
}

static void seg_remove(struct st_spool *s, size_t i)
{
    char name[NAME_LEN + 1];
    name_of(s->segs[i].id, name, sizeof(name));
    if (s->segs[i].fd >= 0) {
        close(s->segs[i].fd);
    }
    unlinkat(s->dir_fd, name, 0);
    s->count -= s->segs[i].n;
    s->bytes -= s->segs[i].bytes;
    memmove(&s->segs[i], &s->segs[i + 1], (s->nsegs - i - 1) * sizeof(s->segs[0]));
    s->nsegs--;
}

static int seg_append_entry(struct st_spool *s, const struct seg *g)
{
    if (s->nsegs == s->segs_cap) {
        size_t cap = s->segs_cap ? s->segs_cap * 2 : 8;
        struct seg *n = st_realloc(s->segs, cap * sizeof(*n));
        if (!n) {
            return -ENOMEM;
        }
        s->segs = n;
        s->segs_cap = cap;
    }
    s->segs[s->nsegs++] = *g;
    return 0;
}

/* Removes the segments the head has gone past; the last one stays to be appended to. */
static void trim_head(struct st_spool *s)
{
    while (s->nsegs > 1 && (s->head_off >= s->segs[0].end || s->segs[0].n == 0)) {
        seg_remove(s, 0);
        s->head_off = 0;
    }
}

/* A new tail segment with room for at least min_cap bytes, zero-filled and durable. */
static int seg_create(struct st_spool *s, uint64_t min_cap)
{
    /* One page of zeros written 64 times a call: a bigger buffer would be resident memory. */
    static const uint8_t zeros[4096];
    struct iovec iov[64];
    for (size_t i = 0; i < 64; i++) {
        iov[i] = (struct iovec){(void *)zeros, sizeof(zeros)};
    }
    struct seg g = {.id = s->next_seq, .fd = -1};
    g.cap = min_cap > s->seg_size ? (min_cap + 4095) / 4096 * 4096 : s->seg_size;
    char name[NAME_LEN + 1];
    name_of(g.id, name, sizeof(name));
    g.fd = openat(s->dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (g.fd < 0) {
        return -errno;
    }
    int r = 0;
    /* Written zeros, not fallocate: appends then overwrite written blocks, and their
     * fdatasync has no extent conversion or size change to commit. */
    for (uint64_t off = 0; off < g.cap && r == 0;) {
        uint64_t left = g.cap - off;
        if (left < sizeof(zeros) || off % sizeof(zeros)) { /* a tail, or after a short write */
            size_t n = (size_t)(sizeof(zeros) - off % sizeof(zeros));
            n = left < n ? (size_t)left : n;
            r = pwrite_all(g.fd, zeros, n, off);
            off += n;
            continue;
        }
        uint64_t pages = left / sizeof(zeros);
        ssize_t w = pwritev(g.fd, iov, pages < 64 ? (int)pages : 64, (off_t)off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        r = w < 0 ? -errno : w == 0 ? -EIO : 0;
        off += w > 0 ? (uint64_t)w : 0;
    }
    if (r == 0 && s->sync && (fdatasync(g.fd) < 0 || fsync(s->dir_fd) < 0)) {
        r = -errno;
    }
    if (r == 0) {
        r = seg_append_entry(s, &g);
    }
    if (r < 0) {
        close(g.fd);
        unlinkat(s->dir_fd, name, 0);
        return r;
    }
    return 0;
}

/* Makes head_rec the header of the oldest record. */
static int load_head(struct st_spool *s)
{
    if (s->head_known) {
        return 0;
    }
    if (s->count == 0) {
        return -ENOENT;
    }
    const struct seg *g = &s->segs[0];
    if (s->cache_valid && s->cache_seg == g->id && s->cache_off == s->head_off) {
        s->head_rec = s->cache_rec;
        s->head_known = true;
        return 0;
    }
    uint8_t hdr[HDR];
    int r = pread_all(g->fd, hdr, HDR, s->head_off);
    if (r == 0) {
        r = decode_header(hdr, s->head_off, g->end, &s->head_rec);
    }
    s->head_known = r == 0;
    return r;
}

/* Steps past the oldest record (or, if its header cannot be read, its whole segment). */
static void drop_head(struct st_spool *s)
{
    struct seg *g = &s->segs[0];
    if (load_head(s) == 0) {
        uint64_t rec = HDR + s->head_rec.len;
        s->done_seq = s->head_rec.seq;
        s->head_off += rec;
        g->n--;
        g->bytes -= rec;
        s->count--;
        s->bytes -= rec;
    } else {
        st_log_error("spool: %s/%016" PRIx64 ".seg is damaged at offset %" PRIu64 "; its %" PRIu64
                     " remaining batches are lost",
                     s->dir, g->id, s->head_off, g->n);
        s->stats.dropped_corrupt += g->n;
        s->count -= g->n;
        s->bytes -= g->bytes;
        g->n = 0;
        g->bytes = 0;
        s->head_off = g->end;
        if (s->nsegs > 1) {
            s->done_seq = s->segs[1].id - 1;
        }
    }
    s->head_known = false;
    trim_head(s);
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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The ids of the segment files in the directory, sorted. */
static int list_segments(struct st_spool *s, uint64_t **ret, size_t *ret_n)
{
    int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int r = -errno;
        if (fd >= 0) {
            close(fd);
        }
        return r;
    }
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    struct dirent *e;
    while ((e = readdir(d)) && r == 0) {
        char *end;
        if (strlen(e->d_name) != NAME_LEN || strcmp(e->d_name + 16, ".seg") != 0) {
            continue;
        }
        uint64_t id = strtoull(e->d_name, &end, 16);
        if (end != e->d_name + 16) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *ni = cap <= MAX_SEGS ? st_realloc(ids, cap * sizeof(*ni)) : NULL;
            if (!ni) {
                r = -ENOMEM;
                break;
            }
            ids = ni;
        }
        ids[n++] = id;
    }
    closedir(d);
    if (r < 0) {
        st_free(ids);
        return r;
    }
    if (n > 1) {
        qsort(ids, n, sizeof(*ids), cmp_u64);
    }
    *ret = ids;
    *ret_n = n;
    return 0;
}

/*
 * Scans one segment: records must check and their sequence numbers increase. Where the first
 * one that does not check starts, the segment ends (a torn append of a crash; the next append
 * overwrites it). Records at or before done_seq were delivered.
 */
static int scan_segment(struct st_spool *s, uint64_t id, bool last, uint64_t *last_seq)
{
    struct seg g = {.id = id};
    char name[NAME_LEN + 1];
    name_of(id, name, sizeof(name));
    g.fd = openat(s->dir_fd, name, O_RDWR | O_CLOEXEC);
    struct stat sb;
    if (g.fd < 0 || fstat(g.fd, &sb) < 0) {
        int r = -errno;
        if (g.fd >= 0) {
            close(g.fd);
        }
        return r;
    }
    g.cap = (uint64_t)sb.st_size;
    uint64_t first_live = UINT64_MAX;
    bool damaged = false;
    while (g.end + HDR <= g.cap) {
        uint8_t hdr[HDR] = {0};
        struct record rec;
        if (pread_all(g.fd, hdr, HDR, g.end) < 0 || decode_header(hdr, g.end, g.cap, &rec) < 0 ||
            rec.seq <= *last_seq || grow(&s->rbuf, &s->rbuf_cap, rec.len) < 0 ||
            pread_all(g.fd, s->rbuf, rec.len, g.end + HDR) < 0 ||
            record_sum(hdr, s->rbuf, rec.len) != rec.sum) {
            uint32_t magic = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                             (uint32_t)hdr[3] << 24;
            damaged = magic != 0; /* zeros: the unwritten rest of the segment */
            break;
        }
        *last_seq = rec.seq;
        if (rec.seq > s->done_seq) {
            if (first_live == UINT64_MAX) {
                first_live = g.end;
            }
            g.n++;
            g.bytes += HDR + rec.len;
        }
        g.end += HDR + rec.len;
    }
    if (damaged) {
        st_log_warning("spool: %s/%s: %s at offset %" PRIu64 "; %" PRIu64 " batches before it kept",
                       s->dir, name, last ? "torn tail (a crash during an append)" : "damage",
                       g.end, g.n);
    }
    if (g.n == 0 && !last) {
        close(g.fd);
        unlinkat(s->dir_fd, name, 0);
        return 0;
    }
    int r = seg_append_entry(s, &g);
    if (r < 0) {
        close(g.fd);
        return r;
    }
    s->count += g.n;
    s->bytes += g.bytes;
    if (s->count == g.n) {
        /* The first segment kept holds the head (or, with nothing left to send, its end). */
        s->head_off = first_live != UINT64_MAX ? first_live : g.end;
    }
    return 0;
}

static void import_v0_batches(struct st_spool *s);

int st_spool_open(const char *dir, uint64_t max_bytes, bool sync, struct st_spool **ret,
                  struct st_error *err)
{
    struct st_spool *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "spool: out of memory");
    }
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->max_bytes = max_bytes;
    s->seg_size = max_bytes / 16;
    s->seg_size = s->seg_size < SEG_MIN ? SEG_MIN : s->seg_size > SEG_MAX ? SEG_MAX : s->seg_size;
    s->seg_size = (s->seg_size + 4095) / 4096 * 4096;
    s->sync = sync;
    s->cur_fd = -1;
    s->drop_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    int r = mkdir_p(dir);
    if (r == 0) {
        s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = s->dir_fd < 0 ? -errno : 0;
    } else {
        s->dir_fd = -1;
    }
    if (r == 0) {
        s->cur_fd = openat(s->dir_fd, "cursor", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
        r = s->cur_fd < 0 ? -errno : 0;
    }
    uint64_t *ids = NULL;
    size_t n = 0;
    if (r == 0) {
        s->done_seq = read_cursor(s->cur_fd);
        r = list_segments(s, &ids, &n);
    }
    uint64_t last_seq = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = scan_segment(s, ids[i], i + 1 == n, &last_seq);
    }
    st_free(ids);
    if (r < 0) {
        st_spool_free(s);
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "spool: cannot open %s: %s", dir,
                            strerror(-r));
    }
    s->next_seq = (last_seq > s->done_seq ? last_seq : s->done_seq) + 1;
    if (s->nsegs && s->segs[s->nsegs - 1].id > s->next_seq) {
        s->next_seq = s->segs[s->nsegs - 1].id; /* an empty tail: its first record comes next */
    }
    if (s->count == 0) {
        s->done_seq = s->next_seq - 1;
    }
    trim_head(s);
    import_v0_batches(s);
    if (s->rbuf_cap > KEEP_MAX) {
        st_free(s->rbuf);
        s->rbuf = NULL;
        s->rbuf_cap = 0;
    }
    *ret = s;
    return 0;
}

int st_spool_sync(struct st_spool *s)
{
    if (!s->unsynced || s->nsegs == 0) {
        return 0;
    }
    if (s->sync && fdatasync(s->segs[s->nsegs - 1].fd) < 0) {
        return -errno;
    }
    s->unsynced = false;
    s->stats.syncs++;
    return 0;
}

void st_spool_free(struct st_spool *s)
{
    if (!s) {
        return;
    }
    if (s->count > 0 && st_spool_sync(s) < 0) {
        st_log_warning("spool: %s: cannot sync the batches left to send: %s", s->dir,
                       strerror(errno));
    }
    for (size_t i = 0; i < s->nsegs; i++) {
        close(s->segs[i].fd);
    }
    if (s->cur_fd >= 0) {
        close(s->cur_fd);
    }
    if (s->dir_fd >= 0) {
        close(s->dir_fd);
    }
    st_free(s->segs);
    st_free(s->rbuf);
    st_free(s->cache);
    st_free(s);
}

int st_spool_push(struct st_spool *s, const uint8_t *batch, size_t len)
{
    if (len == 0 || len > REC_MAX) {
        return -EINVAL;
    }
    uint64_t rec = HDR + len;
    struct seg *g = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;
    if (g && g->end == 0 && g->cap < rec) {
        seg_remove(s, s->nsegs - 1); /* an empty tail too small: its name is the new one's */
        g = NULL;
    }
    if (!g || g->end + rec > g->cap) {
        int r = st_spool_sync(s); /* the old tail's appends, before it stops being the tail */
        if (r < 0) {
            return r;
        }
        r = seg_create(s, rec);
        if (r < 0) {
            return r;
        }
        trim_head(s); /* the old tail, if everything in it was sent */
        g = &s->segs[s->nsegs - 1];
        if (s->count == 0) {
            s->head_off = 0;
        }
    }
    uint8_t hdr[HDR];
    uint64_t sum = encode_header(hdr, (uint32_t)len, s->next_seq, batch);
    struct iovec iov[2] = {{hdr, HDR}, {(void *)batch, len}};
    ssize_t w = pwritev(g->fd, iov, 2, (off_t)g->end);
    int r = w < 0 ? -errno : 0;
    if (r == 0 && (uint64_t)w < rec) { /* a short write: finish it part by part */
        uint64_t done = (uint64_t)w;
        if (done < HDR) {
            r = pwrite_all(g->fd, hdr + done, HDR - done, g->end + done);
            done = HDR;
        }
        if (r == 0) {
            r = pwrite_all(g->fd, batch + (done - HDR), len - (done - HDR), g->end + done);
        }
    }
    if (r < 0) {
        return r; /* not counted: the next append overwrites what reached the file */
    }
    s->unsynced = true;
    if (s->count > 0 && (r = st_spool_sync(s)) < 0) {
        return r; /* behind others, it waits: durable now, or not at all */
    }
    if (len <= KEEP_MAX && grow(&s->cache, &s->cache_cap, len) == 0) {
        memcpy(s->cache, batch, len);
        s->cache_valid = true;
        s->cache_seg = g->id;
        s->cache_off = g->end;
        s->cache_rec = (struct record){len, s->next_seq, sum};
    } else {
        s->cache_valid = false;
    }
    g->end += rec;
    g->n++;
    g->bytes += rec;
    s->count++;
    s->bytes += rec;
    s->next_seq++;
    s->stats.written++;
    /* Keep the newest: past the bound, the oldest batches go (never the one just written). */
    uint64_t dropped = 0;
    while (s->bytes > s->max_bytes && s->count > 1) {
        drop_head(s);
        dropped++;
    }
    if (dropped) {
        write_cursor(s);
        s->stats.dropped_full += dropped;
        if (st_ratelimit_allow(&s->drop_rl)) {
            st_log_warning("spool: over %" PRIu64 " bytes, dropped the %" PRIu64
                           " oldest batches (%" PRIu64 " in all)",
                           s->max_bytes, dropped, s->stats.dropped_full);
        }
    }
    return 0;
}

/*
 * The spool before segments (main from 2026-11-23 to 2026-12-03, never in a tagged release) kept
 * each sealed batch in a file of its own, `%016x.batch` named by its sequence number, holding
 * the PutMetricData body as it is sent (the same bytes a record holds), written to `.tmp` and
 * renamed once synced. Those files are taken over here in name order, appended as records after
 * anything already in the segments, and deleted once the record is durable; `.batch.tmp` files
 * were never sealed and go, as the old spool deleted them. A crash between an append and the
 * unlink imports that batch again at the next start (one duplicate, never a loss). A batch that
 * cannot be appended (disk full) stays where it is for the next start.
 */
#define V0_NAME_LEN 22 /* 16 hex digits + ".batch" */

static bool v0_name(const char *name, uint64_t *ret_seq)
{
    size_t n = strlen(name);
    bool tmp = n == V0_NAME_LEN + 4 && strcmp(name + V0_NAME_LEN, ".tmp") == 0;
    if ((n != V0_NAME_LEN && !tmp) || strncmp(name + 16, ".batch", 6) != 0) {
        return false;
    }
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    *ret_seq = tmp ? UINT64_MAX : strtoull(name, NULL, 16);
    return true;
}

static void import_v0_batches(struct st_spool *s)
{
    int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t seq;
        if (!v0_name(e->d_name, &seq)) {
            continue;
        }
        if (seq == UINT64_MAX) {
            unlinkat(s->dir_fd, e->d_name, 0);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *ns = cap <= MAX_SEGS ? st_realloc(seqs, cap * sizeof(*ns)) : NULL;
            if (!ns) {
                break; /* the rest waits for the next start */
            }
            seqs = ns;
        }
        seqs[n++] = seq;
    }
    closedir(d);
    if (n > 1) {
        qsort(seqs, n, sizeof(*seqs), cmp_u64);
    }
    uint64_t imported = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        char name[V0_NAME_LEN + 1];
        snprintf(name, sizeof(name), "%016" PRIx64 ".batch", seqs[i]);
        int bfd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (bfd < 0 || fstat(bfd, &sb) < 0) {
            if (bfd >= 0) {
                close(bfd);
            }
            continue;
        }
        size_t len = (size_t)sb.st_size;
        int r = len == 0 || len > REC_MAX ? -EBADMSG : grow(&s->rbuf, &s->rbuf_cap, len);
        if (r == 0) {
            r = pread_all(bfd, s->rbuf, len, 0);
        }
        close(bfd);
        if (r == -EBADMSG || r == -EIO) {
            bad++; /* empty or too long: not a batch the old spool could have sealed */
            unlinkat(s->dir_fd, name, 0);
            continue;
        }
        if (r == 0 && (r = st_spool_push(s, s->rbuf, len)) == 0) {
            r = st_spool_sync(s); /* durable before its old file goes */
        }
        if (r < 0) {
            st_log_error("spool: cannot import %s/%s: %s; it stays for the next start", s->dir,
                         name, strerror(-r));
            break;
        }
        unlinkat(s->dir_fd, name, 0);
        imported++;
    }
    st_free(seqs);
    if (imported || bad) {
        fsync(s->dir_fd);
        s->stats.dropped_corrupt += bad;
        st_log_info("spool: imported %" PRIu64 " batches of the per-file spool from %s (%" PRIu64
                    " unreadable ones dropped)",
                    imported, s->dir, bad);
    }
}

int st_spool_peek(struct st_spool *s, const uint8_t **ret_buf, size_t *ret_len)
{
    int r = load_head(s);
    if (r < 0) {
        return r;
    }
    const struct seg *g = &s->segs[0];
    if (s->cache_valid && s->cache_seg == g->id && s->cache_off == s->head_off) {
        *ret_buf = s->cache;
        *ret_len = s->cache_rec.len;
        return 0;
    }
    uint8_t hdr[HDR];
    if ((r = grow(&s->rbuf, &s->rbuf_cap, s->head_rec.len)) < 0 ||
        (r = pread_all(g->fd, hdr, HDR, s->head_off)) < 0 ||
        (r = pread_all(g->fd, s->rbuf, s->head_rec.len, s->head_off + HDR)) < 0) {
        return r;
    }
    if (record_sum(hdr, s->rbuf, s->head_rec.len) != s->head_rec.sum) {
        return -EBADMSG;
    }
    *ret_buf = s->rbuf;
    *ret_len = s->head_rec.len;
    return 0;
}

void st_spool_pop(struct st_spool *s, bool rejected)
{
    if (s->count == 0) {
        return;
    }
    drop_head(s);
    write_cursor(s);
    if (rejected) {
        s->stats.dropped_rejected++;
    } else {
        s->stats.sent++;
    }
    if (s->rbuf_cap > KEEP_MAX) {
        st_free(s->rbuf);
        s->rbuf = NULL;
        s->rbuf_cap = 0;
    }
}

size_t st_spool_count(const struct st_spool *s)
{
    return s->count;
}

void st_spool_get_stats(const struct st_spool *s, struct st_spool_stats *ret)
{
    *ret = s->stats;
    ret->batches = s->count;
    ret->bytes = s->bytes;
    ret->segments = s->nsegs;
}
