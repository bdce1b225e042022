/*  cibus_json.c - what cibus adds to jansson for the JSON it prints; see
    cibus_json.h.                                                         */

#include "cibus_json.h"

#include "utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fewest and most significant digits a real is written with. */
#define CIBUS_JSON_MIN_DIGITS 15
#define CIBUS_JSON_MAX_DIGITS 17

bool
cibus_json_is_utf8 (const char *text, size_t len)
{
    uint32_t code;
    for (size_t at = 0, size; at < len; at += size)
        if (!(size = utf8_decode (text + at, len - at, &code)))
            return false;
    return true;
}

char *
cibus_json_repair (const char *text, size_t len, size_t *repaired_len)
{
    static const char replacement [] = "\xEF\xBF\xBD"; //  U+FFFD
    const size_t grow = sizeof replacement - 1;
    if (len > (SIZE_MAX - 1) / grow)
        return NULL;
    char *repaired = malloc (len * grow + 1);
    if (!repaired)
        return NULL;
    size_t used = 0;
    uint32_t code;
    for (size_t at = 0, size; at < len; at += size) {
        size = utf8_decode (text + at, len - at, &code);
        if (size == 0) {
            memcpy (repaired + used, replacement, grow);
            used += grow;
            size = 1;
        }
        else {
            memcpy (repaired + used, text + at, size);
            used += size;
        }
    }
    repaired [used] = 0;
    *repaired_len = used;
    return repaired;
}

json_t *
cibus_json_string (const char *value)
{
    if (!value)
        value = "";
    size_t len = strlen (value);
    if (cibus_json_is_utf8 (value, len))
        return json_stringn (value, len);
    size_t repaired_len;
    char *repaired = cibus_json_repair (value, len, &repaired_len);
    json_t *string = repaired ? json_stringn (repaired, repaired_len) : NULL;
    free (repaired);
    return string;
}

int
cibus_json_set (json_t *object, const char *key, json_t *value)
{
    if (!key)
        key = "";
    size_t len = strlen (key);
    if (cibus_json_is_utf8 (key, len))
        return json_object_set_new (object, key, value);
    size_t repaired_len;
    char *repaired = cibus_json_repair (key, len, &repaired_len);
    int rc = -1;
    if (repaired)
        rc = json_object_set_new (object, repaired, value);
    else
        json_decref (value);
    free (repaired);
    return rc;
}

json_t *
cibus_json_number (double value)
{
    //  2^53: every whole number up to it is exact in a double.
    const double exact = 9007199254740992.0;
    if (!isfinite (value))
        return json_null ();
    if (value == floor (value) && fabs (value) <= exact)
        return json_integer ((json_int_t) value);
    return json_real (value);
}

json_t *
cibus_json_u64 (uint64_t value)
{
    if (value > (uint64_t) INT64_MAX)
        return json_real ((double) value);
    return json_integer ((json_int_t) value);
}

/* The fewest significant digits that write value so that it reads back
   exactly. */
static int
cibus_json_real_digits (double value)
{
    char text [40];
    for (int digits = CIBUS_JSON_MIN_DIGITS; digits < CIBUS_JSON_MAX_DIGITS; digits++) {
        snprintf (text, sizeof text, "%.*g", digits, value);
        if (strtod (text, NULL) == value)
            return digits;
    }
    return CIBUS_JSON_MAX_DIGITS;
}

/* The digits that every real in value needs: jansson takes one precision
   for the whole text. */
static int
cibus_json_digits_needed (json_t *value)
{
    int digits = CIBUS_JSON_MIN_DIGITS, item_digits;
    const char *key;
    size_t index;
    json_t *item;
    if (json_is_real (value))
        digits = cibus_json_real_digits (json_real_value (value));
    else if (json_is_object (value)) {
        json_object_foreach (value, key, item) {
            if ((item_digits = cibus_json_digits_needed (item)) > digits)
                digits = item_digits;
        }
    }
    else if (json_is_array (value)) {
        json_array_foreach (value, index, item) {
            if ((item_digits = cibus_json_digits_needed (item)) > digits)
                digits = item_digits;
        }
    }
    return digits;
}

char *
cibus_json_text (json_t *value)
{
    if (!value)
        return NULL;
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY
                   | JSON_REAL_PRECISION (cibus_json_digits_needed (value));
    return json_dumps (value, flags);
}

bool
cibus_json_print (json_t *value, FILE *out)
{
    char *text = cibus_json_text (value);
    json_decref (value);
    if (!text)
        return false;
    fprintf (out, "%s\n", text);
    free (text);
    return true;
}
