/*  feed_map.c - the mapping of `cibus feed`: parsed from its JSON (see
    feed.h and the README's guide for integrators), and applied to a row
    (see feed_map.h).

    A mapping is made of parts (indicator, period, owner, unit, group,
    size, value, status, source, extracted_on), each a constant or columns
    of the row rewritten by a map or a rule, and of filters. Parsing
    checks every member and names the one that is wrong; applying it
    never fails, it only says what the row is: a cell, skipped, or
    refused with a reason that names the column and quotes the text.

    The order a row is judged in: the filters, then the parts that place
    it in a table (group, owner, indicator, period, unit) - where one that
    skips the row wins over one that refuses it, since a row the mapping
    takes nothing from is no error - then its value and size, then its
    table's status, source and date. A refusal after the parts that place
    it is "keyed": the feed refuses the row's table with it.            */

#include "feed_map.h"

#include "cibus_json.h"
#include "codec.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

//  Columns one part of the mapping may join (a unit from county,
//  district and school code takes three).
#define S_SPEC_COLUMNS 8
#define S_VALUE_MAX    FEED_NAME_SIZE

const char feed_map_default [] =
    "{\"indicator\": {\"column\": \"indicator\"}, \"period\": {\"column\": \"period\"},"
    " \"unit\": {\"column\": \"unit\", \"optional\": true},"
    " \"owner\": {\"column\": \"for\", \"optional\": true},"
    " \"group\": {\"column\": \"cell\", \"unmapped\": \"keep\"},"
    " \"value\": {\"column\": \"value\", \"as\": \"table\"}}";

//  ---------------------------------------------------------------- mapping

typedef enum { S_UNMAPPED_KEEP = 0, S_UNMAPPED_SKIP, S_UNMAPPED_REFUSE } s_unmapped_t;
typedef enum { S_REWRITE_NONE = 0, S_REWRITE_ENDING, S_REWRITE_STARTING } s_rewrite_t;
typedef enum { S_AS_PERCENT = 0, S_AS_NUMERATOR, S_AS_VALUE, S_AS_TABLE } s_as_t;

//  One part of the mapping: a constant, or one or more columns joined,
//  then rewritten by a map or a rule.
typedef struct {
    const char *name; /* its member in the mapping, for messages */
    bool present;
    const char *constant;            /* borrowed from the mapping's JSON */
    size_t columns [S_SPEC_COLUMNS]; /* indexes into feed_map_t.columns */
    size_t column_count;
    const char *join;
    json_t *map;           /* borrowed: an object of string to string, or NULL */
    s_unmapped_t unmapped; /* what a value the map does not list does */
    s_rewrite_t rewrite;
    size_t zero [S_SPEC_COLUMNS]; /* none_when_zero: all zeros here means none */
    size_t zero_count;
    bool optional; /* its columns may be missing: then it is absent */
    char label [160]; /* for messages: 'its column', or "the name"; set once all are read */
    bool constant_ok; /* a constant found good when the mapping was read: no row checks it */
} s_spec_t;

typedef struct {
    size_t column;
    json_t *values; /* an array of strings, owned (a reference) */
    bool exclude;   /* not / not_in */
} s_filter_t;

typedef struct {
    const char *name; /* borrowed from the mapping's JSON */
    bool required;    /* some part needs it, not only optional ones */
} s_column_t;

struct feed_map_t {
    json_t *root;
    s_column_t *columns;
    size_t column_count;
    s_filter_t *filters;
    size_t filter_count;
    s_spec_t indicator, period, owner, unit, group, size, value, status, source, extracted_on;
    s_as_t as;
    json_t *suppressed; /* an array of strings, owned (a reference) */
    const char **hidden; /* its strings, read for every row */
    size_t hidden_count;
};

