/* SPDX-License-Identifier: MIT */
/*
 * The mem source: /proc/meminfo as telegraf's mem input computes it through gopsutil, which the
 * CloudWatch agent runs. cached includes SReclaimable; used = total - free - buffers - cached;
 * available is MemAvailable (free + cached on kernels before 3.14, which lack it); the
 * percentages are of MemTotal. All gauges, in bytes, emitted from the first collection.
 */
#include <errno.h>
#include <string.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define BUF_SIZE 4096

enum {
    K_TOTAL,
    K_FREE,
    K_AVAILABLE,
    K_BUFFERS,
    K_CACHED,
    K_ACTIVE,
    K_INACTIVE,
    K_SRECLAIMABLE,
    K_N,
};

static const char *const keys[K_N] = {
    "MemTotal", "MemFree", "MemAvailable", "Buffers",
    "Cached",   "Active",  "Inactive",     "SReclaimable",
};

struct mem_state {
    char *root;
    int fd_meminfo; /* kept open between collections (st_proc_open_kept), or -1 */
    char buf[BUF_SIZE];
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void mem_fini(void *state)
{
    struct mem_state *s = state;
    if (!s) {
        return;
    }
    st_proc_kept_close(&s->fd_meminfo);
    st_free(s->root);
    st_free(s);
}

static int mem_init(const struct st_source_config *cfg, void **ret_state)
{
    struct mem_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_meminfo = -1;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        mem_fini(s);
        return r;
    }
    *ret_state = s;
    return 0;
}

static int mem_collect(void *state, struct st_emitter *out)
{
    struct mem_state *s = state;
    struct st_proc_reader r;
    int ret =
        st_proc_open_kept(&r, &s->fd_meminfo, s->root, "/proc/meminfo", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    uint64_t v[K_N] = {0};
    bool have[K_N] = {false};
    bool bad = false;
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor key;
        uint64_t value;
        int lr = st_proc_meminfo_line(&line, &key, &value);
        for (int k = 0; k < K_N; k++) {
            if (lr == 0 && st_proc_field_eq(&key, keys[k])) {
                v[k] = value;
                have[k] = true;
                break;
            }
        }
        if (lr < 0) {
            /* Only a line we need matters; recognise it by its start. */
            for (int k = 0; k < K_N; k++) {
                size_t n = strlen(keys[k]);
                if (st_cursor_left(&line) >= n && memcmp(line.pos, keys[k], n) == 0) {
                    bad = true;
                }
            }
        }
    }
    st_proc_close(&r);
    if (more < 0) {
        return more;
    }
    if (!have[K_TOTAL] || v[K_TOTAL] == 0 || !have[K_FREE]) {
        return -EBADMSG;
    }
    uint64_t total = v[K_TOTAL];
    uint64_t cached = sat_add(v[K_CACHED], v[K_SRECLAIMABLE]);
    uint64_t available = have[K_AVAILABLE] ? v[K_AVAILABLE] : sat_add(v[K_FREE], cached);
    uint64_t not_used = sat_add(sat_add(v[K_FREE], v[K_BUFFERS]), cached);
    /* gopsutil's uint64 would wrap here (containers can report so); 0 is the honest floor. */
    uint64_t used = total > not_used ? total - not_used : 0;

    st_emit(out, "active", ST_UNIT_BYTES, (double)v[K_ACTIVE], NULL, 0);
    st_emit(out, "available", ST_UNIT_BYTES, (double)available, NULL, 0);
    st_emit(out, "available_percent", ST_UNIT_PERCENT, 100.0 * (double)available / (double)total,
            NULL, 0);
    st_emit(out, "buffered", ST_UNIT_BYTES, (double)v[K_BUFFERS], NULL, 0);
    st_emit(out, "cached", ST_UNIT_BYTES, (double)cached, NULL, 0);
    st_emit(out, "free", ST_UNIT_BYTES, (double)v[K_FREE], NULL, 0);
    st_emit(out, "inactive", ST_UNIT_BYTES, (double)v[K_INACTIVE], NULL, 0);
    st_emit(out, "total", ST_UNIT_BYTES, (double)total, NULL, 0);
    st_emit(out, "used", ST_UNIT_BYTES, (double)used, NULL, 0);
    st_emit(out, "used_percent", ST_UNIT_PERCENT, 100.0 * (double)used / (double)total, NULL, 0);
    return bad ? -EBADMSG : 0;
}

const struct st_source_ops st_source_mem = {
    .name = "mem",
    .init = mem_init,
    .collect = mem_collect,
    .fini = mem_fini,
};
