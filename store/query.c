/*  query.c - questions answered from the projections, as tables.

    Design
    ------
    An answer is built as generated protobuf-c structs, allocated here with
    malloc and freed by store_answer_free's own walk (never by protobuf-c,
    whose free_unpacked expects its own allocation). Each kind reads its
    rows with a statement prepared once, and filters them in C for the
    reader: the reader's networks are a short list, and every row passes
    through the same two gates, query_reads() for access and
    query_value_disclose() for the decision stored with the table when it
    was appended (tables.c), so no kind can forget one and no kind decides
    anything of its own. A value hidden from the reader is the text "*", a
    coded one its range ("<=5"); so is anything computed from it (a change
    is "*"), and it never enters an aggregate (a gap). A superseded
    version's values are for those who see the table whole.

    The report, the longest kind, lives in report.c.                      */

#include "query_internal.h"
#include "tables.h"

#include "log.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_sql [QUERY__COUNT] = {
    [QUERY_INDICATORS] = "SELECT i.version, l.envelope FROM indicators i "
                         "JOIN log l ON l.seq = i.seq WHERE i.version = "
                         "(SELECT MAX (j.version) FROM indicators j WHERE j.id = i.id) "
                         "ORDER BY i.id",
    [QUERY_VALUES] = "SELECT seq, partner, network, period, dim_count, dim_key, dim_value, "
                     "value, n, unit, status, mark, low, high, size_shown, numerator, "
                     "denominator FROM data_values "
                     "WHERE current = 1 AND ikey = ?2 AND indicator = ?1 AND dim_count <= 1",
    [QUERY_COMMITMENTS] = "SELECT id, owner, network, action, due, status, "
                          "strftime ('%Y-%m-%d', updated_at / 1000000, 'unixepoch') "
                          "FROM commitments ORDER BY due, id",
    //  The decisions are read and joined only for the notes the reader may
    //  see (query_decisions): reading them for every note made a question
    //  about one network cost as much as the whole log.
    [QUERY_NOTES] = "SELECT held_on, partner, network, title, seq, id "
                    "FROM notes WHERE held_on >= ?1 AND held_on <= ?2 ORDER BY held_on, seq",
    [QUERY_NOTE_DECISIONS] = "SELECT group_concat (j.value, '; ') "
                             "FROM notes n, json_each (n.decisions) j WHERE n.seq = ?",
    //  The decisions of the note at seq ?1, each with the commitments that
    //  came from it (or none), then the commitments that came from the
    //  note without naming a decision (report_decisions.c).
    [QUERY_NOTE_COMMITMENTS] =
        "SELECT n.id, j.key + 1, j.value, c.id, c.owner, c.due, c.status, 0 "
        "FROM notes n, json_each (n.decisions) j LEFT JOIN commitments c "
        "ON c.network = n.network AND c.from_note = n.id AND c.decision = j.key + 1 "
        "WHERE n.seq = ?1 "
        "UNION ALL SELECT n.id, NULL, NULL, c.id, c.owner, c.due, c.status, 1 "
        "FROM notes n JOIN commitments c ON c.network = n.network AND c.from_note = n.id "
        "AND c.decision IS NULL WHERE n.seq = ?1 "
        "ORDER BY 8, 2, 6, 4",
    [QUERY_SUBMITTED] = "SELECT partner, network, COUNT (*) FROM data_values "
                        "WHERE current = 1 AND (?2 IS NULL OR network = ?2) "
                        "AND cibus_period_within (period, ?1) "
                        "GROUP BY partner, network ORDER BY partner, network",
    [QUERY_HISTORY] = "SELECT seq, partner, network, period, dim_count, dim_key, dim_value, "
                      "value, n, unit, status, received_at, current, mark, low, high, "
                      "size_shown, version, publisher "
                      "FROM data_values WHERE ikey = ?2 AND indicator = ?1 AND dim_count <= 1 "
                      "ORDER BY period, dim_key, dim_value, partner, unit, seq",
    //  The units tagged with a practice, each unit's earliest start first
    //  (brightspots.c).
    [QUERY_PRACTICES] = "SELECT network, unit, since, until FROM practices WHERE practice = ? "
                        "ORDER BY unit, since, network",
};

//  cibus_period_within (period, outer): whether a period lies within
//  another (2026-Q3 within 2026-27; 2026-09-15 within 2026-09).
static void
s_period_within (sqlite3_context *context, int argc, sqlite3_value **argv)
{
    (void) argc;
    char start [QUERY_DATE_SIZE], end [QUERY_DATE_SIZE];
    char outer_start [QUERY_DATE_SIZE], outer_end [QUERY_DATE_SIZE];
    const char *period = (const char *) sqlite3_value_text (argv [0]);
    const char *outer = (const char *) sqlite3_value_text (argv [1]);
    bool within = query_period_range (period, start, end)
                  && query_period_range (outer, outer_start, outer_end)
                  && strcmp (start, outer_start) >= 0 && strcmp (end, outer_end) <= 0;
    sqlite3_result_int (context, within);
}

cibus_err_t
query_prepare (store_t *self)
{
    if (sqlite3_create_function_v2 (self->db, "cibus_period_within", 2,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, s_period_within,
                                    NULL, NULL, NULL)
        != SQLITE_OK)
        return store_fail (self, "create-function");
    return store_prepare_all (self, self->query, s_sql, QUERY__COUNT);
}

void
query_finalize (store_t *self)
{
    store_finalize_all (self->query, QUERY__COUNT);
}

//  ------------------------------------------------------------ the builder

//  Bytes of protobuf framing counted for each string, cell and row (a tag
//  and a length, generously): the answer is measured as it grows, and the
//  building stops once it would not fit in a frame, so a question about a
//  large log costs at most a frame's worth of memory, never the log's.
#define S_WIRE_OVERHEAD 6

