/*  sync.c - the partner's sync client; see sync.h.

    Design
    ------
    `cibus sync` is a loop around one connection: connect and ping (who is
    this replica for), send the outbox in order, subscribe from the
    replica's last seq + 1, and store each entry as delivered
    (store_replicate) in batches that commit before more is asked for. The
    replica's seq only grows and each batch is one transaction, so after
    anything - the broker restarted or killed, the connection cut, this
    process killed - the next run resumes where the last commit left it:
    no gap, no duplicate.

    A broker that stops answering is found by a ping whenever nothing has
    arrived for S_PROBE_MSEC (the broker's own heartbeats come every 10 s by
    default, too slow to say so "within seconds"); it is said once, and
    reconnects back off exponentially, each wait drawn with jitter so that
    many clients of one broker do not come back in step.

    The outbox holds each update encoded, under the id it is published
    with: a resend after a lost ack is answered as a duplicate, never
    stored twice. A refusal is kept with the broker's words until the
    person retries or drops it.                                            */

#include "sync.h"

#include "cibus_json.h"
#include "codec.h"
#include "query.h"
#include "render.h"
#include "replica.h"

#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_EXIT_FAIL         1
#define S_EXIT_USAGE        2
#define S_BATCH             256   /* entries per replica transaction while catching up */
#define S_WAIT_MSEC         250   /* one wait for a delivery */
#define S_PROBE_MSEC        2000  /* ping after this long without a delivery */
#define S_PROBE_TIMEOUT     2000  /* and give up on the broker after this long */
#define S_ONCE_IDLE_MSEC    1000  /* --once: caught up after this long without anything */
#define S_BACKOFF_MIN_MSEC  250
#define S_BACKOFF_MAX_MSEC  30000
#define S_PROGRESS_MSEC     500

//  ---------------------------------------------------------------- helpers

//  The replica's path: --replica, else $XDG_DATA_HOME/cibus/replica.db,
//  else ~/.local/share/cibus/replica.db; the directory is made if needed.
static bool
s_replica_path (const char *command, opts_t *opts, char *path, size_t size)
{
    const char *given = opts_get (opts, "replica");
    if (given) {
        snprintf (path, size, "%s", given);
        return true;
    }
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    char dir [PATH_MAX - 16];
    if (xdg && *xdg)
        snprintf (dir, sizeof dir, "%s/cibus", xdg);
    else if (home && *home)
        snprintf (dir, sizeof dir, "%s/.local/share/cibus", home);
    else {
        fprintf (stderr, "cibus %s: neither XDG_DATA_HOME nor HOME is set: name the replica "
                         "with --replica PATH\n", command);
        return false;
    }
    if (zsys_dir_create ("%s", dir) != 0) {
        fprintf (stderr, "cibus %s: cannot make %s: %s\n", command, dir, strerror (errno));
        return false;
    }
    snprintf (path, size, "%s/replica.db", dir);
    return true;
}

static replica_t *
s_open (const char *command, opts_t *opts)
{
    char path [PATH_MAX];
    if (!s_replica_path (command, opts, path, sizeof path))
        return NULL;
    replica_t *replica = replica_new (path);
    if (!replica)
        fprintf (stderr, "cibus %s: cannot open the replica %s (see the message above)\n",
                 command, path);
    return replica;
}

//  The connection's configuration, as every other command makes it.
static void
s_config (opts_t *opts, cibus_config_t *config, char *default_key, size_t size, int timeout)
{
    const char *broker_key = opts_get (opts, "broker-key");
    if (!broker_key) {
        const char *data = getenv ("CIBUS_DATA");
        snprintf (default_key, size, "%s/broker", data && *data ? data : "./var");
        if (zsys_file_exists (default_key))
            broker_key = default_key;
    }
    *config = (cibus_config_t){opts_get (opts, "broker"), broker_key, opts_get (opts, "key"),
                               timeout};
}

static int64_t
s_now_msec (void)
{
    return zclock_mono ();
}

