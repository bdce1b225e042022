/*  audit.c - the disclosure audit over a long log: `cibusd audit` must
    check a log of 100,000 tables in under a minute (issue 10).

    bench_audit builds the log straight through store_append, the one
    append path (so every table's suppression is decided as the broker
    decides it), in a few big transactions, and then times audit_main -
    the command itself: opening the database, reading every table back
    and auditing it - as the reader who owns nothing and so receives
    every table masked. Only the audit is timed, not the build.

    The tables are counted from small worlds of pupils, as in
    tests/test_audit.c: percents by race and income and counts with n,
    group sizes from tiny to large, rates from none to all, crosses,
    remainders, cells suppressed at source; twenty districts of fifty
    schools, and one table in ten corrected once.                         */

#include "bench.h"
#include "cibusd_audit.h"
#include "report.h"
#include "codec.h"
#include "datadir.h"
#include "measure.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Build a log of tables random data tables in the data directory dir
   (made if absent; it must hold no database yet), then time `cibusd
   audit --data dir` over it into *seconds. Returns 0 when the audit ran
   and found no cell exposed, 1 when it found one, 2 when it could not
   run, -1 when the log could not be built (the reason on stderr). */

#define S_NETWORK     "early-literacy"
#define S_DISTRICTS   20
#define S_UNITS       51 /* the district itself and fifty schools */
#define S_BATCH       10000
#define S_MAX_PUPILS  400
#define S_MAX_CELLS   17
#define S_CORRECT     10 /* one table in this many gets a second version */
#define S_FAFSA_YEARS 99

static const char *const s_races [] = {"asian", "black", "hispanic", "white", "native"};
static const char *const s_incomes [] = {"low", "high"};

typedef struct {
    uint8_t race; /* 0..4, or 5: not reported */
    uint8_t income;
    uint8_t passed;
    uint8_t count;
} s_pupil_t;

typedef struct {
    uint64_t rng;
    bool income, cross;
    int race_shape [5]; /* 0 sent, 1 left out, 2 '*', 3 '*' with its size */
    s_pupil_t pupils [S_MAX_PUPILS];
    size_t count;
} s_world_t;

typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    char id [32];
    char period [48];
    char unit [32];
    envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total;
    Cibus__DataCell cells [S_MAX_CELLS];
    Cibus__DataCell *cell_list [S_MAX_CELLS];
    Cibus__Dimension dims [S_MAX_CELLS][2];
    Cibus__Dimension *dim_list [S_MAX_CELLS][2];
} s_msg_t;

static uint32_t
s_random (s_world_t *world, uint32_t below)
{
    world->rng = world->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((world->rng >> 33) % below);
}

static void
s_pupil (s_world_t *world, const double *weights, const double *rates)
{
    if (world->count == S_MAX_PUPILS)
        return;
    double roll = s_random (world, 10000) / 10000.0, sum = 0;
    uint8_t race = 5;
    for (uint8_t r = 0; r < 6; r++)
        if (roll < (sum += weights [r])) {
            race = r;
            break;
        }
    s_pupil_t *pupil = &world->pupils [world->count++];
    pupil->race = race;
    pupil->income = (uint8_t)s_random (world, 2);
    pupil->passed = s_random (world, 1000) < rates [race] * 1000;
    pupil->count = (uint8_t)s_random (world, 4);
}

static void
s_world (s_world_t *world)
{
    world->income = s_random (world, 2);
    world->cross = s_random (world, 2);
    for (int r = 0; r < 5; r++) {
        uint32_t shape = s_random (world, 10);
        world->race_shape [r] = shape < 7 ? 0 : (int)shape - 6;
    }
    static const double rate_choices [] = {0, 0, 0.05, 0.3, 0.5, 0.7, 0.97, 1, 1};
    double weights [6], rates [6], total = 0;
    for (int r = 0; r < 6; r++) {
        weights [r] = (double)(1 + s_random (world, r == 5 ? 3 : 40));
        weights [r] *= weights [r];
        total += weights [r];
        rates [r] = rate_choices [s_random (world, 9)];
    }
    for (int r = 0; r < 6; r++)
        weights [r] /= total;
    world->count = 0;
    size_t pupils = 3 + s_random (world, s_random (world, 3) ? 60 : 380);
    for (size_t k = 0; k < pupils; k++)
        s_pupil (world, weights, rates);
}

