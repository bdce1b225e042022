/*  test_store.c - the log and the partner registry, as the broker uses them.

    Each test opens a fresh database in its own scratch directory (the
    fixture), acts through store.h only, and checks exact seqs, bytes and
    error codes. What store.h cannot show (the schema version stamp of a
    file the store refused, tables left behind by a failed migration) is
    read with a separate SQLite connection of the test's own.             */

#include "cells.h"
#include "cibus.pb-c.h"
#include "harness.h"
#include "key_filter.h"
#include "key_run.h"
#include "replica.h"
#include "schema_undo.h"
#include "store.h"

#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  The number of migrations in store.c: a fresh database is at this version.
#define LATEST_SCHEMA 19

//  The tables the migrations create: the log, partners and partner_networks
//  (1); indicators, commitments, notes and config (2; 3 rebuilds
//  commitments); data_tables, masked and partner_feeds (4); practices (6);
//  data_cells (7, which makes data_values a view and rebuilds data_tables);
//  log_keys and log_key_secret (8); key_runs (10); table_keys (11); 13
//  drops data_cells, whose rows 12 packed into data_tables (cells.h);
//  partner_usage (14); 16 drops masked, whose copies it moved into the
//  log; 18 drops data_tables, whose columns 17 moved into the log, and
//  makes it a view of the log.
#define LATEST_TABLES 14


//  Two distinct 40-character public keys (the registry checks only length).
#define KEY_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define KEY_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define KEY_C "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define KEY_UNKNOWN "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
_Static_assert (sizeof KEY_A == STORE_KEY_LEN + 1, "KEY_A must be a full key");
_Static_assert (sizeof KEY_B == STORE_KEY_LEN + 1, "KEY_B must be a full key");
_Static_assert (sizeof KEY_C == STORE_KEY_LEN + 1, "KEY_C must be a full key");
_Static_assert (sizeof KEY_UNKNOWN == STORE_KEY_LEN + 1, "KEY_UNKNOWN must be a full key");

//  ------------------------------------------------------------ fixture

typedef struct {
    char *dir;
    char path [PATH_MAX];
    store_t *store;
} fixture_t;

//  A scratch directory with no database in it yet, for tests that prepare
//  the file themselves.
static int
s_setup_empty (void **state)
{
    fixture_t *self = calloc (1, sizeof *self);
    if (!self)
        return -1;
    self->dir = harness_tmpdir ();
    if (!self->dir) {
        free (self);
        return -1;
    }
    snprintf (self->path, sizeof self->path, "%s/cibus.db", self->dir);
    *state = self;
    return 0;
}

static int
s_setup_sync (void **state, store_sync_t sync)
{
    if (s_setup_empty (state))
        return -1;
    fixture_t *self = *state;
    self->store = store_new (self->path, sync);
    return self->store ? 0 : -1;
}

//  A fresh store with the broker's default durability.
static int
s_setup (void **state)
{
    return s_setup_sync (state, STORE_SYNC_FULL);
}

//  The same with STORE_SYNC_NORMAL, which opens with its own pragma string.
static int
s_setup_normal (void **state)
{
    return s_setup_sync (state, STORE_SYNC_NORMAL);
}

static int
s_teardown (void **state)
{
    fixture_t *self = *state;
    if (!self)
        return 0;
    store_destroy (&self->store);
    harness_rmtree (self->dir);
    free (self->dir);
    free (self);
    return 0;
}

//  ------------------------------------------------------------ helpers

//  Reserve and, when it is new, add one entry in the open batch.
static void
s_publish (store_t *store, const char *partner, const char *id, const char *topic,
           uint64_t *seq, bool *duplicate)
{
    assert_int_equal (store_batch_reserve (store, partner, id, seq, duplicate), CIBUS_OK);
    if (!*duplicate)
        assert_int_equal (store_batch_add (store, *seq, partner, id, topic, 1000, id, strlen (id)),
                          CIBUS_OK);
}

//  One whole batch of one new entry; returns its seq.
static uint64_t
s_append_one (store_t *store, const char *partner, const char *id, const char *topic)
{
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (store), CIBUS_OK);
    s_publish (store, partner, id, topic, &seq, &duplicate);
    assert_false (duplicate);
    assert_int_equal (store_batch_commit (store), CIBUS_OK);
    return seq;
}

#define COLLECT_MAX 16

//  What a read saw, entry by entry, copied out of the callback.
typedef struct {
    size_t calls;
    size_t stop_after; /* return false on this call; 0 = never stop */
    const char *prefix; /* only keep entries whose topic starts so; NULL = all */
    size_t kept;
    uint64_t seq [COLLECT_MAX];
    char topic [COLLECT_MAX][64];
    unsigned char envelope [COLLECT_MAX][64];
    size_t size [COLLECT_MAX];
} collected_t;

static bool
s_collect (const store_entry_t *entry, void *arg)
{
    collected_t *seen = arg;
    seen->calls++;
    assert_true (seen->calls <= COLLECT_MAX);
    if (!seen->prefix || strncmp (entry->topic, seen->prefix, strlen (seen->prefix)) == 0) {
        size_t i = seen->kept++;
        seen->seq [i] = entry->seq;
        assert_true (strlen (entry->topic) < sizeof seen->topic [i]);
        strcpy (seen->topic [i], entry->topic);
        assert_true (entry->size <= sizeof seen->envelope [i]);
        if (entry->size)
            memcpy (seen->envelope [i], entry->envelope, entry->size);
        seen->size [i] = entry->size;
    }
    return seen->calls != seen->stop_after;
}

//  Run one statement that returns one integer, on a connection of our own
//  (which reads data_values as the store's do: cells.h).
static int
s_sql_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int value = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

//  Create (or open) a database outside the store and run sql in it.
static void
s_sql_exec (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    char *message = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK)
        print_error ("sqlite3_exec: %s\n", message ? message : "?");
    sqlite3_free (message);
    sqlite3_close (db);
    assert_int_equal (rc, SQLITE_OK);
}

//  ------------------------------------------------------------ opening

static void
test_store_new_creates_schema_at_latest_version (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (s_sql_int (self->path, "PRAGMA user_version"), LATEST_SCHEMA);
}

static void
test_store_new_starts_with_empty_log (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_last_seq (self->store), 0);
    collected_t seen = {0};
    size_t count = 99;
    assert_int_equal (store_read_from (self->store, 0, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 0);
    assert_int_equal (seen.calls, 0);
}

static void
test_store_path_is_the_opened_path (void **state)
{
    fixture_t *self = *state;
    assert_string_equal (store_path (self->store), self->path);
}

static void
test_store_new_fails_when_directory_is_missing (void **state)
{
    fixture_t *self = *state;
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/no-such-dir/cibus.db", self->dir);
    assert_null (store_new (path, STORE_SYNC_FULL));
}

static void
test_store_destroy_twice_is_harmless (void **state)
{
    fixture_t *self = *state;
    store_destroy (&self->store);
    assert_null (self->store);
    store_destroy (&self->store);
    assert_null (self->store);
}

//  ------------------------------------------------------------ appending

static void
test_store_batch_gives_contiguous_seqs (void **state)
{
    fixture_t *self = *state;
    const char *ids [] = {"a", "b", "c", "d", "e"};
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    for (size_t i = 0; i < 5; i++) {
        uint64_t seq = 0;
        bool duplicate = true;
        s_publish (self->store, "north-isd", ids [i], "north/data", &seq, &duplicate);
        assert_false (duplicate);
        assert_int_equal (seq, i + 1);
    }
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 5);

    collected_t seen = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal (seen.seq [i], i + 1);
}

static void
test_store_next_batch_continues_the_seq (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    assert_int_equal (s_append_one (self->store, "north-isd", "b", "north/data"), 2);
    assert_int_equal (s_append_one (self->store, "north-isd", "c", "north/data"), 3);
    assert_int_equal (store_last_seq (self->store), 3);
}

static void
test_store_last_seq_moves_only_at_commit (void **state)
{
    fixture_t *self = *state;
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_int_equal (store_last_seq (self->store), 0);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_store_dedupe_within_batch_returns_first_seq (void **state)
{
    fixture_t *self = *state;
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 1);
    assert_false (duplicate);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 2);
    assert_false (duplicate);

    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 1);
    assert_true (duplicate);

    //  The repeat took no seq: the next new entry is 3, not 4.
    s_publish (self->store, "north-isd", "c", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 3);
    assert_false (duplicate);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 3);

    collected_t seen = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 3);
    assert_memory_equal (seen.envelope [0], "a", 1);
    assert_memory_equal (seen.envelope [1], "b", 1);
    assert_memory_equal (seen.envelope [2], "c", 1);
}

static void
test_store_dedupe_across_batches_returns_first_seq (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    assert_int_equal (s_append_one (self->store, "north-isd", "b", "north/data"), 2);

    uint64_t seq = 0;
    bool duplicate = false;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "a", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (seq, 1);
    assert_true (duplicate);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);

    assert_int_equal (store_last_seq (self->store), 2);
    size_t count = 0;
    collected_t seen = {0};
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 2);
}

static void
test_store_same_id_from_different_partners_is_not_a_duplicate (void **state)
{
    fixture_t *self = *state;
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "x-1", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 1);
    assert_false (duplicate);
    s_publish (self->store, "south-isd", "x-1", "south/data", &seq, &duplicate);
    assert_int_equal (seq, 2);
    assert_false (duplicate);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);

    //  And each keeps its own: a repeat from either finds its own seq.
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "south-isd", "x-1", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (seq, 2);
    assert_true (duplicate);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "x-1", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (seq, 1);
    assert_true (duplicate);
    store_batch_abort (self->store);
}

static void
test_store_abort_rolls_back_and_next_batch_reuses_seqs (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "kept", "north/data"), 1);

    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 2);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 3);
    store_batch_abort (self->store);

    assert_int_equal (store_last_seq (self->store), 1);
    size_t count = 99;
    collected_t seen = {0};
    assert_int_equal (store_read_from (self->store, 2, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 0);

    //  The aborted ids are not remembered, and their seqs are handed out again.
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_false (duplicate);
    assert_int_equal (seq, 2);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_store_fault_on_add_leaves_nothing_stored (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "kept", "north/data"), 1);

    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 2);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "b", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (seq, 3);
    store_inject_fault (self->store, STORE_FAULT_ADD);
    assert_int_equal (
        store_batch_add (self->store, seq, "north-isd", "b", "north/data", 1000, "b", 1),
        CIBUS_ERR_STORE);
    store_batch_abort (self->store);

    assert_int_equal (store_last_seq (self->store), 1);
    size_t count = 99;
    collected_t seen = {0};
    assert_int_equal (store_read_from (self->store, 0, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 1);
    assert_int_equal (seen.seq [0], 1);

    //  The fault fired once: the retry succeeds, under the same seqs.
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_false (duplicate);
    assert_int_equal (seq, 2);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_false (duplicate);
    assert_int_equal (seq, 3);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 3);
}

static void
test_store_fault_on_commit_leaves_nothing_stored (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "kept", "north/data"), 1);

    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    s_publish (self->store, "north-isd", "b", "north/data", &seq, &duplicate);
    assert_int_equal (seq, 3);
    store_inject_fault (self->store, STORE_FAULT_COMMIT);
    assert_int_equal (store_batch_commit (self->store), CIBUS_ERR_STORE);

    assert_int_equal (store_last_seq (self->store), 1);
    size_t count = 99;
    collected_t seen = {0};
    assert_int_equal (store_read_from (self->store, 0, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 1);
    assert_int_equal (seen.seq [0], 1);

    //  The failed commit ended the batch: a new one begins, the ids are new
    //  again and the seqs are reused.
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    assert_false (duplicate);
    assert_int_equal (seq, 2);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_store_add_refuses_a_seq_it_did_not_hand_out (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (
        store_batch_add (self->store, 2, "north-isd", "a", "north/data", 1000, "a", 1),
        CIBUS_ERR_USAGE);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 0);
}

static void
test_store_batch_calls_outside_a_batch_are_usage_errors (void **state)
{
    fixture_t *self = *state;
    uint64_t seq = 0;
    bool duplicate = false;
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "a", &seq, &duplicate),
                      CIBUS_ERR_USAGE);
    assert_int_equal (
        store_batch_add (self->store, 1, "north-isd", "a", "north/data", 1000, "a", 1),
        CIBUS_ERR_USAGE);
    assert_int_equal (store_batch_commit (self->store), CIBUS_ERR_USAGE);
    assert_int_equal (store_last_seq (self->store), 0);
}

static void
test_store_begin_inside_a_batch_is_a_usage_error (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_begin (self->store), CIBUS_ERR_USAGE);
    store_batch_abort (self->store);
}

//  ------------------------------------------------------------ reading

