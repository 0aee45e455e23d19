/* SPDX-License-Identifier: MIT */
/*
 * The collectd binary network protocol parser and its auth file (see collectd_proto.h). A
 * packet is parsed twice: a first pass checks every part, signature and checksum, decrypting
 * encrypted parts into one buffer; only when it succeeds does a second pass, over the same
 * bytes and that buffer, deliver the value lists. So a packet is all or nothing, and only the
 * first pass allocates. Crypto is libgcrypt's, as in collectd's network plugin; everything is
 * read through st_cursor.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <gcrypt.h>

#include "stratus/alloc.h"
#include "stratus/collectd_proto.h"
#include "stratus/cursor.h"

enum part_type {
    PART_HOST = 0x0000,
    PART_TIME = 0x0001,
    PART_PLUGIN = 0x0002,
    PART_PLUGIN_INSTANCE = 0x0003,
    PART_TYPE = 0x0004,
    PART_TYPE_INSTANCE = 0x0005,
    PART_VALUES = 0x0006,
    PART_INTERVAL = 0x0007,
    PART_TIME_HR = 0x0008,
    PART_INTERVAL_HR = 0x0009,
    PART_MESSAGE = 0x0100,
    PART_SEVERITY = 0x0101,
    PART_SIGN_SHA256 = 0x0200,
    PART_ENCR_AES256 = 0x0210,
};

#define HEADER_LEN 4
#define SHA256_LEN 32
#define SHA1_LEN   20
#define IV_LEN     16

/* Auth file */

struct user {
    char *name;
    size_t name_len;
    char *password;
    size_t password_len;
    uint8_t aes_key[SHA256_LEN]; /* SHA-256 of the password */
};

struct st_collectd_auth {
    size_t n_users, cap_users;
    struct user *users;
};

/* libgcrypt wants its version check before first use; collectd's network_init_gcrypt. */
static void gcrypt_init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

void st_collectd_auth_free(struct st_collectd_auth *auth)
{
    if (!auth) {
        return;
    }
    for (size_t i = 0; i < auth->n_users; i++) {
        st_free(auth->users[i].name);
        if (auth->users[i].password) {
            memset(auth->users[i].password, 0, auth->users[i].password_len);
        }
        st_free(auth->users[i].password);
        memset(auth->users[i].aes_key, 0, SHA256_LEN);
    }
    st_free(auth->users);
    st_free(auth);
}

size_t st_collectd_auth_count(const struct st_collectd_auth *auth)
{
    return auth ? auth->n_users : 0;
}

static const struct user *find_user(const struct st_collectd_auth *auth, const uint8_t *name,
                                    size_t len)
{
    for (size_t i = 0; auth && i < auth->n_users; i++) {
        if (auth->users[i].name_len == len && memcmp(auth->users[i].name, name, len) == 0) {
            return &auth->users[i];
        }
    }
    return NULL;
}

static bool is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = st_malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static int peek(const struct st_cursor *c)
{
    return st_cursor_left(c) > 0 ? *c->pos : -1;
}

static void skip_spaces(struct st_cursor *c)
{
    uint8_t b;
    while (peek(c) >= 0 && is_space((uint8_t)peek(c))) {
        st_cursor_u8(c, &b);
    }
}

