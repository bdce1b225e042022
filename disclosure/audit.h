/*  audit.h - the disclosure audit: how narrowly everything one reader
    received pins down each cell it was not shown.

    Given the views a reader received (every version of every table, each
    with the decision that masked it), the audit writes, per table, one
    linear program over the quantities the reader does not see - the
    numerators and sizes of hidden cells, coded cells, remainders - with
    every equation the reader can write: the total against each breakdown,
    each cell against the cross cells under it, coded ranges, sizes shown,
    a numerator between 0 and its size. Versions of a table are blocks of
    the same program. For each quantity it asks GLPK's simplex for the
    least and the greatest value the reader can reach, reusing one program
    per table and changing only the objective, and judges:

      - any cell hidden or coded, and any remainder, is exposed when its
        numerator is pinned to 0 (no one passed) or to its size (everyone
        did);
      - a small one (fewer than min_cell people, of unknown size, or
        suppressed at source) is also exposed when its range is narrower
        than its protection: for a percent or rate ceil(0.5 * size) (a
        hidden 3 of 6 must range over at least 3 values), for a count or
        amount +-10 % of its value (and never a single value);
      - a cell shown with fewer than min_cell people is exposed as it is;
      - the change between two versions of a cell, and of each relation's
        part not shown in both versions (its margin less the cells shown
        in both), is judged as a cell of its own whose size is the change
        of size: a change of 1 to min_cell - 1 people is small. A change
        that leaves the size as it was is not judged (it moves results
        within a group the reader cannot single out). A small change of a
        count or amount needs a range as wide as +-10 % of it, wherever
        the range lies: an earlier version shown whole may bound it on one
        side, which no later pattern can undo.
    A large cell hidden only as a complement needs no range of its own:
    its rate may be narrowed, no one in it is identified.

    The program is the LP relaxation, what tau-ARGUS audits: the interval
    is the one a reader computes with linear algebra and bounds. Bounds
    are rounded inward to whole people for percents and rates, as a reader
    who knows they are counts would; on one- and two-dimensional tables
    the relaxation's vertices are whole numbers, so this is the range an
    attacker with integer programming gets too. On deeper crosses an
    integer attacker may get a little narrower.

    The reader is assumed to know what the marks say: a cell hidden as
    small has 1 to min_cell - 1 people, a complement at least min_cell,
    and a remainder exists when it does.                                   */

#ifndef CIBUS_DISCLOSURE_AUDIT_H_INCLUDED
#define CIBUS_DISCLOSURE_AUDIT_H_INCLUDED

#include "disclosure.h"

typedef enum {
    DISCLOSURE_EXPOSED_SHOWN_SMALL, /* shown although fewer than min_cell people */
    DISCLOSURE_EXPOSED_NONE,        /* the numerator can only be 0: no one passed */
    DISCLOSURE_EXPOSED_ALL,         /* the numerator can only be the size: everyone passed */
    DISCLOSURE_EXPOSED_NARROW,      /* a small cell's range is narrower than its protection */
} disclosure_reason_t;

typedef enum {
    DISCLOSURE_AT_CELL,      /* a cell or the total of one version */
    DISCLOSURE_AT_REMAINDER, /* the people a relation's cells leave out of its margin */
    DISCLOSURE_AT_CHANGE,    /* the change of a cell between two versions */
    DISCLOSURE_AT_PART,      /* the change of the part of a relation not shown in both versions */
} disclosure_place_t;

/* One exposed cell. */
typedef struct {
    size_t view;         /* index into the views of its run (the newer version of a change) */
    size_t earlier_view; /* a change's older version; = view otherwise */
    long cell;           /* DISCLOSURE_TOTAL, a cell index, or DISCLOSURE_NO_CELL */
    disclosure_place_t place;
    disclosure_reason_t reason;
    double low; /* the range of the numerator (or value, or change) a reader can work out */
    double high;
    double size;      /* its size (or change of size), as the owner knows it */
    bool size_known;  /* false for a cell the owner cannot size either (a '*' without size) */
    const char *what; /* "k3 2026-Q3 eastside: cell race=asian of version 2" */
    const char *explanation; /* the range and the equations that give it */
} disclosure_exposed_t;

typedef struct _disclosure_audit_t disclosure_audit_t;

/* An audit with these rules (copied; the bands must outlive the audit).
   NULL rules are the defaults. Returns NULL when out of memory or when
   the rules are out of range.                                            */
disclosure_audit_t *disclosure_audit_new (const disclosure_rules_t *rules);

void disclosure_audit_destroy (disclosure_audit_t **self_p);

/* Audit what one reader received: views of any number of tables, in the
   order received (the versions of one table oldest first; a view is a
   version of the table of the views before it with the same indicator,
   period and unit). Findings and counts add up over runs, so a long log
   can be audited one table at a time. Returns CIBUS_OK (whether or not
   anything is exposed), BAD_FIELD for a table that does not check or a
   decision that contradicts its table (the message names it), USAGE when
   the solver fails, NOMEM.                                               */
cibus_err_t disclosure_audit_run (disclosure_audit_t *self, const disclosure_view_t *views,
                                  size_t view_count, disclosure_problem_t *problem);

/* How many exposed cells the runs found, and each of them. */
size_t disclosure_audit_exposed_count (const disclosure_audit_t *self);
const disclosure_exposed_t *disclosure_audit_exposed (const disclosure_audit_t *self, size_t index);

/* How many views (tables as received) and cells the runs checked: every
   hidden, coded, remainder and change judged, and every shown cell.     */
size_t disclosure_audit_tables (const disclosure_audit_t *self);
size_t disclosure_audit_cells (const disclosure_audit_t *self);

#endif
