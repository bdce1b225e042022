/*  test_broker.c - a real cibusd driven through the client library:
    durability across kill -9, dedupe, group commit, cursors and credit,
    access control, data tables (the masked copy a reader other than the
    owner gets, the same bytes live and on replay; an integrator's tables
    on behalf of a partner), refusals of bad input, shutdown and restart. */

#include "cibus_wire.h"
#include "codec.h"
#include "harness.h"
#include "proxy.h"
#include "store.h"

#include <czmq.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define S_TIMEOUT 10000

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

//  ---------------------------------------------------------------- helpers

//  One update, ready to publish: a meeting note, which needs no indicator
//  catalogue (test_shared covers data against the catalogue). The strings
//  are static or the struct's own.
typedef struct {
    cibus_envelope_t env;
    Cibus__MeetingNote note;
    Cibus__DataSubmission data;
    Cibus__DataCell total;
    char title [64];
    char topic [160];
    char id [64];
} s_update_t;

static void
s_update_init (s_update_t *update, const char *network, const char *id, double value)
{
    cibus__envelope__init (&update->env);
    cibus__meeting_note__init (&update->note);
    snprintf (update->topic, sizeof update->topic, "%s/note", network);
    update->env.topic = update->topic;
    if (id) {
        snprintf (update->id, sizeof update->id, "%s", id);
        update->env.id = update->id;
    }
    snprintf (update->title, sizeof update->title, "meeting %g", value);
    update->note.title = update->title;
    update->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    update->env.note = &update->note;
}

//  A data table of a total alone, for the refusals the codec makes before
//  any catalogue.
static void
s_data_init (s_update_t *update, const char *network, const char *id, double value)
{
    s_update_init (update, network, id, value);
    snprintf (update->topic, sizeof update->topic, "%s/data", network);
    cibus__data_submission__init (&update->data);
    cibus__data_cell__init (&update->total);
    update->data.indicator = "k3-reading";
    update->data.period = "2026-Q3";
    update->total.has_value = true;
    update->total.value = value;
    update->data.total = &update->total;
    update->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    update->env.data = &update->data;
}

//  Every entry this connection has been sent up to now: a Status request
//  answers after every delivery the broker sent before it, on the same
//  connection, so what is queued then is all there is.
static size_t
s_take_all (cibus_t *client, uint64_t *seqs, size_t max)
{
    cibus_status_t status;
    assert_int_equal (cibus_status (client, &status), CIBUS_OK);
    size_t count = 0;
    cibus_envelope_t *env;
    while (count < max && cibus_next (client, 0, &env) == CIBUS_OK) {
        seqs [count++] = env->seq;
        cibus_envelope_free (env);
    }
    return count;
}

static uint64_t
s_last_seq (cibus_t *client)
{
    cibus_status_t status;
    assert_int_equal (cibus_status (client, &status), CIBUS_OK);
    return status.last_seq;
}

//  Acks of async publishes whose ids are "k-<index>", as flags by index.
#define S_MAX_IDS 4096
typedef struct {
    bool acked [S_MAX_IDS];
    size_t acks;
    size_t refusals;
} s_acks_t;

static void
s_on_ack (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    (void) message;
    s_acks_t *acks = arg;
    if (err) {
        acks->refusals++;
        return;
    }
    unsigned index = (unsigned) strtoul (ack->id + 2, NULL, 10);
    if (index < S_MAX_IDS && !acks->acked [index]) {
        acks->acked [index] = true;
        acks->acks++;
    }
}

static void
s_publish_async (cibus_t *client, size_t from, size_t count)
{
    for (size_t i = from; i < from + count; i++) {
        s_update_t update;
        char id [32];
        snprintf (id, sizeof id, "k-%zu", i);
        s_update_init (&update, "early-literacy", id, (double) i);
        assert_int_equal (cibus_publish_async (client, &update.env), CIBUS_OK);
    }
}

//  Read the whole log from seq 1 as the backbone and check that it is
//  1..last with no gap, and that every acked id is in it exactly once.
static void
s_check_log (harness_world_t *world, const s_acks_t *acks, size_t ids, bool exactly_acked)
{
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_non_null (hub);
    uint64_t last = s_last_seq (hub);
    assert_true (last >= acks->acks);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 1000, NULL), CIBUS_OK);
    unsigned *seen = calloc (ids, sizeof (unsigned));
    for (uint64_t seq = 1; seq <= last; seq++) {
        cibus_envelope_t *env;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        unsigned index = (unsigned) strtoul (env->id + 2, NULL, 10);
        assert_true (index < ids);
        seen [index]++;
        cibus_envelope_free (env);
    }
    for (size_t i = 0; i < ids; i++) {
        assert_true (seen [i] <= 1);
        if (acks->acked [i])
            assert_int_equal (seen [i], 1);
        else if (exactly_acked)
            assert_int_equal (seen [i], 0);
    }
    free (seen);
    cibus_destroy (&hub);
}

//  ---------------------------------------------------------------- durability

//  A reader that only ever asks with a timeout of 0, polling in a loop of
//  its own, still follows its connection being cut: the library reads the
//  new connection's handshake, opens the cursor again on it, and what was
//  published meanwhile is delivered.
static void
test_broker_a_reader_asking_without_waiting_follows_a_reconnect (void **state)
{
    harness_world_t *world = *state;
    proxy_t *proxy = proxy_new (world->broker.endpoint);
    assert_non_null (proxy);
    char broker_cert [PATH_MAX + 16], error [512];
    snprintf (broker_cert, sizeof broker_cert, "%s/broker", world->data);
    cibus_config_t config = {proxy_endpoint (proxy), broker_cert, world->hub, S_TIMEOUT};
    cibus_t *hub = cibus_new (&config, error, sizeof error);
    assert_non_null (hub);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_non_null (alice);
    s_update_t update;
    cibus_ack_t ack;
    s_update_init (&update, "early-literacy", "before-cut", 1);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 64, NULL), CIBUS_OK);
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
    assert_string_equal (env->id, "before-cut");
    cibus_envelope_free (env);
    assert_true (proxy_cut (proxy) >= 1);
    s_update_init (&update, "early-literacy", "after-cut", 2);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    //  Asked without waiting, as a reader with a loop of its own asks,
    //  until the entry comes or the deadline passes.
    int64_t until = zclock_mono () + S_TIMEOUT;
    cibus_err_t err;
    env = NULL;
    while ((err = cibus_next (hub, 0, &env)) == CIBUS_ERR_TIMEOUT && zclock_mono () < until)
        zclock_sleep (5);
    assert_int_equal (err, CIBUS_OK);
    assert_string_equal (env->id, "after-cut");
    cibus_envelope_free (env);
    cibus_destroy (&hub);
    cibus_destroy (&alice);
    proxy_destroy (&proxy);
}

static void
test_broker_acked_updates_survive_kill_9 (void **state)
{
    harness_world_t *world = *state;
    s_acks_t *acks = calloc (1, sizeof *acks);
    cibus_t *alice = harness_client (world, world->alice, 2000);
    assert_non_null (alice);
    cibus_set_ack_handler (alice, s_on_ack, acks);
    cibus_set_window (alice, 200);
    s_publish_async (alice, 0, 1200);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_int_equal (acks->acks, 1200);

    //  A second wave, killed while acks are still coming.
    s_publish_async (alice, 1200, 600);
    assert_int_equal (cibus_drain (alice, 500), CIBUS_OK);
    assert_true (harness_broker_stop (&world->broker, SIGKILL) != 0);
    cibus_destroy (&alice);
    assert_true (acks->acks >= 1300);
    assert_int_equal (acks->refusals, 0);

    assert_true (harness_broker_start (&world->broker, world->data, NULL));
    s_check_log (world, acks, 1800, false);
    free (acks);
}

static void
test_broker_sigterm_acks_the_commit_in_flight_and_restart_continues (void **state)
{
    harness_world_t *world = *state;
    s_acks_t *acks = calloc (1, sizeof *acks);
    cibus_t *alice = harness_client (world, world->alice, 1500);
    assert_non_null (alice);
    cibus_set_ack_handler (alice, s_on_ack, acks);
    cibus_set_window (alice, 100);
    //  Publish a stream and stop the broker in the middle of it; the
    //  stream goes on until the publisher notices the broker is gone.
    size_t published = 0;
    cibus_err_t err = CIBUS_OK;
    for (; err == CIBUS_OK && published < 4000; published++) {
        if (published == 300)
            assert_int_equal (kill (world->broker.pid, SIGTERM), 0);
        s_update_t update;
        char id [32];
        snprintf (id, sizeof id, "k-%zu", published);
        s_update_init (&update, "early-literacy", id, 1);
        err = cibus_publish_async (alice, &update.env);
    }
    int status = harness_broker_stop (&world->broker, SIGTERM);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  Every ack the broker sent before closing still arrives; the rest
    //  time out (the broker never read them, so never stored them).
    cibus_flush (alice);
    cibus_destroy (&alice);
    assert_true (acks->acks >= 200);
    assert_true (acks->acks < published);
    assert_int_equal (acks->refusals, 0);

    char endpoint_file [4200];
    snprintf (endpoint_file, sizeof endpoint_file, "%s/cibusd.endpoint", world->data);
    assert_int_equal (access (endpoint_file, F_OK), -1);

    assert_true (harness_broker_start (&world->broker, world->data, NULL));
    //  Stored exactly what was acked: nothing acked is lost, nothing stored
    //  went unacked.
    s_check_log (world, acks, 4000, true);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    uint64_t last = s_last_seq (hub);
    assert_int_equal (last, acks->acks);
    s_update_t update;
    s_update_init (&update, "early-literacy", "after-restart", 1);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (hub, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, last + 1);
    cibus_destroy (&hub);

    status = harness_broker_stop (&world->broker, SIGINT);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    char db [4200];
    snprintf (db, sizeof db, "%s/cibus.db", world->data);
    store_t *store = store_new (db, STORE_SYNC_FULL);
    assert_non_null (store);
    assert_int_equal (store_check_integrity (store), CIBUS_OK);
    assert_int_equal (store_last_seq (store), last + 1);
    store_destroy (&store);
    free (acks);
}

//  ---------------------------------------------------------------- idempotence

