/* SPDX-License-Identifier: MIT */
/*
 * Trace summaries and full trace documents (trace_query.h). Summaries take their http and
 * response time from the root segment and their flags from the trace's facts; annotations and
 * users are listed with the services that recorded them. Full documents are re-read with
 * json-c: independent subsegments are moved into the "subsegments" array of the (sub)segment
 * named by their parent_id, dropping the members that only an independent subsegment carries
 * (type, trace_id, parent_id). Then, as X-Ray does, each downstream call (a completed
 * subsegment with namespace remote or aws, not inside another call) whose callee sent no
 * segment of its own gets an inferred segment: "inferred": true, named after the call, its
 * parent_id the call's id, its origin the type of the inferred node. Worker thread of the trace
 * store.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stratus/alloc.h"
#include "trace_query.h"

static void *zalloc(struct st_arena *a, size_t n)
{
    void *p = st_arena_alloc(a, n ? n : 1);
    if (p) {
        memset(p, 0, n ? n : 1);
    }
    return p;
}

static char *sdup(struct st_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = st_arena_alloc(a, n);
    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

static Stratus__ServiceId *service_id(const struct st_trace_service *sv, struct st_arena *a)
{
    Stratus__ServiceId *id = zalloc(a, sizeof(*id));
    char **names = zalloc(a, sizeof(*names));
    if (!id || !names) {
        return NULL;
    }
    stratus__service_id__init(id);
    id->name = (char *)sv->name;
    names[0] = id->name;
    id->names = names;
    id->n_names = 1;
    id->type = (char *)sv->type;
    return id;
}

/* Appends service s to a ServiceId list unless it is there. */
static int add_sid(Stratus__ServiceId ***list, size_t *n, const struct st_trace_service *sv,
                   struct st_arena *a)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*list)[i]->name, sv->name) == 0) {
            return 0;
        }
    }
    Stratus__ServiceId **nl = zalloc(a, (*n + 1) * sizeof(*nl));
    Stratus__ServiceId *id = service_id(sv, a);
    if (!nl || !id) {
        return -ENOMEM;
    }
    if (*n) {
        memcpy(nl, *list, *n * sizeof(*nl));
    }
    nl[(*n)++] = id;
    *list = nl;
    return 0;
}

static bool same_value(const Stratus__AnnotationValue *v, const struct st_xray_annotation *an)
{
    switch (an->type) {
    case ST_XRAY_STRING:
        return v->string_value && strcmp(v->string_value, an->s) == 0;
    case ST_XRAY_NUMBER:
        return v->has_number_value && v->number_value == an->n;
    default:
        return v->has_boolean_value && v->boolean_value == an->b;
    }
}

static int add_annotation(Stratus__TraceSummary *ts, const struct st_xray_annotation *an,
                          const struct st_trace_service *sv, struct st_arena *a)
{
    Stratus__AnnotationsEntry *e = NULL;
    for (size_t i = 0; i < ts->n_annotations && !e; i++) {
        if (strcmp(ts->annotations[i]->key, an->key) == 0) {
            e = ts->annotations[i];
        }
    }
    if (!e) {
        Stratus__AnnotationsEntry **nl = zalloc(a, (ts->n_annotations + 1) * sizeof(*nl));
        if (!nl || !(e = zalloc(a, sizeof(*e)))) {
            return -ENOMEM;
        }
        stratus__annotations_entry__init(e);
        e->key = (char *)an->key;
        if (ts->n_annotations) {
            memcpy(nl, ts->annotations, ts->n_annotations * sizeof(*nl));
        }
        nl[ts->n_annotations++] = e;
        ts->annotations = nl;
    }
    Stratus__ValueWithServiceIds *v = NULL;
    for (size_t i = 0; i < e->n_value && !v; i++) {
        if (same_value(e->value[i]->annotation_value, an)) {
            v = e->value[i];
        }
    }
    if (!v) {
        Stratus__ValueWithServiceIds **nl = zalloc(a, (e->n_value + 1) * sizeof(*nl));
        Stratus__AnnotationValue *av = zalloc(a, sizeof(*av));
        if (!nl || !av || !(v = zalloc(a, sizeof(*v)))) {
            return -ENOMEM;
        }
        stratus__value_with_service_ids__init(v);
        stratus__annotation_value__init(av);
        if (an->type == ST_XRAY_STRING) {
            av->string_value = (char *)an->s;
        } else if (an->type == ST_XRAY_NUMBER) {
            av->has_number_value = true;
            av->number_value = an->n;
        } else {
            av->has_boolean_value = true;
            av->boolean_value = an->b;
        }
        v->annotation_value = av;
        if (e->n_value) {
            memcpy(nl, e->value, e->n_value * sizeof(*nl));
        }
        nl[e->n_value++] = v;
        e->value = nl;
    }
    return add_sid(&v->service_ids, &v->n_service_ids, sv, a);
}

