/* SPDX-License-Identifier: MIT */
/*
 * The application (application.h). Screenshot mode waits until the API client has been idle
 * for SETTLE_MS (calls chain: a listing, then the series), then draws the window once more and
 * saves it; it gives up after SCREENSHOT_LIMIT_S so a test never hangs.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "application.h"

#include "api_client.h"
#include "frame_bench.h"
#include "window.h"

#define DEFAULT_ENDPOINT   "http://127.0.0.1:4780"
#define SETTLE_MS          700
#define SCREENSHOT_LIMIT_S 20

struct _StApplication {
    AdwApplication parent_instance;
    char *endpoint;
    char *page;
    char *dashboard;
    char *alarm;
    char *chart_namespace;
    char *trace;
    char *filter;
    char *service;
    char *screenshot;
    gboolean edit;
    int bench_frames;
    StApiClient *client;
    StWindow *window;
    guint settle_id;
    guint limit_id;
    gint64 idle_since_us;
    int exit_status;
};

G_DEFINE_FINAL_TYPE(StApplication, st_application, ADW_TYPE_APPLICATION)

static void take_screenshot(StApplication *self)
{
    g_autoptr(GError) error = NULL;
    if (!st_window_save_png(self->window, self->screenshot, &error)) {
        g_printerr("stratus-viewer: screenshot failed: %s\n", error->message);
        self->exit_status = 1;
        g_clear_error(&error);
    }
    /* After the screenshot: the benchmark leaves the window's last frame stale. */
    if (self->bench_frames > 0 &&
        !st_frame_bench_run(GTK_WINDOW(self->window), self->bench_frames, stdout, &error)) {
        g_printerr("stratus-viewer: frame benchmark failed: %s\n", error->message);
        self->exit_status = 1;
    }
    g_clear_handle_id(&self->settle_id, g_source_remove);
    g_clear_handle_id(&self->limit_id, g_source_remove);
    gtk_window_destroy(GTK_WINDOW(self->window));
}

