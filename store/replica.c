/*  replica.c - a partner's local replica and its outbox; see replica.h.

    Design
    ------
    The replica is the broker's schema, opened with store_new, so every
    query answers from the same projections through the same code. What
    differs is how entries arrive: store_replicate takes the bytes a broker
    delivered, at the seq the broker gave them, instead of publishing. seq
    therefore has gaps (entries the reader may not read), but it only
    grows: an entry at or below the last one stored is refused as a
    duplicate, which is what makes a catch-up after a crash, a restart or a
    cut connection resume without a gap and without storing anything twice
    (the replica commits what it stored before it asks for more, and asks
    from the seq after its last).

    A data table arrives as the reader may see it: a masked copy for a
    table of someone else, whole for its owner and the backbone, a marker
    for a version already superseded. tables_replicate projects it and,
    as the broker does when a correction arrives, turns the previous
    version's masked copy into a marker, so that the replica holds what
    the broker would replay to this reader now.

    The outbox and the replica's own settings live in two tables of the
    replica only (created here, not by a migration: a broker's database
    never has an outbox).                                                  */

#include "replica.h"

#include "codec.h"
#include "measure.h"
#include "store_internal.h"
#include "tables.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

//  ------------------------------------------------------------ the log

cibus_err_t
store_replicate (store_t *self, const void *bytes, size_t size, const store_partner_t *reader)
{
    assert (self);
    (void)reader; //  the copy received already is what this reader may see
    if (!self->in_batch)
        return CIBUS_ERR_USAGE;
    envelope_t *env = codec_envelope_decode (bytes, size);
    char network [CIBUS_MAX_NETWORK + 1];
    //  Names no broker sends are refused, not cut: a partner's or a
    //  table's owner's longer than a name may be would be stored cut in
    //  the log row and whole in the copy.
    if (!env || !env->has_seq || env->seq == 0 || !env->topic || !env->partner || !env->id
        || strlen (env->partner) > CIBUS_MAX_NAME
        || !codec_topic_network (env->topic, network, sizeof network)
        || (env->body_case == CIBUS__ENVELOPE__BODY_DATA
            && (!env->data || !env->data->indicator || !env->data->period
                || env->data->n_cells > CIBUS_MAX_CELLS
                || strlen (tables_received_owner (env)) > CIBUS_MAX_NAME))) {
        codec_envelope_free (env);
        return CIBUS_ERR_MALFORMED;
    }
    if (env->seq < self->next_seq) {
        codec_envelope_free (env);
        return CIBUS_ERR_EXISTS;
    }
    //  A table's copy for this reader is what it received.
    store_copy_t copy = {NULL, bytes, size, NULL};
    if (env->body_case == CIBUS__ENVELOPE__BODY_DATA)
        copy.owner = tables_received_owner (env);
    cibus_err_t err = store_log_insert (self, env->seq, env->partner, env->id, env->topic,
                                        env->received_at, bytes, size, copy.owner ? &copy : NULL,
                                        "replica-insert");
    if (err == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_DATA)
        err = tables_replicate (self, env, network);
    else if (err == CIBUS_OK)
        err = measure_project (self, env, network);
    if (err == CIBUS_OK)
        self->next_seq = env->seq + 1;
    codec_envelope_free (env);
    return err;
}

//  ------------------------------------------------------------ the replica

typedef enum {
    S_META_GET = 0,
    S_META_SET,
    S_NETWORKS,
    S_OUTBOX_ADD,
    S_OUTBOX_ALL,
    S_OUTBOX_PENDING,
    S_OUTBOX_REMOVE,
    S_OUTBOX_MARK,
    S_OUTBOX_COUNT,
    S_ROSTER_PARTNER,
    S_ROSTER_NETWORK,
    S__COUNT
} s_stmt_t;