static bool
s_count (query_t *q, size_t bytes)
{
    q->bytes += bytes + S_WIRE_OVERHEAD;
    if (q->bytes > CIBUS_MAX_FRAME)
        q->full = q->nomem = true;
    return !q->full;
}

static char *
s_strdup (query_t *q, const char *text)
{
    if (!s_count (q, text ? strlen (text) : 0))
        return NULL;
    char *copy = strdup (text ? text : "");
    if (!copy)
        q->nomem = true;
    return copy;
}

//  Grow an array of pointers by one slot; false (and nomem) on failure.
static bool
s_grow (query_t *q, void ***array, size_t count)
{
    void **grown = realloc (*array, (count + 1) * sizeof (void *));
    if (!grown) {
        q->nomem = true;
        return false;
    }
    *array = grown;
    return true;
}

store_table_t *
query_table (query_t *q, const char *title, const char *const *columns, size_t count)
{
    store_table_t *table = q->nomem ? NULL : malloc (sizeof *table);
    if (!table || !s_grow (q, (void ***) &q->reply->tables, q->reply->n_tables)) {
        free (table);
        q->nomem = true;
        return NULL;
    }
    *table = (store_table_t) {0};
    q->reply->tables [q->reply->n_tables++] = table;
    table->title = s_strdup (q, title);
    table->columns = calloc (count ? count : 1, sizeof (char *));
    if (!table->columns)
        q->nomem = true;
    for (size_t i = 0; table->columns && i < count; i++)
        if ((table->columns [i] = s_strdup (q, columns [i])))
            table->n_columns++;
    return q->nomem ? NULL : table;
}

store_row_t *
query_row (query_t *q, store_table_t *table)
{
    if (!table || q->nomem || !s_count (q, 0))
        return NULL;
    store_row_t *row = malloc (sizeof *row);
    if (!row || !s_grow (q, (void ***) &table->rows, table->n_rows)) {
        free (row);
        q->nomem = true;
        return NULL;
    }
    *row = (store_row_t) {0};
    table->rows [table->n_rows++] = row;
    return row;
}

static store_cell_t *
s_cell (query_t *q, store_row_t *row)
{
    if (!row || q->nomem || !s_count (q, 0))
        return NULL;
    store_cell_t *cell = malloc (sizeof *cell);
    if (!cell || !s_grow (q, (void ***) &row->cells, row->n_cells)) {
        free (cell);
        q->nomem = true;
        return NULL;
    }
    *cell = (store_cell_t) {0};
    row->cells [row->n_cells++] = cell;
    return cell;
}

void
query_text (query_t *q, store_row_t *row, const char *text)
{
    store_cell_t *cell = s_cell (q, row);
    if (cell)
        cell->text = s_strdup (q, text);
}

void
query_number (query_t *q, store_row_t *row, double number)
{
    store_cell_t *cell = s_cell (q, row);
    if (cell) {
        cell->has_number = true;
        cell->number = number;
    }
}

void
query_empty (query_t *q, store_row_t *row)
{
    s_cell (q, row);
}

void
store_answer_free (store_answer_t *reply)
{
    if (!reply)
        return;
    for (size_t t = 0; t < reply->n_tables; t++) {
        store_table_t *table = reply->tables [t];
        for (size_t c = 0; c < table->n_columns; c++)
            free (table->columns [c]);
        for (size_t r = 0; r < table->n_rows; r++) {
            store_row_t *row = table->rows [r];
            for (size_t c = 0; c < row->n_cells; c++) {
                free (row->cells [c]->text);
                free (row->cells [c]);
            }
            free (row->cells);
            free (row);
        }
        free (table->rows);
        free (table->columns);
        free (table->title);
        free (table);
    }
    free (reply->tables);
    free (reply);
}

//  ------------------------------------------------------------ shared helpers

cibus_err_t
query_store_problem (codec_problem_t *problem)
{
    return codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                              "the store could not answer; see the broker's log");
}

bool
query_reads (const query_t *q, const char *network)
{
    if (!network || (q->network && strcmp (network, q->network) != 0))
        return false;
    return store_may_read (q->reader, network);
}

bool
query_indicator_visible (const query_t *q, const Cibus__IndicatorDefinition *def)
{
    if (def->n_networks == 0)
        return q->network || q->reader->role == ROLE_BACKBONE || q->reader->network_count > 0;
    for (size_t i = 0; i < def->n_networks; i++)
        if (query_reads (q, def->networks [i]))
            return true;
    return false;
}

bool
query_target (const Cibus__IndicatorDefinition *def, const char *period, double *value)
{
    const Cibus__Milestone *chosen = query_target_milestone (def, period);
    if (chosen)
        *value = chosen->value;
    return chosen != NULL;
}

const Cibus__Milestone *
query_target_milestone (const Cibus__IndicatorDefinition *def, const char *period)
{
    const Cibus__Milestone *next = NULL, *last = NULL, *first = NULL;
    for (size_t i = 0; i < def->n_targets; i++) {
        const Cibus__Milestone *target = def->targets [i];
        if (!target->period || !target->has_value)
            continue;
        if (!first || strcmp (target->period, first->period) < 0)
            first = target;
        if (!last || strcmp (target->period, last->period) > 0)
            last = target;
        if (period && strcmp (target->period, period) >= 0
            && (!next || strcmp (target->period, next->period) < 0))
            next = target;
    }
    return !period ? first : next ? next : last;
}

