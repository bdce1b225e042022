/*  measure_fixture.h - what test_measure.c and test_query.c share: a store
    in a scratch directory with a registry (the backbone "hub", partners
    "alice" and "carol" in early-literacy, "bob" in postsecondary, the
    integrator "feed" in early-literacy), builders for the envelopes a
    publisher sends - a data table is written as the command line writes
    it: a total "168/410", cells "race=black" "52/160" or
    "race=hispanic,income=low" "20/70", "310.5@12" for a score of 12
    pupils, "*" for a cell suppressed at source (its size, when known,
    after a slash or an at sign) - and a publish that goes the broker's
    way through the store: codec validation, then store_append, the one
    append path (duplicate lookup, rules, stamps, insert, projections, a
    table's decision and its masked copy), then commit.

    The fixture also keeps what the broker would have sent live for every
    entry it appended: the whole entry and, for a data table, its masked
    copy as store_append returned them. A correction later turns a masked
    copy in the log into a marker; what a reader received live stays what
    it was, and a test of disclosure must judge both.

    Header-only (static inline) because the Makefile links each test from
    its own file and the harness only.                                     */

#ifndef CIBUS_MEASURE_FIXTURE_H_INCLUDED
#define CIBUS_MEASURE_FIXTURE_H_INCLUDED

#include "codec.h"
#include "harness.h"
#include "measure.h"
#include "query.h"
#include "store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  2026-01-05 00:00:00 UTC, in microseconds: the first entry's received_at.
#define FIXTURE_EPOCH_USEC (1767571200LL * 1000000)
#define FIXTURE_DAY_USEC   (86400LL * 1000000)
//  The fixture's today: the date its queries judge "overdue" at, and the
//  one its publishes are judged at (a note held after it is refused). Its
//  clock steps a day an entry from FIXTURE_EPOCH_USEC and is no calendar:
//  a test of a date rule sets its own (store_set_today).
#define FIXTURE_TODAY "2026-06-01"

//  What the broker sent live for one appended entry: the whole entry (to
//  its owner and the backbone, and to everyone for an entry that is no
//  table) and a table's masked copy (to everyone else).
typedef struct {
    uint64_t seq;
    char owner [CIBUS_MAX_NAME + 1]; /* a table's owner; "" otherwise */
    void *whole;
    size_t whole_size;
    void *masked; /* NULL for an entry that is no table */
    size_t masked_size;
} world_sent_t;

typedef struct {
    char *dir;
    char path [PATH_MAX];
    store_t *store;
    int64_t clock; /* received_at of the next entry; a day passes per entry */
    store_partner_t hub, alice, carol, bob, feed; /* as the registry has them */
    store_appended_t appended; /* what the last store_append did; its buffers are reused */
    world_sent_t *sent;        /* every entry appended, in the order appended */
    size_t sent_count;
} world_t;

//  The key the fixture gives the i-th partner it registers.
static inline void
s_partner_key (size_t i, char *key)
{
    memset (key, 'A' + (int) i, STORE_KEY_LEN);
    key [STORE_KEY_LEN] = 0;
}

//  The i-th partner as the registry has it (networks and feeds included),
//  as the broker looks a publisher up.
static inline void
world_reload (world_t *self, store_partner_t *partner, size_t i)
{
    char key [STORE_KEY_LEN + 1];
    s_partner_key (i, key);
    store_partner_release (partner);
    assert_int_equal (store_partner_by_key (self->store, key, partner), CIBUS_OK);
}

static inline int world_teardown (void **state);

