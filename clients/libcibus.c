/*  libcibus.c - the client library; see cibus.h.

    Design
    ------
    One DEALER socket carries everything: requests go out one frame each,
    and replies come back in whatever order the broker sends them. So the
    library never assumes "the next frame is my answer": every received
    reply goes through s_dispatch(), which files it where it belongs —
    a Deliver in the delivery queue, an Ack or an Error carrying an id to the
    publish it answers, anything else to the one synchronous request that
    may be waiting. A socket monitor watches the CURVE handshake so that a
    refused key fails at once with a clear line instead of a silent timeout.

    Tables (cibus_table_t) are built here rather than by each caller so
    that the command line, a feed written in C and the tests read a value
    like 52/160 or a JSON table the same way, with one set of messages that
    quote the text and name no option. The JSON form is read with jansson;
    everything the broker judges (the catalogue, sums, sizes) is left to
    it, so the two can never disagree.                                   */

#include "cibus_wire.h"

#include "codec.h"
#include "keys.h"
#include "text.h"

#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

#define S_NO_REPLY ((Cibus__Reply__KindCase) -1)
//  Connections closed during the handshake before the library concludes
//  that the broker's key is wrong (see s_monitor).
#define S_CLOSED_IN_HANDSHAKE_MAX 3
#define S_ANY_REPLY ((Cibus__Reply__KindCase) -2)
//  Replies taken off the socket in one go before polling again.
#define S_DRAIN_MAX 256

struct cibus_t {
    zsock_t *dealer;
    zsock_t *monitor;         /* PAIR receiving the DEALER's handshake events */
    int monitor_fd;           /* its ZMQ_FD, polled as a descriptor (s_read_monitor) */
    int dealer_fd;            /* the DEALER's ZMQ_FD, polled as one too (s_pump) */
    char endpoint [256];
    int timeout_msec;
    char error [512];
    char field [64];
    codec_buf_t buf;
    char id [33];             /* the id cibus_publish made up, if it did */

    //  The synchronous request waiting, if any.
    Cibus__Reply__KindCase expect;
    const char *expect_id;    /* for a publish: the id its ack or error names */
    reply_t *answer;          /* what s_dispatch filed for it */
    zframe_t *raw_answer;     /* the same, undecoded, for cibus_raw */

    //  Asynchronous publishes.
    cibus_ack_fn *handler;
    void *handler_arg;
    bool dry_run; /* publishes are checked, not stored (cibus_set_dry_run) */
    size_t window;
    size_t in_flight;
    zhashx_t *async_ids;      /* id -> count in flight; answers for others are stale */

    //  The cursor.
    zlistx_t *deliveries;     /* envelope_t *: entries received, not yet returned */
    bool subscribed;          /* a cursor is open: renew it after a reconnect */
    char **prefixes;          /* its prefixes, owned */
    size_t prefix_count;
    uint64_t next_seq;        /* the seq the cursor is at: the next one expected */
    uint32_t credit_window;
    uint32_t consumed;        /* entries returned since credit was last granted */
    bool hold_credit;
    bool owe_credit;          /* a Heartbeat asked for the credit of what was consumed */

    //  What the monitor saw.
    bool connected;
    bool handshaken;          /* the current connection completed its handshake */
    bool ever_handshaken;     /* some connection did: the key and server key are right */
    int closed_in_handshake;  /* connections closed during the handshake, none done yet */
    cibus_err_t fatal;        /* set once the broker refused us for good */
};

//  ---------------------------------------------------------------- errors

