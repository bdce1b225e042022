/*  feed.c - scenario f1: an integrator's export loaded by `cibus feed`.

    A state-file-shaped CSV of feed_rows rows (100,000 in a full run):
    one school per table, its total and three groups by race, every
    group large and away from 0 and 100 % like scenario 2's tables, so
    that what is measured is the feed and the relay, not the suppression.
    The file and its mapping are written once; each run loads them into a
    fresh broker with the real cibus built beside cibus-bench, as the
    bench's publisher (a partner feeding its own tables), at the feed's
    default window. The time is the whole command's, from its start to
    its exit: reading, mapping, grouping, the dry run of the first table,
    publishing and every ack. Judged against scenario 2's acks a second
    for the same number of entries: at least 0.8 of it.

    Every run also checks the account the feed prints (every table
    published, none refused, every row read) and the broker's counters
    (exactly one entry appended per table).                               */

#define _GNU_SOURCE
#include "bench.h"

#include "feed.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Rows of one table: the school's total and its three groups.
#define S_ROWS_PER_TABLE (1 + BENCH_CELLS)

static const char s_map [] =
    "{\"indicator\": \"" BENCH_INDICATOR "\", \"period\": \"2026-Q3\",\n"
    " \"unit\": {\"columns\": [\"County Code\", \"District Code\", \"School Code\"]},\n"
    " \"group\": {\"column\": \"Student Group ID\",\n"
    "           \"map\": {\"1\": \"total\", \"74\": \"race=black\", \"78\": \"race=hispanic\",\n"
    "                   \"80\": \"race=white\"}},\n"
    " \"size\": {\"column\": \"Students with Scores\"},\n"
    " \"value\": {\"column\": \"Percentage Standard Met and Above\", \"as\": \"percent\"},\n"
    " \"suppressed\": [\"*\", \"\"], \"status\": \"final\", \"extracted_on\": \"2026-10-01\"}\n";

//  The groups of a table, with the sizes and the shares that passed of
//  scenario 2's tables.
static const char *const s_groups [BENCH_CELLS] = {"74", "78", "80"};
static const unsigned s_sizes [BENCH_CELLS] = {120, 95, 80};

//  Write the export of tables tables (S_ROWS_PER_TABLE rows each) to csv,
//  and its mapping to map.
static bool
s_write_export (bench_t *self, const char *csv, const char *map, size_t tables)
{
    FILE *file = fopen (csv, "wb");
    FILE *mapping = fopen (map, "wb");
    bool ok = file && mapping && fputs (s_map, mapping) >= 0;
    if (ok)
        fprintf (file, "County Code,District Code,School Code,Test Year,Student Group ID,Grade,"
                       "Test ID,Students with Scores,Percentage Standard Met and Above\r\n");
    for (size_t t = 0; ok && t < tables; t++) {
        unsigned passed [BENCH_CELLS], size = 0, total = 0;
        for (size_t i = 0; i < BENCH_CELLS; i++) {
            passed [i] = s_sizes [i] * (unsigned) (30 + (t + 13 * i) % 40) / 100;
            size += s_sizes [i];
            total += passed [i];
        }
        unsigned school = 1000000 + (unsigned) t;
        fprintf (file, "01,61119,%07u,2026,1,03,1,%u,%.2f\r\n", school, size, 100.0 * total / size);
        for (size_t i = 0; i < BENCH_CELLS; i++)
            fprintf (file, "01,61119,%07u,2026,%s,03,1,%u,%.2f\r\n", school, s_groups [i],
                     s_sizes [i], 100.0 * passed [i] / s_sizes [i]);
    }
    if (file && fclose (file) != 0)
        ok = false;
    if (mapping && fclose (mapping) != 0)
        ok = false;
    if (!ok)
        bench_fail (self, "f1: cannot write the export %s", csv);
    return ok;
}

//  A count from the feed's JSON account: "key":N.
static bool
s_count (const char *json, const char *key, size_t *value)
{
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    const char *at = json ? strstr (json, pattern) : NULL;
    return at && sscanf (at + strlen (pattern), "%zu", value) == 1;
}

