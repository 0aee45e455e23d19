/* SPDX-License-Identifier: MIT */
/*
 * The layout of the service map, GUI-free so that it is unit-tested: graphviz's dot (libgvc)
 * places boxes of the given sizes left to right and routes the edges as cubic Bézier splines
 * with room for their labels; the result is read back in points with the origin at the top
 * left and y growing down, ready to be scaled onto a widget. The caller keeps the inputs; the
 * layout owns its arrays until st_graph_layout_fini.
 */
#ifndef STRATUS_VIEWER_GRAPH_LAYOUT_H
#define STRATUS_VIEWER_GRAPH_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

struct st_graph_point {
    double x, y;
};

struct st_graph_node_in {
    double width_pt, height_pt;
};

struct st_graph_edge_in {
    size_t from, to;   /* node indices */
    const char *label; /* laid out by dot to find room for it; may be NULL */
};

struct st_graph_edge_path {
    /* A cubic Bézier path: pts[0], then (control, control, end) triples; n_pts = 3k + 1. */
    struct st_graph_point *pts;
    size_t n_pts;
    struct st_graph_point tip; /* where the arrow head points: the target's border */
    bool has_label;
    struct st_graph_point label; /* the centre of the label */
};

struct st_graph_layout {
    double width_pt, height_pt;   /* the bounding box */
    struct st_graph_point *nodes; /* centres, one per input node */
    size_t n_nodes;
    struct st_graph_edge_path *edges; /* one per input edge */
    size_t n_edges;
};

/*
 * Lays the graph out into *ret. Call it from one thread only (the viewer's main thread). Edges
 * whose from or to is out of range are rejected. Returns 0, -EINVAL (bad edge index) or -ENOMEM
 * (also when graphviz fails).
 */
int st_graph_layout_compute(const struct st_graph_node_in *nodes, size_t n_nodes,
                            const struct st_graph_edge_in *edges, size_t n_edges,
                            struct st_graph_layout *ret);
void st_graph_layout_fini(struct st_graph_layout *l);

#endif
