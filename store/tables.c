/*  tables.c - data tables in the store; see tables.h.

    Design
    ------
    A table is identified by its network, owner, unit, indicator and
    period; each version is one log entry, whose log row also holds the
    version's own columns (its names, version, status, whether it is
    current, its cells): data_tables is the view of the rows that hold
    them. Its suppression is decided here, inside the append transaction,
    by the disclosure module over the whole table and every earlier
    version as readers received it, and the decision is kept twice: per
    cell (mark, low, high, size_shown), packed with the cells in the
    row's column cells (cells.h), which the queries (through the view
    data_values, a row per cell) and the next correction read, and as the
    masked copy of the entry, in the same row (log.masked, beside the
    table's owner), which live delivery and replay send. Both are written
    once, in the row that appends the entry, so no reader can ever be
    served a value before the decision that hides it exists.

    When a correction arrives the previous version's masked copy becomes
    a marker: the table's name and version, superseded, no cells. Readers
    other than the owner and the backbone then get only the current
    version's values on replay; its marks already hide everything any
    earlier version hid, and the change between versions was judged.     */

#include "tables.h"

#include "arena.h"
#include "cells.h"
#include "log.h"
#include "key_run.h"
#include "log_keys.h"
#include "measure.h"
#include "store_internal.h"
#include "text.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *s_sql [TABLES__COUNT] = {
    //  A table is found by its key's hash (?20, see s_bind_key) and then
    //  its five names, so that two tables of the same hash stay apart:
    //  the versions table_keys holds, and each that memory holds (?6).
    //  (CROSS JOIN: table_keys first, whatever the planner thinks of the
    //  names' indexes, which hold every table of a partner.)
    [TABLES_VERSIONS] = "SELECT t.seq, t.version FROM table_keys k CROSS JOIN data_tables t "
                        "ON t.seq = k.seq WHERE k.tkey = ?20 AND t.network = ?1 "
                        "AND t.owner = ?2 AND t.unit = ?3 AND t.indicator = ?4 "
                        "AND t.period = ?5",
    [TABLES_VERSION_OF] = "SELECT seq, version FROM data_tables WHERE seq = ?6 "
                          "AND network = ?1 AND owner = ?2 AND unit = ?3 AND indicator = ?4 "
                          "AND period = ?5",
    [TABLES_KEY_ADD] = "INSERT OR IGNORE INTO table_keys (tkey, seq) VALUES (?, ?)",
    [TABLES_ENVELOPE] = "SELECT envelope FROM log WHERE seq = ?",
    [TABLES_MARKS] = "SELECT cells FROM data_tables WHERE seq = ?",
    [TABLES_PARTNER_IN] = "SELECT EXISTS (SELECT 1 FROM partner_networks "
                          "WHERE partner = ?1 AND network = ?2), "
                          "EXISTS (SELECT 1 FROM partners WHERE name = ?1)",
    //  A replica's version, into the row its entry was inserted with (the
    //  broker's are inserted with theirs, store_copy_t).
    //  Numbered as the insert numbers them (store_bind_version).
    [TABLES_ADD] = "UPDATE log SET owner = ?7, network = ?9, unit = ?10, indicator = ?11, "
                   "period = ?12, version = ?13, status = ?14, source = ?15, "
                   "extracted_on = ?16, current = ?17, tkey = ?18, cells = ?19, ikey = ?20, "
                   "okey = ?21 WHERE seq = ?1 AND partner = ?2 AND received_at = ?5",
    [TABLES_MARKER] = "UPDATE log SET masked = ?2 WHERE seq = ?1",
    [TABLES_SUPERSEDE] = "UPDATE log SET current = 0 WHERE seq = ? AND current = 1",
};

//  The hash of a table's key - network, owner, unit, indicator, period -
//  under the store's secret (log_keys_hash). data_tables is indexed by it
//  instead of by the five names: an index entry of a few bytes rather
//  than of all five, so that the pages a batch dirties at random (the
//  units of a batch are anywhere in the index) are fewer. A client cannot
//  pile its tables under one hash: it does not know the secret.
static cibus_err_t
s_table_key (store_t *self, const char *network, const char *owner, const char *unit,
             const char *indicator, const char *period, int64_t *key)
{
    //  An absent name is hashed as empty: the row that names it is then
    //  refused by the log's CHECK on a version's columns, as it was by
    //  data_tables' NOT NULL (a replica is delivered what the broker
    //  checked, but is not to crash on less).
    const char *const parts [5] = {network ? network : "", owner ? owner : "", unit ? unit : "",
                                   indicator ? indicator : "", period ? period : ""};
    return log_keys_hash (self, parts, 5, key);
}

cibus_err_t
tables_name_key (store_t *self, const char *const *parts, size_t count, int64_t *key)
{
    assert (count == 1 || count == 2);
    //  The bytes log_keys_hash hashes: the parts joined by zero bytes.
    unsigned char input [sizeof self->name_keys [0].input];
    size_t size = 0;
    bool fits = true;
    for (size_t i = 0; i < count && fits; i++) {
        size_t len = strlen (parts [i]);
        fits = size + (i > 0) + len <= sizeof input;
        if (fits && i)
            input [size++] = 0;
        if (fits)
            memcpy (input + size, parts [i], len);
        size += len;
    }
    struct store_name_key *last = &self->name_keys [count - 1];
    if (fits && last->size == size + 1 && memcmp (last->input, input, size) == 0) {
        *key = last->key;
        return CIBUS_OK;
    }
    if (!fits)
        return log_keys_hash (self, parts, count, key);
    log_keys_hash_bytes (self, input, size, key);
    //  size + 1: an empty cache (size 0) matches nothing.
    memcpy (last->input, input, size);
    last->size = size + 1;
    last->key = *key;
    return CIBUS_OK;
}

//  The two keys of a table's names (tables_name_key): its indicator's,
//  which the log's partial index log_ikey finds it by, and its network's
//  and owner's (okey, no longer indexed: migration 19).
static cibus_err_t
s_name_keys (store_t *self, const char *network, const char *owner, const char *indicator,
             int64_t *ikey, int64_t *okey)
{
    const char *const of_indicator [1] = {indicator ? indicator : ""};
    const char *const of_owner [2] = {network ? network : "", owner ? owner : ""};
    cibus_err_t err = tables_name_key (self, of_indicator, 1, ikey);
    return err ? err : tables_name_key (self, of_owner, 2, okey);
}

cibus_err_t
tables_prepare (store_t *self)
{
    if (!self->shapes && !(self->shapes = disclosure_shapes_new ()))
        return CIBUS_ERR_NOMEM;
    return store_prepare_all (self, self->tables, s_sql, TABLES__COUNT);
}

//  What a migration's UPDATE calls for every table (s_fill): the hash of
//  the names it is passed.
typedef struct {
    store_t *store;
    const char *step; //  for the progress lines
    uint64_t done;
    bool failed;
} s_fill_t;

#define S_FILL_PROGRESS 1000000 /* tables between two progress lines */

//  One more table hashed; a progress line every S_FILL_PROGRESS.
static void
s_fill_done (s_fill_t *fill)
{
    if (++fill->done % S_FILL_PROGRESS == 0) {
        log_value_t db;
        log_info ("event=store-migrating db=\"%s\" step=%s tables=%llu",
                  log_escape (&db, fill->store->path), fill->step,
                  (unsigned long long)fill->done);
    }
}

