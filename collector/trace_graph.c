/* SPDX-License-Identifier: MIT */
/*
 * The service graph (trace_graph.h): nodes found by hashing name and type (st_u64_map, checked
 * against the strings), edges kept per source node, and statistics that classify each request
 * as ok, error (4xx or the error flag), throttle (429 or the throttle flag; also an error) or
 * fault (5xx or the fault flag). Histograms keep sorted (value, count) pairs of durations
 * rounded to two significant digits, so their size stays bounded whatever the traffic.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "stratus/alloc.h"
#include "stratus/u64_map.h"
#include "trace_graph.h"

struct hist_entry {
    double value;
    int64_t count;
};

struct hist {
    struct hist_entry *e;
    size_t n, cap;
};

struct stats {
    int64_t ok, throttle, error_other, fault, total;
    double total_response_time;
    struct hist response;
};

struct gedge {
    size_t to;
    int64_t start_ms, end_ms;
    struct stats st;
};

struct gnode {
    char *name, *type; /* type NULL: none */
    bool client, inferred, root;
    bool has_stats;
    int64_t start_ms, end_ms;
    struct stats st;
    struct hist duration;
    struct gedge *edges;
    size_t n_edges, cap_edges;
};

struct st_trace_graph {
    struct gnode *nodes;
    size_t n_nodes, cap_nodes;
    struct st_u64_map by_key; /* hash of (client, name, type) -> index + 1 */
};

double st_trace_histogram_value(double seconds)
{
    if (!(seconds > 0) || !isfinite(seconds)) {
        return 0;
    }
    double scale = pow(10.0, 1.0 - floor(log10(seconds)));
    return round(seconds * scale) / scale;
}

static int hist_add(struct hist *h, double seconds)
{
    double v = st_trace_histogram_value(seconds);
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->e[mid].value < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < h->n && h->e[lo].value == v) {
        h->e[lo].count++;
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        struct hist_entry *e = st_realloc(h->e, cap * sizeof(*e));
        if (!e) {
            return -ENOMEM;
        }
        h->e = e;
        h->cap = cap;
    }
    memmove(&h->e[lo + 1], &h->e[lo], (h->n - lo) * sizeof(*h->e));
    h->e[lo] = (struct hist_entry){v, 1};
    h->n++;
    return 0;
}

static void span(int64_t *start_ms, int64_t *end_ms, const struct st_xray_segment *s)
{
    int64_t a = (int64_t)llround(s->start_time * 1000.0);
    int64_t b = s->in_progress ? a : (int64_t)llround(s->end_time * 1000.0);
    if (*start_ms == 0 || a < *start_ms) {
        *start_ms = a;
    }
    if (b > *end_ms) {
        *end_ms = b;
    }
}

static int stats_add(struct stats *st, const struct st_xray_segment *s)
{
    switch (st_trace_outcome(s)) {
    case ST_OUTCOME_OK:
        st->ok++;
        break;
    case ST_OUTCOME_ERROR:
        st->error_other++;
        break;
    case ST_OUTCOME_THROTTLE:
        st->throttle++;
        break;
    case ST_OUTCOME_FAULT:
        st->fault++;
        break;
    }
    st->total++;
    if (s->in_progress) {
        return 0;
    }
    double d = st_trace_duration(s);
    st->total_response_time += d;
    return hist_add(&st->response, d);
}

struct st_trace_graph *st_trace_graph_new(void)
{
    struct st_trace_graph *g = st_calloc(1, sizeof(*g));
    if (g) {
        st_u64_map_init(&g->by_key);
    }
    return g;
}

void st_trace_graph_free(struct st_trace_graph *g)
{
    if (!g) {
        return;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct gnode *n = &g->nodes[i];
        st_free(n->name);
        st_free(n->type);
        st_free(n->st.response.e);
        st_free(n->duration.e);
        for (size_t k = 0; k < n->n_edges; k++) {
            st_free(n->edges[k].st.response.e);
        }
        st_free(n->edges);
    }
    st_free(g->nodes);
    st_u64_map_fini(&g->by_key);
    st_free(g);
}

static bool same(const struct gnode *n, bool client, const char *name, const char *type)
{
    return n->client == client && strcmp(n->name, name) == 0 &&
           ((!n->type && !type) || (n->type && type && strcmp(n->type, type) == 0));
}

static uint64_t node_hash(bool client, const char *name, const char *type)
{
    uint64_t seed = type ? XXH3_64bits(type, strlen(type)) : 0;
    return XXH3_64bits_withSeed(name, strlen(name), seed ^ (client ? 0x9e3779b97f4a7c15ull : 0));
}

