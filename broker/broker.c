/*  broker.c - the reactor of cibusd.

    Design
    ------
    One thread, one ROUTER socket, one poll loop. Each turn of the loop:

      1. reloads the partner registry if another process changed it;
      2. answers the CURVE handshakes waiting on the ZAP socket;
      3. drains the requests waiting on the ROUTER, for at most S_TURN_MSEC:
         publishes are validated and queued in the batch, everything else
         is answered at once;
      4. hands the batch to the writer thread (writer.c), which appends it
         and commits it in one transaction while the reactor goes on
         taking, decoding and checking the next; when the commit returns,
         the writer takes the next batch itself if the reactor has taken
         one (s_writer_go_on), else the reactor hands it over, and the
         reactor sends the acks of the one committed (group commit:
         whatever arrived while the previous commit was being written is
         in this batch, so throughput grows with load); a lone publish,
         with nothing else waiting and the writer idle, the reactor
         appends and commits itself (s_write_alone), sparing its ack the
         two hand-offs;
      5. takes the monitor's news of connections (conns.c): a cursor whose
         connection closed ends, strangers past the handshake cap go;
      6. moves the cursors forward, in rotating order, within one budget of
         log rows, each at most S_STEP_BYTES and none whose connection has
         not read what it was sent;
      7. stops if the process grew past --max-memory.

    The store is the writer's while it holds a batch: the reactor waits
    for the writer (s_writer_finish) before anything else reads or writes
    the store - a query, a status, a subscription's first step, a cursor
    that reads the log, the registry's reload, a handshake's look at the
    registry (s_auth_guard) - and its own view of the log's end
    (last_seq) moves only when it acks a finished batch. What the two
    threads share besides is under the mutex `hand`: the batch being
    taken, the batch finished by a writer that went on, the spare.

    Invariants: an Ack is sent only after the COMMIT of its entry returned;
    a subscriber receives entries in seq order, each once, never more than
    its credit; live and catch-up delivery are the same code (a cursor
    reading the log), so there is no seam between replay and live; a
    subscription serves only the key and the connection that made it; what
    one client costs is bounded in bytes and in time (PROTOCOL.md 1.5).  */

//  ZMQ_ZERO_COPY_RECV (s_copy_received) is in libzmq's draft API, which
//  Debian's libzmq 4.3 is built with.
#define ZMQ_BUILD_DRAFT_API

#include "broker.h"
#include "broker_internal.h"

#include "auth.h"
#include "codec.h"
#include "conns.h"
#include "datadir.h"
#include "disclosure.h"
#include "log.h"
#include "measure.h"
#include "query.h"
#include "resident.h"
#include "ring.h"
#include "text.h"
#include "writer.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

//  The longest the loop sleeps when idle; bounds how late a registry change
//  made by another process is noticed for connected subscribers.
#define S_IDLE_POLL_MSEC 500
//  Acks and deliveries queued for one client before sends fail with EAGAIN.
//  Deliveries are bounded by credit, acks by the publisher's own window.
#define S_SEND_HWM (CIBUS_CREDIT_MAX + 3 * CIBUS_BATCH_MAX)
//  How long close waits to flush the last acks to their clients.
#define S_LINGER_MSEC 2000
#define S_ROUTING_MAX 256
//  The ring of recent entries that live delivery reads instead of the disk:
//  enough to cover a few group commits of lag; entries over 64 KiB (long
//  meeting notes) are read from the store.
#define S_RING_ENTRIES   1024
#define S_RING_MAX_ENTRY (64 * 1024)
//  Log rows all cursors together may read in one turn of the loop, so that
//  cursors scanning a long log never hold up acks, handshakes and replies.
#define S_TURN_ROWS (4 * CIBUS_SCAN_MAX)
//  How long one turn may spend taking requests before it commits, answers
//  handshakes and delivers.
#define S_TURN_MSEC 20
//  How soon a cursor waiting for its reader's kernel buffer to drain is
//  tried again; libzmq cannot tell when one peer's connection has room.
#define S_WAIT_POLL_MSEC 2
//  Bytes one cursor step sends at most, whatever the credit says.
#define S_STEP_BYTES CIBUS_MAX_FRAME
//  Bytes a subscription's first step sends at most; each step after it may
//  send twice the one before, up to S_STEP_BYTES. A subscriber starting in
//  a backlog then has its first entries after one small frame to decrypt
//  and decode, not a full one, and is at full frames from its tenth step on.
//  Its third to ninth frames each wait for the loop's next poll (the
//  first two go out in the turn that handles the Subscribe), which waits
//  up to S_WAIT_POLL_MSEC when nothing else is to be done: on two busy
//  cores, the reactor filling the window at once kept the I/O thread,
//  which encrypts and sends `Subscribed` and the first frames, off the CPU
//  for milliseconds. 2 KiB is some eight entries of a usual size: each row
//  of a step is read with its masked copy, and on a log of ten million
//  entries from deeper trees, so that a first step of 8 KiB made the first
//  entry 40 us later there than on a short log (docs/PERFORMANCE.md, s9).
#define S_STEP_FIRST (2 * 1024)
//  Subscriptions one key may hold at once (a sync client, a tail, a
//  dashboard or two): each costs the broker up to a few megabytes.
#define S_SUBS_PER_KEY 16

//  A publish waiting in the current batch.
typedef struct {
    zframe_t *routing;                /* who to ack */
    int fd;                           /* the connection it came on; -1 when unknown */
    request_t *request;               /* owned; request->publish->envelope is the entry */
    char partner [129];               /* stamped into the entry */
    const store_partner_t *publisher; /* the registry's record; valid for this turn */
    uint64_t seq;
    bool duplicate;
    uint32_t version; /* a data table's version; 0 for other entries and duplicates */
    bool refused; /* the catalogue or the commitments said no */
    size_t size;  /* bytes of the entry as stored */
    size_t quoted; /* bytes counted against the publisher's total while queued */
    size_t bytes;  /* the entry's envelope as the client sent it, encoded */
    codec_problem_t problem;
    //  What the writer's append gave back, for the reactor to act on once
    //  the commit returned: the time the table's decision took, a version
    //  it superseded, and where its copies are in the batch's bytes.
    uint64_t cost_usec;
    uint64_t superseded;
    char owner [CIBUS_MAX_NAME + 1];
    size_t whole_at, masked_at, masked_size;
    bool kept; /* the copies are in the batch's bytes (not for an entry too large for the ring) */
} s_pending_t;

//  A batch of publishes and what its commit said. Four take turns: the
//  reactor takes one (taking), the writer appends and commits one
//  (writing), and the reactor acks the one the writer finished (done, or
//  finished when the writer went on by itself, see s_writer_go_on) while
//  the writer already appends the next; the fourth is spare.
typedef struct {
    s_pending_t *items; /* CIBUS_BATCH_MAX of them */
    size_t size;
    uint8_t *bytes; /* the copies of the entries appended (s_batch_keep) */
    size_t used, cap;
    cibus_err_t err; /* the commit's */
    bool full;       /* it failed for a full disk */
    size_t appended; /* entries new to the log */
    uint64_t last_seq; /* the log's end after it */
    bool degraded;     /* the store was opened without shared memory */
} s_batch_t;

//  A subscription: one per connection, a cursor into the log. It belongs
//  to the key that made it and to the connection it came on: a request
//  under the same routing id from another key or another connection ends
//  it, and so does the connection's close (see s_conn_gone).
typedef struct {
    uint8_t routing [S_ROUTING_MAX];
    size_t routing_size;
    char key [STORE_KEY_LEN + 1]; /* the subscriber's public key */
    int fd;                       /* the connection's descriptor; -1 when unknown */
    char **prefixes;
    size_t prefix_count;
    uint64_t next_seq; /* the next entry this cursor looks at */
    uint32_t credit;   /* entries it may still be sent */
    bool dead;         /* the peer is gone: remove after this turn */
    int64_t last_sent; /* monotonic msec of the last delivery or heartbeat */
    //  Bytes in flight: the sizes of the entries delivered and not yet paid
    //  back by a Credit, oldest first, in a ring that grows as needed.
    uint32_t *sizes;
    size_t sizes_cap, sizes_head, sizes_count;
    uint64_t inflight; /* their sum */
    bool asked;        /* sent a Heartbeat to ask for credit since the last Credit */
    bool sparse;       /* few rows are for it: read topics first, envelopes after */
    uint32_t step_bytes; /* what its next step may send: S_STEP_FIRST, doubling */
} s_sub_t;

//  One entry of a Deliver being built: where its bytes are in frame_bytes.
typedef struct {
    size_t at, size;
} s_frame_entry_t;

struct broker_t {
    char *data_dir;
    int lock_fd;
    store_t *store;
    auth_t *auth;
    zcert_t *cert;
    zsock_t *router;
    conns_t *conns; /* the router's connections, from its monitor */
    char *endpoint;
    zhashx_t *subs; /* routing id (hex) -> s_sub_t */
    ring_t *ring;   /* the last committed entries, encoded */
    //  The batches (s_batch_t); writing is the writer's while writer_busy.
    //  While it is, the writer may also take the batch taken so far for
    //  itself when a commit returns (s_writer_go_on): hand guards taking
    //  (the pointer and what is added to it), finished, spare and hold.
    writer_t *writer;
    s_batch_t batches [4];
    s_batch_t *taking, *writing, *done;
    pthread_mutex_t hand;
    s_batch_t *finished; /* committed by a writer that went on; the reactor acks it */
    s_batch_t *spare;    /* the batch that becomes taking when the writer goes on */
    bool hold;           /* the reactor wants the writer to stop after its commit */
    int finished_fd;     /* eventfd: readable once finished is set */
    uint64_t last_seq;      /* the log's end as the reactor may serve it */
    int64_t refreshed;      /* monotonic msec of the registry's last reload check */
    store_appended_t appended_entry; /* the entry being appended, encoded */
    codec_buf_t reply_buf;      /* encoded reply being sent */
    //  The acks gathered for one connection's publishes that take them
    //  together (s_acks_add): CIBUS_BATCH_MAX of each.
    Cibus__Ack *acks;
    Cibus__Ack **ack_list;
    s_pending_t **answer_order; /* a batch's publishes, each connection's together */
    size_t ack_count;
    zframe_t *ack_routing; /* whose they are: a pending's, valid until it is cleared */
    int ack_fd;            /* and the connection they go to */
    //  The entries of the Deliver a cursor step is building (s_frame_add).
    uint8_t *frame_bytes;
    size_t frame_used, frame_bytes_cap;
    s_frame_entry_t *frame_entries;
    size_t frame_count, frame_cap;
    uint64_t transactions;      /* commits since start */
    uint64_t appended;          /* entries appended since start */
    int heartbeat_msec;
    uint64_t max_inflight;  /* bytes a subscriber may have unpaid */
    uint64_t quota_rate;    /* bytes a second a partner may publish; 0: no limit */
    uint64_t quota_total;   /* bytes a partner may have stored; 0: no limit */
    zhashx_t *quotas;       /* partner name -> s_quota_t */
    log_limit_t *limit;     /* lines of events a client can repeat at will */
    uint64_t max_memory;    /* resident bytes at which the broker stops; 0: none */
    int64_t memory_checked; /* monotonic msec of the last look at it */
    int64_t recover_at;     /* when a degraded store is next reopened as usual */
    bool waiting;           /* a cursor waits for its reader to catch up: poll soon */
    bool owed;              /* the last turn left deliveries to send */
    size_t last_batch;      /* publishes in the last batch committed */
    s_sub_t **turn;         /* the cursors of this turn, in rotating order */
    size_t turn_cap;
    size_t turn_rotate;
};

static void s_writer_finish (broker_t *self);

