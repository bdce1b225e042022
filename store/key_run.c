/*  key_run.c - keys an index receives at random, written to it in order;
    see key_run.h.

    A run is an array of (key, seq) pairs in the order they came, and an
    open-addressing hash of their places (linear probing, each pair a slot
    of its own, so that a key may name several seqs). A batch's pairs are
    the array's last ones: rolling it back removes them from the hash last
    first, which leaves every probe path of the pairs before them whole.
    The flushing run is sorted by key once, before its first slice.
    A run made with room for all its keys (the broker's) grows only when
    it lengthens, empty, at a freeze; any other starts small and doubles
    as it fills, hashing its pairs again in their order, which keeps the
    rollback's promise above.                                            */

#include "key_run.h"

#include "key_filter.h"
#include "resident.h"

#include <stdlib.h>
#include <string.h>

//  A run's room: a batch that starts below KEY_RUN_KEYS ends within it.
#define S_CAPACITY      (KEY_RUN_KEYS + CIBUS_BATCH_MAX)
#define S_SLOT_BITS_MAX 20
_Static_assert((1u << S_SLOT_BITS_MAX) >= 2 * KEY_RUN_KEYS, "the hash stays at most half full");
//  A run that grows starts with room for this many pairs.
#define S_CAPACITY_FIRST 1024

typedef struct {
    int64_t key;
    uint64_t seq;
} s_pair_t;

typedef struct {
    s_pair_t *pairs;
    uint32_t count, capacity;
    uint32_t *slots; /* a pair's place + 1 and its key's tag (s_slot); 0 is free */
    uint32_t bits;   /* 2^bits slots: at least twice the pairs, up to KEY_RUN_KEYS */
    bool sorted;     /* pairs are in key order (a flushing run's) */
} s_run_t;

enum { S_INSERT = 0, S_INSERT_ROWS, S_CHECK, S_MARKS_GET, S_MARKS_SET, S__COUNT };

//  Pairs one S_INSERT_ROWS statement writes: a slice goes to the index
//  this many at a time, the rest one by one. A statement per pair was
//  mostly the statement's own set-up and tear-down.
#define S_ROWS 64

struct key_run_t {
    store_t *store;
    char name [32];
    sqlite3_stmt *stmts [S__COUNT];
    s_run_t runs [2];
    key_filter_t *filter; /* every key added, and every key the index held at open */
    int active;           /* runs [active] takes new keys, runs [!active] is flushing */
    uint32_t keys;        /* the active run is frozen at this many (key_run.h) */
    bool full;            /* the broker's: all the room at once, lengthening with the log */
    uint64_t flushed, frozen;
    uint32_t cursor; /* the flushing run's next pair to write */
    //  The batch under way: where it began, and what its commit does.
    uint32_t begin_count, begin_cursor;
    bool flushed_all, freeze, everything;
};

static uint32_t
s_slot_of (const s_run_t *run, int64_t key)
{
    return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> (64 - run->bits));
}

//  A slot holds a pair's place + 1 in its low S_PLACE_BITS and twelve bits
//  of its key's hash above them, so that a lookup passes the pairs of
//  other keys on its path without reading them: for a key the run does
//  not hold, nearly every lookup, each of those reads missed the cache.
#define S_PLACE_BITS 20
#define S_PLACE_MASK ((1u << S_PLACE_BITS) - 1)
_Static_assert(S_CAPACITY < S_PLACE_MASK, "a place + 1 fits below the tag");

static uint32_t
s_tag_of (int64_t key)
{
    return (uint32_t)(((uint64_t)key * 0xC2B2AE3D27D4EB4Full) >> (64 - (32 - S_PLACE_BITS)));
}

static uint32_t
s_slot (uint32_t place, int64_t key)
{
    return (place + 1) | s_tag_of (key) << S_PLACE_BITS;
}

static uint32_t
s_slot_count (const s_run_t *run)
{
    return 1u << run->bits;
}

//  The hash's size for a room of capacity pairs.
static uint32_t
s_bits_for (uint32_t capacity)
{
    uint32_t bits = 1;
    while (bits < S_SLOT_BITS_MAX && (1u << bits) < 2 * capacity)
        bits++;
    return bits;
}

static void
s_slot_put (s_run_t *run, uint32_t place)
{
    uint32_t mask = s_slot_count (run) - 1;
    uint32_t at = s_slot_of (run, run->pairs [place].key);
    while (run->slots [at])
        at = (at + 1) & mask;
    run->slots [at] = s_slot (place, run->pairs [place].key);
}

