/*  mqtt.c - the shapes against Mosquitto: MQTT 3.1.1, QoS 1.

    A QoS 1 publish is acked by the broker's PUBACK once it has taken the
    message in memory. Persistence is on (its database in the scratch
    directory), but Mosquitto writes it on an interval (autosave_interval)
    and at exit, so an acked message is not durable before the ack.
    Clients are libmosquitto's, each with its own network thread
    (mosquitto_loop_start); the bench keeps its own window of publishes in
    flight. s6's subscribers subscribe at QoS 1, with the broker's queue
    per client unbounded so that none is dropped.                       */

#define _GNU_SOURCE
#include "peers.h"

#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_QOS 1

bool
mqtt_configure (peers_server_t *server, char **argv, char *buffer, size_t size)
{
    //  user root: run as whoever started it, so that it can write its
    //  database into the scratch directory.
    if (!peers_config_write (server, "mosquitto.conf", buffer, size,
                             "listener %d 127.0.0.1\nallow_anonymous true\nuser root\n"
                             "persistence true\npersistence_location %s/\n"
                             "max_inflight_messages %d\nmax_queued_messages 0\n"
                             "log_dest stderr\n",
                             server->port, server->dir, PEERS_WINDOW))
        return false;
    argv [0] = "mosquitto";
    argv [1] = "-c";
    argv [2] = buffer;
    argv [3] = NULL;
    return true;
}

//  One client: its counters change in libmosquitto's thread, under lock.
typedef struct {
    struct mosquitto *mosq;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool connected, subscribed;
    size_t acked, received;
    int64_t last;
} s_client_t;

