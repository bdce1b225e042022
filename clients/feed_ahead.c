/*  feed_ahead.c - a feed's publishes made ahead; see feed_ahead.h.

    The maker and the sender share a ring of FEED_AHEAD_MAX slots (fewer
    for fewer tables), the index-th table in slot index % ring, under one
    lock: the maker claims the next table once the sender is done with
    the one that held its slot, and fills the slot; the sender takes a
    slot once it is filled.

    The maker runs at the lowest priority (nice 19): beside a broker on
    the same machine, or anything else, it takes only the CPU time no
    other thread wants, since what bounds a feed is the broker's commits
    and the sender's pace, not the making. When the sender finds the
    table it needs not yet made (a maker starved of CPU), it makes it
    itself, so that the feed never waits on the maker; if the maker was
    making it too, the maker drops its copy.                            */

#define _GNU_SOURCE /* gettid */
#include "feed_ahead.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool ready;     /* made (under the lock) */
    bool abandoned; /* the sender made it itself: the maker frees its own (under the lock) */
    uint8_t *bytes; /* the publish, or NULL */
    size_t size;
    cibus_err_t err;
    char message [512]; /* why it cannot be sent, when bytes is NULL */
} s_slot_t;

struct feed_ahead_t {
    feed_t *feed;
    const char *topic;
    bool dry_run;
    size_t count; /* the feed's tables */
    size_t ring;  /* slots: FEED_AHEAD_MAX, or fewer for fewer tables */
    s_slot_t *slots;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t moved; /* a slot made, done went up, or stop was set */
    size_t claimed, done; /* tables claimed to be made, and taken and done with */
    bool stop;
    s_slot_t own;     /* a table the sender made itself, while the maker made it too */
    size_t own_index; /* which, or SIZE_MAX */
};

bool
feed_envelope (feed_t *feed, size_t index, const char *topic, cibus_table_t *table,
               cibus_envelope_t *env, char *message, size_t size)
{
    const char *id = feed_table_id (feed, index);
    if (!id) {
        snprintf (message, size, "out of memory");
        return false;
    }
    cibus__envelope__init (env);
    env->topic = (char *) topic;
    env->id = (char *) id;
    if (feed_table_build (feed_table (feed, index), table) || cibus_table_envelope (table, env)) {
        snprintf (message, size, "%s", cibus_table_error (table));
        return false;
    }
    return true;
}

//  Make the index-th table's publish into its slot.
static void
s_make (feed_ahead_t *self, size_t index, s_slot_t *slot)
{
    slot->bytes = NULL;
    slot->size = 0;
    slot->err = CIBUS_OK;
    slot->message [0] = 0;
    if (feed_table (self->feed, index)->refusal)
        return; //  refused before any sending: the sender knows it
    cibus_table_t *table = cibus_table_new ();
    cibus_envelope_t env;
    codec_problem_t problem;
    if (!table) {
        slot->err = CIBUS_ERR_NOMEM;
        snprintf (slot->message, sizeof slot->message, "out of memory");
    } else if (feed_envelope (self->feed, index, self->topic, table, &env, slot->message,
                              sizeof slot->message)) {
        slot->bytes = cibus_publish_prepare (&env, self->dry_run, &slot->size, &problem);
        if (!slot->bytes) {
            slot->err = problem.code == CIBUS_ERR_NOMEM ? CIBUS_ERR_NOMEM : CIBUS_OK;
            snprintf (slot->message, sizeof slot->message, "%s", problem.message);
        }
    } else if (strcmp (slot->message, "out of memory") == 0)
        slot->err = CIBUS_ERR_NOMEM;
    cibus_table_destroy (&table);
}

//  Make the index-th table, claimed, into its slot, and say so.
static void
s_make_claimed (feed_ahead_t *self, size_t index)
{
    s_slot_t *slot = &self->slots [index % self->ring];
    s_make (self, index, slot);
    pthread_mutex_lock (&self->lock);
    if (slot->abandoned) {
        free (slot->bytes);
        slot->bytes = NULL;
        slot->abandoned = false;
    } else
        slot->ready = true;
    pthread_cond_broadcast (&self->moved);
    pthread_mutex_unlock (&self->lock);
}

static void *
s_maker (void *arg)
{
    feed_ahead_t *self = arg;
    setpriority (PRIO_PROCESS, (id_t) gettid (), 19); //  as low as it goes; no harm if refused
    while (true) {
        pthread_mutex_lock (&self->lock);
        while (!self->stop && self->claimed < self->count
               && self->claimed - self->done >= self->ring)
            pthread_cond_wait (&self->moved, &self->lock);
        bool over = self->stop || self->claimed >= self->count;
        size_t index = self->claimed;
        if (!over)
            self->claimed++;
        pthread_mutex_unlock (&self->lock);
        if (over)
            break;
        s_make_claimed (self, index);
    }
    return NULL;
}

feed_ahead_t *
feed_ahead_new (feed_t *feed, const char *topic, bool dry_run)
{
    feed_ahead_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->feed = feed;
    self->topic = topic;
    self->dry_run = dry_run;
    self->count = feed_table_count (feed);
    self->ring = self->count < FEED_AHEAD_MAX ? (self->count ? self->count : 1) : FEED_AHEAD_MAX;
    self->slots = calloc (self->ring, sizeof *self->slots);
    if (!self->slots || pthread_mutex_init (&self->lock, NULL) != 0) {
        free (self->slots);
        free (self);
        return NULL;
    }
    pthread_cond_init (&self->moved, NULL);
    self->own_index = SIZE_MAX;
    if (pthread_create (&self->thread, NULL, s_maker, self) != 0) {
        pthread_cond_destroy (&self->moved);
        pthread_mutex_destroy (&self->lock);
        free (self->slots);
        free (self);
        return NULL;
    }
    return self;
}

const uint8_t *
feed_ahead_take (feed_ahead_t *self, size_t index, size_t *size, const char **message,
                 cibus_err_t *err)
{
    s_slot_t *slot = &self->slots [index % self->ring];
    pthread_mutex_lock (&self->lock);
    bool ready = slot->ready, mine = !ready && self->claimed == index;
    if (mine)
        self->claimed++;
    //  The maker is making it: the sender does not wait for a maker that
    //  may be starved of CPU, it makes the table too, and the maker drops
    //  its copy.
    bool twice = !ready && !mine;
    if (twice)
        slot->abandoned = true;
    pthread_mutex_unlock (&self->lock);
    if (mine)
        s_make_claimed (self, index);
    if (twice) {
        s_make (self, index, &self->own);
        self->own_index = index;
        slot = &self->own;
    }
    *size = slot->size;
    *message = slot->message;
    *err = slot->err;
    return slot->bytes;
}

void
feed_ahead_done (feed_ahead_t *self, size_t index)
{
    s_slot_t *slot = &self->slots [index % self->ring];
    bool own = self->own_index == index;
    if (own) {
        free (self->own.bytes);
        self->own.bytes = NULL;
        self->own_index = SIZE_MAX;
    } else {
        free (slot->bytes);
        slot->bytes = NULL;
    }
    pthread_mutex_lock (&self->lock);
    if (!own)
        slot->ready = false;
    self->done = index + 1;
    pthread_cond_broadcast (&self->moved);
    pthread_mutex_unlock (&self->lock);
}

void
feed_ahead_destroy (feed_ahead_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    feed_ahead_t *self = *self_p;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_broadcast (&self->moved);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    for (size_t i = 0; i < self->ring; i++)
        free (self->slots [i].bytes);
    free (self->own.bytes);
    free (self->slots);
    pthread_cond_destroy (&self->moved);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
