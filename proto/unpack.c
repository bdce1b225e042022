/*  unpack.c - a protobuf-c message decoded in one pass (unpack.h).

    The walk is the bytes' own, front to back, each field decoded where it
    is met. A field is found by the next field of the descriptor first
    (protobuf-c writes fields in the order of their numbers), then by the
    descriptor's ranges of numbers, as protobuf-c finds it. A repeated
    field's run is counted ahead, so that its array is allocated once at
    its size, as protobuf-c allocates it.

    Every value is read as protobuf-c reads it: a varint of up to ten
    bytes, bits past the 64th dropped; a 32-bit number from the varint's
    low bits; a bool true when any of its varint's bytes has a bit set
    below the top one; a string copied with a NUL after it; empty bytes
    as NULL. Where protobuf-c would do more (merge a message given twice,
    take the last of two values, keep an unknown field, refuse the bytes)
    the decode stops, frees what it made and leaves the bytes to
    protobuf-c: see unpack.h.

    A message is consistent at every step, so that
    protobuf_c_message_free_unpacked() frees a half-made one: a value is
    stored when it is whole, an array when it is allocated, and its count
    grows with each element stored.                                      */

#include "unpack.h"

#include "pack.h"
#include "wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  Nesting deeper than this is left to protobuf-c; cibus's schemas nest
//  a few levels.
#define S_DEPTH_MAX 32
//  A message of more fields than this is left to protobuf-c (a bit each
//  notes the fields met).
#define S_FIELDS_MAX 256

typedef struct {
    const uint8_t *at;
    const uint8_t *end;
} s_in_t;

static void *
s_malloc (void *data, size_t size)
{
    (void)data;
    return malloc (size);
}

static void
s_free (void *data, void *block)
{
    (void)data;
    free (block);
}

static ProtobufCAllocator s_system = {s_malloc, s_free, NULL};

//  A decode: how it allocates, and what it saw of the strings.
typedef struct {
    ProtobufCAllocator *allocator;
    bool nul; /* a string held a NUL byte */
} s_unpack_t;

static inline void *
s_alloc (s_unpack_t *self, size_t size)
{
    return self->allocator->alloc (self->allocator->allocator_data, size);
}

static inline bool
s_varint (s_in_t *in, uint64_t *value)
{
    return wire_varint (&in->at, in->end, value);
}

//  A field's tag: protobuf-c reads at most five bytes of it.
static inline bool
s_tag (s_in_t *in, uint32_t *tag, unsigned *wire)
{
    const uint8_t *start = in->at;
    uint64_t value;
    if (!s_varint (in, &value) || in->at - start > 5)
        return false;
    *tag = (uint32_t)(value >> 3);
    *wire = (unsigned)(value & 7);
    return true;
}

//  A length and the room for it. protobuf-c reads at most five bytes of
//  a length; four (256 MiB) are plenty here, and a fifth is left to it.
static inline bool
s_length (s_in_t *in, size_t *length)
{
    const uint8_t *start = in->at;
    uint64_t value;
    if (!s_varint (in, &value) || in->at - start > 4 || value > (uint64_t)(in->end - in->at))
        return false;
    *length = (size_t)value;
    return true;
}

static bool
s_skip (s_in_t *in, unsigned wire)
{
    uint64_t value;
    size_t length;
    switch (wire) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        return s_varint (in, &value);
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        length = 8;
        break;
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        length = 4;
        break;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
        if (!s_length (in, &length))
            return false;
        break;
    default:
        return false;
    }
    if ((size_t)(in->end - in->at) < length)
        return false;
    in->at += length;
    return true;
}

static inline uint64_t
s_little (const uint8_t *at, int bytes)
{
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; i--)
        value = value << 8 | at [i];
    return value;
}

//  One number of `type` into member; the wire type is the type's.
static inline bool
s_scalar (s_in_t *in, ProtobufCType type, void *member)
{
    uint64_t value;
    uint32_t low;
    switch (type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        if (in->end - in->at < 4)
            return false;
        low = (uint32_t)s_little (in->at, 4);
        memcpy (member, &low, sizeof low);
        in->at += 4;
        return true;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (in->end - in->at < 8)
            return false;
        value = s_little (in->at, 8);
        memcpy (member, &value, sizeof value);
        in->at += 8;
        return true;
    case PROTOBUF_C_TYPE_BOOL: {
        const uint8_t *start = in->at;
        if (!s_varint (in, &value))
            return false;
        //  Any bit below a byte's top one, as protobuf-c reads a bool
        //  (a tenth byte's high bits are past the 64th of the value).
        protobuf_c_boolean truth = 0;
        for (const uint8_t *at = start; at < in->at; at++)
            truth |= (*at & 0x7f) != 0;
        memcpy (member, &truth, sizeof truth);
        return true;
    }
    default:
        break;
    }
    if (!s_varint (in, &value))
        return false;
    switch (type) {
    case PROTOBUF_C_TYPE_SINT32:
        low = (uint32_t)value;
        low = (low >> 1) ^ (0u - (low & 1));
        memcpy (member, &low, sizeof low);
        return true;
    case PROTOBUF_C_TYPE_SINT64:
        value = (value >> 1) ^ (0u - (value & 1));
        memcpy (member, &value, sizeof value);
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        memcpy (member, &value, sizeof value);
        return true;
    default: //  int32, uint32 and enum: the low 32 bits
        low = (uint32_t)value;
        memcpy (member, &low, sizeof low);
        return true;
    }
}

