/*  test_sync.c - `cibus sync`: a partner's replica answers offline as the
    broker answers that partner, holds the same bytes the broker would
    replay to it, and the outbox sends each queued update exactly once. */

#include "harness.h"

#include "codec.h"
#include "measure.h"
#include "store.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  A world with carol, a second partner of early-literacy who reads
//  alice's tables masked, and carol's replica named in CIBUS_REPLICA.
typedef struct {
    harness_world_t world;
    char carol [4096];
    char replica [4096];
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *self = calloc (1, sizeof *self);
    const char *early [] = {"early-literacy", NULL};
    if (!self || !harness_world_up (&self->world)
        || !harness_add_partner (self->world.data, self->world.dir, "carol", "partner", early,
                                 self->carol, sizeof self->carol)) {
        if (self)
            harness_world_down (&self->world);
        free (self);
        return -1;
    }
    snprintf (self->replica, sizeof self->replica, "%s/carol.db", self->world.dir);
    setenv ("CIBUS_REPLICA", self->replica, 1);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *self = *state;
    harness_world_down (&self->world);
    free (self);
    unsetenv ("CIBUS_REPLICA");
    return 0;
}

//  Run cibus and expect an exit code; out is kept for the caller (freed
//  when out_p is NULL), err printed on a surprise.
#define S_CIBUS(code, out_p, ...)                                                           \
    do {                                                                                    \
        char *out_, *err_;                                                                  \
        int rc_ = harness_cibus (&self->world, &out_, &err_, __VA_ARGS__, NULL);            \
        if (rc_ != (code))                                                                  \
            fprintf (stderr, "unexpected exit %d: %s%s", rc_, out_, err_);                  \
        assert_int_equal (rc_, (code));                                                     \
        char **keep_ = (out_p);                                                             \
        if (keep_)                                                                          \
            *keep_ = out_;                                                                  \
        else                                                                                \
            free (out_);                                                                    \
        free (err_);                                                                        \
    } while (0)

//  The backbone defines k3-reading; alice submits a table with small
//  cells, then a correction, a note, a commitment and its update.
static void
s_history (s_world_t *self)
{
    S_CIBUS (0, NULL, "indicator", "define", "k3-reading", "--key", self->world.hub, "--name",
             "3rd-grade reading", "--unit", "percent", "--direction", "up", "--period",
             "quarter", "--dimension", "race=asian,black,hispanic,white");
    S_CIBUS (0, NULL, "submit", "--key", self->world.alice, "--network", "early-literacy",
             "--indicator", "k3-reading", "--period", "2026-Q3", "--total", "254/412", "--cell",
             "race=black:52/160", "--cell", "race=white:190/240", "--cell", "race=asian:12/12");
    S_CIBUS (0, NULL, "submit", "--key", self->world.alice, "--network", "early-literacy",
             "--indicator", "k3-reading", "--period", "2026-Q3", "--total", "255/412", "--cell",
             "race=black:53/160", "--cell", "race=white:190/240", "--cell", "race=asian:12/12");
    S_CIBUS (0, NULL, "submit", "--key", self->world.alice, "--network", "early-literacy",
             "--indicator", "k3-reading", "--period", "2026-Q2", "--total", "200/400", "--cell",
             "race=black:50/150", "--cell", "race=white:150/250");
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "network meeting", "--held-on", "2026-09-10", "--decision",
             "pilot leveled libraries");
    S_CIBUS (0, NULL, "commit", "--key", self->world.alice, "--network", "early-literacy",
             "--action", "open 3 libraries", "--due", "2026-08-15", "--id", "libraries");
    S_CIBUS (0, NULL, "update", "--key", self->world.alice, "--network", "early-literacy",
             "libraries", "--status", "at-risk", "--comment", "shipping delay");
    S_CIBUS (0, NULL, "note", "--key", self->world.bob, "--network", "postsecondary", "--title",
             "not for carol");
}


//  What one store would replay to carol: each readable entry's bytes, by
//  seq, as one text "seq:hex\n..." to compare whole.
typedef struct {
    const store_partner_t *reader;
    char *text;
    size_t used, room;
    size_t count;
} s_replay_t;

static bool
s_replay_one (const store_entry_t *entry, void *arg)
{
    s_replay_t *replay = arg;
    char network [CIBUS_MAX_NETWORK + 1];
    size_t size;
    const void *bytes = store_entry_bytes (entry, replay->reader, &size);
    if (!bytes || !codec_topic_network (entry->topic, network, sizeof network)
        || !store_may_read (replay->reader, network))
        return true;
    size_t need = replay->used + 32 + 2 * size + 2;
    if (need > replay->room) {
        replay->room = need * 2;
        replay->text = realloc (replay->text, replay->room);
        assert_non_null (replay->text);
    }
    replay->used += (size_t)sprintf (replay->text + replay->used, "%llu:",
                                     (unsigned long long)entry->seq);
    for (size_t i = 0; i < size; i++)
        replay->used += (size_t)sprintf (replay->text + replay->used, "%02x",
                                         ((const unsigned char *)bytes) [i]);
    replay->text [replay->used++] = '\n';
    replay->text [replay->used] = 0;
    replay->count++;
    return true;
}

