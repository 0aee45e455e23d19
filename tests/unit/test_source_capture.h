/* SPDX-License-Identifier: MIT */
/*
 * What the metric source tests share (header-only, included by tests/unit/test_source_*.c): an
 * emitter that records what a source emits, lookups over the records, and a temporary root that
 * is a symlink to a fixture tree of tests/data (found through STRATUS_TEST_DATA) and can be
 * pointed at another tree between two collections, so a source sees "the same host" move from
 * one snapshot to the next.
 */
#ifndef STRATUS_TEST_SOURCE_CAPTURE_H
#define STRATUS_TEST_SOURCE_CAPTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"
#include "stratus/alloc.h"

#define CAP_MAX_RECORDS 1024
#define CAP_MAX_DIMS    4

struct cap_record {
    char measurement[64];
    enum st_unit unit;
    double value;
    size_t n_dims;
    char dim_name[CAP_MAX_DIMS][32];
    char dim_value[CAP_MAX_DIMS][256];
};

struct capture {
    struct st_emitter e;
    size_t n;
    bool overflow;
    struct cap_record rec[CAP_MAX_RECORDS];
};

static inline void cap_emit(struct st_emitter *e, const char *measurement, enum st_unit unit,
                            double value, const struct st_dim_kv *dims, size_t n_dims)
{
    struct capture *c = (struct capture *)e;
    if (c->n == CAP_MAX_RECORDS || n_dims > CAP_MAX_DIMS) {
        c->overflow = true;
        return;
    }
    struct cap_record *r = &c->rec[c->n++];
    snprintf(r->measurement, sizeof(r->measurement), "%s", measurement);
    r->unit = unit;
    r->value = value;
    r->n_dims = n_dims;
    for (size_t i = 0; i < n_dims; i++) {
        snprintf(r->dim_name[i], sizeof(r->dim_name[i]), "%s", dims[i].name);
        snprintf(r->dim_value[i], sizeof(r->dim_value[i]), "%s", dims[i].value);
    }
}

static inline void cap_reset(struct capture *c)
{
    c->e.emit = cap_emit;
    c->n = 0;
    c->overflow = false;
}

/* The value of dimension `name` in r, or NULL. */
static inline const char *cap_dim(const struct cap_record *r, const char *name)
{
    for (size_t i = 0; i < r->n_dims; i++) {
        if (strcmp(r->dim_name[i], name) == 0) {
            return r->dim_value[i];
        }
    }
    return NULL;
}

/* The record of `measurement` whose dimension dim_name is dim_value (NULL: any), or NULL. */
static inline const struct cap_record *cap_find(const struct capture *c, const char *measurement,
                                                const char *dim_name, const char *dim_value)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct cap_record *r = &c->rec[i];
        if (strcmp(r->measurement, measurement) != 0) {
            continue;
        }
        if (dim_name) {
            const char *v = cap_dim(r, dim_name);
            if (!v || strcmp(v, dim_value) != 0) {
                continue;
            }
        }
        return r;
    }
    return NULL;
}

/* How many records have dimension dim_name = dim_value (dim_name NULL: all records). */
static inline size_t cap_count_dim(const struct capture *c, const char *dim_name,
                                   const char *dim_value)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *v = dim_name ? cap_dim(&c->rec[i], dim_name) : "";
        if (v && (!dim_name || strcmp(v, dim_value) == 0)) {
            n++;
        }
    }
    return n;
}

/* How many records are of `measurement`. */
static inline size_t cap_count(const struct capture *c, const char *measurement)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        n += strcmp(c->rec[i].measurement, measurement) == 0;
    }
    return n;
}

