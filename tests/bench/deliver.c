/*  deliver.c - the scenarios that measure what subscribers receive: 4
    (end-to-end latency at a fixed rate), 5 (replay of a long log), 6
    (fan-out to ten live subscribers), and 8 (the broker's memory for idle
    connections). Every subscriber checks that it received each seq once,
    in order, with no gap.                                                */

#define _GNU_SOURCE
#include "bench.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_RATE_PER_SEC       1000 /* scenario 4's publishing rate */
#define S_P99_LIMIT_MSEC     5.0  /* scenario 4's p99 target */
#define S_RSS_PER_CLIENT_KIB 64   /* scenario 8's target */

//  ---------------------------------------------------------------- 4

//  Sleep until an absolute time on the monotonic clock.
static void
s_sleep_until (int64_t nsec)
{
    struct timespec until = {(time_t) (nsec / 1000000000), (long) (nsec % 1000000000)};
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR
           && !zsys_interrupted)
        ;
}

//  Publish count entries at S_RATE_PER_SEC, each with its send time in
//  stamps (on the monotonic clock the subscriber thread reads too).
static bool
s_publish_at_rate (bench_t *self, cibus_t *client, bench_acks_t *acks, bench_stamps_t *stamps,
                   size_t count)
{
    cibus_set_ack_handler (client, bench_acks_handler, acks);
    cibus_set_window (client, BENCH_WINDOW);
    bench_update_t update;
    bench_update_init (self, &update);
    unsigned epoch = self->epoch++;
    int64_t start = bench_now_nsec (), step = 1000000000 / S_RATE_PER_SEC;
    cibus_err_t err = CIBUS_OK;
    for (size_t i = 0; i < count && err == CIBUS_OK && !zsys_interrupted; i++) {
        //  On schedule, not "a period after the last one": a late send does
        //  not push every later one back.
        s_sleep_until (start + (int64_t) i * step);
        if (!bench_acks_reserve (acks, i)) {
            bench_fail (self, "s4: out of memory after %zu publishes", i);
            return false;
        }
        bench_update_set (&update, epoch, acks->publisher, i);
        bench_stamps_mark (stamps, i);
        acks->published++;
        if ((err = cibus_publish_async (client, &update.env)) != CIBUS_OK)
            acks->published--;
    }
    if (err == CIBUS_OK)
        err = cibus_flush (client);
    if (err || zsys_interrupted) {
        bench_fail (self, "s4: publishing stopped after %zu: %s", acks->published,
                    zsys_interrupted ? "interrupted" : cibus_error (client));
        return false;
    }
    return true;
}

void
bench_s4_end_to_end (bench_t *self)
{
    double p50 [BENCH_RUNS_MAX], p99 [BENCH_RUNS_MAX], max [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s4", run, "%zu publishes at %d/s, one live subscriber",
                        self->size.rate_count, S_RATE_PER_SEC);
        bench_stage_t stage;
        bench_sub_t sub = {0};
        samples_t latency = {0};
        bench_stamps_t stamps = {0};
        cibus_t *pub = NULL;
        bench_acks_t acks;
        bench_acks_init (&acks, 1);
        bool ok = bench_stamps_init (&stamps, self->size.rate_count)
                  && bench_stage_up (self, &stage, 0)
                  && bench_sub_start (self, &stage.broker, &sub, 0, BENCH_SUB_CREDIT, &latency,
                                      &stamps)
                  && (pub = bench_client (self, &stage.broker, self->pub_secret))
                  && s_publish_at_rate (self, pub, &acks, &stamps, self->size.rate_count);
        //  What was acked is stored, and must all be delivered; a refused
        //  publish fails the run below, without waiting for it here.
        atomic_store (&sub.want, acks.acked);
        atomic_store (&sub.stop, !ok);
        ok = bench_sub_join (self, "s4", &sub) && ok
             && bench_verify_run (self, "s4", &stage, pub, &acks, 1, NULL);
        if (ok) {
            //  Samples are in usec.
            p50 [n] = samples_quantile (&latency, 0.5) / 1000.0;
            p99 [n] = samples_quantile (&latency, 0.99) / 1000.0;
            max [n++] = samples_quantile (&latency, 1.0) / 1000.0;
        }
        cibus_destroy (&pub);
        bench_stage_down (self, &stage);
        bench_acks_release (&acks);
        samples_release (&latency);
        bench_stamps_release (&stamps);
    }
    report_t *report = self->report;
    //  The floor under a delivery: one fsync for the commit, and the two
    //  hops publisher -> broker -> subscriber.
    double floor_msec =
        (report_median (report, "c1.fsync_p50") + 2 * report_median (report, "c3.rtt")) / 1000.0;
    char what [64];
    snprintf (what, sizeof what, "fsync p50 + 2 x RTT p50 = %.2f ms", floor_msec);
    report_add (report, "s4.p50", "1,000/s end to end: publish->delivery p50", "ms", p50, n);
    report_goal (report, "s4.p50", REPORT_AT_MOST, 1.0, NULL, floor_msec, what);
    report_add (report, "s4.p99", "1,000/s end to end: publish->delivery p99", "ms", p99, n);
    report_goal (report, "s4.p99", REPORT_AT_MOST, 1.0, NULL, S_P99_LIMIT_MSEC, "5 ms");
    report_add (report, "s4.max", "1,000/s end to end: publish->delivery max", "ms", max, n);
}

