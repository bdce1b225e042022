/*  disclosure.c - a table's suppression, decided once over the whole table.

    Design
    ------
    The invariant this module keeps: from everything a reader other than
    the owner and the backbone is sent about a table - every version of
    it - no small cell's numerator can be worked out to within its
    protection, and no hidden or coded cell's numerator to exactly none or
    all of its people. Every path (live, replay, query, export, replica)
    serves the one stored decision, so the decision is the only place that
    could break the invariant; it is therefore made once, over the whole
    table, and proved before it is returned. The last step of
    disclosure_decide is the audit itself (audit_lp.c) run on the very
    marks it returns: a pattern the audit does not accept is never
    returned.

    The rules before the proof - primary suppression, coding, the relation
    rule of complementary suppression - are what statistical offices do by
    hand, and they usually find the final pattern at once. The proof sees
    what they cannot: cells each protected in their own relation but
    pinned by several together (two hidden cells of 6 and 5 with no one
    passing, when the shown cells account for every pass), a coded extreme
    that follows by subtraction, a change between versions. Mending hides
    one more cell next to what the audit pinned and asks again. Every
    round hides a cell, so it ends; at worst with every cell hidden, which
    the audit always accepts (each numerator then ranges over its size).

    A correction only adds: the marks of earlier versions are inputs, never
    outputs - readers have them already. The change between two versions
    is judged like a cell by the same audit, so a late-enrolled pupil's
    result cannot follow from two shown totals.

    Determinism: relations and cells are visited in the order of their
    keys (their categories sorted by dimension name), and ties between
    candidates go to the smaller cell, then the smaller key - never to the
    order the caller listed the cells in. The same table in any order,
    with the same rules, gets the same marks.                              */

#include "audit_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const disclosure_band_t DISCLOSURE_NCES_BANDS [5] = {
    {20, 10, 90}, {40, 5, 95}, {100, 2, 98}, {300, 1, 99}, {UINT64_MAX, 1, 99},
};

void
disclosure_rules_default (disclosure_rules_t *rules)
{
    assert (rules);
    *rules = (disclosure_rules_t){
        .min_cell = DISCLOSURE_MIN_CELL_DEFAULT,
        .complement = true,
        .show_hidden_sizes = false,
        .ratio_protection = DISCLOSURE_RATIO_PROTECTION,
        .value_protection = DISCLOSURE_VALUE_PROTECTION,
        .bands = DISCLOSURE_NCES_BANDS,
        .band_count = sizeof DISCLOSURE_NCES_BANDS / sizeof DISCLOSURE_NCES_BANDS [0],
    };
}

const char *
disclosure_mark_text (const disclosure_mark_t *mark, char *buffer, size_t size)
{
    assert (mark);
    assert (buffer && size);
    switch (mark->state) {
        case DISCLOSURE_SHOWN:
            snprintf (buffer, size, "%s", "");
            break;
        case DISCLOSURE_CODED:
            if (mark->low <= 0)
                snprintf (buffer, size, "<=%g", mark->high);
            else if (mark->high >= 100)
                snprintf (buffer, size, ">=%g", mark->low);
            else
                snprintf (buffer, size, "%g-%g", mark->low, mark->high);
            break;
        default:
            snprintf (buffer, size, "*");
    }
    return buffer;
}

typedef struct {
    const model_t *model;
    const disclosure_rules_t *rules;
    disclosure_mark_t *marks;  //  one per node of model; a remainder's is not read
    audit_version_t *versions; //  the earlier versions, then this one
    size_t version_count;
    bool *known; //  per node: an earlier version showed it with the same counts
    disclosure_problem_t *problem;
} s_decider_t;

