/*  measure.c - shared measurement: the catalogue's rules, the projections,
    the initiative's settings, and the one append path.

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
    definition in force is decoded from there. Data tables - their checks,
    their suppression decided once and stored, their versions, their
    projection - are tables.c's.                                          */

#include "measure.h"

#include "tables.h"

#include "cibus_json.h"
#include "store_internal.h"

#include "log.h"
#include "text.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_sql [MEASURE__COUNT] = {
    [MEASURE_INDICATOR_GET] = "SELECT i.version, l.envelope FROM indicators i "
                              "JOIN log l ON l.seq = i.seq WHERE i.id = ? "
                              "ORDER BY i.version DESC LIMIT 1",
    [MEASURE_INDICATOR_ADD] = "INSERT INTO indicators (id, version, seq) VALUES (?1, "
                              "COALESCE ((SELECT MAX (version) FROM indicators WHERE id = ?1), 0)"
                              " + 1, ?2)",
    [MEASURE_COMMITMENT_GET] = "SELECT owner, network, status FROM commitments "
                               "WHERE network = ? AND id = ?",
    [MEASURE_COMMITMENT_ADD] = "INSERT INTO commitments (id, owner, network, action, due, "
                               "status, created_seq, updated_seq, updated_at, from_note, "
                               "decision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10) "
                               "ON CONFLICT (network, id) DO NOTHING",
    [MEASURE_COMMITMENT_UPDATE] = "UPDATE commitments SET status = ?, "
                                  "comment = COALESCE (?, comment), updated_seq = ?, "
                                  "updated_at = ? WHERE network = ? AND id = ?",
    [MEASURE_NOTE_ADD] = "INSERT INTO notes (seq, partner, network, title, held_on, decisions, "
                         "id) VALUES (?1, ?2, ?3, ?4, "
                         "COALESCE (?5, strftime ('%Y-%m-%d', ?6 / 1000000, 'unixepoch')), ?7, "
                         "?8)",
    //  The first note under an id, should a log from before schema 5 hold
    //  two (the rule that a note's id is one per network came with it).
    [MEASURE_NOTE_GET] = "SELECT partner, json_array_length (decisions) FROM notes "
                         "WHERE network = ? AND id = ? ORDER BY seq LIMIT 1",
    [MEASURE_CONFIG_GET] = "SELECT value FROM config WHERE key = ?",
    [MEASURE_CONFIG_SET] = ("INSERT INTO config (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    //  A later tag of the same network, unit and practice is a correction:
    //  its dates replace the earlier ones, until included (NULL: it runs).
    [MEASURE_PRACTICE_ADD] = "INSERT INTO practices (network, unit, practice, since, until, seq) "
                             "VALUES (?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT (network, unit, practice) DO UPDATE SET "
                             "since = excluded.since, until = excluded.until, seq = excluded.seq",
};

cibus_err_t
measure_prepare (store_t *self)
{
    return store_prepare_all (self, self->measure, s_sql, MEASURE__COUNT);
}

void
measure_finalize (store_t *self)
{
    measure_cache_clear (self);
    store_finalize_all (self->measure, MEASURE__COUNT);
}

//  ------------------------------------------------------------ the catalogue

void
measure_cache_clear (store_t *self)
{
    for (size_t i = 0; i < self->catalog_count; i++) {
        free (self->catalog [i].blob);
        codec_envelope_free (self->catalog [i].def);
    }
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
    envelope_t *def = codec_envelope_decode (blob, size);
    if (!copy || !def) {
        free (copy);
        codec_envelope_free (def);
        return;
    }
    memcpy (copy, blob, size);
    size_t i = self->catalog_count++;
    snprintf (self->catalog [i].id, sizeof self->catalog [i].id, "%s", id);
    self->catalog [i].version = version;
    self->catalog [i].blob = copy;
    self->catalog [i].size = size;
    self->catalog [i].def = def;
}

cibus_err_t
measure_indicator_borrow (store_t *self, const char *id, const envelope_t **def,
                          envelope_t **owned)
{
    *def = NULL;
    *owned = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < self->catalog_count; i++)
            if (strcmp (self->catalog [i].id, id) == 0) {
                codec_envelope_free (*owned); //  read just now, and cached
                *owned = NULL;
                *def = self->catalog [i].def;
                return CIBUS_OK;
            }
        if (pass == 0) {
            //  Read from the log, and cached when there is room.
            cibus_err_t err = measure_indicator (self, id, owned, NULL);
            if (err || !*owned)
                return err;
        }
    }
    *def = *owned; //  no room in the cache: the copy it is
    return CIBUS_OK;
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

