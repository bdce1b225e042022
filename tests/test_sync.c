/*  test_sync.c - `cibus sync`: a partner's replica answers offline as the
    broker answers that partner, holds the same bytes the broker would
    replay to it, and the outbox sends each queued update exactly once. */

//  posix_openpt and its kin (XSI).
#define _XOPEN_SOURCE 600

#include "harness.h"
#include "proxy.h"

#include "cibus_wire.h"
#include "codec.h"
#include "measure.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
    const char *endpoint; //  where spawned clients connect: NULL, the broker's
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
    //  The backbone tags alice with leveled libraries from 2026-Q3 on, for
    //  the bright spots below.
    S_CIBUS (0, NULL, "practice", "tag", "alice", "leveled-libraries", "--since", "2026-07-01",
             "--network", "early-literacy", "--key", self->world.hub);
    char *out;
    S_CIBUS (0, &out, "sync", "--key", self->carol, "--once");
    free (out);
    //  Catalogue 1, tables 2-4 (2 now a marker), note, commitment, update,
    //  practice tag.
    s_assert_replica_equals_broker (self, 8);
    const char *queries [][8] = {
        {"values", "--indicator", "k3-reading", NULL},
        {"values", "--indicator", "k3-reading", "--by", "race", NULL},
        {"values", "--indicator", "k3-reading", "--history", NULL},
        {"values", "--indicator", "k3-reading", "--history", "--by", "race", NULL},
        {"values", "--indicator", "k3-reading", "--network", "early-literacy", NULL},
        {"notes", "--since", "2026-09-01", NULL},
        {"commitments", "--owner", "alice", NULL},
        {"commitments", NULL},
        {"commitments", "--overdue", "--today", "2026-10-01", NULL},
        {"notes", NULL},
        {"indicators", NULL},
        {"report", "--period", "2026-Q3", "--today", "2026-10-01", NULL},
        {"brightspots", "--indicator", "k3-reading", "--practice", "leveled-libraries",
         "--period", "2026-Q3", NULL},
    };
    //  In JSON and in CSV, each printed from the same answer.
    const char *formats [] = {"--json", "--format=csv"};
    for (size_t i = 0; i < 2 * sizeof queries / sizeof queries [0]; i++) {
        size_t q = i / 2;
        const char *const *args = queries [q];
        char *online, *offline, *err;
        const char *argv_on [12] = {0}, *argv_off [12] = {0};
        size_t n = 0;
        for (; args [n]; n++)
            argv_on [n] = argv_off [n] = args [n];
        argv_on [n] = argv_off [n] = "--key";
        argv_on [n + 1] = argv_off [n + 1] = self->carol;
        argv_on [n + 2] = argv_off [n + 2] = formats [i % 2];
        argv_off [n + 3] = "--offline";
        int rc = harness_cibus (&self->world, &online, &err, argv_on [0], argv_on [1],
                                argv_on [2], argv_on [3], argv_on [4], argv_on [5], argv_on [6],
                                argv_on [7], argv_on [8], argv_on [9], NULL);
        if (rc != 0)
            fprintf (stderr, "%s: %s", args [0], err);
        assert_int_equal (rc, 0);
        free (err);
        rc = harness_cibus (&self->world, &offline, &err, argv_off [0], argv_off [1],
                            argv_off [2], argv_off [3], argv_off [4], argv_off [5], argv_off [6],
                            argv_off [7], argv_off [8], argv_off [9], argv_off [10], NULL);
        if (rc != 0)
            fprintf (stderr, "%s: %s", args [0], err);
        assert_int_equal (rc, 0);
        free (err);
        if (strcmp (online, offline) != 0)
            fprintf (stderr, "query %zu %s differs:\nbroker:  %sreplica: %s", q, formats [i % 2],
                     online, offline);
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
    s_assert_replica_equals_broker (self, 9);
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

//  Move the world's broker to an ipc socket, so that a restart answers on
//  the same endpoint as before (a tcp restart binds a new port, which a
//  running client would not know).
static void
s_broker_on_ipc (s_world_t *self)
{
    char socket [4200];
    snprintf (socket, sizeof socket, "%s/broker.sock", self->world.dir);
    assert_int_equal (harness_broker_stop (&self->world.broker, SIGTERM), 0);
    assert_true (harness_broker_start_ipc (&self->world.broker, self->world.data, socket, NULL));
}

static void
s_broker_restart (s_world_t *self)
{
    char socket [4200];
    snprintf (socket, sizeof socket, "%s/broker.sock", self->world.dir);
    assert_true (harness_broker_start_ipc (&self->world.broker, self->world.data, socket, NULL));
}

//  The broker killed -9 and restarted between syncs: the replica resumes
//  from its last seq, no gap, no duplicate. On an ipc socket in the test's
//  own directory, which nothing else can bind while the broker is down: a
//  tcp port let go by the killed broker may be any other process's at once.
static void
test_sync_resumes_after_the_broker_is_killed (void **state)
{
    s_world_t *self = *state;
    s_broker_on_ipc (self);
    s_history (self);
    S_CIBUS (0, NULL, "sync", "--key", self->carol, "--once");
    assert_true (harness_broker_stop (&self->world.broker, SIGKILL) >= 0);
    S_CIBUS (1, NULL, "sync", "--key", self->carol, "--once", "--timeout", "1");
    //  Its status says so: the replica's seq, no head, the error.
    char *out;
    S_CIBUS (0, &out, "sync", "status", "--key", self->carol, "--json", "--timeout", "1");
    assert_non_null (
        strstr (out, "\"seq\":7,\"head\":null,\"lag\":null,\"reachable\":false,"));
    if (!strstr (out, "\"last_error\":\"lost the broker: cannot reach the broker at "))
        fprintf (stderr, "sync status said: %s", out);
    assert_non_null (strstr (out, "\"last_error\":\"lost the broker: cannot reach the broker at "));
    free (out);
    s_broker_restart (self);
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "after the restart");
    S_CIBUS (0, NULL, "sync", "--key", self->carol, "--once");
    s_assert_replica_equals_broker (self, 8);
}

