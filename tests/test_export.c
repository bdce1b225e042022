/*  test_export.c - the answers of the queries as files for a spreadsheet
    and for programs: `--format csv` (RFC 4180, read back here with
    libcsv) and `--format json`, against a real broker. A value hidden
    from the reader stays visibly suppressed in both, never a zero or a
    blank; an empty cell is empty in CSV and null in JSON.             */

#include "harness.h"
#include "render.h"

#include <csv.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

//  alice's unit: a token may hold a comma and a quote, which CSV must quote.
#define S_UNIT "lincoln,\"el\""

//  ---------------------------------------------------------------- CSV read back

static bool
s_starts_with (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

#define S_MAX_RECORDS 64
#define S_MAX_FIELDS  32

//  A CSV text as libcsv reads it, strictly: its records and their fields.
typedef struct {
    char *fields [S_MAX_RECORDS][S_MAX_FIELDS];
    size_t width [S_MAX_RECORDS];
    size_t count;
    bool overflow;
} s_csv_t;

static void
s_csv_field (void *data, size_t len, void *arg)
{
    s_csv_t *csv = arg;
    if (csv->count >= S_MAX_RECORDS || csv->width [csv->count] >= S_MAX_FIELDS) {
        csv->overflow = true;
        return;
    }
    csv->fields [csv->count][csv->width [csv->count]++] = strndup (data ? data : "", len);
}

static void
s_csv_end (int terminator, void *arg)
{
    (void) terminator;
    s_csv_t *csv = arg;
    if (csv->count < S_MAX_RECORDS)
        csv->count++;
    else
        csv->overflow = true;
}

static s_csv_t *
s_csv_read (const char *text)
{
    s_csv_t *csv = calloc (1, sizeof *csv);
    assert_non_null (csv);
    struct csv_parser parser;
    assert_int_equal (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI), 0);
    size_t len = strlen (text);
    assert_int_equal (csv_parse (&parser, text, len, s_csv_field, s_csv_end, csv), len);
    assert_int_equal (csv_fini (&parser, s_csv_field, s_csv_end, csv), 0);
    csv_free (&parser);
    assert_false (csv->overflow);
    return csv;
}

static void
s_csv_free (s_csv_t **csv_p)
{
    s_csv_t *csv = *csv_p;
    for (size_t r = 0; r < csv->count; r++)
        for (size_t f = 0; f < csv->width [r]; f++)
            free (csv->fields [r][f]);
    free (csv);
    *csv_p = NULL;
}

//  A field read back is the cell the JSON form gives: a number the same
//  number (whole ones without ".0"), null empty, a suppressed cell "*" or
//  its range, a text itself.
static void
s_assert_field_is (const char *field, json_t *cell)
{
    char text [64];
    if (json_is_null (cell))
        assert_string_equal (field, "");
    else if (json_is_string (cell))
        assert_string_equal (field, json_string_value (cell));
    else if (json_is_integer (cell)) {
        snprintf (text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value (cell));
        assert_string_equal (field, text);
    } else if (json_is_real (cell)) {
        char *end;
        double value = strtod (field, &end);
        assert_int_equal (*end, 0);
        assert_true (value == json_real_value (cell));
    } else {
        assert_true (json_is_true (json_object_get (cell, "suppressed")));
        json_t *range = json_object_get (cell, "range");
        assert_string_equal (field, range ? json_string_value (range) : "*");
    }
}

