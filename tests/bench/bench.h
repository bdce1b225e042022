/*  bench.h - what the parts of cibus-bench share.

    cibus-bench answers one question: how close does cibus come to what
    this machine can do? So it first measures the machine's own ceilings
    (fsync, SQLite, ZeroMQ over CURVE) and then drives a real cibusd, on a
    free loopback port with CURVE on, through the real client library, in
    a scratch directory on the same filesystem as the project. Every figure
    is printed beside the ceiling it is judged against.

    Honesty rules the whole tool keeps:
      - a throughput is timed from the first publish to the last ack (or
        the last delivery), never from a moment chosen after a warm-up;
      - a latency is measured on one monotonic clock in one process;
      - every run also checks that nothing was lost or duplicated: a fast
        result that dropped a message is a failure, not a figure.

    The parts: bench.c (options, order of the parts), world.c (data
    directories, brokers, clients, entries, ack and seq bookkeeping),
    ceilings.c, publish.c (scenarios 1, 2, 3, 7), deliver.c (4, 5, 6, 8),
    scale.c (9), audit.c (a1), feed.c (f1: `cibus feed` loading an
    export), report.c (the table and the JSON).                       */

#ifndef CIBUS_BENCH_H_INCLUDED
#define CIBUS_BENCH_H_INCLUDED

#include "cibus_limits.h"
#include "cibus_wire.h"
#include "harness.h"
#include "measure.h"
#include "report.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_ENTRY_SIZE    256 /* bytes of one stored entry (its encoded Envelope) */
#define BENCH_RUNS          5   /* runs per figure; the median is reported */
#define BENCH_RUNS_MAX      9
#define BENCH_DEADLINE_MSEC HARNESS_DEADLINE_MSEC /* the longest any one wait may take */
#define BENCH_WINDOW        1000  /* publishes in flight when pipelined (scenario 2) */
#define BENCH_SUB_CREDIT    10000 /* a reading subscriber's credit window */
#define BENCH_LOG_BATCH     1000  /* entries per transaction when building a log */
#define BENCH_NETWORK       "early-literacy"
#define BENCH_TOPIC         BENCH_NETWORK "/data"
#define BENCH_INDICATOR     "k3-reading" /* defined in the catalogue before any run */
#define BENCH_DIMENSION     "race"
#define BENCH_CELLS         3 /* breakdown cells of a bench table, besides its total */
#define BENCH_PUBLISHER     "bench-pub" /* a partner of BENCH_NETWORK: publishes */
#define BENCH_READER        "bench-hub" /* the backbone: reads everything */

//  A measured phase ends at whichever comes first: msec elapsed or count
//  operations done. Full runs are sized by time, smoke runs by count.
typedef struct {
    int64_t msec;
    size_t count;
} bench_span_t;

//  How big each part is; one table for full runs, one for the smoke run.
typedef struct {
    bench_span_t fsync;     /* ceiling 1 and SQLite (a): operations */
    bench_span_t batch;     /* SQLite (b), store API: rows */
    bench_span_t zmq;       /* ZeroMQ throughput: messages; round trip: round trips */
    bench_span_t one;       /* scenario 1 */
    bench_span_t pipelined; /* scenarios 2, 6, 7 (measured phase), 9 */
    bench_span_t many;      /* scenario 3: count is per publisher */
    size_t publishers;      /* scenario 3 */
    size_t rate_count;      /* scenario 4: publishes at 1,000/s */
    size_t replay_log;      /* scenario 5: entries in the log */
    size_t subscribers;     /* scenario 6 */
    bench_span_t steady;    /* scenario 7: the phase over which RSS growth is judged */
    size_t idle_clients;    /* scenario 8 */
    size_t scale_log;       /* scenario 9: entries in the log */
    size_t audit_tables;    /* a1: data tables in the log the audit reads */
    size_t feed_rows;       /* f1: rows of the export `cibus feed` loads */
} bench_sizes_t;

