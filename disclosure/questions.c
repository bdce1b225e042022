/*  questions.c - the audit of one table's versions: what is asked of the
    linear program (program.c), how the answers are judged, and the
    explanation of each exposed cell.

    Design
    ------
    The invariant the audit checks is the one the decision must keep: for
    every quantity a reader was not shown, the values consistent with
    everything the reader was shown are spread widely enough (audit.h
    has the rules). Each quantity is a question: an objective (a node's
    numerator, or the difference of a cell between two versions) and what
    judges its range.

    Witnesses can only show that something is not exposed; an exposure is
    always found by solving, so its range, and the rows that bound it (the
    equations its explanation lists), are exact.

    Comparisons are tolerance-aware: bounds of percents and rates are
    rounded inward to whole people (floor of the max, ceil of the min,
    each with a margin of 1e-6 of the value), values are compared with a
    relative tolerance of 1e-7. Both are far below one person and far
    above GLPK's own feasibility tolerance.                               */

#include "program.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ROUND_EPS 1e-6 /* inward rounding margin, relative */
#define S_VALUE_EPS 1e-7 /* value comparisons, relative */

bool
audit_small (const node_t *node, uint64_t min_cell)
{
    return node->suppressed || !node->size_known || node->size < min_cell;
}

cibus_err_t
audit_rules_check (const disclosure_rules_t *rules, disclosure_problem_t *problem)
{
    if (!rules)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL, "no rules");
    if (rules->min_cell < 1)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "rules: min_cell must be at least 1");
    if (!(rules->ratio_protection >= 0 && rules->ratio_protection <= 1))
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "rules: ratio_protection must be within [0, 1]");
    if (!(rules->value_protection >= 0 && rules->value_protection <= 1))
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "rules: value_protection must be within [0, 1]");
    if (rules->band_count && !rules->bands)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "rules: %zu bands but none passed", rules->band_count);
    for (size_t b = 0; b < rules->band_count; b++) {
        const disclosure_band_t *band = &rules->bands [b];
        if (!(band->low >= 0 && band->low < band->high && band->high <= 100))
            return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "rules: band %zu needs 0 <= low < high <= 100", b + 1);
        if (b && band->max_size <= rules->bands [b - 1].max_size)
            return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "rules: bands must be in increasing max_size");
    }
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- questions

//  One quantity a reader was not shown (or its change), and what judges it.
typedef struct {
    program_terms_t num_terms;   //  the numerator (or value) as a sum of columns
    program_terms_t fails_terms; //  its size less its numerator
    program_terms_t size_terms;  //  its size
    bool constant;               //  every column is shown: the range is the truth
    bool cell;                   //  numerator >= 0 and fails >= 0 hold by the rows
    bool sensitive;              //  small: needs a range as wide as its protection
    bool size_known;
    double size; //  the owner's size (or change of size)
    bool num_known;
    double num; //  the owner's numerator (or value, or its change)
} s_question_t;

static double
s_floor (double x)
{
    return isfinite (x) ? floor (x + S_ROUND_EPS * fmax (1, fabs (x))) : x;
}

static double
s_ceil (double x)
{
    return isfinite (x) ? ceil (x - S_ROUND_EPS * fmax (1, fabs (x))) : x;
}

//  The exact range of an objective, found as needed: rounded inward to
//  whole people for a percent or rate.
typedef struct {
    bool have_low;
    bool have_high;
    double low;
    double high;
} s_range_t;

static cibus_err_t
s_exact (program_t *self, bool ratio, const program_terms_t *objective, bool maximize,
         s_range_t *range)
{
    double value;
    cibus_err_t rc;
    if (maximize && !range->have_high) {
        if ((rc = program_solve (self, true, objective, &value)))
            return rc;
        range->high = ratio ? s_floor (value) : value;
        range->have_high = true;
    }
    if (!maximize && !range->have_low) {
        if ((rc = program_solve (self, false, objective, &value)))
            return rc;
        range->low = ratio ? s_ceil (value) : value;
        range->have_low = true;
    }
    return CIBUS_OK;
}

