/*  render.c - entries and query answers as text; see render.h (the JSON
    form is render_json.c, in the client library).

    A data table is rendered as the copy the reader received: the owner's
    and the backbone's copy whole, everyone else's as the broker masked it
    when it stored the table. Nothing here decides what to hide; it only
    says what the copy carries, so that a hidden cell reads as '*' and a
    coded one as its range, never as a number the reader does not have. */

#include "render.h"

#include "codec.h"
#include "render_csv.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

void
render_time (int64_t usec, char *text, size_t size)
{
    time_t secs = (time_t) (usec / 1000000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    char date [24];
    strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (text, size, "%s.%03dZ", date, (int) (usec % 1000000 / 1000));
}

//  A number with at most `decimals` decimals and no trailing zeros.
static void
s_short_number (double number, int decimals, char *text, size_t size)
{
    snprintf (text, size, "%.*f", decimals, number);
    char *dot = strchr (text, '.');
    if (dot) {
        char *end = text + strlen (text) - 1;
        while (end > dot && *end == '0')
            *end-- = 0;
        if (end == dot)
            *end = 0;
    }
    if (strcmp (text, "-0") == 0)
        snprintf (text, size, "0");
}

//  A cell's value as a person reads it:
//      52/160 (32.5%)    a percent shown (0.325 for a rate)
//      310.5 (n=12)      a count, score or currency
//      * (n=104)         hidden from this reader, with its size when shown
//      <=5% (n=30)       a percent near 0 or 100, coded as a range
//      * at source       suppressed by its publisher (the owner's copy)
//  The entry does not say the indicator's unit: a percent is told from a
//  rate by its value (100 * numerator / denominator), and a coded rate by
//  its bound, which lies in 0..1 (a percent's bands are 1 to 99).
static void
s_value_text (const Cibus__DataCell *cell, char *text, size_t size)
{
    char number [64];
    uint64_t size_of = cell->has_denominator ? cell->denominator : cell->n;
    bool sized = cell->has_denominator || cell->has_n;
    size_t used = 0;
    bool coded = cell->has_disclosure && cell->disclosure == CIBUS__DISCLOSURE__CODED;
    if (coded) {
        bool at_most = !(cell->low > 0);
        double bound = at_most ? cell->high : cell->low;
        bool rate = bound < 1;
        s_short_number (bound, rate ? 4 : 1, number, sizeof number);
        used = (size_t) snprintf (text, size, "%s%s%s", at_most ? "<=" : ">=", number,
                                  rate ? "" : "%");
    }
    else if (cell->has_suppressed && cell->suppressed) {
        bool hidden = cell->has_disclosure;
        used = (size_t) snprintf (text, size, "*%s", hidden ? "" : " at source");
    }
    else if (cell->has_numerator && cell->has_denominator) {
        used = (size_t) snprintf (text, size, "%llu/%llu", (unsigned long long) cell->numerator,
                                  (unsigned long long) cell->denominator);
        if (cell->has_value && cell->denominator > 0) {
            double percent = 100.0 * (double) cell->numerator / (double) cell->denominator;
            bool is_percent = fabs (cell->value - percent) < 1e-9 * (1 + percent);
            s_short_number (cell->value, is_percent ? 1 : 4, number, sizeof number);
            if (used < size)
                used += (size_t) snprintf (text + used, size - used, " (%s%s)", number,
                                           is_percent ? "%" : "");
        }
        sized = false; //  the denominator is its size, already said
    }
    else if (cell->has_value) {
        s_short_number (cell->value, 4, number, sizeof number);
        used = (size_t) snprintf (text, size, "%s", number);
    }
    else
        used = (size_t) snprintf (text, size, "-");
    if (sized && used < size)
        snprintf (text + used, size - used, " (n=%llu)", (unsigned long long) size_of);
}

//  A cell's categories: "total", race=black, race=hispanic,income=low.
static void
s_categories_text (const Cibus__DataCell *cell, char *name, size_t size)
{
    if (cell->n_dimensions == 0) {
        snprintf (name, size, "total");
        return;
    }
    size_t used = 0;
    name [0] = 0;
    for (size_t i = 0; i < cell->n_dimensions && used < size; i++)
        used += (size_t) snprintf (name + used, size - used, "%s%s=%s", i ? "," : "",
                                   cell->dimensions [i]->key, cell->dimensions [i]->value);
}

//  The rest of a table's first line, then a line per cell, names aligned.
static void
s_data_text (const cibus_envelope_t *env, FILE *out)
{
    const Cibus__DataSubmission *data = env->data;
    fprintf (out, "%s %s", data->indicator, data->period);
    if (data->has_version)
        fprintf (out, " version %u", data->version);
    if (env->partner && data->owner && strcmp (env->partner, data->owner) != 0)
        fprintf (out, ", sent by %s", env->partner);
    if (data->has_status && data->status != CIBUS__VALUE_STATUS__FINAL)
        fprintf (out, " [%s]", codec_value_status_name (data->status));
    if (data->has_superseded && data->superseded) {
        fprintf (out, " (superseded by a later version)\n");
        return;
    }
    fprintf (out, "\n");
    char name [CIBUS_MAX_CROSS * (2 * CIBUS_MAX_NAME + 2) + 8], value [160];
    int width = 5; //  "total"
    for (size_t i = 0; i < data->n_cells; i++) {
        s_categories_text (data->cells [i], name, sizeof name);
        if ((int) strlen (name) > width)
            width = (int) strlen (name);
    }
    for (size_t i = 0; i <= data->n_cells; i++) {
        const Cibus__DataCell *cell = i == 0 ? data->total : data->cells [i - 1];
        if (!cell)
            continue;
        s_categories_text (cell, name, sizeof name);
        s_value_text (cell, value, sizeof value);
        fprintf (out, "  %-*s  %s\n", width, name, value);
    }
}

void
render_envelope_text (const cibus_envelope_t *env, FILE *out)
{
    char when [32];
    render_time (env->received_at, when, sizeof when);
    //  A table goes by its owner (and unit): the partner it is about, who
    //  may not be the one who sent it.
    const Cibus__DataSubmission *data =
        env->body_case == CIBUS__ENVELOPE__BODY_DATA ? env->data : NULL;
    const char *who = data && data->owner ? data->owner : env->partner;
    fprintf (out, "#%llu %s %s%s%s %s ", (unsigned long long) env->seq, when, who ? who : "-",
             data && data->unit ? "/" : "", data && data->unit ? data->unit : "",
             env->topic ? env->topic : "-");
    if (data) {
        s_data_text (env, out);
        return;
    }
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_NOTE:
            fprintf (out, "note \"%s\"", env->note->title);
            if (env->note->held_on)
                fprintf (out, " held %s", env->note->held_on);
            if (env->note->n_decisions)
                fprintf (out, ", %zu decision%s", env->note->n_decisions,
                         env->note->n_decisions == 1 ? "" : "s");
            break;
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            fprintf (out, "commitment %s \"%s\" due %s", env->id, env->commitment->action,
                     env->commitment->due);
            if (env->commitment->from_note && *env->commitment->from_note)
                fprintf (out, ", from note %s", env->commitment->from_note);
            if (env->commitment->from_note && *env->commitment->from_note
                && env->commitment->has_decision)
                fprintf (out, " decision %u", (unsigned) env->commitment->decision);
            break;
        case CIBUS__ENVELOPE__BODY_UPDATE:
            fprintf (out, "update %s -> %s", env->update->commitment_id,
                     codec_commitment_status_name (env->update->status));
            if (env->update->comment)
                fprintf (out, " \"%s\"", env->update->comment);
            break;
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            fprintf (out, "indicator %s \"%s\" (%s, %s is better, by %s)",
                     env->indicator->indicator, env->indicator->name,
                     codec_unit_name (env->indicator->unit),
                     env->indicator->direction == CIBUS__DIRECTION__DOWN ? "lower" : "higher",
                     codec_period_kind_name (env->indicator->period_kind));
            break;
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            fprintf (out, "practice %s at %s since %s", env->practice->practice,
                     env->practice->unit, env->practice->since);
            if (env->practice->until && *env->practice->until)
                fprintf (out, " until %s", env->practice->until);
            break;
        default:
            fprintf (out, "(no body)");
    }
    fprintf (out, "\n");
}