bool
query_period_range (const char *period, char *start, char *end)
{
    if (!period)
        return false;
    int year = atoi (period);
    if (codec_period_is (period, CIBUS__PERIOD_KIND__SCHOOL_YEAR)) {
        snprintf (start, QUERY_DATE_SIZE, "%04d-07-01", year);
        snprintf (end, QUERY_DATE_SIZE, "%04d-06-31", year + 1);
    }
    else if (codec_period_is (period, CIBUS__PERIOD_KIND__QUARTER)) {
        int quarter = period [6] - '0';
        snprintf (start, QUERY_DATE_SIZE, "%04d-%02d-01", year, 3 * quarter - 2);
        snprintf (end, QUERY_DATE_SIZE, "%04d-%02d-31", year, 3 * quarter);
    }
    else if (codec_period_is (period, CIBUS__PERIOD_KIND__MONTH)) {
        snprintf (start, QUERY_DATE_SIZE, "%.7s-01", period);
        snprintf (end, QUERY_DATE_SIZE, "%.7s-31", period);
    }
    else if (codec_period_is (period, CIBUS__PERIOD_KIND__DATE)) {
        snprintf (start, QUERY_DATE_SIZE, "%s", period);
        snprintf (end, QUERY_DATE_SIZE, "%s", period);
    }
    else
        return false;
    return true;
}

double
query_round (double number)
{
    return round (number * 1e6) / 1e6;
}

void
query_value_release (query_value_t *value)
{
    free (value->partner);
    free (value->network);
    free (value->period);
    free (value->dim_key);
    free (value->dim_value);
    memset (value, 0, sizeof *value);
}

void
query_values_release (query_values_t *values)
{
    for (size_t i = 0; i < values->count; i++)
        query_value_release (&values->items [i]);
    free (values->items);
    values->items = NULL;
    values->count = 0;
}

static char *
s_column_strdup (query_t *q, sqlite3_stmt *stmt, int column)
{
    if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
        return NULL;
    return s_strdup (q, (const char *) sqlite3_column_text (stmt, column));
}

//  Who reported a value: the owner, or "owner/unit" for a unit under it.
static char *
s_owner_unit (query_t *q, sqlite3_stmt *stmt, int owner, int unit)
{
    const char *name = (const char *) sqlite3_column_text (stmt, owner);
    const char *under = (const char *) sqlite3_column_text (stmt, unit);
    char text [2 * CIBUS_MAX_NAME + 2];
    snprintf (text, sizeof text, "%s%s%s", name ? name : "", under && *under ? "/" : "",
              under ? under : "");
    return s_strdup (q, text);
}

bool
query_sees_whole (const query_t *q, const char *owner)
{
    return q->reader->role == ROLE_BACKBONE || (owner && strcmp (owner, q->reader->name) == 0);
}

void
query_value_disclose (const query_t *q, query_value_t *value, int mark, double low, double high,
                      bool size_shown, bool current)
{
    //  value->partner may be "owner/unit": the owner is what comes before '/'.
    char owner [CIBUS_MAX_NAME + 1];
    snprintf (owner, sizeof owner, "%s", value->partner ? value->partner : "");
    char *slash = strchr (owner, '/');
    if (slash)
        *slash = 0;
    if (query_sees_whole (q, owner))
        return;
    value->hidden = !current || mark != 0;
    if (value->hidden) //  nothing computed from it may show what it hides
        value->has_counts = false, value->numerator = value->denominator = 0;
    value->coded = current && mark == 3;
    value->low = low;
    value->high = high;
    if (!current || (!size_shown && mark != 0))
        value->has_n = false, value->n = 0;
}

void
query_value_cell (query_t *q, store_row_t *row, const query_value_t *value, int unit)
{
    if (value->coded) {
        double scale = unit == CIBUS__UNIT__RATE ? 0.01 : 1;
        char text [32];
        if (value->low <= 0)
            snprintf (text, sizeof text, "<=%g", value->high * scale);
        else
            snprintf (text, sizeof text, ">=%g", value->low * scale);
        query_text (q, row, text);
    } else if (value->hidden)
        query_text (q, row, "*");
    else if (value->has_value)
        query_number (q, row, value->value);
    else
        query_empty (q, row);
}

//  Whether a row of QUERY_VALUES belongs to the cells asked for.
static bool
s_cells_match (sqlite3_stmt *stmt, query_cells_t cells, const char *by)
{
    bool total = sqlite3_column_int (stmt, 4) == 0;
    const char *key = (const char *) sqlite3_column_text (stmt, 5);
    switch (cells) {
        case QUERY_CELLS_TOTALS:
            return total;
        case QUERY_CELLS_BY:
            return total || (key && by && strcmp (key, by) == 0);
        default:
            return !total;
    }
}

