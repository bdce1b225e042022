/*  proxy.h - a TCP relay between clients and a broker that a test can cut.

    It listens on a free loopback port and relays each connection it
    accepts to the target, byte for byte, on a thread of its own. Cutting
    closes every relayed connection at once - what a dropped line or a
    NAT timing out looks like to both ends - and goes on accepting, so a
    client that reconnects reaches the broker again through it. A hold
    stops the flow from the broker after a number of bytes, so that a test
    can interrupt a long transfer in its middle whatever the machine's
    speed.                                                                 */

#ifndef CIBUS_PROXY_H_INCLUDED
#define CIBUS_PROXY_H_INCLUDED

#include <stddef.h>

typedef struct proxy_t proxy_t;

/* Relay to target ("tcp://127.0.0.1:PORT"). NULL on failure. */
proxy_t *proxy_new (const char *target);

/* Stop the thread and close everything. */
void proxy_destroy (proxy_t **self_p);

/* The endpoint clients connect to instead ("tcp://127.0.0.1:PORT"). */
const char *proxy_endpoint (proxy_t *self);

/* Close every connection relayed now; returns how many there were. Ends
   any hold. */
size_t proxy_cut (proxy_t *self);

/* Relay at most bytes more from the target to the clients, then hold what
   it sends (it waits in the kernel's buffers) until a cut: a long reply
   stopped partway at a known point. */
void proxy_hold_after (proxy_t *self, size_t bytes);

/* Relay connections accepted from now on to another target (a broker
   restarted on a new port). */
void proxy_retarget (proxy_t *self, const char *target);

#endif
