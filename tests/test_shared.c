/*  test_shared.c - shared measurement end to end: the real cibus and
    cibusd binaries against a real broker. The catalogue and its rules,
    data tables and their corrections, suppression decided once per table
    and served on every path (live, replay, values, report), the
    commitment lifecycle, and the demo. */

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
    char *out, *err;
    //  A score, for the range of a value and the unit's counts.
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k3-score",
                                     "--key", world->hub, "--name", "3rd-grade reading score",
                                     "--unit", "score", "--direction", "up", "--period",
                                     "school-year", "--min", "0", "--max", "500", "--network",
                                     "early-literacy", NULL),
                      0);
    free (out), free (err);
    uint64_t before = s_last_seq (world);
    s_refusal_t refusals [] = {
        {"unknown indicator",
         {"--indicator", "k3-readin", "--period", "2025-26", "--total", "50/100"},
         "indicator 'k3-readin' is not in the catalogue", 1},
        {"period of another kind",
         {"--indicator", "k3-reading", "--period", "2026-Q3", "--total", "50/100"},
         "indicator 'k3-reading' expects a school year like 2025-26, got '2026-Q3'", 1},
        {"out of range",
         {"--indicator", "k3-score", "--period", "2025-26", "--total", "640@30"},
         "the total: value 640 is outside the range of indicator 'k3-score' [0, 500]", 1},
        {"a score as a ratio",
         {"--indicator", "k3-score", "--period", "2025-26", "--total", "250/400"},
         "the total: a count or amount carries a value and n, not a numerator or denominator",
         1},
        {"numerator over denominator",
         {"--indicator", "k3-reading", "--period", "2025-26", "--total", "500/412"},
         "the total: 500/412 has a numerator above its denominator", 1},
        {"cells over their total",
         {"--indicator", "k3-reading", "--period", "2025-26", "--total", "254/412", "--cell",
          "race=black:100/300", "--cell", "race=white:100/120"},
         "cell race=white: the cells of race add up to 420 people, more than the 412 of the "
         "total",
         1},
        {"dimension not allowed",
         {"--indicator", "k3-reading", "--period", "2025-26", "--total", "254/412", "--cell",
          "zip=45202:10/20"},
         "cell zip=45202: 'zip' is not a dimension of k3-reading", 1},
        {"a cell without a value",
         {"--indicator", "k3-reading", "--period", "2025-26", "--total", "254/412", "--cell",
          "race=black"},
         "--cell 'race=black' needs a value after ':' like 52/160, 310.5@12, * or */4 (see "
         "`cibus submit --help`)",
         2},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals [0]; i++) {
        const char *const *a = refusals [i].args;
        int rc = harness_cibus (world, &out, &err, "submit", "--key", world->alice, "--network",
                                "early-literacy", a [0], a [1], a [2], a [3], a [4], a [5],
                                a [6], a [7], a [8], a [9], a [10], a [11], NULL);
        char expect [512];
        snprintf (expect, sizeof expect, "cibus submit: %s\n", refusals [i].message);
        if (rc != refusals [i].exit_code || strcmp (err, expect) != 0)
            fprintf (stderr, "case '%s': %s", refusals [i].why, err);
        assert_int_equal (rc, refusals [i].exit_code);
        assert_string_equal (err, expect);
        free (out), free (err);
    }
    //  Bob's network does not use the indicator.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->bob,
                                     "--network", "postsecondary", "--indicator", "k3-reading",
                                     "--period", "2025-26", "--total", "50/100", NULL),
                      1);
    assert_string_equal (err, "cibus submit: indicator 'k3-reading' is not used in network "
                              "'postsecondary'\n");
    free (out), free (err);
    //  An n beside a denominator must be the same people (through the
    //  library: the command line has one size per cell).
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    Cibus__DataCell total = CIBUS__DATA_CELL__INIT;
    total.has_numerator = total.has_denominator = total.has_n = true;
    total.numerator = 1;
    total.denominator = 4;
    total.n = 38;
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2025-26";
    data.total = &total;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = "early-literacy/data";
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice), "the total: n 38 disagrees with its denominator 4");
    assert_string_equal (cibus_error_field (alice), "data.total");
    cibus_destroy (&alice);
    assert_int_equal (s_last_seq (world), before);

    //  The value of a percent is derived from its counts.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2025-26", "--total", "254/412", "--json",
                                     NULL),
                      0);
    free (out), free (err);
    assert_int_equal (AS (world, world->hub, &out, &err, "tail", "--from", "3", "--count", "1",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"total\":{\"numerator\":254,\"denominator\":412,"
                                  "\"value\":61.650485436893"));
    free (out), free (err);
}

