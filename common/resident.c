/*  resident.c - memory made resident when it is made; see resident.h. */

#include "resident.h"

void
resident_touch (void *block, size_t size)
{
    volatile unsigned char *bytes = block;
    for (size_t at = 0; at < size; at += 4096)
        bytes [at] = 0;
    if (size)
        bytes [size - 1] = 0;
}
