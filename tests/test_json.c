/*  test_json.c - the JSON cibus prints, written by jansson through
    common/cibus_json.h: escaping, numbers in the fewest digits that read
    back exactly, and valid JSON whatever bytes a string holds (entries
    stored before the codec refused invalid UTF-8, names written into the
    registry by other means, may hold any): each byte that is not part of
    well-formed UTF-8 is written as U+FFFD. The broker refuses such text on
    publish, so the rendering functions are given it directly, and the
    registry is written behind cibusd's back.                             */

#include "cibus_json.h"
#include "datadir.h"
#include "harness.h"
#include "render.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  U+FFFD, the replacement character, as UTF-8.
#define S_FFFD "\xef\xbf\xbd"

//  The text of value, dropped after; the caller frees the text.
static char *
s_text (json_t *value)
{
    assert_non_null (value);
    char *text = cibus_json_text (value);
    json_decref (value);
    assert_non_null (text);
    return text;
}

//  Whether text is one JSON value that jansson's own reader accepts: it
//  refuses invalid UTF-8 and anything else that is not JSON.
static bool
s_valid (const char *text)
{
    json_error_t error;
    json_t *value = json_loads (text, JSON_DECODE_ANY, &error);
    if (!value)
        fprintf (stderr, "not JSON (%s at %d): %s\n", error.text, error.position, text);
    json_decref (value);
    return value != NULL;
}

//  The text of one string value equals expected, and reads back.
static void
s_assert_string (const char *value, const char *expected)
{
    char *text = s_text (cibus_json_string (value));
    assert_string_equal (text, expected);
    assert_true (s_valid (text));
    free (text);
}

//  Whether the whole text is well-formed UTF-8.
static bool
s_well_formed (const char *text)
{
    return cibus_json_is_utf8 (text, strlen (text));
}

static void
test_json_escapes_what_json_requires (void **state)
{
    (void) state;
    s_assert_string ("say \"hi\" \\ bye", "\"say \\\"hi\\\" \\\\ bye\"");
    s_assert_string ("a\tb\nc\rd", "\"a\\tb\\nc\\rd\"");
    //  jansson writes other control characters as \u with upper-case hex.
    s_assert_string ("\x1b[2J\x01", "\"\\u001B[2J\\u0001\"");
    s_assert_string (NULL, "\"\"");
}

