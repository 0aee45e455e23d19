/* SPDX-License-Identifier: MIT */
/*
 * The collector client (api_client.h) over libsoup 3: the request is packed with protobuf-c,
 * sent with soup_session_send_and_read_async, and the body is unpacked with protobuf-c or,
 * for an error status, read as the collector's AWS-shaped JSON error with json-c. Nothing here
 * blocks the main loop.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <json-c/json.h>
#include <libsoup/soup.h>

#include "api_client.h"

#define CALL_TIMEOUT_S 10

struct _StApiClient {
    GObject parent_instance;
    char *endpoint;
    SoupSession *session;
    gboolean connected;
    gboolean answered; /* a call has completed */
    guint pending;     /* calls in flight */
};

G_DEFINE_TYPE(StApiClient, st_api_client, G_TYPE_OBJECT)

GQuark st_api_error_quark(void)
{
    return g_quark_from_static_string("st-api-error-quark");
}

enum { PROP_0, PROP_ENDPOINT, PROP_CONNECTED, PROP_BUSY, N_PROPS };
static GParamSpec *props[N_PROPS];

typedef struct {
    const ProtobufCMessageDescriptor *response_type;
    SoupMessage *msg;
    char *operation;
} CallData;

static void call_data_free(CallData *d)
{
    g_clear_object(&d->msg);
    g_free(d->operation);
    g_free(d);
}

static void set_connected(StApiClient *self, gboolean connected)
{
    /* The first answer is news too: it ends the "Connecting…" state. */
    if (self->connected == connected && self->answered) {
        return;
    }
    self->answered = TRUE;
    self->connected = connected;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
}

static void st_api_client_finalize(GObject *object)
{
    StApiClient *self = ST_API_CLIENT(object);
    g_clear_object(&self->session);
    g_clear_pointer(&self->endpoint, g_free);
    G_OBJECT_CLASS(st_api_client_parent_class)->finalize(object);
}

