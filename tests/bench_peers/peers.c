/*  cibus-bench-peers - cibus's s1, s2, s3 and s6 beside Redis, NATS
    JetStream and Mosquitto, in one run.

        cibus-bench-peers [--doc FILE]

    cibus's figures are cibus-bench's own (the binary beside this one, run
    with --only c2,c3,s1,s2,s3,s6 --runs 1 --json): the same scenarios,
    its ceilings untouched. Beside s2 go two of c2's raw figures, with no
    cibus code around them: SQLite (b), a log row and its dedupe key, and
    SQLite (c), every row and lookup one data table asks of SQLite. Each
    is the most an s2 that commits those rows before its ack could reach.
    Beside s1 goes the most any broker could do that commits with SQLite
    and answers over ZeroMQ CURVE: one commit of SQLite (a) and one CURVE
    echo of c3, in turn. Then each peer is started privately in the scratch
    directory and driven through the same shapes (peers.h). Prints one
    table: per shape, each system's figure, whether it was durable before
    it acked, and cibus's figure over the peer's. When every figure was
    taken, the same table replaces the "Side by side with peers" section
    of FILE (default docs/PERFORMANCE.md).

    Exit codes: 0 when every figure was taken; 1 otherwise; 2 on a usage
    error. Every server started is stopped, also on failure.             */

#define _GNU_SOURCE
#include "peers.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_EXIT_FAIL   1
#define S_EXIT_USAGE  2
#define S_DOC_DEFAULT "docs/PERFORMANCE.md"
#define S_DOC_HEADING "## Side by side with peers"
#define S_TABLE_MAX   8192

//  The systems, cibus first; the durable column is what each one's
//  configuration here promises at the moment it acks (see each peer's
//  file for why).
typedef struct {
    const char *name;
    const char *label;
    bool durable;
    peers_configure_fn *configure;
    void (*measure) (peers_server_t *server, peers_figures_t *out);
} s_system_t;

static const s_system_t s_systems [] = {
    {"cibus", "cibus (SQLite synchronous=FULL)", true, NULL, NULL},
    {"redis", "Redis XADD (appendfsync always)", true, redis_configure, redis_measure},
    {"nats", "NATS JetStream (file)", false, nats_configure, nats_measure},
    {"mosquitto", "Mosquitto MQTT QoS 1", false, mqtt_configure, mqtt_measure},
};
#define S_SYSTEMS (sizeof s_systems / sizeof s_systems [0])

//  The peer cibus is held to, durable before ack as cibus is: its targets
//  are ratios to it in the same run (0: the shape has none against it).
#define S_TARGET_PEER 1 /* Redis, appendfsync always */

static const struct {
    const char *id; /* cibus-bench's figure */
    const char *label;
    double target; /* cibus / Redis at least this */
} s_shapes [PEERS_SHAPES] = {
    [PEERS_S1] = {"s1.acked", "1 client, 1 in flight: acked", 0.9},
    [PEERS_S2] = {"s2.acked", "1 client, 1,000 in flight: acked", 1.0},
    [PEERS_S3] = {"s3.acked", "50 clients, 1 in flight each: acked", 1.0},
    [PEERS_S6] = {"s6.deliveries", "fan-out to 10: deliveries", 0},
};

//  ---------------------------------------------------------------- cibus

//  What SQLite and ZeroMQ do with no cibus code around them, in the same
//  run, printed under the shape they bound. A floor of one figure is that
//  figure; of two, the rate of doing one of each in turn (1 / (1/a + 1/b)):
//  s1's publish is acked only after a commit (SQLite (a), one row a
//  transaction) and a CURVE round trip (c3's echo between two contexts,
//  the threads a broker and a client go through), one after the other.
typedef enum { S_FLOOR_ONE, S_FLOOR_LOG, S_FLOOR_TABLE, S_FLOORS } s_floor_t;

