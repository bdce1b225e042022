/*  feed_map.h - inside the feed module: a mapping (feed_map_t, made with
    feed_map_new of feed.h) applied to one row.

    feed.c reads the file and groups rows into tables; feed_map.c parses
    the mapping and turns one row - a value for each column the mapping
    reads - into what it says: a cell of a table, a row to skip, or a row
    refused with the reason. Callers outside the module use feed.h.      */

#ifndef CIBUS_FEED_MAP_H_INCLUDED
#define CIBUS_FEED_MAP_H_INCLUDED

#include "cibus_limits.h"
#include "feed.h"
#include "text.h"

//  Bytes of a name made from a row, with its NUL: a name (indicator,
//  unit...) is at most CIBUS_MAX_NAME; anything longer is refused.
#define FEED_NAME_SIZE (CIBUS_MAX_NAME + 1)
//  Bytes of text from the file quoted in a message, and of the quote.
#define FEED_QUOTE_MAX  64
#define FEED_QUOTE_SIZE (FEED_QUOTE_MAX * 4 + 8)

/* The columns the mapping reads, each once: index is what feed_map_row's
   values are in. required: some part needs it (not only optional ones). */
size_t feed_map_column_count (const feed_map_t *self);
const char *feed_map_column (const feed_map_t *self, size_t index, bool *required);

typedef enum { FEED_ROW_CELL = 0, FEED_ROW_SKIPPED, FEED_ROW_REFUSED } feed_row_kind_t;

//  A row as the mapping reads it.
typedef struct {
    feed_row_kind_t kind;
    bool keyed; /* refused once its table was known: that table is refused too */
    bool has_owner, has_unit;
    char owner [FEED_NAME_SIZE], indicator [FEED_NAME_SIZE], period [FEED_NAME_SIZE];
    char unit [FEED_NAME_SIZE];
    char group [FEED_NAME_SIZE];     /* "total", or the cell */
    const char *group_label;         /* the group's column, for messages (the map's) */
    char value [2 * FEED_NAME_SIZE]; /* in the forms of cibus_table_add_cell */
    char status [FEED_NAME_SIZE], source [FEED_NAME_SIZE], extracted_on [FEED_NAME_SIZE];
    char reason [512]; /* why it is refused */
} feed_row_t;

/* Map one row. values: one per column of the mapping, NULL where the
   file lacks it. owner: --for, which replaces the mapping's owner, or
   NULL. scratch: a table to read values of the forms of `cibus submit`
   with (its total is overwritten). */
void feed_map_row (const feed_map_t *self, const char *const *values, const char *owner,
                   cibus_table_t *scratch, feed_row_t *row);

/* Text from the file for a message, into out (FEED_QUOTE_SIZE bytes): at
   most FEED_QUOTE_MAX bytes of it, every byte that is not printable ASCII
   as \xNN, so that a message can go to a terminal or into JSON as it is. */
const char *feed_quote (const char *text, char *out, size_t size);

#endif
