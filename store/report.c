/*  report.c - the backbone's page: who reported for a period, which
    commitments need attention, each indicator's value pooled over every
    unit and whether it is turning the curve beyond noise (stats.c), where
    the gaps between groups are widest, how many indicators clearly
    improved, the meetings held, and what they decided with the
    commitments that came of it (report_decisions.c).

    Every number here passes the same gates as the other queries: rows of
    networks the reader may not see are skipped, a value hidden from the
    reader shows as "*", and a hidden value takes no part in anything
    computed (a gap), or hides what it is part of (a pooled value, a
    change), so that nothing in the report lets a reader recover what
    suppression hid.

    A period "covers" another when the other's days lie within it (see
    query_period_range): a report for the school year 2025-26 counts the
    quarterly values of 2025-Q3 .. 2026-Q2 as submitted for it, and lists
    the meetings held in it.                                               */

#include "query_internal.h"
#include "tables.h"

#include "log.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

//  ------------------------------------------------------------ submissions

//  How many current values one partner has in one network for the period.
typedef struct {
    char *partner, *network;
    int64_t count;
} s_submitted_t;

typedef struct {
    query_t *q;
    store_table_t *table;
    s_submitted_t *counts; /* by partner, then network, as strcmp orders them */
    size_t count;
} s_submissions_t;

static int
s_submitted_compare (const void *a, const void *b)
{
    const s_submitted_t *x = a, *y = b;
    int order = strcmp (x->partner, y->partner);
    return order ? order : strcmp (x->network, y->network);
}

//  Every partner's count in every network the reader may see, in one
//  pass over the current tables, grouped and ordered by SQLite (its
//  BINARY collation orders as strcmp does). For the backbone the pass
//  reads what a lookup of each partner's tables did in total; a partner
//  of some networks among more has every table's row read, and only its
//  networks' cells expanded when it reads one. It spares every append an
//  index of owners.
static cibus_err_t
s_submitted_load (s_submissions_t *self, const char *period)
{
    query_t *q = self->q;
    sqlite3_stmt *stmt = q->store->query [QUERY_SUBMITTED];
    sqlite3_bind_text (stmt, 1, period, -1, SQLITE_STATIC);
    //  A report of one network (asked so, or the only one a partner reads)
    //  expands the cells of that network's tables alone.
    const char *only = q->network;
    if (!only && q->reader->role != ROLE_BACKBONE && q->reader->network_count == 1)
        only = q->reader->networks [0];
    sqlite3_bind_text (stmt, 2, only, -1, SQLITE_STATIC);
    size_t capacity = 0;
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        //  Only the networks the reader may see are kept at all.
        const char *network = (const char *)sqlite3_column_text (stmt, 1);
        if (!network || !query_reads (q, network))
            continue;
        if (self->count == capacity) {
            size_t grown = capacity ? 2 * capacity : 16;
            s_submitted_t *counts = realloc (self->counts, grown * sizeof *counts);
            if (!counts) {
                q->nomem = true;
                break;
            }
            self->counts = counts;
            capacity = grown;
        }
        s_submitted_t *row = &self->counts [self->count];
        const char *partner = (const char *)sqlite3_column_text (stmt, 0);
        row->partner = strdup (partner ? partner : "");
        row->network = row->partner ? strdup (network) : NULL;
        row->count = sqlite3_column_int64 (stmt, 2);
        if (!row->network) {
            free (row->partner);
            q->nomem = true;
            break;
        }
        self->count++;
    }
    cibus_err_t err = q->nomem           ? CIBUS_ERR_NOMEM
                      : rc != SQLITE_DONE ? store_fail (q->store, "query-submitted")
                                         : CIBUS_OK;
    store_reset (stmt);
    return err;
}

