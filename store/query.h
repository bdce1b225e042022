/*  query.h - the questions the backbone and partners ask of the
    projections, answered as tables.

    Every answer applies the asker's read access (a partner sees its
    networks; the backbone everything; an integrator nothing) and the
    suppression decided for each table when it was appended (a hidden
    value shows as the text "*", a coded one as "<=5" or ">=95"; the
    owner of a table and the backbone see it whole). The result is a store_answer_t, which the broker
    encodes for the wire and frees with store_answer_free.

    Kinds and their tables (columns in this order):
      indicators   "indicators": indicator, name, unit, direction, period,
                   min, max, dimensions, baseline, targets, networks, version
                   (the definitions in force, by id; the catalogue is every
                   partner's to read)
      values       "values of <id>": period, group, partner, value, n, status,
                   target, change   (Query.indicator required; Query.by
                   breaks down by one dimension; the total's group is "all";
                   rows by period, the total first, then groups, partners;
                   change = value minus the same partner's and group's value
                   in the previous period reported, "*" when either is
                   hidden; target = the first target at or after the period,
                   else the last one)
      commitments  "commitments": id, owner, network, action, due, status,
                   updated, overdue  (Query.owner, Query.overdue filter;
                   by due date)
      notes        "notes": held_on, partner, network, title, decisions
                   (Query.since filters; decisions joined by "; "; a note
                   without held_on was held the day it arrived)
      report       several tables: "submissions for <period>" (partner,
                   network, submitted yes/no, values: one row per network of
                   each registered partner of role partner, counting the
                   current values whose period lies within the report's:
                   a school year (July to June) covers its quarters, months
                   and dates); "commitments needing attention" (overdue or
                   at-risk: id, owner, action, due, status, overdue);
                   "indicators" (per indicator: the latest period's value
                   pooled over every unit, its n, 95 % Wilson interval and
                   units pooled; the change from the previous period and
                   since the baseline's, of the units in both, with
                   Newcombe's interval and a verdict - improving or
                   worsening only beyond noise; the target and the status
                   against it);
                   "gaps" (indicator, dimension, highest group, highest
                   value, lowest group, lowest value, gap: per dimension, the
                   widest gap between one partner's visible groups in the
                   latest period with groups); "gap series" (per indicator
                   and dimension, period by period: the highest and lowest
                   pooled groups the reader may see, the gap, its change
                   since the period before with its interval, narrowing or
                   widening only beyond noise); "proof point" (clearly
                   improving, clearly worsening, no clear change, not judged,
                   of); "meetings" (held_on,
                   partner, title, decisions: the notes held within the
                   period). Query.period is required.
      partners     "partners": partner, network, key (each partner of role
                   partner in the networks the reader reads)
      brightspots  "with and without <practice>" (group: with, without,
                   difference; units, value, n, low, high, verdict: the
                   units with the practice throughout the period against
                   the others, pooled, and their difference with Newcombe's
                   interval); "caution" (that it is a comparison, not a
                   controlled study); "before and after <practice>" (unit,
                   since, before period, before value, before n, after
                   period, after value, after n, change, change low, change
                   high, verdict). Query.indicator, practice and period are
                   required (brightspots.c)                               */

#ifndef CIBUS_QUERY_H_INCLUDED
#define CIBUS_QUERY_H_INCLUDED

#include "codec.h"
#include "store.h"

/* An answer: tables of rows of cells, in the store's own structs (the
   broker encodes them for the wire as a QueryReply). A cell holds a text
   (a suppressed value is "*"), a number, or neither (empty). */
typedef struct {
    char *text;
    bool has_number;
    double number;
} store_cell_t;

typedef struct {
    size_t n_cells;
    store_cell_t **cells;
} store_row_t;

typedef struct {
    char *title;
    size_t n_columns;
    char **columns;
    size_t n_rows;
    store_row_t **rows;
} store_table_t;

typedef struct {
    size_t n_tables;
    store_table_t **tables;
} store_answer_t;

/* Answer a query for a reader. today is YYYY-MM-DD (Query.today wins when
   set; with neither, today in UTC). On a bad query (unknown kind, missing
   indicator, bad date) returns BAD_FIELD or NOT_FOUND with problem filled;
   an integrator, or a partner naming a network it is not in, FORBIDDEN.
   *answer is the caller's, to free with store_answer_free. */
cibus_err_t store_query (store_t *self, const Cibus__Query *query,
                         const store_partner_t *reader, const char *today,
                         store_answer_t **answer, codec_problem_t *problem);

void store_answer_free (store_answer_t *answer);

/* The answer as the wire's QueryReply, for the broker to send and for a
   replica's offline answers to be rendered like the broker's: containers
   of its own whose strings are the answer's (borrowed: free the reply
   with store_answer_reply_free before the answer). NULL when out of
   memory. */
Cibus__QueryReply *store_answer_reply (const store_answer_t *answer);
void store_answer_reply_free (Cibus__QueryReply *reply);

#endif
