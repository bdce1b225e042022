/*  store.h - the log and the partner registry, in one SQLite file.

    The store knows SQLite and nothing of ZeroMQ. Its callers never see SQL
    or SQLite error codes: every function returns a cibus_err_t and logs the
    database's own message where the failure happens.

    The log's invariants:
      - seq is contiguous: 1, 2, 3 ... with no gap, in commit order;
      - (partner, id) is unique: a repeated publish finds the first seq;
      - an entry is visible to readers, and may be acknowledged, only once
        the transaction that appended it has committed.

    Appending is a batch: store_batch_begin(), then for each publish
    store_batch_reserve() (which finds a duplicate or hands out the next seq)
    and store_batch_add() (which writes the entry under that seq), then
    store_batch_commit(). If anything in the batch fails, store_batch_abort()
    rolls everything back and the seq counter with it; nothing is acked.    */

#ifndef CIBUS_STORE_H_INCLUDED
#define CIBUS_STORE_H_INCLUDED

#include "cibus_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_t store_t;

/* Durability of a commit: FULL fsyncs the WAL at every commit (the default;
   an acked entry survives power loss); NORMAL may lose the last commits on
   power loss but not on a crash of the process. */
typedef enum { STORE_SYNC_FULL = 0, STORE_SYNC_NORMAL } store_sync_t;

/* Open (creating if needed) the database at path and bring its schema up to
   date. Returns NULL, after logging why, on failure. */
store_t *store_new (const char *path, store_sync_t sync);
void store_destroy (store_t **self_p);

/* The path of the database file. */
const char *store_path (store_t *self);

/* The seq of the last committed entry, 0 for an empty log. */
uint64_t store_last_seq (store_t *self);

/* The schema version this database is at. */
int store_schema_version (store_t *self);

//  ------------------------------------------------------------ appending

cibus_err_t store_batch_begin (store_t *self);

/* Look up (partner, id). If present, *seq is its seq and *duplicate is
   true; otherwise *seq is the seq the next store_batch_add() must use. */
cibus_err_t store_batch_reserve (store_t *self, const char *partner, const char *id,
                                 uint64_t *seq, bool *duplicate);

/* Append one entry under the seq that store_batch_reserve() just handed out.
   envelope is the encoded Envelope, stored and later returned byte for byte. */
cibus_err_t store_batch_add (store_t *self, uint64_t seq, const char *partner, const char *id,
                             const char *topic, int64_t received_at, const void *envelope,
                             size_t size);

/* Commit the batch. On failure the batch is rolled back, as by abort. */
cibus_err_t store_batch_commit (store_t *self);
void store_batch_abort (store_t *self);

//  ------------------------------------------------------------ reading

/* One entry as read back from the log. The pointers are borrowed and valid
   only during the callback. A data table also has a masked copy: what
   readers other than its owner and the backbone receive (store_bytes_for
   chooses); other entries have none (masked NULL, owner NULL). */
typedef struct {
    uint64_t seq;
    const char *topic;
    const void *envelope;
    size_t size;
    const char *owner;  /* the owner of a data table */
    const void *masked; /* its masked copy */
    size_t masked_size;
} store_entry_t;

/* Return false to stop the read early. */
typedef bool (store_read_fn) (const store_entry_t *entry, void *arg);

/* Call fn for entries with seq >= from, in seq order, at most max of them.
   *count receives how many were read. */
cibus_err_t store_read_from (store_t *self, uint64_t from, size_t max, store_read_fn *fn,
                             void *arg, size_t *count);

/* Whether the reader wants the entry on this topic. */
typedef bool (store_match_fn) (const char *topic, void *arg);

/* Like store_read_from, but for a row that match turns down fn receives
   the entry with envelope NULL and size 0, and its envelope is not read. */
cibus_err_t store_read_matching (store_t *self, uint64_t from, size_t max,
                                 store_match_fn *match, store_read_fn *fn, void *arg,
                                 size_t *count);

/* Whether the last failure was a full disk (SQLITE_FULL); a commit that
   succeeds clears it. The broker then says "storage full", not "error". */
bool store_full (store_t *self);

/* Whether the store was opened without shared memory because it could not
   be opened as usual (a full disk at start): reads work, writes fail until
   there is space, and other processes cannot open the database. */
bool store_degraded (store_t *self);

/* For a degraded store: reopen it as usual. CIBUS_OK when it is no longer
   degraded (or never was), CIBUS_ERR_FULL when it still is, CIBUS_ERR_STORE
   when it could not be reopened at all. Not inside a batch. */
cibus_err_t store_recover (store_t *self);

