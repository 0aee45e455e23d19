/* SPDX-License-Identifier: MIT */
/*
 * The service map page (service_map_page.h). A reload fetches GetServiceGraph (following
 * NextToken for up to MAX_PAGES pages, merged into the first response) and hands it to the
 * view; the selection's traces are fetched on every selection change, cancelling the previous
 * query. The histogram is a GtkDrawingArea whose draw function only draws the selection's
 * histogram entries.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "service_map_page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "service_health.h"
#include "service_map_view.h"
#include "traces.pb-c.h"

#define MAX_TRACES 20
#define MAX_PAGES  100

static const gint64 range_s[] = {300, 900, 3600, 6 * 3600, 86400, 7 * 86400};

struct _StServiceMapPage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *graph_cancellable;
    GCancellable *traces_cancellable;
    Stratus__GetServiceGraphResponse *graph_pages; /* the pages so far, merged; owned */
    guint n_graph_pages;
    char *select_name;
    gint64 start_ms, end_ms;

    GtkLabel *summary;
    GtkDropDown *range;
    GtkStack *stack;
    StServiceMapView *map;
    AdwStatusPage *status;
    GtkLabel *details_title;
    GtkLabel *details_stats;
    GtkLabel *histogram_heading;
    GtkDrawingArea *histogram;
    GtkLabel *traces_heading;
    GtkListBox *traces;
};

G_DEFINE_FINAL_TYPE(StServiceMapPage, st_service_map_page, GTK_TYPE_WIDGET)

enum { SIGNAL_TRACE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void show_status(StServiceMapPage *self, const char *title, const char *description)
{
    adw_status_page_set_title(self->status, title);
    adw_status_page_set_description(self->status, description);
    gtk_stack_set_visible_child_name(self->stack, "status");
}

/* A string literal of the X-Ray filter language: quotes and backslashes escaped. */
static void append_quoted(GString *s, const char *text)
{
    g_string_append_c(s, '"');
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '"' || *p == '\\') {
            g_string_append_c(s, '\\');
        }
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

static void clear_traces(StServiceMapPage *self)
{
    GtkListBoxRow *row;
    while ((row = gtk_list_box_get_row_at_index(self->traces, 0))) {
        gtk_list_box_remove(self->traces, GTK_WIDGET(row));
    }
}

static GtkWidget *trace_row(const Stratus__TraceSummary *s)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    gtk_widget_set_margin_start(box, 10);
    gtk_widget_set_margin_end(box, 10);
    gtk_widget_set_margin_top(box, 6);
    gtk_widget_set_margin_bottom(box, 6);
    int part = s->has_fault      ? ST_HEALTH_FAULT
               : s->has_error    ? ST_HEALTH_ERROR
               : s->has_throttle ? ST_HEALTH_THROTTLE
                                 : ST_HEALTH_OK;
    g_autofree char *dot = g_strdup_printf(
        "<span foreground=\"#%02x%02x%02x\">●</span>", (int)(st_health_rgb[part][0] * 255),
        (int)(st_health_rgb[part][1] * 255), (int)(st_health_rgb[part][2] * 255));
    GtkWidget *l = gtk_label_new(NULL);
    gtk_label_set_markup(GTK_LABEL(l), dot);
    gtk_box_append(GTK_BOX(box), l);
    /* The id's random part is what tells traces apart; the epoch part is the same for many. */
    const char *id = s->id ? s->id : "";
    l = gtk_label_new(strlen(id) > 11 ? id + 11 : id);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_START);
    gtk_widget_set_hexpand(l, TRUE);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_widget_add_css_class(l, "monospace");
    gtk_widget_set_tooltip_text(l, id);
    gtk_box_append(GTK_BOX(box), l);
    g_autofree char *dur = g_strdup_printf("%.1f ms", s->duration * 1000);
    l = gtk_label_new(dur);
    gtk_widget_add_css_class(l, "dim-label");
    gtk_box_append(GTK_BOX(box), l);
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    g_object_set_data_full(G_OBJECT(row), "trace-id", g_strdup(id), g_free);
    return row;
}

