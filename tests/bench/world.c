/*  world.c - the things every scenario needs: data directories with the
    bench's partners registered, a cibusd child, handshaken clients,
    entries of a known size, and the bookkeeping that proves each run lost
    and duplicated nothing. See bench.h.                                  */

#define _GNU_SOURCE
#include "bench.h"

#include "codec.h"
#include "datadir.h"
#include "store.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

//  ---------------------------------------------------------------- scratch

//  dir/name+suffix into out; false when it does not fit.
static bool
s_path (char *out, size_t size, const char *dir, const char *name, const char *suffix)
{
    int len = snprintf (out, size, "%s/%s%s", dir, name, suffix);
    return len > 0 && (size_t) len < size;
}

//  A keypair in the scratch directory, as `cibus keygen NAME` writes it:
//  NAME (public) and NAME_secret.
static bool
s_keypair (bench_t *self, const char *name, char *secret, char *key)
{
    char path [PATH_MAX];
    if (!s_path (path, sizeof path, self->root, name, "")
        || !s_path (secret, PATH_MAX, self->root, name, "_secret")) {
        fprintf (stderr, "cibus-bench: scratch path %s is too long\n", self->root);
        return false;
    }
    zcert_t *cert = zcert_new ();
    if (!cert)
        return false;
    zcert_set_meta (cert, "name", "%s", name);
    int rc = zcert_save (cert, path);
    snprintf (key, 41, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    if (rc != 0)
        fprintf (stderr, "cibus-bench: cannot write the keypair %s: %s\n", path, strerror (errno));
    return rc == 0;
}

bool
bench_world_up (bench_t *self, const char *parent)
{
    snprintf (self->root, sizeof self->root, "%s/bench-tmp-XXXXXX", parent);
    if (!mkdtemp (self->root)) {
        fprintf (stderr, "cibus-bench: cannot make a scratch directory in %s: %s\n", parent,
                 strerror (errno));
        self->root [0] = 0;
        return false;
    }
    return s_keypair (self, BENCH_PUBLISHER, self->pub_secret, self->pub_key)
           && s_keypair (self, BENCH_READER, self->hub_secret, self->hub_key);
}

void
bench_world_down (bench_t *self, bool keep)
{
    if (!*self->root)
        return;
    if (keep)
        fprintf (stderr, "cibus-bench: kept %s\n", self->root);
    else
        harness_rmtree (self->root);
}

//  Register the bench's two partners, as `cibusd partner add` would.
static bool
s_register (bench_t *self, store_t *store)
{
    const char *networks [] = {BENCH_NETWORK};
    return store_partner_add (store, BENCH_PUBLISHER, self->pub_key, ROLE_PARTNER, networks, 1)
               == CIBUS_OK
           && store_partner_add (store, BENCH_READER, self->hub_key, ROLE_BACKBONE, NULL, 0)
                  == CIBUS_OK;
}

bool
bench_data_new (bench_t *self, char *data, size_t size)
{
    snprintf (data, size, "%s/data-%u", self->root, ++self->data_count);
    char db [PATH_MAX];
    if (mkdir (data, 0700) != 0 || !datadir_path (data, DATADIR_DB, db, sizeof db)) {
        bench_fail (self, "cannot make the data directory %s: %s", data, strerror (errno));
        return false;
    }
    store_t *store = store_new (db, STORE_SYNC_FULL);
    bool ok = store && s_register (self, store);
    store_destroy (&store);
    if (!ok)
        bench_fail (self, "cannot register the bench's partners in %s (see the line above)", db);
    return ok;
}

//  The broker's log stays with --keep (its data, up to gigabytes for
//  scenario 9, goes either way).
void
bench_data_remove (const bench_t *self, const char *data)
{
    char log [PATH_MAX + 8];
    snprintf (log, sizeof log, "%s.log", data);
    harness_rmtree (data);
    if (!self->keep)
        unlink (log);
}

static int64_t
s_now_usec_realtime (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  The id of the index-th of count prebuilt entries. Real ids are random,
//  so a real log's dedupe index holds keys spread evenly over the whole
//  key space, and that is what live inserts into it must contend with.
//  These ids are spread the same way but rise with the index, so building
//  the index only ever appends at its right edge. Random ids would make
//  every insert dirty a random index page, once the index outgrows
//  SQLite's page cache: about a page written per entry, which turns the
//  build of a long log from a minute into an hour.
static void
s_spread_id (char *id, size_t size, uint64_t index, size_t count)
{
    uint64_t step = UINT64_MAX / (count ? count : 1);
    snprintf (id, size, "%016" PRIx64 "%016" PRIx64, index * step, index);
}

//  BENCH_INDICATOR's definition, as the backbone publishes it: a percent,
//  by quarter, broken down by BENCH_DIMENSION into the categories the
//  bench's tables use, in BENCH_NETWORK. The strings are static.
static char *s_races [] = {"asian", "black", "hispanic", "white"};

static void
s_definition (Cibus__IndicatorDefinition *def, Cibus__DimensionCategories *race,
              Cibus__DimensionCategories **lists, cibus_envelope_t *env)
{
    static char *dimensions [] = {BENCH_DIMENSION}, *networks [] = {BENCH_NETWORK};
    cibus__dimension_categories__init (race);
    race->dimension = BENCH_DIMENSION;
    race->categories = s_races;
    race->n_categories = sizeof s_races / sizeof s_races [0];
    lists [0] = race;
    cibus__indicator_definition__init (def);
    def->indicator = BENCH_INDICATOR;
    def->name = "3rd-grade reading proficiency";
    def->has_unit = def->has_direction = def->has_period_kind = true;
    def->unit = CIBUS__UNIT__PERCENT;
    def->direction = CIBUS__DIRECTION__UP;
    def->period_kind = CIBUS__PERIOD_KIND__QUARTER;
    def->dimensions = dimensions;
    def->n_dimensions = 1;
    def->categories = lists;
    def->n_categories = 1;
    def->networks = networks;
    def->n_networks = 1;
    cibus__envelope__init (env);
    env->topic = CODEC_CATALOG_NETWORK "/indicator";
    env->id = "bench-" BENCH_INDICATOR;
    env->body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env->indicator = def;
}

store_t *
bench_store_ready (bench_t *self, const char *path, store_partner_t *publisher)
{
    memset (publisher, 0, sizeof *publisher);
    store_t *store = store_new (path, STORE_SYNC_FULL);
    store_partner_t hub = {0};
    //  Its keys as the broker's (store_keys_load): a log built here is
    //  left as a broker would leave it, and appends as fast.
    cibus_err_t err = store ? store_keys_load (store, true) : CIBUS_ERR_STORE;
    //  A data directory of bench_data_new has them already.
    if (!err && store_partner_by_key (store, self->pub_key, publisher) == CIBUS_ERR_NOT_FOUND)
        err = s_register (self, store) ? CIBUS_OK : CIBUS_ERR_STORE;
    if (!err && !*publisher->name)
        err = store_partner_by_key (store, self->pub_key, publisher);
    if (!err)
        err = store_partner_by_key (store, self->hub_key, &hub);
    Cibus__IndicatorDefinition def;
    Cibus__DimensionCategories race, *lists [1];
    cibus_envelope_t env;
    s_definition (&def, &race, lists, &env);
    store_appended_t out = {0};
    codec_problem_t problem = {0};
    if (!err && !(err = store_batch_begin (store))) {
        err = store_append (store, &env, &hub, s_now_usec_realtime (), &out, &problem);
        err = err ? (store_batch_abort (store), err) : store_batch_commit (store);
    }
    store_appended_release (&out);
    store_partner_release (&hub);
    if (err) {
        bench_fail (self, "cannot register the partners and define %s in %s: %s",
                    BENCH_INDICATOR, path,
                    *problem.message ? problem.message : cibus_strerror (err));
        store_partner_release (publisher);
        store_destroy (&store);
    }
    return store;
}

cibus_err_t
bench_store_append (bench_t *self, store_t *store, bench_update_t *update,
                    const store_partner_t *publisher, int64_t received_at, store_appended_t *out)
{
    codec_problem_t problem = {0};
    cibus_err_t err = store_append (store, &update->env, publisher, received_at, out, &problem);
    if (err)
        bench_fail (self, "store_append of %s: %s", update->id,
                    *problem.message ? problem.message : cibus_strerror (err));
    return err;
}

bool
bench_log_fill (bench_t *self, const char *data, size_t count)
{
    char db [PATH_MAX];
    datadir_path (data, DATADIR_DB, db, sizeof db);
    store_partner_t publisher;
    store_t *store = bench_store_ready (self, db, &publisher);
    if (!store)
        return false;
    uint64_t first = store_last_seq (store) + 1;
    bench_update_t update;
    bench_update_init (self, &update);
    store_appended_t out = {0};
    cibus_err_t err = CIBUS_OK;
    size_t done = 0, tenth = count / 10 ? count / 10 : 1, next_note = tenth;
    while (err == CIBUS_OK && done < count && !zsys_interrupted) {
        int64_t now = s_now_usec_realtime ();
        err = store_batch_begin (store);
        for (size_t i = 0; err == CIBUS_OK && i < BENCH_LOG_BATCH && done < count; i++) {
            bench_update_set (&update, 0, 0, done);
            s_spread_id (update.id, sizeof update.id, done, count);
            err = bench_store_append (self, store, &update, &publisher, now, &out);
            if (err == CIBUS_OK && out.duplicate)
                err = CIBUS_ERR_EXISTS;
            done++;
        }
        err = err ? (store_batch_abort (store), err) : store_batch_commit (store);
        if (done >= next_note && done < count) {
            bench_progress (self, "log", 0, "%zu of %zu entries written", done, count);
            next_note += tenth;
        }
    }
    store_appended_release (&out);
    store_partner_release (&publisher);
    bool ok = err == CIBUS_OK && done == count && store_last_seq (store) == first - 1 + count;
    store_destroy (&store);
    if (!ok)
        bench_fail (self, "building a log of %zu entries in %s stopped at %zu: %s", count, db, done,
                    zsys_interrupted ? "interrupted" : cibus_strerror (err));
    return ok;
}

//  ---------------------------------------------------------------- broker

bool
bench_broker_up (bench_t *self, bench_broker_t *broker, const char *data)
{
    memset (broker, 0, sizeof *broker);
    snprintf (broker->data, sizeof broker->data, "%s", data);
    datadir_path (data, DATADIR_CERT, broker->cert, sizeof broker->cert);
    //  The bench's publisher is a partner that publishes as fast as it can:
    //  the quotas that keep one partner from flooding the others would
    //  measure themselves instead of the broker.
    static const char *const extra [] = {"--quota-rate", "0", "--quota-total", "0", NULL};
    if (!harness_broker_start (&broker->broker, broker->data, extra)) {
        bench_fail (self, "cibusd did not start on %s (its log: %s.log)", data, data);
        return false;
    }
    return true;
}

bool
bench_broker_down (bench_t *self, bench_broker_t *broker)
{
    if (broker->broker.pid <= 0)
        return true;
    int status = harness_broker_stop (&broker->broker, SIGTERM);
    if (status < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        bench_fail (self, "cibusd on %s did not stop cleanly (wait status %d; its log: %s.log)",
                    broker->data, status, broker->data);
        return false;
    }
    return true;
}

long
bench_broker_rss_kib (bench_broker_t *broker)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) broker->broker.pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    long rss = -1;
    while (rss < 0 && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = atol (line + 6);
    fclose (file);
    return rss;
}

//  One thread's name and CPU seconds from /proc/PID/task/TID/stat. The
//  name is in parentheses and may hold spaces; utime and stime are the
//  12th and 13th fields after it.
static bool
s_thread_cpu (const char *path, char *name, size_t size, double *seconds)
{
    char line [1024];
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    bool ok = fgets (line, sizeof line, file) != NULL;
    fclose (file);
    char *open = ok ? strchr (line, '(') : NULL, *close = ok ? strrchr (line, ')') : NULL;
    if (!open || !close || close < open)
        return false;
    snprintf (name, size, "%.*s", (int) (close - open - 1), open + 1);
    unsigned long long utime, stime;
    if (sscanf (close + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime, &stime)
        != 2)
        return false;
    *seconds = (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
    return true;
}

void
bench_cpu_sample (bench_broker_t *broker, bench_cpu_t *sample)
{
    memset (sample, 0, sizeof *sample);
    sample->wall_nsec = bench_now_nsec ();
    struct rusage usage;
    if (getrusage (RUSAGE_SELF, &usage) == 0)
        sample->self_sec = (double) usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
                           + (double) usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    char dir_path [64];
    snprintf (dir_path, sizeof dir_path, "/proc/%d/task", (int) broker->broker.pid);
    DIR *dir = opendir (dir_path);
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        char path [128], name [64];
        double seconds;
        if (entry->d_name [0] == '.')
            continue;
        snprintf (path, sizeof path, "%s/%.32s/stat", dir_path, entry->d_name);
        if (!s_thread_cpu (path, name, sizeof name, &seconds))
            continue;
        if (atoi (entry->d_name) == broker->broker.pid)
            sample->main_sec += seconds;
        else if (strncmp (name, "ZMQbg/IO", 8) == 0)
            sample->io_sec += seconds;
        else if (strcmp (name, "cibusd-writer") == 0)
            sample->writer_sec += seconds;
    }
    if (dir)
        closedir (dir);
}

bench_load_t
bench_cpu_load (const bench_cpu_t *from, const bench_cpu_t *to)
{
    double wall = (double) (to->wall_nsec - from->wall_nsec) / 1e9;
    bench_load_t load = {NAN, NAN, NAN, NAN};
    if (wall > 0) {
        load.main = 100 * (to->main_sec - from->main_sec) / wall;
        load.writer = 100 * (to->writer_sec - from->writer_sec) / wall;
        load.io = 100 * (to->io_sec - from->io_sec) / wall;
        load.self = 100 * (to->self_sec - from->self_sec) / wall;
    }
    return load;
}

void
bench_report_load (bench_t *self, const char *part, const bench_load_t *load, size_t count)
{
    double main [BENCH_RUNS_MAX], writer [BENCH_RUNS_MAX], io [BENCH_RUNS_MAX],
        bench [BENCH_RUNS_MAX];
    for (size_t i = 0; i < count && i < BENCH_RUNS_MAX; i++) {
        main [i] = load [i].main;
        writer [i] = load [i].writer;
        io [i] = load [i].io;
        bench [i] = load [i].self;
    }
    char id [32];
    snprintf (id, sizeof id, "%s.cpu_main", part);
    report_add (self->report, id, "  CPU: broker main thread (reactor)", "%", main, count);
    snprintf (id, sizeof id, "%s.cpu_writer", part);
    report_add (self->report, id, "  CPU: broker writer thread (append, commit)", "%", writer,
                count);
    snprintf (id, sizeof id, "%s.cpu_io", part);
    report_add (self->report, id, "  CPU: broker ZeroMQ I/O thread", "%", io, count);
    snprintf (id, sizeof id, "%s.cpu_bench", part);
    report_add (self->report, id, "  CPU: bench process (all clients)", "%", bench, count);
}

cibus_t *
bench_connect (bench_t *self, bench_broker_t *broker, const char *secret)
{
    char error [512];
    cibus_config_t config = {broker->broker.endpoint, broker->cert, secret, BENCH_DEADLINE_MSEC};
    cibus_t *client = cibus_new (&config, error, sizeof error);
    if (!client)
        bench_fail (self, "cannot connect: %s", error);
    return client;
}

cibus_t *
bench_client (bench_t *self, bench_broker_t *broker, const char *secret)
{
    cibus_t *client = bench_connect (self, broker, secret);
    if (client && cibus_ping (client, NULL, 0, NULL, 0) != CIBUS_OK) {
        bench_fail (self, "the broker did not answer a ping: %s", cibus_error (client));
        cibus_destroy (&client);
    }
    return client;
}

//  The broker's status: last_seq must be expected_last and appended
//  expected_appended.
static bool
s_check_status (bench_t *self, cibus_t *client, const char *part, uint64_t expected_last,
                uint64_t expected_appended, cibus_status_t *out)
{
    cibus_status_t status;
    if (cibus_status (client, &status) != CIBUS_OK) {
        bench_fail (self, "%s: status failed: %s", part, cibus_error (client));
        return false;
    }
    if (status.last_seq != expected_last || status.appended != expected_appended) {
        bench_fail (self,
                    "%s: the broker reports last_seq %" PRIu64 " and %" PRIu64
                    " appended; expected %" PRIu64 " and %" PRIu64,
                    part, status.last_seq, status.appended, expected_last, expected_appended);
        return false;
    }
    if (out)
        *out = status;
    return true;
}

//  Define BENCH_INDICATOR as the backbone, through the broker. A log that
//  bench_log_fill built has it already: this is then its next version,
//  the same definition again (under another id, or it would be a
//  duplicate).
static bool
s_define_indicator (bench_t *self, bench_stage_t *stage)
{
    cibus_t *hub = bench_client (self, &stage->broker, self->hub_secret);
    if (!hub)
        return false;
    Cibus__IndicatorDefinition def;
    Cibus__DimensionCategories race, *lists [1];
    cibus_envelope_t env;
    s_definition (&def, &race, lists, &env);
    env.id = "bench-" BENCH_INDICATOR "-live";
    cibus_ack_t ack;
    bool ok = cibus_publish (hub, &env, &ack) == CIBUS_OK && !ack.duplicate;
    if (ok) {
        stage->base = ack.seq;
        stage->appended = 1;
    } else
        bench_fail (self, "defining the indicator %s failed: %s", BENCH_INDICATOR,
                    cibus_error (hub));
    cibus_destroy (&hub);
    return ok;
}

bool
bench_stage_up (bench_t *self, bench_stage_t *stage, size_t fill)
{
    memset (stage, 0, sizeof *stage);
    if (!bench_data_new (self, stage->data, sizeof stage->data)
        || (fill && !bench_log_fill (self, stage->data, fill)))
        return false;
    int64_t start = bench_now_nsec ();
    bool up = bench_broker_up (self, &stage->broker, stage->data);
    stage->start_msec = (double) (bench_now_nsec () - start) / 1e6;
    return up && s_define_indicator (self, stage);
}

bool
bench_stage_down (bench_t *self, bench_stage_t *stage)
{
    bool ok = bench_broker_down (self, &stage->broker);
    if (*stage->data)
        bench_data_remove (self, stage->data);
    stage->data [0] = 0;
    return ok;
}

//  ---------------------------------------------------------------- entries

uint64_t
bench_mix (uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

//  The index takes the low 40 bits of the id's tail, the publisher the rest.
#define S_INDEX_BITS 40

void
bench_update_init (bench_t *self, bench_update_t *update)
{
    memset (update, 0, sizeof *update);
    cibus__envelope__init (&update->env);
    update->env.topic = BENCH_TOPIC;
    update->env.id = update->id;
    update->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    update->env.data = &update->data;
    //  The padding is what makes an entry BENCH_ENTRY_SIZE bytes: a long
    //  source-system name, as some district exports carry.
    static const char stem [] = "district-sis-export/";
    size_t len =
        self->source_len < sizeof update->source ? self->source_len : sizeof update->source - 1;
    for (size_t i = 0; i < len; i++)
        update->source [i] = i < sizeof stem - 1 ? stem [i] : (char) ('a' + i % 26);
    update->source [len] = 0;
    bench_update_set (update, 0, 0, 0);
}

//  A cell's size and the share of it that passed, per race: sizes of a
//  mid-sized school's grade, far above the minimum cell size; shares that
//  move with the index between 30 and 69 %, far from the ends a percent is
//  coded at.
static const uint64_t s_sizes [BENCH_CELLS] = {120, 95, 80};

void
bench_update_set (bench_update_t *update, unsigned epoch, uint32_t publisher, uint64_t index)
{
    uint64_t tail = ((uint64_t) publisher << S_INDEX_BITS) | index;
    snprintf (update->id, sizeof update->id, "%016" PRIx64 "%016" PRIx64,
              bench_mix (tail ^ ((uint64_t) epoch << 52)), tail);
    memcpy (update->unit, update->id, 16);
    update->unit [16] = 0;
    //  Made afresh: store_append stamps the table and its cells in place.
    cibus__data_submission__init (&update->data);
    update->data.indicator = BENCH_INDICATOR;
    update->data.period = "2026-Q3";
    update->data.unit = update->unit;
    update->data.has_status = true;
    update->data.status = CIBUS__VALUE_STATUS__FINAL;
    update->data.extracted_on = "2026-10-01";
    update->data.source = *update->source ? update->source : NULL;
    uint64_t passed = 0, size = 0;
    for (size_t i = 0; i < BENCH_CELLS; i++) {
        Cibus__DataCell *cell = &update->cell [i];
        cibus__dimension__init (&update->dim [i]);
        update->dim [i].key = BENCH_DIMENSION;
        update->dim [i].value = s_races [i + 1];
        update->dims [i][0] = &update->dim [i];
        cibus__data_cell__init (cell);
        cell->dimensions = update->dims [i];
        cell->n_dimensions = 1;
        cell->has_numerator = cell->has_denominator = true;
        cell->denominator = s_sizes [i];
        cell->numerator = s_sizes [i] * (30 + (index + 13 * i) % 40) / 100;
        passed += cell->numerator;
        size += cell->denominator;
        update->cells [i] = cell;
    }
    //  The cells are the whole grade: no remainder.
    cibus__data_cell__init (&update->total);
    update->total.has_numerator = update->total.has_denominator = true;
    update->total.numerator = passed;
    update->total.denominator = size;
    update->data.total = &update->total;
    update->data.cells = update->cells;
    update->data.n_cells = BENCH_CELLS;
}

bool
bench_id_parse (const char *id, uint32_t *publisher, uint64_t *index)
{
    if (!id || strlen (id) != 32)
        return false;
    char *end;
    uint64_t tail = strtoull (id + 16, &end, 16);
    if (*end)
        return false;
    *publisher = (uint32_t) (tail >> S_INDEX_BITS);
    *index = tail & ((UINT64_C (1) << S_INDEX_BITS) - 1);
    return true;
}

//  Stamp an update as the store would store it: seq, partner, received_at,
//  the table's owner and version, and each cell's value derived from its
//  counts (a percent of them).
static void
s_as_stored (bench_update_t *update, uint64_t seq)
{
    update->env.partner = BENCH_PUBLISHER;
    update->env.has_seq = update->env.has_received_at = true;
    update->env.seq = seq;
    update->env.received_at = s_now_usec_realtime ();
    update->data.owner = BENCH_PUBLISHER;
    update->data.has_version = true;
    update->data.version = 1;
    for (size_t i = 0; i <= BENCH_CELLS; i++) {
        Cibus__DataCell *cell = i < BENCH_CELLS ? &update->cell [i] : &update->total;
        cell->has_value = true;
        cell->value = 100.0 * (double) cell->numerator / (double) cell->denominator;
    }
}

bool
bench_entry_calibrate (bench_t *self)
{
    //  Size a stored entry as the broker writes it, with a seq and a
    //  received_at of realistic magnitudes.
    codec_buf_t buf = {NULL, 0, 0};
    bool found = false;
    for (size_t len = 0; len <= CIBUS_MAX_NAME && !found; len++) {
        self->source_len = len;
        bench_update_t update;
        bench_update_init (self, &update);
        bench_update_set (&update, 1, 1, 1000000);
        s_as_stored (&update, 1000000);
        if (codec_pack_envelope (&update.env, &buf) != CIBUS_OK)
            break;
        self->entry_size = buf.size;
        found = buf.size >= BENCH_ENTRY_SIZE;
    }
    codec_buf_release (&buf);
    if (!found)
        fprintf (stderr, "cibus-bench: cannot pad an entry to %d bytes (got %zu)\n",
                 BENCH_ENTRY_SIZE, self->entry_size);
    return found;
}

//  ---------------------------------------------------------------- acks

void
bench_acks_init (bench_acks_t *self, uint32_t publisher)
{
    memset (self, 0, sizeof *self);
    self->publisher = publisher;
}

void
bench_acks_release (bench_acks_t *self)
{
    free (self->seq_of);
    self->seq_of = NULL;
    self->capacity = 0;
}

bool
bench_acks_reserve (bench_acks_t *self, uint64_t index)
{
    if (index < self->capacity)
        return true;
    size_t capacity = self->capacity ? self->capacity * 2 : 4096;
    while (capacity <= index)
        capacity *= 2;
    uint64_t *grown = realloc (self->seq_of, capacity * sizeof (uint64_t));
    if (!grown)
        return false;
    memset (grown + self->capacity, 0, (capacity - self->capacity) * sizeof (uint64_t));
    self->seq_of = grown;
    self->capacity = capacity;
    return true;
}

void
bench_acks_record (bench_acks_t *self, const cibus_ack_t *ack, cibus_err_t err, const char *message)
{
    if (err) {
        if (self->refused++ == 0)
            snprintf (self->refusal, sizeof self->refusal, "%s (%s)", message ? message : "refused",
                      cibus_strerror (err));
        return;
    }
    uint32_t publisher;
    uint64_t index;
    if (!bench_id_parse (ack->id, &publisher, &index) || publisher != self->publisher
        || index >= self->published || ack->seq == 0)
        self->strays++;
    else if (self->seq_of [index] || ack->duplicate)
        self->duplicates++;
    else {
        self->seq_of [index] = ack->seq;
        self->acked++;
        self->last_ack_nsec = bench_now_nsec ();
    }
}

void
bench_acks_handler (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    bench_acks_record (arg, ack, err, message);
}

static int
s_compare_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

//  Every publish acked once, and the acked seqs exactly first, first + 1 ...
static bool
s_acks_verify (bench_t *self, const char *part, bench_acks_t *acks, size_t count, uint64_t first)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        bench_acks_t *one = &acks [i];
        if (one->acked != one->published || one->duplicates || one->refused || one->strays) {
            bench_fail (self,
                        "%s: publisher %u published %zu, got %zu acks, %zu duplicate acks, "
                        "%zu refusals%s%s, %zu acks for ids it never sent",
                        part, one->publisher, one->published, one->acked, one->duplicates,
                        one->refused, one->refused ? ": " : "", one->refusal, one->strays);
            return false;
        }
        total += one->published;
    }
    uint64_t *seqs = malloc ((total ? total : 1) * sizeof (uint64_t));
    if (!seqs) {
        bench_fail (self, "%s: out of memory checking %zu seqs", part, total);
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < acks [i].published; k++)
            seqs [n++] = acks [i].seq_of [k];
    qsort (seqs, n, sizeof (uint64_t), s_compare_u64);
    bool ok = true;
    for (size_t k = 0; ok && k < n; k++)
        if (seqs [k] != first + k) {
            bench_fail (self,
                        "%s: acked seqs are not %" PRIu64 "..%" PRIu64
                        " each once: at position %zu found %" PRIu64 " (%s)",
                        part, first, first + n - 1, k, seqs [k],
                        k && seqs [k] == seqs [k - 1] ? "acked twice" : "a gap");
            ok = false;
        }
    free (seqs);
    return ok;
}

