/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: configuration files (JSON text) parsed and applied to a schema with every field
 * type. It must never crash, leak or read out of bounds, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "stratus/config.h"

struct cfg {
    char s[16];
    int64_t i;
    bool b;
    int64_t nested;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct st_cfg_field inner[] = {
        {.key = "n",
         .type = ST_CFG_INT,
         .offset = offsetof(struct cfg, nested),
         .min = -5,
         .max = 5},
        {NULL},
    };
    static const struct st_cfg_field fields[] = {
        {.key = "s", .type = ST_CFG_STRING, .offset = offsetof(struct cfg, s), .size = 16},
        {.key = "i", .type = ST_CFG_INT, .offset = offsetof(struct cfg, i), .min = 0, .max = 1000},
        {.key = "b", .type = ST_CFG_BOOL, .offset = offsetof(struct cfg, b)},
        {.key = "o", .type = ST_CFG_OBJECT, .fields = inner},
        {NULL},
    };
    json_object *root;
    struct st_error err;
    if (st_config_parse((const char *)data, size, &root, &err) == 0) {
        struct cfg c = {0};
        st_config_apply(root, "$", fields, &c, &err);
        json_object_put(root);
    }
    return 0;
}
