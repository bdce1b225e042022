/*  test_disclosure.c - a table's suppression decided once, corrections,
    and the audit that proves them: the seven routes of issue 10 with its
    numbers (min cell 10; a district's k3 result: total 168/410, black
    52/160, hispanic 38/104, white 75/140, asian 3/6), the refusals with
    their exact text, and thousands of generated tables - decided, they
    leak nothing; with suppression turned off, the audit finds the leaks. */

#include "audit.h"
#include "disclosure.h"
#include "model.h"
#include "table_gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  ---------------------------------------------------------------- fixtures

//  The races and incomes are those of the generated tables' worlds.
static const char *const s_ethnicities [] = {"hispanic", "other"};

static const disclosure_dimension_t s_catalogue [] = {
    {"race", table_gen_races, TABLE_GEN_RACES},
    {"income", table_gen_incomes, TABLE_GEN_INCOMES},
    {"ethnicity", s_ethnicities, 2},
};

#define S_MAX_CELLS 32
#define S_MAX_NAME  64

//  A table under construction, with the room its decision needs.
typedef struct {
    disclosure_table_t table;
    disclosure_cell_t cells [S_MAX_CELLS];
    disclosure_coord_t coords [S_MAX_CELLS][3];
    char names [S_MAX_CELLS][S_MAX_NAME];
    char split [S_MAX_CELLS][S_MAX_NAME];
    disclosure_mark_t marks [S_MAX_CELLS];
    disclosure_decision_t decision;
} s_table_t;

static void
s_table_init (s_table_t *self, disclosure_kind_t kind, const char *unit)
{
    memset (self, 0, sizeof *self);
    self->table = (disclosure_table_t){
        .indicator = "k3",
        .period = "2026-Q3",
        .unit = unit,
        .kind = kind,
        .dimensions = s_catalogue,
        .dimension_count = 3,
        .cells = self->cells,
    };
    self->decision.cells = self->marks;
}

//  A cell named like the command line's: "race=hispanic,income=low".
static disclosure_cell_t *
s_cell (s_table_t *self, const char *name)
{
    size_t i = self->table.cell_count++;
    assert_true (i < S_MAX_CELLS);
    snprintf (self->names [i], S_MAX_NAME, "%s", name);
    snprintf (self->split [i], S_MAX_NAME, "%s", name);
    size_t count = 0;
    for (char *save = NULL, *part = strtok_r (self->split [i], ",", &save); part;
         part = strtok_r (NULL, ",", &save)) {
        char *equals = strchr (part, '=');
        assert_non_null (equals);
        *equals = 0;
        self->coords [i][count++] = (disclosure_coord_t){part, equals + 1};
    }
    self->cells [i] = (disclosure_cell_t){.coords = self->coords [i], .coord_count = count};
    return &self->cells [i];
}

static void
s_total (s_table_t *self, uint64_t numerator, uint64_t denominator)
{
    self->table.total = (disclosure_cell_t){.has_numerator = true,
                                            .numerator = numerator,
                                            .has_denominator = true,
                                            .denominator = denominator};
}

static void
s_ratio (s_table_t *self, const char *name, uint64_t numerator, uint64_t denominator)
{
    disclosure_cell_t *cell = s_cell (self, name);
    cell->has_numerator = cell->has_denominator = true;
    cell->numerator = numerator;
    cell->denominator = denominator;
}

//  '*' (size 0: unknown) or '*/SIZE'.
static void
s_suppressed (s_table_t *self, const char *name, uint64_t size)
{
    disclosure_cell_t *cell = s_cell (self, name);
    cell->suppressed = true;
    cell->has_denominator = size > 0;
    cell->denominator = size;
}

static long
s_find (const s_table_t *self, const char *name)
{
    for (size_t i = 0; i < self->table.cell_count; i++)
        if (strcmp (self->names [i], name) == 0)
            return (long)i;
    return -1;
}

//  The mark of a cell by name, or of the total.
static disclosure_state_t
s_state (const s_table_t *self, const char *name)
{
    if (strcmp (name, "total") == 0)
        return self->decision.total.state;
    long i = s_find (self, name);
    assert_true (i >= 0);
    return self->marks [i].state;
}

static void
s_mark (s_table_t *self, const char *name, disclosure_state_t state)
{
    disclosure_mark_t mark = {.state = state, .size_shown = state == DISCLOSURE_SHOWN};
    if (strcmp (name, "total") == 0)
        self->decision.total = mark;
    else
        self->marks [s_find (self, name)] = mark;
}

//  The district's k3 result of issue 10, in the given order of cells.
static void
s_k3 (s_table_t *self, const int *order)
{
    static const char *names [] = {"race=black", "race=hispanic", "race=white", "race=asian"};
    static const uint64_t counts [][2] = {{52, 160}, {38, 104}, {75, 140}, {3, 6}};
    s_table_init (self, DISCLOSURE_RATIO, "eastside-sd");
    s_total (self, 168, 410);
    for (int k = 0; k < 4; k++) {
        int c = order ? order [k] : k;
        s_ratio (self, names [c], counts [c][0], counts [c][1]);
    }
}

static disclosure_rules_t
s_rules (void)
{
    disclosure_rules_t rules;
    disclosure_rules_default (&rules);
    return rules;
}

static void
s_decide (s_table_t *self, const disclosure_rules_t *rules)
{
    disclosure_problem_t problem = {0};
    cibus_err_t rc = disclosure_decide (&self->table, rules, &self->decision, &problem);
    if (rc)
        print_error ("%s\n", problem.message);
    assert_int_equal (rc, CIBUS_OK);
}

static void
s_correct (s_table_t *self, s_table_t *const *earlier, size_t count,
           const disclosure_rules_t *rules)
{
    disclosure_view_t views [8];
    for (size_t k = 0; k < count; k++)
        views [k] = (disclosure_view_t){&earlier [k]->table, &earlier [k]->decision};
    disclosure_problem_t problem = {0};
    cibus_err_t rc =
        disclosure_decide_correction (views, count, &self->table, rules, &self->decision, &problem);
    if (rc)
        print_error ("%s\n", problem.message);
    assert_int_equal (rc, CIBUS_OK);
}

//  Audit what one reader received: the tables given, in order.
static disclosure_audit_t *
s_audit (s_table_t *const *tables, size_t count, const disclosure_rules_t *rules)
{
    disclosure_view_t views [8];
    for (size_t k = 0; k < count; k++)
        views [k] = (disclosure_view_t){&tables [k]->table, &tables [k]->decision};
    disclosure_audit_t *audit = disclosure_audit_new (rules);
    assert_non_null (audit);
    disclosure_problem_t problem = {0};
    cibus_err_t rc = disclosure_audit_run (audit, views, count, &problem);
    if (rc)
        print_error ("%s\n", problem.message);
    assert_int_equal (rc, CIBUS_OK);
    return audit;
}

