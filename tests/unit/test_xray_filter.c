/* SPDX-License-Identifier: MIT */
/*
 * Table-driven tests of X-Ray filter expressions: which expressions match a hand-built trace
 * (keywords, annotations, service() and edge() with braces, operators, precedence) and which
 * are syntax errors, reported at their 1-based position.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stratus/xray_filter.h"

/*
 * The trace: client -> web (root, GET http://web.example/api/x, 500, 1.5 s, user alice,
 * annotations customer="c3", tier=2, beta=true, exception "timeout talking to db")
 * -> db.internal (inferred remote call, 0.8 s, 503 fault) and web -> auth (a service that sent
 * its own segment, 0.2 s, 429 throttle).
 */
static const struct st_xray_annotation ann[] = {
    {.key = "customer", .type = ST_XRAY_STRING, .s = "c3"},
    {.key = "tier", .type = ST_XRAY_NUMBER, .n = 2},
    {.key = "beta", .type = ST_XRAY_BOOL, .b = true},
    {.key = "off", .type = ST_XRAY_BOOL, .b = false},
};
static const struct st_xray_annotation *const ann_ptrs[] = {&ann[0], &ann[1], &ann[2], &ann[3]};
static const char *const users[] = {"alice"};
static const char *const messages[] = {"timeout talking to db"};

static struct st_xf_scope web_scope(void)
{
    return (struct st_xf_scope){
        .responsetime = 1.5,
        .duration = 1.5,
        .http_status = 500,
        .http_url = "http://web.example/api/x",
        .http_method = "GET",
        .http_useragent = "curl/8",
        .http_clientip = "10.1.2.3",
        .name = "web",
        .type = "AWS::EC2::Instance",
        .fault = true,
        .root = true,
        .first = true,
        .users = users,
        .n_users = 1,
        .messages = messages,
        .n_messages = 1,
        .annotations = ann_ptrs,
        .n_annotations = 4,
    };
}

struct fixture {
    struct st_xf_scope web, db_call, auth_seg, auth_call;
    struct st_xf_service services[3];
    struct st_xf_edge edges[2];
    struct st_xf_trace trace;
};

static void build(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->web = web_scope();
    f->db_call = (struct st_xf_scope){.responsetime = 0.8,
                                      .duration = 0.8,
                                      .http_status = 503,
                                      .http_url = "http://db.internal/q",
                                      .http_method = "POST",
                                      .name = "db.internal",
                                      .type = "remote",
                                      .fault = true,
                                      .inferred = true,
                                      .remote = true,
                                      .last = true};
    f->auth_seg = (struct st_xf_scope){.responsetime = 0.2,
                                       .duration = 0.2,
                                       .http_status = 429,
                                       .name = "auth",
                                       .throttle = true,
                                       .error = true,
                                       .last = true};
    f->auth_call = (struct st_xf_scope){.responsetime = 0.25,
                                        .duration = 0.25,
                                        .http_status = 429,
                                        .name = "auth",
                                        .throttle = true,
                                        .error = true,
                                        .remote = true};
    f->services[0] = (struct st_xf_service){"web", "AWS::EC2::Instance", &f->web, 1};
    f->services[1] = (struct st_xf_service){"db.internal", "remote", &f->db_call, 1};
    f->services[2] = (struct st_xf_service){"auth", NULL, &f->auth_seg, 1};
    f->edges[0] =
        (struct st_xf_edge){"web", "db.internal", "AWS::EC2::Instance", "remote", &f->db_call, 1};
    f->edges[1] = (struct st_xf_edge){"web", "auth", "AWS::EC2::Instance", NULL, &f->auth_call, 1};
    f->trace.trace = web_scope();
    f->trace.trace.duration = 1.6;
    f->trace.trace.error = f->trace.trace.throttle = true;
    f->trace.services = f->services;
    f->trace.n_services = 3;
    f->trace.edges = f->edges;
    f->trace.n_edges = 2;
}

struct match_case {
    const char *expr;
    bool want;
};

