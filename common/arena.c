/*  arena.c - many small copies that live and die together (arena.h).

    Hand-written: glibc's obstack, the library for this, reports a failed
    allocation through a handler that must not return, where a feed
    reports it as an error and goes on to clean up; the rest is forty
    lines. Blocks start at 4 KiB and double up to 1 MiB; a piece larger
    than a quarter of that has a block of its own.                         */

#include "arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_FIRST_BLOCK 4096
#define S_LAST_BLOCK  (1024 * 1024)
#define S_ALIGN       alignof (max_align_t)
#define S_ALIGNED(n)  (((n) + S_ALIGN - 1) & ~(size_t) (S_ALIGN - 1))

typedef struct s_block_t {
    struct s_block_t *next; /* the block made before this one */
    size_t size, used;      /* bytes after the header */
    alignas (max_align_t) unsigned char bytes [];
} s_block_t;

struct arena_t {
    s_block_t *block; /* the newest: pieces are carved from it */
    size_t next_size; /* bytes of the next block */
};

arena_t *
arena_new_sized (size_t first)
{
    arena_t *self = calloc (1, sizeof *self);
    if (self)
        self->next_size = first ? S_ALIGNED (first) : S_ALIGN;
    return self;
}

arena_t *
arena_new (void)
{
    return arena_new_sized (S_FIRST_BLOCK);
}

void
arena_destroy (arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_t *self = *self_p;
    for (s_block_t *block = self->block, *next; block; block = next) {
        next = block->next;
        free (block);
    }
    free (self);
    *self_p = NULL;
}

void *
arena_alloc (arena_t *self, size_t size)
{
    size_t need = S_ALIGNED (size ? size : 1);
    if (need < size)
        return NULL;
    s_block_t *block = self->block;
    if (!block || block->size - block->used < need) {
        bool own = need > S_LAST_BLOCK / 4; //  a block of its own, behind the one in use
        size_t bytes = own || need > self->next_size ? need : self->next_size;
        if (!own && self->next_size < S_LAST_BLOCK)
            self->next_size *= 2;
        if (bytes > SIZE_MAX - sizeof *block || !(block = malloc (sizeof *block + bytes)))
            return NULL;
        block->size = bytes;
        block->used = 0;
        if (own && self->block) {
            block->next = self->block->next;
            self->block->next = block;
        } else {
            block->next = self->block;
            self->block = block;
        }
    }
    void *piece = block->bytes + block->used;
    block->used += need;
    memset (piece, 0, size);
    return piece;
}

char *
arena_strdup (arena_t *self, const char *text)
{
    if (!text)
        return NULL;
    size_t len = strlen (text);
    char *copy = arena_alloc (self, len + 1);
    if (copy)
        memcpy (copy, text, len + 1);
    return copy;
}