//  The CSV of an answer holds the same tables, rows and cells as its JSON:
//  one table as a header and its rows; several as blocks, each a header
//  whose first column is `table` and rows whose first field is the title,
//  one empty line between blocks. Every line ends in CRLF.
static void
s_assert_csv_is_json (const char *csv_text, const char *json_text)
{
    json_error_t error;
    json_t *answer = json_loads (json_text, 0, &error);
    assert_non_null (answer);
    json_t *tables = json_object_get (answer, "tables");
    size_t table_count = json_array_size (tables);
    bool blocks = table_count > 1;
    s_csv_t *csv = s_csv_read (csv_text);

    size_t record = 0, lf_in_fields = 0;
    for (size_t t = 0; t < table_count; t++) {
        json_t *table = json_array_get (tables, t);
        json_t *rows = json_object_get (table, "rows");
        //  The header: the columns, in the order of the JSON rows' keys.
        assert_true (record < csv->count);
        char **header = csv->fields [record];
        size_t skip = blocks ? 1 : 0;
        if (blocks)
            assert_string_equal (header [0], "table");
        if (json_array_size (rows)) {
            json_t *first = json_array_get (rows, 0);
            assert_int_equal (csv->width [record], json_object_size (first) + skip);
            const char *key;
            json_t *cell;
            size_t c = skip;
            json_object_foreach (first, key, cell)
            {
                assert_string_equal (header [c++], key);
            }
        }
        size_t width = csv->width [record++];
        for (size_t r = 0; r < json_array_size (rows); r++, record++) {
            assert_true (record < csv->count);
            assert_int_equal (csv->width [record], width);
            char **fields = csv->fields [record];
            if (blocks)
                assert_string_equal (fields [0],
                                     json_string_value (json_object_get (table, "title")));
            for (size_t c = skip; c < width; c++) {
                s_assert_field_is (fields [c],
                                   json_object_get (json_array_get (rows, r), header [c]));
                lf_in_fields += harness_count (fields [c], "\n");
            }
        }
    }
    assert_int_equal (record, csv->count);
    //  CRLF ends every line; a bare LF is one inside a quoted field.
    size_t bare_lf = 0;
    for (const char *at = csv_text; *at; at++)
        if (*at == '\n' && (at == csv_text || at [-1] != '\r'))
            bare_lf++;
    assert_int_equal (bare_lf, lf_in_fields);
    assert_int_equal (harness_count (csv_text, "\r\n\r\n"), blocks ? table_count - 1 : 0);
    assert_false (s_starts_with (csv_text, "\r\n"));
    s_csv_free (&csv);
    json_decref (answer);
}

//  ---------------------------------------------------------------- the world

//  alice's table for unit S_UNIT, as carol, another partner of the
//  network, reads it: asian (6 people) hidden, hispanic hidden as its
//  complement, white near 100 % coded, black and the total shown. A note
//  whose title holds a comma and quotes, and a decision a line break.
static void
s_publish (harness_world_t *world, char *carol, size_t size)
{
    char *out, *err;
    assert_true (harness_define_k3 (world));
    int rc = harness_cibus (world, &out, &err, "submit", "--key", world->alice, "--network",
                            "early-literacy", "--indicator", "k3-reading", "--period", "2026-Q3",
                            "--unit", S_UNIT, "--total", "246/410", "--cell", "race=black:52/160",
                            "--cell", "race=hispanic:52/104", "--cell", "race=white:139/140",
                            "--cell", "race=asian:3/6", NULL);
    if (rc)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    free (out), free (err);
    rc = harness_cibus (world, &out, &err, "note", "--key", world->alice, "--network",
                        "early-literacy", "--title", "Reading, \"leveled\" libraries", "--held-on",
                        "2026-09-15", "--decision", "pilot\nin 3 schools", "--decision",
                        "meet monthly", NULL);
    assert_int_equal (rc, 0);
    free (out), free (err);
    const char *early [] = {"early-literacy", NULL};
    assert_true (
        harness_add_partner (world->data, world->dir, "carol", "partner", early, carol, size));
}

//  Run a query as reader and return its stdout, expecting exit 0.
static char *
s_ask (harness_world_t *world, const char *reader, const char *query, const char *arg1,
       const char *arg2, const char *arg3, const char *format)
{
    char *out, *err;
    int rc = harness_cibus (world, &out, &err, query, "--key", reader, "--format", format, arg1,
                            arg2, arg3, NULL);
    if (rc)
        fprintf (stderr, "%s", err);
    assert_int_equal (rc, 0);
    free (err);
    return out;
}

//  ---------------------------------------------------------------- tests

