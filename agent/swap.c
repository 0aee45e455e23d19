/* SPDX-License-Identifier: MIT */
/*
 * The swap source: SwapTotal and SwapFree of /proc/meminfo (the same numbers as gopsutil's
 * sysinfo(2), but readable under a root), as telegraf's swap input reports them: free, used =
 * total - free, used_percent (0 without swap) and total, gauges; and in and out, the bytes
 * swapped in and out since boot (pswpin and pswpout of /proc/vmstat times 4096, as gopsutil),
 * cumulative as telegraf sends them (the CloudWatch agent turns only net and diskio counters into
 * deltas, and gives these no unit). Everything from the first collection.
 */
#include <errno.h>
#include <string.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define BUF_SIZE 4096
/* gopsutil's page size for pswpin/pswpout, whatever the machine's. */
#define SWAP_PAGE 4096

struct swap_state {
    char *root;
    int fd_meminfo; /* kept open between collections (st_proc_open_kept), or -1 */
    int fd_vmstat;  /* kept open between collections (st_proc_open_kept), or -1 */
    char buf[BUF_SIZE];
};

static void swap_fini(void *state)
{
    struct swap_state *s = state;
    if (!s) {
        return;
    }
    st_proc_kept_close(&s->fd_meminfo);
    st_proc_kept_close(&s->fd_vmstat);
    st_free(s->root);
    st_free(s);
}

static int swap_init(const struct st_source_config *cfg, void **ret_state)
{
    struct swap_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_meminfo = -1;
    s->fd_vmstat = -1;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        swap_fini(s);
        return r;
    }
    *ret_state = s;
    return 0;
}

static bool starts_with(const struct st_cursor *line, const char *s)
{
    size_t n = strlen(s);
    return st_cursor_left(line) >= n && memcmp(line->pos, s, n) == 0;
}

/*
 * Reads pswpin and pswpout from /proc/vmstat. Returns 0 with both found, -ENOENT or -EBADMSG
 * when either is missing, or a negative errno.
 */
static int read_vmstat(struct swap_state *s, uint64_t *ret_in, uint64_t *ret_out)
{
    struct st_proc_reader r;
    int ret = st_proc_open_kept(&r, &s->fd_vmstat, s->root, "/proc/vmstat", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    uint64_t in = 0, out = 0;
    bool have_in = false, have_out = false;
    struct st_cursor line;
    int more = 0;
    while (!(have_in && have_out) && (more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor key;
        uint64_t v;
        if (!starts_with(&line, "pswp") || st_proc_field(&line, &key) < 0 ||
            st_proc_field_u64(&line, &v) < 0 || v > UINT64_MAX / SWAP_PAGE) {
            continue;
        }
        if (st_proc_field_eq(&key, "pswpin")) {
            in = v * SWAP_PAGE;
            have_in = true;
        } else if (st_proc_field_eq(&key, "pswpout")) {
            out = v * SWAP_PAGE;
            have_out = true;
        }
    }
    st_proc_close(&r);
    if (more < 0) {
        return more;
    }
    if (!have_in || !have_out) {
        return -EBADMSG;
    }
    *ret_in = in;
    *ret_out = out;
    return 0;
}

static int swap_collect(void *state, struct st_emitter *out)
{
    struct swap_state *s = state;
    struct st_proc_reader r;
    int ret =
        st_proc_open_kept(&r, &s->fd_meminfo, s->root, "/proc/meminfo", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    uint64_t total = 0, free_bytes = 0;
    bool have_total = false, have_free = false;
    struct st_cursor line;
    int more = 0;
    while (!(have_total && have_free) && (more = st_proc_next_line(&r, &line)) > 0) {
        if (!starts_with(&line, "Swap")) {
            continue;
        }
        struct st_cursor key;
        uint64_t value;
        if (st_proc_meminfo_line(&line, &key, &value) < 0) {
            continue;
        }
        if (st_proc_field_eq(&key, "SwapTotal")) {
            total = value;
            have_total = true;
        } else if (st_proc_field_eq(&key, "SwapFree")) {
            free_bytes = value;
            have_free = true;
        }
    }
    st_proc_close(&r);
    if (more < 0) {
        return more;
    }
    if (!have_total || !have_free) {
        return -EBADMSG;
    }
    uint64_t used = total > free_bytes ? total - free_bytes : 0;
    st_emit(out, "free", ST_UNIT_BYTES, (double)free_bytes, NULL, 0);
    st_emit(out, "total", ST_UNIT_BYTES, (double)total, NULL, 0);
    st_emit(out, "used", ST_UNIT_BYTES, (double)used, NULL, 0);
    st_emit(out, "used_percent", ST_UNIT_PERCENT,
            total > 0 ? 100.0 * (double)used / (double)total : 0.0, NULL, 0);
    uint64_t in, pages_out;
    ret = read_vmstat(s, &in, &pages_out);
    if (ret == -ENOENT) {
        /* No /proc/vmstat (a trimmed-down root): the gauges are still right. */
        return 0;
    }
    if (ret < 0) {
        return ret;
    }
    st_emit(out, "in", ST_UNIT_NONE, (double)in, NULL, 0);
    st_emit(out, "out", ST_UNIT_NONE, (double)pages_out, NULL, 0);
    return 0;
}

const struct st_source_ops st_source_swap = {
    .name = "swap",
    .init = swap_init,
    .collect = swap_collect,
    .fini = swap_fini,
};
