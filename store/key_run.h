/*  key_run.h - keys an index receives at random, written to it in order.

    The dedupe key (log_keys.c) and a data table's key (tables.c) are
    hashes: each entry's lands on a random leaf of its index, so that on a
    long log every entry of a batch dirties a leaf of its own, and a commit
    writes thousands of pages to the WAL for a few hundred entries. A
    key_run_t holds an index's newest keys in memory instead, in two runs:
    the active run takes the keys of the entries being appended; the
    flushing run, frozen when the active one filled, is written to the
    index in key order, a slice in each commit: what it has left, spread
    over the room the active run has left (as many keys as the commit
    adds, but after a reopen, when the active run starts part full). A
    slice of sorted keys falls on neighbouring leaves, so a page written
    takes many keys instead of one.

    Nothing is lost in a crash: the keys in memory are those of entries
    after a mark stored with the index (key_runs.flushed), and the store
    computes them again from those entries when it opens. Every lookup
    asks the runs, then the index.

    Ownership: the store owns one key_run_t per index; the runs change
    only inside a batch, and follow its transaction: what a batch added
    or flushed is undone when it is rolled back (key_run_abort) and kept
    when it commits (key_run_commit).

    The runs are a hash table and an array each, hand-written: SQLite's
    own temporary tables would do it with a b-tree page per few keys,
    grown while the broker runs, where the broker's are allocated and
    touched when it opens the store, and again only the few times they
    lengthen with the log (key_run_keys_for), so that its memory does not
    move with each entry (the bench's s7). Any other store's start small
    and grow as they fill: a replica or a command holds what it adds.    */

#ifndef CIBUS_KEY_RUN_H_INCLUDED
#define CIBUS_KEY_RUN_H_INCLUDED

#include "store_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The most keys the broker's runs are frozen at: two runs of this many
//  keys are in memory at most (16 bytes a key and two slots of the hash
//  of 4, 12.6 MB a run). The longer a run, the more keys each leaf written
//  takes: on a log of 10,000,000 entries, runs four times shorter cost
//  the append a fifth of its rate (docs/PERFORMANCE.md).
#define KEY_RUN_KEYS 524288
//  The fewest: any other store's runs (a replica's, a command's) are
//  frozen at this many, and grow as they fill.
#define KEY_RUN_KEYS_SMALL 65536
//  The broker's runs are as long as a sixteenth of its log (key_run_keys_for).
#define KEY_RUN_LOG_PER_KEY 16

typedef struct key_run_t key_run_t;

//  An index with deferred keys: name is its row in key_runs; insert the
//  statement that adds (key, seq) pairs to it (ignoring those it holds),
//  up to its VALUES, which key_run.c writes for one pair or many;
//  check a statement that says whether it holds (key, seq) after an
//  insert changed nothing (NULL when the index's key is the pair itself);
//  fill a statement that lists every key it holds (key_filter.h).
typedef struct {
    const char *name, *insert, *check, *fill;
} key_run_index_t;

//  The length the broker's runs are frozen at on a log of last entries: a
//  sixteenth of it, in powers of two from KEY_RUN_KEYS_SMALL to
//  KEY_RUN_KEYS, so that a short log holds little in memory and a long
//  one writes its keys densely.
uint32_t key_run_keys_for (uint64_t last);

//  After the store's last seq is loaded: it sizes the filter. With full
//  (the broker's), both runs have all their room at once, resident, and
//  are frozen at key_run_keys_for the log, a length that follows the log
//  at each freeze (the run that becomes active takes its new room then,
//  the other at the next freeze); else they grow as they fill, and are
//  frozen at KEY_RUN_KEYS_SMALL.
key_run_t *key_run_new (store_t *store, const key_run_index_t *index, bool full);
void key_run_destroy (key_run_t **self_p);

//  The marks stored for the index: every key of an entry at or before
//  *flushed is in the index; the entries after it and up to *frozen are
//  the flushing run's, the later ones the active run's.
cibus_err_t key_run_marks (key_run_t *self, uint64_t *flushed, uint64_t *frozen);

//  The seqs stored in memory under key, up to max of them into seqs; the
//  count there are.
size_t key_run_find (const key_run_t *self, int64_t key, uint64_t *seqs, size_t max);

//  False when the index does not hold key (key_filter.h): true for every
//  key it holds, and for about 1 % of the others.
bool key_run_index_may_hold (const key_run_t *self, int64_t key);

//  Hold (key, seq) in memory, in the run its seq belongs to. False when
//  the run is full or cannot grow (the store then writes it to the index
//  itself).
bool key_run_add (key_run_t *self, int64_t key, uint64_t seq);

//  A batch's transaction begins. This and the three below do nothing on
//  NULL (a store that did not open).
void key_run_begin (key_run_t *self);

//  Before the batch's COMMIT, in its transaction: flush as many keys of the
//  flushing run as the batch added to the active one, and, if the active
//  run is full, the rest, then freeze it.
cibus_err_t key_run_flush (key_run_t *self);

//  Instead of key_run_flush: write every key held to the index, so that
//  it holds them all once the batch commits (store_keys_flush).
cibus_err_t key_run_flush_all (key_run_t *self);

//  The batch committed: keep what it did.
void key_run_commit (key_run_t *self);

//  The batch rolled back: forget the keys it added and what it flushed.
void key_run_abort (key_run_t *self);

//  Freeze the active run at keys (1 to KEY_RUN_KEYS) instead: for tests,
//  which go through many runs with a few entries. The broker's runs
//  still lengthen at each freeze.
void key_run_set_keys (key_run_t *self, uint32_t keys);

//  How many keys the active run is frozen at.
uint32_t key_run_keys (const key_run_t *self);

//  How many keys memory holds, in both runs (for tests and the log).
size_t key_run_held (const key_run_t *self);

#endif
