/*  fuzz_seeds.h - the world the dispatcher's fuzz target runs in, and the
    requests its seed corpus starts from.

    A fuzz input is one selector byte followed by one Request frame. The
    selector's low three bits pick who sends the frame: a registered
    partner of each role (FUZZ_HUB .. FUZZ_PIPE), a valid key that is not
    in the registry (FUZZ_STRANGER), or no key at all (FUZZ_NO_KEY). Its
    high five bits pick the connection it arrives on: one of 30 routing
    ids of the shape libzmq makes, an empty one, or one longer than the
    broker keeps for a subscription.

    The seeds are one valid request of every kind (a publish of each body,
    subscribe, credit, ping, status, a query of each kind) and a few the
    broker refuses. The fuzz target also replays them, in this order, into
    its store before the first input, so that every input meets a
    catalogue, values, notes, commitments and subscriptions; tests/fuzz/
    corpus/ holds the same bytes, one file per seed, written by
    `make fuzz-seeds`.                                                     */

#ifndef CIBUS_FUZZ_SEEDS_H_INCLUDED
#define CIBUS_FUZZ_SEEDS_H_INCLUDED

#include "codec.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

//  Who sends an input: the selector's low three bits.
typedef enum {
    FUZZ_HUB = 0,  /* backbone */
    FUZZ_ALICE,    /* partner in early-literacy */
    FUZZ_BOB,      /* partner in postsecondary */
    FUZZ_CAROL,    /* partner in both networks */
    FUZZ_FEED,     /* integrator in early-literacy */
    FUZZ_PIPE,     /* integrator in postsecondary */
    FUZZ_STRANGER, /* a valid key the registry does not hold */
    FUZZ_NO_KEY,   /* a connection without a key */
    FUZZ_SENDERS
} fuzz_sender_t;

#define FUZZ_REGISTERED  FUZZ_STRANGER /* senders before this one are in the registry */
#define FUZZ_SENDER_MASK 7

//  The connection: the selector's high five bits.
#define FUZZ_ROUTING_SHIFT 3
#define FUZZ_ROUTING_EMPTY 30 /* a routing id of no bytes */
#define FUZZ_ROUTING_LONG  31 /* over the 256 bytes a subscription keeps */
#define FUZZ_ROUTING_MAX   300

#define FUZZ_SELECTOR(sender, routing) ((uint8_t) ((sender) | (routing) << FUZZ_ROUTING_SHIFT))

typedef struct {
    const char *name;
    role_t role;
    const char *networks [3]; /* NULL-terminated */
} fuzz_partner_t;

/* The registry the target sets up, indexed by fuzz_sender_t. */
extern const fuzz_partner_t fuzz_partners [FUZZ_REGISTERED];

/* The sender a selector names. */
fuzz_sender_t fuzz_sender (uint8_t selector);

/* The routing id a selector names, written into routing (FUZZ_ROUTING_MAX
   bytes); returns its size. */
size_t fuzz_routing (uint8_t selector, uint8_t *routing);

/* How many seeds there are. */
size_t fuzz_seed_count (void);

/* Seed number index: its file name, its selector, and its Request encoded
   into request. Returns CIBUS_OK or NOMEM. */
cibus_err_t fuzz_seed_pack (size_t index, const char **name, uint8_t *selector,
                            codec_buf_t *request);

#endif
