/*  fuzz_disclosure.c - libFuzzer target of the disclosure rules.

    Each input is read as up to three versions of one table (a total and up
    to 16 cells of one, two or three dimensions, categories known or not,
    cells suppressed at source, sizes shown or not) under rules it also
    picks (min cell 1 to 15, sizes of hidden cells shown or not, coding on
    or off, percent or count). Each version is decided as a correction of
    the ones before it, and again from the table shapes held since earlier
    inputs (disclosure_shapes_t); a table the checks refuse is skipped. The
    properties: deciding never fails, deciding from a shape held refuses
    or marks exactly as deciding afresh, and the audit of everything
    decided finds no cell a reader could work out. A failure prints the
    tables and aborts.

    Pure functions, no broker: the module is fuzzed alone, as the design
    says it must be (DESIGN.md, "Data is released as tables").            */

#include "audit.h"
#include "disclosure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CELLS    16
#define S_VERSIONS 3

static const char *const s_races [] = {"asian", "black", "hispanic", "white"};
static const char *const s_incomes [] = {"low", "high"};
static const char *const s_genders [] = {"f", "m", "hispanic"};
static const disclosure_dimension_t s_dimensions [] = {
    {"race", s_races, 4}, {"income", s_incomes, 2}, {"gender", s_genders, 3}};
//  The fourth name is a dimension the catalogue does not have.
static const char *const s_dimension_names [] = {"race", "income", "gender", "colour"};

typedef struct {
    const uint8_t *data;
    size_t size;
} s_input_t;

static uint8_t
s_next (s_input_t *input)
{
    if (!input->size)
        return 0;
    input->size--;
    return *input->data++;
}

typedef struct {
    disclosure_table_t table;
    disclosure_cell_t cells [S_CELLS];
    disclosure_coord_t coords [S_CELLS][3];
    disclosure_mark_t marks [S_CELLS];
    disclosure_decision_t decision;
} s_version_t;

static void
s_fill_cell (s_input_t *input, disclosure_cell_t *cell, disclosure_kind_t kind, uint64_t scale)
{
    uint8_t flags = s_next (input);
    cell->suppressed = flags & 1;
    uint64_t size = (s_next (input) % scale) + (flags & 2 ? 0 : 1);
    uint64_t passed = size ? s_next (input) % (size + 1) : 0;
    if (kind == DISCLOSURE_RATIO) {
        cell->has_denominator = !cell->suppressed || (flags & 4);
        cell->denominator = size;
        cell->has_numerator = !cell->suppressed;
        cell->numerator = passed;
        if (flags & 8) {
            cell->has_n = true;
            cell->n = (flags & 16) ? size : size + 1;
        }
    }
    else {
        cell->has_value = !cell->suppressed;
        cell->value = (double) passed * ((flags & 32) ? 1.5 : 1);
        cell->has_n = !cell->suppressed || (flags & 4);
        cell->n = size;
    }
}

static void
s_build (s_input_t *input, s_version_t *version, disclosure_kind_t kind)
{
    memset (version, 0, sizeof *version);
    version->table = (disclosure_table_t){"k3", "2026-Q3", "eastside", kind, s_dimensions, 3,
                                          {0}, version->cells, 0};
    version->decision.cells = version->marks;
    uint64_t scale = 4 + s_next (input) % 200;
    s_fill_cell (input, &version->table.total, kind, scale * 4);
    size_t count = s_next (input) % S_CELLS;
    for (size_t i = 0; i < count; i++) {
        size_t coords = 1 + s_next (input) % 3;
        for (size_t k = 0; k < coords; k++) {
            uint8_t dimension = s_next (input) % 4;
            uint8_t category = s_next (input);
            version->coords [i][k].dimension = s_dimension_names [dimension];
            version->coords [i][k].category =
                dimension < 3 ? s_dimensions [dimension].categories
                                    [category % s_dimensions [dimension].category_count]
                              : "x";
        }
        version->cells [i].coords = version->coords [i];
        version->cells [i].coord_count = coords;
        s_fill_cell (input, &version->cells [i], kind, scale);
    }
    version->table.cell_count = count;
}

