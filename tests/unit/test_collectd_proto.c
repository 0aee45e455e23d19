/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the collectd network protocol parser, auth file and built-in types.db
 * (lib/collectd_proto.c, lib/collectd_types.c). The fixtures in tests/data/collectd are
 * datagrams a real collectd 5.12 sent at security levels none, sign and encrypt (see
 * capture.py there; user "stratus", password "fixture-secret"); the expected value lists were
 * decoded independently with Python's hmac and cryptography modules. Hand-built packets cover
 * each malformed shape, and packets signed and encrypted here with libgcrypt cover the crypto
 * edge cases. The fixtures are found next to this file through __FILE__, relative to the build
 * directory that meson test runs in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "stratus/alloc.h"
#include "stratus/collectd_proto.h"

#define MAX_VLS    64
#define PACKET_MAX (ST_COLLECTD_MAX_PACKET + 16)
#define PASSWORD   "fixture-secret"
#define AUTH_FILE  "stratus: " PASSWORD "\n"

/* A value list copied out of the callback. */
struct vl_copy {
    char host[128], plugin[128], plugin_instance[128], type[128], type_instance[128];
    char username[ST_COLLECTD_MAX_USER_LEN + 1];
    int has_user;
    uint64_t time_hr, interval_hr;
    size_t n_values;
    uint8_t types[ST_COLLECTD_MAX_VALUES];
    union st_collectd_value values[ST_COLLECTD_MAX_VALUES];
};

struct fixture {
    struct vl_copy vls[MAX_VLS];
    size_t n_vls;
    int stop_after;
    struct st_collectd_stats stats;
    struct st_collectd_auth *auth;
    uint8_t *pkt; /* PACKET_MAX */
    size_t len;
    uint8_t *tmp; /* PACKET_MAX */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    *state = f;
    f->pkt = calloc(1, PACKET_MAX);
    f->tmp = calloc(1, PACKET_MAX);
    if (!f->pkt || !f->tmp) {
        return -1;
    }
    return st_collectd_auth_parse((const uint8_t *)AUTH_FILE, strlen(AUTH_FILE), &f->auth);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_disarm();
    if (!f) {
        return 0;
    }
    st_collectd_auth_free(f->auth);
    free(f->pkt);
    free(f->tmp);
    free(f);
    return 0;
}

static int on_vl(const struct st_collectd_value_list *vl, void *data)
{
    struct fixture *f = data;
    assert_true(f->n_vls < MAX_VLS);
    struct vl_copy *c = &f->vls[f->n_vls++];
    snprintf(c->host, sizeof(c->host), "%s", vl->host);
    snprintf(c->plugin, sizeof(c->plugin), "%s", vl->plugin);
    snprintf(c->plugin_instance, sizeof(c->plugin_instance), "%s", vl->plugin_instance);
    snprintf(c->type, sizeof(c->type), "%s", vl->type);
    snprintf(c->type_instance, sizeof(c->type_instance), "%s", vl->type_instance);
    c->has_user = vl->username != NULL;
    snprintf(c->username, sizeof(c->username), "%s", vl->username ? vl->username : "");
    c->time_hr = vl->time_hr;
    c->interval_hr = vl->interval_hr;
    c->n_values = vl->n_values;
    memcpy(c->types, vl->types, vl->n_values);
    memcpy(c->values, vl->values, vl->n_values * sizeof(vl->values[0]));
    if (f->stop_after && (int)f->n_vls == f->stop_after) {
        return -ECANCELED;
    }
    return 0;
}

static void load_fixture(struct fixture *f, const char *name)
{
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    int dir_len = slash ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof(path), "%.*s/../data/collectd/%s", dir_len, slash ? __FILE__ : ".", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fail_msg("cannot open fixture %s (run from the build directory)", path);
    }
    f->len = fread(f->pkt, 1, PACKET_MAX, fp);
    fclose(fp);
    assert_true(f->len > 0);
}

static int parse_level(struct fixture *f, const struct st_collectd_auth *auth,
                       enum st_collectd_security level)
{
    return st_collectd_parse(f->pkt, f->len, auth, level, on_vl, f, &f->stats);
}

static int parse_none(struct fixture *f)
{
    return parse_level(f, NULL, ST_COLLECTD_SECURITY_NONE);
}

/* Asserts that the packet was refused with `want` and delivered nothing. */
static void assert_refused(struct fixture *f, int got, int want)
{
    assert_int_equal(got, want);
    assert_int_equal(f->n_vls, 0);
    assert_int_equal(f->stats.value_lists, 0);
}

/* --- building packets --- */

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void put_header(struct fixture *f, uint16_t type, size_t len)
{
    put_be16(f->pkt + f->len, type);
    put_be16(f->pkt + f->len + 2, (uint16_t)len);
    f->len += 4;
}

static void put_string(struct fixture *f, uint16_t type, const char *s)
{
    size_t n = strlen(s) + 1;
    put_header(f, type, 4 + n);
    memcpy(f->pkt + f->len, s, n);
    f->len += n;
}

