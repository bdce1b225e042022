/*  measure.c - shared measurement: the catalogue's rules, the projections,
    the initiative's settings and small-cell suppression.

    Design
    ------
    The log is the truth; the tables of migration 2 are projections of it,
    written by store_project() inside the batch that appends the entry, so
    that an entry and its projection commit or roll back together. A
    projection never refuses what store_check_entry() accepted: a failure
    there would abort every publish of the batch, not only the bad one. So
    every rule lives in the check, and the projection only records.

    Indicator definitions are not copied: the indicators table maps (id,
    version) to the seq of the log entry that holds the definition, and the
    definition in force is decoded from there. A data value is one row per
    submission; the latest submission of a cell (partner, indicator, period,
    dimensions) is marked current, the earlier ones stay as its history.

    Suppression is judged when an entry or a value is read, against the
    projections as they are then: a cell is hidden from every reader but
    the backbone and its submitter when its n (or, without n, its
    denominator) is below the minimum cell size, or when it is the
    next-smallest cell of a group with exactly one such small cell. When
    the store cannot tell, it hides.                                       */

#include "measure.h"

#include "json.h"
#include "store_internal.h"

#include "log.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *s_sql [MEASURE__COUNT] = {
    [MEASURE_INDICATOR_GET] = "SELECT i.version, l.envelope FROM indicators i "
                              "JOIN log l ON l.seq = i.seq WHERE i.id = ? "
                              "ORDER BY i.version DESC LIMIT 1",
    [MEASURE_INDICATOR_ADD] = "INSERT INTO indicators (id, version, seq) VALUES (?1, "
                              "COALESCE ((SELECT MAX (version) FROM indicators WHERE id = ?1), 0)"
                              " + 1, ?2)",
    [MEASURE_VALUE_SUPERSEDE] = "UPDATE data_values SET current = 0 WHERE current = 1 "
                                "AND partner = ? AND indicator = ? AND period = ? "
                                "AND dims_key = ?",
    [MEASURE_VALUE_ADD] = "INSERT INTO data_values (seq, partner, network, indicator, period, "
                          "dims_key, dim_count, dim_key, dim_value, value, n, numerator, "
                          "denominator, status, source, extracted_on, received_at, current) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
    [MEASURE_VALUE_GROUP] = "SELECT dim_value, COALESCE (n, denominator) FROM data_values "
                            "WHERE current = 1 AND partner = ? AND indicator = ? "
                            "AND period = ? AND dim_count = 1 AND dim_key = ?",
    [MEASURE_VALUE_CROSS_SMALL] = "SELECT COUNT (*) FROM data_values WHERE current = 1 "
                                  "AND partner = ? AND indicator = ? AND period = ? "
                                  "AND dim_count >= 2 AND (COALESCE (n, denominator) IS NULL "
                                  "OR COALESCE (n, denominator) < ?)",
    [MEASURE_COMMITMENT_GET] = "SELECT owner, network, status FROM commitments "
                               "WHERE network = ? AND id = ?",
    [MEASURE_COMMITMENT_ADD] = "INSERT INTO commitments (id, owner, network, action, due, "
                               "status, created_seq, updated_seq, updated_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) "
                               "ON CONFLICT (network, id) DO NOTHING",
    [MEASURE_COMMITMENT_UPDATE] = "UPDATE commitments SET status = ?, "
                                  "comment = COALESCE (?, comment), updated_seq = ?, "
                                  "updated_at = ? WHERE network = ? AND id = ?",
    [MEASURE_NOTE_ADD] = "INSERT INTO notes (seq, partner, network, title, held_on, decisions) "
                         "VALUES (?1, ?2, ?3, ?4, "
                         "COALESCE (?5, strftime ('%Y-%m-%d', ?6 / 1000000, 'unixepoch')), ?7)",
    [MEASURE_CONFIG_GET] = "SELECT value FROM config WHERE key = ?",
    [MEASURE_CONFIG_SET] = ("INSERT INTO config (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
};

cibus_err_t
measure_prepare (store_t *self)
{
    for (int i = 0; i < MEASURE__COUNT; i++)
        if (store_prepare (self, &self->measure [i], s_sql [i]))
            return CIBUS_ERR_STORE;
    return CIBUS_OK;
}

void
measure_finalize (store_t *self)
{
    measure_cache_clear (self);
    for (int i = 0; i < MEASURE__COUNT; i++) {
        sqlite3_finalize (self->measure [i]);
        self->measure [i] = NULL;
    }
}

//  ------------------------------------------------------------ the catalogue

