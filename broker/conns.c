/*  conns.c - the broker's TCP connections, as the ROUTER's monitor reports
    them (see conns.h for why). */

#include "conns.h"

#include "log.h"

#include <string.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

//  Bytes sent to a connection before its queues are looked at again (see
//  conns_backlogged): what may sit unseen in libzmq's queue beside the turn's
//  bound.
#define S_CHECK_BYTES (256 * 1024)

//  The cap's log line is written at most this often, with what it did
//  since the last one: a flood of strangers must not become a flood of lines.
#define S_SHED_LOG_MSEC 10000

//  Linux's struct tcp_info goes on past what glibc's <netinet/tcp.h>
//  declares, and <linux/tcp.h> cannot be included beside it: the bytes the
//  peer acknowledged follow the two pacing rates (an append-only ABI).
typedef struct {
    struct tcp_info base;
    uint64_t pacing_rate, max_pacing_rate;
    uint64_t bytes_acked;
} s_tcp_info_t;

typedef struct {
    int64_t accepted_at; /* monotonic msec; 0 when the descriptor is not open */
    bool seen;           /* carried an authenticated request */
    bool shed;           /* closed by the cap; its events are still to come */
    uint64_t turn;       /* the turn of the loop its turn_bytes are for */
    uint64_t turn_bytes; /* bytes sent to it in that turn */
    uint64_t sent;       /* bytes sent to it since it was accepted (conns_charge) */
    uint64_t checked;    /* sent when its queues were last looked at and found short */
    uint64_t answers;    /* of sent, the answers to its requests (conns_charge_answers) */
    uint64_t answers_checked; /* answers at checked */
} s_conn_t;

struct conns_t {
    zsock_t *monitor; /* PAIR, connected to the router's monitor */
    void *router;     /* borrowed libzmq handle */
    char endpoint [64];
    s_conn_t *conns; /* indexed by descriptor */
    size_t conns_size;
    size_t max_pending;
    size_t open;
    size_t seen;       /* open connections that carried a request */
    uint64_t accepted; /* events since start */
    uint64_t settled;  /* handshakes that succeeded or failed */
    size_t shedding;   /* closed by the cap, disconnect not yet reported */
    size_t shed;       /* closed by the cap since start */
    size_t shed_unlogged;
    uint64_t turn;       /* turns of the broker's loop since start */
    int64_t shed_logged_at;
};

conns_t *
conns_new (zsock_t *router, size_t max_pending)
{
    conns_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->router = zsock_resolve (router);
    self->max_pending = max_pending;
    snprintf (self->endpoint, sizeof self->endpoint, "inproc://cibus-monitor-%p", (void *)self);
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED
                 | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor (self->router, self->endpoint, events) != 0
        || !(self->monitor = zsock_new_pair (self->endpoint))) {
        log_error ("event=monitor-failed error=\"%s\"", zmq_strerror (zmq_errno ()));
        conns_destroy (&self);
        return NULL;
    }
    return self;
}

void
conns_destroy (conns_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    conns_t *self = *self_p;
    if (self->monitor)
        zmq_socket_monitor (self->router, NULL, 0);
    zsock_destroy (&self->monitor);
    free (self->conns);
    free (self);
    *self_p = NULL;
}

int
conns_fd (conns_t *self)
{
    return zsock_fd (self->monitor);
}

static s_conn_t *
s_conn (conns_t *self, int fd, bool grow)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= self->conns_size) {
        if (!grow)
            return NULL;
        size_t size = self->conns_size ? self->conns_size : 256;
        while (size <= (size_t)fd)
            size *= 2;
        s_conn_t *grown = realloc (self->conns, size * sizeof *grown);
        if (!grown)
            return NULL;
        memset (grown + self->conns_size, 0, (size - self->conns_size) * sizeof *grown);
        self->conns = grown;
        self->conns_size = size;
    }
    return &self->conns [fd];
}

static void
s_closed (conns_t *self, int fd, conns_gone_fn *gone, void *arg)
{
    s_conn_t *conn = s_conn (self, fd, false);
    if (!conn || !conn->accepted_at)
        return;
    self->open--;
    self->seen -= conn->seen;
    //  A connection the cap closed has reported its failed handshake by
    //  now (libzmq reports it before the disconnect): it is settled.
    self->shedding -= conn->shed;
    conn->accepted_at = 0;
    conn->seen = conn->shed = false;
    if (gone)
        gone (fd, arg);
}

size_t
conns_pending (conns_t *self)
{
    //  From the counts of events; never more than the open connections that
    //  have not carried a request, should an event have been missed.
    uint64_t counted = self->accepted > self->settled ? self->accepted - self->settled : 0;
    counted = counted > self->shedding ? counted - self->shedding : 0;
    size_t unseen = self->open - self->seen - self->shedding;
    return counted < unseen ? (size_t)counted : unseen;
}

//  A candidate for closing: when it was accepted, and its descriptor.
typedef struct {
    int64_t accepted_at;
    int fd;
} s_candidate_t;

static int
s_older_first (const void *a, const void *b)
{
    int64_t at_a = ((const s_candidate_t *)a)->accepted_at;
    int64_t at_b = ((const s_candidate_t *)b)->accepted_at;
    return at_a < at_b ? -1 : at_a > at_b;
}