static void
test_broker_duplicate_publish_acks_the_first_seq (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *bob = harness_client (world, world->bob, S_TIMEOUT);
    s_update_t update;
    cibus_ack_t ack;
    s_update_init (&update, "early-literacy", "export-7", 61.5);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    assert_false (ack.duplicate);
    s_update_init (&update, "early-literacy", "export-7", 99); //  same id, other value
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    assert_true (ack.duplicate);
    assert_string_equal (ack.id, "export-7");

    //  Another partner's id space is its own.
    s_update_init (&update, "postsecondary", "export-7", 12);
    assert_int_equal (cibus_publish (bob, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    assert_false (ack.duplicate);

    //  Twice in the same batch: stored once, both acked with its seq.
    s_acks_t *acks = calloc (1, sizeof *acks);
    cibus_set_ack_handler (alice, s_on_ack, acks);
    s_publish_async (alice, 5, 1);
    s_publish_async (alice, 5, 1);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_int_equal (acks->refusals, 0);
    cibus_status_t status;
    assert_int_equal (cibus_status (alice, &status), CIBUS_OK);
    assert_int_equal (status.last_seq, 3);
    assert_int_equal (status.appended, 3);
    free (acks);
    cibus_destroy (&alice);
    cibus_destroy (&bob);
}

//  ---------------------------------------------------------------- group commit

#define S_PUBLISHERS 16

static void
test_broker_concurrent_publishers_share_transactions (void **state)
{
    harness_world_t *world = *state;
    cibus_t *clients [S_PUBLISHERS];
    for (size_t i = 0; i < S_PUBLISHERS; i++) {
        clients [i] = harness_client (world, world->alice, S_TIMEOUT);
        assert_int_equal (cibus_ping (clients [i], NULL, 0, NULL, 0), CIBUS_OK);
    }
    //  Freeze the broker so that every publish is waiting when it resumes,
    //  as they would be under load while it fsyncs.
    assert_int_equal (kill (world->broker.pid, SIGSTOP), 0);
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        s_publish_async (clients [i], i, 1);
    assert_int_equal (kill (world->broker.pid, SIGCONT), 0);
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        assert_int_equal (cibus_flush (clients [i]), CIBUS_OK);
    cibus_status_t status;
    assert_int_equal (cibus_status (clients [0], &status), CIBUS_OK);
    assert_int_equal (status.appended, S_PUBLISHERS);
    assert_int_equal (status.last_seq, S_PUBLISHERS);
    assert_true (status.transactions < S_PUBLISHERS);
    for (size_t i = 0; i < S_PUBLISHERS; i++)
        cibus_destroy (&clients [i]);
}

//  The seqs of one publisher's acks, in the order they arrived.
typedef struct {
    uint64_t seqs [S_MAX_IDS];
    size_t count;
    size_t refusals;
} s_ack_order_t;

static void
s_on_ack_order (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    (void) message;
    s_ack_order_t *order = arg;
    if (err)
        order->refusals++;
    else if (order->count < S_MAX_IDS)
        order->seqs [order->count++] = ack->seq;
}

static void *s_storm (void *arg);

typedef struct {
    harness_world_t *world;
    size_t from;
    size_t count;
    int result;
} s_storm_t;

//  Two publishers of count updates each, from ids first and first + count,
//  on threads of their own (s_storm); s_storms_join waits for both.
typedef struct {
    s_storm_t storms [2];
    pthread_t threads [2];
} s_storms_t;

static void
s_storms_start (s_storms_t *self, harness_world_t *world, size_t first, size_t count)
{
    for (size_t i = 0; i < 2; i++) {
        self->storms [i] = (s_storm_t){world, first + i * count, count, -1};
        assert_int_equal (pthread_create (&self->threads [i], NULL, s_storm, &self->storms [i]),
                          0);
    }
}

static void
s_storms_join (s_storms_t *self)
{
    for (size_t i = 0; i < 2; i++) {
        pthread_join (self->threads [i], NULL);
        assert_int_equal (self->storms [i].result, 0);
    }
}

//  Acks follow commits, and commits follow one another: a publisher with
//  many in flight, while others publish too (so that the writer goes on
//  from one batch to the next by itself, and batches finish while the
//  reactor is acking the one before), is acked once for each, each after
//  the one stored before it.
static void
test_broker_acks_of_a_pipelined_publisher_come_in_commit_order (void **state)
{
    harness_world_t *world = *state;
    s_storms_t storms;
    s_storms_start (&storms, world, 3000, 500);
    s_ack_order_t *order = calloc (1, sizeof *order);
    assert_non_null (order);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_set_ack_handler (alice, s_on_ack_order, order);
    cibus_set_window (alice, 1000);
    s_publish_async (alice, 0, 3000);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    s_storms_join (&storms);
    assert_int_equal (order->refusals, 0);
    assert_int_equal (order->count, 3000);
    for (size_t i = 1; i < order->count; i++)
        assert_true (order->seqs [i - 1] < order->seqs [i]);
    cibus_status_t status;
    assert_int_equal (cibus_status (alice, &status), CIBUS_OK);
    assert_int_equal (status.last_seq, 4000);
    assert_int_equal (status.appended, 4000);
    free (order);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- cursors

static void *
s_storm (void *arg)
{
    s_storm_t *storm = arg;
    cibus_t *alice = harness_client (storm->world, storm->world->alice, S_TIMEOUT);
    storm->result = -1;
    if (!alice)
        return NULL;
    cibus_set_window (alice, 100);
    bool ok = true;
    for (size_t i = storm->from; ok && i < storm->from + storm->count; i++) {
        s_update_t update;
        char id [32];
        snprintf (id, sizeof id, "k-%zu", i);
        s_update_init (&update, "early-literacy", id, (double) i);
        ok = cibus_publish_async (alice, &update.env) == CIBUS_OK;
    }
    storm->result = ok && cibus_flush (alice) == CIBUS_OK ? 0 : -1;
    cibus_destroy (&alice);
    return NULL;
}

static void
test_broker_replay_during_a_storm_is_exactly_once_in_order (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 0, 1000);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);

    s_storm_t storm = {world, 1000, 2000, -1};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_storm, &storm), 0);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    uint64_t next_seq = 0;
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 64, &next_seq), CIBUS_OK);
    assert_int_equal (next_seq, 1);
    for (uint64_t seq = 1; seq <= 3000; seq++) {
        cibus_envelope_t *env;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        cibus_envelope_free (env);
    }
    pthread_join (thread, NULL);
    assert_int_equal (storm.result, 0);
    uint64_t extra [8];
    assert_int_equal (s_take_all (hub, extra, 8), 0);
    assert_int_equal (s_last_seq (hub), 3000);
    cibus_destroy (&hub);
}

static void
test_broker_tail_cli_during_a_storm_is_exactly_once_in_order (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 0, 500);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);

    s_storm_t storm = {world, 500, 1500, -1};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_storm, &storm), 0);
    char *out, *err;
    int rc = harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from", "1",
                            "--count", "2000", "--json", NULL);
    pthread_join (thread, NULL);
    assert_int_equal (rc, 0);
    assert_int_equal (storm.result, 0);
    assert_int_equal (harness_count (out, "\n"), 2000);
    char *line = out;
    for (unsigned seq = 1; seq <= 2000; seq++) {
        char expect [32];
        snprintf (expect, sizeof expect, "{\"seq\":%u,", seq);
        assert_memory_equal (line, expect, strlen (expect));
        line = strchr (line, '\n') + 1;
    }
    free (out), free (err);
}

//  A subscription lives on a connection; when the broker restarts, the
//  library opens it again where it was, and nothing is lost or repeated.
static void
test_broker_subscription_survives_a_broker_restart (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 0, 0, NULL), CIBUS_OK);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 0, 1);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);
    cibus_envelope_t *env;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
    assert_int_equal (env->seq, 1);
    cibus_envelope_free (env);

    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    //  The same data directory, on another port: the endpoint is the
    //  client's to keep, so start it on the same one.
    char bind [300];
    snprintf (bind, sizeof bind, "%s", world->broker.endpoint);
    const char *extra [] = {"--bind", bind, NULL};
    assert_true (harness_broker_start (&world->broker, world->data, extra));
    alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 1, 2);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        cibus_envelope_free (env);
    }
    cibus_destroy (&hub);
}

//  Readers one after the other, each on a new connection that likely gets
//  the descriptor the one before had: each replays the whole log. What the
//  broker counted of an earlier connection (bytes sent to it, which pace
//  what it sends) must not carry over to the next.
static void
test_broker_readers_in_turn_each_replay_everything (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    static char body [60 * 1024];
    memset (body, 'b', sizeof body - 1);
    for (int i = 0; i < 40; i++) {
        s_update_t update;
        s_update_init (&update, "citywide", NULL, i);
        update.note.body = body;
        cibus_ack_t ack;
        assert_int_equal (cibus_publish (hub, &update.env, &ack), CIBUS_OK);
    }
    cibus_destroy (&hub);
    for (int reader = 0; reader < 3; reader++) {
        hub = harness_client (world, world->hub, S_TIMEOUT);
        assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
        for (uint64_t seq = 1; seq <= 40; seq++) {
            cibus_envelope_t *env;
            assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
            assert_int_equal (env->seq, seq);
            cibus_envelope_free (env);
        }
        cibus_destroy (&hub);
    }
}

//  A second Subscribe replaces the cursor: nothing of the first one is
//  returned after it.
static void
test_broker_subscribing_again_starts_the_new_cursor_cleanly (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 0, 20);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 10, NULL), CIBUS_OK);
    cibus_envelope_t *env;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
    assert_int_equal (env->seq, 1);
    cibus_envelope_free (env);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 15, 10, NULL), CIBUS_OK);
    for (uint64_t seq = 15; seq <= 20; seq++) {
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        cibus_envelope_free (env);
    }
    cibus_destroy (&hub);
}

//  An ack that comes after its synchronous publish gave up waiting does not
//  stand for an asynchronous publish still in flight.
static void
test_broker_late_ack_of_a_timed_out_publish_is_not_taken_for_another (void **state)
{
    harness_world_t *world = *state;
    s_acks_t *acks = calloc (1, sizeof *acks);
    cibus_t *alice = harness_client (world, world->alice, 1000);
    assert_int_equal (cibus_ping (alice, NULL, 0, NULL, 0), CIBUS_OK);
    cibus_set_ack_handler (alice, s_on_ack, acks);
    assert_int_equal (kill (world->broker.pid, SIGSTOP), 0);
    s_update_t update;
    s_update_init (&update, "early-literacy", "k-7", 7);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_ERR_TIMEOUT);
    s_publish_async (alice, 3, 1); //  k-3
    assert_int_equal (kill (world->broker.pid, SIGCONT), 0);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_true (acks->acked [3]);
    assert_false (acks->acked [7]);
    assert_int_equal (acks->acks, 1);
    cibus_destroy (&alice);
    free (acks);
}

