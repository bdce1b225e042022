/*  query.h - the questions the backbone and partners ask of the
    projections, answered as tables.

    Every answer applies the asker's read access (a partner sees its
    networks; the backbone everything; an integrator nothing) and
    small-cell suppression (store_must_suppress: a suppressed value shows
    as the text "*"). The result is a Cibus__QueryReply the caller sends
    as is and frees with store_query_free.

    Kinds and their tables (columns in this order):
      indicators   "indicators": indicator, name, unit, direction, period,
                   min, max, dimensions, baseline, targets, networks, version
      values       "values of <id>": period, group, partner, value, n, status,
                   target, change   (Query.indicator required; Query.by
                   breaks down by one dimension; the total's group is "all";
                   change = value minus the same partner's and group's value
                   in the previous period reported)
      commitments  "commitments": id, owner, network, action, due, status,
                   updated, overdue  (Query.owner, Query.overdue filter)
      notes        "notes": held_on, partner, network, title, decisions
                   (Query.since filters)
      report       several tables: "submissions for <period>" (partner,
                   network, submitted yes/no, values); "commitments needing
                   attention" (overdue or at-risk: id, owner, action, due,
                   status, overdue); "indicators" (indicator, latest period,
                   value, baseline, target, direction of travel: better,
                   worse, flat, or "-" without two periods; right way yes/no);
                   "gaps" (indicator, dimension, highest group, value,
                   lowest group, value, gap); "proof point" (indicators
                   moving the right way, of, share); "meetings" (held_on,
                   partner, title, decisions).                             */

#ifndef CIBUS_QUERY_H_INCLUDED
#define CIBUS_QUERY_H_INCLUDED

#include "codec.h"
#include "store.h"

/* Answer a query for a reader. today is YYYY-MM-DD (Query.today wins when
   set). On a bad query (unknown kind, missing indicator, bad date) returns
   BAD_FIELD or NOT_FOUND with problem filled. */
cibus_err_t store_query (store_t *self, const Cibus__Query *query,
                         const store_partner_t *reader, const char *today,
                         Cibus__QueryReply **reply, codec_problem_t *problem);

void store_query_free (Cibus__QueryReply *reply);

#endif
