/*  test_measure.c - shared measurement's rules, projections, settings and
    small-cell suppression, through the store's API as the broker uses it.

    Every refusal is asserted with its code, its field and its exact
    message: the message is what a partner reads and acts on.            */

#include "measure_fixture.h"

#include <math.h>
#include <sqlite3.h>

//  ------------------------------------------------------------ the catalogue

static void
test_measure_backbone_defines_an_indicator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 61.5);
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_measure_only_the_backbone_defines_indicators (void **state)
{
    world_t *self = *state;
    indicator_msg_t m;
    indicator_msg (&m, "def", "k3-reading", "reading", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_FORBIDDEN, "indicator",
                     "only the backbone defines indicators");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_FORBIDDEN, "indicator",
                     "only the backbone defines indicators");
    assert_int_equal (store_last_seq (self->store), 0);
}

static void
test_measure_redefinition_is_the_next_version_and_in_force (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-k3-v2", "k3-reading", "3rd-grade reading proficiency",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_range (&def, 0, 90);
    indicator_dim (&def, "race");
    PUBLISH_OK (self, &self->hub, &def.env);

    //  Version 2 no longer restricts networks, allows only race, caps at 90.
    data_msg_t m;
    data_msg (&m, "d1", "postsecondary", "k3-reading", "2026-Q1");
    data_value (&m, 95);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 95 is outside the range of indicator 'k3-reading' [0, 90]");
    data_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 50);
    data_dim (&m, "income", "low");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                     "dimension 'income' is not one indicator 'k3-reading' allows (race)");
    data_msg (&m, "d3", "postsecondary", "k3-reading", "2026-Q1");
    data_value (&m, 85);
    PUBLISH_OK (self, &self->bob, &m.env);
}

//  ------------------------------------------------------------ data

static void
test_measure_refuses_an_indicator_not_in_the_catalogue (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-readin", "2026-Q1");
    data_value (&m, 61);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.indicator",
                     "indicator 'k3-readin' is not in the catalogue");
    assert_int_equal (store_last_seq (self->store), 1);
}

static void
test_measure_refuses_an_indicator_not_used_in_the_network (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "postsecondary", "k3-reading", "2026-Q1");
    data_value (&m, 61);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.indicator",
                     "indicator 'k3-reading' is not used in network 'postsecondary'");
}

static void
test_measure_refuses_a_period_of_another_kind (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    world_define_absence (self);
    data_msg_t m;
    codec_problem_t problem;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-13");
    data_value (&m, 61);
    //  No kind has the shape 2026-13: the codec refuses it before the store
    //  (in the client, too); the catalogue's rule says the same for the kind.
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "field 'data.period' expects a school year like 2025-26, a quarter like "
                     "2026-Q3, a month like 2026-09 or a date like 2026-09-15, got '2026-13'");
    assert_int_equal (store_check_entry (self->store, &m.env, &self->alice, &problem),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (problem.field, "data.period");
    assert_string_equal (problem.message,
                         "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2026-13'");
    data_msg (&m, "d2", "early-literacy", "k3-reading", "2025-26");
    data_value (&m, 61);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2025-26'");
    data_msg (&m, "d3", "postsecondary", "fafsa", "2026-Q1");
    data_value (&m, 120);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'fafsa' expects a school year like 2025-26, got '2026-Q1'");
    data_msg (&m, "d4", "postsecondary", "absence", "2026-09-15");
    data_value (&m, 0.2);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'absence' expects a month like 2026-09, got '2026-09-15'");
    //  Each kind's own shape is accepted.
    data_msg (&m, "d5", "postsecondary", "fafsa", "2025-26");
    data_value (&m, 120);
    PUBLISH_OK (self, &self->bob, &m.env);
    data_msg (&m, "d6", "postsecondary", "absence", "2026-09");
    data_value (&m, 0.2);
    PUBLISH_OK (self, &self->bob, &m.env);
}