//  Room for capacity pairs, the pairs held hashed again in their order.
//  False when out of memory: the run is as it was.
static bool
s_run_room (s_run_t *run, uint32_t capacity)
{
    uint32_t bits = s_bits_for (capacity);
    s_pair_t *pairs = realloc (run->pairs, (size_t)capacity * sizeof *pairs);
    if (pairs)
        run->pairs = pairs;
    uint32_t *slots = pairs ? calloc ((size_t)1 << bits, sizeof *slots) : NULL;
    if (!slots)
        return false;
    free (run->slots);
    run->slots = slots;
    run->bits = bits;
    run->capacity = capacity;
    for (uint32_t i = 0; i < run->count; i++)
        s_slot_put (run, i);
    return true;
}

//  Room for a run frozen at keys, resident from now on: a batch that
//  starts below keys ends within it.
static bool
s_run_room_for (s_run_t *run, uint32_t keys)
{
    if (run->capacity >= keys + CIBUS_BATCH_MAX)
        return true;
    if (!s_run_room (run, keys + CIBUS_BATCH_MAX))
        return false;
    resident_touch (run->pairs, (size_t)run->capacity * sizeof *run->pairs);
    resident_touch (run->slots, (size_t)s_slot_count (run) * sizeof *run->slots);
    return true;
}

//  A run with its room for keys now (full), or with a little that grows
//  as it fills.
static bool
s_run_init (s_run_t *run, bool full, uint32_t keys)
{
    return full ? s_run_room_for (run, keys) : s_run_room (run, S_CAPACITY_FIRST);
}

uint32_t
key_run_keys_for (uint64_t last)
{
    uint32_t keys = KEY_RUN_KEYS_SMALL;
    while (keys < KEY_RUN_KEYS && (uint64_t)keys * KEY_RUN_LOG_PER_KEY < last)
        keys *= 2;
    return keys;
}

//  At a freeze the broker's runs follow the log: the run that has just
//  become active (empty) takes the room of the length the log now calls
//  for, the other one at the next freeze. Memory comes in here, a few
//  times in a log's life, and is said. Out of memory, the length stays.
static void
s_lengthen (key_run_t *self)
{
    if (!self->full)
        return;
    uint32_t keys = key_run_keys_for (self->frozen);
    if (keys < self->keys)
        keys = self->keys;
    if (!s_run_room_for (&self->runs [self->active], keys) || keys == self->keys)
        return;
    self->keys = keys;
    log_value_t db;
    log_info ("event=store-keys-lengthened db=\"%s\" index=%s keys=%u last_seq=%llu",
              log_escape (&db, self->store->path), self->name, keys,
              (unsigned long long)self->frozen);
}

static void
s_run_clear (s_run_t *run)
{
    memset (run->slots, 0, (size_t)s_slot_count (run) * sizeof *run->slots);
    run->count = 0;
    run->sorted = false;
}

static void
s_run_truncate (s_run_t *run, uint32_t count)
{
    uint32_t mask = s_slot_count (run) - 1;
    while (run->count > count) {
        uint32_t place = --run->count;
        uint32_t at = s_slot_of (run, run->pairs [place].key);
        while ((run->slots [at] & S_PLACE_MASK) != place + 1)
            at = (at + 1) & mask;
        run->slots [at] = 0;
    }
}

//  A key's bits in an order that sorts as the key does: the sign flipped.
static uint64_t
s_sort_bits (int64_t key)
{
    return (uint64_t)key ^ (1ull << 63);
}

//  Sort pairs by key, as the index's b-tree orders them. A radix sort, a
//  byte of the key a pass from the lowest, each pass stable: a run is
//  hundreds of thousands of random keys, sorted in the commit after its
//  freeze, and qsort's comparisons through a callback took that commit
//  tens of milliseconds on a long log. Equal keys (a table's versions)
//  keep the order they had, which is seq's for a run's pairs. scratch
//  holds count pairs; after the even number of passes the pairs are back
//  in pairs.
static void
s_pairs_sort (s_pair_t *pairs, s_pair_t *scratch, uint32_t count)
{
    s_pair_t *from = pairs, *to = scratch;
    for (int shift = 0; shift < 64; shift += 8) {
        uint32_t at [256] = {0};
        for (uint32_t i = 0; i < count; i++)
            at [(s_sort_bits (from [i].key) >> shift) & 0xff]++;
        uint32_t sum = 0;
        for (int b = 0; b < 256; b++) {
            uint32_t n = at [b];
            at [b] = sum;
            sum += n;
        }
        for (uint32_t i = 0; i < count; i++)
            to [at [(s_sort_bits (from [i].key) >> shift) & 0xff]++] = from [i];
        s_pair_t *swap = from;
        from = to;
        to = swap;
    }
}

