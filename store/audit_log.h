/*  audit_log.h - the data tables of the log as readers received them, for
    the disclosure audit (broker/cibusd_audit.c, `cibusd audit`).

    Every version of a table is one log entry; the decision that masked it
    was written beside it, per cell, in the transaction that appended it.
    store_audit_each gives each table back as the disclosure module's
    views: the whole table (decoded from the entry) with that decision
    (from the per-cell marks, not from the masked copy, which becomes a
    marker without cells when a correction supersedes it). Live delivery,
    replay, every query, --history and every export serve these same
    stored decisions, so auditing them audits all of those.               */

#ifndef CIBUS_STORE_AUDIT_LOG_H_INCLUDED
#define CIBUS_STORE_AUDIT_LOG_H_INCLUDED

#include "disclosure.h"
#include "store.h"

/* The rules in force: the settings (min-cell, coding, protection,
   value-protection), or the override of store_set_disclosure_rules. The
   bands point at static data or at the override's. */
void store_audit_rules (store_t *self, disclosure_rules_t *rules);

/* One table of the log: its name and every version, oldest first. The
   views' tables are named for messages by indicator, period and, in the
   unit, the owner and unit ("eastside-sd", "eastside-sd/lincoln"). A
   table that cannot be read back as one (an entry that does not decode,
   marks missing, an indicator no longer in the catalogue) has no views
   and problem says why. Everything is borrowed for the callback only.   */
typedef struct {
    const char *network;
    const char *owner;
    const char *unit; /* "" for the owner itself */
    const char *indicator;
    const char *period;
    const disclosure_view_t *views;
    size_t version_count;
    const char *problem; /* NULL when the table was read */
} store_audit_table_t;

/* Whether the reader receives the tables this owner has in this network
   (the ones it does not are not read at all). */
typedef bool (store_audit_want_fn) (const char *network, const char *owner, void *arg);

/* Called per table; anything but CIBUS_OK stops the read and is returned. */
typedef cibus_err_t (store_audit_fn) (const store_audit_table_t *table, void *arg);

/* Every data table of the log that want accepts (want NULL: all), in the
   order of network, owner, unit, indicator and period, read in one read
   transaction so that a broker appending meanwhile is seen all or not at
   all. Not inside a batch. Returns CIBUS_OK, STORE (logged), NOMEM, or
   what fn returned. */
cibus_err_t store_audit_each (store_t *self, store_audit_want_fn *want, store_audit_fn *fn,
                              void *arg);

#endif