/* Adds one "user: password" line (fbh_read_file's rules). Returns 0, -E2BIG or -ENOMEM. */
static int auth_line(struct st_collectd_auth *auth, struct st_cursor c)
{
    while (st_cursor_left(&c) > 0 && (c.end[-1] == '\n' || c.end[-1] == '\r')) {
        c.end--;
    }
    skip_spaces(&c);
    if (st_cursor_left(&c) == 0 || peek(&c) == '#' || memchr(c.pos, '\0', st_cursor_left(&c))) {
        return 0;
    }
    const uint8_t *colon = memchr(c.pos, ':', st_cursor_left(&c));
    if (!colon || colon == c.pos) {
        return 0;
    }
    const uint8_t *name = NULL, *pw = NULL, *sep = NULL;
    size_t name_len = (size_t)(colon - c.pos);
    st_cursor_take(&c, name_len, &name);
    st_cursor_take(&c, 1, &sep);
    skip_spaces(&c);
    size_t pw_len = st_cursor_left(&c);
    st_cursor_take(&c, pw_len, &pw);
    if (pw_len == 0 || find_user(auth, name, name_len)) {
        return 0;
    }
    if (name_len > ST_COLLECTD_MAX_USER_LEN || auth->n_users == ST_COLLECTD_MAX_USERS) {
        return -E2BIG;
    }
    if (auth->n_users == auth->cap_users) {
        size_t cap = auth->cap_users ? auth->cap_users * 2 : 4;
        struct user *users = st_realloc(auth->users, cap * sizeof(*users));
        if (!users) {
            return -ENOMEM;
        }
        auth->users = users;
        auth->cap_users = cap;
    }
    struct user *u = &auth->users[auth->n_users];
    u->name = dup_bytes(name, name_len);
    u->password = dup_bytes(pw, pw_len);
    if (!u->name || !u->password) {
        st_free(u->name);
        st_free(u->password);
        *u = (struct user){0};
        return -ENOMEM;
    }
    u->name_len = name_len;
    u->password_len = pw_len;
    gcry_md_hash_buffer(GCRY_MD_SHA256, u->aes_key, u->password, pw_len);
    auth->n_users++;
    return 0;
}

int st_collectd_auth_parse(const uint8_t *buf, size_t len, struct st_collectd_auth **ret_auth)
{
    gcrypt_init();
    struct st_collectd_auth *auth = st_calloc(1, sizeof(*auth));
    if (!auth) {
        return -ENOMEM;
    }
    struct st_cursor c;
    st_cursor_init(&c, buf, len);
    while (st_cursor_left(&c) > 0) {
        const uint8_t *nl = memchr(c.pos, '\n', st_cursor_left(&c));
        size_t n = nl ? (size_t)(nl - c.pos) + 1 : st_cursor_left(&c);
        const uint8_t *p = NULL;
        st_cursor_take(&c, n, &p);
        struct st_cursor line;
        st_cursor_init(&line, p, n);
        int r = auth_line(auth, line);
        if (r < 0) {
            st_collectd_auth_free(auth);
            return r;
        }
    }
    *ret_auth = auth;
    return 0;
}

/* Packets */

struct ctx {
    const struct st_collectd_auth *auth;
    enum st_collectd_security level;
    st_collectd_value_fn fn;
    void *data;
    struct st_collectd_stats *stats;
    bool deliver; /* second pass: checks done, deliver and count */
    size_t packet_len;
    uint8_t *plain; /* decrypted payloads, in packet order */
    size_t plain_used;
    size_t protected_regions; /* signed or encrypted regions at or above the level */
};

enum protection {
    PLAIN,
    SIGNED,
    ENCRYPTED,
};

static int read_be16(struct st_cursor *c, uint16_t *ret)
{
    const uint8_t *p;
    int r = st_cursor_take(c, 2, &p);
    if (r < 0) {
        return r;
    }
    *ret = (uint16_t)(p[0] << 8 | p[1]);
    return 0;
}