static const char *s_sql [S__COUNT] = {
    [S_META_GET] = "SELECT value FROM replica_meta WHERE key = ?",
    [S_META_SET] = "INSERT INTO replica_meta (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_NETWORKS] = "SELECT substr (topic, 1, instr (topic, '/') - 1) FROM log "
                   "UNION SELECT network FROM partner_networks ORDER BY 1",
    [S_OUTBOX_ADD] = "INSERT INTO replica_outbox (id, topic, request, state, queued_at) "
                     "VALUES (?, ?, ?, 0, ?)",
    [S_OUTBOX_ALL] = "SELECT pos, id, topic, request, state, reason, queued_at "
                     "FROM replica_outbox ORDER BY pos",
    [S_OUTBOX_PENDING] = "SELECT pos, id, topic, request, state, reason, queued_at "
                         "FROM replica_outbox WHERE state = 0 ORDER BY pos",
    [S_OUTBOX_REMOVE] = "DELETE FROM replica_outbox WHERE id = ?",
    [S_OUTBOX_MARK] = "UPDATE replica_outbox SET state = ?, reason = ? WHERE id = ?",
    [S_OUTBOX_COUNT] = "SELECT COALESCE (SUM (state = 0), 0), COALESCE (SUM (state = 1), 0) "
                       "FROM replica_outbox",
    [S_ROSTER_PARTNER] = "INSERT OR IGNORE INTO partners (name, public_key, role) "
                         "VALUES (?, ?, 'partner')",
    [S_ROSTER_NETWORK] = "INSERT OR IGNORE INTO partner_networks (partner, network) "
                         "VALUES (?, ?)",
};

static const char s_schema [] =
    "CREATE TABLE IF NOT EXISTS replica_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS replica_outbox ("
    "  pos INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  topic TEXT NOT NULL,"
    "  request BLOB NOT NULL,"
    "  state INTEGER NOT NULL CHECK (state IN (0, 1)),"
    "  reason TEXT,"
    "  queued_at INTEGER NOT NULL);";

struct replica_t {
    store_t *store;
    sqlite3_stmt *stmts [S__COUNT];
};

replica_t *
replica_new (const char *path)
{
    assert (path);
    replica_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store_new (path, STORE_SYNC_FULL);
    if (!self->store || store_exec (self->store, s_schema, "replica-schema")
        || store_prepare_all (self->store, self->stmts, s_sql, S__COUNT)) {
        replica_destroy (&self);
        return NULL;
    }
    return self;
}

void
replica_destroy (replica_t **self_p)
{
    assert (self_p);
    replica_t *self = *self_p;
    if (!self)
        return;
    store_finalize_all (self->stmts, S__COUNT);
    store_destroy (&self->store);
    free (self);
    *self_p = NULL;
}

store_t *
replica_store (replica_t *self)
{
    assert (self);
    return self->store;
}

cibus_err_t
replica_meta_set (replica_t *self, const char *key, const char *value)
{
    sqlite3_stmt *stmt = self->stmts [S_META_SET];
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, value ? value : "", -1, SQLITE_STATIC);
    return store_step_done (self->store, stmt, "replica-meta-set");
}

cibus_err_t
replica_meta_get (replica_t *self, const char *key, char *value, size_t size)
{
    sqlite3_stmt *stmt = self->stmts [S_META_GET];
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_ERR_NOT_FOUND;
    if (rc == SQLITE_ROW) {
        snprintf (value, size, "%s", (const char *)sqlite3_column_text (stmt, 0));
        err = CIBUS_OK;
    } else if (rc != SQLITE_DONE)
        err = store_fail (self->store, "replica-meta-get");
    store_reset (stmt);
    return err;
}

cibus_err_t
replica_reader (replica_t *self, store_partner_t *reader)
{
    memset (reader, 0, sizeof *reader);
    char role [32];
    cibus_err_t err = replica_meta_get (self, "partner", reader->name, sizeof reader->name);
    if (err == CIBUS_OK)
        err = replica_meta_get (self, "role", role, sizeof role);
    if (err)
        return err;
    if (!store_role_parse (role, &reader->role))
        return CIBUS_ERR_NOT_FOUND;
    sqlite3_stmt *stmt = self->stmts [S_NETWORKS];
    int rc;
    while (err == CIBUS_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *network = (const char *)sqlite3_column_text (stmt, 0);
        if (!network || !*network || strcmp (network, CODEC_CATALOG_NETWORK) == 0)
            continue;
        char **grown = realloc (reader->networks, (reader->network_count + 1) * sizeof *grown);
        char *copy = strdup (network);
        if (grown)
            reader->networks = grown;
        if (!grown || !copy) {
            free (copy);
            err = CIBUS_ERR_NOMEM;
            break;
        }
        reader->networks [reader->network_count++] = copy;
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self->store, "replica-networks");
    store_reset (stmt);
    if (err)
        store_partner_release (reader);
    return err;
}

