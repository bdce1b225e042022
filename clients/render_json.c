/*  render_json.c - entries and query answers as JSON; see render_json.h.

    Compiled into the client library, which returns this JSON
    (cibus_entry_json, cibus_ask), and used from there by the cibus
    command: one copy of the form, so the two never print an entry
    differently.

    A data table is rendered as the copy the reader received: the owner's
    and the backbone's copy whole, everyone else's as the broker masked it
    when it stored the table. Nothing here decides what to hide; it only
    says what the copy carries, so that a hidden cell has no count and a
    coded one only its range, never a number the reader does not have.   */

#include "render_json.h"

#include "codec.h"

#include <string.h>

//  Each JSON helper below sets fields of object and returns 0, or -1 when
//  memory ran out (a NULL object fails too); the caller then drops the
//  whole entry, so that a line is printed whole or not at all.

//  A text under key, always: null when there is none, not "", which
//  would read as a text that is empty.
static int
s_str (json_t *object, const char *key, const char *value)
{
    return cibus_json_set (object, key, value ? cibus_json_string (value) : json_null ());
}

//  A text under key, when the entry carries one.
static int
s_str_field (json_t *object, const char *key, const char *value)
{
    return value && *value ? s_str (object, key, value) : 0;
}

//  A number under key, when the entry carries it (has).
static int
s_u64_field (json_t *object, const char *key, bool has, uint64_t value)
{
    return has ? cibus_json_set (object, key, cibus_json_u64 (value)) : 0;
}

static int
s_double_field (json_t *object, const char *key, bool has, double value)
{
    return has ? cibus_json_set (object, key, cibus_json_number (value)) : 0;
}

static int
s_bool_field (json_t *object, const char *key, bool value)
{
    return cibus_json_set (object, key, json_boolean (value));
}

static int
s_str_list (json_t *object, const char *key, char **items, size_t count)
{
    json_t *list = json_array ();
    int rc = 0;
    for (size_t i = 0; i < count; i++)
        rc |= json_array_append_new (list, cibus_json_string (items [i]));
    return rc | cibus_json_set (object, key, list);
}

//  ---------------------------------------------------------------- data tables

static const char *
s_disclosure_name (Cibus__Disclosure disclosure)
{
    switch (disclosure) {
        case CIBUS__DISCLOSURE__SHOWN:
            return "shown";
        case CIBUS__DISCLOSURE__HIDDEN_SMALL:
            return "hidden-small";
        case CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT:
            return "hidden-complement";
        case CIBUS__DISCLOSURE__CODED:
            return "coded";
        default:
            return "unspecified";
    }
}