static cibus_err_t
s_store_problem (codec_problem_t *problem)
{
    return codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                              "the store could not read its projections; try again");
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

//  ------------------------------------------------------------ notes

typedef struct {
    bool found;
    char partner [CIBUS_MAX_NAME + 1];
    int64_t decisions; /* how many it records */
} s_note_t;

static cibus_err_t
s_note_get (store_t *self, const char *network, const char *id, s_note_t *out)
{
    sqlite3_stmt *stmt = self->measure [MEASURE_NOTE_GET];
    memset (out, 0, sizeof *out);
    sqlite3_bind_text (stmt, 1, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        out->found = true;
        snprintf (out->partner, sizeof out->partner, "%s", sqlite3_column_text (stmt, 0));
        out->decisions = sqlite3_column_int64 (stmt, 1);
    }
    cibus_err_t err =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? CIBUS_OK : store_fail (self, "note-get");
    store_reset (stmt);
    return err;
}

//  The date the rules judge at: the one a test set (store_set_today), else
//  the UTC date of the entry's received_at, the broker's clock when it
//  began the transaction - the same for every entry of it.
static void
s_today (const store_t *self, int64_t received_at, char *today, size_t size)
{
    if (self->today [0]) {
        snprintf (today, size, "%s", self->today);
        return;
    }
    time_t secs = (time_t)(received_at / 1000000);
    struct tm utc;
    gmtime_r (&secs, &utc);
    strftime (today, size, "%Y-%m-%d", &utc);
}

void
store_set_today (store_t *self, const char *today)
{
    assert (self);
    assert (!today || codec_is_date (today));
    snprintf (self->today, sizeof self->today, "%s", today ? today : "");
}

//  A note is named by its network and its id, as a commitment is: a
//  commitment names the note it came from by that id (from_note), which
//  must be one note. And a note records a meeting that was held: one dated
//  after today is a mistake (a year typed wrong), or a plan, which is no
//  note. Dates before the initiative are let be: notes are copied in late.
static cibus_err_t
s_check_note (store_t *self, const envelope_t *env, const char *network,
              const store_partner_t *publisher, int64_t received_at, codec_problem_t *problem)
{
    s_note_t existing;
    if (s_note_get (self, network, env->id, &existing))
        return s_store_problem (problem);
    if (existing.found && strcmp (existing.partner, publisher->name) != 0)
        return codec_problem_set (problem, CIBUS_ERR_EXISTS, "id",
                                  "note '%s' already exists, recorded by '%s': choose another id",
                                  env->id, existing.partner);
    const char *held_on = env->note->held_on;
    char today [16];
    s_today (self, received_at, today, sizeof today);
    //  Both are YYYY-MM-DD (the codec checked held_on): byte order is date
    //  order.
    if (held_on && *held_on && strcmp (held_on, today) > 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "note.held_on",
                                  "field 'note.held_on' is %s, after today (%s, UTC): record a "
                                  "meeting once it has been held",
                                  held_on, today);
    return CIBUS_OK;
}

//  ------------------------------------------------------------ commitments

//  The indicators a commitment means to move are ids of the catalogue, as
//  a data table's indicator is: one misspelt would tie the action to
//  nothing, and the report could never show it moving.
static cibus_err_t
s_check_indicators (store_t *self, const Cibus__ActionCommitment *commitment,
                    codec_problem_t *problem)
{
    for (size_t i = 0; i < commitment->n_indicators; i++) {
        envelope_t *def = NULL;
        if (measure_indicator (self, commitment->indicators [i], &def, NULL))
            return codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                                      "the store could not read the catalogue; try again");
        bool known = def != NULL;
        codec_envelope_free (def);
        if (!known)
            return codec_problem_set (problem, CIBUS_ERR_NOT_FOUND, "commitment.indicators",
                                      "indicator '%s' is not in the catalogue",
                                      commitment->indicators [i]);
    }
    return CIBUS_OK;
}