static gboolean on_settle_tick(gpointer data)
{
    StApplication *self = data;
    if (st_api_client_get_busy(self->client)) {
        self->idle_since_us = 0;
        return G_SOURCE_CONTINUE;
    }
    gint64 now = g_get_monotonic_time();
    if (!self->idle_since_us) {
        self->idle_since_us = now;
    }
    if (now - self->idle_since_us >= SETTLE_MS * 1000) {
        self->settle_id = 0;
        take_screenshot(self);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_limit(gpointer data)
{
    StApplication *self = data;
    self->limit_id = 0;
    g_printerr("stratus-viewer: calls did not settle in %d s; taking the screenshot anyway\n",
               SCREENSHOT_LIMIT_S);
    take_screenshot(self);
    return G_SOURCE_REMOVE;
}

static void st_application_activate(GApplication *app)
{
    StApplication *self = ST_APPLICATION(app);
    if (self->window) {
        gtk_window_present(GTK_WINDOW(self->window));
        return;
    }
    const char *endpoint = self->endpoint ? self->endpoint : g_getenv("STRATUS_ENDPOINT");
    if (!endpoint || !endpoint[0]) {
        endpoint = DEFAULT_ENDPOINT;
    }
    self->client = st_api_client_new(endpoint);
    self->window = st_window_new(ADW_APPLICATION(app), self->client);
    if (self->page) {
        st_window_show_page(self->window, self->page);
    }
    if (self->dashboard) {
        st_window_open_dashboard(self->window, self->dashboard);
    }
    if (self->alarm) {
        st_window_open_alarm(self->window, self->alarm);
    }
    if (self->chart_namespace) {
        st_window_chart_namespace(self->window, self->chart_namespace);
    }
    if (self->service) {
        st_window_select_service(self->window, self->service);
    }
    if (self->filter) {
        st_window_search_traces(self->window, self->filter);
    }
    if (self->trace) {
        st_window_open_trace(self->window, self->trace);
    }
    if (self->edit) {
        st_window_set_editing(self->window, TRUE);
    }
    gtk_window_present(GTK_WINDOW(self->window));
    if (self->screenshot) {
        self->settle_id = g_timeout_add(50, on_settle_tick, self);
        self->limit_id = g_timeout_add_seconds(SCREENSHOT_LIMIT_S, on_limit, self);
    }
}

static int st_application_handle_local_options(GApplication *app, GVariantDict *options)
{
    StApplication *self = ST_APPLICATION(app);
    if (g_variant_dict_contains(options, "version")) {
        g_print("stratus-viewer %s\n", STRATUS_VERSION);
        return 0;
    }
    g_variant_dict_lookup(options, "endpoint", "s", &self->endpoint);
    g_variant_dict_lookup(options, "page", "s", &self->page);
    g_variant_dict_lookup(options, "dashboard", "s", &self->dashboard);
    g_variant_dict_lookup(options, "alarm", "s", &self->alarm);
    g_variant_dict_lookup(options, "chart-namespace", "s", &self->chart_namespace);
    g_variant_dict_lookup(options, "trace", "s", &self->trace);
    g_variant_dict_lookup(options, "filter", "s", &self->filter);
    g_variant_dict_lookup(options, "service", "s", &self->service);
    g_variant_dict_lookup(options, "screenshot", "^ay", &self->screenshot);
    self->edit = g_variant_dict_contains(options, "edit");
    g_variant_dict_lookup(options, "bench-frames", "i", &self->bench_frames);
    if (self->bench_frames < 0 || self->bench_frames > 100000 ||
        (self->bench_frames && !self->screenshot)) {
        g_printerr("stratus-viewer: --bench-frames wants 1..100000 and --screenshot\n");
        return 2;
    }
    if (self->endpoint && !g_str_has_prefix(self->endpoint, "http://") &&
        !g_str_has_prefix(self->endpoint, "https://")) {
        g_printerr("stratus-viewer: --endpoint wants http://HOST[:PORT], not '%s'\n",
                   self->endpoint);
        return 2;
    }
    return -1;
}

static void st_application_finalize(GObject *object)
{
    StApplication *self = ST_APPLICATION(object);
    g_clear_handle_id(&self->settle_id, g_source_remove);
    g_clear_handle_id(&self->limit_id, g_source_remove);
    g_clear_object(&self->client);
    g_free(self->endpoint);
    g_free(self->page);
    g_free(self->dashboard);
    g_free(self->alarm);
    g_free(self->chart_namespace);
    g_free(self->trace);
    g_free(self->filter);
    g_free(self->service);
    g_free(self->screenshot);
    G_OBJECT_CLASS(st_application_parent_class)->finalize(object);
}

static void st_application_class_init(StApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = st_application_finalize;
    G_APPLICATION_CLASS(klass)->activate = st_application_activate;
    G_APPLICATION_CLASS(klass)->handle_local_options = st_application_handle_local_options;
}

static void st_application_init(StApplication *self)
{
    static const GOptionEntry entries[] = {
        {"endpoint", 'e', 0, G_OPTION_ARG_STRING, NULL,
         "The collector, http://HOST[:PORT] (default $STRATUS_ENDPOINT, else " DEFAULT_ENDPOINT ")",
         "URL"},
        {"page", 0, 0, G_OPTION_ARG_STRING, NULL,
         "Open a page: dashboards, metrics, alarms, service-map, traces", "NAME"},
        {"dashboard", 0, 0, G_OPTION_ARG_STRING, NULL, "Open the dashboard NAME", "NAME"},
        {"alarm", 0, 0, G_OPTION_ARG_STRING, NULL,
         "Open the Alarms page with the alarm NAME selected", "NAME"},
        {"chart-namespace", 0, 0, G_OPTION_ARG_STRING, NULL,
         "On the Metrics page, chart the metrics of NS", "NS"},
        {"trace", 0, 0, G_OPTION_ARG_STRING, NULL, "On the Traces page, show the trace ID", "ID"},
        {"service", 0, 0, G_OPTION_ARG_STRING, NULL, "On the Service map, select the service NAME",
         "NAME"},
        {"filter", 0, 0, G_OPTION_ARG_STRING, NULL,
         "On the Traces page, search with the X-Ray filter expression EXPR", "EXPR"},
        {"edit", 0, 0, G_OPTION_ARG_NONE, NULL, "Start with the dashboard in edit mode", NULL},
        {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
         "Save the window as a PNG once loaded, then quit", "FILE"},
        {"bench-frames", 0, 0, G_OPTION_ARG_INT, NULL,
         "With --screenshot: first time N frames of the loaded window and print them", "N"},
        {"version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version", NULL},
        {NULL},
    };
    g_application_add_main_option_entries(G_APPLICATION(self), entries);
}

StApplication *st_application_new(void)
{
    return g_object_new(ST_TYPE_APPLICATION, "application-id", "org.stratus.Viewer", "flags",
                        G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/stratus/Viewer",
                        NULL);
}

int st_application_exit_status(StApplication *self)
{
    return self->exit_status;
}
