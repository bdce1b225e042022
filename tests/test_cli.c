/*  test_cli.c - the real cibus and cibusd binaries against a real broker:
    the README's walk-through, exit codes, and the one-line answers a user
    gets when something is wrong. */

#include "harness.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

//  The value of "key":NUMBER in a JSON line, or 0.
static unsigned long long
s_json_u64 (const char *json, const char *key)
{
    char needle [64];
    snprintf (needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr (json, needle);
    return at ? strtoull (at + strlen (needle), NULL, 10) : 0;
}

//  The value of "key":"TEXT" in a JSON line, into text.
static void
s_json_str (const char *json, const char *key, char *text, size_t size)
{
    char needle [64];
    snprintf (needle, sizeof needle, "\"%s\":\"", key);
    const char *at = strstr (json, needle);
    text [0] = 0;
    if (at) {
        at += strlen (needle);
        size_t len = strcspn (at, "\"");
        snprintf (text, size, "%.*s", (int) (len < size ? len : size - 1), at);
    }
}

static void
test_cli_readme_walkthrough_reaches_the_backbone (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, notes [PATH_MAX], commitment [160];
    snprintf (notes, sizeof notes, "%s/notes.md", world->dir);
    FILE *file = fopen (notes, "w");
    assert_non_null (file);
    fputs ("We reviewed Q3 reading.\n", file);
    fclose (file);

    //  The backbone defines the shared indicator first (seq 1).
    int defined = harness_cibus (world, &out, &err, "indicator", "define", "k3-reading", "--key",
                                 world->hub, "--name", "3rd-grade reading", "--unit", "percent",
                                 "--direction", "up", "--period", "quarter", "--dimension",
                                 "race=asian,black,hispanic,white", "--reference", "race=white",
                                 NULL);
    if (defined != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (defined, 0);
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "indicators", "--key", world->alice,
                                     "--json", NULL),
                      0);
    assert_non_null (strstr (out, "race=asian|black|hispanic|white (reference white)"));
    free (out), free (err);
    //  A race the catalogue does not list is refused, and nothing is stored.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--total", "254/412", "--cell",
                                     "race=martian:3/6", NULL),
                      1);
    assert_string_equal (err, "cibus submit: cell race=martian: 'martian' is not a category of "
                              "race\n");
    free (out), free (err);

    //  A table: its total and a breakdown by race.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--total", "254/412", "--cell",
                                     "race=black:52/160", "--cell", "race=white:190/240",
                                     "--cell", "race=asian:12/12", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 2);
    assert_non_null (strstr (out, "\"duplicate\":false"));
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "note", "--key", world->alice,
                                     "--network", "early-literacy", "--title",
                                     "Biweekly network meeting", "--body-file", notes,
                                     "--attendee", "alice", "--decision",
                                     "pilot leveled libraries", NULL),
                      0);
    assert_string_equal (strstr (out, "stored: seq 3, id ") ? "ok" : out, "ok");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action",
                                     "open 3 leveled libraries", "--due", "2026-12-15",
                                     "--indicator", "k3-reading", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 4);
    s_json_str (out, "id", commitment, sizeof commitment);
    assert_int_equal (strlen (commitment), 32);
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "update", "--key", world->alice,
                                     "--network", "early-literacy", commitment, "--status",
                                     "at-risk", "--comment", "shipping delay", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 5);
    free (out), free (err);

    //  The backbone replays alice's part, as JSON, one object per line.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "2", "--count", "4", "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 4);
    char *line = out;
    const char *kinds [] = {"data", "note", "commitment", "update"};
    for (unsigned seq = 2; seq <= 5; seq++) {
        char kind [32], partner [32];
        assert_int_equal (s_json_u64 (line, "seq"), seq);
        s_json_str (line, "kind", kind, sizeof kind);
        s_json_str (line, "partner", partner, sizeof partner);
        assert_string_equal (kind, kinds [seq - 2]);
        assert_string_equal (partner, "alice");
        assert_true (s_json_u64 (line, "received_at") > 1600000000000000ULL);
        line = strchr (line, '\n') + 1;
    }
    assert_non_null (strstr (out, "\"topic\":\"early-literacy/data\""));
    assert_non_null (strstr (out, "\"indicator\":\"k3-reading\",\"period\":\"2026-Q3\","
                                  "\"owner\":\"alice\",\"version\":1,\"masked\":false,"
                                  "\"superseded\":false,\"total\":{\"numerator\":254,"
                                  "\"denominator\":412,\"value\":61.650485436893"));
    assert_non_null (strstr (out, "\"cells\":[{\"dimensions\":{\"race\":\"black\"},"
                                  "\"numerator\":52,\"denominator\":160,\"value\":32.5},"));
    assert_non_null (strstr (out, "{\"dimensions\":{\"race\":\"asian\"},\"numerator\":12,"
                                  "\"denominator\":12,\"value\":100}],\"status\":\"final\""));
    assert_non_null (strstr (out, "\"body\":\"We reviewed Q3 reading.\\n\""));
    assert_non_null (strstr (out, "\"decisions\":[\"pilot leveled libraries\"]"));
    assert_non_null (strstr (out, "\"status\":\"at-risk\",\"comment\":\"shipping delay\""));
    assert_non_null (strstr (out, commitment));
    free (out), free (err);

    //  The readable form: one line per entry, and a line per cell of a table.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "2", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "#2 "));
    assert_non_null (strstr (out, " alice early-literacy/data k3-reading 2026-Q3 version 1\n"
                                  "  total       254/412 (61.7%)\n"
                                  "  race=black  52/160 (32.5%)\n"
                                  "  race=white  190/240 (79.2%)\n"
                                  "  race=asian  12/12 (100%)\n"));
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "5", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "#5 "));
    assert_non_null (strstr (out, " alice early-literacy/commitment update "));
    assert_non_null (strstr (out, "-> at-risk \"shipping delay\"\n"));
    free (out), free (err);

    //  --topic: only what starts with one of the prefixes, replayed in order.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "1", "--topic", "early-literacy/note", "--topic",
                                     "early-literacy/comm", "--count", "2", "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 2);
    assert_int_equal (s_json_u64 (out, "seq"), 3);
    assert_non_null (strstr (out, "\"topic\":\"early-literacy/note\""));
    assert_int_equal (s_json_u64 (strchr (out, '\n') + 1, "seq"), 4);
    assert_non_null (strstr (strchr (out, '\n') + 1, "\"topic\":\"early-literacy/commitment\""));
    free (out), free (err);
    //  A prefix that matches nothing yet: the tail waits, and ends at its
    //  idle timeout having printed nothing (an idle end is a normal end).
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "1", "--topic", "postsecondary/", "--count", "1",
                                     "--timeout", "1", "--json", NULL),
                      0);
    assert_string_equal (out, "");
    free (out), free (err);
}