static cibus_err_t
s_fail (cibus_t *self, cibus_err_t err, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static cibus_err_t
s_vfail (cibus_t *self, cibus_err_t err, const char *field, const char *format, va_list args)
    __attribute__ ((format (printf, 4, 0)));

static cibus_err_t
s_vfail (cibus_t *self, cibus_err_t err, const char *field, const char *format, va_list args)
{
    vsnprintf (self->error, sizeof self->error, format, args);
    snprintf (self->field, sizeof self->field, "%s", field ? field : "");
    return err;
}

static cibus_err_t
s_fail (cibus_t *self, cibus_err_t err, const char *field, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_vfail (self, err, field, format, args);
    va_end (args);
    return err;
}

cibus_err_t
cibus_fail (cibus_t *self, cibus_err_t err, const char *field, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_vfail (self, err, field, format, args);
    va_end (args);
    return err;
}

static cibus_err_t
s_fail_timeout (cibus_t *self)
{
    if (!self->connected)
        return s_fail (self, CIBUS_ERR_TIMEOUT, NULL,
                       "cannot reach the broker at %s within %d ms: is cibusd running there, "
                       "and is that its endpoint?",
                       self->endpoint, self->timeout_msec);
    //  It answered before on this connection: the key was right.
    if (self->ever_handshaken)
        return s_fail (self, CIBUS_ERR_TIMEOUT, NULL,
                       "the broker at %s stopped answering (nothing within %d ms)",
                       self->endpoint, self->timeout_msec);
    return s_fail (self, CIBUS_ERR_TIMEOUT, NULL,
                   "no answer from the broker at %s within %d ms: check that the broker key "
                   "given is that broker's (its data directory's `broker` file)",
                   self->endpoint, self->timeout_msec);
}

const char *
cibus_error (cibus_t *self)
{
    return self->error;
}

const char *
cibus_error_field (cibus_t *self)
{
    return self->field;
}

//  ---------------------------------------------------------------- lifecycle

static void
s_envelope_destroy (void **item)
{
    codec_envelope_free (*item);
    *item = NULL;
}

static void
s_forget_prefixes (cibus_t *self)
{
    for (size_t i = 0; i < self->prefix_count; i++)
        free (self->prefixes [i]);
    free (self->prefixes);
    self->prefixes = NULL;
    self->prefix_count = 0;
}

static cibus_err_t s_send (cibus_t *self, const request_t *request);
static void s_read_monitor (cibus_t *self);

//  Open the cursor again where it was, on a new connection: the broker
//  keys a subscription by connection, so a reconnect (a broker restart, a
//  network blip) left it behind. Entries already received stay queued;
//  the new cursor starts after them.
static void
s_resubscribe (cibus_t *self)
{
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = self->prefix_count;
    subscribe.prefixes = self->prefixes;
    subscribe.has_from_seq = subscribe.has_credit = true;
    subscribe.from_seq = self->next_seq;
    size_t queued = zlistx_size (self->deliveries);
    subscribe.credit = queued < self->credit_window ? self->credit_window - (uint32_t) queued : 1;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    self->consumed = 0;
    s_send (self, &request);
}

cibus_t *
cibus_new (const cibus_config_t *config, char *error, size_t size)
{
    char broker_key [41];
    if (!config->broker_key || !*config->broker_key) {
        snprintf (error, size,
                  "no broker key: the broker's public key is needed (its data directory's "
                  "`broker` certificate file, or the 40-character Z85 key)");
        return NULL;
    }
    if (!keys_public (config->broker_key, broker_key)) {
        snprintf (error, size,
                  "broker key '%s' is neither a 40-character Z85 key nor a readable "
                  "certificate file",
                  config->broker_key);
        return NULL;
    }
    if (!config->secret_cert || !*config->secret_cert) {
        snprintf (error, size,
                  "no key: this partner's secret certificate is needed (the NAME_secret "
                  "file `cibus keygen NAME` writes)");
        return NULL;
    }
    zcert_t *cert = zsys_file_exists (config->secret_cert) ? zcert_load (config->secret_cert)
                                                            : NULL;
    static const char no_secret [] = "0000000000000000000000000000000000000000";
    if (!cert || strcmp (zcert_secret_txt (cert), no_secret) == 0) {
        snprintf (error, size,
                  "key '%s' is not a readable secret certificate: it must be the NAME_secret "
                  "file `cibus keygen NAME` writes",
                  config->secret_cert);
        zcert_destroy (&cert);
        return NULL;
    }

    cibus_t *self = calloc (1, sizeof *self);
    if (!self) {
        zcert_destroy (&cert);
        snprintf (error, size, "out of memory");
        return NULL;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s",
              config->endpoint && *config->endpoint ? config->endpoint
                                                    : CIBUS_DEFAULT_ENDPOINT);
    self->timeout_msec = config->timeout_msec > 0 ? config->timeout_msec
                                                  : CIBUS_DEFAULT_TIMEOUT_MSEC;
    self->window = CIBUS_DEFAULT_WINDOW;
    self->expect = S_NO_REPLY;
    self->deliveries = zlistx_new ();
    self->async_ids = zhashx_new ();
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->deliveries || !self->async_ids || !self->dealer) {
        snprintf (error, size, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        zcert_destroy (&cert);
        cibus_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->deliveries, s_envelope_destroy);
    zcert_apply (cert, self->dealer);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey (self->dealer, broker_key);
    //  A Deliver wraps an entry of up to CIBUS_MAX_FRAME in a Reply and a
    //  CURVE box: allow for both.
    zsock_set_maxmsgsize (self->dealer, 2 * CIBUS_MAX_FRAME);
    zsock_set_sndtimeo (self->dealer, self->timeout_msec);
    zsock_set_sndhwm (self->dealer, 0);
    zsock_set_rcvhwm (self->dealer, 0);
    zsock_set_linger (self->dealer, 0);

    //  Watch the handshake: a refused key is reported by the broker's ZAP
    //  answer (status 400) and seen here as HANDSHAKE_FAILED_AUTH.
    char monitor_endpoint [64];
    snprintf (monitor_endpoint, sizeof monitor_endpoint, "inproc://cibus-monitor-%p",
              (void *) self);
    void *handle = zsock_resolve (self->dealer);
    if (zmq_socket_monitor (handle, monitor_endpoint,
                            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
                                | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
            == 0
        && (self->monitor = zsock_new (ZMQ_PAIR)) != NULL) {
        zsock_set_linger (self->monitor, 0);
        zsock_connect (self->monitor, "%s", monitor_endpoint);
        size_t fd_size = sizeof self->monitor_fd;
        if (zmq_getsockopt (zsock_resolve (self->monitor), ZMQ_FD, &self->monitor_fd, &fd_size))
            zsock_destroy (&self->monitor);
        else
            s_read_monitor (self);
    }
    if (zsock_connect (self->dealer, "%s", self->endpoint) != 0) {
        snprintf (error, size, "cannot connect to '%s': %s (expected tcp://HOST:PORT)",
                  self->endpoint, zmq_strerror (zmq_errno ()));
        cibus_destroy (&self);
        return NULL;
    }
    self->dealer_fd = zsock_fd (self->dealer);
    return self;
}

void
cibus_destroy (cibus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cibus_t *self = *self_p;
    if (self->dealer && self->monitor)
        zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->dealer);
    zlistx_destroy (&self->deliveries);
    zhashx_destroy (&self->async_ids);
    s_forget_prefixes (self);
    codec_reply_free (self->answer);
    zframe_destroy (&self->raw_answer);
    codec_buf_release (&self->buf);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------- receiving

//  Read the handshake events waiting on the monitor, to the last: the
//  waits poll its descriptor instead of asking it ZMQ_EVENTS (a poll(2)
//  and a getpid(2) before and after each sleep), which is sound because
//  nothing else reads it. A monitor read empty has taken every command
//  its descriptor signalled, so the next event makes it readable again.
static void
s_read_monitor (cibus_t *self)
{
    while (self->monitor) {
        zmq_msg_t event, address;
        zmq_msg_init (&event);
        if (zmq_msg_recv (&event, zsock_resolve (self->monitor), ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&event);
            return;
        }
        uint16_t kind = 0;
        uint32_t value = 0;
        if (zmq_msg_size (&event) >= 6) {
            memcpy (&kind, zmq_msg_data (&event), 2);
            memcpy (&value, (uint8_t *) zmq_msg_data (&event) + 2, 4);
        }
        zmq_msg_close (&event);
        zmq_msg_init (&address);
        zmq_msg_recv (&address, zsock_resolve (self->monitor), 0);
        zmq_msg_close (&address);
        if (kind == ZMQ_EVENT_CONNECTED)
            self->connected = true;
        else if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            bool reconnected = self->ever_handshaken && !self->handshaken;
            self->handshaken = self->ever_handshaken = true;
            if (reconnected && self->subscribed)
                s_resubscribe (self);
        }
        else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !self->fatal)
            self->fatal = s_fail (self, CIBUS_ERR_UNKNOWN_KEY, NULL,
                                  "the broker at %s refused this key (status %u): ask the "
                                  "backbone to register it with `cibusd partner add`",
                                  self->endpoint, value);
        else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && !self->fatal)
            self->fatal = s_fail (self, CIBUS_ERR_REJECTED, NULL,
                                  "the secure handshake with %s failed: check that the "
                                  "broker key given is that broker's",
                                  self->endpoint);
        else if (kind == ZMQ_EVENT_DISCONNECTED && self->handshaken)
            self->handshaken = false; //  libzmq reconnects; see HANDSHAKE_SUCCEEDED
        else if (kind == ZMQ_EVENT_DISCONNECTED && !self->ever_handshaken && !self->fatal
                 && ++self->closed_in_handshake >= S_CLOSED_IN_HANDSHAKE_MAX)
            //  Closed before the handshake finished, again and again: the
            //  broker could not decrypt our hello, which means we used the
            //  wrong server key. Once could be the broker shedding
            //  connections under a flood of strangers; libzmq reconnects.
            self->fatal = s_fail (self, CIBUS_ERR_REJECTED, NULL,
                                  "the broker at %s closed the connection during the secure "
                                  "handshake: either the broker key given is not its key "
                                  "(its data directory's `broker` file is) or it is shutting "
                                  "down",
                                  self->endpoint);
    }
}

