/*  publish.c - the scenarios that measure acks: 1 (one publish in
    flight), 2 (pipelined), 3 (fifty publishers) and 7 (pipelined while a
    subscriber holds its credit). Each run starts a fresh broker on an
    empty log, so runs are alike and a run's acked seqs must be exactly
    1..N.                                                                  */

#define _GNU_SOURCE
#include "bench.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

//  Entries per commit, from the broker's counters: how well group commit
//  batches under this load.
static double
s_per_commit (const cibus_status_t *status)
{
    return status->transactions ? (double) status->appended / (double) status->transactions : 0;
}

//  ---------------------------------------------------------------- 1

//  Publish one at a time, each waiting for its ack, until the span is
//  over. Latencies in ms go to latency.
static bool
s_publish_one_by_one (bench_t *self, cibus_t *client, bench_acks_t *acks, samples_t *latency,
                      int64_t *first_nsec)
{
    bench_update_t update;
    bench_update_init (self, &update);
    unsigned epoch = self->epoch++;
    *first_nsec = bench_now_nsec ();
    while (!zsys_interrupted && !bench_span_over (&self->size.one, *first_nsec, acks->published)) {
        uint64_t index = acks->published;
        if (!bench_acks_reserve (acks, index)) {
            bench_fail (self, "s1: out of memory after %zu publishes", acks->published);
            return false;
        }
        bench_update_set (&update, epoch, acks->publisher, index);
        acks->published++;
        cibus_ack_t ack;
        int64_t before = bench_now_nsec ();
        cibus_err_t err = cibus_publish (client, &update.env, &ack);
        int64_t after = bench_now_nsec ();
        if (err) {
            bench_fail (self, "s1: publish %zu failed: %s", acks->published, cibus_error (client));
            return false;
        }
        bench_acks_record (acks, &ack, CIBUS_OK, NULL);
        samples_add (latency, (double) (after - before) / 1e6);
    }
    if (zsys_interrupted)
        bench_fail (self, "s1: interrupted");
    return !zsys_interrupted;
}

void
bench_s1_one_in_flight (bench_t *self)
{
    double rate [BENCH_RUNS_MAX], p50 [BENCH_RUNS_MAX], p99 [BENCH_RUNS_MAX], p999 [BENCH_RUNS_MAX],
        batch [BENCH_RUNS_MAX];
    bench_load_t load [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s1", run, "one publisher, one publish in flight");
        bench_stage_t stage;
        cibus_t *client = NULL;
        bench_acks_t acks;
        bench_acks_init (&acks, 1);
        samples_t latency = {0};
        int64_t first = 0;
        cibus_status_t status;
        bench_cpu_t from, to;
        if (bench_stage_up (self, &stage, 0)
            && (client = bench_client (self, &stage.broker, self->pub_secret))) {
            bench_cpu_sample (&stage.broker, &from);
            bool published = s_publish_one_by_one (self, client, &acks, &latency, &first);
            bench_cpu_sample (&stage.broker, &to);
            if (published && bench_verify_run (self, "s1", &stage, client, &acks, 1, &status)) {
                rate [n] = bench_rate (acks.acked, first, acks.last_ack_nsec);
                p50 [n] = samples_quantile (&latency, 0.5);
                p99 [n] = samples_quantile (&latency, 0.99);
                p999 [n] = samples_quantile (&latency, 0.999);
                load [n] = bench_cpu_load (&from, &to);
                batch [n++] = s_per_commit (&status);
            }
        }
        cibus_destroy (&client);
        bench_stage_down (self, &stage);
        bench_acks_release (&acks);
        samples_release (&latency);
    }
    report_t *report = self->report;
    report_add (report, "s1.acked", "1 publisher, 1 in flight: acked", "/s", rate, n);
    report_goal (report, "s1.acked", REPORT_AT_LEAST, 0.8, "c2.one", 0, "SQLite (a)");
    report_add (report, "s1.p50", "1 publisher, 1 in flight: ack latency p50", "ms", p50, n);
    report_add (report, "s1.p99", "1 publisher, 1 in flight: ack latency p99", "ms", p99, n);
    report_add (report, "s1.p999", "1 publisher, 1 in flight: ack latency p99.9", "ms", p999, n);
    report_add (report, "s1.batch", "1 publisher, 1 in flight: entries per commit", "", batch, n);
    bench_report_load (self, "s1", load, n);
}

