/*  test_query.c - the questions the backbone and partners ask of the
    projections, with read access and small-cell suppression applied.

    Each answer is rendered as text (columns, then rows; cells separated by
    '|') and compared whole, so that a test states exactly what a reader
    sees, row by row.                                                      */

#include "measure_fixture.h"

//  ------------------------------------------------------------ data

static void
s_cell (world_t *self, const store_partner_t *who, const char *id, const char *indicator,
        const char *period, const char *key, const char *group, double value, uint64_t n)
{
    data_msg_t m;
    data_cell (&m, id, indicator, period, key, group, value, n);
    PUBLISH_OK (self, who, &m.env);
}

//  A school year of k3-reading from alice, by race, with a correction, and
//  carol's total for 2026-Q1.
static void
s_publish_k3_year (world_t *self)
{
    world_define_k3 (self);
    s_cell (self, &self->alice, "t-q3", "k3-reading", "2025-Q3", NULL, NULL, 58.2, 400);
    s_cell (self, &self->alice, "t-q4", "k3-reading", "2025-Q4", NULL, NULL, 59, 410);
    s_cell (self, &self->alice, "t-q1", "k3-reading", "2026-Q1", NULL, NULL, 60.5, 405);
    s_cell (self, &self->alice, "t-q1-fix", "k3-reading", "2026-Q1", NULL, NULL, 61, 405);
    data_msg_t m;
    data_cell (&m, "t-q2", "k3-reading", "2026-Q2", NULL, NULL, 63, 420);
    m.data.has_status = true;
    m.data.status = CIBUS__VALUE_STATUS__PROVISIONAL;
    PUBLISH_OK (self, &self->alice, &m.env);
    s_cell (self, &self->carol, "c-t-q1", "k3-reading", "2026-Q1", NULL, NULL, 55, 200);

    s_cell (self, &self->alice, "q4-asian", "k3-reading", "2025-Q4", "race", "asian", 70, 12);
    s_cell (self, &self->alice, "q4-black", "k3-reading", "2025-Q4", "race", "black", 50, 28);
    s_cell (self, &self->alice, "q4-white", "k3-reading", "2025-Q4", "race", "white", 69, 52);
    s_cell (self, &self->alice, "q1-asian", "k3-reading", "2026-Q1", "race", "asian", 75, 4);
    s_cell (self, &self->alice, "q1-black", "k3-reading", "2026-Q1", "race", "black", 52, 30);
    s_cell (self, &self->alice, "q1-white", "k3-reading", "2026-Q1", "race", "white", 70, 50);
    s_cell (self, &self->alice, "q2-asian", "k3-reading", "2026-Q2", "race", "asian", 80, 15);
    s_cell (self, &self->alice, "q2-black", "k3-reading", "2026-Q2", "race", "black", 55, 31);
    s_cell (self, &self->alice, "q2-white", "k3-reading", "2026-Q2", "race", "white", 72, 49);
    s_cell (self, &self->alice, "q1-low", "k3-reading", "2026-Q1", "income", "low", 50, 200);
}

//  Absence (monthly, lower is better) from alice, FAFSA completions (yearly)
//  from bob, six commitments in every state, and three meetings.
static void
s_publish_the_rest (world_t *self)
{
    world_define_absence (self);
    world_define_fafsa (self);
    data_msg_t m;
    data_msg (&m, "a-01", "early-literacy", "absence", "2026-01");
    data_value (&m, 0.2);
    data_n (&m, 400);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "a-02", "early-literacy", "absence", "2026-02");
    data_value (&m, 0.18);
    data_n (&m, 400);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "f-24", "postsecondary", "fafsa", "2024-25");
    data_value (&m, 300);
    PUBLISH_OK (self, &self->bob, &m.env);
    data_msg (&m, "f-25", "postsecondary", "fafsa", "2025-26");
    data_value (&m, 280);
    PUBLISH_OK (self, &self->bob, &m.env);

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
    Cibus__QueryReply *reply = world_query (self, query, reader);
    static char text [16384];
    snprintf (text, sizeof text, "%s", world_render (reply, title));
    store_query_free (reply);
    return text;
}

