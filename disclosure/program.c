/*  program.c - the linear program of one table's versions, with GLPK.

    Design
    ------
    A reader's knowledge of a table is a system of linear equations and
    bounds (model.h: every relation, for numerators and for sizes), so
    what the reader can work out of any quantity is its extent over a
    polytope: a linear program. This file keeps one program per table
    and answers "how far can this objective go", nothing else; what to
    ask and how to judge the answer are questions.c's.

    Columns are fixed where the reader saw a value, bounded where the
    reader saw a coded range or can tell something from a mark (a cell
    hidden as small has 1 to min_cell - 1 people, a complement at least
    min_cell, a remainder that exists at least one), free otherwise. The
    simplex is primal, without presolve, from the last basis: a new
    objective keeps the basis feasible, so most questions need a handful
    of pivots. A basis gone bad is replaced by a fresh one, once.

    GLPK prints to the terminal unless told not to; the program turns its
    terminal output off (glp_term_out, GLPK's own per-thread setting) and
    asks the simplex for no messages.                                     */

#include "program.h"

#include "disclosure.h"

#include <glpk.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_DUAL_EPS 1e-9 /* a row whose dual is larger binds the solution */
#define S_POINTS   16   /* witnesses kept */

bool
program_terms_add (program_terms_t *self, int col, double coef)
{
    if (self->count == self->alloc) {
        size_t alloc = self->alloc ? self->alloc * 2 : 8;
        program_term_t *terms = realloc (self->terms, alloc * sizeof *terms);
        if (!terms)
            return false;
        self->terms = terms;
        self->alloc = alloc;
    }
    self->terms [self->count++] = (program_term_t){col, coef};
    return true;
}

static cibus_err_t
s_nomem (program_t *self)
{
    return model_problem (self->problem, CIBUS_ERR_NOMEM, DISCLOSURE_NO_CELL, "out of memory");
}

static bool
s_scratch (program_t *self, size_t len)
{
    if (len + 1 <= self->scratch)
        return true;
    size_t size = (len + 1) * 2;
    int *ind = realloc (self->ind, size * sizeof *ind);
    if (ind)
        self->ind = ind;
    double *val = realloc (self->val, size * sizeof *val);
    if (val)
        self->val = val;
    if (!ind || !val)
        return false;
    self->scratch = size;
    return true;
}

static bool
s_add_row (program_t *self, size_t version, long relation, int type, int len)
{
    int row = glp_add_rows (self->lp, 1);
    if (row >= self->row_alloc) {
        int alloc = self->row_alloc ? self->row_alloc * 2 : 64;
        while (alloc <= row)
            alloc *= 2;
        program_row_t *rows = realloc (self->rows, (size_t)alloc * sizeof *rows);
        if (!rows)
            return false;
        self->rows = rows;
        self->row_alloc = alloc;
    }
    self->rows [row] = (program_row_t){version, relation};
    self->row_count = row;
    glp_set_row_bnds (self->lp, row, type, 0, 0);
    glp_set_mat_row (self->lp, row, len, self->ind, self->val);
    return true;
}

//  The columns of one version: what the reader saw of each node.
static void
s_columns (program_t *self, size_t v)
{
    const audit_version_t *version = &self->versions [v];
    const model_t *model = version->model;
    bool ratio = model->table->kind == DISCLOSURE_RATIO;
    uint64_t min_cell = self->rules->min_cell;
    glp_prob *lp = self->lp;
    int first = glp_add_cols (lp, (int)(2 * model->node_count));
    for (size_t i = 0; i < model->node_count; i++) {
        const node_t *node = &model->nodes [i];
        int num = first + (int)(2 * i), size = num + 1;
        self->num_col [v][i] = num;
        self->size_col [v][i] = size;
        double people = (double)node->size;
        if (node->kind == NODE_REMAINDER) {
            //  A remainder is never shown; the relations pin it when the rest is.
            glp_set_col_bnds (lp, size, GLP_LO, node->size_known ? 1 : 0, 0);
            glp_set_col_bnds (lp, num, GLP_LO, 0, 0);
            continue;
        }
        const disclosure_mark_t *mark = &version->marks [i];
        switch (mark->state) {
            case DISCLOSURE_SHOWN:
                if (node->size_known)
                    glp_set_col_bnds (lp, size, GLP_FX, people, people);
                else
                    glp_set_col_bnds (lp, size, GLP_LO, 1, 0);
                glp_set_col_bnds (lp, num, GLP_FX, node->num, node->num);
                break;
            case DISCLOSURE_CODED:
                glp_set_col_bnds (lp, size, GLP_FX, people, people);
                glp_set_col_bnds (lp, num, GLP_DB, mark->low * people / 100,
                                  mark->high * people / 100);
                break;
            default: {
                bool fixed = mark->size_shown && node->size_known;
                if (fixed)
                    glp_set_col_bnds (lp, size, GLP_FX, people, people);
                else if (mark->state == DISCLOSURE_HIDDEN_PRIMARY && node->size_known
                         && node->size < min_cell)
                    //  Hidden as small: the reader knows it is 1 to min_cell - 1.
                    glp_set_col_bnds (lp, size, min_cell > 2 ? GLP_DB : GLP_FX, 1,
                                      (double)(min_cell - 1));
                else if (mark->state == DISCLOSURE_HIDDEN_COMPLEMENT && node->size_known
                         && node->size >= min_cell)
                    glp_set_col_bnds (lp, size, GLP_LO, (double)min_cell, 0);
                else
                    glp_set_col_bnds (lp, size, GLP_LO, 1, 0);
                if (ratio && fixed)
                    glp_set_col_bnds (lp, num, GLP_DB, 0, people);
                else
                    glp_set_col_bnds (lp, num, GLP_LO, 0, 0);
            }
        }
    }
}

