/* SPDX-License-Identifier: MIT */
/*
 * Bump allocator (see arena.h). Chunks are singly linked, newest first; a request larger than
 * the chunk size gets a chunk of its own.
 */
#include <stdint.h>

#include "stratus/alloc.h"
#include "stratus/arena.h"

struct st_arena_chunk {
    struct st_arena_chunk *next;
    size_t size; /* bytes of data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

static void *pb_alloc(void *data, size_t n)
{
    return st_arena_alloc(data, n);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

void st_arena_init(struct st_arena *a, size_t chunk_bytes, size_t limit_bytes)
{
    a->head = NULL;
    a->chunk_bytes = chunk_bytes ? chunk_bytes : 64 * 1024;
    a->limit_bytes = limit_bytes;
    a->used_bytes = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

static void free_chain(struct st_arena_chunk *c)
{
    while (c) {
        struct st_arena_chunk *next = c->next;
        st_free(c);
        c = next;
    }
}

void st_arena_fini(struct st_arena *a)
{
    free_chain(a->head);
    a->head = NULL;
    a->used_bytes = 0;
}

void st_arena_reset(struct st_arena *a)
{
    if (!a->head) {
        return;
    }
    /* Keep the oldest chunk (the tail), which has the default size. */
    struct st_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct st_arena_chunk *next = c->next;
        if (!next && c->size == a->chunk_bytes) {
            keep = c;
        } else {
            st_free(c);
        }
        c = next;
    }
    a->head = keep;
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->used_bytes = 0;
}

void *st_arena_alloc(struct st_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) {
        n = 16;
    }
    if (a->limit_bytes && (n > a->limit_bytes || a->used_bytes > a->limit_bytes - n)) {
        return NULL;
    }
    struct st_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > a->chunk_bytes ? n : a->chunk_bytes;
        struct st_arena_chunk *nc = st_malloc(sizeof(*nc) + size);
        if (!nc) {
            return NULL;
        }
        nc->size = size;
        nc->used = 0;
        if (c && size != a->chunk_bytes) {
            /* An oversized chunk goes behind the current one so the current keeps serving. */
            nc->next = c->next;
            c->next = nc;
            nc->used = n;
            a->used_bytes += n;
            return nc->data;
        }
        nc->next = c;
        a->head = nc;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_bytes += n;
    return p;
}

ProtobufCAllocator *st_arena_protobuf(struct st_arena *a)
{
    return &a->pb;
}