static bool s_map_fail (char *error, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static bool
s_map_fail (char *error, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (error, size, format, args);
    va_end (args);
    return false;
}

//  The index of a column the mapping reads, added when new.
static bool
s_column (feed_map_t *self, const char *name, bool required, size_t *index)
{
    for (size_t i = 0; i < self->column_count; i++)
        if (strcmp (self->columns [i].name, name) == 0) {
            self->columns [i].required |= required;
            *index = i;
            return true;
        }
    s_column_t *grown = realloc (self->columns, (self->column_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    self->columns = grown;
    self->columns [self->column_count] = (s_column_t){name, required};
    *index = self->column_count++;
    return true;
}

//  A string, or an array of strings, of at most max items: as columns.
static bool
s_columns_of (feed_map_t *self, json_t *value, const char *what, bool required, size_t *columns,
              size_t *count, char *error, size_t size)
{
    *count = 0;
    size_t items = json_is_array (value) ? json_array_size (value) : 1;
    if (!(json_is_string (value) || json_is_array (value)) || items == 0 || items > S_SPEC_COLUMNS)
        return s_map_fail (error, size, "%s must be a column's name or an array of 1 to %d", what,
                           S_SPEC_COLUMNS);
    for (size_t i = 0; i < items; i++) {
        json_t *item = json_is_array (value) ? json_array_get (value, i) : value;
        if (!json_is_string (item) || !*json_string_value (item))
            return s_map_fail (error, size, "%s must name columns, as strings", what);
        if (!s_column (self, json_string_value (item), required, &columns [(*count)++]))
            return s_map_fail (error, size, "out of memory");
    }
    return true;
}

//  One part: a string (a constant) or an object (below). extra: the one
//  member only this part takes ("as", "none_when_zero"), or NULL.
static bool
s_spec_parse (feed_map_t *self, const char *name, const char *extra, s_spec_t *spec, char *error,
              size_t size)
{
    memset (spec, 0, sizeof *spec);
    spec->name = name;
    spec->join = "-";
    spec->unmapped = strcmp (name, "group") == 0 ? S_UNMAPPED_SKIP : S_UNMAPPED_KEEP;
    json_t *json = json_object_get (self->root, name);
    if (!json)
        return true;
    spec->present = true;
    if (json_is_string (json)) {
        spec->constant = json_string_value (json);
        if (!*spec->constant || strlen (spec->constant) >= S_VALUE_MAX)
            return s_map_fail (error, size, "\"%s\" must be 1 to %d bytes", name, CIBUS_MAX_NAME);
        return true;
    }
    if (!json_is_object (json))
        return s_map_fail (error, size,
                           "\"%s\" must be a string (a constant) or an object like "
                           "{\"column\": \"...\"}",
                           name);
    json_t *optional = json_object_get (json, "optional");
    if (optional && !json_is_boolean (optional))
        return s_map_fail (error, size, "\"%s\".optional must be true or false", name);
    spec->optional = json_is_true (optional);
    const char *key;
    json_t *value;
    json_object_foreach (json, key, value)
    {
        char what [96];
        snprintf (what, sizeof what, "\"%s\".%s", name, key);
        if (strcmp (key, "value") == 0) {
            if (!json_is_string (value) || !*json_string_value (value)
                || json_string_length (value) >= S_VALUE_MAX)
                return s_map_fail (error, size, "%s must be a string of 1 to %d bytes", what,
                                   CIBUS_MAX_NAME);
            spec->constant = json_string_value (value);
        } else if (strcmp (key, "column") == 0 || strcmp (key, "columns") == 0) {
            if (spec->column_count)
                return s_map_fail (error, size, "\"%s\" takes \"column\" or \"columns\", not both",
                                   name);
            if (!s_columns_of (self, value, what, !spec->optional, spec->columns,
                               &spec->column_count, error, size))
                return false;
        } else if (strcmp (key, "join") == 0) {
            if (!json_is_string (value))
                return s_map_fail (error, size, "%s must be a string", what);
            spec->join = json_string_value (value);
        } else if (strcmp (key, "map") == 0) {
            const char *from;
            json_t *to;
            if (!json_is_object (value))
                return s_map_fail (error, size,
                                   "%s must be an object of values, like {\"2025\": \"2024-25\"}",
                                   what);
            json_object_foreach (
                value, from,
                to) if (!json_is_string (to)
                        || json_string_length (to)
                               >= S_VALUE_MAX) return s_map_fail (error, size,
                                                                  "%s: \"%.64s\" must map to a "
                                                                  "string of at "
                                                                  "most %d bytes",
                                                                  what, from, CIBUS_MAX_NAME);
            spec->map = value;
        } else if (strcmp (key, "unmapped") == 0) {
            const char *text = json_is_string (value) ? json_string_value (value) : "";
            if (strcmp (text, "keep") == 0)
                spec->unmapped = S_UNMAPPED_KEEP;
            else if (strcmp (text, "skip") == 0)
                spec->unmapped = S_UNMAPPED_SKIP;
            else if (strcmp (text, "refuse") == 0)
                spec->unmapped = S_UNMAPPED_REFUSE;
            else
                return s_map_fail (error, size, "%s must be \"keep\", \"skip\" or \"refuse\"",
                                   what);
        } else if (strcmp (key, "rewrite") == 0) {
            const char *text = json_is_string (value) ? json_string_value (value) : "";
            if (strcmp (text, "school-year-ending") == 0)
                spec->rewrite = S_REWRITE_ENDING;
            else if (strcmp (text, "school-year-starting") == 0)
                spec->rewrite = S_REWRITE_STARTING;
            else
                return s_map_fail (error, size,
                                   "%s must be \"school-year-ending\" (2025 is 2024-25) or "
                                   "\"school-year-starting\" (2024 is 2024-25)",
                                   what);
        } else if (strcmp (key, "optional") == 0)
            ; //  read above: it decides whether the columns are required
        else if (extra && strcmp (key, extra) == 0 && strcmp (key, "none_when_zero") == 0) {
            if (!s_columns_of (self, value, what, !spec->optional, spec->zero, &spec->zero_count,
                               error, size))
                return false;
        } else if (extra && strcmp (key, extra) == 0 && strcmp (key, "as") == 0) {
            const char *text = json_is_string (value) ? json_string_value (value) : "";
            if (strcmp (text, "percent") == 0)
                self->as = S_AS_PERCENT;
            else if (strcmp (text, "numerator") == 0)
                self->as = S_AS_NUMERATOR;
            else if (strcmp (text, "value") == 0)
                self->as = S_AS_VALUE;
            else if (strcmp (text, "table") == 0)
                self->as = S_AS_TABLE;
            else
                return s_map_fail (error, size,
                                   "%s must be \"percent\", \"numerator\", \"value\" or "
                                   "\"table\"",
                                   what);
        } else
            return s_map_fail (error, size,
                               "\"%s\" has no member \"%.64s\": it takes value, column, "
                               "columns, join, map, unmapped, rewrite, optional%s%s",
                               name, key, extra ? " and " : "", extra ? extra : "");
    }
    if (!spec->constant == !spec->column_count)
        return s_map_fail (error, size,
                           "\"%s\" needs \"value\" or \"column\" (or \"columns\"), "
                           "one of them",
                           name);
    if (strcmp (name, "value") == 0 && !json_object_get (json, "as"))
        return s_map_fail (error, size,
                           "\"value\" needs \"as\": \"percent\", \"numerator\", \"value\" or "
                           "\"table\"");
    return true;
}

//  "filters": [{"column": C, "equals": V | "in": [V...] | "not": V | "not_in": [V...]}]
static bool
s_filters_parse (feed_map_t *self, char *error, size_t size)
{
    json_t *filters = json_object_get (self->root, "filters");
    if (!filters)
        return true;
    if (!json_is_array (filters))
        return s_map_fail (error, size,
                           "\"filters\" must be an array like [{\"column\": \"Grade\", "
                           "\"equals\": \"03\"}]");
    self->filters = calloc (json_array_size (filters) + 1, sizeof *self->filters);
    if (!self->filters)
        return s_map_fail (error, size, "out of memory");
    size_t index;
    json_t *filter;
    json_array_foreach (filters, index, filter)
    {
        json_t *column = json_object_get (filter, "column");
        if (!json_is_object (filter) || !json_is_string (column) || json_object_size (filter) != 2)
            return s_map_fail (error, size,
                               "filters[%zu] must be {\"column\": NAME} and one of \"equals\", "
                               "\"in\", \"not\" or \"not_in\"",
                               index);
        s_filter_t *item = &self->filters [self->filter_count++];
        if (!s_column (self, json_string_value (column), true, &item->column))
            return s_map_fail (error, size, "out of memory");
        const char *key;
        json_t *value;
        json_object_foreach (filter, key, value)
        {
            if (strcmp (key, "column") == 0)
                continue;
            bool list = strcmp (key, "in") == 0 || strcmp (key, "not_in") == 0;
            bool one = strcmp (key, "equals") == 0 || strcmp (key, "not") == 0;
            item->exclude = strcmp (key, "not") == 0 || strcmp (key, "not_in") == 0;
            if (one && json_is_string (value)) {
                item->values = json_array ();
                if (!item->values || json_array_append (item->values, value))
                    return s_map_fail (error, size, "out of memory");
            } else if (list && json_is_array (value)) {
                size_t i;
                json_t *text;
                json_array_foreach (value, i, text) if (!json_is_string (text)) return s_map_fail (
                    error, size, "filters[%zu].%s must hold strings", index, key);
                item->values = json_incref (value);
            } else
                return s_map_fail (error, size,
                                   "filters[%zu] takes \"equals\" or \"not\" (a string), or "
                                   "\"in\" or \"not_in\" (an array of strings), not \"%.64s\"",
                                   index, key);
        }
    }
    return true;
}

//  A cell as a group maps to it: total, or KEY=CATEGORY[,KEY=CATEGORY]...
static bool
s_cell_ok (const char *text)
{
    if (strcmp (text, "total") == 0)
        return true;
    const char *at = text;
    while (true) {
        size_t key = strcspn (at, "=,");
        if (key == 0 || at [key] != '=')
            return false;
        at += key + 1;
        size_t value = strcspn (at, "=,");
        if (value == 0 || at [value] == '=')
            return false;
        at += value;
        if (*at == 0)
            return true;
        at++; //  the comma
    }
}

static void s_label_set (const feed_map_t *map, s_spec_t *spec);

feed_map_t *
feed_map_new (const char *text, char *error, size_t size)
{
    feed_map_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, size, "out of memory");
        return NULL;
    }
    json_error_t json_error;
    self->root = json_loads (text, JSON_REJECT_DUPLICATES, &json_error);
    bool ok = true;
    if (!self->root)
        ok = s_map_fail (error, size, "not JSON: line %d, column %d: %s", json_error.line,
                         json_error.column, json_error.text);
    else if (!json_is_object (self->root))
        ok = s_map_fail (error, size,
                         "a mapping is one JSON object (see the README's guide "
                         "for integrators)");
    static const char *const members [] = {"filters",    "indicator", "period", "owner",
                                           "unit",       "group",     "size",   "value",
                                           "suppressed", "status",    "source", "extracted_on"};
    const char *key;
    json_t *value;
    if (ok)
        json_object_foreach (self->root, key, value)
        {
            size_t i = 0;
            while (i < sizeof members / sizeof members [0] && strcmp (members [i], key) != 0)
                i++;
            if (i == sizeof members / sizeof members [0]) {
                ok = s_map_fail (error, size,
                                 "a mapping has no member \"%.64s\": it takes filters, "
                                 "indicator, period, owner, unit, group, size, value, "
                                 "suppressed, status, source and extracted_on",
                                 key);
                break;
            }
        }
    ok = ok && s_filters_parse (self, error, size)
         && s_spec_parse (self, "indicator", NULL, &self->indicator, error, size)
         && s_spec_parse (self, "period", NULL, &self->period, error, size)
         && s_spec_parse (self, "owner", NULL, &self->owner, error, size)
         && s_spec_parse (self, "unit", "none_when_zero", &self->unit, error, size)
         && s_spec_parse (self, "group", NULL, &self->group, error, size)
         && s_spec_parse (self, "size", NULL, &self->size, error, size)
         && s_spec_parse (self, "value", "as", &self->value, error, size)
         && s_spec_parse (self, "status", NULL, &self->status, error, size)
         && s_spec_parse (self, "source", NULL, &self->source, error, size)
         && s_spec_parse (self, "extracted_on", NULL, &self->extracted_on, error, size);
    s_spec_t *specs [] = {&self->indicator, &self->period, &self->owner,  &self->unit,
                          &self->group,     &self->size,   &self->value,  &self->status,
                          &self->source,    &self->extracted_on};
    for (size_t i = 0; ok && i < sizeof specs / sizeof specs [0]; i++)
        s_label_set (self, specs [i]);
    Cibus__ValueStatus status;
    self->status.constant_ok =
        self->status.constant && codec_value_status_parse (self->status.constant, &status);
    self->extracted_on.constant_ok =
        self->extracted_on.constant && codec_is_date (self->extracted_on.constant);
    static const char *const required [] = {"indicator", "period", "group", "value"};
    for (size_t i = 0; ok && i < sizeof required / sizeof required [0]; i++)
        if (!json_object_get (self->root, required [i]))
            ok = s_map_fail (error, size, "a mapping needs \"%s\"", required [i]);
    if (ok && !self->size.present && self->as != S_AS_TABLE)
        ok = s_map_fail (error, size,
                         "a mapping needs \"size\": the column of each row's "
                         "number of people");
    const char *target;
    json_t *cell;
    if (ok && self->group.map)
        json_object_foreach (self->group.map, target,
                             cell) if (!s_cell_ok (json_string_value (cell)))
        {
            ok = s_map_fail (error, size,
                             "\"group\".map: \"%.64s\" maps to \"%.64s\", which is neither "
                             "total nor a cell like race=black",
                             target, json_string_value (cell));
            break;
        }
    if (ok) {
        json_t *suppressed = json_object_get (self->root, "suppressed");
        size_t index;
        json_t *item;
        if (!suppressed)
            self->suppressed = json_pack ("[s]", "*");
        else if (json_is_array (suppressed)) {
            self->suppressed = json_incref (suppressed);
            json_array_foreach (suppressed, index, item) if (!json_is_string (item)) ok =
                s_map_fail (error, size,
                            "\"suppressed\" must be an array of strings, "
                            "like [\"*\", \"\"]");
        } else
            ok = s_map_fail (error, size,
                             "\"suppressed\" must be an array of strings, like "
                             "[\"*\", \"\"]");
    }
    if (ok && self->suppressed) {
        self->hidden_count = json_array_size (self->suppressed);
        self->hidden = calloc (self->hidden_count + 1, sizeof *self->hidden);
        for (size_t i = 0; self->hidden && i < self->hidden_count; i++)
            self->hidden [i] = json_string_value (json_array_get (self->suppressed, i));
        if (!self->hidden)
            ok = s_map_fail (error, size, "out of memory");
    }
    if (!ok)
        feed_map_destroy (&self);
    return self;
}

void
feed_map_destroy (feed_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    feed_map_t *self = *self_p;
    for (size_t i = 0; i < self->filter_count; i++)
        json_decref (self->filters [i].values);
    free (self->filters);
    free (self->columns);
    json_decref (self->suppressed);
    free (self->hidden);
    json_decref (self->root);
    free (self);
    *self_p = NULL;
}

size_t
feed_map_column_count (const feed_map_t *self)
{
    return self->column_count;
}

const char *
feed_map_column (const feed_map_t *self, size_t index, bool *required)
{
    *required = self->columns [index].required;
    return self->columns [index].name;
}

//  See feed_map.h: the file's text, safe for a terminal and for JSON.
const char *
feed_quote (const char *text, char *out, size_t size)
{
    size_t used = 0, len = strlen (text);
    for (size_t i = 0; i < len && i < FEED_QUOTE_MAX && used + 5 < size; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c >= 0x20 && c < 0x7f)
            out [used++] = (char) c;
        else
            used += (size_t) snprintf (out + used, size - used, "\\x%02x", c);
    }
    if (len > FEED_QUOTE_MAX && used + 4 < size)
        used += (size_t) snprintf (out + used, size - used, "...");
    out [used] = 0;
    return out;
}

