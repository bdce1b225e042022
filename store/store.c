/*  store.c - the log in SQLite.

    Design
    ------
    One database file holds the log, the partner registry and the schema
    version. It is opened once with its pragmas (WAL, synchronous, foreign
    keys, a busy timeout so a `cibusd partner add` from another process
    waits instead of failing) and every statement is prepared once, here,
    and reset after each use.

    The invariant this file keeps is that seq is contiguous and that an
    entry exists for readers only after its COMMIT returned SQLITE_OK. The
    next seq is kept in memory (the broker is the only writer: it holds the
    data directory's lock) and only advances when a commit succeeds; an
    aborted batch gives its seqs back, so a failed commit leaves no gap.

    Each (partner, id) is stored once: log_keys.c keeps the dedupe key,
    which both finds a retry's entry and makes a second add of the same
    pair fail rather than store twice.

    A full disk is a state, not an end: when the database cannot be opened
    as usual (SQLite's shared-memory index needs space), it is opened
    without shared memory, for this process alone; reads work, commits fail
    with SQLITE_FULL (store_full says so) until there is space, and
    store_recover opens it as usual again.                                */

#include "store_internal.h"
#include "checkpoint.h"
#include "key_run.h"
#include "log_keys.h"
#include "tables.h"
#include "usage.h"
#include "wal_vfs.h"

#include "log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

//  data_values, a row per cell of every version, as migration 13 made it
//  and 15 made it again with two columns more: the view's columns up to
//  current, each migration adding its own and its FROM (13's text as it
//  shipped, byte for byte).
#define S_DATA_VALUES_VIEW                                                                         \
    "CREATE VIEW data_values AS SELECT t.seq AS seq, c.cell AS cell, t.owner AS partner, "         \
    "  t.publisher AS publisher, t.network AS network, t.indicator AS indicator, "                 \
    "  t.period AS period, t.unit AS unit, t.version AS version, c.dims_key AS dims_key, "         \
    "  c.dim_count AS dim_count, c.dim_key AS dim_key, c.dim_value AS dim_value, "                 \
    "  c.value AS value, c.n AS n, c.numerator AS numerator, c.denominator AS denominator, "       \
    "  c.suppressed AS suppressed, c.mark AS mark, c.low AS low, c.high AS high, "                 \
    "  c.size_shown AS size_shown, t.status AS status, t.source AS source, "                       \
    "  t.extracted_on AS extracted_on, t.received_at AS received_at, t.current AS current"

