/*  report.c - the table and the JSON; see report.h. */

#define _GNU_SOURCE
#include "report.h"

#include "cibus_json.h"

#include <czmq.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define S_ROWS_MAX     64
#define S_FAILURES_MAX 64
#define S_RUNS_MAX     16

typedef struct {
    char id [32];
    char label [64];
    char unit [8];
    double runs [S_RUNS_MAX];
    size_t count;
    double median, min, max;
    report_goal_t goal;
    double factor;
    char ref_id [32]; /* "" when the reference is a fixed limit */
    double limit;
    char what [64];
} s_row_t;

struct report_t {
    s_row_t rows [S_ROWS_MAX];
    size_t row_count;
    char *failures [S_FAILURES_MAX];
    size_t failure_count;
    size_t failures_dropped;
    //  the machine
    char cpu [128];
    long cores;
    long memory_mib;
    char kernel [256];
    char filesystem [PATH_MAX + 64];
    char libraries [128];
    //  the settings
    bool smoke;
    int runs;
    size_t entry_size;
    double elapsed;
};

report_t *
report_new (void)
{
    report_t *self = calloc (1, sizeof *self);
    if (self)
        self->elapsed = NAN;
    return self;
}

void
report_destroy (report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_t *self = *self_p;
    for (size_t i = 0; i < self->failure_count; i++)
        free (self->failures [i]);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------- machine

//  The value after "key<spaces>:" of the first line of a /proc file that
//  starts with key.
static bool
s_proc_field (const char *path, const char *key, char *value, size_t size)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char line [512];
    bool found = false;
    size_t len = strlen (key);
    while (!found && fgets (line, sizeof line, file)) {
        if (strncmp (line, key, len) != 0)
            continue;
        char *colon = strchr (line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        colon [strcspn (colon, "\n")] = 0;
        snprintf (value, size, "%s", colon);
        found = true;
    }
    fclose (file);
    return found;
}

//  The mount that holds dir: the longest mount point that is a prefix of
//  its real path.
static void
s_filesystem (const char *dir, char *out, size_t size)
{
    char real [PATH_MAX];
    snprintf (out, size, "unknown");
    if (!realpath (dir, real))
        return;
    FILE *mounts = fopen ("/proc/mounts", "r");
    if (!mounts)
        return;
    char line [1024], device [256], point [512], type [64];
    size_t best = 0;
    while (fgets (line, sizeof line, mounts)) {
        if (sscanf (line, "%255s %511s %63s", device, point, type) != 3)
            continue;
        size_t len = strlen (point);
        bool holds =
            strncmp (real, point, len) == 0 && (len == 1 || real [len] == '/' || real [len] == 0);
        if (holds && len >= best) {
            best = len;
            snprintf (out, size, "%s (%s mounted on %s)", type, device, point);
        }
    }
    fclose (mounts);
}

void
report_machine (report_t *self, const char *dir)
{
    if (!s_proc_field ("/proc/cpuinfo", "model name", self->cpu, sizeof self->cpu))
        snprintf (self->cpu, sizeof self->cpu, "unknown CPU");
    self->cores = sysconf (_SC_NPROCESSORS_ONLN);
    char mem [64];
    self->memory_mib =
        s_proc_field ("/proc/meminfo", "MemTotal", mem, sizeof mem) ? atol (mem) / 1024 : -1;
    struct utsname name;
    if (uname (&name) == 0)
        snprintf (self->kernel, sizeof self->kernel, "%s %s %s", name.sysname, name.release,
                  name.machine);
    s_filesystem (dir, self->filesystem, sizeof self->filesystem);
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    snprintf (self->libraries, sizeof self->libraries, "libzmq %d.%d.%d, czmq %d.%d.%d, SQLite %s",
              major, minor, patch, CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH,
              sqlite3_libversion ());
}

void
report_settings (report_t *self, bool smoke, int runs, size_t entry_size)
{
    self->smoke = smoke;
    self->runs = runs;
    self->entry_size = entry_size;
}

void
report_elapsed (report_t *self, double seconds)
{
    self->elapsed = seconds;
}

//  ---------------------------------------------------------------- rows

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static s_row_t *
s_find (report_t *self, const char *id)
{
    for (size_t i = 0; i < self->row_count; i++)
        if (strcmp (self->rows [i].id, id) == 0)
            return &self->rows [i];
    return NULL;
}

void
report_add (report_t *self, const char *id, const char *label, const char *unit, const double *runs,
            size_t count)
{
    if (self->row_count == S_ROWS_MAX || count == 0)
        return;
    s_row_t *row = &self->rows [self->row_count++];
    memset (row, 0, sizeof *row);
    snprintf (row->id, sizeof row->id, "%s", id);
    snprintf (row->label, sizeof row->label, "%s", label);
    snprintf (row->unit, sizeof row->unit, "%s", unit);
    row->count = count < S_RUNS_MAX ? count : S_RUNS_MAX;
    memcpy (row->runs, runs, row->count * sizeof (double));
    double sorted [S_RUNS_MAX];
    memcpy (sorted, row->runs, row->count * sizeof (double));
    qsort (sorted, row->count, sizeof (double), s_compare);
    //  With an even count the lower middle run, so the median is a run.
    row->median = sorted [(row->count - 1) / 2];
    row->min = sorted [0];
    row->max = sorted [row->count - 1];
}

void
report_goal (report_t *self, const char *id, report_goal_t goal, double factor, const char *ref_id,
             double limit, const char *what)
{
    s_row_t *row = s_find (self, id);
    if (!row)
        return;
    row->goal = goal;
    row->factor = factor;
    snprintf (row->ref_id, sizeof row->ref_id, "%s", ref_id ? ref_id : "");
    row->limit = limit;
    snprintf (row->what, sizeof row->what, "%s", what);
}

double
report_median (report_t *self, const char *id)
{
    s_row_t *row = s_find (self, id);
    return row ? row->median : NAN;
}

void
report_failure (report_t *self, const char *line)
{
    if (self->failure_count < S_FAILURES_MAX
        && (self->failures [self->failure_count] = strdup (line)))
        self->failure_count++;
    else
        self->failures_dropped++;
}

//  The reference a row is judged against; NAN when it has none (an info
//  row, or a reference row that was not measured in this run).
static double
s_reference (report_t *self, const s_row_t *row)
{
    if (row->goal == REPORT_INFO)
        return NAN;
    if (!*row->ref_id)
        return row->limit;
    s_row_t *ref = s_find (self, row->ref_id);
    return ref ? ref->median : NAN;
}

static double
s_ratio (report_t *self, const s_row_t *row)
{
    double reference = s_reference (self, row);
    return isfinite (reference) && reference > 0 ? row->median / reference : NAN;
}

//  1 met, 0 missed, -1 not judged.
static int
s_verdict (report_t *self, const s_row_t *row)
{
    double ratio = s_ratio (self, row);
    if (isnan (ratio))
        return -1;
    return row->goal == REPORT_AT_LEAST ? ratio >= row->factor : ratio <= row->factor;
}

void
report_tally (report_t *self, size_t *met, size_t *missed)
{
    *met = *missed = 0;
    for (size_t i = 0; i < self->row_count; i++) {
        int verdict = s_verdict (self, &self->rows [i]);
        if (verdict == 1)
            (*met)++;
        else if (verdict == 0)
            (*missed)++;
    }
}

//  ---------------------------------------------------------------- table

static void
s_number (double value, const char *unit, char *out, size_t size)
{
    if (isnan (value))
        snprintf (out, size, "-");
    else if (strcmp (unit, "ms") == 0)
        snprintf (out, size, "%.2f", value);
    else if (strcmp (unit, "KiB") == 0 || !*unit)
        snprintf (out, size, "%.1f", value);
    else
        snprintf (out, size, "%.0f", value);
}

static void
s_target (const s_row_t *row, char *out, size_t size)
{
    const char *op = row->goal == REPORT_AT_LEAST ? ">=" : "<=";
    if (row->goal == REPORT_INFO)
        snprintf (out, size, "%s", "");
    else if (!*row->ref_id && row->factor == 1.0)
        snprintf (out, size, "%s %s", op, row->what);
    else
        snprintf (out, size, "%s %.2f x %s", op, row->factor, row->what);
}

void
report_print (report_t *self, FILE *out)
{
    fprintf (out, "\ncibus-bench%s: %ld cores (%s), %ld MiB RAM, %s\n",
             self->smoke ? " --smoke" : "", self->cores, self->cpu, self->memory_mib, self->kernel);
    if (self->smoke)
        fprintf (out, "  smoke run: sizes far too small for the figures to mean anything; it "
                      "checks that nothing is lost or duplicated\n");
    fprintf (out, "  scratch on %s\n  %s\n", self->filesystem, self->libraries);
    fprintf (out, "  entry = %zu-byte stored envelope; median of %d run%s, spread min..max",
             self->entry_size, self->runs, self->runs == 1 ? "" : "s");
    if (!isnan (self->elapsed))
        fprintf (out, "; total %.0f s", self->elapsed);
    fprintf (out, "\n\n%-5s %-50s %10s %-4s  %-22s %6s  %-36s %s\n", "part", "figure", "median",
             "unit", "spread", "ratio", "target", "result");
    char median [32], low [32], high [32], spread [80], ratio [16], target [96];
    char last_part [8] = "";
    for (size_t i = 0; i < self->row_count; i++) {
        const s_row_t *row = &self->rows [i];
        char part [8];
        snprintf (part, sizeof part, "%.*s", (int) strcspn (row->id, "."), row->id);
        //  A blank line between parts.
        if (*last_part && strcmp (part, last_part) != 0)
            fputc ('\n', out);
        snprintf (last_part, sizeof last_part, "%s", part);
        s_number (row->median, row->unit, median, sizeof median);
        s_number (row->min, row->unit, low, sizeof low);
        s_number (row->max, row->unit, high, sizeof high);
        snprintf (spread, sizeof spread, "%s .. %s", low, high);
        double r = s_ratio (self, row);
        if (isnan (r))
            ratio [0] = 0;
        else
            snprintf (ratio, sizeof ratio, "%.2f", r);
        s_target (row, target, sizeof target);
        int verdict = s_verdict (self, row);
        const char *result = row->goal == REPORT_INFO ? ""
                             : self->smoke            ? "(not judged)"
                             : verdict < 0            ? "n/a (reference not measured)"
                             : verdict                ? "pass"
                                                      : "MISS";
        fprintf (out, "%-5s %-50s %10s %-4s  %-22s %6s  %-36s %s\n", part, row->label, median,
                 row->unit, spread, ratio, target, result);
    }
    size_t met, missed;
    report_tally (self, &met, &missed);
    if (self->smoke)
        fprintf (out, "\nsmoke run: targets not judged");
    else
        fprintf (out, "\ntargets: %zu met, %zu missed", met, missed);
    if (self->failure_count || self->failures_dropped)
        fprintf (out, "; %zu FAILURE%s (lost, duplicated or unfinished work):",
                 self->failure_count + self->failures_dropped,
                 self->failure_count + self->failures_dropped == 1 ? "" : "S");
    else
        fprintf (out, "; every part ran to its end, nothing lost or duplicated");
    fputc ('\n', out);
    for (size_t i = 0; i < self->failure_count; i++)
        fprintf (out, "  %s\n", self->failures [i]);
}

//  ---------------------------------------------------------------- JSON

//  The results as one JSON document, through jansson like every JSON cibus
//  writes (common/cibus_json.h).
static json_t *
s_json_row (report_t *self, const s_row_t *row)
{
    json_t *object = json_object ();
    json_t *runs = json_array ();
    for (size_t i = 0; runs && i < row->count; i++)
        json_array_append_new (runs, cibus_json_number (row->runs [i]));
    cibus_json_set (object, "id", cibus_json_string (row->id));
    cibus_json_set (object, "label", cibus_json_string (row->label));
    cibus_json_set (object, "unit", cibus_json_string (row->unit));
    cibus_json_set (object, "median", cibus_json_number (row->median));
    cibus_json_set (object, "min", cibus_json_number (row->min));
    cibus_json_set (object, "max", cibus_json_number (row->max));
    cibus_json_set (object, "runs", runs);
    if (row->goal != REPORT_INFO) {
        json_t *target = json_object ();
        cibus_json_set (target, "goal",
                        json_string (row->goal == REPORT_AT_LEAST ? "at_least" : "at_most"));
        cibus_json_set (target, "factor", cibus_json_number (row->factor));
        cibus_json_set (target, "reference",
                        *row->ref_id ? cibus_json_string (row->ref_id) : json_null ());
        cibus_json_set (target, "reference_value", cibus_json_number (s_reference (self, row)));
        cibus_json_set (target, "what", cibus_json_string (row->what));
        cibus_json_set (object, "target", target);
        cibus_json_set (object, "ratio", cibus_json_number (s_ratio (self, row)));
        int verdict = s_verdict (self, row);
        cibus_json_set (object, "met", verdict < 0 ? json_null () : json_boolean (verdict));
    }
    return object;
}

bool
report_write_json (report_t *self, const char *path)
{
    json_t *root = json_object ();
    cibus_json_set (root, "tool", json_string ("cibus-bench"));
    cibus_json_set (root, "smoke", json_boolean (self->smoke));
    cibus_json_set (root, "runs", json_integer (self->runs));
    cibus_json_set (root, "entry_bytes", cibus_json_u64 (self->entry_size));
    cibus_json_set (root, "elapsed_sec", cibus_json_number (self->elapsed));
    json_t *machine = json_object ();
    cibus_json_set (machine, "cpu", cibus_json_string (self->cpu));
    cibus_json_set (machine, "cores", json_integer (self->cores));
    cibus_json_set (machine, "memory_mib", json_integer (self->memory_mib));
    cibus_json_set (machine, "kernel", cibus_json_string (self->kernel));
    cibus_json_set (machine, "filesystem", cibus_json_string (self->filesystem));
    cibus_json_set (machine, "libraries", cibus_json_string (self->libraries));
    cibus_json_set (root, "machine", machine);
    json_t *figures = json_array ();
    for (size_t i = 0; figures && i < self->row_count; i++)
        json_array_append_new (figures, s_json_row (self, &self->rows [i]));
    cibus_json_set (root, "figures", figures);
    size_t met, missed;
    report_tally (self, &met, &missed);
    json_t *targets = json_object ();
    cibus_json_set (targets, "met", cibus_json_u64 (met));
    cibus_json_set (targets, "missed", cibus_json_u64 (missed));
    cibus_json_set (root, "targets", targets);
    json_t *failures = json_array ();
    for (size_t i = 0; failures && i < self->failure_count; i++)
        json_array_append_new (failures, cibus_json_string (self->failures [i]));
    cibus_json_set (root, "failures", failures);
    FILE *out = fopen (path, "w");
    bool ok = false;
    if (out)
        ok = cibus_json_print (root, out) && !ferror (out); //  drops root
    else
        json_decref (root);
    if (out && fclose (out) != 0)
        ok = false;
    if (!ok)
        fprintf (stderr, "cibus-bench: cannot write %s: %s\n", path,
                 errno ? strerror (errno) : "out of memory");
    return ok;
}
