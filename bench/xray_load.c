/* SPDX-License-Identifier: MIT */
/*
 * Load generator of bench_traces.sh: X-Ray daemon datagrams to UDP 127.0.0.1:P.
 *
 *   xray_load --port P --rate R --seconds D [--first N] [--bytes B]
 *
 * Sends R datagrams per second for D seconds (paced in batches of 64 with sendmmsg), each the
 * header line and one segment document of about B bytes (default 1500): a root segment "web"
 * with http, annotations, a remote call to "db.internal" and metadata padding, one trace per
 * datagram with trace numbers from N on; every tenth faults. Prints "sent=<n>".
 */
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BATCH 64
#define MAXB  8192

static long arg_long(int argc, char **argv, const char *name, long def)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return strtol(argv[i + 1], NULL, 10);
        }
    }
    return def;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t make(char *buf, long n, double t, long bytes)
{
    bool fault = n % 10 == 0;
    int len = snprintf(
        buf, MAXB,
        "{\"format\": \"json\", \"version\": 1}\n"
        "{\"name\":\"web\",\"id\":\"%016lx\",\"trace_id\":\"1-%08lx-%024lx\",\"start_time\":%.6f,"
        "\"end_time\":%.6f,\"origin\":\"AWS::EC2::Instance\",\"fault\":%s,\"http\":{\"request\":"
        "{\"method\":\"GET\",\"url\":\"http://web.example/api/items/%ld\",\"user_agent\":"
        "\"bench/1.0\",\"client_ip\":\"10.0.0.1\"},\"response\":{\"status\":%d}},"
        "\"annotations\":{\"customer\":\"c%ld\",\"tier\":%ld},\"subsegments\":[{\"name\":"
        "\"db.internal\",\"id\":\"%016lx\",\"namespace\":\"remote\",\"start_time\":%.6f,"
        "\"end_time\":%.6f,\"fault\":%s,\"http\":{\"request\":{\"method\":\"POST\",\"url\":"
        "\"http://db.internal/q\"},\"response\":{\"status\":%d}}}],\"metadata\":{\"pad\":\"",
        n + 1, (unsigned long)t, n, t - 0.05, t, fault ? "true" : "false", n, fault ? 500 : 200,
        n % 100, n % 3, (n + 1) | (1ul << 60), t - 0.04, t - 0.01, fault ? "true" : "false",
        fault ? 503 : 200);
    while (len < bytes + 34 - 3 && len < MAXB - 4) {
        buf[len++] = 'x';
    }
    memcpy(buf + len, "\"}}", 3);
    return (size_t)len + 3;
}

int main(int argc, char **argv)
{
    int port = (int)arg_long(argc, argv, "--port", 2000);
    long rate = arg_long(argc, argv, "--rate", 10000);
    long seconds = arg_long(argc, argv, "--seconds", 5);
    long first = arg_long(argc, argv, "--first", 0);
    long bytes = arg_long(argc, argv, "--bytes", 1500);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
        perror("xray_load");
        return 1;
    }
    static char bufs[BATCH][MAXB];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    long total = rate * seconds, sent = 0, n = first;
    double start = now_s();
    while (sent < total) {
        double due = (now_s() - start) * (double)rate;
        if ((double)sent >= due) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        int k = 0;
        double t = now_s();
        for (; k < BATCH && sent + k < total; k++) {
            iov[k] = (struct iovec){bufs[k], make(bufs[k], n + k, t, bytes)};
            msgs[k].msg_hdr = (struct msghdr){.msg_iov = &iov[k], .msg_iovlen = 1};
        }
        int r = sendmmsg(fd, msgs, (unsigned)k, 0);
        if (r < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
                continue;
            }
            perror("sendmmsg");
            return 1;
        }
        sent += r;
        n += r;
    }
    printf("sent=%ld\n", sent);
    return 0;
}
