/* SPDX-License-Identifier: MIT */
/*
 * Load generator for Prometheus's remote-write receiver, run by bench_prometheus.sh to measure
 * the peer figure printed beside stratus-collector's ingest benchmark.
 *
 *   remote_write_load --port P --series S --connections K --seconds D
 *
 * Before the clock starts it encodes every request it will send: a prometheus.WriteRequest of
 * --batch (1000) samples, each its own TimeSeries with labels __name__="bench_metric",
 * host="h1", series="<n>" and one sample, hand-encoded as protobuf and snappy block-compressed.
 * It then keeps K keep-alive HTTP/1.1 connections busy posting them to
 * http://127.0.0.1:P/api/v1/write, first for a warm-up (at least --warmup seconds and until
 * every series has been created), then for D measured seconds, and prints the samples per
 * second that were answered 2xx and the error counts.
 *
 * Prometheus rejects, or silently drops, a sample older than its series' newest one, so the
 * timestamps of each series must reach it in increasing order. The series are therefore split
 * between the connections (series n belongs to connection n % K) and each connection has one
 * request in flight, as Prometheus's own remote-write shards do. A connection walks over its
 * series in order, one sample per series per round, and round r carries timestamp
 * start + r * --step-ms. When a connection has fewer than --batch series, a request holds
 * several rounds and a series appears in it more than once, in timestamp order, which is also
 * what Prometheus's own sender does.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <snappy-c.h>

#define HOST            "127.0.0.1"
#define WRITE_PATH      "/api/v1/write"
#define METRIC_NAME     "bench_metric"
#define HOST_LABEL      "h1"
#define TICK_US         100000
#define DRAIN_LIMIT_US  (30 * 1000000ULL)
#define WARMUP_LIMIT_US (900 * 1000000ULL)
/* Worst case of one encoded TimeSeries entry with a 20-digit series number. */
#define MAX_ENTRY_BYTES 128

struct config {
    unsigned port;
    uint64_t series;
    unsigned connections;
    double seconds;
    double warmup_s;
    unsigned batch;
    uint64_t step_ms;
    uint64_t max_rate;
    uint64_t max_pool_mb;
    int server_pid;
    bool progress;
};

/* One pre-encoded, snappy-compressed WriteRequest. */
struct blob {
    uint8_t *data;
    size_t len;
};

struct counters {
    uint64_t ok_requests;
    uint64_t ok_samples;
    uint64_t http_4xx;
    uint64_t http_5xx;
    uint64_t http_other;
    uint64_t failed;
};

enum phase {
    PHASE_WARMUP,
    PHASE_MEASURE,
    PHASE_DRAIN,
};

struct load;

/* A connection and the series it owns: series idx, idx + K, idx + 2K, ... */
struct shard {
    struct load *load;
    unsigned idx;
    uint64_t n_series;
    struct blob *reqs;
    size_t n_reqs;
    size_t next;
    uint64_t completed_samples;
    bool first_round_done;
    struct evhttp_connection *conn;
    evutil_socket_t nodelay_fd;
};

struct load {
    const struct config *cfg;
    struct event_base *base;
    struct event *tick;
    struct shard *shards;
    unsigned n_shards;
    char host_header[32];
    enum phase phase;
    struct counters now, at_start, at_end, at_last_tick;
    uint64_t begin_us, start_us, end_us, last_tick_us, first_round_us;
    double server_cpu_start_s, server_cpu_end_s;
    unsigned shards_first_round_done;
    unsigned in_flight;
    bool pool_exhausted;
    bool measured;
    bool error_printed;
};

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Length of a length-delimited field (tag, length, bytes) whose payload is len bytes. */
static size_t field_len(size_t len)
{
    return 1 + varint_len(len) + len;
}

static uint8_t *put_bytes_field(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
    *p++ = tag;
    p = put_varint(p, len);
    memcpy(p, data, len);
    return p + len;
}

static size_t label_len(size_t name_len, size_t value_len)
{
    return field_len(name_len) + field_len(value_len);
}