static void on_traces(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StServiceMapPage *self = data;
    clear_traces(self);
    if (!msg) {
        g_autofree char *text = g_strdup_printf("Traces: %s", error->message);
        gtk_label_set_text(self->traces_heading, text);
        return;
    }
    const Stratus__GetTraceSummariesResponse *r = (const Stratus__GetTraceSummariesResponse *)msg;
    size_t n = MIN(r->n_trace_summaries, MAX_TRACES);
    for (size_t i = 0; i < n; i++) {
        gtk_list_box_append(self->traces, trace_row(r->trace_summaries[i]));
    }
    g_autofree char *heading = g_strdup_printf(
        "%s%zu trace%s through it", r->next_token || r->n_trace_summaries > n ? "The first " : "",
        n, n == 1 ? "" : "s");
    gtk_label_set_text(self->traces_heading, heading);
    gtk_widget_set_visible(GTK_WIDGET(self->traces), n > 0);
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void append_stats(GString *s, gint64 total, gint64 ok, gint64 err, gint64 thr, gint64 fault,
                         double total_rt)
{
    g_autofree char *lat = st_service_map_latency_text(total_rt, total);
    g_string_append_printf(s, "<b>%" G_GINT64_FORMAT "</b> requests · average <b>%s</b>\n\n", total,
                           lat);
    struct {
        const char *name;
        gint64 n;
        int part;
    } rows[] = {{"OK", ok, ST_HEALTH_OK},
                {"Error (4xx)", err - thr, ST_HEALTH_ERROR},
                {"Throttle (429)", thr, ST_HEALTH_THROTTLE},
                {"Fault (5xx)", fault, ST_HEALTH_FAULT}};
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        int p = rows[i].part;
        g_string_append_printf(
            s, "<span foreground=\"#%02x%02x%02x\">●</span> %s: %" G_GINT64_FORMAT " (%.1f %%)\n",
            (int)(st_health_rgb[p][0] * 255), (int)(st_health_rgb[p][1] * 255),
            (int)(st_health_rgb[p][2] * 255), rows[i].name, rows[i].n,
            total > 0 ? 100.0 * (double)rows[i].n / (double)total : 0.0);
    }
}

