/*  test_writer.c - the broker's writer thread (broker/writer.c): one job at
    a time, its end told by a descriptor, its writes seen after the wait. */

#include "writer.h"

#include "harness.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  A job that holds until the test lets it go, so that "still running" is
//  a state the test controls rather than a race it hopes to win.
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool release;   /* the job may end */
    bool running;   /* the job has begun */
    int runs;       /* jobs run to their end */
    int value;      /* written by the job, read after writer_wait */
    int ends;       /* calls of the end function */
    pthread_t thread; /* the thread the job ran on */
} s_job_t;

static void
s_job (void *arg)
{
    s_job_t *job = arg;
    pthread_mutex_lock (&job->mutex);
    job->running = true;
    job->thread = pthread_self ();
    pthread_cond_broadcast (&job->cond);
    while (!job->release)
        pthread_cond_wait (&job->cond, &job->mutex);
    job->release = false;
    job->running = false;
    job->runs++;
    pthread_mutex_unlock (&job->mutex);
    job->value += 10; //  without the lock: writer_wait must publish it
}

static void
s_end (void *arg)
{
    s_job_t *job = arg;
    job->ends++;
}

static void
s_job_init (s_job_t *job)
{
    memset (job, 0, sizeof *job);
    pthread_mutex_init (&job->mutex, NULL);
    pthread_cond_init (&job->cond, NULL);
}

static void
s_job_release (s_job_t *job)
{
    pthread_mutex_lock (&job->mutex);
    job->release = true;
    pthread_cond_broadcast (&job->cond);
    pthread_mutex_unlock (&job->mutex);
}

//  Wait, with the deadline, until the job has begun.
static void
s_job_wait_running (s_job_t *job)
{
    pthread_mutex_lock (&job->mutex);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    while (!job->running && harness_now_msec () < until) {
        struct timespec at;
        clock_gettime (CLOCK_REALTIME, &at);
        at.tv_nsec += 10 * 1000 * 1000;
        if (at.tv_nsec >= 1000000000) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait (&job->cond, &job->mutex, &at);
    }
    bool running = job->running;
    pthread_mutex_unlock (&job->mutex);
    assert_true (running);
}

//  Whether the writer's descriptor polls readable within msec.
static bool
s_readable (writer_t *writer, int msec)
{
    struct pollfd item = {writer_fd (writer), POLLIN, 0};
    return poll (&item, 1, msec) == 1 && (item.revents & POLLIN);
}

static void
test_writer_runs_each_job_on_its_thread_and_says_when_it_ends (void **state)
{
    (void) state;
    s_job_t job;
    s_job_init (&job);
    writer_t *writer = writer_new (s_job, s_end, &job);
    assert_non_null (writer);
    assert_false (writer_busy (writer));
    assert_true (writer_ended (writer));
    assert_false (s_readable (writer, 0));

    for (int round = 1; round <= 3; round++) {
        writer_start (writer);
        s_job_wait_running (&job);
        assert_true (writer_busy (writer));
        //  Running: not ended, and the descriptor stays quiet.
        assert_false (writer_ended (writer));
        assert_false (s_readable (writer, 0));
        assert_false (pthread_equal (job.thread, pthread_self ()));
        s_job_release (&job);
        //  Ended: the descriptor wakes a poll, and the wait returns at once
        //  with what the job wrote.
        assert_true (s_readable (writer, HARNESS_DEADLINE_MSEC));
        assert_true (writer_ended (writer));
        writer_wait (writer);
        assert_false (writer_busy (writer));
        assert_int_equal (job.runs, round);
        assert_int_equal (job.value, 10 * round);
        //  Read back to quiet: the next poll sleeps.
        assert_false (s_readable (writer, 0));
    }
    //  A wait with no job running returns at once.
    writer_wait (writer);
    assert_int_equal (job.ends, 0);
    writer_destroy (&writer);
    assert_null (writer);
    assert_int_equal (job.ends, 1);
    assert_int_equal (job.runs, 3);
}

//  Destroying a writer whose job may still be running waits for the job
//  to end: a batch is never cut off mid-commit.
static void
test_writer_destroy_waits_for_the_job_that_runs (void **state)
{
    (void) state;
    s_job_t job;
    s_job_init (&job);
    writer_t *writer = writer_new (s_job, NULL, &job);
    assert_non_null (writer);
    writer_start (writer);
    s_job_wait_running (&job);
    s_job_release (&job);
    writer_destroy (&writer);
    assert_int_equal (job.runs, 1);
    assert_int_equal (job.value, 10);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_writer_runs_each_job_on_its_thread_and_says_when_it_ends),
        cmocka_unit_test (test_writer_destroy_waits_for_the_job_that_runs),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("writer", tests, NULL, NULL);
}
