/*  cibus_json.h - what cibus adds to jansson for the JSON it prints.

    jansson is the one JSON library of cibus: it reads table files and
    writes every JSON line the programs print. Built and printed through
    these few functions, a line is always valid JSON, whatever bytes the
    strings in it held:

    - Text. jansson refuses a string or a key that is not well-formed UTF-8
      (json_string () returns NULL, json_object_set_new () fails), and the
      field would be lost. Entries stored before the codec refused invalid
      UTF-8, and names written into the registry by other means than
      `cibusd partner add`, may hold any bytes. So cibus_json_string () and
      cibus_json_set () write each byte that does not belong to a
      well-formed sequence as U+FFFD, the replacement character (ff fe
      becomes EF BF BD EF BF BD), and keep everything else as it is.
      Well-formed is what common/utf8.h says, as for the codec, so that the
      two cannot disagree.

    - Numbers. jansson writes a real with a fixed number of significant
      digits (17 unless told), and 61 as 61.0. A value that is a whole
      number is given to it as an integer (61), and a line's reals are
      written with the fewest digits, 15 to 17, that read every one of
      them back exactly: 61.5 stays 61.5 rather than growing seventeen
      digits. NaN and infinity, which JSON lacks, are null.

    - Out of memory. Each builder returns NULL (cibus_json_set () -1), and
      jansson's setters given NULL fail in turn, so the failure reaches the
      one who prints, who prints nothing rather than a line with a field
      missing.

    Output is compact, keys in the order they were set: {"seq":1,"id":"x"}.

                                                                          */

#ifndef CIBUS_JSON_H_INCLUDED
#define CIBUS_JSON_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Whether all of text (len bytes) is well-formed UTF-8. */
bool cibus_json_is_utf8 (const char *text, size_t len);

/* text (len bytes) with each byte that is not part of a well-formed UTF-8
   character replaced by U+FFFD, as a new NUL-terminated string the caller
   frees, its length in *repaired_len; NULL when out of memory. */
char *cibus_json_repair (const char *text, size_t len, size_t *repaired_len);

/* A new JSON string of value (NULL as ""), repaired as above; NULL when out
   of memory. */
json_t *cibus_json_string (const char *value);

/* Set key (NULL as "", repaired as above) of object to value, taking over
   the caller's reference to value even when it fails. 0, or -1 when
   object or value is NULL or memory ran out. */
int cibus_json_set (json_t *object, const char *key, json_t *value);

/* A new JSON number: an integer when value is a whole number that a double
   holds exactly, a real otherwise, null for NaN or infinity; NULL when out
   of memory. */
json_t *cibus_json_number (double value);

/* A new JSON number for a count; one beyond jansson's integers (64 bits
   here: above 2^63 - 1) is written as a real. NULL when out of memory. */
json_t *cibus_json_u64 (uint64_t value);

/* value as compact JSON text on one line, in a new string the caller frees
   with free (); NULL when value is NULL or memory ran out. */
char *cibus_json_text (json_t *value);

/* Print value to out as one line, and drop the caller's reference to it.
   false, having printed nothing, when value is NULL (a builder ran out of
   memory) or memory runs out now. */
bool cibus_json_print (json_t *value, FILE *out);

#endif
