/*  table_gen.h - the random data tables that test_audit.c,
    test_disclosure.c and the bench's a1 (tests/bench/audit.c) are counted
    from, and the envelopes that carry them.

    A table is counted from a small world of pupils, so that every table
    adds up by construction: percents by race and income and counts with
    n, group sizes from tiny to large, rates from none to all, crosses
    race x income, remainders (people of no race given, rows left out),
    cells suppressed at source with and without their size. A correction
    is the same world with a pupil or three changed.

    The generator is a 64-bit linear congruential one whose state the
    caller keeps (one per world, or one for many worlds): the same state
    gives the same worlds, so a seed that made a failure makes it again.
    Every caller draws its numbers in the same order as before this header
    existed, and the counts its tests assert stay what they were.

    Header-only (static inline) because the Makefile links each test from
    its own file and the harness only.                                     */

#ifndef CIBUS_TABLE_GEN_H_INCLUDED
#define CIBUS_TABLE_GEN_H_INCLUDED

#include "codec.h"
#include "measure.h"
#include "store.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TABLE_GEN_RACES   5
#define TABLE_GEN_INCOMES 2
//  A world starts with at most 382 pupils and a correction adds at most
//  three: the longest chain (test_audit's, five corrections) stays below.
#define TABLE_GEN_MAX_PUPILS 400
#define TABLE_GEN_MAX_CELLS  18 /* the total, 5 races, 2 incomes, 10 crosses */

static const char *const table_gen_races [TABLE_GEN_RACES] = {"asian", "black", "hispanic", "white",
                                                              "native"};
static const char *const table_gen_incomes [TABLE_GEN_INCOMES] = {"low", "high"};

//  ------------------------------------------------------------ the world

typedef struct {
    uint8_t race; /* 0..4, or 5: not reported */
    uint8_t income;
    uint8_t passed;
    uint8_t count; /* what a pupil adds to a count */
} table_gen_pupil_t;

typedef struct {
    bool income, cross;               /* whether the table has income cells, cross cells */
    int race_shape [TABLE_GEN_RACES]; /* 0 sent, 1 left out, 2 '*', 3 '*' with its size */
    table_gen_pupil_t pupils [TABLE_GEN_MAX_PUPILS];
    size_t count;
} table_gen_world_t;

//  The generator's state for a seed, as the tests start it (the bench
//  starts from its seed itself).
static inline uint64_t
table_gen_rng (uint64_t seed)
{
    return seed * 2654435761ULL + 1;
}

//  A number below below, and the next state.
static inline uint32_t
table_gen_random (uint64_t *rng, uint32_t below)
{
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((*rng >> 33) % below);
}

//  One more pupil: a race by weights (the sixth: not reported), a pass
//  by the race's rate.
static inline void
table_gen_pupil (uint64_t *rng, table_gen_world_t *world, const double *weights,
                 const double *rates)
{
    if (world->count == TABLE_GEN_MAX_PUPILS)
        return;
    double roll = table_gen_random (rng, 10000) / 10000.0, sum = 0;
    uint8_t race = 5;
    for (uint8_t r = 0; r < 6; r++)
        if (roll < (sum += weights [r])) {
            race = r;
            break;
        }
    table_gen_pupil_t *pupil = &world->pupils [world->count++];
    pupil->race = race;
    pupil->income = (uint8_t)table_gen_random (rng, 2);
    pupil->passed = table_gen_random (rng, 1000) < rates [race] * 1000;
    pupil->count = (uint8_t)table_gen_random (rng, 4);
}

//  A new world: group sizes from tiny to large, rates from none to all.
static inline void
table_gen_world (uint64_t *rng, table_gen_world_t *world)
{
    world->income = table_gen_random (rng, 2);
    world->cross = table_gen_random (rng, 2);
    for (int r = 0; r < TABLE_GEN_RACES; r++) {
        uint32_t shape = table_gen_random (rng, 10);
        world->race_shape [r] = shape < 7 ? 0 : (int)shape - 6;
    }
    static const double rate_choices [] = {0, 0, 0.05, 0.3, 0.5, 0.7, 0.97, 1, 1};
    double weights [6], rates [6], total = 0;
    for (int r = 0; r < 6; r++) {
        weights [r] = (double)(1 + table_gen_random (rng, r == 5 ? 3 : 40));
        weights [r] *= weights [r];
        total += weights [r];
        rates [r] = rate_choices [table_gen_random (rng, 9)];
    }
    for (int r = 0; r < 6; r++)
        weights [r] /= total;
    world->count = 0;
    size_t pupils = 3 + table_gen_random (rng, table_gen_random (rng, 3) ? 60 : 380);
    for (size_t k = 0; k < pupils; k++)
        table_gen_pupil (rng, world, weights, rates);
}

//  A late-enrolled pupil, of any race, passing or not.
static inline void
table_gen_late_pupil (uint64_t *rng, table_gen_world_t *world)
{
    static const double weights [] = {0.2, 0.2, 0.2, 0.2, 0.15, 0.05};
    static const double rates [] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    table_gen_pupil (rng, world, weights, rates);
}

