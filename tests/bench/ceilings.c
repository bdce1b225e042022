/*  ceilings.c - what this machine does without cibus, measured in the same
    run, in the same scratch directory as the broker's data:

      c1  appends of one entry's size, each followed by fdatasync: the
          floor under any durable ack;
      c2  raw inserts into a database with the store's own schema (made by
          store_new, so the DDL and indexes are the store's, not a copy),
          WAL, synchronous=FULL, each a log row and its dedupe key: (a) one
          row per transaction, (b) 1,000; (c) every row and lookup one
          data table asks for, each key written as it comes, 1,000 per
          transaction;
          and, for locating a gap, the same through the store's batch API;
      c3  ZeroMQ DEALER->ROUTER over CURVE on loopback: throughput of
          entry-sized messages, and the echo round trip. Each socket has
          its own context, as the broker and a client in two processes
          would, and no ZAP handler (CURVE still encrypts every frame).  */

#define _GNU_SOURCE
#include "bench.h"

#include "cells.h"
#include "codec.h"
#include "store.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_CURVE_KEY_BYTES 32

//  ---------------------------------------------------------------- c1 fsync

static bool
s_fsync_run (bench_t *self, double *ops, double *p50)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/ceiling-fsync", self->root);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0) {
        bench_fail (self, "c1: cannot open %s: %s", path, strerror (errno));
        return false;
    }
    uint8_t block [BENCH_ENTRY_SIZE];
    memset (block, 'e', sizeof block);
    samples_t latency = {0};
    bool ok = true;
    size_t done = 0;
    int64_t start = bench_now_nsec ();
    while (!bench_span_over (&self->size.fsync, start, done)) {
        int64_t before = bench_now_nsec ();
        if (write (fd, block, sizeof block) != (ssize_t) sizeof block || fdatasync (fd) != 0) {
            bench_fail (self, "c1: append to %s failed: %s", path, strerror (errno));
            ok = false;
            break;
        }
        samples_add (&latency, (double) (bench_now_nsec () - before) / 1000.0);
        done++;
    }
    *ops = (double) done / ((double) (bench_now_nsec () - start) / 1e9);
    *p50 = samples_quantile (&latency, 0.5);
    samples_release (&latency);
    close (fd);
    unlink (path);
    return ok;
}

//  ---------------------------------------------------------------- c2 SQLite

