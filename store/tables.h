/*  tables.h - data tables in the store: a table checked against the
    catalogue and its owner, its suppression decided once over the whole
    table (and over its earlier versions) in the append transaction, its
    masked copy, and its projection. Internal to store/: callers append
    through store_append (measure.h).                                      */

#ifndef CIBUS_TABLES_H_INCLUDED
#define CIBUS_TABLES_H_INCLUDED

#include "codec.h"
#include "disclosure.h"
#include "store.h"

typedef struct tables_work_t tables_work_t;

/* Check a data table before it is appended: the owner (data.owner, or the
   publisher) and whether the publisher may submit for it, the catalogue's
   rules for every cell, the table's structure (disclosure_table_check),
   and decide its suppression given its earlier versions. Derives the value
   of every percent or rate cell, and stamps data.owner and data.version
   into env (owner points into *work or at publisher->name: the caller
   restores env->data->owner with tables_restore before freeing env).
   With work NULL only checks. Returns CIBUS_OK with *work set, or the
   refusal in problem.                                                     */
cibus_err_t tables_check (store_t *self, envelope_t *env, const char *network,
                          const store_partner_t *publisher, tables_work_t **work,
                          codec_problem_t *problem);

/* After the entry (env, stamped, encoded whole) was added at env->seq:
   mask env in place and encode it into masked, store the masked copy,
   make the previous version's masked copy a marker (*superseded = its
   seq, 0 for a first version) and write the projection rows.            */
cibus_err_t tables_append (store_t *self, envelope_t *env, const char *network,
                           tables_work_t *work, codec_buf_t *masked, uint64_t *superseded);

/* The owner tables_check decided (valid while work lives). */
const char *tables_owner (const tables_work_t *work);

/* Give env->data->owner back what the publisher sent, and free work. */
void tables_restore (envelope_t *env, tables_work_t **work_p);

/* The rules in force: the settings (min-cell, coding, protection,
   value-protection), or the override of store_set_disclosure_rules. */
void tables_rules (store_t *self, disclosure_rules_t *rules);

cibus_err_t tables_prepare (store_t *self);
void tables_finalize (store_t *self);

#endif
