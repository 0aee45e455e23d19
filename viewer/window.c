/* SPDX-License-Identifier: MIT */
/*
 * The main window (window.h). The sidebar rows are built from the stack's pages. The
 * connection state follows the API client's "connected" property: when it drops, the banner
 * slides in and a retry timer probes the collector (ListDashboards) every RETRY_S seconds
 * until it answers; then the banner goes and the pages reload.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "window.h"

#include "alarms_page.h"
#include "dashboards.pb-c.h"
#include "dashboards_page.h"
#include "metrics_page.h"
#include "service_map_page.h"
#include "traces_page.h"

#define RETRY_S 3

struct _StWindow {
    AdwApplicationWindow parent_instance;
    StApiClient *client;
    guint retry_id;
    guint countdown;
    GCancellable *cancellable;

    AdwWindowTitle *window_title;
    GtkImage *connection_icon;
    GtkLabel *connection_label;
    GtkRevealer *banner;
    GtkLabel *banner_label;
    GtkListBox *sidebar;
    GtkStack *stack;
    StDashboardsPage *dashboards_page;
    StMetricsPage *metrics_page;
    StAlarmsPage *alarms_page;
    StServiceMapPage *service_map_page;
    StTracesPage *traces_page;
};

G_DEFINE_FINAL_TYPE(StWindow, st_window, ADW_TYPE_APPLICATION_WINDOW)

static void reload_pages(StWindow *self)
{
    st_dashboards_page_reload(self->dashboards_page);
    st_metrics_page_reload(self->metrics_page);
    st_alarms_page_reload(self->alarms_page);
    st_service_map_page_reload(self->service_map_page);
    st_traces_page_reload(self->traces_page);
}

static void update_banner_text(StWindow *self)
{
    g_autofree char *text = g_strdup_printf(
        "Cannot reach the collector at %s. Retrying in %u s; the pages keep their last data.",
        st_api_client_get_endpoint(self->client), self->countdown);
    gtk_label_set_text(self->banner_label, text);
}

static void probe(StWindow *self);

static gboolean on_retry_tick(gpointer data)
{
    StWindow *self = data;
    if (self->countdown > 1) {
        self->countdown--;
        update_banner_text(self);
        return G_SOURCE_CONTINUE;
    }
    self->countdown = RETRY_S;
    update_banner_text(self);
    probe(self);
    return G_SOURCE_CONTINUE;
}

static void on_probe_done(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (msg) {
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    /* "connected" changed in the client if the collector answered: see on_connected. The
     * window was referenced for the call. */
    g_object_unref(data);
}

static void probe(StWindow *self)
{
    Stratus__ListDashboardsRequest req = STRATUS__LIST_DASHBOARDS_REQUEST__INIT;
    st_api_client_call_async(self->client, "ListDashboards", &req.base,
                             &stratus__list_dashboards_response__descriptor, self->cancellable,
                             on_probe_done, g_object_ref(self));
}

static void on_connected(StWindow *self)
{
    gboolean connected = st_api_client_get_connected(self->client);
    gtk_image_set_from_icon_name(self->connection_icon, connected
                                                            ? "network-transmit-receive-symbolic"
                                                            : "network-offline-symbolic");
    gtk_label_set_text(self->connection_label, connected ? "Connected" : "Disconnected");
    gtk_revealer_set_reveal_child(self->banner, !connected);
    if (!connected && !self->retry_id) {
        self->countdown = RETRY_S;
        update_banner_text(self);
        self->retry_id = g_timeout_add_seconds(1, on_retry_tick, self);
    } else if (connected && self->retry_id) {
        g_clear_handle_id(&self->retry_id, g_source_remove);
        reload_pages(self);
    }
}

static void on_retry_clicked(StWindow *self)
{
    self->countdown = RETRY_S;
    update_banner_text(self);
    probe(self);
}

static void on_sidebar_row_selected(StWindow *self, GtkListBoxRow *row)
{
    if (!row) {
        return;
    }
    const char *name = g_object_get_data(G_OBJECT(row), "page-name");
    gtk_stack_set_visible_child_name(self->stack, name);
}

static void on_trace_activated(StWindow *self, const char *trace_id)
{
    st_window_open_trace(self, trace_id);
}

static void build_sidebar(StWindow *self)
{
    GtkSelectionModel *pages = gtk_stack_get_pages(self->stack);
    guint n = g_list_model_get_n_items(G_LIST_MODEL(pages));
    for (guint i = 0; i < n; i++) {
        g_autoptr(GObject) item = g_list_model_get_item(G_LIST_MODEL(pages), i);
        GtkStackPage *page = GTK_STACK_PAGE(item);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        gtk_widget_set_margin_top(box, 6);
        gtk_widget_set_margin_bottom(box, 6);
        gtk_widget_set_margin_start(box, 6);
        gtk_box_append(GTK_BOX(box),
                       gtk_image_new_from_icon_name(gtk_stack_page_get_icon_name(page)));
        GtkWidget *label = gtk_label_new(gtk_stack_page_get_title(page));
        gtk_label_set_xalign(GTK_LABEL(label), 0);
        gtk_box_append(GTK_BOX(box), label);
        GtkWidget *row = gtk_list_box_row_new();
        gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
        g_object_set_data_full(G_OBJECT(row), "page-name", g_strdup(gtk_stack_page_get_name(page)),
                               g_free);
        gtk_list_box_append(self->sidebar, row);
    }
    g_object_unref(pages);
    gtk_list_box_select_row(self->sidebar, gtk_list_box_get_row_at_index(self->sidebar, 0));
}