//  ---------------------------------------------------------------- resilience

#define S_BACKLOG 3000 /* entries a long catch-up replays */
#define S_QUEUED  3    /* updates queued in the outbox before a sync */
//  At most what a sync client holds beyond its last commit: an open batch
//  (256 entries) and a credit window.
#define S_BATCH_AND_WINDOW (256 + CIBUS_CREDIT_DEFAULT)

//  A long backlog carol may read: S_BACKLOG notes alice publishes, each
//  with a decision long enough that replaying them takes a while.
static void
s_backlog (s_world_t *self, const char *prefix, size_t count)
{
    cibus_t *client = harness_client (&self->world, self->world.alice, HARNESS_DEADLINE_MSEC);
    assert_non_null (client);
    char decision [512];
    memset (decision, 'd', sizeof decision - 1);
    decision [sizeof decision - 1] = 0;
    char *decisions [] = {decision};
    for (size_t i = 0; i < count; i++) {
        char id [64];
        snprintf (id, sizeof id, "%s-%zu", prefix, i);
        Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
        note.title = id;
        note.n_decisions = 1;
        note.decisions = decisions;
        cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
        env.topic = "early-literacy/note";
        env.id = id;
        env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
        env.note = &note;
        assert_int_equal (cibus_publish_async (client, &env), CIBUS_OK);
    }
    assert_int_equal (cibus_flush (client), CIBUS_OK);
    cibus_destroy (&client);
}

//  The broker's last seq, asked of it.
static uint64_t
s_head (s_world_t *self)
{
    cibus_t *client = harness_client (&self->world, self->world.hub, HARNESS_DEADLINE_MSEC);
    assert_non_null (client);
    cibus_status_t status;
    assert_int_equal (cibus_status (client, &status), CIBUS_OK);
    cibus_destroy (&client);
    return status.last_seq;
}

//  Queue S_QUEUED notes of alice's in the outbox of the replica at path.
static void
s_queue (s_world_t *self, const char *prefix)
{
    for (int i = 0; i < S_QUEUED; i++) {
        char id [64];
        snprintf (id, sizeof id, "%s-%d", prefix, i);
        S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
                 "--title", id, "--id", id, "--queue");
    }
}

typedef struct {
    const char *id;
    size_t count;
} s_id_count_t;

static bool
s_count_id (const store_entry_t *entry, void *arg)
{
    s_id_count_t *counting = arg;
    cibus_envelope_t *env = codec_envelope_decode (entry->envelope, entry->size);
    assert_non_null (env);
    if (env->id && strcmp (env->id, counting->id) == 0)
        counting->count++;
    cibus_envelope_free (env);
    return true;
}

