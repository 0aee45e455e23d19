/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for X-Ray filter expressions (lib/xray_filter.c): any input either parses
 * and evaluates (twice, with the same answer) against a small trace with a service, an edge
 * and annotations, or fails with -EINVAL and a message naming the position, or -ENOMEM under
 * injected allocation failures. Violations abort.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/xray_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct st_xray_annotation ann[] = {
        {.key = "k", .type = ST_XRAY_STRING, .s = "v"},
        {.key = "n", .type = ST_XRAY_NUMBER, .n = 1},
        {.key = "b", .type = ST_XRAY_BOOL, .b = true},
    };
    static const struct st_xray_annotation *const ap[] = {&ann[0], &ann[1], &ann[2]};
    static const char *const users[] = {"u"};
    struct st_xf_scope web = {.responsetime = 1,
                              .duration = 2,
                              .http_status = 500,
                              .http_url = "http://a/b",
                              .name = "web",
                              .fault = true,
                              .root = true,
                              .users = users,
                              .n_users = 1,
                              .annotations = ap,
                              .n_annotations = 3};
    struct st_xf_scope call = {.responsetime = NAN,
                               .duration = NAN,
                               .name = "db",
                               .type = "remote",
                               .remote = true,
                               .inferred = true};
    struct st_xf_service svcs[] = {{"web", NULL, &web, 1}, {"db", "remote", &call, 1}};
    struct st_xf_edge edges[] = {{"web", "db", NULL, "remote", &call, 1}};
    struct st_xf_trace t = {
        .trace = web, .services = svcs, .n_services = 2, .edges = edges, .n_edges = 1};
    struct st_xray_filter *f = NULL;
    struct st_error err;
    int r = st_xray_filter_parse(data, size, &f, &err);
    CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    CHECK((r == 0) == (f != NULL));
    if (r == -EINVAL && size <= ST_XRAY_FILTER_MAX_BYTES) {
        CHECK(strstr(err.message, "at position ") != NULL);
    }
    if (f) {
        bool a = st_xray_filter_match(f, &t);
        CHECK(a == st_xray_filter_match(f, &t));
        st_xray_filter_free(f);
    }
    return 0;
}