//  The note a commitment came from is looked up in the commitment's own
//  network only, so a note elsewhere is one that does not exist: the
//  refusal is word for word the one for an id nobody used, and tells no
//  one of another network's notes. (A publisher may publish only where it
//  reads; the read check says so here too, as for an update.)
static cibus_err_t
s_check_from_note (store_t *self, const Cibus__ActionCommitment *commitment,
                   const char *network, const store_partner_t *publisher,
                   codec_problem_t *problem)
{
    const char *id = commitment->from_note;
    if (!id || !*id)
        return CIBUS_OK;
    s_note_t note;
    if (s_note_get (self, network, id, &note))
        return s_store_problem (problem);
    if (!note.found || !store_may_read (publisher, network))
        return codec_problem_set (problem, CIBUS_ERR_NOT_FOUND, "commitment.from_note",
                                  "note '%s' does not exist", id);
    if (!commitment->has_decision || commitment->decision <= note.decisions)
        return CIBUS_OK;
    if (note.decisions == 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                                  "note '%s' records no decisions: there is no decision %u", id,
                                  (unsigned)commitment->decision);
    return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                              "note '%s' records %lld decision%s: there is no decision %u", id,
                              (long long)note.decisions, note.decisions == 1 ? "" : "s",
                              (unsigned)commitment->decision);
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
    if (existing.found && strcmp (existing.owner, publisher->name) != 0)
        return codec_problem_set (problem, CIBUS_ERR_EXISTS, "id",
                                  "commitment '%s' already exists, made by '%s': choose another "
                                  "id",
                                  env->id, existing.owner);
    cibus_err_t err = s_check_indicators (self, env->commitment, problem);
    return err ? err : s_check_from_note (self, env->commitment, network, publisher, problem);
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

//  ------------------------------------------------------------ practices

//  A practice is the backbone's record (the broker refuses anyone else's
//  first; this holds for every caller of store_append). The unit's
//  partner must be one of the network's, as a table's owner must (7.2):
//  a misspelt partner would tag a unit that never reports, and the
//  comparison would quietly count it nowhere.
static cibus_err_t
s_check_practice (store_t *self, const envelope_t *env, const char *network,
                  const store_partner_t *publisher, codec_problem_t *problem)
{
    if (publisher->role != ROLE_BACKBONE)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "body",
                                  "only the backbone records practices; '%s' is %s %s",
                                  publisher->name,
                                  publisher->role == ROLE_INTEGRATOR ? "an" : "a",
                                  store_role_name (publisher->role));
    char owner [CIBUS_MAX_NAME + 1];
    const char *unit = env->practice->unit;
    size_t len = strcspn (unit, "/");
    snprintf (owner, sizeof owner, "%.*s", (int)(len < sizeof owner ? len : sizeof owner - 1),
              unit);
    if (strcmp (owner, publisher->name) == 0)
        return CIBUS_OK;
    sqlite3_stmt *stmt = self->tables [TABLES_PARTNER_IN];
    sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, network, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    bool member = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0);
    bool known = rc == SQLITE_ROW && sqlite3_column_int (stmt, 1);
    store_reset (stmt);
    if (rc != SQLITE_ROW)
        return store_fail (self, "practice-unit"), s_store_problem (problem);
    if (!known)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "practice.unit",
                                  "partner '%s' is not in the registry", owner);
    if (!member)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "practice.unit",
                                  "partner '%s' is not a member of network '%s'", owner,
                                  network);
    return CIBUS_OK;
}

//  The rules of store_check_entry, for an entry received at received_at.
static cibus_err_t
s_check_entry (store_t *self, envelope_t *env, const store_partner_t *publisher,
               int64_t received_at, codec_problem_t *problem)
{
    char network [CIBUS_MAX_NETWORK + 1];
    if (!codec_topic_network (env->topic, network, sizeof network))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' must be <network>/<kind>");
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return tables_check (self, env, network, publisher, NULL, problem);
        case CIBUS__ENVELOPE__BODY_NOTE:
            return s_check_note (self, env, network, publisher, received_at, problem);
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return s_check_commitment (self, env, network, publisher, problem);
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return s_check_update (self, env, network, publisher, problem);
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            return s_check_practice (self, env, network, publisher, problem);
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            if (publisher->role != ROLE_BACKBONE)
                return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "indicator",
                                          "only the backbone defines indicators");
            return CIBUS_OK;
        default:
            return CIBUS_OK;
    }
}