//  ---------------------------------------------------------------- 2

void
bench_s2_pipelined (bench_t *self)
{
    double rate [BENCH_RUNS_MAX], batch [BENCH_RUNS_MAX];
    bench_load_t load [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s2", run, "one publisher, %d in flight", BENCH_WINDOW);
        bench_stage_t stage;
        cibus_t *client = NULL;
        bench_acks_t acks;
        bench_acks_init (&acks, 1);
        int64_t first, last;
        cibus_status_t status;
        bench_cpu_t from, to;
        if (bench_stage_up (self, &stage, 0)
            && (client = bench_client (self, &stage.broker, self->pub_secret))) {
            bench_cpu_sample (&stage.broker, &from);
            bool published = bench_publish_pipelined (
                self, "s2", client, &acks, &self->size.pipelined, BENCH_WINDOW, &first, &last);
            bench_cpu_sample (&stage.broker, &to);
            if (published && bench_verify_run (self, "s2", &stage, client, &acks, 1, &status)) {
                rate [n] = bench_rate (acks.acked, first, last);
                load [n] = bench_cpu_load (&from, &to);
                batch [n++] = s_per_commit (&status);
            }
        }
        cibus_destroy (&client);
        bench_stage_down (self, &stage);
        bench_acks_release (&acks);
    }
    report_add (self->report, "s2.acked", "1 publisher, 1,000 in flight: acked", "/s", rate, n);
    report_goal (self->report, "s2.acked", REPORT_AT_LEAST, 0.8, "c2.batch", 0, "SQLite (b)");
    report_add (self->report, "s2.batch", "1 publisher, 1,000 in flight: entries per commit", "",
                batch, n);
    bench_report_load (self, "s2", load, n);
}

//  ---------------------------------------------------------------- 3

//  Scenario 3's publishers: each its own connection with one publish in
//  flight (cibus_publish_async with a window of 1 sends a publisher's next
//  publish only once its previous one is acked), all driven round-robin by
//  this one thread. One thread rather than fifty keeps the bench's own CPU,
//  on a machine it shares with the broker, from deciding the result: with a
//  thread per publisher the broker saw the same entries per commit, but the
//  rate was about a third lower and far less steady on a 2-core machine.
static bool
s_many_run (bench_t *self, bench_stage_t *stage, cibus_t **clients, bench_acks_t *acks,
            size_t count, double *rate, double *batch, bench_load_t *load)
{
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        bench_acks_init (&acks [i], (uint32_t) i + 1);
        if ((ok = (clients [i] = bench_client (self, &stage->broker, self->pub_secret)))) {
            cibus_set_ack_handler (clients [i], bench_acks_handler, &acks [i]);
            cibus_set_window (clients [i], 1);
        }
    }
    bench_update_t update;
    bench_update_init (self, &update);
    unsigned epoch = self->epoch++;
    bench_cpu_t from, to;
    bench_cpu_sample (&stage->broker, &from);
    int64_t start = bench_now_nsec ();
    bool over = !ok;
    while (!over && !zsys_interrupted) {
        for (size_t i = 0; !over && i < count; i++) {
            uint64_t index = acks [i].published;
            if ((over = bench_span_over (&self->size.many, start, index)))
                break;
            if (!bench_acks_reserve (&acks [i], index)) {
                bench_fail (self, "s3: out of memory after %zu publishes", index);
                ok = false;
                break;
            }
            bench_update_set (&update, epoch, acks [i].publisher, index);
            acks [i].published++;
            if (cibus_publish_async (clients [i], &update.env) != CIBUS_OK) {
                bench_fail (self, "s3: publisher %zu: %s", i + 1, cibus_error (clients [i]));
                acks [i].published--;
                ok = false;
            }
        }
        over |= !ok;
    }
    int64_t last = 0;
    size_t acked = 0;
    for (size_t i = 0; ok && i < count; i++) {
        if (cibus_flush (clients [i]) != CIBUS_OK) {
            bench_fail (self, "s3: publisher %zu: %s", i + 1, cibus_error (clients [i]));
            ok = false;
        }
        last = acks [i].last_ack_nsec > last ? acks [i].last_ack_nsec : last;
        acked += acks [i].acked;
    }
    bench_cpu_sample (&stage->broker, &to);
    cibus_status_t status;
    ok = ok && !zsys_interrupted
         && bench_verify_run (self, "s3", stage, clients [0], acks, count, &status);
    if (ok) {
        *rate = bench_rate (acked, start, last);
        *batch = s_per_commit (&status);
        *load = bench_cpu_load (&from, &to);
    }
    for (size_t i = 0; i < count; i++) {
        cibus_destroy (&clients [i]);
        bench_acks_release (&acks [i]);
    }
    return ok;
}