//  A correction: a late-enrolled pupil, or a corrected result.
static void
s_world_change (s_world_t *world)
{
    static const double weights [] = {0.2, 0.2, 0.2, 0.2, 0.15, 0.05};
    static const double rates [] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    if (s_random (world, 2))
        s_pupil (world, weights, rates);
    else {
        s_pupil_t *pupil = &world->pupils [s_random (world, (uint32_t)world->count)];
        pupil->passed = !pupil->passed;
    }
}

static Cibus__DataCell *
s_msg_cell (s_msg_t *m, const char *race, const char *income)
{
    if (!race && !income)
        return &m->total;
    size_t i = m->data.n_cells++;
    Cibus__DataCell *cell = &m->cells [i];
    *cell = (Cibus__DataCell)CIBUS__DATA_CELL__INIT;
    m->cell_list [i] = cell;
    cell->dimensions = m->dim_list [i];
    const char *keys [] = {"race", "income"}, *values [] = {race, income};
    for (int d = 0; d < 2; d++) {
        if (!values [d])
            continue;
        Cibus__Dimension *dim = &m->dims [i][cell->n_dimensions];
        *dim = (Cibus__Dimension)CIBUS__DIMENSION__INIT;
        dim->key = (char *)keys [d];
        dim->value = (char *)values [d];
        m->dim_list [i][cell->n_dimensions++] = dim;
    }
    return cell;
}

static void
s_count_cell (s_msg_t *m, const s_world_t *world, bool ratio, int race, int income, int shape)
{
    uint64_t size = 0, passed = 0, value = 0;
    for (size_t k = 0; k < world->count; k++) {
        const s_pupil_t *pupil = &world->pupils [k];
        if ((race >= 0 && pupil->race != race) || (income >= 0 && pupil->income != income))
            continue;
        size++;
        passed += pupil->passed;
        value += pupil->count;
    }
    if (size == 0 || shape == 1)
        return;
    Cibus__DataCell *cell =
        s_msg_cell (m, race >= 0 ? s_races [race] : NULL, income >= 0 ? s_incomes [income] : NULL);
    if (shape >= 2) {
        cell->has_suppressed = cell->suppressed = true;
        if (shape == 3 && ratio)
            cell->has_denominator = true, cell->denominator = size;
        if (shape == 3 && !ratio)
            cell->has_n = true, cell->n = size;
    } else if (ratio) {
        cell->has_numerator = cell->has_denominator = true;
        cell->numerator = passed;
        cell->denominator = size;
    } else {
        cell->has_value = cell->has_n = true;
        cell->value = (double)value;
        cell->n = size;
    }
}