bool
bench_verify_run (bench_t *self, const char *part, bench_stage_t *stage, cibus_t *client,
                  bench_acks_t *acks, size_t count, cibus_status_t *status)
{
    size_t published = 0;
    for (size_t i = 0; i < count; i++)
        published += acks [i].published;
    if (!s_acks_verify (self, part, acks, count, stage->base + 1)
        || !s_check_status (self, client, part, stage->base + published,
                            stage->appended + published, status))
        return false;
    stage->base += published;
    stage->appended += published;
    return true;
}

//  ---------------------------------------------------------------- publishing

bool
bench_publish_pipelined (bench_t *self, const char *part, cibus_t *client, bench_acks_t *acks,
                         const bench_span_t *span, size_t window, int64_t *first_nsec,
                         int64_t *last_nsec)
{
    cibus_set_ack_handler (client, bench_acks_handler, acks);
    cibus_set_window (client, window);
    bench_update_t update;
    bench_update_init (self, &update);
    unsigned epoch = self->epoch++;
    cibus_err_t err = CIBUS_OK;
    *first_nsec = bench_now_nsec ();
    while (!zsys_interrupted && !bench_span_over (span, *first_nsec, acks->published)) {
        uint64_t index = acks->published;
        if (!bench_acks_reserve (acks, index)) {
            bench_fail (self, "%s: out of memory after %zu publishes", part, acks->published);
            return false;
        }
        bench_update_set (&update, epoch, acks->publisher, index);
        //  Counted before the send: an ack handled inside this very call
        //  must find its index in range.
        acks->published++;
        if ((err = cibus_publish_async (client, &update.env)) != CIBUS_OK) {
            acks->published--;
            break;
        }
    }
    if (err == CIBUS_OK)
        err = cibus_flush (client);
    *last_nsec = acks->last_ack_nsec ? acks->last_ack_nsec : bench_now_nsec ();
    if (err || zsys_interrupted) {
        bench_fail (self, "%s: publishing stopped after %zu: %s", part, acks->published,
                    zsys_interrupted ? "interrupted" : cibus_error (client));
        return false;
    }
    return true;
}