static void on_selection_changed(StServiceMapPage *self)
{
    const Stratus__Service *svc = NULL, *target = NULL;
    const Stratus__Edge *edge = NULL;
    g_cancellable_cancel(self->traces_cancellable);
    g_clear_object(&self->traces_cancellable);
    self->traces_cancellable = g_cancellable_new();
    clear_traces(self);
    gtk_widget_queue_draw(GTK_WIDGET(self->histogram));
    gboolean any = st_service_map_view_get_selected(self->map, &svc, &edge, &target);
    gtk_widget_set_visible(GTK_WIDGET(self->histogram_heading), any);
    gtk_widget_set_visible(GTK_WIDGET(self->histogram), any);
    gtk_widget_set_visible(GTK_WIDGET(self->traces_heading), any);
    gtk_widget_set_visible(GTK_WIDGET(self->traces), FALSE);
    if (!any) {
        gtk_label_set_text(self->details_title,
                           "Click a service or an edge to see its statistics and traces.");
        gtk_label_set_text(self->details_stats, "");
        return;
    }
    GString *stats = g_string_new(NULL);
    g_autoptr(GString) expr = g_string_new(NULL);
    g_autofree char *title = NULL;
    if (edge) {
        title = g_markup_printf_escaped("<span size=\"large\" weight=\"bold\">%s → %s</span>\n"
                                        "<span alpha=\"60%%\">edge</span>",
                                        svc->name, target->name);
        const Stratus__EdgeStatistics *st = edge->summary_statistics;
        if (st) {
            append_stats(stats, st->total_count, st->ok_count,
                         st->error_statistics ? st->error_statistics->total_count : 0,
                         st->error_statistics ? st->error_statistics->throttle_count : 0,
                         st->fault_statistics ? st->fault_statistics->total_count : 0,
                         st->total_response_time);
        }
        g_string_append(expr, "edge(");
        append_quoted(expr, svc->name);
        g_string_append(expr, ", ");
        append_quoted(expr, target->name);
        g_string_append(expr, ")");
    } else {
        gboolean client = g_strcmp0(svc->type, "client") == 0;
        title = g_markup_printf_escaped(
            "<span size=\"large\" weight=\"bold\">%s</span>\n<span alpha=\"60%%\">%s%s%s</span>",
            client ? "Clients" : svc->name,
            client      ? "requests into "
            : svc->type ? svc->type
                        : "",
            client ? svc->name : "",
            !client && g_strcmp0(svc->state, "unknown") == 0 ? " · inferred from its callers" : "");
        const Stratus__ServiceStatistics *st = svc->summary_statistics;
        if (st) {
            append_stats(stats, st->total_count, st->ok_count,
                         st->error_statistics ? st->error_statistics->total_count : 0,
                         st->error_statistics ? st->error_statistics->throttle_count : 0,
                         st->fault_statistics ? st->fault_statistics->total_count : 0,
                         st->total_response_time);
        } else if (client) {
            g_string_append(stats, "The callers of the entry services: select an edge for "
                                   "the requests it sent.");
        }
        g_string_append(expr, "service(");
        append_quoted(expr, svc->name);
        g_string_append(expr, ")");
    }
    gtk_label_set_markup(self->details_title, title);
    gtk_label_set_markup(self->details_stats, stats->str);
    g_string_free(stats, TRUE);
    gtk_label_set_text(self->traces_heading, "Traces through it: loading…");
    Stratus__GetTraceSummariesRequest req = STRATUS__GET_TRACE_SUMMARIES_REQUEST__INIT;
    req.has_start_time_ms = req.has_end_time_ms = TRUE;
    req.start_time_ms = self->start_ms;
    req.end_time_ms = self->end_ms;
    req.filter_expression = expr->str;
    st_api_client_call_async(self->client, "GetTraceSummaries", &req.base,
                             &stratus__get_trace_summaries_response__descriptor,
                             self->traces_cancellable, on_traces, self);
}

static int by_value(const void *a, const void *b)
{
    const Stratus__HistogramEntry *x = *(Stratus__HistogramEntry *const *)a;
    const Stratus__HistogramEntry *y = *(Stratus__HistogramEntry *const *)b;
    return x->value < y->value ? -1 : x->value > y->value;
}

static void draw_histogram(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
    (void)area;
    StServiceMapPage *self = data;
    const Stratus__Service *svc = NULL, *target = NULL;
    const Stratus__Edge *edge = NULL;
    if (!st_service_map_view_get_selected(self->map, &svc, &edge, &target)) {
        return;
    }
    Stratus__HistogramEntry **entries =
        edge ? edge->response_time_histogram : svc->response_time_histogram;
    size_t n = edge ? edge->n_response_time_histogram : svc->n_response_time_histogram;
    gboolean dark = adw_style_manager_get_dark(adw_style_manager_get_default());
    double fgc = dark ? 1 : 0;
    double plot_h = height - 18;
    cairo_set_source_rgba(cr, fgc, fgc, fgc, 0.15);
    cairo_rectangle(cr, 0, plot_h, width, 1);
    cairo_fill(cr);
    if (n == 0) {
        return;
    }
    g_autofree Stratus__HistogramEntry **sorted = g_memdup2(entries, n * sizeof(*entries));
    qsort(sorted, n, sizeof(*sorted), by_value);
    double vmax = sorted[n - 1]->value;
    int cmax = 1;
    for (size_t i = 0; i < n; i++) {
        cmax = MAX(cmax, sorted[i]->count);
    }
    double bar_w = MAX(3.0, MIN(24.0, (width - 8) / (double)(n + 1) - 2));
    /* Values map onto [0, 1.15 vmax] so that the slowest bucket is not on the edge. */
    double xmax = vmax > 0 ? vmax * 1.15 : 1;
    for (size_t i = 0; i < n; i++) {
        double x = 2 + sorted[i]->value / xmax * (width - bar_w - 4);
        double h = sorted[i]->count / (double)cmax * (plot_h - 4);
        cairo_set_source_rgb(cr, 0.21, 0.52, 0.89);
        cairo_rectangle(cr, x, plot_h - h, bar_w, h);
        cairo_fill(cr);
    }
    /* The axis: 0 on the left, the slowest bucket's value under its bar. */
    g_autofree char *right = st_service_map_latency_text(vmax, 1);
    cairo_set_source_rgba(cr, fgc, fgc, fgc, 0.6);
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    cairo_move_to(cr, 2, height - 3);
    cairo_show_text(cr, "0");
    cairo_text_extents_t ext;
    cairo_text_extents(cr, right, &ext);
    double rx = 2 + vmax / xmax * (width - bar_w - 4) + bar_w / 2 - ext.x_advance / 2;
    cairo_move_to(cr, MIN(rx, width - ext.x_advance - 2), height - 3);
    cairo_show_text(cr, right);
}

