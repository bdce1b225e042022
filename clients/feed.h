/*  feed.h - an integrator's export read as data tables: the reading,
    mapping and grouping behind `cibus feed`, without a socket.

    A feed_map_t is the mapping file (JSON, see the README's guide for
    integrators): which rows to take, and which columns give a table's
    indicator, period, owner and unit, a row's cell (its group), size and
    value. A feed_t reads a CSV (RFC 4180: BOM, CRLF or LF, quoted fields
    with commas, quotes and newlines) or JSON Lines export pushed to it in
    chunks of any size, maps each row, and groups the rows into tables by
    owner, indicator, period and unit, whatever their order in the file.

    Every row ends up in exactly one of three places: a table's cell, the
    count of rows skipped (a row the mapping takes nothing from), or a
    problem with its line number (a row that could not be read or mapped).
    A table one of whose rows was refused is refused whole, never sent
    without the cell: it says why in its `refusal`.

    Each table's id is derived from its content (network, owner,
    indicator, period, unit, status and every cell's value): the same
    table sent again is a duplicate, a changed one a correction.

    Nothing here speaks to a terminal or a broker: `cibus feed` (cli.c)
    publishes the tables and keeps the account; a fuzzer can drive all of
    this from bytes. The module: feed.c (reading, grouping, ids),
    feed_map.c (the mapping, and a row through it), feed_account.c.      */

#ifndef CIBUS_FEED_H_INCLUDED
#define CIBUS_FEED_H_INCLUDED

#include "cibus.h"

#include <stdbool.h>
#include <stddef.h>

#define FEED_DEFAULT_WINDOW   1000 /* tables in flight while publishing */
#define FEED_WINDOW_MAX       16384
#define FEED_LINE_MAX         (1024 * 1024) /* bytes of one line of the file */
#define FEED_RECORD_LINES_MAX 64            /* lines one CSV record (quoted newlines) may span */
#define FEED_SPLIT_MIN        (1024 * 1024) /* bytes from which feed_read reads in two */
#define FEED_ID_PREFIX        "feed-"
#define FEED_ID_SIZE          (sizeof FEED_ID_PREFIX + 40) /* the prefix, 40 hex digits, NUL */

//  The mapping used when none is given: a file whose columns are named as
//  cibus names a table's parts - indicator, period, unit and for (both
//  optional), cell (total, or race=black) and value in the forms of
//  `cibus submit` (52/160, 310.5@12, *, */6).
extern const char feed_map_default [];

typedef enum { FEED_CSV = 0, FEED_JSONL } feed_format_t;

//  ---------------------------------------------------------------- mapping

typedef struct feed_map_t feed_map_t;

/* Read a mapping from its JSON text. NULL on failure, with one line in
   error naming the member that is wrong and what it should be. */
feed_map_t *feed_map_new (const char *text, char *error, size_t size);
void feed_map_destroy (feed_map_t **self_p);

//  ---------------------------------------------------------------- feed

typedef struct {
    const feed_map_t *map; /* borrowed; outlives the feed */
    feed_format_t format;
    const char *network; /* the network the tables go to: part of their ids */
    const char *owner;   /* --for: every table's owner, overriding the mapping's; or NULL */
    size_t split_min;    /* feed_read reads this many bytes or more in two parts side
                            by side; 0: FEED_SPLIT_MIN. Below it (tests), the parts
                            hand over their rows in small blocks, record by record */
} feed_config_t;

typedef struct {
    char *name;  //  "total", or the cell: race=black, race=hispanic,income=low
    char *value; //  in the forms of cibus_table_add_cell: 52/160, 310.5@12, *, */6, *@6
    size_t line; //  where its row starts
} feed_cell_t;

//  One table, as the rows gave it. Read-only for callers.
typedef struct {
    char *owner; /* NULL: the publisher's own table */
    char *indicator, *period;
    char *unit;                           /* NULL: the owner as a whole */
    char *status, *source, *extracted_on; /* from its first row, when mapped; else NULL */
    feed_cell_t total;                    /* total.name is NULL when no row gave the total */
    feed_cell_t *cells;                   /* in the order of their rows */
    size_t cell_count;
    size_t *lines; /* the line of each of its rows, refused ones too, ascending */
    size_t line_count;
    char id [FEED_ID_SIZE]; /* "" until feed_table_id makes it */
    char *refusal;          /* why it cannot be sent (a row of it was refused, no total), or NULL */
} feed_table_t;

//  A row (or a stretch of lines) that could not be read or mapped.
typedef struct {
    size_t first_line, last_line;
    char *message; /* names the column and quotes the text */
} feed_problem_t;

typedef struct feed_t feed_t;

