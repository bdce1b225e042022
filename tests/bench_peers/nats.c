/*  nats.c - the shapes against NATS with JetStream.

    Hand-written on purpose: Debian packages nats-server but no NATS C
    client library (cnats), and no other registry is reachable here. The
    few lines of NATS's text protocol the bench needs are spoken over a
    plain socket: INFO (read and ignored), CONNECT, PING/PONG, SUB, PUB
    with a reply subject, and MSG.

    A publish is acked by JetStream: the subject belongs to a file-backed
    stream, and the server answers on the publish's reply subject with a
    PubAck ({"stream":..,"seq":..}) once the stream has stored it. That
    is not durable before the ack: JetStream syncs its files on an
    interval (sync_interval, 2 minutes by default), not per message.
    s6's subscribers are core NATS subscriptions on the stream's subject,
    the nearest to cibus's live subscribers that needs no consumer state. */

#define _GNU_SOURCE
#include "peers.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_STREAM      "BENCH"
#define S_BUFFER      (256 * 1024)
#define S_OUT_MAX     (PEERS_WINDOW * (PEERS_PAYLOAD + 64))
#define S_TIMEOUT_SEC 1 /* a read gives up after this, so stalls are seen */

bool
nats_configure (peers_server_t *server, char **argv, char *buffer, size_t size)
{
    int len = snprintf (buffer, size, "%d", server->port);
    char *store = buffer + len + 1;
    snprintf (store, size - (size_t)len - 1, "%s/jetstream", server->dir);
    argv [0] = "nats-server";
    argv [1] = "-a";
    argv [2] = "127.0.0.1";
    argv [3] = "-p";
    argv [4] = buffer;
    argv [5] = "-js";
    argv [6] = "-sd";
    argv [7] = store;
    argv [8] = NULL;
    return true;
}

//  ---------------------------------------------------------------- protocol

typedef struct {
    int fd;
    char in [S_BUFFER];
    size_t start, end; /* unread bytes of in */
    char *out;
    size_t out_len;
} s_conn_t;

//  One MSG: its subject and payload point into the connection's buffer,
//  valid until the next read.
typedef struct {
    const char *subject;
    const char *payload;
    size_t size;
} s_msg_t;

static bool
s_flush (s_conn_t *self)
{
    for (size_t done = 0; done < self->out_len;) {
        ssize_t n = send (self->fd, self->out + done, self->out_len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf (stderr, "peers: nats: send: %s\n", strerror (errno));
            return false;
        }
        done += (size_t)n;
    }
    self->out_len = 0;
    return true;
}

static bool
s_write (s_conn_t *self, const char *text, size_t len)
{
    if (self->out_len + len > S_OUT_MAX && !s_flush (self))
        return false;
    memcpy (self->out + self->out_len, text, len);
    self->out_len += len;
    return true;
}

static bool
s_publish (s_conn_t *self, const char *subject, const char *reply, const char *payload, size_t size)
{
    char head [256];
    int len = snprintf (head, sizeof head, "PUB %s %s %zu\r\n", subject, reply, size);
    return s_write (self, head, (size_t)len) && s_write (self, payload, size)
           && s_write (self, "\r\n", 2);
}

//  Make at least want unread bytes available: false on error, and with
//  *timed_out when nothing came within S_TIMEOUT_SEC.
static bool
s_fill (s_conn_t *self, size_t want, bool *timed_out)
{
    *timed_out = false;
    while (self->end - self->start < want) {
        if (self->start > 0) {
            memmove (self->in, self->in + self->start, self->end - self->start);
            self->end -= self->start;
            self->start = 0;
        }
        if (want > S_BUFFER)
            return false;
        ssize_t n = recv (self->fd, self->in + self->end, S_BUFFER - self->end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            *timed_out = true;
            return false;
        }
        if (n <= 0) {
            fprintf (stderr, "peers: nats: connection closed: %s\n",
                     n < 0 ? strerror (errno) : "by the server");
            return false;
        }
        self->end += (size_t)n;
    }
    return true;
}

//  The next MSG, answering PINGs and skipping +OK, PONG and INFO on the
//  way. False on -ERR, on error and on a time-out (*timed_out).
static bool
s_next (s_conn_t *self, s_msg_t *msg, bool *timed_out)
{
    for (;;) {
        char *eol;
        while (!(eol = memmem (self->in + self->start, self->end - self->start, "\r\n", 2)))
            if (!s_fill (self, self->end - self->start + 1, timed_out))
                return false;
        char *line = self->in + self->start;
        *eol = 0;
        size_t line_len = (size_t)(eol - line) + 2;
        if (strncmp (line, "MSG ", 4) == 0) {
            //  MSG <subject> <sid> [reply-to] <#bytes>
            char *last = strrchr (line, ' ');
            size_t size = strtoul (last + 1, NULL, 10);
            char *space = strchr (line + 4, ' ');
            *space = 0;
            size_t offset = (size_t)(line - self->in) - self->start;
            if (!s_fill (self, offset + line_len + size + 2, timed_out))
                return false;
            line = self->in + self->start + offset;
            msg->subject = line + 4;
            msg->payload = line + line_len;
            msg->size = size;
            self->start += offset + line_len + size + 2;
            return true;
        }
        self->start += line_len;
        if (strcmp (line, "PING") == 0) {
            if (!s_write (self, "PONG\r\n", 6) || !s_flush (self))
                return false;
        } else if (strncmp (line, "-ERR", 4) == 0) {
            fprintf (stderr, "peers: nats: %s\n", line);
            return false;
        }
    }
}

