/*  test_audit.c - the disclosure audit over a data directory (`cibusd
    audit`, broker/audit.h), and the proof that the tables the store
    decides leak nothing.

    The generated test publishes a few thousand random tables through
    store_append, the one append path, from a fixed seed (printed; set
    CIBUS_AUDIT_SEED to try another): percents by race and income and
    counts with n, small cells, zeros, cells where everyone passed,
    crosses race x income, remainders (people of no race given, rows left
    out), cells suppressed at source with and without their size, chains
    of corrections from the owner, from its integrator and from the
    backbone, two units under one owner and two networks. Every table is
    counted from a small world of pupils, so it adds up by construction,
    and a correction is the same world with a pupil or three changed (the
    generator is tests/table_gen.h, which the bench's a1 shares).
    Audited for each partner and for a reader who owns nothing, no cell
    is exposed. The same generator with complementary suppression turned
    off (and with primary suppression only) leaves cells a reader can
    work out, and the audit finds them: it is shown to catch leaks.       */

#include "cibusd_audit.h"
#include "audit_log.h"
#include "cells.h"
#include "codec.h"
#include "harness.h"
#include "measure.h"
#include "query.h"
#include "store.h"
#include "table_gen.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define S_SEED        20261203ULL
#define S_EVENTS      3000 /* tables published by the generated test, corrections included */
#define S_LEAK_EVENTS 1000 /* the same, with a weaker rule */
#define S_BATCH       200  /* entries per transaction */
#define S_MAX_VERSION 6  /* a chain of corrections stops here */

//  ------------------------------------------------------------ the registry

#define S_NETWORK_EL "early-literacy"
#define S_NETWORK_PS "postsecondary"

static char s_el [] = S_NETWORK_EL;

typedef struct {
    const char *name;
    role_t role;
    const char *const *networks;
    size_t network_count;
} s_who_t;

static const char *const s_el_only [] = {S_NETWORK_EL};
static const char *const s_el_ps [] = {S_NETWORK_EL, S_NETWORK_PS};

enum { S_HUB = 0, S_EAST, S_WEST, S_FEED, S_WHO };

static const s_who_t s_registry [S_WHO] = {
    [S_HUB] = {"hub", ROLE_BACKBONE, NULL, 0},
    [S_EAST] = {"eastside-sd", ROLE_PARTNER, s_el_only, 1},
    [S_WEST] = {"westside-sd", ROLE_PARTNER, s_el_ps, 2},
    [S_FEED] = {"state-feed", ROLE_INTEGRATOR, s_el_only, 1}, /* feeds eastside-sd */
};

//  Where a table can live: network, owner, unit and indicator (0 k3, a
//  percent by quarter, in early-literacy; 1 fafsa, a count by school
//  year, in every network).
typedef struct {
    const char *network;
    int owner;
    const char *unit;
    int indicator;
} s_place_t;

static const s_place_t s_places [] = {
    {S_NETWORK_EL, S_EAST, "", 0},        {S_NETWORK_EL, S_EAST, "lincoln", 0},
    {S_NETWORK_EL, S_EAST, "adams", 0},   {S_NETWORK_EL, S_WEST, "", 0},
    {S_NETWORK_EL, S_WEST, "north", 0},   {S_NETWORK_EL, S_EAST, "", 1},
    {S_NETWORK_EL, S_EAST, "lincoln", 1}, {S_NETWORK_EL, S_WEST, "", 1},
    {S_NETWORK_PS, S_WEST, "", 1},        {S_NETWORK_PS, S_WEST, "north", 1},
};
#define S_PLACES        (sizeof s_places / sizeof s_places [0])
#define S_PERIODS_K3    400 /* 2000-Q1 to 2099-Q4 */
#define S_PERIODS_FAFSA 99  /* 2000-01 to 2098-99 */

//  ------------------------------------------------------------ the world

//  One table: where it lives, and the pupils every version is counted from.
typedef struct {
    size_t place;
    int period;
    unsigned versions;
    table_gen_world_t world;
} s_table_t;

