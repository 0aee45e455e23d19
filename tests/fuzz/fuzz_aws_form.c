/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the Query protocol's form parser (st_aws_form_parse:
 * application/x-www-form-urlencoded bodies into member trees), then the XML writer on the tree into
 * the request of every op (fuzz_aws_common.h). A rejection must be -EINVAL (or -ENOMEM) with an AWS
 * error code and message; an accepted body must decode or be rejected cleanly by every op, and what
 * decodes must survive encode/decode unchanged.
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
    int r = st_aws_form_parse(data, size, &tree, &err);
    fuzz_require(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        fuzz_require(tree == NULL);
        fuzz_require(r == -ENOMEM || err.code[0] != '\0');
        return 0;
    }
    fuzz_require(json_object_is_type(tree, json_type_object));
    size_t len;
    char *xml = st_aws_xml_write(tree, &len);
    fuzz_require(xml == NULL || strlen(xml) == len);
    free(xml);
    fuzz_decode_all(tree);
    json_object_put(tree);
    return 0;
}
