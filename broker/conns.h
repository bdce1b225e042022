/*  conns.h - the broker's TCP connections, as the ROUTER's monitor reports
    them.

    libzmq accepts connections and runs their handshakes in its own I/O
    thread and tells the application nothing about them, so a stranger that
    opens a socket and never speaks costs a file descriptor that the broker
    cannot see. The socket monitor reports each connection's life (accepted,
    handshake succeeded or failed, disconnected), and this module keeps the
    account: which descriptors are open, since when, and which of them have
    carried an authenticated request. From that it

      - counts the connections still in their handshake (not yet
        authenticated) and, when there are more than max_pending of them,
        closes the oldest, so strangers can never crowd out partners;
      - tells the broker when a connection is gone, so that a cursor bound
        to it ends before its routing id can be reused by anyone else.

    The handshake-succeeded event does not name its descriptor (libzmq 4.3
    reports 0), so the count of connections in their handshake is taken
    from the counts of events, and the connections closed when it is over
    the cap are the oldest that have not yet sent an authenticated request. */

#ifndef CIBUS_CONNS_H_INCLUDED
#define CIBUS_CONNS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct conns_t conns_t;

/* Called for every connection the monitor reports closed. */
typedef void (conns_gone_fn) (int fd, void *arg);

/* Monitor the router (which must not be bound yet, so no connection is
   missed). max_pending is the most connections allowed in their handshake
   at once. NULL on failure, after logging why. */
conns_t *conns_new (zsock_t *router, size_t max_pending);
void conns_destroy (conns_t **self_p);

/* The monitor socket's descriptor (ZMQ_FD), to poll for events as a
   descriptor rather than as a socket (which asks ZMQ_EVENTS, a poll(2)
   and a getpid(2), before and after each sleep). It is readable once an
   event arrives after conns_handle has taken every event waiting:
   nothing but conns_handle reads the monitor, and it reads it empty. */
int conns_fd (conns_t *self);

/* Take every event waiting: keep the account, call gone for each closed
   connection, and close the oldest connections in their handshake while
   there are more than max_pending. */
void conns_handle (conns_t *self, conns_gone_fn *gone, void *arg);

/* An authenticated request arrived on the connection fd. */
void conns_seen (conns_t *self, int fd);

/* Bytes the broker sends one connection in one turn of its loop at most,
   beyond the first reply: within a turn libzmq has not yet handed what was
   sent to the kernel, so the kernel's queue cannot tell yet. */
#define CONNS_TURN_BYTES (1024 * 1024)

/* A new turn of the broker's loop. */
void conns_next_turn (conns_t *self);

/* Count bytes sent to the connection fd in this turn. */
void conns_charge (conns_t *self, int fd, size_t bytes);

/* Whether the connection fd is not keeping up with what is sent to it:
   CONNS_TURN_BYTES were sent to it in this turn, or as much is still in
   libzmq's queue (what conns_charge counted, less what the kernel has taken,
   for TCP), or its kernel send queue holds three eighths of SO_SNDBUF or
   more (it takes no more at about half, the rest being the kernel's
   overhead). What the broker sends
   then stays in libzmq's queue, in the broker's memory, and nothing in
   libzmq bounds that queue in bytes; so the broker sends nothing more of
   any size to such a connection until it has read. False for a descriptor
   the monitor does not know. */
bool conns_backlogged (conns_t *self, int fd);

/* Count bytes of answers to the connection fd's own requests (acks), as
   conns_charge does, and on their own too. */
void conns_charge_answers (conns_t *self, int fd, size_t bytes);

/* Bytes of answers sent to fd since conns_backlogged last found its
   queues short: at most what of them it has not read. */
uint64_t conns_answers_unread (conns_t *self, int fd);

/* Connections open now, and those of them still in their handshake. */
size_t conns_open (conns_t *self);
size_t conns_pending (conns_t *self);

/* Connections closed by the cap since start. */
size_t conns_shed (conns_t *self);

#endif
