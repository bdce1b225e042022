/*  test_limits.c - what one client may cost the broker, and what reaches its
    log: quotas, the memory limit that turns a flood into a restart, log
    lines that cannot be forged and do not flood, text that is not UTF-8.

    Each test runs a real broker (started with the limits it needs) and real
    clients over loopback.                                                 */

#include "harness.h"

#include "cibus_wire.h"
#include "codec.h"

#include <czmq.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#define S_TIMEOUT 10000

//  ---------------------------------------------------------------- helpers

//  Each test's world, brought down by the teardown even when the test
//  fails half-way: no broker or directory outlives its test.
static int
s_setup (void **state)
{
    *state = calloc (1, sizeof (harness_world_t));
    return *state ? 0 : -1;
}

static int
s_teardown (void **state)
{
    harness_world_t *world = *state;
    if (world->dir)
        harness_world_down (world);
    free (world);
    return 0;
}

//  The harness world, its broker restarted with these options.
static harness_world_t *
s_world (void **state, const char *const *extra)
{
    harness_world_t *world = *state;
    assert_true (harness_world_up (world));
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    assert_true (harness_broker_start (&world->broker, world->data, extra));
    return world;
}

//  A meeting note of body_size bytes.
typedef struct {
    cibus_envelope_t env;
    Cibus__MeetingNote note;
    char id [64];
    char *body;
} s_note_t;

static void
s_note_init (s_note_t *self, const char *network, const char *id, size_t body_size)
{
    cibus__envelope__init (&self->env);
    cibus__meeting_note__init (&self->note);
    self->env.topic = strcmp (network, "citywide") == 0 ? "citywide/note" : "early-literacy/note";
    snprintf (self->id, sizeof self->id, "%s", id);
    self->env.id = self->id;
    self->note.title = "network meeting";
    self->body = malloc (body_size + 1);
    assert_non_null (self->body);
    memset (self->body, 'n', body_size);
    self->body [body_size] = 0;
    self->note.body = self->body;
    self->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    self->env.note = &self->note;
}

static void
s_note_release (s_note_t *self)
{
    free (self->body);
    self->body = NULL;
}

//  The broker's log, whole (the caller frees it).
static char *
s_log (const harness_world_t *world)
{
    char path [PATH_MAX + 8];
    snprintf (path, sizeof path, "%s.log", world->data);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    size_t size = 0, cap = 1 << 16;
    char *text = malloc (cap);
    assert_non_null (text);
    size_t got;
    while ((got = fread (text + size, 1, cap - size - 1, file)) > 0) {
        size += got;
        if (size + 1 == cap) {
            text = realloc (text, cap *= 2);
            assert_non_null (text);
        }
    }
    text [size] = 0;
    fclose (file);
    return text;
}

static uint64_t
s_last_seq (cibus_t *client)
{
    cibus_status_t status;
    assert_int_equal (cibus_status (client, &status), CIBUS_OK);
    return status.last_seq;
}

//  Send a raw Request{publish} and return the broker's Error (the caller
//  frees it with codec_reply_free).
static reply_t *
s_publish_raw (cibus_t *client, envelope_t *env, cibus_err_t expected)
{
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    codec_buf_t frame = {0};
    assert_int_equal (codec_pack_request (&request, &frame), CIBUS_OK);
    void *answer = NULL;
    size_t size = 0;
    assert_int_equal (cibus_raw (client, frame.data, frame.size, &answer, &size), expected);
    codec_buf_release (&frame);
    reply_t *reply = codec_reply_decode (answer, size);
    free (answer);
    assert_non_null (reply);
    return reply;
}

//  ---------------------------------------------------------------- quotas

//  Publish notes of 8 KiB, ids "<prefix>-<i>", until one is refused (which
//  must be for the quota) or `most` went through. Returns how many did.
static size_t
s_publish_until_refused (cibus_t *client, const char *network, const char *prefix, int most)
{
    size_t acked = 0;
    cibus_err_t err = CIBUS_OK;
    for (int i = 0; i < most && err == CIBUS_OK; i++) {
        s_note_t note;
        char id [32];
        snprintf (id, sizeof id, "%s-%d", prefix, i);
        s_note_init (&note, network, id, 8 * 1024);
        cibus_ack_t ack;
        if ((err = cibus_publish (client, &note.env, &ack)) == CIBUS_OK)
            acked++;
        s_note_release (&note);
    }
    if (err != CIBUS_OK)
        assert_int_equal (err, CIBUS_ERR_QUOTA);
    return acked;
}