static ProtobufCMessage *s_message (const ProtobufCMessageDescriptor *descriptor,
                                    s_unpack_t *self, const uint8_t *data, size_t size,
                                    int depth);

//  One value of the field's type into member; the wire type is the
//  type's.
static bool
s_value (s_in_t *in, const ProtobufCFieldDescriptor *field, void *member,
         s_unpack_t *self, int depth)
{
    size_t length;
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING: {
        if (!s_length (in, &length))
            return false;
        char *text = s_alloc (self, length + 1);
        if (!text)
            return false;
        memcpy (text, in->at, length);
        text [length] = 0;
        if (!self->nul && memchr (text, 0, length))
            self->nul = true;
        memcpy (member, &text, sizeof text);
        in->at += length;
        return true;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!s_length (in, &length))
            return false;
        ProtobufCBinaryData bytes = {length, NULL};
        if (length) {
            if (!(bytes.data = s_alloc (self, length)))
                return false;
            memcpy (bytes.data, in->at, length);
        }
        memcpy (member, &bytes, sizeof bytes);
        in->at += length;
        return true;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (!s_length (in, &length))
            return false;
        ProtobufCMessage *inner = s_message (field->descriptor, self, in->at, length, depth + 1);
        if (!inner)
            return false;
        memcpy (member, &inner, sizeof inner);
        in->at += length;
        return true;
    }
    default:
        return s_scalar (in, field->type, member);
    }
}

//  A repeated field's array of `count`, stored in the message with no
//  element yet.
static uint8_t *
s_array (const ProtobufCFieldDescriptor *field, uint8_t *base, size_t count,
         s_unpack_t *self)
{
    uint8_t *array = s_alloc (self, count * pack_element_size (field->type));
    if (array)
        memcpy (base + field->offset, &array, sizeof array);
    return array;
}

static inline void
s_count_one (const ProtobufCFieldDescriptor *field, uint8_t *base)
{
    size_t count;
    memcpy (&count, base + field->quantifier_offset, sizeof count);
    count++;
    memcpy (base + field->quantifier_offset, &count, sizeof count);
}

//  A packed run of numbers, its length next.
static bool
s_packed (s_in_t *in, const ProtobufCFieldDescriptor *field, uint8_t *base,
          s_unpack_t *self)
{
    size_t length, count = 0;
    if (!s_length (in, &length))
        return false;
    s_in_t run = {in->at, in->at + length};
    in->at += length;
    //  What does not fill the run exactly is left at its end, below.
    switch (pack_wire_type (field->type)) {
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        count = length / 4;
        break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        count = length / 8;
        break;
    default:
        //  A varint ends at each byte without its top bit; a packed bool
        //  is one byte, 0 or 1, to protobuf-c.
        for (const uint8_t *at = run.at; at < run.end; at++) {
            if (field->type == PROTOBUF_C_TYPE_BOOL && *at > 1)
                return false;
            count += !(*at & 0x80);
        }
        break;
    }
    if (count == 0)
        return length == 0;
    size_t step = pack_element_size (field->type);
    uint8_t *array = s_array (field, base, count, self);
    if (!array)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (!s_scalar (&run, field->type, array + i * step))
            return false;
        s_count_one (field, base);
    }
    return run.at == run.end;
}

//  A run of a repeated field's elements, each under the tag just read:
//  counted first, then read into an array of its size.
static bool
s_run (s_in_t *in, const ProtobufCFieldDescriptor *field, uint8_t *base, uint32_t tag,
       unsigned wire, s_unpack_t *self, int depth)
{
    s_in_t ahead = *in;
    size_t count = 0;
    for (;;) {
        if (!s_skip (&ahead, wire))
            return false;
        count++;
        s_in_t next = ahead;
        uint32_t next_tag;
        unsigned next_wire;
        if (!s_tag (&next, &next_tag, &next_wire) || next_tag != tag || next_wire != wire)
            break;
        ahead = next;
    }
    size_t step = pack_element_size (field->type);
    uint8_t *array = s_array (field, base, count, self);
    if (!array)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            (void)s_tag (in, &tag, &wire); //  read once ahead already
        if (!s_value (in, field, array + i * step, self, depth))
            return false;
        s_count_one (field, base);
    }
    return true;
}

//  The index of the field numbered `tag`, or -1: the field after the last
//  one found first, then the descriptor's ranges, as protobuf-c looks.
static inline int
s_field_of (const ProtobufCMessageDescriptor *descriptor, uint32_t tag, unsigned *next)
{
    unsigned index = *next;
    if (index >= descriptor->n_fields || descriptor->fields [index].id != tag) {
        const ProtobufCIntRange *ranges = descriptor->field_ranges;
        unsigned r = 0;
        for (; r < descriptor->n_field_ranges; r++) {
            uint32_t start = (uint32_t)ranges [r].start_value;
            if (tag >= start && tag - start < ranges [r + 1].orig_index - ranges [r].orig_index)
                break;
        }
        if (r == descriptor->n_field_ranges)
            return -1;
        index = ranges [r].orig_index + (tag - (uint32_t)ranges [r].start_value);
    }
    *next = index + 1;
    return (int)index;
}