cibus_err_t
store_check_entry (store_t *self, envelope_t *env, const store_partner_t *publisher,
                   codec_problem_t *problem)
{
    assert (self);
    assert (publisher);
    //  Checked as if it were received now.
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return s_check_entry (self, env, publisher,
                          (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, problem);
}

//  ------------------------------------------------------------ projections

static cibus_err_t
s_project_note (store_t *self, const envelope_t *env, const char *network)
{
    const Cibus__MeetingNote *note = env->note;
    sqlite3_stmt *stmt = self->measure [MEASURE_NOTE_ADD];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)env->seq);
    sqlite3_bind_text (stmt, 2, env->partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, note->title ? note->title : "", -1, SQLITE_STATIC);
    store_bind_text_or_null (stmt, 5, note->held_on);
    sqlite3_bind_int64 (stmt, 6, env->received_at);
    sqlite3_bind_text (stmt, 8, env->id, -1, SQLITE_STATIC);
    //  The decisions as one JSON array, written once: a statement per
    //  decision rewrote the array each time, which made a note's cost in the
    //  commit grow with the square of its decisions. The codec let only
    //  well-formed UTF-8 in, so cibus_json_string () repairs nothing here.
    json_t *decisions = json_array ();
    int failed = 0;
    for (size_t i = 0; i < note->n_decisions; i++)
        failed |= json_array_append_new (decisions, cibus_json_string (note->decisions [i]));
    char *text = failed ? NULL : json_dumps (decisions, JSON_COMPACT);
    json_decref (decisions);
    cibus_err_t err = CIBUS_ERR_NOMEM;
    if (text) {
        sqlite3_bind_text (stmt, 7, text, -1, SQLITE_STATIC);
        err = store_step_done (self, stmt, "note-add");
    } else
        store_reset (stmt);
    free (text);
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
    store_bind_text_or_null (stmt, 9, env->commitment->from_note);
    //  A decision without its note was refused by the codec; the replica
    //  projects what the broker accepted, but keeps the rule anyway.
    if (env->commitment->has_decision && env->commitment->from_note
        && *env->commitment->from_note)
        sqlite3_bind_int64 (stmt, 10, env->commitment->decision);
    else
        sqlite3_bind_null (stmt, 10);
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
    store_bind_text_or_null (stmt, 2, update->comment);
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

static cibus_err_t
s_project_practice (store_t *self, const envelope_t *env, const char *network)
{
    const Cibus__PracticeTag *practice = env->practice;
    sqlite3_stmt *stmt = self->measure [MEASURE_PRACTICE_ADD];
    sqlite3_bind_text (stmt, 1, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, practice->unit ? practice->unit : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, practice->practice ? practice->practice : "", -1,
                       SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, practice->since ? practice->since : "", -1, SQLITE_STATIC);
    store_bind_text_or_null (stmt, 5, practice->until);
    sqlite3_bind_int64 (stmt, 6, (sqlite3_int64)env->seq);
    return store_step_done (self, stmt, "practice-add");
}

//  Bring the projections up to date with an entry just appended in the
//  open batch (env carries its seq, partner, topic, received_at). Data
//  tables are projected by tables_append.
cibus_err_t
measure_project (store_t *self, const envelope_t *env, const char *network)
{
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_NOTE:
            return s_project_note (self, env, network);
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return s_project_commitment (self, env, network);
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return s_project_update (self, env, network);
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            return s_project_indicator (self, env);
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            return s_project_practice (self, env, network);
        default:
            return CIBUS_OK;
    }
}

void
store_appended_release (store_appended_t *out)
{
    if (!out)
        return;
    codec_buf_release (&out->whole);
    codec_buf_release (&out->masked);
}