static void
test_broker_stalled_subscriber_is_sent_no_more_than_its_credit (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 0, 10, NULL), CIBUS_OK);
    assert_int_equal (cibus_hold_credit (hub, true), CIBUS_OK);

    //  The publisher is acked in full while the subscriber reads nothing.
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_publish_async (alice, 0, 300);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    cibus_destroy (&alice);

    //  Every entry is committed, but not every delivery need have gone
    //  out yet (a subscriber's first frame waits a turn for its next,
    //  PROTOCOL.md 4.3): take them until the credit's worth has come.
    uint64_t seqs [400];
    size_t count = 0;
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    while (count < 10 && harness_now_msec () < until)
        count += s_take_all (hub, seqs + count, 400 - count);
    assert_int_equal (count, 10);
    for (size_t i = 0; i < count; i++)
        assert_int_equal (seqs [i], i + 1);
    //  Still nothing more while the credit is held.
    assert_int_equal (s_take_all (hub, seqs, 400), 0);

    //  Granting credit again resumes where it stopped.
    assert_int_equal (cibus_hold_credit (hub, false), CIBUS_OK);
    for (uint64_t seq = 11; seq <= 300; seq++) {
        cibus_envelope_t *env;
        assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, seq);
        cibus_envelope_free (env);
    }
    cibus_destroy (&hub);
}

//  ---------------------------------------------------------------- security

static void
test_broker_partners_read_only_their_networks_and_the_backbone_reads_all (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *bob = harness_client (world, world->bob, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *feed = harness_client (world, world->feed, S_TIMEOUT);
    s_update_t update;
    cibus_ack_t ack;
    s_update_init (&update, "early-literacy", NULL, 1);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK); //  1
    s_update_init (&update, "postsecondary", NULL, 2);
    assert_int_equal (cibus_publish (bob, &update.env, &ack), CIBUS_OK); //  2
    s_update_init (&update, "early-literacy", NULL, 3);
    assert_int_equal (cibus_publish (hub, &update.env, &ack), CIBUS_OK); //  3
    s_update_init (&update, "citywide", NULL, 4);
    assert_int_equal (cibus_publish (hub, &update.env, &ack), CIBUS_OK); //  4

    uint64_t seqs [8];
    assert_int_equal (cibus_subscribe (alice, NULL, 0, 1, 0, NULL), CIBUS_OK);
    assert_int_equal (s_take_all (alice, seqs, 8), 2);
    assert_int_equal (seqs [0], 1);
    assert_int_equal (seqs [1], 3);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
    assert_int_equal (s_take_all (hub, seqs, 8), 4);

    const char *other [] = {"early-literacy/"};
    assert_int_equal (cibus_subscribe (bob, other, 1, 1, 0, NULL), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (bob), "partner 'bob' may not read network "
                                            "'early-literacy': it is not one of its networks");
    assert_string_equal (cibus_error_field (bob), "prefixes");

    assert_int_equal (cibus_subscribe (feed, NULL, 0, 1, 0, NULL), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (feed), "integrator 'feed' reads nothing but its own acks");

    Cibus__ActionCommitment commitment = CIBUS__ACTION_COMMITMENT__INIT;
    commitment.action = "anything";
    commitment.due = "2026-12-15";
    update.env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    update.env.commitment = &commitment;
    snprintf (update.topic, sizeof update.topic, "early-literacy/commitment");
    update.env.id = NULL;
    assert_int_equal (cibus_publish (feed, &update.env, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (feed), "integrator 'feed' may publish data submissions "
                                             "only, not a commitment");
    assert_int_equal (s_last_seq (hub), 4);
    cibus_destroy (&alice);
    cibus_destroy (&bob);
    cibus_destroy (&hub);
    cibus_destroy (&feed);
}

static void
test_broker_partner_name_and_seq_come_from_the_broker (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    s_update_t update;
    cibus_ack_t ack;
    s_update_init (&update, "early-literacy", "spoof", 1);
    update.env.partner = "bob";
    update.env.has_seq = true;
    update.env.seq = 999;
    update.env.has_received_at = true;
    update.env.received_at = 1;
    int64_t before = zclock_time () * 1000;
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 1, 0, NULL), CIBUS_OK);
    cibus_envelope_t *env;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &env), CIBUS_OK);
    assert_string_equal (env->partner, "alice");
    assert_int_equal (env->seq, 1);
    assert_true (env->received_at >= before - 1000);
    cibus_envelope_free (env);
    cibus_destroy (&alice);
    cibus_destroy (&hub);
}

static void
test_broker_plaintext_client_gets_no_service (void **state)
{
    harness_world_t *world = *state;
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    assert_non_null (plain);
    zsock_set_linger (plain, 0);
    assert_int_equal (zsock_connect (plain, "%s", world->broker.endpoint), 0);
    Cibus__Ping ping = CIBUS__PING__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_request (&request, &buf), CIBUS_OK);
    zsock_set_sndtimeo (plain, 1000);
    zmq_send (zsock_resolve (plain), buf.data, buf.size, 0);
    zpoller_t *poller = zpoller_new (plain, NULL);
    //  A bounded wait for an answer that must not come.
    assert_null (zpoller_wait (poller, 1500));
    zpoller_destroy (&poller);
    zsock_destroy (&plain);
    codec_buf_release (&buf);

    //  ...and the broker still serves everyone else.
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    char partner [64];
    assert_int_equal (cibus_ping (alice, partner, sizeof partner, NULL, 0), CIBUS_OK);
    assert_string_equal (partner, "alice");
    cibus_destroy (&alice);
}

static void
test_broker_forgets_a_subscriber_that_vanished (void **state)
{
    harness_world_t *world = *state;
    //  A broker that heartbeats idle subscriptions every 200 ms.
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    const char *extra [] = {"--heartbeat", "0.2", NULL};
    assert_true (harness_broker_start (&world->broker, world->data, extra));
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *reader = harness_client (world, world->alice, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (reader, NULL, 0, 0, 0, NULL), CIBUS_OK);
    cibus_status_t status;
    assert_int_equal (cibus_status (hub, &status), CIBUS_OK);
    assert_int_equal (status.subscriptions, 1);
    //  Heartbeats do not disturb a reader: nothing is delivered.
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (reader, 200, &env), CIBUS_ERR_TIMEOUT);
    cibus_destroy (&reader);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    while (status.subscriptions > 0 && harness_now_msec () < until)
        assert_int_equal (cibus_status (hub, &status), CIBUS_OK);
    assert_int_equal (status.subscriptions, 0);
    cibus_destroy (&hub);
}

static void
test_broker_removed_partner_is_refused_on_an_open_connection (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *reader = harness_client (world, world->alice, S_TIMEOUT);
    assert_int_equal (cibus_ping (alice, NULL, 0, NULL, 0), CIBUS_OK);
    assert_int_equal (cibus_subscribe (reader, NULL, 0, 0, 0, NULL), CIBUS_OK);
    char *out, *err;
    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "alice", NULL),
                      0);
    free (out), free (err);

    s_update_t update;
    cibus_ack_t ack;
    s_update_init (&update, "early-literacy", NULL, 1);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_ERR_UNKNOWN_KEY);
    assert_string_equal (cibus_error (alice), "this key is not in the partner registry: ask the "
                                              "backbone to register it");
    //  The open subscription is ended too.
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (reader, S_TIMEOUT, &env), CIBUS_ERR_UNKNOWN_KEY);
    assert_string_equal (cibus_error (reader), "this key was removed from the partner registry");
    cibus_destroy (&alice);
    cibus_destroy (&reader);
}

//  ---------------------------------------------------------------- data tables

//  k3-reading: a percent by quarter, broken down by race, used in
//  early-literacy. Published by the backbone.
static void
s_define_k3 (cibus_t *hub)
{
    char *dimensions [] = {"race"};
    char *races [] = {"asian", "black", "hispanic", "white"};
    char *networks [] = {"early-literacy"};
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    race.dimension = "race";
    race.n_categories = 4;
    race.categories = races;
    Cibus__DimensionCategories *lists [] = {&race};
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = "k3-reading";
    def.name = "3rd-grade reading proficiency";
    def.has_unit = def.has_direction = def.has_period_kind = true;
    def.unit = CIBUS__UNIT__PERCENT;
    def.direction = CIBUS__DIRECTION__UP;
    def.period_kind = CIBUS__PERIOD_KIND__QUARTER;
    def.n_dimensions = 1;
    def.dimensions = dimensions;
    def.n_categories = 1;
    def.categories = lists;
    def.n_networks = 1;
    def.networks = networks;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = "catalog/indicator";
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (hub, &env, &ack), CIBUS_OK);
}

//  The district's k3 result of issue 10: total 168/410, black 52/160,
//  hispanic 38/104, white 75/140 and asian 3/6, a cell under the minimum
//  size (10 by default).
static const struct {
    const char *race;
    uint64_t numerator, denominator;
} s_k3 [] = {{"black", 52, 160}, {"hispanic", 38, 104}, {"white", 75, 140}, {"asian", 3, 6}};
#define S_K3_CELLS (sizeof s_k3 / sizeof s_k3 [0])
#define S_K3_SMALL 3 /* asian */

typedef struct {
    cibus_envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total, cell [S_K3_CELLS];
    Cibus__DataCell *cells [S_K3_CELLS];
    Cibus__Dimension race [S_K3_CELLS];
    Cibus__Dimension *dimensions [S_K3_CELLS][1];
} s_table_t;

static void
s_table_init (s_table_t *table)
{
    memset (table, 0, sizeof *table);
    cibus__envelope__init (&table->env);
    cibus__data_submission__init (&table->data);
    cibus__data_cell__init (&table->total);
    table->env.topic = "early-literacy/data";
    table->env.id = "k3-2026-Q3";
    table->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    table->env.data = &table->data;
    table->data.indicator = "k3-reading";
    table->data.period = "2026-Q3";
    table->total.has_numerator = table->total.has_denominator = true;
    table->total.numerator = 168;
    table->total.denominator = 410;
    table->data.total = &table->total;
    for (size_t i = 0; i < S_K3_CELLS; i++) {
        cibus__dimension__init (&table->race [i]);
        table->race [i].key = "race";
        table->race [i].value = (char *) s_k3 [i].race;
        table->dimensions [i][0] = &table->race [i];
        cibus__data_cell__init (&table->cell [i]);
        table->cell [i].n_dimensions = 1;
        table->cell [i].dimensions = table->dimensions [i];
        table->cell [i].has_numerator = table->cell [i].has_denominator = true;
        table->cell [i].numerator = s_k3 [i].numerator;
        table->cell [i].denominator = s_k3 [i].denominator;
        table->cells [i] = &table->cell [i];
    }
    table->data.n_cells = S_K3_CELLS;
    table->data.cells = table->cells;
}

