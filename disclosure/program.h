/*  program.h - internal to disclosure/: the linear program of one table's
    versions as a reader received them, with GLPK behind it.

    Two columns per node per version (its numerator, or value, and its
    size), bounded by what the reader saw; one row per relation for
    numerators and one for sizes, and "numerator <= size" for percents
    whose size is not fixed. The program is built on the first question
    and kept: each question only changes the objective, so the simplex
    starts from the last basis.

    Every optimum found is kept as a witness (as are the owner's values,
    which satisfy everything the reader knows): a witness is a feasible
    point, so the witnesses' extent along an objective is an inner bound
    of its range, which often settles a question without solving.        */

#ifndef CIBUS_DISCLOSURE_PROGRAM_H_INCLUDED
#define CIBUS_DISCLOSURE_PROGRAM_H_INCLUDED

#include "audit_internal.h"

struct glp_prob;

//  One term of an objective: coef times a column.
typedef struct {
    int col;
    double coef;
} program_term_t;

typedef struct {
    program_term_t *terms;
    size_t count;
    size_t alloc;
} program_terms_t;

//  What a row says, for explanations: a relation's equation of a
//  version, or (relation -1) a node's "numerator <= size".
typedef struct {
    size_t version;
    long relation;
} program_row_t;

typedef struct {
    const audit_version_t *versions;
    size_t count;
    const disclosure_rules_t *rules;
    disclosure_problem_t *problem;
    bool explain;        //  keep which rows bind each solution
    struct glp_prob *lp; //  NULL until built
    int **num_col;       //  [version][node], NULL until built
    int **size_col;
    program_row_t *rows; //  [row], from 1
    int row_alloc;
    int row_count;
    bool *binding; //  [row]: bound a solution since program_unbind (explain only)
    int *obj;      //  columns with an objective coefficient now
    size_t obj_count;
    size_t obj_alloc;
    int *ind; //  scratch for glp_set_mat_row, from 1
    double *val;
    size_t scratch;
    double *points; //  the witnesses, each a value per column, from 1
    size_t point_count;
    size_t point_next;
} program_t;

//  A program over these versions; nothing is built until it is needed.
void program_init (program_t *self, const audit_version_t *versions, size_t count,
                   const disclosure_rules_t *rules, bool explain, disclosure_problem_t *problem);

//  Free everything built; the program can be built again.
void program_release (program_t *self);

//  Build the program if it is not built. NOMEM leaves nothing half made.
cibus_err_t program_build (program_t *self);

//  The greatest (or least) value of an objective a reader can reach,
//  +-HUGE_VAL when nothing bounds it. BAD_FIELD when no values fit what
//  was shown (the marks contradict the values), USAGE when GLPK fails.
cibus_err_t program_solve (program_t *self, bool maximize, const program_terms_t *objective,
                           double *value);

//  The least and greatest value of an objective over the witnesses
//  (reversed infinities when there are none).
void program_witnessed (const program_t *self, const program_terms_t *objective, double *low,
                        double *high);

//  Forget which rows bound earlier solutions.
void program_unbind (program_t *self);

bool program_terms_add (program_terms_t *self, int col, double coef);

#endif