static void
test_limits_publish_rate_refuses_a_flood_with_its_reason_and_spares_the_backbone (void **state)
{
    static const char *const extra [] = {"--quota-rate", "64K", "--quota-total", "0", NULL};
    harness_world_t *world = s_world (state, extra);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (alice);
    assert_non_null (hub);
    //  A bucket of ten seconds at 64 KiB a second holds 640 KiB: 8 KiB
    //  notes go through some 80 times, then the rate says no. The bucket
    //  refills as they go, a note's worth every 125 ms: on a slow run
    //  (the sanitizers, a loaded machine) the publishes take long enough
    //  for one or more notes more, and no more than that.
    int64_t start = harness_now_msec ();
    size_t acked = s_publish_until_refused (alice, "early-literacy", "a", 200);
    int64_t took = harness_now_msec () - start;
    assert_true (acked < 200);
    assert_in_range (acked, 70, 80 + (size_t)(took * 64 / 8 / 1000) + 1);
    const char *expected = "partner 'alice' is over its publish rate of 65536 bytes a "
                           "second: retry in ";
    assert_memory_equal (cibus_error (alice), expected, strlen (expected));
    assert_non_null (strstr (cibus_error (alice), " s"));
    //  The refused note was not stored.
    assert_int_equal (s_last_seq (hub), acked);

    //  The backbone publishes as much as it likes.
    assert_int_equal (s_publish_until_refused (hub, "citywide", "h", 200), 200);
    assert_int_equal (s_last_seq (hub), acked + 200);
    cibus_destroy (&alice);
    cibus_destroy (&hub);
}

static void
test_limits_total_quota_counts_what_is_stored_across_restarts (void **state)
{
    static const char *const extra [] = {"--quota-rate", "0", "--quota-total", "100K", NULL};
    harness_world_t *world = s_world (state, extra);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    size_t acked = s_publish_until_refused (alice, "early-literacy", "a", 40);
    assert_true (acked < 40);
    //  About 8.3 KiB an entry: twelve fit in 100 KiB, a thirteenth does not.
    assert_int_equal (acked, 12);
    const char *expected = "partner 'alice' has stored ";
    assert_memory_equal (cibus_error (alice), expected, strlen (expected));
    assert_non_null (strstr (cibus_error (alice),
                             " bytes and may store 102400 in all: ask the backbone to raise "
                             "the quota"));
    cibus_destroy (&alice);

    //  A restart does not reset the account: it is read from the log.
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    assert_true (harness_broker_start (&world->broker, world->data, extra));
    alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    s_note_t note;
    s_note_init (&note, "early-literacy", "after-restart", 8 * 1024);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_ERR_QUOTA);
    s_note_release (&note);
    //  A small one still fits.
    s_note_init (&note, "early-literacy", "small", 10);
    assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, acked + 1);
    s_note_release (&note);
    cibus_destroy (&alice);
}

//  Quota and the batch: publishes pipelined into one commit count against
//  the total while they wait, and a retry of what is already stored is
//  acked as a duplicate even when the partner is over its quota.
typedef struct {
    size_t acked, refused;
} s_outcome_t;

static void
s_count_ack (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    (void) ack;
    (void) message;
    s_outcome_t *outcome = arg;
    if (err == CIBUS_OK)
        outcome->acked++;
    else {
        assert_int_equal (err, CIBUS_ERR_QUOTA);
        outcome->refused++;
    }
}