//  A cell as JSON: its categories (none for the total), its counts as the
//  copy carries them, and the broker's decision when the copy is masked.
static json_t *
s_cell_json (const Cibus__DataCell *cell)
{
    json_t *object = json_object ();
    int rc = 0;
    if (cell->n_dimensions) {
        json_t *dimensions = json_object ();
        for (size_t i = 0; i < cell->n_dimensions; i++)
            rc |= s_str (dimensions, cell->dimensions [i]->key, cell->dimensions [i]->value);
        rc |= cibus_json_set (object, "dimensions", dimensions);
    }
    rc |= s_u64_field (object, "numerator", cell->has_numerator, cell->numerator);
    rc |= s_u64_field (object, "denominator", cell->has_denominator, cell->denominator);
    rc |= s_double_field (object, "value", cell->has_value, cell->value);
    rc |= s_u64_field (object, "n", cell->has_n, cell->n);
    if (cell->has_suppressed && cell->suppressed)
        rc |= s_bool_field (object, "suppressed", true);
    if (cell->has_disclosure)
        rc |= s_str (object, "disclosure", s_disclosure_name (cell->disclosure));
    rc |= s_double_field (object, "low", cell->has_low, cell->low);
    rc |= s_double_field (object, "high", cell->has_high, cell->high);
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

static int
s_data_json (const Cibus__DataSubmission *data, json_t *object)
{
    int rc = 0;
    rc |= s_str_field (object, "indicator", data->indicator);
    rc |= s_str_field (object, "period", data->period);
    rc |= s_str_field (object, "owner", data->owner);
    rc |= s_str_field (object, "unit", data->unit);
    rc |= s_u64_field (object, "version", data->has_version, data->version);
    rc |= s_bool_field (object, "masked", data->has_masked && data->masked);
    rc |= s_bool_field (object, "superseded", data->has_superseded && data->superseded);
    if (data->total)
        rc |= cibus_json_set (object, "total", s_cell_json (data->total));
    json_t *cells = json_array ();
    for (size_t i = 0; i < data->n_cells; i++)
        rc |= json_array_append_new (cells, s_cell_json (data->cells [i]));
    rc |= cibus_json_set (object, "cells", cells);
    rc |= s_str (object, "status",
                 codec_value_status_name (data->has_status ? data->status
                                                           : CIBUS__VALUE_STATUS__FINAL));
    rc |= s_str_field (object, "source", data->source);
    rc |= s_str_field (object, "extracted_on", data->extracted_on);
    return rc;
}

static json_t *
s_milestone_json (const Cibus__Milestone *milestone)
{
    json_t *object = json_object ();
    int rc = s_str (object, "period", milestone->period);
    rc |= cibus_json_set (object, "value", cibus_json_number (milestone->value));
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

static int
s_indicator_json (const Cibus__IndicatorDefinition *def, json_t *object)
{
    int rc = 0;
    rc |= s_str_field (object, "indicator", def->indicator);
    rc |= s_str_field (object, "name", def->name);
    rc |= s_str (object, "unit", codec_unit_name (def->unit));
    rc |= s_str (object, "direction", codec_direction_name (def->direction));
    rc |= s_str (object, "period_kind", codec_period_kind_name (def->period_kind));
    rc |= s_double_field (object, "min", def->has_min, def->min);
    rc |= s_double_field (object, "max", def->has_max, def->max);
    rc |= s_str_list (object, "dimensions", def->dimensions, def->n_dimensions);
    if (def->baseline)
        rc |= cibus_json_set (object, "baseline", s_milestone_json (def->baseline));
    json_t *targets = json_array ();
    for (size_t i = 0; i < def->n_targets; i++)
        rc |= json_array_append_new (targets, s_milestone_json (def->targets [i]));
    rc |= cibus_json_set (object, "targets", targets);
    rc |= s_str_list (object, "networks", def->networks, def->n_networks);
    return rc;
}

json_t *
render_envelope_json (const cibus_envelope_t *env)
{
    json_t *object = json_object ();
    int rc = 0;
    rc |= cibus_json_set (object, "seq", cibus_json_u64 (env->seq));
    rc |= s_str_field (object, "topic", env->topic);
    rc |= s_str_field (object, "partner", env->partner);
    rc |= s_str_field (object, "id", env->id);
    rc |= cibus_json_set (object, "received_at", json_integer (env->received_at));
    rc |= s_str (object, "kind", codec_body_name (env));
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            rc |= s_data_json (env->data, object);
            break;
        case CIBUS__ENVELOPE__BODY_NOTE:
            rc |= s_str_field (object, "title", env->note->title);
            rc |= s_str_field (object, "body", env->note->body);
            rc |= s_str_field (object, "held_on", env->note->held_on);
            rc |= s_str_list (object, "attendees", env->note->attendees, env->note->n_attendees);
            rc |= s_str_list (object, "decisions", env->note->decisions, env->note->n_decisions);
            break;
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            rc |= s_str_field (object, "action", env->commitment->action);
            rc |= s_str_field (object, "due", env->commitment->due);
            rc |= s_str_list (object, "indicators", env->commitment->indicators,
                              env->commitment->n_indicators);
            rc |= s_str_field (object, "from_note", env->commitment->from_note);
            rc |= s_u64_field (object, "decision", env->commitment->has_decision,
                               env->commitment->decision);
            break;
        case CIBUS__ENVELOPE__BODY_UPDATE:
            rc |= s_str_field (object, "commitment_id", env->update->commitment_id);
            rc |= s_str (object, "status", codec_commitment_status_name (env->update->status));
            rc |= s_str_field (object, "comment", env->update->comment);
            break;
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            rc |= s_indicator_json (env->indicator, object);
            break;
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            rc |= s_str_field (object, "unit", env->practice->unit);
            rc |= s_str_field (object, "practice", env->practice->practice);
            rc |= s_str_field (object, "since", env->practice->since);
            rc |= s_str_field (object, "until", env->practice->until);
            break;
        default:
            break;
    }
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

//  ---------------------------------------------------------------- answers

//  Whether text is a coded value's range as the broker writes it (PROTOCOL
//  8.1): "<=" or ">=" and a plain decimal number, "<=5", ">=95", "<=0.05".
//  Nothing looser: strtod would take "inf" or " 5", which no range is.
static bool
s_is_range (const char *text)
{
    if ((text [0] != '<' && text [0] != '>') || text [1] != '=')
        return false;
    const char *at = text + 2;
    size_t digits = strspn (at, "0123456789");
    if (digits == 0)
        return false;
    at += digits;
    if (*at == '.') {
        size_t decimals = strspn (at + 1, "0123456789");
        if (decimals == 0)
            return false;
        at += 1 + decimals;
    }
    return *at == 0;
}

//  A cell of an answer as JSON, each of the protocol's kinds of cell its
//  own JSON type, so that a program never mistakes one for another: a
//  number is a number; an empty cell (nothing to show) is null, not "",
//  which would read as a text; a value hidden from the reader ("*") is
//  {"suppressed":true} and a coded one ("<=5") {"suppressed":true,
//  "range":"<=5"}, objects a program cannot add up as it could a string
//  it parsed. Any other text is a string. The wire tells a hidden value
//  from a text only by these forms (8.1), so a text that is exactly "*"
//  or a range, say a note titled "*", reads as suppressed too.
static json_t *
s_answer_cell_json (const Cibus__Cell *cell)
{
    if (cell->has_number)
        return cibus_json_number (cell->number);
    if (!cell->text)
        return json_null ();
    bool hidden = strcmp (cell->text, "*") == 0;
    if (!hidden && !s_is_range (cell->text))
        return cibus_json_string (cell->text);
    json_t *object = json_object ();
    int rc = s_bool_field (object, "suppressed", true);
    if (!hidden)
        rc |= s_str (object, "range", cell->text);
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

//  One table: its title (null when it has none) and its rows, each an
//  object of column: cell.
static json_t *
s_table_json (const Cibus__Table *table)
{
    json_t *object = json_object ();
    int rc = cibus_json_set (object, "title",
                             table->title ? cibus_json_string (table->title) : json_null ());
    json_t *rows = json_array ();
    for (size_t r = 0; r < table->n_rows; r++) {
        const Cibus__Row *row = table->rows [r];
        json_t *cells = json_object ();
        for (size_t c = 0; c < table->n_columns && c < row->n_cells; c++)
            rc |= cibus_json_set (cells, table->columns [c], s_answer_cell_json (row->cells [c]));
        rc |= json_array_append_new (rows, cells);
    }
    rc |= cibus_json_set (object, "rows", rows);
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

json_t *
render_tables_json (const Cibus__QueryReply *result)
{
    json_t *object = json_object ();
    json_t *tables = json_array ();
    int rc = 0;
    for (size_t t = 0; t < result->n_tables; t++)
        rc |= json_array_append_new (tables, s_table_json (result->tables [t]));
    rc |= cibus_json_set (object, "tables", tables);
    if (rc) {
        json_decref (object);
        return NULL;
    }
    return object;
}

