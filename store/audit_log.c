/*  audit_log.c - the data tables of the log read back for the audit; see
    audit_log.h.

    Design
    ------
    data_tables lists every version of every table; read in the order of
    its key (network, owner, unit, indicator, period, version) - through
    the index of (network, owner), each partner's tables sorted by SQLite
    - it yields the tables one after the other, each with its versions
    oldest first: a table is complete when the key changes, and the reader
    holds one table at a time however long the log is. A table
    the reader does not receive is skipped on its key alone, before its
    entries are read.

    A version's view is what tables.c built when it decided the next
    version: the whole entry as the disclosure module's table, with the
    catalogue's dimensions in force, and the marks stored per cell with
    the version's packed cells in data_tables (cells.h; cell -1 is the
    total). The masked copy is not read: once
    superseded it is a marker without cells, and the marks say the same
    for every version. The tables are built by tables.c's own functions
    (tables_dimensions, tables_version_fill, tables_version_marks), so the
    audit sees the numbers the decision was made on.                                             */

#include "audit_log.h"

#include "codec.h"
#include "measure.h"
#include "store_internal.h"
#include "tables.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *s_sql_list = "SELECT network, owner, unit, indicator, period, seq "
                                "FROM data_tables "
                                "ORDER BY network, owner, unit, indicator, period, version";
static const char *s_sql_entry = "SELECT envelope FROM log WHERE seq = ?";

void
store_audit_rules (store_t *self, disclosure_rules_t *rules)
{
    assert (self);
    assert (rules);
    tables_rules (self, rules);
}

//  A definition read from the catalogue once per audit.
typedef struct {
    char *id;
    envelope_t *def; /* NULL: not in the catalogue */
} s_indicator_t;

#define S_KEYS 5 /* network, owner, unit, indicator, period */

typedef struct {
    store_t *store;
    sqlite3_stmt *list, *entry;
    store_audit_want_fn *want;
    store_audit_fn *fn;
    void *arg;
    s_indicator_t *indicators;
    size_t indicator_count;
    //  The table being read.
    bool open;
    bool wanted;
    char *key [S_KEYS];
    tables_version_t versions [CIBUS_MAX_VERSIONS];
    disclosure_view_t views [CIBUS_MAX_VERSIONS];
    size_t count;
    char problem [256]; /* "" while the table reads well */
    char *label;
    disclosure_dimension_t *dimensions;
    const char **categories;
} s_reader_t;

//  Forget the table read so far.
static void
s_table_clear (s_reader_t *self)
{
    for (size_t v = 0; v < self->count; v++)
        tables_version_release (&self->versions [v]);
    self->count = 0;
    self->problem [0] = 0;
    free (self->label);
    free (self->dimensions);
    free (self->categories);
    self->label = NULL;
    self->dimensions = NULL;
    self->categories = NULL;
}

static void
s_reader_release (s_reader_t *self)
{
    s_table_clear (self);
    for (int k = 0; k < S_KEYS; k++)
        free (self->key [k]);
    for (size_t i = 0; i < self->indicator_count; i++) {
        free (self->indicators [i].id);
        codec_envelope_free (self->indicators [i].def);
    }
    free (self->indicators);
    sqlite3_finalize (self->list);
    sqlite3_finalize (self->entry);
}

//  The definition in force for an indicator (NULL when there is none).
static cibus_err_t
s_indicator (s_reader_t *self, const char *id, const Cibus__IndicatorDefinition **def)
{
    for (size_t i = 0; i < self->indicator_count; i++)
        if (strcmp (self->indicators [i].id, id) == 0) {
            *def = self->indicators [i].def ? self->indicators [i].def->indicator : NULL;
            return CIBUS_OK;
        }
    envelope_t *env = NULL;
    cibus_err_t err = measure_indicator (self->store, id, &env, NULL);
    if (err)
        return err;
    s_indicator_t *grown = realloc (self->indicators, (self->indicator_count + 1) * sizeof *grown);
    char *copy = strdup (id);
    if (grown)
        self->indicators = grown;
    if (!grown || !copy) {
        free (copy);
        codec_envelope_free (env);
        return CIBUS_ERR_NOMEM;
    }
    self->indicators [self->indicator_count++] = (s_indicator_t){copy, env};
    *def = env ? env->indicator : NULL;
    return CIBUS_OK;
}

