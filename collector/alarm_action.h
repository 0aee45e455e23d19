/* SPDX-License-Identifier: MIT */
/*
 * Alarm actions that leave the process: `exec:` hooks and HTTP(S) webhooks, run
 * asynchronously on the event loop so that a hung hook or an unreachable webhook never blocks
 * anything. An exec hook is spawned without a shell (posix_spawn of an absolute path, the
 * action's words as argv), in its own process group, with a payload on stdin, extra
 * environment variables, its stdout and stderr captured (the first ST_ACTION_OUTPUT_MAX
 * bytes), and a timeout after which the group is killed; its exit is seen through a pidfd, so
 * no SIGCHLD handler and no blocking waitpid. A webhook is one POST with a JSON body and the
 * same timeout. Loop thread only.
 */
#ifndef STRATUS_COLLECTOR_ALARM_ACTION_H
#define STRATUS_COLLECTOR_ALARM_ACTION_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "stratus/error.h"

#define ST_ACTION_OUTPUT_MAX 4096
#define ST_ACTION_MAX_ARGS   32
/* Alarm actions that name a scaling policy (scaling.c runs them). */
#define ST_ACTION_SCALING_PREFIX "arn:aws:autoscaling:"

/* What an action did. Borrowed by the done callback for its duration. */
struct st_action_result {
    bool ok;         /* exec: exited with status 0; http: a 2xx answer */
    int exit_status; /* exec: the exit status, or 128 + signal; http: the HTTP status or 0 */
    bool timed_out;
    const char *output; /* exec: stdout and stderr; http: the response body (capped) */
    size_t output_len;
    char detail[160]; /* "exited with status 0", "killed after 30000 ms", ... */
};

/* Runs on the loop thread once the action finished (or failed, or timed out). */
typedef void (*st_action_done_fn)(const struct st_action_result *res, void *data);

struct st_actions;

/* timeout_ms bounds every action. https webhooks verify the server's certificate and name
 * against the system's trusted CAs and, when ca_file is not NULL, the PEM certificates in it
 * (borrowed for the call). Returns 0, -ENOMEM, or -EINVAL with err set when ca_file cannot be
 * loaded. */
int st_actions_new(struct event_base *base, int timeout_ms, const char *ca_file,
                   struct st_actions **ret, struct st_error *err);
/* Kills the hooks still running (without waiting for them) and drops pending webhooks; their
 * callbacks do not run. NULL ok. */
void st_actions_free(struct st_actions *a);
/* How many actions are running. */
unsigned st_actions_running(const struct st_actions *a);

/* Whether s is a valid action: "exec:/abs/path [args]", "http(s)://host..." or a scaling
 * policy ARN (ST_ACTION_SCALING_PREFIX...).
 * Fills err (InvalidParameterValue) when not; `param` names the parameter. */
int st_action_validate(const char *s, const char *param, struct st_error *err);

/*
 * Starts "exec:/path arg ..." with in[0..in_len) on its stdin and env (NULL-terminated
 * "NAME=value" strings, copied) added to the collector's environment. done runs later, once.
 * Returns 0, or a negative errno with err set when the hook could not start (done not run).
 */
int st_actions_exec(struct st_actions *a, const char *action, const char *const *env,
                    const char *in, size_t in_len, st_action_done_fn done, void *data,
                    struct st_error *err);

/*
 * POSTs body (JSON) to the http:// or https:// URL. done runs later, once. Returns 0, or a
 * negative errno with err set when the request could not start (done not run).
 */
int st_actions_http(struct st_actions *a, const char *url, const char *body, size_t body_len,
                    st_action_done_fn done, void *data, struct st_error *err);

#endif
