/*  test_public_api.c - the client library's calls in cibus's own types
    (clients/cibus.h), against a real broker: notes, commitments, updates
    and tables published from plain structs, an Envelope a program encoded
    itself, entries read back through cibus_read and their accessors, JSON
    and bytes, questions answered as JSON. Each refusal is the broker's,
    with its code, its field and its words, whether the library said it
    first or the broker did.                                              */

#include "cibus.h"
#include "codec.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define S_TIMEOUT 10000

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

//  The entry's JSON with the digits of received_at, which the broker's
//  clock decides, replaced by T; the caller frees it.
static char *
s_json_untimed (const cibus_entry_t *entry)
{
    char *json = cibus_entry_json (entry);
    assert_non_null (json);
    char *at = strstr (json, "\"received_at\":");
    assert_non_null (at);
    at += strlen ("\"received_at\":");
    size_t digits = strspn (at, "0123456789");
    assert_true (digits > 0);
    *at = 'T';
    memmove (at + 1, at + digits, strlen (at + digits) + 1);
    return json;
}

static uint64_t
s_last_seq (cibus_t *client)
{
    cibus_status_t status;
    assert_int_equal (cibus_status (client, &status), CIBUS_OK);
    return status.last_seq;
}

//  The next entry of the cursor, which must come within the deadline.
static cibus_entry_t *
s_read (cibus_t *client)
{
    cibus_entry_t *entry = NULL;
    assert_int_equal (cibus_read (client, HARNESS_DEADLINE_MSEC, &entry), CIBUS_OK);
    assert_non_null (entry);
    return entry;
}

//  ---------------------------------------------------------------- notes

static void
test_public_api_a_note_is_published_and_read_back (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    const char *attendees [] = {"alice", "hub"};
    const char *decisions [] = {"Meet monthly"};
    cibus_note_t note = {.network = "early-literacy",
                         .id = "kickoff-2026-09",
                         .title = "Kickoff",
                         .body = "We met.",
                         .held_on = "2026-09-15",
                         .attendees = attendees,
                         .attendee_count = 2,
                         .decisions = decisions,
                         .decision_count = 1};
    cibus_ack_t ack;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_OK);
    assert_string_equal (ack.id, "kickoff-2026-09");
    assert_int_equal (ack.seq, 1);
    assert_false (ack.duplicate);
    //  Its id makes a second publish a duplicate, answered with the first seq.
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    assert_true (ack.duplicate);

    assert_int_equal (cibus_subscribe (alice, NULL, 0, 1, 0, NULL), CIBUS_OK);
    cibus_entry_t *entry = s_read (alice);
    assert_int_equal (cibus_entry_seq (entry), 1);
    assert_string_equal (cibus_entry_topic (entry), "early-literacy/note");
    assert_string_equal (cibus_entry_id (entry), "kickoff-2026-09");
    assert_string_equal (cibus_entry_partner (entry), "alice");
    assert_string_equal (cibus_entry_kind (entry), "note");
    assert_true (cibus_entry_received_at (entry) > 0);
    char *json = s_json_untimed (entry);
    assert_string_equal (json, "{\"seq\":1,\"topic\":\"early-literacy/note\",\"partner\":\"alice\","
                               "\"id\":\"kickoff-2026-09\",\"received_at\":T,\"kind\":\"note\","
                               "\"title\":\"Kickoff\",\"body\":\"We met.\","
                               "\"held_on\":\"2026-09-15\",\"attendees\":[\"alice\",\"hub\"],"
                               "\"decisions\":[\"Meet monthly\"]}");
    free (json);

    //  The bytes are an Envelope of proto/cibus.proto, as the broker stored it.
    size_t size = 0;
    const void *bytes = cibus_entry_bytes (entry, &size);
    assert_non_null (bytes);
    assert_true (size > 0);
    Cibus__Envelope *env = codec_envelope_decode (bytes, size);
    assert_non_null (env);
    assert_int_equal (env->seq, 1);
    assert_string_equal (env->partner, "alice");
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_NOTE);
    assert_string_equal (env->note->title, "Kickoff");
    assert_int_equal (env->note->n_decisions, 1);
    codec_envelope_free (env);
    //  Asked again, the same bytes.
    size_t again = 0;
    assert_ptr_equal (cibus_entry_bytes (entry, &again), bytes);
    assert_int_equal (again, size);
    cibus_entry_destroy (&entry);
    assert_null (entry);
    cibus_entry_destroy (&entry);

    //  Nothing more: the read times out, with no entry.
    entry = (cibus_entry_t *) &entry;
    assert_int_equal (cibus_read (alice, 100, &entry), CIBUS_ERR_TIMEOUT);
    assert_null (entry);
    assert_string_equal (cibus_error (alice), "nothing new within 100 ms");

    //  Asked about: among the notes held since its day, not since the day after.
    cibus_question_t question = {.kind = "notes", .network = "early-literacy",
                                 .since = "2026-09-15"};
    char *answer = NULL;
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    assert_string_equal (answer, "{\"tables\":[{\"title\":\"notes\",\"rows\":["
                                 "{\"held_on\":\"2026-09-15\",\"partner\":\"alice\","
                                 "\"network\":\"early-literacy\",\"title\":\"Kickoff\","
                                 "\"decisions\":\"Meet monthly\",\"id\":\"kickoff-2026-09\"}]}]}");
    free (answer);
    question.since = "2026-09-16";
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    assert_string_equal (answer, "{\"tables\":[{\"title\":\"notes\",\"rows\":[]}]}");
    free (answer);
    cibus_destroy (&alice);
}