//  A corrected result: one pupil's pass turned over.
static inline void
table_gen_flip (uint64_t *rng, table_gen_world_t *world)
{
    table_gen_pupil_t *pupil = &world->pupils [table_gen_random (rng, (uint32_t)world->count)];
    pupil->passed = !pupil->passed;
}

//  The next version: a late-enrolled pupil or three, one who left, or a
//  corrected result.
static inline void
table_gen_change (uint64_t *rng, table_gen_world_t *world)
{
    switch (table_gen_random (rng, 4)) {
        case 0:
            table_gen_late_pupil (rng, world);
            break;
        case 1:
            for (uint32_t k = 1 + table_gen_random (rng, 3); k > 0; k--)
                table_gen_late_pupil (rng, world);
            break;
        case 2:
            if (world->count > 2) {
                size_t gone = table_gen_random (rng, (uint32_t)world->count);
                world->pupils [gone] = world->pupils [world->count - 1];
                world->count--;
            }
            break;
        default:
            table_gen_flip (rng, world);
    }
}

//  ------------------------------------------------------------ the cells

//  A cell of the table a world makes, counted.
typedef struct {
    int race;   /* 0..4, or -1: any */
    int income; /* 0..1, or -1: any */
    int shape;  /* 0 sent, 2 '*', 3 '*' with its size */
    uint64_t size, passed, value;
} table_gen_cell_t;

//  Count the pupils of race (or any, -1) and income (or any) into *cell in
//  shape; false when the cell is not sent (no pupil, or left out).
static inline bool
table_gen_count (const table_gen_world_t *world, int race, int income, int shape,
                 table_gen_cell_t *cell)
{
    *cell = (table_gen_cell_t){.race = race, .income = income, .shape = shape};
    for (size_t k = 0; k < world->count; k++) {
        const table_gen_pupil_t *pupil = &world->pupils [k];
        if ((race >= 0 && pupil->race != race) || (income >= 0 && pupil->income != income))
            continue;
        cell->size++;
        cell->passed += pupil->passed;
        cell->value += pupil->count;
    }
    return cell->size > 0 && shape != 1;
}

//  The cells a world's table sends, in the order a state file lists them:
//  the total, the races, the incomes, the crosses. A cross cell needs its
//  margin; under a '*' without size, a state file's cross cells are '*'
//  with their sizes. Returns how many (at most TABLE_GEN_MAX_CELLS).
static inline size_t
table_gen_cells (const table_gen_world_t *world, table_gen_cell_t *cells)
{
    size_t count = 0;
    bool margin [TABLE_GEN_RACES] = {false};
    count += table_gen_count (world, -1, -1, 0, &cells [count]);
    for (int r = 0; r < TABLE_GEN_RACES; r++)
        if (table_gen_count (world, r, -1, world->race_shape [r], &cells [count]))
            count++, margin [r] = true;
    if (world->income)
        for (int i = 0; i < TABLE_GEN_INCOMES; i++)
            count += table_gen_count (world, -1, i, 0, &cells [count]);
    if (world->cross)
        for (int r = 0; r < TABLE_GEN_RACES; r++)
            for (int i = 0; i < TABLE_GEN_INCOMES && margin [r]; i++)
                count += table_gen_count (world, r, i, world->race_shape [r] == 2 ? 3 : 0,
                                          &cells [count]);
    return count;
}

//  ------------------------------------------------------------ the envelope

//  A data table's envelope, with the room its cells need.
typedef struct {
    char topic [CIBUS_MAX_TOPIC + 1];
    char id [32];
    char period [48];
    char unit [32];
    envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total;
    Cibus__DataCell cells [TABLE_GEN_MAX_CELLS];
    Cibus__DataCell *cell_list [TABLE_GEN_MAX_CELLS];
    Cibus__Dimension dims [TABLE_GEN_MAX_CELLS][2];
    Cibus__Dimension *dim_list [TABLE_GEN_MAX_CELLS][2];
} table_gen_msg_t;

//  An envelope with no cell yet, to network/data; unit and owner NULL or
//  "" when absent.
static inline envelope_t *
table_gen_msg (table_gen_msg_t *m, const char *id, const char *network, const char *indicator,
               const char *period, const char *unit, const char *owner)
{
    memset (m, 0, sizeof *m);
    snprintf (m->topic, sizeof m->topic, "%s/data", network);
    snprintf (m->id, sizeof m->id, "%s", id);
    snprintf (m->period, sizeof m->period, "%s", period);
    snprintf (m->unit, sizeof m->unit, "%s", unit ? unit : "");
    m->env = (envelope_t)CIBUS__ENVELOPE__INIT;
    m->data = (Cibus__DataSubmission)CIBUS__DATA_SUBMISSION__INIT;
    m->total = (Cibus__DataCell)CIBUS__DATA_CELL__INIT;
    m->env.id = m->id;
    m->env.topic = m->topic;
    m->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    m->env.data = &m->data;
    m->data.indicator = (char *)indicator;
    m->data.period = m->period;
    m->data.unit = *m->unit ? m->unit : NULL;
    m->data.owner = (char *)owner;
    m->data.total = &m->total;
    m->data.cells = m->cell_list;
    return &m->env;
}

