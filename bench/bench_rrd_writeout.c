/* SPDX-License-Identifier: MIT */
/*
 * bench_rrd_writeout: how fast the collector's store (collector/store.c) gets metric rows into
 * RRD files, against rrdcached writing the same rows into identically laid-out files, in the
 * same run. For each series count N it feeds 4 + 6 M minutes of D datums per series through the
 * real hot window (st_hot_apply_put, untimed), then times the store thread from st_store_submit
 * to the done callback for the jobs that WAL MARKERs make: one job per minute holding N buckets,
 * each waited for (what the collector's tick does for the 60 s tier), one job closing M minutes
 * (a marker after a stall, or at replay), and M per-minute jobs queued together (a backlog),
 * with sync=true (syncfs before the SQLite commit, as in production) and sync=false. Phase 0,
 * the first job (lazy file creation, zero-fill and first row, index rows), is timed apart. The
 * rrdcached side runs a child `rrdcached -g` without journal, creates the same files through it
 * with the store's create arguments and sends the store's exact update strings with
 * rrdc_update, one call per series and minute; FLUSHALL (sent on a socket of our own: librrd
 * 1.7.2 does not export rrdc_flushall) only starts the writes, so its clock stops when the
 * daemon's DataSetsWritten counter shows every value in the files. The sides run one after the
 * other, each deleting its files first (10k files take 25 GB). The store's librrd, SQLite and
 * syncfs calls link through -Wl,--wrap wrappers that time them, for the breakdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <rrd.h>
#include <rrd_client.h>
#include <sqlite3.h>

#include "collector_fixtures.h"
#include "hot_window.h"
#include "store.h"
#include "stratus/time_util.h"

#define RRD_FILE_BYTES 2554608ULL /* the store's 60 s layout, see store.h */
#define MAX_SIZES      8

extern char **environ;

/* Time spent in the calls the store makes, summed by the --wrap wrappers below. */
struct call_time {
    uint64_t calls, ns;
};

struct store_probe {
    struct call_time update, create, last, syncfs, sqlite;
};

/* Written by the store thread only, read by main after a job's done callback (ordered by the
 * store's done_lock). */
static struct store_probe probe;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void probe_add(struct call_time *c, uint64_t start_ns)
{
    c->calls++;
    c->ns += mono_ns() - start_ns;
}

int __real_rrd_updatex_r(const char *filename, const char *tmplt, int extra_flags, int argc,
                         const char **argv);
int __wrap_rrd_updatex_r(const char *filename, const char *tmplt, int extra_flags, int argc,
                         const char **argv);
int __real_rrd_create_r2(const char *filename, unsigned long pdp_step, time_t last_up,
                         int no_overwrite, const char **sources, const char *tmplt, int argc,
                         const char **argv);
int __wrap_rrd_create_r2(const char *filename, unsigned long pdp_step, time_t last_up,
                         int no_overwrite, const char **sources, const char *tmplt, int argc,
                         const char **argv);
time_t __real_rrd_last_r(const char *filename);
time_t __wrap_rrd_last_r(const char *filename);
int __real_syncfs(int fd);
int __wrap_syncfs(int fd);
int __real_sqlite3_step(sqlite3_stmt *stmt);
int __wrap_sqlite3_step(sqlite3_stmt *stmt);
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *data, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *data, char **errmsg);

int __wrap_rrd_updatex_r(const char *filename, const char *tmplt, int extra_flags, int argc,
                         const char **argv)
{
    uint64_t t = mono_ns();
    int r = __real_rrd_updatex_r(filename, tmplt, extra_flags, argc, argv);
    probe_add(&probe.update, t);
    return r;
}

int __wrap_rrd_create_r2(const char *filename, unsigned long pdp_step, time_t last_up,
                         int no_overwrite, const char **sources, const char *tmplt, int argc,
                         const char **argv)
{
    uint64_t t = mono_ns();
    int r =
        __real_rrd_create_r2(filename, pdp_step, last_up, no_overwrite, sources, tmplt, argc, argv);
    probe_add(&probe.create, t);
    return r;
}

time_t __wrap_rrd_last_r(const char *filename)
{
    uint64_t t = mono_ns();
    time_t r = __real_rrd_last_r(filename);
    probe_add(&probe.last, t);
    return r;
}

int __wrap_syncfs(int fd)
{
    uint64_t t = mono_ns();
    int r = __real_syncfs(fd);
    probe_add(&probe.syncfs, t);
    return r;
}

int __wrap_sqlite3_step(sqlite3_stmt *stmt)
{
    uint64_t t = mono_ns();
    int r = __real_sqlite3_step(stmt);
    probe_add(&probe.sqlite, t);
    return r;
}

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *data, char **errmsg)
{
    uint64_t t = mono_ns();
    int r = __real_sqlite3_exec(db, sql, cb, data, errmsg);
    probe_add(&probe.sqlite, t);
    return r;
}

struct opts {
    size_t sizes[MAX_SIZES];
    size_t n_sizes;
    int minutes;
    int datums;
    int rrdc_threads; /* 0: rrdcached's default (4) */
    bool rrdc_journal;
    bool run_stratus, run_rrdc;
    bool rrdc_first;
    const char *tmp;
    const char *rrdcached;
    size_t sample;
};

/*
 * The run is a sequence of steps over consecutive minutes, the same on both sides. Stratus
 * reopens its store when `stratus_sync` changes (and then spends an untimed warm-up minute,
 * because the first job after an open reads rrd_last of every file).
 */
enum stratus_mode {
    STRATUS_PER_MINUTE, /* a marker per minute, each job waited for (the collector's tick) */
    STRATUS_ONE_JOB,    /* one marker closing every minute of the step */
    STRATUS_QUEUED,     /* a marker per minute, all jobs submitted before waiting (a backlog) */
};

enum rrdc_mode {
    RRDC_CACHED,     /* every minute sent, then one FLUSHALL (rrdcached's normal use) */
    RRDC_PER_MINUTE, /* FLUSHALL and wait after every minute: one rrd_update per row */
};

struct step {
    const char *name;
    bool phase0, timed;
    int minutes; /* 0: opts->minutes */
    bool stratus_sync;
    enum stratus_mode stratus_mode;
    enum rrdc_mode rrdc_mode;
    bool rrdc_sync; /* syncfs after the flush (per minute, or at the end when cached) */
};