void
measure_cache_clear (store_t *self)
{
    for (size_t i = 0; i < self->catalog_count; i++)
        free (self->catalog [i].blob);
    self->catalog_count = 0;
}

//  The cached definition of id, or NULL.
static bool
s_cache_get (store_t *self, const char *id, envelope_t **def, int *version)
{
    for (size_t i = 0; i < self->catalog_count; i++)
        if (strcmp (self->catalog [i].id, id) == 0) {
            *def = codec_envelope_decode (self->catalog [i].blob, self->catalog [i].size);
            if (version)
                *version = self->catalog [i].version;
            return *def != NULL;
        }
    return false;
}

static void
s_cache_put (store_t *self, const char *id, int version, const void *blob, size_t size)
{
    if (self->catalog_count == STORE_CATALOG_CACHE || strlen (id) >= sizeof self->catalog [0].id)
        return;
    void *copy = malloc (size ? size : 1);
    if (!copy)
        return;
    memcpy (copy, blob, size);
    size_t i = self->catalog_count++;
    snprintf (self->catalog [i].id, sizeof self->catalog [i].id, "%s", id);
    self->catalog [i].version = version;
    self->catalog [i].blob = copy;
    self->catalog [i].size = size;
}

cibus_err_t
measure_indicator (store_t *self, const char *id, envelope_t **def, int *version)
{
    *def = NULL;
    if (s_cache_get (self, id, def, version))
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->measure [MEASURE_INDICATOR_GET];
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob (stmt, 1);
        size_t size = (size_t)sqlite3_column_bytes (stmt, 1);
        *def = codec_envelope_decode (blob, size);
        if (version)
            *version = sqlite3_column_int (stmt, 0);
        if (!*def || (*def)->body_case != CIBUS__ENVELOPE__BODY_INDICATOR) {
            log_value_t db, indicator;
            log_error ("event=store-corrupt db=\"%s\" indicator=\"%s\" error=\"the log entry "
                       "of its definition is not one\"",
                       log_escape (&db, self->path), log_escape (&indicator, id));
            codec_envelope_free (*def);
            *def = NULL;
            err = CIBUS_ERR_STORE;
        } else
            s_cache_put (self, id, sqlite3_column_int (stmt, 0), blob, size);
    } else if (rc != SQLITE_DONE)
        err = store_fail (self, "indicator-get");
    store_reset (stmt);
    return err;
}

static bool
s_listed (char *const *items, size_t count, const char *item)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (items [i], item) == 0)
            return true;
    return false;
}

//  The value a percent or rate has by its numerator and denominator; false
//  for other units, or without both.
static bool
s_derive (const Cibus__IndicatorDefinition *def, const Cibus__DataSubmission *data, double *value)
{
    if (!data->has_numerator || !data->has_denominator || data->denominator == 0)
        return false;
    //  100 * num / den rather than 100 * (num / den): 230/400 is then 57.5
    //  exactly, not 57.499999999999993.
    if (def->unit == CIBUS__UNIT__PERCENT)
        *value = 100.0 * (double)data->numerator / (double)data->denominator;
    else if (def->unit == CIBUS__UNIT__RATE)
        *value = (double)data->numerator / (double)data->denominator;
    else
        return false;
    return true;
}

//  The allowed range of a value: the definition's min and max, else what
//  the unit implies (a percent is 0..100, a rate 0..1, a count not negative).
static void
s_range (const Cibus__IndicatorDefinition *def, double *low, double *high)
{
    *low = -INFINITY;
    *high = INFINITY;
    if (def->unit == CIBUS__UNIT__PERCENT || def->unit == CIBUS__UNIT__RATE
        || def->unit == CIBUS__UNIT__COUNT)
        *low = 0;
    if (def->unit == CIBUS__UNIT__PERCENT)
        *high = 100;
    else if (def->unit == CIBUS__UNIT__RATE)
        *high = 1;
    if (def->has_min)
        *low = def->min;
    if (def->has_max)
        *high = def->max;
}

