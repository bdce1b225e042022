/*  query_internal.h - what query.c, report.c and brightspots.c share: one
    answer being built, its table builder, read access and the current
    values of an indicator as one reader may see them. Not for callers.  */

#ifndef CIBUS_QUERY_INTERNAL_H_INCLUDED
#define CIBUS_QUERY_INTERNAL_H_INCLUDED

#include "measure.h"
#include "query.h"
#include "store_internal.h"

//  A date YYYY-MM-DD and its terminator, with room to spare for snprintf.
#define QUERY_DATE_SIZE 24

typedef struct {
    store_t *store;
    const Cibus__Query *query;
    const store_partner_t *reader;
    const char *network; /* Query.network, or NULL for every readable one */
    char today [QUERY_DATE_SIZE];
    int min_cell;
    store_answer_t *reply;
    bool nomem; /* an allocation failed, or the answer is full: it is dropped */
    bool full;  /* the answer grew past the frame limit while it was built */
    size_t bytes; /* what the answer will take on the wire, near enough */
} query_t;

//  The table builder. Each call appends to the answer; when memory runs out
//  it sets q->nomem and returns NULL, and a NULL table or row makes later
//  calls do nothing, so callers need not check every step.
store_table_t *query_table (query_t *q, const char *title, const char *const *columns,
                           size_t count);
store_row_t *query_row (query_t *q, store_table_t *table);
void query_text (query_t *q, store_row_t *row, const char *text);
void query_number (query_t *q, store_row_t *row, double number);
//  A cell with neither text nor number: nothing to show.
void query_empty (query_t *q, store_row_t *row);
//  The number when has, else an empty cell.
void query_number_or_empty (query_t *q, store_row_t *row, bool has, double number);

//  A cell of the decisions of the note at seq, joined with "; ", from the
//  JSON array the notes table keeps. Returns SQLITE_ROW, or the failing
//  step's code.
int query_decisions (query_t *q, store_row_t *row, int64_t seq);

//  Whether a commitment due then, in this status, is overdue at the
//  query's today (Query.today, else the broker's date): the one rule of
//  "overdue" for every kind and table that shows it.
bool query_overdue (const query_t *q, const char *due, int status);

//  Whether the reader may see entries of a network (and the query asked for
//  it, when it named one).
bool query_reads (const query_t *q, const char *network);

//  Whether an indicator is used in a network the reader may see.
bool query_indicator_visible (const query_t *q, const Cibus__IndicatorDefinition *def);

//  The target in force for a period: the first target at or after it, else
//  the last one. NULL period: the first target. False without targets.
bool query_target (const Cibus__IndicatorDefinition *def, const char *period, double *value);

//  The same, as the milestone (its period too); NULL without targets.
const Cibus__Milestone *query_target_milestone (const Cibus__IndicatorDefinition *def,
                                                const char *period);

//  The first and last day a period covers, as YYYY-MM-DD texts that compare
//  in date order: a school year runs from July to June, and every month
//  ends on its "31st" so that one rule serves months of any length. False
//  when the text is no period.
bool query_period_range (const char *period, char *start, char *end);

//  Round away the binary noise of a difference (61.65 - 60.1).
double query_round (double number);

//  One current value of an indicator, as the reader sees it.
typedef struct {
    int64_t seq;
    char *partner, *network, *period;
    char *dim_key, *dim_value; /* NULL for the total */
    bool has_value;
    double value;
    bool has_n;
    uint64_t n;
    bool has_counts; /* a percent or rate's numerator and denominator */
    double numerator, denominator;
    int status;
    bool hidden; /* its value is not for this reader: hidden, or coded */
    bool coded;  /* shown to this reader only as a range of percent [low, high] */
    double low, high;
} query_value_t;

//  Whether the reader sees a table of this owner whole: its owner and the
//  backbone do.
bool query_sees_whole (const query_t *q, const char *owner);

//  How the reader sees a cell, from its stored decision (mark, low, high,
//  size_shown): sets value->hidden, coded, low, high, and clears the size
//  when it is not shown. current false is a superseded version: only
//  those who see the table whole get its values.
void query_value_disclose (const query_t *q, query_value_t *value, int mark, double low,
                           double high, bool size_shown, bool current);

//  The value of a cell in a row: the number, "*" when hidden, "<=5" or
//  ">=95" when coded (in the indicator's scale: a rate's range is 0..1).
void query_value_cell (query_t *q, store_row_t *row, const query_value_t *value, int unit);