static void
test_cli_same_id_twice_is_stored_once (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k-ready",
                                     "--key", world->hub, "--name", "kindergarten readiness",
                                     "--unit", "percent", "--direction", "up", "--period",
                                     "school-year", NULL),
                      0);
    free (out), free (err);
    for (int round = 0; round < 2; round++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator", "k-ready",
                                         "--period", "2025-26", "--total", "48/100", "--id",
                                         "district-export-2025-26", "--json", NULL),
                          0);
        assert_string_equal (out, round == 0 ? "{\"seq\":2,\"id\":\"district-export-2025-26\","
                                               "\"duplicate\":false}\n"
                                             : "{\"seq\":2,\"id\":\"district-export-2025-26\","
                                               "\"duplicate\":true}\n");
        free (out), free (err);
    }
    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 2);
    assert_int_equal (s_json_u64 (out, "appended"), 2);
    free (out), free (err);
}

static void
test_cli_usage_errors_exit_2_with_one_line (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--indicator", "k3-reading", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --network is required: the network to publish in "
                              "(see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--total", "sixty", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --total 'sixty' is not a value like 52/160, "
                              "310.5@12, * or */4 (see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->alice, "extra",
                                     NULL),
                      2);
    assert_string_equal (err, "cibus whoami: unexpected argument 'extra' (see `cibus whoami "
                              "--help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "publish", NULL), 2);
    assert_string_equal (err, "cibus: unknown command 'publish' (see `cibus --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--frm", "1", NULL), 2);
    assert_string_equal (err, "cibus tail: unknown option '--frm' (see `cibus tail --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "run", "--sync", "sometimes", NULL), 2);
    assert_string_equal (err, "cibusd: --sync must be full or normal, got 'sometimes' "
                              "(see `cibusd --help`)\n");
    free (out), free (err);

    //  Help answers on stdout and succeeds.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--help", NULL), 0);
    assert_non_null (strstr (out, "--from SEQ"));
    assert_non_null (strstr (out, "env CIBUS_BROKER"));
    free (out), free (err);
}

