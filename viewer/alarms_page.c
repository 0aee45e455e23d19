/* SPDX-License-Identifier: MIT */
/*
 * The Alarms page (alarms_page.h). A load walks DescribeAlarms' pages into a list of Item
 * copies (the protobuf replies are freed at once), then rebuilds the rows; the selection is
 * kept by name. The detail side copies what it shows from the selected Item and fetches the
 * metric (StMetricQuery) and the history; each of the three calls has its own cancellable and
 * a generation number, so a late reply for an alarm no longer selected is dropped.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <json-c/json.h>

#include "alarms_page.h"

#include "alarm_breach.h"
#include "alarms.pb-c.h"
#include "chart_view.h"
#include "metric_query.h"

#define REFRESH_S       60
#define MAX_LIST_PAGES  50 /* 100 alarms each */
#define HISTORY_RECORDS 50
#define MIN_RANGE_S     (3 * 3600)
#define MAX_RANGE_S     (14 * 24 * 3600)
#define MAX_JSON_BYTES  (256 * 1024)

typedef struct {
    char *name;
    char *state;
    char *description;
    char *reason;
    char *reason_data;
    gint64 state_updated_ms;
    gboolean composite;
    char *rule; /* composite alarms */
    /* metric alarms */
    char *namespace_;
    char *metric_name;
    GStrv dim_names, dim_values;
    char *stat;
    int period;
    int evaluation_periods, datapoints_to_alarm;
    double threshold;
    char *comparison;
    char *treat_missing;
} Item;

struct _StAlarmsPage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *list_cancellable;
    GCancellable *detail_cancellable;
    GPtrArray *items;   /* Item*, the last complete listing */
    GPtrArray *loading; /* Item*, the listing being read */
    guint list_pages;
    char *selected; /* name of the selected alarm */
    char *pending_select;
    guint detail_generation;
    guint refresh_id;
    gboolean rebuilding;

    GtkWidget *paned;
    GtkSearchEntry *search;
    GtkDropDown *state_filter;
    GtkLabel *list_status;
    GtkListBox *list;
    GtkStack *detail_stack;
    AdwStatusPage *empty_status;
    GtkLabel *state_badge;
    GtkLabel *detail_name;
    GtkLabel *detail_description;
    GtkLabel *detail_rule;
    StChartView *chart;
    GtkLabel *detail_reason;
    GtkExpander *reason_data_expander;
    GtkLabel *detail_reason_data;
    GtkListBox *history;
};

G_DEFINE_FINAL_TYPE(StAlarmsPage, st_alarms_page, GTK_TYPE_WIDGET)

static const char *const filter_states[] = {NULL, "ALARM", "OK", "INSUFFICIENT_DATA"};

const char *st_alarm_state_css_class(const char *state_value)
{
    if (g_strcmp0(state_value, "ALARM") == 0) {
        return "st-state-alarm";
    }
    if (g_strcmp0(state_value, "OK") == 0) {
        return "st-state-ok";
    }
    return "st-state-insufficient";
}

const char *st_alarm_state_label(const char *state_value)
{
    if (g_strcmp0(state_value, "ALARM") == 0) {
        return "In alarm";
    }
    if (g_strcmp0(state_value, "OK") == 0) {
        return "OK";
    }
    if (g_strcmp0(state_value, "INSUFFICIENT_DATA") == 0) {
        return "Insufficient data";
    }
    return state_value && state_value[0] ? state_value : "Unknown";
}

static void item_free(gpointer p)
{
    Item *it = p;
    if (!it) {
        return;
    }
    g_free(it->name);
    g_free(it->state);
    g_free(it->description);
    g_free(it->reason);
    g_free(it->reason_data);
    g_free(it->rule);
    g_free(it->namespace_);
    g_free(it->metric_name);
    g_strfreev(it->dim_names);
    g_strfreev(it->dim_values);
    g_free(it->stat);
    g_free(it->comparison);
    g_free(it->treat_missing);
    g_free(it);
}