typedef struct {
    uint64_t rng;
    s_table_t *tables;
    size_t table_count;
    int next_period [S_PLACES];
    //  What each reader receives: every table, and those of the networks
    //  each partner reads that it does not own.
    size_t for_anyone, for_east, for_west;
} s_gen_t;

//  ------------------------------------------------------------ the envelope

static void
s_period (const s_table_t *table, char *text, size_t size)
{
    int year = 2000 + (s_places [table->place].indicator == 0 ? table->period / 4 : table->period);
    if (s_places [table->place].indicator == 0)
        snprintf (text, size, "%d-Q%d", year, table->period % 4 + 1);
    else
        snprintf (text, size, "%d-%02d", year, (year + 1) % 100);
}

//  The envelope of the current version of a table, sent by who.
static envelope_t *
s_table_msg (table_gen_msg_t *m, const s_table_t *table, int who, size_t serial)
{
    const s_place_t *place = &s_places [table->place];
    bool ratio = place->indicator == 0;
    char id [32], period [16];
    snprintf (id, sizeof id, "t%zu", serial);
    s_period (table, period, sizeof period);
    //  A partner may leave the owner out; the integrator and the backbone
    //  must name it.
    const char *owner = who == place->owner && serial % 2 ? NULL : s_registry [place->owner].name;
    envelope_t *env =
        table_gen_msg (m, id, place->network, ratio ? "k3" : "fafsa", period, place->unit, owner);
    table_gen_msg_cells (m, &table->world, ratio);
    return env;
}

//  ------------------------------------------------------------ the fixture

typedef struct {
    char *dir;
    char path [PATH_MAX];
    store_t *store;
    store_partner_t who [S_WHO];
    size_t serial;
    s_gen_t gen;
    char *text; /* the last audit's output */
} s_fixture_t;

static void
s_key (int index, char *key)
{
    memset (key, 'A' + index, STORE_KEY_LEN);
    key [STORE_KEY_LEN] = 0;
}

static void
s_publish_ok (s_fixture_t *self, int who, envelope_t *env)
{
    codec_problem_t problem = {0};
    store_appended_t out = {0};
    cibus_err_t rc = table_gen_append (self->store, &self->who [who], env, &out, &problem);
    if (rc)
        print_error ("%s's %s refused: %s (%s)\n", s_registry [who].name, env->id, problem.message,
                     problem.field);
    assert_int_equal (rc, CIBUS_OK);
    assert_false (out.duplicate);
    store_appended_release (&out);
}

//  The same, in a transaction of its own.
static void
s_publish_one (s_fixture_t *self, int who, envelope_t *env)
{
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    s_publish_ok (self, who, env);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
}

//  An indicator by race (its first races categories) and income, defined
//  by the backbone in the entry def-ID-VERSION.
static void
s_define (s_fixture_t *self, const char *id, int version, Cibus__Unit unit, Cibus__PeriodKind kind,
          char **networks, size_t network_count, size_t races)
{
    char entry_id [64];
    snprintf (entry_id, sizeof entry_id, "def-%s-%d", id, version);
    table_gen_def_t def;
    envelope_t *env =
        table_gen_def (&def, entry_id, id, unit, kind, networks, network_count, races);
    s_publish_one (self, S_HUB, env);
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    if (!self)
        return 0;
    for (int i = 0; i < S_WHO; i++)
        store_partner_release (&self->who [i]);
    store_destroy (&self->store);
    free (self->gen.tables);
    free (self->text);
    if (self->dir)
        harness_rmtree (self->dir);
    free (self->dir);
    free (self);
    *state = NULL;
    return 0;
}