//  The store, for the reactor: once the writer's batch in flight, if any,
//  is committed and acked. Every use of the store outside the writer's job
//  goes through here.
static store_t *
s_store (broker_t *self)
{
    s_writer_finish (self);
    return self->store;
}

//  ---------------------------------------------------------------- replies

//  Send one encoded reply to a client. Returns 0, or the errno of a send
//  that failed: EHOSTUNREACH when the client is gone, EAGAIN when its queue
//  is full.
static int
s_send (broker_t *self, const void *routing, size_t routing_size, const reply_t *reply)
{
    if (codec_pack_reply (reply, &self->reply_buf))
        return ENOMEM;
    void *handle = zsock_resolve (self->router);
    if (zmq_send (handle, routing, routing_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return zmq_errno ();
    //  The routing frame has gone out; the payload cannot fail now except by
    //  a context shutdown (ROUTER sends are atomic per message).
    if (zmq_send (handle, self->reply_buf.data, self->reply_buf.size, ZMQ_DONTWAIT) < 0)
        return zmq_errno ();
    return 0;
}

static int
s_send_to (broker_t *self, zframe_t *routing, const reply_t *reply)
{
    int rc = s_send (self, zframe_data (routing), zframe_size (routing), reply);
    if (rc)
        log_limited (self->limit, LEVEL_WARN, "reply-dropped", "event=reply-dropped reason=\"%s\"",
                     rc == EHOSTUNREACH ? "client disconnected" : zmq_strerror (rc));
    return rc;
}

//  Send a publish's answer and count its bytes against its connection, as
//  a delivery's are: an Acks holds up to a batch of acks in one message,
//  which the send queue's bound (a count of messages) does not weigh, so
//  a publisher that does not read its answers is refused more publishes
//  once they pile up (s_unread_answers).
static void
s_answer (broker_t *self, zframe_t *routing, int fd, const reply_t *reply)
{
    if (s_send_to (self, routing, reply) == 0 && self->conns)
        conns_charge_answers (self->conns, fd, self->reply_buf.size);
}

//  Whether the connection fd holds answers to its publishes it has not
//  read, more than a turn's worth: its queues are full (conns_backlogged)
//  and a MiB of acks or more went to it since they were last found
//  short. A connection full of deliveries it has yet to read (a replica
//  catching up, which also publishes) may still publish: deliveries are
//  bounded by credit and by bytes in flight, and its acks by this.
static bool
s_unread_answers (broker_t *self, int fd)
{
    return self->conns && conns_backlogged (self->conns, fd)
           && conns_answers_unread (self->conns, fd) >= CONNS_TURN_BYTES;
}

static void
s_send_error (broker_t *self, zframe_t *routing, cibus_err_t code, const char *field,
              const char *id, const char *message)
{
    Cibus__Error error = CIBUS__ERROR__INIT;
    error.code = (char *)cibus_err_name (code);
    error.field = (char *)(field && *field ? field : NULL);
    error.message = (char *)message;
    error.id = (char *)(id && *id ? id : NULL);
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_ERROR;
    reply.error = &error;
    s_send_to (self, routing, &reply);
}

static void
s_refuse (broker_t *self, zframe_t *routing, const char *who, const char *request, const char *id,
          const codec_problem_t *problem)
{
    //  Everything here may come from the client: the key or name, the id,
    //  the field and the reason (which quotes what was sent).
    log_value_t who_v, id_v, field_v, reason_v;
    log_limited (self->limit, LEVEL_WARN, "refused",
                 "event=refused partner=\"%s\" request=%s id=\"%s\" code=%s field=\"%s\" "
                 "reason=\"%s\"",
                 log_escape (&who_v, who), request, log_escape (&id_v, id && *id ? id : "-"),
                 cibus_err_name (problem->code),
                 log_escape (&field_v, *problem->field ? problem->field : "-"),
                 log_escape (&reason_v, problem->message));
    s_send_error (self, routing, problem->code, problem->field, id, problem->message);
}

//  Refuse a publish, its Error counted as its ack would have been.
static void
s_refuse_publish (broker_t *self, zframe_t *routing, int fd, const char *who, const char *id,
                  const codec_problem_t *problem)
{
    s_refuse (self, routing, who, "publish", id, problem);
    if (self->conns)
        conns_charge_answers (self->conns, fd, self->reply_buf.size);
}

//  ---------------------------------------------------------------- quotas

//  A partner's account: a token bucket of bytes for its rate, and the bytes
//  it has stored, read once from the store and counted from there.
typedef struct {
    double tokens;
    int64_t refilled; /* monotonic msec */
    uint64_t stored;
    uint64_t queued; /* bytes accepted into the batch, not yet committed */
    bool loaded;
} s_quota_t;

static void
s_quota_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  What stamping the partner's name (beyond its length), seq and receive
//  time adds to an envelope at most: three tags, three lengths or varints.
#define S_STAMP_BYTES 32

//  The bucket holds this many seconds of the rate: a partner that has been
//  quiet may send a burst (a day's data at once), not a flood.
#define S_QUOTA_BURST_SEC 10

static s_quota_t *
s_quota_of (broker_t *self, const char *partner)
{
    s_quota_t *quota = zhashx_lookup (self->quotas, partner);
    if (!quota && (quota = calloc (1, sizeof *quota))) {
        quota->tokens = (double)self->quota_rate * S_QUOTA_BURST_SEC;
        quota->refilled = zclock_mono ();
        zhashx_insert (self->quotas, partner, quota);
    }
    if (quota && !quota->loaded && self->quota_total
        && store_partner_usage (s_store (self), partner, &quota->stored) == CIBUS_OK)
        quota->loaded = true;
    return quota;
}

//  Whether a partner may publish an entry of size bytes now. The backbone
//  is exempt: it runs the initiative, and a quota on it would only stop it.
static cibus_err_t
s_within_quota (broker_t *self, const store_partner_t *partner, size_t size, size_t *quoted,
                codec_problem_t *problem)
{
    *quoted = 0;
    if (partner->role == ROLE_BACKBONE || (!self->quota_rate && !self->quota_total))
        return CIBUS_OK;
    s_quota_t *quota = s_quota_of (self, partner->name);
    if (!quota)
        return codec_problem_set (problem, CIBUS_ERR_NOMEM, NULL, "broker out of memory");
    if (self->quota_total) {
        if (!quota->loaded)
            return codec_problem_set (problem, CIBUS_ERR_STORE, NULL,
                                      "the broker could not read its store; retry with the "
                                      "same id");
        //  What waits in the batch counts: the account is updated only at
        //  the commit, and a batch holds up to a thousand entries.
        if (quota->stored + quota->queued + size > self->quota_total)
            return codec_problem_set (problem, CIBUS_ERR_QUOTA, NULL,
                                      "partner '%s' has stored %llu bytes and may store %llu "
                                      "in all: ask the backbone to raise the quota",
                                      partner->name,
                                      (unsigned long long)(quota->stored + quota->queued),
                                      (unsigned long long)self->quota_total);
    }
    if (self->quota_rate) {
        double burst = (double)self->quota_rate * S_QUOTA_BURST_SEC;
        int64_t now = zclock_mono ();
        quota->tokens += (double)(now - quota->refilled) * (double)self->quota_rate / 1000;
        quota->refilled = now;
        if (quota->tokens > burst)
            quota->tokens = burst;
        if (quota->tokens < (double)size) {
            double wait = ((double)size - quota->tokens) / (double)self->quota_rate;
            return codec_problem_set (problem, CIBUS_ERR_QUOTA, NULL,
                                      "partner '%s' is over its publish rate of %llu bytes a "
                                      "second: retry in %.0f s",
                                      partner->name, (unsigned long long)self->quota_rate,
                                      wait < 1 ? 1 : wait + 0.5);
        }
        quota->tokens -= (double)size;
    }
    if (self->quota_total) {
        quota->queued += size;
        *quoted = size;
    }
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- publish

static int64_t
s_now_usec (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  Access control for a publish. The structure was checked by the codec;
//  here: may this partner publish this kind in this network?
static cibus_err_t
s_may_publish (const store_partner_t *partner, const envelope_t *env, codec_problem_t *problem)
{
    char network [CIBUS_MAX_NETWORK + 1];
    codec_topic_network (env->topic, network, sizeof network);
    if (partner->role == ROLE_BACKBONE)
        return CIBUS_OK;
    if (env->body_case == CIBUS__ENVELOPE__BODY_INDICATOR)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "body",
                                  "only the backbone defines indicators; '%s' is %s %s",
                                  partner->name, partner->role == ROLE_INTEGRATOR ? "an" : "a",
                                  store_role_name (partner->role));
    //  Which units took up a practice is the backbone's record, as the
    //  catalogue is: a partner could otherwise tag its best schools and
    //  make any practice look like a bright spot.
    if (env->body_case == CIBUS__ENVELOPE__BODY_PRACTICE)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "body",
                                  "only the backbone records practices; '%s' is %s %s",
                                  partner->name, partner->role == ROLE_INTEGRATOR ? "an" : "a",
                                  store_role_name (partner->role));
    if (partner->role == ROLE_INTEGRATOR && env->body_case != CIBUS__ENVELOPE__BODY_DATA)
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "body",
                                  "integrator '%s' may publish data submissions only, not a %s",
                                  partner->name, codec_body_name (env));
    if (!auth_in_network (partner, network))
        return codec_problem_set (problem, CIBUS_ERR_FORBIDDEN, "topic",
                                  "partner '%s' may not publish to network '%s': it is not one "
                                  "of its networks",
                                  partner->name, network);
    return CIBUS_OK;
}

//  Deciding a table's suppression takes time that its bytes do not show
//  (a table of hundreds of cells and many versions, tenths of a second):
//  it is charged to the publisher's rate as S_BYTES_PER_USEC bytes per
//  microsecond, so that at the default rate a partner can keep the broker
//  busy for at most a tenth of each second, after a burst of one second.
#define S_BYTES_PER_USEC 10

static void
s_charge_time (broker_t *self, const store_partner_t *partner, uint64_t usec)
{
    if (!usec || !self->quota_rate || partner->role == ROLE_BACKBONE)
        return;
    //  The account was opened when the publish was taken (s_within_quota);
    //  a lookup, then, which never waits for the writer.
    s_quota_t *quota = zhashx_lookup (self->quotas, partner->name);
    if (quota)
        quota->tokens -= (double)usec * S_BYTES_PER_USEC;
}

//  A dry run: the entry is appended in a transaction of its own that is
//  rolled back at once, so every rule judges it as it would be judged now
//  (entries still waiting in the batch are not seen), and nothing is
//  stored, delivered or counted against the total quota. The time it
//  takes is charged like a publish's.
static void
s_dry_run (broker_t *self, zframe_t *routing, int fd, const store_partner_t *partner,
           envelope_t *env, size_t quoted)
{
    if (quoted) {
        s_quota_t *quota = zhashx_lookup (self->quotas, partner->name);
        if (quota)
            quota->queued -= quoted;
    }
    codec_problem_t problem;
    store_t *store = s_store (self);
    store_appended_t *out = &self->appended_entry;
    cibus_err_t err = store_batch_begin (store);
    if (err == CIBUS_OK) {
        err = store_append (store, env, partner, s_now_usec (), out, &problem);
        store_batch_abort (store);
        s_charge_time (self, partner, out->cost_usec);
    }
    if (err == CIBUS_ERR_STORE)
        codec_problem_set (&problem, err, NULL,
                           "the broker could not check this update; nothing was stored");
    if (err) {
        s_refuse_publish (self, routing, fd, partner->name, env->id, &problem);
        return;
    }
    Cibus__Ack ack = CIBUS__ACK__INIT;
    ack.id = env->id;
    ack.has_dry_run = ack.dry_run = true;
    ack.has_duplicate = true;
    ack.duplicate = out->duplicate;
    if (out->duplicate) {
        ack.has_seq = true;
        ack.seq = out->seq;
    } else if (env->body_case == CIBUS__ENVELOPE__BODY_DATA && env->data->has_version) {
        ack.has_version = true;
        ack.version = env->data->version;
    }
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_ACK;
    reply.ack = &ack;
    s_answer (self, routing, fd, &reply);
}

static void
s_handle_publish (broker_t *self, zframe_t **routing_p, request_t **request_p,
                  const store_partner_t *partner, int fd)
{
    request_t *request = *request_p;
    envelope_t *env = request->publish->envelope; //  checked by codec_validate_request
    codec_problem_t problem;
    //  Answers the client does not read stay in the broker's memory:
    //  take no more of its publishes until it has read them.
    bool unread = s_unread_answers (self, fd);
    cibus_err_t err = unread ? codec_problem_set (&problem, CIBUS_ERR_QUOTA, NULL,
                                                      "this connection has not read the "
                                                      "answers it was sent: read them before "
                                                      "publishing more")
                                 : s_may_publish (partner, env, &problem);
    //  The entry as stored is the envelope with the partner's name, a seq
    //  and a time stamped in (at most S_STAMP_BYTES more): counted as that,
    //  the total is never passed.
    size_t quoted = 0, bytes = protobuf_c_message_get_packed_size (&env->base);
    if (err == CIBUS_OK)
        err = s_within_quota (self, partner, bytes + strlen (partner->name) + S_STAMP_BYTES,
                              &quoted, &problem);
    //  A retry of an entry already stored is acked as the duplicate it is,
    //  quota or not: a publisher whose ack was lost must learn it was kept.
    uint64_t stored_seq;
    if (err == CIBUS_ERR_QUOTA && !unread
        && store_seq_of (s_store (self), partner->name, env->id, &stored_seq) == CIBUS_OK)
        err = CIBUS_OK;
    if (err) {
        s_refuse_publish (self, *routing_p, fd, partner->name, env ? env->id : NULL, &problem);
        return;
    }
    if (request->publish->has_dry_run && request->publish->dry_run) {
        s_dry_run (self, *routing_p, fd, partner, env, quoted);
        return;
    }
    pthread_mutex_lock (&self->hand);
    s_pending_t *pending = &self->taking->items [self->taking->size++];
    pending->routing = *routing_p;
    pending->fd = fd;
    pending->request = request;
    pending->publisher = partner;
    pending->refused = false;
    pending->quoted = quoted;
    pending->bytes = bytes;
    text_put (pending->partner, sizeof pending->partner, 0, partner->name);
    pthread_mutex_unlock (&self->hand);
    *routing_p = NULL;
    *request_p = NULL;
}

//  How many publishes the batch taken so far holds.
static size_t
s_taken (broker_t *self)
{
    pthread_mutex_lock (&self->hand);
    size_t size = self->taking->size;
    pthread_mutex_unlock (&self->hand);
    return size;
}

//  The bytes a batch keeps for the next one; more are freed once acked.
#define S_BATCH_BYTES_KEPT (4 * 1024 * 1024)
//  The bytes a batch has from the start: a full batch of entries of 512
//  bytes, whole and masked. A batch of larger entries grows its bytes.
#define S_BATCH_BYTES_FIRST (1024 * 1024)

//  A batch's room, made resident at start: its items and its first bytes
//  (resident.h). False when out of memory.
static bool
s_batch_init (s_batch_t *batch)
{
    batch->items = calloc (CIBUS_BATCH_MAX, sizeof *batch->items);
    batch->bytes = malloc (S_BATCH_BYTES_FIRST);
    if (!batch->items || !batch->bytes)
        return false;
    resident_touch (batch->items, CIBUS_BATCH_MAX * sizeof *batch->items);
    resident_touch (batch->bytes, S_BATCH_BYTES_FIRST);
    batch->cap = S_BATCH_BYTES_FIRST;
    return true;
}

//  Keep a copy of an entry's bytes with its batch, for the reactor to push
//  into the ring once the commit returned. False when out of memory.
static bool
s_batch_keep (s_batch_t *batch, const codec_buf_t *buf, size_t *at)
{
    if (batch->used + buf->size > batch->cap) {
        size_t cap = batch->cap ? batch->cap : S_BATCH_BYTES_FIRST;
        while (cap < batch->used + buf->size)
            cap *= 2;
        uint8_t *bytes = realloc (batch->bytes, cap);
        if (!bytes)
            return false;
        batch->bytes = bytes;
        batch->cap = cap;
    }
    memcpy (batch->bytes + batch->used, buf->data, buf->size);
    *at = batch->used;
    batch->used += buf->size;
    return true;
}

//  Append one pending publish inside the open transaction, on the writer's
//  thread. The broker, not the client, decides seq, partner and
//  received_at: whatever the client put in those fields is replaced before
//  the entry is encoded, once, for good.
static cibus_err_t
s_append (broker_t *self, s_batch_t *batch, s_pending_t *pending, int64_t now)
{
    envelope_t *env = pending->request->publish->envelope;
    store_appended_t *out = &self->appended_entry;
    cibus_err_t err = store_append (self->store, env, pending->publisher, now, out,
                                    &pending->problem);
    pending->seq = out->seq;
    pending->duplicate = out->duplicate;
    pending->version = !out->duplicate && env->body_case == CIBUS__ENVELOPE__BODY_DATA
                               && env->data->has_version
                           ? env->data->version
                           : 0;
    pending->cost_usec = out->cost_usec;
    //  A refusal by the catalogue or the commitments skips this entry only;
    //  a store failure fails the batch.
    if (err && err != CIBUS_ERR_STORE) {
        pending->refused = true;
        return CIBUS_OK;
    }
    if (err || pending->duplicate)
        return err;
    pending->size = out->whole.size;
    pending->superseded = out->superseded;
    pending->masked_size = out->masked.size;
    text_put (pending->owner, sizeof pending->owner, 0, out->masked.size ? out->owner : "");
    //  The ring takes no entry over S_RING_MAX_ENTRY: no copy for it.
    pending->kept = out->whole.size + out->masked.size <= S_RING_MAX_ENTRY;
    if (pending->kept
        && (!s_batch_keep (batch, &out->whole, &pending->whole_at)
            || (out->masked.size && !s_batch_keep (batch, &out->masked, &pending->masked_at))))
        return CIBUS_ERR_NOMEM;
    return CIBUS_OK;
}

//  Append a batch and commit it in one transaction, on the writer's
//  thread. It touches the store, the batch being written and nothing else.
static void
s_write_one (broker_t *self, s_batch_t *batch)
{
    int64_t now = s_now_usec ();
    batch->used = 0;
    batch->appended = 0;
    cibus_err_t err = store_batch_begin (self->store);
    for (size_t i = 0; err == CIBUS_OK && i < batch->size; i++) {
        s_pending_t *pending = &batch->items [i];
        err = s_append (self, batch, pending, now);
        batch->appended += err == CIBUS_OK && !pending->duplicate && !pending->refused;
    }
    if (err == CIBUS_OK)
        err = store_batch_commit (self->store);
    else
        store_batch_abort (self->store);
    batch->err = err;
    batch->full = err && store_full (self->store);
    batch->last_seq = store_last_seq (self->store);
    batch->degraded = store_degraded (self->store);
}

//  When a commit returns and the reactor has taken publishes meanwhile,
//  the writer takes them itself, at once, rather than wait for the
//  reactor to wake (on two busy cores a wake-up may wait a millisecond):
//  the batch it finished becomes finished, for the reactor to ack, and
//  the spare becomes the batch the reactor takes into. It does not when
//  the reactor holds it (it wants the store) or has not yet acked the
//  batch finished before, so that acks keep the order of the commits.
static bool
s_writer_go_on (broker_t *self)
{
    pthread_mutex_lock (&self->hand);
    bool go_on = !self->hold && !self->finished && self->spare && self->taking->size > 0;
    if (go_on) {
        self->finished = self->writing;
        self->writing = self->taking;
        self->taking = self->spare;
        self->spare = NULL;
        //  Under the lock: a reactor that sees finished reads this write
        //  back, so the descriptor is readable exactly while finished is
        //  set. It cannot fail but by overflow of the counter.
        uint64_t one = 1;
        if (write (self->finished_fd, &one, sizeof one) != sizeof one)
            assert (false);
    }
    pthread_mutex_unlock (&self->hand);
    return go_on;
}

//  The writer's job: the batch handed to it, and every batch it goes on
//  to by itself (s_writer_go_on).
static void
s_write_batch (void *arg)
{
    broker_t *self = arg;
    do
        s_write_one (self, self->writing);
    while (s_writer_go_on (self));
}

//  The writer thread's last act: deciding tables left GLPK's environment
//  in the thread.
static void
s_writer_end (void *arg)
{
    (void)arg;
    disclosure_thread_end ();
}

static void
s_batch_clear (broker_t *self, s_batch_t *batch)
{
    for (size_t i = 0; i < batch->size; i++) {
        s_pending_t *pending = &batch->items [i];
        s_quota_t *quota = pending->quoted ? zhashx_lookup (self->quotas, pending->partner) : NULL;
        if (quota)
            quota->queued -= pending->quoted;
        zframe_destroy (&pending->routing);
        codec_request_free (pending->request);
    }
    batch->size = 0;
}

//  Send the acks gathered, as one Acks reply.
static void
s_acks_flush (broker_t *self)
{
    if (!self->ack_count)
        return;
    Cibus__Acks acks = CIBUS__ACKS__INIT;
    acks.n_acks = self->ack_count;
    acks.acks = self->ack_list;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_ACKS;
    reply.acks = &acks;
    s_answer (self, self->ack_routing, self->ack_fd, &reply);
    self->ack_count = 0;
    self->ack_routing = NULL;
}

//  Answer a committed publish: with an Ack of its own, or, when it asked
//  for its ack together with others (Publish.acks_together), in the Acks
//  of the run of its connection's publishes it belongs to. The publishes
//  come to it each connection's together, in the order they were taken
//  (s_answer_order); a run ends at another connection's publish, at a
//  refusal and at the batch's end, so that a connection's answers keep
//  that order.
static void
s_acks_add (broker_t *self, const s_pending_t *pending)
{
    const Cibus__Publish *publish = pending->request->publish;
    Cibus__Ack ack = CIBUS__ACK__INIT;
    ack.id = publish->envelope->id;
    ack.has_seq = ack.has_duplicate = true;
    ack.seq = pending->seq;
    ack.duplicate = pending->duplicate;
    ack.has_version = pending->version > 0;
    ack.version = pending->version;
    if (!(publish->has_acks_together && publish->acks_together)) {
        s_acks_flush (self);
        reply_t reply = CIBUS__REPLY__INIT;
        reply.kind_case = CIBUS__REPLY__KIND_ACK;
        reply.ack = &ack;
        s_answer (self, pending->routing, pending->fd, &reply);
        return;
    }
    if (self->ack_count && !zframe_eq (self->ack_routing, pending->routing))
        s_acks_flush (self);
    //  A batch holds at most CIBUS_BATCH_MAX publishes, and the acks are
    //  sent before the next batch is answered.
    assert (self->ack_count < CIBUS_BATCH_MAX);
    self->acks [self->ack_count] = ack;
    self->ack_list [self->ack_count] = &self->acks [self->ack_count];
    self->ack_count++;
    self->ack_routing = pending->routing;
    self->ack_fd = pending->fd;
}

//  Connection first, then the order taken (the publishes' places in the
//  batch's array).
static int
s_by_connection (const void *a, const void *b)
{
    const s_pending_t *x = *(s_pending_t *const *)a, *y = *(s_pending_t *const *)b;
    size_t xs = zframe_size (x->routing), ys = zframe_size (y->routing);
    if (xs != ys)
        return xs < ys ? -1 : 1;
    int diff = memcmp (zframe_data (x->routing), zframe_data (y->routing), xs);
    return diff ? diff : x < y ? -1 : x > y;
}

//  The order a batch's publishes are answered in: each connection's
//  together, in the order they were taken, so that several publishers
//  pipelining at once each get their acks in few frames. The batch's own
//  order when it is one connection's (a pipelining publisher's, the
//  common case).
static s_pending_t **
s_answer_order (broker_t *self, s_batch_t *batch)
{
    bool one = true;
    for (size_t i = 0; i < batch->size; i++) {
        self->answer_order [i] = &batch->items [i];
        one = one && zframe_eq (batch->items [i].routing, batch->items [0].routing);
    }
    if (!one)
        qsort (self->answer_order, batch->size, sizeof *self->answer_order, s_by_connection);
    return self->answer_order;
}

//  The reactor's part of the batch the writer finished: if the commit
//  failed, nothing was stored and nobody is acked (each publisher gets an
//  error and retries with the same id, which is safe because publish is
//  idempotent); if it went through, the entries go into the ring and the
//  acks and the refusals go out.
static void
s_batch_done (broker_t *self, s_batch_t *batch)
{
    //  Deciding tables took the time it took, committed or not.
    for (size_t i = 0; i < batch->size; i++)
        s_charge_time (self, batch->items [i].publisher, batch->items [i].cost_usec);
    if (batch->err) {
        log_limited (self->limit, LEVEL_ERROR, "batch-failed",
                     "event=batch-failed entries=%zu reason=\"%s\"", batch->size,
                     batch->full ? "storage full" : cibus_strerror (batch->err));
        for (size_t i = 0; i < batch->size; i++)
            s_send_error (self, batch->items [i].routing,
                          batch->full ? CIBUS_ERR_FULL : CIBUS_ERR_STORE, NULL,
                          batch->items [i].request->publish->envelope->id,
                          batch->full ? "storage full: the broker's disk has no space left; "
                                        "nothing was stored, retry with the same id later"
                                      : "the broker could not store this update; nothing was "
                                        "stored, retry with the same id");
        s_batch_clear (self, batch);
        return;
    }
    //  A commit went through on a store opened without shared memory: there
    //  is space again, so open it as usual (other processes can then open
    //  the database too).
    if (batch->degraded)
        self->recover_at = 0;
    self->transactions++;
    self->last_batch = batch->size;
    self->appended += batch->appended;
    self->last_seq = batch->last_seq;
    for (size_t i = 0; i < batch->size; i++) {
        s_pending_t *pending = &batch->items [i];
        if (pending->duplicate || pending->refused)
            continue;
        s_quota_t *quota = zhashx_lookup (self->quotas, pending->partner);
        if (quota)
            quota->stored += pending->size;
        //  A correction made its previous version's masked copy a marker:
        //  the ring may hold the old copy. An entry too large for the ring
        //  breaks its run: cursors past it read the store.
        if ((pending->superseded && ring_has (self->ring, pending->superseded))
            || !pending->kept) {
            ring_clear (self->ring);
            if (!pending->kept)
                continue;
        }
        store_entry_t entry = {
            .seq = pending->seq,
            .topic = pending->request->publish->envelope->topic,
            .envelope = batch->bytes + pending->whole_at,
            .size = pending->size,
            .owner = pending->masked_size ? pending->owner : NULL,
            .masked = pending->masked_size ? batch->bytes + pending->masked_at : NULL,
            .masked_size = pending->masked_size,
        };
        ring_push (self->ring, &entry);
    }
    log_debug ("event=committed entries=%zu appended=%zu last_seq=%llu", batch->size,
               batch->appended, (unsigned long long)batch->last_seq);
    //  A batch of large entries leaves no large buffer behind.
    if (batch->cap > S_BATCH_BYTES_KEPT) {
        free (batch->bytes);
        batch->bytes = NULL;
        batch->cap = 0;
    }
    s_pending_t **order = s_answer_order (self, batch);
    for (size_t i = 0; i < batch->size; i++) {
        s_pending_t *pending = order [i];
        if (pending->refused) {
            s_acks_flush (self);
            s_refuse_publish (self, pending->routing, pending->fd, pending->partner,
                              pending->request->publish->envelope->id, &pending->problem);
        }
        else
            s_acks_add (self, pending);
    }
    s_acks_flush (self);
    s_batch_clear (self, batch);
}

//  Ack the batch a writer that went on finished, if any; the spare again
//  after. Its acks go before those of any batch committed after it.
static void
s_writer_finished (broker_t *self)
{
    pthread_mutex_lock (&self->hand);
    s_batch_t *finished = self->finished;
    pthread_mutex_unlock (&self->hand);
    if (!finished)
        return;
    uint64_t count;
    //  Back to zero: poll sleeps again until the writer finishes another.
    ssize_t rc = read (self->finished_fd, &count, sizeof count);
    (void)rc;
    s_batch_done (self, finished);
    pthread_mutex_lock (&self->hand);
    self->finished = NULL;
    self->spare = finished;
    pthread_mutex_unlock (&self->hand);
}

//  Take the batch the writer finished back (waiting for its commit if it
//  is still running): it becomes the batch done, to ack, after any batch
//  it finished before it.
static void
s_writer_collect (broker_t *self)
{
    //  What finished already is acked before the wait for the commit in
    //  flight, and anything finished during the wait after it.
    s_writer_finished (self);
    writer_wait (self->writer);
    s_writer_finished (self);
    s_batch_t *finished = self->writing;
    self->writing = self->done; //  empty: acked before
    self->done = finished;
}

//  Hand the batch taken so far to the writer, which must be idle.
static void
s_writer_start (broker_t *self)
{
    if (self->taking->size == 0)
        return;
    s_batch_t *taken = self->taking;
    self->taking = self->writing;
    self->writing = taken;
    writer_start (self->writer);
}

//  Whether the writer, when a commit returns, must stop rather than go on
//  to the batch taken meanwhile (s_writer_go_on).
static void
s_writer_hold (broker_t *self, bool hold)
{
    pthread_mutex_lock (&self->hand);
    self->hold = hold;
    pthread_mutex_unlock (&self->hand);
}

//  Take back the batch the writer holds, waiting for its commit if it is
//  still running, and ack it. After this the store is the reactor's.
static void
s_writer_finish (broker_t *self)
{
    if (!writer_busy (self->writer))
        return;
    s_writer_hold (self, true);
    s_writer_collect (self);
    s_writer_hold (self, false);
    s_batch_done (self, self->done);
}

//  When the writer's commit has returned: hand it the batch taken so far
//  first, then ack the one it finished, so that it is idle only while the
//  reactor has nothing for it. When the writer is idle: hand it the batch.
static void
s_writer_next (broker_t *self)
{
    if (writer_busy (self->writer) && !writer_ended (self->writer)) {
        s_writer_finished (self);
        return;
    }
    bool finished = writer_busy (self->writer);
    if (finished)
        s_writer_collect (self);
    s_writer_start (self);
    if (finished)
        s_batch_done (self, self->done);
}

//  The most cells, and bytes, a lone publish may have to be appended on
//  the reactor's thread (s_write_alone): deciding a larger table, or
//  writing a larger entry, takes longer, and the reactor serves nobody
//  meanwhile.
#define S_ALONE_CELLS 64
#define S_ALONE_BYTES (16 * 1024)

//  A lone publish, with nothing else waiting, the writer idle and the
//  last batch lone too, is appended, committed and acked here, on the
//  reactor's thread: handing it to the writer and being woken when it
//  returns adds two thread wake-ups to its ack and its delivery. Anything
//  else waiting - a request, a handshake, a delivery owed - goes the
//  usual way, so that the reactor serves it during the commit; so does a
//  table of more than S_ALONE_CELLS cells, an entry of more than
//  S_ALONE_BYTES, a publish taken while the writer works, and one after
//  a batch of several (under load the reactor takes the next batch while
//  the writer commits). What the reactor may still wait for here, as for
//  a dry run: the earlier versions of a correction (at most
//  CIBUS_MAX_HISTORY cells in all), the fsync, and SQLite's lock while
//  another process writes the database (`cibusd partner add`; at most the
//  store's busy timeout).
static bool
s_write_alone (broker_t *self)
{
    if (writer_busy (self->writer) || s_taken (self) != 1 || self->last_batch > 1 || self->owed
        || (zsock_events (self->router) & ZMQ_POLLIN)
        || (zsock_events (auth_sock (self->auth)) & ZMQ_POLLIN))
        return false;
    s_batch_t *batch = self->taking;
    const s_pending_t *pending = &batch->items [0];
    const envelope_t *env = pending->request->publish->envelope;
    if (pending->bytes > S_ALONE_BYTES
        || (env->body_case == CIBUS__ENVELOPE__BODY_DATA && env->data->n_cells > S_ALONE_CELLS))
        return false;
    s_write_one (self, batch);
    s_batch_done (self, batch);
    return true;
}

//  Commit the batch taken so far and ack it, before returning.
static void
s_commit_batch (broker_t *self)
{
    s_writer_finish (self);
    s_writer_start (self);
    s_writer_finish (self);
}

//  ---------------------------------------------------------------- cursors

static void
s_sub_free (void **item)
{
    s_sub_t *sub = *item;
    for (size_t i = 0; i < sub->prefix_count; i++)
        free (sub->prefixes [i]);
    free (sub->prefixes);
    free (sub->sizes);
    free (sub);
    *item = NULL;
}

static void
s_routing_key (const void *routing, size_t size, char *key)
{
    static const char hex [] = "0123456789abcdef";
    const uint8_t *bytes = routing;
    for (size_t i = 0; i < size; i++) {
        key [2 * i] = hex [bytes [i] >> 4];
        key [2 * i + 1] = hex [bytes [i] & 15];
    }
    key [2 * size] = 0;
}

//  Note an entry of size bytes as delivered and not yet paid back by a
//  Credit. False when the ring could not grow: the entry is not sent.
static bool
s_sub_owe (s_sub_t *sub, size_t size)
{
    if (sub->sizes_count == sub->sizes_cap) {
        size_t cap = sub->sizes_cap ? 2 * sub->sizes_cap : 64;
        uint32_t *sizes = malloc (cap * sizeof *sizes);
        if (!sizes)
            return false;
        for (size_t i = 0; i < sub->sizes_count; i++)
            sizes [i] = sub->sizes [(sub->sizes_head + i) % sub->sizes_cap];
        free (sub->sizes);
        sub->sizes = sizes;
        sub->sizes_cap = cap;
        sub->sizes_head = 0;
    }
    sub->sizes [(sub->sizes_head + sub->sizes_count) % sub->sizes_cap] = (uint32_t)size;
    sub->sizes_count++;
    sub->inflight += size;
    return true;
}

//  A Credit of n pays back the n oldest entries delivered: the client
//  grants credit for what it has consumed, in order.
static void
s_sub_pay (s_sub_t *sub, uint32_t n)
{
    while (n-- > 0 && sub->sizes_count > 0) {
        sub->inflight -= sub->sizes [sub->sizes_head];
        sub->sizes_head = (sub->sizes_head + 1) % sub->sizes_cap;
        sub->sizes_count--;
    }
}

//  Whether a routing id is one libzmq made for a connection (a zero byte
//  and four more). One a client chose for itself is refused: a routing id
//  that anyone may claim is no name for a connection.
static bool
s_routing_generated (const void *routing, size_t size)
{
    return size == 5 && ((const uint8_t *)routing) [0] == 0;
}

//  Whether a partner may read an entry on topic. The backbone reads
//  everything; a partner reads its networks; an integrator reads nothing.
static bool
s_may_read (const store_partner_t *partner, const char *topic)
{
    if (partner->role == ROLE_BACKBONE)
        return true;
    if (partner->role != ROLE_PARTNER)
        return false;
    char network [CIBUS_MAX_NETWORK + 1];
    return codec_topic_network (topic, network, sizeof network)
           && (auth_in_network (partner, network) || strcmp (network, CODEC_CATALOG_NETWORK) == 0);
}

static bool
s_matches (const s_sub_t *sub, const char *topic)
{
    if (sub->prefix_count == 0)
        return true;
    for (size_t i = 0; i < sub->prefix_count; i++)
        if (strncmp (topic, sub->prefixes [i], strlen (sub->prefixes [i])) == 0)
            return true;
    return false;
}

typedef struct {
    broker_t *broker;
    s_sub_t *sub;
    const store_partner_t *partner;
    bool blocked;  /* the peer's queue is full or the peer is gone */
    bool full;     /* the subscriber has max_inflight bytes unpaid */
    bool capped;   /* this step's frame holds the sub's step_bytes: more next turn */
    size_t wanted; /* rows for this subscriber */
    uint64_t sent; /* bytes of the entries in this step's frame */
    size_t count;  /* entries in this step's frame (self->frame) */
    uint64_t first_seq; /* the seq of its first */
} s_cursor_step_t;

//  What a Deliver frame adds to each entry it carries at most: the field's
//  tag and a length of up to three bytes (an entry is under 2 MiB); and to
//  the frame, the Reply and Deliver around them.
#define S_ENTRY_WRAP 4
#define S_FRAME_WRAP 16

//  Copy an entry into the frame being built: the read's bytes last only
//  for its callback. False when out of memory.
static bool
s_frame_add (broker_t *self, const void *bytes, size_t size)
{
    if (self->frame_count == self->frame_cap) {
        size_t cap = self->frame_cap ? 2 * self->frame_cap : 64;
        s_frame_entry_t *entries = realloc (self->frame_entries, cap * sizeof *entries);
        if (!entries)
            return false;
        self->frame_entries = entries;
        self->frame_cap = cap;
    }
    if (self->frame_used + size > self->frame_bytes_cap) {
        size_t cap = self->frame_bytes_cap ? self->frame_bytes_cap : 64 * 1024;
        while (cap < self->frame_used + size)
            cap *= 2;
        uint8_t *bytes_new = realloc (self->frame_bytes, cap);
        if (!bytes_new)
            return false;
        self->frame_bytes = bytes_new;
        self->frame_bytes_cap = cap;
    }
    memcpy (self->frame_bytes + self->frame_used, bytes, size);
    self->frame_entries [self->frame_count++] = (s_frame_entry_t){self->frame_used, size};
    self->frame_used += size;
    return true;
}

//  Take one entry into the step's frame, if the subscriber may read it and
//  has room for it; the frame goes out when the step ends (s_frame_send).
static bool
s_deliver_one (const store_entry_t *entry, void *arg)
{
    s_cursor_step_t *step = arg;
    s_sub_t *sub = step->sub;
    if (entry->envelope && s_matches (sub, entry->topic)
        && s_may_read (step->partner, entry->topic)) {
        //  The copy this reader gets: a data table's masked copy for anyone
        //  but its owner and the backbone. A table stored without one goes
        //  to them as nothing (fail closed), and the cursor moves past it.
        size_t size = 0;
        const void *bytes = store_entry_bytes (entry, step->partner, &size);
        if (!bytes) {
            log_limited (step->broker->limit, LEVEL_ERROR, "masked-copy-missing",
                         "event=masked-copy-missing seq=%llu", (unsigned long long)entry->seq);
            sub->next_seq = entry->seq + 1;
            return true;
        }
        step->wanted++;
        //  Credit counts entries; memory is bytes. A subscriber that does not
        //  read costs at most max_inflight bytes (and one entry, so that an
        //  entry larger than the window still goes out).
        if (sub->inflight > 0 && sub->inflight + size > step->broker->max_inflight) {
            step->full = true;
            return false;
        }
        //  And one step's frame holds at most step_bytes: a client may pay
        //  credit back without reading, and what it has not read stays in
        //  libzmq's queue until its kernel buffer drains (see s_cursor_step).
        if (step->count > 0
            && S_FRAME_WRAP + step->sent + (step->count + 1) * S_ENTRY_WRAP + size
                   > sub->step_bytes) {
            step->capped = true;
            return false;
        }
        if (!s_sub_owe (sub, size)) {
            step->blocked = true; //  out of memory: try this entry again later
            return false;
        }
        if (!s_frame_add (step->broker, bytes, size)) {
            sub->sizes_count--; //  not sent: not owed
            sub->inflight -= size;
            step->blocked = true;
            return false;
        }
        if (step->count++ == 0)
            step->first_seq = entry->seq;
        sub->credit--;
        step->sent += size;
    }
    sub->next_seq = entry->seq + 1;
    return sub->credit > 0;
}

//  Send the entries the step took, in one Deliver. A frame that cannot go
//  out is taken back whole: the cursor returns to its first entry, which
//  is neither owed nor paid for in credit.
static void
s_frame_send (broker_t *self, s_cursor_step_t *step)
{
    s_sub_t *sub = step->sub;
    if (step->count == 0)
        return;
    int rc = ENOMEM;
    ProtobufCBinaryData *envelopes = calloc (step->count, sizeof *envelopes);
    if (envelopes) {
        for (size_t i = 0; i < step->count; i++)
            envelopes [i] = (ProtobufCBinaryData){self->frame_entries [i].size,
                                                  self->frame_bytes + self->frame_entries [i].at};
        Cibus__Deliver deliver = CIBUS__DELIVER__INIT;
        deliver.n_envelopes = step->count;
        deliver.envelopes = envelopes;
        reply_t reply = CIBUS__REPLY__INIT;
        reply.kind_case = CIBUS__REPLY__KIND_DELIVER;
        reply.deliver = &deliver;
        rc = s_send (self, sub->routing, sub->routing_size, &reply);
        free (envelopes);
    }
    if (rc) {
        //  Gone: forget the cursor. Full (or out of memory): keep the
        //  entries for a later turn.
        if (rc == EHOSTUNREACH) {
            sub->dead = true;
            log_value_t who;
            log_limited (self->limit, LEVEL_INFO, "subscriber-gone",
                         "event=subscriber-gone partner=\"%s\" reason=\"%s\"",
                         log_escape (&who, step->partner->name), zmq_strerror (rc));
        }
        sub->sizes_count -= step->count;
        sub->inflight -= step->sent;
        sub->credit += (uint32_t)step->count;
        sub->next_seq = step->first_seq;
        step->blocked = true;
    } else {
        if (self->conns)
            conns_charge (self->conns, sub->fd, step->sent);
        sub->last_sent = zclock_mono ();
        sub->step_bytes = sub->step_bytes < S_STEP_BYTES / 2 ? 2 * sub->step_bytes : S_STEP_BYTES;
    }
    self->frame_count = 0;
    self->frame_used = 0;
}

//  A subscription that has been sent nothing for heartbeat_msec (or, with
//  now_anyway, one that must be asked for credit) gets a Heartbeat; true
//  when it went out. Its only use to the broker is the send itself: ROUTER reports a
//  peer that has gone, and the cursor is then dropped instead of kept forever.
static bool
s_heartbeat (broker_t *self, s_sub_t *sub, const store_partner_t *partner, bool now_anyway)
{
    int64_t now = zclock_mono ();
    if (!now_anyway && now - sub->last_sent < self->heartbeat_msec)
        return false;
    Cibus__Heartbeat heartbeat = CIBUS__HEARTBEAT__INIT;
    heartbeat.has_last_seq = true;
    heartbeat.last_seq = self->last_seq;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_HEARTBEAT;
    reply.heartbeat = &heartbeat;
    int rc = s_send (self, sub->routing, sub->routing_size, &reply);
    if (rc == EHOSTUNREACH) {
        sub->dead = true;
        log_value_t who;
        log_limited (self->limit, LEVEL_INFO, "subscriber-gone",
                     "event=subscriber-gone partner=\"%s\" reason=\"%s\"",
                     log_escape (&who, partner->name), zmq_strerror (rc));
    }
    sub->last_sent = now;
    return rc == 0;
}

static bool
s_wanted (const char *topic, void *arg)
{
    s_cursor_step_t *step = arg;
    return s_matches (step->sub, topic) && s_may_read (step->partner, topic);
}

//  Move one cursor forward by at most max log rows; *rows receives how many
//  it read. Returns true when it could not send (the subscriber's queue is
//  full, its bytes in flight are at the limit, or it is gone): the loop
//  must not spin on it.
static bool
s_cursor_step (broker_t *self, s_sub_t *sub, size_t max, size_t *rows)
{
    *rows = 0;
    const store_partner_t *partner = auth_lookup (self->auth, sub->key);
    if (!partner) {
        //  Removed from the registry while subscribed: stop serving now.
        log_value_t key;
        log_limited (self->limit, LEVEL_WARN, "subscription-ended",
                     "event=subscription-ended key=\"%s\" reason=\"key no longer in the "
                     "partner registry\"",
                     log_escape (&key, sub->key));
        zframe_t *routing = zframe_new (sub->routing, sub->routing_size);
        s_send_error (self, routing, CIBUS_ERR_UNKNOWN_KEY, NULL, NULL,
                      "this key was removed from the partner registry");
        zframe_destroy (&routing);
        sub->dead = true;
        return true;
    }
    if (sub->credit == 0 || sub->next_seq > self->last_seq) {
        s_heartbeat (self, sub, partner, false);
        return false;
    }
    //  A reader whose kernel buffer is full has not read what it was sent:
    //  anything more would wait in the broker's memory. Try again soon.
    if (self->conns && conns_backlogged (self->conns, sub->fd)) {
        self->waiting = true;
        return true;
    }
    s_cursor_step_t step = {self, sub, partner, false, false, false, 0, 0, 0, 0};
    cibus_err_t err = CIBUS_OK;
    if (ring_has (self->ring, sub->next_seq))
        *rows = ring_read_from (self->ring, sub->next_seq, max, s_deliver_one, &step);
    else
        err = store_read_matching (s_store (self), sub->next_seq, max,
                                   sub->sparse ? s_wanted : NULL, s_deliver_one, &step, rows);
    //  What the read took goes out even when the read then failed.
    s_frame_send (self, &step);
    if (err) {
        log_value_t who;
        log_limited (self->limit, LEVEL_ERROR, "cursor-read-failed",
                     "event=cursor-read-failed partner=\"%s\" next_seq=%llu",
                     log_escape (&who, partner->name), (unsigned long long)sub->next_seq);
        return true;
    }
    //  Whether the next read from the store should skip unwanted envelopes:
    //  worth it when most rows are not this subscriber's, a second lookup
    //  per row when most are.
    if (*rows >= 16)
        sub->sparse = 2 * step.wanted < *rows;
    //  Stopped by the bytes in flight: the client must pay them back, and
    //  one that waits for half its window of entries first would wait for
    //  ever. A Heartbeat asks it to (PROTOCOL.md 4.4), once until it does.
    if (step.full && !sub->asked)
        sub->asked = s_heartbeat (self, sub, partner, true);
    return step.blocked || step.full;
}

static void
s_conn_gone (int fd, void *arg)
{
    broker_t *self = arg;
    for (s_sub_t *sub = zhashx_first (self->subs); sub; sub = zhashx_next (self->subs))
        if (sub->fd == fd && !sub->dead) {
            sub->dead = true;
            log_debug ("event=subscriber-gone fd=%d reason=\"connection closed\"", fd);
        }
}

//  One step for every cursor, within one turn's budget of log rows, taken
//  in an order that rotates from turn to turn so that no cursor is always
//  last. Returns true when some cursor can still move, so the loop must
//  come back without sleeping.
static bool
s_deliver_pending (broker_t *self)
{
    //  Closed connections first: a cursor must end before its routing id
    //  can be given to anyone else.
    if (self->conns)
        conns_handle (self->conns, s_conn_gone, self);
    size_t count = zhashx_size (self->subs);
    if (count > self->turn_cap) {
        s_sub_t **turn = realloc (self->turn, count * sizeof *turn);
        if (!turn)
            return true;
        self->turn = turn;
        self->turn_cap = count;
    }
    size_t n = 0;
    for (s_sub_t *sub = zhashx_first (self->subs); sub; sub = zhashx_next (self->subs))
        self->turn [n++] = sub;
    bool more = false, dead = false;
    self->waiting = false;
    uint64_t last = self->last_seq;
    size_t budget = S_TURN_ROWS;
    size_t first = n ? self->turn_rotate++ % n : 0;
    for (size_t i = 0; i < n; i++) {
        s_sub_t *sub = self->turn [(first + i) % n];
        if (sub->dead) {
            dead = true;
            continue;
        }
        if (budget == 0) {
            more |= sub->credit > 0 && sub->next_seq <= last;
            continue;
        }
        size_t rows;
        uint32_t step_bytes = sub->step_bytes;
        bool blocked =
            s_cursor_step (self, sub, budget < CIBUS_SCAN_MAX ? budget : CIBUS_SCAN_MAX, &rows);
        dead |= sub->dead;
        budget -= rows < budget ? rows : budget;
        //  A frame of its start went out, and its frames are not yet full:
        //  its next step waits for the next poll (see S_STEP_FIRST).
        if (sub->step_bytes != step_bytes && sub->step_bytes < S_STEP_BYTES) {
            self->waiting = true;
            continue;
        }
        more |= !blocked && !sub->dead && sub->credit > 0 && sub->next_seq <= last;
    }
    //  Remove the dead only now: zhashx cannot delete while iterating.
    //  Most turns have none, and the list of keys is a copy of each.
    if (!dead)
        return more;
    zlistx_t *keys = zhashx_keys (self->subs);
    for (const char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        s_sub_t *sub = zhashx_lookup (self->subs, key);
        if (sub && sub->dead)
            zhashx_delete (self->subs, key);
    }
    zlistx_destroy (&keys);
    return more;
}

//  The subscription made on this connection, if any. s_handle_request has
//  already ended one that another key or connection made under this id.
static s_sub_t *
s_sub_of (broker_t *self, zframe_t *routing)
{
    char key [2 * S_ROUTING_MAX + 1];
    if (zframe_size (routing) > S_ROUTING_MAX)
        return NULL;
    s_routing_key (zframe_data (routing), zframe_size (routing), key);
    return zhashx_lookup (self->subs, key);
}

static void
s_handle_subscribe (broker_t *self, zframe_t *routing, int fd, const Cibus__Subscribe *subscribe,
                    const store_partner_t *partner)
{
    codec_problem_t problem;
    cibus_err_t err = CIBUS_OK;
    if (partner->role == ROLE_INTEGRATOR)
        err = codec_problem_set (&problem, CIBUS_ERR_FORBIDDEN, NULL,
                                 "integrator '%s' reads nothing but its own acks", partner->name);
    //  The count and length of the prefixes were checked with the request
    //  (codec_validate_request), and the routing id is libzmq's own.
    for (size_t i = 0; err == CIBUS_OK && i < subscribe->n_prefixes; i++) {
        const char *prefix = subscribe->prefixes [i];
        char network [CIBUS_MAX_NETWORK + 1];
        if (partner->role == ROLE_PARTNER
                 && codec_topic_network (prefix, network, sizeof network)
                 && !auth_in_network (partner, network)
                 && strcmp (network, CODEC_CATALOG_NETWORK) != 0)
            err = codec_problem_set (&problem, CIBUS_ERR_FORBIDDEN, "prefixes",
                                     "partner '%s' may not read network '%s': it is not one "
                                     "of its networks",
                                     partner->name, network);
    }
    if (err == CIBUS_OK) {
        //  The one this request replaces does not count.
        s_sub_t *mine = s_sub_of (self, routing);
        size_t held = 0;
        for (s_sub_t *sub = zhashx_first (self->subs); sub; sub = zhashx_next (self->subs))
            held += sub != mine && !sub->dead && strcmp (sub->key, partner->public_key) == 0;
        if (held >= S_SUBS_PER_KEY)
            err = codec_problem_set (&problem, CIBUS_ERR_QUOTA, NULL,
                                     "partner '%s' already holds %d subscriptions, the most one "
                                     "key may: close one before opening another",
                                     partner->name, S_SUBS_PER_KEY);
    }
    if (err) {
        s_refuse (self, routing, partner->name, "subscribe", NULL, &problem);
        return;
    }

    //  Every connection closed before this request arrived has been
    //  reported by now; take those reports first, so that the close of an
    //  earlier connection that had this descriptor cannot end this cursor.
    if (self->conns)
        conns_handle (self->conns, s_conn_gone, self);
    s_sub_t *sub = calloc (1, sizeof *sub);
    if (sub && subscribe->n_prefixes)
        sub->prefixes = calloc (subscribe->n_prefixes, sizeof (char *));
    if (!sub || (subscribe->n_prefixes && !sub->prefixes)) {
        free (sub);
        s_send_error (self, routing, CIBUS_ERR_NOMEM, NULL, NULL, "broker out of memory");
        return;
    }
    for (size_t i = 0; i < subscribe->n_prefixes; i++)
        if ((sub->prefixes [i] = strdup (subscribe->prefixes [i])))
            sub->prefix_count++;
    if (sub->prefix_count < subscribe->n_prefixes) {
        //  A cursor missing a prefix would read more than was asked for.
        sub->prefix_count = subscribe->n_prefixes; //  free them all; holes are NULL
        void *item = sub;
        s_sub_free (&item);
        s_send_error (self, routing, CIBUS_ERR_NOMEM, NULL, NULL, "broker out of memory");
        return;
    }
    sub->routing_size = zframe_size (routing);
    memcpy (sub->routing, zframe_data (routing), sub->routing_size);
    snprintf (sub->key, sizeof sub->key, "%s", partner->public_key);
    sub->fd = fd;
    sub->sparse = subscribe->n_prefixes > 0 || partner->role != ROLE_BACKBONE;
    sub->step_bytes = S_STEP_FIRST;
    uint64_t last = self->last_seq;
    sub->next_seq =
        subscribe->has_from_seq && subscribe->from_seq > 0 ? subscribe->from_seq : last + 1;
    sub->credit = subscribe->has_credit ? subscribe->credit : CIBUS_CREDIT_DEFAULT;
    sub->last_sent = zclock_mono ();
    if (sub->credit > CIBUS_CREDIT_MAX)
        sub->credit = CIBUS_CREDIT_MAX;

    Cibus__Subscribed subscribed = CIBUS__SUBSCRIBED__INIT;
    subscribed.has_next_seq = true;
    subscribed.next_seq = sub->next_seq;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_SUBSCRIBED;
    reply.subscribed = &subscribed;
    s_send_to (self, routing, &reply);

    char key [2 * S_ROUTING_MAX + 1];
    s_routing_key (sub->routing, sub->routing_size, key);
    log_value_t who;
    log_limited (self->limit, LEVEL_INFO, "subscribed",
                 "event=subscribed partner=\"%s\" from_seq=%llu prefixes=%zu credit=%u",
                 log_escape (&who, partner->name), (unsigned long long)sub->next_seq,
                 sub->prefix_count, sub->credit);
    zhashx_update (self->subs, key, sub); //  replaces an earlier subscription
    //  The first step now: the first entries the log holds for the cursor
    //  (S_STEP_FIRST bytes of them at most) go out right behind Subscribed,
    //  before any later reply on this connection; the rest follow step by
    //  step.
    size_t rows;
    s_cursor_step (self, sub, CIBUS_SCAN_MAX, &rows);
}


static void
s_handle_credit (broker_t *self, zframe_t *routing, const Cibus__Credit *credit,
                 const store_partner_t *partner)
{
    s_sub_t *sub = s_sub_of (self, routing);
    if (!sub) {
        codec_problem_t problem;
        codec_problem_set (&problem, CIBUS_ERR_USAGE, NULL,
                           "credit without a subscription: send Subscribe first");
        s_refuse (self, routing, partner->name, "credit", NULL, &problem);
        return;
    }
    uint64_t total = (uint64_t)sub->credit + credit->credit;
    sub->credit = total > CIBUS_CREDIT_MAX ? CIBUS_CREDIT_MAX : (uint32_t)total;
    s_sub_pay (sub, credit->credit);
    sub->asked = false;
}

static void
s_handle_ping (broker_t *self, zframe_t *routing, const Cibus__Ping *ping,
               const store_partner_t *partner)
{
    Cibus__Pong pong = CIBUS__PONG__INIT;
    pong.has_token = true;
    pong.token = ping->token;
    pong.partner = (char *)partner->name;
    pong.role = (char *)store_role_name (partner->role);
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_PONG;
    reply.pong = &pong;
    s_send_to (self, routing, &reply);
}

static void
s_handle_status (broker_t *self, zframe_t *routing)
{
    Cibus__StatusReply status = CIBUS__STATUS_REPLY__INIT;
    status.has_last_seq = status.has_transactions = status.has_appended = true;
    status.has_subscriptions = true;
    status.last_seq = self->last_seq;
    status.transactions = self->transactions;
    status.appended = self->appended;
    status.subscriptions = (uint32_t)zhashx_size (self->subs);
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_STATUS;
    reply.status = &status;
    s_send_to (self, routing, &reply);
}


static void
s_handle_query (broker_t *self, zframe_t *routing, int fd, const Cibus__Query *query,
                const store_partner_t *partner)
{
    //  An answer can be a megabyte; one the client does not read stays in
    //  the broker's memory. Answer no more until it has read.
    if (self->conns && conns_backlogged (self->conns, fd)) {
        codec_problem_t busy;
        codec_problem_set (&busy, CIBUS_ERR_QUOTA, NULL,
                           "this connection has not read the answers it was sent: read them "
                           "before asking again");
        s_refuse (self, routing, partner->name, "query", NULL, &busy);
        return;
    }
    char today [16];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (today, sizeof today, "%Y-%m-%d", &tm);
    //  From the entries committed so far, the writer's batch among them.
    store_answer_t *answer = NULL;
    codec_problem_t problem;
    cibus_err_t err = store_query (s_store (self), query, partner, today, &answer, &problem);
    if (err == CIBUS_ERR_STORE)
        codec_problem_set (&problem, err, NULL, "the broker could not read its store");
    if (err) {
        s_refuse (self, routing, partner->name, "query", NULL, &problem);
        return;
    }
    Cibus__QueryReply *result = store_answer_reply (answer);
    if (!result) {
        codec_problem_set (&problem, CIBUS_ERR_NOMEM, NULL, "broker out of memory");
        s_refuse (self, routing, partner->name, "query", NULL, &problem);
        store_answer_free (answer);
        return;
    }
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_RESULT;
    reply.result = result;
    if (self->conns)
        conns_charge (self->conns, fd, protobuf_c_message_get_packed_size (&reply.base));
    //  An answer travels in one frame like any reply; one that would not
    //  fit is refused with a way to narrow it, not sent to be dropped.
    size_t size = protobuf_c_message_get_packed_size (&reply.base);
    if (size > CIBUS_MAX_FRAME) {
        codec_problem_set (&problem, CIBUS_ERR_BAD_FIELD, NULL,
                           "the answer is %zu bytes, over the limit of %d: narrow it with "
                           "the fields network, since, owner or indicator",
                           size, CIBUS_MAX_FRAME);
        s_refuse (self, routing, partner->name, "query", NULL, &problem);
    } else
        s_send_to (self, routing, &reply);
    store_answer_reply_free (result);
    store_answer_free (answer);
}

//  ---------------------------------------------------------------- dispatch

//  The id of a publish's envelope, for the refusal of a request that may be
//  one (NULL for any other request, or one that did not decode).
static const char *
s_publish_id (const request_t *request)
{
    return request && request->kind_case == CIBUS__REQUEST__KIND_PUBLISH
                   && request->publish->envelope
               ? request->publish->envelope->id
               : NULL;
}

//  One request from one connection: who sent it (the key the ZAP handler
//  admitted, NULL when none), what it sent (the single payload frame, or
//  NULL when the message had no payload or more than one frame). Takes the
//  routing frame; the publish path keeps it until the ack.
//  The request's kind as the log names it.
static const char *
s_kind_name (const request_t *request)
{
    switch (request->kind_case) {
        case CIBUS__REQUEST__KIND_PUBLISH: return "publish";
        case CIBUS__REQUEST__KIND_SUBSCRIBE: return "subscribe";
        case CIBUS__REQUEST__KIND_CREDIT: return "credit";
        case CIBUS__REQUEST__KIND_PING: return "ping";
        case CIBUS__REQUEST__KIND_STATUS: return "status";
        case CIBUS__REQUEST__KIND_QUERY: return "query";
        default: return "unknown";
    }
}

//  A request under a routing id whose subscription another key or another
//  connection made: that connection has gone and this one took its id, so
//  the subscription ends here, before this request is served.
static void
s_unbind_stale (broker_t *self, zframe_t *routing, const char *key, int fd)
{
    char hex [2 * S_ROUTING_MAX + 1];
    if (zframe_size (routing) > S_ROUTING_MAX)
        return;
    s_routing_key (zframe_data (routing), zframe_size (routing), hex);
    s_sub_t *sub = zhashx_lookup (self->subs, hex);
    if (sub && (!key || strcmp (sub->key, key) != 0 || sub->fd != fd)) {
        log_limited (self->limit, LEVEL_INFO, "subscription-taken",
                     "event=subscription-ended reason=\"its routing id now names another "
                     "connection\"");
        zhashx_delete (self->subs, hex);
    }
}

static void
s_handle_request (broker_t *self, zframe_t **routing_p, const char *key, int fd, const void *data,
                  size_t size, bool one_frame)
{
    zframe_t *routing = *routing_p;
    //  Look the key up again now, so a partner removed since its handshake
    //  is refused.
    const store_partner_t *partner = auth_lookup (self->auth, key);
    //  An authenticated request: the connection is past its handshake.
    if (partner && self->conns)
        conns_seen (self->conns, fd);
    codec_problem_t problem;
    request_t *request = NULL;
    bool id_cut = false;
    if (!partner) {
        //  A publish is answered with its id, as every refusal of a publish
        //  is, so that a client with many in flight can fail this one: the
        //  key may have been removed while they travelled. The id is only
        //  read, never trusted, and not echoed when a NUL cut it.
        if (one_frame && (request = codec_request_decode (data, size)))
            (void)codec_validate_request_bytes (request, data, size, &problem, &id_cut);
        codec_problem_set (&problem, CIBUS_ERR_UNKNOWN_KEY, NULL,
                           "this key is not in the partner registry: ask the backbone to "
                           "register it");
        s_refuse (self, routing, key ? key : "-", "any", id_cut ? NULL : s_publish_id (request),
                  &problem);
    } else if (!s_routing_generated (zframe_data (routing), zframe_size (routing)))
        s_refuse (self, routing, partner->name, "any", NULL,
                  (codec_problem_set (&problem, CIBUS_ERR_FORBIDDEN, NULL,
                                      "this connection chose its own routing id "
                                      "(ZMQ_ROUTING_ID): the broker names connections "
                                      "itself, connect without one"),
                   &problem));
    else if ((s_unbind_stale (self, routing, key, fd), !one_frame))
        s_refuse (self, routing, partner->name, "any", NULL,
                  (codec_problem_set (&problem, CIBUS_ERR_MALFORMED, NULL,
                                      "a request is exactly one frame holding a Request"),
                   &problem));
    else if (!(request = codec_request_decode (data, size)))
        s_refuse (self, routing, partner->name, "any", NULL,
                  (errno == E2BIG ? codec_problem_set (&problem, CIBUS_ERR_MALFORMED, NULL,
                                                       "the frame (%zu bytes) holds more than "
                                                       "%d values (messages, strings and "
                                                       "lists), over what any request needs",
                                                       size, CIBUS_MAX_VALUES)
                                  : codec_problem_set (&problem, CIBUS_ERR_MALFORMED, NULL,
                                                       "the frame (%zu bytes) does not decode "
                                                       "as a cibus Request",
                                                       size),
                   &problem));
    //  Structure, limits and UTF-8 of every field, before anything reads
    //  it; first a NUL byte, which the decoded strings hide by ending there.
    else if (codec_validate_request_bytes (request, data, size, &problem, &id_cut)
             || codec_validate_request (request, &problem))
        s_refuse (self, routing, partner->name, s_kind_name (request),
                  id_cut ? NULL : s_publish_id (request), &problem);
    else
        switch (request->kind_case) {
            case CIBUS__REQUEST__KIND_PUBLISH:
                s_handle_publish (self, routing_p, &request, partner, fd);
                break;
            case CIBUS__REQUEST__KIND_SUBSCRIBE:
                s_handle_subscribe (self, routing, fd, request->subscribe, partner);
                break;
            case CIBUS__REQUEST__KIND_CREDIT:
                s_handle_credit (self, routing, request->credit, partner);
                break;
            case CIBUS__REQUEST__KIND_PING:
                s_handle_ping (self, routing, request->ping, partner);
                break;
            case CIBUS__REQUEST__KIND_STATUS:
                s_handle_status (self, routing);
                break;
            case CIBUS__REQUEST__KIND_QUERY:
                s_handle_query (self, routing, fd, request->query, partner);
                break;
            default:
                codec_problem_set (&problem, CIBUS_ERR_BAD_FIELD, "kind",
                                   "unknown or missing request kind: expected publish, "
                                   "subscribe, credit, ping, status or query");
                s_refuse (self, routing, partner->name, "unknown", NULL, &problem);
        }
    codec_request_free (request);
}

//  Take one message from the ROUTER: the routing frame, the payload and
//  whatever else was sent (a request is one frame; more is refused). The
//  frames are read as zmq_msg_t to learn the connection they came on.
//  False when nothing could be read.
static bool
s_handle_message (broker_t *self)
{
    void *router = zsock_resolve (self->router);
    zmq_msg_t routing_msg, payload;
    zmq_msg_init (&routing_msg);
    zmq_msg_init (&payload);
    if (zmq_msg_recv (&routing_msg, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&routing_msg);
        zmq_msg_close (&payload);
        return false;
    }
    bool has_payload = zmq_msg_more (&routing_msg) && zmq_msg_recv (&payload, router, 0) >= 0;
    bool one_frame = has_payload && !zmq_msg_more (&payload);
    //  Frames beyond the payload are read and dropped, one at a time.
    for (bool more = has_payload && zmq_msg_more (&payload); more;) {
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        more = zmq_msg_recv (&extra, router, 0) >= 0 && zmq_msg_more (&extra);
        zmq_msg_close (&extra);
    }
    //  The ZAP handler set User-Id to the key it admitted.
    const char *key = has_payload ? zmq_msg_gets (&payload, "User-Id") : NULL;
    int fd = has_payload ? zmq_msg_get (&payload, ZMQ_SRCFD) : -1;
    zframe_t *routing = zframe_new (zmq_msg_data (&routing_msg), zmq_msg_size (&routing_msg));
    if (routing)
        s_handle_request (self, &routing, key, fd, has_payload ? zmq_msg_data (&payload) : NULL,
                          has_payload ? zmq_msg_size (&payload) : 0, one_frame);
    zframe_destroy (&routing);
    zmq_msg_close (&routing_msg);
    zmq_msg_close (&payload);
    return true;
}

void
broker_dispatch (broker_t *self, const void *routing, size_t routing_size, const char *key,
                 const void *payload, size_t size)
{
    assert (self);
    zframe_t *frame = zframe_new (routing, routing_size);
    if (!frame)
        return;
    s_handle_request (self, &frame, key, -1, payload, size, true);
    zframe_destroy (&frame);
    if (s_taken (self) == CIBUS_BATCH_MAX)
        s_commit_batch (self);
}

void
broker_flush (broker_t *self)
{
    assert (self);
    s_commit_batch (self);
    s_deliver_pending (self);
}

//  What a handshake of an unknown key asks before it looks at the
//  database (auth_set_guard): the writer idle, and for a reload, every
//  batch committed and acked, since batches point into the registry.
static void
s_auth_guard (void *arg, bool release)
{
    broker_t *self = arg;
    if (release)
        s_commit_batch (self);
    else
        s_writer_finish (self);
}

//  Reload the registry if another process changed it. A reload frees the
//  records the batches point to (s_pending_t.publisher), and its check
//  reads the store: it waits for a moment between batches, or at most
//  S_IDLE_POLL_MSEC, after which the batches are committed first.
static void
s_refresh_registry (broker_t *self)
{
    int64_t now = zclock_mono ();
    if (s_taken (self) || writer_busy (self->writer)) {
        if (now - self->refreshed < S_IDLE_POLL_MSEC)
            return;
        s_commit_batch (self);
    }
    self->refreshed = now;
    auth_refresh (self->auth);
}

//  Drain the ROUTER: what is waiting now, handing it to the writer batch
//  by batch, and once more at the end. A turn takes at most S_TURN_MSEC of
//  requests, so that however much one client sends, the commit, the
//  handshakes and the deliveries of everyone else come round soon; libzmq
//  takes the requests from the connections in turn, so each gets its share.
static void
s_drain (broker_t *self)
{
    int64_t deadline = zclock_mono () + S_TURN_MSEC;
    for (size_t turn = 0; turn < 4 * CIBUS_BATCH_MAX; turn++) {
        //  A receive that finds nothing says so; asking ZMQ_EVENTS first
        //  cost a poll(2) of the socket's mailbox for every request.
        if (!s_handle_message (self))
            break;
        //  A full batch waits for the writer; any other goes to it as soon
        //  as it is free, so that the writer is never idle while publishes
        //  wait.
        if (s_taken (self) == CIBUS_BATCH_MAX)
            s_writer_finish (self);
        if (!s_write_alone (self))
            s_writer_next (self);
        if (zclock_mono () >= deadline)
            break;
    }
    s_writer_next (self);
}

//  How often a store opened without shared memory (a full disk at start)
//  is tried again as usual, when no commit has shown that space is back.
#define S_RECOVER_MSEC 60000

//  How often the resident size is read against --max-memory.
#define S_MEMORY_CHECK_MSEC 100

//  The resident size of this process in bytes, from /proc; 0 if unknown.
static uint64_t
s_resident_bytes (void)
{
    FILE *file = fopen ("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!file)
        return 0;
    if (fscanf (file, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose (file);
    return (uint64_t)resident * (uint64_t)sysconf (_SC_PAGESIZE);
}

//  Whether the broker has grown past --max-memory. Some costs cannot be
//  bounded from here (libzmq holds every frame of a multipart message until
//  the last one arrives), so the last defence is to stop: every ack was sent
//  after its commit, so stopping loses nothing, and the supervisor (see
//  contrib/cibusd.service) starts the broker again.
static bool
s_over_memory (broker_t *self)
{
    if (!self->max_memory)
        return false;
    int64_t now = zclock_mono ();
    if (now - self->memory_checked < S_MEMORY_CHECK_MSEC)
        return false;
    self->memory_checked = now;
    uint64_t resident = s_resident_bytes ();
    if (resident <= self->max_memory)
        return false;
    log_error ("event=memory-limit resident=%llu limit=%llu reason=\"the broker grew past "
               "--max-memory; it stops so that its supervisor restarts it\"",
               (unsigned long long)resident, (unsigned long long)self->max_memory);
    return true;
}

cibus_err_t
broker_run (broker_t *self)
{
    zmq_pollitem_t items [] = {
        {zsock_resolve (auth_sock (self->auth)), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->router), 0, ZMQ_POLLIN, 0},
        {NULL, conns_fd (self->conns), ZMQ_POLLIN, 0},
        {NULL, writer_fd (self->writer), ZMQ_POLLIN, 0},
        {NULL, self->finished_fd, ZMQ_POLLIN, 0},
    };
    //  Read empty before the first poll: from then on its descriptor
    //  says when an event arrives (conns_fd).
    conns_handle (self->conns, s_conn_gone, self);
    while (!zsys_interrupted) {
        int idle =
            self->heartbeat_msec < S_IDLE_POLL_MSEC ? self->heartbeat_msec : S_IDLE_POLL_MSEC;
        if (self->waiting && idle > S_WAIT_POLL_MSEC)
            idle = S_WAIT_POLL_MSEC;
        int rc = zmq_poll (items, 5, self->owed ? 0 : idle);
        if (rc < 0 && zmq_errno () != EINTR) {
            log_error ("event=poll-failed error=\"%s\"", zmq_strerror (zmq_errno ()));
            return CIBUS_ERR_IO;
        }
        //  The writer's acks first; then registry edits, so that a handshake
        //  or request arriving right after `cibusd partner remove` is judged
        //  by the new registry.
        s_writer_next (self);
        s_refresh_registry (self);
        auth_handle (self->auth);
        conns_next_turn (self->conns);
        s_drain (self);
        self->owed = s_deliver_pending (self);
        log_limit_tick (self->limit);
        if (s_over_memory (self))
            return CIBUS_ERR_NOMEM;
        if (store_degraded (self->store) && zclock_mono () >= self->recover_at) {
            s_commit_batch (self); //  the batch taken points into the registry
            if (store_recover (s_store (self)) == CIBUS_ERR_STORE) {
                log_error ("event=store-lost reason=\"the database could not be reopened\"");
                return CIBUS_ERR_STORE;
            }
            self->recover_at = zclock_mono () + S_RECOVER_MSEC;
        }
    }
    //  The last batches are committed and acked here; anything that arrives
    //  after the signal is left unread and unacked, so its publisher retries
    //  it against the next broker.
    s_commit_batch (self);
    log_info ("event=stopping last_seq=%llu transactions=%llu",
              (unsigned long long)store_last_seq (self->store),
              (unsigned long long)self->transactions);
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- lifecycle

//  Every connection costs a descriptor, a stranger's too: take all the
//  machine allows, so that the cap on handshakes (not the descriptor limit)
//  decides who waits. At the limit libzmq cannot accept and retries at once,
//  which spins the I/O thread and locks every newcomer out.
static void
s_raise_fd_limit (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
        return;
    rlim_t was = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &limit) != 0) {
            log_warn ("event=fd-limit-unchanged soft=%llu hard=%llu error=\"%s\"",
                      (unsigned long long)was, (unsigned long long)limit.rlim_max,
                      strerror (errno));
            return;
        }
    }
    log_info ("event=fd-limit was=%llu now=%llu", (unsigned long long)was,
              (unsigned long long)limit.rlim_cur);
}

//  Each message received into a block of its own. By default libzmq
//  reads a connection 8 KiB at a time into an 18 KiB block (its bytes
//  and a count for each message carved from them) and lends the block's
//  bytes to every message in it, so that each read takes a new block
//  while a message still holds the last one: in the I/O thread's heap
//  these blocks came and went among smaller ones, and the heap grew
//  under steady publishing by 72 to 184 KiB in three seconds. With each
//  message copied out, no message holds the block and the next read
//  uses it again: 12 to 76 KiB (docs/PERFORMANCE.md, s7). Every socket
//  made after this call is so.
static void
s_copy_received (void)
{
    if (zmq_ctx_set (zsys_init (), ZMQ_ZERO_COPY_RECV, 0) != 0)
        log_warn ("event=zero-copy-unchanged error=\"%s\"", zmq_strerror (zmq_errno ()));
}

broker_t *
broker_new (const broker_config_t *config)
{
    char error [512];
    broker_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->lock_fd = -1;
    self->taking = &self->batches [0];
    self->writing = &self->batches [1];
    self->done = &self->batches [2];
    self->spare = &self->batches [3];
    pthread_mutex_init (&self->hand, NULL);
    self->finished_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!(self->limit = log_limit_new (LOG_LIMIT_BURST, LOG_LIMIT_WINDOW_MSEC))) {
        if (self->finished_fd >= 0)
            close (self->finished_fd);
        pthread_mutex_destroy (&self->hand);
        free (self);
        return NULL;
    }
    self->heartbeat_msec =
        config->heartbeat_msec > 0 ? config->heartbeat_msec : CIBUS_HEARTBEAT_MSEC;
    self->max_inflight = config->max_inflight ? config->max_inflight : BROKER_INFLIGHT_DEFAULT;
    self->quota_rate = config->quota_rate;
    self->quota_total = config->quota_total;
    self->max_memory = config->max_memory;
    self->data_dir = strdup (config->data_dir);
    s_raise_fd_limit ();
    s_copy_received ();
    bool created;
    if (!self->data_dir || datadir_init (config->data_dir, &created, error, sizeof error)
        || (self->lock_fd = datadir_lock (config->data_dir, error, sizeof error)) < 0
        || !(self->cert = datadir_cert (config->data_dir, error, sizeof error))) {
        log_error ("event=start-failed data=%s reason=\"%s\"", config->data_dir,
                   self->data_dir ? error : "out of memory");
        broker_destroy (&self);
        return NULL;
    }
    char db_path [PATH_MAX];
    datadir_path (config->data_dir, DATADIR_DB, db_path, sizeof db_path);
    //  The keys held in memory are loaded now, with all their room: the
    //  first publish does not wait for them, and the broker's memory does
    //  not grow with each entry (only the few times the runs lengthen).
    if (!(self->store = store_new (db_path, config->sync))
        || store_keys_load (self->store, true) || !(self->auth = auth_new (self->store))
        || !(self->subs = zhashx_new ()) || !(self->quotas = zhashx_new ())
        || !(self->ring = ring_new (S_RING_ENTRIES, S_RING_MAX_ENTRY))) {
        log_error ("event=start-failed data=%s reason=\"cannot open the store or the "
                   "registry\"",
                   config->data_dir);
        broker_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->subs, s_sub_free);
    //  No commit, and so no ack, waits for a checkpoint (checkpoint.c).
    store_checkpoint_in_background (self->store);
    self->last_seq = store_last_seq (self->store);
    bool batches = self->finished_fd >= 0;
    for (size_t i = 0; i < 4; i++)
        batches &= s_batch_init (&self->batches [i]);
    batches &= (self->acks = calloc (CIBUS_BATCH_MAX, sizeof *self->acks))
               && (self->ack_list = calloc (CIBUS_BATCH_MAX, sizeof *self->ack_list))
               && (self->answer_order =
                       calloc (CIBUS_BATCH_MAX, sizeof *self->answer_order));
    if (!batches || !(self->writer = writer_new (s_write_batch, s_writer_end, self))) {
        log_error ("event=start-failed data=%s reason=\"cannot start the writer thread or "
                   "make its batches\"",
                   config->data_dir);
        broker_destroy (&self);
        return NULL;
    }
    if (store_degraded (self->store))
        self->recover_at = zclock_mono () + S_RECOVER_MSEC;
    zhashx_set_destructor (self->quotas, s_quota_free);
    auth_set_guard (self->auth, s_auth_guard, self);

    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router) {
        broker_destroy (&self);
        return NULL;
    }
    //  The monitor first, so that no connection is accepted unseen.
    if (!(self->conns = conns_new (self->router, config->max_pending ? config->max_pending
                                                                     : BROKER_PENDING_DEFAULT))) {
        broker_destroy (&self);
        return NULL;
    }
    //  A connection has this long to finish its handshake; a stranger that
    //  connects and says nothing is closed then.
    zsock_set_handshake_ivl (self->router, config->handshake_msec ? config->handshake_msec
                                                                  : BROKER_HANDSHAKE_DEFAULT);
    zcert_apply (self->cert, self->router);
    zsock_set_curve_server (self->router, 1);
    zsock_set_zap_domain (self->router, "cibus");
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndhwm (self->router, S_SEND_HWM);
    zsock_set_rcvhwm (self->router, S_SEND_HWM);
    //  The limit applies to the frame as it travels, CURVE box included.
    zsock_set_maxmsgsize (self->router, CIBUS_MAX_FRAME + CIBUS_FRAME_SLACK);
    zsock_set_linger (self->router, S_LINGER_MSEC);
    //  ZMTP heartbeats close a connection whose peer vanished without
    //  closing TCP (a laptop lid, a dead link); the cursor then goes at its
    //  next Heartbeat.
    zsock_set_heartbeat_ivl (self->router, self->heartbeat_msec);
    zsock_set_heartbeat_timeout (self->router, 3 * self->heartbeat_msec);
    if (zsock_bind (self->router, "%s", config->bind) < 0) {
        log_error ("event=start-failed bind=%s reason=\"%s\"", config->bind,
                   zmq_strerror (zmq_errno ()));
        broker_destroy (&self);
        return NULL;
    }
    self->endpoint = zsock_last_endpoint (self->router);
    if (!self->endpoint) {
        broker_destroy (&self);
        return NULL;
    }
    //  The endpoint file is a convenience for local clients; a broker on a
    //  full disk cannot write it and serves anyway (its clients name the
    //  endpoint). A stale file from an earlier run must not stay behind.
    if (datadir_write_endpoint (config->data_dir, self->endpoint))
        datadir_remove_endpoint (config->data_dir);
    log_info ("event=started endpoint=%s data=%s last_seq=%llu sync=%s key=%s", self->endpoint,
              config->data_dir, (unsigned long long)store_last_seq (self->store),
              config->sync == STORE_SYNC_FULL ? "full" : "normal", zcert_public_txt (self->cert));
    return self;
}

