/* SPDX-License-Identifier: MIT */
/*
 * Trace assembly (trace_model.h): keeping one version of each document of a trace, linking
 * segments to the subsegments that called them, attaching independent subsegments to their
 * segments, finding the downstream calls and the services (sent or inferred) of a trace, and
 * the facts a filter expression is evaluated on. Worker thread of the trace store, or tests.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/u64_map.h"
#include "trace_model.h"

struct st_trace *st_trace_new(const char *id)
{
    struct st_trace *t = st_calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    snprintf(t->id, sizeof(t->id), "%s", id);
    st_xray_valid_trace_id(t->id, strlen(t->id), &t->id_epoch_s);
    t->bytes = sizeof(*t);
    return t;
}

void st_trace_free(struct st_trace *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->n_docs; i++) {
        st_xray_doc_free(t->docs[i]);
    }
    st_free(t->docs);
    st_free(t);
}

static size_t doc_bytes(const struct st_xray_doc *d)
{
    return sizeof(*d) + d->arena.used_bytes;
}

int st_trace_add(struct st_trace *t, struct st_xray_doc *doc)
{
    const struct st_xray_segment *s = &doc->root;
    for (size_t i = 0; i < t->n_docs; i++) {
        struct st_xray_doc *old = t->docs[i];
        if (strcmp(old->root.id, s->id) != 0) {
            continue;
        }
        if (s->in_progress && !old->root.in_progress) {
            st_xray_doc_free(doc);
            return 0;
        }
        t->bytes -= doc_bytes(old);
        st_xray_doc_free(old);
        t->docs[i] = doc;
        t->bytes += doc_bytes(doc);
        goto times;
    }
    if (t->n_docs >= ST_TRACE_MAX_DOCS) {
        st_xray_doc_free(doc);
        return -ENOSPC;
    }
    if (t->n_docs == t->cap_docs) {
        size_t cap = t->cap_docs ? t->cap_docs * 2 : 4;
        struct st_xray_doc **docs = st_realloc(t->docs, cap * sizeof(*docs));
        if (!docs) {
            st_xray_doc_free(doc);
            return -ENOMEM;
        }
        t->docs = docs;
        t->bytes += (cap - t->cap_docs) * sizeof(*docs);
        t->cap_docs = cap;
    }
    t->docs[t->n_docs++] = doc;
    t->bytes += doc_bytes(doc);
times:
    t->start = t->end = 0;
    for (size_t i = 0; i < t->n_docs; i++) {
        const struct st_xray_segment *d = &t->docs[i]->root;
        double end = d->in_progress ? d->start_time : d->end_time;
        if (t->start == 0 || d->start_time < t->start) {
            t->start = d->start_time;
        }
        if (end > t->end) {
            t->end = end;
        }
    }
    return 1;
}

double st_trace_round_s(double seconds)
{
    return round(seconds * 1e6) / 1e6;
}

double st_trace_duration(const struct st_xray_segment *s)
{
    return s->in_progress ? 0 : st_trace_round_s(s->end_time - s->start_time);
}

enum st_trace_outcome st_trace_outcome(const struct st_xray_segment *s)
{
    int st = s->http.status;
    if (s->fault || (st >= 500 && st <= 599)) {
        return ST_OUTCOME_FAULT;
    }
    if (s->throttle || st == 429) {
        return ST_OUTCOME_THROTTLE;
    }
    if (s->error || (st >= 400 && st <= 499)) {
        return ST_OUTCOME_ERROR;
    }
    return ST_OUTCOME_OK;
}

const char *st_trace_inferred_type(const struct st_xray_segment *call, struct st_arena *a)
{
    if (!call->namespace_name || strcmp(call->namespace_name, "aws") != 0) {
        return call->has_sql ? "Database::SQL" : "remote";
    }
    static const struct {
        const char *service, *type;
    } known[] = {
        {"DynamoDB", "AWS::DynamoDB::Table"},
        {"S3", "AWS::S3::Bucket"},
        {"SQS", "AWS::SQS::Queue"},
        {"SNS", "AWS::SNS::Topic"},
        {"Lambda", "AWS::Lambda"},
        {"Kinesis", "AWS::Kinesis::Stream"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(call->name, known[i].service) == 0) {
            return known[i].type;
        }
    }
    size_t n = strlen(call->name) + 6;
    char *t = st_arena_alloc(a, n);
    if (t) {
        snprintf(t, n, "AWS::%s", call->name);
    }
    return t;
}

static uint64_t id_key(const char *hex)
{
    uint64_t v = 0;
    for (const char *p = hex; *p; p++) {
        char ch = *p | 0x20;
        v = v * 16 + (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
    }
    return v;
}

/* Where an id was seen: the segment (index into segs) whose tree holds it. */
struct where {
    const struct st_xray_segment *node;
    size_t seg;
    bool is_segment_root;
};

