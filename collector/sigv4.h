/* SPDX-License-Identifier: MIT */
/*
 * AWS Signature Version 4 (header form): parsing the Authorization header, building the
 * canonical request and string to sign, and verifying a request against a table of access
 * keys. The functions here take a plain description of the request (no libevent), so that
 * AWS's published test vectors run against them directly; aws.c feeds them the evhttp request.
 * Not supported: presigned URLs (X-Amz-Signature in the query string), SigV4a, chunked
 * (STREAMING-*) payloads.
 */
#ifndef STRATUS_COLLECTOR_SIGV4_H
#define STRATUS_COLLECTOR_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

#define ST_SIGV4_MAX_KEYS    16
#define ST_SIGV4_KEY_MAX     128
#define ST_SIGV4_MAX_HEADERS 64

struct st_sigv4_key {
    char id[ST_SIGV4_KEY_MAX + 1];
    char secret[ST_SIGV4_KEY_MAX + 1];
};

/* The collector's access keys; n == 0: signatures are parsed but not verified. */
struct st_sigv4_keys {
    size_t n;
    struct st_sigv4_key keys[ST_SIGV4_MAX_KEYS];
};

struct st_sigv4_header {
    const char *name; /* any case */
    const char *value;
};

struct st_sigv4_request {
    const char *method;
    const char *path;  /* as on the request line, without the query */
    const char *query; /* after '?', "" when none */
    const struct st_sigv4_header *headers;
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
};

/* The parts of "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=hex". */
struct st_sigv4_auth {
    char access_key[ST_SIGV4_KEY_MAX + 1];
    char date[9];
    char region[64];
    char service[64];
    char signed_headers[1024]; /* lower-case names joined by ';' as sent */
    char signature[65];
};

/* Parses an Authorization header value; -EINVAL with IncompleteSignature when malformed. */
int st_sigv4_parse_authorization(const char *value, struct st_sigv4_auth *ret,
                                 struct st_error *err);

/* The canonical request of req for the signed headers (lower-case, ';'-separated), in a new
 * string the caller frees; NULL on OOM or a signed header that req lacks. */
char *st_sigv4_canonical_request(const struct st_sigv4_request *req, const char *signed_headers);

/* The string to sign for amz_date (YYYYMMDDTHHMMSSZ), the scope parts of auth and the
 * canonical request creq; a new string the caller frees. */
char *st_sigv4_string_to_sign(const char *amz_date, const struct st_sigv4_auth *auth,
                              const char *creq);

/* The hex signature (64 chars + NUL into sig) of string_to_sign with secret. */
int st_sigv4_signature(const char *secret, const struct st_sigv4_auth *auth,
                       const char *string_to_sign, char sig[65]);

/*
 * Checks req: with keys->n == 0 only that an Authorization header, if any, parses. Otherwise
 * the header must be there (MissingAuthenticationToken), name a known key
 * (InvalidClientTokenId), carry an X-Amz-Date within 15 minutes of now_ms (RequestExpired)
 * and a matching signature (SignatureDoesNotMatch). Returns 0 or -EACCES with err set.
 */
int st_sigv4_verify(const struct st_sigv4_keys *keys, const struct st_sigv4_request *req,
                    int64_t now_ms, struct st_error *err);

#endif
