/*  broker_internal.h - the broker's request dispatcher without its socket.

    For the fuzz target and tests that drive the dispatcher directly: the
    same decode, validation, access control and store as a request that
    arrived on the ROUTER, with replies sent to the given routing id (a
    routing id with no connection behind it drops them).                  */

#ifndef CIBUS_BROKER_INTERNAL_H_INCLUDED
#define CIBUS_BROKER_INTERNAL_H_INCLUDED

#include "broker.h"

/* Handle one request frame as if it came from the connection `routing`
   authenticated as `key` (a Z85 public key, or NULL for none). A publish
   joins the batch; broker_flush commits it. */
void broker_dispatch (broker_t *self, const void *routing, size_t routing_size, const char *key,
                      const void *payload, size_t size);

/* Commit the batch (then ack) and move every cursor one step. */
void broker_flush (broker_t *self);

#endif