//  A cell with these categories (both NULL: the total).
static inline Cibus__DataCell *
table_gen_msg_cell (table_gen_msg_t *m, const char *race, const char *income)
{
    if (!race && !income)
        return &m->total;
    size_t i = m->data.n_cells++;
    assert (i < TABLE_GEN_MAX_CELLS); //  a caller adding more cells than a table has
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

static inline void
table_gen_msg_ratio (Cibus__DataCell *cell, uint64_t numerator, uint64_t denominator)
{
    cell->has_numerator = cell->has_denominator = true;
    cell->numerator = numerator;
    cell->denominator = denominator;
}

//  The cells of a world's table into the envelope: percents (ratio) or
//  counts with n.
static inline void
table_gen_msg_cells (table_gen_msg_t *m, const table_gen_world_t *world, bool ratio)
{
    table_gen_cell_t cells [TABLE_GEN_MAX_CELLS];
    size_t count = table_gen_cells (world, cells);
    for (size_t k = 0; k < count; k++) {
        const table_gen_cell_t *c = &cells [k];
        Cibus__DataCell *cell =
            table_gen_msg_cell (m, c->race >= 0 ? table_gen_races [c->race] : NULL,
                                c->income >= 0 ? table_gen_incomes [c->income] : NULL);
        if (c->shape >= 2) {
            cell->has_suppressed = cell->suppressed = true;
            if (c->shape == 3 && ratio)
                cell->has_denominator = true, cell->denominator = c->size;
            if (c->shape == 3 && !ratio)
                cell->has_n = true, cell->n = c->size;
        } else if (ratio)
            table_gen_msg_ratio (cell, c->passed, c->size);
        else {
            cell->has_value = cell->has_n = true;
            cell->value = (double)c->value;
            cell->n = c->size;
        }
    }
}

//  ------------------------------------------------------------ the store

//  An indicator by race (its first races categories) and income, as the
//  backbone defines it in the entry entry_id.
typedef struct {
    char id [64];
    char race_key [8], income_key [8];
    char *dimensions [2];
    envelope_t env;
    Cibus__IndicatorDefinition def;
    Cibus__DimensionCategories race, income;
    Cibus__DimensionCategories *lists [2];
} table_gen_def_t;

static inline envelope_t *
table_gen_def (table_gen_def_t *d, const char *entry_id, const char *indicator, Cibus__Unit unit,
               Cibus__PeriodKind kind, char **networks, size_t network_count, size_t races)
{
    memset (d, 0, sizeof *d);
    snprintf (d->id, sizeof d->id, "%s", entry_id);
    snprintf (d->race_key, sizeof d->race_key, "race");
    snprintf (d->income_key, sizeof d->income_key, "income");
    d->dimensions [0] = d->race_key;
    d->dimensions [1] = d->income_key;
    d->env = (envelope_t)CIBUS__ENVELOPE__INIT;
    d->def = (Cibus__IndicatorDefinition)CIBUS__INDICATOR_DEFINITION__INIT;
    d->race = (Cibus__DimensionCategories)CIBUS__DIMENSION_CATEGORIES__INIT;
    d->income = (Cibus__DimensionCategories)CIBUS__DIMENSION_CATEGORIES__INIT;
    d->lists [0] = &d->race;
    d->lists [1] = &d->income;
    d->env.id = d->id;
    d->env.topic = (char *)CODEC_CATALOG_NETWORK "/indicator";
    d->env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    d->env.indicator = &d->def;
    d->def.indicator = d->def.name = (char *)indicator;
    d->def.has_unit = d->def.has_direction = d->def.has_period_kind = true;
    d->def.unit = unit;
    d->def.direction = CIBUS__DIRECTION__UP;
    d->def.period_kind = kind;
    d->def.dimensions = d->dimensions;
    d->def.n_dimensions = 2;
    d->def.networks = networks;
    d->def.n_networks = network_count;
    d->race.dimension = d->race_key;
    d->race.categories = (char **)table_gen_races;
    d->race.n_categories = races;
    d->income.dimension = d->income_key;
    d->income.categories = (char **)table_gen_incomes;
    d->income.n_categories = TABLE_GEN_INCOMES;
    d->def.categories = d->lists;
    d->def.n_categories = 2;
    return &d->env;
}

//  Append an envelope the broker's way: the codec's validation, then
//  store_append, the one append path. The reason of a refusal is in
//  *problem.
static inline cibus_err_t
table_gen_append (store_t *store, const store_partner_t *who, envelope_t *env,
                  store_appended_t *out, codec_problem_t *problem)
{
    cibus_err_t rc = codec_validate_envelope (env, problem);
    if (rc == CIBUS_OK)
        rc = store_append (store, env, who, 0, out, problem);
    return rc;
}

#endif
