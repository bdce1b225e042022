/*  test_pack.c - the one-pass encoder writes protobuf-c's bytes, and the
    one-pass decoder makes protobuf-c's messages of them.

    Messages of every type cibus encodes (every message reachable from a
    Request, a Reply, an Envelope and a table's stored cells) are filled
    at random from their descriptors: each field present or not, a oneof
    on any member or none, a string or message left NULL or pointing at
    the field's default, repeated fields of 0 to 4 elements, negative
    numbers, long strings and bytes, unknown fields of every wire type.
    Each is encoded by codec_pack_message (pack.c) and by protobuf-c's own
    two walks, and the bytes must be the same. The bytes are decoded by
    unpack_message (unpack.c) and by protobuf-c, and the messages must be
    the same field for field; so must they be for the same bytes changed
    at random (a byte, a cut, a byte more, the message twice), which
    unpack_message may leave to protobuf-c but never decode otherwise.  */

#include "arena.h"
#include "cells.pb-c.h"
#include "codec.h"
#include "message_same.h"
#include "pack.h"
#include "unpack.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

//  Messages filled for each type; nesting stops at S_DEPTH.
#define S_MESSAGES 400
#define S_DEPTH    4

typedef struct {
    uint64_t state; /* xorshift64 */
    arena_t *arena;
    bool known_only; /* no unknown fields */
    size_t unknowns; /* unknown fields made */
} s_gen_t;

static uint64_t
s_next (s_gen_t *gen)
{
    gen->state ^= gen->state << 13;
    gen->state ^= gen->state >> 7;
    gen->state ^= gen->state << 17;
    return gen->state;
}

static unsigned
s_below (s_gen_t *gen, unsigned n)
{
    return (unsigned)(s_next (gen) % n);
}

static void *
s_alloc (s_gen_t *gen, size_t size)
{
    void *block = arena_alloc (gen->arena, size ? size : 1);
    assert_non_null (block);
    return block;
}

//  A number of every size: small, near a varint's byte boundaries, the
//  extremes, negative when the type is signed.
static uint64_t
s_number (s_gen_t *gen)
{
    switch (s_below (gen, 6)) {
    case 0:
        return s_below (gen, 128);
    case 1:
        return (uint64_t)1 << s_below (gen, 64);
    case 2:
        return ((uint64_t)1 << s_below (gen, 64)) - 1;
    case 3:
        return (uint64_t)-(int64_t)s_below (gen, 1000);
    case 4:
        return UINT64_MAX;
    default:
        return s_next (gen);
    }
}

//  Text of 0 to 199 bytes, or now and then of 20,000 (a length of three
//  varint bytes, and a buffer grown mid-message).
static char *
s_text (s_gen_t *gen)
{
    size_t length = s_below (gen, 20) == 0 ? 20000 : s_below (gen, 200);
    char *text = s_alloc (gen, length + 1);
    for (size_t i = 0; i < length; i++)
        text [i] = (char)('a' + s_below (gen, 26));
    text [length] = 0;
    return text;
}

static void s_fill (s_gen_t *gen, ProtobufCMessage *msg, int depth);

static ProtobufCMessage *
s_message (s_gen_t *gen, const ProtobufCMessageDescriptor *descriptor, int depth)
{
    ProtobufCMessage *msg = s_alloc (gen, descriptor->sizeof_message);
    descriptor->message_init (msg);
    s_fill (gen, msg, depth + 1);
    return msg;
}