static void put_number(struct fixture *f, uint16_t type, uint64_t v)
{
    put_header(f, type, 12);
    put_be64(f->pkt + f->len, v);
    f->len += 8;
}

static void put_gauge(struct fixture *f, double v)
{
    put_header(f, 0x0006, 4 + 2 + 9);
    put_be16(f->pkt + f->len, 1);
    f->pkt[f->len + 2] = ST_COLLECTD_GAUGE;
    memcpy(f->pkt + f->len + 3, &v, 8); /* little-endian on the hosts we test on */
    f->len += 11;
}

static void put_raw(struct fixture *f, const void *p, size_t n)
{
    memcpy(f->pkt + f->len, p, n);
    f->len += n;
}

/* host, time, plugin, type: the minimum for a value list to be delivered. */
static void put_identity(struct fixture *f, const char *plugin, const char *type)
{
    put_string(f, 0x0000, "h");
    put_number(f, 0x0001, 1700000000);
    put_string(f, 0x0002, plugin);
    put_string(f, 0x0004, type);
}

/* Moves the packet built so far into a signature part's scope: [sig][rest]. */
static void sign_packet(struct fixture *f, const char *user, const char *password)
{
    size_t ulen = strlen(user), head = 4 + 32 + ulen;
    memmove(f->pkt + head, f->pkt, f->len);
    put_be16(f->pkt, 0x0200);
    put_be16(f->pkt + 2, (uint16_t)head);
    memcpy(f->pkt + 36, user, ulen);
    gcry_md_hd_t h;
    assert_int_equal(gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC), 0);
    assert_int_equal(gcry_md_setkey(h, password, strlen(password)), 0);
    gcry_md_write(h, f->pkt + 36, ulen + f->len);
    memcpy(f->pkt + 4, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    f->len += head;
}

/* Replaces the packet built so far by one encryption part holding it. */
static void encrypt_packet(struct fixture *f, const char *user, const char *password)
{
    size_t ulen = strlen(user), plen = f->len;
    size_t head = 4 + 2 + ulen + 16, total = head + 20 + plen;
    memcpy(f->tmp, f->pkt, plen);
    put_be16(f->pkt, 0x0210);
    put_be16(f->pkt + 2, (uint16_t)total);
    put_be16(f->pkt + 4, (uint16_t)ulen);
    memcpy(f->pkt + 6, user, ulen);
    uint8_t *iv = f->pkt + 6 + ulen;
    for (int i = 0; i < 16; i++) {
        iv[i] = (uint8_t)(i * 7 + 1);
    }
    uint8_t *body = f->pkt + head;
    gcry_md_hash_buffer(GCRY_MD_SHA1, body, f->tmp, plen);
    memcpy(body + 20, f->tmp, plen);
    uint8_t key[32];
    gcry_md_hash_buffer(GCRY_MD_SHA256, key, password, strlen(password));
    gcry_cipher_hd_t h;
    assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_OFB, 0), 0);
    assert_int_equal(gcry_cipher_setkey(h, key, 32), 0);
    assert_int_equal(gcry_cipher_setiv(h, iv, 16), 0);
    assert_int_equal(gcry_cipher_encrypt(h, body, 20 + plen, NULL, 0), 0);
    gcry_cipher_close(h);
    f->len = total;
}

static struct st_collectd_auth *auth_from(const char *text)
{
    struct st_collectd_auth *auth = NULL;
    assert_int_equal(st_collectd_auth_parse((const uint8_t *)text, strlen(text), &auth), 0);
    return auth;
}

/* --- real packets: security level none --- */

static void plain_packet_gives_every_value_list(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 31);
    assert_int_equal(f->stats.value_lists, 31);
    assert_int_equal(f->stats.packets, 1);
    assert_int_equal(f->stats.packets_bad, 0);
}

static void plain_packet_load_has_three_gauges(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_int_equal(parse_none(f), 0);
    const struct vl_copy *v = &f->vls[0];
    assert_string_equal(v->host, "fixture-host");
    assert_string_equal(v->plugin, "load");
    assert_string_equal(v->plugin_instance, "");
    assert_string_equal(v->type, "load");
    assert_string_equal(v->type_instance, "");
    assert_int_equal(v->time_hr, 1927861435444252161u);
    assert_int_equal(v->interval_hr, 1073741824u);
    assert_int_equal(v->has_user, 0);
    assert_int_equal(v->n_values, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(v->types[i], ST_COLLECTD_GAUGE);
    }
    assert_true(v->values[0].gauge == 1.05859375);
    assert_true(v->values[1].gauge == 1.22705078125);
    assert_true(v->values[2].gauge == 1.5322265625);
}