static int
s_pair_compare (const void *a, const void *b)
{
    const s_pair_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

//  Sort a run by key, as the index's b-tree orders it, and hash it again.
//  Without memory for the radix sort's scratch, qsort sorts it in place.
static void
s_run_sort (s_run_t *run)
{
    s_pair_t *scratch = malloc ((size_t)(run->count ? run->count : 1) * sizeof *scratch);
    if (scratch)
        s_pairs_sort (run->pairs, scratch, run->count);
    else
        qsort (run->pairs, run->count, sizeof *run->pairs, s_pair_compare);
    free (scratch);
    memset (run->slots, 0, (size_t)s_slot_count (run) * sizeof *run->slots);
    for (uint32_t i = 0; i < run->count; i++)
        s_slot_put (run, i);
    run->sorted = true;
}

static size_t
s_run_find (const s_run_t *run, int64_t key, uint64_t *seqs, size_t max, size_t found)
{
    uint32_t mask = s_slot_count (run) - 1;
    uint32_t at = s_slot_of (run, key);
    uint32_t tag = s_tag_of (key);
    for (uint32_t slot; (slot = run->slots [at]); at = (at + 1) & mask) {
        if (slot >> S_PLACE_BITS != tag)
            continue;
        const s_pair_t *pair = &run->pairs [(slot & S_PLACE_MASK) - 1];
        if (pair->key == key) {
            if (found < max)
                seqs [found] = pair->seq;
            found++;
        }
    }
    return found;
}

//  Add every key the index holds to the filter.
static cibus_err_t
s_filter_fill (key_run_t *self, const char *fill)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->store->db, fill, -1, &stmt, NULL) != SQLITE_OK)
        return store_fail (self->store, "key-run-filter");
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        key_filter_add (self->filter, sqlite3_column_int64 (stmt, 0));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? CIBUS_OK : store_fail (self->store, "key-run-filter");
}

key_run_t *
key_run_new (store_t *store, const key_run_index_t *index, bool full)
{
    key_run_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->full = full;
    self->keys = full ? key_run_keys_for (store->last_seq) : KEY_RUN_KEYS_SMALL;
    snprintf (self->name, sizeof self->name, "%s", index->name);
    //  index->insert ends with its VALUES: one pair, then S_ROWS.
    char one [256], rows [256 + S_ROWS * 8];
    snprintf (one, sizeof one, "%s (?, ?)", index->insert);
    snprintf (rows, sizeof rows, "%s", one);
    for (int i = 1; i < S_ROWS; i++)
        strcat (rows, ", (?, ?)");
    const char *const sql [S__COUNT] = {
        [S_INSERT] = one,
        [S_INSERT_ROWS] = rows,
        [S_CHECK] = index->check,
        [S_MARKS_GET] = "SELECT flushed, frozen FROM key_runs WHERE name = ?",
        [S_MARKS_SET] = "UPDATE key_runs SET flushed = ?2, frozen = ?3 WHERE name = ?1",
    };
    //  Room for the keys of the log as it is, half as many again, and
    //  two runs.
    uint64_t keys = store->last_seq + store->last_seq / 2 + 2 * (uint64_t)self->keys;
    if (!s_run_init (&self->runs [0], full, self->keys)
        || !s_run_init (&self->runs [1], full, self->keys)
        || !(self->filter = key_filter_new (keys))
        || store_prepare_all (store, self->stmts, sql, S__COUNT) || key_run_marks (self, NULL, NULL)
        || s_filter_fill (self, index->fill)) {
        key_run_destroy (&self);
        return NULL;
    }
    return self;
}

void
key_run_destroy (key_run_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    key_run_t *self = *self_p;
    store_finalize_all (self->stmts, S__COUNT);
    key_filter_destroy (&self->filter);
    for (int i = 0; i < 2; i++) {
        free (self->runs [i].pairs);
        free (self->runs [i].slots);
    }
    free (self);
    *self_p = NULL;
}

