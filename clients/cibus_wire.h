/*  cibus_wire.h - the client library in the wire's own types: the envelope
    and the query of proto/cibus.proto, as protobuf-c generates them.

    Not installed. The public header (cibus.h) speaks in cibus's own types
    only, so that a program built against libcibus never sees protobuf-c;
    the cibus command, its feeds and sync client, the tests and the bench
    need the envelope itself (to build an indicator definition, to keep an
    update in the outbox, to send bytes the broker must refuse), and use
    these calls, which the public ones are made of: every public publish
    ends in cibus_publish, cibus_read in cibus_next, cibus_ask in
    cibus_query. One path, so one set of checks and one set of words.    */

#ifndef CIBUS_WIRE_H_INCLUDED
#define CIBUS_WIRE_H_INCLUDED

#include "cibus.h"
#include "cibus.pb-c.h"
#include "codec.h"

#include <stdint.h>

typedef Cibus__Envelope cibus_envelope_t;

/* Ask the broker a question (indicators, values, commitments, notes,
   report; see Cibus__Query). On success *reply is the broker's Reply, whose
   result holds the tables; free it with cibus_reply_free. */
cibus_err_t cibus_query (cibus_t *self, const Cibus__Query *query, Cibus__Reply **reply);
void cibus_reply_free (Cibus__Reply *reply);

/* Publish one entry and wait for its ack. The caller sets env->topic and
   the body; env->id when NULL gets a fresh id (the library's string, valid
   until the next publish). seq, partner and received_at are the broker's to
   set. On refusal returns the broker's code (BAD_FIELD, FORBIDDEN ...). */
cibus_err_t cibus_publish (cibus_t *self, cibus_envelope_t *env, cibus_ack_t *ack);

/* Send without waiting for the ack, unless `window` publishes are already
   in flight: then wait for the oldest acks first. Fails when the wait times
   out or the broker drops the connection; the broker's refusals go to the
   handler. An envelope the library's own check refuses (the broker's check
   of each field, done before sending) is not sent: the call returns that
   refusal's code (BAD_FIELD ...) and cibus_error says why. */
cibus_err_t cibus_publish_async (cibus_t *self, cibus_envelope_t *env);

/* The bytes cibus_publish_async would send for env (its ack asked
   together with others'), made ahead of sending, on any thread: no
   connection is touched. env->id must be set. NULL with *problem set when
   the library's check refuses env (as cibus_publish_async would) or out
   of memory. Free with free(). */
uint8_t *cibus_publish_prepare (cibus_envelope_t *env, bool dry_run, size_t *size,
                                codec_problem_t *problem);

/* Send what cibus_publish_prepare made for the envelope of id, as
   cibus_publish_async sends its own: waiting first while `window`
   publishes are in flight; the answer goes to the ack handler. The
   dry_run it was made with must be the connection's. */
cibus_err_t cibus_publish_prepared_async (cibus_t *self, const char *id, const void *bytes,
                                          size_t size);

/* The failure that ended the connection for good - a refused key, a reply
   that does not decode, a fatal answer of the broker - which every call
   returns from then on; CIBUS_OK while it stands. A refusal code from
   cibus_publish_async while this is OK is the library's own check. */
cibus_err_t cibus_failure (cibus_t *self);

/* The next entry, waiting at most timeout_msec (-1: the connection's
   timeout); TIMEOUT when nothing came. The caller frees *env with
   cibus_envelope_free. */
cibus_err_t cibus_next (cibus_t *self, int timeout_msec, cibus_envelope_t **env);

void cibus_envelope_free (cibus_envelope_t *env);

/* Send raw bytes as one request frame and return the raw reply (for tests
   and tools that speak the protocol directly). The caller frees *reply
   with free(). The answer to an async publish in flight is never taken
   for it; but a raw publish that asks for its ack together with others
   (Publish.acks_together) gets the whole Acks that holds its ack, and
   the acks in it of async publishes have gone to the ack handler too. */
cibus_err_t cibus_raw (cibus_t *self, const void *data, size_t size, void **reply,
                       size_t *reply_size);

/* Make env's body the table (borrowed: valid until the table changes or
   is destroyed); the caller sets the topic. NOMEM when out of memory. */
cibus_err_t cibus_table_envelope (cibus_table_t *self, cibus_envelope_t *env);

/* Set the connection's last failure (cibus_error, cibus_error_field: field
   may be NULL) for a call of the library made outside libcibus.c; returns
   err, for tail calls. */
cibus_err_t cibus_fail (cibus_t *self, cibus_err_t err, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

#endif
