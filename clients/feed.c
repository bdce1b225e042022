/*  feed.c - an integrator's export read as data tables; see feed.h.

    Design
    ------
    Reading is line by line, whatever the chunks the file comes in: bytes
    gather into a line until LF, CRLF or a lone CR, so that every row
    knows the lines it came from. A CSV line goes to libcsv, a JSON Lines
    line to jansson; neither format is parsed here by hand. libcsv runs
    strict: a quote inside an unquoted field, text after a closing quote,
    or a quoted field never closed is an error, which this file turns into
    a problem at the line the record started on - and then it reads again
    from the next line, so that one stray quote costs one row rather than
    the rest of the file. For that the lines of the record in progress are
    held, at most FEED_RECORD_LINES_MAX of them (a record longer than that
    is taken for an unclosed quote).

    A row is read into an array of the mapping's own columns (each name
    once), so that a CSV header and a JSON object are looked up the same
    way, once per row; the mapping (feed_map.c) then says what the row
    is, and this file puts its cell in its table.

    The invariant the fuzz target checks on every input: each data row is
    counted once, as a cell of a table, as skipped, or as a problem:
        rows == cells of all tables, totals included + skipped + problems
    A table with a refused row is refused whole (its `refusal`): sending
    it without that cell would publish a table the file does not hold.  */

#define _GNU_SOURCE /* memrchr */
#include "feed.h"

#include "arena.h"

#include "feed_map.h"

#include <csv.h>
#include <czmq.h>
#include <jansson.h>
#include <math.h>
#include <nettle/sha1.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

//  Lines of a table's refused rows named in its refusal.
#define S_REFUSED_NAMED 8
#define S_CSV_OPTIONS   (CSV_STRICT | CSV_STRICT_FINI)
//  Where feed_read's part starts, in percent of the bytes after the
//  header: the feed groups the part's rows as well as reading its own.
#define S_SPLIT_PERCENT 35

//  ---------------------------------------------------------------- feed

//  What groups rows into one table, as the feed's hash of tables holds
//  it: the four names and their hash, made once (zhashx hashes every key
//  again each time it grows, and grows often while an export is read).
typedef struct {
    uint64_t hash;
    const char *owner, *indicator, *period, *unit;
} s_key_t;

//  Cells and lines a table holds in itself before it needs arrays of its
//  own: an export's tables are most often a total and a few groups.
#define S_TABLE_INLINE 8

typedef struct {
    feed_table_t table; /* what callers see: first, so the two convert */
    s_key_t key;
    size_t cell_cap, line_cap;
    feed_cell_t cells [S_TABLE_INLINE]; /* table.cells until it has more */
    size_t lines [S_TABLE_INLINE];      /* table.lines until it has more */
    size_t refused [S_REFUSED_NAMED]; /* lines of its refused rows */
    size_t refused_count;
} s_table_t;

struct feed_t {
    feed_config_t config;
    const feed_map_t *map;
    cibus_err_t fatal;
    char error [512];
    bool finished;

    //  The line being gathered.
    char *line;
    size_t line_len, line_cap;
    bool line_over;  /* past FEED_LINE_MAX: the rest is dropped */
    bool pending_cr; /* the last byte was CR: LF may follow */
    size_t line_no;  /* lines ended so far */

    //  CSV: the record in progress, its lines held, its fields.
    struct csv_parser csv;
    bool csv_ready;
    bool in_record;
    size_t record_start, record_line;
    char *held;
    size_t held_len, held_cap;
    size_t *held_ends; /* where each held line ends in held */
    size_t held_count, held_ends_cap;
    char *fields; /* each field NUL-terminated, one after the other */
    size_t fields_len, fields_cap;
    size_t *field_at; /* where each field starts in fields */
    size_t field_count, field_at_cap;
    bool field_nul; /* a field holds a NUL byte */
    bool have_header;
    size_t header_count;
    size_t *column_at; /* per mapping column: its place in the header, or SIZE_MAX */

    //  The row being mapped: a value per mapping column, or NULL.
    const char **values;
    char (*numbers) [64]; /* JSON numbers as text, per mapping column */
    feed_row_t row;       /* the row as the mapping reads it */

    size_t rows, skipped;
    feed_problem_t *problems;
    size_t problem_count, problem_cap;
    s_table_t **tables;
    size_t table_count, table_cap;
    zhashx_t *by_key;       /* s_key_t -> index + 1 */
    s_table_t *last;        /* the table of the last row: an export's rows come grouped */
    arena_t *arena;         /* the tables, their names and values, and the keys */
    cibus_table_t *scratch; /* the mapping reads values of the forms of `cibus submit` with it */
    pthread_mutex_t ids;    /* feed_table_id: the ids it writes */
    bool ids_ready;
    //  A part of the file read beside the feed (feed_read): what its rows
    //  are, as events the feed replays, not tables of its own.
    bool part;
    size_t parts;           /* parts of the file read beside the feed whose rows it took */
    struct s_half_t *half;  /* a part's: what it shares with the feed */
    struct s_events_t *events; /* a part's: the block it writes its events in */
    size_t committed;       /* a part's: bytes of that block given to the feed */
    size_t events_block;    /* a part's: bytes of a new block, at least */
    size_t pushed;          /* bytes pushed before the feed_push in progress */
};

