/*  feed_ahead.h - inside `cibus feed`: the publishes of a feed's tables
    made ahead of their sending, on a thread of their own.

    Making a table's publish - its id (a SHA-1 of its content), its
    envelope, the library's check of it and its bytes - is most of what
    the feed does for each table while it publishes. Done on the thread
    that sends, it comes between the broker's acks and the next sends; on
    a thread of its own, the sender only sends. The tables are made in
    their order, at most FEED_AHEAD_MAX ahead of the one taken last, and
    each is freed once taken. The maker runs at the lowest priority; a
    table it has not finished when the sender needs it, the sender makes
    (and the maker drops its copy, if it had begun one).

    The maker reads the finished feed's tables and makes their ids
    (feed_table_id, which is safe beside the sender's calls).            */

#ifndef CIBUS_FEED_AHEAD_H_INCLUDED
#define CIBUS_FEED_AHEAD_H_INCLUDED

#include "cibus_wire.h"
#include "feed.h"

#define FEED_AHEAD_MAX 4096 /* tables made ahead of the one being sent, at most */

/* Put the index-th table of a finished feed together as an envelope of
   topic (env borrows from table and the feed); false, with the message,
   when it cannot be. */
bool feed_envelope (feed_t *feed, size_t index, const char *topic, cibus_table_t *table,
                    cibus_envelope_t *env, char *message, size_t size);

typedef struct feed_ahead_t feed_ahead_t;

/* Start making the publishes of every table of the finished feed that is
   not refused, for topic, with dry_run as the connection will have it.
   NULL when out of memory or no thread can be started. */
feed_ahead_t *feed_ahead_new (feed_t *feed, const char *topic, bool dry_run);

/* The index-th table's publish: the maker's if it has finished it, else
   made here without waiting for it. The tables must be taken in order,
   each once, a refused one included. NULL when it
   cannot be sent: *message says why, and *err is CIBUS_ERR_NOMEM when
   memory ran out (else CIBUS_OK). The bytes and message are valid until
   feed_ahead_done (self, index). */
const uint8_t *feed_ahead_take (feed_ahead_t *self, size_t index, size_t *size,
                                const char **message, cibus_err_t *err);

/* Done with the index-th table: its publish is freed and the maker goes
   on. */
void feed_ahead_done (feed_ahead_t *self, size_t index);

/* Stop the maker, wherever it is, and free what it made. */
void feed_ahead_destroy (feed_ahead_t **self_p);

#endif