//  Every update queued under prefix is in the broker's log exactly once,
//  and the outbox is empty (the broker's database is read directly).
static void
s_assert_queued_sent_once (s_world_t *self, const char *prefix)
{
    char *out;
    S_CIBUS (0, &out, "outbox");
    assert_string_equal (out, "the outbox is empty\n");
    free (out);
    char broker_db [4200];
    snprintf (broker_db, sizeof broker_db, "%s/cibus.db", self->world.data);
    store_t *store = store_new (broker_db, STORE_SYNC_NORMAL);
    assert_non_null (store);
    for (int i = 0; i < S_QUEUED; i++) {
        char id [64];
        snprintf (id, sizeof id, "%s-%d", prefix, i);
        s_id_count_t counting = {id, 0};
        assert_int_equal (store_read_from (store, 1, SIZE_MAX, s_count_id, &counting, NULL), 0);
        if (counting.count != 1)
            fprintf (stderr, "id %s is in the log %zu times\n", id, counting.count);
        assert_int_equal (counting.count, 1);
    }
    store_destroy (&store);
}

//  The replica's last seq (0 when it cannot be opened yet).
static uint64_t
s_replica_seq (s_world_t *self)
{
    //  Not made here before the sync client makes it.
    if (access (self->replica, F_OK) != 0)
        return 0;
    store_t *store = store_new (self->replica, STORE_SYNC_NORMAL);
    uint64_t seq = store ? store_last_seq (store) : 0;
    store_destroy (&store);
    return seq;
}

