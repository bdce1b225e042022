/*  test_tables.c - the seven routes by which a partner recovered a hidden
    cell before data was released as tables, each end to end: the real
    cibus and cibusd binaries against a real broker, with the numbers of
    the attempt (min-cell 10; a district's k3 result, total 168/410, black
    52/160, hispanic 38/104, white 75/140, asian 3/6).

    The district is "alice" (network early-literacy); "carol" is another
    partner of the network, the reader who must not learn the small cell;
    "state" is an integrator registered to feed alice. Every route checks
    what carol received - live and on replay - and then runs the real
    `cibusd audit --as carol`, which must find no cell she can work out. */

#include "cibus_limits.h"
#include "cibus_wire.h"
#include "codec.h"
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define S_TIMEOUT 10000

typedef struct {
    harness_world_t world;
    char carol [4096], state [PATH_MAX + 16]; /* secret cert files */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    if (!self || !harness_world_up (&self->world))
        goto fail;
    const char *early [] = {"early-literacy", NULL};
    if (!harness_add_partner (self->world.data, self->world.dir, "carol", "partner", early,
                              self->carol, sizeof self->carol))
        goto fail;
    //  The integrator, registered to feed alice.
    const char *fed [] = {"alice", NULL};
    if (!harness_add_integrator (self->world.data, self->world.dir, "state", early, fed,
                                 self->state, sizeof self->state))
        goto fail;
    char *out = NULL, *err = NULL;
    //  k3: a percent by race and by income, with the categories of each,
    //  and by ethnicity, whose categories the catalogue does not list (a
    //  table's own: one that uses hispanic under race and ethnicity both
    //  counts its people twice).
    int rc = harness_cibus (&self->world, &out, &err, "indicator", "define", "k3", "--key",
                            self->world.hub, "--name", "3rd-grade reading", "--unit", "percent",
                            "--direction", "up", "--period", "quarter", "--dimension",
                            "race=asian,black,hispanic,white,native,pacific", "--dimension",
                            "income=low,high", "--dimension", "ethnicity",
                            "--network", "early-literacy", NULL);
    if (rc != 0)
        fprintf (stderr, "test: define: %s", err);
    free (out), free (err);
    if (rc != 0)
        goto fail;
    *state = self;
    return 0;
fail:
    if (self)
        harness_world_down (&self->world);
    free (self);
    return -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    harness_world_down (&self->world);
    free (self);
    return 0;
}

//  Submit a table as someone: cibus submit --key KEY --network early-literacy
//  --indicator k3 --period 2026-Q3 ARGS...; returns the exit code and
//  leaves stderr in *err (freed by the caller when not NULL).
#define SUBMIT(self, key, err, ...)                                                           \
    harness_cibus (&(self)->world, NULL, err, "submit", "--key", key, "--network",            \
                   "early-literacy", "--indicator", "k3", "--period", "2026-Q3", __VA_ARGS__, \
                   NULL)

//  The k3 table of the attempt, whole.
#define S_TABLE                                                                        \
    "--total", "168/410", "--cell", "race=black:52/160", "--cell", "race=hispanic:38/104", \
        "--cell", "race=white:75/140", "--cell", "race=asian:3/6"

//  A reader's connection, subscribed to the network's data from seq from.
static cibus_t *
s_reader (s_fixture_t *self, const char *secret, uint64_t from)
{
    cibus_t *client = harness_client (&self->world, secret, S_TIMEOUT);
    assert_non_null (client);
    const char *prefix [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (client, prefix, 1, from, 0, NULL), CIBUS_OK);
    return client;
}

//  The next entry a reader receives, with its bytes as encoded.
static cibus_envelope_t *
s_next (cibus_t *client, codec_buf_t *bytes)
{
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (client, S_TIMEOUT, &env), CIBUS_OK);
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_DATA);
    if (bytes)
        assert_int_equal (codec_pack_envelope (env, bytes), CIBUS_OK);
    return env;
}

