/*  writer.h - one job at a time on a thread of its own, for the reactor.

    The broker's reactor hands the writer a batch to append and commit
    (writer_start), goes on taking requests, and learns that the job ended
    from a descriptor it polls with its sockets (writer_fd); writer_wait
    then returns at once, and the reactor acks. Anything the job touches
    without a lock of its own is the job's between writer_start and the
    writer_wait that returns: the mutex of writer_wait is what makes the
    job's writes visible (the broker's job also shares a few batches with
    the reactor under a mutex of its own, see broker.c).                */

#ifndef CIBUS_WRITER_H_INCLUDED
#define CIBUS_WRITER_H_INCLUDED

#include <stdbool.h>

typedef struct writer_t writer_t;
typedef void (writer_job_fn) (void *arg);

/* Start the thread that runs job (arg) once per writer_start, and end
   (arg), if not NULL, on the thread as it stops (to free what the job's
   libraries keep per thread). NULL when a thread or descriptor cannot be
   had. */
writer_t *writer_new (writer_job_fn *job, writer_job_fn *end, void *arg);

/* Wait for a job that is running, then stop the thread. */
void writer_destroy (writer_t **self_p);

/* Run the job once on the thread. The writer must be idle. */
void writer_start (writer_t *self);

/* Whether a job was started and writer_wait has not yet returned for it. */
bool writer_busy (const writer_t *self);

/* Whether the job started last has ended (then writer_wait does not block). */
bool writer_ended (writer_t *self);

/* Block until the job started last has ended; at once when none runs. */
void writer_wait (writer_t *self);

/* A descriptor that polls readable once a job has ended and until
   writer_wait returns for it. */
int writer_fd (const writer_t *self);

#endif