bool
sync_unreachable (cibus_err_t err)
{
    return err == CIBUS_ERR_TIMEOUT || err == CIBUS_ERR_CLOSED || err == CIBUS_ERR_IO;
}

//  A refusal stays refused: the same update sent again is refused again.
//  Anything else (the broker's disk, a quota, the connection) passes.
static bool
s_refusal (cibus_err_t err)
{
    return err == CIBUS_ERR_BAD_FIELD || err == CIBUS_ERR_FORBIDDEN || err == CIBUS_ERR_NOT_FOUND
           || err == CIBUS_ERR_EXISTS || err == CIBUS_ERR_MALFORMED || err == CIBUS_ERR_USAGE
           || err == CIBUS_ERR_REJECTED;
}

//  ---------------------------------------------------------------- outbox

int
sync_queue (const char *command, opts_t *opts, const cibus_envelope_t *env, const char *why)
{
    replica_t *replica = s_open (command, opts);
    if (!replica)
        return S_EXIT_FAIL;
    codec_buf_t buf = {0};
    cibus_err_t err = codec_pack_envelope (env, &buf);
    if (err == CIBUS_OK)
        err = replica_outbox_add (replica, env->id, env->topic, buf.data, buf.size);
    codec_buf_release (&buf);
    int rc = 0;
    if (err == CIBUS_ERR_EXISTS)
        fprintf (stderr, "cibus %s: %s%sid %s is already in the outbox: nothing new\n", command,
                 why ? why : "", why ? "; " : "", env->id);
    else if (err) {
        fprintf (stderr, "cibus %s: %s%scould not queue it in the outbox: %s\n", command,
                 why ? why : "", why ? "; " : "", cibus_strerror (err));
        rc = S_EXIT_FAIL;
    } else {
        if (why)
            fprintf (stderr, "cibus %s: %s; queued in the outbox: `cibus sync` sends it\n",
                     command, why);
        printf ("queued: id %s (cibus sync sends it)\n", env->id);
    }
    replica_destroy (&replica);
    return rc;
}

int
sync_queue_each (const char *command, opts_t *opts, size_t count, sync_build_fn *build,
                 void *arg, size_t *queued, size_t *already)
{
    *queued = *already = 0;
    replica_t *replica = s_open (command, opts);
    if (!replica)
        return S_EXIT_FAIL;
    int rc = 0;
    codec_buf_t buf = {0};
    for (size_t i = 0; i < count; i++) {
        cibus_envelope_t env;
        char message [512] = "";
        if (!build (arg, i, &env, message, sizeof message))
            continue; //  the builder reported it
        cibus_err_t err = codec_pack_envelope (&env, &buf);
        if (err == CIBUS_OK)
            err = replica_outbox_add (replica, env.id, env.topic, buf.data, buf.size);
        if (err == CIBUS_OK)
            (*queued)++;
        else if (err == CIBUS_ERR_EXISTS)
            (*already)++;
        else {
            fprintf (stderr, "cibus %s: could not queue id %s in the outbox: %s\n", command,
                     env.id, cibus_strerror (err));
            rc = S_EXIT_FAIL;
            break;
        }
    }
    codec_buf_release (&buf);
    replica_destroy (&replica);
    return rc;
}

typedef struct {
    char *id;
    void *request;
    size_t size;
} s_pending_t;

static void
s_pending_destroy (void **item)
{
    s_pending_t *pending = *item;
    if (pending) {
        free (pending->id);
        free (pending->request);
        free (pending);
    }
    *item = NULL;
}

static bool
s_collect (const outbox_item_t *item, void *arg)
{
    s_pending_t *pending = calloc (1, sizeof *pending);
    if (!pending)
        return false;
    pending->id = strdup (item->id);
    pending->request = malloc (item->size ? item->size : 1);
    pending->size = item->size;
    if (pending->request)
        memcpy (pending->request, item->request, item->size);
    if (!pending->id || !pending->request) {
        void *p = pending;
        s_pending_destroy (&p);
        return false;
    }
    zlistx_add_end (arg, pending);
    return true;
}