//  The allowed dimension keys, "race, income", or "none".
static void
s_join (char *const *items, size_t count, char *text, size_t size)
{
    size_t used = 0;
    text [0] = 0;
    for (size_t i = 0; i < count && used < size; i++) {
        int wrote = snprintf (text + used, size - used, "%s%s", i ? ", " : "", items [i]);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
    if (count == 0)
        snprintf (text, size, "none");
}

static cibus_err_t
s_check_data_against (const Cibus__IndicatorDefinition *def, Cibus__DataSubmission *data,
                      const char *network, codec_problem_t *problem)
{
    const char *id = def->indicator;
    if (def->n_networks > 0 && !s_listed (def->networks, def->n_networks, network))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.indicator",
                                  "indicator '%s' is not used in network '%s'", id, network);
    if (!codec_period_is (data->period, def->period_kind))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.period",
                                  "indicator '%s' expects %s, got '%.64s'", id,
                                  codec_period_example (def->period_kind), data->period);
    for (size_t i = 0; i < data->n_dimensions; i++)
        if (!s_listed (def->dimensions, def->n_dimensions, data->dimensions [i]->key)) {
            char allowed [256];
            s_join (def->dimensions, def->n_dimensions, allowed, sizeof allowed);
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                                      "dimension '%.64s' is not one indicator '%s' allows (%s)",
                                      data->dimensions [i]->key, id, allowed);
        }
    //  A dimension with categories in the catalogue takes only those.
    for (size_t i = 0; i < data->n_dimensions; i++)
        for (size_t c = 0; c < def->n_categories; c++) {
            const Cibus__DimensionCategories *list = def->categories [c];
            if (strcmp (list->dimension, data->dimensions [i]->key) != 0
                || s_listed (list->categories, list->n_categories, data->dimensions [i]->value))
                continue;
            char allowed [256];
            s_join (list->categories, list->n_categories, allowed, sizeof allowed);
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.dimensions",
                                      "'%.64s' is not a category of '%.64s' in indicator '%s' "
                                      "(%s)",
                                      data->dimensions [i]->value, list->dimension, id, allowed);
        }
    bool fraction = def->unit == CIBUS__UNIT__PERCENT || def->unit == CIBUS__UNIT__RATE;
    if (fraction && data->has_denominator && data->denominator == 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.denominator",
                                  "indicator '%s' is a %s: its denominator must be above 0", id,
                                  codec_unit_name (def->unit));
    double derived = 0;
    bool has_derived = s_derive (def, data, &derived);
    if (!data->has_value) {
        if (!has_derived)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.value",
                                      "indicator '%s' is a %s: field 'data.value' is required",
                                      id,
                                      codec_unit_name (def->unit));
        data->has_value = true;
        data->value = derived;
    } else if (has_derived) {
        //  A value given beside its counts must be them, rounded to one
        //  decimal of a percent (0.05 points; 0.0005 for a rate). The small
        //  epsilon absorbs binary rounding of the comparison itself.
        bool percent = def->unit == CIBUS__UNIT__PERCENT;
        double tolerance = percent ? 0.05 : 0.0005;
        if (fabs (data->value - derived) > tolerance + 1e-9)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.value",
                                      percent ? "value %g disagrees with %llu/%llu = %.2f for "
                                                "a percent"
                                              : "value %g disagrees with %llu/%llu = %.4f for "
                                                "a rate",
                                      data->value, (unsigned long long)data->numerator,
                                      (unsigned long long)data->denominator, derived);
    }
    double low, high;
    s_range (def, &low, &high);
    if (data->value < low || data->value > high)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.value",
                                  "value %g is outside the range of indicator '%s' [%g, %g]",
                                  data->value, id, low, high);
    return CIBUS_OK;
}

static cibus_err_t
s_store_problem (codec_problem_t *problem)
{
    return codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                              "the store could not read its projections; try again");
}

static cibus_err_t
s_check_data (store_t *self, envelope_t *env, const char *network, codec_problem_t *problem)
{
    envelope_t *def = NULL;
    if (measure_indicator (self, env->data->indicator, &def, NULL))
        return s_store_problem (problem);
    if (!def)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.indicator",
                                  "indicator '%s' is not in the catalogue", env->data->indicator);
    cibus_err_t rc = s_check_data_against (def->indicator, env->data, network, problem);
    codec_envelope_free (def);
    return rc;
}

//  ------------------------------------------------------------ commitments

typedef struct {
    bool found;
    char owner [CIBUS_MAX_NAME + 1];
    char network [CIBUS_MAX_NETWORK + 1];
    Cibus__CommitmentStatus status;
} s_commitment_t;

static cibus_err_t
s_commitment_get (store_t *self, const char *network, const char *id, s_commitment_t *out)
{
    sqlite3_stmt *stmt = self->measure [MEASURE_COMMITMENT_GET];
    memset (out, 0, sizeof *out);
    sqlite3_bind_text (stmt, 1, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        out->found = true;
        snprintf (out->owner, sizeof out->owner, "%s", sqlite3_column_text (stmt, 0));
        snprintf (out->network, sizeof out->network, "%s", sqlite3_column_text (stmt, 1));
        out->status = (Cibus__CommitmentStatus)sqlite3_column_int (stmt, 2);
    }
    cibus_err_t err =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? CIBUS_OK : store_fail (self, "commitment-get");
    store_reset (stmt);
    return err;
}

