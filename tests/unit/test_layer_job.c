/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the series layer jobs (viewer/layer_job.c): the drawn surface, a job no
 * worker has begun drawn by the thread that finishes it, a job freed before it is begun never
 * drawn, and a job freed while a worker draws it freed by that worker. Tests that need the
 * workers busy hold every worker in a blocking job behind a gate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "layer_job_private.h"

#define WAIT_US (5 * G_USEC_PER_SEC)

typedef struct {
    GMutex lock;
    GCond cond;
    gboolean open;
    guint created; /* probes made */
    guint started; /* blocking jobs being drawn */
    guint freed;   /* probes freed */
} Gate;

typedef struct {
    Gate *gate;
    gboolean block;
    guint draws;
    GThread *drawn_on;
} Probe;

static void draw_probe(cairo_t *cr, gpointer data)
{
    Probe *p = data;
    g_mutex_lock(&p->gate->lock);
    if (p->block) {
        p->gate->started++;
        g_cond_broadcast(&p->gate->cond);
        while (!p->gate->open) {
            g_cond_wait(&p->gate->cond, &p->gate->lock);
        }
    }
    p->draws++;
    p->drawn_on = g_thread_self();
    g_mutex_unlock(&p->gate->lock);
    /* One opaque red pixel at (10, 20) in user units. */
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_rectangle(cr, 10, 20, 1, 1);
    cairo_fill(cr);
}

static void free_probe(gpointer data)
{
    Probe *p = data;
    g_mutex_lock(&p->gate->lock);
    p->gate->freed++;
    g_cond_broadcast(&p->gate->cond);
    g_mutex_unlock(&p->gate->lock);
    g_free(p);
}

static struct st_layer_job *probe_job(Gate *gate, gboolean block, int scale, Probe **ret_probe)
{
    Probe *p = g_new0(Probe, 1);
    p->gate = gate;
    p->block = block;
    g_mutex_lock(&gate->lock);
    gate->created++;
    g_mutex_unlock(&gate->lock);
    *ret_probe = p;
    return st_layer_job_new(4 * scale, 3 * scale, scale, -10, -20, draw_probe, p, free_probe);
}

/* Waits until *counter reaches want, or fails the test after WAIT_US. gate->lock held. */
static void wait_for(Gate *gate, const guint *counter, guint want)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (*counter < want) {
        if (!g_cond_wait_until(&gate->cond, &gate->lock, end)) {
            break;
        }
    }
    assert_int_equal(*counter, want);
}

typedef struct {
    Gate gate;
    guint n_workers;
    struct st_layer_job *blockers[8];
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_mutex_init(&f->gate.lock);
    g_cond_init(&f->gate.cond);
    f->n_workers = st_layer_job_n_workers();
    *state = f;
    return 0;
}

/* Opens the gate, drops the blocking jobs and waits until every probe is freed (a worker
 * may free one after its job is finished). */
static int teardown(void **state)
{
    Fixture *f = *state;
    g_mutex_lock(&f->gate.lock);
    f->gate.open = TRUE;
    g_cond_broadcast(&f->gate.cond);
    g_mutex_unlock(&f->gate.lock);
    for (guint i = 0; i < G_N_ELEMENTS(f->blockers); i++) {
        st_layer_job_free(f->blockers[i]);
    }
    g_mutex_lock(&f->gate.lock);
    wait_for(&f->gate, &f->gate.freed, f->gate.created);
    g_mutex_unlock(&f->gate.lock);
    g_mutex_clear(&f->gate.lock);
    g_cond_clear(&f->gate.cond);
    g_free(f);
    return 0;
}

/* Holds every worker in a blocking job. */
static void occupy_workers(Fixture *f)
{
    assert_true(f->n_workers >= 1 && f->n_workers <= G_N_ELEMENTS(f->blockers));
    for (guint i = 0; i < f->n_workers; i++) {
        Probe *p;
        f->blockers[i] = probe_job(&f->gate, TRUE, 1, &p);
    }
    g_mutex_lock(&f->gate.lock);
    wait_for(&f->gate, &f->gate.started, f->n_workers);
    g_mutex_unlock(&f->gate.lock);
}

