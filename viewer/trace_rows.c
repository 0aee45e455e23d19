/* SPDX-License-Identifier: MIT */
/*
 * The waterfall rows of a trace (trace_rows.h). Every (sub)segment of every document becomes
 * a node with the index of its parent: the enclosing (sub)segment inside a document, or for a
 * document's root the node whose id its parent_id names. Children are sorted by (parent,
 * start), and an explicit-stack depth-first walk from the top-level nodes emits the rows, so
 * neither deep nesting nor a cycle between documents can recurse without bound.
 */
#include "trace_rows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct node {
    const struct st_xray_segment *seg;
    long parent; /* -1: top level */
    bool is_segment;
    bool done;
};

struct nodes {
    struct node *v;
    size_t n, cap;
};

enum st_trace_status st_trace_status_of(const struct st_xray_segment *s)
{
    if (s->fault) {
        return ST_TRACE_FAULT;
    }
    if (s->error) {
        return ST_TRACE_ERROR;
    }
    if (s->throttle) {
        return ST_TRACE_THROTTLE;
    }
    return ST_TRACE_OK;
}

static int add(struct nodes *ns, const struct st_xray_segment *seg, long parent, bool is_segment)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 64;
        struct node *v = realloc(ns->v, cap * sizeof(*v));
        if (!v) {
            return -ENOMEM;
        }
        ns->v = v;
        ns->cap = cap;
    }
    ns->v[ns->n++] = (struct node){.seg = seg, .parent = parent, .is_segment = is_segment};
    return 0;
}

/* Adds the subsegments below node index `at`, breadth first within the document. */
static int add_subsegments(struct nodes *ns, size_t at)
{
    for (size_t i = at; i < ns->n; i++) {
        const struct st_xray_segment *s = ns->v[i].seg;
        for (size_t k = 0; k < s->n_subsegments; k++) {
            if (add(ns, &s->subsegments[k], (long)i, false) < 0) {
                return -ENOMEM;
            }
        }
    }
    return 0;
}

struct sort_key {
    long parent;
    double start;
    size_t index;
};

static int by_parent_start(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->parent != y->parent) {
        return x->parent < y->parent ? -1 : 1;
    }
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

static long find_id(const struct nodes *ns, const char *id, size_t doc_first, size_t doc_end)
{
    for (size_t i = 0; i < ns->n; i++) {
        if ((i < doc_first || i >= doc_end) && strcmp(ns->v[i].seg->id, id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

int st_trace_rows_build(struct st_xray_doc *const *docs, size_t n_docs, struct st_trace_rows *ret)
{
    struct nodes ns = {0};
    size_t *doc_first = calloc(n_docs + 1, sizeof(*doc_first));
    size_t *order = NULL, *first_child = NULL, *stack = NULL;
    struct sort_key *keys = NULL;
    int *depth = NULL;
    struct st_trace_row *rows = NULL;
    int r = -ENOMEM;
    if (!doc_first) {
        goto out;
    }
    for (size_t d = 0; d < n_docs; d++) {
        doc_first[d] = ns.n;
        if (add(&ns, &docs[d]->root, -1, true) < 0 || add_subsegments(&ns, ns.n - 1) < 0) {
            goto out;
        }
    }
    doc_first[n_docs] = ns.n;
    /* Hang each document under the node its parent_id names, in another document. */
    for (size_t d = 0; d < n_docs; d++) {
        const struct st_xray_segment *root = &docs[d]->root;
        if (root->parent_id[0]) {
            ns.v[doc_first[d]].parent =
                find_id(&ns, root->parent_id, doc_first[d], doc_first[d + 1]);
        }
    }
    size_t n = ns.n;
    order = malloc((n ? n : 1) * sizeof(*order));
    first_child = malloc((n + 1) * sizeof(*first_child));
    stack = malloc((n ? n : 1) * sizeof(*stack));
    depth = malloc((n ? n : 1) * sizeof(*depth));
    rows = malloc((n ? n : 1) * sizeof(*rows));
    keys = malloc((n ? n : 1) * sizeof(*keys));
    if (!order || !first_child || !stack || !depth || !rows || !keys) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct sort_key){ns.v[i].parent, ns.v[i].seg->start_time, i};
    }
    qsort(keys, n, sizeof(*keys), by_parent_start);
    for (size_t i = 0; i < n; i++) {
        order[i] = keys[i].index;
    }
    /* first_child[p]: where p's children start in order[]; the top level (-1) comes first. */
    size_t top_end = 0;
    while (top_end < n && ns.v[order[top_end]].parent < 0) {
        top_end++;
    }
    for (size_t i = 0; i <= n; i++) {
        first_child[i] = n;
    }
    for (size_t k = n; k-- > top_end;) {
        first_child[ns.v[order[k]].parent] = k;
    }
    double t0 = 0, t1 = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct st_xray_segment *s = ns.v[i].seg;
        double end = s->end_time > s->start_time ? s->end_time : s->start_time;
        if (!any || s->start_time < t0) {
            t0 = s->start_time;
        }
        if (!any || end > t1) {
            t1 = end;
        }
        any = true;
    }
    if (!(t1 > t0)) {
        t1 = t0 + 0.001;
    }
    size_t n_rows = 0;
    /* Walk from the top-level nodes, then from any node a cycle kept unreached. */
    for (size_t pass = 0; pass < 2; pass++) {
        size_t lim = pass == 0 ? top_end : n;
        for (size_t k = 0; k < lim; k++) {
            /* The first pass in start order, the second in document order. */
            size_t start = pass == 0 ? order[k] : k;
            if (ns.v[start].done || (pass == 1 && !ns.v[start].is_segment)) {
                continue;
            }
            size_t sp = 0;
            stack[sp++] = start;
            depth[start] = 0;
            while (sp) {
                size_t i = stack[--sp];
                if (ns.v[i].done) {
                    continue;
                }
                ns.v[i].done = true;
                const struct st_xray_segment *s = ns.v[i].seg;
                rows[n_rows++] = (struct st_trace_row){
                    .seg = s,
                    .depth = depth[i],
                    .is_segment = ns.v[i].is_segment,
                    .start_s = s->start_time,
                    .end_s = s->in_progress || s->end_time < s->start_time ? t1 : s->end_time,
                    .status = st_trace_status_of(s),
                };
                /* Push the children last-first so that the earliest pops first. */
                size_t c0 = first_child[i], c1 = c0;
                while (c1 < n && ns.v[order[c1]].parent == (long)i) {
                    c1++;
                }
                for (size_t c = c1; c-- > c0;) {
                    if (!ns.v[order[c]].done && sp < n) {
                        depth[order[c]] = depth[i] + 1;
                        stack[sp++] = order[c];
                    }
                }
            }
        }
    }
    ret->rows = rows;
    ret->n = n_rows;
    ret->t0_s = t0;
    ret->t1_s = t1;
    rows = NULL;
    r = 0;
out:
    free(keys);
    free(rows);
    free(depth);
    free(stack);
    free(first_child);
    free(order);
    free(doc_first);
    free(ns.v);
    return r;
}

void st_trace_rows_fini(struct st_trace_rows *r)
{
    if (!r) {
        return;
    }
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

double st_trace_rows_x(const struct st_trace_rows *r, double t_s, double x0, double width)
{
    return x0 + (t_s - r->t0_s) / (r->t1_s - r->t0_s) * width;
}