static const struct step plan[] = {
    {"phase0", true, true, 1, true, STRATUS_PER_MINUTE, RRDC_CACHED, false},
    {"warm-up", false, false, 1, true, STRATUS_PER_MINUTE, RRDC_CACHED, false},
    {"A", false, true, 0, true, STRATUS_PER_MINUTE, RRDC_CACHED, false},
    {"B", false, true, 0, true, STRATUS_ONE_JOB, RRDC_CACHED, true},
    {"warm-up", false, false, 1, false, STRATUS_PER_MINUTE, RRDC_CACHED, false},
    {"C", false, true, 0, false, STRATUS_PER_MINUTE, RRDC_PER_MINUTE, false},
    {"D", false, true, 0, false, STRATUS_ONE_JOB, RRDC_CACHED, false},
    {"warm-up", false, false, 1, true, STRATUS_PER_MINUTE, RRDC_CACHED, false},
    {"E", false, true, 0, true, STRATUS_PER_MINUTE, RRDC_PER_MINUTE, true},
    {"F", false, true, 0, true, STRATUS_QUEUED, RRDC_CACHED, true},
};
#define N_STEPS (sizeof(plan) / sizeof(plan[0]))

static int step_minutes(const struct step *s, const struct opts *o)
{
    return s->minutes ? s->minutes : o->minutes;
}

struct step_result {
    uint64_t ns;          /* wall time of the step */
    uint64_t send_ns;     /* rrdcached: the rrdc_update calls */
    uint64_t sync_ns;     /* rrdcached: the bench's syncfs */
    uint64_t create_ns;   /* phase 0: file creation */
    uint64_t rows;        /* bucket rows written (RRD rows of the 60 s RRA) */
    uint64_t values;      /* update strings (rows plus zero-fills) */
    uint64_t rrd_calls;   /* rrd_update calls that wrote them */
    struct store_probe p; /* stratus: where the store thread's time went */
};

struct side_result {
    struct step_result steps[N_STEPS];
    uint64_t file_bytes, file_blocks_bytes; /* one 60 s RRD file */
    uint64_t index_bytes;                   /* stratus: index.db with its -wal */
    uint64_t digest;                        /* of the sample files' contents */
    uint64_t idle_jobs, idle_ns;            /* stratus: jobs of per-second markers, no buckets */
    struct store_probe idle_p;
    bool ran;
};

struct bench {
    const struct opts *o;
    size_t n;
    int total_minutes;
    int64_t t0; /* start of minute 0, seconds */
    uint64_t *ids;
    char **upd; /* [(i * total_minutes + minute) * 2 + k]: the store's update strings */
    struct event_base *base;
    struct event *keepalive;
    struct st_hot hot;
    struct st_store *store;
    uint64_t lsn;
    char tmp[256]; /* the current side's directory */
    int tmp_fd;
};