static cibus_err_t
s_error_reply (cibus_t *self, const Cibus__Error *error)
{
    cibus_err_t code = cibus_err_from_name (error->code ? error->code : "");
    return s_fail (self, code, error->field, "%s",
                   error->message ? error->message : "the broker refused the request");
}

//  An ack (given) or error (else) for an async publish. Only an answer to a
//  publish still in flight counts: a late answer to a publish whose wait
//  timed out must not stand for another one. False when it was not one.
static bool
s_async_answer (cibus_t *self, const Cibus__Ack *given, const Cibus__Error *error)
{
    const char *id = given ? given->id : error->id;
    if (!id)
        id = "";
    uintptr_t count = (uintptr_t) zhashx_lookup (self->async_ids, id);
    if (count == 0)
        return false;
    if (count > 1)
        zhashx_update (self->async_ids, id, (void *) (count - 1));
    else
        zhashx_delete (self->async_ids, id);
    cibus_ack_t ack;
    memset (&ack, 0, sizeof ack);
    cibus_err_t err = CIBUS_OK;
    const char *message = NULL;
    text_put (ack.id, sizeof ack.id, 0, id);
    if (given) {
        ack.seq = given->seq;
        ack.duplicate = given->duplicate;
        ack.version = given->version;
        ack.dry_run = given->dry_run;
    }
    else {
        err = s_error_reply (self, error);
        message = self->error;
    }
    if (self->in_flight)
        self->in_flight--;
    if (self->handler)
        self->handler (&ack, err, message, self->handler_arg);
    return true;
}

//  File one reply where it belongs. Takes ownership of frame.
static void
s_dispatch (cibus_t *self, zframe_t *frame)
{
    reply_t *reply = codec_reply_decode (zframe_data (frame), zframe_size (frame));
    if (!reply) {
        self->fatal = s_fail (self, CIBUS_ERR_MALFORMED, NULL,
                              "the broker sent %zu bytes that do not decode as a Reply",
                              zframe_size (frame));
        zframe_destroy (&frame);
        return;
    }
    Cibus__Reply__KindCase kind = reply->kind_case;
    const char *id = kind == CIBUS__REPLY__KIND_ACK     ? reply->ack->id
                     : kind == CIBUS__REPLY__KIND_ERROR ? reply->error->id
                                                        : NULL;
    bool for_sync = false;
    if (kind == CIBUS__REPLY__KIND_HEARTBEAT)
        //  Proves the broker is there, and asks for the credit of what we
        //  consume: it may have stopped at its bound of bytes in flight.
        self->owe_credit = true;
    else if (kind == CIBUS__REPLY__KIND_DELIVER) {
        //  Decoded here, once, so that the cursor's position is known even
        //  for entries not yet returned (a renewed cursor starts after them).
        //  A Deliver carries one entry or several, in seq order.
        for (size_t i = 0; i < reply->deliver->n_envelopes && !self->fatal; i++) {
            const ProtobufCBinaryData *bytes = &reply->deliver->envelopes [i];
            envelope_t *env = codec_envelope_decode (bytes->data, bytes->len);
            if (!env)
                self->fatal = s_fail (self, CIBUS_ERR_MALFORMED, NULL,
                                      "the broker delivered %zu bytes that do not decode as "
                                      "an Envelope",
                                      (size_t) bytes->len);
            else if (self->subscribed && env->seq < self->next_seq)
                codec_envelope_free (env); //  left over from a cursor since replaced
            else {
                self->next_seq = env->seq + 1;
                zlistx_add_end (self->deliveries, env);
            }
        }
    }
    else if (kind == CIBUS__REPLY__KIND_ACKS && self->in_flight) {
        //  Async publishes ask for their acks together: theirs go to the
        //  ack handler, even while a raw request waits. An ack for any
        //  other id is a raw publish's that asked for it too: the raw
        //  request waiting takes the whole Acks as its answer.
        bool others = false;
        for (size_t i = 0; i < reply->acks->n_acks; i++) {
            const Cibus__Ack *ack = reply->acks->acks [i];
            if (!(ack->id && *ack->id && s_async_answer (self, ack, NULL)))
                others = true;
        }
        for_sync = others && self->expect == S_ANY_REPLY;
    }
    else if (self->expect == S_ANY_REPLY && !(id && *id && zhashx_lookup (self->async_ids, id)))
        //  A raw request's answer: anything but the answer to an async
        //  publish in flight, which goes to the ack handler below.
        for_sync = true;
    else if (self->expect_id && id && strcmp (id, self->expect_id) == 0)
        for_sync = true;
    else if (id && *id)
        s_async_answer (self, kind == CIBUS__REPLY__KIND_ACK ? reply->ack : NULL,
                        kind == CIBUS__REPLY__KIND_ERROR ? reply->error : NULL);
    else if (kind == CIBUS__REPLY__KIND_ERROR && self->subscribed
             && cibus_err_from_name (reply->error->code) == CIBUS_ERR_USAGE
             && self->expect != CIBUS__REPLY__KIND_SUBSCRIBED)
        //  Our Credit found no cursor: the connection was renewed before we
        //  noticed. Open the cursor again where it was (PROTOCOL.md 4.6).
        s_resubscribe (self);
    else if (kind == CIBUS__REPLY__KIND_ERROR && self->expect != S_NO_REPLY)
        for_sync = true; //  an error without an id answers the request waiting
    else if (kind == CIBUS__REPLY__KIND_ERROR)
        //  Nothing waits for it: the broker ended our session (key removed).
        self->fatal = s_error_reply (self, reply->error);
    else if (kind == self->expect)
        for_sync = true;

    if (for_sync && !self->answer) {
        //  A new cursor: whatever the old one delivered and was not read is
        //  not part of it (the broker sends Subscribed before any Deliver of
        //  the new cursor).
        if (kind == CIBUS__REPLY__KIND_SUBSCRIBED)
            zlistx_purge (self->deliveries);
        self->answer = reply;
        self->raw_answer = frame;
        return;
    }
    codec_reply_free (reply);
    zframe_destroy (&frame);
}

//  What a caller of s_pump waits for: once it has come, what is still
//  queued behind it stays on the socket for the next call. A reply or a
//  subscription's first entry must not wait while a backlog of Deliver
//  frames behind it is decoded (up to S_DRAIN_MAX of them, each up to
//  CIBUS_MAX_FRAME).
static bool
s_answered (cibus_t *self)
{
    return self->answer != NULL;
}