bool
store_may_read (const store_partner_t *reader, const char *network)
{
    assert (reader);
    if (!network || reader->role == ROLE_INTEGRATOR)
        return false;
    if (reader->role == ROLE_BACKBONE || strcmp (network, CODEC_CATALOG_NETWORK) == 0)
        return true;
    for (size_t i = 0; i < reader->network_count; i++)
        if (strcmp (reader->networks [i], network) == 0)
            return true;
    return false;
}

//  A commitment is named by its network and its id (an update names the id
//  and travels in the network), so two partners may not both make one under
//  the same id in one network; the same partner again is a retry, which the
//  log's dedupe answers. In another network the id is free: a publisher
//  learns nothing of networks it may not read.
static cibus_err_t
s_check_commitment (store_t *self, const envelope_t *env, const char *network,
                    const store_partner_t *publisher, codec_problem_t *problem)
{
    s_commitment_t existing;
    if (s_commitment_get (self, network, env->id, &existing))
        return s_store_problem (problem);
    if (!existing.found || strcmp (existing.owner, publisher->name) == 0)
        return CIBUS_OK;
    return codec_problem_set (problem, CIBUS_ERR_EXISTS, "id",
                              "commitment '%s' already exists, made by '%s': choose another id",
                              env->id, existing.owner);
}

static cibus_err_t
s_check_update (store_t *self, const envelope_t *env, const char *network,
                const store_partner_t *publisher, codec_problem_t *problem)
{
    const char *id = env->update->commitment_id;
    s_commitment_t commitment;
    if (s_commitment_get (self, network, id, &commitment))
        return s_store_problem (problem);
    //  A commitment the publisher may not read is one it cannot know of: its
    //  refusal is word for word the one for an id nobody used, so that no
    //  answer tells an outsider that the id exists, whose it is, where it
    //  lives or what state it is in. Every rule below may name those.
    if (!commitment.found || !store_may_read (publisher, commitment.network))
        return codec_problem_set (problem, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                                  "commitment '%s' does not exist", id);
    if (publisher->role != ROLE_BACKBONE && strcmp (commitment.owner, publisher->name) != 0)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "update.commitment_id",
                                  "only the owner '%s' or the backbone may update commitment "
                                  "'%s'",
                                  commitment.owner, id);
    if (commitment.status == CIBUS__COMMITMENT_STATUS__DONE
        || commitment.status == CIBUS__COMMITMENT_STATUS__DROPPED)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "update.status",
                                  "commitment '%s' is already %s: it cannot change", id,
                                  codec_commitment_status_name (commitment.status));
    return CIBUS_OK;
}

cibus_err_t
store_check_entry (store_t *self, envelope_t *env, const store_partner_t *publisher,
                   codec_problem_t *problem)
{
    assert (self);
    assert (publisher);
    char network [CIBUS_MAX_NETWORK + 1];
    if (!codec_topic_network (env->topic, network, sizeof network))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' must be <network>/<kind>");
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return s_check_data (self, env, network, problem);
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return s_check_commitment (self, env, network, publisher, problem);
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return s_check_update (self, env, network, publisher, problem);
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            if (publisher->role != ROLE_BACKBONE)
                return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "indicator",
                                          "only the backbone defines indicators");
            return CIBUS_OK;
        default:
            return CIBUS_OK;
    }
}

//  ------------------------------------------------------------ projections

static int
s_by_key (const void *a, const void *b)
{
    const Cibus__Dimension *const *x = a, *const *y = b;
    return strcmp ((*x)->key, (*y)->key);
}

//  The dimensions of a cell as one text, sorted by key, so that the same
//  cell submitted with its dimensions in another order is the same cell.
//  Unit and record separators cannot occur in a key (a token) nor in a value
//  (the codec refuses control characters in text). "" is the total. NULL
//  when out of memory.
static char *
s_dims_key (const Cibus__DataSubmission *data)
{
    size_t count = data->n_dimensions, size = 1;
    const Cibus__Dimension **sorted = calloc (count ? count : 1, sizeof *sorted);
    if (!sorted)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        sorted [i] = data->dimensions [i];
        size += strlen (sorted [i]->key) + strlen (sorted [i]->value) + 2;
    }
    qsort (sorted, count, sizeof *sorted, s_by_key);
    char *text = malloc (size), *end = text;
    if (text) {
        *end = 0;
        for (size_t i = 0; i < count; i++)
            end += snprintf (end, size - (size_t)(end - text), "%s\x1f%s\x1e", sorted [i]->key,
                             sorted [i]->value);
    }
    free (sorted);
    return text;
}

