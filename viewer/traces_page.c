/* SPDX-License-Identifier: MIT */
/*
 * The traces page (traces_page.h). A query follows NextToken for up to MAX_PAGES pages and
 * keeps the decoded responses; the list rows borrow their summaries. A newer query or trace
 * load cancels the one in flight. Segment documents are parsed with libstratus's X-Ray segment
 * parser (the collector stored them, but they are still outside bytes).
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "traces_page.h"

#include <math.h>
#include <string.h>

#include "stratus/xray_segment.h"
#include "trace_timeline.h"
#include "traces.pb-c.h"

#define MAX_PAGES 5

static const gint64 range_s[] = {300, 900, 3600, 6 * 3600, 86400, 7 * 86400};

struct _StTracesPage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *list_cancellable;
    GCancellable *trace_cancellable;
    GPtrArray *pages; /* Stratus__GetTraceSummariesResponse *, owned */
    char *trace_id;   /* the trace in the timeline */
    gint64 start_ms, end_ms;
    guint n_pages;
    gboolean filling;

    GtkEntry *filter;
    GtkDropDown *range;
    GtkLabel *filter_error;
    GtkLabel *list_heading;
    GtkListBox *list;
    GtkLabel *trace_title;
    StTraceTimeline *timeline;
    GtkLabel *details;
};

G_DEFINE_FINAL_TYPE(StTracesPage, st_traces_page, GTK_TYPE_WIDGET)

static void free_msg(gpointer msg)
{
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void free_doc(gpointer doc)
{
    st_xray_doc_free(doc);
}

static void set_placeholder(StTracesPage *self, const char *text)
{
    GtkWidget *label = gtk_label_new(text);
    gtk_widget_set_margin_top(label, 24);
    gtk_widget_set_margin_bottom(label, 24);
    gtk_label_set_wrap(GTK_LABEL(label), TRUE);
    gtk_widget_add_css_class(label, "dim-label");
    gtk_list_box_set_placeholder(self->list, label);
}

/* Local wall time with milliseconds; with_date adds the day in front. */
static char *clock_text(double epoch_s, gboolean with_date)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local((gint64)epoch_s);
    if (!dt) {
        return g_strdup("?");
    }
    g_autofree char *hms = g_date_time_format(dt, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S");
    int ms = (int)((epoch_s - floor(epoch_s)) * 1000);
    return g_strdup_printf("%s.%03d", hms, ms);
}

static const char *status_word(gboolean fault, gboolean error, gboolean throttle)
{
    return fault ? "Fault" : error ? "Error" : throttle ? "Throttle" : "OK";
}

static const char *status_colour(gboolean fault, gboolean error, gboolean throttle)
{
    return fault ? "#e01b24" : error ? "#c88800" : throttle ? "#9141ac" : "#26a269";
}

static GtkWidget *summary_row(const Stratus__TraceSummary *s)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 14);
    gtk_widget_set_margin_start(box, 14);
    gtk_widget_set_margin_end(box, 14);
    gtk_widget_set_margin_top(box, 5);
    gtk_widget_set_margin_bottom(box, 5);
    g_autofree char *when = clock_text(s->start_time_ms / 1000.0, FALSE);
    const char *method = s->http && s->http->http_method ? s->http->http_method : "";
    const char *url = s->http && s->http->http_url ? s->http->http_url : "";
    int status = s->http && s->http->has_http_status ? s->http->http_status : 0;
    g_autofree char *status_text = status ? g_strdup_printf("%d", status) : g_strdup("–");
    g_autofree char *dur = g_strdup_printf("%.1f ms", s->duration * 1000);
    g_autofree char *resp = g_strdup_printf("%.1f ms", s->response_time * 1000);
    const char *entry = s->entry_point && s->entry_point->name ? s->entry_point->name : "";
    g_autofree char *head =
        g_markup_printf_escaped("<span foreground=\"%s\" weight=\"bold\">● %s</span>",
                                status_colour(s->has_fault, s->has_error, s->has_throttle),
                                status_word(s->has_fault, s->has_error, s->has_throttle));
    struct {
        const char *text;
        gboolean markup;
        int chars;
        gboolean mono;
        gboolean expand;
    } cols[] = {
        {head, TRUE, 9, FALSE, FALSE},        {when, FALSE, 12, TRUE, FALSE},
        {s->id, FALSE, 35, TRUE, FALSE},      {entry, FALSE, 14, FALSE, FALSE},
        {status_text, FALSE, 4, TRUE, FALSE}, {method, FALSE, 6, FALSE, FALSE},
        {dur, FALSE, 10, TRUE, FALSE},        {resp, FALSE, 10, TRUE, FALSE},
        {url, FALSE, 10, FALSE, TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cols); i++) {
        GtkWidget *l = gtk_label_new(NULL);
        if (cols[i].markup) {
            gtk_label_set_markup(GTK_LABEL(l), cols[i].text);
        } else {
            gtk_label_set_text(GTK_LABEL(l), cols[i].text ? cols[i].text : "");
        }
        gtk_label_set_xalign(GTK_LABEL(l), 0);
        gtk_label_set_width_chars(GTK_LABEL(l), cols[i].chars);
        gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
        gtk_widget_set_hexpand(l, cols[i].expand);
        if (cols[i].mono) {
            gtk_widget_add_css_class(l, "monospace");
        }
        if (i == 1 || i == 7) {
            gtk_widget_add_css_class(l, "dim-label");
        }
        gtk_box_append(GTK_BOX(box), l);
    }
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    g_object_set_data_full(G_OBJECT(row), "trace-id", g_strdup(s->id), g_free);
    return row;
}

