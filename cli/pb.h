/* SPDX-License-Identifier: MIT */
/*
 * protobuf-c glue for the client: an allocator over st_malloc/st_free, so that the messages the
 * client builds by hand (requests) and the ones it decodes (replies) are allocated and freed the
 * same way, and OOM injection reaches both. A message built by hand is owned by whoever built
 * it and must be freed with st_pb_free: every pointer in it (strings, arrays, sub-messages) must
 * then come from st_malloc, and every counted array must hold exactly n_xxx entries.
 */
#ifndef STRATUS_CLI_PB_H
#define STRATUS_CLI_PB_H

#include <protobuf-c/protobuf-c.h>

/* The allocator, static storage. */
ProtobufCAllocator *st_pb_allocator(void);

/* Frees a message and everything it points to; NULL is a no-op. */
void st_pb_free(void *msg);

/* The replies of a paged call, kept until the merged result has been printed. */
struct st_pb_pages {
    ProtobufCMessage **items;
    size_t n;
};

/* Takes m into p. On OOM frees m and returns -1. */
int st_pb_pages_keep(struct st_pb_pages *p, ProtobufCMessage *m);

/* Frees every kept reply. */
void st_pb_pages_fini(struct st_pb_pages *p);

/* Appends add[0..n_add) to the pointer array *arr of *n entries (st_realloc). -1 on OOM, with
 * *arr and *n unchanged. */
int st_ptr_append(void ***arr, size_t *n, void *const *add, size_t n_add);

#endif
