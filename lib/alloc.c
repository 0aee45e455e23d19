/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with a failure-injection hook for tests and fuzzers (see alloc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "stratus/alloc.h"

static unsigned long fail_countdown; /* 0: disarmed */
static int failing;

static int should_fail(void)
{
    if (failing) {
        return 1;
    }
    if (fail_countdown == 0) {
        return 0;
    }
    if (--fail_countdown == 0) {
        failing = 1;
        return 1;
    }
    return 0;
}

void st_alloc_fail_after(unsigned long n)
{
    fail_countdown = n;
    failing = 0;
}

void st_alloc_fail_disarm(void)
{
    fail_countdown = 0;
    failing = 0;
}

void *st_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

void *st_calloc(size_t nmemb, size_t n)
{
    return should_fail() ? NULL : calloc(nmemb, n);
}

void *st_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

void st_free(void *p)
{
    free(p);
}

char *st_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = st_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *st_strdup(const char *s)
{
    return st_strndup(s, strlen(s));
}