static inline void assert_double_near_(double got, double want, double tol, const char *what,
                                       const char *file, int line)
{
    if (!(fabs(got - want) <= tol)) {
        fail_msg("%s:%d: %s: got %.12g, want %.12g (tolerance %g)", file, line, what, got, want,
                 tol);
    }
}
#define assert_double_near(got, want, tol)                                                         \
    assert_double_near_((got), (want), (tol), #got, __FILE__, __LINE__)

/* Asserts a record exists and returns its value. */
static inline double cap_value_(const struct capture *c, const char *measurement,
                                const char *dim_name, const char *dim_value, const char *file,
                                int line)
{
    const struct cap_record *r = cap_find(c, measurement, dim_name, dim_value);
    if (!r) {
        fail_msg("%s:%d: no %s%s%s%s emitted", file, line, measurement, dim_name ? " " : "",
                 dim_name ? dim_name : "", dim_name ? "=..." : "");
    }
    return r->value;
}
#define cap_value(c, m, dn, dv) cap_value_((c), (m), (dn), (dv), __FILE__, __LINE__)

/* A temporary directory whose "root" entry is a symlink to a fixture tree. */
struct fixture_root {
    char dir[PATH_MAX];
    char root[PATH_MAX];
};

/* STRATUS_TEST_DATA, or tests/data from the current directory; absolute, for symlinks. */
static inline const char *test_data_dir(void)
{
    static char resolved[PATH_MAX];
    const char *d = getenv("STRATUS_TEST_DATA");
    if (!realpath(d && *d ? d : "tests/data", resolved)) {
        return "/nonexistent-test-data";
    }
    return resolved;
}

/* Points root at tests/data/<tree> (replacing what it pointed at). Returns 0 or -1. */
static inline int fixture_point(struct fixture_root *f, const char *tree)
{
    char target[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(target, sizeof(target), "%s/%s", test_data_dir(), tree) >= (int)sizeof(target)) {
        return -1;
    }
    if (snprintf(tmp, sizeof(tmp), "%s/root.new", f->dir) >= (int)sizeof(tmp)) {
        return -1;
    }
    unlink(tmp);
    if (symlink(target, tmp) < 0 || rename(tmp, f->root) < 0) {
        return -1;
    }
    return 0;
}

static inline int fixture_setup(struct fixture_root *f, const char *tree)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/stratus-source-XXXXXX");
    if (!mkdtemp(f->dir)) {
        return -1;
    }
    if (snprintf(f->root, sizeof(f->root), "%s/root", f->dir) >= (int)sizeof(f->root)) {
        return -1;
    }
    return fixture_point(f, tree);
}

static inline void fixture_teardown(struct fixture_root *f)
{
    if (f->dir[0]) {
        unlink(f->root);
        rmdir(f->dir);
    }
}

/* A plain config for a source: every resource, totalcpu, no percpu. */
static inline void config_default(struct st_source_config *cfg, const char *root)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->root = root;
    cfg->all_resources = true;
    cfg->totalcpu = true;
}

static inline void config_add_resource(struct st_source_config *cfg, const char *name)
{
    snprintf(cfg->resources[cfg->n_resources++], ST_SOURCE_NAME_MAX, "%s", name);
    cfg->all_resources = false;
}

/* A source started on the real system (root "/") and an empty capture for it. */
static inline void *real_source_init(const struct st_source_ops *ops, struct capture **ret_cap)
{
    struct capture *cap = calloc(1, sizeof(*cap));
    assert_non_null(cap);
    cap_reset(cap);
    struct st_source_config cfg;
    config_default(&cfg, "/");
    void *st;
    assert_int_equal(ops->init(&cfg, &st), 0);
    *ret_cap = cap;
    return st;
}

/* The test state most files use: a fixture root, a capture, a config and the source. */
struct source_test {
    const struct st_source_ops *ops;
    struct fixture_root fx;
    struct st_source_config cfg;
    struct capture *cap;
    void *state;
};

static inline struct source_test *source_test_new(const struct st_source_ops *ops, const char *tree)
{
    struct source_test *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->ops = ops;
    t->cap = calloc(1, sizeof(*t->cap));
    if (!t->cap || fixture_setup(&t->fx, tree) < 0) {
        free(t->cap);
        free(t);
        return NULL;
    }
    cap_reset(t->cap);
    config_default(&t->cfg, t->fx.root);
    return t;
}

static inline void source_test_free(struct source_test *t)
{
    if (!t) {
        return;
    }
    if (t->state) {
        t->ops->fini(t->state);
    }
    fixture_teardown(&t->fx);
    free(t->cap);
    free(t);
}

/* init with t->cfg (adjusted by the test first). */
static inline int source_test_init(struct source_test *t)
{
    return t->ops->init(&t->cfg, &t->state);
}