static void
test_public_api_refusals_name_the_field_and_the_reason (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *feed = harness_client (world, world->feed, S_TIMEOUT);
    cibus_note_t note = {.network = "postsecondary", .title = "Not ours"};
    cibus_ack_t ack;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error_field (alice), "topic");
    assert_string_equal (cibus_error (alice), "partner 'alice' may not publish to network "
                                              "'postsecondary': it is not one of its networks");

    note.network = NULL;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "topic");
    assert_string_equal (cibus_error (alice),
                         "field 'topic' has an empty network: expected <network>/note");

    note.network = "early-literacy";
    note.title = NULL;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "note.title");
    assert_string_equal (cibus_error (alice), "field 'note.title' is required");

    note.title = "Kickoff";
    note.held_on = "2026-13-01";
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "note.held_on");
    assert_string_equal (cibus_error (alice),
                         "field 'note.held_on' expects a date like 2026-12-15, got '2026-13-01'");

    //  A network longer than any topic is judged whole, not cut.
    char network [301];
    memset (network, 'n', 300);
    network [300] = 0;
    note.held_on = NULL;
    note.network = network;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "topic");
    assert_string_equal (cibus_error (alice), "field 'topic' is 305 bytes, over its limit of 128");

    note.network = "early-literacy";
    assert_int_equal (cibus_publish_note (feed, &note, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error_field (feed), "body");
    assert_string_equal (cibus_error (feed),
                         "integrator 'feed' may publish data submissions only, not a note");
    assert_int_equal (s_last_seq (alice), 0);
    cibus_destroy (&feed);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- commitments

static void
test_public_api_a_commitment_and_its_update (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    const char *indicators [] = {"k3-reading"};
    cibus_commitment_t commitment = {.network = "early-literacy",
                                     .action = "Tutor every K-3 reader below grade level",
                                     .due = "2026-12-15",
                                     .indicators = indicators,
                                     .indicator_count = 1};
    cibus_ack_t ack;
    //  Its indicator must be in the catalogue (PROTOCOL.md 7.4).
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_ERR_NOT_FOUND);
    assert_string_equal (cibus_error_field (alice), "commitment.indicators");
    assert_string_equal (cibus_error (alice), "indicator 'k3-reading' is not in the catalogue");
    assert_true (harness_define_k3 (world)); //  seq 1
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    //  No id given: a fresh one, which the update names.
    assert_int_equal (strlen (ack.id), 32);
    char commitment_id [sizeof ack.id];
    snprintf (commitment_id, sizeof commitment_id, "%s", ack.id);

    cibus_update_t update = {.network = "early-literacy",
                             .id = "update-1",
                             .commitment_id = commitment_id,
                             .status = "finished"};
    assert_int_equal (cibus_publish_update (alice, &update, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "update.status");
    assert_string_equal (cibus_error (alice),
                         "field 'update.status' must be on-track, at-risk, done or dropped");
    update.status = "committed";
    assert_int_equal (cibus_publish_update (alice, &update, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice),
                         "field 'update.status' must be on-track, at-risk, done or dropped");
    update.status = NULL;
    assert_int_equal (cibus_publish_update (alice, &update, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice), "field 'update.status' is required");
    update.status = "on-track";
    update.comment = "Tutors hired";
    assert_int_equal (cibus_publish_update (alice, &update, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 3);
    assert_string_equal (ack.id, "update-1");

    commitment.due = NULL;
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "commitment.due");
    assert_string_equal (cibus_error (alice), "field 'commitment.due' is required");

    //  Both travel on the commitment topic, each its own kind.
    const char *prefixes [] = {"early-literacy/commitment"};
    assert_int_equal (cibus_subscribe (alice, prefixes, 1, 1, 0, NULL), CIBUS_OK);
    cibus_entry_t *entry = s_read (alice);
    assert_int_equal (cibus_entry_seq (entry), 2);
    assert_string_equal (cibus_entry_kind (entry), "commitment");
    assert_string_equal (cibus_entry_topic (entry), "early-literacy/commitment");
    assert_string_equal (cibus_entry_id (entry), commitment_id);
    char *json = s_json_untimed (entry);
    char expect [1024];
    snprintf (expect, sizeof expect,
              "{\"seq\":2,\"topic\":\"early-literacy/commitment\",\"partner\":\"alice\","
              "\"id\":\"%s\",\"received_at\":T,\"kind\":\"commitment\","
              "\"action\":\"Tutor every K-3 reader below grade level\",\"due\":\"2026-12-15\","
              "\"indicators\":[\"k3-reading\"]}",
              commitment_id);
    assert_string_equal (json, expect);
    free (json);
    cibus_entry_destroy (&entry);
    entry = s_read (alice);
    assert_int_equal (cibus_entry_seq (entry), 3);
    assert_string_equal (cibus_entry_kind (entry), "update");
    assert_string_equal (cibus_entry_topic (entry), "early-literacy/commitment");
    json = s_json_untimed (entry);
    snprintf (expect, sizeof expect,
              "{\"seq\":3,\"topic\":\"early-literacy/commitment\",\"partner\":\"alice\","
              "\"id\":\"update-1\",\"received_at\":T,\"kind\":\"update\","
              "\"commitment_id\":\"%s\",\"status\":\"on-track\",\"comment\":\"Tutors hired\"}",
              commitment_id);
    assert_string_equal (json, expect);
    free (json);
    //  The day the update was stored, as the answer below dates it.
    time_t stored = (time_t) (cibus_entry_received_at (entry) / 1000000);
    struct tm tm;
    gmtime_r (&stored, &tm);
    char updated [16];
    strftime (updated, sizeof updated, "%Y-%m-%d", &tm);
    cibus_entry_destroy (&entry);

    //  The question about commitments answers with it: overdue once its
    //  day is past, and not before.
    cibus_question_t question = {.kind = "commitments", .network = "early-literacy",
                                 .owner = "alice", .overdue = true, .today = "2027-01-04"};
    char *answer = NULL;
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    snprintf (expect, sizeof expect,
              "{\"tables\":[{\"title\":\"commitments\",\"rows\":[{\"id\":\"%s\","
              "\"owner\":\"alice\",\"network\":\"early-literacy\","
              "\"action\":\"Tutor every K-3 reader below grade level\",\"due\":\"2026-12-15\","
              "\"status\":\"on-track\",\"updated\":\"%s\",\"overdue\":\"yes\"}]}]}",
              commitment_id, updated);
    assert_string_equal (answer, expect);
    free (answer);
    question.today = "2026-10-01";
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    assert_string_equal (answer, "{\"tables\":[{\"title\":\"commitments\",\"rows\":[]}]}");
    free (answer);
    cibus_destroy (&alice);
}

//  A commitment names the note it came from and which of its decisions:
//  the entry carries both, under their names in proto/cibus.proto.
static void
test_public_api_a_commitment_names_the_note_it_came_from (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    const char *decisions [] = {"Open libraries", "Share data monthly"};
    cibus_note_t note = {.network = "early-literacy",
                         .id = "kickoff",
                         .title = "Kickoff",
                         .decisions = decisions,
                         .decision_count = 2};
    cibus_ack_t ack;
    assert_int_equal (cibus_publish_note (alice, &note, &ack), CIBUS_OK);
    cibus_commitment_t commitment = {.network = "early-literacy",
                                     .id = "libraries",
                                     .action = "Open 3 libraries",
                                     .due = "2026-12-15",
                                     .decision = 1};
    //  A decision is a decision of the note named beside it.
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "commitment.decision");
    assert_string_equal (cibus_error (alice),
                         "field 'commitment.decision' numbers a decision of the note in "
                         "'commitment.from_note', which is absent");
    commitment.from_note = "kickoff";
    commitment.decision = 3;
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice),
                         "note 'kickoff' records 2 decisions: there is no decision 3");
    commitment.decision = 1;
    assert_int_equal (cibus_publish_commitment (alice, &commitment, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);

    const char *prefixes [] = {"early-literacy/commitment"};
    assert_int_equal (cibus_subscribe (alice, prefixes, 1, 1, 0, NULL), CIBUS_OK);
    cibus_entry_t *entry = s_read (alice);
    char *json = s_json_untimed (entry);
    assert_string_equal (json, "{\"seq\":2,\"topic\":\"early-literacy/commitment\","
                               "\"partner\":\"alice\",\"id\":\"libraries\",\"received_at\":T,"
                               "\"kind\":\"commitment\",\"action\":\"Open 3 libraries\","
                               "\"due\":\"2026-12-15\",\"indicators\":[],"
                               "\"from_note\":\"kickoff\",\"decision\":1}");
    free (json);
    cibus_entry_destroy (&entry);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- tables

static cibus_table_t *
s_table (const char *period, const char *total, const char *black)
{
    cibus_table_t *table = cibus_table_new ();
    assert_non_null (table);
    assert_int_equal (cibus_table_set (table, "indicator", "k3-reading"), CIBUS_OK);
    assert_int_equal (cibus_table_set (table, "period", period), CIBUS_OK);
    assert_int_equal (cibus_table_set_total (table, total), CIBUS_OK);
    assert_int_equal (cibus_table_add_cell (table, "race=black", black), CIBUS_OK);
    assert_int_equal (cibus_table_add_cell (table, "race=white", "190/240"), CIBUS_OK);
    return table;
}

static void
test_public_api_a_table_is_published_and_asked_for (void **state)
{
    harness_world_t *world = *state;
    assert_true (harness_define_k3 (world)); //  seq 1
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_table_t *table = s_table ("2026-Q3", "245/412", "52/160");
    cibus_ack_t ack;
    assert_int_equal (cibus_publish_table (alice, "early-literacy", "k3-q3", table, &ack),
                      CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    assert_int_equal (ack.version, 1);
    //  The table is only read: changed, it goes again as a correction.
    assert_int_equal (cibus_table_add_cell (table, "race=asian", "3/12"), CIBUS_OK);
    assert_int_equal (cibus_table_set_total (table, "248/424"), CIBUS_OK);
    assert_int_equal (cibus_publish_table (alice, "early-literacy", "k3-q3-fixed", table, &ack),
                      CIBUS_OK);
    assert_int_equal (ack.seq, 3);
    assert_int_equal (ack.version, 2);
    assert_int_equal (cibus_publish_table (alice, "postsecondary", NULL, table, &ack),
                      CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (alice), "partner 'alice' may not publish to network "
                                              "'postsecondary': it is not one of its networks");
    cibus_table_destroy (&table);

    //  The values as they stand: the correction's, by race.
    cibus_question_t question = {.kind = "values", .indicator = "k3-reading", .by = "race",
                                 .units = true,
                                 .network = "early-literacy"};
    char *answer = NULL;
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    assert_string_equal (
        answer,
        "{\"tables\":[{\"title\":\"values of k3-reading\",\"rows\":["
        "{\"period\":\"2026-Q3\",\"group\":\"all\",\"partner\":\"alice\","
        "\"value\":58.490566037735846,\"n\":424,\"status\":\"final\",\"target\":null,"
        "\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"asian\",\"partner\":\"alice\",\"value\":25,"
        "\"n\":12,\"status\":\"final\",\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"black\",\"partner\":\"alice\",\"value\":32.5,"
        "\"n\":160,\"status\":\"final\",\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"white\",\"partner\":\"alice\","
        "\"value\":79.166666666666671,\"n\":240,\"status\":\"final\",\"target\":null,"
        "\"change\":null}]}]}");
    free (answer);
    //  With the history: both versions, the first no longer current.
    question.history = true;
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_OK);
    assert_non_null (strstr (answer, "]},{\"title\":\"history of k3-reading\",\"rows\":["
                                     "{\"period\":\"2026-Q3\",\"group\":\"all\","
                                     "\"partner\":\"alice\",\"value\":59.466019417475728,"
                                     "\"n\":412,\"status\":\"final\",\"version\":1,"));
    assert_int_equal (harness_count (answer, "\"version\":1,"), 3);
    assert_int_equal (harness_count (answer, "\"version\":2,"), 4);
    assert_int_equal (harness_count (answer, "\"current\":\"no\""), 3);
    free (answer);
    //  The report on the quarter: its tables, always the same nine.
    cibus_question_t report = {.kind = "report", .period = "2026-Q3"};
    assert_int_equal (cibus_ask (alice, &report, &answer), CIBUS_OK);
    assert_int_equal (strncmp (answer, "{\"tables\":[{\"title\":", 20), 0);
    assert_int_equal (harness_count (answer, "{\"title\":"), 9);
    free (answer);
    //  Bright spots of a practice nobody was tagged with: alice's table is
    //  on the side without it, and the caution is there all the same.
    cibus_question_t brightspots = {.kind = "brightspots", .indicator = "k3-reading",
                                    .period = "2026-Q3", .practice = "leveled-libraries"};
    assert_int_equal (cibus_ask (alice, &brightspots, &answer), CIBUS_OK);
    assert_non_null (strstr (answer, "{\"title\":\"with and without leveled-libraries\","
                                     "\"rows\":[{\"group\":\"with\",\"units\":\"0 of 0\","));
    assert_non_null (strstr (answer, "{\"group\":\"without\",\"units\":\"1 of 1\","
                                     "\"value\":58.490566037735846,\"n\":424,"));
    assert_non_null (strstr (answer, "not a controlled study"));
    assert_int_equal (harness_count (answer, "{\"title\":"), 3);
    free (answer);

    //  A refusal leaves no answer.
    question.indicator = NULL;
    answer = (char *) &answer;
    assert_int_equal (cibus_ask (alice, &question, &answer), CIBUS_ERR_BAD_FIELD);
    assert_null (answer);
    assert_string_equal (cibus_error_field (alice), "query.indicator");
    assert_string_equal (cibus_error (alice),
                         "field 'query.indicator' is required for a values query");
    cibus_destroy (&alice);
}

//  Async: what the ack handler heard.
typedef struct {
    size_t count;
    cibus_ack_t acks [8];
    cibus_err_t errs [8];
    char messages [8][256];
} s_heard_t;

static void
s_hear (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    s_heard_t *heard = arg;
    assert_true (heard->count < 8);
    heard->acks [heard->count] = *ack;
    heard->errs [heard->count] = err;
    snprintf (heard->messages [heard->count], sizeof heard->messages [0], "%s",
              message ? message : "");
    heard->count++;
}

static void
test_public_api_tables_in_flight_are_acked_to_the_handler (void **state)
{
    harness_world_t *world = *state;
    assert_true (harness_define_k3 (world)); //  seq 1
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_heard_t heard = {0};
    cibus_set_ack_handler (alice, s_hear, &heard);
    cibus_set_window (alice, 2);
    const char *periods [] = {"2026-Q1", "2026-Q2", "2026-Q3"};
    const char *ids [] = {"k3-q1", "k3-q2", "k3-q3"};
    for (size_t i = 0; i < 3; i++) {
        cibus_table_t *table = s_table (periods [i], "245/412", "52/160");
        assert_int_equal (cibus_publish_table_async (alice, "early-literacy", ids [i], table),
                          CIBUS_OK);
        //  Sent: the table may go at once.
        cibus_table_destroy (&table);
        assert_true (cibus_in_flight (alice) <= 2);
    }
    cibus_table_t *table = s_table ("2026-Q4", "245/412", "52/160");
    assert_int_equal (cibus_publish_table_async (alice, "postsecondary", "k3-q4", table), CIBUS_OK);
    //  Checked before it is sent: refused here, never in flight.
    assert_int_equal (cibus_publish_table_async (alice, "", "k3-q4", table), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice),
                         "field 'topic' has an empty network: expected <network>/data");
    cibus_table_destroy (&table);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_int_equal (cibus_in_flight (alice), 0);
    //  Each heard once. A refusal may overtake the acks of tables stored
    //  before it (those wait for their commit), so each is found by its id.
    assert_int_equal (heard.count, 4);
    for (size_t i = 0; i < 4; i++) {
        const char *id = i < 3 ? ids [i] : "k3-q4";
        size_t at = 0;
        while (at < heard.count && strcmp (heard.acks [at].id, id) != 0)
            at++;
        assert_true (at < heard.count);
        if (i < 3) {
            assert_int_equal (heard.errs [at], CIBUS_OK);
            assert_int_equal (heard.acks [at].seq, 2 + i);
            assert_int_equal (heard.acks [at].version, 1);
        }
        else {
            assert_int_equal (heard.errs [at], CIBUS_ERR_FORBIDDEN);
            assert_string_equal (heard.messages [at],
                                 "partner 'alice' may not publish to network 'postsecondary': "
                                 "it is not one of its networks");
        }
    }
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- bytes

//  A note encoded as a program with its own generated code would.
static void
s_encode_note (const char *id, const char *topic, const char *title, codec_buf_t *buf)
{
    Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
    note.title = (char *) title;
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.id = (char *) id;
    env.topic = (char *) topic;
    env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    env.note = &note;
    assert_int_equal (codec_pack_envelope (&env, buf), CIBUS_OK);
}

static void
test_public_api_bytes_a_program_encoded_go_through_the_same_checks (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    codec_buf_t buf = {0};
    s_encode_note ("from-bytes", "early-literacy/note", "From bytes", &buf);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish_bytes (alice, buf.data, buf.size, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    assert_string_equal (ack.id, "from-bytes");
    //  Without an id, a fresh one.
    s_encode_note (NULL, "early-literacy/note", "No id", &buf);
    assert_int_equal (cibus_publish_bytes (alice, buf.data, buf.size, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    assert_int_equal (strlen (ack.id), 32);

    //  Bytes that are not an Envelope.
    assert_int_equal (cibus_publish_bytes (alice, "\x0a\xff\xff", 3, &ack), CIBUS_ERR_MALFORMED);
    assert_string_equal (cibus_error (alice), "the 3 bytes given do not decode as an Envelope "
                                              "of proto/cibus.proto");
    assert_string_equal (cibus_error_field (alice), "");
    //  An Envelope the broker's rules refuse, in its words.
    s_encode_note ("wrong-topic", "early-literacy/data", "Misfiled", &buf);
    assert_int_equal (cibus_publish_bytes (alice, buf.data, buf.size, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "topic");
    assert_string_equal (cibus_error (alice), "field 'topic' is 'early-literacy/data' but a note "
                                              "body goes to 'early-literacy/note'");
    s_encode_note ("elsewhere", "postsecondary/note", "Not ours", &buf);
    assert_int_equal (cibus_publish_bytes (alice, buf.data, buf.size, &ack), CIBUS_ERR_FORBIDDEN);
    //  A title holding a NUL, which would decode cut short: topic (2)
    //  early-literacy/note, note (11) { title (1) "a\0b" }.
    static const char nul [] = "\x12\x13" "early-literacy/note" "\x5a\x05\x0a\x03" "a\0b";
    assert_int_equal (cibus_publish_bytes (alice, nul, sizeof nul - 1, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "note.title");
    assert_string_equal (cibus_error (alice), "field 'note.title' holds the control character "
                                              "U+0000: text may hold tab, newline and carriage "
                                              "return, no other");
    assert_int_equal (s_last_seq (alice), 2);

    //  What cibus_entry_bytes gives, cibus_publish_bytes takes: the same id,
    //  so a duplicate of the entry (the broker's seq, partner and time in
    //  it are the broker's to set, and ignored).
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
    cibus_entry_t *entry = s_read (hub);
    assert_string_equal (cibus_entry_id (entry), "from-bytes");
    size_t size;
    const void *bytes = cibus_entry_bytes (entry, &size);
    assert_int_equal (cibus_publish_bytes (alice, bytes, size, &ack), CIBUS_OK);
    assert_true (ack.duplicate);
    assert_int_equal (ack.seq, 1);
    cibus_entry_destroy (&entry);
    codec_buf_release (&buf);
    cibus_destroy (&hub);
    cibus_destroy (&alice);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_public_api_a_note_is_published_and_read_back,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_public_api_refusals_name_the_field_and_the_reason,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_public_api_a_commitment_and_its_update, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_public_api_a_commitment_names_the_note_it_came_from, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_public_api_a_table_is_published_and_asked_for,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_public_api_tables_in_flight_are_acked_to_the_handler, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_public_api_bytes_a_program_encoded_go_through_the_same_checks, s_setup,
            s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("public_api", tests, NULL, NULL);
}
