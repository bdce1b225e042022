/*  audit.c - `cibusd audit`: the disclosure audit over a data directory;
    see audit.h.

    Design
    ------
    The question the audit answers is the issue's: can a reader work out
    a cell it was not shown, from everything it received? What a reader
    receives of a table is fixed when the table is appended: the decision
    is stored per cell in the same transaction, and live delivery, replay,
    the queries (values, --history), the report and every export serve
    that decision and nothing else. So replaying the stored decisions of
    every version of every table the reader receives covers all of them,
    and the first line of the output says so.

    The store gives the tables one at a time, each with every version a
    reader could have received (a reader that was subscribed throughout
    got each version before it was superseded); each goes to one run of
    the disclosure audit, which keeps its findings. A table is the unit of
    a run because its name is (network, owner, unit, indicator, period):
    two owners' tables of the same indicator, period and unit are not
    versions of one another, and the module would take them as such if
    they shared a run.

    A table that cannot be read back or audited (a decision that
    contradicts its values, an indicator gone from the catalogue) is named
    and counted, and the command exits 2: the audit did not prove it.     */

#include "cibusd_audit.h"

#include "audit_log.h"
#include "datadir.h"
#include "measure.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_EXIT_CLEAN   0
#define S_EXIT_EXPOSED 1
#define S_EXIT_ERROR   2

typedef struct {
    disclosure_audit_t *audit;
    const store_partner_t *reader;
    FILE *out;
    FILE *progress;
    audit_summary_t *summary;
    size_t printed; /* findings of the audit already written */
} s_run_t;

//  Write text with any control byte as '?': what the database holds must
//  not drive the terminal.
static void
s_put (FILE *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        fputc (*c < 0x20 || *c == 0x7f ? '?' : *c, out);
}

//  Whether the reader receives this owner's tables in this network masked:
//  a partner those of the networks it may read, except its own, which it
//  sees whole; the backbone none masked (it sees every table whole).
static bool
s_want (const char *network, const char *owner, void *arg)
{
    const s_run_t *self = arg;
    if (!self->reader)
        return true;
    if (self->reader->role == ROLE_BACKBONE)
        return false;
    return store_may_read (self->reader, network) && strcmp (owner, self->reader->name) != 0;
}

static void
s_table_name (FILE *out, const store_audit_table_t *table)
{
    s_put (out, table->network);
    fputc (' ', out);
    s_put (out, table->indicator);
    fputc (' ', out);
    s_put (out, table->period);
    fputc (' ', out);
    s_put (out, table->owner);
    if (*table->unit) {
        fputc ('/', out);
        s_put (out, table->unit);
    }
}

static cibus_err_t
s_table (const store_audit_table_t *table, void *arg)
{
    s_run_t *self = arg;
    audit_summary_t *summary = self->summary;
    disclosure_problem_t problem = {0};
    cibus_err_t rc = CIBUS_OK;
    if (!table->problem) {
        rc = disclosure_audit_run (self->audit, table->views, table->version_count, &problem);
        if (rc == CIBUS_ERR_NOMEM)
            return rc;
    }
    if (table->problem) {
        summary->unreadable++;
        fprintf (self->out, "cannot audit ");
        s_table_name (self->out, table);
        fprintf (self->out, ": ");
        s_put (self->out, table->problem);
        fprintf (self->out, "\n");
    } else if (rc) {
        //  The module's message names the table and its version.
        summary->unreadable++;
        fprintf (self->out, "cannot audit in ");
        s_put (self->out, table->network);
        fprintf (self->out, ": ");
        s_put (self->out, problem.message);
        fprintf (self->out, "\n");
    } else {
        summary->tables++;
        summary->versions += table->version_count;
    }
    size_t exposed = disclosure_audit_exposed_count (self->audit);
    for (; self->printed < exposed; self->printed++) {
        const disclosure_exposed_t *found = disclosure_audit_exposed (self->audit, self->printed);
        fprintf (self->out, "exposed in ");
        s_put (self->out, table->network);
        fprintf (self->out, ": ");
        s_put (self->out, found->what);
        fprintf (self->out, "\n    ");
        s_put (self->out, found->explanation);
        fprintf (self->out, "\n");
    }
    summary->exposed = exposed;
    summary->cells = disclosure_audit_cells (self->audit);
    size_t done = summary->tables + summary->unreadable;
    if (self->progress && done % AUDIT_PROGRESS_TABLES == 0) {
        fprintf (self->progress, "cibusd: audit: %zu tables checked, %zu cells exposed so far\n",
                 done, exposed);
        fflush (self->progress);
    }
    return CIBUS_OK;
}

