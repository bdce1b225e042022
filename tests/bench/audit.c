/*  audit.c - the disclosure audit over a long log: `cibusd audit` must
    check a log of 100,000 tables in under a minute (issue 10).

    bench_audit builds the log straight through store_append, the one
    append path (so every table's suppression is decided as the broker
    decides it), in a few big transactions, and then times audit_main -
    the command itself: opening the database, reading every table back
    and auditing it - as the reader who owns nothing and so receives
    every table masked. Only the audit is timed, not the build. Then it
    times a scan of the same log: every current cell of one dimension or
    none, read through the view data_values and its packed cells, the
    rows a values query reads before it pools them (the answer itself
    would be over its 1 MiB bound on this log). No target: it is there
    to be seen.

    The tables are counted from small worlds of pupils by the generator
    of tests/test_audit.c (tests/table_gen.h): percents by race and
    income and counts with n, group sizes from tiny to large, rates from
    none to all, crosses, remainders, cells suppressed at source; twenty
    districts of fifty schools, and one table in ten corrected once.      */

#include "bench.h"
#include "cibusd_audit.h"
#include "report.h"
#include "codec.h"
#include "datadir.h"
#include "measure.h"
#include "cells.h"
#include "store.h"
#include "table_gen.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Build a log of tables random data tables in the data directory dir
   (made if absent; it must hold no database yet), then time `cibusd
   audit --data dir` over it into *seconds. Returns 0 when the audit ran
   and found no cell exposed, 1 when it found one, 2 when it could not
   run, -1 when the log could not be built (the reason on stderr). */

#define S_NETWORK     "early-literacy"
#define S_DISTRICTS   20
#define S_UNITS       51 /* the district itself and fifty schools */
#define S_BATCH       10000
#define S_CORRECT     10 /* one table in this many gets a second version */
#define S_FAFSA_YEARS 99

//  A correction: a late-enrolled pupil, or a corrected result.
static void
s_world_change (uint64_t *rng, table_gen_world_t *world)
{
    if (table_gen_random (rng, 2))
        table_gen_late_pupil (rng, world);
    else
        table_gen_flip (rng, world);
}

//  The envelope of table number index (version: 1 or 2) as its district
//  sends it. Tables are numbered so that (district, unit, indicator,
//  period) differs for each.
static envelope_t *
s_table_msg (table_gen_msg_t *m, const table_gen_world_t *world, size_t index, int version)
{
    size_t unit = index / S_DISTRICTS % S_UNITS;
    size_t slot = index / (S_DISTRICTS * S_UNITS);
    bool ratio = slot >= S_FAFSA_YEARS || index % 4 != 3;
    char id [32], period [48], unit_name [32];
    snprintf (id, sizeof id, "t%zu-v%d", index, version);
    if (ratio)
        snprintf (period, sizeof period, "%zu-Q%zu", 2000 + slot / 4, slot % 4 + 1);
    else
        snprintf (period, sizeof period, "%zu-%02zu", 2000 + slot, (2001 + slot) % 100);
    snprintf (unit_name, sizeof unit_name, "school-%02zu", unit);
    envelope_t *env = table_gen_msg (m, id, S_NETWORK, ratio ? "k3" : "fafsa", period,
                                     unit ? unit_name : NULL, NULL);
    table_gen_msg_cells (m, world, ratio);
    return env;
}

static bool
s_append (store_t *store, const store_partner_t *who, envelope_t *env, store_appended_t *out)
{
    codec_problem_t problem = {0};
    cibus_err_t rc = table_gen_append (store, who, env, out, &problem);
    if (rc)
        fprintf (stderr, "bench: audit: %s's %s refused: %s\n", who->name, env->id,
                 problem.message);
    return rc == CIBUS_OK;
}

static bool
s_define (store_t *store, const store_partner_t *hub, const char *id, Cibus__Unit unit,
          Cibus__PeriodKind kind, store_appended_t *out)
{
    char entry_id [64];
    snprintf (entry_id, sizeof entry_id, "def-%s", id);
    table_gen_def_t def;
    envelope_t *env = table_gen_def (&def, entry_id, id, unit, kind, NULL, 0, TABLE_GEN_RACES);
    return s_append (store, hub, env, out);
}

