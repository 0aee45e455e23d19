/* SPDX-License-Identifier: MIT */
/*
 * The Python-compatible JSON writer (see json_writer.h). The one subtle part is the float
 * format: the aws CLI prints floats through Python's repr, so 4 prints as 4.0 and 1e16 as
 * 1e+16; st_json_format_double rebuilds that from the shortest round-tripping %e form.
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

void st_json_writer_init(struct st_json_writer *w, FILE *f)
{
    *w = (struct st_json_writer){.f = f};
}

static void indent(struct st_json_writer *w)
{
    fputc('\n', w->f);
    for (unsigned i = 0; i < w->depth; i++) {
        fputs("    ", w->f);
    }
}

/* Separates an item from the one before it and puts it on its own line. */
static void before_value(struct st_json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0) {
        return;
    }
    if (w->has_items[w->depth - 1]) {
        fputc(',', w->f);
    }
    w->has_items[w->depth - 1] = true;
    indent(w);
}

static void open_container(struct st_json_writer *w, char c)
{
    before_value(w);
    assert(w->depth < ST_JSON_MAX_DEPTH);
    fputc(c, w->f);
    w->has_items[w->depth++] = false;
}

static void close_container(struct st_json_writer *w, char c)
{
    assert(w->depth > 0);
    w->depth--;
    if (w->has_items[w->depth]) {
        indent(w);
    }
    fputc(c, w->f);
}

void st_json_begin_object(struct st_json_writer *w)
{
    open_container(w, '{');
}

void st_json_end_object(struct st_json_writer *w)
{
    close_container(w, '}');
}

void st_json_begin_array(struct st_json_writer *w)
{
    open_container(w, '[');
}

void st_json_end_array(struct st_json_writer *w)
{
    close_container(w, ']');
}

static void quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

void st_json_key(struct st_json_writer *w, const char *key)
{
    before_value(w);
    quoted(w->f, key);
    fputs(": ", w->f);
    w->after_key = true;
}

void st_json_string(struct st_json_writer *w, const char *s)
{
    before_value(w);
    quoted(w->f, s);
}

void st_json_double(struct st_json_writer *w, double v)
{
    char buf[32];
    st_json_format_double(v, buf, sizeof(buf));
    before_value(w);
    fputs(buf, w->f);
}

void st_json_int(struct st_json_writer *w, int64_t v)
{
    before_value(w);
    fprintf(w->f, "%" PRId64, v);
}

void st_json_bool(struct st_json_writer *w, bool v)
{
    before_value(w);
    fputs(v ? "true" : "false", w->f);
}

void st_json_end(struct st_json_writer *w)
{
    assert(w->depth == 0);
    fputc('\n', w->f);
}

void st_json_format_double(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (v == 0) {
        snprintf(buf, len, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* The fewest significant digits that read back as v: "-d.ddde+XX". */
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, v);
        if (strtod(e, NULL) == v) {
            break;
        }
    }
    const char *p = e;
    bool neg = *p == '-';
    p += neg;
    char digits[24];
    size_t nd = 0;
    for (; *p != 'e'; p++) {
        if (*p != '.') {
            digits[nd++] = *p;
        }
    }
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
    digits[nd] = '\0';
    int exp10 = atoi(p + 1);
    int decpt = exp10 + 1; /* v = 0.digits x 10^decpt */

    char out[40];
    size_t o = 0;
    if (neg) {
        out[o++] = '-';
    }
    if (decpt <= -4 || decpt > 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        snprintf(out + o, sizeof(out) - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (decpt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -decpt; i++) {
            out[o++] = '0';
        }
        memcpy(out + o, digits, nd + 1);
    } else if ((size_t)decpt >= nd) {
        memcpy(out + o, digits, nd);
        o += nd;
        for (size_t i = nd; i < (size_t)decpt; i++) {
            out[o++] = '0';
        }
        memcpy(out + o, ".0", 3);
    } else {
        memcpy(out + o, digits, (size_t)decpt);
        o += (size_t)decpt;
        out[o++] = '.';
        memcpy(out + o, digits + decpt, nd - (size_t)decpt + 1);
    }
    snprintf(buf, len, "%s", out);
}
