/* SPDX-License-Identifier: MIT */
/*
 * The composite alarm rule parser and evaluator (stratus/alarm_rule.h): a recursive-descent
 * parser over an st_cursor into a flat array of nodes (children by index), so that freeing is
 * one loop and evaluation is a walk bounded by the parse depth.
 *
 *   rule    := or END
 *   or      := and { "OR" and }
 *   and     := not { "AND" not }
 *   not     := "NOT" not | primary
 *   primary := "(" or ")" | "TRUE" | "FALSE" | STATE "(" name ")"
 *   STATE   := "ALARM" | "OK" | "INSUFFICIENT_DATA"
 *   name    := '"' { char | '\"' | '\\' } '"' | bare characters up to ")"
 */
#include "stratus/alarm_rule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/cursor.h"

enum kind {
    K_TRUE,
    K_FALSE,
    K_STATE,
    K_NOT,
    K_AND,
    K_OR,
};

struct node {
    enum kind kind;
    int state;   /* K_STATE */
    size_t ref;  /* K_STATE: index into refs */
    size_t a, b; /* children */
};

struct st_alarm_rule {
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    char **refs;
    size_t n_refs;
    size_t root;
};

struct parser {
    struct st_cursor cur;
    const uint8_t *base;
    struct st_alarm_rule *r;
    struct st_error *err;
    unsigned depth;
    int status; /* 0, or the first failure */
};

/* The next byte, without consuming it; -EBADMSG at the end. */
static int peek(const struct parser *p, uint8_t *ret)
{
    if (st_cursor_left(&p->cur) == 0) {
        return -EBADMSG;
    }
    *ret = *p->cur.pos;
    return 0;
}

static void skip(struct parser *p, size_t n)
{
    const uint8_t *unused;
    (void)st_cursor_take(&p->cur, n, &unused);
}

static size_t pos(const struct parser *p)
{
    return (size_t)(p->cur.pos - p->base) + 1;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
    if (p->status == 0) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->status = st_error_set(p->err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                 "AlarmRule: %s at position %zu", msg, pos(p));
    }
    return p->status;
}

static int oom(struct parser *p)
{
    if (p->status == 0) {
        p->status = st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    return p->status;
}

static void skip_space(struct parser *p)
{
    uint8_t c;
    while (peek(p, &c) == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
        skip(p, 1);
    }
}

static bool is_word_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Consumes keyword kw if it is the next word (not a prefix of a longer word). */
static bool accept_word(struct parser *p, const char *kw)
{
    skip_space(p);
    size_t len = strlen(kw);
    const uint8_t *s = p->cur.pos;
    size_t left = st_cursor_left(&p->cur);
    if (left < len || memcmp(s, kw, len) != 0 || (left > len && is_word_char(s[len]))) {
        return false;
    }
    skip(p, len);
    return true;
}

static bool accept_char(struct parser *p, uint8_t ch)
{
    skip_space(p);
    uint8_t c;
    if (peek(p, &c) == 0 && c == ch) {
        skip(p, 1);
        return true;
    }
    return false;
}

static int add_node(struct parser *p, struct node n, size_t *ret)
{
    struct st_alarm_rule *r = p->r;
    if (r->n_nodes == r->cap_nodes) {
        size_t cap = r->cap_nodes ? r->cap_nodes * 2 : 16;
        struct node *nodes = st_realloc(r->nodes, cap * sizeof(*nodes));
        if (!nodes) {
            return oom(p);
        }
        r->nodes = nodes;
        r->cap_nodes = cap;
    }
    r->nodes[r->n_nodes] = n;
    *ret = r->n_nodes++;
    return 0;
}

/* Reads the alarm name inside STATE( ... ). */
static int parse_name(struct parser *p, char **ret)
{
    skip_space(p);
    char buf[ST_ALARM_NAME_MAX + 1];
    size_t n = 0;
    uint8_t c;
    if (peek(p, &c) == 0 && c == '"') {
        skip(p, 1);
        for (;;) {
            if (st_cursor_u8(&p->cur, &c) < 0) {
                return fail(p, "unterminated alarm name");
            }
            if (c == '"') {
                break;
            }
            if (c == '\\' && st_cursor_u8(&p->cur, &c) < 0) {
                return fail(p, "unterminated alarm name");
            }
            if (c < 0x20) {
                return fail(p, "control character in an alarm name");
            }
            if (n == ST_ALARM_NAME_MAX) {
                return fail(p, "alarm name longer than %d characters", ST_ALARM_NAME_MAX);
            }
            buf[n++] = (char)c;
        }
    } else {
        while (peek(p, &c) == 0 && c != ')') {
            if (c < 0x20 || c == '(' || c == '"') {
                return fail(p, "unexpected character '%c' in an alarm name", c < 0x20 ? '?' : c);
            }
            if (n == ST_ALARM_NAME_MAX) {
                return fail(p, "alarm name longer than %d characters", ST_ALARM_NAME_MAX);
            }
            buf[n++] = (char)c;
            skip(p, 1);
        }
        while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) {
            n--;
        }
    }
    if (n == 0) {
        return fail(p, "expected an alarm name");
    }
    buf[n] = '\0';
    char *name = st_strdup(buf);
    if (!name) {
        return oom(p);
    }
    *ret = name;
    return 0;
}

static int parse_or(struct parser *p, size_t *ret);

