/*  usage.h - the bytes each partner has stored, kept as it grows.

    partner_usage holds, for every partner with an entry in the log, the
    sum of its entries' sizes: what the broker's total quota counts. A
    batch sums its entries by partner in memory and adds each sum to the
    table in the batch's own transaction, so the table and the log agree
    at every commit, and a batch rolled back adds nothing. It replaces
    an index on log (partner) that every entry paid for and only this
    sum read.                                                            */

#ifndef CIBUS_USAGE_H_INCLUDED
#define CIBUS_USAGE_H_INCLUDED

#include "store.h"

#include <stddef.h>

cibus_err_t usage_prepare (store_t *self);
void usage_finalize (store_t *self);

/* Count bytes of a new entry of partner's in the batch under way. */
cibus_err_t usage_add (store_t *self, const char *partner, size_t bytes);

/* Add the batch's sums to the table (before its COMMIT); forget them. */
cibus_err_t usage_write (store_t *self);

/* Forget the batch's sums (its transaction is rolled back or new). */
void usage_forget (store_t *self);

/* The bytes partner's entries hold, committed and in the batch under way. */
cibus_err_t usage_of (store_t *self, const char *partner, uint64_t *bytes);

#endif