static void
test_shared_a_correction_keeps_both_and_the_latest_counts (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    char *out, *err;
    const char *totals [] = {"202/400", "210/400"};
    const char *statuses [] = {"provisional", "final"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator",
                                         "k3-reading", "--period", "2025-26", "--total",
                                         totals [i], "--status", statuses [i], NULL),
                          0);
        free (out), free (err);
    }
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--by", "unit", "--json"),
                      0);
    assert_non_null (strstr (out, "\"period\":\"2025-26\",\"group\":\"all\",\"partner\":\"alice\","
                                  "\"value\":52.5,\"n\":400,\"status\":\"final\""));
    assert_null (strstr (out, "50.5"));
    assert_null (strstr (out, "history of"));
    free (out), free (err);
    //  The history: both versions, with who sent each and when, the
    //  latest current.
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--history", "--json"),
                      0);
    assert_non_null (strstr (out, "{\"title\":\"history of k3-reading\",\"rows\":["
                                  "{\"period\":\"2025-26\",\"group\":\"all\",\"partner\":"
                                  "\"alice\",\"value\":50.5,\"n\":400,\"status\":"
                                  "\"provisional\",\"version\":1,\"sent by\":\"alice\","
                                  "\"received\":\"20"));
    assert_non_null (strstr (out, "\"current\":\"no\"},{\"period\":\"2025-26\",\"group\":"
                                  "\"all\",\"partner\":\"alice\",\"value\":52.5,\"n\":400,"
                                  "\"status\":\"final\",\"version\":2,\"sent by\":\"alice\","
                                  "\"received\":\"20"));
    assert_non_null (strstr (out, "\"current\":\"yes\"}]}"));
    free (out), free (err);
    //  Another partner sees the version in force, not the one it replaced:
    //  an old total beside today's groups could give a hidden cell away.
    const char *early [] = {"early-literacy", NULL};
    char carol [PATH_MAX];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early, carol,
                                      sizeof carol));
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading",
                          "--history", "--json"),
                      0);
    assert_non_null (strstr (out, "\"partner\":\"alice\",\"value\":{\"suppressed\":true},"
                                  "\"n\":{\"suppressed\":true},"
                                  "\"status\":\"provisional\",\"version\":1"));
    assert_non_null (strstr (out, "\"value\":52.5"));
    assert_null (strstr (out, "50.5"));
    free (out), free (err);
    //  ...and in the log: the backbone gets both versions whole, carol the
    //  first as a marker without values.
    assert_int_equal (AS (world, world->hub, &out, &err, "tail", "--from", "2", "--count", "2",
                          "--json"),
                      0);
    assert_int_equal (harness_count (out, "\"partner\":\"alice\""), 2);
    assert_non_null (strstr (out, "\"value\":50.5"));
    assert_non_null (strstr (out, "\"value\":52.5"));
    assert_int_equal (harness_count (out, "\"received_at\":"), 2);
    free (out), free (err);
    assert_int_equal (AS (world, carol, &out, &err, "tail", "--from", "2", "--count", "2",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"version\":1,\"masked\":true,\"superseded\":true,"
                                  "\"cells\":[]"));
    assert_non_null (strstr (out, "\"version\":2,\"masked\":true,\"superseded\":false"));
    assert_null (strstr (out, "50.5"));
    assert_non_null (strstr (out, "\"value\":52.5"));
    free (out), free (err);
    assert_int_equal (AS (world, carol, &out, &err, "tail", "--from", "2", "--count", "1"), 0);
    assert_non_null (strstr (out, " alice early-literacy/data k3-reading 2025-26 version 1 "
                                  "[provisional] (superseded by a later version)\n"));
    free (out), free (err);
}

