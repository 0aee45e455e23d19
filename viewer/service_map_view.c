/* SPDX-License-Identifier: MIT */
/*
 * The service map widget (service_map_view.h). set_graph() maps reference ids to services and
 * lays the graph out with graph_layout.c (graphviz dot, left to right); snapshot() only scales
 * the layout into the widget and draws it. The same transform serves hit testing: a click
 * picks the node whose circle or label is under it, else the edge whose label or curve is
 * within a few pixels.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "service_map_view.h"

#include <adwaita.h>
#include <math.h>

#include "graph_layout.h"
#include "service_health.h"

/* A node's box in points: the circle on top, two lines of label below. */
#define NODE_W   140
#define NODE_H   136
#define RADIUS   38
#define RING_W   9
#define MARGIN   24
#define MAX_ZOOM 1.4
/* Edge labels sit above their curve (dot puts them on it for straight edges), in points. */
#define LABEL_DY -15

struct map_edge {
    guint from, to;
    const Stratus__Edge *edge;
};

struct _StServiceMapView {
    GtkWidget parent_instance;
    Stratus__GetServiceGraphResponse *graph;
    GArray *edges; /* struct map_edge */
    struct st_graph_layout layout;
    gint selected_node; /* -1: none */
    gint selected_edge; /* -1: none */
};

G_DEFINE_FINAL_TYPE(StServiceMapView, st_service_map_view, GTK_TYPE_WIDGET)