static bool
s_delivered (cibus_t *self)
{
    return zlistx_size (self->deliveries) > 0;
}

//  Dispatch what is already waiting on the socket without a poll: under a
//  stream of deliveries, one zmq_poll per message was most of the reader's
//  time (a profile of a replay showed poll and its bookkeeping above half).
//  Stops once done (when given) says the caller has what it waits for.
//  Returns how many replies were dispatched, at most max.
static size_t
s_drain_ready (cibus_t *self, size_t max, bool (*done) (cibus_t *))
{
    void *handle = zsock_resolve (self->dealer);
    size_t count = 0;
    while (count < max && !self->fatal) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        zframe_t *frame = zframe_new (zmq_msg_data (&msg), zmq_msg_size (&msg));
        zmq_msg_close (&msg);
        if (frame)
            s_dispatch (self, frame);
        count++;
        if (done && done (self))
            break;
    }
    return count;
}

//  Wait at most msec for replies and dispatch them, or dispatch those
//  already waiting (until done, if given). TIMEOUT when nothing came; the
//  fatal error when the connection is refused.
//  The wait is a poll(2) of the two sockets' descriptors (ZMQ_FD), not
//  zmq_poll, which asks each socket ZMQ_EVENTS before and after it
//  sleeps, a poll(2) and a getpid(2) each time, several a reply. It is
//  sound because a receive that finds nothing (s_drain_ready's last, and
//  s_read_monitor's) has taken every command the descriptor signalled:
//  anything that arrives after it makes the descriptor readable again.
static cibus_err_t
s_pump (cibus_t *self, int msec, bool (*done) (cibus_t *))
{
    struct pollfd items [] = {{self->dealer_fd, POLLIN, 0}, {self->monitor_fd, POLLIN, 0}};
    int64_t until = zclock_mono () + msec;
    //  The poll at the deadline is made too, with no wait: a caller that
    //  only ever asks with a timeout of 0 still has the monitor read (a
    //  reconnect renews its cursor, a refusal fails it) and its replies
    //  taken. Past it the loop ends, whatever the monitor said: a stream
    //  of its events must not keep the caller waiting beyond its timeout.
    bool last = false;
    while (!self->fatal) {
        if (s_drain_ready (self, S_DRAIN_MAX, done) > 0)
            return self->fatal ? self->fatal : CIBUS_OK;
        if (self->fatal || last)
            break;
        int64_t left = until - zclock_mono ();
        last = left <= 0;
        int rc = poll (items, self->monitor ? 2 : 1,
                       last ? 0 : left > INT_MAX ? INT_MAX : (int) left);
        if (rc < 0) {
            if (errno == EINTR && !zsys_interrupted)
                continue;
            return s_fail (self, CIBUS_ERR_CLOSED, NULL, "interrupted");
        }
        if (self->monitor && (items [1].revents & POLLIN))
            s_read_monitor (self);
    }
    return self->fatal ? self->fatal : CIBUS_ERR_TIMEOUT;
}

//  Hand one frame to the DEALER. A handshake the broker refused takes the
//  connection with it, and libzmq does not reconnect after a refusal: a
//  DEALER with no connection cannot take a message (EAGAIN), and a send
//  that blocked would wait for one that never comes. So while the socket
//  cannot take the frame the wait is for either that or the monitor's
//  verdict, never longer than the timeout. A frame it takes goes out
//  without a look at the monitor: every wait for an answer reads it
//  whenever its descriptor says it has events (s_pump), and a refusal
//  read before leaves the library failed (self->fatal).
static cibus_err_t
s_send_bytes (cibus_t *self, const void *data, size_t size)
{
    void *handle = zsock_resolve (self->dealer);
    int64_t until = zclock_mono () + self->timeout_msec;
    while (!self->fatal) {
        if (zmq_send (handle, data, size, ZMQ_DONTWAIT) >= 0)
            return CIBUS_OK;
        if (zmq_errno () != EAGAIN && zmq_errno () != EINTR)
            return s_fail (self, CIBUS_ERR_IO, NULL, "send failed: %s",
                           zmq_strerror (zmq_errno ()));
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            return s_fail_timeout (self);
        zmq_pollitem_t items [] = {{handle, 0, ZMQ_POLLOUT, 0},
                                   {NULL, self->monitor_fd, ZMQ_POLLIN, 0}};
        if (zmq_poll (items, self->monitor ? 2 : 1, (long) left) < 0 && zmq_errno () == EINTR
            && zsys_interrupted)
            return s_fail (self, CIBUS_ERR_CLOSED, NULL, "interrupted");
        s_read_monitor (self);
    }
    return self->fatal;
}

static cibus_err_t
s_send (cibus_t *self, const request_t *request)
{
    if (codec_pack_request (request, &self->buf))
        return s_fail (self, CIBUS_ERR_NOMEM, NULL, "out of memory");
    if (self->buf.size > CIBUS_MAX_FRAME)
        return s_fail (self, CIBUS_ERR_BAD_FIELD, NULL,
                       "the request is %zu bytes, over the limit of %d", self->buf.size,
                       CIBUS_MAX_FRAME);
    return s_send_bytes (self, self->buf.data, self->buf.size);
}

//  Wait for the answer to the synchronous request in self->expect.
static cibus_err_t
s_await (cibus_t *self)
{
    int64_t until = zclock_mono () + self->timeout_msec;
    cibus_err_t err = CIBUS_OK;
    while (!self->answer) {
        int64_t left = until - zclock_mono ();
        if (left <= 0) {
            err = s_fail_timeout (self);
            break;
        }
        err = s_pump (self, (int) left, s_answered);
        if (err && err != CIBUS_ERR_TIMEOUT)
            break;
        err = CIBUS_OK;
    }
    self->expect = S_NO_REPLY;
    self->expect_id = NULL;
    if (!err && self->answer->kind_case == CIBUS__REPLY__KIND_ERROR)
        err = s_error_reply (self, self->answer->error);
    return err;
}

//  Send a request and wait for its answer, of kind expect (the caller frees
//  self->answer via s_answer_done).
static cibus_err_t
s_call (cibus_t *self, const request_t *request, Cibus__Reply__KindCase expect,
        const char *expect_id)
{
    self->expect = expect;
    self->expect_id = expect_id;
    cibus_err_t err = s_send (self, request);
    if (err) {
        self->expect = S_NO_REPLY;
        self->expect_id = NULL;
        return err;
    }
    return s_await (self);
}

static void
s_answer_done (cibus_t *self)
{
    codec_reply_free (self->answer);
    self->answer = NULL;
    zframe_destroy (&self->raw_answer);
}

//  ---------------------------------------------------------------- requests