static void s_fatal (feed_t *self, cibus_err_t err, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fatal (feed_t *self, cibus_err_t err, const char *format, ...)
{
    if (self->fatal)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    self->fatal = err;
}

static void s_emit_problem (feed_t *self, size_t first, size_t last, const char *message);
static void s_commit (feed_t *self, size_t offset, bool all);
static bool s_between_records (const feed_t *self);

//  A row that could not be read or mapped: counted, with its lines.
static void
s_refuse_row (feed_t *self, size_t first, size_t last, const char *message)
{
    if (self->part) {
        s_emit_problem (self, first, last, message);
        return;
    }
    self->rows++;
    if (self->problem_count == self->problem_cap) {
        size_t cap = self->problem_cap ? self->problem_cap * 2 : 16;
        feed_problem_t *grown = realloc (self->problems, cap * sizeof *grown);
        if (!grown) {
            s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
            return;
        }
        self->problems = grown;
        self->problem_cap = cap;
    }
    char *copy = strdup (message);
    if (!copy) {
        s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
        return;
    }
    self->problems [self->problem_count++] = (feed_problem_t){first, last, copy};
}

//  The key of the tables' hash, random for the process: a file cannot
//  choose names that all land in one chain.
static unsigned char s_hash_key [crypto_shorthash_KEYBYTES];
static bool s_hash_ready;
static pthread_once_t s_hash_once = PTHREAD_ONCE_INIT;

static void
s_hash_init (void)
{
    if (sodium_init () >= 0) {
        randombytes_buf (s_hash_key, sizeof s_hash_key);
        s_hash_ready = true;
    }
}

static size_t
s_key_hash (const void *key)
{
    return (size_t) ((const s_key_t *) key)->hash;
}

static bool s_same (const char *a, const char *b);

static int
s_key_compare (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    return x->hash == y->hash && s_same (x->unit, y->unit) && s_same (x->owner, y->owner)
                   && s_same (x->indicator, y->indicator) && s_same (x->period, y->period)
               ? 0
               : 1;
}

feed_t *
feed_new (const feed_config_t *config)
{
    feed_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->map = config->map;
    size_t columns = feed_map_column_count (self->map) ? feed_map_column_count (self->map) : 1;
    self->values = calloc (columns, sizeof *self->values);
    self->numbers = calloc (columns, sizeof *self->numbers);
    self->column_at = calloc (columns, sizeof *self->column_at);
    self->by_key = zhashx_new ();
    self->arena = arena_new ();
    self->scratch = cibus_table_new ();
    if (self->by_key) {
        zhashx_set_key_duplicator (self->by_key, NULL);
        zhashx_set_key_destructor (self->by_key, NULL);
        zhashx_set_key_hasher (self->by_key, s_key_hash);
        zhashx_set_key_comparator (self->by_key, s_key_compare);
    }
    if (pthread_once (&s_hash_once, s_hash_init) != 0 || !s_hash_ready) {
        feed_destroy (&self);
        return NULL;
    }
    if (!self->values || !self->numbers || !self->column_at || !self->by_key || !self->arena
        || !self->scratch
        || csv_init (&self->csv, S_CSV_OPTIONS) != 0) {
        feed_destroy (&self);
        return NULL;
    }
    self->csv_ready = true;
    if (pthread_mutex_init (&self->ids, NULL) != 0) {
        feed_destroy (&self);
        return NULL;
    }
    self->ids_ready = true;
    return self;
}

//  What a table holds outside the arena: the arrays it grows.
static void
s_table_destroy (s_table_t *table)
{
    if (table->table.cells != table->cells)
        free (table->table.cells);
    if (table->table.lines != table->lines)
        free (table->table.lines);
}

//  Room for one more item in a table's array of *count items (cap of
//  them), which starts in the table itself (own) and moves to the heap
//  when it is full. false when out of memory.
static bool
s_table_room (void **items, size_t *cap, size_t count, void *own, size_t item)
{
    if (count < *cap)
        return true;
    size_t grown_cap = *cap * 2;
    void *grown = *items == own ? malloc (grown_cap * item) : realloc (*items, grown_cap * item);
    if (!grown)
        return false;
    if (*items == own)
        memcpy (grown, own, count * item);
    *items = grown;
    *cap = grown_cap;
    return true;
}

void
feed_destroy (feed_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    feed_t *self = *self_p;
    if (self->csv_ready)
        csv_free (&self->csv);
    free (self->line);
    free (self->held);
    free (self->held_ends);
    free (self->fields);
    free (self->field_at);
    free (self->column_at);
    free (self->values);
    free (self->numbers);
    for (size_t i = 0; i < self->problem_count; i++)
        free (self->problems [i].message);
    free (self->problems);
    for (size_t i = 0; i < self->table_count; i++)
        s_table_destroy (self->tables [i]);
    free (self->tables);
    zhashx_destroy (&self->by_key);
    arena_destroy (&self->arena);
    cibus_table_destroy (&self->scratch);
    if (self->ids_ready)
        pthread_mutex_destroy (&self->ids);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------- a row

//  text in the canonical form a table's key and its id are made of: "+",
//  its length, ":", itself; or "-" when absent. At out + used, cut to fit
//  as text_put cuts; the length of the whole. s_canonical_head writes all
//  but the text itself.
static size_t
s_canonical_head (char *out, size_t size, size_t used, const char *text)
{
    if (!text)
        return text_put (out, size, used, "-");
    used = text_put (out, size, used, "+");
    used = text_put_count (out, size, used, strlen (text));
    return text_put (out, size, used, ":");
}

static size_t
s_canonical (char *out, size_t size, size_t used, const char *text)
{
    used = s_canonical_head (out, size, used, text);
    return text ? text_put (out, size, used, text) : used;
}

//  The key that groups rows into one table.
static void
s_key (char *key, size_t size, const char *owner, const char *indicator, const char *period,
       const char *unit)
{
    const char *parts [] = {owner, indicator, period, unit};
    size_t used = 0;
    for (size_t i = 0; i < 4; i++)
        used = s_canonical (key, size, used, parts [i]);
}

//  A copy of text that lives as long as the feed, in its arena.
static char *
s_dup (feed_t *self, const char *text)
{
    char *copy = arena_strdup (self->arena, text);
    if (text && !copy)
        s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
    return copy;
}

static bool
s_same (const char *a, const char *b)
{
    return a && b ? strcmp (a, b) == 0 : a == b;
}

//  The table of these keys, made when new. NULL when out of memory.
static s_table_t *
s_table_of (feed_t *self, const char *owner, const char *indicator, const char *period,
            const char *unit, bool *made)
{
    const feed_table_t *last = self->last ? &self->last->table : NULL;
    *made = false;
    if (last && s_same (last->unit, unit) && s_same (last->owner, owner)
        && s_same (last->indicator, indicator) && s_same (last->period, period))
        return self->last;
    char text [4 * (FEED_NAME_SIZE + 24)];
    s_key (text, sizeof text, owner, indicator, period, unit);
    s_key_t key = {0, owner, indicator, period, unit};
    crypto_shorthash ((unsigned char *) &key.hash, (const unsigned char *) text, strlen (text),
                      s_hash_key);
    uintptr_t index = (uintptr_t) zhashx_lookup (self->by_key, &key);
    *made = index == 0;
    if (index)
        return self->last = self->tables [index - 1];
    if (self->table_count == self->table_cap) {
        size_t cap = self->table_cap ? self->table_cap * 2 : 64;
        s_table_t **grown = realloc (self->tables, cap * sizeof *grown);
        if (!grown) {
            s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
            return NULL;
        }
        self->tables = grown;
        self->table_cap = cap;
    }
    s_table_t *table = arena_alloc (self->arena, sizeof *table);
    if (!table) {
        s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    feed_table_t *t = &table->table;
    t->cells = table->cells;
    t->lines = table->lines;
    table->cell_cap = table->line_cap = S_TABLE_INLINE;
    t->owner = s_dup (self, owner);
    t->indicator = s_dup (self, indicator);
    t->period = s_dup (self, period);
    t->unit = s_dup (self, unit);
    self->tables [self->table_count++] = table;
    table->key = (s_key_t){key.hash, t->owner, t->indicator, t->period, t->unit};
    zhashx_insert (self->by_key, &table->key, (void *) (uintptr_t) self->table_count);
    self->last = table;
    return self->fatal ? NULL : table;
}

//  Record that a row of the table is on line.
static void
s_table_line (feed_t *self, s_table_t *table, size_t line)
{
    feed_table_t *t = &table->table;
    if (t->line_count && t->lines [t->line_count - 1] == line)
        return;
    if (!s_table_room ((void **) &t->lines, &table->line_cap, t->line_count, table->lines,
                       sizeof *t->lines)) {
        s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
        return;
    }
    t->lines [t->line_count++] = line;
}

//  A row as the mapping read it, wherever it was read: the feed's own
//  row, or one a part of the file left as an event (feed_read).
typedef struct {
    feed_row_kind_t kind; /* FEED_ROW_CELL, or FEED_ROW_REFUSED once keyed */
    bool has_owner, has_unit;
    const char *owner, *indicator, *period, *unit, *group, *group_label, *value;
    const char *status, *source, *extracted_on, *reason;
} s_row_view_t;

static void s_say (char *out, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  A message into out, cut to fit.
static void
s_say (char *out, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (out, size, format, args);
    va_end (args);
}

//  The row on line is refused, for reason, and with it the table it
//  belongs to.
static void
s_refuse_in_table (feed_t *self, s_table_t *table, size_t first, size_t last, const char *reason)
{
    s_refuse_row (self, first, last, reason);
    if (!table)
        return;
    s_table_line (self, table, first);
    if (table->refused_count < S_REFUSED_NAMED)
        table->refused [table->refused_count] = first;
    table->refused_count++;
}

//  Put the row, from lines first to last, in its table: its cell, or its
//  refusal.
static void
s_place (feed_t *self, const s_row_view_t *row, size_t first, size_t last)
{
    bool made;
    s_table_t *table = s_table_of (self, row->has_owner ? row->owner : NULL, row->indicator,
                                   row->period, row->has_unit ? row->unit : NULL, &made);
    if (!table)
        return;
    if (row->kind == FEED_ROW_REFUSED) {
        s_refuse_in_table (self, table, first, last, row->reason);
        return;
    }
    feed_table_t *t = &table->table;
    //  Its first row gives the table's status, source and date.
    if (made) {
        t->status = *row->status ? s_dup (self, row->status) : NULL;
        t->source = *row->source ? s_dup (self, row->source) : NULL;
        t->extracted_on = *row->extracted_on ? s_dup (self, row->extracted_on) : NULL;
    }
    bool total = strcmp (row->group, "total") == 0;
    const feed_cell_t *twice = total && t->total.name ? &t->total : NULL;
    for (size_t i = 0; !total && !twice && i < t->cell_count; i++)
        if (strcmp (t->cells [i].name, row->group) == 0)
            twice = &t->cells [i];
    char name [512], reason [sizeof self->row.reason];
    if (twice) {
        feed_table_name (t, name, sizeof name);
        s_say (reason, sizeof reason, "%s gives %s of table %s again (line %zu gave it first)",
               row->group_label, row->group, name, twice->line);
        s_refuse_in_table (self, table, first, last, reason);
        return;
    }
    if (!total && t->cell_count >= CIBUS_MAX_CELLS) {
        feed_table_name (t, name, sizeof name);
        s_say (reason, sizeof reason,
               "table %s has %d cells besides its total, the most a table may have", name,
               CIBUS_MAX_CELLS);
        s_refuse_in_table (self, table, first, last, reason);
        return;
    }
    if (!total && !s_table_room ((void **) &t->cells, &table->cell_cap, t->cell_count,
                                 table->cells, sizeof *t->cells)) {
        s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
        return;
    }
    feed_cell_t *cell = total ? &t->total : &t->cells [t->cell_count++];
    *cell = (feed_cell_t){s_dup (self, row->group), s_dup (self, row->value), first};
    s_table_line (self, table, first);
    self->rows++;
}

//  Room in *buffer for need items of item bytes, growing it by doubling.
static bool
s_room_grown (void **buffer, size_t *cap, size_t need, size_t item)
{
    size_t grown_cap = *cap ? *cap : 64;
    while (grown_cap < need)
        grown_cap *= 2;
    void *grown = realloc (*buffer, grown_cap * item);
    if (!grown)
        return false;
    *buffer = grown;
    *cap = grown_cap;
    return true;
}

static inline bool
s_room (void **buffer, size_t *cap, size_t need, size_t item)
{
    return need <= *cap || s_room_grown (buffer, cap, need, item);
}

//  The same, failing the feed when memory is out.
static inline bool
s_grow (feed_t *self, void **buffer, size_t *cap, size_t need, size_t item)
{
    if (s_room (buffer, cap, need, item))
        return true;
    s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
    return false;
}

//  ---------------------------------------------------------------- events
//
//  A part of the file read beside the feed (feed_read) does not group its
//  rows: it leaves what each is, in the order of its lines, for the feed
//  to replay after its own. An event is a byte of kind, then:
//    S_EVENT_SKIP     nothing (a row the mapping takes nothing from)
//    S_EVENT_PROBLEM  first and last line, the message
//    S_EVENT_ROW      kind, has_owner, has_unit, first and last line, the
//                     group's label, then its ten texts (s_row_view_t)
//  numbers as their bytes, texts each with its NUL.

#define S_EVENT_SKIP    1
#define S_EVENT_PROBLEM 2
#define S_EVENT_ROW     3

//  The part writes its events in blocks the feed reads as they fill: a
//  block's bytes up to `committed` are the feed's to read, and once
//  `next` is set the part writes no more in it. The part gives its events
//  at the ends of records only (s_commit), so that the feed never reads a
//  row whose record the part might yet find malformed.
#define S_EVENTS_BLOCK  (256 * 1024)
#define S_COMMIT_EVERY  (16 * 1024) /* bytes of events given at a time, at least */
//  Under a split_min below FEED_SPLIT_MIN (tests, the fuzzer), blocks of
//  this size and a commit at every record, so that small inputs go
//  through every hand-over: a new block, a tail moved, a wait.
#define S_EVENTS_BLOCK_SMALL 64

typedef struct s_events_t {
    struct s_events_t *_Atomic next;
    _Atomic size_t committed;
    size_t len, cap;
    uint8_t data [];
} s_events_t;

static s_events_t *
s_events_new (size_t cap)
{
    s_events_t *block = malloc (sizeof *block + cap);
    if (block) {
        atomic_init (&block->next, NULL);
        atomic_init (&block->committed, 0);
        block->len = 0;
        block->cap = cap;
    }
    return block;
}

static void
s_emit (feed_t *self, const void *data, size_t len)
{
    s_events_t *block = self->events;
    if (self->fatal || !block)
        return;
    if (block->len + len > block->cap) {
        //  A new block, with the events not yet given to the feed.
        size_t tail = block->len - self->committed;
        size_t least = self->events_block;
        size_t cap = tail + len > least ? tail + len : least;
        s_events_t *next = s_events_new (cap);
        if (!next) {
            s_fatal (self, CIBUS_ERR_NOMEM, "out of memory");
            return;
        }
        memcpy (next->data, block->data + self->committed, tail);
        next->len = tail;
        block->len = self->committed;
        atomic_store (&block->next, next);
        self->events = block = next;
        self->committed = 0;
    }
    memcpy (block->data + block->len, data, len);
    block->len += len;
}

static void
s_emit_text (feed_t *self, const char *text)
{
    s_emit (self, text, strlen (text) + 1);
}

//  A text s_emit_text left at *at; *at moves past it.
static const char *
s_event_text (const uint8_t **at)
{
    const char *text = (const char *) *at;
    *at += strlen (text) + 1;
    return text;
}

static void
s_emit_head (feed_t *self, uint8_t kind, size_t first, size_t last)
{
    s_emit (self, &kind, 1);
    s_emit (self, &first, sizeof first);
    s_emit (self, &last, sizeof last);
}

static void
s_emit_problem (feed_t *self, size_t first, size_t last, const char *message)
{
    s_emit_head (self, S_EVENT_PROBLEM, first, last);
    s_emit_text (self, message);
}

//  The texts of a row event, in order.
#define S_ROW_TEXTS 10

//  Map the row in self->values, from lines first to last, and put its
//  cell in its table (or, in a part, leave it as an event).
static void
s_row (feed_t *self, size_t first, size_t last)
{
    feed_row_t *row = &self->row;
    feed_map_row (self->map, self->values, self->config.owner, self->scratch, row);
    if (row->kind == FEED_ROW_SKIPPED) {
        if (self->part) {
            uint8_t kind = S_EVENT_SKIP;
            s_emit (self, &kind, 1);
        } else
            self->rows++, self->skipped++;
        return;
    }
    if (row->kind == FEED_ROW_REFUSED && !row->keyed) {
        s_refuse_row (self, first, last, row->reason);
        return;
    }
    const char *reason = row->kind == FEED_ROW_REFUSED ? row->reason : "";
    if (self->part) {
        uint8_t flags [3] = {(uint8_t) row->kind, row->has_owner, row->has_unit};
        s_emit_head (self, S_EVENT_ROW, first, last);
        s_emit (self, flags, sizeof flags);
        s_emit (self, &row->group_label, sizeof row->group_label);
        const char *texts [S_ROW_TEXTS] = {row->owner, row->indicator, row->period, row->unit,
                                           row->group, row->value, row->status, row->source,
                                           row->extracted_on, reason};
        for (size_t i = 0; i < S_ROW_TEXTS; i++)
            s_emit_text (self, texts [i]);
        return;
    }
    s_row_view_t view = {row->kind,  row->has_owner, row->has_unit,   row->owner,
                         row->indicator, row->period, row->unit,     row->group,
                         row->group_label, row->value, row->status,  row->source,
                         row->extracted_on, reason};
    s_place (self, &view, first, last);
}

//  Replay the events a part of the file left, as if the feed had read
//  its lines itself.
static void
s_replay (feed_t *self, const uint8_t *at, const uint8_t *end)
{
    while (at < end && !self->fatal) {
        uint8_t kind = *at++;
        if (kind == S_EVENT_SKIP) {
            self->rows++, self->skipped++;
            continue;
        }
        size_t first, last;
        memcpy (&first, at, sizeof first), at += sizeof first;
        memcpy (&last, at, sizeof last), at += sizeof last;
        if (kind == S_EVENT_PROBLEM) {
            s_refuse_row (self, first, last, s_event_text (&at));
            continue;
        }
        s_row_view_t view = {.kind = (feed_row_kind_t) at [0], .has_owner = at [1], .has_unit = at [2]};
        at += 3;
        memcpy (&view.group_label, at, sizeof view.group_label), at += sizeof view.group_label;
        const char **texts [S_ROW_TEXTS] = {&view.owner, &view.indicator, &view.period,
                                            &view.unit,  &view.group,     &view.value,
                                            &view.status, &view.source,   &view.extracted_on,
                                            &view.reason};
        for (size_t i = 0; i < S_ROW_TEXTS; i++)
            *texts [i] = s_event_text (&at);
        s_place (self, &view, first, last);
    }
}

//  ---------------------------------------------------------------- CSV

static bool
s_blank (const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line [i] != ' ' && line [i] != '\t' && line [i] != '\r' && line [i] != '\n')
            return false;
    return true;
}

static void
s_csv_field (void *data, size_t len, void *arg)
{
    feed_t *self = arg;
    if (self->fatal
        || !s_grow (self, (void **) &self->fields, &self->fields_cap, self->fields_len + len + 1, 1)
        || !s_grow (self, (void **) &self->field_at, &self->field_at_cap, self->field_count + 1,
                    sizeof (size_t)))
        return;
    if (len && memchr (data, 0, len))
        self->field_nul = true;
    self->field_at [self->field_count++] = self->fields_len;
    if (len)
        memcpy (self->fields + self->fields_len, data, len);
    self->fields_len += len;
    self->fields [self->fields_len++] = 0;
}

//  The first record: where each column the mapping reads is.
static void
s_header (feed_t *self)
{
    self->header_count = self->field_count;
    for (size_t c = 0; c < feed_map_column_count (self->map) && !self->fatal; c++) {
        bool required;
        const char *name = feed_map_column (self->map, c, &required);
        self->column_at [c] = SIZE_MAX;
        for (size_t f = 0; f < self->field_count; f++) {
            if (strcmp (self->fields + self->field_at [f], name) != 0)
                continue;
            if (self->column_at [c] != SIZE_MAX)
                s_fatal (self, CIBUS_ERR_USAGE,
                         "the header (line %zu) names column '%s' twice, as columns %zu and %zu",
                         self->record_start, name, self->column_at [c] + 1, f + 1);
            self->column_at [c] = f;
        }
        if (self->column_at [c] == SIZE_MAX && required) {
            char names [320] = "";
            size_t used = 0;
            for (size_t f = 0; f < self->field_count && used < sizeof names; f++)
                used += (size_t) snprintf (names + used, sizeof names - used, "%s%s", f ? ", " : "",
                                           self->fields + self->field_at [f]);
            s_fatal (self, CIBUS_ERR_USAGE,
                     "the header (line %zu) has no column '%s', which the mapping reads; its "
                     "columns are: %s",
                     self->record_start, name, names);
        }
    }
    self->have_header = true;
}

static void
s_csv_end (int terminator, void *arg)
{
    (void) terminator;
    feed_t *self = arg;
    size_t first = self->record_start, last = self->record_line;
    if (self->fatal)
        ;
    else if (!self->have_header)
        s_header (self);
    else if (self->field_count != self->header_count) {
        char message [96];
        snprintf (message, sizeof message, "it has %zu fields; the header has %zu",
                  self->field_count, self->header_count);
        s_refuse_row (self, first, last, message);
    } else if (self->field_nul)
        s_refuse_row (self, first, last, "a field holds a NUL byte");
    else {
        for (size_t c = 0; c < feed_map_column_count (self->map); c++)
            self->values [c] = self->column_at [c] == SIZE_MAX
                                   ? NULL
                                   : self->fields + self->field_at [self->column_at [c]];
        s_row (self, first, last);
    }
    self->fields_len = self->field_count = 0;
    self->field_nul = false;
    self->in_record = false;
    self->held_len = self->held_count = 0;
}

static void s_csv_line (feed_t *self, const char *line, size_t len, size_t number);

//  The record that started at record_start cannot be read: a problem at
//  that line, then the lines after it are read again as fresh records.
static void
s_csv_malformed (feed_t *self, size_t found, const char *what)
{
    size_t start = self->record_start;
    char message [256];
    if (found > start)
        snprintf (message, sizeof message, "not CSV: %s (found on line %zu)", what, found);
    else
        snprintf (message, sizeof message, "not CSV: %s", what);
    s_refuse_row (self, start, start, message);
    csv_free (&self->csv);
    csv_init (&self->csv, S_CSV_OPTIONS);
    self->fields_len = self->field_count = 0;
    self->field_nul = false;
    self->in_record = false;
    //  Take the held lines: reading them again holds them anew.
    char *held = self->held;
    size_t *ends = self->held_ends, count = self->held_count;
    self->held = NULL, self->held_ends = NULL;
    self->held_len = self->held_cap = self->held_count = self->held_ends_cap = 0;
    for (size_t i = 1; i < count && !self->fatal; i++)
        s_csv_line (self, held + ends [i - 1], ends [i] - ends [i - 1], start + i);
    free (held);
    free (ends);
}

static void
s_csv_line (feed_t *self, const char *line, size_t len, size_t number)
{
    if (!self->in_record) {
        if (s_blank (line, len))
            return;
        self->in_record = true;
        self->record_start = number;
        self->held_len = self->held_count = 0;
    }
    if (number - self->record_start >= FEED_RECORD_LINES_MAX) {
        char what [128];
        snprintf (what, sizeof what,
                  "a quoted field opened on line %zu is not closed within %d "
                  "lines",
                  self->record_start, FEED_RECORD_LINES_MAX);
        s_csv_malformed (self, self->record_start, what);
        s_csv_line (self, line, len, number);
        return;
    }
    if (!s_grow (self, (void **) &self->held, &self->held_cap, self->held_len + len, 1)
        || !s_grow (self, (void **) &self->held_ends, &self->held_ends_cap, self->held_count + 1,
                    sizeof (size_t)))
        return;
    memcpy (self->held + self->held_len, line, len);
    self->held_len += len;
    self->held_ends [self->held_count++] = self->held_len;
    self->record_line = number;
    size_t done = csv_parse (&self->csv, line, len, s_csv_field, s_csv_end, self);
    if (done < len && !self->fatal) {
        if (csv_error (&self->csv) == CSV_EPARSE && number > self->record_start)
            s_csv_malformed (self, number,
                             "a quote on this line opens a field that is not closed properly");
        else if (csv_error (&self->csv) == CSV_EPARSE)
            s_csv_malformed (self, number,
                             "a quote out of place: inside an unquoted field, or followed by "
                             "text where the field should end");
        else
            s_fatal (self, CIBUS_ERR_NOMEM, "out of memory reading line %zu", number);
    }
}

static void
s_csv_eof (feed_t *self)
{
    while (!self->fatal) {
        self->record_line = self->line_no;
        if (csv_fini (&self->csv, s_csv_field, s_csv_end, self) == 0)
            break;
        s_csv_malformed (self, self->line_no,
                         "a quoted field is not closed by the end of the file");
    }
}

//  ---------------------------------------------------------------- JSON Lines

//  A JSON number as the file would have written it: an integer as is, a
//  real with as few decimals as give it back exactly.
static void
s_json_number (json_t *value, char *out, size_t size)
{
    if (json_is_integer (value)) {
        snprintf (out, size, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
        return;
    }
    double number = json_real_value (value);
    if (fabs (number) >= 1e15) {
        snprintf (out, size, "%.17g", number);
        return;
    }
    for (int decimals = 0; decimals <= 17; decimals++) {
        snprintf (out, size, "%.*f", decimals, number);
        if (strtod (out, NULL) == number)
            return;
    }
}

static void
s_jsonl_line (feed_t *self, const char *line, size_t len, size_t number)
{
    if (s_blank (line, len))
        return;
    json_error_t error;
    json_t *row = json_loadb (line, len, JSON_REJECT_DUPLICATES, &error);
    char message [320];
    if (!row || !json_is_object (row)) {
        if (row)
            snprintf (message, sizeof message, "a line of JSON Lines holds one object");
        else
            snprintf (message, sizeof message, "not JSON: column %d: %s", error.column, error.text);
        s_refuse_row (self, number, number, message);
        json_decref (row);
        return;
    }
    for (size_t c = 0; c < feed_map_column_count (self->map); c++) {
        bool required;
        const char *name = feed_map_column (self->map, c, &required);
        json_t *value = json_object_get (row, name);
        const char *problem = NULL;
        self->values [c] = NULL;
        if (!value)
            problem = required ? "it has no member" : NULL;
        else if (json_is_string (value)) {
            self->values [c] = json_string_value (value);
            if (json_string_length (value) != strlen (self->values [c]))
                problem = "a NUL byte is in its member";
        } else if (json_is_number (value)) {
            s_json_number (value, self->numbers [c], sizeof self->numbers [c]);
            self->values [c] = self->numbers [c];
        } else if (json_is_null (value))
            self->values [c] = "";
        else if (json_is_boolean (value))
            self->values [c] = json_is_true (value) ? "true" : "false";
        else
            problem = "an object or an array is in its member";
        if (problem) {
            char quoted [FEED_QUOTE_SIZE];
            snprintf (message, sizeof message, "%s '%s'", problem,
                      feed_quote (name, quoted, sizeof quoted));
            s_refuse_row (self, number, number, message);
            json_decref (row);
            return;
        }
    }
    s_row (self, number, number);
    json_decref (row);
}

//  ---------------------------------------------------------------- lines

static void
s_line_end (feed_t *self)
{
    size_t number = ++self->line_no;
    const char *line = self->line ? self->line : "";
    size_t len = self->line_len;
    //  A UTF-8 byte-order mark, as spreadsheets write it, is not data.
    if (number == 1 && len >= 3 && memcmp (line, "\xef\xbb\xbf", 3) == 0)
        line += 3, len -= 3;
    if (self->line_over) {
        char message [160];
        if (self->config.format == FEED_CSV && self->in_record) {
            size_t start = self->record_start;
            snprintf (message, sizeof message, "line %zu is over %d bytes: its record is not read",
                      number, FEED_LINE_MAX);
            csv_free (&self->csv);
            csv_init (&self->csv, S_CSV_OPTIONS);
            self->fields_len = self->field_count = 0;
            self->in_record = false;
            self->held_len = self->held_count = 0;
            s_refuse_row (self, start, number, message);
        } else {
            snprintf (message, sizeof message, "the line is over %d bytes: it is not read",
                      FEED_LINE_MAX);
            s_refuse_row (self, number, number, message);
        }
    } else if (self->config.format == FEED_CSV)
        s_csv_line (self, line, len, number);
    else
        s_jsonl_line (self, line, len, number);
    self->line_len = 0;
    self->line_over = false;
}

static void
s_line_add (feed_t *self, const char *data, size_t len)
{
    if (self->line_over)
        return;
    if (self->line_len + len > FEED_LINE_MAX) {
        self->line_over = true;
        return;
    }
    if (!s_grow (self, (void **) &self->line, &self->line_cap, self->line_len + len + 1, 1))
        return;
    memcpy (self->line + self->line_len, data, len);
    self->line_len += len;
}

cibus_err_t
feed_push (feed_t *self, const void *data, size_t size)
{
    const char *at = data, *end = at + size;
    while (at < end && !self->fatal && !self->finished) {
        if (self->pending_cr) {
            //  CR then LF is one line end; CR then anything else ends the
            //  line before that byte.
            self->pending_cr = false;
            if (*at == '\n')
                s_line_add (self, at++, 1);
            s_line_end (self);
        } else {
            const char *brk = at;
            while (brk < end && *brk != '\n' && *brk != '\r')
                brk++;
            if (brk == end) {
                s_line_add (self, at, (size_t) (end - at));
                break;
            }
            s_line_add (self, at, (size_t) (brk - at) + 1);
            at = brk + 1;
            if (*brk == '\r') {
                self->pending_cr = true;
                continue;
            }
            s_line_end (self);
        }
        if (self->part)
            s_commit (self, self->pushed + (size_t) (at - (const char *) data), false);
    }
    self->pushed += size;
    return self->fatal;
}

//  Why a table is refused before it is sent, from its refused rows.
static void
s_close_table (feed_t *self, s_table_t *table)
{
    feed_table_t *t = &table->table;
    char text [256];
    if (table->refused_count) {
        size_t named =
            table->refused_count < S_REFUSED_NAMED ? table->refused_count : S_REFUSED_NAMED;
        char lines [160];
        feed_lines_text (table->refused, named, lines, sizeof lines);
        if (table->refused_count == 1)
            snprintf (text, sizeof text, "its row on line %s was refused", lines);
        else
            snprintf (text, sizeof text, "its rows on lines %s%s were refused", lines,
                      table->refused_count > named ? " and more" : "");
        t->refusal = s_dup (self, text);
    } else if (!t->total.name)
        t->refusal = s_dup (self, "no row gives its total");
}

static int
s_cell_compare (const void *a, const void *b)
{
    const feed_cell_t *x = *(const feed_cell_t *const *) a, *y = *(const feed_cell_t *const *) b;
    return strcmp (x->name, y->name);
}

//  text in its canonical form (s_canonical), into the digest.
static void
s_id_text (struct sha1_ctx *sha1, const char *text)
{
    char head [32];
    size_t used = s_canonical_head (head, sizeof head, 0, text);
    sha1_update (sha1, used, (const uint8_t *) head);
    if (text)
        sha1_update (sha1, strlen (text), (const uint8_t *) text);
}

//  The id: SHA-1 over the table's content in one canonical text - its
//  network, owner, indicator, period, unit and status, and its cells
//  sorted by name with their values - into id. The source and extraction
//  date are left out: an export extracted again with the same values is
//  the same table, not a correction. Reads the table only, so that two
//  threads may make ids at once.
static void
s_table_id (feed_t *self, const feed_table_t *t, char *id, size_t size)
{
    const char *parts [] = {
        "cibus-feed/1", self->config.network, t->owner, t->indicator, t->period, t->unit,
        t->status, t->total.value};
    struct sha1_ctx sha1;
    sha1_init (&sha1);
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++)
        s_id_text (&sha1, parts [i]);
    //  Cells sorted by name: an export's rows often give them so already.
    //  A table has at most CIBUS_MAX_CELLS (s_place refuses the rest).
    const feed_cell_t *sorted [CIBUS_MAX_CELLS];
    size_t count = t->cell_count < CIBUS_MAX_CELLS ? t->cell_count : CIBUS_MAX_CELLS;
    bool in_order = true;
    for (size_t i = 0; i < count; i++) {
        sorted [i] = &t->cells [i];
        in_order = in_order && (i == 0 || strcmp (sorted [i - 1]->name, sorted [i]->name) < 0);
    }
    if (!in_order)
        qsort (sorted, count, sizeof *sorted, s_cell_compare);
    for (size_t i = 0; i < count; i++) {
        s_id_text (&sha1, sorted [i]->name);
        s_id_text (&sha1, sorted [i]->value);
    }
    uint8_t digest [SHA1_DIGEST_SIZE];
    sha1_digest (&sha1, sizeof digest, digest);
    //  Lower-case hex, as sodium writes it.
    memcpy (id, FEED_ID_PREFIX, strlen (FEED_ID_PREFIX));
    sodium_bin2hex (id + strlen (FEED_ID_PREFIX), size - strlen (FEED_ID_PREFIX), digest,
                    sizeof digest);
}

//  The end of the file's bytes: its last line, and a quoted field left
//  open.
static void
s_read_end (feed_t *self)
{
    if (self->pending_cr || self->line_len || self->line_over) {
        self->pending_cr = false;
        s_line_end (self);
    }
    if (self->config.format == FEED_CSV)
        s_csv_eof (self);
}

cibus_err_t
feed_finish (feed_t *self)
{
    if (self->finished || self->fatal)
        return self->fatal;
    s_read_end (self);
    if (!self->fatal && self->config.format == FEED_CSV && !self->have_header)
        s_fatal (self, CIBUS_ERR_USAGE,
                 "the file has no header: a CSV export starts with a "
                 "line naming its columns");
    for (size_t i = 0; i < self->table_count && !self->fatal; i++)
        s_close_table (self, self->tables [i]);
    self->finished = true;
    return self->fatal;
}

//  ---------------------------------------------------------------- in two

//  The part of the file after the split, read on a thread of its own,
//  and what it shares with the feed that groups its rows.
typedef struct s_half_t {
    feed_t *part;
    const char *data;
    size_t size;
    s_events_t *first;   /* its first block of events */
    size_t commit_every; /* bytes of events given at a time, at least */
    size_t read_to;      /* bytes of data read up to its last commit... */
    size_t read_lines;   /* ...and the lines ended by then */
    _Atomic bool stop;   /* the feed will not take its events */
    _Atomic bool waiting; /* the feed waits for events */
    pthread_mutex_t lock;
    pthread_cond_t moved; /* events given, or the part's end */
    bool done;            /* under lock */
} s_half_t;

//  In a part, where a record ends at the end of a line (offset: where
//  the next line starts): give the feed the events so far, once there
//  are enough of them or at the end (all).
static void
s_commit (feed_t *self, size_t offset, bool all)
{
    s_half_t *half = self->half;
    if (atomic_load_explicit (&half->stop, memory_order_relaxed)) {
        self->finished = true; //  feed_push stops: the feed reads this part itself
        return;
    }
    if (!s_between_records (self) || self->fatal
        || (!all && self->events->len - self->committed < half->commit_every))
        return;
    half->read_to = offset;
    half->read_lines = self->line_no;
    self->committed = self->events->len;
    atomic_store (&self->events->committed, self->committed);
    if (atomic_load (&half->waiting)) {
        pthread_mutex_lock (&half->lock);
        pthread_cond_signal (&half->moved);
        pthread_mutex_unlock (&half->lock);
    }
}

static void *
s_half_read (void *arg)
{
    s_half_t *half = arg;
    feed_push (half->part, half->data, half->size);
    s_commit (half->part, half->size, true);
    pthread_mutex_lock (&half->lock);
    half->done = true;
    pthread_cond_signal (&half->moved);
    pthread_mutex_unlock (&half->lock);
    return NULL;
}

//  Replay the part's events as it gives them, until it is done.
static void
s_take_half (feed_t *self, s_half_t *half)
{
    s_events_t *block = half->first;
    size_t at = 0;
    while (block) {
        if (self->fatal) { //  nothing more is read: the part need not go on
            atomic_store (&half->stop, true);
            break;
        }
        size_t committed = atomic_load (&block->committed);
        s_events_t *next = atomic_load (&block->next);
        if (next) //  the block is final: read it to its end
            committed = atomic_load (&block->committed);
        if (at < committed) {
            s_replay (self, block->data + at, block->data + committed);
            at = committed;
            continue;
        }
        if (next) {
            half->first = next;
            free (block);
            block = next;
            at = 0;
            continue;
        }
        pthread_mutex_lock (&half->lock);
        atomic_store (&half->waiting, true);
        bool done = half->done;
        if (!done && atomic_load (&block->committed) == at && !atomic_load (&block->next))
            pthread_cond_wait (&half->moved, &half->lock);
        atomic_store (&half->waiting, false);
        done = half->done;
        pthread_mutex_unlock (&half->lock);
        if (done && atomic_load (&block->committed) == at && !atomic_load (&block->next))
            break;
    }
}

//  Free the part's blocks the feed did not read.
static void
s_half_free (s_half_t *half)
{
    for (s_events_t *block = half->first, *next; block; block = next) {
        next = atomic_load (&block->next);
        free (block);
    }
    half->first = NULL;
    feed_destroy (&half->part);
    pthread_cond_destroy (&half->moved);
    pthread_mutex_destroy (&half->lock);
}

//  Line ends in data, counted as feed_push counts them: LF, CR LF, or a
//  CR alone. data ends with LF.
static size_t
s_line_ends (const char *data, size_t size)
{
    size_t count = 0;
    for (const char *at = data, *end = data + size; at < end; at++)
        if (*at == '\n' || (*at == '\r' && at [1] != '\n'))
            count++;
    return count;
}

//  Whether the feed stands between two records, at the start of a line,
//  its header read: where a part that starts there could take over.
static bool
s_between_records (const feed_t *self)
{
    return !self->fatal && !self->pending_cr && self->line_len == 0 && !self->line_over
           && !self->in_record && (self->config.format != FEED_CSV || self->have_header);
}

//  Read data line by line until the feed stands between records (at
//  once, most often; after the header, at the start of a file); where
//  it stopped.
static size_t
s_read_to_between (feed_t *self, const char *data, size_t size)
{
    size_t at = 0;
    while (at < size && !s_between_records (self) && !self->fatal) {
        const char *lf = memchr (data + at, '\n', size - at);
        size_t next = lf ? (size_t) (lf - data) + 1 : size;
        feed_push (self, data + at, next - at);
        at = next;
    }
    return at;
}

cibus_err_t
feed_read (feed_t *self, const void *bytes, size_t size)
{
    const char *data = bytes;
    size_t split_min = self->config.split_min ? self->config.split_min : FEED_SPLIT_MIN;
    bool small = split_min < FEED_SPLIT_MIN;
    if (self->finished || self->fatal || size < split_min)
        return feed_push (self, data, size);
    size_t start = s_read_to_between (self, data, size);
    //  The part: from the start of a line about a third into the rest (the
    //  feed groups the part's rows as well as reading its own) to the end
    //  of the last whole line, which the feed reads after it.
    size_t mid = start + (size - start) * S_SPLIT_PERCENT / 100;
    const char *lf = start < size ? memchr (data + mid, '\n', size - mid) : NULL;
    const char *last = lf ? memrchr (lf, '\n', (size_t) (data + size - lf)) : NULL;
    if (!lf || last == lf || !s_between_records (self))
        return feed_push (self, data + start, size - start);
    mid = (size_t) (lf - data) + 1;
    size_t cut = (size_t) (last - data) + 1;
    size_t first_line = self->line_no + s_line_ends (data + start, mid - start);
    s_half_t half = {.part = feed_new (&self->config),
                     .data = data + mid,
                     .size = cut - mid,
                     .commit_every = small ? 0 : S_COMMIT_EVERY,
                     .first = s_events_new (small ? S_EVENTS_BLOCK_SMALL : S_EVENTS_BLOCK),
                     .read_lines = first_line};
    pthread_t thread;
    if (!half.part || !half.first || pthread_mutex_init (&half.lock, NULL) != 0) {
        feed_destroy (&half.part);
        free (half.first);
        return feed_push (self, data + start, size - start);
    }
    pthread_cond_init (&half.moved, NULL);
    atomic_init (&half.stop, false);
    atomic_init (&half.waiting, false);
    feed_t *part = half.part;
    part->part = true;
    part->half = &half;
    part->events = half.first;
    part->events_block = small ? S_EVENTS_BLOCK_SMALL : S_EVENTS_BLOCK;
    part->line_no = first_line;
    part->have_header = self->have_header;
    part->header_count = self->header_count;
    for (size_t c = 0; c < feed_map_column_count (self->map); c++)
        part->column_at [c] = self->column_at [c];
    if (pthread_create (&thread, NULL, s_half_read, &half) != 0) {
        s_half_free (&half);
        return feed_push (self, data + start, size - start);
    }
    feed_push (self, data + start, mid - start);
    //  The part's events hold only if the feed ended its own reading
    //  exactly where the part began (not inside a quoted field across the
    //  split); they run to where the part last ended a record, from which
    //  the feed reads on itself: the part's last line, or a quoted field
    //  open at its end.
    bool take = s_between_records (self) && self->line_no == first_line;
    if (take) {
        s_take_half (self, &half);
        self->parts++;
    } else
        atomic_store (&half.stop, true);
    pthread_join (thread, NULL);
    if (take) {
        self->line_no = half.read_lines;
        feed_push (self, data + mid + half.read_to, size - mid - half.read_to);
    } else if (!self->fatal)
        feed_push (self, data + mid, size - mid);
    s_half_free (&half);
    return self->fatal;
}

const char *
feed_table_id (feed_t *self, size_t index)
{
    if (!self->finished || self->fatal || index >= self->table_count)
        return NULL;
    feed_table_t *t = &self->tables [index]->table;
    //  Made outside the lock: a thread holding it is never long in it.
    pthread_mutex_lock (&self->ids);
    bool made = *t->id;
    pthread_mutex_unlock (&self->ids);
    if (!made) {
        char id [FEED_ID_SIZE];
        s_table_id (self, t, id, sizeof id);
        pthread_mutex_lock (&self->ids);
        if (!*t->id)
            memcpy (t->id, id, sizeof id);
        pthread_mutex_unlock (&self->ids);
    }
    return t->id;
}

const char *
feed_error (feed_t *self)
{
    return self->error;
}

size_t
feed_lines (feed_t *self)
{
    return self->line_no;
}

size_t
feed_parts (feed_t *self)
{
    return self->parts;
}

size_t
feed_rows (feed_t *self)
{
    return self->rows;
}

size_t
feed_skipped (feed_t *self)
{
    return self->skipped;
}

size_t
feed_problem_count (feed_t *self)
{
    return self->problem_count;
}

const feed_problem_t *
feed_problem (feed_t *self, size_t index)
{
    return index < self->problem_count ? &self->problems [index] : NULL;
}

size_t
feed_table_count (feed_t *self)
{
    return self->table_count;
}

const feed_table_t *
feed_table (feed_t *self, size_t index)
{
    return index < self->table_count ? &self->tables [index]->table : NULL;
}

cibus_err_t
feed_table_build (const feed_table_t *t, cibus_table_t *out)
{
    const char *fields [][2] = {{"indicator", t->indicator},
                                {"period", t->period},
                                {"unit", t->unit},
                                {"for", t->owner},
                                {"status", t->status},
                                {"source", t->source},
                                {"extracted_on", t->extracted_on}};
    cibus_err_t err = CIBUS_OK;
    for (size_t i = 0; i < sizeof fields / sizeof fields [0] && !err; i++)
        if (fields [i][1])
            err = cibus_table_set (out, fields [i][0], fields [i][1]);
    if (!err && t->total.name)
        err = cibus_table_set_total (out, t->total.value);
    for (size_t i = 0; i < t->cell_count && !err; i++)
        err = cibus_table_add_cell (out, t->cells [i].name, t->cells [i].value);
    return err;
}

void
feed_table_name (const feed_table_t *t, char *text, size_t size)
{
    char indicator [FEED_QUOTE_SIZE], period [FEED_QUOTE_SIZE];
    char owner [FEED_QUOTE_SIZE], unit [FEED_QUOTE_SIZE];
    snprintf (text, size, "%s %s%s%s%s%s", feed_quote (t->indicator, indicator, sizeof indicator),
              feed_quote (t->period, period, sizeof period), t->owner ? " of " : "",
              t->owner ? feed_quote (t->owner, owner, sizeof owner) : "", t->unit ? ", unit " : "",
              t->unit ? feed_quote (t->unit, unit, sizeof unit) : "");
}

void
feed_lines_text (const size_t *lines, size_t count, char *text, size_t size)
{
    size_t used = 0;
    text [0] = 0;
    for (size_t i = 0; i < count && used < size; i++) {
        size_t run = i;
        while (run + 1 < count && lines [run + 1] == lines [run] + 1)
            run++;
        if (run > i)
            used += (size_t) snprintf (text + used, size - used, "%s%zu-%zu", i ? ", " : "",
                                       lines [i], lines [run]);
        else
            used += (size_t) snprintf (text + used, size - used, "%s%zu", i ? ", " : "", lines [i]);
        i = run;
    }
}
