/*  cibus.h - the client library: publish to and read from a cibusd broker.

    A cibus_t is one CURVE-encrypted connection (a ZeroMQ DEALER) to one
    broker, under one partner's key. It is not thread-safe: use one per
    thread. Every call that waits for the broker waits at most the
    connection's timeout, then fails with CIBUS_ERR_TIMEOUT; none hangs.

    Everything here is in cibus's own types: plain structs, text and
    JSON. The wire's types (the code generated from proto/cibus.proto)
    stay behind the library, so a program needs nothing but this header
    and cibus_err.h; one that speaks the wire itself hands its encoded
    Envelope to cibus_publish_bytes() and reads cibus_entry_bytes().

    Publishing: cibus_publish_note(), _commitment(), _update() and
    _table() send one entry and wait for its ack, which the broker sends
    only once the entry is durably stored. cibus_publish_table_async()
    keeps up to `window` tables in flight and reports each ack to the ack
    handler; cibus_flush() waits for all.

    Reading: cibus_subscribe() opens the connection's one cursor, from a
    seq (replay, then live) or from now; cibus_read() returns entries in
    seq order, each once, and grants the broker credit as they are
    consumed. An entry (cibus_entry_t) gives its seq, topic, id, sender
    and kind, and the whole of it as JSON.

    Questions: cibus_ask() asks what the broker answers from what it
    stores (indicators, values, commitments, notes, a report) and returns
    the answer as JSON.

    Tables: a cibus_table_t puts a data table together from the text
    forms the cibus command takes (52/160, 310.5@12, *) or from its JSON
    form, to publish with cibus_publish_table().

    On failure, cibus_error() holds one line for a person, naming what is
    wrong; cibus_error_field() the field the broker named, if any.         */

#ifndef CIBUS_H_INCLUDED
#define CIBUS_H_INCLUDED

#include "cibus_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIBUS_DEFAULT_ENDPOINT "tcp://127.0.0.1:5570"
#define CIBUS_DEFAULT_TIMEOUT_MSEC 5000
#define CIBUS_DEFAULT_WINDOW 1000

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

/* A meeting note, published to NETWORK/note. Every string is borrowed for
   the call; NULL leaves a field out. A title is required. */
typedef struct {
    const char *network;          /* the network it is published in */
    const char *id;               /* NULL: a fresh one, returned in the ack */
    const char *title;
    const char *body;
    const char *held_on;          /* YYYY-MM-DD */
    const char *const *attendees; /* attendee_count names */
    size_t attendee_count;
    const char *const *decisions; /* decision_count lines, one a decision */
    size_t decision_count;
} cibus_note_t;

/* An action a partner commits to, published to NETWORK/commitment: what,
   by when, the indicators it is meant to move (ids of the catalogue), and
   the meeting it came from: the id of a note of the same network and,
   when it carries out one of that note's decisions, which (1 for the
   first). Its id (the ack's) is what an update names. */
typedef struct {
    const char *network;
    const char *id;                /* NULL: a fresh one, returned in the ack */
    const char *action;            /* required */
    const char *due;               /* YYYY-MM-DD, required */
    const char *const *indicators; /* indicator_count indicator ids */
    size_t indicator_count;
    const char *from_note;         /* the note's id; NULL: none */
    unsigned decision;             /* the decision of from_note, from 1; 0: none */
} cibus_commitment_t;

/* Progress on a commitment, published beside it to NETWORK/commitment. */
typedef struct {
    const char *network;
    const char *id;            /* NULL: a fresh one, returned in the ack */
    const char *commitment_id; /* the commitment's id, required */
    const char *status;        /* on-track, at-risk, done or dropped, required */
    const char *comment;
} cibus_update_t;

/* Publish a note, a commitment or an update and wait for its ack. Each is
   checked here by the broker's own rules before it is sent, and refused
   with the broker's code (BAD_FIELD, FORBIDDEN ...), the field named as
   the protocol names it (note.title, update.status) in cibus_error_field
   and the reason in cibus_error. ack may be NULL. */
cibus_err_t cibus_publish_note (cibus_t *self, const cibus_note_t *note, cibus_ack_t *ack);
cibus_err_t cibus_publish_commitment (cibus_t *self, const cibus_commitment_t *commitment,
                                      cibus_ack_t *ack);
cibus_err_t cibus_publish_update (cibus_t *self, const cibus_update_t *update, cibus_ack_t *ack);

/* Publish an Envelope that a program encoded with its own code generated
   from proto/cibus.proto (size bytes at envelope): its topic, id (none: a
   fresh one) and body, as docs/PROTOCOL.md describes them. It is decoded
   and published as any other entry, through the same checks; MALFORMED
   when the bytes do not decode as an Envelope. */
cibus_err_t cibus_publish_bytes (cibus_t *self, const void *envelope, size_t size,
                                 cibus_ack_t *ack);

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

/* Stop granting credit (hold true): the broker sends nothing beyond the
   window already granted, and new entries wait in the log. Releasing the
   hold grants at once the credit of what was consumed meanwhile. */