static void
s_first_line (FILE *out, const store_partner_t *reader)
{
    if (!reader)
        fprintf (out, "audit as a reader of every network who owns no table");
    else {
        fprintf (out, "audit as ");
        s_put (out, reader->name);
        fprintf (out, " (%s)", store_role_name (reader->role));
    }
    if (reader && reader->role == ROLE_BACKBONE)
        fprintf (out, ": the backbone receives every table whole, so nothing is hidden from it "
                      "to check\n");
    else if (reader && reader->role == ROLE_INTEGRATOR)
        fprintf (out, ": an integrator reads no network, so it receives no table to check\n");
    else
        fprintf (out, ": every version of every table it could receive, live or on replay; "
                      "queries, --history, the report and exports serve the same stored "
                      "decisions, so this covers them too\n");
}

cibus_err_t
audit_store (store_t *store, const store_partner_t *reader, FILE *out, FILE *progress,
             audit_summary_t *summary)
{
    assert (store);
    assert (out);
    assert (summary);
    memset (summary, 0, sizeof *summary);
    disclosure_rules_t rules;
    store_audit_rules (store, &rules);
    s_run_t run = {.reader = reader, .out = out, .progress = progress, .summary = summary};
    run.audit = disclosure_audit_new (&rules);
    if (!run.audit) {
        fprintf (out,
                 "cannot audit: out of memory, or the disclosure rules in force are out of "
                 "range (min-cell %llu, protection %g, value-protection %g)\n",
                 (unsigned long long)rules.min_cell, rules.ratio_protection,
                 rules.value_protection);
        return CIBUS_ERR_USAGE;
    }
    s_first_line (out, reader);
    fprintf (out,
             "rules: min-cell %llu, protection %g %% of a small cell's size, "
             "value-protection %g %%\n",
             (unsigned long long)rules.min_cell, 100 * rules.ratio_protection,
             100 * rules.value_protection);
    cibus_err_t err = store_audit_each (store, s_want, s_table, &run);
    disclosure_audit_destroy (&run.audit);
    if (err == CIBUS_OK)
        fprintf (out, "checked %zu tables and %zu cells: %zu exposed\n", summary->tables,
                 summary->cells, summary->exposed);
    if (err == CIBUS_OK && summary->unreadable)
        fprintf (out, "%zu tables could not be audited (named above)\n", summary->unreadable);
    return err;
}

//  ------------------------------------------------------------ the command

typedef struct {
    const char *name;
    store_partner_t found;
    bool ok;
    bool failed;
} s_lookup_t;

static void
s_lookup (const store_partner_t *partner, void *arg)
{
    s_lookup_t *self = arg;
    if (self->ok || self->failed || strcmp (partner->name, self->name) != 0)
        return;
    self->found = *partner;
    self->found.feeds = NULL;
    self->found.feed_count = 0;
    self->found.networks =
        calloc (partner->network_count ? partner->network_count : 1, sizeof *self->found.networks);
    self->found.network_count = 0;
    if (!self->found.networks) {
        self->failed = true;
        return;
    }
    for (size_t i = 0; i < partner->network_count; i++) {
        self->found.networks [i] = strdup (partner->networks [i]);
        if (!self->found.networks [i]) {
            self->failed = true;
            return;
        }
        self->found.network_count++;
    }
    self->ok = true;
}

int
audit_main (const char *data_dir, const char *as_partner, FILE *out)
{
    assert (data_dir);
    assert (out);
    char path [PATH_MAX];
    struct stat st;
    if (!datadir_path (data_dir, DATADIR_DB, path, sizeof path) || stat (data_dir, &st) != 0
        || !S_ISDIR (st.st_mode) || stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
        fprintf (stderr, "cibusd: no data directory with a database at '%s' (%s/%s)\n", data_dir,
                 data_dir, DATADIR_DB);
        return S_EXIT_ERROR;
    }
    store_t *store = store_new (path, STORE_SYNC_NORMAL);
    if (!store) {
        fprintf (stderr, "cibusd: cannot open the database '%s' (see the line above)\n", path);
        return S_EXIT_ERROR;
    }
    s_lookup_t lookup = {.name = as_partner};
    if (as_partner && (store_partner_each (store, s_lookup, &lookup) || lookup.failed)) {
        fprintf (stderr, "cibusd: cannot read the registry of '%s'\n", path);
        store_partner_release (&lookup.found);
        store_destroy (&store);
        return S_EXIT_ERROR;
    }
    if (as_partner && !lookup.ok) {
        fprintf (stderr, "cibusd: no partner named '%s' (see `cibusd partner list`)\n", as_partner);
        store_destroy (&store);
        return S_EXIT_ERROR;
    }
    audit_summary_t summary;
    cibus_err_t err = audit_store (store, as_partner ? &lookup.found : NULL, out, stderr, &summary);
    store_partner_release (&lookup.found);
    store_destroy (&store);
    fflush (out);
    if (err) {
        fprintf (stderr, "cibusd: the audit could not run to its end: %s\n", cibus_strerror (err));
        return S_EXIT_ERROR;
    }
    if (summary.unreadable)
        return S_EXIT_ERROR;
    return summary.exposed ? S_EXIT_EXPOSED : S_EXIT_CLEAN;
}