cibus_err_t
replica_roster_replace (replica_t *self, const replica_member_t *members, size_t count)
{
    if (store_exec (self->store, "BEGIN IMMEDIATE", "replica-roster-begin"))
        return CIBUS_ERR_STORE;
    cibus_err_t err = store_exec (self->store,
                                  "DELETE FROM partner_networks; DELETE FROM partners",
                                  "replica-roster-clear");
    for (size_t i = 0; err == CIBUS_OK && i < count; i++) {
        sqlite3_stmt *stmt = self->stmts [S_ROSTER_PARTNER];
        sqlite3_bind_text (stmt, 1, members [i].partner, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, members [i].key, -1, SQLITE_STATIC);
        err = store_step_done (self->store, stmt, "replica-roster-partner");
        if (err)
            break;
        stmt = self->stmts [S_ROSTER_NETWORK];
        sqlite3_bind_text (stmt, 1, members [i].partner, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, members [i].network, -1, SQLITE_STATIC);
        err = store_step_done (self->store, stmt, "replica-roster-network");
    }
    if (err == CIBUS_OK)
        err = store_exec (self->store, "COMMIT", "replica-roster-commit");
    if (err)
        store_exec (self->store, "ROLLBACK", "replica-roster-rollback");
    return err;
}

//  ------------------------------------------------------------ outbox

static int64_t
s_now_usec (void)
{
    struct timeval now;
    gettimeofday (&now, NULL);
    return (int64_t)now.tv_sec * 1000000 + now.tv_usec;
}

cibus_err_t
replica_outbox_add (replica_t *self, const char *id, const char *topic, const void *request,
                    size_t size)
{
    sqlite3_stmt *stmt = self->stmts [S_OUTBOX_ADD];
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 3, request, (int)size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, s_now_usec ());
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
        err = CIBUS_ERR_EXISTS;
    else if (rc != SQLITE_DONE)
        err = store_fail (self->store, "outbox-add");
    store_reset (stmt);
    return err;
}

cibus_err_t
replica_outbox_each (replica_t *self, bool pending_only, outbox_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->stmts [pending_only ? S_OUTBOX_PENDING : S_OUTBOX_ALL];
    int rc;
    bool stop = false;
    while (!stop && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        outbox_item_t item = {
            .pos = sqlite3_column_int64 (stmt, 0),
            .id = (const char *)sqlite3_column_text (stmt, 1),
            .topic = (const char *)sqlite3_column_text (stmt, 2),
            .request = sqlite3_column_blob (stmt, 3),
            .size = (size_t)sqlite3_column_bytes (stmt, 3),
            .state = sqlite3_column_int (stmt, 4) ? OUTBOX_REFUSED : OUTBOX_PENDING,
            .reason = (const char *)sqlite3_column_text (stmt, 5),
            .queued_at = sqlite3_column_int64 (stmt, 6),
        };
        stop = !fn (&item, arg);
    }
    cibus_err_t err = stop || rc == SQLITE_DONE ? CIBUS_OK : store_fail (self->store, "outbox");
    store_reset (stmt);
    return err;
}

cibus_err_t
replica_outbox_remove (replica_t *self, const char *id)
{
    sqlite3_stmt *stmt = self->stmts [S_OUTBOX_REMOVE];
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    cibus_err_t err = store_step_done (self->store, stmt, "outbox-remove");
    if (err == CIBUS_OK && sqlite3_changes (self->store->db) == 0)
        err = CIBUS_ERR_NOT_FOUND;
    return err;
}

cibus_err_t
replica_outbox_mark (replica_t *self, const char *id, outbox_state_t state, const char *reason)
{
    sqlite3_stmt *stmt = self->stmts [S_OUTBOX_MARK];
    sqlite3_bind_int (stmt, 1, state == OUTBOX_REFUSED);
    store_bind_text_or_null (stmt, 2, reason);
    sqlite3_bind_text (stmt, 3, id, -1, SQLITE_STATIC);
    cibus_err_t err = store_step_done (self->store, stmt, "outbox-mark");
    if (err == CIBUS_OK && sqlite3_changes (self->store->db) == 0)
        err = CIBUS_ERR_NOT_FOUND;
    return err;
}

cibus_err_t
replica_outbox_count (replica_t *self, uint64_t *pending, uint64_t *refused)
{
    sqlite3_stmt *stmt = self->stmts [S_OUTBOX_COUNT];
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_ROW) {
        *pending = (uint64_t)sqlite3_column_int64 (stmt, 0);
        *refused = (uint64_t)sqlite3_column_int64 (stmt, 1);
    } else
        err = store_fail (self->store, "outbox-count");
    store_reset (stmt);
    return err;
}
