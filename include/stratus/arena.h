/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for short-lived, request-scoped allocations (decoding one protobuf request
 * allocates thousands of small objects; freeing them one by one is most of the decode cost).
 * Memory comes from st_malloc in chunks and is released all at once by st_arena_reset/_fini.
 * st_arena_protobuf() adapts it to protobuf-c's allocator interface; protobuf-c's free calls
 * become no-ops. Not thread-safe: one arena per thread or request.
 */
#ifndef STRATUS_ARENA_H
#define STRATUS_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct st_arena_chunk;

struct st_arena {
    struct st_arena_chunk *head; /* current chunk; older ones follow */
    size_t chunk_bytes;          /* default size of a new chunk */
    size_t limit_bytes;          /* 0: unlimited; otherwise allocations past it fail */
    size_t used_bytes;
    ProtobufCAllocator pb;
};

/* chunk_bytes 0 picks 64 KiB. */
void st_arena_init(struct st_arena *a, size_t chunk_bytes, size_t limit_bytes);
void st_arena_fini(struct st_arena *a);
/* Frees everything but keeps the first chunk for reuse. */
void st_arena_reset(struct st_arena *a);
/* 16-byte aligned; NULL on OOM or past limit_bytes. */
void *st_arena_alloc(struct st_arena *a, size_t n);
/* An allocator for protobuf-c's unpack/pack functions that allocates from `a`. */
ProtobufCAllocator *st_arena_protobuf(struct st_arena *a);

#endif
