/* SPDX-License-Identifier: MIT */
/*
 * exec: hooks and HTTP(S) webhooks (alarm_action.h). A hook is a `struct hook` with three
 * events: its stdin pipe (written without blocking until the payload is out or the child
 * closed it), its stdout/stderr pipe (read into a capped buffer), and its pidfd (readable when
 * the child exits; then waitpid(WNOHANG) reaps it at once). A timer kills the process group on
 * timeout. A webhook is an evhttp request on its own connection (TLS through
 * libevent_openssl for https), with the connection's timeout as the action's.
 */
#include "alarm_action.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "stratus/alloc.h"

extern char **environ;

struct hook;
struct webhook;

struct st_actions {
    struct event_base *base;
    int timeout_ms;
    struct hook *hooks; /* running, doubly linked */
    struct webhook *webhooks;
    unsigned running;
    SSL_CTX *ssl;           /* created on the first https action */
    struct evdns_base *dns; /* created on the first webhook: resolving never blocks */
};

struct hook {
    struct st_actions *a;
    struct hook *prev, *next;
    pid_t pid;
    int pidfd, in_fd, out_fd;
    struct event *pid_ev, *in_ev, *out_ev, *timer;
    char *in;
    size_t in_len, in_off;
    char out[ST_ACTION_OUTPUT_MAX];
    size_t out_len;
    bool timed_out;
    st_action_done_fn done;
    void *data;
};

struct webhook {
    struct st_actions *a;
    struct webhook *prev, *next;
    struct evhttp_connection *conn;
    char *out;
    size_t out_len;
    st_action_done_fn done;
    void *data;
    bool finished;
};

static SSL_CTX *client_tls_new(const char *ca_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return NULL;
    }
    SSL_CTX_set_default_verify_paths(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int st_actions_new(struct event_base *base, int timeout_ms, const char *ca_file,
                   struct st_actions **ret, struct st_error *err)
{
    struct st_actions *a = st_calloc(1, sizeof(*a));
    if (!a) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    a->base = base;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    if (ca_file) {
        /* Loaded now, so that a bad file stops the start rather than every webhook. */
        a->ssl = client_tls_new(ca_file);
        if (!a->ssl) {
            unsigned long e = ERR_get_error();
            char msg[256];
            ERR_error_string_n(e, msg, sizeof(msg));
            ERR_clear_error();
            st_free(a);
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "webhook CA file %s: %s", ca_file, e ? msg : "cannot be loaded");
        }
    }
    *ret = a;
    return 0;
}

unsigned st_actions_running(const struct st_actions *a)
{
    return a->running;
}

int st_action_validate(const char *s, const char *param, struct st_error *err)
{
    if (strncmp(s, "exec:", 5) == 0) {
        const char *p = s + 5;
        if (p[0] != '/') {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "Invalid value for %s: an exec: action needs an absolute path "
                                "(exec:/path/to/hook [args])",
                                param);
        }
        size_t words = 0;
        bool in_word = false;
        for (; *p; p++) {
            bool space = *p == ' ' || *p == '\t';
            words += !space && !in_word;
            in_word = !space;
            if ((unsigned char)*p < 0x20 && *p != '\t') {
                return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                    "Invalid value for %s: control character in the action", param);
            }
        }
        if (words > ST_ACTION_MAX_ARGS) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "Invalid value for %s: at most %d words in an exec: action", param,
                                ST_ACTION_MAX_ARGS);
        }
        return 0;
    }
    if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) {
        struct evhttp_uri *u = evhttp_uri_parse(s);
        bool ok = u && evhttp_uri_get_host(u) && evhttp_uri_get_host(u)[0];
        if (u) {
            evhttp_uri_free(u);
        }
        if (!ok) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "Invalid value for %s: '%s' is not a URL with a host", param, s);
        }
        return 0;
    }
    if (strncmp(s, ST_ACTION_SCALING_PREFIX, strlen(ST_ACTION_SCALING_PREFIX)) == 0) {
        return 0; /* a scaling policy ARN; whether the policy exists is seen when it runs */
    }
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for %s: unsupported action '%s' (want exec:/path, "
                        "http://URL, https://URL or a scaling policy ARN)",
                        param, s);
}

/* --- exec hooks --- */

static void hook_close_in(struct hook *h)
{
    if (h->in_ev) {
        event_free(h->in_ev);
        h->in_ev = NULL;
    }
    if (h->in_fd >= 0) {
        close(h->in_fd);
        h->in_fd = -1;
    }
}

static void hook_close_out(struct hook *h)
{
    if (h->out_ev) {
        event_free(h->out_ev);
        h->out_ev = NULL;
    }
    if (h->out_fd >= 0) {
        close(h->out_fd);
        h->out_fd = -1;
    }
}

