/*  measure_fixture.h - what test_measure.c and test_query.c share: a store
    in a scratch directory with a registry (the backbone "hub", partners
    "alice" and "carol" in early-literacy, "bob" in postsecondary, the
    integrator "feed" in early-literacy), builders for the envelopes a
    publisher sends, and a publish that goes the broker's way through the
    store: codec validation, then store_append (the broker's own append
    path: duplicate lookup, rules, stamps, insert, projections), commit.

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

static char s_early_literacy [] = "early-literacy";
static char s_postsecondary [] = "postsecondary";
static char *s_el_networks [] = {s_early_literacy};
static char *s_ps_networks [] = {s_postsecondary};

typedef struct {
    char *dir;
    char path [PATH_MAX];
    store_t *store;
    int64_t clock; /* received_at of the next entry; a day passes per entry */
    store_partner_t hub, alice, carol, bob, feed;
} world_t;

static inline void
s_partner_init (store_partner_t *partner, const char *name, role_t role, char **networks,
                size_t count)
{
    memset (partner, 0, sizeof *partner);
    snprintf (partner->name, sizeof partner->name, "%s", name);
    partner->role = role;
    partner->networks = networks;
    partner->network_count = count;
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
    s_partner_init (&self->hub, "hub", ROLE_BACKBONE, NULL, 0);
    s_partner_init (&self->alice, "alice", ROLE_PARTNER, s_el_networks, 1);
    s_partner_init (&self->carol, "carol", ROLE_PARTNER, s_el_networks, 1);
    s_partner_init (&self->bob, "bob", ROLE_PARTNER, s_ps_networks, 1);
    s_partner_init (&self->feed, "feed", ROLE_INTEGRATOR, s_el_networks, 1);
    const store_partner_t *all [] = {&self->hub, &self->alice, &self->carol, &self->bob,
                                     &self->feed};
    for (size_t i = 0; i < sizeof all / sizeof all [0]; i++) {
        char key [STORE_KEY_LEN + 1];
        memset (key, 'A' + (int) i, STORE_KEY_LEN);
        key [STORE_KEY_LEN] = 0;
        if (store_partner_add (self->store, all [i]->name, key, all [i]->role,
                               (const char *const *) all [i]->networks,
                               all [i]->network_count))
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
    free (self);
    *state = NULL;
    return 0;
}

//  ------------------------------------------------------------ publishing

//  Publish one entry inside the open batch, as the broker does: refuse what
//  the codec or the catalogue refuses, else append and project it. The
//  envelope gets the broker's stamps (seq, partner, received_at).
static inline cibus_err_t
world_add (world_t *self, const store_partner_t *who, envelope_t *env, codec_problem_t *problem)
{
    memset (problem, 0, sizeof *problem);
    cibus_err_t rc = codec_validate_envelope (env, problem);
    if (rc)
        return rc;
    //  The broker's own append path, with the fixture's clock.
    uint64_t seq = 0;
    bool duplicate = false;
    codec_buf_t buf = {0};
    rc = store_append (self->store, env, who, self->clock, &buf, &seq, &duplicate, problem);
    codec_buf_release (&buf);
    assert_int_not_equal (rc, CIBUS_ERR_STORE);
    if (rc == CIBUS_OK && !duplicate) {
        //  The caller reads what was stored from env, as the broker's readers do.
        env->partner = (char *) who->name;
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

//  Publish what must be accepted.
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

//  ------------------------------------------------------------ builders

typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    envelope_t env;
    Cibus__DataSubmission data;
    Cibus__Dimension dims [4];
    Cibus__Dimension *dim_list [4];
} data_msg_t;

static inline envelope_t *
data_msg (data_msg_t *m, const char *id, const char *network, const char *indicator,
          const char *period)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/data", network);
    m->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    m->data = (Cibus__DataSubmission) CIBUS__DATA_SUBMISSION__INIT;
    m->env.id = (char *) id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    m->env.data = &m->data;
    m->data.indicator = (char *) indicator;
    m->data.period = (char *) period;
    m->data.dimensions = m->dim_list;
    return &m->env;
}

static inline void
data_value (data_msg_t *m, double value)
{
    m->data.has_value = true;
    m->data.value = value;
}

static inline void
data_n (data_msg_t *m, uint64_t n)
{
    m->data.has_n = true;
    m->data.n = n;
}

static inline void
data_counts (data_msg_t *m, uint64_t numerator, uint64_t denominator)
{
    m->data.has_numerator = m->data.has_denominator = true;
    m->data.numerator = numerator;
    m->data.denominator = denominator;
}

static inline void
data_dim (data_msg_t *m, const char *key, const char *value)
{
    size_t i = m->data.n_dimensions++;
    assert_true (i < 4);
    m->dims [i] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
    m->dims [i].key = (char *) key;
    m->dims [i].value = (char *) value;
    m->dim_list [i] = &m->dims [i];
}

//  A value with its n, for one group (key NULL: the total).
static inline envelope_t *
data_cell (data_msg_t *m, const char *id, const char *indicator, const char *period,
           const char *key, const char *group, double value, uint64_t n)
{
    envelope_t *env = data_msg (m, id, "early-literacy", indicator, period);
    data_value (m, value);
    data_n (m, n);
    if (key)
        data_dim (m, key, group);
    return env;
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
static inline Cibus__QueryReply *
world_query (world_t *self, const Cibus__Query *query, const store_partner_t *reader)
{
    Cibus__QueryReply *reply = NULL;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    cibus_err_t rc = store_query (self->store, query, reader, "2026-06-01", &reply, &problem);
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
world_render (const Cibus__QueryReply *reply, const char *title)
{
    static char text [16384];
    const Cibus__Table *table = NULL;
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
        const Cibus__Row *row = table->rows [r];
        assert_int_equal (row->n_cells, table->n_columns);
        for (size_t c = 0; c < row->n_cells; c++) {
            const Cibus__Cell *cell = row->cells [c];
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
world_titles (const Cibus__QueryReply *reply)
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