//  A feed written in C puts a table together with the library, in the same
//  text forms as the command line, and publishes it as any entry.
static void
test_shared_a_table_built_with_the_library (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    cibus_table_t *table = cibus_table_new ();
    assert_non_null (table);
    assert_int_equal (cibus_table_load_json (table, "{\"indicator\": \"k3-reading\", "
                                                    "\"period\": \"2025-26\", "
                                                    "\"total\": \"168/410\", \"cells\": "
                                                    "{\"race=black\": \"52/160\", "
                                                    "\"race=asian\": \"*\"}}"),
                      CIBUS_OK);
    //  Added one by one: a cell read from JSON is replaced, one added is
    //  refused the second time, and a value that does not read is quoted.
    assert_int_equal (cibus_table_add_cell (table, "race=asian", "*/6"), CIBUS_OK);
    assert_int_equal (cibus_table_add_cell (table, "race=white", "75/140"), CIBUS_OK);
    assert_int_equal (cibus_table_add_cell (table, "race=white", "75/140"), CIBUS_ERR_USAGE);
    assert_string_equal (cibus_table_error (table), "cell 'race=white' is given twice");
    assert_int_equal (cibus_table_add_cell (table, "race=hispanic", "38 of 104"),
                      CIBUS_ERR_USAGE);
    assert_string_equal (cibus_table_error (table),
                         "'38 of 104' is not a value like 52/160, 310.5@12, * or */4");
    assert_int_equal (cibus_table_add_cell (table, "race=hispanic", "38/104"), CIBUS_OK);
    assert_int_equal (cibus_table_set (table, "status", "sometimes"), CIBUS_ERR_USAGE);
    assert_int_equal (cibus_table_set (table, "status", "provisional"), CIBUS_OK);
    assert_int_equal (cibus_table_set (table, "network", "x"), CIBUS_ERR_USAGE);
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = "early-literacy/data";
    assert_int_equal (cibus_table_envelope (table, &env), CIBUS_OK);
    assert_int_equal (env.data->n_cells, 4);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    cibus_destroy (&alice);
    cibus_table_destroy (&table);
    assert_null (table);

    char *out, *err;
    assert_int_equal (AS (world, world->alice, &out, &err, "tail", "--from", "2", "--count", "1",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"cells\":[{\"dimensions\":{\"race\":\"black\"},"
                                  "\"numerator\":52,\"denominator\":160,\"value\":32.5},"
                                  "{\"dimensions\":{\"race\":\"asian\"},\"denominator\":6,"
                                  "\"suppressed\":true},{\"dimensions\":{\"race\":\"white\"},"
                                  "\"numerator\":75,"));
    assert_non_null (strstr (out, "\"status\":\"provisional\""));
    free (out), free (err);
}

//  ---------------------------------------------------------------- suppression