//  Whether an objective can only be 0 (whole people): no one passed, or no
//  one failed. A witness away from 0 settles it without solving; a cell's
//  objectives are never below 0.
static cibus_err_t
s_pinned_to_zero (program_t *self, const s_question_t *q, const program_terms_t *objective,
                  s_range_t *range, bool *pinned)
{
    *pinned = false;
    if (q->constant) {
        *pinned = range->low == 0 && range->high == 0;
        return CIBUS_OK;
    }
    double low, high;
    program_witnessed (self, objective, &low, &high);
    if (s_floor (high) >= 1 || s_ceil (low) <= -1)
        return CIBUS_OK;
    cibus_err_t rc = s_exact (self, true, objective, true, range);
    if (rc || range->high >= 1)
        return rc;
    if (q->cell) {
        range->low = 0;
        range->have_low = true;
    } else if ((rc = s_exact (self, true, objective, false, range)))
        return rc;
    *pinned = range->low >= 0;
    return CIBUS_OK;
}

//  Whether a small value's range [low, high] protects it: never a single
//  value, and for a cell reaching reach below and above its value. A
//  change need only be as wide as that, wherever it lies: an earlier
//  version shown in full may bound it on one side, and no pattern of the
//  newer version could move that bound.
static bool
s_value_wide (const s_question_t *q, double low, double high, double reach, double tol)
{
    if (high - low <= tol)
        return false;
    if (!q->num_known)
        return true;
    if (!q->cell)
        return high - low >= 2 * reach - tol;
    return low <= q->num - reach + tol && high >= q->num + reach - tol;
}