static void
test_export_values_csv_shows_suppressed_cells_and_quotes_what_needs_it (void **state)
{
    harness_world_t *world = *state;
    char carol [PATH_MAX];
    s_publish (world, carol, sizeof carol);

    char *csv =
        s_ask (world, carol, "values", "--indicator", "k3-reading", "--by=race,unit", "csv");
    assert_string_equal (csv, "period,group,partner,value,n,status,target,change\r\n"
                              "2026-Q3,all,\"alice/lincoln,\"\"el\"\"\",60,410,final,,\r\n"
                              "2026-Q3,asian,\"alice/lincoln,\"\"el\"\"\",*,*,final,,\r\n"
                              "2026-Q3,black,\"alice/lincoln,\"\"el\"\"\",32.5,160,final,,\r\n"
                              "2026-Q3,hispanic,\"alice/lincoln,\"\"el\"\"\",*,*,final,,\r\n"
                              "2026-Q3,white,\"alice/lincoln,\"\"el\"\"\",>=99,140,final,,\r\n");
    //  Read back, the cells are those of the JSON form.
    char *json = s_ask (world, carol, "values", "--indicator", "k3-reading", "--by=race,unit", "json");
    s_assert_csv_is_json (csv, json);
    s_csv_t *read = s_csv_read (csv);
    assert_int_equal (read->count, 6);
    assert_string_equal (read->fields [1][2], "alice/" S_UNIT);
    assert_string_equal (read->fields [4][3], "*");
    assert_string_equal (read->fields [5][3], ">=99");
    assert_string_equal (read->fields [5][6], "");
    s_csv_free (&read);
    free (csv), free (json);

    //  The owner reads its own table whole: no cell suppressed.
    csv = s_ask (world, world->alice, "values", "--indicator", "k3-reading", "--by=race,unit", "csv");
    assert_non_null (strstr (csv, "2026-Q3,asian,\"alice/lincoln,\"\"el\"\"\",50,6,final,,\r\n"));
    assert_non_null (strstr (csv, "2026-Q3,white,\"alice/lincoln,\"\"el\"\"\","
                                  "99.28571428571429,140,final,,\r\n"));
    assert_null (strstr (csv, "*"));
    json = s_ask (world, world->alice, "values", "--indicator", "k3-reading", "--by=race,unit", "json");
    s_assert_csv_is_json (csv, json);
    free (csv), free (json);
}

static void
test_export_values_json_has_null_and_suppressed_cells (void **state)
{
    harness_world_t *world = *state;
    char carol [PATH_MAX];
    s_publish (world, carol, sizeof carol);

    char *json = s_ask (world, carol, "values", "--indicator", "k3-reading", "--by=race,unit", "json");
    assert_string_equal (
        json,
        "{\"tables\":[{\"title\":\"values of k3-reading\",\"rows\":["
        "{\"period\":\"2026-Q3\",\"group\":\"all\",\"partner\":\"alice/lincoln,\\\"el\\\"\","
        "\"value\":60,\"n\":410,\"status\":\"final\",\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"asian\",\"partner\":\"alice/lincoln,\\\"el\\\"\","
        "\"value\":{\"suppressed\":true},\"n\":{\"suppressed\":true},\"status\":\"final\","
        "\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"black\",\"partner\":\"alice/lincoln,\\\"el\\\"\","
        "\"value\":32.5,\"n\":160,\"status\":\"final\",\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"hispanic\","
        "\"partner\":\"alice/lincoln,\\\"el\\\"\",\"value\":{\"suppressed\":true},"
        "\"n\":{\"suppressed\":true},\"status\":\"final\",\"target\":null,\"change\":null},"
        "{\"period\":\"2026-Q3\",\"group\":\"white\",\"partner\":\"alice/lincoln,\\\"el\\\"\","
        "\"value\":{\"suppressed\":true,\"range\":\">=99\"},\"n\":140,\"status\":\"final\","
        "\"target\":null,\"change\":null}]}]}\n");
    //  --json is --format json, byte for byte.
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "values", "--key", carol, "--indicator",
                                     "k3-reading", "--by", "race,unit", "--json", NULL),
                      0);
    assert_string_equal (out, json);
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "values", "--key", carol, "--indicator",
                                     "k3-reading", "--by", "race,unit", "--json", "--format", "json",
                                     NULL),
                      0);
    assert_string_equal (out, json);
    free (out), free (err);
    free (json);
}

