/*  disclosure.h - a data table, its suppression decided once over the
    whole table, and the pattern of a correction.

    A table is one indicator, one period and one reporting unit: a total
    and any number of breakdowns, each the cells of one dimension or of a
    cross of dimensions (race=hispanic,income=low). Everything here is a
    pure function of a table and the rules - no SQL, no sockets, no wire
    types - so the broker, the replica and every export call the same
    code. The caller fills plain structs and keeps its strings; decisions
    are written into arrays the caller owns. audit.h proves a decision.

    Suppression, in the order the rules apply (disclosure_decide):

      1. Primary. A cell with fewer than min_cell people, of unknown size,
         or suppressed at source is hidden. So is the remainder of a
         breakdown - the people its cells leave out of the total - when it
         is 1 to min_cell - 1 people: it is never published, so hiding it
         means hiding one cell beside it.
      2. Coding. A percent near 0 or 100 is shown as a range ("<=5",
         ">=95") whose width depends on the size of the group, from the
         first band whose max_size is at least the cell's size. The
         defaults (DISCLOSURE_NCES_BANDS) are the recommended reporting
         rules of NCES 2011-603 (Seastrom, "Statistical Methods for
         Protecting Personally Identifiable Information in Aggregate
         Reporting", SLDS Technical Brief 3, December 2010):

             group of  10 to  20 people   <=10   >=90
                       21 to  40          <=5    >=95
                       41 to 100          <=2    >=98
                      101 to 300          <=1    >=99
                      more than 300       <=1    >=99

         The brief reports large groups to a decimal place with narrower
         ranges; the last band keeps <=1 / >=99 there, which codes at
         least as much. Check the table against the brief before relying
         on it: it is configuration, not code.
      3. Complementary, across every breakdown and cross of the table
         jointly. Each relation - the total against a breakdown's cells
         and its remainder, or a cell against the cells of a cross under
         it - has either no hidden or coded member, or at least two (a
         lone one follows by subtraction), and the hidden cells of a
         relation whose margin is shown cover at least min_cell people
         (else their sum is itself a small cell). Where a relation fails,
         the smallest shown cell of it is hidden, preferring one that also
         mends another relation. In a correction, a cell an earlier
         version showed with the same counts counts as known (a reader
         takes what did not change as it stood) and is not picked while
         a cell no version showed is there to pick.
      4. Proof. The audit (audit.h) runs over the result; while it finds
         a cell a reader can pin down, one more cell next to it is hidden.

    The decision is deterministic: the same table and rules give the same
    marks whatever the order of the cells.                                 */

#ifndef CIBUS_DISCLOSURE_H_INCLUDED
#define CIBUS_DISCLOSURE_H_INCLUDED

#include "cibus_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISCLOSURE_MIN_CELL_DEFAULT 10   /* the usual minimum cell size in public reporting */
#define DISCLOSURE_RATIO_PROTECTION 0.5  /* a small hidden cell's range: at least half its size */
#define DISCLOSURE_VALUE_PROTECTION 0.10 /* a small hidden value's range: at least +-10 % */
#define DISCLOSURE_MAX_DIMENSIONS   64   /* dimensions of one indicator */

/* A cell index in a problem or a finding that is not a cell. */
#define DISCLOSURE_TOTAL   (-1L)
#define DISCLOSURE_NO_CELL (-2L)

typedef enum {
    DISCLOSURE_RATIO, /* percent or rate: numerator/denominator; size = the denominator */
    DISCLOSURE_VALUE, /* count or amount: a value with n; size = n. The value must add
                         up across cells: a mean (a score) is passed as its sum, mean * n */
} disclosure_kind_t;

/* One dimension of the indicator, as the catalogue lists it. */
typedef struct {
    const char *name;              /* "race" */
    const char *const *categories; /* "asian", "black", ... */
    size_t category_count;
} disclosure_dimension_t;

/* One category of one dimension: race=asian. */
typedef struct {
    const char *dimension;
    const char *category;
} disclosure_coord_t;

/* A cell: its categories, one per dimension of its breakdown, and its
   counts. A cell suppressed at source (a '*' in a state file) carries no
   numerator or value, and its size (denominator or n) only if known.     */
typedef struct {
    const disclosure_coord_t *coords; /* none for the total */
    size_t coord_count;
    bool suppressed;
    bool has_numerator; /* RATIO */
    uint64_t numerator;
    bool has_denominator; /* RATIO */
    uint64_t denominator;
    bool has_value; /* VALUE: not negative */
    double value;
    bool has_n; /* either kind; for RATIO it must equal the denominator */
    uint64_t n;
} disclosure_cell_t;

/* A table. indicator, period and unit name it in messages, and the audit
   takes the views that agree on all three for versions of one table
   (unit may be NULL). dimensions is the catalogue's list for the
   indicator: a cell may use only these categories.                       */
typedef struct {
    const char *indicator;
    const char *period;
    const char *unit;
    disclosure_kind_t kind;
    const disclosure_dimension_t *dimensions;
    size_t dimension_count;
    disclosure_cell_t total;
    const disclosure_cell_t *cells;
    size_t cell_count;
} disclosure_table_t;

/* Why a table or a request was refused: the code, the cell it names (an
   index into table->cells, DISCLOSURE_TOTAL or DISCLOSURE_NO_CELL), and
   one line for a person.                                                 */
typedef struct {
    cibus_err_t code;
    long cell;
    char message [256];
} disclosure_problem_t;

