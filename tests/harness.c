/*  harness.c - processes and files for the tests; see harness.h. */

#define _GNU_SOURCE
#include "harness.h"

#include "cibus.h"

#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t
harness_now_msec (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

char *
harness_tmpdir (void)
{
    const char *base = getenv ("TMPDIR");
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/cibus-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp (path))
        return NULL;
    return strdup (path);
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove (path);
}

void
harness_rmtree (const char *dir)
{
    if (dir && *dir)
        nftw (dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

void
harness_bin (const char *name, char *path, size_t size)
{
    char self [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len < 0)
        len = 0;
    self [len] = 0;
    char *slash = strrchr (self, '/');
    if (slash)
        *slash = 0;
    snprintf (path, size, "%s/%s", slash ? self : ".", name);
}

void
harness_source_tree (const char *probe, char *root, size_t size)
{
    char here [PATH_MAX], path [PATH_MAX + 256];
    harness_bin ("", here, sizeof here);
    char *real = realpath (here, NULL);
    snprintf (here, sizeof here, "%s", real ? real : ".");
    free (real);
    for (char *slash; (slash = strrchr (here, '/')) && slash != here; *slash = 0) {
        snprintf (path, sizeof path, "%s/%s", here, probe);
        if (access (path, R_OK) == 0) {
            snprintf (root, size, "%s", here);
            return;
        }
    }
    snprintf (root, size, "."); //  not found above: the working directory
}

//  Waits are driven by events, not by sleeping: inotify reports changes in a
//  directory, and a pidfd becomes readable when its process exits. Each
//  wait polls them with the time left before its deadline, then the caller
//  checks its condition again.

//  A pidfd for a child, or -1 (then only the deadline ends the wait).
static int
s_pidfd (pid_t pid)
{
    return (int) syscall (SYS_pidfd_open, pid, 0);
}

//  An inotify descriptor watching dir for files being created or renamed
//  into it, or -1.
static int
s_watch_dir (const char *dir)
{
    int fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0 && inotify_add_watch (fd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        close (fd);
        fd = -1;
    }
    return fd;
}

//  Wait until one of the descriptors (either may be -1) is readable or the
//  deadline passes; false once it has passed. Drains inotify's events.
static bool
s_wait_event (int watch_fd, int pidfd, int64_t until)
{
    int64_t left = until - harness_now_msec ();
    if (left <= 0)
        return false;
    struct pollfd fds [2] = {{watch_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = poll (fds, 2, (int) left);
    if (rc > 0 && watch_fd >= 0 && (fds [0].revents & POLLIN)) {
        char events [4096];
        while (read (watch_fd, events, sizeof events) > 0)
            ;
    }
    return rc >= 0 || errno == EINTR;
}

bool
harness_wait_file (const char *path, int deadline_msec)
{
    int64_t until = harness_now_msec () + deadline_msec;
    char dir [PATH_MAX];
    snprintf (dir, sizeof dir, "%s", path);
    char *slash = strrchr (dir, '/');
    if (slash)
        *slash = 0;
    int watch = s_watch_dir (slash ? dir : ".");
    bool found;
    while (!(found = access (path, F_OK) == 0) && s_wait_event (watch, -1, until))
        ;
    if (watch >= 0)
        close (watch);
    return found;
}

//  Read a whole small file into buf; false when absent or empty.
static bool
s_read_file (const char *path, char *buf, size_t size)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    size_t len = fread (buf, 1, size - 1, file);
    fclose (file);
    buf [len] = 0;
    while (len && (buf [len - 1] == '\n' || buf [len - 1] == ' '))
        buf [--len] = 0;
    return len > 0;
}

//  Start the broker bound to bind, and wait until it has bound: for a tcp
//  endpoint with a port of '*', until the endpoint file names the port; for
//  an ipc endpoint, until its socket file exists.
static bool
s_broker_start (harness_broker_t *broker, const char *data_dir, const char *bind,
                const char *const *extra)
{
    char bin [PATH_MAX], endpoint_path [PATH_MAX], log_path [PATH_MAX];
    harness_bin ("cibusd", bin, sizeof bin);
    bool ipc = strncmp (bind, "ipc://", 6) == 0;
    if (ipc)
        snprintf (endpoint_path, sizeof endpoint_path, "%s", bind + 6);
    else
        snprintf (endpoint_path, sizeof endpoint_path, "%s/cibusd.endpoint", data_dir);
    snprintf (log_path, sizeof log_path, "%s.log", data_dir);
    memset (broker, 0, sizeof *broker);
    broker->data_dir = (char *) data_dir;
    unlink (endpoint_path);

    const char *argv [32] = {bin, "run", "--data", data_dir, "--bind", bind};
    size_t argc = 6;
    for (size_t i = 0; extra && extra [i] && argc < 31; i++)
        argv [argc++] = extra [i];
    argv [argc] = NULL;

    //  The broker would make its data directory itself; made here first so
    //  that it can be watched for the endpoint file from the start.
    mkdir (data_dir, 0700);
    char watched [PATH_MAX];
    snprintf (watched, sizeof watched, "%s", endpoint_path);
    char *slash = strrchr (watched, '/');
    if (slash)
        *slash = 0;
    int watch = s_watch_dir (slash ? watched : ".");
    pid_t pid = fork ();
    if (pid < 0) {
        if (watch >= 0)
            close (watch);
        return false;
    }
    if (pid == 0) {
        int fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, 2);
            dup2 (fd, 1);
            close (fd);
        }
        execv (bin, (char *const *) argv);
        _exit (127);
    }
    broker->pid = pid;
    //  Bound once the endpoint file appears; gone if the process exits first.
    int pidfd = s_pidfd (pid);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    bool bound = false, exited = false;
    while (!(bound = ipc ? access (endpoint_path, F_OK) == 0
                         : s_read_file (endpoint_path, broker->endpoint,
                                        sizeof broker->endpoint))) {
        int status;
        if ((exited = waitpid (pid, &status, WNOHANG) == pid)
            || !s_wait_event (watch, pidfd, until))
            break;
    }
    if (watch >= 0)
        close (watch);
    if (pidfd >= 0)
        close (pidfd);
    if (exited) {
        fprintf (stderr, "harness: cibusd exited before binding; see %s\n", log_path);
        broker->pid = 0;
        return false;
    }
    if (!bound) {
        harness_broker_stop (broker, SIGKILL);
        return false;
    }
    if (ipc)
        snprintf (broker->endpoint, sizeof broker->endpoint, "%s", bind);
    char cert_path [PATH_MAX], cert [4096];
    snprintf (cert_path, sizeof cert_path, "%s/broker", data_dir);
    if (s_read_file (cert_path, cert, sizeof cert)) {
        char *key = strstr (cert, "public-key = \"");
        if (key)
            snprintf (broker->broker_key, sizeof broker->broker_key, "%.40s", key + 14);
    }
    return strlen (broker->broker_key) == 40;
}

bool
harness_broker_start (harness_broker_t *broker, const char *data_dir, const char *const *extra)
{
    return s_broker_start (broker, data_dir, "tcp://127.0.0.1:*", extra);
}

bool
harness_broker_start_ipc (harness_broker_t *broker, const char *data_dir, const char *socket,
                          const char *const *extra)
{
    char bind [PATH_MAX + 8];
    snprintf (bind, sizeof bind, "ipc://%s", socket);
    return s_broker_start (broker, data_dir, bind, extra);
}

int
harness_broker_stop (harness_broker_t *broker, int signal)
{
    if (broker->pid <= 0)
        return -1;
    int pidfd = s_pidfd (broker->pid);
    kill (broker->pid, signal);
    int64_t until = harness_now_msec () + HARNESS_DEADLINE_MSEC;
    int status = -1;
    while (waitpid (broker->pid, &status, WNOHANG) == 0) {
        if (!s_wait_event (-1, pidfd, until)) {
            kill (broker->pid, SIGKILL);
            waitpid (broker->pid, &status, 0);
            status = -1;
            break;
        }
    }
    if (pidfd >= 0)
        close (pidfd);
    broker->pid = 0;
    return status;
}

//  Append what is readable on fd to a growing string.
static bool
s_slurp (int fd, char **buf, size_t *len, size_t *cap)
{
    char chunk [4096];
    ssize_t got = read (fd, chunk, sizeof chunk);
    if (got <= 0)
        return false;
    if (*len + (size_t) got + 1 > *cap) {
        size_t cap2 = (*cap ? *cap * 2 : 8192) + (size_t) got;
        char *grown = realloc (*buf, cap2);
        if (!grown)
            return false;
        *buf = grown, *cap = cap2;
    }
    memcpy (*buf + *len, chunk, (size_t) got);
    *len += (size_t) got;
    (*buf) [*len] = 0;
    return true;
}

int
harness_run (const char *const *argv, const char *const *env, const char *input, char **out,
             char **err)
{
    int in_pipe [2], out_pipe [2], err_pipe [2];
    if (pipe (in_pipe) || pipe (out_pipe) || pipe (err_pipe))
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        dup2 (in_pipe [0], 0);
        dup2 (out_pipe [1], 1);
        dup2 (err_pipe [1], 2);
        close (in_pipe [0]), close (in_pipe [1]);
        close (out_pipe [0]), close (out_pipe [1]);
        close (err_pipe [0]), close (err_pipe [1]);
        for (size_t i = 0; env && env [i]; i++)
            putenv ((char *) env [i]);
        execv (argv [0], (char *const *) argv);
        _exit (127);
    }
    close (in_pipe [0]), close (out_pipe [1]), close (err_pipe [1]);
    if (input) {
        //  Inputs in tests are small: they fit the pipe's buffer.
        ssize_t rc = write (in_pipe [1], input, strlen (input));
        (void) rc;
    }
    close (in_pipe [1]);

    char *bufs [2] = {NULL, NULL};
    size_t lens [2] = {0, 0}, caps [2] = {0, 0};
    struct pollfd fds [2] = {{out_pipe [0], POLLIN, 0}, {err_pipe [0], POLLIN, 0}};
    int open_fds = 2;
    int64_t until = harness_now_msec () + 3 * HARNESS_DEADLINE_MSEC;
    bool overran = false;
    while (open_fds > 0) {
        int64_t left = until - harness_now_msec ();
        if (left <= 0) {
            overran = true;
            break;
        }
        if (poll (fds, 2, (int) left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++)
            if (fds [i].fd >= 0 && fds [i].revents) {
                if (!s_slurp (fds [i].fd, &bufs [i], &lens [i], &caps [i])) {
                    close (fds [i].fd);
                    fds [i].fd = -1;
                    open_fds--;
                }
            }
    }
    if (overran)
        kill (pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (fds [i].fd >= 0)
            close (fds [i].fd);
    int status;
    waitpid (pid, &status, 0);
    for (int i = 0; i < 2; i++)
        if (!bufs [i])
            bufs [i] = strdup ("");
    if (out)
        *out = bufs [0];
    else
        free (bufs [0]);
    if (err)
        *err = bufs [1];
    else
        free (bufs [1]);
    if (overran || !WIFEXITED (status))
        return -1;
    return WEXITSTATUS (status);
}

//  `cibus keygen`, then `cibusd partner add` with its networks and, for an
//  integrator, the partners it feeds.
static bool
s_add_partner (const char *data_dir, const char *dir, const char *name, const char *role,
               const char *const *networks, const char *const *feeds, char *secret_path,
               size_t size)
{
    char cibus [PATH_MAX], cibusd [PATH_MAX], base [PATH_MAX];
    harness_bin ("cibus", cibus, sizeof cibus);
    harness_bin ("cibusd", cibusd, sizeof cibusd);
    snprintf (base, sizeof base, "%s/%s", dir, name);
    snprintf (secret_path, size, "%s_secret", base);
    const char *keygen [] = {cibus, "keygen", base, NULL};
    if (harness_run (keygen, NULL, NULL, NULL, NULL) != 0)
        return false;
    const char *add [32] = {cibusd, "partner", "add", "--data", data_dir, name,
                            "--role", role, "--key", base};
    size_t argc = 10;
    for (size_t i = 0; networks && networks [i] && argc < 29; i++) {
        add [argc++] = "--network";
        add [argc++] = networks [i];
    }
    for (size_t i = 0; feeds && feeds [i] && argc < 29; i++) {
        add [argc++] = "--feeds";
        add [argc++] = feeds [i];
    }
    add [argc] = NULL;
    char *err = NULL;
    int rc = harness_run (add, NULL, NULL, NULL, &err);
    if (rc != 0)
        fprintf (stderr, "harness: partner add %s failed: %s", name, err);
    free (err);
    return rc == 0;
}

bool
harness_add_partner (const char *data_dir, const char *dir, const char *name, const char *role,
                     const char *const *networks, char *secret_path, size_t size)
{
    return s_add_partner (data_dir, dir, name, role, networks, NULL, secret_path, size);
}

bool
harness_add_integrator (const char *data_dir, const char *dir, const char *name,
                        const char *const *networks, const char *const *feeds, char *secret_path,
                        size_t size)
{
    return s_add_partner (data_dir, dir, name, "integrator", networks, feeds, secret_path, size);
}

bool
harness_define_k3 (const harness_world_t *world)
{
    char *out = NULL, *err = NULL;
    int rc = harness_cibus (world, &out, &err, "indicator", "define", "k3-reading", "--key",
                            world->hub, "--name", "3rd-grade reading", "--unit", "percent",
                            "--direction", "up", "--period", "quarter", "--dimension",
                            "race=asian,black,hispanic,white", NULL);
    if (rc != 0)
        fprintf (stderr, "harness: indicator define k3-reading failed: %s", err ? err : "");
    free (out), free (err);
    return rc == 0;
}

size_t
harness_count (const char *text, const char *needle)
{
    size_t count = 0, len = strlen (needle);
    for (const char *at = text; len && (at = strstr (at, needle)); at += len)
        count++;
    return count;
}

//  ---------------------------------------------------------------- world

bool
harness_world_up (harness_world_t *world)
{
    memset (world, 0, sizeof *world);
    if (!(world->dir = harness_tmpdir ()))
        return false;
    snprintf (world->data, sizeof world->data, "%s/var", world->dir);
    const char *early [] = {"early-literacy", NULL};
    const char *post [] = {"postsecondary", NULL};
    if (!harness_broker_start (&world->broker, world->data, NULL))
        return false;
    return harness_add_partner (world->data, world->dir, "hub", "backbone", NULL, world->hub,
                                sizeof world->hub)
           && harness_add_partner (world->data, world->dir, "alice", "partner", early,
                                   world->alice, sizeof world->alice)
           && harness_add_partner (world->data, world->dir, "bob", "partner", post, world->bob,
                                   sizeof world->bob)
           && harness_add_partner (world->data, world->dir, "feed", "integrator", early,
                                   world->feed, sizeof world->feed);
}

void
harness_world_down (harness_world_t *world)
{
    //  CIBUS_KEEP=1 leaves the scratch directory (and the broker's log) for
    //  a post-mortem.
    if (getenv ("CIBUS_KEEP") && world->dir)
        fprintf (stderr, "harness: kept %s\n", world->dir);
    if (world->broker.pid > 0)
        harness_broker_stop (&world->broker, SIGKILL);
    if (!getenv ("CIBUS_KEEP"))
        harness_rmtree (world->dir);
    free (world->dir);
    world->dir = NULL;
}

int
harness_world_setup (void **state)
{
    harness_world_t *world = calloc (1, sizeof *world);
    if (!world || !harness_world_up (world)) {
        if (world)
            harness_world_down (world);
        free (world);
        return -1;
    }
    *state = world;
    return 0;
}

int
harness_world_teardown (void **state)
{
    harness_world_t *world = *state;
    harness_world_down (world);
    free (world);
    return 0;
}

//  Collect a NULL-terminated argument list after the binary's path.
static size_t
s_collect (const char **argv, size_t max, const char *bin, va_list args)
{
    size_t argc = 0;
    argv [argc++] = bin;
    for (const char *arg = va_arg (args, const char *); arg && argc < max - 1;
         arg = va_arg (args, const char *))
        argv [argc++] = arg;
    argv [argc] = NULL;
    return argc;
}

int
harness_cibus (const harness_world_t *world, char **out, char **err, ...)
{
    char bin [PATH_MAX], broker [512], key [PATH_MAX + 32];
    harness_bin ("cibus", bin, sizeof bin);
    snprintf (broker, sizeof broker, "CIBUS_BROKER=%s", world->broker.endpoint);
    snprintf (key, sizeof key, "CIBUS_BROKER_KEY=%s/broker", world->data);
    const char *env [] = {broker, key, NULL};
    const char *argv [64];
    va_list args;
    va_start (args, err);
    s_collect (argv, 64, bin, args);
    va_end (args);
    return harness_run (argv, env, NULL, out, err);
}

int
harness_cibusd (char **out, char **err, ...)
{
    char bin [PATH_MAX];
    harness_bin ("cibusd", bin, sizeof bin);
    const char *argv [64];
    va_list args;
    va_start (args, err);
    s_collect (argv, 64, bin, args);
    va_end (args);
    return harness_run (argv, NULL, NULL, out, err);
}

cibus_t *
harness_client (const harness_world_t *world, const char *secret, int timeout_msec)
{
    char broker_cert [PATH_MAX + 16], error [512];
    snprintf (broker_cert, sizeof broker_cert, "%s/broker", world->data);
    cibus_config_t config = {world->broker.endpoint, broker_cert, secret, timeout_msec};
    cibus_t *client = cibus_new (&config, error, sizeof error);
    if (!client)
        fprintf (stderr, "harness: %s\n", error);
    return client;
}

//  ---------------------------------------------------------------- inspection

char *
harness_read_all (const char *path)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (s_slurp (fd, &buf, &len, &cap))
        ;
    close (fd);
    return buf ? buf : strdup ("");
}

bool
harness_wait_text (const char *path, const char *needle, int deadline_msec)
{
    return harness_wait_count (path, needle, 1, deadline_msec);
}

bool
harness_wait_count (const char *path, const char *needle, size_t count, int deadline_msec)
{
    int64_t until = harness_now_msec () + deadline_msec;
    //  Watch the file for writes once it exists; until then, its directory.
    int watch = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    bool watching = false, found = false;
    while (true) {
        if (!watching && watch >= 0)
            watching = inotify_add_watch (watch, path, IN_MODIFY | IN_CLOSE_WRITE) >= 0;
        char *text = harness_read_all (path);
        found = text && harness_count (text, needle) >= count;
        free (text);
        if (found)
            break;
        //  Not yet watched (the file is absent): its directory says when it
        //  appears.
        int dir_watch = -1;
        if (!watching) {
            char dir [PATH_MAX];
            snprintf (dir, sizeof dir, "%s", path);
            char *slash = strrchr (dir, '/');
            if (slash)
                *slash = 0;
            dir_watch = s_watch_dir (slash ? dir : ".");
        }
        bool more = s_wait_event (watching ? watch : dir_watch, -1, until);
        if (dir_watch >= 0)
            close (dir_watch);
        if (!more)
            break;
    }
    if (watch >= 0)
        close (watch);
    return found;
}

int
harness_fd_count (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/fd", (int) pid);
    DIR *dir = opendir (path);
    if (!dir)
        return -1;
    int count = 0;
    for (struct dirent *entry; (entry = readdir (dir));)
        count += entry->d_name [0] != '.';
    closedir (dir);
    return count;
}

long
harness_rss_kib (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    char *status = harness_read_all (path);
    const char *line = status ? strstr (status, "\nVmRSS:") : NULL;
    long kib = line ? strtol (line + 7, NULL, 10) : -1;
    free (status);
    return kib;
}

bool
harness_store_hash (const char *path, const char *const *parts, size_t count, int64_t *hash)
{
    unsigned char secret [crypto_shorthash_KEYBYTES];
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    bool read = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
                && sqlite3_prepare_v2 (db, "SELECT secret FROM log_key_secret", -1, &stmt, NULL)
                       == SQLITE_OK
                && sqlite3_step (stmt) == SQLITE_ROW
                && sqlite3_column_bytes (stmt, 0) == crypto_shorthash_KEYBYTES;
    if (read)
        memcpy (secret, sqlite3_column_blob (stmt, 0), sizeof secret);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    unsigned char input [512];
    size_t used = 0;
    for (size_t i = 0; read && i < count; i++) {
        size_t len = strlen (parts [i]);
        read = used + len + 1 <= sizeof input;
        if (read && i)
            input [used++] = 0;
        if (read)
            memcpy (input + used, parts [i], len);
        used += read ? len : 0;
    }
    if (!read)
        return false;
    unsigned char out [crypto_shorthash_BYTES];
    crypto_shorthash (out, input, used, secret);
    uint64_t bits = 0;
    for (int i = crypto_shorthash_BYTES - 1; i >= 0; i--)
        bits = bits << 8 | out [i];
    *hash = (int64_t) bits;
    return true;
}