//  How many required fields without a default a type has, which every
//  message of it must give: counted once for each type, and kept in a
//  small table of each thread's (a type that shares its slot with
//  another is counted again, and is still right).
#define S_REQUIRED_SLOTS 64 /* the hash's top 6 bits */

typedef struct {
    const ProtobufCMessageDescriptor *descriptor;
    unsigned count;
} s_required_t;

static _Thread_local s_required_t s_required_slots [S_REQUIRED_SLOTS];

static unsigned
s_required (const ProtobufCMessageDescriptor *descriptor)
{
    //  Descriptors lie a multiple of 8 bytes apart: Fibonacci hashing
    //  spreads them over the slots.
    uint64_t hash = (uint64_t)(uintptr_t)descriptor * 0x9E3779B97F4A7C15ull;
    s_required_t *slot = &s_required_slots [hash >> 58];
    if (slot->descriptor != descriptor) {
        slot->count = 0;
        for (unsigned i = 0; i < descriptor->n_fields; i++)
            slot->count += descriptor->fields [i].label == PROTOBUF_C_LABEL_REQUIRED
                           && !descriptor->fields [i].default_value;
        slot->descriptor = descriptor;
    }
    return slot->count;
}

static inline bool
s_packable (ProtobufCType type)
{
    return type != PROTOBUF_C_TYPE_STRING && type != PROTOBUF_C_TYPE_BYTES
           && type != PROTOBUF_C_TYPE_MESSAGE;
}

static ProtobufCMessage *
s_message (const ProtobufCMessageDescriptor *descriptor, s_unpack_t *self,
           const uint8_t *data, size_t size, int depth)
{
    if (depth > S_DEPTH_MAX || descriptor->n_fields > S_FIELDS_MAX || !descriptor->message_init)
        return NULL;
    ProtobufCMessage *msg = s_alloc (self, descriptor->sizeof_message);
    if (!msg)
        return NULL;
    descriptor->message_init (msg);
    uint8_t *base = (uint8_t *)msg;
    uint64_t met [S_FIELDS_MAX / 64] = {0};
    s_in_t in = {data, size ? data + size : data}; //  (NULL + 0 is undefined)
    unsigned next = 0, required = 0;
    while (in.at < in.end) {
        uint32_t tag;
        unsigned wire;
        if (!s_tag (&in, &tag, &wire))
            goto undecided;
        int index = s_field_of (descriptor, tag, &next);
        if (index < 0)
            goto undecided;
        const ProtobufCFieldDescriptor *field = &descriptor->fields [index];
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            //  One run each: a second is protobuf-c's to join.
            size_t count;
            memcpy (&count, base + field->quantifier_offset, sizeof count);
            if (count)
                goto undecided;
            bool read = wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED && s_packable (field->type)
                            ? s_packed (&in, field, base, self)
                            : wire == pack_wire_type (field->type)
                                  && s_run (&in, field, base, tag, wire, self, depth);
            if (!read)
                goto undecided;
            continue;
        }
        uint64_t bit = (uint64_t)1 << (index % 64);
        if (field->label == PROTOBUF_C_LABEL_NONE || wire != pack_wire_type (field->type)
            || (met [index / 64] & bit))
            goto undecided;
        met [index / 64] |= bit;
        required += field->label == PROTOBUF_C_LABEL_REQUIRED && !field->default_value;
        bool oneof = (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        if (oneof) {
            uint32_t which;
            memcpy (&which, base + field->quantifier_offset, sizeof which);
            if (which)
                goto undecided; //  a second member: protobuf-c takes the last
        }
        //  A number is read here, the rest in a call.
        void *member = base + field->offset;
        if (!(wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
                  ? s_value (&in, field, member, self, depth)
                  : s_scalar (&in, field->type, member)))
            goto undecided;
        if (oneof)
            memcpy (base + field->quantifier_offset, &field->id, sizeof field->id);
        else if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset) {
            protobuf_c_boolean has = 1;
            memcpy (base + field->quantifier_offset, &has, sizeof has);
        }
    }
    if (required != s_required (descriptor))
        goto undecided; //  protobuf-c refuses a message without one
    return msg;

undecided:
    protobuf_c_message_free_unpacked (msg, self->allocator);
    return NULL;
}

ProtobufCMessage *
unpack_message (const ProtobufCMessageDescriptor *descriptor, ProtobufCAllocator *allocator,
                size_t size, const uint8_t *data, bool *nul)
{
    s_unpack_t self = {allocator ? allocator : &s_system, false};
    ProtobufCMessage *msg = s_message (descriptor, &self, data, size, 0);
    if (msg && nul)
        *nul = self.nul;
    return msg;
}
