/*  test_measure.c - shared measurement's rules, projections and settings,
    and data tables: each checked against the catalogue, its suppression
    decided once over the whole table in the append transaction, stored,
    and served to every reader as stored - through the store's API as the
    broker uses it (store_append, store_read_from, store_entry_bytes,
    store_query).

    Every refusal is asserted with its code, its field and its exact
    message: the message is what a partner reads and acts on. What a
    reader other than the owner and the backbone gets of a table is read
    as it gets it - the masked copy store_append returned (what the broker
    sent live) and the bytes store_entry_bytes picks on replay - and the
    proof that a hidden cell cannot be recovered is the disclosure audit
    run over exactly that: every version the reader received, each with
    the marks its copy carries, against the owner's whole table. The
    seven routes of issue 10 are replayed here at store level with the
    issue's numbers (min cell 10; a district's k3 result: total 168/410,
    black 52/160, hispanic 38/104, white 75/140, asian 3/6).             */

#include "measure_fixture.h"
#include "schema_undo.h"

#include "audit.h"
#include "cells.h"
#include "key_run.h"
#include "store_internal.h"

#include <math.h>
#include <sqlite3.h>

//  The schema's version after every migration (store.c).
#define S_LATEST_SCHEMA 19

//  ------------------------------------------------------------ the issue's indicator

static char *s_races [] = {"asian", "black", "hispanic", "white", "native", "pacific"};
static char *s_incomes [] = {"low", "high"};
#define S_RACES   (sizeof s_races / sizeof s_races [0])
#define S_INCOMES (sizeof s_incomes / sizeof s_incomes [0])

//  k3: third-grade reading, a quarterly percent in early-literacy, by race
//  and income (each with its categories in the catalogue) and by ethnicity
//  (any category, as a dimension the catalogue lists none for).
static void
s_define_k3 (world_t *self)
{
    indicator_msg_t m;
    indicator_msg (&m, "def-k3", "k3", "3rd-grade reading proficiency", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_dim (&m, "race");
    indicator_dim (&m, "income");
    indicator_dim (&m, "ethnicity");
    indicator_network (&m, "early-literacy");
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    Cibus__DimensionCategories income = CIBUS__DIMENSION_CATEGORIES__INIT;
    race.dimension = "race";
    race.categories = s_races;
    race.n_categories = S_RACES;
    income.dimension = "income";
    income.categories = s_incomes;
    income.n_categories = S_INCOMES;
    Cibus__DimensionCategories *lists [] = {&race, &income};
    m.def.categories = lists;
    m.def.n_categories = 2;
    PUBLISH_OK (self, &self->hub, &m.env);
}

//  The district's k3 result of the issue, from alice: one table.
static uint64_t
s_k3_table (world_t *self, const char *id)
{
    return world_table (self, &self->alice, id, "early-literacy", "k3", "2026-Q3", "168/410",
                        "race=black", "52/160", "race=hispanic", "38/104", "race=white", "75/140",
                        "race=asian", "3/6", NULL);
}

//  Route 2's table: the issue's without asian, whose 6 pupils are left
//  out of the feed (a remainder of the total), from alice.
static uint64_t
s_k3_remainder_table (world_t *self, const char *id, const char *period, const char *total)
{
    return world_table (self, &self->alice, id, "early-literacy", "k3", period, total, "race=black",
                        "52/160", "race=hispanic", "38/104", "race=white", "75/140", NULL);
}

//  The issue's table as a message, its total only: the cells follow.
static envelope_t *
s_k3_msg (table_msg_t *m, const char *id)
{
    return table_msg (m, id, "early-literacy", "k3", "2026-Q3", "168/410");
}

//  The issue's table with these cells (pairs of categories and counts,
//  ended by NULL), from alice, which the store must refuse in data.cells
//  with message.
static void
s_k3_refused (world_t *self, const char *id, const char *message, ...)
{
    table_msg_t m;
    s_k3_msg (&m, id);
    va_list cells;
    va_start (cells, message);
    const char *categories;
    while ((categories = va_arg (cells, const char *)) != NULL)
        table_cell (&m, categories, va_arg (cells, const char *));
    va_end (cells);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells", message);
}

//  The issue's table with its one small cell: black 52/160, asian 3/6.
static void
s_k3_small_msg (table_msg_t *m, const char *id)
{
    s_k3_msg (m, id);
    table_cell (m, "race=black", "52/160");
    table_cell (m, "race=asian", "3/6");
}

//  ------------------------------------------------------------ what a reader gets

//  A cell's name as the command line writes it: "total", "race=black",
//  "race=hispanic,income=low".
static void
s_cell_name (const Cibus__DataCell *cell, char *name, size_t size)
{
    size_t used = (size_t) snprintf (name, size, "%s", cell->n_dimensions ? "" : "total");
    for (size_t k = 0; k < cell->n_dimensions && used < size; k++)
        used += (size_t) snprintf (name + used, size - used, "%s%s=%s", k ? "," : "",
                                   cell->dimensions [k]->key, cell->dimensions [k]->value);
}

//  A cell as a reader sees it: "52/160" or "310.5@12" shown, "*small" and
//  "*complement" hidden (with "/SIZE" when its size is shown), "<=10/20"
//  coded, "*" suppressed at source in the owner's copy.
static void
s_cell_text (const Cibus__DataCell *cell, char *text, size_t size)
{
    char count [64] = "";
    if (cell->has_denominator)
        snprintf (count, sizeof count, "/%llu", (unsigned long long) cell->denominator);
    else if (cell->has_n)
        snprintf (count, sizeof count, "@%llu", (unsigned long long) cell->n);
    if (cell->has_disclosure && cell->disclosure == CIBUS__DISCLOSURE__CODED)
        snprintf (text, size, "%s%g%s", cell->low <= 0 ? "<=" : ">=",
                  cell->low <= 0 ? cell->high : cell->low, count);
    else if (cell->has_disclosure && cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_SMALL)
        snprintf (text, size, "*small%s", count);
    else if (cell->has_disclosure && cell->disclosure == CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT)
        snprintf (text, size, "*complement%s", count);
    else if (cell->has_suppressed && cell->suppressed)
        snprintf (text, size, "*%s", count);
    else if (cell->has_numerator)
        snprintf (text, size, "%llu%s", (unsigned long long) cell->numerator, count);
    else
        snprintf (text, size, "%g%s", cell->value, count);
}

//  A table as a reader got it, in one line: "v1 masked: total 168/410,
//  race=black 52/160, race=hispanic *complement, ...", "v1 whole: ..." for
//  the owner's copy, "v1 superseded" for a marker, "nothing".
static const char *
s_render (const envelope_t *env)
{
    static char text [4096];
    if (!env)
        return "nothing";
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_DATA);
    const Cibus__DataSubmission *data = env->data;
    size_t used = (size_t) snprintf (text, sizeof text, "v%u %s", data->version,
                                     data->superseded ? "superseded"
                                     : data->masked   ? "masked:"
                                                      : "whole:");
    if (data->superseded) {
        assert_null (data->total);
        assert_int_equal (data->n_cells, 0);
        return text;
    }
    assert_non_null (data->total);
    for (size_t i = 0; i <= data->n_cells && used < sizeof text; i++) {
        const Cibus__DataCell *cell = i ? data->cells [i - 1] : data->total;
        char name [256], value [96];
        s_cell_name (cell, name, sizeof name);
        s_cell_text (cell, value, sizeof value);
        used += (size_t) snprintf (text + used, sizeof text - used, "%s %s %s", i ? "," : "",
                                   name, value);
    }
    assert_true (used < sizeof text);
    return text;
}

//  A rendering kept: s_render's text lives only until its next call.
static const char *
s_keep (const char *text, char *copy, size_t size)
{
    snprintf (copy, size, "%s", text);
    return copy;
}

//  What reader gets of seq on replay, rendered.
static const char *
s_seen (world_t *self, uint64_t seq, const store_partner_t *reader)
{
    envelope_t *env = world_replay (self, seq, reader);
    const char *text = s_render (env);
    codec_envelope_free (env);
    return text;
}

//  The bytes the broker sent reader live for seq: store_entry_bytes over
//  what store_append returned, the one rule of which copy.
static const void *
s_live_bytes (const world_t *self, uint64_t seq, const store_partner_t *reader, size_t *size)
{
    const world_sent_t *sent = world_sent (self, seq);
    assert_non_null (sent);
    store_entry_t entry = {
        .seq = seq,
        .topic = "early-literacy/data",
        .envelope = sent->whole,
        .size = sent->whole_size,
        .owner = sent->owner [0] ? sent->owner : NULL,
        .masked = sent->masked,
        .masked_size = sent->masked_size,
    };
    return store_entry_bytes (&entry, reader, size);
}

//  What reader got of seq live, rendered.
static const char *
s_live (const world_t *self, uint64_t seq, const store_partner_t *reader)
{
    size_t size = 0;
    const void *bytes = s_live_bytes (self, seq, reader, &size);
    envelope_t *env = bytes && size ? codec_envelope_decode (bytes, size) : NULL;
    const char *text = s_render (env);
    codec_envelope_free (env);
    return text;
}

//  ------------------------------------------------------------ the proof

//  The catalogue of k3 as the disclosure module takes it.
static const disclosure_dimension_t s_k3_dimensions [] = {
    {"race", (const char *const *) s_races, S_RACES},
    {"income", (const char *const *) s_incomes, S_INCOMES},
    {"ethnicity", NULL, 0},
};

//  One table as a reader received it: the owner's whole table (the truth
//  the audit measures against) with the marks of the reader's copy.
typedef struct {
    envelope_t *whole, *received;
    char unit [2 * CIBUS_MAX_NAME + 2]; /* owner/unit: tables of two owners are two tables */
    disclosure_table_t table;
    disclosure_cell_t cells [TABLE_MAX_CELLS];
    disclosure_coord_t coords [TABLE_MAX_CELLS][CIBUS_MAX_CROSS];
    disclosure_mark_t marks [TABLE_MAX_CELLS];
    disclosure_decision_t decision;
} s_view_t;

static void
s_disclosure_cell (const Cibus__DataCell *cell, disclosure_cell_t *out,
                   disclosure_coord_t *coords)
{
    *out = (disclosure_cell_t) {
        .coords = coords,
        .coord_count = cell->n_dimensions,
        .suppressed = cell->has_suppressed && cell->suppressed,
        .has_numerator = cell->has_numerator,
        .numerator = cell->numerator,
        .has_denominator = cell->has_denominator,
        .denominator = cell->denominator,
        .has_n = cell->has_n,
        .n = cell->n,
    };
    for (size_t k = 0; k < cell->n_dimensions; k++)
        coords [k] = (disclosure_coord_t) {cell->dimensions [k]->key, cell->dimensions [k]->value};
}

//  A received cell must be the whole cell as its mark says, and nothing
//  more: shown, its counts; hidden, no numerator nor value, and its size
//  only when the mark shows it; coded, a range instead of its counts.
static disclosure_mark_t
s_received_mark (const Cibus__DataCell *whole, const Cibus__DataCell *got)
{
    char name [256];
    s_cell_name (whole, name, sizeof name);
    char got_name [256];
    s_cell_name (got, got_name, sizeof got_name);
    assert_string_equal (got_name, name);
    if (!got->has_disclosure)
        fail_msg ("%s: a masked copy's cell carries no disclosure", name);
    disclosure_mark_t mark = {.size_shown = got->has_denominator || got->has_n};
    if (got->has_denominator)
        assert_int_equal (got->denominator, whole->denominator);
    if (got->has_n)
        assert_int_equal (got->n, whole->n);
    switch (got->disclosure) {
        case CIBUS__DISCLOSURE__SHOWN:
            mark.state = DISCLOSURE_SHOWN;
            assert_int_equal (got->has_numerator, whole->has_numerator);
            assert_int_equal (got->numerator, whole->numerator);
            assert_int_equal (got->has_value, whole->has_value);
            assert_true (got->value == whole->value);
            assert_false (got->has_low || got->has_high);
            break;
        case CIBUS__DISCLOSURE__CODED:
            mark.state = DISCLOSURE_CODED;
            assert_true (got->has_low && got->has_high);
            mark.low = got->low;
            mark.high = got->high;
            assert_false (got->has_numerator || got->has_value);
            break;
        case CIBUS__DISCLOSURE__HIDDEN_SMALL:
        case CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT:
            mark.state = got->disclosure == CIBUS__DISCLOSURE__HIDDEN_SMALL
                             ? DISCLOSURE_HIDDEN_PRIMARY
                             : DISCLOSURE_HIDDEN_COMPLEMENT;
            assert_false (got->has_numerator || got->has_value || got->has_low || got->has_high);
            assert_true (got->has_suppressed && got->suppressed);
            break;
        default:
            fail_msg ("%s: disclosure %d is none a reader may get", name, got->disclosure);
    }
    return mark;
}

static void
s_view_fill (s_view_t *view, envelope_t *whole, envelope_t *received)
{
    memset (view, 0, sizeof *view);
    view->whole = whole;
    view->received = received;
    const Cibus__DataSubmission *data = whole->data, *got = received->data;
    assert_true (got->masked);
    assert_false (got->superseded);
    assert_int_equal (got->version, data->version);
    assert_int_equal (got->n_cells, data->n_cells);
    assert_true (data->n_cells <= TABLE_MAX_CELLS);
    snprintf (view->unit, sizeof view->unit, "%s/%s", data->owner, data->unit ? data->unit : "");
    view->table = (disclosure_table_t) {
        .indicator = data->indicator,
        .period = data->period,
        .unit = view->unit,
        .kind = DISCLOSURE_RATIO,
        .dimensions = s_k3_dimensions,
        .dimension_count = sizeof s_k3_dimensions / sizeof s_k3_dimensions [0],
        .cells = view->cells,
        .cell_count = data->n_cells,
    };
    s_disclosure_cell (data->total, &view->table.total, NULL);
    view->decision.total = s_received_mark (data->total, got->total);
    view->decision.cells = view->marks;
    for (size_t i = 0; i < data->n_cells; i++) {
        s_disclosure_cell (data->cells [i], &view->cells [i], view->coords [i]);
        view->marks [i] = s_received_mark (data->cells [i], got->cells [i]);
    }
}

//  Whether cell has every category of margin (NULL: the total) and one
//  more, of dimension.
static bool
s_under (const Cibus__DataCell *cell, const Cibus__DataCell *margin, const char *dimension)
{
    size_t count = margin ? margin->n_dimensions : 0;
    if (cell->n_dimensions != count + 1)
        return false;
    bool extra = false;
    for (size_t k = 0; k < cell->n_dimensions; k++) {
        const Cibus__Dimension *coord = cell->dimensions [k];
        bool found = false;
        for (size_t j = 0; j < count && !found; j++)
            found = strcmp (margin->dimensions [j]->key, coord->key) == 0
                    && strcmp (margin->dimensions [j]->value, coord->value) == 0;
        if (!found && strcmp (coord->key, dimension) == 0)
            extra = true;
        else if (!found)
            return false;
    }
    return extra;
}

static bool
s_unknown (const disclosure_mark_t *mark)
{
    return mark->state != DISCLOSURE_SHOWN;
}

