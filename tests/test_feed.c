/*  test_feed.c - `cibus feed` end to end: the real cibus and cibusd
    binaries against a real broker, loading a state assessment file
    shaped like California's CAASPP research files (a byte-order mark,
    CRLF, quoted commas and a quoted newline, `*` rows, a blank last line)
    through a mapping, as the integrator "state" registered to feed
    "alice". What was stored is read back as alice, the owner, who sees
    every table whole. The parsing and grouping are also checked alone,
    through clients/feed.h, without a socket.                            */

#include "cibus_wire.h"
#include "codec.h"
#include "feed.h"
#include "feed_ahead.h"
#include "feed_same.h"
#include "harness.h"

#include <ctype.h>
#include <czmq.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define S_TIMEOUT 10000
//  The crash test's file: schools of four rows each (the total and three
//  groups), and how many tables the owner must have seen before the
//  broker is killed.
#define S_CRASH_SCHOOLS 6000
#define S_CRASH_SEEN    200

typedef struct {
    harness_world_t world;
    char state [PATH_MAX];    /* the integrator's secret cert */
    char map [PATH_MAX];      /* the CAASPP mapping */
    char csv [PATH_MAX + 16]; /* scratch files */
    char jsonl [PATH_MAX + 16];
} s_fixture_t;

//  The mapping of the README's example: grade 3, test 1 (ELA), the year
//  2025 as 2024-25, the unit from the CDS code with a school code of
//  zeros meaning the district itself, group codes as cells.
static const char s_map [] =
    "{\"filters\": [{\"column\": \"Grade\", \"equals\": \"03\"},\n"
    "             {\"column\": \"Test ID\", \"equals\": \"1\"}],\n"
    " \"indicator\": \"g3-ela\",\n"
    " \"period\": {\"column\": \"Test Year\", \"rewrite\": \"school-year-ending\"},\n"
    " \"unit\": {\"columns\": [\"County Code\", \"District Code\", \"School Code\"],\n"
    "          \"none_when_zero\": \"School Code\"},\n"
    " \"group\": {\"column\": \"Student Group ID\",\n"
    "           \"map\": {\"1\": \"total\", \"74\": \"race=black\", \"76\": \"race=asian\",\n"
    "                   \"78\": \"race=hispanic\", \"80\": \"race=white\",\n"
    "                   \"31\": \"income=low\", \"111\": \"income=high\"}},\n"
    " \"size\": {\"column\": \"Students with Scores\"},\n"
    " \"value\": {\"column\": \"Percentage Standard Met and Above\", \"as\": \"percent\"},\n"
    " \"suppressed\": [\"*\", \"\"],\n"
    " \"source\": \"caaspp-research-file\"}\n";

#define S_HEADER                                                                                   \
    "County Code,District Code,School Code,Test Year,Student Group ID,Grade,Test ID,"              \
    "Students with Scores,Percentage Standard Met and Above,School Name"

//  The file: fourteen rows, of which three are skipped (grade 4, test 2,
//  a group the mapping does not list), making three tables. grant_total
//  is Grant's percentage, which the correction test changes.
static void
s_caaspp_text (char *text, size_t size, const char *grant_total)
{
    snprintf (text, size,
              "\xef\xbb\xbf" S_HEADER "\r\n"
              "01,61119,0000000,2025,1,03,1,410,40.98,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,74,03,1,160,32.50,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,76,03,1,6,*,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,78,03,1,104,36.54,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,80,03,1,140,53.57,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,31,03,1,230,30.00,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,1,04,1,400,45.00,\"Eastside Unified, District\"\r\n"
              "01,61119,0000000,2025,1,03,2,410,38.00,\"Eastside Unified, District\"\r\n"
              "01,61119,6090021,2025,1,03,1,80,50.00,\"Lincoln Elementary\r\nNorth Campus\"\r\n"
              "01,61119,6090021,2025,74,03,1,*,*,Lincoln Elementary\r\n"
              "01,61119,6090021,2025,160,03,1,30,40.00,Lincoln Elementary\r\n"
              "01,61119,6090021,2025,80,03,1,45,55.56,Lincoln Elementary\r\n"
              "01,61119,6090039,2025,1,03,1,120,%s,\"Grant \"\"Gus\"\" Elementary\"\r\n"
              "01,61119,6090039,2025,31,03,1,70,,\"Grant \"\"Gus\"\" Elementary\"\r\n"
              "\r\n",
              grant_total);
}

//  The same rows as JSON Lines, sizes as numbers and percentages as the
//  strings a state writes.
// clang-format off
static const char s_caaspp_jsonl [] =
#define S_ROW(school, group, grade, test, size, percent, name)                                  \
    "{\"County Code\": \"01\", \"District Code\": \"61119\", \"School Code\": \"" school "\", " \
    "\"Test Year\": \"2025\", \"Student Group ID\": \"" group "\", \"Grade\": \"" grade "\", "  \
    "\"Test ID\": \"" test "\", \"Students with Scores\": " size ", "                           \
    "\"Percentage Standard Met and Above\": \"" percent "\", \"School Name\": \"" name "\"}\n"
    S_ROW ("0000000", "1", "03", "1", "410", "40.98", "Eastside Unified, District")
    S_ROW ("0000000", "74", "03", "1", "160", "32.50", "Eastside Unified, District")
    S_ROW ("0000000", "76", "03", "1", "6", "*", "Eastside Unified, District")
    S_ROW ("0000000", "78", "03", "1", "104", "36.54", "Eastside Unified, District")
    S_ROW ("0000000", "80", "03", "1", "140", "53.57", "Eastside Unified, District")
    S_ROW ("0000000", "31", "03", "1", "230", "30.00", "Eastside Unified, District")
    S_ROW ("0000000", "1", "04", "1", "400", "45.00", "Eastside Unified, District")
    S_ROW ("0000000", "1", "03", "2", "410", "38.00", "Eastside Unified, District")
    S_ROW ("6090021", "1", "03", "1", "80", "50.00", "Lincoln Elementary\\r\\nNorth Campus")
    S_ROW ("6090021", "74", "03", "1", "\"*\"", "*", "Lincoln Elementary")
    S_ROW ("6090021", "160", "03", "1", "30", "40.00", "Lincoln Elementary")
    S_ROW ("6090021", "80", "03", "1", "45", "55.56", "Lincoln Elementary")
    S_ROW ("6090039", "1", "03", "1", "120", "62.50", "Grant \\\"Gus\\\" Elementary")
    S_ROW ("6090039", "31", "03", "1", "70", "", "Grant \\\"Gus\\\" Elementary")
