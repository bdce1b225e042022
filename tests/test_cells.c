/*  test_cells.c - a table version's projection rows, packed in one column
    (store/cells.h): packed and read back as marks, and as rows through
    the table-valued function cibus_cells. */

#include "cells.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

//  A table of a total and four cells, one of each mark: shown; hidden as
//  small without its size; hidden as a complement with its size; coded.
//  The third crosses two dimensions, sent out of key order.
typedef struct {
    Cibus__DataCell total, cell [4];
    Cibus__DataCell *cells [4];
    Cibus__Dimension dim [5];
    Cibus__Dimension *dims [4][2];
    disclosure_mark_t total_mark, marks [4];
    cells_pack_t pack;
} s_table_t;

static void
s_table (s_table_t *t)
{
    memset (t, 0, sizeof *t);
    cibus__data_cell__init (&t->total);
    t->total.has_numerator = t->total.has_denominator = t->total.has_value = true;
    t->total.numerator = 168;
    t->total.denominator = 410;
    t->total.value = 41;
    static const char *const pairs [5][2] = {
        {"race", "black"}, {"race", "white"}, {"sex", "f"}, {"race", "asian"}, {"race", "native"}};
    for (int i = 0; i < 5; i++) {
        cibus__dimension__init (&t->dim [i]);
        t->dim [i].key = (char *)pairs [i][0];
        t->dim [i].value = (char *)pairs [i][1];
    }
    for (int i = 0; i < 4; i++) {
        cibus__data_cell__init (&t->cell [i]);
        t->cells [i] = &t->cell [i];
        t->cell [i].dimensions = t->dims [i];
    }
    t->dims [0][0] = &t->dim [0];
    t->dims [1][0] = &t->dim [1];
    t->dims [2][0] = &t->dim [2]; //  sex before race: sorted when keyed
    t->dims [2][1] = &t->dim [3];
    t->dims [3][0] = &t->dim [4];
    t->cell [0].n_dimensions = t->cell [1].n_dimensions = t->cell [3].n_dimensions = 1;
    t->cell [2].n_dimensions = 2;
    //  A count cell (n only), a suppressed one, two percents.
    t->cell [0].has_n = true;
    t->cell [0].n = 52;
    t->cell [1].has_suppressed = true;
    t->cell [1].suppressed = true;
    t->cell [2].has_numerator = t->cell [2].has_denominator = t->cell [2].has_value = true;
    t->cell [2].numerator = 3;
    t->cell [2].denominator = 12;
    t->cell [2].value = 25;
    t->cell [3].has_numerator = t->cell [3].has_denominator = t->cell [3].has_value = true;
    t->cell [3].numerator = 1;
    t->cell [3].denominator = 40;
    t->cell [3].value = 2.5;
    t->total_mark = (disclosure_mark_t){.state = DISCLOSURE_SHOWN, .size_shown = true};
    t->marks [0] = (disclosure_mark_t){.state = DISCLOSURE_SHOWN, .size_shown = true};
    t->marks [1] = (disclosure_mark_t){.state = DISCLOSURE_HIDDEN_PRIMARY};
    t->marks [2] = (disclosure_mark_t){.state = DISCLOSURE_HIDDEN_COMPLEMENT, .size_shown = true};
    t->marks [3] =
        (disclosure_mark_t){.state = DISCLOSURE_CODED, .size_shown = true, .low = 0, .high = 5};
    assert_int_equal (cells_pack (&t->pack, &t->total, &t->total_mark, t->cells, t->marks, 4),
                      CIBUS_OK);
}

static void
s_assert_mark (const disclosure_mark_t *got, const disclosure_mark_t *want)
{
    assert_int_equal (got->state, want->state);
    assert_int_equal (got->size_shown, want->size_shown);
    assert_true (got->low == want->low);
    assert_true (got->high == want->high);
}