static void
s_bind_text_or_null (sqlite3_stmt *stmt, int index, const char *text)
{
    if (text && *text)
        sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (stmt, index);
}

static cibus_err_t
s_project_data (store_t *self, const envelope_t *env, const char *network)
{
    const Cibus__DataSubmission *data = env->data;
    //  The check derives a missing value before the entry is stored; an entry
    //  appended without it (a replica's) is derived here, or kept without.
    bool has_value = data->has_value;
    double value = data->value;
    if (!has_value && !data->suppressed) {
        envelope_t *def = NULL;
        if (measure_indicator (self, data->indicator, &def, NULL))
            return CIBUS_ERR_STORE;
        if (def)
            has_value = s_derive (def->indicator, data, &value);
        codec_envelope_free (def);
    }
    char *dims_key = s_dims_key (data);
    if (!dims_key)
        return CIBUS_ERR_NOMEM;

    sqlite3_stmt *stmt = self->measure [MEASURE_VALUE_SUPERSEDE];
    sqlite3_bind_text (stmt, 1, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, data->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, data->period, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, dims_key, -1, SQLITE_STATIC);
    cibus_err_t err = store_step_done (self, stmt, "value-supersede");
    if (err) {
        free (dims_key);
        return err;
    }
    stmt = self->measure [MEASURE_VALUE_ADD];
    bool single = data->n_dimensions == 1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)env->seq);
    sqlite3_bind_text (stmt, 2, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, data->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, data->period, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, dims_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 7, (sqlite3_int64)data->n_dimensions);
    s_bind_text_or_null (stmt, 8, single ? data->dimensions [0]->key : NULL);
    s_bind_text_or_null (stmt, 9, single ? data->dimensions [0]->value : NULL);
    if (has_value)
        sqlite3_bind_double (stmt, 10, value);
    if (data->has_n)
        sqlite3_bind_int64 (stmt, 11, (sqlite3_int64)data->n);
    if (data->has_numerator && data->has_denominator && !data->suppressed) {
        sqlite3_bind_int64 (stmt, 12, (sqlite3_int64)data->numerator);
        sqlite3_bind_int64 (stmt, 13, (sqlite3_int64)data->denominator);
    }
    sqlite3_bind_int (stmt, 14, data->has_status ? data->status : CIBUS__VALUE_STATUS__FINAL);
    s_bind_text_or_null (stmt, 15, data->source);
    s_bind_text_or_null (stmt, 16, data->extracted_on);
    sqlite3_bind_int64 (stmt, 17, env->received_at);
    err = store_step_done (self, stmt, "value-add");
    free (dims_key);
    return err;
}

static cibus_err_t
s_project_note (store_t *self, const envelope_t *env, const char *network)
{
    const Cibus__MeetingNote *note = env->note;
    sqlite3_stmt *stmt = self->measure [MEASURE_NOTE_ADD];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)env->seq);
    sqlite3_bind_text (stmt, 2, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, note->title ? note->title : "", -1, SQLITE_STATIC);
    s_bind_text_or_null (stmt, 5, note->held_on);
    sqlite3_bind_int64 (stmt, 6, env->received_at);
    //  The decisions as one JSON array, written once: a statement per
    //  decision rewrote the array each time, which made a note's cost in the
    //  commit grow with the square of its decisions.
    json_t decisions = {0};
    json_array (&decisions);
    for (size_t i = 0; i < note->n_decisions; i++)
        json_str (&decisions, note->decisions [i]);
    json_array_end (&decisions);
    const char *text = json_text (&decisions);
    cibus_err_t err = CIBUS_ERR_NOMEM;
    if (text) {
        sqlite3_bind_text (stmt, 7, text, -1, SQLITE_STATIC);
        err = store_step_done (self, stmt, "note-add");
    } else
        store_reset (stmt);
    json_release (&decisions);
    return err;
}