static Item *item_from_metric(const Stratus__MetricAlarm *a)
{
    Item *it = g_new0(Item, 1);
    it->name = g_strdup(a->alarm_name ? a->alarm_name : "");
    it->state = g_strdup(a->state_value);
    it->description = g_strdup(a->alarm_description);
    it->reason = g_strdup(a->state_reason);
    it->reason_data = g_strdup(a->state_reason_data);
    it->state_updated_ms = a->has_state_updated_timestamp_ms ? a->state_updated_timestamp_ms : 0;
    it->namespace_ = g_strdup(a->namespace_);
    it->metric_name = g_strdup(a->metric_name);
    it->dim_names = g_new0(char *, a->n_dimensions + 1);
    it->dim_values = g_new0(char *, a->n_dimensions + 1);
    for (size_t i = 0; i < a->n_dimensions; i++) {
        it->dim_names[i] = g_strdup(a->dimensions[i]->name ? a->dimensions[i]->name : "");
        it->dim_values[i] = g_strdup(a->dimensions[i]->value ? a->dimensions[i]->value : "");
    }
    it->stat = g_strdup(a->extended_statistic && a->extended_statistic[0] ? a->extended_statistic
                        : a->statistic                                    ? a->statistic
                                                                          : "Average");
    it->period = a->has_period ? a->period : 60;
    it->evaluation_periods = a->has_evaluation_periods ? a->evaluation_periods : 1;
    it->datapoints_to_alarm =
        a->has_datapoints_to_alarm ? a->datapoints_to_alarm : it->evaluation_periods;
    it->threshold = a->has_threshold ? a->threshold : 0;
    it->comparison = g_strdup(a->comparison_operator);
    it->treat_missing = g_strdup(a->treat_missing_data);
    return it;
}

static Item *item_from_composite(const Stratus__CompositeAlarm *a)
{
    Item *it = g_new0(Item, 1);
    it->composite = TRUE;
    it->name = g_strdup(a->alarm_name ? a->alarm_name : "");
    it->state = g_strdup(a->state_value);
    it->description = g_strdup(a->alarm_description);
    it->reason = g_strdup(a->state_reason);
    it->reason_data = g_strdup(a->state_reason_data);
    it->state_updated_ms = a->has_state_updated_timestamp_ms ? a->state_updated_timestamp_ms : 0;
    it->rule = g_strdup(a->alarm_rule);
    return it;
}

static Item *find_item(StAlarmsPage *self, const char *name)
{
    for (guint i = 0; self->items && i < self->items->len; i++) {
        Item *it = self->items->pdata[i];
        if (g_strcmp0(it->name, name) == 0) {
            return it;
        }
    }
    return NULL;
}

static char *format_time_ms(gint64 t_ms)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t_ms / 1000);
    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* Pretty-prints JSON text for reading; text that is not JSON (or too big) is shown as is. */
static char *pretty_json(const char *text)
{
    if (!text || !text[0]) {
        return g_strdup("(none)");
    }
    size_t len = strlen(text);
    if (len > MAX_JSON_BYTES) {
        return g_strdup(text);
    }
    json_tokener *tok = json_tokener_new_ex(32);
    if (!tok) {
        return g_strdup(text);
    }
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    gboolean complete = json_tokener_get_error(tok) == json_tokener_success &&
                        json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!root || !complete) {
        json_object_put(root);
        return g_strdup(text);
    }
    char *out = g_strdup(json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

static void set_state_classes(GtkWidget *w, const char *state)
{
    gtk_widget_remove_css_class(w, "st-state-alarm");
    gtk_widget_remove_css_class(w, "st-state-ok");
    gtk_widget_remove_css_class(w, "st-state-insufficient");
    gtk_widget_add_css_class(w, st_alarm_state_css_class(state));
}

static const char *operator_symbol(const char *op)
{
    enum st_alarm_cmp cmp;
    if (st_alarm_cmp_parse(op, &cmp) < 0) {
        return op ? op : "?";
    }
    switch (cmp) {
    case ST_ALARM_CMP_GE:
        return "≥";
    case ST_ALARM_CMP_GT:
        return ">";
    case ST_ALARM_CMP_LT:
        return "<";
    case ST_ALARM_CMP_LE:
        return "≤";
    }
    return "?";
}

static char *dimensions_text(const Item *it)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; it->dim_names && it->dim_names[i]; i++) {
        g_string_append_printf(s, "%s%s=%s", i ? ", " : " (", it->dim_names[i], it->dim_values[i]);
    }
    if (s->len) {
        g_string_append_c(s, ')');
    }
    return g_string_free(s, FALSE);
}

static char *rule_text(const Item *it)
{
    if (it->composite) {
        return g_strdup_printf("Composite rule: %s", it->rule ? it->rule : "");
    }
    g_autofree char *dims = dimensions_text(it);
    return g_strdup_printf(
        "%s of %s %s%s %s %g for %d of %d periods of %d s; missing data: %s", it->stat,
        it->namespace_ ? it->namespace_ : "?", it->metric_name ? it->metric_name : "?", dims,
        operator_symbol(it->comparison), it->threshold, it->datapoints_to_alarm,
        it->evaluation_periods, it->period, it->treat_missing ? it->treat_missing : "missing");
}