static void
s_on_connect (struct mosquitto *mosq, void *arg, int rc)
{
    (void)mosq;
    s_client_t *self = arg;
    pthread_mutex_lock (&self->lock);
    self->connected = rc == 0;
    if (rc)
        fprintf (stderr, "peers: mqtt: connection refused: %s\n", mosquitto_connack_string (rc));
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

static void
s_on_subscribe (struct mosquitto *mosq, void *arg, int mid, int count, const int *granted)
{
    (void)mosq, (void)mid;
    s_client_t *self = arg;
    pthread_mutex_lock (&self->lock);
    self->subscribed = count == 1 && granted [0] == S_QOS;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

static void
s_on_publish (struct mosquitto *mosq, void *arg, int mid)
{
    (void)mosq, (void)mid;
    s_client_t *self = arg;
    pthread_mutex_lock (&self->lock);
    self->acked++;
    self->last = peers_now_nsec ();
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

static void
s_on_message (struct mosquitto *mosq, void *arg, const struct mosquitto_message *message)
{
    (void)mosq;
    s_client_t *self = arg;
    pthread_mutex_lock (&self->lock);
    self->received += message->payloadlen == PEERS_PAYLOAD;
    self->last = peers_now_nsec ();
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

//  Wait, with the lock held, until *flag or the deadline: its value.
static bool
s_wait_flag (s_client_t *self, const bool *flag)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += PEERS_DEADLINE_MSEC / 1000;
    while (!*flag)
        if (pthread_cond_timedwait (&self->changed, &self->lock, &deadline) != 0)
            break;
    return *flag;
}

static void
s_client_destroy (s_client_t **self_p)
{
    s_client_t *self = *self_p;
    if (!self)
        return;
    if (self->mosq) {
        mosquitto_disconnect (self->mosq);
        mosquitto_loop_stop (self->mosq, true);
        mosquitto_destroy (self->mosq);
    }
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

//  A connected client (subscribed at QoS 1 to the topic when subscriber).
static s_client_t *
s_client_new (peers_server_t *server, const char *id, bool subscriber)
{
    s_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->changed, NULL);
    self->mosq = mosquitto_new (id, true, self);
    if (!self->mosq) {
        s_client_destroy (&self);
        return NULL;
    }
    mosquitto_connect_callback_set (self->mosq, s_on_connect);
    mosquitto_subscribe_callback_set (self->mosq, s_on_subscribe);
    mosquitto_publish_callback_set (self->mosq, s_on_publish);
    mosquitto_message_callback_set (self->mosq, s_on_message);
    mosquitto_int_option (self->mosq, MOSQ_OPT_SEND_MAXIMUM, PEERS_WINDOW);
    mosquitto_int_option (self->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    int rc = mosquitto_connect (self->mosq, "127.0.0.1", server->port, 60);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_loop_start (self->mosq);
    bool ok = rc == MOSQ_ERR_SUCCESS;
    if (!ok)
        fprintf (stderr, "peers: mqtt: cannot connect: %s\n", mosquitto_strerror (rc));
    pthread_mutex_lock (&self->lock);
    ok = ok && s_wait_flag (self, &self->connected);
    pthread_mutex_unlock (&self->lock);
    if (ok && subscriber) {
        ok = mosquitto_subscribe (self->mosq, NULL, PEERS_TOPIC, S_QOS) == MOSQ_ERR_SUCCESS;
        pthread_mutex_lock (&self->lock);
        ok = ok && s_wait_flag (self, &self->subscribed);
        pthread_mutex_unlock (&self->lock);
    }
    if (!ok)
        s_client_destroy (&self);
    return self;
}

//  Publish with up to window in flight until the phase is over, then wait
//  for every PUBACK.
static bool
s_publish_run (s_client_t *self, size_t window, size_t *count, int64_t *first, int64_t *last)
{
    size_t sent = 0;
    bool ok = true;
    *first = peers_now_nsec ();
    while (ok && !peers_span_over (*first)) {
        pthread_mutex_lock (&self->lock);
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_sec += PEERS_DEADLINE_MSEC / 1000;
        //  acked may run ahead of sent by one: the PUBACK can come
        //  before mosquitto_publish returns.
        while (self->acked + window <= sent && ok)
            ok = pthread_cond_timedwait (&self->changed, &self->lock, &deadline) == 0;
        pthread_mutex_unlock (&self->lock);
        int rc = ok ? mosquitto_publish (self->mosq, NULL, PEERS_TOPIC, PEERS_PAYLOAD,
                                         peers_payload (), S_QOS, false)
                    : MOSQ_ERR_SUCCESS;
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf (stderr, "peers: mqtt: publish: %s\n", mosquitto_strerror (rc));
            ok = false;
        }
        sent += ok;
    }
    pthread_mutex_lock (&self->lock);
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += PEERS_DEADLINE_MSEC / 1000;
    while (ok && self->acked < sent)
        ok = pthread_cond_timedwait (&self->changed, &self->lock, &deadline) == 0;
    *count = self->acked;
    *last = self->last;
    pthread_mutex_unlock (&self->lock);
    if (!ok)
        fprintf (stderr, "peers: mqtt: %zu of %zu publishes acked\n", *count, sent);
    return ok;
}

//  Wait until want messages came, each stall no longer than the deadline.
static bool
s_receive_all (s_client_t *self, size_t want, int64_t *last)
{
    pthread_mutex_lock (&self->lock);
    bool ok = true;
    while (ok && self->received < want) {
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_sec += PEERS_DEADLINE_MSEC / 1000;
        ok = pthread_cond_timedwait (&self->changed, &self->lock, &deadline) == 0;
    }
    if (!ok)
        fprintf (stderr, "peers: mqtt: a subscriber stopped at %zu of %zu messages\n",
                 self->received, want);
    *last = self->last;
    pthread_mutex_unlock (&self->lock);
    return ok;
}

//  ---------------------------------------------------------------- shapes

typedef struct {
    peers_server_t *server;
    pthread_barrier_t *start;
    size_t index, window;
    size_t count;
    int64_t first, last;
    bool ok;
} s_publisher_t;

static void *
s_publisher (void *arg)
{
    s_publisher_t *self = arg;
    char id [32];
    snprintf (id, sizeof id, "bench-pub-%zu", self->index);
    s_client_t *client = s_client_new (self->server, id, false);
    pthread_barrier_wait (self->start);
    self->ok =
        client && s_publish_run (client, self->window, &self->count, &self->first, &self->last);
    s_client_destroy (&client);
    return NULL;
}

//  clients publishers with window in flight each: acked per second.
static double
s_publishers_run (peers_server_t *server, size_t clients, size_t window)
{
    s_publisher_t *pubs = calloc (clients, sizeof *pubs);
    pthread_barrier_t start;
    pthread_barrier_init (&start, NULL, (unsigned)clients);
    for (size_t i = 0; pubs && i < clients; i++)
        pubs [i] = (s_publisher_t){.server = server, .start = &start, .index = i, .window = window};
    bool ok = pubs && peers_threads_run (s_publisher, pubs, sizeof *pubs, clients);
    size_t count = 0;
    int64_t first = INT64_MAX, last = 0;
    for (size_t i = 0; ok && i < clients; i++) {
        ok = pubs [i].ok;
        count += pubs [i].count;
        first = pubs [i].first < first ? pubs [i].first : first;
        last = pubs [i].last > last ? pubs [i].last : last;
    }
    pthread_barrier_destroy (&start);
    free (pubs);
    return ok ? peers_rate (count, first, last) : NAN;
}

//  Subscribers connected and subscribed first, then one pipelined
//  publisher; deliveries per second, from its first publish to the last
//  delivery. The subscribers' own network threads do the reading.
static double
s_fan_out (peers_server_t *server)
{
    s_client_t *subs [PEERS_SUBSCRIBERS] = {NULL};
    bool ok = true;
    for (size_t i = 0; ok && i < PEERS_SUBSCRIBERS; i++) {
        char id [32];
        snprintf (id, sizeof id, "bench-sub-%zu", i);
        ok = (subs [i] = s_client_new (server, id, true)) != NULL;
    }
    s_client_t *pub = ok ? s_client_new (server, "bench-fan-pub", false) : NULL;
    size_t count = 0;
    int64_t first = 0, last = 0, delivered_by = 0;
    ok = pub && s_publish_run (pub, PEERS_WINDOW, &count, &first, &last);
    for (size_t i = 0; ok && i < PEERS_SUBSCRIBERS; i++) {
        ok = s_receive_all (subs [i], count, &last);
        delivered_by = last > delivered_by ? last : delivered_by;
    }
    s_client_destroy (&pub);
    for (size_t i = 0; i < PEERS_SUBSCRIBERS; i++)
        s_client_destroy (&subs [i]);
    return ok ? peers_rate (PEERS_SUBSCRIBERS * count, first, delivered_by) : NAN;
}

void
mqtt_measure (peers_server_t *server, peers_figures_t *out)
{
    mosquitto_lib_init ();
    peers_progress ("mosquitto", "s1: 1 client, 1 in flight");
    out->rate [PEERS_S1] = s_publishers_run (server, 1, 1);
    peers_progress ("mosquitto", "s2: 1 client, %d in flight", PEERS_WINDOW);
    out->rate [PEERS_S2] = s_publishers_run (server, 1, PEERS_WINDOW);
    peers_progress ("mosquitto", "s3: %d clients, 1 in flight each", PEERS_CLIENTS);
    out->rate [PEERS_S3] = s_publishers_run (server, PEERS_CLIENTS, 1);
    peers_progress ("mosquitto", "s6: fan-out to %d QoS 1 subscribers", PEERS_SUBSCRIBERS);
    out->rate [PEERS_S6] = s_fan_out (server);
    mosquitto_lib_cleanup ();
}