static const struct {
    int shape;
    const char *id [2]; /* cibus-bench's figures; the second may be NULL */
    const char *label;
} s_floors [S_FLOORS] = {
    [S_FLOOR_ONE] = {PEERS_S1, {"c2.one", "c3.rtt_rate"}, "SQLite (a) + CURVE echo, raw"},
    [S_FLOOR_LOG] = {PEERS_S2, {"c2.batch", NULL}, "SQLite (b), a log row + key raw"},
    [S_FLOOR_TABLE] = {PEERS_S2, {"c2.rows", NULL}, "SQLite (c), a table's rows raw"},
};

//  Run cibus-bench (beside this binary) on c2, c3, s1, s2, s3 and s6, once
//  each, and read its JSON into out and floor; a figure it could not take
//  is NAN, and so is a floor with a part missing.
static void
s_cibus_measure (const char *bin_dir, const char *root, peers_figures_t *out, double *floor)
{
    char bench [PATH_MAX + 16], json [PATH_MAX + 16];
    snprintf (bench, sizeof bench, "%s/cibus-bench", bin_dir);
    snprintf (json, sizeof json, "%s/cibus.json", root);
    peers_progress ("cibus", "%s --only c2,c3,s1,s2,s3,s6 --runs 1", bench);
    pid_t pid = fork ();
    if (pid == 0) {
        //  Its table goes to stderr with the progress: ours is the one
        //  on stdout.
        dup2 (STDERR_FILENO, STDOUT_FILENO);
        execl (bench, bench, "--only", "c2,c3,s1,s2,s3,s6", "--runs", "1", "--dir", root, "--json",
               json, (char *)NULL);
        fprintf (stderr, "peers: cannot run %s: %s\n", bench, strerror (errno));
        _exit (127);
    }
    int status = 0;
    if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0)
        fprintf (stderr, "peers: cibus-bench did not complete; its figures are left out\n");
    json_error_t error;
    json_t *report = json_load_file (json, 0, &error);
    double part [S_FLOORS][2];
    for (int f = 0; f < S_FLOORS; f++)
        floor [f] = part [f][0] = part [f][1] = NAN;
    json_t *figure;
    size_t i;
    json_array_foreach (json_object_get (report, "figures"), i, figure)
    {
        const char *id = json_string_value (json_object_get (figure, "id"));
        json_t *runs = json_object_get (figure, "runs");
        if (!id || json_array_size (runs) == 0)
            continue;
        double median = json_number_value (json_object_get (figure, "median"));
        for (int shape = 0; shape < PEERS_SHAPES; shape++)
            if (strcmp (id, s_shapes [shape].id) == 0)
                out->rate [shape] = median;
        for (int f = 0; f < S_FLOORS; f++)
            for (int k = 0; k < 2; k++)
                if (s_floors [f].id [k] && strcmp (id, s_floors [f].id [k]) == 0)
                    part [f][k] = median;
    }
    json_decref (report);
    for (int f = 0; f < S_FLOORS; f++) {
        double a = part [f][0], b = part [f][1];
        if (!s_floors [f].id [1])
            floor [f] = a;
        else if (a > 0 && b > 0) //  NAN compares false: a missing part leaves NAN
            floor [f] = 1.0 / (1.0 / a + 1.0 / b);
    }
}

//  ---------------------------------------------------------------- table

