/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the X-Ray segment parser and the daemon datagram framing: a full document
 * with every field the collector reads, independent subsegments, in-progress segments, escapes
 * and repeated members, and tables of malformed documents each rejected with the field it names
 * (or as not JSON).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/xray_segment.h"

#define TID "1-5f84c7a1-0123456789abcdef01234567"

static int parse(const char *json, struct st_xray_doc **ret, struct st_error *err)
{
    return st_xray_segment_parse((const uint8_t *)json, strlen(json), ret, err);
}

static void test_full_segment_fields_are_read(void **state)
{
    (void)state;
    const char *doc =
        "{\"name\": \"web\", \"id\": \"70de5b6f19ff9a0a\", \"trace_id\": \"" TID "\","
        " \"start_time\": 1602500000.5, \"end_time\": 1602500001.25, \"origin\":"
        " \"AWS::EC2::Instance\", \"user\": \"alice\", \"fault\": true,"
        " \"http\": {\"request\": {\"method\": \"GET\", \"url\": \"https://a.example/x\","
        " \"user_agent\": \"curl\", \"client_ip\": \"10.0.0.1\"}, \"response\": {\"status\": 503}},"
        " \"annotations\": {\"customer\": \"c1\", \"n\": 3, \"vip\": true},"
        " \"metadata\": {\"debug\": {\"any\": [1, 2]}},"
        " \"cause\": {\"working_directory\": \"/\", \"exceptions\": [{\"id\": \"0000000000000001\","
        " \"message\": \"boom\", \"type\": \"E\"}]},"
        " \"subsegments\": [{\"name\": \"DynamoDB\", \"id\": \"0000000000000002\", \"namespace\":"
        " \"aws\", \"start_time\": 1602500000.6, \"end_time\": 1602500000.9,"
        " \"aws\": {\"operation\": \"GetItem\", \"table_name\": \"users\"},"
        " \"subsegments\": [{\"name\": \"inner\", \"id\": \"0000000000000003\","
        " \"start_time\": 1602500000.7, \"in_progress\": true}]},"
        " {\"name\": \"db\", \"id\": \"0000000000000004\", \"namespace\": \"remote\","
        " \"start_time\": 1602500000.6, \"end_time\": 1602500000.8,"
        " \"sql\": {\"url\": \"postgres://db\", \"database_type\": \"PostgreSQL\"}}]}";
    struct st_xray_doc *d = NULL;
    struct st_error err;
    assert_int_equal(parse(doc, &d, &err), 0);
    const struct st_xray_segment *s = &d->root;
    assert_string_equal(s->name, "web");
    assert_string_equal(s->id, "70de5b6f19ff9a0a");
    assert_string_equal(s->trace_id, TID);
    assert_false(s->independent);
    assert_true(s->start_time == 1602500000.5);
    assert_true(s->end_time == 1602500001.25);
    assert_string_equal(s->origin, "AWS::EC2::Instance");
    assert_string_equal(s->user, "alice");
    assert_true(s->fault);
    assert_false(s->error);
    assert_string_equal(s->http.method, "GET");
    assert_string_equal(s->http.url, "https://a.example/x");
    assert_string_equal(s->http.user_agent, "curl");
    assert_string_equal(s->http.client_ip, "10.0.0.1");
    assert_int_equal(s->http.status, 503);
    assert_int_equal(s->n_annotations, 3);
    assert_string_equal(s->annotations[0].key, "customer");
    assert_int_equal(s->annotations[0].type, ST_XRAY_STRING);
    assert_string_equal(s->annotations[0].s, "c1");
    assert_int_equal(s->annotations[1].type, ST_XRAY_NUMBER);
    assert_true(s->annotations[1].n == 3);
    assert_int_equal(s->annotations[2].type, ST_XRAY_BOOL);
    assert_true(s->annotations[2].b);
    assert_int_equal(s->n_messages, 1);
    assert_string_equal(s->messages[0], "boom");
    assert_int_equal(s->n_subsegments, 2);
    const struct st_xray_segment *ddb = &s->subsegments[0];
    assert_string_equal(ddb->namespace_name, "aws");
    assert_string_equal(ddb->aws_operation, "GetItem");
    assert_string_equal(ddb->aws_table_name, "users");
    assert_string_equal(ddb->trace_id, "");
    assert_int_equal(ddb->n_subsegments, 1);
    assert_true(ddb->subsegments[0].in_progress);
    assert_true(s->subsegments[1].has_sql);
    assert_string_equal(s->subsegments[1].sql_url, "postgres://db");
    st_xray_doc_free(d);
}