enum { SIGNAL_SELECTION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const GdkRGBA client_rgba = {0x35 / 255.f, 0x84 / 255.f, 0xe4 / 255.f, 1};

char *st_service_map_latency_text(double total_s, gint64 count)
{
    if (count <= 0) {
        return g_strdup("–");
    }
    double ms = total_s / (double)count * 1000;
    if (ms >= 1000) {
        return g_strdup_printf("%.2f s", ms / 1000);
    }
    return g_strdup_printf(ms >= 100 ? "%.0f ms" : "%.1f ms", ms);
}

static gboolean is_client(const Stratus__Service *s)
{
    return g_strcmp0(s->type, "client") == 0;
}

static gboolean is_inferred(const Stratus__Service *s)
{
    return !is_client(s) && g_strcmp0(s->state, "unknown") == 0;
}

static void health_of_service(const Stratus__Service *s, struct st_health *ret)
{
    const Stratus__ServiceStatistics *st = s->summary_statistics;
    if (!st) {
        st_health_compute(0, 0, 0, 0, 0, ret);
        return;
    }
    st_health_compute(st->ok_count, st->error_statistics ? st->error_statistics->total_count : 0,
                      st->error_statistics ? st->error_statistics->throttle_count : 0,
                      st->fault_statistics ? st->fault_statistics->total_count : 0, st->total_count,
                      ret);
}

static char *edge_label(const Stratus__Edge *e)
{
    const Stratus__EdgeStatistics *st = e->summary_statistics;
    gint64 n = st ? st->total_count : 0;
    g_autofree char *lat = st_service_map_latency_text(st ? st->total_response_time : 0, n);
    return g_strdup_printf("%" G_GINT64_FORMAT " req · %s", n, lat);
}

static void clear_graph(StServiceMapView *self)
{
    st_graph_layout_fini(&self->layout);
    g_array_set_size(self->edges, 0);
    if (self->graph) {
        protobuf_c_message_free_unpacked(&self->graph->base, NULL);
        self->graph = NULL;
    }
}

int st_service_map_view_set_graph(StServiceMapView *self, Stratus__GetServiceGraphResponse *graph)
{
    g_return_val_if_fail(ST_IS_SERVICE_MAP_VIEW(self), -EINVAL);
    /* Remember the selection by name so that a refresh keeps it. */
    g_autofree char *sel_from = NULL, *sel_to = NULL;
    const Stratus__Service *s = NULL, *t = NULL;
    const Stratus__Edge *e = NULL;
    if (st_service_map_view_get_selected(self, &s, &e, &t)) {
        sel_from = g_strdup_printf("%s\n%s", s->name, s->type);
        sel_to = t ? g_strdup_printf("%s\n%s", t->name, t->type) : NULL;
    }
    clear_graph(self);
    self->selected_node = self->selected_edge = -1;
    self->graph = graph;
    int r = 0;
    if (graph && graph->n_services) {
        size_t n = graph->n_services;
        g_autoptr(GHashTable) by_ref = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (size_t i = 0; i < n; i++) {
            g_hash_table_insert(by_ref, GINT_TO_POINTER(graph->services[i]->reference_id),
                                GUINT_TO_POINTER(i + 1));
        }
        for (size_t i = 0; i < n; i++) {
            const Stratus__Service *svc = graph->services[i];
            for (size_t k = 0; k < svc->n_edges; k++) {
                guint to = GPOINTER_TO_UINT(
                    g_hash_table_lookup(by_ref, GINT_TO_POINTER(svc->edges[k]->reference_id)));
                if (to) {
                    struct map_edge me = {(guint)i, to - 1, svc->edges[k]};
                    g_array_append_val(self->edges, me);
                }
            }
        }
        g_autofree struct st_graph_node_in *nin = g_new0(struct st_graph_node_in, n);
        for (size_t i = 0; i < n; i++) {
            nin[i] = (struct st_graph_node_in){NODE_W, NODE_H};
        }
        guint m = self->edges->len;
        g_autofree struct st_graph_edge_in *ein = g_new0(struct st_graph_edge_in, MAX(m, 1));
        g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < m; i++) {
            const struct map_edge *me = &g_array_index(self->edges, struct map_edge, i);
            char *label = edge_label(me->edge);
            g_ptr_array_add(labels, label);
            ein[i] = (struct st_graph_edge_in){me->from, me->to, label};
        }
        r = st_graph_layout_compute(nin, n, ein, m, &self->layout);
        if (r < 0) {
            clear_graph(self);
        }
    }
    /* Restore the selection. */
    for (guint i = 0; sel_from && self->graph && i < self->graph->n_services; i++) {
        const Stratus__Service *svc = self->graph->services[i];
        g_autofree char *key = g_strdup_printf("%s\n%s", svc->name, svc->type);
        if (!sel_to && g_strcmp0(key, sel_from) == 0) {
            self->selected_node = (gint)i;
        }
    }
    for (guint i = 0; sel_to && i < self->edges->len; i++) {
        const struct map_edge *me = &g_array_index(self->edges, struct map_edge, i);
        const Stratus__Service *a = self->graph->services[me->from];
        const Stratus__Service *b = self->graph->services[me->to];
        g_autofree char *ka = g_strdup_printf("%s\n%s", a->name, a->type);
        g_autofree char *kb = g_strdup_printf("%s\n%s", b->name, b->type);
        if (g_strcmp0(ka, sel_from) == 0 && g_strcmp0(kb, sel_to) == 0) {
            self->selected_edge = (gint)i;
        }
    }
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_SELECTION_CHANGED], 0);
    return r;
}

guint st_service_map_view_get_n_services(StServiceMapView *self)
{
    g_return_val_if_fail(ST_IS_SERVICE_MAP_VIEW(self), 0);
    return self->graph ? (guint)self->graph->n_services : 0;
}

gboolean st_service_map_view_get_selected(StServiceMapView *self,
                                          const Stratus__Service **ret_service,
                                          const Stratus__Edge **ret_edge,
                                          const Stratus__Service **ret_target)
{
    g_return_val_if_fail(ST_IS_SERVICE_MAP_VIEW(self), FALSE);
    if (!self->graph) {
        return FALSE;
    }
    if (self->selected_node >= 0 && (size_t)self->selected_node < self->graph->n_services) {
        *ret_service = self->graph->services[self->selected_node];
        *ret_edge = NULL;
        *ret_target = NULL;
        return TRUE;
    }
    if (self->selected_edge >= 0 && (guint)self->selected_edge < self->edges->len) {
        const struct map_edge *me =
            &g_array_index(self->edges, struct map_edge, self->selected_edge);
        *ret_service = self->graph->services[me->from];
        *ret_edge = me->edge;
        *ret_target = self->graph->services[me->to];
        return TRUE;
    }
    return FALSE;
}