//  Ask what must be refused, with this code, field and message.
static void
s_refused (world_t *self, const Cibus__Query *query, const store_partner_t *reader,
           cibus_err_t code, const char *field, const char *message)
{
    Cibus__QueryReply *reply = (Cibus__QueryReply *) &reply;
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
               "field 'query.kind' is required: indicators, values, commitments, notes or "
               "report");
    query.kind = "history";
    s_refused (self, &query, &self->hub, CIBUS_ERR_BAD_FIELD, "query.kind",
               "unknown query kind 'history': ask for indicators, values, commitments, notes "
               "or report");
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
               "indicator 'k3-reading' is not broken down by 'zip': see its dimensions in "
               "'cibus indicators'");
}

static void
test_query_values_shows_the_totals_with_target_and_change (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q3|all|alice|58.2|400|final|62|\n"
                         "2025-Q4|all|alice|59|410|final|62|0.8\n"
                         "2026-Q1|all|alice|61|405|final|62|2\n"
                         "2026-Q1|all|carol|55|200|final|62|\n"
                         "2026-Q2|all|alice|63|420|provisional|62|2\n");
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
    s_cell (self, &self->alice, "t-q1", "k3-reading", "2026-Q1", NULL, NULL, 60.5, 405);
    s_cell (self, &self->alice, "t-q1-fix", "k3-reading", "2026-Q1", NULL, NULL, 61, 405);
    Cibus__Query query = s_query ("values");
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->carol, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q1|all|alice|61|405|final|62|\n");
    //  The history: both submissions, with who and when, in the log.
    assert_int_equal (store_last_seq (self->store), 3);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        envelope_t *env = NULL;
        assert_int_equal (store_read_from (self->store, seq, 1, s_first, &env, NULL), CIBUS_OK);
        assert_non_null (env);
        assert_string_equal (env->partner, "alice");
        assert_true (env->data->value == (seq == 2 ? 60.5 : 61));
        assert_int_equal (env->received_at,
                          FIXTURE_EPOCH_USEC + (int64_t) (seq - 1) * FIXTURE_DAY_USEC);
        codec_envelope_free (env);
    }
}

static const char *s_k3_by_race_unsuppressed =
    "period|group|partner|value|n|status|target|change\n"
    "2025-Q3|all|alice|58.2|400|final|62|\n"
    "2025-Q4|all|alice|59|410|final|62|0.8\n"
    "2025-Q4|asian|alice|70|12|final|62|\n"
    "2025-Q4|black|alice|50|28|final|62|\n"
    "2025-Q4|white|alice|69|52|final|62|\n"
    "2026-Q1|all|alice|61|405|final|62|2\n"
    "2026-Q1|all|carol|55|200|final|62|\n"
    "2026-Q1|asian|alice|75|4|final|62|5\n"
    "2026-Q1|black|alice|52|30|final|62|2\n"
    "2026-Q1|white|alice|70|50|final|62|1\n"
    "2026-Q2|all|alice|63|420|provisional|62|2\n"
    "2026-Q2|asian|alice|80|15|final|62|5\n"
    "2026-Q2|black|alice|55|31|final|62|3\n"
    "2026-Q2|white|alice|72|49|final|62|2\n";

