/* SPDX-License-Identifier: MIT */
/*
 * The trace waterfall (trace_timeline.h). The rows and the time mapping come from
 * trace_rows.c; snapshot() only draws them: a tick header in milliseconds from the trace's
 * start, then one ROW_H band per row with the name column, the bar and its duration.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "trace_timeline.h"

#include <adwaita.h>
#include <math.h>

#include "service_health.h"
#include "value_scale.h"

#define HEADER_H  28
#define ROW_H     26
#define NAME_W    280
#define INDENT    16
#define BAR_PAD_L 12
#define BAR_PAD_R 84

struct _StTraceTimeline {
    GtkWidget parent_instance;
    GPtrArray *docs;
    struct st_trace_rows rows;
    gssize selected;
};

G_DEFINE_FINAL_TYPE(StTraceTimeline, st_trace_timeline, GTK_TYPE_WIDGET)

enum { SIGNAL_SELECTION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const int status_part[] = {
    [ST_TRACE_OK] = ST_HEALTH_OK,
    [ST_TRACE_THROTTLE] = ST_HEALTH_THROTTLE,
    [ST_TRACE_ERROR] = ST_HEALTH_ERROR,
    [ST_TRACE_FAULT] = ST_HEALTH_FAULT,
};

int st_trace_timeline_set_docs(StTraceTimeline *self, GPtrArray *docs)
{
    g_return_val_if_fail(ST_IS_TRACE_TIMELINE(self), -EINVAL);
    st_trace_rows_fini(&self->rows);
    g_clear_pointer(&self->docs, g_ptr_array_unref);
    self->selected = -1;
    int r = 0;
    if (docs && docs->len) {
        self->docs = g_ptr_array_ref(docs);
        r = st_trace_rows_build((struct st_xray_doc *const *)docs->pdata, docs->len, &self->rows);
        if (r == 0 && self->rows.n) {
            self->selected = 0;
        }
    }
    gtk_widget_queue_resize(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_SELECTION_CHANGED], 0);
    return r;
}

const struct st_trace_row *st_trace_timeline_get_selected(StTraceTimeline *self)
{
    g_return_val_if_fail(ST_IS_TRACE_TIMELINE(self), NULL);
    if (self->selected < 0 || (size_t)self->selected >= self->rows.n) {
        return NULL;
    }
    return &self->rows.rows[self->selected];
}

gboolean st_trace_timeline_get_span(StTraceTimeline *self, double *ret_t0_s, double *ret_t1_s)
{
    g_return_val_if_fail(ST_IS_TRACE_TIMELINE(self), FALSE);
    if (!self->rows.n) {
        return FALSE;
    }
    *ret_t0_s = self->rows.t0_s;
    *ret_t1_s = self->rows.t1_s;
    return TRUE;
}

static void append_text(GtkWidget *w, GtkSnapshot *snapshot, const char *text, double x, double y,
                        double align, double max_w, const GdkRGBA *color, gboolean bold)
{
    PangoLayout *layout = gtk_widget_create_pango_layout(w, text);
    PangoAttrList *attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_scale_new(0.9));
    if (bold) {
        pango_attr_list_insert(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
    if (max_w > 0) {
        pango_layout_set_width(layout, (int)(max_w * PANGO_SCALE));
        pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    }
    int tw, th;
    pango_layout_get_pixel_size(layout, &tw, &th);
    gtk_snapshot_save(snapshot);
    gtk_snapshot_translate(snapshot,
                           &GRAPHENE_POINT_INIT((float)(x - align * tw), (float)(y - th / 2.0)));
    gtk_snapshot_append_layout(snapshot, layout, color);
    gtk_snapshot_restore(snapshot);
    g_object_unref(layout);
}

static void format_ms(double ms, char *buf, size_t len)
{
    if (ms >= 10000) {
        g_snprintf(buf, len, "%.1f s", ms / 1000);
    } else if (ms >= 100) {
        g_snprintf(buf, len, "%.0f ms", ms);
    } else {
        g_snprintf(buf, len, "%.1f ms", ms);
    }
}

static void st_trace_timeline_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    StTraceTimeline *self = ST_TRACE_TIMELINE(widget);
    int width = gtk_widget_get_width(widget);
    double bar_x0 = NAME_W + BAR_PAD_L, bar_w = width - bar_x0 - BAR_PAD_R;
    if (!self->rows.n || bar_w < 40) {
        return;
    }
    gboolean dark = adw_style_manager_get_dark(adw_style_manager_get_default());
    GdkRGBA fg = dark ? (GdkRGBA){1, 1, 1, 0.87} : (GdkRGBA){0, 0, 0, 0.8};
    GdkRGBA dim = fg, grid = fg, band = fg, sel = {0.21f, 0.52f, 0.89f, 0.18f};
    dim.alpha = 0.55f;
    grid.alpha = dark ? 0.10f : 0.08f;
    band.alpha = dark ? 0.035f : 0.025f;
    float height = HEADER_H + self->rows.n * ROW_H;

    /* Ticks since the trace's start: milliseconds, or seconds for traces of 2 s and longer. */
    double span_ms = (self->rows.t1_s - self->rows.t0_s) * 1000;
    gboolean in_s = span_ms >= 2000;
    double unit = in_s ? 1000 : 1;
    struct st_value_scale sc;
    st_value_scale_compute(0, span_ms / unit, true, 0, false, 0, MAX(2, (int)(bar_w / 110)), &sc);
    for (int i = 0; i < sc.n_ticks; i++) {
        double v = sc.lo + i * sc.step;
        if (v * unit > span_ms * 1.0001) {
            break;
        }
        double x = round(bar_x0 + v * unit / span_ms * bar_w);
        gtk_snapshot_append_color(snapshot, &grid,
                                  &GRAPHENE_RECT_INIT((float)x, HEADER_H - 6, 1, height));
        char label[48];
        g_snprintf(label, sizeof(label), "%g %s", v, in_s ? "s" : "ms");
        append_text(widget, snapshot, label, x, HEADER_H / 2.0 - 2, i == 0 ? 0 : 0.5, 0, &dim,
                    FALSE);
    }
    append_text(widget, snapshot, "Name", 12, HEADER_H / 2.0 - 2, 0, 0, &dim, TRUE);
    gtk_snapshot_append_color(snapshot, &grid, &GRAPHENE_RECT_INIT(0, HEADER_H - 1, width, 1));

    for (size_t i = 0; i < self->rows.n; i++) {
        const struct st_trace_row *row = &self->rows.rows[i];
        float y = HEADER_H + i * ROW_H;
        if ((gssize)i == self->selected) {
            gtk_snapshot_append_color(snapshot, &sel, &GRAPHENE_RECT_INIT(0, y, width, ROW_H));
        } else if (i % 2) {
            gtk_snapshot_append_color(snapshot, &band, &GRAPHENE_RECT_INIT(0, y, width, ROW_H));
        }
        double indent = 12 + MIN(row->depth, 12) * INDENT;
        append_text(widget, snapshot, row->seg->name ? row->seg->name : "(unnamed)", indent,
                    y + ROW_H / 2.0, 0, NAME_W - indent - 4, &fg, row->is_segment);
        double x0 = st_trace_rows_x(&self->rows, row->start_s, bar_x0, bar_w);
        double x1 = st_trace_rows_x(&self->rows, row->end_s, bar_x0, bar_w);
        if (x1 - x0 < 2) {
            x1 = x0 + 2;
        }
        const double *rgb = st_health_rgb[status_part[row->status]];
        GdkRGBA c = {(float)rgb[0], (float)rgb[1], (float)rgb[2], 1};
        GskRoundedRect rr;
        gsk_rounded_rect_init_from_rect(
            &rr, &GRAPHENE_RECT_INIT((float)x0, y + 6, (float)(x1 - x0), ROW_H - 12), 3);
        gtk_snapshot_push_rounded_clip(snapshot, &rr);
        gtk_snapshot_append_color(snapshot, &c, &rr.bounds);
        gtk_snapshot_pop(snapshot);
        char dur[32];
        format_ms((row->end_s - row->start_s) * 1000, dur, sizeof(dur));
        append_text(widget, snapshot, dur, x1 + 6, y + ROW_H / 2.0, 0, 0, &dim, FALSE);
    }
}