//  The report and the history: several tables, one block each.
static void
test_export_report_and_history_csv_are_one_block_per_table (void **state)
{
    harness_world_t *world = *state;
    char carol [PATH_MAX];
    s_publish (world, carol, sizeof carol);

    char *csv = s_ask (world, carol, "report", "--period", "2026-Q3", NULL, "csv");
    char *json = s_ask (world, carol, "report", "--period", "2026-Q3", NULL, "json");
    s_assert_csv_is_json (csv, json);
    //  The first block: who has submitted, each row naming its table.
    assert_true (s_starts_with (csv, "table,partner,network,submitted,values\r\n"
                                     "submissions for 2026-Q3,alice,early-literacy,yes,5\r\n"
                                     "submissions for 2026-Q3,carol,early-literacy,no,0\r\n"
                                     "\r\n"));
    //  A table without rows is its header alone.
    assert_non_null (strstr (csv, "\r\n\r\ntable,id,owner,action,due,status,overdue\r\n\r\n"));
    //  The meeting: its title and decisions quoted, read back whole.
    assert_non_null (strstr (csv, "meetings,2026-09-15,alice,\"Reading, \"\"leveled\"\" "
                                  "libraries\",\"pilot\nin 3 schools; meet monthly\"\r\n"));
    s_csv_t *read = s_csv_read (csv);
    //  (Found by its table's title: the report's tables may grow.)
    char **meeting = NULL;
    for (size_t r = 0; r < read->count && !meeting; r++)
        if (strcmp (read->fields [r][0], "meetings") == 0)
            meeting = read->fields [r];
    assert_non_null (meeting);
    assert_string_equal (meeting [3], "Reading, \"leveled\" libraries");
    assert_string_equal (meeting [4], "pilot\nin 3 schools; meet monthly");
    s_csv_free (&read);
    free (csv), free (json);

    csv = s_ask (world, carol, "values", "--indicator=k3-reading", "--by=unit", "--history", "csv");
    json = s_ask (world, carol, "values", "--indicator=k3-reading", "--by=unit", "--history",
                  "json");
    s_assert_csv_is_json (csv, json);
    assert_true (s_starts_with (csv, "table,period,group,partner,value,n,status,target,change\r\n"
                                     "values of k3-reading,2026-Q3,all,"
                                     "\"alice/lincoln,\"\"el\"\"\",60,410,final,,\r\n\r\n"
                                     "table,period,group,partner,value,n,status,version,sent by,"
                                     "received,current\r\n"
                                     "history of k3-reading,2026-Q3,all,"));
    free (csv), free (json);

    //  Every other query, one table each: no `table` column.
    const char *queries [][3] = {{"indicators", NULL, NULL},
                                 {"notes", "--since", "2026-09-01"},
                                 {"commitments", NULL, NULL}};
    for (size_t q = 0; q < sizeof queries / sizeof queries [0]; q++) {
        csv = s_ask (world, carol, queries [q][0], queries [q][1], queries [q][2], NULL, "csv");
        json = s_ask (world, carol, queries [q][0], queries [q][1], queries [q][2], NULL, "json");
        assert_false (s_starts_with (csv, "table,"));
        s_assert_csv_is_json (csv, json);
        free (csv), free (json);
    }
}