/* Points the root at tree, clears the capture and collects once. Returns what collect did. */
static inline int source_test_collect(struct source_test *t, const char *tree)
{
    if (tree && fixture_point(&t->fx, tree) < 0) {
        fail_msg("cannot point the root at %s", tree);
    }
    cap_reset(t->cap);
    return t->ops->collect(t->state, &t->cap->e);
}

static inline int source_setup(void **state, const struct st_source_ops *ops)
{
    struct source_test *t = source_test_new(ops, "proc-a");
    if (!t) {
        return -1;
    }
    *state = t;
    return 0;
}

static inline int source_teardown(void **state)
{
    source_test_free(*state);
    return 0;
}

static inline uint64_t rnd(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed >> 33;
}

/* Reads tests/data/proc-a/<rel> into a malloc'd buffer (empty if absent). */
static inline char *read_fixture(const char *rel, size_t *ret_len)
{
    char path[PATH_MAX];
    char *buf = malloc(1);
    size_t len = 0;
    *ret_len = 0;
    if (!buf ||
        snprintf(path, sizeof(path), "%s/proc-a/%s", test_data_dir(), rel) >= (int)sizeof(path)) {
        return buf;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return buf;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        char *grown = realloc(buf, len + n + 1);
        if (!grown) {
            break;
        }
        buf = grown;
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    *ret_len = len;
    return buf;
}

/*
 * Writes to dir/rel either pseudo-random bytes or a mutant of proc-a's file of that name (bytes
 * replaced, cut short, garbage inserted, lines repeated), creating directories on the way.
 * Returns 0 or -1.
 */
static inline int write_mutant(const char *dir, const char *rel, uint64_t *seed, int round)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path)) {
        return -1;
    }
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    static const char alphabet[] = "0123456789 \n\t:()/abcdefxXRSDZ|cpu-\\0";
    size_t base_len;
    char *base = read_fixture(rel, &base_len);
    if (!base) {
        return -1;
    }
    size_t cap = base_len * 2 + 50000;
    char *out = malloc(cap);
    if (!out) {
        free(base);
        return -1;
    }
    size_t len = 0;
    uint64_t mode = base_len ? rnd(seed) % 5 : 0;
    if (mode == 0) {
        len = rnd(seed) % (round % 7 == 0 ? 40000 : 3000);
        for (size_t i = 0; i < len; i++) {
            uint8_t b = (uint8_t)rnd(seed);
            out[i] = b < 200 ? alphabet[b % (sizeof(alphabet) - 1)] : (char)b;
        }
    } else {
        memcpy(out, base, base_len);
        len = base_len;
        int edits = 1 + (int)(rnd(seed) % 8);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = rnd(seed) % len;
            uint64_t kind = mode == 4 ? rnd(seed) % 4 : mode - 1;
            if (kind == 0) {
                uint8_t b = (uint8_t)rnd(seed);
                out[at] = b < 200 ? alphabet[b % (sizeof(alphabet) - 1)] : (char)b;
            } else if (kind == 1) {
                len = at;
            } else if (kind == 2 && len + 40 < cap) {
                size_t n = 1 + rnd(seed) % 30;
                memmove(out + at + n, out + at, len - at);
                for (size_t i = 0; i < n; i++) {
                    uint8_t b = (uint8_t)rnd(seed);
                    out[at + i] = b < 200 ? alphabet[b % (sizeof(alphabet) - 1)] : (char)b;
                }
                len += n;
            } else if (kind == 3) {
                /* Repeat the text from `at` to the next newline, as a duplicated line. */
                size_t end = at;
                while (end < len && out[end] != '\n') {
                    end++;
                }
                size_t n = end < len ? end - at + 1 : end - at;
                if (len + n < cap) {
                    memmove(out + at + n, out + at, len - at);
                    len += n;
                }
            }
        }
    }
    free(base);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(out);
        return -1;
    }
    fwrite(out, 1, len, f);
    free(out);
    return fclose(f) == 0 ? 0 : -1;
}

