/* SPDX-License-Identifier: MIT */
/*
 * bench_alarms: what evaluating alarms costs the collector. It runs a real collector in this
 * process (st_collector_new on a temporary data directory, its HTTP server on 127.0.0.1 port 0,
 * its WAL, store, query pool and alarms.db), puts M minutes of datapoints for S series through
 * the PutMetricData op and A alarms of 60 s periods over them through the PutMetricAlarm op
 * (both through an in-process front end, as trace_ops.c puts its metrics), then runs R
 * evaluation rounds with st_alarms_evaluate_all, what the scheduler's minute tick does, each
 * timed until every alarm's evaluation has come back and every state write is durable. CPU
 * time is getrusage(RUSAGE_SELF) (every thread: the loop, the query threads, the alarms.db
 * worker) and the loop thread's own CLOCK_THREAD_CPUTIME_ID; memory is VmRSS before and after
 * the alarms are loaded.
 *
 * The peer figure: no other alarm evaluator can be installed here, so the bench measures what
 * is comparable, the same number of statistics reads of the same range over the same series
 * from RRD files through librrd's rrd_fetch_r (what `rrdtool fetch` runs), one per alarm, plus
 * the threshold comparison, in the same run. The files are made for the bench with one RRA per
 * consolidation function at 60 s, filled with the same per-minute values.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <rrd.h>

#include "collector_private.h"
#include "stratus/metric.h"
#include "stratus/time_util.h"

#define N_STATS 6

static const char *const stat_names[N_STATS] = {"Average", "Maximum",     "Minimum",
                                                "Sum",     "SampleCount", "p90"};

struct bench {
    unsigned n_alarms, n_series, minutes, rounds, per_minute;
    int64_t grace_s;
    char tmp[256];
    bool keep;
    struct event_base *base;
    struct st_collector *c;
    uint64_t replies, failures;
    char first_failure[512];
};

static struct bench B;

/* --- the in-process front end --- */

static void bench_reply(struct st_call *call, const ProtobufCMessage *resp, const uint8_t *packed,
                        size_t packed_len)
{
    (void)resp;
    (void)packed;
    (void)packed_len;
    B.replies++;
    st_call_release(call);
}

static void bench_fail(struct st_call *call, int status, const char *code, const char *message)
{
    if (B.failures++ == 0) {
        snprintf(B.first_failure, sizeof(B.first_failure), "%d %s: %s", status, code, message);
    }
    st_call_release(call);
}

static const struct st_frontend bench_fe = {bench_reply, bench_fail};

/* Runs op on a request the caller owns (the ops copy what they keep). */
static int run_op(const char *name, const ProtobufCMessage *req, int64_t arrival_ms)
{
    struct st_call *call = st_call_new(B.c);
    if (!call) {
        return -ENOMEM;
    }
    call->op = st_op_find(name, strlen(name));
    call->fe = &bench_fe;
    call->request = (ProtobufCMessage *)req;
    call->arrival_ms = arrival_ms;
    snprintf(call->peer, sizeof(call->peer), "bench");
    call->op->run(B.c, call);
    return 0;
}

/* Runs the loop until `want` replies (or failures) have come, or fails after 600 s. */
static int wait_replies(uint64_t want)
{
    uint64_t deadline = st_mono_us() + 600 * 1000000ULL;
    while (B.replies + B.failures < want) {
        event_base_loop(B.base, EVLOOP_ONCE);
        if (st_mono_us() > deadline) {
            fprintf(stderr, "bench_alarms: timed out waiting for replies\n");
            return -ETIMEDOUT;
        }
    }
    if (B.failures) {
        fprintf(stderr, "bench_alarms: %" PRIu64 " calls failed, first: %s\n", B.failures,
                B.first_failure);
        return -EIO;
    }
    return 0;
}

/* --- data --- */

static void host_name(unsigned s, char *buf, size_t len)
{
    snprintf(buf, len, "h%06u", s);
}

/* The value of series s at sample k of minute t: a level per series, a slow wave, noise. */
static double sample_value(unsigned s, int64_t t, unsigned k)
{
    double level = (double)(s % 100);
    return level + 10.0 * sin((double)t / 600.0 + s) + (double)((s * 7 + k * 13) % 10);
}

