/* SPDX-License-Identifier: MIT */
/*
 * The probe page (probe_page.h). The probe sends an empty protobuf message (it packs to no
 * bytes, which every request type decodes) and reads only the outcome: unknown operation,
 * unreachable, or served.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "probe_page.h"

#include "dashboards.pb-c.h"

struct _StProbePage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *cancellable;
    char *operation;
    char *feature;
    char *icon_name;
    AdwStatusPage *status;
};

G_DEFINE_FINAL_TYPE(StProbePage, st_probe_page, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_OPERATION, PROP_FEATURE, PROP_ICON_NAME, N_PROPS };
static GParamSpec *props[N_PROPS];

static void show(StProbePage *self, const char *title, const char *description)
{
    adw_status_page_set_title(self->status, title);
    adw_status_page_set_description(self->status, description);
    adw_status_page_set_icon_name(self->status, self->icon_name);
}

static void on_probed(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StProbePage *self = data;
    g_autofree char *text = NULL;
    if (g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNKNOWN_OPERATION)) {
        text = g_strdup_printf("%s needs the %s operation, which this collector does not serve. "
                               "Use a collector with that API.",
                               self->feature, self->operation);
        show(self, "Not available from this collector", text);
    } else if (g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNREACHABLE)) {
        show(self, "Waiting for the collector", error->message);
    } else {
        text = g_strdup_printf("The collector serves %s, but this version of stratus-viewer "
                               "cannot show it yet.",
                               self->operation);
        show(self, "Not available in this viewer", text);
    }
    if (msg) {
        protobuf_c_message_free_unpacked(msg, NULL);
    }
}

void st_probe_page_reload(StProbePage *self)
{
    g_return_if_fail(ST_IS_PROBE_PAGE(self));
    if (!self->client || !self->operation) {
        return;
    }
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    /* An empty message of any type: it packs to zero bytes. */
    Stratus__DeleteDashboardsResponse empty = STRATUS__DELETE_DASHBOARDS_RESPONSE__INIT;
    st_api_client_call_async(self->client, self->operation, &empty.base,
                             &stratus__delete_dashboards_response__descriptor, self->cancellable,
                             on_probed, self);
}

void st_probe_page_set_client(StProbePage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_PROBE_PAGE(self));
    g_set_object(&self->client, client);
}

static void st_probe_page_set_property(GObject *object, guint id, const GValue *value,
                                       GParamSpec *pspec)
{
    StProbePage *self = ST_PROBE_PAGE(object);
    char **field = id == PROP_OPERATION   ? &self->operation
                   : id == PROP_FEATURE   ? &self->feature
                   : id == PROP_ICON_NAME ? &self->icon_name
                                          : NULL;
    if (!field) {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        return;
    }
    if (g_strcmp0(*field, g_value_get_string(value)) == 0) {
        return;
    }
    g_free(*field);
    *field = g_value_dup_string(value);
    g_object_notify_by_pspec(object, pspec);
    if (id == PROP_ICON_NAME) {
        adw_status_page_set_icon_name(self->status, self->icon_name);
    }
}

static void st_probe_page_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    StProbePage *self = ST_PROBE_PAGE(object);
    switch (id) {
    case PROP_OPERATION:
        g_value_set_string(value, self->operation);
        break;
    case PROP_FEATURE:
        g_value_set_string(value, self->feature);
        break;
    case PROP_ICON_NAME:
        g_value_set_string(value, self->icon_name);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void st_probe_page_dispose(GObject *object)
{
    StProbePage *self = ST_PROBE_PAGE(object);
    g_cancellable_cancel(self->cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_PROBE_PAGE);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->operation, g_free);
    g_clear_pointer(&self->feature, g_free);
    g_clear_pointer(&self->icon_name, g_free);
    G_OBJECT_CLASS(st_probe_page_parent_class)->dispose(object);
}

static void st_probe_page_class_init(StProbePageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_probe_page_dispose;
    object_class->set_property = st_probe_page_set_property;
    object_class->get_property = st_probe_page_get_property;
    props[PROP_OPERATION] =
        g_param_spec_string("operation", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_FEATURE] =
        g_param_spec_string("feature", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_ICON_NAME] =
        g_param_spec_string("icon-name", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/stratus/Viewer/probe_page.ui");
    gtk_widget_class_bind_template_child(widget_class, StProbePage, status);
}

static void st_probe_page_init(StProbePage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
}