void
bench_s3_many_publishers (bench_t *self)
{
    size_t count = self->size.publishers;
    cibus_t **clients = calloc (count, sizeof *clients);
    bench_acks_t *acks = calloc (count, sizeof *acks);
    double rate [BENCH_RUNS_MAX], batch [BENCH_RUNS_MAX];
    bench_load_t load [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; clients && acks && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s3", run, "%zu publishers, one publish in flight each", count);
        bench_stage_t stage;
        if (bench_stage_up (self, &stage, 0)
            && s_many_run (self, &stage, clients, acks, count, &rate [n], &batch [n], &load [n]))
            n++;
        bench_stage_down (self, &stage);
    }
    free (clients);
    free (acks);
    report_t *report = self->report;
    report_add (report, "s3.acked", "50 publishers, 1 in flight each: acked", "/s", rate, n);
    report_goal (report, "s3.acked", REPORT_AT_LEAST, 0.6, "c2.batch", 0, "SQLite (b)");
    report_add (report, "s3.acked_x", "50 publishers: acked, against scenario 1", "/s", rate, n);
    report_goal (report, "s3.acked_x", REPORT_AT_LEAST, 10, "s1.acked", 0, "scenario 1");
    report_add (report, "s3.batch", "50 publishers: entries per commit", "", batch, n);
    bench_report_load (self, "s3", load, n);
}

//  ---------------------------------------------------------------- 7

//  Every entry the stalled subscriber holds: a status request is answered
//  after every delivery sent before it on the same connection, so once it
//  is answered, what is queued is all there is.
static bool
s_count_held (bench_t *self, cibus_t *sub, uint64_t first, size_t expected)
{
    cibus_status_t status;
    if (cibus_status (sub, &status) != CIBUS_OK) {
        bench_fail (self, "s7: the stalled subscriber's status failed: %s", cibus_error (sub));
        return false;
    }
    size_t held = 0;
    cibus_envelope_t *env;
    bool in_order = true;
    while (cibus_next (sub, 0, &env) == CIBUS_OK) {
        in_order &= env->seq == first + held;
        held++;
        cibus_envelope_free (env);
    }
    if (held != expected || !in_order) {
        bench_fail (self, "s7: the subscriber holding its credit of %d was sent %zu entries%s",
                    CIBUS_CREDIT_DEFAULT, held, in_order ? "" : ", out of order");
        return false;
    }
    return true;
}

