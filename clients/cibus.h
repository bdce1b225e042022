/*  cibus.h - the client library: publish to and read from a cibusd broker.

    A cibus_t is one CURVE-encrypted connection (a ZeroMQ DEALER) to one
    broker, under one partner's key. It is not thread-safe: use one per
    thread. Every call that waits for the broker waits at most the
    connection's timeout, then fails with CIBUS_ERR_TIMEOUT; none hangs.

    Publishing: cibus_publish() sends one update and waits for its ack,
    which the broker sends only once the update is durably stored.
    cibus_publish_async() keeps up to `window` publishes in flight and
    reports each ack to the ack handler; cibus_flush() waits for all.

    Reading: cibus_subscribe() opens the connection's one cursor, from a
    seq (replay, then live) or from now; cibus_next() returns entries in
    seq order, each once, and grants the broker credit as they are
    consumed.

    Tables: a cibus_table_t puts a data table together from the text
    forms the cibus command takes (52/160, 310.5@12, *) or from its JSON
    form, and becomes the body of an envelope to publish.

    On failure, cibus_error() holds one line for a person, naming what to
    do; cibus_error_field() the field the broker named, if any.            */

#ifndef CIBUS_H_INCLUDED
#define CIBUS_H_INCLUDED

#include "cibus.pb-c.h"
#include "cibus_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIBUS_DEFAULT_ENDPOINT "tcp://127.0.0.1:5570"
#define CIBUS_DEFAULT_TIMEOUT_MSEC 5000
#define CIBUS_DEFAULT_WINDOW 1000

typedef Cibus__Envelope cibus_envelope_t;

typedef struct {
    const char *endpoint;    /* NULL: CIBUS_DEFAULT_ENDPOINT */
    const char *broker_key;  /* the broker's Z85 public key, or its certificate file */
    const char *secret_cert; /* this partner's secret certificate file (NAME_secret) */
    int timeout_msec;        /* 0: CIBUS_DEFAULT_TIMEOUT_MSEC */
} cibus_config_t;

typedef struct cibus_t cibus_t;

/* Load the keys and connect. Connecting does not wait for the broker (use
   cibus_ping to know it answers). NULL on failure, with one line in error. */
cibus_t *cibus_new (const cibus_config_t *config, char *error, size_t size);
void cibus_destroy (cibus_t **self_p);

/* The last failure, as a line for a person, and the field it names ("" if
   none). */
const char *cibus_error (cibus_t *self);
const char *cibus_error_field (cibus_t *self);

/* Who the broker says we are. partner and role are copied (may be NULL). */
cibus_err_t cibus_ping (cibus_t *self, char *partner, size_t partner_size, char *role,
                        size_t role_size);

typedef struct {
    uint64_t last_seq;
    uint64_t transactions;
    uint64_t appended;
    uint32_t subscriptions;
} cibus_status_t;

cibus_err_t cibus_status (cibus_t *self, cibus_status_t *status);

/* Ask the broker a question (indicators, values, commitments, notes,
   report; see Cibus__Query). On success *reply is the broker's Reply, whose
   result holds the tables; free it with cibus_reply_free. */
cibus_err_t cibus_query (cibus_t *self, const Cibus__Query *query, Cibus__Reply **reply);
void cibus_reply_free (Cibus__Reply *reply);

//  ---------------------------------------------------------------- publish

typedef struct {
    char id [129];
    uint64_t seq;     /* 0 for a dry run of a new entry */
    bool duplicate;   /* the id was stored before: seq is the first entry's */
    uint32_t version; /* a data table's: 1 new, 2 and on a correction; 0 otherwise */
    bool dry_run;     /* the answer to a dry run: nothing was stored */
} cibus_ack_t;

/* A fresh random message id (32 hex characters) into id, of size >= 33. */
void cibus_new_id (char *id, size_t size);

/* Publish one entry and wait for its ack. The caller sets env->topic and
   the body; env->id when NULL gets a fresh id (the library's string, valid
   until the next publish). seq, partner and received_at are the broker's to
   set. On refusal returns the broker's code (BAD_FIELD, FORBIDDEN ...). */
cibus_err_t cibus_publish (cibus_t *self, cibus_envelope_t *env, cibus_ack_t *ack);

/* Called once per async publish: err is CIBUS_OK with the ack, or the
   refusal with message (the ack then holds only the id). */
typedef void (cibus_ack_fn) (const cibus_ack_t *ack, cibus_err_t err, const char *message,
                             void *arg);

void cibus_set_ack_handler (cibus_t *self, cibus_ack_fn *handler, void *arg);
void cibus_set_window (cibus_t *self, size_t window);

/* With dry_run, every publish from now on is checked by the broker as if
   appended - every rule it would meet - and answered the same way, but
   nothing is stored (the ack has dry_run set). */
void cibus_set_dry_run (cibus_t *self, bool dry_run);

