/* SPDX-License-Identifier: MIT */
/*
 * A dashboard widget (dashboard_widget.h). Metric rows become StMetricQuery objects at
 * construction (the dashboard model may go away); each load cancels the previous one and
 * fetches every visible row. Series keep their row's colour, or the palette's by row, so the
 * same dashboard always looks the same. Alarm widgets ask DescribeAlarms for their alarms (by
 * name, the last part of an ARN) on each load and list each with its state mark.
 *
 * The card's background and shadows are what a frame costs under the cairo renderer: GTK 4.8
 * blurs each card's two soft shadows anew on every frame (about 3.5 ms of a 5 ms repaint of a
 * dashboard of twelve). So a child, frame, carries the card's style, the widget itself draws
 * none (style.css), and snapshot() draws frame's node once into pixels (device_pixels.h) kept
 * until the size, the scale or the style changes.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <math.h>

#include <adwaita.h>

#include "dashboard_widget.h"

#include "alarms.pb-c.h"
#include "alarms_page.h"
#include "chart_view.h"
#include "device_pixels.h"
#include "metric_query.h"
#include "value_scale.h"

struct _StDashboardWidget {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *cancellable;
    GPtrArray *queries; /* StMetricQuery* */
    GPtrArray *alarms;  /* char*, alarm names of an alarm widget */
    guint index;
    enum st_dash_widget_type type;
    enum st_dash_view view;
    gint64 t0_ms, t1_ms;
    guint generation;

    GtkWidget *frame;
    /* frame's pixels (NULL until drawn) and what they were drawn for */
    cairo_surface_t *frame_surface;
    graphene_rect_t frame_bounds;
    int frame_width, frame_height, frame_scale;
    gboolean frame_dark, frame_high_contrast;

    GtkWidget *box;
    GtkLabel *title;
    GtkWidget *edit_box;
    GtkStack *content;
    StChartView *chart;
    GtkLabel *number;
    GtkLabel *number_caption;
    GtkLabel *text;
    GtkWidget *alarm_list;
};

G_DEFINE_FINAL_TYPE(StDashboardWidget, st_dashboard_widget, GTK_TYPE_WIDGET)

enum { SIGNAL_EDIT, SIGNAL_ZOOM_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
    StDashboardWidget *self;
    guint row;
    guint generation;
} Load;

static gboolean shows_number(StDashboardWidget *self)
{
    return self->view == ST_DASH_VIEW_SINGLE_VALUE || self->view == ST_DASH_VIEW_GAUGE ||
           self->view == ST_DASH_VIEW_PIE || self->view == ST_DASH_VIEW_TABLE;
}

static void on_series(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    Load *load = data;
    g_autoptr(GError) error = NULL;
    GArray *ts = NULL, *vs = NULL;
    gboolean ok = st_metric_query_fetch_finish(result, &ts, &vs, &error);
    StDashboardWidget *self = load->self;
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        load->generation == self->generation) {
        StMetricQuery *q = self->queries->pdata[load->row];
        if (!ok) {
            st_chart_view_set_message(self->chart, error->message);
            gtk_label_set_text(self->number, "—");
            gtk_label_set_text(self->number_caption, error->message);
        } else if (shows_number(self)) {
            if (load->row == 0) {
                char buf[32] = "—";
                if (vs->len) {
                    double v = g_array_index(vs, double, vs->len - 1);
                    st_value_scale_format(v, (v == floor(v) || fabs(v) >= 100) ? 1 : 0.01, buf,
                                          sizeof(buf));
                }
                gtk_label_set_text(self->number, buf);
                g_autofree char *cap =
                    g_strdup_printf("%s · %s", st_metric_query_label(q), q->stat);
                gtk_label_set_text(self->number_caption, cap);
            }
        } else {
            st_chart_view_add_series_at(self->chart, load->row, st_metric_query_label(q),
                                        (const gint64 *)ts->data, (const double *)vs->data, ts->len,
                                        q->color ? q->color : st_chart_view_palette(load->row));
        }
    }
    if (ts) {
        g_array_unref(ts);
        g_array_unref(vs);
    }
    g_object_unref(load->self);
    g_free(load);
}