cibus_err_t
cibus_ping (cibus_t *self, char *partner, size_t partner_size, char *role, size_t role_size)
{
    Cibus__Ping ping = CIBUS__PING__INIT;
    ping.has_token = true;
    ping.token = (uint64_t) zclock_mono ();
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;
    cibus_err_t err = s_call (self, &request, CIBUS__REPLY__KIND_PONG, NULL);
    if (!err) {
        if (partner)
            snprintf (partner, partner_size, "%s", self->answer->pong->partner);
        if (role)
            snprintf (role, role_size, "%s", self->answer->pong->role);
    }
    s_answer_done (self);
    return err;
}

cibus_err_t
cibus_status (cibus_t *self, cibus_status_t *status)
{
    Cibus__Status ask = CIBUS__STATUS__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_STATUS;
    request.status = &ask;
    cibus_err_t err = s_call (self, &request, CIBUS__REPLY__KIND_STATUS, NULL);
    if (!err) {
        const Cibus__StatusReply *reply = self->answer->status;
        status->last_seq = reply->last_seq;
        status->transactions = reply->transactions;
        status->appended = reply->appended;
        status->subscriptions = reply->subscriptions;
    }
    s_answer_done (self);
    return err;
}

cibus_err_t
cibus_query (cibus_t *self, const Cibus__Query *query, Cibus__Reply **reply)
{
    *reply = NULL;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_QUERY;
    request.query = (Cibus__Query *) query;
    cibus_err_t err = s_call (self, &request, CIBUS__REPLY__KIND_RESULT, NULL);
    if (!err) {
        *reply = self->answer; //  handed over to the caller
        self->answer = NULL;
    }
    s_answer_done (self);
    return err;
}

void
cibus_reply_free (Cibus__Reply *reply)
{
    codec_reply_free (reply);
}

cibus_err_t
cibus_raw (cibus_t *self, const void *data, size_t size, void **reply, size_t *reply_size)
{
    *reply = NULL;
    *reply_size = 0;
    self->expect = S_ANY_REPLY;
    cibus_err_t err = s_send_bytes (self, data, size);
    if (!err) {
        err = s_await (self);
        if (self->raw_answer) {
            *reply_size = zframe_size (self->raw_answer);
            *reply = malloc (*reply_size ? *reply_size : 1);
            if (*reply)
                memcpy (*reply, zframe_data (self->raw_answer), *reply_size);
        }
    }
    self->expect = S_NO_REPLY;
    s_answer_done (self);
    return err;
}

//  ---------------------------------------------------------------- publish

void
cibus_new_id (char *id, size_t size)
{
    //  A random (version 4) UUID as 32 lower-case hex digits.
    zuuid_t *uuid = zuuid_new ();
    snprintf (id, size, "%s", uuid ? zuuid_str (uuid) : "");
    zuuid_destroy (&uuid);
    for (char *c = id; *c; c++)
        if (*c >= 'A' && *c <= 'F')
            *c = (char) (*c - 'A' + 'a');
}

//  Check and encode a publish into self->buf; an async one takes its ack
//  together with others (PROTOCOL.md 3.4).
//  The request of a publish of env, checked as the broker checks it, into
//  buf; the problem when the check refuses it. Touches no connection.
static cibus_err_t
s_pack (cibus_envelope_t *env, bool dry_run, bool together, codec_buf_t *buf,
        codec_problem_t *problem)
{
    if (codec_validate_envelope (env, problem))
        return problem->code;
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = env;
    publish.has_dry_run = publish.dry_run = dry_run;
    publish.has_acks_together = publish.acks_together = together;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    if (codec_pack_request (&request, buf))
        return codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "out of memory");
    if (buf->size > CIBUS_MAX_FRAME)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, NULL,
                                  "the update is %zu bytes encoded, over the limit of %d",
                                  buf->size, CIBUS_MAX_FRAME);
    return CIBUS_OK;
}

static cibus_err_t
s_pack_publish (cibus_t *self, cibus_envelope_t *env, bool together)
{
    if (!env->id) {
        cibus_new_id (self->id, sizeof self->id);
        env->id = self->id;
    }
    codec_problem_t problem;
    if (s_pack (env, self->dry_run, together, &self->buf, &problem))
        return s_fail (self, problem.code, *problem.field ? problem.field : NULL, "%s",
                       problem.message);
    return CIBUS_OK;
}

uint8_t *
cibus_publish_prepare (cibus_envelope_t *env, bool dry_run, size_t *size,
                       codec_problem_t *problem)
{
    codec_buf_t buf = {0};
    if (!env->id) {
        codec_problem_set (problem, CIBUS_ERR_USAGE, NULL, "a prepared publish needs its id");
        return NULL;
    }
    if (s_pack (env, dry_run, true, &buf, problem)) {
        codec_buf_release (&buf);
        return NULL;
    }
    *size = buf.size;
    return buf.data; //  the buffer's own bytes, now the caller's
}

cibus_err_t
cibus_publish (cibus_t *self, cibus_envelope_t *env, cibus_ack_t *ack)
{
    cibus_err_t err = s_pack_publish (self, env, false);
    if (err)
        return err;
    self->expect = CIBUS__REPLY__KIND_ACK;
    self->expect_id = env->id;
    err = s_send_bytes (self, self->buf.data, self->buf.size);
    if (!err)
        err = s_await (self);
    else
        self->expect = S_NO_REPLY, self->expect_id = NULL;
    if (!err && ack) {
        snprintf (ack->id, sizeof ack->id, "%s", env->id);
        ack->seq = self->answer->ack->seq;
        ack->duplicate = self->answer->ack->duplicate;
        ack->version = self->answer->ack->version;
        ack->dry_run = self->answer->ack->dry_run;
    }
    s_answer_done (self);
    return err;
}

void
cibus_set_ack_handler (cibus_t *self, cibus_ack_fn *handler, void *arg)
{
    self->handler = handler;
    self->handler_arg = arg;
}

void
cibus_set_dry_run (cibus_t *self, bool dry_run)
{
    assert (self);
    self->dry_run = dry_run;
}

void
cibus_set_window (cibus_t *self, size_t window)
{
    self->window = window ? window : 1;
}

size_t
cibus_in_flight (cibus_t *self)
{
    return self->in_flight;
}

//  Wait until at most `limit` publishes are in flight; the deadline restarts
//  whenever an answer arrives, so a long flush of a healthy broker never
//  times out.
cibus_err_t
cibus_drain (cibus_t *self, size_t limit)
{
    int64_t until = zclock_mono () + self->timeout_msec;
    while (self->in_flight > limit) {
        size_t before = self->in_flight;
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            return s_fail_timeout (self);
        cibus_err_t err = s_pump (self, (int) left, NULL);
        if (err && err != CIBUS_ERR_TIMEOUT)
            return err;
        if (self->in_flight < before)
            until = zclock_mono () + self->timeout_msec;
    }
    return CIBUS_OK;
}

