/*  pack.c - a protobuf-c message encoded in one pass (pack.h).

    The walk is protobuf_c_message_pack's, backwards: the unknown fields
    from the last, then the descriptor's fields from the last (protoc-c
    lists them by number), each repeated field's elements from the last,
    each value before its tag. What protobuf-c leaves out is left out:
    an optional string or message that is NULL or the field's default
    value, any other optional field whose has_ flag is false, a oneof
    member that is not its case, an empty repeated field.

    Each message type is walked by its plan: its fields' offsets, what
    says whether each is written, and its tag's bytes, worked out from
    the descriptor once and kept (in a table read without a lock once a
    plan is in it), so that a field's walk is a load, a test and the
    value. A plan is made again for each message, and freed after it,
    only when the table is full, which cibus's few dozen types never
    fill, or while a test asks for it (pack_plans_keep).                 */

#include "pack.h"

#include <pthread.h>
#include <stdatomic.h>
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

//  A value's most bytes besides a string's or a message's own, and its
//  tag's (s_tag writes 8): the room one field asks for at once.
#define S_VARINT_MOST 10
#define S_TAIL        (S_VARINT_MOST + 8)

//  The writers below are given the room they write in.
static inline void
s_put_bytes (s_out_t *out, const void *data, size_t size)
{
    out->at -= size;
    if (size)
        memcpy (out->base + out->at, data, size);
}

static inline void
s_put_varint (s_out_t *out, uint64_t value)
{
    if (value < 0x80) {
        out->base [--out->at] = (uint8_t)value;
        return;
    }
    size_t length = (size_t)(63 - __builtin_clzll (value)) / 7 + 1;
    out->at -= length;
    uint8_t *at = out->base + out->at;
    for (size_t i = 0; i + 1 < length; i++, value >>= 7)
        at [i] = (uint8_t)(value | 0x80);
    at [length - 1] = (uint8_t)value;
}

static inline void
s_put_fixed32 (s_out_t *out, uint32_t value)
{
    out->at -= 4;
    uint8_t *at = out->base + out->at;
    at [0] = (uint8_t)value;
    at [1] = (uint8_t)(value >> 8);
    at [2] = (uint8_t)(value >> 16);
    at [3] = (uint8_t)(value >> 24);
}

static inline void
s_put_fixed64 (s_out_t *out, uint64_t value)
{
    s_put_fixed32 (out, (uint32_t)(value >> 32));
    s_put_fixed32 (out, (uint32_t)value);
}

static void s_message (s_out_t *out, const ProtobufCMessage *msg);

