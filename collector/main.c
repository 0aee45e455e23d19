/* SPDX-License-Identifier: MIT */
/*
 * stratus-collector: command line, signals and the event loop. Everything else lives in
 * collector.c and the modules it wires together.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "collector.h"
#include "stratus/log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: stratus-collector [OPTIONS]\n"
            "\n"
            "Stores CloudWatch-shaped metrics and answers statistics queries.\n"
            "\n"
            "  --listen HOST:PORT      HTTP address (default 127.0.0.1:4780; port 0 picks one)\n"
            "  --data-dir DIR          data directory (default $XDG_STATE_HOME/stratus or\n"
            "                          ~/.local/state/stratus)\n"
            "  --max-body-bytes N      PutMetricData body limit (default 1048576)\n"
            "  --flush-grace-1s N      seconds a 1 s bucket stays open after it ends (10)\n"
            "  --flush-grace-60s N     seconds a 60 s bucket stays open after it ends (120)\n"
            "  --allow-aws-namespaces  accept namespaces that start with AWS/\n"
            "  --no-fsync              do not fsync the log or the store (benchmarks only:\n"
            "                          acknowledged data can be lost on power failure)\n"
            "  --ready-fd FD           write the bound port to FD once listening, then close it\n"
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
    enum {
        OPT_LISTEN = 256,
        OPT_DATA,
        OPT_BODY,
        OPT_G1,
        OPT_G60,
        OPT_AWS,
        OPT_NOSYNC,
        OPT_READY,
        OPT_LOG,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"data-dir", required_argument, NULL, OPT_DATA},
        {"max-body-bytes", required_argument, NULL, OPT_BODY},
        {"flush-grace-1s", required_argument, NULL, OPT_G1},
        {"flush-grace-60s", required_argument, NULL, OPT_G60},
        {"allow-aws-namespaces", no_argument, NULL, OPT_AWS},
        {"no-fsync", no_argument, NULL, OPT_NOSYNC},
        {"ready-fd", required_argument, NULL, OPT_READY},
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
        case OPT_AWS:
            o.allow_aws_namespace = true;
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
    st_log_info("collector: listening on http://%s:%u, data in %s", o.listen_host,
                st_collector_port(c), o.data_dir);
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
