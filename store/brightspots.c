/*  brightspots.c - bright spots: the units that took up a practice against
    the units that did not, and each of them before and after.

    Design
    ------
    Commit! in Dallas charted its schools' reading and saw that the schools
    with leveled libraries read better; then it put libraries into every
    school. The backbone records which units took up a practice and from
    when (practice tags, projected into the practices table by measure.c),
    and this kind answers two questions about one indicator in one period:

      - with and without: the units that had the practice throughout the
        period against every other unit that reported, each side pooled
        as the values query pools (pool.c), and the difference with its
        95 % interval (Newcombe's, from the two pools' counts);
      - before and after: each unit with the practice, its value in the
        latest period that ended before the practice began against its
        value in the period asked for, with the change's interval and a
        verdict in the indicator's direction.

    Neither is a controlled study: the units that chose the practice may
    differ from the others in their pupils, their staff or their money, and
    a unit that improved after it began may have improved anyway. The
    answer says so in words, in a table of its own, every time it is asked.

    "Throughout" is judged on the period's days as query_period_range gives
    them: a unit is with the practice when its tag began on or before the
    period's first day and had not stopped by its last (until, the first
    day without it, after the last day). A unit whose practice began or
    stopped within the period counts as without: it is not the comparison
    the backbone asked for, and its half-year of libraries can only narrow
    the difference, never invent one.

    Access and suppression are exactly the values query's: the totals are
    query_values_read's, as the reader may see them, and a pool with a
    value hidden from the reader is hidden ("*"), as is everything computed
    from it. Only tags of the networks the reader reads are used (and of
    Query.network, when given).                                           */

#include "query_internal.h"

#include "stats.h"

#include <stdlib.h>
#include <string.h>

#define S_CAUTION                                                                                  \
    "a comparison of units that chose the practice with units that did not, not a "                \
    "controlled study: the difference may come from how the units differ, not from the "           \
    "practice"

//  A unit with the practice throughout the period, and since when.
typedef struct {
    char *unit;
    char since [QUERY_DATE_SIZE];
} s_tagged_t;

typedef struct {
    s_tagged_t *items;
    size_t count;
} s_tags_t;

static void
s_tags_release (s_tags_t *tags)
{
    for (size_t i = 0; i < tags->count; i++)
        free (tags->items [i].unit);
    free (tags->items);
    tags->items = NULL;
    tags->count = 0;
}

static bool
s_tagged (const s_tags_t *tags, const char *unit)
{
    for (size_t i = 0; i < tags->count; i++)
        if (strcmp (tags->items [i].unit, unit) == 0)
            return true;
    return false;
}

//  The units the reader may know had the practice throughout the period
//  from start to end (YYYY-MM-DD, as query_period_range gives them), each
//  once, by unit: a unit tagged in two networks counts from its earliest
//  start that covers the period.
static cibus_err_t
s_tags_read (query_t *q, const char *practice, const char *start, const char *end, s_tags_t *out)
{
    memset (out, 0, sizeof *out);
    sqlite3_stmt *stmt = q->store->query [QUERY_PRACTICES];
    sqlite3_bind_text (stmt, 1, practice, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text (stmt, 1);
        const char *since = (const char *)sqlite3_column_text (stmt, 2);
        const char *until = (const char *)sqlite3_column_text (stmt, 3);
        if (!query_reads (q, (const char *)sqlite3_column_text (stmt, 0)) || !unit || !since
            || strcmp (since, start) > 0 || (until && strcmp (until, end) <= 0)
            || s_tagged (out, unit))
            continue;
        s_tagged_t *grown = realloc (out->items, (out->count + 1) * sizeof *grown);
        char *copy = strdup (unit);
        if (grown)
            out->items = grown;
        if (!grown || !copy) {
            free (copy);
            q->nomem = true;
            break;
        }
        out->items [out->count].unit = copy;
        snprintf (out->items [out->count].since, QUERY_DATE_SIZE, "%s", since);
        out->count++;
    }
    cibus_err_t err = q->nomem            ? CIBUS_ERR_NOMEM
                      : rc != SQLITE_DONE ? store_fail (q->store, "query-practices")
                                          : CIBUS_OK;
    store_reset (stmt);
    if (err)
        s_tags_release (out);
    return err;
}