static int die_errno(const char *what, int r)
{
    fprintf(stderr, "bench_rrd_writeout: %s: %s\n", what, strerror(-r));
    return r;
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
    if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* The store's number format (store.c fmt_num), so both sides send byte-identical strings. */
static void fmt_num(char *buf, size_t len, double v)
{
    if (isfinite(v)) {
        snprintf(buf, len, "%.17g", v);
    } else {
        snprintf(buf, len, "U");
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void on_done(struct st_store_job *job, void *data)
{
    st_hot_job_done(&((struct bench *)data)->hot, job);
}

static int on_load(uint64_t id, const uint8_t *key, size_t len, bool hires, void *data)
{
    return st_hot_load_series(&((struct bench *)data)->hot, id, key, len, hires);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static void bench_free(struct bench *b)
{
    if (!b) {
        return;
    }
    st_store_free(b->store);
    st_hot_fini(&b->hot);
    if (b->keepalive) {
        event_free(b->keepalive);
    }
    if (b->base) {
        event_base_free(b->base);
    }
    if (b->upd) {
        for (size_t i = 0; i < b->n * (size_t)b->total_minutes * 2; i++) {
            free(b->upd[i]);
        }
    }
    free(b->upd);
    free(b->ids);
    if (b->tmp_fd >= 0) {
        close(b->tmp_fd);
    }
    if (b->tmp[0]) {
        rm_rf(b->tmp);
    }
    free(b);
}

static char **upd_at(struct bench *b, size_t i, int minute)
{
    return &b->upd[(i * (size_t)b->total_minutes + (size_t)minute) * 2];
}

static int n_upd(char **u)
{
    return u[0] ? (u[1] ? 2 : 1) : 0;
}

/* Value k of series i in minute m: spread so that buckets get several sketch bins. */
static double datum_value(size_t i, int m, int k)
{
    return 1.0 + (double)((i * 31 + (size_t)m * 17 + (size_t)k * 7) % 1000) / 8.0;
}

/*
 * Feeds every minute of data into the hot window (untimed) and derives, from the buckets it
 * built, the update strings store.c's write_rrd will send: the file is created at the first
 * bucket's start minus a step, a bucket after a gap gets a zero-fill "t:0:0:U:U" first.
 */
static int bench_fill(struct bench *b)
{
    const struct opts *o = b->o;
    struct req_builder *rb = malloc(sizeof(*rb));
    char(*hosts)[32] = malloc(FIX_MAX_DATUMS * sizeof(*hosts));
    int r = 0;
    if (!rb || !hosts) {
        r = -ENOMEM;
        goto out;
    }
    rb_init(rb, "Bench");
    for (int m = 0; m < b->total_minutes && r == 0; m++) {
        for (size_t i = 0; i < b->n && r == 0; i++) {
            for (int k = 0; k < o->datums && r == 0; k++) {
                size_t slot = rb->req.n_metric_data;
                snprintf(hosts[slot], sizeof(hosts[slot]), "host-%06zu", i);
                int64_t ts_ms = (b->t0 + m * 60) * 1000 + (int64_t)k * 60000 / o->datums;
                rb_value(rb, "Latency", hosts[slot], ts_ms, datum_value(i, m, k));
                if (rb->req.n_metric_data == FIX_MAX_DATUMS) {
                    r = st_hot_apply_put(&b->hot, ++b->lsn, ts_ms, &rb->req, NULL);
                    rb_init(rb, "Bench");
                }
            }
        }
    }
    if (r == 0 && rb->req.n_metric_data > 0) {
        r = st_hot_apply_put(&b->hot, ++b->lsn, b->t0 * 1000, &rb->req, NULL);
    }
    if (r < 0) {
        goto out;
    }
    if (b->hot.series.len != b->n) {
        r = -EEXIST;
        goto out;
    }
    size_t n = 0;
    for (size_t s = 0; s < b->hot.series.cap; s++) {
        const struct st_series *se = b->hot.series.slots[s].value;
        if (se) {
            b->ids[n++] = se->id;
        }
    }
    qsort(b->ids, b->n, sizeof(*b->ids), cmp_u64);
    for (size_t i = 0; i < b->n && r == 0; i++) {
        const struct st_series *s = st_u64_map_get(&b->hot.series, b->ids[i]);
        int64_t last = INT64_MIN;
        for (const struct st_bucket *bk = s->hot[ST_TIER_60S]; bk && r == 0; bk = bk->next) {
            char **slot = upd_at(b, i, (int)((bk->t - b->t0) / 60));
            if (last == INT64_MIN) {
                last = bk->t - 60; /* create_rrd's start */
            }
            char buf[192];
            int k = 0;
            if (bk->t > last) {
                snprintf(buf, sizeof(buf), "%" PRId64 ":0:0:U:U", bk->t);
                slot[k++] = strdup(buf);
            }
            char c[32], sm[32], mn[32], mx[32];
            fmt_num(c, sizeof(c), bk->count);
            fmt_num(sm, sizeof(sm), bk->sum);
            fmt_num(mn, sizeof(mn), bk->count > 0 ? -bk->min : NAN);
            fmt_num(mx, sizeof(mx), bk->count > 0 ? bk->max : NAN);
            snprintf(buf, sizeof(buf), "%" PRId64 ":%s:%s:%s:%s", bk->t + 60, c, sm, mn, mx);
            slot[k++] = strdup(buf);
            last = bk->t + 60;
            if (!slot[0] || !slot[k - 1]) {
                r = -ENOMEM;
            }
        }
    }
out:
    free(rb);
    free(hosts);
    return r;
}

static struct bench *bench_new(const struct opts *o, size_t n)
{
    struct bench *b = calloc(1, sizeof(*b));
    if (!b) {
        return NULL;
    }
    b->tmp_fd = -1;
    b->o = o;
    b->n = n;
    b->total_minutes = 0;
    for (size_t s = 0; s < N_STEPS; s++) {
        b->total_minutes += step_minutes(&plan[s], o);
    }
    /* An hour boundary two days back: every range is whole minutes in the past. */
    b->t0 = st_wall_ms() / 1000 / 3600 * 3600 - 2 * 86400;
    st_hot_init(&b->hot);
    b->ids = calloc(n, sizeof(*b->ids));
    b->upd = calloc(n * (size_t)b->total_minutes * 2, sizeof(*b->upd));
    b->base = event_base_new();
    if (!b->ids || !b->upd || !b->base) {
        goto fail;
    }
    /* Keeps EVLOOP_ONCE blocking until the store's done event fires, instead of spinning. */
    b->keepalive = event_new(b->base, -1, EV_PERSIST, on_keepalive, NULL);
    struct timeval hour = {3600, 0};
    if (!b->keepalive || event_add(b->keepalive, &hour) < 0) {
        goto fail;
    }
    return b;
fail:
    bench_free(b);
    return NULL;
}

/*
 * Waits (2 min at most) until the disk under `dir` has done no I/O for a second. Deleting 25 GB
 * on a filesystem mounted with `discard` keeps the disk busy for a while after unlink returns,
 * and the next side must not pay for the previous one's files.
 */
static void settle(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    __real_syncfs(fd);
    close(fd);
    char path[128], prev[512] = "", cur[512];
    snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat", major(sb.st_dev), minor(sb.st_dev));
    uint64_t t = mono_ns();
    for (int i = 0; i < 120; i++) {
        FILE *f = fopen(path, "r");
        if (!f) {
            return;
        }
        bool ok = fgets(cur, sizeof(cur), f) != NULL;
        fclose(f);
        if (!ok || strcmp(cur, prev) == 0) {
            break;
        }
        snprintf(prev, sizeof(prev), "%s", cur);
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "  disk settled in %.1f s\n", (double)(mono_ns() - t) / 1e9);
}

/* Makes a fresh temporary directory for one side, after checking there is room for it. */
static int side_dir(struct bench *b, const char *side)
{
    if (b->tmp_fd >= 0) {
        close(b->tmp_fd);
        b->tmp_fd = -1;
    }
    if (b->tmp[0]) {
        rm_rf(b->tmp);
        b->tmp[0] = '\0';
    }
    settle(b->o->tmp);
    struct statvfs vfs;
    if (statvfs(b->o->tmp, &vfs) < 0) {
        return -errno;
    }
    uint64_t need = (uint64_t)b->n * RRD_FILE_BYTES * 21 / 20 + (1ULL << 30);
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (avail < need) {
        fprintf(stderr,
                "bench_rrd_writeout: %s needs %.1f GB free in %s for %zu files, %.1f GB "
                "available\n",
                side, (double)need / 1e9, b->o->tmp, b->n, (double)avail / 1e9);
        return -ENOSPC;
    }
    snprintf(b->tmp, sizeof(b->tmp), "%s/bench_rrd_%s.XXXXXX", b->o->tmp, side);
    if (!mkdtemp(b->tmp)) {
        int r = -errno;
        b->tmp[0] = '\0';
        return r;
    }
    b->tmp_fd = open(b->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return b->tmp_fd < 0 ? -errno : 0;
}

/* Untimed: write back everything dirty so a step does not pay for the previous one. */
static void quiesce(struct bench *b)
{
    __real_syncfs(b->tmp_fd);
}

static int file_info(const char *path, uint64_t *ret_size, uint64_t *ret_blocks)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        return -errno;
    }
    *ret_size = (uint64_t)sb.st_size;
    *ret_blocks = (uint64_t)sb.st_blocks * 512;
    return 0;
}

static void fnv(uint64_t *h, const void *p, size_t len)
{
    const uint8_t *c = p;
    for (size_t i = 0; i < len; i++) {
        *h = (*h ^ c[i]) * 0x100000001b3ULL;
    }
}

static int digest_fetch(const char *path, const char *cf, time_t start, time_t end,
                        unsigned long step, uint64_t *h)
{
    unsigned long ds_cnt = 0;
    char **names = NULL;
    rrd_value_t *data = NULL;
    rrd_clear_error();
    if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_cnt, &names, &data) != 0) {
        fprintf(stderr, "bench_rrd_writeout: rrd_fetch %s: %s\n", path, rrd_get_error());
        rrd_clear_error();
        return -EIO;
    }
    fnv(h, &start, sizeof(start));
    fnv(h, &end, sizeof(end));
    fnv(h, &step, sizeof(step));
    size_t n = (size_t)((end - start) / (time_t)step) * ds_cnt;
    for (size_t i = 0; i < n; i++) {
        double v = isnan(data[i]) ? NAN : data[i];
        fnv(h, &v, sizeof(v));
    }
    for (unsigned long i = 0; i < ds_cnt; i++) {
        rrd_freemem(names[i]);
    }
    rrd_freemem(names);
    rrd_freemem(data);
    return 0;
}

/*
 * Checks that every file's last update is the last row of the run, and digests the 60 s
 * AVERAGE and 300 s MAX rows of a sample of the files so that the two sides can be compared.
 */
static int verify(struct bench *b, const char *dir, struct side_result *res)
{
    char path[PATH_MAX];
    time_t want = (time_t)(b->t0 + (int64_t)b->total_minutes * 60);
    for (size_t i = 0; i < b->n; i++) {
        st_store_rrd_path(dir, b->ids[i], ST_TIER_60S, path, sizeof(path));
        rrd_clear_error();
        time_t last = __real_rrd_last_r(path);
        if (last != want) {
            fprintf(stderr, "bench_rrd_writeout: %s: last update %lld, want %lld (%s)\n", path,
                    (long long)last, (long long)want, rrd_get_error());
            rrd_clear_error();
            return -EIO;
        }
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t sample = b->o->sample < b->n ? b->o->sample : b->n;
    for (size_t s = 0; s < sample; s++) {
        size_t i = s * b->n / sample;
        st_store_rrd_path(dir, b->ids[i], ST_TIER_60S, path, sizeof(path));
        time_t start = (time_t)(b->t0 - 3600), end = want + 3600;
        int r = digest_fetch(path, "AVERAGE", start, end, 60, &h);
        if (r < 0 || (r = digest_fetch(path, "MAX", start, end, 300, &h)) < 0) {
            return r;
        }
    }
    res->digest = h;
    st_store_rrd_path(dir, b->ids[0], ST_TIER_60S, path, sizeof(path));
    return file_info(path, &res->file_bytes, &res->file_blocks_bytes);
}

/* Stratus side. */

static int stratus_open(struct bench *b, const char *dir, bool sync)
{
    st_store_free(b->store);
    b->store = NULL;
    struct st_store_opts so = {.dir = dir, .sync = sync};
    struct st_error err;
    uint64_t done_lsn;
    int r = st_store_open(b->base, &so, on_done, b, on_load, b, &done_lsn, &b->store, &err);
    if (r < 0) {
        fprintf(stderr, "bench_rrd_writeout: %s\n", err.message);
    }
    return r;
}

static void probe_diff(const struct store_probe *a, const struct store_probe *b,
                       struct store_probe *ret)
{
    const struct call_time *x = &a->update, *y = &b->update;
    struct call_time *z = &ret->update;
    for (size_t k = 0; k < sizeof(*ret) / sizeof(*z); k++) {
        z[k].calls = y[k].calls - x[k].calls;
        z[k].ns = y[k].ns - x[k].ns;
    }
}

/* Applies a marker at watermarks (w1, w60) and returns its job (untimed: loop-thread work). */
static int stratus_job(struct bench *b, int64_t w1, int64_t w60, struct st_store_job **ret)
{
    int r = st_hot_apply_marker(&b->hot, ++b->lsn, w1, w60, ret);
    if (r < 0) {
        return r;
    }
    return *ret ? 0 : -EIO;
}

/* Submits jobs[0..n) and runs the loop until the last is done; returns the time that took. */
static int stratus_run(struct bench *b, struct st_store_job **jobs, size_t n, uint64_t *ret_ns)
{
    uint64_t lsn = jobs[n - 1]->lsn;
    uint64_t t = mono_ns();
    for (size_t i = 0; i < n; i++) {
        st_store_submit(b->store, jobs[i]);
    }
    while (b->hot.confirmed_lsn < lsn) {
        if (event_base_loop(b->base, EVLOOP_ONCE) < 0) {
            return -EIO;
        }
    }
    *ret_ns = mono_ns() - t;
    return 0;
}

/* A marker closing every minute before `w60`: its job, run and waited for. */
static int stratus_marker(struct bench *b, int64_t w60, uint64_t *ret_ns)
{
    struct st_store_job *job = NULL;
    int r = stratus_job(b, w60, w60, &job);
    return r < 0 ? r : stratus_run(b, &job, 1, ret_ns);
}

/* The M per-minute jobs of a step, all submitted before waiting. */
static int stratus_queued(struct bench *b, int minute, int count, uint64_t *ret_ns)
{
    struct st_store_job **jobs = calloc((size_t)count, sizeof(*jobs));
    if (!jobs) {
        return -ENOMEM;
    }
    int r = 0;
    for (int i = 0; i < count && r == 0; i++) {
        int64_t w60 = b->t0 + (int64_t)(minute + i + 1) * 60;
        r = stratus_job(b, w60, w60, &jobs[i]);
    }
    if (r == 0) {
        r = stratus_run(b, jobs, (size_t)count, ret_ns);
    }
    free(jobs);
    return r;
}

/*
 * What the collector's per-second tick costs the store when no bucket closes: markers that
 * only move the 1 s watermark, each a job with no rows (syncfs and a SQLite commit of done_lsn).
 */
static int stratus_idle(struct bench *b, struct side_result *res)
{
    int64_t w60 = b->hot.w[ST_TIER_60S];
    struct store_probe p0 = probe;
    for (int i = 1; i <= 20; i++) {
        struct st_store_job *job = NULL;
        uint64_t ns = 0;
        int r = stratus_job(b, w60 + i, w60, &job);
        if (r < 0 || (r = stratus_run(b, &job, 1, &ns)) < 0) {
            return r;
        }
        res->idle_ns += ns;
        res->idle_jobs++;
    }
    probe_diff(&p0, &probe, &res->idle_p);
    return 0;
}

static int run_stratus(struct bench *b, struct side_result *res)
{
    int r = side_dir(b, "stratus");
    if (r < 0) {
        return die_errno("stratus: temporary directory", r);
    }
    const char *dir = b->tmp;
    bool opened_sync = false;
    int minute = 0;
    for (size_t s = 0; s < N_STEPS; s++) {
        const struct step *st = &plan[s];
        struct step_result *sr = &res->steps[s];
        int count = step_minutes(st, b->o);
        if (!b->store || opened_sync != st->stratus_sync) {
            if ((r = stratus_open(b, dir, st->stratus_sync)) < 0) {
                return r;
            }
            opened_sync = st->stratus_sync;
        }
        quiesce(b);
        struct st_store_stats before, after;
        st_store_get_stats(b->store, &before);
        struct store_probe p0 = probe;
        if (st->stratus_mode == STRATUS_ONE_JOB) {
            r = stratus_marker(b, b->t0 + (int64_t)(minute + count) * 60, &sr->ns);
        } else if (st->stratus_mode == STRATUS_QUEUED) {
            r = stratus_queued(b, minute, count, &sr->ns);
        } else {
            for (int m = minute; m < minute + count && r == 0; m++) {
                uint64_t ns = 0;
                r = stratus_marker(b, b->t0 + (int64_t)(m + 1) * 60, &ns);
                sr->ns += ns;
            }
        }
        if (r < 0) {
            return die_errno("stratus: job", r);
        }
        probe_diff(&p0, &probe, &sr->p);
        st_store_get_stats(b->store, &after);
        sr->rows = after.rrd_rows - before.rrd_rows;
        sr->rrd_calls = after.rrd_updates - before.rrd_updates;
        sr->create_ns = sr->p.create.ns;
        for (size_t i = 0; i < b->n; i++) {
            for (int m = minute; m < minute + count; m++) {
                sr->values += (uint64_t)n_upd(upd_at(b, i, m));
            }
        }
        if (sr->rows != (uint64_t)count * b->n) {
            fprintf(stderr,
                    "bench_rrd_writeout: stratus step %s wrote %" PRIu64 " rows, want %zu\n",
                    st->name, sr->rows, (size_t)count * b->n);
            return -EIO;
        }
        fprintf(stderr, "  stratus %-8s %8.3f s\n", st->name, (double)sr->ns / 1e9);
        minute += count;
    }
    quiesce(b);
    if ((r = stratus_idle(b, res)) < 0) {
        return die_errno("stratus: idle job", r);
    }
    st_store_free(b->store);
    b->store = NULL;
    if ((r = verify(b, dir, res)) < 0) {
        return r;
    }
    char path[PATH_MAX];
    uint64_t size = 0, blocks = 0;
    snprintf(path, sizeof(path), "%s/index.db", dir);
    if (file_info(path, &size, &blocks) == 0) {
        res->index_bytes += blocks;
    }
    snprintf(path, sizeof(path), "%s/index.db-wal", dir);
    if (file_info(path, &size, &blocks) == 0) {
        res->index_bytes += blocks;
    }
    res->ran = true;
    return 0;
}

/* rrdcached side. */

struct rrdc {
    pid_t pid;
    char addr[PATH_MAX + 8];
    char base[PATH_MAX];
    char log[PATH_MAX];
    char sock[PATH_MAX];
    char cmdline[2048];
    int raw_fd;    /* our own connection for FLUSHALL, which librrd 1.7.2 does not export */
    uint64_t sent; /* values sent so far: DataSetsWritten reaches it when all are in files */
};

static void rrdc_stop(struct rrdc *rc)
{
    rrdc_disconnect();
    if (rc->raw_fd >= 0) {
        close(rc->raw_fd);
        rc->raw_fd = -1;
    }
    if (rc->pid > 0) {
        kill(rc->pid, SIGTERM);
        waitpid(rc->pid, NULL, 0);
        rc->pid = 0;
    }
}

static void print_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        fprintf(stderr, "  rrdcached: %s", line);
    }
    fclose(f);
}

