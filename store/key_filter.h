/*  key_filter.h - which keys an index may hold, without reading it.

    A blocked Bloom filter (each key's bits in one 64-byte block): a key
    added is always said to be maybe held; a key never added is said so
    too for a few in a thousand, at the size it was made for. The lookups
    of a new entry's dedupe key and of a new table's earlier versions ask
    it first, and read the index only for a maybe: on a long log those
    reads are of leaves that are nowhere in memory.

    The keys are hashes under the store's secret (log_keys.c), so they
    are spread evenly and a client cannot aim at a block. The filter is
    made, touched and filled when the store opens, sized for the log it
    finds, and is not grown: a log that grows far past it is answered
    maybe more often, never wrongly.                                       */

#ifndef CIBUS_KEY_FILTER_H_INCLUDED
#define CIBUS_KEY_FILTER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct key_filter_t key_filter_t;

//  A filter for about keys keys (at least a floor's worth).
key_filter_t *key_filter_new (uint64_t keys);
void key_filter_destroy (key_filter_t **self_p);

void key_filter_add (key_filter_t *self, int64_t key);

//  False only for a key never added.
bool key_filter_may_hold (const key_filter_t *self, int64_t key);

//  Its size in bytes.
uint64_t key_filter_bytes (const key_filter_t *self);

#endif