cibus_err_t
query_values_read (query_t *q, const char *indicator, query_cells_t cells, const char *by,
                   query_values_t *out)
{
    memset (out, 0, sizeof *out);
    sqlite3_stmt *stmt = q->store->query [QUERY_VALUES];
    int64_t ikey;
    if (tables_name_key (q->store, &indicator, 1, &ikey)) {
        q->nomem = true;
        return CIBUS_ERR_NOMEM;
    }
    sqlite3_bind_text (stmt, 1, indicator, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, ikey);
    size_t capacity = 0;
    int rc = SQLITE_DONE;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (!query_reads (q, (const char *) sqlite3_column_text (stmt, 2))
            || !s_cells_match (stmt, cells, by))
            continue;
        if (out->count == capacity) {
            size_t grown_capacity = capacity ? 2 * capacity : 16;
            query_value_t *grown = realloc (out->items, grown_capacity * sizeof *grown);
            if (!grown) {
                q->nomem = true;
                break;
            }
            out->items = grown;
            capacity = grown_capacity;
        }
        query_value_t *value = &out->items [out->count++];
        memset (value, 0, sizeof *value);
        value->seq = sqlite3_column_int64 (stmt, 0);
        value->partner = s_owner_unit (q, stmt, 1, 9);
        value->network = s_column_strdup (q, stmt, 2);
        value->period = s_column_strdup (q, stmt, 3);
        value->dim_key = s_column_strdup (q, stmt, 5);
        value->dim_value = s_column_strdup (q, stmt, 6);
        value->has_value = sqlite3_column_type (stmt, 7) != SQLITE_NULL;
        value->value = sqlite3_column_double (stmt, 7);
        value->has_n = sqlite3_column_type (stmt, 8) != SQLITE_NULL;
        value->n = (uint64_t) sqlite3_column_int64 (stmt, 8);
        value->status = sqlite3_column_int (stmt, 10);
        value->has_counts = sqlite3_column_type (stmt, 15) != SQLITE_NULL
                            && sqlite3_column_type (stmt, 16) != SQLITE_NULL;
        value->numerator = sqlite3_column_double (stmt, 15);
        value->denominator = sqlite3_column_double (stmt, 16);
        query_value_disclose (q, value, sqlite3_column_int (stmt, 11),
                              sqlite3_column_double (stmt, 12), sqlite3_column_double (stmt, 13),
                              sqlite3_column_int (stmt, 14) != 0, true);
        if (q->nomem)
            break;
    }
    cibus_err_t err = CIBUS_OK;
    if (q->nomem)
        err = CIBUS_ERR_NOMEM;
    else if (rc != SQLITE_DONE)
        err = store_fail (q->store, "query-values");
    store_reset (stmt);
    if (err)
        query_values_release (out);
    return err;
}

//  ------------------------------------------------------------ indicators

static void
s_join_cell (query_t *q, store_row_t *row, char *const *items, size_t count, const char *none)
{
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen (items [i]) + 2;
    char *text = malloc (size);
    if (!text) {
        q->nomem = true;
        return;
    }
    text [0] = 0;
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat (text, ", ");
        strcat (text, items [i]);
    }
    query_text (q, row, count ? text : none);
    free (text);
}

void
query_number_or_empty (query_t *q, store_row_t *row, bool has, double number)
{
    if (has)
        query_number (q, row, number);
    else
        query_empty (q, row);
}

static cibus_err_t
s_indicators (query_t *q, codec_problem_t *problem)
{
    static const char *const columns [] = {
        "indicator", "name", "unit",    "direction", "period",   "min",
        "max",       "dimensions", "baseline", "targets", "networks", "version"};
    store_table_t *table = query_table (q, "indicators", columns, 12);
    sqlite3_stmt *stmt = q->store->query [QUERY_INDICATORS];
    int rc = SQLITE_DONE;
    cibus_err_t err = CIBUS_OK;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        envelope_t *env = codec_envelope_decode (sqlite3_column_blob (stmt, 1),
                                                 (size_t) sqlite3_column_bytes (stmt, 1));
        if (!env || env->body_case != CIBUS__ENVELOPE__BODY_INDICATOR) {
            codec_envelope_free (env);
            log_value_t db;
            log_error ("event=store-corrupt db=\"%s\" error=\"an indicator's log entry is "
                       "not a definition\"",
                       log_escape (&db, store_path (q->store)));
            err = CIBUS_ERR_STORE;
            break;
        }
        const Cibus__IndicatorDefinition *def = env->indicator;
        store_row_t *row = query_row (q, table);
        query_text (q, row, def->indicator);
        query_text (q, row, def->name);
        query_text (q, row, codec_unit_name (def->unit));
        query_text (q, row, codec_direction_name (def->direction));
        query_text (q, row, codec_period_kind_name (def->period_kind));
        query_number_or_empty (q, row, def->has_min, def->min);
        query_number_or_empty (q, row, def->has_max, def->max);
        //  Each dimension, with its categories when the catalogue lists
        //  them and its reference group when it names one:
        //  "race=asian|black|hispanic|white (reference white), grade".
        char *dimensions = NULL;
        size_t dimensions_size = 0;
        FILE *listing = open_memstream (&dimensions, &dimensions_size);
        for (size_t i = 0; listing && i < def->n_dimensions; i++) {
            fprintf (listing, "%s%s", i ? ", " : "", def->dimensions [i]);
            for (size_t c = 0; c < def->n_categories; c++) {
                const Cibus__DimensionCategories *list = def->categories [c];
                if (strcmp (list->dimension, def->dimensions [i]) != 0)
                    continue;
                for (size_t k = 0; k < list->n_categories; k++)
                    fprintf (listing, "%s%s", k ? "|" : "=", list->categories [k]);
                if (list->reference && *list->reference)
                    fprintf (listing, " (reference %s)", list->reference);
            }
        }
        if (listing && fclose (listing) == 0)
            query_text (q, row, dimensions);
        else
            q->nomem = true;
        free (dimensions);
        if (def->baseline) {
            char baseline [CIBUS_MAX_NAME + 32];
            snprintf (baseline, sizeof baseline, "%s=%g", def->baseline->period,
                      def->baseline->value);
            query_text (q, row, baseline);
        }
        else
            query_empty (q, row);
        char *targets = NULL;
        size_t size = 0;
        FILE *stream = open_memstream (&targets, &size);
        for (size_t i = 0; stream && i < def->n_targets; i++)
            fprintf (stream, "%s%s=%g", i ? ", " : "", def->targets [i]->period,
                     def->targets [i]->value);
        if (stream && fclose (stream) == 0)
            query_text (q, row, targets);
        else
            q->nomem = true;
        free (targets);
        s_join_cell (q, row, def->networks, def->n_networks, "all");
        query_number (q, row, sqlite3_column_int (stmt, 0));
        codec_envelope_free (env);
    }
    if (err == CIBUS_OK && !q->nomem && rc != SQLITE_DONE)
        err = store_fail (q->store, "query-indicators");
    store_reset (stmt);
    return err == CIBUS_ERR_STORE ? query_store_problem (problem) : err;
}

