/*  fuzz_seeds.c - the fuzz target's registry and seed requests; see
    fuzz_seeds.h.

    Each seed is built from the generated structs and encoded by the codec,
    so the corpus follows the protocol when it changes (`make fuzz-seeds`,
    and `make check` says when the committed corpus is stale). Dates and
    values are fixed: the same source always gives the same bytes.        */

#include "fuzz_seeds.h"

#include <assert.h>
#include <string.h>

const fuzz_partner_t fuzz_partners [FUZZ_REGISTERED] = {
    [FUZZ_HUB] = {"hub", ROLE_BACKBONE, {NULL}},
    [FUZZ_ALICE] = {"alice", ROLE_PARTNER, {"early-literacy", NULL}},
    [FUZZ_BOB] = {"bob", ROLE_PARTNER, {"postsecondary", NULL}},
    [FUZZ_CAROL] = {"carol", ROLE_PARTNER, {"early-literacy", "postsecondary", NULL}},
    [FUZZ_FEED] = {"feed", ROLE_INTEGRATOR, {"early-literacy", NULL}},
    [FUZZ_PIPE] = {"pipe", ROLE_INTEGRATOR, {"postsecondary", NULL}},
};

fuzz_sender_t
fuzz_sender (uint8_t selector)
{
    return (fuzz_sender_t) (selector & FUZZ_SENDER_MASK);
}

size_t
fuzz_routing (uint8_t selector, uint8_t *routing)
{
    unsigned connection = selector >> FUZZ_ROUTING_SHIFT;
    if (connection == FUZZ_ROUTING_EMPTY)
        return 0;
    if (connection == FUZZ_ROUTING_LONG) {
        memset (routing, 'r', FUZZ_ROUTING_MAX);
        return FUZZ_ROUTING_MAX;
    }
    //  libzmq's own routing ids are five bytes starting with a zero.
    routing [0] = 0;
    memcpy (routing + 1, "fuz", 3);
    routing [4] = (uint8_t) connection;
    return 5;
}

//  ---------------------------------------------------------------- helpers