//  The replica's last seq through a read-only connection of the test's
//  own (opening a store each time is too slow to see a catch-up pass).
static uint64_t
s_peek_seq (sqlite3 **db, const char *path)
{
    if (!*db && access (path, F_OK) == 0
        && sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close (*db);
        *db = NULL;
    }
    sqlite3_stmt *stmt = NULL;
    uint64_t seq = 0;
    if (*db && sqlite3_prepare_v2 (*db, "SELECT COALESCE(MAX(seq), 0) FROM log", -1, &stmt,
                                   NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    //  Opened afresh each time: a connection opened while the replica was
    //  being made may not see its later commits.
    sqlite3_close (*db);
    *db = NULL;
    return seq;
}

//  Wait until the replica holds seq at least, up to the deadline. Woken
//  by the writes to its directory (the replica's WAL), and looked at again
//  every S_PEEK_MSEC besides: a commit becomes visible when the WAL index
//  (a shared mapping, which inotify does not see) is updated, after the
//  last write to the WAL that woke us.
#define S_PEEK_MSEC 50
static bool
s_wait_replica_seq (s_world_t *self, uint64_t seq, uint64_t *reached)
{
    int watch = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    assert_true (watch >= 0);
    assert_true (inotify_add_watch (watch, self->world.dir, IN_MODIFY | IN_CREATE) >= 0);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    sqlite3 *db = NULL;
    uint64_t now;
    while ((now = s_peek_seq (&db, self->replica)) < seq) {
        int64_t left = until - harness_now_msec ();
        if (left <= 0)
            break;
        struct pollfd item = {watch, POLLIN, 0};
        poll (&item, 1, (int) (left < S_PEEK_MSEC ? left : S_PEEK_MSEC));
        char events [4096];
        while (read (watch, events, sizeof events) > 0)
            ;
    }
    sqlite3_close (db);
    close (watch);
    if (reached)
        *reached = now;
    return now >= seq;
}

//  Start `cibus ARGS...` against the world's broker in the background, its
//  stderr to err_path and its stdout to out_path (NULL: discarded).
//  Returns its pid.
static pid_t
s_spawn (s_world_t *self, const char *err_path, const char *out_path, const char *const *args)
{
    char bin [PATH_MAX], key [4200];
    harness_bin ("cibus", bin, sizeof bin);
    snprintf (key, sizeof key, "%s/broker", self->world.data);
    const char *argv [32] = {bin};
    size_t argc = 1;
    for (; args [argc - 1] && argc < 31; argc++)
        argv [argc] = args [argc - 1];
    argv [argc] = NULL;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int err = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int out = open (out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err < 0 || out < 0)
            _exit (127);
        dup2 (err, 2);
        dup2 (out, 1);
        setenv ("CIBUS_BROKER", self->endpoint ? self->endpoint : self->world.broker.endpoint,
                1);
        setenv ("CIBUS_BROKER_KEY", key, 1);
        execv (bin, (char *const *) argv);
        _exit (127);
    }
    return pid;
}

//  Send a signal to a child and wait for it (pidfd, with the deadline).
//  Its status as from waitpid, or -1 when it did not exit in time.
static int
s_stop (pid_t pid, int signal)
{
    int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
    kill (pid, signal);
    int status = -1;
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    while (waitpid (pid, &status, WNOHANG) == 0) {
        int64_t left = until - harness_now_msec ();
        struct pollfd item = {pidfd, POLLIN, 0};
        if (pidfd < 0 || left <= 0 || poll (&item, 1, (int) left) <= 0) {
            kill (pid, SIGKILL);
            waitpid (pid, &status, 0);
            status = -1;
            break;
        }
    }
    if (pidfd >= 0)
        close (pidfd);
    return status;
}

//  The sync client killed -9 while it writes a long catch-up: the next
//  run (--once) resumes from the last commit, no gap, no duplicate.
static void
test_sync_client_killed_mid_catch_up_resumes (void **state)
{
    s_world_t *self = *state;
    s_history (self);
    s_backlog (self, "backlog", S_BACKLOG);
    s_queue (self, "queued");
    uint64_t head = s_head (self) + S_QUEUED;
    char err_path [4200];
    snprintf (err_path, sizeof err_path, "%s/sync.err", self->world.dir);
    const char *args [] = {"sync", "--key", self->carol, NULL};
    pid_t pid = s_spawn (self, err_path, NULL, args);
    uint64_t at_kill;
    assert_true (s_wait_replica_seq (self, S_BACKLOG / 4, &at_kill));
    int status = s_stop (pid, SIGKILL);
    assert_true (WIFSIGNALED (status));
    //  It was killed mid-catch-up, not after it.
    uint64_t kept = s_replica_seq (self);
    if (kept >= head)
        fprintf (stderr, "the catch-up was over (seq %llu) before the kill\n",
                 (unsigned long long) kept);
    assert_true (kept < head);
    char *out;
    S_CIBUS (0, &out, "sync", "--key", self->carol, "--once");
    free (out);
    assert_int_equal (s_replica_seq (self), head);
    //  History 7 readable, the backlog, the queued notes.
    s_assert_replica_equals_broker (self, 7 + S_BACKLOG + S_QUEUED);
    s_assert_queued_sent_once (self, "queued");
}

//  alice publishes a note titled title; the broker's last seq after it.
static uint64_t
s_note (s_world_t *self, const char *title)
{
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", title);
    return s_head (self);
}

//  `cibus sync` following: it takes each live entry as it comes, notices
//  the broker killed -9 and restarted on the same endpoint (once each),
//  and goes on; then the same across a clean stop that lasts while alice
//  queues an update. The replica ends equal to the broker's replay.
static void
test_sync_follows_through_broker_restarts (void **state)
{
    s_world_t *self = *state;
    s_broker_on_ipc (self);
    s_history (self);
    char err_path [4200], out_path [4200];
    snprintf (err_path, sizeof err_path, "%s/sync.err", self->world.dir);
    snprintf (out_path, sizeof out_path, "%s/sync.out", self->world.dir);
    const char *args [] = {"sync", "--key", self->carol, NULL};
    pid_t pid = s_spawn (self, err_path, out_path, args);
    uint64_t reached = 0;
    uint64_t head = s_note (self, "live one");
    if (!s_wait_replica_seq (self, head, &reached))
        fprintf (stderr, "the replica reached seq %llu of %llu\n", (unsigned long long) reached,
                 (unsigned long long) head);
    assert_int_equal (reached, head);
    //  Killed -9, noticed, restarted, noticed.
    assert_true (WIFSIGNALED (harness_broker_stop (&self->world.broker, SIGKILL)));
    assert_true (harness_wait_text (err_path, "cibus sync: lost the broker",
                                    HARNESS_DEADLINE_MSEC));
    s_broker_restart (self);
    assert_true (harness_wait_text (err_path, "cibus sync: the broker is back",
                                    HARNESS_DEADLINE_MSEC));
    head = s_note (self, "live two");
    assert_true (s_wait_replica_seq (self, head, &reached));
    //  Stopped cleanly and down until the sync client says so, while alice
    //  queues (the broker cannot be reached, so the note goes to the outbox
    //  by itself).
    assert_int_equal (harness_broker_stop (&self->world.broker, SIGTERM), 0);
    assert_true (harness_wait_count (err_path, "cibus sync: lost the broker", 2,
                                     HARNESS_DEADLINE_MSEC));
    for (int i = 0; i < S_QUEUED; i++) {
        char id [64];
        snprintf (id, sizeof id, "down-%d", i);
        S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
                 "--title", id, "--id", id, "--timeout", "1");
    }
    s_broker_restart (self);
    //  The sync client sends the queue when it is back, then follows.
    char sent [64];
    snprintf (sent, sizeof sent, "sent: id down-%d,", S_QUEUED - 1);
    assert_true (harness_wait_text (out_path, sent, HARNESS_DEADLINE_MSEC));
    head = s_note (self, "live three");
    assert_true (s_wait_replica_seq (self, head, &reached));
    int status = s_stop (pid, SIGTERM);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    char *err = harness_read_all (err_path);
    assert_non_null (err);
    if (harness_count (err, "lost the broker") != 2)
        fprintf (stderr, "sync said:\n%s", err);
    assert_int_equal (harness_count (err, "lost the broker"), 2);
    assert_int_equal (harness_count (err, "the broker is back"), 2);
    free (err);
    //  History 7 readable, three live notes, the queued ones.
    s_assert_replica_equals_broker (self, 7 + 3 + S_QUEUED);
    s_assert_queued_sent_once (self, "down");
}