//  The relation rule, checked on what the reader received: in every
//  relation - a margin (the total or a cell) against the cells of one more
//  dimension under it, and the people they leave out - a reader who knows
//  all members but one works that one out by subtraction. So a relation
//  with anything hidden or coded has at least two such members (the
//  margin counts, and so does a remainder the cells leave), and a
//  remainder beside members all shown is not small.
static void
s_assert_relations (const s_view_t *view, uint64_t min_cell)
{
    const Cibus__DataSubmission *data = view->whole->data;
    for (long m = -1; m < (long) data->n_cells; m++) {
        const Cibus__DataCell *margin = m < 0 ? NULL : data->cells [m];
        const disclosure_mark_t *margin_mark =
            m < 0 ? &view->decision.total : &view->marks [m];
        const Cibus__DataCell *of = m < 0 ? data->total : margin;
        for (size_t d = 0; d < view->table.dimension_count; d++) {
            const char *dimension = view->table.dimensions [d].name;
            size_t members = 0, unknown = s_unknown (margin_mark) ? 1 : 0;
            uint64_t size = 0, passed = 0;
            bool sizes_known = true;
            for (size_t i = 0; i < data->n_cells; i++) {
                if (!s_under (data->cells [i], margin, dimension))
                    continue;
                const Cibus__DataCell *cell = data->cells [i];
                members++;
                unknown += s_unknown (&view->marks [i]) ? 1 : 0;
                sizes_known = sizes_known && cell->has_denominator;
                size += cell->denominator;
                passed += cell->numerator;
            }
            if (members == 0)
                continue;
            bool remainder = !sizes_known || size < of->denominator || passed < of->numerator;
            uint64_t left = sizes_known ? of->denominator - size : 0;
            char name [256];
            s_cell_name (of, name, sizeof name);
            if (remainder && unknown > 0)
                unknown++;
            if (unknown == 1)
                fail_msg ("%s by %s: one member alone is hidden, a reader subtracts it", name,
                          dimension);
            if (remainder && unknown == 0 && sizes_known && left < min_cell)
                fail_msg ("%s by %s: the %llu people not reported follow by subtraction", name,
                          dimension, (unsigned long long) left);
        }
    }
}

//  Audit what reader received of these entries (versions of one table
//  oldest first): what it got live is what store_entry_bytes picks over
//  what store_append returned; on replay it gets the same bytes, or a
//  marker once a later version replaced the entry. Checks every masked
//  copy cell by cell against the owner's table, and, with relations, the
//  relation rule in each; then runs the audit over all of them and
//  returns how many cells it found exposed (printing each). Copies the
//  reader gets whole (its own tables) need no proof.
static size_t
s_audit_received (world_t *self, const store_partner_t *reader, const uint64_t *seqs,
                  size_t count, bool relations)
{
    disclosure_rules_t rules;
    disclosure_rules_default (&rules);
    rules.min_cell = (uint64_t) store_min_cell (self->store);
    s_view_t *views = calloc (count ? count : 1, sizeof *views);
    disclosure_view_t *audited = calloc (count ? count : 1, sizeof *audited);
    assert_true (views && audited);
    size_t used = 0;
    for (size_t k = 0; k < count; k++) {
        size_t size = 0;
        const void *live = s_live_bytes (self, seqs [k], reader, &size);
        assert_true (live && size);
        codec_buf_t replayed;
        world_replay_bytes (self, seqs [k], reader, &replayed);
        envelope_t *received = codec_envelope_decode (live, size);
        assert_non_null (received);
        if (replayed.size != size || memcmp (replayed.data, live, size) != 0) {
            //  Only a later version turns what was sent into a marker.
            envelope_t *marker = codec_envelope_decode (replayed.data, replayed.size);
            assert_non_null (marker);
            assert_true (marker->data->superseded && marker->data->masked);
            assert_int_equal (marker->data->version, received->data->version);
            assert_null (marker->data->total);
            assert_int_equal (marker->data->n_cells, 0);
            codec_envelope_free (marker);
        }
        codec_buf_release (&replayed);
        if (!received->data->masked) {
            codec_envelope_free (received);
            continue;
        }
        const world_sent_t *sent = world_sent (self, seqs [k]);
        envelope_t *whole = codec_envelope_decode (sent->whole, sent->whole_size);
        assert_non_null (whole);
        s_view_fill (&views [used], whole, received);
        if (relations)
            s_assert_relations (&views [used], rules.min_cell);
        audited [used] = (disclosure_view_t) {&views [used].table, &views [used].decision};
        used++;
    }
    disclosure_audit_t *audit = disclosure_audit_new (&rules);
    assert_non_null (audit);
    disclosure_problem_t problem = {0};
    cibus_err_t rc = disclosure_audit_run (audit, audited, used, &problem);
    if (rc)
        print_error ("the audit refused: %s\n", problem.message);
    assert_int_equal (rc, CIBUS_OK);
    assert_int_equal (disclosure_audit_tables (audit), used);
    size_t exposed = disclosure_audit_exposed_count (audit);
    for (size_t k = 0; k < exposed; k++)
        print_message ("exposed: %s - %s\n", disclosure_audit_exposed (audit, k)->what,
                       disclosure_audit_exposed (audit, k)->explanation);
    disclosure_audit_destroy (&audit);
    for (size_t k = 0; k < used; k++) {
        codec_envelope_free (views [k].whole);
        codec_envelope_free (views [k].received);
    }
    free (views);
    free (audited);
    return exposed;
}

//  Prove that reader can recover no hidden cell from what it received of
//  these entries: the relation rule holds in every copy, and the audit
//  finds nothing exposed.
static void
s_assert_protected (world_t *self, const store_partner_t *reader, const uint64_t *seqs,
                    size_t count)
{
    assert_int_equal (s_audit_received (self, reader, seqs, count, true), 0);
}

//  The stored entry of a seq as the backbone reads it: the whole entry.
static envelope_t *
s_stored (world_t *self, uint64_t seq)
{
    envelope_t *env = world_replay (self, seq, &self->hub);
    assert_non_null (env);
    return env;
}

//  Ask for values (and history) of an indicator, as reader.
static const char *
s_values (world_t *self, const store_partner_t *reader, const char *indicator, const char *by,
          bool history)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "values";
    query.indicator = (char *) indicator;
    query.by = (char *) by;
    query.has_history = query.history = history;
    //  Each unit's table as it was decided, not the initiative's pool.
    query.has_units = query.units = true;
    store_answer_t *reply = world_query (self, &query, reader);
    static char text [16384];
    char title [128];
    snprintf (title, sizeof title, "%s of %s", history ? "history" : "values", indicator);
    snprintf (text, sizeof text, "%s", world_render (reply, title));
    store_answer_free (reply);
    return text;
}

//  ------------------------------------------------------------ the catalogue

static void
test_measure_backbone_defines_an_indicator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_table (self, &self->alice, "d1", "early-literacy", "k3-reading", "2026-Q1", "246/400",
                 NULL);
    assert_int_equal (store_last_seq (self->store), 2);
}

static void
test_measure_only_the_backbone_defines_indicators (void **state)
{
    world_t *self = *state;
    indicator_msg_t m;
    indicator_msg (&m, "def", "k3-reading", "reading", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_FORBIDDEN, "indicator",
                     "only the backbone defines indicators");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_FORBIDDEN, "indicator",
                     "only the backbone defines indicators");
    assert_int_equal (store_last_seq (self->store), 0);
}

static void
test_measure_redefinition_is_the_next_version_and_in_force (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-k3-v2", "k3-reading", "3rd-grade reading proficiency",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    indicator_range (&def, 0, 90);
    indicator_dim (&def, "race");
    PUBLISH_OK (self, &self->hub, &def.env);

    //  Version 2 no longer restricts networks, allows only race, caps at 90.
    table_msg_t m;
    table_msg (&m, "d1", "postsecondary", "k3-reading", "2026-Q1", "19/20");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 95 is outside the range of indicator 'k3-reading' [0, 90]");
    table_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q1", "100/200");
    table_cell (&m, "income=low", "50/100");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell income=low: 'income' is not a dimension of k3-reading");
    world_table (self, &self->bob, "d3", "postsecondary", "k3-reading", "2026-Q1", "17/20", NULL);
}

//  More indicators than the store keeps decoded: each table is judged by
//  its own indicator's definition, whether the store lends it from its
//  cache or, the cache full, reads a copy of its own. A refusal aborts its
//  batch and empties the cache, so each table past the cache is sent in a
//  batch that first fills it.
#define S_INDICATORS (STORE_CATALOG_CACHE + 6)

static void
test_measure_more_indicators_than_the_cache_are_each_judged_by_their_own (void **state)
{
    world_t *self = *state;
    for (int i = 0; i < S_INDICATORS; i++) {
        char entry [32], id [32];
        snprintf (entry, sizeof entry, "def-%02d", i);
        snprintf (id, sizeof id, "ind-%02d", i);
        indicator_msg_t def;
        indicator_msg (&def, entry, id, "an indicator", CIBUS__UNIT__PERCENT,
                       CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
        indicator_range (&def, 0, i % 2 ? 90 : 40);
        PUBLISH_OK (self, &self->hub, &def.env);
    }
    uint64_t stored = S_INDICATORS;
    for (int i = STORE_CATALOG_CACHE; i < S_INDICATORS; i++) {
        char id [32], table_id [32];
        codec_problem_t problem;
        table_msg_t m;
        assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
        for (int j = 0; j < STORE_CATALOG_CACHE; j++) {
            snprintf (id, sizeof id, "ind-%02d", j);
            snprintf (table_id, sizeof table_id, "fill-%02d-%02d", i, j);
            table_msg (&m, table_id, "early-literacy", id, "2026-Q1", "30/100");
            assert_int_equal (world_add (self, &self->alice, &m.env, &problem), CIBUS_OK);
        }
        snprintf (id, sizeof id, "ind-%02d", i);
        snprintf (table_id, sizeof table_id, "t-%02d", i);
        table_msg (&m, table_id, "early-literacy", id, "2026-Q1", "60/100");
        cibus_err_t rc = world_add (self, &self->alice, &m.env, &problem);
        if (i % 2) {
            assert_int_equal (rc, CIBUS_OK);
            assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
            stored += STORE_CATALOG_CACHE + 1;
            continue;
        }
        char message [160];
        snprintf (message, sizeof message,
                  "the total: value 60 is outside the range of indicator '%s' [0, 40]", id);
        assert_int_equal (rc, CIBUS_ERR_BAD_FIELD);
        assert_string_equal (problem.message, message);
        store_batch_abort (self->store);
    }
    assert_int_equal (store_last_seq (self->store), stored);
}

//  ------------------------------------------------------------ a table against the catalogue

static void
test_measure_refuses_an_indicator_not_in_the_catalogue (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-readin", "2026-Q1", "61/100");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.indicator",
                     "indicator 'k3-readin' is not in the catalogue");
    assert_int_equal (store_last_seq (self->store), 1);
}

static void
test_measure_refuses_an_indicator_not_used_in_the_network (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    table_msg_t m;
    table_msg (&m, "d1", "postsecondary", "k3-reading", "2026-Q1", "61/100");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.indicator",
                     "indicator 'k3-reading' is not used in network 'postsecondary'");
}

static void
test_measure_refuses_a_period_of_another_kind (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    world_define_absence (self);
    table_msg_t m;
    codec_problem_t problem;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-13", "61/100");
    //  No kind has the shape 2026-13: the codec refuses it before the store
    //  (in the client, too); the catalogue's rule says the same for the kind.
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "field 'data.period' expects a school year like 2025-26, a quarter like "
                     "2026-Q3, a month like 2026-09 or a date like 2026-09-15, got '2026-13'");
    assert_int_equal (store_check_entry (self->store, &m.env, &self->alice, &problem),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (problem.field, "data.period");
    assert_string_equal (problem.message,
                         "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2026-13'");
    table_msg (&m, "d2", "early-literacy", "k3-reading", "2025-26", "61/100");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'k3-reading' expects a quarter like 2026-Q3, got '2025-26'");
    table_msg (&m, "d3", "postsecondary", "fafsa", "2026-Q1", "120@300");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'fafsa' expects a school year like 2025-26, got '2026-Q1'");
    table_msg (&m, "d4", "postsecondary", "absence", "2026-09-15", "20/100");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.period",
                     "indicator 'absence' expects a month like 2026-09, got '2026-09-15'");
    //  Each kind's own shape is accepted.
    world_table (self, &self->bob, "d5", "postsecondary", "fafsa", "2025-26", "120@300", NULL);
    world_table (self, &self->bob, "d6", "postsecondary", "absence", "2026-09", "20/100", NULL);
}