//  The cell of a table with these categories ("race=asian"; "" the total).
static const Cibus__DataCell *
s_cell (const Cibus__DataSubmission *data, const char *name)
{
    if (!*name)
        return data->total;
    for (size_t i = 0; i < data->n_cells; i++) {
        char text [256] = "";
        size_t used = 0;
        const Cibus__DataCell *cell = data->cells [i];
        for (size_t d = 0; d < cell->n_dimensions; d++)
            used += (size_t)snprintf (text + used, sizeof text - used, "%s%s=%s", d ? "," : "",
                                      cell->dimensions [d]->key, cell->dimensions [d]->value);
        if (strcmp (text, name) == 0)
            return cell;
    }
    return NULL;
}

static bool
s_hidden (const Cibus__DataCell *cell)
{
    return cell && !cell->has_numerator && !cell->has_value
           && (cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_SMALL
               || cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT
               || cell->disclosure == CIBUS__DISCLOSURE__CODED);
}

//  How many of a table's cells (total included) the reader got no value of.
static size_t
s_hidden_count (const Cibus__DataSubmission *data)
{
    size_t count = s_hidden (data->total);
    for (size_t i = 0; i < data->n_cells; i++)
        count += s_hidden (data->cells [i]);
    return count;
}

//  The real audit, as carol: exit 0, nothing exposed.
static void
s_audit_clean (s_fixture_t *self, const char *as)
{
    char *out = NULL, *err = NULL;
    int rc = harness_cibusd (&out, &err, "audit", "--data", self->world.data, "--as", as, NULL);
    if (rc != 0)
        fprintf (stderr, "audit: %s%s", out ? out : "", err ? err : "");
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "0 exposed"));
    free (out), free (err);
}

//  1. Order of arrival. The whole table is one entry: a reader subscribed
//  live gets the same bytes as one replaying afterwards, the small cell
//  and its complement hidden in both. And rows sent one submit at a time
//  are versions of one table: no version lets the last row out.
static void
test_tables_route_1_live_and_replay_are_the_same_bytes (void **state)
{
    s_fixture_t *self = *state;
    cibus_t *live = s_reader (self, self->carol, 0);
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, S_TABLE), 0);
    free (err);
    codec_buf_t live_bytes = {0}, replay_bytes = {0};
    cibus_envelope_t *got = s_next (live, &live_bytes);
    cibus_t *replay = s_reader (self, self->carol, 1);
    cibus_envelope_t *again = NULL;
    //  The catalogue's entry is not data; the first data entry is the table.
    again = s_next (replay, &replay_bytes);
    assert_int_equal (live_bytes.size, replay_bytes.size);
    assert_memory_equal (live_bytes.data, replay_bytes.data, live_bytes.size);
    const Cibus__DataSubmission *data = got->data;
    assert_true (data->masked);
    assert_string_equal (data->owner, "alice");
    assert_true (s_hidden (s_cell (data, "race=asian")));
    //  With asian hidden alone, 168 - 52 - 38 - 75 = 3 gives it away.
    assert_true (s_hidden_count (data) >= 2);
    cibus_envelope_free (got);
    cibus_envelope_free (again);
    codec_buf_release (&live_bytes);
    codec_buf_release (&replay_bytes);
    cibus_destroy (&live);
    cibus_destroy (&replay);
    s_audit_clean (self, "carol");
}

static void
test_tables_route_1_rows_one_at_a_time (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160"),
                      0);
    free (err);
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/104"),
                      0);
    free (err);
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/104", "--cell",
                              "race=white:75/140"),
                      0);
    free (err);
    assert_int_equal (SUBMIT (self, self->world.alice, &err, S_TABLE), 0);
    free (err);
    //  Live, every version as it came: the last two leave asian's 3 of 6
    //  to the remainder, which must not follow from what was shown.
    cibus_t *carol = s_reader (self, self->carol, 1);
    for (int version = 1; version <= 4; version++) {
        cibus_envelope_t *env = s_next (carol, NULL);
        assert_int_equal (env->data->version, version);
        cibus_envelope_free (env);
    }
    cibus_destroy (&carol);
    s_audit_clean (self, "carol");
}