//  The values of the units that are (with true) or are not tagged: copies
//  of the items, whose strings stay values's. Free items only.
static bool
s_side (query_t *q, const query_values_t *values, const s_tags_t *tags, bool with,
        query_values_t *side)
{
    side->count = 0;
    side->items = malloc ((values->count ? values->count : 1) * sizeof *side->items);
    if (!side->items) {
        q->nomem = true;
        return false;
    }
    for (size_t i = 0; i < values->count; i++)
        if (s_tagged (tags, values->items [i].partner) == with)
            side->items [side->count++] = values->items [i];
    return true;
}

//  The row of one side: its units, pooled value, n and interval.
static void
s_side_row (query_t *q, store_table_t *table, const char *name, const query_pool_t *pool, int unit)
{
    store_row_t *row = query_row (q, table);
    query_text (q, row, name);
    char units [64];
    snprintf (units, sizeof units, "%zu of %zu", pool->pooled, pool->units);
    query_text (q, row, units);
    query_pool_cells (q, row, pool, unit, true);
    query_empty (q, row);
}

//  The difference of the two sides, with minus without: its interval and
//  verdict for a percent or rate; for a score the difference of the means,
//  not judged; for a count or an amount nothing, since the sums of two
//  different numbers of units do not compare.
static void
s_difference_row (query_t *q, store_table_t *table, const query_pool_t *with,
                  const query_pool_t *without, int unit)
{
    store_row_t *row = query_row (q, table);
    query_text (q, row, "difference");
    query_empty (q, row);
    if (with->hidden || without->hidden) {
        query_text (q, row, "*");
        query_empty (q, row);
        query_text (q, row, "*");
        query_text (q, row, "*");
        query_text (q, row, "*");
        return;
    }
    double a = 0, b = 0;
    bool both = query_pool_value (with, unit, &a) && query_pool_value (without, unit, &b);
    double diff = 0, low = 0, high = 0;
    stats_verdict_t verdict;
    if (both && with->proportion && without->proportion
        && stats_newcombe (with->num, with->den, without->num, without->den, STATS_Z95, &diff, &low,
                           &high)
        && stats_verdict (low, high, true, &verdict)) {
        double scale = unit == CIBUS__UNIT__PERCENT ? 100 : 1;
        query_number (q, row, query_round (a - b));
        query_empty (q, row);
        query_number (q, row, query_round (low * scale));
        query_number (q, row, query_round (high * scale));
        query_text (q, row,
                    verdict == STATS_IMPROVING   ? "higher with the practice"
                    : verdict == STATS_WORSENING ? "lower with the practice"
                                                 : "no clear difference");
        return;
    }
    bool comparable = both && (query_is_proportion (unit) || unit == CIBUS__UNIT__SCORE);
    query_number_or_empty (q, row, comparable, query_round (a - b));
    query_empty (q, row);
    query_empty (q, row);
    query_empty (q, row);
    query_text (q, row, !both ? "-" : "not judged");
}

static void
s_with_and_without (query_t *q, const Cibus__IndicatorDefinition *def, const char *practice,
                    const char *period, const query_values_t *values, const s_tags_t *tags)
{
    static const char *const columns [] = {"group", "units", "value",  "n",
                                           "low",   "high",  "verdict"};
    char title [CIBUS_MAX_NAME + 32];
    snprintf (title, sizeof title, "with and without %s", practice);
    store_table_t *table = query_table (q, title, columns, 7);
    query_values_t with, without = {0};
    if (!s_side (q, values, tags, true, &with) || !s_side (q, values, tags, false, &without)) {
        free (with.items);
        return;
    }
    query_pool_t with_pool, without_pool;
    query_pool_of (&with, period, NULL, NULL, NULL, def->unit, &with_pool);
    query_pool_of (&without, period, NULL, NULL, NULL, def->unit, &without_pool);
    s_side_row (q, table, "with", &with_pool, def->unit);
    s_side_row (q, table, "without", &without_pool, def->unit);
    s_difference_row (q, table, &with_pool, &without_pool, def->unit);
    free (with.items);
    free (without.items);
}

