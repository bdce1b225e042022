/*  test_ring.c - the in-memory ring of recent log entries. */

#include "ring.h"
#include "store.h"

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
    store_entry_t entry = {.seq = seq, .topic = "net/note", .envelope = body, .size = strlen (body)};
    assert_true (ring_push (ring, &entry));
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
    store_entry_t entry = {.seq = 6, .topic = "net/note", .envelope = big, .size = sizeof big};
    assert_true (ring_push (ring, &entry));
    assert_false (ring_has (ring, 5));
    assert_false (ring_has (ring, 6));
    s_push (ring, 7);
    assert_true (ring_has (ring, 7));
    ring_destroy (&ring);
}

//  What one read handed out, copied while the callback ran.
typedef struct {
    uint64_t seq;
    char topic [32];
    char envelope [32];
    bool has_owner;
    char owner [32];
    bool has_masked;
    char masked [32];
    size_t masked_size;
} s_copy_t;

static bool
s_copy (const store_entry_t *entry, void *arg)
{
    s_copy_t *copy = arg;
    memset (copy, 0, sizeof *copy);
    copy->seq = entry->seq;
    snprintf (copy->topic, sizeof copy->topic, "%s", entry->topic);
    snprintf (copy->envelope, sizeof copy->envelope, "%.*s", (int) entry->size,
              (const char *) entry->envelope);
    copy->has_owner = entry->owner != NULL;
    if (entry->owner)
        snprintf (copy->owner, sizeof copy->owner, "%s", entry->owner);
    copy->has_masked = entry->masked != NULL;
    if (entry->masked)
        snprintf (copy->masked, sizeof copy->masked, "%.*s", (int) entry->masked_size,
                  (const char *) entry->masked);
    copy->masked_size = entry->masked_size;
    //  The one rule of which copy a reader gets works on what the ring
    //  hands out as on what the store does.
    store_partner_t owner = {.name = "alice", .role = ROLE_PARTNER};
    store_partner_t other = {.name = "carol", .role = ROLE_PARTNER};
    store_partner_t backbone = {.name = "hub", .role = ROLE_BACKBONE};
    size_t size;
    if (entry->owner) {
        assert_ptr_equal (store_entry_bytes (entry, &owner, &size), entry->envelope);
        assert_int_equal (size, entry->size);
        assert_ptr_equal (store_entry_bytes (entry, &backbone, &size), entry->envelope);
        assert_int_equal (size, entry->size);
        assert_ptr_equal (store_entry_bytes (entry, &other, &size), entry->masked);
        assert_int_equal (size, entry->masked_size);
    }
    return true;
}

//  A data table: its envelope, its masked copy and its owner.
static void
s_push_table (ring_t *ring, uint64_t seq)
{
    char whole [32], masked [32];
    snprintf (whole, sizeof whole, "whole-%llu", (unsigned long long) seq);
    snprintf (masked, sizeof masked, "masked-%llu", (unsigned long long) seq);
    store_entry_t entry = {.seq = seq,
                           .topic = "early-literacy/data",
                           .envelope = whole,
                           .size = strlen (whole),
                           .owner = "alice",
                           .masked = masked,
                           .masked_size = strlen (masked)};
    assert_true (ring_push (ring, &entry));
}