static int read_be64(struct st_cursor *c, uint64_t *ret)
{
    const uint8_t *p;
    int r = st_cursor_take(c, 8, &p);
    if (r < 0) {
        return r;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    *ret = v;
    return 0;
}

/* A NUL-terminated string filling the part (collectd's parse_part_string). */
static int part_string(struct st_cursor c, const char **ret)
{
    size_t n = st_cursor_left(&c);
    if (n == 0 || n > ST_COLLECTD_MAX_NAME_LEN + 1 || c.end[-1] != '\0') {
        return -EBADMSG;
    }
    *ret = (const char *)c.pos;
    return 0;
}

static int part_number(struct st_cursor c, uint64_t *ret)
{
    if (st_cursor_left(&c) != 8) {
        return -EBADMSG;
    }
    return read_be64(&c, ret);
}

/* Seconds to 2^-30 s; seconds past 2^34 (year 2514) do not fit and are malformed. */
static int seconds_to_hr(uint64_t s, uint64_t *ret)
{
    if (s > UINT64_MAX >> 30) {
        return -EBADMSG;
    }
    *ret = s << 30;
    return 0;
}

static int part_values(struct st_cursor c, struct st_collectd_value_list *vl)
{
    uint16_t count;
    if (read_be16(&c, &count) < 0 || count == 0 || count > ST_COLLECTD_MAX_VALUES ||
        st_cursor_left(&c) != (size_t)count * 9) {
        return -EBADMSG;
    }
    for (uint16_t i = 0; i < count; i++) {
        st_cursor_u8(&c, &vl->types[i]);
        if (vl->types[i] > ST_COLLECTD_ABSOLUTE) {
            return -EBADMSG;
        }
    }
    for (uint16_t i = 0; i < count; i++) {
        uint64_t u;
        int r;
        if (vl->types[i] == ST_COLLECTD_GAUGE) {
            /* collectd writes gauges in x86 byte order: little-endian. */
            r = st_cursor_double(&c, &vl->values[i].gauge);
        } else {
            /* Counters, derives and absolutes: big-endian 64-bit integers. */
            r = read_be64(&c, &u);
            if (r == 0 && vl->types[i] == ST_COLLECTD_DERIVE) {
                vl->values[i].derive = (int64_t)u;
            } else if (r == 0) {
                vl->values[i].counter = u; /* absolute shares the representation */
            }
        }
        if (r < 0) {
            return r;
        }
    }
    vl->n_values = count;
    return 0;
}

static int parse_region(struct ctx *x, const uint8_t *buf, size_t len, enum protection prot,
                        const char *user);

/* Decrypted payloads go to one buffer as large as the packet, allocated at the first need. */
static uint8_t *plain_space(struct ctx *x, size_t n)
{
    if (!x->plain) {
        x->plain = st_malloc(x->packet_len);
        if (!x->plain) {
            return NULL;
        }
    }
    /* The encrypted parts are disjoint pieces of the packet: their sum never exceeds it. */
    uint8_t *p = x->plain + x->plain_used;
    x->plain_used += n;
    return p;
}

static int aes256_ofb_decrypt(const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                              uint8_t *out, size_t n)
{
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_OFB, 0)) {
        return -ENOMEM;
    }
    int r = 0;
    if (gcry_cipher_setkey(h, key, SHA256_LEN) || gcry_cipher_setiv(h, iv, IV_LEN) ||
        gcry_cipher_decrypt(h, out, n, in, n)) {
        r = -ENOMEM;
    }
    gcry_cipher_close(h);
    return r;
}

static bool same_digest(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff == 0;
}

/* ENCRYPTION: u16 user length, user, IV, then encrypted SHA-1 + payload. */
static int part_encrypted(struct ctx *x, struct st_cursor c)
{
    uint16_t user_len;
    const uint8_t *user = NULL, *iv = NULL, *enc = NULL;
    /* collectd needs at least one payload byte after the checksum. */
    if (read_be16(&c, &user_len) < 0 || user_len == 0 || st_cursor_take(&c, user_len, &user) < 0 ||
        st_cursor_take(&c, IV_LEN, &iv) < 0 || st_cursor_left(&c) < SHA1_LEN + 1) {
        return -EBADMSG;
    }
    size_t enc_len = st_cursor_left(&c);
    st_cursor_take(&c, enc_len, &enc);
    if (user_len > ST_COLLECTD_MAX_USER_LEN) {
        return -EACCES;
    }
    char name[ST_COLLECTD_MAX_USER_LEN + 1];
    memcpy(name, user, user_len);
    name[user_len] = '\0';
    uint8_t *plain;
    if (!x->deliver) {
        const struct user *u = find_user(x->auth, user, user_len);
        if (!u) {
            return -EACCES;
        }
        plain = plain_space(x, enc_len);
        if (!plain) {
            return -ENOMEM;
        }
        int r = aes256_ofb_decrypt(u->aes_key, iv, enc, plain, enc_len);
        if (r < 0) {
            return r;
        }
        uint8_t sum[SHA1_LEN];
        gcry_md_hash_buffer(GCRY_MD_SHA1, sum, plain + SHA1_LEN, enc_len - SHA1_LEN);
        if (!same_digest(sum, plain, SHA1_LEN)) {
            return -EACCES;
        }
        x->protected_regions++;
    } else {
        plain = x->plain + x->plain_used;
        x->plain_used += enc_len;
    }
    return parse_region(x, plain + SHA1_LEN, enc_len - SHA1_LEN, ENCRYPTED, name);
}