//  The envelope of table number index (version: 1 or 2) as its district
//  sends it. Tables are numbered so that (district, unit, indicator,
//  period) differs for each.
static envelope_t *
s_table_msg (s_msg_t *m, const s_world_t *world, size_t index, int version)
{
    memset (m, 0, sizeof *m);
    size_t unit = index / S_DISTRICTS % S_UNITS;
    size_t slot = index / (S_DISTRICTS * S_UNITS);
    bool ratio = slot >= S_FAFSA_YEARS || index % 4 != 3;
    snprintf (m->topic, sizeof m->topic, "%s/data", S_NETWORK);
    snprintf (m->id, sizeof m->id, "t%zu-v%d", index, version);
    if (ratio)
        snprintf (m->period, sizeof m->period, "%zu-Q%zu", 2000 + slot / 4, slot % 4 + 1);
    else
        snprintf (m->period, sizeof m->period, "%zu-%02zu", 2000 + slot, (2001 + slot) % 100);
    snprintf (m->unit, sizeof m->unit, "school-%02zu", unit);
    m->env = (envelope_t)CIBUS__ENVELOPE__INIT;
    m->data = (Cibus__DataSubmission)CIBUS__DATA_SUBMISSION__INIT;
    m->total = (Cibus__DataCell)CIBUS__DATA_CELL__INIT;
    m->env.id = m->id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    m->env.data = &m->data;
    m->data.indicator = ratio ? "k3" : "fafsa";
    m->data.period = m->period;
    m->data.unit = unit ? m->unit : NULL;
    m->data.total = &m->total;
    m->data.cells = m->cell_list;
    s_count_cell (m, world, ratio, -1, -1, 0);
    for (int r = 0; r < 5; r++)
        s_count_cell (m, world, ratio, r, -1, world->race_shape [r]);
    if (world->income)
        for (int i = 0; i < 2; i++)
            s_count_cell (m, world, ratio, -1, i, 0);
    if (world->cross)
        for (int r = 0; r < 5; r++) {
            bool margin = false;
            for (size_t i = 0; i < m->data.n_cells; i++)
                margin |= m->cells [i].n_dimensions == 1
                          && strcmp (m->cells [i].dimensions [0]->value, s_races [r]) == 0;
            if (margin)
                for (int i = 0; i < 2; i++)
                    s_count_cell (m, world, ratio, r, i, world->race_shape [r] == 2 ? 3 : 0);
        }
    return &m->env;
}

static bool
s_append (store_t *store, const store_partner_t *who, envelope_t *env, store_appended_t *out)
{
    codec_problem_t problem = {0};
    cibus_err_t rc = codec_validate_envelope (env, &problem);
    if (rc == CIBUS_OK)
        rc = store_append (store, env, who, 0, out, &problem);
    if (rc)
        fprintf (stderr, "bench: audit: %s's %s refused: %s\n", who->name, env->id,
                 problem.message);
    return rc == CIBUS_OK;
}

static bool
s_define (store_t *store, const store_partner_t *hub, const char *id, Cibus__Unit unit,
          Cibus__PeriodKind kind, store_appended_t *out)
{
    envelope_t env = CIBUS__ENVELOPE__INIT;
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    Cibus__DimensionCategories income = CIBUS__DIMENSION_CATEGORIES__INIT;
    Cibus__DimensionCategories *lists [] = {&race, &income};
    char race_key [] = "race", income_key [] = "income";
    char *dimensions [] = {race_key, income_key};
    char id_text [64];
    snprintf (id_text, sizeof id_text, "def-%s", id);
    env.id = id_text;
    env.topic = (char *)CODEC_CATALOG_NETWORK "/indicator";
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    def.indicator = def.name = (char *)id;
    def.has_unit = def.has_direction = def.has_period_kind = true;
    def.unit = unit;
    def.direction = CIBUS__DIRECTION__UP;
    def.period_kind = kind;
    def.dimensions = dimensions;
    def.n_dimensions = 2;
    race.dimension = race_key;
    race.categories = (char **)s_races;
    race.n_categories = 5;
    income.dimension = income_key;
    income.categories = (char **)s_incomes;
    income.n_categories = 2;
    def.categories = lists;
    def.n_categories = 2;
    return s_append (store, hub, &env, out);
}