//  ------------------------------------------------------------ values

static bool
s_same_group (const query_value_t *a, const query_value_t *b)
{
    if (!a->dim_value || !b->dim_value)
        return !a->dim_value && !b->dim_value;
    return strcmp (a->dim_value, b->dim_value) == 0;
}

//  Periods, then the total before its groups, then partners.
static int
s_by_period_group_partner (const void *a, const void *b)
{
    const query_value_t *x = a, *y = b;
    int order = strcmp (x->period, y->period);
    if (order == 0 && !s_same_group (x, y))
        order = !x->dim_value ? -1 : !y->dim_value ? 1 : strcmp (x->dim_value, y->dim_value);
    if (order == 0)
        order = strcmp (x->partner, y->partner);
    return order;
}

static cibus_err_t s_history (query_t *q, const Cibus__IndicatorDefinition *def, const char *by);

//  The status of a pool: its units' when they agree, else "mixed".
static const char *
s_pool_status (const query_values_t *values, const query_value_t *first)
{
    for (size_t i = 0; i < values->count; i++) {
        const query_value_t *value = &values->items [i];
        if (strcmp (value->period, first->period) == 0 && s_same_group (value, first)
            && value->status != first->status)
            return "mixed";
    }
    return codec_value_status_name ((Cibus__ValueStatus) first->status);
}

//  The initiative's values (or the network's asked for): one row per
//  period and group (the total first), pooled over every unit that
//  reported it (pool.c), with its n and 95 % interval, the units pooled,
//  and the change since the group's previous period of the units in both,
//  judged beyond noise. values are in period, group, unit order.
static void
s_pooled_values (query_t *q, const Cibus__IndicatorDefinition *def, const char *by,
                 const query_values_t *values)
{
    static const char *const columns [] = {
        "period",     "group",      "value",       "n",       "low",
        "high",       "units",      "status",      "target",  "change",
        "change low", "change high", "verdict",    "not in both"};
    char title [CIBUS_MAX_NAME + 16];
    snprintf (title, sizeof title, "values of %s", def->indicator);
    store_table_t *table = query_table (q, title, columns, 14);
    for (size_t i = 0; i < values->count && !q->nomem; i++) {
        const query_value_t *value = &values->items [i];
        //  One row for the first unit of each period and group.
        if (i > 0 && strcmp (values->items [i - 1].period, value->period) == 0
            && s_same_group (&values->items [i - 1], value))
            continue;
        const char *group = value->dim_value;
        //  The group's previous period: the nearest earlier one it has.
        const char *previous = NULL;
        for (size_t j = i; j-- > 0 && !previous;)
            if (strcmp (values->items [j].period, value->period) < 0
                && s_same_group (&values->items [j], value))
                previous = values->items [j].period;
        query_pool_t pool;
        query_pool_of (values, value->period, NULL, by, group, def->unit, &pool);
        store_row_t *row = query_row (q, table);
        query_text (q, row, value->period);
        query_text (q, row, group ? group : "all");
        query_pool_cells (q, row, &pool, def->unit, true);
        char units [64];
        snprintf (units, sizeof units, "%zu of %zu", pool.pooled, pool.units);
        query_text (q, row, units);
        query_text (q, row, s_pool_status (values, value));
        double target = 0;
        bool has_target = query_target (def, value->period, &target);
        query_number_or_empty (q, row, has_target, target);
        query_change_cells (q, row, values, def, by, group, value->period, previous, NULL);
        if (previous)
            query_unmatched_cell (q, row, values, by, group, value->period, previous);
        else
            query_empty (q, row);
    }
}

cibus_err_t
query_catalogue_indicator (query_t *q, envelope_t **env, codec_problem_t *problem)
{
    *env = NULL;
    if (measure_indicator (q->store, q->query->indicator, env, NULL))
        return query_store_problem (problem);
    if (!*env)
        return codec_problem_set (problem, CIBUS_ERR_NOT_FOUND, "query.indicator",
                                  "indicator '%.128s' is not in the catalogue",
                                  q->query->indicator);
    return CIBUS_OK;
}