//  Send every pending item in order. CIBUS_OK when the outbox is done
//  (sent or refused); the connection's failure otherwise, the rest kept.
static cibus_err_t
s_flush_outbox (const char *command, replica_t *replica, cibus_t *client, bool quiet)
{
    zlistx_t *items = zlistx_new ();
    if (!items)
        return CIBUS_ERR_NOMEM;
    zlistx_set_destructor (items, s_pending_destroy);
    cibus_err_t err = replica_outbox_each (replica, true, s_collect, items);
    for (s_pending_t *item = zlistx_first (items); err == CIBUS_OK && item;
         item = zlistx_next (items)) {
        cibus_envelope_t *env = codec_envelope_decode (item->request, item->size);
        if (!env) {
            replica_outbox_mark (replica, item->id, OUTBOX_REFUSED,
                                 "the queued update does not decode");
            continue;
        }
        cibus_ack_t ack;
        cibus_err_t sent = cibus_publish (client, env, &ack);
        cibus_envelope_free (env);
        if (sent == CIBUS_OK) {
            err = replica_outbox_remove (replica, item->id);
            if (!quiet)
                printf ("sent: id %s, seq %llu%s\n", item->id, (unsigned long long)ack.seq,
                        ack.duplicate ? " (already stored: nothing new)" : "");
        } else if (s_refusal (sent)) {
            err = replica_outbox_mark (replica, item->id, OUTBOX_REFUSED, cibus_error (client));
            fprintf (stderr, "cibus %s: refused: id %s: %s (kept: `cibus outbox` lists it)\n",
                     command, item->id, cibus_error (client));
        } else
            err = sent; //  the broker's disk, a quota or the connection: later
    }
    zlistx_destroy (&items);
    fflush (stdout);
    return err;
}

typedef struct {
    json_t *list;
    bool json;
    size_t count;
} s_listing_t;

static bool
s_list_item (const outbox_item_t *item, void *arg)
{
    s_listing_t *listing = arg;
    char when [32];
    render_time (item->queued_at, when, sizeof when);
    const char *state = item->state == OUTBOX_REFUSED ? "refused" : "pending";
    listing->count++;
    if (listing->json) {
        json_t *json = json_object ();
        int failed = cibus_json_set (json, "id", cibus_json_string (item->id));
        failed |= cibus_json_set (json, "topic", cibus_json_string (item->topic));
        failed |= cibus_json_set (json, "state", cibus_json_string (state));
        failed |= cibus_json_set (json, "queued_at", json_integer (item->queued_at));
        if (item->reason)
            failed |= cibus_json_set (json, "reason", cibus_json_string (item->reason));
        if (failed || json_array_append_new (listing->list, json))
            return false;
    } else
        printf ("%-8s %s %s %s%s%s\n", state, item->id, item->topic, when,
                item->reason ? "  " : "", item->reason ? item->reason : "");
    return true;
}

