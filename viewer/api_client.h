/* SPDX-License-Identifier: MIT */
/*
 * StApiClient: the viewer's only way to the collector. One call = one POST /v1/<Operation>
 * with the protobuf-c encoding of the request, sent asynchronously on a libsoup 3 session;
 * the reply is decoded with the response's protobuf-c descriptor. Errors come back as GErrors
 * in ST_API_ERROR: UNREACHABLE (no HTTP answer), UNKNOWN_OPERATION (the collector does not
 * serve the op), SERVICE (an AWS-shaped error: the message is "Code: message") or BAD_REPLY.
 * The "connected" property follows the last call: TRUE once any HTTP answer arrived, FALSE
 * after a transport failure. The request is borrowed for the length of call_async only.
 */
#ifndef STRATUS_VIEWER_API_CLIENT_H
#define STRATUS_VIEWER_API_CLIENT_H

#include <gio/gio.h>
#include <protobuf-c/protobuf-c.h>

G_BEGIN_DECLS

#define ST_API_ERROR (st_api_error_quark())
GQuark st_api_error_quark(void);

typedef enum {
    ST_API_ERROR_UNREACHABLE,
    ST_API_ERROR_UNKNOWN_OPERATION,
    ST_API_ERROR_SERVICE,
    ST_API_ERROR_BAD_REPLY,
} StApiError;

#define ST_TYPE_API_CLIENT (st_api_client_get_type())
G_DECLARE_FINAL_TYPE(StApiClient, st_api_client, ST, API_CLIENT, GObject)

/* endpoint: "http://host:port" (a trailing slash is ignored). */
StApiClient *st_api_client_new(const char *endpoint);
const char *st_api_client_get_endpoint(StApiClient *self);
gboolean st_api_client_get_connected(StApiClient *self);
/* Whether calls are in flight (property "busy"). */
gboolean st_api_client_get_busy(StApiClient *self);

void st_api_client_call_async(StApiClient *self, const char *operation,
                              const ProtobufCMessage *request,
                              const ProtobufCMessageDescriptor *response_type,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* Returns the decoded response (free with protobuf_c_message_free_unpacked(msg, NULL)), or
 * NULL with error set. */
ProtobufCMessage *st_api_client_call_finish(StApiClient *self, GAsyncResult *result,
                                            GError **error);

G_END_DECLS

#endif
