/* SPDX-License-Identifier: MIT */
/*
 * stratus-collector: command line, signals and the event loop. Everything else lives in
 * collector.c and the modules it wires together.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "collector.h"
#include "stratus/config.h"
#include "stratus/log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: stratus-collector [OPTIONS]\n"
            "\n"
            "Stores CloudWatch-shaped metrics and answers statistics queries.\n"
            "\n"
            "  --config FILE           JSON configuration (docs/config.md); flags override it\n"
            "  --listen HOST:PORT      HTTP address (default 127.0.0.1:4780; port 0 picks one)\n"
            "  --data-dir DIR          data directory (default $XDG_STATE_HOME/stratus or\n"
            "                          ~/.local/state/stratus)\n"
            "  --max-body-bytes N      PutMetricData body limit (default 1048576)\n"
            "  --flush-grace-1s N      seconds a 1 s bucket stays open after it ends (10)\n"
            "  --flush-grace-60s N     seconds a 60 s bucket stays open after it ends (120)\n"
            "  --store-batch-ms N      hold closed buckets up to N ms so each RRD file gets one\n"
            "                          write for all its rows (60000; 0 writes at once)\n"
            "  --allow-aws-namespaces  accept namespaces that start with AWS/\n"
            "  --trace-retention-days N  keep traces N days after they arrive (30)\n"
            "  --trace-max-disk-mb N   traces.db budget; the oldest go first (4096)\n"
            "  --trace-metrics-ms N    put Stratus/Traces metrics every N ms (10000)\n"
            "  --no-fsync              do not fsync the log or the store (benchmarks only:\n"
            "                          acknowledged data can be lost on power failure)\n"
            "  --ready-fd FD           write the bound port to FD once listening, then close it\n"
            "  --alarm-tick-ms N       evaluate 10 s and 30 s alarms every N ms, longer ones\n"
            "                          every 6 N ms (default 10000; smaller values are for tests)\n"
            "  --alarm-hook-timeout-ms N  kill exec hooks, cut webhooks after N ms (30000)\n"
            "  --webhook-ca-file FILE  https webhooks also trust the PEM CA certificates in\n"
            "                          FILE (besides the system's; verification stays on)\n"
            "  --log-level LEVEL       error, warning, info (default) or debug\n"
            "  --help, --version\n");
}

static int parse_listen(const char *s, struct st_collector_opts *o)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(o->listen_host)) {
        return -EINVAL;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535) {
        return -EINVAL;
    }
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(o->listen_host, h, hl);
    o->listen_host[hl] = '\0';
    o->listen_port = (uint16_t)port;
    return 0;
}

static int parse_long(const char *s, long min, long max, long *ret)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max) {
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

static void default_data_dir(struct st_collector_opts *o)
{
    const char *state = getenv("STATE_DIRECTORY"); /* systemd StateDirectory= */
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (state && *state) {
        snprintf(o->data_dir, sizeof(o->data_dir), "%s", state);
    } else if (xdg && *xdg) {
        snprintf(o->data_dir, sizeof(o->data_dir), "%s/stratus", xdg);
    } else {
        snprintf(o->data_dir, sizeof(o->data_dir), "%s/.local/state/stratus",
                 home && *home ? home : ".");
    }
}

/* The configuration file's shape; integers are read as int64_t and then narrowed. */
struct file_config {
    char listen[300];
    char data_dir[4000];
    char log_level[16];
    char webhook_ca_file[4096];
    int64_t max_body_bytes, grace1, grace60, query_threads, store_batch_ms;
    int64_t trace_retention_days, trace_max_disk_mb;
    bool allow_aws, fsync;
    struct st_sigv4_keys keys;
};

