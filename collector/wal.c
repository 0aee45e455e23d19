/* SPDX-License-Identifier: MIT */
/*
 * Write-ahead log with group commit (see wal.h). Threads: the loop thread appends to `pending`
 * and consumes `done`; the WAL thread moves records from `pending` through the file to `done`.
 * Lock order: only one of `lock` (pending, segments, stop flag) and `done_lock` is held at a
 * time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>
#include <xxhash.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "wal.h"

#define WAL_MAGIC 0x52575453u /* "STWR" little-endian */

struct wal_rec {
    struct wal_rec *next;
    uint64_t lsn;
    int64_t arrival_ms;
    uint8_t type;
    uint8_t *payload;
    size_t len;
    st_wal_done_fn cb;
    void *data;
    int status;
    uint8_t hdr[ST_WAL_RECORD_HEADER_BYTES];
};

struct rec_queue {
    struct wal_rec *head, *tail;
};

struct st_wal {
    char *dir;
    size_t segment_bytes;
    bool fsync;
    struct event_base *base;
    struct event *done_ev;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct rec_queue pending;
    bool stop;
    uint64_t truncate_before; /* requested by the loop */
    uint64_t next_lsn;        /* loop thread only */
    int failed;               /* sticky write error (negative errno) */

    pthread_mutex_t done_lock;
    struct rec_queue done;

    /* WAL thread state */
    int fd;
    size_t seg_size;
    int64_t w1, w60; /* watermarks as of the last record written */
    uint64_t *segs;  /* first LSNs of segment files, ascending; last is current */
    size_t n_segs, cap_segs;

    pthread_mutex_t stats_lock;
    struct st_wal_stats stats;
};

static void queue_push(struct rec_queue *q, struct wal_rec *r)
{
    r->next = NULL;
    if (q->tail) {
        q->tail->next = r;
    } else {
        q->head = r;
    }
    q->tail = r;
}

static struct wal_rec *queue_take_all(struct rec_queue *q)
{
    struct wal_rec *h = q->head;
    q->head = q->tail = NULL;
    return h;
}

static uint64_t record_sum(uint64_t lsn, int64_t arrival_ms, uint8_t type, const uint8_t *payload,
                           size_t len)
{
    uint8_t meta[17];
    st_put_le64(meta, lsn);
    st_put_le64(meta + 8, (uint64_t)arrival_ms);
    meta[16] = type;
    return XXH3_64bits_withSeed(payload, len, XXH3_64bits(meta, sizeof(meta)));
}

static void encode_header(struct wal_rec *r)
{
    uint8_t *h = r->hdr;
    memset(h, 0, sizeof(r->hdr));
    st_put_le32(h, WAL_MAGIC);
    st_put_le32(h + 4, (uint32_t)r->len);
    st_put_le64(h + 8, r->lsn);
    st_put_le64(h + 16, (uint64_t)r->arrival_ms);
    h[24] = r->type;
    st_put_le64(h + 28, record_sum(r->lsn, r->arrival_ms, r->type, r->payload, r->len));
}

/* Reads the two watermarks of a HEADER or MARKER payload. */
int st_wal_parse_watermarks(const uint8_t *payload, size_t len, int64_t *ret_w1, int64_t *ret_w60)
{
    struct st_cursor c;
    uint64_t w1, w60;
    st_cursor_init(&c, payload, len);
    if (st_cursor_le64(&c, &w1) < 0 || st_cursor_le64(&c, &w60) < 0 || st_cursor_left(&c) != 0) {
        return -EBADMSG;
    }
    *ret_w1 = (int64_t)w1;
    *ret_w60 = (int64_t)w60;
    return 0;
}