//  One value of the field's type at `member`. Only an optional string or
//  message may be NULL: protobuf-c sizes no other NULL.
static void
s_value (s_gen_t *gen, const ProtobufCFieldDescriptor *field, void *member, int depth)
{
    bool may_be_null = field->label == PROTOBUF_C_LABEL_OPTIONAL;
    uint64_t number = s_number (gen);
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM: {
        uint32_t value = (uint32_t)number;
        memcpy (member, &value, sizeof value);
        break;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float value = (float)(int64_t)number / 7.0f;
        memcpy (member, &value, sizeof value);
        break;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double value = (double)(int64_t)number / 7.0;
        memcpy (member, &value, sizeof value);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        //  Any value true in C: protobuf-c writes it as 1.
        protobuf_c_boolean value = (protobuf_c_boolean)s_below (gen, 4);
        memcpy (member, &value, sizeof value);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        unsigned pick = may_be_null ? s_below (gen, 8) : 7;
        char *text = pick == 0 ? NULL : pick == 1 ? (char *)field->default_value : s_text (gen);
        memcpy (member, &text, sizeof text);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bytes = member;
        bytes->len = s_below (gen, 10) == 0 ? 0 : s_below (gen, 300);
        bytes->data = s_alloc (gen, bytes->len);
        for (size_t i = 0; i < bytes->len; i++)
            bytes->data [i] = (uint8_t)s_next (gen);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub = !may_be_null || (depth < S_DEPTH && s_below (gen, 6) != 0)
                                    ? s_message (gen, field->descriptor, depth)
                                    : NULL;
        memcpy (member, &sub, sizeof sub);
        break;
    }
    default:
        memcpy (member, &number, sizeof number);
        break;
    }
}

//  Unknown fields of every wire type, their bytes whatever they are:
//  protobuf-c writes them back as they came, after the known ones.
static void
s_unknown (s_gen_t *gen, ProtobufCMessage *msg)
{
    static const ProtobufCWireType wires [] = {
        PROTOBUF_C_WIRE_TYPE_VARINT, PROTOBUF_C_WIRE_TYPE_64BIT,
        PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, PROTOBUF_C_WIRE_TYPE_32BIT};
    msg->n_unknown_fields = !gen->known_only && s_below (gen, 4) == 0 ? 1 + s_below (gen, 3) : 0;
    gen->unknowns += msg->n_unknown_fields;
    msg->unknown_fields = s_alloc (gen, msg->n_unknown_fields * sizeof *msg->unknown_fields);
    for (size_t i = 0; i < msg->n_unknown_fields; i++) {
        ProtobufCMessageUnknownField *unknown = &msg->unknown_fields [i];
        unknown->tag = s_below (gen, 2) ? 100 + s_below (gen, 100) : (1u << 29) - 1 + s_below (gen, 3);
        unknown->wire_type = wires [s_below (gen, 4)];
        unknown->len = 1 + s_below (gen, 12);
        unknown->data = s_alloc (gen, unknown->len);
        for (size_t b = 0; b < unknown->len; b++)
            unknown->data [b] = (uint8_t)s_next (gen);
    }
}

static void
s_fill (s_gen_t *gen, ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *descriptor = msg->descriptor;
    uint8_t *base = (uint8_t *)msg;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        void *member = base + field->offset;
        void *quantifier = base + field->quantifier_offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = field->type != PROTOBUF_C_TYPE_MESSAGE || depth < S_DEPTH ? s_below (gen, 5) : 0;
            size_t step = pack_element_size (field->type);
            uint8_t *array = s_alloc (gen, count * step);
            for (size_t e = 0; e < count; e++)
                s_value (gen, field, array + e * step, depth);
            memcpy (quantifier, &count, sizeof count);
            memcpy (member, &array, sizeof array);
        } else if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            //  The members of a oneof follow one another and share their
            //  case: the first of them picks one, or none, or a case no
            //  member has.
            if (i > 0 && (descriptor->fields [i - 1].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                && descriptor->fields [i - 1].quantifier_offset == field->quantifier_offset)
                continue;
            unsigned members = 0;
            while (i + members < descriptor->n_fields
                   && descriptor->fields [i + members].quantifier_offset == field->quantifier_offset)
                members++;
            unsigned pick = s_below (gen, members + 2);
            uint32_t which = pick < members ? descriptor->fields [i + pick].id : pick == members ? 0 : 9999;
            memcpy (quantifier, &which, sizeof which);
            if (pick < members)
                s_value (gen, &descriptor->fields [i + pick], base + descriptor->fields [i + pick].offset,
                         depth);
        } else {
            s_value (gen, field, member, depth);
            if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->type != PROTOBUF_C_TYPE_STRING
                && field->type != PROTOBUF_C_TYPE_MESSAGE) {
                protobuf_c_boolean has = (protobuf_c_boolean)s_below (gen, 2);
                memcpy (quantifier, &has, sizeof has);
            }
        }
    }
    s_unknown (gen, msg);
}

