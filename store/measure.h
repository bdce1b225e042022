/*  measure.h - shared measurement over the log: the indicator catalogue,
    the rules an entry must keep, the projections that answer queries,
    the initiative's settings, and the one append path. A data table's
    suppression is decided in that path, once, and stored (tables.c).

    Projections are tables derived from the log and kept in the same
    transaction as the append (store_append writes them inside the batch),
    so they never disagree with it: the latest definition of each
    indicator, every data value with its history, the state of each
    commitment, the notes and their decisions, the practices units took
    up. They can always be rebuilt from the log.

    Everything here is judged against what the open transaction sees: an
    update may follow its commitment, and a submission the definition of
    its indicator, in the same batch.                                      */

#ifndef CIBUS_MEASURE_H_INCLUDED
#define CIBUS_MEASURE_H_INCLUDED

#include "codec.h"
#include "disclosure.h"
#include "store.h"

#define MEASURE_MIN_CELL_DEFAULT 10 /* the usual minimum cell size in public reporting */
#define MEASURE_MIN_CELL_LOW     1
#define MEASURE_MIN_CELL_HIGH    100

/* Check an entry against the catalogue and the commitments before it is
   appended, for a publisher of this role (structure was checked by the
   codec, access by the broker). For a data table this is the whole of
   tables.c's check, its suppression decided and thrown away (it derives
   each percent's and rate's value into env->data and stamps its owner
   and version meanwhile: use store_append to append one).
   Returns CIBUS_OK, or the refusal with its field and reason:
     - data (BAD_FIELD, FORBIDDEN): see docs/PROTOCOL.md 7.2 - the
       indicator, its network and period kind, the owner and whether the
       publisher may submit for it, each cell against the catalogue and
       the table's structure, naming the cell;
     - note: its id already names another partner's note in the same
       network (EXISTS, id: a note is named by network and id, as a
       commitment is); held_on after today (BAD_FIELD, note.held_on) -
       today is the UTC date now (in store_append, of the entry's
       received_at), or store_set_today's;
     - commitment (EXISTS, id): its id already names another partner's
       commitment in the same network (a commitment is named by network
       and id); an indicator not in the catalogue (NOT_FOUND,
       commitment.indicators); from_note names no note of its network, or
       one in a network the publisher may not read, in the same words for
       both (NOT_FOUND, commitment.from_note); decision beyond the note's
       decisions (BAD_FIELD, commitment.decision);
     - update: no such commitment in the update's network, or one in a
       network the publisher may not read (store_may_read), in the same
       words for both (NOT_FOUND, update.commitment_id); publisher neither
       its owner nor the backbone (FORBIDDEN, update.commitment_id);
       commitment already done or dropped (BAD_FIELD, update.status);
     - indicator definition: published by anyone but the backbone
       (FORBIDDEN, indicator);
     - practice tag: published by anyone but the backbone (FORBIDDEN,
       body); the unit's partner (before any '/') neither the publisher
       nor in the registry, or not a member of the network (BAD_FIELD,
       practice.unit).
   A failure of the store itself is CIBUS_ERR_STORE, with a message.     */
cibus_err_t store_check_entry (store_t *self, envelope_t *env, const store_partner_t *publisher,
                               codec_problem_t *problem);

/* Whether reader may read what lives in network: the backbone every
   network, a partner its own networks and CODEC_CATALOG_NETWORK, an
   integrator none. The one rule of read access for queries and for what a
   refusal may reveal. */
bool store_may_read (const store_partner_t *reader, const char *network);

/* What store_append did. whole and masked are the caller's buffers,
   reused from append to append (store_appended_release frees them). */
typedef struct {
    codec_buf_t whole;  /* the entry as stored */
    codec_buf_t masked; /* a data table's masked copy; size 0 for other entries */
    uint64_t seq;
    bool duplicate;
    char owner [CIBUS_MAX_NAME + 1]; /* a data table's owner; "" otherwise */
    uint64_t superseded; /* the version whose masked copy became a marker; 0 for none */
    uint64_t cost_usec;  /* time spent checking and deciding a table, for the publisher's quota */
} store_appended_t;

void store_appended_release (store_appended_t *out);

/* Append one published entry inside the open batch: the one append path,
   the broker's and every test's. In order: the (publisher, id) lookup (a
   duplicate sets out->duplicate and out->seq to the first entry's and
   stops there), the rules (store_check_entry; for a data table, its
   owner, the catalogue, its structure and its suppression decided over
   it and its earlier versions: a refusal returns its code with problem
   filled, nothing was added and the batch goes on), the stamps (partner,
   seq, received_at; a table's owner and version) into env, one encoding
   into out->whole, the insert and the projections; for a table also its
   decision, its masked copy (out->masked) and the marker that replaces
   its previous version's. CIBUS_ERR_STORE fails the batch. env->partner
   and env->data->owner are the caller's again on return; a table's cells
   in env are left masked. The structure of env was checked before
   (codec_validate_envelope). */
cibus_err_t store_append (store_t *self, envelope_t *env, const store_partner_t *publisher,
                          int64_t received_at, store_appended_t *out, codec_problem_t *problem);

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

//  ------------------------------------------------------------ disclosure

/* Replace the rules the settings give (min-cell, coding, protection,
   value-protection) with these, for tests and the benchmark that must
   show what a weaker rule leaks; NULL goes back to the settings. Never
   used by cibusd. */
void store_set_disclosure_rules (store_t *self, const disclosure_rules_t *rules);

//  ------------------------------------------------------------ the clock

/* Judge the rules that read the date (a note held after today is refused)
   at today, YYYY-MM-DD, instead of the UTC date of each entry's
   received_at; NULL goes back to received_at. For tests, whose clock
   steps a day an entry and is not the calendar: as Query.today fixes the
   date a query judges "overdue" at, this fixes the one a publish is
   judged at. Never used by cibusd. */
void store_set_today (store_t *self, const char *today);

#endif
