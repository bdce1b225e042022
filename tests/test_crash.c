/*  test_crash.c - crash consistency: a broker killed with SIGKILL at random
    moments, under several publishers and subscribers, and restarted on the
    same data directory each time, loses no acked update, stores none twice,
    keeps its seqs contiguous, and every subscriber reads each entry it may
    read once and in seq order.

    Design
    ------
    Publishers and subscribers are threads, each with its own library
    connection (a cibus_t is one thread's). The main thread is the operator:
    it starts the broker, waits until the load is on (acks are coming back
    and every subscriber has its cursor open on this broker), waits a random
    few to few hundred milliseconds more, and kills the broker with SIGKILL
    while publishes are in flight. Each restart is a new "generation" of the
    broker on a new port, found through its endpoint file: a client made for
    one generation is dropped as soon as that generation is gone, and a new
    one is made for the next.

    A publisher numbers its ids and remembers which were sent and which were
    acked. After a restart it first publishes again every id it sent and saw
    no ack for (publish is idempotent per partner and id: one the broker had
    stored is acked as a duplicate with its first seq), then goes on with
    fresh ids. A subscriber remembers the last seq it was given and opens its
    cursor again after it. At the end every id is flushed, a marker per
    network tells the subscribers that they have everything, and the log is
    read from seq 1 as the backbone and compared with what each thread saw.

    The kill delays come from a seeded PRNG. The seed is printed first;
    CIBUS_TEST_SEED=N replays the same delays (the threads' interleaving is
    the scheduler's and is not replayed).                                */

#include "cibus_wire.h"
#include "harness.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  How many times the broker is killed.
#define S_KILLS 12
//  Acks since the last start before the random delay begins: the load is on.
#define S_ACKS_BEFORE_KILL 40
//  The random delay after that, in milliseconds.
#define S_KILL_DELAY_MIN 3
#define S_KILL_DELAY_MAX 300
//  Ids each publisher may use: far more than a run needs (up to 15,000 here
//  under ASan). Untouched pages of the tables cost nothing.
#define S_MAX_IDS (1 << 20)
//  Publishes a connection keeps in flight.
#define S_WINDOW 32
//  A subscriber's credit window.
#define S_CREDIT 64
//  How long a client call waits: bounds how late a thread notices that the
//  broker it was talking to has been killed. A healthy broker slower than
//  this costs nothing: the call is made again.
#define S_CLIENT_TIMEOUT 150
//  The final checks' connection waits longer: nothing is killed then.
#define S_TIMEOUT 10000

#define S_PUBLISHERS  4
#define S_SUBSCRIBERS 3
//  The markers are the hub's, numbered after the publishers.
#define S_MARKERS S_PUBLISHERS

typedef struct s_crash_t s_crash_t;

typedef enum { S_UNSENT, S_SENT, S_ACKED } s_id_state_t;

//  A publisher: ids "p<number>-<index>", each on a topic of one of its
//  networks, chosen by the index so that a retry publishes the same entry.
typedef struct {
    s_crash_t *crash;
    unsigned number;
    const char *partner;      /* the registry's name, which the log stamps */
    const char *secret;       /* borrowed from the world */
    const char *networks [2]; /* the second may be NULL */
    uint8_t *state;           /* s_id_state_t per index */
    uint64_t *seq;            /* the seq the ack named, per index */
    size_t fresh;             /* the first index never sent */
    size_t retried;           /* ids published again after a restart */
    size_t duplicates;        /* of which the broker had stored before the kill */
    uint64_t max_seq;         /* the highest seq an ack named */
    size_t in_flight;         /* sent on the current connection, not acked; locked */
    bool done;                /* every id acked after draining; locked */
    pthread_t thread;
    bool started;
} s_pub_t;

//  A subscriber, and everything it was delivered, in order.
typedef struct {
    s_crash_t *crash;
    const char *name;
    const char *secret;
    const char *prefix;  /* the cursor's topic prefix; NULL: everything */
    const char *network; /* the one network it may read; NULL: all (backbone) */
    const char *end_id;  /* the hub's marker after which it has read everything */
    uint64_t *seqs;
    uint64_t *keys; /* s_key () of each entry */
    size_t count, capacity;
    uint64_t last_seq;       /* the last seq delivered, 0 before any; written locked */
    unsigned subscribed_gen; /* the generation its cursor is open on; locked */
    size_t subscribes;
    bool done; /* it saw its end marker; locked */
    pthread_t thread;
    bool started;
} s_sub_t;

//  The log as the backbone reads it: for seq 1..last, its entry's key
//  (s_key) and topic.
typedef struct {
    uint64_t last;
    uint64_t *keys;
    char **topics;
} s_log_t;

struct s_crash_t {
    harness_world_t world;
    char broker_cert [4200];
    pthread_mutex_t lock;   /* guards what follows and the fields marked locked */
    pthread_cond_t changed; /* broadcast whenever any of it changes */
    unsigned gen;           /* incremented at every start of the broker */
    bool up;                /* the broker of generation gen is running */
    char endpoint [256];    /* where it listens */
    size_t acks;            /* acks since the last start */
    bool draining;          /* publishers: no fresh ids, flush and finish */
    bool stop;              /* every thread: leave now */
    char failure [1024];    /* the first fault a thread met */
    s_pub_t pubs [S_PUBLISHERS];
    s_sub_t subs [S_SUBSCRIBERS];
    //  The operator's, kept here so that teardown frees them after a
    //  failed assertion too.
    cibus_t *reader;
    s_log_t log;
    uint64_t *at [S_PUBLISHERS + 1];
    sqlite3 *db;
};