static void
test_measure_refuses_a_value_outside_the_range (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    world_define_absence (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-score", "math-score", "8th-grade math scale score",
                   CIBUS__UNIT__SCORE, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_range (&def, 100, 600);
    PUBLISH_OK (self, &self->hub, &def.env);

    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 140);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 140 is outside the range of indicator 'k3-reading' [0, 100]");
    data_msg (&m, "d2", "early-literacy", "absence", "2026-09");
    data_value (&m, 1.2);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 1.2 is outside the range of indicator 'absence' [0, 1]");
    data_msg (&m, "d3", "postsecondary", "fafsa", "2025-26");
    data_value (&m, -1);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value -1 is outside the range of indicator 'fafsa' [0, inf]");
    data_msg (&m, "d4", "early-literacy", "math-score", "2025-26");
    data_value (&m, 99.5);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 99.5 is outside the range of indicator 'math-score' [100, 600]");
    //  The bounds themselves are inside.
    data_msg (&m, "d5", "early-literacy", "math-score", "2025-26");
    data_value (&m, 600);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "d6", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 0);
    PUBLISH_OK (self, &self->alice, &m.env);
}

static void
test_measure_refuses_a_value_that_is_not_finite (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, NAN);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "field 'data.value' must be a finite number, got nan");
    data_value (&m, INFINITY);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "field 'data.value' must be a finite number, got inf");
}

static void
test_measure_refuses_a_value_that_disagrees_with_its_counts (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_absence (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 60);
    data_counts (&m, 254, 412);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 60 disagrees with 254/412 = 61.65 for a percent");
    //  254/412 = 61.6505 %: one decimal either way of it is the same number.
    data_value (&m, 61.6);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 61.6 disagrees with 254/412 = 61.65 for a percent");
    data_value (&m, 61.7);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q2");
    data_value (&m, 61.65);
    data_counts (&m, 254, 412);
    PUBLISH_OK (self, &self->alice, &m.env);

    data_msg (&m, "d3", "early-literacy", "absence", "2026-09");
    data_value (&m, 0.6);
    data_counts (&m, 254, 412);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 0.6 disagrees with 254/412 = 0.6165 for a rate");
    data_value (&m, 0.616);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "value 0.616 disagrees with 254/412 = 0.6165 for a rate");
    data_value (&m, 0.617);
    PUBLISH_OK (self, &self->alice, &m.env);
}

static void
test_measure_derives_a_missing_value_from_its_counts (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_absence (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 254, 412);
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_true (m.data.has_value);
    assert_true (fabs (m.data.value - 61.650485) < 1e-6);

    data_msg (&m, "d2", "early-literacy", "absence", "2026-09");
    data_counts (&m, 3, 12);
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_true (m.data.has_value);
    assert_true (m.data.value == 0.25);
}

//  Decode the stored entry of a seq.
static bool
s_decode_one (const store_entry_t *entry, void *arg)
{
    *(envelope_t **) arg = codec_envelope_decode (entry->envelope, entry->size);
    return false;
}

static envelope_t *
s_stored (world_t *self, uint64_t seq)
{
    envelope_t *env = NULL;
    assert_int_equal (store_read_from (self->store, seq, 1, s_decode_one, &env, NULL), CIBUS_OK);
    assert_non_null (env);
    return env;
}

static void
test_measure_stores_the_derived_value (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 1, 4);
    PUBLISH_OK (self, &self->alice, &m.env);
    envelope_t *env = s_stored (self, 2);
    assert_true (env->data->has_value);
    assert_true (env->data->value == 25.0);
    assert_int_equal (env->data->numerator, 1);
    assert_int_equal (env->data->denominator, 4);
    codec_envelope_free (env);
}

static void
test_measure_a_count_needs_its_value (void **state)
{
    world_t *self = *state;
    world_define_fafsa (self);
    data_msg_t m;
    data_msg (&m, "d1", "postsecondary", "fafsa", "2025-26");
    data_counts (&m, 120, 300);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.value",
                     "indicator 'fafsa' is a count: field 'data.value' is required");
    data_value (&m, 120);
    PUBLISH_OK (self, &self->bob, &m.env);
}

static void
test_measure_refuses_a_zero_denominator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 0, 0);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.denominator",
                     "indicator 'k3-reading' is a percent: its denominator must be above 0");
}

static void
test_measure_refuses_a_numerator_above_its_denominator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 5, 4);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.numerator",
                     "field 'data.numerator' (5) is greater than 'data.denominator' (4)");
}

