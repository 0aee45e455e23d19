/* SPDX-License-Identifier: MIT */
/*
 * The metric browser (metrics_page.h). The listing is kept as the decoded ListMetrics pages
 * (up to MAX_PAGES); the namespace and metric rows are rebuilt from it when the selection or
 * the search text change. Charted series are StMetricQuery objects fetched for the chart's
 * range whenever it changes.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "metrics_page.h"

#include "chart_view.h"
#include "metric_query.h"
#include "stratus.pb-c.h"

#define MAX_PAGES 50
#define MAX_ROWS  500
#define RANGE_MS  (3 * 3600 * 1000LL)

struct _StMetricsPage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *list_cancellable;
    GCancellable *chart_cancellable;
    GPtrArray *pages;   /* Stratus__ListMetricsResponse*, owned */
    GPtrArray *metrics; /* Stratus__Metric*, borrowed from pages, sorted */
    GPtrArray *charted; /* StMetricQuery* */
    char *namespace_;   /* the selected namespace */
    char *pending_chart_ns;
    guint pending_chart_n;
    guint loads; /* series being fetched */
    gint64 t0_ms, t1_ms;

    StChartView *chart;
    GtkLabel *chart_title;
    GtkListBox *namespaces;
    GtkListBox *metrics_list;
    GtkLabel *metrics_heading;
    GtkSearchEntry *search;
    GtkStack *list_stack;
    AdwStatusPage *empty;
};

G_DEFINE_FINAL_TYPE(StMetricsPage, st_metrics_page, GTK_TYPE_WIDGET)

static void rebuild_metric_rows(StMetricsPage *self);
static void refresh_chart(StMetricsPage *self);

static int by_name(gconstpointer a, gconstpointer b)
{
    const Stratus__Metric *x = *(Stratus__Metric *const *)a, *y = *(Stratus__Metric *const *)b;
    int c = g_strcmp0(x->namespace_, y->namespace_);
    if (c == 0) {
        c = g_strcmp0(x->metric_name, y->metric_name);
    }
    for (size_t i = 0; c == 0 && i < MIN(x->n_dimensions, y->n_dimensions); i++) {
        c = g_strcmp0(x->dimensions[i]->value, y->dimensions[i]->value);
    }
    return c ? c : (int)x->n_dimensions - (int)y->n_dimensions;
}

static char *dims_text(const Stratus__Metric *m)
{
    if (m->n_dimensions == 0) {
        return g_strdup("No dimensions");
    }
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < m->n_dimensions; i++) {
        g_string_append_printf(s, "%s%s = %s", i ? ", " : "", m->dimensions[i]->name,
                               m->dimensions[i]->value);
    }
    return g_string_free(s, FALSE);
}

static StMetricQuery *query_for(const Stratus__Metric *m)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GPtrArray) values = g_ptr_array_new();
    for (size_t i = 0; i < m->n_dimensions; i++) {
        g_ptr_array_add(names, m->dimensions[i]->name);
        g_ptr_array_add(values, m->dimensions[i]->value);
    }
    g_ptr_array_add(names, NULL);
    g_ptr_array_add(values, NULL);
    return st_metric_query_new(m->namespace_, m->metric_name, (const char *const *)names->pdata,
                               (const char *const *)values->pdata, "Average", 60);
}

static void add_to_chart(StMetricsPage *self, const Stratus__Metric *m)
{
    StMetricQuery *q = query_for(m);
    const char *label = st_metric_query_label(q);
    for (guint i = 0; i < self->charted->len; i++) {
        if (g_str_equal(st_metric_query_label(self->charted->pdata[i]), label)) {
            st_metric_query_free(q);
            return; /* already charted */
        }
    }
    g_ptr_array_add(self->charted, q);
    refresh_chart(self);
}

static void on_add_clicked(GtkButton *button, StMetricsPage *self)
{
    const Stratus__Metric *m = g_object_get_data(G_OBJECT(button), "metric");
    add_to_chart(self, m);
}