//  The next entry on a cursor, which must be the table at seq, and its
//  bytes. A delivery's envelope is the stored one byte for byte; decoded
//  and packed again by the same codec it is those bytes again, so two
//  deliveries are the same bytes exactly when these are.
static envelope_t *
s_next_table (cibus_t *client, uint64_t seq, codec_buf_t *bytes)
{
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (client, S_TIMEOUT, &env), CIBUS_OK);
    assert_int_equal (env->seq, seq);
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_DATA);
    assert_int_equal (codec_pack_envelope (env, bytes), CIBUS_OK);
    return env;
}

//  The whole table, as its owner and the backbone receive it.
static void
s_assert_whole (const envelope_t *env)
{
    const Cibus__DataSubmission *data = env->data;
    assert_string_equal (env->partner, "alice");
    assert_string_equal (data->owner, "alice");
    assert_true (data->has_version);
    assert_int_equal (data->version, 1);
    assert_false (data->has_masked && data->masked);
    assert_int_equal (data->total->numerator, 168);
    assert_int_equal (data->total->denominator, 410);
    assert_int_equal (data->n_cells, S_K3_CELLS);
    for (size_t i = 0; i < S_K3_CELLS; i++) {
        const Cibus__DataCell *cell = data->cells [i];
        assert_string_equal (cell->dimensions [0]->value, s_k3 [i].race);
        assert_false (cell->has_suppressed && cell->suppressed);
        assert_true (cell->has_numerator && cell->has_denominator);
        assert_int_equal (cell->numerator, s_k3 [i].numerator);
        assert_int_equal (cell->denominator, s_k3 [i].denominator);
    }
}

//  The masked copy: the small cell hidden without its numerator, value or
//  size, at least one other hidden as its complement (else the total less
//  the cells shown would give it), everything shown as sent.
static void
s_assert_masked (const envelope_t *env)
{
    const Cibus__DataSubmission *data = env->data;
    assert_string_equal (env->partner, "alice");
    assert_string_equal (data->owner, "alice");
    assert_int_equal (data->version, 1);
    assert_true (data->has_masked && data->masked);
    assert_false (data->has_superseded && data->superseded);
    assert_int_equal (data->n_cells, S_K3_CELLS);
    const Cibus__DataCell *small = data->cells [S_K3_SMALL];
    assert_string_equal (small->dimensions [0]->value, "asian");
    assert_true (small->has_disclosure);
    assert_int_equal (small->disclosure, CIBUS__DISCLOSURE__HIDDEN_SMALL);
    assert_true (small->has_suppressed && small->suppressed);
    assert_false (small->has_numerator);
    assert_false (small->has_value);
    assert_false (small->has_denominator);
    assert_false (small->has_n);
    size_t complements = 0;
    uint64_t shown = 0;
    for (size_t i = 0; i < S_K3_CELLS; i++) {
        const Cibus__DataCell *cell = data->cells [i];
        assert_string_equal (cell->dimensions [0]->value, s_k3 [i].race);
        assert_true (cell->has_disclosure);
        if (cell->disclosure == CIBUS__DISCLOSURE__SHOWN) {
            assert_int_equal (cell->numerator, s_k3 [i].numerator);
            assert_int_equal (cell->denominator, s_k3 [i].denominator);
            shown += cell->numerator;
            continue;
        }
        assert_true (cell->suppressed);
        assert_false (cell->has_numerator || cell->has_value);
        complements += cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT;
    }
    assert_true (complements >= 1);
    //  The total is shown, and what is hidden is more than the small cell.
    assert_int_equal (data->total->disclosure, CIBUS__DISCLOSURE__SHOWN);
    assert_int_equal (data->total->numerator, 168);
    assert_true (168 - shown > 3);
}

//  What a store read hands out, copied.
typedef struct {
    codec_buf_t whole, masked;
    char owner [64];
} s_stored_t;

static bool
s_keep_stored (const store_entry_t *entry, void *arg)
{
    s_stored_t *stored = arg;
    envelope_t *whole = codec_envelope_decode (entry->envelope, entry->size);
    envelope_t *masked = entry->masked ? codec_envelope_decode (entry->masked, entry->masked_size)
                                       : NULL;
    assert_non_null (whole);
    assert_non_null (masked);
    assert_int_equal (codec_pack_envelope (whole, &stored->whole), CIBUS_OK);
    assert_int_equal (codec_pack_envelope (masked, &stored->masked), CIBUS_OK);
    //  The store's bytes are the codec's: packing the decoded entry again
    //  gives them back.
    assert_int_equal (stored->whole.size, entry->size);
    assert_memory_equal (stored->whole.data, entry->envelope, entry->size);
    assert_int_equal (stored->masked.size, entry->masked_size);
    assert_memory_equal (stored->masked.data, entry->masked, entry->masked_size);
    snprintf (stored->owner, sizeof stored->owner, "%s", entry->owner ? entry->owner : "");
    codec_envelope_free (whole);
    codec_envelope_free (masked);
    return true;
}

#define assert_same_bytes(a, b) \
    do { \
        assert_int_equal ((a)->size, (b)->size); \
        assert_memory_equal ((a)->data, (b)->data, (a)->size); \
    } while (0)

//  Suppression is decided once, when the table is appended: a reader other
//  than the owner and the backbone receives the masked copy, live and on
//  replay, the same bytes each time; the owner and the backbone the whole
//  table.
static void
test_broker_a_reader_other_than_the_owner_gets_the_masked_copy_live_and_on_replay (void **state)
{
    harness_world_t *world = *state;
    //  carol: another partner of early-literacy, registered while the
    //  broker runs.
    const char *early [] = {"early-literacy", NULL};
    char carol_secret [4096];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early,
                                      carol_secret, sizeof carol_secret));
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *carol = harness_client (world, carol_secret, S_TIMEOUT);
    cibus_t *publisher = harness_client (world, world->alice, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1

    //  Live cursors, opened before the table exists.
    const char *tables [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (hub, tables, 1, 0, 0, NULL), CIBUS_OK);
    assert_int_equal (cibus_subscribe (alice, tables, 1, 0, 0, NULL), CIBUS_OK);
    assert_int_equal (cibus_subscribe (carol, tables, 1, 0, 0, NULL), CIBUS_OK);
    s_table_t table;
    s_table_init (&table);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (publisher, &table.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);

    codec_buf_t live = {0}, owner = {0}, backbone = {0}, again = {0};
    envelope_t *env = s_next_table (carol, 2, &live);
    s_assert_masked (env);
    cibus_envelope_free (env);
    env = s_next_table (alice, 2, &owner);
    s_assert_whole (env);
    cibus_envelope_free (env);
    env = s_next_table (hub, 2, &backbone);
    s_assert_whole (env);
    cibus_envelope_free (env);
    assert_same_bytes (&owner, &backbone);
    assert_true (live.size != owner.size || memcmp (live.data, owner.data, live.size) != 0);

    //  Replay, later, on a connection of its own: the same bytes.
    cibus_t *replay = harness_client (world, carol_secret, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (replay, tables, 1, 1, 0, NULL), CIBUS_OK);
    env = s_next_table (replay, 2, &again);
    cibus_envelope_free (env);
    assert_same_bytes (&again, &live);
    cibus_destroy (&replay);
    cibus_destroy (&hub);
    cibus_destroy (&alice);
    cibus_destroy (&carol);
    cibus_destroy (&publisher);

    //  After a restart the ring is empty and the replay comes from the
    //  store: the same bytes again, for carol and for the owner.
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    assert_true (harness_broker_start (&world->broker, world->data, NULL));
    replay = harness_client (world, carol_secret, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (replay, tables, 1, 1, 0, NULL), CIBUS_OK);
    env = s_next_table (replay, 2, &again);
    s_assert_masked (env);
    cibus_envelope_free (env);
    assert_same_bytes (&again, &live);
    cibus_destroy (&replay);
    alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_int_equal (cibus_subscribe (alice, tables, 1, 1, 0, NULL), CIBUS_OK);
    env = s_next_table (alice, 2, &again);
    cibus_envelope_free (env);
    assert_same_bytes (&again, &owner);
    cibus_destroy (&alice);

    //  What was delivered is what the store keeps: the entry and its masked
    //  copy, each encoded once, when the table was appended.
    assert_int_equal (harness_broker_stop (&world->broker, SIGTERM), 0);
    char db [4200];
    snprintf (db, sizeof db, "%s/cibus.db", world->data);
    store_t *store = store_new (db, STORE_SYNC_FULL);
    assert_non_null (store);
    s_stored_t stored = {0};
    size_t count = 0;
    assert_int_equal (store_read_from (store, 2, 1, s_keep_stored, &stored, &count), CIBUS_OK);
    assert_int_equal (count, 1);
    assert_string_equal (stored.owner, "alice");
    assert_same_bytes (&stored.whole, &owner);
    assert_same_bytes (&stored.masked, &live);
    store_destroy (&store);
    codec_buf_release (&stored.whole);
    codec_buf_release (&stored.masked);
    codec_buf_release (&live);
    codec_buf_release (&owner);
    codec_buf_release (&backbone);
    codec_buf_release (&again);
}

