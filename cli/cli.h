/* SPDX-License-Identifier: MIT */
/*
 * What the verbs of the `stratus` command share: the context main (stratus.c) sets up and
 * lends to each verb for the length of the call (collector endpoint, timeout, output stream),
 * the verb signature, and how results map to exit codes. A verb returns 0, -EINVAL with err
 * saying what is wrong with the command line (exit 2), or another negative errno when the call
 * failed (exit 1), with err->message then the complete line to print, as the aws CLI prints it.
 */
#ifndef STRATUS_CLI_H
#define STRATUS_CLI_H

#include <stdio.h>

#include "stratus/error.h"
#include "stratus/http_client.h"

#define ST_CLI_TIMEOUT_MS 10000

#define ST_CLI_EXIT_OK     0
#define ST_CLI_EXIT_FAILED 1
#define ST_CLI_EXIT_USAGE  2

/* The error code of usage errors (never sent anywhere, it only tells them apart). */
#define ST_CLI_ERR_USAGE "Usage"

struct st_cli {
    struct st_endpoint ep;
    char url[300]; /* "http://host:port", for messages */
    int timeout_ms;
    FILE *out; /* where the JSON result goes; errors go through err */
};

/* argv holds the verb's own arguments (the verb name and global flags removed); a verb may
 * rewrite entries of argv in place (see st_args_parse) but never frees them. */
typedef int (*st_cli_verb_fn)(const struct st_cli *cli, int argc, char **argv,
                              struct st_error *err);

#endif