static gboolean matches(const Stratus__Metric *m, const char *needle)
{
    if (!needle || !needle[0]) {
        return TRUE;
    }
    g_autofree char *hay = g_strdup_printf("%s %s", m->namespace_, m->metric_name);
    g_autofree char *d = dims_text(m);
    g_autofree char *all = g_utf8_strdown(hay, -1);
    g_autofree char *dl = g_utf8_strdown(d, -1);
    g_autofree char *nl = g_utf8_strdown(needle, -1);
    return strstr(all, nl) || strstr(dl, nl);
}

static void clear_list_box(GtkListBox *box)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(box)))) {
        gtk_list_box_remove(box, child);
    }
}

static void rebuild_metric_rows(StMetricsPage *self)
{
    clear_list_box(self->metrics_list);
    const char *needle = gtk_editable_get_text(GTK_EDITABLE(self->search));
    gboolean searching = needle && needle[0];
    guint shown = 0;
    for (guint i = 0; i < self->metrics->len && shown < MAX_ROWS; i++) {
        const Stratus__Metric *m = self->metrics->pdata[i];
        if (!searching && g_strcmp0(m->namespace_, self->namespace_) != 0) {
            continue;
        }
        if (!matches(m, needle)) {
            continue;
        }
        GtkWidget *row = adw_action_row_new();
        g_autofree char *title = searching
                                     ? g_markup_printf_escaped("%s  <span alpha=\"60%%\">%s</span>",
                                                               m->metric_name, m->namespace_)
                                     : g_markup_escape_text(m->metric_name, -1);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        g_autofree char *sub = dims_text(m);
        g_autofree char *sub_escaped = g_markup_escape_text(sub, -1);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub_escaped);
        GtkWidget *add = gtk_button_new_from_icon_name("list-add-symbolic");
        gtk_widget_set_valign(add, GTK_ALIGN_CENTER);
        gtk_widget_set_tooltip_text(add, "Add to the chart");
        gtk_widget_add_css_class(add, "flat");
        g_object_set_data(G_OBJECT(add), "metric", (gpointer)m);
        g_signal_connect(add, "clicked", G_CALLBACK(on_add_clicked), self);
        adw_action_row_add_suffix(ADW_ACTION_ROW(row), add);
        adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), add);
        gtk_list_box_append(self->metrics_list, row);
        shown++;
    }
    g_autofree char *heading = searching ? g_strdup_printf("%u matching metrics", shown)
                               : self->namespace_
                                   ? g_strdup_printf("%s — %u metrics", self->namespace_, shown)
                                   : g_strdup("Metrics");
    gtk_label_set_text(self->metrics_heading, heading);
    gtk_stack_set_visible_child_name(self->list_stack, shown ? "list" : "empty");
    if (!shown && self->metrics->len) {
        adw_status_page_set_title(self->empty, "No matching metrics");
        adw_status_page_set_description(self->empty, "Try another search.");
    }
}

static void rebuild_namespaces(StMetricsPage *self)
{
    clear_list_box(self->namespaces);
    const char *last = NULL;
    GtkListBoxRow *select = NULL;
    for (guint i = 0; i < self->metrics->len; i++) {
        const Stratus__Metric *m = self->metrics->pdata[i];
        if (last && g_strcmp0(last, m->namespace_) == 0) {
            continue;
        }
        last = m->namespace_;
        GtkWidget *label = gtk_label_new(m->namespace_);
        gtk_label_set_xalign(GTK_LABEL(label), 0);
        gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
        gtk_widget_set_margin_top(label, 4);
        gtk_widget_set_margin_bottom(label, 4);
        GtkWidget *row = gtk_list_box_row_new();
        gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), label);
        g_object_set_data_full(G_OBJECT(row), "namespace", g_strdup(m->namespace_), g_free);
        gtk_list_box_append(self->namespaces, row);
        if (!select || g_strcmp0(m->namespace_, self->namespace_) == 0) {
            select = GTK_LIST_BOX_ROW(row);
        }
    }
    if (select) {
        gtk_list_box_select_row(self->namespaces, select);
    } else {
        rebuild_metric_rows(self);
    }
}

static void on_namespace_selected(StMetricsPage *self, GtkListBoxRow *row)
{
    if (!row) {
        return;
    }
    g_free(self->namespace_);
    self->namespace_ = g_strdup(g_object_get_data(G_OBJECT(row), "namespace"));
    rebuild_metric_rows(self);
}