//  An integrator submits the tables of the partners it feeds, naming the
//  owner of each: the owner then receives its table whole, with the
//  integrator as its publisher.
static void
test_broker_integrator_submits_tables_for_the_partners_it_feeds (void **state)
{
    harness_world_t *world = *state;
    //  "relay", registered while the broker runs, feeds alice.
    const char *early [] = {"early-literacy", NULL}, *fed [] = {"alice", NULL};
    char relay_secret [4096];
    assert_true (harness_add_integrator (world->data, world->dir, "relay", early, fed,
                                         relay_secret, sizeof relay_secret));
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *relay = harness_client (world, relay_secret, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1
    s_table_t table;
    s_table_init (&table);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (relay, &table.env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (relay), "data.owner");
    assert_string_equal (cibus_error (relay), "field 'data.owner' is required: an integrator "
                                              "names the partner each table belongs to");
    table.data.owner = "bob";
    assert_int_equal (cibus_publish (relay, &table.env, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (relay),
                         "'relay' is not registered to submit tables for 'bob'");
    table.data.owner = "alice";
    assert_int_equal (cibus_publish (relay, &table.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);

    const char *tables [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (alice, tables, 1, 1, 0, NULL), CIBUS_OK);
    cibus_envelope_t *env = NULL;
    assert_int_equal (cibus_next (alice, S_TIMEOUT, &env), CIBUS_OK);
    assert_int_equal (env->seq, 2);
    assert_string_equal (env->partner, "relay");
    assert_string_equal (env->data->owner, "alice");
    assert_false (env->data->has_masked && env->data->masked);
    assert_true (env->data->cells [S_K3_SMALL]->has_numerator);
    assert_int_equal (env->data->cells [S_K3_SMALL]->numerator, 3);
    cibus_envelope_free (env);
    cibus_destroy (&hub);
    cibus_destroy (&relay);
    cibus_destroy (&alice);
}

//  A dry run is answered as a publish would be and stores nothing; a
//  table's ack carries its version: 1 new, 2 a correction.
static void
test_broker_dry_run_stores_nothing_and_acks_say_the_version (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1
    s_table_t table;
    s_table_init (&table);
    cibus_ack_t ack;
    cibus_set_dry_run (alice, true);
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_true (ack.dry_run);
    assert_false (ack.duplicate);
    assert_int_equal (ack.seq, 0);
    assert_int_equal (ack.version, 1);
    //  A refusal is the one the publish would get.
    table.cell [0].numerator = 170;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_non_null (strstr (cibus_error (alice), "race=black"));
    table.cell [0].numerator = 52;
    assert_int_equal (s_last_seq (hub), 1);

    cibus_set_dry_run (alice, false);
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_false (ack.dry_run);
    assert_int_equal (ack.seq, 2);
    assert_int_equal (ack.version, 1);
    //  The same id again is the duplicate, dry or not.
    cibus_set_dry_run (alice, true);
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_true (ack.duplicate);
    assert_int_equal (ack.seq, 2);
    //  Changed values under a new id: a correction, version 2.
    table.env.id = "k3-2026-Q3-corrected";
    table.total.numerator = 169;
    table.total.denominator = 411;
    table.cell [3].numerator = 4;
    table.cell [3].denominator = 7;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_int_equal (ack.version, 2);
    assert_int_equal (s_last_seq (hub), 2);
    cibus_set_dry_run (alice, false);
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 3);
    assert_int_equal (ack.version, 2);
    cibus_destroy (&hub);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- bad input

typedef struct {
    const char *what;
    codec_buf_t frame;
    const char *code;
    const char *field;
    const char *message;
} s_bad_t;

//  A publish request whose envelope the caller spoils.
static void
s_pack_publish (cibus_envelope_t *env, codec_buf_t *buf)
{
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    assert_int_equal (codec_pack_request (&request, buf), CIBUS_OK);
}

static void
s_raw (s_bad_t *bad, const void *data, size_t size)
{
    bad->frame.data = malloc (size ? size : 1);
    memcpy (bad->frame.data, data, size);
    bad->frame.size = bad->frame.capacity = size;
}

static void
test_broker_bad_input_is_refused_naming_the_field (void **state)
{
    harness_world_t *world = *state;
    static char long_title [CIBUS_MAX_TEXT + 2];
    memset (long_title, 'x', CIBUS_MAX_TEXT + 1);
    s_bad_t bad [] = {
        {"garbage", {0}, "malformed", "",
         "the frame (3 bytes) does not decode as a cibus Request"},
        {"empty request", {0}, "bad-field", "kind",
         "unknown or missing request kind: expected publish, subscribe, credit, ping, "
         "status or query"},
        {"unknown kind", {0}, "bad-field", "kind",
         "unknown or missing request kind: expected publish, subscribe, credit, ping, "
         "status or query"},
        {"no envelope", {0}, "bad-field", "envelope", "field 'envelope' is required"},
        {"no id", {0}, "bad-field", "id", "field 'id' is required"},
        {"nan", {0}, "bad-field", "data.total", "the total: its value must be a finite number, got nan"},
        {"empty network", {0}, "bad-field", "topic",
         "field 'topic' has an empty network: expected <network>/data"},
        {"over limit", {0}, "bad-field", "note.title",
         "field 'note.title' is 1025 bytes, over its limit of 1024"},
        {"other network", {0}, "forbidden", "topic",
         "partner 'alice' may not publish to network 'postsecondary': it is not one of its "
         "networks"},
        {"unknown field", {0}, "bad-field", "envelope",
         "'envelope' carries field number 99, which is not part of the cibus protocol"},
    };
    size_t cases = sizeof bad / sizeof bad [0];
    s_raw (&bad [0], "\x0a\xff\xff", 3);
    s_raw (&bad [1], "", 0);
    s_raw (&bad [2], "\x98\x06\x01", 3); //  field 99, a varint: a kind this broker lacks
    Cibus__Publish empty = CIBUS__PUBLISH__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &empty;
    assert_int_equal (codec_pack_request (&request, &bad [3].frame), CIBUS_OK);
    s_update_t update;
    s_update_init (&update, "early-literacy", NULL, 1);
    s_pack_publish (&update.env, &bad [4].frame);
    s_data_init (&update, "early-literacy", "nan-1", NAN);
    s_pack_publish (&update.env, &bad [5].frame);
    s_data_init (&update, "", "empty-1", 1);
    s_pack_publish (&update.env, &bad [6].frame);
    Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
    note.title = long_title;
    s_update_init (&update, "early-literacy", "long-1", 1);
    snprintf (update.topic, sizeof update.topic, "early-literacy/note");
    update.env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    update.env.note = &note;
    s_pack_publish (&update.env, &bad [7].frame);
    s_update_init (&update, "postsecondary", "other-1", 1);
    s_pack_publish (&update.env, &bad [8].frame);
    //  Request{publish: Publish{envelope: <a good envelope + field 99>}},
    //  encoded by hand since no generated struct can carry field 99.
    codec_buf_t inner = {0};
    s_update_init (&update, "early-literacy", "extra-1", 1);
    assert_int_equal (codec_pack_envelope (&update.env, &inner), CIBUS_OK);
    assert_true (inner.size + 3 < 120);
    uint8_t frame [128];
    frame [0] = 0x0a, frame [1] = (uint8_t) (inner.size + 5);
    frame [2] = 0x0a, frame [3] = (uint8_t) (inner.size + 3);
    memcpy (frame + 4, inner.data, inner.size);
    memcpy (frame + 4 + inner.size, "\x98\x06\x01", 3);
    s_raw (&bad [9], frame, inner.size + 7);
    codec_buf_release (&inner);

    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    for (size_t i = 0; i < cases; i++) {
        void *answer;
        size_t size;
        assert_int_equal (cibus_raw (alice, bad [i].frame.data, bad [i].frame.size, &answer,
                                     &size),
                          cibus_err_from_name (bad [i].code));
        reply_t *reply = codec_reply_decode (answer, size);
        assert_non_null (reply);
        assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_ERROR);
        assert_string_equal (reply->error->code, bad [i].code);
        assert_string_equal (reply->error->field ? reply->error->field : "", bad [i].field);
        assert_string_equal (reply->error->message, bad [i].message);
        codec_reply_free (reply);
        free (answer);
        codec_buf_release (&bad [i].frame);
        //  Nothing stored, and everyone else still served.
        assert_int_equal (s_last_seq (hub), 0);
    }
    s_update_init (&update, "early-literacy", "good-1", 1);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    cibus_destroy (&alice);
    cibus_destroy (&hub);

    //  One log line per refusal.
    char path [4200];
    snprintf (path, sizeof path, "%s.log", world->data);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line [2048];
    size_t refused = 0;
    while (fgets (line, sizeof line, file))
        refused += strstr (line, "event=refused") != NULL;
    fclose (file);
    assert_int_equal (refused, cases);
}

//  A frame of a few kilobytes that would decode into more values than any
//  request has (a table of empty cells: two bytes each on the wire, a
//  cell's struct and its place in an array once decoded) is refused with
//  the reason, before it is decoded whole; the broker goes on serving.
static void
test_broker_a_frame_of_more_values_than_any_request_is_refused (void **state)
{
    harness_world_t *world = *state;
    size_t many = 2 * CIBUS_MAX_VALUES;
    Cibus__DataCell empty_cell = CIBUS__DATA_CELL__INIT, **cells = malloc (many * sizeof *cells);
    assert_non_null (cells);
    for (size_t c = 0; c < many; c++)
        cells [c] = &empty_cell;
    s_update_t update;
    s_data_init (&update, "early-literacy", "many-1", 1);
    update.data.cells = cells;
    update.data.n_cells = many;
    codec_buf_t frame = {0};
    s_pack_publish (&update.env, &frame);
    free (cells);
    char expected [200];
    snprintf (expected, sizeof expected,
              "the frame (%zu bytes) holds more than %d values (messages, strings and lists), "
              "over what any request needs",
              frame.size, CIBUS_MAX_VALUES);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    void *answer;
    size_t size;
    assert_int_equal (cibus_raw (alice, frame.data, frame.size, &answer, &size),
                      CIBUS_ERR_MALFORMED);
    reply_t *reply = codec_reply_decode (answer, size);
    assert_non_null (reply);
    assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_ERROR);
    assert_string_equal (reply->error->code, "malformed");
    assert_string_equal (reply->error->message, expected);
    codec_reply_free (reply);
    free (answer);
    codec_buf_release (&frame);
    //  Nothing stored, and the same connection still served.
    assert_int_equal (s_last_seq (alice), 0);
    cibus_destroy (&alice);
}

//  ---------------------------------------------------------------- PROTOCOL.md against the broker

//  Send a frame with cibus_raw and decode the reply of kind it must be
//  answered with.
static reply_t *
s_raw_reply (cibus_t *client, const codec_buf_t *frame, cibus_err_t expected,
             Cibus__Reply__KindCase kind)
{
    void *answer;
    size_t size;
    assert_int_equal (cibus_raw (client, frame->data, frame->size, &answer, &size), expected);
    reply_t *reply = codec_reply_decode (answer, size);
    free (answer);
    assert_non_null (reply);
    assert_int_equal (reply->kind_case, kind);
    return reply;
}

//  Send a frame with cibus_raw and decode the Error it must be answered
//  with; the caller frees the reply.
static reply_t *
s_raw_error (cibus_t *client, const codec_buf_t *frame, cibus_err_t expected)
{
    return s_raw_reply (client, frame, expected, CIBUS__REPLY__KIND_ERROR);
}

//  Alice with count async publishes in flight (dry runs or not), their
//  answers counted in *order.
static cibus_t *
s_async_publisher (harness_world_t *world, bool dry_run, size_t count, s_ack_order_t **order)
{
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    *order = calloc (1, sizeof **order);
    assert_non_null (*order);
    cibus_set_ack_handler (alice, s_on_ack_order, *order);
    cibus_set_window (alice, 1000);
    cibus_set_dry_run (alice, dry_run);
    s_publish_async (alice, 0, count);
    return alice;
}

//  Each of the count async publishes answered once by the ack handler,
//  none refused, none left in flight; then alice and order are gone.
static void
s_async_all_answered (cibus_t **alice, s_ack_order_t *order, size_t count)
{
    assert_int_equal (cibus_flush (*alice), CIBUS_OK);
    assert_int_equal (order->count, count);
    assert_int_equal (order->refusals, 0);
    assert_int_equal (cibus_in_flight (*alice), 0);
    free (order);
    cibus_destroy (alice);
}

//  A raw request waits for its own answer: the answers to async
//  publishes that come while it waits (dry runs are answered at once, so
//  hundreds come before the Pong) go to the ack handler, each once, and
//  the raw call gets the Pong.
static void
test_broker_a_raw_request_gets_its_own_answer_among_async_acks (void **state)
{
    harness_world_t *world = *state;
    s_ack_order_t *order;
    cibus_t *alice = s_async_publisher (world, true, 500, &order);
    Cibus__Ping ping = CIBUS__PING__INIT;
    ping.has_token = true;
    ping.token = 7;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;
    codec_buf_t frame = {0};
    assert_int_equal (codec_pack_request (&request, &frame), CIBUS_OK);
    reply_t *reply = s_raw_reply (alice, &frame, CIBUS_OK, CIBUS__REPLY__KIND_PONG);
    assert_int_equal (reply->pong->token, 7);
    codec_reply_free (reply);
    codec_buf_release (&frame);
    s_async_all_answered (&alice, order, 500);
}

//  A raw publish that asks for its ack together with others, sent while
//  async publishes that commit are in flight: its ack may come in the
//  same Acks as theirs, which go to the ack handler, each once, and the
//  raw call gets that Acks, holding its own ack.
static void
test_broker_a_raw_publish_gets_its_ack_among_async_acks_together (void **state)
{
    harness_world_t *world = *state;
    s_ack_order_t *order;
    cibus_t *alice = s_async_publisher (world, false, 300, &order);
    s_update_t update;
    s_update_init (&update, "early-literacy", "raw-together", 1);
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = &update.env;
    publish.has_acks_together = publish.acks_together = true;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    codec_buf_t frame = {0};
    assert_int_equal (codec_pack_request (&request, &frame), CIBUS_OK);
    reply_t *reply = s_raw_reply (alice, &frame, CIBUS_OK, CIBUS__REPLY__KIND_ACKS);
    size_t own = 0;
    for (size_t i = 0; i < reply->acks->n_acks; i++)
        own += strcmp (reply->acks->acks [i]->id, "raw-together") == 0;
    assert_int_equal (own, 1);
    codec_reply_free (reply);
    codec_buf_release (&frame);
    s_async_all_answered (&alice, order, 300);
}

//  The network catalog takes definitions only, from the backbone too, and
//  the refusal sends no one to "one of your networks": the backbone has
//  none (PROTOCOL.md 6.3, 7.1, 9).
static void
test_broker_catalog_takes_definitions_only_even_from_the_backbone (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    s_update_t update;
    s_update_init (&update, "catalog", "in-catalog-1", 1);
    codec_buf_t frame = {0};
    s_pack_publish (&update.env, &frame);
    reply_t *reply = s_raw_error (hub, &frame, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (reply->error->code, "bad-field");
    assert_string_equal (reply->error->field, "topic");
    assert_string_equal (reply->error->id, "in-catalog-1");
    assert_string_equal (reply->error->message,
                         "network 'catalog' carries the indicator catalogue only: publish a "
                         "note to another network");
    codec_reply_free (reply);
    s_data_init (&update, "catalog", "in-catalog-2", 1);
    s_pack_publish (&update.env, &frame);
    reply = s_raw_error (hub, &frame, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (reply->error->message,
                         "network 'catalog' carries the indicator catalogue only: publish a "
                         "data table to another network");
    codec_reply_free (reply);
    codec_buf_release (&frame);
    assert_int_equal (s_last_seq (hub), 0);
    cibus_destroy (&hub);
}

//  A percent's value is 100 x numerator / denominator in double precision
//  (PROTOCOL.md 7.3): 247/400 is exactly 61.75, and the values of the
//  worked example (11.2) are the stored ones, digit for digit as printed
//  there (%.17g).
static void
test_broker_derived_values_are_those_of_the_worked_example (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1
    s_table_t table;
    s_table_init (&table);
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK); //  seq 2
    //  Totals alone: 247/400, and 254/412 sent with a value of 61.7.
    s_table_init (&table);
    table.env.id = "k3-2026-Q4";
    table.data.period = "2026-Q4";
    table.data.n_cells = 0;
    table.total.numerator = 247;
    table.total.denominator = 400;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK); //  seq 3
    table.env.id = "k3-2027-Q1";
    table.data.period = "2027-Q1";
    table.total.numerator = 254;
    table.total.denominator = 412;
    table.total.has_value = true;
    table.total.value = 61.7;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK); //  seq 4

    const char *tables [] = {"early-literacy/data"};
    assert_int_equal (cibus_subscribe (hub, tables, 1, 1, 0, NULL), CIBUS_OK);
    static const char *const expected [][5] = {
        {"40.975609756097562", "32.5", "36.53846153846154", "53.571428571428569", "50"},
        {"61.75"},
        {"61.650485436893206"},
    };
    for (uint64_t seq = 2; seq <= 4; seq++) {
        codec_buf_t bytes = {0};
        envelope_t *env = s_next_table (hub, seq, &bytes);
        char text [32];
        const Cibus__DataCell *total = env->data->total;
        assert_true (total->has_value);
        snprintf (text, sizeof text, "%.17g", total->value);
        assert_string_equal (text, expected [seq - 2][0]);
        assert_true (total->value
                     == 100.0 * (double) total->numerator / (double) total->denominator);
        for (size_t i = 0; i < env->data->n_cells; i++) {
            snprintf (text, sizeof text, "%.17g", env->data->cells [i]->value);
            assert_string_equal (text, expected [seq - 2][i + 1]);
        }
        codec_envelope_free (env);
        codec_buf_release (&bytes);
    }
    assert_true (61.75 == 100.0 * 247 / 400);
    cibus_destroy (&hub);
    cibus_destroy (&alice);

    //  Every value PROTOCOL.md prints beside a percent's counts is the one
    //  derived from them, as printed above (a client written from the spec
    //  once met 61.750000000000007 there for 247/400).
    char bin [PATH_MAX], doc [PATH_MAX + 32];
    harness_bin ("cibus", bin, sizeof bin);
    *strrchr (bin, '/') = 0;
    snprintf (doc, sizeof doc, "%s/../../docs/PROTOCOL.md", bin);
    char *text = harness_read_all (doc);
    assert_non_null (text);
    size_t checked = 0;
    for (const char *at = strstr (text, "numerator:"); at; at = strstr (at + 1, "numerator:")) {
        unsigned long long numerator, denominator;
        char value [32], derived [32];
        if (sscanf (at, "numerator:%llu denominator:%llu value:%31[0-9.e+-]", &numerator,
                    &denominator, value)
            != 3)
            continue;
        snprintf (derived, sizeof derived, "%.17g",
                  100.0 * (double) numerator / (double) denominator);
        if (strcmp (value, derived) != 0)
            fail_msg ("PROTOCOL.md: %llu/%llu is stored as %s, not %s", numerator, denominator,
                      derived, value);
        checked++;
    }
    assert_true (checked >= 10);
    free (text);
}