static inline int
world_setup (void **state)
{
    world_t *self = calloc (1, sizeof *self);
    if (!self)
        return -1;
    //  On failure, the teardown frees what was made (cmocka does not call it
    //  after a failed setup).
    *state = self;
    self->dir = harness_tmpdir ();
    if (!self->dir)
        return world_teardown (state), -1;
    snprintf (self->path, sizeof self->path, "%s/cibus.db", self->dir);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    if (!self->store)
        return world_teardown (state), -1;
    self->clock = FIXTURE_EPOCH_USEC;
    store_set_today (self->store, FIXTURE_TODAY);
    static const struct {
        const char *name;
        role_t role;
        const char *network;
    } registry [] = {
        {"hub", ROLE_BACKBONE, NULL},
        {"alice", ROLE_PARTNER, "early-literacy"},
        {"carol", ROLE_PARTNER, "early-literacy"},
        {"bob", ROLE_PARTNER, "postsecondary"},
        {"feed", ROLE_INTEGRATOR, "early-literacy"},
    };
    store_partner_t *records [] = {&self->hub, &self->alice, &self->carol, &self->bob,
                                   &self->feed};
    for (size_t i = 0; i < sizeof registry / sizeof registry [0]; i++) {
        char key [STORE_KEY_LEN + 1];
        s_partner_key (i, key);
        const char *networks [] = {registry [i].network};
        if (store_partner_add (self->store, registry [i].name, key, registry [i].role, networks,
                               registry [i].network ? 1 : 0)
            || store_partner_by_key (self->store, key, records [i]))
            return world_teardown (state), -1;
    }
    return 0;
}

static inline int
world_teardown (void **state)
{
    world_t *self = *state;
    if (!self)
        return 0;
    store_destroy (&self->store);
    if (self->dir)
        harness_rmtree (self->dir);
    free (self->dir);
    store_partner_t *records [] = {&self->hub, &self->alice, &self->carol, &self->bob,
                                   &self->feed};
    for (size_t i = 0; i < sizeof records / sizeof records [0]; i++)
        store_partner_release (records [i]);
    store_appended_release (&self->appended);
    for (size_t i = 0; i < self->sent_count; i++) {
        free (self->sent [i].whole);
        free (self->sent [i].masked);
    }
    free (self->sent);
    free (self);
    *state = NULL;
    return 0;
}

//  Register the integrator "feed" to submit tables for partner, as
//  `cibusd partner add ... --feeds` does, and read its record again.
static inline void
world_feeds (world_t *self, const char *partner)
{
    const char *partners [] = {partner};
    assert_int_equal (store_partner_add_feeds (self->store, "feed", partners, 1), CIBUS_OK);
    world_reload (self, &self->feed, 4);
}

//  ------------------------------------------------------------ publishing

static inline void *
s_copy (const void *data, size_t size)
{
    void *copy = malloc (size ? size : 1);
    assert_non_null (copy);
    if (size)
        memcpy (copy, data, size);
    return copy;
}

//  Keep what the broker would have sent live for the entry just appended.
static inline void
s_world_keep_sent (world_t *self)
{
    const store_appended_t *out = &self->appended;
    world_sent_t *grown = realloc (self->sent, (self->sent_count + 1) * sizeof *grown);
    assert_non_null (grown);
    self->sent = grown;
    world_sent_t *sent = &self->sent [self->sent_count++];
    memset (sent, 0, sizeof *sent);
    sent->seq = out->seq;
    snprintf (sent->owner, sizeof sent->owner, "%s", out->owner);
    sent->whole = s_copy (out->whole.data, out->whole.size);
    sent->whole_size = out->whole.size;
    if (out->masked.size) {
        sent->masked = s_copy (out->masked.data, out->masked.size);
        sent->masked_size = out->masked.size;
    }
}

//  What was sent live for seq, or NULL when the fixture appended no such
//  entry (the latest append under seq: a batch that failed gave its seq
//  back).
static inline const world_sent_t *
world_sent (const world_t *self, uint64_t seq)
{
    for (size_t i = self->sent_count; i-- > 0;)
        if (self->sent [i].seq == seq)
            return &self->sent [i];
    return NULL;
}

//  Publish one entry inside the open batch, as the broker does: refuse what
//  the codec refuses, else store_append it (the broker's own append path,
//  with the fixture's clock); self->appended then says what it did, and
//  self->sent keeps it (a test that aborts its own batch afterwards must
//  not read it there). The envelope gets the broker's stamps (seq,
//  received_at; a table's version, and its cells are left masked as
//  store_append leaves them); partner is set to the publisher's name for
//  the caller to read, as a reader would.
static inline cibus_err_t
world_add (world_t *self, const store_partner_t *who, envelope_t *env, codec_problem_t *problem)
{
    memset (problem, 0, sizeof *problem);
    cibus_err_t rc = codec_validate_envelope (env, problem);
    if (rc)
        return rc;
    rc = store_append (self->store, env, who, self->clock, &self->appended, problem);
    assert_int_not_equal (rc, CIBUS_ERR_STORE);
    if (rc == CIBUS_OK && !self->appended.duplicate) {
        env->partner = (char *) who->name;
        s_world_keep_sent (self);
        self->clock += FIXTURE_DAY_USEC;
    }
    return rc;
}