gboolean st_service_map_view_select_service(StServiceMapView *self, const char *name)
{
    g_return_val_if_fail(ST_IS_SERVICE_MAP_VIEW(self), FALSE);
    for (size_t i = 0; self->graph && i < self->graph->n_services; i++) {
        const Stratus__Service *s = self->graph->services[i];
        if (!is_client(s) && g_strcmp0(s->name, name) == 0) {
            self->selected_node = (gint)i;
            self->selected_edge = -1;
            gtk_widget_queue_draw(GTK_WIDGET(self));
            g_signal_emit(self, signals[SIGNAL_SELECTION_CHANGED], 0);
            return TRUE;
        }
    }
    return FALSE;
}

/* The layout-to-widget transform: x' = ox + x * k. */
static void transform(StServiceMapView *self, double *ret_k, double *ret_ox, double *ret_oy)
{
    double w = gtk_widget_get_width(GTK_WIDGET(self)), h = gtk_widget_get_height(GTK_WIDGET(self));
    double lw = MAX(self->layout.width_pt, 1), lh = MAX(self->layout.height_pt, 1);
    double k = MIN((w - 2 * MARGIN) / lw, (h - 2 * MARGIN) / lh);
    k = CLAMP(k, 0.2, MAX_ZOOM);
    *ret_k = k;
    *ret_ox = (w - lw * k) / 2;
    *ret_oy = (h - lh * k) / 2;
}

static void append_text(GtkWidget *w, GtkSnapshot *snapshot, const char *text, double x, double y,
                        double max_w, const GdkRGBA *color, double scale, gboolean bold)
{
    PangoLayout *layout = gtk_widget_create_pango_layout(w, text);
    PangoAttrList *attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_scale_new(scale));
    if (bold) {
        pango_attr_list_insert(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
    if (max_w > 0) {
        pango_layout_set_width(layout, (int)(max_w * PANGO_SCALE));
        pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    }
    int tw, th;
    pango_layout_get_pixel_size(layout, &tw, &th);
    gtk_snapshot_save(snapshot);
    gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)(x - (max_w > 0 ? max_w : tw) / 2),
                                                          (float)(y - th / 2.0)));
    gtk_snapshot_append_layout(snapshot, layout, color);
    gtk_snapshot_restore(snapshot);
    g_object_unref(layout);
}

static void draw_edges(StServiceMapView *self, cairo_t *cr, double k, double ox, double oy,
                       const GdkRGBA *fg)
{
    for (guint i = 0; i < self->edges->len; i++) {
        const struct st_graph_edge_path *p = &self->layout.edges[i];
        const struct map_edge *me = &g_array_index(self->edges, struct map_edge, i);
        const Stratus__EdgeStatistics *st = me->edge->summary_statistics;
        gboolean faulty = st && st->fault_statistics && st->fault_statistics->total_count > 0;
        gboolean sel = (gint)i == self->selected_edge;
        if (sel) {
            cairo_set_source_rgba(cr, 0.21, 0.52, 0.89, 1);
        } else if (faulty) {
            cairo_set_source_rgba(cr, 0.88, 0.11, 0.14, 0.55);
        } else {
            cairo_set_source_rgba(cr, fg->red, fg->green, fg->blue, 0.35);
        }
        cairo_set_line_width(cr, sel ? 3 : 1.6);
        cairo_move_to(cr, ox + p->pts[0].x * k, oy + p->pts[0].y * k);
        for (size_t j = 1; j + 2 < p->n_pts; j += 3) {
            cairo_curve_to(cr, ox + p->pts[j].x * k, oy + p->pts[j].y * k, ox + p->pts[j + 1].x * k,
                           oy + p->pts[j + 1].y * k, ox + p->pts[j + 2].x * k,
                           oy + p->pts[j + 2].y * k);
        }
        struct st_graph_point end = p->pts[p->n_pts - 1];
        cairo_line_to(cr, ox + p->tip.x * k, oy + p->tip.y * k);
        cairo_stroke(cr);
        /* The arrow head, along the last stretch of the curve. */
        double dx = p->tip.x - end.x, dy = p->tip.y - end.y;
        if (hypot(dx, dy) < 0.5 && p->n_pts >= 2) {
            dx = p->tip.x - p->pts[p->n_pts - 2].x;
            dy = p->tip.y - p->pts[p->n_pts - 2].y;
        }
        double len = hypot(dx, dy);
        if (len > 0.01) {
            double ux = dx / len, uy = dy / len, tx = ox + p->tip.x * k, ty = oy + p->tip.y * k;
            double a = 10 * MAX(k, 0.6), b = 5 * MAX(k, 0.6);
            cairo_move_to(cr, tx, ty);
            cairo_line_to(cr, tx - ux * a - uy * b, ty - uy * a + ux * b);
            cairo_line_to(cr, tx - ux * a + uy * b, ty - uy * a - ux * b);
            cairo_close_path(cr);
            cairo_fill(cr);
        }
    }
}

