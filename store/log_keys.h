/*  log_keys.h - the log's dedupe key: (partner, id) to seq, cheaply.

    A publish is stored once per (partner, id). The lookup that says so
    runs for every publish, on ids the publishers chose, so its index is
    the log's largest and its pages are touched at random. log_keys keeps
    instead a 64-bit keyed hash of partner and id (SipHash, libsodium's
    crypto_shorthash, under a secret drawn when the table was made) to the
    seq of the entry, in a table of integer keys: a third of the size of an
    index of the strings, so that its hot part stays in memory.

    Two pairs may hash alike. The seq a key names is then read back from
    the log and its partner and id compared; a key taken by another pair is
    passed over for the next one (key + 1), as in open addressing. Nothing
    is ever removed from the log, so a pair is always found before the
    first free key after its hash. A client cannot aim at a collision: it
    does not know the secret.                                              */

#ifndef CIBUS_LOG_KEYS_H_INCLUDED
#define CIBUS_LOG_KEYS_H_INCLUDED

#include "store_internal.h"

#include <stdbool.h>
#include <stdint.h>

//  Read the secret and prepare the statements; after the migrations.
cibus_err_t log_keys_prepare (store_t *self);
void log_keys_finalize (store_t *self);

//  Look (partner, id) up. When stored, *found is true and *seq is its
//  entry's; otherwise *found is false and *key is where log_keys_add must
//  put it (until another pair is added).
cibus_err_t log_keys_find (store_t *self, const char *partner, const char *id, int64_t *key,
                           uint64_t *seq, bool *found);

//  The keyed hash of parts (each without a zero byte) joined by zero bytes,
//  under the store's secret: the log's key for (partner, id), and a data
//  table's for (network, owner, unit, indicator, period) (tables.c).
cibus_err_t log_keys_hash (store_t *self, const char *const *parts, size_t count, int64_t *key);

//  The same of input already joined (size bytes).
void log_keys_hash_bytes (store_t *self, const void *input, size_t size, int64_t *key);

//  Record that the entry at seq holds the pair log_keys_find placed at key.
cibus_err_t log_keys_add (store_t *self, int64_t key, uint64_t seq);

//  Hold the newest keys in memory (key_run.h): those of the entries after
//  the mark stored for log_keys (*after), computed again from the log,
//  where store_keys_load reads each and hands it to log_keys_load_entry,
//  in seq order. After the migrations and log_keys_prepare; full as
//  key_run_new's.
cibus_err_t log_keys_load_start (store_t *self, bool full, uint64_t *after);
cibus_err_t log_keys_load_entry (store_t *self, uint64_t seq, const char *partner,
                                 const char *id);

//  Migration 8's own step: draw the secret, then a key for every entry
//  already in the log, in seq order; progress is logged for a long log.
cibus_err_t log_keys_fill (store_t *self);

#endif