//  The broker's refusals exit 1; what the command line itself got wrong
//  (found before connecting, in the same words as the broker) exits 2.
static void
test_cli_refusal_names_the_field_and_exits_1 (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "postsecondary", "--indicator", "fafsa",
                                     "--period", "2026-Q3", "--total", "40/100", NULL),
                      1);
    assert_string_equal (err, "cibus submit: partner 'alice' may not publish to network "
                              "'postsecondary': it is not one of its networks\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--total", "nan@40", NULL),
                      2);
    assert_string_equal (err, "cibus submit: the total: its value must be a finite number, got "
                              "nan (see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "x", "--due",
                                     "2026-02-30", NULL),
                      2);
    assert_string_equal (err, "cibus commit: field 'commitment.due' expects a date like "
                              "2026-12-15, got '2026-02-30' (see `cibus commit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 0);
    free (out), free (err);
}

//  k3-reading with the categories of race, defined by the backbone (seq 1).
static void
s_define_k3 (harness_world_t *world)
{
    char *out, *err;
    int rc = harness_cibus (world, &out, &err, "indicator", "define", "k3-reading", "--key",
                            world->hub, "--name", "3rd-grade reading", "--unit", "percent",
                            "--direction", "up", "--period", "quarter", "--dimension",
                            "race=asian,black,hispanic,white,native", "--dimension",
                            "income=low,high", NULL);
    if (rc != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    free (out), free (err);
}

//  A cell or a value that does not read is refused before connecting,
//  quoting what was typed; nothing is stored.
static void
test_cli_a_malformed_cell_is_refused_naming_it (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    const struct {
        const char *cell;
        const char *message;
    } cases [] = {
        {"race=black", "--cell 'race=black' needs a value after ':' like 52/160, 310.5@12, * "
                       "or */4"},
        {"race=black:", "--cell 'race=black:' needs a value after ':' like 52/160, 310.5@12, "
                        "* or */4"},
        {"race=black:52/", "--cell 'race=black:52/': '52/' is not a value like 52/160, "
                           "310.5@12, * or */4"},
        {"race=black:52/160@3", "--cell 'race=black:52/160@3': '52/160@3' is not a value like "
                                "52/160, 310.5@12, * or */4"},
        {"race=black:-3/160", "--cell 'race=black:-3/160': '-3/160' is not a value like "
                              "52/160, 310.5@12, * or */4"},
        {"race=black:*/x", "--cell 'race=black:*/x': '*/x' is not a value like 52/160, "
                           "310.5@12, * or */4"},
        {"race=black:52", "--cell 'race=black:52': '52' has no size: write 52@N for a count, "
                          "score or currency about N people, or NUM/DEN for a percent or rate"},
        {"black:52/160", "--cell 'black:52/160': 'black' is not a cell like race=black or "
                         "race=hispanic,income=low"},
        {"race=hispanic,income:20/70", "--cell 'race=hispanic,income:20/70': "
                                       "'race=hispanic,income' is not a cell like race=black "
                                       "or race=hispanic,income=low"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *out, *err, expect [512];
        int rc = harness_cibus (world, &out, &err, "submit", "--key", world->alice, "--network",
                                "early-literacy", "--indicator", "k3-reading", "--period",
                                "2026-Q3", "--total", "168/410", "--cell", cases [i].cell, NULL);
        snprintf (expect, sizeof expect, "cibus submit: %s (see `cibus submit --help`)\n",
                  cases [i].message);
        assert_int_equal (rc, 2);
        assert_string_equal (err, expect);
        free (out), free (err);
    }
    //  The same cell twice, in another order of its dimensions.
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--total", "168/410", "--cell",
                                     "race=hispanic,income=low:20/70", "--cell",
                                     "income=low,race=hispanic:18/34", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --cell 'income=low,race=hispanic:18/34': cell "
                              "'income=low,race=hispanic' is given twice (see `cibus submit "
                              "--help`)\n");
    free (out), free (err);
    //  A table needs its total.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--cell", "race=black:52/160", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --indicator, --period and --total are required "
                              "(or give them in --table FILE) (see `cibus submit --help`)\n");
    free (out), free (err);
    //  Help says how a table is written.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--help", NULL), 0);
    assert_non_null (strstr (out, "--cell CELL:VALUE..."));
    assert_non_null (strstr (out, "--table FILE"));
    assert_non_null (strstr (out, "  NUM/DEN   a percent or rate: 52/160 is 52 of 160 people\n"));
    assert_non_null (strstr (out, "\"cells\": {\"race=black\": \"52/160\""));
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 1);
    free (out), free (err);
}