typedef struct {
    bench_sizes_t size;
    int runs;
    bool smoke;                 /* correctness only: no timing is judged */
    bool keep;                  /* --keep: the scratch directory and the brokers' logs stay */
    const char *only;           /* comma-separated parts to run, NULL for the default set */
    bool scale;                 /* scenario 9 at full size */
    char root [PATH_MAX];       /* the scratch directory, removed at the end */
    char pub_secret [PATH_MAX]; /* secret certificates of the two partners */
    char hub_secret [PATH_MAX];
    char pub_key [41], hub_key [41];
    unsigned data_count; /* data directories made so far: names the next */
    unsigned epoch;      /* publishing phases so far: keeps ids unique per log */
    size_t source_len;   /* data.source padding that makes an entry BENCH_ENTRY_SIZE */
    size_t entry_size;   /* the encoded size that padding gives */
    int64_t started_nsec;
    report_t *report;
    size_t failures;
} bench_t;

//  ---------------------------------------------------------------- time, stats

int64_t bench_now_nsec (void);

/* Whether a span that started at start_nsec and has done done operations
   is over. */
bool bench_span_over (const bench_span_t *span, int64_t start_nsec, size_t done);

/* count operations between two instants, per second (0 if no time passed). */
double bench_rate (size_t count, int64_t first_nsec, int64_t last_nsec);

typedef struct {
    double *values;
    size_t count, capacity;
} samples_t;

void samples_add (samples_t *self, double value);
/* The p-quantile (0 < p <= 1) by nearest rank; sorts in place. NAN if empty. */
double samples_quantile (samples_t *self, double p);
void samples_release (samples_t *self);

//  ---------------------------------------------------------------- bench

/* Whether part (c1, c2, c3, s1 ... s9) is to run. */
bool bench_wants (bench_t *self, const char *part);

