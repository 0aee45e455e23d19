/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing for the verbs: a flag table in the aws CLI's style (`--flag VALUE`,
 * `--flag=VALUE`, `--flag V1 V2 ...`), numbers and times that reject trailing junk, the
 * `Name=Value,...` dimension lists (and the aws shorthand `Name=Host,Value=a Name=Api,Value=b`),
 * and `--statistic-values Sum=..,Minimum=..`. Every failure is -EINVAL with a message in err
 * that names the flag (or -ENOMEM); nothing here prints or exits.
 */
#ifndef STRATUS_CLI_ARGS_H
#define STRATUS_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/error.h"

#define ST_ARGS_MAX_FLAGS 32

enum st_args_kind {
    ST_ARGS_ONE,  /* --flag VALUE or --flag=VALUE */
    ST_ARGS_MANY, /* --flag V1 V2 ... (every following word up to the next "--..."), or --flag=V */
};

struct st_args_flag {
    const char *name; /* with its dashes: "--namespace" */
    enum st_args_kind kind;
};

/* What one flag got. Strings are borrowed from argv and live as long as it. */
struct st_args_value {
    bool seen;
    const char *one;   /* ST_ARGS_ONE */
    char *const *many; /* ST_ARGS_MANY: n_many words */
    size_t n_many;
};

/*
 * Parses argv against flags (at most ST_ARGS_MAX_FLAGS) into ret_values[i] for flags[i]. Unknown
 * flags, stray words, a flag given twice and a flag without its value(s) are usage errors. For
 * `--many=V` the entry of argv is rewritten in place to point at V. Returns 0 or -EINVAL.
 */
int st_args_parse(int argc, char **argv, const struct st_args_flag *flags, size_t n_flags,
                  struct st_args_value *ret_values, struct st_error *err);

/* Fills err with a usage error (code ST_CLI_ERR_USAGE) and returns -EINVAL. */
int st_args_usage(struct st_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills err with "the following arguments are required: FLAGS" (usage) and returns -EINVAL. */
int st_args_required(struct st_error *err, const char *flags);

/* Fills err with an out-of-memory error and returns -ENOMEM. */
int st_args_oom(struct st_error *err);

/* *ret = a copy of s (free it); 0, or -ENOMEM with err filled. */
int st_args_dup(const char *s, char **ret, struct st_error *err);

/*
 * Parses a finite decimal number ("12", "-0.5", "1e3"); no spaces, hex, inf or nan, nothing
 * after it. `what` names the flag or field in the message. Returns 0 or -EINVAL.
 */
int st_args_parse_double(const char *what, const char *s, double *ret, struct st_error *err);

/* Parses a decimal integer in [min, max], nothing after it. Returns 0 or -EINVAL. */
int st_args_parse_int(const char *what, const char *s, int64_t min, int64_t max, int64_t *ret,
                      struct st_error *err);

/* Parses a time as st_time_parse does (ISO 8601 or seconds since the epoch) into ms. */
int st_args_parse_time(const char *what, const char *s, int64_t *ret_ms, struct st_error *err);

/* One dimension; value is NULL for a ListMetrics filter that names only the dimension. */
struct st_args_dim {
    char *name;
    char *value;
};

/* A list of dimensions; owns its strings. Zero-initialise, free with st_args_dims_fini. */
struct st_args_dims {
    struct st_args_dim *items;
    size_t n;
};

void st_args_dims_fini(struct st_args_dims *dims);

/*
 * Parses the words given to --dimensions: each word is either `Host=a,Api=get` (any number of
 * name=value pairs) or the aws shorthand `Name=Host,Value=a` (one dimension). A backslash
 * escapes the next character (`a\,b`). Names must be non-empty, values too; with `filter` a
 * value may be left out (`Name=Host`, or `Host` alone), as ListMetrics allows. At most max
 * dimensions. On success *ret owns the list (written only on success).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int st_args_parse_dims(const char *what, char *const *words, size_t n_words, bool filter,
                       size_t max, struct st_args_dims *ret, struct st_error *err);

/* The four numbers of a StatisticSet. */
struct st_args_stat_set {
    double sample_count;
    double sum;
    double minimum;
    double maximum;
};

/*
 * Parses `Sum=1,Minimum=0.5,Maximum=3,SampleCount=4`: all four keys, each once, in any order.
 * Returns 0 or -EINVAL.
 */
int st_args_parse_stat_set(const char *what, const char *s, struct st_args_stat_set *ret,
                           struct st_error *err);

#endif