static void
s_print (const s_version_t *versions, size_t count)
{
    for (size_t v = 0; v < count; v++) {
        const disclosure_table_t *table = &versions [v].table;
        for (size_t i = 0; i <= table->cell_count; i++) {
            const disclosure_cell_t *cell = i ? &table->cells [i - 1] : &table->total;
            fprintf (stderr, "  version %zu %s", v, i ? "" : "total");
            for (size_t k = 0; i && k < cell->coord_count; k++)
                fprintf (stderr, "%s=%s ", cell->coords [k].dimension, cell->coords [k].category);
            fprintf (stderr, "suppressed=%d num=%llu den=%llu value=%g n=%llu\n", cell->suppressed,
                     (unsigned long long) cell->numerator, (unsigned long long) cell->denominator,
                     cell->value, (unsigned long long) cell->n);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_input_t input = {data, size};
    disclosure_rules_t rules;
    disclosure_rules_default (&rules);
    uint8_t picks = s_next (&input);
    rules.min_cell = 1 + picks % 15;
    rules.show_hidden_sizes = picks & 0x10;
    if (picks & 0x20) {
        rules.bands = NULL;
        rules.band_count = 0;
    }
    disclosure_kind_t kind = (picks & 0x40) ? DISCLOSURE_VALUE : DISCLOSURE_RATIO;
    static s_version_t versions [S_VERSIONS];
    disclosure_view_t views [S_VERSIONS];
    size_t count = 0;
    for (int v = 0; v < S_VERSIONS && input.size; v++) {
        s_build (&input, &versions [count], kind);
        disclosure_problem_t problem;
        cibus_err_t rc = disclosure_decide_correction (views, count, &versions [count].table,
                                                       &rules, &versions [count].decision,
                                                       &problem);
        //  Decided again from the shapes held since earlier inputs: the
        //  same refusal, or the same marks.
        static disclosure_shapes_t *shapes;
        if (!shapes && !(shapes = disclosure_shapes_new ()))
            abort ();
        disclosure_rules_t shaped = rules;
        shaped.shapes = shapes;
        disclosure_mark_t total = versions [count].decision.total, marks [S_CELLS];
        memcpy (marks, versions [count].marks, sizeof marks);
        disclosure_problem_t shaped_problem;
        cibus_err_t shaped_rc = disclosure_decide_correction (
            views, count, &versions [count].table, &shaped, &versions [count].decision,
            &shaped_problem);
        if (shaped_rc != rc || (rc && strcmp (shaped_problem.message, problem.message))
            || (!rc
                && (memcmp (&total, &versions [count].decision.total, sizeof total)
                    || memcmp (marks, versions [count].marks,
                               versions [count].table.cell_count * sizeof *marks)))) {
            fprintf (stderr, "decided otherwise from a shape held: %d %d %s\n", rc, shaped_rc,
                     shaped_problem.message);
            s_print (versions, count + 1);
            abort ();
        }
        if (rc == CIBUS_ERR_BAD_FIELD)
            continue; //  the checks refused the table: nothing to decide
        if (rc) {
            fprintf (stderr, "decide failed: %s\n", problem.message);
            s_print (versions, count + 1);
            abort ();
        }
        views [count] = (disclosure_view_t){&versions [count].table, &versions [count].decision};
        count++;
    }
    if (!count)
        return 0;
    disclosure_audit_t *audit = disclosure_audit_new (&rules);
    if (!audit)
        abort ();
    disclosure_problem_t problem;
    if (disclosure_audit_run (audit, views, count, &problem) != CIBUS_OK) {
        fprintf (stderr, "audit failed: %s\n", problem.message);
        abort ();
    }
    if (disclosure_audit_exposed_count (audit)) {
        const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
        fprintf (stderr, "exposed: %s -- %s\n", exposed->what, exposed->explanation);
        s_print (versions, count);
        abort ();
    }
    disclosure_audit_destroy (&audit);
    return 0;
}