static int64_t
s_submitted (const s_submissions_t *self, const char *partner, const char *network)
{
    s_submitted_t key = {.partner = (char *)partner, .network = (char *)network};
    const s_submitted_t *found =
        self->count ? bsearch (&key, self->counts, self->count, sizeof key, s_submitted_compare)
                    : NULL;
    return found ? found->count : 0;
}

//  One row per network of each registered partner (role partner) that the
//  reader may see.
static void
s_submissions_of (const store_partner_t *partner, void *arg)
{
    s_submissions_t *self = arg;
    if (partner->role != ROLE_PARTNER)
        return;
    for (size_t i = 0; i < partner->network_count; i++) {
        const char *network = partner->networks [i];
        if (!query_reads (self->q, network))
            continue;
        int64_t count = s_submitted (self, partner->name, network);
        store_row_t *row = query_row (self->q, self->table);
        query_text (self->q, row, partner->name);
        query_text (self->q, row, network);
        query_text (self->q, row, count > 0 ? "yes" : "no");
        query_number (self->q, row, (double) count);
    }
}

static cibus_err_t
s_submissions (query_t *q, const char *period)
{
    static const char *const columns [] = {"partner", "network", "submitted", "values"};
    char title [CIBUS_MAX_NAME + 32];
    snprintf (title, sizeof title, "submissions for %s", period);
    s_submissions_t self = {.q = q, .table = query_table (q, title, columns, 4)};
    cibus_err_t err = s_submitted_load (&self, period);
    if (!err)
        err = store_partner_each (q->store, s_submissions_of, &self);
    for (size_t i = 0; i < self.count; i++) {
        free (self.counts [i].partner);
        free (self.counts [i].network);
    }
    free (self.counts);
    return err;
}

//  ------------------------------------------------------------ commitments

static cibus_err_t
s_attention (query_t *q)
{
    static const char *const columns [] = {"id", "owner", "action", "due", "status", "overdue"};
    store_table_t *table = query_table (q, "commitments needing attention", columns, 6);
    sqlite3_stmt *stmt = q->store->query [QUERY_COMMITMENTS];
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *network = (const char *) sqlite3_column_text (stmt, 2);
        const char *due = (const char *) sqlite3_column_text (stmt, 4);
        int status = sqlite3_column_int (stmt, 5);
        bool overdue = query_overdue (q, due, status);
        if (!query_reads (q, network)
            || !(overdue || status == CIBUS__COMMITMENT_STATUS__AT_RISK))
            continue;
        store_row_t *row = query_row (q, table);
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 0));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 1));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 3));
        query_text (q, row, due);
        query_text (q, row, codec_commitment_status_name ((Cibus__CommitmentStatus) status));
        query_text (q, row, overdue ? "yes" : "no");
    }
    cibus_err_t err = !q->nomem && rc != SQLITE_DONE ? store_fail (q->store, "query-attention")
                                                     : CIBUS_OK;
    store_reset (stmt);
    return err;
}

//  ------------------------------------------------------------ indicators

typedef struct {
    store_table_t *indicators, *gaps, *series, *reference;
    query_verdicts_t verdicts;
    size_t judged_of;
} s_curve_t;

//  A report looks back from its period: drop the values of periods that
//  begin after the report's period ends (a 2024-25 report does not show
//  2025-26 values).
static void
s_until_report (query_t *q, query_values_t *values)
{
    char report_start [QUERY_DATE_SIZE], report_end [QUERY_DATE_SIZE];
    if (!q->query->period || !query_period_range (q->query->period, report_start, report_end))
        return;
    size_t kept = 0;
    for (size_t i = 0; i < values->count; i++) {
        char start [QUERY_DATE_SIZE], end [QUERY_DATE_SIZE];
        bool later = query_period_range (values->items [i].period, start, end)
                     && strcmp (start, report_end) > 0;
        if (later)
            query_value_release (&values->items [i]);
        else
            values->items [kept++] = values->items [i];
    }
    values->count = kept;
}