static const struct match_case matches[] = {
    {"fault", true},
    {"ok", false},
    {"!ok", true},
    {"NOT fault", false},
    {"error", true},
    {"throttle", true},
    {"fault = true", true},
    {"fault != true", false},
    {"partial", false},
    {"root", true},
    {"responsetime > 1", true},
    {"responsetime > 1.5", false},
    {"responsetime >= 1.5", true},
    {"responsetime < 2 AND duration <= 1.6", true},
    {"duration = 1.6", true},
    {"http.status = 500", true},
    {"http.status != 500", false},
    {"http.status >= 400 AND http.status < 500", false},
    {"http.url CONTAINS \"/api/\"", true},
    {"http.url BEGINSWITH \"http://web\"", true},
    {"http.url ENDSWITH \"/y\"", false},
    {"http.method = \"GET\"", true},
    {"http.method = 'GET'", true},
    {"http.useragent BEGINSWITH \"curl\"", true},
    {"http.clientip = \"10.1.2.3\"", true},
    {"user = \"alice\"", true},
    {"user = \"bob\"", false},
    {"user != \"bob\"", true},
    {"message CONTAINS \"timeout\"", true},
    {"name = \"web\"", true},
    {"type = \"AWS::EC2::Instance\"", true},
    {"annotation.customer = \"c3\"", true},
    {"annotation.customer = \"c4\"", false},
    {"annotation.customer BEGINSWITH \"c\"", true},
    {"annotation.tier > 1", true},
    {"annotation.tier = 2", true},
    {"annotation.tier = \"2\"", false},
    {"annotation.beta", true},
    {"annotation.beta = false", false},
    {"annotation.off", false},
    {"annotation.off = false", true},
    {"annotation.missing", false},
    {"annotation.missing != \"x\"", false},
    {"annotation[customer] = \"c3\"", true},
    {"annotation[customer] = \"c4\"", false},
    {"ANNOTATION[customer] ENDSWITH \"3\"", true},
    {"annotation[ tier ] > 1", true},
    {"annotation[tier] = \"2\"", false},
    {"annotation[beta]", true},
    {"annotation[beta]=false", false},
    {"annotation[off]", false},
    {"annotation[missing]", false},
    {"!annotation[off] && annotation[tier] = 2 && annotation.customer = \"c3\"", true},
    {"(annotation[customer] = \"c3\")", true},
    {"service(\"web\") { annotation[customer] BEGINSWITH \"c\" }", true},
    {"service(\"auth\") { annotation[customer] }", false},
    {"service(\"web\")", true},
    {"service(\"nope\")", false},
    {"service()", true},
    {"service(\"web\") AND fault", true},
    {"service(\"web\") { fault }", true},
    {"service(\"auth\") { fault }", false},
    {"service(\"auth\") { throttle AND http.status = 429 }", true},
    {"service(\"db.internal\") { inferred AND remote }", true},
    {"service(\"web\") { root AND responsetime > 1 }", true},
    {"service() { fault AND inferred }", true},
    {"service(id(name: \"web\", type: \"AWS::EC2::Instance\"))", true},
    {"service(id(name: \"web\", type: \"remote\"))", false},
    {"service(id(type: \"remote\")) { http.status = 503 }", true},
    {"edge(\"web\", \"db.internal\")", true},
    {"edge(\"db.internal\", \"web\")", false},
    {"edge(\"web\", \"db.internal\") { fault AND responsetime > 0.5 }", true},
    {"edge(\"web\", \"auth\") { fault }", false},
    {"edge(\"web\", \"auth\") { error AND remote }", true},
    {"edge(id(name: \"web\"), id(name: \"auth\")) { throttle }", true},
    {"fault OR ok AND partial", true},
    {"(fault OR ok) AND partial", false},
    {"ok OR fault AND error", true},
    {"NOT (ok OR partial)", true},
    {"!!fault", true},
    {"fault and error", true},
    {"FAULT && error || partial", true},
    {"service(\"web\") AND NOT service(\"nope\") AND annotation.customer = \"c3\"", true},
};

static void test_expressions_match_the_trace(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
        struct st_xray_filter *flt = NULL;
        struct st_error err = {{0}};
        const char *e = matches[i].expr;
        if (st_xray_filter_parse((const uint8_t *)e, strlen(e), &flt, &err) != 0) {
            fail_msg("'%s' did not parse: %s", e, err.message);
        }
        bool got = st_xray_filter_match(flt, &f.trace);
        st_xray_filter_free(flt);
        if (got != matches[i].want) {
            fail_msg("'%s': got %d, want %d", e, got, matches[i].want);
        }
    }
}