//  Every cell form: a cross, a count of '*' at source with and without
//  its size; the owner reads them back as sent.
static void
test_cli_cells_of_every_form_reach_the_owner_as_sent (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--unit", "lincoln-el", "--total",
                                     "168/420", "--cell", "race=black:52/160", "--cell",
                                     "race=asian:3/6", "--cell", "race=hispanic:38/104",
                                     "--cell", "race=hispanic,income=low:20/70", "--cell",
                                     "race=white:75/140", "--cell", "race=native:*", "--status",
                                     "provisional", "--source", "district-sis",
                                     "--extracted-on", "2026-10-01", NULL),
                      0);
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->alice, "--from",
                                     "2", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, " alice/lincoln-el early-literacy/data k3-reading 2026-Q3 "
                                  "version 1 [provisional]\n"
                                  "  total                     168/420 (40%)\n"
                                  "  race=black                52/160 (32.5%)\n"
                                  "  race=asian                3/6 (50%)\n"
                                  "  race=hispanic             38/104 (36.5%)\n"
                                  "  race=hispanic,income=low  20/70 (28.6%)\n"
                                  "  race=white                75/140 (53.6%)\n"
                                  "  race=native               * at source\n"));
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->alice, "--from",
                                     "2", "--count", "1", "--json", NULL),
                      0);
    assert_non_null (strstr (out, "\"owner\":\"alice\",\"unit\":\"lincoln-el\""));
    assert_non_null (strstr (out, "{\"dimensions\":{\"race\":\"hispanic\",\"income\":"
                                  "\"low\"},\"numerator\":20,\"denominator\":70,"));
    assert_non_null (strstr (out, "{\"dimensions\":{\"race\":\"native\"},\"suppressed\":"
                                  "true}"));
    assert_non_null (strstr (out, "\"status\":\"provisional\",\"source\":\"district-sis\","
                                  "\"extracted_on\":\"2026-10-01\""));
    free (out), free (err);
    //  Another partner of the network gets what the broker decided for
    //  it: the asian cell hidden, and the native one, size and all.
    const char *early [] = {"early-literacy", NULL};
    char carol [PATH_MAX];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early, carol,
                                      sizeof carol));
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", carol, "--from", "2",
                                     "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "  race=asian                *\n"));
    assert_non_null (strstr (out, "  race=native               *\n"));
    assert_null (strstr (out, "3/6"));
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", carol, "--from", "2",
                                     "--count", "1", "--json", NULL),
                      0);
    assert_non_null (strstr (out, "\"masked\":true"));
    assert_non_null (strstr (out, "{\"dimensions\":{\"race\":\"asian\"},\"suppressed\":"
                                  "true,\"disclosure\":\"hidden-small\"}"));
    free (out), free (err);
}