/* Label { string name = 1; string value = 2; } as field 1 of a TimeSeries. */
static uint8_t *put_label(uint8_t *p, const char *name, size_t name_len, const char *value,
                          size_t value_len)
{
    *p++ = 0x0a;
    p = put_varint(p, label_len(name_len, value_len));
    p = put_bytes_field(p, 0x0a, name, name_len);
    return put_bytes_field(p, 0x12, value, value_len);
}

/*
 * Appends WriteRequest field 1, a TimeSeries with labels sorted by name (the remote-write spec
 * requires it) and one Sample { double value = 1; int64 timestamp = 2; }. p must have
 * MAX_ENTRY_BYTES free. Returns the end of what was written.
 */
static uint8_t *put_series_entry(uint8_t *p, uint64_t series, int64_t ts_ms, double value)
{
    static const char name_key[] = "__name__", host_key[] = "host", series_key[] = "series";
    char num[24];
    int num_len = snprintf(num, sizeof(num), "%" PRIu64, series);
    size_t sample_len = 1 + 8 + 1 + varint_len((uint64_t)ts_ms);
    size_t ts_len = field_len(label_len(sizeof(name_key) - 1, sizeof(METRIC_NAME) - 1)) +
                    field_len(label_len(sizeof(host_key) - 1, sizeof(HOST_LABEL) - 1)) +
                    field_len(label_len(sizeof(series_key) - 1, (size_t)num_len)) +
                    field_len(sample_len);
    uint64_t bits;

    *p++ = 0x0a;
    p = put_varint(p, ts_len);
    p = put_label(p, name_key, sizeof(name_key) - 1, METRIC_NAME, sizeof(METRIC_NAME) - 1);
    p = put_label(p, host_key, sizeof(host_key) - 1, HOST_LABEL, sizeof(HOST_LABEL) - 1);
    p = put_label(p, series_key, sizeof(series_key) - 1, num, (size_t)num_len);
    *p++ = 0x12;
    p = put_varint(p, sample_len);
    *p++ = 0x09;
    memcpy(&bits, &value, sizeof(bits));
    for (int i = 0; i < 8; i++) {
        *p++ = (uint8_t)(bits >> (8 * i));
    }
    *p++ = 0x10;
    return put_varint(p, (uint64_t)ts_ms);
}

/*
 * Encodes the shard's requests: at most n_reqs, and no more than max_bytes of compressed data.
 * Sets sh->reqs and sh->n_reqs. Returns 0 or -ENOMEM.
 */
static int shard_encode(struct shard *sh, const struct config *cfg, size_t n_reqs,
                        uint64_t max_bytes, uint64_t start_ms, uint64_t *ret_bytes)
{
    size_t raw_cap = (size_t)cfg->batch * MAX_ENTRY_BYTES;
    size_t comp_cap = snappy_max_compressed_length(raw_cap);
    uint8_t *raw = malloc(raw_cap);
    char *comp = malloc(comp_cap);
    uint64_t bytes = 0;
    int r = 0;

    sh->reqs = calloc(n_reqs, sizeof(*sh->reqs));
    if (!raw || !comp || !sh->reqs) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n_reqs && bytes < max_bytes; i++) {
        uint8_t *p = raw;

        for (unsigned s = 0; s < cfg->batch; s++) {
            uint64_t pos = (uint64_t)i * cfg->batch + s;
            uint64_t round = pos / sh->n_series;
            uint64_t series = sh->idx + (pos % sh->n_series) * cfg->connections;

            p = put_series_entry(p, series, (int64_t)(start_ms + round * cfg->step_ms),
                                 (double)round);
        }
        size_t comp_len = comp_cap;
        if (snappy_compress((const char *)raw, (size_t)(p - raw), comp, &comp_len) != SNAPPY_OK) {
            r = -EINVAL;
            goto out;
        }
        sh->reqs[i].data = malloc(comp_len);
        if (!sh->reqs[i].data) {
            r = -ENOMEM;
            goto out;
        }
        memcpy(sh->reqs[i].data, comp, comp_len);
        sh->reqs[i].len = comp_len;
        sh->n_reqs = i + 1;
        bytes += comp_len;
    }
    *ret_bytes = bytes;
out:
    free(raw);
    free(comp);
    return r;
}