/* "access_keys": [{"access_key_id": "...", "secret_access_key": "..."}, ...] */
static int parse_access_keys(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_sigv4_keys *keys = dest;
    static const struct st_cfg_field key_fields[] = {
        {.key = "access_key_id",
         .type = ST_CFG_STRING,
         .offset = offsetof(struct st_sigv4_key, id),
         .size = ST_SIGV4_KEY_MAX + 1},
        {.key = "secret_access_key",
         .type = ST_CFG_STRING,
         .offset = offsetof(struct st_sigv4_key, secret),
         .size = ST_SIGV4_KEY_MAX + 1},
        {NULL},
    };
    if (!json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) > ST_SIGV4_MAX_KEYS) {
        return st_error_set(err, -EINVAL, "InvalidParameterValue",
                            "%s: expected a list of at most %d access keys", path,
                            ST_SIGV4_MAX_KEYS);
    }
    keys->n = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char p[64];
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        struct st_sigv4_key *k = &keys->keys[keys->n];
        memset(k, 0, sizeof(*k));
        int r = st_config_apply(json_object_array_get_idx(v, i), p, key_fields, k, err);
        if (r < 0) {
            return r;
        }
        if (!k->id[0] || !k->secret[0]) {
            return st_error_set(err, -EINVAL, "InvalidParameterValue",
                                "%s: needs access_key_id and secret_access_key", p);
        }
        keys->n++;
    }
    return 0;
}