typedef struct {
    query_value_t *items;
    size_t count;
} query_values_t;

//  Free one value's strings (query_values_release does it for all).
void query_value_release (query_value_t *value);

typedef enum {
    QUERY_CELLS_TOTALS, /* the totals only */
    QUERY_CELLS_BY,     /* the totals and the cells of one dimension */
    QUERY_CELLS_SINGLE  /* every cell of exactly one dimension, no totals */
} query_cells_t;

//  The current values of an indicator in the networks the reader may see,
//  in no particular order. by names the dimension for QUERY_CELLS_BY.
cibus_err_t query_values_read (query_t *q, const char *indicator, query_cells_t cells,
                               const char *by, query_values_t *out);
void query_values_release (query_values_t *values);

//  ------------------------------------------------------------ pooling (pool.c)

//  One group's figure (a total when group is NULL) in one period, pooled
//  over the units that reported it: Σ numerators / Σ denominators for a
//  percent or a rate, the mean weighted by n for a score, the sum for a
//  count or an amount.
typedef struct {
    size_t units, pooled; /* reported, and with a value to pool */
    bool hidden;          /* one is hidden from the reader: so is the pool */
    bool proportion;      /* every pooled unit gave its counts: intervals apply */
    double num, den;      /* a percent or rate's sums */
    double sum, n;        /* Σ value (× n for a score) and Σ n */
    bool n_known;
} query_pool_t;

//  How many changes were judged each way (the report's proof point).
typedef struct {
    size_t improving, worsening, unclear, not_judged;
} query_verdicts_t;

bool query_is_proportion (int unit);

//  Pool the values of one group of key (NULL group: the totals) in one
//  period; of the units that have the same group in other too, when other
//  is given (a change compares the same units).
void query_pool_of (const query_values_t *values, const char *period, const char *other,
                    const char *key, const char *group, int unit, query_pool_t *pool);

//  The pooled value, in the indicator's scale; false when there is none to
//  show (hidden from the reader, or nothing pooled).
bool query_pool_value (const query_pool_t *pool, int unit, double *value);

//  The cells of a pool: its value and n and, when interval is set, the
//  95 % Wilson interval of a percent or rate (empty for other units); each
//  "*" when the pool is hidden from the reader, empty when there is
//  nothing to show.
void query_pool_cells (query_t *q, store_row_t *row, const query_pool_t *pool, int unit,
                       bool interval);

//  A cell naming the units that reported the group in only one of the
//  periods a and b, each as "unit (period)", joined by "; ".
void query_unmatched_cell (query_t *q, store_row_t *row, const query_values_t *values,
                           const char *key, const char *group, const char *a, const char *b);

//  Four cells for the change of a group's pooled value from earlier to
//  later, of the units in both: the change, its 95 % interval (Newcombe's,
//  for a percent or rate) and the verdict - improving or worsening only
//  when the interval excludes zero, "no clear change", "not judged" (no
//  spread known), "-" (nothing to compare) or "*" throughout when a value
//  in it is hidden from the reader. Counts the verdict when count is set.
void query_change_cells (query_t *q, store_row_t *row, const query_values_t *values,
                         const Cibus__IndicatorDefinition *def, const char *key,
                         const char *group, const char *later, const char *earlier,
                         query_verdicts_t *count);

//  The definition in force of the query's indicator (the caller frees
//  *env with codec_envelope_free): STORE, or NOT_FOUND naming it, with
//  problem filled.
cibus_err_t query_catalogue_indicator (query_t *q, envelope_t **env,
                                       codec_problem_t *problem);

//  Fill problem for a store failure; returns CIBUS_ERR_STORE.
cibus_err_t query_store_problem (codec_problem_t *problem);

//  The report kind (report.c).
cibus_err_t query_report (query_t *q, codec_problem_t *problem);

//  The brightspots kind: the units with a practice against those without,
//  and each of them before and after (brightspots.c).
cibus_err_t query_brightspots (query_t *q, codec_problem_t *problem);

//  The report's decisions table: the decisions of the meetings held from
//  start to end (YYYY-MM-DD, both included) in the networks the reader
//  reads, each with the commitments that came from it
//  (report_decisions.c).
cibus_err_t query_report_decisions (query_t *q, const char *start, const char *end);

#endif