//  Judge one question; *reason is -1 when nothing is exposed. Witnesses
//  can only show that something is not exposed; an exposure is always
//  found by solving, so its range and its binding rows are exact.
static cibus_err_t
s_judge (program_t *self, bool ratio, const s_question_t *q, int *reason, double *low, double *high)
{
    *reason = -1;
    program_unbind (self);
    if (!ratio && !q->sensitive)
        return CIBUS_OK; //  a large value may be narrowed
    cibus_err_t rc;
    double seen_low, seen_high;
    if (q->cell && !q->constant && !(q->size_known && q->size > 0)) {
        //  A remainder the owner cannot size either may hold no one; when the
        //  reader can tell it holds no one, there is no one to disclose.
        s_range_t size = {0};
        program_witnessed (self, &q->size_terms, &seen_low, &seen_high);
        if (s_floor (seen_high) < 1) {
            if ((rc = s_exact (self, true, &q->size_terms, true, &size)))
                return rc;
            if (size.high <= 0)
                return CIBUS_OK;
        }
    }
    s_range_t num = {0};
    if (q->constant)
        num = (s_range_t){true, true, q->num, q->num};
    if (ratio) {
        bool pinned;
        s_range_t fails = {0};
        if (q->constant)
            fails = (s_range_t){true, true, q->size - q->num, q->size - q->num};
        if ((rc = s_pinned_to_zero (self, q, &q->num_terms, &num, &pinned)))
            return rc;
        if (pinned)
            *reason = DISCLOSURE_EXPOSED_NONE;
        else if ((rc = s_pinned_to_zero (self, q, &q->fails_terms, &fails, &pinned)))
            return rc;
        else if (pinned)
            *reason = DISCLOSURE_EXPOSED_ALL;
        else if (q->sensitive && q->size_known) {
            double need = ceil (self->rules->ratio_protection * fabs (q->size) - 1e-9);
            program_witnessed (self, &q->num_terms, &seen_low, &seen_high);
            if (q->constant || s_floor (seen_high) - s_ceil (seen_low) < need) {
                if ((rc = s_exact (self, true, &q->num_terms, true, &num))
                    || (rc = s_exact (self, true, &q->num_terms, false, &num)))
                    return rc;
                if (num.high - num.low < need)
                    *reason = DISCLOSURE_EXPOSED_NARROW;
            }
        }
    } else {
        double scale = fmax (1, fabs (q->num));
        double tol = S_VALUE_EPS * scale, reach = self->rules->value_protection * fabs (q->num);
        program_witnessed (self, &q->num_terms, &seen_low, &seen_high);
        if (q->constant || !s_value_wide (q, seen_low, seen_high, reach, tol)) {
            if ((rc = s_exact (self, false, &q->num_terms, true, &num))
                || (rc = s_exact (self, false, &q->num_terms, false, &num)))
                return rc;
            tol = S_VALUE_EPS * fmax (scale, isfinite (num.high) ? fabs (num.high) : 0);
            if (!s_value_wide (q, num.low, num.high, reach, tol))
                *reason = DISCLOSURE_EXPOSED_NARROW;
        }
    }
    if (*reason < 0)
        return CIBUS_OK;
    if ((rc = s_exact (self, ratio, &q->num_terms, true, &num))
        || (rc = s_exact (self, ratio, &q->num_terms, false, &num)))
        return rc;
    *low = num.low;
    *high = num.high;
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- explaining

static void
s_node_text (text_t *text, const program_t *self, size_t v, size_t i)
{
    const model_t *model = self->versions [v].model;
    const node_t *node = &model->nodes [i];
    bool ratio = model->table->kind == DISCLOSURE_RATIO;
    if (node->kind == NODE_REMAINDER) {
        text_printf (text, "%s (not reported)", node->name);
        return;
    }
    const disclosure_mark_t *mark = &self->versions [v].marks [i];
    text_printf (text, "%s ", node->name);
    if (mark->state == DISCLOSURE_SHOWN) {
        if (ratio)
            text_printf (text, "%.0f/%" PRIu64, node->num, node->size);
        else if (node->size_known)
            text_printf (text, "%g@%" PRIu64, node->num, node->size);
        else
            text_printf (text, "%g", node->num);
    } else if (mark->state == DISCLOSURE_CODED) {
        char coded [64];
        text_printf (text, "%s%% of %" PRIu64, disclosure_mark_text (mark, coded, sizeof coded),
                     node->size);
    } else if (mark->size_shown && node->size_known)
        text_printf (text, "*/%" PRIu64, node->size);
    else
        text_printf (text, "*");
}

static void
s_equation (text_t *text, const program_t *self, size_t v, size_t r)
{
    const relation_t *relation = &self->versions [v].model->relations [r];
    if (self->count > 1)
        text_printf (text, "[version %zu] ", v + 1);
    s_node_text (text, self, v, relation->margin);
    text_printf (text, " = ");
    for (size_t k = 0; k < relation->member_count; k++) {
        if (k)
            text_printf (text, " + ");
        s_node_text (text, self, v, relation->members [k]);
    }
    if (relation->remainder >= 0) {
        text_printf (text, " + ");
        s_node_text (text, self, v, (size_t)relation->remainder);
    }
}

//  The equations behind a finding: the relations whose rows bound its
//  solutions, else every relation of what it is about.
static void
s_equations (text_t *text, const program_t *self, const audit_finding_t *finding)
{
    size_t written = 0;
    if (self->binding)
        for (int row = 1; row <= self->row_count; row++) {
            const program_row_t *info = &self->rows [row];
            if (!self->binding [row] || info->relation < 0)
                continue;
            //  A relation has two rows (numerators, sizes): write it once.
            if (row > 1 && self->binding [row - 1]
                && self->rows [row - 1].relation == info->relation
                && self->rows [row - 1].version == info->version)
                continue;
            text_printf (text, written++ ? "; " : "");
            s_equation (text, self, info->version, (size_t)info->relation);
        }
    if (written)
        return;
    const size_t versions [2] = {finding->earlier, finding->version};
    for (size_t k = finding->earlier == finding->version ? 1 : 0; k < 2; k++) {
        size_t v = versions [k];
        const model_t *model = self->versions [v].model;
        if (finding->place == DISCLOSURE_AT_PART) {
            const relation_t *relation =
                &self->versions [finding->version].model->relations [finding->relation];
            long r = model_find_relation (model, relation->key);
            if (r >= 0) {
                text_printf (text, written++ ? "; " : "");
                s_equation (text, self, v, (size_t)r);
            }
            continue;
        }
        long i = model_find_node (
            model, self->versions [finding->version].model->nodes [finding->node].key);
        if (i < 0)
            continue;
        const node_t *node = &model->nodes [i];
        for (size_t k2 = 0; k2 < node->relation_count; k2++) {
            text_printf (text, written++ ? "; " : "");
            s_equation (text, self, v, node->relations [k2]);
        }
        if (!node->relation_count) {
            text_printf (text, written++ ? "; " : "");
            if (self->count > 1)
                text_printf (text, "[version %zu] ", v + 1);
            s_node_text (text, self, v, (size_t)i);
        }
    }
}

static void
s_explain (const program_t *self, bool ratio, audit_finding_t *finding)
{
    const model_t *model = self->versions [finding->version].model;
    text_t text = {0};
    char id [200];
    text_printf (&text, "%s: ", model_table_id (model->table, id, sizeof id));
    size_t newer = finding->version + 1, older = finding->earlier + 1;
    const char *of = self->count > 1 ? " of version " : "";
    switch (finding->place) {
        case DISCLOSURE_AT_CELL:
            if (model->nodes [finding->node].kind == NODE_TOTAL)
                text_printf (&text, "the total");
            else
                text_printf (&text, "cell %s", model->nodes [finding->node].name);
            break;
        case DISCLOSURE_AT_REMAINDER:
            text_printf (&text, "cell %s (not reported)", model->nodes [finding->node].name);
            break;
        case DISCLOSURE_AT_CHANGE:
            text_printf (&text, "the change of %s%s from version %zu to %zu",
                         model->nodes [finding->node].kind == NODE_CELL ? "cell " : "",
                         model->nodes [finding->node].name, older, newer);
            of = "";
            break;
        case DISCLOSURE_AT_PART:
            text_printf (&text,
                         "the change from version %zu to %zu of the cells of %s not shown in both",
                         older, newer, model->relations [finding->relation].name);
            of = "";
            break;
    }
    if (*of)
        text_printf (&text, "%s%zu", of, newer);
    finding->what = text_take (&text);

    bool change = finding->place == DISCLOSURE_AT_CHANGE || finding->place == DISCLOSURE_AT_PART;
    //  "its 6 people", "its 1 people changed", or "its people" when no one knows.
    char people [64];
    if (finding->size_known)
        snprintf (people, sizeof people, "its %g %s", fabs (finding->size),
                  change ? "people changed" : "people");
    else
        snprintf (people, sizeof people, "its people");
    switch (finding->reason) {
        case DISCLOSURE_EXPOSED_SHOWN_SMALL:
            if (finding->size_known)
                text_printf (&text, "shown with %g people, fewer than %" PRIu64, finding->size,
                             self->rules->min_cell);
            else
                text_printf (&text, "shown without its number of people");
            break;
        case DISCLOSURE_EXPOSED_NONE:
            text_printf (&text, "a reader can work out that its numerator is 0: none of %s passed",
                         people);
            break;
        case DISCLOSURE_EXPOSED_ALL:
            text_printf (&text,
                         "a reader can work out that its numerator is %g, its size: "
                         "all of %s passed",
                         finding->high, people);
            break;
        case DISCLOSURE_EXPOSED_NARROW:
            if (!ratio)
                text_printf (&text,
                             "a reader can work out that its value is within [%g, %g], "
                             "narrower than %g%% either side",
                             finding->low, finding->high, 100 * self->rules->value_protection);
            else
                text_printf (&text,
                             "a reader can work out that its numerator is within [%g, %g], "
                             "fewer than the %g values %s need",
                             finding->low, finding->high,
                             ceil (self->rules->ratio_protection * fabs (finding->size) - 1e-9),
                             people);
            break;
    }
    if (finding->reason != DISCLOSURE_EXPOSED_SHOWN_SMALL) {
        text_printf (&text, ", from: ");
        s_equations (&text, self, finding);
    }
    finding->explanation = text_take (&text);
}

//  ---------------------------------------------------------------- the group

typedef struct {
    program_t lp;
    audit_findings_t *findings;
    bool first_only;
    s_question_t q;
} s_audit_t;

static cibus_err_t
s_nomem (s_audit_t *self)
{
    return model_problem (self->lp.problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
}

static cibus_err_t
s_push (s_audit_t *self, audit_finding_t *finding)
{
    audit_findings_t *findings = self->findings;
    if (findings->count == findings->alloc) {
        size_t alloc = findings->alloc ? findings->alloc * 2 : 8;
        audit_finding_t *items = realloc (findings->items, alloc * sizeof *items);
        if (!items)
            return s_nomem (self);
        findings->items = items;
        findings->alloc = alloc;
    }
    bool ratio = self->lp.versions [finding->version].model->table->kind == DISCLOSURE_RATIO;
    if (self->lp.explain) {
        s_explain (&self->lp, ratio, finding);
        if (!finding->what || !finding->explanation) {
            free (finding->what);
            free (finding->explanation);
            return s_nomem (self);
        }
    }
    findings->items [findings->count++] = *finding;
    return CIBUS_OK;
}

static void
s_question_reset (s_question_t *q)
{
    program_terms_t num = q->num_terms, fails = q->fails_terms, size = q->size_terms;
    num.count = fails.count = size.count = 0;
    *q = (s_question_t){.num_terms = num, .fails_terms = fails, .size_terms = size};
}

//  Add node i of version v to the question, with sign.
static bool
s_question_add (s_audit_t *self, size_t v, size_t i, double sign)
{
    program_t *lp = &self->lp;
    if (program_build (lp))
        return false;
    assert (lp->num_col && lp->num_col [v] && lp->size_col && lp->size_col [v]);
    return program_terms_add (&self->q.num_terms, lp->num_col [v][i], sign)
           && program_terms_add (&self->q.size_terms, lp->size_col [v][i], sign)
           && program_terms_add (&self->q.fails_terms, lp->size_col [v][i], sign)
           && program_terms_add (&self->q.fails_terms, lp->num_col [v][i], -sign);
}

//  Ask the question and push a finding if it exposes something.
static cibus_err_t
s_ask (s_audit_t *self, audit_finding_t *finding, bool *stop)
{
    bool ratio = self->lp.versions [finding->version].model->table->kind == DISCLOSURE_RATIO;
    int reason;
    cibus_err_t rc = s_judge (&self->lp, ratio, &self->q, &reason, &finding->low, &finding->high);
    if (rc || reason < 0)
        return rc;
    finding->reason = (disclosure_reason_t)reason;
    finding->size = self->q.size;
    finding->size_known = self->q.size_known;
    rc = s_push (self, finding);
    *stop = self->first_only;
    return rc;
}

static cibus_err_t
s_cells_of (s_audit_t *self, size_t v, bool *stop)
{
    const audit_version_t *version = &self->lp.versions [v];
    const model_t *model = version->model;
    uint64_t min_cell = self->lp.rules->min_cell;
    for (size_t k = 0; k < model->node_count && !*stop; k++) {
        size_t i = model->node_order [k];
        const node_t *node = &model->nodes [i];
        self->findings->cells++;
        audit_finding_t finding = {
            .place = node->kind == NODE_REMAINDER ? DISCLOSURE_AT_REMAINDER : DISCLOSURE_AT_CELL,
            .version = v,
            .earlier = v,
            .node = i,
        };
        if (node->kind != NODE_REMAINDER && version->marks [i].state == DISCLOSURE_SHOWN) {
            if (!audit_small (node, min_cell))
                continue;
            finding.reason = DISCLOSURE_EXPOSED_SHOWN_SMALL;
            finding.size = (double)node->size;
            finding.size_known = node->size_known;
            finding.low = finding.high = node->num;
            cibus_err_t rc = s_push (self, &finding);
            if (rc)
                return rc;
            *stop = self->first_only;
            continue;
        }
        s_question_t *q = &self->q;
        s_question_reset (q);
        q->cell = true;
        q->sensitive = node->kind == NODE_REMAINDER ? !node->size_known || node->size < min_cell
                                                    : audit_small (node, min_cell);
        q->size_known = node->size_known;
        q->size = (double)node->size;
        q->num_known = node->num_known;
        q->num = node->num;
        if (!s_question_add (self, v, i, 1))
            return s_nomem (self);
        cibus_err_t rc = s_ask (self, &finding, stop);
        if (rc)
            return rc;
    }
    return CIBUS_OK;
}

//  Changes of single nodes from version a to version v.
static cibus_err_t
s_node_changes (s_audit_t *self, size_t a, size_t v, bool *stop)
{
    const audit_version_t *older = &self->lp.versions [a], *newer = &self->lp.versions [v];
    uint64_t min_cell = self->lp.rules->min_cell;
    for (size_t k = 0; k < newer->model->node_count && !*stop; k++) {
        size_t i = newer->model->node_order [k];
        const node_t *node = &newer->model->nodes [i];
        long j = model_find_node (older->model, node->key);
        if (j < 0)
            continue;
        const node_t *before = &older->model->nodes [j];
        if (!node->size_known || !before->size_known || node->size == before->size)
            continue; //  no one came or went: not judged (audit.h)
        self->findings->cells++;
        s_question_t *q = &self->q;
        s_question_reset (q);
        q->size_known = true;
        q->size = (double)node->size - (double)before->size;
        q->sensitive = fabs (q->size) < (double)min_cell;
        q->num_known = node->num_known && before->num_known;
        q->num = node->num - before->num;
        q->constant = node->kind != NODE_REMAINDER && before->kind != NODE_REMAINDER
                      && newer->marks [i].state == DISCLOSURE_SHOWN
                      && older->marks [j].state == DISCLOSURE_SHOWN;
        if (!q->constant
            && (!s_question_add (self, v, i, 1) || !s_question_add (self, a, (size_t)j, -1)))
            return s_nomem (self);
        audit_finding_t finding = {
            .place = DISCLOSURE_AT_CHANGE, .version = v, .earlier = a, .node = i};
        cibus_err_t rc = s_ask (self, &finding, stop);
        if (rc)
            return rc;
    }
    return CIBUS_OK;
}

//  Whether member key is a member of relation shown in version.
static bool
s_shown_member (const audit_version_t *version, const relation_t *relation, const char *key)
{
    for (size_t k = 0; k < relation->member_count; k++) {
        size_t m = relation->members [k];
        if (strcmp (version->model->nodes [m].key, key) == 0)
            return version->marks [m].state == DISCLOSURE_SHOWN;
    }
    return false;
}

//  Changes of each relation's part not shown in both versions: the margin
//  less the members shown in both.
static cibus_err_t
s_part_changes (s_audit_t *self, size_t a, size_t v, bool *stop)
{
    const audit_version_t *older = &self->lp.versions [a], *newer = &self->lp.versions [v];
    uint64_t min_cell = self->lp.rules->min_cell;
    for (size_t n = 0; n < newer->model->relation_count && !*stop; n++) {
        size_t r = newer->model->relation_order [n];
        const relation_t *relation = &newer->model->relations [r];
        long ra = model_find_relation (older->model, relation->key);
        if (ra < 0)
            continue;
        const relation_t *before = &older->model->relations [ra];
        const node_t *margin = &newer->model->nodes [relation->margin];
        const node_t *margin_before = &older->model->nodes [before->margin];
        if (!margin->size_known || !margin_before->size_known)
            continue;
        s_question_t *q = &self->q;
        s_question_reset (q);
        double size = (double)margin->size - (double)margin_before->size;
        double num = margin->num - margin_before->num;
        size_t common = 0;
        for (size_t k = 0; k < relation->member_count; k++) {
            size_t m = relation->members [k];
            const node_t *member = &newer->model->nodes [m];
            if (newer->marks [m].state != DISCLOSURE_SHOWN
                || !s_shown_member (older, before, member->key))
                continue;
            const node_t *member_before =
                &older->model->nodes [model_find_node (older->model, member->key)];
            size -= (double)member->size - (double)member_before->size;
            num -= member->num - member_before->num;
            common++;
        }
        //  With nothing shown in both, the part is the margin: a node change.
        if (!common || size == 0)
            continue;
        self->findings->cells++;
        q->size_known = true;
        q->size = size;
        q->sensitive = fabs (size) < (double)min_cell;
        q->num_known = margin->num_known && margin_before->num_known;
        q->num = num;
        q->constant = newer->marks [relation->margin].state == DISCLOSURE_SHOWN
                      && older->marks [before->margin].state == DISCLOSURE_SHOWN;
        if (!q->constant) {
            bool ok = s_question_add (self, v, relation->margin, 1)
                      && s_question_add (self, a, before->margin, -1);
            for (size_t k = 0; ok && k < relation->member_count; k++) {
                size_t m = relation->members [k];
                const char *key = newer->model->nodes [m].key;
                if (newer->marks [m].state != DISCLOSURE_SHOWN
                    || !s_shown_member (older, before, key))
                    continue;
                ok = s_question_add (self, v, m, -1)
                     && s_question_add (self, a, (size_t)model_find_node (older->model, key), 1);
            }
            if (!ok)
                return s_nomem (self);
        }
        audit_finding_t finding = {
            .place = DISCLOSURE_AT_PART, .version = v, .earlier = a, .relation = r};
        cibus_err_t rc = s_ask (self, &finding, stop);
        if (rc)
            return rc;
    }
    return CIBUS_OK;
}

//  The table, and which version of it when there are several: "k3-reading
//  2026-Q3 unit-7 (version 2)", for a refusal of its marks.
static const char *
s_marks_where (const model_t *model, size_t v, size_t count, char *where, size_t size)
{
    char id [200];
    model_table_id (model->table, id, sizeof id);
    if (count > 1)
        snprintf (where, size, "%s (version %zu)", id, v + 1);
    else
        snprintf (where, size, "%s", id);
    return where;
}

//  Whether a version's marks agree with its values.
static cibus_err_t
s_check_marks (const audit_version_t *version, size_t v, size_t count,
               disclosure_problem_t *problem)
{
    const model_t *model = version->model;
    char where [256]; //  written only for a refusal
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        if (node->kind == NODE_REMAINDER)
            continue;
        const disclosure_mark_t *mark = &version->marks [i];
        const char *name = node->kind == NODE_TOTAL ? "the total" : node->name;
        const char *cell = node->kind == NODE_TOTAL ? "" : "cell ";
        if ((unsigned)mark->state > DISCLOSURE_CODED)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, node->cell,
                                  "%s: %s%s has no such mark",
                                  s_marks_where (model, v, count, where, sizeof where), cell,
                                  name);
        if (mark->state == DISCLOSURE_SHOWN && !node->num_known)
            return model_problem (problem, CIBUS_ERR_BAD_FIELD, node->cell,
                                  "%s: %s%s is shown but has no value",
                                  s_marks_where (model, v, count, where, sizeof where), cell,
                                  name);
        if (mark->state == DISCLOSURE_CODED) {
            if (model->table->kind != DISCLOSURE_RATIO || !node->size_known || !node->num_known
                || !(mark->low >= 0 && mark->low <= mark->high && mark->high <= 100))
                return model_problem (problem, CIBUS_ERR_BAD_FIELD, node->cell,
                                      "%s: %s%s cannot be coded so",
                                      s_marks_where (model, v, count, where, sizeof where), cell,
                                      name);
            double percent = 100 * node->num / (double)node->size;
            if (percent < mark->low - 1e-9 || percent > mark->high + 1e-9)
                return model_problem (problem, CIBUS_ERR_BAD_FIELD, node->cell,
                                      "%s: %s%s is coded [%g, %g] but is %g%%",
                                      s_marks_where (model, v, count, where, sizeof where), cell,
                                      name, mark->low, mark->high, percent);
        }
    }
    return CIBUS_OK;
}

