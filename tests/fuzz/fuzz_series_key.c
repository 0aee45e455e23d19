/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: canonical series keys as read back from the index (possibly corrupt). Parsing
 * must reject malformed keys, and any key it accepts must rebuild to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/series_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_series_parts p;
    if (st_series_key_parse(data, size, &p) < 0) {
        return 0;
    }
    /* Rebuild from NUL-terminated copies: only keys without NUL bytes and with sorted
     * dimensions are canonical, so compare only when that holds. */
    char *ns = st_strndup(p.ns, p.ns_len), *name = st_strndup(p.name, p.name_len);
    struct st_dim dims[ST_MAX_DIMENSIONS];
    char *strs[2 * ST_MAX_DIMENSIONS] = {0};
    bool ok = ns && name && strlen(ns) == p.ns_len && strlen(name) == p.name_len;
    for (size_t i = 0; i < p.n_dims; i++) {
        strs[2 * i] = st_strndup(p.dims[i].name, p.dims[i].name_len);
        strs[2 * i + 1] = st_strndup(p.dims[i].value, p.dims[i].value_len);
        ok = ok && strs[2 * i] && strs[2 * i + 1] && strlen(strs[2 * i]) == p.dims[i].name_len &&
             strlen(strs[2 * i + 1]) == p.dims[i].value_len;
        dims[i].name = strs[2 * i] ? strs[2 * i] : "";
        dims[i].value = strs[2 * i + 1] ? strs[2 * i + 1] : "";
        if (ok && i > 0) {
            int c = strcmp(dims[i - 1].name, dims[i].name);
            ok = c < 0 || (c == 0 && strcmp(dims[i - 1].value, dims[i].value) <= 0);
        }
    }
    if (ok) {
        uint8_t *key = st_malloc(ST_SERIES_KEY_MAX);
        size_t len;
        if (key && st_series_key_build(ns, name, dims, p.n_dims, p.unit, key, &len) == 0 &&
            (len != size || memcmp(key, data, size) != 0)) {
            abort();
        }
        st_free(key);
    }
    for (size_t i = 0; i < 2 * p.n_dims; i++) {
        st_free(strs[i]);
    }
    st_free(ns);
    st_free(name);
    return 0;
}
