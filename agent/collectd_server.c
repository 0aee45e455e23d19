/* SPDX-License-Identifier: MIT */
/*
 * The collectd listener (see listeners.h): packets of collectd's binary network protocol are
 * parsed by lib/collectd_proto.c at the configured security level (none, sign or encrypt, with
 * the users of collectd_auth_file) and each value becomes a datum named as the CloudWatch
 * agent names it (name_prefix + plugin + "_" + data source), with the packet's host and the
 * plugin instance, type and type instance as dimensions, at the packet's time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listeners.h"
#include "stratus/alloc.h"
#include "stratus/collectd_proto.h"
#include "stratus/log.h"

#define DGRAM_MAX 65536

struct st_collectd_server {
    struct st_agent *a;
    int fd;
    struct event *read_ev;
    struct st_collectd_auth *auth;
    enum st_collectd_security level;
    char prefix[64];
    uint8_t *buf;
    struct st_collectd_stats parse_stats;
    struct st_listener_stats stats;
    struct st_ratelimit bad_rl;
};

static void add(Stratus__Dimension *dims, Stratus__Dimension **ptrs, size_t *n, const char *name,
                const char *value)
{
    if (value && value[0]) {
        stratus__dimension__init(&dims[*n]);
        dims[*n].name = (char *)name;
        dims[*n].value = (char *)value;
        ptrs[*n] = &dims[*n];
        (*n)++;
    }
}

static int on_values(const struct st_collectd_value_list *vl, void *data)
{
    struct st_collectd_server *s = data;
    Stratus__Dimension dims[4], *ptrs[4];
    size_t n = 0;
    add(dims, ptrs, &n, "host", vl->host);
    add(dims, ptrs, &n, "instance", vl->plugin_instance);
    add(dims, ptrs, &n, "type", vl->type);
    add(dims, ptrs, &n, "type_instance", vl->type_instance);
    for (size_t i = 0; i < vl->n_values; i++) {
        char name[512];
        if (st_collectd_metric_name(vl, i, s->prefix, name, sizeof(name)) < 0) {
            s->stats.dropped++; /* a type types.db does not know, or a wrong value count */
            continue;
        }
        double v;
        switch (vl->types[i]) {
        case ST_COLLECTD_GAUGE:
            v = vl->values[i].gauge;
            break;
        case ST_COLLECTD_DERIVE:
            v = (double)vl->values[i].derive;
            break;
        case ST_COLLECTD_COUNTER:
            v = (double)vl->values[i].counter;
            break;
        default:
            v = (double)vl->values[i].absolute;
            break;
        }
        Stratus__MetricDatum d = STRATUS__METRIC_DATUM__INIT;
        d.metric_name = name;
        d.dimensions = ptrs;
        d.n_dimensions = n;
        d.has_timestamp_ms = true;
        d.timestamp_ms = (int64_t)st_collectd_time_to_ms(vl->time_hr);
        d.has_value = true;
        d.value = v;
        d.unit = "None";
        if (st_agent_submit(s->a, &d) < 0) {
            s->stats.dropped++;
        } else {
            s->stats.datums++;
        }
    }
    return 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct st_collectd_server *s = arg;
    for (int i = 0; i < 256; i++) {
        ssize_t len = recv(fd, s->buf, DGRAM_MAX, MSG_DONTWAIT);
        if (len < 0) {
            return;
        }
        s->stats.datagrams++;
        int r = st_collectd_parse(s->buf, (size_t)len, s->auth, s->level, on_values, s,
                                  &s->parse_stats);
        if (r < 0) {
            s->stats.bad++;
            if (st_ratelimit_allow(&s->bad_rl)) {
                st_log_warning("collectd: %s packet of %zd bytes, dropping it (%llu so far)",
                               r == -EACCES ? "unauthenticated" : "malformed", len,
                               (unsigned long long)s->stats.bad);
            }
        }
    }
}

static int read_auth(const char *path, struct st_collectd_auth **ret, struct st_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size > 1024 * 1024) {
        int e = fd < 0 ? errno : EFBIG;
        if (fd >= 0) {
            close(fd);
        }
        return st_error_set(err, -e, ST_ERR_INVALID_PARAMETER_VALUE,
                            "collectd: cannot read collectd_auth_file %s: %s", path, strerror(e));
    }
    uint8_t *buf = st_malloc((size_t)sb.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
    close(fd);
    int r = got < 0 ? -EIO : st_collectd_auth_parse(buf, (size_t)got, ret);
    st_free(buf);
    if (r < 0) {
        return st_error_set(err, r, ST_ERR_INVALID_PARAMETER_VALUE,
                            "collectd: %s is not a collectd auth file (user: password lines)",
                            path);
    }
    return 0;
}

void st_collectd_server_get_stats(const struct st_collectd_server *s, struct st_listener_stats *ret)
{
    *ret = s->stats;
}

void st_collectd_server_free(struct st_collectd_server *s)
{
    if (!s) {
        return;
    }
    if (s->read_ev) {
        event_free(s->read_ev);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    st_collectd_auth_free(s->auth);
    st_free(s->buf);
    st_free(s);
}

int st_collectd_server_new(struct event_base *base, struct st_agent *a,
                           struct st_collectd_server **ret, struct st_error *err)
{
    const struct st_agent_config *cfg = st_agent_config(a);
    struct st_collectd_server *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "collectd: out of memory");
    }
    s->a = a;
    s->fd = -1;
    s->bad_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    snprintf(s->prefix, sizeof(s->prefix), "%s", cfg->collectd_prefix);
    s->level = strcmp(cfg->collectd_security, "encrypt") == 0 ? ST_COLLECTD_SECURITY_ENCRYPT
               : strcmp(cfg->collectd_security, "sign") == 0  ? ST_COLLECTD_SECURITY_SIGN
                                                              : ST_COLLECTD_SECURITY_NONE;
    int r;
    if (s->level != ST_COLLECTD_SECURITY_NONE &&
        (r = read_auth(cfg->collectd_auth_file, &s->auth, err)) < 0) {
        goto fail;
    }
    struct sockaddr_storage addr;
    socklen_t alen;
    if (st_agent_parse_udp_address(cfg->collectd_address, &addr, &alen) < 0) {
        r = st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                         "collectd: service_address %s is not udp://HOST:PORT",
                         cfg->collectd_address);
        goto fail;
    }
    if ((r = st_agent_udp_socket(&addr, alen)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "collectd: cannot listen on %s: %s",
                     cfg->collectd_address, strerror(-r));
        goto fail;
    }
    s->fd = r;
    if (!(s->buf = st_malloc(DGRAM_MAX)) ||
        !(s->read_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_read, s))) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "collectd: out of memory");
        goto fail;
    }
    event_add(s->read_ev, NULL);
    *ret = s;
    return 0;
fail:
    st_collectd_server_free(s);
    return r;
}