//  One run of scenario 7. The first phase is scenario 2 with the stalled
//  subscriber attached: its rate is the figure. Memory is judged over a
//  second phase, once SQLite's page cache and the allocator have settled:
//  whatever still grows then grows with the stalled subscriber's backlog.
static bool
s_stalled_run (bench_t *self, bench_stage_t *stage, double *rate, double *growth, double *total)
{
    cibus_t *pub = bench_client (self, &stage->broker, self->pub_secret);
    cibus_t *sub = pub ? bench_client (self, &stage->broker, self->hub_secret) : NULL;
    bench_acks_t acks [2];
    bench_acks_init (&acks [0], 1);
    bench_acks_init (&acks [1], 2);
    int64_t started, last, ignored;
    long rss_subscribed = -1, rss_settled = -1, rss_end = -1;
    bool ok = sub && cibus_subscribe (sub, NULL, 0, 0, 0, NULL) == CIBUS_OK
              && cibus_hold_credit (sub, true) == CIBUS_OK;
    if (sub && !ok)
        bench_fail (self, "s7: subscribe failed: %s", cibus_error (sub));
    rss_subscribed = bench_broker_rss_kib (&stage->broker);
    ok = ok
         && bench_publish_pipelined (self, "s7", pub, &acks [0], &self->size.pipelined,
                                     BENCH_WINDOW, &started, &last);
    rss_settled = bench_broker_rss_kib (&stage->broker);
    ok = ok
         && bench_publish_pipelined (self, "s7", pub, &acks [1], &self->size.steady, BENCH_WINDOW,
                                     &ignored, &ignored);
    rss_end = bench_broker_rss_kib (&stage->broker);
    size_t published = acks [0].published + acks [1].published;
    size_t expected_held = published < CIBUS_CREDIT_DEFAULT ? published : CIBUS_CREDIT_DEFAULT;
    uint64_t first = stage->base + 1;
    ok = ok && bench_verify_run (self, "s7", stage, pub, acks, 2, NULL)
         && s_count_held (self, sub, first, expected_held);
    if (ok && (rss_subscribed < 0 || rss_settled < 0 || rss_end < 0)) {
        bench_fail (self, "s7: cannot read the broker's VmRSS from /proc/%d/status",
                    (int) stage->broker.broker.pid);
        ok = false;
    }
    if (ok) {
        *rate = bench_rate (acks [0].acked, started, last);
        *growth = (double) (rss_end - rss_settled);
        *total = (double) (rss_end - rss_subscribed);
    }
    cibus_destroy (&sub);
    cibus_destroy (&pub);
    bench_acks_release (&acks [0]);
    bench_acks_release (&acks [1]);
    return ok;
}

void
bench_s7_stalled_subscriber (bench_t *self)
{
    double rate [BENCH_RUNS_MAX], growth [BENCH_RUNS_MAX], total [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s7", run,
                        "pipelined publisher, a subscriber that never grants "
                        "credit");
        bench_stage_t stage;
        if (bench_stage_up (self, &stage, 0)
            && s_stalled_run (self, &stage, &rate [n], &growth [n], &total [n]))
            n++;
        bench_stage_down (self, &stage);
    }
    report_t *report = self->report;
    char what [64];
    double window_kib = (double) CIBUS_CREDIT_DEFAULT * (double) self->entry_size / 1024.0;
    snprintf (what, sizeof what, "credit %d x %zu B = %.0f KiB", CIBUS_CREDIT_DEFAULT,
              self->entry_size, window_kib);
    report_add (report, "s7.acked", "stalled subscriber: publisher acked", "/s", rate, n);
    report_goal (report, "s7.acked", REPORT_AT_LEAST, 0.95, "s2.acked", 0, "scenario 2");
    report_add (report, "s7.rss", "stalled subscriber: broker RSS growth, 2nd phase", "KiB", growth,
                n);
    report_goal (report, "s7.rss", REPORT_AT_MOST, 1.0, NULL, window_kib, what);
    report_add (report, "s7.rss_total", "  same, since subscribing (both phases)", "KiB", total, n);
}