/* The index of node (client, name, type), created when new; -ENOMEM. */
static long node_of(struct st_trace_graph *g, bool client, const char *name, const char *type)
{
    uint64_t h = node_hash(client, name, type);
    uintptr_t v = (uintptr_t)st_u64_map_get(&g->by_key, h);
    if (v && same(&g->nodes[v - 1], client, name, type)) {
        return (long)(v - 1);
    }
    if (v) {
        /* A hash collision: fall back to a scan. */
        for (size_t i = 0; i < g->n_nodes; i++) {
            if (same(&g->nodes[i], client, name, type)) {
                return (long)i;
            }
        }
    }
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? g->cap_nodes * 2 : 16;
        struct gnode *nodes = st_realloc(g->nodes, cap * sizeof(*nodes));
        if (!nodes) {
            return -ENOMEM;
        }
        g->nodes = nodes;
        g->cap_nodes = cap;
    }
    struct gnode *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof(*n));
    n->name = st_strdup(name);
    n->type = type ? st_strdup(type) : NULL;
    if (!n->name || (type && !n->type)) {
        st_free(n->name);
        st_free(n->type);
        return -ENOMEM;
    }
    n->client = client;
    if (!v && st_u64_map_put(&g->by_key, h, (void *)(uintptr_t)(g->n_nodes + 1)) < 0) {
        st_free(n->name);
        st_free(n->type);
        return -ENOMEM;
    }
    return (long)g->n_nodes++;
}

static struct gedge *edge_of(struct gnode *from, size_t to)
{
    for (size_t i = 0; i < from->n_edges; i++) {
        if (from->edges[i].to == to) {
            return &from->edges[i];
        }
    }
    if (from->n_edges == from->cap_edges) {
        size_t cap = from->cap_edges ? from->cap_edges * 2 : 4;
        struct gedge *e = st_realloc(from->edges, cap * sizeof(*e));
        if (!e) {
            return NULL;
        }
        from->edges = e;
        from->cap_edges = cap;
    }
    struct gedge *e = &from->edges[from->n_edges++];
    memset(e, 0, sizeof(*e));
    e->to = to;
    return e;
}