static void load_free(struct load *load)
{
    if (!load) {
        return;
    }
    if (load->tick) {
        event_free(load->tick);
    }
    for (unsigned i = 0; load->shards && i < load->n_shards; i++) {
        struct shard *sh = &load->shards[i];

        if (sh->conn) {
            evhttp_connection_free(sh->conn);
        }
        for (size_t j = 0; sh->reqs && j < sh->n_reqs; j++) {
            free(sh->reqs[j].data);
        }
        free(sh->reqs);
    }
    free(load->shards);
    free(load);
}

static void print_counters(FILE *f, const char *prefix, const struct counters *c)
{
    fprintf(f,
            "%srequests_2xx=%" PRIu64 " %srequests_4xx=%" PRIu64 " %srequests_5xx=%" PRIu64
            " %srequests_other=%" PRIu64 " %srequests_failed=%" PRIu64,
            prefix, c->ok_requests, prefix, c->http_4xx, prefix, c->http_5xx, prefix, c->http_other,
            prefix, c->failed);
}

/*
 * CPU seconds (user + system, all threads) that process pid has used, or -1 when pid is 0 or
 * its /proc/PID/stat cannot be read. Lets the report say how much of its core the server had.
 */
static double process_cpu_s(int pid)
{
    char path[64], buf[1024];
    unsigned long long utime, stime;

    if (pid <= 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses; the fields follow the last ')'. */
    const char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2) {
        return -1;
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void end_measurement(struct load *load)
{
    if (load->phase == PHASE_MEASURE) {
        load->at_end = load->now;
        load->end_us = mono_us();
        load->server_cpu_end_s = process_cpu_s(load->cfg->server_pid);
        load->measured = true;
    }
    load->phase = PHASE_DRAIN;
    if (load->in_flight == 0) {
        event_base_loopbreak(load->base);
    }
}

static void on_response(struct evhttp_request *req, void *arg);

/* Posts the shard's next request, unless the run is draining or the pool is used up. */
static void send_next(struct shard *sh)
{
    struct load *load = sh->load;

    if (load->phase == PHASE_DRAIN) {
        return;
    }
    if (sh->next == sh->n_reqs) {
        if (!load->pool_exhausted) {
            fprintf(stderr,
                    "remote_write_load: connection %u used up its pre-encoded requests, "
                    "ending the run early (raise --max-rate)\n",
                    sh->idx);
        }
        load->pool_exhausted = true;
        end_measurement(load);
        return;
    }

    struct blob *b = &sh->reqs[sh->next++];
    struct evhttp_request *req = evhttp_request_new(on_response, sh);
    if (!req) {
        fprintf(stderr, "remote_write_load: out of memory\n");
        event_base_loopbreak(load->base);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", load->host_header);
    evhttp_add_header(h, "Content-Encoding", "snappy");
    evhttp_add_header(h, "Content-Type", "application/x-protobuf");
    evhttp_add_header(h, "X-Prometheus-Remote-Write-Version", "0.1.0");
    evhttp_add_header(h, "User-Agent", "stratus-remote-write-load/0.1");
    /* The blobs outlive every request, so the body refers to them instead of copying. */
    evbuffer_add_reference(evhttp_request_get_output_buffer(req), b->data, b->len, NULL, NULL);
    if (evhttp_make_request(sh->conn, req, EVHTTP_REQ_POST, WRITE_PATH) != 0) {
        /* evhttp_make_request has freed req. */
        fprintf(stderr, "remote_write_load: connection %u: cannot make a request\n", sh->idx);
        load->now.failed++;
        end_measurement(load);
        return;
    }
    load->in_flight++;

    /*
     * evhttp does not set TCP_NODELAY, and Nagle's algorithm against delayed ACKs can stall
     * the tail of a request for 40 ms. The socket exists once the request is made; it changes
     * when evhttp reconnects.
     */
    evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(sh->conn));
    if (fd >= 0 && fd != sh->nodelay_fd) {
        int one = 1;

        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sh->nodelay_fd = fd;
    }
}

static void print_error_once(struct load *load, struct evhttp_request *req, int code)
{
    if (load->error_printed) {
        return;
    }
    load->error_printed = true;
    if (!req || code == 0) {
        fprintf(stderr, "remote_write_load: request failed (connection error or timeout)\n");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > 300) {
        len = 300;
    }
    char body[301];
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    fprintf(stderr, "remote_write_load: first error: HTTP %d: %s\n", code, body);
}

static void on_response(struct evhttp_request *req, void *arg)
{
    struct shard *sh = arg;
    struct load *load = sh->load;
    int code = req ? evhttp_request_get_response_code(req) : 0;

    load->in_flight--;
    if (code >= 200 && code < 300) {
        load->now.ok_requests++;
        load->now.ok_samples += load->cfg->batch;
    } else {
        if (code == 0) {
            load->now.failed++;
        } else if (code >= 400 && code < 500) {
            load->now.http_4xx++;
        } else if (code >= 500 && code < 600) {
            load->now.http_5xx++;
        } else {
            load->now.http_other++;
        }
        print_error_once(load, req, code);
    }

    sh->completed_samples += load->cfg->batch;
    if (!sh->first_round_done && sh->completed_samples >= sh->n_series) {
        sh->first_round_done = true;
        if (++load->shards_first_round_done == load->n_shards) {
            load->first_round_us = mono_us() - load->begin_us;
        }
    }

    if (load->phase == PHASE_DRAIN) {
        if (load->in_flight == 0) {
            event_base_loopbreak(load->base);
        }
        return;
    }
    send_next(sh);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct load *load = arg;
    const struct config *cfg = load->cfg;
    uint64_t now_us = mono_us();

    (void)fd;
    (void)what;
    if (cfg->progress && now_us - load->last_tick_us >= 1000000) {
        double dt_s = (double)(now_us - load->last_tick_us) / 1e6;

        fprintf(stderr, "remote_write_load: t=%.1fs %s %.0f samples/s, errors %" PRIu64 "\n",
                (double)(now_us - load->begin_us) / 1e6,
                load->phase == PHASE_WARMUP ? "warm-up" : "measure",
                (double)(load->now.ok_samples - load->at_last_tick.ok_samples) / dt_s,
                load->now.failed + load->now.http_4xx + load->now.http_5xx + load->now.http_other);
        load->at_last_tick = load->now;
        load->last_tick_us = now_us;
    }

    switch (load->phase) {
    case PHASE_WARMUP:
        if (now_us - load->begin_us >= (uint64_t)(cfg->warmup_s * 1e6) &&
            load->shards_first_round_done == load->n_shards) {
            load->at_start = load->now;
            load->start_us = now_us;
            load->server_cpu_start_s = process_cpu_s(cfg->server_pid);
            load->phase = PHASE_MEASURE;
        } else if (now_us - load->begin_us > WARMUP_LIMIT_US) {
            fprintf(stderr, "remote_write_load: warm-up did not reach every series, giving up\n");
            end_measurement(load);
        }
        break;
    case PHASE_MEASURE:
        if (now_us - load->start_us >= (uint64_t)(cfg->seconds * 1e6)) {
            end_measurement(load);
        }
        break;
    case PHASE_DRAIN:
        if (now_us - load->end_us > DRAIN_LIMIT_US) {
            fprintf(stderr, "remote_write_load: %u requests still unanswered, not waiting\n",
                    load->in_flight);
            event_base_loopbreak(load->base);
        }
        break;
    }
}

/*
 * Builds the shards, their connections and their pre-encoded requests. Returns NULL on OOM or
 * when encoding fails; the caller owns the result and frees it with load_free.
 */
static struct load *load_new(const struct config *cfg, struct event_base *base)
{
    struct load *load = calloc(1, sizeof(*load));
    uint64_t start_ms = wall_ms();
    uint64_t t0_us = mono_us();
    uint64_t total_bytes = 0;
    size_t total_reqs = 0;

    if (!load) {
        return NULL;
    }
    load->cfg = cfg;
    load->base = base;
    load->n_shards = cfg->connections;
    snprintf(load->host_header, sizeof(load->host_header), HOST ":%u", cfg->port);
    load->shards = calloc(load->n_shards, sizeof(*load->shards));
    if (!load->shards) {
        goto fail;
    }

    /*
     * Enough requests for one round over the shard's series (the warm-up waits for it) plus
     * --max-rate samples/s for the warm-up and the measurement, with 20% to spare.
     */
    double timed_samples = (double)cfg->max_rate * (cfg->warmup_s + cfg->seconds) * 1.2;
    uint64_t max_bytes = cfg->max_pool_mb * 1024 * 1024 / load->n_shards;
    for (unsigned i = 0; i < load->n_shards; i++) {
        struct shard *sh = &load->shards[i];
        uint64_t bytes;

        sh->load = load;
        sh->idx = i;
        sh->nodelay_fd = -1;
        sh->n_series = (cfg->series - i + cfg->connections - 1) / cfg->connections;
        double samples = (double)sh->n_series + timed_samples / load->n_shards;
        size_t n_reqs = (size_t)(samples / cfg->batch) + 1;
        if (shard_encode(sh, cfg, n_reqs, max_bytes, start_ms, &bytes) < 0) {
            goto fail;
        }
        if (sh->n_reqs < n_reqs) {
            fprintf(stderr,
                    "remote_write_load: --max-pool-mb limits connection %u to %zu of %zu "
                    "requests\n",
                    i, sh->n_reqs, n_reqs);
        }
        total_bytes += bytes;
        total_reqs += sh->n_reqs;

        sh->conn = evhttp_connection_base_new(base, NULL, HOST, (unsigned short)cfg->port);
        if (!sh->conn) {
            goto fail;
        }
        evhttp_connection_set_timeout(sh->conn, 60);
        evhttp_connection_set_retries(sh->conn, 0);
        evhttp_connection_set_max_headers_size(sh->conn, 16384);
        evhttp_connection_set_max_body_size(sh->conn, 65536);
    }
    printf("remote_write_load: pre-encoded %zu requests of %u samples (%.1f MB snappy, "
           "%.0f bytes/sample) in %.1f s\n",
           total_reqs, cfg->batch, (double)total_bytes / 1048576.0,
           (double)total_bytes / ((double)total_reqs * cfg->batch),
           (double)(mono_us() - t0_us) / 1e6);

    load->tick = event_new(base, -1, EV_PERSIST, on_tick, load);
    if (!load->tick) {
        goto fail;
    }
    return load;
fail:
    load_free(load);
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: remote_write_load --port P [--series S] [--connections K] [--seconds D]\n"
               "         [--warmup W] [--batch N] [--step-ms MS] [--max-rate R] [--max-pool-mb M]\n"
               "         [--server-pid PID] [--progress]\n"
               "Posts snappy protobuf remote-write requests of N samples (default 1000) over S\n"
               "series (default 1000) to http://" HOST ":P" WRITE_PATH " on K connections\n"
               "(default 8) for W s of warm-up (default 3, and until every series exists), then D\n"
               "seconds (default 20), and prints the samples/s answered 2xx. Requests for R\n"
               "samples/s (default 1000000) are encoded up front, at most M MB (default 4096).\n"
               "With --server-pid, also prints the CPU seconds PID used during the measurement.\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

static int parse_seconds(const char *s, double min, double *ret)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= min) || v > 86400) {
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"series", required_argument, NULL, 's'},
        {"connections", required_argument, NULL, 'c'},
        {"seconds", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"batch", required_argument, NULL, 'b'},
        {"step-ms", required_argument, NULL, 't'},
        {"max-rate", required_argument, NULL, 'r'},
        {"max-pool-mb", required_argument, NULL, 'm'},
        {"server-pid", required_argument, NULL, 'S'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, opt_idx = 0;

    *cfg = (struct config){
        .series = 1000,
        .connections = 8,
        .seconds = 20,
        .warmup_s = 3,
        .batch = 1000,
        .step_ms = 1000,
        .max_rate = 1000000,
        .max_pool_mb = 4096,
    };
    while ((c = getopt_long(argc, argv, "", opts, &opt_idx)) != -1) {
        uint64_t v = 0;
        int r = 0;

        switch (c) {
        case 'p':
            r = parse_u64(optarg, 1, 65535, &v);
            cfg->port = (unsigned)v;
            break;
        case 's':
            r = parse_u64(optarg, 1, 1000000000, &cfg->series);
            break;
        case 'c':
            r = parse_u64(optarg, 1, 1024, &v);
            cfg->connections = (unsigned)v;
            break;
        case 'd':
            r = parse_seconds(optarg, 0.1, &cfg->seconds);
            break;
        case 'w':
            r = parse_seconds(optarg, 0, &cfg->warmup_s);
            break;
        case 'b':
            r = parse_u64(optarg, 1, 100000, &v);
            cfg->batch = (unsigned)v;
            break;
        case 't':
            r = parse_u64(optarg, 1, 3600000, &cfg->step_ms);
            break;
        case 'r':
            r = parse_u64(optarg, 1, 100000000, &cfg->max_rate);
            break;
        case 'm':
            r = parse_u64(optarg, 1, 1 << 20, &cfg->max_pool_mb);
            break;
        case 'S':
            r = parse_u64(optarg, 1, INT_MAX, &v);
            cfg->server_pid = (int)v;
            break;
        case 'P':
            cfg->progress = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
        if (r < 0) {
            fprintf(stderr, "remote_write_load: bad value for --%s: %s\n", opts[opt_idx].name,
                    optarg);
            usage(stderr);
            return r;
        }
    }
    if (optind != argc || cfg->port == 0) {
        usage(stderr);
        return -EINVAL;
    }
    if (cfg->connections > cfg->series) {
        fprintf(stderr, "remote_write_load: more connections than series, using %" PRIu64 "\n",
                cfg->series);
        cfg->connections = (unsigned)cfg->series;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct event_base *base = NULL;
    struct load *load = NULL;
    int status = 1;

    if (parse_args(argc, argv, &cfg) < 0) {
        return 2;
    }
    base = event_base_new();
    if (!base) {
        fprintf(stderr, "remote_write_load: cannot create the event loop\n");
        goto out;
    }
    load = load_new(&cfg, base);
    if (!load) {
        fprintf(stderr, "remote_write_load: cannot build the load (out of memory?)\n");
        goto out;
    }

    struct timeval tick = {.tv_sec = 0, .tv_usec = TICK_US};
    evtimer_add(load->tick, &tick);
    load->begin_us = load->last_tick_us = mono_us();
    for (unsigned i = 0; i < load->n_shards; i++) {
        send_next(&load->shards[i]);
    }
    event_base_dispatch(base);

    if (!load->measured) {
        fprintf(stderr, "remote_write_load: no measurement (the run ended during warm-up)\n");
        print_counters(stderr, "total_", &load->now);
        fputc('\n', stderr);
        goto out;
    }
    double window_s = (double)(load->end_us - load->start_us) / 1e6;
    struct counters d = {
        .ok_requests = load->at_end.ok_requests - load->at_start.ok_requests,
        .ok_samples = load->at_end.ok_samples - load->at_start.ok_samples,
        .http_4xx = load->at_end.http_4xx - load->at_start.http_4xx,
        .http_5xx = load->at_end.http_5xx - load->at_start.http_5xx,
        .http_other = load->at_end.http_other - load->at_start.http_other,
        .failed = load->at_end.failed - load->at_start.failed,
    };
    printf("remote_write_load: series=%" PRIu64 " connections=%u batch=%u warm-up %.1f s "
           "(all series created after %.1f s)\n",
           cfg.series, cfg.connections, cfg.batch, (double)(load->start_us - load->begin_us) / 1e6,
           (double)load->first_round_us / 1e6);
    printf("samples_per_s=%.0f seconds=%.3f samples=%" PRIu64 " ", (double)d.ok_samples / window_s,
           window_s, d.ok_samples);
    print_counters(stdout, "", &d);
    printf(" pool_exhausted=%d total_samples_2xx=%" PRIu64 " ", load->pool_exhausted ? 1 : 0,
           load->now.ok_samples);
    print_counters(stdout, "total_", &load->now);
    if (load->server_cpu_start_s >= 0 && load->server_cpu_end_s >= 0) {
        double cpu_s = load->server_cpu_end_s - load->server_cpu_start_s;

        printf(" server_cpu_s=%.2f server_cpu_share=%.3f samples_per_server_cpu_s=%.0f", cpu_s,
               cpu_s / window_s, cpu_s > 0 ? (double)d.ok_samples / cpu_s : 0.0);
    }
    putchar('\n');
    status = 0;
out:
    load_free(load);
    if (base) {
        event_base_free(base);
    }
    return status;
}