//  The key of a table's five names (migration 9's).
static void
s_fill_key (sqlite3_context *context, int argc, sqlite3_value **argv)
{
    s_fill_t *fill = sqlite3_user_data (context);
    const char *parts [5] = {"", "", "", "", ""};
    for (int i = 0; i < argc && i < 5; i++)
        if (sqlite3_value_text (argv [i]))
            parts [i] = (const char *)sqlite3_value_text (argv [i]);
    int64_t key = 0;
    if (argc != 5
        || s_table_key (fill->store, parts [0], parts [1], parts [2], parts [3], parts [4],
                        &key)) {
        fill->failed = true;
        sqlite3_result_error_nomem (context);
        return;
    }
    sqlite3_result_int64 (context, key);
    s_fill_done (fill);
}

//  The key of a table's indicator (one argument) or of its network and
//  owner (two): migration 15's, which calls it twice a table.
static void
s_fill_name_key (sqlite3_context *context, int argc, sqlite3_value **argv)
{
    s_fill_t *fill = sqlite3_user_data (context);
    const char *parts [2] = {"", ""};
    for (int i = 0; i < argc && i < 2; i++)
        if (sqlite3_value_text (argv [i]))
            parts [i] = (const char *)sqlite3_value_text (argv [i]);
    int64_t key = 0;
    if (argc < 1 || argc > 2 || tables_name_key (fill->store, parts, (size_t)argc, &key)) {
        fill->failed = true;
        sqlite3_result_error_nomem (context);
        return;
    }
    sqlite3_result_int64 (context, key);
    if (argc == 2)
        s_fill_done (fill);
}

//  A copy of its argument, counted: a table's masked copy (migration 16's)
//  or its network (17's).
static void
s_fill_copy (sqlite3_context *context, int argc, sqlite3_value **argv)
{
    s_fill_t *fill = sqlite3_user_data (context);
    if (argc == 1)
        sqlite3_result_value (context, argv [0]);
    s_fill_done (fill);
}

//  A migration's step that goes through every table: function (of args
//  arguments; -1 for any) is registered as name for the UPDATE update,
//  with a progress line every S_FILL_PROGRESS tables, then then runs
//  (the indexes the step makes, named by then_name). The secret was
//  drawn by migration 8; a database made at 8 or later has not read it
//  yet.
static cibus_err_t
s_fill (store_t *self, const char *step, const char *name, int args,
        void (*function) (sqlite3_context *, int, sqlite3_value **), const char *update,
        const char *then_name, const char *then)
{
    cibus_err_t err = log_keys_prepare (self);
    if (err)
        return err;
    s_fill_t fill = {.store = self, .step = step};
    if (sqlite3_create_function (self->db, name, args, SQLITE_UTF8, &fill, function, NULL, NULL)
        != SQLITE_OK)
        return store_fail (self, step);
    err = store_exec (self, update, step);
    //  Gone once the step is done: it points into this frame. Should it
    //  stay, the migration fails and its transaction is rolled back.
    if (sqlite3_create_function (self->db, name, args, SQLITE_UTF8, NULL, NULL, NULL, NULL)
        != SQLITE_OK)
        err = store_fail (self, step);
    if (err == CIBUS_OK && !fill.failed) {
        log_value_t db;
        log_info ("event=store-migrating db=\"%s\" step=%s-%s tables=%llu",
                  log_escape (&db, self->path), step, then_name, (unsigned long long)fill.done);
        err = store_exec (self, then, step);
    }
    return err || fill.failed ? CIBUS_ERR_STORE : CIBUS_OK;
}

cibus_err_t
tables_keys_fill (store_t *self)
{
    return s_fill (self, "table-keys", "cibus_table_key", 5, s_fill_key,
                   "UPDATE data_tables SET tkey = cibus_table_key (network, owner, unit, "
                   "indicator, period);",
                   "index", "CREATE INDEX data_tables_tkey ON data_tables (tkey);");
}

cibus_err_t
tables_name_keys_fill (store_t *self)
{
    return s_fill (self, "table-name-keys", "cibus_name_key", -1, s_fill_name_key,
                   "UPDATE data_tables SET ikey = cibus_name_key (indicator), "
                   "okey = cibus_name_key (network, owner);", "index",
                   "CREATE INDEX data_tables_ikey ON data_tables (ikey);"
                   "CREATE INDEX data_tables_okey ON data_tables (okey);");
}

//  A migration's check before it moves rows: CIBUS_OK when count (an SQL
//  count of the rows it would lose or misplace) is 0; otherwise STORE,
//  logged as op with that many of what.
static cibus_err_t
s_none_astray (store_t *self, const char *count, const char *op, const char *what)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, count, -1, &stmt, NULL) != SQLITE_OK)
        return store_fail (self, op);
    int rc = sqlite3_step (stmt);
    int64_t astray = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
    sqlite3_finalize (stmt);
    if (astray < 0)
        return store_fail (self, op);
    if (astray > 0) {
        log_value_t db;
        log_error ("event=store-failed op=%s db=\"%s\" error=\"%lld %s\"", op,
                   log_escape (&db, self->path), (long long)astray, what);
        return CIBUS_ERR_STORE;
    }
    return CIBUS_OK;
}

cibus_err_t
tables_masked_move (store_t *self)
{
    cibus_err_t err = s_none_astray (
        self,
        "SELECT count(*) FROM masked m WHERE NOT EXISTS (SELECT 1 FROM data_tables t WHERE "
        "t.seq = m.seq AND t.owner = m.owner) OR NOT EXISTS (SELECT 1 FROM log l WHERE "
        "l.seq = m.seq)",
        "migrate-masked",
        "masked copies have no table version of their seq and owner, or no entry in the log");
    return err ? err
               : s_fill (self, "masked-copies", "cibus_masked_copy", 1, s_fill_copy,
                         "UPDATE log SET (owner, masked) = (SELECT m.owner, cibus_masked_copy "
                         "(m.envelope) FROM masked m WHERE m.seq = log.seq) "
                         "WHERE seq IN (SELECT seq FROM masked);",
                         "drop", "DROP TABLE masked;");
}

cibus_err_t
tables_log_merge (store_t *self)
{
    //  The view reads owner and publisher from the log row: a version of
    //  another owner than its entry's would be shown to other readers.
    cibus_err_t err = s_none_astray (
        self,
        "SELECT count(*) FROM data_tables t WHERE NOT EXISTS (SELECT 1 FROM log l WHERE "
        "l.seq = t.seq AND l.owner = t.owner AND l.partner = t.publisher AND "
        "l.received_at = t.received_at)",
        "migrate-tables",
        "table versions have no entry in the log of their seq, owner, publisher and time");
    return err ? err
               : s_fill (self, "table-columns", "cibus_table_columns", 1, s_fill_copy,
                         "UPDATE log SET (network, unit, indicator, period, version, status, "
                         "source, extracted_on, current, tkey, cells, ikey, okey) = (SELECT "
                         "cibus_table_columns (t.network), t.unit, t.indicator, t.period, "
                         "t.version, t.status, t.source, t.extracted_on, t.current, t.tkey, "
                         "t.cells, t.ikey, t.okey FROM data_tables t WHERE t.seq = log.seq) "
                         "WHERE seq IN (SELECT seq FROM data_tables);",
                         "index",
                         "CREATE INDEX log_ikey ON log (ikey) WHERE ikey IS NOT NULL;"
                         "CREATE INDEX log_okey ON log (okey) WHERE okey IS NOT NULL;");
}