//  ---------------------------------------------------------------- tables

//  A cell as text: numbers without trailing zeros, at most 4 decimals.
static void
s_cell_text (const Cibus__Cell *cell, char *text, size_t size)
{
    if (cell->has_number)
        s_short_number (cell->number, 4, text, size);
    else
        snprintf (text, size, "%s", cell->text ? cell->text : "");
}

#define S_MAX_COLUMNS 32

void
render_tables_text (const Cibus__QueryReply *result, FILE *out)
{
    for (size_t t = 0; t < result->n_tables; t++) {
        const Cibus__Table *table = result->tables [t];
        size_t columns = table->n_columns < S_MAX_COLUMNS ? table->n_columns : S_MAX_COLUMNS;
        size_t width [S_MAX_COLUMNS];
        for (size_t c = 0; c < columns; c++)
            width [c] = strlen (table->columns [c]);
        char text [512];
        for (size_t r = 0; r < table->n_rows; r++)
            for (size_t c = 0; c < columns && c < table->rows [r]->n_cells; c++) {
                s_cell_text (table->rows [r]->cells [c], text, sizeof text);
                if (strlen (text) > width [c])
                    width [c] = strlen (text);
            }
        fprintf (out, "%s%s\n", t ? "\n" : "", table->title ? table->title : "");
        for (size_t c = 0; c < columns; c++)
            fprintf (out, "  %-*s", c + 1 < columns ? (int) width [c] : 0, table->columns [c]);
        fprintf (out, "\n");
        if (table->n_rows == 0)
            fprintf (out, "  (none)\n");
        for (size_t r = 0; r < table->n_rows; r++) {
            const Cibus__Row *row = table->rows [r];
            for (size_t c = 0; c < columns; c++) {
                text [0] = 0;
                if (c < row->n_cells)
                    s_cell_text (row->cells [c], text, sizeof text);
                bool number = c < row->n_cells && row->cells [c]->has_number;
                //  Numbers align right, text left; the last column is not padded.
                if (number)
                    fprintf (out, "  %*s", (int) width [c], text);
                else
                    fprintf (out, "  %-*s", c + 1 < columns ? (int) width [c] : 0, text);
            }
            fprintf (out, "\n");
        }
    }
}

bool
render_format_parse (const char *name, render_format_t *format)
{
    static const char *const names [] = {"text", "json", "csv"};
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        if (strcmp (name, names [i]) == 0) {
            *format = (render_format_t) i;
            return true;
        }
    return false;
}

bool
render_tables (const Cibus__QueryReply *result, render_format_t format, FILE *out)
{
    bool ok = true;
    if (format == RENDER_JSON) {
        errno = 0;
        ok = cibus_json_print (render_tables_json (result), out);
        //  jansson does not say why it failed: only memory can fail it.
        if (!ok && errno == 0)
            errno = ENOMEM;
    }
    else if (format == RENDER_CSV)
        ok = render_tables_csv (result, out);
    else
        render_tables_text (result, out);
    //  A full disk or a closed pipe shows only once the buffer is written.
    if (fflush (out) != 0 || ferror (out))
        ok = false;
    return ok;
}