//  An indicator's current values the reader may see, of the periods the
//  report looks back on.
static cibus_err_t
s_values_until_report (query_t *q, const Cibus__IndicatorDefinition *def, query_cells_t cells,
                       query_values_t *out)
{
    cibus_err_t err = query_values_read (q, def->indicator, cells, NULL, out);
    if (err == CIBUS_OK)
        s_until_report (q, out);
    return err;
}

//  Latest period first, then by unit.
static int
s_latest_first (const void *a, const void *b)
{
    const query_value_t *x = a, *y = b;
    int order = strcmp (y->period, x->period);
    return order ? order : strcmp (x->partner, y->partner);
}

//  The day a period starts, for a straight line through time.
static bool
s_period_day (const char *period, char *day)
{
    char end [QUERY_DATE_SIZE];
    return period && query_period_range (period, day, end);
}

//  Met, on pace or behind pace against the target in force for the
//  period, on the straight line from the baseline to it.
static void
s_target_status (query_t *q, store_row_t *row, const Cibus__IndicatorDefinition *def,
                 const char *period, bool shown, double value)
{
    const Cibus__Milestone *target = query_target_milestone (def, period);
    if (!target || !period) {
        query_empty (q, row);
        return;
    }
    if (!shown) {
        query_text (q, row, "*");
        return;
    }
    bool up = def->direction != CIBUS__DIRECTION__DOWN;
    const Cibus__Milestone *baseline = def->baseline;
    char from [QUERY_DATE_SIZE], to [QUERY_DATE_SIZE], at [QUERY_DATE_SIZE];
    stats_pace_t pace;
    if (baseline && baseline->has_value && s_period_day (baseline->period, from)
        && s_period_day (target->period, to) && s_period_day (period, at)
        && stats_pace (baseline->value, from, target->value, to, at, value, up, &pace))
        query_text (q, row, stats_pace_name (pace));
    else
        query_text (q, row, (up ? value >= target->value : value <= target->value) ? "met"
                                                                                   : "not met");
}

//  One indicator's row: the latest period's pooled value with its n, its
//  95 % interval and the units pooled; the change from the previous period
//  and since the baseline's period, of the same units, each with its
//  interval and verdict; the baseline, the target and the status against
//  it.
static cibus_err_t
s_curve (query_t *q, const Cibus__IndicatorDefinition *def, s_curve_t *curve)
{
    query_values_t totals;
    cibus_err_t err = s_values_until_report (q, def, QUERY_CELLS_TOTALS, &totals);
    if (err)
        return err;
    if (totals.count > 1)
        qsort (totals.items, totals.count, sizeof *totals.items, s_latest_first);
    const char *latest = totals.count ? totals.items [0].period : NULL, *previous = NULL;
    for (size_t i = 0; latest && i < totals.count && !previous; i++)
        if (strcmp (totals.items [i].period, latest) != 0)
            previous = totals.items [i].period;
    store_row_t *row = query_row (q, curve->indicators);
    query_text (q, row, def->indicator);
    query_pool_t pool;
    double value = 0;
    bool shown = false;
    if (latest) {
        query_pool_of (&totals, latest, NULL, NULL, NULL, def->unit, &pool);
        shown = query_pool_value (&pool, def->unit, &value);
        query_text (q, row, latest);
        if (pool.hidden)
            query_text (q, row, "*");
        else
            query_number_or_empty (q, row, shown, value);
        if (pool.hidden)
            query_text (q, row, "*");
        else
            query_number_or_empty (q, row, shown && pool.n_known, pool.n);
        double low = 0, high = 0, scale = def->unit == CIBUS__UNIT__PERCENT ? 100 : 1;
        bool interval = shown && pool.proportion
                        && stats_wilson (pool.num, pool.den, STATS_Z95, &low, &high);
        for (int cell = 0; cell < 2; cell++)
            if (pool.hidden)
                query_text (q, row, "*");
            else
                query_number_or_empty (q, row, interval, query_round ((cell ? high : low) * scale));
        char units [64];
        snprintf (units, sizeof units, "%zu of %zu", pool.pooled, pool.units);
        query_text (q, row, units);
    }
    else
        for (int cell = 0; cell < 6; cell++)
            query_empty (q, row);
    if (previous)
        query_text (q, row, previous);
    else
        query_empty (q, row);
    query_change_cells (q, row, &totals, def, NULL, NULL, latest, previous, &curve->verdicts);
    if (latest && previous)
        query_unmatched_cell (q, row, &totals, NULL, NULL, latest, previous);
    else
        query_empty (q, row);
    const Cibus__Milestone *baseline = def->baseline;
    if (baseline && baseline->has_value)
        query_number (q, row, baseline->value);
    else
        query_empty (q, row);
    //  Since the baseline: from the tables of its period, when there are.
    const char *base_period = NULL;
    for (size_t i = 0; baseline && baseline->period && i < totals.count && !base_period; i++)
        if (strcmp (totals.items [i].period, baseline->period) == 0
            && strcmp (baseline->period, latest) != 0)
            base_period = totals.items [i].period;
    query_change_cells (q, row, &totals, def, NULL, NULL, latest, base_period, NULL);
    double target;
    if (query_target (def, latest, &target))
        query_number (q, row, target);
    else
        query_empty (q, row);
    s_target_status (q, row, def, latest, shown, value);
    curve->judged_of++;
    query_values_release (&totals);
    return CIBUS_OK;
}