/* Unlinks and frees; does not call done. */
static void hook_free(struct hook *h)
{
    struct st_actions *a = h->a;
    if (h->prev) {
        h->prev->next = h->next;
    } else if (a->hooks == h) {
        a->hooks = h->next;
    }
    if (h->next) {
        h->next->prev = h->prev;
    }
    a->running--;
    hook_close_in(h);
    hook_close_out(h);
    if (h->pid_ev) {
        event_free(h->pid_ev);
    }
    if (h->timer) {
        event_free(h->timer);
    }
    if (h->pidfd >= 0) {
        close(h->pidfd);
    }
    st_free(h->in);
    st_free(h);
}

/* Reads what the pipe has; false once it is at EOF or failed. */
static bool hook_read(struct hook *h)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(h->out_fd, buf, sizeof(buf));
        if (n > 0) {
            size_t room = sizeof(h->out) - h->out_len;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(h->out + h->out_len, buf, take);
            h->out_len += take;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n < 0 && errno == EAGAIN;
    }
}

static void on_hook_out(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hook *h = arg;
    if (!hook_read(h)) {
        hook_close_out(h);
    }
}

static void on_hook_in(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct hook *h = arg;
    while (h->in_off < h->in_len) {
        ssize_t n = write(fd, h->in + h->in_off, h->in_len - h->in_off);
        if (n > 0) {
            h->in_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return; /* the event fires again when the pipe has room */
        } else {
            break; /* EPIPE: the hook does not read its stdin */
        }
    }
    hook_close_in(h);
}

static void on_hook_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hook *h = arg;
    h->timed_out = true;
    /* The whole group: a hook's own children must not outlive it holding the pipes. */
    kill(-h->pid, SIGKILL);
    kill(h->pid, SIGKILL);
}

static void on_hook_exit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hook *h = arg;
    int status;
    pid_t r = waitpid(h->pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) {
        return; /* not yet (spurious wakeup): the persistent event fires again */
    }
    /* The child is gone: what it wrote is in the pipe already. */
    if (h->out_fd >= 0) {
        hook_read(h);
    }
    struct st_action_result res = {
        .output = h->out, .output_len = h->out_len, .timed_out = h->timed_out};
    if (r < 0) {
        res.exit_status = -1;
        snprintf(res.detail, sizeof(res.detail), "cannot wait for the hook: %s", strerror(errno));
    } else if (WIFEXITED(status)) {
        res.exit_status = WEXITSTATUS(status);
        res.ok = res.exit_status == 0 && !h->timed_out;
        snprintf(res.detail, sizeof(res.detail), "exited with status %d", res.exit_status);
    } else {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        res.exit_status = 128 + sig;
        if (h->timed_out) {
            snprintf(res.detail, sizeof(res.detail), "killed after the %d ms timeout",
                     h->a->timeout_ms);
        } else {
            snprintf(res.detail, sizeof(res.detail), "killed by signal %d", sig);
        }
    }
    st_action_done_fn done = h->done;
    void *data = h->data;
    /* Free before the callback: it may start new actions or free the runner. */
    char out[ST_ACTION_OUTPUT_MAX];
    memcpy(out, h->out, h->out_len);
    res.output = out;
    hook_free(h);
    done(&res, data);
}