static void
test_ring_round_trips_a_tables_masked_copy_and_owner (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 1024);
    s_push_table (ring, 1);
    s_push (ring, 2);
    s_push_table (ring, 3);
    s_copy_t copy;
    assert_int_equal (ring_read_from (ring, 1, 1, s_copy, &copy), 1);
    assert_int_equal (copy.seq, 1);
    assert_string_equal (copy.topic, "early-literacy/data");
    assert_string_equal (copy.envelope, "whole-1");
    assert_true (copy.has_owner);
    assert_string_equal (copy.owner, "alice");
    assert_true (copy.has_masked);
    assert_string_equal (copy.masked, "masked-1");
    assert_int_equal (copy.masked_size, strlen ("masked-1"));
    //  An entry without a masked copy comes back without one.
    assert_int_equal (ring_read_from (ring, 2, 1, s_copy, &copy), 1);
    assert_string_equal (copy.envelope, "entry-2");
    assert_false (copy.has_owner);
    assert_false (copy.has_masked);
    assert_int_equal (copy.masked_size, 0);
    assert_int_equal (ring_read_from (ring, 3, 1, s_copy, &copy), 1);
    assert_string_equal (copy.envelope, "whole-3");
    assert_string_equal (copy.masked, "masked-3");
    assert_string_equal (copy.owner, "alice");
    ring_destroy (&ring);
}

//  Slots are reused in place: a slot that held a table and then holds a
//  note keeps nothing of the table.
static void
test_ring_reused_slot_forgets_the_tables_owner (void **state)
{
    (void) state;
    ring_t *ring = ring_new (2, 1024);
    s_push_table (ring, 1);
    s_push (ring, 2);
    s_push (ring, 3); //  the slot of seq 1
    assert_false (ring_has (ring, 1));
    s_copy_t copy;
    assert_int_equal (ring_read_from (ring, 3, 1, s_copy, &copy), 1);
    assert_string_equal (copy.envelope, "entry-3");
    assert_false (copy.has_owner);
    assert_false (copy.has_masked);
    ring_destroy (&ring);
}

//  An entry's size is its envelope and its masked copy together.
static void
test_ring_counts_the_masked_copy_against_the_entry_limit (void **state)
{
    (void) state;
    ring_t *ring = ring_new (16, 16);
    //  "whole-9" and "masked-9": 7 + 8 bytes, within 16.
    for (uint64_t seq = 1; seq <= 9; seq++)
        s_push_table (ring, seq);
    assert_true (ring_has (ring, 1));
    assert_true (ring_has (ring, 9));
    //  "whole-10" and "masked-10": 8 + 9 bytes, over it, though each alone
    //  is within: the ring empties and readers go to the store.
    s_push_table (ring, 10);
    assert_false (ring_has (ring, 9));
    assert_false (ring_has (ring, 10));
    s_push (ring, 11);
    assert_true (ring_has (ring, 11));
    ring_destroy (&ring);
}

//  A correction made an entry the ring holds stale (its masked copy became
//  a marker in the store): clearing forgets every entry, and the ring
//  fills again from the next push.
static void
test_ring_clear_empties_it (void **state)
{
    (void) state;
    ring_t *ring = ring_new (8, 1024);
    s_push_table (ring, 1);
    s_push (ring, 2);
    s_push_table (ring, 3);
    ring_clear (ring);
    for (uint64_t seq = 0; seq <= 4; seq++)
        assert_false (ring_has (ring, seq));
    s_seen_t seen = {0};
    assert_int_equal (ring_read_from (ring, 1, 8, s_collect, &seen), 0);
    //  Clearing an empty ring is harmless.
    ring_clear (ring);
    assert_false (ring_has (ring, 1));
    s_push_table (ring, 4);
    assert_false (ring_has (ring, 3));
    assert_true (ring_has (ring, 4));
    s_copy_t copy;
    assert_int_equal (ring_read_from (ring, 4, 8, s_copy, &copy), 1);
    assert_string_equal (copy.envelope, "whole-4");
    assert_string_equal (copy.masked, "masked-4");
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
        cmocka_unit_test (test_ring_round_trips_a_tables_masked_copy_and_owner),
        cmocka_unit_test (test_ring_reused_slot_forgets_the_tables_owner),
        cmocka_unit_test (test_ring_counts_the_masked_copy_against_the_entry_limit),
        cmocka_unit_test (test_ring_clear_empties_it),
    };
    return cmocka_run_group_tests_name ("ring", tests, NULL, NULL);
}