/* Send without waiting for the ack, unless `window` publishes are already
   in flight: then wait for the oldest acks first. Fails when the wait times
   out or the broker drops the connection; refusals go to the handler. */
cibus_err_t cibus_publish_async (cibus_t *self, cibus_envelope_t *env);

/* Wait until at most limit async publishes are in flight. */
cibus_err_t cibus_drain (cibus_t *self, size_t limit);

/* Wait until every async publish has its ack or refusal: cibus_drain(0). */
cibus_err_t cibus_flush (cibus_t *self);

/* How many async publishes are in flight. */
size_t cibus_in_flight (cibus_t *self);

//  ---------------------------------------------------------------- read

/* Open the cursor. prefixes: topic prefixes to read (none = everything
   readable). from_seq 0 = only new entries; N = from seq N. credit 0 =
   the broker's default. *next_seq (may be NULL) receives where the cursor
   starts. */
cibus_err_t cibus_subscribe (cibus_t *self, const char *const *prefixes, size_t count,
                             uint64_t from_seq, uint32_t credit, uint64_t *next_seq);

/* The next entry, waiting at most timeout_msec (-1: the connection's
   timeout); TIMEOUT when nothing came. The caller frees *env with
   cibus_envelope_free. */
cibus_err_t cibus_next (cibus_t *self, int timeout_msec, cibus_envelope_t **env);

/* Stop granting credit (hold true): the broker sends nothing beyond the
   window already granted, and new entries wait in the log. Releasing the
   hold grants at once the credit of what was consumed meanwhile. */
cibus_err_t cibus_hold_credit (cibus_t *self, bool hold);

void cibus_envelope_free (cibus_envelope_t *env);

/* Send raw bytes as one request frame and return the raw reply (for tests
   and tools that speak the protocol directly). The caller frees *reply
   with free(). */
cibus_err_t cibus_raw (cibus_t *self, const void *data, size_t size, void **reply,
                       size_t *reply_size);

//  ---------------------------------------------------------------- tables

//  A data table being put together for publishing: one indicator, one
//  period and one reporting unit, with its total and any number of cells,
//  in the text forms the cibus command and its JSON tables use.
//
//  A value is written
//      NUM/DEN    a percent or rate: 52 of 160 people (52/160)
//      VALUE@N    a count, score or currency about N people (310.5@12)
//      *          suppressed at source (a '*' in a state file), size unknown
//      *@N        the same, of N people: the size of a count, score or currency
//      */SIZE     the same, of SIZE people: sets the denominator, the size of
//                 a percent or rate (the broker judges it against the unit)
//  and a cell KEY=CATEGORY (race=black), or a cross of dimensions joined
//  by commas (race=hispanic,income=low). A bare number is refused: without
//  its size no one can tell whether it may be shown.
//
//  The table owns copies of everything it is given. Each call returns
//  CIBUS_OK, or USAGE (NOMEM) with one line in cibus_table_error() that
//  quotes what was wrong and names no command-line option: the caller
//  knows where the text came from and says so. What the broker checks -
//  the catalogue, sums against the total, sizes - is left to it.
typedef struct cibus_table_t cibus_table_t;

cibus_table_t *cibus_table_new (void);
void cibus_table_destroy (cibus_table_t **self_p);

/* The last failure, as one line for a person. */
const char *cibus_table_error (cibus_table_t *self);

/* Set a field by its name in the JSON form: indicator, period, unit (a
   unit under the owner, e.g. a school), for (the partner the table
   belongs to: an integrator must name it), status (final, provisional or
   estimated), source, extracted_on (YYYY-MM-DD). */
cibus_err_t cibus_table_set (cibus_table_t *self, const char *field, const char *value);

/* The total's value, replacing any earlier one. */
cibus_err_t cibus_table_set_total (cibus_table_t *self, const char *value);

/* Add a cell. One of the same categories (in any order) read from JSON
   is replaced: what is given one by one completes and overrides a file;
   one added by this call before is refused as given twice. */
cibus_err_t cibus_table_add_cell (cibus_table_t *self, const char *cell, const char *value);

/* Read a table in its JSON form, one object whose members are the fields
   above, "total" and "cells" (an object of cell and value), every value
   a string:
       {"indicator": "k3", "period": "2026-Q3", "unit": "lincoln-el",
        "for": "eastside-sd", "total": "168/410",
        "cells": {"race=black": "52/160", "race=asian": "3/6",
                  "race=hispanic,income=low": "20/70", "race=native": "*"}}
   A member given twice, an unknown member or a value that is not a
   string is refused. What it names replaces what the table held. */
cibus_err_t cibus_table_load_json (cibus_table_t *self, const char *text);

/* Make env's body the table (borrowed: valid until the table changes or
   is destroyed); the caller sets the topic. NOMEM when out of memory. */
cibus_err_t cibus_table_envelope (cibus_table_t *self, cibus_envelope_t *env);

#endif
