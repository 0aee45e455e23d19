/* SPDX-License-Identifier: MIT */
/*
 * An open-addressing hash map from 64-bit keys (already well-mixed hashes, such as series ids)
 * to pointers. Linear probing, backward-shift deletion, grows at 70 % load. The map borrows the
 * values; it never frees them.
 */
#ifndef STRATUS_U64_MAP_H
#define STRATUS_U64_MAP_H

#include <stddef.h>
#include <stdint.h>

struct st_u64_map_slot {
    uint64_t key;
    void *value; /* NULL: empty slot */
};

struct st_u64_map {
    struct st_u64_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

/* The home slot of key in a map of capacity cap (a power of two). */
static inline size_t st_u64_map_slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

/* Hints the CPU to fetch key's home slot: call it a while before st_u64_map_get. */
static inline void st_u64_map_prefetch(const struct st_u64_map *m, uint64_t key)
{
    if (m->cap) {
        __builtin_prefetch(&m->slots[st_u64_map_slot_of(key, m->cap)]);
    }
}

void st_u64_map_init(struct st_u64_map *m);
void st_u64_map_fini(struct st_u64_map *m);
/* Returns the value for key, or NULL. */
void *st_u64_map_get(const struct st_u64_map *m, uint64_t key);
/* Inserts or replaces; value must not be NULL. Returns 0 or -ENOMEM. */
int st_u64_map_put(struct st_u64_map *m, uint64_t key, void *value);
/* Removes key if present and returns its value, or NULL. */
void *st_u64_map_remove(struct st_u64_map *m, uint64_t key);

/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].value) ... */

#endif
