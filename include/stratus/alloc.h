/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers used by libstratus, so that fuzz targets and tests can inject allocation
 * failures (OOM) deterministically. With no failure armed they are malloc/calloc/realloc/free.
 */
#ifndef STRATUS_ALLOC_H
#define STRATUS_ALLOC_H

#include <stddef.h>

void *st_malloc(size_t n);
void *st_calloc(size_t nmemb, size_t n);
void *st_realloc(void *p, size_t n);
void st_free(void *p);
char *st_strdup(const char *s);
char *st_strndup(const char *s, size_t n);

/*
 * Test hook: the n-th allocation from now (1 = the next one) and every later one fail until
 * st_alloc_fail_disarm() is called. Not thread-safe; tests and fuzzers only.
 */
void st_alloc_fail_after(unsigned long n);
void st_alloc_fail_disarm(void);

#endif
