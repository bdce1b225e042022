/*  test_disk.c - a broker on a full disk: it starts, serves reads, refuses
    writes with "storage full", and takes writes again once there is space.

    The disk is a small tmpfs mounted over the broker's data directory (the
    tests run as root, as `make check` does: it installs its packages). A
    full tmpfs fails writes with ENOSPC exactly as a full disk does.       */

#include "harness.h"

#include "cibus_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define S_TIMEOUT 10000

//  The filesystem under the data directory: big enough for the database
//  and the keys, small enough to fill in a moment.
#define S_DISK_SIZE "size=16m"

typedef struct {
    harness_world_t world;
    char disk [PATH_MAX];
    bool mounted;
} s_fixture_t;

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    harness_world_t *world = &self->world;
    if (world->broker.pid > 0)
        harness_broker_stop (&world->broker, SIGKILL);
    if (self->mounted && umount2 (self->disk, MNT_DETACH) != 0)
        fprintf (stderr, "test_disk: cannot unmount %s: %s\n", self->disk, strerror (errno));
    harness_world_down (world);
    free (self);
    return 0;
}

//  A world whose data directory is a small tmpfs. A setup that fails half
//  way undoes what it did (cmocka runs no teardown after a failed setup).
static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    if (!self)
        return -1;
    *state = self;
    harness_world_t *world = &self->world;
    const char *early [] = {"early-literacy", NULL};
    bool ok = (world->dir = harness_tmpdir ()) != NULL;
    if (ok) {
        snprintf (world->data, sizeof world->data, "%s/var", world->dir);
        snprintf (self->disk, sizeof self->disk, "%s", world->data);
        ok = mkdir (self->disk, 0700) == 0;
    }
    if (ok && !(self->mounted = mount ("tmpfs", self->disk, "tmpfs", 0, S_DISK_SIZE) == 0))
        fprintf (stderr, "test_disk: cannot mount a tmpfs on %s: %s (the tests run as root)\n",
                 self->disk, strerror (errno));
    ok = ok && self->mounted && harness_broker_start (&world->broker, world->data, NULL)
         && harness_add_partner (world->data, world->dir, "hub", "backbone", NULL, world->hub,
                                 sizeof world->hub)
         && harness_add_partner (world->data, world->dir, "alice", "partner", early,
                                 world->alice, sizeof world->alice);
    if (!ok) {
        s_teardown (state);
        return -1;
    }
    return 0;
}

//  Write a file of zeros until the disk refuses. Returns the bytes written.
static size_t
s_fill (const char *path)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    static const char block [4096];
    size_t written = 0;
    //  A bound on the loop, far above the disk's size.
    for (size_t i = 0; i < 1 << 20; i++) {
        ssize_t rc = write (fd, block, sizeof block);
        if (rc <= 0) {
            assert_int_equal (errno, ENOSPC);
            break;
        }
        written += (size_t) rc;
    }
    assert_int_equal (close (fd), 0);
    return written;
}

static void
s_note (cibus_envelope_t *env, Cibus__MeetingNote *note, const char *id)
{
    cibus__envelope__init (env);
    cibus__meeting_note__init (note);
    env->topic = "early-literacy/note";
    env->id = (char *) id;
    note->title = "network meeting";
    env->body_case = CIBUS__ENVELOPE__BODY_NOTE;
    env->note = note;
}

static bool
s_log_has (const harness_world_t *world, const char *needle)
{
    char path [PATH_MAX + 8];
    snprintf (path, sizeof path, "%s.log", world->data);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char line [4096];
    bool found = false;
    while (!found && fgets (line, sizeof line, file))
        found = strstr (line, needle) != NULL;
    fclose (file);
    return found;
}