cibus_err_t
audit_group (const audit_version_t *versions, size_t count, const disclosure_rules_t *rules,
             long only, bool first_only, bool explain, audit_findings_t *findings,
             disclosure_problem_t *problem)
{
    assert (versions);
    assert (findings);
    for (size_t v = 0; v < count; v++) {
        cibus_err_t rc = s_check_marks (&versions [v], v, count, problem);
        if (rc)
            return rc;
    }
    s_audit_t self = {.findings = findings, .first_only = first_only};
    program_init (&self.lp, versions, count, rules, explain, problem);
    cibus_err_t rc = CIBUS_OK;
    bool stop = false;
    for (size_t v = 0; v < count && !rc && !stop; v++) {
        if (only >= 0 && (size_t)only != v)
            continue;
        rc = s_cells_of (&self, v, &stop);
        for (size_t a = 0; a < v && !rc && !stop; a++) {
            if (versions [a].model->table->kind != versions [v].model->table->kind)
                continue; //  a percent cannot be compared with a count
            rc = s_node_changes (&self, a, v, &stop);
            if (!rc && !stop)
                rc = s_part_changes (&self, a, v, &stop);
        }
    }
    program_release (&self.lp);
    free (self.q.num_terms.terms);
    free (self.q.fails_terms.terms);
    free (self.q.size_terms.terms);
    return rc;
}

void
audit_findings_clear (audit_findings_t *self)
{
    for (size_t k = 0; k < self->count; k++) {
        free (self->items [k].what);
        free (self->items [k].explanation);
    }
    self->count = 0;
}

void
audit_findings_release (audit_findings_t *self)
{
    audit_findings_clear (self);
    free (self->items);
    *self = (audit_findings_t){0};
}