cibus_err_t
key_run_marks (key_run_t *self, uint64_t *flushed, uint64_t *frozen)
{
    sqlite3_stmt *stmt = self->stmts [S_MARKS_GET];
    sqlite3_bind_text (stmt, 1, self->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        self->flushed = (uint64_t)sqlite3_column_int64 (stmt, 0);
        self->frozen = (uint64_t)sqlite3_column_int64 (stmt, 1);
    }
    store_reset (stmt);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? CIBUS_ERR_STORE : store_fail (self->store, "key-run-marks");
    if (flushed)
        *flushed = self->flushed;
    if (frozen)
        *frozen = self->frozen;
    return CIBUS_OK;
}

size_t
key_run_find (const key_run_t *self, int64_t key, uint64_t *seqs, size_t max)
{
    size_t found = s_run_find (&self->runs [0], key, seqs, max, 0);
    return s_run_find (&self->runs [1], key, seqs, max, found);
}

bool
key_run_index_may_hold (const key_run_t *self, int64_t key)
{
    return key_filter_may_hold (self->filter, key);
}

bool
key_run_add (key_run_t *self, int64_t key, uint64_t seq)
{
    //  In the index soon, whichever way it goes there: a slice, or the
    //  store's own write when the run is full.
    key_filter_add (self->filter, key);
    //  An entry up to the frozen mark is the flushing run's: only while
    //  the store computes the runs again, when it opens.
    s_run_t *run = &self->runs [seq <= self->frozen ? !self->active : self->active];
    if (run->sorted)
        return false;
    if (run->count == run->capacity
        && (run->capacity == S_CAPACITY
            || !s_run_room (run, run->capacity * 2 < S_CAPACITY ? run->capacity * 2 : S_CAPACITY)))
        return false;
    run->pairs [run->count] = (s_pair_t){.key = key, .seq = seq};
    s_slot_put (run, run->count++);
    return true;
}

void
key_run_begin (key_run_t *self)
{
    if (!self)
        return;
    self->begin_count = self->runs [self->active].count;
    self->begin_cursor = self->cursor;
    self->flushed_all = self->freeze = self->everything = false;
}

//  Check that the index holds each of count pairs an insert did not add:
//  written before a crash, or another entry's key.
static cibus_err_t
s_check (key_run_t *self, const s_pair_t *pairs, size_t count)
{
    sqlite3_stmt *stmt = self->stmts [S_CHECK];
    for (size_t i = 0; stmt && i < count; i++) {
        sqlite3_bind_int64 (stmt, 1, pairs [i].key);
        sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)pairs [i].seq);
        int rc = sqlite3_step (stmt);
        store_reset (stmt);
        if (rc == SQLITE_ROW)
            continue;
        if (rc != SQLITE_DONE)
            return store_fail (self->store, "key-run-flush");
        log_value_t db;
        log_limited (self->store->limit, LEVEL_ERROR, "store-failed",
                     "event=store-failed op=key-run-flush db=\"%s\" index=%s seq=%llu "
                     "error=\"its key is another entry's in the index\"",
                     log_escape (&db, self->store->path), self->name,
                     (unsigned long long)pairs [i].seq);
        return CIBUS_ERR_STORE;
    }
    return CIBUS_OK;
}

//  Write count pairs to the index, S_ROWS to a statement while there are
//  as many; those it held already are checked (s_check).
static cibus_err_t
s_write (key_run_t *self, const s_pair_t *pairs, size_t count)
{
    cibus_err_t err = CIBUS_OK;
    for (size_t at = 0; err == CIBUS_OK && at < count;) {
        size_t rows = count - at >= S_ROWS ? S_ROWS : 1;
        sqlite3_stmt *stmt = self->stmts [rows == S_ROWS ? S_INSERT_ROWS : S_INSERT];
        for (size_t i = 0; i < rows; i++) {
            sqlite3_bind_int64 (stmt, (int)(2 * i + 1), pairs [at + i].key);
            sqlite3_bind_int64 (stmt, (int)(2 * i + 2), (sqlite3_int64)pairs [at + i].seq);
        }
        err = store_step_done (self->store, stmt, "key-run-flush");
        if (err == CIBUS_OK && (size_t)sqlite3_changes (self->store->db) != rows)
            err = s_check (self, &pairs [at], rows);
        at += rows;
    }
    return err;
}

//  Write the marks the commit leaves, in its transaction.
static cibus_err_t
s_marks_set (key_run_t *self, uint64_t flushed, uint64_t frozen)
{
    sqlite3_stmt *stmt = self->stmts [S_MARKS_SET];
    sqlite3_bind_text (stmt, 1, self->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)flushed);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64)frozen);
    return store_step_done (self->store, stmt, "key-run-marks");
}

