/*  test_query.c - the questions the backbone and partners ask of the
    projections, with read access applied and every data table's values as
    the decision stored with it when it was appended shows them.

    Each answer is rendered as text (columns, then rows; cells separated by
    '|') and compared whole, so that a test states exactly what a reader
    sees, row by row.                                                      */

#include "measure_fixture.h"

//  ------------------------------------------------------------ data

//  A school year of k3-reading from alice, one table a quarter, with a
//  correction, and carol's table for 2026-Q1:
//    2025-Q3  total 291/500 (58.2)
//    2025-Q4  total 236/400 (59); race asian 14/20 (70), black 14/28 (50),
//             white 69/100 (69) - 252 pupils not reported by race
//    2026-Q1  total 31/50 (62), corrected to 32/50 (64) with race asian
//             3/4 (75), black 8/16 (50), white 21/30 (70) - every pupil -
//             and income low 10/20 (50)
//    2026-Q2  provisional; total 252/400 (63); race asian 12/15 (80),
//             black 11/20 (55), white 36/50 (72)
//    carol's 2026-Q1: total 110/200 (55)
//  Asian pupils in 2026-Q1 are 4, below min-cell: the smallest other cell of
//  race, black (16), is hidden beside them, or 32 - 8 - 21 would be 3.
static void
s_publish_k3_year (world_t *self)
{
    world_define_k3 (self);
    world_table (self, &self->alice, "t-q3", "early-literacy", "k3-reading", "2025-Q3", "291/500",
                 NULL);
    world_table (self, &self->alice, "t-q4", "early-literacy", "k3-reading", "2025-Q4", "236/400",
                 "race=asian", "14/20", "race=black", "14/28", "race=white", "69/100", NULL);
    world_table (self, &self->alice, "t-q1", "early-literacy", "k3-reading", "2026-Q1", "31/50",
                 NULL);
    world_table (self, &self->alice, "t-q1-fix", "early-literacy", "k3-reading", "2026-Q1",
                 "32/50", "race=asian", "3/4", "race=black", "8/16", "race=white", "21/30",
                 "income=low", "10/20", NULL);
    table_msg_t m;
    table_msg (&m, "t-q2", "early-literacy", "k3-reading", "2026-Q2", "252/400");
    table_cell (&m, "race=asian", "12/15");
    table_cell (&m, "race=black", "11/20");
    table_cell (&m, "race=white", "36/50");
    table_status (&m, CIBUS__VALUE_STATUS__PROVISIONAL);
    PUBLISH_OK (self, &self->alice, &m.env);
    world_table (self, &self->carol, "c-t-q1", "early-literacy", "k3-reading", "2026-Q1",
                 "110/200", NULL);
}

//  Absence (monthly, lower is better) from alice, FAFSA completions (yearly)
//  from bob, six commitments in every state, and three meetings.
static void
s_publish_the_rest (world_t *self)
{
    world_define_absence (self);
    world_define_fafsa (self);
    world_table (self, &self->alice, "a-01", "early-literacy", "absence", "2026-01", "80/400",
                 NULL);
    world_table (self, &self->alice, "a-02", "early-literacy", "absence", "2026-02", "72/400",
                 NULL);
    world_table (self, &self->bob, "f-24", "postsecondary", "fafsa", "2024-25", "300", NULL);
    world_table (self, &self->bob, "f-25", "postsecondary", "fafsa", "2025-26", "280", NULL);

    collab_msg_t c;
    commitment_msg (&c, "c-late", "early-literacy", "open 3 leveled libraries", "2026-03-01");
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c-ok", "early-literacy", "tutor 40 students", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u-ok", "early-literacy", "c-ok", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c-risk", "early-literacy", "family reading nights", "2026-09-01");
    PUBLISH_OK (self, &self->carol, &c.env);
    update_msg (&c, "u-risk", "early-literacy", "c-risk", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "no venue yet");
    PUBLISH_OK (self, &self->carol, &c.env);
    commitment_msg (&c, "c-done", "early-literacy", "hire a literacy coach", "2026-02-01");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u-done", "early-literacy", "c-done", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c-drop", "early-literacy", "summer camp", "2026-01-15");
    PUBLISH_OK (self, &self->carol, &c.env);
    update_msg (&c, "u-drop", "early-literacy", "c-drop", CIBUS__COMMITMENT_STATUS__DROPPED,
                "no funding");
    PUBLISH_OK (self, &self->hub, &c.env);
    commitment_msg (&c, "c-bob", "postsecondary", "FAFSA nights", "2026-04-01");
    PUBLISH_OK (self, &self->bob, &c.env);
    update_msg (&c, "u-bob", "postsecondary", "c-bob", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_OK (self, &self->bob, &c.env);

    note_msg (&c, "n1", "early-literacy", "network meeting", "2026-02-10");
    note_decision (&c, "open libraries in 3 schools");
    note_decision (&c, "share attendance data monthly");
    PUBLISH_OK (self, &self->alice, &c.env);
    note_msg (&c, "n2", "postsecondary", "FAFSA night debrief", "2026-03-05");
    note_decision (&c, "repeat in fall");
    PUBLISH_OK (self, &self->bob, &c.env);
    note_msg (&c, "n3", "early-literacy", "tutoring check-in", "2026-04-15");
    PUBLISH_OK (self, &self->carol, &c.env);
}

//  ------------------------------------------------------------ asking

//  Ask and render one table of the answer.
static const char *
s_ask (world_t *self, const Cibus__Query *query, const store_partner_t *reader,
       const char *title)
{
    store_answer_t *reply = world_query (self, query, reader);
    static char text [16384];
    snprintf (text, sizeof text, "%s", world_render (reply, title));
    store_answer_free (reply);
    return text;
}

//  Ask what must be refused, with this code, field and message.
static void
s_refused (world_t *self, const Cibus__Query *query, const store_partner_t *reader,
           cibus_err_t code, const char *field, const char *message)
{
    store_answer_t *reply = (store_answer_t *) &reply;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    assert_int_equal (store_query (self->store, query, reader, "2026-06-01", &reply, &problem),
                      code);
    assert_null (reply);
    assert_int_equal (problem.code, code);
    assert_string_equal (problem.field, field);
    assert_string_equal (problem.message, message);
}

