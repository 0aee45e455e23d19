/* SPDX-License-Identifier: MIT */
/*
 * Schema-driven JSON configuration (see config.h). Parsing uses json-c's tokener with its
 * nesting-depth limit; the file size is capped before it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratus/alloc.h"
#include "stratus/config.h"

#define CONFIG_MAX_DEPTH 32

int st_config_parse(const char *text, size_t len, json_object **ret_root, struct st_error *err)
{
    if (len > ST_CONFIG_MAX_BYTES) {
        return st_error_set(err, -EFBIG, ST_ERR_INVALID_PARAMETER_VALUE,
                            "configuration is larger than %d bytes", ST_CONFIG_MAX_BYTES);
    }
    json_tokener *tok = json_tokener_new_ex(CONFIG_MAX_DEPTH);
    if (!tok) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue) {
        json_object_put(root);
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "configuration ends in the middle of a JSON value");
    }
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "configuration is not valid JSON at line %zu, column %zu: %s", line,
                            col, json_tokener_error_desc(jerr));
    }
    /* Nothing but white space may follow the value. */
    for (size_t i = off; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
            json_object_put(root);
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "configuration has text after its JSON value");
        }
    }
    *ret_root = root;
    return 0;
}

int st_config_parse_file(const char *path, json_object **ret_root, struct st_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return st_error_set(err, -errno, ST_ERR_INVALID_PARAMETER_VALUE, "cannot open %s: %s", path,
                            strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > ST_CONFIG_MAX_BYTES) {
        close(fd);
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "%s is not a regular file of at most %d bytes", path,
                            ST_CONFIG_MAX_BYTES);
    }
    size_t len = (size_t)sb.st_size, got = 0;
    char *buf = st_malloc(len + 1);
    if (!buf) {
        close(fd);
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    int r = st_config_parse(buf, got, ret_root, err);
    st_free(buf);
    if (r < 0 && err) {
        char msg[ST_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof(msg), "%s", err->message);
        st_error_set(err, r, err->code, "%s: %s", path, msg);
    }
    return r;
}

static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a number with a fraction";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "something else";
}

static int apply_field(const struct st_cfg_field *f, json_object *v, const char *path, void *dest,
                       struct st_error *err)
{
    char *at = (char *)dest + f->offset;
    switch (f->type) {
    case ST_CFG_STRING: {
        if (!json_object_is_type(v, json_type_string)) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "%s: expected a string, found %s", path, type_name(v));
        }
        size_t len = (size_t)json_object_get_string_len(v);
        if (len >= f->size || strlen(json_object_get_string(v)) != len) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "%s: expected a string of at most %zu bytes without NUL", path,
                                f->size - 1);
        }
        memcpy(at, json_object_get_string(v), len + 1);
        return 0;
    }
    case ST_CFG_INT: {
        errno = 0;
        int64_t n = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || errno || n < f->min || n > f->max) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "%s: expected an integer from %lld to %lld, found %s", path,
                                (long long)f->min, (long long)f->max,
                                json_object_is_type(v, json_type_int) ? "one out of range"
                                                                      : type_name(v));
        }
        memcpy(at, &n, sizeof(n));
        return 0;
    }
    case ST_CFG_BOOL: {
        if (!json_object_is_type(v, json_type_boolean)) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "%s: expected true or false, found %s", path, type_name(v));
        }
        bool b = json_object_get_boolean(v);
        memcpy(at, &b, sizeof(b));
        return 0;
    }
    case ST_CFG_OBJECT:
        return st_config_apply(v, path, f->fields, dest, err);
    case ST_CFG_CUSTOM:
        return f->parse(v, path, at, err);
    }
    return -EINVAL;
}

int st_config_apply(json_object *obj, const char *path, const struct st_cfg_field *fields,
                    void *dest, struct st_error *err)
{
    if (!json_object_is_type(obj, json_type_object)) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "%s: expected an object, found %s", path, type_name(obj));
    }
    json_object_object_foreach(obj, key, value)
    {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        const struct st_cfg_field *f = fields;
        while (f->key && strcmp(f->key, key) != 0) {
            f++;
        }
        if (!f->key) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "%s: unknown key",
                                sub);
        }
        int r = apply_field(f, value, sub, dest, err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}