//  Migration 12's step: one version's rows of data_cells, read in the
//  order of their seq and cell, packed as cells.c packs a new version's.
//  Every row is kept, however many: a replica written before it refused
//  tables of more cells than a table may have could hold one.
typedef struct {
    CibusStore__StoredCell *rows;
    CibusStore__StoredCell **items;
    size_t count, capacity;
    arena_t *text; /* the rows' texts, for this version only */
    codec_buf_t buf;
} s_old_cells_t;

static const char *
s_old_text (s_old_cells_t *old, sqlite3_stmt *stmt, int column, bool *failed)
{
    const char *text = (const char *)sqlite3_column_text (stmt, column);
    if (!text)
        return NULL;
    char *copy = arena_strdup (old->text, text);
    *failed |= !copy;
    return copy;
}

//  Read the row stmt is on into the next of old's rows. False when out of
//  memory.
static bool
s_old_row (s_old_cells_t *old, sqlite3_stmt *stmt)
{
    if (old->count == old->capacity) {
        size_t capacity = old->capacity ? 2 * old->capacity : CIBUS_MAX_CELLS + 1;
        CibusStore__StoredCell *rows = realloc (old->rows, capacity * sizeof *rows);
        if (rows)
            old->rows = rows;
        CibusStore__StoredCell **items =
            rows ? realloc (old->items, capacity * sizeof *items) : NULL;
        if (!items)
            return false;
        old->items = items;
        old->capacity = capacity;
    }
    CibusStore__StoredCell *row = &old->rows [old->count];
    cibus_store__stored_cell__init (row);
    bool failed = false;
    row->cell = sqlite3_column_int64 (stmt, 1);
    row->dims_key = (char *)s_old_text (old, stmt, 2, &failed);
    row->dim_count = (uint32_t)sqlite3_column_int64 (stmt, 3);
    row->dim_key = (char *)s_old_text (old, stmt, 4, &failed);
    row->dim_value = (char *)s_old_text (old, stmt, 5, &failed);
    if ((row->has_value = sqlite3_column_type (stmt, 6) != SQLITE_NULL))
        row->value = sqlite3_column_double (stmt, 6);
    if ((row->has_n = sqlite3_column_type (stmt, 7) != SQLITE_NULL))
        row->n = sqlite3_column_int64 (stmt, 7);
    if ((row->has_numerator = sqlite3_column_type (stmt, 8) != SQLITE_NULL))
        row->numerator = sqlite3_column_int64 (stmt, 8);
    if ((row->has_denominator = sqlite3_column_type (stmt, 9) != SQLITE_NULL))
        row->denominator = sqlite3_column_int64 (stmt, 9);
    row->suppressed = sqlite3_column_int (stmt, 10) != 0;
    row->mark = (uint32_t)sqlite3_column_int (stmt, 11);
    if ((row->has_low = sqlite3_column_type (stmt, 12) != SQLITE_NULL))
        row->low = sqlite3_column_double (stmt, 12);
    if ((row->has_high = sqlite3_column_type (stmt, 13) != SQLITE_NULL))
        row->high = sqlite3_column_double (stmt, 13);
    row->size_shown = sqlite3_column_int (stmt, 14) != 0;
    if (!row->dims_key)
        row->dims_key = ""; //  NOT NULL in data_cells
    old->count++;
    return !failed;
}

//  Pack the rows read and write them into their version's row.
static cibus_err_t
s_old_put (store_t *self, s_old_cells_t *old, sqlite3_stmt *put, sqlite3_int64 seq)
{
    //  Pointed to now: the rows may have moved as they grew.
    for (size_t i = 0; i < old->count; i++)
        old->items [i] = &old->rows [i];
    CibusStore__StoredCells message = CIBUS_STORE__STORED_CELLS__INIT;
    message.n_cells = old->count;
    message.cells = old->items;
    cibus_err_t err = codec_pack_message (&message.base, &old->buf);
    if (err == CIBUS_OK) {
        sqlite3_bind_blob (put, 1, old->buf.data, (int)old->buf.size, SQLITE_STATIC);
        sqlite3_bind_int64 (put, 2, seq);
        err = store_step_done (self, put, "table-cells-fill");
    }
    old->count = 0;
    arena_destroy (&old->text);
    return err;
}

cibus_err_t
tables_cells_fill (store_t *self)
{
    sqlite3_stmt *rows = NULL, *put = NULL;
    cibus_err_t err = store_prepare (self, &rows,
                                     "SELECT seq, cell, dims_key, dim_count, dim_key, dim_value, "
                                     "value, n, numerator, denominator, suppressed, mark, low, "
                                     "high, size_shown FROM data_cells ORDER BY seq, cell");
    if (err == CIBUS_OK)
        err = store_prepare (self, &put, "UPDATE data_tables SET cells = ? WHERE seq = ?");
    s_old_cells_t *old = err ? NULL : calloc (1, sizeof *old);
    if (!err && !old)
        err = CIBUS_ERR_NOMEM;
    sqlite3_int64 seq = 0;
    uint64_t versions = 0;
    int rc = SQLITE_DONE;
    while (err == CIBUS_OK && (rc = sqlite3_step (rows)) == SQLITE_ROW) {
        sqlite3_int64 row_seq = sqlite3_column_int64 (rows, 0);
        if (old->count && row_seq != seq) {
            err = s_old_put (self, old, put, seq);
            if (++versions % S_FILL_PROGRESS == 0) {
                log_value_t db;
                log_info ("event=store-migrating db=\"%s\" step=table-cells versions=%llu",
                          log_escape (&db, self->path), (unsigned long long)versions);
            }
        }
        seq = row_seq;
        if (err == CIBUS_OK && !old->text && !(old->text = arena_new ()))
            err = CIBUS_ERR_NOMEM;
        if (err == CIBUS_OK && !s_old_row (old, rows))
            err = CIBUS_ERR_NOMEM;
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "table-cells-fill");
    if (err == CIBUS_OK && old->count)
        err = s_old_put (self, old, put, seq);
    if (old) {
        arena_destroy (&old->text);
        codec_buf_release (&old->buf);
        free (old->rows);
        free (old->items);
        free (old);
    }
    sqlite3_finalize (rows);
    sqlite3_finalize (put);
    return err;
}

cibus_err_t
tables_keys_load_start (store_t *self, bool full, uint64_t *after)
{
    static const key_run_index_t index = {
        .name = "table_keys",
        .insert = "INSERT OR IGNORE INTO table_keys (tkey, seq) VALUES",
        .fill = "SELECT tkey FROM table_keys",
    };
    self->table_run = key_run_new (self, &index, full);
    if (!self->table_run)
        return store_fail (self, "table-keys-load");
    *after = 0;
    key_run_marks (self->table_run, after, NULL);
    return CIBUS_OK;
}

cibus_err_t
tables_keys_load_entry (store_t *self, uint64_t seq, int64_t key)
{
    //  Those written before the store closed are held too: a lookup takes
    //  a seq found twice once.
    if (key_run_add (self->table_run, key, seq))
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_KEY_ADD];
    sqlite3_bind_int64 (stmt, 1, key);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)seq);
    return store_step_done (self, stmt, "table-keys-load");
}

void
tables_finalize (store_t *self)
{
    key_run_destroy (&self->table_run);
    cells_pack_release (&self->cells);
    disclosure_shapes_destroy (&self->shapes);
    store_finalize_all (self->tables, TABLES__COUNT);
}

//  ------------------------------------------------------------ one version