//  One entry in a batch of its own; a refused entry aborts the batch.
static inline cibus_err_t
world_publish (world_t *self, const store_partner_t *who, envelope_t *env,
               codec_problem_t *problem)
{
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    cibus_err_t rc = world_add (self, who, env, problem);
    if (rc)
        store_batch_abort (self->store);
    else
        assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    return rc;
}

//  Publish what must be accepted; self->appended says what was stored.
#define PUBLISH_OK(world, who, env) \
    do { \
        codec_problem_t problem_; \
        cibus_err_t rc_ = world_publish ((world), (who), (env), &problem_); \
        if (rc_) \
            print_error ("refused: %s (%s)\n", problem_.message, problem_.field); \
        assert_int_equal (rc_, CIBUS_OK); \
    } while (0)

//  Publish what must be refused, with this code, field and message.
#define PUBLISH_REFUSED(world, who, env, code_, field_, message_) \
    do { \
        codec_problem_t problem_; \
        assert_int_equal (world_publish ((world), (who), (env), &problem_), (code_)); \
        assert_int_equal (problem_.code, (code_)); \
        assert_string_equal (problem_.field, (field_)); \
        assert_string_equal (problem_.message, (message_)); \
    } while (0)

//  ------------------------------------------------------------ reading

typedef struct {
    const store_partner_t *reader;
    codec_buf_t *bytes;
    bool found;
} s_world_read_t;

static inline bool
s_world_read_one (const store_entry_t *entry, void *arg)
{
    s_world_read_t *self = arg;
    size_t size = 0;
    const void *bytes = store_entry_bytes (entry, self->reader, &size);
    self->found = true;
    self->bytes->size = 0;
    if (bytes && size) {
        self->bytes->data = s_copy (bytes, size);
        self->bytes->size = size;
    }
    return false;
}

//  The bytes reader gets for seq on replay (store_read_from, then
//  store_entry_bytes: the copy the broker sends). size 0 when nothing is
//  sent to this reader. Release with codec_buf_release.
static inline void
world_replay_bytes (world_t *self, uint64_t seq, const store_partner_t *reader, codec_buf_t *out)
{
    memset (out, 0, sizeof *out);
    s_world_read_t read = {.reader = reader, .bytes = out};
    assert_int_equal (store_read_from (self->store, seq, 1, s_world_read_one, &read, NULL),
                      CIBUS_OK);
    assert_true (read.found);
}

//  The entry reader gets for seq on replay, decoded; NULL when it gets
//  nothing. Free with codec_envelope_free.
static inline envelope_t *
world_replay (world_t *self, uint64_t seq, const store_partner_t *reader)
{
    codec_buf_t bytes;
    world_replay_bytes (self, seq, reader, &bytes);
    envelope_t *env = bytes.size ? codec_envelope_decode (bytes.data, bytes.size) : NULL;
    if (bytes.size)
        assert_non_null (env);
    codec_buf_release (&bytes);
    return env;
}

//  ------------------------------------------------------------ tables

#define TABLE_MAX_CELLS 32
#define TABLE_NAME_SIZE 128

//  A data table being built: data.total and data.cells point into it.
typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total;
    Cibus__DataCell cells [TABLE_MAX_CELLS];
    Cibus__DataCell *cell_list [TABLE_MAX_CELLS];
    Cibus__Dimension dims [TABLE_MAX_CELLS][CIBUS_MAX_CROSS];
    Cibus__Dimension *dim_list [TABLE_MAX_CELLS][CIBUS_MAX_CROSS];
    char names [TABLE_MAX_CELLS][TABLE_NAME_SIZE]; /* "race=black,income=low", split */
} table_msg_t;