static int put_data(int64_t start_s)
{
    Stratus__PutMetricDataRequest req = STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    Stratus__MetricDatum *datums = calloc(ST_MAX_DATUMS, sizeof(*datums));
    Stratus__MetricDatum **ptrs = calloc(ST_MAX_DATUMS, sizeof(*ptrs));
    Stratus__Dimension *dims = calloc(ST_MAX_DATUMS, sizeof(*dims));
    Stratus__Dimension **dim_ptrs = calloc(ST_MAX_DATUMS, sizeof(*dim_ptrs));
    char(*hosts)[16] = calloc(ST_MAX_DATUMS, 16);
    if (!datums || !ptrs || !dims || !dim_ptrs || !hosts) {
        return -ENOMEM;
    }
    req.namespace_ = (char *)"Bench";
    req.metric_data = ptrs;
    uint64_t calls = 0;
    B.replies = B.failures = 0;
    for (unsigned m = 0; m < B.minutes; m++) {
        for (unsigned k = 0; k < B.per_minute; k++) {
            int64_t ts_ms =
                (start_s + (int64_t)m * 60) * 1000 + (int64_t)k * (60000 / B.per_minute);
            for (unsigned s = 0; s < B.n_series;) {
                req.n_metric_data = 0;
                for (; s < B.n_series && req.n_metric_data < ST_MAX_DATUMS; s++) {
                    size_t i = req.n_metric_data++;
                    Stratus__MetricDatum *d = &datums[i];
                    stratus__metric_datum__init(d);
                    stratus__dimension__init(&dims[i]);
                    host_name(s, hosts[i], sizeof(hosts[i]));
                    dims[i].name = (char *)"host";
                    dims[i].value = hosts[i];
                    dim_ptrs[i] = &dims[i];
                    d->metric_name = (char *)"cpu";
                    d->dimensions = &dim_ptrs[i];
                    d->n_dimensions = 1;
                    d->unit = (char *)"Percent";
                    d->has_timestamp_ms = true;
                    d->timestamp_ms = ts_ms;
                    d->has_value = true;
                    d->value = sample_value(s, start_s + (int64_t)m * 60, k);
                    ptrs[i] = d;
                }
                if (run_op("PutMetricData", &req.base, st_wall_ms()) < 0) {
                    return -ENOMEM;
                }
                calls++;
                /* The op reads the request until its WAL record is written and applied, so
                 * the buffers are reused only once it is answered. */
                if (wait_replies(calls) < 0) {
                    return -EIO;
                }
            }
        }
    }
    int r = wait_replies(calls);
    free(datums);
    free(ptrs);
    free(dims);
    free(dim_ptrs);
    free(hosts);
    return r;
}

/* Alarm i watches series i % S with statistic (i / S) % 6; thresholds spread around the
 * series' level so that some alarms go to ALARM and the rest to OK. */
static void alarm_setup(unsigned i, unsigned *ret_series, const char **ret_stat, double *ret_thr)
{
    unsigned s = i % B.n_series;
    unsigned st = (i / B.n_series) % N_STATS;
    double level = (double)(s % 100);
    double thr = level + (i % 2 ? 25.0 : 0.0);
    if (strcmp(stat_names[st], "Sum") == 0 || strcmp(stat_names[st], "SampleCount") == 0) {
        thr *= B.per_minute;
    }
    *ret_series = s;
    *ret_stat = stat_names[st];
    *ret_thr = thr;
}