//  Five entries, seqs 1..5, with mixed topics.
static void
s_append_five (store_t *store)
{
    static const char *topics [] = {"north/data", "south/data", "north/note", "northeast/data",
                                    "north/commitment"};
    static const char *ids [] = {"e1", "e2", "e3", "e4", "e5"};
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (store), CIBUS_OK);
    for (size_t i = 0; i < 5; i++) {
        s_publish (store, "north-isd", ids [i], topics [i], &seq, &duplicate);
        assert_int_equal (seq, i + 1);
    }
    assert_int_equal (store_batch_commit (store), CIBUS_OK);
}

static void
test_store_read_from_returns_entries_from_seq_in_order (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 3, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 3);
    assert_int_equal (seen.calls, 3);
    assert_int_equal (seen.seq [0], 3);
    assert_int_equal (seen.seq [1], 4);
    assert_int_equal (seen.seq [2], 5);
    assert_string_equal (seen.topic [0], "north/note");
    assert_string_equal (seen.topic [1], "northeast/data");
    assert_string_equal (seen.topic [2], "north/commitment");
    assert_int_equal (seen.size [0], 2);
    assert_memory_equal (seen.envelope [0], "e3", 2);
}

static void
test_store_read_from_respects_max (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 2, 2, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 2);
    assert_int_equal (seen.calls, 2);
    assert_int_equal (seen.seq [0], 2);
    assert_int_equal (seen.seq [1], 3);
}

static void
test_store_read_from_with_max_zero_reads_nothing (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {0};
    size_t count = 99;
    assert_int_equal (store_read_from (self->store, 1, 0, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 0);
    assert_int_equal (seen.calls, 0);
}

static void
test_store_read_from_past_the_end_reads_nothing (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {0};
    size_t count = 99;
    assert_int_equal (store_read_from (self->store, 6, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 0);
    assert_int_equal (seen.calls, 0);
}

static void
test_store_read_from_returns_envelope_bytes_exactly (void **state)
{
    fixture_t *self = *state;
    //  Embedded NULs and high bytes: the envelope is a blob, not a string.
    static const unsigned char first [] = {0x0a, 0x00, 0xff, 0x00, 0x80, 0x7f, 0x00};
    static const unsigned char second [] = {0x00};
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "a", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (store_batch_add (self->store, seq, "north-isd", "a", "north/data", 1000,
                                       first, sizeof first),
                      CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "b", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (store_batch_add (self->store, seq, "north-isd", "b", "north/data", 1000,
                                       second, sizeof second),
                      CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);

    collected_t seen = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 2);
    assert_int_equal (seen.size [0], sizeof first);
    assert_memory_equal (seen.envelope [0], first, sizeof first);
    assert_int_equal (seen.size [1], sizeof second);
    assert_memory_equal (seen.envelope [1], second, sizeof second);
}

static void
test_store_read_from_stops_when_callback_returns_false (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {.stop_after = 2};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (seen.calls, 2);
    assert_int_equal (count, 2);
    assert_int_equal (seen.seq [0], 1);
    assert_int_equal (seen.seq [1], 2);

    //  The statement was reset: the next read starts afresh.
    collected_t again = {0};
    assert_int_equal (store_read_from (self->store, 4, 100, s_collect, &again, &count), CIBUS_OK);
    assert_int_equal (count, 2);
    assert_int_equal (again.seq [0], 4);
    assert_int_equal (again.seq [1], 5);
}

static void
test_store_topic_prefix_filter_sees_matching_entries_in_order (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    collected_t seen = {.prefix = "north/"};
    size_t count = 0;
    assert_int_equal (store_read_from (self->store, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 5);
    assert_int_equal (seen.kept, 3);
    assert_int_equal (seen.seq [0], 1);
    assert_string_equal (seen.topic [0], "north/data");
    assert_int_equal (seen.seq [1], 3);
    assert_string_equal (seen.topic [1], "north/note");
    assert_int_equal (seen.seq [2], 5);
    assert_string_equal (seen.topic [2], "north/commitment");
}

static void
test_store_uncommitted_entries_are_invisible_to_another_connection (void **state)
{
    fixture_t *self = *state;
    store_t *reader = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (reader);

    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "a", "north/data", &seq, &duplicate);
    collected_t seen = {0};
    size_t count = 99;
    assert_int_equal (store_read_from (reader, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 0);

    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_read_from (reader, 1, 100, s_collect, &seen, &count), CIBUS_OK);
    assert_int_equal (count, 1);
    assert_int_equal (seen.seq [0], 1);
    store_destroy (&reader);
}

//  ------------------------------------------------------------ which copy

static store_partner_t
s_reader (const char *name, role_t role)
{
    store_partner_t reader;
    memset (&reader, 0, sizeof reader);
    snprintf (reader.name, sizeof reader.name, "%s", name);
    reader.role = role;
    return reader;
}

//  The one rule of which copy a reader gets: a data table whole for its
//  owner and the backbone, its masked copy for everyone else; any other
//  entry whole for everyone.
static void
test_store_entry_bytes_picks_the_copy_for_each_reader (void **state)
{
    (void) state;
    static const char whole [] = "whole", masked [] = "masked";
    store_entry_t table = {.seq = 1,
                           .topic = "north/data",
                           .envelope = whole,
                           .size = sizeof whole,
                           .owner = "north-isd",
                           .masked = masked,
                           .masked_size = sizeof masked};
    store_partner_t owner = s_reader ("north-isd", ROLE_PARTNER);
    store_partner_t other = s_reader ("south-isd", ROLE_PARTNER);
    store_partner_t hub = s_reader ("hub", ROLE_BACKBONE);
    store_partner_t feed = s_reader ("feed-co", ROLE_INTEGRATOR);
    size_t size = 0;
    assert_ptr_equal (store_entry_bytes (&table, &owner, &size), whole);
    assert_int_equal (size, sizeof whole);
    assert_ptr_equal (store_entry_bytes (&table, &hub, &size), whole);
    assert_int_equal (size, sizeof whole);
    assert_ptr_equal (store_entry_bytes (&table, &other, &size), masked);
    assert_int_equal (size, sizeof masked);
    assert_ptr_equal (store_entry_bytes (&table, &feed, &size), masked);
    assert_int_equal (size, sizeof masked);

    store_entry_t note = {.seq = 2, .topic = "north/note", .envelope = whole, .size = sizeof whole};
    assert_ptr_equal (store_entry_bytes (&note, &other, &size), whole);
    assert_int_equal (size, sizeof whole);
    assert_ptr_equal (store_entry_bytes (&note, &owner, &size), whole);
    assert_int_equal (size, sizeof whole);
}

//  A data entry without its masked copy fails closed: only the backbone
//  gets it; nobody else gets anything.
static void
test_store_a_data_entry_without_a_masked_copy_goes_to_the_backbone_only (void **state)
{
    (void) state;
    static const char whole [] = "whole";
    store_entry_t entry = {
        .seq = 1, .topic = "north/data", .envelope = whole, .size = sizeof whole};
    store_partner_t partner = s_reader ("north-isd", ROLE_PARTNER);
    store_partner_t hub = s_reader ("hub", ROLE_BACKBONE);
    size_t size = 99;
    assert_null (store_entry_bytes (&entry, &partner, &size));
    assert_int_equal (size, 0);
    assert_ptr_equal (store_entry_bytes (&entry, &hub, &size), whole);
    assert_int_equal (size, sizeof whole);
}

typedef struct {
    size_t count;
    bool owner_seen, masked_seen;
    const store_partner_t *reader;
    size_t sizes [COLLECT_MAX];
} s_copies_t;

static bool
s_copies (const store_entry_t *entry, void *arg)
{
    s_copies_t *self = arg;
    self->owner_seen = self->owner_seen || entry->owner;
    self->masked_seen = self->masked_seen || entry->masked || entry->masked_size;
    size_t size = 0;
    store_entry_bytes (entry, self->reader, &size);
    self->sizes [self->count++] = size;
    return self->count < COLLECT_MAX;
}

//  Entries appended without a table's decision (store_batch_add alone, as
//  the log's own tests do) have no owner and no masked copy: read back,
//  their data entries go to no partner, the rest to everyone.
static void
test_store_read_from_gives_no_masked_copy_without_a_decision (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    store_partner_t partner = s_reader ("north-isd", ROLE_PARTNER);
    s_copies_t seen = {.reader = &partner};
    assert_int_equal (store_read_from (self->store, 1, 100, s_copies, &seen, NULL), CIBUS_OK);
    assert_int_equal (seen.count, 5);
    assert_false (seen.owner_seen);
    assert_false (seen.masked_seen);
    //  north/data, south/data, north/note, northeast/data, north/commitment
    size_t expected [] = {0, 0, 2, 0, 2};
    assert_memory_equal (seen.sizes, expected, sizeof expected);
}

//  ------------------------------------------------------------ reopening

static void
test_store_reopen_keeps_last_seq_and_continues_it (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    store_destroy (&self->store);

    self->store = store_new (self->path, STORE_SYNC_FULL);
    assert_non_null (self->store);
    assert_int_equal (store_last_seq (self->store), 5);
    assert_int_equal (s_append_one (self->store, "north-isd", "e6", "north/data"), 6);
    assert_int_equal (store_last_seq (self->store), 6);
}

static void
test_store_reopen_keeps_dedupe (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    store_destroy (&self->store);

    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    uint64_t seq = 0;
    bool duplicate = false;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "e3", &seq, &duplicate),
                      CIBUS_OK);
    assert_int_equal (seq, 3);
    assert_true (duplicate);
    store_batch_abort (self->store);
}

//  The dedupe key a pair hashes to, computed apart from the store from
//  the secret in the database (harness.h): what a test needs to stand in
//  for a collision, which no one can find without the secret.
static int64_t
s_pair_key (const char *path, const char *partner, const char *id)
{
    const char *const pair [2] = {partner, id};
    int64_t key = 0;
    assert_true (harness_store_hash (path, pair, 2, &key));
    return key;
}

//  The seq the key table holds under key.
static int
s_seq_under_key (const char *path, int64_t key)
{
    char sql [96];
    snprintf (sql, sizeof sql, "SELECT seq FROM log_keys WHERE key = %lld", (long long)key);
    return s_sql_int (path, sql);
}

//  Publish in the open batch and check what the store answered.
static void
s_publish_expect (store_t *store, const char *partner, const char *id, bool duplicate,
                  uint64_t seq)
{
    uint64_t got = 0;
    bool got_duplicate = !duplicate;
    s_publish (store, partner, id, "north/data", &got, &got_duplicate);
    assert_int_equal (got_duplicate, duplicate);
    assert_int_equal (got, seq);
}

//  Taking the key a pair hashes to (as another pair with the same hash
//  would): the new pair is stored under the next key, once; its retries
//  and the other pair's each find their own entry, across a reopen too.
static void
test_store_dedupe_settles_a_taken_key_against_the_log (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    int64_t key_b = s_pair_key (self->path, "north-isd", "b");
    char sql [160];
    snprintf (sql, sizeof sql, "INSERT INTO log_keys (key, seq) VALUES (%lld, 1)",
              (long long)key_b);
    s_sql_exec (self->path, sql);
    //  The store reads which keys the table holds when it first needs a
    //  key, after it opened.
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);

    uint64_t seq = 0;
    assert_int_equal (store_seq_of (self->store, "north-isd", "b", &seq), CIBUS_ERR_NOT_FOUND);
    assert_int_equal (s_append_one (self->store, "north-isd", "b", "north/data"), 2);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_seq_under_key (self->path, (int64_t)((uint64_t)key_b + 1)), 2);

    for (int round = 0; round < 2; round++) {
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        s_publish_expect (self->store, "north-isd", "b", true, 2);
        s_publish_expect (self->store, "north-isd", "a", true, 1);
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        assert_int_equal (store_seq_of (self->store, "north-isd", "b", &seq), CIBUS_OK);
        assert_int_equal (seq, 2);
        store_destroy (&self->store);
        self->store = store_new (self->path, STORE_SYNC_NORMAL);
        assert_non_null (self->store);
    }
    assert_int_equal (store_last_seq (self->store), 2);
}

//  Reopen the store, as after a crash: the keys it held in memory are
//  computed again from the log. Runs of keys freeze at keys.
static void
s_reopen_runs_of (fixture_t *self, uint32_t keys)
{
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, keys);
}

static void
s_reopen_small_runs (fixture_t *self)
{
    s_reopen_runs_of (self, 8);
}

//  The seq each of the first count ids ("e0", "e1", ...) was stored at
//  (id i at seq i + 1), asked of the store and published again.
static void
s_assert_ids_found (store_t *store, int count)
{
    char id [16];
    for (int i = 0; i < count; i++) {
        snprintf (id, sizeof id, "e%d", i);
        uint64_t seq = 0;
        assert_int_equal (store_seq_of (store, "north-isd", id, &seq), CIBUS_OK);
        assert_int_equal (seq, (uint64_t)i + 1);
    }
    assert_int_equal (store_batch_begin (store), CIBUS_OK);
    for (int i = 0; i < count; i += 5) {
        snprintf (id, sizeof id, "e%d", i);
        s_publish_expect (store, "north-isd", id, true, (uint64_t)i + 1);
    }
    store_batch_abort (store);
}

