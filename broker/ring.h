/*  ring.h - the last entries of the log, kept in memory.

    Live subscribers read what was just committed; serving it from memory
    keeps the disk out of the delivery path. The ring holds the encoded
    envelopes of a contiguous run of seqs [first, last]; a reader asking for
    a seq the ring no longer (or does not yet) hold falls back to the store.

    Invariant: the ring only ever holds committed entries. The broker pushes
    an entry while its batch is open and truncates back to the last
    committed seq if the batch fails, so a cursor (which only runs between
    batches) never sees an uncommitted entry.                              */

#ifndef CIBUS_RING_H_INCLUDED
#define CIBUS_RING_H_INCLUDED

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ring_t ring_t;

/* A ring of capacity entries; entries larger than max_entry bytes are not
   kept (the ring empties and readers use the store until it refills). */
ring_t *ring_new (size_t capacity, size_t max_entry);
void ring_destroy (ring_t **self_p);

/* Append an entry (copied: its envelope, and its masked copy and owner when
   it has them). A seq that does not follow the last one empties the ring
   first. Returns false (ring emptied) on out of memory. */
bool ring_push (ring_t *self, const store_entry_t *entry);

/* Forget every entry: an entry already held changed in the store (a data
   table's masked copy became a marker when a correction superseded it). */
void ring_clear (ring_t *self);

/* Forget every entry after seq (a failed batch). */
void ring_truncate (ring_t *self, uint64_t seq);

/* Whether the ring holds seq. */
bool ring_has (ring_t *self, uint64_t seq);

/* Call fn for entries from seq `from` on, in order, at most max of them, as
   store_read_from does. The ring must hold `from`. Returns how many were
   read. */
size_t ring_read_from (ring_t *self, uint64_t from, size_t max, store_read_fn *fn, void *arg);

#endif