//  ---------------------------------------------------------------- shared state

static void
s_lock (s_crash_t *crash)
{
    pthread_mutex_lock (&crash->lock);
}

static void
s_unlock (s_crash_t *crash)
{
    pthread_cond_broadcast (&crash->changed);
    pthread_mutex_unlock (&crash->lock);
}

//  Wait on the condition until the monotonic time until (msec); false once
//  it has passed.
static bool
s_timedwait (s_crash_t *crash, int64_t until)
{
    int64_t left = until - harness_now_msec ();
    if (left <= 0)
        return false;
    struct timespec at;
    clock_gettime (CLOCK_MONOTONIC, &at);
    at.tv_sec += (time_t) (left / 1000);
    at.tv_nsec += (long) (left % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L)
        at.tv_sec++, at.tv_nsec -= 1000000000L;
    return pthread_cond_timedwait (&crash->changed, &crash->lock, &at) != ETIMEDOUT
           || harness_now_msec () < until;
}

//  Record the first fault a thread met and tell everyone to stop: a thread
//  cannot fail a cmocka test itself, only the main thread can.
static void s_fault (s_crash_t *crash, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fault (s_crash_t *crash, const char *format, ...)
{
    s_lock (crash);
    if (!*crash->failure) {
        va_list args;
        va_start (args, format);
        vsnprintf (crash->failure, sizeof crash->failure, format, args);
        va_end (args);
    }
    crash->stop = true;
    s_unlock (crash);
}

//  The first fault, copied ("" if none).
static const char *
s_failure (s_crash_t *crash, char *copy, size_t size)
{
    s_lock (crash);
    snprintf (copy, size, "%s", crash->failure);
    s_unlock (crash);
    return copy;
}

//  Whether the broker a connection was made for still runs.
static bool
s_current (s_crash_t *crash, unsigned gen)
{
    s_lock (crash);
    bool current = !crash->stop && crash->up && crash->gen == gen;
    s_unlock (crash);
    return current;
}

//  Wait for a running broker; its generation and endpoint go to gen and
//  endpoint. False when the test is stopping or none came in time.
static bool
s_await_broker (s_crash_t *crash, unsigned *gen, char *endpoint, size_t size)
{
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    s_lock (crash);
    while (!crash->stop && !crash->up && s_timedwait (crash, until))
        ;
    bool up = !crash->stop && crash->up;
    bool late = !crash->stop && !crash->up;
    if (up) {
        *gen = crash->gen;
        snprintf (endpoint, size, "%s", crash->endpoint);
    }
    s_unlock (crash);
    if (late)
        s_fault (crash, "no broker was running within %d ms", HARNESS_DEADLINE_MSEC);
    return up;
}

//  Whether a call that failed on the connection made for generation gen
//  may be given up quietly: true when that broker is gone (the caller then
//  connects to the next), or when it merely timed out. Any other failure
//  while that broker still runs is a fault.
static bool
s_expected (s_crash_t *crash, unsigned gen, cibus_t *client, cibus_err_t err, const char *who)
{
    if (err == CIBUS_ERR_TIMEOUT || !s_current (crash, gen))
        return true;
    s_fault (crash, "%s: %s (%s) while the broker ran", who, cibus_error (client),
             cibus_strerror (err));
    return false;
}

static cibus_t *
s_client (s_crash_t *crash, const char *endpoint, const char *secret)
{
    char error [512];
    cibus_config_t config = {endpoint, crash->broker_cert, secret, S_CLIENT_TIMEOUT};
    cibus_t *client = cibus_new (&config, error, sizeof error);
    if (!client)
        s_fault (crash, "cannot make a client: %s", error);
    return client;
}

//  Whether the broker a connection was made for holds every seq the thread
//  was already told of (acked, or delivered): an ack or a delivery is sent
//  only for a committed entry, so a restarted broker must have it. False
//  when the caller should let the connection go (that broker is gone) or
//  stop (a fault).
static bool
s_holds (s_crash_t *crash, cibus_t *client, unsigned gen, const char *who, const char *told,
         uint64_t seen)
{
    cibus_status_t status;
    cibus_err_t err = cibus_status (client, &status);
    if (err) {
        s_expected (crash, gen, client, err, who);
        return false;
    }
    if (status.last_seq < seen) {
        s_fault (crash, "%s was %s seq %llu, but the restarted broker's log ends at seq %llu", who,
                 told, (unsigned long long) seen, (unsigned long long) status.last_seq);
        return false;
    }
    return true;
}

//  ---------------------------------------------------------------- ids

//  A key for an entry of the test: the publisher's number in the high half,
//  the index in the low. UINT64_MAX for an id the test never made.
static uint64_t
s_key (const char *partner, const char *id, const s_crash_t *crash)
{
    unsigned number;
    unsigned long index;
    char rest;
    if (partner && id && sscanf (id, "p%u-%lu%c", &number, &index, &rest) == 2
        && number < S_PUBLISHERS && index < S_MAX_IDS
        && strcmp (partner, crash->pubs [number].partner) == 0)
        return (uint64_t) number << 32 | index;
    if (partner && id && strcmp (partner, "hub") == 0) {
        if (strcmp (id, "end-early-literacy") == 0)
            return (uint64_t) S_MARKERS << 32;
        if (strcmp (id, "end-postsecondary") == 0)
            return (uint64_t) S_MARKERS << 32 | 1;
    }
    return UINT64_MAX;
}

//  The topic an entry of the test was published on.
static void
s_topic (const s_crash_t *crash, uint64_t key, char *topic, size_t size)
{
    unsigned number = (unsigned) (key >> 32);
    size_t index = (size_t) (key & 0xffffffffu);
    const char *network;
    if (number == S_MARKERS)
        network = index == 0 ? "early-literacy" : "postsecondary";
    else {
        const s_pub_t *pub = &crash->pubs [number];
        network = pub->networks [1] ? pub->networks [index % 2] : pub->networks [0];
    }
    snprintf (topic, size, "%s/note", network);
}

//  A meeting note: needs no indicator catalogue. The strings are the
//  struct's own.
typedef struct {
    cibus_envelope_t env;
    Cibus__MeetingNote note;
    char topic [160];
    char id [64];
} s_note_t;

static void
s_note_init (s_note_t *note, const s_crash_t *crash, uint64_t key, const char *id)
{
    cibus__envelope__init (&note->env);
    cibus__meeting_note__init (&note->note);
    s_topic (crash, key, note->topic, sizeof note->topic);
    snprintf (note->id, sizeof note->id, "%s", id);
    note->env.topic = note->topic;
    note->env.id = note->id;
    note->note.title = note->id;
    note->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    note->env.note = &note->note;
}

//  ---------------------------------------------------------------- publishers

static void
s_on_ack (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    s_pub_t *pub = arg;
    s_crash_t *crash = pub->crash;
    uint64_t key = s_key (pub->partner, ack->id, crash);
    if (err) {
        s_fault (crash, "publisher %u: '%s' refused: %s", pub->number, ack->id, message);
        return;
    }
    if (key == UINT64_MAX || (unsigned) (key >> 32) != pub->number) {
        s_fault (crash, "publisher %u: an ack for an id it never sent: '%s'", pub->number, ack->id);
        return;
    }
    size_t index = (size_t) (key & 0xffffffffu);
    s_lock (crash);
    pub->state [index] = S_ACKED;
    pub->seq [index] = ack->seq;
    pub->duplicates += ack->duplicate;
    if (ack->seq > pub->max_seq)
        pub->max_seq = ack->seq;
    if (pub->in_flight)
        pub->in_flight--;
    crash->acks++;
    s_unlock (crash);
}

//  Publish on one connection until the broker it was made for is gone: first
//  every id sent on an earlier connection and never acked, then fresh ids;
//  once draining, flush. True when every id is acked.
static bool
s_publish_session (s_pub_t *pub, cibus_t *client, unsigned gen)
{
    s_crash_t *crash = pub->crash;
    char who [32];
    snprintf (who, sizeof who, "publisher %u", pub->number);
    size_t retry = 0, earlier = pub->fresh;
    if (!s_holds (crash, client, gen, who, "acked", pub->max_seq))
        return false;
    while (s_current (crash, gen)) {
        while (retry < earlier && pub->state [retry] != S_SENT)
            retry++;
        s_lock (crash);
        bool draining = crash->draining;
        s_unlock (crash);
        size_t index;
        bool again = retry < earlier;
        if (again)
            index = retry;
        else if (!draining && pub->fresh < S_MAX_IDS)
            index = pub->fresh;
        else if (!draining) {
            s_fault (crash, "%s used all its %d ids: raise S_MAX_IDS", who, S_MAX_IDS);
            return false;
        } else {
            cibus_err_t err = cibus_flush (client);
            if (err == CIBUS_OK) {
                s_lock (crash);
                pub->done = true;
                s_unlock (crash);
                return true;
            }
            if (!s_expected (crash, gen, client, err, who))
                return false;
            continue;
        }
        char id [32];
        snprintf (id, sizeof id, "p%u-%zu", pub->number, index);
        s_note_t note;
        s_note_init (&note, crash, (uint64_t) pub->number << 32 | index, id);
        cibus_err_t err = cibus_publish_async (client, &note.env);
        if (err) {
            if (!s_expected (crash, gen, client, err, who))
                return false;
            continue; //  not sent: the same id again, or the next broker
        }
        s_lock (crash);
        pub->in_flight++;
        if (pub->state [index] == S_UNSENT)
            pub->state [index] = S_SENT;
        s_unlock (crash);
        if (again)
            retry++, pub->retried++;
        else
            pub->fresh++;
    }
    return false;
}

static void *
s_publisher (void *arg)
{
    s_pub_t *pub = arg;
    s_crash_t *crash = pub->crash;
    unsigned gen;
    char endpoint [256];
    bool finished = false;
    while (!finished && s_await_broker (crash, &gen, endpoint, sizeof endpoint)) {
        cibus_t *client = s_client (crash, endpoint, pub->secret);
        if (!client)
            break;
        cibus_set_ack_handler (client, s_on_ack, pub);
        cibus_set_window (client, S_WINDOW);
        finished = s_publish_session (pub, client, gen);
        cibus_destroy (&client);
        //  What it had in flight is not acked on any later connection: it
        //  is published again there.
        s_lock (crash);
        pub->in_flight = 0;
        s_unlock (crash);
    }
    return NULL;
}

//  ---------------------------------------------------------------- subscribers

//  Take one delivery: it must come after the last one and be an entry of
//  the test. True when it is the subscriber's end marker.
static bool
s_take (s_sub_t *sub, const cibus_envelope_t *env)
{
    s_crash_t *crash = sub->crash;
    uint64_t key = s_key (env->partner, env->id, crash);
    if (env->seq <= sub->last_seq) {
        s_fault (crash, "subscriber %s: seq %llu delivered after seq %llu", sub->name,
                 (unsigned long long) env->seq, (unsigned long long) sub->last_seq);
        return false;
    }
    if (key == UINT64_MAX) {
        s_fault (crash, "subscriber %s: seq %llu is '%s' of '%s', which no thread published",
                 sub->name, (unsigned long long) env->seq, env->id ? env->id : "",
                 env->partner ? env->partner : "");
        return false;
    }
    if (sub->count == sub->capacity) {
        size_t capacity = sub->capacity ? 2 * sub->capacity : 4096;
        uint64_t *seqs = realloc (sub->seqs, capacity * sizeof *seqs);
        if (seqs)
            sub->seqs = seqs;
        uint64_t *keys = realloc (sub->keys, capacity * sizeof *keys);
        if (keys)
            sub->keys = keys;
        if (!seqs || !keys) {
            s_fault (crash, "subscriber %s: out of memory", sub->name);
            return false;
        }
        sub->capacity = capacity;
    }
    sub->seqs [sub->count] = env->seq;
    sub->keys [sub->count++] = key;
    s_lock (crash);
    sub->last_seq = env->seq;
    s_unlock (crash);
    return strcmp (env->partner, "hub") == 0 && strcmp (env->id, sub->end_id) == 0;
}

//  Read on one connection until the broker it was made for is gone, from
//  the seq after the last one delivered. True once the end marker came.
static bool
s_read_session (s_sub_t *sub, cibus_t *client, unsigned gen)
{
    s_crash_t *crash = sub->crash;
    char who [64];
    snprintf (who, sizeof who, "subscriber %s", sub->name);
    if (!s_holds (crash, client, gen, who, "delivered", sub->last_seq))
        return false;
    const char *prefixes [] = {sub->prefix};
    uint64_t from = sub->last_seq + 1, next_seq = 0;
    cibus_err_t err =
        cibus_subscribe (client, prefixes, sub->prefix ? 1 : 0, from, S_CREDIT, &next_seq);
    if (err) {
        //  Timed out or the broker is gone: a new connection either way,
        //  since a late answer would open a cursor this one does not know.
        s_expected (crash, gen, client, err, who);
        return false;
    }
    if (next_seq != from) {
        s_fault (crash, "%s: asked for a cursor from seq %llu, got one from %llu", who,
                 (unsigned long long) from, (unsigned long long) next_seq);
        return false;
    }
    s_lock (crash);
    sub->subscribed_gen = gen;
    sub->subscribes++;
    s_unlock (crash);
    while (s_current (crash, gen)) {
        cibus_envelope_t *env;
        err = cibus_next (client, S_CLIENT_TIMEOUT, &env);
        if (err) {
            if (!s_expected (crash, gen, client, err, who))
                return false;
            continue;
        }
        bool end = s_take (sub, env);
        cibus_envelope_free (env);
        if (end) {
            s_lock (crash);
            sub->done = true;
            s_unlock (crash);
            return true;
        }
    }
    return false;
}

static void *
s_subscriber (void *arg)
{
    s_sub_t *sub = arg;
    s_crash_t *crash = sub->crash;
    unsigned gen;
    char endpoint [256];
    bool finished = false;
    while (!finished && s_await_broker (crash, &gen, endpoint, sizeof endpoint)) {
        cibus_t *client = s_client (crash, endpoint, sub->secret);
        if (!client)
            break;
        finished = s_read_session (sub, client, gen);
        cibus_destroy (&client);
    }
    return NULL;
}

//  ---------------------------------------------------------------- the operator

//  splitmix64: small, and the same sequence everywhere for a seed.
static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t
s_seed (void)
{
    const char *given = getenv ("CIBUS_TEST_SEED");
    if (given && *given)
        return strtoull (given, NULL, 10);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return ((uint64_t) now.tv_sec * 1000000000ull + (uint64_t) now.tv_nsec)
           ^ ((uint64_t) getpid () << 32);
}

//  Tell the threads that the world's broker runs as a new generation.
static void
s_broker_up (s_crash_t *crash)
{
    s_lock (crash);
    crash->gen++;
    crash->up = true;
    crash->acks = 0;
    snprintf (crash->endpoint, sizeof crash->endpoint, "%s", crash->world.broker.endpoint);
    s_unlock (crash);
}

//  The load is on: acks are coming back from this broker and every
//  subscriber has its cursor open on it.
static bool
s_loaded (const s_crash_t *crash)
{
    if (crash->acks < S_ACKS_BEFORE_KILL)
        return false;
    for (size_t i = 0; i < S_SUBSCRIBERS; i++)
        if (crash->subs [i].subscribed_gen != crash->gen)
            return false;
    return true;
}

static bool
s_publishers_done (const s_crash_t *crash)
{
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        if (!crash->pubs [i].done)
            return false;
    return true;
}

static bool
s_subscribers_done (const s_crash_t *crash)
{
    for (size_t i = 0; i < S_SUBSCRIBERS; i++)
        if (!crash->subs [i].done)
            return false;
    return true;
}

//  Wait until ready() holds, a thread faults, or the deadline passes.
static bool
s_wait (s_crash_t *crash, bool (*ready) (const s_crash_t *))
{
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    s_lock (crash);
    bool ok;
    while (!(ok = ready (crash)) && !crash->stop && s_timedwait (crash, until))
        ;
    s_unlock (crash);
    return ok;
}

//  Let msec pass unless a thread faults: the random part of the moment of a
//  kill, not a wait for anything to settle.
static void
s_pause (s_crash_t *crash, int msec)
{
    int64_t until = harness_now_msec () + msec;
    s_lock (crash);
    while (!crash->stop && s_timedwait (crash, until))
        ;
    s_unlock (crash);
}

//  Kill the broker with SIGKILL and return how many publishes were in
//  flight at that instant (sent, not acked). The threads learn that it is
//  gone under the same lock, so a failure they see from now on is the kill's.
static size_t
s_kill (s_crash_t *crash)
{
    s_lock (crash);
    size_t in_flight = 0;
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        in_flight += crash->pubs [i].in_flight;
    kill (crash->world.broker.pid, SIGKILL);
    crash->up = false;
    s_unlock (crash);
    return in_flight;
}

//  A connection of the backbone to the running broker, for the operator.
static cibus_t *
s_hub (s_crash_t *crash)
{
    char error [512];
    cibus_config_t config = {crash->world.broker.endpoint, crash->broker_cert, crash->world.hub,
                             S_TIMEOUT};
    cibus_t *hub = cibus_new (&config, error, sizeof error);
    if (!hub)
        fail_msg ("%s", error);
    return hub;
}

//  The id of an entry of the test, for messages.
static const char *
s_id (const s_crash_t *crash, uint64_t key, char *id, size_t size)
{
    unsigned number = (unsigned) (key >> 32);
    size_t index = (size_t) (key & 0xffffffffu);
    if (number == S_MARKERS)
        snprintf (id, size, "%s", index == 0 ? "end-early-literacy" : "end-postsecondary");
    else
        snprintf (id, size, "%s's p%u-%zu", crash->pubs [number].partner, number, index);
    return id;
}

//  Read the whole log from seq 1 as the backbone into crash->log: it must
//  be 1..last with no gap, each entry one the test published.
static void
s_read_log (s_crash_t *crash)
{
    s_log_t *log = &crash->log;
    crash->reader = s_hub (crash);
    cibus_status_t status;
    assert_int_equal (cibus_status (crash->reader, &status), CIBUS_OK);
    log->last = status.last_seq;
    log->keys = calloc (log->last + 1, sizeof *log->keys);
    log->topics = calloc (log->last + 1, sizeof *log->topics);
    assert_non_null (log->keys);
    assert_non_null (log->topics);
    assert_int_equal (cibus_subscribe (crash->reader, NULL, 0, 1, 1000, NULL), CIBUS_OK);
    for (uint64_t seq = 1; seq <= log->last; seq++) {
        cibus_envelope_t *env;
        assert_int_equal (cibus_next (crash->reader, S_TIMEOUT, &env), CIBUS_OK);
        uint64_t key = s_key (env->partner, env->id, crash);
        if (env->seq != seq)
            fail_msg ("the log goes from seq %llu to seq %llu", (unsigned long long) seq - 1,
                      (unsigned long long) env->seq);
        if (key == UINT64_MAX)
            fail_msg ("seq %llu holds '%s' of '%s', which no thread published",
                      (unsigned long long) seq, env->id, env->partner);
        log->keys [seq] = key;
        log->topics [seq] = strdup (env->topic);
        cibus_envelope_free (env);
        assert_non_null (log->topics [seq]);
    }
    //  And nothing after the last.
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_status (crash->reader, &status), CIBUS_OK);
    assert_int_equal (status.last_seq, log->last);
    assert_int_equal (cibus_next (crash->reader, 0, &env), CIBUS_ERR_TIMEOUT);
    cibus_destroy (&crash->reader);
}