//  One value, without its tag, and room for the tag after it (false when
//  memory ran out); a string or message that is NULL is written empty,
//  as protobuf-c writes it.
//  Inlined into both callers: a call a value costs as much as the value.
__attribute__ ((always_inline)) static inline bool
s_value (s_out_t *out, ProtobufCType type, const void *member)
{
    switch (type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *text = *(const char *const *)member;
        size_t length = text ? strlen (text) : 0;
        if (!s_room (out, length + S_TAIL))
            return false;
        s_put_bytes (out, text, length);
        s_put_varint (out, length);
        return true;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bytes = member;
        if (!s_room (out, bytes->len + S_TAIL))
            return false;
        s_put_bytes (out, bytes->data, bytes->len);
        s_put_varint (out, bytes->len);
        return true;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        //  The message, then its length.
        const ProtobufCMessage *msg = *(const ProtobufCMessage *const *)member;
        size_t after = s_written (out);
        if (msg)
            s_message (out, msg);
        if (!s_room (out, S_TAIL))
            return false;
        s_put_varint (out, s_written (out) - after);
        return true;
    }
    default:
        break;
    }
    if (!s_room (out, S_TAIL))
        return false;
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t value;
        memcpy (&value, member, sizeof value);
        s_put_varint (out, (uint64_t)(int64_t)value);
        break;
    }
    case PROTOBUF_C_TYPE_SINT32: {
        int32_t value;
        memcpy (&value, member, sizeof value);
        s_put_varint (out, ((uint32_t)value << 1) ^ (uint32_t)-(int32_t)((uint32_t)value >> 31));
        break;
    }
    case PROTOBUF_C_TYPE_UINT32: {
        uint32_t value;
        memcpy (&value, member, sizeof value);
        s_put_varint (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SINT64: {
        int64_t value;
        memcpy (&value, member, sizeof value);
        s_put_varint (out, ((uint64_t)value << 1) ^ (uint64_t)-(int64_t)((uint64_t)value >> 63));
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64: {
        uint64_t value;
        memcpy (&value, member, sizeof value);
        s_put_varint (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT: {
        uint32_t value;
        memcpy (&value, member, sizeof value);
        s_put_fixed32 (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: {
        uint64_t value;
        memcpy (&value, member, sizeof value);
        s_put_fixed64 (out, value);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean value;
        memcpy (&value, member, sizeof value);
        out->base [--out->at] = value ? 1 : 0;
        break;
    }
    default:
        break;
    }
    return true;
}

//  ---------------------------------------------------------------- plans

//  What decides whether a field is written.
typedef enum {
    S_REQUIRED,      /* always */
    S_HAS,           /* its has_ flag */
    S_POINTER,       /* an optional string or message: not NULL nor the default */
    S_ONEOF,         /* its oneof's case is this field */
    S_ONEOF_POINTER, /* both of the above */
    S_REPEATED,      /* each element, with its tag */
    S_PACKED,        /* the elements in one length-prefixed run */
    S_UNLABELLED     /* proto3's: not packed here (PACK_UNLABELLED) */
} s_kind_t;

//  One field of a plan. The tag's bytes are at the end of `tag`, so that
//  writing its 8 bytes before what is written leaves the tag there.
typedef struct {
    uint32_t offset;
    uint32_t quantifier_offset;
    uint32_t id;
    uint8_t kind;
    uint8_t type;
    uint8_t tag_size;
    uint8_t tag [8];
    const void *default_value;
} s_step_t;

typedef struct {
    size_t count;
    s_step_t steps [];
} s_plan_t;

static s_plan_t *
s_plan_make (const ProtobufCMessageDescriptor *descriptor)
{
    s_plan_t *plan = malloc (sizeof *plan + descriptor->n_fields * sizeof (s_step_t));
    if (!plan)
        return NULL;
    plan->count = descriptor->n_fields;
    for (size_t i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        s_step_t *step = &plan->steps [i];
        bool pointer =
            field->type == PROTOBUF_C_TYPE_MESSAGE || field->type == PROTOBUF_C_TYPE_STRING;
        bool oneof = (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        bool packed = (field->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != 0;
        switch (field->label) {
        case PROTOBUF_C_LABEL_REQUIRED:
            step->kind = S_REQUIRED;
            break;
        case PROTOBUF_C_LABEL_OPTIONAL:
            step->kind = oneof     ? (pointer ? S_ONEOF_POINTER : S_ONEOF)
                         : pointer ? S_POINTER
                                   : S_HAS;
            break;
        case PROTOBUF_C_LABEL_REPEATED:
            step->kind = packed ? S_PACKED : S_REPEATED;
            break;
        case PROTOBUF_C_LABEL_NONE:
        default:
            step->kind = S_UNLABELLED;
            break;
        }
        step->offset = field->offset;
        step->quantifier_offset = field->quantifier_offset;
        step->id = field->id;
        step->type = (uint8_t)field->type;
        step->default_value = field->default_value;
        ProtobufCWireType wire = step->kind == S_PACKED ? PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
                                                        : pack_wire_type (field->type);
        uint8_t tag [8];
        uint8_t size = 0;
        uint64_t value = (uint64_t)field->id << 3 | (uint64_t)wire;
        for (; value >= 0x80; value >>= 7)
            tag [size++] = (uint8_t)(value | 0x80);
        tag [size++] = (uint8_t)value;
        memset (step->tag, 0, sizeof step->tag);
        memcpy (step->tag + sizeof step->tag - size, tag, size);
        step->tag_size = size;
    }
    return plan;
}

//  The plans kept, by descriptor: open addressing, a slot's descriptor
//  stored (release) after its plan, so that a reader that finds it
//  (acquire) finds the plan whole. Slots are only ever filled.
#define S_PLAN_SLOTS 256
#define S_PLANS_MOST (S_PLAN_SLOTS * 3 / 4)

static _Atomic (const ProtobufCMessageDescriptor *) s_plan_keys [S_PLAN_SLOTS];
static const s_plan_t *s_plan_values [S_PLAN_SLOTS];
static size_t s_plans_kept;
static pthread_mutex_t s_plans_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool s_plans_unkept; /* pack_plans_keep (false) */

static inline size_t
s_plan_slot (const ProtobufCMessageDescriptor *descriptor)
{
    //  Descriptors lie a multiple of 8 bytes apart: Fibonacci hashing
    //  spreads them over the slots.
    return (size_t)(((uint64_t)(uintptr_t)descriptor * 0x9E3779B97F4A7C15ull) >> 56);
}

//  The kept plan of this type, or NULL when it has none yet.
static inline const s_plan_t *
s_plan_kept (const ProtobufCMessageDescriptor *descriptor)
{
    for (size_t i = 0, slot = s_plan_slot (descriptor); i < S_PLAN_SLOTS;
         i++, slot = (slot + 1) % S_PLAN_SLOTS) {
        const ProtobufCMessageDescriptor *key =
            atomic_load_explicit (&s_plan_keys [slot], memory_order_acquire);
        if (key == descriptor)
            return s_plan_values [slot];
        if (!key)
            break;
    }
    return NULL;
}

//  The plan of this type: kept, or made and kept, or (the table full, or
//  a test asking) made for the caller, who frees it (*owned). NULL when
//  memory ran out.
static const s_plan_t *
s_plan (const ProtobufCMessageDescriptor *descriptor, bool *owned)
{
    *owned = false;
    bool keep = !atomic_load_explicit (&s_plans_unkept, memory_order_relaxed);
    const s_plan_t *plan = keep ? s_plan_kept (descriptor) : NULL;
    if (plan)
        return plan;
    pthread_mutex_lock (&s_plans_lock);
    plan = keep ? s_plan_kept (descriptor) : NULL; //  another thread's, meanwhile
    if (!plan) {
        s_plan_t *made = s_plan_make (descriptor);
        if (made && keep && s_plans_kept < S_PLANS_MOST) {
            size_t slot = s_plan_slot (descriptor);
            while (atomic_load_explicit (&s_plan_keys [slot], memory_order_relaxed))
                slot = (slot + 1) % S_PLAN_SLOTS;
            s_plan_values [slot] = made;
            atomic_store_explicit (&s_plan_keys [slot], descriptor, memory_order_release);
            s_plans_kept++;
        } else
            *owned = made != NULL;
        plan = made;
    }
    pthread_mutex_unlock (&s_plans_lock);
    return plan;
}

void
pack_plans_keep (bool keep)
{
    atomic_store_explicit (&s_plans_unkept, !keep, memory_order_relaxed);
}

//  ---------------------------------------------------------------- the walk

//  A field's tag, in the room s_value left for it.
static inline void
s_put_tag (s_out_t *out, const s_step_t *step)
{
    memcpy (out->base + out->at - sizeof step->tag, step->tag, sizeof step->tag);
    out->at -= step->tag_size;
}

static void
s_repeated (s_out_t *out, const s_step_t *step, size_t count, const void *member)
{
    if (count == 0)
        return;
    ProtobufCType type = (ProtobufCType)step->type;
    const uint8_t *array = *(const uint8_t *const *)member;
    size_t size = pack_element_size (type);
    if (step->kind == S_PACKED) {
        size_t after = s_written (out);
        for (size_t i = count; i-- > 0;)
            if (!s_value (out, type, array + i * size))
                return;
        if (!s_room (out, S_TAIL))
            return;
        s_put_varint (out, s_written (out) - after);
        s_put_tag (out, step);
        return;
    }
    for (size_t i = count; i-- > 0;)
        if (s_value (out, type, array + i * size))
            s_put_tag (out, step);
        else
            return;
}

static void
s_message (s_out_t *out, const ProtobufCMessage *msg)
{
    for (size_t i = msg->n_unknown_fields; i-- > 0;) {
        const ProtobufCMessageUnknownField *unknown = &msg->unknown_fields [i];
        if (!s_room (out, unknown->len + 2 * S_VARINT_MOST))
            return;
        s_put_bytes (out, unknown->data, unknown->len);
        s_put_varint (out, (uint64_t)unknown->tag << 3 | (uint64_t)unknown->wire_type);
    }
    bool owned;
    const s_plan_t *plan = s_plan (msg->descriptor, &owned);
    if (!plan) {
        if (out->result == PACK_OK)
            out->result = PACK_NOMEM;
        return;
    }
    const uint8_t *base = (const uint8_t *)msg;
    for (size_t i = plan->count; i-- > 0;) {
        const s_step_t *step = &plan->steps [i];
        const void *member = base + step->offset;
        const void *quantifier = base + step->quantifier_offset;
        switch ((s_kind_t)step->kind) {
        case S_REQUIRED:
            break;
        case S_HAS:
            if (!*(const protobuf_c_boolean *)quantifier)
                continue;
            break;
        case S_ONEOF_POINTER:
            if (*(const uint32_t *)quantifier != step->id)
                continue;
            /* fall through */
        case S_POINTER: {
            const void *pointer = *(const void *const *)member;
            if (!pointer || pointer == step->default_value)
                continue;
            break;
        }
        case S_ONEOF:
            if (*(const uint32_t *)quantifier != step->id)
                continue;
            break;
        case S_REPEATED:
        case S_PACKED:
            s_repeated (out, step, *(const size_t *)quantifier, member);
            continue;
        case S_UNLABELLED:
        default:
            if (out->result == PACK_OK)
                out->result = PACK_UNLABELLED;
            goto done; //  nothing more of it is written
        }
        if (!s_value (out, (ProtobufCType)step->type, member))
            goto done;
        s_put_tag (out, step);
    }
done:
    if (owned)
        free ((void *)plan);
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
