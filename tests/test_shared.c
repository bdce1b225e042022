/*  test_shared.c - shared measurement end to end: the real cibus and
    cibusd binaries against a real broker. The catalogue and its rules,
    corrections, small-cell suppression on every path (live, replay,
    values, report), the commitment lifecycle, and the demo. */

#include "cibus.h"
#include "cibus_limits.h"
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

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

//  Run the real cibus as someone: AS (world, key, &out, &err, command, args...).
#define AS(world, key, out, err, command, ...) \
    harness_cibus (world, out, err, command, "--key", key, __VA_ARGS__, NULL)

static void
s_define_k3 (harness_world_t *world)
{
    char *out, *err;
    int rc = harness_cibus (world, &out, &err, "indicator", "define", "k3-reading", "--key",
                            world->hub, "--name", "3rd-grade reading proficiency", "--unit",
                            "percent", "--direction", "up", "--period", "school-year", "--min",
                            "0", "--max", "100", "--dimension", "race", "--dimension", "income",
                            "--baseline", "2024-25=48", "--target", "2027-28=60", "--network",
                            "early-literacy", NULL);
    if (rc != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    free (out), free (err);
}

static uint64_t
s_last_seq (harness_world_t *world)
{
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    uint64_t last = strtoull (strstr (out, "\"last_seq\":") + 11, NULL, 10);
    free (out), free (err);
    return last;
}

//  ---------------------------------------------------------------- catalogue

static void
test_shared_only_the_backbone_defines_indicators (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k3-reading",
                                     "--key", world->alice, "--name", "x", "--unit", "percent",
                                     "--direction", "up", "--period", "school-year", NULL),
                      1);
    assert_string_equal (err, "cibus indicator: only the backbone defines indicators; 'alice' "
                              "is a partner\n");
    free (out), free (err);

    s_define_k3 (world);
    //  Partners read the catalogue, as the list and as log entries.
    assert_int_equal (AS (world, world->alice, &out, &err, "indicators", "--json"), 0);
    assert_non_null (strstr (out, "\"indicator\":\"k3-reading\""));
    assert_non_null (strstr (out, "\"version\":1"));
    free (out), free (err);
    assert_int_equal (AS (world, world->alice, &out, &err, "tail", "--from", "1", "--count", "1",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"topic\":\"catalog/indicator\",\"partner\":\"hub\""));
    assert_non_null (strstr (out, "\"kind\":\"indicator\""));
    assert_non_null (strstr (out, "\"baseline\":{\"period\":\"2024-25\",\"value\":48}"));
    free (out), free (err);

    //  A redefinition is the next version, in force.
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k3-reading",
                                     "--key", world->hub, "--name", "Grade 3 reading", "--unit",
                                     "percent", "--direction", "up", "--period", "school-year",
                                     "--network", "early-literacy", NULL),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->alice, &out, &err, "indicators", "--json"), 0);
    assert_non_null (strstr (out, "\"name\":\"Grade 3 reading\""));
    assert_non_null (strstr (out, "\"version\":2"));
    assert_null (strstr (out, "3rd-grade reading proficiency"));
    free (out), free (err);
}

//  exit 1: the broker refused it against the catalogue; exit 2: the command
//  line itself was wrong, found before connecting.
typedef struct {
    const char *why;
    const char *args [12];
    const char *message;
    int exit_code;
} s_refusal_t;

