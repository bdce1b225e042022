/*  log_keys.c - the log's dedupe key; see log_keys.h.

    The hash is libsodium's (SipHash-2-4, keyed): it is what a hash table
    facing chosen keys needs, and libzmq's CURVE already links it. The
    table is a rowid table whose rowid is the key: the b-tree's own integer
    key, with nothing but seq beside it in a leaf.                         */

#include "log_keys.h"

#include "cibus_limits.h"
#include "key_run.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(crypto_shorthash_KEYBYTES == STORE_LOG_KEY_SECRET,
               "the secret's size is the hash's key size");
_Static_assert(crypto_shorthash_BYTES == 8, "the key is 64 bits");

//  A pair's key is found within this many keys of its hash. With a secret
//  the clients do not know, a run of even two taken keys among 2^64 has a
//  chance of about n / 2^64 for a log of n entries.
#define S_PROBES 16

enum { S_FIND = 0, S_ADD, S_PAIR, S__COUNT };
_Static_assert(S__COUNT == sizeof ((store_t *)0)->keys / sizeof (sqlite3_stmt *),
               "store_t holds the statements");

static const char *const s_sql [S__COUNT] = {
    [S_FIND] = "SELECT seq FROM log_keys WHERE key = ?",
    [S_ADD] = "INSERT INTO log_keys (key, seq) VALUES (?, ?)",
    [S_PAIR] = "SELECT partner, id FROM log WHERE seq = ?",
};

cibus_err_t
log_keys_prepare (store_t *self)
{
    if (self->keys [S_FIND])
        return CIBUS_OK;
    if (sodium_init () < 0)
        return store_fail (self, "log-keys-init");
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "SELECT secret FROM log_key_secret WHERE id = 1", -1, &stmt,
                            NULL)
        != SQLITE_OK)
        return store_fail (self, "log-keys-secret");
    bool read =
        sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == STORE_LOG_KEY_SECRET;
    if (read)
        memcpy (self->key_secret, sqlite3_column_blob (stmt, 0), STORE_LOG_KEY_SECRET);
    sqlite3_finalize (stmt);
    if (!read) {
        log_value_t db;
        log_error ("event=store-failed op=log-keys-secret db=\"%s\" error=\"the dedupe key's "
                   "secret is missing or not %d bytes\"",
                   log_escape (&db, self->path), STORE_LOG_KEY_SECRET);
        return CIBUS_ERR_STORE;
    }
    return store_prepare_all (self, self->keys, s_sql, S__COUNT);
}

void
log_keys_finalize (store_t *self)
{
    key_run_destroy (&self->log_run);
    store_finalize_all (self->keys, S__COUNT);
    sodium_memzero (self->key_secret, sizeof self->key_secret);
}

//  The hash of the parts joined by zero bytes: names hold no zero byte,
//  so no two lists of parts give the same input. (partner, id) is the
//  log's key; (network, owner, unit, indicator, period) a table's.
cibus_err_t
log_keys_hash (store_t *self, const char *const *parts, size_t count, int64_t *key)
{
    size_t size = count ? count - 1 : 0;
    for (size_t i = 0; i < count; i++)
        size += strlen (parts [i]);
    unsigned char local [5 * (CIBUS_MAX_NAME + 1) + CIBUS_MAX_ID] = {0};
    unsigned char *input = size <= sizeof local ? local : malloc (size ? size : 1);
    if (!input)
        return CIBUS_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        if (i)
            input [at++] = 0;
        size_t len = strlen (parts [i]);
        memcpy (input + at, parts [i], len);
        at += len;
    }
    log_keys_hash_bytes (self, input, size, key);
    if (input != local)
        free (input);
    return CIBUS_OK;
}

void
log_keys_hash_bytes (store_t *self, const void *input, size_t size, int64_t *key)
{
    unsigned char out [crypto_shorthash_BYTES];
    crypto_shorthash (out, input, size, self->key_secret);
    //  Read as little-endian, as libsodium's own tests print it, so that
    //  a database moved to a host of the other byte order finds its keys.
    uint64_t bits = 0;
    for (int i = crypto_shorthash_BYTES - 1; i >= 0; i--)
        bits = bits << 8 | out [i];
    *key = (int64_t)bits;
}