static void test_finish_returns_the_drawn_surface(void **state)
{
    Fixture *f = *state;
    Probe *p;
    struct st_layer_job *job = probe_job(&f->gate, FALSE, 1, &p);
    cairo_surface_t *s = st_layer_job_finish(job);
    assert_non_null(s);
    assert_int_equal(cairo_image_surface_get_width(s), 4);
    assert_int_equal(cairo_image_surface_get_height(s), 3);
    const uint32_t *px = (const uint32_t *)(const void *)cairo_image_surface_get_data(s);
    assert_int_equal(px[0], 0xffff0000u); /* (10, 20) translated to the surface's origin */
    assert_int_equal(px[1], 0);
    g_mutex_lock(&f->gate.lock);
    assert_int_equal(p->draws, 1);
    g_mutex_unlock(&f->gate.lock);
    cairo_surface_destroy(s);
    st_layer_job_free(job);
}

static void test_the_surface_has_the_device_scale(void **state)
{
    Fixture *f = *state;
    Probe *p;
    struct st_layer_job *job = probe_job(&f->gate, FALSE, 2, &p);
    cairo_surface_t *s = st_layer_job_finish(job);
    assert_non_null(s);
    double sx, sy;
    cairo_surface_get_device_scale(s, &sx, &sy);
    assert_true(sx == 2 && sy == 2);
    const uint32_t *px = (const uint32_t *)(const void *)cairo_image_surface_get_data(s);
    int stride_px = cairo_image_surface_get_stride(s) / 4;
    /* The user-unit pixel at (10, 20) covers device pixels (0..1, 0..1). */
    assert_int_equal(px[0], 0xffff0000u);
    assert_int_equal(px[stride_px + 1], 0xffff0000u);
    assert_int_equal(px[2], 0);
    cairo_surface_destroy(s);
    st_layer_job_free(job);
}

static void test_finish_draws_a_job_no_worker_began_on_the_calling_thread(void **state)
{
    Fixture *f = *state;
    occupy_workers(f);
    Probe *p;
    struct st_layer_job *job = probe_job(&f->gate, FALSE, 1, &p);
    cairo_surface_t *s = st_layer_job_finish(job);
    assert_non_null(s);
    assert_int_equal(p->draws, 1);
    assert_ptr_equal(p->drawn_on, g_thread_self());
    cairo_surface_destroy(s);
    st_layer_job_free(job);
}

static void test_a_job_freed_before_it_is_begun_is_never_drawn(void **state)
{
    Fixture *f = *state;
    occupy_workers(f);
    Probe *p;
    struct st_layer_job *job = probe_job(&f->gate, FALSE, 1, &p);
    guint draws = p->draws; /* read before the free frees p */
    st_layer_job_free(job);
    assert_int_equal(draws, 0);
    g_mutex_lock(&f->gate.lock);
    assert_int_equal(f->gate.freed, 1);
    g_mutex_unlock(&f->gate.lock);
}

static void test_a_job_freed_while_drawn_is_freed_by_its_drawer(void **state)
{
    Fixture *f = *state;
    occupy_workers(f);
    for (guint i = 0; i < f->n_workers; i++) {
        g_clear_pointer(&f->blockers[i], st_layer_job_free);
    }
    g_mutex_lock(&f->gate.lock);
    assert_int_equal(f->gate.freed, 0); /* still being drawn */
    f->gate.open = TRUE;
    g_cond_broadcast(&f->gate.cond);
    wait_for(&f->gate, &f->gate.freed, f->n_workers);
    g_mutex_unlock(&f->gate.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finish_returns_the_drawn_surface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_surface_has_the_device_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_finish_draws_a_job_no_worker_began_on_the_calling_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_job_freed_before_it_is_begun_is_never_drawn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_job_freed_while_drawn_is_freed_by_its_drawer, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