static size_t
s_exposed (s_table_t *const *tables, size_t count, const disclosure_rules_t *rules)
{
    disclosure_audit_t *audit = s_audit (tables, count, rules);
    size_t exposed = disclosure_audit_exposed_count (audit);
    for (size_t k = 0; k < exposed; k++)
        print_message ("exposed: %s - %s\n", disclosure_audit_exposed (audit, k)->what,
                       disclosure_audit_exposed (audit, k)->explanation);
    disclosure_audit_destroy (&audit);
    return exposed;
}

static const char *
s_refusal (const disclosure_table_t *table)
{
    static disclosure_problem_t problem;
    memset (&problem, 0, sizeof problem);
    assert_int_equal (disclosure_table_check (table, &problem), CIBUS_ERR_BAD_FIELD);
    return problem.message;
}

//  ---------------------------------------------------------------- routes

//  Route 1: one submit per row let hispanic out before asian arrived. The
//  decision is over the whole table, so the order of the cells is
//  irrelevant: asian is small, hispanic (the smallest other cell) is its
//  complement, and 168 - 52 - 38 - 75 cannot be worked out.
static void
test_disclosure_route1_decides_over_the_whole_table_in_any_order (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    int order [4] = {0, 1, 2, 3};
    size_t orders = 0;
    //  Every one of the 24 orders (Heap's algorithm).
    int c [4] = {0};
    for (int i = 0; i < 4;) {
        s_table_t table;
        s_k3 (&table, order);
        s_decide (&table, &rules);
        assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
        assert_int_equal (s_state (&table, "race=hispanic"), DISCLOSURE_HIDDEN_COMPLEMENT);
        assert_int_equal (s_state (&table, "race=black"), DISCLOSURE_SHOWN);
        assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_SHOWN);
        assert_int_equal (s_state (&table, "total"), DISCLOSURE_SHOWN);
        assert_false (table.marks [s_find (&table, "race=asian")].size_shown);
        orders++;
        if (orders == 24)
            break;
        while (c [i] >= i) {
            c [i] = 0;
            i++;
        }
        int j = i % 2 ? c [i] : 0, swap = order [j];
        order [j] = order [i];
        order [i] = swap;
        c [i]++;
        i = 1;
    }
    assert_int_equal (orders, 24);

    s_table_t table;
    s_k3 (&table, NULL);
    s_decide (&table, &rules);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 0);
    assert_int_equal (disclosure_audit_tables (audit), 1);
    assert_int_equal (disclosure_audit_cells (audit), 5);
    disclosure_audit_destroy (&audit);
}

//  Route 1, the other way round: with only asian hidden (what the live
//  stream sent), the audit works out asian from the total.
static void
test_disclosure_route1_audit_finds_a_lone_hidden_cell (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_k3 (&table, NULL);
    s_mark (&table, "total", DISCLOSURE_SHOWN);
    for (size_t i = 0; i < 4; i++)
        table.marks [i] = (disclosure_mark_t){DISCLOSURE_SHOWN, true, 0, 0};
    s_mark (&table, "race=asian", DISCLOSURE_HIDDEN_PRIMARY);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 1);
    const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
    assert_int_equal (exposed->place, DISCLOSURE_AT_CELL);
    assert_int_equal (exposed->reason, DISCLOSURE_EXPOSED_NARROW);
    assert_int_equal (exposed->cell, 3);
    assert_true (exposed->low == 3 && exposed->high == 3 && exposed->size == 6);
    assert_string_equal (exposed->what, "k3 2026-Q3 eastside-sd: cell race=asian");
    assert_string_equal (exposed->explanation,
                         "a reader can work out that its numerator is within [3, 3], fewer than "
                         "the 3 values its 6 people need, from: total 168/410 = race=black "
                         "52/160 + race=hispanic 38/104 + race=white 75/140 + race=asian *");
    disclosure_audit_destroy (&audit);
}

//  Route 1 again, rows sent one submit at a time as versions of one
//  table: v2 shows hispanic 38/104; v3 adds white 75/140 and leaves
//  asian's 3 of 6 to the remainder. Hiding hispanic in v3 protects
//  nothing - a reader takes it as it stood in v2 and works out 3 of 6 -
//  so the decision hides white, the one cell no version showed.
static void
test_disclosure_route1_rows_as_versions_a_cell_shown_before_protects_nothing (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t v1, v2, v3, v4;
    s_table_init (&v1, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&v1, 168, 410);
    s_ratio (&v1, "race=black", 52, 160);
    s_decide (&v1, &rules);
    s_table_init (&v2, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&v2, 168, 410);
    s_ratio (&v2, "race=black", 52, 160);
    s_ratio (&v2, "race=hispanic", 38, 104);
    s_table_t *before [] = {&v1, &v2, &v3, &v4};
    s_correct (&v2, before, 1, &rules);
    assert_int_equal (s_state (&v2, "race=hispanic"), DISCLOSURE_SHOWN);
    s_table_init (&v3, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&v3, 168, 410);
    s_ratio (&v3, "race=black", 52, 160);
    s_ratio (&v3, "race=hispanic", 38, 104);
    s_ratio (&v3, "race=white", 75, 140);
    //  Decided as a correction of v1 and v2, then v4 with asian itself.
    s_correct (&v3, before, 2, &rules);
    assert_int_equal (s_state (&v3, "race=white"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_exposed (before, 3, &rules), 0);
    s_k3 (&v4, NULL);
    s_correct (&v4, before, 3, &rules);
    assert_true (s_state (&v4, "race=asian") == DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_exposed (before, 4, &rules), 0);
}

//  Route 2: a state file's '*' left out of the feed; the four cells sent
//  are large, but 410 - 160 - 104 - 140 = 6 pupils are a small implicit
//  cell, hidden with a complement.
static void
test_disclosure_route2_a_cell_never_sent_is_a_small_remainder (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_table_init (&table, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&table, 168, 410);
    s_ratio (&table, "race=black", 52, 160);
    s_ratio (&table, "race=hispanic", 38, 104);
    s_ratio (&table, "race=white", 75, 140);

    //  Shown whole, the remainder 3/6 follows.
    disclosure_rules_t naive = rules;
    naive.complement = false;
    s_decide (&table, &naive);
    assert_int_equal (s_state (&table, "race=hispanic"), DISCLOSURE_SHOWN);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 1);
    const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
    assert_int_equal (exposed->place, DISCLOSURE_AT_REMAINDER);
    assert_int_equal (exposed->reason, DISCLOSURE_EXPOSED_NARROW);
    assert_int_equal (exposed->cell, DISCLOSURE_NO_CELL);
    assert_true (exposed->low == 3 && exposed->high == 3 && exposed->size == 6);
    assert_string_equal (exposed->what, "k3 2026-Q3 eastside-sd: cell race=? (not reported)");
    disclosure_audit_destroy (&audit);

    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=hispanic"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&table, "race=black"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&table, "total"), DISCLOSURE_SHOWN);
    assert_int_equal (s_exposed (tables, 1, &rules), 0);
}