//  Every id a publisher sent is in the log exactly once, at the seq its ack
//  named, on the topic it was published to; the log holds nothing else.
static void
s_check_publishers (s_crash_t *crash)
{
    const s_log_t *log = &crash->log;
    char id [64];
    uint64_t *at [S_PUBLISHERS + 1]; //  the seq each index is stored at
    for (size_t i = 0; i <= S_PUBLISHERS; i++)
        at [i] = crash->at [i] =
            calloc (i < S_PUBLISHERS ? crash->pubs [i].fresh + 1 : 2, sizeof (uint64_t));
    for (size_t i = 0; i <= S_PUBLISHERS; i++)
        assert_non_null (at [i]);
    for (uint64_t seq = 1; seq <= log->last; seq++) {
        uint64_t key = log->keys [seq];
        unsigned number = (unsigned) (key >> 32);
        size_t index = (size_t) (key & 0xffffffffu);
        if (number < S_PUBLISHERS && index >= crash->pubs [number].fresh)
            fail_msg ("seq %llu holds %s, which was never sent", (unsigned long long) seq,
                      s_id (crash, key, id, sizeof id));
        if (at [number][index])
            fail_msg ("%s is stored twice, at seq %llu and seq %llu",
                      s_id (crash, key, id, sizeof id), (unsigned long long) at [number][index],
                      (unsigned long long) seq);
        at [number][index] = seq;
        char topic [160];
        s_topic (crash, key, topic, sizeof topic);
        if (strcmp (log->topics [seq], topic) != 0)
            fail_msg ("seq %llu, %s, is on topic '%s', published on '%s'", (unsigned long long) seq,
                      s_id (crash, key, id, sizeof id), log->topics [seq], topic);
    }
    for (unsigned i = 0; i < S_PUBLISHERS; i++) {
        const s_pub_t *pub = &crash->pubs [i];
        for (size_t index = 0; index < pub->fresh; index++) {
            uint64_t key = (uint64_t) i << 32 | index;
            if (pub->state [index] != S_ACKED)
                fail_msg ("%s was never acked", s_id (crash, key, id, sizeof id));
            if (at [i][index] != pub->seq [index])
                fail_msg ("%s was acked with seq %llu but is %s%llu",
                          s_id (crash, key, id, sizeof id), (unsigned long long) pub->seq [index],
                          at [i][index] ? "stored at seq " : "not in the log: ",
                          (unsigned long long) at [i][index]);
        }
    }
    assert_true (at [S_MARKERS][0] > 0);
    assert_true (at [S_MARKERS][1] > 0);
}