static int parse_primary(struct parser *p, size_t *ret)
{
    static const struct {
        const char *word;
        int state;
    } states[] = {
        {"ALARM", ST_ALARM_RULE_ALARM},
        {"OK", ST_ALARM_RULE_OK},
        {"INSUFFICIENT_DATA", ST_ALARM_RULE_INSUFFICIENT_DATA},
    };
    if (accept_char(p, '(')) {
        if (parse_or(p, ret) < 0) {
            return p->status;
        }
        if (!accept_char(p, ')')) {
            return fail(p, "expected ')'");
        }
        return 0;
    }
    if (accept_word(p, "TRUE")) {
        return add_node(p, (struct node){.kind = K_TRUE}, ret);
    }
    if (accept_word(p, "FALSE")) {
        return add_node(p, (struct node){.kind = K_FALSE}, ret);
    }
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (!accept_word(p, states[i].word)) {
            continue;
        }
        if (!accept_char(p, '(')) {
            return fail(p, "expected '(' after %s", states[i].word);
        }
        if (p->r->n_refs == ST_ALARM_RULE_MAX_REFS) {
            return fail(p, "more than %d alarms in a rule", ST_ALARM_RULE_MAX_REFS);
        }
        char *name = NULL;
        if (parse_name(p, &name) < 0) {
            return p->status;
        }
        p->r->refs[p->r->n_refs] = name;
        size_t ref = p->r->n_refs++;
        if (!accept_char(p, ')')) {
            return fail(p, "expected ')' after the alarm name");
        }
        return add_node(p, (struct node){.kind = K_STATE, .state = states[i].state, .ref = ref},
                        ret);
    }
    skip_space(p);
    if (st_cursor_left(&p->cur) == 0) {
        return fail(p, "unexpected end of the rule, expected ALARM, OK, INSUFFICIENT_DATA, "
                       "TRUE, FALSE, NOT or '('");
    }
    return fail(p, "expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or '('");
}

static int parse_not(struct parser *p, size_t *ret)
{
    if (++p->depth > ST_ALARM_RULE_MAX_DEPTH) {
        return fail(p, "nested deeper than %d", ST_ALARM_RULE_MAX_DEPTH);
    }
    int r;
    if (accept_word(p, "NOT")) {
        size_t a;
        r = parse_not(p, &a);
        if (r == 0) {
            r = add_node(p, (struct node){.kind = K_NOT, .a = a}, ret);
        }
    } else {
        r = parse_primary(p, ret);
    }
    p->depth--;
    return r;
}

static int parse_and(struct parser *p, size_t *ret)
{
    size_t a;
    if (parse_not(p, &a) < 0) {
        return p->status;
    }
    while (accept_word(p, "AND")) {
        size_t b;
        if (parse_not(p, &b) < 0 ||
            add_node(p, (struct node){.kind = K_AND, .a = a, .b = b}, &a) < 0) {
            return p->status;
        }
    }
    *ret = a;
    return 0;
}

static int parse_or(struct parser *p, size_t *ret)
{
    if (++p->depth > ST_ALARM_RULE_MAX_DEPTH) {
        return fail(p, "nested deeper than %d", ST_ALARM_RULE_MAX_DEPTH);
    }
    size_t a;
    if (parse_and(p, &a) < 0) {
        return p->status;
    }
    while (accept_word(p, "OR")) {
        size_t b;
        if (parse_and(p, &b) < 0 ||
            add_node(p, (struct node){.kind = K_OR, .a = a, .b = b}, &a) < 0) {
            return p->status;
        }
    }
    p->depth--;
    *ret = a;
    return 0;
}

void st_alarm_rule_free(struct st_alarm_rule *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n_refs; i++) {
        st_free(r->refs[i]);
    }
    st_free(r->refs);
    st_free(r->nodes);
    st_free(r);
}

int st_alarm_rule_parse(const uint8_t *s, size_t len, struct st_alarm_rule **ret,
                        struct st_error *err)
{
    if (len == 0) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "AlarmRule: the rule is empty");
    }
    if (len > ST_ALARM_RULE_MAX_LEN) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "AlarmRule: longer than %d characters", ST_ALARM_RULE_MAX_LEN);
    }
    struct st_alarm_rule *r = st_calloc(1, sizeof(*r));
    if (!r) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    r->refs = st_calloc(ST_ALARM_RULE_MAX_REFS, sizeof(*r->refs));
    struct parser p = {.base = s, .r = r, .err = err};
    st_cursor_init(&p.cur, s, len);
    if (!r->refs) {
        oom(&p);
    } else if (parse_or(&p, &r->root) == 0) {
        skip_space(&p);
        if (st_cursor_left(&p.cur) > 0) {
            fail(&p, "expected AND, OR or the end of the rule");
        }
    }
    if (p.status < 0) {
        st_alarm_rule_free(r);
        return p.status;
    }
    *ret = r;
    return 0;
}

size_t st_alarm_rule_n_refs(const struct st_alarm_rule *r)
{
    return r->n_refs;
}

const char *st_alarm_rule_ref(const struct st_alarm_rule *r, size_t i)
{
    return i < r->n_refs ? r->refs[i] : NULL;
}

static bool eval_node(const struct st_alarm_rule *r, size_t i,
                      int (*state_of)(const char *name, void *data), void *data)
{
    const struct node *n = &r->nodes[i];
    switch (n->kind) {
    case K_TRUE:
        return true;
    case K_FALSE:
        return false;
    case K_STATE:
        return state_of(r->refs[n->ref], data) == n->state;
    case K_NOT:
        return !eval_node(r, n->a, state_of, data);
    case K_AND:
        return eval_node(r, n->a, state_of, data) && eval_node(r, n->b, state_of, data);
    case K_OR:
        return eval_node(r, n->a, state_of, data) || eval_node(r, n->b, state_of, data);
    }
    return false;
}

bool st_alarm_rule_eval(const struct st_alarm_rule *r,
                        int (*state_of)(const char *name, void *data), void *data)
{
    return eval_node(r, r->root, state_of, data);
}
