/*  cibusd_audit.h - `cibusd audit --data DIR [--as PARTNER]`: the disclosure
    audit over a broker's data directory.

    It replays every version of every data table a reader could have
    received - live, on replay, in a query, in --history or in an export:
    all of them serve the decision stored with the entry - and runs the
    disclosure module's audit (disclosure/audit.h) over each table's
    versions with the rules in force. A reader is a partner (--as), which
    receives the tables of the networks it may read and sees its own
    whole, or, without --as, a reader who may read every network and owns
    no table. The backbone receives every table whole, and an integrator
    reads nothing: nothing is hidden from either, so nothing is checked.  */

#ifndef CIBUS_CIBUSD_AUDIT_H_INCLUDED
#define CIBUS_CIBUSD_AUDIT_H_INCLUDED

#include "cibus_err.h"
#include "store.h"

//  The disclosure module's audit.h, by its path: with -Ibroker before
//  -Idisclosure a file that includes "audit.h" (tests/test_disclosure.c,
//  the disclosure fuzz target) finds this header first, and must still
//  get the module's declarations.
#include "../disclosure/audit.h"

#include <stddef.h>
#include <stdio.h>

#define AUDIT_PROGRESS_TABLES 10000 /* a line on the progress stream this often */

/* What an audit checked and found. */
typedef struct {
    size_t tables;     /* tables the reader receives, audited */
    size_t versions;   /* their versions */
    size_t cells;      /* every cell, remainder and change judged */
    size_t exposed;    /* cells a reader can work out */
    size_t unreadable; /* tables that could not be audited (each named on out) */
} audit_summary_t;

/* Audit what reader receives from store (reader NULL: a reader of every
   network who owns no table). Writes to out the first line (what is
   covered), each exposed cell (what, then the explanation: its range and
   the equations that give it), each table that could not be audited, and
   the summary "checked N tables and M cells: K exposed"; progress goes to
   progress (may be NULL) every AUDIT_PROGRESS_TABLES tables. Returns
   CIBUS_OK whether or not a cell is exposed (summary says), USAGE when
   the rules in force are out of range, STORE or NOMEM when the audit
   could not run to its end.                                              */
cibus_err_t audit_store (store_t *store, const store_partner_t *reader, FILE *out, FILE *progress,
                         audit_summary_t *summary);

/* The command: open DIR/cibus.db, find the partner as_partner (NULL for
   the reader who owns nothing), audit, progress on stderr. Returns 0 when
   no cell is exposed, 1 when any is, 2 on an error (no data directory or
   database, an unknown partner, a table that could not be audited, a
   store failure), with the reason on stderr.                             */
int audit_main (const char *data_dir, const char *as_partner, FILE *out);

#endif