/* Copy the WAL back into the database on a thread of the store's own
   (checkpoint.h) instead of inside the commit that crosses SQLite's
   threshold; a degraded store keeps SQLite's own checkpoints. Call once,
   outside a batch; it holds through store_recover. False when the thread
   could not be started (the commits then checkpoint as before). */
bool store_checkpoint_in_background (store_t *self);

/* Checkpoints the background thread has run to their end (0 without one). */
uint64_t store_checkpoints (store_t *self);

/* The seq of the entry a partner stored under id: CIBUS_OK, or NOT_FOUND
   when there is none (STORE when the store could not be read). */
cibus_err_t store_seq_of (store_t *self, const char *partner, const char *id, uint64_t *seq);

/* The bytes of log entries a partner has stored, for its quota: kept as
   entries are added (usage.h), so one lookup. */
cibus_err_t store_partner_usage (store_t *self, const char *partner, uint64_t *bytes);

/* Hold the newest keys in memory now (key_run.h): read every key the
   two key tables hold into their filters and place again the keys of
   the entries not yet written there. On a long log this takes seconds;
   a store that is not asked does it at its first batch or dedupe
   lookup, so that a command that never looks at a key never pays it.
   With full (the broker), the runs get all their room at once and
   resident, so that memory does not move while the log grows;
   otherwise they grow as they fill. Does nothing once loaded. */
cibus_err_t store_keys_load (store_t *self, bool full);

/* Write to their tables now every key the store holds in memory
   (key_run.h), in a transaction of its own, outside a batch: afterwards
   the tables alone answer every lookup, for a tool reading the file
   directly. The store writes them by itself, a slice in each commit. */
cibus_err_t store_keys_flush (store_t *self);

/* Integrity of the database file: CIBUS_OK when PRAGMA integrity_check
   says "ok". */
cibus_err_t store_check_integrity (store_t *self);

//  ------------------------------------------------------------ registry

typedef enum { ROLE_BACKBONE = 0, ROLE_PARTNER, ROLE_INTEGRATOR, ROLE__COUNT } role_t;

const char *store_role_name (role_t role);
bool store_role_parse (const char *name, role_t *role);

#define STORE_KEY_LEN 40 /* a Z85 CURVE public key */

typedef struct {
    char name [129];
    char public_key [STORE_KEY_LEN + 1];
    role_t role;
    size_t network_count;
    char **networks; /* owned by the record; see store_partner_release */
    size_t feed_count;
    char **feeds; /* an integrator's: the partners whose tables it may submit */
} store_partner_t;

void store_partner_release (store_partner_t *partner);

/* Register a partner. Fails with EXISTS when the name or the key is taken. */
cibus_err_t store_partner_add (store_t *self, const char *name, const char *public_key,
                               role_t role, const char *const *networks, size_t network_count);

/* Let an integrator submit tables on behalf of these partners (--feeds).
   A name already listed is kept once. NOT_FOUND when no partner has the
   name integrator, USAGE when it is not an integrator. */
cibus_err_t store_partner_add_feeds (store_t *self, const char *integrator,
                                     const char *const *partners, size_t count);

/* Remove a partner by name; NOT_FOUND when there is none. */
cibus_err_t store_partner_remove (store_t *self, const char *name);

/* Look a partner up by its public key; NOT_FOUND when there is none. The
   record must be released with store_partner_release. */
cibus_err_t store_partner_by_key (store_t *self, const char *public_key, store_partner_t *out);

typedef void (store_partner_fn) (const store_partner_t *partner, void *arg);

/* Every partner, in name order. */
cibus_err_t store_partner_each (store_t *self, store_partner_fn *fn, void *arg);

/* The bytes a reader receives for an entry: the entry itself, except for
   a data table read by anyone but its owner and the backbone, who get
   its masked copy (a table without one goes to them as nothing: NULL,
   *size 0). The one rule of which copy, for delivery and replay alike. */
const void *store_entry_bytes (const store_entry_t *entry, const store_partner_t *reader,
                               size_t *size);

/* A number that changes whenever another connection has committed to the
   database since the last call; the broker uses it to notice registry edits
   made by `cibusd partner add|remove` while it runs. */
uint64_t store_data_version (store_t *self);

//  ------------------------------------------------------------ fault injection

/* Tests make the next operation of a kind fail, to prove that failure paths
   neither ack nor lose anything. */
typedef enum { STORE_FAULT_NONE = 0, STORE_FAULT_ADD, STORE_FAULT_COMMIT } store_fault_t;
void store_inject_fault (store_t *self, store_fault_t fault);

#endif
