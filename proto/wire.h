/*  wire.h - the one reader of a protobuf varint in cibus's own code.

    The one-pass decoder (unpack.c) and the codec's search of a frame's
    bytes for a NUL in a string (codec.c) read the bytes protobuf-c reads
    and must read a varint as it does: at most ten bytes, the bits past
    the 64th dropped.                                                    */

#ifndef CIBUS_WIRE_H_INCLUDED
#define CIBUS_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The varint at *at, before end, in *value, and *at past it; false (and
   *at where it was) when none ends within ten bytes there. */
static inline bool
wire_varint (const uint8_t **at, const uint8_t *end, uint64_t *value)
{
    const uint8_t *p = *at;
    if (p < end && *p < 0x80) {
        *value = *p;
        *at = p + 1;
        return true;
    }
    size_t room = (size_t)(end - p) < 10 ? (size_t)(end - p) : 10;
    uint64_t sum = 0;
    for (size_t i = 0; i < room; i++) {
        sum |= (uint64_t)(p [i] & 0x7f) << (7 * i);
        if (!(p [i] & 0x80)) {
            *value = sum;
            *at = p + i + 1;
            return true;
        }
    }
    return false;
}

#endif
