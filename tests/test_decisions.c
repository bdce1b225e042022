/*  test_decisions.c - notes, their decisions and the commitments that came
    from them (issue 13, point 7; PROTOCOL.md 6.4, 7.4 and 8.7).

    A note is named by its id within its network, and records a meeting
    that was held: not after today. A commitment may name the note it came
    from and which of its decisions, in its own network, and the
    indicators it means to move, in the catalogue. The report lists the
    decisions of the period's meetings with the commitments that came from
    each, "overdue" judged at the query's today.

    The rules and the report are tried through the store's one append path
    (tests/measure_fixture.h: its today is FIXTURE_TODAY, its clock a day
    an entry from 2026-01-05); the command line's options through the real
    broker and the real cibus (tests/harness.h).                           */

#include "measure_fixture.h"

#include <sqlite3.h>
#include <time.h>

//  ------------------------------------------------------------ builders

//  A commitment of network that came from note (NULL: none), decision 0
//  for none.
static envelope_t *
s_commitment (collab_msg_t *m, const char *id, const char *network, const char *due,
              const char *note, uint32_t decision)
{
    commitment_msg (m, id, network, "an action", due);
    m->commitment.from_note = (char *)note;
    m->commitment.has_decision = decision > 0;
    m->commitment.decision = decision;
    return &m->env;
}

//  A commitment meant to move these indicators (NULL-terminated).
static void
s_indicators (collab_msg_t *m, char **indicators)
{
    size_t count = 0;
    while (indicators [count])
        count++;
    m->commitment.n_indicators = count;
    m->commitment.indicators = indicators;
}

//  One integer the database answers, read beside the store.
static long long
s_sql_int (world_t *self, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    long long value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

//  ------------------------------------------------------------ notes

//  A note is named by its network and its id, as a commitment is: another
//  partner's note under the same id in the same network is refused, the
//  same partner again is a duplicate, and another network's is another
//  note.
static void
test_decisions_a_note_id_is_one_note_in_its_network (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "meeting", "early-literacy", "network meeting", "2026-02-10");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_int_equal (self->appended.seq, 1);
    note_msg (&c, "meeting", "early-literacy", "network meeting", "2026-02-10");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_true (self->appended.duplicate);
    assert_int_equal (self->appended.seq, 1);
    note_msg (&c, "meeting", "early-literacy", "our own meeting", "2026-02-11");
    PUBLISH_REFUSED (self, &self->carol, &c.env, CIBUS_ERR_EXISTS, "id",
                     "note 'meeting' already exists, recorded by 'alice': choose another id");
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_EXISTS, "id",
                     "note 'meeting' already exists, recorded by 'alice': choose another id");
    note_msg (&c, "meeting", "postsecondary", "FAFSA night", "2026-02-11");
    PUBLISH_OK (self, &self->bob, &c.env);
    assert_int_equal (self->appended.seq, 2);
    assert_int_equal (s_sql_int (self, "SELECT count(*) FROM notes WHERE id = 'meeting'"), 2);
}