/* The circle's centre of node i, in widget coordinates. */
static void node_centre(StServiceMapView *self, guint i, double k, double ox, double oy,
                        double *ret_x, double *ret_y)
{
    const struct st_graph_point *c = &self->layout.nodes[i];
    *ret_x = ox + c->x * k;
    *ret_y = oy + (c->y - NODE_H / 2.0 + 4 + RADIUS + RING_W / 2.0) * k;
}

static void draw_rings(StServiceMapView *self, cairo_t *cr, double k, double ox, double oy,
                       gboolean dark)
{
    for (size_t i = 0; i < self->graph->n_services; i++) {
        const Stratus__Service *s = self->graph->services[i];
        double cx, cy;
        node_centre(self, (guint)i, k, ox, oy, &cx, &cy);
        double r = RADIUS * k;
        /* The disc behind the ring. */
        cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
        if (dark) {
            cairo_set_source_rgb(cr, 0.19, 0.19, 0.21);
        } else {
            cairo_set_source_rgb(cr, 1, 1, 1);
        }
        cairo_fill(cr);
        cairo_set_line_width(cr, RING_W * k);
        if ((gint)i == self->selected_node) {
            cairo_set_source_rgba(cr, 0.21, 0.52, 0.89, 0.35);
            cairo_set_line_width(cr, (RING_W + 8) * k);
            cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
            cairo_stroke(cr);
            cairo_set_line_width(cr, RING_W * k);
        }
        if (is_client(s)) {
            gdk_cairo_set_source_rgba(cr, &client_rgba);
            cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
            cairo_stroke(cr);
            /* A person: head and shoulders. */
            cairo_set_source_rgba(cr, client_rgba.red, client_rgba.green, client_rgba.blue, 0.8);
            cairo_arc(cr, cx, cy - 8 * k, 8 * k, 0, 2 * M_PI);
            cairo_fill(cr);
            cairo_arc(cr, cx, cy + 17 * k, 15 * k, M_PI, 2 * M_PI);
            cairo_fill(cr);
            continue;
        }
        struct st_health h;
        health_of_service(s, &h);
        if (h.total == 0 || is_inferred(s)) {
            /* No requests of its own (an inferred remote service): a dashed grey ring, then
             * whatever its callers saw of it. */
            double dash[] = {4 * k, 3 * k};
            cairo_set_dash(cr, dash, 2, 0);
            cairo_set_line_width(cr, 2 * k);
            cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.9);
            cairo_arc(cr, cx, cy, r + RING_W * k / 2 + 3 * k, 0, 2 * M_PI);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            cairo_set_line_width(cr, RING_W * k);
            if (h.total == 0) {
                cairo_set_source_rgba(cr, 0.6, 0.6, 0.6, 0.6);
                cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
                cairo_stroke(cr);
                continue;
            }
        }
        for (int part = 0; part < ST_HEALTH_N; part++) {
            if (h.share[part] <= 0) {
                continue;
            }
            double a0, a1;
            st_health_arc(&h, part, -M_PI / 2, &a0, &a1);
            cairo_set_source_rgb(cr, st_health_rgb[part][0], st_health_rgb[part][1],
                                 st_health_rgb[part][2]);
            cairo_new_sub_path(cr);
            cairo_arc(cr, cx, cy, r, a0, a1);
            cairo_stroke(cr);
        }
    }
}

