/*  cibus - the command-line client.

        cibus keygen NAME
        cibus submit --network NET --indicator ID --period P --total V
                     [--cell CELL:V]... | --table FILE  [...]
        cibus note   --network NET --title T [--body B | --body-file F] [...]
        cibus commit --network NET --action A --due DATE [--indicator ID]...
                     [--from-note ID [--decision N]]
        cibus update --network NET COMMITMENT_ID --status S [--comment C]
        cibus feed   FILE|- --network NET [--format csv|jsonl] [--map MAP] [--for P]
                     [--dry-run] [--window N]
        cibus tail   [--topic PREFIX]... [--from SEQ] [--count N] [--timeout S]
        cibus practice tag UNIT PRACTICE --since DATE [--until DATE] --network NET
        cibus values|commitments|notes|indicators|report|brightspots [...]
                     [--format text|json|csv]
        cibus whoami | status

    Exit codes: 0 success, 2 usage error, 1 any other failure; every
    failure prints one line on stderr that says what to do.               */

#include "cibus_json.h"
#include "cibus_wire.h"
#include "codec.h"
#include "feed.h"
#include "feed_ahead.h"
#include "opts.h"
#include "render.h"
#include "sync.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define S_EXIT_FAIL  1
#define S_EXIT_USAGE 2
#define S_TAIL_PROBE_MSEC 2000 /* tail pings a broker quiet this long: is it there? */
#define S_MAX_OPTS   64

//  A number as the text of an option's default.
#define S_STR(x)  #x
#define S_XSTR(x) S_STR (x)