//  The table, as printed and as written into the doc.
static size_t
s_table (char *text, size_t size, const peers_figures_t *figures, const double *floor)
{
    size_t len = 0;
#define S_ADD(...) len += (size_t)snprintf (text + len, len < size ? size - len : 0, __VA_ARGS__)
    S_ADD ("%-5s %-37s %-33s %-7s %10s %11s  %s\n", "shape", "figure", "system", "durable", "/s",
           "cibus/peer", "target");
    for (int shape = 0; shape < PEERS_SHAPES; shape++) {
        for (size_t sys = 0; sys < S_SYSTEMS; sys++) {
            double rate = figures [sys].rate [shape];
            double cibus = figures [0].rate [shape];
            S_ADD ("%-5.2s %-37s %-33s %-7s ", s_shapes [shape].id, s_shapes [shape].label,
                   s_systems [sys].label, s_systems [sys].durable ? "yes" : "no");
            if (isnan (rate))
                S_ADD ("%10s", "failed");
            else
                S_ADD ("%10.0f", rate);
            bool ratio = sys > 0 && !isnan (rate) && !isnan (cibus) && rate > 0;
            if (ratio)
                S_ADD (" %11.2f", cibus / rate);
            if (ratio && sys == S_TARGET_PEER && s_shapes [shape].target > 0)
                S_ADD ("  >= %.2f x %s: %s", s_shapes [shape].target, s_systems [sys].name,
                       cibus / rate >= s_shapes [shape].target ? "pass" : "MISS");
            S_ADD ("\n");
        }
        for (int f = 0; f < S_FLOORS; f++) {
            if (s_floors [f].shape != shape)
                continue;
            double redis = figures [S_TARGET_PEER].rate [shape];
            S_ADD ("%-5.2s %-37s %-33s %-7s ", s_shapes [shape].id, s_shapes [shape].label,
                   s_floors [f].label, "yes");
            if (isnan (floor [f]))
                S_ADD ("%10s\n", "failed");
            else if (isnan (redis) || redis <= 0)
                S_ADD ("%10.0f\n", floor [f]);
            else
                S_ADD ("%10.0f %11s  raw: %.2f x %s\n", floor [f], "", floor [f] / redis,
                       s_systems [S_TARGET_PEER].name);
        }
        if (shape + 1 < PEERS_SHAPES)
            S_ADD ("\n");
    }
#undef S_ADD
    return len;
}

//  Replace the doc's section (from its heading to the next "## "), or add
//  it before "## Machine", or at the end.
static bool
s_doc_write (const char *path, const char *table)
{
    FILE *in = fopen (path, "r");
    if (!in) {
        fprintf (stderr, "peers: cannot read %s: %s\n", path, strerror (errno));
        return false;
    }
    char *doc = NULL;
    size_t doc_size = 0;
    FILE *buf = open_memstream (&doc, &doc_size);
    char chunk [4096];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, in)) > 0)
        fwrite (chunk, 1, n, buf);
    fclose (in);
    fclose (buf);

    char date [32];
    time_t now = time (NULL);
    strftime (date, sizeof date, "%Y-%m-%d", localtime (&now));
    char section [S_TABLE_MAX + 2048];
    snprintf (section, sizeof section,
              S_DOC_HEADING
              "\n\n"
              "Written by `make bench-peers` on %s, on this machine (%ld cores, nproc).\n"
              "cibus's figures are cibus-bench's s1, s2, s3 and s6 in the same run (one run\n"
              "each); every peer ran on 127.0.0.1 with its data on the same disk, its\n"
              "messages %d bytes, each shape for %d ms. \"durable\" says whether the\n"
              "system had the message on disk (fsynced) before it acked: Redis with\n"
              "appendfsync always does, as cibus does; NATS JetStream syncs on an interval\n"
              "and Mosquitto persists on an interval. s6 is deliveries a second to 10 live\n"
              "subscribers while one client publishes 1,000 in flight: Redis's read the\n"
              "stream with XREAD BLOCK, NATS's are core subscriptions on the stream's\n"
              "subject, Mosquitto's subscribe at QoS 1.\n\n"
              "The raw row under s1 is the most a broker could do that commits each\n"
              "publish with SQLite and answers over ZeroMQ CURVE, with no cibus code\n"
              "around them: cibus-bench's c2 (a), one row a transaction, and c3's echo\n"
              "round trip between two contexts, in the same run, one after the other\n"
              "(1 / (1/a + 1/echo)). The two raw rows under s2 are cibus-bench's c2\n"
              "(b) and (c) in the same run, 1,000 per transaction\n"
              "with no cibus code around them: (b) a log row and its dedupe key, (c)\n"
              "every row and lookup one data table asks of SQLite (its log row, with\n"
              "its masked copy and its version's columns, its total and cells packed\n"
              "in them, and its dedupe key and table key), each key written where its\n"
              "hash lands, as it comes.\n"
              "cibus writes the same rows but holds its newest keys in memory and writes\n"
              "them to their tables in key order, a slice in each commit\n"
              "(store/key_run.c): (b) and (c) are what SQLite does with the keys written\n"
              "as they come, not a bound on cibus.\n\n"
              "```\n%s```\n\n",
              date, sysconf (_SC_NPROCESSORS_ONLN), PEERS_PAYLOAD, PEERS_SPAN_MSEC, table);

    char *start = strstr (doc, S_DOC_HEADING "\n");
    char *end = NULL;
    if (start)
        end = strstr (start + 1, "\n## ");
    else if ((start = strstr (doc, "## Machine\n")))
        end = start - 1;
    FILE *out = fopen (path, "w");
    bool ok = out != NULL;
    if (ok && start) {
        fwrite (doc, 1, (size_t)(start - doc), out);
        fputs (section, out);
        if (end)
            fputs (end + 1, out);
    } else if (ok) {
        fputs (doc, out);
        fputs ("\n", out);
        fputs (section, out);
    }
    if (out && fclose (out) != 0)
        ok = false;
    if (!ok)
        fprintf (stderr, "peers: cannot write %s: %s\n", path, strerror (errno));
    free (doc);
    return ok;
}

