/* SPDX-License-Identifier: MIT */
/*
 * Typed reading of JSON configuration files against a schema. A schema is a table of fields
 * (key, type, where to store it, bounds); reading an object rejects unknown keys and values of
 * the wrong type or out of bounds with an error that names the JSON path ("$.agent.interval:
 * expected an integer from 1 to 86400"). Nested objects use ST_CFG_OBJECT with their own table.
 * Strings are copied into caller-owned fixed-size buffers, so a config struct owns nothing.
 */
#ifndef STRATUS_CONFIG_H
#define STRATUS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "stratus/error.h"

#define ST_CONFIG_MAX_BYTES (1024 * 1024)

enum st_cfg_type {
    ST_CFG_STRING, /* char[size] at offset */
    ST_CFG_INT,    /* int64_t at offset, within [min, max] */
    ST_CFG_BOOL,   /* bool at offset */
    ST_CFG_OBJECT, /* nested: fields (NULL-key terminated) into the same struct */
    ST_CFG_CUSTOM, /* parse(value, path, dest + offset, err) */
};

struct st_cfg_field;

/* A custom field parser: returns 0 or a negative errno with err naming `path`. */
typedef int (*st_cfg_parse_fn)(json_object *value, const char *path, void *dest,
                               struct st_error *err);

struct st_cfg_field {
    const char *key;
    enum st_cfg_type type;
    size_t offset;
    size_t size;                       /* ST_CFG_STRING: buffer size */
    int64_t min, max;                  /* ST_CFG_INT */
    const struct st_cfg_field *fields; /* ST_CFG_OBJECT */
    st_cfg_parse_fn parse;             /* ST_CFG_CUSTOM */
};

/*
 * Reads and parses a JSON file of at most ST_CONFIG_MAX_BYTES. Returns 0 and the root object
 * (the caller puts it with json_object_put), or a negative errno with err saying where the
 * syntax error is.
 */
int st_config_parse_file(const char *path, json_object **ret_root, struct st_error *err);

/* Parses JSON text (len bytes, not necessarily NUL-terminated); as above. */
int st_config_parse(const char *text, size_t len, json_object **ret_root, struct st_error *err);

/* Applies obj (must be a JSON object) to dest by the NULL-key-terminated table `fields`. */
int st_config_apply(json_object *obj, const char *path, const struct st_cfg_field *fields,
                    void *dest, struct st_error *err);

#endif