//  Options every command that talks to the broker takes.
static const opt_def_t s_common [] = {
    {"broker", OPT_VALUE, "ENDPOINT", "CIBUS_BROKER", CIBUS_DEFAULT_ENDPOINT,
     "the broker to talk to"},
    {"broker-key", OPT_VALUE, "CERT-OR-Z85", "CIBUS_BROKER_KEY", NULL,
     "the broker's public key or certificate file (default: DATA/broker, DATA being "
     "$CIBUS_DATA or ./var, when it exists)"},
    {"key", OPT_VALUE, "SECRET-CERT", "CIBUS_KEY", NULL,
     "your secret certificate file, NAME_secret from `cibus keygen NAME`"},
    {"timeout", OPT_VALUE, "SECONDS", "CIBUS_TIMEOUT", NULL,
     "give up after this long without an answer (default 5; tail: without it, follow forever)"},
    {"json", OPT_FLAG, NULL, NULL, NULL, "print JSON, one object per line"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_publish_common [] = {
    {"network", OPT_VALUE, "NET", "CIBUS_NETWORK", NULL, "the network to publish in (required)"},
    {"id", OPT_VALUE, "ID", NULL, NULL,
     "idempotency id: publishing the same id again stores nothing new (default: random)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_submit_opts [] = {
    {"indicator", OPT_VALUE, "ID", NULL, NULL, "the shared indicator, e.g. k3-reading"},
    {"period", OPT_VALUE, "PERIOD", NULL, NULL, "2025-26, 2026-Q3, 2026-09 or 2026-09-15"},
    {"unit", OPT_VALUE, "UNIT", NULL, NULL,
     "the reporting unit under the owner the table is about, e.g. a school (default: the "
     "owner as a whole)"},
    {"for", OPT_VALUE, "PARTNER", NULL, NULL,
     "the partner the table belongs to: an integrator names one it is registered to feed"},
    {"total", OPT_VALUE, "VALUE", NULL, NULL, "the table's total, e.g. 168/410 (required)"},
    {"cell", OPT_LIST, "CELL:VALUE", NULL, NULL,
     "a cell of a breakdown, e.g. race=black:52/160, or of a cross, "
     "race=hispanic,income=low:20/70 (repeatable)"},
    {"table", OPT_VALUE, "FILE", NULL, NULL,
     "read the table from a JSON file (- for stdin); the options above complete or override "
     "it"},
    {"status", OPT_VALUE, "STATUS", NULL, NULL, "final (default), provisional or estimated"},
    {"source", OPT_VALUE, "SYSTEM", NULL, NULL, "the system the values were extracted from"},
    {"extracted-on", OPT_VALUE, "DATE", NULL, NULL, "when they were extracted, YYYY-MM-DD"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  After the options of `cibus submit --help`: how a table is written.
static const char s_submit_details [] =
    "A table is one indicator, one period and one reporting unit: its total and any\n"
    "number of cells, each one category of a dimension or a cross of up to 3.\n"
    "\n"
    "values (of --total and of each --cell):\n"
    "  NUM/DEN   a percent or rate: 52/160 is 52 of 160 people\n"
    "  VALUE@N   a count, score or currency about N people: 1250@40, 310.5@12\n"
    "  *         suppressed at source (a '*' in a state file), size unknown;\n"
    "            with its size, */SIZE for a percent or rate, *@N for the others\n"
    "\n"
    "example (quote a '*' from the shell):\n"
    "  cibus submit --network early-literacy --indicator k3 --period 2026-Q3 \\\n"
    "    --total 168/410 --cell race=black:52/160 --cell race=asian:3/6 \\\n"
    "    --cell race=hispanic,income=low:20/70 --cell 'race=native:*' --cell 'race=pacific:*/4'\n"
    "\n"
    "the same table as a file, for --table FILE:\n"
    "  {\"indicator\": \"k3\", \"period\": \"2026-Q3\", \"unit\": \"lincoln-el\",\n"
    "   \"for\": \"eastside-sd\", \"total\": \"168/410\",\n"
    "   \"cells\": {\"race=black\": \"52/160\", \"race=asian\": \"3/6\",\n"
    "             \"race=hispanic,income=low\": \"20/70\", \"race=native\": \"*\"}}\n"
    "  (also \"status\", \"source\" and \"extracted_on\"; every value a string)\n"
    "\n"
    "Readers other than the owner and the backbone get the table as the broker\n"
    "decided once for it: small cells and those that would give them away hidden\n"
    "(*), percents near 0 or 100 shown as a range. Sending the same indicator,\n"
    "period and unit again is a correction: its next version.\n";

static const opt_def_t s_note_opts [] = {
    {"title", OPT_VALUE, "TEXT", NULL, NULL, "the meeting's title"},
    {"body", OPT_VALUE, "TEXT", NULL, NULL, "the notes themselves"},
    {"body-file", OPT_VALUE, "FILE", NULL, NULL, "read the notes from FILE (- for stdin)"},
    {"held-on", OPT_VALUE, "DATE", NULL, NULL, "the meeting's date, YYYY-MM-DD"},
    {"attendee", OPT_LIST, "NAME", NULL, NULL, "who attended (repeatable)"},
    {"decision", OPT_LIST, "TEXT", NULL, NULL, "a decision taken (repeatable)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_commit_opts [] = {
    {"action", OPT_VALUE, "TEXT", NULL, NULL, "what will be done"},
    {"due", OPT_VALUE, "DATE", NULL, NULL, "by when, YYYY-MM-DD"},
    {"indicator", OPT_LIST, "ID", NULL, NULL,
     "an indicator of the catalogue it should move (repeatable)"},
    {"from-note", OPT_VALUE, "ID", NULL, NULL,
     "the id of the meeting's note it came from (`cibus note` printed it)"},
    {"decision", OPT_VALUE, "N", NULL, NULL,
     "which of that note's decisions it carries out: 1 for the first"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_update_opts [] = {
    {"status", OPT_VALUE, "STATUS", NULL, NULL, "on-track, at-risk, done or dropped"},
    {"comment", OPT_VALUE, "TEXT", NULL, NULL, "why"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_tail_opts [] = {
    {"topic", OPT_LIST, "PREFIX", NULL, NULL,
     "only topics starting with PREFIX, e.g. early-literacy/ (repeatable)"},
    {"from", OPT_VALUE, "SEQ", NULL, NULL,
     "replay from this seq (1 = everything), then follow live; default: only new entries"},
    {"count", OPT_VALUE, "N", NULL, NULL, "exit after N entries"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_indicator_opts [] = {
    {"name", OPT_VALUE, "TEXT", NULL, NULL, "what it measures, e.g. \"3rd-grade reading\""},
    {"unit", OPT_VALUE, "UNIT", NULL, NULL, "percent, count, rate, score or currency"},
    {"direction", OPT_VALUE, "up|down", NULL, NULL, "which way is better"},
    {"period", OPT_VALUE, "KIND", NULL, NULL, "school-year, quarter, month or date"},
    {"min", OPT_VALUE, "NUMBER", NULL, NULL, "the smallest value allowed"},
    {"max", OPT_VALUE, "NUMBER", NULL, NULL, "the largest value allowed"},
    {"dimension", OPT_LIST, "KEY[=CATEGORY,...]", NULL, NULL,
     "a disaggregation it may carry: race, income, gender, school, grade, ell, "
     "disability...; with its categories (race=asian,black,hispanic,white) a value "
     "outside them is refused (repeatable)"},
    {"reference", OPT_LIST, "KEY=CATEGORY", NULL, NULL,
     "the group of a dimension the report compares the others with, e.g. race=white (one of "
     "the categories given with --dimension; repeatable, one per dimension)"},
    {"baseline", OPT_VALUE, "PERIOD=VALUE", NULL, NULL, "the starting point, e.g. 2024-25=48"},
    {"target", OPT_LIST, "PERIOD=VALUE", NULL, NULL, "a target, e.g. 2027-28=60 (repeatable)"},
    {"network", OPT_LIST, "NET", NULL, NULL, "a network that uses it (repeatable; none: all)"},
    {"id", OPT_VALUE, "ID", NULL, NULL, "idempotency id (default: random)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_values_opts [] = {
    {"indicator", OPT_VALUE, "ID", NULL, NULL, "the indicator (required)"},
    {"by", OPT_VALUE, "DIMENSION|unit", NULL, NULL,
     "break down by one dimension (race: its groups, pooled over every unit), by unit (each "
     "unit's own values), or both (race,unit)"},
    {"history", OPT_FLAG, NULL, NULL, NULL,
     "also list every submission, corrections included, with who sent it and when"},
    {"network", OPT_VALUE, "NET", NULL, NULL, "only this network"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_brightspots_opts [] = {
    {"indicator", OPT_VALUE, "ID", NULL, NULL, "the indicator compared (required)"},
    {"practice", OPT_VALUE, "PRACTICE", NULL, NULL,
     "the practice, as `cibus practice tag` recorded it, e.g. leveled-libraries (required)"},
    {"period", OPT_VALUE, "PERIOD", NULL, NULL,
     "the period compared, of the indicator's kind, e.g. 2026-Q2 (required)"},
    {"network", OPT_VALUE, "NET", NULL, NULL, "only this network's units and tags"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_practice_opts [] = {
    {"since", OPT_VALUE, "DATE", NULL, NULL,
     "the first day the unit had the practice, YYYY-MM-DD (required)"},
    {"until", OPT_VALUE, "DATE", NULL, NULL,
     "the first day without it, once the practice stopped, YYYY-MM-DD"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  After the options of `cibus practice --help`.
static const char s_practice_details [] =
    "A practice is something a unit took up - a school's leveled libraries, a tutoring\n"
    "model - recorded by the backbone with the day it began, so that `cibus\n"
    "brightspots` can compare the units with it and the units without it.\n"
    "\n"
    "UNIT is a partner, or PARTNER/UNIT for a unit under it, as `cibus values --by unit`\n"
    "names it; the partner must be one of the network's. PRACTICE is a name without\n"
    "spaces or '/', e.g. leveled-libraries. Tagging the same unit and practice in the\n"
    "network again replaces the dates: correct --since that way, or add --until once\n"
    "the practice stopped.\n"
    "\n"
    "example:\n"
    "  cibus practice tag westside-sd/adams-el leveled-libraries --since 2026-01-05 \\\n"
    "    --network early-literacy\n";

static const opt_def_t s_commitments_opts [] = {
    {"network", OPT_VALUE, "NET", NULL, NULL, "only this network"},
    {"owner", OPT_VALUE, "PARTNER", NULL, NULL, "only this partner's commitments"},
    {"overdue", OPT_FLAG, NULL, NULL, NULL, "only those past due and neither done nor dropped"},
    {"today", OPT_VALUE, "DATE", NULL, NULL, "judge \"overdue\" at this date (default: today)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_notes_opts [] = {
    {"network", OPT_VALUE, "NET", NULL, NULL, "only this network"},
    {"since", OPT_VALUE, "DATE", NULL, NULL, "only meetings held on or after DATE"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_report_opts [] = {
    {"network", OPT_VALUE, "NET", NULL, NULL, "only this network"},
    {"period", OPT_VALUE, "PERIOD", NULL, NULL, "the period to report on (required)"},
    {"today", OPT_VALUE, "DATE", NULL, NULL, "judge \"overdue\" at this date (default: today)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_feed_opts [] = {
    {"network", OPT_VALUE, "NET", "CIBUS_NETWORK", NULL, "the network to publish in (required)"},
    {"format", OPT_VALUE, "csv|jsonl", NULL, NULL,
     "the file's format (default: jsonl for a name ending in .jsonl or .ndjson, else csv)"},
    {"map", OPT_VALUE, "MAP", NULL, NULL,
     "the mapping (JSON): which rows to take and how their columns make tables (default: "
     "columns named indicator, period, unit, for, cell and value)"},
    {"for", OPT_VALUE, "PARTNER", NULL, NULL,
     "the partner every table belongs to, instead of the mapping's owner"},
    {"dry-run", OPT_FLAG, NULL, NULL, NULL,
     "have the broker check every table as it would store it, and store nothing"},
    {"window", OPT_VALUE, "N", NULL, S_XSTR (FEED_DEFAULT_WINDOW),
     "tables sent ahead of the broker's answers"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  After the options of `cibus feed --help`.
static const char s_feed_details [] =
    "Reads a CSV (RFC 4180: a byte-order mark, CRLF or LF, quoted fields) or JSON Lines\n"
    "export, maps each row with MAP into a cell of a table, groups the rows into one\n"
    "table per owner, indicator, period and unit whatever their order, and publishes\n"
    "the tables. Each table's id is made from its content: running the same file\n"
    "again stores nothing twice, and a table whose values changed is a correction.\n"
    "The README's guide for integrators describes the mapping, with an example.\n"
    "\n"
    "At the end it prints, on stdout, how many tables were published, corrected,\n"
    "unchanged or refused, and how many rows were read, skipped (the mapping takes\n"
    "nothing from them) or refused; on stderr each refused row or table with its\n"
    "line numbers and the reason. Exit code 0 only when nothing was refused.\n";

static const opt_def_t s_none [] = {{NULL, 0, NULL, NULL, NULL, NULL}};

typedef struct s_command_t s_command_t;
typedef int (s_handler_fn) (const s_command_t *command, opts_t *opts);

struct s_command_t {
    const char *name;
    const char *usage;
    const char *summary;
    const opt_def_t *own;     /* options of this command */
    bool publishes;           /* takes --network and --id */
    bool connects;            /* takes the connection options */
    s_handler_fn *handler;
    const char *details;      /* printed after the options by --help, or NULL */
};

//  ---------------------------------------------------------------- helpers

static int
s_usage_error (const char *command, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_usage_error (const char *command, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "cibus %s: ", command);
    vfprintf (stderr, format, args);
    fprintf (stderr, " (see `cibus %s --help`)\n", command);
    va_end (args);
    return S_EXIT_USAGE;
}

//  Parse an unsigned count; false on anything but plain digits that fit.
static bool
s_parse_u64 (const char *text, uint64_t *value)
{
    if (!text || !*text || *text == '-' || *text == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull (text, &end, 10);
    if (errno || *end)
        return false;
    *value = parsed;
    return true;
}

static bool
s_parse_double (const char *text, double *value)
{
    if (!text || !*text)
        return false;
    char *end;
    *value = strtod (text, &end);
    return *end == 0;
}

//  The --timeout in milliseconds, or fallback when not given; -1 on error.
static int
s_timeout_msec (opts_t *opts, int fallback)
{
    const char *text = opts_get (opts, "timeout");
    if (!text)
        return fallback;
    double seconds;
    if (!s_parse_double (text, &seconds) || !(seconds > 0) || seconds > 86400)
        return -1;
    return (int) ceil (seconds * 1000);
}

//  A connection to the broker the options name (it connects in the
//  background); NULL, with the reason in error, when it cannot be made.
static cibus_t *
s_open (opts_t *opts, int timeout_msec, char *error, size_t size)
{
    char default_key [PATH_MAX] = "";
    const char *broker_key = opts_get (opts, "broker-key");
    if (!broker_key) {
        const char *data = getenv ("CIBUS_DATA");
        snprintf (default_key, sizeof default_key, "%s/broker", data && *data ? data : "./var");
        if (zsys_file_exists (default_key))
            broker_key = default_key;
    }
    cibus_config_t config = {opts_get (opts, "broker"), broker_key, opts_get (opts, "key"),
                             timeout_msec};
    return cibus_new (&config, error, size);
}

//  The library names what is wrong, not how to say it to this command:
//  for a broker that cannot be reached or a key it refuses, one more line
//  says which options give them.
static void
s_hint (cibus_err_t err)
{
    if (err == CIBUS_ERR_TIMEOUT || err == CIBUS_ERR_REJECTED)
        fprintf (stderr, "  (the broker is --broker or CIBUS_BROKER, its key --broker-key or "
                         "CIBUS_BROKER_KEY, yours --key or CIBUS_KEY; `make run` starts a "
                         "local broker)\n");
}

static cibus_t *
s_connect (const s_command_t *command, opts_t *opts, int timeout_msec)
{
    char error [512];
    cibus_t *client = s_open (opts, timeout_msec, error, sizeof error);
    if (!client)
        fprintf (stderr, "cibus %s: %s\n  (the broker's key is --broker-key or "
                         "CIBUS_BROKER_KEY, yours --key or CIBUS_KEY)\n",
                 command->name, error);
    return client;
}

//  Report a failed call and return the exit code for it.
static int
s_failed (const s_command_t *command, cibus_t *client, cibus_err_t err)
{
    fprintf (stderr, "cibus %s: %s\n", command->name, cibus_error (client));
    s_hint (err);
    return err == CIBUS_ERR_USAGE ? S_EXIT_USAGE : S_EXIT_FAIL;
}

//  Print value (built with jansson; NULL, or failed nonzero, when building
//  it ran out of memory) as one JSON line, dropping it; the exit code.
static int
s_print_json (const s_command_t *command, json_t *value, int failed)
{
    if (failed) {
        json_decref (value);
        value = NULL;
    }
    if (cibus_json_print (value, stdout))
        return 0;
    fprintf (stderr, "cibus %s: out of memory while writing JSON\n", command->name);
    return S_EXIT_FAIL;
}

//  The whole of a file (- for stdin) of at most limit bytes, what it is
//  named as in the message when it is over.
static char *
s_read_file (const char *path, size_t limit, const char *what, char *error, size_t size)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        snprintf (error, size, "cannot read '%s': %s", path, strerror (errno));
        return NULL;
    }
    char *text = malloc (limit + 2);
    size_t len = text ? fread (text, 1, limit + 1, file) : 0;
    if (file != stdin)
        fclose (file);
    if (!text) {
        snprintf (error, size, "out of memory");
        return NULL;
    }
    if (len > limit) {
        snprintf (error, size, "'%s' is over %zu bytes, the limit of %s", path, limit, what);
        free (text);
        return NULL;
    }
    text [len] = 0;
    return text;
}

//  ---------------------------------------------------------------- publish

//  Everything a publishing command builds before it sends. The envelope
//  points into argv and into the arrays here, which live as long as it.
typedef struct {
    cibus_envelope_t env;
    char topic [CIBUS_MAX_TOPIC + 16];
    cibus_table_t *table;     /* owned: the data table a submit sends */
    Cibus__MeetingNote note;
    char *attendees [CIBUS_MAX_LIST];
    char *decisions [CIBUS_MAX_LIST];
    char *body;               /* owned, read from --body-file */
    Cibus__ActionCommitment commitment;
    char *indicators [CIBUS_MAX_LIST];
    Cibus__CommitmentUpdate update;
    Cibus__PracticeTag practice;
    char id [33];             /* a fresh id, when --id was not given */
} s_entry_t;

//  Copy a repeatable option into an array; false when there are too many.
static bool
s_list (opts_t *opts, const char *name, char **items, size_t *count)
{
    *count = opts_count (opts, name);
    if (*count > CIBUS_MAX_LIST)
        return false;
    for (size_t i = 0; i < *count; i++)
        items [i] = (char *) opts_item (opts, name, i);
    return true;
}

//  The categories of an indicator's dimensions as `--dimension KEY=A,B`
//  gives them: the copies the lists point into, and the lists.
typedef struct {
    char text [CIBUS_MAX_LIST][CIBUS_MAX_NAME * 8];
    char *items [CIBUS_MAX_LIST][CIBUS_MAX_LIST];
    Cibus__DimensionCategories lists [CIBUS_MAX_LIST];
    Cibus__DimensionCategories *pointers [CIBUS_MAX_LIST];
} s_categories_t;

//  --cell CELL:VALUE: the cell is everything before the last ':' (a value
//  has none), checked by the library in its own words.
static int
s_submit_cell (const s_command_t *command, cibus_table_t *table, const char *arg)
{
    const char *colon = strrchr (arg, ':');
    if (!colon || colon [1] == 0)
        return s_usage_error (command->name,
                              "--cell '%s' needs a value after ':' like 52/160, 310.5@12, * "
                              "or */4",
                              arg);
    char *cell = strndup (arg, (size_t) (colon - arg));
    if (!cell)
        return s_usage_error (command->name, "out of memory");
    cibus_err_t err = cibus_table_add_cell (table, cell, colon + 1);
    free (cell);
    if (err)
        return s_usage_error (command->name, "--cell '%s': %s", arg, cibus_table_error (table));
    return 0;
}

//  The table: from --table FILE when given, then completed and overridden
//  by the options, each in the place the JSON form has for it.
static int
s_build_submit (const s_command_t *command, opts_t *opts, s_entry_t *entry)
{
    cibus_table_t *table = entry->table = cibus_table_new ();
    if (!table) {
        fprintf (stderr, "cibus %s: out of memory\n", command->name);
        return S_EXIT_FAIL;
    }
    const char *file = opts_get (opts, "table");
    if (file) {
        char error [512];
        char *text = s_read_file (file, CIBUS_MAX_FRAME, "a table", error, sizeof error);
        if (!text) {
            fprintf (stderr, "cibus %s: %s\n", command->name, error);
            return S_EXIT_FAIL;
        }
        cibus_err_t err = cibus_table_load_json (table, text);
        free (text);
        if (err)
            return s_usage_error (command->name, "--table %s: %s", file,
                                  cibus_table_error (table));
    }
    const char *status = opts_get (opts, "status");
    Cibus__ValueStatus parsed;
    if (status && !codec_value_status_parse (status, &parsed))
        return s_usage_error (command->name,
                              "--status must be final, provisional or estimated, got '%s'",
                              status);
    static const char *const fields [][2] = {
        {"indicator", "indicator"}, {"period", "period"}, {"unit", "unit"},
        {"for", "for"},             {"status", "status"}, {"source", "source"},
        {"extracted-on", "extracted_on"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++) {
        const char *value = opts_get (opts, fields [i][0]);
        if (value && cibus_table_set (table, fields [i][1], value))
            return s_usage_error (command->name, "--%s: %s", fields [i][0],
                                  cibus_table_error (table));
    }
    const char *total = opts_get (opts, "total");
    if (total && cibus_table_set_total (table, total))
        return s_usage_error (command->name, "--total %s", cibus_table_error (table));
    for (size_t i = 0; i < opts_count (opts, "cell"); i++) {
        int rc = s_submit_cell (command, table, opts_item (opts, "cell", i));
        if (rc)
            return rc;
    }
    if (cibus_table_envelope (table, &entry->env)) {
        fprintf (stderr, "cibus %s: %s\n", command->name, cibus_table_error (table));
        return S_EXIT_FAIL;
    }
    const Cibus__DataSubmission *data = entry->env.data;
    if (!data->indicator || !data->period || !data->total)
        return s_usage_error (command->name, "--indicator, --period and --total are required "
                                             "(or give them in --table FILE)");
    return 0;
}

static int
s_build_note (const s_command_t *command, opts_t *opts, s_entry_t *entry)
{
    Cibus__MeetingNote *note = &entry->note;
    cibus__meeting_note__init (note);
    note->title = (char *) opts_get (opts, "title");
    if (!note->title)
        return s_usage_error (command->name, "--title is required");
    note->body = (char *) opts_get (opts, "body");
    const char *body_file = opts_get (opts, "body-file");
    if (note->body && body_file)
        return s_usage_error (command->name, "give --body or --body-file, not both");
    if (body_file) {
        char error [512];
        entry->body = s_read_file (body_file, CIBUS_MAX_BODY, "a note's body", error,
                                   sizeof error);
        if (!entry->body) {
            fprintf (stderr, "cibus %s: %s\n", command->name, error);
            return S_EXIT_FAIL;
        }
        note->body = entry->body;
    }
    note->held_on = (char *) opts_get (opts, "held-on");
    if (!s_list (opts, "attendee", entry->attendees, &note->n_attendees)
        || !s_list (opts, "decision", entry->decisions, &note->n_decisions))
        return s_usage_error (command->name, "at most %d --attendee and --decision",
                              CIBUS_MAX_LIST);
    note->attendees = entry->attendees;
    note->decisions = entry->decisions;
    entry->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    entry->env.note = note;
    return 0;
}

static int
s_build_commit (const s_command_t *command, opts_t *opts, s_entry_t *entry)
{
    Cibus__ActionCommitment *commitment = &entry->commitment;
    cibus__action_commitment__init (commitment);
    commitment->action = (char *) opts_get (opts, "action");
    commitment->due = (char *) opts_get (opts, "due");
    if (!commitment->action || !commitment->due)
        return s_usage_error (command->name, "--action and --due are required");
    if (!s_list (opts, "indicator", entry->indicators, &commitment->n_indicators))
        return s_usage_error (command->name, "at most %d --indicator", CIBUS_MAX_LIST);
    commitment->indicators = entry->indicators;
    commitment->from_note = (char *) opts_get (opts, "from-note");
    //  A decision without its note is left to the codec's check, which
    //  says so in the broker's words.
    const char *decision = opts_get (opts, "decision");
    uint64_t number = 0;
    if (decision && (!s_parse_u64 (decision, &number) || number == 0 || number > UINT32_MAX))
        return s_usage_error (command->name,
                              "--decision is a decision's place in the note, 1 for the first, "
                              "got '%s'",
                              decision);
    commitment->has_decision = decision != NULL;
    commitment->decision = (uint32_t) number;
    entry->env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    entry->env.commitment = commitment;
    return 0;
}

static int
s_build_update (const s_command_t *command, opts_t *opts, s_entry_t *entry)
{
    Cibus__CommitmentUpdate *update = &entry->update;
    cibus__commitment_update__init (update);
    if (opts_positional_count (opts) != 2)
        return s_usage_error (command->name, "give the COMMITMENT_ID (the id `cibus commit` "
                                             "printed)");
    update->commitment_id = (char *) opts_positional (opts, 1);
    const char *status = opts_get (opts, "status");
    if (!status)
        return s_usage_error (command->name, "--status is required");
    if (!codec_commitment_status_parse (status, &update->status)
        || update->status == CIBUS__COMMITMENT_STATUS__COMMITTED)
        return s_usage_error (command->name,
                              "--status must be on-track, at-risk, done or dropped, got '%s'",
                              status);
    update->has_status = true;
    update->comment = (char *) opts_get (opts, "comment");
    entry->env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    entry->env.update = update;
    return 0;
}

//  practice tag UNIT PRACTICE: the dates are the codec's to judge, in the
//  broker's words.
static int
s_build_practice (const s_command_t *command, opts_t *opts, s_entry_t *entry)
{
    Cibus__PracticeTag *practice = &entry->practice;
    cibus__practice_tag__init (practice);
    if (opts_positional_count (opts) != 4 || strcmp (opts_positional (opts, 1), "tag") != 0)
        return s_usage_error (command->name, "use: cibus practice tag UNIT PRACTICE --since DATE "
                                             "--network NET");
    practice->unit = (char *) opts_positional (opts, 2);
    practice->practice = (char *) opts_positional (opts, 3);
    practice->since = (char *) opts_get (opts, "since");
    practice->until = (char *) opts_get (opts, "until");
    if (!practice->since)
        return s_usage_error (command->name, "--since is required: the first day the unit had "
                                             "the practice");
    entry->env.body_case = CIBUS__ENVELOPE__BODY_PRACTICE;
    entry->env.practice = practice;
    return 0;
}

//  Check an entry as the broker will before connecting: what the user typed
//  wrong is a usage error (exit 2), said in the broker's own words. Gives
//  the entry a fresh id when it has none (id: room for it).
static int
s_check_locally (const s_command_t *command, cibus_envelope_t *env, char *id, size_t size)
{
    if (!env->id) {
        cibus_new_id (id, size);
        env->id = id;
    }
    codec_problem_t problem;
    if (codec_validate_envelope (env, &problem) == CIBUS_OK)
        return 0;
    fprintf (stderr, "cibus %s: %s (see `cibus %s --help`)\n", command->name, problem.message,
             command->name);
    return S_EXIT_USAGE;
}

//  Publish, wait for the ack and print it; the exit code.
static int
s_publish_and_report (const s_command_t *command, opts_t *opts, cibus_t *client,
                      cibus_envelope_t *env)
{
    cibus_ack_t ack;
    cibus_err_t err = cibus_publish (client, env, &ack);
    //  Unreachable: the outbox keeps it under its id, for `cibus sync` -
    //  a partner's update, not the backbone's catalogue, which waits for
    //  the broker (its command has no outbox).
    if (err && sync_unreachable (err) && command->publishes) {
        char why [600];
        snprintf (why, sizeof why, "the broker cannot be reached (%s)", cibus_error (client));
        return sync_queue (command->name, opts, env, why);
    }
    if (err)
        return s_failed (command, client, err);
    if (opts_flag (opts, "json")) {
        json_t *json = json_object ();
        int failed = cibus_json_set (json, "seq", cibus_json_u64 (ack.seq));
        failed |= cibus_json_set (json, "id", cibus_json_string (ack.id));
        failed |= cibus_json_set (json, "duplicate", json_boolean (ack.duplicate));
        return s_print_json (command, json, failed);
    }
    else if (env->body_case == CIBUS__ENVELOPE__BODY_COMMITMENT)
        printf ("committed: seq %llu, commitment id %s%s\n", (unsigned long long) ack.seq,
                ack.id, ack.duplicate ? " (already stored: nothing new)" : "");
    else
        printf ("stored: seq %llu, id %s%s\n", (unsigned long long) ack.seq, ack.id,
                ack.duplicate ? " (already stored: nothing new)" : "");
    return 0;
}

static int
s_cmd_publish (const s_command_t *command, opts_t *opts)
{
    s_entry_t *entry = calloc (1, sizeof *entry);
    if (!entry) {
        fprintf (stderr, "cibus %s: out of memory\n", command->name);
        return S_EXIT_FAIL;
    }
    cibus__envelope__init (&entry->env);
    int rc = 0;
    const char *network = opts_get (opts, "network");
    int timeout = s_timeout_msec (opts, CIBUS_DEFAULT_TIMEOUT_MSEC);
    if (!network)
        rc = s_usage_error (command->name, "--network is required: the network to publish in");
    else if (timeout < 0)
        rc = s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    else if (strcmp (command->name, "update") != 0 && strcmp (command->name, "practice") != 0
             && opts_positional_count (opts) > 1)
        rc = s_usage_error (command->name, "unexpected argument '%s'", opts_positional (opts, 1));
    else if (strcmp (command->name, "submit") == 0)
        rc = s_build_submit (command, opts, entry);
    else if (strcmp (command->name, "note") == 0)
        rc = s_build_note (command, opts, entry);
    else if (strcmp (command->name, "commit") == 0)
        rc = s_build_commit (command, opts, entry);
    else if (strcmp (command->name, "practice") == 0)
        rc = s_build_practice (command, opts, entry);
    else
        rc = s_build_update (command, opts, entry);

    cibus_t *client = NULL;
    if (rc == 0) {
        //  A network too long for the topic is cut here and refused by the
        //  check below, in the broker's words.
        codec_topic (network, &entry->env, entry->topic, sizeof entry->topic);
        entry->env.topic = entry->topic;
        entry->env.id = (char *) opts_get (opts, "id");
        rc = s_check_locally (command, &entry->env, entry->id, sizeof entry->id);
        if (rc == 0 && opts_flag (opts, "queue"))
            rc = sync_queue (command->name, opts, &entry->env, NULL);
        else if (rc == 0 && !(client = s_connect (command, opts, timeout)))
            rc = S_EXIT_FAIL;
    }
    if (rc == 0 && client)
        rc = s_publish_and_report (command, opts, client, &entry->env);
    cibus_destroy (&client);
    cibus_table_destroy (&entry->table);
    free (entry->body);
    free (entry);
    return rc;
}

//  ---------------------------------------------------------------- tail

static int
s_cmd_tail (const s_command_t *command, opts_t *opts)
{
    uint64_t from = 0, count = 0;
    const char *from_text = opts_get (opts, "from");
    const char *count_text = opts_get (opts, "count");
    if (from_text && (!s_parse_u64 (from_text, &from) || from == 0))
        return s_usage_error (command->name, "--from must be a seq >= 1, got '%s'", from_text);
    if (count_text && (!s_parse_u64 (count_text, &count) || count == 0))
        return s_usage_error (command->name, "--count must be a number >= 1, got '%s'",
                              count_text);
    int idle = s_timeout_msec (opts, -1);
    if (idle == -1 && opts_get (opts, "timeout"))
        return s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    if (opts_positional_count (opts) > 1)
        return s_usage_error (command->name, "unexpected argument '%s'", opts_positional (opts, 1));
    size_t prefix_count = opts_count (opts, "topic");
    if (prefix_count > CIBUS_MAX_LIST)
        return s_usage_error (command->name, "at most %d --topic", CIBUS_MAX_LIST);
    const char *prefixes [CIBUS_MAX_LIST];
    for (size_t i = 0; i < prefix_count; i++)
        prefixes [i] = opts_item (opts, "topic", i);

    cibus_t *client = s_connect (command, opts, idle > 0 ? idle : CIBUS_DEFAULT_TIMEOUT_MSEC);
    if (!client)
        return S_EXIT_FAIL;
    int rc = 0;
    cibus_err_t err = cibus_subscribe (client, prefixes, prefix_count, from, 0, NULL);
    if (err)
        rc = s_failed (command, client, err);
    bool json_out = opts_flag (opts, "json");
    //  Following (no --timeout), a quiet broker may be a dead one: it is
    //  pinged after S_TAIL_PROBE_MSEC without a delivery, and its loss and
    //  return are each said once. The library reconnects by itself and
    //  renews the cursor where it stopped, so nothing is missed.
    bool lost = false;
    int64_t quiet_since = zclock_mono ();
    for (uint64_t seen = 0; rc == 0 && (count == 0 || seen < count); seen++) {
        cibus_envelope_t *env;
        //  Without --timeout, wait in slices so that SIGINT is noticed.
        err = cibus_next (client, idle > 0 ? idle : 1000, &env);
        if (err == CIBUS_ERR_TIMEOUT && idle < 0 && !zsys_interrupted) {
            seen--;
            if (zclock_mono () - quiet_since < S_TAIL_PROBE_MSEC)
                continue;
            cibus_err_t probe = cibus_ping (client, NULL, 0, NULL, 0);
            quiet_since = zclock_mono ();
            if (probe && sync_unreachable (probe) && !zsys_interrupted) {
                if (!lost)
                    fprintf (stderr, "cibus %s: lost the broker: %s; waiting for it\n",
                             command->name, cibus_error (client));
                lost = true;
            } else if (probe == CIBUS_OK && lost) {
                fprintf (stderr, "cibus %s: the broker is back\n", command->name);
                lost = false;
            } else if (probe && !zsys_interrupted) {
                rc = s_failed (command, client, probe);
                break;
            }
            continue;
        }
        quiet_since = zclock_mono ();
        if (err == CIBUS_OK && lost) {
            //  A delivery proves it as well as a pong.
            fprintf (stderr, "cibus %s: the broker is back\n", command->name);
            lost = false;
        }
        if (err == CIBUS_ERR_TIMEOUT || err == CIBUS_ERR_CLOSED || zsys_interrupted)
            break; //  idle for --timeout, or interrupted: a normal end
        if (err) {
            rc = s_failed (command, client, err);
            break;
        }
        if (json_out)
            rc = s_print_json (command, render_envelope_json (env), 0);
        else
            render_envelope_text (env, stdout);
        fflush (stdout);
        cibus_envelope_free (env);
    }
    cibus_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------- catalogue

//  PERIOD=VALUE into a milestone whose period points into text.
static bool
s_milestone (const char *given, char *text, size_t size, Cibus__Milestone *milestone)
{
    snprintf (text, size, "%s", given);
    char *equals = strchr (text, '=');
    if (!equals || equals == text)
        return false;
    *equals = 0;
    cibus__milestone__init (milestone);
    milestone->period = text;
    milestone->has_value = s_parse_double (equals + 1, &milestone->value);
    return milestone->has_value;
}

static int
s_cmd_indicator (const s_command_t *command, opts_t *opts)
{
    if (opts_positional_count (opts) != 3 || strcmp (opts_positional (opts, 1), "define") != 0)
        return s_usage_error (command->name, "use: cibus indicator define ID [options]");
    int timeout = s_timeout_msec (opts, CIBUS_DEFAULT_TIMEOUT_MSEC);
    if (timeout < 0)
        return s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = (char *) opts_positional (opts, 2);
    def.name = (char *) opts_get (opts, "name");
    const char *unit = opts_get (opts, "unit"), *direction = opts_get (opts, "direction");
    const char *period = opts_get (opts, "period");
    if (!def.name || !unit || !direction || !period)
        return s_usage_error (command->name, "--name, --unit, --direction and --period are "
                                             "required");
    if (!codec_unit_parse (unit, &def.unit))
        return s_usage_error (command->name,
                              "--unit must be percent, count, rate, score or currency, got '%s'",
                              unit);
    if (!codec_direction_parse (direction, &def.direction))
        return s_usage_error (command->name, "--direction must be up or down, got '%s'",
                              direction);
    if (!codec_period_kind_parse (period, &def.period_kind))
        return s_usage_error (command->name,
                              "--period must be school-year, quarter, month or date, got '%s'",
                              period);
    def.has_unit = def.has_direction = def.has_period_kind = true;
    const char *bounds [] = {"min", "max"};
    double *values [] = {&def.min, &def.max};
    protobuf_c_boolean *has [] = {&def.has_min, &def.has_max};
    for (size_t i = 0; i < 2; i++) {
        const char *text = opts_get (opts, bounds [i]);
        if (text && !s_parse_double (text, values [i]))
            return s_usage_error (command->name, "--%s must be a number, got '%s'", bounds [i],
                                  text);
        *has [i] = text != NULL;
    }
    char *dimensions [CIBUS_MAX_LIST], *networks [CIBUS_MAX_LIST];
    if (!s_list (opts, "dimension", dimensions, &def.n_dimensions)
        || !s_list (opts, "network", networks, &def.n_networks))
        return s_usage_error (command->name, "at most %d --dimension and --network",
                              CIBUS_MAX_LIST);
    def.dimensions = dimensions;
    def.networks = networks;
    char baseline_text [CIBUS_MAX_NAME + 32];
    Cibus__Milestone baseline;
    const char *baseline_arg = opts_get (opts, "baseline");
    if (baseline_arg) {
        if (!s_milestone (baseline_arg, baseline_text, sizeof baseline_text, &baseline))
            return s_usage_error (command->name, "--baseline expects PERIOD=VALUE like "
                                                 "2024-25=48, got '%s'",
                                  baseline_arg);
        def.baseline = &baseline;
    }
    size_t targets = opts_count (opts, "target");
    if (targets > CIBUS_MAX_LIST)
        return s_usage_error (command->name, "at most %d --target", CIBUS_MAX_LIST);
    char target_text [CIBUS_MAX_LIST][CIBUS_MAX_NAME + 32];
    Cibus__Milestone target [CIBUS_MAX_LIST];
    Cibus__Milestone *target_ptrs [CIBUS_MAX_LIST];
    for (size_t i = 0; i < targets; i++) {
        const char *arg = opts_item (opts, "target", i);
        if (!s_milestone (arg, target_text [i], sizeof target_text [i], &target [i]))
            return s_usage_error (command->name, "--target expects PERIOD=VALUE like "
                                                 "2027-28=60, got '%s'",
                                  arg);
        target_ptrs [i] = &target [i];
    }
    def.n_targets = targets;
    def.targets = target_ptrs;

    //  KEY=CATEGORY,CATEGORY...: the key is the dimension, the rest its
    //  categories (split in a copy; the codec judges what they hold).
    s_categories_t *categories = calloc (1, sizeof *categories);
    if (!categories)
        return s_usage_error (command->name, "out of memory");
    char *dimension_keys [CIBUS_MAX_LIST];
    for (size_t i = 0; i < def.n_dimensions; i++) {
        if (strlen (dimensions [i]) >= sizeof categories->text [i]) {
            free (categories);
            return s_usage_error (command->name, "--dimension '%.64s...' is over %zu bytes",
                                  dimensions [i], sizeof categories->text [i] - 1);
        }
        dimension_keys [i] = categories->text [i];
        snprintf (categories->text [i], sizeof categories->text [i], "%s", dimensions [i]);
        char *equals = strchr (categories->text [i], '=');
        if (!equals)
            continue;
        *equals = 0;
        Cibus__DimensionCategories *list = &categories->lists [def.n_categories];
        cibus__dimension_categories__init (list);
        list->dimension = categories->text [i];
        list->categories = categories->items [def.n_categories];
        for (char *item = strtok (equals + 1, ","); item && list->n_categories < CIBUS_MAX_LIST;
             item = strtok (NULL, ","))
            list->categories [list->n_categories++] = item;
        categories->pointers [def.n_categories++] = list;
    }
    def.dimensions = dimension_keys;
    def.categories = categories->pointers;
    //  --reference KEY=CATEGORY: set on that dimension's categories.
    for (size_t i = 0; i < opts_count (opts, "reference"); i++) {
        const char *reference = opts_item (opts, "reference", i);
        const char *equals = strchr (reference, '=');
        size_t found = def.n_categories;
        for (size_t c = 0; equals && c < def.n_categories; c++)
            if (strlen (categories->lists [c].dimension) == (size_t) (equals - reference)
                && strncmp (categories->lists [c].dimension, reference,
                            (size_t) (equals - reference)) == 0)
                found = c;
        if (found == def.n_categories || categories->lists [found].reference) {
            free (categories);
            return s_usage_error (command->name,
                                  "--reference '%.64s' names no dimension given with its "
                                  "categories (--dimension KEY=A,B), or one named twice",
                                  reference);
        }
        categories->lists [found].reference = (char *) equals + 1;
    }

    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.topic = CODEC_CATALOG_NETWORK "/indicator";
    env.id = (char *) opts_get (opts, "id");
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    char id [33];
    int rc = s_check_locally (command, &env, id, sizeof id);
    cibus_t *client = rc ? NULL : s_connect (command, opts, timeout);
    if (!rc)
        rc = client ? s_publish_and_report (command, opts, client, &env) : S_EXIT_FAIL;
    cibus_destroy (&client);
    free (categories);
    return rc;
}

//  ---------------------------------------------------------------- queries

//  The answer's format: --format, or --json, its older spelling; text when
//  neither is given. 0, or the usage error's exit code.
static int
s_query_format (const s_command_t *command, opts_t *opts, render_format_t *format)
{
    const char *name = opts_get (opts, "format");
    *format = opts_flag (opts, "json") ? RENDER_JSON : RENDER_TEXT;
    if (!name)
        return 0;
    render_format_t given;
    if (!render_format_parse (name, &given))
        return s_usage_error (command->name, "--format must be text, json or csv, got '%s'",
                              name);
    if (opts_flag (opts, "json") && given != RENDER_JSON)
        return s_usage_error (command->name, "--json is --format json: it does not go with "
                                             "--format %s",
                              name);
    *format = given;
    return 0;
}


//  --by unit (each unit's values), --by DIMENSION (the pooled values of its
//  groups) or both, comma-separated: --by race,unit.
static int
s_parse_by (const s_command_t *command, const char *value, char *by, size_t size,
            Cibus__Query *query)
{
    char copy [2 * CIBUS_MAX_NAME + 8];
    if (strlen (value) >= sizeof copy)
        return s_usage_error (command->name, "--by '%.64s...' is too long", value);
    snprintf (copy, sizeof copy, "%s", value);
    *by = 0;
    char *rest = copy;
    bool unit = false;
    for (char *word = strsep (&rest, ","); word; word = strsep (&rest, ",")) {
        if (strcmp (word, "unit") == 0 && !unit) {
            unit = true;
            query->has_units = query->units = true;
        }
        else if (*word && strcmp (word, "unit") != 0 && !*by && strlen (word) < size)
            snprintf (by, size, "%s", word);
        else
            return s_usage_error (command->name,
                                  "--by takes unit, one dimension, or both (race,unit), "
                                  "got '%s'",
                                  value);
    }
    query->by = *by ? by : NULL;
    return 0;
}

static int
s_cmd_query (const s_command_t *command, opts_t *opts)
{
    int timeout = s_timeout_msec (opts, CIBUS_DEFAULT_TIMEOUT_MSEC);
    if (timeout < 0)
        return s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    render_format_t format;
    int rc = s_query_format (command, opts, &format);
    if (rc)
        return rc;
    if (opts_positional_count (opts) > 1)
        return s_usage_error (command->name, "unexpected argument '%s'", opts_positional (opts, 1));
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = (char *) command->name;
    char by [CIBUS_MAX_NAME + 1];
    //  Each command's table names the filters it takes; read those it has.
    for (const opt_def_t *def = command->own; def->name; def++) {
        const char *value = def->kind == OPT_VALUE ? opts_get (opts, def->name) : NULL;
        if (strcmp (def->name, "indicator") == 0)
            query.indicator = (char *) value;
        else if (strcmp (def->name, "by") == 0 && value) {
            if ((rc = s_parse_by (command, value, by, sizeof by, &query)))
                return rc;
        }
        else if (strcmp (def->name, "network") == 0)
            query.network = (char *) value;
        else if (strcmp (def->name, "owner") == 0)
            query.owner = (char *) value;
        else if (strcmp (def->name, "since") == 0)
            query.since = (char *) value;
        else if (strcmp (def->name, "period") == 0)
            query.period = (char *) value;
        else if (strcmp (def->name, "today") == 0)
            query.today = (char *) value;
        else if (strcmp (def->name, "overdue") == 0)
            query.has_overdue = query.overdue = opts_flag (opts, "overdue");
        else if (strcmp (def->name, "history") == 0)
            query.has_history = query.history = opts_flag (opts, "history");
        else if (strcmp (def->name, "practice") == 0)
            query.practice = (char *) value;
    }
    if (strcmp (command->name, "values") == 0 && !query.indicator)
        return s_usage_error (command->name, "--indicator is required");
    if (strcmp (command->name, "report") == 0 && !query.period)
        return s_usage_error (command->name, "--period is required, e.g. --period 2026-Q3");
    if (strcmp (command->name, "brightspots") == 0
        && (!query.indicator || !query.practice || !query.period))
        return s_usage_error (command->name, "--indicator, --practice and --period are required");
    const char *dates [] = {query.since, query.today};
    for (size_t i = 0; i < 2; i++)
        if (dates [i] && !codec_is_date (dates [i]))
            return s_usage_error (command->name, "expected a date like 2026-12-15, got '%s'",
                                  dates [i]);
    if (opts_flag (opts, "offline"))
        return sync_query_offline (command->name, opts, &query, format);
    cibus_t *client = s_connect (command, opts, timeout);
    if (!client)
        return S_EXIT_FAIL;
    Cibus__Reply *reply = NULL;
    cibus_err_t err = cibus_query (client, &query, &reply);
    if (err)
        rc = s_failed (command, client, err);
    else if (!render_tables (reply->result, format, stdout)) {
        fprintf (stderr, "cibus %s: cannot write the answer: %s\n", command->name,
                 strerror (errno));
        rc = S_EXIT_FAIL;
    }
    cibus_reply_free (reply);
    cibus_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------- feed

//  A feed's publishing: every table sent once, with FEED_DEFAULT_WINDOW
//  (--window) in flight, each answer counted as it comes. The broker's
//  answers drive it: a table refused is reported with its lines; a rate
//  quota's refusal ("retry in 3 s") or a failed commit puts the table
//  back, to be sent again once the wait is over; a refusal of the owner
//  (not fed by this integrator, not in the registry) stops every other
//  table of that owner before it is sent.

#define S_FEED_CHUNK       (8 * 1024 * 1024) /* bytes read from a file at a time */
#define S_FEED_PIPE_CHUNK  (64 * 1024) /* from stdin, which may come slowly */
#define S_FEED_RETRIES     20   /* sends of one table a rate quota or a failed commit allows */
#define S_FEED_STORE_RETRY 1000 /* msec before a table whose commit failed is sent again */
#define S_FEED_DRAW_MSEC   100  /* the progress line is redrawn at most this often */

typedef enum { S_TABLE_WAITING = 0, S_TABLE_SENT, S_TABLE_AGAIN, S_TABLE_DONE } s_table_state_t;

typedef struct {
    const char *file; /* as the user named it, for messages */
    bool default_map; /* no --map: the file's columns are cibus's own */
    feed_t *feed;
    feed_account_t *account;
    cibus_t *client;
    zhashx_t *by_id; /* table id -> index + 1, of the tables in flight */
    uint8_t *state;  /* s_table_state_t, per table */
    uint8_t *sends;  /* per table */
    size_t *again;   /* tables to send again, once resume_at has passed */
    size_t again_count;
    int64_t resume_at;        /* no send before this (a rate quota asked to wait) */
    zhashx_t *owners_refused; /* owner ("" for the publisher) -> the broker's message */
    size_t to_answer, answered;
    //  Progress, drawn on stderr when it is a terminal.
    bool tty, drawn;
    int64_t started, publishing_since, drawn_at;
} s_feed_run_t;

static void
s_feed_clear (s_feed_run_t *run)
{
    if (run->drawn)
        fputs ("\r\033[K", stderr);
    run->drawn = false;
}

//  Rows read; once publishing, tables answered, their rate and the time
//  left at that rate.
static void
s_feed_draw (s_feed_run_t *run, bool publishing)
{
    int64_t now = zclock_mono ();
    if (!run->tty || now - run->drawn_at < S_FEED_DRAW_MSEC)
        return;
    run->drawn_at = now;
    run->drawn = true;
    fprintf (stderr, "\r\033[Kcibus feed: %zu rows read", feed_rows (run->feed));
    if (!publishing) {
        fflush (stderr);
        return;
    }
    double seconds = (double) (now - run->publishing_since) / 1000;
    double rate = seconds > 0 ? (double) run->answered / seconds : 0;
    fprintf (stderr, "; %zu of %zu tables answered", run->answered, run->to_answer);
    if (rate > 0)
        fprintf (stderr, ", %.0f a second, %.0f s left", rate,
                 ceil ((double) (run->to_answer - run->answered) / rate));
    fflush (stderr);
}

static void
s_feed_refuse (s_feed_run_t *run, size_t index, const char *message)
{
    const feed_table_t *table = feed_table (run->feed, index);
    char lines [256], name [512];
    feed_lines_text (table->lines, table->line_count, lines, sizeof lines);
    feed_table_name (table, name, sizeof name);
    s_feed_clear (run);
    fprintf (stderr, "cibus feed: %s line%s %s: table %s: %s\n", run->file,
             table->line_count > 1 ? "s" : "", lines, name, message);
    feed_account_refuse (run->account, lines, name, message);
    if (run->state [index] != S_TABLE_DONE)
        run->answered++;
    run->state [index] = S_TABLE_DONE;
}

//  How long the broker asks to wait before the refused table is sent
//  again, in msec; -1 when sending it again would be refused again.
static int64_t
s_feed_retry_after (cibus_err_t err, const char *message)
{
    //  PROTOCOL.md 3.8: a rate quota's refusal ends "retry in N s"; the
    //  total quota's does not pass with time.
    const char *retry = err == CIBUS_ERR_QUOTA && message ? strstr (message, "retry in ") : NULL;
    if (retry)
        return (int64_t) atoi (retry + strlen ("retry in ")) * 1000;
    if (err == CIBUS_ERR_STORE)
        return S_FEED_STORE_RETRY;
    return -1;
}

//  Whether the broker refused the publish (rather than the connection
//  failing): the feed goes on with the next table.
static bool
s_feed_refusal (cibus_err_t err)
{
    return err == CIBUS_ERR_BAD_FIELD || err == CIBUS_ERR_FORBIDDEN || err == CIBUS_ERR_NOT_FOUND
           || err == CIBUS_ERR_EXISTS || err == CIBUS_ERR_QUOTA || err == CIBUS_ERR_STORE
           || err == CIBUS_ERR_FULL || err == CIBUS_ERR_USAGE;
}

//  A refusal about the owner itself: no table of that owner can pass.
static bool
s_feed_owner_refused (s_feed_run_t *run, cibus_err_t err, size_t index, const char *message)
{
    if (strcmp (cibus_error_field (run->client), "data.owner") != 0
        || (err != CIBUS_ERR_FORBIDDEN && err != CIBUS_ERR_BAD_FIELD))
        return false;
    const char *owner = feed_table (run->feed, index)->owner;
    if (!zhashx_lookup (run->owners_refused, owner ? owner : ""))
        zhashx_insert (run->owners_refused, owner ? owner : "", strdup (message));
    return true;
}

static void
s_feed_answer (const cibus_ack_t *ack, cibus_err_t err, const char *message, void *arg)
{
    s_feed_run_t *run = arg;
    size_t index = (size_t) (uintptr_t) zhashx_lookup (run->by_id, ack->id);
    if (index-- == 0 || run->state [index] != S_TABLE_SENT)
        return;
    zhashx_delete (run->by_id, ack->id);
    if (err == CIBUS_OK) {
        feed_account_count (run->account, ack->duplicate     ? FEED_UNCHANGED
                                          : ack->version > 1 ? FEED_CORRECTED
                                                             : FEED_PUBLISHED);
        run->state [index] = S_TABLE_DONE;
        run->answered++;
        return;
    }
    int64_t wait = s_feed_retry_after (err, message);
    if (wait >= 0 && run->sends [index] < S_FEED_RETRIES) {
        run->state [index] = S_TABLE_AGAIN;
        run->again [run->again_count++] = index;
        if (zclock_mono () + wait > run->resume_at)
            run->resume_at = zclock_mono () + wait;
        return;
    }
    s_feed_owner_refused (run, err, index, message);
    s_feed_refuse (run, index, message);
}

//  The table as an envelope of the network, checked as the broker will
//  check it when check is set (cibus_publish_async checks it as it sends
//  it); false (message set) when it cannot be sent.
static bool
s_feed_envelope (s_feed_run_t *run, size_t index, const char *topic, cibus_table_t *table,
                 cibus_envelope_t *env, bool check, char *message, size_t size)
{
    codec_problem_t problem;
    if (!feed_envelope (run->feed, index, topic, table, env, message, size))
        return false;
    if (check && codec_validate_envelope (env, &problem)) {
        snprintf (message, size, "%s", problem.message);
        return false;
    }
    return true;
}

//  Send one table; refusals go to the account. Fails only when the
//  connection does.
static cibus_err_t
s_feed_send (s_feed_run_t *run, size_t index, const char *topic)
{
    const feed_table_t *t = feed_table (run->feed, index);
    const char *refused = zhashx_lookup (run->owners_refused, t->owner ? t->owner : "");
    if (refused) {
        s_feed_refuse (run, index, refused);
        return CIBUS_OK;
    }
    cibus_table_t *table = cibus_table_new ();
    if (!table || !feed_table_id (run->feed, index)) {
        cibus_table_destroy (&table);
        return CIBUS_ERR_NOMEM;
    }
    cibus_envelope_t env;
    char message [512];
    cibus_err_t err = CIBUS_OK;
    if (!s_feed_envelope (run, index, topic, table, &env, false, message, sizeof message))
        s_feed_refuse (run, index, message);
    else {
        run->state [index] = S_TABLE_SENT;
        run->sends [index]++;
        zhashx_insert (run->by_id, t->id, (void *) (uintptr_t) (index + 1));
        err = cibus_publish_async (run->client, &env);
        //  Refused by the library's own check, as the broker would: not
        //  sent. A connection that failed for good fails the run instead.
        if (s_feed_refusal (err) && cibus_failure (run->client) == CIBUS_OK) {
            zhashx_delete (run->by_id, t->id);
            s_feed_refuse (run, index, cibus_error (run->client));
            err = CIBUS_OK;
        }
    }
    cibus_table_destroy (&table);
    return err;
}

//  Send the index-th table, made ahead; refusals go to the account.
//  Fails only when the connection does, or memory.
static cibus_err_t
s_feed_send_made (s_feed_run_t *run, feed_ahead_t *ahead, size_t index)
{
    size_t size;
    const char *message;
    cibus_err_t err;
    const uint8_t *bytes = feed_ahead_take (ahead, index, &size, &message, &err);
    const feed_table_t *t = feed_table (run->feed, index);
    const char *refused = zhashx_size (run->owners_refused)
                              ? zhashx_lookup (run->owners_refused, t->owner ? t->owner : "")
                              : NULL;
    if (run->state [index] == S_TABLE_DONE || err)
        ;
    else if (refused)
        s_feed_refuse (run, index, refused);
    else if (!bytes)
        s_feed_refuse (run, index, message);
    else {
        run->state [index] = S_TABLE_SENT;
        run->sends [index]++;
        zhashx_insert (run->by_id, t->id, (void *) (uintptr_t) (index + 1));
        err = cibus_publish_prepared_async (run->client, t->id, bytes, size);
    }
    feed_ahead_done (ahead, index);
    return err;
}

//  Before anything is sent: a dry run of one table of each owner. A
//  refusal of the owner (an integrator not registered to feed it, an
//  owner not in the registry) refuses all its tables here, none sent.
static cibus_err_t
s_feed_probe (s_feed_run_t *run, const char *topic, bool dry_run)
{
    zhashx_t *probed = zhashx_new ();
    if (!probed)
        return CIBUS_ERR_NOMEM;
    cibus_set_dry_run (run->client, true);
    cibus_err_t err = CIBUS_OK;
    const char *last = NULL; //  the owner of the table before
    for (size_t i = 0; i < feed_table_count (run->feed) && !err; i++) {
        const feed_table_t *t = feed_table (run->feed, i);
        const char *owner = t->owner ? t->owner : "";
        //  Only the first table of an owner is made here: the others' ids
        //  and envelopes are made as they are sent, while the broker works.
        if (t->refusal || (last && strcmp (owner, last) == 0) || zhashx_lookup (probed, owner))
            continue;
        cibus_table_t *table = cibus_table_new ();
        cibus_envelope_t env;
        char message [512];
        if (!table || !feed_table_id (run->feed, i))
            err = CIBUS_ERR_NOMEM;
        else if (s_feed_envelope (run, i, topic, table, &env, true, message, sizeof message)) {
            zhashx_insert (probed, owner, (void *) 1);
            last = owner;
            for (int tries = 0; !err && tries < S_FEED_RETRIES; tries++) {
                cibus_ack_t ack;
                err = cibus_publish (run->client, &env, &ack);
                int64_t wait = err ? s_feed_retry_after (err, cibus_error (run->client)) : -1;
                if (wait < 0 || zsys_interrupted)
                    break;
                zclock_sleep ((int) wait);
                err = CIBUS_OK;
            }
            if (s_feed_refusal (err)) {
                s_feed_owner_refused (run, err, i, cibus_error (run->client));
                err = CIBUS_OK; //  the table itself is judged when it is sent
            }
        }
        cibus_table_destroy (&table);
    }
    cibus_set_dry_run (run->client, dry_run);
    zhashx_destroy (&probed);
    return err;
}

//  Every table not refused already, with the window in flight; then the
//  tables a quota or a failed commit sent back, after the wait asked for.
static cibus_err_t
s_feed_publish (s_feed_run_t *run, const char *topic, feed_ahead_t *ahead)
{
    size_t count = feed_table_count (run->feed), next = 0;
    run->publishing_since = zclock_mono ();
    //  Each table's first send is of its publish made ahead; a table sent
    //  again is made again here, from the id made then.
    cibus_err_t err = CIBUS_OK;
    while (!err) {
        if (zsys_interrupted) {
            err = CIBUS_ERR_CLOSED;
            break;
        }
        int64_t now = zclock_mono ();
        if (now < run->resume_at) {
            //  Let what is in flight be answered, then wait out the rest.
            err = cibus_flush (run->client);
            now = zclock_mono ();
            if (!err && now < run->resume_at)
                zclock_sleep ((int) (run->resume_at - now));
            continue;
        }
        size_t index;
        if (run->again_count)
            index = run->again [--run->again_count];
        else if (next < count) {
            err = s_feed_send_made (run, ahead, next++);
            s_feed_draw (run, true);
            continue;
        } else {
            err = cibus_flush (run->client);
            if (!err && run->again_count == 0 && cibus_in_flight (run->client) == 0)
                break;
            continue;
        }
        if (run->state [index] == S_TABLE_DONE)
            continue;
        err = s_feed_send (run, index, topic);
        s_feed_draw (run, true);
    }
    return err;
}

//  Read the whole file: tables are made of rows from anywhere in it.
static int
s_feed_read (const s_command_t *command, s_feed_run_t *run, const char *path)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "cibus %s: cannot read '%s': %s\n", command->name, path, strerror (errno));
        return S_EXIT_FAIL;
    }
    //  A file in large pieces, each read in two parts side by side; stdin
    //  in small ones, so that the progress line moves with a slow pipe.
    size_t piece = file == stdin ? S_FEED_PIPE_CHUNK : S_FEED_CHUNK;
    char *chunk = malloc (piece);
    cibus_err_t err = chunk ? CIBUS_OK : CIBUS_ERR_NOMEM;
    size_t got;
    while (!err && (got = fread (chunk, 1, piece, file)) > 0) {
        err = feed_read (run->feed, chunk, got);
        s_feed_draw (run, false);
    }
    bool failed = ferror (file);
    if (file != stdin)
        fclose (file);
    free (chunk);
    if (!err && failed) {
        fprintf (stderr, "cibus %s: cannot read '%s': %s\n", command->name, path, strerror (errno));
        return S_EXIT_FAIL;
    }
    if (!err)
        err = feed_finish (run->feed);
    if (err) {
        s_feed_clear (run);
        fprintf (stderr, "cibus %s: %s: %s%s\n", command->name, run->file,
                 err == CIBUS_ERR_NOMEM ? "out of memory" : feed_error (run->feed),
                 err == CIBUS_ERR_USAGE && run->default_map
                     ? " (without --map, a file's columns are indicator, period, cell and value, "
                       "and unit and for when it has them: pass --map for any other)"
                     : "");
        return S_EXIT_FAIL;
    }
    s_feed_clear (run);
    for (size_t i = 0; i < feed_problem_count (run->feed); i++) {
        const feed_problem_t *problem = feed_problem (run->feed, i);
        if (problem->last_line > problem->first_line)
            fprintf (stderr, "cibus %s: %s lines %zu-%zu: %s\n", command->name, run->file,
                     problem->first_line, problem->last_line, problem->message);
        else
            fprintf (stderr, "cibus %s: %s line %zu: %s\n", command->name, run->file,
                     problem->first_line, problem->message);
    }
    return 0;
}

//  The account, on stdout: one line, or one JSON object.
static void
s_feed_account (s_feed_run_t *run, bool json, const char *stopped)
{
    if (json) {
        if (stopped)
            feed_account_stop (run->account, stopped);
        char *text = feed_account_json (run->account, run->feed);
        if (text)
            printf ("%s\n", text);
        free (text);
        return;
    }
    feed_tally_t tally = feed_account_tally (run->account, run->feed);
    printf ("%s%s%zu tables from %s: %zu published, %zu corrected, %zu unchanged, %zu refused",
            tally.dry_run ? "dry run, nothing stored: " : "", stopped ? "stopped: " : "",
            tally.tables, run->file, tally.published, tally.corrected, tally.unchanged,
            tally.refused);
    if (stopped)
        printf (", %zu unanswered", run->to_answer - run->answered);
    printf ("; %zu rows read, %zu skipped, %zu refused\n", tally.rows, tally.skipped,
            tally.rows_refused);
}

//  The tables of a feed built one at a time for the outbox (--queue): a
//  table the feed refused itself was reported already and is passed over.
typedef struct {
    s_feed_run_t *run;
    const char *topic;
    cibus_table_t *table; /* the envelope last built points into it */
} s_feed_queue_t;

static bool
s_feed_build (void *arg, size_t index, cibus_envelope_t *env, char *message, size_t size)
{
    s_feed_queue_t *queue = arg;
    if (feed_table (queue->run->feed, index)->refusal)
        return false;
    cibus_table_destroy (&queue->table);
    if (!(queue->table = cibus_table_new ())) {
        snprintf (message, size, "out of memory");
        s_feed_refuse (queue->run, index, message);
        return false;
    }
    if (s_feed_envelope (queue->run, index, queue->topic, queue->table, env, true, message, size))
        return true;
    s_feed_refuse (queue->run, index, message);
    return false;
}

static int
s_cmd_feed (const s_command_t *command, opts_t *opts)
{
    const char *network = opts_get (opts, "network"), *map_path = opts_get (opts, "map");
    const char *format = opts_get (opts, "format"), *window_text = opts_get (opts, "window");
    int timeout = s_timeout_msec (opts, CIBUS_DEFAULT_TIMEOUT_MSEC);
    uint64_t window = 0;
    if (opts_positional_count (opts) != 2)
        return s_usage_error (command->name, "give the FILE to read (- for stdin)");
    const char *path = opts_positional (opts, 1);
    if (!network)
        return s_usage_error (command->name, "--network is required: the network to publish in");
    if (timeout < 0)
        return s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    if (!s_parse_u64 (window_text, &window) || window == 0 || window > FEED_WINDOW_MAX)
        return s_usage_error (command->name, "--window must be a number from 1 to %d, got '%s'",
                              FEED_WINDOW_MAX, window_text);
    size_t len = strlen (path);
    bool jsonl = (len > 6 && strcmp (path + len - 6, ".jsonl") == 0)
                 || (len > 7 && strcmp (path + len - 7, ".ndjson") == 0);
    if (format && strcmp (format, "csv") != 0 && strcmp (format, "jsonl") != 0)
        return s_usage_error (command->name, "--format must be csv or jsonl, got '%s'", format);
    if (format)
        jsonl = strcmp (format, "jsonl") == 0;
    char error [512];
    char *map_text = map_path
                         ? s_read_file (map_path, CIBUS_MAX_FRAME, "a mapping", error, sizeof error)
                         : strdup (feed_map_default);
    if (!map_text) {
        fprintf (stderr, "cibus %s: %s\n", command->name, map_path ? error : "out of memory");
        return S_EXIT_FAIL;
    }
    feed_map_t *map = feed_map_new (map_text, error, sizeof error);
    free (map_text);
    if (!map)
        return s_usage_error (command->name, "--map %s: %s", map_path ? map_path : "(default)",
                              error);

    bool dry_run = opts_flag (opts, "dry-run"), json = opts_flag (opts, "json");
    feed_config_t config = {map, jsonl ? FEED_JSONL : FEED_CSV, network, opts_get (opts, "for"), 0};
    s_feed_run_t run = {0};
    run.file = strcmp (path, "-") == 0 ? "(stdin)" : path;
    run.default_map = !map_path;
    run.feed = feed_new (&config);
    run.account = feed_account_new (dry_run);
    run.by_id = zhashx_new ();
    run.owners_refused = zhashx_new ();
    run.tty = isatty (STDERR_FILENO);
    run.started = zclock_mono ();
    int rc = run.feed && run.account && run.by_id && run.owners_refused ? 0 : S_EXIT_FAIL;
    if (rc)
        fprintf (stderr, "cibus %s: out of memory\n", command->name);
    //  The connection is begun before the file is read, so that its
    //  handshake is over by the first send; kept only if a table is to be
    //  sent (a failure is reported then, by s_connect).
    cibus_t *early = NULL;
    char ignored [512];
    if (!rc && !opts_flag (opts, "queue"))
        early = s_open (opts, timeout, ignored, sizeof ignored);
    if (!rc)
        rc = s_feed_read (command, &run, path);
    size_t count = rc ? 0 : feed_table_count (run.feed);
    if (!rc) {
        //  Keyed by the ids the feed's tables hold, which outlive it.
        zhashx_set_key_duplicator (run.by_id, NULL);
        zhashx_set_key_destructor (run.by_id, NULL);
        zhashx_set_destructor (run.owners_refused, (zhashx_destructor_fn *) zstr_free);
        run.state = calloc (count + 1, 1);
        run.sends = calloc (count + 1, 1);
        run.again = calloc (count + 1, sizeof *run.again);
        if (!run.state || !run.sends || !run.again)
            rc = S_EXIT_FAIL;
    }
    //  Tables the feed refuses itself (a refused row, no total) are
    //  reported before any is sent.
    for (size_t i = 0; !rc && i < count; i++) {
        const feed_table_t *table = feed_table (run.feed, i);
        if (table->refusal)
            s_feed_refuse (&run, i, table->refusal);
        else
            run.to_answer++;
    }
    char topic [CIBUS_MAX_TOPIC + 16];
    snprintf (topic, sizeof topic, "%s/data", network);
    run.answered = 0;
    cibus_err_t err = CIBUS_OK;
    if (!rc && opts_flag (opts, "queue")) {
        //  Into the outbox, every table, for `cibus sync` to send.
        s_feed_queue_t queue = {&run, topic, NULL};
        size_t queued = 0, already = 0;
        rc = dry_run ? s_usage_error (command->name, "--queue stores the tables to send later; "
                                                     "it does not go with --dry-run")
                     : sync_queue_each (command->name, opts, count, s_feed_build, &queue,
                                        &queued, &already);
        cibus_table_destroy (&queue.table);
        feed_tally_t tally = feed_account_tally (run.account, run.feed);
        if (!dry_run)
            printf ("%zu tables from %s: %zu queued in the outbox, %zu there already, %zu "
                    "refused; %zu rows read, %zu skipped, %zu refused; `cibus sync` sends "
                    "them\n",
                    tally.tables, run.file, queued, already, tally.refused, tally.rows,
                    tally.skipped, tally.rows_refused);
        if (!rc)
            rc = tally.refused || tally.rows_refused ? S_EXIT_FAIL : 0;
        run.to_answer = 0; //  nothing to send now
        json = false;
        s_feed_clear (&run);
        goto done;
    }
    if (!rc && run.to_answer) {
        //  The publishes are made from now on, while the probe's dry runs go.
        feed_ahead_t *ahead = feed_ahead_new (run.feed, topic, dry_run);
        run.client = early ? early : s_connect (command, opts, timeout);
        early = NULL;
        if (!ahead)
            fprintf (stderr, "cibus %s: out of memory\n", command->name);
        if (!ahead || !run.client)
            rc = S_EXIT_FAIL;
        else {
            cibus_set_window (run.client, (size_t) window);
            cibus_set_ack_handler (run.client, s_feed_answer, &run);
            err = s_feed_probe (&run, topic, dry_run);
            if (!err)
                err = s_feed_publish (&run, topic, ahead);
        }
        feed_ahead_destroy (&ahead);
    }
    s_feed_clear (&run);
    char stopped [768] = "";
    if (err) {
        snprintf (stopped, sizeof stopped, "%s",
                  err == CIBUS_ERR_CLOSED && zsys_interrupted ? "interrupted"
                                                              : cibus_error (run.client));
        fprintf (stderr,
                 "cibus %s: %s: %zu of %zu tables were answered; run the same feed again: "
                 "a table already stored is not stored twice\n",
                 command->name, stopped, run.answered, run.to_answer);
    }
    if (!rc || err) {
        s_feed_account (&run, json, err ? stopped : NULL);
        feed_tally_t tally = feed_account_tally (run.account, run.feed);
        rc = err || tally.refused || tally.rows_refused ? S_EXIT_FAIL : 0;
    }
done:
    cibus_destroy (&early);
    cibus_destroy (&run.client);
    zhashx_destroy (&run.by_id);
    zhashx_destroy (&run.owners_refused);
    free (run.state), free (run.sends), free (run.again);
    feed_account_destroy (&run.account);
    feed_destroy (&run.feed);
    feed_map_destroy (&map);
    return rc;
}

//  ---------------------------------------------------------------- others

static int
s_cmd_keygen (const s_command_t *command, opts_t *opts)
{
    if (opts_positional_count (opts) != 2)
        return s_usage_error (command->name, "give a NAME: keygen NAME writes NAME and "
                                             "NAME_secret");
    const char *name = opts_positional (opts, 1);
    char secret [PATH_MAX];
    snprintf (secret, sizeof secret, "%s_secret", name);
    if (zsys_file_exists (name) || zsys_file_exists (secret)) {
        fprintf (stderr, "cibus keygen: '%s' or '%s' already exists: a key is never "
                 "overwritten; pick another name or remove them\n", name, secret);
        return S_EXIT_FAIL;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "cibus keygen: cannot make a keypair: %s\n", zmq_strerror (zmq_errno ()));
        return S_EXIT_FAIL;
    }
    const char *slash = strrchr (name, '/');
    zcert_set_meta (cert, "name", "%s", slash ? slash + 1 : name);
    mode_t mask = umask (077);
    int rc = zcert_save_secret (cert, secret);
    umask (mask);
    if (rc == 0)
        rc = zcert_save_public (cert, name);
    if (rc != 0)
        fprintf (stderr, "cibus keygen: cannot write '%s': %s\n", name, strerror (errno));
    else {
        printf ("%s\n", zcert_public_txt (cert));
        fprintf (stderr,
                 "cibus keygen: wrote %s (public: give it to the backbone for `cibusd partner "
                 "add`) and %s (secret: keep it, pass it as --key)\n",
                 name, secret);
    }
    zcert_destroy (&cert);
    return rc ? S_EXIT_FAIL : 0;
}

static int
s_cmd_whoami (const s_command_t *command, opts_t *opts)
{
    int timeout = s_timeout_msec (opts, CIBUS_DEFAULT_TIMEOUT_MSEC);
    if (timeout < 0)
        return s_usage_error (command->name, "--timeout must be a number of seconds > 0");
    if (opts_positional_count (opts) > 1)
        return s_usage_error (command->name, "unexpected argument '%s'", opts_positional (opts, 1));
    cibus_t *client = s_connect (command, opts, timeout);
    if (!client)
        return S_EXIT_FAIL;
    int rc = 0;
    if (strcmp (command->name, "whoami") == 0) {
        char partner [160], role [32];
        cibus_err_t err = cibus_ping (client, partner, sizeof partner, role, sizeof role);
        if (err)
            rc = s_failed (command, client, err);
        else if (opts_flag (opts, "json")) {
            json_t *json = json_object ();
            int failed = cibus_json_set (json, "partner", cibus_json_string (partner));
            failed |= cibus_json_set (json, "role", cibus_json_string (role));
            rc = s_print_json (command, json, failed);
        }
        else
            printf ("%s (%s)\n", partner, role);
    }
    else {
        cibus_status_t status;
        cibus_err_t err = cibus_status (client, &status);
        if (err)
            rc = s_failed (command, client, err);
        else if (opts_flag (opts, "json")) {
            json_t *json = json_object ();
            int failed = cibus_json_set (json, "last_seq", cibus_json_u64 (status.last_seq));
            failed |= cibus_json_set (json, "transactions", cibus_json_u64 (status.transactions));
            failed |= cibus_json_set (json, "appended", cibus_json_u64 (status.appended));
            failed |= cibus_json_set (json, "subscriptions", cibus_json_u64 (status.subscriptions));
            rc = s_print_json (command, json, failed);
        }
        else
            printf ("last seq %llu; since start: %llu entries appended in %llu transactions; "
                    "%u subscriptions\n",
                    (unsigned long long) status.last_seq, (unsigned long long) status.appended,
                    (unsigned long long) status.transactions, status.subscriptions);
    }
    cibus_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------- sync

//  The replica: `cibus sync`, its outbox, and the options that read from
//  it (--offline) or write to it (--queue); clients/sync.c does the work.
#define S_REPLICA_OPT                                                                       \
    {"replica", OPT_VALUE, "PATH", "CIBUS_REPLICA", NULL,                                   \
     "the local replica (default: $XDG_DATA_HOME/cibus/replica.db)"}

static const opt_def_t s_sync_opts [] = {
    S_REPLICA_OPT,
    {"topic", OPT_LIST, "PREFIX", NULL, NULL, "only topics starting with PREFIX (repeatable)"},
    {"once", OPT_FLAG, NULL, NULL, NULL, "catch up, send the outbox and exit"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static const opt_def_t s_outbox_opts [] = {
    S_REPLICA_OPT,
    {"json", OPT_FLAG, NULL, NULL, NULL, "print JSON, one object per line"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  Options every query takes: where it is answered, and how it is printed.
static const opt_def_t s_query_opts [] = {
    S_REPLICA_OPT,
    {"offline", OPT_FLAG, NULL, NULL, NULL, "answer from the local replica (cibus sync)"},
    {"format", OPT_VALUE, "text|json|csv", NULL, NULL,
     "print the answer as aligned text (the default), JSON (the same as --json) or CSV "
     "(see below)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

//  After the options of every query's --help: the forms of --format.
static const char s_query_details [] =
    "--format json prints one line, {\"tables\":[{\"title\":T,\"rows\":[{COLUMN:CELL,...}]}]}:\n"
    "a number is a JSON number, an empty cell null, a value hidden from you\n"
    "{\"suppressed\":true}, one shown only as a range {\"suppressed\":true,\"range\":\"<=5\"},\n"
    "any other text a string.\n"
    "\n"
    "--format csv prints RFC 4180 CSV (CRLF line ends, a field quoted when it needs\n"
    "to be): a header row of the column names, then the rows. An answer of several\n"
    "tables (report, values --history) is one block per table, each a header row\n"
    "and its rows, whose first column, `table`, holds the table's title; one empty\n"
    "line separates the blocks. Numbers are written as in JSON (61.75), an empty\n"
    "cell is empty, and a hidden value is * and a coded one its range (<=5), as\n"
    "you would see them: never a zero.\n";

//  After the options of `cibus brightspots --help`; the forms of --format
//  follow, as for every query.
static const char s_brightspots_details [] =
    "Three tables. `with and without PRACTICE`: the units that had the practice\n"
    "throughout the period (tagged since its first day or before, not stopped before\n"
    "its end) against every other unit that reported the indicator, each side pooled\n"
    "as `cibus values` pools, then their difference with its 95 % interval and a\n"
    "verdict: higher or lower with the practice only when the interval leaves out 0.\n"
    "`caution`: what the comparison is not. `before and after PRACTICE`: each unit\n"
    "with the practice, its value in the latest period that ended before the practice\n"
    "began against the period asked for, with the change's interval and verdict.\n"
    "A value hidden from you hides every figure it is part of (*).\n"
    "\n"
    "Units that chose a practice may differ from the others in many ways: a bright\n"
    "spot is a lead to look into, not proof that the practice works.\n";

static const opt_def_t s_queue_opts [] = {
    S_REPLICA_OPT,
    {"queue", OPT_FLAG, NULL, NULL, NULL,
     "store it in the replica's outbox; `cibus sync` sends it (also done when the broker "
     "cannot be reached)"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static int
s_cmd_sync (const s_command_t *command, opts_t *opts)
{
    return sync_cmd_sync (command->name, opts);
}

static int
s_cmd_outbox (const s_command_t *command, opts_t *opts)
{
    return sync_cmd_outbox (command->name, opts);
}

//  ---------------------------------------------------------------- main

static const s_command_t s_commands [] = {
    {"keygen", "keygen NAME", "make a keypair: NAME (public) and NAME_secret", s_none, false,
     false, s_cmd_keygen, NULL},
    {"submit",
     "submit --network NET --indicator ID --period P --total VALUE [--cell CELL:VALUE]... "
     "[options]\n   or: cibus submit --network NET --table FILE [options]",
     "publish a data table on a shared indicator: its total and breakdowns", s_submit_opts,
     true, true, s_cmd_publish, s_submit_details},
    {"note", "note --network NET --title T [--body B | --body-file F] [options]",
     "publish a meeting's notes and decisions", s_note_opts, true, true, s_cmd_publish, NULL},
    {"commit", "commit --network NET --action A --due DATE [--indicator ID]... "
               "[--from-note ID [--decision N]]",
     "publish an action commitment; prints its commitment id", s_commit_opts, true, true,
     s_cmd_publish, NULL},
    {"update", "update --network NET COMMITMENT_ID --status S [--comment C]",
     "publish a commitment's new status", s_update_opts, true, true, s_cmd_publish, NULL},
    {"indicator", "indicator define ID --name N --unit U --direction up|down --period KIND "
     "[options]",
     "define (or redefine: a new version) a shared indicator; backbone only",
     s_indicator_opts, false, true, s_cmd_indicator, NULL},
    {"practice",
     "practice tag UNIT PRACTICE --since DATE [--until DATE] --network NET [--id ID]",
     "record that a unit took up a practice, from a date; backbone only", s_practice_opts,
     true, true, s_cmd_publish, s_practice_details},
    {"indicators", "indicators [--format text|json|csv]", "the indicator catalogue in force",
     s_none, false, true, s_cmd_query, s_query_details},
    {"values",
     "values --indicator ID [--by DIMENSION] [--network NET] [--history] "
     "[--format text|json|csv]",
     "latest values per period and group, with targets and change", s_values_opts, false, true,
     s_cmd_query, s_query_details},
    {"commitments",
     "commitments [--network NET] [--owner P] [--overdue] [--format text|json|csv]",
     "action commitments and their status", s_commitments_opts, false, true, s_cmd_query,
     s_query_details},
    {"notes", "notes [--network NET] [--since DATE] [--format text|json|csv]",
     "meetings held and the decisions taken", s_notes_opts, false, true, s_cmd_query,
     s_query_details},
    {"report", "report --period P [--network NET] [--format text|json|csv]",
     "the backbone's page: submissions, slipping commitments, indicators, gaps, meetings",
     s_report_opts, false, true, s_cmd_query, s_query_details},
    {"brightspots",
     "brightspots --indicator ID --practice P --period PERIOD [--network NET] "
     "[--format text|json|csv]",
     "units with a practice against units without, and each before and after: a comparison, "
     "not a controlled study",
     s_brightspots_opts, false, true, s_cmd_query, s_brightspots_details},
    {"feed",
     "feed FILE|- --network NET [--format csv|jsonl] [--map MAP] [--for PARTNER] [--dry-run] "
     "[--window N] [--queue]",
     "load an export (CSV or JSON Lines) as data tables: idempotent, pipelined, every "
     "refusal with its line",
     s_feed_opts, false, true, s_cmd_feed, s_feed_details},
    {"tail", "tail [--topic PREFIX]... [--from SEQ] [--count N] [--timeout S] [--json]",
     "show entries as they arrive; --from 1 replays the whole readable log first",
     s_tail_opts, false, true, s_cmd_tail, NULL},
    {"whoami", "whoami", "ask the broker which partner and role your key is", s_none, false,
     true, s_cmd_whoami, NULL},
    {"status", "status", "the broker's last seq and commit counters", s_none, false, true,
     s_cmd_whoami, NULL},
    {"sync", "sync [--replica PATH] [--topic PREFIX]... [--once]\n   or: cibus sync status "
     "[--json]",
     "keep a local replica of what you may read (resume, catch up, follow); send the outbox",
     s_sync_opts, false, true, s_cmd_sync, NULL},
    {"outbox", "outbox [--json]\n   or: cibus outbox retry|drop ID",
     "updates waiting to be sent (or refused), and what to do with one", s_outbox_opts, false,
     false, s_cmd_outbox, NULL},
    {NULL, NULL, NULL, NULL, false, false, NULL, NULL}};

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: cibus COMMAND [OPTIONS]   (cibus COMMAND --help for its options)\n\n"
                  "commands:\n");
    for (const s_command_t *command = s_commands; command->name; command++)
        fprintf (out, "  %-12s %s\n", command->name, command->summary);
    fprintf (out, "\nexit codes: 0 done, 2 usage error, 1 anything else (refused, "
                  "unreachable, unknown key)\n");
}

//  One table for a command: its own options, then the shared ones.
static void
s_merge (const s_command_t *command, opt_def_t *defs)
{
    size_t count = 0;
    const opt_def_t *parts [4] = {command->own,
                                  command->publishes ? s_publish_common : s_none,
                                  command->connects ? s_common : s_none,
                                  command->handler == s_cmd_query ? s_query_opts
                                  : command->publishes || command->handler == s_cmd_feed
                                      ? s_queue_opts
                                      : s_none};
    for (size_t p = 0; p < 4; p++)
        for (const opt_def_t *def = parts [p]; def->name; def++) {
            //  A table that outgrew the room is a programming error, not
            //  options to drop without a word.
            assert (count < S_MAX_OPTS - 1);
            defs [count++] = *def;
        }
    defs [count] = (opt_def_t) {NULL, 0, NULL, NULL, NULL, NULL};
}

int
main (int argc, char **argv)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const char *name = argc > 1 ? argv [1] : NULL;
    if (!name || strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0
        || strcmp (name, "help") == 0) {
        s_usage (name ? stdout : stderr);
        return name ? 0 : S_EXIT_USAGE;
    }
    const s_command_t *command = s_commands;
    while (command->name && strcmp (command->name, name) != 0)
        command++;
    if (!command->name) {
        fprintf (stderr, "cibus: unknown command '%s' (see `cibus --help`)\n", name);
        return S_EXIT_USAGE;
    }
    opt_def_t defs [S_MAX_OPTS];
    s_merge (command, defs);
    char error [256];
    opts_t *opts = opts_parse (defs, argc - 1, argv + 1, error, sizeof error);
    if (!opts)
        return s_usage_error (command->name, "%s", error);
    int rc;
    if (opts_flag (opts, "help")) {
        printf ("usage: cibus %s\n\n%s\n\noptions:\n", command->usage, command->summary);
        opts_help (defs, stdout);
        if (command->details)
            printf ("\n%s", command->details);
        //  A query with details of its own is printed like every query too.
        if (command->handler == s_cmd_query && command->details
            && command->details != s_query_details)
            printf ("\n%s", s_query_details);
        rc = 0;
    }
    else
        rc = command->handler (command, opts);
    opts_destroy (&opts);
    return rc;
}