//  Route 3: correcting asian 3/6 -> 4/7 and the total 168/410 -> 169/411
//  told everyone that the late-enrolled pupil passed. The correction hides
//  everything the first version hid, and the newer total, so that the
//  change of one pupil does not follow from two shown totals.
static void
test_disclosure_route3_a_correction_hides_the_change_of_one_pupil (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t first, second;
    s_k3 (&first, NULL);
    s_decide (&first, &rules);
    s_k3 (&second, NULL);
    s_total (&second, 169, 411);
    second.cells [s_find (&second, "race=asian")].numerator = 4;
    second.cells [s_find (&second, "race=asian")].denominator = 7;

    //  Decided afresh, the second version shows both totals.
    s_decide (&second, &rules);
    assert_int_equal (s_state (&second, "total"), DISCLOSURE_SHOWN);
    s_table_t *both [] = {&first, &second};
    disclosure_audit_t *audit = s_audit (both, 2, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 2);
    const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
    assert_int_equal (exposed->place, DISCLOSURE_AT_CHANGE);
    assert_int_equal (exposed->reason, DISCLOSURE_EXPOSED_ALL);
    assert_int_equal (exposed->cell, DISCLOSURE_TOTAL);
    assert_int_equal (exposed->view, 1);
    assert_int_equal (exposed->earlier_view, 0);
    assert_true (exposed->low == 1 && exposed->high == 1 && exposed->size == 1);
    assert_string_equal (exposed->what,
                         "k3 2026-Q3 eastside-sd: the change of total from version 1 to 2");
    exposed = disclosure_audit_exposed (audit, 1);
    assert_int_equal (exposed->place, DISCLOSURE_AT_PART);
    assert_int_equal (exposed->reason, DISCLOSURE_EXPOSED_ALL);
    assert_true (exposed->low == 1 && exposed->high == 1 && exposed->size == 1);
    assert_string_equal (exposed->what, "k3 2026-Q3 eastside-sd: the change from version 1 "
                                        "to 2 of the cells of race not shown in both");
    disclosure_audit_destroy (&audit);

    s_table_t *earlier [] = {&first};
    s_correct (&second, earlier, 1, &rules);
    assert_int_equal (s_state (&second, "total"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&second, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&second, "race=hispanic"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&second, "race=black"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&second, "race=white"), DISCLOSURE_SHOWN);
    assert_int_equal (s_exposed (both, 2, &rules), 0);
}

//  Route 4: hispanic x income cells (20/70, 18/34) add up to the hidden
//  hispanic cell; one of them is hidden too.
static void
test_disclosure_route4_cross_cells_under_a_hidden_cell_are_hidden_too (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_k3 (&table, NULL);
    s_ratio (&table, "race=hispanic,income=low", 20, 70);
    s_ratio (&table, "race=hispanic,income=high", 18, 34);

    //  Hiding only the race cells is what per-cell suppression did.
    memset (table.marks, 0, sizeof table.marks);
    for (size_t i = 0; i < table.table.cell_count; i++)
        table.marks [i].size_shown = true;
    table.decision.total.size_shown = true;
    s_mark (&table, "race=asian", DISCLOSURE_HIDDEN_PRIMARY);
    s_mark (&table, "race=hispanic", DISCLOSURE_HIDDEN_COMPLEMENT);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 1);
    const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
    assert_int_equal (exposed->cell, s_find (&table, "race=asian"));
    assert_true (exposed->low == 3 && exposed->high == 3);
    assert_string_equal (
        exposed->explanation,
        "a reader can work out that its numerator is within [3, 3], fewer than the 3 values "
        "its 6 people need, from: total 168/410 = race=black 52/160 + race=hispanic * + "
        "race=white 75/140 + race=asian *; race=hispanic * = race=hispanic,income=low 20/70 + "
        "race=hispanic,income=high 18/34");
    disclosure_audit_destroy (&audit);

    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=hispanic"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&table, "race=hispanic,income=high"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&table, "race=hispanic,income=low"), DISCLOSURE_SHOWN);
    assert_int_equal (s_exposed (tables, 1, &rules), 0);
}

//  Route 4, overlapping dimensions: ethnicity=hispanic (104) showed what
//  race=hispanic hid. A category listed under two dimensions is refused.
static void
test_disclosure_route4_a_category_of_two_dimensions_is_refused (void **state)
{
    (void)state;
    s_table_t table;
    s_k3 (&table, NULL);
    s_ratio (&table, "ethnicity=hispanic", 38, 104);
    assert_string_equal (s_refusal (&table.table),
                         "cell ethnicity=hispanic: category 'hispanic' is listed under both "
                         "race and ethnicity, so its people would be counted twice");
}

//  Route 5: two hidden cells of 6 and 5 pupils with no one passing, while
//  the shown cells account for every pass: each hidden cell has a partner
//  and together they cover 11 people, yet both are exactly 0 %.
static void
test_disclosure_route5_extremes_pinned_by_shown_cells (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_table_init (&table, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&table, 120, 301);
    s_ratio (&table, "race=black", 60, 150);
    s_ratio (&table, "race=white", 60, 140);
    s_ratio (&table, "race=asian", 0, 6);
    s_ratio (&table, "race=native", 0, 5);

    //  Naive suppression: the two small cells, each the other's complement.
    disclosure_rules_t naive = rules;
    naive.complement = false;
    s_decide (&table, &naive);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=native"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=black"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_SHOWN);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 2);
    const disclosure_exposed_t *asian = disclosure_audit_exposed (audit, 0);
    assert_int_equal (asian->reason, DISCLOSURE_EXPOSED_NONE);
    assert_int_equal (asian->cell, s_find (&table, "race=asian"));
    assert_true (asian->low == 0 && asian->high == 0 && asian->size == 6);
    assert_string_equal (asian->explanation,
                         "a reader can work out that its numerator is 0: none of its 6 people "
                         "passed, from: total 120/301 = race=black 60/150 + race=white 60/140 "
                         "+ race=asian * + race=native *");
    const disclosure_exposed_t *native = disclosure_audit_exposed (audit, 1);
    assert_int_equal (native->reason, DISCLOSURE_EXPOSED_NONE);
    assert_int_equal (native->cell, s_find (&table, "race=native"));
    disclosure_audit_destroy (&audit);

    //  Decided with the proof, a third cell is hidden beside them.
    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=native"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&table, "race=black"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&table, "total"), DISCLOSURE_SHOWN);
    assert_int_equal (s_exposed (tables, 1, &rules), 0);
}

