/* SPDX-License-Identifier: MIT */
/*
 * Kept pixels on device pixels (device_pixels.h). The cairo node records a paint of the
 * surface; cairo snapshots the surface copy-on-write, so the pixels are copied at most once,
 * when the caller drops a surface that an old node still shows.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include <math.h>

#include "device_pixels.h"

gboolean st_device_pixels_aligned(GtkWidget *widget, int scale)
{
    GtkNative *native = gtk_widget_get_native(widget);
    graphene_matrix_t t;
    if (!native || !gtk_widget_compute_transform(widget, GTK_WIDGET(native), &t) ||
        !graphene_matrix_is_2d(&t)) {
        return FALSE;
    }
    double xx, yx, xy, yy, x0, y0;
    graphene_matrix_to_2d(&t, &xx, &yx, &xy, &yy, &x0, &y0);
    if (xx != 1 || yy != 1 || xy != 0 || yx != 0) {
        return FALSE;
    }
    double nx, ny;
    gtk_native_get_surface_transform(native, &nx, &ny);
    double dx = (x0 + nx) * scale, dy = (y0 + ny) * scale;
    return fabs(dx - round(dx)) < 1e-3 && fabs(dy - round(dy)) < 1e-3;
}

gboolean st_device_pixels_cairo_renderer(GtkWidget *widget)
{
    GtkNative *native = gtk_widget_get_native(widget);
    return native && GSK_IS_CAIRO_RENDERER(gtk_native_get_renderer(native));
}

gboolean st_device_pixels_cover(const graphene_rect_t *bounds, int scale, int *ret_x0, int *ret_y0,
                                int *ret_width, int *ret_height, graphene_rect_t *ret_bounds)
{
    int x0 = (int)floor(bounds->origin.x * scale), y0 = (int)floor(bounds->origin.y * scale);
    int x1 = (int)ceil((bounds->origin.x + bounds->size.width) * scale);
    int y1 = (int)ceil((bounds->origin.y + bounds->size.height) * scale);
    if (x1 <= x0 || y1 <= y0) {
        return FALSE;
    }
    *ret_x0 = x0;
    *ret_y0 = y0;
    *ret_width = x1 - x0;
    *ret_height = y1 - y0;
    *ret_bounds = GRAPHENE_RECT_INIT((float)x0 / scale, (float)y0 / scale, (float)(x1 - x0) / scale,
                                     (float)(y1 - y0) / scale);
    return TRUE;
}

void st_device_pixels_append(GtkSnapshot *snapshot, cairo_surface_t *surface,
                             const graphene_rect_t *bounds)
{
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, bounds);
    cairo_set_source_surface(cr, surface, bounds->origin.x, bounds->origin.y);
    cairo_paint(cr);
    cairo_destroy(cr);
}
