/* SPDX-License-Identifier: MIT */
/*
 * AWS Signature Version 4 (sigv4.h): the canonical request (method, URI-encoded path,
 * sorted and re-encoded query, the signed headers trimmed and joined, the payload's SHA-256),
 * the string to sign, the HMAC-SHA256 key chain, and verification against the collector's
 * access keys with a constant-time comparison. Hashes come from libgcrypt.
 */
#include "sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <gcrypt.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

static void crypto_init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    uint8_t d[32];
    crypto_init();
    gcry_md_hash_buffer(GCRY_MD_SHA256, d, data, n);
    hex(d, 32, out);
}

static int hmac(const uint8_t *key, size_t key_len, const char *msg, uint8_t out[32])
{
    gcry_mac_hd_t h;
    crypto_init();
    if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL)) {
        return -ENOMEM;
    }
    size_t len = 32;
    int r = gcry_mac_setkey(h, key, key_len) || gcry_mac_write(h, msg, strlen(msg)) ||
                    gcry_mac_read(h, out, &len)
                ? -EIO
                : 0;
    gcry_mac_close(h);
    return r;
}

/* ---- parsing ---- */

static int incomplete(struct st_error *err, const char *what)
{
    return st_error_set(err, -EINVAL, "IncompleteSignature",
                        "The Authorization header is malformed: %s.", what);
}

/* Copies the value of "name=" from the comma-separated parameters into buf. */
static int auth_param(const char *params, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = params; *p;) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        size_t len = strcspn(p, ",");
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            while (vl && p[nl + 1 + vl - 1] == ' ') {
                vl--;
            }
            if (vl == 0 || vl >= size) {
                return -EINVAL;
            }
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = '\0';
            return 0;
        }
        p += len;
    }
    return -ENOENT;
}

int st_sigv4_parse_authorization(const char *value, struct st_sigv4_auth *ret, struct st_error *err)
{
    memset(ret, 0, sizeof(*ret));
    size_t al = strlen(ALGORITHM);
    if (strncmp(value, ALGORITHM, al) != 0 || value[al] != ' ') {
        return st_error_set(err, -EINVAL, "IncompleteSignature",
                            "Only AWS4-HMAC-SHA256 signatures are supported.");
    }
    const char *params = value + al + 1;
    char cred[512];
    if (auth_param(params, "Credential", cred, sizeof(cred)) < 0) {
        return incomplete(err, "no Credential");
    }
    if (auth_param(params, "SignedHeaders", ret->signed_headers, sizeof(ret->signed_headers)) < 0) {
        return incomplete(err, "no SignedHeaders");
    }
    if (auth_param(params, "Signature", ret->signature, sizeof(ret->signature)) < 0 ||
        strlen(ret->signature) != 64 || strspn(ret->signature, "0123456789abcdef") != 64) {
        return incomplete(err, "no Signature of 64 hex digits");
    }
    size_t slashes = 0;
    for (const char *p = cred; *p; p++) {
        slashes += *p == '/';
    }
    if (slashes != 4) {
        return incomplete(err, "the Credential is not KEY/DATE/REGION/SERVICE/aws4_request");
    }
    char *parts[5];
    size_t n = 0;
    for (char *p = cred; n < 5;) {
        parts[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash) {
            break;
        }
        *slash = '\0';
        p = slash + 1;
    }
    if (n != 5 || strchr(parts[4], '/') || strcmp(parts[4], "aws4_request") != 0 ||
        strlen(parts[1]) != 8 || strspn(parts[1], "0123456789") != 8 || !parts[0][0] ||
        strlen(parts[0]) > ST_SIGV4_KEY_MAX || !parts[2][0] || strlen(parts[2]) >= 64 ||
        !parts[3][0] || strlen(parts[3]) >= 64) {
        return incomplete(err, "the Credential is not KEY/DATE/REGION/SERVICE/aws4_request");
    }
    snprintf(ret->access_key, sizeof(ret->access_key), "%s", parts[0]);
    memcpy(ret->date, parts[1], 9);
    snprintf(ret->region, sizeof(ret->region), "%s", parts[2]);
    snprintf(ret->service, sizeof(ret->service), "%s", parts[3]);
    return 0;
}

/* ---- canonical request ---- */