//  ---------------------------------------------------------------- 5

void
bench_s5_replay (bench_t *self)
{
    size_t entries = self->size.replay_log;
    double rate [BENCH_RUNS_MAX];
    bench_load_t load [BENCH_RUNS_MAX];
    int n = 0;
    char data [PATH_MAX];
    bench_progress (self, "s5", 0, "building a log of %zu entries", entries);
    bool built = bench_data_new (self, data, sizeof data) && bench_log_fill (self, data, entries);
    for (int run = 1; built && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s5", run, "replay of %zu entries from seq 1, credit %d", entries,
                        BENCH_SUB_CREDIT);
        bench_broker_t broker;
        bench_sub_t sub = {0};
        bench_cpu_t from, to;
        bool ok = bench_broker_up (self, &broker, data);
        bench_cpu_sample (&broker, &from);
        ok = ok && bench_sub_start (self, &broker, &sub, 1, BENCH_SUB_CREDIT, NULL, NULL);
        if (ok)
            atomic_store (&sub.want, entries);
        ok = bench_sub_join (self, "s5", &sub) && ok;
        bench_cpu_sample (&broker, &to);
        if (ok && sub.received == entries) {
            load [n] = bench_cpu_load (&from, &to);
            rate [n++] = bench_rate (sub.received, sub.subscribed_nsec, sub.last_nsec);
        }
        bench_broker_down (self, &broker);
    }
    bench_data_remove (self, data);
    char label [64];
    snprintf (label, sizeof label, "replay %zu entries from seq 1: delivered", entries);
    report_add (self->report, "s5.replay", label, "/s", rate, n);
    report_goal (self->report, "s5.replay", REPORT_AT_LEAST, 0.4, "c3.thr", 0, "ZeroMQ throughput");
    bench_report_load (self, "s5", load, n);
}

//  ---------------------------------------------------------------- 6

//  One run: subscribers attached from now, then a pipelined publisher.
static bool
s_fan_out_run (bench_t *self, bench_stage_t *stage, bench_sub_t *subs, size_t count,
               double *deliveries, double *acked, bench_load_t *load)
{
    size_t started = 0;
    while (started < count
           && bench_sub_start (self, &stage->broker, &subs [started], 0, BENCH_SUB_CREDIT, NULL,
                              NULL))
        started++;
    cibus_t *pub = NULL;
    bench_acks_t acks;
    bench_acks_init (&acks, 1);
    int64_t first = 0, last = 0;
    bench_cpu_t from, to;
    bench_cpu_sample (&stage->broker, &from);
    bool ok = started == count && (pub = bench_client (self, &stage->broker, self->pub_secret))
              && bench_publish_pipelined (self, "s6", pub, &acks, &self->size.pipelined,
                                          BENCH_WINDOW, &first, &last);
    int64_t delivered_by = 0;
    //  What was acked is stored, and must all be delivered; a refused
    //  publish fails the run below, without waiting for it here.
    for (size_t i = 0; i < started; i++) {
        atomic_store (&subs [i].want, acks.acked);
        atomic_store (&subs [i].stop, !ok);
    }
    for (size_t i = 0; i < started; i++) {
        ok = bench_sub_join (self, "s6", &subs [i]) && ok;
        delivered_by = subs [i].last_nsec > delivered_by ? subs [i].last_nsec : delivered_by;
    }
    bench_cpu_sample (&stage->broker, &to);
    *load = bench_cpu_load (&from, &to);
    ok = ok && bench_verify_run (self, "s6", stage, pub, &acks, 1, NULL);
    if (ok) {
        *deliveries = bench_rate (count * acks.published, first, delivered_by);
        *acked = bench_rate (acks.acked, first, last);
    }
    cibus_destroy (&pub);
    bench_acks_release (&acks);
    return ok;
}