//  Within the latest period: dimension, then partner, then highest value.
static int
s_by_dimension (const void *a, const void *b)
{
    const query_value_t *x = a, *y = b;
    int order = strcmp (y->period, x->period);
    if (order == 0)
        order = strcmp (x->dim_key, y->dim_key);
    if (order == 0)
        order = strcmp (x->partner, y->partner);
    if (order == 0)
        order = (y->value > x->value) - (y->value < x->value);
    if (order == 0)
        order = strcmp (x->dim_value, y->dim_value);
    return order;
}

//  For the latest period with groups, per dimension: the widest gap between
//  the highest and the lowest value of one partner's groups (groups of
//  different partners are different populations), from the values this
//  reader may see.
static cibus_err_t
s_gaps (query_t *q, const Cibus__IndicatorDefinition *def, s_curve_t *curve)
{
    query_values_t cells;
    cibus_err_t err = s_values_until_report (q, def, QUERY_CELLS_SINGLE, &cells);
    if (err)
        return err;
    if (cells.count > 1)
        qsort (cells.items, cells.count, sizeof *cells.items, s_by_dimension);
    const char *latest = cells.count ? cells.items [0].period : NULL;
    size_t i = 0;
    while (i < cells.count && strcmp (cells.items [i].period, latest) == 0) {
        const char *key = cells.items [i].dim_key;
        const query_value_t *high = NULL, *low = NULL;
        double widest = -1;
        //  One dimension: a run of partners, each a run of values, highest first.
        while (i < cells.count && strcmp (cells.items [i].period, latest) == 0
               && strcmp (cells.items [i].dim_key, key) == 0) {
            const char *partner = cells.items [i].partner;
            const query_value_t *first = NULL, *last = NULL;
            for (; i < cells.count && strcmp (cells.items [i].period, latest) == 0
                   && strcmp (cells.items [i].dim_key, key) == 0
                   && strcmp (cells.items [i].partner, partner) == 0;
                 i++) {
                const query_value_t *cell = &cells.items [i];
                if (cell->hidden || !cell->has_value)
                    continue;
                if (!first)
                    first = cell;
                last = cell;
            }
            if (first && last != first && first->value - last->value > widest) {
                widest = first->value - last->value;
                high = first;
                low = last;
            }
        }
        if (!high)
            continue;
        store_row_t *row = query_row (q, curve->gaps);
        query_text (q, row, def->indicator);
        query_text (q, row, key);
        query_text (q, row, high->dim_value);
        query_number (q, row, high->value);
        query_number_or_empty (q, row, high->has_n, (double) high->n);
        query_text (q, row, low->dim_value);
        query_number (q, row, low->value);
        query_number_or_empty (q, row, low->has_n, (double) low->n);
        query_number (q, row, query_round (widest));
    }
    query_values_release (&cells);
    return CIBUS_OK;
}