static bool unreserved(int ch)
{
    return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static int add_encoded(struct evbuffer *b, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int r = unreserved(ch) || (keep_slash && ch == '/') ? evbuffer_add(b, s + i, 1)
                                                            : evbuffer_add_printf(b, "%%%02X", ch);
        if (r < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* Percent-decodes s[0..n) into out (n + 1 bytes); returns the length. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            out[o++] = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return o;
}

/* The path with "." and ".." segments and empty segments removed, URI-encoded. */
static int add_canonical_path(struct evbuffer *b, const char *path)
{
    if (!*path) {
        return evbuffer_add(b, "/", 1);
    }
    const char *segs[256];
    size_t lens[256], n = 0;
    bool trailing = path[strlen(path) - 1] == '/';
    for (const char *p = path; *p;) {
        while (*p == '/') {
            p++;
        }
        size_t len = strcspn(p, "/");
        if (len == 0) {
            break;
        }
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (n) {
                n--;
            }
        } else if (n < 256) {
            segs[n] = p;
            lens[n++] = len;
        } else {
            return -EINVAL;
        }
        p += len;
    }
    for (size_t i = 0; i < n; i++) {
        if (evbuffer_add(b, "/", 1) < 0 || add_encoded(b, segs[i], lens[i], false) < 0) {
            return -ENOMEM;
        }
    }
    if (n == 0 || trailing) {
        return evbuffer_add(b, "/", 1);
    }
    return 0;
}

struct qparam {
    char *key, *value; /* encoded */
};

static int cmp_qparam(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, size_t n)
{
    char *dec = malloc(n + 1);
    struct evbuffer *b = evbuffer_new();
    char *out = NULL;
    if (dec && b) {
        size_t dl = pct_decode(s, n, dec);
        if (add_encoded(b, dec, dl, false) == 0) {
            size_t len = evbuffer_get_length(b);
            out = malloc(len + 1);
            if (out) {
                evbuffer_remove(b, out, len);
                out[len] = '\0';
            }
        }
    }
    free(dec);
    if (b) {
        evbuffer_free(b);
    }
    return out;
}

static int add_canonical_query(struct evbuffer *b, const char *query)
{
    size_t n = 0;
    for (const char *p = query; *p; p++) {
        n += *p == '&';
    }
    struct qparam *ps = calloc(n + 1, sizeof(*ps));
    if (!ps) {
        return -ENOMEM;
    }
    size_t np = 0;
    int r = 0;
    for (const char *p = query; *p && r == 0;) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t kl = eq ? (size_t)(eq - p) : len;
            ps[np].key = encode_dup(p, kl);
            ps[np].value = eq ? encode_dup(eq + 1, len - kl - 1) : encode_dup("", 0);
            if (!ps[np].key || !ps[np].value) {
                free(ps[np].key);
                free(ps[np].value);
                r = -ENOMEM;
                break;
            }
            np++;
        }
        p += len;
        if (*p == '&') {
            p++;
        }
    }
    qsort(ps, np, sizeof(*ps), cmp_qparam);
    for (size_t i = 0; i < np; i++) {
        if (r == 0 && evbuffer_add_printf(b, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].value) < 0) {
            r = -ENOMEM;
        }
        free(ps[i].key);
        free(ps[i].value);
    }
    free(ps);
    return r;
}