//  A store in a data directory of its own (DIR/cibus.db, as cibusd keeps
//  it), with the registry and the catalogue.
static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    if (!self)
        return -1;
    *state = self;
    self->dir = harness_tmpdir ();
    if (!self->dir)
        return s_teardown (state), -1;
    snprintf (self->path, sizeof self->path, "%s/cibus.db", self->dir);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    if (!self->store)
        return s_teardown (state), -1;
    for (int i = 0; i < S_WHO; i++) {
        char key [STORE_KEY_LEN + 1];
        s_key (i, key);
        if (store_partner_add (self->store, s_registry [i].name, key, s_registry [i].role,
                               s_registry [i].networks, s_registry [i].network_count))
            return s_teardown (state), -1;
    }
    const char *fed [] = {s_registry [S_EAST].name};
    if (store_partner_add_feeds (self->store, s_registry [S_FEED].name, fed, 1))
        return s_teardown (state), -1;
    //  The records as the broker reads them, feeds included.
    for (int i = 0; i < S_WHO; i++) {
        char key [STORE_KEY_LEN + 1];
        s_key (i, key);
        if (store_partner_by_key (self->store, key, &self->who [i]))
            return s_teardown (state), -1;
    }
    char *el [] = {s_el};
    s_define (self, "k3", 1, CIBUS__UNIT__PERCENT, CIBUS__PERIOD_KIND__QUARTER, el, 1, 5);
    s_define (self, "fafsa", 1, CIBUS__UNIT__COUNT, CIBUS__PERIOD_KIND__SCHOOL_YEAR, NULL, 0, 5);
    return 0;
}

//  ------------------------------------------------------------ the generator

static uint64_t
s_seed (void)
{
    const char *text = getenv ("CIBUS_AUDIT_SEED");
    uint64_t seed = text && *text ? strtoull (text, NULL, 10) : S_SEED;
    print_message ("generator seed %llu (CIBUS_AUDIT_SEED=%llu to repeat)\n",
                   (unsigned long long)seed, (unsigned long long)seed);
    return seed;
}

//  A new table at a place with periods left.
static s_table_t *
s_new_table (s_gen_t *gen)
{
    size_t place = table_gen_random (&gen->rng, S_PLACES);
    bool room = false;
    for (size_t tries = 0; tries < S_PLACES && !room; tries++) {
        int periods = s_places [place].indicator == 0 ? S_PERIODS_K3 : S_PERIODS_FAFSA;
        room = gen->next_period [place] < periods;
        if (!room)
            place = (place + 1) % S_PLACES;
    }
    assert_true (room);
    s_table_t *table = &gen->tables [gen->table_count++];
    memset (table, 0, sizeof *table);
    table->place = place;
    table->period = gen->next_period [place]++;
    table_gen_world (&gen->rng, &table->world);
    const s_place_t *where = &s_places [place];
    gen->for_anyone++;
    gen->for_east += strcmp (where->network, S_NETWORK_EL) == 0 && where->owner != S_EAST;
    gen->for_west += where->owner != S_WEST; //  westside reads both networks
    return table;
}

//  Who sends a version: the owner, or for eastside-sd its integrator as
//  often; a correction now and then from the backbone.
static int
s_sender (s_gen_t *gen, const s_table_t *table, bool correction)
{
    int owner = s_places [table->place].owner;
    if (correction && table_gen_random (&gen->rng, 8) == 0)
        return S_HUB;
    if (owner == S_EAST && table_gen_random (&gen->rng, 2))
        return S_FEED;
    return owner;
}

//  Publish events tables - new ones and corrections of earlier ones - in
//  batches, with the rules the store has.
static void
s_generate (s_fixture_t *self, s_gen_t *gen, uint64_t seed, size_t events)
{
    memset (gen, 0, sizeof *gen);
    gen->rng = table_gen_rng (seed);
    gen->tables = calloc (events, sizeof *gen->tables);
    assert_non_null (gen->tables);
    table_gen_msg_t m;
    for (size_t e = 0; e < events; e++) {
        if (e % S_BATCH == 0)
            assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        s_table_t *table = NULL;
        bool correction = gen->table_count > 0 && table_gen_random (&gen->rng, 4) == 0;
        if (correction) {
            table = &gen->tables [table_gen_random (&gen->rng, (uint32_t)gen->table_count)];
            if (table->versions >= S_MAX_VERSION)
                correction = false;
            else
                table_gen_change (&gen->rng, &table->world);
        }
        if (!correction)
            table = s_new_table (gen);
        int who = s_sender (gen, table, correction);
        s_publish_ok (self, who, s_table_msg (&m, table, who, self->serial++));
        table->versions++;
        if (e % S_BATCH == S_BATCH - 1 || e + 1 == events)
            assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    }
}