/* Check a table. Refused (BAD_FIELD), each naming the cell: a total with
   categories; a cell with none, naming a dimension twice, of a dimension
   or a category the catalogue does not list, or whose category the
   catalogue also lists under another dimension the table uses (its people
   would be counted twice); a cell given twice; a percent or rate without
   numerator and denominator, a numerator above its denominator, an n that
   disagrees with the denominator, a size of 0; a value missing, negative
   or not a number; a cell suppressed at source that carries a value; a
   cross cell whose one-dimensional margin is missing from a breakdown the
   table has; and cells whose sizes (or numerators, or values) add up to
   more than their total or margin, or leave more of the numerator than
   people to the remainder. For example:
       "cell race=asian: 7/6 has a numerator above its denominator"
       "cell race=asian: n 38 disagrees with its denominator 4"
       "cell race=white: the cells of race add up to 420 people, more than the 410 of the total"
   problem may be NULL.                                                   */
cibus_err_t disclosure_table_check (const disclosure_table_t *table, disclosure_problem_t *problem);

/* One band of coding: a percent of a group of at most max_size people is
   shown as "<=low" when at or below low, ">=high" when at or above high. */
typedef struct {
    uint64_t max_size;
    double low;
    double high;
} disclosure_band_t;

/* The NCES 2011-603 bands above, in increasing max_size. */
extern const disclosure_band_t DISCLOSURE_NCES_BANDS [5];

/* The shapes of the tables a thread decided last - a shape is what of a
   table its equations are made of: the catalogue's dimensions and
   categories, in order, and each cell's categories, in the order given -
   with the equations, keys and names made of each. A table of a shape
   held is decided from it, its counts checked and summed anew; the
   decision is the same as without one. Used by one thread at a time;
   every model made from it is freed before it is.                        */
typedef struct disclosure_shapes_s disclosure_shapes_t;

disclosure_shapes_t *disclosure_shapes_new (void);
void disclosure_shapes_destroy (disclosure_shapes_t **self_p);

typedef struct {
    uint64_t min_cell;       /* a cell of fewer people is small (default 10; at least 1) */
    bool complement;         /* steps 3 and 4; false only to show what naive suppression leaks */
    bool show_hidden_sizes;  /* a hidden cell still shows its size (default false) */
    double ratio_protection; /* a small cell's range must span this part of its size (0.5) */
    double value_protection; /* a small value's range must reach this part of it each side (0.1) */
    const disclosure_band_t *bands; /* in increasing max_size; NULL (with 0) codes nothing */
    size_t band_count;
    disclosure_shapes_t *shapes; /* NULL, or the shapes deciding keeps and reuses */
} disclosure_rules_t;

/* The defaults: min_cell 10, complementary suppression on, hidden sizes
   not shown, protection 0.5 and 0.1, the NCES bands, no shapes held.     */
void disclosure_rules_default (disclosure_rules_t *rules);

typedef enum {
    DISCLOSURE_SHOWN = 0,
    DISCLOSURE_HIDDEN_PRIMARY,    /* small, of unknown size, or suppressed at source */
    DISCLOSURE_HIDDEN_COMPLEMENT, /* hidden so that another cannot be worked out */
    DISCLOSURE_CODED,             /* the percent is shown as [low, high] only */
} disclosure_state_t;

typedef struct {
    disclosure_state_t state;
    bool size_shown; /* the size (denominator or n) is shown: always when SHOWN or CODED */
    double low;      /* CODED: the percent shown is in [low, high]: [0, 5] is "<=5" */
    double high;
} disclosure_mark_t;

/* What readers other than the owner and the backbone see of a table. */
typedef struct {
    disclosure_mark_t total;
    disclosure_mark_t *cells; /* the caller's array, one per table cell, in the table's order */
} disclosure_decision_t;

/* Decide a table's suppression (above). Checks the table first (a refusal
   is returned as disclosure_table_check returns it). Writes every mark of
   decision; decision->cells must hold table->cell_count marks. Returns
   CIBUS_OK, BAD_FIELD, USAGE for rules out of range, or NOMEM.           */
cibus_err_t disclosure_decide (const disclosure_table_t *table, const disclosure_rules_t *rules,
                               disclosure_decision_t *decision, disclosure_problem_t *problem);

/* A table as a reader received it: its values and the decision that
   masked them.                                                           */
typedef struct {
    const disclosure_table_t *table;
    const disclosure_decision_t *decision;
} disclosure_view_t;

/* Decide the next version of a table, given every earlier version a
   reader may have received, oldest first. The rule, kept simple so that
   it is safe:
     - a cell hidden in any earlier version stays hidden, and one coded
       stays coded (or is hidden when its value left the band);
     - the change between two versions is a table too: the difference of
       every cell, and of every relation's part not shown in both
       versions, is judged like a cell - a change of 1 to min_cell - 1
       people (a late-enrolled pupil) must not follow from what is shown -
       and where it would, the changed cell (of two shown totals that
       differ by a few people, the newer total) is hidden in the newer
       version, with its complements;
     - only the new version's marks change: what was sent stays sent.
   Otherwise as disclosure_decide. Earlier versions are checked as tables;
   a view of another indicator, period or unit is refused (USAGE).        */
cibus_err_t disclosure_decide_correction (const disclosure_view_t *earlier, size_t earlier_count,
                                          const disclosure_table_t *table,
                                          const disclosure_rules_t *rules,
                                          disclosure_decision_t *decision,
                                          disclosure_problem_t *problem);

/* How a mark reads: "" for SHOWN, "*" for a hidden cell, "<=5" or ">=95"
   for a coded one (the bound as %g). Returns buffer.                     */
const char *disclosure_mark_text (const disclosure_mark_t *mark, char *buffer, size_t size);

/* Free what deciding left in the calling thread: GLPK keeps an environment
   per thread, which a thread other than the main one must free before it
   ends. Deciding again in the thread afterwards is allowed. */
void disclosure_thread_end (void);

#endif