//  ---------------------------------------------------------------- a row

//  A row being mapped.
typedef struct {
    const feed_map_t *map;
    const char *const *values; /* one per column of the mapping, or NULL */
    feed_row_t *row;
} s_row_t;

typedef enum { S_OK, S_ABSENT, S_SKIP, S_REFUSE } s_eval_t;

static void s_reason (s_row_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_reason (s_row_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->row->reason, sizeof self->row->reason, format, args);
    va_end (args);
}

//  The label of a part's value in a message: its column, or its name.
//  Made once per mapping: the messages of a row take it from the spec.
static void
s_label_set (const feed_map_t *map, s_spec_t *spec)
{
    char *out = spec->label;
    size_t size = sizeof spec->label, used = 0;
    if (spec->column_count == 1) {
        used = text_put (out, size, used, "'");
        used = text_put (out, size, used, map->columns [spec->columns [0]].name);
        text_put (out, size, used, "'");
    } else
        text_put (out, size, text_put (out, size, 0, "the "), spec->name);
}

//  A part's value for the row into out: OK, ABSENT (not mapped, a
//  missing optional column, none_when_zero), SKIP (the map does not list
//  it and says skip), or REFUSE (the reason is set).
static s_eval_t
s_eval (s_row_t *self, const s_spec_t *spec, char *out, size_t size)
{
    char quoted [FEED_QUOTE_SIZE];
    *out = 0;
    if (!spec->present)
        return S_ABSENT;
    if (spec->constant) {
        text_put (out, size, 0, spec->constant);
        return S_OK;
    }
    if (spec->zero_count) {
        bool zero = true;
        for (size_t i = 0; i < spec->zero_count && zero; i++) {
            const char *value = self->values [spec->zero [i]];
            zero = value && *value && value [strspn (value, "0")] == 0;
        }
        if (zero)
            return S_ABSENT;
    }
    size_t used = 0;
    for (size_t i = 0; i < spec->column_count; i++) {
        const char *value = self->values [spec->columns [i]];
        if (!value)
            return S_ABSENT;
        const char *join = i ? spec->join : "";
        size_t join_len = i ? strlen (join) : 0, len = strlen (value);
        if (used + join_len + len >= size) {
            s_reason (self, "%s is over %d bytes, the most a name may have",
                      spec->label, CIBUS_MAX_NAME);
            return S_REFUSE;
        }
        memcpy (out + used, join, join_len);
        memcpy (out + used + join_len, value, len + 1);
        used += join_len + len;
    }
    if (spec->map) {
        json_t *to = json_object_get (spec->map, out);
        if (to) {
            text_put (out, size, 0, json_string_value (to));
            return S_OK;
        }
        if (spec->unmapped == S_UNMAPPED_SKIP)
            return S_SKIP;
        if (spec->unmapped == S_UNMAPPED_REFUSE) {
            s_reason (self, "%s is '%s', which the mapping's \"%s\".map does not list",
                      spec->label,
                      feed_quote (out, quoted, sizeof quoted), spec->name);
            return S_REFUSE;
        }
    }
    if (spec->rewrite) {
        bool year = strlen (out) == 4 && strspn (out, "0123456789") == 4;
        int from = year ? atoi (out) : 0;
        if (!year || from < 1 || from > 9998) {
            s_reason (self, "%s is '%s': expected a year like 2025",
                      spec->label,
                      feed_quote (out, quoted, sizeof quoted));
            return S_REFUSE;
        }
        int start = spec->rewrite == S_REWRITE_ENDING ? from - 1 : from;
        snprintf (out, size, "%04d-%02d", start, (start + 1) % 100);
    }
    return S_OK;
}

