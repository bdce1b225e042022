/*  render_json.h - an entry of the log and a query's answer as JSON, for
    scripts and programs: what the client library returns
    (cibus_entry_json, cibus_ask) and the cibus command prints.

    An entry is one object with seq, topic, partner (who sent it), id,
    received_at (microseconds since the epoch, UTC), kind (data, note,
    commitment, update, indicator) and the body's fields under their own
    names. A data table's are indicator, period, owner, unit, version,
    masked, superseded, total and cells (each an object of its
    dimensions, numerator, denominator, value, n, suppressed, and on a
    masked copy its disclosure - shown, hidden-small, hidden-complement,
    coded - with low and high), status, source and extracted_on; a field
    the copy does not carry is left out. The JSON is built with jansson
    through common/cibus_json.h, so it is valid whatever bytes an entry
    stored before the codec checked text holds: each byte that is not
    part of well-formed UTF-8 is written as U+FFFD.                      */

#ifndef CIBUS_RENDER_JSON_H_INCLUDED
#define CIBUS_RENDER_JSON_H_INCLUDED

#include "cibus_json.h"
#include "cibus_wire.h"

/* The entry as one new JSON object (print it with cibus_json_print ());
   NULL when out of memory. */
json_t *render_envelope_json (const cibus_envelope_t *env);

/* A query's tables as one new JSON object: {"tables":[{"title":...,
   "rows": [{column: cell, ...}]}]}. A cell is a JSON number for a number,
   null for an empty cell, {"suppressed":true} for a value hidden from the
   reader ("*" on the wire), {"suppressed":true,"range":"<=5"} for a coded
   one, a string for any other text (PROTOCOL 8.1); NULL when out of
   memory. */
json_t *render_tables_json (const Cibus__QueryReply *result);

#endif