/* --- the list --- */

/* gtk_list_box_remove_all() is GTK 4.12; this builds against 4.8. */
static void remove_all_rows(GtkListBox *box)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(box)))) {
        gtk_list_box_remove(box, child);
    }
}

static GtkWidget *make_row(const Item *it)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    gtk_widget_set_margin_top(box, 6);
    gtk_widget_set_margin_bottom(box, 6);
    gtk_widget_set_margin_start(box, 4);
    gtk_widget_set_margin_end(box, 4);
    GtkWidget *mark = gtk_label_new(st_alarm_state_label(it->state));
    gtk_widget_add_css_class(mark, "st-state");
    gtk_widget_add_css_class(mark, st_alarm_state_css_class(it->state));
    gtk_widget_set_valign(mark, GTK_ALIGN_CENTER);
    gtk_widget_set_size_request(mark, 96, -1);
    gtk_box_append(GTK_BOX(box), mark);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *name = gtk_label_new(it->name);
    gtk_label_set_xalign(GTK_LABEL(name), 0);
    gtk_label_set_ellipsize(GTK_LABEL(name), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(text), name);
    g_autofree char *sub = NULL;
    if (it->composite) {
        sub = g_strdup("Composite alarm");
    } else {
        sub = g_strdup_printf("%s %s %s %g", it->metric_name ? it->metric_name : "?", it->stat,
                              operator_symbol(it->comparison), it->threshold);
    }
    GtkWidget *caption = gtk_label_new(sub);
    gtk_label_set_xalign(GTK_LABEL(caption), 0);
    gtk_label_set_ellipsize(GTK_LABEL(caption), PANGO_ELLIPSIZE_END);
    gtk_widget_add_css_class(caption, "dim-label");
    gtk_widget_add_css_class(caption, "caption");
    gtk_box_append(GTK_BOX(text), caption);
    gtk_widget_set_hexpand(text, TRUE);
    gtk_box_append(GTK_BOX(box), text);
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    g_object_set_data_full(G_OBJECT(row), "alarm-name", g_strdup(it->name), g_free);
    return row;
}

static gboolean filter_row(GtkListBoxRow *row, gpointer data)
{
    StAlarmsPage *self = data;
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search));
    if (!text || !text[0]) {
        return TRUE;
    }
    const char *name = g_object_get_data(G_OBJECT(row), "alarm-name");
    g_autofree char *n = g_utf8_casefold(name ? name : "", -1);
    g_autofree char *t = g_utf8_casefold(text, -1);
    return strstr(n, t) != NULL;
}

static void show_detail(StAlarmsPage *self, const Item *it);

static void select_by_name(StAlarmsPage *self, const char *name)
{
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->list, i);
        if (!row) {
            return;
        }
        if (g_strcmp0(g_object_get_data(G_OBJECT(row), "alarm-name"), name) == 0) {
            gtk_list_box_select_row(self->list, row);
            return;
        }
    }
}

static void rebuild_list(StAlarmsPage *self)
{
    self->rebuilding = TRUE;
    remove_all_rows(self->list);
    guint in_alarm = 0;
    for (guint i = 0; i < self->items->len; i++) {
        Item *it = self->items->pdata[i];
        in_alarm += g_strcmp0(it->state, "ALARM") == 0;
        gtk_list_box_append(self->list, make_row(it));
    }
    self->rebuilding = FALSE;
    g_autofree char *status = NULL;
    if (self->items->len == 0) {
        status = g_strdup(gtk_drop_down_get_selected(self->state_filter) ? "No alarm in this state"
                                                                         : "No alarms");
    } else {
        status = g_strdup_printf("%u alarm%s, %u in alarm", self->items->len,
                                 self->items->len == 1 ? "" : "s", in_alarm);
    }
    gtk_label_set_text(self->list_status, status);
    const char *want = self->pending_select ? self->pending_select : self->selected;
    g_autofree char *keep = g_strdup(want);
    if (keep && find_item(self, keep)) {
        g_clear_pointer(&self->pending_select, g_free);
        select_by_name(self, keep);
    } else if (!self->pending_select) {
        g_clear_pointer(&self->selected, g_free);
        gtk_stack_set_visible_child_name(self->detail_stack, "empty");
    }
}

