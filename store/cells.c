/*  cells.c - a table version's projection rows, packed in one column; see
    cells.h.

    Design
    ------
    The rows are a protobuf message (store/cells.proto), packed with
    protobuf-c like every other encoding cibus keeps. Packing reuses what
    it made for the previous table: the messages, their pointers and the
    dimension keys live in arrays that only grow.

    cibus_cells is an eponymous table-valued function, as SQLite's own
    json_each is: its one argument is the hidden column `cells`, which the
    planner must hand it by equality; without one it has no rows. A cursor
    decodes the bytes once, in xFilter, and answers each column from the
    decoded message. Bytes that do not decode are an error of the query,
    never rows made up: a reader is not told a cell is shown because its
    mark could not be read.                                               */

#include "cells.h"

#include "arena.h"
#include "text.h"
#include "unpack.h"

#include <stdlib.h>
#include <string.h>

static int
s_by_key (const void *a, const void *b)
{
    const Cibus__Dimension *const *x = a, *const *y = b;
    return strcmp ((*x)->key, (*y)->key);
}

void
cells_dims_key (const Cibus__DataCell *cell, char *text, size_t size)
{
    const Cibus__Dimension *sorted [CIBUS_MAX_CROSS];
    size_t count = cell->n_dimensions < CIBUS_MAX_CROSS ? cell->n_dimensions : CIBUS_MAX_CROSS;
    if (count) //  the total has none, and dimensions may then be NULL
        memcpy (sorted, cell->dimensions, count * sizeof *sorted);
    if (count > 1)
        qsort (sorted, count, sizeof *sorted, s_by_key);
    //  Copied rather than printed: every cell of every table is keyed so.
    size_t used = 0;
    text [0] = 0;
    for (size_t i = 0; i < count; i++) {
        used = text_put (text, size, used, sorted [i]->key);
        used = text_put (text, size, used, "\x1f");
        used = text_put (text, size, used, sorted [i]->value);
        used = text_put (text, size, used, "\x1e");
    }
}

//  The first block of a cursor's arena: a table of a few cells decodes
//  into less (arena_new_sized).
#define S_ARENA_FIRST 2048

//  ---------------------------------------------------------------- packing

static cibus_err_t
s_room (cells_pack_t *self, size_t rows)
{
    if (rows <= self->capacity)
        return CIBUS_OK;
    CibusStore__StoredCell *cells = realloc (self->rows, rows * sizeof *cells);
    if (cells)
        self->rows = cells;
    CibusStore__StoredCell **items = cells ? realloc (self->items, rows * sizeof *items) : NULL;
    if (items)
        self->items = items;
    char *keys = items ? realloc (self->keys, rows * CELLS_DIMS_KEY) : NULL;
    if (!keys)
        return CIBUS_ERR_NOMEM;
    self->keys = keys;
    self->capacity = rows;
    return CIBUS_OK;
}

//  One row, as the cell was sent (whole) with its mark. An empty text is
//  absent, as everywhere in the store.
static void
s_fill (CibusStore__StoredCell *row, long index, const Cibus__DataCell *cell,
        const disclosure_mark_t *mark, char *key)
{
    cibus_store__stored_cell__init (row);
    cells_dims_key (cell, key, CELLS_DIMS_KEY);
    row->cell = index;
    row->dims_key = key;
    row->dim_count = (uint32_t)cell->n_dimensions;
    if (cell->n_dimensions == 1) {
        const Cibus__Dimension *dim = cell->dimensions [0];
        row->dim_key = dim->key && *dim->key ? dim->key : NULL;
        row->dim_value = dim->value && *dim->value ? dim->value : NULL;
    }
    row->has_value = cell->has_value;
    row->value = cell->value;
    row->has_n = cell->has_n || cell->has_denominator;
    row->n = (int64_t)(cell->has_n ? cell->n : cell->denominator);
    row->has_numerator = cell->has_numerator;
    row->numerator = (int64_t)cell->numerator;
    row->has_denominator = cell->has_denominator;
    row->denominator = (int64_t)cell->denominator;
    row->suppressed = cell->has_suppressed && cell->suppressed;
    row->mark = (uint32_t)mark->state;
    row->has_low = row->has_high = mark->state == DISCLOSURE_CODED;
    row->low = mark->low;
    row->high = mark->high;
    row->size_shown = mark->size_shown;
}