//  Note an async publish of id sent.
static void
s_async_sent (cibus_t *self, const char *id)
{
    //  An id not in flight, as nearly every one is, in one step.
    if (zhashx_insert (self->async_ids, id, (void *) (uintptr_t) 1) != 0) {
        uintptr_t count = (uintptr_t) zhashx_lookup (self->async_ids, id);
        zhashx_update (self->async_ids, id, (void *) (count + 1));
    }
    self->in_flight++;
}

cibus_err_t
cibus_publish_async (cibus_t *self, cibus_envelope_t *env)
{
    cibus_err_t err = cibus_drain (self, self->window - 1);
    if (err)
        return err;
    char id [33];
    if (!env->id) {
        cibus_new_id (id, sizeof id);
        env->id = id;
    }
    err = s_pack_publish (self, env, true);
    if (err == CIBUS_OK)
        err = s_send_bytes (self, self->buf.data, self->buf.size);
    if (err == CIBUS_OK)
        s_async_sent (self, env->id);
    if (env->id == id)
        env->id = NULL;
    return err;
}

cibus_err_t
cibus_publish_prepared_async (cibus_t *self, const char *id, const void *bytes, size_t size)
{
    cibus_err_t err = cibus_drain (self, self->window - 1);
    if (err == CIBUS_OK)
        err = s_send_bytes (self, bytes, size);
    if (err == CIBUS_OK)
        s_async_sent (self, id);
    return err;
}

cibus_err_t
cibus_failure (cibus_t *self)
{
    return self->fatal;
}

cibus_err_t
cibus_flush (cibus_t *self)
{
    return cibus_drain (self, 0);
}

//  ---------------------------------------------------------------- read

cibus_err_t
cibus_subscribe (cibus_t *self, const char *const *prefixes, size_t count, uint64_t from_seq,
                 uint32_t credit, uint64_t *next_seq)
{
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = count;
    subscribe.prefixes = (char **) prefixes;
    subscribe.has_from_seq = true;
    subscribe.from_seq = from_seq;
    subscribe.has_credit = credit > 0;
    subscribe.credit = credit;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    cibus_err_t err = s_call (self, &request, CIBUS__REPLY__KIND_SUBSCRIBED, NULL);
    if (!err) {
        self->credit_window = credit ? credit : CIBUS_CREDIT_DEFAULT;
        if (self->credit_window > CIBUS_CREDIT_MAX)
            self->credit_window = CIBUS_CREDIT_MAX;
        self->consumed = 0;
        self->next_seq = self->answer->subscribed->next_seq;
        s_forget_prefixes (self);
        self->prefixes = count ? calloc (count, sizeof (char *)) : NULL;
        for (size_t i = 0; self->prefixes && i < count; i++)
            if ((self->prefixes [i] = strdup (prefixes [i])))
                self->prefix_count++;
        self->subscribed = self->prefix_count == count;
        if (next_seq)
            *next_seq = self->next_seq;
    }
    s_answer_done (self);
    return err;
}


//  Give back the credit of what was consumed, once half the window is used
//  (so the broker never waits on us while we still have entries to read),
//  and, once a Heartbeat asked for it, as soon as everything received was
//  consumed (idle).
static cibus_err_t
s_grant_credit (cibus_t *self, bool idle)
{
    //  The broker also bounds the bytes it has sent and not been paid back
    //  for; with large entries that bound can be reached before half the
    //  window is, and it then sends a Heartbeat: holding the credit would
    //  leave both sides waiting for each other.
    if (self->hold_credit || self->consumed == 0
        || (!idle && self->consumed < (self->credit_window + 1) / 2))
        return CIBUS_OK;
    //  Between a disconnect and the renewed cursor there is no cursor to
    //  credit: the renewal (s_resubscribe) grants a whole window.
    if (self->ever_handshaken && !self->handshaken)
        return CIBUS_OK;
    Cibus__Credit credit = CIBUS__CREDIT__INIT;
    credit.has_credit = true;
    credit.credit = self->consumed;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_CREDIT;
    request.credit = &credit;
    self->consumed = 0;
    self->owe_credit = false;
    return s_send (self, &request);
}

cibus_err_t
cibus_hold_credit (cibus_t *self, bool hold)
{
    self->hold_credit = hold;
    return s_grant_credit (self, true);
}

cibus_err_t
cibus_next (cibus_t *self, int timeout_msec, cibus_envelope_t **env)
{
    *env = NULL;
    int64_t until = zclock_mono () + (timeout_msec < 0 ? self->timeout_msec : timeout_msec);
    while (zlistx_size (self->deliveries) == 0) {
        cibus_err_t granted = s_grant_credit (self, self->owe_credit);
        if (granted)
            return granted;
        int64_t left = until - zclock_mono ();
        if (left < 0)
            left = 0;
        cibus_err_t err = s_pump (self, (int) left, s_delivered);
        if (err == CIBUS_ERR_TIMEOUT && zlistx_size (self->deliveries) == 0)
            return s_fail (self, CIBUS_ERR_TIMEOUT, NULL, "nothing new within %lld ms",
                           (long long) (timeout_msec < 0 ? self->timeout_msec : timeout_msec));
        if (err && err != CIBUS_ERR_TIMEOUT)
            return err;
    }
    *env = zlistx_detach (self->deliveries, NULL);
    self->consumed++;
    return s_grant_credit (self, false);
}

void
cibus_envelope_free (cibus_envelope_t *env)
{
    codec_envelope_free (env);
}

//  ---------------------------------------------------------------- tables

//  A cell being put together: the wire's cell, and the storage its
//  categories point into.
typedef struct {
    Cibus__DataCell cell;
    Cibus__Dimension *dims;       /* the categories, owned */
    Cibus__Dimension **dim_ptrs;  /* into dims, owned */
    char *text;                   /* the categories' strings, split in place, owned */
    bool loaded;                  /* read from JSON: an added cell of its categories replaces it */
} s_cell_t;

//  The table's own fields, by their names in the JSON form.
typedef enum {
    S_FIELD_INDICATOR,
    S_FIELD_PERIOD,
    S_FIELD_UNIT,
    S_FIELD_FOR,
    S_FIELD_STATUS,
    S_FIELD_SOURCE,
    S_FIELD_EXTRACTED_ON,
    S_FIELD__COUNT
} s_field_t;

static const char *const s_field_names [S_FIELD__COUNT] = {
    "indicator", "period", "unit", "for", "status", "source", "extracted_on"};

