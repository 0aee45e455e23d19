/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing helpers of the `stratus` client (see args.h): the flag table walker,
 * strict number and time parsing, and the dimension and statistic-set mini-syntaxes. Messages
 * follow argparse's "argument --flag: ..." so they read like the aws CLI's.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "stratus/alloc.h"
#include "stratus/time_util.h"

int st_args_usage(struct st_error *err, const char *fmt, ...)
{
    char msg[ST_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE, "%s", msg);
}

int st_args_required(struct st_error *err, const char *flags)
{
    return st_args_usage(err, "the following arguments are required: %s", flags);
}

int st_args_oom(struct st_error *err)
{
    return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
}

int st_args_dup(const char *s, char **ret, struct st_error *err)
{
    char *copy = st_strdup(s);
    if (!copy) {
        return st_args_oom(err);
    }
    *ret = copy;
    return 0;
}

static bool is_flag(const char *s)
{
    return s[0] == '-' && s[1] == '-';
}

int st_args_parse(int argc, char **argv, const struct st_args_flag *flags, size_t n_flags,
                  struct st_args_value *ret_values, struct st_error *err)
{
    struct st_args_value v[ST_ARGS_MAX_FLAGS] = {0};
    assert(n_flags <= ST_ARGS_MAX_FLAGS);

    int i = 0;
    while (i < argc) {
        char *a = argv[i];
        if (!is_flag(a) || a[2] == '\0') {
            return st_args_usage(err, "unexpected argument '%s'", a);
        }
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        size_t f = 0;
        while (f < n_flags &&
               (strlen(flags[f].name) != name_len || strncmp(flags[f].name, a, name_len) != 0)) {
            f++;
        }
        if (f == n_flags) {
            return st_args_usage(err, "unknown option '%.*s'", (int)name_len, a);
        }
        if (v[f].seen) {
            return st_args_usage(err, "argument %s: given more than once", flags[f].name);
        }
        v[f].seen = true;
        i++;
        if (eq) {
            /* --flag=VALUE: exactly one value, which may start with dashes. */
            argv[i - 1] = (char *)eq + 1;
            v[f].one = argv[i - 1];
            v[f].many = &argv[i - 1];
            v[f].n_many = 1;
            continue;
        }
        if (flags[f].kind == ST_ARGS_ONE) {
            if (i == argc || is_flag(argv[i])) {
                return st_args_usage(err, "argument %s: expected one argument", flags[f].name);
            }
            v[f].one = argv[i++];
            continue;
        }
        int start = i;
        while (i < argc && !is_flag(argv[i])) {
            i++;
        }
        if (i == start) {
            return st_args_usage(err, "argument %s: expected at least one argument", flags[f].name);
        }
        v[f].many = &argv[start];
        v[f].n_many = (size_t)(i - start);
        v[f].one = argv[start];
    }
    memcpy(ret_values, v, n_flags * sizeof(v[0]));
    return 0;
}

int st_args_parse_double(const char *what, const char *s, double *ret, struct st_error *err)
{
    /* strtod alone would take " 1", "0x1p3", "inf" and "nan"; the aws CLI takes none of them. */
    if (s[0] == '\0' || s[strspn(s, "0123456789+-.eE")] != '\0') {
        return st_args_usage(err, "argument %s: invalid number '%s'", what, s);
    }
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0') {
        return st_args_usage(err, "argument %s: invalid number '%s'", what, s);
    }
    if (!isfinite(d)) {
        return st_args_usage(err, "argument %s: number out of range '%s'", what, s);
    }
    *ret = d;
    return 0;
}

int st_args_parse_int(const char *what, const char *s, int64_t min, int64_t max, int64_t *ret,
                      struct st_error *err)
{
    const char *digits = s + (s[0] == '-' || s[0] == '+');
    if (digits[0] == '\0' || digits[strspn(digits, "0123456789")] != '\0') {
        return st_args_usage(err, "argument %s: invalid integer '%s'", what, s);
    }
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || n < min || n > max) {
        return st_args_usage(err, "argument %s: '%s' is out of range (%lld to %lld)", what, s,
                             (long long)min, (long long)max);
    }
    *ret = n;
    return 0;
}