//  --table FILE: the same table as JSON; the options beside it complete
//  and override it; - reads it from stdin.
static void
test_cli_table_from_a_json_file (void **state)
{
    harness_world_t *world = *state;
    s_define_k3 (world);
    char path [PATH_MAX], *out, *err;
    snprintf (path, sizeof path, "%s/k3.json", world->dir);
    static const char table [] =
        "{\"indicator\": \"k3-reading\", \"period\": \"2026-Q3\", \"unit\": \"lincoln-el\",\n"
        " \"total\": \"168/410\",\n"
        " \"cells\": {\"race=black\": \"52/160\", \"race=asian\": \"3/6\",\n"
        "           \"race=hispanic\": \"38/104\", \"race=hispanic,income=low\": \"20/70\",\n"
        "           \"race=white\": \"75/140\"},\n"
        " \"status\": \"provisional\", \"source\": \"state-file\"}\n";
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (table, file);
    fclose (file);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--table", path, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 2);
    free (out), free (err);
    //  The command line overrides the file: another period, two cells
    //  corrected in their places, a status of its own.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--table", path, "--period",
                                     "2026-Q4", "--cell", "race=asian:4/6", "--cell",
                                     "race=black:51/160", "--status", "final", NULL),
                      0);
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "2", "--count", "2", "--json", NULL),
                      0);
    char *second = strchr (out, '\n') + 1;
    assert_non_null (strstr (out, "\"period\":\"2026-Q3\",\"owner\":\"alice\",\"unit\":"
                                  "\"lincoln-el\""));
    assert_non_null (strstr (out, "\"cells\":[{\"dimensions\":{\"race\":\"black\"},"
                                  "\"numerator\":52,\"denominator\":160,\"value\":32.5},"
                                  "{\"dimensions\":{\"race\":\"asian\"},\"numerator\":3,"));
    assert_non_null (strstr (out, "\"status\":\"provisional\",\"source\":\"state-file\""));
    assert_non_null (strstr (second, "\"period\":\"2026-Q4\""));
    assert_non_null (strstr (second, "\"cells\":[{\"dimensions\":{\"race\":\"black\"},"
                                     "\"numerator\":51,\"denominator\":160,\"value\":31.875},"
                                     "{\"dimensions\":{\"race\":\"asian\"},\"numerator\":4,"
                                     "\"denominator\":6,"));
    assert_non_null (strstr (second, "\"status\":\"final\",\"source\":\"state-file\""));
    assert_int_equal (harness_count (second, "\"dimensions\""), 5);
    free (out), free (err);

    //  From stdin.
    char bin [PATH_MAX], key [sizeof world->data + 32], broker [300];
    harness_bin ("cibus", bin, sizeof bin);
    snprintf (key, sizeof key, "CIBUS_BROKER_KEY=%s/broker", world->data);
    snprintf (broker, sizeof broker, "CIBUS_BROKER=%s", world->broker.endpoint);
    const char *argv [] = {bin, "submit", "--key", world->alice, "--network", "early-literacy",
                           "--table", "-", "--period", "2027-Q1", "--json", NULL};
    const char *env [] = {key, broker, NULL};
    assert_int_equal (harness_run (argv, env, table, &out, &err), 0);
    assert_int_equal (s_json_u64 (out, "seq"), 4);
    free (out), free (err);

    //  A file that is not a table says where.
    file = fopen (path, "w");
    assert_non_null (file);
    fputs ("{\"indicator\": \"k3-reading\",\n \"cells\": {\"race=black\": 52}}\n", file);
    fclose (file);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--table", path, NULL),
                      2);
    char expect [PATH_MAX + 256];
    snprintf (expect, sizeof expect,
              "cibus submit: --table %s: cell \"race=black\" must have its value as a string "
              "like 52/160, 310.5@12, * or */4 (see `cibus submit --help`)\n",
              path);
    assert_string_equal (err, expect);
    free (out), free (err);
    file = fopen (path, "w");
    assert_non_null (file);
    fputs ("{\"indicator\": \"k3-reading\",\n \"total\": \"168/410\"\n", file);
    fclose (file);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--table", path, NULL),
                      2);
    snprintf (expect, sizeof expect, "cibus submit: --table %s: not JSON: line 3, column 0: ",
              path);
    assert_memory_equal (err, expect, strlen (expect));
    free (out), free (err);
    file = fopen (path, "w");
    assert_non_null (file);
    fputs ("{\"indicator\": \"k3-reading\", \"network\": \"early-literacy\"}", file);
    fclose (file);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--table", path, NULL),
                      2);
    assert_non_null (strstr (err, ": 'network' is not a field of a table: it has indicator, "
                                  "period, unit, for, total, cells, status, source and "
                                  "extracted_on"));
    free (out), free (err);
}