static bool
s_suppressed (const feed_map_t *map, const char *text)
{
    for (size_t i = 0; i < map->hidden_count; i++)
        if (map->hidden [i][0] == text [0] && strcmp (map->hidden [i], text) == 0)
            return true;
    return false;
}

//  A whole number of people: digits only, that fit.
static bool
s_count (const char *text, uint64_t *value)
{
    if (!*text || text [strspn (text, "0123456789")] != 0 || strlen (text) > 15)
        return false;
    *value = strtoull (text, NULL, 10);
    return true;
}

//  A percentage as a state writes it: 61.7, 61.70, 62, 61.7% (no sign, no
//  exponent). decimals: how many it states, at most S_PERCENT_DECIMALS.
#define S_PERCENT_DECIMALS 9
static bool
s_percent (const char *text, double *value, int *decimals)
{
    size_t whole = strspn (text, "0123456789");
    const char *at = text + whole;
    size_t fraction = 0;
    if (*at == '.') {
        fraction = strspn (at + 1, "0123456789");
        at += 1 + fraction;
    }
    if (*at == '%')
        at++;
    if (*at || whole + fraction == 0 || whole > 6 || fraction > S_PERCENT_DECIMALS)
        return false;
    *value = strtod (text, NULL);
    *decimals = (int) fraction;
    return true;
}