#undef S_ROW
    ;
// clang-format on

//  The three tables, as alice reads them back: unit, version, cells.
static const char *const s_tables [] = {
    "g3-ela 2024-25 alice - v1: total=168/410 race=black=52/160 race=asian=*/6 "
    "race=hispanic=38/104 race=white=75/140 income=low=69/230",
    "g3-ela 2024-25 alice 01-61119-6090021 v1: total=40/80 race=black=* race=white=25/45",
    "g3-ela 2024-25 alice 01-61119-6090039 v1: total=75/120 income=low=*/70"};

static bool
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "wb");
    if (!file)
        return false;
    bool ok = fwrite (text, 1, strlen (text), file) == strlen (text);
    return fclose (file) == 0 && ok;
}

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    if (!self || !harness_world_up (&self->world))
        goto fail;
    const char *early [] = {"early-literacy", NULL}, *feeds [] = {"alice", NULL};
    if (!harness_add_integrator (self->world.data, self->world.dir, "state", early, feeds,
                                 self->state, sizeof self->state))
        goto fail;
    char *out = NULL, *err = NULL;
    int rc = harness_cibus (&self->world, &out, &err, "indicator", "define", "g3-ela", "--key",
                            self->world.hub, "--name", "grade 3 ELA: standard met or above",
                            "--unit", "percent", "--direction", "up", "--period", "school-year",
                            "--dimension", "race=asian,black,hispanic,white", "--dimension",
                            "income=low,high", "--network", "early-literacy", NULL);
    if (rc != 0)
        fprintf (stderr, "test: define: %s", err);
    free (out), free (err);
    snprintf (self->map, sizeof self->map, "%s/caaspp-map.json", self->world.dir);
    snprintf (self->csv, sizeof self->csv, "%s/caaspp.csv", self->world.dir);
    snprintf (self->jsonl, sizeof self->jsonl, "%s/caaspp.jsonl", self->world.dir);
    if (rc != 0 || !s_write (self->map, s_map))
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

//  `cibus feed FILE --map MAP --network early-literacy --key STATE ARGS...`
#define FEED(self, out, err, file, ...)                                                            \
    harness_cibus (&(self)->world, out, err, "feed", file, "--map", (self)->map, "--network",      \
                   "early-literacy", "--key", (self)->state, __VA_ARGS__, NULL)

//  The account line a feed prints on stdout (prefix: for a dry run).
static const char *
s_account (const char *prefix, size_t tables, const char *file, const char *counts)
{
    static char line [PATH_MAX + 256];
    snprintf (line, sizeof line, "%s%zu tables from %s: %s\n", prefix, tables, file, counts);
    return line;
}

//  The broker's last seq, asked as the backbone.
static uint64_t
s_last_seq (s_fixture_t *self)
{
    cibus_t *hub = harness_client (&self->world, self->world.hub, S_TIMEOUT);
    assert_non_null (hub);
    cibus_status_t status;
    assert_int_equal (cibus_status (hub, &status), CIBUS_OK);
    cibus_destroy (&hub);
    return status.last_seq;
}

//  A cell's counts as the feed's value forms write them.
static void
s_value (const Cibus__DataCell *cell, char *text, size_t size)
{
    if (cell->suppressed && cell->has_denominator)
        snprintf (text, size, "*/%llu", (unsigned long long) cell->denominator);
    else if (cell->suppressed)
        snprintf (text, size, "*");
    else
        snprintf (text, size, "%llu/%llu", (unsigned long long) cell->numerator,
                  (unsigned long long) cell->denominator);
}

//  A table as one line: indicator, period, owner, unit, version, cells.
static void
s_describe (const Cibus__DataSubmission *data, char *text, size_t size)
{
    char value [64];
    s_value (data->total, value, sizeof value);
    size_t used =
        (size_t) snprintf (text, size, "%s %s %s %s v%u: total=%s", data->indicator, data->period,
                           data->owner, data->unit ? data->unit : "-", data->version, value);
    for (size_t i = 0; i < data->n_cells && used < size; i++) {
        const Cibus__DataCell *cell = data->cells [i];
        s_value (cell, value, sizeof value);
        used += (size_t) snprintf (text + used, size - used, " ");
        for (size_t d = 0; d < cell->n_dimensions && used < size; d++)
            used += (size_t) snprintf (text + used, size - used, "%s%s=%s", d ? "," : "",
                                       cell->dimensions [d]->key, cell->dimensions [d]->value);
        used += (size_t) snprintf (text + used, size - used, "=%s", value);
    }
}

//  Every data table of early-literacy, as alice (the owner) reads them
//  from the start of the log up to its last seq, each described. The
//  caller frees the array and its strings.
static char **
s_read_back (s_fixture_t *self, size_t *count)
{
    uint64_t last = s_last_seq (self);
    cibus_t *alice = harness_client (&self->world, self->world.alice, S_TIMEOUT);
    assert_non_null (alice);
    const char *prefix [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (alice, prefix, 1, 1, 4096, NULL), CIBUS_OK);
    char **tables = NULL;
    *count = 0;
    for (uint64_t seq = 0; seq < last;) {
        cibus_envelope_t *env = NULL;
        if (cibus_next (alice, 2000, &env) == CIBUS_ERR_TIMEOUT)
            break; //  the rest of the log is not data of early-literacy
        assert_non_null (env);
        seq = env->seq;
        assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_DATA);
        char text [2048];
        s_describe (env->data, text, sizeof text);
        tables = realloc (tables, (*count + 1) * sizeof *tables);
        assert_non_null (tables);
        tables [(*count)++] = strdup (text);
        cibus_envelope_free (env);
    }
    cibus_destroy (&alice);
    return tables;
}