//  ------------------------------------------------------------ gap series

//  The distinct texts of a field over values, sorted, borrowed.
static const char **
s_distinct (query_t *q, const query_values_t *values, const char *key, bool periods,
            size_t *count)
{
    const char **items = values->count ? calloc (values->count, sizeof *items) : NULL;
    *count = 0;
    if (values->count && !items) {
        q->nomem = true;
        return NULL;
    }
    for (size_t i = 0; i < values->count; i++) {
        const query_value_t *value = &values->items [i];
        if (key && strcmp (value->dim_key, key) != 0)
            continue;
        const char *text = periods ? value->period : key ? value->dim_value : value->dim_key;
        bool seen = false;
        for (size_t j = 0; j < *count && !seen; j++)
            seen = strcmp (items [j], text) == 0;
        if (!seen)
            items [(*count)++] = text;
    }
    for (size_t i = 1; i < *count; i++)
        for (size_t j = i; j > 0 && strcmp (items [j - 1], items [j]) > 0; j--) {
            const char *swap = items [j];
            items [j] = items [j - 1];
            items [j - 1] = swap;
        }
    return items;
}

//  The change of a gap a - b between two periods, of the same units, as
//  four cells (change, low, high, verdict): narrowing or widening only
//  beyond noise (Zou and Donner's interval from the four pooled counts),
//  "not judged" without counts, "-" without a previous period, "*" when a
//  value in it is hidden from the reader.
static void
s_gap_change_cells (query_t *q, store_row_t *row, const query_values_t *cells,
                    const Cibus__IndicatorDefinition *def, const char *key, const char *a,
                    const char *b, const char *later, const char *earlier)
{
    int unit = def->unit;
    query_pool_t a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0};
    if (earlier) {
        query_pool_of (cells, later, earlier, key, a, unit, &a1);
        query_pool_of (cells, later, earlier, key, b, unit, &b1);
        query_pool_of (cells, earlier, later, key, a, unit, &a2);
        query_pool_of (cells, earlier, later, key, b, unit, &b2);
    }
    if (a1.hidden || b1.hidden || a2.hidden || b2.hidden) {
        for (int cell = 0; cell < 4; cell++)
            query_text (q, row, "*");
        return;
    }
    double va1 = 0, vb1 = 0, va2 = 0, vb2 = 0;
    if (!earlier || !query_pool_value (&a1, unit, &va1) || !query_pool_value (&b1, unit, &vb1)
        || !query_pool_value (&a2, unit, &va2) || !query_pool_value (&b2, unit, &vb2)) {
        for (int cell = 0; cell < 3; cell++)
            query_empty (q, row);
        query_text (q, row, "-");
        return;
    }
    double before = va2 - vb2;
    query_number (q, row, query_round ((va1 - vb1) - before));
    double change = 0, low = 0, high = 0, scale = unit == CIBUS__UNIT__PERCENT ? 100 : 1;
    stats_verdict_t verdict;
    //  Narrower is better: toward 0 from the side the gap was on.
    if (a1.proportion && b1.proportion && a2.proportion && b2.proportion
        && stats_gap_change (a1.num, a1.den, b1.num, b1.den, a2.num, a2.den, b2.num, b2.den,
                             STATS_Z95, &change, &low, &high)
        && stats_verdict (low, high, before < 0, &verdict)) {
        query_number (q, row, query_round (low * scale));
        query_number (q, row, query_round (high * scale));
        query_text (q, row, verdict == STATS_IMPROVING   ? "narrowing"
                            : verdict == STATS_WORSENING ? "widening"
                                                         : "no clear change");
        return;
    }
    query_empty (q, row);
    query_empty (q, row);
    query_text (q, row, "not judged");
}