struct error_case {
    const char *expr;
    size_t position;
};

static const struct error_case errors[] = {
    {"", 1},
    {"   ", 4},
    {"fault AND", 10},
    {"fault AND AND ok", 11},
    {"(fault", 7},
    {"fault)", 6},
    {"bogus", 1},
    {"http.status = \"500\"", 15},
    {"http.status CONTAINS 5", 22},
    {"http.url > \"a\"", 10},
    {"http.url", 9},
    {"fault > true", 7},
    {"fault = 3", 7},
    {"responsetime >", 15},
    {"annotation.k CONTAINS 5", 14},
    {"annotation.k < true", 14},
    {"user = \"unterminated", 8},
    {"service(\"web\" AND", 15},
    {"service(\"web\") { fault", 23},
    {"service(web)", 9},
    {"edge(\"a\")", 9},
    {"edge(\"a\", )", 11},
    {"fault & error", 7},
    {"fault | error", 7},
    {"fault ^ error", 7},
    {"responsetime > 1x", 16},
    {"fault error", 7},
    {"service(id(nam: \"a\"))", 12},
    {"annotation", 1},
    {"annotation [customer]", 1},
    {"annotation[", 12},
    {"annotation[]", 12},
    {"annotation[ ] = 1", 13},
    {"annotation[customer", 20},
    {"annotation[cust.omer] = 1", 16},
    {"annotation[\"customer\"] = 1", 12},
    {"annotation[customer] CONTAINS 5", 22},
    {"annotation[k] <", 16},
    {"[customer] = 1", 1},
    {"annotation[tier] = annotation.tier", 20},
};

static void test_syntax_errors_give_their_position(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct st_xray_filter *flt = NULL;
        struct st_error err = {{0}};
        const char *e = errors[i].expr;
        int r = st_xray_filter_parse((const uint8_t *)e, strlen(e), &flt, &err);
        char want[32];
        snprintf(want, sizeof(want), "at position %zu", errors[i].position);
        if (r != -EINVAL || !strstr(err.message, want) ||
            strcmp(err.code, "InvalidRequestException") != 0) {
            fail_msg("'%s': got %d '%s', want -EINVAL '%s'", e, r, err.message, want);
        }
        assert_null(flt);
    }
}

static void test_nesting_and_length_are_capped(void **state)
{
    (void)state;
    char buf[ST_XRAY_FILTER_MAX_BYTES + 2];
    size_t n = 0;
    for (; n < 200; n++) {
        buf[n] = '(';
    }
    memcpy(buf + n, "fault", 5);
    n += 5;
    for (size_t i = 0; i < 200; i++) {
        buf[n++] = ')';
    }
    struct st_xray_filter *flt = NULL;
    struct st_error err;
    assert_int_equal(st_xray_filter_parse((const uint8_t *)buf, n, &flt, &err), -EINVAL);
    assert_non_null(strstr(err.message, "nests too deep"));
    memset(buf, ' ', sizeof(buf));
    assert_int_equal(st_xray_filter_parse((const uint8_t *)buf, sizeof(buf), &flt, &err), -EINVAL);
    assert_non_null(strstr(err.message, "longer than"));
}

static void test_absent_values_never_compare(void **state)
{
    (void)state;
    struct st_xf_trace t = {.trace = {.responsetime = NAN, .duration = NAN}};
    const char *exprs[] = {"responsetime < 1", "responsetime != 1", "http.status != 500",
                           "http.url != \"x\"", "user = \"a\""};
    for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
        struct st_xray_filter *flt = NULL;
        assert_int_equal(
            st_xray_filter_parse((const uint8_t *)exprs[i], strlen(exprs[i]), &flt, NULL), 0);
        assert_false(st_xray_filter_match(flt, &t));
        st_xray_filter_free(flt);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expressions_match_the_trace),
        cmocka_unit_test(test_syntax_errors_give_their_position),
        cmocka_unit_test(test_nesting_and_length_are_capped),
        cmocka_unit_test(test_absent_values_never_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