struct tables_work_t {
    char owner [CIBUS_MAX_NAME + 1];
    char *client_owner; /* what the publisher sent in data.owner */
    const char *unit;   /* "" for the owner itself */
    const envelope_t *def; /* the indicator's definition in force, lent by the catalogue */
    envelope_t *def_owned; /* or a copy, when the catalogue's cache had no room for it */
    disclosure_dimension_t *dimensions;
    const char **categories; /* every dimension's categories, one array */
    tables_version_t *versions;   /* the earlier versions, then the new one */
    size_t count;
    int64_t tkey; /* the hash of the table's key (s_table_key) */
};

void
tables_version_release (tables_version_t *version)
{
    codec_envelope_free (version->env);
    free (version->cells);
    free (version->coords);
    free (version->marks);
    memset (version, 0, sizeof *version);
}

static void
s_work_free (tables_work_t *work)
{
    if (!work)
        return;
    for (size_t i = 0; i < work->count; i++)
        tables_version_release (&work->versions [i]);
    free (work->versions);
    free (work->dimensions);
    free (work->categories);
    codec_envelope_free (work->def_owned);
    free (work);
}

const char *
tables_owner (const tables_work_t *work)
{
    return work->owner;
}

void
tables_restore (envelope_t *env, tables_work_t **work_p)
{
    tables_work_t *work = work_p ? *work_p : NULL;
    if (!work)
        return;
    if (env && env->body_case == CIBUS__ENVELOPE__BODY_DATA)
        env->data->owner = work->client_owner;
    s_work_free (work);
    *work_p = NULL;
}

static bool
s_ratio (const Cibus__IndicatorDefinition *def)
{
    return def->unit == CIBUS__UNIT__PERCENT || def->unit == CIBUS__UNIT__RATE;
}

//  The cell of the disclosure module for a cell of the wire. A score is a
//  mean: the module adds values up across cells, so it is passed as its
//  sum (mean * n).
static void
s_cell (const Cibus__IndicatorDefinition *def, const Cibus__DataCell *cell,
        disclosure_cell_t *out)
{
    memset (out, 0, sizeof *out);
    out->suppressed = cell->has_suppressed && cell->suppressed;
    out->has_n = cell->has_n;
    out->n = cell->n;
    //  Counts go to the module whatever the unit: a count, score or currency
    //  that carries a numerator or denominator is refused there, not
    //  stored beside a value that ignores them.
    out->has_numerator = cell->has_numerator;
    out->numerator = cell->numerator;
    out->has_denominator = cell->has_denominator;
    out->denominator = cell->denominator;
    if (!s_ratio (def) && cell->has_value) {
        out->has_value = true;
        out->value = cell->value;
        if (def->unit == CIBUS__UNIT__SCORE)
            out->value = cell->has_n ? cell->value * (double)cell->n : cell->value;
    }
}

cibus_err_t
tables_version_fill (const Cibus__IndicatorDefinition *def, const char *unit,
                     const disclosure_dimension_t *dimensions, tables_version_t *version)
{
    const Cibus__DataSubmission *data = version->data;
    size_t coords = 0;
    for (size_t i = 0; i < data->n_cells; i++)
        coords += data->cells [i]->n_dimensions;
    version->cells = calloc (data->n_cells ? data->n_cells : 1, sizeof *version->cells);
    version->coords = calloc (coords ? coords : 1, sizeof *version->coords);
    if (!version->marks)
        version->marks = calloc (data->n_cells ? data->n_cells : 1, sizeof *version->marks);
    if (!version->cells || !version->coords || !version->marks)
        return CIBUS_ERR_NOMEM;
    size_t used = 0;
    for (size_t i = 0; i < data->n_cells; i++) {
        const Cibus__DataCell *cell = data->cells [i];
        s_cell (def, cell, &version->cells [i]);
        version->cells [i].coords = &version->coords [used];
        version->cells [i].coord_count = cell->n_dimensions;
        for (size_t d = 0; d < cell->n_dimensions; d++, used++) {
            version->coords [used].dimension = cell->dimensions [d]->key;
            version->coords [used].category = cell->dimensions [d]->value;
        }
    }
    disclosure_table_t *table = &version->table;
    table->indicator = data->indicator;
    table->period = data->period;
    table->unit = unit;
    table->kind = s_ratio (def) ? DISCLOSURE_RATIO : DISCLOSURE_VALUE;
    table->dimensions = dimensions;
    table->dimension_count = def->n_dimensions;
    s_cell (def, data->total, &table->total);
    table->cells = version->cells;
    table->cell_count = data->n_cells;
    version->decision.cells = version->marks;
    return CIBUS_OK;
}

static bool
s_listed (const char *const *items, size_t count, const char *item)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (items [i], item) == 0)
            return true;
    return false;
}

cibus_err_t
tables_dimensions (const Cibus__IndicatorDefinition *def, const tables_version_t *versions,
                   size_t count, disclosure_dimension_t **dimensions_p,
                   const char ***categories_p)
{
    size_t room = 0;
    for (size_t c = 0; c < def->n_categories; c++)
        room += def->categories [c]->n_categories;
    for (size_t v = 0; v < count; v++)
        for (size_t i = 0; i < versions [v].data->n_cells; i++)
            room += versions [v].data->cells [i]->n_dimensions;
    disclosure_dimension_t *dimensions =
        calloc (def->n_dimensions ? def->n_dimensions : 1, sizeof *dimensions);
    const char **categories = calloc (room ? room : 1, sizeof *categories);
    *dimensions_p = dimensions;
    *categories_p = categories;
    if (!dimensions || !categories)
        return CIBUS_ERR_NOMEM;
    size_t used = 0;
    for (size_t d = 0; d < def->n_dimensions; d++) {
        disclosure_dimension_t *dimension = &dimensions [d];
        dimension->name = def->dimensions [d];
        dimension->categories = &categories [used];
        const Cibus__DimensionCategories *list = NULL;
        for (size_t c = 0; c < def->n_categories && !list; c++)
            if (strcmp (def->categories [c]->dimension, dimension->name) == 0)
                list = def->categories [c];
        for (size_t c = 0; list && c < list->n_categories; c++)
            categories [used++] = list->categories [c];
        for (size_t v = 0; !list && v < count; v++) {
            const Cibus__DataSubmission *data = versions [v].data;
            for (size_t i = 0; i < data->n_cells; i++)
                for (size_t k = 0; k < data->cells [i]->n_dimensions; k++) {
                    const Cibus__Dimension *coord = data->cells [i]->dimensions [k];
                    size_t listed = (size_t)(&categories [used] - dimension->categories);
                    if (strcmp (coord->key, dimension->name) == 0
                        && !s_listed (dimension->categories, listed, coord->value))
                        categories [used++] = coord->value;
                }
        }
        dimension->category_count = (size_t)(&categories [used] - dimension->categories);
    }
    return CIBUS_OK;
}

//  ------------------------------------------------------------ the checks

//  The allowed range of a value: the definition's min and max, else what
//  the unit implies (a percent is 0..100, a rate 0..1, a count not negative).
static void
s_range (const Cibus__IndicatorDefinition *def, double *low, double *high)
{
    *low = -INFINITY;
    *high = INFINITY;
    if (s_ratio (def) || def->unit == CIBUS__UNIT__COUNT)
        *low = 0;
    if (def->unit == CIBUS__UNIT__PERCENT)
        *high = 100;
    else if (def->unit == CIBUS__UNIT__RATE)
        *high = 1;
    if (def->has_min)
        *low = def->min;
    if (def->has_max)
        *high = def->max;
}