//  Numbered migrations: entry i brings the schema from version i to i + 1.
//  Never edit one that has shipped; add the next.
static const char *s_migrations [] = {
    //  1: the log and the partner registry
    "CREATE TABLE log ("
    "  seq INTEGER PRIMARY KEY,"
    "  partner TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  envelope BLOB NOT NULL);"
    "CREATE UNIQUE INDEX log_partner_id ON log (partner, id);"
    "CREATE TABLE partners ("
    "  name TEXT PRIMARY KEY,"
    "  public_key TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('backbone', 'partner', 'integrator')),"
    "  added_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')));"
    "CREATE TABLE partner_networks ("
    "  partner TEXT NOT NULL REFERENCES partners (name) ON DELETE CASCADE,"
    "  network TEXT NOT NULL,"
    "  PRIMARY KEY (partner, network));",

    //  2: the projections of shared measurement (measure.c), derived from the
    //  log in the transaction that appends to it, and the initiative's
    //  settings. A definition's own fields stay in its log entry.
    "CREATE TABLE indicators ("
    "  id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL UNIQUE,"
    "  PRIMARY KEY (id, version));"
    "CREATE TABLE data_values ("
    "  seq INTEGER PRIMARY KEY,"
    "  partner TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  dims_key TEXT NOT NULL,"
    "  dim_count INTEGER NOT NULL,"
    "  dim_key TEXT,"
    "  dim_value TEXT,"
    "  value REAL,"
    "  n INTEGER,"
    "  numerator INTEGER,"
    "  denominator INTEGER,"
    "  status INTEGER NOT NULL,"
    "  source TEXT,"
    "  extracted_on TEXT,"
    "  received_at INTEGER NOT NULL,"
    "  current INTEGER NOT NULL CHECK (current IN (0, 1)));"
    "CREATE UNIQUE INDEX data_values_cell ON data_values (partner, indicator, period, dims_key)"
    "  WHERE current = 1;"
    "CREATE INDEX data_values_indicator ON data_values (indicator, period) WHERE current = 1;"
    "CREATE TABLE commitments ("
    "  id TEXT PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  comment TEXT,"
    "  created_seq INTEGER NOT NULL,"
    "  updated_seq INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX commitments_due ON commitments (due);"
    "CREATE TABLE notes ("
    "  seq INTEGER PRIMARY KEY,"
    "  partner TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  held_on TEXT NOT NULL,"
    "  decisions TEXT NOT NULL DEFAULT '[]');"
    "CREATE INDEX notes_held_on ON notes (held_on);"
    "CREATE TABLE config ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);",

    //  3: a commitment is named by its id within its network. One namespace
    //  across networks told a partner that an id was taken in a network it
    //  may not read.
    "CREATE TABLE commitments_by_network ("
    "  id TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  comment TEXT,"
    "  created_seq INTEGER NOT NULL,"
    "  updated_seq INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (network, id));"
    "INSERT INTO commitments_by_network (id, owner, network, action, due, status, comment, "
    "  created_seq, updated_seq, updated_at) "
    "  SELECT id, owner, network, action, due, status, comment, created_seq, updated_seq, "
    "  updated_at FROM commitments;"
    "DROP TABLE commitments;"
    "ALTER TABLE commitments_by_network RENAME TO commitments;"
    "CREATE INDEX commitments_due ON commitments (due);",

    //  4: data is released as tables (protocol version 3). A table is one
    //  indicator, period and reporting unit of an owner; each version of it
    //  is one log entry. data_values holds a row per cell of every version
    //  with the decision made for it at write time (mark: 0 shown, 1 hidden
    //  as small, 2 hidden as a complement, 3 coded to [low, high]); masked
    //  holds the copy of each data entry that readers other than its owner
    //  and the backbone receive. Entries of version 2 were single cells and
    //  are not carried over: no deployed log holds any.
    "DROP TABLE data_values;"
    "CREATE TABLE data_values ("
    "  seq INTEGER NOT NULL,"
    "  cell INTEGER NOT NULL,"
    "  partner TEXT NOT NULL,"
    "  publisher TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  dims_key TEXT NOT NULL,"
    "  dim_count INTEGER NOT NULL,"
    "  dim_key TEXT,"
    "  dim_value TEXT,"
    "  value REAL,"
    "  n INTEGER,"
    "  numerator INTEGER,"
    "  denominator INTEGER,"
    "  suppressed INTEGER NOT NULL,"
    "  mark INTEGER NOT NULL,"
    "  low REAL,"
    "  high REAL,"
    "  size_shown INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  source TEXT,"
    "  extracted_on TEXT,"
    "  received_at INTEGER NOT NULL,"
    "  current INTEGER NOT NULL CHECK (current IN (0, 1)),"
    "  PRIMARY KEY (seq, cell));"
    "CREATE INDEX data_values_indicator ON data_values (indicator, period) WHERE current = 1;"
    "CREATE INDEX data_values_table ON data_values (network, partner, unit, indicator, period) "
    "  WHERE current = 1;"
    "CREATE TABLE data_tables ("
    "  network TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL UNIQUE,"
    "  PRIMARY KEY (network, owner, unit, indicator, period, version));"
    "CREATE TABLE masked ("
    "  seq INTEGER PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  envelope BLOB NOT NULL);"
    "CREATE TABLE partner_feeds ("
    "  integrator TEXT NOT NULL REFERENCES partners (name) ON DELETE CASCADE,"
    "  partner TEXT NOT NULL,"
    "  PRIMARY KEY (integrator, partner));",

    //  5: a commitment names the note (and the decision of it) it came from
    //  (protocol version 4), and a note is named by its id within its
    //  network, as a commitment is. The notes already projected take their
    //  ids from the log; commitments made before could name no note.
    "ALTER TABLE notes ADD COLUMN id TEXT;"
    "UPDATE notes SET id = (SELECT l.id FROM log l WHERE l.seq = notes.seq);"
    "CREATE INDEX notes_id ON notes (network, id);"
    "ALTER TABLE commitments ADD COLUMN from_note TEXT;"
    "ALTER TABLE commitments ADD COLUMN decision INTEGER;"
    "CREATE INDEX commitments_from_note ON commitments (network, from_note) "
    "  WHERE from_note IS NOT NULL;",

    //  6: the practices units took up (protocol version 4), as the backbone
    //  recorded them: one row per network, unit and practice, the latest
    //  tag's dates (a later tag corrects them, or says the practice
    //  stopped). unit is "partner" or "partner/unit", as the values query
    //  names a unit; until is the first day without it, NULL while it runs.
    "CREATE TABLE practices ("
    "  network TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  practice TEXT NOT NULL,"
    "  since TEXT NOT NULL,"
    "  until TEXT,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (network, unit, practice));"
    "CREATE INDEX practices_practice ON practices (practice);",

    //  7: what the cells of one version of a table share - its key, its
    //  publisher, status, source and dates, and whether it is the current
    //  version - is held once, in data_tables (keyed by the version's seq),
    //  and data_cells holds only what is each cell's. A table of four cells
    //  was written as four rows in four b-trees each; it is now one row in
    //  three and four rows in one. data_values, what readers select from,
    //  becomes the view that joins them, row for row as the table was.
    "CREATE TABLE data_cells ("
    "  seq INTEGER NOT NULL,"
    "  cell INTEGER NOT NULL,"
    "  dims_key TEXT NOT NULL,"
    "  dim_count INTEGER NOT NULL,"
    "  dim_key TEXT,"
    "  dim_value TEXT,"
    "  value REAL,"
    "  n INTEGER,"
    "  numerator INTEGER,"
    "  denominator INTEGER,"
    "  suppressed INTEGER NOT NULL,"
    "  mark INTEGER NOT NULL,"
    "  low REAL,"
    "  high REAL,"
    "  size_shown INTEGER NOT NULL,"
    "  PRIMARY KEY (seq, cell)) WITHOUT ROWID;"
    "INSERT INTO data_cells SELECT seq, cell, dims_key, dim_count, dim_key, dim_value, value, "
    "  n, numerator, denominator, suppressed, mark, low, high, size_shown FROM data_values;"
    "CREATE TABLE data_versions ("
    "  seq INTEGER PRIMARY KEY,"
    "  network TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  publisher TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  source TEXT,"
    "  extracted_on TEXT,"
    "  received_at INTEGER NOT NULL,"
    "  current INTEGER NOT NULL CHECK (current IN (0, 1)));"
    "INSERT INTO data_versions SELECT t.seq, t.network, t.owner, t.unit, t.indicator, "
    "  t.period, t.version, v.publisher, v.status, v.source, v.extracted_on, v.received_at, "
    "  v.current FROM data_tables t JOIN data_values v ON v.seq = t.seq AND v.cell = -1;"
    "DROP TABLE data_values;"
    "DROP TABLE data_tables;"
    "ALTER TABLE data_versions RENAME TO data_tables;"
    "CREATE UNIQUE INDEX data_tables_key "
    "  ON data_tables (network, owner, unit, indicator, period, version);"
    "CREATE INDEX data_tables_indicator ON data_tables (indicator, period);"
    "CREATE VIEW data_values AS SELECT c.seq AS seq, c.cell AS cell, t.owner AS partner, "
    "  t.publisher AS publisher, t.network AS network, t.indicator AS indicator, "
    "  t.period AS period, t.unit AS unit, t.version AS version, c.dims_key AS dims_key, "
    "  c.dim_count AS dim_count, c.dim_key AS dim_key, c.dim_value AS dim_value, "
    "  c.value AS value, c.n AS n, c.numerator AS numerator, c.denominator AS denominator, "
    "  c.suppressed AS suppressed, c.mark AS mark, c.low AS low, c.high AS high, "
    "  c.size_shown AS size_shown, t.status AS status, t.source AS source, "
    "  t.extracted_on AS extracted_on, t.received_at AS received_at, t.current AS current "
    "  FROM data_tables t JOIN data_cells c ON c.seq = t.seq;",

    //  8: the dedupe key (log_keys.c) instead of the unique index on
    //  (partner, id), a third of its size; its step draws the secret and
    //  keys every entry. A partner's entries are still found by name (the
    //  quota's usage), through an index that grows at the end of each
    //  partner's range rather than at random.
    "CREATE TABLE log_keys ("
    "  key INTEGER PRIMARY KEY,"
    "  seq INTEGER NOT NULL);"
    "CREATE TABLE log_key_secret ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  secret BLOB NOT NULL);"
    "DROP INDEX log_partner_id;"
    "CREATE INDEX log_partner ON log (partner);",

    //  9: data tables are found by the hash of their key (tables.c's
    //  s_table_key), a few bytes an entry, instead of through a unique
    //  index of the five names; its step hashes every table and makes the
    //  index. A partner's tables in a network (QUERY_SUBMITTED) are found
    //  through an index that grows at the end of each partner's range.
    "ALTER TABLE data_tables ADD COLUMN tkey INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX data_tables_key;"
    "CREATE INDEX data_tables_owner ON data_tables (network, owner);",

    //  10: the newest dedupe keys are held in memory and written to
    //  log_keys in key order (key_run.c); this row says up to which entry
    //  they are all in the table, and which entries the run being written
    //  holds.
    "CREATE TABLE key_runs ("
    "  name TEXT PRIMARY KEY,"
    "  flushed INTEGER NOT NULL,"
    "  frozen INTEGER NOT NULL);"
    "INSERT INTO key_runs SELECT 'log_keys', COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0) "
    "  FROM log;",

    //  11: the same for the tables' key: its hash and the table's seq in a
    //  table of their own, written in key order, instead of the index on
    //  data_tables (tkey) that took each table's at random.
    "CREATE TABLE table_keys ("
    "  tkey INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (tkey, seq)) WITHOUT ROWID;"
    "INSERT INTO table_keys SELECT tkey, seq FROM data_tables ORDER BY tkey, seq;"
    "DROP INDEX data_tables_tkey;"
    "INSERT INTO key_runs SELECT 'table_keys', COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0) "
    "  FROM log;",

    //  12: a version's cells are packed in its own row of data_tables
    //  (cells.h) instead of a row each in data_cells: one value in the
    //  row a table writes anyway instead of a row of fifteen columns per
    //  cell, up to eight to a statement. Its step packs every version's.
    "ALTER TABLE data_tables ADD COLUMN cells BLOB;",

    //  13: data_values reads the packed cells through the table-valued
    //  function cibus_cells, row for row as it read data_cells.
    "DROP VIEW data_values;"
    "DROP TABLE data_cells;"
    S_DATA_VALUES_VIEW "   FROM data_tables t, cibus_cells (t.cells) c;",

    //  14: the bytes each partner has stored, kept as entries are added
    //  (usage.c), instead of summed through an index on log (partner)
    //  that every entry paid for and only that sum read.
    "CREATE TABLE partner_usage ("
    "  partner TEXT PRIMARY KEY,"
    "  bytes INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO partner_usage SELECT partner, SUM (length (envelope)) FROM log "
    "  GROUP BY partner;"
    "DROP INDEX log_partner;",

    //  15: a table's indicator, and its network and owner, are found by
    //  the hashes of those names (tables_name_key) instead of through
    //  indexes of the names themselves, whose entries every table wrote
    //  comparing strings from the root of each index down. data_values
    //  shows the two hashes, for the queries to name. Its step hashes
    //  every table's and makes the indexes.
    "ALTER TABLE data_tables ADD COLUMN ikey INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE data_tables ADD COLUMN okey INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX data_tables_indicator;"
    "DROP INDEX data_tables_owner;"
    "DROP VIEW data_values;"
    S_DATA_VALUES_VIEW ", t.ikey AS ikey, t.okey AS okey "
    "  FROM data_tables t, cibus_cells (t.cells) c;",

    //  16: a table's masked copy (or its marker), and the table's owner,
    //  are columns of its entry's log row instead of a row of their own
    //  in masked, keyed by the same seq, that every table wrote in one
    //  more b-tree and every replay read from one more. Its step checks
    //  that every copy is of a table version of its seq and owner and of
    //  an entry, copies each into its entry's row, and drops masked.
    "ALTER TABLE log ADD COLUMN owner TEXT; ALTER TABLE log ADD COLUMN masked BLOB;",

    //  17: a table version's own columns are columns of its entry's log
    //  row too: a table was two rows in two b-trees, the log's and
    //  data_tables', and is now one row with the entry. Its step checks
    //  that every version is of an entry of its seq, owner, publisher and
    //  time, copies each into its entry's row, and indexes the rows' two
    //  keys of names' hashes. A row with ikey set is a version and must
    //  have what data_tables held NOT NULL: its CHECK, in one place.
    "ALTER TABLE log ADD COLUMN network TEXT; ALTER TABLE log ADD COLUMN unit TEXT;"
    "ALTER TABLE log ADD COLUMN indicator TEXT; ALTER TABLE log ADD COLUMN period TEXT;"
    "ALTER TABLE log ADD COLUMN version INTEGER; ALTER TABLE log ADD COLUMN status INTEGER;"
    "ALTER TABLE log ADD COLUMN source TEXT; ALTER TABLE log ADD COLUMN extracted_on TEXT;"
    "ALTER TABLE log ADD COLUMN current INTEGER CHECK (current IN (0, 1));"
    "ALTER TABLE log ADD COLUMN tkey INTEGER; ALTER TABLE log ADD COLUMN cells BLOB;"
    "ALTER TABLE log ADD COLUMN okey INTEGER;"
    "ALTER TABLE log ADD COLUMN ikey INTEGER CHECK (ikey IS NULL OR (network IS NOT NULL "
    "  AND owner IS NOT NULL AND unit IS NOT NULL AND indicator IS NOT NULL "
    "  AND period IS NOT NULL AND version IS NOT NULL AND status IS NOT NULL "
    "  AND current IS NOT NULL AND tkey IS NOT NULL AND okey IS NOT NULL));",

    //  18: data_tables is the view of the log's rows that hold a table
    //  version (ikey set), column for column as the table was; the two
    //  indexes of names' hashes are partial indexes of the log, of those
    //  rows only (made by 17's step). data_values reads it as before.
    "DROP VIEW data_values;"
    "DROP TABLE data_tables;"
    "CREATE VIEW data_tables AS SELECT seq, network, owner, unit, indicator, period, version, "
    "  partner AS publisher, status, source, extracted_on, received_at, current, tkey, cells, "
    "  ikey, okey FROM log WHERE ikey IS NOT NULL;"
    S_DATA_VALUES_VIEW ", t.ikey AS ikey, t.okey AS okey "
    "  FROM data_tables t, cibus_cells (t.cells) c;",

    //  19: a partner's count of values (QUERY_SUBMITTED) is read for
    //  every partner in one pass over the current tables, so the index of
    //  owners' hashes, which every table wrote and only that count read,
    //  goes. okey stays a column, named by 17's CHECK.
    "DROP INDEX log_okey;",
};
#define S_MIGRATIONS ((int)(sizeof s_migrations / sizeof s_migrations [0]))