//  Route 6: --numerator 1 --denominator 4 --n 38 was shown in full.
static void
test_disclosure_route6_n_disagreeing_with_the_denominator_is_refused (void **state)
{
    (void)state;
    s_table_t table;
    s_k3 (&table, NULL);
    disclosure_cell_t *asian = &table.cells [s_find (&table, "race=asian")];
    asian->numerator = 1;
    asian->denominator = 4;
    asian->has_n = true;
    asian->n = 38;
    disclosure_problem_t problem;
    assert_int_equal (disclosure_table_check (&table.table, &problem), CIBUS_ERR_BAD_FIELD);
    assert_int_equal (problem.cell, 3);
    assert_string_equal (problem.message, "cell race=asian: n 38 disagrees with its denominator 4");
    disclosure_mark_t marks [S_MAX_CELLS];
    disclosure_decision_t decision = {.cells = marks};
    disclosure_rules_t rules = s_rules ();
    assert_int_equal (disclosure_decide (&table.table, &rules, &decision, &problem),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (problem.message, "cell race=asian: n 38 disagrees with its denominator 4");
}

//  Route 7: the district's "hispanic *" and the state feed's "hispanic
//  38/104" are two versions of one table (the store's matter); deciding the
//  later one keeps what the earlier one hid.
static void
test_disclosure_route7_a_second_sender_keeps_earlier_hidden_cells (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t district, feed;
    s_table_init (&district, DISCLOSURE_RATIO, "eastside-sd");
    s_total (&district, 168, 410);
    s_ratio (&district, "race=black", 52, 160);
    s_suppressed (&district, "race=hispanic", 0);
    s_ratio (&district, "race=white", 75, 140);
    s_ratio (&district, "race=asian", 3, 6);
    s_decide (&district, &rules);
    assert_int_equal (s_state (&district, "race=hispanic"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&district, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&district, "race=black"), DISCLOSURE_SHOWN);

    s_k3 (&feed, NULL);
    s_table_t *earlier [] = {&district};
    s_correct (&feed, earlier, 1, &rules);
    assert_int_equal (s_state (&feed, "race=hispanic"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&feed, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&feed, "race=black"), DISCLOSURE_SHOWN);
    assert_int_equal (s_state (&feed, "race=white"), DISCLOSURE_SHOWN);
    s_table_t *both [] = {&district, &feed};
    assert_int_equal (s_exposed (both, 2, &rules), 0);

    //  A correction with every cell large keeps them hidden all the same.
    s_table_t later;
    s_k3 (&later, NULL);
    later.cells [s_find (&later, "race=asian")].numerator = 13;
    later.cells [s_find (&later, "race=asian")].denominator = 60;
    s_total (&later, 178, 464);
    s_table_t *two [] = {&district, &feed};
    s_correct (&later, two, 2, &rules);
    assert_true (s_state (&later, "race=hispanic") == DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_true (s_state (&later, "race=asian") == DISCLOSURE_HIDDEN_COMPLEMENT);
}

//  ---------------------------------------------------------------- refusals

static void
test_disclosure_check_refuses_naming_the_cell (void **state)
{
    (void)state;
    s_table_t table;

    s_k3 (&table, NULL);
    table.cells [s_find (&table, "race=asian")].numerator = 7;
    assert_string_equal (s_refusal (&table.table),
                         "cell race=asian: 7/6 has a numerator above its denominator");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=martian", 1, 20);
    assert_string_equal (s_refusal (&table.table),
                         "cell race=martian: 'martian' is not a category of race");

    s_k3 (&table, NULL);
    s_ratio (&table, "colour=red", 1, 20);
    assert_string_equal (s_refusal (&table.table),
                         "cell colour=red: 'colour' is not a dimension of k3");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=asian", 3, 6);
    assert_string_equal (s_refusal (&table.table), "cell race=asian: is given twice");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=native", 1, 10);
    assert_string_equal (s_refusal (&table.table),
                         "cell race=native: the cells of race add up to 420 people, more than "
                         "the 410 of the total");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=hispanic,income=low", 20, 70);
    s_ratio (&table, "race=hispanic,income=high", 18, 40);
    assert_string_equal (s_refusal (&table.table),
                         "cell race=hispanic,income=high: the cells of race=hispanic by income "
                         "add up to 110 people, more than the 104 of race=hispanic");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=native,income=low", 1, 3);
    assert_string_equal (s_refusal (&table.table),
                         "cell race=native,income=low: its margin race=native is not among the "
                         "cells of race");

    s_k3 (&table, NULL);
    s_ratio (&table, "race=asian,race=black", 1, 3);
    assert_string_equal (s_refusal (&table.table), "cell race=asian,race=black: names race twice");

    s_k3 (&table, NULL);
    s_total (&table, 170, 410);
    assert_string_equal (s_refusal (&table.table),
                         "the total: 2 of its numerator is left to the 0 people the cells of "
                         "race do not account for");

    s_k3 (&table, NULL);
    table.cells [0].has_numerator = false;
    assert_string_equal (s_refusal (&table.table),
                         "cell race=black: a percent or rate needs a numerator and a denominator");

    s_k3 (&table, NULL);
    table.cells [0].suppressed = true;
    assert_string_equal (s_refusal (&table.table),
                         "cell race=black: is suppressed at source but carries a numerator");

    s_table_init (&table, DISCLOSURE_VALUE, NULL);
    table.table.total = (disclosure_cell_t){.has_value = true, .value = 10, .has_n = true, .n = 20};
    disclosure_cell_t *cell = s_cell (&table, "race=asian");
    cell->has_value = true;
    cell->value = -1;
    assert_string_equal (s_refusal (&table.table), "cell race=asian: its value -1 is negative");
}

//  ---------------------------------------------------------------- coding

static void
test_disclosure_codes_extreme_percents_by_group_size (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_table_init (&table, DISCLOSURE_RATIO, NULL);
    s_total (&table, 160, 400);
    s_ratio (&table, "race=asian", 0, 25);  //  0 %, 21-40: <=5
    s_ratio (&table, "race=black", 40, 40); //  100 %, 21-40: >=95
    s_ratio (&table, "race=white", 2, 100); //  2 %, 41-100: <=2
    s_ratio (&table, "race=hispanic", 118, 235);
    s_decide (&table, &rules);
    char text [16];
    const disclosure_mark_t *asian = &table.marks [0], *black = &table.marks [1];
    const disclosure_mark_t *white = &table.marks [2];
    assert_int_equal (asian->state, DISCLOSURE_CODED);
    assert_true (asian->low == 0 && asian->high == 5 && asian->size_shown);
    assert_string_equal (disclosure_mark_text (asian, text, sizeof text), "<=5");
    assert_int_equal (black->state, DISCLOSURE_CODED);
    assert_string_equal (disclosure_mark_text (black, text, sizeof text), ">=95");
    assert_int_equal (white->state, DISCLOSURE_CODED);
    assert_string_equal (disclosure_mark_text (white, text, sizeof text), "<=2");
    //  Three coded cells: none follows from the total by subtraction.
    assert_int_equal (s_state (&table, "race=hispanic"), DISCLOSURE_SHOWN);
    s_table_t *tables [] = {&table};
    assert_int_equal (s_exposed (tables, 1, &rules), 0);

    //  A lone coded cell would be worked out exactly: a complement hides another.
    s_table_init (&table, DISCLOSURE_RATIO, NULL);
    s_total (&table, 160, 400);
    s_ratio (&table, "race=asian", 0, 25);
    s_ratio (&table, "race=black", 60, 140);
    s_ratio (&table, "race=white", 100, 235);
    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_CODED);
    assert_int_equal (s_state (&table, "race=black"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_SHOWN);
    assert_string_equal (disclosure_mark_text (&table.marks [1], text, sizeof text), "*");
    assert_int_equal (s_exposed (tables, 1, &rules), 0);

    //  Without bands nothing is coded.
    rules.bands = NULL;
    rules.band_count = 0;
    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_SHOWN);
}

//  ---------------------------------------------------------------- values

static void
test_disclosure_values_are_protected_by_ten_percent (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_table_t table;
    s_table_init (&table, DISCLOSURE_VALUE, NULL);
    table.table.total =
        (disclosure_cell_t){.has_value = true, .value = 1000, .has_n = true, .n = 100};
    static const struct {
        const char *name;
        double value;
        uint64_t n;
    } cells [] = {{"race=black", 500, 50}, {"race=white", 430, 44}, {"race=asian", 70, 6}};
    for (size_t k = 0; k < 3; k++) {
        disclosure_cell_t *cell = s_cell (&table, cells [k].name);
        cell->has_value = cell->has_n = true;
        cell->value = cells [k].value;
        cell->n = cells [k].n;
    }
    disclosure_rules_t naive = rules;
    naive.complement = false;
    s_decide (&table, &naive);
    s_table_t *tables [] = {&table};
    disclosure_audit_t *audit = s_audit (tables, 1, &rules);
    assert_int_equal (disclosure_audit_exposed_count (audit), 1);
    const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, 0);
    assert_int_equal (exposed->reason, DISCLOSURE_EXPOSED_NARROW);
    assert_true (exposed->low == 70 && exposed->high == 70);
    disclosure_audit_destroy (&audit);

    s_decide (&table, &rules);
    assert_int_equal (s_state (&table, "race=asian"), DISCLOSURE_HIDDEN_PRIMARY);
    assert_int_equal (s_state (&table, "race=white"), DISCLOSURE_HIDDEN_COMPLEMENT);
    assert_int_equal (s_exposed (tables, 1, &rules), 0);
}