//  Whether a subscriber may read an entry on topic.
static bool
s_readable (const s_sub_t *sub, const char *topic)
{
    if (!sub->network)
        return true;
    size_t len = strlen (sub->network);
    return strncmp (topic, sub->network, len) == 0 && topic [len] == '/';
}

//  A subscriber was delivered exactly the entries of the log it may read,
//  each once, in seq order, across every restart.
static void
s_check_subscriber (s_crash_t *crash, const s_sub_t *sub)
{
    const s_log_t *log = &crash->log;
    char id [64], other [64];
    size_t next = 0;
    for (uint64_t seq = 1; seq <= log->last; seq++) {
        if (!s_readable (sub, log->topics [seq]))
            continue;
        if (next == sub->count)
            fail_msg ("subscriber %s was never delivered seq %llu (%s)", sub->name,
                      (unsigned long long) seq, s_id (crash, log->keys [seq], id, sizeof id));
        if (sub->seqs [next] != seq)
            fail_msg ("subscriber %s was delivered seq %llu where seq %llu was due", sub->name,
                      (unsigned long long) sub->seqs [next], (unsigned long long) seq);
        if (sub->keys [next] != log->keys [seq])
            fail_msg ("subscriber %s was delivered %s as seq %llu, which the log holds for %s",
                      sub->name, s_id (crash, sub->keys [next], id, sizeof id),
                      (unsigned long long) seq, s_id (crash, log->keys [seq], other, sizeof other));
        next++;
    }
    if (next != sub->count)
        fail_msg ("subscriber %s was delivered %zu entries after the last it may read", sub->name,
                  sub->count - next);
    //  It read from every broker, not only from the last.
    assert_true (sub->subscribes >= S_KILLS + 1);
}