//  The seqs of ids "<prefix><from>" .. "<prefix><to - 1>", each new,
//  published in one batch that commits or is rolled back; the first takes
//  seq first.
static void
s_publish_range (store_t *store, char prefix, int from, int to, uint64_t first, bool commit)
{
    char id [16];
    assert_int_equal (store_batch_begin (store), CIBUS_OK);
    for (int i = from; i < to; i++) {
        snprintf (id, sizeof id, "%c%d", prefix, i);
        s_publish_expect (store, "north-isd", id, false, first + (uint64_t)(i - from));
    }
    if (commit)
        assert_int_equal (store_batch_commit (store), CIBUS_OK);
    else
        store_batch_abort (store);
}

//  Put the key of north-isd's id into log_keys at seq, behind the store.
static void
s_put_key (const char *path, const char *id, long long seq)
{
    char sql [160];
    snprintf (sql, sizeof sql, "INSERT INTO log_keys (key, seq) VALUES (%lld, %lld)",
              (long long)s_pair_key (path, "north-isd", id), seq);
    s_sql_exec (path, sql);
}

//  log_keys holds ids "e0" .. "e<count - 1>" each under its key, at i + 1.
static void
s_assert_keys_written (const char *path, int count)
{
    char id [16];
    for (int i = 0; i < count; i++) {
        snprintf (id, sizeof id, "e%d", i);
        assert_int_equal (s_seq_under_key (path, s_pair_key (path, "north-isd", id)), i + 1);
    }
}

//  The newest dedupe keys are held in memory and written to log_keys in
//  key order, a slice a commit (key_run.c). With runs of 8 keys, 63
//  entries in batches of 7 go through several freezes and slices and two
//  reopens that find keys in memory, as a crash leaves them: after every
//  batch each pair is found at its seq and is a duplicate when published
//  again; a batch rolled back leaves none of its keys; written out, the
//  table holds each key once, at its entry's seq.
static void
test_store_dedupe_keys_in_runs_are_found_written_and_computed_again (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, 8);
    char id [16];
    uint64_t next = 1;
    for (int batch = 0; batch < 9; batch++) {
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        for (int i = 0; i < 7; i++) {
            snprintf (id, sizeof id, "e%d", batch * 7 + i);
            s_publish_expect (self->store, "north-isd", id, false, next++);
        }
        s_publish_expect (self->store, "north-isd", "e0", true, 1);
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        if (batch == 3 || batch == 6)
            s_reopen_small_runs (self);
        s_assert_ids_found (self->store, (batch + 1) * 7);
    }
    //  Written in part, held in part.
    int flushed = s_sql_int (self->path, "SELECT flushed FROM key_runs WHERE name = 'log_keys'");
    int frozen = s_sql_int (self->path, "SELECT frozen FROM key_runs WHERE name = 'log_keys'");
    assert_true (flushed > 0 && flushed <= frozen && frozen <= 63);
    assert_true (key_run_held (self->store->log_run) > 0);
    assert_true (key_run_held (self->store->log_run) < 63);

    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish_expect (self->store, "north-isd", "gone-1", false, 64);
    s_publish_expect (self->store, "north-isd", "gone-2", false, 65);
    store_batch_abort (self->store);
    uint64_t seq = 0;
    assert_int_equal (store_seq_of (self->store, "north-isd", "gone-1", &seq), CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_seq_of (self->store, "north-isd", "gone-2", &seq), CIBUS_ERR_NOT_FOUND);
    s_assert_ids_found (self->store, 63);

    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (key_run_held (self->store->log_run), 0);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 63);
    assert_int_equal (s_sql_int (self->path, "SELECT count(DISTINCT seq) FROM log_keys"), 63);
    s_assert_keys_written (self->path, 63);
    assert_int_equal (s_sql_int (self->path, "SELECT flushed FROM key_runs WHERE name = 'log_keys'"),
                      63);
    s_reopen_small_runs (self);
    assert_int_equal (key_run_held (self->store->log_run), 0);
    s_assert_ids_found (self->store, 63);
}

//  A frozen run is written out by the time the active run fills, in
//  slices spread over the room the active run has left, a reopen
//  included. Runs of 16: entries 1 to 16 freeze, entries 17 to 24 write
//  half of them, and a reopen (as after a crash) holds again the 8 not
//  written and the 8 after them. Entries 25 to 32, in two commits of 4,
//  then fill the active run: with 8 keys left over a room of 8, each
//  commit writes 4, the freeze's included (the frozen run's length over
//  the run's would write 2, and leave 6 to the freeze: on the broker's
//  runs, hundreds of thousands of keys in one commit after a restart).
static void
test_store_dedupe_keys_of_a_reopened_run_are_spread_to_its_freeze (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, 16);
    for (int i = 0; i < 24; i++)
        s_publish_range (self->store, 'e', i, i + 1, (uint64_t)i + 1, true);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 8);
    s_reopen_runs_of (self, 16);
    assert_int_equal (key_run_held (self->store->log_run), 16);
    int written = 8;
    for (int i = 24; i < 32; i += 4) {
        s_publish_range (self->store, 'e', i, i + 4, (uint64_t)i + 1, true);
        int now = s_sql_int (self->path, "SELECT count(*) FROM log_keys");
        assert_int_equal (now - written, 4);
        written = now;
    }
    assert_int_equal (key_run_held (self->store->log_run), 16);
    s_assert_keys_written (self->path, 16);
    s_assert_ids_found (self->store, 32);
}

//  A frozen run is written smallest key first, as the index orders its
//  keys (signed): runs of 256, 256 entries freeze, and a batch of 64
//  after them writes a quarter of the frozen run, which must be its 64
//  smallest keys, negative ones first.
static void
test_store_dedupe_keys_of_a_frozen_run_are_written_smallest_first (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, 256);
    s_publish_range (self->store, 'e', 0, 256, 1, true);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 0);
    s_publish_range (self->store, 'e', 256, 320, 257, true);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 64);
    int64_t keys [256];
    char id [16];
    int negative = 0;
    for (int i = 0; i < 256; i++) {
        snprintf (id, sizeof id, "e%d", i);
        keys [i] = s_pair_key (self->path, "north-isd", id);
        negative += keys [i] < 0;
    }
    //  Hashes: about half negative, which a sort of the unsigned bits
    //  would put last.
    assert_true (negative > 64 && negative < 192);
    //  The 64th smallest key: every key written is at most it, and every
    //  key at most it was written.
    int64_t sorted [256];
    memcpy (sorted, keys, sizeof keys);
    for (int i = 1; i < 256; i++)
        for (int j = i; j > 0 && sorted [j - 1] > sorted [j]; j--) {
            int64_t swap = sorted [j];
            sorted [j] = sorted [j - 1];
            sorted [j - 1] = swap;
        }
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM log_keys WHERE key <= %lld",
              (long long)sorted [63]);
    assert_int_equal (s_sql_int (self->path, sql), 64);
    for (int i = 0; i < 256; i++)
        if (keys [i] <= sorted [63])
            assert_int_equal (s_seq_under_key (self->path, keys [i]), i + 1);
}

//  Slices of more than 64 keys go to the table 64 to a statement (and the
//  rest one by one): runs of 256 keys, 1,000 entries in batches of 100,
//  reopened twice as a crash leaves them (the runs computed again from
//  the log). Every key is written once, at its entry's seq. (Keys a
//  statement meets already written: the next test.)
static void
test_store_dedupe_keys_go_to_their_table_many_to_a_statement (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, 256);
    for (int batch = 0; batch < 10; batch++) {
        s_publish_range (self->store, 'e', batch * 100, batch * 100 + 100,
                         (uint64_t)batch * 100 + 1, true);
        if (batch == 3 || batch == 6)
            s_reopen_runs_of (self, 256);
    }
    assert_true (s_sql_int (self->path, "SELECT count(*) FROM log_keys") > 256);
    s_assert_ids_found (self->store, 1000);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 1000);
    assert_int_equal (s_sql_int (self->path, "SELECT count(DISTINCT seq) FROM log_keys"), 1000);
    s_assert_keys_written (self->path, 1000);
}

//  Keys the table holds already for their own entries (written before a
//  crash) are met by a statement of 64 and by one of one, and the write
//  goes on: each key once, at its entry's seq.
static void
test_store_dedupe_keys_written_before_are_written_again_harmlessly (void **state)
{
    fixture_t *self = *state;
    s_reopen_runs_of (self, 65536);
    s_publish_range (self->store, 'e', 0, 100, 1, true);
    //  e5 is in the first statement of 64; e99 the last, written alone.
    s_put_key (self->path, "e5", 6);
    s_put_key (self->path, "e99", 100);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 100);
    s_assert_keys_written (self->path, 100);
}

//  A key the table holds for another entry stops the write, in a
//  statement of 64 as in one of one: the entry would be found at the
//  other's seq.
static void
test_store_dedupe_key_held_for_another_entry_fails_the_write (void **state)
{
    fixture_t *self = *state;
    for (int at = 0; at < 2; at++) {
        //  e5 is in the first statement of 64; f99 the last, written alone.
        s_reopen_runs_of (self, 65536);
        s_publish_range (self->store, at ? 'f' : 'e', 0, 100, (uint64_t)(100 * at + 1), true);
        s_put_key (self->path, at ? "f99" : "e5", 999999);
        assert_int_equal (store_keys_flush (self->store), CIBUS_ERR_STORE);
        //  Nothing of the failed write stays; without the other entry's
        //  key, the same keys are written.
        assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 100 * at + 1);
        s_sql_exec (self->path, "DELETE FROM log_keys WHERE seq = 999999");
        assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
        assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 100 * (at + 1));
    }
}

//  A key from an index, spread as a hash spreads keys.
static int64_t
s_spread (uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (int64_t)(x ^ (x >> 31));
}

//  A run held in memory finds every seq of every key it holds, and none
//  of a key it does not, through the growth of its hash and a rollback:
//  5,000 keys, every tenth given a second seq, then 500 more rolled back.
static void
test_store_key_run_finds_every_seq_of_every_key (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_t *run = self->store->log_run;
    key_run_set_keys (run, 65536);
    key_run_begin (run);
    uint64_t seq = 1;
    for (uint64_t i = 0; i < 5000; i++) {
        assert_true (key_run_add (run, s_spread (i), seq++));
        if (i % 10 == 0)
            assert_true (key_run_add (run, s_spread (i), seq++));
    }
    key_run_commit (run);
    key_run_begin (run);
    for (uint64_t i = 5000; i < 5500; i++)
        assert_true (key_run_add (run, s_spread (i), seq++));
    key_run_abort (run);
    uint64_t seqs [4];
    uint64_t expected = 1;
    for (uint64_t i = 0; i < 5000; i++) {
        size_t want = i % 10 == 0 ? 2 : 1;
        assert_int_equal (key_run_find (run, s_spread (i), seqs, 4), want);
        uint64_t low = seqs [0] < seqs [want - 1] ? seqs [0] : seqs [want - 1];
        uint64_t high = seqs [0] < seqs [want - 1] ? seqs [want - 1] : seqs [0];
        assert_int_equal (low, expected);
        assert_int_equal (high, expected + want - 1);
        expected += want;
    }
    for (uint64_t i = 5000; i < 10000; i++)
        assert_int_equal (key_run_find (run, s_spread (i), seqs, 4), 0);
    assert_int_equal (key_run_held (run), 5500);
}

//  A partner's usage as the store says it, and as the log sums it.
static uint64_t
s_usage (store_t *store, const char *partner)
{
    uint64_t bytes = 0;
    assert_int_equal (store_partner_usage (store, partner, &bytes), CIBUS_OK);
    return bytes;
}

static uint64_t
s_usage_in_log (const char *path, const char *partner)
{
    char *sql = sqlite3_mprintf ("SELECT COALESCE (sum (length (envelope)), 0) FROM log "
                                 "WHERE partner = %Q",
                                 partner);
    uint64_t bytes = (uint64_t)s_sql_int (path, sql);
    sqlite3_free (sql);
    return bytes;
}

