/* SPDX-License-Identifier: MIT */
/*
 * What the metric sources share: paths under the configured root, a line reader over a file under
 * it that works through a fixed buffer the caller owns (no allocation; bounded however long the
 * file or its lines are), splitting a line into blank-separated fields through st_cursor, strict
 * decimal and hexadecimal numbers, and the section's "resources" as a name filter. The files read
 * are the kernel's, but a source treats them as outside bytes: every parse is bounded and fails
 * rather than guess.
 */
#ifndef STRATUS_AGENT_PROC_READ_H
#define STRATUS_AGENT_PROC_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"
#include "stratus/cursor.h"

#define ST_PROC_PATH_MAX 4096

/*
 * Normalises cfg->root for joining: NULL, "" and "/" become "", and trailing slashes go. Returns
 * 0 and a heap string (the caller frees it with st_free) in *ret_root, -ENAMETOOLONG or -ENOMEM.
 */
int st_proc_root_dup(const char *root, char **ret_root);

/* Writes root + path into buf (size bytes). Returns 0 or -ENAMETOOLONG. */
int st_proc_path(char *buf, size_t size, const char *root, const char *path);

/*
 * A file read line by line through buf. Lines longer than the buffer are skipped whole (counted
 * in `overlong`); a last line without '\n' is returned as it is.
 */
struct st_proc_reader {
    int fd;
    char *buf;
    size_t cap;
    size_t pos; /* first byte not yet returned */
    size_t len; /* bytes held in buf */
    bool eof;
    bool skipping; /* inside an overlong line, discarding up to its '\n' */
    unsigned overlong;
    int *kept;    /* st_proc_open_kept's fd slot, or NULL: then fd is closed at close */
    uint64_t off; /* where the next pread reads (kept files) */
};

/*
 * Opens root + path for reading into buf (cap bytes, at least 2; borrowed until close). Returns
 * 0 or a negative errno (-ENOENT when the file is not there).
 */
int st_proc_open(struct st_proc_reader *r, const char *root, const char *path, char *buf,
                 size_t cap);
/* The same for a path relative to an open directory. */
int st_proc_openat(struct st_proc_reader *r, int dirfd, const char *path, char *buf, size_t cap);

/*
 * As st_proc_open, for a file read at every collection. *kept_fd (-1 the first time) holds the
 * file's fd between calls when it is on procfs, whose files are generated afresh by a read from
 * offset 0: later calls read it with pread from 0, with no open or close. Any other file (a
 * fixture tree, which a test may swap between collections) is opened each time. The fd in
 * *kept_fd is the caller's, to close with st_proc_kept_close at fini; a read error closes it
 * (the next call opens the file again).
 */
int st_proc_open_kept(struct st_proc_reader *r, int *kept_fd, const char *root, const char *path,
                      char *buf, size_t cap);
/* Closes a kept fd and sets it to -1; a no-op on -1. */
void st_proc_kept_close(int *kept_fd);

/*
 * Returns 1 and the next line (without its '\n') in *ret_line, pointing into the buffer and
 * valid until the next call; 0 at the end of the file; or a negative errno from read().
 */
int st_proc_next_line(struct st_proc_reader *r, struct st_cursor *ret_line);

/* Closes the file; safe on a reader that failed to open or was closed already. */
void st_proc_close(struct st_proc_reader *r);

/*
 * Reads a whole small file (relative to dirfd, or absolute) into buf. Returns 0 and the length
 * in *ret_len, -EFBIG when it does not fit in cap bytes, or a negative errno.
 */
int st_proc_read_at(int dirfd, const char *path, char *buf, size_t cap, size_t *ret_len);

/*
 * Skips blanks (space, tab, '\r', '\n') and takes the following run of other bytes into *ret_field.
 * Returns 0, or -EBADMSG when only blanks are left.
 */
