/* SPDX-License-Identifier: MIT */
/*
 * The dashboards page (dashboards_page.h). The open dashboard's body is kept as the text the
 * collector returned; its model comes from lib/dashboard.c (the collector's own validator),
 * and edits go through the st_dashboard_body_* functions, which keep every member Stratus
 * does not model, then PutDashboard, then GetDashboard again so that what is shown is what
 * is stored.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "dashboards_page.h"

#include "dashboard_widget.h"
#include "dashboards.pb-c.h"
#include "stratus/alloc.h"
#include "stratus/dashboard.h"

#define ROW_PX 44
#define GAP_PX 12

struct _StDashboardsPage {
    GtkWidget parent_instance;
    StApiClient *client;
    GCancellable *cancellable;
    char *current;   /* the open dashboard's name */
    char *body;      /* its body as stored */
    char *want;      /* open this one once listed */
    gint64 range_ms; /* relative range; 0 with a custom one */
    gint64 t0_ms, t1_ms;
    guint refresh_id;
    gboolean editing;
    gboolean listing;
    gboolean range_chosen; /* the user picked a range: dashboards' own start no longer applies */
    gboolean syncing;      /* setting a range button from code */

    GtkDropDown *dashboard_list;
    GtkStringList *dashboard_names;
    GtkEntry *new_name;
    GtkMenuButton *new_button;
    GtkToggleButton *range_1h, *range_3h, *range_12h, *range_1d, *range_1w, *range_custom;
    GtkMenuButton *custom_button;
    GtkEntry *custom_from, *custom_to;
    GtkDropDown *auto_refresh;
    GtkToggleButton *edit_button;
    GtkMenuButton *add_button;
    GtkEntry *add_namespace, *add_metric, *add_dimensions;
    GtkDropDown *add_stat;
    GtkRevealer *error_revealer;
    GtkLabel *error_label;
    GtkStack *stack;
    GtkGrid *grid;
    AdwStatusPage *empty;
};

G_DEFINE_FINAL_TYPE(StDashboardsPage, st_dashboards_page, GTK_TYPE_WIDGET)

static void show_error(StDashboardsPage *self, const char *message)
{
    gtk_label_set_text(self->error_label, message ? message : "");
    gtk_revealer_set_reveal_child(self->error_revealer, message != NULL);
}

static void new_cancellable(StDashboardsPage *self)
{
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
}

static void update_range(StDashboardsPage *self)
{
    if (self->range_ms > 0) {
        self->t1_ms = g_get_real_time() / 1000;
        self->t0_ms = self->t1_ms - self->range_ms;
    }
}

static void load_widgets(StDashboardsPage *self)
{
    update_range(self);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(self->grid)); c;
         c = gtk_widget_get_next_sibling(c)) {
        if (ST_IS_DASHBOARD_WIDGET(c)) {
            st_dashboard_widget_load(ST_DASHBOARD_WIDGET(c), self->t0_ms, self->t1_ms);
        }
    }
}

static void clear_grid(StDashboardsPage *self)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(GTK_WIDGET(self->grid)))) {
        gtk_grid_remove(self->grid, c);
    }
    /* One empty cell per column, so that the grid always has 24 equal columns. */
    for (int x = 0; x < ST_DASH_GRID_COLUMNS; x++) {
        gtk_grid_attach(self->grid, gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0), x, -1, 1, 1);
    }
}

static void on_widget_edit(StDashboardWidget *w, const char *action, StDashboardsPage *self);
static GtkToggleButton *preset_button(StDashboardsPage *self, gint64 range_ms);
static void on_widget_zoom(StDashboardWidget *w, gint64 t0, gint64 t1, StDashboardsPage *self);

static void build_grid(StDashboardsPage *self)
{
    clear_grid(self);
    if (!self->body) {
        return;
    }
    struct st_dashboard *d = NULL;
    struct st_error err;
    if (st_dashboard_parse((const uint8_t *)self->body, strlen(self->body), &d, NULL, &err) < 0) {
        show_error(self, err.message);
        return;
    }
    for (size_t i = 0; i < d->n_widgets; i++) {
        const struct st_dash_widget *m = &d->widgets[i];
        GtkWidget *w = st_dashboard_widget_new(self->client, m, (guint)i);
        gtk_widget_set_size_request(w, -1, m->height * ROW_PX - GAP_PX);
        gtk_widget_set_margin_bottom(w, GAP_PX);
        st_dashboard_widget_set_editing(ST_DASHBOARD_WIDGET(w), self->editing);
        g_signal_connect(w, "edit", G_CALLBACK(on_widget_edit), self);
        g_signal_connect(w, "zoom-requested", G_CALLBACK(on_widget_zoom), self);
        gtk_grid_attach(self->grid, w, m->x, m->y, m->width, m->height);
    }
    if (d->start && !self->range_chosen) {
        /* The dashboard's own default range, when the user has not picked one. */
        int64_t rel;
        if (st_dashboard_parse_relative(d->start, &rel) == 0 && !d->end) {
            self->range_ms = -rel;
            GtkToggleButton *preset = preset_button(self, self->range_ms);
            self->syncing = TRUE;
            gtk_toggle_button_set_active(preset ? preset : self->range_custom, TRUE);
            self->syncing = FALSE;
        }
    }
    gtk_stack_set_visible_child_name(self->stack, "grid");
    st_dashboard_free(d);
    load_widgets(self);
}