//  A note held after today is refused; one held today, or with no date
//  (it is then the day it was received), is not. Today is the UTC date of
//  the entry's received_at - the broker's clock - unless a test fixed it.
static void
test_decisions_a_note_held_after_today_is_refused (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "n1", "early-literacy", "held today", FIXTURE_TODAY);
    PUBLISH_OK (self, &self->alice, &c.env);
    note_msg (&c, "n2", "early-literacy", "held tomorrow", "2026-06-02");
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "note.held_on",
                     "field 'note.held_on' is 2026-06-02, after today (2026-06-01, UTC): record "
                     "a meeting once it has been held");
    note_msg (&c, "n2", "early-literacy", "held next year", "2027-06-01");
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_BAD_FIELD, "note.held_on",
                     "field 'note.held_on' is 2027-06-01, after today (2026-06-01, UTC): record "
                     "a meeting once it has been held");

    //  By the clock: the next entry is received on 2026-01-06, the fixture's
    //  second day.
    store_set_today (self->store, NULL);
    note_msg (&c, "n2", "early-literacy", "held the day after", "2026-01-07");
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "note.held_on",
                     "field 'note.held_on' is 2026-01-07, after today (2026-01-06, UTC): record "
                     "a meeting once it has been held");
    note_msg (&c, "n2", "early-literacy", "held that day", "2026-01-06");
    PUBLISH_OK (self, &self->alice, &c.env);
    note_msg (&c, "n3", "early-literacy", "held long ago", "1999-12-31");
    PUBLISH_OK (self, &self->alice, &c.env);
    note_msg (&c, "n4", "early-literacy", "no date", NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_int_equal (s_sql_int (self, "SELECT count(*) FROM notes WHERE id = 'n4' AND "
                                       "held_on = '2026-01-08'"),
                      1);
    //  What the store checks on its own (a publish checked before it is
    //  appended) is judged at the wall clock's date: 9999 is after it.
    note_msg (&c, "n5", "early-literacy", "far ahead", "9999-12-31");
    codec_problem_t problem;
    assert_int_equal (store_check_entry (self->store, &c.env, &self->alice, &problem),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (problem.field, "note.held_on");
}

//  ------------------------------------------------------------ commitments

//  The indicators a commitment means to move are in the catalogue, as a
//  data table's indicator is - defined before it, in the same batch too.
static void
test_decisions_a_commitment_names_indicators_of_the_catalogue (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    char *unknown [] = {"k3-reading", NULL};
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    s_indicators (&c, unknown);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.indicators",
                     "indicator 'k3-reading' is not in the catalogue");

    //  The definition and the commitment in one transaction.
    indicator_msg_t def;
    indicator_msg (&def, "def-k3", "k3-reading", "3rd-grade reading proficiency",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->hub, &def.env, &problem), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (self->appended.seq, 2);

    //  The first unknown one is named; an id with a space is no indicator.
    char *some [] = {"k3-reading", "k3 writing", "absence", NULL};
    commitment_msg (&c, "c2", "early-literacy", "tutor 40 students", "2026-12-15");
    s_indicators (&c, some);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.indicators",
                     "indicator 'k3 writing' is not in the catalogue");
    world_define_absence (self);
    some [1] = "absence";
    some [2] = NULL;
    s_indicators (&c, some);
    PUBLISH_OK (self, &self->alice, &c.env);
    //  Without indicators, nothing to look up.
    commitment_msg (&c, "c3", "early-literacy", "hire a coach", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
}