int st_proc_field(struct st_cursor *c, struct st_cursor *ret_field);
/* Strict unsigned decimal (digits only, no sign, no overflow): 0, -EBADMSG or -ERANGE. */
int st_proc_parse_u64(const struct st_cursor *field, uint64_t *ret);
/* Strict hexadecimal with an optional "0x": 0, -EBADMSG or -ERANGE. */
int st_proc_parse_hex(const struct st_cursor *field, uint64_t *ret);
/* st_proc_field then st_proc_parse_u64. */
int st_proc_field_u64(struct st_cursor *c, uint64_t *ret);
/* Whether the field's bytes are exactly s. */
bool st_proc_field_eq(const struct st_cursor *field, const char *s);
/* Copies the field into dst as a C string. Returns 0, or -ENAMETOOLONG if it does not fit. */
int st_proc_field_copy(const struct st_cursor *field, char *dst, size_t size);

/*
 * Parses a /proc/meminfo line, "Key:   123 kB" (or without the unit), into the key (without
 * the colon) and the value, multiplied by 1024 when the unit is kB. Returns 0, -EBADMSG (not of
 * that shape, or another unit) or -ERANGE.
 */
int st_proc_meminfo_line(struct st_cursor *line, struct st_cursor *ret_key, uint64_t *ret_value);

/*
 * A section's "resources" as a filter on names (cpu0, /, sda, eth0). It matches every name when
 * the section has "*" (all_resources) or lists nothing; otherwise a name matches when one of the
 * listed entries does, as an fnmatch(3) pattern (a plain name matches only itself).
 */
struct st_proc_filter {
    bool all;
    size_t n;
    char **names;
};

/* Copies the resources of cfg. Returns 0 or -ENOMEM. */
int st_proc_filter_init(struct st_proc_filter *f, const struct st_source_config *cfg);
bool st_proc_filter_match(const struct st_proc_filter *f, const char *name);
/* Explicitly listed, as opposed to matched by "*" or an empty list. */
bool st_proc_filter_explicit(const struct st_proc_filter *f);
void st_proc_filter_fini(struct st_proc_filter *f);

/*
 * The previous readings of named devices (disks, interfaces), for per-interval deltas. A
 * collection brackets its lookups with begin and end; end forgets the devices that were not
 * seen, so a device that comes back starts over. Lookups in the file's order cost O(1) each.
 */
#define ST_PROC_DEV_NAME   32
#define ST_PROC_DEV_VALUES 8
#define ST_PROC_DEV_MAX    4096

struct st_proc_dev {
    char name[ST_PROC_DEV_NAME];
    uint64_t v[ST_PROC_DEV_VALUES];
    bool has_prev; /* v holds the previous collection's reading */
    bool seen;     /* looked up in this collection */
    bool selected; /* the source's to set when the device is new */
};

struct st_proc_devs {
    struct st_proc_dev *devs;
    size_t n, cap;
    size_t hint; /* where the next lookup looks first */
};

void st_proc_devs_begin(struct st_proc_devs *t);
/*
 * The device called name (shorter than ST_PROC_DEV_NAME), added with has_prev false and
 * *ret_new set when unknown. The pointer lives until the next lookup. Returns 0, -EEXIST when it
 * was looked up already in this collection, -E2BIG past ST_PROC_DEV_MAX devices, -ENOMEM, or
 * -ENAMETOOLONG.
 */
int st_proc_devs_get(struct st_proc_devs *t, const char *name, struct st_proc_dev **ret_dev,
                     bool *ret_new);
void st_proc_devs_end(struct st_proc_devs *t);
void st_proc_devs_fini(struct st_proc_devs *t);

/* The change from prev to cur of a counter, or false when it went backwards (a reset). */
static inline bool st_proc_delta(uint64_t cur, uint64_t prev, uint64_t *ret)
{
    if (cur < prev) {
        return false;
    }
    *ret = cur - prev;
    return true;
}

#endif