static void test_independent_subsegment_needs_parent_id(void **state)
{
    (void)state;
    struct st_xray_doc *d = NULL;
    struct st_error err;
    assert_int_equal(
        parse("{\"type\": \"subsegment\", \"name\": \"q\", \"id\": \"00000000000000aa\","
              " \"trace_id\": \"" TID "\", \"parent_id\": \"00000000000000bb\","
              " \"start_time\": 1602500000, \"end_time\": 1602500001}",
              &d, &err),
        0);
    assert_true(d->root.independent);
    assert_string_equal(d->root.parent_id, "00000000000000bb");
    st_xray_doc_free(d);
    assert_int_equal(
        parse("{\"type\": \"subsegment\", \"name\": \"q\", \"id\": \"00000000000000aa\","
              " \"trace_id\": \"" TID "\", \"start_time\": 1602500000,"
              " \"end_time\": 1602500001}",
              &d, &err),
        -EINVAL);
    assert_non_null(strstr(err.message, "parent_id"));
}

static void test_in_progress_segment_has_no_end(void **state)
{
    (void)state;
    struct st_xray_doc *d = NULL;
    assert_int_equal(parse("{\"name\": \"w\", \"id\": \"00000000000000aa\", \"trace_id\": \"" TID
                           "\", \"start_time\": 1602500000, \"in_progress\": true}",
                           &d, NULL),
                     0);
    assert_true(d->root.in_progress);
    assert_true(d->root.end_time == 0);
    st_xray_doc_free(d);
}

struct bad {
    const char *json;
    const char *names; /* part of the message */
};

#define BASE  "\"name\": \"w\", \"id\": \"00000000000000aa\", \"trace_id\": \"" TID "\""
#define TIMES "\"start_time\": 1602500000, \"end_time\": 1602500001"

