/*  server.c - the peers' servers: a free port, a private directory, a
    process started and stopped by its pid.

    A port is picked by binding port 0 on 127.0.0.1 and closing it, so
    another process may take it before the server binds it: the server
    then exits, and the next port is tried. The server is ready when a
    connection to its port is accepted; it is waited for with a deadline,
    and a server that exits first fails at once, with its log's path.   */

#define _GNU_SOURCE
#include "peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_PORT_TRIES 5
#define S_ARGS_MAX   16
#define S_POLL_MSEC  20 /* between two connection attempts */

int64_t
peers_now_nsec (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

bool
peers_span_over (int64_t start_nsec)
{
    return peers_now_nsec () - start_nsec >= (int64_t)PEERS_SPAN_MSEC * 1000000;
}

double
peers_rate (size_t count, int64_t first_nsec, int64_t last_nsec)
{
    return last_nsec > first_nsec ? (double)count / ((double)(last_nsec - first_nsec) / 1e9) : 0;
}

void
peers_progress (const char *peer, const char *format, ...)
{
    char line [512];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    fprintf (stderr, "peers: %-9s %s\n", peer, line);
}

const char *
peers_payload (void)
{
    static char payload [PEERS_PAYLOAD + 1];
    if (!payload [0])
        for (size_t i = 0; i < PEERS_PAYLOAD; i++)
            payload [i] = (char)('a' + i % 26);
    return payload;
}

bool
peers_threads_run (peers_thread_fn *fn, void *args, size_t arg_size, size_t count)
{
    pthread_t *threads = calloc (count, sizeof *threads);
    if (!threads)
        return false;
    size_t started = 0;
    for (; started < count; started++)
        if (pthread_create (&threads [started], NULL, fn, (char *)args + started * arg_size) != 0)
            break;
    for (size_t i = 0; i < started; i++)
        pthread_join (threads [i], NULL);
    free (threads);
    return started == count;
}

//  ---------------------------------------------------------------- ports

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *)&addr, sizeof addr) == 0
        && getsockname (fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs (addr.sin_port);
    else
        fprintf (stderr, "peers: cannot pick a port: %s\n", strerror (errno));
    if (fd >= 0)
        close (fd);
    return port;
}

int
peers_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)port),
                               .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    if (fd < 0 || connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    //  Every shape's messages are small: do not let Nagle hold them.
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

//  ---------------------------------------------------------------- processes

static pid_t
s_spawn (peers_server_t *server, char **argv)
{
    char log [PATH_MAX + 8];
    snprintf (log, sizeof log, "%s/log", server->dir);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        //  A server outlives no run of ours: when this process ends, however
        //  it ends (Ctrl-C, a kill), the server is sent SIGTERM; and if it
        //  ended before this line, the server is not started at all.
        if (prctl (PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid () != parent)
            _exit (127);
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
        }
        execvp (argv [0], argv);
        fprintf (stderr, "cannot run %s: %s\n", argv [0], strerror (errno));
        _exit (127);
    }
    if (pid < 0)
        fprintf (stderr, "peers: cannot fork: %s\n", strerror (errno));
    return pid;
}

//  Wait for the server's exit, at most msec: true when it exited (its
//  process descriptor is readable then; without one, a plain check).
static bool
s_exits_within (pid_t pid, int msec)
{
    int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
        struct pollfd item = {pidfd, POLLIN, 0};
        poll (&item, 1, msec);
        close (pidfd);
    }
    return waitpid (pid, NULL, WNOHANG) == pid;
}

//  Wait until the server accepts a connection: true; false when it exits
//  first or the deadline passes (then it is killed). Between attempts the
//  wait is for its exit, so that one is noticed at once.
static bool
s_wait_ready (peers_server_t *server)
{
    int64_t deadline = peers_now_nsec () + (int64_t)PEERS_DEADLINE_MSEC * 1000000;
    while (peers_now_nsec () < deadline) {
        int status;
        if (waitpid (server->pid, &status, WNOHANG) == server->pid) {
            server->pid = 0;
            return false;
        }
        int fd = peers_connect (server->port);
        if (fd >= 0) {
            close (fd);
            return true;
        }
        if (s_exits_within (server->pid, S_POLL_MSEC)) {
            server->pid = 0;
            return false;
        }
    }
    fprintf (stderr, "peers: %s did not accept connections within %d ms\n", server->name,
             PEERS_DEADLINE_MSEC);
    peers_server_down (server);
    return false;
}

bool
peers_config_write (const peers_server_t *server, const char *name, char *buffer, size_t size,
                    const char *format, ...)
{
    snprintf (buffer, size, "%s/%s", server->dir, name);
    FILE *conf = fopen (buffer, "w");
    if (!conf) {
        fprintf (stderr, "peers: cannot write %s: %s\n", buffer, strerror (errno));
        return false;
    }
    va_list args;
    va_start (args, format);
    vfprintf (conf, format, args);
    va_end (args);
    if (fclose (conf) != 0) {
        fprintf (stderr, "peers: cannot write %s: %s\n", buffer, strerror (errno));
        return false;
    }
    return true;
}

bool
peers_server_up (peers_server_t *server, const char *root, peers_configure_fn *configure)
{
    snprintf (server->dir, sizeof server->dir, "%s/%s", root, server->name);
    if (mkdir (server->dir, 0755) != 0) {
        fprintf (stderr, "peers: cannot make %s: %s\n", server->dir, strerror (errno));
        return false;
    }
    for (int tries = 0; tries < S_PORT_TRIES; tries++) {
        server->port = s_free_port ();
        char *argv [S_ARGS_MAX];
        char buffer [4 * PATH_MAX];
        if (server->port < 0 || !configure (server, argv, buffer, sizeof buffer))
            return false;
        server->pid = s_spawn (server, argv);
        if (server->pid < 0) {
            server->pid = 0;
            return false;
        }
        if (s_wait_ready (server))
            return true;
        if (server->pid)
            return false; //  timed out: a port taken would have made it exit
        peers_progress (server->name, "exited on port %d (log %s/log); another port", server->port,
                        server->dir);
    }
    fprintf (stderr, "peers: %s would not start; see %s/log\n", server->name, server->dir);
    return false;
}

void
peers_server_down (peers_server_t *server)
{
    if (!server->pid)
        return;
    kill (server->pid, SIGTERM);
    if (!s_exits_within (server->pid, PEERS_DEADLINE_MSEC)) {
        kill (server->pid, SIGKILL);
        waitpid (server->pid, NULL, 0);
    }
    server->pid = 0;
}