static void list_page(StAlarmsPage *self, const char *next_token);

static void on_list_page(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StAlarmsPage *self = data;
    if (!msg) {
        g_autofree char *text = g_strdup_printf("Cannot list the alarms: %s", error->message);
        gtk_label_set_text(self->list_status, text);
        g_clear_pointer(&self->loading, g_ptr_array_unref);
        return;
    }
    Stratus__DescribeAlarmsResponse *r = (Stratus__DescribeAlarmsResponse *)msg;
    for (size_t i = 0; i < r->n_metric_alarms; i++) {
        g_ptr_array_add(self->loading, item_from_metric(r->metric_alarms[i]));
    }
    for (size_t i = 0; i < r->n_composite_alarms; i++) {
        g_ptr_array_add(self->loading, item_from_composite(r->composite_alarms[i]));
    }
    g_autofree char *next = g_strdup(r->next_token);
    protobuf_c_message_free_unpacked(msg, NULL);
    if (next && next[0] && ++self->list_pages < MAX_LIST_PAGES) {
        list_page(self, next);
        return;
    }
    g_clear_pointer(&self->items, g_ptr_array_unref);
    self->items = g_steal_pointer(&self->loading);
    rebuild_list(self);
}

static void list_page(StAlarmsPage *self, const char *next_token)
{
    Stratus__DescribeAlarmsRequest req = STRATUS__DESCRIBE_ALARMS_REQUEST__INIT;
    guint sel = gtk_drop_down_get_selected(self->state_filter);
    req.state_value = (char *)(sel < G_N_ELEMENTS(filter_states) ? filter_states[sel] : NULL);
    req.has_max_records = TRUE;
    req.max_records = 100;
    req.next_token = (char *)next_token;
    static const char *const types[] = {"MetricAlarm", "CompositeAlarm"};
    req.n_alarm_types = G_N_ELEMENTS(types);
    req.alarm_types = (char **)types;
    st_api_client_call_async(self->client, "DescribeAlarms", &req.base,
                             &stratus__describe_alarms_response__descriptor, self->list_cancellable,
                             on_list_page, self);
}

void st_alarms_page_reload(StAlarmsPage *self)
{
    g_return_if_fail(ST_IS_ALARMS_PAGE(self));
    if (!self->client) {
        return;
    }
    g_cancellable_cancel(self->list_cancellable);
    g_clear_object(&self->list_cancellable);
    self->list_cancellable = g_cancellable_new();
    g_clear_pointer(&self->loading, g_ptr_array_unref);
    self->loading = g_ptr_array_new_with_free_func(item_free);
    self->list_pages = 0;
    list_page(self, NULL);
}

static gboolean on_refresh(gpointer data)
{
    st_alarms_page_reload(data);
    return G_SOURCE_CONTINUE;
}

/* --- the selected alarm --- */

typedef struct {
    StAlarmsPage *self;
    guint generation;
} DetailLoad;

static DetailLoad *detail_load_new(StAlarmsPage *self)
{
    DetailLoad *d = g_new(DetailLoad, 1);
    d->self = g_object_ref(self);
    d->generation = self->detail_generation;
    return d;
}

static void detail_load_free(DetailLoad *d)
{
    g_object_unref(d->self);
    g_free(d);
}

static void on_series(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    DetailLoad *d = data;
    g_autoptr(GError) error = NULL;
    GArray *ts = NULL, *vs = NULL;
    gboolean ok = st_metric_query_fetch_finish(result, &ts, &vs, &error);
    StAlarmsPage *self = d->self;
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        d->generation == self->detail_generation) {
        Item *it = find_item(self, self->selected);
        if (!ok) {
            st_chart_view_set_message(self->chart, error->message);
        } else if (it) {
            g_autofree char *dims = dimensions_text(it);
            g_autofree char *label = g_strdup_printf("%s%s %s", it->metric_name, dims, it->stat);
            st_chart_view_add_series(self->chart, label, (const gint64 *)ts->data,
                                     (const double *)vs->data, ts->len, NULL);
        }
    }
    if (ts) {
        g_array_unref(ts);
        g_array_unref(vs);
    }
    detail_load_free(d);
}