static cibus_err_t
s_values (query_t *q, codec_problem_t *problem)
{
    const Cibus__Query *query = q->query;
    if (!query->indicator || !*query->indicator)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.indicator",
                                  "field 'query.indicator' is required for a values query");
    envelope_t *env = NULL;
    cibus_err_t found = query_catalogue_indicator (q, &env, problem);
    if (found)
        return found;
    const Cibus__IndicatorDefinition *def = env->indicator;
    const char *by = query->by && *query->by ? query->by : NULL;
    bool allowed = !by;
    for (size_t i = 0; by && i < def->n_dimensions; i++)
        allowed = allowed || strcmp (def->dimensions [i], by) == 0;
    if (!allowed) {
        cibus_err_t rc = codec_problem_set (
            problem, CIBUS_ERR_BAD_FIELD, "query.by",
            "indicator '%s' is not broken down by '%.64s': its dimensions are in the "
            "catalogue (an indicators query)",
            def->indicator, by);
        codec_envelope_free (env);
        return rc;
    }
    query_values_t values;
    query_cells_t cells = by ? QUERY_CELLS_BY : QUERY_CELLS_TOTALS;
    cibus_err_t err = query_values_read (q, def->indicator, cells, by, &values);
    if (err) {
        codec_envelope_free (env);
        return err == CIBUS_ERR_STORE ? query_store_problem (problem) : err;
    }
    if (values.count > 1)
        qsort (values.items, values.count, sizeof *values.items, s_by_period_group_partner);

    if (!(query->has_units && query->units)) {
        s_pooled_values (q, def, by, &values);
        query_values_release (&values);
        err = query->has_history && query->history ? s_history (q, def, by) : CIBUS_OK;
        codec_envelope_free (env);
        return err == CIBUS_ERR_STORE ? query_store_problem (problem) : err;
    }
    static const char *const columns [] = {"period", "group",  "partner", "value",
                                           "n",      "status", "target",  "change"};
    char title [CIBUS_MAX_NAME + 16];
    snprintf (title, sizeof title, "values of %s", def->indicator);
    store_table_t *table = query_table (q, title, columns, 8);
    for (size_t i = 0; i < values.count; i++) {
        const query_value_t *value = &values.items [i];
        //  The previous period this partner reported for this group: the
        //  nearest earlier row of both, as rows are in period order.
        const query_value_t *previous = NULL;
        for (size_t j = i; j-- > 0 && !previous;)
            if (strcmp (values.items [j].period, value->period) < 0
                && strcmp (values.items [j].partner, value->partner) == 0
                && s_same_group (&values.items [j], value))
                previous = &values.items [j];
        store_row_t *row = query_row (q, table);
        query_text (q, row, value->period);
        query_text (q, row, value->dim_value ? value->dim_value : "all");
        query_text (q, row, value->partner);
        query_value_cell (q, row, value, def->unit);
        if (value->hidden && !value->has_n)
            query_text (q, row, "*");
        else
            query_number_or_empty (q, row, value->has_n, (double) value->n);
        query_text (q, row, codec_value_status_name ((Cibus__ValueStatus) value->status));
        double target = 0;
        bool has_target = query_target (def, value->period, &target);
        query_number_or_empty (q, row, has_target, target);
        if (previous && (value->hidden || previous->hidden))
            query_text (q, row, "*");
        else
            query_number_or_empty (q, row, previous && value->has_value && previous->has_value,
                               previous ? query_round (value->value - previous->value) : 0);
    }
    query_values_release (&values);
    err = query->has_history && query->history ? s_history (q, def, by) : CIBUS_OK;
    codec_envelope_free (env);
    return err == CIBUS_ERR_STORE ? query_store_problem (problem) : err;
}

//  Every submission of the indicator's cells, corrections included: who sent
//  which value when, and which one is current. The same access and
//  suppression as the values themselves.
static cibus_err_t
s_history (query_t *q, const Cibus__IndicatorDefinition *def, const char *by)
{
    static const char *const columns [] = {"period", "group",  "partner", "value",   "n",
                                           "status", "version", "sent by", "received", "current"};
    char title [CIBUS_MAX_NAME + 16];
    snprintf (title, sizeof title, "history of %s", def->indicator);
    store_table_t *table = query_table (q, title, columns, 10);
    sqlite3_stmt *stmt = q->store->query [QUERY_HISTORY];
    int64_t ikey;
    if (tables_name_key (q->store, (const char *const *)&def->indicator, 1, &ikey)) {
        q->nomem = true;
        return CIBUS_ERR_NOMEM;
    }
    sqlite3_bind_text (stmt, 1, def->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, ikey);
    query_cells_t cells = by ? QUERY_CELLS_BY : QUERY_CELLS_TOTALS;
    int rc;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (!query_reads (q, (const char *) sqlite3_column_text (stmt, 2))
            || !s_cells_match (stmt, cells, by))
            continue;
        //  A superseded version reaches a reader who does not see the table
        //  whole as a marker without cells (tables.c): that it was, not
        //  what it held. So only its total is listed, hidden, and a replica
        //  answers the same whether it received the version or its marker.
        bool current = sqlite3_column_int (stmt, 12) != 0;
        if (!current && sqlite3_column_type (stmt, 6) != SQLITE_NULL
            && !query_sees_whole (q, (const char *) sqlite3_column_text (stmt, 1)))
            continue;
        query_value_t value = {
            .partner = s_owner_unit (q, stmt, 1, 9),
            .has_value = sqlite3_column_type (stmt, 7) != SQLITE_NULL,
            .value = sqlite3_column_double (stmt, 7),
            .has_n = sqlite3_column_type (stmt, 8) != SQLITE_NULL,
            .n = (uint64_t) sqlite3_column_int64 (stmt, 8),
        };
        if (q->nomem)
            break;
        //  A superseded version is shown only to those who see the table
        //  whole: the current version's decision covers what it hid.
        query_value_disclose (q, &value, sqlite3_column_int (stmt, 13),
                              sqlite3_column_double (stmt, 14), sqlite3_column_double (stmt, 15),
                              sqlite3_column_int (stmt, 16) != 0, current);
        const char *period = (const char *) sqlite3_column_text (stmt, 3);
        const char *dim_value = (const char *) sqlite3_column_text (stmt, 6);
        store_row_t *row = query_row (q, table);
        query_text (q, row, period);
        query_text (q, row, dim_value ? dim_value : "all");
        query_text (q, row, value.partner);
        query_value_cell (q, row, &value, def->unit);
        if (value.hidden && !value.has_n)
            query_text (q, row, "*");
        else
            query_number_or_empty (q, row, value.has_n, (double) value.n);
        query_text (q, row,
                    codec_value_status_name ((Cibus__ValueStatus) sqlite3_column_int (stmt, 10)));
        query_number (q, row, (double) sqlite3_column_int64 (stmt, 17));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 18));
        free (value.partner);
        int64_t usec = sqlite3_column_int64 (stmt, 11);
        time_t secs = (time_t) (usec / 1000000);
        struct tm tm;
        char when [32];
        gmtime_r (&secs, &tm);
        strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        query_text (q, row, when);
        query_text (q, row, sqlite3_column_int (stmt, 12) ? "yes" : "no");
    }
    cibus_err_t err = q->nomem ? CIBUS_ERR_NOMEM
                      : rc != SQLITE_DONE ? store_fail (q->store, "query-history")
                                          : CIBUS_OK;
    store_reset (stmt);
    return err;
}