static cibus_err_t
s_project_commitment (store_t *self, const envelope_t *env, const char *network)
{
    sqlite3_stmt *stmt = self->measure [MEASURE_COMMITMENT_ADD];
    sqlite3_bind_text (stmt, 1, env->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, env->commitment->action ? env->commitment->action : "", -1,
                       SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, env->commitment->due ? env->commitment->due : "", -1,
                       SQLITE_STATIC);
    sqlite3_bind_int (stmt, 6, CIBUS__COMMITMENT_STATUS__COMMITTED);
    sqlite3_bind_int64 (stmt, 7, (sqlite3_int64)env->seq);
    sqlite3_bind_int64 (stmt, 8, env->received_at);
    cibus_err_t err = store_step_done (self, stmt, "commitment-add");
    if (err == CIBUS_OK && sqlite3_changes (self->db) == 0) {
        log_value_t id;
        log_warn ("event=projection-skipped seq=%llu commitment=\"%s\" reason=\"another "
                  "partner's commitment has this id\"",
                  (unsigned long long)env->seq, log_escape (&id, env->id));
    }
    return err;
}

static cibus_err_t
s_project_update (store_t *self, const envelope_t *env, const char *network)
{
    const Cibus__CommitmentUpdate *update = env->update;
    sqlite3_stmt *stmt = self->measure [MEASURE_COMMITMENT_UPDATE];
    sqlite3_bind_int (stmt, 1, update->status);
    s_bind_text_or_null (stmt, 2, update->comment);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64)env->seq);
    sqlite3_bind_int64 (stmt, 4, env->received_at);
    sqlite3_bind_text (stmt, 5, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, update->commitment_id, -1, SQLITE_STATIC);
    return store_step_done (self, stmt, "commitment-update");
}

static cibus_err_t
s_project_indicator (store_t *self, const envelope_t *env)
{
    measure_cache_clear (self);
    sqlite3_stmt *stmt = self->measure [MEASURE_INDICATOR_ADD];
    sqlite3_bind_text (stmt, 1, env->indicator->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)env->seq);
    return store_step_done (self, stmt, "indicator-add");
}

cibus_err_t
store_append (store_t *self, envelope_t *env, const store_partner_t *publisher,
              int64_t received_at, codec_buf_t *buf, uint64_t *seq, bool *duplicate,
              codec_problem_t *problem)
{
    assert (self);
    assert (env);
    assert (publisher);
    cibus_err_t err = store_batch_reserve (self, publisher->name, env->id, seq, duplicate);
    if (err || *duplicate)
        return err;
    //  Judged inside the transaction, so that an entry earlier in the same
    //  batch counts (a definition and a submission that uses it).
    err = store_check_entry (self, env, publisher, problem);
    if (err)
        return err;
    char *client_partner = env->partner;
    env->partner = (char *)publisher->name;
    env->has_seq = true;
    env->seq = *seq;
    env->has_received_at = true;
    env->received_at = received_at;
    err = codec_pack_envelope (env, buf);
    if (err == CIBUS_OK)
        err = store_batch_add (self, *seq, publisher->name, env->id, env->topic, received_at,
                               buf->data, buf->size);
    if (err == CIBUS_OK)
        err = store_project (self, env);
    env->partner = client_partner;
    //  An entry that could not be encoded or stored fails the batch: it
    //  passed every rule, so the fault is the store's or the memory's.
    return err == CIBUS_OK || err == CIBUS_ERR_STORE ? err : CIBUS_ERR_STORE;
}

cibus_err_t
store_project (store_t *self, const envelope_t *env)
{
    assert (self);
    char network [CIBUS_MAX_NETWORK + 1];
    if (!env->partner || !codec_topic_network (env->topic, network, sizeof network))
        return CIBUS_ERR_USAGE;
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return s_project_data (self, env, network);
        case CIBUS__ENVELOPE__BODY_NOTE:
            return s_project_note (self, env, network);
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return s_project_commitment (self, env, network);
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return s_project_update (self, env, network);
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            return s_project_indicator (self, env);
        default:
            return CIBUS_OK;
    }
}

//  ------------------------------------------------------------ config

//  The initiative's settings: name, limits and default. Every setting is a
//  whole number for now; set, get and the refusals all read this table.
static const struct {
    const char *name;
    long low, high, fallback;
} s_settings [] = {
    //  the smallest n a value may have to be shown to readers other than the
    //  backbone and the partner that submitted it
    {"min-cell", MEASURE_MIN_CELL_LOW, MEASURE_MIN_CELL_HIGH, MEASURE_MIN_CELL_DEFAULT},
};
#define S_SETTINGS ((int)(sizeof s_settings / sizeof s_settings [0]))

static int
s_setting (const char *key)
{
    for (int i = 0; key && i < S_SETTINGS; i++)
        if (strcmp (s_settings [i].name, key) == 0)
            return i;
    return -1;
}

//  Parse a whole number within the setting's limits.
static bool
s_setting_parse (int setting, const char *text, long *value)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    long number = strtol (text, &end, 10);
    if (errno || *end || number < s_settings [setting].low || number > s_settings [setting].high)
        return false;
    *value = number;
    return true;
}