//  A dimension with categories in the catalogue takes only those.
static void
test_measure_a_dimension_takes_only_its_categories (void **state)
{
    world_t *self = *state;
    indicator_msg_t d;
    indicator_msg (&d, "def-k3c", "k3-cat", "3rd-grade reading by race", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_dim (&d, "race");
    indicator_dim (&d, "grade");
    char *races [] = {"asian", "black", "hispanic", "white"};
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    Cibus__DimensionCategories *lists [] = {&race};
    race.dimension = "race";
    race.categories = races;
    race.n_categories = 4;
    d.def.categories = lists;
    d.def.n_categories = 1;
    PUBLISH_OK (self, &self->hub, &d.env);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-cat", "2026-Q1");
    data_value (&m, 61);
    data_dim (&m, "race", "martian");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                     "'martian' is not a category of 'race' in indicator 'k3-cat' (asian, black, "
                     "hispanic, white)");
    data_msg (&m, "d2", "early-literacy", "k3-cat", "2026-Q1");
    data_value (&m, 61);
    data_dim (&m, "race", "black");
    PUBLISH_OK (self, &self->alice, &m.env);
    //  A dimension without categories takes any value.
    data_msg (&m, "d3", "early-literacy", "k3-cat", "2026-Q1");
    data_value (&m, 61);
    data_dim (&m, "grade", "3");
    PUBLISH_OK (self, &self->alice, &m.env);
}

static void
test_measure_refuses_a_dimension_the_indicator_does_not_allow (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 61);
    data_dim (&m, "race", "black");
    data_dim (&m, "zip", "45202");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                     "dimension 'zip' is not one indicator 'k3-reading' allows (race, income)");
    data_msg (&m, "d2", "postsecondary", "fafsa", "2025-26");
    data_value (&m, 61);
    data_dim (&m, "race", "black");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                     "dimension 'race' is not one indicator 'fafsa' allows (none)");
    //  Two allowed dimensions together are one cell of the disaggregation.
    data_msg (&m, "d3", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 61);
    data_dim (&m, "race", "black");
    data_dim (&m, "income", "low");
    PUBLISH_OK (self, &self->alice, &m.env);
}

static void
test_measure_a_submission_may_follow_its_definition_in_one_batch (void **state)
{
    world_t *self = *state;
    indicator_msg_t def;
    indicator_msg (&def, "def-k3", "k3-reading", "reading", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 61);
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->hub, &def.env, &problem), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &m.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_measure_an_aborted_batch_leaves_no_projection (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    store_batch_abort (self->store);

    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
    //  A commit that fails rolls the projection back with the entry.
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    store_inject_fault (self->store, STORE_FAULT_COMMIT);
    assert_int_equal (store_batch_commit (self->store), CIBUS_ERR_STORE);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
}

//  ------------------------------------------------------------ commitments

static const char *
s_commitments (world_t *self, const store_partner_t *reader)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "commitments";
    query.today = "2026-06-01";
    Cibus__QueryReply *reply = world_query (self, &query, reader);
    static char text [16384];
    snprintf (text, sizeof text, "%s", world_render (reply, "commitments"));
    store_query_free (reply);
    return text;
}

static void
test_measure_commitment_lifecycle_committed_at_risk_done (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "committed|2026-01-05|no\n");
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "one library lost its room");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "at-risk|2026-01-06|no\n");
    update_msg (&c, "u2", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "done|2026-01-07|no\n");
    update_msg (&c, "u3", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already done: it cannot change");
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already done: it cannot change");
}

static void
test_measure_a_dropped_commitment_cannot_change (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "summer reading camp", "2026-08-01");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DROPPED,
                "no funding");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u2", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already dropped: it cannot change");
}