//  The bytes each partner stored are kept as its entries are added (an
//  entry here holds its id): summed in the batch, counted with it before
//  its commit, kept by its commit, forgotten by its rollback, as the log
//  sums them after a reopen. A batch of more partners than the sums hold
//  at once (1,100) and a name too long to hold are counted as well, and
//  a batch of them rolled back leaves nothing.
static void
test_store_partner_usage_is_what_each_partner_stored (void **state)
{
    fixture_t *self = *state;
    uint64_t seq;
    bool duplicate;
    assert_int_equal (s_usage (self->store, "north-isd"), 0);
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "n-1", "north/data", &seq, &duplicate);
    s_publish (self->store, "south-isd", "s-22", "south/data", &seq, &duplicate);
    s_publish (self->store, "north-isd", "n-333", "north/data", &seq, &duplicate);
    assert_int_equal (s_usage (self->store, "north-isd"), 3 + 5);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (s_usage (self->store, "north-isd"), 8);
    assert_int_equal (s_usage (self->store, "south-isd"), 4);

    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish (self->store, "north-isd", "n-4444", "north/data", &seq, &duplicate);
    store_batch_abort (self->store);
    assert_int_equal (s_usage (self->store, "north-isd"), 8);

    //  1,100 partners of one entry each in a batch rolled back, then in
    //  one that commits; and a name longer than a partner's may be.
    char name [CIBUS_MAX_NAME + 8], id [32];
    for (int commit = 0; commit < 2; commit++) {
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        for (int i = 0; i < 1100; i++) {
            snprintf (name, sizeof name, "p%d", i);
            snprintf (id, sizeof id, "x%d-%d", commit, i % 7);
            s_publish (self->store, name, id, "north/data", &seq, &duplicate);
        }
        memset (name, 'l', CIBUS_MAX_NAME + 1);
        name [CIBUS_MAX_NAME + 1] = 0;
        s_publish (self->store, name, "long", "north/data", &seq, &duplicate);
        s_publish (self->store, name, "longer", "north/data", &seq, &duplicate);
        if (commit)
            assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        else
            store_batch_abort (self->store);
        assert_int_equal (s_usage (self->store, "p0"), commit ? 4 : 0);
        assert_int_equal (s_usage (self->store, "p1099"), commit ? 4 : 0);
        assert_int_equal (s_usage (self->store, name), commit ? 4 + 6 : 0);
    }
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    const char *partners [] = {"north-isd", "south-isd", "p0", "p517", "p1099", name};
    for (size_t i = 0; i < sizeof partners / sizeof partners [0]; i++)
        assert_int_equal (s_usage (self->store, partners [i]),
                          s_usage_in_log (self->path, partners [i]));
    assert_int_equal (s_usage (self->store, "north-isd"), 8);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM partner_usage"), 2 + 1100 + 1);
}

//  Migration 14 sums what each partner stored from the log.
static void
test_store_migration_14_sums_each_partner_s_usage (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    assert_int_equal (s_append_one (self->store, "west-isd", "w-1", "west/data"), 6);
    store_destroy (&self->store);
    s_sql_exec (self->path, SCHEMA_UNDO_14 "PRAGMA user_version = 13;");
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    const char *partners [] = {"north-isd", "west-isd"};
    for (size_t i = 0; i < sizeof partners / sizeof partners [0]; i++) {
        assert_true (s_usage_in_log (self->path, partners [i]) > 0);
        assert_int_equal (s_usage (self->store, partners [i]),
                          s_usage_in_log (self->path, partners [i]));
    }
    assert_int_equal (s_usage (self->store, "nobody"), 0);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE name = 'log_partner'"), 0);
}

//  Whether ids "g<from>" .. "g<to - 1>" are each found at seq first + i
//  (found), or none is found (!found).
static void
s_assert_range (store_t *store, int from, int to, uint64_t first, bool found)
{
    char id [16];
    for (int i = from; i < to; i++) {
        snprintf (id, sizeof id, "g%d", i);
        uint64_t seq = 0;
        assert_int_equal (store_seq_of (store, "north-isd", id, &seq),
                          found ? CIBUS_OK : CIBUS_ERR_NOT_FOUND);
        if (found)
            assert_int_equal (seq, first + (uint64_t)(i - from));
    }
}

//  A store that is not the broker's holds no key in memory until it
//  needs one (a command that only reads the registry never reads the
//  keys), and its runs start small and grow as they fill: 2,500 entries
//  in batches of 500 grow them twice; a batch of 2,000 that grows them
//  again mid-batch and is rolled back leaves none of its keys, and every
//  earlier key is still found. Reopened, the keys held in memory only
//  (none is in log_keys yet) are found at the first lookup.
static void
test_store_keys_wait_for_their_first_use_and_grow_as_they_fill (void **state)
{
    fixture_t *self = *state;
    assert_null (self->store->log_run);
    assert_null (self->store->table_run);
    for (int from = 0; from < 2500; from += 500)
        s_publish_range (self->store, 'g', from, from + 500, (uint64_t)from + 1, true);
    assert_non_null (self->store->log_run);
    assert_int_equal (key_run_held (self->store->log_run), 2500);
    s_publish_range (self->store, 'g', 2500, 4500, 2501, false);
    s_assert_range (self->store, 2500, 4500, 0, false);
    s_assert_range (self->store, 0, 2500, 1, true);
    assert_int_equal (key_run_held (self->store->log_run), 2500);
    s_publish_range (self->store, 'g', 2500, 4500, 2501, true);

    store_destroy (&self->store);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 0);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_null (self->store->log_run);
    s_assert_range (self->store, 0, 4500, 1, true);
    assert_int_equal (key_run_held (self->store->log_run), 4500);
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish_expect (self->store, "north-isd", "g4499", true, 4500);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
}

//  The filter in front of a key table (key_filter.c) never says a key it
//  was given is absent, and says so of few it was not given: at the size
//  it was made for, under 3 % of 200,000 others (about 1 % expected).
static void
test_store_key_filter_never_misses_a_key_and_rarely_claims_one (void **state)
{
    (void)state;
    key_filter_t *filter = key_filter_new (100000);
    assert_non_null (filter);
    assert_true (key_filter_bytes (filter) >= 100000 * 10 / 8);
    //  Keys spread as the store's hashes are: SipHash under a secret.
    unsigned char secret [crypto_shorthash_KEYBYTES] = {7};
    int64_t *keys = calloc (300000, sizeof *keys);
    assert_non_null (keys);
    for (uint32_t i = 0; i < 300000; i++) {
        unsigned char out [crypto_shorthash_BYTES];
        crypto_shorthash (out, (const unsigned char *)&i, sizeof i, secret);
        memcpy (&keys [i], out, sizeof keys [i]);
    }
    for (int i = 0; i < 100000; i++)
        key_filter_add (filter, keys [i]);
    for (int i = 0; i < 100000; i++)
        assert_true (key_filter_may_hold (filter, keys [i]));
    int claimed = 0;
    for (int i = 100000; i < 300000; i++)
        claimed += key_filter_may_hold (filter, keys [i]);
    print_message ("the filter claimed %d of 200000 keys it was not given\n", claimed);
    assert_true (claimed < 200000 * 3 / 100);
    free (keys);
    key_filter_destroy (&filter);
    key_filter_destroy (&filter);
}

//  A run of taken keys is bounded: past it the publish fails, whole, and
//  nothing is stored twice or under a key that would hide it.
static void
test_store_dedupe_bounds_a_run_of_taken_keys (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    int64_t key_b = s_pair_key (self->path, "north-isd", "b");
    for (uint64_t i = 0; i < 64; i++) {
        char sql [160];
        snprintf (sql, sizeof sql, "INSERT INTO log_keys (key, seq) VALUES (%lld, 1)",
                  (long long)(int64_t)((uint64_t)key_b + i));
        s_sql_exec (self->path, sql);
    }
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    uint64_t seq = 0;
    bool duplicate = false;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "b", &seq, &duplicate),
                      CIBUS_ERR_STORE);
    store_batch_abort (self->store);
    assert_int_equal (store_seq_of (self->store, "north-isd", "b", &seq), CIBUS_ERR_STORE);
    assert_int_equal (store_last_seq (self->store), 1);
    //  Other pairs are not held up by it.
    assert_int_equal (s_append_one (self->store, "north-isd", "c", "north/data"), 2);
}

//  An add of a pair already stored is refused, whatever was reserved, and
//  leaves nothing behind: the key table, like the unique index before it,
//  never holds a pair twice.
static void
test_store_add_refuses_a_pair_already_stored (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    //  Reserved for "b", added as "a".
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "b", &seq, &duplicate),
                      CIBUS_OK);
    assert_false (duplicate);
    assert_int_equal (store_batch_add (self->store, seq, "north-isd", "a", "north/data", 1000,
                                       "a", 1),
                      CIBUS_ERR_STORE);
    //  Refused whole, before anything was written: the seq is still free
    //  for the pair that was reserved.
    assert_int_equal (store_batch_add (self->store, seq, "north-isd", "b", "north/data", 1000,
                                       "b", 1),
                      CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 2);
    assert_int_equal (s_seq_under_key (self->path, s_pair_key (self->path, "north-isd", "b")), 2);
}

//  A publish refused between its reserve and its add (as a rule refuses
//  one) places nothing: the pairs added after it, and the same pair
//  published again in the batch, each keep a key of their own.
static void
test_store_a_pair_refused_after_its_reserve_keys_nothing (void **state)
{
    fixture_t *self = *state;
    uint64_t seq = 0;
    bool duplicate = true;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_batch_reserve (self->store, "north-isd", "a", &seq, &duplicate),
                      CIBUS_OK);
    assert_false (duplicate);
    assert_int_equal (seq, 1);
    s_publish_expect (self->store, "north-isd", "b", false, 1);
    s_publish_expect (self->store, "north-isd", "a", false, 2);
    s_publish_expect (self->store, "north-isd", "b", true, 1);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 2);
    assert_int_equal (s_seq_under_key (self->path, s_pair_key (self->path, "north-isd", "a")), 2);
    assert_int_equal (s_seq_under_key (self->path, s_pair_key (self->path, "north-isd", "b")), 1);
}

//  Put the envelope a broker would deliver, at seq, into the replica's
//  open batch: no body, so only the log and its key hold it.
static cibus_err_t
s_replicate (store_t *store, uint64_t seq, const char *partner, const char *id)
{
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.has_seq = true;
    env.seq = seq;
    env.topic = "north/note";
    env.partner = (char *)partner;
    env.id = (char *)id;
    env.has_received_at = true;
    env.received_at = 1000;
    uint8_t bytes [256];
    assert_true (cibus__envelope__get_packed_size (&env) <= sizeof bytes);
    size_t size = cibus__envelope__pack (&env, bytes);
    return store_replicate (store, bytes, size, NULL);
}

//  A data table delivered without its indicator or period (which the
//  broker never sends) is malformed to a replica: refused whole, nothing
//  of it stored, and no crash on the names its key is made of.
//  The envelope a broker would deliver of north-isd's table (indicator,
//  period; version when not 0; a total of 168/410) at seq under id, into
//  bytes (room for 256).
static size_t
s_pack_table (uint8_t *bytes, uint64_t seq, const char *id, const char *indicator,
              const char *period, uint32_t version)
{
    Cibus__DataCell total = CIBUS__DATA_CELL__INIT;
    total.has_numerator = total.has_denominator = true;
    total.numerator = 168;
    total.denominator = 410;
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = (char *)indicator;
    data.period = (char *)period;
    data.has_version = version > 0;
    data.version = version;
    data.total = &total;
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.has_seq = true;
    env.seq = seq;
    env.topic = "north/data";
    env.partner = "north-isd";
    env.id = (char *)id;
    env.has_received_at = true;
    env.received_at = 1000;
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    assert_true (cibus__envelope__get_packed_size (&env) <= 256);
    return cibus__envelope__pack (&env, bytes);
}

static void
test_store_a_replica_refuses_a_table_without_its_names (void **state)
{
    fixture_t *self = *state;
    for (int absent = 0; absent < 3; absent++) {
        const char *indicator = absent & 1 ? NULL : "k3";
        const char *period = absent & 2 ? NULL : "2026-Q3";
        if (absent == 0)
            indicator = period = NULL;
        uint8_t bytes [256];
        size_t size = s_pack_table (bytes, 4, "t1", indicator, period, 0);
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        assert_int_equal (store_replicate (self->store, bytes, size, NULL), CIBUS_ERR_MALFORMED);
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    }
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 0);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables"), 0);
}