//  Which nodes of the new version an earlier version showed with the same
//  counts. A reader takes what a correction did not change as it stood,
//  so hiding such a cell as a complement protects nothing: the relation
//  rule counts it as known, and it is never picked to protect another.
//  (The audit itself proves what follows for certain; this is the margin
//  the decision keeps beyond it.)
static void
s_known_before (s_decider_t *self)
{
    const model_t *model = self->model;
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        self->known [i] = false;
        for (size_t e = 0; node->kind != NODE_REMAINDER && e + 1 < self->version_count; e++) {
            const model_t *earlier = self->versions [e].model;
            long j = model_find_node (earlier, node->key);
            if (j < 0 || self->versions [e].marks [j].state != DISCLOSURE_SHOWN)
                continue;
            const node_t *before = &earlier->nodes [j];
            if (before->num_known && node->num_known && before->num == node->num
                && before->size_known == node->size_known
                && (!node->size_known || before->size == node->size))
                self->known [i] = true;
        }
    }
}

static bool
s_published (const node_t *node)
{
    return node->kind != NODE_REMAINDER;
}

static void
s_hide (s_decider_t *self, size_t i)
{
    const node_t *node = &self->model->nodes [i];
    self->marks [i] = (disclosure_mark_t){
        .state = audit_small (node, self->rules->min_cell) ? DISCLOSURE_HIDDEN_PRIMARY
                                                           : DISCLOSURE_HIDDEN_COMPLEMENT,
        .size_shown = self->rules->show_hidden_sizes && node->size_known,
    };
}

//  Step 1: small cells, cells of unknown size and cells suppressed at source.
static void
s_primary (s_decider_t *self)
{
    const model_t *model = self->model;
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        self->marks [i] = (disclosure_mark_t){.state = DISCLOSURE_SHOWN, .size_shown = true};
        if (s_published (node) && audit_small (node, self->rules->min_cell))
            s_hide (self, i);
    }
}

//  Step 2: a percent near 0 or 100 becomes a range, by its group's band.
static void
s_code (s_decider_t *self)
{
    const model_t *model = self->model;
    if (model->table->kind != DISCLOSURE_RATIO)
        return;
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        if (!s_published (node) || self->marks [i].state != DISCLOSURE_SHOWN)
            continue;
        for (size_t b = 0; b < self->rules->band_count; b++) {
            const disclosure_band_t *band = &self->rules->bands [b];
            if (node->size > band->max_size)
                continue;
            double percent = 100 * node->num / (double)node->size;
            if (percent <= band->low + 1e-9)
                self->marks [i] = (disclosure_mark_t){DISCLOSURE_CODED, true, 0, band->low};
            else if (percent >= band->high - 1e-9)
                self->marks [i] = (disclosure_mark_t){DISCLOSURE_CODED, true, band->high, 100};
            break;
        }
    }
}

//  A correction keeps what earlier versions hid, and codes what they coded
//  (or hides it, when its value left the band).
static void
s_carry (s_decider_t *self)
{
    const model_t *model = self->model;
    for (size_t e = 0; e + 1 < self->version_count; e++) {
        const audit_version_t *earlier = &self->versions [e];
        for (size_t j = 0; j < earlier->model->node_count; j++) {
            const node_t *before = &earlier->model->nodes [j];
            disclosure_state_t state = earlier->marks [j].state;
            if (!s_published (before) || state == DISCLOSURE_SHOWN)
                continue;
            long i = model_find_node (model, before->key);
            if (i < 0)
                continue;
            disclosure_state_t now = self->marks [i].state;
            if (model_hidden (state) ? !model_hidden (now) : now == DISCLOSURE_SHOWN)
                s_hide (self, (size_t)i);
        }
    }
}

//  Whether a relation lets a reader work out something hidden or coded:
//  exactly one unknown member (counting the margin, and the remainder
//  once anything else is unknown), a small remainder with nothing unknown
//  beside it, or hidden members under a shown margin that cover fewer than
//  min_cell people.
static bool
s_unknown (const s_decider_t *self, size_t i, bool with_known)
{
    return model_unknown (self->marks [i].state) && !(with_known && self->known [i]);
}

