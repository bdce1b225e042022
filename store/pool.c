/*  pool.c - an indicator's figure for the initiative, pooled from its
    units, and how it changed beyond noise; see query_internal.h.

    The initiative's value of an indicator is never one partner's: it is
    pooled from the current table of every unit that reported it, the
    way the figure would be computed from all the records at once -
    Σ numerators / Σ denominators for a percent or a rate, the mean
    weighted by n for a score, the sum for a count or an amount. A change
    compares the same units in both periods (a unit that reported only
    once would move the figure without anything changing), and is judged
    against its 95 % interval (stats.c): improving or worsening only when
    the interval excludes zero.

    Privacy: a value hidden from the reader hides every pool it is part of
    - with the other units' values, which the reader may see, the pool
    would give it away. A value suppressed at source is known to no one and
    is left out, counted as reported but not pooled.                     */

#include "query_internal.h"

#include "stats.h"

#include <stdlib.h>
#include <string.h>

bool
query_is_proportion (int unit)
{
    return unit == CIBUS__UNIT__PERCENT || unit == CIBUS__UNIT__RATE;
}

static void
s_pool_add (query_pool_t *pool, const query_value_t *value, int unit)
{
    if (pool->units++ == 0)
        pool->proportion = query_is_proportion (unit), pool->n_known = true;
    if (value->hidden) {
        pool->hidden = true;
        return;
    }
    if (!value->has_value)
        return;
    pool->pooled++;
    pool->proportion = pool->proportion && value->has_counts && value->denominator > 0;
    pool->num += value->numerator;
    pool->den += value->denominator;
    pool->n_known = pool->n_known && value->has_n;
    pool->n += value->has_n ? (double) value->n : 0;
    pool->sum += unit == CIBUS__UNIT__SCORE ? value->value * (double) value->n : value->value;
}

bool
query_pool_value (const query_pool_t *pool, int unit, double *value)
{
    if (pool->hidden || pool->pooled == 0)
        return false;
    if (query_is_proportion (unit)) {
        if (!pool->proportion)
            return false;
        *value = pool->num / pool->den * (unit == CIBUS__UNIT__PERCENT ? 100 : 1);
    }
    else if (unit == CIBUS__UNIT__SCORE) {
        if (!pool->n_known || pool->n <= 0)
            return false;
        *value = pool->sum / pool->n;
    }
    else
        *value = pool->sum;
    return true;
}

void
query_pool_cells (query_t *q, store_row_t *row, const query_pool_t *pool, int unit,
                  bool interval)
{
    if (pool->hidden) {
        for (int cell = 0; cell < (interval ? 4 : 2); cell++)
            query_text (q, row, "*");
        return;
    }
    double value = 0, low = 0, high = 0;
    bool shown = query_pool_value (pool, unit, &value);
    query_number_or_empty (q, row, shown, value);
    query_number_or_empty (q, row, shown && pool->n_known, pool->n);
    if (!interval)
        return;
    double scale = unit == CIBUS__UNIT__PERCENT ? 100 : 1;
    bool wilson = shown && pool->proportion
                  && stats_wilson (pool->num, pool->den, STATS_Z95, &low, &high);
    query_number_or_empty (q, row, wilson, query_round (low * scale));
    query_number_or_empty (q, row, wilson, query_round (high * scale));
}

//  Whether a value is of the group (NULL: a total) of the dimension key.
static bool
s_of_group (const query_value_t *value, const char *key, const char *group)
{
    if (!group)
        return !value->dim_value;
    return value->dim_value && strcmp (value->dim_key, key) == 0
           && strcmp (value->dim_value, group) == 0;
}

//  Whether the unit of values->items [i] has the same group in period.
static bool
s_also_in (const query_values_t *values, size_t i, const char *period, const char *key,
           const char *group)
{
    for (size_t j = 0; j < values->count; j++)
        if (strcmp (values->items [j].period, period) == 0
            && strcmp (values->items [j].partner, values->items [i].partner) == 0
            && s_of_group (&values->items [j], key, group))
            return true;
    return false;
}

void
query_pool_of (const query_values_t *values, const char *period, const char *other,
               const char *key, const char *group, int unit, query_pool_t *pool)
{
    memset (pool, 0, sizeof *pool);
    for (size_t i = 0; i < values->count; i++) {
        const query_value_t *value = &values->items [i];
        if (strcmp (value->period, period) == 0 && s_of_group (value, key, group)
            && (!other || s_also_in (values, i, other, key, group)))
            s_pool_add (pool, value, unit);
    }
}

void
query_unmatched_cell (query_t *q, store_row_t *row, const query_values_t *values,
                      const char *key, const char *group, const char *a, const char *b)
{
    char *text = strdup ("");
    for (size_t i = 0; text && i < values->count; i++) {
        const query_value_t *value = &values->items [i];
        const char *other = strcmp (value->period, a) == 0   ? b
                            : strcmp (value->period, b) == 0 ? a
                                                             : NULL;
        if (!other || !s_of_group (value, key, group) || s_also_in (values, i, other, key, group))
            continue;
        char *grown = malloc (strlen (text) + strlen (value->partner) + strlen (value->period)
                              + 8);
        if (grown)
            sprintf (grown, "%s%s%s (%s)", text, *text ? "; " : "", value->partner,
                     value->period);
        free (text);
        text = grown;
    }
    if (!text)
        q->nomem = true;
    query_text (q, row, text ? text : "");
    free (text);
}

void
query_change_cells (query_t *q, store_row_t *row, const query_values_t *values,
                    const Cibus__IndicatorDefinition *def, const char *key, const char *group,
                    const char *later, const char *earlier, query_verdicts_t *count)
{
    query_pool_t now = {0}, then = {0};
    if (later && earlier) {
        query_pool_of (values, later, earlier, key, group, def->unit, &now);
        query_pool_of (values, earlier, later, key, group, def->unit, &then);
    }
    double a = 0, b = 0;
    //  Hidden, or a single period: nothing to judge (and said so).
    if (count && (now.hidden || then.hidden || !later || !earlier))
        count->not_judged++;
    if (now.hidden || then.hidden) {
        for (int cell = 0; cell < 4; cell++)
            query_text (q, row, "*");
        return;
    }
    if (!later || !earlier || !query_pool_value (&now, def->unit, &a)
        || !query_pool_value (&then, def->unit, &b)) {
        for (int cell = 0; cell < 3; cell++)
            query_empty (q, row);
        query_text (q, row, "-");
        if (count && later && earlier)
            count->not_judged++;
        return;
    }
    query_number (q, row, query_round (a - b));
    double diff = 0, low = 0, high = 0;
    stats_verdict_t verdict;
    if (now.proportion && then.proportion
        && stats_newcombe (now.num, now.den, then.num, then.den, STATS_Z95, &diff, &low, &high)
        && stats_verdict (low, high, def->direction != CIBUS__DIRECTION__DOWN, &verdict)) {
        double scale = def->unit == CIBUS__UNIT__PERCENT ? 100 : 1;
        query_number (q, row, query_round (low * scale));
        query_number (q, row, query_round (high * scale));
        query_text (q, row, stats_verdict_name (verdict));
        if (count) {
            count->improving += verdict == STATS_IMPROVING;
            count->worsening += verdict == STATS_WORSENING;
            count->unclear += verdict == STATS_NO_CLEAR_CHANGE;
        }
        return;
    }
    //  A count, a score or an amount carries no spread to judge it by.
    query_empty (q, row);
    query_empty (q, row);
    query_text (q, row, "not judged");
    if (count)
        count->not_judged++;
}
