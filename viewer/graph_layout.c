/* SPDX-License-Identifier: MIT */
/*
 * The service map layout (graph_layout.h) with graphviz's cgraph and gvc. Nodes are fixed-size
 * boxes named by their index, so that positions read back map one to one; dot's coordinates
 * have y up, so they are flipped against the bounding box. gvLayout runs on the caller's
 * thread: graphviz is not thread-safe, and a service map of a few hundred nodes lays out in
 * milliseconds. One graphviz context serves the whole process: graphviz 2.4x caches text
 * metrics in process-wide state that gvFreeContext frees but does not forget, so a second
 * context would read freed memory when it measures the next label.
 */
#include "graph_layout.h"

#include <errno.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>

/* The process's graphviz context, made on first use and kept (see above). */
static GVC_t *context(void)
{
    static GVC_t *gvc;
    if (!gvc) {
        gvc = gvContext();
    }
    return gvc;
}

static void set(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

int st_graph_layout_compute(const struct st_graph_node_in *nodes, size_t n_nodes,
                            const struct st_graph_edge_in *edges, size_t n_edges,
                            struct st_graph_layout *ret)
{
    for (size_t i = 0; i < n_edges; i++) {
        if (edges[i].from >= n_nodes || edges[i].to >= n_nodes) {
            return -EINVAL;
        }
    }
    struct st_graph_layout l = {0};
    l.nodes = calloc(n_nodes ? n_nodes : 1, sizeof(*l.nodes));
    l.edges = calloc(n_edges ? n_edges : 1, sizeof(*l.edges));
    Agnode_t **gn = calloc(n_nodes ? n_nodes : 1, sizeof(*gn));
    Agedge_t **ge = calloc(n_edges ? n_edges : 1, sizeof(*ge));
    GVC_t *gvc = NULL;
    Agraph_t *g = NULL;
    bool laid_out = false;
    int r = -ENOMEM;
    if (!l.nodes || !l.edges || !gn || !ge) {
        goto out;
    }
    l.n_nodes = n_nodes;
    l.n_edges = n_edges;
    if (n_nodes == 0) {
        r = 0;
        goto out;
    }
    if (!(gvc = context()) || !(g = agopen((char *)"map", Agdirected, NULL))) {
        goto out;
    }
    set(g, "rankdir", "LR");
    set(g, "nodesep", "0.6");
    set(g, "ranksep", "0.7");
    set(g, "splines", "true");
    char buf[64];
    for (size_t i = 0; i < n_nodes; i++) {
        snprintf(buf, sizeof(buf), "n%zu", i);
        if (!(gn[i] = agnode(g, buf, 1))) {
            goto out;
        }
        set(gn[i], "shape", "box");
        set(gn[i], "fixedsize", "true");
        set(gn[i], "label", "");
        snprintf(buf, sizeof(buf), "%.3f", nodes[i].width_pt / 72.0);
        set(gn[i], "width", buf);
        snprintf(buf, sizeof(buf), "%.3f", nodes[i].height_pt / 72.0);
        set(gn[i], "height", buf);
    }
    for (size_t i = 0; i < n_edges; i++) {
        snprintf(buf, sizeof(buf), "e%zu", i);
        if (!(ge[i] = agedge(g, gn[edges[i].from], gn[edges[i].to], buf, 1))) {
            goto out;
        }
        set(ge[i], "fontsize", "10");
        set(ge[i], "label", edges[i].label ? edges[i].label : "");
    }
    if (gvLayout(gvc, g, "dot") != 0) {
        goto out;
    }
    laid_out = true;
    boxf bb = GD_bb(g);
    l.width_pt = bb.UR.x - bb.LL.x;
    l.height_pt = bb.UR.y - bb.LL.y;
#define FLIP(p) ((struct st_graph_point){(p).x - bb.LL.x, bb.UR.y - (p).y})
    for (size_t i = 0; i < n_nodes; i++) {
        l.nodes[i] = FLIP(ND_coord(gn[i]));
    }
    for (size_t i = 0; i < n_edges; i++) {
        struct st_graph_edge_path *p = &l.edges[i];
        splines *spl = ED_spl(ge[i]);
        if (spl && spl->size > 0 && spl->list[0].size > 0) {
            const bezier *bz = &spl->list[0];
            if (!(p->pts = calloc(bz->size, sizeof(*p->pts)))) {
                goto out;
            }
            for (size_t k = 0; k < (size_t)bz->size; k++) {
                p->pts[k] = FLIP(bz->list[k]);
            }
            p->n_pts = (size_t)bz->size;
            p->tip = bz->eflag ? FLIP(bz->ep) : p->pts[p->n_pts - 1];
        } else {
            /* No route (should not happen with dot): a straight line between the centres. */
            if (!(p->pts = calloc(4, sizeof(*p->pts)))) {
                goto out;
            }
            struct st_graph_point a = l.nodes[edges[i].from], b = l.nodes[edges[i].to];
            for (int k = 0; k < 4; k++) {
                p->pts[k] = (struct st_graph_point){a.x + (b.x - a.x) * k / 3.0,
                                                    a.y + (b.y - a.y) * k / 3.0};
            }
            p->n_pts = 4;
            p->tip = b;
        }
        textlabel_t *lab = ED_label(ge[i]);
        if (lab && edges[i].label && edges[i].label[0]) {
            p->has_label = true;
            p->label = FLIP(lab->pos);
        }
    }
#undef FLIP
    *ret = l;
    l = (struct st_graph_layout){0};
    r = 0;
out:
    if (laid_out) {
        gvFreeLayout(gvc, g);
    }
    if (g) {
        agclose(g);
    }
    free(ge);
    free(gn);
    st_graph_layout_fini(&l);
    return r;
}

void st_graph_layout_fini(struct st_graph_layout *l)
{
    if (!l) {
        return;
    }
    if (l->edges) {
        for (size_t i = 0; i < l->n_edges; i++) {
            free(l->edges[i].pts);
        }
    }
    free(l->edges);
    free(l->nodes);
    *l = (struct st_graph_layout){0};
}
