/*  cibus-bench - cibus against this machine's own ceilings.

        cibus-bench [--json FILE] [--runs N] [--only PARTS] [--dir DIR] [--keep]
        cibus-bench --smoke        every scenario, tiny, checked for loss only
        cibus-bench --scale        scenario 9: a log of 10,000,000 entries

    Prints one table: for each ceiling and scenario the figures (median of
    the runs, and their spread), the ratio to the ceiling it is judged
    against, the target, and pass or MISS. Progress goes to stderr.

    Exit codes: 0 when every part ran to its end and nothing was lost or
    duplicated (a missed target is a finding, not an error); 1 otherwise;
    2 on a usage error.                                                   */

#define _GNU_SOURCE
#include "bench.h"

#include "opts.h"

#include <czmq.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_EXIT_FAIL  1
#define S_EXIT_USAGE 2

//  Scenario 8 opens three sockets per client (its DEALER, the monitor's
//  PAIR and libzmq's own end of the monitor) in this one process. libzmq
//  frees a closed socket's slot only when its reaper thread gets to it,
//  so a run may start before the last run's sockets are gone: room for
//  two runs. (czmq asserts, rather than fails, when the limit is hit.)
#define S_SOCKETS_PER_CLIENT 3
#define S_SOCKETS_SPARE      256
#define S_SOCKET_RUNS        2

//  A smoke run is bounded by counts; its spans' time limits only stop a
//  run that has stalled.
#define S_SMOKE_MSEC (2 * BENCH_DEADLINE_MSEC)

static const bench_sizes_t s_full = {
    .fsync = {2000, SIZE_MAX},
    .batch = {2000, SIZE_MAX},
    .zmq = {2000, SIZE_MAX},
    .one = {3000, SIZE_MAX},
    .pipelined = {3000, SIZE_MAX},
    .many = {3000, SIZE_MAX},
    .publishers = 50,
    .rate_count = 5000,
    .replay_log = 1000000,
    .subscribers = 10,
    .steady = {3000, SIZE_MAX},
    .idle_clients = 1000,
    .scale_log = 10000000,
    .audit_tables = 100000,
    .feed_rows = 100000,
};

static const bench_sizes_t s_smoke = {
    .fsync = {S_SMOKE_MSEC, 50},
    .batch = {S_SMOKE_MSEC, 2 * BENCH_LOG_BATCH},
    .zmq = {S_SMOKE_MSEC, 2000},
    .one = {S_SMOKE_MSEC, 100},
    .pipelined = {S_SMOKE_MSEC, 1000},
    .many = {S_SMOKE_MSEC, 10},
    .publishers = 50,
    .rate_count = 200,
    .replay_log = 2000,
    .subscribers = 10,
    .steady = {S_SMOKE_MSEC, 300},
    .idle_clients = 50,
    .scale_log = 3000,
    .audit_tables = 300,
    .feed_rows = 400,
};

//  The parts in the order they run; the ceilings come first because the
//  scenarios are judged against them.
typedef struct {
    const char *name;
    void (*run) (bench_t *self);
    bool in_default; /* part of a plain `cibus-bench` */
} s_part_t;

static const s_part_t s_parts [] = {
    //  The ceilings have no run of their own: bench_ceilings runs those
    //  wanted, before any scenario.
    {"c1", NULL, true},
    {"c2", NULL, true},
    {"c3", NULL, true},
    {"s1", bench_s1_one_in_flight, true},
    {"s2", bench_s2_pipelined, true},
    {"s3", bench_s3_many_publishers, true},
    {"s4", bench_s4_end_to_end, true},
    {"s5", bench_s5_replay, true},
    {"s6", bench_s6_fan_out, true},
    {"s7", bench_s7_stalled_subscriber, true},
    {"s8", bench_s8_idle_clients, true},
    {"s9", bench_s9_large_log, false},
    {"a1", bench_a1_audit, true},
    {"f1", bench_f1_feed, true},
};

//  The option table holds defaults as text.
#define S_STR(x)  #x
#define S_XSTR(x) S_STR (x)