static void plain_packet_keeps_state_between_value_lists(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_int_equal(parse_none(f), 0);
    const struct vl_copy *v = &f->vls[1];
    assert_string_equal(v->plugin, "memory");
    assert_string_equal(v->type, "memory");
    assert_string_equal(v->type_instance, "used");
    assert_true(v->values[0].gauge == 363868160.0);
    v = &f->vls[2];
    assert_string_equal(v->host, "fixture-host");
    assert_string_equal(v->type_instance, "buffered");
    assert_int_equal(v->time_hr, 1927861435444259403u);
}

static void plain_packet_interface_values_are_derives(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_int_equal(parse_none(f), 0);
    const struct vl_copy *v = &f->vls[10];
    assert_string_equal(v->plugin, "interface");
    assert_string_equal(v->plugin_instance, "lo");
    assert_string_equal(v->type, "if_octets");
    assert_int_equal(v->n_values, 2);
    assert_int_equal(v->types[0], ST_COLLECTD_DERIVE);
    assert_int_equal(v->values[0].derive, 10212826751);
    assert_int_equal(v->values[1].derive, 10212826751);
}

static void plain_packet_cpu_has_plugin_instance(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_int_equal(parse_none(f), 0);
    const struct vl_copy *v = &f->vls[20];
    assert_string_equal(v->plugin, "cpu");
    assert_string_equal(v->plugin_instance, "0");
    assert_string_equal(v->type, "cpu");
    assert_string_equal(v->type_instance, "user");
    assert_int_equal(v->values[0].derive, 99719);
}

static void every_fixture_parses_at_its_level(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *name;
        enum st_collectd_security level;
        size_t n;
    } cases[] = {
        {"none-0.bin", ST_COLLECTD_SECURITY_NONE, 31},
        {"none-1.bin", ST_COLLECTD_SECURITY_NONE, 30},
        {"none-2.bin", ST_COLLECTD_SECURITY_NONE, 30},
        {"sign-0.bin", ST_COLLECTD_SECURITY_SIGN, 28},
        {"sign-1.bin", ST_COLLECTD_SECURITY_SIGN, 32},
        {"sign-2.bin", ST_COLLECTD_SECURITY_SIGN, 31},
        {"encrypt-0.bin", ST_COLLECTD_SECURITY_ENCRYPT, 27},
        {"encrypt-1.bin", ST_COLLECTD_SECURITY_ENCRYPT, 30},
        {"encrypt-2.bin", ST_COLLECTD_SECURITY_ENCRYPT, 29},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f->n_vls = 0;
        load_fixture(f, cases[i].name);
        assert_int_equal(parse_level(f, f->auth, cases[i].level), 0);
        assert_int_equal(f->n_vls, cases[i].n);
    }
}

static void plain_packet_at_sign_level_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), -EACCES);
    assert_int_equal(f->stats.packets_denied, 1);
}

static void plain_packet_at_encrypt_level_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EACCES);
}

static void sign_level_without_auth_is_invalid(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    assert_refused(f, parse_level(f, NULL, ST_COLLECTD_SECURITY_SIGN), -EINVAL);
}

/* --- real packets: signed --- */

static void signed_packet_is_verified_and_names_the_user(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), 0);
    assert_int_equal(f->n_vls, 28);
    const struct vl_copy *v = &f->vls[0];
    assert_string_equal(v->plugin, "load");
    assert_true(v->values[0].gauge == 1.0537109375);
    assert_true(v->values[2].gauge == 1.529296875);
    assert_int_equal(v->has_user, 1);
    assert_string_equal(v->username, "stratus");
    assert_int_equal(f->vls[27].values[0].derive, 0);
    assert_string_equal(f->vls[27].type_instance, "nice");
}

static void signed_packet_without_auth_is_accepted_at_level_none(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 28);
    assert_int_equal(f->vls[0].has_user, 0);
}

static void signed_packet_with_wrong_password_is_denied(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("stratus: wrong\n");
    load_fixture(f, "sign-0.bin");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_SIGN);
    st_collectd_auth_free(auth);
    assert_refused(f, r, -EACCES);
    assert_int_equal(f->stats.packets_denied, 1);
}

static void signed_packet_with_wrong_password_is_denied_at_level_none(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("stratus: wrong\n");
    load_fixture(f, "sign-0.bin");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_NONE);
    st_collectd_auth_free(auth);
    assert_refused(f, r, -EACCES);
}

static void signed_packet_from_unknown_user_is_denied(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("someone: " PASSWORD "\n");
    load_fixture(f, "sign-0.bin");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_SIGN);
    st_collectd_auth_free(auth);
    assert_refused(f, r, -EACCES);
}

static void signed_packet_with_changed_byte_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    f->pkt[f->len - 1] ^= 1;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), -EACCES);
}

static void signed_packet_at_encrypt_level_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EACCES);
}

static void plain_parts_before_signature_are_skipped_at_sign_level(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    memcpy(f->tmp, f->pkt, f->len);
    size_t signed_len = f->len;
    f->len = 0;
    put_identity(f, "unsigned", "gauge");
    put_gauge(f, 1);
    put_raw(f, f->tmp, signed_len);
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), 0);
    assert_int_equal(f->n_vls, 28);
    assert_int_equal(f->stats.parts_below_level, 5);
    assert_string_equal(f->vls[0].plugin, "load");
}

