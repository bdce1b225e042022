/*  message_same.c - whether two decoded protobuf-c messages are the same
    (message_same.h).                                                    */

#include "message_same.h"

#include "pack.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char s_difference [256];

static const char *
s_differs (const ProtobufCMessageDescriptor *descriptor, const char *field, const char *what)
{
    snprintf (s_difference, sizeof s_difference, "%s.%s: %s differs",
              descriptor ? descriptor->name : "?", field, what);
    return s_difference;
}

//  One value of the field's type at a and at b.
static const char *
s_value (const ProtobufCMessageDescriptor *descriptor, const ProtobufCFieldDescriptor *field,
         const void *a, const void *b)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *text_a, *text_b;
        memcpy (&text_a, a, sizeof text_a);
        memcpy (&text_b, b, sizeof text_b);
        //  The field's default is the descriptor's own string, which
        //  protobuf-c does not write; NULL is none.
        bool same = !text_a || !text_b || text_a == field->default_value
                            || text_b == field->default_value
                        ? text_a == text_b
                        : strcmp (text_a, text_b) == 0;
        return same ? NULL : s_differs (descriptor, field->name, "the string");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData bytes_a, bytes_b;
        memcpy (&bytes_a, a, sizeof bytes_a);
        memcpy (&bytes_b, b, sizeof bytes_b);
        bool same = bytes_a.len == bytes_b.len && (bytes_a.data == NULL) == (bytes_b.data == NULL)
                    && (bytes_a.len == 0 || memcmp (bytes_a.data, bytes_b.data, bytes_a.len) == 0);
        return same ? NULL : s_differs (descriptor, field->name, "the bytes");
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *inner_a, *inner_b;
        memcpy (&inner_a, a, sizeof inner_a);
        memcpy (&inner_b, b, sizeof inner_b);
        return message_same (inner_a, inner_b);
    }
    default:
        return memcmp (a, b, pack_element_size (field->type)) == 0
                   ? NULL
                   : s_differs (descriptor, field->name, "the number");
    }
}

static const char *
s_field (const ProtobufCMessageDescriptor *descriptor, const ProtobufCFieldDescriptor *field,
         const uint8_t *base_a, const uint8_t *base_b)
{
    const uint8_t *member_a = base_a + field->offset, *member_b = base_b + field->offset;
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t count_a, count_b;
        memcpy (&count_a, base_a + field->quantifier_offset, sizeof count_a);
        memcpy (&count_b, base_b + field->quantifier_offset, sizeof count_b);
        if (count_a != count_b)
            return s_differs (descriptor, field->name, "the count");
        const uint8_t *array_a, *array_b;
        memcpy (&array_a, member_a, sizeof array_a);
        memcpy (&array_b, member_b, sizeof array_b);
        size_t step = pack_element_size (field->type);
        for (size_t e = 0; e < count_a; e++) {
            const char *difference = s_value (descriptor, field, array_a + e * step, array_b + e * step);
            if (difference)
                return difference;
        }
        return NULL;
    }
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which_a, which_b;
        memcpy (&which_a, base_a + field->quantifier_offset, sizeof which_a);
        memcpy (&which_b, base_b + field->quantifier_offset, sizeof which_b);
        if (which_a != which_b)
            return s_differs (descriptor, field->name, "the oneof's case");
        if (which_a != field->id)
            return NULL;
    } else if (field->quantifier_offset) {
        protobuf_c_boolean has_a, has_b;
        memcpy (&has_a, base_a + field->quantifier_offset, sizeof has_a);
        memcpy (&has_b, base_b + field->quantifier_offset, sizeof has_b);
        if (has_a != has_b)
            return s_differs (descriptor, field->name, "has_");
    }
    return s_value (descriptor, field, member_a, member_b);
}

const char *
message_same (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    if (!a || !b)
        return a == b ? NULL : s_differs (a ? a->descriptor : b->descriptor, "", "NULL");
    const ProtobufCMessageDescriptor *descriptor = a->descriptor;
    if (descriptor != b->descriptor)
        return s_differs (descriptor, "", "the descriptor");
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const char *difference = s_field (descriptor, &descriptor->fields [i], (const uint8_t *)a,
                                          (const uint8_t *)b);
        if (difference)
            return difference;
    }
    if (a->n_unknown_fields != b->n_unknown_fields)
        return s_differs (descriptor, "", "the count of unknown fields");
    for (size_t i = 0; i < a->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *unknown_a = &a->unknown_fields [i];
        const ProtobufCMessageUnknownField *unknown_b = &b->unknown_fields [i];
        if (unknown_a->tag != unknown_b->tag || unknown_a->wire_type != unknown_b->wire_type
            || unknown_a->len != unknown_b->len
            || memcmp (unknown_a->data, unknown_b->data, unknown_a->len) != 0)
            return s_differs (descriptor, "", "an unknown field");
    }
    return NULL;
}