static void fill_list(StTracesPage *self)
{
    self->filling = TRUE;
    GtkListBoxRow *old;
    while ((old = gtk_list_box_get_row_at_index(self->list, 0))) {
        gtk_list_box_remove(self->list, GTK_WIDGET(old));
    }
    guint n = 0;
    GtkListBoxRow *current = NULL;
    for (guint p = 0; p < self->pages->len; p++) {
        const Stratus__GetTraceSummariesResponse *r = self->pages->pdata[p];
        for (size_t i = 0; i < r->n_trace_summaries; i++) {
            const Stratus__TraceSummary *s = r->trace_summaries[i];
            if (!s->id) {
                continue;
            }
            GtkWidget *row = summary_row(s);
            gtk_list_box_append(self->list, row);
            if (self->trace_id && strcmp(s->id, self->trace_id) == 0) {
                current = GTK_LIST_BOX_ROW(row);
            }
            n++;
        }
    }
    if (current) {
        gtk_list_box_select_row(self->list, current);
    }
    self->filling = FALSE;
    g_autofree char *heading = g_strdup_printf("%u trace%s", n, n == 1 ? "" : "s");
    gtk_label_set_text(self->list_heading, heading);
    set_placeholder(self, "No traces in this time range match the filter.");
}

static void query_page(StTracesPage *self, const char *next_token);

