/* SPDX-License-Identifier: MIT */
/*
 * Tests of list-metrics resume tokens (cli/paging_token.h): they round-trip, read the aws CLI's
 * own tokens, and pass the collector's raw tokens through untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../cli/paging_token.h"
#include "stratus/alloc.h"

struct fixture {
    char *encoded;
    struct st_paging_token tok;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return f ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_disarm();
    st_free(f->encoded);
    st_paging_token_fini(&f->tok);
    free(f);
    return 0;
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_paging_token_encode("abc/def==", 7, &f->encoded), 0);
    assert_int_equal(st_paging_token_decode(f->encoded, &f->tok), 0);
    assert_string_equal(f->tok.next_token, "abc/def==");
    assert_int_equal(f->tok.skip, 7);
}

static void test_page_boundary_token_is_what_botocore_writes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_paging_token_encode("xyz", 0, &f->encoded), 0);
    /* base64 of { "NextToken": "xyz" } */
    assert_string_equal(f->encoded, "eyAiTmV4dFRva2VuIjogInh5eiIgfQ==");
    assert_int_equal(st_paging_token_decode(f->encoded, &f->tok), 0);
    assert_string_equal(f->tok.next_token, "xyz");
    assert_int_equal(f->tok.skip, 0);
}

static void test_round_trip_from_the_first_page(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_paging_token_encode(NULL, 2, &f->encoded), 0);
    assert_int_equal(st_paging_token_decode(f->encoded, &f->tok), 0);
    assert_null(f->tok.next_token);
    assert_int_equal(f->tok.skip, 2);
}

static void test_reads_aws_cli_token(void **state)
{
    struct fixture *f = *state;
    /* base64 of {"NextToken": "xyz", "boto_truncate_amount": 3}, as botocore writes it. */
    assert_int_equal(st_paging_token_decode("eyJOZXh0VG9rZW4iOiAieHl6IiwgImJvdG9fdHJ1bmNhdGVfYW1v"
                                            "dW50IjogM30=",
                                            &f->tok),
                     0);
    assert_string_equal(f->tok.next_token, "xyz");
    assert_int_equal(f->tok.skip, 3);
}

static void test_raw_token_passes_through(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_paging_token_decode("c2VyaWVzOjEyMzQ=", &f->tok), 0); /* "series:1234" */
    assert_string_equal(f->tok.next_token, "c2VyaWVzOjEyMzQ=");
    assert_int_equal(f->tok.skip, 0);
}

static void test_json_with_other_keys_is_raw(void **state)
{
    struct fixture *f = *state;
    /* base64 of {"a": 1} */
    assert_int_equal(st_paging_token_decode("eyJhIjogMX0=", &f->tok), 0);
    assert_string_equal(f->tok.next_token, "eyJhIjogMX0=");
}

static void test_not_base64_is_raw(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_paging_token_decode("not base64!", &f->tok), 0);
    assert_string_equal(f->tok.next_token, "not base64!");
}

static void test_decode_survives_allocation_failure(void **state)
{
    struct fixture *f = *state;
    int rc = -ENOMEM;
    for (unsigned long k = 1; rc == -ENOMEM; k++) {
        assert_true(k < 20);
        st_alloc_fail_after(k);
        rc = st_paging_token_decode("eyJOZXh0VG9rZW4iOiAieHl6IiwgImJvdG9fdHJ1bmNhdGVfYW1vdW50Ijog"
                                    "M30=",
                                    &f->tok);
        st_alloc_fail_disarm();
    }
    assert_int_equal(rc, 0);
    assert_string_equal(f->tok.next_token, "xyz");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_boundary_token_is_what_botocore_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_from_the_first_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_aws_cli_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_token_passes_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_with_other_keys_is_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_base64_is_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_survives_allocation_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
