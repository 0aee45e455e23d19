/* SPDX-License-Identifier: MIT */
/*
 * aws-CLI-compatible resume tokens for list-metrics (see paging_token.h): a small base64 codec
 * and the JSON inside it.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "paging_token.h"
#include "stratus/alloc.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const unsigned char *in, size_t len)
{
    char *out = st_malloc((len + 2) / 3 * 4 + 1);
    if (!out) {
        return NULL;
    }
    char *o = out;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len) {
            v |= (unsigned)in[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= in[i + 2];
        }
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Strict decoding (padded, standard alphabet) into a terminated buffer; NULL when not base64
 * (*ret_oom tells an allocation failure apart). */
static char *base64_decode(const char *s, size_t *ret_len, bool *ret_oom)
{
    size_t len = strlen(s);
    *ret_oom = false;
    if (len == 0 || len % 4 != 0) {
        return NULL;
    }
    char *out = st_malloc(len / 4 * 3 + 1);
    if (!out) {
        *ret_oom = true;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        unsigned pad = last ? (s[i + 3] == '=') + (s[i + 3] == '=' && s[i + 2] == '=') : 0;
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++) {
            const char *p = s[i + k] ? strchr(b64, s[i + k]) : NULL;
            if (k >= 4 - pad) {
                v <<= 6;
            } else if (p) {
                v = v << 6 | (unsigned)(p - b64);
            } else {
                st_free(out);
                return NULL;
            }
        }
        out[o++] = (char)(v >> 16);
        if (pad < 2) {
            out[o++] = (char)(v >> 8);
        }
        if (pad < 1) {
            out[o++] = (char)v;
        }
    }
    out[o] = '\0';
    *ret_len = o;
    return out;
}

/* Reads the JSON of an aws token; false when the text is not one. */
static bool parse_aws_token(const char *json, size_t len, json_object **ret_tok, int64_t *ret_skip)
{
    if (strlen(json) != len) {
        return false;
    }
    json_object *root = json_tokener_parse(json);
    bool ok =
        root && json_object_is_type(root, json_type_object) && json_object_object_length(root) > 0;
    json_object *tok = NULL;
    int64_t skip = 0;
    if (ok) {
        json_object_object_foreach(root, key, val)
        {
            if (strcmp(key, "NextToken") == 0 && (json_object_is_type(val, json_type_string) ||
                                                  json_object_is_type(val, json_type_null))) {
                tok = val;
            } else if (strcmp(key, "boto_truncate_amount") == 0 &&
                       json_object_is_type(val, json_type_int) && json_object_get_int64(val) >= 0) {
                skip = json_object_get_int64(val);
            } else {
                ok = false;
            }
        }
    }
    if (ok) {
        *ret_tok = json_object_get(tok);
        *ret_skip = skip;
    }
    json_object_put(root);
    return ok;
}

int st_paging_token_decode(const char *s, struct st_paging_token *ret)
{
    size_t len = 0;
    bool oom;
    char *json = base64_decode(s, &len, &oom);
    if (oom) {
        return -ENOMEM;
    }
    json_object *tok = NULL;
    int64_t skip = 0;
    bool aws = json && parse_aws_token(json, len, &tok, &skip);
    st_free(json);
    const char *next = aws ? (tok ? json_object_get_string(tok) : NULL) : s;
    char *copy = NULL;
    if (next) {
        copy = st_strdup(next);
        if (!copy) {
            json_object_put(tok);
            return -ENOMEM;
        }
    }
    json_object_put(tok);
    *ret = (struct st_paging_token){.next_token = copy, .skip = (uint64_t)skip};
    return 0;
}

int st_paging_token_encode(const char *next_token, uint64_t skip, char **ret)
{
    json_object *root = json_object_new_object();
    if (!root) {
        return -ENOMEM;
    }
    json_object *tok = next_token ? json_object_new_string(next_token) : NULL;
    json_object *amount = skip ? json_object_new_int64((int64_t)skip) : NULL;
    if ((next_token && !tok) || (skip && !amount)) {
        json_object_put(tok);
        json_object_put(amount);
        json_object_put(root);
        return -ENOMEM;
    }
    if (json_object_object_add(root, "NextToken", tok) < 0) {
        json_object_put(tok);
        json_object_put(amount);
        json_object_put(root);
        return -ENOMEM;
    }
    if (amount && json_object_object_add(root, "boto_truncate_amount", amount) < 0) {
        json_object_put(amount);
        json_object_put(root);
        return -ENOMEM;
    }
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_SPACED |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = text ? base64_encode((const unsigned char *)text, strlen(text)) : NULL;
    json_object_put(root);
    if (!out) {
        return -ENOMEM;
    }
    *ret = out;
    return 0;
}

void st_paging_token_fini(struct st_paging_token *t)
{
    st_free(t->next_token);
    t->next_token = NULL;
    t->skip = 0;
}
