/*  test_ring.c - the in-memory ring of recent log entries. */

#include "ring.h"

#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

typedef struct {
    uint64_t seqs [64];
    char bodies [64][32];
    size_t count;
    size_t stop_after; /* 0: never stop */
} s_seen_t;

static bool
s_collect (const store_entry_t *entry, void *arg)
{
    s_seen_t *seen = arg;
    seen->seqs [seen->count] = entry->seq;
    snprintf (seen->bodies [seen->count], sizeof seen->bodies [0], "%.*s", (int) entry->size,
              (const char *) entry->envelope);
    seen->count++;
    return seen->stop_after == 0 || seen->count < seen->stop_after;
}

static void
s_push (ring_t *ring, uint64_t seq)
{
    char body [32];
    snprintf (body, sizeof body, "entry-%llu", (unsigned long long) seq);
    assert_true (ring_push (ring, seq, "net/data", body, strlen (body)));
}

static void
test_ring_empty_holds_nothing (void **state)
{
    (void) state;
    ring_t *ring = ring_new (4, 1024);
    assert_false (ring_has (ring, 0));
    assert_false (ring_has (ring, 1));
    ring_destroy (&ring);
    ring_destroy (&ring);
}

static void
test_ring_reads_back_what_was_pushed_in_order (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 1024);
    for (uint64_t seq = 5; seq <= 9; seq++)
        s_push (ring, seq);
    assert_false (ring_has (ring, 4));
    assert_true (ring_has (ring, 5));
    assert_true (ring_has (ring, 9));
    assert_false (ring_has (ring, 10));
    s_seen_t seen = {0};
    assert_int_equal (ring_read_from (ring, 6, 100, s_collect, &seen), 4);
    assert_int_equal (seen.seqs [0], 6);
    assert_int_equal (seen.seqs [3], 9);
    assert_string_equal (seen.bodies [0], "entry-6");
    assert_string_equal (seen.bodies [3], "entry-9");
    ring_destroy (&ring);
}

static void
test_ring_keeps_only_the_last_capacity_entries (void **state)
{
    (void) state;
    ring_t *ring = ring_new (4, 1024);
    for (uint64_t seq = 1; seq <= 10; seq++)
        s_push (ring, seq);
    assert_false (ring_has (ring, 6));
    assert_true (ring_has (ring, 7));
    s_seen_t seen = {0};
    assert_int_equal (ring_read_from (ring, 7, 100, s_collect, &seen), 4);
    assert_string_equal (seen.bodies [0], "entry-7");
    assert_string_equal (seen.bodies [3], "entry-10");
    ring_destroy (&ring);
}

static void
test_ring_read_respects_max_and_early_stop (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 1024);
    for (uint64_t seq = 1; seq <= 8; seq++)
        s_push (ring, seq);
    s_seen_t seen = {0};
    assert_int_equal (ring_read_from (ring, 1, 3, s_collect, &seen), 3);
    s_seen_t stop = {.stop_after = 2};
    assert_int_equal (ring_read_from (ring, 1, 8, s_collect, &stop), 2);
    assert_int_equal (stop.seqs [1], 2);
    ring_destroy (&ring);
}

static void
test_ring_truncate_forgets_the_failed_batch (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 1024);
    for (uint64_t seq = 1; seq <= 6; seq++)
        s_push (ring, seq);
    ring_truncate (ring, 4);
    assert_true (ring_has (ring, 4));
    assert_false (ring_has (ring, 5));
    //  The retried batch reuses the seqs.
    s_push (ring, 5);
    s_seen_t seen = {0};
    assert_int_equal (ring_read_from (ring, 4, 8, s_collect, &seen), 2);
    assert_string_equal (seen.bodies [1], "entry-5");
    //  Truncating before the first entry empties it.
    ring_truncate (ring, 0);
    assert_false (ring_has (ring, 1));
    ring_destroy (&ring);
}

static void
test_ring_gap_or_oversized_entry_empties_it (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 16);
    s_push (ring, 1);
    s_push (ring, 2);
    s_push (ring, 5); //  not 3: start again at 5
    assert_false (ring_has (ring, 1));
    assert_true (ring_has (ring, 5));
    char big [17];
    memset (big, 'x', sizeof big);
    assert_true (ring_push (ring, 6, "net/note", big, sizeof big));
    assert_false (ring_has (ring, 5));
    assert_false (ring_has (ring, 6));
    s_push (ring, 7);
    assert_true (ring_has (ring, 7));
    ring_destroy (&ring);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ring_empty_holds_nothing),
        cmocka_unit_test (test_ring_reads_back_what_was_pushed_in_order),
        cmocka_unit_test (test_ring_keeps_only_the_last_capacity_entries),
        cmocka_unit_test (test_ring_read_respects_max_and_early_stop),
        cmocka_unit_test (test_ring_truncate_forgets_the_failed_batch),
        cmocka_unit_test (test_ring_gap_or_oversized_entry_empties_it),
    };
    return cmocka_run_group_tests_name ("ring", tests, NULL, NULL);
}