/* One line to stderr: which part, which run, how long since the start. */
void bench_progress (bench_t *self, const char *part, int run, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Record that something went wrong (lost, duplicated, refused, timed
   out): the run is void and cibus-bench will exit non-zero. */
void bench_fail (bench_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  ---------------------------------------------------------------- world

/* Make the scratch directory and the two partners' keypairs in it. */
bool bench_world_up (bench_t *self, const char *parent);
void bench_world_down (bench_t *self, bool keep);

/* A fresh data directory with both partners registered (written straight
   into its database, as `cibusd partner add` would). */
bool bench_data_new (bench_t *self, char *data, size_t size);
void bench_data_remove (const bench_t *self, const char *data);

/* Append count entries straight into data's database through the
   store's one append path (store_append), before any broker runs on it:
   the bench's indicator defined by the backbone, then count tables of the
   publisher, stored as the broker would store them (stamped, decided,
   their masked copies and projections written). */
bool bench_log_fill (bench_t *self, const char *data, size_t count);

/* Open the store at path (SQLite's own file, made if need be) with the
   bench's two partners registered and BENCH_INDICATOR defined in its
   catalogue; *publisher receives BENCH_PUBLISHER's record (release it with
   store_partner_release). NULL, with a failure recorded, on error. */
store_t *bench_store_ready (bench_t *self, const char *path, store_partner_t *publisher);

typedef struct {
    harness_broker_t broker;
    char data [PATH_MAX];
    char cert [PATH_MAX]; /* the broker's public certificate */
} bench_broker_t;

/* Start cibusd (the one built beside cibus-bench) on data. */
bool bench_broker_up (bench_t *self, bench_broker_t *broker, const char *data);
/* Stop it with SIGTERM; false (and a failure) unless it exits cleanly. */
bool bench_broker_down (bench_t *self, bench_broker_t *broker);
/* Its resident set in KiB, from /proc; -1 when unreadable. */
long bench_broker_rss_kib (bench_broker_t *broker);

//  Where the CPU went during a measured phase: the broker's main thread
//  (the reactor: decode, checks, acks, deliveries), its writer thread
//  (append, projections, commit), its ZeroMQ I/O threads (CURVE, TCP), and
//  the whole bench process (every client). A thread near 100 % is the
//  bottleneck; all well below 100 % means time goes to waiting (fsync, or
//  one side waiting for the other).
typedef struct {
    int64_t wall_nsec;
    double main_sec, writer_sec, io_sec, self_sec;
} bench_cpu_t;

typedef struct {
    double main, writer, io, self; /* percent of one core */
} bench_load_t;

void bench_cpu_sample (bench_broker_t *broker, bench_cpu_t *sample);
bench_load_t bench_cpu_load (const bench_cpu_t *from, const bench_cpu_t *to);
/* Four info rows, PART.cpu_main, .cpu_writer, .cpu_io and .cpu_bench. */
void bench_report_load (bench_t *self, const char *part, const bench_load_t *load, size_t count);

/* A connection under one partner's secret certificate, handshaken (it has
   answered a ping) before it is returned. NULL, with a failure, on error. */
cibus_t *bench_client (bench_t *self, bench_broker_t *broker, const char *secret);
/* The same without the ping: the handshake is still under way. */
cibus_t *bench_connect (bench_t *self, bench_broker_t *broker, const char *secret);

//  What most runs start with: a fresh data directory (holding a log of
//  fill entries, when fill > 0), a broker serving it, and the bench's
//  indicator defined in its catalogue (published by the backbone, as an
//  initiative would before any data), so that data submissions are valid.
typedef struct {
    char data [PATH_MAX];
    bench_broker_t broker;
    uint64_t base;     /* the log's last seq before the next run */
    uint64_t appended; /* entries the broker appended since it started */
    double start_msec; /* from starting cibusd to its start line (keys loaded, bound) */
} bench_stage_t;

bool bench_stage_up (bench_t *self, bench_stage_t *stage, size_t fill);
/* Stop the broker and remove the data directory; false if the broker did
   not stop cleanly. */
bool bench_stage_down (bench_t *self, bench_stage_t *stage);

//  ---------------------------------------------------------------- entries

//  One data table of BENCH_ENTRY_SIZE bytes once stored: a school's
//  result, its total and BENCH_CELLS cells of a breakdown by race, every
//  one large and away from 0 and 100 %, so that the broker shows it whole
//  to every reader and the bench measures the relay path, not the
//  suppression's. Its id names the publisher and the index (so an ack
//  finds its publish), after 16 hex digits of hash that make ids fall all
//  over the dedupe index like the random ids real clients use; those 16
//  digits name its unit (the school), so that each entry is a table of
//  its own, never a correction of another.
typedef struct {
    cibus_envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total, cell [BENCH_CELLS];
    Cibus__DataCell *cells [BENCH_CELLS];
    Cibus__Dimension dim [BENCH_CELLS];
    Cibus__Dimension *dims [BENCH_CELLS][1];
    char id [33];
    char unit [17];
    char source [CIBUS_MAX_NAME + 1];
} bench_update_t;

/* SplitMix64: a cheap, well-spread 64-bit hash of a number (the ids'
   tails, the raw ceiling's dedupe keys). */
uint64_t bench_mix (uint64_t x);

/* Work out the padding that makes a stored entry BENCH_ENTRY_SIZE bytes. */
bool bench_entry_calibrate (bench_t *self);

void bench_update_init (bench_t *self, bench_update_t *update);
/* Make the update the table of (epoch, publisher, index): its id, its
   unit and its counts. Every cell is made afresh, so an update the store
   stamped and masked in place (store_append) may be set and sent again. */
void bench_update_set (bench_update_t *update, unsigned epoch, uint32_t publisher, uint64_t index);

/* Append the update, as publisher, inside store's open batch, as the
   broker does; out is the caller's, reused (store_appended_release). A
   refusal is recorded as a failure with its message. */
cibus_err_t bench_store_append (bench_t *self, store_t *store, bench_update_t *update,
                                const store_partner_t *publisher, int64_t received_at,
                                store_appended_t *out);
/* The publisher and index back from an id; false when it is not ours. */
bool bench_id_parse (const char *id, uint32_t *publisher, uint64_t *index);

//  ---------------------------------------------------------------- acks

//  The acks one publisher received, by index: each must come exactly once.
typedef struct {
    uint32_t publisher;
    uint64_t *seq_of; /* by index; 0 = not acked yet */
    size_t capacity;
    size_t published, acked;
    size_t duplicates, refused, strays;
    char refusal [256]; /* the first refusal's message */
    int64_t last_ack_nsec;
} bench_acks_t;

void bench_acks_init (bench_acks_t *self, uint32_t publisher);
void bench_acks_release (bench_acks_t *self);
/* Make room for index before it is published; false when out of memory. */
bool bench_acks_reserve (bench_acks_t *self, uint64_t index);
void bench_acks_record (bench_acks_t *self, const cibus_ack_t *ack, cibus_err_t err,
                        const char *message);
/* An ack handler for cibus_set_ack_handler; arg is a bench_acks_t. */
cibus_ack_fn bench_acks_handler;

/* After a run on stage by count publishers: every publish acked exactly
   once, nothing refused; their acked seqs exactly base + 1, base + 2 ...
   with no gap and no repeat; and the broker's status (asked on client,
   copied to *status, which may be NULL) agreeing on last_seq and on how
   many it appended. Records a failure naming part otherwise; on success
   moves the stage's base past the run. */
bool bench_verify_run (bench_t *self, const char *part, bench_stage_t *stage, cibus_t *client,
                       bench_acks_t *acks, size_t count, cibus_status_t *status);

//  ---------------------------------------------------------------- publishing

/* Publish with up to window in flight until span is over, then flush.
   *first_nsec is the first send, *last_nsec the last ack. */
bool bench_publish_pipelined (bench_t *self, const char *part, cibus_t *client, bench_acks_t *acks,
                              const bench_span_t *span, size_t window, int64_t *first_nsec,
                              int64_t *last_nsec);

//  ---------------------------------------------------------------- subscribers

//  When each publish of one publisher was sent, by index, on the monotonic
//  clock: written by the publishing thread before the send, read by a
//  subscriber's thread when the entry is delivered (scenario 4).
typedef struct {
    atomic_int_least64_t *nsec; /* 0 until sent */
    size_t count;
} bench_stamps_t;

bool bench_stamps_init (bench_stamps_t *self, size_t count);
void bench_stamps_release (bench_stamps_t *self);
/* Record that index is being sent now. */
void bench_stamps_mark (bench_stamps_t *self, uint64_t index);

//  A subscriber reading in its own thread, checking that seqs come in
//  order, each once.
typedef struct {
    cibus_t *client;    /* owned; subscribed before the thread starts */
    uint64_t next_seq;  /* the seq it must receive next */
    atomic_size_t want; /* stop after this many; SIZE_MAX until known */
    atomic_bool stop;   /* give up now (the publisher failed) */
    size_t received;
    int64_t subscribed_nsec; /* just before the Subscribe was sent */
    int64_t first_nsec, last_nsec;
    samples_t *latency;           /* when set: usec from its send to its delivery */
    const bench_stamps_t *stamps; /* the send times, by index, latency needs */
    char error [512];
    pthread_t thread;
    bool running;
} bench_sub_t;

/* Connect as the backbone, subscribe from from_seq (0: from now) with
   credit, and start reading. With latency (and the stamps of the one
   publisher it measures), each delivery adds its time since the send. */
bool bench_sub_start (bench_t *self, bench_broker_t *broker, bench_sub_t *sub, uint64_t from_seq,
                      uint32_t credit, samples_t *latency, const bench_stamps_t *stamps);
/* Wait for the thread (which stops after want entries, on a stall of
   BENCH_DEADLINE_MSEC, or when told to stop); true when it received want
   entries in order. Destroys the client. */
bool bench_sub_join (bench_t *self, const char *part, bench_sub_t *sub);

//  ---------------------------------------------------------------- parts

void bench_ceilings (bench_t *self);
/* Append count of the bench's tables through the store API, a transaction
   per BENCH_LOG_BATCH, and judge nothing (--appends): for counting what an
   append costs in instructions under valgrind, which timings on a shared
   machine cannot resolve. False after a failure. */
bool bench_store_appends (bench_t *self, size_t count);
void bench_s1_one_in_flight (bench_t *self);
void bench_s2_pipelined (bench_t *self);
void bench_s3_many_publishers (bench_t *self);
void bench_s4_end_to_end (bench_t *self);
void bench_s5_replay (bench_t *self);
void bench_s6_fan_out (bench_t *self);
void bench_s7_stalled_subscriber (bench_t *self);
void bench_s8_idle_clients (bench_t *self);
void bench_s9_large_log (bench_t *self);

/* a1: build a log of `tables` data tables in dir (a new data directory)
   through store_append, and time `cibusd audit` over it: *seconds; then
   a scan of its current cells through the view data_values:
   *scan_seconds over *scan_rows. Returns the audit's exit code (0
   nothing exposed; 2 also when the scan failed), or -1 when the log
   could not be built. bench_a1_audit runs it at the bench's size and
   reports the audit against the 60 s goal, the scan without one. */
int bench_audit (const char *dir, size_t tables, double *seconds, double *scan_seconds,
                 long long *scan_rows);
void bench_a1_audit (bench_t *self);

/* f1: `cibus feed` (the binary built beside cibus-bench) loads an export
   of feed_rows rows, four a table, into a fresh broker; its tables a
   second, judged against scenario 2's acks a second. */
void bench_f1_feed (bench_t *self);

#endif