void
bench_s6_fan_out (bench_t *self)
{
    size_t count = self->size.subscribers;
    bench_sub_t *subs = calloc (count, sizeof *subs);
    double deliveries [BENCH_RUNS_MAX], acked [BENCH_RUNS_MAX];
    bench_load_t load [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; subs && run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s6", run, "%zu live subscribers, pipelined publisher", count);
        bench_stage_t stage;
        if (bench_stage_up (self, &stage, 0)
            && s_fan_out_run (self, &stage, subs, count, &deliveries [n], &acked [n], &load [n]))
            n++;
        bench_stage_down (self, &stage);
    }
    free (subs);
    report_t *report = self->report;
    report_add (report, "s6.deliveries", "fan-out to 10: deliveries", "/s", deliveries, n);
    report_goal (report, "s6.deliveries", REPORT_AT_LEAST, 0.5, "c3.thr", 0, "ZeroMQ throughput");
    report_add (report, "s6.acked", "fan-out to 10: publisher acked", "/s", acked, n);
    report_goal (report, "s6.acked", REPORT_AT_LEAST, 0.9, "s2.acked", 0, "scenario 2");
    bench_report_load (self, "s6", load, n);
}

//  ---------------------------------------------------------------- 8

//  One run: connect every client, then ping each, so the handshakes
//  overlap; the broker's RSS before and after, per client.
static bool
s_idle_run (bench_t *self, bench_stage_t *stage, size_t count, double *per_client)
{
    cibus_t **clients = calloc (count, sizeof *clients);
    long before = bench_broker_rss_kib (&stage->broker);
    size_t made = 0, answered = 0;
    while (clients && made < count
           && (clients [made] = bench_connect (self, &stage->broker, self->pub_secret)))
        made++;
    while (made == count && answered < count
           && cibus_ping (clients [answered], NULL, 0, NULL, 0) == CIBUS_OK)
        answered++;
    long after = bench_broker_rss_kib (&stage->broker);
    bool ok = clients && answered == count && before > 0 && after > 0;
    if (made == count && answered < count)
        bench_fail (self, "s8: idle client %zu did not answer a ping: %s", answered + 1,
                    cibus_error (clients [answered]));
    else if (ok)
        *per_client = (double) (after - before) / (double) count;
    else if (made == count)
        bench_fail (self, "s8: cannot read the broker's VmRSS from /proc/%d/status",
                    (int) stage->broker.broker.pid);
    for (size_t i = 0; i < made; i++)
        cibus_destroy (&clients [i]);
    free (clients);
    return ok;
}

void
bench_s8_idle_clients (bench_t *self)
{
    double per_client [BENCH_RUNS_MAX];
    int n = 0;
    for (int run = 1; run <= self->runs && !zsys_interrupted; run++) {
        bench_progress (self, "s8", run, "%zu idle CURVE clients", self->size.idle_clients);
        bench_stage_t stage;
        if (bench_stage_up (self, &stage, 0)
            && s_idle_run (self, &stage, self->size.idle_clients, &per_client [n]))
            n++;
        bench_stage_down (self, &stage);
    }
    char label [64];
    snprintf (label, sizeof label, "%zu idle CURVE clients: broker RSS per client",
              self->size.idle_clients);
    report_add (self->report, "s8.rss", label, "KiB", per_client, n);
    report_goal (self->report, "s8.rss", REPORT_AT_MOST, 1.0, NULL, S_RSS_PER_CLIENT_KIB, "64 KiB");
}