//  Whether the entry at seq is (partner, id).
static cibus_err_t
s_holds (store_t *self, uint64_t seq, const char *partner, const char *id, bool *holds)
{
    sqlite3_stmt *stmt = self->keys [S_PAIR];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)seq);
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_ROW) {
        const char *stored_partner = (const char *)sqlite3_column_text (stmt, 0);
        const char *stored_id = (const char *)sqlite3_column_text (stmt, 1);
        *holds = stored_partner && stored_id && strcmp (stored_partner, partner) == 0
                 && strcmp (stored_id, id) == 0;
    } else
        //  A key naming no entry: the table and the log disagree.
        err = rc == SQLITE_DONE ? CIBUS_ERR_STORE : store_fail (self, "log-keys-pair");
    store_reset (stmt);
    if (rc == SQLITE_DONE) {
        log_value_t db;
        log_limited (self->limit, LEVEL_ERROR, "store-failed",
                     "event=store-failed op=log-keys-pair db=\"%s\" seq=%llu error=\"a dedupe "
                     "key names an entry the log does not hold\"",
                     log_escape (&db, self->path), (unsigned long long)seq);
    }
    return err;
}

cibus_err_t
log_keys_find (store_t *self, const char *partner, const char *id, int64_t *key, uint64_t *seq,
               bool *found)
{
    int64_t probe;
    const char *const pair [2] = {partner, id};
    assert (self->keys_state != STORE_KEYS_DEFERRED);
    cibus_err_t err = log_keys_hash (self, pair, 2, &probe);
    if (err)
        return err;
    sqlite3_stmt *stmt = self->keys [S_FIND];
    for (int i = 0; i < S_PROBES; i++) {
        //  The newest keys are in memory, the rest in the table, which is
        //  read only when it may hold the key (key_filter.h).
        uint64_t taken_by = 0;
        int rc = SQLITE_ROW;
        bool held = self->log_run && key_run_find (self->log_run, probe, &taken_by, 1);
        if (!held && self->log_run && !key_run_index_may_hold (self->log_run, probe))
            rc = SQLITE_DONE;
        else if (!held) {
            sqlite3_bind_int64 (stmt, 1, probe);
            rc = sqlite3_step (stmt);
            taken_by = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64 (stmt, 0) : 0;
            store_reset (stmt);
        }
        if (rc == SQLITE_DONE) {
            *key = probe;
            *found = false;
            return CIBUS_OK;
        }
        if (rc != SQLITE_ROW)
            return store_fail (self, "log-keys-find");
        bool holds = false;
        if ((err = s_holds (self, taken_by, partner, id, &holds)))
            return err;
        if (holds) {
            *seq = taken_by;
            *found = true;
            return CIBUS_OK;
        }
        //  The next key, wrapping as an unsigned 64-bit number would.
        probe = (int64_t)((uint64_t)probe + 1);
    }
    log_value_t db;
    log_limited (self->limit, LEVEL_ERROR, "store-failed",
                 "event=store-failed op=log-keys-find db=\"%s\" error=\"%d dedupe keys in a row "
                 "are taken\"",
                 log_escape (&db, self->path), S_PROBES);
    return CIBUS_ERR_STORE;
}

cibus_err_t
log_keys_add (store_t *self, int64_t key, uint64_t seq)
{
    assert (self->keys_state != STORE_KEYS_DEFERRED);
    if (self->log_run && key_run_add (self->log_run, key, seq))
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->keys [S_ADD];
    sqlite3_bind_int64 (stmt, 1, key);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)seq);
    return store_step_done (self, stmt, "log-keys-add");
}

#define S_FILL_PROGRESS 1000000 /* entries between two progress lines */

