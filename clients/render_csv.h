/*  render_csv.h - a query's answer as CSV, for a spreadsheet: what
    `cibus values|commitments|notes|indicators|report --format csv` prints.

    RFC 4180: CRLF line ends, a field quoted only when it needs to be (a
    comma, a quote, a line break, or a space or tab at either end), a
    header row of the column names. An answer of one table is its header
    and its rows. An answer of several (the report, values --history) is
    one block per table - a header row, then the rows - whose first column,
    `table`, holds the table's title on every row; the blocks are separated
    by one empty line.

    A cell is written as it reads: a number as the JSON form writes it
    (cibus_json.h: 61, 61.75, 0.18), an empty cell as an empty field, a
    value hidden from the reader as `*` and a coded one as its range
    (`<=5`, `>=95`) - never as a zero or a blank, so that a spreadsheet
    shows that a value was suppressed. Bytes that are not well-formed UTF-8
    are written as U+FFFD, as in the JSON form.                           */

#ifndef CIBUS_RENDER_CSV_H_INCLUDED
#define CIBUS_RENDER_CSV_H_INCLUDED

#include "cibus_wire.h"

#include <stdbool.h>
#include <stdio.h>

/* Write the answer's tables to out as above; false, with errno set, when
   memory ran out or out could not be written (part of it may be). */
bool render_tables_csv (const Cibus__QueryReply *result, FILE *out);

#endif
