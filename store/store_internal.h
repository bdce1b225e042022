/*  store_internal.h - what the store's own files share; not for callers. */

#ifndef CIBUS_STORE_INTERNAL_H_INCLUDED
#define CIBUS_STORE_INTERNAL_H_INCLUDED

#include "store.h"

#include "cells.h"
#include "cibus_limits.h"
#include "disclosure.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>

//  The statements of shared measurement (measure.c), by name.
typedef enum {
    MEASURE_INDICATOR_GET = 0,
    MEASURE_INDICATOR_ADD,
    MEASURE_COMMITMENT_GET,
    MEASURE_COMMITMENT_ADD,
    MEASURE_COMMITMENT_UPDATE,
    MEASURE_NOTE_ADD,
    MEASURE_NOTE_GET,
    MEASURE_CONFIG_GET,
    MEASURE_CONFIG_SET,
    MEASURE_PRACTICE_ADD,
    MEASURE__COUNT
} measure_stmt_t;

//  The statements of the queries (query.c, report.c, brightspots.c), by name.
typedef enum {
    QUERY_INDICATORS = 0,
    QUERY_VALUES,
    QUERY_COMMITMENTS,
    QUERY_NOTES,
    QUERY_NOTE_DECISIONS,
    QUERY_NOTE_COMMITMENTS,
    QUERY_SUBMITTED,
    QUERY_HISTORY,
    QUERY_PRACTICES,
    QUERY__COUNT
} query_stmt_t;

//  The statements of data tables (tables.c), by name.
typedef enum {
    TABLES_VERSIONS = 0,
    TABLES_VERSION_OF,
    TABLES_KEY_ADD,
    TABLES_ENVELOPE,
    TABLES_MARKS,
    TABLES_PARTNER_IN,
    TABLES_ADD,
    TABLES_MARKER,
    TABLES_SUPERSEDE,
    TABLES__COUNT
} tables_stmt_t;

#define STORE_LOG_KEY_SECRET 16 /* bytes of the dedupe key's secret (log_keys.c) */

#define STORE_USAGE_STMTS 2 /* usage.c's statements */
#define STORE_CATALOG_CACHE 64 /* indicators kept decoded-ready; more are read each time */

struct store_t {
    sqlite3 *db;
    bool background;             /* checkpoints on a thread (store_checkpoint_in_background) */
    struct checkpoint_t *checkpointer; /* that thread, when the store is not degraded */
    char *path;
    uint64_t last_seq; /* last committed seq */
    uint64_t next_seq; /* the seq the next add in this batch takes */
    bool in_batch;
    store_sync_t sync;
    bool exclusive;    /* opened without shared memory (a full disk at start) */
    bool full;         /* the last failure was a full disk */
    log_limit_t *limit; /* store-failed lines: a client can make a failure repeat */
    store_fault_t fault;
    //  the log's statements, prepared once
    sqlite3_stmt *begin, *commit, *rollback, *insert, *read, *read_topics, *read_one,
        *data_version;
    //  the dedupe key's statements and secret (log_keys.c), and where the
    //  last store_batch_reserve placed a new pair, for store_batch_add
    sqlite3_stmt *keys [3];
    unsigned char key_secret [STORE_LOG_KEY_SECRET];
    //  the dedupe keys not yet in log_keys (key_run.c); NULL until they
    //  are loaded (keys_state)
    struct key_run_t *log_run;
    //  the same for a data table's key in table_keys (tables.c)
    struct key_run_t *table_run;
    //  Where the keys are: while the store opens, all in their tables (a
    //  migration writes them there itself); once it has opened, some in
    //  memory only, which the runs hold once loaded (store_keys_load):
    //  at the store's first batch or store_seq_of, the only ways to a key
    //  (each lookup and add asserts it), unless its owner asked for it
    //  first. A command that never looks at a key never reads them.
    enum {
        STORE_KEYS_OPENING = 0,
        STORE_KEYS_DEFERRED,
        STORE_KEYS_LOADING,
        STORE_KEYS_LOADED
    } keys_state;
    bool keys_full; /* load them with the runs' full room (store_keys_load) */
    struct {
        bool placed;
        int64_t key;
        uint64_t seq;
        char partner [CIBUS_MAX_NAME + 1];
        char id [CIBUS_MAX_ID + 1];
    } reserved;
    //  the registry's statements (registry.c)
    sqlite3_stmt *partner_insert, *network_insert, *partner_delete, *partner_by_key,
        *partner_all, *networks_of, *feeds_of, *feed_insert;
    //  shared measurement's and the queries' statements (measure.c, query.c)
    sqlite3_stmt *measure [MEASURE__COUNT];
    sqlite3_stmt *query [QUERY__COUNT];
    sqlite3_stmt *tables [TABLES__COUNT];
    //  what packs a version's cells for data_tables.cells (tables.c)
    cells_pack_t cells;
    //  the shapes of the tables decided last, which the next of the same
    //  shape is decided from (disclosure.h; tables.c)
    disclosure_shapes_t *shapes;
    //  the last key tables_name_key made of one part (an indicator) and
    //  of two (a network and an owner), with the bytes it hashed: a
    //  batch's tables are mostly of one indicator and one owner
    struct store_name_key {
        unsigned char input [2 * (CIBUS_MAX_NAME + 1)];
        size_t size;
        int64_t key;
    } name_keys [2];
    //  the bytes each partner's entries of the batch add (usage.c)
    sqlite3_stmt *usage_stmts [STORE_USAGE_STMTS];
    struct store_usage_t *usage;
    //  Rules that replace the settings (store_set_disclosure_rules).
    bool has_rules;
    disclosure_rules_t rules;
    //  The rules the settings make, read once per batch: no other process
    //  can change a setting while the batch's transaction holds the write
    //  lock. Forgotten at the batch's end and by store_config_set.
    bool batch_rules_read;
    disclosure_rules_t batch_rules;
    //  The date the rules judge at instead of the entry's received_at
    //  (store_set_today); "" for none.
    char today [11];
    //  The catalogue's definitions in force, encoded, so that checking a
    //  data submission does not read the log for its indicator each time;
    //  emptied whenever a definition is projected and when a batch aborts.
    struct {
        char id [129];
        int version;
        void *blob;
        size_t size;
        struct Cibus__Envelope *def; /* the blob decoded, lent by measure_indicator_borrow */
    } catalog [STORE_CATALOG_CACHE];
    size_t catalog_count;
};