//  The rows of one version: every relation for numerators and sizes, and
//  numerator <= size where the size is not fixed.
static bool
s_rows (program_t *self, size_t v)
{
    const model_t *model = self->versions [v].model;
    for (size_t r = 0; r < model->relation_count; r++) {
        const relation_t *relation = &model->relations [r];
        if (!s_scratch (self, relation->member_count + 2))
            return false;
        for (int pass = 0; pass < 2; pass++) {
            int *const *col = pass ? self->size_col : self->num_col;
            int len = 0;
            self->ind [++len] = col [v][relation->margin];
            self->val [len] = -1;
            for (size_t k = 0; k < relation->member_count; k++) {
                self->ind [++len] = col [v][relation->members [k]];
                self->val [len] = 1;
            }
            if (relation->remainder >= 0) {
                self->ind [++len] = col [v][relation->remainder];
                self->val [len] = 1;
            }
            if (!s_add_row (self, v, (long)r, GLP_FX, len))
                return false;
        }
    }
    if (model->table->kind != DISCLOSURE_RATIO)
        return true;
    for (size_t i = 0; i < model->node_count; i++) {
        if (glp_get_col_type (self->lp, self->size_col [v][i]) == GLP_FX)
            continue;
        self->ind [1] = self->num_col [v][i];
        self->val [1] = 1;
        self->ind [2] = self->size_col [v][i];
        self->val [2] = -1;
        if (!s_add_row (self, v, -1, GLP_UP, 2))
            return false;
    }
    return true;
}

//  Free the program and everything built with it; the program_t can build
//  again (a build that ran out of memory leaves nothing half made).
void
program_release (program_t *self)
{
    if (self->lp)
        glp_delete_prob (self->lp);
    for (size_t v = 0; self->num_col && v < self->count; v++)
        free (self->num_col [v]);
    for (size_t v = 0; self->size_col && v < self->count; v++)
        free (self->size_col [v]);
    free (self->num_col);
    free (self->size_col);
    free (self->rows);
    free (self->obj);
    free (self->ind);
    free (self->val);
    free (self->binding);
    free (self->points);
    program_init (self, self->versions, self->count, self->rules, self->explain, self->problem);
}

void
program_init (program_t *self, const audit_version_t *versions, size_t count,
              const disclosure_rules_t *rules, bool explain, disclosure_problem_t *problem)
{
    *self = (program_t){.versions = versions,
                        .count = count,
                        .rules = rules,
                        .problem = problem,
                        .explain = explain};
}

void
program_unbind (program_t *self)
{
    if (self->binding)
        memset (self->binding, 0, ((size_t)self->row_count + 1) * sizeof *self->binding);
}

static cibus_err_t s_build_parts (program_t *self);

cibus_err_t
program_build (program_t *self)
{
    if (self->num_col)
        return CIBUS_OK;
    cibus_err_t rc = s_build_parts (self);
    if (rc)
        program_release (self);
    return rc;
}