static void clear_alarm_list(StDashboardWidget *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(self->alarm_list))) {
        gtk_box_remove(GTK_BOX(self->alarm_list), child);
    }
}

/* state NULL: the alarm is not known (yet); mark_text says why. */
static void append_alarm_row(StDashboardWidget *self, const char *name, const char *state,
                             const char *mark_text, const char *caption)
{
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    GtkWidget *mark = gtk_label_new(state ? st_alarm_state_label(state) : mark_text);
    gtk_widget_add_css_class(mark, "st-state");
    gtk_widget_add_css_class(mark, st_alarm_state_css_class(state));
    gtk_widget_set_size_request(mark, 96, -1);
    gtk_widget_set_valign(mark, GTK_ALIGN_CENTER);
    gtk_box_append(GTK_BOX(row), mark);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *n = gtk_label_new(name);
    gtk_label_set_xalign(GTK_LABEL(n), 0);
    gtk_label_set_ellipsize(GTK_LABEL(n), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(text), n);
    if (caption && caption[0]) {
        GtkWidget *c = gtk_label_new(caption);
        gtk_label_set_xalign(GTK_LABEL(c), 0);
        gtk_label_set_ellipsize(GTK_LABEL(c), PANGO_ELLIPSIZE_END);
        gtk_widget_set_tooltip_text(c, caption);
        gtk_widget_add_css_class(c, "dim-label");
        gtk_widget_add_css_class(c, "caption");
        gtk_box_append(GTK_BOX(text), c);
    }
    gtk_widget_set_hexpand(text, TRUE);
    gtk_box_append(GTK_BOX(row), text);
    gtk_box_append(GTK_BOX(self->alarm_list), row);
}

static void on_alarms(GObject *source, GAsyncResult *result, gpointer data)
{
    Load *load = data;
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    StDashboardWidget *self = load->self;
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        load->generation == self->generation) {
        clear_alarm_list(self);
        if (!msg) {
            g_autofree char *text =
                g_strdup_printf("Cannot read the alarm states: %s", error->message);
            GtkWidget *l = gtk_label_new(text);
            gtk_label_set_wrap(GTK_LABEL(l), TRUE);
            gtk_label_set_xalign(GTK_LABEL(l), 0);
            gtk_widget_add_css_class(l, "dim-label");
            gtk_box_append(GTK_BOX(self->alarm_list), l);
        }
        Stratus__DescribeAlarmsResponse *r = (Stratus__DescribeAlarmsResponse *)msg;
        /* In the widget's order; an alarm the collector does not know is listed as such. */
        for (guint i = 0; msg && i < self->alarms->len; i++) {
            const char *name = self->alarms->pdata[i];
            const char *state = NULL, *reason = NULL;
            for (size_t k = 0; k < r->n_metric_alarms && !state; k++) {
                if (g_strcmp0(r->metric_alarms[k]->alarm_name, name) == 0) {
                    state = r->metric_alarms[k]->state_value;
                    reason = r->metric_alarms[k]->state_reason;
                }
            }
            for (size_t k = 0; k < r->n_composite_alarms && !state; k++) {
                if (g_strcmp0(r->composite_alarms[k]->alarm_name, name) == 0) {
                    state = r->composite_alarms[k]->state_value;
                    reason = r->composite_alarms[k]->state_reason;
                }
            }
            append_alarm_row(self, name, state, "Not found",
                             state ? reason : "No such alarm in this collector");
        }
    }
    if (msg) {
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    g_object_unref(load->self);
    g_free(load);
}