//  The registry and the catalogue, then the tables.
static bool
s_build (store_t *store, size_t tables)
{
    char network [] = S_NETWORK;
    char *networks [] = {network};
    store_partner_t hub = {.role = ROLE_BACKBONE};
    store_partner_t districts [S_DISTRICTS];
    snprintf (hub.name, sizeof hub.name, "audit-hub");
    bool ok = true;
    char key [STORE_KEY_LEN + 1];
    for (size_t d = 0; d <= S_DISTRICTS && ok; d++) {
        snprintf (key, sizeof key, "%040zu", d);
        if (d < S_DISTRICTS) {
            districts [d] =
                (store_partner_t){.role = ROLE_PARTNER, .networks = networks, .network_count = 1};
            snprintf (districts [d].name, sizeof districts [d].name, "district-%02zu", d);
        }
        const store_partner_t *who = d < S_DISTRICTS ? &districts [d] : &hub;
        ok = store_partner_add (store, who->name, key, who->role,
                                (const char *const *)who->networks, who->network_count)
             == CIBUS_OK;
    }
    store_appended_t out = {0};
    ok = ok && store_batch_begin (store) == CIBUS_OK;
    ok =
        ok && s_define (store, &hub, "k3", CIBUS__UNIT__PERCENT, CIBUS__PERIOD_KIND__QUARTER, &out);
    ok = ok
         && s_define (store, &hub, "fafsa", CIBUS__UNIT__COUNT, CIBUS__PERIOD_KIND__SCHOOL_YEAR,
                      &out);
    uint64_t rng = 20261203;
    table_gen_world_t world;
    table_gen_msg_t m;
    for (size_t index = 0; index < tables && ok; index++) {
        table_gen_world (&rng, &world);
        const store_partner_t *who = &districts [index % S_DISTRICTS];
        ok = s_append (store, who, s_table_msg (&m, &world, index, 1), &out);
        if (ok && index % S_CORRECT == 0) {
            s_world_change (&rng, &world);
            ok = s_append (store, who, s_table_msg (&m, &world, index, 2), &out);
        }
        if (ok && index % S_BATCH == S_BATCH - 1)
            ok = store_batch_commit (store) == CIBUS_OK && store_batch_begin (store) == CIBUS_OK;
    }
    if (ok)
        ok = store_batch_commit (store) == CIBUS_OK;
    else
        store_batch_abort (store);
    store_appended_release (&out);
    return ok;
}

//  Every current cell of one dimension or none read back through the view
//  data_values, as a values query reads them before pooling, over the
//  log at path: the best of three, into *seconds. The rows it read into
//  *rows.
static bool
s_time_scan (const char *path, double *seconds, long long *rows)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    bool ok = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
              && cells_register (db) == SQLITE_OK
              && sqlite3_prepare_v2 (db,
                                     "SELECT count (*), total (value), total (mark) "
                                     "FROM data_values WHERE current = 1 AND dim_count <= 1",
                                     -1, &stmt, NULL)
                     == SQLITE_OK;
    *seconds = 0;
    for (int run = 0; ok && run < 3; run++) {
        struct timespec start, end;
        clock_gettime (CLOCK_MONOTONIC, &start);
        ok = sqlite3_step (stmt) == SQLITE_ROW;
        *rows = sqlite3_column_int64 (stmt, 0);
        sqlite3_reset (stmt);
        clock_gettime (CLOCK_MONOTONIC, &end);
        double took =
            (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
        if (run == 0 || took < *seconds)
            *seconds = took;
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return ok && *rows > 0;
}

int
bench_audit (const char *dir, size_t tables, double *seconds, double *scan_seconds,
             long long *scan_rows)
{
    *seconds = *scan_seconds = 0;
    *scan_rows = 0;
    if (tables > (size_t)S_DISTRICTS * S_UNITS * 400) {
        fprintf (stderr, "bench: audit: at most %d tables\n", S_DISTRICTS * S_UNITS * 400);
        return -1;
    }
    char path [PATH_MAX];
    struct stat st;
    if ((mkdir (dir, 0700) != 0 && errno != EEXIST)
        || !datadir_path (dir, DATADIR_DB, path, sizeof path) || stat (path, &st) == 0) {
        fprintf (stderr, "bench: audit: '%s' must be a new data directory\n", dir);
        return -1;
    }
    store_t *store = store_new (path, STORE_SYNC_NORMAL);
    bool built = store && s_build (store, tables);
    store_destroy (&store);
    if (!built) {
        fprintf (stderr, "bench: audit: could not build a log of %zu tables in %s\n", tables, dir);
        return -1;
    }
    FILE *out = fopen ("/dev/null", "w");
    if (!out)
        return -1;
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int rc = audit_main (dir, NULL, out);
    clock_gettime (CLOCK_MONOTONIC, &end);
    fclose (out);
    *seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    if (rc == 0 && !s_time_scan (path, scan_seconds, scan_rows)) {
        fprintf (stderr, "bench: audit: the scan of the cells of %s failed\n", path);
        return 2;
    }
    return rc;
}

void
bench_a1_audit (bench_t *self)
{
    size_t tables = self->size.audit_tables;
    char dir [PATH_MAX + 16];
    snprintf (dir, sizeof dir, "%s/audit", self->root);
    bench_progress (self, "a1", 0, "building a log of %zu tables, then auditing and scanning it",
                    tables);
    double seconds = 0, scan = 0;
    long long rows = 0;
    int rc = bench_audit (dir, tables, &seconds, &scan, &rows);
    if (rc != 0) {
        char line [160];
        snprintf (line, sizeof line, "a1: the audit of %zu tables %s", tables,
                  rc == 1 ? "found an exposed cell" : "failed");
        report_failure (self->report, line);
        return;
    }
    char label [64];
    snprintf (label, sizeof label, "audit of a %zu-table log", tables);
    report_add (self->report, "a1.audit", label, "s", &seconds, 1);
    report_goal (self->report, "a1.audit", REPORT_AT_MOST, 1.0, NULL, 60, "60 s");
    double msec = scan * 1000;
    snprintf (label, sizeof label, "  a scan of its %lld current cells", rows);
    report_add (self->report, "a1.scan", label, "ms", &msec, 1);
}