static void on_summaries(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StTracesPage *self = data;
    if (!msg) {
        if (g_error_matches(error, ST_API_ERROR, ST_API_ERROR_SERVICE)) {
            /* "InvalidRequestException: <what is wrong, and where>": the reason is enough. */
            const char *text = error->message;
            if (g_str_has_prefix(text, "InvalidRequestException: ")) {
                text += strlen("InvalidRequestException: ");
            }
            gtk_label_set_text(self->filter_error, text);
            gtk_widget_set_visible(GTK_WIDGET(self->filter_error), TRUE);
            gtk_widget_add_css_class(GTK_WIDGET(self->filter), "error");
            g_ptr_array_set_size(self->pages, 0);
            fill_list(self);
            set_placeholder(self, "Fix the filter expression to see traces.");
        } else if (g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNKNOWN_OPERATION)) {
            set_placeholder(self, "This collector does not serve GetTraceSummaries.");
        } else if (!g_error_matches(error, ST_API_ERROR, ST_API_ERROR_UNREACHABLE)) {
            gtk_label_set_text(self->filter_error, error->message);
            gtk_widget_set_visible(GTK_WIDGET(self->filter_error), TRUE);
        }
        /* Unreachable: the window's banner says so; the list keeps its last data. */
        return;
    }
    Stratus__GetTraceSummariesResponse *resp = (Stratus__GetTraceSummariesResponse *)msg;
    if (self->n_pages == 0) {
        g_ptr_array_set_size(self->pages, 0);
    }
    g_ptr_array_add(self->pages, resp);
    self->n_pages++;
    if (resp->next_token && resp->next_token[0] && self->n_pages < MAX_PAGES) {
        query_page(self, resp->next_token);
        return;
    }
    fill_list(self);
}

static void query_page(StTracesPage *self, const char *next_token)
{
    Stratus__GetTraceSummariesRequest req = STRATUS__GET_TRACE_SUMMARIES_REQUEST__INIT;
    req.has_start_time_ms = req.has_end_time_ms = TRUE;
    req.start_time_ms = self->start_ms;
    req.end_time_ms = self->end_ms;
    const char *expr = gtk_editable_get_text(GTK_EDITABLE(self->filter));
    req.filter_expression = expr && expr[0] ? (char *)expr : NULL;
    req.next_token = (char *)next_token;
    st_api_client_call_async(self->client, "GetTraceSummaries", &req.base,
                             &stratus__get_trace_summaries_response__descriptor,
                             self->list_cancellable, on_summaries, self);
}

void st_traces_page_reload(StTracesPage *self)
{
    g_return_if_fail(ST_IS_TRACES_PAGE(self));
    if (!self->client) {
        return;
    }
    g_cancellable_cancel(self->list_cancellable);
    g_clear_object(&self->list_cancellable);
    self->list_cancellable = g_cancellable_new();
    gtk_widget_set_visible(GTK_WIDGET(self->filter_error), FALSE);
    gtk_widget_remove_css_class(GTK_WIDGET(self->filter), "error");
    guint sel = gtk_drop_down_get_selected(self->range);
    gint64 span = range_s[sel < G_N_ELEMENTS(range_s) ? sel : 2];
    self->end_ms = g_get_real_time() / 1000 + 60 * 1000;
    self->start_ms = self->end_ms - span * 1000 - 60 * 1000;
    self->n_pages = 0;
    query_page(self, NULL);
    if (self->trace_id) {
        g_autofree char *id = g_strdup(self->trace_id);
        st_traces_page_open_trace(self, id);
    }
}

static void on_run(StTracesPage *self)
{
    st_traces_page_reload(self);
}

void st_traces_page_search(StTracesPage *self, const char *filter_expression)
{
    g_return_if_fail(ST_IS_TRACES_PAGE(self));
    gtk_editable_set_text(GTK_EDITABLE(self->filter), filter_expression ? filter_expression : "");
    st_traces_page_reload(self);
}

static void append_row(GString *s, const char *key, const char *value)
{
    if (!value || !value[0]) {
        return;
    }
    g_autofree char *esc =
        g_markup_printf_escaped("<span alpha=\"60%%\">%s</span>\n%s\n\n", key, value);
    g_string_append(s, esc);
}