static void
test_query_values_by_dimension_for_the_backbone_and_the_submitter (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    Cibus__Query query = s_query ("values");
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
    query.indicator = "k3-reading";
    query.by = "race";
    //  2026-Q1: asian (n=4) is small, black (n=30) its complement; a change
    //  from or to a hidden value is hidden too.
    assert_string_equal (s_ask (self, &query, &self->carol, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q3|all|alice|58.2|400|final|62|\n"
                         "2025-Q4|all|alice|59|410|final|62|0.8\n"
                         "2025-Q4|asian|alice|70|12|final|62|\n"
                         "2025-Q4|black|alice|50|28|final|62|\n"
                         "2025-Q4|white|alice|69|52|final|62|\n"
                         "2026-Q1|all|alice|61|405|final|62|2\n"
                         "2026-Q1|all|carol|55|200|final|62|\n"
                         "2026-Q1|asian|alice|*|4|final|62|*\n"
                         "2026-Q1|black|alice|*|30|final|62|*\n"
                         "2026-Q1|white|alice|70|50|final|62|1\n"
                         "2026-Q2|all|alice|63|420|provisional|62|2\n"
                         "2026-Q2|asian|alice|80|15|final|62|*\n"
                         "2026-Q2|black|alice|55|31|final|62|*\n"
                         "2026-Q2|white|alice|72|49|final|62|2\n");
}

static void
test_query_values_shows_only_the_readers_networks (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    world_define_absence (self);
    data_msg_t m;
    data_msg (&m, "a-bob", "postsecondary", "absence", "2026-01");
    data_value (&m, 0.3);
    PUBLISH_OK (self, &self->bob, &m.env);
    data_msg (&m, "a-alice", "early-literacy", "absence", "2026-01");
    data_value (&m, 0.2);
    PUBLISH_OK (self, &self->alice, &m.env);
    Cibus__Query query = s_query ("values");
    query.indicator = "k3-reading";
    assert_string_equal (s_ask (self, &query, &self->bob, "values of k3-reading"),
                         "period|group|partner|value|n|status|target|change\n");
    query.indicator = "absence";
    assert_string_equal (s_ask (self, &query, &self->bob, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|bob|0.3||final|0.1|\n");
    assert_string_equal (s_ask (self, &query, &self->carol, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|alice|0.2||final|0.1|\n");
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|alice|0.2||final|0.1|\n"
                         "2026-01|all|bob|0.3||final|0.1|\n");
    query.network = "postsecondary";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-01|all|bob|0.3||final|0.1|\n");
}

static void
test_query_values_orders_periods_of_each_kind (void **state)
{
    world_t *self = *state;
    world_define_absence (self);
    world_define_fafsa (self);
    const char *months [] = {"2026-11", "2026-09", "2026-10", "2027-01"};
    const double rates [] = {0.15, 0.2, 0.18, 0.12};
    for (size_t i = 0; i < 4; i++) {
        data_msg_t m;
        char id [16];
        snprintf (id, sizeof id, "m%zu", i);
        data_msg (&m, id, "early-literacy", "absence", months [i]);
        data_value (&m, rates [i]);
        PUBLISH_OK (self, &self->alice, &m.env);
    }
    const char *years [] = {"2026-27", "2024-25", "2025-26"};
    for (size_t i = 0; i < 3; i++) {
        data_msg_t m;
        char id [16];
        snprintf (id, sizeof id, "y%zu", i);
        data_msg (&m, id, "postsecondary", "fafsa", years [i]);
        data_value (&m, 100.0 * (double) (i + 1));
        PUBLISH_OK (self, &self->bob, &m.env);
    }
    Cibus__Query query = s_query ("values");
    query.indicator = "absence";
    assert_string_equal (s_ask (self, &query, &self->hub, "values of absence"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-09|all|alice|0.2||final|0.1|\n"
                         "2026-10|all|alice|0.18||final|0.1|-0.02\n"
                         "2026-11|all|alice|0.15||final|0.1|-0.03\n"
                         "2027-01|all|alice|0.12||final|0.1|-0.03\n");
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
        "held_on|partner|network|title|decisions\n"
        "2026-02-10|alice|early-literacy|network meeting|open libraries in 3 schools; share "
        "attendance data monthly\n"
        "2026-03-05|bob|postsecondary|FAFSA night debrief|repeat in fall\n"
        "2026-04-15|carol|early-literacy|tutoring check-in|\n");
    query.since = "2026-02-11";
    assert_string_equal (s_ask (self, &query, &self->alice, "notes"),
                         "held_on|partner|network|title|decisions\n"
                         "2026-04-15|carol|early-literacy|tutoring check-in|\n");
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
                         "held_on|partner|network|title|decisions\n"
                         "2026-01-05|alice|early-literacy|hallway chat|\n");
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
    Cibus__QueryReply *reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_titles (reply),
                         "submissions for 2026-Q1|commitments needing attention|indicators|"
                         "gaps|proof point|meetings");
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
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|latest period|value|baseline|target|direction of travel|"
                         "right way\n"
                         "absence|2026-02|0.18||0.1|better|yes\n"
                         "fafsa|2025-26|280|||worse|no\n"
                         "k3-reading|2026-Q1|55|58.2|62|worse|no\n");
    assert_string_equal (world_render (reply, "gaps"),
                         "indicator|dimension|highest group|highest value|lowest group|"
                         "lowest value|gap\n"
                         "k3-reading|race|asian|75|black|52|23\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "indicators moving the right way|of|share\n"
                         "1|3|33.3\n");
    assert_string_equal (world_render (reply, "meetings"),
                         "held_on|partner|title|decisions\n"
                         "2026-02-10|alice|network meeting|open libraries in 3 schools; share "
                         "attendance data monthly\n"
                         "2026-03-05|bob|FAFSA night debrief|repeat in fall\n");
    store_query_free (reply);
}

static void
test_query_report_for_a_partner_covers_its_networks (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    Cibus__QueryReply *reply = world_query (self, &query, &self->alice);
    assert_string_equal (world_render (reply, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|7\n"
                         "carol|early-literacy|yes|1\n");
    assert_string_equal (world_render (reply, "commitments needing attention"),
                         "id|owner|action|due|status|overdue\n"
                         "c-late|alice|open 3 leveled libraries|2026-03-01|committed|yes\n"
                         "c-risk|carol|family reading nights|2026-09-01|at-risk|no\n");
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|latest period|value|baseline|target|direction of travel|"
                         "right way\n"
                         "absence|2026-02|0.18||0.1|better|yes\n"
                         "k3-reading|2026-Q1|55|58.2|62|worse|no\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "indicators moving the right way|of|share\n"
                         "1|2|50\n");
    assert_string_equal (world_render (reply, "meetings"),
                         "held_on|partner|title|decisions\n"
                         "2026-02-10|alice|network meeting|open libraries in 3 schools; share "
                         "attendance data monthly\n");
    store_query_free (reply);
    //  The backbone narrowed to one network sees the same page as its members.
    query.network = "postsecondary";
    reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "bob|postsecondary|no|0\n");
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|latest period|value|baseline|target|direction of travel|"
                         "right way\n"
                         "absence||||0.1|-|-\n"
                         "fafsa|2025-26|280|||worse|no\n");
    store_query_free (reply);
}

