/*  text.c - text put together without a format string; see text.h. */

#include "text.h"

#include <string.h>

size_t
text_put (char *out, size_t size, size_t used, const char *text)
{
    size_t len = strlen (text);
    if (used < size) {
        size_t room = size - used - 1;
        size_t take = len < room ? len : room;
        memcpy (out + used, text, take);
        out [used + take] = 0;
    }
    return used + len;
}

size_t
text_put_count (char *out, size_t size, size_t used, unsigned long long n)
{
    char digits [24];
    size_t at = sizeof digits - 1;
    digits [at] = 0;
    do
        digits [--at] = (char) ('0' + n % 10);
    while ((n /= 10) > 0);
    return text_put (out, size, used, digits + at);
}