//  How a following sync client loses the broker in the middle of a long
//  catch-up.
typedef enum { S_BROKER_KILLED, S_CONNECTION_CUT } s_interruption_t;

//  What the relay lets through of the catch-up before it holds the rest:
//  about a third of the backlog's notes.
#define S_HOLD_BYTES (S_BACKLOG / 3 * 600)

//  `cibus sync` following, with a long backlog and queued updates to send,
//  connected through a relay that holds the catch-up a third of the way
//  in: there the broker is killed -9 and restarted (on a new port, which
//  the relay follows), or the connection is cut. It reconnects and
//  resumes, and the replica ends equal to the broker's replay, each queued
//  update in the log once.
static void
s_catch_up_interrupted (s_world_t *self, s_interruption_t how)
{
    proxy_t *proxy = proxy_new (self->world.broker.endpoint);
    assert_non_null (proxy);
    self->endpoint = proxy_endpoint (proxy);
    s_history (self);
    s_backlog (self, "backlog", S_BACKLOG);
    s_queue (self, "queued");
    uint64_t head = s_head (self) + S_QUEUED;
    char err_path [4200];
    snprintf (err_path, sizeof err_path, "%s/sync.err", self->world.dir);
    const char *args [] = {"sync", "--key", self->carol, NULL};
    proxy_hold_after (proxy, S_HOLD_BYTES);
    pid_t pid = s_spawn (self, err_path, NULL, args);
    uint64_t reached;
    assert_true (s_wait_replica_seq (self, S_BACKLOG / 8, &reached));
    //  Held: the catch-up is under way, and not over.
    assert_true (reached < head);
    if (how == S_BROKER_KILLED) {
        assert_true (WIFSIGNALED (harness_broker_stop (&self->world.broker, SIGKILL)));
        proxy_cut (proxy); //  the killed broker's connections, reset
        assert_true (harness_broker_start (&self->world.broker, self->world.data, NULL));
        proxy_retarget (proxy, self->world.broker.endpoint);
    } else
        assert_true (proxy_cut (proxy) >= 1);
    if (!s_wait_replica_seq (self, head, &reached)) {
        char *err = harness_read_all (err_path);
        fprintf (stderr, "the replica reached seq %llu of %llu; sync said:\n%s",
                 (unsigned long long) reached, (unsigned long long) head, err ? err : "");
        free (err);
    }
    assert_int_equal (reached, head);
    int status = s_stop (pid, SIGTERM);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    proxy_destroy (&proxy);
    self->endpoint = NULL;
    s_assert_replica_equals_broker (self, 7 + S_BACKLOG + S_QUEUED);
    s_assert_queued_sent_once (self, "queued");
}

static void
test_sync_following_resumes_after_the_broker_is_killed_mid_catch_up (void **state)
{
    s_catch_up_interrupted (*state, S_BROKER_KILLED);
}

static void
test_sync_following_resumes_after_the_connection_is_cut_mid_catch_up (void **state)
{
    s_catch_up_interrupted (*state, S_CONNECTION_CUT);
}