static void request_graph(StServiceMapPage *self, const char *next_token);

static void clear_graph_pages(StServiceMapPage *self)
{
    if (self->graph_pages) {
        protobuf_c_message_free_unpacked(&self->graph_pages->base, NULL);
        self->graph_pages = NULL;
    }
    self->n_graph_pages = 0;
}

/* Moves page's services to the end of into (both unpacked with protobuf-c's default
 * allocator, the system malloc) and frees page. Returns 0 or -ENOMEM (page freed). */
static int merge_graph_page(Stratus__GetServiceGraphResponse *into,
                            Stratus__GetServiceGraphResponse *page)
{
    int r = 0;
    if (page->n_services) {
        Stratus__Service **all =
            realloc(into->services, (into->n_services + page->n_services) * sizeof(*all));
        if (all) {
            memcpy(all + into->n_services, page->services, page->n_services * sizeof(*all));
            into->services = all;
            into->n_services += page->n_services;
            page->n_services = 0; /* they belong to into now */
        } else {
            r = -ENOMEM;
        }
    }
    protobuf_c_message_free_unpacked(&page->base, NULL);
    return r;
}

static void on_graph(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StServiceMapPage *self = data;
    if (!msg) {
        clear_graph_pages(self);
        if (g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNKNOWN_OPERATION)) {
            show_status(self, "Not available from this collector",
                        "The service map needs the GetServiceGraph operation, which this "
                        "collector does not serve.");
        } else if (!g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNREACHABLE) ||
                   !st_service_map_view_get_n_services(self->map)) {
            show_status(self, "Cannot load the service map", error->message);
        }
        return;
    }
    Stratus__GetServiceGraphResponse *page = (Stratus__GetServiceGraphResponse *)msg;
    g_autofree char *next =
        page->next_token && page->next_token[0] ? g_strdup(page->next_token) : NULL;
    if (!self->graph_pages) {
        self->graph_pages = page;
    } else if (merge_graph_page(self->graph_pages, page) < 0) {
        clear_graph_pages(self);
        show_status(self, "Cannot load the service map", "out of memory");
        return;
    }
    if (next && ++self->n_graph_pages < MAX_PAGES) {
        request_graph(self, next); /* X-Ray pages a large graph: fetch the rest first */
        return;
    }
    Stratus__GetServiceGraphResponse *graph = self->graph_pages;
    self->graph_pages = NULL;
    self->n_graph_pages = 0;
    size_t n = graph->n_services;
    if (st_service_map_view_set_graph(self->map, graph) < 0) {
        show_status(self, "Cannot lay out the service map", "graphviz failed (out of memory?)");
        return;
    }
    if (n == 0) {
        show_status(self, "No traces in this time range",
                    "Services appear here once segments reach the collector (UDP 2000 or "
                    "PutTraceSegments). Try a longer time range.");
        gtk_label_set_text(self->summary, "Service map");
        return;
    }
    gtk_stack_set_visible_child_name(self->stack, "map");
    g_autofree char *text = g_strdup_printf("Service map · %zu node%s", n, n == 1 ? "" : "s");
    gtk_label_set_text(self->summary, text);
    if (self->select_name) {
        st_service_map_view_select_service(self->map, self->select_name);
    }
}

