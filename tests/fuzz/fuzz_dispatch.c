/*  fuzz_dispatch.c - libFuzzer target for the broker's request dispatcher.

    One broker, made once, on a data directory in a scratch directory: the
    same decode, validation, access control and store (a real SQLite file)
    as a request that arrived on the ROUTER, without the socket's CURVE
    handshake in front. Each input is one selector byte and one Request
    frame (fuzz_seeds.h): the selector says which key sent the frame and
    on which connection; broker_dispatch handles the frame, broker_flush
    commits the batch, acks, and moves every cursor. Replies go to routing
    ids with no connection behind them and are dropped.

    The broker's state carries over from one input to the next, as it does
    from one request to the next in cibusd: the log grows, a subscription
    made by one input is credited by another. Most crashes need only their
    own input; one that does not reproduce alone needs the inputs before
    it, which libFuzzer replays in the order given when it is given files:

        make fuzz                      FUZZ_SECONDS (600) with the corpus
        make fuzz-check                the short run `make check` does
        TMPDIR=build/fuzz CIBUS_LOG=debug build/fuzz/fuzz-dispatch CRASH
                                       replay one input, with the broker's log
        build/fuzz/fuzz-dispatch $(ls -d build/fuzz/corpus/?*) CRASH
                                       replay it after the whole corpus

    The scratch directory is made under $TMPDIR (the Makefile points it into
    build/fuzz/) and removed at exit. libFuzzer gives its target no context
    to carry, so the broker lives in this file's one static struct: the only
    global state, and in the test, not the broker.                        */

#include "broker_internal.h"
#include "cells.pb-c.h"
#include "codec.h"
#include "datadir.h"
#include "fuzz_seeds.h"
#include "harness.h"
#include "message_same.h"
#include "unpack.h"

#include <czmq.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    char *dir;
    broker_t *broker;
    bool primed; /* the seeds have been replayed */
    char keys [FUZZ_REGISTERED + 1][STORE_KEY_LEN + 1]; /* by sender; the stranger's last */
} s_fuzz;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_teardown (void)
{
    broker_destroy (&s_fuzz.broker);
    harness_rmtree (s_fuzz.dir);
    free (s_fuzz.dir);
    s_fuzz.dir = NULL;
}

//  Set-up cannot go on without its world: say why and stop the run.
static void
s_fail (const char *what)
{
    fprintf (stderr, "fuzz-dispatch: cannot set up: %s\n", what);
    exit (1);
}

//  The partners each integrator submits tables for (`--feeds`): feed
//  those of early-literacy, pipe those of postsecondary.
static const struct {
    fuzz_sender_t integrator;
    const char *feeds [3];
} s_feeds [] = {
    {FUZZ_FEED, {"alice", "carol", NULL}},
    {FUZZ_PIPE, {"bob", "carol", NULL}},
};

//  What `cibusd init` and `cibusd partner add` do, for every partner of
//  the registry, each with a fresh keypair.
static void
s_registry (void)
{
    char error [512], path [PATH_MAX];
    bool created;
    if (datadir_init (s_fuzz.dir, &created, error, sizeof error))
        s_fail (error);
    if (!datadir_path (s_fuzz.dir, DATADIR_DB, path, sizeof path))
        s_fail ("the scratch directory's path is too long");
    store_t *store = store_new (path, STORE_SYNC_NORMAL);
    if (!store)
        s_fail ("the store would not open (see the line above)");
    for (size_t i = 0; i <= FUZZ_REGISTERED; i++) {
        char secret [STORE_KEY_LEN + 1];
        if (zmq_curve_keypair (s_fuzz.keys [i], secret) != 0)
            s_fail ("libzmq cannot make CURVE keypairs");
    }
    for (size_t i = 0; i < FUZZ_REGISTERED; i++) {
        const fuzz_partner_t *partner = &fuzz_partners [i];
        size_t count = 0;
        while (partner->networks [count])
            count++;
        if (store_partner_add (store, partner->name, s_fuzz.keys [i], partner->role,
                               partner->networks, count))
            s_fail ("a partner could not be registered (see the line above)");
    }
    for (size_t i = 0; i < sizeof s_feeds / sizeof s_feeds [0]; i++) {
        size_t count = 0;
        while (s_feeds [i].feeds [count])
            count++;
        if (store_partner_add_feeds (store, fuzz_partners [s_feeds [i].integrator].name,
                                     s_feeds [i].feeds, count))
            s_fail ("an integrator's feeds could not be registered (see the line above)");
    }
    store_destroy (&store);
}

static void
s_dispatch (uint8_t selector, const void *frame, size_t size)
{
    uint8_t routing [FUZZ_ROUTING_MAX];
    size_t routing_size = fuzz_routing (selector, routing);
    fuzz_sender_t sender = fuzz_sender (selector);
    const char *key = sender == FUZZ_NO_KEY ? NULL : s_fuzz.keys [sender];
    broker_dispatch (s_fuzz.broker, routing, routing_size, key, frame, size);
    broker_flush (s_fuzz.broker);
}