static void on_got(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StDashboardsPage *self = data;
    if (!msg) {
        show_error(self, error->message);
        return;
    }
    show_error(self, NULL);
    Stratus__GetDashboardResponse *resp = (Stratus__GetDashboardResponse *)msg;
    g_free(self->body);
    self->body = g_strdup(resp->dashboard_body);
    protobuf_c_message_free_unpacked(msg, NULL);
    build_grid(self);
}

static void open_current(StDashboardsPage *self)
{
    if (!self->current || !self->client) {
        return;
    }
    Stratus__GetDashboardRequest req = STRATUS__GET_DASHBOARD_REQUEST__INIT;
    req.dashboard_name = self->current;
    st_api_client_call_async(self->client, "GetDashboard", &req.base,
                             &stratus__get_dashboard_response__descriptor, self->cancellable,
                             on_got, self);
}

static void on_listed(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StDashboardsPage *self = data;
    if (!msg) {
        gtk_widget_set_visible(GTK_WIDGET(self->dashboard_list),
                               g_list_model_get_n_items(G_LIST_MODEL(self->dashboard_names)) > 0);
        adw_status_page_set_title(self->empty, "Dashboards are not available");
        adw_status_page_set_description(self->empty, error->message);
        gtk_stack_set_visible_child_name(self->stack, "empty");
        return;
    }
    Stratus__ListDashboardsResponse *resp = (Stratus__ListDashboardsResponse *)msg;
    self->listing = TRUE;
    guint n_old = g_list_model_get_n_items(G_LIST_MODEL(self->dashboard_names));
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    guint select = 0;
    const char *target = self->want ? self->want : self->current;
    for (size_t i = 0; i < resp->n_dashboard_entries; i++) {
        g_ptr_array_add(names, resp->dashboard_entries[i]->dashboard_name);
        if (g_strcmp0(resp->dashboard_entries[i]->dashboard_name, target) == 0) {
            select = (guint)i;
        }
    }
    g_ptr_array_add(names, NULL);
    gtk_string_list_splice(self->dashboard_names, 0, n_old, (const char *const *)names->pdata);
    gtk_widget_set_visible(GTK_WIDGET(self->dashboard_list), resp->n_dashboard_entries > 0);
    self->listing = FALSE;
    if (resp->n_dashboard_entries == 0) {
        adw_status_page_set_title(self->empty, "No dashboards yet");
        adw_status_page_set_description(self->empty,
                                        "Create one with the + button, or import a CloudWatch "
                                        "dashboard with stratus put-dashboard.");
        gtk_stack_set_visible_child_name(self->stack, "empty");
        g_clear_pointer(&self->current, g_free);
    } else {
        g_free(self->current);
        self->current = g_strdup(resp->dashboard_entries[select]->dashboard_name);
        g_clear_pointer(&self->want, g_free);
        gtk_drop_down_set_selected(self->dashboard_list, select);
        open_current(self);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
}

void st_dashboards_page_reload(StDashboardsPage *self)
{
    g_return_if_fail(ST_IS_DASHBOARDS_PAGE(self));
    if (!self->client) {
        return;
    }
    new_cancellable(self);
    Stratus__ListDashboardsRequest req = STRATUS__LIST_DASHBOARDS_REQUEST__INIT;
    st_api_client_call_async(self->client, "ListDashboards", &req.base,
                             &stratus__list_dashboards_response__descriptor, self->cancellable,
                             on_listed, self);
}

static void on_dashboard_chosen(StDashboardsPage *self)
{
    if (self->listing) {
        return;
    }
    guint i = gtk_drop_down_get_selected(self->dashboard_list);
    const char *name = gtk_string_list_get_string(self->dashboard_names, i);
    if (!name || g_strcmp0(name, self->current) == 0) {
        return;
    }
    g_free(self->current);
    self->current = g_strdup(name);
    new_cancellable(self);
    open_current(self);
}

/* PutDashboard of a new body, then GetDashboard. */
static void on_put(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    ProtobufCMessage *msg = st_api_client_call_finish(ST_API_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    StDashboardsPage *self = data;
    if (!msg) {
        show_error(self, error->message);
        return;
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    st_dashboards_page_reload(self);
}

static void put_body(StDashboardsPage *self, const char *name, const char *body)
{
    new_cancellable(self);
    Stratus__PutDashboardRequest req = STRATUS__PUT_DASHBOARD_REQUEST__INIT;
    req.dashboard_name = (char *)name;
    req.dashboard_body = (char *)body;
    st_api_client_call_async(self->client, "PutDashboard", &req.base,
                             &stratus__put_dashboard_response__descriptor, self->cancellable,
                             on_put, self);
}

/* The first free spot for a w x h widget: below everything, at the left. */
static int bottom_of(StDashboardsPage *self)
{
    int bottom = 0;
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(self->grid)); c;
         c = gtk_widget_get_next_sibling(c)) {
        if (ST_IS_DASHBOARD_WIDGET(c)) {
            int x, y, w, h;
            gtk_grid_query_child(self->grid, c, &x, &y, &w, &h);
            bottom = MAX(bottom, y + h);
        }
    }
    return bottom;
}

static void on_widget_edit(StDashboardWidget *w, const char *action, StDashboardsPage *self)
{
    if (!self->body || !self->current) {
        return;
    }
    int x, y, width, height;
    gtk_grid_query_child(self->grid, GTK_WIDGET(w), &x, &y, &width, &height);
    guint idx = st_dashboard_widget_get_index(w);
    char *out = NULL;
    int r;
    if (g_str_equal(action, "remove")) {
        r = st_dashboard_body_remove_widget(self->body, idx, &out);
    } else {
        if (g_str_equal(action, "left")) {
            x = MAX(0, x - 1);
        } else if (g_str_equal(action, "right")) {
            x = MIN(ST_DASH_GRID_COLUMNS - width, x + 1);
        } else if (g_str_equal(action, "up")) {
            y = MAX(0, y - 1);
        } else if (g_str_equal(action, "down")) {
            y++;
        } else if (g_str_equal(action, "narrower")) {
            width = MAX(2, width - 2);
        } else if (g_str_equal(action, "wider")) {
            width = MIN(ST_DASH_GRID_COLUMNS - x, width + 2);
        } else if (g_str_equal(action, "shorter")) {
            height = MAX(2, height - 1);
        } else if (g_str_equal(action, "taller")) {
            height = MIN(ST_DASH_MAX_HEIGHT, height + 1);
        }
        r = st_dashboard_body_set_geometry(self->body, idx, x, y, width, height, &out);
    }
    if (r < 0) {
        show_error(self, "That edit does not fit the dashboard's 24-column grid");
        return;
    }
    g_autofree char *name = g_strdup(self->current);
    put_body(self, name, out);
    st_free(out);
}

static void on_widget_zoom(StDashboardWidget *w, gint64 t0, gint64 t1, StDashboardsPage *self)
{
    (void)w;
    self->range_ms = 0;
    self->t0_ms = t0;
    self->t1_ms = t1;
    self->range_chosen = TRUE;
    self->syncing = TRUE;
    gtk_toggle_button_set_active(self->range_custom, TRUE);
    self->syncing = FALSE;
    load_widgets(self);
}

static void on_add_widget(StDashboardsPage *self)
{
    const char *ns = gtk_editable_get_text(GTK_EDITABLE(self->add_namespace));
    const char *metric = gtk_editable_get_text(GTK_EDITABLE(self->add_metric));
    const char *dims_text = gtk_editable_get_text(GTK_EDITABLE(self->add_dimensions));
    GtkStringObject *stat_obj = gtk_drop_down_get_selected_item(self->add_stat);
    const char *stat = stat_obj ? gtk_string_object_get_string(stat_obj) : "Average";
    g_auto(GStrv) pairs = g_strsplit(dims_text, ",", ST_DASH_MAX_DIMENSIONS + 1);
    struct st_dash_dimension dims[ST_DASH_MAX_DIMENSIONS];
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
    size_t n = 0;
    for (guint i = 0; pairs[i] && n < ST_DASH_MAX_DIMENSIONS; i++) {
        char *eq = strchr(pairs[i], '=');
        if (!eq) {
            continue;
        }
        char *k = g_strstrip(g_strndup(pairs[i], (gsize)(eq - pairs[i])));
        char *v = g_strstrip(g_strdup(eq + 1));
        g_ptr_array_add(keep, k);
        g_ptr_array_add(keep, v);
        if (k[0] && v[0]) {
            dims[n].name = k;
            dims[n].value = v;
            n++;
        }
    }
    if (!self->current) {
        show_error(self, "Create a dashboard first");
        return;
    }
    char *out = NULL;
    int r = st_dashboard_body_add_metric_widget(self->body, NULL, ns, metric, dims, n, stat, 60, 0,
                                                bottom_of(self), 12, 6, &out);
    if (r < 0) {
        show_error(self, "A widget needs a namespace and a metric name");
        return;
    }
    gtk_menu_button_popdown(self->add_button);
    g_autofree char *name = g_strdup(self->current);
    put_body(self, name, out);
    st_free(out);
}

static void on_create(StDashboardsPage *self)
{
    const char *name = gtk_editable_get_text(GTK_EDITABLE(self->new_name));
    if (!st_dashboard_name_valid(name)) {
        show_error(self, "A dashboard name is 1 to 255 letters, digits, - and _");
        return;
    }
    gtk_menu_button_popdown(self->new_button);
    g_free(self->want);
    self->want = g_strdup(name);
    put_body(self, name, "{\"widgets\":[]}");
    st_dashboards_page_set_editing(self, TRUE);
}

static const struct {
    size_t offset;
    gint64 ms;
} presets[] = {
    {G_STRUCT_OFFSET(StDashboardsPage, range_1h), 3600 * 1000LL},
    {G_STRUCT_OFFSET(StDashboardsPage, range_3h), 3 * 3600 * 1000LL},
    {G_STRUCT_OFFSET(StDashboardsPage, range_12h), 12 * 3600 * 1000LL},
    {G_STRUCT_OFFSET(StDashboardsPage, range_1d), 24 * 3600 * 1000LL},
    {G_STRUCT_OFFSET(StDashboardsPage, range_1w), 7 * 24 * 3600 * 1000LL},
};

static GtkToggleButton *preset_button(StDashboardsPage *self, gint64 range_ms)
{
    for (gsize i = 0; i < G_N_ELEMENTS(presets); i++) {
        if (presets[i].ms == range_ms) {
            return G_STRUCT_MEMBER(GtkToggleButton *, self, presets[i].offset);
        }
    }
    return NULL;
}

static void on_range_toggled(StDashboardsPage *self, GtkToggleButton *button)
{
    if (!gtk_toggle_button_get_active(button) || self->syncing) {
        return;
    }
    self->range_chosen = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(presets); i++) {
        if (G_STRUCT_MEMBER(GtkToggleButton *, self, presets[i].offset) == button) {
            self->range_ms = presets[i].ms;
            load_widgets(self);
            return;
        }
    }
    /* Custom: the range stays as zoomed or applied. */
}