//  The secret is drawn here, by libsodium, from the system's randomness.
static cibus_err_t
s_secret_draw (store_t *self)
{
    if (sodium_init () < 0)
        return store_fail (self, "log-keys-init");
    unsigned char secret [STORE_LOG_KEY_SECRET];
    randombytes_buf (secret, sizeof secret);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "INSERT INTO log_key_secret (id, secret) VALUES (1, ?)", -1,
                            &stmt, NULL)
        != SQLITE_OK)
        return store_fail (self, "log-keys-secret");
    sqlite3_bind_blob (stmt, 1, secret, sizeof secret, SQLITE_TRANSIENT);
    cibus_err_t err =
        sqlite3_step (stmt) == SQLITE_DONE ? CIBUS_OK : store_fail (self, "log-keys-secret");
    sqlite3_finalize (stmt);
    sodium_memzero (secret, sizeof secret);
    return err;
}

cibus_err_t
log_keys_fill (store_t *self)
{
    cibus_err_t err = s_secret_draw (self);
    if (err == CIBUS_OK)
        err = log_keys_prepare (self);
    sqlite3_stmt *all = NULL;
    if (err == CIBUS_OK
        && sqlite3_prepare_v2 (self->db, "SELECT seq, partner, id FROM log ORDER BY seq", -1, &all,
                               NULL)
               != SQLITE_OK)
        err = store_fail (self, "log-keys-fill");
    uint64_t done = 0;
    int rc = SQLITE_DONE;
    while (err == CIBUS_OK && (rc = sqlite3_step (all)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64 (all, 0);
        const char *partner = (const char *)sqlite3_column_text (all, 1);
        const char *id = (const char *)sqlite3_column_text (all, 2);
        int64_t key = 0;
        uint64_t stored = 0;
        bool found = false;
        err = log_keys_find (self, partner ? partner : "", id ? id : "", &key, &stored, &found);
        //  The log's unique index kept every pair once until now.
        if (err == CIBUS_OK && found) {
            log_value_t db;
            log_error ("event=store-failed op=log-keys-fill db=\"%s\" seq=%llu error=\"the "
                       "pair of this entry is stored twice\"",
                       log_escape (&db, self->path), (unsigned long long)seq);
            err = CIBUS_ERR_STORE;
        }
        if (err == CIBUS_OK)
            err = log_keys_add (self, key, seq);
        if (err == CIBUS_OK && ++done % S_FILL_PROGRESS == 0) {
            log_value_t db;
            log_info ("event=store-migrating db=\"%s\" step=log-keys entries=%llu",
                      log_escape (&db, self->path), (unsigned long long)done);
        }
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "log-keys-fill");
    sqlite3_finalize (all);
    return err;
}

cibus_err_t
log_keys_load_start (store_t *self, bool full, uint64_t *after)
{
    static const key_run_index_t index = {
        .name = "log_keys",
        .insert = "INSERT OR IGNORE INTO log_keys (key, seq) VALUES",
        .check = "SELECT 1 FROM log_keys WHERE key = ? AND seq = ?",
        .fill = "SELECT key FROM log_keys",
    };
    self->log_run = key_run_new (self, &index, full);
    if (!self->log_run)
        return store_fail (self, "log-keys-load");
    *after = 0;
    key_run_marks (self->log_run, after, NULL);
    return CIBUS_OK;
}

cibus_err_t
log_keys_load_entry (store_t *self, uint64_t seq, const char *partner, const char *id)
{
    //  Found again as it was placed: in seq order, each probing past the
    //  keys of the entries before it. A key already written (a slice
    //  flushed before the store closed) is found holding its own entry,
    //  and is not held twice.
    int64_t key = 0;
    uint64_t stored = 0;
    bool found = false;
    cibus_err_t err =
        log_keys_find (self, partner ? partner : "", id ? id : "", &key, &stored, &found);
    if (err == CIBUS_OK && found && stored != seq) {
        log_value_t db;
        log_error ("event=store-failed op=log-keys-load db=\"%s\" seq=%llu error=\"the "
                   "pair of this entry is stored at seq %llu too\"",
                   log_escape (&db, self->path), (unsigned long long)seq,
                   (unsigned long long)stored);
        err = CIBUS_ERR_STORE;
    }
    if (err == CIBUS_OK && !found)
        err = log_keys_add (self, key, seq);
    return err;
}