static void
test_json_keeps_well_formed_text_as_it_is (void **state)
{
    (void) state;
    s_assert_string ("Bogot\xc3\xa1", "\"Bogot\xc3\xa1\"");
    s_assert_string ("\xe6\x9d\xb1\xe4\xba\xac", "\"\xe6\x9d\xb1\xe4\xba\xac\"");
    s_assert_string ("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
}

static void
test_json_writes_invalid_utf8_as_replacement_characters (void **state)
{
    (void) state;
    //  jansson alone refuses the string: without the repair the field is lost.
    assert_null (json_string ("\xff\xfe"));
    //  One U+FFFD (EF BF BD) for each byte that is not part of a character.
    s_assert_string ("\xff\xfe", "\"" S_FFFD S_FFFD "\"");
    s_assert_string ("a\xc0\xaf-z", "\"a" S_FFFD S_FFFD "-z\"");
    s_assert_string ("\xed\xa0\x80", "\"" S_FFFD S_FFFD S_FFFD "\"");
    s_assert_string ("\xe2\x82", "\"" S_FFFD S_FFFD "\"");
    //  A character cut short before a quote does not swallow the quote.
    s_assert_string ("\xe2\"x", "\"" S_FFFD "\\\"x\"");
    char *text = s_text (cibus_json_string ("caf\xe9 \xf4\x90\x80\x80 \x80"));
    assert_true (s_well_formed (text));
    assert_true (s_valid (text));
    free (text);
    //  Keys are written the same way.
    json_t *object = json_object ();
    assert_int_equal (cibus_json_set (object, "k\xff", cibus_json_string ("v")), 0);
    assert_int_equal (cibus_json_set (object, NULL, json_true ()), 0);
    text = s_text (object);
    assert_string_equal (text, "{\"k" S_FFFD "\":\"v\",\"\":true}");
    assert_true (s_valid (text));
    free (text);
}

static void
test_json_numbers_read_back_exactly_in_the_fewest_digits (void **state)
{
    (void) state;
    //  A whole number as an integer, not jansson's 48.0; the usual reals
    //  in 15 digits; no NaN or infinity in JSON.
    json_t *object = json_object ();
    double values [] = {48, -3, 61.5, 0.1, 52.5, 1e20, 0.325};
    const char *keys [] = {"a", "b", "c", "d", "e", "f", "g"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal (cibus_json_set (object, keys [i], cibus_json_number (values [i])), 0);
    assert_int_equal (cibus_json_set (object, "nan", cibus_json_number (NAN)), 0);
    assert_int_equal (cibus_json_set (object, "inf", cibus_json_number (INFINITY)), 0);
    assert_int_equal (cibus_json_set (object, "big", cibus_json_u64 (INT64_MAX)), 0);
    char *text = s_text (object);
    assert_string_equal (text, "{\"a\":48,\"b\":-3,\"c\":61.5,\"d\":0.1,\"e\":52.5,\"f\":1e20,"
                               "\"g\":0.325,\"nan\":null,\"inf\":null,"
                               "\"big\":9223372036854775807}");
    assert_true (s_valid (text));
    free (text);
    //  A count beyond jansson's integers is a real, as exact as a double is.
    text = s_text (cibus_json_u64 (UINT64_MAX));
    assert_string_equal (text, "1.8446744073709552e19");
    free (text);

    //  A value that needs 17 digits gets them, and so do the others of its
    //  line (jansson takes one precision for a text): each reads back.
    double share = 100.0 * 254 / 412;
    json_t *line = json_array ();
    assert_int_equal (json_array_append_new (line, cibus_json_number (share)), 0);
    assert_int_equal (json_array_append_new (line, cibus_json_number (0.1)), 0);
    assert_int_equal (json_array_append_new (line, cibus_json_number (61.5)), 0);
    text = s_text (line);
    assert_string_equal (text, "[61.650485436893206,0.10000000000000001,61.5]");
    json_t *back = json_loads (text, 0, NULL);
    assert_non_null (back);
    assert_true (json_real_value (json_array_get (back, 0)) == share);
    assert_true (json_real_value (json_array_get (back, 1)) == 0.1);
    json_decref (back);
    free (text);
}

static void
test_json_print_prints_nothing_for_a_value_that_ran_out_of_memory (void **state)
{
    (void) state;
    //  A builder that ran out of memory hands NULL on; a setter given NULL
    //  fails, and the line is not printed at all.
    json_t *object = json_object ();
    assert_int_equal (cibus_json_set (object, "lost", NULL), -1);
    json_decref (object);
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&printed, &size);
    assert_non_null (out);
    assert_false (cibus_json_print (NULL, out));
    assert_true (cibus_json_print (json_integer (7), out));
    fclose (out);
    assert_string_equal (printed, "7\n");
    free (printed);
}

//  ---------------------------------------------------------------- render

static void
test_json_a_note_titled_with_invalid_bytes_renders_as_valid_json (void **state)
{
    (void) state;
    Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
    note.title = "\xff\xfe";
    note.body = "minutes: caf\xe9";
    char *decisions [] = {"fund tutors", "\xc0\xaf"};
    note.decisions = decisions;
    note.n_decisions = 2;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.seq = 7;
    env.topic = "early-literacy/note";
    env.partner = "alice";
    env.id = "n-1";
    env.received_at = 1790000000000000;
    env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    env.note = &note;
    char *text = s_text (render_envelope_json (&env));
    assert_string_equal (text, "{\"seq\":7,\"topic\":\"early-literacy/note\",\"partner\":\"alice\","
                               "\"id\":\"n-1\",\"received_at\":1790000000000000,\"kind\":\"note\","
                               "\"title\":\"" S_FFFD S_FFFD "\",\"body\":\"minutes: caf" S_FFFD
                               "\",\"attendees\":[],\"decisions\":[\"fund tutors\",\"" S_FFFD
                               S_FFFD "\"]}");
    assert_true (s_valid (text));
    free (text);
}

static void
test_json_a_table_with_invalid_bytes_renders_as_valid_json (void **state)
{
    (void) state;
    Cibus__Dimension dimension = CIBUS__DIMENSION__INIT;
    dimension.key = "r\377ce"; //  octal: \xffce would be one escape
    dimension.value = "bl\xfe";
    Cibus__Dimension *dimensions [] = {&dimension};
    Cibus__DataCell cell = CIBUS__DATA_CELL__INIT, total = CIBUS__DATA_CELL__INIT;
    cell.dimensions = dimensions;
    cell.n_dimensions = 1;
    cell.has_numerator = cell.has_denominator = cell.has_value = true;
    cell.numerator = 52;
    cell.denominator = 160;
    cell.value = 32.5;
    total.has_numerator = total.has_denominator = total.has_value = true;
    total.numerator = 168;
    total.denominator = 410;
    total.value = 100.0 * 168 / 410;
    Cibus__DataCell *cells [] = {&cell};
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3";
    data.period = "2026-Q3";
    data.owner = "east\xff";
    data.has_version = true;
    data.version = 1;
    data.total = &total;
    data.cells = cells;
    data.n_cells = 1;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.seq = 2;
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    char *text = s_text (render_envelope_json (&env));
    assert_string_equal (text, "{\"seq\":2,\"received_at\":0,\"kind\":\"data\",\"indicator\":\"k3\","
                               "\"period\":\"2026-Q3\",\"owner\":\"east" S_FFFD "\",\"version\":1,"
                               "\"masked\":false,\"superseded\":false,\"total\":{\"numerator\":168,"
                               "\"denominator\":410,\"value\":40.97560975609756},\"cells\":[{"
                               "\"dimensions\":{\"r" S_FFFD "ce\":\"bl" S_FFFD "\"},"
                               "\"numerator\":52,\"denominator\":160,\"value\":32.5}],"
                               "\"status\":\"final\"}");
    assert_true (s_valid (text));
    free (text);

    //  A query's tables: titles, column names and texts the same way.
    Cibus__Cell number = CIBUS__CELL__INIT, word = CIBUS__CELL__INIT;
    number.has_number = true;
    number.number = 41.5;
    word.text = "\xfe";
    Cibus__Cell *row_cells [] = {&number, &word};
    Cibus__Row row = CIBUS__ROW__INIT;
    row.cells = row_cells;
    row.n_cells = 2;
    Cibus__Row *rows [] = {&row};
    char *columns [] = {"value", "gr\xffup"};
    Cibus__Table table = CIBUS__TABLE__INIT;
    table.title = "values \xff";
    table.columns = columns;
    table.n_columns = 2;
    table.rows = rows;
    table.n_rows = 1;
    Cibus__Table *tables [] = {&table};
    Cibus__QueryReply reply = CIBUS__QUERY_REPLY__INIT;
    reply.tables = tables;
    reply.n_tables = 1;
    text = s_text (render_tables_json (&reply));
    assert_string_equal (text, "{\"tables\":[{\"title\":\"values " S_FFFD "\",\"rows\":["
                               "{\"value\":41.5,\"gr" S_FFFD "up\":\"" S_FFFD "\"}]}]}");
    assert_true (s_valid (text));
    free (text);
}

//  Each kind of cell of a query's answer is its own JSON type: a number a
//  number, an empty cell null (not ""), a hidden value and a coded one
//  objects that say they are suppressed; a text only like a range is text.
static void
test_json_answer_cells_are_typed_by_their_kind (void **state)
{
    (void) state;
    Cibus__Cell cells [9];
    for (size_t i = 0; i < 9; i++)
        cibus__cell__init (&cells [i]);
    cells [0].has_number = cells [1].has_number = true;
    cells [0].number = 61.75;
    cells [1].number = 410;
    //  cells [2]: empty, neither text nor number
    cells [3].text = "";
    cells [4].text = "*";
    cells [5].text = "<=5";
    cells [6].text = ">=0.05";
    cells [7].text = "<=five";
    cells [8].text = "*a";
    Cibus__Cell *row_cells [] = {&cells [0], &cells [1], &cells [2], &cells [3], &cells [4],
                                 &cells [5], &cells [6], &cells [7], &cells [8]};
    char *columns [] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    Cibus__Row row = CIBUS__ROW__INIT;
    row.cells = row_cells;
    row.n_cells = 9;
    Cibus__Row *rows [] = {&row};
    Cibus__Table table = CIBUS__TABLE__INIT;
    table.columns = columns;
    table.n_columns = 9;
    table.rows = rows;
    table.n_rows = 1;
    Cibus__Table *tables [] = {&table};
    Cibus__QueryReply reply = CIBUS__QUERY_REPLY__INIT;
    reply.tables = tables;
    reply.n_tables = 1;
    char *text = s_text (render_tables_json (&reply));
    assert_string_equal (text, "{\"tables\":[{\"title\":null,\"rows\":[{\"a\":61.75,\"b\":410,"
                               "\"c\":null,\"d\":\"\",\"e\":{\"suppressed\":true},"
                               "\"f\":{\"suppressed\":true,\"range\":\"<=5\"},"
                               "\"g\":{\"suppressed\":true,\"range\":\">=0.05\"},"
                               "\"h\":\"<=five\",\"i\":\"*a\"}]}]}");
    assert_true (s_valid (text));
    free (text);
}

//  ---------------------------------------------------------------- commands

//  Rename a registered partner to name, behind cibusd's back, as a registry
//  written by other means than `cibusd partner add` could hold it.
static void
s_rename_partner (const char *data, const char *from, const char *name)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", data, DATADIR_DB);
    sqlite3 *db;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_busy_timeout (db, HARNESS_DEADLINE_MSEC), SQLITE_OK);
    const char *updates [] = {"UPDATE partners SET name = ?1 WHERE name = ?2",
                              "UPDATE partner_networks SET partner = ?1 WHERE partner = ?2"};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *stmt;
        assert_int_equal (sqlite3_prepare_v2 (db, updates [i], -1, &stmt, NULL), SQLITE_OK);
        sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, from, -1, SQLITE_STATIC);
        assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
        assert_int_equal (sqlite3_changes (db), 1);
        sqlite3_finalize (stmt);
    }
    assert_int_equal (sqlite3_close (db), SQLITE_OK);
}