//  Forget the cached catalogue (measure.c).
void measure_cache_clear (store_t *self);

cibus_err_t store_fail (store_t *self, const char *what);
cibus_err_t store_exec (store_t *self, const char *sql, const char *what);
cibus_err_t store_prepare (store_t *self, sqlite3_stmt **stmt, const char *sql);
//  Prepare count statements, stmts [i] from sql [i], as store_prepare
//  does (NULL for a NULL sql [i]); on failure the ones prepared stay for
//  store_finalize_all.
cibus_err_t store_prepare_all (store_t *self, sqlite3_stmt **stmts, const char *const *sql,
                               int count);
//  Finalize count statements (NULL ones too) and set each to NULL.
void store_finalize_all (sqlite3_stmt **stmts, int count);
//  Bind text to parameter index (it must outlive the step), or NULL when
//  it is NULL or empty.
void store_bind_text_or_null (sqlite3_stmt *stmt, int index, const char *text);
cibus_err_t store_step_done (store_t *self, sqlite3_stmt *stmt, const char *op);

//  What a table version's log row holds besides the entry and its copy:
//  the columns of data_tables, a view of the log's rows that hold one
//  (migration 17). Every pointer is the caller's, read when the row is
//  inserted; cells NULL is a version without cells.
typedef struct {
    const char *network, *unit, *indicator, *period, *source, *extracted_on;
    int64_t version, tkey, ikey, okey;
    int status;
    bool current;
    const void *cells;
    size_t cells_size;
} store_version_t;

//  Bind a table version's columns to ?9 to ?21, as the log's insert
//  numbers them (and tables.c's update of a replica's row); left unbound,
//  NULL, in any other entry's row.
void store_bind_version (sqlite3_stmt *stmt, const store_version_t *v);

//  What a data table's log row holds besides the entry: the table's owner
//  and the copy every other reader is sent (masked, or the marker of a
//  version superseded), and the version's columns (NULL for a replica's
//  row, whose columns tables_replicate sets after it).
typedef struct {
    const char *owner;
    const void *bytes;
    size_t size;
    const store_version_t *version;
} store_copy_t;

//  Insert a log row at seq with its dedupe key (log_keys.c), and a data
//  table's copy (or NULL), reporting a failure under op: the key where
//  store_batch_reserve placed the pair, or found now. A pair already
//  stored fails before anything of it is written, as the log's unique
//  index refused it. The broker's add and the replica's both insert
//  through it.
cibus_err_t store_log_insert (store_t *self, uint64_t seq, const char *partner, const char *id,
                              const char *topic, int64_t received_at, const void *envelope,
                              size_t size, const store_copy_t *copy, const char *op);

//  store_batch_add, with a data table's copy in the row (or NULL).
cibus_err_t store_batch_add_copy (store_t *self, uint64_t seq, const char *partner,
                                  const char *id, const char *topic, int64_t received_at,
                                  const void *envelope, size_t size, const store_copy_t *copy);

cibus_err_t registry_prepare (store_t *self);
void registry_finalize (store_t *self);

//  Reset a statement after use and forget its bindings.
void store_reset (sqlite3_stmt *stmt);

cibus_err_t measure_prepare (store_t *self);
void measure_finalize (store_t *self);
cibus_err_t query_prepare (store_t *self);
void query_finalize (store_t *self);

//  The definition in force for an indicator, as the envelope that carried it
//  (body_case INDICATOR), with its version; *def is NULL when the catalogue
//  has no such indicator. Free *def with codec_envelope_free.
struct Cibus__Envelope;
cibus_err_t measure_indicator (store_t *self, const char *id, struct Cibus__Envelope **def,
                               int *version);

//  The same, lent rather than copied: *def is the cache's own decoded
//  definition (NULL when the catalogue has no such indicator), valid until
//  the cache is next cleared - a definition projected, a batch aborted -
//  which the check and the append of one data entry never do. When the
//  cache has no room for it, *owned is a copy for the caller to free and
//  *def is it; otherwise *owned is NULL. Every data entry asks: a copy
//  each time was a decode each time.
cibus_err_t measure_indicator_borrow (store_t *self, const char *id,
                                      const struct Cibus__Envelope **def,
                                      struct Cibus__Envelope **owned);

//  Bring the projections up to date with a note, commitment, update,
//  indicator definition or practice tag just added in the open batch
//  (measure.c); the one projection of store_append and of the replica
//  (replica.c).
struct Cibus__Envelope;
cibus_err_t measure_project (store_t *self, const struct Cibus__Envelope *env,
                             const char *network);

//  A whole-number setting of the initiative, or its default when unset or
//  unreadable (measure.c).
long measure_setting (store_t *self, const char *key);

#endif
