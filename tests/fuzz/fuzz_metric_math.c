/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the metric math parser and evaluator (lib/metric_math.c): the bytes are an
 * expression, parsed into a capped arena and, when it parses, evaluated on a small grid where
 * m1..m3 are series with gaps and METRICS() returns them. Parse and evaluation must end in 0
 * or -EINVAL/-ENOMEM with an error code; a successful result is a scalar, a series or an
 * array of at most the three metrics' size, and holds no infinities.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/metric_math.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N 8

static double series[3][N] = {
    {1, 2, NAN, 4, 5, NAN, 7, 8},
    {NAN, -1, 0, 3.5, NAN, 1e300, 2, 2},
    {0, 0, 0, 0, 0, 0, 0, 0},
};

static void require(int ok)
{
    if (!ok) {
        abort();
    }
}

static int lookup(void *ctx, const char *id, struct st_mm_value *ret, struct st_error *err)
{
    (void)ctx;
    if (strlen(id) == 2 && id[0] == 'm' && id[1] >= '1' && id[1] <= '3') {
        *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = series[id[1] - '1'], .label = id};
        return 0;
    }
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "unknown id %s", id);
}

static struct st_mm_value items[3];

static int metrics(void *ctx, const char *filter, struct st_mm_value *ret, struct st_error *err)
{
    (void)ctx;
    (void)err;
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        if (!filter[0] || strchr(filter, '1' + i)) {
            items[n++] = (struct st_mm_value){.kind = ST_MM_SERIES, .v = series[i]};
        }
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = items, .n_items = n};
    return 0;
}

static void check_series(const double *v)
{
    for (size_t i = 0; i < N; i++) {
        require(!isinf(v[i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_arena a;
    st_arena_init(&a, 0, 1u << 20);
    struct st_mm_node *node;
    struct st_error err;
    int r = st_mm_parse((const char *)data, size, &a, &node, &err);
    require(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        require(err.code[0] != '\0');
    } else {
        struct st_mm_grid grid = {.start_ms = 0, .period_ms = 60000, .n = N};
        struct st_mm_env env = {lookup, metrics, NULL};
        struct st_mm_value v;
        r = st_mm_eval(node, &grid, &env, &a, &v, &err);
        require(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == 0) {
            if (v.kind == ST_MM_SERIES) {
                check_series(v.v);
            } else if (v.kind == ST_MM_ARRAY) {
                require(v.n_items <= 3);
                for (size_t i = 0; i < v.n_items; i++) {
                    check_series(v.items[i].v);
                }
            } else {
                require(v.kind == ST_MM_SCALAR);
            }
        }
    }
    st_arena_fini(&a);
    return 0;
}