static void
s_replay_seeds (void)
{
    codec_buf_t request = {0};
    for (size_t i = 0; i < fuzz_seed_count (); i++) {
        const char *name;
        uint8_t selector;
        if (fuzz_seed_pack (i, &name, &selector, &request))
            s_fail ("out of memory");
        s_dispatch (selector, request.data, request.size);
    }
    codec_buf_release (&request);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc, (void) argv;
    //  libFuzzer handles SIGINT itself; czmq's chatter would only add noise.
    //  czmq registers its own atexit shutdown in zsys_init: ours must be
    //  registered after it so that it runs before it, while the broker's
    //  sockets can still be closed.
    zsys_handler_set (NULL);
    zsys_init ();
    zsys_set_logstream (NULL);
    if (atexit (s_teardown) != 0)
        s_fail ("atexit refused the teardown");
    if (!(s_fuzz.dir = harness_tmpdir ()))
        s_fail ("no scratch directory under $TMPDIR");
    s_registry ();
    //  Normal sync: an fsync per input would make the run slow without
    //  testing anything more (a crash here is never a power loss).
    broker_config_t config = {
        .data_dir = s_fuzz.dir, .bind = "tcp://127.0.0.1:*", .sync = STORE_SYNC_NORMAL};
    if (!(s_fuzz.broker = broker_new (&config)))
        s_fail ("the broker would not start (see the line above)");
    return 0;
}

//  The one-pass encoder (proto/pack.c) writes what protobuf-c writes for
//  whatever a request decodes to, unknown fields and all; abort if not.
static void
s_same_encoding (const uint8_t *data, size_t size)
{
    request_t *request = codec_request_decode (data, size);
    if (!request)
        return;
    codec_buf_t buf = {0};
    size_t packed = protobuf_c_message_get_packed_size (&request->base);
    uint8_t *theirs = malloc (packed ? packed : 1);
    if (!theirs || protobuf_c_message_pack (&request->base, theirs) != packed
        || codec_pack_request (request, &buf) != CIBUS_OK || buf.size != packed
        || (packed && memcmp (buf.data, theirs, packed) != 0)) {
        fprintf (stderr, "fuzz-dispatch: codec_pack_request differs from protobuf-c\n");
        abort ();
    }
    free (theirs);
    codec_buf_release (&buf);
    codec_request_free (request);
}

//  The one-pass decoder (proto/unpack.c) decodes any bytes as protobuf-c
//  does, or leaves them to it; abort if it decodes them otherwise. Each
//  type a frame is decoded as, and a table's stored cells.
static void
s_same_decoding (const uint8_t *data, size_t size)
{
    static const ProtobufCMessageDescriptor *const roots [] = {
        &cibus__request__descriptor, &cibus__reply__descriptor, &cibus__envelope__descriptor,
        &cibus_store__stored_cells__descriptor};
    for (size_t i = 0; i < sizeof roots / sizeof roots [0]; i++) {
        bool nul = false;
        ProtobufCMessage *ours = unpack_message (roots [i], NULL, size, data, &nul);
        if (!ours)
            continue;
        ProtobufCMessage *theirs = protobuf_c_message_unpack (roots [i], NULL, size, data);
        const char *difference = message_same (ours, theirs);
        //  A NUL in a request's or an envelope's string is seen as the
        //  search of its bytes sees it, which the decode's note replaces.
        codec_problem_t problem;
        bool searched = i == 0   ? codec_validate_request_bytes (NULL, data, size, &problem, NULL)
                                       != CIBUS_OK
                        : i == 2 ? codec_validate_envelope_bytes (NULL, data, size, &problem)
                                       != CIBUS_OK
                                 : nul;
        if (!difference && nul != searched)
            difference = "a NUL in a string seen by one and not the other";
        if (difference) {
            fprintf (stderr, "fuzz-dispatch: unpack_message differs from protobuf-c: %s\n", difference);
            abort ();
        }
        protobuf_c_message_free_unpacked (ours, NULL);
        protobuf_c_message_free_unpacked (theirs, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  The seeds are replayed before the first input rather than in
    //  LLVMFuzzerInitialize: by then libFuzzer has closed the target's
    //  stderr when asked to (-close_fd_mask=2), so the broker's log lines
    //  for them are formatted, as every later one, but not shown.
    if (!s_fuzz.primed) {
        s_replay_seeds ();
        s_fuzz.primed = true;
    }
    if (size == 0)
        return 0;
    s_dispatch (data [0], data + 1, size - 1);
    s_same_encoding (data + 1, size - 1);
    s_same_decoding (data + 1, size - 1);
    return 0;
}