void st_service_map_page_reload(StServiceMapPage *self)
{
    g_return_if_fail(ST_IS_SERVICE_MAP_PAGE(self));
    if (!self->client) {
        return;
    }
    g_cancellable_cancel(self->graph_cancellable);
    g_clear_object(&self->graph_cancellable);
    self->graph_cancellable = g_cancellable_new();
    clear_graph_pages(self);
    guint sel = gtk_drop_down_get_selected(self->range);
    gint64 span = range_s[sel < G_N_ELEMENTS(range_s) ? sel : 2];
    self->end_ms = g_get_real_time() / 1000 + 60 * 1000;
    self->start_ms = self->end_ms - span * 1000 - 60 * 1000;
    request_graph(self, NULL);
}

/* One GetServiceGraph page of the current window. */
static void request_graph(StServiceMapPage *self, const char *next_token)
{
    Stratus__GetServiceGraphRequest req = STRATUS__GET_SERVICE_GRAPH_REQUEST__INIT;
    req.has_start_time_ms = req.has_end_time_ms = TRUE;
    req.start_time_ms = self->start_ms;
    req.end_time_ms = self->end_ms;
    req.next_token = (char *)next_token;
    st_api_client_call_async(self->client, "GetServiceGraph", &req.base,
                             &stratus__get_service_graph_response__descriptor,
                             self->graph_cancellable, on_graph, self);
}

static void on_refresh(StServiceMapPage *self)
{
    st_service_map_page_reload(self);
}

static void on_trace_activated(StServiceMapPage *self, GtkListBoxRow *row)
{
    const char *id = g_object_get_data(G_OBJECT(row), "trace-id");
    if (id) {
        g_signal_emit(self, signals[SIGNAL_TRACE_ACTIVATED], 0, id);
    }
}

void st_service_map_page_select_service(StServiceMapPage *self, const char *name)
{
    g_return_if_fail(ST_IS_SERVICE_MAP_PAGE(self));
    g_free(self->select_name);
    self->select_name = g_strdup(name);
    st_service_map_view_select_service(self->map, name);
}

void st_service_map_page_set_client(StServiceMapPage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_SERVICE_MAP_PAGE(self));
    g_set_object(&self->client, client);
}

static void st_service_map_page_dispose(GObject *object)
{
    StServiceMapPage *self = ST_SERVICE_MAP_PAGE(object);
    g_cancellable_cancel(self->graph_cancellable);
    g_cancellable_cancel(self->traces_cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_SERVICE_MAP_PAGE);
    /* Children the page parented itself (not template children) go too, or GTK warns that
     * the page is finalized with children left. */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self)))) {
        gtk_widget_unparent(child);
    }
    g_clear_object(&self->graph_cancellable);
    g_clear_object(&self->traces_cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->select_name, g_free);
    clear_graph_pages(self);
    G_OBJECT_CLASS(st_service_map_page_parent_class)->dispose(object);
}

static void st_service_map_page_class_init(StServiceMapPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_service_map_page_dispose;
    signals[SIGNAL_TRACE_ACTIVATED] =
        g_signal_new("trace-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    g_type_ensure(ST_TYPE_SERVICE_MAP_VIEW);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/stratus/Viewer/service_map_page.ui");
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, summary);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, range);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, stack);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, map);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, status);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, details_title);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, details_stats);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, histogram_heading);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, histogram);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, traces_heading);
    gtk_widget_class_bind_template_child(widget_class, StServiceMapPage, traces);
    gtk_widget_class_bind_template_callback(widget_class, on_refresh);
    gtk_widget_class_bind_template_callback(widget_class, on_selection_changed);
    gtk_widget_class_bind_template_callback(widget_class, on_trace_activated);
}

static void st_service_map_page_init(StServiceMapPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->graph_cancellable = g_cancellable_new();
    self->traces_cancellable = g_cancellable_new();
    gtk_drawing_area_set_draw_func(self->histogram, draw_histogram, self, NULL);
    gtk_stack_set_visible_child_name(self->stack, "status");
}
