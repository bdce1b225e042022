/*  report.c - the backbone's page: who reported for a period, which
    commitments need attention, whether each indicator is turning the
    curve, where the gaps between groups are widest, the share of
    indicators moving the right way, and the meetings held.

    Every number here passes the same gates as the other queries: rows of
    networks the reader may not see are skipped, a value hidden from the
    reader shows as "*", and a hidden value takes no part in anything
    computed (a direction of travel, a gap), so that nothing in the report
    lets a reader recover what suppression hid.

    A period "covers" another when the other's days lie within it (see
    query_period_range): a report for the school year 2025-26 counts the
    quarterly values of 2025-Q3 .. 2026-Q2 as submitted for it, and lists
    the meetings held in it.                                               */

#include "query_internal.h"

#include "log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

//  ------------------------------------------------------------ submissions

typedef struct {
    query_t *q;
    store_table_t *table;
    const char *period;
    cibus_err_t err;
} s_submissions_t;

//  How many current values a partner has in a network for the period.
static cibus_err_t
s_submitted (query_t *q, const char *partner, const char *network, const char *period,
             int64_t *count)
{
    sqlite3_stmt *stmt = q->store->query [QUERY_SUBMITTED];
    sqlite3_bind_text (stmt, 1, partner, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, network, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, period, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    cibus_err_t err = rc == SQLITE_ROW ? CIBUS_OK : store_fail (q->store, "query-submitted");
    store_reset (stmt);
    return err;
}

//  One row per network of each registered partner (role partner) that the
//  reader may see.
static void
s_submissions_of (const store_partner_t *partner, void *arg)
{
    s_submissions_t *self = arg;
    if (partner->role != ROLE_PARTNER || self->err)
        return;
    for (size_t i = 0; i < partner->network_count && !self->err; i++) {
        const char *network = partner->networks [i];
        if (!query_reads (self->q, network))
            continue;
        int64_t count = 0;
        if ((self->err = s_submitted (self->q, partner->name, network, self->period, &count)))
            return;
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
    s_submissions_t self = {
        .q = q, .table = query_table (q, title, columns, 4), .period = period};
    cibus_err_t err = store_partner_each (q->store, s_submissions_of, &self);
    return err ? err : self.err;
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
        bool overdue = strcmp (due, q->today) < 0 && status != CIBUS__COMMITMENT_STATUS__DONE
                       && status != CIBUS__COMMITMENT_STATUS__DROPPED;
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
    store_table_t *indicators, *gaps;
    size_t moving_right, with_travel;
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

//  Latest period first, and within a period the latest submission first.
static int
s_latest_first (const void *a, const void *b)
{
    const query_value_t *x = a, *y = b;
    int order = strcmp (y->period, x->period);
    return order ? order : (y->seq > x->seq) - (y->seq < x->seq);
}

//  The indicator's latest total against its baseline and target, and its
//  direction of travel between the latest two periods. The previous
//  period's total comes from the same partner when it reported one.
static cibus_err_t
s_curve (query_t *q, const Cibus__IndicatorDefinition *def, s_curve_t *curve)
{
    query_values_t totals;
    cibus_err_t err = query_values_read (q, def->indicator, QUERY_CELLS_TOTALS, NULL, &totals);
    if (err)
        return err;
    s_until_report (q, &totals);
    if (totals.count > 1)
        qsort (totals.items, totals.count, sizeof *totals.items, s_latest_first);
    const query_value_t *latest = totals.count ? &totals.items [0] : NULL, *previous = NULL;
    for (size_t i = 1; latest && i < totals.count; i++) {
        const query_value_t *value = &totals.items [i];
        if (strcmp (value->period, latest->period) == 0)
            continue;
        if (previous && strcmp (value->period, previous->period) != 0)
            break;
        if (!previous || strcmp (value->partner, latest->partner) == 0)
            previous = value;
    }
    const char *travel = "-";
    if (latest && previous && !latest->hidden && !previous->hidden && latest->has_value
        && previous->has_value) {
        double change = query_round (latest->value - previous->value);
        bool up = def->direction == CIBUS__DIRECTION__UP;
        travel = change == 0 ? "flat" : (change > 0) == up ? "better" : "worse";
        curve->with_travel++;
        curve->moving_right += strcmp (travel, "better") == 0;
    }
    store_row_t *row = query_row (q, curve->indicators);
    query_text (q, row, def->indicator);
    if (latest) {
        query_text (q, row, latest->period);
        if (latest->hidden)
            query_text (q, row, "*");
        else if (latest->has_value)
            query_number (q, row, latest->value);
        else
            query_empty (q, row);
    }
    else {
        query_empty (q, row);
        query_empty (q, row);
    }
    if (def->baseline && def->baseline->has_value)
        query_number (q, row, def->baseline->value);
    else
        query_empty (q, row);
    double target;
    if (query_target (def, latest ? latest->period : NULL, &target))
        query_number (q, row, target);
    else
        query_empty (q, row);
    query_text (q, row, travel);
    query_text (q, row, strcmp (travel, "-") == 0        ? "-"
                        : strcmp (travel, "better") == 0 ? "yes"
                                                         : "no");
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
    cibus_err_t err = query_values_read (q, def->indicator, QUERY_CELLS_SINGLE, NULL, &cells);
    if (err)
        return err;
    s_until_report (q, &cells);
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
        query_text (q, row, low->dim_value);
        query_number (q, row, low->value);
        query_number (q, row, query_round (widest));
    }
    query_values_release (&cells);
    return CIBUS_OK;
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
        "indicator", "latest period",       "value",    "baseline",
        "target",    "direction of travel", "right way"};
    //  Column names are keys in JSON output: the two values are told apart.
    static const char *const gap_columns [] = {"indicator",    "dimension",     "highest group",
                                               "highest value", "lowest group", "lowest value",
                                               "gap"};
    s_curve_t curve = {
        .indicators = query_table (q, "indicators", indicator_columns, 7),
        .gaps = query_table (q, "gaps", gap_columns, 7),
    };
    if (!err)
        err = s_indicators (q, &curve);

    static const char *const proof_columns [] = {"indicators moving the right way", "of",
                                                 "share"};
    store_row_t *row = query_row (q, query_table (q, "proof point", proof_columns, 3));
    query_number (q, row, (double) curve.moving_right);
    query_number (q, row, (double) curve.with_travel);
    if (curve.with_travel)
        query_number (q, row,
                      round (1000.0 * (double) curve.moving_right / (double) curve.with_travel)
                          / 10.0);
    else
        query_empty (q, row);

    if (!err)
        err = s_meetings (q, start, end);
    if (err == CIBUS_ERR_STORE)
        return query_store_problem (problem);
    return err;
}
