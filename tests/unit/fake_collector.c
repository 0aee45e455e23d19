/* SPDX-License-Identifier: MIT */
/*
 * The CLI tests' fake collector (fake_collector.h).
 */
#include "fake_collector.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "stratus/alloc.h"

static void on_request(struct evhttp_request *req, void *arg)
{
    struct st_fake_collector *f = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    pthread_mutex_lock(&f->lock);
    size_t i = f->n_calls;
    struct st_fake_reply r = {.status = 500};
    if (i < ST_FAKE_MAX_CALLS) {
        snprintf(f->paths[i], sizeof(f->paths[i]), "%s", evhttp_request_get_uri(req));
        f->bodies[i] = malloc(len + 1);
        evbuffer_remove(in, f->bodies[i], len);
        f->body_lens[i] = len;
        f->n_calls++;
        if (i < f->n_replies) {
            r = f->replies[i];
        }
    }
    pthread_mutex_unlock(&f->lock);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, r.body, r.len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      r.status == 200 ? "application/x-protobuf" : "application/json");
    evhttp_send_reply(req, r.status, r.status == 200 ? "OK" : "Error", out);
    evbuffer_free(out);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void *serve(void *arg)
{
    struct st_fake_collector *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

int st_fake_collector_start(struct st_fake_collector *f)
{
    pthread_mutex_init(&f->lock, NULL);
    f->base = event_base_new();
    f->http = f->base ? evhttp_new(f->base) : NULL;
    if (!f->http || pipe(f->stop_pipe) < 0) {
        return -1;
    }
    evhttp_set_gencb(f->http, on_request, f);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
    if (!sock) {
        return -1;
    }
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &sl) < 0) {
        return -1;
    }
    f->port = ntohs(sin.sin_port);
    f->stop_ev = event_new(f->base, f->stop_pipe[0], EV_READ, on_stop, f->base);
    event_add(f->stop_ev, NULL);
    if (pthread_create(&f->thread, NULL, serve, f) != 0) {
        return -1;
    }
    snprintf(f->cli.ep.host, sizeof(f->cli.ep.host), "127.0.0.1");
    f->cli.ep.port = f->port;
    snprintf(f->cli.url, sizeof(f->cli.url), "http://127.0.0.1:%u", f->port);
    f->cli.timeout_ms = 5000;
    f->cli.out = open_memstream(&f->out_buf, &f->out_len);
    return f->cli.out ? 0 : -1;
}

void st_fake_collector_stop(struct st_fake_collector *f)
{
    if (write(f->stop_pipe[1], "x", 1) == 1) {
        pthread_join(f->thread, NULL);
    }
    event_free(f->stop_ev);
    evhttp_free(f->http);
    event_base_free(f->base);
    close(f->stop_pipe[0]);
    close(f->stop_pipe[1]);
    for (size_t i = 0; i < ST_FAKE_MAX_CALLS; i++) {
        free(f->replies[i].body);
        free(f->bodies[i]);
    }
    fclose(f->cli.out);
    free(f->out_buf);
    pthread_mutex_destroy(&f->lock);
}

int st_fake_setup(void **state)
{
    struct st_fake_collector *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    *state = f;
    return st_fake_collector_start(f);
}

int st_fake_teardown(void **state)
{
    struct st_fake_collector *f = *state;
    st_fake_collector_stop(f);
    st_alloc_fail_disarm();
    free(f);
    return 0;
}

void st_fake_add_reply(struct st_fake_collector *f, int status, const ProtobufCMessage *msg,
                       const char *text)
{
    struct st_fake_reply *r = &f->replies[f->n_replies++];
    r->status = status;
    if (msg) {
        r->len = protobuf_c_message_get_packed_size(msg);
        r->body = malloc(r->len + 1);
        protobuf_c_message_pack(msg, r->body);
    } else {
        r->len = strlen(text);
        r->body = (uint8_t *)strdup(text);
    }
}

const char *st_fake_output(struct st_fake_collector *f)
{
    fflush(f->cli.out);
    return f->out_buf ? f->out_buf : "";
}

ProtobufCMessage *st_fake_request(struct st_fake_collector *f, size_t i, const char *want_path,
                                  const ProtobufCMessageDescriptor *desc)
{
    assert_true(i < f->n_calls);
    assert_string_equal(f->paths[i], want_path);
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, f->body_lens[i], f->bodies[i]);
    assert_non_null(m);
    return m;
}
