/*  cells.h - a table version's projection rows, packed in one column.

    Each version of a data table keeps its total and its cells, with the
    suppression decided for each (mark, low, high, size_shown), in its own
    row of data_tables: the column cells holds them encoded as
    store/cells.proto's StoredCells. The table-valued function cibus_cells
    (cells) gives them back one row per cell, which is what the view
    data_values joins to the version's row; a connection that reads
    data_values must have it registered (cells_register).

    One column instead of a row per cell: writing a table then costs one
    value bound into the version's row instead of a row of fifteen
    columns for every cell, inserted up to eight to a statement.

    The sqlite3 shell, which does not have the function, cannot read
    data_values; data_tables and its packed cells it reads as any table. */

#ifndef CIBUS_CELLS_H_INCLUDED
#define CIBUS_CELLS_H_INCLUDED

#include "cells.pb-c.h"
#include "cibus_err.h"
#include "cibus_limits.h"
#include "codec.h"
#include "disclosure.h"

#include <sqlite3.h>
#include <stddef.h>

/* A cell's dimensions as one text, sorted by key, each "key US value RS";
   "" for the total. Unit and record separators cannot occur in a token. */
#define CELLS_DIMS_KEY (CIBUS_MAX_CROSS * 2 * (CIBUS_MAX_NAME + 1) + 1)
void cells_dims_key (const Cibus__DataCell *cell, char *text, size_t size);

/* What packing needs, kept from one table to the next: it grows to the
   largest table packed and allocates nothing after. Zero it to start. */
typedef struct {
    CibusStore__StoredCell *rows;
    CibusStore__StoredCell **items;
    char *keys; /* CELLS_DIMS_KEY bytes a row */
    size_t capacity;
    codec_buf_t buf; /* the packed rows, until the next pack */
} cells_pack_t;

/* Pack a version's total (cell -1) and its count cells, each with its
   mark, into self->buf. Returns CIBUS_OK or NOMEM. */
cibus_err_t cells_pack (cells_pack_t *self, const Cibus__DataCell *total,
                        const disclosure_mark_t *total_mark, Cibus__DataCell *const *cells,
                        const disclosure_mark_t *marks, size_t count);
void cells_pack_release (cells_pack_t *self);

/* Read back the marks of packed rows into total and marks [0 .. cells):
   CIBUS_OK, NOMEM, or BAD_FIELD unless the bytes decode and hold every
   one of those cells exactly once with a known mark, and no other. */
cibus_err_t cells_marks (const void *bytes, size_t size, size_t cells, disclosure_mark_t *total,
                         disclosure_mark_t *marks);

/* Register the table-valued function cibus_cells on db. SQLITE_OK or an
   SQLite error code. */
int cells_register (sqlite3 *db);

#endif