static int hmac_sha256(const struct user *u, const uint8_t *a, size_t a_len, const uint8_t *b,
                       size_t b_len, uint8_t *out)
{
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC)) {
        return -ENOMEM;
    }
    if (gcry_md_setkey(h, u->password, u->password_len)) {
        gcry_md_close(h);
        return -ENOMEM;
    }
    gcry_md_write(h, a, a_len);
    gcry_md_write(h, b, b_len);
    const unsigned char *mac = gcry_md_read(h, GCRY_MD_SHA256);
    if (mac) {
        memcpy(out, mac, SHA256_LEN);
    }
    gcry_md_close(h);
    return mac ? 0 : -ENOMEM;
}

/* SIGNATURE: the HMAC, then the user name; it covers the name and all of `rest`. */
static int part_signed(struct ctx *x, struct st_cursor c, const uint8_t *rest, size_t rest_len)
{
    const uint8_t *mac_sent = NULL, *user = NULL;
    if (st_cursor_take(&c, SHA256_LEN, &mac_sent) < 0 || st_cursor_left(&c) == 0) {
        return -EBADMSG;
    }
    size_t user_len = st_cursor_left(&c);
    st_cursor_take(&c, user_len, &user);
    if (!x->auth) {
        /* Level none without users: accepted unchecked, as collectd does without AuthFile. */
        return parse_region(x, rest, rest_len, SIGNED, NULL);
    }
    const struct user *u = find_user(x->auth, user, user_len);
    if (!u) {
        return -EACCES;
    }
    if (!x->deliver) {
        uint8_t mac[SHA256_LEN];
        int r = hmac_sha256(u, user, user_len, rest, rest_len, mac);
        if (r < 0) {
            return r;
        }
        if (!same_digest(mac, mac_sent, SHA256_LEN)) {
            return -EACCES;
        }
        x->protected_regions++;
    }
    return parse_region(x, rest, rest_len, SIGNED, u->name);
}

static bool below_level(const struct ctx *x, uint16_t type, enum protection prot)
{
    if (type == PART_ENCR_AES256) {
        return false;
    }
    if (x->level == ST_COLLECTD_SECURITY_ENCRYPT && prot != ENCRYPTED) {
        return true;
    }
    return type != PART_SIGN_SHA256 && x->level == ST_COLLECTD_SECURITY_SIGN && prot == PLAIN;
}

static int emit(struct ctx *x, const struct st_collectd_value_list *vl)
{
    if (!x->deliver) {
        return 0;
    }
    if (vl->time_hr == 0 || !vl->host[0] || !vl->plugin[0] || !vl->type[0]) {
        x->stats->value_lists_incomplete++;
        return 0;
    }
    x->stats->value_lists++;
    return x->fn(vl, x->data);
}

