/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer whose bytes match Python's json.dumps(obj, indent=4,
 * ensure_ascii=False), which is what the aws CLI prints: four-space indent, ", " never (items
 * end the line), `"key": value`, empty containers as [] and {}, floats as Python's repr (4.0,
 * 12.5, 1e-05, 1e+16), control characters escaped and other bytes written as they are. The
 * writer borrows the FILE for its lifetime; write errors show up through ferror(f).
 */
#ifndef STRATUS_CLI_JSON_WRITER_H
#define STRATUS_CLI_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ST_JSON_MAX_DEPTH 32

struct st_json_writer {
    FILE *f;
    unsigned depth;
    bool has_items[ST_JSON_MAX_DEPTH];
    bool after_key;
};

void st_json_writer_init(struct st_json_writer *w, FILE *f);

/* Containers nest at most ST_JSON_MAX_DEPTH deep (a programmer error beyond). */
void st_json_begin_object(struct st_json_writer *w);
void st_json_end_object(struct st_json_writer *w);
void st_json_begin_array(struct st_json_writer *w);
void st_json_end_array(struct st_json_writer *w);
/* Inside an object: the next value belongs to key. */
void st_json_key(struct st_json_writer *w, const char *key);
void st_json_string(struct st_json_writer *w, const char *s);
void st_json_double(struct st_json_writer *w, double v);
void st_json_int(struct st_json_writer *w, int64_t v);
void st_json_bool(struct st_json_writer *w, bool v);
/* Ends the document with a newline, as the aws CLI does. */
void st_json_end(struct st_json_writer *w);

/*
 * Formats v as Python's repr(float) does: the shortest digits that read back as v, fixed
 * notation for exponents -4 .. 15 (with ".0" when integral), else "1.5e-05" / "1e+16";
 * NaN, Infinity and -Infinity as json.dumps writes them. buf needs 32 bytes.
 */
void st_json_format_double(double v, char *buf, size_t len);

#endif