//  Close the oldest connections that have not carried a request until no
//  more than max_pending are in their handshake. shutdown() rather than
//  close(): the descriptor stays libzmq's, which sees the end of the stream
//  and closes it as it would any peer's.
static void
s_shed (conns_t *self)
{
    size_t pending = conns_pending (self);
    if (pending <= self->max_pending)
        return;
    size_t excess = pending - self->max_pending;
    //  The candidates, oldest first: one pass and a sort, however many
    //  strangers came at once.
    s_candidate_t *oldest = malloc (self->open * sizeof *oldest);
    size_t count = 0;
    for (size_t fd = 0; oldest && fd < self->conns_size && count < self->open; fd++) {
        s_conn_t *conn = &self->conns [fd];
        if (conn->accepted_at && !conn->seen && !conn->shed)
            oldest [count++] = (s_candidate_t){conn->accepted_at, (int)fd};
    }
    if (oldest && count > excess)
        qsort (oldest, count, sizeof *oldest, s_older_first);
    for (size_t i = 0; oldest && i < count && i < excess; i++) {
        s_conn_t *conn = &self->conns [oldest [i].fd];
        shutdown (oldest [i].fd, SHUT_RDWR);
        //  Not pending from now on, although its events come later: they
        //  must not make this loop close another one in its place.
        conn->shed = true;
        self->shedding++;
        self->shed++;
        self->shed_unlogged++;
    }
    free (oldest);
    int64_t now = zclock_mono ();
    if (self->shed_unlogged && now - self->shed_logged_at >= S_SHED_LOG_MSEC) {
        log_warn ("event=handshake-cap-reached closed=%zu pending=%zu cap=%zu "
                  "reason=\"too many connections in their handshake; the oldest were closed\"",
                  self->shed_unlogged, conns_pending (self), self->max_pending);
        self->shed_unlogged = 0;
        self->shed_logged_at = now;
    }
}

void
conns_handle (conns_t *self, conns_gone_fn *gone, void *arg)
{
    while (zsock_events (self->monitor) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->monitor);
        if (!msg)
            break;
        zframe_t *frame = zmsg_first (msg);
        if (frame && zframe_size (frame) >= 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (frame), sizeof event);
            memcpy (&value, zframe_data (frame) + 2, sizeof value);
            int fd = (int)value;
            if (event == ZMQ_EVENT_ACCEPTED) {
                s_conn_t *conn = s_conn (self, fd, true);
                self->accepted++;
                if (conn && !conn->accepted_at) {
                    //  A new connection on a descriptor an earlier one had:
                    //  nothing of the earlier one's account may carry over
                    //  (its bytes sent would make this one look backlogged).
                    *conn = (s_conn_t){.accepted_at = zclock_mono ()};
                    self->open++;
                }
            } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                       || event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                       || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                       || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                self->settled++;
            else if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED)
                s_closed (self, fd, gone, arg);
        }
        zmsg_destroy (&msg);
    }
    s_shed (self);
}

void
conns_seen (conns_t *self, int fd)
{
    s_conn_t *conn = s_conn (self, fd, false);
    if (conn && conn->accepted_at && !conn->seen && !conn->shed) {
        conn->seen = true;
        self->seen++;
    }
}

void
conns_next_turn (conns_t *self)
{
    self->turn++;
}

void
conns_charge (conns_t *self, int fd, size_t bytes)
{
    s_conn_t *conn = s_conn (self, fd, false);
    if (!conn || !conn->accepted_at)
        return;
    if (conn->turn != self->turn) {
        conn->turn = self->turn;
        conn->turn_bytes = 0;
    }
    conn->turn_bytes += bytes;
    conn->sent += bytes;
}

bool
conns_backlogged (conns_t *self, int fd)
{
    s_conn_t *conn = s_conn (self, fd, false);
    if (!conn || !conn->accepted_at || conn->shed)
        return false;
    //  What was sent in this turn is still in libzmq's queue: the kernel
    //  cannot have taken it yet.
    if (conn->turn == self->turn && conn->turn_bytes >= CONNS_TURN_BYTES)
        return true;
    //  The system calls below cost more than a small delivery: look again
    //  only once a little more has been sent since the queues were short.
    if (conn->sent - conn->checked < S_CHECK_BYTES)
        return false;
    int queued = 0, size = 0;
    socklen_t len = sizeof size;
    if (ioctl (fd, SIOCOUTQ, &queued) != 0
        || getsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, &len) != 0 || size <= 0)
        return false;
    //  What libzmq still holds: what was sent, less what its I/O thread has
    //  written to the kernel (acknowledged by the peer, or in the send
    //  queue). The kernel's count includes the protocol's framing, so this
    //  errs low; a starved I/O thread shows here before the kernel fills.
    s_tcp_info_t info;
    len = sizeof info;
    memset (&info, 0, sizeof info);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && len >= sizeof info) {
        uint64_t written = info.bytes_acked + (uint64_t)queued;
        if (conn->sent > written && conn->sent - written >= CONNS_TURN_BYTES)
            return true;
    }
    //  The kernel counts a buffer's overhead against SO_SNDBUF as well as
    //  its bytes: a send queue stops taking more at about half of it.
    if ((int64_t)queued * 8 >= (int64_t)size * 3)
        return true;
    conn->checked = conn->sent;
    conn->answers_checked = conn->answers;
    return false;
}

void
conns_charge_answers (conns_t *self, int fd, size_t bytes)
{
    conns_charge (self, fd, bytes);
    s_conn_t *conn = s_conn (self, fd, false);
    if (conn && conn->accepted_at)
        conn->answers += bytes;
}

uint64_t
conns_answers_unread (conns_t *self, int fd)
{
    s_conn_t *conn = s_conn (self, fd, false);
    return conn && conn->accepted_at ? conn->answers - conn->answers_checked : 0;
}

size_t
conns_open (conns_t *self)
{
    return self->open;
}

size_t
conns_shed (conns_t *self)
{
    return self->shed;
}
