/* SPDX-License-Identifier: MIT */
/*
 * The chart widget (chart_view.h). Data lives in plain arrays per series; a cached layout
 * (plot rectangle, mapping, y scale, time ticks, stacked tops, each line decimated to at most
 * four points per device pixel column by line_decimate.c) is rebuilt by update_layout() from
 * size_allocate and from every data change. snapshot() walks the cache: grid, areas or lines,
 * threshold with its breaching periods (alarm_breach.c), axes labels, legend, then the hover
 * cursor and the drag selection. Hover and tooltips read the real points, never the
 * decimated ones.
 *
 * The series layer (areas, lines, threshold) is what costs: the cairo renderer replays a cairo
 * node's strokes on every frame. So it is drawn once into an image surface of device pixels
 * and kept until the layout, the scale or the style changes; later frames (a hover, a repaint
 * of the window) only place it. update_layout copies what it draws into a Scene and starts a
 * layer job (layer_job.h) that draws it on a worker thread; snapshot() finishes it. Its pixels
 * must land on device pixels one to one, or the renderer resamples and blurs the lines
 * (device_pixels.h): it is used only where the widget sits at a whole device pixel under a
 * plain translation, and drawn directly otherwise. Label layouts are kept too.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <math.h>

#include <adwaita.h>

#include "alarm_breach.h"
#include "chart_view.h"
#include "device_pixels.h"
#include "layer_job.h"
#include "line_decimate.h"
#include "plot_map.h"
#include "time_axis.h"
#include "value_scale.h"

#define MARGIN_LEFT   52
#define MARGIN_RIGHT  14
#define MARGIN_TOP    10
#define AXIS_HEIGHT   22
#define LEGEND_HEIGHT 22
#define MAX_Y_TICKS   6
#define MIN_TICK_PX   90
#define BREACH_BAR_PX 4

/* CloudWatch's palette, so that imported dashboards keep their look. */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* One line of a Scene: the tops of a series decimated and mapped to pixels. */
typedef struct {
    GdkRGBA color;
    struct st_line_vertex *v;
    gsize n;
} SceneLine;

/* What the series layer draws, copied out of the chart by update_layout so that a layer job
 * can draw it on another thread while the chart changes: immutable once made, shared by the
 * chart and its job, freed by the last unref on either thread. */
typedef struct {
    gatomicrefcount ref;
    struct st_plot_map map;
    gboolean stacked, dark;
    gboolean has_threshold;
    double threshold;
    enum st_alarm_cmp cmp;
    struct st_breach_span *breaches;
    gsize n_breaches;
    guint n_lines;
    SceneLine lines[];
} Scene;

/* A kept text layout (chart labels change far less often than the data). */
typedef struct {
    PangoLayout *layout;
    int width, height;
    guint generation; /* of the last snapshot that used it */
} Label;

typedef struct {
    char *label;
    GdkRGBA color;
    gint64 *ts;
    double *vs;
    double *tops; /* stacked tops, or a copy of vs */
    gsize n;
    guint order; /* position among the series: stacking and legend follow it */
} Series;

struct _StChartView {
    GtkWidget parent_instance;
    GArray *series; /* Series */
    gint64 t0_ms, t1_ms;
    gboolean stacked;
    gboolean has_min, has_max;
    double min, max;
    gboolean has_threshold;
    double threshold;
    enum st_alarm_cmp cmp;
    int period_s;
    GArray *breaches; /* struct st_breach_span of the first series, from update_layout */
    char *message;
    /* layout cache */
    struct st_plot_map map;
    struct st_value_scale scale;
    struct st_time_tick ticks[ST_TIME_AXIS_MAX_TICKS];
    gsize n_ticks;
    gboolean has_data;
    Scene *scene; /* from update_layout */
    /* the series layer: a job drawing it (started by update_layout when mapped, else by
     * snapshot()), then its surface; both dropped by update_layout. The texture wraps the
     * surface's pixels, made on first use by a renderer other than cairo. */
    struct st_layer_job *layer_job;
    cairo_surface_t *layer;
    GdkTexture *layer_texture;
    int layer_scale;
    graphene_rect_t layer_bounds;
    GHashTable *labels; /* "s" or "n" (small or not) + text -> Label */
    guint label_generation;
    /* interaction */
    gboolean hovering;
    double hover_x;
    gboolean dragging;
    double drag_x0, drag_x1;
};

