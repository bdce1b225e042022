/*  audit_internal.h - internal to disclosure/: the audit of one table's
    versions, as disclosure_decide uses it to prove (and mend) a pattern
    and disclosure_audit_run to report.                                   */

#ifndef CIBUS_DISCLOSURE_AUDIT_INTERNAL_H_INCLUDED
#define CIBUS_DISCLOSURE_AUDIT_INTERNAL_H_INCLUDED

#include "audit.h"
#include "model.h"

//  One version of a table as a reader received it.
typedef struct {
    const model_t *model;
    const disclosure_mark_t *marks; /* one per node; a remainder's is not read */
    size_t view;                    /* the caller's index, for reports */
} audit_version_t;

typedef struct {
    disclosure_place_t place;
    disclosure_reason_t reason;
    size_t version;  /* index into the versions: the newer one of a change */
    size_t earlier;  /* a change's older version; = version otherwise */
    size_t node;     /* CELL, REMAINDER, CHANGE: a node of versions [version].model */
    size_t relation; /* PART: a relation of versions [version].model */
    double low;
    double high;
    double size;
    bool size_known;
    char *what;        /* only when explaining */
    char *explanation; /* only when explaining */
} audit_finding_t;

typedef struct {
    audit_finding_t *items;
    size_t count;
    size_t alloc;
    size_t cells; /* everything judged */
} audit_findings_t;

//  Audit the versions of one table, oldest first. With only >= 0, judge
//  only what involves version only (its cells, and its changes from every
//  earlier version); with first_only, stop at the first finding; with
//  explain, write each finding's what and explanation. Findings are
//  appended. Returns CIBUS_OK, BAD_FIELD (the marks contradict the
//  values), USAGE (the solver failed), NOMEM.
cibus_err_t audit_group (const audit_version_t *versions, size_t count,
                         const disclosure_rules_t *rules, long only, bool first_only, bool explain,
                         audit_findings_t *findings, disclosure_problem_t *problem);

//  Forget the findings (count 0), keeping the array.
void audit_findings_clear (audit_findings_t *self);

//  Free everything.
void audit_findings_release (audit_findings_t *self);

//  Check rules; USAGE with a message when out of range.
cibus_err_t audit_rules_check (const disclosure_rules_t *rules, disclosure_problem_t *problem);

//  Whether the owner's values make a node small: fewer than min_cell
//  people, of unknown size, or suppressed at source.
bool audit_small (const node_t *node, uint64_t min_cell);

#endif