//  Every reply is one frame of at most CIBUS_MAX_FRAME bytes, a QueryReply
//  included (PROTOCOL.md 1.4, 8.2): a large answer comes whole under the
//  limit; one over it is refused with a way to narrow it.
static void
test_broker_a_query_answer_is_one_frame_within_the_limit (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    static char decision [CIBUS_MAX_TEXT];
    memset (decision, 'd', sizeof decision - 1);
    char *decisions [CIBUS_MAX_LIST];
    for (size_t i = 0; i < CIBUS_MAX_LIST; i++)
        decisions [i] = decision;
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "notes";
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_QUERY;
    request.query = &query;
    codec_buf_t frame = {0};
    assert_int_equal (codec_pack_request (&request, &frame), CIBUS_OK);
    //  Meetings of 64 decisions of 1 KiB each: 14 of them answer in about
    //  0.9 MiB, 17 would need more than the limit.
    size_t largest = 0;
    for (int i = 0; i < 17; i++) {
        Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
        note.title = "a long meeting";
        note.held_on = "2026-03-01";
        note.n_decisions = CIBUS_MAX_LIST;
        note.decisions = decisions;
        cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
        env.topic = "early-literacy/note";
        env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
        env.note = &note;
        cibus_ack_t ack;
        assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
        void *answer;
        size_t size;
        cibus_err_t err = cibus_raw (alice, frame.data, frame.size, &answer, &size);
        reply_t *reply = codec_reply_decode (answer, size);
        assert_non_null (reply);
        assert_true (size <= CIBUS_MAX_FRAME);
        if (i < 14) {
            assert_int_equal (err, CIBUS_OK);
            assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_RESULT);
            assert_int_equal (reply->result->tables [0]->n_rows, (size_t) i + 1);
            largest = size;
        } else if (i == 16) {
            assert_int_equal (err, CIBUS_ERR_BAD_FIELD);
            assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_ERROR);
            assert_non_null (strstr (reply->error->message,
                                     "over the limit of 1048576: narrow it with the fields "
                                     "network, since, owner or indicator"));
        }
        codec_reply_free (reply);
        free (answer);
    }
    assert_true (largest > 900000);
    codec_buf_release (&frame);
    cibus_destroy (&alice);
}

