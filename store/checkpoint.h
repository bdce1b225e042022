/*  checkpoint.h - copying the WAL back into the database off the writer's
    thread.

    SQLite's own checkpoint runs inside the COMMIT that crosses its
    threshold, on the thread that committed: for the broker, a commit that
    also copies a thousand pages and fsyncs the database before its acks go
    out. A checkpointer is a thread with a connection of its own that does
    that copy when the writer says the WAL has grown (checkpoint_wake), while
    the writer goes on committing. Only the store uses it (store.c).     */

#ifndef CIBUS_CHECKPOINT_H_INCLUDED
#define CIBUS_CHECKPOINT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct checkpoint_t checkpoint_t;

/* Open a second connection to the database at path and start the thread.
   full: fsync the database as synchronous = FULL does. NULL, after logging
   why, when either cannot be had. */
checkpoint_t *checkpoint_new (const char *path, bool full);

/* Stop the thread (after the checkpoint it is running) and close. */
void checkpoint_destroy (checkpoint_t **self_p);

/* The WAL has grown past the threshold: run a checkpoint soon. Never
   waits for the checkpoint. */
void checkpoint_wake (checkpoint_t *self);

/* Checkpoints the thread has run to their end, for tests and the bench. */
uint64_t checkpoint_count (checkpoint_t *self);

#endif