//  A replica refuses a name longer than a name may be, as its partner or
//  as its table's owner, rather than store it cut in the log row and
//  whole in the copy; a name of the most a name may be is stored whole.
static void
test_store_a_replica_refuses_a_name_too_long (void **state)
{
    fixture_t *self = *state;
    char longest [CIBUS_MAX_NAME + 2];
    memset (longest, 'o', sizeof longest - 1);
    longest [sizeof longest - 1] = 0;
    for (int c = 0; c < 4; c++) {
        uint8_t bytes [256];
        size_t size = s_pack_table (bytes, 4 + (uint64_t)c, c < 2 ? "t1" : "t2", "k3",
                                    c < 2 ? "2026-Q3" : "2026-Q4", 0);
        envelope_t *env = codec_envelope_decode (bytes, size);
        assert_non_null (env);
        //  c: 0 and 1 a partner of one more than the most and of the most,
        //  2 and 3 an owner of the same.
        longest [CIBUS_MAX_NAME] = c % 2 == 0 ? 'o' : 0;
        char *partner = env->partner, *owner = env->data->owner;
        if (c < 2) {
            env->partner = longest;
            env->data->owner = "north-isd";
        } else
            env->data->owner = longest;
        codec_buf_t buf = {0};
        assert_int_equal (codec_pack_envelope (env, &buf), CIBUS_OK);
        env->partner = partner;
        env->data->owner = owner;
        codec_envelope_free (env);
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        assert_int_equal (store_replicate (self->store, buf.data, buf.size, NULL),
                          c % 2 == 0 ? CIBUS_ERR_MALFORMED : CIBUS_OK);
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        codec_buf_release (&buf);
    }
    //  The partner's case publishes for north-isd; the owner's is
    //  published by north-isd.
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log WHERE seq = 5 AND "
                                             "length (partner) = 128 AND owner = 'north-isd'"),
                      1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables WHERE seq = 7 AND "
                                             "publisher = 'north-isd' AND length (owner) = 128"),
                      1);
}

//  A replica that reads the log after a table's correction is delivered
//  its first version as the marker the broker made of it (superseded, no
//  cells) and then the correction: the marker's row is of version 1 and
//  not current, the correction's of version 2 and current, each of its
//  entry's owner and publisher, and only the correction's cells are read.
static void
test_store_a_replica_stores_a_marker_not_current (void **state)
{
    fixture_t *self = *state;
    Cibus__DataSubmission marker = CIBUS__DATA_SUBMISSION__INIT;
    marker.indicator = "k3";
    marker.period = "2026-Q3";
    marker.has_version = marker.has_masked = marker.has_superseded = true;
    marker.version = 1;
    marker.masked = marker.superseded = true;
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.has_seq = env.has_received_at = true;
    env.seq = 1;
    env.received_at = 1000;
    env.topic = "north/data";
    env.partner = "north-isd";
    env.id = "t1";
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &marker;
    uint8_t bytes [256];
    assert_true (cibus__envelope__get_packed_size (&env) <= sizeof bytes);
    size_t size = cibus__envelope__pack (&env, bytes);
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_replicate (self->store, bytes, size, NULL), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    //  Not current even before the correction arrives.
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables WHERE seq = 1 "
                                             "AND current = 0"),
                      1);
    size = s_pack_table (bytes, 2, "t2", "k3", "2026-Q3", 2);
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (store_replicate (self->store, bytes, size, NULL), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables"), 2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables WHERE seq = 1 "
                                             "AND version = 1 AND current = 0 AND owner = "
                                             "'north-isd' AND publisher = 'north-isd'"),
                      1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables WHERE seq = 2 "
                                             "AND version = 2 AND current = 1 AND owner = "
                                             "'north-isd' AND publisher = 'north-isd'"),
                      1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_values "
                                             "WHERE current = 1 AND seq = 2"),
                      1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_values "
                                             "WHERE current = 1 AND seq = 1"),
                      0);
}

//  A replica delivered more versions of one table than a table may have
//  (which no broker sends: it keeps CIBUS_MAX_VERSIONS) refuses the one
//  past them as a store failure, as the broker refuses it, and stores
//  nothing of it.
static void
test_store_a_replica_refuses_a_version_past_the_most_a_table_may_have (void **state)
{
    fixture_t *self = *state;
    for (int v = 1; v <= CIBUS_MAX_VERSIONS + 1; v++) {
        char id [16];
        snprintf (id, sizeof id, "t%d", v);
        uint8_t bytes [256];
        size_t size = s_pack_table (bytes, (uint64_t)v, id, "k3", "2026-Q3", (uint32_t)v);
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        cibus_err_t err = store_replicate (self->store, bytes, size, NULL);
        if (v <= CIBUS_MAX_VERSIONS) {
            assert_int_equal (err, CIBUS_OK);
            assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        } else {
            assert_int_equal (err, CIBUS_ERR_STORE);
            store_batch_abort (self->store);
        }
    }
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), CIBUS_MAX_VERSIONS);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables"),
                      CIBUS_MAX_VERSIONS);
}

//  A replicated table of as many cells as a table may have is stored with
//  every one of them; one of more (which no broker sends) is refused as
//  malformed, and nothing of it is stored.
static void
test_store_a_replica_stores_every_cell_and_refuses_too_many (void **state)
{
    fixture_t *self = *state;
    static Cibus__DataCell cell [CIBUS_MAX_CELLS + 1];
    static Cibus__DataCell *cells [CIBUS_MAX_CELLS + 1];
    static Cibus__Dimension dim [CIBUS_MAX_CELLS + 1];
    static Cibus__Dimension *dims [CIBUS_MAX_CELLS + 1];
    static char names [CIBUS_MAX_CELLS + 1][16];
    for (size_t i = 0; i <= CIBUS_MAX_CELLS; i++) {
        cibus__dimension__init (&dim [i]);
        snprintf (names [i], sizeof names [i], "g%zu", i);
        dim [i].key = "group";
        dim [i].value = names [i];
        dims [i] = &dim [i];
        cibus__data_cell__init (&cell [i]);
        cell [i].n_dimensions = 1;
        cell [i].dimensions = &dims [i];
        cell [i].has_n = true;
        cell [i].n = 20;
        cells [i] = &cell [i];
    }
    Cibus__DataCell total = CIBUS__DATA_CELL__INIT;
    total.has_n = true;
    total.n = 20 * (CIBUS_MAX_CELLS + 1);
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "enrolled";
    data.period = "2026-27";
    data.total = &total;
    data.cells = cells;
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.has_seq = env.has_received_at = true;
    env.received_at = 1000;
    env.topic = "north/data";
    env.partner = "north-isd";
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    for (int more = 0; more < 2; more++) {
        data.n_cells = CIBUS_MAX_CELLS + (size_t)more;
        env.seq = 1 + (uint64_t)more;
        env.id = more ? "too-many" : "as-many";
        data.unit = more ? "b" : "a";
        codec_buf_t buf = {0};
        assert_int_equal (codec_pack_envelope (&env, &buf), CIBUS_OK);
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        assert_int_equal (store_replicate (self->store, buf.data, buf.size, NULL),
                          more ? CIBUS_ERR_MALFORMED : CIBUS_OK);
        if (more)
            store_batch_abort (self->store);
        else
            assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        codec_buf_release (&buf);
    }
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_values"),
                      CIBUS_MAX_CELLS + 1);
    assert_int_equal (s_sql_int (self->path, "SELECT max (cell) FROM data_values"),
                      CIBUS_MAX_CELLS - 1);
}

//  The broker's runs are a sixteenth of its log long, in powers of two
//  from KEY_RUN_KEYS_SMALL to KEY_RUN_KEYS, and lengthen with the log at
//  a freeze. A store with the broker's runs is delivered entries past seq
//  3,000,000 (as a replica may be, which keeps the seqs it is given): at
//  the first freeze its runs take the room for 262,144 keys, and every
//  entry is still found, across a reopen too.
static void
test_store_broker_runs_lengthen_with_the_log (void **state)
{
    assert_int_equal (key_run_keys_for (0), KEY_RUN_KEYS_SMALL);
    assert_int_equal (key_run_keys_for (1000000), KEY_RUN_KEYS_SMALL);
    assert_int_equal (key_run_keys_for (1100000), 2 * KEY_RUN_KEYS_SMALL);
    assert_int_equal (key_run_keys_for (3100000), 262144);
    assert_int_equal (key_run_keys_for (10000000), KEY_RUN_KEYS);
    assert_int_equal (key_run_keys_for (UINT64_MAX), KEY_RUN_KEYS);

    fixture_t *self = *state;
    assert_int_equal (store_keys_load (self->store, true), CIBUS_OK);
    assert_int_equal (key_run_keys (self->store->log_run), KEY_RUN_KEYS_SMALL);
    key_run_set_keys (self->store->log_run, 4);
    char id [16];
    for (int batch = 0; batch < 4; batch++) {
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        for (int i = 0; i < 3; i++) {
            int n = batch * 3 + i;
            snprintf (id, sizeof id, "r%d", n);
            assert_int_equal (s_replicate (self->store, 3000001 + (uint64_t)n, "north-isd", id),
                              CIBUS_OK);
        }
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        //  Frozen at the second commit (6 keys of 4), lengthened then.
        assert_int_equal (key_run_keys (self->store->log_run),
                          batch == 0 ? 4u : key_run_keys_for (3000006));
    }
    for (int reopen = 0; reopen < 2; reopen++) {
        for (int n = 0; n < 12; n++) {
            snprintf (id, sizeof id, "r%d", n);
            uint64_t seq = 0;
            assert_int_equal (store_seq_of (self->store, "north-isd", id, &seq), CIBUS_OK);
            assert_int_equal (seq, 3000001 + (uint64_t)n);
        }
        store_destroy (&self->store);
        self->store = store_new (self->path, STORE_SYNC_NORMAL);
        assert_non_null (self->store);
        assert_int_equal (store_keys_load (self->store, true), CIBUS_OK);
        assert_int_equal (key_run_keys (self->store->log_run), key_run_keys_for (3000012));
    }
}

//  A replica keys what it is delivered, seqs with gaps and all, so that it
//  finds an entry by partner and id as the broker does, and it refuses a
//  pair delivered again under another seq.
static void
test_store_a_replica_keys_every_entry_it_is_delivered (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (s_replicate (self->store, 3, "north-isd", "a"), CIBUS_OK);
    assert_int_equal (s_replicate (self->store, 7, "south-isd", "a"), CIBUS_OK);
    assert_int_equal (s_replicate (self->store, 9, "north-isd", "b"), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 3);
    static const struct {
        const char *partner, *id;
        uint64_t seq;
    } stored [] = {{"north-isd", "a", 3}, {"south-isd", "a", 7}, {"north-isd", "b", 9}};
    for (size_t i = 0; i < sizeof stored / sizeof stored [0]; i++) {
        uint64_t seq = 0;
        assert_int_equal (store_seq_of (self->store, stored [i].partner, stored [i].id, &seq),
                          CIBUS_OK);
        assert_int_equal (seq, stored [i].seq);
    }
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (s_replicate (self->store, 12, "north-isd", "a"), CIBUS_ERR_STORE);
    store_batch_abort (self->store);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 3);
}

//  ------------------------------------------------------------ migrations

static void
test_store_migrates_a_database_at_version_zero (void **state)
{
    fixture_t *self = *state;
    //  A database the store has never seen: user_version 0, and a table of
    //  someone else's that the migration must leave alone.
    s_sql_exec (self->path,
                "CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (7);");
    assert_int_equal (s_sql_int (self->path, "PRAGMA user_version"), 0);

    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (store_last_seq (self->store), 0);
    assert_int_equal (s_append_one (self->store, "north-isd", "a", "north/data"), 1);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT x FROM unrelated"), 7);
}

static void
test_store_migrates_an_empty_file (void **state)
{
    fixture_t *self = *state;
    FILE *file = fopen (self->path, "w");
    assert_non_null (file);
    fclose (file);

    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (store_last_seq (self->store), 0);
}

//  A database at version 3, as the migrations of store.c left it, with a
//  data value of the cell-by-cell projection in it.
static const char *s_version_3 =
    "CREATE TABLE log (seq INTEGER PRIMARY KEY, partner TEXT NOT NULL, id TEXT NOT NULL,"
    "  topic TEXT NOT NULL, received_at INTEGER NOT NULL, envelope BLOB NOT NULL);"
    "CREATE UNIQUE INDEX log_partner_id ON log (partner, id);"
    "CREATE TABLE partners (name TEXT PRIMARY KEY, public_key TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('backbone', 'partner', 'integrator')),"
    "  added_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')));"
    "CREATE TABLE partner_networks ("
    "  partner TEXT NOT NULL REFERENCES partners (name) ON DELETE CASCADE,"
    "  network TEXT NOT NULL, PRIMARY KEY (partner, network));"
    "CREATE TABLE indicators (id TEXT NOT NULL, version INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL UNIQUE, PRIMARY KEY (id, version));"
    "CREATE TABLE data_values (seq INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
    "  network TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL,"
    "  dims_key TEXT NOT NULL, dim_count INTEGER NOT NULL, dim_key TEXT, dim_value TEXT,"
    "  value REAL, n INTEGER, numerator INTEGER, denominator INTEGER,"
    "  status INTEGER NOT NULL, source TEXT, extracted_on TEXT,"
    "  received_at INTEGER NOT NULL, current INTEGER NOT NULL CHECK (current IN (0, 1)));"
    "CREATE UNIQUE INDEX data_values_cell ON data_values (partner, indicator, period, dims_key)"
    "  WHERE current = 1;"
    "CREATE INDEX data_values_indicator ON data_values (indicator, period) WHERE current = 1;"
    "CREATE TABLE notes (seq INTEGER PRIMARY KEY, partner TEXT NOT NULL, network TEXT NOT NULL,"
    "  title TEXT NOT NULL, held_on TEXT NOT NULL, decisions TEXT NOT NULL DEFAULT '[]');"
    "CREATE INDEX notes_held_on ON notes (held_on);"
    "CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE commitments (id TEXT NOT NULL, owner TEXT NOT NULL, network TEXT NOT NULL,"
    "  action TEXT NOT NULL, due TEXT NOT NULL, status INTEGER NOT NULL, comment TEXT,"
    "  created_seq INTEGER NOT NULL, updated_seq INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, PRIMARY KEY (network, id));"
    "CREATE INDEX commitments_due ON commitments (due);"
    "INSERT INTO log VALUES (1, 'north-isd', 'd1', 'north/data', 0, x'0a');"
    "INSERT INTO data_values (seq, partner, network, indicator, period, dims_key, dim_count,"
    "  value, n, status, received_at, current)"
    "  VALUES (1, 'north-isd', 'north', 'k3', '2026-Q1', '', 0, 61, 400, 1, 0, 1);"
    "PRAGMA user_version = 3;";