//  The writer alone, on answers no broker sends: every field reads back as
//  the cell it was, whatever it holds.
static void
test_export_csv_quotes_every_field_that_would_not_read_back (void **state)
{
    (void) state;
    Cibus__Cell cells [8];
    for (size_t i = 0; i < 8; i++)
        cibus__cell__init (&cells [i]);
    cells [0].text = " padded";
    cells [1].text = "tab\t";
    cells [2].text = "two\r\nlines";
    cells [3].text = "bad \xff byte";
    cells [4].has_number = true;
    cells [4].number = 0.18;
    cells [5].has_number = true;
    cells [5].number = -3;
    cells [6].has_number = true;
    cells [6].number = INFINITY; //  never sent; empty, as JSON writes it null
    cells [7].text = "plain";
    Cibus__Cell *row_cells [] = {&cells [0], &cells [1], &cells [2], &cells [3],
                                 &cells [4], &cells [5], &cells [6], &cells [7]};
    char *columns [] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    Cibus__Row row = CIBUS__ROW__INIT;
    row.cells = row_cells;
    row.n_cells = 8;
    Cibus__Row *rows [] = {&row};
    Cibus__Table table = CIBUS__TABLE__INIT;
    table.title = "t";
    table.columns = columns;
    table.n_columns = 8;
    table.rows = rows;
    table.n_rows = 1;
    //  A table of one column whose one cell is empty: a line of its own.
    Cibus__Cell empty = CIBUS__CELL__INIT;
    Cibus__Cell *single_cells [] = {&empty};
    Cibus__Row single_row = CIBUS__ROW__INIT;
    single_row.cells = single_cells;
    single_row.n_cells = 1;
    Cibus__Row *single_rows [] = {&single_row};
    char *single_columns [] = {"share"};
    Cibus__Table single = CIBUS__TABLE__INIT;
    single.title = "s";
    single.columns = single_columns;
    single.n_columns = 1;
    single.rows = single_rows;
    single.n_rows = 1;

    const struct {
        Cibus__Table *table;
        const char *csv;
    } cases [] = {
        {&table, "a,b,c,d,e,f,g,h\r\n"
                 "\" padded\",\"tab\t\",\"two\r\nlines\",bad \xef\xbf\xbd byte,0.18,-3,,plain\r\n"},
        {&single, "share\r\n\"\"\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        Cibus__Table *tables [] = {cases [i].table};
        Cibus__QueryReply reply = CIBUS__QUERY_REPLY__INIT;
        reply.tables = tables;
        reply.n_tables = 1;
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        assert_non_null (out);
        assert_true (render_tables (&reply, RENDER_CSV, out));
        fclose (out);
        assert_string_equal (text, cases [i].csv);
        s_csv_t *read = s_csv_read (text);
        assert_int_equal (read->count, 2);
        if (i == 0) {
            const char *expected [] = {
                " padded", "tab\t", "two\r\nlines", "bad \xef\xbf\xbd byte", "0.18",
                "-3",      "",      "plain"};
            assert_int_equal (read->width [1], 8);
            for (size_t f = 0; f < 8; f++)
                assert_string_equal (read->fields [1][f], expected [f]);
        } else
            assert_string_equal (read->fields [1][0], "");
        s_csv_free (&read);
        free (text);
    }
}

//  A partner's text that a spreadsheet would run as a formula is written
//  as text (after an apostrophe); numbers, a lone "-" and other text are
//  left as they are.
static void
test_export_csv_never_writes_a_formula (void **state)
{
    (void) state;
    const char *texts [] = {"=1+2", "+1", "-2+3", "@SUM(A1)", "\t=1", "-", "a=b"};
    enum { S_TEXTS = sizeof texts / sizeof texts [0] };
    Cibus__Cell cells [S_TEXTS + 1];
    Cibus__Cell *row_cells [S_TEXTS + 1];
    char *columns [S_TEXTS + 1];
    char names [S_TEXTS + 1][4];
    for (size_t i = 0; i <= S_TEXTS; i++) {
        cibus__cell__init (&cells [i]);
        if (i < S_TEXTS)
            cells [i].text = (char *) texts [i];
        row_cells [i] = &cells [i];
        snprintf (names [i], sizeof names [i], "c%zu", i);
        columns [i] = names [i];
    }
    cells [S_TEXTS].has_number = true;
    cells [S_TEXTS].number = -2.5;
    Cibus__Row row = CIBUS__ROW__INIT;
    row.cells = row_cells;
    row.n_cells = S_TEXTS + 1;
    Cibus__Row *rows [] = {&row};
    Cibus__Table table = CIBUS__TABLE__INIT;
    table.title = "t";
    table.columns = columns;
    table.n_columns = S_TEXTS + 1;
    table.rows = rows;
    table.n_rows = 1;
    Cibus__Table *tables [] = {&table};
    Cibus__QueryReply reply = CIBUS__QUERY_REPLY__INIT;
    reply.tables = tables;
    reply.n_tables = 1;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    assert_true (render_tables (&reply, RENDER_CSV, out));
    fclose (out);
    assert_string_equal (text, "c0,c1,c2,c3,c4,c5,c6,c7\r\n"
                               "'=1+2,'+1,'-2+3,'@SUM(A1),'\t=1,-,a=b,-2.5\r\n");
    free (text);
}

//  --by names a dimension, unit, or both; anything else is refused before
//  connecting. The pooled values (no unit) have no partner column.
static void
test_export_values_by_takes_a_dimension_unit_or_both (void **state)
{
    harness_world_t *world = *state;
    char carol [PATH_MAX];
    s_publish (world, carol, sizeof carol);
    char *out, *err;
    const char *refused [] = {"race,income", "unit,unit", "race,", ""};
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, "values", "--key", carol,
                                         "--indicator", "k3-reading", "--by", refused [i],
                                         NULL),
                          2);
        char expected [256];
        snprintf (expected, sizeof expected,
                  "cibus values: --by takes unit, one dimension, or both (race,unit), got '%s' "
                  "(see `cibus values --help`)\n",
                  refused [i]);
        assert_string_equal (err, expected);
        free (out), free (err);
    }
    char *pooled = s_ask (world, world->alice, "values", "--indicator", "k3-reading", "--by=race",
                          "csv");
    assert_true (s_starts_with (pooled, "period,group,value,n,low,high,units,status,target,"
                                        "change,change low,change high,verdict,not in both\r\n"
                                        "2026-Q3,all,60,410,"));
    free (pooled);
    char *units = s_ask (world, world->alice, "values", "--indicator", "k3-reading",
                         "--by=unit,race", "csv");
    assert_true (s_starts_with (units, "period,group,partner,value,n,status,target,change\r\n"));
    free (units);
}

