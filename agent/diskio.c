/* SPDX-License-Identifier: MIT */
/*
 * The diskio source: /proc/diskstats per device (name=sda), as telegraf's diskio input reads it
 * and the CloudWatch agent sends it: the counters as their change since the previous collection
 * (nothing on the first, nothing for a counter that went backwards), iops_in_progress as it
 * stands. Every device the kernel lists (partitions, loop, dm) unless resources name some, as
 * telegraf; lines with fewer than the 11 statistics of 2.6.25+ kernels are skipped, as gopsutil.
 */
#include <errno.h>
#include <string.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define BUF_SIZE    8192
#define SECTOR_SIZE 512
#define MIN_STATS   11

/* The statistics after major, minor and name, in the kernel's order. */
enum {
    S_READS,
    S_READS_MERGED,
    S_READ_SECTORS,
    S_READ_MS,
    S_WRITES,
    S_WRITES_MERGED,
    S_WRITE_SECTORS,
    S_WRITE_MS,
    S_IN_PROGRESS,
    S_IO_MS,
    S_WEIGHTED_IO_MS,
    S_N,
};

/* The counters kept per device, and how each is sent. */
static const struct {
    int stat;
    const char *name;
    enum st_unit unit;
    uint64_t scale;
} counters[] = {
    {S_READS, "reads", ST_UNIT_COUNT, 1},
    {S_WRITES, "writes", ST_UNIT_COUNT, 1},
    {S_READ_SECTORS, "read_bytes", ST_UNIT_BYTES, SECTOR_SIZE},
    {S_WRITE_SECTORS, "write_bytes", ST_UNIT_BYTES, SECTOR_SIZE},
    {S_READ_MS, "read_time", ST_UNIT_MILLISECONDS, 1},
    {S_WRITE_MS, "write_time", ST_UNIT_MILLISECONDS, 1},
    {S_IO_MS, "io_time", ST_UNIT_MILLISECONDS, 1},
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

_Static_assert(N_COUNTERS <= ST_PROC_DEV_VALUES, "diskio counters fit a device slot");

struct diskio_state {
    char *root;
    int fd_diskstats; /* kept open between collections (st_proc_open_kept), or -1 */
    struct st_proc_filter filter;
    struct st_proc_devs devs;
    char buf[BUF_SIZE];
};

static void diskio_fini(void *state)
{
    struct diskio_state *s = state;
    if (!s) {
        return;
    }
    st_proc_devs_fini(&s->devs);
    st_proc_filter_fini(&s->filter);
    st_proc_kept_close(&s->fd_diskstats);
    st_free(s->root);
    st_free(s);
}

static int diskio_init(const struct st_source_config *cfg, void **ret_state)
{
    struct diskio_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_diskstats = -1;
    s->filter.all = true;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        goto fail;
    }
    r = st_proc_filter_init(&s->filter, cfg);
    if (r < 0) {
        goto fail;
    }
    *ret_state = s;
    return 0;
fail:
    diskio_fini(s);
    return r;
}

/*
 * "major minor name s0 s1 ... s10 [more]". Returns how many of the S_N statistics the line has
 * (the later ones of newer kernels are not read), or -EBADMSG.
 */
static int parse_line(struct st_cursor *line, char name[ST_PROC_DEV_NAME], uint64_t st[S_N])
{
    uint64_t major, minor;
    struct st_cursor f;
    if (st_proc_field_u64(line, &major) < 0 || st_proc_field_u64(line, &minor) < 0 ||
        st_proc_field(line, &f) < 0 || st_proc_field_copy(&f, name, ST_PROC_DEV_NAME) < 0) {
        return -EBADMSG;
    }
    int n = 0;
    while (n < S_N && st_proc_field(line, &f) == 0) {
        if (st_proc_parse_u64(&f, &st[n]) < 0) {
            return -EBADMSG;
        }
        n++;
    }
    return n;
}

static void emit_device(struct st_emitter *out, struct st_proc_dev *d, const uint64_t st[S_N])
{
    struct st_dim_kv dim = {"name", d->name};
    if (d->has_prev) {
        for (size_t i = 0; i < N_COUNTERS; i++) {
            uint64_t delta;
            if (st_proc_delta(st[counters[i].stat], d->v[i], &delta)) {
                st_emit(out, counters[i].name, counters[i].unit,
                        (double)delta * (double)counters[i].scale, &dim, 1);
            }
        }
    }
    st_emit(out, "iops_in_progress", ST_UNIT_COUNT, (double)st[S_IN_PROGRESS], &dim, 1);
}

static int diskio_collect(void *state, struct st_emitter *out)
{
    struct diskio_state *s = state;
    struct st_proc_reader r;
    int ret =
        st_proc_open_kept(&r, &s->fd_diskstats, s->root, "/proc/diskstats", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    st_proc_devs_begin(&s->devs);
    int err = 0;
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        char name[ST_PROC_DEV_NAME];
        uint64_t st[S_N];
        struct st_cursor probe = line;
        struct st_cursor f;
        if (st_proc_field(&probe, &f) < 0) {
            continue;
        }
        int n = parse_line(&line, name, st);
        if (n < 0) {
            err = -EBADMSG;
            continue;
        }
        if (n < MIN_STATS) {
            /* An old kernel's short partition line: gopsutil skips those too. */
            continue;
        }
        struct st_proc_dev *d;
        bool is_new;
        int gr = st_proc_devs_get(&s->devs, name, &d, &is_new);
        if (gr < 0) {
            err = gr == -ENOMEM ? gr : -EBADMSG;
            continue;
        }
        if (is_new) {
            d->selected = st_proc_filter_match(&s->filter, name);
        }
        if (d->selected) {
            emit_device(out, d, st);
        }
        for (size_t i = 0; i < N_COUNTERS; i++) {
            d->v[i] = st[counters[i].stat];
        }
        d->has_prev = true;
    }
    st_proc_close(&r);
    st_proc_devs_end(&s->devs);
    if (more < 0) {
        return more;
    }
    if (r.overlong && err == 0) {
        err = -EBADMSG;
    }
    return err;
}

const struct st_source_ops st_source_diskio = {
    .name = "diskio",
    .init = diskio_init,
    .collect = diskio_collect,
    .fini = diskio_fini,
};
