/* SPDX-License-Identifier: MIT */
/*
 * The client's protobuf-c allocator over the st_malloc family (see pb.h).
 */
#include "pb.h"
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
