/*  render.h - an entry of the log as people and scripts read it.

    The JSON form is one object per entry with seq, topic, partner, id,
    received_at (microseconds since the epoch, UTC), kind (data, note,
    commitment, update) and the body's fields under their own names. The
    text form is one readable line.                                        */

#ifndef CIBUS_RENDER_H_INCLUDED
#define CIBUS_RENDER_H_INCLUDED

#include "cibus.h"
#include "json.h"

#include <stdio.h>

/* Append the entry as one JSON object to json. */
void render_envelope_json (const cibus_envelope_t *env, json_t *json);

/* Write the entry as one line (with its newline) to out. */
void render_envelope_text (const cibus_envelope_t *env, FILE *out);

/* A query's tables as aligned text: a title line, a header, the rows (or
   "(none)"), a blank line between tables. */
void render_tables_text (const Cibus__QueryReply *result, FILE *out);

/* The same as one JSON object: {"tables":[{"title":..., "rows":[{column:
   cell, ...}]}]}, numbers as numbers, texts as strings. */
void render_tables_json (const Cibus__QueryReply *result, json_t *json);

/* received_at as 2026-11-23T10:49:20.263Z into text (size >= 32). */
void render_time (int64_t usec, char *text, size_t size);

#endif