//  For each dimension of an indicator, period by period: the groups with
//  the highest and the lowest pooled value the reader may see, and the gap
//  between them; then how the gap between those two groups changed since
//  the period before, of the units that reported both groups in both
//  periods, with its interval (Zou and Donner's, from the four pooled
//  counts) and whether it narrowed or widened beyond noise. A group with a
//  hidden value in any unit is left out: its pool would give it away.
static cibus_err_t
s_gap_series (query_t *q, const Cibus__IndicatorDefinition *def, store_table_t *table)
{
    query_values_t cells;
    cibus_err_t err = s_values_until_report (q, def, QUERY_CELLS_SINGLE, &cells);
    if (err)
        return err;
    int unit = def->unit;
    size_t key_count = 0;
    const char **keys = s_distinct (q, &cells, NULL, false, &key_count);
    for (size_t k = 0; k < key_count && !q->nomem; k++) {
        size_t period_count = 0, group_count = 0;
        const char **periods = s_distinct (q, &cells, keys [k], true, &period_count);
        const char **groups = s_distinct (q, &cells, keys [k], false, &group_count);
        const char *earlier = NULL;
        for (size_t p = 0; p < period_count && groups && !q->nomem; p++) {
            const char *high = NULL, *low = NULL;
            double high_value = 0, low_value = 0;
            query_pool_t high_pool = {0}, low_pool = {0};
            for (size_t g = 0; g < group_count; g++) {
                query_pool_t pool;
                double value;
                query_pool_of (&cells, periods [p], NULL, keys [k], groups [g], unit, &pool);
                if (!query_pool_value (&pool, unit, &value))
                    continue;
                if (!high || value > high_value)
                    high = groups [g], high_value = value, high_pool = pool;
                if (!low || value < low_value)
                    low = groups [g], low_value = value, low_pool = pool;
            }
            if (!high || high == low)
                continue;
            store_row_t *row = query_row (q, table);
            query_text (q, row, def->indicator);
            query_text (q, row, keys [k]);
            query_text (q, row, periods [p]);
            query_text (q, row, high);
            query_number (q, row, high_value);
            query_number_or_empty (q, row, high_pool.n_known, high_pool.n);
            query_text (q, row, low);
            query_number (q, row, low_value);
            query_number_or_empty (q, row, low_pool.n_known, low_pool.n);
            query_number (q, row, query_round (high_value - low_value));
            //  The same two groups before, of the same units.
            s_gap_change_cells (q, row, &cells, def, keys [k], high, low, periods [p], earlier);
            earlier = periods [p];
        }
        free (periods);
        free (groups);
    }
    free (keys);
    query_values_release (&cells);
    return q->nomem ? CIBUS_ERR_NOMEM : CIBUS_OK;
}

//  A pooled value and its n: "*" both when the pool is hidden.
static void
s_pool_cells (query_t *q, store_row_t *row, const query_pool_t *pool, bool shown, double value)
{
    if (pool->hidden) {
        query_text (q, row, "*");
        query_text (q, row, "*");
        return;
    }
    query_number_or_empty (q, row, shown, value);
    query_number_or_empty (q, row, shown && pool->n_known, pool->n);
}