static void
test_limits_total_quota_holds_for_a_pipelined_batch_and_spares_retries (void **state)
{
    static const char *const extra [] = {"--quota-rate", "0", "--quota-total", "1M", NULL};
    harness_world_t *world = s_world (state, extra);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    s_outcome_t outcome = {0, 0};
    cibus_set_ack_handler (alice, s_count_ack, &outcome);
    cibus_set_window (alice, 1000);
    static s_note_t notes [200];
    for (int i = 0; i < 200; i++) {
        char id [32];
        snprintf (id, sizeof id, "p-%d", i);
        s_note_init (&notes [i], "early-literacy", id, 60 * 1024);
        assert_int_equal (cibus_publish_async (alice, &notes [i].env), CIBUS_OK);
    }
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_int_equal (outcome.acked + outcome.refused, 200);
    //  About 60 KiB an entry: some sixteen fit in a MiB.
    assert_in_range (outcome.acked, 15, 17);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (hub);
    assert_int_equal (s_last_seq (hub), outcome.acked);
    cibus_destroy (&hub);
    //  What is stored is within the total, and one entry more would not be.
    char path [PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/cibus.db", world->data);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT SUM (length (envelope)), MAX (length (envelope)) "
                                          "FROM log WHERE partner = 'alice'",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    sqlite3_int64 stored = sqlite3_column_int64 (stmt, 0);
    sqlite3_int64 largest = sqlite3_column_int64 (stmt, 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    assert_true (stored <= 1024 * 1024);
    assert_true (stored + largest > 1024 * 1024 - 64 * (sqlite3_int64) outcome.acked);
    //  The ack of the first was lost, say: its retry is acked, as a duplicate.
    cibus_set_ack_handler (alice, NULL, NULL);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &notes [0].env, &ack), CIBUS_OK);
    assert_true (ack.duplicate);
    assert_int_equal (ack.seq, 1);
    for (int i = 0; i < 200; i++)
        s_note_release (&notes [i]);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- memory

//  One multipart message of many large frames: libzmq keeps every frame
//  until the last arrives, and nothing in libzmq bounds the total (its
//  ZMQ_MAXMSGSIZE is per frame). The broker stops at --max-memory with exit
//  code 3; nothing acked before is lost, and a new broker serves on.
static void
test_limits_multipart_flood_costs_a_restart_never_data (void **state)
{
    static const char *const extra [] = {"--max-memory", "64M", NULL};
    harness_world_t *world = s_world (state, extra);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    for (int i = 0; i < 10; i++) {
        s_note_t note;
        char id [32];
        snprintf (id, sizeof id, "before-%d", i);
        s_note_init (&note, "early-literacy", id, 100);
        cibus_ack_t ack;
        assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_OK);
        s_note_release (&note);
    }
    cibus_destroy (&alice);

    zcert_t *cert = zcert_load (world->alice);
    assert_non_null (cert);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zcert_apply (cert, dealer);
    zsock_set_curve_serverkey (dealer, world->broker.broker_key);
    zsock_set_sndtimeo (dealer, S_TIMEOUT);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", world->broker.endpoint), 0);
    //  256 frames of a million bytes each: four times the limit.
    size_t frame_size = 1000 * 1000;
    char *frame = calloc (1, frame_size);
    assert_non_null (frame);
    void *handle = zsock_resolve (dealer);
    for (int i = 0; i < 256; i++)
        assert_int_equal (zmq_send (handle, frame, frame_size, i < 255 ? ZMQ_SNDMORE : 0),
                          (int)frame_size);
    free (frame);

    //  The broker stops on its own (signal 0 only waits), with exit code 3.
    int status = harness_broker_stop (&world->broker, 0);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 3);
    char *log = s_log (world);
    assert_non_null (strstr (log, "event=memory-limit"));
    free (log);

    //  Restarted, as its supervisor would: everything acked is there.
    assert_true (harness_broker_start (&world->broker, world->data, extra));
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (hub);
    assert_int_equal (s_last_seq (hub), 10);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
    for (uint64_t seq = 1; seq <= 10; seq++) {
        cibus_envelope_t *env = NULL;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        char id [32];
        snprintf (id, sizeof id, "before-%d", (int)seq - 1);
        assert_string_equal (env->id, id);
        cibus_envelope_free (env);
    }
    cibus_destroy (&hub);
}

//  ---------------------------------------------------------------- logs

