/* SPDX-License-Identifier: MIT */
/*
 * A fake collector for the CLI's unit tests: an evhttp server on 127.0.0.1 port 0, in a thread
 * of its own, that records each request (path and body) and answers the Nth with the Nth
 * canned reply (500 once they run out), and a struct st_cli pointed at it whose output goes to
 * a memory buffer.
 */
#ifndef STRATUS_TESTS_FAKE_COLLECTOR_H
#define STRATUS_TESTS_FAKE_COLLECTOR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "../../cli/cli.h"
#include "stratus/error.h"

#define ST_FAKE_MAX_CALLS 8

struct st_fake_reply {
    int status;
    uint8_t *body; /* malloc'ed, freed by st_fake_collector_stop */
    size_t len;
};

struct st_fake_collector {
    struct event_base *base;
    struct evhttp *http;
    struct event *stop_ev;
    int stop_pipe[2];
    pthread_t thread;
    uint16_t port;

    pthread_mutex_t lock; /* guards everything below */
    struct st_fake_reply replies[ST_FAKE_MAX_CALLS];
    size_t n_replies;
    size_t n_calls;
    char paths[ST_FAKE_MAX_CALLS][64];
    uint8_t *bodies[ST_FAKE_MAX_CALLS];
    size_t body_lens[ST_FAKE_MAX_CALLS];

    char *out_buf; /* what the verb printed (open_memstream) */
    size_t out_len;
    struct st_cli cli;
    struct st_error err;
};

/* Starts the server in *f (zeroed by the caller) and points f->cli at it: 0 or -1. */
int st_fake_collector_start(struct st_fake_collector *f);

/* Stops the server and frees the replies, bodies and output. */
void st_fake_collector_stop(struct st_fake_collector *f);

/* cmocka fixtures for tests whose state is a fake collector and nothing else: setup makes
 * *state a started struct st_fake_collector; teardown stops and frees it and disarms allocation
 * failures a test armed. */
int st_fake_setup(void **state);
int st_fake_teardown(void **state);

/* Queues the next reply: msg packed, or text when msg is NULL. */
void st_fake_add_reply(struct st_fake_collector *f, int status, const ProtobufCMessage *msg,
                       const char *text);

/* What the verb printed so far. */
const char *st_fake_output(struct st_fake_collector *f);

/* Asserts that request i went to want_path and decodes its body as desc; freed by the caller
 * with protobuf_c_message_free_unpacked. */
ProtobufCMessage *st_fake_request(struct st_fake_collector *f, size_t i, const char *want_path,
                                  const ProtobufCMessageDescriptor *desc);

#endif