//  Every mark comes back as it was packed, each to its own cell.
static void
test_cells_marks_read_back_as_packed (void **state)
{
    (void)state;
    s_table_t t;
    s_table (&t);
    disclosure_mark_t total, marks [4];
    memset (&total, 0xff, sizeof total);
    memset (marks, 0xff, sizeof marks);
    assert_int_equal (cells_marks (t.pack.buf.data, t.pack.buf.size, 4, &total, marks), CIBUS_OK);
    s_assert_mark (&total, &t.total_mark);
    for (int i = 0; i < 4; i++)
        s_assert_mark (&marks [i], &t.marks [i]);
    //  Packing again reuses what the first made, and packs a smaller
    //  table whole: no row of the larger one is left in it.
    assert_int_equal (cells_pack (&t.pack, &t.total, &t.total_mark, t.cells, t.marks, 1), CIBUS_OK);
    assert_int_equal (cells_marks (t.pack.buf.data, t.pack.buf.size, 1, &total, marks), CIBUS_OK);
    assert_int_equal (cells_marks (t.pack.buf.data, t.pack.buf.size, 4, &total, marks),
                      CIBUS_ERR_BAD_FIELD);
    cells_pack_release (&t.pack);
}

//  Packed rows that do not fit the table are refused, never half read: a
//  cell missing or twice, a cell the table does not have, a mark no
//  state has, bytes that do not decode, no bytes.
static void
test_cells_marks_refuse_rows_that_do_not_fit (void **state)
{
    (void)state;
    s_table_t t;
    s_table (&t);
    disclosure_mark_t total, marks [5];
    //  The table has four cells: not three, not five.
    assert_int_equal (cells_marks (t.pack.buf.data, t.pack.buf.size, 3, &total, marks),
                      CIBUS_ERR_BAD_FIELD);
    assert_int_equal (cells_marks (t.pack.buf.data, t.pack.buf.size, 5, &total, marks),
                      CIBUS_ERR_BAD_FIELD);
    CibusStore__StoredCells *stored =
        cibus_store__stored_cells__unpack (NULL, t.pack.buf.size, t.pack.buf.data);
    assert_non_null (stored);
    assert_int_equal (stored->n_cells, 5);
    codec_buf_t buf = {0};
    struct {
        size_t row;
        int64_t cell;
        uint32_t mark;
    } const bad [] = {
        {2, 0, DISCLOSURE_HIDDEN_PRIMARY}, //  cell 0 twice, cell 1 missing
        {4, -1, DISCLOSURE_CODED},         //  the total twice
        {3, 4, DISCLOSURE_SHOWN},          //  a fifth cell of four
        {3, -2, DISCLOSURE_SHOWN},         //  below the total
        {1, -1, DISCLOSURE_CODED + 1},     //  no such state
        {1, 0, DISCLOSURE_CODED},          //  coded, without its range
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        CibusStore__StoredCell *row = stored->cells [bad [i].row];
        int64_t cell = row->cell;
        uint32_t mark = row->mark;
        row->cell = bad [i].cell;
        row->mark = bad [i].mark;
        assert_int_equal (codec_pack_message (&stored->base, &buf), CIBUS_OK);
        assert_int_equal (cells_marks (buf.data, buf.size, 4, &total, marks), CIBUS_ERR_BAD_FIELD);
        row->cell = cell;
        row->mark = mark;
    }
    //  Put back, they are read again.
    assert_int_equal (codec_pack_message (&stored->base, &buf), CIBUS_OK);
    assert_int_equal (cells_marks (buf.data, buf.size, 4, &total, marks), CIBUS_OK);
    cibus_store__stored_cells__free_unpacked (stored, NULL);
    static const uint8_t garbage [] = {0x0a, 0x7f, 0x01};
    assert_int_equal (cells_marks (garbage, sizeof garbage, 4, &total, marks), CIBUS_ERR_BAD_FIELD);
    assert_int_equal (cells_marks (NULL, 0, 4, &total, marks), CIBUS_ERR_BAD_FIELD);
    codec_buf_release (&buf);
    cells_pack_release (&t.pack);
}

//  An in-memory database with the function and one version's row.
static sqlite3 *
s_db (const codec_buf_t *cells)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db, "CREATE TABLE v (seq INTEGER PRIMARY KEY, cells BLOB)", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "INSERT INTO v VALUES (7, ?)", -1, &stmt, NULL),
                      SQLITE_OK);
    if (cells)
        sqlite3_bind_blob (stmt, 1, cells->data, (int)cells->size, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
    return db;
}

