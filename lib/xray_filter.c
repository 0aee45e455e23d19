/* SPDX-License-Identifier: MIT */
/*
 * X-Ray filter expressions (xray_filter.h): a tokenizer over st_cursor, a recursive-descent
 * parser with the precedence NOT > AND > OR, and an evaluator over struct st_xf_trace.
 *
 *   expr    := and (("OR" | "||") and)*
 *   and     := unary (("AND" | "&&") unary)*
 *   unary   := ("NOT" | "!") unary | primary
 *   primary := "(" expr ")" | service | edge | field [op value]
 *   service := "service" "(" [target] ")" ["{" [expr] "}"]
 *   edge    := "edge" "(" target "," target ")" ["{" [expr] "}"]
 *   target  := STRING | "id" "(" ["name" ":" STRING] ["," "type" ":" STRING] ")"
 *   field   := keyword | "annotation." KEY | "annotation" "[" KEY "]"
 *
 * Keywords and the word operators are case-insensitive. Every node comes from one arena owned
 * by the filter; nesting is capped so recursion depth is bounded by ST_XRAY_FILTER_MAX_DEPTH.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stratus/alloc.h"
#include "stratus/arena.h"
#include "stratus/cursor.h"
#include "stratus/xray_filter.h"

#define ERR_CODE "InvalidRequestException"

enum field {
    F_OK,
    F_ERROR,
    F_THROTTLE,
    F_FAULT,
    F_PARTIAL,
    F_INFERRED,
    F_FIRST,
    F_LAST,
    F_REMOTE,
    F_ROOT,
    F__LAST_BOOL = F_ROOT,
    F_RESPONSETIME,
    F_DURATION,
    F_HTTP_STATUS,
    F__LAST_NUMBER = F_HTTP_STATUS,
    F_HTTP_URL,
    F_HTTP_METHOD,
    F_HTTP_USERAGENT,
    F_HTTP_CLIENTIP,
    F_USER,
    F_NAME,
    F_TYPE,
    F_MESSAGE,
    F__LAST_STRING = F_MESSAGE,
    F_ANNOTATION,
};

static const char *const field_names[] = {
    [F_OK] = "ok",
    [F_ERROR] = "error",
    [F_THROTTLE] = "throttle",
    [F_FAULT] = "fault",
    [F_PARTIAL] = "partial",
    [F_INFERRED] = "inferred",
    [F_FIRST] = "first",
    [F_LAST] = "last",
    [F_REMOTE] = "remote",
    [F_ROOT] = "root",
    [F_RESPONSETIME] = "responsetime",
    [F_DURATION] = "duration",
    [F_HTTP_STATUS] = "http.status",
    [F_HTTP_URL] = "http.url",
    [F_HTTP_METHOD] = "http.method",
    [F_HTTP_USERAGENT] = "http.useragent",
    [F_HTTP_CLIENTIP] = "http.clientip",
    [F_USER] = "user",
    [F_NAME] = "name",
    [F_TYPE] = "type",
    [F_MESSAGE] = "message",
};

enum op {
    OP_NONE,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_CONTAINS,
    OP_BEGINSWITH,
    OP_ENDSWITH,
};

enum kind {
    N_AND,
    N_OR,
    N_NOT,
    N_TEST, /* field [op value] */
    N_SERVICE,
    N_EDGE,
};

struct target {
    const char *name, *type; /* NULL: any */
};

struct node {
    enum kind kind;
    struct node *a, *b; /* AND/OR: both; NOT: a; SERVICE/EDGE: a is the braces' body or NULL */
    enum field field;
    const char *key; /* annotation key */
    enum op op;
    enum st_xray_value_type vtype;
    const char *s;
    size_t s_len;
    double n;
    bool bval;
    struct target t1, t2;
};

struct st_xray_filter {
    struct st_arena arena;
    struct node *root;
};