static void st_service_map_view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    StServiceMapView *self = ST_SERVICE_MAP_VIEW(widget);
    if (!self->graph || !self->layout.n_nodes) {
        return;
    }
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    gboolean dark = adw_style_manager_get_dark(adw_style_manager_get_default());
    GdkRGBA fg = dark ? (GdkRGBA){1, 1, 1, 0.87f} : (GdkRGBA){0, 0, 0, 0.8f};
    GdkRGBA dim = fg;
    dim.alpha = 0.55f;
    double k, ox, oy;
    transform(self, &k, &ox, &oy);
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    draw_edges(self, cr, k, ox, oy, &fg);
    draw_rings(self, cr, k, ox, oy, dark);
    cairo_destroy(cr);

    double text_k = CLAMP(k, 0.7, 1.1);
    /* Edge labels: a pill with the request count and average latency. */
    for (guint i = 0; i < self->edges->len; i++) {
        const struct st_graph_edge_path *p = &self->layout.edges[i];
        if (!p->has_label) {
            continue;
        }
        const struct map_edge *me = &g_array_index(self->edges, struct map_edge, i);
        g_autofree char *label = edge_label(me->edge);
        double lx = ox + p->label.x * k, ly = oy + (p->label.y + LABEL_DY) * k;
        GskRoundedRect rr;
        double pw = 124 * text_k, ph = 22 * text_k;
        gsk_rounded_rect_init_from_rect(
            &rr,
            &GRAPHENE_RECT_INIT((float)(lx - pw / 2), (float)(ly - ph / 2), (float)pw, (float)ph),
            (float)(ph / 2));
        GdkRGBA bg = dark ? (GdkRGBA){0.16f, 0.16f, 0.18f, 0.95f} : (GdkRGBA){1, 1, 1, 0.95f};
        if ((gint)i == self->selected_edge) {
            bg = (GdkRGBA){0.21f, 0.52f, 0.89f, 0.25f};
        }
        gtk_snapshot_push_rounded_clip(snapshot, &rr);
        gtk_snapshot_append_color(snapshot, &bg, &rr.bounds);
        gtk_snapshot_pop(snapshot);
        GdkRGBA bc = fg;
        bc.alpha = 0.15f;
        float bw[4] = {1, 1, 1, 1};
        GdkRGBA bcs[4] = {bc, bc, bc, bc};
        gtk_snapshot_append_border(snapshot, &rr, bw, bcs);
        append_text(widget, snapshot, label, lx, ly, pw - 8, &fg, 0.85 * text_k, FALSE);
    }
    /* Node texts: latency and count inside the circle, name and type below. */
    for (size_t i = 0; i < self->graph->n_services; i++) {
        const Stratus__Service *s = self->graph->services[i];
        double cx, cy;
        node_centre(self, (guint)i, k, ox, oy, &cx, &cy);
        const Stratus__ServiceStatistics *st = s->summary_statistics;
        if (is_client(s)) {
            /* The glyph drawn with the ring. */
        } else if (st && st->total_count > 0) {
            g_autofree char *lat =
                st_service_map_latency_text(st->total_response_time, st->total_count);
            g_autofree char *cnt = g_strdup_printf("%" G_GINT64_FORMAT " req", st->total_count);
            append_text(widget, snapshot, lat, cx, cy - 8 * text_k, 0, &fg, 0.95 * text_k, TRUE);
            append_text(widget, snapshot, cnt, cx, cy + 10 * text_k, 0, &dim, 0.8 * text_k, FALSE);
        }
        double ty = cy + (RADIUS + RING_W) * k + 12 * text_k;
        const char *name = is_client(s) ? "Clients" : s->name ? s->name : "(unnamed)";
        append_text(widget, snapshot, name, cx, ty, NODE_W * k, &fg, 0.95 * text_k, TRUE);
        const char *type = s->type ? s->type : is_inferred(s) ? "remote" : "";
        g_autofree char *client_type = is_client(s) ? g_strdup_printf("into %s", s->name) : NULL;
        append_text(widget, snapshot, client_type ? client_type : type, cx, ty + 17 * text_k,
                    NODE_W * k, &dim, 0.8 * text_k, FALSE);
    }
}

