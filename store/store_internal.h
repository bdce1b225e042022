/*  store_internal.h - what the store's own files share; not for callers. */

#ifndef CIBUS_STORE_INTERNAL_H_INCLUDED
#define CIBUS_STORE_INTERNAL_H_INCLUDED

#include "store.h"

#include <sqlite3.h>
#include <stdio.h>

struct store_t {
    sqlite3 *db;
    char *path;
    uint64_t last_seq; /* last committed seq */
    uint64_t next_seq; /* the seq the next add in this batch takes */
    bool in_batch;
    store_fault_t fault;
    //  the log's statements, prepared once
    sqlite3_stmt *begin, *commit, *rollback, *find, *insert, *read, *data_version;
    //  the registry's statements (registry.c)
    sqlite3_stmt *partner_insert, *network_insert, *partner_delete, *partner_by_key,
        *partner_all, *networks_of;
};

cibus_err_t store_fail (store_t *self, const char *what);
cibus_err_t store_exec (store_t *self, const char *sql, const char *what);
cibus_err_t store_prepare (store_t *self, sqlite3_stmt **stmt, const char *sql);
cibus_err_t store_step_done (store_t *self, sqlite3_stmt *stmt, const char *op);

cibus_err_t registry_prepare (store_t *self);
void registry_finalize (store_t *self);

#endif
