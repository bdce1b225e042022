/*  message_same.h - whether two decoded protobuf-c messages are the same:
    the tests' and the fuzzer's check that the one-pass decoder
    (proto/unpack.c) makes the message protobuf-c makes of the same bytes. */

#ifndef CIBUS_MESSAGE_SAME_H_INCLUDED
#define CIBUS_MESSAGE_SAME_H_INCLUDED

#include <protobuf-c/protobuf-c.h>

/* NULL when a and b (either may be NULL) are the same, field for field:
   descriptor, repeated counts, has_ flags, a oneof's case, every value
   present (a string at the field's default is the descriptor's own
   pointer in both), unknown fields; otherwise the first difference, in
   words (a static buffer). */
const char *message_same (const ProtobufCMessage *a, const ProtobufCMessage *b);

#endif