/* Splits "exec:/path a b" into argv (pointers into buf, which it rewrites). */
static size_t split_argv(char *buf, char **argv, size_t max)
{
    size_t n = 0;
    for (char *p = buf; *p && n < max;) {
        while (*p == ' ' || *p == '\t') {
            *p++ = '\0';
        }
        if (!*p) {
            break;
        }
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
    }
    argv[n] = NULL;
    return n;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

int st_actions_exec(struct st_actions *a, const char *action, const char *const *env,
                    const char *in, size_t in_len, st_action_done_fn done, void *data,
                    struct st_error *err)
{
    int r = st_action_validate(action, "action", err);
    if (r < 0 || strncmp(action, "exec:", 5) != 0) {
        return r < 0 ? r
                     : st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                    "not an exec: action");
    }
    struct hook *h = st_calloc(1, sizeof(*h));
    char *cmd = st_strdup(action + 5);
    size_t n_environ = 0, n_env = 0;
    while (environ && environ[n_environ]) {
        n_environ++;
    }
    while (env && env[n_env]) {
        n_env++;
    }
    char **envp = st_calloc(n_environ + n_env + 1, sizeof(*envp));
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_init = false, attr_init = false;
    if (!h || !cmd || !envp) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    h->a = a;
    h->pidfd = h->in_fd = h->out_fd = -1;
    h->done = done;
    h->data = data;
    if (in_len) {
        h->in = st_malloc(in_len);
        if (!h->in) {
            r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
            goto fail;
        }
        memcpy(h->in, in, in_len);
        h->in_len = in_len;
    }
    char *argv[ST_ACTION_MAX_ARGS + 1];
    split_argv(cmd, argv, ST_ACTION_MAX_ARGS);
    /* The extra variables first, so that they win over inherited ones of the same name. */
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) {
        envp[k++] = (char *)env[i];
    }
    for (size_t i = 0; i < n_environ; i++) {
        bool shadowed = false;
        for (size_t j = 0; j < n_env && !shadowed; j++) {
            const char *eq = strchr(env[j], '=');
            size_t len = eq ? (size_t)(eq - env[j]) + 1 : 0;
            shadowed = len && strncmp(environ[i], env[j], len) == 0;
        }
        if (!shadowed) {
            envp[k++] = environ[i];
        }
    }
    envp[k] = NULL;
    if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
        r = st_error_set(err, -errno, ST_ERR_INTERNAL_FAILURE, "cannot create pipes: %s",
                         strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_init(&fa);
    fa_init = true;
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
    posix_spawnattr_init(&attr);
    attr_init = true;
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE); /* the collector ignores it; the hook should not inherit that */
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    int e = posix_spawn(&h->pid, argv[0], &fa, &attr, argv, envp);
    if (e != 0) {
        r = st_error_set(err, -e, ST_ERR_INTERNAL_FAILURE, "cannot run %s: %s", argv[0],
                         strerror(e));
        goto fail;
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_pipe[0] = out_pipe[1] = -1;
    h->in_fd = in_pipe[1];
    h->out_fd = out_pipe[0];
    in_pipe[1] = out_pipe[0] = -1;
    /* From here on the child runs: failures kill it. */
    h->pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
    if (h->pidfd < 0 || set_nonblock(h->in_fd) < 0 || set_nonblock(h->out_fd) < 0) {
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "cannot watch the hook: %s",
                         strerror(errno));
        goto kill;
    }
    h->pid_ev = event_new(a->base, h->pidfd, EV_READ | EV_PERSIST, on_hook_exit, h);
    h->out_ev = event_new(a->base, h->out_fd, EV_READ | EV_PERSIST, on_hook_out, h);
    h->in_ev = event_new(a->base, h->in_fd, EV_WRITE | EV_PERSIST, on_hook_in, h);
    h->timer = evtimer_new(a->base, on_hook_timeout, h);
    if (!h->pid_ev || !h->out_ev || !h->in_ev || !h->timer) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto kill;
    }
    struct timeval tv = {a->timeout_ms / 1000, (a->timeout_ms % 1000) * 1000};
    event_add(h->pid_ev, NULL);
    event_add(h->out_ev, NULL);
    event_add(h->in_ev, NULL);
    event_add(h->timer, &tv);
    h->next = a->hooks;
    if (a->hooks) {
        a->hooks->prev = h;
    }
    a->hooks = h;
    a->running++;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    st_free(envp);
    st_free(cmd);
    return 0;
kill:
    kill(-h->pid, SIGKILL);
    waitpid(h->pid, NULL, 0); /* just killed: returns at once */
fail:
    for (int i = 0; i < 2; i++) {
        if (in_pipe[i] >= 0) {
            close(in_pipe[i]);
        }
        if (out_pipe[i] >= 0) {
            close(out_pipe[i]);
        }
    }
    if (fa_init) {
        posix_spawn_file_actions_destroy(&fa);
    }
    if (attr_init) {
        posix_spawnattr_destroy(&attr);
    }
    if (h) {
        a->running++; /* hook_free counts it down */
        hook_free(h);
    }
    st_free(envp);
    st_free(cmd);
    return r;
}

/* --- webhooks --- */

static void webhook_free(struct webhook *w)
{
    struct st_actions *a = w->a;
    if (w->prev) {
        w->prev->next = w->next;
    } else if (a->webhooks == w) {
        a->webhooks = w->next;
    }
    if (w->next) {
        w->next->prev = w->prev;
    }
    a->running--;
    st_free(w->out);
    st_free(w);
}

/* evhttp frees the connection itself only from a callback it runs; free it later. */
static void on_conn_free(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evhttp_connection_free(arg);
}

static void on_webhook_done(struct evhttp_request *req, void *arg)
{
    struct webhook *w = arg;
    if (w->finished) {
        return;
    }
    w->finished = true;
    struct st_action_result res = {0};
    char out[ST_ACTION_OUTPUT_MAX];
    if (req && evhttp_request_get_response_code(req) > 0) {
        res.exit_status = evhttp_request_get_response_code(req);
        res.ok = res.exit_status >= 200 && res.exit_status < 300;
        struct evbuffer *b = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(b);
        res.output_len = n < sizeof(out) ? n : sizeof(out);
        evbuffer_copyout(b, out, res.output_len);
        snprintf(res.detail, sizeof(res.detail), "HTTP %d", res.exit_status);
    } else {
        res.timed_out = req && evhttp_request_get_response_code(req) == 0;
        snprintf(res.detail, sizeof(res.detail),
                 "no HTTP answer (connection failed or %d ms timeout)", w->a->timeout_ms);
    }
    res.output = out;
    event_base_once(w->a->base, -1, EV_TIMEOUT, on_conn_free, w->conn, NULL);
    st_action_done_fn done = w->done;
    void *data = w->data;
    webhook_free(w);
    done(&res, data);
}