/* A feed reading one file under config (copied, but not the map). NULL
   when out of memory. */
feed_t *feed_new (const feed_config_t *config);
void feed_destroy (feed_t **self_p);

/* Read the next size bytes of the file. USAGE when the file cannot be read
   under the mapping at all (its header lacks a column the mapping needs):
   the message is in feed_error() and nothing more is read. NOMEM when out
   of memory. A row with a problem is not an error: it is recorded. */
cibus_err_t feed_push (feed_t *self, const void *data, size_t size);

/* Read the next size bytes of the file, as feed_push of them would, with
   the same tables, problems and counts, but at least config.split_min of
   them in two parts side by side: the part from a line about a third in
   to the last whole line on a thread of its own, whose rows the feed
   groups after its own, in the order of their lines, as that thread
   gives them; the feed then reads on from where that part last ended a
   record. Where a quoted field spans the place the parts meet, the feed
   reads that part itself. Called as often as feed_push, in chunks of any
   size (best ending at a line end); feed_finish follows. */
cibus_err_t feed_read (feed_t *self, const void *data, size_t size);

/* Parts of the file feed_read read beside the feed and took the rows of
   (a part given up for a quoted field across its ends is not counted). */
size_t feed_parts (feed_t *self);

/* The end of the file: reads the last line and closes the tables
   (refusing one without a total). Call once, after the last push; the
   same errors as feed_push. */
cibus_err_t feed_finish (feed_t *self);

const char *feed_error (feed_t *self);

/* Lines read so far, and data rows among them (not the header, not blank
   lines); rows skipped because the mapping takes nothing from them. */
size_t feed_lines (feed_t *self);
size_t feed_rows (feed_t *self);
size_t feed_skipped (feed_t *self);

size_t feed_problem_count (feed_t *self);
const feed_problem_t *feed_problem (feed_t *self, size_t index);

/* The tables, in the order of their first rows. */
size_t feed_table_count (feed_t *self);
const feed_table_t *feed_table (feed_t *self, size_t index);

/* The index-th table's id, made the first time it is asked for, once
   the feed is finished: "feed-" and the SHA-1, in hex, of its content in
   one canonical text (network, owner, indicator, period, unit, status,
   total, and the cells sorted by name). Made when asked for, not by
   feed_finish, so that `cibus feed` makes each as it sends it, while the
   broker stores the tables before it, instead of before it sends any.
   NULL before feed_finish or when out of memory. Safe from several
   threads at once (the only call here that is). */
const char *feed_table_id (feed_t *self, size_t index);

/* Put a table together for publishing (out: a fresh cibus_table_new).
   On failure the message is in cibus_table_error (out). */
cibus_err_t feed_table_build (const feed_table_t *table, cibus_table_t *out);

/* A table named for a person: "g3-ela 2024-25 of eastside-sd, unit 01-61119-6090021". */
void feed_table_name (const feed_table_t *table, char *text, size_t size);

/* Line numbers as "3", "3-6" or "3-6, 9, 12-13" (count ascending). */
void feed_lines_text (const size_t *lines, size_t count, char *text, size_t size);

//  ---------------------------------------------------------------- account

//  What became of a feed's tables and rows, as the broker answered: what
//  `cibus feed` prints at the end, as text or (feed_account_json) JSON.
typedef struct {
    bool dry_run;
    size_t tables, published, corrected, unchanged, refused; /* tables */
    size_t rows, skipped, rows_refused;                      /* rows */
} feed_tally_t;

typedef enum { FEED_PUBLISHED, FEED_CORRECTED, FEED_UNCHANGED } feed_outcome_t;

typedef struct feed_account_t feed_account_t;

/* An account of a feed's tables and rows (read from it at the end). */
feed_account_t *feed_account_new (bool dry_run);
void feed_account_destroy (feed_account_t **self_p);

/* A table the broker acknowledged. */
void feed_account_count (feed_account_t *self, feed_outcome_t outcome);

/* A table refused, by the feed or the broker: its lines ("3-6"), its
   name and why. */
void feed_account_refuse (feed_account_t *self, const char *lines, const char *table,
                          const char *message);

/* The feed stopped before every table was answered (the broker went
   away): why, for the JSON account. */
void feed_account_stop (feed_account_t *self, const char *message);

/* The counts, with the feed's rows, rows skipped and rows refused. */
feed_tally_t feed_account_tally (feed_account_t *self, feed_t *feed);

/* The whole account as one JSON object (the tally, and every refusal of a
   row or a table with its lines); the caller frees it. NULL when out of
   memory. */
char *feed_account_json (feed_account_t *self, feed_t *feed);

#endif