static void
test_shared_data_is_checked_against_the_catalogue (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    uint64_t before = s_last_seq (world);
    s_refusal_t refusals [] = {
        {"unknown indicator",
         {"--indicator", "k3-readin", "--period", "2025-26", "--value", "50"},
         "indicator 'k3-readin' is not in the catalogue", 1},
        {"period of another kind",
         {"--indicator", "k3-reading", "--period", "2026-Q3", "--value", "50"},
         "indicator 'k3-reading' expects a school year like 2025-26, got '2026-Q3'", 1},
        {"out of range",
         {"--indicator", "k3-reading", "--period", "2025-26", "--value", "140"},
         "value 140 is outside the range of indicator 'k3-reading' [0, 100]", 1},
        {"numerator over denominator",
         {"--indicator", "k3-reading", "--period", "2025-26", "--numerator", "500",
          "--denominator", "412"},
         "field 'data.numerator' (500) is greater than 'data.denominator' (412) "
         "(see `cibus submit --help`)",
         2},
        {"value against its counts",
         {"--indicator", "k3-reading", "--period", "2025-26", "--value", "60", "--numerator",
          "254", "--denominator", "412"},
         "value 60 disagrees with 254/412 = 61.65 for a percent", 1},
        {"dimension not allowed",
         {"--indicator", "k3-reading", "--period", "2025-26", "--value", "50", "--dim",
          "zip=45202"},
         "dimension 'zip' is not one indicator 'k3-reading' allows (race, income)", 1},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals [0]; i++) {
        const char *const *a = refusals [i].args;
        char *out, *err;
        int rc = harness_cibus (world, &out, &err, "submit", "--key", world->alice, "--network",
                                "early-literacy", a [0], a [1], a [2], a [3], a [4], a [5],
                                a [6], a [7], a [8], a [9], NULL);
        char expect [512];
        snprintf (expect, sizeof expect, "cibus submit: %s\n", refusals [i].message);
        if (strcmp (err, expect) != 0)
            fprintf (stderr, "case '%s'\n", refusals [i].why);
        assert_int_equal (rc, refusals [i].exit_code);
        assert_string_equal (err, expect);
        free (out), free (err);
    }
    //  Bob's network does not use the indicator.
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->bob,
                                     "--network", "postsecondary", "--indicator", "k3-reading",
                                     "--period", "2025-26", "--value", "50", NULL),
                      1);
    assert_string_equal (err, "cibus submit: indicator 'k3-reading' is not used in network "
                              "'postsecondary'\n");
    free (out), free (err);
    assert_int_equal (s_last_seq (world), before);

    //  The value of a percent is derived from its counts.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2025-26", "--numerator", "254",
                                     "--denominator", "412", "--n", "412", "--json", NULL),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->hub, &out, &err, "tail", "--from", "2", "--count", "1",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"value\":61.650485436893"));
    assert_non_null (strstr (out, "\"numerator\":254,\"denominator\":412"));
    free (out), free (err);
}

static void
test_shared_a_correction_keeps_both_and_the_latest_counts (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    char *out, *err;
    const char *values [] = {"50.5", "52.5"};
    const char *statuses [] = {"provisional", "final"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator",
                                         "k3-reading", "--period", "2025-26", "--value",
                                         values [i], "--n", "400", "--status", statuses [i],
                                         NULL),
                          0);
        free (out), free (err);
    }
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"period\":\"2025-26\",\"group\":\"all\",\"partner\":\"alice\","
                                  "\"value\":52.5,\"n\":400,\"status\":\"final\""));
    assert_null (strstr (out, "50.5"));
    assert_null (strstr (out, "history of"));
    free (out), free (err);
    //  The history: both, with who and when, the latest current.
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--history", "--json"),
                      0);
    assert_non_null (strstr (out, "{\"title\":\"history of k3-reading\",\"rows\":["
                                  "{\"period\":\"2025-26\",\"group\":\"all\",\"partner\":"
                                  "\"alice\",\"value\":50.5,\"n\":400,\"status\":"
                                  "\"provisional\",\"received\":\"20"));
    assert_non_null (strstr (out, "\"current\":\"no\"},{\"period\":\"2025-26\",\"group\":"
                                  "\"all\",\"partner\":\"alice\",\"value\":52.5,\"n\":400,"
                                  "\"status\":\"final\",\"received\":\"20"));
    assert_non_null (strstr (out, "\"current\":\"yes\"}]}"));
    free (out), free (err);
    //  Another partner sees the value in force, not the one it replaced: an
    //  old total beside today's groups could give a hidden cell away.
    const char *early [] = {"early-literacy", NULL};
    char carol [PATH_MAX];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early, carol,
                                      sizeof carol));
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading",
                          "--history", "--json"),
                      0);
    assert_non_null (strstr (out, "\"partner\":\"alice\",\"value\":\"*\",\"n\":400,"
                                  "\"status\":\"provisional\""));
    assert_non_null (strstr (out, "\"value\":52.5"));
    assert_null (strstr (out, "50.5"));
    free (out), free (err);
    //  ...and in the log itself.
    assert_int_equal (AS (world, world->hub, &out, &err, "tail", "--from", "2", "--count", "2",
                          "--json"),
                      0);
    assert_int_equal (harness_count (out, "\"partner\":\"alice\""), 2);
    assert_non_null (strstr (out, "\"value\":50.5"));
    assert_non_null (strstr (out, "\"value\":52.5"));
    assert_int_equal (harness_count (out, "\"received_at\":"), 2);
    free (out), free (err);
}