int st_args_parse_time(const char *what, const char *s, int64_t *ret_ms, struct st_error *err)
{
    if (st_time_parse(s, ret_ms) < 0) {
        return st_args_usage(err,
                             "argument %s: invalid time '%s' (want ISO 8601 such as "
                             "2026-11-23T18:00:00Z, or seconds since the epoch)",
                             what, s);
    }
    return 0;
}

void st_args_dims_fini(struct st_args_dims *dims)
{
    for (size_t i = 0; i < dims->n; i++) {
        st_free(dims->items[i].name);
        st_free(dims->items[i].value);
    }
    st_free(dims->items);
    dims->items = NULL;
    dims->n = 0;
}

/*
 * Copies *p into out up to the first unescaped character of stops (or the end), dropping the
 * backslashes that escape; returns that stop character ('\0' at the end) with *p on it. out
 * needs strlen(*p) + 1 bytes.
 */
static char take(const char **p, const char *stops, char *out)
{
    const char *s = *p;
    while (*s && !strchr(stops, *s)) {
        if (*s == '\\' && s[1]) {
            s++;
        }
        *out++ = *s++;
    }
    *out = '\0';
    *p = s;
    return *s;
}

static size_t count_items(const char *s)
{
    size_t n = 1;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
        } else if (*s == ',') {
            n++;
        }
    }
    return n;
}

struct item {
    char *key;
    char *value; /* NULL without '=' */
};

static void items_free(struct item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        st_free(items[i].key);
        st_free(items[i].value);
    }
    st_free(items);
}

/* Splits one word into its comma-separated key[=value] items, unescaped. */
static int split_items(const char *word, struct item **ret_items, size_t *ret_n)
{
    size_t n = count_items(word), len = strlen(word);
    struct item *items = st_calloc(n, sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    const char *p = word;
    for (size_t i = 0; i < n; i++) {
        items[i].key = st_malloc(len + 1);
        if (!items[i].key) {
            items_free(items, n);
            return -ENOMEM;
        }
        if (take(&p, ",=", items[i].key) == '=') {
            p++;
            items[i].value = st_malloc(len + 1);
            if (!items[i].value) {
                items_free(items, n);
                return -ENOMEM;
            }
            take(&p, ",", items[i].value);
        }
        if (*p == ',') {
            p++;
        }
    }
    *ret_items = items;
    *ret_n = n;
    return 0;
}

/* The aws shorthand: exactly the keys Name (required) and Value (optional), each once. */
static bool is_shorthand(const struct item *items, size_t n)
{
    unsigned names = 0, values = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].value) {
            return false;
        }
        if (strcmp(items[i].key, "Name") == 0) {
            names++;
        } else if (strcmp(items[i].key, "Value") == 0) {
            values++;
        } else {
            return false;
        }
    }
    return names == 1 && values <= 1;
}