int
sync_cmd_outbox (const char *command, opts_t *opts)
{
    size_t given = opts_positional_count (opts);
    const char *action = given > 1 ? opts_positional (opts, 1) : NULL;
    const char *id = given > 2 ? opts_positional (opts, 2) : NULL;
    if (action && strcmp (action, "retry") != 0 && strcmp (action, "drop") != 0)
        return fprintf (stderr, "cibus %s: unknown action '%s': retry ID or drop ID (see "
                                "`cibus %s --help`)\n", command, action, command),
               S_EXIT_USAGE;
    if (action && (!id || given > 3))
        return fprintf (stderr, "cibus %s: %s takes one ID (see `cibus %s --help`)\n", command,
                        action, command),
               S_EXIT_USAGE;
    replica_t *replica = s_open (command, opts);
    if (!replica)
        return S_EXIT_FAIL;
    int rc = 0;
    if (!action) {
        s_listing_t listing = {.json = opts_flag (opts, "json")};
        listing.list = listing.json ? json_array () : NULL;
        cibus_err_t err = replica_outbox_each (replica, false, s_list_item, &listing);
        if (err) {
            fprintf (stderr, "cibus %s: cannot read the outbox: %s\n", command,
                     cibus_strerror (err));
            rc = S_EXIT_FAIL;
            json_decref (listing.list);
        } else if (listing.json) {
            json_t *json = json_object ();
            int failed = cibus_json_set (json, "items", listing.list);
            if (!cibus_json_print (failed ? NULL : json, stdout))
                rc = S_EXIT_FAIL;
            if (failed)
                json_decref (json);
        } else if (listing.count == 0)
            printf ("the outbox is empty\n");
    } else {
        cibus_err_t err = strcmp (action, "drop") == 0
                              ? replica_outbox_remove (replica, id)
                              : replica_outbox_mark (replica, id, OUTBOX_PENDING, NULL);
        if (err == CIBUS_ERR_NOT_FOUND) {
            fprintf (stderr, "cibus %s: no item with id '%s' in the outbox (`cibus outbox` "
                             "lists them)\n", command, id);
            rc = S_EXIT_FAIL;
        } else if (err) {
            fprintf (stderr, "cibus %s: %s\n", command, cibus_strerror (err));
            rc = S_EXIT_FAIL;
        } else
            printf ("%s: %s\n", strcmp (action, "drop") == 0 ? "dropped" : "pending again", id);
    }
    replica_destroy (&replica);
    return rc;
}

//  ---------------------------------------------------------------- offline queries

int
sync_query_offline (const char *command, opts_t *opts, const Cibus__Query *query,
                    render_format_t format)
{
    replica_t *replica = s_open (command, opts);
    if (!replica)
        return S_EXIT_FAIL;
    store_partner_t reader;
    cibus_err_t err = replica_reader (replica, &reader);
    int rc = 0;
    if (err == CIBUS_ERR_NOT_FOUND) {
        fprintf (stderr, "cibus %s: the replica has never been synced: run `cibus sync` "
                         "first\n", command);
        replica_destroy (&replica);
        return S_EXIT_FAIL;
    } else if (err) {
        fprintf (stderr, "cibus %s: cannot read the replica: %s\n", command,
                 cibus_strerror (err));
        replica_destroy (&replica);
        return S_EXIT_FAIL;
    }
    store_answer_t *answer = NULL;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    err = store_query (replica_store (replica), query, &reader, NULL, &answer, &problem);
    Cibus__QueryReply *reply = err ? NULL : store_answer_reply (answer);
    if (err) {
        fprintf (stderr, "cibus %s: %s\n", command,
                 problem.message [0] ? problem.message : cibus_strerror (err));
        rc = err == CIBUS_ERR_STORE ? S_EXIT_FAIL : S_EXIT_FAIL;
    } else if (!reply) {
        fprintf (stderr, "cibus %s: out of memory\n", command);
        rc = S_EXIT_FAIL;
    } else if (!render_tables (reply, format, stdout)) {
        fprintf (stderr, "cibus %s: cannot write the answer: %s\n", command, strerror (errno));
        rc = S_EXIT_FAIL;
    }
    store_answer_reply_free (reply);
    store_answer_free (answer);
    store_partner_release (&reader);
    replica_destroy (&replica);
    return rc;
}

//  ---------------------------------------------------------------- sync

typedef struct {
    const char *command;
    opts_t *opts;
    replica_t *replica;
    store_t *store;
    store_partner_t reader;
    bool once;
    bool tty;
    bool lost;          /* the loss of the broker was said */
    size_t in_batch;    /* entries stored in the open transaction */
    uint64_t stored;    /* entries stored by this run */
    int failures;       /* connection attempts failed in a row */
    const char *prefixes [CIBUS_MAX_LIST];
    size_t prefix_count;
    int64_t progress_at;
} s_sync_t;

static void
s_error (s_sync_t *self, const char *text)
{
    replica_meta_set (self->replica, "last_error", text);
}

