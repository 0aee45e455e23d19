/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of SigV4 (collector/sigv4.c) against AWS's published test suite vectors in
 * tests/data/sigv4/: the canonical request, the string to sign and the signature of each
 * request, then verification with access keys (good, wrong secret, unknown key, skew, missing
 * and malformed Authorization headers).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sigv4.h"

#define SECRET     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME 1440938160000LL /* 2015-08-30T12:36:00Z */

static const char *const vectors[] = {
    "get-vanilla",
    "post-vanilla",
    "post-vanilla-query",
    "get-vanilla-query-order-key-case",
    "post-x-www-form-urlencoded",
    "post-header-key-case",
    "post-header-value-case",
    "get-header-key-duplicate",
    "get-header-value-trim",
};

static char *slurp(const char *name, const char *ext)
{
    const char *dir = getenv("STRATUS_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/sigv4/%s.%s", dir ? dir : "tests/data", name, ext);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A parsed .req file; strings point into text. */
struct vreq {
    char *text;
    char method[16];
    char path[1024];
    char query[1024];
    struct st_sigv4_header headers[ST_SIGV4_MAX_HEADERS];
    size_t n;
    const char *body;
    struct st_sigv4_request req;
};

static void parse_req(struct vreq *v, const char *name)
{
    v->text = slurp(name, "req");
    assert_non_null(v->text);
    char *line = v->text;
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char uri[1024];
    assert_int_equal(sscanf(line, "%15s %1023s", v->method, uri), 2);
    char *q = strchr(uri, '?');
    snprintf(v->query, sizeof(v->query), "%s", q ? q + 1 : "");
    if (q) {
        *q = '\0';
    }
    snprintf(v->path, sizeof(v->path), "%s", uri);
    v->n = 0;
    v->body = "";
    for (char *p = nl + 1; *p;) {
        char *e = strchr(p, '\n');
        if (e) {
            *e = '\0';
        }
        if (*p == '\0') { /* blank line: the body follows */
            v->body = e ? e + 1 : "";
            break;
        }
        char *colon = strchr(p, ':');
        assert_non_null(colon);
        *colon = '\0';
        v->headers[v->n].name = p;
        v->headers[v->n].value = colon + 1;
        v->n++;
        if (!e) {
            break;
        }
        p = e + 1;
    }
    v->req = (struct st_sigv4_request){
        .method = v->method,
        .path = v->path,
        .query = v->query,
        .headers = v->headers,
        .n_headers = v->n,
        .body = (const uint8_t *)v->body,
        .body_len = strlen(v->body),
    };
}

static void test_suite_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        struct vreq v;
        parse_req(&v, vectors[i]);
        char *authz = slurp(vectors[i], "authz");
        assert_non_null(authz);
        struct st_sigv4_auth auth;
        struct st_error err;
        assert_int_equal(st_sigv4_parse_authorization(authz, &auth, &err), 0);
        assert_string_equal(auth.access_key, "AKIDEXAMPLE");
        assert_string_equal(auth.date, "20150830");
        assert_string_equal(auth.region, "us-east-1");
        assert_string_equal(auth.service, "service");
        char *creq = st_sigv4_canonical_request(&v.req, auth.signed_headers);
        assert_non_null(creq);
        char *want = slurp(vectors[i], "creq");
        if (want) {
            assert_string_equal(creq, want);
        }
        char *sts = st_sigv4_string_to_sign("20150830T123600Z", &auth, creq);
        free(want);
        want = slurp(vectors[i], "sts");
        if (want) {
            assert_string_equal(sts, want);
        }
        char sig[65];
        assert_int_equal(st_sigv4_signature(SECRET, &auth, sts, sig), 0);
        if (strcmp(sig, auth.signature) != 0) {
            fail_msg("%s: signature %s, want %s\n%s", vectors[i], sig, auth.signature, creq);
        }
        free(want);
        free(sts);
        free(creq);

        /* The same request verifies with the key table, and fails with a wrong secret. */
        struct st_sigv4_keys keys = {.n = 1};
        snprintf(keys.keys[0].id, sizeof(keys.keys[0].id), "AKIDEXAMPLE");
        snprintf(keys.keys[0].secret, sizeof(keys.keys[0].secret), SECRET);
        v.headers[v.n].name = "Authorization";
        v.headers[v.n].value = authz;
        v.req.n_headers = v.n + 1;
        assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME + 60000, &err), 0);
        snprintf(keys.keys[0].secret, sizeof(keys.keys[0].secret), "wrong");
        assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME, &err), -EACCES);
        assert_string_equal(err.code, "SignatureDoesNotMatch");
        free(authz);
        free(v.text);
    }
}

static void test_verify_failures(void **state)
{
    (void)state;
    struct vreq v;
    parse_req(&v, "get-vanilla");
    char *authz = slurp("get-vanilla", "authz");
    struct st_sigv4_keys none = {.n = 0};
    struct st_sigv4_keys keys = {.n = 1};
    snprintf(keys.keys[0].id, sizeof(keys.keys[0].id), "AKIDEXAMPLE");
    snprintf(keys.keys[0].secret, sizeof(keys.keys[0].secret), SECRET);
    struct st_error err;

    /* No Authorization header: fine without keys, MissingAuthenticationToken with them. */
    assert_int_equal(st_sigv4_verify(&none, &v.req, SUITE_TIME, &err), 0);
    assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME, &err), -EACCES);
    assert_string_equal(err.code, "MissingAuthenticationToken");

    v.headers[v.n].name = "authorization";
    v.headers[v.n].value = authz;
    v.req.n_headers = v.n + 1;
    assert_int_equal(st_sigv4_verify(&none, &v.req, 0, &err), 0); /* parsed, not verified */
    assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME + 16 * 60 * 1000, &err), -EACCES);
    assert_string_equal(err.code, "RequestExpired");
    snprintf(keys.keys[0].id, sizeof(keys.keys[0].id), "AKIDOTHER");
    assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME, &err), -EACCES);
    assert_string_equal(err.code, "InvalidClientTokenId");

    /* A changed header or body breaks the signature. */
    snprintf(keys.keys[0].id, sizeof(keys.keys[0].id), "AKIDEXAMPLE");
    v.req.body = (const uint8_t *)"x";
    v.req.body_len = 1;
    assert_int_equal(st_sigv4_verify(&keys, &v.req, SUITE_TIME, &err), -EACCES);
    assert_string_equal(err.code, "SignatureDoesNotMatch");

    static const char *const bad[] = {
        "",
        "AWS4-HMAC-SHA1 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, "
        "Signature="
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=a/2015083/r/s/aws4_request, SignedHeaders=host, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws5_request, SignedHeaders=host, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request/x, SignedHeaders=host, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf3",
        "AWS4-HMAC-SHA256 Credential=/20150830/r/s/aws4_request, SignedHeaders=host, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        "AWS4-HMAC-SHA256 ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct st_sigv4_auth auth;
        assert_int_equal(st_sigv4_parse_authorization(bad[i], &auth, &err), -EINVAL);
        assert_string_equal(err.code, "IncompleteSignature");
        v.headers[v.n].value = bad[i];
        assert_int_equal(st_sigv4_verify(&none, &v.req, SUITE_TIME, &err), -EACCES);
    }
    free(authz);
    free(v.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_verify_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