static void seg_path(const char *dir, uint64_t first_lsn, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%016" PRIx64 ".wal", dir, first_lsn);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* WAL thread: opens a segment starting at first_lsn and writes its HEADER record. */
static int open_segment(struct st_wal *w, uint64_t first_lsn)
{
    char path[PATH_MAX];
    seg_path(w->dir, first_lsn, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        return -errno;
    }
    uint8_t payload[16];
    st_put_le64(payload, (uint64_t)w->w1);
    st_put_le64(payload + 8, (uint64_t)w->w60);
    struct wal_rec hdr = {.lsn = first_lsn, .type = ST_WAL_HEADER, .payload = payload, .len = 16};
    encode_header(&hdr);
    struct iovec iov[2] = {{hdr.hdr, sizeof(hdr.hdr)}, {payload, sizeof(payload)}};
    int r = write_all(fd, iov, 2);
    if (r == 0 && w->fsync) {
        r = fsync_dir(w->dir);
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    if (w->n_segs == w->cap_segs) {
        size_t cap = w->cap_segs ? w->cap_segs * 2 : 16;
        uint64_t *segs = st_realloc(w->segs, cap * sizeof(*segs));
        if (!segs) {
            close(fd);
            return -ENOMEM;
        }
        w->segs = segs;
        w->cap_segs = cap;
    }
    w->segs[w->n_segs++] = first_lsn;
    if (w->fd >= 0) {
        close(w->fd);
    }
    w->fd = fd;
    w->seg_size = ST_WAL_RECORD_HEADER_BYTES + sizeof(payload);
    return 0;
}

static void delete_segments(struct st_wal *w, uint64_t before)
{
    /* Segment i holds LSNs [segs[i], segs[i+1]); never delete the current one. */
    size_t n = 0;
    while (n + 1 < w->n_segs && w->segs[n + 1] <= before) {
        char path[PATH_MAX];
        seg_path(w->dir, w->segs[n], path, sizeof(path));
        unlink(path);
        n++;
    }
    if (n) {
        memmove(w->segs, w->segs + n, (w->n_segs - n) * sizeof(*w->segs));
        w->n_segs -= n;
        pthread_mutex_lock(&w->stats_lock);
        w->stats.segments_deleted += n;
        pthread_mutex_unlock(&w->stats_lock);
    }
}

/* WAL thread: writes a batch, syncs once, returns the status for all of its records. */
static int write_batch(struct st_wal *w, struct wal_rec *batch)
{
    enum { MAX_IOV = 512 };
    struct iovec iov[MAX_IOV];
    int n = 0, r = 0;
    uint64_t bytes = 0, records = 0;
    for (struct wal_rec *rec = batch; rec; rec = rec->next) {
        if (w->seg_size >= w->segment_bytes) {
            if (n > 0 && (r = write_all(w->fd, iov, n)) < 0) {
                return r;
            }
            n = 0;
            if (w->fsync && fdatasync(w->fd) < 0) {
                return -errno;
            }
            if ((r = open_segment(w, rec->lsn)) < 0) {
                return r;
            }
        }
        if (n + 2 > MAX_IOV) {
            if ((r = write_all(w->fd, iov, n)) < 0) {
                return r;
            }
            n = 0;
        }
        encode_header(rec);
        iov[n++] = (struct iovec){rec->hdr, sizeof(rec->hdr)};
        if (rec->len) {
            iov[n++] = (struct iovec){rec->payload, rec->len};
        }
        w->seg_size += sizeof(rec->hdr) + rec->len;
        bytes += sizeof(rec->hdr) + rec->len;
        records++;
        if (rec->type == ST_WAL_MARKER) {
            st_wal_parse_watermarks(rec->payload, rec->len, &w->w1, &w->w60);
        }
    }
    if (n > 0 && (r = write_all(w->fd, iov, n)) < 0) {
        return r;
    }
    if (w->fsync && fdatasync(w->fd) < 0) {
        return -errno;
    }
    pthread_mutex_lock(&w->stats_lock);
    w->stats.records += records;
    w->stats.bytes += bytes;
    w->stats.syncs++;
    pthread_mutex_unlock(&w->stats_lock);
    return 0;
}

static void *wal_thread(void *arg)
{
    struct st_wal *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->pending.head && !w->stop && !w->truncate_before) {
            pthread_cond_wait(&w->cond, &w->lock);
        }
        struct wal_rec *batch = queue_take_all(&w->pending);
        bool stop = w->stop;
        uint64_t truncate = w->truncate_before;
        w->truncate_before = 0;
        int failed = w->failed;
        pthread_mutex_unlock(&w->lock);

        /* Truncate first: a record appended after the request then completes after it. */
        if (truncate) {
            delete_segments(w, truncate);
        }
        if (batch) {
            int r = failed ? failed : write_batch(w, batch);
            if (r < 0 && !failed) {
                pthread_mutex_lock(&w->lock);
                w->failed = r;
                pthread_mutex_unlock(&w->lock);
            }
            for (struct wal_rec *rec = batch; rec; rec = rec->next) {
                rec->status = r;
            }
            pthread_mutex_lock(&w->done_lock);
            for (struct wal_rec *rec = batch, *next; rec; rec = next) {
                next = rec->next;
                queue_push(&w->done, rec);
            }
            pthread_mutex_unlock(&w->done_lock);
            event_active(w->done_ev, EV_READ, 0);
        }
        if (stop && !batch) {
            break;
        }
    }
    return NULL;
}

