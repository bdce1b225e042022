/*  replica.h - a partner's local replica of the log and its outbox.

    A replica is an ordinary store (the same schema, statements and
    projections as the broker's) that holds exactly the bytes a broker
    delivered to one reader, each at the broker's seq: seqs the reader may
    not read are gaps. Its queries answer for that reader as the broker
    would. Beside the log it keeps an outbox of updates written while the
    broker could not be reached, each under the id it will be published
    with, so that sending it again is a duplicate, never a second entry.

    One process follows the broker and writes the log (`cibus sync`);
    others may add to the outbox at the same time (SQLite's busy timeout
    serialises them).                                                      */

#ifndef CIBUS_REPLICA_H_INCLUDED
#define CIBUS_REPLICA_H_INCLUDED

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Append one entry as delivered to reader, inside the open batch
   (store_batch_begin ... store_batch_commit): stored byte for byte at the
   seq it carries, which must be above every seq stored (EXISTS when it is
   not: a replayed entry the replica holds already). Projects it as
   store_append does; a data table from the copy received (see
   tables_replicate). MALFORMED when bytes are not an entry with a seq. */
cibus_err_t store_replicate (store_t *store, const void *bytes, size_t size,
                             const store_partner_t *reader);

typedef struct replica_t replica_t;

/* Open (creating it and its directory's file if needed) the replica at
   path. NULL, after logging why, on failure. */
replica_t *replica_new (const char *path);
void replica_destroy (replica_t **self_p);

/* The store underneath (borrowed). */
store_t *replica_store (replica_t *self);

/* A remembered value: "partner", "role" (the reader the replica is for),
   "last_error", "last_sync". get copies it into value; NOT_FOUND when
   unset. */
cibus_err_t replica_meta_set (replica_t *self, const char *key, const char *value);
cibus_err_t replica_meta_get (replica_t *self, const char *key, char *value, size_t size);

/* The reader the replica is for, as a registry record: its name and role
   and, as networks, every network the replica holds an entry of or a
   partner of (the roster). NOT_FOUND before the first sync. Release with
   store_partner_release. */
cibus_err_t replica_reader (replica_t *self, store_partner_t *reader);

/* One row of the broker's `partners` answer: a partner of role partner,
   its public key and one of its networks the reader reads. */
typedef struct {
    const char *partner;
    const char *network;
    const char *key;
} replica_member_t;

/* Make the replica's registry the roster given (what the broker's
   registry holds of the networks the reader reads), replacing the last
   one, in one transaction: the report counts submissions against it. */
cibus_err_t replica_roster_replace (replica_t *self, const replica_member_t *members,
                                    size_t count);

//  ------------------------------------------------------------ outbox

typedef enum { OUTBOX_PENDING = 0, OUTBOX_REFUSED } outbox_state_t;

typedef struct {
    int64_t pos; /* order of queueing */
    const char *id;
    const char *topic;
    const void *request; /* the encoded envelope to publish */
    size_t size;
    outbox_state_t state;
    const char *reason; /* a refused item's: the broker's words */
    int64_t queued_at;  /* microseconds since the epoch */
} outbox_item_t;

/* Queue an encoded envelope under its id. EXISTS when the id is queued
   already (nothing changes). */
cibus_err_t replica_outbox_add (replica_t *self, const char *id, const char *topic,
                                const void *request, size_t size);

/* Return false to stop. The item is borrowed for the call. */
typedef bool (outbox_fn) (const outbox_item_t *item, void *arg);

/* Every item, in queueing order; pending only when pending_only. */
cibus_err_t replica_outbox_each (replica_t *self, bool pending_only, outbox_fn *fn, void *arg);

/* Forget an item (sent, or dropped by the user). NOT_FOUND when none. */
cibus_err_t replica_outbox_remove (replica_t *self, const char *id);

/* Mark an item refused with the broker's reason, or pending again
   (reason NULL). NOT_FOUND when none. */
cibus_err_t replica_outbox_mark (replica_t *self, const char *id, outbox_state_t state,
                                 const char *reason);

/* How many items are pending and refused. */
cibus_err_t replica_outbox_count (replica_t *self, uint64_t *pending, uint64_t *refused);

#endif