//  ---------------------------------------------------------------- generated

//  A small world of pupils from which every version of a table is counted
//  (tests/table_gen.h), so that every table adds up by construction; one
//  in eight tables is of a value kind, the others percents.
typedef struct {
    uint64_t rng;
    disclosure_kind_t kind;
    table_gen_world_t pupils;
} s_world_t;

static void
s_world (s_world_t *world, uint64_t seed)
{
    memset (world, 0, sizeof *world);
    world->rng = table_gen_rng (seed);
    world->kind = table_gen_random (&world->rng, 8) == 0 ? DISCLOSURE_VALUE : DISCLOSURE_RATIO;
    table_gen_world (&world->rng, &world->pupils);
}

static void
s_world_cell (s_table_t *table, disclosure_kind_t kind, const table_gen_cell_t *counted)
{
    char name [S_MAX_NAME] = "";
    const char *race = counted->race >= 0 ? table_gen_races [counted->race] : NULL;
    const char *income = counted->income >= 0 ? table_gen_incomes [counted->income] : NULL;
    if (race && income)
        snprintf (name, sizeof name, "race=%s,income=%s", race, income);
    else if (race)
        snprintf (name, sizeof name, "race=%s", race);
    else if (income)
        snprintf (name, sizeof name, "income=%s", income);
    disclosure_cell_t *cell = *name ? s_cell (table, name) : &table->table.total;
    if (counted->shape >= 2) {
        cell->suppressed = true;
        if (counted->shape == 3 && kind == DISCLOSURE_RATIO)
            cell->has_denominator = true, cell->denominator = counted->size;
        if (counted->shape == 3 && kind == DISCLOSURE_VALUE)
            cell->has_n = true, cell->n = counted->size;
        return;
    }
    if (kind == DISCLOSURE_RATIO) {
        cell->has_numerator = cell->has_denominator = true;
        cell->numerator = counted->passed;
        cell->denominator = counted->size;
    } else {
        cell->has_value = cell->has_n = true;
        cell->value = (double)counted->value;
        cell->n = counted->size;
    }
}

static void
s_world_table (s_table_t *table, const s_world_t *world, const char *unit)
{
    s_table_init (table, world->kind, unit);
    table_gen_cell_t cells [TABLE_GEN_MAX_CELLS];
    size_t count = table_gen_cells (&world->pupils, cells);
    for (size_t k = 0; k < count; k++)
        s_world_cell (table, world->kind, &cells [k]);
}

//  ---------------------------------------------------------------- exhaustive

typedef struct {
    size_t count;
    uint64_t size [6];
    uint64_t low [6];
    uint64_t high [6];
    bool feasible;
} s_search_t;

//  Every way whole numerators of the unknown cells add up to target.
static void
s_search (s_search_t *self, size_t k, uint64_t *value, uint64_t target)
{
    if (k == self->count) {
        if (target != 0)
            return;
        for (size_t i = 0; i < self->count; i++) {
            if (!self->feasible || value [i] < self->low [i])
                self->low [i] = value [i];
            if (!self->feasible || value [i] > self->high [i])
                self->high [i] = value [i];
        }
        self->feasible = true;
        return;
    }
    for (uint64_t v = 0; v <= self->size [k] && v <= target; v++) {
        value [k] = v;
        s_search (self, k + 1, value, target - v);
    }
}