static void run_done(struct st_wal *w)
{
    pthread_mutex_lock(&w->done_lock);
    struct wal_rec *list = queue_take_all(&w->done);
    pthread_mutex_unlock(&w->done_lock);
    for (struct wal_rec *rec = list, *next; rec; rec = next) {
        next = rec->next;
        if (rec->cb) {
            rec->cb(rec->lsn, rec->status, rec->data);
        }
        st_free(rec->payload);
        st_free(rec);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_done(arg);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists the segment files of dir, sorted by first LSN. The caller frees *ret. */
static int list_segments(const char *dir, uint64_t **ret, size_t *ret_n)
{
    DIR *d = opendir(dir);
    if (!d) {
        return -errno;
    }
    uint64_t *segs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int r = 0;
    while ((e = readdir(d))) {
        char *end;
        size_t len = strlen(e->d_name);
        if (len != 20 || strcmp(e->d_name + 16, ".wal") != 0) {
            continue;
        }
        errno = 0;
        uint64_t lsn = strtoull(e->d_name, &end, 16);
        if (errno || end != e->d_name + 16) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *ns = st_realloc(segs, cap * sizeof(*segs));
            if (!ns) {
                r = -ENOMEM;
                break;
            }
            segs = ns;
        }
        segs[n++] = lsn;
    }
    closedir(d);
    if (r < 0) {
        st_free(segs);
        return r;
    }
    if (n > 1) {
        qsort(segs, n, sizeof(*segs), cmp_u64);
    }
    *ret = segs;
    *ret_n = n;
    return 0;
}

void st_wal_free(struct st_wal *w)
{
    if (!w) {
        return;
    }
    if (w->thread_started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        run_done(w);
    }
    if (w->done_ev) {
        event_free(w->done_ev);
    }
    if (w->fd >= 0) {
        close(w->fd);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->done_lock);
    pthread_mutex_destroy(&w->stats_lock);
    st_free(w->segs);
    st_free(w->dir);
    st_free(w);
}

int st_wal_open(struct event_base *base, const struct st_wal_opts *opts, uint64_t next_lsn,
                struct st_wal **ret, struct st_error *err)
{
    struct st_wal *w = st_calloc(1, sizeof(*w));
    if (!w) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "wal: out of memory");
    }
    w->fd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_mutex_init(&w->done_lock, NULL);
    pthread_mutex_init(&w->stats_lock, NULL);
    w->dir = st_strdup(opts->dir);
    w->segment_bytes = opts->segment_bytes ? opts->segment_bytes : 64u * 1024 * 1024;
    w->fsync = opts->fsync;
    w->base = base;
    w->next_lsn = next_lsn;
    w->w1 = opts->w1;
    w->w60 = opts->w60;
    int r;
    if (!w->dir) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "wal: out of memory");
        goto fail;
    }
    w->done_ev = event_new(base, -1, 0, on_done, w);
    if (!w->done_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "wal: out of memory");
        goto fail;
    }
    if ((r = list_segments(w->dir, &w->segs, &w->n_segs)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot list %s: %s", w->dir,
                     strerror(-r));
        goto fail;
    }
    w->cap_segs = w->n_segs;
    if (w->n_segs && w->segs[w->n_segs - 1] == next_lsn) {
        /* The newest segment holds no record (else next_lsn would be past it): reuse it. */
        w->n_segs--;
    }
    if (w->n_segs && w->segs[w->n_segs - 1] >= next_lsn) {
        r = st_error_set(err, -EEXIST, ST_ERR_INTERNAL_FAILURE,
                         "wal: segment %016" PRIx64 " is not older than LSN %" PRIu64,
                         w->segs[w->n_segs - 1], next_lsn);
        goto fail;
    }
    if ((r = open_segment(w, next_lsn)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot create a segment in %s: %s",
                     w->dir, strerror(-r));
        goto fail;
    }
    if ((r = -pthread_create(&w->thread, NULL, wal_thread, w)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot start thread");
        goto fail;
    }
    w->thread_started = true;
    *ret = w;
    return 0;
fail:
    st_wal_free(w);
    return r;
}

