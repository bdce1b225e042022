/*  redis.c - the shapes against Redis: XADD to a stream.

    Redis runs with appendonly yes and appendfsync always: it writes a
    command to its append-only file and fsyncs it before it replies (one
    fsync per turn of its event loop, for every client served in that
    turn), so an acked XADD is durable, as a cibus ack is. No RDB
    snapshot is taken (save ""). The client is hiredis: one command at a
    time for s1 and s3, redisAppendCommand and redisGetReply with
    PEERS_WINDOW in flight for s2 and s6. s6's subscribers read the
    stream with XREAD BLOCK, each on its own connection.              */

#define _GNU_SOURCE
#include "peers.h"

#include <hiredis/hiredis.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_READ_COUNT 1000 /* entries one XREAD may return */
#define S_BLOCK_MSEC "1000"

bool
redis_configure (peers_server_t *server, char **argv, char *buffer, size_t size)
{
    if (!peers_config_write (server, "redis.conf", buffer, size,
                             "bind 127.0.0.1\nport %d\ndir %s\nappendonly yes\n"
                             "appendfsync always\nsave \"\"\ndaemonize no\nprotected-mode yes\n",
                             server->port, server->dir))
        return false;
    argv [0] = "redis-server";
    argv [1] = buffer;
    argv [2] = NULL;
    return true;
}

static redisContext *
s_connect (peers_server_t *server)
{
    redisContext *ctx = redisConnect ("127.0.0.1", server->port);
    if (!ctx || ctx->err) {
        fprintf (stderr, "peers: redis: cannot connect: %s\n", ctx ? ctx->errstr : "out of memory");
        redisFree (ctx);
        return NULL;
    }
    return ctx;
}

//  One reply of an XADD: its id, or an error on stderr.
static bool
s_reply_ok (redisContext *ctx, redisReply *reply)
{
    bool ok = reply && reply->type == REDIS_REPLY_STRING;
    if (!ok)
        fprintf (stderr, "peers: redis: XADD failed: %s\n",
                 !reply                             ? ctx->errstr
                 : reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return ok;
}

static bool
s_xadd (redisContext *ctx, const char *key)
{
    return s_reply_ok (
        ctx, redisCommand (ctx, "XADD %s * d %b", key, peers_payload (), (size_t)PEERS_PAYLOAD));
}

//  One publish in flight until the phase is over; *count acked.
static bool
s_one_in_flight (redisContext *ctx, const char *key, size_t *count, int64_t *first, int64_t *last)
{
    *first = peers_now_nsec ();
    for (*count = 0; !peers_span_over (*first); (*count)++)
        if (!s_xadd (ctx, key))
            return false;
    *last = peers_now_nsec ();
    return true;
}

//  PEERS_WINDOW publishes in flight until the phase is over, then every
//  reply taken.
static bool
s_pipelined (redisContext *ctx, const char *key, size_t *count, int64_t *first, int64_t *last)
{
    size_t sent = 0, acked = 0;
    *first = peers_now_nsec ();
    bool ok = true;
    while (ok) {
        while (sent - acked < PEERS_WINDOW && !peers_span_over (*first)) {
            redisAppendCommand (ctx, "XADD %s * d %b", key, peers_payload (),
                                (size_t)PEERS_PAYLOAD);
            sent++;
        }
        if (sent == acked)
            break;
        redisReply *reply = NULL;
        ok = redisGetReply (ctx, (void **)&reply) == REDIS_OK && s_reply_ok (ctx, reply);
        acked += ok;
    }
    *last = peers_now_nsec ();
    *count = acked;
    return ok;
}

//  ---------------------------------------------------------------- s3

typedef struct {
    peers_server_t *server;
    pthread_barrier_t *start;
    size_t count;
    int64_t first, last;
    bool ok;
} s_publisher_t;

static void *
s_publisher (void *arg)
{
    s_publisher_t *self = arg;
    redisContext *ctx = s_connect (self->server);
    pthread_barrier_wait (self->start);
    self->ok = ctx && s_one_in_flight (ctx, "s3", &self->count, &self->first, &self->last);
    redisFree (ctx);
    return NULL;
}

static double
s_many (peers_server_t *server)
{
    s_publisher_t pubs [PEERS_CLIENTS] = {{0}};
    pthread_barrier_t start;
    pthread_barrier_init (&start, NULL, PEERS_CLIENTS);
    for (size_t i = 0; i < PEERS_CLIENTS; i++)
        pubs [i] = (s_publisher_t){.server = server, .start = &start};
    bool ok = peers_threads_run (s_publisher, pubs, sizeof pubs [0], PEERS_CLIENTS);
    pthread_barrier_destroy (&start);
    size_t count = 0;
    int64_t first = INT64_MAX, last = 0;
    for (size_t i = 0; i < PEERS_CLIENTS; i++) {
        ok = ok && pubs [i].ok;
        count += pubs [i].count;
        first = pubs [i].first < first ? pubs [i].first : first;
        last = pubs [i].last > last ? pubs [i].last : last;
    }
    return ok ? peers_rate (count, first, last) : NAN;
}

//  ---------------------------------------------------------------- s6

typedef struct {
    peers_server_t *server;
    atomic_size_t *want; /* SIZE_MAX until the publisher is done */
    size_t received;
    int64_t last;
    bool ok;
} s_subscriber_t;

//  Read the stream s6 from its start (so that nothing published before
//  the first XREAD is missed) until want entries came.
static void *
s_subscriber (void *arg)
{
    s_subscriber_t *self = arg;
    redisContext *ctx = s_connect (self->server);
    char last_id [64] = "0-0";
    int64_t stalled_since = peers_now_nsec ();
    while (ctx && self->received < atomic_load (self->want)) {
        redisReply *reply = redisCommand (
            ctx, "XREAD COUNT %d BLOCK " S_BLOCK_MSEC " STREAMS s6 %s", S_READ_COUNT, last_id);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            fprintf (stderr, "peers: redis: XREAD failed: %s\n", reply ? reply->str : ctx->errstr);
            freeReplyObject (reply);
            break;
        }
        //  [[key, [[id, [field, value]], ...]]], or nil when it timed out.
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
            redisReply *entries = reply->element [0]->element [1];
            for (size_t i = 0; i < entries->elements; i++) {
                redisReply *entry = entries->element [i];
                if (entry->element [1]->elements == 2
                    && entry->element [1]->element [1]->len == PEERS_PAYLOAD)
                    self->received++;
                snprintf (last_id, sizeof last_id, "%s", entry->element [0]->str);
            }
            if (entries->elements) {
                self->last = peers_now_nsec ();
                stalled_since = self->last;
            }
        }
        freeReplyObject (reply);
        if (peers_now_nsec () - stalled_since > (int64_t)PEERS_DEADLINE_MSEC * 1000000) {
            fprintf (stderr, "peers: redis: a subscriber stalled at %zu entries\n", self->received);
            break;
        }
    }
    self->ok = ctx && self->received == atomic_load (self->want);
    redisFree (ctx);
    return NULL;
}

