/* SPDX-License-Identifier: MIT */
/*
 * The client's protobuf-c allocator over the st_malloc family (see pb.h).
 */
#include "pb.h"

#include <string.h>

#include "stratus/alloc.h"

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return st_malloc(size);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    st_free(p);
}

static ProtobufCAllocator allocator = {.alloc = pb_alloc, .free = pb_free};

ProtobufCAllocator *st_pb_allocator(void)
{
    return &allocator;
}

void st_pb_free(void *msg)
{
    if (msg) {
        protobuf_c_message_free_unpacked(msg, &allocator);
    }
}

int st_pb_pages_keep(struct st_pb_pages *p, ProtobufCMessage *m)
{
    ProtobufCMessage **items = st_realloc(p->items, (p->n + 1) * sizeof(*items));
    if (!items) {
        st_pb_free(m);
        return -1;
    }
    p->items = items;
    p->items[p->n++] = m;
    return 0;
}

void st_pb_pages_fini(struct st_pb_pages *p)
{
    for (size_t i = 0; i < p->n; i++) {
        st_pb_free(p->items[i]);
    }
    st_free(p->items);
    p->items = NULL;
    p->n = 0;
}

int st_ptr_append(void ***arr, size_t *n, void *const *add, size_t n_add)
{
    if (n_add == 0) {
        return 0;
    }
    void **out = st_realloc(*arr, (*n + n_add) * sizeof(*out));
    if (!out) {
        return -1;
    }
    memcpy(out + *n, add, n_add * sizeof(*out));
    *arr = out;
    *n += n_add;
    return 0;
}