cibus_err_t
cells_pack (cells_pack_t *self, const Cibus__DataCell *total, const disclosure_mark_t *total_mark,
            Cibus__DataCell *const *cells, const disclosure_mark_t *marks, size_t count)
{
    if (s_room (self, count + 1))
        return CIBUS_ERR_NOMEM;
    for (size_t i = 0; i <= count; i++) {
        //  0 is the total, i the cell i - 1
        s_fill (&self->rows [i], (long)i - 1, i ? cells [i - 1] : total,
                i ? &marks [i - 1] : total_mark, self->keys + i * CELLS_DIMS_KEY);
        self->items [i] = &self->rows [i];
    }
    CibusStore__StoredCells message = CIBUS_STORE__STORED_CELLS__INIT;
    message.n_cells = count + 1;
    message.cells = self->items;
    return codec_pack_message (&message.base, &self->buf);
}

void
cells_pack_release (cells_pack_t *self)
{
    free (self->rows);
    free (self->items);
    free (self->keys);
    codec_buf_release (&self->buf);
    memset (self, 0, sizeof *self);
}

//  A version's stored cells, decoded in one pass when they are in the
//  form cibus writes them (unpack.h), by protobuf-c otherwise.
static CibusStore__StoredCells *
s_unpack (ProtobufCAllocator *allocator, size_t size, const void *bytes)
{
    ProtobufCMessage *stored =
        unpack_message (&cibus_store__stored_cells__descriptor, allocator, size, bytes, NULL);
    if (!stored)
        stored = protobuf_c_message_unpack (&cibus_store__stored_cells__descriptor, allocator, size,
                                            bytes);
    return (CibusStore__StoredCells *)stored;
}

cibus_err_t
cells_marks (const void *bytes, size_t size, size_t cells, disclosure_mark_t *total,
             disclosure_mark_t *marks)
{
    if (!bytes || cells > CIBUS_MAX_CELLS)
        return CIBUS_ERR_BAD_FIELD;
    CibusStore__StoredCells *stored = s_unpack (NULL, size, bytes);
    if (!stored)
        return CIBUS_ERR_BAD_FIELD;
    bool seen [CIBUS_MAX_CELLS + 1] = {false}; //  [0] the total, [i] the cell i - 1
    bool strange = stored->n_cells != cells + 1;
    for (size_t i = 0; !strange && i < stored->n_cells; i++) {
        const CibusStore__StoredCell *row = stored->cells [i];
        int64_t cell = row->cell;
        //  A coded cell without its range would read as [0, 0].
        if (cell < -1 || cell >= (int64_t)cells || seen [cell + 1] || row->mark > DISCLOSURE_CODED
            || (row->mark == DISCLOSURE_CODED && !(row->has_low && row->has_high))) {
            strange = true;
            break;
        }
        seen [cell + 1] = true;
        disclosure_mark_t *mark = cell == -1 ? total : &marks [cell];
        mark->state = (disclosure_state_t)row->mark;
        mark->low = row->has_low ? row->low : 0;
        mark->high = row->has_high ? row->high : 0;
        mark->size_shown = row->size_shown;
    }
    cibus_store__stored_cells__free_unpacked (stored, NULL);
    return strange ? CIBUS_ERR_BAD_FIELD : CIBUS_OK;
}

//  ------------------------------------------------- the table-valued function

//  The columns, in the order declared below; `cells` is the argument.
enum {
    S_CELL,
    S_DIMS_KEY,
    S_DIM_COUNT,
    S_DIM_KEY,
    S_DIM_VALUE,
    S_VALUE,
    S_N,
    S_NUMERATOR,
    S_DENOMINATOR,
    S_SUPPRESSED,
    S_MARK,
    S_LOW,
    S_HIGH,
    S_SIZE_SHOWN,
    S_CELLS
};