static void load_alarms(StDashboardWidget *self)
{
    if (self->alarms->len == 0) {
        clear_alarm_list(self);
        GtkWidget *l = gtk_label_new("This widget lists no alarms");
        gtk_widget_add_css_class(l, "dim-label");
        gtk_box_append(GTK_BOX(self->alarm_list), l);
        return;
    }
    static const char *const types[] = {"MetricAlarm", "CompositeAlarm"};
    Stratus__DescribeAlarmsRequest req = STRATUS__DESCRIBE_ALARMS_REQUEST__INIT;
    /* DescribeAlarms takes at most 100 names; a widget with more shows the first 100. */
    req.n_alarm_names = MIN(self->alarms->len, 100);
    req.alarm_names = (char **)self->alarms->pdata;
    req.n_alarm_types = G_N_ELEMENTS(types);
    req.alarm_types = (char **)types;
    req.has_max_records = TRUE;
    req.max_records = 100;
    Load *load = g_new0(Load, 1);
    load->self = g_object_ref(self);
    load->generation = self->generation;
    st_api_client_call_async(self->client, "DescribeAlarms", &req.base,
                             &stratus__describe_alarms_response__descriptor, self->cancellable,
                             on_alarms, load);
}

void st_dashboard_widget_load(StDashboardWidget *self, gint64 t0_ms, gint64 t1_ms)
{
    g_return_if_fail(ST_IS_DASHBOARD_WIDGET(self));
    self->t0_ms = t0_ms;
    self->t1_ms = t1_ms;
    if (self->type != ST_DASH_WIDGET_METRIC && self->type != ST_DASH_WIDGET_ALARM) {
        return;
    }
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    self->generation++;
    if (self->type == ST_DASH_WIDGET_ALARM) {
        load_alarms(self);
        return;
    }
    st_chart_view_clear(self->chart);
    st_chart_view_set_range(self->chart, t0_ms, t1_ms);
    st_chart_view_set_message(self->chart,
                              self->queries->len ? "Loading…" : "This widget has no metrics");
    for (guint i = 0; i < self->queries->len; i++) {
        Load *load = g_new0(Load, 1);
        load->self = g_object_ref(self);
        load->row = i;
        load->generation = self->generation;
        st_metric_query_fetch_async(self->client, self->queries->pdata[i], t0_ms, t1_ms,
                                    self->cancellable, on_series, load);
    }
}