static Cibus__Query
s_query (const char *kind)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = (char *) kind;
    return query;
}

//  ------------------------------------------------------------ refusals

static void
test_query_an_integrator_reads_nothing (void **state)
{
    world_t *self = *state;
    const char *kinds [] = {"indicators", "values", "commitments", "notes", "report"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds [0]; i++) {
        Cibus__Query query = s_query (kinds [i]);
        s_refused (self, &query, &self->feed, CIBUS_ERR_FORBIDDEN, "",
                   "integrator 'feed' reads nothing but its own acks");
    }
}

static void
test_query_refuses_a_missing_or_unknown_kind (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query (NULL);
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.kind",
               "field 'query.kind' is required: indicators, values, commitments, notes, "
               "report, partners or brightspots");
    query.kind = "history";
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.kind",
               "unknown query kind 'history': ask for indicators, values, commitments, notes, "
               "report, partners or brightspots");
}

static void
test_query_a_partner_asks_only_for_its_networks (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("commitments");
    query.network = "postsecondary";
    s_refused (self, &query, &self->alice, CIBUS_ERR_FORBIDDEN, "query.network",
               "partner 'alice' does not read network 'postsecondary'");
    //  The backbone may narrow to any network.
    assert_string_equal (s_ask (self, &query, &self->hub, "commitments"),
                         "id|owner|network|action|due|status|updated|overdue\n");
}

static void
test_query_refuses_a_today_that_is_not_a_date (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("commitments");
    query.today = "2026-6-1";
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.today",
               "field 'query.today' expects a date like 2026-12-15, got '2026-6-1'");
}

//  ------------------------------------------------------------ indicators

static void
test_query_indicators_lists_the_definitions_in_force (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    world_define_absence (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-fafsa-2", "fafsa", "FAFSA completions, seniors", CIBUS__UNIT__COUNT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_network (&def, "postsecondary");
    indicator_range (&def, 0, 5000);
    PUBLISH_OK (self, &self->hub, &def.env);
    Cibus__Query query = s_query ("indicators");
    const char *expected =
        "indicator|name|unit|direction|period|min|max|dimensions|baseline|targets|networks|"
        "version\n"
        "absence|chronic absence|rate|down|month|||grade||2027-06=0.1|all|1\n"
        "fafsa|FAFSA completions, seniors|count|up|school-year|0|5000||||postsecondary|2\n"
        "k3-reading|3rd-grade reading proficiency|percent|up|quarter|||race, income|"
        "2025-Q3=58.2|2026-Q2=62, 2027-Q2=70|early-literacy|1\n";
    assert_string_equal (s_ask (self, &query, &self->hub, "indicators"), expected);
    //  The catalogue is every partner's to read.
    assert_string_equal (s_ask (self, &query, &self->alice, "indicators"), expected);
}

//  ------------------------------------------------------------ values

static void
test_query_values_refuses_a_missing_or_unknown_indicator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    Cibus__Query query = s_query ("values");
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.indicator",
               "field 'query.indicator' is required for a values query");
    query.indicator = "k3-readin";
    s_refused (self, &query, &self->hub, CIBUS_ERR_NOT_FOUND, "query.indicator",
               "indicator 'k3-readin' is not in the catalogue");
    query.indicator = "k3-reading";
    query.by = "zip";
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.by",
               "indicator 'k3-reading' is not broken down by 'zip': its dimensions are in the "
               "catalogue (an indicators query)");
}

static void
test_query_values_shows_the_totals_with_target_and_change (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q3|all|alice|58.2|500|final|62|\n"
                         "2025-Q4|all|alice|59|400|final|62|0.8\n"
                         "2026-Q1|all|alice|64|50|final|62|5\n"
                         "2026-Q1|all|carol|55|200|final|62|\n"
                         "2026-Q2|all|alice|63|400|provisional|62|-1\n");
}

static bool
s_first (const store_entry_t *entry, void *arg)
{
    *(envelope_t **) arg = codec_envelope_decode (entry->envelope, entry->size);
    return false;
}

static void
test_query_values_a_correction_is_current_and_both_stay_in_the_log (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_table (self, &self->alice, "t-q1", "early-literacy", "k3-reading", "2026-Q1", "242/400",
                 NULL);
    world_table (self, &self->alice, "t-q1-fix", "early-literacy", "k3-reading", "2026-Q1",
                 "244/400", NULL);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->carol, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q1|all|alice|61|400|final|62|\n");
    //  The history: both versions of the table, with who and when, in the log.
    assert_int_equal (store_last_seq (self->store), 3);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        envelope_t *env = NULL;
        assert_int_equal (store_read_from (self->store, seq, 1, s_first, &env, NULL), CIBUS_OK);
        assert_non_null (env);
        assert_string_equal (env->partner, "alice");
        assert_int_equal (env->data->version, seq - 1);
        assert_true (env->data->total->value == (seq == 2 ? 60.5 : 61));
        assert_int_equal (env->received_at,
                          FIXTURE_EPOCH_USEC + (int64_t) (seq - 1) * FIXTURE_DAY_USEC);
        codec_envelope_free (env);
    }
}

//  A cell has the status of its table: 2026-Q2's are provisional.
static const char *s_k3_by_race_unsuppressed =
    "period|group|partner|value|n|status|target|change\n"
    "2025-Q3|all|alice|58.2|500|final|62|\n"
    "2025-Q4|all|alice|59|400|final|62|0.8\n"
    "2025-Q4|asian|alice|70|20|final|62|\n"
    "2025-Q4|black|alice|50|28|final|62|\n"
    "2025-Q4|white|alice|69|100|final|62|\n"
    "2026-Q1|all|alice|64|50|final|62|5\n"
    "2026-Q1|all|carol|55|200|final|62|\n"
    "2026-Q1|asian|alice|75|4|final|62|5\n"
    "2026-Q1|black|alice|50|16|final|62|0\n"
    "2026-Q1|white|alice|70|30|final|62|1\n"
    "2026-Q2|all|alice|63|400|provisional|62|-1\n"
    "2026-Q2|asian|alice|80|15|provisional|62|5\n"
    "2026-Q2|black|alice|55|20|provisional|62|5\n"
    "2026-Q2|white|alice|72|50|provisional|62|2\n";