static cibus_err_t
s_commit (s_sync_t *self)
{
    if (!self->in_batch)
        return CIBUS_OK;
    cibus_err_t err = store_batch_commit (self->store);
    self->in_batch = 0;
    return err;
}

//  Store one delivered entry (a new transaction when none is open).
static cibus_err_t
s_store (s_sync_t *self, const cibus_envelope_t *env)
{
    codec_buf_t buf = {0};
    cibus_err_t err = codec_pack_envelope (env, &buf);
    if (err == CIBUS_OK && !self->in_batch && store_batch_begin (self->store))
        err = CIBUS_ERR_STORE;
    if (err == CIBUS_OK) {
        err = store_replicate (self->store, buf.data, buf.size, &self->reader);
        //  One held already (a cursor renewed over what was stored) is
        //  not stored twice; the batch goes on.
        if (err == CIBUS_ERR_EXISTS)
            err = CIBUS_OK;
        else if (err == CIBUS_OK)
            self->stored++;
        if (err)
            store_batch_abort (self->store), self->in_batch = 0;
        else
            self->in_batch++;
    }
    codec_buf_release (&buf);
    if (err == CIBUS_OK && self->in_batch >= S_BATCH)
        err = s_commit (self);
    return err;
}

//  The catch-up's progress on a terminal: count, rate, time left.
static void
s_progress (s_sync_t *self, uint64_t head, int64_t started, bool done)
{
    if (!self->tty)
        return;
    int64_t now = s_now_msec ();
    if (!done && now - self->progress_at < S_PROGRESS_MSEC)
        return;
    self->progress_at = now;
    uint64_t seq = store_last_seq (self->store) + self->in_batch;
    double seconds = (double)(now - started) / 1000.0;
    double rate = seconds > 0 ? (double)self->stored / seconds : 0;
    uint64_t left = head > seq ? head - seq : 0;
    fprintf (stderr, "\rcibus %s: %llu entries, %.0f/s, at seq %llu of %llu, ~%.0f s left   %s",
             self->command, (unsigned long long)self->stored, rate, (unsigned long long)seq,
             (unsigned long long)head, rate > 0 ? (double)left / rate : 0.0, done ? "\n" : "");
}

//  Whether the replica is for this reader: the first sync names it.
static int
s_check_reader (s_sync_t *self, const char *partner, const char *role)
{
    char known [160];
    if (replica_meta_get (self->replica, "partner", known, sizeof known) == CIBUS_OK
        && strcmp (known, partner) != 0) {
        fprintf (stderr, "cibus %s: the replica holds what '%s' may read, and this key is "
                         "'%s': name another with --replica PATH\n", self->command, known,
                 partner);
        return S_EXIT_FAIL;
    }
    if (replica_meta_set (self->replica, "partner", partner)
        || replica_meta_set (self->replica, "role", role))
        return S_EXIT_FAIL;
    store_partner_release (&self->reader);
    memset (&self->reader, 0, sizeof self->reader);
    snprintf (self->reader.name, sizeof self->reader.name, "%.128s", partner);
    store_role_parse (role, &self->reader.role);
    return 0;
}

//  The wait before the next attempt: doubling from S_BACKOFF_MIN_MSEC up
//  to S_BACKOFF_MAX_MSEC, each drawn between half and all of it.
static int
s_backoff_msec (int failures)
{
    double full = S_BACKOFF_MIN_MSEC * pow (2, failures > 16 ? 16 : failures);
    if (full > S_BACKOFF_MAX_MSEC)
        full = S_BACKOFF_MAX_MSEC;
    return (int)(full / 2 + (double)randof ((int)(full / 2) + 1));
}

static void
s_lost (s_sync_t *self, const char *why)
{
    char text [600];
    snprintf (text, sizeof text, "lost the broker: %s", why);
    s_error (self, text);
    if (!self->lost)
        fprintf (stderr, "cibus %s: %s; reconnecting\n", self->command, text);
    self->lost = true;
}