int st_wal_append(struct st_wal *w, enum st_wal_type type, int64_t arrival_ms, uint8_t *payload,
                  size_t len, st_wal_done_fn cb, void *data, uint64_t *ret_lsn)
{
    if (len > ST_WAL_MAX_PAYLOAD) {
        st_free(payload);
        return -EMSGSIZE;
    }
    struct wal_rec *rec = st_calloc(1, sizeof(*rec));
    if (!rec) {
        st_free(payload);
        return -ENOMEM;
    }
    rec->type = (uint8_t)type;
    rec->arrival_ms = arrival_ms;
    rec->payload = payload;
    rec->len = len;
    rec->cb = cb;
    rec->data = data;
    pthread_mutex_lock(&w->lock);
    int failed = w->failed;
    if (!failed) {
        rec->lsn = w->next_lsn++;
        queue_push(&w->pending, rec);
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    if (failed) {
        st_free(payload);
        st_free(rec);
        return -EIO;
    }
    if (ret_lsn) {
        *ret_lsn = rec->lsn;
    }
    return 0;
}

void st_wal_truncate_before(struct st_wal *w, uint64_t lsn)
{
    pthread_mutex_lock(&w->lock);
    w->truncate_before = lsn;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void st_wal_get_stats(struct st_wal *w, struct st_wal_stats *ret)
{
    pthread_mutex_lock(&w->stats_lock);
    *ret = w->stats;
    pthread_mutex_unlock(&w->stats_lock);
}

int st_wal_parse(const uint8_t *buf, size_t size, st_wal_replay_fn fn, void *data,
                 uint64_t *next_lsn, size_t *ret_good)
{
    struct st_cursor c;
    st_cursor_init(&c, buf, size);
    *ret_good = 0;
    while (st_cursor_left(&c) > 0) {
        uint32_t magic, len;
        uint64_t lsn, arrival, sum;
        uint8_t type;
        const uint8_t *skip, *payload;
        if (st_cursor_le32(&c, &magic) < 0 || magic != WAL_MAGIC || st_cursor_le32(&c, &len) < 0 ||
            len > ST_WAL_MAX_PAYLOAD || st_cursor_le64(&c, &lsn) < 0 ||
            st_cursor_le64(&c, &arrival) < 0 || st_cursor_u8(&c, &type) < 0 ||
            st_cursor_take(&c, 3, &skip) < 0 || st_cursor_le64(&c, &sum) < 0 ||
            st_cursor_take(&c, 4, &skip) < 0 || st_cursor_take(&c, len, &payload) < 0) {
            return -EBADMSG;
        }
        if (sum != record_sum(lsn, (int64_t)arrival, type, payload, len) || type < ST_WAL_HEADER ||
            type > ST_WAL_MARKER) {
            return -EBADMSG;
        }
        if (type != ST_WAL_HEADER) {
            if (lsn < *next_lsn) {
                return -EBADMSG;
            }
            *next_lsn = lsn + 1;
        }
        int r = fn(lsn, (enum st_wal_type)type, (int64_t)arrival, payload, len, data);
        if (r < 0) {
            return r;
        }
        *ret_good = (size_t)(c.pos - buf);
    }
    return 0;
}

/* Reads a whole file into memory. */
static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *buf = st_malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    *ret = buf;
    *ret_len = got;
    return 0;
}

int st_wal_replay(const char *dir, st_wal_replay_fn fn, void *data, uint64_t *ret_next_lsn,
                  struct st_error *err)
{
    uint64_t *segs;
    size_t n;
    int r = list_segments(dir, &segs, &n);
    if (r < 0) {
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot list %s: %s", dir,
                            strerror(-r));
    }
    uint64_t next_lsn = 1;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        seg_path(dir, segs[i], path, sizeof(path));
        if (segs[i] > next_lsn) {
            next_lsn = segs[i];
        }
        uint8_t *buf = NULL;
        size_t len = 0, good = 0;
        if ((r = read_file(path, &buf, &len)) < 0) {
            st_free(segs);
            return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot read %s: %s", path,
                                strerror(-r));
        }
        r = st_wal_parse(buf, len, fn, data, &next_lsn, &good);
        st_free(buf);
        if (r == -EBADMSG) {
            if (i + 1 < n) {
                st_free(segs);
                return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE,
                                    "wal: corrupt record at offset %zu of %s, which is not the "
                                    "newest segment; refusing to start",
                                    good, path);
            }
            /* The torn tail of a crash: cut it off so new segments follow a clean log. */
            if (truncate(path, (off_t)good) < 0) {
                r = -errno;
                st_free(segs);
                return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: cannot truncate %s",
                                    path);
            }
        } else if (r < 0) {
            st_free(segs);
            return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "wal: replay of %s failed: %s",
                                path, strerror(-r));
        }
    }
    st_free(segs);
    *ret_next_lsn = next_lsn;
    return 0;
}
