/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for JSON 1.0 request decoding (st_aws_json_parse), then the descriptor-driven
 * decoding into the request of every op (fuzz_aws_common.h). A rejection must be -EINVAL (or
 * -ENOMEM) with an AWS error code and message; an accepted body must decode or be rejected cleanly
 * by every op, and what decodes must survive encode/decode unchanged.
 */
#include <stdint.h>
#include <stdlib.h>

#include "aws.h"
#include "fuzz_aws_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *tree = NULL;
    struct st_error err;
    int r = st_aws_json_parse(data, size, &tree, &err);
    fuzz_require(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        fuzz_require(tree == NULL);
        fuzz_require(r == -ENOMEM || err.code[0] != '\0');
        return 0;
    }
    fuzz_require(json_object_is_type(tree, json_type_object));
    fuzz_decode_all(tree);
    json_object_put(tree);
    return 0;
}
