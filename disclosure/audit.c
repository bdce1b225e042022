/*  audit.c - the audit over everything one reader received: views sorted
    into tables and their versions, each table's versions audited together
    (audit_lp.c), the findings kept with their explanations.

    Views are grouped by sorting their indices on (indicator, period,
    unit, index), so a log of 100,000 tables costs one sort, not a search
    per view, and the versions of a table keep the order received.        */

#include "audit_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _disclosure_audit_t {
    disclosure_rules_t rules;
    disclosure_exposed_t *exposed;
    size_t exposed_count;
    size_t exposed_alloc;
    size_t tables;
    size_t cells;
};

disclosure_audit_t *
disclosure_audit_new (const disclosure_rules_t *rules)
{
    disclosure_rules_t defaults;
    if (!rules) {
        disclosure_rules_default (&defaults);
        rules = &defaults;
    }
    if (audit_rules_check (rules, NULL))
        return NULL;
    disclosure_audit_t *self = calloc (1, sizeof *self);
    if (self)
        self->rules = *rules;
    return self;
}

void
disclosure_audit_destroy (disclosure_audit_t **self_p)
{
    assert (self_p);
    disclosure_audit_t *self = *self_p;
    if (!self)
        return;
    for (size_t k = 0; k < self->exposed_count; k++) {
        free ((char *)self->exposed [k].what);
        free ((char *)self->exposed [k].explanation);
    }
    free (self->exposed);
    free (self);
    *self_p = NULL;
}

size_t
disclosure_audit_exposed_count (const disclosure_audit_t *self)
{
    assert (self);
    return self->exposed_count;
}

const disclosure_exposed_t *
disclosure_audit_exposed (const disclosure_audit_t *self, size_t index)
{
    assert (self);
    return index < self->exposed_count ? &self->exposed [index] : NULL;
}

size_t
disclosure_audit_tables (const disclosure_audit_t *self)
{
    assert (self);
    return self->tables;
}

size_t
disclosure_audit_cells (const disclosure_audit_t *self)
{
    assert (self);
    return self->cells;
}

typedef struct {
    const disclosure_table_t *table;
    size_t index;
} s_sorted_t;

static int
s_compare_text (const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp (a, b);
}

static int
s_compare_views (const void *a, const void *b)
{
    const s_sorted_t *x = a, *y = b;
    int order = s_compare_text (x->table->indicator, y->table->indicator);
    if (!order)
        order = s_compare_text (x->table->period, y->table->period);
    if (!order)
        order = s_compare_text (x->table->unit, y->table->unit);
    return order ? order : (x->index > y->index) - (x->index < y->index);
}

//  Keep the findings of one table, taking their strings.
static cibus_err_t
s_keep (disclosure_audit_t *self, const audit_version_t *versions, audit_findings_t *findings,
        disclosure_problem_t *problem)
{
    if (self->exposed_count + findings->count > self->exposed_alloc) {
        size_t alloc = self->exposed_alloc ? self->exposed_alloc : 8;
        while (alloc < self->exposed_count + findings->count)
            alloc *= 2;
        disclosure_exposed_t *exposed = realloc (self->exposed, alloc * sizeof *exposed);
        if (!exposed)
            return model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
        self->exposed = exposed;
        self->exposed_alloc = alloc;
    }
    for (size_t k = 0; k < findings->count; k++) {
        audit_finding_t *finding = &findings->items [k];
        const model_t *model = versions [finding->version].model;
        assert (model);
        long cell = DISCLOSURE_NO_CELL;
        if (finding->place != DISCLOSURE_AT_PART)
            cell = model->nodes [finding->node].cell;
        self->exposed [self->exposed_count++] = (disclosure_exposed_t){
            .view = versions [finding->version].view,
            .earlier_view = versions [finding->earlier].view,
            .cell = cell,
            .place = finding->place,
            .reason = finding->reason,
            .low = finding->low,
            .high = finding->high,
            .size = finding->size,
            .size_known = finding->size_known,
            .what = finding->what,
            .explanation = finding->explanation,
        };
        finding->what = finding->explanation = NULL;
    }
    audit_findings_clear (findings);
    return CIBUS_OK;
}

//  Audit the views sorted [first, first + count): the versions of one table.
static cibus_err_t
s_run_table (disclosure_audit_t *self, const disclosure_view_t *views, const s_sorted_t *sorted,
             size_t count, audit_findings_t *findings, disclosure_problem_t *problem)
{
    model_t **models = calloc (count, sizeof *models);
    disclosure_mark_t **marks = calloc (count, sizeof *marks);
    audit_version_t *versions = calloc (count, sizeof *versions);
    if (!models || !marks || !versions) {
        free (models);
        free (marks);
        free (versions);
        return model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
    }
    cibus_err_t rc = CIBUS_OK;
    for (size_t k = 0; k < count && !rc; k++) {
        const disclosure_view_t *view = &views [sorted [k].index];
        rc = model_new (view->table, NULL, &models [k], problem);
        if (rc) {
            model_problem_prefix (
                problem,
                "%s %s%s%s (view %zu): ", view->table->indicator ? view->table->indicator : "table",
                view->table->period ? view->table->period : "", view->table->unit ? " " : "",
                view->table->unit ? view->table->unit : "", sorted [k].index + 1);
            break;
        }
        const model_t *model = models [k];
        marks [k] = calloc (model->node_count, sizeof **marks);
        if (!marks [k]) {
            rc = model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
            break;
        }
        for (size_t i = 0; i < model->node_count; i++) {
            const disclosure_mark_t *mark = model_mark (model, view->decision, i);
            if (mark)
                marks [k][i] = *mark;
        }
        versions [k] = (audit_version_t){model, marks [k], sorted [k].index};
    }
    if (!rc)
        rc = audit_group (versions, count, &self->rules, -1, false, true, findings, problem);
    if (!rc) {
        self->tables += count;
        self->cells += findings->cells;
        findings->cells = 0;
        rc = s_keep (self, versions, findings, problem);
    }
    audit_findings_clear (findings);
    for (size_t k = 0; k < count; k++) {
        model_destroy (&models [k]);
        free (marks [k]);
    }
    free (models);
    free (marks);
    free (versions);
    return rc;
}

cibus_err_t
disclosure_audit_run (disclosure_audit_t *self, const disclosure_view_t *views, size_t view_count,
                      disclosure_problem_t *problem)
{
    assert (self);
    if (!view_count)
        return CIBUS_OK;
    if (!views)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL, "no views");
    s_sorted_t *sorted = malloc (view_count * sizeof *sorted);
    if (!sorted)
        return model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
    for (size_t k = 0; k < view_count; k++) {
        if (!views [k].table || !views [k].decision) {
            free (sorted);
            return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "view %zu has no table or no decision", k + 1);
        }
        sorted [k] = (s_sorted_t){views [k].table, k};
    }
    qsort (sorted, view_count, sizeof *sorted, s_compare_views);
    audit_findings_t findings = {0};
    cibus_err_t rc = CIBUS_OK;
    for (size_t first = 0, next; first < view_count && !rc; first = next) {
        for (next = first + 1; next < view_count; next++) {
            s_sorted_t a = sorted [first], b = sorted [next];
            a.index = b.index = 0;
            if (s_compare_views (&a, &b))
                break;
        }
        rc = s_run_table (self, views, sorted + first, next - first, &findings, problem);
    }
    audit_findings_release (&findings);
    free (sorted);
    return rc;
}