//  The counts of a cell as the command line writes them: "NUM/DEN" (a
//  percent or rate), "VALUE@N" or "VALUE" (a count, score or currency),
//  "*" (suppressed at source), "*/SIZE" (suppressed, with its denominator)
//  or "*@SIZE" (suppressed, with its n).
static inline void
table_counts (Cibus__DataCell *cell, const char *text)
{
    char *end = NULL;
    if (text [0] == '*') {
        cell->has_suppressed = cell->suppressed = true;
        if (text [1] == '/' || text [1] == '@') {
            uint64_t size = strtoull (text + 2, &end, 10);
            assert_true (end > text + 2 && *end == 0);
            if (text [1] == '/')
                cell->has_denominator = true, cell->denominator = size;
            else
                cell->has_n = true, cell->n = size;
        } else
            assert_int_equal (text [1], 0);
        return;
    }
    const char *slash = strchr (text, '/');
    if (slash) {
        cell->has_numerator = cell->has_denominator = true;
        cell->numerator = strtoull (text, &end, 10);
        assert_true (end == slash);
        cell->denominator = strtoull (slash + 1, &end, 10);
        assert_true (end > slash + 1 && *end == 0);
        return;
    }
    cell->has_value = true;
    cell->value = strtod (text, &end);
    assert_true (end > text);
    if (*end == '@') {
        const char *n = end + 1;
        cell->has_n = true;
        cell->n = strtoull (n, &end, 10);
        assert_true (end > n);
    }
    assert_int_equal (*end, 0);
}

//  A table of indicator for period in network, with its total's counts.
static inline envelope_t *
table_msg (table_msg_t *m, const char *id, const char *network, const char *indicator,
           const char *period, const char *total)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/data", network);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->data = (Cibus__DataSubmission) CIBUS__DATA_SUBMISSION__INIT;
    m->total = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    m->env.id = (char *) id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    m->env.data = &m->data;
    m->data.indicator = (char *) indicator;
    m->data.period = (char *) period;
    m->data.total = &m->total;
    m->data.cells = m->cell_list;
    table_counts (&m->total, total);
    return &m->env;
}

//  A cell of the table: its categories as "race=black" or
//  "race=hispanic,income=low", and its counts as table_counts reads them.
static inline Cibus__DataCell *
table_cell (table_msg_t *m, const char *categories, const char *counts)
{
    size_t i = m->data.n_cells++;
    assert_true (i < TABLE_MAX_CELLS);
    Cibus__DataCell *cell = &m->cells [i];
    *cell = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    m->cell_list [i] = cell;
    assert_true (strlen (categories) < TABLE_NAME_SIZE);
    snprintf (m->names [i], TABLE_NAME_SIZE, "%s", categories);
    cell->dimensions = m->dim_list [i];
    char *save = NULL;
    for (char *part = strtok_r (m->names [i], ",", &save); part;
         part = strtok_r (NULL, ",", &save)) {
        size_t d = cell->n_dimensions++;
        assert_true (d < CIBUS_MAX_CROSS);
        char *equals = strchr (part, '=');
        assert_non_null (equals);
        *equals = 0;
        m->dims [i][d] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
        m->dims [i][d].key = part;
        m->dims [i][d].value = equals + 1;
        m->dim_list [i][d] = &m->dims [i][d];
    }
    table_counts (cell, counts);
    return cell;
}

//  Give a cell (or the total) a value beside its counts, as a publisher
//  may for a percent or rate.
static inline void
table_value (Cibus__DataCell *cell, double value)
{
    cell->has_value = true;
    cell->value = value;
}

static inline void
table_unit (table_msg_t *m, const char *unit)
{
    m->data.unit = (char *) unit;
}

//  The partner the table belongs to (data.owner).
static inline void
table_owner (table_msg_t *m, const char *owner)
{
    m->data.owner = (char *) owner;
}

static inline void
table_status (table_msg_t *m, Cibus__ValueStatus status)
{
    m->data.has_status = true;
    m->data.status = status;
}

//  Publish a table that must be accepted: its total, then its cells as
//  pairs of categories and counts, ended by NULL. Returns its seq.
static inline uint64_t
world_table (world_t *self, const store_partner_t *who, const char *id, const char *network,
             const char *indicator, const char *period, const char *total, ...)
{
    table_msg_t m;
    table_msg (&m, id, network, indicator, period, total);
    va_list cells;
    va_start (cells, total);
    const char *categories;
    while ((categories = va_arg (cells, const char *)) != NULL)
        table_cell (&m, categories, va_arg (cells, const char *));
    va_end (cells);
    PUBLISH_OK (self, who, &m.env);
    return self->appended.seq;
}