//  ---------------------------------------------------------------- subscribers

static void *
s_sub_run (void *arg)
{
    bench_sub_t *sub = arg;
    int64_t quiet_since = bench_now_nsec ();
    while (sub->received < atomic_load (&sub->want) && !atomic_load (&sub->stop)
           && !zsys_interrupted) {
        cibus_envelope_t *env;
        //  Short waits, so that a stop or a newly known want is seen soon.
        cibus_err_t err = cibus_next (sub->client, 100, &env);
        int64_t now = bench_now_nsec ();
        if (err == CIBUS_ERR_TIMEOUT) {
            if (now - quiet_since > (int64_t) BENCH_DEADLINE_MSEC * 1000000) {
                snprintf (sub->error, sizeof sub->error,
                          "nothing delivered for %d ms while waiting for seq %" PRIu64,
                          BENCH_DEADLINE_MSEC, sub->next_seq);
                break;
            }
            continue;
        }
        if (err) {
            snprintf (sub->error, sizeof sub->error, "%s", cibus_error (sub->client));
            break;
        }
        quiet_since = now;
        if (env->seq != sub->next_seq) {
            snprintf (sub->error, sizeof sub->error,
                      "expected seq %" PRIu64 " next, was delivered %" PRIu64, sub->next_seq,
                      env->seq);
            cibus_envelope_free (env);
            break;
        }
        uint32_t publisher;
        uint64_t index;
        if (sub->latency && sub->stamps && bench_id_parse (env->id, &publisher, &index)
            && index < sub->stamps->count) {
            int64_t sent = atomic_load (&sub->stamps->nsec [index]);
            if (sent)
                samples_add (sub->latency, (double) (now - sent) / 1000.0);
        }
        if (sub->received++ == 0)
            sub->first_nsec = now;
        sub->last_nsec = now;
        sub->next_seq++;
        cibus_envelope_free (env);
    }
    return NULL;
}

