/*  sync.h - the partner's sync client: a local replica that answers
    offline, and an outbox that never sends twice (store/replica.h holds
    both; this is the part that talks to the broker and to the person).

        cibus sync [--replica PATH] [--topic PREFIX]... [--once]
        cibus sync status [--json]
        cibus outbox [--json] | cibus outbox retry|drop ID
        cibus values|commitments|notes|report|indicators ... --offline
        cibus submit|note|commit|update ... --queue

    The replica's default path is $XDG_DATA_HOME/cibus/replica.db, else
    ~/.local/share/cibus/replica.db. Each function returns the command's
    exit code (0, 1, or 2 for a usage error) and says what went wrong on
    stderr, prefixed "cibus COMMAND: ".                                    */

#ifndef CIBUS_SYNC_H_INCLUDED
#define CIBUS_SYNC_H_INCLUDED

#include "cibus_wire.h"
#include "opts.h"
#include "render.h"

#include <stdbool.h>

/* `cibus sync` and `cibus sync status`. */
int sync_cmd_sync (const char *command, opts_t *opts);

/* `cibus outbox`, `cibus outbox retry ID`, `cibus outbox drop ID`. */
int sync_cmd_outbox (const char *command, opts_t *opts);

/* Answer a query from the replica (--offline) and print it in format, as
   the broker's answer is printed. */
int sync_query_offline (const char *command, opts_t *opts, const Cibus__Query *query,
                        render_format_t format);

/* Store env (its id set) in the replica's outbox and say so; why, when not
   NULL, is why it was not sent (said on stderr). 0 when queued. */
int sync_queue (const char *command, opts_t *opts, const cibus_envelope_t *env,
                const char *why);

/* Store many updates in the outbox at once (a feed's tables): next
   builds the index-th envelope into *env, or returns false with message
   set when it cannot be built (it is counted refused). *queued and
   *already count what was stored and what was there before. 0 when every
   one was stored or was there already. */
typedef bool (sync_build_fn) (void *arg, size_t index, cibus_envelope_t *env, char *message,
                              size_t size);
int sync_queue_each (const char *command, opts_t *opts, size_t count, sync_build_fn *build,
                     void *arg, size_t *queued, size_t *already);

/* Whether a failed publish means the broker could not be reached (so the
   update may be queued), rather than a refusal. */
bool sync_unreachable (cibus_err_t err);

#endif