static void
s_close (s_conn_t **self_p)
{
    if (*self_p) {
        close ((*self_p)->fd);
        free ((*self_p)->out);
        free (*self_p);
        *self_p = NULL;
    }
}

//  A connection that has subscribed to subject (when not NULL) and seen
//  the server's PONG, so the subscription is in place.
static s_conn_t *
s_open (peers_server_t *server, const char *subject)
{
    s_conn_t *self = calloc (1, sizeof *self);
    if (!self || !(self->out = malloc (S_OUT_MAX))
        || (self->fd = peers_connect (server->port)) < 0) {
        fprintf (stderr, "peers: nats: cannot connect to port %d\n", server->port);
        if (self)
            free (self->out);
        free (self);
        return NULL;
    }
    struct timeval timeout = {S_TIMEOUT_SEC, 0};
    setsockopt (self->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const char *connect = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,"
                          "\"name\":\"cibus-bench-peers\"}\r\n";
    char sub [256];
    int len = subject ? snprintf (sub, sizeof sub, "SUB %s 1\r\n", subject) : 0;
    bool ok = s_write (self, connect, strlen (connect)) && s_write (self, sub, (size_t)len)
              && s_write (self, "PING\r\n", 6) && s_flush (self);
    //  Everything up to the PONG: INFO, then PONG (no MSG can come yet).
    bool timed_out = false;
    while (ok) {
        char *eol = memmem (self->in + self->start, self->end - self->start, "\r\n", 2);
        if (!eol) {
            ok = s_fill (self, self->end - self->start + 1, &timed_out);
            continue;
        }
        bool pong = strncmp (self->in + self->start, "PONG", 4) == 0;
        if (strncmp (self->in + self->start, "-ERR", 4) == 0) {
            *eol = 0;
            fprintf (stderr, "peers: nats: %s\n", self->in + self->start);
            ok = false;
        }
        self->start = (size_t)(eol - self->in) + 2;
        if (pong)
            break;
    }
    if (!ok)
        s_close (&self);
    return self;
}

//  A PubAck's payload: stored, or the stream's refusal on stderr.
static bool
s_ack_ok (const s_msg_t *msg)
{
    bool ok = memmem (msg->payload, msg->size, "\"seq\"", 5)
              && !memmem (msg->payload, msg->size, "\"error\"", 7);
    if (!ok)
        fprintf (stderr, "peers: nats: publish refused: %.*s\n", (int)msg->size, msg->payload);
    return ok;
}

//  Publish with up to window in flight until the phase is over, then take
//  every ack; conn is subscribed to inbox.*.
static bool
s_publish_run (s_conn_t *conn, const char *inbox, size_t window, size_t *count, int64_t *first,
               int64_t *last)
{
    size_t sent = 0, acked = 0;
    char reply [128];
    bool ok = true, timed_out = false;
    *first = peers_now_nsec ();
    while (ok) {
        while (sent - acked < window && !peers_span_over (*first)) {
            snprintf (reply, sizeof reply, "%s.%zu", inbox, sent);
            ok = ok && s_publish (conn, PEERS_TOPIC, reply, peers_payload (), PEERS_PAYLOAD);
            sent++;
        }
        if (!ok || sent == acked || !s_flush (conn))
            break;
        s_msg_t msg;
        ok = s_next (conn, &msg, &timed_out) && s_ack_ok (&msg);
        acked += ok;
    }
    if (timed_out)
        fprintf (stderr, "peers: nats: no ack within %d s\n", S_TIMEOUT_SEC);
    *last = peers_now_nsec ();
    *count = acked;
    return ok && acked == sent;
}

//  The stream that makes PEERS_TOPIC's publishes acked by JetStream.
static bool
s_stream_create (peers_server_t *server)
{
    s_conn_t *conn = s_open (server, "_INBOX.create");
    const char *config = "{\"name\":\"" S_STREAM "\",\"subjects\":[\"" PEERS_TOPIC "\"],"
                         "\"storage\":\"file\"}";
    s_msg_t msg;
    bool timed_out;
    bool ok = conn
              && s_publish (conn, "$JS.API.STREAM.CREATE." S_STREAM, "_INBOX.create", config,
                            strlen (config))
              && s_flush (conn) && s_next (conn, &msg, &timed_out);
    if (ok && memmem (msg.payload, msg.size, "\"error\"", 7)) {
        fprintf (stderr, "peers: nats: stream not created: %.*s\n", (int)msg.size, msg.payload);
        ok = false;
    }
    s_close (&conn);
    return ok;
}

//  ---------------------------------------------------------------- s3, s6

typedef struct {
    peers_server_t *server;
    pthread_barrier_t *start;
    size_t index;
    size_t window;       /* 0: a subscriber */
    atomic_size_t *want; /* subscribers: SIZE_MAX until the publisher is done */
    size_t count;        /* acked, or received */
    int64_t first, last;
    bool ok;
} s_member_t;

static void *
s_member (void *arg)
{
    s_member_t *self = arg;
    char inbox [64];
    snprintf (inbox, sizeof inbox, "_INBOX.bench%zu", self->index);
    char subject [80];
    snprintf (subject, sizeof subject, "%s.*", inbox);
    s_conn_t *conn = s_open (self->server, self->window ? subject : PEERS_TOPIC);
    pthread_barrier_wait (self->start);
    if (conn && self->window) {
        self->ok =
            s_publish_run (conn, inbox, self->window, &self->count, &self->first, &self->last);
        if (self->want)
            atomic_store (self->want, self->ok ? self->count : 0);
    } else if (conn) {
        bool timed_out = false;
        int64_t stalled_since = peers_now_nsec ();
        while (self->count < atomic_load (self->want)) {
            s_msg_t msg;
            if (s_next (conn, &msg, &timed_out)) {
                self->count += msg.size == PEERS_PAYLOAD;
                self->last = stalled_since = peers_now_nsec ();
            } else if (!timed_out
                       || peers_now_nsec () - stalled_since
                              > (int64_t)PEERS_DEADLINE_MSEC * 1000000) {
                fprintf (stderr, "peers: nats: a subscriber stopped at %zu messages\n",
                         self->count);
                break;
            }
        }
        self->ok = self->count == atomic_load (self->want);
    }
    s_close (&conn);
    return NULL;
}

//  publishers clients with window in flight each, and subscribers readers.
static bool
s_members_run (peers_server_t *server, size_t publishers, size_t window, size_t subscribers,
               size_t *count, int64_t *first, int64_t *last)
{
    size_t total = publishers + subscribers;
    s_member_t *members = calloc (total, sizeof *members);
    atomic_size_t want = SIZE_MAX;
    pthread_barrier_t start;
    pthread_barrier_init (&start, NULL, (unsigned)total);
    for (size_t i = 0; members && i < total; i++)
        members [i] = (s_member_t){.server = server,
                                   .start = &start,
                                   .index = i,
                                   .window = i < publishers ? window : 0,
                                   .want = subscribers ? &want : NULL};
    bool ok = members && peers_threads_run (s_member, members, sizeof *members, total);
    *count = 0;
    *first = INT64_MAX;
    *last = 0;
    for (size_t i = 0; ok && i < total; i++) {
        ok = members [i].ok;
        if (i < publishers) {
            *count += members [i].count;
            *first = members [i].first < *first ? members [i].first : *first;
        }
        //  Deliveries end at the last one a subscriber received.
        if (subscribers ? i >= publishers : true)
            *last = members [i].last > *last ? members [i].last : *last;
    }
    if (ok && subscribers)
        *count *= subscribers; //  deliveries
    pthread_barrier_destroy (&start);
    free (members);
    return ok;
}

void
nats_measure (peers_server_t *server, peers_figures_t *out)
{
    static const struct {
        peers_shape_t shape;
        const char *what;
        size_t publishers, window, subscribers;
    } shapes [] = {
        {PEERS_S1, "s1: 1 client, 1 in flight", 1, 1, 0},
        {PEERS_S2, "s2: 1 client, 1000 in flight", 1, PEERS_WINDOW, 0},
        {PEERS_S3, "s3: 50 clients, 1 in flight each", PEERS_CLIENTS, 1, 0},
        {PEERS_S6, "s6: fan-out to 10 core subscribers", 1, PEERS_WINDOW, PEERS_SUBSCRIBERS},
    };
    bool ready = s_stream_create (server);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes [0]; i++) {
        peers_progress ("nats", "%s", shapes [i].what);
        size_t count;
        int64_t first, last;
        out->rate [shapes [i].shape] =
            ready
                    && s_members_run (server, shapes [i].publishers, shapes [i].window,
                                      shapes [i].subscribers, &count, &first, &last)
                ? peers_rate (count, first, last)
                : NAN;
    }
}
