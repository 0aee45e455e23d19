/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the service map layout (viewer/graph_layout.c) through graphviz's dot: a chain
 * runs left to right, nodes keep their sizes apart, edges start and end at their nodes with
 * their labels placed, and bad edges are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <math.h>

#include "graph_layout.h"

static int teardown(void **state)
{
    st_graph_layout_fini(*state);
    free(*state);
    return 0;
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(struct st_graph_layout));
    return *state ? 0 : -1;
}

static const struct st_graph_node_in boxes[] = {{100, 80}, {100, 80}, {100, 80}, {100, 80}};

static void test_a_chain_runs_left_to_right(void **state)
{
    struct st_graph_layout *l = *state;
    const struct st_graph_edge_in e[] = {{0, 1, "10 req\n5 ms"}, {1, 2, "4 req"}, {1, 3, NULL}};
    assert_int_equal(st_graph_layout_compute(boxes, 4, e, 3, l), 0);
    assert_int_equal(l->n_nodes, 4);
    assert_true(l->nodes[0].x + 100 <= l->nodes[1].x);
    assert_true(l->nodes[1].x + 100 <= l->nodes[2].x);
    /* 2 and 3 share a rank: one above the other, at least a box height apart. */
    assert_true(fabs(l->nodes[2].x - l->nodes[3].x) < 1);
    assert_true(fabs(l->nodes[2].y - l->nodes[3].y) >= 80);
    for (size_t i = 0; i < 4; i++) {
        assert_true(l->nodes[i].x >= 50 - 1 && l->nodes[i].x <= l->width_pt - 50 + 1);
        assert_true(l->nodes[i].y >= 40 - 1 && l->nodes[i].y <= l->height_pt - 40 + 1);
    }
}

static void test_edges_join_their_nodes_and_place_labels(void **state)
{
    struct st_graph_layout *l = *state;
    const struct st_graph_edge_in e[] = {{0, 1, "10 req\n5 ms"}, {1, 2, NULL}};
    assert_int_equal(st_graph_layout_compute(boxes, 3, e, 2, l), 0);
    for (size_t i = 0; i < 2; i++) {
        const struct st_graph_edge_path *p = &l->edges[i];
        assert_int_equal(p->n_pts % 3, 1);
        /* The path leaves the source's right side and the tip touches the target's left. */
        assert_true(fabs(p->pts[0].x - (l->nodes[e[i].from].x + 50)) < 2);
        assert_true(fabs(p->tip.x - (l->nodes[e[i].to].x - 50)) < 2);
    }
    assert_true(l->edges[0].has_label);
    assert_false(l->edges[1].has_label);
    assert_true(l->edges[0].label.x > l->nodes[0].x && l->edges[0].label.x < l->nodes[1].x);
}

static void test_bad_edges_are_refused(void **state)
{
    struct st_graph_layout *l = *state;
    const struct st_graph_edge_in e[] = {{0, 7, NULL}};
    assert_int_equal(st_graph_layout_compute(boxes, 2, e, 1, l), -EINVAL);
}

static void test_an_empty_graph_is_empty(void **state)
{
    struct st_graph_layout *l = *state;
    assert_int_equal(st_graph_layout_compute(NULL, 0, NULL, 0, l), 0);
    assert_int_equal(l->n_nodes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_chain_runs_left_to_right, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edges_join_their_nodes_and_place_labels, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_edges_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_empty_graph_is_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
