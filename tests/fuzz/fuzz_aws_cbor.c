/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for RPC v2 CBOR request decoding (st_aws_cbor_parse over libcbor with its length
 * pre-scan), then CBOR writing of the tree into the request of every op (fuzz_aws_common.h). A
 * rejection must be -EINVAL (or -ENOMEM) with an AWS error code and message; an accepted body must
 * decode or be rejected cleanly by every op, and what decodes must survive encode/decode unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "fuzz_aws_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *tree = NULL;
    struct st_error err;
    int r = st_aws_cbor_parse(data, size, &tree, &err);
    fuzz_require(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        fuzz_require(tree == NULL);
        fuzz_require(r == -ENOMEM || err.code[0] != '\0');
        return 0;
    }
    fuzz_require(json_object_is_type(tree, json_type_object));
    uint8_t *buf = NULL;
    size_t len;
    if (st_aws_cbor_write(tree, &buf, &len) == 0) {
        json_object *back = NULL;
        struct st_error err2;
        fuzz_require(st_aws_cbor_parse(buf, len, &back, &err2) == 0);
        json_object_put(back);
        free(buf);
    }
    fuzz_decode_all(tree);
    json_object_put(tree);
    return 0;
}