static void on_segment_selected(StTracesPage *self)
{
    const struct st_trace_row *row = st_trace_timeline_get_selected(self->timeline);
    if (!row) {
        gtk_label_set_markup(self->details, "");
        return;
    }
    const struct st_xray_segment *seg = row->seg;
    double t0 = 0, t1 = 0;
    st_trace_timeline_get_span(self->timeline, &t0, &t1);
    GString *s = g_string_new(NULL);
    g_autofree char *title = g_markup_printf_escaped(
        "<span size=\"large\" weight=\"bold\">%s</span>\n<span foreground=\"%s\" "
        "weight=\"bold\">%s</span> · %s\n\n",
        seg->name ? seg->name : "(unnamed)", status_colour(seg->fault, seg->error, seg->throttle),
        status_word(seg->fault, seg->error, seg->throttle),
        row->is_segment ? "segment" : "subsegment");
    g_string_append(s, title);
    append_row(s, "ID", seg->id);
    append_row(s, "Origin", seg->origin);
    append_row(s, "Namespace", seg->namespace_name);
    g_autofree char *start = clock_text(row->start_s, TRUE);
    g_autofree char *end =
        seg->in_progress ? g_strdup("in progress") : clock_text(row->end_s, TRUE);
    g_autofree char *times =
        g_strdup_printf("%s\n%s\n%.1f ms, starting %.1f ms into the trace", start, end,
                        (row->end_s - row->start_s) * 1000, (row->start_s - t0) * 1000);
    append_row(s, "Start, end and duration", times);
    if (seg->has_http) {
        g_autofree char *status =
            seg->http.status ? g_strdup_printf("\nstatus %d", seg->http.status) : g_strdup("");
        g_autofree char *http = g_strdup_printf("%s %s%s", seg->http.method ? seg->http.method : "",
                                                seg->http.url ? seg->http.url : "", status);
        append_row(s, "HTTP", http);
    }
    if (seg->aws_operation) {
        g_autofree char *aws =
            g_strdup_printf("%s%s%s", seg->aws_operation, seg->aws_table_name ? " on " : "",
                            seg->aws_table_name ? seg->aws_table_name : "");
        append_row(s, "AWS", aws);
    }
    if (seg->has_sql) {
        append_row(s, "SQL", seg->sql_url ? seg->sql_url : "(no url)");
    }
    append_row(s, "User", seg->user);
    if (seg->n_messages) {
        GString *c = g_string_new(NULL);
        for (size_t i = 0; i < seg->n_messages; i++) {
            g_string_append_printf(c, "%s%s", i ? "\n" : "", seg->messages[i]);
        }
        append_row(s, "Cause", c->str);
        g_string_free(c, TRUE);
    }
    if (seg->n_annotations) {
        GString *a = g_string_new(NULL);
        for (size_t i = 0; i < seg->n_annotations; i++) {
            const struct st_xray_annotation *an = &seg->annotations[i];
            g_string_append_printf(a, "%s%s = ", i ? "\n" : "", an->key);
            if (an->type == ST_XRAY_STRING) {
                g_string_append_printf(a, "\"%s\"", an->s ? an->s : "");
            } else if (an->type == ST_XRAY_NUMBER) {
                g_string_append_printf(a, "%g", an->n);
            } else {
                g_string_append(a, an->b ? "true" : "false");
            }
        }
        append_row(s, "Annotations", a->str);
        g_string_free(a, TRUE);
    }
    gtk_label_set_markup(self->details, s->str);
    g_string_free(s, TRUE);
}

static void on_traces(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StTracesPage *self = data;
    if (!msg) {
        g_autofree char *text =
            g_strdup_printf("Cannot load trace %s: %s", self->trace_id, error->message);
        gtk_label_set_text(self->trace_title, text);
        return;
    }
    Stratus__BatchGetTracesResponse *resp = (Stratus__BatchGetTracesResponse *)msg;
    g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func(free_doc);
    const Stratus__Trace *trace = NULL;
    for (size_t i = 0; i < resp->n_traces; i++) {
        if (g_strcmp0(resp->traces[i]->id, self->trace_id) == 0) {
            trace = resp->traces[i];
        }
    }
    guint bad = 0;
    for (size_t i = 0; trace && i < trace->n_segments; i++) {
        const char *doc = trace->segments[i]->document;
        struct st_xray_doc *d = NULL;
        if (doc && st_xray_segment_parse((const uint8_t *)doc, strlen(doc), &d, NULL) == 0) {
            g_ptr_array_add(docs, d);
        } else {
            bad++;
        }
    }
    g_autofree char *title = NULL;
    if (!trace) {
        title = g_strdup_printf("Trace %s was not found in the collector", self->trace_id);
    } else {
        title = g_strdup_printf("Trace %s · %u segment document%s · %.1f ms%s", self->trace_id,
                                docs->len, docs->len == 1 ? "" : "s", trace->duration * 1000,
                                bad ? " · some documents could not be read" : "");
    }
    gtk_label_set_text(self->trace_title, title);
    if (st_trace_timeline_set_docs(self->timeline, docs) < 0) {
        gtk_label_set_text(self->trace_title, "Out of memory laying out the trace");
    }
    protobuf_c_message_free_unpacked(msg, NULL);
}