//  ---------------------------------------------------------------- suppression

//  Alice reports a total and three groups; Asian students are 4 (below the
//  minimum cell of 10), so for other partners the Asian cell is hidden and
//  so is the next-smallest, Black (30), which the total would otherwise give
//  away by subtraction.
static void
s_publish_group (harness_world_t *world)
{
    const char *cells [][4] = {{"", "66", "84", "84"},
                               {"race=asian", "3", "4", "4"},
                               {"race=black", "13", "30", "30"},
                               {"race=white", "31", "50", "50"}};
    for (size_t i = 0; i < 4; i++) {
        char *out, *err;
        int rc = *cells [i][0]
                     ? harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                      "--network", "early-literacy", "--indicator", "k3-reading",
                                      "--period", "2025-26", "--numerator", cells [i][1],
                                      "--denominator", cells [i][2], "--n", cells [i][3],
                                      "--dim", cells [i][0], NULL)
                     : harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                      "--network", "early-literacy", "--indicator", "k3-reading",
                                      "--period", "2025-26", "--numerator", cells [i][1],
                                      "--denominator", cells [i][2], "--n", cells [i][3], NULL);
        assert_int_equal (rc, 0);
        free (out), free (err);
    }
}

//  Read count entries from a subscription and note, per race, whether the
//  value came suppressed.
typedef struct {
    int asian, black, white, total; /* 1 shown, 2 suppressed */
} s_cells_t;

static void
s_read_cells (cibus_t *client, size_t count, s_cells_t *cells)
{
    memset (cells, 0, sizeof *cells);
    for (size_t i = 0; i < count; i++) {
        cibus_envelope_t *env;
        assert_int_equal (cibus_next (client, S_TIMEOUT, &env), CIBUS_OK);
        if (env->body_case != CIBUS__ENVELOPE__BODY_DATA) {
            cibus_envelope_free (env);
            i--;
            continue;
        }
        const Cibus__DataSubmission *data = env->data;
        int seen = data->has_suppressed && data->suppressed ? 2 : 1;
        if (seen == 2) {
            assert_false (data->has_value);
            assert_false (data->has_numerator);
            assert_false (data->has_denominator);
        }
        else
            assert_true (data->has_value);
        const char *race = data->n_dimensions ? data->dimensions [0]->value : "total";
        int *slot = strcmp (race, "asian") == 0   ? &cells->asian
                    : strcmp (race, "black") == 0 ? &cells->black
                    : strcmp (race, "white") == 0 ? &cells->white
                                                  : &cells->total;
        *slot = seen;
        cibus_envelope_free (env);
    }
}