//  An integrator submits the tables of the partners it is registered to
//  feed, each owned by that partner (who sees it whole), and no one
//  else's.
static void
test_cli_an_integrator_submits_for_the_partners_it_feeds (void **state)
{
    harness_world_t *world = *state;
    const char *early [] = {"early-literacy", NULL};
    char district [PATH_MAX], base [PATH_MAX], secret [PATH_MAX + 16], *out, *err;
    assert_true (harness_add_partner (world->data, world->dir, "eastside-sd", "partner", early,
                                      district, sizeof district));
    snprintf (base, sizeof base, "%s/state", world->dir);
    snprintf (secret, sizeof secret, "%s_secret", base);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", base, NULL), 0);
    free (out), free (err);
    //  Only an integrator feeds partners.
    assert_int_equal (harness_cibusd (&out, &err, "partner", "add", "--data", world->data,
                                      "state", "--role", "partner", "--key", base, "--network",
                                      "early-literacy", "--feeds", "eastside-sd", NULL),
                      2);
    assert_string_equal (err, "cibusd: --feeds is for an integrator, which submits tables on "
                              "behalf of the partners it feeds; 'state' is not one (--role "
                              "integrator) (see `cibusd --help`)\n");
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "partner", "add", "--data", world->data,
                                      "state", "--role", "integrator", "--key", base,
                                      "--network", "early-literacy", "--feeds", "eastside-sd",
                                      NULL),
                      0);
    assert_non_null (strstr (out, "added state (integrator) key "));
    assert_non_null (strstr (out, " feeds eastside-sd\n"));
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "partner", "list", "--data", world->data,
                                      NULL),
                      0);
    assert_non_null (strstr (out, " early-literacy feeds eastside-sd\n"));
    free (out), free (err);
    assert_int_equal (harness_cibusd (&out, &err, "partner", "list", "--data", world->data,
                                      "--json", NULL),
                      0);
    assert_non_null (strstr (out, "\"networks\":[\"early-literacy\"],\"feeds\":"
                                  "[\"eastside-sd\"]}"));
    assert_non_null (strstr (out, "{\"name\":\"feed\",\"role\":\"integrator\""));
    assert_non_null (strstr (out, "\"networks\":[\"early-literacy\"],\"feeds\":[]}"));
    free (out), free (err);

    s_define_k3 (world);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", secret, "--network",
                                     "early-literacy", "--indicator", "k3-reading", "--period",
                                     "2026-Q3", "--for", "eastside-sd", "--total", "168/410",
                                     "--cell", "race=black:52/160", "--cell",
                                     "race=hispanic:38/104", "--cell", "race=white:75/140",
                                     "--cell", "race=asian:3/6", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 2);
    free (out), free (err);
    //  The district owns it and sees it whole; the backbone too; another
    //  partner gets it masked.
    const char *readers [] = {district, world->hub, world->alice};
    for (size_t r = 0; r < 3; r++) {
        assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", readers [r],
                                         "--from", "2", "--count", "1", NULL),
                          0);
        assert_non_null (strstr (out, " eastside-sd early-literacy/data k3-reading 2026-Q3 "
                                      "version 1, sent by state\n"));
        if (r < 2)
            assert_non_null (strstr (out, "  race=asian     3/6 (50%)\n"));
        else
            assert_non_null (strstr (out, "  race=asian     *\n"));
        free (out), free (err);
    }

    //  Not a partner it feeds; no partner named; an integrator that feeds
    //  no one.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", secret, "--network",
                                     "early-literacy", "--indicator", "k3-reading", "--period",
                                     "2026-Q3", "--for", "alice", "--total", "168/410", NULL),
                      1);
    assert_string_equal (err, "cibus submit: 'state' is not registered to submit tables for "
                              "'alice'\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", secret, "--network",
                                     "early-literacy", "--indicator", "k3-reading", "--period",
                                     "2026-Q3", "--total", "168/410", NULL),
                      1);
    assert_string_equal (err, "cibus submit: field 'data.owner' is required: an integrator "
                              "names the partner each table belongs to\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->feed,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--for", "eastside-sd", "--total",
                                     "168/410", NULL),
                      1);
    assert_string_equal (err, "cibus submit: 'feed' is not registered to submit tables for "
                              "'eastside-sd'\n");
    free (out), free (err);
    //  ...and a partner submits only its own.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--for", "eastside-sd", "--total",
                                     "168/410", NULL),
                      1);
    assert_string_equal (err, "cibus submit: a partner submits its own tables only; the owner "
                              "of a table is the publisher, 'alice'\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 2);
    free (out), free (err);
}