static bool
s_needs (const s_decider_t *self, const relation_t *relation, bool with_known)
{
    const node_t *nodes = self->model->nodes;
    const disclosure_mark_t *marks = self->marks;
    uint64_t min_cell = self->rules->min_cell;
    size_t unknown = s_unknown (self, relation->margin, with_known) ? 1 : 0;
    uint64_t covered = 0;
    for (size_t k = 0; k < relation->member_count; k++) {
        size_t m = relation->members [k];
        if (s_unknown (self, m, with_known)) {
            unknown++;
            if (nodes [m].size_known)
                covered += nodes [m].size;
        }
    }
    if (relation->remainder >= 0) {
        const node_t *rest = &nodes [relation->remainder];
        if (unknown == 0)
            return rest->size_known && rest->size < min_cell;
        unknown++;
        covered += relation->rest; //  the remainder and the members of unknown size
    }
    if (unknown == 1)
        return true;
    return unknown > 1 && !model_hidden (marks [relation->margin].state) && covered < min_cell;
}

//  Whether candidate c is better than the best so far: a higher score,
//  then fewer people, then the smaller key.
static bool
s_better (const s_decider_t *self, size_t c, size_t score, long best, size_t best_score)
{
    if (best < 0)
        return true;
    if (score != best_score)
        return score > best_score;
    const node_t *node = &self->model->nodes [c], *other = &self->model->nodes [best];
    if (node->size != other->size)
        return node->size < other->size;
    return strcmp (node->key, other->key) < 0;
}

//  How many relations other than skip, containing node c, need mending now.
static size_t
s_helps (const s_decider_t *self, size_t c, size_t skip)
{
    const node_t *node = &self->model->nodes [c];
    size_t helps = 0;
    for (size_t k = 0; k < node->relation_count; k++)
        if (node->relations [k] != skip
            && s_needs (self, &self->model->relations [node->relations [k]], false))
            helps++;
    return helps;
}

//  The cell to hide for a relation that needs it: the smallest shown member
//  (preferring one that mends another relation too), else the margin, else
//  a coded one (hiding it outright); with fresh_only, none that an earlier
//  version showed.
static long
s_pick (const s_decider_t *self, size_t r, bool fresh_only)
{
    const relation_t *relation = &self->model->relations [r];
    for (int pass = 0; pass < 4; pass++) {
        disclosure_state_t state = pass < 2 ? DISCLOSURE_SHOWN : DISCLOSURE_CODED;
        long best = -1;
        size_t best_score = 0;
        size_t count = pass % 2 ? 1 : relation->member_count;
        for (size_t k = 0; k < count; k++) {
            size_t c = pass % 2 ? relation->margin : relation->members [k];
            if (self->marks [c].state != state || (fresh_only && self->known [c]))
                continue;
            size_t score = s_helps (self, c, r);
            if (s_better (self, c, score, best, best_score))
                best = (long)c, best_score = score;
        }
        if (best >= 0)
            return best;
    }
    return -1;
}

//  Step 3: the relation rule, until no relation needs mending. A relation
//  that needs mending only because a hidden member is known from an
//  earlier version is mended with a cell no earlier version showed, when
//  there is one.
static cibus_err_t
s_complement (s_decider_t *self)
{
    const model_t *model = self->model;
    for (;;) {
        bool hid = false;
        for (size_t k = 0; k < model->relation_count && !hid; k++) {
            size_t r = model->relation_order [k];
            const relation_t *relation = &model->relations [r];
            long pick;
            if (s_needs (self, relation, false)) {
                pick = s_pick (self, r, true);
                if (pick < 0)
                    pick = s_pick (self, r, false);
                if (pick < 0) //  a relation with nothing left to hide has no lone unknown
                    return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                          "complementary suppression found nothing to hide "
                                          "in %s",
                                          relation->name);
            } else if (s_needs (self, relation, true))
                pick = s_pick (self, r, true);
            else
                continue;
            if (pick >= 0) {
                s_hide (self, (size_t)pick);
                hid = true;
            }
        }
        if (!hid)
            return CIBUS_OK;
    }
}

//  Whether relation r is one of rels.
static bool
s_among (size_t r, const size_t *rels, size_t count)
{
    for (size_t k = 0; k < count; k++)
        if (rels [k] == r)
            return true;
    return false;
}

