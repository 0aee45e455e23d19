/* SPDX-License-Identifier: MIT */
/*
 * UDP addresses and sockets of the agent's listeners (StatsD, collectd, later the trace
 * daemon). An address without a host binds 127.0.0.1: servers listen on loopback unless told
 * otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_private.h"

int st_agent_parse_udp_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len)
{
    if (strncmp(s, "udp://", 6) == 0) {
        s += 6;
    }
    const char *colon = strrchr(s, ':');
    if (!colon) {
        return -EINVAL;
    }
    char host[128];
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof(host)) {
        return -EINVAL;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535) {
        return -EINVAL;
    }
    memset(ret, 0, sizeof(*ret));
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ret;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) {
            return -EINVAL;
        }
        *ret_len = sizeof(*a6);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ret;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, hl ? host : "127.0.0.1", &a4->sin_addr) != 1) {
        return -EINVAL;
    }
    *ret_len = sizeof(*a4);
    return 0;
}

int st_agent_udp_socket(const struct sockaddr_storage *addr, socklen_t len)
{
    int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    /*
     * Bursts must wait in the kernel, not be dropped there, while the loop is busy. SO_RCVBUF
     * is capped by net.core.rmem_max (about 200 kB by default, a few ms of a busy StatsD
     * stream); SO_RCVBUFFORCE is not, when the agent may use it (CAP_NET_ADMIN).
     */
    int rcvbuf = 8 * 1024 * 1024;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    if (bind(fd, (const struct sockaddr *)addr, len) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}