/* Adds "value" trimmed, inner runs of spaces collapsed. */
static int add_trimmed(struct evbuffer *b, const char *v)
{
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    bool space = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            space = true;
            continue;
        }
        if (space && evbuffer_add(b, " ", 1) < 0) {
            return -ENOMEM;
        }
        space = false;
        if (evbuffer_add(b, v, 1) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static const char *find_header(const struct st_sigv4_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

char *st_sigv4_canonical_request(const struct st_sigv4_request *req, const char *signed_headers)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        return NULL;
    }
    int r = evbuffer_add_printf(b, "%s\n", req->method) < 0 ? -ENOMEM : 0;
    if (r == 0) {
        r = add_canonical_path(b, req->path);
    }
    if (r == 0) {
        r = evbuffer_add(b, "\n", 1);
    }
    if (r == 0) {
        r = add_canonical_query(b, req->query ? req->query : "");
    }
    if (r == 0) {
        r = evbuffer_add(b, "\n", 1);
    }
    for (const char *p = signed_headers; r == 0 && *p;) {
        size_t len = strcspn(p, ";");
        char name[128];
        if (len == 0 || len >= sizeof(name)) {
            r = -EINVAL;
            break;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        bool found = false;
        r = evbuffer_add_printf(b, "%s:", name) < 0 ? -ENOMEM : 0;
        for (size_t i = 0; r == 0 && i < req->n_headers; i++) {
            if (strcasecmp(req->headers[i].name, name) == 0) {
                if (found) {
                    r = evbuffer_add(b, ",", 1);
                }
                if (r == 0) {
                    r = add_trimmed(b, req->headers[i].value);
                }
                found = true;
            }
        }
        if (!found) {
            r = -ENOENT;
        }
        if (r == 0) {
            r = evbuffer_add(b, "\n", 1);
        }
        p += len;
        if (*p == ';') {
            p++;
        }
    }
    char payload[65];
    const char *ph = find_header(req, "x-amz-content-sha256");
    if (ph && strlen(ph) == 64) {
        snprintf(payload, sizeof(payload), "%s", ph);
    } else {
        sha256_hex(req->body ? (const void *)req->body : "", req->body_len, payload);
    }
    if (r == 0) {
        r = evbuffer_add_printf(b, "\n%s\n%s", signed_headers, payload) < 0 ? -ENOMEM : 0;
    }
    char *out = NULL;
    if (r == 0) {
        size_t len = evbuffer_get_length(b);
        out = malloc(len + 1);
        if (out) {
            evbuffer_remove(b, out, len);
            out[len] = '\0';
        }
    }
    evbuffer_free(b);
    return out;
}

char *st_sigv4_string_to_sign(const char *amz_date, const struct st_sigv4_auth *auth,
                              const char *creq)
{
    char h[65];
    sha256_hex(creq, strlen(creq), h);
    char *out;
    if (asprintf(&out, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, auth->date,
                 auth->region, auth->service, h) < 0) {
        return NULL;
    }
    return out;
}

int st_sigv4_signature(const char *secret, const struct st_sigv4_auth *auth,
                       const char *string_to_sign, char sig[65])
{
    char k0[ST_SIGV4_KEY_MAX + 8];
    snprintf(k0, sizeof(k0), "AWS4%s", secret);
    uint8_t k1[32], k2[32], k3[32], k4[32], s[32];
    if (hmac((const uint8_t *)k0, strlen(k0), auth->date, k1) < 0 ||
        hmac(k1, 32, auth->region, k2) < 0 || hmac(k2, 32, auth->service, k3) < 0 ||
        hmac(k3, 32, "aws4_request", k4) < 0 || hmac(k4, 32, string_to_sign, s) < 0) {
        return -EIO;
    }
    hex(s, 32, sig);
    return 0;
}

/* Seconds since the epoch of YYYYMMDDTHHMMSSZ, or -1. */
static int64_t parse_amz_date(const char *s)
{
    struct tm tm = {0};
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || strspn(s, "0123456789") != 8 ||
        strspn(s + 9, "0123456789") != 6) {
        return -1;
    }
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

int st_sigv4_verify(const struct st_sigv4_keys *keys, const struct st_sigv4_request *req,
                    int64_t now_ms, struct st_error *err)
{
    const char *authz = find_header(req, "Authorization");
    struct st_sigv4_auth auth;
    if (!authz) {
        if (keys->n == 0) {
            return 0;
        }
        return st_error_set(err, -EACCES, "MissingAuthenticationToken",
                            "Request is missing Authentication Token");
    }
    if (st_sigv4_parse_authorization(authz, &auth, err) < 0) {
        return -EACCES;
    }
    if (keys->n == 0) {
        return 0;
    }
    const struct st_sigv4_key *key = NULL;
    for (size_t i = 0; i < keys->n; i++) {
        if (strcmp(keys->keys[i].id, auth.access_key) == 0) {
            key = &keys->keys[i];
        }
    }
    if (!key) {
        return st_error_set(err, -EACCES, "InvalidClientTokenId",
                            "The security token included in the request is invalid.");
    }
    const char *amz_date = find_header(req, "X-Amz-Date");
    int64_t t = parse_amz_date(amz_date);
    if (t < 0 || strncmp(amz_date, auth.date, 8) != 0) {
        return st_error_set(err, -EACCES, "IncompleteSignature",
                            "The request needs an X-Amz-Date header matching its credential "
                            "scope.");
    }
    if (llabs(t - now_ms / 1000) > 15 * 60) {
        return st_error_set(err, -EACCES, "RequestExpired",
                            "Request has expired: the signature date %s is more than 15 minutes "
                            "from the server's time.",
                            amz_date);
    }
    if (!strstr(auth.signed_headers, "host")) {
        return st_error_set(err, -EACCES, "IncompleteSignature", "The Host header must be signed.");
    }
    char *creq = st_sigv4_canonical_request(req, auth.signed_headers);
    char *sts = creq ? st_sigv4_string_to_sign(amz_date, &auth, creq) : NULL;
    char sig[65];
    int r = sts ? st_sigv4_signature(key->secret, &auth, sts, sig) : -EACCES;
    free(creq);
    free(sts);
    unsigned diff = r < 0;
    for (size_t i = 0; r == 0 && i < 64; i++) {
        diff |= (unsigned)(sig[i] ^ auth.signature[i]);
    }
    if (diff) {
        return st_error_set(err, -EACCES, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature "
                            "you provided.");
    }
    return 0;
}
