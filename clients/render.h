/*  render.h - an entry of the log as people and scripts read it.

    The JSON form is the client library's (render_json.h), included here
    for the command's --json; a query's answer has a CSV form as well
    (render_csv.h), for a spreadsheet.

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

#include "cibus_wire.h"
#include "render_json.h"

#include <stdbool.h>
#include <stdio.h>

/* Write the entry as text to out: one line, and a line per cell of a data
   table (each with its newline). */
void render_envelope_text (const cibus_envelope_t *env, FILE *out);

/* A query's tables as aligned text: a title line, a header, the rows (or
   "(none)"), a blank line between tables. */
void render_tables_text (const Cibus__QueryReply *result, FILE *out);

/* How a query's answer is printed: `--format text|json|csv`. */
typedef enum { RENDER_TEXT = 0, RENDER_JSON, RENDER_CSV } render_format_t;

/* The format called name (text, json or csv) into *format; false for any
   other name. */
bool render_format_parse (const char *name, render_format_t *format);

/* Write a query's tables to out in format, and flush it; false, with
   errno set, when memory ran out or out could not be written. */
bool render_tables (const Cibus__QueryReply *result, render_format_t format, FILE *out);

/* received_at as 2026-11-23T10:49:20.263Z into text (size >= 32). */
void render_time (int64_t usec, char *text, size_t size);

#endif