G_DEFINE_FINAL_TYPE(StChartView, st_chart_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_STACKED, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_ZOOM_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void series_clear(gpointer p)
{
    Series *s = p;
    g_free(s->label);
    g_free(s->ts);
    g_free(s->vs);
    g_free(s->tops);
}

static Scene *scene_ref(Scene *sc)
{
    g_atomic_ref_count_inc(&sc->ref);
    return sc;
}

static void scene_unref(gpointer p)
{
    Scene *sc = p;
    if (!sc || !g_atomic_ref_count_dec(&sc->ref)) {
        return;
    }
    for (guint i = 0; i < sc->n_lines; i++) {
        g_free(sc->lines[i].v);
    }
    g_free(sc->breaches);
    g_free(sc);
}

static gboolean is_dark(void)
{
    return adw_style_manager_get_dark(adw_style_manager_get_default());
}

static void drop_layer(StChartView *self)
{
    g_clear_pointer(&self->layer_job, st_layer_job_free);
    g_clear_object(&self->layer_texture);
    g_clear_pointer(&self->layer, cairo_surface_destroy);
}

static void start_layer(StChartView *self, int scale);

static void update_layout(StChartView *self)
{
    int width = gtk_widget_get_width(GTK_WIDGET(self));
    int height = gtk_widget_get_height(GTK_WIDGET(self));
    gboolean legend = self->series->len > 0;
    self->map.x = MARGIN_LEFT;
    self->map.y = MARGIN_TOP;
    self->map.width = MAX(1, width - MARGIN_LEFT - MARGIN_RIGHT);
    self->map.height = MAX(1, height - MARGIN_TOP - AXIS_HEIGHT - (legend ? LEGEND_HEIGHT : 0));
    self->map.t0_ms = self->t0_ms;
    self->map.t1_ms = self->t1_ms;

    /* Stacked tops, then the data range of what is drawn. */
    if (self->stacked && self->series->len > 1) {
        struct st_plot_series *ps = g_new(struct st_plot_series, self->series->len);
        double **tops = g_new(double *, self->series->len);
        for (guint i = 0; i < self->series->len; i++) {
            Series *s = &g_array_index(self->series, Series, i);
            ps[i] = (struct st_plot_series){s->ts, s->vs, s->n};
            tops[i] = s->tops;
        }
        st_plot_stack(ps, self->series->len, tops);
        g_free(ps);
        g_free(tops);
    } else {
        for (guint i = 0; i < self->series->len; i++) {
            Series *s = &g_array_index(self->series, Series, i);
            if (s->n) {
                memcpy(s->tops, s->vs, s->n * sizeof(double));
            }
        }
    }
    double lo = NAN, hi = NAN;
    self->has_data = FALSE;
    for (guint i = 0; i < self->series->len; i++) {
        Series *s = &g_array_index(self->series, Series, i);
        for (gsize k = 0; k < s->n; k++) {
            if (s->ts[k] < self->t0_ms || s->ts[k] > self->t1_ms) {
                continue;
            }
            double v = s->tops[k];
            if (!isfinite(v)) {
                continue;
            }
            lo = isnan(lo) || v < lo ? v : lo;
            hi = isnan(hi) || v > hi ? v : hi;
            self->has_data = TRUE;
        }
    }
    g_array_set_size(self->breaches, 0);
    if (self->has_threshold) {
        lo = isnan(lo) || self->threshold < lo ? self->threshold : lo;
        hi = isnan(hi) || self->threshold > hi ? self->threshold : hi;
        if (self->series->len > 0) {
            Series *s = &g_array_index(self->series, Series, 0);
            g_array_set_size(self->breaches, s->n);
            size_t n = st_alarm_breach_spans(
                s->ts, s->vs, s->n, (int64_t)self->period_s * 1000, self->cmp, self->threshold,
                (struct st_breach_span *)(void *)self->breaches->data, s->n);
            g_array_set_size(self->breaches, MIN(n, s->n));
        }
    }
    int max_ticks = CLAMP((int)(self->map.height / 28), 2, MAX_Y_TICKS);
    st_value_scale_compute(lo, hi, self->has_min, self->min, self->has_max, self->max, max_ticks,
                           &self->scale);
    self->map.v0 = self->scale.lo;
    self->map.v1 = self->scale.hi;
    GDateTime *now = g_date_time_new_now_local();
    gint64 tz_offset_s = g_date_time_get_utc_offset(now) / G_USEC_PER_SEC;
    g_date_time_unref(now);
    self->n_ticks = st_time_axis_ticks(self->t0_ms, self->t1_ms, self->map.width, MIN_TICK_PX,
                                       tz_offset_s, self->ticks, ST_TIME_AXIS_MAX_TICKS);

    /* The scene: the lines in pixels, decimated on device pixel columns. */
    int scale = MAX(1, gtk_widget_get_scale_factor(GTK_WIDGET(self)));
    double column_px = 1.0 / scale;
    Scene *sc = g_malloc0(sizeof(Scene) + self->series->len * sizeof(SceneLine));
    g_atomic_ref_count_init(&sc->ref);
    sc->map = self->map;
    sc->stacked = self->stacked;
    sc->dark = is_dark();
    sc->has_threshold = self->has_threshold;
    sc->threshold = self->threshold;
    sc->cmp = self->cmp;
    sc->n_breaches = self->breaches->len;
    sc->breaches =
        g_memdup2(self->breaches->data, MAX(sc->n_breaches, 1) * sizeof(struct st_breach_span));
    sc->n_lines = self->series->len;
    gsize max_n = 0;
    for (guint i = 0; i < self->series->len; i++) {
        max_n = MAX(max_n, g_array_index(self->series, Series, i).n);
    }
    double *xs = g_new(double, MAX(max_n, 1));
    double *ys = g_new(double, MAX(max_n, 1));
    for (guint i = 0; i < self->series->len; i++) {
        Series *s = &g_array_index(self->series, Series, i);
        for (gsize k = 0; k < s->n; k++) {
            xs[k] = st_plot_x(&self->map, s->ts[k]);
            ys[k] = st_plot_y(&self->map, s->tops[k]);
        }
        SceneLine *l = &sc->lines[i];
        l->color = s->color;
        l->v = g_new(struct st_line_vertex, MAX(s->n, 1));
        l->n = st_line_decimate(xs, ys, s->n, column_px, l->v);
        l->v = g_renew(struct st_line_vertex, l->v, MAX(l->n, 1));
    }
    g_free(xs);
    g_free(ys);
    scene_unref(self->scene);
    self->scene = sc;
    drop_layer(self);
    /* Drawn off the main thread from now on, when it is going to be shown; an unmapped chart
     * draws its layer when it is first snapshotted. */
    if (gtk_widget_get_mapped(GTK_WIDGET(self)) && (self->has_data || self->has_threshold)) {
        start_layer(self, scale);
    }
}

static void changed(StChartView *self)
{
    update_layout(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void label_free(gpointer p)
{
    Label *l = p;
    g_object_unref(l->layout);
    g_free(l);
}

/* The kept layout of a label (small: at 0.82 of the font size), made on first use. Labels
 * not used by a snapshot are dropped at its end (drop_unused_labels). */
static const Label *get_label(StChartView *self, const char *text, gboolean small)
{
    g_autofree char *key = g_strconcat(small ? "s" : "n", text, NULL);
    Label *l = g_hash_table_lookup(self->labels, key);
    if (!l) {
        l = g_new0(Label, 1);
        l->layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
        if (small) {
            PangoAttrList *attrs = pango_attr_list_new();
            pango_attr_list_insert(attrs, pango_attr_scale_new(0.82));
            pango_layout_set_attributes(l->layout, attrs);
            pango_attr_list_unref(attrs);
        }
        pango_layout_get_pixel_size(l->layout, &l->width, &l->height);
        g_hash_table_insert(self->labels, g_steal_pointer(&key), l);
    }
    l->generation = self->label_generation;
    return l;
}

static gboolean label_unused(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    return ((Label *)value)->generation != *(guint *)data;
}

static void drop_unused_labels(StChartView *self)
{
    g_hash_table_foreach_remove(self->labels, label_unused, &self->label_generation);
    self->label_generation++;
}

/* The widget's font changed (its style, the font settings or the scale): new layouts. */
static void drop_labels(StChartView *self)
{
    g_hash_table_remove_all(self->labels);
}

static void append_text(StChartView *self, GtkSnapshot *snapshot, const char *text, double x,
                        double y, double align, const GdkRGBA *color, gboolean small)
{
    const Label *l = get_label(self, text, small);
    gtk_snapshot_save(snapshot);
    gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)(x - align * l->width),
                                                          (float)(y - l->height / 2.0)));
    gtk_snapshot_append_layout(snapshot, l->layout, color);
    gtk_snapshot_restore(snapshot);
}