//  A value of a count, score or currency: a decimal number.
static bool
s_decimal (const char *text)
{
    const char *at = text + (*text == '-');
    size_t whole = strspn (at, "0123456789");
    at += whole;
    size_t fraction = 0;
    if (*at == '.') {
        fraction = strspn (at + 1, "0123456789");
        at += 1 + fraction;
    }
    return *at == 0 && whole + fraction > 0 && whole <= 15;
}

//  The row's cell value, in the forms of cibus_table_add_cell, into out.
//  false: refused (the reason is set); *empty: the group has no one in
//  it (size 0), so the row is skipped.
static bool
s_cell_value (s_row_t *self, cibus_table_t *scratch, char *out, size_t size, bool *empty)
{
    const feed_map_t *map = self->map;
    char value [S_VALUE_MAX], count [S_VALUE_MAX];
    char quoted [FEED_QUOTE_SIZE];
    *empty = false;
    s_eval_t got = s_eval (self, &map->value, value, sizeof value);
    if (got == S_REFUSE)
        return false;
    const char *label = map->value.label;
    if (got != S_OK) {
        s_reason (self, "%s is missing", label);
        return false;
    }
    if (map->as == S_AS_TABLE) {
        if (cibus_table_set_total (scratch, value) != CIBUS_OK) {
            s_reason (self, "%s: %s", label, cibus_table_error (scratch));
            return false;
        }
        text_put (out, size, 0, value);
        return true;
    }
    got = s_eval (self, &map->size, count, sizeof count);
    if (got == S_REFUSE)
        return false;
    const char *size_label = map->size.label;
    if (got != S_OK) {
        s_reason (self, "%s is missing", size_label);
        return false;
    }
    uint64_t people = 0;
    bool size_hidden = s_suppressed (map, count);
    if (!size_hidden && !s_count (count, &people)) {
        s_reason (self, "%s is '%s': not a whole number of people", size_label,
                  feed_quote (count, quoted, sizeof quoted));
        return false;
    }
    if (!size_hidden && people == 0) {
        *empty = true;
        return true;
    }
    const char *sep = map->as == S_AS_VALUE ? "@" : "/";
    if (s_suppressed (map, value)) {
        if (size_hidden)
            snprintf (out, size, "*");
        else
            snprintf (out, size, "*%s%llu", sep, (unsigned long long) people);
        return true;
    }
    //  A group whose size the source hid is hidden: its value alone
    //  cannot be sent (a percent needs its size).
    if (size_hidden) {
        snprintf (out, size, "*");
        return true;
    }
    if (map->as == S_AS_VALUE) {
        if (!s_decimal (value)) {
            s_reason (self, "%s is '%s': not a number like 310.5", label,
                      feed_quote (value, quoted, sizeof quoted));
            return false;
        }
        size_t used = text_put (out, size, 0, value);
        text_put_count (out, size, text_put (out, size, used, "@"), people);
        return true;
    }
    uint64_t numerator;
    if (map->as == S_AS_NUMERATOR) {
        if (!s_count (value, &numerator)) {
            s_reason (self, "%s is '%s': not a whole number of people", label,
                      feed_quote (value, quoted, sizeof quoted));
            return false;
        }
        if (numerator > people) {
            s_reason (self, "%s is %llu, more than the %llu people of %s", label,
                      (unsigned long long) numerator, (unsigned long long) people, size_label);
            return false;
        }
    } else {
        double percent;
        int decimals;
        if (!s_percent (value, &percent, &decimals)) {
            s_reason (self, "%s is '%s': not a percentage like 61.7", label,
                      feed_quote (value, quoted, sizeof quoted));
            return false;
        }
        if (percent > 100) {
            s_reason (self, "%s is %s: a percentage is at most 100", label, value);
            return false;
        }
        //  The nearest whole person; the percentage it gives must round
        //  to the one stated, at the precision stated (61.7 is 61.65 to
        //  61.75), or no whole number of people is what the file says.
        numerator = (uint64_t) floor (percent * (double) people / 100.0 + 0.5);
        double back = 100.0 * (double) numerator / (double) people;
        static const double s_half_unit [] = {0.5,    0.05,    0.005,    5e-4,    5e-5,
                                              5e-6,   5e-7,    5e-8,     5e-9,    5e-10};
        _Static_assert (sizeof s_half_unit / sizeof s_half_unit [0] == S_PERCENT_DECIMALS + 1,
                        "a half unit for every number of decimals s_percent takes");
        double tolerance = s_half_unit [decimals] + 1e-9;
        if (fabs (back - percent) > tolerance) {
            s_reason (self,
                      "%s is %s %% of the %llu in %s: no whole number of people gives it "
                      "(%llu of %llu is %.*f %%)",
                      label, value, (unsigned long long) people, size_label,
                      (unsigned long long) numerator, (unsigned long long) people, decimals + 1,
                      back);
            return false;
        }
    }
    size_t used = text_put_count (out, size, 0, numerator);
    text_put_count (out, size, text_put (out, size, used, "/"), people);
    return true;
}

