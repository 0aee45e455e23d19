/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a WAL segment read back from disk (it may be torn or corrupt). The parser must
 * stop at the first bad record without reading past the buffer, and every record it reports
 * must lie inside the buffer with increasing LSNs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    const uint8_t *buf;
    size_t size;
    uint64_t last_lsn;
    uint64_t touched;
};

static int on_record(uint64_t lsn, enum st_wal_type type, int64_t arrival_ms,
                     const uint8_t *payload, size_t len, void *arg)
{
    struct seen *s = arg;
    (void)arrival_ms;
    if (payload < s->buf || payload + len > s->buf + s->size) {
        abort();
    }
    if (type != ST_WAL_HEADER) {
        if (lsn < s->last_lsn) {
            abort();
        }
        s->last_lsn = lsn;
    }
    /* Touch the payload's first and last bytes: ASan checks they are inside the buffer. */
    if (len > 0) {
        s->touched += payload[0] + payload[len - 1];
    }
    int64_t w1, w60;
    st_wal_parse_watermarks(payload, len, &w1, &w60);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s = {data, size, 0, 0};
    uint64_t next = 1;
    size_t good;
    int r = st_wal_parse(data, size, on_record, &s, &next, &good);
    if (good > size || (r == 0 && good != size && size > 0)) {
        abort();
    }
    return 0;
}
