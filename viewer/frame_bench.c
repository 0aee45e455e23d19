/* SPDX-License-Identifier: MIT */
/*
 * Frame timing (frame_bench.h). GTK keeps each widget's last render node until the widget is
 * queued for drawing, so a full repaint invalidates every widget of the tree first; the timed
 * part is the snapshot of the tree and the render, and for new data in every chart also the
 * charts' layouts before them (where their series layers start being drawn, on worker
 * threads: leaving it out would let that work run untimed). Times are monotonic; the median
 * and p99 are of the sorted per-frame times.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "frame_bench.h"

#include "chart_view.h"

static void invalidate_all(GtkWidget *w)
{
    gtk_widget_queue_draw(w);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        invalidate_all(c);
    }
}

static void relayout_charts(GtkWidget *w)
{
    if (ST_IS_CHART_VIEW(w)) {
        st_chart_view_relayout(ST_CHART_VIEW(w));
    }
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        relayout_charts(c);
    }
}

static GtkWidget *find_chart(GtkWidget *w, guint *ret_count)
{
    GtkWidget *first = NULL;
    if (ST_IS_CHART_VIEW(w) && gtk_widget_get_mapped(w)) {
        (*ret_count)++;
        first = w;
    }
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *f = find_chart(c, ret_count);
        first = first ? first : f;
    }
    return first;
}

static guint count_points(GtkWidget *w)
{
    guint n = 0;
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        n += count_points(c);
    }
    if (ST_IS_CHART_VIEW(w) && gtk_widget_get_mapped(w)) {
        n += st_chart_view_get_n_points(ST_CHART_VIEW(w));
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One frame: with relayout, every chart's layout redone as when new data arrives (which
 * also starts drawing its series layer), then the window's snapshot (its own vfunc, which
 * snapshots each child: invalidated widgets run their snapshot(), the others give their
 * cached node), then the render to a texture. Returns ms, or -1. GtkWidgetPaintable is not
 * used: it replays the last frame's node without snapshotting anything. */
static double frame_ms(GtkWindow *window, GskRenderer *renderer, gboolean relayout)
{
    GtkWidget *w = GTK_WIDGET(window);
    int width = gtk_widget_get_width(w);
    int height = gtk_widget_get_height(w);
    gint64 t0 = g_get_monotonic_time();
    if (relayout) {
        relayout_charts(w);
    }
    GtkSnapshot *snapshot = gtk_snapshot_new();
    GTK_WIDGET_GET_CLASS(w)->snapshot(w, snapshot);
    GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
    if (!node) {
        return -1;
    }
    GdkTexture *texture =
        gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
    gint64 t1 = g_get_monotonic_time();
    g_object_unref(texture);
    gsk_render_node_unref(node);
    return (t1 - t0) / 1000.0;
}

static long rss_kib(void)
{
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        return -1;
    }
    const char *p = strstr(status, "VmRSS:");
    return p ? strtol(p + 6, NULL, 10) : -1;
}

gboolean st_frame_bench_run(GtkWindow *window, int frames, FILE *out, GError **error)
{
    g_return_val_if_fail(GTK_IS_WINDOW(window) && frames > 0, FALSE);
    GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
    if (!renderer) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window has no renderer");
        return FALSE;
    }
    guint charts = 0;
    GtkWidget *hover = find_chart(GTK_WIDGET(window), &charts);
    guint points = count_points(GTK_WIDGET(window));
    g_autofree double *ms = g_new(double, frames);
    static const char *const cases[] = {"new data in every chart", "full repaint",
                                        "hover repaint (one chart)"};
    fprintf(out, "charts=%u points=%u window=%dx%d renderer=%s\n", charts, points,
            gtk_widget_get_width(GTK_WIDGET(window)), gtk_widget_get_height(GTK_WIDGET(window)),
            G_OBJECT_TYPE_NAME(renderer));
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        if (c == 2 && !hover) {
            break;
        }
        for (int i = -3; i < frames; i++) { /* three warm-up frames */
            if (c == 0 || c == 1) {
                invalidate_all(GTK_WIDGET(window));
            } else {
                gtk_widget_queue_draw(hover);
            }
            double t = frame_ms(window, renderer, c == 0);
            if (t < 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window has not been drawn");
                return FALSE;
            }
            if (i >= 0) {
                ms[i] = t;
            }
        }
        qsort(ms, (size_t)frames, sizeof(double), cmp_double);
        double sum = 0;
        for (int i = 0; i < frames; i++) {
            sum += ms[i];
        }
        int p99 = (int)((frames - 1) * 0.99 + 0.5);
        fprintf(out, "case=\"%s\" frames=%d median_ms=%.2f p99_ms=%.2f mean_ms=%.2f max_ms=%.2f\n",
                cases[c], frames, ms[(frames - 1) / 2], ms[p99], sum / frames, ms[frames - 1]);
    }
    fprintf(out, "rss_kib=%ld\n", rss_kib());
    fflush(out);
    return TRUE;
}