static GtkWidget *history_row(const Stratus__AlarmHistoryItem *h)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    gtk_widget_set_margin_top(box, 8);
    gtk_widget_set_margin_bottom(box, 8);
    gtk_widget_set_margin_start(box, 12);
    gtk_widget_set_margin_end(box, 12);
    g_autofree char *when = format_time_ms(h->has_timestamp_ms ? h->timestamp_ms : 0);
    g_autofree char *head =
        g_strdup_printf("%s · %s", when, h->history_item_type ? h->history_item_type : "");
    GtkWidget *hl = gtk_label_new(head);
    gtk_label_set_xalign(GTK_LABEL(hl), 0);
    gtk_widget_add_css_class(hl, "caption-heading");
    gtk_box_append(GTK_BOX(box), hl);
    GtkWidget *summary = gtk_label_new(h->history_summary ? h->history_summary : "");
    gtk_label_set_xalign(GTK_LABEL(summary), 0);
    gtk_label_set_wrap(GTK_LABEL(summary), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(summary), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_selectable(GTK_LABEL(summary), TRUE);
    gtk_box_append(GTK_BOX(box), summary);
    if (h->history_data && h->history_data[0]) {
        GtkWidget *exp = gtk_expander_new("Data");
        g_autofree char *pretty = pretty_json(h->history_data);
        GtkWidget *data = gtk_label_new(pretty);
        gtk_label_set_xalign(GTK_LABEL(data), 0);
        gtk_label_set_wrap(GTK_LABEL(data), TRUE);
        gtk_label_set_wrap_mode(GTK_LABEL(data), PANGO_WRAP_WORD_CHAR);
        gtk_label_set_selectable(GTK_LABEL(data), TRUE);
        gtk_widget_add_css_class(data, "monospace");
        gtk_expander_set_child(GTK_EXPANDER(exp), data);
        gtk_box_append(GTK_BOX(box), exp);
    }
    return box;
}

static void history_message(StAlarmsPage *self, const char *text)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_widget_set_margin_top(l, 10);
    gtk_widget_set_margin_bottom(l, 10);
    gtk_widget_add_css_class(l, "dim-label");
    gtk_list_box_append(self->history, l);
}

static void on_history(GObject *source, GAsyncResult *result, gpointer data)
{
    DetailLoad *d = data;
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    StAlarmsPage *self = d->self;
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        d->generation == self->detail_generation) {
        remove_all_rows(self->history);
        if (!msg) {
            g_autofree char *text = g_strdup_printf("Cannot read the history: %s", error->message);
            history_message(self, text);
        } else {
            Stratus__DescribeAlarmHistoryResponse *r = (Stratus__DescribeAlarmHistoryResponse *)msg;
            for (size_t i = 0; i < r->n_alarm_history_items; i++) {
                gtk_list_box_append(self->history, history_row(r->alarm_history_items[i]));
            }
            if (r->n_alarm_history_items == 0) {
                history_message(self, "No history yet");
            }
        }
    }
    if (msg) {
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    detail_load_free(d);
}

static void show_detail(StAlarmsPage *self, const Item *it)
{
    g_cancellable_cancel(self->detail_cancellable);
    g_clear_object(&self->detail_cancellable);
    self->detail_cancellable = g_cancellable_new();
    self->detail_generation++;

    gtk_stack_set_visible_child_name(self->detail_stack, "detail");
    gtk_label_set_text(self->state_badge, st_alarm_state_label(it->state));
    set_state_classes(GTK_WIDGET(self->state_badge), it->state);
    gtk_label_set_text(self->detail_name, it->name);
    gtk_label_set_text(self->detail_description, it->description ? it->description : "");
    gtk_widget_set_visible(GTK_WIDGET(self->detail_description),
                           it->description && it->description[0]);
    g_autofree char *rule = rule_text(it);
    gtk_label_set_text(self->detail_rule, rule);
    g_autofree char *when = it->state_updated_ms ? format_time_ms(it->state_updated_ms) : NULL;
    g_autofree char *reason = g_strdup_printf("%s%s%s", when ? when : "", when ? ": " : "",
                                              it->reason ? it->reason : "No state reason");
    gtk_label_set_text(self->detail_reason, reason);
    g_autofree char *data = pretty_json(it->reason_data);
    gtk_label_set_text(self->detail_reason_data, data);

    st_chart_view_clear(self->chart);
    enum st_alarm_cmp cmp;
    gboolean has_cmp = !it->composite && st_alarm_cmp_parse(it->comparison, &cmp) == 0;
    gtk_widget_set_visible(gtk_widget_get_parent(GTK_WIDGET(self->chart)), !it->composite);
    if (!it->composite && it->namespace_ && it->metric_name) {
        gint64 now_ms = g_get_real_time() / 1000;
        gint64 range_s = (gint64)it->period * it->evaluation_periods * 4;
        range_s = CLAMP(range_s, MIN_RANGE_S, MAX_RANGE_S);
        gint64 t1 = now_ms, t0 = now_ms - range_s * 1000;
        st_chart_view_set_range(self->chart, t0, t1);
        st_chart_view_set_threshold(self->chart, has_cmp, it->threshold);
        if (has_cmp) {
            st_chart_view_set_threshold_rule(self->chart, cmp, it->period);
        }
        st_chart_view_set_message(self->chart, "Loading…");
        g_autoptr(StMetricQuery) q =
            st_metric_query_new(it->namespace_, it->metric_name, (const char *const *)it->dim_names,
                                (const char *const *)it->dim_values, it->stat, it->period);
        st_metric_query_fetch_async(self->client, q, t0, t1, self->detail_cancellable, on_series,
                                    detail_load_new(self));
    }

    remove_all_rows(self->history);
    history_message(self, "Loading the history…");
    Stratus__DescribeAlarmHistoryRequest req = STRATUS__DESCRIBE_ALARM_HISTORY_REQUEST__INIT;
    req.alarm_name = it->name;
    req.has_max_records = TRUE;
    req.max_records = HISTORY_RECORDS;
    st_api_client_call_async(self->client, "DescribeAlarmHistory", &req.base,
                             &stratus__describe_alarm_history_response__descriptor,
                             self->detail_cancellable, on_history, detail_load_new(self));
}