static void st_window_dispose(GObject *object)
{
    StWindow *self = ST_WINDOW(object);
    g_cancellable_cancel(self->cancellable);
    g_clear_handle_id(&self->retry_id, g_source_remove);
    if (self->client) {
        g_signal_handlers_disconnect_by_data(self->client, self);
    }
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_WINDOW);
    g_clear_object(&self->client);
    g_clear_object(&self->cancellable);
    G_OBJECT_CLASS(st_window_parent_class)->dispose(object);
}

static void st_window_class_init(StWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_window_dispose;
    g_type_ensure(ST_TYPE_DASHBOARDS_PAGE);
    g_type_ensure(ST_TYPE_METRICS_PAGE);
    g_type_ensure(ST_TYPE_ALARMS_PAGE);
    g_type_ensure(ST_TYPE_TRACES_PAGE);
    g_type_ensure(ST_TYPE_SERVICE_MAP_PAGE);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/stratus/Viewer/window.ui");
    gtk_widget_class_bind_template_child(widget_class, StWindow, window_title);
    gtk_widget_class_bind_template_child(widget_class, StWindow, connection_icon);
    gtk_widget_class_bind_template_child(widget_class, StWindow, connection_label);
    gtk_widget_class_bind_template_child(widget_class, StWindow, banner);
    gtk_widget_class_bind_template_child(widget_class, StWindow, banner_label);
    gtk_widget_class_bind_template_child(widget_class, StWindow, sidebar);
    gtk_widget_class_bind_template_child(widget_class, StWindow, stack);
    gtk_widget_class_bind_template_child(widget_class, StWindow, dashboards_page);
    gtk_widget_class_bind_template_child(widget_class, StWindow, metrics_page);
    gtk_widget_class_bind_template_child(widget_class, StWindow, alarms_page);
    gtk_widget_class_bind_template_child(widget_class, StWindow, service_map_page);
    gtk_widget_class_bind_template_child(widget_class, StWindow, traces_page);
    gtk_widget_class_bind_template_callback(widget_class, on_retry_clicked);
    gtk_widget_class_bind_template_callback(widget_class, on_sidebar_row_selected);
}

static void st_window_init(StWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
    build_sidebar(self);
}

StWindow *st_window_new(AdwApplication *app, StApiClient *client)
{
    g_return_val_if_fail(ST_IS_API_CLIENT(client), NULL);
    StWindow *self = g_object_new(ST_TYPE_WINDOW, "application", app, NULL);
    self->client = g_object_ref(client);
    adw_window_title_set_subtitle(self->window_title, st_api_client_get_endpoint(client));
    g_signal_connect_swapped(client, "notify::connected", G_CALLBACK(on_connected), self);
    st_dashboards_page_set_client(self->dashboards_page, client);
    st_metrics_page_set_client(self->metrics_page, client);
    st_alarms_page_set_client(self->alarms_page, client);
    st_service_map_page_set_client(self->service_map_page, client);
    g_signal_connect_swapped(self->service_map_page, "trace-activated",
                             G_CALLBACK(on_trace_activated), self);
    st_traces_page_set_client(self->traces_page, client);
    on_connected(self);
    gtk_label_set_text(self->connection_label, "Connecting…");
    reload_pages(self);
    return self;
}

void st_window_show_page(StWindow *self, const char *name)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->sidebar, i);
        if (!row) {
            break;
        }
        if (g_strcmp0(g_object_get_data(G_OBJECT(row), "page-name"), name) == 0) {
            gtk_list_box_select_row(self->sidebar, row);
        }
    }
}

void st_window_open_dashboard(StWindow *self, const char *name)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_dashboards_page_open(self->dashboards_page, name);
}

gboolean st_window_save_png(StWindow *self, const char *path, GError **error)
{
    g_return_val_if_fail(ST_IS_WINDOW(self), FALSE);
    GtkWidget *w = GTK_WIDGET(self);
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
    /* The paintable is the window's bounds, which the client-side decoration makes larger than
     * its allocation: snapshot it at that size, one pixel per pixel as on screen, and cut the
     * allocation out. Squeezing it into width x height would resample what is drawn. */
    graphene_rect_t bounds;
    if (!gtk_widget_compute_bounds(w, w, &bounds)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window has no bounds");
        return FALSE;
    }
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, bounds.size.width, bounds.size.height);
    g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
    GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(self));
    if (!node || !renderer) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window has not been drawn");
        return FALSE;
    }
    g_autoptr(GdkTexture) texture = gsk_renderer_render_texture(
        renderer, node,
        &GRAPHENE_RECT_INIT(-bounds.origin.x, -bounds.origin.y, (float)width, (float)height));
    if (!gdk_texture_save_to_png(texture, path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
        return FALSE;
    }
    return TRUE;
}

void st_window_open_alarm(StWindow *self, const char *name)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_window_show_page(self, "alarms");
    st_alarms_page_select(self->alarms_page, name);
}

void st_window_chart_namespace(StWindow *self, const char *ns)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_metrics_page_chart_namespace(self->metrics_page, ns, 4);
}

void st_window_open_trace(StWindow *self, const char *trace_id)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_window_show_page(self, "traces");
    st_traces_page_open_trace(self->traces_page, trace_id);
}

void st_window_select_service(StWindow *self, const char *name)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_window_show_page(self, "service-map");
    st_service_map_page_select_service(self->service_map_page, name);
}

void st_window_search_traces(StWindow *self, const char *expr)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_window_show_page(self, "traces");
    st_traces_page_search(self->traces_page, expr);
}

void st_window_set_editing(StWindow *self, gboolean editing)
{
    g_return_if_fail(ST_IS_WINDOW(self));
    st_dashboards_page_set_editing(self->dashboards_page, editing);
}