//  protobuf-c's bytes of msg, malloc'd (a byte more, so that none is
//  an allocation of 0).
static uint8_t *
s_packed (const ProtobufCMessage *msg, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (msg);
    uint8_t *data = malloc (*size + 1);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (msg, data), *size);
    return data;
}

//  Encode msg both ways into `buf` (which keeps what an earlier encoding
//  left) and compare.
static void
s_same_bytes (const ProtobufCMessage *msg, codec_buf_t *buf)
{
    size_t size;
    uint8_t *theirs = s_packed (msg, &size);
    assert_int_equal (codec_pack_message (msg, buf), CIBUS_OK);
    assert_int_equal (buf->size, size);
    if (size)
        assert_memory_equal (buf->data, theirs, size);
    free (theirs);
}

//  ------------------------------------------ every type, every label

//  cibus's schemas use some of protobuf's types and no packed field; a
//  hand-made message has the rest: each scalar type optional, repeated and
//  packed, a string with a default, bytes, itself nested, and a oneof.
#define S_SCALAR(name, ctype)                                                                      \
    protobuf_c_boolean has_##name;                                                                 \
    ctype name;                                                                                    \
    size_t n_r##name;                                                                              \
    ctype *r##name;                                                                                \
    size_t n_p##name;                                                                              \
    ctype *p##name;

typedef struct s_every_t s_every_t;
struct s_every_t {
    ProtobufCMessage base;
    S_SCALAR (i32, int32_t)
    S_SCALAR (s32, int32_t)
    S_SCALAR (sf32, int32_t)
    S_SCALAR (i64, int64_t)
    S_SCALAR (s64, int64_t)
    S_SCALAR (sf64, int64_t)
    S_SCALAR (u32, uint32_t)
    S_SCALAR (f32, uint32_t)
    S_SCALAR (u64, uint64_t)
    S_SCALAR (f64, uint64_t)
    S_SCALAR (fl, float)
    S_SCALAR (db, double)
    S_SCALAR (bo, protobuf_c_boolean)
    S_SCALAR (en, int)
    char *text;
    size_t n_texts;
    char **texts;
    protobuf_c_boolean has_blob;
    ProtobufCBinaryData blob;
    size_t n_blobs;
    ProtobufCBinaryData *blobs;
    s_every_t *inner;
    size_t n_inners;
    s_every_t **inners;
    uint32_t choice_case;
    union {
        uint32_t number;
        char *word;
    };
};

static const char s_text_default [] = "default";
static const ProtobufCMessageDescriptor s_every_descriptor;