cibus_err_t
store_config_set (store_t *self, const char *key, const char *value, char *error, size_t size)
{
    assert (self);
    char ignored [1];
    if (!error || size == 0) {
        error = ignored;
        size = sizeof ignored;
    }
    error [0] = 0;
    int setting = s_setting (key);
    if (setting < 0) {
        char names [256];
        size_t used = 0;
        names [0] = 0;
        for (int i = 0; i < S_SETTINGS && used < sizeof names; i++)
            used += (size_t)snprintf (names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                      s_settings [i].name);
        snprintf (error, size, "unknown setting '%.64s': the settings are %s", key ? key : "",
                  names);
        return CIBUS_ERR_BAD_FIELD;
    }
    long number;
    if (!s_setting_parse (setting, value, &number)) {
        snprintf (error, size, "%s must be a whole number from %ld to %ld, got '%.64s'",
                  s_settings [setting].name, s_settings [setting].low, s_settings [setting].high,
                  value ? value : "");
        return CIBUS_ERR_BAD_FIELD;
    }
    char canonical [32];
    snprintf (canonical, sizeof canonical, "%ld", number);
    sqlite3_stmt *stmt = self->measure [MEASURE_CONFIG_SET];
    sqlite3_bind_text (stmt, 1, s_settings [setting].name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, canonical, -1, SQLITE_STATIC);
    cibus_err_t err = store_step_done (self, stmt, "config-set");
    if (err)
        snprintf (error, size, "the setting could not be saved: see the log");
    else {
        log_value_t db, shown;
        log_info ("event=config-set db=\"%s\" key=%s value=\"%s\"", log_escape (&db, self->path),
                  s_settings [setting].name, log_escape (&shown, canonical));
    }
    return err;
}

cibus_err_t
store_config_get (store_t *self, const char *key, char *value, size_t size)
{
    assert (self);
    int setting = s_setting (key);
    if (setting < 0)
        return CIBUS_ERR_NOT_FOUND;
    sqlite3_stmt *stmt = self->measure [MEASURE_CONFIG_GET];
    sqlite3_bind_text (stmt, 1, s_settings [setting].name, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_ROW)
        snprintf (value, size, "%s", sqlite3_column_text (stmt, 0));
    else if (rc == SQLITE_DONE)
        snprintf (value, size, "%ld", s_settings [setting].fallback);
    else
        err = store_fail (self, "config-get");
    store_reset (stmt);
    return err;
}

int
store_min_cell (store_t *self)
{
    char text [32] = "";
    long number = MEASURE_MIN_CELL_DEFAULT;
    //  Fail closed: when the setting cannot be read, the default still hides
    //  small cells.
    if (store_config_get (self, "min-cell", text, sizeof text) == CIBUS_OK
        && !s_setting_parse (s_setting ("min-cell"), text, &number)) {
        log_value_t db, value;
        log_error ("event=config-invalid db=\"%s\" key=min-cell value=\"%s\" using=%d",
                   log_escape (&db, self->path), log_escape (&value, text),
                   MEASURE_MIN_CELL_DEFAULT);
    }
    return (int)number;
}

//  ------------------------------------------------------------ suppression

//  One cell of a group, as complementary suppression weighs it.
typedef struct {
    char value [CIBUS_MAX_NAME + 1];
    bool known; /* its size is known */
    uint64_t size;
    bool hidden;
} s_group_cell_t;

//  Whether a cell of this size is too small to show by itself. A cell of a
//  breakdown whose size nobody gave is treated as small: when the store
//  cannot tell, it hides.
static bool
s_primary (bool known, uint64_t size, int min_cell)
{
    return !known || size < (uint64_t)min_cell;
}

#define S_GROUP_MAX 256 /* cells of one breakdown weighed at once; a larger one hides all */

