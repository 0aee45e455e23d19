/* SPDX-License-Identifier: MIT */
/*
 * The disk source: usage of each mounted file system, as telegraf's disk input reports it. The
 * mounts come from /proc/self/mounts under the root (or /proc/mounts); each is measured with
 * statvfs(root + mount point). As telegraf: autofs mounts are always skipped (measuring one
 * would trigger it), then the types in ignore_fs, then the mount points not in resources, then
 * those statvfs fails on or that have no blocks (proc, sysfs, cgroup...). Nothing else is
 * skipped by default, as in the CloudWatch agent, whose ignore_file_system_types has no default.
 * All gauges, per path/device/fstype, emitted from the first collection.
 *
 * The types in no_blocks are the kernel's pseudo file systems whose statfs is simple_statfs:
 * they always report zero blocks, so they are skipped without the statvfs (a host has a dozen
 * of them, cgroup hierarchies mostly). The result is the same; the system calls are not.
 *
 * The mount table changes seldom, and the kernel says when: poll() on an open mounts file
 * reports POLLPRI once the namespace's table has changed since the file was opened or last
 * polled. So with the file kept open (a real procfs) the mounts chosen by the last read are
 * kept too (path, device and fstype, a few hundred bytes), and a collection only statvfs()es
 * them until poll says the table changed.
 */
#include <poll.h>
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

/* overlay mounts carry their layer list in the options: lines of several KB are normal. */
#define BUF_SIZE   16384
#define CFG_IGNORE ((struct st_source_config *)0)->ignore_fs
#define IGNORE_N   (sizeof(CFG_IGNORE) / sizeof(CFG_IGNORE[0]))
#define FSTYPE_SZ  sizeof(CFG_IGNORE[0])
/* A mount table whose chosen mounts take more than this is read every time instead. */
#define CHOSEN_MAX (256u << 10)

struct disk_state {
    char *root;
    int fd_mounts; /* kept open between collections (st_proc_open_kept), or -1 */
    bool drop_device;
    struct st_proc_filter filter;
    size_t n_ignore;
    char ignore[IGNORE_N][FSTYPE_SZ];
    char path[ST_PROC_PATH_MAX]; /* the mount point, unescaped */
    char device[ST_PROC_PATH_MAX];
    char full[ST_PROC_PATH_MAX]; /* root + path, for statvfs */
    /* The mounts the last read chose: fstype, path and device, each NUL-terminated, in turn. */
    char *chosen;
    size_t chosen_len, chosen_cap;
    bool chosen_valid; /* they are all of them, and fd_mounts is kept: poll tells a change */
    int chosen_err;    /* what that read returned: 0 or -EBADMSG */
    char buf[BUF_SIZE];
};

static void disk_fini(void *state)
{
    struct disk_state *s = state;
    if (!s) {
        return;
    }
    st_proc_filter_fini(&s->filter);
    st_proc_kept_close(&s->fd_mounts);
    st_free(s->chosen);
    st_free(s->root);
    st_free(s);
}

static int disk_init(const struct st_source_config *cfg, void **ret_state)
{
    struct disk_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_mounts = -1;
    s->filter.all = true;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        goto fail;
    }
    r = st_proc_filter_init(&s->filter, cfg);
    if (r < 0) {
        goto fail;
    }
    s->drop_device = cfg->drop_device;
    size_t n = cfg->n_ignore_fs < IGNORE_N ? cfg->n_ignore_fs : IGNORE_N;
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(cfg->ignore_fs[i], FSTYPE_SZ - 1);
        memcpy(s->ignore[i], cfg->ignore_fs[i], len);
        s->ignore[i][len] = '\0';
    }
    s->n_ignore = n;
    *ret_state = s;
    return 0;
fail:
    disk_fini(s);
    return r;
}

static bool is_octal(uint8_t b)
{
    return b >= '0' && b <= '7';
}

/*
 * Copies a field of the mounts file into dst, undoing the kernel's octal escapes of space, tab,
 * newline and backslash ("\040"). Returns 0 or -ENAMETOOLONG.
 */