static gboolean parse_local(const char *s, gint64 *ret_ms)
{
    if (!s || !s[0] || g_str_equal(s, "now")) {
        *ret_ms = g_get_real_time() / 1000;
        return TRUE;
    }
    int y, mo, d, h = 0, mi = 0;
    if (sscanf(s, "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) < 3) {
        return FALSE;
    }
    g_autoptr(GDateTime) dt = g_date_time_new_local(y, mo, d, h, mi, 0);
    if (!dt) {
        return FALSE;
    }
    *ret_ms = g_date_time_to_unix(dt) * 1000;
    return TRUE;
}

static void on_custom_apply(StDashboardsPage *self)
{
    gint64 t0, t1;
    if (!parse_local(gtk_editable_get_text(GTK_EDITABLE(self->custom_from)), &t0) ||
        !parse_local(gtk_editable_get_text(GTK_EDITABLE(self->custom_to)), &t1) || t1 <= t0) {
        show_error(self, "A custom range is From and To as YYYY-MM-DD HH:MM (To may be \"now\")");
        return;
    }
    show_error(self, NULL);
    gtk_menu_button_popdown(self->custom_button);
    self->range_ms = 0;
    self->t0_ms = t0;
    self->t1_ms = t1;
    self->range_chosen = TRUE;
    self->syncing = TRUE;
    gtk_toggle_button_set_active(self->range_custom, TRUE);
    self->syncing = FALSE;
    load_widgets(self);
}

static gboolean on_refresh_tick(gpointer data)
{
    StDashboardsPage *self = data;
    if (self->range_ms > 0 && st_api_client_get_connected(self->client)) {
        load_widgets(self);
    }
    return G_SOURCE_CONTINUE;
}

static void on_auto_refresh_changed(StDashboardsPage *self)
{
    static const guint seconds[] = {0, 10, 60, 300};
    g_clear_handle_id(&self->refresh_id, g_source_remove);
    guint i = gtk_drop_down_get_selected(self->auto_refresh);
    if (i < G_N_ELEMENTS(seconds) && seconds[i]) {
        self->refresh_id = g_timeout_add_seconds(seconds[i], on_refresh_tick, self);
    }
}

static void on_refresh(StDashboardsPage *self)
{
    st_dashboards_page_reload(self);
}

static void on_edit_toggled(StDashboardsPage *self)
{
    st_dashboards_page_set_editing(self, gtk_toggle_button_get_active(self->edit_button));
}

void st_dashboards_page_set_editing(StDashboardsPage *self, gboolean editing)
{
    g_return_if_fail(ST_IS_DASHBOARDS_PAGE(self));
    self->editing = editing;
    gtk_toggle_button_set_active(self->edit_button, editing);
    gtk_widget_set_visible(GTK_WIDGET(self->add_button), editing);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(self->grid)); c;
         c = gtk_widget_get_next_sibling(c)) {
        if (ST_IS_DASHBOARD_WIDGET(c)) {
            st_dashboard_widget_set_editing(ST_DASHBOARD_WIDGET(c), editing);
        }
    }
}