//  A value given or derived lies within the indicator's range: its min and
//  max, else the unit's (a percent 0..100, a rate 0..1, a count 0 or more).
static void
test_measure_refuses_a_value_outside_the_range (void **state)
{
    world_t *self = *state;
    world_define_fafsa (self);
    indicator_msg_t def;
    indicator_msg (&def, "def-score", "math-score", "8th-grade math scale score",
                   CIBUS__UNIT__SCORE, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_range (&def, 100, 600);
    indicator_dim (&def, "race");
    PUBLISH_OK (self, &self->hub, &def.env);
    indicator_msg (&def, "def-pass", "pass-rate", "share passing, at most 90 %",
                   CIBUS__UNIT__PERCENT, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_range (&def, 10, 90);
    PUBLISH_OK (self, &self->hub, &def.env);

    table_msg_t m;
    table_msg (&m, "d1", "postsecondary", "fafsa", "2025-26", "-1@300");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value -1 is outside the range of indicator 'fafsa' [0, inf]");
    table_msg (&m, "d2", "early-literacy", "math-score", "2025-26", "310.5@40");
    table_cell (&m, "race=black", "99.5@12");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell race=black: value 99.5 is outside the range of indicator "
                     "'math-score' [100, 600]");
    //  A percent derived from its counts is judged like one given.
    table_msg (&m, "d3", "early-literacy", "pass-rate", "2025-26", "19/20");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 95 is outside the range of indicator 'pass-rate' [10, 90]");
    table_msg (&m, "d4", "early-literacy", "pass-rate", "2025-26", "1/20");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 5 is outside the range of indicator 'pass-rate' [10, 90]");
    //  The bounds themselves are inside.
    world_table (self, &self->alice, "d5", "early-literacy", "math-score", "2025-26", "600@40",
                 "race=black", "100@12", NULL);
    world_table (self, &self->alice, "d6", "early-literacy", "pass-rate", "2025-26", "18/20",
                 NULL);
    world_table (self, &self->bob, "d7", "postsecondary", "fafsa", "2025-26", "0@300", NULL);
}

static void
test_measure_refuses_a_value_that_is_not_finite (void **state)
{
    world_t *self = *state;
    world_define_fafsa (self);
    table_msg_t m;
    table_msg (&m, "d1", "postsecondary", "fafsa", "2025-26", "120@300");
    table_value (&m.total, NAN);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: its value must be a finite number, got nan");
    table_value (&m.total, INFINITY);
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: its value must be a finite number, got inf");
}

static void
test_measure_refuses_a_value_that_disagrees_with_its_counts (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_absence (self);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1", "254/412");
    table_value (&m.total, 60);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 60 disagrees with 254/412 = 61.65");
    //  254/412 = 61.6505 %: one decimal either way of it is the same number.
    table_value (&m.total, 61.6);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 61.6 disagrees with 254/412 = 61.65");
    table_value (&m.total, 61.7);
    PUBLISH_OK (self, &self->alice, &m.env);
    table_msg (&m, "d2", "early-literacy", "k3-reading", "2026-Q2", "254/412");
    table_value (&m.total, 61.65);
    PUBLISH_OK (self, &self->alice, &m.env);

    table_msg (&m, "d3", "early-literacy", "absence", "2026-09", "254/412");
    table_value (table_cell (&m, "grade=3", "100/200"), 0.6);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell grade=3: value 0.6 disagrees with 100/200 = 0.5");
    table_msg (&m, "d3", "early-literacy", "absence", "2026-09", "254/412");
    table_value (&m.total, 0.6);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 0.6 disagrees with 254/412 = 0.6165");
    table_value (&m.total, 0.616);
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: value 0.616 disagrees with 254/412 = 0.6165");
    table_value (&m.total, 0.617);
    PUBLISH_OK (self, &self->alice, &m.env);
}

//  A percent's and a rate's value is derived from its counts, and the log
//  keeps it: the owner reads it whole.
static void
test_measure_stores_the_value_derived_from_the_counts (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_absence (self);
    uint64_t seq = world_table (self, &self->alice, "d1", "early-literacy", "k3-reading",
                                "2026-Q1", "254/412", "race=black", "1/4", NULL);
    envelope_t *env = s_stored (self, seq);
    assert_true (env->data->total->has_value);
    assert_true (fabs (env->data->total->value - 61.650485) < 1e-6);
    assert_true (env->data->cells [0]->has_value);
    assert_true (env->data->cells [0]->value == 25.0);
    assert_int_equal (env->data->cells [0]->numerator, 1);
    assert_int_equal (env->data->cells [0]->denominator, 4);
    codec_envelope_free (env);
    seq = world_table (self, &self->alice, "d2", "early-literacy", "absence", "2026-09", "3/12",
                       NULL);
    env = s_stored (self, seq);
    assert_true (env->data->total->value == 0.25);
    codec_envelope_free (env);
}

static void
test_measure_a_count_needs_its_value (void **state)
{
    world_t *self = *state;
    world_define_fafsa (self);
    table_msg_t m;
    table_msg (&m, "d1", "postsecondary", "fafsa", "2025-26", "120/300");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: a count or amount carries a value and n, not a numerator or "
                     "denominator");
    table_msg (&m, "d1", "postsecondary", "fafsa", "2025-26", "120@300");
    PUBLISH_OK (self, &self->bob, &m.env);
}

static void
test_measure_refuses_a_zero_denominator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1", "0/0");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: has a denominator of 0");
}

static void
test_measure_refuses_a_numerator_above_its_denominator (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1", "5/4");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "the total: 5/4 has a numerator above its denominator");
}

//  A dimension with categories in the catalogue takes only those.
static void
test_measure_a_dimension_takes_only_its_categories (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    s_k3_refused (self, "d1", "cell race=martian: 'martian' is not a category of race",
                  "race=martian", "3/6", NULL);
    //  A dimension without categories takes any.
    world_table (self, &self->alice, "d2", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", "ethnicity=latino", "38/104", NULL);
}

static void
test_measure_refuses_a_dimension_the_indicator_does_not_allow (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    world_define_fafsa (self);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1", "61/100");
    table_cell (&m, "race=black,zip=45202", "11/20");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell race=black,zip=45202: 'zip' is not a dimension of k3-reading");
    table_msg (&m, "d2", "postsecondary", "fafsa", "2025-26", "120@300");
    table_cell (&m, "race=black", "61@100");
    PUBLISH_REFUSED (self, &self->bob, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell race=black: 'race' is not a dimension of fafsa");
    //  Two allowed dimensions together are one cell of a cross.
    world_table (self, &self->alice, "d3", "early-literacy", "k3-reading", "2026-Q1", "61/100",
                 "race=black,income=low", "11/20", NULL);
}

//  ------------------------------------------------------------ a table is checked whole

//  A breakdown without its total cannot even be said: the codec refuses it.
static void
test_measure_a_table_has_its_total (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    s_k3_msg (&m, "d1");
    table_cell (&m, "race=black", "52/160");
    m.data.total = NULL;
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.total",
                     "field 'data.total' is required: a table is released with its total");
    assert_int_equal (store_last_seq (self->store), 1);
}

//  Route 4's overlapping dimensions: ethnicity=hispanic (104) beside
//  race=hispanic would count the same pupils twice.
static void
test_measure_refuses_a_category_of_two_dimensions (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    s_k3_refused (self, "d1",
                  "cell ethnicity=hispanic: category 'hispanic' is listed under both race and "
                  "ethnicity, so its people would be counted twice",
                  "race=black", "52/160", "race=hispanic", "38/104", "ethnicity=hispanic", "38/104",
                  NULL);
    assert_int_equal (store_last_seq (self->store), 1);
}

static void
test_measure_refuses_cells_above_their_total (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    s_k3_refused (self, "d1",
                  "cell race=native: the cells of race add up to 420 people, more than the 410 "
                  "of the total",
                  "race=black", "52/160", "race=hispanic", "38/104", "race=white", "75/140",
                  "race=asian", "3/6", "race=native", "1/10", NULL);
    //  A cross against its margin, the same way.
    s_k3_refused (self, "d2",
                  "cell race=hispanic,income=high: the cells of race=hispanic by income add up "
                  "to 110 people, more than the 104 of race=hispanic",
                  "race=hispanic", "38/104", "race=hispanic,income=low", "20/70",
                  "race=hispanic,income=high", "18/40", NULL);
    assert_int_equal (store_last_seq (self->store), 1);
}

static void
test_measure_refuses_a_numerator_above_the_denominator_naming_the_cell (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    s_k3_refused (self, "d1", "cell race=asian: 7/6 has a numerator above its denominator",
                  "race=black", "52/160", "race=asian", "7/6", NULL);
    //  The same cell twice, whatever the order of its categories.
    s_k3_refused (self, "d2", "cell income=low,race=hispanic: is given twice",
                  "race=hispanic,income=low", "20/70", "income=low,race=hispanic", "20/70", NULL);
    assert_int_equal (store_last_seq (self->store), 1);
}

//  ------------------------------------------------------------ the append path

static void
test_measure_a_submission_may_follow_its_definition_in_one_batch (void **state)
{
    world_t *self = *state;
    indicator_msg_t def;
    indicator_msg (&def, "def-k3", "k3-reading", "reading", CIBUS__UNIT__PERCENT,
                   CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__QUARTER);
    table_msg_t m;
    table_msg (&m, "d1", "early-literacy", "k3-reading", "2026-Q1", "61/100");
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->hub, &def.env, &problem), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &m.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_int_equal (store_last_seq (self->store), 2);
}

//  A correction may follow its first version in the same batch: the
//  second is judged against the first as the open transaction holds it.
static void
test_measure_a_correction_may_follow_its_table_in_one_batch (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t first, second;
    s_k3_msg (&first, "v1");
    table_cell (&first, "race=asian", "3/6");
    table_cell (&first, "race=hispanic", "38/104");
    s_k3_msg (&second, "v2");
    table_cell (&second, "race=asian", "3/6");
    table_cell (&second, "race=hispanic", "38/104");
    table_cell (&second, "race=black", "52/160");
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &first.env, &problem), CIBUS_OK);
    assert_int_equal (self->appended.superseded, 0);
    assert_int_equal (world_add (self, &self->alice, &second.env, &problem), CIBUS_OK);
    assert_int_equal (self->appended.superseded, 2);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_string_equal (s_seen (self, 2, &self->carol), "v1 superseded");
    assert_string_equal (s_seen (self, 3, &self->alice),
                         "v2 whole: total 168/410, race=asian 3/6, race=hispanic 38/104, "
                         "race=black 52/160");
}

static void
test_measure_an_aborted_batch_leaves_no_projection (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    store_batch_abort (self->store);

    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
    //  A commit that fails rolls the projection back with the entry.
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    store_inject_fault (self->store, STORE_FAULT_COMMIT);
    assert_int_equal (store_batch_commit (self->store), CIBUS_ERR_STORE);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
    //  A table whose commit failed left no version behind: the next one is
    //  version 1, and the values know nothing of the lost one.
    table_msg_t m;
    table_msg (&m, "lost", "early-literacy", "k3-reading", "2026-Q1", "61/100");
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &m.env, &problem), CIBUS_OK);
    store_inject_fault (self->store, STORE_FAULT_COMMIT);
    assert_int_equal (store_batch_commit (self->store), CIBUS_ERR_STORE);
    uint64_t seq = world_table (self, &self->alice, "kept", "early-literacy", "k3-reading",
                                "2026-Q1", "62/100", NULL);
    assert_string_equal (s_seen (self, seq, &self->carol), "v1 masked: total 62/100");
    assert_string_equal (s_values (self, &self->carol, "k3-reading", NULL, false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q1|all|alice|62|100|final|62|\n");
}

//  A table published again under its id is the log's duplicate: the
//  first seq, no second version.
static void
test_measure_a_repeated_table_is_a_duplicate_not_a_version (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = s_k3_table (self, "k3-q3");
    assert_false (self->appended.duplicate);
    uint64_t again = s_k3_table (self, "k3-q3");
    assert_true (self->appended.duplicate);
    assert_int_equal (again, seq);
    assert_int_equal (store_last_seq (self->store), seq);
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small");
}

//  A unit under the owner (a school of a district) has tables of its own,
//  beside the owner's.
static void
test_measure_a_unit_has_tables_of_its_own (void **state)
{
    world_t *self = *state;
    world_define_k3 (self);
    uint64_t district = world_table (self, &self->alice, "d", "early-literacy", "k3-reading",
                                     "2026-Q1", "244/400", NULL);
    table_msg_t m;
    table_msg (&m, "s", "early-literacy", "k3-reading", "2026-Q1", "61/100");
    table_unit (&m, "lincoln-elementary");
    PUBLISH_OK (self, &self->alice, &m.env);
    uint64_t school = self->appended.seq;
    assert_int_equal (self->appended.superseded, 0);
    assert_string_equal (s_seen (self, district, &self->carol), "v1 masked: total 244/400");
    envelope_t *env = world_replay (self, school, &self->carol);
    assert_non_null (env);
    assert_string_equal (env->data->unit, "lincoln-elementary");
    assert_string_equal (env->data->owner, "alice");
    assert_string_equal (s_render (env), "v1 masked: total 61/100");
    codec_envelope_free (env);
    assert_string_equal (s_values (self, &self->carol, "k3-reading", NULL, false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q1|all|alice|61|400|final|62|\n"
                         "2026-Q1|all|alice/lincoln-elementary|61|100|final|62|\n");
}

//  ------------------------------------------------------------ commitments

static const char *
s_commitments (world_t *self, const store_partner_t *reader)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "commitments";
    query.today = "2026-06-01";
    store_answer_t *reply = world_query (self, &query, reader);
    static char text [16384];
    snprintf (text, sizeof text, "%s", world_render (reply, "commitments"));
    store_answer_free (reply);
    return text;
}

static void
test_measure_commitment_lifecycle_committed_at_risk_done (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "committed|2026-01-05|no\n");
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "one library lost its room");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "at-risk|2026-01-06|no\n");
    update_msg (&c, "u2", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_string_equal (s_commitments (self, &self->hub),
                         "id|owner|network|action|due|status|updated|overdue\n"
                         "c1|alice|early-literacy|open 3 leveled libraries|2026-12-15|"
                         "done|2026-01-07|no\n");
    update_msg (&c, "u3", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already done: it cannot change");
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already done: it cannot change");
}

static void
test_measure_a_dropped_commitment_cannot_change (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "summer reading camp", "2026-08-01");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DROPPED,
                "no funding");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u2", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_BAD_FIELD, "update.status",
                     "commitment 'c1' is already dropped: it cannot change");
}

