/* SPDX-License-Identifier: MIT */
/*
 * Incremental PutMetricData encoding (see batcher.h).
 */
#include <errno.h>
#include <string.h>

#include "batcher.h"
#include "stratus/alloc.h"
#include "stratus/cursor.h"
#include "stratus/log.h"

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static int reserve(struct st_batcher *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) {
        cap *= 2;
    }
    uint8_t *nb = st_realloc(b->buf, cap);
    if (!nb) {
        return -ENOMEM;
    }
    b->buf = nb;
    b->cap = cap;
    return 0;
}

/* Starts an empty request: field 1, the namespace. */
static void start(struct st_batcher *b)
{
    size_t ns = strlen(b->namespace_);
    b->len = 0;
    b->n_datums = 0;
    if (reserve(b, 1 + 10 + ns) == 0) {
        b->buf[b->len++] = 0x0a;
        b->len += st_put_varint(b->buf + b->len, ns);
        memcpy(b->buf + b->len, b->namespace_, ns);
        b->len += ns;
    }
}

void st_batcher_init(struct st_batcher *b, const char *namespace_, size_t max_bytes,
                     struct st_spool *spool, struct st_sender *sender)
{
    memset(b, 0, sizeof(*b));
    b->max_bytes = max_bytes && max_bytes < ST_BATCH_MAX_BYTES ? max_bytes : ST_BATCH_MAX_BYTES;
    snprintf(b->namespace_, sizeof(b->namespace_), "%s", namespace_);
    b->spool = spool;
    b->sender = sender;
    start(b);
}

void st_batcher_fini(struct st_batcher *b)
{
    st_free(b->buf);
    b->buf = NULL;
}

int st_batcher_flush(struct st_batcher *b)
{
    if (b->n_datums == 0) {
        return 0;
    }
    int r = st_spool_push(b->spool, b->buf, b->len);
    if (r < 0) {
        b->spool_errors++;
        st_log_error("batcher: cannot spool a batch of %zu datums: %s", b->n_datums, strerror(-r));
    } else {
        b->sealed++;
    }
    start(b);
    st_sender_kick(b->sender);
    return r;
}

int st_batcher_add(struct st_batcher *b, const Stratus__MetricDatum *d)
{
    size_t n = stratus__metric_datum__get_packed_size(d);
    size_t field = 1 + varint_len(n) + n;
    if (b->n_datums >= ST_BATCH_MAX_DATUMS ||
        (b->n_datums > 0 && b->len + field > ST_BATCH_MAX_BYTES)) {
        st_batcher_flush(b);
    }
    if (b->len == 0) {
        start(b);
    }
    if (reserve(b, field) < 0) {
        return -ENOMEM;
    }
    b->buf[b->len++] = 0x12;
    b->len += st_put_varint(b->buf + b->len, n);
    b->len += stratus__metric_datum__pack(d, b->buf + b->len);
    b->n_datums++;
    return 0;
}
