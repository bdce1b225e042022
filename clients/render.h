/*  render.h - an entry of the log as people and scripts read it.

    The JSON form is one object per entry with seq, topic, partner (who
    sent it), id, received_at (microseconds since the epoch, UTC), kind
    (data, note, commitment, update, indicator) and the body's fields under
    their own names. A data table's are indicator, period, owner, unit,
    version, masked, superseded, total and cells (each an object of its
    dimensions, numerator, denominator, value, n, suppressed, and on a
    masked copy its disclosure - shown, hidden-small, hidden-complement,
    coded - with low and high), status, source and extracted_on; a field the
    copy does not carry is left out. The JSON is built with jansson through
    common/cibus_json.h, so it is valid whatever bytes an entry stored
    before the codec checked text holds: each byte that is not part of
    well-formed UTF-8 is written as U+FFFD.

    The text form is one readable line per entry; a table's line names its
    owner (and unit) where other entries name their sender, says who sent
    it when that is someone else, and is followed by a line per cell:

        #7 2026-10-01T09:12:44.418Z eastside-sd el/data k3 2026-Q3 version 2, sent by state-feed
          total          168/410 (41%)
          race=black     52/160 (32.5%)
          race=asian     *
          race=white     >=95% (n=40)                                    */

#ifndef CIBUS_RENDER_H_INCLUDED
#define CIBUS_RENDER_H_INCLUDED

#include "cibus.h"
#include "cibus_json.h"

#include <stdio.h>

/* The entry as one new JSON object (print it with cibus_json_print ());
   NULL when out of memory. */
json_t *render_envelope_json (const cibus_envelope_t *env);

/* Write the entry as text to out: one line, and a line per cell of a data
   table (each with its newline). */
void render_envelope_text (const cibus_envelope_t *env, FILE *out);

/* A query's tables as aligned text: a title line, a header, the rows (or
   "(none)"), a blank line between tables. */
void render_tables_text (const Cibus__QueryReply *result, FILE *out);

/* The same as one new JSON object: {"tables":[{"title":..., "rows":
   [{column: cell, ...}]}]}, numbers as numbers, texts as strings; NULL when
   out of memory. */
json_t *render_tables_json (const Cibus__QueryReply *result);

/* received_at as 2026-11-23T10:49:20.263Z into text (size >= 32). */
void render_time (int64_t usec, char *text, size_t size);

#endif