static int put_alarms(void)
{
    B.replies = B.failures = 0;
    for (unsigned i = 0; i < B.n_alarms; i++) {
        char name[64], host[16];
        unsigned s;
        const char *stat;
        double thr;
        alarm_setup(i, &s, &stat, &thr);
        snprintf(name, sizeof(name), "alarm-%07u", i);
        host_name(s, host, sizeof(host));
        Stratus__Dimension dim = STRATUS__DIMENSION__INIT;
        Stratus__Dimension *dimp = &dim;
        dim.name = (char *)"host";
        dim.value = host;
        Stratus__PutMetricAlarmRequest req = STRATUS__PUT_METRIC_ALARM_REQUEST__INIT;
        req.alarm_name = name;
        req.namespace_ = (char *)"Bench";
        req.metric_name = (char *)"cpu";
        req.dimensions = &dimp;
        req.n_dimensions = 1;
        if (stat[0] == 'p') {
            req.extended_statistic = (char *)stat;
        } else {
            req.statistic = (char *)stat;
        }
        req.has_period = true;
        req.period = 60;
        req.has_evaluation_periods = true;
        req.evaluation_periods = 5;
        req.has_datapoints_to_alarm = true;
        req.datapoints_to_alarm = 3;
        req.has_threshold = true;
        req.threshold = thr;
        req.comparison_operator = (char *)"GreaterThanThreshold";
        req.treat_missing_data = (char *)"missing";
        if (run_op("PutMetricAlarm", &req.base, st_wall_ms()) < 0) {
            return -ENOMEM;
        }
        if ((i + 1) % 1000 == 0 && wait_replies(i + 1) < 0) {
            return -EIO;
        }
    }
    return wait_replies(B.n_alarms);
}

/* --- measuring --- */

static double rusage_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double thread_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return kb / 1024.0;
}

static bool all_idle(const struct st_alarms *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->items[i]->inflight) {
            return false;
        }
    }
    return true;
}

struct round {
    double wall_s, cpu_s, loop_s;
    uint64_t evaluations, transitions;
};

static int run_round(struct round *ret)
{
    struct st_alarms *a = B.c->alarms;
    uint64_t e0 = a->evaluations, t0 = a->transitions;
    double w0 = st_mono_us() / 1e6, c0 = rusage_s(), l0 = thread_s();
    st_alarms_evaluate_all(a, true);
    uint64_t deadline = st_mono_us() + 600 * 1000000ULL;
    /* Evaluations come back from the query pool; state writes then go to alarms.db. The
     * table is scanned for writes in flight at most every 20 ms, not to time the bench. */
    uint64_t next_scan = 0;
    for (;;) {
        if (a->evaluations - e0 >= B.n_alarms && st_mono_us() >= next_scan) {
            if (all_idle(a)) {
                break;
            }
            next_scan = st_mono_us() + 20000;
        }
        if (a->evaluations - e0 >= B.n_alarms) {
            struct timeval tv = {0, 20000};
            event_base_loopexit(B.base, &tv);
            event_base_dispatch(B.base);
        } else {
            event_base_loop(B.base, EVLOOP_ONCE);
        }
        if (st_mono_us() > deadline) {
            fprintf(stderr, "bench_alarms: a round did not finish in 600 s (%" PRIu64 " of %u)\n",
                    a->evaluations - e0, B.n_alarms);
            return -ETIMEDOUT;
        }
    }
    ret->wall_s = st_mono_us() / 1e6 - w0;
    ret->cpu_s = rusage_s() - c0;
    ret->loop_s = thread_s() - l0;
    ret->evaluations = a->evaluations - e0;
    ret->transitions = a->transitions - t0;
    return 0;
}

/* --- the peer: librrd's rrd_fetch_r over the same series --- */

static void rrd_path(unsigned s, char *buf, size_t len)
{
    snprintf(buf, len, "%s/rrd/%06u.rrd", B.tmp, s);
}

static int make_rrd_files(int64_t start_s)
{
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/rrd", B.tmp);
    if (mkdir(dir, 0700) < 0) {
        return -errno;
    }
    const char *argv[] = {"DS:v:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:1440", "RRA:MAX:0.5:1:1440",
                          "RRA:MIN:0.5:1:1440"};
    char **upd = calloc(B.minutes, sizeof(*upd));
    for (unsigned m = 0; upd && m < B.minutes; m++) {
        upd[m] = malloc(64);
    }
    for (unsigned s = 0; s < B.n_series; s++) {
        char path[400];
        rrd_path(s, path, sizeof(path));
        rrd_clear_error();
        if (rrd_create_r2(path, 60, (time_t)(start_s - 60), 1, NULL, NULL, 4, argv) != 0) {
            fprintf(stderr, "bench_alarms: rrd_create %s: %s\n", path, rrd_get_error());
            return -EIO;
        }
        /* One row per minute: the minute's average (the per-minute values the collector has). */
        for (unsigned m = 0; m < B.minutes; m++) {
            int64_t t = start_s + (int64_t)m * 60;
            double sum = 0;
            for (unsigned k = 0; k < B.per_minute; k++) {
                sum += sample_value(s, t, k);
            }
            snprintf(upd[m], 64, "%" PRId64 ":%.6f", t + 60, sum / B.per_minute);
        }
        if (rrd_update_r(path, NULL, (int)B.minutes, (const char **)upd) != 0) {
            fprintf(stderr, "bench_alarms: rrd_update %s: %s\n", path, rrd_get_error());
            return -EIO;
        }
    }
    for (unsigned m = 0; m < B.minutes; m++) {
        free(upd[m]);
    }
    free(upd);
    return 0;
}