void st_dashboards_page_set_client(StDashboardsPage *self, StApiClient *client)
{
    g_return_if_fail(ST_IS_DASHBOARDS_PAGE(self));
    g_set_object(&self->client, client);
}

void st_dashboards_page_open(StDashboardsPage *self, const char *name)
{
    g_return_if_fail(ST_IS_DASHBOARDS_PAGE(self));
    g_free(self->want);
    self->want = g_strdup(name);
    st_dashboards_page_reload(self);
}

static void st_dashboards_page_dispose(GObject *object)
{
    StDashboardsPage *self = ST_DASHBOARDS_PAGE(object);
    g_cancellable_cancel(self->cancellable);
    g_clear_handle_id(&self->refresh_id, g_source_remove);
    gtk_widget_dispose_template(GTK_WIDGET(self), ST_TYPE_DASHBOARDS_PAGE);
    /* The root box has no id, so the template does not dispose it. */
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self)))) {
        gtk_widget_unparent(child);
    }
    g_clear_object(&self->cancellable);
    g_clear_object(&self->client);
    g_clear_pointer(&self->current, g_free);
    g_clear_pointer(&self->body, g_free);
    g_clear_pointer(&self->want, g_free);
    G_OBJECT_CLASS(st_dashboards_page_parent_class)->dispose(object);
}