//  An id holding a newline and a forged log line: refused for its control
//  character, and the broker's log gains no line of the client's making.
static void
test_limits_newline_in_an_id_forges_no_log_line (void **state)
{
    harness_world_t *world = s_world (state, NULL);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    s_note_t note;
    s_note_init (&note, "early-literacy", "x", 10);
    char forged [] = "x\n2026-01-01T00:00:00.000Z error event=forged by=alice";
    note.env.id = forged;
    reply_t *reply = s_publish_raw (alice, &note.env, CIBUS_ERR_BAD_FIELD);
    assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_ERROR);
    assert_string_equal (reply->error->field, "id");
    const char *expected = "field 'id' must be printable text without spaces or '/', got 'x";
    assert_memory_equal (reply->error->message, expected, strlen (expected));
    codec_reply_free (reply);
    s_note_release (&note);
    assert_int_equal (s_last_seq (alice), 0);
    cibus_destroy (&alice);

    char *log = s_log (world);
    size_t lines = 0, forged_lines = 0;
    for (char *line = strtok (log, "\n"); line; line = strtok (NULL, "\n")) {
        lines++;
        forged_lines += strncmp (line, "2026-01-01T00:00:00.000Z", 24) == 0;
        if (strstr (line, "event=forged"))
            assert_non_null (strstr (line, "x\\x0a2026-01-01T00:00:00.000Z error event=forged"));
    }
    assert_true (lines > 0);
    assert_int_equal (forged_lines, 0);
    free (log);
}

//  Bytes that are not UTF-8 in a note's body: refused naming the field,
//  nothing stored, so nothing can reach a reader's JSON.
static void
test_limits_invalid_utf8_is_refused_naming_the_field (void **state)
{
    harness_world_t *world = s_world (state, NULL);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    s_note_t note;
    s_note_init (&note, "early-literacy", "utf8-1", 10);
    char body [] = "minutes \xff\xfe of the meeting";
    note.note.body = body;
    reply_t *reply = s_publish_raw (alice, &note.env, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (reply->error->field, "note.body");
    assert_string_equal (reply->error->message, "field 'note.body' is not valid UTF-8");
    assert_string_equal (reply->error->id, "utf8-1");
    codec_reply_free (reply);
    note.note.body = note.body;
    assert_int_equal (s_last_seq (alice), 0);
    //  Well-formed text of any script goes through.
    char text [] = "Bogot\xc3\xa1, \xe6\x9d\xb1\xe4\xba\xac";
    note.note.body = text;
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    note.note.body = note.body;
    s_note_release (&note);
    cibus_destroy (&alice);
}

//  A stranger with a key the registry lacks, trying again and again: the
//  log gets a bounded number of lines, not one per attempt.
static void
test_limits_refused_handshakes_are_logged_at_a_bounded_rate (void **state)
{
    harness_world_t *world = s_world (state, NULL);
    char stranger [PATH_MAX + 16];
    snprintf (stranger, sizeof stranger, "%s/stranger_secret", world->dir);
    zcert_t *cert = zcert_new ();
    assert_int_equal (zcert_save_secret (cert, stranger), 0);
    zcert_destroy (&cert);
    for (int i = 0; i < 40; i++) {
        cibus_t *client = harness_client (world, stranger, S_TIMEOUT);
        assert_non_null (client);
        char partner [64], role [32];
        assert_int_equal (cibus_ping (client, partner, sizeof partner, role, sizeof role),
                          CIBUS_ERR_UNKNOWN_KEY);
        cibus_destroy (&client);
    }
    //  A request by a known key after them: the broker has taken every
    //  handshake before it (they come first in each turn of its loop).
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (hub);
    assert_int_equal (s_last_seq (hub), 0);
    cibus_destroy (&hub);
    char *log = s_log (world);
    size_t refused = harness_count (log, "event=auth-refused");
    assert_in_range (refused, 1, 10);
    free (log);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_limits_publish_rate_refuses_a_flood_with_its_reason_and_spares_the_backbone,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_limits_total_quota_counts_what_is_stored_across_restarts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_limits_total_quota_holds_for_a_pipelined_batch_and_spares_retries, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_limits_multipart_flood_costs_a_restart_never_data,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_limits_newline_in_an_id_forges_no_log_line, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_limits_invalid_utf8_is_refused_naming_the_field,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_limits_refused_handshakes_are_logged_at_a_bounded_rate, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