//  The registry and the catalogue, then the tables.
static bool
s_build (store_t *store, size_t tables)
{
    char network [] = S_NETWORK;
    char *networks [] = {network};
    store_partner_t hub = {.role = ROLE_BACKBONE};
    store_partner_t districts [S_DISTRICTS];
    snprintf (hub.name, sizeof hub.name, "audit-hub");
    bool ok = true;
    char key [STORE_KEY_LEN + 1];
    for (size_t d = 0; d <= S_DISTRICTS && ok; d++) {
        snprintf (key, sizeof key, "%040zu", d);
        if (d < S_DISTRICTS) {
            districts [d] =
                (store_partner_t){.role = ROLE_PARTNER, .networks = networks, .network_count = 1};
            snprintf (districts [d].name, sizeof districts [d].name, "district-%02zu", d);
        }
        const store_partner_t *who = d < S_DISTRICTS ? &districts [d] : &hub;
        ok = store_partner_add (store, who->name, key, who->role,
                                (const char *const *)who->networks, who->network_count)
             == CIBUS_OK;
    }
    store_appended_t out = {0};
    ok = ok && store_batch_begin (store) == CIBUS_OK;
    ok =
        ok && s_define (store, &hub, "k3", CIBUS__UNIT__PERCENT, CIBUS__PERIOD_KIND__QUARTER, &out);
    ok = ok
         && s_define (store, &hub, "fafsa", CIBUS__UNIT__COUNT, CIBUS__PERIOD_KIND__SCHOOL_YEAR,
                      &out);
    s_world_t world = {.rng = 20261203};
    s_msg_t m;
    for (size_t index = 0; index < tables && ok; index++) {
        s_world (&world);
        const store_partner_t *who = &districts [index % S_DISTRICTS];
        ok = s_append (store, who, s_table_msg (&m, &world, index, 1), &out);
        if (ok && index % S_CORRECT == 0) {
            s_world_change (&world);
            ok = s_append (store, who, s_table_msg (&m, &world, index, 2), &out);
        }
        if (ok && index % S_BATCH == S_BATCH - 1)
            ok = store_batch_commit (store) == CIBUS_OK && store_batch_begin (store) == CIBUS_OK;
    }
    if (ok)
        ok = store_batch_commit (store) == CIBUS_OK;
    else
        store_batch_abort (store);
    store_appended_release (&out);
    return ok;
}

int
bench_audit (const char *dir, size_t tables, double *seconds)
{
    *seconds = 0;
    if (tables > (size_t)S_DISTRICTS * S_UNITS * 400) {
        fprintf (stderr, "bench: audit: at most %d tables\n", S_DISTRICTS * S_UNITS * 400);
        return -1;
    }
    char path [PATH_MAX];
    struct stat st;
    if ((mkdir (dir, 0700) != 0 && errno != EEXIST)
        || !datadir_path (dir, DATADIR_DB, path, sizeof path) || stat (path, &st) == 0) {
        fprintf (stderr, "bench: audit: '%s' must be a new data directory\n", dir);
        return -1;
    }
    store_t *store = store_new (path, STORE_SYNC_NORMAL);
    bool built = store && s_build (store, tables);
    store_destroy (&store);
    if (!built) {
        fprintf (stderr, "bench: audit: could not build a log of %zu tables in %s\n", tables, dir);
        return -1;
    }
    FILE *out = fopen ("/dev/null", "w");
    if (!out)
        return -1;
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int rc = audit_main (dir, NULL, out);
    clock_gettime (CLOCK_MONOTONIC, &end);
    fclose (out);
    *seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    return rc;
}

void
bench_a1_audit (bench_t *self)
{
    size_t tables = self->size.audit_tables;
    char dir [PATH_MAX + 16];
    snprintf (dir, sizeof dir, "%s/audit", self->root);
    bench_progress (self, "a1", 0, "building a log of %zu tables, then auditing it", tables);
    double seconds = 0;
    int rc = bench_audit (dir, tables, &seconds);
    if (rc != 0) {
        char line [160];
        snprintf (line, sizeof line, "a1: the audit of %zu tables %s", tables,
                  rc == 1 ? "found an exposed cell" : "failed");
        report_failure (self->report, line);
        return;
    }
    char label [64];
    snprintf (label, sizeof label, "audit of a %zu-table log", tables);
    report_add (self->report, "a1.audit", label, "s", &seconds, 1);
    report_goal (self->report, "a1.audit", REPORT_AT_MOST, 1.0, NULL, 60, "60 s");
}