//  A commitment's note is looked up in its own network: a note of another
//  network does not exist for it, in the words for an id nobody used,
//  whoever asks; the decision is one of that note's.
static void
test_decisions_a_commitment_names_a_note_of_its_network (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "m-feb", "early-literacy", "network meeting", "2026-02-10");
    note_decision (&c, "open libraries in 3 schools");
    note_decision (&c, "share attendance data monthly");
    PUBLISH_OK (self, &self->hub, &c.env);
    note_msg (&c, "m-post", "postsecondary", "FAFSA night debrief", "2026-03-05");
    note_decision (&c, "repeat in fall");
    PUBLISH_OK (self, &self->bob, &c.env);
    note_msg (&c, "m-apr", "early-literacy", "tutoring check-in", "2026-04-15");
    PUBLISH_OK (self, &self->carol, &c.env);

    s_commitment (&c, "c1", "early-literacy", "2026-03-01", "m-none", 0);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.from_note",
                     "note 'm-none' does not exist");
    s_commitment (&c, "c1", "early-literacy", "2026-03-01", "m-post", 1);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.from_note",
                     "note 'm-post' does not exist");
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.from_note",
                     "note 'm-post' does not exist");
    s_commitment (&c, "c1", "postsecondary", "2026-03-01", "m-feb", 1);
    PUBLISH_REFUSED (self, &self->bob, &c.env, CIBUS_ERR_NOT_FOUND, "commitment.from_note",
                     "note 'm-feb' does not exist");

    s_commitment (&c, "c1", "early-literacy", "2026-03-01", "m-feb", 3);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                     "note 'm-feb' records 2 decisions: there is no decision 3");
    s_commitment (&c, "c1", "postsecondary", "2026-03-01", "m-post", 2);
    PUBLISH_REFUSED (self, &self->bob, &c.env, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                     "note 'm-post' records 1 decision: there is no decision 2");
    s_commitment (&c, "c1", "early-literacy", "2026-03-01", "m-apr", 1);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                     "note 'm-apr' records no decisions: there is no decision 1");
    //  The codec's rules first: a decision needs its note, and counts from 1.
    s_commitment (&c, "c1", "early-literacy", "2026-03-01", NULL, 1);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                     "field 'commitment.decision' numbers a decision of the note in "
                     "'commitment.from_note', which is absent");

    s_commitment (&c, "c1", "early-literacy", "2026-03-01", "m-feb", 2);
    PUBLISH_OK (self, &self->alice, &c.env);
    s_commitment (&c, "c2", "early-literacy", "2026-03-01", "m-apr", 0);
    PUBLISH_OK (self, &self->carol, &c.env);
    //  A note and a commitment that came from it, in one transaction.
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    note_msg (&c, "m-may", "early-literacy", "planning", "2026-05-04");
    note_decision (&c, "plan summer camp");
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    s_commitment (&c, "c3", "early-literacy", "2026-07-01", "m-may", 1);
    assert_int_equal (world_add (self, &self->carol, &c.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);

    //  Projected as stored, and in the entry every reader gets.
    assert_int_equal (s_sql_int (self, "SELECT count(*) FROM commitments WHERE "
                                       "(id, from_note, decision) IN (VALUES ('c1', 'm-feb', 2), "
                                       "('c3', 'm-may', 1)) OR (id = 'c2' AND "
                                       "from_note = 'm-apr' AND decision IS NULL)"),
                      3);
    envelope_t *env = world_replay (self, 4, &self->carol);
    assert_non_null (env);
    assert_string_equal (env->commitment->from_note, "m-feb");
    assert_true (env->commitment->has_decision);
    assert_int_equal (env->commitment->decision, 2);
    codec_envelope_free (env);
}

//  ------------------------------------------------------------ the report

//  Three meetings and the commitments that came from them:
//    m-feb (hub, early-literacy, 2026-02-10): 1 open libraries - alice's
//          c-lib due 2026-03-01, carol's c-lib2 due 2026-05-01 at risk;
//          2 share attendance data - no one; and alice's c-all from the
//          meeting as a whole, due 2026-09-01
//    m-post (bob, postsecondary, 2026-03-05): 1 repeat in fall - bob's
//          c-post due 2026-04-01, done
//    m-apr (carol, early-literacy, 2026-04-15): no decisions; carol's
//          c-apr from it, due 2026-07-01
//  and alice's c-free, from no meeting.
static void
s_publish_meetings (world_t *self)
{
    collab_msg_t c;
    note_msg (&c, "m-feb", "early-literacy", "network meeting", "2026-02-10");
    note_decision (&c, "open libraries in 3 schools");
    note_decision (&c, "share attendance data monthly");
    PUBLISH_OK (self, &self->hub, &c.env);
    note_msg (&c, "m-post", "postsecondary", "FAFSA night debrief", "2026-03-05");
    note_decision (&c, "repeat in fall");
    PUBLISH_OK (self, &self->bob, &c.env);
    note_msg (&c, "m-apr", "early-literacy", "tutoring check-in", "2026-04-15");
    PUBLISH_OK (self, &self->carol, &c.env);

    s_commitment (&c, "c-lib", "early-literacy", "2026-03-01", "m-feb", 1);
    PUBLISH_OK (self, &self->alice, &c.env);
    s_commitment (&c, "c-lib2", "early-literacy", "2026-05-01", "m-feb", 1);
    PUBLISH_OK (self, &self->carol, &c.env);
    update_msg (&c, "u-lib2", "early-literacy", "c-lib2", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "no shelves yet");
    PUBLISH_OK (self, &self->carol, &c.env);
    s_commitment (&c, "c-all", "early-literacy", "2026-09-01", "m-feb", 0);
    PUBLISH_OK (self, &self->alice, &c.env);
    s_commitment (&c, "c-post", "postsecondary", "2026-04-01", "m-post", 1);
    PUBLISH_OK (self, &self->bob, &c.env);
    update_msg (&c, "u-post", "postsecondary", "c-post", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->bob, &c.env);
    s_commitment (&c, "c-apr", "early-literacy", "2026-07-01", "m-apr", 0);
    PUBLISH_OK (self, &self->carol, &c.env);
    s_commitment (&c, "c-free", "early-literacy", "2026-02-01", NULL, 0);
    PUBLISH_OK (self, &self->alice, &c.env);
}