static void st_api_client_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    StApiClient *self = ST_API_CLIENT(object);
    switch (id) {
    case PROP_ENDPOINT:
        g_value_set_string(value, self->endpoint);
        break;
    case PROP_CONNECTED:
        g_value_set_boolean(value, self->connected);
        break;
    case PROP_BUSY:
        g_value_set_boolean(value, self->pending > 0);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void st_api_client_class_init(StApiClientClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->finalize = st_api_client_finalize;
    object_class->get_property = st_api_client_get_property;
    props[PROP_ENDPOINT] = g_param_spec_string("endpoint", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_CONNECTED] = g_param_spec_boolean("connected", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_BUSY] =
        g_param_spec_boolean("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
}

static void st_api_client_init(StApiClient *self)
{
    self->session = soup_session_new();
    soup_session_set_timeout(self->session, CALL_TIMEOUT_S);
    soup_session_set_idle_timeout(self->session, 60);
    soup_session_set_user_agent(self->session, "stratus-viewer");
    /* Optimistic until a call fails, so the banner does not flash at start-up. */
    self->connected = TRUE;
}

StApiClient *st_api_client_new(const char *endpoint)
{
    g_return_val_if_fail(endpoint != NULL, NULL);
    StApiClient *self = g_object_new(ST_TYPE_API_CLIENT, NULL);
    self->endpoint = g_strdup(endpoint);
    size_t n = strlen(self->endpoint);
    while (n > 0 && self->endpoint[n - 1] == '/') {
        self->endpoint[--n] = '\0';
    }
    return self;
}

const char *st_api_client_get_endpoint(StApiClient *self)
{
    g_return_val_if_fail(ST_IS_API_CLIENT(self), NULL);
    return self->endpoint;
}

gboolean st_api_client_get_busy(StApiClient *self)
{
    g_return_val_if_fail(ST_IS_API_CLIENT(self), FALSE);
    return self->pending > 0;
}

gboolean st_api_client_get_connected(StApiClient *self)
{
    g_return_val_if_fail(ST_IS_API_CLIENT(self), FALSE);
    return self->connected;
}

/* The collector's error body: {"__type": "Code", "message": "..."}. */
static GError *service_error(guint status, GBytes *body, const char *operation)
{
    gsize len = 0;
    const char *data = body ? g_bytes_get_data(body, &len) : NULL;
    g_autofree char *code = NULL;
    g_autofree char *message = NULL;
    if (data && len > 0 && len < 65536) {
        json_tokener *tok = json_tokener_new_ex(8);
        json_object *root = tok ? json_tokener_parse_ex(tok, data, (int)len) : NULL;
        json_object *v;
        if (root && json_object_object_get_ex(root, "__type", &v) &&
            json_object_is_type(v, json_type_string)) {
            code = g_strdup(json_object_get_string(v));
        }
        if (root && json_object_object_get_ex(root, "message", &v) &&
            json_object_is_type(v, json_type_string)) {
            message = g_strdup(json_object_get_string(v));
        }
        json_object_put(root);
        if (tok) {
            json_tokener_free(tok);
        }
    }
    if (status == 404 && code && g_str_equal(code, "UnknownOperationException")) {
        return g_error_new(ST_API_ERROR, ST_API_ERROR_UNKNOWN_OPERATION,
                           "The collector does not serve %s", operation);
    }
    return g_error_new(ST_API_ERROR, ST_API_ERROR_SERVICE, "%s: %s", code ? code : "HTTP error",
                       message ? message : soup_status_get_phrase(status));
}

static void free_message(gpointer msg)
{
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void pending_changed(StApiClient *self, int delta)
{
    gboolean was = self->pending > 0;
    self->pending = (guint)((int)self->pending + delta);
    if (was != (self->pending > 0)) {
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BUSY]);
    }
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    StApiClient *self = g_task_get_source_object(task);
    pending_changed(self, -1);
    CallData *d = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body =
        soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
    if (!body) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            set_connected(self, FALSE);
            g_task_return_new_error(task, ST_API_ERROR, ST_API_ERROR_UNREACHABLE,
                                    "Cannot reach the collector at %s: %s", self->endpoint,
                                    error->message);
        } else {
            g_task_return_error(task, g_steal_pointer(&error));
        }
        return;
    }
    set_connected(self, TRUE);
    guint status = soup_message_get_status(d->msg);
    if (status != SOUP_STATUS_OK) {
        g_task_return_error(task, service_error(status, body, d->operation));
        return;
    }
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(body, &len);
    ProtobufCMessage *msg = protobuf_c_message_unpack(d->response_type, NULL, len, data);
    if (!msg) {
        g_task_return_new_error(task, ST_API_ERROR, ST_API_ERROR_BAD_REPLY,
                                "The collector's reply to %s does not decode", d->operation);
        return;
    }
    g_task_return_pointer(task, msg, free_message);
}

void st_api_client_call_async(StApiClient *self, const char *operation,
                              const ProtobufCMessage *request,
                              const ProtobufCMessageDescriptor *response_type,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    g_return_if_fail(ST_IS_API_CLIENT(self));
    g_return_if_fail(operation != NULL && request != NULL && response_type != NULL);
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, st_api_client_call_async);
    g_autofree char *url = g_strdup_printf("%s/v1/%s", self->endpoint, operation);
    SoupMessage *msg = soup_message_new("POST", url);
    if (!msg) {
        g_task_return_new_error(task, ST_API_ERROR, ST_API_ERROR_UNREACHABLE,
                                "The endpoint %s is not a valid URL", self->endpoint);
        g_object_unref(task);
        return;
    }
    size_t len = protobuf_c_message_get_packed_size(request);
    guint8 *buf = g_malloc(len ? len : 1);
    protobuf_c_message_pack(request, buf);
    g_autoptr(GBytes) bytes = g_bytes_new_take(buf, len);
    soup_message_set_request_body_from_bytes(msg, "application/x-protobuf", bytes);
    CallData *d = g_new0(CallData, 1);
    d->response_type = response_type;
    d->msg = g_object_ref(msg);
    d->operation = g_strdup(operation);
    g_task_set_task_data(task, d, (GDestroyNotify)call_data_free);
    pending_changed(self, +1);
    soup_session_send_and_read_async(self->session, msg, G_PRIORITY_DEFAULT, cancellable, on_sent,
                                     task);
    g_object_unref(msg);
}

ProtobufCMessage *st_api_client_call_finish(StApiClient *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