//  ------------------------------------------------------------ commitments

bool
query_overdue (const query_t *q, const char *due, int status)
{
    return strcmp (due, q->today) < 0 && status != CIBUS__COMMITMENT_STATUS__DONE
           && status != CIBUS__COMMITMENT_STATUS__DROPPED;
}

static cibus_err_t
s_commitments (query_t *q, codec_problem_t *problem)
{
    static const char *const columns [] = {"id",  "owner",  "network", "action",
                                           "due", "status", "updated", "overdue"};
    store_table_t *table = query_table (q, "commitments", columns, 8);
    const char *owner = q->query->owner && *q->query->owner ? q->query->owner : NULL;
    bool only_overdue = q->query->has_overdue && q->query->overdue;
    sqlite3_stmt *stmt = q->store->query [QUERY_COMMITMENTS];
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *id = (const char *) sqlite3_column_text (stmt, 0);
        const char *who = (const char *) sqlite3_column_text (stmt, 1);
        const char *network = (const char *) sqlite3_column_text (stmt, 2);
        const char *due = (const char *) sqlite3_column_text (stmt, 4);
        int status = sqlite3_column_int (stmt, 5);
        bool overdue = query_overdue (q, due, status);
        if (!query_reads (q, network) || (owner && strcmp (owner, who) != 0)
            || (only_overdue && !overdue))
            continue;
        store_row_t *row = query_row (q, table);
        query_text (q, row, id);
        query_text (q, row, who);
        query_text (q, row, network);
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 3));
        query_text (q, row, due);
        query_text (q, row, codec_commitment_status_name ((Cibus__CommitmentStatus) status));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 6));
        query_text (q, row, overdue ? "yes" : "no");
    }
    cibus_err_t err = !q->nomem && rc != SQLITE_DONE ? store_fail (q->store, "query-commitments")
                                                     : CIBUS_OK;
    store_reset (stmt);
    return err ? query_store_problem (problem) : CIBUS_OK;
}

//  ------------------------------------------------------------ notes

int
query_decisions (query_t *q, store_row_t *row, int64_t seq)
{
    sqlite3_stmt *join = q->store->query [QUERY_NOTE_DECISIONS];
    sqlite3_bind_int64 (join, 1, seq);
    int rc = sqlite3_step (join);
    query_text (q, row, rc == SQLITE_ROW ? (const char *) sqlite3_column_text (join, 0) : NULL);
    store_reset (join);
    return rc;
}

static cibus_err_t
s_notes (query_t *q, codec_problem_t *problem)
{
    const char *since = q->query->since && *q->query->since ? q->query->since : NULL;
    if (since && !codec_is_date (since))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.since",
                                  "field 'query.since' expects a date like 2026-12-15, got "
                                  "'%.64s'",
                                  since);
    //  The id last: what a commitment names as the note it came from.
    static const char *const columns [] = {"held_on", "partner", "network", "title",
                                           "decisions", "id"};
    store_table_t *table = query_table (q, "notes", columns, 6);
    sqlite3_stmt *stmt = q->store->query [QUERY_NOTES];
    sqlite3_bind_text (stmt, 1, since ? since : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, "9999-12-31", -1, SQLITE_STATIC);
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (!query_reads (q, (const char *) sqlite3_column_text (stmt, 2)))
            continue;
        store_row_t *row = query_row (q, table);
        for (int column = 0; column < 4; column++)
            query_text (q, row, (const char *) sqlite3_column_text (stmt, column));
        if ((rc = query_decisions (q, row, sqlite3_column_int64 (stmt, 4))) != SQLITE_ROW)
            break;
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 5));
    }
    cibus_err_t err = !q->nomem && rc != SQLITE_DONE ? store_fail (q->store, "query-notes")
                                                     : CIBUS_OK;
    store_reset (stmt);
    return err ? query_store_problem (problem) : CIBUS_OK;
}

//  ------------------------------------------------------------ partners

typedef struct {
    query_t *q;
    store_table_t *table;
} s_partners_t;

static void
s_partner_rows (const store_partner_t *partner, void *arg)
{
    s_partners_t *self = arg;
    if (partner->role != ROLE_PARTNER)
        return;
    for (size_t i = 0; i < partner->network_count; i++)
        if (query_reads (self->q, partner->networks [i])) {
            store_row_t *row = query_row (self->q, self->table);
            query_text (self->q, row, partner->name);
            query_text (self->q, row, partner->networks [i]);
            query_text (self->q, row, partner->public_key);
        }
}

//  The partners of the networks the reader may read, a row per network of
//  each, with the public key it is known by: what the report counts
//  submissions against, and what a replica keeps to count them offline.
static cibus_err_t
s_partners (query_t *q, codec_problem_t *problem)
{
    static const char *const columns [] = {"partner", "network", "key"};
    s_partners_t self = {q, query_table (q, "partners", columns, 3)};
    if (store_partner_each (q->store, s_partner_rows, &self))
        return query_store_problem (problem);
    return CIBUS_OK;
}

//  ------------------------------------------------------------ dispatch