#define S_FIELDS(name, id, type)                                                                   \
    {#name, id, PROTOBUF_C_LABEL_OPTIONAL, type, offsetof (s_every_t, has_##name),                 \
     offsetof (s_every_t, name), NULL, NULL, 0, 0, NULL, NULL},                                    \
    {"r" #name, id + 1, PROTOBUF_C_LABEL_REPEATED, type, offsetof (s_every_t, n_r##name),          \
     offsetof (s_every_t, r##name), NULL, NULL, 0, 0, NULL, NULL},                                 \
    {"p" #name, id + 2, PROTOBUF_C_LABEL_REPEATED, type, offsetof (s_every_t, n_p##name),          \
     offsetof (s_every_t, p##name), NULL, NULL, PROTOBUF_C_FIELD_FLAG_PACKED, 0, NULL, NULL},

static const ProtobufCFieldDescriptor s_every_fields [] = {
    S_FIELDS (i32, 1, PROTOBUF_C_TYPE_INT32)
    S_FIELDS (s32, 4, PROTOBUF_C_TYPE_SINT32)
    S_FIELDS (sf32, 7, PROTOBUF_C_TYPE_SFIXED32)
    S_FIELDS (i64, 10, PROTOBUF_C_TYPE_INT64)
    S_FIELDS (s64, 13, PROTOBUF_C_TYPE_SINT64)
    S_FIELDS (sf64, 16, PROTOBUF_C_TYPE_SFIXED64)
    S_FIELDS (u32, 19, PROTOBUF_C_TYPE_UINT32)
    S_FIELDS (f32, 22, PROTOBUF_C_TYPE_FIXED32)
    S_FIELDS (u64, 25, PROTOBUF_C_TYPE_UINT64)
    S_FIELDS (f64, 28, PROTOBUF_C_TYPE_FIXED64)
    S_FIELDS (fl, 31, PROTOBUF_C_TYPE_FLOAT)
    S_FIELDS (db, 34, PROTOBUF_C_TYPE_DOUBLE)
    S_FIELDS (bo, 37, PROTOBUF_C_TYPE_BOOL)
    S_FIELDS (en, 40, PROTOBUF_C_TYPE_ENUM)
    {"text", 43, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0, offsetof (s_every_t, text),
     NULL, s_text_default, 0, 0, NULL, NULL},
    {"texts", 44, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_STRING, offsetof (s_every_t, n_texts),
     offsetof (s_every_t, texts), NULL, NULL, 0, 0, NULL, NULL},
    {"blob", 45, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_BYTES, offsetof (s_every_t, has_blob),
     offsetof (s_every_t, blob), NULL, NULL, 0, 0, NULL, NULL},
    {"blobs", 46, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_BYTES, offsetof (s_every_t, n_blobs),
     offsetof (s_every_t, blobs), NULL, NULL, 0, 0, NULL, NULL},
    {"inner", 47, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, 0, offsetof (s_every_t, inner),
     &s_every_descriptor, NULL, 0, 0, NULL, NULL},
    {"inners", 48, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE, offsetof (s_every_t, n_inners),
     offsetof (s_every_t, inners), &s_every_descriptor, NULL, 0, 0, NULL, NULL},
    {"number", 49, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_UINT32, offsetof (s_every_t, choice_case),
     offsetof (s_every_t, number), NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL},
    {"word", 50, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, offsetof (s_every_t, choice_case),
     offsetof (s_every_t, word), NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL},
};

static void
s_every_init (ProtobufCMessage *msg)
{
    s_every_t *every = (s_every_t *)msg;
    memset (every, 0, sizeof *every);
    every->base.descriptor = &s_every_descriptor;
    every->text = (char *)s_text_default;
}

//  Numbers 1 to 50, fields 0 to 49: how protobuf-c finds a field.
#define S_EVERY_FIELDS (sizeof s_every_fields / sizeof s_every_fields [0])
static const ProtobufCIntRange s_every_ranges [] = {{1, 0}, {0, S_EVERY_FIELDS}};

static const ProtobufCMessageDescriptor s_every_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "t.Every",
    "Every",
    "Every",
    "t",
    sizeof (s_every_t),
    S_EVERY_FIELDS,
    s_every_fields,
    NULL,
    1,
    s_every_ranges,
    s_every_init,
    NULL,
    NULL,
    NULL};

//  Every message type reachable from `descriptor`, each once.
static void
s_types (const ProtobufCMessageDescriptor *descriptor, const ProtobufCMessageDescriptor **types,
         size_t *count, size_t max)
{
    for (size_t i = 0; i < *count; i++)
        if (types [i] == descriptor)
            return;
    assert_true (*count < max);
    types [(*count)++] = descriptor;
    for (unsigned i = 0; i < descriptor->n_fields; i++)
        if (descriptor->fields [i].type == PROTOBUF_C_TYPE_MESSAGE)
            s_types (descriptor->fields [i].descriptor, types, count, max);
}

#define S_TYPES_MAX 128

//  Every type cibus encodes and decodes, and the hand-made one.
static size_t
s_all_types (const ProtobufCMessageDescriptor **types)
{
    size_t count = 0;
    s_types (&cibus__request__descriptor, types, &count, S_TYPES_MAX);
    s_types (&cibus__reply__descriptor, types, &count, S_TYPES_MAX);
    s_types (&cibus__envelope__descriptor, types, &count, S_TYPES_MAX);
    s_types (&cibus_store__stored_cells__descriptor, types, &count, S_TYPES_MAX);
    s_types (&s_every_descriptor, types, &count, S_TYPES_MAX);
    return count;
}

static void
test_pack_writes_protobuf_c_s_bytes_for_every_message_type (void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    //  Every kind of field the schemas have is exercised.
    bool oneof = false, required = false, nested = false;
    for (size_t t = 0; t < count; t++)
        for (unsigned i = 0; i < types [t]->n_fields; i++) {
            oneof |= (types [t]->fields [i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
            required |= types [t]->fields [i].label == PROTOBUF_C_LABEL_REQUIRED;
            nested |= types [t]->fields [i].type == PROTOBUF_C_TYPE_MESSAGE;
        }
    assert_true (oneof && required && nested && count > 20);

    s_gen_t gen = {0x9E3779B97F4A7C15ull, NULL, false, 0};
    codec_buf_t fresh = {0}, reused = {0};
    for (size_t t = 0; t < count; t++)
        for (int m = 0; m < S_MESSAGES; m++) {
            gen.arena = arena_new ();
            assert_non_null (gen.arena);
            ProtobufCMessage *msg = s_message (&gen, types [t], 0);
            //  From no buffer, and into one holding the last message.
            s_same_bytes (msg, &fresh);
            codec_buf_release (&fresh);
            s_same_bytes (msg, &reused);
            arena_destroy (&gen.arena);
        }
    codec_buf_release (&reused);
}

//  The same with plans made for each message and freed after it, as they
//  are once the table of kept plans is full.
static void
test_pack_writes_the_same_bytes_with_plans_not_kept (void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    pack_plans_keep (false);
    s_gen_t gen = {0x2545F4914F6CDD1Dull, NULL, false, 0};
    codec_buf_t buf = {0};
    for (size_t t = 0; t < count; t++)
        for (int m = 0; m < S_MESSAGES / 8; m++) {
            gen.arena = arena_new ();
            assert_non_null (gen.arena);
            s_same_bytes (s_message (&gen, types [t], 0), &buf);
            arena_destroy (&gen.arena);
        }
    pack_plans_keep (true);
    codec_buf_release (&buf);
}

//  Threads that encode at once, each type's plan made by whichever comes
//  first: every thread writes protobuf-c's bytes (and the sanitizers
//  watch the table shared between them).
#define S_THREADS 4

typedef struct {
    uint64_t seed;
    size_t wrong; /* messages whose bytes were not protobuf-c's */
    size_t done;
} s_thread_t;

static void *
s_encode_all (void *arg)
{
    s_thread_t *self = arg;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    s_gen_t gen = {self->seed, NULL, false, 0};
    codec_buf_t buf = {0};
    for (int m = 0; m < S_MESSAGES / 8; m++)
        for (size_t t = 0; t < count; t++) {
            gen.arena = arena_new ();
            if (!gen.arena)
                break;
            ProtobufCMessage *msg = s_message (&gen, types [(t + self->seed) % count], 0);
            size_t size = protobuf_c_message_get_packed_size (msg);
            uint8_t *theirs = malloc (size ? size : 1);
            if (theirs && protobuf_c_message_pack (msg, theirs) == size
                && codec_pack_message (msg, &buf) == CIBUS_OK && buf.size == size
                && (size == 0 || memcmp (buf.data, theirs, size) == 0))
                self->done++;
            else
                self->wrong++;
            free (theirs);
            arena_destroy (&gen.arena);
        }
    codec_buf_release (&buf);
    return NULL;
}

static void
test_pack_threads_share_the_plans (void **state)
{
    (void)state;
    pthread_t threads [S_THREADS];
    s_thread_t work [S_THREADS] = {{0}};
    for (size_t i = 0; i < S_THREADS; i++) {
        work [i].seed = 0x9E3779B97F4A7C15ull * (i + 1);
        assert_int_equal (pthread_create (&threads [i], NULL, s_encode_all, &work [i]), 0);
    }
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    for (size_t i = 0; i < S_THREADS; i++) {
        assert_int_equal (pthread_join (threads [i], NULL), 0);
        assert_int_equal (work [i].wrong, 0);
        assert_int_equal (work [i].done, (size_t)(S_MESSAGES / 8) * count);
    }
}

//  A buffer already holding bytes, too small for the message: the bytes
//  written so far move when it grows, at every size it can start at.
static void
test_pack_grows_a_small_buffer_at_any_size (void **state)
{
    (void)state;
    s_gen_t gen = {12345, arena_new (), false, 0};
    assert_non_null (gen.arena);
    ProtobufCMessage *msg = NULL;
    size_t size = 0;
    while (size < 3000) {
        msg = s_message (&gen, &cibus__envelope__descriptor, 0);
        size = protobuf_c_message_get_packed_size (msg);
    }
    for (size_t start = 1; start < 600; start += 7) {
        codec_buf_t buf = {malloc (start), 0, start};
        assert_non_null (buf.data);
        memset (buf.data, 0xAB, start);
        s_same_bytes (msg, &buf);
        codec_buf_release (&buf);
    }
    arena_destroy (&gen.arena);
}


//  ---------------------------------------------------------- decoding

//  Decode `size` bytes both ways (malloc'd, so that a half-made message
//  freed is seen by the sanitizers): when unpack_message decodes them,
//  protobuf-c decodes them too, to the same message. True when
//  unpack_message decoded them.
static bool
s_decodes_alike (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size)
{
    bool nul = false;
    ProtobufCMessage *ours = unpack_message (descriptor, NULL, size, data, &nul);
    ProtobufCMessage *theirs = protobuf_c_message_unpack (descriptor, NULL, size, data);
    if (ours) {
        const char *difference = message_same (ours, theirs);
        if (difference)
            fail_msg ("%s", difference);
        //  A NUL in a string is seen as the codec's search of the bytes
        //  sees it.
        codec_problem_t problem;
        if (descriptor == &cibus__request__descriptor)
            assert_int_equal (nul, codec_validate_request_bytes (NULL, data, size, &problem, NULL)
                                       != CIBUS_OK);
        if (descriptor == &cibus__envelope__descriptor)
            assert_int_equal (nul, codec_validate_envelope_bytes (NULL, data, size, &problem)
                                       != CIBUS_OK);
    }
    protobuf_c_message_free_unpacked (ours, NULL);
    protobuf_c_message_free_unpacked (theirs, NULL);
    return ours != NULL;
}

static void
test_unpack_decodes_protobuf_c_s_bytes_as_protobuf_c_does (void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    s_gen_t gen = {0xD1B54A32D192ED03ull, NULL, false, 0};
    for (size_t t = 0; t < count; t++)
        for (int m = 0; m < S_MESSAGES; m++) {
            gen.arena = arena_new ();
            assert_non_null (gen.arena);
            gen.known_only = m % 2 == 0;
            gen.unknowns = 0;
            ProtobufCMessage *msg = s_message (&gen, types [t], 0);
            size_t size;
            uint8_t *data = s_packed (msg, &size);
            //  Decoded in one pass unless a field is unknown, which is
            //  protobuf-c's to keep.
            assert_int_equal (s_decodes_alike (types [t], data, size), gen.unknowns == 0);
            free (data);
            arena_destroy (&gen.arena);
        }
}

//  The bytes of a message changed at random: whatever unpack_message
//  decodes, protobuf-c decodes alike. Some are decoded, some are left.
static void
test_unpack_decodes_changed_bytes_alike_or_leaves_them (void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    s_gen_t gen = {0x2545F4914F6CDD1Dull, NULL, true, 0};
    size_t decoded = 0, left = 0;
    for (size_t t = 0; t < count; t++)
        for (int m = 0; m < S_MESSAGES / 4; m++) {
            gen.arena = arena_new ();
            assert_non_null (gen.arena);
            ProtobufCMessage *msg = s_message (&gen, types [t], 0);
            size_t size;
            uint8_t *data = s_packed (msg, &size);
            uint8_t *changed = malloc (2 * size + 2);
            assert_non_null (changed);
            for (int change = 0; change < 16 && size > 0; change++) {
                size_t at = s_below (&gen, (unsigned)size), length = size;
                memcpy (changed, data, size);
                switch (change % 4) {
                case 0: //  one byte, any value, or a NUL (in a string, often)
                    changed [at] = s_below (&gen, 2) ? 0 : (uint8_t)s_next (&gen);
                    break;
                case 1: //  cut short
                    length = at;
                    break;
                case 2: //  a byte more
                    memmove (changed + at + 1, changed + at, size - at);
                    changed [at] = (uint8_t)s_next (&gen);
                    length = size + 1;
                    break;
                default: //  every field given twice: protobuf-c takes the
                         //  last value and merges messages
                    memcpy (changed + size, data, size);
                    length = 2 * size;
                    break;
                }
                if (s_decodes_alike (types [t], changed, length))
                    decoded++;
                else
                    left++;
            }
            free (changed);
            free (data);
            arena_destroy (&gen.arena);
        }
    assert_true (decoded > 1000 && left > 1000);
}

//  Bytes written by hand: what protobuf-c decides by rules of its own is
//  left to it; the rest is decoded as it decodes them.
static void
test_unpack_leaves_protobuf_c_s_own_rules_to_it (void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t size;
        bool decoded;
    } cases [] = {
        {"\x08\x05", 2, true},                     //  i32 = 5
        {"\x08\x05\x08\x06", 4, false},            //  i32 twice: the last wins
        {"\x10\x01\x10\x02", 4, true},             //  ri32, one run
        {"\x10\x01\x08\x05\x10\x02", 6, false},    //  ri32 in two runs: joined
        {"\x12\x02\x01\x02", 4, true},             //  ri32 packed, not declared so
        {"\x12\x02\x01\x02\x10\x03", 6, false},    //  then unpacked: joined
        {"\xba\x02\x02\x01\x02", 5, false},        //  pbo, packed: a bool of 2
        {"\xba\x02\x02\x01\x00", 5, true},         //  pbo, packed: 1 and 0
        {"\xa8\x02\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 12, true}, //  bo: a bit past the 64th
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, true},     //  i32 = -1 in ten bytes
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, false}, //  a varint of 11 bytes
        {"\xa9\x02\x01\x00\x00\x00\x00\x00\x00\x00", 10, false}, //  bo as 64 bits: read anyway
        {"\x88\x03\x01\x92\x03\x01x", 7, false},   //  both members of the oneof
        {"\x88\x03\x01", 3, true},                 //  one member of it
        {"\xfa\x02\x00", 3, true},                 //  inner, empty
        {"\xfa\x02\x02\x08\x01\xfa\x02\x02\x10\x01", 10, false}, //  inner twice: merged
        {"\xd8\x02\x01", 3, false},                //  text as a varint: refused
        {"\xa0\x06\x01", 3, false},                //  an unknown field (100)
        {"\x0a\x05", 2, false},                    //  a length past the end
        {"\x00", 1, false},                        //  field 0
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        const uint8_t *bytes = (const uint8_t *)cases [i].bytes;
        assert_int_equal (s_decodes_alike (&s_every_descriptor, bytes, cases [i].size), cases [i].decoded);
    }
    //  No bytes at all, as SQLite gives an empty blob: an empty message.
    assert_true (s_decodes_alike (&s_every_descriptor, NULL, 0));
    //  A required field missing: neither decodes it.
    const ProtobufCMessageDescriptor *with_required = NULL;
    const ProtobufCMessageDescriptor *types [S_TYPES_MAX];
    size_t count = s_all_types (types);
    for (size_t t = 0; t < count && !with_required; t++)
        for (unsigned f = 0; f < types [t]->n_fields; f++)
            if (types [t]->fields [f].label == PROTOBUF_C_LABEL_REQUIRED
                && !types [t]->fields [f].default_value)
                with_required = types [t];
    assert_non_null (with_required);
    assert_null (unpack_message (with_required, NULL, 0, (const uint8_t *)"", NULL));
    assert_null (protobuf_c_message_unpack (with_required, NULL, 0, (const uint8_t *)""));
}

//  -------------------------------------------- a field without a label

//  A hand-made proto3 message, which no cibus schema has: a uint32 with
//  no label is written only when it is not 0. pack_message leaves such a
//  message to protobuf-c, whole, even when the field is nested.
typedef struct {
    ProtobufCMessage base;
    uint32_t count;
} s_plain_t;

typedef struct {
    ProtobufCMessage base;
    s_plain_t *inner;
    protobuf_c_boolean has_flag;
    protobuf_c_boolean flag;
} s_outer_t;

static const ProtobufCFieldDescriptor s_plain_fields [] = {
    {"count", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT32, 0, offsetof (s_plain_t, count), NULL,
     NULL, 0, 0, NULL, NULL},
};
static const ProtobufCMessageDescriptor s_plain_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "t.Plain", "Plain", "Plain", "t", sizeof (s_plain_t), 1,
    s_plain_fields, NULL, 0, NULL, NULL, NULL, NULL, NULL};
static const ProtobufCFieldDescriptor s_outer_fields [] = {
    {"inner", 1, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, 0, offsetof (s_outer_t, inner),
     &s_plain_descriptor, NULL, 0, 0, NULL, NULL},
    {"flag", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_BOOL, offsetof (s_outer_t, has_flag),
     offsetof (s_outer_t, flag), NULL, NULL, 0, 0, NULL, NULL},
};
static const ProtobufCMessageDescriptor s_outer_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "t.Outer", "Outer", "Outer", "t", sizeof (s_outer_t), 2,
    s_outer_fields, NULL, 0, NULL, NULL, NULL, NULL, NULL};

static void
test_pack_leaves_a_field_without_a_label_to_protobuf_c (void **state)
{
    (void)state;
    s_plain_t plain = {PROTOBUF_C_MESSAGE_INIT (&s_plain_descriptor), 0};
    s_outer_t outer = {PROTOBUF_C_MESSAGE_INIT (&s_outer_descriptor), &plain, true, true};
    uint8_t *data = NULL;
    size_t capacity = 0, size = 0;
    assert_int_equal (pack_message (&outer.base, &data, &capacity, &size), PACK_UNLABELLED);
    assert_int_equal (pack_message (&plain.base, &data, &capacity, &size), PACK_UNLABELLED);
    free (data);
    codec_buf_t buf = {0};
    for (uint32_t count = 0; count < 300; count += 150) {
        plain.count = count;
        s_same_bytes (&plain.base, &buf);
        s_same_bytes (&outer.base, &buf);
    }
    //  {1: {}, 2: true}, then {1: {1: 150}, 2: true}
    plain.count = 0;
    assert_int_equal (codec_pack_message (&outer.base, &buf), CIBUS_OK);
    assert_int_equal (buf.size, 4);
    assert_memory_equal (buf.data, "\x0a\x00\x10\x01", 4);
    plain.count = 150;
    assert_int_equal (codec_pack_message (&outer.base, &buf), CIBUS_OK);
    assert_int_equal (buf.size, 7);
    assert_memory_equal (buf.data, "\x0a\x03\x08\x96\x01\x10\x01", 7);
    codec_buf_release (&buf);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pack_writes_protobuf_c_s_bytes_for_every_message_type),
        cmocka_unit_test (test_pack_threads_share_the_plans),
        cmocka_unit_test (test_pack_writes_the_same_bytes_with_plans_not_kept),
        cmocka_unit_test (test_pack_grows_a_small_buffer_at_any_size),
        cmocka_unit_test (test_pack_leaves_a_field_without_a_label_to_protobuf_c),
        cmocka_unit_test (test_unpack_decodes_protobuf_c_s_bytes_as_protobuf_c_does),
        cmocka_unit_test (test_unpack_decodes_changed_bytes_alike_or_leaves_them),
        cmocka_unit_test (test_unpack_leaves_protobuf_c_s_own_rules_to_it),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