struct peer_round {
    double wall_s, cpu_s;
    uint64_t reads, breaching;
};

/* One read per alarm of the range an evaluation reads (N + 2 = 7 periods), and the M-of-N
 * count over it. */
static int peer_round(int64_t end_s, struct peer_round *ret)
{
    double w0 = st_mono_us() / 1e6, c0 = thread_s();
    uint64_t breaching = 0;
    for (unsigned i = 0; i < B.n_alarms; i++) {
        unsigned s;
        const char *stat;
        double thr;
        alarm_setup(i, &s, &stat, &thr);
        const char *cf = strcmp(stat, "Maximum") == 0   ? "MAX"
                         : strcmp(stat, "Minimum") == 0 ? "MIN"
                                                        : "AVERAGE";
        char path[400];
        rrd_path(s, path, sizeof(path));
        time_t start = (time_t)(end_s - 7 * 60), end = (time_t)end_s;
        unsigned long step = 60, ds_cnt = 0;
        char **ds_names = NULL;
        rrd_value_t *data = NULL;
        if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_cnt, &ds_names, &data) != 0) {
            fprintf(stderr, "bench_alarms: rrd_fetch %s: %s\n", path, rrd_get_error());
            return -EIO;
        }
        unsigned n = 0, breach = 0;
        for (time_t t = start; t < end && n < 7; t += (time_t)step, n++) {
            double v = data[n * ds_cnt];
            breach += !isnan(v) && v > thr;
        }
        breaching += breach >= 3;
        for (unsigned long k = 0; k < ds_cnt; k++) {
            rrd_freemem(ds_names[k]);
        }
        rrd_freemem(ds_names);
        rrd_freemem(data);
    }
    ret->wall_s = st_mono_us() / 1e6 - w0;
    ret->cpu_s = thread_s() - c0;
    ret->reads = B.n_alarms;
    ret->breaching = breaching;
    return 0;
}

