/*  auth.h - who is on the other end: the ZAP handler and the registry cache.

    libzmq asks a ZAP handler, during each CURVE handshake, whether to admit
    a client's public key. We answer from the partner registry in the store,
    and set the ZAP user id to the key itself, so that every message the
    broker later receives carries the key (frame metadata "User-Id"). The
    broker looks the key up again for every request: a partner removed from
    the registry is refused at its next request, even on a connection that
    was admitted before.

    czmq's zauth actor is not used: it admits keys from a directory of
    certificates and could not tell us the partner name, role and networks
    the registry holds.                                                    */

#ifndef CIBUS_AUTH_H_INCLUDED
#define CIBUS_AUTH_H_INCLUDED

#include "store.h"

#include <czmq.h>

typedef struct auth_t auth_t;

/* Bind the ZAP handler (inproc://zeromq.zap.01) and load the registry. Must
   be created before any CURVE server socket binds. NULL on failure. */
auth_t *auth_new (store_t *store);
void auth_destroy (auth_t **self_p);

/* The ZAP socket, for the broker's poll set. */
zsock_t *auth_sock (auth_t *self);

/* Answer every ZAP request that is waiting. Refusals are logged at most
   LOG_LIMIT_BURST a minute, the rest counted; call it at every turn of the
   reactor, also when nothing is waiting, so that the count is written once
   its minute has passed. */
void auth_handle (auth_t *self);

/* Reload the registry when another process changed the database. Returns
   true when it was reloaded. The caller must own the store (no other
   thread using its connection) and hold no record auth_lookup lent. */
bool auth_refresh (auth_t *self);

/* What a handshake of a key not in the registry asks of its caller before
   it looks at the database again (a partner added a moment ago gets in
   on its first try): guard (arg, false) makes the store the caller's for
   the look (no other thread uses its connection), and guard (arg, true),
   called only when the registry did change, also lets go of every record
   auth_lookup lent, which the reload frees. A stranger repeating
   handshakes gets such a look at most once every AUTH_LOOK_MSEC. Without
   a guard, the handshake never looks. */
#define AUTH_LOOK_MSEC 100
typedef void (auth_guard_fn) (void *arg, bool release);
void auth_set_guard (auth_t *self, auth_guard_fn *guard, void *arg);

/* The partner registered under public_key (Z85), or NULL. Borrowed: valid
   until the next auth_refresh. */
const store_partner_t *auth_lookup (auth_t *self, const char *public_key);

/* Whether the partner may read or publish in a network. */
bool auth_in_network (const store_partner_t *partner, const char *network);

#endif