//  A cursor decodes a version's cells into an arena, all of it freed at
//  once: a query reads every cell of every version it selects, and a
//  malloc and a free for each of a cell's parts were a fifth of that.
static void *
s_arena_alloc (void *arena, size_t size)
{
    return arena_alloc (arena, size);
}

static void
s_arena_free (void *arena, void *pointer)
{
    (void)arena;
    (void)pointer;
}

typedef struct {
    sqlite3_vtab_cursor base;
    arena_t *arena;                  /* what stored is decoded into, or NULL */
    CibusStore__StoredCells *stored; /* NULL: no rows */
    sqlite3_value *cells;            /* the argument, answered as the column `cells` */
    size_t row;
} s_cursor_t;

static int
s_connect (sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vtab,
           char **error)
{
    (void)aux;
    (void)argc;
    (void)argv;
    (void)error;
    int rc = sqlite3_declare_vtab (db, "CREATE TABLE x (cell, dims_key, dim_count, dim_key, "
                                       "dim_value, value, n, numerator, denominator, "
                                       "suppressed, mark, low, high, size_shown, "
                                       "cells HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab *self = sqlite3_malloc (sizeof *self);
    if (!self)
        return SQLITE_NOMEM;
    memset (self, 0, sizeof *self);
    sqlite3_vtab_config (db, SQLITE_VTAB_INNOCUOUS);
    *vtab = self;
    return SQLITE_OK;
}

static int
s_disconnect (sqlite3_vtab *vtab)
{
    sqlite3_free (vtab);
    return SQLITE_OK;
}

//  The one plan: `cells` given by equality (idxNum 1). A plan that cannot
//  give it is refused, so the planner finds the order that can.
static int
s_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    (void)vtab;
    int usable = -1;
    bool named = false;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint [i];
        if (c->iColumn != S_CELLS || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        named = true;
        if (c->usable) {
            usable = i;
            break;
        }
    }
    if (usable >= 0) {
        info->aConstraintUsage [usable].argvIndex = 1;
        info->aConstraintUsage [usable].omit = 1;
        info->idxNum = 1;
        info->estimatedCost = 10;
        info->estimatedRows = 8;
        return SQLITE_OK;
    }
    if (named)
        return SQLITE_CONSTRAINT;
    info->idxNum = 0;
    info->estimatedCost = 1;
    info->estimatedRows = 1;
    return SQLITE_OK;
}

static int
s_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
    (void)vtab;
    s_cursor_t *self = sqlite3_malloc (sizeof *self);
    if (!self)
        return SQLITE_NOMEM;
    memset (self, 0, sizeof *self);
    *cursor = &self->base;
    return SQLITE_OK;
}

static void
s_forget (s_cursor_t *self)
{
    arena_destroy (&self->arena);
    self->stored = NULL;
    sqlite3_value_free (self->cells);
    self->cells = NULL;
    self->row = 0;
}

static int
s_close (sqlite3_vtab_cursor *cursor)
{
    s_forget ((s_cursor_t *)cursor);
    sqlite3_free (cursor);
    return SQLITE_OK;
}