//  The parts that place a row in a table: group, owner, indicator, period
//  and unit. false when the row is skipped or refused (kind set).
static bool
s_place (s_row_t *self, const char *owner)
{
    const feed_map_t *map = self->map;
    feed_row_t *row = self->row;
    const s_spec_t *specs [] = {&map->group, &map->owner, &map->indicator, &map->period,
                                &map->unit};
    char *texts [] = {row->group, row->owner, row->indicator, row->period, row->unit};
    char refusal [sizeof row->reason] = "", quoted [FEED_QUOTE_SIZE];
    s_eval_t got [5];
    for (size_t i = 0; i < 5; i++) {
        if (i == 1 && owner) {
            text_put (row->owner, sizeof row->owner, 0, owner);
            got [i] = S_OK;
            continue;
        }
        got [i] = s_eval (self, specs [i], texts [i], S_VALUE_MAX);
        if (got [i] == S_SKIP) {
            row->kind = FEED_ROW_SKIPPED;
            return false;
        }
        if (got [i] == S_REFUSE && !*refusal)
            snprintf (refusal, sizeof refusal, "%s", row->reason);
    }
    //  Group, indicator and period may not be empty; owner and unit then
    //  mean none.
    for (size_t i = 0; i < 5 && !*refusal; i++)
        if ((i == 0 || i == 2 || i == 3) && (got [i] != S_OK || !*texts [i]))
            snprintf (refusal, sizeof refusal, "%s is %s",
                      specs [i]->label,
                      got [i] == S_OK ? "empty" : "missing");
    if (!*refusal && !s_cell_ok (row->group))
        snprintf (refusal, sizeof refusal,
                  "%s gives '%s', which is neither total nor a cell like race=black",
                  map->group.label,
                  feed_quote (row->group, quoted, sizeof quoted));
    if (*refusal) {
        snprintf (row->reason, sizeof row->reason, "%s", refusal);
        row->kind = FEED_ROW_REFUSED;
        return false;
    }
    row->has_owner = got [1] == S_OK && *row->owner;
    row->has_unit = got [4] == S_OK && *row->unit;
    row->group_label = map->group.label;
    return true;
}