//  The report's decisions table for period, as reader sees it at today.
static const char *
s_decisions (world_t *self, const store_partner_t *reader, const char *period, const char *today,
             const char *network)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "report";
    query.period = (char *)period;
    query.today = (char *)today;
    query.network = (char *)network;
    store_answer_t *reply = world_query (self, &query, reader);
    static char text [4096];
    snprintf (text, sizeof text, "%s", world_render (reply, "decisions"));
    store_answer_free (reply);
    return text;
}

#define S_COLUMNS "held_on|note|decision|text|commitment|owner|due|status|overdue\n"

//  Each decision of the period's meetings with the commitments that came
//  from it, a decision no one took up with empty cells, then what came
//  from the meeting as a whole; read access is the note's network's.
static void
test_decisions_report_lists_each_decision_with_its_commitments (void **state)
{
    world_t *self = *state;
    s_publish_meetings (self);
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "report";
    query.period = "2026-Q1";
    store_answer_t *reply = world_query (self, &query, &self->hub);
    //  The last table, after the meetings it details.
    assert_string_equal (reply->tables [reply->n_tables - 2]->title, "meetings");
    assert_string_equal (reply->tables [reply->n_tables - 1]->title, "decisions");
    store_answer_free (reply);

    assert_string_equal (s_decisions (self, &self->hub, "2026-Q1", NULL, NULL), S_COLUMNS
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib|alice|2026-03-01|"
                         "committed|yes\n"
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib2|carol|"
                         "2026-05-01|at-risk|yes\n"
                         "2026-02-10|m-feb|2|share attendance data monthly|||||\n"
                         "2026-02-10|m-feb|||c-all|alice|2026-09-01|committed|no\n"
                         "2026-03-05|m-post|1|repeat in fall|c-post|bob|2026-04-01|done|no\n");
    //  A partner reads its own networks only; so does a network asked for.
    assert_string_equal (s_decisions (self, &self->bob, "2026-Q1", NULL, NULL), S_COLUMNS
                         "2026-03-05|m-post|1|repeat in fall|c-post|bob|2026-04-01|done|no\n");
    const char *early = s_decisions (self, &self->carol, "2026-Q1", NULL, NULL);
    assert_null (strstr (early, "m-post"));
    assert_int_equal (harness_count (early, "\n"), 5);
    assert_string_equal (s_decisions (self, &self->hub, "2026-Q1", NULL, "early-literacy"), early);
    //  A meeting without decisions, and what came of it as a whole.
    assert_string_equal (s_decisions (self, &self->alice, "2026-Q2", NULL, NULL),
                         S_COLUMNS "2026-04-15|m-apr|||c-apr|carol|2026-07-01|committed|no\n");
    //  A period without meetings.
    assert_string_equal (s_decisions (self, &self->hub, "2025-Q4", NULL, NULL), S_COLUMNS);
}