//  2. A cell never sent: asian is '*' in the state file and left out; the
//  remainder of 6 pupils is a small cell of its own.
static void
test_tables_route_2_the_remainder_counts (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/104", "--cell",
                              "race=white:75/140"),
                      0);
    free (err);
    cibus_t *carol = s_reader (self, self->carol, 1);
    cibus_envelope_t *env = s_next (carol, NULL);
    //  410 - 160 - 104 - 140 = 6: one of the sent cells must be hidden.
    assert_true (s_hidden_count (env->data) >= 1);
    cibus_envelope_free (env);
    cibus_destroy (&carol);
    s_audit_clean (self, "carol");
    //  A cell marked '*' at source is hidden whatever its size.
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--period", "2026-Q4", "--total",
                              "168/410", "--cell", "race=black:52/160", "--cell",
                              "race=hispanic:38/104", "--cell", "race=white:75/140", "--cell",
                              "race=asian:*/6"),
                      0);
    free (err);
    s_audit_clean (self, "carol");
}

//  3. Corrections cannot undo a decision: correcting asian 3/6 -> 4/7 and
//  the total 168/410 -> 169/411 must not tell that the late pupil passed.
static void
test_tables_route_3_corrections (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, S_TABLE), 0);
    free (err);
    cibus_t *carol = s_reader (self, self->carol, 0);
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "169/411", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/104", "--cell",
                              "race=white:75/140", "--cell", "race=asian:4/7"),
                      0);
    free (err);
    cibus_envelope_t *v2 = s_next (carol, NULL);
    assert_int_equal (v2->data->version, 2);
    assert_true (s_hidden (s_cell (v2->data, "race=asian")));
    //  Two shown totals one pupil apart would give the pupil away.
    assert_false (v2->data->total->has_numerator && v2->data->total->numerator == 169);
    cibus_envelope_free (v2);
    cibus_destroy (&carol);
    //  On replay the first version is a marker without values.
    carol = s_reader (self, self->carol, 1);
    cibus_envelope_t *v1 = s_next (carol, NULL);
    assert_true (v1->data->superseded);
    assert_null (v1->data->total);
    assert_int_equal (v1->data->n_cells, 0);
    cibus_envelope_free (v1);
    cibus_destroy (&carol);
    s_audit_clean (self, "carol");
    //  The owner still sees both versions whole.
    cibus_t *alice = s_reader (self, self->world.alice, 1);
    v1 = s_next (alice, NULL);
    assert_false (v1->data->masked);
    assert_int_equal (s_cell (v1->data, "race=asian")->numerator, 3);
    cibus_envelope_free (v1);
    cibus_destroy (&alice);
}

//  4. Cross-tabs and overlapping dimensions: hispanic x income cells that
//  add up to a hidden hispanic cell, and ethnicity=hispanic beside race.
static void
test_tables_route_4_crosses_and_overlaps (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/104", "--cell",
                              "race=white:75/140", "--cell", "race=asian:3/6", "--cell",
                              "race=hispanic,income=low:20/70", "--cell",
                              "race=hispanic,income=high:18/34"),
                      0);
    free (err);
    s_audit_clean (self, "carol");
    //  Two dimensions listing the same category count its people twice.
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--period", "2026-Q4", "--total",
                              "168/410", "--cell", "race=hispanic:38/104", "--cell",
                              "ethnicity=hispanic:38/104"),
                      1);
    assert_non_null (strstr (err, "hispanic"));
    free (err);
}

//  5. Extremes: two hidden cells of 6 and 5 pupils with no one passing,
//  the shown cells accounting for every pass.
static void
test_tables_route_5_extremes (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "165/411", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:38/100", "--cell",
                              "race=white:75/140", "--cell", "race=asian:0/6", "--cell",
                              "race=native:0/5"),
                      0);
    free (err);
    cibus_t *carol = s_reader (self, self->carol, 1);
    cibus_envelope_t *env = s_next (carol, NULL);
    assert_true (s_hidden (s_cell (env->data, "race=asian")));
    assert_true (s_hidden (s_cell (env->data, "race=native")));
    assert_true (s_hidden_count (env->data) >= 3);
    cibus_envelope_free (env);
    cibus_destroy (&carol);
    s_audit_clean (self, "carol");
}