//  The highest seq the active run holds, or mark when it holds none: its
//  last, as its keys come in seq order (a batch's, and the store's when
//  it computes them again at open, read in seq order).
static uint64_t
s_run_last (const s_run_t *run, uint64_t mark)
{
    uint64_t last = run->count ? run->pairs [run->count - 1].seq : 0;
    return last > mark ? last : mark;
}

cibus_err_t
key_run_flush (key_run_t *self)
{
    if (!self)
        return CIBUS_OK;
    s_run_t *active = &self->runs [self->active], *flushing = &self->runs [!self->active];
    uint32_t added = active->count - self->begin_count;
    uint32_t left = flushing->count - self->cursor;
    self->freeze = active->count >= self->keys;
    //  What the frozen run has left, spread over the room the active run
    //  had before these keys: it is written out by the time the active run
    //  fills. Not its whole length over the run's: after a reopen the
    //  frozen run holds the keys not yet written while the active run is
    //  part full, and that left the freeze as large a share of them as the
    //  active run was full: up to a run's length of keys in one commit
    //  (seconds, on a long log, at the first freeze after every start).
    uint64_t room = self->freeze ? 0 : self->keys - (active->count - added);
    uint64_t quota = self->freeze ? left : ((uint64_t)left * added + room - 1) / room;
    if (quota > left)
        quota = left;
    if (quota && !flushing->sorted)
        s_run_sort (flushing);
    cibus_err_t err = quota ? s_write (self, flushing->pairs + self->cursor, quota) : CIBUS_OK;
    if (err)
        return err;
    self->cursor += (uint32_t)quota;
    self->flushed_all = flushing->count && self->cursor == flushing->count;
    //  Every key up to the frozen mark is in the index once this commits;
    //  a freeze moves the mark to the active run's last entry.
    if (self->freeze)
        return s_marks_set (self, self->frozen, s_run_last (active, self->frozen));
    return self->flushed_all ? s_marks_set (self, self->frozen, self->frozen) : CIBUS_OK;
}

cibus_err_t
key_run_flush_all (key_run_t *self)
{
    if (!self)
        return CIBUS_OK;
    s_run_t *active = &self->runs [self->active], *flushing = &self->runs [!self->active];
    cibus_err_t err = CIBUS_OK;
    if (self->cursor < flushing->count)
        err = s_write (self, flushing->pairs + self->cursor, flushing->count - self->cursor);
    if (err == CIBUS_OK)
        self->cursor = flushing->count;
    if (err == CIBUS_OK && active->count)
        err = s_write (self, active->pairs, active->count);
    uint64_t last = s_run_last (active, self->frozen);
    self->everything = err == CIBUS_OK;
    return err ? err : s_marks_set (self, last, last);
}

void
key_run_commit (key_run_t *self)
{
    if (!self)
        return;
    s_run_t *active = &self->runs [self->active], *flushing = &self->runs [!self->active];
    if (self->everything) {
        self->flushed = self->frozen = s_run_last (active, self->frozen);
        s_run_clear (active);
        s_run_clear (flushing);
        self->cursor = 0;
    } else {
        //  A freeze wrote whatever the frozen run had left.
        if (self->flushed_all || self->freeze) {
            s_run_clear (flushing);
            self->cursor = 0;
            self->flushed = self->frozen;
        }
        if (self->freeze) {
            self->frozen = s_run_last (active, self->frozen);
            self->active = !self->active;
            s_lengthen (self);
        }
    }
    self->flushed_all = self->freeze = self->everything = false;
    self->begin_count = self->runs [self->active].count;
    self->begin_cursor = self->cursor;
}

void
key_run_abort (key_run_t *self)
{
    if (!self)
        return;
    s_run_truncate (&self->runs [self->active], self->begin_count);
    self->cursor = self->begin_cursor;
    self->flushed_all = self->freeze = self->everything = false;
}

void
key_run_set_keys (key_run_t *self, uint32_t keys)
{
    self->keys = keys < 1 ? 1 : keys > KEY_RUN_KEYS ? KEY_RUN_KEYS : keys;
}

uint32_t
key_run_keys (const key_run_t *self)
{
    return self->keys;
}

size_t
key_run_held (const key_run_t *self)
{
    return self->runs [0].count + self->runs [1].count;
}