//  What a migration does besides its SQL, after it, in its transaction.
static cibus_err_t (*const s_migration_steps [S_MIGRATIONS]) (store_t *) = {
    [7] = log_keys_fill,
    [8] = tables_keys_fill,
    [11] = tables_cells_fill,
    [14] = tables_name_keys_fill,
    [15] = tables_masked_move,
    [16] = tables_log_merge,
};

cibus_err_t
store_fail (store_t *self, const char *what)
{
    //  A full disk is the operator's to fix, and the broker's to say so:
    //  remember it for store_full(); a commit that goes through forgets it.
    if ((sqlite3_errcode (self->db) & 0xff) == SQLITE_FULL)
        self->full = true;
    //  SQLite's message may quote a name from the database: escape it too.
    //  A client can make a failure repeat (a publish a second on a full
    //  disk): the lines are limited like any such event.
    log_value_t db, error;
    log_limited (self->limit, LEVEL_ERROR, "store-failed",
                 "event=store-failed op=%s db=\"%s\" error=\"%s\"", what,
                 log_escape (&db, self->path), log_escape (&error, sqlite3_errmsg (self->db)));
    return CIBUS_ERR_STORE;
}

cibus_err_t
store_exec (store_t *self, const char *sql, const char *what)
{
    char *message = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK) {
        if ((sqlite3_errcode (self->db) & 0xff) == SQLITE_FULL)
            self->full = true;
        log_value_t db, error;
        log_limited (self->limit, LEVEL_ERROR, "store-failed",
                     "event=store-failed op=%s db=\"%s\" error=\"%s\"", what,
                     log_escape (&db, self->path),
                     log_escape (&error, message ? message : sqlite3_errmsg (self->db)));
        sqlite3_free (message);
        return CIBUS_ERR_STORE;
    }
    return CIBUS_OK;
}