//  One row per unit with the practice: its latest period that ended
//  before the practice began, against the period asked for.
static void
s_before_and_after (query_t *q, const Cibus__IndicatorDefinition *def, const char *practice,
                    const char *period, const query_values_t *values, const s_tags_t *tags)
{
    static const char *const columns [] = {
        "unit",        "since",   "before period", "before value", "before n",    "after period",
        "after value", "after n", "change",        "change low",   "change high", "verdict"};
    char title [CIBUS_MAX_NAME + 32];
    snprintf (title, sizeof title, "before and after %s", practice);
    store_table_t *table = query_table (q, title, columns, 12);
    query_values_t own = {.items =
                              malloc ((values->count ? values->count : 1) * sizeof *own.items)};
    if (!own.items) {
        q->nomem = true;
        return;
    }
    for (size_t t = 0; t < tags->count && !q->nomem; t++) {
        const s_tagged_t *tag = &tags->items [t];
        //  The unit's own totals, and the latest period of them that ended
        //  before it began (period ends and starts are YYYY-MM-DD).
        const char *before = NULL;
        own.count = 0;
        for (size_t i = 0; i < values->count; i++) {
            const query_value_t *value = &values->items [i];
            char start [QUERY_DATE_SIZE], end [QUERY_DATE_SIZE];
            if (strcmp (value->partner, tag->unit) != 0)
                continue;
            own.items [own.count++] = *value;
            if (query_period_range (value->period, start, end) && strcmp (end, tag->since) < 0
                && (!before || strcmp (value->period, before) > 0))
                before = value->period;
        }
        store_row_t *row = query_row (q, table);
        query_text (q, row, tag->unit);
        query_text (q, row, tag->since);
        query_pool_t pool;
        if (before) {
            query_text (q, row, before);
            query_pool_of (&own, before, NULL, NULL, NULL, def->unit, &pool);
            query_pool_cells (q, row, &pool, def->unit, false);
        } else
            for (int cell = 0; cell < 3; cell++)
                query_empty (q, row);
        query_text (q, row, period);
        query_pool_of (&own, period, NULL, NULL, NULL, def->unit, &pool);
        query_pool_cells (q, row, &pool, def->unit, false);
        query_change_cells (q, row, &own, def, NULL, NULL, period, before, NULL);
    }
    free (own.items);
}

cibus_err_t
query_brightspots (query_t *q, codec_problem_t *problem)
{
    const Cibus__Query *query = q->query;
    const char *missing = !query->indicator || !*query->indicator ? "query.indicator"
                          : !query->practice || !*query->practice ? "query.practice"
                          : !query->period || !*query->period     ? "query.period"
                                                                  : NULL;
    if (missing)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, missing,
                                  "field '%s' is required for a brightspots query", missing);
    envelope_t *env = NULL;
    cibus_err_t found = query_catalogue_indicator (q, &env, problem);
    if (found)
        return found;
    const Cibus__IndicatorDefinition *def = env->indicator;
    char start [QUERY_DATE_SIZE], end [QUERY_DATE_SIZE];
    if (!codec_period_is (query->period, def->period_kind)
        || !query_period_range (query->period, start, end)) {
        cibus_err_t rc = codec_problem_set (
            problem, CIBUS_ERR_BAD_FIELD, "query.period", "indicator '%s' expects %s, got '%.64s'",
            def->indicator, codec_period_example (def->period_kind), query->period);
        codec_envelope_free (env);
        return rc;
    }
    s_tags_t tags;
    query_values_t values = {0};
    cibus_err_t err = s_tags_read (q, query->practice, start, end, &tags);
    if (err == CIBUS_OK) {
        err = query_values_read (q, def->indicator, QUERY_CELLS_TOTALS, NULL, &values);
        if (err)
            s_tags_release (&tags);
    }
    if (err) {
        codec_envelope_free (env);
        return err == CIBUS_ERR_STORE ? query_store_problem (problem) : err;
    }
    s_with_and_without (q, def, query->practice, query->period, &values, &tags);
    static const char *const caution [] = {"caution"};
    store_row_t *row = query_row (q, query_table (q, "caution", caution, 1));
    query_text (q, row, S_CAUTION);
    s_before_and_after (q, def, query->practice, query->period, &values, &tags);
    query_values_release (&values);
    s_tags_release (&tags);
    codec_envelope_free (env);
    return q->nomem ? CIBUS_ERR_NOMEM : CIBUS_OK;
}