//  ---------------------------------------------------------------- main

int
main (int argc, char **argv)
{
    const char *doc = S_DOC_DEFAULT;
    if (argc == 3 && strcmp (argv [1], "--doc") == 0)
        doc = argv [2];
    else if (argc != 1) {
        fprintf (stderr, "usage: cibus-bench-peers [--doc FILE]\n");
        return S_EXIT_USAGE;
    }
    //  The scratch directory beside the binary, on the disk cibus-bench
    //  measures too.
    char self_path [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len <= 0) {
        fprintf (stderr, "peers: cannot find my own binary: %s\n", strerror (errno));
        return S_EXIT_FAIL;
    }
    self_path [len] = 0;
    char *bin_dir = dirname (self_path);
    char root [PATH_MAX];
    snprintf (root, sizeof root, "%s/peers-XXXXXX", bin_dir);
    if (!mkdtemp (root)) {
        fprintf (stderr, "peers: cannot make a scratch directory: %s\n", strerror (errno));
        return S_EXIT_FAIL;
    }

    peers_figures_t figures [S_SYSTEMS];
    for (size_t sys = 0; sys < S_SYSTEMS; sys++)
        for (int shape = 0; shape < PEERS_SHAPES; shape++)
            figures [sys].rate [shape] = NAN;

    double floor [S_FLOORS];
    s_cibus_measure (bin_dir, root, &figures [0], floor);
    for (size_t sys = 1; sys < S_SYSTEMS; sys++) {
        peers_server_t server = {.name = s_systems [sys].name};
        if (peers_server_up (&server, root, s_systems [sys].configure)) {
            peers_progress (server.name, "running on 127.0.0.1:%d, pid %d, in %s", server.port,
                            (int)server.pid, server.dir);
            s_systems [sys].measure (&server, &figures [sys]);
        }
        peers_server_down (&server);
    }

    char table [S_TABLE_MAX];
    s_table (table, sizeof table, figures, floor);
    fputs (table, stdout);
    fflush (stdout);
    bool complete = true;
    for (int f = 0; f < S_FLOORS; f++)
        complete = complete && !isnan (floor [f]);
    for (size_t sys = 0; sys < S_SYSTEMS; sys++)
        for (int shape = 0; shape < PEERS_SHAPES; shape++)
            complete = complete && !isnan (figures [sys].rate [shape]);
    if (complete && s_doc_write (doc, table))
        peers_progress ("", "table written to %s", doc);
    else if (!complete)
        fprintf (stderr, "peers: a figure is missing: %s left as it was\n", doc);

    char remove [PATH_MAX + 16];
    snprintf (remove, sizeof remove, "rm -rf '%s'", root);
    if (system (remove) != 0)
        fprintf (stderr, "peers: could not remove %s\n", root);
    return complete ? 0 : S_EXIT_FAIL;
}