cibus_err_t
store_prepare (store_t *self, sqlite3_stmt **stmt, const char *sql)
{
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
        return store_fail (self, "prepare");
    return CIBUS_OK;
}

cibus_err_t
store_prepare_all (store_t *self, sqlite3_stmt **stmts, const char *const *sql, int count)
{
    for (int i = 0; i < count; i++)
        if (sql [i] && store_prepare (self, &stmts [i], sql [i]))
            return CIBUS_ERR_STORE;
    return CIBUS_OK;
}

void
store_finalize_all (sqlite3_stmt **stmts, int count)
{
    for (int i = 0; i < count; i++) {
        sqlite3_finalize (stmts [i]);
        stmts [i] = NULL;
    }
}

void
store_bind_text_or_null (sqlite3_stmt *stmt, int index, const char *text)
{
    if (text && *text)
        sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (stmt, index);
}

static int
s_user_version (store_t *self)
{
    sqlite3_stmt *stmt;
    int version = -1;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step (stmt) == SQLITE_ROW)
            version = sqlite3_column_int (stmt, 0);
        sqlite3_finalize (stmt);
    }
    return version;
}

//  The schema version lives in SQLite's user_version header field: it is
//  written in the same transaction as the migration, so a crash leaves the
//  database either wholly at the old version or wholly at the new.
static cibus_err_t
s_migrate (store_t *self)
{
    if (store_exec (self, "BEGIN IMMEDIATE", "migrate-begin"))
        return CIBUS_ERR_STORE;
    int version = s_user_version (self);
    if (version < 0 || version > S_MIGRATIONS) {
        log_value_t db;
        log_error ("event=store-failed op=migrate db=\"%s\" error=\"schema version %d is not "
                   "one this cibus knows (1..%d): is the database from a newer release?\"",
                   log_escape (&db, self->path), version, S_MIGRATIONS);
        store_exec (self, "ROLLBACK", "migrate-rollback");
        return CIBUS_ERR_STORE;
    }
    for (int next = version; next < S_MIGRATIONS; next++) {
        char pragma [64];
        snprintf (pragma, sizeof pragma, "PRAGMA user_version = %d", next + 1);
        if (store_exec (self, s_migrations [next], "migrate")
            || (s_migration_steps [next] && s_migration_steps [next](self))
            || store_exec (self, pragma, "migrate-version")) {
            store_exec (self, "ROLLBACK", "migrate-rollback");
            return CIBUS_ERR_STORE;
        }
        log_value_t db;
        log_info ("event=store-migrated db=\"%s\" version=%d", log_escape (&db, self->path),
                  next + 1);
    }
    return store_exec (self, "COMMIT", "migrate-commit");
}

static cibus_err_t
s_prepare_all (store_t *self)
{
    if (store_prepare (self, &self->begin, "BEGIN IMMEDIATE")
        || store_prepare (self, &self->commit, "COMMIT")
        || store_prepare (self, &self->rollback, "ROLLBACK")
        || store_prepare (self, &self->insert,
                          "INSERT INTO log (seq, partner, id, topic, received_at, envelope, "
                          "owner, masked, network, unit, indicator, period, version, status, "
                          "source, extracted_on, current, tkey, cells, ikey, okey) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        || store_prepare (self, &self->read,
                          "SELECT seq, topic, envelope, owner, masked FROM log "
                          "WHERE seq >= ? ORDER BY seq LIMIT ?")
        || store_prepare (self, &self->read_topics,
                          "SELECT seq, topic FROM log WHERE seq >= ? ORDER BY seq LIMIT ?")
        || store_prepare (self, &self->read_one,
                          "SELECT envelope, owner, masked FROM log WHERE seq = ?")
        || store_prepare (self, &self->data_version, "PRAGMA data_version")
        || usage_prepare (self))
        return CIBUS_ERR_STORE;
    if (log_keys_prepare (self) || registry_prepare (self) || measure_prepare (self)
        || tables_prepare (self))
        return CIBUS_ERR_STORE;
    return query_prepare (self);
}

static cibus_err_t
s_load_last_seq (store_t *self)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "SELECT COALESCE(MAX(seq), 0) FROM log", -1, &stmt, NULL)
        != SQLITE_OK)
        return store_fail (self, "last-seq");
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        self->last_seq = (uint64_t)sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? CIBUS_OK : store_fail (self, "last-seq");
}

//  WAL frames past which a commit asks the checkpointer for a checkpoint,
//  and past which the committing thread finishes the copy itself: the
//  checkpointer may never catch the last frames of a writer that never
//  pauses, and the WAL starts over only once every frame was copied
//  (checkpoint.c). 4,000 frames (16 MiB, four times SQLite's default) lets
//  a page that many commits change be copied once for all of them, and
//  keeps the copies, whose fsyncs share the disk with the commits', rare.
#define S_CHECKPOINT_FRAMES     4000
#define S_CHECKPOINT_FRAMES_MAX 16000

//  The writer's WAL hook, in place of SQLite's autocheckpoint, after every
//  commit: frames is how many the WAL holds.
static int
s_wal_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    store_t *self = arg;
    if (frames >= S_CHECKPOINT_FRAMES_MAX)
        sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    else if (frames >= S_CHECKPOINT_FRAMES)
        checkpoint_wake (self->checkpointer);
    return SQLITE_OK;
}

//  How many times the WAL's working size a disk must have free for
//  s_wal_reserve to take it.
#define S_WAL_RESERVE_ROOM 8

