/* SPDX-License-Identifier: MIT */
/*
 * Shared by the AWS protocol fuzz targets: a parsed member tree is decoded into the request
 * message of every op in the table (collector/ops.c), as the front ends do, and each decoded
 * message is checked to survive encode -> decode -> encode unchanged (the encoder writes only
 * what the decoder reads back). Aborts on a broken promise.
 */
#ifndef STRATUS_TESTS_FUZZ_AWS_COMMON_H
#define STRATUS_TESTS_FUZZ_AWS_COMMON_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws_shape.h"
#include "op.h"

static void fuzz_require(int ok)
{
    if (!ok) {
        abort();
    }
}

static void fuzz_decode_all(json_object *tree)
{
    size_t n;
    const struct st_op *ops = st_op_all(&n);
    for (size_t i = 0; i < n; i++) {
        struct st_arena a;
        st_arena_init(&a, 0, 4u << 20);
        ProtobufCMessage *m = NULL;
        struct st_error err;
        int r = st_aws_decode(ops[i].request, tree, &a, &m, &err);
        fuzz_require(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r < 0) {
            fuzz_require(err.code[0] != '\0' && err.message[0] != '\0');
        } else {
            json_object *t2 = st_aws_encode(m, ST_AWS_TIME_EPOCH_SECONDS);
            ProtobufCMessage *m2 = NULL;
            if (t2 && st_aws_decode(ops[i].request, t2, &a, &m2, &err) == 0) {
                json_object *t3 = st_aws_encode(m2, ST_AWS_TIME_EPOCH_SECONDS);
                if (t3) {
                    fuzz_require(strcmp(json_object_to_json_string(t2),
                                        json_object_to_json_string(t3)) == 0);
                }
                json_object_put(t3);
            } else if (t2) {
                fuzz_require(strcmp(err.code, ST_ERR_INTERNAL_FAILURE) == 0);
            }
            json_object_put(t2);
        }
        st_arena_fini(&a);
    }
}

#endif