static void st_trace_timeline_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                      int *minimum, int *natural, int *minimum_baseline,
                                      int *natural_baseline)
{
    (void)for_size;
    StTraceTimeline *self = ST_TRACE_TIMELINE(widget);
    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
        *minimum = NAME_W + BAR_PAD_L + BAR_PAD_R + 120;
        *natural = *minimum + 400;
    } else {
        *minimum = *natural = self->rows.n ? HEADER_H + (int)self->rows.n * ROW_H + 4 : 0;
    }
    *minimum_baseline = *natural_baseline = -1;
}

static void on_pressed(GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
    (void)gesture;
    (void)n_press;
    (void)x;
    StTraceTimeline *self = data;
    if (y < HEADER_H) {
        return;
    }
    gssize i = (gssize)((y - HEADER_H) / ROW_H);
    if (i < 0 || (size_t)i >= self->rows.n || i == self->selected) {
        return;
    }
    self->selected = i;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

static void st_trace_timeline_dispose(GObject *object)
{
    StTraceTimeline *self = ST_TRACE_TIMELINE(object);
    st_trace_rows_fini(&self->rows);
    g_clear_pointer(&self->docs, g_ptr_array_unref);
    G_OBJECT_CLASS(st_trace_timeline_parent_class)->dispose(object);
}

static void st_trace_timeline_class_init(StTraceTimelineClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_trace_timeline_dispose;
    widget_class->snapshot = st_trace_timeline_snapshot;
    widget_class->measure = st_trace_timeline_measure;
    signals[SIGNAL_SELECTION_CHANGED] =
        g_signal_new("selection-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 0);
}

static void st_trace_timeline_init(StTraceTimeline *self)
{
    self->selected = -1;
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
}
