/*  pack.h - a protobuf-c message encoded in one pass (codec.c's encoder).

    pack_message() writes exactly the bytes protobuf_c_message_pack() writes
    for the same message, fields and unknown fields alike, in one walk of
    the message instead of two. Hand-written because protobuf-c packs a
    message in two walks, one that sizes it and one that writes it, and
    the second moves each nested message of more than 127 bytes once for
    every level it is nested in (its length is written after it, then the
    bytes are moved to make room for it); a stored entry, its masked copy
    and a table's cells are such nested messages, packed for every append.
    No packaged C library packs protobuf-c's structs otherwise.

    The bytes are written from the end of the buffer towards its start, so
    that a nested message's length is known when its length is written;
    they are moved to the buffer's start once, at the end.               */

#ifndef CIBUS_PACK_H_INCLUDED
#define CIBUS_PACK_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PACK_OK,
    PACK_NOMEM,      /* memory ran out; *data is still the caller's to free */
    PACK_UNLABELLED  /* a field of msg, or of a message in it, has no label
                        (proto3): protobuf-c packs it, this encoder does not */
} pack_result_t;

/* Encode msg into *data, which holds *capacity bytes and is grown (realloc)
   as needed; its length in *size. */
pack_result_t pack_message (const ProtobufCMessage *msg, uint8_t **data, size_t *capacity,
                            size_t *size);

/* Whether the plans made for each message type (pack.c) are kept, as
   they are by default, or made for each message and freed after it, as
   they are only when the table of plans is full: for tests of that way. */
void pack_plans_keep (bool keep);

/* The wire type a value of this type is written with (unpacked), and
   the size of one element of a repeated field's array of it: tables, as
   the encoder and the decoder ask for every field. */
static const uint8_t pack_wire_types [] = {
    [PROTOBUF_C_TYPE_INT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_INT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_UINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_UINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_BOOL] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_ENUM] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
};

static const uint8_t pack_element_sizes [] = {
    [PROTOBUF_C_TYPE_INT32] = 4,
    [PROTOBUF_C_TYPE_SINT32] = 4,
    [PROTOBUF_C_TYPE_SFIXED32] = 4,
    [PROTOBUF_C_TYPE_INT64] = 8,
    [PROTOBUF_C_TYPE_SINT64] = 8,
    [PROTOBUF_C_TYPE_SFIXED64] = 8,
    [PROTOBUF_C_TYPE_UINT32] = 4,
    [PROTOBUF_C_TYPE_FIXED32] = 4,
    [PROTOBUF_C_TYPE_UINT64] = 8,
    [PROTOBUF_C_TYPE_FIXED64] = 8,
    [PROTOBUF_C_TYPE_FLOAT] = 4,
    [PROTOBUF_C_TYPE_DOUBLE] = 8,
    [PROTOBUF_C_TYPE_BOOL] = sizeof (protobuf_c_boolean),
    [PROTOBUF_C_TYPE_ENUM] = 4,
    [PROTOBUF_C_TYPE_STRING] = sizeof (char *),
    [PROTOBUF_C_TYPE_BYTES] = sizeof (ProtobufCBinaryData),
    [PROTOBUF_C_TYPE_MESSAGE] = sizeof (ProtobufCMessage *),
};

static inline ProtobufCWireType
pack_wire_type (ProtobufCType type)
{
    return (ProtobufCWireType)pack_wire_types [type];
}

static inline size_t
pack_element_size (ProtobufCType type)
{
    return pack_element_sizes [type];
}

#endif