/* --- main --- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_alarms [--alarms N] [--series S] [--minutes M] [--rounds R]\n"
            "                    [--tmp DIR] [--no-peer] [--keep]\n"
            "  --alarms N   alarms of 60 s periods (100000)\n"
            "  --series S   series they watch, N / S alarms each (10000)\n"
            "  --minutes M  minutes of data before now, 6 datapoints a minute (10)\n"
            "  --rounds R   evaluation rounds after the first (5)\n"
            "  --tmp DIR    where the data directory goes (/dev/shm: setup fsyncs are free)\n"
            "  --grace S    the collector's --grace60 (3600: the range stays in memory; 120,\n"
            "               the default, puts the older periods in RRD files, 2.5 MB a series)\n");
}

int main(int argc, char **argv)
{
    B.n_alarms = 100000;
    B.n_series = 10000;
    B.minutes = 10;
    B.rounds = 5;
    B.per_minute = 6;
    B.grace_s = 3600;
    const char *tmp_parent = "/dev/shm";
    bool peer = true;
    static const struct option opts[] = {
        {"alarms", required_argument, NULL, 'a'},  {"series", required_argument, NULL, 's'},
        {"minutes", required_argument, NULL, 'm'}, {"rounds", required_argument, NULL, 'r'},
        {"tmp", required_argument, NULL, 't'},     {"no-peer", no_argument, NULL, 'P'},
        {"keep", no_argument, NULL, 'k'},          {"help", no_argument, NULL, 'h'},
        {"grace", required_argument, NULL, 'g'},   {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            B.n_alarms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 's':
            B.n_series = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'm':
            B.minutes = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            B.rounds = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 't':
            tmp_parent = optarg;
            break;
        case 'P':
            peer = false;
            break;
        case 'k':
            B.keep = true;
            break;
        case 'g':
            B.grace_s = strtoll(optarg, NULL, 10);
            break;
        default:
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (B.n_alarms == 0 || B.n_series == 0 || B.n_series > B.n_alarms || B.minutes < 7 ||
        B.rounds == 0) {
        fprintf(stderr, "bench_alarms: need 0 < series <= alarms, minutes >= 7, rounds >= 1\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    st_log_set_level(ST_LOG_WARNING);
    snprintf(B.tmp, sizeof(B.tmp), "%s/bench_alarms.XXXXXX", tmp_parent);
    if (!mkdtemp(B.tmp)) {
        perror("bench_alarms: mkdtemp");
        return 1;
    }
    int rc = 1;
    B.base = event_base_new();
    struct st_collector_opts o;
    st_collector_opts_default(&o);
    o.listen_port = 0;
    snprintf(o.data_dir, sizeof(o.data_dir), "%s/data", B.tmp);
    mkdir(o.data_dir, 0700);
    /* By default the evaluation range stays in the hot window: the collector's own ticks flush
     * buckets only an hour after they close, so no RRD file is written (10k series would take
     * 25 GB). With --grace 120 (the collector's default) the older periods are read from RRD
     * files. The scheduler's own tick is an hour apart so only the bench's rounds run. */
    o.grace60_s = B.grace_s;
    o.store_batch_ms = 0;
    o.alarm_tick_ms = 3600 * 1000;
    struct st_error err = {{0}};
    if (!B.base || st_collector_new(B.base, &o, &B.c, &err) < 0) {
        fprintf(stderr, "bench_alarms: cannot start the collector: %s\n", err.message);
        goto out;
    }
    int64_t now_s = st_wall_ms() / 1000;
    /* Data for the last M whole minutes, the current one excluded. */
    int64_t end_s = now_s / 60 * 60;
    int64_t start_s = end_s - (int64_t)B.minutes * 60;
    double rss0 = rss_mb();
    double t0 = st_mono_us() / 1e6;
    if (put_data(start_s) < 0) {
        goto out;
    }
    if (B.grace_s < (int64_t)B.minutes * 60) {
        /* Wait until the store has written the closed minutes to RRD files. */
        struct st_store_stats ss = {0};
        uint64_t deadline = st_mono_us() + 600 * 1000000ULL;
        while (ss.rrd_files_created < B.n_series && st_mono_us() < deadline) {
            event_base_loop(B.base, EVLOOP_ONCE);
            st_store_get_stats(B.c->store, &ss);
        }
        uint64_t settle = st_mono_us() + 3 * 1000000ULL;
        while (st_mono_us() < settle) {
            event_base_loop(B.base, EVLOOP_ONCE);
        }
        st_store_get_stats(B.c->store, &ss);
        fprintf(stderr, "bench_alarms: %" PRIu64 " RRD files, %" PRIu64 " rows written\n",
                ss.rrd_files_created, ss.rrd_rows);
    }
    double rss_data = rss_mb();
    double t1 = st_mono_us() / 1e6;
    if (put_alarms() < 0) {
        goto out;
    }
    double rss_alarms = rss_mb();
    double t2 = st_mono_us() / 1e6;
    fprintf(stderr,
            "bench_alarms: %u series x %u minutes x %u datapoints put in %.1f s, %u alarms in "
            "%.1f s\n",
            B.n_series, B.minutes, B.per_minute, t1 - t0, B.n_alarms, t2 - t1);

    struct round first, *rounds = calloc(B.rounds, sizeof(*rounds));
    if (!rounds || run_round(&first) < 0) {
        goto out;
    }
    fprintf(stderr, "bench_alarms: first round done in %.1f s, %u more\n", first.wall_s, B.rounds);
    for (unsigned r = 0; r < B.rounds; r++) {
        if (run_round(&rounds[r]) < 0) {
            goto out;
        }
    }
    double rss_after = rss_mb();
    unsigned n_alarm = 0, n_ok = 0, n_insuff = 0;
    for (size_t i = 0; i < B.c->alarms->n; i++) {
        enum st_alarm_state s = B.c->alarms->items[i]->state;
        n_alarm += s == ST_ALARM_STATE_ALARM;
        n_ok += s == ST_ALARM_STATE_OK;
        n_insuff += s == ST_ALARM_STATE_INSUFFICIENT_DATA;
    }

    struct peer_round pr = {0}, pbest = {0};
    if (peer) {
        double p0 = st_mono_us() / 1e6;
        if (make_rrd_files(start_s) < 0) {
            goto out;
        }
        fprintf(stderr, "bench_alarms: %u RRD files made in %.1f s\n", B.n_series,
                st_mono_us() / 1e6 - p0);
        /* A first pass warms the page cache, as the collector's data is warm in memory. */
        if (peer_round(end_s, &pr) < 0) {
            goto out;
        }
        for (unsigned r = 0; r < B.rounds; r++) {
            if (peer_round(end_s, &pr) < 0) {
                goto out;
            }
            if (r == 0 || pr.cpu_s < pbest.cpu_s) {
                pbest = pr;
            }
        }
    }

    printf("\n%u alarms (period 60 s, N=5, M=3; Average, Maximum, Minimum, Sum, SampleCount, "
           "p90) over %u series, %u query threads, grace60 %" PRId64 " s\n\n",
           B.n_alarms, B.n_series, o.query_threads, B.grace_s);
    printf("| round | evaluations | transitions | wall s | CPU s (all threads) | CPU s (loop "
           "thread) | CPU µs / alarm |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    printf("| first (INSUFFICIENT_DATA -> OK/ALARM) | %" PRIu64 " | %" PRIu64
           " | %.3f | %.3f | %.3f | %.2f |\n",
           first.evaluations, first.transitions, first.wall_s, first.cpu_s, first.loop_s,
           first.cpu_s / B.n_alarms * 1e6);
    double best = 0, sum = 0, worst = 0;
    for (unsigned r = 0; r < B.rounds; r++) {
        const struct round *x = &rounds[r];
        printf("| %u | %" PRIu64 " | %" PRIu64 " | %.3f | %.3f | %.3f | %.2f |\n", r + 2,
               x->evaluations, x->transitions, x->wall_s, x->cpu_s, x->loop_s,
               x->cpu_s / B.n_alarms * 1e6);
        best = r == 0 || x->cpu_s < best ? x->cpu_s : best;
        worst = x->cpu_s > worst ? x->cpu_s : worst;
        sum += x->cpu_s;
    }
    printf("\nsteady rounds: CPU %.3f s best, %.3f s mean, %.3f s worst (target < 1 s of one "
           "core)\n",
           best, sum / B.rounds, worst);
    printf("states after the rounds: %u ALARM, %u OK, %u INSUFFICIENT_DATA\n", n_alarm, n_ok,
           n_insuff);
    printf("evaluations from the hot window on the loop thread: %" PRIu64 " of %" PRIu64
           " (the others through a query thread)\n",
           B.c->alarms->evaluations_in_memory, B.c->alarms->evaluations);
    printf("\n| memory | VmRSS MB |\n|---|---:|\n");
    printf("| collector started | %.1f |\n| + %u series, %u minutes of data | %.1f |\n", rss0,
           B.n_series, B.minutes, rss_data);
    printf("| + %u alarms loaded | %.1f |\n| after the rounds | %.1f |\n", B.n_alarms, rss_alarms,
           rss_after);
    printf("alarms: %.0f bytes each (RSS after the rounds - RSS with the data only)\n",
           (rss_after - rss_data) * 1048576.0 / B.n_alarms);
    if (peer) {
        printf("\npeer: %" PRIu64 " rrd_fetch_r reads (7 x 60 s rows) + M-of-N count, one "
               "thread, best of %u warm rounds: wall %.3f s, CPU %.3f s, %.2f µs / read "
               "(%" PRIu64 " breaching)\n",
               pbest.reads, B.rounds, pbest.wall_s, pbest.cpu_s, pbest.cpu_s / pbest.reads * 1e6,
               pbest.breaching);
    }
    free(rounds);
    rc = 0;
out:
    st_collector_free(B.c);
    if (B.base) {
        event_base_free(B.base);
    }
    if (!B.keep) {
        nftw(B.tmp, rm_one, 64, FTW_DEPTH | FTW_PHYS);
    }
    return rc;
}