struct build {
    struct st_arena *a;
    struct st_trace_assembly *as;
    struct st_u64_map ids;
    struct where *wheres;
    size_t n_wheres, cap_wheres;
    size_t cap_services, cap_calls;
    int err;
};

static int index_tree(struct build *b, const struct st_xray_segment *s, size_t seg, bool root)
{
    if (b->n_wheres == b->cap_wheres) {
        size_t cap = b->cap_wheres ? b->cap_wheres * 2 : 64;
        struct where *w = st_realloc(b->wheres, cap * sizeof(*w));
        if (!w) {
            return -ENOMEM;
        }
        /* The map holds indexes + 1, not pointers, so a move is harmless. */
        b->wheres = w;
        b->cap_wheres = cap;
    }
    b->wheres[b->n_wheres] = (struct where){s, seg, root};
    b->n_wheres++;
    if (st_u64_map_put(&b->ids, id_key(s->id), (void *)(uintptr_t)b->n_wheres) < 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_subsegments; i++) {
        int r = index_tree(b, &s->subsegments[i], seg, false);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static const struct where *lookup(const struct build *b, const char *id)
{
    uintptr_t v = (uintptr_t)st_u64_map_get(&b->ids, id_key(id));
    return v ? &b->wheres[v - 1] : NULL;
}

static int service_index(struct build *b, const char *name, const char *type, bool inferred)
{
    struct st_trace_assembly *as = b->as;
    for (size_t i = 0; i < as->n_services; i++) {
        const struct st_trace_service *s = &as->services[i];
        if (strcmp(s->name, name) == 0 &&
            ((!s->type && !type) || (s->type && type && strcmp(s->type, type) == 0))) {
            /* A service that sent segments is not inferred, whoever else calls it. */
            return (int)i;
        }
    }
    if (as->n_services == b->cap_services) {
        size_t cap = b->cap_services ? b->cap_services * 2 : 8;
        struct st_trace_service *n = st_arena_alloc(b->a, cap * sizeof(*n));
        if (!n) {
            return -ENOMEM;
        }
        if (as->n_services) {
            memcpy(n, as->services, as->n_services * sizeof(*n));
        }
        as->services = n;
        b->cap_services = cap;
    }
    as->services[as->n_services] = (struct st_trace_service){name, type, inferred, false};
    return (int)as->n_services++;
}

static int add_call(struct build *b, int from, int to, const struct st_xray_segment *node,
                    bool remote)
{
    struct st_trace_assembly *as = b->as;
    if (as->n_calls == b->cap_calls) {
        size_t cap = b->cap_calls ? b->cap_calls * 2 : 8;
        struct st_trace_call *n = st_arena_alloc(b->a, cap * sizeof(*n));
        if (!n) {
            return -ENOMEM;
        }
        if (as->n_calls) {
            memcpy(n, as->calls, as->n_calls * sizeof(*n));
        }
        as->calls = n;
        b->cap_calls = cap;
    }
    as->calls[as->n_calls++] = (struct st_trace_call){from, to, node, remote};
    return 0;
}

/* The callee segment of a downstream call node, if it sent one: -1 otherwise. */
static int callee_of(const struct st_trace_assembly *as, const struct st_xray_segment *node)
{
    for (size_t i = 0; i < as->n_segs; i++) {
        if (strcmp(as->segs[i].seg->parent_id, node->id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool is_downstream(const struct st_xray_segment *s)
{
    return s->namespace_name != NULL; /* the parser admits only "remote" and "aws" */
}

/* Finds the downstream calls under s (not inside another call) made by segment seg. */
static int find_calls(struct build *b, const struct st_xray_segment *s, size_t seg)
{
    struct st_trace_assembly *as = b->as;
    for (size_t i = 0; i < s->n_subsegments; i++) {
        const struct st_xray_segment *sub = &s->subsegments[i];
        if (!is_downstream(sub)) {
            int r = find_calls(b, sub, seg);
            if (r < 0) {
                return r;
            }
            continue;
        }
        as->segs[seg].leaf = false;
        int callee = callee_of(as, sub);
        int to;
        if (callee >= 0) {
            to = as->segs[callee].service;
        } else {
            const char *type = st_trace_inferred_type(sub, b->a);
            if (!type || (to = service_index(b, sub->name, type, true)) < 0) {
                return -ENOMEM;
            }
        }
        int r =
            add_call(b, as->segs[seg].service, to, sub, strcmp(sub->namespace_name, "remote") == 0);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static int assemble(struct build *b, const struct st_trace *t)
{
    struct st_trace_assembly *as = b->as;
    int r;
    as->segs = st_arena_alloc(b->a, (t->n_docs + 1) * sizeof(*as->segs));
    const struct st_xray_segment **indep = st_arena_alloc(b->a, (t->n_docs + 1) * sizeof(*indep));
    if (!as->segs || !indep) {
        return -ENOMEM;
    }
    size_t n_indep = 0;
    for (size_t i = 0; i < t->n_docs; i++) {
        const struct st_xray_segment *s = &t->docs[i]->root;
        if (s->in_progress) {
            as->partial = true;
        }
        if (s->independent) {
            indep[n_indep++] = s;
            continue;
        }
        size_t k = as->n_segs++;
        int svc = service_index(b, s->name, s->origin, false);
        if (svc < 0) {
            return -ENOMEM;
        }
        as->services[svc].inferred = false;
        as->segs[k] = (struct st_trace_seg){.seg = s, .service = svc, .leaf = true};
        as->segs[k].root = s->parent_id[0] == '\0';
        if (as->segs[k].root) {
            as->services[svc].root = true;
        }
        if ((r = index_tree(b, s, k, true)) < 0) {
            return r;
        }
    }
    /* Independent subsegments may hang under each other: attach them in rounds. */
    bool *done = st_arena_alloc(b->a, n_indep + 1);
    if (!done) {
        return -ENOMEM;
    }
    memset(done, 0, n_indep + 1);
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < n_indep; i++) {
            const struct where *w;
            if (done[i] || !(w = lookup(b, indep[i]->parent_id))) {
                continue;
            }
            struct st_trace_seg *sg = &as->segs[w->seg];
            const struct st_xray_segment **extra =
                st_arena_alloc(b->a, (sg->n_extra + 1) * sizeof(*extra));
            if (!extra) {
                return -ENOMEM;
            }
            if (sg->n_extra) {
                memcpy(extra, sg->extra, sg->n_extra * sizeof(*extra));
            }
            extra[sg->n_extra++] = indep[i];
            sg->extra = extra;
            if ((r = index_tree(b, indep[i], w->seg, false)) < 0) {
                return r;
            }
            done[i] = true;
            progress = true;
        }
    }
    for (size_t i = 0; i < n_indep; i++) {
        if (!done[i]) {
            as->partial = true;
        }
    }
    for (size_t i = 0; i < as->n_segs; i++) {
        struct st_trace_seg *sg = &as->segs[i];
        if (sg->root) {
            if (!as->root) {
                as->root = sg;
            }
            if ((r = add_call(b, -1, sg->service, sg->seg, false)) < 0) {
                return r;
            }
        } else if (!lookup(b, sg->seg->parent_id)) {
            as->partial = true; /* the caller's segment has not arrived (yet) */
        }
    }
    for (size_t i = 0; i < as->n_segs; i++) {
        if ((r = find_calls(b, as->segs[i].seg, i)) < 0) {
            return r;
        }
        for (size_t k = 0; k < as->segs[i].n_extra; k++) {
            const struct st_xray_segment *x = as->segs[i].extra[k];
            if (is_downstream(x)) {
                /* An independent subsegment that is itself the call. */
                struct st_xray_segment wrap = {.subsegments = (struct st_xray_segment *)x,
                                               .n_subsegments = 1};
                r = find_calls(b, &wrap, i);
            } else {
                r = find_calls(b, x, i);
            }
            if (r < 0) {
                return r;
            }
        }
    }
    return 0;
}

int st_trace_assemble(const struct st_trace *t, struct st_arena *a, struct st_trace_assembly *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->trace = t;
    struct build b = {.a = a, .as = ret};
    st_u64_map_init(&b.ids);
    int r = assemble(&b, t);
    st_u64_map_fini(&b.ids);
    st_free(b.wheres);
    return r;
}

/* --- facts for filter expressions --- */

struct collect {
    struct st_arena *a;
    const char **users;
    size_t n_users, cap_users;
    const char **messages;
    size_t n_messages, cap_messages;
    const struct st_xray_annotation **ann;
    size_t n_ann, cap_ann;
};

static int grow(struct st_arena *a, void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) {
        return 0;
    }
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = st_arena_alloc(a, nc * size);
    if (!p) {
        return -ENOMEM;
    }
    if (n) {
        memcpy(p, *arr, n * size);
    }
    *arr = p;
    *cap = nc;
    return 0;
}

/* Gathers users, messages and annotations of s and its subsegments (not past calls when
 * stop_at_calls, so that a segment's facts do not include what its callees did). */
static int collect_tree(struct collect *c, const struct st_xray_segment *s, bool top)
{
    if (s->user) {
        bool seen = false;
        for (size_t i = 0; i < c->n_users; i++) {
            seen = seen || strcmp(c->users[i], s->user) == 0;
        }
        if (!seen) {
            if (grow(c->a, (void **)&c->users, c->n_users, &c->cap_users, sizeof(char *)) < 0) {
                return -ENOMEM;
            }
            c->users[c->n_users++] = s->user;
        }
    }
    for (size_t i = 0; i < s->n_messages; i++) {
        if (grow(c->a, (void **)&c->messages, c->n_messages, &c->cap_messages, sizeof(char *)) <
            0) {
            return -ENOMEM;
        }
        c->messages[c->n_messages++] = s->messages[i];
    }
    for (size_t i = 0; i < s->n_annotations; i++) {
        if (grow(c->a, (void **)&c->ann, c->n_ann, &c->cap_ann, sizeof(void *)) < 0) {
            return -ENOMEM;
        }
        c->ann[c->n_ann++] = &s->annotations[i];
    }
    (void)top;
    for (size_t i = 0; i < s->n_subsegments; i++) {
        int r = collect_tree(c, &s->subsegments[i], false);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static void set_outcome(struct st_xf_scope *sc, enum st_trace_outcome o)
{
    sc->ok = o == ST_OUTCOME_OK;
    sc->fault = o == ST_OUTCOME_FAULT;
    sc->throttle = o == ST_OUTCOME_THROTTLE;
    sc->error = o == ST_OUTCOME_ERROR || o == ST_OUTCOME_THROTTLE;
}

static double duration_of(const struct st_xray_segment *s)
{
    return s->in_progress ? NAN : st_trace_duration(s);
}

static void scope_from(struct st_xf_scope *sc, const struct st_xray_segment *s,
                       const struct collect *c)
{
    sc->responsetime = sc->duration = duration_of(s);
    sc->http_status = s->http.status;
    sc->http_url = s->http.url;
    sc->http_method = s->http.method;
    sc->http_useragent = s->http.user_agent;
    sc->http_clientip = s->http.client_ip;
    set_outcome(sc, st_trace_outcome(s));
    sc->partial = s->in_progress;
    sc->users = c->users;
    sc->n_users = c->n_users;
    sc->messages = c->messages;
    sc->n_messages = c->n_messages;
    sc->annotations = c->ann;
    sc->n_annotations = c->n_ann;
}

static int seg_scope(const struct st_trace_assembly *as, const struct st_trace_seg *sg,
                     struct st_arena *a, struct st_xf_scope *sc)
{
    struct collect c = {.a = a};
    if (collect_tree(&c, sg->seg, true) < 0) {
        return -ENOMEM;
    }
    for (size_t k = 0; k < sg->n_extra; k++) {
        if (collect_tree(&c, sg->extra[k], true) < 0) {
            return -ENOMEM;
        }
    }
    memset(sc, 0, sizeof(*sc));
    scope_from(sc, sg->seg, &c);
    const struct st_trace_service *sv = &as->services[sg->service];
    sc->name = sv->name;
    sc->type = sv->type;
    sc->root = sc->first = sg->root;
    sc->last = sg->leaf;
    return 0;
}

int st_trace_facts(const struct st_trace_assembly *as, struct st_arena *a, struct st_xf_trace *ret)
{
    memset(ret, 0, sizeof(*ret));
    struct st_xf_service *svcs = st_arena_alloc(a, (as->n_services + 1) * sizeof(*svcs));
    struct st_xf_scope *seg_scopes = st_arena_alloc(a, (as->n_segs + 1) * sizeof(*seg_scopes));
    struct st_xf_scope *call_scopes = st_arena_alloc(a, (as->n_calls + 1) * sizeof(*call_scopes));
    struct st_xf_edge *edges = st_arena_alloc(a, (as->n_calls + 1) * sizeof(*edges));
    if (!svcs || !seg_scopes || !call_scopes || !edges) {
        return -ENOMEM;
    }
    /* The trace as a whole: every segment's users, messages and annotations. */
    struct collect all = {.a = a};
    enum st_trace_outcome worst = ST_OUTCOME_OK;
    bool any_error = false, any_throttle = false, any_fault = false;
    for (size_t i = 0; i < as->n_segs; i++) {
        if (seg_scope(as, &as->segs[i], a, &seg_scopes[i]) < 0) {
            return -ENOMEM;
        }
        if (collect_tree(&all, as->segs[i].seg, true) < 0) {
            return -ENOMEM;
        }
        for (size_t k = 0; k < as->segs[i].n_extra; k++) {
            if (collect_tree(&all, as->segs[i].extra[k], true) < 0) {
                return -ENOMEM;
            }
        }
        enum st_trace_outcome o = st_trace_outcome(as->segs[i].seg);
        any_fault |= o == ST_OUTCOME_FAULT;
        any_throttle |= o == ST_OUTCOME_THROTTLE;
        any_error |= o == ST_OUTCOME_ERROR || o == ST_OUTCOME_THROTTLE;
        worst = o > worst ? o : worst;
    }
    struct st_xf_scope *ts = &ret->trace;
    if (as->root) {
        *ts = seg_scopes[as->root - as->segs];
    } else {
        ts->responsetime = NAN;
    }
    ts->users = all.users;
    ts->n_users = all.n_users;
    ts->messages = all.messages;
    ts->n_messages = all.n_messages;
    ts->annotations = all.ann;
    ts->n_annotations = all.n_ann;
    ts->duration = st_trace_round_s(as->trace->end - as->trace->start);
    ts->fault = any_fault;
    ts->throttle = any_throttle;
    ts->error = any_error;
    ts->ok = worst == ST_OUTCOME_OK;
    ts->partial = as->partial;
    ts->root = ts->first = true;
    ts->last = false;
    for (size_t i = 0; i < as->n_calls; i++) {
        const struct st_trace_call *call = &as->calls[i];
        struct collect c = {.a = a};
        if (call->from >= 0 && collect_tree(&c, call->node, true) < 0) {
            return -ENOMEM;
        }
        struct st_xf_scope *sc = &call_scopes[i];
        memset(sc, 0, sizeof(*sc));
        scope_from(sc, call->node, &c);
        const struct st_trace_service *to = &as->services[call->to];
        sc->name = to->name;
        sc->type = to->type;
        sc->remote = call->remote;
        sc->inferred = to->inferred;
        sc->first = call->from < 0 || as->services[call->from].root;
        sc->last = to->inferred;
        sc->root = call->from < 0;
        edges[i] = (struct st_xf_edge){
            .from = call->from >= 0 ? as->services[call->from].name : NULL,
            .to = to->name,
            .from_type = call->from >= 0 ? as->services[call->from].type : "client",
            .to_type = to->type,
            .scopes = sc,
            .n_scopes = 1,
        };
    }
    /* Services: the scopes of their segments; inferred ones, the calls that reached them. */
    size_t n_edges = 0;
    for (size_t i = 0; i < as->n_calls; i++) {
        if (as->calls[i].from >= 0) {
            edges[n_edges++] = edges[i];
        }
    }
    for (size_t s = 0; s < as->n_services; s++) {
        const struct st_trace_service *sv = &as->services[s];
        size_t n = 0;
        struct st_xf_scope *scopes =
            st_arena_alloc(a, (as->n_segs + as->n_calls + 1) * sizeof(*scopes));
        if (!scopes) {
            return -ENOMEM;
        }
        if (!sv->inferred) {
            for (size_t i = 0; i < as->n_segs; i++) {
                if (as->segs[i].service == (int)s) {
                    scopes[n++] = seg_scopes[i];
                }
            }
        } else {
            for (size_t i = 0; i < as->n_calls; i++) {
                if (as->calls[i].to == (int)s) {
                    scopes[n] = call_scopes[i];
                    scopes[n].root = scopes[n].first = false;
                    n++;
                }
            }
        }
        svcs[s] = (struct st_xf_service){sv->name, sv->type, scopes, n};
    }
    ret->services = svcs;
    ret->n_services = as->n_services;
    ret->edges = edges;
    ret->n_edges = n_edges;
    return 0;
}

/* Whether the tree under s holds id; *ret_in_call: a call on the path to it (s itself counted
 * when with_self, as a subsegment is and a segment is not). Depth is capped by the parser. */
static bool holds(const struct st_xray_segment *s, const char *id, bool with_self,
                  bool *ret_in_call)
{
    bool call = with_self && s->namespace_name;
    if (strcmp(s->id, id) == 0) {
        *ret_in_call = call;
        return true;
    }
    for (size_t i = 0; i < s->n_subsegments; i++) {
        bool below;
        if (holds(&s->subsegments[i], id, true, &below)) {
            *ret_in_call = call || below;
            return true;
        }
    }
    return false;
}

bool st_trace_holds(const struct st_xray_segment *tree, const char *id)
{
    bool call;
    return holds(tree, id, false, &call);
}

const struct st_xray_segment *st_trace_owner(const struct st_trace *t,
                                             const struct st_xray_segment *x, bool *ret_in_call)
{
    bool in_call = false;
    /* Each hop goes up one document; more hops than documents is a cycle. */
    for (size_t hop = 0; hop <= t->n_docs; hop++) {
        const struct st_xray_segment *up = NULL;
        for (size_t i = 0; i < t->n_docs && !up; i++) {
            const struct st_xray_segment *d = &t->docs[i]->root;
            bool call;
            if (d != x && holds(d, x->parent_id, d->independent, &call)) {
                up = d;
                in_call = in_call || call;
            }
        }
        if (!up) {
            return NULL;
        }
        if (!up->independent) {
            *ret_in_call = in_call;
            return up;
        }
        x = up;
    }
    return NULL;
}