static void plain_parts_before_signature_count_at_level_none(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    memcpy(f->tmp, f->pkt, f->len);
    size_t signed_len = f->len;
    f->len = 0;
    put_identity(f, "unsigned", "gauge");
    put_gauge(f, 1);
    put_raw(f, f->tmp, signed_len);
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_NONE), 0);
    assert_int_equal(f->n_vls, 29);
    assert_string_equal(f->vls[0].plugin, "unsigned");
    assert_int_equal(f->vls[0].has_user, 0);
    assert_int_equal(f->vls[1].has_user, 1);
}

static void signature_part_without_user_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_header(f, 0x0200, 36);
    memset(f->pkt + f->len, 0, 32);
    f->len += 32;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), -EBADMSG);
}

static void signature_inside_signed_content_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    sign_packet(f, "stratus", PASSWORD);
    sign_packet(f, "stratus", PASSWORD);
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), -EBADMSG);
}

static void packet_signed_here_is_accepted(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, 2.5);
    sign_packet(f, "stratus", PASSWORD);
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), 0);
    assert_int_equal(f->n_vls, 1);
    assert_true(f->vls[0].values[0].gauge == 2.5);
}

/* --- real packets: encrypted --- */

static void encrypted_packet_is_decrypted(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), 0);
    assert_int_equal(f->n_vls, 27);
    const struct vl_copy *v = &f->vls[0];
    assert_string_equal(v->host, "fixture-host");
    assert_string_equal(v->plugin, "load");
    assert_true(v->values[0].gauge == 1.2900390625);
    assert_true(v->values[1].gauge == 1.26953125);
    assert_true(v->values[2].gauge == 1.54296875);
    assert_int_equal(v->time_hr, 1927861442230471119u);
    assert_string_equal(v->username, "stratus");
    assert_int_equal(f->vls[10].values[0].derive, 10212836060);
}

static void encrypted_packet_is_accepted_at_sign_level(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), 0);
    assert_int_equal(f->n_vls, 27);
}

static void encrypted_packet_is_decrypted_at_level_none_with_auth(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_NONE), 0);
    assert_int_equal(f->n_vls, 27);
}

static void encrypted_packet_without_auth_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    assert_refused(f, parse_none(f), -EACCES);
}

static void encrypted_packet_with_wrong_password_is_denied(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("stratus: fixture-secreT\n");
    load_fixture(f, "encrypt-0.bin");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_ENCRYPT);
    st_collectd_auth_free(auth);
    assert_refused(f, r, -EACCES);
    assert_int_equal(f->stats.packets_denied, 1);
}

static void encrypted_packet_with_changed_byte_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    f->pkt[f->len - 100] ^= 0x40;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EACCES);
}

static void encrypted_packet_from_unknown_user_is_denied(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    encrypt_packet(f, "mallory", PASSWORD);
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EACCES);
}

static void packet_encrypted_here_is_accepted(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, -0.25);
    encrypt_packet(f, "stratus", PASSWORD);
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), 0);
    assert_int_equal(f->n_vls, 1);
    assert_true(f->vls[0].values[0].gauge == -0.25);
}

static void encrypted_content_starts_with_empty_state(void **state)
{
    struct fixture *f = *state;
    put_string(f, 0x0004, "gauge");
    put_gauge(f, 1);
    encrypt_packet(f, "stratus", PASSWORD);
    memcpy(f->tmp, f->pkt, f->len);
    size_t enc_len = f->len;
    f->len = 0;
    put_identity(f, "outer", "gauge");
    put_raw(f, f->tmp, enc_len);
    assert_int_equal(parse_level(f, f->auth, ST_COLLECTD_SECURITY_NONE), 0);
    assert_int_equal(f->n_vls, 0);
    assert_int_equal(f->stats.value_lists_incomplete, 1);
}

static void signature_inside_encrypted_content_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    sign_packet(f, "stratus", PASSWORD);
    encrypt_packet(f, "stratus", PASSWORD);
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EBADMSG);
}

static void encryption_part_too_short_is_malformed(void **state)
{
    struct fixture *f = *state;
    /* user length 1, user, IV, and a 20-byte checksum with no payload: 43 bytes. */
    put_header(f, 0x0210, 43);
    put_be16(f->pkt + f->len, 1);
    f->pkt[f->len + 2] = 's';
    f->len += 39;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EBADMSG);
}

static void encryption_user_length_beyond_part_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_header(f, 0x0210, 64);
    put_be16(f->pkt + f->len, 1000);
    f->len += 60;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EBADMSG);
}

static void encrypted_packet_on_oom_delivers_nothing(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    st_alloc_fail_after(1);
    int r = parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT);
    st_alloc_fail_disarm();
    assert_refused(f, r, -ENOMEM);
}