static cibus_err_t
s_build_parts (program_t *self)
{
    glp_term_out (GLP_OFF);
    self->lp = glp_create_prob ();
    self->num_col = calloc (self->count, sizeof *self->num_col);
    self->size_col = calloc (self->count, sizeof *self->size_col);
    if (!self->num_col || !self->size_col || !s_scratch (self, 4))
        return s_nomem (self);
    for (size_t v = 0; v < self->count; v++) {
        size_t nodes = self->versions [v].model->node_count;
        self->num_col [v] = malloc (nodes * sizeof **self->num_col);
        self->size_col [v] = malloc (nodes * sizeof **self->size_col);
        if (!self->num_col [v] || !self->size_col [v])
            return s_nomem (self);
        s_columns (self, v);
    }
    for (size_t v = 0; v < self->count; v++)
        if (!s_rows (self, v))
            return s_nomem (self);
    if (self->explain) {
        self->binding = calloc ((size_t)self->row_count + 1, sizeof *self->binding);
        if (!self->binding)
            return s_nomem (self);
    }
    glp_adv_basis (self->lp, 0);
    size_t cols = (size_t)glp_get_num_cols (self->lp);
    self->points = malloc (S_POINTS * (cols + 1) * sizeof *self->points);
    if (!self->points)
        return s_nomem (self);
    //  The owner's values satisfy everything the reader knows: the first
    //  witness, when the owner knows them all.
    double *truth = self->points;
    bool known = true;
    for (size_t v = 0; v < self->count && known; v++) {
        const model_t *model = self->versions [v].model;
        for (size_t i = 0; i < model->node_count && known; i++) {
            const node_t *node = &model->nodes [i];
            known = node->size_known && node->num_known;
            truth [self->num_col [v][i]] = node->num;
            truth [self->size_col [v][i]] = (double)node->size;
        }
    }
    if (known)
        self->point_count = self->point_next = 1;
    return CIBUS_OK;
}

//  Keep the program's current solution as a witness.
static void
s_witness (program_t *self)
{
    size_t cols = (size_t)glp_get_num_cols (self->lp);
    double *point = self->points + self->point_next * (cols + 1);
    for (size_t col = 1; col <= cols; col++)
        point [col] = glp_get_col_prim (self->lp, (int)col);
    self->point_next = (self->point_next + 1) % S_POINTS;
    if (self->point_count < S_POINTS)
        self->point_count++;
}

//  The least and greatest value of an objective over the witnesses: an
//  inner bound of its range (+-HUGE_VAL reversed when there is none).
void
program_witnessed (const program_t *self, const program_terms_t *objective, double *low,
                   double *high)
{
    *low = HUGE_VAL;
    *high = -HUGE_VAL;
    if (!self->points)
        return;
    size_t cols = (size_t)glp_get_num_cols (self->lp);
    for (size_t k = 0; k < self->point_count; k++) {
        const double *point = self->points + k * (cols + 1);
        double value = 0;
        for (size_t t = 0; t < objective->count; t++)
            value += objective->terms [t].coef * point [objective->terms [t].col];
        *low = fmin (*low, value);
        *high = fmax (*high, value);
    }
}

//  The extreme of an objective over the program: +-HUGE_VAL when the
//  reader cannot bound it.
cibus_err_t
program_solve (program_t *self, bool maximize, const program_terms_t *objective, double *value)
{
    if (!self->num_col) {
        cibus_err_t rc = program_build (self);
        if (rc)
            return rc;
    }
    glp_prob *lp = self->lp;
    for (size_t k = 0; k < self->obj_count; k++)
        glp_set_obj_coef (lp, self->obj [k], 0);
    self->obj_count = 0;
    if (self->obj_alloc < objective->count) {
        int *obj = realloc (self->obj, objective->count * sizeof *obj);
        if (!obj)
            return s_nomem (self);
        self->obj = obj;
        self->obj_alloc = objective->count;
    }
    for (size_t k = 0; k < objective->count; k++) {
        int col = objective->terms [k].col;
        glp_set_obj_coef (lp, col, glp_get_obj_coef (lp, col) + objective->terms [k].coef);
        self->obj [self->obj_count++] = col;
    }
    glp_set_obj_dir (lp, maximize ? GLP_MAX : GLP_MIN);
    glp_smcp parm;
    glp_init_smcp (&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;
    int rc = glp_simplex (lp, &parm);
    if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND) {
        //  The last basis went bad; start from a fresh one.
        glp_std_basis (lp);
        rc = glp_simplex (lp, &parm);
    }
    const disclosure_table_t *table = self->versions [0].model->table;
    char id [200];
    if (rc)
        return model_problem (self->problem, CIBUS_ERR_USAGE, DISCLOSURE_NO_CELL,
                              "%s: the audit's linear program failed (GLPK error %d)",
                              model_table_id (table, id, sizeof id), rc);
    int status = glp_get_status (lp);
    if (status == GLP_UNBND) {
        *value = maximize ? HUGE_VAL : -HUGE_VAL;
        return CIBUS_OK;
    }
    if (status != GLP_OPT)
        return model_problem (self->problem, CIBUS_ERR_BAD_FIELD, DISCLOSURE_NO_CELL,
                              "%s: what was published contradicts itself: "
                              "no values fit every cell shown",
                              model_table_id (table, id, sizeof id));
    *value = glp_get_obj_val (lp);
    s_witness (self);
    if (self->binding)
        for (int row = 1; row <= self->row_count; row++)
            if (fabs (glp_get_row_dual (lp, row)) > S_DUAL_EPS)
                self->binding [row] = true;
    return CIBUS_OK;
}

void
disclosure_thread_end (void)
{
    glp_free_env ();
}