cibus_err_t
store_append (store_t *self, envelope_t *env, const store_partner_t *publisher,
              int64_t received_at, store_appended_t *out, codec_problem_t *problem)
{
    assert (self);
    assert (env);
    assert (publisher);
    assert (out);
    out->whole.size = out->masked.size = 0;
    out->owner [0] = 0;
    out->superseded = 0;
    cibus_err_t err = store_batch_reserve (self, publisher->name, env->id, &out->seq,
                                           &out->duplicate);
    if (err || out->duplicate)
        return err;
    char network [CIBUS_MAX_NETWORK + 1];
    if (!codec_topic_network (env->topic, network, sizeof network))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' must be <network>/<kind>");
    //  An empty string is absent (PROTOCOL.md 2.1): the rules already read
    //  it so, and the entry must say so too, or a reader would be sent a
    //  `source: ""` that no rule ever saw. Cleared for the rules, the
    //  encoding and the projections alike; the caller's strings are put
    //  back before returning.
    codec_cleared_t cleared = {0};
    err = codec_envelope_clear_empty (env, &cleared);
    if (err)
        return err;
    //  Judged inside the transaction, so that an entry earlier in the same
    //  batch counts (a definition and a submission that uses it, or an
    //  earlier version of the same table).
    tables_work_t *work = NULL;
    out->cost_usec = 0;
    if (env->body_case == CIBUS__ENVELOPE__BODY_DATA) {
        struct timespec start, end;
        clock_gettime (CLOCK_MONOTONIC, &start);
        err = tables_check (self, env, network, publisher, &work, problem);
        clock_gettime (CLOCK_MONOTONIC, &end);
        int64_t usec = (int64_t)(end.tv_sec - start.tv_sec) * 1000000
                       + (end.tv_nsec - start.tv_nsec) / 1000;
        out->cost_usec = usec > 0 ? (uint64_t)usec : 0;
    } else
        err = s_check_entry (self, env, publisher, received_at, problem);
    if (err) {
        codec_envelope_restore_empty (&cleared);
        codec_cleared_release (&cleared);
        return err;
    }
    char *client_partner = env->partner;
    env->partner = (char *)publisher->name;
    env->has_seq = true;
    env->seq = out->seq;
    env->has_received_at = true;
    env->received_at = received_at;
    err = codec_pack_envelope (env, &out->whole);
    //  A table's projection and masked copy first: the copy goes in the
    //  entry's own log row, with the table's owner.
    store_copy_t copy = {NULL, NULL, 0, NULL};
    store_version_t columns = {0};
    if (err == CIBUS_OK && work) {
        text_put (out->owner, sizeof out->owner, 0, tables_owner (work));
        err = tables_append (self, env, network, work, &out->masked, &out->superseded, &columns);
        copy = (store_copy_t){out->owner, out->masked.data, out->masked.size, &columns};
    }
    if (err == CIBUS_OK)
        err = store_batch_add_copy (self, out->seq, publisher->name, env->id, env->topic,
                                    received_at, out->whole.data, out->whole.size,
                                    work ? &copy : NULL);
    if (err == CIBUS_OK && !work)
        err = measure_project (self, env, network);
    env->partner = client_partner;
    tables_restore (env, &work);
    codec_envelope_restore_empty (&cleared);
    codec_cleared_release (&cleared);
    //  An entry that could not be encoded or stored fails the batch: it
    //  passed every rule, so the fault is the store's or the memory's.
    return err == CIBUS_OK || err == CIBUS_ERR_STORE ? err : CIBUS_ERR_STORE;
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
    //  1 to show a percent near 0 or 100 as a range by the size of its
    //  group (NCES 2011-603's bands), 0 to show it as it is
    {"coding", 0, 1, 1},
    //  how wide, in percent of its size, the range of a small hidden cell's
    //  numerator must stay for every reader (the audit's protection level)
    {"protection", 1, 100, 50},
    //  the same for a count, score or amount: +- this percent of its value
    {"value-protection", 1, 100, 10},
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
    self->batch_rules_read = false;
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

long
measure_setting (store_t *self, const char *key)
{
    int setting = s_setting (key);
    assert (setting >= 0);
    char text [32] = "";
    long number = s_settings [setting].fallback;
    //  Fail closed: when the setting cannot be read, the default (which
    //  hides and codes) is used.
    if (store_config_get (self, key, text, sizeof text) == CIBUS_OK
        && !s_setting_parse (setting, text, &number)) {
        log_value_t db, value;
        log_error ("event=config-invalid db=\"%s\" key=%s value=\"%s\" using=%ld",
                   log_escape (&db, self->path), key, log_escape (&value, text),
                   s_settings [setting].fallback);
        number = s_settings [setting].fallback;
    }
    return number;
}

int
store_min_cell (store_t *self)
{
    return (int)measure_setting (self, "min-cell");
}

void
store_set_disclosure_rules (store_t *self, const disclosure_rules_t *rules)
{
    assert (self);
    self->has_rules = rules != NULL;
    if (rules)
        self->rules = *rules;
}

void
tables_rules (store_t *self, disclosure_rules_t *rules)
{
    if (self->has_rules) {
        *rules = self->rules;
        return;
    }
    if (self->in_batch && self->batch_rules_read) {
        *rules = self->batch_rules;
        return;
    }
    disclosure_rules_default (rules);
    rules->min_cell = (uint64_t)store_min_cell (self);
    rules->ratio_protection = (double)measure_setting (self, "protection") / 100.0;
    rules->value_protection = (double)measure_setting (self, "value-protection") / 100.0;
    if (!measure_setting (self, "coding")) {
        rules->bands = NULL;
        rules->band_count = 0;
    }
    if (self->in_batch) {
        self->batch_rules = *rules;
        self->batch_rules_read = true;
    }
}