static void
test_shared_small_cells_are_suppressed_on_every_path (void **state)
{
    harness_world_t *world = *state;
    const char *early [] = {"early-literacy", NULL};
    char carol [PATH_MAX];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early, carol,
                                      sizeof carol));
    s_define_k3 (world);

    //  Live: carol is following when the values arrive.
    cibus_t *live = harness_client (world, carol, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (live, NULL, 0, 0, 0, NULL), CIBUS_OK);
    s_publish_group (world);
    s_cells_t cells;
    s_read_cells (live, 4, &cells);
    assert_int_equal (cells.asian, 2);
    assert_int_equal (cells.black, 2);
    assert_int_equal (cells.white, 1);
    assert_int_equal (cells.total, 1);
    cibus_destroy (&live);

    //  Replay: the same for carol; everything for the backbone and for the
    //  submitter.
    const char *readers [] = {carol, world->hub, world->alice};
    for (size_t r = 0; r < 3; r++) {
        cibus_t *client = harness_client (world, readers [r], S_TIMEOUT);
        assert_int_equal (cibus_subscribe (client, NULL, 0, 1, 0, NULL), CIBUS_OK);
        s_read_cells (client, 4, &cells);
        assert_int_equal (cells.asian, r == 0 ? 2 : 1);
        assert_int_equal (cells.black, r == 0 ? 2 : 1);
        assert_int_equal (cells.white, 1);
        cibus_destroy (&client);
    }

    //  Values: "*" for carol, numbers for the backbone.
    char *out, *err;
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race", "--json"),
                      0);
    assert_non_null (strstr (out, "\"group\":\"asian\",\"partner\":\"alice\",\"value\":\"*\""));
    assert_non_null (strstr (out, "\"group\":\"black\",\"partner\":\"alice\",\"value\":\"*\""));
    assert_non_null (strstr (out, "\"group\":\"white\",\"partner\":\"alice\",\"value\":62"));
    free (out), free (err);
    //  ...and in the history of submissions.
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race", "--history", "--json"),
                      0);
    assert_int_equal (harness_count (out, "\"group\":\"asian\",\"partner\":\"alice\","
                                          "\"value\":\"*\""),
                      2);
    assert_null (strstr (out, "\"value\":75"));
    free (out), free (err);
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--by", "race", "--json"),
                      0);
    assert_non_null (strstr (out, "\"group\":\"asian\",\"partner\":\"alice\",\"value\":75"));
    assert_null (strstr (out, "\"*\""));
    free (out), free (err);

    //  Report: the gap between groups is computed only from what the reader
    //  may see; for carol one group is left, so there is no gap to show.
    assert_int_equal (AS (world, world->hub, &out, &err, "report", "--period", "2025-26",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"lowest group\":\"black\""));
    free (out), free (err);
    assert_int_equal (AS (world, carol, &out, &err, "report", "--period", "2025-26", "--json"), 0);
    assert_non_null (strstr (out, "{\"title\":\"gaps\",\"rows\":[]}"));
    assert_null (strstr (out, "43.33"));
    free (out), free (err);

    //  The minimum cell is the initiative's setting, and takes effect at once.
    assert_int_equal (harness_cibusd (&out, &err, "config", "set", "--data", world->data,
                                      "min-cell", "3", NULL),
                      0);
    assert_string_equal (out, "min-cell = 3\n");
    free (out), free (err);
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race", "--json"),
                      0);
    assert_null (strstr (out, "\"*\""));
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "config", "set", "--data", world->data,
                                      "min-cell", "0", NULL),
                      2);
    free (out), free (err);
}

//  ---------------------------------------------------------------- commitments

static void
test_shared_commitment_lifecycle (void **state)
{
    harness_world_t *world = *state;
    const char *early [] = {"early-literacy", NULL};
    char carol [PATH_MAX];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early, carol,
                                      sizeof carol));
    char *out, *err;
    assert_int_equal (AS (world, world->alice, &out, &err, "commit", "--network",
                          "early-literacy", "--action", "open 3 leveled libraries", "--due",
                          "2026-12-15", "--id", "libraries"),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->alice, &out, &err, "commit", "--network",
                          "early-literacy", "--action", "reading kits", "--due", "2026-01-15",
                          "--id", "kits"),
                      0);
    free (out), free (err);

    assert_int_equal (AS (world, carol, &out, &err, "update", "--network", "early-literacy",
                          "libraries", "--status", "done"),
                      1);
    assert_string_equal (err, "cibus update: only the owner 'alice' or the backbone may update "
                              "commitment 'libraries'\n");
    free (out), free (err);
    assert_int_equal (AS (world, world->alice, &out, &err, "update", "--network",
                          "early-literacy", "nope", "--status", "done"),
                      1);
    assert_string_equal (err, "cibus update: commitment 'nope' does not exist\n");
    free (out), free (err);

    assert_int_equal (AS (world, world->alice, &out, &err, "update", "--network",
                          "early-literacy", "libraries", "--status", "at-risk", "--comment",
                          "shipping delay"),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->hub, &out, &err, "update", "--network", "early-literacy",
                          "libraries", "--status", "done"),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->alice, &out, &err, "update", "--network",
                          "early-literacy", "libraries", "--status", "on-track"),
                      1);
    assert_string_equal (err, "cibus update: commitment 'libraries' is already done: it cannot "
                              "change\n");
    free (out), free (err);

    assert_int_equal (AS (world, world->hub, &out, &err, "commitments", "--overdue", "--today",
                          "2026-12-31", "--json"),
                      0);
    assert_non_null (strstr (out, "\"id\":\"kits\",\"owner\":\"alice\""));
    assert_null (strstr (out, "\"id\":\"libraries\""));
    free (out), free (err);
    assert_int_equal (AS (world, world->bob, &out, &err, "commitments", "--json"), 0);
    assert_null (strstr (out, "\"id\":\"kits\""));
    free (out), free (err);
}