//  A cell's name in a message: "the total" or "cell race=black,income=low".
static const char *
s_cell_name (const Cibus__DataCell *cell, char *name, size_t size)
{
    if (cell->n_dimensions == 0)
        return snprintf (name, size, "the total"), name;
    size_t used = (size_t)snprintf (name, size, "cell ");
    for (size_t i = 0; i < cell->n_dimensions && used < size; i++)
        used += (size_t)snprintf (name + used, size - used, "%s%.64s=%.64s", i ? "," : "",
                                  cell->dimensions [i]->key, cell->dimensions [i]->value);
    return name;
}

//  Derive a percent's or rate's value from its counts (or check the one
//  given against them), and keep every value within the indicator's range.
static cibus_err_t
s_check_values (const Cibus__IndicatorDefinition *def, Cibus__DataCell *cell, const char *field,
                codec_problem_t *problem)
{
    char name [CIBUS_MAX_CROSS * 140 + 8];
    if (s_ratio (def) && cell->has_numerator && cell->has_denominator && cell->denominator > 0
        && cell->numerator <= cell->denominator) {
        //  100 * num / den rather than 100 * (num / den): 230/400 is then
        //  57.5 exactly, not 57.499999999999993.
        bool percent = def->unit == CIBUS__UNIT__PERCENT;
        double derived = percent ? 100.0 * (double)cell->numerator / (double)cell->denominator
                                 : (double)cell->numerator / (double)cell->denominator;
        //  A value given beside its counts must be them, rounded to one
        //  decimal of a percent (0.05 points; 0.0005 for a rate).
        double tolerance = percent ? 0.05 : 0.0005;
        if (cell->has_value && fabs (cell->value - derived) > tolerance + 1e-9)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                      "%s: value %g disagrees with %llu/%llu = %.4g",
                                      s_cell_name (cell, name, sizeof name), cell->value,
                                      (unsigned long long)cell->numerator,
                                      (unsigned long long)cell->denominator, derived);
        cell->has_value = true;
        cell->value = derived;
    } else if (s_ratio (def) || !cell->has_value)
        return CIBUS_OK; //  the table's check names what is missing
    //  A derived value is judged against the range like a given one.
    double low, high;
    s_range (def, &low, &high);
    if (cell->value < low || cell->value > high)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s: value %g is outside the range of indicator '%s' [%g, %g]",
                                  s_cell_name (cell, name, sizeof name), cell->value,
                                  def->indicator, low, high);
    return CIBUS_OK;
}

//  Who owns the table, and whether the publisher may submit it: a partner
//  its own tables, an integrator those of the partners it is registered
//  to feed, the backbone anyone's. The owner must belong to the network.
static cibus_err_t
s_check_owner (store_t *self, tables_work_t *work, const Cibus__DataSubmission *data,
               const char *network, const store_partner_t *publisher, codec_problem_t *problem)
{
    const char *owner = data->owner && *data->owner ? data->owner : NULL;
    if (publisher->role == ROLE_INTEGRATOR) {
        if (!owner)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.owner",
                                      "field 'data.owner' is required: an integrator names "
                                      "the partner each table belongs to");
        if (!s_listed ((const char *const *)publisher->feeds, publisher->feed_count, owner))
            return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "data.owner",
                                      "'%s' is not registered to submit tables for '%.128s'",
                                      publisher->name, owner);
    } else if (publisher->role == ROLE_PARTNER && owner
               && strcmp (owner, publisher->name) != 0)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "data.owner",
                                  "a partner submits its own tables only; the owner of a table "
                                  "is the publisher, '%s'",
                                  publisher->name);
    text_put (work->owner, sizeof work->owner, 0, owner ? owner : publisher->name);
    if (!owner || strcmp (owner, publisher->name) == 0)
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_PARTNER_IN];
    sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, network, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    bool member = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0);
    bool known = rc == SQLITE_ROW && sqlite3_column_int (stmt, 1);
    store_reset (stmt);
    if (rc != SQLITE_ROW)
        return store_fail (self, "table-owner"), codec_problem_set (problem, CIBUS_ERR_STORE,
                                                                    NULL,
                                                                    "the store could not read "
                                                                    "the registry; try again");
    if (!known || (!member && publisher->role == ROLE_INTEGRATOR))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.owner",
                                  "partner '%.128s' is not in the registry", owner);
    if (!member)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.owner",
                                  "partner '%.128s' is not a member of network '%s'", owner,
                                  network);
    return CIBUS_OK;
}

//  Bind the table's key - network, owner, unit, indicator, period - to
//  the first five parameters of stmt, where every statement on a table
//  names it, and its hash to ?20.
static void
s_bind_key (sqlite3_stmt *stmt, const char *network, const tables_work_t *work,
            const Cibus__DataSubmission *data)
{
    sqlite3_bind_text (stmt, 1, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, work->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, work->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, data->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, data->period, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 20, work->tkey);
}

//  Versions of one table a lookup may find: its own (at most
//  CIBUS_MAX_VERSIONS) and, found twice, those both in memory and in
//  table_keys (after a reopen); more is refused as too many versions.
#define S_FOUND_MAX (2 * CIBUS_MAX_VERSIONS + 2)

typedef struct {
    uint64_t seq;
    int64_t version;
} s_found_t;

static int
s_found_compare (const void *a, const void *b)
{
    const s_found_t *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

//  Step a statement of (seq, version) rows into found.
static cibus_err_t
s_found_add (store_t *self, sqlite3_stmt *stmt, s_found_t *found, size_t *count)
{
    int rc;
    cibus_err_t err = CIBUS_OK;
    while (err == CIBUS_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (*count == S_FOUND_MAX)
            err = CIBUS_ERR_QUOTA;
        else
            found [(*count)++] = (s_found_t){.seq = (uint64_t)sqlite3_column_int64 (stmt, 0),
                                             .version = sqlite3_column_int64 (stmt, 1)};
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "table-versions");
    store_reset (stmt);
    return err;
}

//  The seqs of the table's versions, oldest first, into seqs (room for
//  CIBUS_MAX_VERSIONS; QUOTA past it): those table_keys holds under its
//  key's hash and those memory holds (key_run.h), each checked against
//  the table's five names.
static cibus_err_t
s_versions (store_t *self, const char *network, const tables_work_t *work,
            const Cibus__DataSubmission *data, uint64_t *seqs, size_t *count)
{
    s_found_t found [S_FOUND_MAX];
    size_t n = 0;
    //  table_keys is read only when it may hold the key (key_filter.h).
    assert (self->keys_state != STORE_KEYS_DEFERRED);
    cibus_err_t err = CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_VERSIONS];
    if (!self->table_run || key_run_index_may_hold (self->table_run, work->tkey)) {
        s_bind_key (stmt, network, work, data);
        err = s_found_add (self, stmt, found, &n);
    }
    uint64_t held [S_FOUND_MAX];
    size_t held_count = self->table_run
                            ? key_run_find (self->table_run, work->tkey, held, S_FOUND_MAX)
                            : 0;
    if (err == CIBUS_OK && held_count > S_FOUND_MAX)
        err = CIBUS_ERR_QUOTA;
    stmt = self->tables [TABLES_VERSION_OF];
    for (size_t i = 0; err == CIBUS_OK && i < held_count; i++) {
        s_bind_key (stmt, network, work, data);
        sqlite3_bind_int64 (stmt, 6, (sqlite3_int64)held [i]);
        err = s_found_add (self, stmt, found, &n);
    }
    if (err)
        return err;
    qsort (found, n, sizeof *found, s_found_compare);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (*count && seqs [*count - 1] == found [i].seq)
            continue;
        if (*count == CIBUS_MAX_VERSIONS)
            return CIBUS_ERR_QUOTA;
        seqs [(*count)++] = found [i].seq;
    }
    return CIBUS_OK;
}