//  Migration 4 replaces the cell-by-cell projection of data (no deployed log
//  holds a cell: tables came with protocol version 3) and adds the tables'
//  own; the log is kept whole.
static void
test_store_migration_4_replaces_the_projection_of_cells (void **state)
{
    fixture_t *self = *state;
    s_sql_exec (self->path, s_version_3);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (store_last_seq (self->store), 1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_values"), 0);
    //  The new projection: a row per cell of each version, with its mark.
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM pragma_table_info ('data_values') "
                               "WHERE name IN ('cell', 'version', 'mark', 'size_shown', "
                               "'publisher', 'unit')"),
        6);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND "
                               "name = 'partner_feeds') OR (type = 'view' AND "
                               "name = 'data_tables')"),
        2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM pragma_table_info "
                                             "('log') WHERE name IN ('owner', 'masked')"),
                      2);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 5 names a note by its id within its network, as a commitment
//  is: the notes already projected take their ids from the log, and a
//  commitment gains the note and the decision it came from (none, for the
//  commitments made before).
static void
test_store_migration_5_gives_notes_their_ids (void **state)
{
    fixture_t *self = *state;
    s_sql_exec (self->path, s_version_3);
    s_sql_exec (self->path,
                "INSERT INTO log VALUES (2, 'north-isd', 'n7', 'north/note', 0, x'0a');"
                "INSERT INTO notes (seq, partner, network, title, held_on, decisions)"
                "  VALUES (2, 'north-isd', 'north', 'kickoff', '2026-01-10', '[\"go\"]');"
                "INSERT INTO log VALUES (3, 'north-isd', 'c1', 'north/commitment', 0, x'0a');"
                "INSERT INTO commitments VALUES ('c1', 'north-isd', 'north', 'act', "
                "  '2026-02-01', 1, NULL, 3, 3, 0);");
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM notes WHERE seq = 2 AND "
                                             "id = 'n7' AND network = 'north'"),
                      1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM commitments WHERE id = 'c1' "
                                             "AND from_note IS NULL AND decision IS NULL"),
                      1);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                               "name IN ('notes_id', 'commitments_from_note')"),
        2);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  The text of one column of every row a query returns, joined by '|', on
//  a connection of our own (into text, of size bytes).
static void
s_sql_rows (const char *path, const char *sql, char *text, size_t size)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    size_t used = 0;
    text [0] = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        const unsigned char *row = sqlite3_column_text (stmt, 0);
        used += (size_t)snprintf (text + used, size - used, "%s|", row ? (const char *)row : "-");
        assert_true (used < size);
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

//  Every column of data_values, as one text per row.
#define S_VALUES_ROW                                                                          \
    "SELECT '' || quote (seq) || quote (cell) || quote (partner) || quote (publisher) "         \
    "|| quote (network) || quote (indicator) || quote (period) || quote (unit) "                \
    "|| quote (version) || quote (dims_key) || quote (dim_count) || quote (dim_key) "           \
    "|| quote (dim_value) || quote (value) || quote (n) || quote (numerator) "                  \
    "|| quote (denominator) || quote (suppressed) || quote (mark) || quote (low) "              \
    "|| quote (high) || quote (size_shown) || quote (status) || quote (source) "                \
    "|| quote (extracted_on) || quote (received_at) || quote (current) "                        \
    "FROM data_values ORDER BY seq, cell"

//  Migration 7 splits the cells' projection in two - what a version's cells
//  share, once, in data_tables; each cell's own in data_cells - and makes
//  data_values the view that joins them; 12 and 13 pack each version's
//  rows of data_cells into its own row: every row reads as it did.
static void
test_store_migrations_7_and_12_keep_every_row_of_data_values (void **state)
{
    fixture_t *self = *state;
    store_destroy (&self->store);
    //  The version 6 layout of the two tables, as migration 4 made it (and
    //  the log's index of version 7), with
    //  a table in two versions: the first superseded, each a total and a cell.
    s_sql_exec (
        self->path,
        SCHEMA_UNDO_14 "DROP TABLE key_runs; DROP TABLE table_keys; DROP TABLE log_keys;"
        "DROP TABLE log_key_secret; DROP INDEX log_partner; CREATE UNIQUE INDEX log_partner_id ON log (partner, id);"
        "DROP VIEW data_values; DROP TABLE data_tables;"
        "CREATE TABLE data_values (seq INTEGER NOT NULL, cell INTEGER NOT NULL,"
        "  partner TEXT NOT NULL, publisher TEXT NOT NULL, network TEXT NOT NULL,"
        "  indicator TEXT NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL,"
        "  version INTEGER NOT NULL, dims_key TEXT NOT NULL, dim_count INTEGER NOT NULL,"
        "  dim_key TEXT, dim_value TEXT, value REAL, n INTEGER, numerator INTEGER,"
        "  denominator INTEGER, suppressed INTEGER NOT NULL, mark INTEGER NOT NULL, low REAL,"
        "  high REAL, size_shown INTEGER NOT NULL, status INTEGER NOT NULL, source TEXT,"
        "  extracted_on TEXT, received_at INTEGER NOT NULL,"
        "  current INTEGER NOT NULL CHECK (current IN (0, 1)), PRIMARY KEY (seq, cell));"
        "CREATE INDEX data_values_indicator ON data_values (indicator, period) WHERE current = 1;"
        "CREATE TABLE data_tables (network TEXT NOT NULL, owner TEXT NOT NULL,"
        "  unit TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL,"
        "  version INTEGER NOT NULL, seq INTEGER NOT NULL UNIQUE,"
        "  PRIMARY KEY (network, owner, unit, indicator, period, version));"
        "INSERT INTO data_tables VALUES ('north', 'north-isd', 'adams', 'k3', '2026-Q1', 1, 4),"
        "  ('north', 'north-isd', 'adams', 'k3', '2026-Q1', 2, 9);"
        //  Each version's entry, by its publisher at its time, and its
        //  masked copy, as the broker wrote them.
        "INSERT OR REPLACE INTO log VALUES (4, 'feed', 'v4', 'north/data', 111, x'0a'),"
        "  (9, 'north-isd', 'v9', 'north/data', 222, x'0a');"
        "INSERT INTO masked VALUES (4, 'north-isd', x'0a'), (9, 'north-isd', x'0a');"
        "INSERT INTO data_values VALUES"
        "  (4, -1, 'north-isd', 'feed', 'north', 'k3', '2026-Q1', 'adams', 1, '', 0, NULL, NULL,"
        "   40.5, 410, 166, 410, 0, 0, NULL, NULL, 1, 1, 'sis', '2026-04-01', 111, 0),"
        "  (4, 0, 'north-isd', 'feed', 'north', 'k3', '2026-Q1', 'adams', 1, 'race=black',"
        "   1, 'race', 'black', NULL, NULL, NULL, NULL, 0, 3, 0.0, 5.0, 1, 1, 'sis',"
        "   '2026-04-01', 111, 0),"
        "  (9, -1, 'north-isd', 'north-isd', 'north', 'k3', '2026-Q1', 'adams', 2, '', 0, NULL,"
        "   NULL, 41.0, 410, 168, 410, 0, 0, NULL, NULL, 1, 2, NULL, NULL, 222, 1),"
        "  (9, 0, 'north-isd', 'north-isd', 'north', 'k3', '2026-Q1', 'adams', 2,"
        "   'race=black', 1, 'race', 'black', NULL, 6, NULL, NULL, 1, 1, NULL, NULL, 0, 2,"
        "   NULL, NULL, 222, 1);"
        "PRAGMA user_version = 6;");
    char before [2048], after [2048];
    s_sql_rows (self->path, S_VALUES_ROW, before, sizeof before);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    s_sql_rows (self->path, S_VALUES_ROW, after, sizeof after);
    assert_string_equal (after, before);
    //  Through data_cells (7) into each version's own row (12, 13).
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_values"), 4);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables"), 2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM data_tables "
                                             "WHERE cells IS NOT NULL"),
                      2);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM sqlite_master "
                                             "WHERE name = 'data_cells'"),
                      0);
    assert_int_equal (s_sql_int (self->path, "SELECT seq FROM data_tables WHERE current = 1"),
                      9);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND "
                               "name = 'data_values'"),
        1);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 8 keys every entry already in the log: each is found again
//  by its partner and id, and a retry of one is the duplicate it was.
static void
test_store_migration_8_keys_every_entry_of_the_log (void **state)
{
    fixture_t *self = *state;
    s_sql_exec (self->path, s_version_3);
    s_sql_exec (self->path, "INSERT INTO log VALUES (2, 'north-isd', 'd2', 'north/data', 0, x'0a');"
                            "INSERT INTO log VALUES (3, 'south-isd', 'd1', 'south/data', 0, x'0a');"
                            "INSERT INTO log VALUES (4, 'north-isd', '', 'north/data', 0, x'0a');");
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 4);
    assert_int_equal (s_sql_int (self->path, "SELECT count(DISTINCT seq) FROM log_keys"), 4);
    assert_int_equal (s_sql_int (self->path, "SELECT length (secret) FROM log_key_secret"),
                      crypto_shorthash_KEYBYTES);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE name = 'log_partner_id'"),
        0);
    static const struct {
        const char *partner, *id;
        uint64_t seq;
    } stored [] = {
        {"north-isd", "d1", 1}, {"north-isd", "d2", 2}, {"south-isd", "d1", 3}, {"north-isd", "", 4}};
    for (size_t i = 0; i < sizeof stored / sizeof stored [0]; i++) {
        uint64_t seq = 0;
        assert_int_equal (store_seq_of (self->store, stored [i].partner, stored [i].id, &seq),
                          CIBUS_OK);
        assert_int_equal (seq, stored [i].seq);
        //  Under the key its pair hashes to (no other pair took it).
        assert_int_equal (
            s_seq_under_key (self->path, s_pair_key (self->path, stored [i].partner, stored [i].id)),
            (int)stored [i].seq);
    }
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish_expect (self->store, "south-isd", "d1", true, 3);
    s_publish_expect (self->store, "south-isd", "d2", false, 5);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 8's step fails on a log that holds a pair twice (which the
//  unique index of version 7 forbade): the database stays wholly at
//  version 7, without a key table or a secret.
static void
test_store_migration_8_failing_leaves_version_7_whole (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    store_destroy (&self->store);
    s_sql_exec (self->path,
                SCHEMA_UNDO_14 "DROP TABLE key_runs; DROP TABLE table_keys; DROP TABLE log_keys;"
                "DROP TABLE log_key_secret; DROP INDEX log_partner;"
                "INSERT INTO log VALUES (6, 'north-isd', 'e3', 'north/data', 0, x'0a');"
                "PRAGMA user_version = 7;");
    assert_null (store_new (self->path, STORE_SYNC_NORMAL));
    assert_int_equal (s_sql_int (self->path, "PRAGMA user_version"), 7);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                               "('log_keys', 'log_key_secret', 'log_partner')"),
        0);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 6);
}

static void
test_store_open_twice_is_idempotent (void **state)
{
    fixture_t *self = *state;
    s_append_five (self->store);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    store_destroy (&self->store);

    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), LATEST_SCHEMA);
    assert_int_equal (store_last_seq (self->store), 5);
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_string_equal (partner.name, "north-isd");
    store_partner_release (&partner);
    //  Still the tables of every migration, nothing twice, and the usage
    //  summed once.
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
        LATEST_TABLES);
    assert_int_equal (
        s_sql_int (self->path, "SELECT count(*) FROM sqlite_master WHERE name = 'log_partner'"),
        0);
    assert_int_equal (s_sql_int (self->path, "SELECT sum (bytes) FROM partner_usage"),
                      s_sql_int (self->path, "SELECT sum (length (envelope)) FROM log"));
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_key_secret"), 1);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log_keys"), 5);
}