//  One statement answering one integer.
static int64_t
s_sql_int (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    int rc = sqlite3_step (stmt);
    int64_t value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    assert_int_equal (rc, SQLITE_ROW);
    return value;
}

//  The database as SQLite itself sees it, after a clean stop: not corrupt,
//  and its log table holds rows 1..last with no (partner, id) twice.
static void
s_check_database (s_crash_t *crash)
{
    char path [4200];
    snprintf (path, sizeof path, "%s/cibus.db", crash->world.data);
    assert_int_equal (sqlite3_open_v2 (path, &crash->db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (crash->db, "PRAGMA integrity_check", -1, &stmt, NULL),
                      SQLITE_OK);
    char result [1024] = "";
    //  "ok" alone, or one row per problem found.
    while (sqlite3_step (stmt) == SQLITE_ROW)
        snprintf (result + strlen (result), sizeof result - strlen (result), "%s%s",
                  *result ? "; " : "", (const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    assert_string_equal (result, "ok");
    int64_t last = (int64_t) crash->log.last;
    assert_int_equal (s_sql_int (crash->db, "SELECT count(*) FROM log"), last);
    assert_int_equal (s_sql_int (crash->db, "SELECT min(seq) FROM log"), 1);
    assert_int_equal (s_sql_int (crash->db, "SELECT max(seq) FROM log"), last);
    assert_int_equal (
        s_sql_int (crash->db, "SELECT count(*) FROM (SELECT DISTINCT partner, id FROM log)"), last);
    sqlite3_close (crash->db);
    crash->db = NULL;
}

//  ---------------------------------------------------------------- the test

static void
test_crash_sigkill_at_random_moments_loses_nothing_acked_and_repeats_nothing (void **state)
{
    s_crash_t *crash = *state;
    int64_t started = harness_now_msec ();
    uint64_t seed = s_seed (), prng = seed;
    print_message ("seed %llu: CIBUS_TEST_SEED=%llu replays these kill moments\n",
                   (unsigned long long) seed, (unsigned long long) seed);
    char failure [sizeof crash->failure];

    s_broker_up (crash);
    for (size_t i = 0; i < S_PUBLISHERS; i++) {
        s_pub_t *pub = &crash->pubs [i];
        assert_int_equal (pthread_create (&pub->thread, NULL, s_publisher, pub), 0);
        pub->started = true;
    }
    for (size_t i = 0; i < S_SUBSCRIBERS; i++) {
        s_sub_t *sub = &crash->subs [i];
        assert_int_equal (pthread_create (&sub->thread, NULL, s_subscriber, sub), 0);
        sub->started = true;
    }

    //  Kill, restart on the same data directory, again and again.
    int delay_min = S_KILL_DELAY_MAX, delay_max = 0;
    size_t in_flight_min = SIZE_MAX, in_flight_max = 0;
    for (int kills = 0; kills < S_KILLS; kills++) {
        bool loaded = s_wait (crash, s_loaded);
        assert_string_equal (s_failure (crash, failure, sizeof failure), "");
        assert_true (loaded);
        int delay =
            S_KILL_DELAY_MIN + (int) (s_random (&prng) % (S_KILL_DELAY_MAX - S_KILL_DELAY_MIN + 1));
        s_pause (crash, delay);
        size_t in_flight = s_kill (crash);
        int status = harness_broker_stop (&crash->world.broker, SIGKILL);
        //  It ran until killed: it did not fall over on its own.
        assert_true (WIFSIGNALED (status));
        assert_int_equal (WTERMSIG (status), SIGKILL);
        assert_string_equal (s_failure (crash, failure, sizeof failure), "");
        //  The kill came while publishes were waiting for their acks.
        assert_true (in_flight > 0);
        delay_min = delay < delay_min ? delay : delay_min;
        delay_max = delay > delay_max ? delay : delay_max;
        in_flight_min = in_flight < in_flight_min ? in_flight : in_flight_min;
        in_flight_max = in_flight > in_flight_max ? in_flight : in_flight_max;
        assert_true (harness_broker_start (&crash->world.broker, crash->world.data, NULL));
        s_broker_up (crash);
    }

    //  The last broker lives: every id is published until acked.
    s_lock (crash);
    crash->draining = true;
    s_unlock (crash);
    bool flushed = s_wait (crash, s_publishers_done);
    assert_string_equal (s_failure (crash, failure, sizeof failure), "");
    assert_true (flushed);
    for (size_t i = 0; i < S_PUBLISHERS; i++) {
        pthread_join (crash->pubs [i].thread, NULL);
        crash->pubs [i].started = false;
    }

    //  A marker per network, after everything else: a subscriber that is
    //  delivered the last one it may read has been delivered everything.
    crash->reader = s_hub (crash);
    const char *markers [] = {"end-early-literacy", "end-postsecondary"};
    uint64_t end = 0;
    for (uint64_t i = 0; i < 2; i++) {
        s_note_t note;
        cibus_ack_t ack;
        s_note_init (&note, crash, (uint64_t) S_MARKERS << 32 | i, markers [i]);
        assert_int_equal (cibus_publish (crash->reader, &note.env, &ack), CIBUS_OK);
        assert_false (ack.duplicate);
        end = ack.seq;
    }
    cibus_destroy (&crash->reader);
    bool read = s_wait (crash, s_subscribers_done);
    assert_string_equal (s_failure (crash, failure, sizeof failure), "");
    for (size_t i = 0; !read && i < S_SUBSCRIBERS; i++) {
        //  One that was delivered past the end was given entries the broker
        //  did not keep, and waits for a seq it will never see again.
        s_sub_t *sub = &crash->subs [i];
        s_lock (crash);
        uint64_t last_seq = sub->last_seq;
        s_unlock (crash);
        if (!sub->done)
            fail_msg ("subscriber %s was not delivered its end marker; its last seq is %llu, "
                      "the log's is %llu",
                      sub->name, (unsigned long long) last_seq, (unsigned long long) end);
    }
    assert_true (read);
    for (size_t i = 0; i < S_SUBSCRIBERS; i++) {
        pthread_join (crash->subs [i].thread, NULL);
        crash->subs [i].started = false;
    }

    s_read_log (crash);
    assert_int_equal (crash->log.last, end);
    s_check_publishers (crash);
    for (size_t i = 0; i < S_SUBSCRIBERS; i++)
        s_check_subscriber (crash, &crash->subs [i]);

    //  A clean stop, then the database as SQLite itself sees it.
    int status = harness_broker_stop (&crash->world.broker, SIGTERM);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    s_check_database (crash);

    size_t retried = 0, duplicates = 0;
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        retried += crash->pubs [i].retried, duplicates += crash->pubs [i].duplicates;
    print_message ("%d kills %d..%d ms into the load with %zu..%zu publishes in flight; "
                   "%llu entries; %zu ids published again, %zu of them stored before the "
                   "kill; %lld ms\n",
                   S_KILLS, delay_min, delay_max, in_flight_min, in_flight_max,
                   (unsigned long long) crash->log.last, retried, duplicates,
                   (long long) (harness_now_msec () - started));
}

//  ---------------------------------------------------------------- setup

static int s_teardown (void **state);

//  A world with its broker running, and the threads' state (not started).
static int
s_setup (void **state)
{
    s_crash_t *crash = calloc (1, sizeof *crash);
    if (!crash)
        return -1;
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&crash->changed, &attr);
    pthread_condattr_destroy (&attr);
    pthread_mutex_init (&crash->lock, NULL);
    *state = crash;
    if (!harness_world_up (&crash->world))
        return s_teardown (state), -1;
    snprintf (crash->broker_cert, sizeof crash->broker_cert, "%s/broker", crash->world.data);
    //  The library's threads share czmq's context: made once, here, before
    //  any thread makes a socket.
    zsys_init ();

    const harness_world_t *world = &crash->world;
    //  Two connections of one partner with ids of their own, another
    //  partner, and the backbone across two networks (one only it reads).
    s_pub_t pubs [S_PUBLISHERS] = {
        {.partner = "alice", .secret = world->alice, .networks = {"early-literacy", NULL}},
        {.partner = "alice", .secret = world->alice, .networks = {"early-literacy", NULL}},
        {.partner = "bob", .secret = world->bob, .networks = {"postsecondary", NULL}},
        {.partner = "hub", .secret = world->hub, .networks = {"early-literacy", "citywide"}},
    };
    //  The backbone reads everything; alice every network of hers; bob
    //  through a topic prefix.
    s_sub_t subs [S_SUBSCRIBERS] = {
        {.name = "hub", .secret = world->hub, .end_id = "end-postsecondary"},
        {.name = "alice",
         .secret = world->alice,
         .network = "early-literacy",
         .end_id = "end-early-literacy"},
        {.name = "bob",
         .secret = world->bob,
         .prefix = "postsecondary/",
         .network = "postsecondary",
         .end_id = "end-postsecondary"},
    };
    for (unsigned i = 0; i < S_PUBLISHERS; i++) {
        crash->pubs [i] = pubs [i];
        crash->pubs [i].crash = crash;
        crash->pubs [i].number = i;
        crash->pubs [i].state = calloc (S_MAX_IDS, sizeof (uint8_t));
        crash->pubs [i].seq = calloc (S_MAX_IDS, sizeof (uint64_t));
        if (!crash->pubs [i].state || !crash->pubs [i].seq)
            return s_teardown (state), -1;
    }
    for (unsigned i = 0; i < S_SUBSCRIBERS; i++) {
        crash->subs [i] = subs [i];
        crash->subs [i].crash = crash;
    }
    return 0;
}

//  Also after a failed assertion: every thread is told to stop and joined
//  (each notices within a client timeout), then the broker is killed and
//  reaped and the scratch directory removed.
static int
s_teardown (void **state)
{
    s_crash_t *crash = *state;
    if (!crash)
        return 0;
    s_lock (crash);
    crash->stop = true;
    s_unlock (crash);
    for (size_t i = 0; i < S_PUBLISHERS; i++) {
        if (crash->pubs [i].started)
            pthread_join (crash->pubs [i].thread, NULL);
        free (crash->pubs [i].state);
        free (crash->pubs [i].seq);
    }
    for (size_t i = 0; i < S_SUBSCRIBERS; i++) {
        if (crash->subs [i].started)
            pthread_join (crash->subs [i].thread, NULL);
        free (crash->subs [i].seqs);
        free (crash->subs [i].keys);
    }
    cibus_destroy (&crash->reader);
    for (uint64_t seq = 1; crash->log.topics && seq <= crash->log.last; seq++)
        free (crash->log.topics [seq]);
    free (crash->log.topics);
    free (crash->log.keys);
    for (size_t i = 0; i <= S_PUBLISHERS; i++)
        free (crash->at [i]);
    if (crash->db)
        sqlite3_close (crash->db);
    harness_world_down (&crash->world);
    pthread_cond_destroy (&crash->changed);
    pthread_mutex_destroy (&crash->lock);
    free (crash);
    *state = NULL;
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_crash_sigkill_at_random_moments_loses_nothing_acked_and_repeats_nothing, s_setup,
            s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("crash", tests, NULL, NULL);
}
