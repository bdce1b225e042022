/*  feed_account.c - what became of a feed's tables and rows; see feed.h.

    The broker's answers are counted as they come (published, corrected,
    unchanged) and every refusal is kept with its lines, so that the end
    of a feed can be told as one line or as one JSON object; the rows
    read, skipped and refused are the feed's own count. The JSON is made
    with jansson through common/cibus_json.h, valid whatever bytes a
    message quotes.                                                       */

#include "feed.h"

#include "cibus_json.h"

#include <string.h>

struct feed_account_t {
    bool dry_run;
    size_t published, corrected, unchanged, refused;
    json_t *refusals; /* an array of {"lines", "table", "message"} */
    char *stopped;    /* why the feed stopped early, or NULL */
};

feed_account_t *
feed_account_new (bool dry_run)
{
    feed_account_t *self = calloc (1, sizeof *self);
    if (self && !(self->refusals = json_array ()))
        feed_account_destroy (&self);
    if (self)
        self->dry_run = dry_run;
    return self;
}

void
feed_account_destroy (feed_account_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref ((*self_p)->refusals);
    free ((*self_p)->stopped);
    free (*self_p);
    *self_p = NULL;
}

void
feed_account_count (feed_account_t *self, feed_outcome_t outcome)
{
    if (outcome == FEED_PUBLISHED)
        self->published++;
    else if (outcome == FEED_CORRECTED)
        self->corrected++;
    else
        self->unchanged++;
}

static void
s_refusal (json_t *refusals, const char *lines, const char *table, const char *message)
{
    //  The texts may quote the file or the broker, whatever their bytes:
    //  cibus_json_string keeps them valid UTF-8.
    json_t *item = json_object ();
    if (!item)
        return;
    cibus_json_set (item, "lines", cibus_json_string (lines));
    if (table)
        cibus_json_set (item, "table", cibus_json_string (table));
    cibus_json_set (item, "message", cibus_json_string (message));
    json_array_append_new (refusals, item);
}

void
feed_account_refuse (feed_account_t *self, const char *lines, const char *table,
                     const char *message)
{
    self->refused++;
    s_refusal (self->refusals, lines, table, message);
}

void
feed_account_stop (feed_account_t *self, const char *message)
{
    free (self->stopped);
    self->stopped = strdup (message);
}

feed_tally_t
feed_account_tally (feed_account_t *self, feed_t *feed)
{
    return (feed_tally_t){self->dry_run,    feed_table_count (feed), self->published,
                          self->corrected,  self->unchanged,         self->refused,
                          feed_rows (feed), feed_skipped (feed),     feed_problem_count (feed)};
}

char *
feed_account_json (feed_account_t *self, feed_t *feed)
{
    feed_tally_t tally = feed_account_tally (self, feed);
    json_t *refusals = json_array ();
    for (size_t i = 0; refusals && i < feed_problem_count (feed); i++) {
        const feed_problem_t *problem = feed_problem (feed, i);
        char text [64];
        if (problem->last_line > problem->first_line)
            snprintf (text, sizeof text, "%zu-%zu", problem->first_line, problem->last_line);
        else
            snprintf (text, sizeof text, "%zu", problem->first_line);
        s_refusal (refusals, text, NULL, problem->message);
    }
    if (refusals)
        json_array_extend (refusals, self->refusals);
    json_t *root = json_pack (
        "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o*, s:o*}", "dry_run", tally.dry_run,
        "tables", (json_int_t) tally.tables, "published", (json_int_t) tally.published, "corrected",
        (json_int_t) tally.corrected, "unchanged", (json_int_t) tally.unchanged, "refused",
        (json_int_t) tally.refused, "rows", (json_int_t) tally.rows, "skipped",
        (json_int_t) tally.skipped, "rows_refused", (json_int_t) tally.rows_refused, "refusals",
        refusals, "stopped", self->stopped ? cibus_json_string (self->stopped) : NULL);
    char *text = cibus_json_text (root);
    json_decref (root);
    return text;
}