//  Audit as reader (NULL: owns nothing); the output is kept in self->text.
static audit_summary_t
s_audit (s_fixture_t *self, const store_partner_t *reader)
{
    free (self->text);
    self->text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&self->text, &size);
    assert_non_null (out);
    audit_summary_t summary;
    cibus_err_t rc = audit_store (self->store, reader, out, NULL, &summary);
    fclose (out);
    assert_int_equal (rc, CIBUS_OK);
    return summary;
}

//  The command itself, over a data directory (NULL: the fixture's); the
//  output is kept in self->text.
static int
s_audit_main (s_fixture_t *self, const char *dir, const char *as)
{
    free (self->text);
    self->text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&self->text, &size);
    assert_non_null (out);
    int rc = audit_main (dir ? dir : self->dir, as, out);
    fclose (out);
    return rc;
}

//  How many rows the query counts in the fixture's database, read with a
//  connection of the test's own.
static long long
s_count (s_fixture_t *self, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        print_error ("%s: %s\n", sql, sqlite3_errmsg (db));
    assert_non_null (stmt);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    long long count = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return count;
}

//  The generator made what it promises: the store's decisions and
//  projection hold every kind of cell and every kind of chain.
static void
s_assert_covers (s_fixture_t *self)
{
    static const char *const what [] = {
        //  every decision: hidden as small, as a complement, coded
        "SELECT COUNT(*) FROM data_values WHERE mark = 1",
        "SELECT COUNT(*) FROM data_values WHERE mark = 2",
        "SELECT COUNT(*) FROM data_values WHERE mark = 3",
        //  zeros, all passed, small cells, crosses, counts with n
        "SELECT COUNT(*) FROM data_values WHERE numerator = 0",
        "SELECT COUNT(*) FROM data_values WHERE numerator = denominator",
        "SELECT COUNT(*) FROM data_values WHERE n < 10 AND suppressed = 0",
        "SELECT COUNT(*) FROM data_values WHERE dim_count = 2",
        "SELECT COUNT(*) FROM data_values WHERE indicator = 'fafsa' AND cell >= 0",
        //  suppressed at source, with and without its size
        "SELECT COUNT(*) FROM data_values WHERE suppressed = 1 AND n IS NOT NULL",
        "SELECT COUNT(*) FROM data_values WHERE suppressed = 1 AND n IS NULL",
        //  remainders: race cells that leave people of the total out
        "SELECT COUNT(*) FROM (SELECT t.seq FROM data_values t JOIN data_values c "
        "ON c.seq = t.seq AND c.dim_key = 'race' WHERE t.cell = -1 AND c.suppressed = 0 "
        "GROUP BY t.seq HAVING SUM (c.n) < MAX (t.n))",
        //  corrections from the owner, its integrator and the backbone
        "SELECT COUNT(*) FROM data_values WHERE cell = -1 AND version > 1 "
        "AND publisher = 'eastside-sd'",
        "SELECT COUNT(*) FROM data_values WHERE cell = -1 AND version > 1 "
        "AND publisher = 'state-feed'",
        "SELECT COUNT(*) FROM data_values WHERE cell = -1 AND version > 1 AND publisher = 'hub'",
        "SELECT COUNT(*) FROM data_values WHERE cell = -1 AND version > 2",
        //  one table from two senders; two units under one owner
        "SELECT COUNT(*) FROM (SELECT 1 FROM data_values WHERE cell = -1 "
        "GROUP BY network, partner, unit, indicator, period HAVING COUNT (DISTINCT publisher) > 1)",
        "SELECT COUNT(*) FROM data_values WHERE partner = 'eastside-sd' AND unit = 'lincoln'",
        "SELECT COUNT(*) FROM data_values WHERE partner = 'eastside-sd' AND unit = 'adams'",
        "SELECT COUNT(*) FROM data_values WHERE network = 'postsecondary'",
    };
    for (size_t k = 0; k < sizeof what / sizeof what [0]; k++) {
        long long count = s_count (self, what [k]);
        if (count == 0)
            print_error ("the generator made none of: %s\n", what [k]);
        assert_true (count > 0);
    }
}