//  One run: load the export into the stage's broker; its seconds.
static bool
s_feed_run (bench_t *self, bench_stage_t *stage, const char *csv, const char *map, size_t tables,
            double *seconds)
{
    char cibus [PATH_MAX];
    harness_bin ("cibus", cibus, sizeof cibus);
    const char *argv [] = {cibus,
                           "feed",
                           csv,
                           "--map",
                           map,
                           "--network",
                           BENCH_NETWORK,
                           "--broker",
                           stage->broker.broker.endpoint,
                           "--broker-key",
                           stage->broker.cert,
                           "--key",
                           self->pub_secret,
                           "--timeout",
                           "20",
                           "--json",
                           NULL};
    char *out = NULL, *err = NULL;
    int64_t start = bench_now_nsec ();
    int rc = harness_run (argv, NULL, NULL, &out, &err);
    int64_t end = bench_now_nsec ();
    size_t published = 0, refused = 1, rows = 0, rows_refused = 1;
    bool ok = rc == 0 && s_count (out, "published", &published)
              && s_count (out, "refused", &refused) && s_count (out, "rows", &rows)
              && s_count (out, "rows_refused", &rows_refused) && published == tables && refused == 0
              && rows == tables * S_ROWS_PER_TABLE && rows_refused == 0;
    if (!ok)
        bench_fail (self, "f1: cibus feed exited %d: %s%s", rc, out ? out : "", err ? err : "");
    free (out), free (err);
    //  The broker's side: one entry per table, nothing else.
    cibus_t *hub = ok ? bench_client (self, &stage->broker, self->hub_secret) : NULL;
    cibus_status_t status;
    if (hub && cibus_status (hub, &status) == CIBUS_OK) {
        if (status.last_seq != stage->base + tables
            || status.appended != stage->appended + tables) {
            bench_fail (self,
                        "f1: the broker reports last_seq %" PRIu64 " and %" PRIu64
                        " appended; expected %" PRIu64 " and %" PRIu64,
                        status.last_seq, status.appended, stage->base + tables,
                        stage->appended + tables);
            ok = false;
        }
    } else if (ok) {
        bench_fail (self, "f1: status failed: %s", hub ? cibus_error (hub) : "no connection");
        ok = false;
    }
    cibus_destroy (&hub);
    *seconds = (double) (end - start) / 1e9;
    return ok;
}

void
bench_f1_feed (bench_t *self)
{
    size_t tables = self->size.feed_rows / S_ROWS_PER_TABLE;
    char csv [PATH_MAX + 32], map [PATH_MAX + 32];
    snprintf (csv, sizeof csv, "%s/feed-export.csv", self->root);
    snprintf (map, sizeof map, "%s/feed-map.json", self->root);
    bench_progress (self, "f1", 0, "writing an export of %zu rows (%zu tables)",
                    tables * S_ROWS_PER_TABLE, tables);
    if (!s_write_export (self, csv, map, tables))
        return;
    double rate [BENCH_RUNS_MAX], rows [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "f1", run, "cibus feed: %zu rows, window %d",
                        tables * S_ROWS_PER_TABLE, FEED_DEFAULT_WINDOW);
        bench_stage_t stage;
        double seconds;
        if (bench_stage_up (self, &stage, 0)
            && s_feed_run (self, &stage, csv, map, tables, &seconds) && seconds > 0) {
            rate [n] = (double) tables / seconds;
            rows [n++] = (double) (tables * S_ROWS_PER_TABLE) / seconds;
        }
        bench_stage_down (self, &stage);
    }
    char label [96];
    snprintf (label, sizeof label, "cibus feed, %zu-row export: tables stored",
              tables * S_ROWS_PER_TABLE);
    report_add (self->report, "f1.acked", label, "/s", rate, n);
    report_goal (self->report, "f1.acked", REPORT_AT_LEAST, 0.8, "s2.acked", 0, "scenario 2");
    snprintf (label, sizeof label, "cibus feed, %zu-row export: rows read",
              tables * S_ROWS_PER_TABLE);
    report_add (self->report, "f1.rows", label, "/s", rows, n);
}
