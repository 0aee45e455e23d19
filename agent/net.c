/* SPDX-License-Identifier: MIT */
/*
 * The net source: /proc/net/dev per interface (interface=eth0), as telegraf's net input reads it
 * and the CloudWatch agent sends it: each counter as its change since the previous collection
 * (nothing on the first, nothing for a counter that went backwards). Without resources (or with
 * "*"), as telegraf, loopback interfaces and interfaces that are down are skipped, judged by
 * /sys/class/net/<name>/flags under the root (when that cannot be read: only "lo" is skipped);
 * interfaces that resources name are sent whatever their state. With the root "/", the flags
 * come from one SIOCGIFFLAGS ioctl per interface instead, the same flags of the same
 * namespace's interfaces as /proc/net/dev lists (which is /proc/self/net/dev), for one system
 * call where the file costs three.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define BUF_SIZE    8192
#define N_STATS     16
#define IFF_UP_     0x1
#define IFF_LOOPBK_ 0x8

/* The columns after "name:", receive then transmit. */
enum {
    RX_BYTES = 0,
    RX_PACKETS = 1,
    RX_ERRS = 2,
    RX_DROP = 3,
    TX_BYTES = 8,
    TX_PACKETS = 9,
    TX_ERRS = 10,
    TX_DROP = 11,
};

static const struct {
    int stat;
    const char *name;
    enum st_unit unit;
} counters[] = {
    {TX_BYTES, "bytes_sent", ST_UNIT_BYTES},     {RX_BYTES, "bytes_recv", ST_UNIT_BYTES},
    {RX_DROP, "drop_in", ST_UNIT_COUNT},         {TX_DROP, "drop_out", ST_UNIT_COUNT},
    {RX_ERRS, "err_in", ST_UNIT_COUNT},          {TX_ERRS, "err_out", ST_UNIT_COUNT},
    {TX_PACKETS, "packets_sent", ST_UNIT_COUNT}, {RX_PACKETS, "packets_recv", ST_UNIT_COUNT},
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

_Static_assert(N_COUNTERS <= ST_PROC_DEV_VALUES, "net counters fit a device slot");

struct net_state {
    char *root;
    int fd_dev;   /* kept open between collections (st_proc_open_kept), or -1 */
    int fd_ioctl; /* a socket for SIOCGIFFLAGS under the root "/", or -1: read the files */
    struct st_proc_filter filter;
    struct st_proc_devs devs;
    char buf[BUF_SIZE];
};

static void net_fini(void *state)
{
    struct net_state *s = state;
    if (!s) {
        return;
    }
    st_proc_devs_fini(&s->devs);
    st_proc_filter_fini(&s->filter);
    st_proc_kept_close(&s->fd_dev);
    if (s->fd_ioctl >= 0) {
        close(s->fd_ioctl);
    }
    st_free(s->root);
    st_free(s);
}

static int net_init(const struct st_source_config *cfg, void **ret_state)
{
    struct net_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_dev = -1;
    s->fd_ioctl = -1;
    s->filter.all = true;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        goto fail;
    }
    if (s->root[0] == '\0') {
        s->fd_ioctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* -1: the files, then */
    }
    r = st_proc_filter_init(&s->filter, cfg);
    if (r < 0) {
        goto fail;
    }
    *ret_state = s;
    return 0;
fail:
    net_fini(s);
    return r;
}

/* Whether telegraf would send an interface it was not told about: up and not loopback. */
static bool up_and_not_loopback(const struct net_state *s, const char *name)
{
    char path[ST_PROC_PATH_MAX];
    char buf[64];
    struct st_proc_reader r;
    struct st_cursor line, f;
    uint64_t flags;
    struct ifreq ifr;
    size_t len = strlen(name);
    if (s->fd_ioctl >= 0 && len < sizeof(ifr.ifr_name)) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, name, len);
        if (ioctl(s->fd_ioctl, SIOCGIFFLAGS, &ifr) == 0) {
            flags = (uint16_t)ifr.ifr_flags;
            return (flags & IFF_UP_) && !(flags & IFF_LOOPBK_);
        }
    }
    if (snprintf(path, sizeof(path), "/sys/class/net/%s/flags", name) >= (int)sizeof(path) ||
        st_proc_open(&r, s->root, path, buf, sizeof(buf)) < 0) {
        return strcmp(name, "lo") != 0;
    }
    int got = st_proc_next_line(&r, &line);
    st_proc_close(&r);
    if (got <= 0 || st_proc_field(&line, &f) < 0 || st_proc_parse_hex(&f, &flags) < 0) {
        return strcmp(name, "lo") != 0;
    }
    return (flags & IFF_UP_) && !(flags & IFF_LOOPBK_);
}

/* "  name: s0 s1 ... s15". Returns 0 or -EBADMSG. */
static int parse_line(const struct st_cursor *line, char name[ST_PROC_DEV_NAME],
                      uint64_t st[N_STATS])
{
    /* The name ends at the last ':' (the numbers have none). */
    const uint8_t *colon = NULL;
    for (const uint8_t *p = line->pos; p < line->end; p++) {
        if (*p == ':') {
            colon = p;
        }
    }
    if (!colon) {
        return -EBADMSG;
    }
    struct st_cursor head, rest, f;
    st_cursor_init(&head, line->pos, (size_t)(colon - line->pos));
    st_cursor_init(&rest, colon + 1, (size_t)(line->end - colon - 1));
    if (st_proc_field(&head, &f) < 0 || st_proc_field_copy(&f, name, ST_PROC_DEV_NAME) < 0 ||
        st_proc_field(&head, &f) == 0) {
        return -EBADMSG;
    }
    /* The name goes into a path under /sys: no separators, no dot entries. */
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return -EBADMSG;
    }
    for (int i = 0; i < N_STATS; i++) {
        if (st_proc_field_u64(&rest, &st[i]) < 0) {
            return -EBADMSG;
        }
    }
    return 0;
}

static bool is_header(const struct st_cursor *line)
{
    /* "Inter-|   Receive ..." and " face |bytes ...": the only lines with a '|'. */
    return memchr(line->pos, '|', st_cursor_left(line)) != NULL;
}

static int net_collect(void *state, struct st_emitter *out)
{
    struct net_state *s = state;
    struct st_proc_reader r;
    int ret = st_proc_open_kept(&r, &s->fd_dev, s->root, "/proc/net/dev", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    st_proc_devs_begin(&s->devs);
    int err = 0;
    bool explicit = st_proc_filter_explicit(&s->filter);
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor probe = line, f;
        if (is_header(&line) || st_proc_field(&probe, &f) < 0) {
            continue;
        }
        char name[ST_PROC_DEV_NAME];
        uint64_t st[N_STATS];
        if (parse_line(&line, name, st) < 0) {
            err = -EBADMSG;
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
        /* Up or down can change from one collection to the next; ask each time. */
        if (d->has_prev && d->selected && (explicit || up_and_not_loopback(s, name))) {
            struct st_dim_kv dim = {"interface", d->name};
            for (size_t i = 0; i < N_COUNTERS; i++) {
                uint64_t delta;
                if (st_proc_delta(st[counters[i].stat], d->v[i], &delta)) {
                    st_emit(out, counters[i].name, counters[i].unit, (double)delta, &dim, 1);
                }
            }
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

const struct st_source_ops st_source_net = {
    .name = "net",
    .init = net_init,
    .collect = net_collect,
    .fini = net_fini,
};