/* Draws the scene's areas, lines and threshold (a st_layer_draw_func: any thread, reads only
 * the scene). */
static void draw_scene(cairo_t *cr, gpointer data)
{
    const Scene *sc = data;
    const struct st_plot_map *m = &sc->map;
    cairo_save(cr);
    cairo_rectangle(cr, m->x, m->y - 2, m->width, m->height + 4);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    /* Areas from the top series down so that each lower one is painted over its part. */
    if (sc->stacked) {
        for (guint i = sc->n_lines; i-- > 0;) {
            const SceneLine *s = &sc->lines[i];
            if (s->n == 0) {
                continue;
            }
            /* One closed area per stretch of the line (a non-finite value breaks it). */
            double base = st_plot_y(m, m->v0 > 0 ? m->v0 : 0);
            for (gsize k = 0; k < s->n; k++) {
                const struct st_line_vertex *v = &s->v[k];
                if (v->move) {
                    cairo_move_to(cr, v->x, base);
                }
                cairo_line_to(cr, v->x, v->y);
                if (k + 1 == s->n || s->v[k + 1].move) {
                    cairo_line_to(cr, v->x, base);
                    cairo_close_path(cr);
                }
            }
            /* Over the card's colour first, so each band shows its own colour only. */
            if (sc->dark) {
                cairo_set_source_rgb(cr, 0.21, 0.21, 0.21);
            } else {
                cairo_set_source_rgb(cr, 1, 1, 1);
            }
            cairo_fill_preserve(cr);
            cairo_set_source_rgba(cr, s->color.red, s->color.green, s->color.blue, 0.45);
            cairo_fill(cr);
        }
    }
    /* The lines: cairo's fast antialiasing (a coarser coverage grid) and bevel joins. With
     * 12 charts of up to ~730 decimated vertices each, the default antialiasing and round
     * joins cost ~2 ms a line to stroke, which made a frame where every chart gets new data
     * miss 16 ms; at 2 px width the two look the same. */
    cairo_set_line_width(cr, 2.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_BEVEL);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
    for (guint i = 0; i < sc->n_lines; i++) {
        const SceneLine *s = &sc->lines[i];
        if (s->n == 0) {
            continue;
        }
        for (gsize k = 0; k < s->n; k++) {
            const struct st_line_vertex *v = &s->v[k];
            if (v->move) {
                cairo_move_to(cr, v->x, v->y);
            } else {
                cairo_line_to(cr, v->x, v->y);
            }
            /* A lone point (a one-point series, or one between breaks) shows as a dot. */
            if (v->move && (k + 1 == s->n || s->v[k + 1].move)) {
                cairo_arc(cr, v->x, v->y, 2.5, 0, 2 * G_PI);
            }
        }
        gdk_cairo_set_source_rgba(cr, &s->color);
        cairo_stroke(cr);
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    if (sc->has_threshold) {
        double y = round(st_plot_y(m, sc->threshold)) + 0.5;
        /* Breaching periods: shaded on the breaching side of the line, and a solid bar along
         * the bottom of the plot so that they read at a glance. */
        gboolean above = sc->cmp == ST_ALARM_CMP_GT || sc->cmp == ST_ALARM_CMP_GE;
        double bottom = m->y + m->height;
        for (gsize i = 0; i < sc->n_breaches; i++) {
            const struct st_breach_span *b = &sc->breaches[i];
            double x0 = MAX(m->x, st_plot_x(m, b->t0_ms));
            double x1 = MIN(m->x + m->width, st_plot_x(m, b->t1_ms));
            if (x1 <= x0) {
                continue;
            }
            if (above) {
                cairo_rectangle(cr, x0, m->y, x1 - x0, y - m->y);
            } else {
                cairo_rectangle(cr, x0, y, x1 - x0, bottom - y);
            }
        }
        cairo_set_source_rgba(cr, 0.88, 0.11, 0.14, 0.12);
        cairo_fill(cr);
        for (gsize i = 0; i < sc->n_breaches; i++) {
            const struct st_breach_span *b = &sc->breaches[i];
            double x0 = MAX(m->x, st_plot_x(m, b->t0_ms));
            double x1 = MIN(m->x + m->width, st_plot_x(m, b->t1_ms));
            if (x1 > x0) {
                cairo_rectangle(cr, x0, bottom - BREACH_BAR_PX, x1 - x0, BREACH_BAR_PX);
            }
        }
        cairo_set_source_rgb(cr, 0.88, 0.11, 0.14);
        cairo_fill(cr);
        cairo_set_source_rgba(cr, 0.88, 0.11, 0.14, 0.9);
        double dash[] = {6, 4};
        cairo_set_dash(cr, dash, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, m->x, y);
        cairo_line_to(cr, m->x + m->width, y);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Starts the job that draws the scene's layer at this scale into a surface of device pixels
 * covering the plot's clip (draw_scene clips to the plot and 2 px above and below it). */
static void start_layer(StChartView *self, int scale)
{
    const struct st_plot_map *m = &self->scene->map;
    graphene_rect_t clip =
        GRAPHENE_RECT_INIT((float)m->x, (float)(m->y - 2), (float)m->width, (float)(m->height + 4));
    int x0, y0, width, height;
    if (!st_device_pixels_cover(&clip, scale, &x0, &y0, &width, &height, &self->layer_bounds)) {
        return;
    }
    self->layer_job =
        st_layer_job_new(width, height, scale, -(double)x0 / scale, -(double)y0 / scale, draw_scene,
                         scene_ref(self->scene), scene_unref);
    self->layer_scale = scale;
}

/* A texture of the layer's pixels, sharing them: cairo's ARGB32 is premultiplied BGRA in
 * memory on little-endian hosts and ARGB on big-endian ones, which is GDK_MEMORY_DEFAULT. The
 * bytes keep the surface alive. */
static GdkTexture *layer_texture_new(cairo_surface_t *surface)
{
    int width = cairo_image_surface_get_width(surface);
    int height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    GBytes *bytes = g_bytes_new_with_free_func(
        cairo_image_surface_get_data(surface), (gsize)stride * (gsize)height,
        (GDestroyNotify)cairo_surface_destroy, cairo_surface_reference(surface));
    GdkTexture *texture =
        gdk_memory_texture_new(width, height, GDK_MEMORY_DEFAULT, bytes, (gsize)stride);
    g_bytes_unref(bytes);
    return texture;
}

/* The series layer: the kept surface where it lands on device pixels (its job, started by
 * update_layout, finished here, or started here on first use after a scale change), else a
 * cairo node drawn directly. The cairo renderer gets a cairo node painting the surface
 * (device_pixels.h: it would copy a texture through floats on every frame, about 2 ms a frame
 * for the twelve layers of a dashboard). The other renderers upload a texture once and keep
 * it, and would rasterize a cairo node anew on every snapshot, so they get the texture. */
static void append_series(StChartView *self, GtkSnapshot *snapshot)
{
    GtkWidget *widget = GTK_WIDGET(self);
    int scale = MAX(1, gtk_widget_get_scale_factor(widget));
    if (!self->scene || self->scene->dark != is_dark()) {
        update_layout(self); /* the style changed: a scene in its colours */
    }
    if (st_device_pixels_aligned(widget, scale)) {
        if ((self->layer_job || self->layer) && self->layer_scale != scale) {
            drop_layer(self);
        }
        if (!self->layer_job && !self->layer) {
            start_layer(self, scale);
        }
        if (self->layer_job) {
            self->layer = st_layer_job_finish(self->layer_job);
            g_clear_pointer(&self->layer_job, st_layer_job_free);
        }
        if (self->layer) {
            if (st_device_pixels_cairo_renderer(widget)) {
                st_device_pixels_append(snapshot, self->layer, &self->layer_bounds);
                return;
            }
            if (!self->layer_texture) {
                self->layer_texture = layer_texture_new(self->layer);
            }
            gtk_snapshot_append_texture(snapshot, self->layer_texture, &self->layer_bounds);
            return;
        }
    }
    cairo_t *cr = gtk_snapshot_append_cairo(
        snapshot, &GRAPHENE_RECT_INIT(0, 0, (float)gtk_widget_get_width(widget),
                                      (float)gtk_widget_get_height(widget)));
    draw_scene(cr, self->scene);
    cairo_destroy(cr);
}

static void format_time(gint64 t_ms, char *buf, gsize len)
{
    GDateTime *dt = g_date_time_new_from_unix_local(t_ms / 1000);
    char *s = g_date_time_format(dt, "%b %d %H:%M:%S");
    g_strlcpy(buf, s, len);
    g_free(s);
    g_date_time_unref(dt);
}

static void draw_hover(StChartView *self, GtkSnapshot *snapshot, const GdkRGBA *fg)
{
    const struct st_plot_map *m = &self->map;
    gint64 t = st_plot_t_at(m, self->hover_x);
    /* Snap to the nearest datapoint of any series. */
    gint64 best_t = 0;
    gboolean found = FALSE;
    for (guint i = 0; i < self->series->len; i++) {
        Series *s = &g_array_index(self->series, Series, i);
        long k = st_plot_nearest(s->ts, s->n, t);
        if (k >= 0 && (!found || llabs(s->ts[k] - t) < llabs(best_t - t))) {
            best_t = s->ts[k];
            found = TRUE;
        }
    }
    if (!found) {
        return;
    }
    double x = round(st_plot_x(m, best_t)) + 0.5;
    GdkRGBA line = *fg;
    line.alpha = 0.35;
    gtk_snapshot_append_color(snapshot, &line,
                              &GRAPHENE_RECT_INIT((float)x, (float)m->y, 1, (float)m->height));
    GString *text = g_string_new(NULL);
    char tbuf[64];
    format_time(best_t, tbuf, sizeof(tbuf));
    g_string_append(text, tbuf);
    cairo_t *cr = gtk_snapshot_append_cairo(
        snapshot, &GRAPHENE_RECT_INIT((float)m->x - 6, (float)m->y - 6, (float)m->width + 12,
                                      (float)m->height + 12));
    for (guint i = 0; i < self->series->len; i++) {
        Series *s = &g_array_index(self->series, Series, i);
        long k = st_plot_nearest(s->ts, s->n, best_t);
        if (k < 0 || s->ts[k] != best_t) {
            continue;
        }
        char vbuf[32];
        st_value_scale_format(s->vs[k], self->scale.step / 100, vbuf, sizeof(vbuf));
        g_string_append_printf(text, "\n%s: %s", s->label ? s->label : "value", vbuf);
        cairo_arc(cr, x, st_plot_y(m, s->tops[k]), 4, 0, 2 * G_PI);
        gdk_cairo_set_source_rgba(cr, &s->color);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text->str);
    g_string_free(text, TRUE);
    int w, h;
    pango_layout_get_pixel_size(layout, &w, &h);
    double bx = x + 10 + w + 12 > m->x + m->width ? x - 10 - w - 12 : x + 10;
    double by = m->y + 6;
    GskRoundedRect rr;
    gsk_rounded_rect_init_from_rect(
        &rr, &GRAPHENE_RECT_INIT((float)bx, (float)by, (float)w + 12, (float)h + 8), 6);
    GdkRGBA bg = is_dark() ? (GdkRGBA){0.2, 0.2, 0.22, 0.95} : (GdkRGBA){1, 1, 1, 0.95};
    gtk_snapshot_push_rounded_clip(snapshot, &rr);
    gtk_snapshot_append_color(snapshot, &bg, &rr.bounds);
    gtk_snapshot_pop(snapshot);
    GdkRGBA border = *fg;
    border.alpha = 0.2;
    float bw[4] = {1, 1, 1, 1};
    GdkRGBA bc[4] = {border, border, border, border};
    gtk_snapshot_append_border(snapshot, &rr, bw, bc);
    gtk_snapshot_save(snapshot);
    gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)bx + 6, (float)by + 4));
    gtk_snapshot_append_layout(snapshot, layout, fg);
    gtk_snapshot_restore(snapshot);
    g_object_unref(layout);
}