/* --- hand-built packets --- */

static void minimal_value_list_is_delivered(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "plug", "gauge");
    put_string(f, 0x0003, "inst");
    put_string(f, 0x0005, "tinst");
    put_number(f, 0x0007, 10);
    put_gauge(f, 42.5);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 1);
    const struct vl_copy *v = &f->vls[0];
    assert_string_equal(v->host, "h");
    assert_string_equal(v->plugin, "plug");
    assert_string_equal(v->plugin_instance, "inst");
    assert_string_equal(v->type, "gauge");
    assert_string_equal(v->type_instance, "tinst");
    assert_int_equal(v->time_hr, (uint64_t)1700000000 << 30);
    assert_int_equal(v->interval_hr, (uint64_t)10 << 30);
    assert_true(v->values[0].gauge == 42.5);
}

static void high_resolution_time_and_interval_are_kept(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_number(f, 0x0008, 0x123456789abcdefu);
    put_number(f, 0x0009, 0x80000000u);
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->vls[0].time_hr, 0x123456789abcdefu);
    assert_int_equal(f->vls[0].interval_hr, 0x80000000u);
}

static void integer_values_are_big_endian(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "t");
    put_header(f, 0x0006, 4 + 2 + 3 * 9);
    uint8_t body[2 + 3 * 9];
    put_be16(body, 3);
    body[2] = ST_COLLECTD_COUNTER;
    body[3] = ST_COLLECTD_DERIVE;
    body[4] = ST_COLLECTD_ABSOLUTE;
    put_be64(body + 5, UINT64_MAX - 1);
    put_be64(body + 13, (uint64_t)-5);
    put_be64(body + 21, 0x0102030405060708u);
    put_raw(f, body, sizeof(body));
    assert_int_equal(parse_none(f), 0);
    const struct vl_copy *v = &f->vls[0];
    assert_int_equal(v->n_values, 3);
    assert_int_equal(v->values[0].counter, UINT64_MAX - 1);
    assert_int_equal(v->values[1].derive, -5);
    assert_int_equal(v->values[2].absolute, 0x0102030405060708u);
}

static void nan_gauge_is_delivered(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, NAN);
    assert_int_equal(parse_none(f), 0);
    assert_true(isnan(f->vls[0].values[0].gauge));
}

static void value_list_without_time_is_skipped_and_counted(void **state)
{
    struct fixture *f = *state;
    put_string(f, 0x0000, "h");
    put_string(f, 0x0002, "p");
    put_string(f, 0x0004, "gauge");
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 0);
    assert_int_equal(f->stats.value_lists_incomplete, 1);
}

static void value_list_without_host_is_skipped_and_counted(void **state)
{
    struct fixture *f = *state;
    put_number(f, 0x0001, 1);
    put_string(f, 0x0002, "p");
    put_string(f, 0x0004, "gauge");
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->stats.value_lists_incomplete, 1);
}

static void notification_parts_are_skipped(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_number(f, 0x0101, 2);
    put_string(f, 0x0100, "disk full");
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 1);
    assert_int_equal(f->stats.notifications, 1);
}

static void unknown_part_is_skipped(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x7777, 7);
    put_raw(f, "abc", 3);
    put_header(f, 0x7778, 4);
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 1);
    assert_int_equal(f->stats.unknown_parts, 2);
}

static void empty_packet_gives_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(f->n_vls, 0);
}

static void callback_error_stops_the_parse(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    f->stop_after = 2;
    assert_int_equal(parse_none(f), -ECANCELED);
    assert_int_equal(f->n_vls, 2);
}

/* --- malformed packets: nothing delivered --- */

static void every_truncation_is_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    size_t full = f->len;
    size_t bad = 0;
    for (size_t n = 1; n < full; n++) {
        f->len = n;
        f->n_vls = 0;
        f->stats = (struct st_collectd_stats){0};
        int r = parse_none(f);
        assert_true(r == 0 || r == -EBADMSG);
        if (r == -EBADMSG) {
            assert_int_equal(f->n_vls, 0);
            bad++;
        }
    }
    /* Only the cuts between the 105 parts are whole packets. */
    assert_int_equal(bad, full - 1 - 104);
}

static void truncated_last_part_delivers_nothing(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "none-0.bin");
    f->len -= 3;
    assert_refused(f, parse_none(f), -EBADMSG);
    assert_int_equal(f->stats.packets_bad, 1);
}

static void truncated_signed_packet_is_denied(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "sign-0.bin");
    f->len -= 3;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_SIGN), -EACCES);
}

static void truncated_encrypted_packet_is_malformed(void **state)
{
    struct fixture *f = *state;
    load_fixture(f, "encrypt-0.bin");
    f->len -= 3;
    assert_refused(f, parse_level(f, f->auth, ST_COLLECTD_SECURITY_ENCRYPT), -EBADMSG);
}

