/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the collectd network protocol parser and auth file
 * (lib/collectd_proto.c, lib/collectd_types.c). Each input is parsed as a packet at every
 * security level, with and without users; then, so that the fuzzer also reaches the parts
 * inside protected content, wrapped here into a correctly signed packet and into a correctly
 * encrypted one (user "stratus", password "fixture-secret", as in the captured seeds); and
 * finally read as an auth file. A packet either fails with nothing delivered or delivers value
 * lists that keep the header's promises (complete identity, strings within limits, known value
 * types, a type name from types.db only when the counts match). Any allocation may fail
 * (replay_main.c arms st_alloc_fail_after); the wrapping uses plain malloc so that only the
 * library sees the failures. Violations abort.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "stratus/alloc.h"
#include "stratus/collectd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define USER     "stratus"
#define PASSWORD "fixture-secret"

struct run {
    size_t delivered;
    const char *want_user; /* NULL: any */
};

static int on_vl(const struct st_collectd_value_list *vl, void *arg)
{
    struct run *run = arg;
    run->delivered++;
    const char *strs[] = {vl->host, vl->plugin, vl->plugin_instance, vl->type, vl->type_instance};
    for (size_t i = 0; i < 5; i++) {
        CHECK(strs[i] && strlen(strs[i]) <= ST_COLLECTD_MAX_NAME_LEN);
    }
    CHECK(vl->host[0] && vl->plugin[0] && vl->type[0] && vl->time_hr != 0);
    CHECK(vl->n_values >= 1 && vl->n_values <= ST_COLLECTD_MAX_VALUES);
    for (size_t i = 0; i < vl->n_values; i++) {
        CHECK(vl->types[i] <= ST_COLLECTD_ABSOLUTE);
    }
    if (run->want_user) {
        CHECK(vl->username && strcmp(vl->username, run->want_user) == 0);
    }
    char name[512];
    for (size_t i = 0; i < vl->n_values; i++) {
        int r = st_collectd_metric_name(vl, i, "collectd_", name, sizeof(name));
        const struct st_collectd_type *t = st_collectd_type_find(vl->type);
        if (t && t->n_ds == vl->n_values) {
            CHECK(r == 0 && strncmp(name, "collectd_", 9) == 0);
        } else {
            CHECK(r == -ENOENT);
        }
    }
    (void)st_collectd_time_to_ms(vl->time_hr);
    return 0;
}

static void parse(const uint8_t *buf, size_t len, const struct st_collectd_auth *auth,
                  enum st_collectd_security level, const char *want_user, int want)
{
    struct run run = {.want_user = want_user};
    struct st_collectd_stats stats = {0};
    int r = st_collectd_parse(buf, len, auth, level, on_vl, &run, &stats);
    CHECK(r == 0 || r == -EBADMSG || r == -EACCES || r == -ENOMEM);
    CHECK(stats.packets == 1);
    if (r != 0) {
        CHECK(run.delivered == 0);
        CHECK(stats.value_lists == 0);
    } else {
        CHECK(stats.value_lists == run.delivered);
    }
    if (want != 0) {
        CHECK(r == want || r == -ENOMEM);
    }
    if (r == -EBADMSG) {
        CHECK(stats.packets_bad == 1);
    }
}

/* [signature part][payload], signed with the fixture user's password. */
static uint8_t *wrap_signed(const uint8_t *payload, size_t n, size_t *ret_len)
{
    size_t head = 4 + 32 + strlen(USER);
    uint8_t *p = malloc(head + n);
    if (!p) {
        return NULL;
    }
    p[0] = 0x02, p[1] = 0x00, p[2] = (uint8_t)(head >> 8), p[3] = (uint8_t)head;
    memcpy(p + 36, USER, strlen(USER));
    memcpy(p + head, payload, n);
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC)) {
        free(p);
        return NULL;
    }
    gcry_md_setkey(h, PASSWORD, strlen(PASSWORD));
    gcry_md_write(h, p + 36, head - 36 + n);
    memcpy(p + 4, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    *ret_len = head + n;
    return p;
}

/* One encryption part holding payload, for the fixture user. */
static uint8_t *wrap_encrypted(const uint8_t *payload, size_t n, size_t *ret_len)
{
    size_t ulen = strlen(USER), head = 4 + 2 + ulen + 16, total = head + 20 + n;
    uint8_t *p = malloc(total);
    if (!p) {
        return NULL;
    }
    p[0] = 0x02, p[1] = 0x10, p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total;
    p[4] = 0, p[5] = (uint8_t)ulen;
    memcpy(p + 6, USER, ulen);
    uint8_t *iv = p + 6 + ulen;
    memset(iv, 0x5a, 16);
    gcry_md_hash_buffer(GCRY_MD_SHA1, p + head, payload, n);
    memcpy(p + head + 20, payload, n);
    uint8_t key[32];
    gcry_md_hash_buffer(GCRY_MD_SHA256, key, PASSWORD, strlen(PASSWORD));
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_OFB, 0)) {
        free(p);
        return NULL;
    }
    gcry_cipher_setkey(h, key, 32);
    gcry_cipher_setiv(h, iv, 16);
    gcry_cipher_encrypt(h, p + head, 20 + n, NULL, 0);
    gcry_cipher_close(h);
    *ret_len = total;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char auth_text[] = USER ": " PASSWORD "\n";
    struct st_collectd_auth *auth = NULL;
    if (st_collectd_auth_parse((const uint8_t *)auth_text, strlen(auth_text), &auth) < 0) {
        return 0;
    }
    CHECK(st_collectd_auth_count(auth) == 1);

    parse(data, size, NULL, ST_COLLECTD_SECURITY_NONE, NULL, 0);
    parse(data, size, auth, ST_COLLECTD_SECURITY_NONE, NULL, 0);
    parse(data, size, auth, ST_COLLECTD_SECURITY_SIGN, NULL, 0);
    parse(data, size, auth, ST_COLLECTD_SECURITY_ENCRYPT, NULL, 0);

    if (size + 128 <= ST_COLLECTD_MAX_PACKET) {
        size_t len;
        uint8_t *p = wrap_signed(data, size, &len);
        if (p) {
            parse(p, len, auth, ST_COLLECTD_SECURITY_SIGN, USER, 0);
            /* Any change to signed bytes must be caught. */
            if (size > 0) {
                p[len - 1 - data[0] % size] ^= 0x01;
                parse(p, len, auth, ST_COLLECTD_SECURITY_SIGN, USER, -EACCES);
            }
            free(p);
        }
        p = wrap_encrypted(data, size, &len);
        if (p) {
            parse(p, len, auth, ST_COLLECTD_SECURITY_ENCRYPT, USER, 0);
            free(p);
        }
    }

    struct st_collectd_auth *file = NULL;
    int r = st_collectd_auth_parse(data, size, &file);
    CHECK(r == 0 || r == -E2BIG || r == -ENOMEM);
    CHECK(r != 0 || st_collectd_auth_count(file) <= ST_COLLECTD_MAX_USERS);
    st_collectd_auth_free(file);
    st_collectd_auth_free(auth);
    return 0;
}