//  Every line of text is valid JSON; how many there are.
static size_t
s_valid_lines (char *text)
{
    size_t lines = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"), lines++)
        assert_true (s_valid (line));
    return lines;
}

static void
test_json_partner_list_and_whoami_stay_valid_with_invalid_names (void **state)
{
    harness_world_t *world = *state;
    s_rename_partner (world->data, "alice", "al\xff\xfe");
    char *out, *err;
    assert_int_equal (harness_cibusd (&out, &err, "partner", "list", "--data", world->data,
                                      "--json", NULL),
                      0);
    assert_non_null (strstr (out, "{\"name\":\"al" S_FFFD S_FFFD "\",\"role\":\"partner\","
                                  "\"key\":\""));
    assert_non_null (strstr (out, "\"networks\":[\"early-literacy\"]}"));
    assert_int_equal (s_valid_lines (out), 4);
    free (out), free (err);

    //  The broker reloads the registry it finds changed, and answers alice's
    //  key with the name as stored.
    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->alice, "--json",
                                     NULL),
                      0);
    assert_string_equal (out, "{\"partner\":\"al" S_FFFD S_FFFD "\",\"role\":\"partner\"}\n");
    assert_int_equal (s_valid_lines (out), 1);
    free (out), free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_json_escapes_what_json_requires),
        cmocka_unit_test (test_json_keeps_well_formed_text_as_it_is),
        cmocka_unit_test (test_json_writes_invalid_utf8_as_replacement_characters),
        cmocka_unit_test (test_json_numbers_read_back_exactly_in_the_fewest_digits),
        cmocka_unit_test (test_json_print_prints_nothing_for_a_value_that_ran_out_of_memory),
        cmocka_unit_test (test_json_a_note_titled_with_invalid_bytes_renders_as_valid_json),
        cmocka_unit_test (test_json_a_table_with_invalid_bytes_renders_as_valid_json),
        cmocka_unit_test (test_json_answer_cells_are_typed_by_their_kind),
        cmocka_unit_test_setup_teardown (
            test_json_partner_list_and_whoami_stay_valid_with_invalid_names,
            harness_world_setup, harness_world_teardown),
    };
    return cmocka_run_group_tests_name ("json", tests, NULL, NULL);
}