static int raw_connect(struct rrdc *rc)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(rc->sock) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, rc->sock);
    rc->raw_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rc->raw_fd < 0 || connect(rc->raw_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        return die_errno("rrdcached: connect", -errno);
    }
    return 0;
}

/* Sends one command line on our own connection and reads the one-line answer ("0 ..."). */
static int raw_command(struct rrdc *rc, const char *cmd)
{
    size_t len = strlen(cmd);
    if (write(rc->raw_fd, cmd, len) != (ssize_t)len) {
        return -EIO;
    }
    char line[256];
    size_t n = 0;
    while (n < sizeof(line) - 1) {
        ssize_t k = read(rc->raw_fd, line + n, 1);
        if (k <= 0) {
            return -EIO;
        }
        if (line[n++] == '\n') {
            break;
        }
    }
    line[n] = '\0';
    if (line[0] != '0') {
        fprintf(stderr, "bench_rrd_writeout: rrdcached %.*s: %s", (int)len - 1, cmd, line);
        return -EIO;
    }
    return 0;
}

static int rrdc_start(struct bench *b, struct rrdc *rc)
{
    const struct opts *o = b->o;
    char pid[PATH_MAX], journal[PATH_MAX], threads[16];
    snprintf(rc->sock, sizeof(rc->sock), "%s/rrdcached.sock", b->tmp);
    snprintf(rc->addr, sizeof(rc->addr), "unix:%s", rc->sock);
    snprintf(pid, sizeof(pid), "%s/rrdcached.pid", b->tmp);
    snprintf(rc->base, sizeof(rc->base), "%s/rrdc", b->tmp);
    snprintf(journal, sizeof(journal), "%s/journal", b->tmp);
    snprintf(rc->log, sizeof(rc->log), "%s/rrdcached.log", b->tmp);
    snprintf(threads, sizeof(threads), "%d", o->rrdc_threads);
    if (mkdir(rc->base, 0750) < 0 || (o->rrdc_journal && mkdir(journal, 0750) < 0)) {
        return -errno;
    }
    const char *argv[24];
    int ac = 0;
    argv[ac++] = o->rrdcached;
    argv[ac++] = "-g";
    argv[ac++] = "-l";
    argv[ac++] = rc->addr;
    argv[ac++] = "-p";
    argv[ac++] = pid;
    argv[ac++] = "-b";
    argv[ac++] = rc->base;
    argv[ac++] = "-B";
    argv[ac++] = "-w";
    argv[ac++] = "3600";
    argv[ac++] = "-f";
    argv[ac++] = "7200"; /* rrdcached wants -f >= 2 x -w; no -z: the default jitter is none */
    if (o->rrdc_threads > 0) {
        argv[ac++] = "-t";
        argv[ac++] = threads;
    }
    if (o->rrdc_journal) {
        argv[ac++] = "-j";
        argv[ac++] = journal;
    }
    argv[ac] = NULL;
    size_t off = 0;
    for (int i = 0; i < ac && off < sizeof(rc->cmdline); i++) {
        off += (size_t)snprintf(rc->cmdline + off, sizeof(rc->cmdline) - off, "%s%s", i ? " " : "",
                                argv[i]);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, rc->log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int r = -posix_spawnp(&rc->pid, o->rrdcached, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r < 0) {
        rc->pid = 0;
        return die_errno(o->rrdcached, r);
    }
    /* Wait (10 s at most) until the daemon accepts connections. */
    for (int i = 0; i < 1000; i++) {
        rrd_clear_error();
        if (rrdc_connect(rc->addr) == 0 && rrdc_is_connected(rc->addr)) {
            rrd_clear_error();
            return raw_connect(rc);
        }
        if (waitpid(rc->pid, NULL, WNOHANG) == rc->pid) {
            rc->pid = 0;
            break;
        }
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bench_rrd_writeout: rrdcached did not come up: %s\n", rrd_get_error());
    print_log(rc->log);
    return -EIO;
}

static int rrdc_counters(uint64_t *ret_values, uint64_t *ret_updates)
{
    rrdc_stats_t *stats = NULL;
    rrd_clear_error();
    if (rrdc_stats_get(&stats) != 0) {
        fprintf(stderr, "bench_rrd_writeout: rrdcached STATS: %s\n", rrd_get_error());
        return -EIO;
    }
    int found = 0;
    for (rrdc_stats_t *s = stats; s; s = s->next) {
        if (strcmp(s->name, "DataSetsWritten") == 0) {
            *ret_values = s->value.counter;
            found++;
        } else if (strcmp(s->name, "UpdatesWritten") == 0) {
            *ret_updates = s->value.counter;
            found++;
        }
    }
    rrdc_stats_free(stats);
    return found == 2 ? 0 : -EIO;
}

/* FLUSHALL, then polls STATS until every value sent so far is in the files (10 min at most). */
static int rrdc_flush_wait(struct rrdc *rc)
{
    int r = raw_command(rc, "FLUSHALL\n");
    if (r < 0) {
        return r;
    }
    uint64_t deadline = mono_ns() + 600ULL * 1000000000ULL;
    for (;;) {
        uint64_t values = 0, updates = 0;
        if ((r = rrdc_counters(&values, &updates)) < 0) {
            return r;
        }
        if (values >= rc->sent) {
            return 0;
        }
        if (mono_ns() > deadline) {
            fprintf(stderr, "bench_rrd_writeout: rrdcached wrote %" PRIu64 " of %" PRIu64 "\n",
                    values, rc->sent);
            print_log(rc->log);
            return -ETIMEDOUT;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

static int rrdc_send_minute(struct bench *b, struct rrdc *rc, int minute)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < b->n; i++) {
        char **u = upd_at(b, i, minute);
        int n = n_upd(u);
        if (n == 0) {
            continue;
        }
        st_store_rrd_path(rc->base, b->ids[i], ST_TIER_60S, path, sizeof(path));
        rrd_clear_error();
        if (rrdc_update(path, n, (const char *const *)u) != 0) {
            fprintf(stderr, "bench_rrd_writeout: rrdcached UPDATE %s: %s\n", path, rrd_get_error());
            return -EIO;
        }
        rc->sent += (uint64_t)n;
    }
    return 0;
}

/* Creates every file through the daemon, with the store's create_rrd arguments. */
static int rrdc_create_all(struct bench *b, struct rrdc *rc)
{
    static const char *argv60[] = {
        "DS:count:GAUGE:40000000:U:U", "DS:sum:GAUGE:40000000:U:U", "DS:negmin:GAUGE:60:U:U",
        "DS:max:GAUGE:60:U:U",         "RRA:AVERAGE:0.99:1:21600",  "RRA:AVERAGE:0.99:5:18144",
        "RRA:MAX:0.99:5:18144",        "RRA:AVERAGE:0.99:60:10920", "RRA:MAX:0.99:60:10920",
    };
    char path[PATH_MAX];
    for (size_t i = 0; i < b->n; i++) {
        st_store_rrd_path(rc->base, b->ids[i], ST_TIER_60S, path, sizeof(path));
        *strrchr(path, '/') = '\0';
        int r = mkdir_p(path);
        if (r < 0) {
            return die_errno(path, r);
        }
        st_store_rrd_path(rc->base, b->ids[i], ST_TIER_60S, path, sizeof(path));
        rrd_clear_error();
        if (rrdc_create_r2(path, 60, (time_t)(b->t0 - 60), 1, NULL, NULL, 9, argv60) != 0) {
            fprintf(stderr, "bench_rrd_writeout: rrdcached CREATE %s: %s\n", path, rrd_get_error());
            return -EIO;
        }
    }
    return 0;
}

static int rrdc_steps(struct bench *b, struct rrdc *rc, struct side_result *res)
{
    int minute = 0, r = 0;
    uint64_t values0 = 0, updates0 = 0;
    for (size_t s = 0; s < N_STEPS && r == 0; s++) {
        const struct step *st = &plan[s];
        struct step_result *sr = &res->steps[s];
        int count = step_minutes(st, b->o);
        quiesce(b);
        if ((r = rrdc_counters(&values0, &updates0)) < 0) {
            break;
        }
        uint64_t t = mono_ns();
        if (st->phase0) {
            r = rrdc_create_all(b, rc);
            sr->create_ns = mono_ns() - t;
        }
        for (int m = minute; m < minute + count && r == 0; m++) {
            uint64_t ts = mono_ns();
            r = rrdc_send_minute(b, rc, m);
            sr->send_ns += mono_ns() - ts;
            if (r == 0 && (st->rrdc_mode == RRDC_PER_MINUTE || m == minute + count - 1)) {
                r = rrdc_flush_wait(rc);
                if (r == 0 && st->rrdc_sync) {
                    uint64_t tsync = mono_ns();
                    __real_syncfs(b->tmp_fd);
                    sr->sync_ns += mono_ns() - tsync;
                }
            }
        }
        sr->ns = mono_ns() - t;
        if (r < 0) {
            break;
        }
        if (st->phase0) {
            /* Reported apart: what syncing the new files costs (the store's phase 0 does it). */
            uint64_t tsync = mono_ns();
            __real_syncfs(b->tmp_fd);
            sr->sync_ns = mono_ns() - tsync;
        }
        uint64_t values = 0, updates = 0;
        if ((r = rrdc_counters(&values, &updates)) < 0) {
            break;
        }
        sr->values = values - values0;
        sr->rrd_calls = updates - updates0;
        sr->rows = (uint64_t)count * b->n;
        fprintf(stderr, "  rrdcached %-8s %8.3f s\n", st->name, (double)sr->ns / 1e9);
        minute += count;
    }
    return r;
}

static int run_rrdc(struct bench *b, struct side_result *res, char *cmdline, size_t len)
{
    int r = side_dir(b, "rrdcached");
    if (r < 0) {
        return die_errno("rrdcached: temporary directory", r);
    }
    struct rrdc rc = {.raw_fd = -1};
    if ((r = rrdc_start(b, &rc)) == 0) {
        snprintf(cmdline, len, "%s", rc.cmdline);
        r = rrdc_steps(b, &rc, res);
    }
    rrdc_stop(&rc);
    if (r < 0) {
        print_log(rc.log);
        return r;
    }
    if ((r = verify(b, rc.base, res)) < 0) {
        return r;
    }
    res->ran = true;
    return 0;
}

/* Output. */

static double rate(uint64_t n, uint64_t ns)
{
    return ns ? (double)n * 1e9 / (double)ns : 0;
}

static const char *stratus_cfg(const struct step *s)
{
    if (s->phase0) {
        return "phase 0, sync";
    }
    if (s->stratus_mode == STRATUS_ONE_JOB) {
        return s->stratus_sync ? "1 job/M min, sync" : "1 job/M min, nosync";
    }
    if (s->stratus_mode == STRATUS_QUEUED) {
        return s->stratus_sync ? "M jobs queued, sync" : "M jobs queued, nosync";
    }
    return s->stratus_sync ? "job/min, sync" : "job/min, nosync";
}

static const char *rrdc_cfg(const struct step *s)
{
    if (s->phase0) {
        return "CREATE+row, flush";
    }
    if (s->rrdc_mode == RRDC_PER_MINUTE) {
        return s->rrdc_sync ? "flush+syncfs/min" : "flush/min";
    }
    return s->rrdc_sync ? "cached, flush+syncfs" : "cached, flush at end";
}

struct size_report {
    size_t n;
    struct side_result s, c;
};

/* The step the issue asks about: per-minute jobs with sync vs rrdcached's normal use. */
/*
 * The headline compares what the collector does (a marker per minute, jobs held by the store's
 * write-back and written together: one rrd_update per file, one syncfs) with rrdcached's normal
 * use (updates cached, one FLUSHALL, no sync): the same rows, rrdcached's side not durable.
 */
static size_t find_step(enum stratus_mode mode, bool sync, bool rrdc_sync)
{
    for (size_t i = 0; i < N_STEPS; i++) {
        if (plan[i].timed && !plan[i].phase0 && plan[i].stratus_sync == sync &&
            plan[i].stratus_mode == mode && plan[i].rrdc_mode == RRDC_CACHED &&
            plan[i].rrdc_sync == rrdc_sync) {
            return i;
        }
    }
    return 0;
}

static void print_report(const struct opts *o, const struct size_report *rep, size_t n_rep,
                         const char *cmdline)
{
    printf("\n# RRD write-out: Stratus store vs rrdcached\n\n");
    printf("%d datums per series and minute aggregate into one 60 s bucket = one RRD row "
           "(4 DS values: count, sum, -min, max; 1 PDP each).\n",
           o->datums);
    printf("rrdcached: %s\n\n", cmdline[0] ? cmdline : "(not run)");
    size_t s_step = find_step(STRATUS_QUEUED, true, true);
    size_t c_step = find_step(STRATUS_PER_MINUTE, true, false);

    printf("## Headline: the collector's write-back (minutes queued, one update per file, syncfs) "
           "vs rrdcached cached, one FLUSHALL, no sync\n\n");
    printf("| series | rows   | stratus rows/s | stratus datums/s | rrdcached rows/s | ratio | "
           "rrdcached rows/s without the sends |\n");
    printf("|-------:|-------:|---------------:|-----------------:|-----------------:|------:|"
           "---:|\n");
    for (size_t k = 0; k < n_rep; k++) {
        const struct step_result *s = &rep[k].s.steps[s_step], *c = &rep[k].c.steps[c_step];
        double sr = rate(s->rows, s->ns), cr = rate(c->rows, c->ns);
        printf("| %6zu | %6" PRIu64 " | %14.0f | %16.0f | %16.0f | %5.2f | %.0f |\n", rep[k].n,
               s->rows, sr, sr * o->datums, cr, cr > 0 ? sr / cr : 0,
               rate(c->rows, c->ns - c->send_ns));
    }

    printf("\n## All steps (same rows on both sides; ratio = stratus / rrdcached rows/s)\n\n");
    printf("| series | step | rows | stratus config | s | rows/s | rrd_update calls | "
           "rrdcached config | s | (send s) | rows/s | rrd_update calls | ratio |\n");
    printf("|---:|:---|---:|:---|---:|---:|---:|:---|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < n_rep; k++) {
        for (size_t i = 0; i < N_STEPS; i++) {
            const struct step *st = &plan[i];
            const struct step_result *s = &rep[k].s.steps[i], *c = &rep[k].c.steps[i];
            if (!st->timed || st->phase0) {
                continue;
            }
            double sr = rate(s->rows, s->ns), cr = rate(c->rows, c->ns);
            printf("| %zu | %s | %" PRIu64 " | %s | %.3f | %.0f | %" PRIu64
                   " | %s | %.3f | %.3f | %.0f | %" PRIu64 " | %.2f |\n",
                   rep[k].n, st->name, s->rows, stratus_cfg(st), (double)s->ns / 1e9, sr,
                   s->rrd_calls, rrdc_cfg(st), (double)c->ns / 1e9, (double)c->send_ns / 1e9, cr,
                   c->rrd_calls, cr > 0 ? sr / cr : 0);
        }
    }

    printf("\n## Where the store thread's time goes (wrapped calls; other = the rest, incl. "
           "loop hand-off)\n\n");
    printf("| series | step | config | total s | rrd_updatex_r s (us/call) | rrd_create_r2 s | "
           "rrd_last_r s | syncfs s (calls) | sqlite s | other s | us/row |\n");
    printf("|---:|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < n_rep; k++) {
        if (!rep[k].s.ran) {
            continue;
        }
        for (size_t i = 0; i < N_STEPS; i++) {
            const struct step *st = &plan[i];
            const struct step_result *s = &rep[k].s.steps[i];
            const struct store_probe *p = &s->p;
            uint64_t known = p->update.ns + p->create.ns + p->last.ns + p->syncfs.ns + p->sqlite.ns;
            printf("| %zu | %s | %s | %.3f | %.3f (%.1f) | %.3f | %.3f | %.3f (%" PRIu64
                   ") | %.3f | %.3f | %.1f |\n",
                   rep[k].n, st->name, stratus_cfg(st), (double)s->ns / 1e9,
                   (double)p->update.ns / 1e9,
                   p->update.calls ? (double)p->update.ns / 1e3 / (double)p->update.calls : 0,
                   (double)p->create.ns / 1e9, (double)p->last.ns / 1e9, (double)p->syncfs.ns / 1e9,
                   p->syncfs.calls, (double)p->sqlite.ns / 1e9,
                   (double)(s->ns > known ? s->ns - known : 0) / 1e9,
                   s->rows ? (double)s->ns / 1e3 / (double)s->rows : 0);
        }
    }

    printf("\n## A job with no rows (the per-second tick's marker when no bucket closes)\n\n");
    for (size_t k = 0; k < n_rep; k++) {
        const struct side_result *sd = &rep[k].s;
        if (!sd->ran || sd->idle_jobs == 0) {
            continue;
        }
        double jobs = (double)sd->idle_jobs;
        printf("- %zu series: %.2f ms per job (syncfs %.2f ms, sqlite %.2f ms), %" PRIu64 " jobs\n",
               rep[k].n, (double)sd->idle_ns / 1e6 / jobs,
               (double)sd->idle_p.syncfs.ns / 1e6 / jobs, (double)sd->idle_p.sqlite.ns / 1e6 / jobs,
               sd->idle_jobs);
    }

    printf("\n## Phase 0: file creation + zero-fill + first row (timed apart)\n\n");
    printf("| series | side | phase 0 s | of which create s | ms/file | syncfs after s | "
           "bytes/file (du) | index.db bytes/series |\n");
    printf("|---:|:---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < n_rep; k++) {
        const struct side_result *sides[2] = {&rep[k].s, &rep[k].c};
        for (int j = 0; j < 2; j++) {
            const struct side_result *sd = sides[j];
            const struct step_result *p0 = &sd->steps[0];
            if (!sd->ran) {
                continue;
            }
            double sync_s = j == 0 ? (double)p0->p.syncfs.ns / 1e9 : (double)p0->sync_ns / 1e9;
            printf("| %zu | %s | %.3f | %.3f | %.3f | %.3f%s | %" PRIu64 " (%" PRIu64
                   ") | %.0f |\n",
                   rep[k].n, j == 0 ? "stratus" : "rrdcached", (double)p0->ns / 1e9,
                   (double)p0->create_ns / 1e9, (double)p0->ns / 1e6 / (double)rep[k].n, sync_s,
                   j == 0 ? " (inside)" : " (extra)", sd->file_bytes, sd->file_blocks_bytes,
                   j == 0 ? (double)sd->index_bytes / (double)rep[k].n : 0.0);
        }
    }

    printf("\n## Same bytes in the files?\n\n");
    for (size_t k = 0; k < n_rep; k++) {
        if (rep[k].s.ran && rep[k].c.ran) {
            printf("- %zu series: every file's last update is the last row on both sides; "
                   "sample of %zu files' 60 s AVERAGE and 300 s MAX rows %s\n",
                   rep[k].n, o->sample < rep[k].n ? o->sample : rep[k].n,
                   rep[k].s.digest == rep[k].c.digest ? "identical" : "DIFFER");
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_rrd_writeout [options]\n"
               "  --series LIST          series counts, comma-separated (default 1000,10000)\n"
               "  --minutes M            minutes per measured step (default 10)\n"
               "  --datums D             datums per series and minute (default 6)\n"
               "  --side stratus|rrdcached|both   (default both)\n"
               "  --first stratus|rrdcached       which side runs first (default stratus)\n"
               "  --rrdcached PATH       rrdcached binary (default rrdcached)\n"
               "  --rrdcached-threads T  rrdcached -t (default: its own, 4)\n"
               "  --rrdcached-journal    run rrdcached with -j (default: no journal)\n"
               "  --tmp DIR              where the temporary directories go (default /tmp)\n"
               "  --sample K             files compared between the sides (default 16)\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"series", required_argument, NULL, 's'},
        {"minutes", required_argument, NULL, 'm'},
        {"datums", required_argument, NULL, 'd'},
        {"side", required_argument, NULL, 'S'},
        {"first", required_argument, NULL, 'F'},
        {"rrdcached", required_argument, NULL, 'r'},
        {"rrdcached-threads", required_argument, NULL, 't'},
        {"rrdcached-journal", no_argument, NULL, 'j'},
        {"tmp", required_argument, NULL, 'T'},
        {"sample", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct opts){
        .sizes = {1000, 10000},
        .n_sizes = 2,
        .minutes = 10,
        .datums = 6,
        .run_stratus = true,
        .run_rrdc = true,
        .tmp = "/tmp",
        .rrdcached = "rrdcached",
        .sample = 16,
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': {
            o->n_sizes = 0;
            char *save = NULL;
            for (char *tok = strtok_r(optarg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                long v = strtol(tok, NULL, 10);
                if (v <= 0 || o->n_sizes == MAX_SIZES) {
                    return -EINVAL;
                }
                o->sizes[o->n_sizes++] = (size_t)v;
            }
            break;
        }
        case 'm':
            o->minutes = atoi(optarg);
            break;
        case 'd':
            o->datums = atoi(optarg);
            break;
        case 'S':
            o->run_stratus = strcmp(optarg, "rrdcached") != 0;
            o->run_rrdc = strcmp(optarg, "stratus") != 0;
            break;
        case 'F':
            o->rrdc_first = strcmp(optarg, "rrdcached") == 0;
            break;
        case 'r':
            o->rrdcached = optarg;
            break;
        case 't':
            o->rrdc_threads = atoi(optarg);
            break;
        case 'j':
            o->rrdc_journal = true;
            break;
        case 'T':
            o->tmp = optarg;
            break;
        case 'k':
            o->sample = (size_t)atol(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -EINVAL;
        }
    }
    if (o->minutes < 1 || o->datums < 1 || o->datums > 60 || o->n_sizes == 0 || optind < argc ||
        strlen(o->tmp) > 200) {
        return -EINVAL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    evthread_use_pthreads();
    struct size_report *rep = calloc(o.n_sizes, sizeof(*rep));
    char cmdline[2048] = "";
    int r = rep ? 0 : -ENOMEM;
    for (size_t k = 0; k < o.n_sizes && r == 0; k++) {
        size_t n = o.sizes[k];
        rep[k].n = n;
        struct bench *b = bench_new(&o, n);
        if (!b) {
            r = -ENOMEM;
            break;
        }
        fprintf(stderr, "%zu series: feeding %d minutes x %d datums into the hot window\n", n,
                b->total_minutes, o.datums);
        if ((r = bench_fill(b)) < 0) {
            die_errno("filling the hot window", r);
        }
        for (int side = 0; side < 2 && r == 0; side++) {
            if ((side == 0) != o.rrdc_first) {
                r = o.run_stratus ? run_stratus(b, &rep[k].s) : 0;
            } else {
                r = o.run_rrdc ? run_rrdc(b, &rep[k].c, cmdline, sizeof(cmdline)) : 0;
            }
        }
        bench_free(b);
    }
    if (r == 0) {
        print_report(&o, rep, o.n_sizes, cmdline);
    }
    free(rep);
    return r == 0 ? 0 : 1;
}