void st_traces_page_open_trace(StTracesPage *self, const char *trace_id)
{
    g_return_if_fail(ST_IS_TRACES_PAGE(self));
    g_return_if_fail(trace_id != NULL);
    if (self->trace_id != trace_id) {
        g_free(self->trace_id);
        self->trace_id = g_strdup(trace_id);
    }
    if (!self->client) {
        return;
    }
    g_cancellable_cancel(self->trace_cancellable);
    g_clear_object(&self->trace_cancellable);
    self->trace_cancellable = g_cancellable_new();
    g_autofree char *loading = g_strdup_printf("Trace %s · loading…", trace_id);
    gtk_label_set_text(self->trace_title, loading);
    Stratus__BatchGetTracesRequest req = STRATUS__BATCH_GET_TRACES_REQUEST__INIT;
    char *ids[] = {self->trace_id};
    req.n_trace_ids = 1;
    req.trace_ids = ids;
    st_api_client_call_async(self->client, "BatchGetTraces", &req.base,
                             &stratus__batch_get_traces_response__descriptor,
                             self->trace_cancellable, on_traces, self);
}

static void on_row_selected(StTracesPage *self, GtkListBoxRow *row)
{
    if (!row || self->filling) {
        return;
    }
    const char *id = g_object_get_data(G_OBJECT(row), "trace-id");
    if (id && g_strcmp0(id, self->trace_id) != 0) {
        st_traces_page_open_trace(self, id);
    }
}

void st_traces_page_set_client(StTracesPage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_TRACES_PAGE(self));
    g_set_object(&self->client, client);
}

static void st_traces_page_dispose(GObject *object)
{
    StTracesPage *self = ST_TRACES_PAGE(object);
    g_cancellable_cancel(self->list_cancellable);
    g_cancellable_cancel(self->trace_cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_TRACES_PAGE);
    /* Children the page parented itself (not template children) go too, or GTK warns that
     * the page is finalized with children left. */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self)))) {
        gtk_widget_unparent(child);
    }
    g_clear_object(&self->list_cancellable);
    g_clear_object(&self->trace_cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->pages, g_ptr_array_unref);
    g_clear_pointer(&self->trace_id, g_free);
    G_OBJECT_CLASS(st_traces_page_parent_class)->dispose(object);
}

static void st_traces_page_class_init(StTracesPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_traces_page_dispose;
    g_type_ensure(ST_TYPE_TRACE_TIMELINE);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/stratus/Viewer/traces_page.ui");
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, filter);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, range);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, filter_error);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, list_heading);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, list);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, trace_title);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, timeline);
    gtk_widget_class_bind_template_child(widget_class, StTracesPage, details);
    gtk_widget_class_bind_template_callback(widget_class, on_run);
    gtk_widget_class_bind_template_callback(widget_class, on_row_selected);
    gtk_widget_class_bind_template_callback(widget_class, on_segment_selected);
}

static void st_traces_page_init(StTracesPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->list_cancellable = g_cancellable_new();
    self->trace_cancellable = g_cancellable_new();
    self->pages = g_ptr_array_new_with_free_func(free_msg);
    set_placeholder(self, "Loading traces…");
}