//  The audit's verdicts against an exhaustive search over whole numbers,
//  on small one-dimensional tables whose hidden cells show their sizes:
//  there the linear program's vertices are whole numbers, so the audit
//  must find exactly what the search finds.
static void
test_disclosure_audit_agrees_with_an_exhaustive_search (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    size_t exposed_total = 0, tables = 400;
    for (uint64_t seed = 1; seed <= tables; seed++) {
        uint64_t rng = seed * 7919;
        s_table_t table;
        s_table_init (&table, DISCLOSURE_RATIO, NULL);
        size_t cells = 2 + table_gen_random (&rng, 4);
        uint64_t total_size = 0, total_num = 0, hidden_num = 0;
        s_search_t search = {0};
        for (size_t i = 0; i < cells; i++) {
            uint64_t size = 1 + table_gen_random (&rng, 14);
            uint32_t shape = table_gen_random (&rng, 4);
            uint64_t num = shape == 0   ? 0
                           : shape == 1 ? size
                                        : table_gen_random (&rng, (uint32_t)size + 1);
            char name [S_MAX_NAME];
            snprintf (name, sizeof name, "race=%s", table_gen_races [i]);
            s_ratio (&table, name, num, size);
            total_size += size;
            total_num += num;
            bool hidden = table_gen_random (&rng, 5) < 2;
            table.marks [i] = (disclosure_mark_t){
                hidden ? (size < 10 ? DISCLOSURE_HIDDEN_PRIMARY : DISCLOSURE_HIDDEN_COMPLEMENT)
                       : DISCLOSURE_SHOWN,
                true, 0, 0};
            if (hidden) {
                search.size [search.count++] = size;
                hidden_num += num;
            }
        }
        //  A remainder, sometimes: people of no race given.
        uint64_t rest = table_gen_random (&rng, 3) ? 0 : 1 + table_gen_random (&rng, 12);
        uint64_t rest_num = rest ? table_gen_random (&rng, (uint32_t)rest + 1) : 0;
        if (rest)
            search.size [search.count++] = rest;
        s_total (&table, total_num + rest_num, total_size + rest);
        table.decision.total = (disclosure_mark_t){DISCLOSURE_SHOWN, true, 0, 0};

        uint64_t value [6];
        s_search (&search, 0, value, hidden_num + rest_num);
        assert_true (search.feasible);

        //  The verdicts the search gives, in the audit's order (by key).
        int expected [6];
        size_t unknown = 0;
        for (size_t i = 0; i <= cells; i++) {
            bool remainder = i == cells;
            if (remainder && !rest)
                break;
            uint64_t size = remainder ? rest : table.cells [i].denominator;
            if (!remainder && table.marks [i].state == DISCLOSURE_SHOWN) {
                expected [i] = size < 10 ? DISCLOSURE_EXPOSED_SHOWN_SMALL : -1;
                continue;
            }
            uint64_t low = search.low [unknown], high = search.high [unknown];
            unknown++;
            expected [i] = high == 0                                  ? DISCLOSURE_EXPOSED_NONE
                           : low == size                              ? DISCLOSURE_EXPOSED_ALL
                           : size < 10 && high - low < (size + 1) / 2 ? DISCLOSURE_EXPOSED_NARROW
                                                                      : -1;
        }
        s_table_t *tables_ [] = {&table};
        disclosure_audit_t *audit = s_audit (tables_, 1, &rules);
        size_t found = 0;
        for (size_t i = 0; i <= cells; i++) {
            if (i == cells && !rest)
                break;
            int got = -1;
            for (size_t k = 0; k < disclosure_audit_exposed_count (audit); k++) {
                const disclosure_exposed_t *exposed = disclosure_audit_exposed (audit, k);
                bool here = i == cells ? exposed->place == DISCLOSURE_AT_REMAINDER
                                       : exposed->cell == (long)i;
                if (here)
                    got = (int)exposed->reason;
            }
            if (got != expected [i])
                print_message ("seed %" PRIu64 " cell %zu: audit %d, search %d\n", seed, i, got,
                               expected [i]);
            assert_int_equal (got, expected [i]);
            found += got >= 0;
        }
        //  The total is shown: exposed only when small itself.
        found += total_size + rest < 10;
        assert_int_equal (found, disclosure_audit_exposed_count (audit));
        exposed_total += found;
        disclosure_audit_destroy (&audit);
    }
    print_message ("exhaustive search: %zu tables, %zu exposed cells, all agreed\n", tables,
                   exposed_total);
    assert_true (exposed_total > 100);
}

#define S_VERSIONS 3

typedef struct {
    size_t tables;
    size_t views;
    size_t hidden;
    size_t exposed;
    size_t derived; //  exposed by an equation, not by being shown small
} s_tally_t;

//  Publish count worlds of up to three versions each with the decision's
//  rules, and audit everything with the audit's rules, a batch at a time.
static s_tally_t
s_publish (uint64_t seed, size_t count, const disclosure_rules_t *decide,
           const disclosure_rules_t *judge)
{
    enum { BATCH = 16 };
    s_tally_t tally = {0};
    s_table_t *tables = calloc (BATCH * S_VERSIONS, sizeof *tables);
    char (*units) [32] = calloc (BATCH, sizeof *units);
    assert_non_null (tables);
    disclosure_audit_t *audit = disclosure_audit_new (judge);
    assert_non_null (audit);
    for (size_t first = 0; first < count; first += BATCH) {
        disclosure_view_t views [BATCH * S_VERSIONS];
        size_t view_count = 0;
        for (size_t w = first; w < first + BATCH && w < count; w++) {
            s_world_t world;
            s_world (&world, seed + w);
            size_t slot = (w - first) * S_VERSIONS;
            snprintf (units [w - first], sizeof units [0], "school-%zu", w);
            size_t versions = 1 + (size_t)table_gen_random (&world.rng, S_VERSIONS);
            for (size_t v = 0; v < versions; v++) {
                s_table_t *table = &tables [slot + v];
                if (v)
                    table_gen_change (&world.rng, &world.pupils);
                s_world_table (table, &world, units [w - first]);
                s_table_t *earlier [S_VERSIONS];
                for (size_t e = 0; e < v; e++)
                    earlier [e] = &tables [slot + e];
                s_correct (table, earlier, v, decide);
                for (size_t i = 0; i < table->table.cell_count; i++)
                    tally.hidden += table->marks [i].state != DISCLOSURE_SHOWN;
                views [view_count++] = (disclosure_view_t){&table->table, &table->decision};
            }
            tally.tables++;
        }
        disclosure_problem_t problem = {0};
        cibus_err_t rc = disclosure_audit_run (audit, views, view_count, &problem);
        if (rc)
            print_error ("%s\n", problem.message);
        assert_int_equal (rc, CIBUS_OK);
    }
    tally.views = disclosure_audit_tables (audit);
    tally.exposed = disclosure_audit_exposed_count (audit);
    for (size_t k = 0; k < tally.exposed; k++)
        tally.derived +=
            disclosure_audit_exposed (audit, k)->reason != DISCLOSURE_EXPOSED_SHOWN_SMALL;
    if (tally.exposed && decide->complement)
        for (size_t k = 0; k < tally.exposed && k < 5; k++)
            print_message ("exposed: %s - %s\n", disclosure_audit_exposed (audit, k)->what,
                           disclosure_audit_exposed (audit, k)->explanation);
    disclosure_audit_destroy (&audit);
    free (tables);
    free (units);
    return tally;
}

static void
test_disclosure_generated_tables_leak_nothing_once_decided (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    s_tally_t tally = s_publish (1, 3000, &rules, &rules);
    print_message ("decided: %zu tables, %zu versions, %zu cells hidden or coded, %zu exposed\n",
                   tally.tables, tally.views, tally.hidden, tally.exposed);
    assert_int_equal (tally.exposed, 0);
    assert_true (tally.views > tally.tables);

    //  Hidden cells that show their size, and a smaller minimum.
    rules.show_hidden_sizes = true;
    tally = s_publish (100001, 1000, &rules, &rules);
    assert_int_equal (tally.exposed, 0);
    rules.show_hidden_sizes = false;
    rules.min_cell = 5;
    tally = s_publish (200001, 1000, &rules, &rules);
    assert_int_equal (tally.exposed, 0);
}