//  A version's cells are its total and its cells: packed cells that hold
//  none are as unreadable as those that do not decode. NULL is a version
//  without cells (a replicated entry that carried no total).
static int
s_filter (sqlite3_vtab_cursor *cursor, int idx_num, const char *idx_str, int argc,
          sqlite3_value **argv)
{
    (void)idx_str;
    s_cursor_t *self = (s_cursor_t *)cursor;
    s_forget (self);
    if (idx_num != 1 || argc != 1 || sqlite3_value_type (argv [0]) == SQLITE_NULL)
        return SQLITE_OK; //  no rows
    if (!(self->cells = sqlite3_value_dup (argv [0])))
        return SQLITE_NOMEM;
    const void *bytes = sqlite3_value_blob (argv [0]);
    size_t size = (size_t)sqlite3_value_bytes (argv [0]);
    if (!(self->arena = arena_new_sized (S_ARENA_FIRST)))
        return SQLITE_NOMEM;
    ProtobufCAllocator allocator = {s_arena_alloc, s_arena_free, self->arena};
    if (sqlite3_value_type (argv [0]) == SQLITE_BLOB)
        self->stored = s_unpack (&allocator, size, bytes);
    if (self->stored && self->stored->n_cells > 0)
        return SQLITE_OK;
    s_forget (self);
    sqlite3_free (cursor->pVtab->zErrMsg);
    //  (SQLite's own printf: %z is not size_t's there.)
    cursor->pVtab->zErrMsg = sqlite3_mprintf ("cibus_cells: a table version's cells cannot be "
                                              "read (%lld bytes)",
                                              (long long)size);
    return SQLITE_CORRUPT_VTAB;
}

static int
s_next (sqlite3_vtab_cursor *cursor)
{
    ((s_cursor_t *)cursor)->row++;
    return SQLITE_OK;
}

static int
s_eof (sqlite3_vtab_cursor *cursor)
{
    s_cursor_t *self = (s_cursor_t *)cursor;
    return !self->stored || self->row >= self->stored->n_cells;
}

static void
s_text (sqlite3_context *context, const char *text)
{
    if (text)
        sqlite3_result_text (context, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_null (context);
}

static int
s_column (sqlite3_vtab_cursor *cursor, sqlite3_context *context, int column)
{
    s_cursor_t *self = (s_cursor_t *)cursor;
    const CibusStore__StoredCell *row = self->stored->cells [self->row];
    switch (column) {
        case S_CELL:
            sqlite3_result_int64 (context, row->cell);
            break;
        case S_DIMS_KEY:
            s_text (context, row->dims_key);
            break;
        case S_DIM_COUNT:
            sqlite3_result_int64 (context, row->dim_count);
            break;
        case S_DIM_KEY:
            s_text (context, row->dim_key);
            break;
        case S_DIM_VALUE:
            s_text (context, row->dim_value);
            break;
        case S_VALUE:
            if (row->has_value)
                sqlite3_result_double (context, row->value);
            break;
        case S_N:
            if (row->has_n)
                sqlite3_result_int64 (context, row->n);
            break;
        case S_NUMERATOR:
            if (row->has_numerator)
                sqlite3_result_int64 (context, row->numerator);
            break;
        case S_DENOMINATOR:
            if (row->has_denominator)
                sqlite3_result_int64 (context, row->denominator);
            break;
        case S_SUPPRESSED:
            sqlite3_result_int (context, row->suppressed);
            break;
        case S_MARK:
            sqlite3_result_int64 (context, row->mark);
            break;
        case S_LOW:
            if (row->has_low)
                sqlite3_result_double (context, row->low);
            break;
        case S_HIGH:
            if (row->has_high)
                sqlite3_result_double (context, row->high);
            break;
        case S_SIZE_SHOWN:
            sqlite3_result_int (context, row->size_shown);
            break;
        default: //  the argument, as it was given
            sqlite3_result_value (context, self->cells);
            break;
    }
    return SQLITE_OK;
}

static int
s_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((s_cursor_t *)cursor)->row;
    return SQLITE_OK;
}

//  No xCreate: eponymous only, as a function is.
static const sqlite3_module s_module = {
    .iVersion = 0,
    .xConnect = s_connect,
    .xBestIndex = s_best_index,
    .xDisconnect = s_disconnect,
    .xOpen = s_open,
    .xClose = s_close,
    .xFilter = s_filter,
    .xNext = s_next,
    .xEof = s_eof,
    .xColumn = s_column,
    .xRowid = s_rowid,
};

int
cells_register (sqlite3 *db)
{
    return sqlite3_create_module (db, "cibus_cells", &s_module, NULL);
}