static void
test_disk_full_broker_starts_serves_reads_refuses_writes_and_recovers (void **state)
{
    s_fixture_t *self = *state;
    harness_world_t *world = &self->world;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    cibus_envelope_t env;
    Cibus__MeetingNote note;
    cibus_ack_t ack;
    char id [32];
    for (int i = 1; i <= 3; i++) {
        snprintf (id, sizeof id, "note-%d", i);
        s_note (&env, &note, id);
        assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
        assert_int_equal (ack.seq, (uint64_t) i);
    }
    cibus_destroy (&alice);
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);

    //  Fill the disk: SQLite cannot make its shared-memory index now, which
    //  is what kept a broker from starting.
    char filler [PATH_MAX + 16];
    snprintf (filler, sizeof filler, "%s/filler", self->disk);
    assert_true (s_fill (filler) > 0);

    //  It starts, on an endpoint outside the full disk (it cannot write the
    //  endpoint file there).
    char socket [PATH_MAX + 16];
    snprintf (socket, sizeof socket, "%s/broker.sock", world->dir);
    assert_true (harness_broker_start_ipc (&world->broker, world->data, socket, NULL));
    assert_true (s_log_has (world, "event=store-degraded"));

    //  It refuses writes, saying why.
    alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (alice);
    assert_non_null (hub);
    s_note (&env, &note, "note-4");
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_FULL);
    assert_string_equal (cibus_error (alice),
                         "storage full: the broker's disk has no space left; nothing was "
                         "stored, retry with the same id later");

    //  It serves reads: a replay of everything and a query.
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        cibus_envelope_t *got = NULL;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &got), CIBUS_OK);
        assert_int_equal (got->seq, seq);
        assert_string_equal (got->partner, "alice");
        cibus_envelope_free (got);
    }
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "notes";
    Cibus__Reply *reply = NULL;
    assert_int_equal (cibus_query (alice, &query, &reply), CIBUS_OK);
    assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_RESULT);
    assert_int_equal (reply->result->n_tables, 1);
    assert_int_equal (reply->result->tables [0]->n_rows, 3);
    cibus_reply_free (reply);

    //  Space returns: the same id goes through, the subscriber sees it, and
    //  the database opens as usual again (another process can read it).
    assert_int_equal (unlink (filler), 0);
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 4);
    assert_false (ack.duplicate);
    cibus_envelope_t *got = NULL;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &got), CIBUS_OK);
    assert_int_equal (got->seq, 4);
    cibus_envelope_free (got);
    //  The reopening follows the first commit; a status round trip is a
    //  turn of the broker's loop after it.
    cibus_status_t status;
    assert_int_equal (cibus_status (alice, &status), CIBUS_OK);
    assert_int_equal (status.last_seq, 4);
    assert_true (s_log_has (world, "event=store-recovered"));
    char *out = NULL;
    assert_int_equal (harness_cibusd (&out, NULL, "partner", "list", "--data", world->data, NULL),
                      0);
    assert_non_null (strstr (out, "alice"));
    free (out);

    cibus_destroy (&alice);
    cibus_destroy (&hub);
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    sqlite3 *db = NULL;
    char path [PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/cibus.db", world->data);
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_string_equal ((const char *) sqlite3_column_text (stmt, 0), "ok");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

//  Three publishers' notes while the disk fills: what a failed commit did.
#define S_PUBLISHERS 3
#define S_EACH       24
#define S_BODY       (60 * 1024)

typedef struct {
    char prefix;
    bool acked [S_EACH];
    bool refused [S_EACH];
    size_t other; /* refusals that were not "storage full" */
} s_outcome_t;

static void
s_on_ack (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    s_outcome_t *outcome = arg;
    unsigned index = (unsigned) strtoul (ack->id + 2, NULL, 10);
    assert_true (index < S_EACH);
    if (err == CIBUS_OK)
        outcome->acked [index] = true;
    else if (err == CIBUS_ERR_FULL
             && strcmp (message, "storage full: the broker's disk has no space left; nothing "
                                 "was stored, retry with the same id later")
                    == 0)
        outcome->refused [index] = true;
    else
        outcome->other++;
}

//  Publish the notes of every publisher whose index is not yet acked.
static void
s_publish_round (cibus_t **clients, s_outcome_t *outcomes, char *body)
{
    for (int p = 0; p < S_PUBLISHERS; p++) {
        for (unsigned i = 0; i < S_EACH; i++) {
            if (outcomes [p].acked [i])
                continue;
            outcomes [p].refused [i] = false;
            char id [32];
            snprintf (id, sizeof id, "%c-%u", outcomes [p].prefix, i);
            cibus_envelope_t env;
            Cibus__MeetingNote note;
            s_note (&env, &note, id);
            note.body = body;
            assert_int_equal (cibus_publish_async (clients [p], &env), CIBUS_OK);
        }
    }
    for (int p = 0; p < S_PUBLISHERS; p++)
        assert_int_equal (cibus_flush (clients [p]), CIBUS_OK);
}

//  Replay the log from seq 1 as the backbone: seqs run 1..last without a
//  gap, every acked id is there exactly once and no other id is.
static void
s_check_log (harness_world_t *world, const s_outcome_t *outcomes)
{
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (hub);
    cibus_status_t status;
    assert_int_equal (cibus_status (hub, &status), CIBUS_OK);
    unsigned seen [S_PUBLISHERS][S_EACH] = {{0}};
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 1000, NULL), CIBUS_OK);
    for (uint64_t seq = 1; seq <= status.last_seq; seq++) {
        cibus_envelope_t *env = NULL;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        for (int p = 0; p < S_PUBLISHERS; p++)
            if (env->id [0] == outcomes [p].prefix && env->id [1] == '-')
                seen [p][strtoul (env->id + 2, NULL, 10) % S_EACH]++;
        cibus_envelope_free (env);
    }
    for (int p = 0; p < S_PUBLISHERS; p++)
        for (int i = 0; i < S_EACH; i++)
            assert_int_equal (seen [p][i], outcomes [p].acked [i] ? 1 : 0);
    cibus_destroy (&hub);
}