static char *
s_replay (const char *path, size_t *count)
{
    char *networks [] = {"early-literacy"};
    store_partner_t carol = {.name = "carol", .role = ROLE_PARTNER, .network_count = 1,
                             .networks = networks};
    store_t *store = store_new (path, STORE_SYNC_NORMAL);
    assert_non_null (store);
    s_replay_t replay = {.reader = &carol, .text = strdup (""), .room = 1};
    assert_int_equal (store_read_from (store, 1, SIZE_MAX, s_replay_one, &replay, NULL), 0);
    store_destroy (&store);
    if (count)
        *count = replay.count;
    return replay.text;
}

//  The replica holds exactly what the broker would replay to carol now.
static void
s_assert_replica_equals_broker (s_world_t *self, size_t expected)
{
    char broker_db [4200];
    snprintf (broker_db, sizeof broker_db, "%s/cibus.db", self->world.data);
    size_t broker_count, replica_count;
    char *broker = s_replay (broker_db, &broker_count);
    char *replica = s_replay (self->replica, &replica_count);
    assert_int_equal (broker_count, expected);
    assert_int_equal (replica_count, expected);
    assert_string_equal (replica, broker);
    free (broker);
    free (replica);
}

static void
test_sync_replica_answers_offline_as_the_broker_does (void **state)
{
    s_world_t *self = *state;
    s_history (self);
    char *out;
    S_CIBUS (0, &out, "sync", "--key", self->carol, "--once");
    free (out);
    //  Catalogue 1, tables 2-4 (2 now a marker), note, commitment, update.
    s_assert_replica_equals_broker (self, 7);
    const char *queries [][8] = {
        {"values", "--indicator", "k3-reading", NULL},
        {"values", "--indicator", "k3-reading", "--by", "race", NULL},
        {"values", "--indicator", "k3-reading", "--history", NULL},
        {"commitments", NULL},
        {"commitments", "--overdue", "--today", "2026-10-01", NULL},
        {"notes", NULL},
        {"indicators", NULL},
        {"report", "--period", "2026-Q3", "--today", "2026-10-01", NULL},
    };
    for (size_t q = 0; q < sizeof queries / sizeof queries [0]; q++) {
        const char *const *args = queries [q];
        char *online, *offline, *err;
        const char *argv_on [12] = {0}, *argv_off [12] = {0};
        size_t n = 0;
        for (; args [n]; n++)
            argv_on [n] = argv_off [n] = args [n];
        argv_on [n] = argv_off [n] = "--key";
        argv_on [n + 1] = argv_off [n + 1] = self->carol;
        argv_on [n + 2] = argv_off [n + 2] = "--json";
        argv_off [n + 3] = "--offline";
        int rc = harness_cibus (&self->world, &online, &err, argv_on [0], argv_on [1],
                                argv_on [2], argv_on [3], argv_on [4], argv_on [5], argv_on [6],
                                argv_on [7], argv_on [8], argv_on [9], NULL);
        assert_int_equal (rc, 0);
        free (err);
        rc = harness_cibus (&self->world, &offline, &err, argv_off [0], argv_off [1],
                            argv_off [2], argv_off [3], argv_off [4], argv_off [5], argv_off [6],
                            argv_off [7], argv_off [8], argv_off [9], argv_off [10], NULL);
        if (rc != 0)
            fprintf (stderr, "%s: %s", args [0], err);
        assert_int_equal (rc, 0);
        free (err);
        //  Not yet: the report's submissions table lists the registry's
        //  partners, which a replica does not hold; the rest must agree.
        if (strcmp (args [0], "report") == 0) {
            const char *next = "{\"title\":\"commitments needing attention\"";
            assert_non_null (strstr (online, next));
            assert_non_null (strstr (offline, next));
            memmove (online, strstr (online, next), strlen (strstr (online, next)) + 1);
            memmove (offline, strstr (offline, next), strlen (strstr (offline, next)) + 1);
        }
        if (strcmp (online, offline) != 0)
            fprintf (stderr, "query %zu differs:\nbroker:  %sreplica: %s", q, online, offline);
        assert_string_equal (offline, online);
        free (online);
        free (offline);
    }
    //  A correction after the replica was made: the replica's copy of the
    //  version it replaces becomes the broker's marker.
    S_CIBUS (0, NULL, "submit", "--key", self->world.alice, "--network", "early-literacy",
             "--indicator", "k3-reading", "--period", "2026-Q2", "--total", "201/400", "--cell",
             "race=black:51/150", "--cell", "race=white:150/250");
    S_CIBUS (0, &out, "sync", "--key", self->carol, "--once");
    free (out);
    s_assert_replica_equals_broker (self, 8);
}