static int unescape(const struct st_cursor *field, char *dst, size_t size)
{
    const uint8_t *p = field->pos;
    size_t n = st_cursor_left(field), o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b == '\\' && n - i >= 4 && is_octal(p[i + 1]) && is_octal(p[i + 2]) &&
            is_octal(p[i + 3])) {
            unsigned v = (unsigned)(p[i + 1] - '0') << 6 | (unsigned)(p[i + 2] - '0') << 3 |
                         (unsigned)(p[i + 3] - '0');
            b = (uint8_t)v;
            i += 3;
        }
        if (b == '\0' || o + 1 >= size) {
            return -ENAMETOOLONG;
        }
        dst[o++] = (char)b;
    }
    dst[o] = '\0';
    return 0;
}

static const char *const no_blocks[] = {
    "binfmt_misc", "bpf",        "cgroup",     "cgroup2",   "configfs", "debugfs",
    "devpts",      "fusectl",    "mqueue",     "nsfs",      "proc",     "pstore",
    "ramfs",       "rpc_pipefs", "securityfs", "selinuxfs", "sysfs",    "tracefs",
};

static bool has_no_blocks(const struct st_cursor *fstype)
{
    for (size_t i = 0; i < sizeof(no_blocks) / sizeof(no_blocks[0]); i++) {
        if (st_proc_field_eq(fstype, no_blocks[i])) {
            return true;
        }
    }
    return false;
}

static bool ignored(const struct disk_state *s, const struct st_cursor *fstype)
{
    if (st_proc_field_eq(fstype, "autofs")) {
        return true;
    }
    for (size_t i = 0; i < s->n_ignore; i++) {
        if (st_proc_field_eq(fstype, s->ignore[i])) {
            return true;
        }
    }
    return false;
}

static void emit_usage(const struct disk_state *s, struct st_emitter *out, const char *path,
                       const char *device, const char *fstype, const struct statvfs *v)
{
    uint64_t frsize = v->f_frsize ? v->f_frsize : v->f_bsize;
    uint64_t blocks = v->f_blocks;
    uint64_t bfree = v->f_bfree < blocks ? v->f_bfree : blocks;
    uint64_t total = blocks * frsize;
    uint64_t free_bytes = (uint64_t)v->f_bavail * frsize;
    uint64_t used = (blocks - bfree) * frsize;
    uint64_t ffree = v->f_ffree < v->f_files ? v->f_ffree : v->f_files;
    double used_percent = 0.0;
    if (used + free_bytes > 0) {
        used_percent = 100.0 * (double)used / ((double)used + (double)free_bytes);
    }
    /* telegraf's device tag: the device without "/dev/" ("sda1", "mapper/vg-root", "tmpfs"). */
    if (strncmp(device, "/dev/", 5) == 0) {
        device += 5;
    }
    struct st_dim_kv dims[3] = {{"path", path}, {"device", device}, {"fstype", fstype}};
    struct st_dim_kv dims_nodev[2] = {{"path", path}, {"fstype", fstype}};
    const struct st_dim_kv *d = s->drop_device ? dims_nodev : dims;
    size_t nd = s->drop_device ? 2 : 3;
    st_emit(out, "free", ST_UNIT_BYTES, (double)free_bytes, d, nd);
    st_emit(out, "inodes_free", ST_UNIT_COUNT, (double)ffree, d, nd);
    st_emit(out, "inodes_total", ST_UNIT_COUNT, (double)v->f_files, d, nd);
    st_emit(out, "inodes_used", ST_UNIT_COUNT, (double)(v->f_files - ffree), d, nd);
    st_emit(out, "total", ST_UNIT_BYTES, (double)total, d, nd);
    st_emit(out, "used", ST_UNIT_BYTES, (double)used, d, nd);
    st_emit(out, "used_percent", ST_UNIT_PERCENT, used_percent, d, nd);
}

/* Measures one mount and emits its usage, unless it is gone or has no blocks (not an error). */
static int measure(struct disk_state *s, struct st_emitter *out, const char *fstype,
                   const char *path, const char *device)
{
    if (st_proc_path(s->full, sizeof(s->full), s->root, path) < 0) {
        return -EBADMSG;
    }
    struct statvfs v;
    if (statvfs(s->full, &v) < 0 || v.f_blocks == 0) {
        /* Gone, not ours to see, or a pseudo file system: as telegraf, not an error. */
        return 0;
    }
    emit_usage(s, out, path, device, fstype, &v);
    return 0;
}