//  The cell to hide so that what the audit pinned is no longer pinned: the
//  changed cell itself when it is still shown, a shown cell beside it
//  (members before margins, one in more of its relations before one in
//  fewer, then smaller), a coded one, and at last anything still shown.
static long
s_mend (const s_decider_t *self, const audit_finding_t *finding)
{
    const model_t *model = self->model;
    const size_t *rels;
    size_t rel_count;
    long self_node = -1;
    if (finding->place == DISCLOSURE_AT_PART) {
        const relation_t *relation = &model->relations [finding->relation];
        if (!model_hidden (self->marks [relation->margin].state))
            return (long)relation->margin;
        rels = &finding->relation;
        rel_count = 1;
    } else {
        const node_t *node = &model->nodes [finding->node];
        self_node = (long)finding->node;
        if (finding->place == DISCLOSURE_AT_CHANGE && s_published (node)
            && !model_hidden (self->marks [finding->node].state))
            return self_node;
        rels = node->relations;
        rel_count = node->relation_count;
    }
    for (int pass = 0; pass < 4; pass++) {
        disclosure_state_t state = pass < 2 ? DISCLOSURE_SHOWN : DISCLOSURE_CODED;
        long best = -1;
        size_t best_score = 0;
        for (size_t k = 0; k < rel_count; k++) {
            const relation_t *relation = &model->relations [rels [k]];
            size_t count = pass % 2 ? 1 : relation->member_count;
            for (size_t m = 0; m < count; m++) {
                size_t c = pass % 2 ? relation->margin : relation->members [m];
                if ((long)c == self_node || self->marks [c].state != state)
                    continue;
                const node_t *candidate = &model->nodes [c];
                size_t score = 0;
                for (size_t q = 0; q < candidate->relation_count; q++)
                    score += s_among (candidate->relations [q], rels, rel_count);
                if (s_better (self, c, score, best, best_score))
                    best = (long)c, best_score = score;
            }
        }
        if (best >= 0)
            return best;
    }
    for (int pass = 0; pass < 2; pass++) {
        long best = -1;
        for (size_t c = 0; c < model->node_count; c++)
            if (s_published (&model->nodes [c])
                && self->marks [c].state == (pass ? DISCLOSURE_CODED : DISCLOSURE_SHOWN)
                && s_better (self, c, 0, best, 0))
                best = (long)c;
        if (best >= 0)
            return best;
    }
    return -1;
}

//  Steps 3 and 4: complement, prove, mend, until the audit accepts.
static cibus_err_t
s_protect (s_decider_t *self)
{
    audit_findings_t findings = {0};
    cibus_err_t rc;
    long only = (long)self->version_count - 1;
    for (;;) {
        rc = s_complement (self);
        if (!rc)
            rc = audit_group (self->versions, self->version_count, self->rules, only, true, false,
                              &findings, self->problem);
        if (rc || findings.count == 0)
            break;
        long pick = s_mend (self, &findings.items [0]);
        audit_findings_clear (&findings);
        if (pick >= 0) {
            s_hide (self, (size_t)pick);
            continue;
        }
        //  Everything is hidden: stop showing the sizes of hidden cells.
        bool changed = false;
        for (size_t i = 0; i < self->model->node_count; i++)
            if (s_published (&self->model->nodes [i]) && self->marks [i].size_shown) {
                self->marks [i].size_shown = false;
                changed = true;
            }
        if (!changed) {
            rc = model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                "no suppression pattern of this table passes the audit");
            break;
        }
    }
    audit_findings_release (&findings);
    return rc;
}

static int
s_compare_text (const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp (a, b);
}