//  Read the earlier versions of the table, each with the decision stored
//  for it, into work->versions (oldest first), which has room for them
//  and the new version. Sized to the table rather than to the most a
//  table may have: at CIBUS_MAX_VERSIONS the array was a request larger
//  than malloc's small sizes, and each one, for every table, made malloc
//  sort out every small block freed since the one before.
static cibus_err_t
s_earlier (store_t *self, tables_work_t *work, const Cibus__DataSubmission *data,
           const char *network)
{
    uint64_t seqs [CIBUS_MAX_VERSIONS];
    size_t count = 0;
    cibus_err_t err = s_versions (self, network, work, data, seqs, &count);
    if (err)
        return err;
    //  Not zeroed: each version is cleared as it is taken (here, and the
    //  latest in tables_check), and only those taken (work->count) are read.
    work->versions = malloc ((count + 1) * sizeof *work->versions);
    if (!work->versions)
        return CIBUS_ERR_NOMEM;
    for (size_t i = 0; err == CIBUS_OK && i < count; i++) {
        tables_version_t *version = &work->versions [work->count];
        memset (version, 0, sizeof *version);
        version->seq = seqs [i];
        sqlite3_stmt *one = self->tables [TABLES_ENVELOPE];
        sqlite3_bind_int64 (one, 1, (sqlite3_int64)version->seq);
        if (sqlite3_step (one) == SQLITE_ROW)
            version->env = codec_envelope_decode (sqlite3_column_blob (one, 0),
                                                  (size_t)sqlite3_column_bytes (one, 0));
        store_reset (one);
        if (!version->env || version->env->body_case != CIBUS__ENVELOPE__BODY_DATA
            || !version->env->data->total) {
            codec_envelope_free (version->env);
            err = store_fail (self, "table-version");
            break;
        }
        version->data = version->env->data;
        work->count++;
    }
    //  The new version would be one more than the most a table may have.
    if (err == CIBUS_OK && work->count >= CIBUS_MAX_VERSIONS)
        err = CIBUS_ERR_QUOTA;
    return err;
}

//  Mark every version at seqs not current.
static cibus_err_t
s_supersede (store_t *self, const uint64_t *seqs, size_t count)
{
    cibus_err_t err = CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_SUPERSEDE];
    for (size_t i = 0; err == CIBUS_OK && i < count; i++) {
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)seqs [i]);
        err = store_step_done (self, stmt, "table-supersede");
    }
    return err;
}

cibus_err_t
tables_version_marks (store_t *self, tables_version_t *version)
{
    size_t cells = version->data->n_cells;
    if (!version->marks && !(version->marks = calloc (cells ? cells : 1, sizeof *version->marks)))
        return CIBUS_ERR_NOMEM;
    version->decision.cells = version->marks;
    sqlite3_stmt *stmt = self->tables [TABLES_MARKS];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)version->seq);
    int rc = sqlite3_step (stmt);
    cibus_err_t err = rc == SQLITE_ROW
                          ? cells_marks (sqlite3_column_blob (stmt, 0),
                                         (size_t)sqlite3_column_bytes (stmt, 0), cells,
                                         &version->decision.total, version->marks)
                      : rc == SQLITE_DONE ? CIBUS_ERR_BAD_FIELD
                                          : store_fail (self, "table-marks");
    store_reset (stmt);
    return err;
}

//  Map a refusal of the disclosure module onto the wire's fields.
static cibus_err_t
s_refused (const disclosure_problem_t *found, codec_problem_t *problem)
{
    const char *field = found->cell == DISCLOSURE_TOTAL ? "data.total"
                        : found->cell >= 0             ? "data.cells"
                                                       : "data";
    cibus_err_t code = found->code == CIBUS_ERR_NOMEM ? CIBUS_ERR_NOMEM : CIBUS_ERR_BAD_FIELD;
    return codec_problem_set (problem, code, field, "%s", found->message);
}

cibus_err_t
tables_check (store_t *self, envelope_t *env, const char *network,
              const store_partner_t *publisher, tables_work_t **work_p,
              codec_problem_t *problem)
{
    assert (env->body_case == CIBUS__ENVELOPE__BODY_DATA);
    Cibus__DataSubmission *data = env->data;
    tables_work_t *work = calloc (1, sizeof *work);
    if (!work)
        return codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    work->client_owner = data->owner;
    work->unit = data->unit ? data->unit : "";
    cibus_err_t err = CIBUS_OK;
    if (measure_indicator_borrow (self, data->indicator, &work->def, &work->def_owned))
        err = codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                                 "the store could not read the catalogue; try again");
    else if (!work->def)
        err = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.indicator",
                                 "indicator '%s' is not in the catalogue", data->indicator);
    const Cibus__IndicatorDefinition *def = err ? NULL : work->def->indicator;
    if (def && def->n_networks > 0
        && !s_listed ((const char *const *)def->networks, def->n_networks, network))
        err = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.indicator",
                                 "indicator '%s' is not used in network '%s'", def->indicator,
                                 network);
    if (def && !err && !codec_period_is (data->period, def->period_kind))
        err = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.period",
                                 "indicator '%s' expects %s, got '%.64s'", def->indicator,
                                 codec_period_example (def->period_kind), data->period);
    if (!err)
        err = s_check_owner (self, work, data, network, publisher, problem);
    if (!err)
        err = s_check_values (def, data->total, "data.total", problem);
    for (size_t i = 0; !err && i < data->n_cells; i++)
        err = s_check_values (def, data->cells [i], "data.cells", problem);
    if (!err && s_table_key (self, network, work->owner, work->unit, data->indicator,
                             data->period, &work->tkey))
        err = codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    if (!err) {
        err = s_earlier (self, work, data, network);
        if (err == CIBUS_ERR_QUOTA)
            err = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.period",
                                     "table %s %s of '%s' has %d versions, the most a table "
                                     "may have",
                                     data->indicator, data->period, work->owner,
                                     CIBUS_MAX_VERSIONS);
        else if (err == CIBUS_ERR_NOMEM)
            err = codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
        else if (err)
            err = codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                                     "the store could not read the table's versions; try again");
    }
    if (!err) {
        //  Deciding a correction weighs every earlier version: its cost
        //  grows with all their cells, so that is what is bounded.
        size_t history = data->n_cells + 1;
        for (size_t v = 0; v < work->count; v++)
            history += work->versions [v].data->n_cells + 1;
        if (history > CIBUS_MAX_HISTORY)
            err = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.cells",
                                     "table %s %s of '%s' would hold %zu cells over its %zu "
                                     "versions, more than the %d one table may hold",
                                     data->indicator, data->period, work->owner, history,
                                     work->count + 1, CIBUS_MAX_HISTORY);
    }
    if (!err) {
        tables_version_t *latest = &work->versions [work->count++];
        memset (latest, 0, sizeof *latest);
        latest->data = data;
        if (tables_dimensions (work->def->indicator, work->versions, work->count,
                               &work->dimensions, &work->categories))
            err = codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    }
    for (size_t v = 0; !err && v < work->count; v++)
        if (tables_version_fill (work->def->indicator, work->unit, work->dimensions,
                                 &work->versions [v]))
            err = codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    for (size_t v = 0; !err && v + 1 < work->count; v++)
        if (tables_version_marks (self, &work->versions [v]))
            err = codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                                     "the store could not read the table's decisions; try "
                                     "again");
    if (!err) {
        disclosure_rules_t rules;
        tables_rules (self, &rules);
        rules.shapes = self->shapes;
        tables_version_t *latest = &work->versions [work->count - 1];
        disclosure_problem_t found = {0};
        cibus_err_t rc;
        if (work->count == 1)
            rc = disclosure_decide (&latest->table, &rules, &latest->decision, &found);
        else {
            disclosure_view_t views [CIBUS_MAX_VERSIONS];
            for (size_t v = 0; v + 1 < work->count; v++)
                views [v] = (disclosure_view_t){&work->versions [v].table,
                                                &work->versions [v].decision};
            rc = disclosure_decide_correction (views, work->count - 1, &latest->table, &rules,
                                               &latest->decision, &found);
        }
        if (rc)
            err = s_refused (&found, problem);
    }
    if (err || !work_p) {
        s_work_free (work);
        return err;
    }
    data->owner = work->owner;
    data->has_version = true;
    data->version = (uint32_t)work->count;
    *work_p = work;
    return CIBUS_OK;
}