//  Complementary suppression of a single-dimension group (one partner,
//  indicator, period and dimension key): the cells too small to show, and
//  then the smallest others until the hidden cells are at least two and
//  together at least min_cell people, so that neither one hidden cell nor
//  the hidden cells' sum can be worked out from the total and the rest.
//  Ties go to the first value in text order, so every reader hides the same.
static bool
s_group_hides (store_t *self, const measure_cell_t *cell, int min_cell)
{
    sqlite3_stmt *stmt = self->measure [MEASURE_VALUE_GROUP];
    sqlite3_bind_text (stmt, 1, cell->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, cell->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, cell->period, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, cell->dim_key, -1, SQLITE_STATIC);
    s_group_cell_t *cells = calloc (S_GROUP_MAX, sizeof *cells);
    size_t count = 0;
    bool overflow = false;
    int rc;
    while (cells && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (count == S_GROUP_MAX) {
            overflow = true;
            break;
        }
        s_group_cell_t *item = &cells [count++];
        snprintf (item->value, sizeof item->value, "%s", sqlite3_column_text (stmt, 0));
        item->known = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
        item->size = (uint64_t)sqlite3_column_int64 (stmt, 1);
    }
    bool failed = !cells || overflow || rc != SQLITE_DONE;
    if (cells && !overflow && rc != SQLITE_DONE)
        store_fail (self, "value-group");
    store_reset (stmt);
    if (failed) {
        free (cells);
        return true; /* when the store cannot tell, it hides */
    }
    size_t hidden = 0;
    uint64_t hidden_people = 0;
    for (size_t i = 0; i < count; i++)
        if ((cells [i].hidden = s_primary (cells [i].known, cells [i].size, min_cell))) {
            hidden++;
            hidden_people += cells [i].known ? cells [i].size : 0;
        }
    while (hidden > 0 && (hidden == 1 || hidden_people < (uint64_t)min_cell)) {
        s_group_cell_t *next = NULL;
        for (size_t i = 0; i < count; i++)
            if (!cells [i].hidden
                && (!next || cells [i].size < next->size
                    || (cells [i].size == next->size && strcmp (cells [i].value, next->value) < 0)))
                next = &cells [i];
        if (!next)
            break;
        next->hidden = true;
        hidden++;
        hidden_people += next->size;
    }
    bool hides = false;
    for (size_t i = 0; i < count; i++)
        if (strcmp (cells [i].value, cell->dim_value) == 0)
            hides = cells [i].hidden;
    free (cells);
    return hides;
}

//  A cross-tabulated cell (two dimensions or more) is hidden whenever any
//  cell of the same cross-tabulation is small: complementary suppression
//  along every margin is not done, so the whole table stays hidden rather
//  than leak one cell by subtraction from the single-dimension cells.
static bool
s_cross_hides (store_t *self, const measure_cell_t *cell, int min_cell)
{
    sqlite3_stmt *stmt = self->measure [MEASURE_VALUE_CROSS_SMALL];
    sqlite3_bind_text (stmt, 1, cell->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, cell->indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, cell->period, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, min_cell);
    int rc = sqlite3_step (stmt);
    bool hides = rc != SQLITE_ROW || sqlite3_column_int64 (stmt, 0) > 0;
    if (rc != SQLITE_ROW)
        store_fail (self, "value-cross");
    store_reset (stmt);
    return hides;
}

bool
measure_cell_hidden (store_t *self, const measure_cell_t *cell, const store_partner_t *reader,
                     int min_cell)
{
    bool own = cell->partner && strcmp (cell->partner, reader->name) == 0;
    if (reader->role == ROLE_BACKBONE || own)
        return false;
    if (cell->has_size && cell->size < (uint64_t)min_cell)
        return true;
    if (cell->dim_count == 0)
        return false; //  a total of unknown size hides no one by itself
    if (cell->dim_count >= 2)
        return !cell->has_size || s_cross_hides (self, cell, min_cell);
    if (!cell->dim_key || !cell->dim_value)
        return true;
    return s_group_hides (self, cell, min_cell);
}

bool
store_must_suppress (store_t *self, const envelope_t *env, const store_partner_t *reader)
{
    assert (self);
    assert (reader);
    if (env->body_case != CIBUS__ENVELOPE__BODY_DATA)
        return false;
    const Cibus__DataSubmission *data = env->data;
    bool single = data->n_dimensions == 1;
    measure_cell_t cell = {
        .partner = env->partner,
        .indicator = data->indicator,
        .period = data->period,
        .dim_count = data->n_dimensions,
        .dim_key = single ? data->dimensions [0]->key : NULL,
        .dim_value = single ? data->dimensions [0]->value : NULL,
        .has_size = data->has_n || data->has_denominator,
        .size = data->has_n ? data->n : data->denominator,
    };
    return measure_cell_hidden (self, &cell, reader, store_min_cell (self));
}

void
store_suppress (envelope_t *env)
{
    if (env->body_case != CIBUS__ENVELOPE__BODY_DATA)
        return;
    Cibus__DataSubmission *data = env->data;
    data->has_value = false;
    data->value = 0;
    data->has_numerator = false;
    data->numerator = 0;
    data->has_denominator = false;
    data->denominator = 0;
    data->has_suppressed = true;
    data->suppressed = true;
}