//  ------------------------------------------------------------ tests

static void
test_audit_generated_tables_expose_nothing_to_any_reader (void **state)
{
    s_fixture_t *self = *state;
    s_gen_t *gen = &self->gen;
    s_generate (self, gen, s_seed (), S_EVENTS);
    print_message ("%zu tables, %d versions\n", gen->table_count, S_EVENTS);
    s_assert_covers (self);
    struct {
        const store_partner_t *reader;
        size_t tables;
    } readers [] = {
        {NULL, gen->for_anyone},
        {&self->who [S_EAST], gen->for_east},
        {&self->who [S_WEST], gen->for_west},
        {&self->who [S_HUB], 0},  //  sees every table whole
        {&self->who [S_FEED], 0}, //  reads no network
    };
    for (size_t k = 0; k < sizeof readers / sizeof readers [0]; k++) {
        audit_summary_t summary = s_audit (self, readers [k].reader);
        if (summary.exposed || summary.unreadable)
            print_error ("%s", self->text);
        assert_int_equal (summary.exposed, 0);
        assert_int_equal (summary.unreadable, 0);
        assert_int_equal (summary.tables, readers [k].tables);
        if (readers [k].tables)
            assert_true (summary.cells > summary.tables);
        char last [128];
        snprintf (last, sizeof last, "checked %zu tables and %zu cells: 0 exposed\n",
                  summary.tables, summary.cells);
        assert_non_null (strstr (self->text, last));
    }
    //  The command says the same, and that it covers queries and exports.
    assert_int_equal (s_audit_main (self, NULL, "eastside-sd"), 0);
    const char *first = "audit as eastside-sd (partner): every version of every table it could "
                        "receive, live or on replay; queries, --history, the report and exports "
                        "serve the same stored decisions, so this covers them too\n";
    assert_int_equal (strncmp (self->text, first, strlen (first)), 0);
}

//  ------------------------------------------------------------ pooled answers

//  The values answer for a reader: pooled, or each unit's (what the audit
//  above covers: the stored decisions, as the reader receives them).
static store_answer_t *
s_values (s_fixture_t *self, const store_partner_t *reader, const char *indicator,
          const char *by, bool units)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "values";
    query.indicator = (char *) indicator;
    query.by = (char *) by;
    query.has_units = query.units = units;
    store_answer_t *answer = NULL;
    codec_problem_t problem;
    assert_int_equal (store_query (self->store, &query, reader, "2027-06-30", &answer, &problem),
                      CIBUS_OK);
    assert_non_null (answer);
    return answer;
}

//  The text of a cell ("" when it has none).
static const char *
s_text (const store_row_t *row, size_t column)
{
    return row->cells [column]->text ? row->cells [column]->text : "";
}