//  Everything the report judges by the date - a commitment overdue, in
//  the decisions and among those needing attention - is judged at the
//  query's today, never by the clock.
static void
test_decisions_report_judges_overdue_at_the_querys_today (void **state)
{
    world_t *self = *state;
    s_publish_meetings (self);
    assert_string_equal (s_decisions (self, &self->alice, "2026-Q1", "2026-03-15", NULL), S_COLUMNS
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib|alice|2026-03-01|"
                         "committed|yes\n"
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib2|carol|"
                         "2026-05-01|at-risk|no\n"
                         "2026-02-10|m-feb|2|share attendance data monthly|||||\n"
                         "2026-02-10|m-feb|||c-all|alice|2026-09-01|committed|no\n");
    assert_string_equal (s_decisions (self, &self->alice, "2026-Q1", "2026-02-15", NULL), S_COLUMNS
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib|alice|2026-03-01|"
                         "committed|no\n"
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib2|carol|"
                         "2026-05-01|at-risk|no\n"
                         "2026-02-10|m-feb|2|share attendance data monthly|||||\n"
                         "2026-02-10|m-feb|||c-all|alice|2026-09-01|committed|no\n");
    assert_string_equal (s_decisions (self, &self->alice, "2026-Q1", "2026-12-31", NULL), S_COLUMNS
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib|alice|2026-03-01|"
                         "committed|yes\n"
                         "2026-02-10|m-feb|1|open libraries in 3 schools|c-lib2|carol|"
                         "2026-05-01|at-risk|yes\n"
                         "2026-02-10|m-feb|2|share attendance data monthly|||||\n"
                         "2026-02-10|m-feb|||c-all|alice|2026-09-01|committed|yes\n");
    //  The commitments needing attention, at the same todays.
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "report";
    query.period = "2026-Q1";
    query.today = "2026-02-15";
    store_answer_t *reply = world_query (self, &query, &self->alice);
    assert_string_equal (world_render (reply, "commitments needing attention"),
                         "id|owner|action|due|status|overdue\n"
                         "c-free|alice|an action|2026-02-01|committed|yes\n"
                         "c-lib2|carol|an action|2026-05-01|at-risk|no\n");
    store_answer_free (reply);
    query.today = "2026-03-15";
    reply = world_query (self, &query, &self->alice);
    assert_string_equal (world_render (reply, "commitments needing attention"),
                         "id|owner|action|due|status|overdue\n"
                         "c-free|alice|an action|2026-02-01|committed|yes\n"
                         "c-lib|alice|an action|2026-03-01|committed|yes\n"
                         "c-lib2|carol|an action|2026-05-01|at-risk|no\n");
    store_answer_free (reply);
}

//  ------------------------------------------------------------ the command line

//  The UTC date, YYYY-MM-DD, of now.
static void
s_today (char *date, size_t size)
{
    time_t now = time (NULL);
    struct tm utc;
    gmtime_r (&now, &utc);
    strftime (date, size, "%Y-%m-%d", &utc);
}

