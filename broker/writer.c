/*  writer.c - the writer thread; see writer.h.

    Design
    ------
    A mutex, two flags and a condition: `started` says a job waits for the
    thread, `ended` that it is done. The thread also writes to an eventfd
    when a job ends, so that the reactor, which sleeps in zmq_poll, wakes;
    writer_wait reads it back to zero. Only the reactor calls writer_start
    and writer_wait, so `busy` is the reactor's own and needs no lock.   */

#define _GNU_SOURCE /* pthread_setname_np */
#include "writer.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct writer_t {
    writer_job_fn *job;
    writer_job_fn *end;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool started; /* a job for the thread to run */
    bool ended;   /* the job has run */
    bool stop;
    bool busy;    /* the reactor's: started and not yet waited for */
    int fd;       /* eventfd: readable once a job has ended */
};

static void *
s_run (void *arg)
{
    writer_t *self = arg;
    //  By this name top, perf and the bench tell its CPU from the reactor's.
    pthread_setname_np (pthread_self (), "cibusd-writer");
    pthread_mutex_lock (&self->mutex);
    while (true) {
        while (!self->started && !self->stop)
            pthread_cond_wait (&self->cond, &self->mutex);
        if (!self->started)
            break; //  stopped, nothing left to run
        self->started = false;
        pthread_mutex_unlock (&self->mutex);
        self->job (self->arg);
        pthread_mutex_lock (&self->mutex);
        self->ended = true;
        pthread_cond_broadcast (&self->cond);
        uint64_t one = 1;
        //  Cannot fail but by overflow, after 2^64 - 1 jobs not waited for.
        if (write (self->fd, &one, sizeof one) != sizeof one)
            assert (false);
    }
    pthread_mutex_unlock (&self->mutex);
    if (self->end)
        self->end (self->arg);
    return NULL;
}

writer_t *
writer_new (writer_job_fn *job, writer_job_fn *end, void *arg)
{
    writer_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->job = job;
    self->end = end;
    self->arg = arg;
    self->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (self->fd < 0) {
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->mutex, NULL);
    pthread_cond_init (&self->cond, NULL);
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        pthread_cond_destroy (&self->cond);
        pthread_mutex_destroy (&self->mutex);
        close (self->fd);
        free (self);
        return NULL;
    }
    return self;
}

void
writer_destroy (writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    writer_t *self = *self_p;
    writer_wait (self);
    pthread_mutex_lock (&self->mutex);
    self->stop = true;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->mutex);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->mutex);
    close (self->fd);
    free (self);
    *self_p = NULL;
}

void
writer_start (writer_t *self)
{
    assert (!self->busy);
    self->busy = true;
    pthread_mutex_lock (&self->mutex);
    self->ended = false;
    self->started = true;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->mutex);
}

bool
writer_busy (const writer_t *self)
{
    return self->busy;
}

bool
writer_ended (writer_t *self)
{
    if (!self->busy)
        return true;
    pthread_mutex_lock (&self->mutex);
    bool ended = self->ended;
    pthread_mutex_unlock (&self->mutex);
    return ended;
}

void
writer_wait (writer_t *self)
{
    if (!self->busy)
        return;
    pthread_mutex_lock (&self->mutex);
    while (!self->ended)
        pthread_cond_wait (&self->cond, &self->mutex);
    pthread_mutex_unlock (&self->mutex);
    uint64_t count;
    //  Back to zero (EAGAIN when it already is): poll sleeps again.
    ssize_t rc = read (self->fd, &count, sizeof count);
    (void)rc;
    self->busy = false;
}

int
writer_fd (const writer_t *self)
{
    return self->fd;
}