static char *markdown_to_markup(const char *md)
{
    GString *out = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(md, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];
        int level = 0;
        while (l[level] == '#') {
            level++;
        }
        g_autofree char *esc =
            g_markup_escape_text(l + level + (level && l[level] == ' ' ? 1 : 0), -1);
        if (level == 1) {
            g_string_append_printf(out, "<span size=\"x-large\" weight=\"bold\">%s</span>", esc);
        } else if (level >= 2) {
            g_string_append_printf(out, "<span size=\"large\" weight=\"bold\">%s</span>", esc);
        } else {
            g_string_append(out, esc);
        }
        if (lines[i + 1]) {
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}

static void set_model(StDashboardWidget *self, const struct st_dash_widget *w)
{
    self->type = w->type;
    self->view = w->view;
    const char *title = w->title;
    for (size_t i = 0; i < w->n_metrics; i++) {
        const struct st_dash_metric *m = &w->metrics[i];
        if (!m->namespace_ || !m->visible) {
            continue; /* metric math is not evaluated (the collector said so on put) */
        }
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        g_autoptr(GPtrArray) values = g_ptr_array_new();
        for (size_t k = 0; k < m->n_dimensions; k++) {
            g_ptr_array_add(names, (gpointer)m->dimensions[k].name);
            g_ptr_array_add(values, (gpointer)m->dimensions[k].value);
        }
        g_ptr_array_add(names, NULL);
        g_ptr_array_add(values, NULL);
        StMetricQuery *q =
            st_metric_query_new(m->namespace_, m->metric_name, (const char *const *)names->pdata,
                                (const char *const *)values->pdata, m->stat ? m->stat : w->stat,
                                m->period ? m->period : w->period);
        if (m->label) {
            q->label = g_strdup(m->label);
        } else if (m->stat && g_strcmp0(m->stat, w->stat) != 0) {
            q->label = g_strdup_printf("%s %s", st_metric_query_label(q), m->stat);
        }
        q->color = g_strdup(m->color);
        g_ptr_array_add(self->queries, q);
    }
    switch (w->type) {
    case ST_DASH_WIDGET_METRIC:
        if (!title && self->queries->len) {
            title = st_metric_query_label(self->queries->pdata[0]);
        }
        st_chart_view_set_stacked(self->chart, w->stacked);
        st_chart_view_set_y_bounds(self->chart, w->left.has_min, w->left.min, w->left.has_max,
                                   w->left.max);
        gtk_stack_set_visible_child_name(self->content, shows_number(self) ? "number" : "chart");
        break;
    case ST_DASH_WIDGET_TEXT: {
        g_autofree char *markup = markdown_to_markup(w->markdown ? w->markdown : "");
        gtk_label_set_markup(self->text, markup);
        gtk_stack_set_visible_child_name(self->content, "text");
        break;
    }
    case ST_DASH_WIDGET_ALARM: {
        /* An ARN (arn:aws:cloudwatch:region:account:alarm:NAME) or a bare name. */
        for (size_t i = 0; i < w->n_alarms; i++) {
            const char *a =
                g_str_has_prefix(w->alarms[i], "arn:") ? strrchr(w->alarms[i], ':') : NULL;
            g_ptr_array_add(self->alarms, g_strdup(a ? a + 1 : w->alarms[i]));
        }
        for (guint i = 0; i < self->alarms->len; i++) {
            append_alarm_row(self, self->alarms->pdata[i], NULL, "…", "Loading…");
        }
        gtk_stack_set_visible_child_name(self->content, "alarms");
        title = title ? title : "Alarms";
        break;
    }
    default: {
        static const char *const names[] = {"metric", "text", "alarm", "log", "explorer", "custom"};
        g_autofree char *t = g_strdup_printf(
            "Widgets of type %s are kept in the dashboard but not drawn by Stratus.",
            names[w->type]);
        gtk_label_set_text(self->text, t);
        gtk_stack_set_visible_child_name(self->content, "text");
    }
    }
    gtk_label_set_text(self->title, title ? title : "");
}

static void on_zoom_requested(StDashboardWidget *self, gint64 t0, gint64 t1)
{
    g_signal_emit(self, signals[SIGNAL_ZOOM_REQUESTED], 0, t0, t1);
}

static void edit_action(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name;
    g_signal_emit(widget, signals[SIGNAL_EDIT], 0, g_variant_get_string(param, NULL));
}

/* Draws frame's node into new pixels covering it, or returns FALSE. */
static gboolean draw_frame(StDashboardWidget *self, GskRenderNode *node, int scale)
{
    graphene_rect_t bounds;
    gsk_render_node_get_bounds(node, &bounds);
    int x0, y0, width, height;
    if (!st_device_pixels_cover(&bounds, scale, &x0, &y0, &width, &height, &self->frame_bounds)) {
        return FALSE;
    }
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return FALSE;
    }
    cairo_surface_set_device_scale(surface, scale, scale);
    cairo_t *cr = cairo_create(surface);
    cairo_translate(cr, -(double)x0 / scale, -(double)y0 / scale);
    gsk_render_node_draw(node, cr);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    self->frame_surface = surface;
    return TRUE;
}

/* The card's look: its kept pixels under the cairo renderer where the widget sits on device
 * pixels (the same cairo drawing the renderer would do, once), else frame's node as is (the
 * GL renderers keep their own shadow caches). */
