/*  measure.h - shared measurement over the log: the indicator catalogue,
    the rules a data submission or a commitment update must keep, the
    projections that answer queries, and small-cell suppression.

    Projections are tables derived from the log and kept in the same
    transaction as the append (store_project is called inside the batch),
    so they never disagree with it: the latest definition of each
    indicator, every data value with its history, the state of each
    commitment, the notes and their decisions. They can always be rebuilt
    from the log.

    Everything here is judged against what the open transaction sees: an
    update may follow its commitment, and a submission the definition of
    its indicator, in the same batch.                                      */

#ifndef CIBUS_MEASURE_H_INCLUDED
#define CIBUS_MEASURE_H_INCLUDED

#include "codec.h"
#include "store.h"

#define MEASURE_MIN_CELL_DEFAULT 10 /* the usual minimum cell size in public reporting */
#define MEASURE_MIN_CELL_LOW     1
#define MEASURE_MIN_CELL_HIGH    100

/* Check an entry against the catalogue and the commitments before it is
   appended, for a publisher of this role (structure was checked by the
   codec, access by the broker). For a data submission whose value is
   absent, derives it from numerator and denominator (writes env->data:
   pack env after this call, so the log keeps the derived value).
   Returns CIBUS_OK, or the refusal with its field and reason:
     - data (BAD_FIELD): indicator unknown or not used in the topic's
       network (data.indicator); period not of the indicator's kind
       (data.period); a dimension the indicator does not allow
       (data.dimensions); a zero denominator for a percent or rate
       (data.denominator); no value for a count, score or currency, or a
       value that disagrees with numerator/denominator for a percent or
       rate by more than rounding to a tenth of a percent, or outside
       [min, max] (data.value). Without min or max a percent is within
       [0, 100], a rate [0, 1] and a count not negative;
     - commitment (EXISTS, id): its id already names another partner's
       commitment in the same network (a commitment is named by network
       and id);
     - update: no such commitment in the update's network, or one in a
       network the publisher may not read (store_may_read), in the same
       words for both (NOT_FOUND, update.commitment_id); publisher neither
       its owner nor the backbone (FORBIDDEN, update.commitment_id);
       commitment already done or dropped (BAD_FIELD, update.status);
     - indicator definition: published by anyone but the backbone
       (FORBIDDEN, indicator).
   A failure of the store itself is CIBUS_ERR_STORE, with a message.     */
cibus_err_t store_check_entry (store_t *self, envelope_t *env, const store_partner_t *publisher,
                               codec_problem_t *problem);

/* Whether reader may read what lives in network: the backbone every
   network, a partner its own networks and CODEC_CATALOG_NETWORK, an
   integrator none. The one rule of read access for queries and for what a
   refusal may reveal. */
bool store_may_read (const store_partner_t *reader, const char *network);

/* Bring the projections up to date with an entry just appended in the
   open batch (env carries its seq, partner, topic, received_at). */
cibus_err_t store_project (store_t *self, const envelope_t *env);

/* Append one published entry inside the open batch: the one append path,
   the broker's and every test's. In order: the (publisher, id) lookup (a
   duplicate sets *duplicate and *seq to the first entry's and stops there),
   the rules of store_check_entry (a refusal returns its code with problem
   filled: nothing was added and the batch goes on), the stamps (partner,
   seq, received_at) into env, one encoding into buf, the insert and the
   projections. CIBUS_ERR_STORE fails the batch. env->partner is the
   caller's again on return (it points at publisher->name meanwhile). The
   structure of env was checked before (codec_validate_envelope). */
cibus_err_t store_append (store_t *self, envelope_t *env, const store_partner_t *publisher,
                          int64_t received_at, codec_buf_t *buf, uint64_t *seq, bool *duplicate,
                          codec_problem_t *problem);

//  ------------------------------------------------------------ config

/* Settings of the initiative, kept in the database: "min-cell", a whole
   number from MEASURE_MIN_CELL_LOW to MEASURE_MIN_CELL_HIGH. An unknown key
   or a bad value is BAD_FIELD with a message for the operator in error (of
   size bytes; may be NULL). */
cibus_err_t store_config_set (store_t *self, const char *key, const char *value,
                              char *error, size_t size);
/* The value of a setting (copied into value), or its default; NOT_FOUND
   for a key that is no setting. */
cibus_err_t store_config_get (store_t *self, const char *key, char *value, size_t size);

/* The minimum cell size in force. */
int store_min_cell (store_t *self);

//  ------------------------------------------------------------ suppression

/* Whether the data entry must reach this reader suppressed: never for the
   backbone or the partner that submitted it; otherwise when its size (n,
   or the denominator) is below the minimum cell size, or unknown for a
   cell of a breakdown; when it is hidden to protect a small cell of its
   group (same submitter, indicator, period and single dimension key: the
   small cells, then the smallest others until at least two cells and
   min-cell people are hidden); or, for a cross-tabulated cell, when any
   cell of its cross-tabulation is small. Judged against the current
   projections (docs/PROTOCOL.md 7.6). */
bool store_must_suppress (store_t *self, const envelope_t *env, const store_partner_t *reader);

/* Remove value, numerator and denominator and set suppressed. */
void store_suppress (envelope_t *env);

#endif