//  ------------------------------------------------------------ the append

//  Mask a cell in place as its mark says: the copy readers other than the
//  owner and the backbone receive.
static void
s_mask (const Cibus__IndicatorDefinition *def, Cibus__DataCell *cell,
        const disclosure_mark_t *mark)
{
    static const Cibus__Disclosure states [] = {
        [DISCLOSURE_SHOWN] = CIBUS__DISCLOSURE__SHOWN,
        [DISCLOSURE_HIDDEN_PRIMARY] = CIBUS__DISCLOSURE__HIDDEN_SMALL,
        [DISCLOSURE_HIDDEN_COMPLEMENT] = CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT,
        [DISCLOSURE_CODED] = CIBUS__DISCLOSURE__CODED,
    };
    cell->has_disclosure = true;
    cell->disclosure = states [mark->state];
    if (mark->state == DISCLOSURE_SHOWN)
        return;
    cell->has_numerator = false;
    cell->numerator = 0;
    cell->has_value = false;
    cell->value = 0;
    if (!mark->size_shown) {
        cell->has_denominator = false;
        cell->denominator = 0;
        cell->has_n = false;
        cell->n = 0;
    }
    if (mark->state == DISCLOSURE_CODED) {
        //  The module codes percents; a rate is shown in its own scale.
        double scale = def->unit == CIBUS__UNIT__RATE ? 0.01 : 1;
        cell->has_low = cell->has_high = true;
        cell->low = mark->low * scale;
        cell->high = mark->high * scale;
    } else {
        cell->has_suppressed = true;
        cell->suppressed = true;
    }
}

//  Make the previous version's masked copy a marker: the table's name and
//  version, superseded, without a cell.
static cibus_err_t
s_marker (store_t *self, tables_work_t *work)
{
    const tables_version_t *previous = &work->versions [work->count - 2];
    const envelope_t *old = previous->env;
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = old->data->indicator;
    data.period = old->data->period;
    data.unit = old->data->unit;
    data.owner = work->owner;
    data.has_version = old->data->has_version;
    data.version = old->data->version;
    data.has_status = old->data->has_status;
    data.status = old->data->status;
    data.has_masked = data.masked = true;
    data.has_superseded = data.superseded = true;
    envelope_t marker = CIBUS__ENVELOPE__INIT;
    marker.has_seq = old->has_seq;
    marker.seq = old->seq;
    marker.topic = old->topic;
    marker.partner = old->partner;
    marker.id = old->id;
    marker.has_received_at = old->has_received_at;
    marker.received_at = old->received_at;
    marker.body_case = CIBUS__ENVELOPE__BODY_DATA;
    marker.data = &data;
    codec_buf_t buf = {0};
    cibus_err_t err = codec_pack_envelope (&marker, &buf);
    if (err == CIBUS_OK) {
        sqlite3_stmt *stmt = self->tables [TABLES_MARKER];
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)previous->seq);
        sqlite3_bind_blob (stmt, 2, buf.data, (int)buf.size, SQLITE_STATIC);
        err = store_step_done (self, stmt, "table-marker");
        if (err == CIBUS_OK && sqlite3_changes (self->db) != 1)
            err = store_fail (self, "table-marker");
    }
    codec_buf_release (&buf);
    return err;
}

//  The version's own columns, in its entry's log row: what its cells
//  share, whether it is the table's current version, and its cells packed
//  (cells.h), or none. Pointers into env, work and cells.
static cibus_err_t
s_version_columns (store_t *self, const envelope_t *env, const char *network,
                   const tables_work_t *work, bool current, const codec_buf_t *cells,
                   store_version_t *columns)
{
    const Cibus__DataSubmission *data = env->data;
    *columns = (store_version_t){
        .network = network,
        .unit = work->unit,
        .indicator = data->indicator,
        .period = data->period,
        .source = data->source,
        .extracted_on = data->extracted_on,
        .version = (int64_t)data->version,
        .tkey = work->tkey,
        .status = data->has_status ? data->status : CIBUS__VALUE_STATUS__FINAL,
        .current = current,
        .cells = cells ? cells->data : NULL,
        .cells_size = cells ? cells->size : 0,
    };
    return s_name_keys (self, network, work->owner, data->indicator, &columns->ikey,
                        &columns->okey)
               ? CIBUS_ERR_NOMEM
               : CIBUS_OK;
}

//  The version's key in memory, written to table_keys in order later; to
//  the table now when memory is full.
static cibus_err_t
s_add_key (store_t *self, const tables_work_t *work, uint64_t seq)
{
    assert (self->keys_state != STORE_KEYS_DEFERRED);
    if (self->table_run && key_run_add (self->table_run, work->tkey, seq))
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_KEY_ADD];
    sqlite3_bind_int64 (stmt, 1, work->tkey);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)seq);
    return store_step_done (self, stmt, "table-key-add");
}

//  A replica's version: its columns into the log row of its entry,
//  inserted already.
static cibus_err_t
s_add_version (store_t *self, const envelope_t *env, const char *network,
               const tables_work_t *work, bool current, const codec_buf_t *cells)
{
    store_version_t columns;
    cibus_err_t err = s_version_columns (self, env, network, work, current, cells, &columns);
    if (err)
        return err;
    sqlite3_stmt *stmt = self->tables [TABLES_ADD];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)env->seq);
    sqlite3_bind_text (stmt, 2, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 5, env->received_at);
    sqlite3_bind_text (stmt, 7, work->owner, -1, SQLITE_STATIC);
    store_bind_version (stmt, &columns);
    err = store_step_done (self, stmt, "table-add");
    if (err == CIBUS_OK && sqlite3_changes (self->db) != 1) {
        log_value_t db;
        log_error ("event=store-failed op=table-add db=\"%s\" seq=%llu error=\"the version's "
                   "entry is not in the log as it was just added\"",
                   log_escape (&db, self->path), (unsigned long long)env->seq);
        err = CIBUS_ERR_STORE;
    }
    return err ? err : s_add_key (self, work, env->seq);
}