typedef struct {
    peers_server_t *server;
    atomic_size_t *want;
    size_t count;
    int64_t first, last;
    bool ok;
} s_fan_publisher_t;

static void *
s_fan_publisher (void *arg)
{
    s_fan_publisher_t *self = arg;
    redisContext *ctx = s_connect (self->server);
    self->ok = ctx && s_pipelined (ctx, "s6", &self->count, &self->first, &self->last);
    atomic_store (self->want, self->ok ? self->count : 0);
    redisFree (ctx);
    return NULL;
}

static void *
s_fan_member (void *arg)
{
    void **pair = arg;
    return pair [0] ? s_fan_publisher (pair [1]) : s_subscriber (pair [1]);
}

static double
s_fan_out (peers_server_t *server)
{
    atomic_size_t want = SIZE_MAX;
    s_subscriber_t subs [PEERS_SUBSCRIBERS];
    s_fan_publisher_t pub = {.server = server, .want = &want};
    void *members [PEERS_SUBSCRIBERS + 1][2];
    for (size_t i = 0; i < PEERS_SUBSCRIBERS; i++) {
        subs [i] = (s_subscriber_t){.server = server, .want = &want};
        members [i][0] = NULL;
        members [i][1] = &subs [i];
    }
    members [PEERS_SUBSCRIBERS][0] = &pub;
    members [PEERS_SUBSCRIBERS][1] = &pub;
    bool ok = peers_threads_run (s_fan_member, members, sizeof members [0], PEERS_SUBSCRIBERS + 1);
    int64_t last = 0;
    for (size_t i = 0; i < PEERS_SUBSCRIBERS; i++) {
        ok = ok && subs [i].ok;
        last = subs [i].last > last ? subs [i].last : last;
    }
    return ok && pub.ok ? peers_rate (PEERS_SUBSCRIBERS * pub.count, pub.first, last) : NAN;
}

//  ---------------------------------------------------------------- shapes

void
redis_measure (peers_server_t *server, peers_figures_t *out)
{
    redisContext *ctx = s_connect (server);
    size_t count;
    int64_t first, last;
    peers_progress ("redis", "s1: 1 client, 1 in flight");
    out->rate [PEERS_S1] = ctx && s_one_in_flight (ctx, "s1", &count, &first, &last)
                               ? peers_rate (count, first, last)
                               : NAN;
    peers_progress ("redis", "s2: 1 client, %d in flight", PEERS_WINDOW);
    out->rate [PEERS_S2] = ctx && s_pipelined (ctx, "s2", &count, &first, &last)
                               ? peers_rate (count, first, last)
                               : NAN;
    redisFree (ctx);
    peers_progress ("redis", "s3: %d clients, 1 in flight each", PEERS_CLIENTS);
    out->rate [PEERS_S3] = s_many (server);
    peers_progress ("redis", "s6: fan-out to %d subscribers (XREAD BLOCK)", PEERS_SUBSCRIBERS);
    out->rate [PEERS_S6] = s_fan_out (server);
}
