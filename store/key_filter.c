/*  key_filter.c - which keys an index may hold; see key_filter.h.

    Hand-written: Debian has no C library of it, and it is a few lines.
    A key picks its block by the high half of one multiplication (Lemire's
    multiply-shift, any number of blocks) and its bits in the block from
    the other bits of a second: S_BITS bits of the block's 512 per key.
    With S_BITS_PER_KEY bits of filter per key the filter answers maybe
    for about 1 % of the keys it never held (blocking costs a little over
    a plain Bloom filter of the same size).                               */

#include "key_filter.h"

#include <stdlib.h>

#define S_BLOCK_WORDS  8 /* 64-bit words in a block: one cache line */
#define S_BITS         6 /* bits set per key */
#define S_BITS_PER_KEY 10
#define S_KEYS_FLOOR   65536

struct key_filter_t {
    uint64_t *words;
    uint64_t blocks;
};

key_filter_t *
key_filter_new (uint64_t keys)
{
    key_filter_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (keys < S_KEYS_FLOOR)
        keys = S_KEYS_FLOOR;
    self->blocks = (keys * S_BITS_PER_KEY + 511) / 512;
    if (self->blocks > UINT32_MAX) /* s_block's multiply-shift */
        self->blocks = UINT32_MAX;
    self->words = calloc (self->blocks * S_BLOCK_WORDS, sizeof *self->words);
    if (!self->words) {
        free (self);
        return NULL;
    }
    //  Resident from now on: a calloc's pages otherwise come on first use.
    volatile uint64_t *words = self->words;
    for (uint64_t i = 0; i < self->blocks * S_BLOCK_WORDS; i += 512)
        words [i] = 0;
    return self;
}

void
key_filter_destroy (key_filter_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->words);
    free (*self_p);
    *self_p = NULL;
}

//  The block of a key, and in probe the bits that pick its bits there.
static uint64_t *
s_block (const key_filter_t *self, int64_t key, uint64_t *probe)
{
    uint64_t mixed = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    uint64_t block = (mixed >> 32) * self->blocks >> 32;
    *probe = (uint64_t)key ^ (mixed >> 29);
    return self->words + block * S_BLOCK_WORDS;
}

void
key_filter_add (key_filter_t *self, int64_t key)
{
    uint64_t probe;
    uint64_t *block = s_block (self, key, &probe);
    for (int i = 0; i < S_BITS; i++, probe >>= 9)
        block [(probe >> 6) & 7] |= 1ull << (probe & 63);
}

bool
key_filter_may_hold (const key_filter_t *self, int64_t key)
{
    uint64_t probe;
    const uint64_t *block = s_block (self, key, &probe);
    for (int i = 0; i < S_BITS; i++, probe >>= 9)
        if (!(block [(probe >> 6) & 7] & 1ull << (probe & 63)))
            return false;
    return true;
}

uint64_t
key_filter_bytes (const key_filter_t *self)
{
    return self->blocks * S_BLOCK_WORDS * sizeof *self->words;
}
