/*  proxy.c - a TCP relay a test can cut (see proxy.h).

    One thread polls the listening socket, a command pipe and every relayed
    pair. A cut is a command: the thread closes the pairs with a reset (as
    a line that drops does) and answers on a second pipe with the count, so
    proxy_cut returns once they are closed. Written here because a relay
    that can drop its connections on demand is a few dozen lines over
    poll(2); no packaged tool does it from inside a test.                 */

#define _GNU_SOURCE
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_MAX_PAIRS   32
#define PROXY_ANSWER_MSEC 20000 /* a cut is answered within this, or fails */

typedef struct {
    int client, broker; //  -1 when the slot is free
} s_pair_t;

struct proxy_t {
    int listener;
    int command [2]; //  test -> thread: 'c' cut, 'q' quit
    int answer [2];  //  thread -> test: the count a cut closed
    struct sockaddr_in target;
    s_pair_t pairs [PROXY_MAX_PAIRS];
    pthread_t thread;
    pthread_mutex_t lock; //  guards target, held and budget, which the test sets
    bool held;            //  relaying from the broker stops when budget is spent
    size_t budget;
    bool running;
    char endpoint [64];
};

static void
s_close_pair (s_pair_t *pair)
{
    //  A reset, not an orderly close: the far end learns of it as it would
    //  of a line that dropped.
    struct linger abrupt = {1, 0};
    setsockopt (pair->client, SOL_SOCKET, SO_LINGER, &abrupt, sizeof abrupt);
    setsockopt (pair->broker, SOL_SOCKET, SO_LINGER, &abrupt, sizeof abrupt);
    close (pair->client);
    close (pair->broker);
    pair->client = pair->broker = -1;
}

static void
s_accept (proxy_t *self)
{
    int client = accept (self->listener, NULL, NULL);
    if (client < 0)
        return;
    s_pair_t *free_slot = NULL;
    for (size_t i = 0; i < PROXY_MAX_PAIRS && !free_slot; i++)
        if (self->pairs [i].client < 0)
            free_slot = &self->pairs [i];
    int broker = free_slot ? socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    pthread_mutex_lock (&self->lock);
    struct sockaddr_in target = self->target;
    pthread_mutex_unlock (&self->lock);
    if (broker < 0 || connect (broker, (struct sockaddr *) &target, sizeof target) != 0) {
        if (broker >= 0)
            close (broker);
        close (client);
        return;
    }
    free_slot->client = client;
    free_slot->broker = broker;
}

//  Move what one side has to the other, at most limit bytes; false when
//  either side is done.
static bool
s_relay (int from, int to, size_t limit, size_t *moved)
{
    char buffer [65536];
    ssize_t got = read (from, buffer, limit < sizeof buffer ? limit : sizeof buffer);
    if (got <= 0)
        return false;
    *moved = (size_t) got;
    for (ssize_t sent = 0; sent < got;) {
        ssize_t rc = write (to, buffer + sent, (size_t) (got - sent));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return false;
        sent += rc;
    }
    return true;
}

static size_t
s_cut (proxy_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->held = false;
    pthread_mutex_unlock (&self->lock);
    size_t count = 0;
    for (size_t i = 0; i < PROXY_MAX_PAIRS; i++)
        if (self->pairs [i].client >= 0) {
            s_close_pair (&self->pairs [i]);
            count++;
        }
    return count;
}

