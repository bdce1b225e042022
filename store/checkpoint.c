/*  checkpoint.c - the checkpointer thread.

    Design
    ------
    One thread, one connection, one flag under a mutex. The writer's WAL
    hook calls checkpoint_wake after a commit that left the WAL past the
    threshold; the thread wakes, runs a PASSIVE checkpoint (which copies
    every frame no reader still needs, never waits for a lock and never
    holds up the writer's next transaction) and sleeps again. Wakes that
    arrive while it runs fold into one more checkpoint.

    SQLite resets the WAL to its start only when a writer begins a
    transaction after a checkpoint that copied every frame. Under steady
    load the writer commits while the thread copies, so the thread may
    never catch the last frames; the writer then finishes the copy itself
    (store.c's hook, past a hard limit), which is cheap because the thread
    has done most of it. The file therefore stays bounded, and the writer's
    fdatasync keeps writing over space the file already has.

    The connection is this thread's alone and is opened without SQLite's
    mutexes (SQLITE_OPEN_NOMUTEX), like the writer's.                    */

#include "checkpoint.h"

#include "log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

struct checkpoint_t {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool pending; /* a wake not yet acted on */
    bool stop;
    uint64_t done;
    bool failing; /* the last checkpoint failed: said once, until one succeeds */
};

static void *
s_run (void *arg)
{
    checkpoint_t *self = arg;
    pthread_mutex_lock (&self->mutex);
    while (!self->stop) {
        if (!self->pending) {
            pthread_cond_wait (&self->cond, &self->mutex);
            continue;
        }
        self->pending = false;
        pthread_mutex_unlock (&self->mutex);
        int log_frames = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                            &log_frames, &copied);
        pthread_mutex_lock (&self->mutex);
        //  BUSY: another checkpoint (the writer's own, past the hard limit)
        //  is running; the next wake tries again.
        if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
            self->done += rc == SQLITE_OK;
            self->failing = false;
        } else if (!self->failing) {
            self->failing = true;
            log_value_t error;
            log_warn ("event=checkpoint-failed error=\"%s\" effect=\"the WAL grows until the "
                      "next checkpoint succeeds\"",
                      log_escape (&error, sqlite3_errstr (rc)));
        }
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

checkpoint_t *
checkpoint_new (const char *path, bool full)
{
    checkpoint_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    //  The read of the schema makes the connection find the database in WAL
    //  mode and open its WAL: a checkpoint on a connection that never read
    //  would have nothing to copy.
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
            != SQLITE_OK
        || sqlite3_exec (self->db,
                         full ? "PRAGMA synchronous = FULL; PRAGMA schema_version"
                              : "PRAGMA synchronous = NORMAL; PRAGMA schema_version",
                         NULL, NULL, NULL)
               != SQLITE_OK) {
        log_value_t db, error;
        log_warn ("event=checkpointer-failed db=\"%s\" error=\"%s\" effect=\"commits checkpoint "
                  "the WAL themselves\"",
                  log_escape (&db, path),
                  log_escape (&error, self->db ? sqlite3_errmsg (self->db) : "out of memory"));
        sqlite3_close (self->db);
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->mutex, NULL);
    pthread_cond_init (&self->cond, NULL);
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        log_warn ("event=checkpointer-failed error=\"cannot start a thread\" effect=\"commits "
                  "checkpoint the WAL themselves\"");
        pthread_cond_destroy (&self->cond);
        pthread_mutex_destroy (&self->mutex);
        sqlite3_close (self->db);
        free (self);
        return NULL;
    }
    return self;
}

void
checkpoint_destroy (checkpoint_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    checkpoint_t *self = *self_p;
    pthread_mutex_lock (&self->mutex);
    self->stop = true;
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->mutex);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->mutex);
    sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

void
checkpoint_wake (checkpoint_t *self)
{
    pthread_mutex_lock (&self->mutex);
    self->pending = true;
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->mutex);
}

uint64_t
checkpoint_count (checkpoint_t *self)
{
    pthread_mutex_lock (&self->mutex);
    uint64_t done = self->done;
    pthread_mutex_unlock (&self->mutex);
    return done;
}
