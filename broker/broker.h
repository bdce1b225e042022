/*  broker.h - cibusd's core: one ROUTER socket, the log, the cursors.

    All broker state lives in one broker_t, passed to every function; there
    is no global broker state (the only process-wide thing is czmq's
    interrupt flag, set by SIGINT/SIGTERM).                                */

#ifndef CIBUS_BROKER_H_INCLUDED
#define CIBUS_BROKER_H_INCLUDED

#include "store.h"

//  Defaults of the per-client bounds (see cibusd run --help).
#define BROKER_HANDSHAKE_DEFAULT 5000            /* msec to finish a handshake */
#define BROKER_PENDING_DEFAULT   4096            /* connections in their handshake at once */
#define BROKER_INFLIGHT_DEFAULT  (8 * 1024 * 1024) /* bytes a subscriber may have unpaid */

typedef struct {
    const char *data_dir; /* holds the database and the keypair (see datadir.h) */
    const char *bind;     /* e.g. tcp://127.0.0.1:5570; port * picks a free one */
    store_sync_t sync;
    int heartbeat_msec;   /* idle subscriptions get a Heartbeat this often; 0: the default */
    int handshake_msec;   /* a connection's handshake must end within; 0: the default */
    size_t max_pending;   /* connections in their handshake at once; 0: the default */
    uint64_t max_inflight; /* bytes delivered to a subscriber and not yet paid back by
                              credit; 0: the default */
    uint64_t quota_rate;  /* bytes a second one partner may publish; 0: no limit */
    uint64_t quota_total; /* bytes one partner may have stored; 0: no limit */
    uint64_t max_memory;  /* resident bytes past which broker_run stops; 0: no limit */
} broker_config_t;

typedef struct broker_t broker_t;

/* Take the data directory's lock, open the store, load the keypair and the
   registry, bind. NULL on failure, after logging why. */
broker_t *broker_new (const broker_config_t *config);
void broker_destroy (broker_t **self_p);

/* The endpoint actually bound (with the port a '*' resolved to). */
const char *broker_endpoint (broker_t *self);

/* Serve until SIGINT or SIGTERM. The batch being committed when the signal
   arrives is finished and acked before this returns. CIBUS_ERR_NOMEM when
   it stopped because the process grew past max_memory. */
cibus_err_t broker_run (broker_t *self);

#endif