static void append_frame(StDashboardWidget *self, GtkSnapshot *snapshot)
{
    GtkWidget *widget = GTK_WIDGET(self);
    int scale = MAX(1, gtk_widget_get_scale_factor(widget));
    if (!st_device_pixels_cairo_renderer(widget) || !st_device_pixels_aligned(widget, scale)) {
        g_clear_pointer(&self->frame_surface, cairo_surface_destroy);
        gtk_widget_snapshot_child(widget, self->frame, snapshot);
        return;
    }
    AdwStyleManager *style = adw_style_manager_get_default();
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    gboolean dark = adw_style_manager_get_dark(style);
    gboolean high_contrast = adw_style_manager_get_high_contrast(style);
    if (self->frame_surface &&
        (self->frame_width != width || self->frame_height != height || self->frame_scale != scale ||
         self->frame_dark != dark || self->frame_high_contrast != high_contrast)) {
        g_clear_pointer(&self->frame_surface, cairo_surface_destroy);
    }
    if (!self->frame_surface) {
        GtkSnapshot *s = gtk_snapshot_new();
        gtk_widget_snapshot_child(widget, self->frame, s);
        GskRenderNode *node = gtk_snapshot_free_to_node(s);
        if (!node) {
            return;
        }
        if (!draw_frame(self, node, scale)) {
            gtk_snapshot_append_node(snapshot, node);
            gsk_render_node_unref(node);
            return;
        }
        gsk_render_node_unref(node);
        self->frame_width = width;
        self->frame_height = height;
        self->frame_scale = scale;
        self->frame_dark = dark;
        self->frame_high_contrast = high_contrast;
    }
    st_device_pixels_append(snapshot, self->frame_surface, &self->frame_bounds);
}

static void st_dashboard_widget_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    StDashboardWidget *self = ST_DASHBOARD_WIDGET(widget);
    append_frame(self, snapshot);
    for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c)) {
        if (c != self->frame) {
            gtk_widget_snapshot_child(widget, c, snapshot);
        }
    }
}

static void st_dashboard_widget_dispose(GObject *object)
{
    StDashboardWidget *self = ST_DASHBOARD_WIDGET(object);
    g_cancellable_cancel(self->cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_DASHBOARD_WIDGET);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->queries, g_ptr_array_unref);
    g_clear_pointer(&self->alarms, g_ptr_array_unref);
    g_clear_pointer(&self->frame_surface, cairo_surface_destroy);
    G_OBJECT_CLASS(st_dashboard_widget_parent_class)->dispose(object);
}

static void st_dashboard_widget_class_init(StDashboardWidgetClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_dashboard_widget_dispose;
    widget_class->snapshot = st_dashboard_widget_snapshot;
    g_type_ensure(ST_TYPE_CHART_VIEW);
    signals[SIGNAL_EDIT] = g_signal_new("edit", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    signals[SIGNAL_ZOOM_REQUESTED] =
        g_signal_new("zoom-requested", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
    gtk_widget_class_install_action(widget_class, "widget.edit", "s", edit_action);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/stratus/Viewer/dashboard_widget.ui");
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, frame);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, box);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, title);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, edit_box);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, content);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, chart);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, number);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, number_caption);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, text);
    gtk_widget_class_bind_template_child(widget_class, StDashboardWidget, alarm_list);
    gtk_widget_class_bind_template_callback(widget_class, on_zoom_requested);
}

static void st_dashboard_widget_init(StDashboardWidget *self)
{
    self->queries = g_ptr_array_new_with_free_func((GDestroyNotify)st_metric_query_free);
    self->alarms = g_ptr_array_new_with_free_func(g_free);
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
}

GtkWidget *st_dashboard_widget_new(StApiClient *client, const struct st_dash_widget *model,
                                   guint index)
{
    g_return_val_if_fail(ST_IS_API_CLIENT(client) && model != NULL, NULL);
    StDashboardWidget *self = g_object_new(ST_TYPE_DASHBOARD_WIDGET, NULL);
    self->client = g_object_ref(client);
    self->index = index;
    set_model(self, model);
    return GTK_WIDGET(self);
}

guint st_dashboard_widget_get_index(StDashboardWidget *self)
{
    g_return_val_if_fail(ST_IS_DASHBOARD_WIDGET(self), 0);
    return self->index;
}

void st_dashboard_widget_set_editing(StDashboardWidget *self, gboolean editing)
{
    g_return_if_fail(ST_IS_DASHBOARD_WIDGET(self));
    gtk_widget_set_visible(self->edit_box, editing);
}
