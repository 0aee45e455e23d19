/* SPDX-License-Identifier: MIT */
/*
 * Kept pixels placed one to one on device pixels. A widget that draws something costly once
 * into a cairo image surface of device pixels (a chart's series layer, a card's shadow) and
 * places it on later frames must land each of its pixels on one device pixel, or the renderer
 * resamples and blurs it. Under GTK 4.8's cairo renderer the surface is placed as a cairo node
 * that paints it: that renderer copies a texture node's texture into a new surface, through
 * floats, on every frame it draws it, while painting a surface is a plain copy.
 */
#ifndef STRATUS_VIEWER_DEVICE_PIXELS_H
#define STRATUS_VIEWER_DEVICE_PIXELS_H

#include <gtk/gtk.h>

/* Whether widget's origin lies on a device pixel of its surface (at scale) under a plain
 * translation, so that kept pixels placed in it are copied, not resampled. */
gboolean st_device_pixels_aligned(GtkWidget *widget, int scale);

/* Whether widget is drawn by GTK's cairo renderer (FALSE while it has none). */
gboolean st_device_pixels_cairo_renderer(GtkWidget *widget);

/* The device-pixel rectangle covering bounds at scale, and its extent back in user units.
 * Returns FALSE if it is empty. */
gboolean st_device_pixels_cover(const graphene_rect_t *bounds, int scale, int *ret_x0, int *ret_y0,
                                int *ret_width, int *ret_height, graphene_rect_t *ret_bounds);

/* Appends a cairo node painting surface (an image surface whose device scale is the widget's
 * scale) at bounds, its extent in the widget's coordinates. The node keeps its own reference
 * to the surface's pixels; the caller keeps surface. */
void st_device_pixels_append(GtkSnapshot *snapshot, cairo_surface_t *surface,
                             const graphene_rect_t *bounds);

#endif