int st_trace_graph_add(struct st_trace_graph *g, const struct st_trace_assembly *as)
{
    long *idx = st_calloc(as->n_services + 1, sizeof(*idx));
    if (!idx) {
        return -ENOMEM;
    }
    int r = 0;
    for (size_t i = 0; i < as->n_services; i++) {
        const struct st_trace_service *s = &as->services[i];
        if ((idx[i] = node_of(g, false, s->name, s->type)) < 0) {
            r = -ENOMEM;
            goto out;
        }
        struct gnode *n = &g->nodes[idx[i]];
        n->inferred = n->inferred || s->inferred;
        n->root = n->root || s->root;
    }
    for (size_t i = 0; i < as->n_segs; i++) {
        struct gnode *n = &g->nodes[idx[as->segs[i].service]];
        n->has_stats = true;
        span(&n->start_ms, &n->end_ms, as->segs[i].seg);
        if ((r = stats_add(&n->st, as->segs[i].seg)) < 0) {
            goto out;
        }
        const struct st_xray_segment *s = as->segs[i].seg;
        if (!s->in_progress && (r = hist_add(&n->duration, st_trace_duration(s))) < 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < as->n_calls; i++) {
        const struct st_trace_call *c = &as->calls[i];
        long from;
        if (c->from < 0) {
            const struct st_trace_service *root = &as->services[c->to];
            if ((from = node_of(g, true, root->name, "client")) < 0) {
                r = -ENOMEM;
                goto out;
            }
        } else {
            from = idx[c->from];
        }
        struct gedge *e = edge_of(&g->nodes[from], (size_t)idx[c->to]);
        if (!e) {
            r = -ENOMEM;
            goto out;
        }
        span(&e->start_ms, &e->end_ms, c->node);
        if ((r = stats_add(&e->st, c->node)) < 0) {
            goto out;
        }
        struct gnode *to = &g->nodes[idx[c->to]];
        if (as->services[c->to].inferred) {
            /* Inferred nodes have no segments: their statistics are the calls'. */
            to->has_stats = true;
            span(&to->start_ms, &to->end_ms, c->node);
            if ((r = stats_add(&to->st, c->node)) < 0) {
                goto out;
            }
            if (!c->node->in_progress &&
                (r = hist_add(&to->duration, st_trace_duration(c->node))) < 0) {
                goto out;
            }
        }
        struct gnode *fn = &g->nodes[from];
        if (fn->client) {
            span(&fn->start_ms, &fn->end_ms, c->node);
        }
    }
out:
    st_free(idx);
    return r;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_nodes(const void *pa, const void *pb, void *data)
{
    const struct st_trace_graph *g = data;
    const struct gnode *a = &g->nodes[*(const size_t *)pa];
    const struct gnode *b = &g->nodes[*(const size_t *)pb];
    int c = strcmp(a->name, b->name);
    if (c == 0) {
        c = (int)a->client - (int)b->client;
    }
    return c ? c : cmp_str(a->type, b->type);
}

static void *alloc(struct st_arena *a, size_t n)
{
    void *p = st_arena_alloc(a, n ? n : 1);
    if (p) {
        memset(p, 0, n ? n : 1);
    }
    return p;
}

static char *dup(struct st_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = st_arena_alloc(a, n);
    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

static int fill_hist(const struct hist *h, struct st_arena *a, Stratus__HistogramEntry ***ret,
                     size_t *ret_n)
{
    Stratus__HistogramEntry **out = alloc(a, h->n * sizeof(*out));
    Stratus__HistogramEntry *e = alloc(a, h->n * sizeof(*e));
    if (!out || !e) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < h->n; i++) {
        stratus__histogram_entry__init(&e[i]);
        e[i].has_value = e[i].has_count = true;
        e[i].value = h->e[i].value;
        e[i].count = h->e[i].count > INT32_MAX ? INT32_MAX : (int32_t)h->e[i].count;
        out[i] = &e[i];
    }
    *ret = out;
    *ret_n = h->n;
    return 0;
}

/* Fills the five statistics members shared by EdgeStatistics and ServiceStatistics. */
#define FILL_STATS(m, st, a)                                                                       \
    do {                                                                                           \
        Stratus__ErrorStatistics *es = alloc(a, sizeof(*es));                                      \
        Stratus__FaultStatistics *fs = alloc(a, sizeof(*fs));                                      \
        if (!es || !fs) {                                                                          \
            return -ENOMEM;                                                                        \
        }                                                                                          \
        stratus__error_statistics__init(es);                                                       \
        stratus__fault_statistics__init(fs);                                                       \
        es->has_throttle_count = es->has_other_count = es->has_total_count = true;                 \
        es->throttle_count = (st)->throttle;                                                       \
        es->other_count = (st)->error_other;                                                       \
        es->total_count = (st)->throttle + (st)->error_other;                                      \
        fs->has_other_count = fs->has_total_count = true;                                          \
        fs->other_count = fs->total_count = (st)->fault;                                           \
        (m)->has_ok_count = (m)->has_total_count = (m)->has_total_response_time = true;            \
        (m)->ok_count = (st)->ok;                                                                  \
        (m)->total_count = (st)->total;                                                            \
        (m)->total_response_time = st_trace_round_s((st)->total_response_time);                    \
        (m)->error_statistics = es;                                                                \
        (m)->fault_statistics = fs;                                                                \
    } while (0)

static int fill_edge(const struct gedge *ge, const size_t *ref, struct st_arena *a,
                     Stratus__Edge *e)
{
    stratus__edge__init(e);
    e->has_reference_id = e->has_start_time_ms = e->has_end_time_ms = true;
    e->reference_id = (int32_t)ref[ge->to];
    e->start_time_ms = ge->start_ms;
    e->end_time_ms = ge->end_ms;
    Stratus__EdgeStatistics *st = alloc(a, sizeof(*st));
    if (!st) {
        return -ENOMEM;
    }
    stratus__edge_statistics__init(st);
    FILL_STATS(st, &ge->st, a);
    e->summary_statistics = st;
    return fill_hist(&ge->st.response, a, &e->response_time_histogram,
                     &e->n_response_time_histogram);
}

static int fill_node(const struct gnode *n, int32_t ref_id, const size_t *ref, struct st_arena *a,
                     Stratus__Service *s)
{
    stratus__service__init(s);
    s->has_reference_id = true;
    s->reference_id = ref_id;
    s->name = dup(a, n->name);
    s->names = alloc(a, sizeof(*s->names));
    if (!s->name || !s->names) {
        return -ENOMEM;
    }
    s->names[0] = s->name;
    s->n_names = 1;
    if (n->root && !n->client) {
        s->has_root = s->root = true;
    }
    if (n->type && !(s->type = dup(a, n->type))) {
        return -ENOMEM;
    }
    s->state = (char *)(n->client || n->inferred ? "unknown" : "active");
    s->has_start_time_ms = s->has_end_time_ms = true;
    s->start_time_ms = n->start_ms;
    s->end_time_ms = n->end_ms;
    s->edges = alloc(a, n->n_edges * sizeof(*s->edges));
    Stratus__Edge *edges = alloc(a, n->n_edges * sizeof(*edges));
    if (!s->edges || !edges) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n->n_edges; i++) {
        if (fill_edge(&n->edges[i], ref, a, &edges[i]) < 0) {
            return -ENOMEM;
        }
        s->edges[i] = &edges[i];
    }
    s->n_edges = n->n_edges;
    if (!n->has_stats) {
        return 0;
    }
    Stratus__ServiceStatistics *st = alloc(a, sizeof(*st));
    if (!st) {
        return -ENOMEM;
    }
    stratus__service_statistics__init(st);
    FILL_STATS(st, &n->st, a);
    s->summary_statistics = st;
    if (fill_hist(&n->duration, a, &s->duration_histogram, &s->n_duration_histogram) < 0) {
        return -ENOMEM;
    }
    return fill_hist(&n->st.response, a, &s->response_time_histogram,
                     &s->n_response_time_histogram);
}

int st_trace_graph_response(const struct st_trace_graph *g, int64_t start_ms, int64_t end_ms,
                            struct st_arena *a, Stratus__GetServiceGraphResponse *resp)
{
    stratus__get_service_graph_response__init(resp);
    resp->has_start_time_ms = resp->has_end_time_ms = resp->has_contains_old_group_versions = true;
    resp->start_time_ms = start_ms;
    resp->end_time_ms = end_ms;
    size_t n = g->n_nodes;
    size_t *order = alloc(a, n * sizeof(*order));
    size_t *ref = alloc(a, n * sizeof(*ref));
    resp->services = alloc(a, n * sizeof(*resp->services));
    Stratus__Service *svcs = alloc(a, n * sizeof(*svcs));
    if (!order || !ref || !resp->services || !svcs) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
    }
    qsort_r(order, n, sizeof(*order), cmp_nodes, (void *)g);
    for (size_t i = 0; i < n; i++) {
        ref[order[i]] = i;
    }
    for (size_t i = 0; i < n; i++) {
        if (fill_node(&g->nodes[order[i]], (int32_t)i, ref, a, &svcs[i]) < 0) {
            return -ENOMEM;
        }
        resp->services[i] = &svcs[i];
    }
    resp->n_services = n;
    return 0;
}

