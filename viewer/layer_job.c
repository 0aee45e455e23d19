/* SPDX-License-Identifier: MIT */
/*
 * Series layer jobs (layer_job.h). One lock guards the queue of pending jobs and every job's
 * state; workers take the newest pending job and a thread waiting for a result takes the
 * oldest, so that when a dashboard's charts are laid out in order and then snapshotted in
 * the same order, the main thread draws from the front while the workers draw from the back.
 * A job is referenced by its owner and, while queued or being drawn, by the pool; the last
 * one out frees it, so an abandoned job being drawn finishes and is freed by its drawer.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "layer_job_private.h"

#define MAX_WORKERS 3
/* How long a thread needing a job that a worker is drawing waits before drawing it itself:
 * several times what one chart's layer takes. */
#define MAX_WAIT_US 2000

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE };

struct st_layer_job {
    gatomicrefcount ref;
    enum job_state state; /* under pool.lock */
    GList link;           /* in pool.pending while JOB_PENDING */
    int width, height, scale;
    double dx, dy;
    st_layer_draw_func draw;
    gpointer data;
    GDestroyNotify free_data;
    cairo_surface_t *surface; /* set, under pool.lock, when the job becomes JOB_DONE */
};

/* Process-wide, like GTK's own renderer threads: charts come and go, the workers stay. Static
 * GMutex, GCond and GQueue need no initialisation. */
static struct {
    GMutex lock;
    GCond work; /* a job was queued */
    GCond done; /* a job became JOB_DONE */
    GQueue pending;
    gboolean started;
    guint n_workers;
} pool;

static void job_unref(struct st_layer_job *job)
{
    if (!g_atomic_ref_count_dec(&job->ref)) {
        return;
    }
    if (job->surface) {
        cairo_surface_destroy(job->surface);
    }
    if (job->free_data) {
        job->free_data(job->data);
    }
    g_free(job);
}

/* Draws a job's layer (pool.lock not held): a new surface, or NULL. */
static cairo_surface_t *render(const struct st_layer_job *job)
{
    cairo_surface_t *surface =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, job->width, job->height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return NULL;
    }
    cairo_surface_set_device_scale(surface, job->scale, job->scale);
    cairo_t *cr = cairo_create(surface);
    cairo_translate(cr, job->dx, job->dy);
    job->draw(cr, job->data);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    return surface;
}

/* Makes surface the job's result, unless another drawing of it was done first. pool.lock
 * held. */
static void publish(struct st_layer_job *job, cairo_surface_t *surface)
{
    if (job->state == JOB_DONE) {
        if (surface) {
            cairo_surface_destroy(surface);
        }
        return;
    }
    job->surface = surface;
    job->state = JOB_DONE;
    g_cond_broadcast(&pool.done);
}

/* Draws a job taken from the queue (state JOB_RUNNING, pool.lock not held), publishes the
 * result and drops the pool's reference. */
static void draw_job(struct st_layer_job *job)
{
    cairo_surface_t *surface = render(job);
    g_mutex_lock(&pool.lock);
    publish(job, surface);
    g_mutex_unlock(&pool.lock);
    job_unref(job);
}

/* Unlinks a pending job from the queue for the calling thread to draw. pool.lock held. */
static struct st_layer_job *take(GList *link)
{
    struct st_layer_job *job = link->data;
    g_queue_unlink(&pool.pending, link);
    job->state = JOB_RUNNING;
    return job;
}

static gpointer worker(gpointer data)
{
    (void)data;
    g_mutex_lock(&pool.lock);
    for (;;) {
        while (g_queue_is_empty(&pool.pending)) {
            g_cond_wait(&pool.work, &pool.lock);
        }
        struct st_layer_job *job = take(g_queue_peek_tail_link(&pool.pending));
        g_mutex_unlock(&pool.lock);
        draw_job(job);
        g_mutex_lock(&pool.lock);
    }
    return NULL;
}

/* Starts the workers on first use. pool.lock held. Without any (thread creation failed), jobs
 * are drawn by whoever finishes them. */
static void start_pool(void)
{
    if (pool.started) {
        return;
    }
    pool.started = TRUE;
    int n = CLAMP((int)g_get_num_processors() - 1, 1, MAX_WORKERS);
    for (int i = 0; i < n; i++) {
        GThread *t = g_thread_try_new("st-layer", worker, NULL, NULL);
        if (t) {
            g_thread_unref(t);
            pool.n_workers++;
        }
    }
}

struct st_layer_job *st_layer_job_new(int width, int height, int scale, double dx, double dy,
                                      st_layer_draw_func draw, gpointer data,
                                      GDestroyNotify free_data)
{
    g_return_val_if_fail(width > 0 && height > 0 && scale > 0 && draw, NULL);
    struct st_layer_job *job = g_new0(struct st_layer_job, 1);
    g_atomic_ref_count_init(&job->ref);
    g_atomic_ref_count_inc(&job->ref);
    job->state = JOB_PENDING;
    job->link.data = job;
    job->width = width;
    job->height = height;
    job->scale = scale;
    job->dx = dx;
    job->dy = dy;
    job->draw = draw;
    job->data = data;
    job->free_data = free_data;
    g_mutex_lock(&pool.lock);
    start_pool();
    g_queue_push_tail_link(&pool.pending, &job->link);
    g_cond_signal(&pool.work);
    g_mutex_unlock(&pool.lock);
    return job;
}

cairo_surface_t *st_layer_job_finish(struct st_layer_job *job)
{
    g_return_val_if_fail(job, NULL);
    g_mutex_lock(&pool.lock);
    if (job->state == JOB_PENDING) {
        take(&job->link);
        g_mutex_unlock(&pool.lock);
        draw_job(job);
        g_mutex_lock(&pool.lock);
    }
    gint64 give_up_us = g_get_monotonic_time() + MAX_WAIT_US;
    while (job->state != JOB_DONE) {
        GList *other = g_queue_peek_head_link(&pool.pending);
        if (other) {
            struct st_layer_job *o = take(other);
            g_mutex_unlock(&pool.lock);
            draw_job(o);
            g_mutex_lock(&pool.lock);
        } else if (!g_cond_wait_until(&pool.done, &pool.lock, give_up_us) &&
                   job->state != JOB_DONE) {
            /* The worker drawing it is not being scheduled (the machine is busy): a frame does
             * not wait for it. The scene is immutable, so drawing it here too is safe; the
             * first drawing done is the result. */
            g_mutex_unlock(&pool.lock);
            cairo_surface_t *mine = render(job);
            g_mutex_lock(&pool.lock);
            publish(job, mine);
        }
    }
    cairo_surface_t *surface = job->surface ? cairo_surface_reference(job->surface) : NULL;
    g_mutex_unlock(&pool.lock);
    return surface;
}

void st_layer_job_free(struct st_layer_job *job)
{
    if (!job) {
        return;
    }
    g_mutex_lock(&pool.lock);
    gboolean was_pending = job->state == JOB_PENDING;
    if (was_pending) {
        g_queue_unlink(&pool.pending, &job->link);
        job->state = JOB_DONE;
    }
    g_mutex_unlock(&pool.lock);
    if (was_pending) {
        job_unref(job); /* the pool's: nobody will draw it */
    }
    job_unref(job);
}

guint st_layer_job_n_workers(void)
{
    g_mutex_lock(&pool.lock);
    start_pool();
    guint n = pool.n_workers;
    g_mutex_unlock(&pool.lock);
    return n;
}