static void
test_measure_update_of_an_unknown_commitment_is_refused (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    update_msg (&c, "u1", "early-literacy", "c404", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->alice, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c404' does not exist");
}

static void
test_measure_only_the_owner_or_the_backbone_updates_a_commitment (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_REFUSED (self, &self->carol, &c.env, CIBUS_ERR_FORBIDDEN, "update.commitment_id",
                     "only the owner 'alice' or the backbone may update commitment 'c1'");
    //  An integrator reads nothing, so it is not told that c1 exists.
    PUBLISH_REFUSED (self, &self->feed, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__AT_RISK,
                "checked in with alice");
    PUBLISH_OK (self, &self->hub, &c.env);
    assert_non_null (strstr (s_commitments (self, &self->hub), "|at-risk|"));
}

//  The refusal of an update, as a publisher sees it.
static codec_problem_t
s_update_refusal (world_t *self, const store_partner_t *who, const char *network,
                  const char *commitment)
{
    collab_msg_t c;
    update_msg (&c, "u-probe", network, commitment, CIBUS__COMMITMENT_STATUS__DONE, NULL);
    codec_problem_t problem;
    assert_int_not_equal (world_publish (self, who, &c.env, &problem), CIBUS_OK);
    return problem;
}

static void
test_measure_a_commitment_outside_the_readers_networks_is_not_found (void **state)
{
    world_t *self = *state;
    //  What bob (postsecondary) is told of c1 before anyone made it...
    codec_problem_t missing = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (missing.code, CIBUS_ERR_NOT_FOUND);
    assert_string_equal (missing.field, "update.commitment_id");
    assert_string_equal (missing.message, "commitment 'c1' does not exist");
    //  ...is what he is told once alice made it in early-literacy, word for
    //  word: not that it exists, nor whose it is, where it lives or its state.
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    codec_problem_t hidden = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.field, missing.field, sizeof missing.field);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    update_msg (&c, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__DONE, NULL);
    PUBLISH_OK (self, &self->alice, &c.env);
    hidden = s_update_refusal (self, &self->bob, "postsecondary", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    //  The same under the commitment's own topic, were the broker to let
    //  it through.
    hidden = s_update_refusal (self, &self->bob, "early-literacy", "c1");
    assert_int_equal (hidden.code, missing.code);
    assert_memory_equal (hidden.message, missing.message, sizeof missing.message);
    //  Readers of the network keep the reasons they may read.
    codec_problem_t told = s_update_refusal (self, &self->carol, "early-literacy", "c1");
    assert_int_equal (told.code, CIBUS_ERR_FORBIDDEN);
    assert_string_equal (told.message,
                         "only the owner 'alice' or the backbone may update commitment 'c1'");
    told = s_update_refusal (self, &self->hub, "early-literacy", "c1");
    assert_int_equal (told.code, CIBUS_ERR_BAD_FIELD);
    assert_string_equal (told.message, "commitment 'c1' is already done: it cannot change");
    assert_int_equal (store_last_seq (self->store), 2);
}

//  A commitment is found in the network its update travels in: the same
//  id elsewhere is another commitment, or none.
static void
test_measure_an_update_travels_in_its_commitment_network (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    update_msg (&c, "u1", "postsecondary", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_REFUSED (self, &self->hub, &c.env, CIBUS_ERR_NOT_FOUND, "update.commitment_id",
                     "commitment 'c1' does not exist");
}

static void
test_measure_an_update_may_follow_its_commitment_in_one_batch (void **state)
{
    world_t *self = *state;
    collab_msg_t c, u;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    update_msg (&u, "u1", "early-literacy", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    codec_problem_t problem;
    assert_int_equal (store_batch_begin (self->store), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &c.env, &problem), CIBUS_OK);
    assert_int_equal (world_add (self, &self->alice, &u.env, &problem), CIBUS_OK);
    assert_int_equal (store_batch_commit (self->store), CIBUS_OK);
    assert_non_null (strstr (s_commitments (self, &self->hub), "|on-track|"));
}

static void
test_measure_a_commitment_id_belongs_to_one_partner (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c1", "early-literacy", "tutor 40 students", "2026-10-01");
    PUBLISH_REFUSED (self, &self->carol, &c.env, CIBUS_ERR_EXISTS, "id",
                     "commitment 'c1' already exists, made by 'alice': choose another id");
    //  The owner's retry is the log's duplicate, not a refusal.
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_int_equal (store_last_seq (self->store), 1);
}

//  An id taken in a network bob may not read tells him nothing: in his own
//  network it is free, and his commitment and alice's live side by side.
static void
test_measure_a_taken_commitment_id_tells_an_outsider_nothing (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    commitment_msg (&c, "c1", "early-literacy", "open 3 leveled libraries", "2026-12-15");
    PUBLISH_OK (self, &self->alice, &c.env);
    commitment_msg (&c, "c1", "postsecondary", "tutor 40 students", "2026-10-01");
    PUBLISH_OK (self, &self->bob, &c.env);
    assert_int_equal (store_last_seq (self->store), 2);
    update_msg (&c, "u1", "postsecondary", "c1", CIBUS__COMMITMENT_STATUS__ON_TRACK, NULL);
    PUBLISH_OK (self, &self->bob, &c.env);
    const char *seen = s_commitments (self, &self->hub);
    assert_non_null (strstr (seen, "|alice|early-literacy|open 3 leveled libraries|"));
    assert_non_null (strstr (seen, "|bob|postsecondary|tutor 40 students|"));
}

static void
test_measure_who_may_read_a_network (void **state)
{
    world_t *self = *state;
    assert_true (store_may_read (&self->hub, "early-literacy"));
    assert_true (store_may_read (&self->hub, "anywhere"));
    assert_true (store_may_read (&self->alice, "early-literacy"));
    assert_false (store_may_read (&self->alice, "postsecondary"));
    //  The catalogue is every partner's to read, and no integrator's.
    assert_true (store_may_read (&self->bob, CODEC_CATALOG_NETWORK));
    assert_false (store_may_read (&self->feed, "early-literacy"));
    assert_false (store_may_read (&self->feed, CODEC_CATALOG_NETWORK));
    assert_false (store_may_read (&self->alice, NULL));
}

//  ------------------------------------------------------------ config

static void
test_measure_min_cell_defaults_to_ten (void **state)
{
    world_t *self = *state;
    char value [32];
    assert_int_equal (store_min_cell (self->store), MEASURE_MIN_CELL_DEFAULT);
    assert_int_equal (store_min_cell (self->store), 10);
    assert_int_equal (store_config_get (self->store, "min-cell", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "10");
    //  And the other settings' defaults: coding on, NCES 2011-603's
    //  protection of half a small cell, +-10 % for a value.
    assert_int_equal (store_config_get (self->store, "coding", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "1");
    assert_int_equal (store_config_get (self->store, "protection", value, sizeof value),
                      CIBUS_OK);
    assert_string_equal (value, "50");
    assert_int_equal (store_config_get (self->store, "value-protection", value, sizeof value),
                      CIBUS_OK);
    assert_string_equal (value, "10");
}

static void
test_measure_config_sets_min_cell_and_keeps_it (void **state)
{
    world_t *self = *state;
    char error [256] = "untouched", value [32];
    assert_int_equal (store_config_set (self->store, "min-cell", "5", error, sizeof error),
                      CIBUS_OK);
    assert_string_equal (error, "");
    assert_int_equal (store_min_cell (self->store), 5);
    assert_int_equal (store_config_set (self->store, "protection", "75", error, sizeof error),
                      CIBUS_OK);
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_min_cell (self->store), 5);
    assert_int_equal (store_config_get (self->store, "min-cell", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "5");
    assert_int_equal (store_config_get (self->store, "protection", value, sizeof value),
                      CIBUS_OK);
    assert_string_equal (value, "75");
    assert_int_equal (store_config_set (self->store, "min-cell", "30", NULL, 0), CIBUS_OK);
    assert_int_equal (store_min_cell (self->store), 30);
}

static void
test_measure_config_refuses_bad_settings (void **state)
{
    world_t *self = *state;
    char error [256], value [32];
    static const struct {
        const char *key, *value, *error;
    } bad [] = {
        {"min-cell", "0", "min-cell must be a whole number from 1 to 100, got '0'"},
        {"min-cell", "101", "min-cell must be a whole number from 1 to 100, got '101'"},
        {"min-cell", "ten", "min-cell must be a whole number from 1 to 100, got 'ten'"},
        {"min-cell", "", "min-cell must be a whole number from 1 to 100, got ''"},
        {"min-cell", "10x", "min-cell must be a whole number from 1 to 100, got '10x'"},
        {"min-cell", "-5", "min-cell must be a whole number from 1 to 100, got '-5'"},
        {"coding", "2", "coding must be a whole number from 0 to 1, got '2'"},
        {"coding", "yes", "coding must be a whole number from 0 to 1, got 'yes'"},
        {"protection", "0", "protection must be a whole number from 1 to 100, got '0'"},
        {"value-protection", "101",
         "value-protection must be a whole number from 1 to 100, got '101'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_int_equal (
            store_config_set (self->store, bad [i].key, bad [i].value, error, sizeof error),
            CIBUS_ERR_BAD_FIELD);
        assert_string_equal (error, bad [i].error);
    }
    assert_int_equal (store_config_set (self->store, "max-cell", "5", error, sizeof error),
                      CIBUS_ERR_BAD_FIELD);
    assert_string_equal (error, "unknown setting 'max-cell': the settings are min-cell, coding, "
                                "protection, value-protection");
    assert_int_equal (store_config_get (self->store, "max-cell", value, sizeof value),
                      CIBUS_ERR_NOT_FOUND);
    assert_int_equal (store_min_cell (self->store), 10);
    assert_int_equal (store_config_get (self->store, "coding", value, sizeof value), CIBUS_OK);
    assert_string_equal (value, "1");
    //  The limits themselves are allowed.
    assert_int_equal (store_config_set (self->store, "min-cell", "1", error, sizeof error),
                      CIBUS_OK);
    assert_int_equal (store_config_set (self->store, "min-cell", "100", error, sizeof error),
                      CIBUS_OK);
    assert_int_equal (store_min_cell (self->store), 100);
    assert_int_equal (store_config_set (self->store, "coding", "0", error, sizeof error),
                      CIBUS_OK);
    assert_int_equal (store_config_set (self->store, "protection", "100", error, sizeof error),
                      CIBUS_OK);
}

//  ------------------------------------------------------------ decided once

//  The decision is made in the append, over the whole table, and stored:
//  the masked copy store_append returns (what the broker sends live) is
//  the one every replay serves, byte for byte; the owner and the backbone
//  get the whole entry; and a later setting changes nothing already sent.
static void
test_measure_a_table_is_decided_once_and_served_as_stored (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = s_k3_table (self, "k3-q3");
    const store_appended_t *out = &self->appended;
    assert_false (out->duplicate);
    assert_string_equal (out->owner, "alice");
    assert_int_equal (out->superseded, 0);
    assert_true (out->whole.size > 0 && out->masked.size > 0);
    envelope_t *masked = codec_envelope_decode (out->masked.data, out->masked.size);
    assert_non_null (masked);
    assert_string_equal (s_render (masked),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small");
    assert_string_equal (masked->data->owner, "alice");
    assert_string_equal (masked->partner, "alice");
    assert_int_equal (masked->seq, seq);
    codec_envelope_free (masked);

    //  Replay serves the same bytes to carol, every time.
    codec_buf_t masked_copy = {0}, whole_copy = {0};
    codec_buf_t again;
    world_replay_bytes (self, seq, &self->carol, &masked_copy);
    assert_int_equal (masked_copy.size, out->masked.size);
    assert_memory_equal (masked_copy.data, out->masked.data, out->masked.size);
    world_replay_bytes (self, seq, &self->carol, &again);
    assert_int_equal (again.size, masked_copy.size);
    assert_memory_equal (again.data, masked_copy.data, masked_copy.size);
    codec_buf_release (&again);
    //  The owner and the backbone get the entry whole, as stored.
    world_replay_bytes (self, seq, &self->alice, &whole_copy);
    assert_int_equal (whole_copy.size, out->whole.size);
    assert_memory_equal (whole_copy.data, out->whole.data, out->whole.size);
    world_replay_bytes (self, seq, &self->hub, &again);
    assert_int_equal (again.size, whole_copy.size);
    assert_memory_equal (again.data, whole_copy.data, whole_copy.size);
    codec_buf_release (&again);
    assert_string_equal (s_seen (self, seq, &self->alice),
                         "v1 whole: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140, race=asian 3/6");
    char live [4096];
    assert_string_equal (s_keep (s_live (self, seq, &self->carol), live, sizeof live),
                         s_seen (self, seq, &self->carol));

    //  A smaller min-cell would show asian (6 pupils) in a new table; this
    //  one stays as decided, on replay and in every query.
    const char *values = "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|40.9756|410|final||\n"
                         "2026-Q3|asian|alice|*|*|final||\n"
                         "2026-Q3|black|alice|32.5|160|final||\n"
                         "2026-Q3|hispanic|alice|*|*|final||\n"
                         "2026-Q3|white|alice|53.5714|140|final||\n";
    assert_string_equal (s_values (self, &self->carol, "k3", "race", false), values);
    assert_int_equal (store_config_set (self->store, "min-cell", "4", NULL, 0), CIBUS_OK);
    world_replay_bytes (self, seq, &self->carol, &again);
    assert_int_equal (again.size, masked_copy.size);
    assert_memory_equal (again.data, masked_copy.data, masked_copy.size);
    codec_buf_release (&again);
    assert_string_equal (s_values (self, &self->carol, "k3", "race", false), values);
    codec_buf_release (&masked_copy);
    codec_buf_release (&whole_copy);
    s_assert_protected (self, &self->carol, &seq, 1);
}

//  Entries that are no tables have no masked copy: everyone who reads
//  them gets them whole.
static void
test_measure_only_tables_have_a_masked_copy (void **state)
{
    world_t *self = *state;
    collab_msg_t c;
    note_msg (&c, "n1", "early-literacy", "network meeting", "2026-01-10");
    PUBLISH_OK (self, &self->alice, &c.env);
    assert_int_equal (self->appended.masked.size, 0);
    assert_string_equal (self->appended.owner, "");
    envelope_t *env = world_replay (self, 1, &self->carol);
    assert_non_null (env);
    assert_string_equal (env->note->title, "network meeting");
    codec_envelope_free (env);
}

//  Route 2 of the issue: a state file's '*' left out of the feed. The four
//  cells sent are large, but 410 - 160 - 104 - 140 leaves 6 pupils, an
//  implicit small cell: it is judged like any other, and a cell beside it
//  is hidden. A remainder of min-cell people or more needs nothing.
static void
test_measure_route2_the_remainder_counts (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = s_k3_remainder_table (self, "k3-q3", "2026-Q3", "168/410");
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140");
    s_assert_protected (self, &self->carol, &seq, 1);
    seq = s_k3_remainder_table (self, "k3-q4", "2026-Q4", "178/420");
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 178/420, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140");
    s_assert_protected (self, &self->carol, &seq, 1);
}

//  The proof is not vacuous: with complementary suppression turned off
//  (store_set_disclosure_rules, as the benchmark does), route 2's
//  remainder is shown by subtraction, and the audit over what carol
//  received finds it.
static void
test_measure_the_audit_finds_what_naive_suppression_leaks (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    disclosure_rules_t naive;
    disclosure_rules_default (&naive);
    naive.complement = false;
    store_set_disclosure_rules (self->store, &naive);
    uint64_t seq = s_k3_remainder_table (self, "k3-q3", "2026-Q3", "168/410");
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140");
    assert_int_equal (s_audit_received (self, &self->carol, &seq, 1, false), 1);
    store_set_disclosure_rules (self->store, NULL);
    seq = s_k3_remainder_table (self, "k3-q4", "2026-Q4", "168/410");
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140");
}

//  A '*' of a state file stays hidden, with or without its size, and so
//  does what would give it away.
static void
test_measure_cells_suppressed_at_source_stay_hidden (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3", "2026-Q3",
                                "168/410", "race=black", "52/160", "race=hispanic", "38/104",
                                "race=white", "75/140", "race=native", "*", "race=pacific", "*/4",
                                NULL);
    assert_string_equal (s_seen (self, seq, &self->alice),
                         "v1 whole: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140, race=native *, race=pacific */4");
    //  pacific's 4 and the 2 pupils left are 6, under min-cell with native
    //  of unknown size: hispanic is hidden beside them. pacific's size,
    //  known at source, is not shown either.
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=native *small, race=pacific *small");
    s_assert_protected (self, &self->carol, &seq, 1);
}

//  A score is decided like a percent: its size is its n, and its cells add
//  up as sums (mean times n) to the total's.
static void
test_measure_a_score_table_is_decided_like_a_percent (void **state)
{
    world_t *self = *state;
    indicator_msg_t def;
    indicator_msg (&def, "def-score", "math-score", "8th-grade math scale score",
                   CIBUS__UNIT__SCORE, CIBUS__DIRECTION__UP, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
    indicator_dim (&def, "race");
    PUBLISH_OK (self, &self->hub, &def.env);
    uint64_t seq = world_table (self, &self->alice, "s1", "early-literacy", "math-score",
                                "2025-26", "310.5@40", "race=black", "300@8", "race=white",
                                "313.125@32", NULL);
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 310.5@40, race=black *small, race=white *complement");
    assert_string_equal (s_seen (self, seq, &self->alice),
                         "v1 whole: total 310.5@40, race=black 300@8, race=white 313.125@32");
    //  Means whose sums (300 * 8 + 318 * 32) add up to more than the
    //  total's (310.5 * 40) are refused.
    table_msg_t m;
    table_msg (&m, "s2", "early-literacy", "math-score", "2025-26", "310.5@40");
    table_cell (&m, "race=black", "300@8");
    table_cell (&m, "race=white", "318@32");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell race=white: the values of race add up to 12576, more than the 12420 "
                     "of the total");
}

//  ------------------------------------------------------------ settings

//  min-cell: asian's 6 pupils are small under 10 and not under 5. Each
//  table is judged by the setting in force when it is appended.
static void
test_measure_min_cell_changes_the_decision (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    assert_int_equal (store_config_set (self->store, "min-cell", "5", NULL, 0), CIBUS_OK);
    uint64_t shown = s_k3_table (self, "k3-q3");
    assert_string_equal (s_seen (self, shown, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140, race=asian 3/6");
    s_assert_protected (self, &self->carol, &shown, 1);
    assert_int_equal (store_config_set (self->store, "min-cell", "7", NULL, 0), CIBUS_OK);
    uint64_t hidden = world_table (self, &self->alice, "k3-q4", "early-literacy", "k3", "2026-Q4",
                                   "168/410", "race=black", "52/160", "race=hispanic", "38/104",
                                   "race=white", "75/140", "race=asian", "3/6", NULL);
    assert_string_equal (s_seen (self, hidden, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small");
    s_assert_protected (self, &self->carol, &hidden, 1);
    assert_string_equal (s_seen (self, shown, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140, race=asian 3/6");
}

//  coding: a percent near 0 or 100 is shown as a range by the size of its
//  group (NCES 2011-603: <=10 for 10 to 20 people); with coding 0 it is
//  shown as it is.
static void
test_measure_coding_changes_the_decision (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t coded = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3", "2026-Q3",
                                  "150/300", "race=black", "0/20", "race=white", "100/200", NULL);
    assert_string_equal (s_seen (self, coded, &self->carol),
                         "v1 masked: total 150/300, race=black <=10/20, race=white 100/200");
    s_assert_protected (self, &self->carol, &coded, 1);
    assert_string_equal (s_values (self, &self->carol, "k3", "race", false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|50|300|final||\n"
                         "2026-Q3|black|alice|<=10|20|final||\n"
                         "2026-Q3|white|alice|50|200|final||\n");
    assert_int_equal (store_config_set (self->store, "coding", "0", NULL, 0), CIBUS_OK);
    uint64_t shown = world_table (self, &self->alice, "k3-q4", "early-literacy", "k3", "2026-Q4",
                                  "150/300", "race=black", "0/20", "race=white", "100/200", NULL);
    assert_string_equal (s_seen (self, shown, &self->carol),
                         "v1 masked: total 150/300, race=black 0/20, race=white 100/200");
}

//  protection: two small hidden cells, asian 0/5 and white 7/8, bound each
//  other; at the default (half a small cell's size) that is wide enough,
//  while a protection of a whole cell's size hides hispanic too.
static void
test_measure_protection_changes_the_decision (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t half = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3", "2026-Q3",
                                 "51/81", "race=asian", "0/5", "race=black", "34/49",
                                 "race=hispanic", "10/19", "race=white", "7/8", NULL);
    assert_string_equal (s_seen (self, half, &self->carol),
                         "v1 masked: total 51/81, race=asian *small, race=black 34/49, "
                         "race=hispanic 10/19, race=white *small");
    s_assert_protected (self, &self->carol, &half, 1);
    assert_int_equal (store_config_set (self->store, "protection", "100", NULL, 0), CIBUS_OK);
    uint64_t whole = world_table (self, &self->alice, "k3-q4", "early-literacy", "k3", "2026-Q4",
                                  "51/81", "race=asian", "0/5", "race=black", "34/49",
                                  "race=hispanic", "10/19", "race=white", "7/8", NULL);
    assert_string_equal (s_seen (self, whole, &self->carol),
                         "v1 masked: total 51/81, race=asian *small, race=black 34/49, "
                         "race=hispanic *complement, race=white *small");
    s_assert_protected (self, &self->carol, &whole, 1);
}

//  ------------------------------------------------------------ owners

//  s_k3_small_msg's table as its owner reads it (whole) and as another
//  partner of the network reads it (asian hidden).
static void
s_assert_small_table (world_t *self, uint64_t seq, const store_partner_t *owner,
                      const store_partner_t *other)
{
    assert_string_equal (s_seen (self, seq, owner),
                         "v1 whole: total 168/410, race=black 52/160, race=asian 3/6");
    assert_string_equal (s_seen (self, seq, other),
                         "v1 masked: total 168/410, race=black 52/160, race=asian *small");
}

static void
test_measure_a_partner_submits_its_own_tables_only (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    s_k3_msg (&m, "d1");
    table_owner (&m, "carol");
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_FORBIDDEN, "data.owner",
                     "a partner submits its own tables only; the owner of a table is the "
                     "publisher, 'alice'");
    s_k3_msg (&m, "d1");
    table_owner (&m, "alice");
    PUBLISH_OK (self, &self->alice, &m.env);
    assert_string_equal (self->appended.owner, "alice");
    assert_int_equal (store_last_seq (self->store), 2);
}

//  An integrator names the partner each table belongs to, one it is
//  registered to feed; that partner owns the table and sees it whole, and
//  the entry records the integrator as its source.
static void
test_measure_an_integrator_submits_for_the_partners_it_feeds (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    s_k3_small_msg (&m, "d1");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_BAD_FIELD, "data.owner",
                     "field 'data.owner' is required: an integrator names the partner each "
                     "table belongs to");
    table_owner (&m, "alice");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_FORBIDDEN, "data.owner",
                     "'feed' is not registered to submit tables for 'alice'");
    world_feeds (self, "alice");
    assert_int_equal (self->feed.feed_count, 1);
    assert_string_equal (self->feed.feeds [0], "alice");
    PUBLISH_OK (self, &self->feed, &m.env);
    uint64_t seq = self->appended.seq;
    assert_string_equal (self->appended.owner, "alice");
    envelope_t *env = s_stored (self, seq);
    assert_string_equal (env->partner, "feed");
    assert_string_equal (env->data->owner, "alice");
    codec_envelope_free (env);
    s_assert_small_table (self, seq, &self->alice, &self->carol);
    //  Not for a partner it does not feed, nor for one outside the network.
    s_k3_msg (&m, "d2");
    table_owner (&m, "carol");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_FORBIDDEN, "data.owner",
                     "'feed' is not registered to submit tables for 'carol'");
    world_feeds (self, "bob");
    table_owner (&m, "bob");
    PUBLISH_REFUSED (self, &self->feed, &m.env, CIBUS_ERR_BAD_FIELD, "data.owner",
                     "partner 'bob' is not in the registry");
    //  Carol received version 1 as a marker: it is listed by its total
    //  alone, hidden, and none of its groups.
    assert_string_equal (
        s_values (self, &self->carol, "k3", "race", true),
        "period|group|partner|value|n|status|version|sent by|received|current\n"
        "2026-Q3|all|alice|40.9756|410|final|1|feed|2026-01-06T00:00:00Z|yes\n"
        "2026-Q3|asian|alice|*|*|final|1|feed|2026-01-06T00:00:00Z|yes\n"
        "2026-Q3|black|alice|32.5|160|final|1|feed|2026-01-06T00:00:00Z|yes\n");
}

//  The backbone may submit a table for anyone in the network.
static void
test_measure_the_backbone_may_name_any_owner (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    s_k3_small_msg (&m, "d1");
    table_owner (&m, "carol");
    PUBLISH_OK (self, &self->hub, &m.env);
    uint64_t seq = self->appended.seq;
    assert_string_equal (self->appended.owner, "carol");
    s_assert_small_table (self, seq, &self->carol, &self->alice);
    s_k3_msg (&m, "d2");
    table_owner (&m, "zed");
    PUBLISH_REFUSED (self, &self->hub, &m.env, CIBUS_ERR_BAD_FIELD, "data.owner",
                     "partner 'zed' is not in the registry");
    table_owner (&m, "bob");
    PUBLISH_REFUSED (self, &self->hub, &m.env, CIBUS_ERR_BAD_FIELD, "data.owner",
                     "partner 'bob' is not a member of network 'early-literacy'");
    //  Without an owner, the table is the backbone's own.
    table_owner (&m, NULL);
    PUBLISH_OK (self, &self->hub, &m.env);
    assert_string_equal (self->appended.owner, "hub");
}

//  ------------------------------------------------------------ corrections

//  A correction is the next version of the same table. Its pattern hides
//  at least what the first hid - here every cell of the correction is
//  large, and asian and hispanic stay hidden all the same. The first
//  version's masked copy becomes a marker; readers other than the owner
//  and the backbone get only the current version's values, on replay and
//  in values and history.
static void
test_measure_a_correction_hides_at_least_what_was_hidden (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t first = s_k3_table (self, "k3-q3");
    uint64_t second = world_table (self, &self->alice, "k3-q3-fix", "early-literacy", "k3",
                                   "2026-Q3", "178/464", "race=black", "52/160", "race=hispanic",
                                   "38/104", "race=white", "75/140", "race=asian", "13/60", NULL);
    assert_int_equal (self->appended.superseded, first);
    assert_string_equal (s_live (self, second, &self->carol),
                         "v2 masked: total 178/464, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *complement");
    //  Replay: the first version is a marker now, for carol; the owner and
    //  the backbone still read it whole.
    assert_string_equal (s_seen (self, first, &self->carol), "v1 superseded");
    char live [4096];
    assert_string_equal (s_keep (s_live (self, second, &self->carol), live, sizeof live),
                         s_seen (self, second, &self->carol));
    assert_string_equal (s_seen (self, first, &self->alice),
                         "v1 whole: total 168/410, race=black 52/160, race=hispanic 38/104, "
                         "race=white 75/140, race=asian 3/6");
    char owner [4096];
    assert_string_equal (s_keep (s_seen (self, first, &self->alice), owner, sizeof owner),
                         s_seen (self, first, &self->hub));
    uint64_t both [] = {first, second};
    s_assert_protected (self, &self->carol, both, 2);

    assert_string_equal (s_values (self, &self->carol, "k3", "race", false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|38.3621|464|final||\n"
                         "2026-Q3|asian|alice|*|*|final||\n"
                         "2026-Q3|black|alice|32.5|160|final||\n"
                         "2026-Q3|hispanic|alice|*|*|final||\n"
                         "2026-Q3|white|alice|53.5714|140|final||\n");
    //  Carol received version 1 as a marker: it is listed by its total
    //  alone, hidden, and none of its groups.
    assert_string_equal (
        s_values (self, &self->carol, "k3", "race", true),
        "period|group|partner|value|n|status|version|sent by|received|current\n"
        "2026-Q3|all|alice|*|*|final|1|alice|2026-01-06T00:00:00Z|no\n"
        "2026-Q3|all|alice|38.3621|464|final|2|alice|2026-01-07T00:00:00Z|yes\n"
        "2026-Q3|asian|alice|*|*|final|2|alice|2026-01-07T00:00:00Z|yes\n"
        "2026-Q3|black|alice|32.5|160|final|2|alice|2026-01-07T00:00:00Z|yes\n"
        "2026-Q3|hispanic|alice|*|*|final|2|alice|2026-01-07T00:00:00Z|yes\n"
        "2026-Q3|white|alice|53.5714|140|final|2|alice|2026-01-07T00:00:00Z|yes\n");
    //  The owner keeps every version whole.
    assert_string_equal (
        s_values (self, &self->alice, "k3", NULL, true),
        "period|group|partner|value|n|status|version|sent by|received|current\n"
        "2026-Q3|all|alice|40.9756|410|final|1|alice|2026-01-06T00:00:00Z|no\n"
        "2026-Q3|all|alice|38.3621|464|final|2|alice|2026-01-07T00:00:00Z|yes\n");
}

//  The masked copy and the projection of a table hold the same decision:
//  values answer from the marks stored in the append (mark, low, high,
//  size shown), and a table of many versions keeps one row per cell of
//  each version.
static void
test_measure_the_decision_is_stored_per_cell (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t first = s_k3_table (self, "k3-q3");
    s_k3_table (self, "k3-q3-again");
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT cell, mark, size_shown, current, version "
                                          "FROM data_values WHERE seq = ? ORDER BY cell",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) first);
    char rows [256] = "";
    size_t used = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW)
        used += (size_t) snprintf (rows + used, sizeof rows - used, "%d:%d%d%d%d ",
                                   sqlite3_column_int (stmt, 0), sqlite3_column_int (stmt, 1),
                                   sqlite3_column_int (stmt, 2), sqlite3_column_int (stmt, 3),
                                   sqlite3_column_int (stmt, 4));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    //  cell: mark (0 shown, 1 small, 2 complement), size shown, current,
    //  version - for the total (-1), black, hispanic, white, asian.
    assert_string_equal (rows, "-1:0101 0:0101 1:2001 2:0101 3:1001 ");
}

//  ------------------------------------------------------------ the seven routes

//  The text a cell of a received table shows, by its name.
static const char *
s_cell_seen (const envelope_t *env, const char *name)
{
    static char text [96];
    const Cibus__DataSubmission *data = env->data;
    for (size_t i = 0; i <= data->n_cells; i++) {
        const Cibus__DataCell *cell = i ? data->cells [i - 1] : data->total;
        char cell_name [256];
        s_cell_name (cell, cell_name, sizeof cell_name);
        if (strcmp (cell_name, name) == 0)
            return s_cell_text (cell, text, sizeof text), text;
    }
    return "<no such cell>";
}

//  Route 1: one submit per row let hispanic out live before asian arrived
//  and made it its complement, in about half of the orders. A table is
//  decided whole, in the append, before anyone is sent anything: in each
//  of the 24 orders of its rows, asian is hidden as small and hispanic as
//  its complement, live and on replay alike.
static void
test_measure_route1_the_order_of_the_rows_changes_nothing (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    static const char *names [] = {"race=black", "race=hispanic", "race=white", "race=asian"};
    static const char *counts [] = {"52/160", "38/104", "75/140", "3/6"};
    int order [4] = {0, 1, 2, 3}, c [4] = {0};
    size_t orders = 0;
    //  Every order (Heap's algorithm), each a table of a unit of its own.
    for (int i = 0; orders < 24;) {
        char id [16], unit [16];
        snprintf (id, sizeof id, "order-%zu", orders);
        snprintf (unit, sizeof unit, "school-%zu", orders);
        table_msg_t m;
        s_k3_msg (&m, id);
        table_unit (&m, unit);
        for (int k = 0; k < 4; k++)
            table_cell (&m, names [order [k]], counts [order [k]]);
        PUBLISH_OK (self, &self->alice, &m.env);
        uint64_t seq = self->appended.seq;
        envelope_t *env = world_replay (self, seq, &self->carol);
        assert_non_null (env);
        assert_string_equal (s_cell_seen (env, "total"), "168/410");
        assert_string_equal (s_cell_seen (env, "race=black"), "52/160");
        assert_string_equal (s_cell_seen (env, "race=hispanic"), "*complement");
        assert_string_equal (s_cell_seen (env, "race=white"), "75/140");
        assert_string_equal (s_cell_seen (env, "race=asian"), "*small");
        codec_envelope_free (env);
        s_assert_protected (self, &self->carol, &seq, 1);
        orders++;
        while (orders < 24 && c [i] >= i) {
            c [i] = 0;
            i++;
        }
        if (orders == 24)
            break;
        int j = i % 2 ? c [i] : 0, swap = order [j];
        order [j] = order [i];
        order [i] = swap;
        c [i]++;
        i = 1;
    }
    assert_int_equal (orders, 24);
}

//  Route 3: correcting asian 3/6 -> 4/7 and the total 168/410 -> 169/411
//  told everyone that the one late-enrolled pupil passed. The correction
//  hides what the first version hid, and the newer total, so that the
//  change of one pupil does not follow from two shown totals; carol's
//  replay has the first version as a marker only.
static void
test_measure_route3_a_correction_does_not_tell_the_late_pupil (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t first = s_k3_table (self, "k3-q3");
    uint64_t second = world_table (self, &self->alice, "k3-q3-fix", "early-literacy", "k3",
                                   "2026-Q3", "169/411", "race=black", "52/160", "race=hispanic",
                                   "38/104", "race=white", "75/140", "race=asian", "4/7", NULL);
    assert_int_equal (self->appended.superseded, first);
    assert_string_equal (s_live (self, first, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small");
    assert_string_equal (s_live (self, second, &self->carol),
                         "v2 masked: total *complement, race=black 52/160, race=hispanic "
                         "*complement, race=white 75/140, race=asian *small");
    assert_string_equal (s_seen (self, first, &self->carol), "v1 superseded");
    uint64_t both [] = {first, second};
    s_assert_protected (self, &self->carol, both, 2);
    assert_string_equal (s_values (self, &self->carol, "k3", NULL, false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|*|*|final||\n");
    assert_string_equal (s_values (self, &self->alice, "k3", NULL, false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|41.1192|411|final||\n");
}

//  Route 4: hispanic x income cells (20/70, 18/34) add up to the hidden
//  hispanic cell, and were shown because none is small. One of them is
//  hidden beside it now.
static void
test_measure_route4_cross_cells_under_a_hidden_cell (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3", "2026-Q3",
                                "168/410", "race=black", "52/160", "race=hispanic", "38/104",
                                "race=white", "75/140", "race=asian", "3/6",
                                "race=hispanic,income=low", "20/70", "race=hispanic,income=high",
                                "18/34", NULL);
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small, race=hispanic,income=low 20/70, "
                         "race=hispanic,income=high *complement");
    s_assert_protected (self, &self->carol, &seq, 1);
}

//  Route 5: two hidden cells of 6 and 5 pupils with no one passing, while
//  the shown cells account for every pass: each is the other's partner,
//  yet both would be exactly 0 %. The audit in the decision hides a third.
static void
test_measure_route5_extremes_are_not_pinned (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3", "2026-Q3",
                                "120/301", "race=black", "60/150", "race=white", "60/140",
                                "race=asian", "0/6", "race=native", "0/5", NULL);
    assert_string_equal (s_seen (self, seq, &self->carol),
                         "v1 masked: total 120/301, race=black 60/150, race=white *complement, "
                         "race=asian *small, race=native *small");
    s_assert_protected (self, &self->carol, &seq, 1);
}

//  Route 6: '1/4 with n 38' was shown in full, judged by its n. A size
//  that disagrees with the denominator is refused, naming the cell.
static void
test_measure_route6_n_disagreeing_with_the_denominator_is_refused (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    s_k3_msg (&m, "d1");
    table_cell (&m, "race=black", "52/160");
    Cibus__DataCell *asian = table_cell (&m, "race=asian", "1/4");
    asian->has_n = true;
    asian->n = 38;
    PUBLISH_REFUSED (self, &self->alice, &m.env, CIBUS_ERR_BAD_FIELD, "data.cells",
                     "cell race=asian: n 38 disagrees with its denominator 4");
    assert_int_equal (store_last_seq (self->store), 1);
}

//  Route 7: the district's 'hispanic *' beside the state feed's 'hispanic
//  38/104'. The district and the integrator that feeds it send one table,
//  the district's, in two versions: the second keeps hispanic hidden, and
//  they never stand side by side. The district sees its table whole
//  through its integrator.
static void
test_measure_route7_two_senders_of_one_table (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_feeds (self, "alice");
    uint64_t district = world_table (self, &self->alice, "k3-q3", "early-literacy", "k3",
                                     "2026-Q3", "168/410", "race=black", "52/160",
                                     "race=hispanic", "*", "race=white", "75/140", "race=asian",
                                     "3/6", NULL);
    assert_string_equal (s_live (self, district, &self->carol),
                         "v1 masked: total 168/410, race=black 52/160, race=hispanic *small, "
                         "race=white 75/140, race=asian *small");
    table_msg_t m;
    s_k3_msg (&m, "state-k3-q3");
    table_owner (&m, "alice");
    table_cell (&m, "race=black", "52/160");
    table_cell (&m, "race=hispanic", "38/104");
    table_cell (&m, "race=white", "75/140");
    table_cell (&m, "race=asian", "3/6");
    PUBLISH_OK (self, &self->feed, &m.env);
    uint64_t state_feed = self->appended.seq;
    assert_int_equal (self->appended.superseded, district);
    assert_string_equal (self->appended.owner, "alice");
    assert_string_equal (s_live (self, state_feed, &self->carol),
                         "v2 masked: total 168/410, race=black 52/160, race=hispanic *complement, "
                         "race=white 75/140, race=asian *small");
    uint64_t both [] = {district, state_feed};
    s_assert_protected (self, &self->carol, both, 2);
    //  The district's own view is whole, live and on replay.
    const char *whole = "v2 whole: total 168/410, race=black 52/160, race=hispanic 38/104, "
                        "race=white 75/140, race=asian 3/6";
    assert_string_equal (s_live (self, state_feed, &self->alice), whole);
    assert_string_equal (s_seen (self, state_feed, &self->alice), whole);
    //  One table: one current value per group, for everyone.
    assert_string_equal (s_values (self, &self->hub, "k3", "race", false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|40.9756|410|final||\n"
                         "2026-Q3|asian|alice|50|6|final||\n"
                         "2026-Q3|black|alice|32.5|160|final||\n"
                         "2026-Q3|hispanic|alice|36.5385|104|final||\n"
                         "2026-Q3|white|alice|53.5714|140|final||\n");
    char backbone [4096];
    s_keep (s_values (self, &self->hub, "k3", "race", false), backbone, sizeof backbone);
    assert_string_equal (s_values (self, &self->alice, "k3", "race", false), backbone);
    assert_string_equal (s_values (self, &self->carol, "k3", "race", false),
                         "period|group|partner|value|n|status|target|change\n"
                         "2026-Q3|all|alice|40.9756|410|final||\n"
                         "2026-Q3|asian|alice|*|*|final||\n"
                         "2026-Q3|black|alice|32.5|160|final||\n"
                         "2026-Q3|hispanic|alice|*|*|final||\n"
                         "2026-Q3|white|alice|53.5714|140|final||\n");
}

//  ------------------------------------------------------------ migrations

//  Migration 1 as it shipped: the database every existing broker has.
static const char *s_migration_1 =
    "CREATE TABLE log ("
    "  seq INTEGER PRIMARY KEY,"
    "  partner TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  envelope BLOB NOT NULL);"
    "CREATE UNIQUE INDEX log_partner_id ON log (partner, id);"
    "CREATE TABLE partners ("
    "  name TEXT PRIMARY KEY,"
    "  public_key TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('backbone', 'partner', 'integrator')),"
    "  added_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')));"
    "CREATE TABLE partner_networks ("
    "  partner TEXT NOT NULL REFERENCES partners (name) ON DELETE CASCADE,"
    "  network TEXT NOT NULL,"
    "  PRIMARY KEY (partner, network));"
    "INSERT INTO log VALUES (1, 'alice', 'n1', 'early-literacy/note', 0, x'0a');"
    "PRAGMA user_version = 1;";

//  One integer from the database at path (the store closed or between
//  batches), and a statement run there; both read data_values as the
//  store does (cells.h).
static sqlite3_int64
s_sql_value (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    sqlite3_int64 value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

//  The one text a query of the database at path returns (its rows
//  joined by group_concat): the caller frees it.
static char *
s_rows_text (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    const char *text = (const char *)sqlite3_column_text (stmt, 0);
    char *copy = strdup (text ? text : "");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return copy;
}

//  Every row of data_values, every column quoted, as one text: the caller
//  frees it.
static char *
s_values_text (const char *path)
{
    return s_rows_text (path, "SELECT group_concat (row, '|') FROM (SELECT quote (seq) || "
                              "quote (cell) || quote (partner) || quote (publisher) || "
                              "quote (network) || quote (indicator) || quote (period) || "
                              "quote (unit) || quote (version) || quote (dims_key) || "
                              "quote (dim_count) || quote (dim_key) || quote (dim_value) || "
                              "quote (value) || quote (n) || quote (numerator) || "
                              "quote (denominator) || quote (suppressed) || quote (mark) || "
                              "quote (low) || quote (high) || quote (size_shown) || "
                              "quote (status) || quote (source) || quote (extracted_on) || "
                              "quote (received_at) || quote (current) AS row "
                              "FROM data_values ORDER BY seq, cell)");
}

static int
s_count_rows (const char *path, const char *table)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return (int)s_sql_value (path, sql);
}

//  A version's cells back in data_cells, a row each, as migrations 7 to
//  11 kept them (before 12 packed them into data_tables.cells).
#define S_CELLS_UNPACKED                                                                           \
    "CREATE TABLE data_cells (seq INTEGER NOT NULL, cell INTEGER NOT NULL,"                        \
    "  dims_key TEXT NOT NULL, dim_count INTEGER NOT NULL, dim_key TEXT, dim_value TEXT,"          \
    "  value REAL, n INTEGER, numerator INTEGER, denominator INTEGER,"                             \
    "  suppressed INTEGER NOT NULL, mark INTEGER NOT NULL, low REAL, high REAL,"                   \
    "  size_shown INTEGER NOT NULL, PRIMARY KEY (seq, cell)) WITHOUT ROWID;"                       \
    "INSERT INTO data_cells SELECT seq, cell, dims_key, dim_count, dim_key, dim_value, value,"     \
    "  n, numerator, denominator, suppressed, mark, low, high, size_shown FROM data_values;"       \
    "DROP VIEW data_values;"                                                                       \
    "ALTER TABLE data_tables DROP COLUMN cells;"                                                   \
    "CREATE VIEW data_values AS SELECT c.seq AS seq, " SCHEMA_VALUES_COLUMNS                       \
    "  FROM data_tables t JOIN data_cells c ON c.seq = t.seq;"

//  Create (or open) the database at path outside the store and run sql.
static void
s_sql_run (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    char *error = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &error);
    if (rc != SQLITE_OK)
        print_error ("%s: %s\n", sql, error ? error : "?");
    sqlite3_free (error);
    sqlite3_close (db);
    assert_int_equal (rc, SQLITE_OK);
}

//  A column of the data_tables row at seq: its version, or whether it is
//  current.
static sqlite3_int64
s_table_field (const char *path, const char *column, uint64_t seq)
{
    char sql [96];
    snprintf (sql, sizeof sql, "SELECT %s FROM data_tables WHERE seq = %llu", column,
              (unsigned long long)seq);
    return s_sql_value (path, sql);
}

//  Reopen the store, as after a crash, with runs of keys (key_run.c)
//  frozen at 2: what memory held is read back from the log and tables.
static void
s_reopen_small_runs (world_t *self)
{
    if (self->store) {
        store_destroy (&self->store);
        self->store = store_new (self->path, STORE_SYNC_NORMAL);
        assert_non_null (self->store);
    }
    assert_int_equal (store_keys_load (self->store, false), CIBUS_OK);
    key_run_set_keys (self->store->log_run, 2);
    key_run_set_keys (self->store->table_run, 2);
}

//  The tables' keys are held in memory and written to table_keys in key
//  order, a slice a commit: with runs of 2 keys, three tables corrected
//  in turn four times each go through freezes, slices and reopens, and
//  each version still finds the one before it, which it makes not
//  current; written out, table_keys holds every version once.
static void
test_measure_table_keys_in_runs_find_every_earlier_version (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    s_reopen_small_runs (self);
    const char *periods [3] = {"2026-Q1", "2026-Q2", "2026-Q3"};
    uint64_t last [3] = {0};
    int n = 0;
    for (int version = 1; version <= 4; version++)
        for (int t = 0; t < 3; t++) {
            char id [32], total [32];
            snprintf (id, sizeof id, "t%d-v%d", t, version);
            snprintf (total, sizeof total, "%d/410", 160 + version);
            uint64_t seq = world_table (self, &self->alice, id, "early-literacy", "k3",
                                        periods [t], total, "race=black", "52/160", NULL);
            assert_int_equal (self->appended.superseded, last [t]);
            assert_int_equal (s_table_field (self->path, "version", seq), version);
            assert_int_equal (s_table_field (self->path, "current", seq), 1);
            if (last [t])
                assert_int_equal (s_table_field (self->path, "current", last [t]), 0);
            last [t] = seq;
            if (++n % 5 == 0)
                s_reopen_small_runs (self);
        }
    assert_true (s_sql_value (self->path, "SELECT count(*) FROM table_keys") > 0);
    assert_true (s_sql_value (self->path, "SELECT count(*) FROM table_keys") < 12);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM table_keys k JOIN "
                                               "data_tables t ON t.seq = k.seq AND t.tkey = k.tkey"),
                      12);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM table_keys"), 12);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM data_tables WHERE current = 1"),
                      3);
}

//  A table's key computed here apart from the store (harness.h).
static int64_t
s_expected_tkey (const char *path, const char *const names [5])
{
    int64_t key = 0;
    assert_true (harness_store_hash (path, names, 5, &key));
    return key;
}

//  A table's key (data_tables.tkey, and table_keys once written) is the
//  keyed hash of its network, owner, unit, indicator and period, computed
//  here apart from the store: for a partner's table as a whole (no unit:
//  an empty name) and for one of its units.
static void
test_measure_a_tables_key_is_the_keyed_hash_of_its_five_names (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t whole = world_table (self, &self->alice, "t-whole", "early-literacy", "k3",
                                  "2026-Q3", "168/410", NULL);
    table_msg_t m;
    table_msg (&m, "t-unit", "early-literacy", "k3", "2026-Q3", "52/160");
    table_unit (&m, "school-12");
    PUBLISH_OK (self, &self->alice, &m.env);
    uint64_t unit = self->appended.seq;
    const char *const whole_names [5] = {"early-literacy", self->alice.name, "", "k3", "2026-Q3"};
    const char *const unit_names [5] = {"early-literacy", self->alice.name, "school-12", "k3",
                                        "2026-Q3"};
    assert_true (s_table_field (self->path, "tkey", whole)
                 == s_expected_tkey (self->path, whole_names));
    assert_true (s_table_field (self->path, "tkey", unit)
                 == s_expected_tkey (self->path, unit_names));
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM table_keys k JOIN "
                                               "data_tables t ON t.seq = k.seq AND t.tkey = k.tkey"),
                      2);
}