bool st_trace_graph_page(Stratus__GetServiceGraphResponse *resp, size_t first, size_t max)
{
    size_t n = resp->n_services;
    if (first > n) {
        first = n; /* the graph shrank between pages: nothing is left */
    }
    resp->services += first;
    resp->n_services = n - first < max ? n - first : max;
    return first + resp->n_services < n;
}

void st_trace_graph_token(char *buf, int64_t start_ms, int64_t end_ms, size_t first)
{
    snprintf(buf, ST_TRACE_GRAPH_TOKEN_LEN, "sg1:%" PRId64 ":%" PRId64 ":%zu", start_ms, end_ms,
             first);
}

/* Reads a decimal at *p up to stop into *ret, advancing *p past stop. */
static bool token_number(const char **p, char stop, long long *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (errno || end == *p || *end != stop) {
        return false;
    }
    *ret = v;
    *p = end + (stop != '\0');
    return true;
}

int st_trace_graph_token_parse(const char *token, int64_t start_ms, int64_t end_ms,
                               size_t *ret_first)
{
    long long s, e, first;
    const char *p = token;
    if (strlen(token) >= ST_TRACE_GRAPH_TOKEN_LEN || strncmp(p, "sg1:", 4) != 0) {
        return -EINVAL;
    }
    p += 4;
    if (!token_number(&p, ':', &s) || !token_number(&p, ':', &e) ||
        !token_number(&p, '\0', &first) || s != start_ms || e != end_ms || first < 0) {
        return -EINVAL;
    }
    /* Only what st_trace_graph_token writes: no signs, spaces or leading zeros. */
    char again[ST_TRACE_GRAPH_TOKEN_LEN];
    st_trace_graph_token(again, s, e, (size_t)first);
    if (strcmp(again, token) != 0) {
        return -EINVAL;
    }
    *ret_first = (size_t)first;
    return 0;
}