static const struct {
    const char *kind;
    cibus_err_t (*answer) (query_t *q, codec_problem_t *problem);
} s_kinds [] = {
    {"indicators", s_indicators}, {"values", s_values}, {"commitments", s_commitments},
    {"notes", s_notes},           {"report", query_report},     {"partners", s_partners},
    {"brightspots", query_brightspots},
};
#define S_KINDS (sizeof s_kinds / sizeof s_kinds [0])
#define S_KIND_NAMES "indicators, values, commitments, notes, report, partners or brightspots"

static cibus_err_t
s_today (query_t *q, const char *today, codec_problem_t *problem)
{
    const char *when = q->query->today && *q->query->today ? q->query->today : today;
    if (when && !codec_is_date (when))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.today",
                                  "field 'query.today' expects a date like 2026-12-15, got "
                                  "'%.64s'",
                                  when);
    if (when)
        snprintf (q->today, sizeof q->today, "%s", when);
    else {
        time_t now = time (NULL);
        struct tm utc;
        gmtime_r (&now, &utc);
        strftime (q->today, sizeof q->today, "%Y-%m-%d", &utc);
    }
    return CIBUS_OK;
}

cibus_err_t
store_query (store_t *self, const Cibus__Query *query, const store_partner_t *reader,
             const char *today, store_answer_t **reply, codec_problem_t *problem)
{
    assert (self);
    assert (query);
    assert (reader);
    *reply = NULL;
    if (reader->role == ROLE_INTEGRATOR)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, NULL,
                                  "integrator '%s' reads nothing but its own acks", reader->name);
    size_t kind = 0;
    while (kind < S_KINDS && !(query->kind && strcmp (query->kind, s_kinds [kind].kind) == 0))
        kind++;
    if (!query->kind || !*query->kind)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.kind",
                                  "field 'query.kind' is required: " S_KIND_NAMES);
    if (kind == S_KINDS)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.kind",
                                  "unknown query kind '%.64s': ask for " S_KIND_NAMES,
                                  query->kind);
    query_t q = {.store = self, .query = query, .reader = reader};
    cibus_err_t rc = s_today (&q, today, problem);
    if (rc)
        return rc;
    if (query->network && *query->network) {
        q.network = query->network;
        if (!query_reads (&q, q.network))
            return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "query.network",
                                      "partner '%s' does not read network '%.64s'", reader->name,
                                      q.network);
    }
    q.min_cell = store_min_cell (self);
    q.reply = malloc (sizeof *q.reply);
    if (!q.reply)
        return codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    *q.reply = (store_answer_t) {0};
    rc = s_kinds [kind].answer (&q, problem);
    if (q.full)
        rc = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, NULL,
                                "the answer is more than %d bytes, over the limit of %d: "
                                "narrow it with the fields network, since, owner or indicator",
                                CIBUS_MAX_FRAME, CIBUS_MAX_FRAME);
    else if (rc == CIBUS_OK && q.nomem)
        rc = CIBUS_ERR_NOMEM;
    if (rc == CIBUS_ERR_NOMEM)
        codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    if (rc) {
        store_answer_free (q.reply);
        return rc;
    }
    *reply = q.reply;
    return CIBUS_OK;
}

//  ------------------------------------------------------------ the wire

void
store_answer_reply_free (Cibus__QueryReply *reply)
{
    if (!reply)
        return;
    for (size_t t = 0; t < reply->n_tables; t++) {
        Cibus__Table *table = reply->tables [t];
        for (size_t r = 0; table && r < table->n_rows; r++) {
            Cibus__Row *row = table->rows [r];
            for (size_t c = 0; row && c < row->n_cells; c++)
                free (row->cells [c]);
            if (row)
                free (row->cells);
            free (row);
        }
        if (table)
            free (table->rows);
        free (table);
    }
    free (reply->tables);
    free (reply);
}

Cibus__QueryReply *
store_answer_reply (const store_answer_t *answer)
{
    Cibus__QueryReply *reply = calloc (1, sizeof *reply);
    if (!reply)
        return NULL;
    cibus__query_reply__init (reply);
    reply->tables = calloc (answer->n_tables ? answer->n_tables : 1, sizeof *reply->tables);
    bool ok = reply->tables != NULL;
    for (size_t t = 0; ok && t < answer->n_tables; t++) {
        const store_table_t *from = answer->tables [t];
        Cibus__Table *table = calloc (1, sizeof *table);
        if (!(ok = table != NULL))
            break;
        cibus__table__init (table);
        reply->tables [reply->n_tables++] = table;
        table->title = from->title;
        table->n_columns = from->n_columns;
        table->columns = from->columns;
        table->rows = calloc (from->n_rows ? from->n_rows : 1, sizeof *table->rows);
        ok = table->rows != NULL;
        for (size_t r = 0; ok && r < from->n_rows; r++) {
            const store_row_t *source = from->rows [r];
            Cibus__Row *row = calloc (1, sizeof *row);
            if (!(ok = row != NULL))
                break;
            cibus__row__init (row);
            table->rows [table->n_rows++] = row;
            row->cells = calloc (source->n_cells ? source->n_cells : 1, sizeof *row->cells);
            ok = row->cells != NULL;
            for (size_t c = 0; ok && c < source->n_cells; c++) {
                Cibus__Cell *cell = calloc (1, sizeof *cell);
                if (!(ok = cell != NULL))
                    break;
                cibus__cell__init (cell);
                row->cells [row->n_cells++] = cell;
                cell->text = source->cells [c]->text;
                cell->has_number = source->cells [c]->has_number;
                cell->number = source->cells [c]->number;
            }
        }
    }
    if (!ok) {
        store_answer_reply_free (reply);
        return NULL;
    }
    return reply;
}