static int load_config(const char *path, struct st_collector_opts *o)
{
    struct file_config fc = {
        .max_body_bytes = (int64_t)o->max_body_bytes,
        .grace1 = o->grace1_s,
        .grace60 = o->grace60_s,
        .query_threads = o->query_threads,
        .store_batch_ms = o->store_batch_ms,
        .trace_retention_days = o->trace_retention_s / 86400,
        .trace_max_disk_mb = (int64_t)(o->trace_max_disk_bytes >> 20),
        .allow_aws = o->allow_aws_namespace,
        .fsync = o->wal_fsync,
    };
#define F(k, t, m) .key = k, .type = t, .offset = offsetof(struct file_config, m)
    static const struct st_cfg_field fields[] = {
        {F("listen", ST_CFG_STRING, listen), .size = sizeof(fc.listen)},
        {F("data_dir", ST_CFG_STRING, data_dir), .size = sizeof(fc.data_dir)},
        {F("log_level", ST_CFG_STRING, log_level), .size = sizeof(fc.log_level)},
        {F("webhook_ca_file", ST_CFG_STRING, webhook_ca_file), .size = sizeof(fc.webhook_ca_file)},
        {F("max_body_bytes", ST_CFG_INT, max_body_bytes), .min = 1024, .max = 64 << 20},
        {F("flush_grace_1s", ST_CFG_INT, grace1), .min = 0, .max = 14 * 86400},
        {F("flush_grace_60s", ST_CFG_INT, grace60), .min = 0, .max = 14 * 86400},
        {F("query_threads", ST_CFG_INT, query_threads), .min = 1, .max = 64},
        {F("store_batch_ms", ST_CFG_INT, store_batch_ms), .min = 0, .max = 3600000},
        {F("allow_aws_namespaces", ST_CFG_BOOL, allow_aws)},
        {F("trace_retention_days", ST_CFG_INT, trace_retention_days), .min = 1, .max = 3650},
        {F("trace_max_disk_mb", ST_CFG_INT, trace_max_disk_mb), .min = 1, .max = 1 << 24},
        {F("fsync", ST_CFG_BOOL, fsync)},
        {F("access_keys", ST_CFG_CUSTOM, keys), .parse = parse_access_keys},
        {NULL},
    };
#undef F
    struct st_error err;
    json_object *root;
    if (st_config_parse_file(path, &root, &err) < 0) {
        fprintf(stderr, "stratus-collector: %s\n", err.message);
        return -EINVAL;
    }
    int r = st_config_apply(root, "$", fields, &fc, &err);
    json_object_put(root);
    if (r < 0) {
        fprintf(stderr, "stratus-collector: %s: %s\n", path, err.message);
        return r;
    }
    enum st_log_level level;
    if (fc.listen[0] && parse_listen(fc.listen, o) < 0) {
        fprintf(stderr, "stratus-collector: %s: $.listen: expected HOST:PORT\n", path);
        return -EINVAL;
    }
    if (fc.log_level[0]) {
        if (st_log_level_parse(fc.log_level, &level) < 0) {
            fprintf(stderr,
                    "stratus-collector: %s: $.log_level: expected error, warning, info "
                    "or debug\n",
                    path);
            return -EINVAL;
        }
        st_log_set_level(level);
    }
    if (fc.data_dir[0]) {
        snprintf(o->data_dir, sizeof(o->data_dir), "%s", fc.data_dir);
    }
    if (fc.webhook_ca_file[0]) {
        snprintf(o->webhook_ca_file, sizeof(o->webhook_ca_file), "%s", fc.webhook_ca_file);
    }
    o->max_body_bytes = (size_t)fc.max_body_bytes;
    o->grace1_s = fc.grace1;
    o->grace60_s = fc.grace60;
    o->query_threads = (unsigned)fc.query_threads;
    o->store_batch_ms = (unsigned)fc.store_batch_ms;
    o->trace_retention_s = fc.trace_retention_days * 86400;
    o->trace_max_disk_bytes = (uint64_t)fc.trace_max_disk_mb << 20;
    o->allow_aws_namespace = fc.allow_aws;
    o->wal_fsync = o->store_sync = fc.fsync;
    o->access_keys = fc.keys;
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    st_log_info("collector: %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct st_collector_opts o;
    st_collector_opts_default(&o);
    default_data_dir(&o);
    /* The configuration file first, so that flags override it. */
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            file = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        }
        if (file && load_config(file, &o) < 0) {
            return 2;
        }
    }
    enum {
        OPT_CONFIG = 255,
        OPT_LISTEN = 256,
        OPT_DATA,
        OPT_BODY,
        OPT_G1,
        OPT_G60,
        OPT_BATCH,
        OPT_AWS,
        OPT_TRACE_RETENTION,
        OPT_TRACE_DISK,
        OPT_TRACE_METRICS,
        OPT_NOSYNC,
        OPT_READY,
        OPT_ALARM_TICK,
        OPT_HOOK_TIMEOUT,
        OPT_WEBHOOK_CA,
        OPT_LOG,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"data-dir", required_argument, NULL, OPT_DATA},
        {"max-body-bytes", required_argument, NULL, OPT_BODY},
        {"flush-grace-1s", required_argument, NULL, OPT_G1},
        {"flush-grace-60s", required_argument, NULL, OPT_G60},
        {"store-batch-ms", required_argument, NULL, OPT_BATCH},
        {"allow-aws-namespaces", no_argument, NULL, OPT_AWS},
        {"trace-retention-days", required_argument, NULL, OPT_TRACE_RETENTION},
        {"trace-max-disk-mb", required_argument, NULL, OPT_TRACE_DISK},
        {"trace-metrics-ms", required_argument, NULL, OPT_TRACE_METRICS},
        {"no-fsync", no_argument, NULL, OPT_NOSYNC},
        {"ready-fd", required_argument, NULL, OPT_READY},
        {"alarm-tick-ms", required_argument, NULL, OPT_ALARM_TICK},
        {"alarm-hook-timeout-ms", required_argument, NULL, OPT_HOOK_TIMEOUT},
        {"webhook-ca-file", required_argument, NULL, OPT_WEBHOOK_CA},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int opt;
    long v;
    enum st_log_level level;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_CONFIG:
            break; /* read above */
        case OPT_LISTEN:
            if (parse_listen(optarg, &o) < 0) {
                fprintf(stderr, "stratus-collector: --listen takes HOST:PORT, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_DATA:
            if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(o.data_dir) - 64) {
                fprintf(stderr, "stratus-collector: --data-dir is empty or too long\n");
                return 2;
            }
            snprintf(o.data_dir, sizeof(o.data_dir), "%s", optarg);
            break;
        case OPT_BODY:
            if (parse_long(optarg, 1024, 64L * 1024 * 1024, &v) < 0) {
                fprintf(stderr, "stratus-collector: --max-body-bytes takes 1024..67108864\n");
                return 2;
            }
            o.max_body_bytes = (size_t)v;
            break;
        case OPT_G1:
        case OPT_G60:
            if (parse_long(optarg, 0, 14L * 86400, &v) < 0) {
                fprintf(stderr, "stratus-collector: flush grace takes 0..1209600 seconds\n");
                return 2;
            }
            *(opt == OPT_G1 ? &o.grace1_s : &o.grace60_s) = v;
            break;
        case OPT_BATCH:
            if (parse_long(optarg, 0, 3600000, &v) < 0) {
                fprintf(stderr, "stratus-collector: --store-batch-ms takes 0..3600000\n");
                return 2;
            }
            o.store_batch_ms = (unsigned)v;
            break;
        case OPT_AWS:
            o.allow_aws_namespace = true;
            break;
        case OPT_TRACE_RETENTION:
            if (parse_long(optarg, 1, 3650, &v) < 0) {
                fprintf(stderr, "stratus-collector: --trace-retention-days takes 1..3650\n");
                return 2;
            }
            o.trace_retention_s = (int64_t)v * 86400;
            break;
        case OPT_TRACE_DISK:
            if (parse_long(optarg, 1, 1L << 24, &v) < 0) {
                fprintf(stderr, "stratus-collector: --trace-max-disk-mb takes 1..16777216\n");
                return 2;
            }
            o.trace_max_disk_bytes = (uint64_t)v << 20;
            break;
        case OPT_TRACE_METRICS:
            if (parse_long(optarg, 100, 3600000, &v) < 0) {
                fprintf(stderr, "stratus-collector: --trace-metrics-ms takes 100..3600000\n");
                return 2;
            }
            o.trace_metrics_ms = (unsigned)v;
            break;
        case OPT_NOSYNC:
            o.wal_fsync = false;
            o.store_sync = false;
            break;
        case OPT_READY:
            if (parse_long(optarg, 0, 65535, &v) < 0) {
                fprintf(stderr, "stratus-collector: --ready-fd takes a file descriptor\n");
                return 2;
            }
            o.ready_fd = (int)v;
            break;
        case OPT_ALARM_TICK:
        case OPT_HOOK_TIMEOUT:
            if (parse_long(optarg, 100, 3600000, &v) < 0) {
                fprintf(stderr, "stratus-collector: %s takes 100..3600000 ms\n",
                        opt == OPT_ALARM_TICK ? "--alarm-tick-ms" : "--alarm-hook-timeout-ms");
                return 2;
            }
            *(opt == OPT_ALARM_TICK ? &o.alarm_tick_ms : &o.alarm_hook_timeout_ms) = (int)v;
            break;
        case OPT_WEBHOOK_CA:
            if (strlen(optarg) >= sizeof(o.webhook_ca_file)) {
                fprintf(stderr, "stratus-collector: --webhook-ca-file: path too long\n");
                return 2;
            }
            snprintf(o.webhook_ca_file, sizeof(o.webhook_ca_file), "%s", optarg);
            break;
        case OPT_LOG:
            if (st_log_level_parse(optarg, &level) < 0) {
                fprintf(stderr, "stratus-collector: unknown log level '%s'\n", optarg);
                return 2;
            }
            st_log_set_level(level);
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("stratus-collector %s\n", STRATUS_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stratus-collector: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "stratus-collector: cannot create the event loop\n");
        return 1;
    }
    struct st_collector *c;
    struct st_error err;
    if (st_collector_new(base, &o, &c, &err) < 0) {
        st_log_error("collector: %s", err.message);
        event_base_free(base);
        return 1;
    }
    st_log_info("collector: listening on http://%s:%u (X-Ray segments on UDP %s:%u), data in %s",
                o.listen_host, st_collector_port(c), o.listen_host, st_collector_port(c),
                o.data_dir);
    if (o.ready_fd >= 0) {
        dprintf(o.ready_fd, "%u\n", st_collector_port(c));
        close(o.ready_fd);
    }
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    st_collector_free(c);
    event_base_free(base);
    libevent_global_shutdown();
    return 0;
}
