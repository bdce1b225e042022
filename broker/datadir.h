/*  datadir.h - the broker's data directory: database, keypair, lock.

    DIR/cibus.db           the log and the registry (plus -wal, -shm)
    DIR/broker             the broker's public certificate (give it to clients)
    DIR/broker_secret      the broker's secret certificate (mode 0600)
    DIR/cibusd.endpoint    the endpoint a running broker is bound to
    DIR/cibusd.lock        held by the running broker: one broker per directory */

#ifndef CIBUS_DATADIR_H_INCLUDED
#define CIBUS_DATADIR_H_INCLUDED

#include "cibus_err.h"

#include <czmq.h>
#include <stddef.h>

#define DATADIR_DB       "cibus.db"
#define DATADIR_CERT     "broker"
#define DATADIR_ENDPOINT "cibusd.endpoint"
#define DATADIR_LOCK     "cibusd.lock"

/* Write DIR/NAME into path. Returns false when it does not fit. */
bool datadir_path (const char *dir, const char *name, char *path, size_t size);

/* Create DIR (mode 0700) if absent, and the broker's keypair in it if
   absent. *created tells whether a new keypair was made. On failure writes
   one line into error. */
cibus_err_t datadir_init (const char *dir, bool *created, char *error, size_t size);

/* Load the broker's keypair (secret included); NULL with error on failure. */
zcert_t *datadir_cert (const char *dir, char *error, size_t size);

/* Take the directory's lock without waiting; -1 with error when another
   broker holds it. Release with datadir_unlock. */
int datadir_lock (const char *dir, char *error, size_t size);
void datadir_unlock (int fd);

/* Write the bound endpoint (atomically: a reader sees all of it or none). */
cibus_err_t datadir_write_endpoint (const char *dir, const char *endpoint);
void datadir_remove_endpoint (const char *dir);

#endif