static void st_chart_view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    StChartView *self = ST_CHART_VIEW(widget);
    const struct st_plot_map *m = &self->map;
    int width = gtk_widget_get_width(widget);
    int height = gtk_widget_get_height(widget);
    if (width <= MARGIN_LEFT + MARGIN_RIGHT || height <= MARGIN_TOP + AXIS_HEIGHT) {
        return;
    }
    gboolean dark = is_dark();
    GdkRGBA fg = dark ? (GdkRGBA){1, 1, 1, 0.85} : (GdkRGBA){0, 0, 0, 0.8};
    GdkRGBA dim = fg;
    dim.alpha = 0.55;
    GdkRGBA grid = fg;
    grid.alpha = dark ? 0.10 : 0.08;

    /* Horizontal grid lines and y labels. */
    for (int i = 0; i < self->scale.n_ticks; i++) {
        double v = self->scale.lo + i * self->scale.step;
        double y = round(st_plot_y(m, v));
        gtk_snapshot_append_color(snapshot, &grid,
                                  &GRAPHENE_RECT_INIT((float)m->x, (float)y, (float)m->width, 1));
        char buf[32];
        st_value_scale_format(v, self->scale.step, buf, sizeof(buf));
        append_text(self, snapshot, buf, m->x - 8, y, 1.0, &dim, TRUE);
    }
    /* Time ticks. */
    double axis_y = m->y + m->height;
    for (gsize i = 0; i < self->n_ticks; i++) {
        double x = round(st_plot_x(m, self->ticks[i].t_ms));
        gtk_snapshot_append_color(snapshot, &grid,
                                  &GRAPHENE_RECT_INIT((float)x, (float)m->y, 1, (float)m->height));
        append_text(self, snapshot, self->ticks[i].label, x, axis_y + AXIS_HEIGHT / 2.0 + 1, 0.5,
                    &dim, TRUE);
    }
    GdkRGBA axis = fg;
    axis.alpha = 0.3;
    gtk_snapshot_append_color(snapshot, &axis,
                              &GRAPHENE_RECT_INIT((float)m->x, (float)axis_y, (float)m->width, 1));

    if (self->has_data || self->has_threshold) {
        append_series(self, snapshot);
    }
    if (!self->has_data) {
        append_text(self, snapshot, self->message ? self->message : "No data for this time range",
                    m->x + m->width / 2, m->y + m->height / 2, 0.5, &dim, FALSE);
    }
    /* Legend. */
    if (self->series->len > 0) {
        double lx = m->x;
        double ly = height - LEGEND_HEIGHT / 2.0;
        for (guint i = 0; i < self->series->len && lx < width - 40; i++) {
            Series *s = &g_array_index(self->series, Series, i);
            gtk_snapshot_append_color(snapshot, &s->color,
                                      &GRAPHENE_RECT_INIT((float)lx, (float)ly - 5, 10, 10));
            const char *label = s->label ? s->label : "";
            /* Spaced by the label's full size, as laid out before the scale applied. */
            int w = get_label(self, label, FALSE)->width;
            append_text(self, snapshot, label, lx + 15, ly, 0.0, &dim, TRUE);
            lx += 15 + w + 18;
        }
    }
    if (self->dragging) {
        double x0 = MIN(self->drag_x0, self->drag_x1), x1 = MAX(self->drag_x0, self->drag_x1);
        x0 = MAX(x0, m->x);
        x1 = MIN(x1, m->x + m->width);
        GdkRGBA sel = {0.21, 0.52, 0.89, 0.18};
        gtk_snapshot_append_color(
            snapshot, &sel,
            &GRAPHENE_RECT_INIT((float)x0, (float)m->y, (float)(x1 - x0), (float)m->height));
    } else if (self->hovering && self->hover_x >= m->x && self->hover_x <= m->x + m->width) {
        draw_hover(self, snapshot, &fg);
    }
    drop_unused_labels(self);
}