const char *
broker_endpoint (broker_t *self)
{
    return self->endpoint;
}

void
broker_destroy (broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_t *self = *self_p;
    //  A batch the writer holds is committed or not; either way nobody is
    //  acked for it now, and its publishers retry it. It goes on to none.
    s_writer_hold (self, true);
    writer_destroy (&self->writer);
    for (size_t i = 0; i < 4; i++) {
        s_batch_clear (self, &self->batches [i]);
        free (self->batches [i].items);
        free (self->batches [i].bytes);
    }
    free (self->acks);
    free (self->ack_list);
    free (self->answer_order);
    if (self->endpoint)
        datadir_remove_endpoint (self->data_dir);
    conns_destroy (&self->conns);
    //  Closing the ROUTER with linger flushes the last acks to their clients.
    zsock_destroy (&self->router);
    free (self->turn);
    zhashx_destroy (&self->subs);
    zhashx_destroy (&self->quotas);
    ring_destroy (&self->ring);
    auth_destroy (&self->auth);
    store_destroy (&self->store);
    //  The reactor decides tables too (a lone publish, a dry run): GLPK's
    //  environment in this thread goes with the broker.
    disclosure_thread_end ();
    if (self->finished_fd >= 0)
        close (self->finished_fd);
    pthread_mutex_destroy (&self->hand);
    zcert_destroy (&self->cert);
    store_appended_release (&self->appended_entry);
    codec_buf_release (&self->reply_buf);
    free (self->frame_bytes);
    free (self->frame_entries);
    datadir_unlock (self->lock_fd);
    log_limit_destroy (&self->limit);
    zstr_free (&self->endpoint);
    free (self->data_dir);
    free (self);
    *self_p = NULL;
}