//  The partners of the reader's networks as the broker's registry has
//  them, kept in the replica so that its report counts submissions against
//  the same roster offline. Rows that are not three texts are skipped.
static cibus_err_t
s_roster (s_sync_t *self, cibus_t *client)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "partners";
    Cibus__Reply *reply = NULL;
    cibus_err_t err = cibus_query (client, &query, &reply);
    if (err)
        return err;
    const Cibus__Table *table = reply->result && reply->result->n_tables == 1
                                    ? reply->result->tables [0]
                                    : NULL;
    size_t count = 0;
    replica_member_t *members =
        table && table->n_rows ? calloc (table->n_rows, sizeof *members) : NULL;
    for (size_t i = 0; members && i < table->n_rows; i++) {
        const Cibus__Row *row = table->rows [i];
        if (row->n_cells == 3 && row->cells [0]->text && row->cells [1]->text
            && row->cells [2]->text)
            members [count++] = (replica_member_t) {row->cells [0]->text, row->cells [1]->text,
                                                    row->cells [2]->text};
    }
    if (table && table->n_rows && !members)
        err = CIBUS_ERR_NOMEM;
    else if (replica_roster_replace (self->replica, members, count))
        err = CIBUS_ERR_STORE;
    free (members);
    cibus_reply_free (reply);
    return err;
}

//  One connection's life: ping, outbox, subscribe, store. Returns 0 when
//  --once is done, -1 to connect again, or an exit code to stop with.
static int
s_session (s_sync_t *self)
{
    char key [PATH_MAX];
    cibus_config_t config;
    s_config (self->opts, &config, key, sizeof key, S_PROBE_TIMEOUT);
    char error [512];
    cibus_t *client = cibus_new (&config, error, sizeof error);
    if (!client) {
        fprintf (stderr, "cibus %s: %s\n", self->command, error);
        s_error (self, error);
        return S_EXIT_FAIL;
    }
    int rc = -1;
    char partner [160], role [32];
    cibus_err_t err = cibus_ping (client, partner, sizeof partner, role, sizeof role);
    if (err) {
        if (err == CIBUS_ERR_UNKNOWN_KEY || !sync_unreachable (err)) {
            fprintf (stderr, "cibus %s: %s\n", self->command, cibus_error (client));
            s_error (self, cibus_error (client));
            rc = S_EXIT_FAIL;
        } else
            s_lost (self, cibus_error (client));
        cibus_destroy (&client);
        return rc;
    }
    if (self->lost)
        fprintf (stderr, "cibus %s: the broker is back\n", self->command);
    self->lost = false;
    self->failures = 0;
    if ((rc = s_check_reader (self, partner, role)) != 0) {
        cibus_destroy (&client);
        return rc;
    }
    rc = -1;
    err = s_flush_outbox (self->command, self->replica, client, false);
    //  An integrator reads nothing: its replica is only an outbox (a feed
    //  queued with --queue), sent now and, when following, every few
    //  seconds while the broker answers.
    while (err == CIBUS_OK && strcmp (role, "integrator") == 0 && !zsys_interrupted) {
        if (self->once) {
            rc = 0;
            break;
        }
        zclock_sleep (S_PROBE_MSEC);
        err = cibus_ping (client, NULL, 0, NULL, 0);
        if (err == CIBUS_OK)
            err = s_flush_outbox (self->command, self->replica, client, false);
    }
    if (rc == 0 || (err == CIBUS_OK && zsys_interrupted)) {
        cibus_destroy (&client);
        return 0;
    }
    if (err == CIBUS_OK && (err = s_roster (self, client)) == CIBUS_ERR_STORE) {
        //  The replica's fault, not the broker's: say so, not the last
        //  thing the connection said.
        fprintf (stderr, "cibus %s: the replica could not keep the partners of its networks\n",
                 self->command);
        s_error (self, "the replica could not keep the partners of its networks");
        cibus_destroy (&client);
        return S_EXIT_FAIL;
    }
    uint64_t head = 0;
    cibus_status_t status;
    if (err == CIBUS_OK && (err = cibus_status (client, &status)) == CIBUS_OK)
        head = status.last_seq;
    uint64_t from = store_last_seq (self->store) + 1;
    if (err == CIBUS_OK)
        err = cibus_subscribe (client, self->prefixes, self->prefix_count, from, 0, NULL);
    int64_t started = s_now_msec (), quiet_since = started;
    while (err == CIBUS_OK && !zsys_interrupted) {
        cibus_envelope_t *env = NULL;
        err = cibus_next (client, S_WAIT_MSEC, &env);
        if (err == CIBUS_OK) {
            uint64_t seq = env->seq;
            err = s_store (self, env);
            cibus_envelope_free (env);
            if (err) {
                fprintf (stderr, "cibus %s: the replica could not store seq %llu: %s\n",
                         self->command, (unsigned long long)seq, cibus_strerror (err));
                s_error (self, "the replica could not store an entry");
                rc = S_EXIT_FAIL;
                break;
            }
            quiet_since = s_now_msec ();
            s_progress (self, head, started, false);
            continue;
        }
        if (err != CIBUS_ERR_TIMEOUT)
            break;
        err = s_commit (self);
        if (err) {
            rc = S_EXIT_FAIL;
            break;
        }
        int64_t quiet = s_now_msec () - quiet_since;
        if (self->once && (store_last_seq (self->store) >= head || quiet >= S_ONCE_IDLE_MSEC)) {
            s_progress (self, head, started, true);
            rc = 0;
            break;
        }
        if (quiet >= S_PROBE_MSEC) {
            //  Nothing for a while: is the broker still there? The same
            //  connection answers, so a live one also proves the cursor.
            err = cibus_ping (client, NULL, 0, NULL, 0);
            if (err == CIBUS_OK)
                err = s_flush_outbox (self->command, self->replica, client, false);
            quiet_since = s_now_msec ();
        }
    }
    if (s_commit (self))
        rc = S_EXIT_FAIL;
    if (rc == -1 && err && !zsys_interrupted) {
        if (sync_unreachable (err))
            s_lost (self, cibus_error (client));
        else {
            fprintf (stderr, "cibus %s: %s\n", self->command, cibus_error (client));
            s_error (self, cibus_error (client));
            rc = S_EXIT_FAIL;
        }
    }
    if (zsys_interrupted && rc == -1)
        rc = 0;
    if (rc == 0) {
        char now [32];
        render_time (zclock_time () * 1000, now, sizeof now);
        replica_meta_set (self->replica, "last_sync", now);
    }
    cibus_destroy (&client);
    return rc;
}