/* Moves name and value (either may be NULL-checked by the caller) onto the list. */
static int append_dim(struct st_args_dims *d, char **name, char **value)
{
    struct st_args_dim *items = st_realloc(d->items, (d->n + 1) * sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    d->items = items;
    d->items[d->n].name = *name;
    d->items[d->n].value = *value;
    d->n++;
    *name = NULL;
    *value = NULL;
    return 0;
}

static int check_dim(const char *what, const char *word, const char *name, const char *value,
                     bool filter, struct st_error *err)
{
    if (name[0] == '\0') {
        return st_args_usage(err, "argument %s: empty dimension name in '%s'", what, word);
    }
    if (!value && !filter) {
        return st_args_usage(err, "argument %s: dimension '%s' has no value (want NAME=VALUE)",
                             what, name);
    }
    if (value && value[0] == '\0') {
        return st_args_usage(err, "argument %s: empty value for dimension '%s'", what, name);
    }
    return 0;
}

static int parse_word(const char *what, const char *word, bool filter, size_t max,
                      struct st_args_dims *d, struct st_error *err)
{
    struct item *items = NULL;
    size_t n = 0;
    int r = split_items(word, &items, &n);
    if (r < 0) {
        return st_args_oom(err);
    }
    if (is_shorthand(items, n)) {
        struct item *name = NULL, *value = NULL;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(items[i].key, "Name") == 0) {
                name = &items[i];
            } else {
                value = &items[i];
            }
        }
        /* Both halves come from the items' value strings. */
        char *v = value ? value->value : NULL;
        r = check_dim(what, word, name->value, v, filter, err);
        if (r == 0 && d->n >= max) {
            r = st_args_usage(err, "argument %s: too many dimensions (at most %zu)", what, max);
        }
        if (r == 0) {
            char *dummy = NULL;
            r = append_dim(d, &name->value, value ? &value->value : &dummy);
            if (r < 0) {
                r = st_args_oom(err);
            }
        }
        items_free(items, n);
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        r = check_dim(what, word, items[i].key, items[i].value, filter, err);
        if (r == 0 && d->n >= max) {
            r = st_args_usage(err, "argument %s: too many dimensions (at most %zu)", what, max);
        }
        if (r == 0 && append_dim(d, &items[i].key, &items[i].value) < 0) {
            r = st_args_oom(err);
        }
        if (r < 0) {
            break;
        }
    }
    items_free(items, n);
    return r;
}

int st_args_parse_dims(const char *what, char *const *words, size_t n_words, bool filter,
                       size_t max, struct st_args_dims *ret, struct st_error *err)
{
    struct st_args_dims d = {0};
    for (size_t i = 0; i < n_words; i++) {
        int r = parse_word(what, words[i], filter, max, &d, err);
        if (r < 0) {
            st_args_dims_fini(&d);
            return r;
        }
    }
    *ret = d;
    return 0;
}

int st_args_parse_stat_set(const char *what, const char *s, struct st_args_stat_set *ret,
                           struct st_error *err)
{
    static const char *const keys[] = {"SampleCount", "Sum", "Minimum", "Maximum"};
    double vals[4];
    bool seen[4] = {false};
    const char *p = s;
    for (;;) {
        size_t item_len = strcspn(p, ",");
        const char *eq = memchr(p, '=', item_len);
        if (!eq) {
            return st_args_usage(err, "argument %s: expected KEY=NUMBER items, got '%.*s'", what,
                                 (int)item_len, p);
        }
        size_t key_len = (size_t)(eq - p);
        size_t k = 0;
        while (k < 4 && (strlen(keys[k]) != key_len || strncmp(keys[k], p, key_len) != 0)) {
            k++;
        }
        if (k == 4) {
            return st_args_usage(err,
                                 "argument %s: unknown key '%.*s' (want SampleCount, Sum, "
                                 "Minimum and Maximum)",
                                 what, (int)key_len, p);
        }
        if (seen[k]) {
            return st_args_usage(err, "argument %s: %s given more than once", what, keys[k]);
        }
        char num[64];
        size_t num_len = item_len - key_len - 1;
        if (num_len >= sizeof(num)) {
            return st_args_usage(err, "argument %s: invalid number for %s", what, keys[k]);
        }
        memcpy(num, eq + 1, num_len);
        num[num_len] = '\0';
        char field[96];
        snprintf(field, sizeof(field), "%s %s", what, keys[k]);
        int r = st_args_parse_double(field, num, &vals[k], err);
        if (r < 0) {
            return r;
        }
        seen[k] = true;
        p += item_len;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    for (size_t k = 0; k < 4; k++) {
        if (!seen[k]) {
            return st_args_usage(err, "argument %s: missing %s", what, keys[k]);
        }
    }
    *ret = (struct st_args_stat_set){
        .sample_count = vals[0], .sum = vals[1], .minimum = vals[2], .maximum = vals[3]};
    return 0;
}