//  A table is found by the hash of its key, then by its names: a row of
//  another table under the same hash (written here by hand, as two keys
//  that hash alike would be) is neither taken as an earlier version of
//  the table - its decision would then be made against the wrong table,
//  and its entry, which holds no table, would fail the read - nor made
//  not current by the table's correction.
static void
test_measure_tables_sharing_a_key_hash_stay_apart (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t a1 = world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3",
                               "168/410", "race=black", "52/160", NULL);
    store_destroy (&self->store);
    char sql [512];
    snprintf (sql, sizeof sql,
              "INSERT INTO log (seq, partner, id, topic, received_at, envelope, owner, network, "
              "unit, indicator, period, version, status, current, tkey, ikey, okey) SELECT 1000, "
              "partner, 'by-hand', topic, received_at, x'', owner, network, unit, indicator, "
              "'2026-Q2', 1, status, 1, tkey, ikey, okey FROM log WHERE seq = %llu",
              (unsigned long long)a1);
    s_sql_run (self->path, sql);
    assert_int_equal (
        s_sql_value (self->path, "SELECT count(DISTINCT tkey) FROM data_tables"), 1);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);

    uint64_t a2 = world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3",
                               "170/410", "race=black", "53/160", NULL);
    assert_int_equal (self->appended.superseded, a1);
    assert_int_equal (s_table_field (self->path, "version", a2), 2);
    assert_int_equal (s_table_field (self->path, "current", 1000), 1);
    assert_int_equal (s_table_field (self->path, "current", a1), 0);
    uint64_t a3 = world_table (self, &self->alice, "a3", "early-literacy", "k3", "2026-Q3",
                               "171/410", "race=black", "54/160", NULL);
    assert_int_equal (self->appended.superseded, a2);
    assert_int_equal (s_table_field (self->path, "version", a3), 3);
    assert_int_equal (s_table_field (self->path, "current", 1000), 1);
}