static void
test_disclosure_generated_tables_leak_when_suppression_is_off (void **state)
{
    (void)state;
    disclosure_rules_t rules = s_rules ();
    disclosure_rules_t off = {.min_cell = 1,
                              .complement = false,
                              .ratio_protection = rules.ratio_protection,
                              .value_protection = rules.value_protection};
    s_tally_t tally = s_publish (1, 1000, &off, &rules);
    print_message ("suppression off: %zu exposed, %zu of them by equations\n", tally.exposed,
                   tally.derived);
    assert_true (tally.exposed > 100);
    assert_true (tally.derived > 20);

    //  Primary suppression alone: every leak is one the audit works out.
    disclosure_rules_t naive = rules;
    naive.complement = false;
    tally = s_publish (1, 1000, &naive, &rules);
    print_message ("primary only: %zu exposed, %zu of them by equations\n", tally.exposed,
                   tally.derived);
    assert_true (tally.derived > 50);
    assert_int_equal (tally.derived, tally.exposed);
}

//  ---------------------------------------------------------------- shapes

typedef const char *(s_key_fn) (const model_t *model, size_t i);

static const char *
s_node_key (const model_t *model, size_t i)
{
    return model->nodes [i].key;
}

static const char *
s_relation_key (const model_t *model, size_t r)
{
    return model->relations [r].key;
}

//  Whether order is 0 .. count - 1, each once, sorted by key (equal keys
//  by index).
static void
s_sorted (const model_t *model, const size_t *order, size_t count, s_key_fn *key)
{
    bool *seen = calloc (count + 1, sizeof *seen);
    assert_non_null (seen);
    for (size_t k = 0; k < count; k++) {
        size_t i = order [k];
        assert_true (i < count && !seen [i]);
        seen [i] = true;
        if (k) {
            size_t before = order [k - 1];
            int compared = strcmp (key (model, before), key (model, i));
            assert_true (compared < 0 || (compared == 0 && before < i));
        }
    }
    free (seen);
}

//  Whether a model's orders are its nodes and relations sorted by their
//  keys, and each node lists the relations it is the margin, a member or
//  the remainder of, each once, in order.
static void
s_model_holds (const model_t *model)
{
    s_sorted (model, model->node_order, model->node_count, s_node_key);
    s_sorted (model, model->relation_order, model->relation_count, s_relation_key);
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        size_t listed = 0;
        for (size_t r = 0; r < model->relation_count; r++) {
            const relation_t *relation = &model->relations [r];
            bool in = relation->margin == i || relation->remainder == (long)i;
            for (size_t k = 0; k < relation->member_count; k++)
                in = in || relation->members [k] == i;
            if (!in)
                continue;
            assert_true (listed < node->relation_count);
            assert_int_equal (node->relations [listed++], r);
        }
        assert_int_equal (listed, node->relation_count);
        if (node->kind == NODE_REMAINDER) {
            const relation_t *relation = &model->relations [node->relation];
            assert_int_equal (relation->remainder, (long)i);
            assert_true (node->key [0] == '~');
            assert_string_equal (node->key + 1, relation->key);
            assert_string_equal (node->name, relation->rest_name);
        }
    }
}

//  A table modelled from the shapes held, and modelled afresh: the same
//  nodes, relations, keys, names and orders, or the same refusal; and
//  the model holds together.
static void
s_same_model (const disclosure_table_t *table, disclosure_shapes_t *shapes)
{
    model_t *fresh = NULL, *shaped = NULL;
    disclosure_problem_t refused = {0}, refused_shaped = {0};
    cibus_err_t rc = model_new (table, NULL, &fresh, &refused);
    assert_int_equal (model_new (table, shapes, &shaped, &refused_shaped), rc);
    assert_int_equal (refused_shaped.code, refused.code);
    assert_int_equal (refused_shaped.cell, refused.cell);
    assert_string_equal (refused_shaped.message, refused.message);
    if (rc)
        return;
    s_model_holds (shaped);
    assert_int_equal (shaped->node_count, fresh->node_count);
    assert_int_equal (shaped->relation_count, fresh->relation_count);
    for (size_t i = 0; i < fresh->node_count; i++) {
        const node_t *a = &fresh->nodes [i], *b = &shaped->nodes [i];
        assert_int_equal (b->kind, a->kind);
        assert_int_equal (b->cell, a->cell);
        assert_int_equal (b->relation, a->relation);
        assert_int_equal (b->suppressed, a->suppressed);
        assert_int_equal (b->size_known, a->size_known);
        assert_int_equal (b->size, a->size);
        assert_int_equal (b->num_known, a->num_known);
        assert_true (b->num == a->num);
        assert_string_equal (b->key, a->key);
        assert_string_equal (b->name, a->name);
        assert_int_equal (b->relation_count, a->relation_count);
        for (size_t k = 0; k < a->relation_count; k++)
            assert_int_equal (b->relations [k], a->relations [k]);
        assert_int_equal (shaped->node_order [i], fresh->node_order [i]);
    }
    for (size_t r = 0; r < fresh->relation_count; r++) {
        const relation_t *a = &fresh->relations [r], *b = &shaped->relations [r];
        assert_int_equal (b->margin, a->margin);
        assert_int_equal (b->member_count, a->member_count);
        for (size_t k = 0; k < a->member_count; k++)
            assert_int_equal (b->members [k], a->members [k]);
        assert_int_equal (b->remainder, a->remainder);
        assert_int_equal (b->rest_known, a->rest_known);
        assert_int_equal (b->rest, a->rest);
        assert_string_equal (b->key, a->key);
        assert_string_equal (b->name, a->name);
        assert_string_equal (b->rest_name, a->rest_name);
        assert_int_equal (shaped->relation_order [r], fresh->relation_order [r]);
    }
    model_destroy (&shaped);
    model_destroy (&fresh);
}

//  A version decided with the shapes held and without: the same marks,
//  or the same refusal.
static void
s_same_decision (s_table_t *self, s_table_t *const *earlier, size_t count,
                 disclosure_rules_t *rules, disclosure_shapes_t *shapes)
{
    disclosure_view_t views [S_VERSIONS];
    for (size_t k = 0; k < count; k++)
        views [k] = (disclosure_view_t){&earlier [k]->table, &earlier [k]->decision};
    disclosure_problem_t refused = {0}, refused_shaped = {0};
    rules->shapes = NULL;
    cibus_err_t rc = disclosure_decide_correction (views, count, &self->table, rules,
                                                   &self->decision, &refused);
    disclosure_mark_t total = self->decision.total, marks [S_MAX_CELLS];
    memcpy (marks, self->marks, sizeof marks);
    memset (self->marks, 0xa5, sizeof self->marks);
    rules->shapes = shapes;
    assert_int_equal (disclosure_decide_correction (views, count, &self->table, rules,
                                                    &self->decision, &refused_shaped),
                      rc);
    assert_int_equal (refused_shaped.code, refused.code);
    assert_string_equal (refused_shaped.message, refused.message);
    if (rc)
        return;
    assert_memory_equal (&self->decision.total, &total, sizeof total);
    assert_memory_equal (self->marks, marks, self->table.cell_count * sizeof *marks);
}

