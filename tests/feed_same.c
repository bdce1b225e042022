/*  feed_same.c - whether two feeds read the same; see feed_same.h.      */

#include "feed_same.h"

#include <stdio.h>
#include <string.h>

static char s_difference [512];

static bool
s_text_same (const char *a, const char *b)
{
    return a && b ? strcmp (a, b) == 0 : a == b;
}

static const char *
s_differ (const char *format, size_t index, const char *what)
{
    snprintf (s_difference, sizeof s_difference, format, index, what);
    return s_difference;
}

static const char *
s_cell_differs (const feed_cell_t *a, const feed_cell_t *b)
{
    if (!s_text_same (a->name, b->name))
        return "name";
    if (!s_text_same (a->value, b->value))
        return "value";
    return a->line == b->line ? NULL : "line";
}

static const char *
s_table_differs (feed_t *feed_a, feed_t *feed_b, size_t index)
{
    const feed_table_t *a = feed_table (feed_a, index), *b = feed_table (feed_b, index);
    const char *texts [][2] = {{a->owner, b->owner},           {a->indicator, b->indicator},
                               {a->period, b->period},         {a->unit, b->unit},
                               {a->status, b->status},         {a->source, b->source},
                               {a->extracted_on, b->extracted_on}, {a->refusal, b->refusal}};
    const char *names [] = {"owner",  "indicator", "period",       "unit",
                            "status", "source",    "extracted_on", "refusal"};
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        if (!s_text_same (texts [i][0], texts [i][1]))
            return names [i];
    const char *cell = s_cell_differs (&a->total, &b->total);
    if (cell)
        return "total";
    if (a->cell_count != b->cell_count)
        return "cell count";
    for (size_t i = 0; i < a->cell_count; i++)
        if (s_cell_differs (&a->cells [i], &b->cells [i]))
            return "a cell";
    if (a->line_count != b->line_count)
        return "line count";
    for (size_t i = 0; i < a->line_count; i++)
        if (a->lines [i] != b->lines [i])
            return "a line";
    if (!a->refusal && !s_text_same (feed_table_id (feed_a, index), feed_table_id (feed_b, index)))
        return "id";
    return NULL;
}

const char *
feed_same (feed_t *a, feed_t *b)
{
    if (feed_lines (a) != feed_lines (b))
        return s_differ ("lines: %zu against %s", feed_lines (a), "another count");
    if (feed_rows (a) != feed_rows (b) || feed_skipped (a) != feed_skipped (b))
        return s_differ ("rows or skipped: %zu rows against %s", feed_rows (a), "another count");
    if (feed_problem_count (a) != feed_problem_count (b))
        return s_differ ("problems: %zu against %s", feed_problem_count (a), "another count");
    for (size_t i = 0; i < feed_problem_count (a); i++) {
        const feed_problem_t *x = feed_problem (a, i), *y = feed_problem (b, i);
        if (x->first_line != y->first_line || x->last_line != y->last_line
            || strcmp (x->message, y->message) != 0)
            return s_differ ("problem %zu: %s", i, x->message);
    }
    if (feed_table_count (a) != feed_table_count (b))
        return s_differ ("tables: %zu against %s", feed_table_count (a), "another count");
    for (size_t i = 0; i < feed_table_count (a); i++) {
        const char *what = s_table_differs (a, b, i);
        if (what)
            return s_differ ("table %zu: its %s", i, what);
    }
    return NULL;
}
