/*  pack.c - a protobuf-c message encoded in one pass (pack.h).

    The walk is protobuf_c_message_pack's, backwards: the unknown fields
    from the last, then the descriptor's fields from the last (protoc-c
    lists them by number), each repeated field's elements from the last,
    each value before its tag. What protobuf-c leaves out is left out:
    an optional string or message that is NULL or the field's default
    value, any other optional field whose has_ flag is false, a oneof
    member that is not its case, an empty repeated field.               */

#include "pack.h"

#include <stdlib.h>
#include <string.h>

//  The bytes written are base [at .. capacity).
typedef struct {
    uint8_t *base;
    size_t capacity;
    size_t at;
    pack_result_t result;
} s_out_t;

//  Room for `need` more bytes before what is written; false (and the
//  result set) when memory ran out. Growing moves what is written to the
//  new end, so a position is kept as the count written after it.
static bool
s_grow (s_out_t *out, size_t need)
{
    if (out->result != PACK_OK)
        return false;
    size_t used = out->capacity - out->at;
    size_t capacity = out->capacity ? out->capacity : 256;
    while (capacity - used < need) {
        if (capacity > SIZE_MAX / 2) {
            out->result = PACK_NOMEM;
            return false;
        }
        capacity *= 2;
    }
    uint8_t *base = realloc (out->base, capacity);
    if (!base) {
        out->result = PACK_NOMEM;
        return false;
    }
    memmove (base + capacity - used, base + out->at, used);
    out->base = base;
    out->at = capacity - used;
    out->capacity = capacity;
    return true;
}

static inline bool
s_room (s_out_t *out, size_t need)
{
    return out->at >= need || s_grow (out, need);
}

static inline size_t
s_written (const s_out_t *out)
{
    return out->capacity - out->at;
}

static inline void
s_bytes (s_out_t *out, const void *data, size_t size)
{
    if (size == 0 || !s_room (out, size))
        return;
    out->at -= size;
    memcpy (out->base + out->at, data, size);
}

static inline void
s_varint (s_out_t *out, uint64_t value)
{
    if (!s_room (out, 10))
        return;
    if (value < 0x80) {
        out->base [--out->at] = (uint8_t)value;
        return;
    }
    size_t length = 1;
    for (uint64_t rest = value >> 7; rest; rest >>= 7)
        length++;
    out->at -= length;
    uint8_t *at = out->base + out->at;
    for (size_t i = 0; i + 1 < length; i++, value >>= 7)
        at [i] = (uint8_t)(value | 0x80);
    at [length - 1] = (uint8_t)value;
}

static inline void
s_fixed32 (s_out_t *out, uint32_t value)
{
    if (!s_room (out, 4))
        return;
    out->at -= 4;
    uint8_t *at = out->base + out->at;
    at [0] = (uint8_t)value;
    at [1] = (uint8_t)(value >> 8);
    at [2] = (uint8_t)(value >> 16);
    at [3] = (uint8_t)(value >> 24);
}

static inline void
s_fixed64 (s_out_t *out, uint64_t value)
{
    s_fixed32 (out, (uint32_t)(value >> 32));
    s_fixed32 (out, (uint32_t)value);
}

static void
s_tag (s_out_t *out, uint32_t id, ProtobufCWireType wire)
{
    s_varint (out, (uint64_t)id << 3 | (uint64_t)wire);
}

static void s_message (s_out_t *out, const ProtobufCMessage *msg);

//  A nested message, then its length.
static void
s_nested (s_out_t *out, const ProtobufCMessage *msg)
{
    size_t after = s_written (out);
    if (msg)
        s_message (out, msg);
    s_varint (out, s_written (out) - after);
}