//  A key the broker refuses fails at once with unknown-key, also when the
//  request is sent after the refused handshake has taken the connection
//  away: a DEALER with no connection cannot take a message, and a send
//  that blocked would wait for a reconnection libzmq never makes
//  (PROTOCOL.md 1.3).
static void
test_broker_an_unregistered_key_fails_at_once_after_its_handshake (void **state)
{
    harness_world_t *world = *state;
    char log [4200];
    snprintf (log, sizeof log, "%s.log", world->data);
    for (int i = 0; i < 3; i++) {
        //  A fresh key each time, so that its refusal has its own log line.
        zcert_t *cert = zcert_new ();
        assert_non_null (cert);
        char path [4200], needle [64];
        snprintf (path, sizeof path, "%s/stranger-%d", world->dir, i);
        assert_int_equal (zcert_save (cert, path), 0);
        snprintf (needle, sizeof needle, "key=\"%s\"", zcert_public_txt (cert));
        zcert_destroy (&cert);
        strcat (path, "_secret");
        cibus_t *stranger = harness_client (world, path, 5000);
        //  The broker has judged the handshake; its answer is on its way.
        assert_true (harness_wait_text (log, needle, HARNESS_DEADLINE_MSEC));
        int64_t start = harness_now_msec ();
        assert_int_equal (cibus_ping (stranger, NULL, 0, NULL, 0), CIBUS_ERR_UNKNOWN_KEY);
        assert_true (harness_now_msec () - start < 2500);
        assert_non_null (strstr (cibus_error (stranger), "refused this key"));
        cibus_destroy (&stranger);
    }
}

//  Register dana (a partner in early-literacy) under public_key with
//  `cibusd partner add`, and a client of hers with the secret certificate
//  at path.
static cibus_t *
s_dana_added (harness_world_t *world, const char *public_key, const char *path)
{
    char *out, *err;
    assert_int_equal (harness_cibusd (&out, &err, "partner", "add", "dana", "--data",
                                      world->data, "--role", "partner", "--key", public_key,
                                      "--network", "early-literacy", NULL),
                      0);
    free (out), free (err);
    return harness_client (world, path, S_TIMEOUT);
}

//  A partner added while the writer is busy gets in on its first
//  handshake, and strangers handshaking meanwhile are refused, while two
//  publishers keep the writer busy: the handshake's look at the registry
//  waits for the store to be the reactor's (and, for the reload, for the
//  batches to be committed), and every publish is still acked once.
static void
test_broker_a_partner_added_under_load_gets_in_at_once (void **state)
{
    harness_world_t *world = *state;
    s_storms_t storms;
    s_storms_start (&storms, world, 0, 1500);
    char public_key [41], path [4200];
    zcert_t *cert = zcert_new ();
    assert_non_null (cert);
    snprintf (public_key, sizeof public_key, "%s", zcert_public_txt (cert));
    snprintf (path, sizeof path, "%s/dana", world->dir);
    assert_int_equal (zcert_save (cert, path), 0);
    zcert_destroy (&cert);
    strcat (path, "_secret");
    cibus_t *dana = s_dana_added (world, public_key, path);
    char name [64];
    assert_int_equal (cibus_ping (dana, name, sizeof name, NULL, 0), CIBUS_OK);
    assert_string_equal (name, "dana");
    for (int i = 0; i < 5; i++) {
        zcert_t *stranger_cert = zcert_new ();
        assert_non_null (stranger_cert);
        char stranger_path [4200];
        snprintf (stranger_path, sizeof stranger_path, "%s/loaded-stranger-%d", world->dir, i);
        assert_int_equal (zcert_save (stranger_cert, stranger_path), 0);
        zcert_destroy (&stranger_cert);
        strcat (stranger_path, "_secret");
        cibus_t *stranger = harness_client (world, stranger_path, S_TIMEOUT);
        assert_int_equal (cibus_ping (stranger, NULL, 0, NULL, 0), CIBUS_ERR_UNKNOWN_KEY);
        cibus_destroy (&stranger);
    }
    s_storms_join (&storms);
    cibus_status_t status;
    assert_int_equal (cibus_status (dana, &status), CIBUS_OK);
    assert_int_equal (status.appended, 3000);
    cibus_destroy (&dana);
}

//  An empty optional string is absent, in the stored entry too: no reader
//  is sent a `source: ""` (PROTOCOL.md 2.1, 3.7).
static void
test_broker_an_empty_string_is_stored_and_relayed_as_absent (void **state)
{
    harness_world_t *world = *state;
    const char *early [] = {"early-literacy", NULL};
    char carol_secret [4096];
    assert_true (harness_add_partner (world->data, world->dir, "carol", "partner", early,
                                      carol_secret, sizeof carol_secret));
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *carol = harness_client (world, carol_secret, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1
    s_table_t table;
    s_table_init (&table);
    table.data.unit = "";
    table.data.source = "";
    table.data.extracted_on = "";
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK); //  seq 2
    //  The caller's strings are its own again.
    assert_string_equal (table.data.source, "");
    s_update_t update;
    s_update_init (&update, "early-literacy", "empty-note", 1);
    update.note.body = "";
    update.note.held_on = "";
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK); //  seq 3

    //  The whole entry (the backbone) and the masked copy (carol).
    cibus_t *readers [] = {hub, carol};
    for (size_t r = 0; r < 2; r++) {
        assert_int_equal (cibus_subscribe (readers [r], NULL, 0, 2, 0, NULL), CIBUS_OK);
        codec_buf_t bytes = {0};
        envelope_t *env = s_next_table (readers [r], 2, &bytes);
        assert_int_equal (env->data->has_masked && env->data->masked, r == 1);
        assert_null (env->data->unit);
        assert_null (env->data->source);
        assert_null (env->data->extracted_on);
        codec_envelope_free (env);
        codec_buf_release (&bytes);
        assert_int_equal (cibus_next (readers [r], S_TIMEOUT, &env), CIBUS_OK);
        assert_int_equal (env->seq, 3);
        assert_string_equal (env->note->title, "meeting 1");
        assert_null (env->note->body);
        assert_null (env->note->held_on);
        codec_envelope_free (env);
    }
    //  The table with no unit is the same table as one with unit "": a
    //  correction without it is its version 2.
    s_table_init (&table);
    table.env.id = "k3-2026-Q3-final";
    assert_int_equal (cibus_publish (alice, &table.env, &ack), CIBUS_OK);
    assert_int_equal (ack.version, 2);
    cibus_destroy (&hub);
    cibus_destroy (&alice);
    cibus_destroy (&carol);
}

//  A publish whose id holds a NUL byte is refused, not acked under the id
//  cut at the NUL, which its client would never match (PROTOCOL.md 2.1,
//  6.6). Its refusal carries no id, since the one the broker could echo is
//  not the one sent; a NUL elsewhere is refused with the id.
static void
test_broker_a_nul_byte_in_a_string_is_refused (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    s_update_t update;
    s_update_init (&update, "early-literacy", "k~1", 1);
    codec_buf_t frame = {0};
    s_pack_publish (&update.env, &frame);
    uint8_t *mark = memchr (frame.data, '~', frame.size);
    assert_non_null (mark);
    *mark = 0;
    reply_t *reply = s_raw_error (alice, &frame, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (reply->error->field, "id");
    assert_string_equal (reply->error->message,
                         "field 'id' holds the control character U+0000: text may hold tab, "
                         "newline and carriage return, no other");
    assert_null (reply->error->id);
    codec_reply_free (reply);

    s_update_init (&update, "early-literacy", "k-2", 1);
    update.note.title = "a~title";
    s_pack_publish (&update.env, &frame);
    mark = memchr (frame.data, '~', frame.size);
    assert_non_null (mark);
    *mark = 0;
    reply = s_raw_error (alice, &frame, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (reply->error->field, "note.title");
    assert_string_equal (reply->error->id, "k-2");
    codec_reply_free (reply);
    codec_buf_release (&frame);
    assert_int_equal (s_last_seq (hub), 0);
    cibus_destroy (&alice);
    cibus_destroy (&hub);
}

//  The unknown-key answer to a publish carries its id, so that a client
//  with publishes in flight fails each by its id (PROTOCOL.md 1.3, 2.2).
static void
test_broker_unknown_key_answers_a_publish_with_its_id (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    assert_int_equal (cibus_ping (alice, NULL, 0, NULL, 0), CIBUS_OK);
    char *out, *err;
    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "alice", NULL),
                      0);
    free (out), free (err);
    s_update_t update;
    s_update_init (&update, "early-literacy", "gone-1", 1);
    codec_buf_t frame = {0};
    s_pack_publish (&update.env, &frame);
    //  The broker notices the removal within its loop's turn.
    reply_t *reply = NULL;
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    do {
        codec_reply_free (reply);
        void *answer;
        size_t size;
        cibus_raw (alice, frame.data, frame.size, &answer, &size);
        reply = codec_reply_decode (answer, size);
        free (answer);
        assert_non_null (reply);
    } while (reply->kind_case != CIBUS__REPLY__KIND_ERROR && harness_now_msec () < until);
    assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_ERROR);
    assert_string_equal (reply->error->code, "unknown-key");
    assert_non_null (reply->error->id);
    assert_string_equal (reply->error->id, "gone-1");
    codec_reply_free (reply);
    codec_buf_release (&frame);

    //  Pipelined: each publish is failed by its id, none left in flight.
    s_acks_t acks;
    memset (&acks, 0, sizeof acks);
    cibus_set_ack_handler (alice, s_on_ack, &acks);
    s_publish_async (alice, 0, 3);
    assert_int_equal (cibus_flush (alice), CIBUS_OK);
    assert_int_equal (acks.refusals, 3);
    assert_int_equal (cibus_in_flight (alice), 0);
    cibus_destroy (&alice);
}

//  The secret certificate as PROTOCOL.md 1.2 describes it, written by
//  hand with no czmq: the least the library needs.
static void
test_broker_a_secret_certificate_written_from_the_spec_is_accepted (void **state)
{
    harness_world_t *world = *state;
    char public_key [41], secret_key [41];
    assert_int_equal (zmq_curve_keypair (public_key, secret_key), 0);
    char path [4200];
    snprintf (path, sizeof path, "%s/dana.key", world->dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
             "#   written by hand\n"
             "curve\n"
             "    public-key = \"%s\"\n"
             "    secret-key = \"%s\"\n",
             public_key, secret_key);
    assert_int_equal (fclose (file), 0);
    cibus_t *dana = s_dana_added (world, public_key, path);
    char name [64], role [32];
    assert_int_equal (cibus_ping (dana, name, sizeof name, role, sizeof role), CIBUS_OK);
    assert_string_equal (name, "dana");
    assert_string_equal (role, "partner");
    cibus_destroy (&dana);
}

//  ---------------------------------------------------------------- notes and commitments

//  The UTC date secs_ahead seconds from now, YYYY-MM-DD.
static void
s_utc_date (time_t secs_ahead, char *date, size_t size)
{
    time_t when = time (NULL) + secs_ahead;
    struct tm utc;
    gmtime_r (&when, &utc);
    strftime (date, size, "%Y-%m-%d", &utc);
}