static double bezier_distance(const struct st_graph_edge_path *p, double x, double y)
{
    double best = G_MAXDOUBLE;
    for (size_t j = 0; j + 3 < p->n_pts; j += 3) {
        const struct st_graph_point *q = &p->pts[j];
        for (int s = 0; s <= 16; s++) {
            double t = s / 16.0, u = 1 - t;
            double bx = u * u * u * q[0].x + 3 * u * u * t * q[1].x + 3 * u * t * t * q[2].x +
                        t * t * t * q[3].x;
            double by = u * u * u * q[0].y + 3 * u * u * t * q[1].y + 3 * u * t * t * q[2].y +
                        t * t * t * q[3].y;
            best = MIN(best, hypot(bx - x, by - y));
        }
    }
    return best;
}

static void on_pressed(GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
    (void)gesture;
    (void)n_press;
    StServiceMapView *self = data;
    if (!self->graph || !self->layout.n_nodes) {
        return;
    }
    double k, ox, oy;
    transform(self, &k, &ox, &oy);
    gint node = -1, edge = -1;
    for (size_t i = 0; i < self->graph->n_services && node < 0; i++) {
        const struct st_graph_point *c = &self->layout.nodes[i];
        double bx = ox + c->x * k, by = oy + c->y * k;
        if (fabs(x - bx) <= NODE_W * k / 2 && fabs(y - by) <= NODE_H * k / 2) {
            node = (gint)i;
        }
    }
    /* Layout coordinates of the click, for the edges. */
    double lx = (x - ox) / k, ly = (y - oy) / k;
    double best = 8 / k;
    for (guint i = 0; node < 0 && i < self->edges->len; i++) {
        const struct st_graph_edge_path *p = &self->layout.edges[i];
        if (p->has_label && fabs(lx - p->label.x) <= 62 &&
            fabs(ly - (p->label.y + LABEL_DY)) <= 11) {
            edge = (gint)i;
            break;
        }
        double d = bezier_distance(p, lx, ly);
        if (d < best) {
            best = d;
            edge = (gint)i;
        }
    }
    if (node == self->selected_node && edge == self->selected_edge) {
        return;
    }
    self->selected_node = node;
    self->selected_edge = edge;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

static void st_service_map_view_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                        int *minimum, int *natural, int *minimum_baseline,
                                        int *natural_baseline)
{
    (void)widget;
    (void)for_size;
    *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 320 : 240;
    *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 800 : 500;
    *minimum_baseline = *natural_baseline = -1;
}

static void st_service_map_view_dispose(GObject *object)
{
    StServiceMapView *self = ST_SERVICE_MAP_VIEW(object);
    clear_graph(self);
    g_clear_pointer(&self->edges, g_array_unref);
    G_OBJECT_CLASS(st_service_map_view_parent_class)->dispose(object);
}

static void st_service_map_view_class_init(StServiceMapViewClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_service_map_view_dispose;
    widget_class->snapshot = st_service_map_view_snapshot;
    widget_class->measure = st_service_map_view_measure;
    signals[SIGNAL_SELECTION_CHANGED] =
        g_signal_new("selection-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 0);
}

static void st_service_map_view_init(StServiceMapView *self)
{
    self->edges = g_array_new(FALSE, TRUE, sizeof(struct map_edge));
    self->selected_node = self->selected_edge = -1;
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
}