//  Read one version: its entry and its marks. A version that does not read
//  as one makes the table's problem; only a failing database is an error.
static cibus_err_t
s_version_read (s_reader_t *self, uint64_t seq)
{
    if (self->count == CIBUS_MAX_VERSIONS) {
        snprintf (self->problem, sizeof self->problem,
                  "it has more than %d versions, the most a table may have", CIBUS_MAX_VERSIONS);
        return CIBUS_OK;
    }
    tables_version_t *version = &self->versions [self->count++];
    sqlite3_bind_int64 (self->entry, 1, (sqlite3_int64)seq);
    int rc = sqlite3_step (self->entry);
    if (rc == SQLITE_ROW)
        version->env = codec_envelope_decode (sqlite3_column_blob (self->entry, 0),
                                              (size_t)sqlite3_column_bytes (self->entry, 0));
    store_reset (self->entry);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail (self->store, "audit-entry");
    if (!version->env || version->env->body_case != CIBUS__ENVELOPE__BODY_DATA
        || !version->env->data->total) {
        snprintf (self->problem, sizeof self->problem,
                  "log entry %llu is not a data table with its total", (unsigned long long)seq);
        return CIBUS_OK;
    }
    version->data = version->env->data;
    version->seq = seq;
    cibus_err_t err = tables_version_marks (self->store, version);
    if (err == CIBUS_ERR_BAD_FIELD) {
        snprintf (self->problem, sizeof self->problem,
                  "the decision stored for log entry %llu does not fit its %zu cells and the "
                  "total",
                  (unsigned long long)seq, version->data->n_cells);
        err = CIBUS_OK;
    }
    return err;
}

//  Hand the table read so far to the callback, then forget it.
static cibus_err_t
s_table_end (s_reader_t *self)
{
    cibus_err_t err = CIBUS_OK;
    if (!self->wanted)
        goto done;
    const Cibus__IndicatorDefinition *def = NULL;
    if (!self->problem [0]) {
        err = s_indicator (self, self->key [3], &def);
        if (!err && !def)
            snprintf (self->problem, sizeof self->problem,
                      "indicator '%.128s' is no longer in the catalogue", self->key [3]);
    }
    size_t label = strlen (self->key [1]) + strlen (self->key [2]) + 2;
    self->label = err ? NULL : malloc (label);
    if (!err && !self->label)
        err = CIBUS_ERR_NOMEM;
    if (!err)
        snprintf (self->label, label, "%s%s%s", self->key [1], *self->key [2] ? "/" : "",
                  self->key [2]);
    if (!err && !self->problem [0])
        err = tables_dimensions (def, self->versions, self->count, &self->dimensions,
                                 &self->categories);
    for (size_t v = 0; !err && !self->problem [0] && v < self->count; v++) {
        err = tables_version_fill (def, self->label, self->dimensions, &self->versions [v]);
        self->views [v] =
            (disclosure_view_t){&self->versions [v].table, &self->versions [v].decision};
    }
    if (!err) {
        store_audit_table_t table = {
            .network = self->key [0],
            .owner = self->key [1],
            .unit = self->key [2],
            .indicator = self->key [3],
            .period = self->key [4],
            .views = self->problem [0] ? NULL : self->views,
            .version_count = self->problem [0] ? 0 : self->count,
            .problem = self->problem [0] ? self->problem : NULL,
        };
        err = self->fn (&table, self->arg);
    }
done:
    s_table_clear (self);
    self->open = false;
    return err;
}

//  Start a table at the key of the current row.
static cibus_err_t
s_table_start (s_reader_t *self, const char *const *key)
{
    for (int k = 0; k < S_KEYS; k++) {
        free (self->key [k]);
        self->key [k] = strdup (key [k]);
        if (!self->key [k])
            return CIBUS_ERR_NOMEM;
    }
    self->open = true;
    self->wanted = !self->want || self->want (key [0], key [1], self->arg);
    return CIBUS_OK;
}

static bool
s_same_key (const s_reader_t *self, const char *const *key)
{
    for (int k = 0; k < S_KEYS; k++)
        if (strcmp (self->key [k], key [k]) != 0)
            return false;
    return true;
}

static cibus_err_t
s_scan (s_reader_t *self)
{
    int rc;
    cibus_err_t err = CIBUS_OK;
    while (!err && (rc = sqlite3_step (self->list)) == SQLITE_ROW) {
        const char *key [S_KEYS];
        for (int k = 0; k < S_KEYS; k++) {
            const unsigned char *text = sqlite3_column_text (self->list, k);
            key [k] = text ? (const char *)text : "";
        }
        if (self->open && !s_same_key (self, key))
            err = s_table_end (self);
        if (!err && !self->open)
            err = s_table_start (self, key);
        if (!err && self->wanted && !self->problem [0])
            err = s_version_read (self, (uint64_t)sqlite3_column_int64 (self->list, 5));
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail (self->store, "audit-tables");
    if (!err && self->open)
        err = s_table_end (self);
    store_reset (self->list);
    return err;
}

cibus_err_t
store_audit_each (store_t *self, store_audit_want_fn *want, store_audit_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    if (self->in_batch)
        return CIBUS_ERR_USAGE;
    s_reader_t reader = {.store = self, .want = want, .fn = fn, .arg = arg};
    cibus_err_t err = CIBUS_OK;
    if (store_prepare (self, &reader.list, s_sql_list)
        || store_prepare (self, &reader.entry, s_sql_entry))
        err = CIBUS_ERR_STORE;
    //  One read transaction: the tables, their entries and their marks of
    //  one moment, whatever a running broker appends meanwhile.
    if (!err)
        err = store_exec (self, "BEGIN", "audit-begin");
    if (!err) {
        err = s_scan (&reader);
        //  Nothing was written: ending the read cannot lose anything.
        store_exec (self, err ? "ROLLBACK" : "COMMIT", "audit-end");
    }
    s_reader_release (&reader);
    return err;
}