//  Give the WAL the size it works at from the start: S_CHECKPOINT_FRAMES
//  frames, written as zeros past its end. Between checkpoints the WAL
//  fills from its start to about that size and starts over (checkpoint.c),
//  so that each commit's fdatasync writes over space the file has; until
//  the file has it, each grows the file, and the fdatasync must commit
//  the filesystem's metadata too (on this project's virtual disk a commit
//  of one entry took 172 us at the median and 246 at the 90th percentile
//  while the WAL grew, 161 and 217 over the space; PostgreSQL fills its
//  WAL segments with zeros for the same reason). Zeros are no frame to
//  SQLite, whose frames carry the salt of the WAL's header and a
//  checksum, so it reads the WAL as it was. The write lock is held
//  meanwhile, so that no other connection appends a frame where the zeros
//  go. Best effort: on a disk without S_WAL_RESERVE_ROOM times the room
//  the WAL grows as before.
static void
s_wal_reserve (store_t *self)
{
    sqlite3_stmt *stmt = NULL;
    int page = 0;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA page_size", -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        page = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    if (page <= 0 || sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return;
    const char *wal = sqlite3_filename_wal (sqlite3_db_filename (self->db, "main"));
    int fd = wal && *wal ? open (wal, O_WRONLY | O_CLOEXEC) : -1;
    struct stat st;
    struct statvfs disk;
    off_t want = 32 + (off_t)S_CHECKPOINT_FRAMES * (24 + page), at = 0;
    //  Only on a disk with room to spare: on one without, the room is
    //  worth more than the speed.
    if (fd >= 0 && fstat (fd, &st) == 0 && (at = st.st_size) < want
        && fstatvfs (fd, &disk) == 0
        && (uint64_t)disk.f_bavail * disk.f_frsize >= S_WAL_RESERVE_ROOM * (uint64_t)want) {
        off_t had = at;
        static const char zeros [64 * 1024];
        while (at < want) {
            size_t size = want - at < (off_t)sizeof zeros ? (size_t)(want - at) : sizeof zeros;
            ssize_t wrote = pwrite (fd, zeros, size, at);
            if (wrote < 0 && errno == EINTR)
                continue;
            if (wrote <= 0)
                break;
            at += wrote;
        }
        //  A disk that filled meanwhile gets its space back.
        if ((at < want || fdatasync (fd) != 0) && ftruncate (fd, had) == 0)
            at = had;
        log_value_t db;
        log_debug ("event=wal-reserved db=\"%s\" bytes=%lld of=%lld", log_escape (&db, self->path),
                   (long long)at, (long long)want);
    }
    if (fd >= 0)
        close (fd);
    //  Nothing was written through SQLite: the transaction only held the
    //  lock, and ends without a frame.
    if (sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        store_fail (self, "wal-reserve");
}

//  Start the checkpointer for a store opened as usual; a degraded store
//  has no shared memory for a second connection, and keeps SQLite's own.
static void
s_background_start (store_t *self)
{
    if (!self->background || self->exclusive || self->checkpointer)
        return;
    s_wal_reserve (self);
    self->checkpointer = checkpoint_new (self->path, self->sync == STORE_SYNC_FULL);
    if (self->checkpointer)
        sqlite3_wal_hook (self->db, s_wal_hook, self);
}

bool
store_checkpoint_in_background (store_t *self)
{
    assert (!self->in_batch);
    self->background = true;
    s_background_start (self);
    return self->exclusive || self->checkpointer;
}

uint64_t
store_checkpoints (store_t *self)
{
    return self->checkpointer ? checkpoint_count (self->checkpointer) : 0;
}

//  Close the connection and everything prepared on it.
static void
s_close (store_t *self)
{
    if (self->in_batch)
        store_batch_abort (self);
    //  The checkpointer's last checkpoint ends before its connection goes.
    checkpoint_destroy (&self->checkpointer);
    sqlite3_stmt **stmts [] = {&self->begin,       &self->commit,      &self->rollback,
                               &self->insert,      &self->read,        &self->read_topics,
                               &self->read_one,    &self->data_version};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts [0]; i++) {
        sqlite3_finalize (*stmts [i]);
        *stmts [i] = NULL;
    }
    log_keys_finalize (self);
    usage_finalize (self);
    self->keys_state = STORE_KEYS_OPENING;
    registry_finalize (self);
    measure_finalize (self);
    tables_finalize (self);
    query_finalize (self);
    measure_cache_clear (self);
    if (self->db && sqlite3_close (self->db) != SQLITE_OK) {
        log_value_t db, error;
        log_error ("event=store-failed op=close db=\"%s\" error=\"%s\"",
                   log_escape (&db, self->path), log_escape (&error, sqlite3_errmsg (self->db)));
    }
    self->db = NULL;
}

//  Holding the keys takes seconds on a long log (about one for every two
//  or three million entries, with the log in the page cache), and is said then,
//  before and after, so that a broker slow to start says why (a store
//  that loads them at once, as every short one does, says nothing:
//  commands print what they were asked for, and no more).
#define S_KEYS_LOAD_SAID_MSEC    1000
#define S_KEYS_LOAD_SAID_ENTRIES 1000000

static long long
s_msec_since (const struct timespec *start)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - start->tv_sec) * 1000
           + (now.tv_nsec - start->tv_nsec) / 1000000;
}