static void trailing_bytes_short_of_a_header_are_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    put_raw(f, "\0\0\0", 3);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void part_length_beyond_packet_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0000, 60000);
    put_raw(f, "abc", 4);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void part_length_below_header_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_header(f, 0x7777, 3);
    put_raw(f, "abcdefgh", 8);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void zero_part_length_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_header(f, 0x0000, 0);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void oversized_packet_is_malformed(void **state)
{
    struct fixture *f = *state;
    f->len = ST_COLLECTD_MAX_PACKET + 1;
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void unterminated_string_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_header(f, 0x0000, 7);
    put_raw(f, "abc", 3);
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void empty_string_part_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0002, 4);
    put_gauge(f, 1);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void string_longer_than_collectd_allows_is_malformed(void **state)
{
    struct fixture *f = *state;
    char name[ST_COLLECTD_MAX_NAME_LEN + 2];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    put_identity(f, "p", "gauge");
    put_string(f, 0x0000, name);
    put_gauge(f, 1);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void longest_string_is_accepted(void **state)
{
    struct fixture *f = *state;
    char name[ST_COLLECTD_MAX_NAME_LEN + 1];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    put_identity(f, "p", "gauge");
    put_string(f, 0x0000, name);
    put_gauge(f, 1);
    assert_int_equal(parse_none(f), 0);
    assert_int_equal(strlen(f->vls[0].host), ST_COLLECTD_MAX_NAME_LEN);
}

static void number_part_of_wrong_size_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0001, 8);
    put_raw(f, "\0\0\0\1", 4);
    put_gauge(f, 1);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void time_beyond_cdtime_range_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_number(f, 0x0001, (uint64_t)1 << 40);
    put_gauge(f, 1);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void values_count_not_matching_length_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0006, 4 + 2 + 9);
    uint8_t body[11] = {0, 2, ST_COLLECTD_GAUGE};
    put_raw(f, body, sizeof(body));
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void zero_values_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0006, 6);
    put_raw(f, "\0\0", 2);
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void too_many_values_is_malformed(void **state)
{
    struct fixture *f = *state;
    size_t n = ST_COLLECTD_MAX_VALUES + 1;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0006, 4 + 2 + 9 * n);
    put_be16(f->pkt + f->len, (uint16_t)n);
    memset(f->pkt + f->len + 2, ST_COLLECTD_GAUGE, n);
    memset(f->pkt + f->len + 2 + n, 0, 8 * n);
    f->len += 2 + 9 * n;
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void unknown_value_type_is_malformed(void **state)
{
    struct fixture *f = *state;
    put_identity(f, "p", "gauge");
    put_header(f, 0x0006, 4 + 2 + 9);
    uint8_t body[11] = {0, 1, 4};
    put_raw(f, body, sizeof(body));
    assert_refused(f, parse_none(f), -EBADMSG);
}

static void random_garbage_is_rejected_cleanly(void **state)
{
    struct fixture *f = *state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 2000; round++) {
        f->len = 1 + round % 300;
        for (size_t i = 0; i < f->len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f->pkt[i] = (uint8_t)x;
        }
        /* Keep some parts well-formed in length so the parser gets past the first header. */
        if (round % 2) {
            put_be16(f->pkt + 2, (uint16_t)(f->len > 4 ? f->len : 4));
        }
        f->n_vls = 0;
        int r = parse_level(f, f->auth, (enum st_collectd_security)(round % 3));
        assert_true(r == 0 || r == -EBADMSG || r == -EACCES);
        if (r != 0) {
            assert_int_equal(f->n_vls, 0);
        }
    }
}

/* --- auth file --- */

static void auth_file_follows_collectd_rules(void **state)
{
    (void)state;
    struct st_collectd_auth *auth = auth_from("  alice: secret\n"
                                              "# comment: line\n"
                                              "\n"
                                              "bob:pw with spaces  \r\n"
                                              "nocolon\n"
                                              "carol:   \n"
                                              ":nouser\n"
                                              "alice: other");
    assert_int_equal(st_collectd_auth_count(auth), 2);
    st_collectd_auth_free(auth);
}

static void auth_first_entry_for_a_user_wins(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("alice: secret\nalice: other\n");
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    sign_packet(f, "alice", "secret");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_SIGN);
    st_collectd_auth_free(auth);
    assert_int_equal(r, 0);
    assert_int_equal(f->n_vls, 1);
}

static void auth_password_keeps_trailing_blanks(void **state)
{
    struct fixture *f = *state;
    struct st_collectd_auth *auth = auth_from("bob:  pw with spaces  \r\n");
    put_identity(f, "p", "gauge");
    put_gauge(f, 1);
    sign_packet(f, "bob", "pw with spaces  ");
    int r = parse_level(f, auth, ST_COLLECTD_SECURITY_SIGN);
    st_collectd_auth_free(auth);
    assert_int_equal(r, 0);
}