//  Alice reports a district's result as one table: the total and four
//  groups. Asian students are 6, below the minimum cell of 10, so readers
//  other than alice and the backbone get the asian cell hidden, and at
//  least one more (its complement), without which the total would give
//  it away by subtraction.
static void
s_publish_table (harness_world_t *world, const char *period)
{
    char *out, *err;
    int rc = harness_cibus (world, &out, &err, "submit", "--key", world->alice, "--network",
                            "early-literacy", "--indicator", "k3-reading", "--period", period,
                            "--total", "168/410", "--cell", "race=black:52/160", "--cell",
                            "race=hispanic:38/104", "--cell", "race=white:75/140", "--cell",
                            "race=asian:3/6", NULL);
    if (rc != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    free (out), free (err);
}

#define S_RACES 4
static const char *const s_races [S_RACES] = {"asian", "black", "hispanic", "white"};

//  How one reader got the table: per race 1 shown with its counts, 2
//  hidden; the total likewise; and the entry's bytes.
typedef struct {
    int total;
    int race [S_RACES];
    int hidden;          /* cells hidden */
    bool masked;
    codec_buf_t bytes;
} s_cells_t;

//  Read entries until the next data table and note how its cells came.
static void
s_read_table (cibus_t *client, s_cells_t *cells)
{
    codec_buf_release (&cells->bytes);
    memset (cells, 0, sizeof *cells);
    cibus_envelope_t *env = NULL;
    while (!env) {
        assert_int_equal (cibus_next (client, S_TIMEOUT, &env), CIBUS_OK);
        if (env->body_case != CIBUS__ENVELOPE__BODY_DATA) {
            cibus_envelope_free (env);
            env = NULL;
        }
    }
    const Cibus__DataSubmission *data = env->data;
    cells->masked = data->has_masked && data->masked;
    assert_non_null (data->total);
    for (size_t i = 0; i <= data->n_cells; i++) {
        const Cibus__DataCell *cell = i == 0 ? data->total : data->cells [i - 1];
        bool hidden = cell->has_suppressed && cell->suppressed;
        if (hidden) {
            assert_false (cell->has_value);
            assert_false (cell->has_numerator);
            assert_true (cell->has_disclosure);
            assert_true (cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_SMALL
                         || cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT);
            cells->hidden++;
        }
        else {
            assert_true (cell->has_value);
            assert_true (cell->has_numerator);
        }
        int *slot = &cells->total;
        for (size_t r = 0; i > 0 && r < S_RACES; r++)
            if (strcmp (cell->dimensions [0]->value, s_races [r]) == 0)
                slot = &cells->race [r];
        *slot = hidden ? 2 : 1;
    }
    assert_int_equal (codec_pack_envelope (env, &cells->bytes), CIBUS_OK);
    cibus_envelope_free (env);
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

    //  Live: carol is following when the table arrives.
    cibus_t *live = harness_client (world, carol, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (live, NULL, 0, 0, 0, NULL), CIBUS_OK);
    s_publish_table (world, "2025-26");
    s_cells_t seen = {0}, replay = {0};
    s_read_table (live, &seen);
    cibus_destroy (&live);
    assert_true (seen.masked);
    assert_int_equal (seen.race [0], 2);     //  asian: 6 people
    assert_true (seen.hidden >= 2);          //  and its complement
    assert_int_equal (seen.total, 1);

    //  Replay: the same bytes for carol; everything for the backbone and
    //  for the owner.
    const char *readers [] = {carol, world->hub, world->alice};
    for (size_t r = 0; r < 3; r++) {
        cibus_t *client = harness_client (world, readers [r], S_TIMEOUT);
        assert_int_equal (cibus_subscribe (client, NULL, 0, 1, 0, NULL), CIBUS_OK);
        s_read_table (client, &replay);
        if (r == 0) {
            assert_int_equal (replay.bytes.size, seen.bytes.size);
            assert_memory_equal (replay.bytes.data, seen.bytes.data, seen.bytes.size);
        }
        else {
            assert_false (replay.masked);
            assert_int_equal (replay.hidden, 0);
        }
        cibus_destroy (&client);
    }
    codec_buf_release (&replay.bytes);

    //  Values: suppressed for carol, numbers for the backbone.
    char *out, *err, needle [128];
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race,unit", "--json"),
                      0);
    for (size_t r = 0; r < S_RACES; r++) {
        snprintf (needle, sizeof needle, "\"group\":\"%s\",\"partner\":\"alice\",\"value\":%s",
                  s_races [r], seen.race [r] == 2 ? "{\"suppressed\":true}" : "");
        assert_non_null (strstr (out, needle));
    }
    assert_int_equal (harness_count (out, "\"value\":{\"suppressed\":true}"), (size_t) seen.hidden);
    assert_null (strstr (out, "\"value\":50,"));
    free (out), free (err);
    //  ...and in the history of submissions.
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race,unit", "--history", "--json"),
                      0);
    assert_int_equal (harness_count (out, "\"group\":\"asian\",\"partner\":\"alice\","
                                          "\"value\":{\"suppressed\":true}"),
                      2);
    assert_null (strstr (out, "\"value\":50,"));
    free (out), free (err);
    assert_int_equal (AS (world, world->hub, &out, &err, "values", "--indicator", "k3-reading",
                          "--by", "race,unit", "--json"),
                      0);
    assert_non_null (strstr (out, "\"group\":\"asian\",\"partner\":\"alice\",\"value\":50,"));
    assert_null (strstr (out, "\"*\""));
    assert_null (strstr (out, "suppressed"));
    free (out), free (err);

    //  Report: the gap between groups is computed only from what the reader
    //  may see.
    assert_int_equal (AS (world, world->hub, &out, &err, "report", "--period", "2025-26",
                          "--json"),
                      0);
    assert_non_null (strstr (out, "\"lowest group\":\"black\""));
    free (out), free (err);
    assert_int_equal (AS (world, carol, &out, &err, "report", "--period", "2025-26", "--json"), 0);
    for (size_t r = 0; r < S_RACES; r++)
        if (seen.race [r] == 2) {
            snprintf (needle, sizeof needle, "group\":\"%s\"", s_races [r]);
            assert_null (strstr (out, needle));
        }
    assert_null (strstr (out, "\"highest value\":50,"));
    free (out), free (err);

    //  The minimum cell is the initiative's setting: it takes effect at
    //  once for the tables published after it, and what was decided for
    //  the earlier ones stays decided.
    assert_int_equal (harness_cibusd (&out, &err, "config", "set", "--data", world->data,
                                      "min-cell", "3", NULL),
                      0);
    assert_string_equal (out, "min-cell = 3\n");
    free (out), free (err);
    s_publish_table (world, "2026-27");
    assert_int_equal (AS (world, carol, &out, &err, "values", "--indicator", "k3-reading", "--by",
                          "race,unit", "--json"),
                      0);
    assert_non_null (strstr (out, "\"period\":\"2026-27\",\"group\":\"asian\",\"partner\":"
                                  "\"alice\",\"value\":50,"));
    assert_int_equal (harness_count (out, "\"value\":{\"suppressed\":true}"), (size_t) seen.hidden);
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "config", "set", "--data", world->data,
                                      "min-cell", "0", NULL),
                      2);
    free (out), free (err);
    //  The other settings: coding, and the audit's protection levels.
    assert_int_equal (harness_cibusd (&out, &err, "config", "set", "--data", world->data,
                                      "coding", "0", NULL),
                      0);
    assert_string_equal (out, "coding = 0\n");
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "config", "get", "--data", world->data,
                                      "protection", NULL),
                      0);
    assert_string_equal (out, "50\n");
    free (out), free (err);
    codec_buf_release (&seen.bytes);
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
    assert_non_null (strstr (out, " eastside-sd early-literacy/data k3-benchmark 2025-Q3 "
                                  "version 1, sent by state-feed\n"));
    assert_non_null (strstr (out, "  race=asian     *\n"));
    //  (the partner column is as wide as westside-sd's schools' names)
    assert_non_null (strstr (out, "  asian     eastside-sd           *"));
    assert_null (strstr (out, "  race=asian     3/6"));
    assert_non_null (strstr (out, "committed  yes"));
    //  Westside's schools with leveled libraries against the others: a
    //  difference beyond noise, and said to be no controlled study.
    assert_non_null (strstr (out, "  difference           8.7442        0.9347  16.4155  higher "
                                  "with the practice\n"));
    assert_non_null (strstr (out, "  a comparison of units that chose the practice with units "
                                  "that did not, not a controlled study"));
    assert_non_null (strstr (out, "  westside-sd/adams-el  2026-01-05  2025-Q4"));
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
        cmocka_unit_test_setup_teardown (test_shared_a_table_built_with_the_library, s_setup,
                                         s_teardown),
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