static void
test_measure_update_of_an_unknown_commitment_is_refused (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    update_msg (&c, "u1", "early-literacy", "c404", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c404' does not exist");
}

static void
test_measure_only_the_owner_or_the_backbone_updates_a_commitment (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_REFUSED (self, &self->carol, &c.env, CIBUS_ERR_FORBIDDEN, "update.commitment_id",
                     "only the owner 'alice' or the backbone may update commitment 'c1'");
    //  An integrator reads nothing, so it is not told that c1 exists.
    PUBLISH_REFUSED (self, &self->feed, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "checked in with alice");
    PUBLISH_OK (self, &self->hub, &c.env);
    assert_non_null (strstr (s_commitments (self, &self->hub), "|at-risk|"));
}

//  The refusal of an update, as a publisher sees it.
static codec_problem_t
s_update_refusal (world_t *self, const store_partner_t *who, const char *network,
                  const char *commitment)
{
    collab_msg_t c;
    update_msg (&c, "u-probe", network, commitment, CIBUS__COMMITMENT_STATUS__DONE, NULL);
    codec_problem_t problem;
    assert_int_not_equal (world_publish (self, who, &c.env, &problem), CIBUS_OK);
    return problem;
}

static void
test_measure_a_commitment_outside_the_readers_networks_is_not_found (void **state)
{
    world_t *self = *state;
    //  What bob (postsecondary) is told of c1 before anyone made it...
    codec_problem_t missing = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (missing.code, CIBUS_ERR_NOT_FOUND);
    assert_string_equal (missing.field, "update.commitment_id");
    assert_string_equal (missing.message, "commitment 'c1' does not exist");
    //  ...is what he is told once alice made it in early-literacy, word for
    //  word: not that it exists, nor whose it is, where it lives or its state.
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    codec_problem_t hidden = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.field, missing.field, sizeof missing.field);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    hidden = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    //  The same under the commitment's own topic, were the broker to let
    //  it through.
    hidden = s_update_refusal (self, &self->bob, "early-literacy", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    //  Readers of the network keep the reasons they may read.
    codec_problem_t told = s_update_refusal (self, &self->carol, "early-literacy", "c1");
    assert_int_equal (told.code, CIBUS_ERR_FORBIDDEN);
    assert_string_equal (told.message,
                         "only the owner 'alice' or the backbone may update commitment 'c1'");
    told = s_update_refusal (self, &self->hub, "early-literacy", "c1");
    assert_int_equal (told.code, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (told.message, "commitment 'c1' is already done: it cannot change");
    assert_int_equal (store_last_seq (self->store), 2);
}

//  A commitment is found in the network its update travels in: the same
//  id elsewhere is another commitment, or none.
static void
test_measure_an_update_travels_in_its_commitment_network (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "postsecondary", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
}

static void
test_measure_an_update_may_follow_its_commitment_in_one_batch (void **state)
{
    world_t *self = *state;
    collab_msg_t c, u;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    update_msg (&u, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &u.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_non_null (strstr (s_commitments (self, &self->hub), "|on-track|"));
}

static void
test_measure_a_commitment_id_belongs_to_one_partner (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c1", "early-literacy", "tutor 40 students", "2026-10-01");
    PUBLISH_REFUSED (self, &self->carol, &c.env, CIBUS_ERR_EXISTS, "id",
                     "commitment 'c1' already exists, made by 'alice': choose another id");
    //  The owner's retry is the log's duplicate, not a refusal.
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_int_equal (store_last_seq (self->store), 1);
}

//  An id taken in a network bob may not read tells him nothing: in his own
//  network it is free, and his commitment and alice's live side by side.
static void
test_measure_a_taken_commitment_id_tells_an_outsider_nothing (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c1", "postsecondary", "tutor 40 students", "2026-10-01");
    PUBLISH_OK (self, &self->bob, &c.env);
    assert_int_equal (store_last_seq (self->store), 2);
    update_msg (&c, "u1", "postsecondary", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_OK (self, &self->bob, &c.env);
    const char *seen = s_commitments (self, &self->hub);
    assert_non_null (strstr (seen, "|alice|early-literacy|open 3 leveled libraries|"));
    assert_non_null (strstr (seen, "|bob|postsecondary|tutor 40 students|"));
}

static void
test_measure_who_may_read_a_network (void **state)
{
    world_t *self = *state;
    assert_true (store_may_read (&self->hub, "early-literacy"));
    assert_true (store_may_read (&self->hub, "anywhere"));
    assert_true (store_may_read (&self->alice, "early-literacy"));
    assert_false (store_may_read (&self->alice, "postsecondary"));
    //  The catalogue is every partner's to read, and no integrator's.
    assert_true (store_may_read (&self->bob, CODEC_CATALOG_NETWORK));
    assert_false (store_may_read (&self->feed, "early-literacy"));
    assert_false (store_may_read (&self->feed, CODEC_CATALOG_NETWORK));
    assert_false (store_may_read (&self->alice, NULL));
}

//  ------------------------------------------------------------ config

static void
test_measure_min_cell_defaults_to_ten (void **state)
{
    world_t *self = *state;
    char value [32];
    assert_int_equal (store_min_cell (self->store), MEASURE_MIN_CELL_DEFAULT);
    assert_int_equal (store_min_cell (self->store), 10);
    assert_int_equal (store_config_get (self->store, "min-cell", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "10");
}

static void
test_measure_config_sets_min_cell_and_keeps_it (void **state)
{
    world_t *self = *state;
    char error [256] = "untouched", value [32];
    assert_int_equal (store_config_set (self->store, "min-cell", "5", error, sizeof error),
                      CIBUS_OK);
    assert_string_equal (error, "");
    assert_int_equal (store_min_cell (self->store), 5);
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_min_cell (self->store), 5);
    assert_int_equal (store_config_get (self->store, "min-cell", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "5");
    assert_int_equal (store_config_set (self->store, "min-cell", "30", NULL, 0), CIBUS_OK);
    assert_int_equal (store_min_cell (self->store), 30);
}

static void
test_measure_config_refuses_bad_settings (void **state)
{
    world_t *self = *state;
    char error [256], value [32];
    const char *bad [] = {"0", "101", "ten", "", "10x", "-5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char expected [256];
        snprintf (expected, sizeof expected,
                  "min-cell must be a whole number from 1 to 100, got '%s'", bad [i]);
        assert_int_equal (store_config_set (self->store, "min-cell", bad [i], error, sizeof error),
                          CIBUS_ERR_BAD_FIELD);
        assert_string_equal (error, expected);
    }
    assert_int_equal (store_config_set (self->store, "max-cell", "5", error, sizeof error),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (error, "unknown setting 'max-cell': the settings are min-cell");
    assert_int_equal (store_config_get (self->store, "max-cell", value, sizeof value),
                      CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_min_cell (self->store), 10);
    //  The limits themselves are allowed.
    assert_int_equal (store_config_set (self->store, "min-cell", "1", error, sizeof error),
                      CIBUS_OK);
    assert_int_equal (store_config_set (self->store, "min-cell", "100", error, sizeof error),
                      CIBUS_OK);
    assert_int_equal (store_min_cell (self->store), 100);
}

//  ------------------------------------------------------------ suppression

//  alice submits k3-reading for 2026-Q1 by race: asian n=4, black n=30,
//  white n=50, and the total n=84; seqs 2..5.
static void
s_publish_race_group (world_t *self)
{
    world_define_k3 (self);
    data_msg_t m;
    data_cell (&m, "asian", "k3-reading", "2026-Q1", "race", "asian", 75, 4);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_cell (&m, "black", "k3-reading", "2026-Q1", "race", "black", 52, 30);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_cell (&m, "white", "k3-reading", "2026-Q1", "race", "white", 70, 50);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_cell (&m, "total", "k3-reading", "2026-Q1", NULL, NULL, 64.4, 84);
    PUBLISH_OK (self, &self->alice, &m.env);
}

//  Which of seqs 2..5 (asian, black, white, total) reader may not see, as
//  four letters: S suppressed, - shown.
static const char *
s_suppressed_for (world_t *self, const store_partner_t *reader)
{
    static char marks [5];
    for (uint64_t seq = 2; seq <= 5; seq++) {
        envelope_t *env = s_stored (self, seq);
        marks [seq - 2] = store_must_suppress (self->store, env, reader) ? 'S' : '-';
        codec_envelope_free (env);
    }
    marks [4] = 0;
    return marks;
}

static void
test_measure_small_cell_and_its_complement_are_suppressed_for_other_readers (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    //  asian (n=4) is below 10; black (n=30) is the next-smallest of the
    //  group, which with the total would give asian away.
    assert_string_equal (s_suppressed_for (self, &self->carol), "SS--");
    assert_string_equal (s_suppressed_for (self, &self->bob), "SS--");
    assert_string_equal (s_suppressed_for (self, &self->feed), "SS--");
    //  The backbone and the submitter see everything.
    assert_string_equal (s_suppressed_for (self, &self->hub), "----");
    assert_string_equal (s_suppressed_for (self, &self->alice), "----");
}

//  Two small cells hide each other only if together they are min-cell
//  people: asian (4) and pacific (3) are 7, so the next-smallest, black
//  (30), is hidden too; otherwise total - black - white would give the two
//  small cells' sum, and all-0 % or all-100 % would show through.
static void
test_measure_small_cells_hidden_together_reach_min_cell (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    data_msg_t m;
    data_cell (&m, "pacific", "k3-reading", "2026-Q1", "race", "pacific", 60, 3);
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_string_equal (s_suppressed_for (self, &self->carol), "SS--");
    envelope_t *env = s_stored (self, 6);
    assert_true (store_must_suppress (self->store, env, &self->carol));
    codec_envelope_free (env);
    //  With a big enough second small cell, two are enough.
    assert_int_equal (store_config_set (self->store, "min-cell", "5", NULL, 0), CIBUS_OK);
    assert_string_equal (s_suppressed_for (self, &self->carol), "S---");
}

//  A breakdown cell whose size nobody gave is treated as small: it cannot
//  be shown beside a small cell it could give away.
static void
test_measure_a_group_cell_of_unknown_size_is_hidden (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    data_msg_t m;
    data_msg (&m, "hispanic", "early-literacy", "k3-reading", "2026-Q1");
    data_value (&m, 58);
    data_dim (&m, "race", "hispanic");
    PUBLISH_OK (self, &self->alice, &m.env);
    envelope_t *env = s_stored (self, 6);
    assert_true (store_must_suppress (self->store, env, &self->carol));
    assert_false (store_must_suppress (self->store, env, &self->hub));
    codec_envelope_free (env);
    //  asian (4) and hispanic (unknown: 0 counted) are under 10 together:
    //  the next-smallest, black, stays hidden.
    assert_string_equal (s_suppressed_for (self, &self->carol), "SS--");
}

//  Cross-tabulated cells are not complemented along every margin, so they
//  are all hidden once one of them is small.
static void
test_measure_a_cross_tab_with_a_small_cell_is_hidden_whole (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    data_msg_t m;
    data_cell (&m, "asian-high", "k3-reading", "2026-Q1", "race", "asian", 80, 30);
    data_dim (&m, "income", "high");
    PUBLISH_OK (self, &self->alice, &m.env);
    envelope_t *env = s_stored (self, 6);
    assert_false (store_must_suppress (self->store, env, &self->carol));
    codec_envelope_free (env);
    data_cell (&m, "asian-low", "k3-reading", "2026-Q1", "race", "asian", 50, 4);
    data_dim (&m, "income", "low");
    PUBLISH_OK (self, &self->alice, &m.env);
    for (uint64_t seq = 6; seq <= 7; seq++) {
        env = s_stored (self, seq);
        assert_true (store_must_suppress (self->store, env, &self->carol));
        assert_false (store_must_suppress (self->store, env, &self->alice));
        codec_envelope_free (env);
    }
}

static void
test_measure_suppression_follows_the_min_cell_setting (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    assert_int_equal (store_config_set (self->store, "min-cell", "4", NULL, 0), CIBUS_OK);
    assert_string_equal (s_suppressed_for (self, &self->carol), "----");
    assert_int_equal (store_config_set (self->store, "min-cell", "31", NULL, 0), CIBUS_OK);
    //  asian and black are both small now; white (n=50) and the total stay.
    assert_string_equal (s_suppressed_for (self, &self->carol), "SS--");
    assert_int_equal (store_config_set (self->store, "min-cell", "51", NULL, 0), CIBUS_OK);
    assert_string_equal (s_suppressed_for (self, &self->carol), "SSS-");
    assert_int_equal (store_config_set (self->store, "min-cell", "85", NULL, 0), CIBUS_OK);
    assert_string_equal (s_suppressed_for (self, &self->carol), "SSSS");
}

static void
test_measure_groups_are_per_submitter_period_and_dimension (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    data_msg_t m;
    //  carol's own cells, another period and another dimension are other
    //  groups: none of them has a small cell, so none is hidden.
    data_cell (&m, "c-black", "k3-reading", "2026-Q1", "race", "black", 50, 20);
    PUBLISH_OK (self, &self->carol, &m.env);
    data_cell (&m, "q2-black", "k3-reading", "2026-Q2", "race", "black", 54, 31);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_cell (&m, "low", "k3-reading", "2026-Q1", "income", "low", 50, 20);
    PUBLISH_OK (self, &self->alice, &m.env);
    for (uint64_t seq = 6; seq <= 8; seq++) {
        envelope_t *env = s_stored (self, seq);
        assert_false (store_must_suppress (self->store, env, &self->bob));
        codec_envelope_free (env);
    }
    assert_string_equal (s_suppressed_for (self, &self->carol), "SS--");
}

static void
test_measure_the_denominator_stands_for_a_missing_n (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 3, 8);
    PUBLISH_OK (self, &self->alice, &m.env);
    data_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q2");
    data_value (&m, 61);
    PUBLISH_OK (self, &self->alice, &m.env);
    envelope_t *small = s_stored (self, 2), *unknown = s_stored (self, 3);
    assert_true (store_must_suppress (self->store, small, &self->carol));
    //  Without n or counts there is nothing to judge by: shown.
    assert_false (store_must_suppress (self->store, unknown, &self->carol));
    codec_envelope_free (small);
    codec_envelope_free (unknown);
}

static void
test_measure_store_suppress_removes_the_value_and_its_counts (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    data_msg_t m;
    data_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1");
    data_counts (&m, 3, 8);
    data_n (&m, 8);
    data_dim (&m, "race", "asian");
    PUBLISH_OK (self, &self->alice, &m.env);
    envelope_t *env = s_stored (self, 2);
    store_suppress (env);
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (env, &buf), CIBUS_OK);
    codec_envelope_free (env);
    envelope_t *copy = codec_envelope_decode (buf.data, buf.size);
    codec_buf_release (&buf);
    assert_non_null (copy);
    assert_false (copy->data->has_value);
    assert_false (copy->data->has_numerator);
    assert_false (copy->data->has_denominator);
    assert_true (copy->data->has_suppressed);
    assert_true (copy->data->suppressed);
    assert_int_equal (copy->data->n, 8);
    assert_string_equal (copy->data->dimensions [0]->value, "asian");
    assert_string_equal (copy->partner, "alice");
    codec_envelope_free (copy);
}

//  A replay as the broker serves it: every entry from seq 1, each one
//  suppressed for the reader when it must be.
typedef struct {
    store_t *store;
    const store_partner_t *reader;
    char seen [512];
} s_replay_t;

static bool
s_replay_one (const store_entry_t *entry, void *arg)
{
    s_replay_t *self = arg;
    envelope_t *env = codec_envelope_decode (entry->envelope, entry->size);
    assert_non_null (env);
    if (store_must_suppress (self->store, env, self->reader))
        store_suppress (env);
    if (env->body_case == CIBUS__ENVELOPE__BODY_DATA) {
        size_t used = strlen (self->seen);
        const Cibus__DataSubmission *data = env->data;
        if (data->has_value)
            snprintf (self->seen + used, sizeof self->seen - used, "%s=%g ",
                      data->n_dimensions ? data->dimensions [0]->value : "all", data->value);
        else
            snprintf (self->seen + used, sizeof self->seen - used, "%s=%s ",
                      data->n_dimensions ? data->dimensions [0]->value : "all",
                      data->suppressed ? "*" : "?");
    }
    codec_envelope_free (env);
    return true;
}

static void
test_measure_suppression_on_replay (void **state)
{
    world_t *self = *state;
    s_publish_race_group (self);
    s_replay_t replay = {.store = self->store, .reader = &self->carol};
    assert_int_equal (store_read_from (self->store, 1, 100, s_replay_one, &replay, NULL),
                      CIBUS_OK);
    assert_string_equal (replay.seen, "asian=* black=* white=70 all=64.4 ");
    s_replay_t backbone = {.store = self->store, .reader = &self->hub};
    assert_int_equal (store_read_from (self->store, 1, 100, s_replay_one, &backbone, NULL),
                      CIBUS_OK);
    assert_string_equal (backbone.seen, "asian=75 black=52 white=70 all=64.4 ");
    s_replay_t owner = {.store = self->store, .reader = &self->alice};
    assert_int_equal (store_read_from (self->store, 1, 100, s_replay_one, &owner, NULL),
                      CIBUS_OK);
    assert_string_equal (owner.seen, "asian=75 black=52 white=70 all=64.4 ");
}

static void
test_measure_only_data_is_ever_suppressed (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "n1", "early-literacy", "network meeting", "2026-01-10");
    PUBLISH_OK (self, &self->alice, &c.env);
    envelope_t *env = s_stored (self, 1);
    assert_false (store_must_suppress (self->store, env, &self->carol));
    store_suppress (env);
    assert_string_equal (env->note->title, "network meeting");
    codec_envelope_free (env);
}

//  ------------------------------------------------------------ migrations

//  Migration 1 as it shipped: the database every existing broker has.
static const char *s_migration_1 =
    "CREATE TABLE log ("
    "  seq INTEGER PRIMARY KEY,"
    "  partner TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  envelope BLOB NOT NULL);"
    "CREATE UNIQUE INDEX log_partner_id ON log (partner, id);"
    "CREATE TABLE partners ("
    "  name TEXT PRIMARY KEY,"
    "  public_key TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('backbone', 'partner', 'integrator')),"
    "  added_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')));"
    "CREATE TABLE partner_networks ("
    "  partner TEXT NOT NULL REFERENCES partners (name) ON DELETE CASCADE,"
    "  network TEXT NOT NULL,"
    "  PRIMARY KEY (partner, network));"
    "INSERT INTO log VALUES (1, 'alice', 'n1', 'early-literacy/note', 0, x'0a');"
    "PRAGMA user_version = 1;";

static int
s_count_rows (const char *path, const char *table)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int count = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return count;
}

static void
test_measure_a_version_1_database_is_migrated_with_empty_projections (void **state)
{
    world_t *self = *state;
    store_destroy (&self->store);
    char path [PATH_MAX + 8];
    snprintf (path, sizeof path, "%s/v1.db", self->dir);
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, s_migration_1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);

    self->store = store_new (path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), 3);
    assert_int_equal (store_last_seq (self->store), 1);
    const char *projections [] = {"indicators", "data_values", "commitments", "notes", "config"};
    for (size_t i = 0; i < sizeof projections / sizeof projections [0]; i++)
        assert_int_equal (s_count_rows (path, projections [i]), 0);
    assert_int_equal (s_count_rows (path, "log"), 1);
    assert_int_equal (store_min_cell (self->store), 10);
    //  And it works as a new one does.
    world_define_k3 (self);
    data_msg_t m;
    data_cell (&m, "d1", "k3-reading", "2026-Q1", NULL, NULL, 61, 80);
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_int_equal (s_count_rows (path, "data_values"), 1);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, world_setup, world_teardown)
    const struct CMUnitTest tests [] = {
        T (test_measure_backbone_defines_an_indicator),
        T (test_measure_only_the_backbone_defines_indicators),
        T (test_measure_redefinition_is_the_next_version_and_in_force),
        T (test_measure_refuses_an_indicator_not_in_the_catalogue),
        T (test_measure_refuses_an_indicator_not_used_in_the_network),
        T (test_measure_refuses_a_period_of_another_kind),
        T (test_measure_refuses_a_value_outside_the_range),
        T (test_measure_refuses_a_value_that_is_not_finite),
        T (test_measure_refuses_a_value_that_disagrees_with_its_counts),
        T (test_measure_derives_a_missing_value_from_its_counts),
        T (test_measure_stores_the_derived_value),
        T (test_measure_a_count_needs_its_value),
        T (test_measure_refuses_a_zero_denominator),
        T (test_measure_refuses_a_numerator_above_its_denominator),
        T (test_measure_refuses_a_dimension_the_indicator_does_not_allow),
        T (test_measure_a_dimension_takes_only_its_categories),
        T (test_measure_a_submission_may_follow_its_definition_in_one_batch),
        T (test_measure_an_aborted_batch_leaves_no_projection),
        T (test_measure_commitment_lifecycle_committed_at_risk_done),
        T (test_measure_a_dropped_commitment_cannot_change),
        T (test_measure_update_of_an_unknown_commitment_is_refused),
        T (test_measure_only_the_owner_or_the_backbone_updates_a_commitment),
        T (test_measure_a_commitment_outside_the_readers_networks_is_not_found),
        T (test_measure_an_update_travels_in_its_commitment_network),
        T (test_measure_an_update_may_follow_its_commitment_in_one_batch),
        T (test_measure_a_commitment_id_belongs_to_one_partner),
        T (test_measure_a_taken_commitment_id_tells_an_outsider_nothing),
        T (test_measure_who_may_read_a_network),
        T (test_measure_min_cell_defaults_to_ten),
        T (test_measure_config_sets_min_cell_and_keeps_it),
        T (test_measure_config_refuses_bad_settings),
        T (test_measure_small_cell_and_its_complement_are_suppressed_for_other_readers),
        T (test_measure_small_cells_hidden_together_reach_min_cell),
        T (test_measure_a_group_cell_of_unknown_size_is_hidden),
        T (test_measure_a_cross_tab_with_a_small_cell_is_hidden_whole),
        T (test_measure_suppression_follows_the_min_cell_setting),
        T (test_measure_groups_are_per_submitter_period_and_dimension),
        T (test_measure_the_denominator_stands_for_a_missing_n),
        T (test_measure_store_suppress_removes_the_value_and_its_counts),
        T (test_measure_suppression_on_replay),
        T (test_measure_only_data_is_ever_suppressed),
        T (test_measure_a_version_1_database_is_migrated_with_empty_projections),
    };
#undef T
    return cmocka_run_group_tests (tests, NULL, NULL);
}