//  For each dimension whose reference group the definition names (the
//  backbone's choice, e.g. race=white), period by period: every other
//  group's pooled value against the reference's, the gap between them and
//  its change since the period before, of the same units, judged beyond
//  noise. A value hidden from the reader shows as "*" and hides the gap.
static cibus_err_t
s_reference_gaps (query_t *q, const Cibus__IndicatorDefinition *def, store_table_t *table)
{
    bool any = false;
    for (size_t d = 0; d < def->n_categories && !any; d++)
        any = def->categories [d]->reference && *def->categories [d]->reference;
    if (!any)
        return CIBUS_OK;
    query_values_t cells;
    cibus_err_t err = s_values_until_report (q, def, QUERY_CELLS_SINGLE, &cells);
    if (err)
        return err;
    int unit = def->unit;
    for (size_t d = 0; d < def->n_categories && !q->nomem; d++) {
        const Cibus__DimensionCategories *list = def->categories [d];
        const char *key = list->dimension, *reference = list->reference;
        if (!reference || !*reference)
            continue;
        size_t period_count = 0, group_count = 0;
        const char **periods = s_distinct (q, &cells, key, true, &period_count);
        const char **groups = s_distinct (q, &cells, key, false, &group_count);
        for (size_t g = 0; groups && periods && g < group_count && !q->nomem; g++) {
            if (strcmp (groups [g], reference) == 0)
                continue;
            const char *earlier = NULL;
            for (size_t p = 0; p < period_count && !q->nomem; p++) {
                query_pool_t ref, group;
                query_pool_of (&cells, periods [p], NULL, key, reference, unit, &ref);
                query_pool_of (&cells, periods [p], NULL, key, groups [g], unit, &group);
                if (ref.units == 0 || group.units == 0)
                    continue;
                double ref_value = 0, group_value = 0;
                bool ref_shown = query_pool_value (&ref, unit, &ref_value);
                bool group_shown = query_pool_value (&group, unit, &group_value);
                store_row_t *row = query_row (q, table);
                query_text (q, row, def->indicator);
                query_text (q, row, key);
                query_text (q, row, periods [p]);
                query_text (q, row, reference);
                s_pool_cells (q, row, &ref, ref_shown, ref_value);
                query_text (q, row, groups [g]);
                s_pool_cells (q, row, &group, group_shown, group_value);
                if (ref.hidden || group.hidden)
                    query_text (q, row, "*");
                else
                    query_number_or_empty (q, row, ref_shown && group_shown,
                                           query_round (ref_value - group_value));
                s_gap_change_cells (q, row, &cells, def, key, reference, groups [g],
                                    periods [p], earlier);
                earlier = periods [p];
            }
        }
        free (periods);
        free (groups);
    }
    query_values_release (&cells);
    return q->nomem ? CIBUS_ERR_NOMEM : CIBUS_OK;
}

static cibus_err_t
s_indicators (query_t *q, s_curve_t *curve)
{
    sqlite3_stmt *stmt = q->store->query [QUERY_INDICATORS];
    int rc = SQLITE_DONE;
    cibus_err_t err = CIBUS_OK;
    while (!err && !q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        envelope_t *env = codec_envelope_decode (sqlite3_column_blob (stmt, 1),
                                                 (size_t) sqlite3_column_bytes (stmt, 1));
        if (!env || env->body_case != CIBUS__ENVELOPE__BODY_INDICATOR) {
            log_value_t db;
            log_error ("event=store-corrupt db=\"%s\" error=\"an indicator's log entry is "
                       "not a definition\"",
                       log_escape (&db, store_path (q->store)));
            err = CIBUS_ERR_STORE;
        }
        else if (query_indicator_visible (q, env->indicator)) {
            err = s_curve (q, env->indicator, curve);
            if (!err)
                err = s_gaps (q, env->indicator, curve);
            if (!err)
                err = s_gap_series (q, env->indicator, curve->series);
            if (!err)
                err = s_reference_gaps (q, env->indicator, curve->reference);
        }
        codec_envelope_free (env);
    }
    if (!err && !q->nomem && rc != SQLITE_DONE)
        err = store_fail (q->store, "query-report-indicators");
    store_reset (stmt);
    return err;
}

//  ------------------------------------------------------------ meetings