static void st_dashboards_page_class_init(StDashboardsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = st_dashboards_page_dispose;
    g_type_ensure(ST_TYPE_DASHBOARD_WIDGET);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/stratus/Viewer/dashboards_page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(widget_class, StDashboardsPage, name)
    CHILD(dashboard_list);
    CHILD(dashboard_names);
    CHILD(new_name);
    CHILD(new_button);
    CHILD(range_1h);
    CHILD(range_3h);
    CHILD(range_12h);
    CHILD(range_1d);
    CHILD(range_1w);
    CHILD(range_custom);
    CHILD(custom_button);
    CHILD(custom_from);
    CHILD(custom_to);
    CHILD(auto_refresh);
    CHILD(edit_button);
    CHILD(add_button);
    CHILD(add_namespace);
    CHILD(add_metric);
    CHILD(add_dimensions);
    CHILD(add_stat);
    CHILD(error_revealer);
    CHILD(error_label);
    CHILD(stack);
    CHILD(grid);
    CHILD(empty);
#undef CHILD
    gtk_widget_class_bind_template_callback(widget_class, on_dashboard_chosen);
    gtk_widget_class_bind_template_callback(widget_class, on_create);
    gtk_widget_class_bind_template_callback(widget_class, on_range_toggled);
    gtk_widget_class_bind_template_callback(widget_class, on_custom_apply);
    gtk_widget_class_bind_template_callback(widget_class, on_auto_refresh_changed);
    gtk_widget_class_bind_template_callback(widget_class, on_refresh);
    gtk_widget_class_bind_template_callback(widget_class, on_edit_toggled);
    gtk_widget_class_bind_template_callback(widget_class, on_add_widget);
}

static void st_dashboards_page_init(StDashboardsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
    self->range_ms = 3 * 3600 * 1000LL;
    clear_grid(self);
    on_auto_refresh_changed(self);
}
