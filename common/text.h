/*  text.h - text put together without a format string.

    Names and keys made for every row of a feed and every cell of a table
    are copied, not printed: with snprintf, parsing its format was over a
    third of the time `cibus feed` spent reading an export.               */

#ifndef CIBUS_TEXT_H_INCLUDED
#define CIBUS_TEXT_H_INCLUDED

#include <stddef.h>

/* Copy text, or n in decimal, to out + used (out holds size bytes), cut
   and ended as snprintf would; returns used plus the length of the whole
   text, as snprintf does, so that calls chain and a cut shows. */
size_t text_put (char *out, size_t size, size_t used, const char *text);
size_t text_put_count (char *out, size_t size, size_t used, unsigned long long n);

#endif