cibus_err_t cibus_hold_credit (cibus_t *self, bool hold);

/* One entry of the log, as the cursor delivered it: a data table is the
   copy this reader may see (masked for all but its owner and the
   backbone). */
typedef struct cibus_entry_t cibus_entry_t;

/* The next entry, waiting at most timeout_msec (-1: the connection's
   timeout); TIMEOUT when nothing came, with *entry NULL. The caller owns
   *entry and destroys it with cibus_entry_destroy. */
cibus_err_t cibus_read (cibus_t *self, int timeout_msec, cibus_entry_t **entry);
void cibus_entry_destroy (cibus_entry_t **self_p);

/* Its seq in the log; its topic (NETWORK/KIND); the id its publisher gave
   it; the partner who published it, as the broker knows the key (never
   as the entry claims); and when the broker stored it, in microseconds
   since the Unix epoch, UTC. Strings are the entry's, valid until it is
   destroyed; "" when it has none. */
uint64_t cibus_entry_seq (const cibus_entry_t *self);
const char *cibus_entry_topic (const cibus_entry_t *self);
const char *cibus_entry_id (const cibus_entry_t *self);
const char *cibus_entry_partner (const cibus_entry_t *self);
int64_t cibus_entry_received_at (const cibus_entry_t *self);

/* What it is: data (a table), note, commitment, update (of a commitment)
   or indicator (a definition of the catalogue); "" for none of these. */
const char *cibus_entry_kind (const cibus_entry_t *self);

/* The whole entry as one JSON object on one line, in a new string the
   caller frees with free(); NULL when out of memory. Its members are seq,
   topic, partner, id, received_at, kind and the body's fields under their
   names in proto/cibus.proto (a note's title, body, held_on, attendees,
   decisions; a table's indicator, period, owner, unit, version, total,
   cells, status ...), enums as words (on-track, provisional), a field the
   entry lacks left out:
       {"seq":7,"topic":"early-literacy/note","partner":"alice","id":"...",
        "received_at":1790000000000000,"kind":"note","title":"Kickoff", ...}
   Text that is not well-formed UTF-8 has each stray byte as U+FFFD. */
char *cibus_entry_json (const cibus_entry_t *self);

/* The entry encoded as an Envelope of proto/cibus.proto, size bytes in
   *size, for a program that decodes it with its own generated code. The
   bytes are the entry's, valid until it is destroyed; NULL when out of
   memory. */
const void *cibus_entry_bytes (cibus_entry_t *self, size_t *size);

//  ---------------------------------------------------------------- questions

/* A question the broker answers from what it stores, with the asker's
   read access and small-cell suppression applied: its kind, and the
   fields that kind reads (docs/PROTOCOL.md, section 8, has every kind,
   its fields and the columns of its answer). NULL (false) leaves a field
   out. */
typedef struct {
    const char *kind;      /* indicators, values, commitments, notes, report ... */
    const char *indicator; /* values, brightspots: the indicator, required */
    const char *by;        /* values: the dimension to break them down by */
    const char *network;   /* all but indicators: only this network */
    const char *owner;     /* commitments: only this partner's */
    bool overdue;          /* commitments: only the overdue ones */
    const char *since;     /* notes: held on or after this date, YYYY-MM-DD */
    const char *period;    /* report, brightspots: the period it is on, required */
    const char *today;     /* the date "overdue" is judged at, YYYY-MM-DD; NULL: today (UTC) */
    bool history;          /* values: every submission too, corrections included */
    bool units;            /* values: each unit's own values, not the pooled ones */
    const char *practice;  /* brightspots: the practice compared, required */
} cibus_question_t;

/* Ask, and wait for the answer: *json is a new string the caller frees
   with free(), one JSON object holding the answer's tables,
       {"tables":[{"title":"...","rows":[{"COLUMN":CELL, ...}, ...]}, ...]}
   each cell a number, a text, null when empty, {"suppressed":true} for a
   value hidden from the asker and {"suppressed":true,"range":"<=5"} for
   one shown only as a range. On failure *json is NULL, and the broker's
   refusal is in cibus_error. */
cibus_err_t cibus_ask (cibus_t *self, const cibus_question_t *question, char **json);

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

/* Publish the table to NETWORK/data under id (NULL: a fresh one) and wait
   for its ack, which carries its version (1 new, 2 and on a correction).
   The table is only read: it may be changed and published again. */
cibus_err_t cibus_publish_table (cibus_t *self, const char *network, const char *id,
                                 cibus_table_t *table, cibus_ack_t *ack);

/* The same without waiting for the ack, unless `window` publishes are
   already in flight: then wait for the oldest acks first. Each ack or
   refusal goes to the ack handler, under the table's id; a check that
   fails before sending is returned here. The table may be changed or
   destroyed as soon as this returns. */
cibus_err_t cibus_publish_table_async (cibus_t *self, const char *network, const char *id,
                                       cibus_table_t *table);

#endif
