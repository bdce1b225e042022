/*  json.c - a small JSON writer; see json.h. */

#include "json.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_put (json_t *self, const char *text, size_t len)
{
    if (self->oom)
        return;
    if (self->len + len + 1 > self->cap) {
        size_t cap = self->cap ? self->cap : 256;
        while (cap < self->len + len + 1)
            cap *= 2;
        char *data = realloc (self->data, cap);
        if (!data) {
            self->oom = true;
            return;
        }
        self->data = data;
        self->cap = cap;
    }
    memcpy (self->data + self->len, text, len);
    self->len += len;
    self->data [self->len] = 0;
}

static void
s_value_start (json_t *self)
{
    if (self->comma)
        s_put (self, ",", 1);
    self->comma = true;
}

void
json_reset (json_t *self)
{
    self->len = 0;
    self->comma = false;
    self->oom = false;
    if (self->data)
        self->data [0] = 0;
}

void
json_release (json_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

void
json_object (json_t *self)
{
    s_value_start (self);
    s_put (self, "{", 1);
    self->comma = false;
}

void
json_object_end (json_t *self)
{
    s_put (self, "}", 1);
    self->comma = true;
}

void
json_array (json_t *self)
{
    s_value_start (self);
    s_put (self, "[", 1);
    self->comma = false;
}

void
json_array_end (json_t *self)
{
    s_put (self, "]", 1);
    self->comma = true;
}

//  A string is written as UTF-8, with what JSON requires escaped. Text from
//  the log is not always well-formed: entries stored before the codec
//  refused invalid UTF-8 may hold any bytes. Each byte that does not belong
//  to a well-formed sequence is written as U+FFFD, the replacement
//  character, so that the output stays valid JSON whatever it is given.
static void
s_string (json_t *self, const char *value)
{
    static const char replacement [] = "\xEF\xBF\xBD"; //  U+FFFD
    s_put (self, "\"", 1);
    size_t len = strlen (value);
    for (size_t at = 0; at < len;) {
        uint32_t code = 0;
        size_t size = utf8_decode (value + at, len - at, &code);
        char escaped [8];
        if (size == 0) {
            s_put (self, replacement, sizeof replacement - 1);
            size = 1;
        }
        else if (code == '"' || code == '\\')
            s_put (self, escaped, (size_t) snprintf (escaped, sizeof escaped, "\\%c", (char) code));
        else if (code == '\n')
            s_put (self, "\\n", 2);
        else if (code == '\t')
            s_put (self, "\\t", 2);
        else if (code == '\r')
            s_put (self, "\\r", 2);
        else if (code < 0x20)
            s_put (self, escaped,
                   (size_t) snprintf (escaped, sizeof escaped, "\\u%04x", (unsigned) code));
        else
            s_put (self, value + at, size);
        at += size;
    }
    s_put (self, "\"", 1);
}

void
json_key (json_t *self, const char *key)
{
    s_value_start (self);
    s_string (self, key);
    s_put (self, ":", 1);
    self->comma = false;
}

void
json_str (json_t *self, const char *value)
{
    s_value_start (self);
    s_string (self, value ? value : "");
}

void
json_u64 (json_t *self, uint64_t value)
{
    char text [24];
    s_value_start (self);
    s_put (self, text, (size_t) snprintf (text, sizeof text, "%llu", (unsigned long long) value));
}

void
json_i64 (json_t *self, int64_t value)
{
    char text [24];
    s_value_start (self);
    s_put (self, text, (size_t) snprintf (text, sizeof text, "%lld", (long long) value));
}

void
json_double (json_t *self, double value)
{
    char text [32];
    s_value_start (self);
    //  JSON has no NaN or infinity; the broker never stores them anyway.
    if (!isfinite (value))
        s_put (self, "null", 4);
    else {
        //  The shortest of the usual precisions that reads back exactly:
        //  61.5 stays 61.5 rather than growing seventeen digits.
        int len = snprintf (text, sizeof text, "%.15g", value);
        if (strtod (text, NULL) != value)
            len = snprintf (text, sizeof text, "%.17g", value);
        s_put (self, text, (size_t) len);
    }
}

void
json_bool (json_t *self, bool value)
{
    s_value_start (self);
    s_put (self, value ? "true" : "false", value ? 4 : 5);
}

const char *
json_text (json_t *self)
{
    if (self->oom)
        return NULL;
    return self->data ? self->data : "";
}