static void auth_user_name_too_long_is_refused(void **state)
{
    (void)state;
    char text[ST_COLLECTD_MAX_USER_LEN + 16];
    memset(text, 'u', ST_COLLECTD_MAX_USER_LEN + 1);
    strcpy(text + ST_COLLECTD_MAX_USER_LEN + 1, ": pw\n");
    struct st_collectd_auth *auth = NULL;
    assert_int_equal(st_collectd_auth_parse((const uint8_t *)text, strlen(text), &auth), -E2BIG);
    assert_null(auth);
}

static void auth_parse_on_oom_fails_cleanly(void **state)
{
    (void)state;
    const char *text = "a: 1\nb: 2\nc: 3\n";
    for (unsigned long k = 1; k <= 8; k++) {
        struct st_collectd_auth *auth = NULL;
        st_alloc_fail_after(k);
        int r = st_collectd_auth_parse((const uint8_t *)text, strlen(text), &auth);
        st_alloc_fail_disarm();
        if (r == 0) {
            assert_int_equal(st_collectd_auth_count(auth), 3);
            st_collectd_auth_free(auth);
        } else {
            assert_int_equal(r, -ENOMEM);
            assert_null(auth);
        }
    }
}

/* --- types.db and metric names --- */

static void load_type_has_three_gauges(void **state)
{
    (void)state;
    const struct st_collectd_type *t = st_collectd_type_find("load");
    assert_non_null(t);
    assert_int_equal(t->n_ds, 3);
    assert_string_equal(t->ds_names[0], "shortterm");
    assert_string_equal(t->ds_names[1], "midterm");
    assert_string_equal(t->ds_names[2], "longterm");
    assert_int_equal(t->ds_types[0], ST_COLLECTD_GAUGE);
}

static void standard_types_are_built_in(void **state)
{
    (void)state;
    static const char *const names[] = {
        "cpu",           "memory",    "df",         "df_complex", "disk_octets",   "disk_ops",
        "disk_time",     "if_octets", "if_packets", "if_errors",  "load",          "percent",
        "gauge",         "derive",    "counter",    "bytes",      "count",         "ps_state",
        "users",         "swap",      "swap_io",    "vmpage_io",  "vmpage_number", "vmpage_faults",
        "vmpage_action", "entropy",   "uptime",     "frequency",  "temperature",   "absolute",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *const *ds;
        size_t n;
        assert_int_equal(st_collectd_type_lookup(names[i], &ds, &n), 0);
        assert_true(n >= 1 && n <= ST_COLLECTD_TYPE_MAX_DS);
        assert_non_null(ds[n - 1]);
    }
    assert_int_equal(st_collectd_type_count(), 366);
}