typedef struct {
    envelope_t env;
    Cibus__IndicatorDefinition def;
    Cibus__Milestone baseline;
    Cibus__Milestone targets [4];
    Cibus__Milestone *target_list [4];
    char *dims [8];
    char *networks [4];
} indicator_msg_t;

static inline envelope_t *
indicator_msg (indicator_msg_t *m, const char *id, const char *indicator, const char *name,
               Cibus__Unit unit, Cibus__Direction direction, Cibus__PeriodKind kind)
{
    memset (m, 0, sizeof *m);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->def = (Cibus__IndicatorDefinition) CIBUS__INDICATOR_DEFINITION__INIT;
    m->env.id = (char *) id;
    m->env.topic = (char *) CODEC_CATALOG_NETWORK "/indicator";
    m->env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    m->env.indicator = &m->def;
    m->def.indicator = (char *) indicator;
    m->def.name = (char *) name;
    m->def.has_unit = m->def.has_direction = m->def.has_period_kind = true;
    m->def.unit = unit;
    m->def.direction = direction;
    m->def.period_kind = kind;
    m->def.dimensions = m->dims;
    m->def.networks = m->networks;
    m->def.targets = m->target_list;
    return &m->env;
}

static inline void
indicator_dim (indicator_msg_t *m, const char *key)
{
    assert_true (m->def.n_dimensions < 8);
    m->dims [m->def.n_dimensions++] = (char *) key;
}

static inline void
indicator_network (indicator_msg_t *m, const char *network)
{
    assert_true (m->def.n_networks < 4);
    m->networks [m->def.n_networks++] = (char *) network;
}

static inline void
indicator_range (indicator_msg_t *m, double min, double max)
{
    m->def.has_min = m->def.has_max = true;
    m->def.min = min;
    m->def.max = max;
}

static inline void
indicator_baseline (indicator_msg_t *m, const char *period, double value)
{
    m->baseline = (Cibus__Milestone) CIBUS__MILESTONE__INIT;
    m->baseline.period = (char *) period;
    m->baseline.has_value = true;
    m->baseline.value = value;
    m->def.baseline = &m->baseline;
}

static inline void
indicator_target (indicator_msg_t *m, const char *period, double value)
{
    size_t i = m->def.n_targets++;
    assert_true (i < 4);
    m->targets [i] = (Cibus__Milestone) CIBUS__MILESTONE__INIT;
    m->targets [i].period = (char *) period;
    m->targets [i].has_value = true;
    m->targets [i].value = value;
    m->target_list [i] = &m->targets [i];
}

typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    envelope_t env;
    Cibus__ActionCommitment commitment;
    Cibus__CommitmentUpdate update;
    Cibus__MeetingNote note;
    char *decisions [4];
} collab_msg_t;

static inline envelope_t *
commitment_msg (collab_msg_t *m, const char *id, const char *network, const char *action,
                const char *due)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/commitment", network);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->commitment = (Cibus__ActionCommitment) CIBUS__ACTION_COMMITMENT__INIT;
    m->env.id = (char *) id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    m->env.commitment = &m->commitment;
    m->commitment.action = (char *) action;
    m->commitment.due = (char *) due;
    return &m->env;
}

static inline envelope_t *
update_msg (collab_msg_t *m, const char *id, const char *network, const char *commitment,
            Cibus__CommitmentStatus status, const char *comment)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/commitment", network);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->update = (Cibus__CommitmentUpdate) CIBUS__COMMITMENT_UPDATE__INIT;
    m->env.id = (char *) id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    m->env.update = &m->update;
    m->update.commitment_id = (char *) commitment;
    m->update.has_status = true;
    m->update.status = status;
    m->update.comment = (char *) comment;
    return &m->env;
}

static inline envelope_t *
note_msg (collab_msg_t *m, const char *id, const char *network, const char *title,
          const char *held_on)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/note", network);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->note = (Cibus__MeetingNote) CIBUS__MEETING_NOTE__INIT;
    m->env.id = (char *) id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    m->env.note = &m->note;
    m->note.title = (char *) title;
    m->note.held_on = (char *) held_on;
    m->note.decisions = m->decisions;
    return &m->env;
}