//  cibus commit --from-note ID --decision N: the note cibus note printed
//  (or --id chose), the decision by its place; the entry carries both and
//  the report lists the commitment under its decision.
static void
test_decisions_cli_commit_from_a_note (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_true (harness_define_k3 (world)); //  seq 1
    //  Held today by the test's clock, which the broker's is not behind.
    char today [16];
    s_today (today, sizeof today);
    assert_int_equal (harness_cibus (world, &out, &err, "note", "--key", world->hub, "--network",
                                     "early-literacy", "--id", "meeting-1", "--title",
                                     "network meeting", "--held-on", today, "--decision",
                                     "open libraries in 3 schools", "--decision",
                                     "share attendance data monthly", NULL),
                      0);
    assert_string_equal (out, "stored: seq 2, id meeting-1\n");
    free (out), free (err);

    //  What the command judges itself: a decision is a place, from 1, in
    //  the note named beside it.
    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "share data",
                                     "--due", "2030-01-31", "--from-note", "meeting-1",
                                     "--decision", "0", NULL),
                      2);
    assert_non_null (strstr (err, "cibus commit: --decision is a decision's place in the note, "
                                  "1 for the first, got '0'"));
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "share data",
                                     "--due", "2030-01-31", "--decision", "2", NULL),
                      2);
    assert_non_null (strstr (err, "cibus commit: field 'commitment.decision' numbers a decision "
                                  "of the note in 'commitment.from_note', which is absent"));
    free (out), free (err);
    //  What the broker judges.
    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "share data",
                                     "--due", "2030-01-31", "--from-note", "meeting-2", NULL),
                      1);
    assert_string_equal (err, "cibus commit: note 'meeting-2' does not exist\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "share data",
                                     "--due", "2030-01-31", "--from-note", "meeting-1",
                                     "--decision", "3", NULL),
                      1);
    assert_string_equal (err, "cibus commit: note 'meeting-1' records 2 decisions: there is no "
                              "decision 3\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "share data",
                                     "--due", "2030-01-31", "--indicator", "k3-writing", NULL),
                      1);
    assert_string_equal (err, "cibus commit: indicator 'k3-writing' is not in the catalogue\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--id", "share-data",
                                     "--action", "share data", "--due", "2030-01-31", "--indicator",
                                     "k3-reading", "--from-note", "meeting-1", "--decision", "2",
                                     NULL),
                      0);
    assert_string_equal (out, "committed: seq 3, commitment id share-data\n");
    free (out), free (err);

    //  The entry, as JSON and as a line.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from", "3",
                                     "--count", "1", "--json", NULL),
                      0);
    assert_non_null (strstr (out, "\"kind\":\"commitment\",\"action\":\"share data\","
                                  "\"due\":\"2030-01-31\",\"indicators\":[\"k3-reading\"],"
                                  "\"from_note\":\"meeting-1\",\"decision\":2}\n"));
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->alice, "--from",
                                     "3", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "commitment share-data \"share data\" due 2030-01-31, from "
                                  "note meeting-1 decision 2\n"));
    free (out), free (err);

    //  In the report of this month: the decision no one took and the one
    //  alice did, judged at the report's today.
    char month [8];
    snprintf (month, sizeof month, "%.7s", today);
    assert_int_equal (harness_cibus (world, &out, &err, "report", "--key", world->hub, "--period",
                                     month, "--today", "2030-02-01", "--json", NULL),
                      0);
    char row [512];
    snprintf (row, sizeof row,
              "{\"held_on\":\"%s\",\"note\":\"meeting-1\",\"decision\":1,"
              "\"text\":\"open libraries in 3 schools\",\"commitment\":null,\"owner\":null,"
              "\"due\":null,\"status\":null,\"overdue\":null}",
              today);
    assert_non_null (strstr (out, row));
    snprintf (row, sizeof row,
              "{\"held_on\":\"%s\",\"note\":\"meeting-1\",\"decision\":2,"
              "\"text\":\"share attendance data monthly\",\"commitment\":\"share-data\","
              "\"owner\":\"alice\",\"due\":\"2030-01-31\",\"status\":\"committed\","
              "\"overdue\":\"yes\"}",
              today);
    assert_non_null (strstr (out, row));
    free (out), free (err);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, world_setup, world_teardown)
#define T_BROKER(name)                                                                             \
    cmocka_unit_test_setup_teardown (name, harness_world_setup, harness_world_teardown)
    const struct CMUnitTest tests [] = {
        T (test_decisions_a_note_id_is_one_note_in_its_network),
        T (test_decisions_a_note_held_after_today_is_refused),
        T (test_decisions_a_commitment_names_indicators_of_the_catalogue),
        T (test_decisions_a_commitment_names_a_note_of_its_network),
        T (test_decisions_report_lists_each_decision_with_its_commitments),
        T (test_decisions_report_judges_overdue_at_the_querys_today),
        T_BROKER (test_decisions_cli_commit_from_a_note),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("decisions", tests, NULL, NULL);
}