cibus_err_t
tables_append (store_t *self, envelope_t *env, const char *network, tables_work_t *work,
               codec_buf_t *masked, uint64_t *superseded, store_version_t *columns)
{
    Cibus__DataSubmission *data = env->data;
    const tables_version_t *latest = &work->versions [work->count - 1];
    *superseded = 0;
    cibus_err_t err = CIBUS_OK;
    if (work->count > 1) {
        err = s_marker (self, work);
        *superseded = work->versions [work->count - 2].seq;
    }
    //  The projection's cells first, packed from the whole table; then
    //  the same cells masked in place for the copy, which the caller
    //  writes in the entry's log row.
    //  A first version has no cells to supersede.
    for (size_t v = 0; err == CIBUS_OK && v + 1 < work->count; v++)
        err = s_supersede (self, &work->versions [v].seq, 1);
    if (err == CIBUS_OK)
        err = cells_pack (&self->cells, data->total, &latest->decision.total, data->cells,
                          latest->marks, data->n_cells);
    if (err)
        return err;
    const Cibus__IndicatorDefinition *def = work->def->indicator;
    s_mask (def, data->total, &latest->decision.total);
    for (size_t i = 0; i < data->n_cells; i++)
        s_mask (def, data->cells [i], &latest->marks [i]);
    err = s_version_columns (self, env, network, work, true, &self->cells.buf, columns);
    if (err == CIBUS_OK)
        err = s_add_key (self, work, env->seq);
    if (err)
        return err;
    data->has_masked = data->masked = true;
    return codec_pack_envelope (env, masked);
}

//  ------------------------------------------------------------ a replica

//  The mark a delivered copy's cell carries: a masked copy's disclosure
//  (low and high back in the module's percent scale), SHOWN for a cell of
//  a whole copy, which its owner and the backbone see whole anyway.
static void
s_mark_of (const Cibus__DataCell *cell, bool rate, disclosure_mark_t *mark)
{
    memset (mark, 0, sizeof *mark);
    mark->size_shown = true;
    if (!cell->has_disclosure)
        return;
    switch (cell->disclosure) {
        case CIBUS__DISCLOSURE__HIDDEN_SMALL:
            mark->state = DISCLOSURE_HIDDEN_PRIMARY;
            break;
        case CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT:
            mark->state = DISCLOSURE_HIDDEN_COMPLEMENT;
            break;
        case CIBUS__DISCLOSURE__CODED:
            mark->state = DISCLOSURE_CODED;
            mark->low = rate ? cell->low * 100 : cell->low;
            mark->high = rate ? cell->high * 100 : cell->high;
            break;
        default:
            return;
    }
    mark->size_shown = cell->has_n || cell->has_denominator;
}

cibus_err_t
tables_replicate (store_t *self, envelope_t *env, const char *network)
{
    assert (env->body_case == CIBUS__ENVELOPE__BODY_DATA);
    Cibus__DataSubmission *data = env->data;
    tables_work_t work;
    memset (&work, 0, sizeof work);
    snprintf (work.owner, sizeof work.owner, "%s", tables_received_owner (env));
    work.unit = data->unit ? data->unit : "";
    tables_version_t versions [2];
    memset (versions, 0, sizeof versions);
    work.versions = versions;
    cibus_err_t err = s_table_key (self, network, work.owner, work.unit, data->indicator,
                                   data->period, &work.tkey);
    if (err)
        return err;
    //  The version before this one, as the replica holds it: its masked
    //  copy becomes the marker the broker made when this one arrived.
    uint64_t seqs [CIBUS_MAX_VERSIONS];
    size_t count = 0;
    err = s_versions (self, network, &work, data, seqs, &count);
    //  This one would be one more than the most a table may have, as the
    //  broker counts them (s_earlier).
    if (err == CIBUS_OK && count >= CIBUS_MAX_VERSIONS)
        err = CIBUS_ERR_QUOTA;
    if (err == CIBUS_ERR_QUOTA) {
        //  The broker never delivers more versions of a table than it
        //  keeps: this replica was written by something else.
        log_value_t db;
        log_limited (self->limit, LEVEL_ERROR, "store-failed",
                     "event=store-failed op=table-versions db=\"%s\" seq=%llu error=\"the "
                     "replica holds the most versions a table may have (%d) and was sent "
                     "one more\"",
                     log_escape (&db, self->path), (unsigned long long)env->seq,
                     CIBUS_MAX_VERSIONS);
        err = CIBUS_ERR_STORE;
    }
    uint64_t previous = 0;
    for (size_t i = 0; err == CIBUS_OK && i < count; i++)
        if (seqs [i] < env->seq)
            previous = seqs [i];
    bool superseded = data->has_superseded && data->superseded;
    if (err == CIBUS_OK && previous && !superseded) {
        sqlite3_stmt *one = self->tables [TABLES_ENVELOPE];
        sqlite3_bind_int64 (one, 1, (sqlite3_int64)previous);
        if (sqlite3_step (one) == SQLITE_ROW)
            versions [0].env = codec_envelope_decode (sqlite3_column_blob (one, 0),
                                                      (size_t)sqlite3_column_bytes (one, 0));
        store_reset (one);
        if (!versions [0].env || versions [0].env->body_case != CIBUS__ENVELOPE__BODY_DATA)
            err = store_fail (self, "table-version");
        else {
            versions [0].seq = previous;
            versions [0].data = versions [0].env->data;
            work.count = 2;
            err = s_marker (self, &work);
        }
    }
    codec_envelope_free (versions [0].env);
    //  A marker (a version superseded before this reader received it) has
    //  no cells: its total is projected as hidden and not current, which
    //  is all the broker's history shows this reader of an earlier
    //  version's total. (Its breakdowns, which the history by a dimension
    //  lists hidden too, the replica never received.)
    const codec_buf_t *cells = NULL;
    if (err == CIBUS_OK && superseded) {
        Cibus__DataCell empty = CIBUS__DATA_CELL__INIT;
        disclosure_mark_t hidden = {.state = DISCLOSURE_HIDDEN_PRIMARY};
        err = s_supersede (self, seqs, count);
        if (err == CIBUS_OK)
            err = cells_pack (&self->cells, &empty, &hidden, NULL, NULL, 0);
        cells = &self->cells.buf;
    }
    if (err == CIBUS_OK && !superseded && data->total) {
        bool rate = false;
        envelope_t *def = NULL;
        if (measure_indicator (self, data->indicator, &def, NULL) == CIBUS_OK && def)
            rate = def->indicator->unit == CIBUS__UNIT__RATE;
        codec_envelope_free (def);
        err = s_supersede (self, seqs, count);
        //  No more cells than a table may have: store_replicate refuses more.
        assert (data->n_cells <= CIBUS_MAX_CELLS);
        disclosure_mark_t mark, marks [CIBUS_MAX_CELLS];
        s_mark_of (data->total, rate, &mark);
        for (size_t i = 0; i < data->n_cells; i++)
            s_mark_of (data->cells [i], rate, &marks [i]);
        if (err == CIBUS_OK)
            err = cells_pack (&self->cells, data->total, &mark, data->cells, marks, data->n_cells);
        cells = &self->cells.buf;
    }
    //  A marker's total is projected hidden and not current.
    return err ? err : s_add_version (self, env, network, &work, !superseded, cells);
}

const char *
tables_received_owner (const envelope_t *env)
{
    return env->data->owner ? env->data->owner : env->partner;
}