//  The keys of the tables and of the entries are read back after an open
//  from one walk of the log, from the lower of their two marks: with the
//  tables' mark behind the entries' (its run wrote fewer slices), a table
//  between the two is still found, and its correction supersedes it.
static void
test_measure_table_keys_behind_the_entries_are_read_back (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t a1 = world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3",
                               "168/410", "race=black", "52/160", NULL);
    world_table (self, &self->alice, "b1", "early-literacy", "k3", "2026-Q2", "150/400",
                 "race=black", "50/150", NULL);
    assert_int_equal (store_keys_flush (self->store), CIBUS_OK);
    uint64_t last = store_last_seq (self->store);
    store_destroy (&self->store);
    //  Every entry's key written, no table's: as if the tables' run had
    //  held them since the catalogue's entry.
    char sql [256];
    snprintf (sql, sizeof sql,
              "UPDATE key_runs SET flushed = %llu, frozen = %llu WHERE name = 'log_keys';"
              "UPDATE key_runs SET flushed = 1, frozen = 1 WHERE name = 'table_keys';"
              "DELETE FROM table_keys WHERE seq > 1;",
              (unsigned long long)last, (unsigned long long)last);
    s_sql_run (self->path, sql);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3", "170/410",
                 "race=black", "53/160", NULL);
    assert_int_equal (self->appended.superseded, a1);
    assert_int_equal (s_table_field (self->path, "version", self->appended.seq), 2);
    assert_int_equal (s_table_field (self->path, "current", a1), 0);
}