static void st_chart_view_css_changed(GtkWidget *widget, GtkCssStyleChange *change)
{
    GTK_WIDGET_CLASS(st_chart_view_parent_class)->css_changed(widget, change);
    drop_labels(ST_CHART_VIEW(widget));
}

static void st_chart_view_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
    (void)width;
    (void)height;
    (void)baseline;
    update_layout(ST_CHART_VIEW(widget));
}

static void on_scale_factor(StChartView *self, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    (void)data;
    drop_labels(self);
    changed(self);
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, StChartView *self)
{
    (void)c;
    (void)y;
    self->hovering = TRUE;
    self->hover_x = x;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_leave(GtkEventControllerMotion *c, StChartView *self)
{
    (void)c;
    self->hovering = FALSE;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, StChartView *self)
{
    (void)g;
    (void)y;
    self->drag_x0 = self->drag_x1 = x;
}

static void on_drag_update(GtkGestureDrag *g, double dx, double dy, StChartView *self)
{
    (void)g;
    (void)dy;
    self->drag_x1 = self->drag_x0 + dx;
    self->dragging = fabs(dx) > 4;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_drag_end(GtkGestureDrag *g, double dx, double dy, StChartView *self)
{
    (void)g;
    (void)dy;
    gboolean was = self->dragging;
    self->dragging = FALSE;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    if (!was || fabs(dx) < 5) {
        return;
    }
    double x0 = MIN(self->drag_x0, self->drag_x0 + dx), x1 = MAX(self->drag_x0, self->drag_x0 + dx);
    gint64 t0 = st_plot_t_at(&self->map, MAX(x0, self->map.x));
    gint64 t1 = st_plot_t_at(&self->map, MIN(x1, self->map.x + self->map.width));
    if (t1 - t0 >= 1000) {
        g_signal_emit(self, signals[SIGNAL_ZOOM_REQUESTED], 0, t0, t1);
    }
}

static void st_chart_view_measure(GtkWidget *widget, GtkOrientation o, int for_size, int *min,
                                  int *nat, int *min_base, int *nat_base)
{
    (void)widget;
    (void)for_size;
    *min = o == GTK_ORIENTATION_HORIZONTAL ? 160 : 100;
    *nat = o == GTK_ORIENTATION_HORIZONTAL ? 480 : 240;
    *min_base = *nat_base = -1;
}

static void st_chart_view_set_property(GObject *object, guint id, const GValue *value,
                                       GParamSpec *pspec)
{
    switch (id) {
    case PROP_STACKED:
        st_chart_view_set_stacked(ST_CHART_VIEW(object), g_value_get_boolean(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void st_chart_view_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    switch (id) {
    case PROP_STACKED:
        g_value_set_boolean(value, ST_CHART_VIEW(object)->stacked);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void st_chart_view_finalize(GObject *object)
{
    StChartView *self = ST_CHART_VIEW(object);
    drop_layer(self);
    scene_unref(self->scene);
    g_array_unref(self->series);
    g_array_unref(self->breaches);
    g_hash_table_unref(self->labels);

    g_free(self->message);
    G_OBJECT_CLASS(st_chart_view_parent_class)->finalize(object);
}

static void st_chart_view_class_init(StChartViewClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->finalize = st_chart_view_finalize;
    object_class->set_property = st_chart_view_set_property;
    object_class->get_property = st_chart_view_get_property;
    widget_class->snapshot = st_chart_view_snapshot;
    widget_class->size_allocate = st_chart_view_size_allocate;
    widget_class->measure = st_chart_view_measure;
    widget_class->css_changed = st_chart_view_css_changed;
    props[PROP_STACKED] =
        g_param_spec_boolean("stacked", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
    signals[SIGNAL_ZOOM_REQUESTED] =
        g_signal_new("zoom-requested", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
    gtk_widget_class_set_css_name(widget_class, "stchart");
}

static void st_chart_view_init(StChartView *self)
{
    self->series = g_array_new(FALSE, TRUE, sizeof(Series));
    g_array_set_clear_func(self->series, series_clear);
    self->breaches = g_array_new(FALSE, FALSE, sizeof(struct st_breach_span));
    self->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, label_free);
    self->cmp = ST_ALARM_CMP_GT;
    gint64 now = g_get_real_time() / 1000;
    self->t0_ms = now - 3600 * 1000;
    self->t1_ms = now;
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);
    GtkGesture *drag = gtk_gesture_drag_new();
    g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
    g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
    g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
    /* The series layer is redrawn in the new style when it is next placed; the connection goes
     * with the chart. */
    g_signal_connect_object(adw_style_manager_get_default(), "notify::dark",
                            G_CALLBACK(gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
    /* Device pixel columns change with the scale. */
    g_signal_connect(self, "notify::scale-factor", G_CALLBACK(on_scale_factor), NULL);
}

GtkWidget *st_chart_view_new(void)
{
    return g_object_new(ST_TYPE_CHART_VIEW, NULL);
}

void st_chart_view_clear(StChartView *self)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    g_array_set_size(self->series, 0);
    changed(self);
}

void st_chart_view_add_series(StChartView *self, const char *label, const gint64 *ts_ms,
                              const double *values, gsize n, const char *color)
{
    st_chart_view_add_series_at(self, G_MAXUINT, label, ts_ms, values, n, color);
}

void st_chart_view_add_series_at(StChartView *self, guint order, const char *label,
                                 const gint64 *ts_ms, const double *values, gsize n,
                                 const char *color)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    Series s = {0};
    s.order = order;
    s.label = g_strdup(label);
    if (!color || !gdk_rgba_parse(&s.color, color)) {
        gdk_rgba_parse(&s.color, palette[self->series->len % G_N_ELEMENTS(palette)]);
    }
    s.n = n;
    s.ts = g_memdup2(ts_ms, MAX(n, 1) * sizeof(gint64));
    s.vs = g_memdup2(values, MAX(n, 1) * sizeof(double));
    s.tops = g_new0(double, MAX(n, 1));
    /* Replies arrive in any order; the series keep the order their widget lists them in. */
    guint at = self->series->len;
    while (at > 0 && g_array_index(self->series, Series, at - 1).order > order) {
        at--;
    }
    g_array_insert_val(self->series, at, s);
    changed(self);
}

void st_chart_view_set_range(StChartView *self, gint64 t0_ms, gint64 t1_ms)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    if (t1_ms <= t0_ms || (self->t0_ms == t0_ms && self->t1_ms == t1_ms)) {
        return;
    }
    self->t0_ms = t0_ms;
    self->t1_ms = t1_ms;
    changed(self);
}

void st_chart_view_get_range(StChartView *self, gint64 *ret_t0_ms, gint64 *ret_t1_ms)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    *ret_t0_ms = self->t0_ms;
    *ret_t1_ms = self->t1_ms;
}

void st_chart_view_set_stacked(StChartView *self, gboolean stacked)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    stacked = !!stacked;
    if (self->stacked == stacked) {
        return;
    }
    self->stacked = stacked;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STACKED]);
    changed(self);
}

gboolean st_chart_view_get_stacked(StChartView *self)
{
    g_return_val_if_fail(ST_IS_CHART_VIEW(self), FALSE);
    return self->stacked;
}

void st_chart_view_set_y_bounds(StChartView *self, gboolean has_min, double min, gboolean has_max,
                                double max)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    self->has_min = has_min;
    self->min = min;
    self->has_max = has_max;
    self->max = max;
    changed(self);
}

void st_chart_view_set_threshold(StChartView *self, gboolean has_threshold, double threshold)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    self->has_threshold = has_threshold;
    self->threshold = threshold;
    changed(self);
}

