/*  unpack.h - a protobuf-c message decoded in one pass (codec.c's decoder).

    unpack_message() decodes the bytes protobuf-c's encoder writes (and
    pack.c's, which are the same): each field at most once, a repeated
    field's elements in one run, no unknown fields. For those bytes it
    makes the message protobuf_c_message_unpack() makes, field for field.
    Any other bytes it gives back to its caller undecided, to be decided
    by protobuf_c_message_unpack(): a field given twice (which protobuf-c
    settles by the last value or by merging messages), a repeated field in
    two runs, an unknown field, a missing required field, anything
    malformed. So what a hostile frame decodes to, or whether it decodes
    at all, stays protobuf-c's decision.

    Hand-written because protobuf-c decodes in two walks: one that notes
    every field's place in an array and counts repeated fields, one that
    decodes from that array, looking each field up by a binary search. For
    the messages cibus decodes most (a publish on the broker, a delivery
    in every subscriber) that was most of the decode's cost.           */

#ifndef CIBUS_UNPACK_H_INCLUDED
#define CIBUS_UNPACK_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The message of descriptor in `size` bytes at `data`, allocated with
   allocator (NULL: malloc, as protobuf-c's default) and freed with
   protobuf_c_message_free_unpacked(). NULL when the bytes are not in the
   form described above, or memory ran out: nothing is left allocated, and
   protobuf_c_message_unpack() is the one to ask. With a message, *nul (nul
   may be NULL) says whether one of its strings held a NUL byte, which its
   C string hides by ending there: when not, no search of the bytes for
   one is needed. */
ProtobufCMessage *unpack_message (const ProtobufCMessageDescriptor *descriptor,
                                  ProtobufCAllocator *allocator, size_t size, const uint8_t *data,
                                  bool *nul);

#endif