static void on_search_changed(StMetricsPage *self)
{
    rebuild_metric_rows(self);
}

static void apply_pending_chart(StMetricsPage *self)
{
    if (!self->pending_chart_ns) {
        return;
    }
    guint added = 0;
    for (guint i = 0; i < self->metrics->len && added < self->pending_chart_n; i++) {
        const Stratus__Metric *m = self->metrics->pdata[i];
        if (g_strcmp0(m->namespace_, self->pending_chart_ns) == 0) {
            add_to_chart(self, m);
            added++;
        }
    }
    g_free(self->namespace_);
    self->namespace_ = g_steal_pointer(&self->pending_chart_ns);
    rebuild_namespaces(self);
}

static void list_page(StMetricsPage *self, const char *token);

static void on_listed(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StMetricsPage *self = data;
    if (!msg) {
        adw_status_page_set_title(self->empty, "Metrics are not available");
        adw_status_page_set_description(self->empty, error->message);
        gtk_stack_set_visible_child_name(self->list_stack, "empty");
        return;
    }
    Stratus__ListMetricsResponse *resp = (Stratus__ListMetricsResponse *)msg;
    g_ptr_array_add(self->pages, resp);
    for (size_t i = 0; i < resp->n_metrics; i++) {
        g_ptr_array_add(self->metrics, resp->metrics[i]);
    }
    if (resp->next_token && self->pages->len < MAX_PAGES) {
        list_page(self, resp->next_token);
        return;
    }
    g_ptr_array_sort(self->metrics, by_name);
    rebuild_namespaces(self);
    apply_pending_chart(self);
}

static void list_page(StMetricsPage *self, const char *token)
{
    Stratus__ListMetricsRequest req = STRATUS__LIST_METRICS_REQUEST__INIT;
    req.next_token = (char *)token;
    st_api_client_call_async(self->client, "ListMetrics", &req.base,
                             &stratus__list_metrics_response__descriptor, self->list_cancellable,
                             on_listed, self);
}

void st_metrics_page_reload(StMetricsPage *self)
{
    g_return_if_fail(ST_IS_METRICS_PAGE(self));
    if (!self->client) {
        return;
    }
    g_cancellable_cancel(self->list_cancellable);
    g_clear_object(&self->list_cancellable);
    self->list_cancellable = g_cancellable_new();
    g_ptr_array_set_size(self->metrics, 0);
    g_ptr_array_set_size(self->pages, 0);
    list_page(self, NULL);
    refresh_chart(self);
}

typedef struct {
    StMetricsPage *self;
    char *label;
    char *color;
} SeriesLoad;

static void on_series(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    SeriesLoad *load = data;
    g_autoptr(GError) error = NULL;
    GArray *ts = NULL, *vs = NULL;
    gboolean ok = st_metric_query_fetch_finish(result, &ts, &vs, &error);
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        StMetricsPage *self = load->self;
        self->loads--;
        if (ok) {
            st_chart_view_add_series(self->chart, load->label, (const gint64 *)ts->data,
                                     (const double *)vs->data, ts->len, load->color);
        } else {
            st_chart_view_set_message(self->chart, error->message);
        }
    }
    if (ts) {
        g_array_unref(ts);
        g_array_unref(vs);
    }
    g_free(load->label);
    g_free(load->color);
    g_free(load);
}