static void *
s_run (void *arg)
{
    proxy_t *self = arg;
    while (true) {
        struct pollfd items [2 + 2 * PROXY_MAX_PAIRS];
        size_t slot [2 * PROXY_MAX_PAIRS];
        nfds_t count = 0;
        items [count++] = (struct pollfd) {self->command [0], POLLIN, 0};
        items [count++] = (struct pollfd) {self->listener, POLLIN, 0};
        pthread_mutex_lock (&self->lock);
        size_t budget = self->held ? self->budget : SIZE_MAX;
        pthread_mutex_unlock (&self->lock);
        for (size_t i = 0; i < PROXY_MAX_PAIRS; i++)
            if (self->pairs [i].client >= 0) {
                slot [count - 2] = i;
                items [count++] = (struct pollfd) {self->pairs [i].client, POLLIN, 0};
                //  Held: what the broker sends stays in the kernel.
                slot [count - 2] = i;
                items [count++] = (struct pollfd) {self->pairs [i].broker,
                                                   budget ? POLLIN : 0, 0};
            }
        if (poll (items, count, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items [0].revents & POLLIN) {
            char command = 0;
            if (read (self->command [0], &command, 1) != 1 || command == 'q')
                break;
            size_t closed = s_cut (self);
            if (write (self->answer [1], &closed, sizeof closed) != sizeof closed)
                break;
            continue; //  the pairs polled are gone
        }
        if (items [1].revents & POLLIN)
            s_accept (self);
        for (nfds_t at = 2; at < count; at++) {
            s_pair_t *pair = &self->pairs [slot [at - 2]];
            if (!items [at].revents || pair->client < 0)
                continue;
            bool from_client = items [at].fd == pair->client;
            if (!from_client && budget == 0)
                continue; //  spent by a pair before it in this round
            size_t moved = 0;
            if (!s_relay (items [at].fd, from_client ? pair->broker : pair->client,
                          from_client ? SIZE_MAX : budget, &moved))
                s_close_pair (pair);
            else if (!from_client && budget != SIZE_MAX) {
                budget -= moved;
                pthread_mutex_lock (&self->lock);
                self->budget = budget;
                pthread_mutex_unlock (&self->lock);
            }
        }
    }
    s_cut (self);
    return NULL;
}

//  The port of "tcp://127.0.0.1:PORT", or 0.
static uint16_t
s_port (const char *target)
{
    unsigned port = 0;
    if (sscanf (target, "tcp://127.0.0.1:%u", &port) != 1 || port > 65535)
        return 0;
    return (uint16_t) port;
}

proxy_t *
proxy_new (const char *target)
{
    uint16_t port = s_port (target);
    if (!port)
        return NULL;
    proxy_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < PROXY_MAX_PAIRS; i++)
        self->pairs [i].client = self->pairs [i].broker = -1;
    pthread_mutex_init (&self->lock, NULL);
    self->command [0] = self->command [1] = self->answer [0] = self->answer [1] = -1;
    self->target.sin_family = AF_INET;
    self->target.sin_port = htons (port);
    self->target.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct sockaddr_in here = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t size = sizeof here;
    self->listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (self->listener < 0 || bind (self->listener, (struct sockaddr *) &here, sizeof here) != 0
        || listen (self->listener, 16) != 0
        || getsockname (self->listener, (struct sockaddr *) &here, &size) != 0
        || pipe2 (self->command, O_CLOEXEC) != 0 || pipe2 (self->answer, O_CLOEXEC) != 0
        || pthread_create (&self->thread, NULL, s_run, self) != 0) {
        proxy_destroy (&self);
        return NULL;
    }
    self->running = true;
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%u",
              (unsigned) ntohs (here.sin_port));
    return self;
}

void
proxy_destroy (proxy_t **self_p)
{
    proxy_t *self = *self_p;
    if (!self)
        return;
    if (self->running && write (self->command [1], "q", 1) == 1)
        pthread_join (self->thread, NULL);
    int fds [] = {self->listener, self->command [0], self->command [1], self->answer [0],
                  self->answer [1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds [0]; i++)
        if (fds [i] >= 0)
            close (fds [i]);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

const char *
proxy_endpoint (proxy_t *self)
{
    return self->endpoint;
}

size_t
proxy_cut (proxy_t *self)
{
    size_t closed = 0;
    struct pollfd item = {self->answer [0], POLLIN, 0};
    if (write (self->command [1], "c", 1) != 1 || poll (&item, 1, PROXY_ANSWER_MSEC) != 1
        || read (self->answer [0], &closed, sizeof closed) != sizeof closed)
        return 0;
    return closed;
}

void
proxy_hold_after (proxy_t *self, size_t bytes)
{
    pthread_mutex_lock (&self->lock);
    self->held = true;
    self->budget = bytes;
    pthread_mutex_unlock (&self->lock);
}

void
proxy_retarget (proxy_t *self, const char *target)
{
    uint16_t port = s_port (target);
    pthread_mutex_lock (&self->lock);
    if (port)
        self->target.sin_port = htons (port);
    pthread_mutex_unlock (&self->lock);
}