static void
test_cli_unknown_key_fails_fast_with_advice (void **state)
{
    harness_world_t *world = *state;
    char base [PATH_MAX], secret [PATH_MAX + 16], *out, *err;
    snprintf (base, sizeof base, "%s/eve", world->dir);
    snprintf (secret, sizeof secret, "%s_secret", base);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", base, NULL), 0);
    assert_int_equal (strlen (out), 41);
    free (out), free (err);
    //  Refusing a second keygen over the same files.
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", base, NULL), 1);
    assert_non_null (strstr (err, "already exists"));
    free (out), free (err);

    int64_t start = harness_now_msec ();
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", secret, "--network",
                                     "early-literacy", "--indicator", "k3-reading", "--period",
                                     "2026-Q3", "--total", "1/2", NULL),
                      1);
    //  Refused by the handshake, not by a timeout.
    assert_true (harness_now_msec () - start < 4000);
    assert_non_null (strstr (err, "refused this key"));
    assert_non_null (strstr (err, "cibusd partner add"));
    assert_int_equal (harness_count (err, "\n"), 1);
    free (out), free (err);
}

static void
test_cli_unreachable_broker_fails_within_timeout (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, endpoint [PATH_MAX + 16], key [PATH_MAX + 16];
    //  An endpoint nobody listens on, for sure: a socket path that does not
    //  exist (a TCP port released a moment ago may be anyone's by now).
    snprintf (endpoint, sizeof endpoint, "ipc://%s/nobody.sock", world->dir);
    snprintf (key, sizeof key, "%s/broker", world->data);
    char bin [PATH_MAX];
    harness_bin ("cibus", bin, sizeof bin);
    const char *argv [] = {bin, "whoami", "--broker", endpoint, "--broker-key", key, "--key",
                           world->alice, "--timeout", "1", NULL};
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "cibus whoami: cannot reach the broker at "));
    assert_non_null (strstr (err, "within 1000 ms: is cibusd running there"));
    free (out), free (err);
    //  The catalogue has no outbox: a definition waits for the broker and
    //  says so (it used to try the outbox and abort).
    const char *define [] = {bin,  "indicator", "define", "k3-reading", "--broker", endpoint,
                             "--broker-key", key, "--key", world->hub, "--name", "reading",
                             "--unit", "percent", "--direction", "up", "--period", "quarter",
                             "--timeout", "1", NULL};
    assert_int_equal (harness_run (define, NULL, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "cibus indicator: cannot reach the broker at "));
    free (out), free (err);
}

static void
test_cli_wrong_broker_key_is_explained (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, other [PATH_MAX], bin [PATH_MAX];
    snprintf (other, sizeof other, "%s/other", world->dir);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", other, NULL), 0);
    free (out), free (err);
    harness_bin ("cibus", bin, sizeof bin);
    const char *argv [] = {bin, "whoami", "--broker", world->broker.endpoint, "--broker-key",
                           other, "--key", world->alice, "--timeout", "3", NULL};
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "--broker-key"));
    free (out), free (err);
}

static void
test_cli_partner_remove_takes_effect_on_a_running_broker (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->bob, NULL), 0);
    assert_string_equal (out, "bob (partner)\n");
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "list", "--data", world->data,
                                      "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 4);
    assert_non_null (strstr (out, "{\"name\":\"bob\",\"role\":\"partner\",\"key\":\""));
    assert_non_null (strstr (out, "\"networks\":[\"postsecondary\"]}"));
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "bob", NULL),
                      0);
    assert_string_equal (out, "removed bob\n");
    free (out), free (err);

    //  A fresh connection is refused at the handshake...
    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->bob, NULL), 1);
    assert_non_null (strstr (err, "refused this key"));
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "bob", NULL),
                      1);
    assert_string_equal (err, "cibusd: no partner named 'bob' (see `cibusd partner list`)\n");
    free (out), free (err);
}