//  Every pooled figure a reader is shown is computed from the values the
//  same reader is shown unit by unit, and is "*" whenever one of them is
//  hidden or coded: a pool adds no equation to what the audit checked, so
//  the audit covers the values query, the report and the bright spots
//  (which pool the same way, store/pool.c) too.
static void
test_audit_pooled_answers_come_from_what_the_reader_sees (void **state)
{
    s_fixture_t *self = *state;
    s_generate (self, &self->gen, s_seed (), S_LEAK_EVENTS);
    const store_partner_t *readers [] = {&self->who [S_EAST], &self->who [S_WEST],
                                         &self->who [S_HUB]};
    const char *indicators [] = {"k3", "fafsa"};
    const char *bys [] = {NULL, "race"};
    size_t checked = 0, hidden = 0;
    for (size_t r = 0; r < 3; r++)
        for (size_t i = 0; i < 2; i++)
            for (size_t b = 0; b < 2; b++) {
                if (i == 1 && b == 1)
                    continue; //  fafsa has no race
                store_answer_t *pooled = s_values (self, readers [r], indicators [i], bys [b], false);
                store_answer_t *units = s_values (self, readers [r], indicators [i], bys [b], true);
                const store_table_t *pools = pooled->tables [0], *each = units->tables [0];
                bool percent = i == 0;
                for (size_t p = 0; p < pools->n_rows; p++) {
                    const store_row_t *pool = pools->rows [p];
                    size_t reported = 0, with_value = 0;
                    bool any_hidden = false;
                    double num = 0, den = 0, sum = 0;
                    for (size_t u = 0; u < each->n_rows; u++) {
                        const store_row_t *row = each->rows [u];
                        if (strcmp (s_text (row, 0), s_text (pool, 0)) != 0
                            || strcmp (s_text (row, 1), s_text (pool, 1)) != 0)
                            continue;
                        reported++;
                        const store_cell_t *value = row->cells [3], *n = row->cells [4];
                        if (value->text) { //  "*" or a coded range
                            any_hidden = true;
                            continue;
                        }
                        if (!value->has_number)
                            continue; //  suppressed at source: nothing to pool
                        with_value++;
                        sum += value->number;
                        if (percent) {
                            assert_true (n->has_number);
                            num += value->number * n->number / 100;
                            den += n->number;
                        }
                    }
                    char units_text [64];
                    snprintf (units_text, sizeof units_text, "%zu of %zu", with_value, reported);
                    assert_true (reported > 0);
                    const store_cell_t *shown = pool->cells [2];
                    if (any_hidden) {
                        //  Hidden from this reader: so is the pool.
                        assert_non_null (shown->text);
                        assert_string_equal (shown->text, "*");
                        hidden++;
                        continue;
                    }
                    assert_string_equal (s_text (pool, 6), units_text);
                    if (with_value == 0) {
                        assert_false (shown->has_number);
                        continue;
                    }
                    assert_true (shown->has_number);
                    double expected = percent ? 100 * num / den : sum;
                    double tolerance = 1e-6 * (fabs (expected) > 1 ? fabs (expected) : 1);
                    if (fabs (shown->number - expected) > tolerance)
                        print_error ("%s by %s, %s %s: pooled %.10g, from the units %.10g\n",
                                     indicators [i], bys [b] ? bys [b] : "-", s_text (pool, 0),
                                     s_text (pool, 1), shown->number, expected);
                    assert_true (fabs (shown->number - expected) <= tolerance);
                    checked++;
                }
                store_answer_free (pooled);
                store_answer_free (units);
            }
    print_message ("%zu pooled figures checked against the units, %zu hidden\n", checked,
                   hidden);
    //  Both kinds happen, or the test proves nothing.
    assert_true (checked > 100);
    assert_true (hidden > 10);
}

//  The same generator with a weaker rule in the store: the audit (with the
//  rules in force, the settings) finds cells a reader can work out.
static void
s_leaks (s_fixture_t *self, const disclosure_rules_t *weak)
{
    store_set_disclosure_rules (self->store, weak);
    s_generate (self, &self->gen, s_seed (), S_LEAK_EVENTS);
    store_set_disclosure_rules (self->store, NULL);
    audit_summary_t summary = s_audit (self, NULL);
    print_message ("%zu of %zu cells of %zu tables exposed\n", summary.exposed, summary.cells,
                   summary.tables);
    assert_int_equal (summary.tables, self->gen.for_anyone);
    assert_int_equal (summary.unreadable, 0);
    assert_true (summary.exposed > 0);
    assert_non_null (strstr (self->text, "\nexposed in "));
    //  The command exits 1 for a partner too.
    assert_int_equal (s_audit_main (self, NULL, "westside-sd"), 1);
}

static void
test_audit_finds_leaks_without_complementary_suppression (void **state)
{
    disclosure_rules_t weak;
    disclosure_rules_default (&weak);
    weak.complement = false;
    s_leaks (*state, &weak);
}

static void
test_audit_finds_leaks_with_primary_suppression_only (void **state)
{
    disclosure_rules_t weak;
    disclosure_rules_default (&weak);
    weak.complement = false;
    weak.bands = NULL;
    weak.band_count = 0;
    s_leaks (*state, &weak);
}