static void refresh_chart(StMetricsPage *self)
{
    g_cancellable_cancel(self->chart_cancellable);
    g_clear_object(&self->chart_cancellable);
    self->chart_cancellable = g_cancellable_new();
    st_chart_view_clear(self->chart);
    if (self->t1_ms == 0) {
        self->t1_ms = g_get_real_time() / 1000;
        self->t0_ms = self->t1_ms - RANGE_MS;
    }
    st_chart_view_set_range(self->chart, self->t0_ms, self->t1_ms);
    st_chart_view_set_message(self->chart,
                              self->charted->len ? "Loading…" : "Choose a metric with +");
    if (self->charted->len) {
        g_autofree char *title = g_strdup_printf(
            "%u series, average per %d s", self->charted->len,
            st_metric_query_period_for(self->charted->pdata[0], self->t0_ms, self->t1_ms));
        gtk_label_set_text(self->chart_title, title);
    } else {
        gtk_label_set_text(self->chart_title, "Select metrics below to chart them");
    }
    self->loads = 0;
    for (guint i = 0; self->client && i < self->charted->len; i++) {
        StMetricQuery *q = self->charted->pdata[i];
        SeriesLoad *load = g_new0(SeriesLoad, 1);
        load->self = self;
        load->label = g_strdup(st_metric_query_label(q));
        load->color = g_strdup(st_chart_view_palette(i));
        self->loads++;
        st_metric_query_fetch_async(self->client, q, self->t0_ms, self->t1_ms,
                                    self->chart_cancellable, on_series, load);
    }
}

static void on_zoom_requested(StMetricsPage *self, gint64 t0, gint64 t1)
{
    self->t0_ms = t0;
    self->t1_ms = t1;
    refresh_chart(self);
}

static void on_reset_zoom(StMetricsPage *self)
{
    self->t1_ms = 0;
    refresh_chart(self);
}

static void on_clear_chart(StMetricsPage *self)
{
    g_ptr_array_set_size(self->charted, 0);
    refresh_chart(self);
}

void st_metrics_page_set_client(StMetricsPage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_METRICS_PAGE(self));
    g_set_object(&self->client, client);
}

void st_metrics_page_chart_namespace(StMetricsPage *self, const char *ns, guint n)
{
    g_return_if_fail(ST_IS_METRICS_PAGE(self));
    g_free(self->pending_chart_ns);
    self->pending_chart_ns = g_strdup(ns);
    self->pending_chart_n = n;
    if (self->metrics->len) {
        apply_pending_chart(self);
    }
}

static void free_page(gpointer p)
{
    protobuf_c_message_free_unpacked(p, NULL);
}

static void st_metrics_page_dispose(GObject *object)
{
    StMetricsPage *self = ST_METRICS_PAGE(object);
    g_cancellable_cancel(self->list_cancellable);
    g_cancellable_cancel(self->chart_cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_METRICS_PAGE);
    /* The root box has no id, so the template does not dispose it. */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self)))) {
        gtk_widget_unparent(child);
    }
    g_clear_object(&self->list_cancellable);
    g_clear_object(&self->chart_cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->metrics, g_ptr_array_unref);
    g_clear_pointer(&self->pages, g_ptr_array_unref);
    g_clear_pointer(&self->charted, g_ptr_array_unref);
    g_clear_pointer(&self->namespace_, g_free);
    g_clear_pointer(&self->pending_chart_ns, g_free);
    G_OBJECT_CLASS(st_metrics_page_parent_class)->dispose(object);
}

static void st_metrics_page_class_init(StMetricsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_metrics_page_dispose;
    g_type_ensure(ST_TYPE_CHART_VIEW);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/stratus/Viewer/metrics_page.ui");
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, chart);
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, chart_title);
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, namespaces);
    gtk_widget_class_bind_template_child_full(widget_class, "metrics", FALSE,
                                              G_STRUCT_OFFSET(StMetricsPage, metrics_list));
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, metrics_heading);
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, search);
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, list_stack);
    gtk_widget_class_bind_template_child(widget_class, StMetricsPage, empty);
    gtk_widget_class_bind_template_callback(widget_class, on_namespace_selected);
    gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
    gtk_widget_class_bind_template_callback(widget_class, on_zoom_requested);
    gtk_widget_class_bind_template_callback(widget_class, on_reset_zoom);
    gtk_widget_class_bind_template_callback(widget_class, on_clear_chart);
}

static void st_metrics_page_init(StMetricsPage *self)
{
    self->pages = g_ptr_array_new_with_free_func(free_page);
    self->metrics = g_ptr_array_new();
    self->charted = g_ptr_array_new_with_free_func((GDestroyNotify)st_metric_query_free);
    gtk_widget_init_template(GTK_WIDGET(self));
    self->list_cancellable = g_cancellable_new();
    self->chart_cancellable = g_cancellable_new();
}
