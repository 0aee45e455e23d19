/* SPDX-License-Identifier: MIT */
/*
 * Filling the caller's struct st_error (see error.h). Both fields are fixed-size arrays, so this
 * never allocates and is safe on every failure path, OOM included; text that does not fit is cut
 * short, always NUL-terminated.
 */
#include <stdarg.h>
#include <stdio.h>

#include "stratus/error.h"

int st_error_set(struct st_error *err, int ret, const char *code, const char *fmt, ...)
{
    if (!err) {
        return ret;
    }
    snprintf(err->code, sizeof(err->code), "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return ret;
}