void st_chart_view_set_threshold_rule(StChartView *self, int cmp, int period_s)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    g_return_if_fail(cmp >= ST_ALARM_CMP_GE && cmp <= ST_ALARM_CMP_LE);
    if ((int)self->cmp == cmp && self->period_s == period_s) {
        return;
    }
    self->cmp = (enum st_alarm_cmp)cmp;
    self->period_s = MAX(0, period_s);
    changed(self);
}

void st_chart_view_set_message(StChartView *self, const char *message)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    if (g_strcmp0(self->message, message) == 0) {
        return;
    }
    g_free(self->message);
    self->message = g_strdup(message);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

guint st_chart_view_get_n_series(StChartView *self)
{
    g_return_val_if_fail(ST_IS_CHART_VIEW(self), 0);
    return self->series->len;
}

void st_chart_view_relayout(StChartView *self)
{
    g_return_if_fail(ST_IS_CHART_VIEW(self));
    changed(self);
}

guint st_chart_view_get_n_points(StChartView *self)
{
    g_return_val_if_fail(ST_IS_CHART_VIEW(self), 0);
    gsize n = 0;
    for (guint i = 0; i < self->series->len; i++) {
        n += g_array_index(self->series, Series, i).n;
    }
    return (guint)n;
}

const char *st_chart_view_palette(guint i)
{
    return palette[i % G_N_ELEMENTS(palette)];
}