bool
bench_stamps_init (bench_stamps_t *self, size_t count)
{
    self->count = 0;
    self->nsec = malloc ((count ? count : 1) * sizeof *self->nsec);
    if (!self->nsec)
        return false;
    for (size_t i = 0; i < count; i++)
        atomic_init (&self->nsec [i], 0);
    self->count = count;
    return true;
}

void
bench_stamps_release (bench_stamps_t *self)
{
    free (self->nsec);
    self->nsec = NULL;
    self->count = 0;
}

void
bench_stamps_mark (bench_stamps_t *self, uint64_t index)
{
    if (index < self->count)
        atomic_store (&self->nsec [index], bench_now_nsec ());
}

bool
bench_sub_start (bench_t *self, bench_broker_t *broker, bench_sub_t *sub, uint64_t from_seq,
                 uint32_t credit, samples_t *latency, const bench_stamps_t *stamps)
{
    memset (sub, 0, sizeof *sub);
    atomic_init (&sub->want, SIZE_MAX);
    atomic_init (&sub->stop, false);
    sub->latency = latency;
    sub->stamps = stamps;
    if (!(sub->client = bench_client (self, broker, self->hub_secret)))
        return false;
    sub->subscribed_nsec = bench_now_nsec ();
    if (cibus_subscribe (sub->client, NULL, 0, from_seq, credit, &sub->next_seq) != CIBUS_OK) {
        bench_fail (self, "subscribe failed: %s", cibus_error (sub->client));
        cibus_destroy (&sub->client);
        return false;
    }
    if (pthread_create (&sub->thread, NULL, s_sub_run, sub) != 0) {
        bench_fail (self, "cannot start a subscriber thread: %s", strerror (errno));
        cibus_destroy (&sub->client);
        return false;
    }
    sub->running = true;
    return true;
}

bool
bench_sub_join (bench_t *self, const char *part, bench_sub_t *sub)
{
    if (!sub->running)
        return false;
    pthread_join (sub->thread, NULL);
    sub->running = false;
    cibus_destroy (&sub->client);
    size_t want = atomic_load (&sub->want);
    if (*sub->error || sub->received != want) {
        bench_fail (self, "%s: a subscriber received %zu of %zu entries: %s", part, sub->received,
                    want, *sub->error ? sub->error : "stopped");
        return false;
    }
    return true;
}
