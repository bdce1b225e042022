/*  schema_undo.h - SQL that takes a database back from the latest schema
    to an earlier one, for the tests of a migration: the migration, run
    again on the store's next open, must bring the rows back as it would
    have on a database that was never newer.                              */

#ifndef CIBUS_TEST_SCHEMA_UNDO_H_INCLUDED
#define CIBUS_TEST_SCHEMA_UNDO_H_INCLUDED

/* data_values's columns after its seq, from version 7 to 14. */
#define SCHEMA_VALUES_COLUMNS                                                                      \
    "c.cell AS cell, t.owner AS partner,"                                                          \
    "  t.publisher AS publisher, t.network AS network, t.indicator AS indicator,"                  \
    "  t.period AS period, t.unit AS unit, t.version AS version, c.dims_key AS dims_key,"          \
    "  c.dim_count AS dim_count, c.dim_key AS dim_key, c.dim_value AS dim_value,"                  \
    "  c.value AS value, c.n AS n, c.numerator AS numerator, c.denominator AS denominator,"        \
    "  c.suppressed AS suppressed, c.mark AS mark, c.low AS low, c.high AS high,"                  \
    "  c.size_shown AS size_shown, t.status AS status, t.source AS source,"                        \
    "  t.extracted_on AS extracted_on, t.received_at AS received_at, t.current AS current"

/* The database back at version 18: the log's partial index of owners'
   hashes back (migration 19 undone). */
#define SCHEMA_UNDO_19 "CREATE INDEX log_okey ON log (okey) WHERE okey IS NOT NULL;"

/* The database back at version 17: data_tables a table again, its rows
   copied from the log's (migrations 19 and 18 undone). */
#define SCHEMA_UNDO_18                                                                             \
    SCHEMA_UNDO_19                                                                                 \
    "DROP VIEW data_values;"                                                                       \
    "DROP VIEW data_tables;"                                                                       \
    "CREATE TABLE data_tables (seq INTEGER PRIMARY KEY, network TEXT NOT NULL,"                    \
    "  owner TEXT NOT NULL, unit TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL,"    \
    "  version INTEGER NOT NULL, publisher TEXT NOT NULL, status INTEGER NOT NULL, source TEXT,"   \
    "  extracted_on TEXT, received_at INTEGER NOT NULL,"                                           \
    "  current INTEGER NOT NULL CHECK (current IN (0, 1)), tkey INTEGER NOT NULL DEFAULT 0,"       \
    "  cells BLOB, ikey INTEGER NOT NULL DEFAULT 0, okey INTEGER NOT NULL DEFAULT 0);"            \
    "INSERT INTO data_tables SELECT seq, network, owner, unit, indicator, period, version,"        \
    "  partner, status, source, extracted_on, received_at, current, tkey, cells, ikey, okey"       \
    "  FROM log WHERE ikey IS NOT NULL;"                                                           \
    "CREATE INDEX data_tables_ikey ON data_tables (ikey);"                                         \
    "CREATE INDEX data_tables_okey ON data_tables (okey);"                                         \
    "CREATE VIEW data_values AS SELECT t.seq AS seq, " SCHEMA_VALUES_COLUMNS                       \
    ", t.ikey AS ikey, t.okey AS okey FROM data_tables t, cibus_cells (t.cells) c;"

/* The database back at version 16: the log without a table version's
   columns (migrations 18 and 17 undone). */
#define SCHEMA_UNDO_17                                                                             \
    SCHEMA_UNDO_18 "DROP VIEW data_values; DROP INDEX log_ikey; DROP INDEX log_okey;"              \
    "ALTER TABLE log DROP COLUMN ikey;"                                                            \
    "ALTER TABLE log DROP COLUMN network; ALTER TABLE log DROP COLUMN unit;"                       \
    "ALTER TABLE log DROP COLUMN indicator; ALTER TABLE log DROP COLUMN period;"                   \
    "ALTER TABLE log DROP COLUMN version; ALTER TABLE log DROP COLUMN status;"                     \
    "ALTER TABLE log DROP COLUMN source; ALTER TABLE log DROP COLUMN extracted_on;"                \
    "ALTER TABLE log DROP COLUMN current; ALTER TABLE log DROP COLUMN tkey;"                       \
    "ALTER TABLE log DROP COLUMN cells; ALTER TABLE log DROP COLUMN okey;"                         \
    "CREATE VIEW data_values AS SELECT t.seq AS seq, " SCHEMA_VALUES_COLUMNS                       \
    ", t.ikey AS ikey, t.okey AS okey FROM data_tables t, cibus_cells (t.cells) c;"

/* The database back at version 15: each table's masked copy and owner
   in a row of their own in masked (migration 16 undone; data_values is
   made again around the change of log, whose schema SQLite checks whole
   without the store's cibus_cells). */
#define SCHEMA_UNDO_16                                                                             \
    SCHEMA_UNDO_17 "CREATE TABLE masked (seq INTEGER PRIMARY KEY, owner TEXT NOT NULL,"                           \
    "  envelope BLOB NOT NULL);"                                                                   \
    "INSERT INTO masked SELECT seq, owner, masked FROM log WHERE masked IS NOT NULL;"              \
    "DROP VIEW data_values;"                                                                       \
    "ALTER TABLE log DROP COLUMN owner;"                                                           \
    "ALTER TABLE log DROP COLUMN masked;"                                                          \
    "CREATE VIEW data_values AS SELECT t.seq AS seq, " SCHEMA_VALUES_COLUMNS                       \
    ", t.ikey AS ikey, t.okey AS okey FROM data_tables t, cibus_cells (t.cells) c;"

/* The database back at version 14: data_tables indexed by the names of
   its indicator and period and of its network and owner, and data_values
   without the keys (migrations 16 and 15 undone). */
#define SCHEMA_UNDO_15                                                                             \
    SCHEMA_UNDO_16 "DROP VIEW data_values;"                                                        \
    "DROP INDEX data_tables_ikey;"                                                                 \
    "DROP INDEX data_tables_okey;"                                                                 \
    "ALTER TABLE data_tables DROP COLUMN ikey;"                                                    \
    "ALTER TABLE data_tables DROP COLUMN okey;"                                                    \
    "CREATE INDEX data_tables_indicator ON data_tables (indicator, period);"                       \
    "CREATE INDEX data_tables_owner ON data_tables (network, owner);"                              \
    "CREATE VIEW data_values AS SELECT t.seq AS seq, " SCHEMA_VALUES_COLUMNS                       \
    "  FROM data_tables t, cibus_cells (t.cells) c;"

/* The database back at version 13: partner usage summed through an
   index on log (partner) again (migrations 16 to 14 undone). */
#define SCHEMA_UNDO_14                                                                             \
    SCHEMA_UNDO_15 "DROP TABLE partner_usage; CREATE INDEX log_partner ON log (partner);"

#endif
