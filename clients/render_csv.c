/*  render_csv.c - a query's answer as CSV; see render_csv.h.

    The quoting is libcsv's (csv_fwrite): this file only decides that a
    field needs it, and otherwise writes the field as it is, so that a
    plain number or name stays unquoted, as spreadsheets write them. The
    numbers are cibus_json.h's: one rule for the digits of a number in
    both exports, so the two never disagree about a value.

    A text comes from partners (a title, a decision, a unit's name) and
    the file is opened in a spreadsheet: one that begins like a formula
    (=, +, -, @, or a tab or carriage return before one) is written after
    an apostrophe, which spreadsheets take as "this is text", so that a
    cell never runs as a formula on the backbone's machine. Numbers are
    cells of their own kind and never need it.                          */

#include "render_csv.h"

#include "cibus_json.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_EOL "\r\n" /* RFC 4180's line end, whatever the platform's */

//  Whether a field must be quoted to read back as it is: a delimiter, a
//  quote or a line break in it, or a space or tab at either end, which
//  libcsv (like many readers) trims from a field left unquoted.
static bool
s_needs_quotes (const char *text, size_t len)
{
    if (len
        && (text [0] == ' ' || text [0] == '\t' || text [len - 1] == ' ' || text [len - 1] == '\t'))
        return true;
    for (size_t i = 0; i < len; i++)
        if (text [i] == ',' || text [i] == '"' || text [i] == '\r' || text [i] == '\n')
            return true;
    return false;
}

//  One field, after a comma unless it is the row's first; alone is set
//  when it is the only field of its row, which, empty, is quoted: an
//  empty line would read as no record at all (and, here, as the end of a
//  block).
static bool
s_field (FILE *out, bool first, bool alone, const char *text)
{
    size_t len = strlen (text);
    char *repaired = NULL;
    if (!cibus_json_is_utf8 (text, len)) {
        if (!(repaired = cibus_json_repair (text, len, &len))) {
            errno = ENOMEM;
            return false;
        }
        text = repaired;
    }
    bool ok = first || fputc (',', out) != EOF;
    if (ok && (s_needs_quotes (text, len) || (alone && len == 0)))
        ok = csv_fwrite (out, text, len) == 0;
    else if (ok)
        ok = fwrite (text, 1, len, out) == len;
    free (repaired);
    return ok;
}

//  Whether a text would start a formula in a spreadsheet. A lone "-" (a
//  verdict not given) is only text.
static bool
s_formula_like (const char *text)
{
    return (strchr ("=+-@", text [0]) && text [0] && text [1]) || text [0] == '\t'
           || text [0] == '\r';
}

//  A cell as its field: a number as the JSON form writes it, a text as it
//  reads (a hidden value's "*", a coded one's "<=5") unless it looks like
//  a formula, an empty cell empty.
static bool
s_cell (FILE *out, bool first, bool alone, const Cibus__Cell *cell)
{
    if ((!cell || !cell->has_number) && cell && cell->text && s_formula_like (cell->text)) {
        char *quoted = malloc (strlen (cell->text) + 2);
        if (!quoted) {
            errno = ENOMEM;
            return false;
        }
        quoted [0] = '\'';
        strcpy (quoted + 1, cell->text);
        bool ok = s_field (out, first, alone, quoted);
        free (quoted);
        return ok;
    }
    if (!cell || !cell->has_number)
        return s_field (out, first, alone, cell && cell->text ? cell->text : "");
    //  NaN and infinity, which the broker never sends, are null in JSON:
    //  here, empty.
    if (!isfinite (cell->number))
        return s_field (out, first, alone, "");
    json_t *number = cibus_json_number (cell->number);
    char *text = cibus_json_text (number);
    json_decref (number);
    if (!text) {
        errno = ENOMEM;
        return false;
    }
    bool ok = s_field (out, first, alone, text);
    free (text);
    return ok;
}

bool
render_tables_csv (const Cibus__QueryReply *result, FILE *out)
{
    //  Several tables: each row says which one it belongs to.
    bool blocks = result->n_tables > 1;
    bool ok = true;
    for (size_t t = 0; ok && t < result->n_tables; t++) {
        const Cibus__Table *table = result->tables [t];
        const char *title = table->title ? table->title : "";
        bool alone = !blocks && table->n_columns == 1;
        if (t)
            ok = fputs (S_EOL, out) != EOF;
        if (ok && blocks)
            ok = s_field (out, true, false, "table");
        for (size_t c = 0; ok && c < table->n_columns; c++)
            ok = s_field (out, !blocks && c == 0, alone, table->columns [c]);
        ok = ok && fputs (S_EOL, out) != EOF;
        for (size_t r = 0; ok && r < table->n_rows; r++) {
            const Cibus__Row *row = table->rows [r];
            if (blocks)
                ok = s_field (out, true, false, title);
            //  A row short of cells (the protocol gives one per column)
            //  is filled with empty fields, so every row has the header's.
            for (size_t c = 0; ok && c < table->n_columns; c++)
                ok = s_cell (out, !blocks && c == 0, alone,
                             c < row->n_cells ? row->cells [c] : NULL);
            ok = ok && fputs (S_EOL, out) != EOF;
        }
    }
    return ok;
}