//  Route 5 of issue 10: two hidden cells of 6 and 5 pupils with 0 passing,
//  the shown cells accounting for every pass.
//  passed: of the black pupils, 60 in the table itself (its correction
//  moves one more to passing, in the total too).
static envelope_t *
s_route5_msg (table_gen_msg_t *m, const char *id, uint64_t passed)
{
    envelope_t *env = table_gen_msg (m, id, S_NETWORK_EL, "k3", "2026-Q3", NULL, NULL);
    table_gen_msg_ratio (table_gen_msg_cell (m, NULL, NULL), 60 + passed, 301);
    table_gen_msg_ratio (table_gen_msg_cell (m, "black", NULL), passed, 150);
    table_gen_msg_ratio (table_gen_msg_cell (m, "white", NULL), 60, 140);
    table_gen_msg_ratio (table_gen_msg_cell (m, "asian", NULL), 0, 6);
    table_gen_msg_ratio (table_gen_msg_cell (m, "native", NULL), 0, 5);
    return env;
}

static void
s_route5 (s_fixture_t *self)
{
    table_gen_msg_t m;
    s_publish_one (self, S_EAST, s_route5_msg (&m, "route5", 60));
}

static void
test_audit_route5_extremes_exposed_without_suppression (void **state)
{
    s_fixture_t *self = *state;
    disclosure_rules_t naive;
    disclosure_rules_default (&naive);
    naive.complement = false;
    store_set_disclosure_rules (self->store, &naive);
    s_route5 (self);
    store_set_disclosure_rules (self->store, NULL);
    assert_int_equal (s_audit_main (self, NULL, "westside-sd"), 1);
    assert_string_equal (
        self->text,
        "audit as westside-sd (partner): every version of every table it could receive, live "
        "or on replay; queries, --history, the report and exports serve the same stored "
        "decisions, so this covers them too\n"
        "rules: min-cell 10, protection 50 % of a small cell's size, value-protection 10 %\n"
        "exposed in early-literacy: k3 2026-Q3 eastside-sd: cell race=asian\n"
        "    a reader can work out that its numerator is 0: none of its 6 people passed, from: "
        "total 120/301 = race=black 60/150 + race=white 60/140 + race=asian * + race=native *\n"
        "exposed in early-literacy: k3 2026-Q3 eastside-sd: cell race=native\n"
        "    a reader can work out that its numerator is 0: none of its 5 people passed, from: "
        "total 120/301 = race=black 60/150 + race=white 60/140 + race=asian * + race=native *\n"
        "checked 1 tables and 5 cells: 2 exposed\n");
    //  Its owner sees it whole: nothing of it is hidden from eastside-sd.
    assert_int_equal (s_audit_main (self, NULL, "eastside-sd"), 0);
    assert_non_null (strstr (self->text, "\nchecked 0 tables and 0 cells: 0 exposed\n"));
}

static void
test_audit_route5_extremes_hidden_with_suppression (void **state)
{
    s_fixture_t *self = *state;
    s_route5 (self);
    int rc = s_audit_main (self, NULL, NULL);
    if (rc)
        print_error ("%s", self->text);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (self->text, "\nchecked 1 tables and "));
    assert_non_null (strstr (self->text, " cells: 0 exposed\n"));
    assert_null (strstr (self->text, "exposed in "));
}

//  A table the audit cannot judge is named, and the command exits 2: here
//  the catalogue dropped a category the table uses.
static void
test_audit_names_a_table_it_cannot_audit (void **state)
{
    s_fixture_t *self = *state;
    s_route5 (self);
    char *el [] = {s_el};
    s_define (self, "k3", 2, CIBUS__UNIT__PERCENT, CIBUS__PERIOD_KIND__QUARTER, el, 1, 4);
    assert_int_equal (s_audit_main (self, NULL, NULL), 2);
    assert_non_null (strstr (self->text, "\ncannot audit in early-literacy: k3 2026-Q3 "
                                         "eastside-sd (view 1): cell race=native: 'native' is "
                                         "not a category of race\n"));
    assert_non_null (strstr (self->text, "\nchecked 0 tables and 0 cells: 0 exposed\n"
                                         "1 tables could not be audited (named above)\n"));
}