static inline void
note_decision (collab_msg_t *m, const char *decision)
{
    assert_true (m->note.n_decisions < 4);
    m->decisions [m->note.n_decisions++] = (char *) decision;
}

//  ------------------------------------------------------------ the catalogue

//  k3-reading: a quarterly percent by race and income, used in
//  early-literacy, baseline 2025-Q3 = 58.2, targets 2026-Q2 = 62, 2027-Q2 = 70.
static inline void
world_define_k3 (world_t *self)
{
    indicator_msg_t m;
    indicator_msg (&m, "def-k3", "k3-reading", "3rd-grade reading proficiency",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_dim (&m, "race");
    indicator_dim (&m, "income");
    indicator_network (&m, "early-literacy");
    indicator_baseline (&m, "2025-Q3", 58.2);
    indicator_target (&m, "2026-Q2", 62);
    indicator_target (&m, "2027-Q2", 70);
    PUBLISH_OK (self, &self->hub, &m.env);
}

//  fafsa: a yearly count used in postsecondary, no dimensions.
static inline void
world_define_fafsa (world_t *self)
{
    indicator_msg_t m;
    indicator_msg (&m, "def-fafsa", "fafsa", "FAFSA completions", CIBUS__UNIT__COUNT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_network (&m, "postsecondary");
    PUBLISH_OK (self, &self->hub, &m.env);
}

//  absence: a monthly rate, lower is better, used everywhere, by grade.
static inline void
world_define_absence (world_t *self)
{
    indicator_msg_t m;
    indicator_msg (&m, "def-absence", "absence", "chronic absence", CIBUS__UNIT__RATE,
                   CIBUS__DIRECTION__DOWN, CIBUS__PERIOD_KIND__MONTH);
    indicator_dim (&m, "grade");
    indicator_target (&m, "2027-06", 0.1);
    PUBLISH_OK (self, &self->hub, &m.env);
}

//  ------------------------------------------------------------ answers

//  Ask a query as reader, which must be answered.
static inline store_answer_t *
world_query (world_t *self, const Cibus__Query *query, const store_partner_t *reader)
{
    store_answer_t *reply = NULL;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    cibus_err_t rc = store_query (self->store, query, reader, FIXTURE_TODAY, &reply, &problem);
    if (rc)
        print_error ("query refused: %s (%s)\n", problem.message, problem.field);
    assert_int_equal (rc, CIBUS_OK);
    assert_non_null (reply);
    return reply;
}

//  A table of an answer as text: the columns, then one line per row, cells
//  separated by '|', a number as %g, an empty cell as nothing. The result
//  lives in a static buffer until the next call.
static inline const char *
world_render (const store_answer_t *reply, const char *title)
{
    static char text [16384];
    const store_table_t *table = NULL;
    for (size_t i = 0; i < reply->n_tables && !table; i++)
        if (strcmp (reply->tables [i]->title, title) == 0)
            table = reply->tables [i];
    if (!table)
        return "<no such table>";
    size_t used = 0;
    text [0] = 0;
#define S_PUT(...) \
    used += (size_t) snprintf (text + used, used < sizeof text ? sizeof text - used : 0, \
                               __VA_ARGS__)
    for (size_t c = 0; c < table->n_columns; c++)
        S_PUT ("%s%s", c ? "|" : "", table->columns [c]);
    S_PUT ("\n");
    for (size_t r = 0; r < table->n_rows; r++) {
        const store_row_t *row = table->rows [r];
        assert_int_equal (row->n_cells, table->n_columns);
        for (size_t c = 0; c < row->n_cells; c++) {
            const store_cell_t *cell = row->cells [c];
            if (c)
                S_PUT ("|");
            if (cell->has_number)
                S_PUT ("%g", cell->number);
            else if (cell->text)
                S_PUT ("%s", cell->text);
        }
        S_PUT ("\n");
    }
#undef S_PUT
    assert_true (used < sizeof text);
    return text;
}

//  The titles of an answer's tables, joined by '|'.
static inline const char *
world_titles (const store_answer_t *reply)
{
    static char text [1024];
    size_t used = 0;
    text [0] = 0;
    for (size_t i = 0; i < reply->n_tables; i++)
        used += (size_t) snprintf (text + used, sizeof text - used, "%s%s", i ? "|" : "",
                                   reply->tables [i]->title);
    return text;
}

#endif