static void
test_store_failed_migration_leaves_the_old_version_whole (void **state)
{
    fixture_t *self = *state;
    //  Migration 1 creates log and partners, then fails on partner_networks.
    s_sql_exec (self->path, "CREATE TABLE partner_networks (x INTEGER);");
    assert_null (store_new (self->path, STORE_SYNC_NORMAL));
    assert_int_equal (s_sql_int (self->path, "PRAGMA user_version"), 0);
    assert_int_equal (
        s_sql_int (self->path,
                   "SELECT count(*) FROM sqlite_master WHERE name IN ('log', 'partners')"),
        0);
}

static void
test_store_new_refuses_a_newer_schema (void **state)
{
    fixture_t *self = *state;
    //  A database this release could otherwise open, stamped by a newer one.
    s_append_five (self->store);
    store_destroy (&self->store);
    char newer [64];
    snprintf (newer, sizeof newer, "PRAGMA user_version = %d;", LATEST_SCHEMA + 1);
    s_sql_exec (self->path, newer);

    assert_null (store_new (self->path, STORE_SYNC_NORMAL));
    assert_int_equal (s_sql_int (self->path, "PRAGMA user_version"), LATEST_SCHEMA + 1);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM log"), 5);
}

static void
test_store_check_integrity_is_ok (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
    s_append_five (self->store);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  ------------------------------------------------------------ data version

static void
test_store_data_version_is_stable_without_commits (void **state)
{
    fixture_t *self = *state;
    uint64_t before = store_data_version (self->store);
    assert_int_equal (store_data_version (self->store), before);
}

static void
test_store_data_version_changes_after_another_connection_commits (void **state)
{
    fixture_t *self = *state;
    store_t *other = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (other);
    uint64_t before = store_data_version (self->store);

    assert_int_equal (store_partner_add (other, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    uint64_t after = store_data_version (self->store);
    assert_int_not_equal (after, before);
    //  And this connection sees the other's edit.
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    store_partner_release (&partner);
    store_destroy (&other);
}

static void
test_store_data_version_ignores_own_commits (void **state)
{
    fixture_t *self = *state;
    uint64_t before = store_data_version (self->store);
    s_append_five (self->store);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_data_version (self->store), before);
}

//  ------------------------------------------------------------ registry

static void
test_registry_add_then_lookup_by_key (void **state)
{
    fixture_t *self = *state;
    const char *networks [] = {"north"};
    assert_int_equal (
        store_partner_add (self->store, "north-isd", KEY_A, ROLE_INTEGRATOR, networks, 1),
        CIBUS_OK);
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_string_equal (partner.name, "north-isd");
    assert_string_equal (partner.public_key, KEY_A);
    assert_int_equal (partner.role, ROLE_INTEGRATOR);
    assert_int_equal (partner.network_count, 1);
    assert_string_equal (partner.networks [0], "north");
    store_partner_release (&partner);
    assert_null (partner.networks);
    assert_int_equal (partner.network_count, 0);
}

static void
test_registry_lookup_of_unknown_key_is_not_found (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_UNKNOWN, &partner),
                      CIBUS_ERR_NOT_FOUND);
}

static void
test_registry_networks_round_trip (void **state)
{
    fixture_t *self = *state;
    const char *networks [] = {"east-side", "north", "river-valley"};
    assert_int_equal (
        store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, networks, 3), CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "hub", KEY_B, ROLE_BACKBONE, NULL, 0),
                      CIBUS_OK);

    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_int_equal (partner.network_count, 3);
    assert_string_equal (partner.networks [0], "east-side");
    assert_string_equal (partner.networks [1], "north");
    assert_string_equal (partner.networks [2], "river-valley");
    store_partner_release (&partner);

    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_OK);
    assert_int_equal (partner.role, ROLE_BACKBONE);
    assert_int_equal (partner.network_count, 0);
    assert_null (partner.networks);
    store_partner_release (&partner);
}

#define SEEN_MAX 8

typedef struct {
    size_t count;
    char name [SEEN_MAX][129];
    role_t role [SEEN_MAX];
    size_t network_count [SEEN_MAX];
} partners_seen_t;

static void
s_partner_seen (const store_partner_t *partner, void *arg)
{
    partners_seen_t *seen = arg;
    assert_true (seen->count < SEEN_MAX);
    strcpy (seen->name [seen->count], partner->name);
    seen->role [seen->count] = partner->role;
    seen->network_count [seen->count] = partner->network_count;
    seen->count++;
}

static void
test_registry_each_visits_partners_in_name_order (void **state)
{
    fixture_t *self = *state;
    const char *two [] = {"north", "south"};
    assert_int_equal (store_partner_add (self->store, "zeta-ngo", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "alpha-isd", KEY_B, ROLE_INTEGRATOR, two, 2),
                      CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "mid-city", KEY_C, ROLE_BACKBONE, two, 1),
                      CIBUS_OK);

    partners_seen_t seen = {0};
    assert_int_equal (store_partner_each (self->store, s_partner_seen, &seen), CIBUS_OK);
    assert_int_equal (seen.count, 3);
    assert_string_equal (seen.name [0], "alpha-isd");
    assert_int_equal (seen.role [0], ROLE_INTEGRATOR);
    assert_int_equal (seen.network_count [0], 2);
    assert_string_equal (seen.name [1], "mid-city");
    assert_int_equal (seen.role [1], ROLE_BACKBONE);
    assert_int_equal (seen.network_count [1], 1);
    assert_string_equal (seen.name [2], "zeta-ngo");
    assert_int_equal (seen.role [2], ROLE_PARTNER);
    assert_int_equal (seen.network_count [2], 0);
}

static void
test_registry_each_on_empty_registry_visits_nothing (void **state)
{
    fixture_t *self = *state;
    partners_seen_t seen = {0};
    assert_int_equal (store_partner_each (self->store, s_partner_seen, &seen), CIBUS_OK);
    assert_int_equal (seen.count, 0);
}

static void
test_registry_add_of_taken_name_is_exists (void **state)
{
    fixture_t *self = *state;
    const char *networks [] = {"south"};
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (
        store_partner_add (self->store, "north-isd", KEY_B, ROLE_PARTNER, networks, 1),
        CIBUS_ERR_EXISTS);

    //  Nothing of the refused add was kept: not its key, not its network.
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_int_equal (partner.network_count, 0);
    store_partner_release (&partner);
}

static void
test_registry_add_of_taken_key_is_exists (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "south-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_EXISTS);

    partners_seen_t seen = {0};
    assert_int_equal (store_partner_each (self->store, s_partner_seen, &seen), CIBUS_OK);
    assert_int_equal (seen.count, 1);
    assert_string_equal (seen.name [0], "north-isd");
}

static void
test_registry_add_refuses_bad_arguments (void **state)
{
    fixture_t *self = *state;
    char long_name [130];
    memset (long_name, 'n', 129);
    long_name [129] = 0;
    assert_int_equal (store_partner_add (self->store, "", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add (self->store, NULL, KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add (self->store, long_name, KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add (self->store, "north-isd", "short", ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add (self->store, "north-isd", NULL, ROLE_PARTNER, NULL, 0),
                      CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE__COUNT, NULL, 0),
                      CIBUS_ERR_USAGE);

    partners_seen_t seen = {0};
    assert_int_equal (store_partner_each (self->store, s_partner_seen, &seen), CIBUS_OK);
    assert_int_equal (seen.count, 0);

    //  The longest name that fits the record is accepted.
    long_name [128] = 0;
    assert_int_equal (store_partner_add (self->store, long_name, KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
}

static void
test_registry_remove_then_lookup_is_not_found (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "south-isd", KEY_B, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_remove (self->store, "north-isd"), CIBUS_OK);

    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_OK);
    store_partner_release (&partner);
}

static void
test_registry_remove_of_unknown_name_is_not_found (void **state)
{
    fixture_t *self = *state;
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_remove (self->store, "nobody"), CIBUS_ERR_NOT_FOUND);
    //  A second remove of the same name finds nothing either.
    assert_int_equal (store_partner_remove (self->store, "north-isd"), CIBUS_OK);
    assert_int_equal (store_partner_remove (self->store, "north-isd"), CIBUS_ERR_NOT_FOUND);
}

static void
test_registry_remove_drops_the_partners_networks (void **state)
{
    fixture_t *self = *state;
    const char *old_networks [] = {"north", "south"};
    const char *new_networks [] = {"west"};
    assert_int_equal (
        store_partner_add (self->store, "north-isd", KEY_A, ROLE_PARTNER, old_networks, 2),
        CIBUS_OK);
    assert_int_equal (store_partner_remove (self->store, "north-isd"), CIBUS_OK);
    assert_int_equal (
        store_partner_add (self->store, "north-isd", KEY_B, ROLE_PARTNER, new_networks, 1),
        CIBUS_OK);

    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_OK);
    assert_int_equal (partner.network_count, 1);
    assert_string_equal (partner.networks [0], "west");
    store_partner_release (&partner);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM partner_networks"), 1);
}

//  An integrator's feeds: the partners whose tables it may submit.
static void
test_registry_feeds_round_trip (void **state)
{
    fixture_t *self = *state;
    const char *networks [] = {"north"};
    assert_int_equal (
        store_partner_add (self->store, "feed-co", KEY_A, ROLE_INTEGRATOR, networks, 1), CIBUS_OK);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_B, ROLE_PARTNER, networks,
                                         1),
                      CIBUS_OK);
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_int_equal (partner.feed_count, 0);
    assert_null (partner.feeds);
    store_partner_release (&partner);

    const char *feeds [] = {"south-isd", "north-isd"};
    assert_int_equal (store_partner_add_feeds (self->store, "feed-co", feeds, 2), CIBUS_OK);
    //  A name already listed is kept once; none is a change of nothing.
    assert_int_equal (store_partner_add_feeds (self->store, "feed-co", feeds + 1, 1), CIBUS_OK);
    assert_int_equal (store_partner_add_feeds (self->store, "feed-co", NULL, 0), CIBUS_OK);
    assert_int_equal (store_partner_by_key (self->store, KEY_A, &partner), CIBUS_OK);
    assert_int_equal (partner.feed_count, 2);
    assert_string_equal (partner.feeds [0], "north-isd");
    assert_string_equal (partner.feeds [1], "south-isd");
    store_partner_release (&partner);
    assert_null (partner.feeds);
    assert_int_equal (partner.feed_count, 0);
    //  A partner feeds no one.
    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_OK);
    assert_int_equal (partner.feed_count, 0);
    store_partner_release (&partner);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM partner_feeds"), 2);
}

