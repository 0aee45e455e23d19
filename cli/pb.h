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

#endif