static const struct bad bad_docs[] = {
    {"", "not valid JSON"},
    {"[1, 2]", "must be a JSON object"},
    {"{\"name\": \"w\"", "not valid JSON"},
    {"{" BASE ", " TIMES "} trailing", "after its JSON"},
    {"{\"id\": \"00000000000000aa\", \"trace_id\": \"" TID "\", " TIMES "}", "name"},
    {"{\"name\": \"\", \"id\": \"00000000000000aa\", \"trace_id\": \"" TID "\", " TIMES "}",
     "name"},
    {"{\"name\": \"w\", \"id\": \"xyz\", \"trace_id\": \"" TID "\", " TIMES "}", "id"},
    {"{\"name\": \"w\", \"id\": \"00000000000000aag\", \"trace_id\": \"" TID "\", " TIMES "}",
     "id"},
    {"{\"name\": \"w\", \"id\": \"00000000000000aa\", " TIMES "}", "trace_id"},
    {"{\"name\": \"w\", \"id\": \"00000000000000aa\", \"trace_id\": "
     "\"2-5f84c7a1-0123456789abcdef01234567\", " TIMES "}",
     "trace_id"},
    {"{\"name\": \"w\", \"id\": \"00000000000000aa\", \"trace_id\": "
     "\"1-5f84c7a1-0123456789abcdef0123456\", " TIMES "}",
     "trace_id"},
    {"{" BASE ", \"end_time\": 1602500001}", "start_time"},
    {"{" BASE ", \"start_time\": 1602500000}", "end_time"},
    {"{" BASE ", \"start_time\": \"now\", \"end_time\": 1602500001}", "start_time"},
    {"{" BASE ", \"start_time\": 1602500002, \"end_time\": 1602500001}", "before start_time"},
    {"{" BASE ", \"start_time\": 1602500000, \"end_time\": 1602500001, \"in_progress\": true}",
     "in_progress"},
    {"{" BASE ", " TIMES ", \"fault\": \"yes\"}", "fault"},
    {"{" BASE ", " TIMES ", \"http\": {\"response\": {\"status\": \"500\"}}}",
     "http.response.status"},
    {"{" BASE ", " TIMES ", \"http\": {\"request\": {\"url\": 5}}}", "http.request.url"},
    {"{" BASE ", " TIMES ", \"annotations\": {\"a-b\": 1}}", "annotations"},
    {"{" BASE ", " TIMES ", \"annotations\": {\"a\": {\"x\": 1}}}", "annotations"},
    {"{" BASE ", " TIMES ", \"metadata\": 5}", "metadata"},
    {"{" BASE ", " TIMES ", \"cause\": 5}", "cause"},
    {"{" BASE ", " TIMES ", \"cause\": {\"exceptions\": [5]}}", "cause.exceptions"},
    {"{" BASE ", " TIMES ", \"namespace\": \"local\"}", "namespace"},
    {"{" BASE ", " TIMES ", \"type\": \"segment\"}", "type"},
    {"{" BASE ", " TIMES ", \"subsegments\": {}}", "subsegments"},
    {"{" BASE ", " TIMES ", \"subsegments\": [{\"name\": \"s\", \"id\": \"00000000000000bb\"}]}",
     "subsegments[0].start_time"},
    {"{" BASE ", " TIMES
     ", \"subsegments\": [{\"name\": \"s\", \"id\": \"00000000000000bb\", " TIMES
     ", \"subsegments\": [{\"name\": \"t\", \"id\": \"zz\", " TIMES "}]}]}",
     "subsegments[0].subsegments[0].id"},
};

static void test_malformed_documents_are_rejected_naming_the_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        struct st_xray_doc *d = NULL;
        struct st_error err = {{0}};
        int r = parse(bad_docs[i].json, &d, &err);
        if (r != -EINVAL || !strstr(err.message, bad_docs[i].names)) {
            fail_msg("case %zu (%s): got %d '%s', want -EINVAL naming '%s'", i, bad_docs[i].json, r,
                     err.message, bad_docs[i].names);
        }
        assert_null(d);
    }
}