//  One value, without its tag; a string or message that is NULL is
//  written empty, as protobuf-c writes it.
//  Inlined into both callers: a call a value costs as much as the value.
__attribute__ ((always_inline)) static inline void
s_value (s_out_t *out, ProtobufCType type, const void *member)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t value;
        memcpy (&value, member, sizeof value);
        s_varint (out, (uint64_t)(int64_t)value);
        break;
    }
    case PROTOBUF_C_TYPE_SINT32: {
        int32_t value;
        memcpy (&value, member, sizeof value);
        s_varint (out, ((uint32_t)value << 1) ^ (uint32_t)-(int32_t)((uint32_t)value >> 31));
        break;
    }
    case PROTOBUF_C_TYPE_UINT32: {
        uint32_t value;
        memcpy (&value, member, sizeof value);
        s_varint (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SINT64: {
        int64_t value;
        memcpy (&value, member, sizeof value);
        s_varint (out, ((uint64_t)value << 1) ^ (uint64_t)-(int64_t)((uint64_t)value >> 63));
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64: {
        uint64_t value;
        memcpy (&value, member, sizeof value);
        s_varint (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT: {
        uint32_t value;
        memcpy (&value, member, sizeof value);
        s_fixed32 (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: {
        uint64_t value;
        memcpy (&value, member, sizeof value);
        s_fixed64 (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean value;
        memcpy (&value, member, sizeof value);
        s_varint (out, value ? 1 : 0);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *text = *(const char *const *)member;
        size_t length = text ? strlen (text) : 0;
        s_bytes (out, text, length);
        s_varint (out, length);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bytes = member;
        s_bytes (out, bytes->data, bytes->len);
        s_varint (out, bytes->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        s_nested (out, *(const ProtobufCMessage *const *)member);
        break;
    }
}

static void
s_repeated (s_out_t *out, const ProtobufCFieldDescriptor *field, size_t count, const void *member)
{
    if (count == 0)
        return;
    const uint8_t *array = *(const uint8_t *const *)member;
    size_t step = pack_element_size (field->type);
    if (field->flags & PROTOBUF_C_FIELD_FLAG_PACKED) {
        size_t after = s_written (out);
        for (size_t i = count; i-- > 0;)
            s_value (out, field->type, array + i * step);
        s_varint (out, s_written (out) - after);
        s_tag (out, field->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        return;
    }
    ProtobufCWireType wire = pack_wire_type (field->type);
    for (size_t i = count; i-- > 0;) {
        s_value (out, field->type, array + i * step);
        s_tag (out, field->id, wire);
    }
}

//  Whether protobuf-c writes an optional field or a oneof's member
//  (`present` its has_ flag, or that the oneof's case is this field).
static bool
s_present (const ProtobufCFieldDescriptor *field, bool present, const void *member)
{
    if (field->type == PROTOBUF_C_TYPE_MESSAGE || field->type == PROTOBUF_C_TYPE_STRING) {
        const void *pointer = *(const void *const *)member;
        return present && pointer && pointer != field->default_value;
    }
    return present;
}

static void
s_message (s_out_t *out, const ProtobufCMessage *msg)
{
    for (size_t i = msg->n_unknown_fields; i-- > 0;) {
        const ProtobufCMessageUnknownField *unknown = &msg->unknown_fields [i];
        s_bytes (out, unknown->data, unknown->len);
        s_tag (out, unknown->tag, unknown->wire_type);
    }
    const ProtobufCMessageDescriptor *descriptor = msg->descriptor;
    for (size_t i = descriptor->n_fields; i-- > 0;) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        const void *member = (const uint8_t *)msg + field->offset;
        const void *quantifier = (const uint8_t *)msg + field->quantifier_offset;
        bool write = true;
        switch (field->label) {
        case PROTOBUF_C_LABEL_REQUIRED:
            break;
        case PROTOBUF_C_LABEL_OPTIONAL:
            if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                write = s_present (field, *(const uint32_t *)quantifier == field->id, member);
            else if (field->type == PROTOBUF_C_TYPE_MESSAGE
                     || field->type == PROTOBUF_C_TYPE_STRING)
                write = s_present (field, true, member);
            else
                write = s_present (field, *(const protobuf_c_boolean *)quantifier, member);
            break;
        case PROTOBUF_C_LABEL_REPEATED:
            s_repeated (out, field, *(const size_t *)quantifier, member);
            continue;
        case PROTOBUF_C_LABEL_NONE:
        default:
            if (out->result == PACK_OK)
                out->result = PACK_UNLABELLED;
            return;
        }
        if (write) {
            s_value (out, field->type, member);
            s_tag (out, field->id, pack_wire_type (field->type));
        }
    }
}

pack_result_t
pack_message (const ProtobufCMessage *msg, uint8_t **data, size_t *capacity, size_t *size)
{
    s_out_t out = {*data, *capacity, *capacity, PACK_OK};
    s_message (&out, msg);
    *data = out.base;
    *capacity = out.capacity;
    if (out.result != PACK_OK)
        return out.result;
    *size = s_written (&out);
    if (*size > 0 && out.at > 0)
        memmove (out.base, out.base + out.at, *size);
    return PACK_OK;
}