static cibus_err_t
s_meetings (query_t *q, const char *start, const char *end)
{
    static const char *const columns [] = {"held_on", "partner", "title", "decisions"};
    store_table_t *table = query_table (q, "meetings", columns, 4);
    sqlite3_stmt *stmt = q->store->query [QUERY_NOTES];
    sqlite3_bind_text (stmt, 1, start, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, end, -1, SQLITE_STATIC);
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (!query_reads (q, (const char *) sqlite3_column_text (stmt, 2)))
            continue;
        store_row_t *row = query_row (q, table);
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 0));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 1));
        query_text (q, row, (const char *) sqlite3_column_text (stmt, 3));
        if ((rc = query_decisions (q, row, sqlite3_column_int64 (stmt, 4))) != SQLITE_ROW)
            break;
    }
    cibus_err_t err = !q->nomem && rc != SQLITE_DONE ? store_fail (q->store, "query-meetings")
                                                     : CIBUS_OK;
    store_reset (stmt);
    return err;
}

//  ------------------------------------------------------------ the report

cibus_err_t
query_report (query_t *q, codec_problem_t *problem)
{
    const char *period = q->query->period;
    if (!period || !*period)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.period",
                                  "field 'query.period' is required for a report");
    char start [QUERY_DATE_SIZE], end [QUERY_DATE_SIZE];
    if (!query_period_range (period, start, end))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "query.period",
                                  "report needs a period like 2025-26, 2026-Q3, 2026-09 or "
                                  "2026-09-15, got '%.64s'",
                                  period);
    cibus_err_t err = s_submissions (q, period);
    if (!err)
        err = s_attention (q);

    static const char *const indicator_columns [] = {
        "indicator",      "period",         "value",          "n",
        "low",            "high",           "units",          "previous period",
        "change",         "change low",     "change high",    "verdict",
        "not in both",    "baseline",       "since baseline", "since baseline low",
        "since baseline high", "verdict since baseline", "target", "target status"};
    //  Column names are keys in JSON output: the two values are told apart.
    static const char *const gap_columns [] = {
        "indicator",    "dimension", "highest group", "highest value", "highest n",
        "lowest group", "lowest value", "lowest n",   "gap"};
    static const char *const series_columns [] = {
        "indicator",    "dimension",      "period",          "highest group",
        "highest value", "highest n",     "lowest group",    "lowest value",
        "lowest n",     "gap",            "gap change",      "gap change low",
        "gap change high", "gap verdict"};
    static const char *const reference_columns [] = {
        "indicator",      "dimension",   "period",  "reference group", "reference value",
        "reference n",    "group",       "value",   "n",               "gap",
        "gap change",     "gap change low", "gap change high", "gap verdict"};
    s_curve_t curve = {
        .indicators = query_table (q, "indicators", indicator_columns, 20),
        .gaps = query_table (q, "gaps", gap_columns, 9),
        .series = query_table (q, "gap series", series_columns, 14),
        .reference = query_table (q, "gaps to the reference group", reference_columns, 14),
    };
    if (!err)
        err = s_indicators (q, &curve);

    //  Only a clear improvement counts; the rest are said, not hidden.
    static const char *const proof_columns [] = {"clearly improving", "clearly worsening",
                                                 "no clear change", "not judged", "of"};
    store_row_t *row = query_row (q, query_table (q, "proof point", proof_columns, 5));
    query_number (q, row, (double) curve.verdicts.improving);
    query_number (q, row, (double) curve.verdicts.worsening);
    query_number (q, row, (double) curve.verdicts.unclear);
    query_number (q, row, (double) curve.verdicts.not_judged);
    query_number (q, row, (double) curve.judged_of);

    if (!err)
        err = s_meetings (q, start, end);
    if (!err)
        err = query_report_decisions (q, start, end);
    if (err == CIBUS_ERR_STORE)
        return query_store_problem (problem);
    return err;
}
