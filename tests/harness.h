/*  harness.h - what the tests share: scratch directories, the binaries
    under test, a real cibusd started on a free loopback port, and child
    processes run with their output captured.

    Every wait here has a deadline; nothing sleeps to let things settle. A
    broker is started with `--bind tcp://127.0.0.1:*` and found through the
    endpoint file it writes once it is bound (DIR/cibusd.endpoint).        */

#ifndef CIBUS_HARNESS_H_INCLUDED
#define CIBUS_HARNESS_H_INCLUDED

//  The tests drive the client library in the wire's own types as well.
#include "cibus_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

//  How long a test waits for any one condition before it fails.
#define HARNESS_DEADLINE_MSEC 20000

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string. */
char *harness_tmpdir (void);

/* Remove a directory made by harness_tmpdir, with everything in it. */
void harness_rmtree (const char *dir);

/* The path of a binary built beside the running test (cibusd, cibus), in
   path of size PATH_MAX. */
void harness_bin (const char *name, char *path, size_t size);

/* Milliseconds on the monotonic clock. */
int64_t harness_now_msec (void);

/* Wait until a file exists, up to deadline_msec; false on timeout. */
bool harness_wait_file (const char *path, int deadline_msec);

typedef struct {
    pid_t pid;
    char *data_dir;     /* borrowed from the caller */
    char endpoint [256];
    char broker_key [41];
} harness_broker_t;

/* Start `cibusd run --data DIR --bind tcp://127.0.0.1:*` (plus extra
   arguments, NULL-terminated, may be NULL) and wait until it has bound.
   Its log goes to DIR/../<basename>.log. Returns false on failure. */
bool harness_broker_start (harness_broker_t *broker, const char *data_dir,
                           const char *const *extra);

/* The same, bound to ipc://SOCKET instead (a path outside the data
   directory): bound once the socket file exists. For a data directory where
   the endpoint file cannot be written (a full disk). */
bool harness_broker_start_ipc (harness_broker_t *broker, const char *data_dir, const char *socket,
                               const char *const *extra);

/* Send a signal and wait (with the deadline) for the broker to exit.
   Returns its exit status as from waitpid, or -1 on timeout (after which it
   is killed). */
int harness_broker_stop (harness_broker_t *broker, int signal);

/* Run a command to its end with stdin from input (may be NULL), capturing
   stdout and stderr (each may be NULL to discard; the caller frees). The
   environment gets CIBUS_* variables from env (NULL-terminated "K=V" list,
   may be NULL). Returns the exit code, or -1 when it did not exit normally
   or overran the deadline (it is then killed). */
int harness_run (const char *const *argv, const char *const *env, const char *input,
                 char **out, char **err);

/* Register a partner with `cibusd partner add` after generating its keypair
   with `cibus keygen` in dir; secret_path receives DIR/NAME_secret. */
bool harness_add_partner (const char *data_dir, const char *dir, const char *name,
                          const char *role, const char *const *networks, char *secret_path,
                          size_t size);

/* The same for an integrator, with the partners whose tables it submits
   on their behalf (`--feeds`; NULL-terminated, may be NULL). */
bool harness_add_integrator (const char *data_dir, const char *dir, const char *name,
                             const char *const *networks, const char *const *feeds,
                             char *secret_path, size_t size);

/* A running broker with a registry: the backbone "hub" (reads everything),
   partners "alice" (network early-literacy) and "bob" (network
   postsecondary), and the integrator "feed" (early-literacy), registered
   to feed no one (harness_add_integrator registers one that does). */
typedef struct {
    char *dir;                /* scratch directory, removed by world_down */
    char data [4096];         /* the broker's data directory inside it */
    harness_broker_t broker;
    char hub [4096], alice [4096], bob [4096], feed [4096]; /* secret cert files */
} harness_world_t;

bool harness_world_up (harness_world_t *world);
void harness_world_down (harness_world_t *world);

/* The same as cmocka setup and teardown functions: *state is the world. */
int harness_world_setup (void **state);
int harness_world_teardown (void **state);

/* Run the real cibus binary against the world's broker (CIBUS_BROKER and
   CIBUS_BROKER_KEY set in its environment) with the NULL-terminated
   arguments; like harness_run. */
int harness_cibus (const harness_world_t *world, char **out, char **err, ...);

/* Run cibusd with the NULL-terminated arguments; like harness_run. */
int harness_cibusd (char **out, char **err, ...);

/* A library connection to the world's broker under a secret cert, whose
   calls wait at most timeout_msec. */
struct cibus_t *harness_client (const harness_world_t *world, const char *secret,
                                int timeout_msec);

/* Define k3-reading as the world's backbone with the real cibus: a percent
   by quarter, broken down by race (asian, black, hispanic, white). */
bool harness_define_k3 (const harness_world_t *world);

/* Count the non-overlapping occurrences of needle in text. */
size_t harness_count (const char *text, const char *needle);

/* The whole of a file as a string (the caller frees), or NULL when it
   cannot be read. */
char *harness_read_all (const char *path);

/* The source tree: the nearest directory above the test binary that
   holds the file probe (a path relative to the tree, such as
   "docs/examples/example.c"), or "." when none does. */
void harness_source_tree (const char *probe, char *root, size_t size);

/* Wait until the file holds needle, up to deadline_msec (driven by inotify,
   not by sleeping); false on timeout. */
bool harness_wait_text (const char *path, const char *needle, int deadline_msec);

/* Wait until the file holds needle at least count times, the same way. */
bool harness_wait_count (const char *path, const char *needle, size_t count,
                         int deadline_msec);

/* The descriptors a process has open (the entries of /proc/PID/fd), or -1. */
int harness_fd_count (pid_t pid);

/* A process's resident set size in KiB (VmRSS in /proc/PID/status), or -1. */
long harness_rss_kib (pid_t pid);

/* The store's keyed hash of count parts joined by zero bytes (a dedupe
   key: partner and id; a table's: network, owner, unit, indicator and
   period), computed apart from the store: SipHash-2-4 under the secret
   of the database at path, read as a little-endian number. False when
   the secret cannot be read or the parts are too long. */
bool harness_store_hash (const char *path, const char *const *parts, size_t count,
                         int64_t *hash);

#endif