//  The backbone tags a school with leveled libraries and asks for the
//  bright spots; the command prints the two comparisons and the caution
//  between them, and a partner may not tag. adams (libraries since
//  2026-01-01) read 60 of 100 in 2026-Q1, up from 40 of 100 in 2025-Q4;
//  baker and cole, without, 45 and 50 of 100: 95/200 = 47.5 %. The
//  difference, 12.5 points, has Newcombe's interval 0.5133 to 23.8329.
static void
test_cli_practice_tag_and_brightspots (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_true (harness_define_k3 (world));
    const char *tables [][3] = {{"adams", "2025-Q4", "40/100"},
                                {"adams", "2026-Q1", "60/100"},
                                {"baker", "2026-Q1", "45/100"},
                                {"cole", "2026-Q1", "50/100"}};
    for (size_t i = 0; i < sizeof tables / sizeof tables [0]; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator",
                                         "k3-reading", "--unit", tables [i][0], "--period",
                                         tables [i][1], "--total", tables [i][2], NULL),
                          0);
        free (out), free (err);
    }
    //  A partner's tag is refused by the broker; a tag without its date is
    //  a usage error; the backbone's is stored.
    assert_int_equal (harness_cibus (world, &out, &err, "practice", "tag", "alice/adams",
                                     "leveled-libraries", "--since", "2026-01-01", "--network",
                                     "early-literacy", "--key", world->alice, NULL),
                      1);
    assert_string_equal (err, "cibus practice: only the backbone records practices; 'alice' is "
                              "a partner\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "practice", "tag", "alice/adams",
                                     "leveled-libraries", "--network", "early-literacy", "--key",
                                     world->hub, NULL),
                      2);
    assert_string_equal (err, "cibus practice: --since is required: the first day the unit had "
                              "the practice (see `cibus practice --help`)\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "practice", "tag", "alice/adams",
                                     "leveled-libraries", "--since", "2026-01-01", "--network",
                                     "early-literacy", "--key", world->hub, "--id", "tag-adams",
                                     NULL),
                      0);
    assert_string_equal (out, "stored: seq 6, id tag-adams\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->alice, "--from",
                                     "6", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "practice leveled-libraries at alice/adams since 2026-01-01\n"));
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "brightspots", "--key", world->hub,
                                     "--indicator", "k3-reading", "--period", "2026-Q1", NULL),
                      2);
    assert_string_equal (err, "cibus brightspots: --indicator, --practice and --period are "
                              "required (see `cibus brightspots --help`)\n");
    free (out), free (err);
    int rc = harness_cibus (world, &out, &err, "brightspots", "--key", world->alice,
                            "--indicator", "k3-reading", "--practice", "leveled-libraries",
                            "--period", "2026-Q1", "--format", "csv", NULL);
    if (rc != 0)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "table,group,units,value,n,low,high,verdict\r\n"
                                  "with and without leveled-libraries,with,1 of 1,60,100,"
                                  "50.200259,69.059871,\r\n"
                                  "with and without leveled-libraries,without,2 of 2,47.5,200,"
                                  "40.691623,54.402604,\r\n"
                                  "with and without leveled-libraries,difference,,12.5,,"
                                  "0.513304,23.832929,higher with the practice\r\n"));
    assert_non_null (strstr (out, "table,caution\r\n"
                                  "caution,\"a comparison of units that chose the practice with "
                                  "units that did not, not a controlled study: the difference "
                                  "may come from how the units differ, not from the practice\""
                                  "\r\n"));
    assert_non_null (strstr (out, "before and after leveled-libraries,alice/adams,2026-01-01,"
                                  "2025-Q4,40,100,2026-Q1,60,100,20,6.141073,32.812593,"
                                  "improving\r\n"));
    free (out), free (err);
    //  Asked of a period the indicator does not have, in the broker's words.
    assert_int_equal (harness_cibus (world, &out, &err, "brightspots", "--key", world->hub,
                                     "--indicator", "k3-reading", "--practice",
                                     "leveled-libraries", "--period", "2025-26", NULL),
                      1);
    assert_string_equal (err, "cibus brightspots: indicator 'k3-reading' expects a quarter like "
                              "2026-Q3, got '2025-26'\n");
    free (out), free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_cli_readme_walkthrough_reaches_the_backbone,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_same_id_twice_is_stored_once, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_usage_errors_exit_2_with_one_line, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_refusal_names_the_field_and_exits_1, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_a_malformed_cell_is_refused_naming_it, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_cells_of_every_form_reach_the_owner_as_sent,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_table_from_a_json_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_practice_tag_and_brightspots, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_an_integrator_submits_for_the_partners_it_feeds,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_unknown_key_fails_fast_with_advice, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_unreachable_broker_fails_within_timeout,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_wrong_broker_key_is_explained, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_partner_remove_takes_effect_on_a_running_broker,
                                         s_setup, s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("cli", tests, NULL, NULL);
}