//  A note held after the broker's today (UTC, by its clock) is refused at
//  commit, in a dry run too; one held today is not. The test reads the
//  same clock: a note two days ahead is after the broker's today whatever
//  the hour, and the message names the broker's today, which is the
//  test's before the publish or after it (a publish across midnight).
static void
test_broker_a_note_held_after_today_is_refused (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    s_update_t update;
    cibus_ack_t ack;
    char today [16], later [16], ahead [16];
    s_utc_date (0, today, sizeof today);
    s_update_init (&update, "early-literacy", "held-today", 1);
    update.note.held_on = today;
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);

    s_utc_date (2 * 86400, ahead, sizeof ahead);
    for (int dry = 0; dry < 2; dry++) {
        cibus_set_dry_run (alice, dry);
        s_update_init (&update, "early-literacy", "held-ahead", 2);
        update.note.held_on = ahead;
        s_utc_date (0, today, sizeof today);
        assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_ERR_BAD_FIELD);
        s_utc_date (0, later, sizeof later);
        assert_string_equal (cibus_error_field (alice), "note.held_on");
        char expected [2][256];
        for (int i = 0; i < 2; i++)
            snprintf (expected [i], sizeof expected [i],
                      "field 'note.held_on' is %s, after today (%s, UTC): record a meeting "
                      "once it has been held",
                      ahead, i ? later : today);
        if (strcmp (cibus_error (alice), expected [1]) != 0)
            assert_string_equal (cibus_error (alice), expected [0]);
    }
    cibus_set_dry_run (alice, false);
    //  Refused, it stored nothing and left its id free.
    cibus_status_t status;
    assert_int_equal (cibus_status (alice, &status), CIBUS_OK);
    assert_int_equal (status.last_seq, 1);
    s_update_init (&update, "early-literacy", "held-ahead", 2);
    assert_int_equal (cibus_publish (alice, &update.env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 2);
    cibus_destroy (&alice);
}

//  A commitment names the note it came from, and which of its decisions,
//  in its own network; and the indicators it means to move, in the
//  catalogue. Each refusal as PROTOCOL.md 7.4 words it, a note of another
//  network word for word as an id nobody used.
static void
test_broker_a_commitment_names_its_note_and_indicators (void **state)
{
    harness_world_t *world = *state;
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *bob = harness_client (world, world->bob, S_TIMEOUT);
    s_define_k3 (hub); //  seq 1
    char *decisions [] = {"open libraries in 3 schools", "share attendance monthly"};
    s_update_t note;
    cibus_ack_t ack;
    s_update_init (&note, "early-literacy", "meeting-1", 1);
    note.note.n_decisions = 2;
    note.note.decisions = decisions;
    assert_int_equal (cibus_publish (hub, &note.env, &ack), CIBUS_OK); //  seq 2
    s_update_init (&note, "postsecondary", "fafsa-night", 2);
    assert_int_equal (cibus_publish (bob, &note.env, &ack), CIBUS_OK); //  seq 3

    //  A note's id is one note in its network: alice may not reuse the
    //  backbone's there, though bob's is free in hers.
    s_update_init (&note, "early-literacy", "meeting-1", 3);
    assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_ERR_EXISTS);
    assert_string_equal (cibus_error_field (alice), "id");
    assert_string_equal (cibus_error (alice),
                         "note 'meeting-1' already exists, recorded by 'hub': choose another id");
    s_update_init (&note, "early-literacy", "fafsa-night", 3);
    assert_int_equal (cibus_publish (alice, &note.env, &ack), CIBUS_OK); //  seq 4

    char *indicators [] = {"k3-reading", "k3-writing"};
    Cibus__ActionCommitment commitment = CIBUS__ACTION_COMMITMENT__INIT;
    commitment.action = "open 3 leveled libraries";
    commitment.due = "2026-12-15";
    commitment.n_indicators = 2;
    commitment.indicators = indicators;
    commitment.from_note = "meeting-1";
    commitment.has_decision = true;
    commitment.decision = 1;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.id = "libraries";
    env.topic = "early-literacy/commitment";
    env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    env.commitment = &commitment;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_NOT_FOUND);
    assert_string_equal (cibus_error_field (alice), "commitment.indicators");
    assert_string_equal (cibus_error (alice), "indicator 'k3-writing' is not in the catalogue");
    commitment.n_indicators = 1;

    //  bob's note lives in postsecondary: from early-literacy it is no
    //  note, in the words for an id nobody used - the backbone's too.
    commitment.from_note = "fafsa-night-2";
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_NOT_FOUND);
    assert_string_equal (cibus_error_field (alice), "commitment.from_note");
    assert_string_equal (cibus_error (alice), "note 'fafsa-night-2' does not exist");
    for (size_t i = 0; i < 2; i++) {
        env.topic = "postsecondary/commitment";
        commitment.from_note = (char *) (i ? "meeting-1" : "fafsa-night-2");
        assert_int_equal (cibus_publish (hub, &env, &ack), CIBUS_ERR_NOT_FOUND);
        assert_string_equal (cibus_error_field (hub), "commitment.from_note");
        char expected [128];
        snprintf (expected, sizeof expected, "note '%s' does not exist", commitment.from_note);
        assert_string_equal (cibus_error (hub), expected);
    }
    env.topic = "early-literacy/commitment";

    //  The decision is one of the note's: the backbone's meeting took two.
    commitment.from_note = "meeting-1";
    commitment.decision = 3;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error_field (alice), "commitment.decision");
    assert_string_equal (cibus_error (alice),
                         "note 'meeting-1' records 2 decisions: there is no decision 3");
    commitment.from_note = "fafsa-night";
    commitment.decision = 1;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (cibus_error (alice),
                         "note 'fafsa-night' records no decisions: there is no decision 1");
    commitment.from_note = "meeting-1";
    commitment.decision = 2;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 5);

    //  Stored as sent, for every reader of the network.
    assert_int_equal (cibus_subscribe (hub, NULL, 0, 5, 0, NULL), CIBUS_OK);
    cibus_envelope_t *stored = NULL;
    assert_int_equal (cibus_next (hub, S_TIMEOUT, &stored), CIBUS_OK);
    assert_int_equal (stored->body_case, CIBUS__ENVELOPE__BODY_COMMITMENT);
    assert_string_equal (stored->commitment->from_note, "meeting-1");
    assert_true (stored->commitment->has_decision);
    assert_int_equal (stored->commitment->decision, 2);
    cibus_envelope_free (stored);
    cibus_destroy (&bob);
    cibus_destroy (&alice);
    cibus_destroy (&hub);
}

//  Which units took up a practice is the backbone's record, as the
//  catalogue is: a partner's tag and an integrator's are refused at once,
//  naming the body, and nothing is stored. The backbone's is stored, and
//  the partners of its network read it.
static void
test_broker_only_the_backbone_tags_practices (void **state)
{
    harness_world_t *world = *state;
    cibus_t *alice = harness_client (world, world->alice, S_TIMEOUT);
    cibus_t *feed = harness_client (world, world->feed, S_TIMEOUT);
    cibus_t *hub = harness_client (world, world->hub, S_TIMEOUT);
    Cibus__PracticeTag tag = CIBUS__PRACTICE_TAG__INIT;
    tag.unit = "alice/adams";
    tag.practice = "leveled-libraries";
    tag.since = "2026-01-05";
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = "early-literacy/practice";
    env.id = "tag-adams";
    env.body_case = CIBUS__ENVELOPE__BODY_PRACTICE;
    env.practice = &tag;
    cibus_ack_t ack;
    assert_int_equal (cibus_publish (alice, &env, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (alice),
                         "only the backbone records practices; 'alice' is a partner");
    assert_string_equal (cibus_error_field (alice), "body");
    assert_int_equal (cibus_publish (feed, &env, &ack), CIBUS_ERR_FORBIDDEN);
    assert_string_equal (cibus_error (feed),
                         "only the backbone records practices; 'feed' is an integrator");
    assert_string_equal (cibus_error_field (feed), "body");
    assert_int_equal (s_last_seq (hub), 0);
    assert_int_equal (cibus_publish (hub, &env, &ack), CIBUS_OK);
    assert_int_equal (ack.seq, 1);
    uint64_t seqs [4];
    assert_int_equal (cibus_subscribe (alice, NULL, 0, 1, 0, NULL), CIBUS_OK);
    assert_int_equal (s_take_all (alice, seqs, 4), 1);
    assert_int_equal (seqs [0], 1);
    cibus_destroy (&alice);
    cibus_destroy (&feed);
    cibus_destroy (&hub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_broker_a_reader_asking_without_waiting_follows_a_reconnect, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_acked_updates_survive_kill_9, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_sigterm_acks_the_commit_in_flight_and_restart_continues, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_duplicate_publish_acks_the_first_seq,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_acks_of_a_pipelined_publisher_come_in_commit_order,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_concurrent_publishers_share_transactions,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_replay_during_a_storm_is_exactly_once_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_tail_cli_during_a_storm_is_exactly_once_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_stalled_subscriber_is_sent_no_more_than_its_credit, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_readers_in_turn_each_replay_everything,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_subscription_survives_a_broker_restart,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_subscribing_again_starts_the_new_cursor_cleanly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_raw_request_gets_its_own_answer_among_async_acks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_raw_publish_gets_its_ack_among_async_acks_together, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_late_ack_of_a_timed_out_publish_is_not_taken_for_another, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_partners_read_only_their_networks_and_the_backbone_reads_all, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_partner_name_and_seq_come_from_the_broker,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_plaintext_client_gets_no_service, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_removed_partner_is_refused_on_an_open_connection, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_forgets_a_subscriber_that_vanished,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_bad_input_is_refused_naming_the_field,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_frame_of_more_values_than_any_request_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_reader_other_than_the_owner_gets_the_masked_copy_live_and_on_replay,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_integrator_submits_tables_for_the_partners_it_feeds, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_dry_run_stores_nothing_and_acks_say_the_version, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_catalog_takes_definitions_only_even_from_the_backbone, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_derived_values_are_those_of_the_worked_example, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_query_answer_is_one_frame_within_the_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_an_unregistered_key_fails_at_once_after_its_handshake, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_a_partner_added_under_load_gets_in_at_once,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_an_empty_string_is_stored_and_relayed_as_absent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_a_nul_byte_in_a_string_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_unknown_key_answers_a_publish_with_its_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_secret_certificate_written_from_the_spec_is_accepted, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_a_note_held_after_today_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_broker_a_commitment_names_its_note_and_indicators, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_only_the_backbone_tags_practices, s_setup,
                                         s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("broker", tests, NULL, NULL);
}