//  Both runs, and the keys of the entries and the tables after their
//  marks, read from the log in one walk of its rows after the lower mark:
//  a table's row is its entry's, as wide as the entry, its copy and its
//  cells, and was walked twice. filters_msec: the time the runs took to
//  fill their filters from every key written; the rest is the walk.
static cibus_err_t
s_keys_load (store_t *self, bool full, long long *filters_msec)
{
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    uint64_t entries = 0, tables = 0;
    cibus_err_t err = log_keys_load_start (self, full, &entries);
    if (err == CIBUS_OK)
        err = tables_keys_load_start (self, full, &tables);
    *filters_msec = s_msec_since (&start);
    sqlite3_stmt *after = NULL;
    if (err == CIBUS_OK
        && sqlite3_prepare_v2 (self->db,
                               "SELECT seq, partner, id, tkey, ikey IS NOT NULL FROM log "
                               "WHERE seq > ? ORDER BY seq",
                               -1, &after, NULL)
               != SQLITE_OK)
        err = store_fail (self, "keys-load");
    if (err == CIBUS_OK)
        sqlite3_bind_int64 (after, 1, (sqlite3_int64)(entries < tables ? entries : tables));
    int rc = SQLITE_DONE;
    while (err == CIBUS_OK && (rc = sqlite3_step (after)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64 (after, 0);
        if (seq > entries)
            err = log_keys_load_entry (self, seq, (const char *)sqlite3_column_text (after, 1),
                                       (const char *)sqlite3_column_text (after, 2));
        if (err == CIBUS_OK && seq > tables && sqlite3_column_int (after, 4))
            err = tables_keys_load_entry (self, seq, sqlite3_column_int64 (after, 3));
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "keys-load");
    sqlite3_finalize (after);
    return err;
}

cibus_err_t
store_keys_load (store_t *self, bool full)
{
    assert (self);
    if (self->keys_state != STORE_KEYS_DEFERRED)
        return CIBUS_OK;
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    if (self->last_seq >= S_KEYS_LOAD_SAID_ENTRIES) {
        log_value_t db;
        log_info ("event=store-keys-loading db=\"%s\" last_seq=%llu reason=\"reading the "
                  "dedupe and table keys of a long log: seconds\"",
                  log_escape (&db, self->path), (unsigned long long)self->last_seq);
    }
    //  Loading looks keys up itself: in the runs as they fill.
    self->keys_state = STORE_KEYS_LOADING;
    self->keys_full = full;
    long long filters_msec = 0;
    if (s_keys_load (self, full, &filters_msec)) {
        key_run_destroy (&self->log_run);
        key_run_destroy (&self->table_run);
        self->keys_state = STORE_KEYS_DEFERRED;
        return CIBUS_ERR_STORE;
    }
    self->keys_state = STORE_KEYS_LOADED;
    long long msec = s_msec_since (&start);
    if (msec >= S_KEYS_LOAD_SAID_MSEC) {
        log_value_t db;
        log_info ("event=store-keys-loaded db=\"%s\" last_seq=%llu held=%zu msec=%lld "
                  "filters_msec=%lld",
                  log_escape (&db, self->path), (unsigned long long)self->last_seq,
                  key_run_held (self->log_run) + key_run_held (self->table_run), msec,
                  filters_msec);
    }
    return CIBUS_OK;
}

//  SQLite's settings for the whole process, before its first use. Its
//  count of the memory it holds took a global lock around every one of
//  its allocations, a few percent of the writer's time, for figures
//  (sqlite3_memory_used, the heap limits) that cibus never asks for. When
//  something used SQLite first, the call is refused and nothing changes.
static pthread_once_t s_sqlite_once = PTHREAD_ONCE_INIT;

static void
s_sqlite_configure (void)
{
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
    if (wal_vfs_register () != SQLITE_OK)
        log_warn ("event=store-vfs-unavailable vfs=%s", WAL_VFS_NAME);
}

//  Open the connection with its pragmas, migrate, prepare. Without shared
//  memory (exclusive) SQLite keeps the WAL index on the heap instead of in
//  the -shm file, which a full disk cannot grow: the log can then still be
//  read, and written once space returns.
static cibus_err_t
s_open (store_t *self, bool exclusive)
{
    //  A store at synchronous FULL writes each commit's WAL frames in one
    //  call (wal_vfs.h), which only such a store may.
    const char *vfs = self->sync == STORE_SYNC_FULL && wal_vfs_register () == SQLITE_OK
                          ? WAL_VFS_NAME
                          : NULL;
    if (sqlite3_open_v2 (self->path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs)
        != SQLITE_OK) {
        log_value_t db, error;
        log_error ("event=store-failed op=open db=\"%s\" error=\"%s\"",
                   log_escape (&db, self->path),
                   log_escape (&error, self->db ? sqlite3_errmsg (self->db) : "out of memory"));
        return CIBUS_ERR_STORE;
    }
    sqlite3_busy_timeout (self->db, 5000);
    const char *pragmas = self->sync == STORE_SYNC_FULL
                              ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                "PRAGMA foreign_keys = ON;"
                              : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                                "PRAGMA foreign_keys = ON;";
    //  16 MiB of page cache instead of SQLite's 2: a batch of a thousand
    //  tables dirties pages of five indexes, and a cache that cannot hold
    //  them writes them to the WAL mid-transaction and reads them back.
    //  The broker's resident memory counts it (the bench's s7).
    //  The view data_values reads a version's cells through cibus_cells
    //  (cells.h): registered before a migration makes or reads it.
    if (cells_register (self->db) != SQLITE_OK)
        return store_fail (self, "register");
    if ((exclusive && store_exec (self, "PRAGMA locking_mode = EXCLUSIVE", "pragmas"))
        || store_exec (self, pragmas, "pragmas")
        || store_exec (self, "PRAGMA cache_size = -16384", "pragmas") || s_migrate (self) || s_prepare_all (self)
        || s_load_last_seq (self))
        return CIBUS_ERR_STORE;
    self->keys_state = STORE_KEYS_DEFERRED;
    self->exclusive = exclusive;
    self->next_seq = self->last_seq + 1;
    store_data_version (self);
    s_background_start (self);
    return CIBUS_OK;
}

store_t *
store_new (const char *path, store_sync_t sync)
{
    pthread_once (&s_sqlite_once, s_sqlite_configure);
    store_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->sync = sync;
    self->path = strdup (path);
    self->limit = log_limit_new (LOG_LIMIT_BURST, LOG_LIMIT_WINDOW_MSEC);
    if (!self->path || !self->limit) {
        free (self->path);
        log_limit_destroy (&self->limit);
        free (self);
        return NULL;
    }
    if (s_open (self, false) != CIBUS_OK) {
        //  On a full disk the shared-memory file cannot be made: open
        //  without it, so that the broker serves what it has.
        s_close (self);
        if (s_open (self, true) != CIBUS_OK) {
            store_destroy (&self);
            return NULL;
        }
        log_value_t db;
        log_warn ("event=store-degraded db=\"%s\" reason=\"could not open it as usual (a full "
                  "disk?): opened for this process alone; reads are served, writes are refused "
                  "until there is space\"",
                  log_escape (&db, self->path));
    }
    return self;
}

bool
store_degraded (store_t *self)
{
    return self->exclusive;
}

cibus_err_t
store_recover (store_t *self)
{
    if (!self->exclusive || self->in_batch)
        return CIBUS_OK;
    //  Leaving exclusive mode needs a new connection (SQLite keeps a WAL
    //  database opened without shared memory exclusive until it closes).
    s_close (self);
    if (s_open (self, false) == CIBUS_OK) {
        log_value_t db;
        log_info ("event=store-recovered db=\"%s\"", log_escape (&db, self->path));
        return CIBUS_OK;
    }
    s_close (self);
    if (s_open (self, true) != CIBUS_OK)
        return CIBUS_ERR_STORE; //  the caller cannot use the store now
    return CIBUS_ERR_FULL;
}

bool
store_full (store_t *self)
{
    return self->full;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    s_close (self);
    log_limit_destroy (&self->limit);
    free (self->path);
    free (self);
    *self_p = NULL;
}

const char *
store_path (store_t *self)
{
    return self->path;
}

uint64_t
store_last_seq (store_t *self)
{
    return self->last_seq;
}

int
store_schema_version (store_t *self)
{
    return s_user_version (self);
}

void
store_inject_fault (store_t *self, store_fault_t fault)
{
    self->fault = fault;
}

void
store_reset (sqlite3_stmt *stmt)
{
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
}

//  Step a statement that returns no row, then reset it; any result but DONE
//  is a failure reported under op.
cibus_err_t
store_step_done (store_t *self, sqlite3_stmt *stmt, const char *op)
{
    int rc = sqlite3_step (stmt);
    cibus_err_t err = rc == SQLITE_DONE ? CIBUS_OK : store_fail (self, op);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return err;
}

//  ------------------------------------------------------------ appending

cibus_err_t
store_batch_begin (store_t *self)
{
    if (self->in_batch)
        return CIBUS_ERR_USAGE;
    //  The keys held in memory, if not yet (store_keys_load does nothing
    //  then); before the transaction: loading writes a key the runs cannot take.
    if (store_keys_load (self, self->keys_full))
        return CIBUS_ERR_STORE;
    cibus_err_t rc = store_step_done (self, self->begin, "begin");
    if (rc == CIBUS_OK) {
        key_run_begin (self->log_run);
        key_run_begin (self->table_run);
        usage_forget (self);
        self->in_batch = true;
        self->batch_rules_read = false;
        self->reserved.placed = false;
        self->next_seq = self->last_seq + 1;
    }
    return rc;
}

cibus_err_t
store_batch_reserve (store_t *self, const char *partner, const char *id, uint64_t *seq,
                     bool *duplicate)
{
    if (!self->in_batch)
        return CIBUS_ERR_USAGE;
    int64_t key = 0;
    cibus_err_t err = log_keys_find (self, partner, id, &key, seq, duplicate);
    if (err == CIBUS_OK && !*duplicate)
        *seq = self->next_seq;
    //  Where the pair goes, if store_batch_add comes next with it.
    self->reserved.placed = err == CIBUS_OK && !*duplicate
                            && strlen (partner) < sizeof self->reserved.partner
                            && strlen (id) < sizeof self->reserved.id;
    if (self->reserved.placed) {
        self->reserved.key = key;
        self->reserved.seq = self->next_seq;
        strcpy (self->reserved.partner, partner);
        strcpy (self->reserved.id, id);
    }
    return err;
}

cibus_err_t
store_seq_of (store_t *self, const char *partner, const char *id, uint64_t *seq)
{
    int64_t key;
    bool found = false;
    cibus_err_t err = store_keys_load (self, self->keys_full) ? CIBUS_ERR_STORE : CIBUS_OK;
    if (err == CIBUS_OK)
        err = log_keys_find (self, partner, id, &key, seq, &found);
    return err ? err : found ? CIBUS_OK : CIBUS_ERR_NOT_FOUND;
}

//  Where the dedupe key of the entry about to be inserted at seq goes:
//  where store_batch_reserve placed the pair, or found now. A pair already
//  stored fails, as the log's unique index refused it.
static cibus_err_t
s_key_place (store_t *self, uint64_t seq, const char *partner, const char *id, int64_t *key)
{
    bool placed = self->reserved.placed && self->reserved.seq == seq
                  && strcmp (self->reserved.partner, partner) == 0
                  && strcmp (self->reserved.id, id) == 0;
    self->reserved.placed = false;
    if (placed) {
        *key = self->reserved.key;
        return CIBUS_OK;
    }
    uint64_t stored;
    bool found = false;
    cibus_err_t err = log_keys_find (self, partner, id, key, &stored, &found);
    if (err == CIBUS_OK && found) {
        log_value_t db;
        log_limited (self->limit, LEVEL_ERROR, "store-failed",
                     "event=store-failed op=insert db=\"%s\" seq=%llu error=\"its partner and "
                     "id are stored already, at seq %llu\"",
                     log_escape (&db, self->path), (unsigned long long)seq,
                     (unsigned long long)stored);
        err = CIBUS_ERR_STORE;
    }
    return err;
}

void
store_bind_version (sqlite3_stmt *stmt, const store_version_t *v)
{
    sqlite3_bind_text (stmt, 9, v->network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 10, v->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, v->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 12, v->period, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 13, v->version);
    sqlite3_bind_int (stmt, 14, v->status);
    store_bind_text_or_null (stmt, 15, v->source);
    store_bind_text_or_null (stmt, 16, v->extracted_on);
    sqlite3_bind_int (stmt, 17, v->current);
    sqlite3_bind_int64 (stmt, 18, v->tkey);
    if (v->cells)
        sqlite3_bind_blob (stmt, 19, v->cells, (int)v->cells_size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 20, v->ikey);
    sqlite3_bind_int64 (stmt, 21, v->okey);
}

cibus_err_t
store_log_insert (store_t *self, uint64_t seq, const char *partner, const char *id,
                  const char *topic, int64_t received_at, const void *envelope, size_t size,
                  const store_copy_t *copy, const char *op)
{
    //  The key is placed first, so that a pair already stored is refused
    //  before anything of it is written.
    int64_t key = 0;
    cibus_err_t rc = s_key_place (self, seq, partner, id, &key);
    if (rc)
        return rc;
    sqlite3_bind_int64 (self->insert, 1, (sqlite3_int64)seq);
    sqlite3_bind_text (self->insert, 2, partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->insert, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->insert, 4, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->insert, 5, received_at);
    sqlite3_bind_blob (self->insert, 6, envelope, (int)size, SQLITE_STATIC);
    if (copy) {
        sqlite3_bind_text (self->insert, 7, copy->owner, -1, SQLITE_STATIC);
        sqlite3_bind_blob (self->insert, 8, copy->bytes, (int)copy->size, SQLITE_STATIC);
    }
    if (copy && copy->version)
        store_bind_version (self->insert, copy->version);
    rc = store_step_done (self, self->insert, op);
    if (rc == CIBUS_OK)
        rc = usage_add (self, partner, size);
    return rc ? rc : log_keys_add (self, key, seq);
}

cibus_err_t
store_batch_add (store_t *self, uint64_t seq, const char *partner, const char *id,
                 const char *topic, int64_t received_at, const void *envelope, size_t size)
{
    return store_batch_add_copy (self, seq, partner, id, topic, received_at, envelope, size, NULL);
}

cibus_err_t
store_batch_add_copy (store_t *self, uint64_t seq, const char *partner, const char *id,
                      const char *topic, int64_t received_at, const void *envelope, size_t size,
                      const store_copy_t *copy)
{
    if (!self->in_batch || seq != self->next_seq)
        return CIBUS_ERR_USAGE;
    if (self->fault == STORE_FAULT_ADD) {
        self->fault = STORE_FAULT_NONE;
        log_value_t db;
        log_error ("event=store-failed op=insert db=\"%s\" error=\"injected fault\"",
                   log_escape (&db, self->path));
        return CIBUS_ERR_STORE;
    }
    cibus_err_t rc = store_log_insert (self, seq, partner, id, topic, received_at, envelope, size,
                                       copy, "insert");
    if (rc == CIBUS_OK)
        self->next_seq++;
    return rc;
}

//  COMMIT the batch, with the slices of the keys held in memory that this
//  commit writes (every key held, when all) in its transaction. If COMMIT
//  fails we must not ack: roll back so that the seqs handed out are reused
//  and the log keeps no gap; the clients will retry.
static cibus_err_t
s_commit (store_t *self, bool all)
{
    cibus_err_t (*flush) (key_run_t *) = all ? key_run_flush_all : key_run_flush;
    if (usage_write (self) || flush (self->log_run) || flush (self->table_run)
        || store_step_done (self, self->commit, "commit")) {
        store_batch_abort (self);
        return CIBUS_ERR_STORE;
    }
    key_run_commit (self->log_run);
    key_run_commit (self->table_run);
    self->in_batch = false;
    self->last_seq = self->next_seq - 1;
    self->full = false;
    return CIBUS_OK;
}

cibus_err_t
store_batch_commit (store_t *self)
{
    if (!self->in_batch)
        return CIBUS_ERR_USAGE;
    if (self->fault == STORE_FAULT_COMMIT) {
        self->fault = STORE_FAULT_NONE;
        log_value_t db;
        log_error ("event=store-failed op=commit db=\"%s\" error=\"injected fault\"",
                   log_escape (&db, self->path));
        store_batch_abort (self);
        return CIBUS_ERR_STORE;
    }
    return s_commit (self, false);
}

cibus_err_t
store_keys_flush (store_t *self)
{
    cibus_err_t err = store_batch_begin (self);
    return err ? err : s_commit (self, true);
}

void
store_batch_abort (store_t *self)
{
    if (!self->in_batch)
        return;
    //  A failed COMMIT may already have rolled back on its own; then
    //  ROLLBACK reports "no transaction is active", which is not an error.
    if (!sqlite3_get_autocommit (self->db))
        store_step_done (self, self->rollback, "rollback");
    //  A definition projected in the rolled-back batch is gone again, and
    //  so are the batch's keys.
    measure_cache_clear (self);
    key_run_abort (self->log_run);
    key_run_abort (self->table_run);
    usage_forget (self);
    self->in_batch = false;
    self->next_seq = self->last_seq + 1;
}

//  ------------------------------------------------------------ reading

//  The envelope, the masked copy's owner and the masked copy, from column
//  first of a row on.
static void
s_entry_columns (sqlite3_stmt *stmt, int first, store_entry_t *entry)
{
    entry->envelope = sqlite3_column_blob (stmt, first);
    entry->size = (size_t)sqlite3_column_bytes (stmt, first);
    entry->owner = (const char *)sqlite3_column_text (stmt, first + 1);
    entry->masked = sqlite3_column_blob (stmt, first + 2);
    entry->masked_size = (size_t)sqlite3_column_bytes (stmt, first + 2);
    if (!entry->owner)
        entry->masked = NULL, entry->masked_size = 0;
}

cibus_err_t
store_read_from (store_t *self, uint64_t from, size_t max, store_read_fn *fn, void *arg,
                 size_t *count)
{
    return store_read_matching (self, from, max, NULL, fn, arg, count);
}

cibus_err_t
store_read_matching (store_t *self, uint64_t from, size_t max, store_match_fn *match,
                     store_read_fn *fn, void *arg, size_t *count)
{
    //  With a filter the rows are read without their envelopes, and the
    //  envelope of a row the reader wants is fetched by seq: SQLite builds
    //  every column of a result row when it steps, so an envelope in the
    //  same statement would be read (overflow pages and all) for rows the
    //  reader then skips.
    sqlite3_stmt *rows = match ? self->read_topics : self->read;
    size_t read = 0;
    sqlite3_bind_int64 (rows, 1, (sqlite3_int64)from);
    sqlite3_bind_int64 (rows, 2, (sqlite3_int64)max);
    int rc;
    bool stop = false;
    while (!stop && (rc = sqlite3_step (rows)) == SQLITE_ROW) {
        store_entry_t entry = {
            .seq = (uint64_t)sqlite3_column_int64 (rows, 0),
            .topic = (const char *)sqlite3_column_text (rows, 1),
        };
        read++;
        if (!match) {
            s_entry_columns (rows, 2, &entry);
            stop = !fn (&entry, arg);
        } else if (!match (entry.topic, arg))
            stop = !fn (&entry, arg);
        else {
            sqlite3_bind_int64 (self->read_one, 1, (sqlite3_int64)entry.seq);
            int one = sqlite3_step (self->read_one);
            if (one == SQLITE_ROW) {
                s_entry_columns (self->read_one, 0, &entry);
                stop = !fn (&entry, arg);
            }
            sqlite3_reset (self->read_one);
            if (one != SQLITE_ROW) {
                rc = one;
                break;
            }
        }
    }
    cibus_err_t err = stop || rc == SQLITE_DONE ? CIBUS_OK : store_fail (self, "read");
    sqlite3_reset (rows);
    sqlite3_clear_bindings (rows);
    if (count)
        *count = read;
    return err;
}

const void *
store_entry_bytes (const store_entry_t *entry, const store_partner_t *reader, size_t *size)
{
    size_t len = strlen (entry->topic);
    bool data = len >= 5 && strcmp (entry->topic + len - 5, "/data") == 0;
    if (!data || reader->role == ROLE_BACKBONE
        || (entry->owner && strcmp (entry->owner, reader->name) == 0)) {
        *size = entry->size;
        return entry->envelope;
    }
    //  Fail closed: a table without its masked copy goes to no one else.
    *size = entry->owner ? entry->masked_size : 0;
    return entry->owner ? entry->masked : NULL;
}

cibus_err_t
store_partner_usage (store_t *self, const char *partner, uint64_t *bytes)
{
    return usage_of (self, partner, bytes);
}

cibus_err_t
store_check_integrity (store_t *self)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA integrity_check", -1, &stmt, NULL) != SQLITE_OK)
        return store_fail (self, "integrity-check");
    cibus_err_t err = CIBUS_ERR_STORE;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text (stmt, 0);
        if (verdict && strcmp (verdict, "ok") == 0)
            err = CIBUS_OK;
        else {
            //  The verdict names tables and pages of a damaged file.
            log_value_t db, said;
            log_error ("event=store-corrupt db=\"%s\" integrity_check=\"%s\"",
                       log_escape (&db, self->path), log_escape (&said, verdict));
        }
    }
    sqlite3_finalize (stmt);
    return err;
}

uint64_t
store_data_version (store_t *self)
{
    uint64_t version = 0;
    if (sqlite3_step (self->data_version) == SQLITE_ROW)
        version = (uint64_t)sqlite3_column_int64 (self->data_version, 0);
    sqlite3_reset (self->data_version);
    return version;
}