//  The earlier versions as the audit takes them; the models are freed by
//  the caller, even after a failure, and the marks with the new version's
//  model.
static cibus_err_t
s_earlier (s_decider_t *self, const disclosure_view_t *earlier, size_t count,
           const disclosure_table_t *table, model_t **models, disclosure_mark_t **marks)
{
    for (size_t e = 0; e < count; e++) {
        const disclosure_view_t *view = &earlier [e];
        if (!view->table || !view->decision)
            return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "earlier version %zu has no table or no decision", e + 1);
        if (s_compare_text (view->table->indicator, table->indicator)
            || s_compare_text (view->table->period, table->period)
            || s_compare_text (view->table->unit, table->unit))
            return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "earlier version %zu is of another table", e + 1);
        if (view->table->kind != table->kind)
            return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                                  "earlier version %zu is of another kind", e + 1);
        cibus_err_t rc = model_new (view->table, self->rules->shapes, &models [e], self->problem);
        if (rc) {
            model_problem_prefix (self->problem, "earlier version %zu: ", e + 1);
            return rc;
        }
        marks [e] = model_alloc (self->model, models [e]->node_count, sizeof **marks);
        if (!marks [e])
            return model_problem (self->problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL,
                                  "out of memory");
        for (size_t i = 0; i < models [e]->node_count; i++) {
            const disclosure_mark_t *mark = model_mark (models [e], view->decision, i);
            if (mark)
                marks [e][i] = *mark;
        }
        self->versions [e] = (audit_version_t){models [e], marks [e], e};
    }
    return CIBUS_OK;
}

static cibus_err_t
s_decide (const disclosure_view_t *earlier, size_t earlier_count, const disclosure_table_t *table,
          const disclosure_rules_t *rules, disclosure_decision_t *decision,
          disclosure_problem_t *problem)
{
    assert (table);
    assert (decision);
    cibus_err_t rc = audit_rules_check (rules, problem);
    if (rc)
        return rc;
    if (earlier_count && !earlier)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "no earlier versions passed");
    if (table->cell_count && !decision->cells)
        return model_problem (problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "the decision has no room for the cells' marks");
    model_t *model;
    rc = model_new (table, rules->shapes, &model, problem);
    if (rc)
        return rc;
    //  What deciding needs besides the models lives as long as the new
    //  version's, in its arena.
    s_decider_t self = {
        .model = model,
        .rules = rules,
        .marks = model_alloc (model, model->node_count, sizeof *self.marks),
        .versions = model_alloc (model, earlier_count + 1, sizeof *self.versions),
        .version_count = earlier_count + 1,
        .known = model_alloc (model, model->node_count, sizeof *self.known),
        .problem = problem,
    };
    model_t **models = model_alloc (model, earlier_count + 1, sizeof *models);
    disclosure_mark_t **marks = model_alloc (model, earlier_count + 1, sizeof *marks);
    if (!self.marks || !self.versions || !self.known || !models || !marks) {
        model_problem (problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
        rc = CIBUS_ERR_NOMEM;
    } else
        rc = s_earlier (&self, earlier, earlier_count, table, models, marks);
    if (!rc) {
        self.versions [earlier_count] = (audit_version_t){model, self.marks, earlier_count};
        s_known_before (&self);
        s_primary (&self);
        s_code (&self);
        s_carry (&self);
        if (rules->complement)
            rc = s_protect (&self);
    }
    for (size_t i = 0; !rc && i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        if (node->kind == NODE_TOTAL)
            decision->total = self.marks [i];
        else if (node->kind == NODE_CELL)
            decision->cells [node->cell] = self.marks [i];
    }
    for (size_t e = 0; models && e < earlier_count; e++)
        model_destroy (&models [e]);
    model_destroy (&model);
    return rc;
}

cibus_err_t
disclosure_decide (const disclosure_table_t *table, const disclosure_rules_t *rules,
                   disclosure_decision_t *decision, disclosure_problem_t *problem)
{
    return s_decide (NULL, 0, table, rules, decision, problem);
}

cibus_err_t
disclosure_decide_correction (const disclosure_view_t *earlier, size_t earlier_count,
                              const disclosure_table_t *table, const disclosure_rules_t *rules,
                              disclosure_decision_t *decision, disclosure_problem_t *problem)
{
    return s_decide (earlier, earlier_count, table, rules, decision, problem);
}
