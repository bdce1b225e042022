/*  arena.h - many small copies that live and die together.

    An arena hands out memory from blocks it allocates as it goes, never
    frees a piece alone, and frees every block at once when it is
    destroyed. A feed holds every name and value of an export's tables
    until it is done with them: one allocation per block instead of one
    per string, and one free per block.                                  */

#ifndef CIBUS_ARENA_H_INCLUDED
#define CIBUS_ARENA_H_INCLUDED

#include <stddef.h>

typedef struct arena_t arena_t;

/* An empty arena. NULL when out of memory. */
arena_t *arena_new (void);

/* The same, its first block of first bytes instead of 4 KiB, for arenas
   that usually hold less. Later blocks double as arena_new's do.         */
arena_t *arena_new_sized (size_t first);
void arena_destroy (arena_t **self_p);

/* size bytes, zeroed, aligned for any type; NULL when out of memory. */
void *arena_alloc (arena_t *self, size_t size);

/* A copy of text, or NULL when text is NULL or memory is out. */
char *arena_strdup (arena_t *self, const char *text);

#endif