//  Each row read back through cibus_cells, each column quoted, as one
//  text; NULL when the query fails.
static char *
s_rows (sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT v.seq, quote (c.cell), quote (c.dims_key), "
                            "quote (c.dim_count), quote (c.dim_key), quote (c.dim_value), "
                            "quote (c.value), quote (c.n), quote (c.numerator), "
                            "quote (c.denominator), quote (c.suppressed), quote (c.mark), "
                            "quote (c.low), quote (c.high), quote (c.size_shown), "
                            "typeof (c.value) FROM v, cibus_cells (v.cells) c",
                            -1, &stmt, NULL),
        SQLITE_OK);
    char *text = calloc (1, 4096);
    assert_non_null (text);
    size_t used = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count (stmt); i++)
            used += (size_t)snprintf (text + used, 4096 - used, "%s%s", i ? " " : "",
                                      (const char *)sqlite3_column_text (stmt, i));
        used += (size_t)snprintf (text + used, 4096 - used, "\n");
        assert_true (used < 4096);
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        free (text);
        return NULL;
    }
    return text;
}

//  Every column of every row as it was packed: the absent ones NULL, the
//  dimensions keyed in key order, one dimension's key and value apart.
static void
test_cells_function_gives_one_row_per_cell (void **state)
{
    (void)state;
    s_table_t t;
    s_table (&t);
    sqlite3 *db = s_db (&t.pack.buf);
    char *rows = s_rows (db);
    assert_non_null (rows);
    assert_string_equal (
        rows, "7 -1 '' 0 NULL NULL 41.0 410 168 410 0 0 NULL NULL 1 real\n"
              "7 0 'race\x1f"
              "black\x1e' 1 'race' 'black' NULL 52 NULL NULL 0 0 NULL NULL 1 null\n"
              "7 1 'race\x1fwhite\x1e' 1 'race' 'white' NULL NULL NULL NULL 1 1 NULL NULL 0 null\n"
              "7 2 'race\x1f"
              "asian\x1esex\x1f"
              "f\x1e' 2 NULL NULL 25.0 12 3 12 0 2 NULL NULL 1 real\n"
              "7 3 'race\x1fnative\x1e' 1 'race' 'native' 2.5 40 1 40 0 3 0.0 5.0 1 real\n");
    free (rows);
    //  The argument reads back as it was given, on every row.
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT count(*) FROM v, cibus_cells (v.cells) c "
                                          "WHERE c.cells IS v.cells",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (stmt, 0), 5);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    cells_pack_release (&t.pack);
}

//  A version without cells has no rows; cells that cannot be read fail
//  the query instead of answering rows made up.
static void
test_cells_function_has_no_rows_for_none_and_fails_on_garbage (void **state)
{
    (void)state;
    sqlite3 *db = s_db (NULL);
    char *rows = s_rows (db);
    assert_non_null (rows);
    assert_string_equal (rows, "");
    free (rows);
    sqlite3_close (db);
    codec_buf_t garbage = {.data = (uint8_t *)"\x0a\x7f\x01", .size = 3};
    db = s_db (&garbage);
    assert_null (s_rows (db));
    assert_non_null (strstr (sqlite3_errmsg (db), "cannot be read"));
    sqlite3_close (db);
    //  Text is not packed cells either, nor are cells that hold none.
    db = s_db (NULL);
    assert_int_equal (sqlite3_exec (db, "UPDATE v SET cells = 'x'", NULL, NULL, NULL), SQLITE_OK);
    assert_null (s_rows (db));
    assert_int_equal (sqlite3_exec (db, "UPDATE v SET cells = x''", NULL, NULL, NULL), SQLITE_OK);
    assert_null (s_rows (db));
    sqlite3_close (db);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cells_marks_read_back_as_packed),
        cmocka_unit_test (test_cells_marks_refuse_rows_that_do_not_fit),
        cmocka_unit_test (test_cells_function_gives_one_row_per_cell),
        cmocka_unit_test (test_cells_function_has_no_rows_for_none_and_fails_on_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