static void
s_free_tables (char **tables, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (tables [i]);
    free (tables);
}

static void
s_write_caaspp (s_fixture_t *self, const char *grant_total)
{
    char text [4096];
    s_caaspp_text (text, sizeof text, grant_total);
    assert_true (s_write (self->csv, text));
}

//  ---------------------------------------------------------------- loads

//  The file loads as three tables, each with the cells its rows give.
static void
test_feed_caaspp_file_loads_its_tables (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    char *out = NULL, *err = NULL;
    int rc = FEED (self, &out, &err, self->csv, "--for", "alice");
    if (rc != 0)
        fprintf (stderr, "feed: %s", err);
    assert_int_equal (rc, 0);
    assert_string_equal (out, s_account ("", 3, self->csv,
                                         "3 published, 0 corrected, 0 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    free (out), free (err);
    size_t count;
    char **tables = s_read_back (self, &count);
    assert_int_equal (count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal (tables [i], s_tables [i]);
    s_free_tables (tables, count);
}

//  The same file again stores nothing: every table is a duplicate of
//  itself, acknowledged as unchanged.
static void
test_feed_run_twice_publishes_nothing_new (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    free (out), free (err);
    uint64_t last = s_last_seq (self);
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    assert_string_equal (out, s_account ("", 3, self->csv,
                                         "0 published, 0 corrected, 3 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    assert_string_equal (err, "");
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last);
}

//  One value changed in the file: that table is corrected (its version
//  2), the others are unchanged.
static void
test_feed_changed_value_is_one_correction (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    free (out), free (err);
    s_write_caaspp (self, "63.33"); //  76 of 120 now, not 75
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    assert_string_equal (out, s_account ("", 3, self->csv,
                                         "0 published, 1 corrected, 2 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    free (out), free (err);
    size_t count;
    char **tables = s_read_back (self, &count);
    assert_int_equal (count, 4);
    assert_string_equal (tables [3],
                         "g3-ela 2024-25 alice 01-61119-6090039 v2: total=76/120 income=low=*/70");
    s_free_tables (tables, count);
}

//  JSON Lines of the same rows make the same tables, to the id: after
//  the CSV, they are all unchanged.
static void
test_feed_jsonl_gives_the_same_tables (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    assert_true (s_write (self->jsonl, s_caaspp_jsonl));
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    free (out), free (err);
    int rc = FEED (self, &out, &err, self->jsonl, "--for", "alice");
    if (rc != 0)
        fprintf (stderr, "feed: %s", err);
    assert_int_equal (rc, 0);
    assert_string_equal (out, s_account ("", 3, self->jsonl,
                                         "0 published, 0 corrected, 3 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    free (out), free (err);
}

//  A dry run asks the broker about every table and stores nothing; it
//  tells what a real run would do, before and after one.
static void
test_feed_dry_run_publishes_nothing (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    uint64_t last = s_last_seq (self);
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice", "--dry-run"), 0);
    assert_string_equal (out, s_account ("dry run, nothing stored: ", 3, self->csv,
                                         "3 published, 0 corrected, 0 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last);
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 0);
    free (out), free (err);
    s_write_caaspp (self, "63.33");
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice", "--dry-run"), 0);
    assert_string_equal (out, s_account ("dry run, nothing stored: ", 3, self->csv,
                                         "0 published, 1 corrected, 2 unchanged, 0 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last + 3);
}

//  --queue stores every table in the replica's outbox and sends nothing;
//  `cibus sync --once` sends them, each stored once, the same tables as a
//  feed sent at once.
static void
test_feed_queue_stores_the_tables_for_sync_to_send (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    uint64_t last = s_last_seq (self);
    char replica [PATH_MAX + 32], *out = NULL, *err = NULL;
    snprintf (replica, sizeof replica, "%s/state-replica.db", self->world.dir);
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice", "--queue",
                            "--replica", replica),
                      0);
    char expected [PATH_MAX + 256];
    snprintf (expected, sizeof expected,
              "3 tables from %s: 3 queued in the outbox, 0 there already, 0 refused; "
              "14 rows read, 3 skipped, 0 refused; `cibus sync` sends them\n",
              self->csv);
    assert_string_equal (out, expected);
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last);
    //  Queued twice is queued once.
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice", "--queue",
                            "--replica", replica),
                      0);
    assert_non_null (strstr (out, "0 queued in the outbox, 3 there already"));
    free (out), free (err);
    int rc = harness_cibus (&self->world, &out, &err, "sync", "--once", "--key", self->state,
                            "--replica", replica, NULL);
    if (rc)
        fprintf (stderr, "sync: %s", err);
    assert_int_equal (rc, 0);
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last + 3);
    size_t count;
    char **tables = s_read_back (self, &count);
    assert_int_equal (count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal (tables [i], s_tables [i]);
    s_free_tables (tables, count);
}

//  A feed for a partner the integrator does not feed is refused before
//  anything is sent: one dry run, then every table refused with the
//  broker's reason.
static void
test_feed_for_a_partner_not_fed_sends_nothing (void **state)
{
    s_fixture_t *self = *state;
    s_write_caaspp (self, "62.50");
    uint64_t last = s_last_seq (self);
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "bob"), 1);
    assert_string_equal (out, s_account ("", 3, self->csv,
                                         "0 published, 0 corrected, 0 unchanged, 3 refused; "
                                         "14 rows read, 3 skipped, 0 refused"));
    char expected [4 * PATH_MAX];
    snprintf (expected, sizeof expected,
              "cibus feed: %s lines 2-7: table g3-ela 2024-25 of bob: 'state' is not registered "
              "to submit tables for 'bob'\n"
              "cibus feed: %s lines 10, 12, 14: table g3-ela 2024-25 of bob, unit "
              "01-61119-6090021: 'state' is not registered to submit tables for 'bob'\n"
              "cibus feed: %s lines 15-16: table g3-ela 2024-25 of bob, unit 01-61119-6090039: "
              "'state' is not registered to submit tables for 'bob'\n",
              self->csv, self->csv, self->csv);
    assert_string_equal (err, expected);
    free (out), free (err);
    assert_int_equal (s_last_seq (self), last);
}

//  ---------------------------------------------------------------- refusals

//  A malformed line is reported with its line number and the reason; a
//  table with a refused row is refused whole; the other tables load.
static void
test_feed_malformed_lines_are_reported_and_the_rest_loads (void **state)
{
    s_fixture_t *self = *state;
    assert_true (s_write (self->csv,
                          S_HEADER "\n"
                                   "01,61119,6090039,2025,1,03,1,120,62.50,Grant\n"
                                   "01,61119,6090047,2025,1,03,1,80,50.00,Hoover\n"
                                   "01,61119,6090047,2025,74,03,1,20,104.3,Hoover\n"
                                   "01,61119,6090054,2025,1,03,1,abc,50.00,Jefferson\n"
                                   "01,61119,\"6090062,2025,1,03,1,80,50.00,Kennedy\n"
                                   "01,61119,6090070,2025,1,03,1,80,50.00,\"Lee, North\"\n"
                                   "01,61119,6090088,2025,1,03,1,7,33.3,Madison\n"
                                   "01,61119,60900\00196,2025,1,03,1,80,50.00,Nixon\n"));
    char *out = NULL, *err = NULL;
    assert_int_equal (FEED (self, &out, &err, self->csv, "--for", "alice"), 1);
    assert_string_equal (out, s_account ("", 6, self->csv,
                                         "2 published, 0 corrected, 0 unchanged, 4 refused; "
                                         "8 rows read, 0 skipped, 4 refused"));
    char expected [10 * PATH_MAX];
    const char *f = self->csv;
    snprintf (expected, sizeof expected,
              "cibus feed: %s line 4: 'Percentage Standard Met and Above' is 104.3: a "
              "percentage is at most 100\n"
              "cibus feed: %s line 5: 'Students with Scores' is 'abc': not a whole number of "
              "people\n"
              "cibus feed: %s line 6: not CSV: a quote on this line opens a field that is not "
              "closed properly (found on line 7)\n"
              "cibus feed: %s line 8: 'Percentage Standard Met and Above' is 33.3 %% of the 7 in "
              "'Students with Scores': no whole number of people gives it (2 of 7 is 28.57 %%)\n"
              "cibus feed: %s lines 3-4: table g3-ela 2024-25 of alice, unit 01-61119-6090047: "
              "its row on line 4 was refused\n"
              "cibus feed: %s line 5: table g3-ela 2024-25 of alice, unit 01-61119-6090054: its "
              "row on line 5 was refused\n"
              "cibus feed: %s line 8: table g3-ela 2024-25 of alice, unit 01-61119-6090088: its "
              "row on line 8 was refused\n"
              //  Its rows read well; the table's unit is no text the broker
              //  takes, and the check before sending says so.
              "cibus feed: %s line 9: table g3-ela 2024-25 of alice, unit 01-61119-60900\\x0196: "
              "field 'data.unit' holds the control character U+0001: text may hold tab, newline "
              "and carriage return, no other\n",
              f, f, f, f, f, f, f, f);
    assert_string_equal (err, expected);
    free (out), free (err);
    size_t count;
    char **tables = s_read_back (self, &count);
    assert_int_equal (count, 2);
    assert_string_equal (tables [0], "g3-ela 2024-25 alice 01-61119-6090039 v1: total=75/120");
    assert_string_equal (tables [1], "g3-ela 2024-25 alice 01-61119-6090070 v1: total=40/80");
    s_free_tables (tables, count);
}

//  ---------------------------------------------------------------- a crash

typedef struct {
    s_fixture_t *self;
    int rc;
    char *out, *err;
} s_feed_thread_t;

static void *
s_feed_thread (void *arg)
{
    s_feed_thread_t *run = arg;
    run->rc =
        FEED (run->self, &run->out, &run->err, run->self->csv, "--for", "alice", "--timeout", "1");
    return NULL;
}

//  S_CRASH_SCHOOLS tables, each a school's total and three groups, every
//  one far from the edges so that nothing but the crash gets in the way.
static void
s_write_many (s_fixture_t *self)
{
    FILE *file = fopen (self->csv, "wb");
    assert_non_null (file);
    fprintf (file, S_HEADER "\r\n");
    static const unsigned groups [] = {74, 78, 80}, sizes [] = {120, 95, 80};
    for (unsigned school = 0; school < S_CRASH_SCHOOLS; school++) {
        unsigned passed [3], total = 0, total_passed = 0;
        for (size_t g = 0; g < 3; g++) {
            passed [g] = sizes [g] * (30 + (school + 13 * g) % 40) / 100;
            total += sizes [g], total_passed += passed [g];
        }
        fprintf (file, "01,61119,%07u,2025,1,03,1,%u,%.2f,School %u\r\n", 6000000 + school, total,
                 100.0 * total_passed / total, school);
        for (size_t g = 0; g < 3; g++)
            fprintf (file, "01,61119,%07u,2025,%u,03,1,%u,%.2f,School %u\r\n", 6000000 + school,
                     groups [g], sizes [g], 100.0 * passed [g] / sizes [g], school);
    }
    assert_int_equal (fclose (file), 0);
}

//  The broker is killed mid-feed; the feed stops and says to run it
//  again; run again on the restarted broker, it stores what is missing
//  and nothing twice: every table is in the log exactly once.
static void
test_feed_broker_killed_mid_feed_then_rerun_stores_each_table_once (void **state)
{
    s_fixture_t *self = *state;
    //  Quotas off: this is about the crash, not the integrator's rate. On
    //  an ipc socket in the test's own directory, which nothing else can
    //  bind while the broker is down: the feed must meet no broker there,
    //  and a tcp port let go by the killed broker may be anyone's at once.
    static const char *const no_quota [] = {"--quota-rate", "0", NULL};
    char socket [PATH_MAX];
    snprintf (socket, sizeof socket, "%s/broker.sock", self->world.dir);
    assert_int_equal (harness_broker_stop (&self->world.broker, SIGTERM), 0);
    assert_true (harness_broker_start_ipc (&self->world.broker, self->world.data, socket, no_quota));
    s_write_many (self);

    cibus_t *alice = harness_client (&self->world, self->world.alice, S_TIMEOUT);
    assert_non_null (alice);
    const char *prefix [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (alice, prefix, 1, 0, 0, NULL), CIBUS_OK);
    s_feed_thread_t run = {self, -1, NULL, NULL};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_feed_thread, &run), 0);
    for (size_t seen = 0; seen < S_CRASH_SEEN; seen++) {
        cibus_envelope_t *env = NULL;
        assert_int_equal (cibus_next (alice, S_TIMEOUT, &env), CIBUS_OK);
        cibus_envelope_free (env);
    }
    int status = harness_broker_stop (&self->world.broker, SIGKILL);
    assert_true (WIFSIGNALED (status));
    cibus_destroy (&alice);
    pthread_join (thread, NULL);
    //  It was stopped by the crash, mid-feed.
    if (run.rc != 1)
        fprintf (stderr, "feed: %s%s", run.out, run.err);
    assert_int_equal (run.rc, 1);
    assert_non_null (strstr (run.err, "run the same feed again"));
    assert_non_null (strstr (run.out, "stopped: "));
    free (run.out), free (run.err);

    assert_true (harness_broker_start_ipc (&self->world.broker, self->world.data, socket, no_quota));
    char *out = NULL, *err = NULL;
    int rc = FEED (self, &out, &err, self->csv, "--for", "alice");
    if (rc != 0)
        fprintf (stderr, "feed: %s", err);
    assert_int_equal (rc, 0);
    unsigned long tables, published, corrected, unchanged, refused;
    char rows [128];
    assert_int_equal (sscanf (out,
                              "%lu tables from %*s %lu published, %lu corrected, %lu "
                              "unchanged, %lu refused; %127[^\n]",
                              &tables, &published, &corrected, &unchanged, &refused, rows),
                      6);
    assert_int_equal (tables, S_CRASH_SCHOOLS);
    assert_int_equal (published + unchanged, S_CRASH_SCHOOLS);
    assert_true (unchanged >= S_CRASH_SEEN);
    assert_true (published > 0);
    assert_int_equal (corrected + refused, 0);
    free (out), free (err);

    size_t count;
    char **described = s_read_back (self, &count);
    assert_int_equal (count, S_CRASH_SCHOOLS);
    //  Each school's table once, as its first version.
    char *seen = calloc (S_CRASH_SCHOOLS, 1);
    assert_non_null (seen);
    for (size_t i = 0; i < count; i++) {
        unsigned school;
        assert_int_equal (sscanf (described [i], "g3-ela 2024-25 alice 01-61119-%u v1:", &school),
                          1);
        assert_true (school >= 6000000 && school < 6000000 + S_CRASH_SCHOOLS);
        assert_false (seen [school - 6000000]);
        seen [school - 6000000] = 1;
    }
    free (seen);
    s_free_tables (described, count);
}

//  ---------------------------------------------------------------- no socket

//  Read text with the mapping, in chunks of chunk bytes.
static feed_t *
s_parse (const char *map_text, feed_format_t format, const char *text, size_t chunk,
         feed_map_t **map)
{
    char error [256];
    *map = feed_map_new (map_text, error, sizeof error);
    if (!*map)
        fprintf (stderr, "map: %s\n", error);
    assert_non_null (*map);
    feed_config_t config = {*map, format, "early-literacy", "alice", 0};
    feed_t *feed = feed_new (&config);
    assert_non_null (feed);
    size_t len = strlen (text);
    for (size_t at = 0; at < len; at += chunk)
        assert_int_equal (feed_push (feed, text + at, at + chunk < len ? chunk : len - at),
                          CIBUS_OK);
    assert_int_equal (feed_finish (feed), CIBUS_OK);
    return feed;
}

//  Rows in any order, read in chunks of any size, CSV or JSON Lines:
//  the same tables, the same ids.
static void
test_feed_tables_do_not_depend_on_order_chunks_or_format (void **state)
{
    (void) state;
    char text [4096];
    s_caaspp_text (text, sizeof text, "62.50");
    //  The district's rows last, reversed.
    char reordered [4096];
    const char *rows = strstr (text, "\r\n") + 2;
    const char *lincoln = strstr (text, "01,61119,6090021");
    const char *end = text + strlen (text);
    snprintf (reordered, sizeof reordered, "%.*s%.*s", (int) (rows - text), text,
              (int) (end - lincoln), lincoln);
    const char *line = lincoln;
    while (line > rows) {
        const char *start = line - 2;
        while (start > rows && start [-1] != '\n')
            start--;
        strncat (reordered, start, (size_t) (line - start));
        line = start;
    }
    feed_map_t *maps [4];
    feed_t *feeds [4] = {s_parse (s_map, FEED_CSV, text, 1, &maps [0]),
                         s_parse (s_map, FEED_CSV, text, 4096, &maps [1]),
                         s_parse (s_map, FEED_CSV, reordered, 7, &maps [2]),
                         s_parse (s_map, FEED_JSONL, s_caaspp_jsonl, 13, &maps [3])};
    for (size_t f = 0; f < 4; f++) {
        assert_int_equal (feed_table_count (feeds [f]), 3);
        assert_int_equal (feed_rows (feeds [f]), 14);
        assert_int_equal (feed_skipped (feeds [f]), 3);
        assert_int_equal (feed_problem_count (feeds [f]), 0);
        for (size_t t = 0; t < 3; t++) {
            const feed_table_t *table = feed_table (feeds [f], t);
            //  The reordered file meets the schools in another order.
            const char *same = NULL;
            for (size_t u = 0; u < 3 && !same; u++) {
                const feed_table_t *first = feed_table (feeds [0], u);
                if ((first->unit == NULL) == (table->unit == NULL)
                    && (!first->unit || strcmp (first->unit, table->unit) == 0))
                    same = feed_table_id (feeds [0], u);
            }
            assert_non_null (same);
            assert_string_equal (feed_table_id (feeds [f], t), same);
            assert_null (table->refusal);
        }
    }
    const feed_table_t *district = feed_table (feeds [0], 0);
    const char *district_id = feed_table_id (feeds [0], 0);
    assert_non_null (district_id);
    assert_ptr_equal (feed_table_id (feeds [0], 0), district_id); //  made once
    assert_null (district->unit);
    assert_string_equal (district->period, "2024-25");
    assert_string_equal (district->total.value, "168/410");
    assert_string_equal (district->source, "caaspp-research-file");
    assert_int_equal (district->cell_count, 5);
    assert_string_equal (district->cells [1].name, "race=asian");
    assert_string_equal (district->cells [1].value, "*/6");
    assert_int_equal (district->cells [1].line, 4);
    assert_int_equal (strlen (district_id), strlen (FEED_ID_PREFIX) + 40);
    assert_string_equal (district->owner, "alice");
    assert_string_equal (district->indicator, "g3-ela");
    //  The id is SHA-1 of the canonical text, each part "+LENGTH:TEXT" or
    //  "-" when absent, cells sorted by name: built here by hand, so that
    //  a change to how the feed spells it (an upgrade would then correct
    //  every table fed before instead of finding it a duplicate) fails.
    char canonical [2048] = "";
    size_t used = 0;
    const char *parts [] = {"cibus-feed/1", "early-literacy", district->owner, district->indicator,
                            district->period, district->unit, district->status,
                            district->total.value};
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++)
        used += parts [i] ? (size_t) snprintf (canonical + used, sizeof canonical - used,
                                               "+%zu:%s", strlen (parts [i]), parts [i])
                          : (size_t) snprintf (canonical + used, sizeof canonical - used, "-");
    const char *names [] = {"income=low", "race=asian", "race=black", "race=hispanic",
                            "race=white"};
    size_t found = 0;
    for (size_t n = 0; n < sizeof names / sizeof names [0]; n++)
        for (size_t c = 0; c < district->cell_count; c++)
            if (strcmp (district->cells [c].name, names [n]) == 0) {
                used += (size_t) snprintf (canonical + used, sizeof canonical - used,
                                           "+%zu:%s+%zu:%s", strlen (names [n]), names [n],
                                           strlen (district->cells [c].value),
                                           district->cells [c].value);
                found++;
            }
    assert_int_equal (found, district->cell_count);
    assert_true (used < sizeof canonical);
    zdigest_t *digest = zdigest_new ();
    assert_non_null (digest);
    zdigest_update (digest, (const byte *) canonical, used);
    char expected [FEED_ID_SIZE];
    snprintf (expected, sizeof expected, FEED_ID_PREFIX "%s", zdigest_string (digest));
    for (char *c = expected; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    zdigest_destroy (&digest);
    assert_string_equal (district_id, expected);
    //  Grant's total comes from line 14, after the record of lines 10-11.
    assert_int_equal (feed_table (feeds [0], 2)->total.line, 15);
    for (size_t f = 0; f < 4; f++) {
        feed_destroy (&feeds [f]);
        feed_map_destroy (&maps [f]);
    }
}

//  A table's status and extraction date are checked on every row that
//  gives them, whether the mapping gives them as a constant or a column:
//  a bad one refuses each row, naming it; a good one reaches the table.
static void
test_feed_status_and_date_are_checked_as_constants_or_columns (void **state)
{
    (void) state;
    char text [4096];
    s_caaspp_text (text, sizeof text, "62.50");
    static const char *const cases [][2] = {
        {"\"status\": \"provisional\", \"extracted_on\": \"2025-10-01\"", NULL},
        {"\"status\": \"finished\"",
         "the status is 'finished': expected final, provisional or estimated"},
        {"\"extracted_on\": \"2025-02-30\"",
         "the extracted_on is '2025-02-30': expected a date like 2025-10-01"},
        {"\"status\": {\"column\": \"Test ID\"}",
         "'Test ID' is '1': expected final, provisional or estimated"},
        {"\"extracted_on\": {\"column\": \"Grade\"}",
         "'Grade' is '03': expected a date like 2025-10-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char map_text [sizeof s_map + 128];
        snprintf (map_text, sizeof map_text, "%.*s, %s}\n", (int) (strrchr (s_map, '}') - s_map),
                  s_map, cases [i][0]);
        feed_map_t *map;
        feed_t *feed = s_parse (map_text, FEED_CSV, text, 4096, &map);
        assert_int_equal (feed_table_count (feed), 3);
        if (!cases [i][1]) {
            assert_int_equal (feed_problem_count (feed), 0);
            for (size_t t = 0; t < 3; t++) {
                assert_string_equal (feed_table (feed, t)->status, "provisional");
                assert_string_equal (feed_table (feed, t)->extracted_on, "2025-10-01");
                assert_null (feed_table (feed, t)->refusal);
            }
        } else {
            //  Fourteen rows, three of which the mapping skips.
            assert_int_equal (feed_problem_count (feed), 11);
            for (size_t p = 0; p < 11; p++)
                assert_string_equal (feed_problem (feed, p)->message, cases [i][1]);
            for (size_t t = 0; t < 3; t++)
                assert_non_null (feed_table (feed, t)->refusal);
        }
        feed_destroy (&feed);
        feed_map_destroy (&map);
    }
}

//  What is wrong with a mapping, or with a file under it, is said in one
//  line that names it.
static void
test_feed_mapping_errors_name_what_is_wrong (void **state)
{
    (void) state;
    char error [256];
    static const char *const cases [][2] = {
        {"[]", "a mapping is one JSON object (see the README's guide for integrators)"},
        {"{\"indicator\": \"k\", \"period\": \"p\", \"group\": {\"colum\": \"g\"}}",
         "\"group\" has no member \"colum\": it takes value, column, columns, join, map, "
         "unmapped, rewrite, optional"},
        {"{\"indicator\": \"k\", \"period\": \"p\", \"group\": {\"column\": \"g\"}, "
         "\"value\": {\"column\": \"v\"}}",
         "\"value\" needs \"as\": \"percent\", \"numerator\", \"value\" or \"table\""},
        {"{\"indicator\": \"k\", \"period\": \"p\", \"group\": {\"column\": \"g\", \"map\": "
         "{\"1\": \"all\"}}, \"value\": {\"column\": \"v\", \"as\": \"percent\"}, \"size\": "
         "\"s\"}",
         "\"group\".map: \"1\" maps to \"all\", which is neither total nor a cell like "
         "race=black"},
        {"{\"indicator\": \"k\", \"period\": \"p\", \"group\": {\"column\": \"g\"}, "
         "\"value\": {\"column\": \"v\", \"as\": \"percent\"}}",
         "a mapping needs \"size\": the column of each row's number of people"},
        {"{\"filters\": [{\"column\": \"g\", \"equals\": 3}]}",
         "filters[0] takes \"equals\" or \"not\" (a string), or \"in\" or \"not_in\" (an array "
         "of strings), not \"equals\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        feed_map_t *map = feed_map_new (cases [i][0], error, sizeof error);
        assert_null (map);
        assert_string_equal (error, cases [i][1]);
    }
    //  A header without a column the mapping reads stops the file.
    feed_map_t *map = feed_map_new (s_map, error, sizeof error);
    assert_non_null (map);
    feed_config_t config = {map, FEED_CSV, "early-literacy", NULL, 0};
    feed_t *feed = feed_new (&config);
    static const char text [] = "County Code,Grade,Test ID\n01,03,1\n";
    assert_int_equal (feed_push (feed, text, strlen (text)), CIBUS_ERR_USAGE);
    assert_string_equal (feed_error (feed),
                         "the header (line 1) has no column 'Test Year', which the mapping "
                         "reads; its columns are: County Code, Grade, Test ID");
    feed_destroy (&feed);
    feed_map_destroy (&map);
}

//  Read text with feed_read in two pieces cut at cut, each read in two
//  parts side by side; the parts taken are added to *parts.
static feed_t *
s_read_in_parts (const feed_map_t *map, feed_format_t format, const char *text, size_t cut,
                 size_t *parts)
{
    feed_config_t config = {map, format, "early-literacy", "alice", 1};
    feed_t *feed = feed_new (&config);
    assert_non_null (feed);
    size_t len = strlen (text);
    assert_int_equal (feed_read (feed, text, cut), CIBUS_OK);
    assert_int_equal (feed_read (feed, text + cut, len - cut), CIBUS_OK);
    assert_int_equal (feed_finish (feed), CIBUS_OK);
    *parts += feed_parts (feed);
    return feed;
}

//  feed_read reads a file in two parts side by side and groups the
//  second's rows after the first's: for every place the parts can start
//  and end - inside a quoted field across lines, between a CR and its LF,
//  in a table whose rows lie on both sides, at a line a part refuses -
//  it gives what feed_push gives for the same bytes, problems, lines and
//  ids included.
static void
test_feed_read_in_two_parts_gives_what_push_gives (void **state)
{
    (void) state;
    char caaspp [4096];
    s_caaspp_text (caaspp, sizeof caaspp, "62.50");
    //  Tables whose rows lie far apart, a cell given twice far apart, a
    //  lone CR, malformed records, a last line without its end.
    static const char scattered [] =
        S_HEADER "\n"
        "01,61119,6090039,2025,1,03,1,120,62.50,Grant\n"
        "01,61119,6090047,2025,1,03,1,80,50.00,Hoover\r"
        "01,61119,6090039,2025,74,03,1,40,25.00,Grant\n"
        "01,61119,6090054,2025,1,03,1,abc,50.00,Jefferson\n"
        "01,61119,\"6090062,2025,1,03,1,80,50.00,Kennedy\n"
        "\n"
        "01,61119,6090047,2025,74,03,1,20,50.00,Hoover\r\n"
        "01,61119,6090070,2025,1,03,1,80,50.00,\"Lee,\r\nNorth\"\n"
        "01,61119,6090039,2025,74,03,1,40,25.00,Grant again\n"
        "01,61119,6090088,2025,1,03,1,7,33.3,Madison\n"
        "01,61119,6090070,2025,80,03,1,40,50.00,Lee\n"
        "01,61119,6090096,2025,1,03,1,80,50.00,\"Nixon";
    const struct {
        const char *text;
        feed_format_t format;
    } files [] = {{caaspp, FEED_CSV}, {scattered, FEED_CSV}, {s_caaspp_jsonl, FEED_JSONL}};
    for (size_t f = 0; f < sizeof files / sizeof files [0]; f++) {
        feed_map_t *map;
        feed_t *pushed = s_parse (s_map, files [f].format, files [f].text, 7, &map);
        //  The scattered file's problems: the count, the quote, the
        //  percentage, the cell given twice, the quote never closed.
        if (files [f].text == scattered)
            assert_int_equal (feed_problem_count (pushed), 5);
        size_t len = strlen (files [f].text), parts = 0;
        for (size_t cut = 0; cut <= len; cut++) {
            feed_t *read = s_read_in_parts (map, files [f].format, files [f].text, cut, &parts);
            const char *difference = feed_same (pushed, read);
            if (difference)
                fprintf (stderr, "file %zu, cut at %zu: %s\n", f, cut, difference);
            assert_null (difference);
            feed_destroy (&read);
        }
        //  The parts were taken for many of the cuts, so that the check
        //  above is of them too, not only of the feed reading alone (the
        //  scattered file's quote opened on line 6 spans lines 6 to 10:
        //  a part that starts or ends there is given up).
        assert_true (parts > (len + 1) / 4);
        feed_destroy (&pushed);
        feed_map_destroy (&map);
    }
}

//  A long export, so that the part gives its rows many times over and in
//  many blocks: schools of four rows, with now and then a school name
//  quoted across two lines, a malformed line, a percentage no whole
//  number of people gives, a row of an earlier school far from it, and at
//  the end a quote never closed, so that the part ends inside a record.
//  feed_read gives what feed_push gives, whatever the cut.
static void
test_feed_read_in_two_parts_holds_for_a_long_export (void **state)
{
    (void) state;
    const size_t schools = 6000;
    size_t cap = schools * 4 * 96 + 4096, used = 0;
    char *text = malloc (cap);
    assert_non_null (text);
    used += (size_t) snprintf (text + used, cap - used, S_HEADER "\r\n");
    const char *groups [] = {"1", "74", "78", "80"};
    const unsigned sizes [] = {120, 40, 50, 30};
    for (size_t school = 0; school < schools; school++) {
        for (size_t g = 0; g < 4; g++) {
            const char *name = school % 101 == 7 && g == 0 ? "\"North\r\nCampus\"" : "Lincoln";
            const char *percent = school % 89 == 5 && g == 2 ? "33.3" : "50.00";
            if (school % 97 == 3 && g == 3)
                used += (size_t) snprintf (text + used, cap - used,
                                           "01,61119,\"%07zu,2025,%s,03,1,%u,50.00,%s\n",
                                           6000000 + school, groups [g], sizes [g], name);
            else
                used += (size_t) snprintf (text + used, cap - used,
                                           "01,61119,%07zu,2025,%s,03,1,%u,%s,%s\r\n",
                                           6000000 + school, groups [g], sizes [g], percent,
                                           name);
        }
        if (school % 50 == 49) //  a row of a school read long before
            used += (size_t) snprintf (text + used, cap - used,
                                       "01,61119,%07zu,2025,76,03,1,10,50.00,Lincoln\n",
                                       6000000 + school / 3);
    }
    used += (size_t) snprintf (text + used, cap - used,
                               "01,61119,7000000,2025,1,03,1,10,50.00,\"Never\nclosed\n");
    assert_true (used < cap);
    feed_map_t *map;
    feed_t *pushed = s_parse (s_map, FEED_CSV, text, 4096, &map);
    assert_true (feed_problem_count (pushed) > 100);
    const size_t cuts [] = {0, used / 3, used / 2, used - 40, used};
    size_t parts = 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts [0]; i++) {
        feed_t *read = s_read_in_parts (map, FEED_CSV, text, cuts [i], &parts);
        const char *difference = feed_same (pushed, read);
        if (difference)
            fprintf (stderr, "cut at %zu: %s\n", cuts [i], difference);
        assert_null (difference);
        feed_destroy (&read);
    }
    assert_true (parts >= 5);
    feed_destroy (&pushed);
    feed_map_destroy (&map);
    free (text);
}

//  feed_ahead gives each table, in order, the publish it makes on its own
//  (whoever made it, the maker or the sender), and a refused table no
//  bytes; past FEED_AHEAD_MAX tables, its ring turns over.
static void
test_feed_ahead_gives_each_table_its_own_publish (void **state)
{
    (void) state;
    const size_t schools = FEED_AHEAD_MAX + 1000;
    size_t cap = schools * 2 * 80 + 256, used = 0;
    char *text = malloc (cap);
    assert_non_null (text);
    used += (size_t) snprintf (text + used, cap - used, S_HEADER "\n");
    for (size_t school = 0; school < schools; school++) {
        //  Every hundredth school has no total: refused before sending.
        if (school % 100 != 99)
            used += (size_t) snprintf (text + used, cap - used,
                                       "01,61119,%07zu,2025,1,03,1,80,50.00,Lincoln\n",
                                       6000000 + school);
        used += (size_t) snprintf (text + used, cap - used,
                                   "01,61119,%07zu,2025,74,03,1,40,25.00,Lincoln\n",
                                   6000000 + school);
    }
    feed_map_t *map;
    feed_t *feed = s_parse (s_map, FEED_CSV, text, 65536, &map);
    assert_int_equal (feed_table_count (feed), schools);
    feed_ahead_t *ahead = feed_ahead_new (feed, "early-literacy/data", false);
    assert_non_null (ahead);
    for (size_t i = 0; i < schools; i++) {
        size_t size;
        const char *message;
        cibus_err_t err;
        const uint8_t *bytes = feed_ahead_take (ahead, i, &size, &message, &err);
        assert_int_equal (err, CIBUS_OK);
        if (feed_table (feed, i)->refusal) {
            assert_null (bytes);
            feed_ahead_done (ahead, i);
            continue;
        }
        cibus_table_t *table = cibus_table_new ();
        cibus_envelope_t env;
        char why [512];
        codec_problem_t problem;
        assert_true (feed_envelope (feed, i, "early-literacy/data", table, &env, why, sizeof why));
        size_t own_size;
        uint8_t *own = cibus_publish_prepare (&env, false, &own_size, &problem);
        assert_non_null (own);
        assert_non_null (bytes);
        assert_int_equal (size, own_size);
        assert_memory_equal (bytes, own, size);
        free (own);
        cibus_table_destroy (&table);
        feed_ahead_done (ahead, i);
    }
    feed_ahead_destroy (&ahead);
    //  Stopped half way, it frees what it made.
    ahead = feed_ahead_new (feed, "early-literacy/data", false);
    assert_non_null (ahead);
    for (size_t i = 0; i < 10; i++) {
        size_t size;
        const char *message;
        cibus_err_t err;
        const uint8_t *bytes = feed_ahead_take (ahead, i, &size, &message, &err);
        assert_int_equal (err, CIBUS_OK);
        assert_true (bytes != NULL && size > 0);
        feed_ahead_done (ahead, i);
    }
    feed_ahead_destroy (&ahead);
    feed_destroy (&feed);
    feed_map_destroy (&map);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_feed_tables_do_not_depend_on_order_chunks_or_format),
        cmocka_unit_test (test_feed_read_in_two_parts_gives_what_push_gives),
        cmocka_unit_test (test_feed_read_in_two_parts_holds_for_a_long_export),
        cmocka_unit_test (test_feed_ahead_gives_each_table_its_own_publish),
        cmocka_unit_test (test_feed_mapping_errors_name_what_is_wrong),
        cmocka_unit_test (test_feed_status_and_date_are_checked_as_constants_or_columns),
        cmocka_unit_test_setup_teardown (test_feed_caaspp_file_loads_its_tables, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_run_twice_publishes_nothing_new, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_changed_value_is_one_correction, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_jsonl_gives_the_same_tables, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_dry_run_publishes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_queue_stores_the_tables_for_sync_to_send,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_for_a_partner_not_fed_sends_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_malformed_lines_are_reported_and_the_rest_loads,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_feed_broker_killed_mid_feed_then_rerun_stores_each_table_once, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