static const opt_def_t s_opts [] = {
    {"json", OPT_VALUE, "FILE", NULL, NULL, "also write the results to FILE as JSON"},
    {"runs", OPT_VALUE, "N", NULL, S_XSTR (BENCH_RUNS),
     "runs per figure, 1 to " S_XSTR (BENCH_RUNS_MAX) "; the median is reported"},
    {"only", OPT_VALUE, "PARTS", NULL, NULL,
     "run only these parts, comma-separated: c1 c2 c3 (the ceilings: fsync, SQLite, "
     "ZeroMQ), s1 ... s9 (the scenarios), a1 (the disclosure audit of 100,000 tables), f1 "
     "(cibus feed loading a 100,000-row export)"},
    {"smoke", OPT_FLAG, NULL, NULL, NULL,
     "every scenario at a tiny size, one run: checks that nothing is lost or duplicated, "
     "judges no figure (make check runs this)"},
    {"scale", OPT_FLAG, NULL, NULL, NULL,
     "run scenario 9 (a log of 10,000,000 entries) instead of the default set"},
    {"dir", OPT_VALUE, "DIR", NULL, NULL,
     "where to make the scratch directory; it must be on the filesystem being measured "
     "(default: the directory cibus-bench is in, i.e. build/)"},
    {"keep", OPT_FLAG, NULL, NULL, NULL,
     "keep the scratch directory and the brokers' logs (their data directories go)"},
    {"appends", OPT_VALUE, "N", NULL, NULL,
     "append N of the bench's tables through the store API (a transaction per 1,000) and "
     "exit, judging nothing: run it under valgrind to count the instructions an append takes "
     "(two counts, N and M, differ by N - M appends)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  ---------------------------------------------------------------- time, stats

int64_t
bench_now_nsec (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

bool
bench_span_over (const bench_span_t *span, int64_t start_nsec, size_t done)
{
    return done >= span->count || bench_now_nsec () - start_nsec >= span->msec * 1000000;
}

double
bench_rate (size_t count, int64_t first_nsec, int64_t last_nsec)
{
    return last_nsec > first_nsec ? (double) count / ((double) (last_nsec - first_nsec) / 1e9) : 0;
}

void
samples_add (samples_t *self, double value)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 1024;
        double *grown = realloc (self->values, capacity * sizeof (double));
        if (!grown)
            return; //  a lost sample only thins the statistics
        self->values = grown;
        self->capacity = capacity;
    }
    self->values [self->count++] = value;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double
samples_quantile (samples_t *self, double p)
{
    if (self->count == 0)
        return NAN;
    qsort (self->values, self->count, sizeof (double), s_compare);
    size_t rank = (size_t) ceil (p * (double) self->count);
    return self->values [rank ? rank - 1 : 0];
}

void
samples_release (samples_t *self)
{
    free (self->values);
    memset (self, 0, sizeof *self);
}

//  ---------------------------------------------------------------- bench

bool
bench_wants (bench_t *self, const char *part)
{
    if (!self->only)
        return false;
    size_t len = strlen (part);
    for (const char *at = self->only; *at;) {
        size_t item = strcspn (at, ", ");
        if (item == len && strncmp (at, part, len) == 0)
            return true;
        at += item;
        at += strspn (at, ", ");
    }
    return false;
}

void
bench_progress (bench_t *self, const char *part, int run, const char *format, ...)
{
    double elapsed = (double) (bench_now_nsec () - self->started_nsec) / 1e9;
    char line [256];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (run > 0)
        fprintf (stderr, "[%4.0fs] %-3s run %d/%d: %s\n", elapsed, part, run, self->runs, line);
    else
        fprintf (stderr, "[%4.0fs] %-3s %s\n", elapsed, part, line);
}

void
bench_fail (bench_t *self, const char *format, ...)
{
    char line [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    fprintf (stderr, "cibus-bench: FAILED: %s\n", line);
    report_failure (self->report, line);
    self->failures++;
}

//  ---------------------------------------------------------------- main

static int
s_usage_error (const char *message)
{
    fprintf (stderr, "cibus-bench: %s (see `cibus-bench --help`)\n", message);
    return S_EXIT_USAGE;
}

//  The parts to run, written into list, which self->only then points at.
static void
s_select (bench_t *self, opts_t *opts, char *list, size_t size)
{
    const char *only = opts_get (opts, "only");
    if (only) {
        snprintf (list, size, "%s", only);
        self->only = list;
        return;
    }
    list [0] = 0;
    for (size_t i = 0; i < sizeof s_parts / sizeof s_parts [0]; i++) {
        bool take = self->smoke || (self->scale ? !s_parts [i].in_default : s_parts [i].in_default);
        if (!take)
            continue;
        size_t len = strlen (list);
        snprintf (list + len, size - len, "%s%s", len ? "," : "", s_parts [i].name);
    }
    self->only = list;
}

static void
s_run_parts (bench_t *self)
{
    if (bench_wants (self, "c1") || bench_wants (self, "c2") || bench_wants (self, "c3"))
        bench_ceilings (self);
    for (size_t i = 0; i < sizeof s_parts / sizeof s_parts [0] && !zsys_interrupted; i++)
        if (s_parts [i].run && bench_wants (self, s_parts [i].name))
            s_parts [i].run (self);
}

int
main (int argc, char **argv)
{
    //  Sockets for scenario 8's clients: this can only be set before the
    //  first socket exists.
    zsys_set_max_sockets (S_SOCKET_RUNS * s_full.idle_clients * S_SOCKETS_PER_CLIENT
                          + S_SOCKETS_SPARE);
    zsys_init ();
    zsys_set_logstream (NULL);
    //  The bench's own store calls and the brokers it starts log warnings
    //  and errors only, unless the caller asks for more.
    setenv ("CIBUS_LOG", "warn", 0);

    char error [256];
    opts_t *opts = opts_parse (s_opts, argc - 1, argv + 1, error, sizeof error);
    if (!opts)
        return s_usage_error (error);
    if (opts_flag (opts, "help")) {
        printf ("usage: cibus-bench [OPTIONS]\n\n"
                "Measures this machine's fsync, SQLite and ZeroMQ ceilings, then a real cibusd\n"
                "(built beside cibus-bench) against them, and prints one table.\n\n"
                "options:\n");
        opts_help (s_opts, stdout);
        opts_destroy (&opts);
        return 0;
    }
    bench_t self = {0};
    self.smoke = opts_flag (opts, "smoke");
    self.keep = opts_flag (opts, "keep") || getenv ("CIBUS_KEEP");
    self.scale = opts_flag (opts, "scale");
    self.size = self.smoke ? s_smoke : s_full;
    char *end;
    long runs = strtol (opts_get (opts, "runs"), &end, 10);
    if (*end || runs < 1 || runs > BENCH_RUNS_MAX) {
        opts_destroy (&opts);
        return s_usage_error ("--runs must be a number from 1 to " S_XSTR (BENCH_RUNS_MAX));
    }
    self.runs = self.smoke && !opts_given (opts, "runs") ? 1 : (int) runs;
    if (opts_positional_count (opts) > 0) {
        opts_destroy (&opts);
        return s_usage_error ("cibus-bench takes no argument");
    }
    char parts [256];
    s_select (&self, opts, parts, sizeof parts);

    char parent [PATH_MAX];
    if (opts_get (opts, "dir"))
        snprintf (parent, sizeof parent, "%s", opts_get (opts, "dir"));
    else {
        harness_bin ("", parent, sizeof parent);
        parent [strlen (parent) - 1] = 0; //  the trailing '/'
    }
    self.started_nsec = bench_now_nsec ();
    self.report = report_new ();
    if (!self.report || !bench_entry_calibrate (&self) || !bench_world_up (&self, parent)) {
        bench_world_down (&self, false);
        report_destroy (&self.report);
        opts_destroy (&opts);
        return S_EXIT_FAIL;
    }
    if (opts_get (opts, "appends")) {
        long count = strtol (opts_get (opts, "appends"), &end, 10);
        bool appended = !*end && count >= 1 && bench_store_appends (&self, (size_t) count);
        if (*end || count < 1)
            fprintf (stderr, "cibus-bench: --appends must be a whole number of 1 or more\n");
        bench_world_down (&self, self.keep);
        report_destroy (&self.report);
        opts_destroy (&opts);
        return appended ? 0 : S_EXIT_FAIL;
    }
    report_machine (self.report, self.root);
    report_settings (self.report, self.smoke, self.runs, self.entry_size);
    bench_progress (&self, "", 0, "parts %s; scratch %s; entry %zu bytes", self.only, self.root,
                    self.entry_size);

    s_run_parts (&self);
    if (zsys_interrupted)
        bench_fail (&self, "interrupted");

    report_elapsed (self.report, (double) (bench_now_nsec () - self.started_nsec) / 1e9);
    report_print (self.report, stdout);
    fflush (stdout);
    const char *json = opts_get (opts, "json");
    bool written = !json || report_write_json (self.report, json);
    bench_world_down (&self, self.keep);
    int rc = self.failures || !written ? S_EXIT_FAIL : 0;
    report_destroy (&self.report);
    opts_destroy (&opts);
    return rc;
}