static void
test_query_values_by_dimension_for_the_backbone_and_the_submitter (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "k3-reading";
    query.by = "race";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of k3-reading"),
                         s_k3_by_race_unsuppressed);
    assert_string_equal (s_ask (self, &query, &self->alice, "values of k3-reading"),
                         s_k3_by_race_unsuppressed);
}

static void
test_query_values_suppresses_small_cells_and_their_complement_for_other_partners (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "k3-reading";
    query.by = "race";
    //  2026-Q1: asian (4 pupils) is small, black (16) its complement; their
    //  sizes are hidden with them, and a change from or to a hidden value is
    //  hidden too.
    assert_string_equal (s_ask (self, &query, &self->carol, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q3|all|alice|58.2|500|final|62|\n"
                         "2025-Q4|all|alice|59|400|final|62|0.8\n"
                         "2025-Q4|asian|alice|70|20|final|62|\n"
                         "2025-Q4|black|alice|50|28|final|62|\n"
                         "2025-Q4|white|alice|69|100|final|62|\n"
                         "2026-Q1|all|alice|64|50|final|62|5\n"
                         "2026-Q1|all|carol|55|200|final|62|\n"
                         "2026-Q1|asian|alice|*|*|final|62|*\n"
                         "2026-Q1|black|alice|*|*|final|62|*\n"
                         "2026-Q1|white|alice|70|30|final|62|1\n"
                         "2026-Q2|all|alice|63|400|provisional|62|-1\n"
                         "2026-Q2|asian|alice|80|15|provisional|62|*\n"
                         "2026-Q2|black|alice|55|20|provisional|62|*\n"
                         "2026-Q2|white|alice|72|50|provisional|62|2\n");
}

static void
test_query_values_shows_only_the_readers_networks (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    world_define_absence (self);
    world_table (self, &self->bob, "a-bob", "postsecondary", "absence", "2026-01", "30/100", NULL);
    world_table (self, &self->alice, "a-alice", "early-literacy", "absence", "2026-01", "80/400",
                 NULL);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->bob, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n");
    query.indicator = "absence";
    assert_string_equal (s_ask (self, &query, &self->bob, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|bob|0.3|100|final|0.1|\n");
    assert_string_equal (s_ask (self, &query, &self->carol, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|alice|0.2|400|final|0.1|\n");
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|alice|0.2|400|final|0.1|\n"
                         "2026-01|all|bob|0.3|100|final|0.1|\n");
    query.network = "postsecondary";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|bob|0.3|100|final|0.1|\n");
}

static void
test_query_values_orders_periods_of_each_kind (void **state)
{
    world_t *self = *state;
    world_define_absence (self);
    world_define_fafsa (self);
    const char *months [] = {"2026-11", "2026-09", "2026-10", "2027-01"};
    const char *rates [] = {"60/400", "80/400", "72/400", "48/400"};
    for (size_t i = 0; i < 4; i++) {
        char id [16];
        snprintf (id, sizeof id, "m%zu", i);
        world_table (self, &self->alice, id, "early-literacy", "absence", months [i], rates [i],
                     NULL);
    }
    const char *years [] = {"2026-27", "2024-25", "2025-26"};
    const char *counts [] = {"100", "200", "300"};
    for (size_t i = 0; i < 3; i++) {
        char id [16];
        snprintf (id, sizeof id, "y%zu", i);
        world_table (self, &self->bob, id, "postsecondary", "fafsa", years [i], counts [i], NULL);
    }
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "absence";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-09|all|alice|0.2|400|final|0.1|\n"
                         "2026-10|all|alice|0.18|400|final|0.1|-0.02\n"
                         "2026-11|all|alice|0.15|400|final|0.1|-0.03\n"
                         "2027-01|all|alice|0.12|400|final|0.1|-0.03\n");
    query.indicator = "fafsa";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of fafsa"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2024-25|all|bob|200||final||\n"
                         "2025-26|all|bob|300||final||100\n"
                         "2026-27|all|bob|100||final||-200\n");
}

//  ------------------------------------------------------------ commitments

static void
test_query_commitments_with_their_state_and_overdue (void **state)
{
    world_t *self = *state;
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("commitments");
    query.today = "2026-06-01";
    assert_string_equal (
        s_ask (self, &query, &self->hub, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-drop|carol|early-literacy|summer camp|2026-01-15|dropped|2026-01-19|no\n"
        "c-done|alice|early-literacy|hire a literacy coach|2026-02-01|done|2026-01-17|no\n"
        "c-late|alice|early-literacy|open 3 leveled libraries|2026-03-01|committed|2026-01-11|"
        "yes\n"
        "c-bob|bob|postsecondary|FAFSA nights|2026-04-01|on-track|2026-01-21|yes\n"
        "c-risk|carol|early-literacy|family reading nights|2026-09-01|at-risk|2026-01-15|no\n"
        "c-ok|alice|early-literacy|tutor 40 students|2026-12-15|on-track|2026-01-13|no\n");
    //  A partner sees its networks only.
    assert_string_equal (
        s_ask (self, &query, &self->bob, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-bob|bob|postsecondary|FAFSA nights|2026-04-01|on-track|2026-01-21|yes\n");
}

static void
test_query_commitments_filter_by_owner_overdue_network_and_today (void **state)
{
    world_t *self = *state;
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("commitments");
    query.owner = "alice";
    assert_string_equal (
        s_ask (self, &query, &self->carol, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-done|alice|early-literacy|hire a literacy coach|2026-02-01|done|2026-01-17|no\n"
        "c-late|alice|early-literacy|open 3 leveled libraries|2026-03-01|committed|2026-01-11|"
        "yes\n"
        "c-ok|alice|early-literacy|tutor 40 students|2026-12-15|on-track|2026-01-13|no\n");
    query.owner = NULL;
    query.has_overdue = query.overdue = true;
    assert_string_equal (
        s_ask (self, &query, &self->hub, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-late|alice|early-literacy|open 3 leveled libraries|2026-03-01|committed|2026-01-11|"
        "yes\n"
        "c-bob|bob|postsecondary|FAFSA nights|2026-04-01|on-track|2026-01-21|yes\n");
    query.network = "early-literacy";
    assert_string_equal (
        s_ask (self, &query, &self->hub, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-late|alice|early-literacy|open 3 leveled libraries|2026-03-01|committed|2026-01-11|"
        "yes\n");
    //  Overdue is judged at Query.today: on 2026-03-01 nothing is late yet.
    query.today = "2026-03-01";
    assert_string_equal (s_ask (self, &query, &self->hub, "commitments"),
                         "id|owner|network|action|due|status|updated|overdue\n");
    query.today = "2026-03-02";
    assert_string_equal (
        s_ask (self, &query, &self->hub, "commitments"),
        "id|owner|network|action|due|status|updated|overdue\n"
        "c-late|alice|early-literacy|open 3 leveled libraries|2026-03-01|committed|2026-01-11|"
        "yes\n");
}

//  ------------------------------------------------------------ notes

static void
test_query_notes_with_decisions_since_a_date (void **state)
{
    world_t *self = *state;
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("notes");
    assert_string_equal (
        s_ask (self, &query, &self->hub, "notes"),
        "held_on|partner|network|title|decisions|id\n"
        "2026-02-10|alice|early-literacy|network meeting|open libraries in 3 schools; share "
        "attendance data monthly|n1\n"
        "2026-03-05|bob|postsecondary|FAFSA night debrief|repeat in fall|n2\n"
        "2026-04-15|carol|early-literacy|tutoring check-in||n3\n");
    query.since = "2026-02-11";
    assert_string_equal (s_ask (self, &query, &self->alice, "notes"),
                         "held_on|partner|network|title|decisions|id\n"
                         "2026-04-15|carol|early-literacy|tutoring check-in||n3\n");
    query.since = "last week";
    s_refused (self, &query, &self->alice, CIBUS_ERR_BAD_FIELD, "query.since",
               "field 'query.since' expects a date like 2026-12-15, got 'last week'");
}

static void
test_query_a_note_without_a_date_is_held_the_day_it_arrived (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "n1", "early-literacy", "hallway chat", NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    Cibus__Query query = s_query ("notes");
    assert_string_equal (s_ask (self, &query, &self->carol, "notes"),
                         "held_on|partner|network|title|decisions|id\n"
                         "2026-01-05|alice|early-literacy|hallway chat||n1\n");
}

//  ------------------------------------------------------------ report

static void
test_query_report_needs_a_period (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("report");
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.period",
               "field 'query.period' is required for a report");
    query.period = "2026-13";
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.period",
               "report needs a period like 2025-26, 2026-Q3, 2026-09 or 2026-09-15, got "
               "'2026-13'");
}

static void
test_query_report_is_the_backbones_page (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    query.today = "2026-06-01";
    store_answer_t *reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_titles (reply),
                         "submissions for 2026-Q1|commitments needing attention|indicators|"
                         "gaps|gap series|gaps to the reference group|proof point|meetings|decisions");
    assert_string_equal (world_render (reply, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|7\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|yes|1\n");
    assert_string_equal (world_render (reply, "commitments needing attention"),
                         "id|owner|action|due|status|overdue\n"
                         "c-late|alice|open 3 leveled libraries|2026-03-01|committed|yes\n"
                         "c-bob|bob|FAFSA nights|2026-04-01|on-track|yes\n"
                         "c-risk|carol|family reading nights|2026-09-01|at-risk|no\n");
    //  Pooled: k3's 2026-Q1 is alice's 32/50 and carol's 110/200, 142/250;
    //  its change from 2025-Q4 compares alice's alone (carol did not report
    //  then), 32/50 against 236/400, and is within noise; so is absence's.
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|period|value|n|low|high|units|previous period|change|change low|"
                         "change high|verdict|not in both|baseline|since baseline|since "
                         "baseline low|since baseline high|verdict since baseline|target|"
                         "target status\n"
                         "absence|2026-02|0.18|400|0.14545|0.220638|1 of 1|2026-01|-0.02|-0.074362|"
                         "0.034465|no clear change||||||-|0.1|not met\n"
                         "fafsa|2025-26|280||||1 of 1|2024-25|-20|||not judged||||||-||\n"
                         "k3-reading|2026-Q1|56.8|250|50.6025|62.7917|2 of 2|2025-Q4|5|-9.63813|17.8271|"
                         "no clear change|carol (2026-Q1)|58.2|5.8|-8.69444|18.4406|"
                         "no clear change|62|behind pace\n");
    assert_string_equal (world_render (reply, "gaps"),
                         "indicator|dimension|highest group|highest value|highest n|lowest "
                         "group|lowest value|lowest n|gap\n"
                         "k3-reading|race|asian|75|4|black|50|16|25\n");
    //  k3 by race, pooled: 2025-Q4 alice's asian 14/20 (70) and black
    //  14/28 (50); 2026-Q1 alice's asian 3/4 (75) and black 8/16 (50) - the
    //  change of that gap, 5 points on 4 and 16 pupils, is far within noise.
    assert_string_equal (world_render (reply, "gap series"),
                         "indicator|dimension|period|highest group|highest value|highest n|"
                         "lowest group|lowest value|lowest n|gap|gap change|gap change low|"
                         "gap change high|gap verdict\n"
                         "k3-reading|race|2025-Q4|asian|70|20|black|50|28|20||||-\n"
                         "k3-reading|race|2026-Q1|asian|75|4|black|50|16|25|5|-50.1691|"
                         "46.0239|no clear change\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "clearly improving|clearly worsening|no clear change|not judged|of\n"
                         "0|0|2|1|3\n");
    assert_string_equal (world_render (reply, "meetings"),
                         "held_on|partner|title|decisions\n"
                         "2026-02-10|alice|network meeting|open libraries in 3 schools; share "
                         "attendance data monthly\n"
                         "2026-03-05|bob|FAFSA night debrief|repeat in fall\n");
    store_answer_free (reply);
}

//  The partners a reader may know of: those of role partner in the
//  networks it reads (the rows of the report's submissions table), each
//  with its key; the backbone and integrators are not listed.
static void
test_query_partners_lists_the_partners_of_the_readers_networks (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("partners");
    char expected [1024];
    snprintf (expected, sizeof expected,
              "partner|network|key\n"
              "alice|early-literacy|%s\n"
              "carol|early-literacy|%s\n",
              self->alice.public_key, self->carol.public_key);
    assert_string_equal (s_ask (self, &query, &self->carol, "partners"), expected);
    snprintf (expected, sizeof expected,
              "partner|network|key\n"
              "alice|early-literacy|%s\n"
              "bob|postsecondary|%s\n"
              "carol|early-literacy|%s\n",
              self->alice.public_key, self->bob.public_key, self->carol.public_key);
    assert_string_equal (s_ask (self, &query, &self->hub, "partners"), expected);
    query.network = "postsecondary";
    snprintf (expected, sizeof expected, "partner|network|key\nbob|postsecondary|%s\n",
              self->bob.public_key);
    assert_string_equal (s_ask (self, &query, &self->hub, "partners"), expected);
}

static void
test_query_report_for_a_partner_covers_its_networks (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    store_answer_t *reply = world_query (self, &query, &self->alice);
    assert_string_equal (world_render (reply, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|7\n"
                         "carol|early-literacy|yes|1\n");
    assert_string_equal (world_render (reply, "commitments needing attention"),
                         "id|owner|action|due|status|overdue\n"
                         "c-late|alice|open 3 leveled libraries|2026-03-01|committed|yes\n"
                         "c-risk|carol|family reading nights|2026-09-01|at-risk|no\n");
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|period|value|n|low|high|units|previous period|change|change low|"
                         "change high|verdict|not in both|baseline|since baseline|since "
                         "baseline low|since baseline high|verdict since baseline|target|"
                         "target status\n"
                         "absence|2026-02|0.18|400|0.14545|0.220638|1 of 1|2026-01|-0.02|-0.074362|"
                         "0.034465|no clear change||||||-|0.1|not met\n"
                         "k3-reading|2026-Q1|56.8|250|50.6025|62.7917|2 of 2|2025-Q4|5|-9.63813|17.8271|"
                         "no clear change|carol (2026-Q1)|58.2|5.8|-8.69444|18.4406|"
                         "no clear change|62|behind pace\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "clearly improving|clearly worsening|no clear change|not judged|of\n"
                         "0|0|2|0|2\n");
    assert_string_equal (world_render (reply, "meetings"),
                         "held_on|partner|title|decisions\n"
                         "2026-02-10|alice|network meeting|open libraries in 3 schools; share "
                         "attendance data monthly\n");
    store_answer_free (reply);
    //  The backbone narrowed to one network sees the same page as its members.
    query.network = "postsecondary";
    reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "bob|postsecondary|no|0\n");
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|period|value|n|low|high|units|previous period|change|change low|"
                         "change high|verdict|not in both|baseline|since baseline|since "
                         "baseline low|since baseline high|verdict since baseline|target|"
                         "target status\n"
                         "absence|||||||||||-||||||-|0.1|\n"
                         "fafsa|2025-26|280||||1 of 1|2024-25|-20|||not judged||||||-||\n");
    store_answer_free (reply);
}

//  pre-k (a quarterly percent) from alice with small totals - 3/8 (37.5) in
//  2025-Q4, 2/5 (40) in 2026-Q1 - and her k3-reading table for 2026-Q1:
//  total 62/100, race asian 3/4 (75), black 13/26 (50), hispanic 18/30
//  (60), white 28/40 (70).
static void
s_publish_small_cells (world_t *self)
{
    world_define_k3 (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-prek", "pre-k", "pre-k enrollment", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    PUBLISH_OK (self, &self->hub, &def.env);
    world_table (self, &self->alice, "p-q4", "early-literacy", "pre-k", "2025-Q4", "3/8", NULL);
    world_table (self, &self->alice, "p-q1", "early-literacy", "pre-k", "2026-Q1", "2/5", NULL);
    world_table (self, &self->alice, "k3", "early-literacy", "k3-reading", "2026-Q1", "62/100",
                 "race=asian", "3/4", "race=black", "13/26", "race=hispanic", "18/30",
                 "race=white", "28/40", NULL);
}

static void
test_query_report_keeps_suppressed_cells_out_of_gaps_and_travel (void **state)
{
    world_t *self = *state;
    s_publish_small_cells (self);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    const store_partner_t *sees_all [] = {&self->hub, &self->alice};
    for (size_t i = 0; i < 2; i++) {
        store_answer_t *reply = world_query (self, &query, sees_all [i]);
        assert_string_equal (world_render (reply, "indicators"),
                             "indicator|period|value|n|low|high|units|previous period|change|change low|"
                             "change high|verdict|not in both|baseline|since baseline|since "
                             "baseline low|since baseline high|verdict since baseline|target|"
                             "target status\n"
                             "k3-reading|2026-Q1|62|100|52.2098|70.9024|1 of 1|||||-||58.2||||-|"
                             "62|met\n"
                             "pre-k|2026-Q1|40|5|11.7621|76.9276|1 of 1|2025-Q4|2.5|-40.122|"
                             "46.4412|no clear change||||||-||\n");
        assert_string_equal (world_render (reply, "gaps"),
                             "indicator|dimension|highest group|highest value|highest n|lowest "
                             "group|lowest value|lowest n|gap\n"
                             "k3-reading|race|asian|75|4|black|50|26|25\n");
        assert_string_equal (world_render (reply, "proof point"),
                             "clearly improving|clearly worsening|no clear change|not judged|of\n"
                             "0|0|1|1|2\n");
        store_answer_free (reply);
    }
    //  carol may not see asian (4 pupils), black (its complement, the
    //  smallest other cell) nor pre-k's small totals: the gap is between what
    //  she sees, and no direction of travel is told from hidden values.
    store_answer_t *reply = world_query (self, &query, &self->carol);
    //  pre-k's only unit is hidden from her: so is everything pooled from
    //  it, and its change is not judged.
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|period|value|n|low|high|units|previous period|change|change low|"
                         "change high|verdict|not in both|baseline|since baseline|since "
                         "baseline low|since baseline high|verdict since baseline|target|"
                         "target status\n"
                         "k3-reading|2026-Q1|62|100|52.2098|70.9024|1 of 1|||||-||58.2||||-|"
                         "62|met\n"
                         "pre-k|2026-Q1|*|*|*|*|0 of 1|2025-Q4|*|*|*|*||||||-||\n");
    assert_string_equal (world_render (reply, "gaps"),
                         "indicator|dimension|highest group|highest value|highest n|lowest "
                         "group|lowest value|lowest n|gap\n"
                         "k3-reading|race|white|70|40|hispanic|60|30|10\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "clearly improving|clearly worsening|no clear change|not judged|of\n"
                         "0|0|0|2|2\n");
    store_answer_free (reply);
}

//  A pooled figure is hidden from a reader when any unit's total in it is:
//  carol knows her own 110/200, and alice's 2/5 (hidden from her) would
//  be the pooled 112/205 less it. The backbone sees the pool whole.
static void
test_query_report_hides_a_pool_that_would_give_a_hidden_total_away (void **state)
{
    world_t *self = *state;
    s_publish_small_cells (self);
    world_table (self, &self->carol, "c-p-q1", "early-literacy", "pre-k", "2026-Q1", "110/200",
                 NULL);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    store_answer_t *reply = world_query (self, &query, &self->carol);
    const char *rows = strstr (world_render (reply, "indicators"), "pre-k|");
    assert_non_null (rows);
    assert_string_equal (rows, "pre-k|2026-Q1|*|*|*|*|1 of 2|2025-Q4|*|*|*|*|carol (2026-Q1)|"
                               "||||-||\n");
    store_answer_free (reply);
    reply = world_query (self, &query, &self->hub);
    rows = strstr (world_render (reply, "indicators"), "pre-k|");
    assert_non_null (rows);
    assert_string_equal (rows, "pre-k|2026-Q1|54.6341|205|47.7963|61.3015|2 of 2|2025-Q4|2.5|"
                               "-40.122|46.4412|no clear change|carol (2026-Q1)|||||-||\n");
    store_answer_free (reply);
}

//  An equity gap over time: black pupils' k3 reading rose from 500/1000 to
//  650/1000 while white pupils' stayed at 800/1000 - the gap narrowed
//  from 30 to 15 points, well beyond noise. Carol may not see the small
//  asian group (3 pupils) nor its complement, hispanic: her series is
//  between the groups she sees.
static void
test_query_report_shows_the_gap_series_and_its_change (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_table (self, &self->alice, "g-q4", "early-literacy", "k3-reading", "2025-Q4",
                 "1602/2603", "race=white", "800/1000", "race=black", "500/1000",
                 "race=hispanic", "300/600", "race=asian", "2/3", NULL);
    world_table (self, &self->alice, "g-q1", "early-literacy", "k3-reading", "2026-Q1",
                 "1752/2603", "race=white", "800/1000", "race=black", "650/1000",
                 "race=hispanic", "300/600", "race=asian", "2/3", NULL);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    const char *header = "indicator|dimension|period|highest group|highest value|highest n|"
                         "lowest group|lowest value|lowest n|gap|gap change|gap change low|"
                         "gap change high|gap verdict\n";
    char expected [1024];
    snprintf (expected, sizeof expected,
              "%s"
              "k3-reading|race|2025-Q4|white|80|1000|black|50|1000|30||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|black|65|1000|15|-15|-20.499|-9.43974|"
              "narrowing\n",
              header);
    store_answer_t *reply = world_query (self, &query, &self->carol);
    assert_string_equal (world_render (reply, "gap series"), expected);
    store_answer_free (reply);
    //  The backbone also sees hispanic pupils' 300/600 (50), the lowest in
    //  2026-Q1: that gap, white against hispanic, did not move.
    snprintf (expected, sizeof expected,
              "%s"
              "k3-reading|race|2025-Q4|white|80|1000|black|50|1000|30||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|hispanic|50|600|30|0|-6.6413|6.6413|"
              "no clear change\n",
              header);
    reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "gap series"), expected);
    store_answer_free (reply);
}

//  The initiative's values: each period's and group's pooled over every
//  unit, with n, interval and units; a change compares the units in both
//  periods and names the others. carol may not see alice's small cells:
//  the groups they are in are hidden from her pooled.
static void
test_query_values_pools_the_units (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
    query.indicator = "k3-reading";
    //  2026-Q1 is alice's 32/50 and carol's 110/200; its change from
    //  2025-Q4 is alice's alone, 32/50 against 236/400.
    assert_string_equal (
        s_ask (self, &query, &self->hub, "values of k3-reading"),
        "period|group|value|n|low|high|units|status|target|change|change low|change high|"
        "verdict|not in both\n"
        "2025-Q3|all|58.2|500|53.8303|62.4447|1 of 1|final|62||||-|\n"
        "2025-Q4|all|59|400|54.1167|63.7121|1 of 1|final|62|0.8|-5.67022|7.22635|"
        "no clear change|\n"
        "2026-Q1|all|56.8|250|50.6025|62.7917|2 of 2|final|62|5|-9.63813|17.8271|"
        "no clear change|carol (2026-Q1)\n"
        "2026-Q2|all|63|400|58.1659|67.5868|1 of 1|provisional|62|-1|-13.8085|13.5983|"
        "no clear change|carol (2026-Q1)\n");
    query.by = "race";
    //  Alice's 2026-Q1 asian pupils are 4, and black (16) is hidden beside
    //  them: carol sees neither pooled, nor a change from or to them.
    assert_string_equal (
        s_ask (self, &query, &self->carol, "values of k3-reading"),
        "period|group|value|n|low|high|units|status|target|change|change low|change high|verdict|not in both\n"
        "2025-Q3|all|58.2|500|53.8303|62.4447|1 of 1|final|62||||-|\n"
        "2025-Q4|all|59|400|54.1167|63.7121|1 of 1|final|62|0.8|-5.67022|7.22635|no clear change|\n"
        "2025-Q4|asian|70|20|48.1027|85.4523|1 of 1|final|62||||-|\n"
        "2025-Q4|black|50|28|32.6331|67.3669|1 of 1|final|62||||-|\n"
        "2025-Q4|white|69|100|59.3739|77.2203|1 of 1|final|62||||-|\n"
        "2026-Q1|all|56.8|250|50.6025|62.7917|2 of 2|final|62|5|-9.63813|17.8271|no clear change|carol (2026-Q1)\n"
        "2026-Q1|asian|*|*|*|*|0 of 1|final|62|*|*|*|*|\n"
        "2026-Q1|black|*|*|*|*|0 of 1|final|62|*|*|*|*|\n"
        "2026-Q1|white|70|30|52.1242|83.3353|1 of 1|final|62|1|-18.6753|17.4466|no clear change|\n"
        "2026-Q2|all|63|400|58.1659|67.5868|1 of 1|provisional|62|-1|-13.8085|13.5983|no clear change|carol (2026-Q1)\n"
        "2026-Q2|asian|80|15|54.8146|92.9525|1 of 1|provisional|62|*|*|*|*|\n"
        "2026-Q2|black|55|20|34.2085|74.1802|1 of 1|provisional|62|*|*|*|*|\n"
        "2026-Q2|white|72|50|58.3349|82.5258|1 of 1|provisional|62|2|-17.0936|22.7446|no clear change|\n");
}

//  The backbone names white pupils the reference group of race: each other
//  group is compared with them period by period. Black pupils' gap
//  narrowed from 30 to 15 points, beyond noise; hispanic pupils' did not
//  move; asian pupils (3) are hidden from carol, and so is hispanic, their
//  complement.
static void
test_query_report_compares_each_group_with_the_reference (void **state)
{
    world_t *self = *state;
    indicator_msg_t m;
    indicator_msg (&m, "def-k3", "k3-reading", "3rd-grade reading proficiency",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_dim (&m, "race");
    indicator_network (&m, "early-literacy");
    char *races [] = {"asian", "black", "hispanic", "white"};
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    race.dimension = "race";
    race.categories = races;
    race.n_categories = 4;
    race.reference = "white";
    Cibus__DimensionCategories *lists [] = {&race};
    m.def.categories = lists;
    m.def.n_categories = 1;
    PUBLISH_OK (self, &self->hub, &m.env);
    world_table (self, &self->alice, "g-q4", "early-literacy", "k3-reading", "2025-Q4",
                 "1602/2603", "race=white", "800/1000", "race=black", "500/1000",
                 "race=hispanic", "300/600", "race=asian", "2/3", NULL);
    world_table (self, &self->alice, "g-q1", "early-literacy", "k3-reading", "2026-Q1",
                 "1752/2603", "race=white", "800/1000", "race=black", "650/1000",
                 "race=hispanic", "300/600", "race=asian", "2/3", NULL);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    store_answer_t *reply = world_query (self, &query, &self->hub);
    const char *header = "indicator|dimension|period|reference group|reference value|"
                         "reference n|group|value|n|gap|gap change|gap change low|gap change "
                         "high|gap verdict\n";
    char expected [2048];
    snprintf (expected, sizeof expected,
              "%s"
              "k3-reading|race|2025-Q4|white|80|1000|asian|66.6667|3|13.3333||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|asian|66.6667|3|13.3333|0|-53.4617|"
              "53.4617|no clear change\n"
              "k3-reading|race|2025-Q4|white|80|1000|black|50|1000|30||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|black|65|1000|15|-15|-20.499|-9.43974|"
              "narrowing\n"
              "k3-reading|race|2025-Q4|white|80|1000|hispanic|50|600|30||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|hispanic|50|600|30|0|-6.6413|6.6413|"
              "no clear change\n",
              header);
    assert_string_equal (world_render (reply, "gaps to the reference group"), expected);
    store_answer_free (reply);
    reply = world_query (self, &query, &self->carol);
    snprintf (expected, sizeof expected,
              "%s"
              "k3-reading|race|2025-Q4|white|80|1000|asian|*|*|*||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|asian|*|*|*|*|*|*|*\n"
              "k3-reading|race|2025-Q4|white|80|1000|black|50|1000|30||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|black|65|1000|15|-15|-20.499|-9.43974|"
              "narrowing\n"
              "k3-reading|race|2025-Q4|white|80|1000|hispanic|*|*|*||||-\n"
              "k3-reading|race|2026-Q1|white|80|1000|hispanic|*|*|*|*|*|*|*\n",
              header);
    assert_string_equal (world_render (reply, "gaps to the reference group"), expected);
    store_answer_free (reply);
}

static void
test_query_values_suppression_of_small_totals (void **state)
{
    world_t *self = *state;
    s_publish_small_cells (self);
    Cibus__Query query = s_query ("values");
    query.has_units = query.units = true; //  each unit's table, as it was decided
    query.indicator = "pre-k";
    assert_string_equal (s_ask (self, &query, &self->carol, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|*|*|final||\n"
                         "2026-Q1|all|alice|*|*|final||*\n");
    assert_string_equal (s_ask (self, &query, &self->alice, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|37.5|8|final||\n"
                         "2026-Q1|all|alice|40|5|final||2.5\n");
    //  A smaller min-cell judges the tables appended from then on; the ones
    //  already decided stay as they were sent.
    assert_int_equal (store_config_set (self->store, "min-cell", "5", NULL, 0), CIBUS_OK);
    world_table (self, &self->alice, "p-q2", "early-literacy", "pre-k", "2026-Q2", "3/6", NULL);
    assert_string_equal (s_ask (self, &query, &self->carol, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|*|*|final||\n"
                         "2026-Q1|all|alice|*|*|final||*\n"
                         "2026-Q2|all|alice|50|6|final||*\n");
}

static void
test_query_report_counts_a_cell_once_whatever_its_dimension_order (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    //  The correction names the cross cell with its dimensions the other
    //  way round: it is the same cell, counted once beside the total.
    world_table (self, &self->alice, "d1", "early-literacy", "k3-reading", "2026-Q1", "20/40",
                 "race=black,income=low", "10/20", NULL);
    world_table (self, &self->alice, "d2", "early-literacy", "k3-reading", "2026-Q1", "20/40",
                 "income=low,race=black", "11/20", NULL);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    assert_string_equal (s_ask (self, &query, &self->hub, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|2\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n");
}

//  The submissions are counted for every partner in one pass: each
//  partner's count is its own in each of its networks, a partner in two
//  networks is counted in each apart, another partner's tables and a
//  superseded version count for nobody, and a reader sees only the rows of
//  its networks (one, two, or the one a query names).
static void
test_query_report_counts_each_partner_in_each_of_its_networks (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_absence (self);
    const char *both [] = {"early-literacy", "postsecondary"};
    char key [STORE_KEY_LEN + 1];
    memset (key, 'Z', STORE_KEY_LEN);
    key [STORE_KEY_LEN] = 0;
    store_partner_t dora = {0};
    assert_int_equal (store_partner_add (self->store, "dora", key, ROLE_PARTNER, both, 2),
                      CIBUS_OK);
    assert_int_equal (store_partner_by_key (self->store, key, &dora), CIBUS_OK);
    world_table (self, &dora, "d1", "early-literacy", "k3-reading", "2026-Q1", "20/40",
                 "race=black", "10/20", NULL);
    world_table (self, &dora, "d2", "postsecondary", "absence", "2026-02", "4/40", NULL);
    world_table (self, &self->alice, "a1", "early-literacy", "absence", "2026-01", "5/50",
                 "grade=k", "2/20", "grade=1", "3/30", NULL);
    //  Corrected: its first version's three values count no more.
    world_table (self, &self->alice, "a2", "early-literacy", "absence", "2026-01", "6/50", NULL);
    //  Outside the quarter.
    world_table (self, &self->carol, "c1", "early-literacy", "absence", "2026-04", "1/10", NULL);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    assert_string_equal (s_ask (self, &query, &self->hub, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n"
                         "dora|early-literacy|yes|2\n"
                         "dora|postsecondary|yes|1\n");
    assert_string_equal (s_ask (self, &query, &self->carol, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "carol|early-literacy|no|0\n"
                         "dora|early-literacy|yes|2\n");
    assert_string_equal (s_ask (self, &query, &self->bob, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "bob|postsecondary|no|0\n"
                         "dora|postsecondary|yes|1\n");
    //  A partner of two networks reads both.
    assert_string_equal (s_ask (self, &query, &dora, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n"
                         "dora|early-literacy|yes|2\n"
                         "dora|postsecondary|yes|1\n");
    //  The backbone asking of one network reads that one.
    query.network = "postsecondary";
    assert_string_equal (s_ask (self, &query, &self->hub, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "bob|postsecondary|no|0\n"
                         "dora|postsecondary|yes|1\n");
    query.network = NULL;
    query.period = "2026-04";
    assert_string_equal (s_ask (self, &query, &self->hub, "submissions for 2026-04"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|no|0\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|yes|1\n"
                         "dora|early-literacy|no|0\n"
                         "dora|postsecondary|no|0\n");
    store_partner_release (&dora);
}

static void
test_query_report_for_a_school_year_covers_its_quarters_and_months (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("report");
    query.period = "2025-26";
    store_answer_t *reply = world_query (self, &query, &self->hub);
    //  alice: 5 totals' periods Q3..Q2 less the superseded one, 9 race cells,
    //  1 income cell, 2 months of absence; bob's 2025-26 value.
    assert_string_equal (world_render (reply, "submissions for 2025-26"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|16\n"
                         "bob|postsecondary|yes|1\n"
                         "carol|early-literacy|yes|1\n");
    assert_string_equal (world_render (reply, "meetings"),
                         "held_on|partner|title|decisions\n"
                         "2026-02-10|alice|network meeting|open libraries in 3 schools; share "
                         "attendance data monthly\n"
                         "2026-03-05|bob|FAFSA night debrief|repeat in fall\n"
                         "2026-04-15|carol|tutoring check-in|\n");
    store_answer_free (reply);
    query.period = "2026-02";
    reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "submissions for 2026-02"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n");
    store_answer_free (reply);
}

static void
test_query_an_empty_store_answers_empty_tables (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    store_answer_t *reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|period|value|n|low|high|units|previous period|change|change low|"
                         "change high|verdict|not in both|baseline|since baseline|since "
                         "baseline low|since baseline high|verdict since baseline|target|"
                         "target status\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "clearly improving|clearly worsening|no clear change|not judged|of\n"
                         "0|0|0|0|0\n");
    //  Every table of the report, in order, even when empty (the broker
    //  encodes them for the wire: test_broker's queries read them there).
    assert_int_equal (reply->n_tables, 9);
    assert_string_equal (reply->tables [0]->title, "submissions for 2026-Q1");
    store_answer_free (reply);
    store_answer_free (NULL);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, world_setup, world_teardown)
    const struct CMUnitTest tests [] = {
        T (test_query_an_integrator_reads_nothing),
        T (test_query_refuses_a_missing_or_unknown_kind),
        T (test_query_a_partner_asks_only_for_its_networks),
        T (test_query_refuses_a_today_that_is_not_a_date),
        T (test_query_indicators_lists_the_definitions_in_force),
        T (test_query_values_refuses_a_missing_or_unknown_indicator),
        T (test_query_values_shows_the_totals_with_target_and_change),
        T (test_query_values_a_correction_is_current_and_both_stay_in_the_log),
        T (test_query_values_by_dimension_for_the_backbone_and_the_submitter),
        T (test_query_values_suppresses_small_cells_and_their_complement_for_other_partners),
        T (test_query_values_shows_only_the_readers_networks),
        T (test_query_values_orders_periods_of_each_kind),
        T (test_query_commitments_with_their_state_and_overdue),
        T (test_query_commitments_filter_by_owner_overdue_network_and_today),
        T (test_query_notes_with_decisions_since_a_date),
        T (test_query_a_note_without_a_date_is_held_the_day_it_arrived),
        T (test_query_report_needs_a_period),
        T (test_query_report_is_the_backbones_page),
        T (test_query_partners_lists_the_partners_of_the_readers_networks),
        T (test_query_report_for_a_partner_covers_its_networks),
        T (test_query_report_keeps_suppressed_cells_out_of_gaps_and_travel),
        T (test_query_report_hides_a_pool_that_would_give_a_hidden_total_away),
        T (test_query_report_shows_the_gap_series_and_its_change),
        T (test_query_values_pools_the_units),
        T (test_query_report_compares_each_group_with_the_reference),
        T (test_query_values_suppression_of_small_totals),
        T (test_query_report_counts_a_cell_once_whatever_its_dimension_order),
        T (test_query_report_counts_each_partner_in_each_of_its_networks),
        T (test_query_report_for_a_school_year_covers_its_quarters_and_months),
        T (test_query_an_empty_store_answers_empty_tables),
    };
#undef T
    return cmocka_run_group_tests (tests, NULL, NULL);
}