//  A format is checked before connecting, and named in the refusal.
static void
test_export_an_unknown_format_is_a_usage_error (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "values", "--key", world->alice,
                                     "--indicator", "k3-reading", "--format", "xlsx", NULL),
                      2);
    assert_string_equal (out, "");
    assert_string_equal (err, "cibus values: --format must be text, json or csv, got 'xlsx' "
                              "(see `cibus values --help`)\n");
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "report", "--key", world->alice, "--period",
                                     "2026-Q3", "--json", "--format", "csv", NULL),
                      2);
    assert_string_equal (err, "cibus report: --json is --format json: it does not go with "
                              "--format csv (see `cibus report --help`)\n");
    free (out), free (err);
    //  Even with --offline: the replica is not opened.
    assert_int_equal (harness_cibus (world, &out, &err, "notes", "--format", "CSV", "--offline",
                                     "--replica", "/nonexistent/replica.db", NULL),
                      2);
    assert_string_equal (err, "cibus notes: --format must be text, json or csv, got 'CSV' "
                              "(see `cibus notes --help`)\n");
    free (out), free (err);
    //  The help says what each format writes.
    const char *commands [] = {"values", "commitments", "notes", "indicators", "report"};
    for (size_t i = 0; i < sizeof commands / sizeof commands [0]; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, commands [i], "--help", NULL), 0);
        assert_non_null (strstr (out, "--format text|json|csv"));
        assert_non_null (strstr (out, "whose first column, `table`, holds the table's title"));
        assert_non_null (strstr (out, "{\"suppressed\":true,\"range\":\"<=5\"}"));
        free (out), free (err);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_export_values_csv_shows_suppressed_cells_and_quotes_what_needs_it, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_export_values_json_has_null_and_suppressed_cells,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_export_report_and_history_csv_are_one_block_per_table,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_export_values_by_takes_a_dimension_unit_or_both,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_export_an_unknown_format_is_a_usage_error, s_setup,
                                         s_teardown),
        cmocka_unit_test (test_export_csv_quotes_every_field_that_would_not_read_back),
        cmocka_unit_test (test_export_csv_never_writes_a_formula),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("export", tests, NULL, NULL);
}