static int
s_status (const char *command, opts_t *opts, replica_t *replica)
{
    store_t *store = replica_store (replica);
    uint64_t seq = store_last_seq (store), pending = 0, refused = 0, head = 0;
    replica_outbox_count (replica, &pending, &refused);
    char last_error [600] = "", partner [160] = "", last_sync [64] = "";
    replica_meta_get (replica, "last_error", last_error, sizeof last_error);
    replica_meta_get (replica, "partner", partner, sizeof partner);
    replica_meta_get (replica, "last_sync", last_sync, sizeof last_sync);
    char key [PATH_MAX], error [512];
    cibus_config_t config;
    s_config (opts, &config, key, sizeof key, S_PROBE_TIMEOUT);
    cibus_t *client = cibus_new (&config, error, sizeof error);
    cibus_status_t status;
    bool reachable = client && cibus_status (client, &status) == CIBUS_OK;
    if (reachable)
        head = status.last_seq;
    else if (client)
        snprintf (error, sizeof error, "%s", cibus_error (client));
    cibus_destroy (&client);
    if (opts_flag (opts, "json")) {
        json_t *json = json_object ();
        int failed = cibus_json_set (json, "replica", cibus_json_string (store_path (store)));
        failed |= cibus_json_set (json, "partner", partner [0] ? cibus_json_string (partner)
                                                                : json_null ());
        failed |= cibus_json_set (json, "seq", cibus_json_u64 (seq));
        failed |= cibus_json_set (json, "head", reachable ? cibus_json_u64 (head)
                                                          : json_null ());
        failed |= cibus_json_set (json, "lag", reachable ? cibus_json_u64 (head > seq ? head - seq
                                                                                     : 0)
                                                         : json_null ());
        failed |= cibus_json_set (json, "reachable", json_boolean (reachable));
        failed |= cibus_json_set (json, "outbox_pending", cibus_json_u64 (pending));
        failed |= cibus_json_set (json, "outbox_refused", cibus_json_u64 (refused));
        failed |= cibus_json_set (json, "last_sync", last_sync [0] ? cibus_json_string (last_sync)
                                                                   : json_null ());
        failed |= cibus_json_set (json, "last_error",
                                  last_error [0] ? cibus_json_string (last_error) : json_null ());
        if (failed) {
            json_decref (json);
            json = NULL;
        }
        if (!cibus_json_print (json, stdout)) {
            fprintf (stderr, "cibus %s: out of memory\n", command);
            return S_EXIT_FAIL;
        }
        return 0;
    }
    printf ("replica     %s%s%s%s\n", store_path (store), partner [0] ? " (for " : "", partner,
            partner [0] ? ")" : "");
    printf ("seq         %llu\n", (unsigned long long)seq);
    if (reachable)
        printf ("broker      %llu (lag %llu)\n", (unsigned long long)head,
                (unsigned long long)(head > seq ? head - seq : 0));
    else
        printf ("broker      unreachable: %s\n", error);
    printf ("outbox      %llu pending, %llu refused\n", (unsigned long long)pending,
            (unsigned long long)refused);
    printf ("last sync   %s\n", last_sync [0] ? last_sync : "never");
    printf ("last error  %s\n", last_error [0] ? last_error : "none");
    return 0;
}

