/*  peers.h - what the parts of cibus-bench-peers share.

    cibus-bench-peers runs cibus's scenarios s1, s2, s3 and s6 (see
    tests/bench/bench.h) against three peers in the same run: Redis
    (XADD to a stream, appendonly with appendfsync always), NATS with
    JetStream (a publish acked by the stream) and Mosquitto (MQTT QoS 1,
    acked by PUBACK). Each server is started privately on a free loopback
    port, with its configuration and data in a scratch directory, and is
    killed by its pid at the end, also when a part fails.

    The shapes, as in cibus-bench: one message is PEERS_PAYLOAD bytes;
      s1  one client, one publish in flight: publish, wait for the ack;
      s2  one client, PEERS_WINDOW publishes in flight;
      s3  PEERS_CLIENTS clients, one in flight each;
      s6  PEERS_SUBSCRIBERS live subscribers, a pipelined publisher: the
          rate of deliveries, from the first publish to the last delivery.
    A measured phase lasts PEERS_SPAN_MSEC (cibus-bench's full size), and
    every ack and delivery is counted: a figure that lost a message is a
    failure, not a figure.

    The parts: peers.c (main, cibus's own figures, the table), server.c
    (ports, processes), redis.c, nats.c, mqtt.c (one per peer).       */

#ifndef CIBUS_PEERS_H_INCLUDED
#define CIBUS_PEERS_H_INCLUDED

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PEERS_PAYLOAD       256   /* bytes of one message: cibus-bench's entry size */
#define PEERS_WINDOW        1000  /* in flight in s2 and s6: cibus-bench's BENCH_WINDOW */
#define PEERS_CLIENTS       50    /* s3: cibus-bench's publishers */
#define PEERS_SUBSCRIBERS   10    /* s6: cibus-bench's subscribers */
#define PEERS_SPAN_MSEC     3000  /* a measured phase: cibus-bench's full size */
#define PEERS_DEADLINE_MSEC 10000 /* the longest any one wait may take */
#define PEERS_TOPIC         "bench.data"

//  The figures of one system, per second; NAN where a shape failed.
typedef enum { PEERS_S1, PEERS_S2, PEERS_S3, PEERS_S6, PEERS_SHAPES } peers_shape_t;

typedef struct {
    double rate [PEERS_SHAPES];
} peers_figures_t;

//  ---------------------------------------------------------------- time

int64_t peers_now_nsec (void);
/* Whether a phase that started at start_nsec is over. */
bool peers_span_over (int64_t start_nsec);
double peers_rate (size_t count, int64_t first_nsec, int64_t last_nsec);
/* One line of progress to stderr. */
void peers_progress (const char *peer, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
/* The message every publish carries: PEERS_PAYLOAD bytes. */
const char *peers_payload (void);

//  ---------------------------------------------------------------- servers

typedef struct {
    const char *name;    /* "redis" */
    char dir [PATH_MAX]; /* its own directory in the scratch directory */
    int port;
    pid_t pid; /* 0 when not running */
} peers_server_t;

//  Writes the server's configuration for port into server->dir and fills
//  argv (at most 16 entries, NULL-terminated) with the command that
//  starts it; strings live in buffer.
typedef bool (peers_configure_fn) (peers_server_t *server, char **argv, char *buffer, size_t size);

/* Make server->dir under root, pick a free loopback port, start the
   server and wait until it accepts connections; tries a few ports when
   another process takes the one picked in between. */
bool peers_server_up (peers_server_t *server, const char *root, peers_configure_fn *configure);

/* Write the server's configuration file name into its directory, its text
   made by format; buffer (size bytes) receives the file's path. False,
   after saying why, when it cannot be written. */
bool peers_config_write (const peers_server_t *server, const char *name, char *buffer, size_t size,
                         const char *format, ...) __attribute__ ((format (printf, 5, 6)));
/* SIGTERM, then SIGKILL past the deadline; a no-op when not running. */
void peers_server_down (peers_server_t *server);
/* A TCP connection to 127.0.0.1:port, -1 (with a message) on error. */
int peers_connect (int port);

//  ---------------------------------------------------------------- peers

//  Each peer's shapes on a running server; a failed shape is NAN and is
//  reported on stderr.
peers_configure_fn redis_configure, nats_configure, mqtt_configure;
void redis_measure (peers_server_t *server, peers_figures_t *out);
void nats_measure (peers_server_t *server, peers_figures_t *out);
void mqtt_measure (peers_server_t *server, peers_figures_t *out);

//  ---------------------------------------------------------------- threads

//  What s3 and s6 share: run fn (arg + i * arg_size) in count threads,
//  released together; false when a thread could not start.
typedef void *(peers_thread_fn)(void *arg);
bool peers_threads_run (peers_thread_fn *fn, void *args, size_t arg_size, size_t count);

#endif