//  Alter the stored mark of a cell of the newest version behind the
//  store's back: its packed cells (cells.h) read, changed and written.
static void
s_alter_mark (s_fixture_t *self, int64_t cell, disclosure_state_t state, double low, double high)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (self->path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT seq, cells FROM data_tables "
                                              "ORDER BY seq DESC LIMIT 1",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    sqlite3_int64 seq = sqlite3_column_int64 (stmt, 0);
    CibusStore__StoredCells *stored = cibus_store__stored_cells__unpack (
        NULL, (size_t)sqlite3_column_bytes (stmt, 1), sqlite3_column_blob (stmt, 1));
    sqlite3_finalize (stmt);
    assert_non_null (stored);
    size_t altered = 0;
    for (size_t i = 0; i < stored->n_cells; i++) {
        CibusStore__StoredCell *row = stored->cells [i];
        if (row->cell != cell)
            continue;
        row->mark = (uint32_t)state;
        row->has_low = row->has_high = true;
        row->low = low;
        row->high = high;
        altered++;
    }
    assert_int_equal (altered, 1);
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_message (&stored->base, &buf), CIBUS_OK);
    cibus_store__stored_cells__free_unpacked (stored, NULL);
    assert_int_equal (sqlite3_prepare_v2 (db, "UPDATE log SET cells = ? WHERE seq = ?",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_blob (stmt, 1, buf.data, (int)buf.size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, seq);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    assert_int_equal (sqlite3_changes (db), 1);
    sqlite3_finalize (stmt);
    codec_buf_release (&buf);
    sqlite3_close (db);
}

//  Marks that disagree with the values they were stored with are named,
//  with the version when the table has several: here a shown cell's mark
//  altered behind the store's back to a range its percent is not in.
static void
test_audit_names_a_mark_that_disagrees_with_its_value (void **state)
{
    s_fixture_t *self = *state;
    s_route5 (self);
    s_alter_mark (self, 0, DISCLOSURE_CODED, 90, 95);
    assert_int_equal (s_audit_main (self, NULL, NULL), 2);
    assert_non_null (strstr (self->text, "\ncannot audit in early-literacy: k3 2026-Q3 eastside-sd: "
                                         "cell race=black is coded [90, 95] but is 40%\n"));
    //  A correction is judged with its earlier version, whose marks are
    //  checked first: refused, naming that version.
    table_gen_msg_t m;
    envelope_t *env = s_route5_msg (&m, "route5-v2", 61);
    store_appended_t out = {0};
    codec_problem_t problem = {0};
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (table_gen_append (self->store, &self->who [S_EAST], env, &out, &problem),
                      CIBUS_ERR_BAD_FIELD);
    store_batch_abort (self->store);
    store_appended_release (&out);
    assert_string_equal (problem.message,
                         "k3 2026-Q3 (version 1): cell race=black is coded [90, 95] but is 40%");
}

static void
test_audit_refuses_an_unknown_partner_and_a_missing_directory (void **state)
{
    s_fixture_t *self = *state;
    assert_int_equal (s_audit_main (self, NULL, "nobody"), 2);
    assert_string_equal (self->text, "");
    char missing [PATH_MAX];
    snprintf (missing, sizeof missing, "%s/none", self->dir);
    assert_int_equal (s_audit_main (self, missing, NULL), 2);
    assert_string_equal (self->text, "");
    //  No database is made where there was none.
    char db [PATH_MAX + 16];
    snprintf (db, sizeof db, "%s/cibus.db", missing);
    assert_null (harness_read_all (db));
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests [] = {
        T (test_audit_generated_tables_expose_nothing_to_any_reader),
        T (test_audit_pooled_answers_come_from_what_the_reader_sees),
        T (test_audit_finds_leaks_without_complementary_suppression),
        T (test_audit_finds_leaks_with_primary_suppression_only),
        T (test_audit_route5_extremes_exposed_without_suppression),
        T (test_audit_route5_extremes_hidden_with_suppression),
        T (test_audit_names_a_table_it_cannot_audit),
        T (test_audit_names_a_mark_that_disagrees_with_its_value),
        T (test_audit_refuses_an_unknown_partner_and_a_missing_directory),
    };
    return cmocka_run_group_tests_name ("audit", tests, NULL, NULL);
}
