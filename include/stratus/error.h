/* SPDX-License-Identifier: MIT */
/*
 * Error detail for humans. Functions that can fail return 0 or a negative errno and may take an
 * optional final `struct st_error *err` (NULL allowed) that receives an AWS-shaped error code
 * (InvalidParameterValue, MissingParameter, ...) and a message. The struct is caller-owned and
 * fixed-size, so filling it never allocates.
 */
#ifndef STRATUS_ERROR_H
#define STRATUS_ERROR_H

#include <stddef.h>

#define ST_ERROR_CODE_MAX    64
#define ST_ERROR_MESSAGE_MAX 512

struct st_error {
    char code[ST_ERROR_CODE_MAX];
    char message[ST_ERROR_MESSAGE_MAX];
};

/* AWS error codes used across the project. */
#define ST_ERR_INVALID_PARAMETER_VALUE       "InvalidParameterValue"
#define ST_ERR_MISSING_PARAMETER             "MissingParameter"
#define ST_ERR_INVALID_PARAMETER_COMBINATION "InvalidParameterCombination"
#define ST_ERR_LIMIT_EXCEEDED                "LimitExceeded"
#define ST_ERR_INTERNAL_FAILURE              "InternalServiceError"
#define ST_ERR_RESOURCE_NOT_FOUND            "ResourceNotFound"
#define ST_ERR_INVALID_NEXT_TOKEN            "InvalidNextToken"

/*
 * Fills err (if not NULL) with code and a printf-style message, truncating as needed, and
 * returns ret so that callers can write `return st_error_set(err, -EINVAL, ...)`.
 */
int st_error_set(struct st_error *err, int ret, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