//  The shapes seen so far, each as its cells' names in order: how many.
typedef struct {
    char seen [4096][S_MAX_CELLS * S_MAX_NAME / 4];
    size_t count;
} s_shapes_seen_t;

static void
s_shape_seen (s_shapes_seen_t *self, const s_table_t *table)
{
    char shape [sizeof self->seen [0]] = "";
    for (size_t i = 0; i < table->table.cell_count; i++) {
        strncat (shape, table->names [i], sizeof shape - strlen (shape) - 1);
        strncat (shape, ";", sizeof shape - strlen (shape) - 1);
    }
    for (size_t k = 0; k < self->count; k++)
        if (strcmp (self->seen [k], shape) == 0)
            return;
    assert_true (self->count < 4096);
    snprintf (self->seen [self->count++], sizeof self->seen [0], "%s", shape);
}

//  Thousands of generated tables, corrections among them, of more shapes
//  than are held at once, in turn; and tables that differ from a shape
//  held only in an order, a category or the catalogue: each is modelled
//  and decided from the shapes as it is afresh.
static void
test_disclosure_a_shape_held_models_and_decides_as_afresh (void **state)
{
    (void)state;
    s_shapes_seen_t *seen = calloc (1, sizeof *seen);
    assert_non_null (seen);
    size_t decided = 0;
    disclosure_shapes_t *shapes = disclosure_shapes_new ();
    assert_non_null (shapes);
    disclosure_rules_t rules = s_rules ();
    s_table_t *tables = calloc (S_VERSIONS, sizeof *tables);
    assert_non_null (tables);
    for (uint64_t w = 0; w < 1500; w++) {
        s_world_t world;
        s_world (&world, 300001 + w);
        size_t versions = 1 + (size_t)table_gen_random (&world.rng, S_VERSIONS);
        for (size_t v = 0; v < versions; v++) {
            s_table_t *table = &tables [v];
            if (v)
                table_gen_change (&world.rng, &world.pupils);
            s_world_table (table, &world, "school");
            s_table_t *earlier [S_VERSIONS] = {&tables [0], &tables [1], &tables [2]};
            s_same_model (&table->table, shapes);
            s_same_decision (table, earlier, v, &rules, shapes);
            s_shape_seen (seen, table);
            decided++;
        }
    }
    print_message ("%zu versions of %zu shapes\n", decided, seen->count);
    assert_true (seen->count > 16);
    assert_true (decided > seen->count);
    free (seen);
    //  Near a shape held: the same cells in another order, a category
    //  renamed, the catalogue's categories in another order, a category
    //  of two dimensions (refused), catalogues of as many categories that
    //  list one twice or lack one, or name a dimension otherwise
    //  (refused), a dimension whose keys sort after a remainder's; each
    //  twice, the second from the shape held.
    static const char *const swapped [] = {"high", "low"};
    static const char *const races_low [TABLE_GEN_RACES] = {"asian", "black", "hispanic",
                                                            "white", "low"};
    static const char *const races_other [TABLE_GEN_RACES] = {"other", "black", "hispanic",
                                                              "white", "native"};
    static const char *const ab [] = {"a", "b"};
    const disclosure_dimension_t catalogues [][3] = {
        {{"race", table_gen_races, TABLE_GEN_RACES}, {"income", swapped, 2}, s_catalogue [2]},
        {{"race", races_low, TABLE_GEN_RACES}, s_catalogue [1], s_catalogue [2]},
        {{"race", races_other, TABLE_GEN_RACES}, s_catalogue [1], s_catalogue [2]},
        {s_catalogue [0], s_catalogue [1], {"\xc3\xa9lan", ab, 2}},
        {s_catalogue [0], {"earnings", table_gen_incomes, TABLE_GEN_INCOMES}, s_catalogue [2]},
    };
    for (int round = 0; round < 2; round++)
        for (int variant = 0; variant < 9; variant++) {
            s_table_t *table = &tables [0];
            s_table_init (table, DISCLOSURE_RATIO, "school");
            s_total (table, 100, 200);
            const char *first = variant == 1 ? "income=high" : "income=low";
            const char *second = variant == 1 ? "income=low" : "income=high";
            s_ratio (table, first, 40, 90);
            s_ratio (table, second, 50, 100);
            s_ratio (table, variant == 2 ? "race=black" : "race=asian", 8, 20);
            if (variant == 3 || variant >= 5)
                table->table.dimensions = catalogues [variant == 3 ? 0 : variant - 4];
            if (variant == 4)
                s_ratio (table, "ethnicity=hispanic", 3, 9);
            if (variant == 7)
                s_ratio (table, "\xc3\xa9lan=a", 30, 60);
            s_same_model (&table->table, shapes);
            s_same_decision (table, NULL, 0, &rules, shapes);
        }
    free (tables);
    disclosure_shapes_destroy (&shapes);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_disclosure_route1_decides_over_the_whole_table_in_any_order),
        cmocka_unit_test (test_disclosure_route1_audit_finds_a_lone_hidden_cell),
        cmocka_unit_test (test_disclosure_route1_rows_as_versions_a_cell_shown_before_protects_nothing),
        cmocka_unit_test (test_disclosure_route2_a_cell_never_sent_is_a_small_remainder),
        cmocka_unit_test (test_disclosure_route3_a_correction_hides_the_change_of_one_pupil),
        cmocka_unit_test (test_disclosure_route4_cross_cells_under_a_hidden_cell_are_hidden_too),
        cmocka_unit_test (test_disclosure_route4_a_category_of_two_dimensions_is_refused),
        cmocka_unit_test (test_disclosure_route5_extremes_pinned_by_shown_cells),
        cmocka_unit_test (test_disclosure_route6_n_disagreeing_with_the_denominator_is_refused),
        cmocka_unit_test (test_disclosure_route7_a_second_sender_keeps_earlier_hidden_cells),
        cmocka_unit_test (test_disclosure_check_refuses_naming_the_cell),
        cmocka_unit_test (test_disclosure_codes_extreme_percents_by_group_size),
        cmocka_unit_test (test_disclosure_values_are_protected_by_ten_percent),
        cmocka_unit_test (test_disclosure_audit_agrees_with_an_exhaustive_search),
        cmocka_unit_test (test_disclosure_generated_tables_leak_nothing_once_decided),
        cmocka_unit_test (test_disclosure_generated_tables_leak_when_suppression_is_off),
        cmocka_unit_test (test_disclosure_a_shape_held_models_and_decides_as_afresh),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