static void test_escaped_strings_are_decoded(void **state)
{
    (void)state;
    struct st_xray_doc *d = NULL;
    assert_int_equal(parse("{\"n\\u0061me\": \"w\\\"\\u00e9\\ud83d\\ude00\\n\", "
                           "\"id\": \"00000000000000aa\", \"trace_id\": \"" TID "\", " TIMES
                           ", \"annotations\": {\"k\": \"a\\/b\"}}",
                           &d, NULL),
                     0);
    assert_string_equal(d->root.name, "w\"\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal(d->root.n_annotations, 1);
    assert_string_equal(d->root.annotations[0].s, "a/b");
    st_xray_doc_free(d);
}

static void test_repeated_members_keep_the_last_value(void **state)
{
    (void)state;
    struct st_xray_doc *d = NULL;
    assert_int_equal(parse("{" BASE ", " TIMES ", \"name\": \"second\", \"fault\": false,"
                           " \"fault\": true, \"annotations\": {\"a\": 1, \"a\": \"x\"},}",
                           &d, NULL),
                     0);
    assert_string_equal(d->root.name, "second");
    assert_true(d->root.fault);
    assert_int_equal(d->root.n_annotations, 1);
    assert_string_equal(d->root.annotations[0].s, "x");
    st_xray_doc_free(d);
}

static void test_malformed_json_is_rejected(void **state)
{
    (void)state;
    const char *bad[] = {
        "{" BASE ", \"start_time\": 1602500000., \"end_time\": 1602500001}",
        "{" BASE ", \"start_time\": 01602500000, \"end_time\": 1602500001}",
        "{" BASE ", " TIMES ", \"metadata\": {\"a\": [1, 2}}",
        "{" BASE ", " TIMES ", \"metadata\": {\"a\": \"\\x\"}}",
        "{" BASE ", " TIMES ", \"metadata\": {\"a\": tru}}",
        "{" BASE ", " TIMES ", \"metadata\": {\"a\": \"unterminated}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct st_xray_doc *d = NULL;
        struct st_error err = {{0}};
        if (parse(bad[i], &d, &err) != -EINVAL || !strstr(err.message, "not valid JSON")) {
            fail_msg("case %zu (%s): '%s'", i, bad[i], err.message);
        }
        assert_null(d);
    }
}

static void test_nesting_beyond_the_limit_is_rejected(void **state)
{
    (void)state;
    char *buf = malloc(ST_XRAY_MAX_DOC_BYTES);
    assert_non_null(buf);
    size_t n = (size_t)snprintf(buf, ST_XRAY_MAX_DOC_BYTES, "{" BASE ", " TIMES);
    int levels = ST_XRAY_MAX_DEPTH + 2;
    for (int i = 0; i < levels; i++) {
        n += (size_t)snprintf(buf + n, ST_XRAY_MAX_DOC_BYTES - n,
                              ", \"subsegments\": [{\"name\": \"s\", \"id\": \"%016x\", " TIMES,
                              i + 1);
    }
    for (int i = 0; i < levels; i++) {
        n += (size_t)snprintf(buf + n, ST_XRAY_MAX_DOC_BYTES - n, "}]");
    }
    n += (size_t)snprintf(buf + n, ST_XRAY_MAX_DOC_BYTES - n, "}");
    struct st_xray_doc *d = NULL;
    assert_int_equal(st_xray_segment_parse((const uint8_t *)buf, n, &d, NULL), -EINVAL);
    assert_null(d);
    free(buf);
}

static void test_documents_over_64k_are_rejected(void **state)
{
    (void)state;
    size_t n = ST_XRAY_MAX_DOC_BYTES + 1;
    uint8_t *buf = calloc(1, n);
    assert_non_null(buf);
    memset(buf, ' ', n);
    struct st_xray_doc *d = NULL;
    assert_int_equal(st_xray_segment_parse(buf, n, &d, NULL), -EMSGSIZE);
    free(buf);
}

static void test_datagram_header_is_checked(void **state)
{
    (void)state;
    const char *ok[] = {"{\"format\": \"json\", \"version\": 1}\n{}",
                        "{\"format\":\"json\",\"version\":1}\n{}",
                        "{ \"version\" : 1 ,\"format\": \"json\" }\n{}"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        const uint8_t *doc;
        size_t len;
        assert_int_equal(st_xray_datagram_body((const uint8_t *)ok[i], strlen(ok[i]), &doc, &len),
                         0);
        assert_int_equal(len, 2);
        assert_memory_equal(doc, "{}", 2);
    }
    const char *bad[] = {
        "not a header\n{}",
        "{\"format\": \"json\", \"version\": 2}\n{}",
        "{\"format\": \"xml\", \"version\": 1}\n{}",
        "{\"format\": \"json\", \"version\": \"1\"}\n{}",
        "{\"format\": \"json\", \"version\": 1}{}",
        "{\"format\": \"json\", \"version\": 1} x\n{}",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const uint8_t *doc;
        size_t len;
        assert_int_equal(st_xray_datagram_body((const uint8_t *)bad[i], strlen(bad[i]), &doc, &len),
                         -EBADMSG);
    }
}

/* A document with more objects and arrays than the parser notes the ends of (its metadata holds
 * hundreds) is read in full all the same: the members after them are found by scanning again. */
static void test_many_containers_are_read_in_full(void **state)
{
    (void)state;
    char doc[8192];
    int n = snprintf(doc, sizeof(doc),
                     "{\"name\": \"web\", \"id\": \"70de5b6f19ff9a0a\", \"trace_id\": \"" TID "\","
                     " \"start_time\": 1602500000.5, \"end_time\": 1602500001.25,"
                     " \"metadata\": {\"many\": [");
    for (int i = 0; i < 600; i++) {
        n += snprintf(doc + n, sizeof(doc) - (size_t)n, "%s{}", i ? "," : "");
    }
    snprintf(doc + n, sizeof(doc) - (size_t)n,
             "]}, \"http\": {\"response\": {\"status\": 429}},"
             " \"subsegments\": [{\"name\": \"db\", \"id\": \"0000000000000004\","
             " \"start_time\": 1602500000.6, \"end_time\": 1602500000.8,"
             " \"subsegments\": [{\"name\": \"inner\", \"id\": \"0000000000000005\","
             " \"start_time\": 1602500000.7, \"end_time\": 1602500000.75}]}]}");
    struct st_xray_doc *d = NULL;
    struct st_error err;
    assert_int_equal(parse(doc, &d, &err), 0);
    assert_int_equal(d->root.http.status, 429);
    assert_int_equal(d->root.n_subsegments, 1);
    assert_string_equal(d->root.subsegments[0].name, "db");
    assert_int_equal(d->root.subsegments[0].n_subsegments, 1);
    assert_string_equal(d->root.subsegments[0].subsegments[0].name, "inner");
    st_xray_doc_free(d);

    /* An error past them still names where it is. */
    char *bad = strstr(doc, "0000000000000005");
    memcpy(bad, "zz", 2);
    assert_int_equal(parse(doc, &d, &err), -EINVAL);
    assert_non_null(strstr(err.message, "subsegments[0].subsegments[0].id"));
}

static void test_ids_and_url_hosts(void **state)
{
    (void)state;
    int64_t epoch = 0;
    assert_true(st_xray_valid_trace_id(TID, strlen(TID), &epoch));
    assert_int_equal(epoch, 0x5f84c7a1);
    assert_false(st_xray_valid_trace_id("1-5f84c7a1_0123456789abcdef01234567", 35, NULL));
    assert_true(st_xray_valid_id("00ff00ff00ff00FF", 16));
    assert_false(st_xray_valid_id("00ff00ff00ff00f", 15));
    char host[64];
    assert_string_equal(st_xray_url_host("https://u:p@db.internal:5432/q?x", host, sizeof(host)),
                        "db.internal");
    assert_string_equal(st_xray_url_host("http://[::1]:80/", host, sizeof(host)), "[::1]");
    assert_string_equal(st_xray_url_host("api", host, sizeof(host)), "api");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_segment_fields_are_read),
        cmocka_unit_test(test_independent_subsegment_needs_parent_id),
        cmocka_unit_test(test_in_progress_segment_has_no_end),
        cmocka_unit_test(test_malformed_documents_are_rejected_naming_the_field),
        cmocka_unit_test(test_escaped_strings_are_decoded),
        cmocka_unit_test(test_repeated_members_keep_the_last_value),
        cmocka_unit_test(test_malformed_json_is_rejected),
        cmocka_unit_test(test_nesting_beyond_the_limit_is_rejected),
        cmocka_unit_test(test_documents_over_64k_are_rejected),
        cmocka_unit_test(test_datagram_header_is_checked),
        cmocka_unit_test(test_ids_and_url_hosts),
        cmocka_unit_test(test_many_containers_are_read_in_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
