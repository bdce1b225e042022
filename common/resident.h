/*  resident.h - memory made resident when it is made.

    A buffer the process keeps for its whole life is cheapest touched
    once, at start: left alone, its pages come in one by one on first
    use, and the resident size goes on growing under load long after
    the start, whenever a batch is larger than any before it.          */

#ifndef CIBUS_RESIDENT_H_INCLUDED
#define CIBUS_RESIDENT_H_INCLUDED

#include <stddef.h>

/* Write a zero into every page of size bytes at block, so that they are
   resident from now on: for memory just made (a calloc's stays zero, a
   malloc's is not yet filled). A memset of zeros cannot do this: the
   compiler may make a malloc and a memset into a calloc, whose pages
   come on first use.                                                  */
void resident_touch (void *block, size_t size);

#endif