static cibus_err_t
s_publish (envelope_t *env, codec_buf_t *buf)
{
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_query (Cibus__Query *query, codec_buf_t *buf)
{
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_QUERY;
    request.query = query;
    return codec_pack_request (&request, buf);
}

static envelope_t
s_envelope (const char *id, const char *topic)
{
    envelope_t env = CIBUS__ENVELOPE__INIT;
    env.id = (char *) id;
    env.topic = (char *) topic;
    return env;
}

static Cibus__Milestone
s_milestone (const char *period, double value)
{
    Cibus__Milestone milestone = CIBUS__MILESTONE__INIT;
    milestone.period = (char *) period;
    milestone.has_value = true;
    milestone.value = value;
    return milestone;
}

//  ---------------------------------------------------------------- publish

static cibus_err_t
s_indicator_percent (codec_buf_t *buf)
{
    char *dimensions [] = {"race", "grade", "ell"};
    char *races [] = {"asian", "black", "hispanic", "white"};
    char *networks [] = {"early-literacy"};
    Cibus__DimensionCategories race = CIBUS__DIMENSION_CATEGORIES__INIT;
    race.dimension = "race";
    race.n_categories = 4;
    race.categories = races;
    Cibus__DimensionCategories *categories [] = {&race};
    Cibus__Milestone baseline = s_milestone ("2024-25", 55);
    Cibus__Milestone target = s_milestone ("2026-27", 70);
    Cibus__Milestone *targets [] = {&target};
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = "k3-reading";
    def.name = "3rd-grade reading proficiency";
    def.has_unit = def.has_direction = def.has_period_kind = true;
    def.unit = CIBUS__UNIT__PERCENT;
    def.direction = CIBUS__DIRECTION__UP;
    def.period_kind = CIBUS__PERIOD_KIND__SCHOOL_YEAR;
    def.n_dimensions = 3;
    def.dimensions = dimensions;
    def.n_categories = 1;
    def.categories = categories;
    def.baseline = &baseline;
    def.n_targets = 1;
    def.targets = targets;
    def.n_networks = 1;
    def.networks = networks;
    envelope_t env = s_envelope ("def-k3-reading-1", "catalog/indicator");
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    return s_publish (&env, buf);
}

static cibus_err_t
s_indicator_rate (codec_buf_t *buf)
{
    char *dimensions [] = {"income"};
    char *networks [] = {"postsecondary"};
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = "fafsa-completion";
    def.name = "FAFSA completion";
    def.has_unit = def.has_direction = def.has_period_kind = true;
    def.unit = CIBUS__UNIT__RATE;
    def.direction = CIBUS__DIRECTION__UP;
    def.period_kind = CIBUS__PERIOD_KIND__QUARTER;
    def.has_min = def.has_max = true;
    def.min = 0;
    def.max = 1;
    def.n_dimensions = 1;
    def.dimensions = dimensions;
    def.n_networks = 1;
    def.networks = networks;
    envelope_t env = s_envelope ("def-fafsa-1", "catalog/indicator");
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    return s_publish (&env, buf);
}

//  A count in every network (no networks listed), by month.
static cibus_err_t
s_indicator_count (codec_buf_t *buf)
{
    char *dimensions [] = {"school"};
    Cibus__Milestone baseline = s_milestone ("2025-09", 40);
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = "chronic-absence";
    def.name = "Students chronically absent";
    def.has_unit = def.has_direction = def.has_period_kind = true;
    def.unit = CIBUS__UNIT__COUNT;
    def.direction = CIBUS__DIRECTION__DOWN;
    def.period_kind = CIBUS__PERIOD_KIND__MONTH;
    def.n_dimensions = 1;
    def.dimensions = dimensions;
    def.baseline = &baseline;
    envelope_t env = s_envelope ("def-absence-1", "catalog/indicator");
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    return s_publish (&env, buf);
}

//  A cell of a data table. The strings are static; dims points into the
//  caller's storage.
static Cibus__DataCell
s_cell (Cibus__Dimension **dims, size_t count)
{
    Cibus__DataCell cell = CIBUS__DATA_CELL__INIT;
    cell.n_dimensions = count;
    cell.dimensions = count ? dims : NULL;
    return cell;
}

static void
s_counts (Cibus__DataCell *cell, uint64_t numerator, uint64_t denominator)
{
    cell->has_numerator = cell->has_denominator = true;
    cell->numerator = numerator;
    cell->denominator = denominator;
}

static Cibus__Dimension
s_dimension (const char *key, const char *value)
{
    Cibus__Dimension dimension = CIBUS__DIMENSION__INIT;
    dimension.key = (char *) key;
    dimension.value = (char *) value;
    return dimension;
}

static cibus_err_t
s_publish_table (const char *id, const char *topic, Cibus__DataSubmission *data,
                 codec_buf_t *buf)
{
    envelope_t env = s_envelope (id, topic);
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = data;
    return s_publish (&env, buf);
}

//  alice's k3 table of a school for 2025-26, as in issue 10: total 168/410,
//  four races (asian 3/6 is under the minimum cell size: hidden, with a
//  complement, from every reader but alice and the backbone), and a cross
//  of race and ell. The correction below changes asian and the total.
static cibus_err_t
s_k3_table (const char *id, bool corrected, codec_buf_t *buf)
{
    static const struct {
        const char *race;
        uint64_t numerator, denominator;
    } races [] = {{"black", 52, 160}, {"hispanic", 38, 104}, {"white", 75, 140}, {"asian", 3, 6}};
    Cibus__Dimension race [4], ell = s_dimension ("ell", "yes");
    Cibus__Dimension *dims [4][1], *cross [2];
    Cibus__DataCell cells [5], total = s_cell (NULL, 0);
    Cibus__DataCell *list [5];
    s_counts (&total, corrected ? 169 : 168, corrected ? 411 : 410);
    for (size_t i = 0; i < 4; i++) {
        race [i] = s_dimension ("race", races [i].race);
        dims [i][0] = &race [i];
        cells [i] = s_cell (dims [i], 1);
        s_counts (&cells [i], races [i].numerator, races [i].denominator);
        list [i] = &cells [i];
    }
    if (corrected)
        s_counts (&cells [3], 4, 7);
    cross [0] = &race [0];
    cross [1] = &ell;
    cells [4] = s_cell (cross, 2);
    s_counts (&cells [4], 12, 40);
    list [4] = &cells [4];
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2025-26";
    data.unit = "lincoln";
    data.total = &total;
    data.n_cells = 5;
    data.cells = list;
    data.has_status = true;
    data.status = corrected ? CIBUS__VALUE_STATUS__FINAL : CIBUS__VALUE_STATUS__PROVISIONAL;
    data.source = "district sis";
    data.extracted_on = corrected ? "2026-10-01" : "2026-09-15";
    return s_publish_table (id, "early-literacy/data", &data, buf);
}

static cibus_err_t
s_data_full (codec_buf_t *buf)
{
    return s_k3_table ("d-alice-1", false, buf);
}

//  A correction: the same table (indicator, period, unit) again, its next
//  version. The first version's masked copy becomes a marker.
static cibus_err_t
s_data_correction (codec_buf_t *buf)
{
    return s_k3_table ("d-alice-1-corrected", true, buf);
}

//  Cells suppressed at source, as a state file's '*' and '*/4' arrive:
//  without a result, with or without their size.
static cibus_err_t
s_data_small_cell (codec_buf_t *buf)
{
    Cibus__Dimension asian = s_dimension ("race", "asian"), black = s_dimension ("race", "black");
    Cibus__Dimension *a [] = {&asian}, *b [] = {&black};
    Cibus__DataCell total = s_cell (NULL, 0), star = s_cell (a, 1), sized = s_cell (b, 1);
    s_counts (&total, 200, 400);
    star.has_suppressed = star.suppressed = true;
    sized.has_suppressed = sized.suppressed = true;
    sized.has_denominator = true;
    sized.denominator = 4;
    Cibus__DataCell *cells [] = {&star, &sized};
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2025-26";
    data.unit = "jefferson";
    data.total = &total;
    data.n_cells = 2;
    data.cells = cells;
    data.has_status = true;
    data.status = CIBUS__VALUE_STATUS__PROVISIONAL;
    return s_publish_table ("d-alice-2", "early-literacy/data", &data, buf);
}

//  An integrator's table, on behalf of alice (whom it feeds), given as a
//  total's counts only: the broker derives the value from the unit.
static cibus_err_t
s_data_derived (codec_buf_t *buf)
{
    Cibus__DataCell total = s_cell (NULL, 0);
    s_counts (&total, 610, 1000);
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2025-26";
    data.owner = "alice";
    data.total = &total;
    return s_publish_table ("feed-2025-26-total", "early-literacy/data", &data, buf);
}

//  Refused: an integrator must name the partner a table belongs to.
static cibus_err_t
s_data_no_owner (codec_buf_t *buf)
{
    Cibus__DataCell total = s_cell (NULL, 0);
    s_counts (&total, 61, 100);
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2025-26";
    data.total = &total;
    return s_publish_table ("feed-no-owner", "early-literacy/data", &data, buf);
}

static cibus_err_t
s_data_rate (codec_buf_t *buf)
{
    Cibus__Dimension low = s_dimension ("income", "low"), high = s_dimension ("income", "high");
    Cibus__Dimension *l [] = {&low}, *h [] = {&high};
    Cibus__DataCell total = s_cell (NULL, 0), first = s_cell (l, 1), second = s_cell (h, 1);
    s_counts (&total, 123, 300);
    s_counts (&first, 41, 100);
    s_counts (&second, 82, 200);
    Cibus__DataCell *cells [] = {&first, &second};
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "fafsa-completion";
    data.period = "2026-Q3";
    data.total = &total;
    data.n_cells = 2;
    data.cells = cells;
    data.has_status = true;
    data.status = CIBUS__VALUE_STATUS__ESTIMATED;
    return s_publish_table ("d-bob-1", "postsecondary/data", &data, buf);
}

//  A count: value and n.
static cibus_err_t
s_data_count (codec_buf_t *buf)
{
    Cibus__Dimension school = s_dimension ("school", "lincoln");
    Cibus__Dimension *dims [] = {&school};
    Cibus__DataCell total = s_cell (NULL, 0), cell = s_cell (dims, 1);
    total.has_value = total.has_n = true;
    total.value = 31;
    total.n = 410;
    cell.has_value = cell.has_n = true;
    cell.value = 12;
    cell.n = 150;
    Cibus__DataCell *cells [] = {&cell};
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "chronic-absence";
    data.period = "2026-09";
    data.total = &total;
    data.n_cells = 1;
    data.cells = cells;
    return s_publish_table ("d-carol-1", "postsecondary/data", &data, buf);
}

//  Refused: alice is not in postsecondary.
static cibus_err_t
s_data_other_network (codec_buf_t *buf)
{
    Cibus__DataCell total = s_cell (NULL, 0);
    s_counts (&total, 1, 2);
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "fafsa-completion";
    data.period = "2026-Q3";
    data.total = &total;
    return s_publish_table ("d-alice-elsewhere", "postsecondary/data", &data, buf);
}

static cibus_err_t
s_note (codec_buf_t *buf)
{
    char *attendees [] = {"alice", "hub", "carol"};
    char *decisions [] = {"share the k3 breakdown by race", "meet monthly"};
    Cibus__MeetingNote note = CIBUS__MEETING_NOTE__INIT;
    note.title = "Fall data walk";
    note.body = "We looked at the 2025-26 reading results by school and by race.";
    note.held_on = "2026-10-02";
    note.n_attendees = 3;
    note.attendees = attendees;
    note.n_decisions = 2;
    note.decisions = decisions;
    envelope_t env = s_envelope ("n-alice-1", "early-literacy/note");
    env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    env.note = &note;
    return s_publish (&env, buf);
}

static cibus_err_t
s_commitment (codec_buf_t *buf)
{
    char *indicators [] = {"k3-reading"};
    Cibus__ActionCommitment commitment = CIBUS__ACTION_COMMITMENT__INIT;
    commitment.action = "Start a tutoring pilot in two schools";
    commitment.due = "2026-12-15";
    commitment.n_indicators = 1;
    commitment.indicators = indicators;
    envelope_t env = s_envelope ("c-alice-tutoring", "early-literacy/commitment");
    env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    env.commitment = &commitment;
    return s_publish (&env, buf);
}

//  Due before the date the commitment queries judge "overdue" at.
static cibus_err_t
s_commitment_overdue (codec_buf_t *buf)
{
    Cibus__ActionCommitment commitment = CIBUS__ACTION_COMMITMENT__INIT;
    commitment.action = "FAFSA nights at every high school";
    commitment.due = "2026-03-01";
    envelope_t env = s_envelope ("c-bob-fafsa", "postsecondary/commitment");
    env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    env.commitment = &commitment;
    return s_publish (&env, buf);
}

static cibus_err_t
s_update (codec_buf_t *buf)
{
    Cibus__CommitmentUpdate update = CIBUS__COMMITMENT_UPDATE__INIT;
    update.commitment_id = "c-alice-tutoring";
    update.has_status = true;
    update.status = CIBUS__COMMITMENT_STATUS__AT_RISK;
    update.comment = "one school has not started";
    envelope_t env = s_envelope ("u-alice-1", "early-literacy/commitment");
    env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    env.update = &update;
    return s_publish (&env, buf);
}

//  The backbone may update any partner's commitment.
static cibus_err_t
s_update_backbone (codec_buf_t *buf)
{
    Cibus__CommitmentUpdate update = CIBUS__COMMITMENT_UPDATE__INIT;
    update.commitment_id = "c-alice-tutoring";
    update.has_status = true;
    update.status = CIBUS__COMMITMENT_STATUS__ON_TRACK;
    envelope_t env = s_envelope ("u-hub-1", "early-literacy/commitment");
    env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    env.update = &update;
    return s_publish (&env, buf);
}

//  ---------------------------------------------------------------- the rest

static cibus_err_t
s_subscribe_prefixes (codec_buf_t *buf)
{
    char *prefixes [] = {"early-literacy/", "catalog/"};
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = 2;
    subscribe.prefixes = prefixes;
    subscribe.has_from_seq = subscribe.has_credit = true;
    subscribe.from_seq = 1;
    subscribe.credit = 16;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    return codec_pack_request (&request, buf);
}

//  From alice's first table (the fourth entry in replay order): carol, in
//  the same network, is delivered the marker its correction left, then
//  the masked copies of alice's later tables.
static cibus_err_t
s_subscribe_small_cell (codec_buf_t *buf)
{
    char *prefixes [] = {"early-literacy/data"};
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = 1;
    subscribe.prefixes = prefixes;
    subscribe.has_from_seq = subscribe.has_credit = true;
    subscribe.from_seq = 4;
    subscribe.credit = 4;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_subscribe_all (codec_buf_t *buf)
{
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_credit (codec_buf_t *buf)
{
    Cibus__Credit credit = CIBUS__CREDIT__INIT;
    credit.has_credit = true;
    credit.credit = 8;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_CREDIT;
    request.credit = &credit;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_ping (codec_buf_t *buf)
{
    Cibus__Ping ping = CIBUS__PING__INIT;
    ping.has_token = true;
    ping.token = 42;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_status (codec_buf_t *buf)
{
    Cibus__Status status = CIBUS__STATUS__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_STATUS;
    request.status = &status;
    return codec_pack_request (&request, buf);
}

static cibus_err_t
s_query_indicators (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "indicators";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_values_by (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "values";
    query.indicator = "k3-reading";
    query.by = "race";
    query.has_history = true;
    query.history = true;
    return s_query (&query, buf);
}

static cibus_err_t
s_query_values_network (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "values";
    query.indicator = "k3-reading";
    query.network = "early-literacy";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_commitments_overdue (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "commitments";
    query.has_overdue = true;
    query.overdue = true;
    query.today = "2026-06-01";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_commitments_owner (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "commitments";
    query.owner = "alice";
    query.network = "early-literacy";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_notes (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "notes";
    query.since = "2026-01-01";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_report_year (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "report";
    query.period = "2025-26";
    query.today = "2026-06-01";
    return s_query (&query, buf);
}

static cibus_err_t
s_query_report_quarter (codec_buf_t *buf)
{
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "report";
    query.period = "2026-Q3";
    query.network = "postsecondary";
    return s_query (&query, buf);
}

//  ---------------------------------------------------------------- the table

//  In replay order: definitions before the values that need them, a
//  commitment before its updates, a subscription before its credit (on the
//  same connection; the backbone's from now on, which stays open because
//  it has nothing to deliver, and then the same connection's id under
//  another key, as a client that took over the id would send it).
static const struct {
    const char *name;
    uint8_t selector;
    cibus_err_t (*pack) (codec_buf_t *buf);
} s_seeds [] = {
    {"publish-indicator-percent", FUZZ_SELECTOR (FUZZ_HUB, 0), s_indicator_percent},
    {"publish-indicator-rate", FUZZ_SELECTOR (FUZZ_HUB, 0), s_indicator_rate},
    {"publish-indicator-count", FUZZ_SELECTOR (FUZZ_HUB, 0), s_indicator_count},
    {"publish-data-alice", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_data_full},
    {"publish-data-small-cell", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_data_small_cell},
    {"publish-data-correction", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_data_correction},
    {"publish-data-derived-feed", FUZZ_SELECTOR (FUZZ_FEED, 4), s_data_derived},
    {"publish-data-feed-no-owner", FUZZ_SELECTOR (FUZZ_FEED, 4), s_data_no_owner},
    {"publish-data-rate-bob", FUZZ_SELECTOR (FUZZ_BOB, 2), s_data_rate},
    {"publish-data-count-carol", FUZZ_SELECTOR (FUZZ_CAROL, 3), s_data_count},
    {"publish-data-forbidden", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_data_other_network},
    {"publish-note", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_note},
    {"publish-commitment", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_commitment},
    {"publish-commitment-overdue", FUZZ_SELECTOR (FUZZ_BOB, 2), s_commitment_overdue},
    {"publish-update", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_update},
    {"publish-update-backbone", FUZZ_SELECTOR (FUZZ_HUB, 0), s_update_backbone},
    {"subscribe-prefixes", FUZZ_SELECTOR (FUZZ_ALICE, 5), s_subscribe_prefixes},
    {"subscribe-small-cell", FUZZ_SELECTOR (FUZZ_CAROL, 10), s_subscribe_small_cell},
    {"subscribe-all", FUZZ_SELECTOR (FUZZ_HUB, 6), s_subscribe_all},
    {"subscribe-integrator", FUZZ_SELECTOR (FUZZ_FEED, 4), s_subscribe_all},
    {"credit", FUZZ_SELECTOR (FUZZ_HUB, 6), s_credit},
    {"credit-other-key", FUZZ_SELECTOR (FUZZ_ALICE, 6), s_credit},
    {"credit-unsubscribed", FUZZ_SELECTOR (FUZZ_BOB, 2), s_credit},
    {"ping", FUZZ_SELECTOR (FUZZ_CAROL, 3), s_ping},
    {"ping-stranger", FUZZ_SELECTOR (FUZZ_STRANGER, 7), s_ping},
    {"ping-no-key", FUZZ_SELECTOR (FUZZ_NO_KEY, 8), s_ping},
    {"ping-empty-routing", FUZZ_SELECTOR (FUZZ_PIPE, FUZZ_ROUTING_EMPTY), s_ping},
    {"subscribe-long-routing", FUZZ_SELECTOR (FUZZ_BOB, FUZZ_ROUTING_LONG), s_subscribe_all},
    {"status", FUZZ_SELECTOR (FUZZ_BOB, 2), s_status},
    {"query-indicators", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_query_indicators},
    {"query-values-by", FUZZ_SELECTOR (FUZZ_HUB, 0), s_query_values_by},
    {"query-values-network", FUZZ_SELECTOR (FUZZ_CAROL, 3), s_query_values_network},
    {"query-commitments-overdue", FUZZ_SELECTOR (FUZZ_HUB, 0), s_query_commitments_overdue},
    {"query-commitments-owner", FUZZ_SELECTOR (FUZZ_ALICE, 1), s_query_commitments_owner},
    {"query-notes", FUZZ_SELECTOR (FUZZ_CAROL, 3), s_query_notes},
    {"query-report-year", FUZZ_SELECTOR (FUZZ_HUB, 0), s_query_report_year},
    {"query-report-quarter", FUZZ_SELECTOR (FUZZ_BOB, 2), s_query_report_quarter},
    {"query-integrator", FUZZ_SELECTOR (FUZZ_PIPE, 9), s_query_indicators},
};

size_t
fuzz_seed_count (void)
{
    return sizeof s_seeds / sizeof s_seeds [0];
}

cibus_err_t
fuzz_seed_pack (size_t index, const char **name, uint8_t *selector, codec_buf_t *request)
{
    assert (index < fuzz_seed_count ());
    *name = s_seeds [index].name;
    *selector = s_seeds [index].selector;
    return s_seeds [index].pack (request);
}