static void
test_registry_add_feeds_refuses_bad_arguments (void **state)
{
    fixture_t *self = *state;
    const char *feeds [] = {"north-isd"};
    assert_int_equal (store_partner_add (self->store, "feed-co", KEY_A, ROLE_INTEGRATOR, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add_feeds (self->store, NULL, feeds, 1), CIBUS_ERR_USAGE);
    assert_int_equal (store_partner_add_feeds (self->store, "feed-co", NULL, 1), CIBUS_ERR_USAGE);
    //  Only a registered integrator feeds anyone.
    assert_int_equal (store_partner_add_feeds (self->store, "nobody", feeds, 1),
                      CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_partner_add (self->store, "north-isd", KEY_B, ROLE_PARTNER, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add_feeds (self->store, "north-isd", feeds, 1),
                      CIBUS_ERR_USAGE);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM partner_feeds"), 0);
}

//  Removing an integrator removes what it fed: a new integrator of the same
//  name starts with none.
static void
test_registry_remove_drops_the_integrators_feeds (void **state)
{
    fixture_t *self = *state;
    const char *feeds [] = {"north-isd"};
    assert_int_equal (store_partner_add (self->store, "feed-co", KEY_A, ROLE_INTEGRATOR, NULL, 0),
                      CIBUS_OK);
    assert_int_equal (store_partner_add_feeds (self->store, "feed-co", feeds, 1), CIBUS_OK);
    assert_int_equal (store_partner_remove (self->store, "feed-co"), CIBUS_OK);
    assert_int_equal (s_sql_int (self->path, "SELECT count(*) FROM partner_feeds"), 0);
    assert_int_equal (store_partner_add (self->store, "feed-co", KEY_B, ROLE_INTEGRATOR, NULL, 0),
                      CIBUS_OK);
    store_partner_t partner;
    assert_int_equal (store_partner_by_key (self->store, KEY_B, &partner), CIBUS_OK);
    assert_int_equal (partner.feed_count, 0);
    store_partner_release (&partner);
}

static void
test_registry_role_names_round_trip (void **state)
{
    (void) state;
    static const char *names [ROLE__COUNT] = {"backbone", "partner", "integrator"};
    for (int i = 0; i < ROLE__COUNT; i++) {
        role_t role = ROLE__COUNT;
        assert_string_equal (store_role_name ((role_t) i), names [i]);
        assert_true (store_role_parse (names [i], &role));
        assert_int_equal (role, i);
    }
}

static void
test_registry_role_parse_refuses_unknown_names (void **state)
{
    (void) state;
    role_t role = ROLE_PARTNER;
    assert_false (store_role_parse ("admin", &role));
    assert_false (store_role_parse ("Partner", &role));
    assert_false (store_role_parse ("", &role));
    assert_false (store_role_parse (NULL, &role));
    assert_int_equal (role, ROLE_PARTNER);
    assert_string_equal (store_role_name (ROLE__COUNT), "unknown");
}

//  ------------------------------------------------------------ checkpoints

static long
s_file_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 ? (long)st.st_size : -1;
}

//  With checkpoints in the background, commits go on while a thread of the
//  store copies the WAL back: the database file takes the pages, the WAL
//  stays within its bound however long the writer writes, and every entry
//  is there after a reopen.
static void
test_store_checkpoints_in_the_background (void **state)
{
    fixture_t *self = *state;
    assert_true (store_checkpoint_in_background (self->store));
    char wal [PATH_MAX + 8];
    snprintf (wal, sizeof wal, "%s-wal", self->path);
    long db_before = s_file_size (self->path);
    enum { BODY = 8000, PER_BATCH = 50, MAX_BATCHES = 400 };
    char *body = malloc (BODY);
    assert_non_null (body);
    memset (body, 'x', BODY);
    //  The WAL's bound: 16,000 frames of a 4 KiB page and its header, and
    //  one batch past it (the writer finishes a checkpoint after the commit
    //  that crosses it).
    long bound = 16000L * (4096 + 24) + 4L * PER_BATCH * (BODY + 4096);
    long wal_most = 0;
    size_t batches = 0;
    int64_t deadline = harness_now_msec () + 60000;
    //  Write until the thread has finished three checkpoints (bounded in
    //  batches and in time), then 60 batches more: in all more frames than
    //  the bound, so that a WAL that never started over would cross it.
    size_t target = 0;
    while (batches < MAX_BATCHES && harness_now_msec () < deadline
           && (!target || batches < target)) {
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        for (size_t i = 0; i < PER_BATCH; i++) {
            char id [32];
            snprintf (id, sizeof id, "e-%zu-%zu", batches, i);
            uint64_t seq = 0;
            bool duplicate = true;
            assert_int_equal (store_batch_reserve (self->store, "north-isd", id, &seq, &duplicate),
                              CIBUS_OK);
            assert_false (duplicate);
            assert_int_equal (store_batch_add (self->store, seq, "north-isd", id, "north/data",
                                               1000, body, BODY),
                              CIBUS_OK);
        }
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
        batches++;
        long size = s_file_size (wal);
        if (size > wal_most)
            wal_most = size;
        if (!target && store_checkpoints (self->store) >= 3)
            target = batches + 60;
    }
    free (body);
    assert_true (store_checkpoints (self->store) >= 3);
    assert_true (batches == target);
    assert_true (wal_most <= bound);
    assert_true (s_file_size (self->path) > db_before + 1000L * 4096);
    uint64_t last = store_last_seq (self->store);
    assert_int_equal (last, batches * PER_BATCH);
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_FULL);
    assert_non_null (self->store);
    assert_int_equal (store_last_seq (self->store), last);
    uint64_t seq = 0;
    assert_int_equal (store_seq_of (self->store, "north-isd", "e-0-0", &seq), CIBUS_OK);
    assert_int_equal (seq, 1);
}

//  Copy a file whole, as a crash would leave it.
static void
s_copy_file (const char *from, const char *to)
{
    FILE *in = fopen (from, "rb"), *out = fopen (to, "wb");
    assert_non_null (in);
    assert_non_null (out);
    char block [65536];
    size_t size;
    while ((size = fread (block, 1, sizeof block, in)) > 0)
        assert_int_equal (fwrite (block, 1, size, out), size);
    assert_int_equal (fclose (in), 0);
    assert_int_equal (fclose (out), 0);
}

//  A store that checkpoints in the background starts with its WAL at the
//  size it works at, 4,000 frames of a page and its header, written as
//  zeros that SQLite reads as no frame - on a disk with eight times that
//  free; on one without, it leaves the WAL as it is. Commits after it
//  write over that space instead of growing the file; what they stored is
//  there after a crash (the database and its WAL copied while open, so
//  that SQLite recovers the WAL, frames then zeros, with no index) and
//  after a reopen, and the database checks whole.
static void
test_store_wal_starts_at_its_working_size (void **state)
{
    fixture_t *self = *state;
    char wal [PATH_MAX + 8];
    snprintf (wal, sizeof wal, "%s-wal", self->path);
    uint64_t first = s_append_one (self->store, "north-isd", "before", "north/data");
    long want = 32 + 4000L * (s_sql_int (self->path, "PRAGMA page_size") + 24);
    assert_true (s_file_size (wal) < want);
    struct statvfs disk;
    assert_int_equal (statvfs (self->dir, &disk), 0);
    bool room = (uint64_t) disk.f_bavail * disk.f_frsize >= 8 * (uint64_t) want;
    assert_true (store_checkpoint_in_background (self->store));
    long size = s_file_size (wal);
    if (!room) {
        print_message ("no room on this disk for the WAL's working size: left as it was\n");
        assert_true (size < want);
        return;
    }
    assert_true (size >= want);
    for (int i = 0; i < 300; i++) {
        char id [32];
        snprintf (id, sizeof id, "after-%d", i);
        s_append_one (self->store, "north-isd", id, "north/data");
    }
    assert_int_equal (s_file_size (wal), size);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
    uint64_t last = store_last_seq (self->store);
    assert_int_equal (last, first + 300);

    char crashed [PATH_MAX + 16], crashed_wal [PATH_MAX + 24];
    snprintf (crashed, sizeof crashed, "%s/crashed.db", self->dir);
    snprintf (crashed_wal, sizeof crashed_wal, "%s-wal", crashed);
    s_copy_file (self->path, crashed);
    s_copy_file (wal, crashed_wal);
    store_t *copy = store_new (crashed, STORE_SYNC_FULL);
    assert_non_null (copy);
    uint64_t seq = 0;
    assert_int_equal (store_last_seq (copy), last);
    assert_int_equal (store_seq_of (copy, "north-isd", "after-299", &seq), CIBUS_OK);
    assert_int_equal (seq, last);
    assert_int_equal (store_check_integrity (copy), CIBUS_OK);
    store_destroy (&copy);

    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_FULL);
    assert_non_null (self->store);
    assert_int_equal (store_last_seq (self->store), last);
    assert_int_equal (store_seq_of (self->store, "north-isd", "after-299", &seq), CIBUS_OK);
    assert_int_equal (seq, last);
    assert_int_equal (store_seq_of (self->store, "north-isd", "before", &seq), CIBUS_OK);
    assert_int_equal (seq, first);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
#define T_EMPTY(name) cmocka_unit_test_setup_teardown (name, s_setup_empty, s_teardown)
    const struct CMUnitTest tests [] = {
        T (test_store_new_creates_schema_at_latest_version),
        T (test_store_new_starts_with_empty_log),
        T (test_store_path_is_the_opened_path),
        T (test_store_new_fails_when_directory_is_missing),
        T (test_store_destroy_twice_is_harmless),
        T (test_store_batch_gives_contiguous_seqs),
        T (test_store_checkpoints_in_the_background),
        T (test_store_wal_starts_at_its_working_size),
        T (test_store_next_batch_continues_the_seq),
        T (test_store_last_seq_moves_only_at_commit),
        T (test_store_dedupe_within_batch_returns_first_seq),
        T (test_store_dedupe_across_batches_returns_first_seq),
        T (test_store_same_id_from_different_partners_is_not_a_duplicate),
        T (test_store_abort_rolls_back_and_next_batch_reuses_seqs),
        T (test_store_fault_on_add_leaves_nothing_stored),
        T (test_store_fault_on_commit_leaves_nothing_stored),
        T (test_store_add_refuses_a_seq_it_did_not_hand_out),
        T (test_store_batch_calls_outside_a_batch_are_usage_errors),
        T (test_store_begin_inside_a_batch_is_a_usage_error),
        T (test_store_read_from_returns_entries_from_seq_in_order),
        T (test_store_read_from_respects_max),
        T (test_store_read_from_with_max_zero_reads_nothing),
        T (test_store_read_from_past_the_end_reads_nothing),
        T (test_store_read_from_returns_envelope_bytes_exactly),
        T (test_store_read_from_stops_when_callback_returns_false),
        T (test_store_topic_prefix_filter_sees_matching_entries_in_order),
        cmocka_unit_test (test_store_entry_bytes_picks_the_copy_for_each_reader),
        cmocka_unit_test (test_store_a_data_entry_without_a_masked_copy_goes_to_the_backbone_only),
        T (test_store_read_from_gives_no_masked_copy_without_a_decision),
        T (test_store_uncommitted_entries_are_invisible_to_another_connection),
        T (test_store_reopen_keeps_last_seq_and_continues_it),
        T (test_store_reopen_keeps_dedupe),
        T (test_store_dedupe_settles_a_taken_key_against_the_log),
        T (test_store_dedupe_bounds_a_run_of_taken_keys),
        cmocka_unit_test (test_store_key_filter_never_misses_a_key_and_rarely_claims_one),
        T (test_store_dedupe_keys_in_runs_are_found_written_and_computed_again),
        T (test_store_dedupe_keys_of_a_reopened_run_are_spread_to_its_freeze),
        T (test_store_dedupe_keys_of_a_frozen_run_are_written_smallest_first),
        T (test_store_dedupe_keys_go_to_their_table_many_to_a_statement),
        T (test_store_dedupe_keys_written_before_are_written_again_harmlessly),
        T (test_store_dedupe_key_held_for_another_entry_fails_the_write),
        T (test_store_key_run_finds_every_seq_of_every_key),
        T (test_store_partner_usage_is_what_each_partner_stored),
        T (test_store_migration_14_sums_each_partner_s_usage),
        T (test_store_keys_wait_for_their_first_use_and_grow_as_they_fill),
        T (test_store_a_replica_refuses_a_version_past_the_most_a_table_may_have),
        T (test_store_a_replica_stores_every_cell_and_refuses_too_many),
        T (test_store_broker_runs_lengthen_with_the_log),
        T (test_store_add_refuses_a_pair_already_stored),
        T (test_store_a_pair_refused_after_its_reserve_keys_nothing),
        T (test_store_a_replica_keys_every_entry_it_is_delivered),
        T (test_store_migration_8_failing_leaves_version_7_whole),
        T_EMPTY (test_store_migrates_a_database_at_version_zero),
        T_EMPTY (test_store_migrates_an_empty_file),
        T_EMPTY (test_store_migration_4_replaces_the_projection_of_cells),
        T_EMPTY (test_store_migration_5_gives_notes_their_ids),
        T_EMPTY (test_store_migration_8_keys_every_entry_of_the_log),
        T (test_store_a_replica_refuses_a_name_too_long),
        T (test_store_a_replica_refuses_a_table_without_its_names),
        T (test_store_a_replica_stores_a_marker_not_current),
        T (test_store_migrations_7_and_12_keep_every_row_of_data_values),
        T (test_store_open_twice_is_idempotent),
        T_EMPTY (test_store_failed_migration_leaves_the_old_version_whole),
        T (test_store_new_refuses_a_newer_schema),
        T (test_store_check_integrity_is_ok),
        T (test_store_data_version_is_stable_without_commits),
        T (test_store_data_version_changes_after_another_connection_commits),
        T (test_store_data_version_ignores_own_commits),
        T (test_registry_add_then_lookup_by_key),
        T (test_registry_lookup_of_unknown_key_is_not_found),
        T (test_registry_networks_round_trip),
        T (test_registry_each_visits_partners_in_name_order),
        T (test_registry_each_on_empty_registry_visits_nothing),
        T (test_registry_add_of_taken_name_is_exists),
        T (test_registry_add_of_taken_key_is_exists),
        T (test_registry_add_refuses_bad_arguments),
        T (test_registry_remove_then_lookup_is_not_found),
        T (test_registry_remove_of_unknown_name_is_not_found),
        T (test_registry_remove_drops_the_partners_networks),
        {"test_registry_remove_drops_the_partners_networks_with_sync_normal",
         test_registry_remove_drops_the_partners_networks, s_setup_normal, s_teardown, NULL},
        T (test_registry_feeds_round_trip),
        T (test_registry_add_feeds_refuses_bad_arguments),
        T (test_registry_remove_drops_the_integrators_feeds),
        cmocka_unit_test (test_registry_role_names_round_trip),
        cmocka_unit_test (test_registry_role_parse_refuses_unknown_names),
    };
#undef T
#undef T_EMPTY
    return cmocka_run_group_tests_name ("store", tests, NULL, NULL);
}