/* Adds a chosen mount to the list; past CHOSEN_MAX (or out of memory) the list is given up. */
static void choose(struct disk_state *s, const char *fstype)
{
    const char *parts[3] = {fstype, s->path, s->device};
    size_t need = 0;
    for (int i = 0; i < 3; i++) {
        need += strlen(parts[i]) + 1;
    }
    if (s->chosen_len + need > CHOSEN_MAX) {
        s->chosen_valid = false;
        return;
    }
    if (s->chosen_len + need > s->chosen_cap) {
        size_t cap = s->chosen_cap ? s->chosen_cap * 2 : 512;
        while (cap < s->chosen_len + need) {
            cap *= 2;
        }
        char *p = st_realloc(s->chosen, cap);
        if (!p) {
            s->chosen_valid = false;
            return;
        }
        s->chosen = p;
        s->chosen_cap = cap;
    }
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]) + 1;
        memcpy(s->chosen + s->chosen_len, parts[i], n);
        s->chosen_len += n;
    }
}

/* Whether the mount table may have changed since the chosen mounts were read. */
static bool table_changed(const struct disk_state *s)
{
    if (!s->chosen_valid || s->fd_mounts < 0) {
        return true;
    }
    struct pollfd p = {.fd = s->fd_mounts, .events = POLLPRI};
    return poll(&p, 1, 0) != 1 || (p.revents & (POLLERR | POLLPRI | POLLNVAL)) != 0;
}

static int disk_collect(void *state, struct st_emitter *out)
{
    struct disk_state *s = state;
    if (!table_changed(s)) {
        int err = s->chosen_err;
        for (size_t off = 0; off < s->chosen_len;) {
            const char *fstype = s->chosen + off;
            const char *path = fstype + strlen(fstype) + 1;
            const char *device = path + strlen(path) + 1;
            off = (size_t)(device + strlen(device) + 1 - s->chosen);
            if (measure(s, out, fstype, path, device) < 0) {
                err = -EBADMSG;
            }
        }
        return err;
    }
    struct st_proc_reader r;
    int ret =
        st_proc_open_kept(&r, &s->fd_mounts, s->root, "/proc/self/mounts", s->buf, sizeof(s->buf));
    if (ret == -ENOENT) {
        ret = st_proc_open_kept(&r, &s->fd_mounts, s->root, "/proc/mounts", s->buf, sizeof(s->buf));
    }
    if (ret < 0) {
        return ret;
    }
    s->chosen_len = 0;
    s->chosen_valid = s->fd_mounts >= 0;
    bool bad = false;
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor device, mount, fstype;
        if (st_proc_field(&line, &device) < 0 || st_proc_field(&line, &mount) < 0 ||
            st_proc_field(&line, &fstype) < 0) {
            bad = true;
            continue;
        }
        char fstype_s[FSTYPE_SZ * 2];
        if (st_proc_field_copy(&fstype, fstype_s, sizeof(fstype_s)) < 0 ||
            unescape(&mount, s->path, sizeof(s->path)) < 0 || s->path[0] != '/' ||
            unescape(&device, s->device, sizeof(s->device)) < 0) {
            bad = true;
            continue;
        }
        if (ignored(s, &fstype) || has_no_blocks(&fstype) ||
            !st_proc_filter_match(&s->filter, s->path)) {
            continue;
        }
        if (measure(s, out, fstype_s, s->path, s->device) < 0) {
            bad = true;
            continue;
        }
        if (s->chosen_valid) {
            choose(s, fstype_s);
        }
    }
    st_proc_close(&r);
    if (more < 0) {
        s->chosen_valid = false;
        return more;
    }
    s->chosen_err = bad || r.overlong ? -EBADMSG : 0;
    /* A read error closed the kept fd: then the next collection reads the table again. */
    s->chosen_valid = s->chosen_valid && s->fd_mounts >= 0;
    return s->chosen_err;
}

const struct st_source_ops st_source_disk = {
    .name = "disk",
    .init = disk_init,
    .collect = disk_collect,
    .fini = disk_fini,
};