//  Migration 9 hashes the key of every table already stored, so that the
//  next correction of each finds its versions; the unique index of the
//  five names gives way to the hash's index and to the partner's, and
//  migration 11 moves the hashes to table_keys.
static void
test_measure_migration_9_keys_every_table (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t a1 = world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3",
                               "168/410", "race=black", "52/160", NULL);
    uint64_t a2 = world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3",
                               "170/410", "race=black", "53/160", NULL);
    uint64_t b1 = world_table (self, &self->alice, "b1", "early-literacy", "k3", "2026-Q2",
                               "150/400", "race=black", "50/150", NULL);
    assert_int_equal (self->appended.superseded, 0);
    store_destroy (&self->store);
    //  The database as version 8 left it.
    char *values = s_values_text (self->path);
    s_sql_run (self->path, SCHEMA_UNDO_14);
    s_sql_run (self->path, S_CELLS_UNPACKED);
    s_sql_run (self->path, "DROP TABLE key_runs; DROP TABLE table_keys;"
                           "DROP INDEX data_tables_owner;"
                           "ALTER TABLE data_tables DROP COLUMN tkey;"
                           "CREATE UNIQUE INDEX data_tables_key ON data_tables "
                           "(network, owner, unit, indicator, period, version);"
                           "PRAGMA user_version = 8;");
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                               "('table_keys', 'log_ikey')"),
                      2);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM table_keys k JOIN "
                                               "data_tables t ON t.seq = k.seq AND t.tkey = k.tkey"),
                      3);
    assert_int_equal (
        s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                 "'data_tables_key'"),
        0);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM data_tables WHERE tkey = 0"),
                      0);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT tkey) FROM data_tables"), 2);
    //  Packed again by 12 (cells.h): every row of every version as it was.
    char *migrated = s_values_text (self->path);
    assert_int_equal (s_count_rows (self->path, "data_values"), 3 * 2);
    assert_string_equal (migrated, values);
    free (migrated);
    free (values);
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT count(DISTINCT tkey) FROM data_tables WHERE seq IN "
                               "(%llu, %llu)",
              (unsigned long long)a1, (unsigned long long)a2);
    assert_int_equal (s_sql_value (self->path, sql), 1);
    uint64_t a3 = world_table (self, &self->alice, "a3", "early-literacy", "k3", "2026-Q3",
                               "171/410", "race=black", "54/160", NULL);
    assert_int_equal (self->appended.superseded, a2);
    assert_int_equal (s_table_field (self->path, "version", a3), 3);
    uint64_t b2 = world_table (self, &self->alice, "b2", "early-literacy", "k3", "2026-Q2",
                               "151/400", "race=black", "51/150", NULL);
    assert_int_equal (self->appended.superseded, b1);
    assert_int_equal (s_table_field (self->path, "version", b2), 2);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 15 keys every table stored before it by the hashes of its
//  indicator and of its network and owner, and indexes those instead of
//  the names: the values and their history, which find tables by them,
//  read as they did, and a table appended after is found beside them.
static void
test_measure_migration_15_keys_every_table (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", NULL);
    world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3", "170/410",
                 "race=black", "53/160", NULL);
    world_table (self, &self->alice, "b1", "early-literacy", "k3", "2026-Q2", "150/400",
                 "race=black", "50/150", NULL);
    char *values = strdup (s_values (self, &self->hub, "k3", NULL, false));
    char *history = strdup (s_values (self, &self->hub, "k3", NULL, true));
    assert_non_null (strstr (values, "2026-Q2"));
    assert_non_null (strstr (history, "2026-Q3"));
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_15 "PRAGMA user_version = 14;");
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                               "('data_tables_indicator', 'data_tables_owner')"),
                      2);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                               "('data_tables_indicator', 'data_tables_owner')"),
                      0);
    //  The indicators' index; the owners' went with 19.
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                               "('log_ikey', 'log_okey')"),
                      1);
    assert_int_equal (
        s_sql_value (self->path, "SELECT count(*) FROM data_tables WHERE ikey = 0 OR okey = 0"), 0);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT ikey) FROM data_tables"), 1);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT okey) FROM data_tables"), 1);
    assert_string_equal (s_values (self, &self->hub, "k3", NULL, false), values);
    assert_string_equal (s_values (self, &self->hub, "k3", NULL, true), history);
    world_table (self, &self->alice, "c1", "early-literacy", "k3", "2026-Q1", "140/400",
                 "race=black", "45/150", NULL);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT ikey) FROM data_tables"), 1);
    assert_non_null (strstr (s_values (self, &self->hub, "k3", NULL, false), "2026-Q1"));
    assert_non_null (strstr (s_values (self, &self->hub, "k3", NULL, false), "2026-Q2"));
    free (history);
    free (values);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Every copy a reader is sent on replay, as bytes, for seqs 1 to count:
//  the owner's, the backbone's and another partner's, one after another.
static void
s_copies (world_t *self, uint64_t count, codec_buf_t *copies)
{
    const store_partner_t *readers [] = {&self->alice, &self->hub, &self->carol};
    for (uint64_t seq = 1; seq <= count; seq++)
        for (size_t r = 0; r < 3; r++)
            world_replay_bytes (self, seq, readers [r], &copies [(seq - 1) * 3 + r]);
}

//  Migration 16 moves each table's masked copy, and each marker that
//  replaced one, into its entry's log row: every reader is sent the same
//  bytes for every seq after it as before, and a correction made after
//  it turns the migrated copy into a marker as it did the old row.
static void
test_measure_migration_16_keeps_every_masked_copy (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", "race=white", "116/250", NULL);
    world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3", "170/410",
                 "race=black", "53/160", "race=white", "117/250", NULL);
    world_table (self, &self->carol, "c1", "early-literacy", "k3", "2026-Q2", "150/400",
                 "race=black", "50/150", "race=white", "100/250", NULL);
    uint64_t count = store_last_seq (self->store);
    assert_int_equal (count, 4);
    codec_buf_t before [4 * 3], after [4 * 3];
    s_copies (self, count, before);
    //  The other partner gets a copy of each table but not the whole one.
    for (uint64_t seq = 2; seq <= count; seq++)
        assert_true (before [(seq - 1) * 3 + 2].size > 0);
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_16 "PRAGMA user_version = 15;");
    assert_int_equal (s_count_rows (self->path, "masked"), 3);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (
        s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = 'masked'"), 0);
    assert_int_equal (s_count_rows (self->path, "log WHERE masked IS NOT NULL"), 3);
    s_copies (self, count, after);
    for (size_t i = 0; i < count * 3; i++) {
        assert_int_equal (after [i].size, before [i].size);
        if (before [i].size)
            assert_memory_equal (after [i].data, before [i].data, before [i].size);
        codec_buf_release (&before [i]);
        codec_buf_release (&after [i]);
    }
    //  A correction of c1, after the migration: c1's copy becomes a marker.
    world_table (self, &self->carol, "c2", "early-literacy", "k3", "2026-Q2", "151/400",
                 "race=black", "51/150", "race=white", "100/250", NULL);
    envelope_t *marker = world_replay (self, 4, &self->alice);
    assert_non_null (marker);
    assert_true (marker->data->superseded);
    assert_int_equal (marker->data->n_cells, 0);
    assert_null (marker->data->total);
    codec_envelope_free (marker);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 16 refuses a masked copy that is of no table version of its
//  seq and owner, or of no entry of the log, rather than drop it: the
//  store does not open, and the database stays as it was.
static void
test_measure_migration_16_refuses_a_copy_without_its_table (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", NULL);
    store_destroy (&self->store);
    const char *breaks [] = {"UPDATE masked SET owner = 'carol';",
                             "DELETE FROM log WHERE seq IN (SELECT seq FROM masked);"};
    for (int b = 0; b < 2; b++) {
        char sql [4096];
        snprintf (sql, sizeof sql, "%s%s%s", b ? "" : SCHEMA_UNDO_16, breaks [b],
                  "PRAGMA user_version = 15;");
        s_sql_run (self->path, sql);
        self->store = store_new (self->path, STORE_SYNC_NORMAL);
        assert_null (self->store);
        assert_int_equal (s_sql_value (self->path, "PRAGMA user_version"), 15);
        assert_int_equal (s_count_rows (self->path, "masked"), 1);
        assert_int_equal (
            s_sql_value (self->path, "SELECT count(*) FROM pragma_table_info ('log') "
                                     "WHERE name IN ('owner', 'masked')"),
            0);
        //  Mended again for the second break.
        s_sql_run (self->path, "UPDATE masked SET owner = 'alice';");
    }
}

//  The result code of one statement run at path (its error, if any, is
//  the caller's to expect).
static int
s_sql_rc (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal (cells_register (db), SQLITE_OK);
    int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}

//  Every column of data_tables, as one text.
static char *
s_tables_text (const char *path)
{
    return s_rows_text (path, "SELECT group_concat (row, '|') FROM (SELECT quote (seq) || "
                              "quote (network) || quote (owner) || quote (unit) || "
                              "quote (indicator) || quote (period) || quote (version) || "
                              "quote (publisher) || quote (status) || quote (source) || "
                              "quote (extracted_on) || quote (received_at) || quote (current) || "
                              "quote (tkey) || quote (cells) || quote (ikey) || quote (okey) "
                              "AS row FROM data_tables ORDER BY seq)");
}

//  Every column of data_tables and data_values, as text: taken before a
//  migration is run again, and compared with what the store reads after.
typedef struct {
    char *tables, *values;
} s_snapshot_t;

static s_snapshot_t
s_snapshot (const char *path)
{
    return (s_snapshot_t){s_tables_text (path), s_values_text (path)};
}

//  The tables and values read now are those of before; both are freed.
static void
s_snapshot_same (const char *path, s_snapshot_t *before)
{
    s_snapshot_t after = s_snapshot (path);
    assert_string_equal (after.tables, before->tables);
    assert_string_equal (after.values, before->values);
    free (before->tables);
    free (before->values);
    free (after.tables);
    free (after.values);
    *before = (s_snapshot_t){NULL, NULL};
}

//  Migration 19 drops the log's index of owners' hashes and nothing else:
//  a database at 18 (the index back, with its entries) opens at the latest
//  schema without it, its tables and values read as before, and a partner's
//  count, which that index served, is the same.
static void
test_measure_migration_19_drops_the_owners_index (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    table_msg_t m;
    table_msg (&m, "a1", "early-literacy", "k3", "2026-Q1", "150/400");
    table_cell (&m, "race=black", "50/150");
    PUBLISH_OK (self, &self->alice, &m.env);
    table_msg (&m, "c1", "early-literacy", "k3", "2026-Q1", "10/40");
    PUBLISH_OK (self, &self->carol, &m.env);
    const char *count = "data_values WHERE current = 1 AND partner = 'alice' AND "
                        "network = 'early-literacy'";
    assert_int_equal (s_count_rows (self->path, count), 2);
    s_snapshot_t before = s_snapshot (self->path);
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_19 "PRAGMA user_version = 18;");
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                               "'log_okey'"),
                      1);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                               "'log_okey'"),
                      0);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                               "'log_ikey'"),
                      1);
    s_snapshot_same (self->path, &before);
    assert_int_equal (s_count_rows (self->path, count), 2);
}