int
sync_cmd_sync (const char *command, opts_t *opts)
{
    size_t given = opts_positional_count (opts);
    const char *action = given > 1 ? opts_positional (opts, 1) : NULL;
    if ((action && strcmp (action, "status") != 0) || given > 2)
        return fprintf (stderr, "cibus %s: unexpected argument '%s' (see `cibus %s --help`)\n",
                        command, opts_positional (opts, given > 2 && action
                                                                  && strcmp (action, "status")
                                                                         == 0
                                                              ? 2
                                                              : 1),
                        command),
               S_EXIT_USAGE;
    size_t prefix_count = opts_count (opts, "topic");
    if (prefix_count > CIBUS_MAX_LIST)
        return fprintf (stderr, "cibus %s: at most %d --topic (see `cibus %s --help`)\n",
                        command, CIBUS_MAX_LIST, command),
               S_EXIT_USAGE;
    replica_t *replica = s_open (command, opts);
    if (!replica)
        return S_EXIT_FAIL;
    if (action) {
        int rc = s_status (command, opts, replica);
        replica_destroy (&replica);
        return rc;
    }
    s_sync_t self = {.command = command,
                     .opts = opts,
                     .replica = replica,
                     .store = replica_store (replica),
                     .once = opts_flag (opts, "once"),
                     .tty = isatty (STDERR_FILENO) != 0,
                     .prefix_count = prefix_count};
    for (size_t i = 0; i < prefix_count; i++)
        self.prefixes [i] = opts_item (opts, "topic", i);
    int rc;
    while ((rc = s_session (&self)) == -1 && !zsys_interrupted) {
        if (self.once) {
            fprintf (stderr, "cibus %s: the broker cannot be reached; the replica stays at seq "
                             "%llu\n", command,
                     (unsigned long long)store_last_seq (self.store));
            rc = S_EXIT_FAIL;
            break;
        }
        int wait = s_backoff_msec (self.failures++);
        for (int64_t until = s_now_msec () + wait; s_now_msec () < until && !zsys_interrupted;)
            zclock_sleep (50);
    }
    if (rc == -1)
        rc = 0;
    store_partner_release (&self.reader);
    replica_destroy (&replica);
    return rc;
}