static int add_user(Stratus__TraceSummary *ts, const char *user, const struct st_trace_service *sv,
                    struct st_arena *a)
{
    Stratus__TraceUser *u = NULL;
    for (size_t i = 0; i < ts->n_users && !u; i++) {
        if (strcmp(ts->users[i]->user_name, user) == 0) {
            u = ts->users[i];
        }
    }
    if (!u) {
        Stratus__TraceUser **nl = zalloc(a, (ts->n_users + 1) * sizeof(*nl));
        if (!nl || !(u = zalloc(a, sizeof(*u)))) {
            return -ENOMEM;
        }
        stratus__trace_user__init(u);
        u->user_name = (char *)user;
        if (ts->n_users) {
            memcpy(nl, ts->users, ts->n_users * sizeof(*nl));
        }
        nl[ts->n_users++] = u;
        ts->users = nl;
    }
    return add_sid(&u->service_ids, &u->n_service_ids, sv, a);
}

static int walk_tree(Stratus__TraceSummary *ts, const struct st_xray_segment *s,
                     const struct st_trace_service *sv, struct st_arena *a)
{
    for (size_t i = 0; i < s->n_annotations; i++) {
        if (add_annotation(ts, &s->annotations[i], sv, a) < 0) {
            return -ENOMEM;
        }
    }
    if (s->user && add_user(ts, s->user, sv, a) < 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_subsegments; i++) {
        if (walk_tree(ts, &s->subsegments[i], sv, a) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

int st_trace_summary(const struct st_trace_assembly *as, const struct st_xf_trace *facts,
                     struct st_arena *a, Stratus__TraceSummary *ts)
{
    stratus__trace_summary__init(ts);
    const struct st_trace *t = as->trace;
    ts->id = (char *)t->id;
    ts->has_start_time_ms = ts->has_duration = true;
    ts->start_time_ms = (int64_t)llround(t->start * 1000.0);
    ts->duration = st_trace_round_s(t->end - t->start);
    ts->has_has_fault = ts->has_has_error = ts->has_has_throttle = ts->has_is_partial = true;
    ts->has_fault = facts->trace.fault;
    ts->has_error = facts->trace.error;
    ts->has_throttle = facts->trace.throttle;
    ts->is_partial = facts->trace.partial;
    ts->has_revision = true;
    ts->revision = (int32_t)t->n_docs;
    if (as->root) {
        const struct st_xray_segment *r = as->root->seg;
        if (!r->in_progress) {
            ts->has_response_time = true;
            ts->response_time = st_trace_duration(r);
        }
        if (r->has_http) {
            Stratus__Http *h = zalloc(a, sizeof(*h));
            if (!h) {
                return -ENOMEM;
            }
            stratus__http__init(h);
            h->http_url = (char *)r->http.url;
            h->http_method = (char *)r->http.method;
            h->user_agent = (char *)r->http.user_agent;
            h->client_ip = (char *)r->http.client_ip;
            if (r->http.status) {
                h->has_http_status = true;
                h->http_status = r->http.status;
            }
            ts->http = h;
        }
        if (!(ts->entry_point = service_id(&as->services[as->root->service], a))) {
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < as->n_services; i++) {
        if (add_sid(&ts->service_ids, &ts->n_service_ids, &as->services[i], a) < 0) {
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < as->n_segs; i++) {
        const struct st_trace_service *sv = &as->services[as->segs[i].service];
        if (walk_tree(ts, as->segs[i].seg, sv, a) < 0) {
            return -ENOMEM;
        }
        for (size_t k = 0; k < as->segs[i].n_extra; k++) {
            if (walk_tree(ts, as->segs[i].extra[k], sv, a) < 0) {
                return -ENOMEM;
            }
        }
    }
    return 0;
}

/* --- full documents --- */

struct jdoc {
    json_object *root;
    bool independent, grafted;
    double start;
    const char *parent_id;
};

/* Finds the object with "id" == id in o's tree. */
static json_object *find_id(json_object *o, const char *id, unsigned depth)
{
    json_object *v;
    if (json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_string) &&
        strcmp(json_object_get_string(v), id) == 0) {
        return o;
    }
    if (depth > 2 * ST_XRAY_MAX_DEPTH || !json_object_object_get_ex(o, "subsegments", &v) ||
        !json_object_is_type(v, json_type_array)) {
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *sub = json_object_array_get_idx(v, i);
        json_object *f;
        if (json_object_is_type(sub, json_type_object) && (f = find_id(sub, id, depth + 1))) {
            return f;
        }
    }
    return NULL;
}

static int cmp_start(const void *pa, const void *pb)
{
    const struct jdoc *x = pa, *y = pb;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int graft(struct jdoc *d, size_t n)
{
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < n; i++) {
            if (!d[i].independent || d[i].grafted || !d[i].parent_id) {
                continue;
            }
            json_object *parent = NULL;
            for (size_t k = 0; k < n && !parent; k++) {
                if (k != i && !(d[k].independent && !d[k].grafted)) {
                    parent = find_id(d[k].root, d[i].parent_id, 0);
                }
            }
            if (!parent) {
                continue;
            }
            json_object *subs;
            if (!json_object_object_get_ex(parent, "subsegments", &subs) ||
                !json_object_is_type(subs, json_type_array)) {
                if (!(subs = json_object_new_array()) ||
                    json_object_object_add(parent, "subsegments", subs) < 0) {
                    json_object_put(subs);
                    return -ENOMEM;
                }
            }
            json_object_object_del(d[i].root, "type");
            json_object_object_del(d[i].root, "trace_id");
            json_object_object_del(d[i].root, "parent_id");
            if (json_object_array_add(subs, json_object_get(d[i].root)) < 0) {
                json_object_put(d[i].root);
                return -ENOMEM;
            }
            d[i].grafted = true;
            progress = true;
        }
    }
    return 0;
}

/* --- inferred segments --- */

struct inferring {
    const char *trace_id;
    const struct jdoc *d;
    size_t nd;
    struct st_arena *a;
    json_object **out; /* owned */
    size_t n_out, cap_out;
};

static const char *jstring(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* A downstream call: a subsegment with namespace remote or aws. */
static bool is_call(json_object *o)
{
    const char *ns = jstring(o, "namespace");
    return ns && (strcmp(ns, "remote") == 0 || strcmp(ns, "aws") == 0);
}

/* The id of the inferred segment of the call with this id: stable across reads, so a client
 * sees the same document each time (FNV-1a of the call's id). */
static void inferred_id(const char *call_id, char ret[ST_XRAY_ID_LEN + 1])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = "inferred:"; *p; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    }
    for (const char *p = call_id; *p; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    }
    snprintf(ret, ST_XRAY_ID_LEN + 1, "%016" PRIx64, h);
}

static int add_member(json_object *to, const char *key, json_object *v)
{
    if (!v || json_object_object_add(to, key, v) < 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* The inferred segment of call, unless the callee sent its own segment (one whose parent_id
 * is the call's id) or the call is still in progress. */
static int infer(struct inferring *in, json_object *call)
{
    const char *call_id = jstring(call, "id");
    const char *name = jstring(call, "name");
    json_object *v, *start, *end;
    if (!call_id || !name || !json_object_object_get_ex(call, "start_time", &start) ||
        !json_object_object_get_ex(call, "end_time", &end) ||
        (json_object_object_get_ex(call, "in_progress", &v) && json_object_get_boolean(v))) {
        return 0;
    }
    for (size_t k = 0; k < in->nd; k++) {
        if (!in->d[k].independent && in->d[k].parent_id &&
            strcmp(in->d[k].parent_id, call_id) == 0) {
            return 0;
        }
    }
    struct st_xray_segment as_parsed = {.name = name,
                                        .namespace_name = jstring(call, "namespace"),
                                        .has_sql = json_object_object_get_ex(call, "sql", &v)};
    const char *origin = st_trace_inferred_type(&as_parsed, in->a);
    if (!origin) {
        return -ENOMEM;
    }
    if (in->n_out == in->cap_out) {
        size_t cap = in->cap_out ? in->cap_out * 2 : 4;
        json_object **o = st_realloc(in->out, cap * sizeof(*o));
        if (!o) {
            return -ENOMEM;
        }
        in->out = o;
        in->cap_out = cap;
    }
    json_object *seg = json_object_new_object();
    if (!seg) {
        return -ENOMEM;
    }
    in->out[in->n_out++] = seg;
    char id[ST_XRAY_ID_LEN + 1];
    inferred_id(call_id, id);
    int r;
    if ((r = add_member(seg, "id", json_object_new_string(id))) < 0 ||
        (r = add_member(seg, "name", json_object_new_string(name))) < 0 ||
        (r = add_member(seg, "start_time", json_object_get(start))) < 0 ||
        (r = add_member(seg, "end_time", json_object_get(end))) < 0 ||
        (r = add_member(seg, "parent_id", json_object_new_string(call_id))) < 0 ||
        (r = add_member(seg, "inferred", json_object_new_boolean(1))) < 0) {
        return r;
    }
    /* What the call saw of the callee: its request and response, and the outcome. */
    static const char *const copied[] = {"http", "aws", "sql", "error", "throttle", "fault"};
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        if (json_object_object_get_ex(call, copied[i], &v) &&
            (r = add_member(seg, copied[i], json_object_get(v))) < 0) {
            return r;
        }
    }
    if ((r = add_member(seg, "origin", json_object_new_string(origin))) < 0 ||
        (r = add_member(seg, "trace_id", json_object_new_string(in->trace_id))) < 0) {
        return r;
    }
    return 0;
}

/* The calls in o's tree (o itself when self), not those inside another call. */
static int infer_tree(struct inferring *in, json_object *o, bool self, unsigned depth)
{
    if (self && is_call(o)) {
        return infer(in, o);
    }
    json_object *subs;
    if (depth > 2 * ST_XRAY_MAX_DEPTH || !json_object_object_get_ex(o, "subsegments", &subs) ||
        !json_object_is_type(subs, json_type_array)) {
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(subs); i++) {
        json_object *sub = json_object_array_get_idx(subs, i);
        int r;
        if (json_object_is_type(sub, json_type_object) &&
            (r = infer_tree(in, sub, true, depth + 1)) < 0) {
            return r;
        }
    }
    return 0;
}

/* Adds the document o as the next Segment of ret. */
static int add_segment(Stratus__Trace *ret, Stratus__Segment *sg, json_object *o,
                       struct st_arena *a)
{
    stratus__segment__init(sg);
    const char *id = jstring(o, "id");
    if (id && !(sg->id = sdup(a, id))) {
        return -ENOMEM;
    }
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text || !(sg->document = sdup(a, text)) || !sg->id) {
        return -ENOMEM;
    }
    ret->segments[ret->n_segments++] = sg;
    return 0;
}

int st_trace_documents(const char *id, const struct st_trace_raw_doc *docs, size_t n,
                       struct st_arena *a, Stratus__Trace *ret)
{
    stratus__trace__init(ret);
    ret->id = sdup(a, id);
    struct jdoc *d = st_calloc(n + 1, sizeof(*d));
    if (!ret->id || !d) {
        st_free(d);
        return -ENOMEM;
    }
    int r = 0;
    size_t nd = 0;
    double start = 0, end = 0;
    struct inferring in = {.trace_id = ret->id, .d = d, .a = a};
    for (size_t i = 0; i < n; i++) {
        json_tokener *tok = json_tokener_new_ex(2 * ST_XRAY_MAX_DEPTH + 8);
        if (!tok) {
            r = -ENOMEM;
            goto out;
        }
        json_object *o = json_tokener_parse_ex(tok, (const char *)docs[i].bytes, (int)docs[i].len);
        json_tokener_free(tok);
        if (!o || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            continue; /* stored documents passed the parser; nothing to show otherwise */
        }
        json_object *v;
        struct jdoc *j = &d[nd++];
        j->root = o;
        j->independent = json_object_object_get_ex(o, "type", &v) &&
                         json_object_is_type(v, json_type_string) &&
                         strcmp(json_object_get_string(v), "subsegment") == 0;
        if (json_object_object_get_ex(o, "parent_id", &v) &&
            json_object_is_type(v, json_type_string)) {
            j->parent_id = json_object_get_string(v);
        }
        double s = json_object_object_get_ex(o, "start_time", &v) ? json_object_get_double(v) : 0;
        double e = json_object_object_get_ex(o, "end_time", &v) ? json_object_get_double(v) : s;
        j->start = s;
        if (start == 0 || s < start) {
            start = s;
        }
        if (e > end) {
            end = e;
        }
    }
    qsort(d, nd, sizeof(*d), cmp_start);
    /* parent_id strings live in the roots; copy them before grafting deletes the members. */
    for (size_t i = 0; i < nd; i++) {
        if (d[i].parent_id && !(d[i].parent_id = sdup(a, d[i].parent_id))) {
            r = -ENOMEM;
            goto out;
        }
    }
    if ((r = graft(d, nd)) < 0) {
        goto out;
    }
    in.nd = nd;
    for (size_t i = 0; i < nd; i++) {
        /* An independent subsegment left on its own (its parent missing) may be the call. */
        if (!d[i].grafted && (r = infer_tree(&in, d[i].root, d[i].independent, 0)) < 0) {
            goto out;
        }
    }
    ret->segments = zalloc(a, (nd + in.n_out) * sizeof(*ret->segments));
    Stratus__Segment *segs = zalloc(a, (nd + in.n_out) * sizeof(*segs));
    if (!ret->segments || !segs) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        if (!d[i].grafted && (r = add_segment(ret, &segs[ret->n_segments], d[i].root, a)) < 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < in.n_out; i++) {
        if ((r = add_segment(ret, &segs[ret->n_segments], in.out[i], a)) < 0) {
            goto out;
        }
    }
    ret->has_duration = ret->has_limit_exceeded = true;
    ret->duration = st_trace_round_s(end - start);
    ret->limit_exceeded = false;
out:
    for (size_t i = 0; i < nd; i++) {
        json_object_put(d[i].root);
    }
    for (size_t i = 0; i < in.n_out; i++) {
        json_object_put(in.out[i]);
    }
    st_free(in.out);
    st_free(d);
    return r;
}