static void on_row_selected(StAlarmsPage *self, GtkListBoxRow *row)
{
    if (!row || self->rebuilding) {
        return;
    }
    const char *name = g_object_get_data(G_OBJECT(row), "alarm-name");
    Item *it = find_item(self, name);
    if (!it) {
        return;
    }
    /* A refresh that keeps the same alarm selected redraws it with the new data too. */
    g_free(self->selected);
    self->selected = g_strdup(name);
    show_detail(self, it);
}

static void on_search_changed(StAlarmsPage *self)
{
    gtk_list_box_invalidate_filter(self->list);
}

static void on_state_filter_changed(StAlarmsPage *self)
{
    st_alarms_page_reload(self);
}

void st_alarms_page_set_client(StAlarmsPage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_ALARMS_PAGE(self));
    g_set_object(&self->client, client);
}

void st_alarms_page_select(StAlarmsPage *self, const char *name)
{
    g_return_if_fail(ST_IS_ALARMS_PAGE(self));
    g_return_if_fail(name != NULL);
    if (find_item(self, name)) {
        select_by_name(self, name);
        return;
    }
    g_free(self->pending_select);
    self->pending_select = g_strdup(name);
}

static void st_alarms_page_dispose(GObject *object)
{
    StAlarmsPage *self = ST_ALARMS_PAGE(object);
    g_cancellable_cancel(self->list_cancellable);
    g_cancellable_cancel(self->detail_cancellable);
    g_clear_handle_id(&self->refresh_id, g_source_remove);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_ALARMS_PAGE);
    g_clear_object(&self->list_cancellable);
    g_clear_object(&self->detail_cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->items, g_ptr_array_unref);
    g_clear_pointer(&self->loading, g_ptr_array_unref);
    g_clear_pointer(&self->selected, g_free);
    g_clear_pointer(&self->pending_select, g_free);
    G_OBJECT_CLASS(st_alarms_page_parent_class)->dispose(object);
}

static void st_alarms_page_class_init(StAlarmsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_alarms_page_dispose;
    g_type_ensure(ST_TYPE_CHART_VIEW);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/stratus/Viewer/alarms_page.ui");
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, paned);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, search);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, state_filter);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, list_status);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, list);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_stack);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, empty_status);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, state_badge);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_name);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_description);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_rule);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, chart);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_reason);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, reason_data_expander);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, detail_reason_data);
    gtk_widget_class_bind_template_child(widget_class, StAlarmsPage, history);
    gtk_widget_class_bind_template_callback(widget_class, on_row_selected);
    gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
    gtk_widget_class_bind_template_callback(widget_class, on_state_filter_changed);
}

static void st_alarms_page_init(StAlarmsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->list_cancellable = g_cancellable_new();
    self->detail_cancellable = g_cancellable_new();
    self->items = g_ptr_array_new_with_free_func(item_free);
    gtk_list_box_set_filter_func(self->list, filter_row, self, NULL);
    self->refresh_id = g_timeout_add_seconds(REFRESH_S, on_refresh, self);
}