static void if_octets_has_rx_and_tx(void **state)
{
    (void)state;
    const char *const *ds;
    size_t n;
    assert_int_equal(st_collectd_type_lookup("if_octets", &ds, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ds[0], "rx");
    assert_string_equal(ds[1], "tx");
}

static void unknown_type_is_not_found(void **state)
{
    (void)state;
    const char *const *ds;
    size_t n;
    assert_int_equal(st_collectd_type_lookup("no_such_type", &ds, &n), -ENOENT);
    assert_int_equal(st_collectd_type_lookup("", &ds, &n), -ENOENT);
    assert_null(st_collectd_type_find("zzzz"));
    assert_null(st_collectd_type_find("aaaa"));
}

static void metric_names_follow_the_cloudwatch_agent(void **state)
{
    (void)state;
    char name[256];
    struct st_collectd_value_list vl = {.plugin = "load", .type = "load", .n_values = 3};
    assert_int_equal(st_collectd_metric_name(&vl, 0, "collectd_", name, sizeof(name)), 0);
    assert_string_equal(name, "collectd_load_shortterm");
    assert_int_equal(st_collectd_metric_name(&vl, 2, "collectd_", name, sizeof(name)), 0);
    assert_string_equal(name, "collectd_load_longterm");
    vl = (struct st_collectd_value_list){.plugin = "interface", .type = "if_octets", .n_values = 2};
    assert_int_equal(st_collectd_metric_name(&vl, 1, "collectd_", name, sizeof(name)), 0);
    assert_string_equal(name, "collectd_interface_tx");
    vl = (struct st_collectd_value_list){.plugin = "cpu", .type = "cpu", .n_values = 1};
    assert_int_equal(st_collectd_metric_name(&vl, 0, NULL, name, sizeof(name)), 0);
    assert_string_equal(name, "cpu_value");
}

static void metric_name_of_unknown_or_mismatched_type_is_not_found(void **state)
{
    (void)state;
    char name[256];
    struct st_collectd_value_list vl = {.plugin = "p", .type = "nope", .n_values = 1};
    assert_int_equal(st_collectd_metric_name(&vl, 0, "collectd_", name, sizeof(name)), -ENOENT);
    vl = (struct st_collectd_value_list){.plugin = "load", .type = "load", .n_values = 1};
    assert_int_equal(st_collectd_metric_name(&vl, 0, "collectd_", name, sizeof(name)), -ENOENT);
}

static void metric_name_checks_index_and_buffer(void **state)
{
    (void)state;
    char name[8];
    struct st_collectd_value_list vl = {.plugin = "load", .type = "load", .n_values = 3};
    assert_int_equal(st_collectd_metric_name(&vl, 3, "", name, sizeof(name)), -EINVAL);
    assert_int_equal(st_collectd_metric_name(&vl, 0, "", name, sizeof(name)), -ENOBUFS);
}

static void time_converts_to_milliseconds(void **state)
{
    (void)state;
    assert_int_equal(st_collectd_time_to_ms((uint64_t)1 << 30), 1000);
    assert_int_equal(st_collectd_time_to_ms(1927861435444252161u), 1795460875559u);
    assert_int_equal(st_collectd_time_to_ms(UINT64_MAX), 17179869183999u);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(plain_packet_gives_every_value_list),
        T(plain_packet_load_has_three_gauges),
        T(plain_packet_keeps_state_between_value_lists),
        T(plain_packet_interface_values_are_derives),
        T(plain_packet_cpu_has_plugin_instance),
        T(every_fixture_parses_at_its_level),
        T(plain_packet_at_sign_level_is_denied),
        T(plain_packet_at_encrypt_level_is_denied),
        T(sign_level_without_auth_is_invalid),
        T(signed_packet_is_verified_and_names_the_user),
        T(signed_packet_without_auth_is_accepted_at_level_none),
        T(signed_packet_with_wrong_password_is_denied),
        T(signed_packet_with_wrong_password_is_denied_at_level_none),
        T(signed_packet_from_unknown_user_is_denied),
        T(signed_packet_with_changed_byte_is_denied),
        T(signed_packet_at_encrypt_level_is_denied),
        T(plain_parts_before_signature_are_skipped_at_sign_level),
        T(plain_parts_before_signature_count_at_level_none),
        T(signature_part_without_user_is_malformed),
        T(signature_inside_signed_content_is_malformed),
        T(packet_signed_here_is_accepted),
        T(encrypted_packet_is_decrypted),
        T(encrypted_packet_is_accepted_at_sign_level),
        T(encrypted_packet_is_decrypted_at_level_none_with_auth),
        T(encrypted_packet_without_auth_is_denied),
        T(encrypted_packet_with_wrong_password_is_denied),
        T(encrypted_packet_with_changed_byte_is_denied),
        T(encrypted_packet_from_unknown_user_is_denied),
        T(packet_encrypted_here_is_accepted),
        T(encrypted_content_starts_with_empty_state),
        T(signature_inside_encrypted_content_is_malformed),
        T(encryption_part_too_short_is_malformed),
        T(encryption_user_length_beyond_part_is_malformed),
        T(encrypted_packet_on_oom_delivers_nothing),
        T(minimal_value_list_is_delivered),
        T(high_resolution_time_and_interval_are_kept),
        T(integer_values_are_big_endian),
        T(nan_gauge_is_delivered),
        T(value_list_without_time_is_skipped_and_counted),
        T(value_list_without_host_is_skipped_and_counted),
        T(notification_parts_are_skipped),
        T(unknown_part_is_skipped),
        T(empty_packet_gives_nothing),
        T(callback_error_stops_the_parse),
        T(every_truncation_is_all_or_nothing),
        T(truncated_last_part_delivers_nothing),
        T(truncated_signed_packet_is_denied),
        T(truncated_encrypted_packet_is_malformed),
        T(trailing_bytes_short_of_a_header_are_malformed),
        T(part_length_beyond_packet_is_malformed),
        T(part_length_below_header_is_malformed),
        T(zero_part_length_is_malformed),
        T(oversized_packet_is_malformed),
        T(unterminated_string_is_malformed),
        T(empty_string_part_is_malformed),
        T(string_longer_than_collectd_allows_is_malformed),
        T(longest_string_is_accepted),
        T(number_part_of_wrong_size_is_malformed),
        T(time_beyond_cdtime_range_is_malformed),
        T(values_count_not_matching_length_is_malformed),
        T(zero_values_is_malformed),
        T(too_many_values_is_malformed),
        T(unknown_value_type_is_malformed),
        T(random_garbage_is_rejected_cleanly),
        T(auth_file_follows_collectd_rules),
        T(auth_first_entry_for_a_user_wins),
        T(auth_password_keeps_trailing_blanks),
        T(auth_user_name_too_long_is_refused),
        T(auth_parse_on_oom_fails_cleanly),
        T(load_type_has_three_gauges),
        T(standard_types_are_built_in),
        T(if_octets_has_rx_and_tx),
        T(unknown_type_is_not_found),
        T(metric_names_follow_the_cloudwatch_agent),
        T(metric_name_of_unknown_or_mismatched_type_is_not_found),
        T(metric_name_checks_index_and_buffer),
        T(time_converts_to_milliseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