static inline int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A scratch directory for a test that builds its own root. Returns 0 or -1. */
static inline int scratch_setup(char dir[PATH_MAX])
{
    snprintf(dir, PATH_MAX, "/tmp/stratus-source-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes a scratch directory and everything in it. */
static inline void scratch_teardown(const char *dir)
{
    if (dir[0]) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/*
 * The state of a test that builds its own root in a scratch directory: everything a failed
 * assert would otherwise leak is here, and scratch_test_teardown releases it.
 */
struct scratch_test {
    char dir[PATH_MAX];
    struct capture *cap;
    const struct st_source_ops *ops; /* of state */
    void *state;
    int fd[2]; /* sockets a test opened, or -1 */
};

static inline int scratch_test_setup(void **state)
{
    struct scratch_test *t = calloc(1, sizeof(*t));
    if (!t) {
        return -1;
    }
    t->fd[0] = t->fd[1] = -1;
    t->cap = calloc(1, sizeof(*t->cap));
    if (!t->cap || scratch_setup(t->dir) < 0) {
        free(t->cap);
        free(t);
        return -1;
    }
    cap_reset(t->cap);
    *state = t;
    return 0;
}

/* Finishes the source state a test left, if any. */
static inline void scratch_test_drop_state(struct scratch_test *t)
{
    if (t->state) {
        t->ops->fini(t->state);
        t->state = NULL;
    }
}

static inline int scratch_test_teardown(void **state)
{
    struct scratch_test *t = *state;
    scratch_test_drop_state(t);
    for (int i = 0; i < 2; i++) {
        if (t->fd[i] >= 0) {
            close(t->fd[i]);
        }
    }
    scratch_teardown(t->dir);
    free(t->cap);
    free(t);
    return 0;
}

/*
 * Starts ops over root (t->dir when NULL) with the default config, then collects once into
 * t->cap. Returns what collect returned.
 */
static inline int scratch_test_collect(struct scratch_test *t, const struct st_source_ops *ops,
                                       const char *root)
{
    struct st_source_config cfg;
    config_default(&cfg, root ? root : t->dir);
    scratch_test_drop_state(t);
    t->ops = ops;
    assert_int_equal(ops->init(&cfg, &t->state), 0);
    cap_reset(t->cap);
    return ops->collect(t->state, &t->cap->e);
}

/* Writes text to dir/rel, creating the directories on the way. Returns 0 or -1. */
static inline int write_file(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path)) {
        return -1;
    }
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -1;
}

/*
 * Runs a source over `rounds` garbage or mutated versions of the files it reads (rels, as in
 * proc-a), two collections each, in a fresh state per round, in t's scratch directory: it must
 * neither crash nor read out of bounds (the sanitizer build checks that) and must return 0 or a
 * negative errno.
 */
static inline void fuzz_source(struct scratch_test *t, const struct st_source_ops *ops,
                               const char *const *rels, size_t n_rels, int rounds, bool percpu)
{
    uint64_t seed = 0x5eed;
    for (int round = 0; round < rounds; round++) {
        for (size_t i = 0; i < n_rels; i++) {
            assert_int_equal(write_mutant(t->dir, rels[i], &seed, round), 0);
        }
        struct st_source_config cfg;
        config_default(&cfg, t->dir);
        cfg.percpu = percpu;
        scratch_test_drop_state(t);
        t->ops = ops;
        assert_int_equal(ops->init(&cfg, &t->state), 0);
        for (int k = 0; k < 2; k++) {
            cap_reset(t->cap);
            assert_true(ops->collect(t->state, &t->cap->e) <= 0);
            assert_false(t->cap->overflow && t->cap->n < CAP_MAX_RECORDS);
        }
    }
    scratch_test_drop_state(t);
}

/*
 * Runs ops->init with the k-th allocation failing, for every k up to the first that is not
 * reached: each must fail with -ENOMEM and leave nothing behind (the sanitizer build checks).
 */
static inline void check_init_out_of_memory(const struct st_source_ops *ops)
{
    struct st_source_config cfg;
    config_default(&cfg, "/");
    config_add_resource(&cfg, "x");
    config_add_resource(&cfg, "y");
    for (unsigned long k = 1;; k++) {
        void *s = NULL;
        st_alloc_fail_after(k);
        int r = ops->init(&cfg, &s);
        st_alloc_fail_disarm();
        if (r == 0) {
            ops->fini(s);
            assert_true(k > 1);
            break;
        }
        assert_int_equal(r, -ENOMEM);
    }
}

#endif