//  Run `cibus ARGS...` with its stderr on a terminal (a pseudo-terminal
//  this test reads) to its end; what it wrote there, or NULL.
static char *
s_run_on_terminal (s_world_t *self, const char *const *args)
{
    int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true (master >= 0);
    assert_int_equal (grantpt (master), 0);
    assert_int_equal (unlockpt (master), 0);
    char terminal [4200];
    snprintf (terminal, sizeof terminal, "%s", ptsname (master));
    pid_t pid = s_spawn (self, terminal, NULL, args);
    size_t used = 0, room = 65536;
    char *text = malloc (room);
    assert_non_null (text);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    while (true) {
        int64_t left = until - harness_now_msec ();
        struct pollfd item = {master, POLLIN, 0};
        if (left <= 0 || poll (&item, 1, (int) left) <= 0)
            break;
        if (used + 4096 > room && !(text = realloc (text, room *= 2)))
            break;
        ssize_t got = read (master, text + used, 4096);
        if (got <= 0)
            break; //  EIO: the last writer closed the terminal
        used += (size_t) got;
    }
    int status = s_stop (pid, SIGTERM);
    close (master);
    assert_non_null (text);
    text [used] = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    return text;
}

//  A long catch-up on a terminal shows its progress: the count, the rate,
//  where it is of the broker's head and the time left, ending at the head.
static void
test_sync_shows_a_long_catch_up_s_progress_on_a_terminal (void **state)
{
    s_world_t *self = *state;
    s_history (self);
    s_backlog (self, "backlog", S_BACKLOG);
    uint64_t head = s_head (self);
    const char *args [] = {"sync", "--key", self->carol, "--once", NULL};
    char *text = s_run_on_terminal (self, args);
    char done [160];
    snprintf (done, sizeof done, "cibus sync: %d entries, ", 7 + S_BACKLOG);
    if (!strstr (text, done))
        fprintf (stderr, "sync showed:\n%s\n", text);
    assert_non_null (strstr (text, done));
    assert_non_null (strstr (text, "/s, at seq "));
    snprintf (done, sizeof done, "at seq %llu of %llu, ~0 s left", (unsigned long long) head,
              (unsigned long long) head);
    assert_non_null (strstr (text, done));
    free (text);
}

//  `cibus tail` following: the broker killed -9 and restarted on the same
//  endpoint; tail says once that it lost it and once that it is back, and
//  goes on printing what is published after.
static void
test_tail_says_when_it_loses_and_regains_the_broker (void **state)
{
    s_world_t *self = *state;
    s_broker_on_ipc (self);
    char err_path [4200], out_path [4200];
    snprintf (err_path, sizeof err_path, "%s/tail.err", self->world.dir);
    snprintf (out_path, sizeof out_path, "%s/tail.out", self->world.dir);
    const char *args [] = {"tail", "--key", self->world.alice, "--topic", "early-literacy",
                           "--from", "1", NULL};
    pid_t pid = s_spawn (self, err_path, out_path, args);
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "before the kill");
    assert_true (harness_wait_text (out_path, "before the kill", HARNESS_DEADLINE_MSEC));
    int status = harness_broker_stop (&self->world.broker, SIGKILL);
    assert_true (WIFSIGNALED (status));
    assert_true (harness_wait_text (err_path, "cibus tail: lost the broker",
                                    HARNESS_DEADLINE_MSEC));
    s_broker_restart (self);
    assert_true (harness_wait_text (err_path, "cibus tail: the broker is back",
                                    HARNESS_DEADLINE_MSEC));
    S_CIBUS (0, NULL, "note", "--key", self->world.alice, "--network", "early-literacy",
             "--title", "after the restart");
    assert_true (harness_wait_text (out_path, "after the restart", HARNESS_DEADLINE_MSEC));
    status = s_stop (pid, SIGTERM);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    char *err = harness_read_all (err_path), *out = harness_read_all (out_path);
    assert_non_null (err);
    assert_non_null (out);
    if (harness_count (err, "lost the broker") != 1)
        fprintf (stderr, "tail said:\n%s", err);
    assert_int_equal (harness_count (err, "lost the broker"), 1);
    assert_int_equal (harness_count (err, "the broker is back"), 1);
    assert_int_equal (harness_count (out, "before the kill"), 1);
    assert_int_equal (harness_count (out, "after the restart"), 1);
    free (err);
    free (out);
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
        cmocka_unit_test_setup_teardown (test_sync_client_killed_mid_catch_up_resumes, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sync_follows_through_broker_restarts, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_sync_following_resumes_after_the_broker_is_killed_mid_catch_up, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_sync_following_resumes_after_the_connection_is_cut_mid_catch_up, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_sync_shows_a_long_catch_up_s_progress_on_a_terminal,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tail_says_when_it_loses_and_regains_the_broker,
                                         s_setup, s_teardown),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("sync", tests, NULL, NULL);
}
