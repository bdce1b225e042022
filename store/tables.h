/*  tables.h - data tables in the store: a table checked against the
    catalogue and its owner, its suppression decided once over the whole
    table (and over its earlier versions) in the append transaction, its
    masked copy, and its projection. Internal to store/: callers append
    through store_append (measure.h).                                      */

#ifndef CIBUS_TABLES_H_INCLUDED
#define CIBUS_TABLES_H_INCLUDED

#include "codec.h"
#include "disclosure.h"
#include "store_internal.h"

typedef struct tables_work_t tables_work_t;

/* One version of a table as the disclosure module sees it: the whole
   table (from data, which env owns when set) and its decision. The
   decision and the audit are made on the same numbers because both build
   them here: a percent or rate by its counts, a count or amount by its
   value, a score (a mean) as its sum, mean * n. */
typedef struct {
    envelope_t *env; /* the log entry that carries data, or NULL */
    const Cibus__DataSubmission *data;
    uint64_t seq;
    disclosure_table_t table;
    disclosure_cell_t *cells;
    disclosure_coord_t *coords;
    disclosure_mark_t *marks;
    disclosure_decision_t decision;
} tables_version_t;

/* The indicator's dimensions with their categories, for every version of
   one table: the catalogue's list where it gives one, else every category
   the versions use (a dimension without a list takes any value). The
   caller frees both arrays. */
cibus_err_t tables_dimensions (const Cibus__IndicatorDefinition *def,
                               const tables_version_t *versions, size_t count,
                               disclosure_dimension_t **dimensions, const char ***categories);

/* Build version->table from version->data (unit names the table in
   messages; dimensions from tables_dimensions, kept by the caller). */
cibus_err_t tables_version_fill (const Cibus__IndicatorDefinition *def, const char *unit,
                                 const disclosure_dimension_t *dimensions,
                                 tables_version_t *version);

/* Read the decision stored for version->seq into version->decision:
   CIBUS_OK, STORE, NOMEM, or BAD_FIELD when the marks stored do not fit
   the table's cells. */
cibus_err_t tables_version_marks (store_t *self, tables_version_t *version);

/* Free what a version holds (its entry too) and clear it. */
void tables_version_release (tables_version_t *version);

/* Check a data table before it is appended: the owner (data.owner, or the
   publisher) and whether the publisher may submit for it, the catalogue's
   rules for every cell, the table's structure (disclosure_table_check),
   and decide its suppression given its earlier versions. Derives the value
   of every percent or rate cell, and stamps data.owner and data.version
   into env (owner points into *work or at publisher->name: the caller
   restores env->data->owner with tables_restore before freeing env).
   With work NULL only checks. Returns CIBUS_OK with *work set, or the
   refusal in problem.                                                     */
cibus_err_t tables_check (store_t *self, envelope_t *env, const char *network,
                          const store_partner_t *publisher, tables_work_t **work,
                          codec_problem_t *problem);

/* For the entry env (stamped, encoded whole) about to be added at
   env->seq: make the previous version's masked copy a marker
   (*superseded = its seq, 0 for a first version) and the earlier versions
   not current, fill the version's columns (pointing into env, work and
   the store, until the row is in), then mask env in place and encode it
   into masked: the copy and the columns the caller stores in the entry's
   log row (store_copy_t). */
cibus_err_t tables_append (store_t *self, envelope_t *env, const char *network,
                           tables_work_t *work, codec_buf_t *masked, uint64_t *superseded,
                           store_version_t *columns);

/* For a replica: the entry env (decoded from the bytes a broker delivered
   to this replica's reader, at env->seq) was added to the log with those
   bytes as its copy (what store_entry_bytes serves). Make the previous
   version's masked copy the broker's marker, and project the cells of
   the copy received: a masked copy's cells with the marks their
   disclosure carries, a whole copy's as shown. A marker is listed as a
   version and projects nothing.                                          */
cibus_err_t tables_replicate (store_t *self, envelope_t *env, const char *network);

/* The owner of a table a replica receives: its data.owner, else the
   partner that sent it (the log row's owner and the version's alike). */
const char *tables_received_owner (const envelope_t *env);

/* The owner tables_check decided (valid while work lives). */
const char *tables_owner (const tables_work_t *work);

/* Give env->data->owner back what the publisher sent, and free work. */
void tables_restore (envelope_t *env, tables_work_t **work_p);

/* The rules in force: the settings (min-cell, coding, protection,
   value-protection), or the override of store_set_disclosure_rules. */
void tables_rules (store_t *self, disclosure_rules_t *rules);

cibus_err_t tables_prepare (store_t *self);

/* Migration 9's own step: the hash of every table's key into data_tables
   (tkey), then its index; progress is logged for a long list. */
cibus_err_t tables_keys_fill (store_t *self);

/* Migration 12's step: pack every version's rows of data_cells into its
   row of data_tables (cells.h). */
cibus_err_t tables_cells_fill (store_t *self);

/* The key data_tables indexes a table's indicator (one part: the
   indicator) or its network and owner (two parts) by, and the queries
   find them by: their keyed hash (log_keys_hash). CIBUS_OK or NOMEM.   */
cibus_err_t tables_name_key (store_t *self, const char *const *parts, size_t count,
                             int64_t *key);

/* Migration 15's step: the two keys of every table, then their indexes. */
cibus_err_t tables_name_keys_fill (store_t *self);

/* Migration 16's step: refuses (STORE, logged) if any copy of masked has
   no table version of its seq and owner, or no log row; otherwise copies
   each copy and its owner into its entry's log row, with a progress line
   every million, and drops masked. */
cibus_err_t tables_masked_move (store_t *self);

/* Migration 17's step: refuses (STORE, logged) if any table version has
   no entry in the log of its seq, owner, publisher and time; otherwise
   copies each version's columns into its entry's log row, with a
   progress line every million, and makes the log's two partial indexes. */
cibus_err_t tables_log_merge (store_t *self);

//  Hold the newest tables' keys in memory (key_run.h): those of the tables
//  after the mark stored for table_keys (*after), read back from their
//  log rows, where store_keys_load reads each and hands it to
//  tables_keys_load_entry, in seq order. After the migrations and
//  tables_prepare; full as key_run_new's.
cibus_err_t tables_keys_load_start (store_t *self, bool full, uint64_t *after);
cibus_err_t tables_keys_load_entry (store_t *self, uint64_t seq, int64_t key);
void tables_finalize (store_t *self);

#endif
