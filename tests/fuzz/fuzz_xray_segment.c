/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the X-Ray datagram framing and segment parser (lib/xray_segment.c). The
 * input is tried as a datagram (header + document) and as a bare document. A parsed document
 * must keep the parser's promises: a 1..200 character name, 16-hex ids, a valid trace id at the
 * top, an end after the start unless in progress, nesting within ST_XRAY_MAX_DEPTH, and at most
 * ST_XRAY_MAX_ANNOTATIONS annotations. Allocations may fail (replay_main.c): the parser then
 * returns -ENOMEM and nothing else may go wrong. Violations abort.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/xray_segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_segment(const struct st_xray_segment *s, unsigned depth, bool top)
{
    CHECK(depth <= ST_XRAY_MAX_DEPTH);
    CHECK(s->name && strlen(s->name) >= 1 && strlen(s->name) <= ST_XRAY_MAX_NAME_LEN);
    CHECK(st_xray_valid_id(s->id, strlen(s->id)));
    CHECK(s->parent_id[0] == '\0' || st_xray_valid_id(s->parent_id, strlen(s->parent_id)));
    if (top) {
        CHECK(st_xray_valid_trace_id(s->trace_id, strlen(s->trace_id), NULL));
        CHECK(!s->independent || s->parent_id[0]);
    } else {
        CHECK(s->trace_id[0] == '\0' && !s->independent);
    }
    CHECK(s->in_progress || s->end_time >= s->start_time);
    CHECK(s->n_annotations <= ST_XRAY_MAX_ANNOTATIONS);
    CHECK(s->n_messages <= ST_XRAY_MAX_MESSAGES);
    CHECK(s->http.status >= 0 && s->http.status <= 999);
    for (size_t i = 0; i < s->n_annotations; i++) {
        CHECK(s->annotations[i].key && s->annotations[i].key[0]);
        CHECK(s->annotations[i].type != ST_XRAY_STRING || s->annotations[i].s);
    }
    for (size_t i = 0; i < s->n_subsegments; i++) {
        check_segment(&s->subsegments[i], depth + 1, false);
    }
}

static void parse_doc(const uint8_t *doc, size_t len)
{
    struct st_xray_doc *d = NULL;
    struct st_error err;
    int r = st_xray_segment_parse(doc, len, &d, &err);
    CHECK(r == 0 || r == -EINVAL || r == -ENOMEM || r == -EMSGSIZE);
    CHECK((r == 0) == (d != NULL));
    if (d) {
        check_segment(&d->root, 0, true);
        st_xray_doc_free(d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *doc;
    size_t len;
    int r = st_xray_datagram_body(data, size, &doc, &len);
    CHECK(r == 0 || r == -EBADMSG || r == -EMSGSIZE || r == -ENOMEM);
    if (r == 0) {
        CHECK(doc >= data && doc + len == data + size && len <= ST_XRAY_MAX_DOC_BYTES);
        parse_doc(doc, len);
    } else {
        parse_doc(data, size);
    }
    return 0;
}