enum tok {
    T_END,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_COLON,
    T_NOT,
    T_AND,
    T_OR,
    T_OP,
    T_STRING,
    T_NUMBER,
    T_WORD, /* keyword, function name, true/false, annotation.KEY, annotation (then [KEY]) */
};

struct parser {
    struct st_cursor c;
    const uint8_t *start;
    struct st_arena *arena;
    struct st_error *err;
    unsigned depth;
    /* the current token */
    enum tok tok;
    size_t pos; /* 1-based position of its first byte */
    const char *text;
    size_t len;
    enum op op;
    double number;
};

static int syntax(struct parser *p, size_t pos, const char *what)
{
    return st_error_set(p->err, -EINVAL, ERR_CODE, "Invalid filter expression: %s at position %zu",
                        what, pos);
}

static bool word_char(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-';
}

static bool word_is(const struct parser *p, const char *w)
{
    return p->tok == T_WORD && strlen(w) == p->len && strncasecmp(p->text, w, p->len) == 0;
}

/* The characters of an annotation key (lib/xray_segment.c takes no others). */
static bool key_char(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static void skip_space(struct parser *p)
{
    while (st_cursor_left(&p->c) &&
           (*p->c.pos == ' ' || *p->c.pos == '\t' || *p->c.pos == '\n' || *p->c.pos == '\r')) {
        p->c.pos++;
    }
}

/* Reads the next token into p. */
static int next(struct parser *p)
{
    uint8_t ch = 0;
    skip_space(p);
    p->pos = (size_t)(p->c.pos - p->start) + 1;
    p->text = (const char *)p->c.pos;
    p->len = 0;
    if (st_cursor_u8(&p->c, &ch) < 0) {
        p->tok = T_END;
        return 0;
    }
    uint8_t nx = st_cursor_left(&p->c) ? *p->c.pos : 0;
    switch (ch) {
    case '(':
        p->tok = T_LPAREN;
        return 0;
    case ')':
        p->tok = T_RPAREN;
        return 0;
    case '{':
        p->tok = T_LBRACE;
        return 0;
    case '}':
        p->tok = T_RBRACE;
        return 0;
    case ',':
        p->tok = T_COMMA;
        return 0;
    case ':':
        p->tok = T_COLON;
        return 0;
    case '&':
    case '|':
        if (nx != ch) {
            return syntax(p, p->pos,
                          ch == '&' ? "'&' is not an operator (use AND)"
                                    : "'|' is not an operator (use OR)");
        }
        p->c.pos++;
        p->tok = ch == '&' ? T_AND : T_OR;
        return 0;
    case '!':
        if (nx == '=') {
            p->c.pos++;
            p->tok = T_OP;
            p->op = OP_NE;
        } else {
            p->tok = T_NOT;
        }
        return 0;
    case '=':
        p->tok = T_OP;
        p->op = OP_EQ;
        return 0;
    case '<':
    case '>':
        p->tok = T_OP;
        if (nx == '=') {
            p->c.pos++;
            p->op = ch == '<' ? OP_LE : OP_GE;
        } else {
            p->op = ch == '<' ? OP_LT : OP_GT;
        }
        return 0;
    case '"':
    case '\'': {
        p->tok = T_STRING;
        p->text = (const char *)p->c.pos;
        for (;;) {
            uint8_t b;
            if (st_cursor_u8(&p->c, &b) < 0) {
                return syntax(p, p->pos, "unterminated string");
            }
            if (b == ch) {
                break;
            }
            if (b == '\\' && st_cursor_u8(&p->c, &b) < 0) {
                return syntax(p, p->pos, "unterminated string");
            }
        }
        p->len = (size_t)((const char *)p->c.pos - p->text) - 1;
        return 0;
    }
    default:
        break;
    }
    if ((ch >= '0' && ch <= '9') || ((ch == '-' || ch == '.') && nx >= '0' && nx <= '9')) {
        char buf[64];
        size_t n = 0;
        buf[n++] = (char)ch;
        while (st_cursor_left(&p->c) && n < sizeof(buf) - 1 &&
               ((*p->c.pos >= '0' && *p->c.pos <= '9') || *p->c.pos == '.' || *p->c.pos == 'e' ||
                *p->c.pos == 'E' ||
                ((*p->c.pos == '-' || *p->c.pos == '+') &&
                 (buf[n - 1] == 'e' || buf[n - 1] == 'E')))) {
            buf[n++] = (char)*p->c.pos++;
        }
        buf[n] = '\0';
        char *end;
        p->number = strtod(buf, &end);
        if (*end || !isfinite(p->number) || (st_cursor_left(&p->c) && word_char(*p->c.pos))) {
            return syntax(p, p->pos, "invalid number");
        }
        p->tok = T_NUMBER;
        return 0;
    }
    if (word_char(ch)) {
        while (st_cursor_left(&p->c) && word_char(*p->c.pos)) {
            p->c.pos++;
        }
        p->len = (size_t)((const char *)p->c.pos - p->text);
        p->tok = T_WORD;
        if (word_is(p, "AND")) {
            p->tok = T_AND;
        } else if (word_is(p, "OR")) {
            p->tok = T_OR;
        } else if (word_is(p, "NOT")) {
            p->tok = T_NOT;
        } else if (word_is(p, "CONTAINS") || word_is(p, "BEGINSWITH") || word_is(p, "ENDSWITH")) {
            p->op = (p->text[0] | 0x20) == 'c'   ? OP_CONTAINS
                    : (p->text[0] | 0x20) == 'b' ? OP_BEGINSWITH
                                                 : OP_ENDSWITH;
            p->tok = T_OP;
        }
        return 0;
    }
    return syntax(p, p->pos, "unexpected character");
}

static struct node *new_node(struct parser *p, enum kind kind)
{
    struct node *n = st_arena_alloc(p->arena, sizeof(*n));
    if (!n) {
        st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    return n;
}

/* Copies the current string token, resolving backslash escapes. */
static const char *take_string(struct parser *p, size_t *ret_len)
{
    char *s = st_arena_alloc(p->arena, p->len + 1);
    if (!s) {
        st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->len; i++) {
        if (p->text[i] == '\\' && i + 1 < p->len) {
            i++;
        }
        s[n++] = p->text[i];
    }
    s[n] = '\0';
    if (ret_len) {
        *ret_len = n;
    }
    return s;
}

/* Copies an annotation key into the arena. */
static const char *take_key(struct parser *p, const char *key, size_t len)
{
    char *k = st_arena_alloc(p->arena, len + 1);
    if (!k) {
        st_error_set(p->err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return NULL;
    }
    memcpy(k, key, len);
    k[len] = '\0';
    return k;
}

static int expect(struct parser *p, enum tok t, const char *what)
{
    if (p->tok != t) {
        return syntax(p, p->pos, what);
    }
    return next(p);
}

static int parse_or(struct parser *p, struct node **ret);

static int parse_target(struct parser *p, struct target *t)
{
    int r;
    if (p->tok == T_STRING) {
        if (!(t->name = take_string(p, NULL))) {
            return -ENOMEM;
        }
        return next(p);
    }
    if (!word_is(p, "id")) {
        return syntax(p, p->pos, "expected a service name string or id(...)");
    }
    if ((r = next(p)) < 0 || (r = expect(p, T_LPAREN, "expected '(' after id")) < 0) {
        return r;
    }
    while (p->tok != T_RPAREN) {
        bool is_name = word_is(p, "name"), is_type = word_is(p, "type");
        if (!is_name && !is_type) {
            return syntax(p, p->pos, "expected name: or type: in id(...)");
        }
        if ((r = next(p)) < 0 || (r = expect(p, T_COLON, "expected ':'")) < 0) {
            return r;
        }
        if (p->tok != T_STRING) {
            return syntax(p, p->pos, "expected a string");
        }
        const char *s = take_string(p, NULL);
        if (!s) {
            return -ENOMEM;
        }
        *(is_name ? &t->name : &t->type) = s;
        if ((r = next(p)) < 0) {
            return r;
        }
        if (p->tok == T_COMMA && (r = next(p)) < 0) {
            return r;
        }
    }
    return next(p);
}

/* service(...) or edge(...), the current token being the function name. */
static int parse_call(struct parser *p, bool edge, struct node **ret)
{
    struct node *n = new_node(p, edge ? N_EDGE : N_SERVICE);
    int r;
    if (!n) {
        return -ENOMEM;
    }
    if ((r = next(p)) < 0 || (r = expect(p, T_LPAREN, "expected '('")) < 0) {
        return r;
    }
    if (edge) {
        if ((r = parse_target(p, &n->t1)) < 0 || (r = expect(p, T_COMMA, "expected ','")) < 0 ||
            (r = parse_target(p, &n->t2)) < 0) {
            return r;
        }
    } else if (p->tok != T_RPAREN && (r = parse_target(p, &n->t1)) < 0) {
        return r;
    }
    if ((r = expect(p, T_RPAREN, "expected ')'")) < 0) {
        return r;
    }
    if (p->tok == T_LBRACE) {
        if ((r = next(p)) < 0) {
            return r;
        }
        if (p->tok != T_RBRACE && (r = parse_or(p, &n->a)) < 0) {
            return r;
        }
        if ((r = expect(p, T_RBRACE, "expected '}'")) < 0) {
            return r;
        }
    }
    *ret = n;
    return 0;
}

static int parse_test(struct parser *p, struct node **ret)
{
    size_t pos = p->pos;
    struct node *n = new_node(p, N_TEST);
    if (!n) {
        return -ENOMEM;
    }
    int r;
    if (p->len > 11 && strncasecmp(p->text, "annotation.", 11) == 0) {
        n->field = F_ANNOTATION;
        if (!(n->key = take_key(p, p->text + 11, p->len - 11))) {
            return -ENOMEM;
        }
        if ((r = next(p)) < 0) {
            return r;
        }
    } else if (p->len == 10 && strncasecmp(p->text, "annotation", 10) == 0) {
        /* annotation[KEY], read here: '[' and ']' are no tokens anywhere else */
        n->field = F_ANNOTATION;
        if (!st_cursor_left(&p->c) || *p->c.pos != '[') {
            return syntax(p, pos, "expected annotation.KEY or annotation[KEY]");
        }
        p->c.pos++;
        skip_space(p);
        const char *key = (const char *)p->c.pos;
        while (st_cursor_left(&p->c) && key_char(*p->c.pos)) {
            p->c.pos++;
        }
        size_t kl = (size_t)((const char *)p->c.pos - key);
        size_t key_pos = (size_t)((const uint8_t *)key - p->start) + 1;
        skip_space(p);
        if (kl == 0) {
            return syntax(p, key_pos, "expected an annotation key (letters, digits, _)");
        }
        if (!st_cursor_left(&p->c) || *p->c.pos != ']') {
            return syntax(p, (size_t)(p->c.pos - p->start) + 1, "expected ']'");
        }
        p->c.pos++;
        if (!(n->key = take_key(p, key, kl))) {
            return -ENOMEM;
        }
        if ((r = next(p)) < 0) {
            return r;
        }
    } else {
        bool found = false;
        for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++) {
            if (strlen(field_names[i]) == p->len &&
                strncasecmp(field_names[i], p->text, p->len) == 0) {
                n->field = (enum field)i;
                found = true;
                break;
            }
        }
        if (!found) {
            return syntax(p, pos, "unknown keyword");
        }
        if ((r = next(p)) < 0) {
            return r;
        }
    }
    if (p->tok != T_OP) {
        if (n->field <= F__LAST_BOOL || n->field == F_ANNOTATION) {
            *ret = n; /* a bare boolean */
            return 0;
        }
        return syntax(p, p->pos, "expected a comparison operator");
    }
    n->op = p->op;
    size_t op_pos = p->pos;
    if ((r = next(p)) < 0) {
        return r;
    }
    if (p->tok == T_NUMBER) {
        n->vtype = ST_XRAY_NUMBER;
        n->n = p->number;
    } else if (p->tok == T_STRING) {
        n->vtype = ST_XRAY_STRING;
        if (!(n->s = take_string(p, &n->s_len))) {
            return -ENOMEM;
        }
    } else if (word_is(p, "true") || word_is(p, "false")) {
        n->vtype = ST_XRAY_BOOL;
        n->bval = (p->text[0] | 0x20) == 't';
    } else {
        return syntax(p, p->pos, "expected a number, a string, true or false");
    }
    bool ordered = n->op >= OP_LT && n->op <= OP_GE;
    bool textual = n->op >= OP_CONTAINS;
    if (n->field <= F__LAST_BOOL) {
        if (n->vtype != ST_XRAY_BOOL || (n->op != OP_EQ && n->op != OP_NE)) {
            return syntax(p, op_pos, "a boolean keyword compares only = or != true/false");
        }
    } else if (n->field <= F__LAST_NUMBER) {
        if (n->vtype != ST_XRAY_NUMBER || textual) {
            return syntax(p, p->pos, "this keyword compares with a number");
        }
    } else if (n->field <= F__LAST_STRING) {
        if (n->vtype != ST_XRAY_STRING || ordered) {
            return syntax(p, op_pos,
                          "this keyword compares a string with = != CONTAINS "
                          "BEGINSWITH ENDSWITH");
        }
    } else if ((n->vtype == ST_XRAY_NUMBER && textual) || (n->vtype == ST_XRAY_STRING && ordered) ||
               (n->vtype == ST_XRAY_BOOL && n->op != OP_EQ && n->op != OP_NE)) {
        return syntax(p, op_pos, "this operator does not apply to that value");
    }
    *ret = n;
    return next(p);
}

static int parse_unary(struct parser *p, struct node **ret)
{
    int r;
    if (++p->depth > ST_XRAY_FILTER_MAX_DEPTH) {
        return syntax(p, p->pos, "expression nests too deep");
    }
    if (p->tok == T_NOT) {
        struct node *n = new_node(p, N_NOT);
        if (!n) {
            return -ENOMEM;
        }
        if ((r = next(p)) < 0 || (r = parse_unary(p, &n->a)) < 0) {
            return r;
        }
        *ret = n;
    } else if (p->tok == T_LPAREN) {
        if ((r = next(p)) < 0 || (r = parse_or(p, ret)) < 0 ||
            (r = expect(p, T_RPAREN, "expected ')'")) < 0) {
            return r;
        }
    } else if (word_is(p, "service") || word_is(p, "edge")) {
        if ((r = parse_call(p, (p->text[0] | 0x20) == 'e', ret)) < 0) {
            return r;
        }
    } else if (p->tok == T_WORD) {
        if ((r = parse_test(p, ret)) < 0) {
            return r;
        }
    } else {
        return syntax(p, p->pos,
                      p->tok == T_END ? "unexpected end of the expression"
                                      : "expected a keyword, service(), edge() or '('");
    }
    p->depth--;
    return 0;
}

static int parse_binary(struct parser *p, bool is_or, struct node **ret)
{
    int r = is_or ? parse_binary(p, false, ret) : parse_unary(p, ret);
    if (r < 0) {
        return r;
    }
    while (p->tok == (is_or ? T_OR : T_AND)) {
        struct node *n = new_node(p, is_or ? N_OR : N_AND);
        if (!n) {
            return -ENOMEM;
        }
        n->a = *ret;
        if ((r = next(p)) < 0 ||
            (r = is_or ? parse_binary(p, false, &n->b) : parse_unary(p, &n->b)) < 0) {
            return r;
        }
        *ret = n;
    }
    return 0;
}

static int parse_or(struct parser *p, struct node **ret)
{
    if (++p->depth > ST_XRAY_FILTER_MAX_DEPTH) {
        return syntax(p, p->pos, "expression nests too deep");
    }
    int r = parse_binary(p, true, ret);
    p->depth--;
    return r;
}

void st_xray_filter_free(struct st_xray_filter *f)
{
    if (!f) {
        return;
    }
    st_arena_fini(&f->arena);
    st_free(f);
}

int st_xray_filter_parse(const uint8_t *src, size_t len, struct st_xray_filter **ret,
                         struct st_error *err)
{
    if (len > ST_XRAY_FILTER_MAX_BYTES) {
        return st_error_set(err, -EINVAL, ERR_CODE,
                            "Invalid filter expression: longer than %d characters",
                            ST_XRAY_FILTER_MAX_BYTES);
    }
    struct st_xray_filter *f = st_calloc(1, sizeof(*f));
    if (!f) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    st_arena_init(&f->arena, 4096, 0);
    struct parser p = {.start = src, .arena = &f->arena, .err = err};
    st_cursor_init(&p.c, src, len);
    int r = next(&p);
    if (r == 0 && p.tok == T_END) {
        r = syntax(&p, p.pos, "empty expression");
    }
    if (r == 0) {
        r = parse_or(&p, &f->root);
    }
    if (r == 0 && p.tok != T_END) {
        r = syntax(&p, p.pos, p.tok == T_RPAREN ? "unbalanced ')'" : "expected AND, OR or the end");
    }
    if (r < 0) {
        st_xray_filter_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

/* --- evaluation --- */

static bool cmp_num(double have, enum op op, double want)
{
    switch (op) {
    case OP_EQ:
        return have == want;
    case OP_NE:
        return have != want;
    case OP_LT:
        return have < want;
    case OP_LE:
        return have <= want;
    case OP_GT:
        return have > want;
    case OP_GE:
        return have >= want;
    default:
        return false;
    }
}

static bool cmp_str(const char *have, const struct node *n)
{
    if (!have) {
        return false;
    }
    size_t hl = strlen(have);
    switch (n->op) {
    case OP_EQ:
        return hl == n->s_len && memcmp(have, n->s, hl) == 0;
    case OP_NE:
        return !(hl == n->s_len && memcmp(have, n->s, hl) == 0);
    case OP_CONTAINS:
        return memmem(have, hl, n->s, n->s_len) != NULL;
    case OP_BEGINSWITH:
        return hl >= n->s_len && memcmp(have, n->s, n->s_len) == 0;
    case OP_ENDSWITH:
        return hl >= n->s_len && memcmp(have + hl - n->s_len, n->s, n->s_len) == 0;
    default:
        return false;
    }
}

static bool scope_bool(const struct st_xf_scope *s, enum field f)
{
    switch (f) {
    case F_OK:
        return s->ok;
    case F_ERROR:
        return s->error;
    case F_THROTTLE:
        return s->throttle;
    case F_FAULT:
        return s->fault;
    case F_PARTIAL:
        return s->partial;
    case F_INFERRED:
        return s->inferred;
    case F_FIRST:
        return s->first;
    case F_LAST:
        return s->last;
    case F_REMOTE:
        return s->remote;
    default:
        return s->root;
    }
}

static bool test_annotation(const struct node *n, const struct st_xf_scope *s)
{
    for (size_t i = 0; i < s->n_annotations; i++) {
        const struct st_xray_annotation *a = s->annotations[i];
        if (strcmp(a->key, n->key) != 0) {
            continue;
        }
        if (n->op == OP_NONE) {
            if (a->type != ST_XRAY_BOOL || a->b) {
                return true;
            }
            continue;
        }
        if (a->type != n->vtype) {
            continue;
        }
        bool ok = a->type == ST_XRAY_NUMBER   ? cmp_num(a->n, n->op, n->n)
                  : a->type == ST_XRAY_STRING ? cmp_str(a->s, n)
                                              : (a->b == n->bval) == (n->op == OP_EQ);
        if (ok) {
            return true;
        }
    }
    return false;
}

static bool test(const struct node *n, const struct st_xf_scope *s)
{
    if (n->field <= F__LAST_BOOL) {
        bool v = scope_bool(s, n->field);
        return n->op == OP_NONE ? v : (v == n->bval) == (n->op == OP_EQ);
    }
    switch (n->field) {
    case F_RESPONSETIME:
        return !isnan(s->responsetime) && cmp_num(s->responsetime, n->op, n->n);
    case F_DURATION:
        return !isnan(s->duration) && cmp_num(s->duration, n->op, n->n);
    case F_HTTP_STATUS:
        return s->http_status != 0 && cmp_num(s->http_status, n->op, n->n);
    case F_HTTP_URL:
        return cmp_str(s->http_url, n);
    case F_HTTP_METHOD:
        return cmp_str(s->http_method, n);
    case F_HTTP_USERAGENT:
        return cmp_str(s->http_useragent, n);
    case F_HTTP_CLIENTIP:
        return cmp_str(s->http_clientip, n);
    case F_NAME:
        return cmp_str(s->name, n);
    case F_TYPE:
        return cmp_str(s->type, n);
    case F_USER:
        for (size_t i = 0; i < s->n_users; i++) {
            if (cmp_str(s->users[i], n)) {
                return true;
            }
        }
        return false;
    case F_MESSAGE:
        for (size_t i = 0; i < s->n_messages; i++) {
            if (cmp_str(s->messages[i], n)) {
                return true;
            }
        }
        return false;
    default:
        return test_annotation(n, s);
    }
}

static bool target_matches(const struct target *t, const char *name, const char *type)
{
    return (!t->name || (name && strcmp(t->name, name) == 0)) &&
           (!t->type || (type && strcmp(t->type, type) == 0));
}

static bool eval(const struct node *n, const struct st_xf_scope *s, const struct st_xf_trace *t)
{
    switch (n->kind) {
    case N_AND:
        return eval(n->a, s, t) && eval(n->b, s, t);
    case N_OR:
        return eval(n->a, s, t) || eval(n->b, s, t);
    case N_NOT:
        return !eval(n->a, s, t);
    case N_TEST:
        return test(n, s);
    case N_SERVICE:
        for (size_t i = 0; i < t->n_services; i++) {
            const struct st_xf_service *sv = &t->services[i];
            if (!target_matches(&n->t1, sv->name, sv->type)) {
                continue;
            }
            if (!n->a) {
                return true;
            }
            for (size_t k = 0; k < sv->n_scopes; k++) {
                if (eval(n->a, &sv->scopes[k], t)) {
                    return true;
                }
            }
        }
        return false;
    case N_EDGE:
        for (size_t i = 0; i < t->n_edges; i++) {
            const struct st_xf_edge *e = &t->edges[i];
            if (!target_matches(&n->t1, e->from, e->from_type) ||
                !target_matches(&n->t2, e->to, e->to_type)) {
                continue;
            }
            if (!n->a) {
                return true;
            }
            for (size_t k = 0; k < e->n_scopes; k++) {
                if (eval(n->a, &e->scopes[k], t)) {
                    return true;
                }
            }
        }
        return false;
    }
    return false;
}

bool st_xray_filter_match(const struct st_xray_filter *f, const struct st_xf_trace *t)
{
    return eval(f->root, &t->trace, t);
}