//  6. n against the denominator: 1/4 claiming n 38 is refused, naming the
//  cell, not shown as a cell of 38.
static void
test_tables_route_6_n_disagreeing_with_the_denominator_is_refused (void **state)
{
    s_fixture_t *self = *state;
    cibus_t *alice = harness_client (&self->world, self->world.alice, S_TIMEOUT);
    Cibus__Dimension race = CIBUS__DIMENSION__INIT, *races [] = {&race};
    race.key = "race";
    race.value = "asian";
    Cibus__DataCell total = CIBUS__DATA_CELL__INIT, asian = CIBUS__DATA_CELL__INIT;
    Cibus__DataCell *cells [] = {&asian};
    total.has_numerator = total.has_denominator = true;
    total.numerator = 168;
    total.denominator = 410;
    asian.n_dimensions = 1;
    asian.dimensions = races;
    asian.has_numerator = asian.has_denominator = asian.has_n = true;
    asian.numerator = 1;
    asian.denominator = 4;
    asian.n = 38;
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3";
    data.period = "2026-Q3";
    data.total = &total;
    data.n_cells = 1;
    data.cells = cells;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = "early-literacy/data";
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_non_null (strstr (cibus_error (alice), "race=asian"));
    assert_non_null (strstr (cibus_error (alice), "38"));
    //  No wire message names a command-line option.
    assert_null (strstr (cibus_error (alice), "--"));
    cibus_destroy (&alice);
}

//  7. Two submitters of the same pupils: the state feed's table for alice
//  is the next version of alice's own, never a second table beside it.
//  And the other way round: alice sees what her integrator loaded whole.
static void
test_tables_route_7_two_submitters_are_one_table (void **state)
{
    s_fixture_t *self = *state;
    char *err = NULL;
    assert_int_equal (SUBMIT (self, self->world.alice, &err, "--total", "168/410", "--cell",
                              "race=black:52/160", "--cell", "race=hispanic:*", "--cell",
                              "race=white:75/140", "--cell", "race=asian:3/6"),
                      0);
    free (err);
    assert_int_equal (SUBMIT (self, self->state, &err, "--for", "alice", S_TABLE), 0);
    free (err);
    cibus_t *carol = s_reader (self, self->carol, 1);
    cibus_envelope_t *v1 = s_next (carol, NULL), *v2 = s_next (carol, NULL);
    //  Replayed, the district's version is a marker: one table, its version 2.
    assert_true (v1->data->superseded);
    assert_int_equal (v2->data->version, 2);
    assert_string_equal (v2->data->owner, "alice");
    assert_string_equal (v2->partner, "state");
    assert_true (s_hidden (s_cell (v2->data, "race=hispanic")));
    assert_true (s_hidden (s_cell (v2->data, "race=asian")));
    cibus_envelope_free (v1);
    cibus_envelope_free (v2);
    cibus_destroy (&carol);
    s_audit_clean (self, "carol");
    //  alice owns what the state feed loaded for her: whole.
    cibus_t *alice = s_reader (self, self->world.alice, 1);
    v1 = s_next (alice, NULL);
    assert_false (v1->data->masked);
    assert_true (s_cell (v1->data, "race=hispanic")->suppressed);
    cibus_envelope_free (v1);
    v2 = s_next (alice, NULL);
    assert_false (v2->data->masked);
    assert_int_equal (s_cell (v2->data, "race=asian")->numerator, 3);
    assert_int_equal (s_cell (v2->data, "race=hispanic")->numerator, 38);
    cibus_envelope_free (v2);
    cibus_destroy (&alice);
    //  An integrator names the partner; one it does not feed is refused.
    assert_int_equal (SUBMIT (self, self->state, &err, "--for", "carol", S_TABLE), 1);
    assert_non_null (strstr (err, "carol"));
    free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        T (test_tables_route_1_live_and_replay_are_the_same_bytes),
        T (test_tables_route_1_rows_one_at_a_time),
        T (test_tables_route_2_the_remainder_counts),
        T (test_tables_route_3_corrections),
        T (test_tables_route_4_crosses_and_overlaps),
        T (test_tables_route_5_extremes),
        T (test_tables_route_6_n_disagreeing_with_the_denominator_is_refused),
        T (test_tables_route_7_two_submitters_are_one_table),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