//  Migration 17 copies every version's columns into its entry's log row,
//  and 18 makes data_tables the view of them: tables of two owners, a
//  unit, a source and none, a correction (its first version not current)
//  read the same through data_tables and data_values, every other entry's
//  row holds none of them, and the store goes on: a correction after it
//  supersedes the version before it.
static void
test_measure_migrations_17_and_18_keep_every_table_version (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", "race=white", "116/250", NULL);
    world_table (self, &self->alice, "a2", "early-literacy", "k3", "2026-Q3", "170/410",
                 "race=black", "53/160", "race=white", "117/250", NULL);
    //  A unit's table, from a source system, provisional.
    table_msg_t m;
    table_msg (&m, "c1", "early-literacy", "k3", "2026-Q2", "150/400");
    table_cell (&m, "race=black", "50/150");
    table_cell (&m, "race=white", "100/250");
    table_unit (&m, "adams");
    table_status (&m, CIBUS__VALUE_STATUS__PROVISIONAL);
    m.data.source = "sis";
    m.data.extracted_on = "2026-04-01";
    PUBLISH_OK (self, &self->carol, &m.env);
    uint64_t count = store_last_seq (self->store);
    assert_int_equal (count, 4);
    assert_int_equal (s_count_rows (self->path, "data_tables WHERE unit = 'adams' AND source = "
                                                "'sis' AND extracted_on = '2026-04-01' AND "
                                                "status = 2"),
                      1);
    s_snapshot_t before = s_snapshot (self->path);
    assert_int_equal (s_count_rows (self->path, "data_tables"), 3);
    assert_int_equal (s_count_rows (self->path, "data_tables WHERE current = 0"), 1);
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_17 "PRAGMA user_version = 16;");
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE "
                                               "type = 'table' AND name = 'data_tables'"),
                      1);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM pragma_table_info ('log') "
                                               "WHERE name IN ('ikey', 'cells', 'current')"),
                      0);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE "
                                               "type = 'view' AND name = 'data_tables'"),
                      1);
    //  17 made both indexes of names' hashes; 19 dropped the owners'.
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                               "'log_ikey'"),
                      1);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                               "'log_okey'"),
                      0);
    s_snapshot_same (self->path, &before);
    //  The catalogue's definition is an entry and no table.
    assert_int_equal (s_count_rows (self->path, "log WHERE ikey IS NULL AND network IS NULL "
                                                "AND cells IS NULL AND current IS NULL"),
                      1);

    //  A correction of c1 after the migrations: c1 is no longer current.
    table_msg (&m, "c2", "early-literacy", "k3", "2026-Q2", "151/400");
    table_cell (&m, "race=black", "51/150");
    table_cell (&m, "race=white", "100/250");
    table_unit (&m, "adams");
    PUBLISH_OK (self, &self->carol, &m.env);
    uint64_t c2 = self->appended.seq;
    assert_int_equal (self->appended.superseded, 4);
    assert_int_equal (s_count_rows (self->path, "data_tables"), 4);
    assert_int_equal (s_table_field (self->path, "current", 4), 0);
    assert_int_equal (s_table_field (self->path, "current", c2), 1);
    assert_int_equal (s_table_field (self->path, "version", c2), 2);
    //  A version's row without what data_tables held NOT NULL is refused.
    const char *unset [] = {"owner", "network", "unit", "indicator", "period", "version",
                            "status", "current", "tkey", "okey"};
    for (size_t i = 0; i < sizeof unset / sizeof unset [0]; i++) {
        char sql [128];
        snprintf (sql, sizeof sql, "UPDATE log SET %s = NULL WHERE seq = %llu", unset [i],
                  (unsigned long long)c2);
        assert_int_equal (s_sql_rc (self->path, sql), SQLITE_CONSTRAINT);
    }
    //  So is an entry added right after a table, whose row the statement
    //  that inserted the table's inserts.
    world_define_absence (self);
    assert_int_equal (s_count_rows (self->path, "log"), 6);
    assert_int_equal (s_count_rows (self->path, "data_tables"), 4);
    assert_int_equal (
        s_sql_value (self->path, "SELECT count(*) FROM log WHERE seq = 6 AND ikey IS NULL AND "
                                 "okey IS NULL AND network IS NULL AND unit IS NULL AND "
                                 "indicator IS NULL AND period IS NULL AND version IS NULL AND "
                                 "status IS NULL AND source IS NULL AND extracted_on IS NULL AND "
                                 "current IS NULL AND tkey IS NULL AND cells IS NULL"),
        1);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

//  Migration 17 refuses a table version whose entry is not in the log, or
//  is of another owner, publisher or time, rather than show it as the
//  entry's: the store does not open, and the database stays at 16.
static void
test_measure_migration_17_refuses_a_version_without_its_entry (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", NULL);
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_17 "PRAGMA user_version = 16;");
    const char *breaks [] = {"UPDATE data_tables SET owner = 'carol';",
                             "UPDATE data_tables SET publisher = 'carol';",
                             "UPDATE data_tables SET received_at = received_at + 1;",
                             "UPDATE data_tables SET seq = 99;"};
    const char *mends [] = {"UPDATE data_tables SET owner = 'alice';",
                            "UPDATE data_tables SET publisher = 'alice';",
                            "UPDATE data_tables SET received_at = received_at - 1;",
                            "UPDATE data_tables SET seq = 2;"};
    for (size_t b = 0; b < sizeof breaks / sizeof breaks [0]; b++) {
        s_sql_run (self->path, breaks [b]);
        self->store = store_new (self->path, STORE_SYNC_NORMAL);
        assert_null (self->store);
        assert_int_equal (s_sql_value (self->path, "PRAGMA user_version"), 16);
        assert_int_equal (s_count_rows (self->path, "data_tables"), 1);
        assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM pragma_table_info "
                                                   "('log') WHERE name = 'ikey'"),
                          0);
        s_sql_run (self->path, mends [b]);
    }
    //  Mended, it migrates.
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (s_count_rows (self->path, "data_tables WHERE owner = 'alice'"), 1);
}

//  Each table is keyed by the hash of its own indicator and of its own
//  network and owner (migration 15), whatever the table before it was:
//  tables of two indicators and two owners, interleaved, hold two keys
//  of each, and a store opened afresh, which hashes each name anew,
//  finds every table through them as the store that wrote them did.
static void
test_measure_tables_are_keyed_by_their_own_indicator_and_owner (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    world_define_absence (self);
    world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3", "168/410",
                 "race=black", "52/160", NULL);
    world_table (self, &self->alice, "a2", "early-literacy", "absence", "2026-09", "40/410",
                 "grade=3", "12/160", NULL);
    world_table (self, &self->carol, "c1", "early-literacy", "k3", "2026-Q3", "150/400",
                 "race=black", "50/150", NULL);
    world_table (self, &self->carol, "c2", "early-literacy", "absence", "2026-10", "30/400",
                 "grade=3", "11/150", NULL);
    world_table (self, &self->alice, "a3", "early-literacy", "k3", "2026-Q2", "160/410",
                 "race=black", "51/160", NULL);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT ikey) FROM data_tables"), 2);
    assert_int_equal (s_sql_value (self->path, "SELECT count(DISTINCT okey) FROM data_tables"), 2);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM (SELECT indicator FROM "
                                               "data_tables GROUP BY ikey HAVING "
                                               "count(DISTINCT indicator) > 1)"),
                      0);
    assert_int_equal (s_sql_value (self->path, "SELECT count(*) FROM (SELECT owner FROM "
                                               "data_tables GROUP BY okey HAVING "
                                               "count(DISTINCT owner) > 1)"),
                      0);
    char *k3 = strdup (s_values (self, &self->hub, "k3", NULL, true));
    char *absence = strdup (s_values (self, &self->hub, "absence", NULL, true));
    store_destroy (&self->store);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_string_equal (s_values (self, &self->hub, "k3", NULL, true), k3);
    assert_string_equal (s_values (self, &self->hub, "absence", NULL, true), absence);
    assert_non_null (strstr (k3, "2026-Q2"));
    assert_non_null (strstr (absence, "2026-10"));
    free (k3);
    free (absence);
}

//  Migration 12 packs every row a version has in data_cells, however
//  many: here a table's three, and 300 more than a table may have (as a
//  replica written before such a table was refused could hold), each
//  read back in the order of its cell.
static void
test_measure_migration_12_packs_every_row_of_a_version (void **state)
{
    world_t *self = *state;
    s_define_k3 (self);
    uint64_t seq = world_table (self, &self->alice, "a1", "early-literacy", "k3", "2026-Q3",
                                "168/410", "race=black", "52/160", "race=white", "75/140", NULL);
    store_destroy (&self->store);
    s_sql_run (self->path, SCHEMA_UNDO_14);
    s_sql_run (self->path, S_CELLS_UNPACKED);
    char sql [256];
    snprintf (sql, sizeof sql,
              "WITH RECURSIVE n (i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 301) "
              "INSERT INTO data_cells SELECT %llu, i, 'extra' || i, 1, 'extra', 'x' || i, NULL, "
              "20, NULL, NULL, 0, 1, NULL, NULL, 0 FROM n;"
              "PRAGMA user_version = 11;",
              (unsigned long long)seq);
    s_sql_run (self->path, sql);
    char *values = s_values_text (self->path);
    self->store = store_new (self->path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    snprintf (sql, sizeof sql, "SELECT count(*) FROM data_values WHERE seq = %llu",
              (unsigned long long)seq);
    assert_int_equal (s_sql_value (self->path, sql), 3 + 300);
    char *migrated = s_values_text (self->path);
    assert_string_equal (migrated, values);
    free (migrated);
    free (values);
}

static void
test_measure_a_version_1_database_is_migrated_with_empty_projections (void **state)
{
    world_t *self = *state;
    store_destroy (&self->store);
    char path [PATH_MAX + 8];
    snprintf (path, sizeof path, "%s/v1.db", self->dir);
    s_sql_run (path, s_migration_1);

    self->store = store_new (path, STORE_SYNC_NORMAL);
    assert_non_null (self->store);
    assert_int_equal (store_schema_version (self->store), S_LATEST_SCHEMA);
    assert_int_equal (store_last_seq (self->store), 1);
    const char *projections [] = {"indicators", "data_values",   "data_tables", "commitments",
                                  "notes",      "config",        "partner_feeds", "practices"};
    for (size_t i = 0; i < sizeof projections / sizeof projections [0]; i++)
        assert_int_equal (s_count_rows (path, projections [i]), 0);
    assert_int_equal (s_count_rows (path, "log"), 1);
    assert_int_equal (store_min_cell (self->store), 10);
    //  And it works as a new one does (its registry is empty: the fixture's
    //  partners are records only here, which is all store_append needs).
    world_define_k3 (self);
    world_table (self, &self->alice, "d1", "early-literacy", "k3-reading", "2026-Q1", "168/410",
                 "race=black", "52/160", "race=white", "75/140", NULL);
    assert_int_equal (s_count_rows (path, "data_values"), 3);
    assert_int_equal (s_count_rows (path, "data_tables"), 1);
    assert_int_equal (s_count_rows (path, "log WHERE masked IS NOT NULL"), 1);
    assert_int_equal (store_check_integrity (self->store), CIBUS_OK);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, world_setup, world_teardown)
    const struct CMUnitTest tests [] = {
        T (test_measure_backbone_defines_an_indicator),
        T (test_measure_only_the_backbone_defines_indicators),
        T (test_measure_redefinition_is_the_next_version_and_in_force),
        T (test_measure_more_indicators_than_the_cache_are_each_judged_by_their_own),
        T (test_measure_refuses_an_indicator_not_in_the_catalogue),
        T (test_measure_refuses_an_indicator_not_used_in_the_network),
        T (test_measure_refuses_a_period_of_another_kind),
        T (test_measure_refuses_a_value_outside_the_range),
        T (test_measure_refuses_a_value_that_is_not_finite),
        T (test_measure_refuses_a_value_that_disagrees_with_its_counts),
        T (test_measure_stores_the_value_derived_from_the_counts),
        T (test_measure_a_count_needs_its_value),
        T (test_measure_refuses_a_zero_denominator),
        T (test_measure_refuses_a_numerator_above_its_denominator),
        T (test_measure_a_dimension_takes_only_its_categories),
        T (test_measure_refuses_a_dimension_the_indicator_does_not_allow),
        T (test_measure_a_table_has_its_total),
        T (test_measure_refuses_a_category_of_two_dimensions),
        T (test_measure_refuses_cells_above_their_total),
        T (test_measure_refuses_a_numerator_above_the_denominator_naming_the_cell),
        T (test_measure_a_submission_may_follow_its_definition_in_one_batch),
        T (test_measure_a_correction_may_follow_its_table_in_one_batch),
        T (test_measure_an_aborted_batch_leaves_no_projection),
        T (test_measure_a_repeated_table_is_a_duplicate_not_a_version),
        T (test_measure_a_unit_has_tables_of_its_own),
        T (test_measure_commitment_lifecycle_committed_at_risk_done),
        T (test_measure_a_dropped_commitment_cannot_change),
        T (test_measure_update_of_an_unknown_commitment_is_refused),
        T (test_measure_only_the_owner_or_the_backbone_updates_a_commitment),
        T (test_measure_a_commitment_outside_the_readers_networks_is_not_found),
        T (test_measure_an_update_travels_in_its_commitment_network),
        T (test_measure_an_update_may_follow_its_commitment_in_one_batch),
        T (test_measure_a_commitment_id_belongs_to_one_partner),
        T (test_measure_a_taken_commitment_id_tells_an_outsider_nothing),
        T (test_measure_who_may_read_a_network),
        T (test_measure_min_cell_defaults_to_ten),
        T (test_measure_config_sets_min_cell_and_keeps_it),
        T (test_measure_config_refuses_bad_settings),
        T (test_measure_a_table_is_decided_once_and_served_as_stored),
        T (test_measure_only_tables_have_a_masked_copy),
        T (test_measure_route2_the_remainder_counts),
        T (test_measure_the_audit_finds_what_naive_suppression_leaks),
        T (test_measure_cells_suppressed_at_source_stay_hidden),
        T (test_measure_a_score_table_is_decided_like_a_percent),
        T (test_measure_min_cell_changes_the_decision),
        T (test_measure_coding_changes_the_decision),
        T (test_measure_protection_changes_the_decision),
        T (test_measure_a_partner_submits_its_own_tables_only),
        T (test_measure_an_integrator_submits_for_the_partners_it_feeds),
        T (test_measure_the_backbone_may_name_any_owner),
        T (test_measure_a_correction_hides_at_least_what_was_hidden),
        T (test_measure_the_decision_is_stored_per_cell),
        T (test_measure_route1_the_order_of_the_rows_changes_nothing),
        T (test_measure_route3_a_correction_does_not_tell_the_late_pupil),
        T (test_measure_route4_cross_cells_under_a_hidden_cell),
        T (test_measure_route5_extremes_are_not_pinned),
        T (test_measure_route6_n_disagreeing_with_the_denominator_is_refused),
        T (test_measure_route7_two_senders_of_one_table),
        T (test_measure_a_version_1_database_is_migrated_with_empty_projections),
        T (test_measure_tables_sharing_a_key_hash_stay_apart),
        T (test_measure_table_keys_in_runs_find_every_earlier_version),
        T (test_measure_a_tables_key_is_the_keyed_hash_of_its_five_names),
        T (test_measure_migration_9_keys_every_table),
        T (test_measure_migration_12_packs_every_row_of_a_version),
        T (test_measure_migration_15_keys_every_table),
        T (test_measure_tables_are_keyed_by_their_own_indicator_and_owner),
        T (test_measure_migration_16_keeps_every_masked_copy),
        T (test_measure_migration_16_refuses_a_copy_without_its_table),
        T (test_measure_migrations_17_and_18_keep_every_table_version),
        T (test_measure_migration_19_drops_the_owners_index),
        T (test_measure_migration_17_refuses_a_version_without_its_entry),
        T (test_measure_table_keys_behind_the_entries_are_read_back),
    };
#undef T
    return cmocka_run_group_tests (tests, NULL, NULL);
}