struct cibus_table_t {
    Cibus__DataSubmission data;
    char *fields [S_FIELD__COUNT]; /* owned copies */
    Cibus__ValueStatus status;
    s_cell_t total;
    bool has_total;
    s_cell_t **cells;              /* owned, in the order given */
    size_t count;
    Cibus__DataCell **cell_ptrs;   /* what data.cells points to, owned */
    char error [512];
};

#define S_VALUE_EXAMPLES "like 52/160, 310.5@12, * or */4"

static cibus_err_t
s_table_fail (cibus_table_t *self, cibus_err_t err, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static cibus_err_t
s_table_fail (cibus_table_t *self, cibus_err_t err, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    return err;
}

static void
s_cell_release (s_cell_t *cell)
{
    free (cell->dims);
    free (cell->dim_ptrs);
    free (cell->text);
    memset (cell, 0, sizeof *cell);
}

cibus_table_t *
cibus_table_new (void)
{
    cibus_table_t *self = calloc (1, sizeof *self);
    if (self)
        cibus__data_submission__init (&self->data);
    return self;
}

void
cibus_table_destroy (cibus_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cibus_table_t *self = *self_p;
    for (size_t i = 0; i < S_FIELD__COUNT; i++)
        free (self->fields [i]);
    s_cell_release (&self->total);
    for (size_t i = 0; i < self->count; i++) {
        s_cell_release (self->cells [i]);
        free (self->cells [i]);
    }
    free (self->cells);
    free (self->cell_ptrs);
    free (self);
    *self_p = NULL;
}

const char *
cibus_table_error (cibus_table_t *self)
{
    return self->error;
}

//  A whole number of people: digits only, that fit in 64 bits.
static bool
s_count (const char *text, uint64_t *value)
{
    if (!*text)
        return false;
    for (const char *c = text; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    errno = 0;
    unsigned long long parsed = strtoull (text, NULL, 10);
    if (errno)
        return false;
    *value = parsed;
    return true;
}

//  A number as strtod reads it, the whole text and nothing else. Whether
//  it is finite is the codec's to say, in the broker's words.
static bool
s_number (const char *text, double *value)
{
    if (!*text || isspace ((unsigned char) *text))
        return false;
    char *end;
    *value = strtod (text, &end);
    return *end == 0;
}

//  Read a value (NUM/DEN, VALUE@N, *, *@N, or * with /SIZE) into cell's counts.
static cibus_err_t
s_parse_value (cibus_table_t *self, const char *text, Cibus__DataCell *cell)
{
    char copy [64];
    if (strlen (text) >= sizeof copy)
        return s_table_fail (self, CIBUS_ERR_USAGE, "'%.32s...' is not a value " S_VALUE_EXAMPLES,
                             text);
    snprintf (copy, sizeof copy, "%s", text);
    Cibus__DataCell parsed = CIBUS__DATA_CELL__INIT;
    char *slash = strchr (copy, '/'), *at = strchr (copy, '@');
    bool ok = false;
    if (slash && at)
        ok = false; //  one size, not two
    else if (copy [0] == '*') {
        parsed.has_suppressed = parsed.suppressed = true;
        if (copy [1] == 0)
            ok = true;
        else if (copy [1] == '/')
            ok = (parsed.has_denominator = s_count (copy + 2, &parsed.denominator));
        else if (copy [1] == '@')
            ok = (parsed.has_n = s_count (copy + 2, &parsed.n));
    }
    else if (slash) {
        *slash = 0;
        ok = s_count (copy, &parsed.numerator) && s_count (slash + 1, &parsed.denominator);
        parsed.has_numerator = parsed.has_denominator = ok;
    }
    else if (at) {
        *at = 0;
        ok = s_number (copy, &parsed.value) && s_count (at + 1, &parsed.n);
        parsed.has_value = parsed.has_n = ok;
    }
    else if (s_number (copy, &parsed.value))
        return s_table_fail (self, CIBUS_ERR_USAGE,
                             "'%s' has no size: write %s@N for a count, score or currency "
                             "about N people, or NUM/DEN for a percent or rate",
                             text, text);
    if (!ok)
        return s_table_fail (self, CIBUS_ERR_USAGE, "'%s' is not a value " S_VALUE_EXAMPLES,
                             text);
    //  Only the counts: the cell's categories stay as they are.
    parsed.n_dimensions = cell->n_dimensions;
    parsed.dimensions = cell->dimensions;
    *cell = parsed;
    return CIBUS_OK;
}

//  Read a cell's categories (race=black, race=hispanic,income=low) into
//  cell, which owns them from then on.
static cibus_err_t
s_parse_categories (cibus_table_t *self, const char *text, s_cell_t *cell)
{
    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += *c == ',';
    cell->text = strdup (text);
    cell->dims = calloc (count, sizeof *cell->dims);
    cell->dim_ptrs = calloc (count, sizeof *cell->dim_ptrs);
    if (!cell->text || !cell->dims || !cell->dim_ptrs)
        return s_table_fail (self, CIBUS_ERR_NOMEM, "out of memory");
    char *item = cell->text;
    for (size_t i = 0; i < count; i++) {
        char *comma = strchr (item, ',');
        if (comma)
            *comma = 0;
        char *equals = strchr (item, '=');
        if (!equals || equals == item || equals [1] == 0)
            return s_table_fail (self, CIBUS_ERR_USAGE,
                                 "'%s' is not a cell like race=black or "
                                 "race=hispanic,income=low",
                                 text);
        *equals = 0;
        cibus__dimension__init (&cell->dims [i]);
        cell->dims [i].key = item;
        cell->dims [i].value = equals + 1;
        cell->dim_ptrs [i] = &cell->dims [i];
        item = comma ? comma + 1 : item;
    }
    cell->cell.n_dimensions = count;
    cell->cell.dimensions = cell->dim_ptrs;
    return CIBUS_OK;
}

//  Whether two cells name the same categories, in whatever order.
static bool
s_same_cell (const Cibus__DataCell *a, const Cibus__DataCell *b)
{
    if (a->n_dimensions != b->n_dimensions)
        return false;
    for (size_t i = 0; i < a->n_dimensions; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n_dimensions && !found; j++)
            found = strcmp (a->dimensions [i]->key, b->dimensions [j]->key) == 0
                    && strcmp (a->dimensions [i]->value, b->dimensions [j]->value) == 0;
        if (!found)
            return false;
    }
    return true;
}

cibus_err_t
cibus_table_set (cibus_table_t *self, const char *field, const char *value)
{
    size_t index = 0;
    while (index < S_FIELD__COUNT && strcmp (s_field_names [index], field) != 0)
        index++;
    if (index == S_FIELD__COUNT)
        return s_table_fail (self, CIBUS_ERR_USAGE,
                             "'%.64s' is not a field of a table: it has indicator, period, "
                             "unit, for, total, cells, status, source and extracted_on",
                             field);
    if (index == S_FIELD_STATUS && value && !codec_value_status_parse (value, &self->status))
        return s_table_fail (self, CIBUS_ERR_USAGE,
                             "status must be final, provisional or estimated, got '%.64s'",
                             value);
    char *copy = value ? strdup (value) : NULL;
    if (value && !copy)
        return s_table_fail (self, CIBUS_ERR_NOMEM, "out of memory");
    free (self->fields [index]);
    self->fields [index] = copy;
    return CIBUS_OK;
}

cibus_err_t
cibus_table_set_total (cibus_table_t *self, const char *value)
{
    cibus_err_t err = s_parse_value (self, value, &self->total.cell);
    if (err == CIBUS_OK)
        self->has_total = true;
    return err;
}

//  Add a cell. loaded: it was read from JSON (where a cell given twice is
//  refused); an added one replaces the cell of the same categories read
//  from JSON, and refuses one added before.
static cibus_err_t
s_add_cell (cibus_table_t *self, const char *text, const char *value, bool loaded)
{
    s_cell_t *cell = calloc (1, sizeof *cell);
    if (!cell)
        return s_table_fail (self, CIBUS_ERR_NOMEM, "out of memory");
    cibus__data_cell__init (&cell->cell);
    cibus_err_t err = s_parse_categories (self, text, cell);
    if (err == CIBUS_OK)
        err = s_parse_value (self, value, &cell->cell);
    size_t same = 0;
    while (err == CIBUS_OK && same < self->count
           && !s_same_cell (&self->cells [same]->cell, &cell->cell))
        same++;
    bool replace = err == CIBUS_OK && same < self->count;
    if (replace && (loaded || !self->cells [same]->loaded))
        err = s_table_fail (self, CIBUS_ERR_USAGE, "cell '%s' is given twice", text);
    if (err == CIBUS_OK && !replace) {
        s_cell_t **grown = realloc (self->cells, (self->count + 1) * sizeof *grown);
        if (grown)
            self->cells = grown;
        else
            err = s_table_fail (self, CIBUS_ERR_NOMEM, "out of memory");
    }
    if (err) {
        s_cell_release (cell);
        free (cell);
        return err;
    }
    cell->loaded = loaded;
    if (replace) {
        s_cell_release (self->cells [same]);
        free (self->cells [same]);
        self->cells [same] = cell;
    }
    else
        self->cells [self->count++] = cell;
    return CIBUS_OK;
}

cibus_err_t
cibus_table_add_cell (cibus_table_t *self, const char *cell, const char *value)
{
    return s_add_cell (self, cell, value, false);
}

//  The cells of the JSON form: an object of cell and value.
static cibus_err_t
s_load_cells (cibus_table_t *self, json_t *cells)
{
    if (!json_is_object (cells))
        return s_table_fail (self, CIBUS_ERR_USAGE,
                             "\"cells\" must be an object of cell and value, like "
                             "{\"race=black\": \"52/160\"}");
    const char *name;
    json_t *value;
    json_object_foreach (cells, name, value) {
        if (!json_is_string (value))
            return s_table_fail (self, CIBUS_ERR_USAGE,
                                 "cell \"%.128s\" must have its value as a string "
                                 S_VALUE_EXAMPLES,
                                 name);
        //  A value that does not read is named with its cell; a cell that
        //  does not, or one given twice, names itself.
        Cibus__DataCell scratch = CIBUS__DATA_CELL__INIT;
        if (s_parse_value (self, json_string_value (value), &scratch)) {
            char reason [sizeof self->error];
            snprintf (reason, sizeof reason, "%s", self->error);
            return s_table_fail (self, CIBUS_ERR_USAGE, "cell \"%.128s\": %s", name, reason);
        }
        cibus_err_t err = s_add_cell (self, name, json_string_value (value), true);
        if (err)
            return err;
    }
    return CIBUS_OK;
}

cibus_err_t
cibus_table_load_json (cibus_table_t *self, const char *text)
{
    json_error_t error;
    json_t *root = json_loads (text, JSON_REJECT_DUPLICATES, &error);
    if (!root)
        return s_table_fail (self, CIBUS_ERR_USAGE, "not JSON: line %d, column %d: %s",
                             error.line, error.column, error.text);
    cibus_err_t err = CIBUS_OK;
    if (!json_is_object (root))
        err = s_table_fail (self, CIBUS_ERR_USAGE,
                            "a table is one JSON object, like {\"indicator\": \"k3\", "
                            "\"period\": \"2026-Q3\", \"total\": \"168/410\", \"cells\": "
                            "{\"race=black\": \"52/160\"}}");
    const char *name;
    json_t *value;
    if (err == CIBUS_OK)
        json_object_foreach (root, name, value) {
            if (strcmp (name, "cells") == 0)
                err = s_load_cells (self, value);
            else if (!json_is_string (value))
                err = s_table_fail (self, CIBUS_ERR_USAGE, "\"%.64s\" must be a string", name);
            else if (strcmp (name, "total") == 0) {
                err = cibus_table_set_total (self, json_string_value (value));
                if (err == CIBUS_ERR_USAGE) {
                    char reason [sizeof self->error];
                    snprintf (reason, sizeof reason, "%s", self->error);
                    s_table_fail (self, err, "\"total\": %s", reason);
                }
            }
            else
                err = cibus_table_set (self, name, json_string_value (value));
            if (err)
                break;
        }
    json_decref (root);
    return err;
}

cibus_err_t
cibus_table_envelope (cibus_table_t *self, cibus_envelope_t *env)
{
    Cibus__DataCell **pointers = realloc (self->cell_ptrs,
                                          (self->count ? self->count : 1) * sizeof *pointers);
    if (!pointers)
        return s_table_fail (self, CIBUS_ERR_NOMEM, "out of memory");
    self->cell_ptrs = pointers;
    for (size_t i = 0; i < self->count; i++)
        pointers [i] = &self->cells [i]->cell;
    Cibus__DataSubmission *data = &self->data;
    cibus__data_submission__init (data);
    data->indicator = self->fields [S_FIELD_INDICATOR];
    data->period = self->fields [S_FIELD_PERIOD];
    data->unit = self->fields [S_FIELD_UNIT];
    data->owner = self->fields [S_FIELD_FOR];
    data->source = self->fields [S_FIELD_SOURCE];
    data->extracted_on = self->fields [S_FIELD_EXTRACTED_ON];
    data->has_status = self->fields [S_FIELD_STATUS] != NULL;
    data->status = self->status;
    data->total = self->has_total ? &self->total.cell : NULL;
    data->n_cells = self->count;
    data->cells = pointers;
    env->body_case = CIBUS__ENVELOPE__BODY_DATA;
    env->data = data;
    return CIBUS_OK;
}