//  pre-k (a quarterly percent) from alice with small totals, and a k3-reading
//  race group for 2026-Q1: asian n=4, black n=30, hispanic n=40, white n=50.
static void
s_publish_small_cells (world_t *self)
{
    world_define_k3 (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-prek", "pre-k", "pre-k enrollment", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    PUBLISH_OK (self, &self->hub, &def.env);
    s_cell (self, &self->alice, "p-q4", "pre-k", "2025-Q4", NULL, NULL, 38, 7);
    s_cell (self, &self->alice, "p-q1", "pre-k", "2026-Q1", NULL, NULL, 40, 6);
    s_cell (self, &self->alice, "asian", "k3-reading", "2026-Q1", "race", "asian", 75, 4);
    s_cell (self, &self->alice, "black", "k3-reading", "2026-Q1", "race", "black", 52, 30);
    s_cell (self, &self->alice, "hisp", "k3-reading", "2026-Q1", "race", "hispanic", 58, 40);
    s_cell (self, &self->alice, "white", "k3-reading", "2026-Q1", "race", "white", 70, 50);
    s_cell (self, &self->alice, "total", "k3-reading", "2026-Q1", NULL, NULL, 63, 124);
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
        Cibus__QueryReply *reply = world_query (self, &query, sees_all [i]);
        assert_string_equal (world_render (reply, "indicators"),
                             "indicator|latest period|value|baseline|target|direction of "
                             "travel|right way\n"
                             "k3-reading|2026-Q1|63|58.2|62|-|-\n"
                             "pre-k|2026-Q1|40|||better|yes\n");
        assert_string_equal (world_render (reply, "gaps"),
                             "indicator|dimension|highest group|highest value|lowest group|"
                         "lowest value|gap\n"
                             "k3-reading|race|asian|75|black|52|23\n");
        assert_string_equal (world_render (reply, "proof point"),
                             "indicators moving the right way|of|share\n"
                             "1|1|100\n");
        store_query_free (reply);
    }
    //  carol may not see asian (n=4), black (its complement) nor pre-k's
    //  small totals: the gap is between what she sees, and no direction of
    //  travel is told from hidden values.
    Cibus__QueryReply *reply = world_query (self, &query, &self->carol);
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|latest period|value|baseline|target|direction of "
                         "travel|right way\n"
                         "k3-reading|2026-Q1|63|58.2|62|-|-\n"
                         "pre-k|2026-Q1|*|||-|-\n");
    assert_string_equal (world_render (reply, "gaps"),
                         "indicator|dimension|highest group|highest value|lowest group|"
                         "lowest value|gap\n"
                         "k3-reading|race|white|70|hispanic|58|12\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "indicators moving the right way|of|share\n"
                         "0|0|\n");
    store_query_free (reply);
}