//  The table's status, source and extraction date, as this row gives them.
static bool
s_provenance (s_row_t *self)
{
    const feed_map_t *map = self->map;
    const s_spec_t *specs [] = {&map->status, &map->source, &map->extracted_on};
    char *texts [] = {self->row->status, self->row->source, self->row->extracted_on};
    for (size_t i = 0; i < 3; i++) {
        char quoted [FEED_QUOTE_SIZE];
        s_eval_t got = s_eval (self, specs [i], texts [i], S_VALUE_MAX);
        if (got == S_REFUSE)
            return false;
        if (got != S_OK)
            *texts [i] = 0;
        Cibus__ValueStatus status;
        if (*texts [i] && !specs [i]->constant_ok
            && ((i == 0 && !codec_value_status_parse (texts [i], &status))
                || (i == 2 && !codec_is_date (texts [i])))) {
            s_reason (self, "%s is '%s': expected %s",
                      specs [i]->label,
                      feed_quote (texts [i], quoted, sizeof quoted),
                      i == 0 ? "final, provisional or estimated" : "a date like 2025-10-01");
            return false;
        }
    }
    return true;
}

void
feed_map_row (const feed_map_t *self, const char *const *values, const char *owner,
              cibus_table_t *scratch, feed_row_t *row)
{
    s_row_t context = {self, values, row};
    row->kind = FEED_ROW_CELL;
    row->keyed = false;
    row->reason [0] = 0;
    for (size_t i = 0; i < self->filter_count; i++) {
        const s_filter_t *filter = &self->filters [i];
        const char *value = values [filter->column] ? values [filter->column] : "";
        bool listed = false;
        size_t index;
        json_t *item;
        json_array_foreach (filter->values, index, item) listed |=
            strcmp (json_string_value (item), value) == 0;
        if (listed == filter->exclude) {
            row->kind = FEED_ROW_SKIPPED;
            return;
        }
    }
    if (!s_place (&context, owner))
        return;
    bool empty;
    row->keyed = true;
    if (!s_cell_value (&context, scratch, row->value, sizeof row->value, &empty))
        row->kind = FEED_ROW_REFUSED;
    else if (empty)
        row->kind = FEED_ROW_SKIPPED;
    else if (!s_provenance (&context))
        row->kind = FEED_ROW_REFUSED;
}