static void
test_sync_outbox_sends_each_update_once (void **state)
{
    s_world_t *self = *state;
    char *out;
    S_CIBUS (0, &out, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "queued", "--id", "note-1", "--queue");
    assert_string_equal (out, "queued: id note-1 (cibus sync sends it)\n");
    free (out);
    //  The same id again is nothing new; an update of a commitment nobody
    //  made will be refused.
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "queued", "--id", "note-1", "--queue");
    S_CIBUS (0, NULL, "update", "--key", self->world.alice, "--network", "early-literacy",
             "nobody", "--status", "done", "--id", "update-1", "--queue");
    S_CIBUS (0, &out, "outbox");
    assert_int_equal (harness_count (out, "pending "), 2);
    free (out);
    S_CIBUS (0, &out, "sync", "--key", self->world.alice, "--once");
    assert_non_null (strstr (out, "sent: id note-1, seq 1\n"));
    free (out);
    S_CIBUS (0, &out, "outbox", "--json");
    assert_non_null (strstr (out, "\"id\":\"update-1\""));
    assert_non_null (strstr (out, "\"state\":\"refused\""));
    assert_non_null (strstr (out, "commitment 'nobody' does not exist"));
    free (out);
    //  Queued again after it was sent (an ack lost): a duplicate.
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "queued", "--id", "note-1", "--queue");
    S_CIBUS (0, &out, "sync", "--key", self->world.alice, "--once");
    assert_non_null (strstr (out, "sent: id note-1, seq 1 (already stored: nothing new)\n"));
    free (out);
    S_CIBUS (0, &out, "outbox", "retry", "update-1");
    free (out);
    S_CIBUS (0, &out, "outbox");
    assert_int_equal (harness_count (out, "pending "), 1);
    free (out);
    S_CIBUS (0, &out, "outbox", "drop", "update-1");
    free (out);
    S_CIBUS (0, &out, "outbox");
    assert_string_equal (out, "the outbox is empty\n");
    free (out);
    S_CIBUS (1, NULL, "outbox", "drop", "update-1");
    S_CIBUS (0, &out, "status", "--key", self->world.hub, "--json");
    assert_non_null (strstr (out, "\"last_seq\":1,"));
    free (out);
    S_CIBUS (0, &out, "sync", "status", "--key", self->world.alice, "--json");
    assert_non_null (strstr (out, "\"seq\":1,\"head\":1,\"lag\":0,"));
    assert_non_null (strstr (out, "\"outbox_pending\":0,\"outbox_refused\":0"));
    free (out);
}

//  The broker unreachable: an update is queued, saying so, and exits 0.
static void
test_sync_unreachable_broker_queues_the_update (void **state)
{
    s_world_t *self = *state;
    char endpoint [4200], *out, *err, bin [PATH_MAX];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/nobody.sock", self->world.dir);
    char key [4200];
    snprintf (key, sizeof key, "%s/broker", self->world.data);
    harness_bin ("cibus", bin, sizeof bin);
    const char *argv [] = {bin, "note", "--broker", endpoint, "--broker-key", key, "--key",
                           self->world.alice,
                           "--network", "early-literacy", "--title", "offline", "--id",
                           "n-off", "--timeout", "1", NULL};
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 0);
    assert_non_null (strstr (err, "cibus note: the broker cannot be reached"));
    assert_non_null (strstr (err, "queued in the outbox"));
    assert_string_equal (out, "queued: id n-off (cibus sync sends it)\n");
    free (out), free (err);
    S_CIBUS (0, &out, "sync", "--key", self->world.alice, "--once");
    assert_non_null (strstr (out, "sent: id n-off, seq 1\n"));
    free (out);
}

//  The broker killed -9 and restarted between syncs: the replica resumes
//  from its last seq, no gap, no duplicate.
static void
test_sync_resumes_after_the_broker_is_killed (void **state)
{
    s_world_t *self = *state;
    s_history (self);
    S_CIBUS (0, NULL, "sync", "--key", self->carol, "--once");
    assert_true (harness_broker_stop (&self->world.broker, SIGKILL) >= 0);
    S_CIBUS (1, NULL, "sync", "--key", self->carol, "--once", "--timeout", "1");
    assert_true (harness_broker_start (&self->world.broker, self->world.data, NULL));
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "after the restart");
    S_CIBUS (0, NULL, "sync", "--key", self->carol, "--once");
    s_assert_replica_equals_broker (self, 8);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_sync_replica_answers_offline_as_the_broker_does,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sync_outbox_sends_each_update_once, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sync_unreachable_broker_queues_the_update,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sync_resumes_after_the_broker_is_killed, s_setup,
                                         s_teardown),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("sync", tests, NULL, NULL);
}