static void
test_query_values_suppression_of_small_totals (void **state)
{
    world_t *self = *state;
    s_publish_small_cells (self);
    Cibus__Query query = s_query ("values");
    query.indicator = "pre-k";
    assert_string_equal (s_ask (self, &query, &self->carol, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|*|7|final||\n"
                         "2026-Q1|all|alice|*|6|final||*\n");
    assert_string_equal (s_ask (self, &query, &self->alice, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|38|7|final||\n"
                         "2026-Q1|all|alice|40|6|final||2\n");
    assert_int_equal (store_config_set (self->store, "min-cell", "5", NULL, 0), CIBUS_OK);
    assert_string_equal (s_ask (self, &query, &self->carol, "values of pre-k"),
                         "period|group|partner|value|n|status|target|change\n"
                         "2025-Q4|all|alice|38|7|final||\n"
                         "2026-Q1|all|alice|40|6|final||2\n");
}

static void
test_query_report_counts_a_cell_once_whatever_its_dimension_order (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 50);
    data_dim (&m, "race", "black");
    data_dim (&m, "income", "low");
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 51);
    data_dim (&m, "income", "low");
    data_dim (&m, "race", "black");
    PUBLISH_OK (self, &self->alice, &m.env);
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    assert_string_equal (s_ask (self, &query, &self->hub, "submissions for 2026-Q1"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n");
}

static void
test_query_report_for_a_school_year_covers_its_quarters_and_months (void **state)
{
    world_t *self = *state;
    s_publish_k3_year (self);
    s_publish_the_rest (self);
    Cibus__Query query = s_query ("report");
    query.period = "2025-26";
    Cibus__QueryReply *reply = world_query (self, &query, &self->hub);
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
    store_query_free (reply);
    query.period = "2026-02";
    reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "submissions for 2026-02"),
                         "partner|network|submitted|values\n"
                         "alice|early-literacy|yes|1\n"
                         "bob|postsecondary|no|0\n"
                         "carol|early-literacy|no|0\n");
    store_query_free (reply);
}

static void
test_query_an_empty_store_answers_empty_tables (void **state)
{
    world_t *self = *state;
    Cibus__Query query = s_query ("report");
    query.period = "2026-Q1";
    Cibus__QueryReply *reply = world_query (self, &query, &self->hub);
    assert_string_equal (world_render (reply, "indicators"),
                         "indicator|latest period|value|baseline|target|direction of travel|"
                         "right way\n");
    assert_string_equal (world_render (reply, "proof point"),
                         "indicators moving the right way|of|share\n"
                         "0|0|\n");
    //  An answer packs as a Reply, as the broker sends it.
    reply_t wrapper = CIBUS__REPLY__INIT;
    wrapper.kind_case = CIBUS__REPLY__KIND_RESULT;
    wrapper.result = reply;
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_reply (&wrapper, &buf), CIBUS_OK);
    reply_t *decoded = codec_reply_decode (buf.data, buf.size);
    assert_non_null (decoded);
    assert_int_equal (decoded->result->n_tables, 6);
    assert_string_equal (decoded->result->tables [0]->title, "submissions for 2026-Q1");
    codec_reply_free (decoded);
    codec_buf_release (&buf);
    store_query_free (reply);
    store_query_free (NULL);
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
        T (test_query_report_for_a_partner_covers_its_networks),
        T (test_query_report_keeps_suppressed_cells_out_of_gaps_and_travel),
        T (test_query_values_suppression_of_small_totals),
        T (test_query_report_counts_a_cell_once_whatever_its_dimension_order),
        T (test_query_report_for_a_school_year_covers_its_quarters_and_months),
        T (test_query_an_empty_store_answers_empty_tables),
    };
#undef T
    return cmocka_run_group_tests (tests, NULL, NULL);
}