static void
test_disk_fills_while_running_a_failed_commit_acks_nothing_and_tells_every_publisher (
    void **state)
{
    s_fixture_t *self = *state;
    harness_world_t *world = &self->world;
    cibus_t *clients [S_PUBLISHERS] = {harness_client (world, world->alice, S_TIMEOUT),
                                       harness_client (world, world->alice, S_TIMEOUT),
                                       harness_client (world, world->hub, S_TIMEOUT)};
    s_outcome_t outcomes [S_PUBLISHERS] = {{.prefix = 'a'}, {.prefix = 'b'}, {.prefix = 'h'}};
    for (int p = 0; p < S_PUBLISHERS; p++) {
        assert_non_null (clients [p]);
        cibus_set_ack_handler (clients [p], s_on_ack, &outcomes [p]);
        cibus_set_window (clients [p], S_EACH);
    }
    char *body = malloc (S_BODY + 1);
    assert_non_null (body);
    memset (body, 'x', S_BODY);
    body [S_BODY] = 0;

    //  The disk is full before the notes come: their commits need space.
    char filler [PATH_MAX + 16];
    snprintf (filler, sizeof filler, "%s/filler", self->disk);
    assert_true (s_fill (filler) > 0);
    s_publish_round (clients, outcomes, body);
    size_t refused = 0;
    for (int p = 0; p < S_PUBLISHERS; p++) {
        assert_int_equal (outcomes [p].other, 0);
        for (int i = 0; i < S_EACH; i++) {
            assert_true (outcomes [p].acked [i] != outcomes [p].refused [i]);
            refused += outcomes [p].refused [i];
        }
    }
    assert_true (refused > 0);
    s_check_log (world, outcomes);

    //  Space returns: the same ids go through, each stored once.
    assert_int_equal (unlink (filler), 0);
    s_publish_round (clients, outcomes, body);
    for (int p = 0; p < S_PUBLISHERS; p++)
        for (int i = 0; i < S_EACH; i++)
            assert_true (outcomes [p].acked [i]);
    s_check_log (world, outcomes);
    for (int p = 0; p < S_PUBLISHERS; p++)
        cibus_destroy (&clients [p]);
    free (body);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_disk_full_broker_starts_serves_reads_refuses_writes_and_recovers, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_disk_fills_while_running_a_failed_commit_acks_nothing_and_tells_every_publisher,
            s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