static void
s_db_remove (const char *path)
{
    char side [PATH_MAX + 64];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

//  Step a statement that returns no row and reset it.
static bool
s_step (sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE;
}

//  A scratch database with the store's own schema (made by store_new, so
//  the DDL and indexes are the store's, not a copy), opened raw in WAL
//  with synchronous=FULL plus pragmas, BEGIN IMMEDIATE and COMMIT
//  prepared.
typedef struct {
    char path [PATH_MAX + 32];
    sqlite3 *db;
    sqlite3_stmt *begin, *commit;
} s_raw_t;

static bool
s_raw_open (bench_t *self, s_raw_t *raw, const char *name, const char *pragmas)
{
    memset (raw, 0, sizeof *raw);
    snprintf (raw->path, sizeof raw->path, "%s/%s", self->root, name);
    s_db_remove (raw->path);
    store_t *store = store_new (raw->path, STORE_SYNC_FULL);
    store_destroy (&store);
    return sqlite3_open_v2 (raw->path, &raw->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                            NULL)
               == SQLITE_OK
           && sqlite3_exec (raw->db,
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            "PRAGMA foreign_keys = ON;",
                            NULL, NULL, NULL)
                  == SQLITE_OK
           && sqlite3_exec (raw->db, pragmas, NULL, NULL, NULL) == SQLITE_OK
           && sqlite3_prepare_v2 (raw->db, "BEGIN IMMEDIATE", -1, &raw->begin, NULL) == SQLITE_OK
           && sqlite3_prepare_v2 (raw->db, "COMMIT", -1, &raw->commit, NULL) == SQLITE_OK;
}

static void
s_raw_close (s_raw_t *raw)
{
    sqlite3_finalize (raw->begin);
    sqlite3_finalize (raw->commit);
    sqlite3_close (raw->db);
    s_db_remove (raw->path);
}

//  What one row of a raw run writes: the row-th of the run, its update
//  set, its envelope encoded once (encoding is the broker's work, not the
//  database's).
typedef bool(s_row_fn) (void *arg, const bench_update_t *update, size_t row, unsigned epoch,
                        int64_t now, const codec_buf_t *entry);

//  Write rows for the span, per_txn in each transaction; false on the
//  first failure. *per_sec is the rate of the rows written.
static bool
s_raw_loop (bench_t *self, s_raw_t *raw, size_t per_txn, const bench_span_t *span,
            s_row_fn *write_row, void *arg, double *per_sec)
{
    bench_update_t update;
    bench_update_init (self, &update);
    codec_buf_t entry = {NULL, 0, 0};
    bool ok = codec_pack_envelope (&update.env, &entry) == CIBUS_OK;
    unsigned epoch = self->epoch++;
    size_t rows = 0;
    int64_t start = bench_now_nsec ();
    while (ok && !bench_span_over (span, start, rows)) {
        ok = s_step (raw->begin);
        int64_t now = (int64_t) time (NULL) * 1000000;
        for (size_t k = 0; ok && k < per_txn; k++, rows++) {
            bench_update_set (&update, epoch, 0, rows);
            ok = write_row (arg, &update, rows, epoch, now, &entry);
        }
        ok = ok && s_step (raw->commit);
    }
    *per_sec = (double) rows / ((double) (bench_now_nsec () - start) / 1e9);
    codec_buf_release (&entry);
    return ok;
}

//  Insert rows for the span, per_txn rows in each transaction, with the
//  statements prepared once as the store does. The envelope is encoded
//  once: encoding is the broker's work, not the database's.
//  A log row and its dedupe key, which lands at random as a hash does.
typedef struct {
    sqlite3_stmt *insert, *key;
} s_log_rows_t;

static bool
s_log_row (void *arg, const bench_update_t *update, size_t row, unsigned epoch, int64_t now,
           const codec_buf_t *entry)
{
    s_log_rows_t *st = arg;
    sqlite3_bind_int64 (st->insert, 1, (sqlite3_int64) row + 1);
    sqlite3_bind_text (st->insert, 2, BENCH_PUBLISHER, -1, SQLITE_STATIC);
    sqlite3_bind_text (st->insert, 3, update->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (st->insert, 4, BENCH_TOPIC, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st->insert, 5, now);
    sqlite3_bind_blob (st->insert, 6, entry->data, (int) entry->size, SQLITE_STATIC);
    sqlite3_bind_int64 (st->key, 1, (sqlite3_int64) bench_mix ((uint64_t) row + epoch));
    sqlite3_bind_int64 (st->key, 2, (sqlite3_int64) row + 1);
    return s_step (st->insert) && s_step (st->key);
}

static bool
s_sqlite_run (bench_t *self, size_t per_txn, const bench_span_t *span, double *rows_per_sec)
{
    s_raw_t raw;
    s_log_rows_t st = {NULL, NULL};
    bool ok = s_raw_open (self, &raw, "ceiling.db", "")
              && sqlite3_prepare_v2 (raw.db,
                                     "INSERT INTO log (seq, partner, id, topic, received_at, "
                                     "envelope) VALUES (?, ?, ?, ?, ?, ?)",
                                     -1, &st.insert, NULL)
                     == SQLITE_OK
              && sqlite3_prepare_v2 (raw.db, "INSERT INTO log_keys (key, seq) VALUES (?, ?)", -1,
                                     &st.key, NULL)
                     == SQLITE_OK;
    ok = ok && s_raw_loop (self, &raw, per_txn, span, s_log_row, &st, rows_per_sec);
    if (!ok)
        bench_fail (self, "c2: raw SQLite insert into %s failed: %s", raw.path,
                    raw.db ? sqlite3_errmsg (raw.db) : "cannot open");
    sqlite3_finalize (st.insert);
    sqlite3_finalize (st.key);
    s_raw_close (&raw);
    return ok;
}

//  What one table asks of SQLite, raw, with the store's schema: the two
//  lookups of a first version (its dedupe key; its earlier versions, by
//  the hash of its key and its names) and the rows it adds (the log row
//  with the table's owner, masked copy and version's columns, its total
//  and three cells packed in them, and its two keys), prepared once,
//  1,000 tables per transaction. No rule, decision or encoding runs: the
//  cells are packed once, before the run, as the store packs them
//  (store/cells.h). Each key is written as it comes, where its
//  hash lands: what a build pays that writes its keys with its rows. The
//  store holds its newest keys in memory and writes them in key order
//  instead (store/key_run.h), so this is not a floor under it.
enum { S_ROW_FIND, S_ROW_VERSIONS, S_ROW_LOG, S_ROW_KEY, S_ROW_TKEY, S_ROW__COUNT };

typedef struct {
    sqlite3_stmt *st [S_ROW__COUNT];
    cells_pack_t cells; /* one table's cells, packed once */
} s_rows_t;

static const char *const s_row_sql [S_ROW__COUNT] = {
    [S_ROW_FIND] = "SELECT seq FROM log_keys WHERE key = ?",
    [S_ROW_VERSIONS] = "SELECT t.seq FROM table_keys k CROSS JOIN data_tables t ON t.seq = k.seq "
                       "WHERE k.tkey = ?20 AND t.network = ?1 AND t.owner = ?2 "
                       "AND t.unit = ?3 AND t.indicator = ?4 AND t.period = ?5",
    [S_ROW_LOG] = "INSERT INTO log (seq, partner, id, topic, received_at, envelope, owner, "
                  "masked, network, unit, indicator, period, version, status, source, "
                  "extracted_on, current, tkey, cells, ikey, okey) VALUES (?6, ?7, ?12, ?13, "
                  "?10, ?14, ?2, ?15, ?1, ?3, ?4, ?5, 1, 1, ?8, ?9, 1, ?20, ?11, ?16, ?17)",
    [S_ROW_KEY] = "INSERT INTO log_keys (key, seq) VALUES (?, ?)",
    [S_ROW_TKEY] = "INSERT INTO table_keys (tkey, seq) VALUES (?, ?)",
};

//  Step a lookup to its end and reset it.
static bool
s_look (sqlite3_stmt *stmt)
{
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        ;
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE;
}

static bool
s_table_rows (s_rows_t *rows, const bench_update_t *update, uint64_t seq, uint64_t key,
              int64_t now, const codec_buf_t *entry)
{
    sqlite3_stmt **st = rows->st;
    const Cibus__DataSubmission *data = &update->data;
    sqlite3_bind_int64 (st [S_ROW_FIND], 1, (sqlite3_int64) key);
    sqlite3_stmt *versions = st [S_ROW_VERSIONS], *log = st [S_ROW_LOG];
    const char *shared [5] = {BENCH_NETWORK, BENCH_PUBLISHER, data->unit, data->indicator,
                              data->period};
    for (int i = 0; i < 5; i++) {
        sqlite3_bind_text (versions, i + 1, shared [i], -1, SQLITE_STATIC);
        sqlite3_bind_text (log, i + 1, shared [i], -1, SQLITE_STATIC);
    }
    //  The table key's hash, at random as a hash lands.
    sqlite3_bind_int64 (versions, 20, (sqlite3_int64) bench_mix (key));
    sqlite3_bind_int64 (log, 20, (sqlite3_int64) bench_mix (key));
    sqlite3_bind_int64 (log, 6, (sqlite3_int64) seq);
    sqlite3_bind_text (log, 7, BENCH_PUBLISHER, -1, SQLITE_STATIC);
    sqlite3_bind_text (log, 8, data->source, -1, SQLITE_STATIC);
    sqlite3_bind_text (log, 9, data->extracted_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (log, 10, now);
    sqlite3_bind_blob (log, 11, rows->cells.buf.data, (int) rows->cells.buf.size, SQLITE_STATIC);
    sqlite3_bind_text (log, 12, update->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (log, 13, BENCH_TOPIC, -1, SQLITE_STATIC);
    sqlite3_bind_blob (log, 14, entry->data, (int) entry->size, SQLITE_STATIC);
    sqlite3_bind_blob (log, 15, entry->data, (int) entry->size, SQLITE_STATIC);
    //  The hashes of the indicator's name and of the network's and
    //  owner's, which every bench table shares.
    sqlite3_bind_int64 (log, 16, (sqlite3_int64) bench_mix (1));
    sqlite3_bind_int64 (log, 17, (sqlite3_int64) bench_mix (2));
    sqlite3_bind_int64 (st [S_ROW_KEY], 1, (sqlite3_int64) key);
    sqlite3_bind_int64 (st [S_ROW_KEY], 2, (sqlite3_int64) seq);
    sqlite3_bind_int64 (st [S_ROW_TKEY], 1, (sqlite3_int64) bench_mix (key));
    sqlite3_bind_int64 (st [S_ROW_TKEY], 2, (sqlite3_int64) seq);
    return s_look (st [S_ROW_FIND]) && s_look (versions) && s_step (log)
           && s_step (st [S_ROW_KEY]) && s_step (st [S_ROW_TKEY]);
}

static bool
s_table_row (void *arg, const bench_update_t *update, size_t row, unsigned epoch, int64_t now,
             const codec_buf_t *entry)
{
    return s_table_rows (arg, update, row + 1, bench_mix ((uint64_t) row + epoch), now, entry);
}

static bool
s_rows_run (bench_t *self, double *tables_per_sec)
{
    s_raw_t raw;
    s_rows_t rows = {.st = {NULL}};
    //  The bench's table, every cell shown, as the store would pack it.
    bench_update_t update;
    bench_update_init (self, &update);
    bench_update_set (&update, 0, 0, 0);
    disclosure_mark_t shown [BENCH_CELLS + 1] = {{.state = DISCLOSURE_SHOWN, .size_shown = true}};
    for (int i = 1; i <= BENCH_CELLS; i++)
        shown [i] = shown [0];
    bool ok = cells_pack (&rows.cells, update.data.total, &shown [0], update.data.cells,
                          &shown [1], update.data.n_cells)
              == CIBUS_OK;
    //  The store's own page cache, as the store API's run has it.
    ok = ok && s_raw_open (self, &raw, "ceiling-rows.db", "PRAGMA cache_size = -16384;");
    for (int i = 0; ok && i < S_ROW__COUNT; i++)
        ok = sqlite3_prepare_v2 (raw.db, s_row_sql [i], -1, &rows.st [i], NULL) == SQLITE_OK;
    ok = ok
         && s_raw_loop (self, &raw, BENCH_LOG_BATCH, &self->size.batch, s_table_row, &rows,
                        tables_per_sec);
    if (!ok)
        bench_fail (self, "c2: raw rows of a table into %s failed: %s", raw.path,
                    raw.db ? sqlite3_errmsg (raw.db) : "cannot open");
    for (int i = 0; i < S_ROW__COUNT; i++)
        sqlite3_finalize (rows.st [i]);
    cells_pack_release (&rows.cells);
    s_raw_close (&raw);
    return ok;
}

//  The broker's own storage path without the network: per entry the one
//  append path the broker takes (store_append: the dedupe lookup, the
//  checks against the catalogue, the table's suppression decided, its two
//  encodings, the insert and the projections); one commit per
//  BENCH_LOG_BATCH; for span's time or count of rows.
static bool
s_store_run (bench_t *self, const bench_span_t *span, double *rows_per_sec)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/ceiling-store.db", self->root);
    s_db_remove (path);
    store_partner_t publisher;
    store_t *store = bench_store_ready (self, path, &publisher);
    if (!store)
        return false;
    bench_update_t update;
    bench_update_init (self, &update);
    store_appended_t out = {0};
    unsigned epoch = self->epoch++;
    cibus_err_t err = CIBUS_OK;
    size_t rows = 0;
    int64_t start = bench_now_nsec ();
    while (err == CIBUS_OK && !bench_span_over (span, start, rows)) {
        err = store_batch_begin (store);
        int64_t now = (int64_t) time (NULL) * 1000000;
        for (size_t k = 0; err == CIBUS_OK && k < BENCH_LOG_BATCH; k++, rows++) {
            bench_update_set (&update, epoch, 0, rows);
            err = bench_store_append (self, store, &update, &publisher, now, &out);
        }
        err = err ? (store_batch_abort (store), err) : store_batch_commit (store);
    }
    *rows_per_sec = (double) rows / ((double) (bench_now_nsec () - start) / 1e9);
    if (err)
        bench_fail (self, "c2: store_append into %s failed: %s", path, cibus_strerror (err));
    store_appended_release (&out);
    store_partner_release (&publisher);
    store_destroy (&store);
    s_db_remove (path);
    return err == CIBUS_OK;
}

//  ---------------------------------------------------------------- c3 ZeroMQ

//  The ROUTER side in its thread. It counts entry-sized frames until an
//  empty one, which it answers with the count (sink), or echoes every
//  frame (echo); a one-byte frame ends it. Its receive timeout bounds
//  every wait.
typedef struct {
    void *ctx, *router;        /* the receiving "process" */
    void *client_ctx, *dealer; /* the sending one */
    bool echo;
    pthread_t thread;
    bool running;
} s_pair_t;

static void *
s_router_run (void *arg)
{
    s_pair_t *pair = arg;
    uint64_t count = 0;
    while (true) {
        zmq_msg_t routing, body;
        zmq_msg_init (&routing);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&routing, pair->router, 0) < 0
            || zmq_msg_recv (&body, pair->router, 0) < 0) {
            zmq_msg_close (&routing);
            zmq_msg_close (&body);
            break;
        }
        size_t size = zmq_msg_size (&body);
        bool quit = size == 1;
        if (!quit && (pair->echo || size == 0)) {
            zmq_msg_send (&routing, pair->router, ZMQ_SNDMORE);
            if (size == 0) {
                zmq_send (pair->router, &count, sizeof count, 0);
                count = 0;
            } else
                zmq_msg_send (&body, pair->router, 0);
        } else
            count++;
        zmq_msg_close (&routing);
        zmq_msg_close (&body);
        if (quit)
            break;
    }
    return NULL;
}

static void
s_pair_down (s_pair_t *pair)
{
    if (pair->running) {
        zmq_send (pair->dealer, "q", 1, 0);
        pthread_join (pair->thread, NULL);
    }
    if (pair->dealer)
        zmq_close (pair->dealer);
    if (pair->router)
        zmq_close (pair->router);
    if (pair->client_ctx)
        zmq_ctx_term (pair->client_ctx);
    if (pair->ctx)
        zmq_ctx_term (pair->ctx);
    memset (pair, 0, sizeof *pair);
}

static void
s_set_int (void *socket, int option, int value)
{
    zmq_setsockopt (socket, option, &value, sizeof value);
}

//  Both sockets, CURVE keys from zcert_new, connected and handshaken (one
//  empty frame answered) before anything is timed.
static bool
s_pair_up (bench_t *self, s_pair_t *pair, bool echo)
{
    memset (pair, 0, sizeof *pair);
    pair->echo = echo;
    zcert_t *server = zcert_new (), *client = zcert_new ();
    char endpoint [256];
    size_t len = sizeof endpoint;
    bool ok = server && client && (pair->ctx = zmq_ctx_new ())
              && (pair->client_ctx = zmq_ctx_new ())
              && (pair->router = zmq_socket (pair->ctx, ZMQ_ROUTER))
              && (pair->dealer = zmq_socket (pair->client_ctx, ZMQ_DEALER));
    if (ok) {
        s_set_int (pair->router, ZMQ_CURVE_SERVER, 1);
        zmq_setsockopt (pair->router, ZMQ_CURVE_SECRETKEY, zcert_secret_key (server),
                        S_CURVE_KEY_BYTES);
        zmq_setsockopt (pair->dealer, ZMQ_CURVE_SERVERKEY, zcert_public_key (server),
                        S_CURVE_KEY_BYTES);
        zmq_setsockopt (pair->dealer, ZMQ_CURVE_PUBLICKEY, zcert_public_key (client),
                        S_CURVE_KEY_BYTES);
        zmq_setsockopt (pair->dealer, ZMQ_CURVE_SECRETKEY, zcert_secret_key (client),
                        S_CURVE_KEY_BYTES);
        void *sockets [] = {pair->router, pair->dealer};
        for (size_t i = 0; i < 2; i++) {
            s_set_int (sockets [i], ZMQ_RCVTIMEO, BENCH_DEADLINE_MSEC);
            s_set_int (sockets [i], ZMQ_SNDTIMEO, BENCH_DEADLINE_MSEC);
            s_set_int (sockets [i], ZMQ_LINGER, 0);
        }
        ok = zmq_bind (pair->router, "tcp://127.0.0.1:*") == 0
             && zmq_getsockopt (pair->router, ZMQ_LAST_ENDPOINT, endpoint, &len) == 0
             && zmq_connect (pair->dealer, endpoint) == 0;
    }
    zcert_destroy (&server);
    zcert_destroy (&client);
    if (ok && pthread_create (&pair->thread, NULL, s_router_run, pair) == 0)
        pair->running = true;
    //  The handshake: an empty frame is answered in both modes.
    uint64_t count;
    ok = ok && pair->running && zmq_send (pair->dealer, "", 0, 0) == 0
         && zmq_recv (pair->dealer, &count, sizeof count, 0) >= 0;
    if (!ok) {
        bench_fail (self, "c3: cannot set up a CURVE DEALER/ROUTER pair: %s",
                    zmq_strerror (zmq_errno ()));
        s_pair_down (pair);
    }
    return ok;
}

static bool
s_zmq_throughput (bench_t *self, double *per_sec)
{
    s_pair_t pair;
    if (!s_pair_up (self, &pair, false))
        return false;
    uint8_t payload [BENCH_ENTRY_SIZE];
    memset (payload, 'z', sizeof payload);
    size_t sent = 0;
    bool ok = true;
    int64_t start = bench_now_nsec ();
    while (ok && !bench_span_over (&self->size.zmq, start, sent)) {
        ok = zmq_send (pair.dealer, payload, sizeof payload, 0) == (int) sizeof payload;
        sent += ok;
    }
    //  Timed to the receiver's count, so that nothing still queued counts.
    uint64_t counted = 0;
    ok = ok && zmq_send (pair.dealer, "", 0, 0) == 0
         && zmq_recv (pair.dealer, &counted, sizeof counted, 0) == (int) sizeof counted;
    *per_sec = (double) counted / ((double) (bench_now_nsec () - start) / 1e9);
    if (!ok || counted != sent)
        bench_fail (self, "c3: ROUTER counted %llu of %zu messages sent: %s",
                    (unsigned long long) counted, sent, zmq_strerror (zmq_errno ()));
    s_pair_down (&pair);
    return ok && counted == sent;
}

static bool
s_zmq_round_trip (bench_t *self, double *p50, double *per_sec)
{
    s_pair_t pair;
    if (!s_pair_up (self, &pair, true))
        return false;
    uint8_t payload [BENCH_ENTRY_SIZE], back [BENCH_ENTRY_SIZE];
    memset (payload, 'r', sizeof payload);
    samples_t latency = {0};
    size_t done = 0;
    bool ok = true;
    int64_t start = bench_now_nsec ();
    while (ok && !bench_span_over (&self->size.zmq, start, done)) {
        int64_t before = bench_now_nsec ();
        ok = zmq_send (pair.dealer, payload, sizeof payload, 0) == (int) sizeof payload
             && zmq_recv (pair.dealer, back, sizeof back, 0) == (int) sizeof back;
        if (ok) {
            samples_add (&latency, (double) (bench_now_nsec () - before) / 1000.0);
            done++;
        }
    }
    *per_sec = (double) done / ((double) (bench_now_nsec () - start) / 1e9);
    *p50 = samples_quantile (&latency, 0.5);
    if (!ok)
        bench_fail (self, "c3: echo round trip %zu failed: %s", done + 1,
                    zmq_strerror (zmq_errno ()));
    samples_release (&latency);
    s_pair_down (&pair);
    return ok;
}

//  ---------------------------------------------------------------- all

void
bench_ceilings (bench_t *self)
{
    double fsync_ops [BENCH_RUNS_MAX], fsync_p50 [BENCH_RUNS_MAX];
    double one [BENCH_RUNS_MAX], batch [BENCH_RUNS_MAX], store [BENCH_RUNS_MAX];
    double table_rows [BENCH_RUNS_MAX];
    double thr [BENCH_RUNS_MAX], rtt [BENCH_RUNS_MAX], rtt_rate [BENCH_RUNS_MAX];
    int n1 = 0, n2 = 0, n3 = 0;
    for (int run = 1; bench_wants (self, "c1") && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "c1", run, "fsync: 256-byte appends with fdatasync");
        n1 += s_fsync_run (self, &fsync_ops [n1], &fsync_p50 [n1]);
    }
    for (int run = 1; bench_wants (self, "c2") && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "c2", run,
                        "SQLite: 1 row per transaction, 1,000 per "
                        "transaction, a table's rows, store API");
        if (s_sqlite_run (self, 1, &self->size.fsync, &one [n2])
            && s_sqlite_run (self, BENCH_LOG_BATCH, &self->size.batch, &batch [n2])
            && s_rows_run (self, &table_rows [n2])
            && s_store_run (self, &self->size.batch, &store [n2]))
            n2++;
    }
    for (int run = 1; bench_wants (self, "c3") && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "c3", run, "ZeroMQ over CURVE: throughput, round trip");
        if (s_zmq_throughput (self, &thr [n3])
            && s_zmq_round_trip (self, &rtt [n3], &rtt_rate [n3]))
            n3++;
    }
    report_t *report = self->report;
    report_add (report, "c1.fsync", "fsync: append 256 B + fdatasync", "/s", fsync_ops, n1);
    report_add (report, "c1.fsync_p50", "fsync: latency p50", "us", fsync_p50, n1);
    report_add (report, "c2.one", "SQLite (a): 1 row per transaction", "/s", one, n2);
    report_add (report, "c2.batch", "SQLite (b): 1,000 rows per transaction", "/s", batch, n2);
    report_add (report, "c2.rows", "SQLite (c): a table's rows, 1,000 tables per txn", "/s",
                table_rows, n2);
    report_add (report, "c2.store", "store API: 1,000 tables per txn, store_append", "/s", store,
                n2);
    report_add (report, "c3.thr", "ZeroMQ CURVE: DEALER->ROUTER 256 B", "/s", thr, n3);
    report_add (report, "c3.rtt", "ZeroMQ CURVE: echo round trip p50", "us", rtt, n3);
    report_add (report, "c3.rtt_rate", "ZeroMQ CURVE: echo round trips", "/s", rtt_rate, n3);
}

bool
bench_store_appends (bench_t *self, size_t count)
{
    //  A day's worth of time: the count ends it.
    bench_span_t span = {.msec = 24 * 3600 * 1000, .count = count};
    double rate = 0;
    bool done = s_store_run (self, &span, &rate);
    if (done)
        printf ("appended %zu tables through the store API, %.0f a second\n", count, rate);
    return done;
}