int st_actions_http(struct st_actions *a, const char *url, const char *body, size_t body_len,
                    st_action_done_fn done, void *data, struct st_error *err)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    if (!u || !evhttp_uri_get_host(u)) {
        if (u) {
            evhttp_uri_free(u);
        }
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "bad URL '%s'", url);
    }
    bool tls = strncmp(url, "https://", 8) == 0;
    const char *host = evhttp_uri_get_host(u);
    int port = evhttp_uri_get_port(u);
    if (port < 0) {
        port = tls ? 443 : 80;
    }
    char path[2048];
    const char *p = evhttp_uri_get_path(u), *q = evhttp_uri_get_query(u);
    snprintf(path, sizeof(path), "%s%s%s", p && *p ? p : "/", q ? "?" : "", q ? q : "");
    int r = 0;
    struct webhook *w = st_calloc(1, sizeof(*w));
    struct bufferevent *bev = NULL;
    if (!w) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto out;
    }
    w->a = a;
    w->done = done;
    w->data = data;
    if (tls) {
        if (!a->ssl) {
            a->ssl = client_tls_new(NULL);
        }
        SSL *ssl = a->ssl ? SSL_new(a->ssl) : NULL;
        if (!ssl) {
            r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "cannot set up TLS");
            goto out;
        }
        /* An address is checked against the certificate's IP names and sent without SNI (RFC
         * 6066 allows host names only); a name against its DNS names. */
        char bare[64];
        size_t hl = strlen(host);
        struct in6_addr addr;
        if (hl >= 2 && hl < sizeof(bare) + 2 && host[0] == '[') {
            memcpy(bare, host + 1, hl - 2);
            bare[hl - 2] = '\0';
        } else {
            snprintf(bare, sizeof(bare), "%s", host);
        }
        bool is_ip = inet_pton(AF_INET, bare, &addr) == 1 || inet_pton(AF_INET6, bare, &addr) == 1;
        if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), bare) != 1
                  : SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
            SSL_free(ssl);
            r = st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                             "cannot check the TLS name %s", host);
            goto out;
        }
        bev = bufferevent_openssl_socket_new(a->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (!bev) {
            SSL_free(ssl);
            r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "cannot set up TLS");
            goto out;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    }
    if (!a->dns) {
        a->dns = evdns_base_new(a->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    }
    w->conn = evhttp_connection_base_bufferevent_new(a->base, a->dns, bev, host, (uint16_t)port);
    if (!w->conn) {
        if (bev) {
            bufferevent_free(bev);
        }
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto out;
    }
    struct timeval tv = {a->timeout_ms / 1000, (a->timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(w->conn, &tv);
    evhttp_connection_set_retries(w->conn, 0);
    struct evhttp_request *req = evhttp_request_new(on_webhook_done, w);
    if (!req) {
        evhttp_connection_free(w->conn);
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto out;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char hostport[300];
    snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "Content-Type", "text/plain; charset=UTF-8");
    evhttp_add_header(h, "x-amz-sns-message-type", "Notification");
    evhttp_add_header(h, "User-Agent", "stratus-collector");
    evbuffer_add(evhttp_request_get_output_buffer(req), body, body_len);
    w->next = a->webhooks;
    if (a->webhooks) {
        a->webhooks->prev = w;
    }
    a->webhooks = w;
    a->running++;
    if (evhttp_make_request(w->conn, req, EVHTTP_REQ_POST, path) < 0) {
        /* evhttp_make_request frees req on failure. */
        evhttp_connection_free(w->conn);
        webhook_free(w);
        w = NULL;
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "cannot send to %s", url);
        goto out;
    }
    w = NULL;
out:
    st_free(w);
    evhttp_uri_free(u);
    return r;
}

void st_actions_free(struct st_actions *a)
{
    if (!a) {
        return;
    }
    while (a->hooks) {
        kill(-a->hooks->pid, SIGKILL);
        hook_free(a->hooks);
    }
    while (a->webhooks) {
        struct webhook *w = a->webhooks;
        w->finished = true;
        evhttp_connection_free(w->conn);
        webhook_free(w);
    }
    if (a->ssl) {
        SSL_CTX_free(a->ssl);
    }
    if (a->dns) {
        evdns_base_free(a->dns, 0);
    }
    st_free(a);
}
