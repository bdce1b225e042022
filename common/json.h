/*  json.h - a small JSON writer: one value built in a growing string.

    Commas and escaping are the writer's business, so output is always
    valid JSON whatever the order of calls, as long as opens and closes
    pair up, and whatever bytes a string holds: each byte that is not part
    of well-formed UTF-8 is written as U+FFFD. Out of memory is sticky:
    json_text() then returns NULL.                                        */

#ifndef CIBUS_JSON_H_INCLUDED
#define CIBUS_JSON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool comma; /* a value was just written: the next one needs a ',' */
    bool oom;
} json_t;

void json_reset (json_t *self);
void json_release (json_t *self);

void json_object (json_t *self);
void json_object_end (json_t *self);
void json_array (json_t *self);
void json_array_end (json_t *self);
void json_key (json_t *self, const char *key);

void json_str (json_t *self, const char *value);
void json_u64 (json_t *self, uint64_t value);
void json_i64 (json_t *self, int64_t value);
void json_double (json_t *self, double value);
void json_bool (json_t *self, bool value);

/* The text so far, NUL-terminated; NULL after an allocation failed. */
const char *json_text (json_t *self);

#endif