static void
test_shared_integrators_read_nothing (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (AS (world, world->feed, &out, &err, "report", "--period", "2025-26"), 1);
    assert_string_equal (err, "cibus report: integrator 'feed' reads nothing but its own acks\n");
    free (out), free (err);
}

//  An answer too large for one frame is refused with a way to narrow it.
static void
test_shared_an_answer_over_the_frame_limit_is_refused (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    static char decision [CIBUS_MAX_TEXT];
    memset (decision, 'd', sizeof decision - 1);
    char *decisions [CIBUS_MAX_LIST];
    for (size_t i = 0; i < CIBUS_MAX_LIST; i++)
        decisions [i] = decision;
    //  20 meetings of 64 decisions of 1 KiB: about 1.3 MiB of notes.
    for (int i = 0; i < 20; i++) {
        Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
        note.title = "a long meeting";
        note.held_on = "2026-03-01";
        note.n_decisions = CIBUS_MAX_LIST;
        note.decisions = decisions;
        cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
        env.topic = "early-literacy/note";
        env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
        env.note = &note;
        cibus_ack_t ack;
        assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
    }
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "notes";
    Cibus__Reply *reply = NULL;
    assert_int_equal (cibus_query (alice, &query, &reply), CIBUS_ERR_BAD_FIELD);
    assert_null (reply);
    assert_non_null (strstr (cibus_error (alice), "over the limit of 1048576: narrow it with "
                                                  "the fields network, since, owner or "
                                                  "indicator"));
    //  Narrowed, it is answered.
    query.since = "2026-04-01";
    assert_int_equal (cibus_query (alice, &query, &reply), CIBUS_OK);
    assert_int_equal (reply->result->n_tables, 1);
    assert_int_equal (reply->result->tables [0]->n_rows, 0);
    cibus_reply_free (reply);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- demo

static void
test_shared_demo_tells_the_whole_story (void **state)
{
    (void) state;
    char cibus [PATH_MAX], script [PATH_MAX + 32], dir [PATH_MAX];
    harness_bin ("cibus", cibus, sizeof cibus);
    snprintf (dir, sizeof dir, "%s", cibus);
    *strrchr (dir, '/') = 0;
    snprintf (script, sizeof script, "%s/../../tests/demo.sh", dir);
    const char *argv [] = {"/bin/bash", script, dir, NULL};
    char *out, *err;
    int rc = harness_run (argv, NULL, NULL, &out, &err);
    if (rc != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "submissions for 2026-Q2"));
    assert_non_null (strstr (out, "commitments needing attention"));
    assert_non_null (strstr (out, "proof point"));
    assert_non_null (strstr (out, "  asian     state-feed  *"));
    assert_non_null (strstr (out, "committed  yes"));
    free (out), free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_shared_only_the_backbone_defines_indicators,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_data_is_checked_against_the_catalogue,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_a_correction_keeps_both_and_the_latest_counts,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_small_cells_are_suppressed_on_every_path,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_commitment_lifecycle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_integrators_read_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_an_answer_over_the_frame_limit_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test (test_shared_demo_tells_the_whole_story),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("shared", tests, NULL, NULL);
}