/* Parses a sequence of parts with its own value list state. */
static int parse_region(struct ctx *x, const uint8_t *buf, size_t len, enum protection prot,
                        const char *user)
{
    struct st_collectd_value_list vl = {
        .host = "",
        .plugin = "",
        .plugin_instance = "",
        .type = "",
        .type_instance = "",
        .username = user,
    };
    struct st_cursor c;
    st_cursor_init(&c, buf, len);
    while (st_cursor_left(&c) > 0) {
        uint16_t type, part_len;
        const uint8_t *p = NULL;
        if (read_be16(&c, &type) < 0 || read_be16(&c, &part_len) < 0 || part_len < HEADER_LEN ||
            st_cursor_take(&c, part_len - HEADER_LEN, &p) < 0) {
            return -EBADMSG;
        }
        struct st_cursor pc;
        st_cursor_init(&pc, p, part_len - HEADER_LEN);
        if (below_level(x, type, prot)) {
            if (x->deliver) {
                x->stats->parts_below_level++;
            }
            continue;
        }
        int r = 0;
        uint64_t num;
        switch (type) {
        case PART_HOST:
            r = part_string(pc, &vl.host);
            break;
        case PART_PLUGIN:
            r = part_string(pc, &vl.plugin);
            break;
        case PART_PLUGIN_INSTANCE:
            r = part_string(pc, &vl.plugin_instance);
            break;
        case PART_TYPE:
            r = part_string(pc, &vl.type);
            break;
        case PART_TYPE_INSTANCE:
            r = part_string(pc, &vl.type_instance);
            break;
        case PART_TIME:
            r = part_number(pc, &num);
            r = r ? r : seconds_to_hr(num, &vl.time_hr);
            break;
        case PART_TIME_HR:
            r = part_number(pc, &vl.time_hr);
            break;
        case PART_INTERVAL:
            r = part_number(pc, &num);
            r = r ? r : seconds_to_hr(num, &vl.interval_hr);
            break;
        case PART_INTERVAL_HR:
            r = part_number(pc, &vl.interval_hr);
            break;
        case PART_VALUES:
            r = part_values(pc, &vl);
            r = r ? r : emit(x, &vl);
            break;
        case PART_MESSAGE: {
            const char *msg;
            r = part_string(pc, &msg);
            if (r == 0 && x->deliver) {
                x->stats->notifications++;
            }
            break;
        }
        case PART_SEVERITY:
            r = part_number(pc, &num);
            break;
        case PART_SIGN_SHA256: {
            if (prot != PLAIN) {
                return -EBADMSG;
            }
            size_t rest_len = st_cursor_left(&c);
            const uint8_t *rest = NULL;
            st_cursor_take(&c, rest_len, &rest);
            r = part_signed(x, pc, rest, rest_len);
            break;
        }
        case PART_ENCR_AES256:
            if (prot != PLAIN) {
                return -EBADMSG;
            }
            r = x->auth ? part_encrypted(x, pc) : -EACCES;
            break;
        default:
            if (x->deliver) {
                x->stats->unknown_parts++;
            }
            break;
        }
        if (r) {
            return r;
        }
    }
    return 0;
}

int st_collectd_parse(const uint8_t *buf, size_t len, const struct st_collectd_auth *auth,
                      enum st_collectd_security level, st_collectd_value_fn fn, void *data,
                      struct st_collectd_stats *stats)
{
    stats->packets++;
    if (level != ST_COLLECTD_SECURITY_NONE && !auth) {
        return -EINVAL;
    }
    if (len > ST_COLLECTD_MAX_PACKET) {
        stats->packets_bad++;
        return -EBADMSG;
    }
    struct ctx x = {
        .auth = auth,
        .level = level,
        .fn = fn,
        .data = data,
        .stats = stats,
        .packet_len = len,
    };
    int r = parse_region(&x, buf, len, PLAIN, NULL);
    if (r == 0 && level != ST_COLLECTD_SECURITY_NONE && x.protected_regions == 0) {
        r = -EACCES;
    }
    if (r == 0) {
        x.deliver = true;
        x.plain_used = 0;
        r = parse_region(&x, buf, len, PLAIN, NULL);
    } else if (r == -EBADMSG) {
        stats->packets_bad++;
    } else if (r == -EACCES) {
        stats->packets_denied++;
    }
    st_free(x.plain);
    return r;
}
