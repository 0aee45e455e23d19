/* SPDX-License-Identifier: MIT */
/*
 * stratus-agent: command line, configuration, signals and the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "stratus/alloc.h"
#include "stratus/log.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: stratus-agent [--config FILE] [OPTIONS]\n"
               "       stratus-agent --check-config FILE\n"
               "\n"
               "Collects host metrics the way the Amazon CloudWatch agent does (same config\n"
               "file shape, same metric names) and sends them to stratus-collector.\n"
               "\n"
               "  --config FILE         CloudWatch-agent-shaped JSON (docs/agent.md); without\n"
               "                        it: cpu, mem, swap, disk, diskio, net and processes\n"
               "                        every 60 s into namespace CWAgent\n"
               "  --check-config FILE   validate FILE and exit (0 valid, 2 invalid)\n"
               "  --endpoint URL        collector (overrides agent.endpoint; default\n"
               "                        http://127.0.0.1:4780)\n"
               "  --root DIR            read /proc and mounts below DIR (tests)\n"
               "  --log-level LEVEL     error, warning, info (default) or debug\n"
               "  --help, --version\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    st_log_info("agent: %s, flushing and stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    enum { OPT_CONFIG = 256, OPT_CHECK, OPT_ENDPOINT, OPT_ROOT, OPT_LOG, OPT_HELP, OPT_VERSION };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"check-config", required_argument, NULL, OPT_CHECK},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"root", required_argument, NULL, OPT_ROOT},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *endpoint = NULL, *root = "/";
    bool check = false;
    int opt;
    enum st_log_level level;
    bool level_set = false;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_CHECK:
            check = true;
            /* fall through */
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_ENDPOINT:
            endpoint = optarg;
            break;
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_LOG:
            if (st_log_level_parse(optarg, &level) < 0) {
                fprintf(stderr, "stratus-agent: unknown log level '%s'\n", optarg);
                return 2;
            }
            level_set = true;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("stratus-agent %s\n", STRATUS_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stratus-agent: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    struct st_agent_config *cfg = st_malloc(sizeof(*cfg));
    if (!cfg) {
        fprintf(stderr, "stratus-agent: out of memory\n");
        return 1;
    }
    st_agent_config_default(cfg);
    struct st_error err;
    if (config && st_agent_config_load(config, cfg, &err) < 0) {
        fprintf(stderr, "stratus-agent: %s\n", err.message);
        st_free(cfg);
        return 2;
    }
    if (check) {
        printf("stratus-agent: %s is valid\n", config);
        for (size_t i = 0; i < cfg->n_ignored; i++) {
            printf("stratus-agent: note: %s is accepted and not used\n", cfg->ignored[i]);
        }
        st_free(cfg);
        return 0;
    }
    if (endpoint) {
        if (strncmp(endpoint, "http://", 7) != 0 || strlen(endpoint) >= sizeof(cfg->endpoints[0])) {
            fprintf(stderr, "stratus-agent: --endpoint takes an http:// URL\n");
            st_free(cfg);
            return 2;
        }
        snprintf(cfg->endpoints[0], sizeof(cfg->endpoints[0]), "%s", endpoint);
        cfg->n_endpoints = 1;
    }
    if (cfg->logfile[0]) {
        int fd = open(cfg->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
            fprintf(stderr, "stratus-agent: cannot open logfile %s: %s\n", cfg->logfile,
                    strerror(errno));
            st_free(cfg);
            return 1;
        }
        close(fd);
    }
    st_log_set_level(level_set ? level : cfg->debug ? ST_LOG_DEBUG : ST_LOG_INFO);
    for (size_t i = 0; i < cfg->n_ignored; i++) {
        st_log_info("agent: %s is accepted and not used", cfg->ignored[i]);
    }

    signal(SIGPIPE, SIG_IGN);
    /* The changelist folds the delete/add/modify that evhttp makes of its socket around each
     * request into one epoll_ctl per loop turn. */
    struct event_config *ecfg = event_config_new();
    if (ecfg) {
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    }
    struct event_base *base = ecfg ? event_base_new_with_config(ecfg) : event_base_new();
    if (ecfg) {
        event_config_free(ecfg);
    }
    struct st_agent *a = NULL;
    if (!base || st_agent_new(base, cfg, root, &a, &err) < 0) {
        st_log_error("agent: %s", base ? err.message : "cannot create the event loop");
        if (base) {
            event_base_free(base);
        }
        st_free(cfg);
        return 1;
    }
    st_log_info("agent: sending namespace %s to %s%s", cfg->namespace_, cfg->endpoints[0],
                cfg->n_endpoints > 1 ? " and more (sharded by series)" : "");
    st_free(cfg);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    event_base_dispatch(base);
    st_agent_shutdown(a, 2000);
    event_free(sigint);
    event_free(sigterm);
    st_agent_free(a);
    event_base_free(base);
    libevent_global_shutdown();
    return 0;
}
