/* SPDX-License-Identifier: MIT */
/*
 * Open-addressing u64 -> pointer map (see u64_map.h). Keys are hashes already, but they are
 * mixed once more so that structured ids cannot cluster.
 */
#include <errno.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/u64_map.h"

#define slot_of st_u64_map_slot_of

void st_u64_map_init(struct st_u64_map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void st_u64_map_fini(struct st_u64_map *m)
{
    st_free(m->slots);
    st_u64_map_init(m);
}

void *st_u64_map_get(const struct st_u64_map *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].value) {
            return NULL;
        }
        if (m->slots[i].key == key) {
            return m->slots[i].value;
        }
    }
}

static void insert_slot(struct st_u64_map_slot *slots, size_t cap, uint64_t key, void *value)
{
    size_t i = slot_of(key, cap);
    while (slots[i].value && slots[i].key != key) {
        i = (i + 1) & (cap - 1);
    }
    slots[i].key = key;
    slots[i].value = value;
}

static int grow(struct st_u64_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct st_u64_map_slot *slots = st_calloc(cap, sizeof(*slots));
    if (!slots) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].value) {
            insert_slot(slots, cap, m->slots[i].key, m->slots[i].value);
        }
    }
    st_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int st_u64_map_put(struct st_u64_map *m, uint64_t key, void *value)
{
    if ((m->len + 1) * 10 > m->cap * 7) {
        int r = grow(m);
        if (r < 0) {
            return r;
        }
    }
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].value && m->slots[i].key != key) {
        i = (i + 1) & (m->cap - 1);
    }
    if (!m->slots[i].value) {
        m->len++;
    }
    m->slots[i].key = key;
    m->slots[i].value = value;
    return 0;
}

void *st_u64_map_remove(struct st_u64_map *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1, i = slot_of(key, m->cap);
    while (m->slots[i].value && m->slots[i].key != key) {
        i = (i + 1) & mask;
    }
    void *value = m->slots[i].value;
    if (!value) {
        return NULL;
    }
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
        size_t home = slot_of(m->slots[j].key, m->cap);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].value = NULL;
    m->len--;
    return value;
}
