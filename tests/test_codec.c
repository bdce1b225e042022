/*  test_codec.c - encoding, decoding and the structural check of entries.

    Validation tests start from a sample envelope that is valid, break one
    field, and check the refusal word for word: the field it names and the
    one line a person reads. The same words reach users through the
    broker's Error replies and the CLI, so they are part of the contract.  */

#include "codec.h"
#include "disclosure.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  ------------------------------------------------------------ samples

//  One valid envelope of each body kind, in storage the test owns.
typedef struct {
    envelope_t env;
    Cibus__DataSubmission data;
    Cibus__DataCell total;
    Cibus__DataCell cell [3];
    Cibus__DataCell *cells [3];
    //  race=black; race=hispanic and income=low; race=asian
    Cibus__Dimension dimension [4];
    Cibus__Dimension *black [1], *cross [2], *asian [1];
    Cibus__MeetingNote note;
    char *attendees [2];
    char *decisions [1];
    Cibus__ActionCommitment commitment;
    char *indicators [2];
    Cibus__CommitmentUpdate update;
} sample_t;

//  A cell of numerator/denominator.
static void
s_cell_counts (Cibus__DataCell *cell, uint64_t numerator, uint64_t denominator)
{
    cell->has_numerator = cell->has_denominator = 1;
    cell->numerator = numerator;
    cell->denominator = denominator;
}

//  A data table: a school's k3 result, its total 168/410, race=black
//  52/160, the cross race=hispanic,income=low 20/70, and race=asian
//  suppressed at source with its size ('*/6' in a state file).
static void
s_sample_data (sample_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "d-2026-001";
    self->env.topic = "north/data";
    self->env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    self->env.data = &self->data;

    self->data = (Cibus__DataSubmission) CIBUS__DATA_SUBMISSION__INIT;
    self->data.indicator = "k3-reading";
    self->data.period = "2025-26";
    self->data.unit = "lincoln-elementary";
    self->data.owner = "north-isd";
    for (size_t i = 0; i < 4; i++)
        self->dimension [i] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
    self->dimension [0].key = "race";
    self->dimension [0].value = "black";
    self->dimension [1].key = "race";
    self->dimension [1].value = "hispanic";
    self->dimension [2].key = "income";
    self->dimension [2].value = "low";
    self->dimension [3].key = "race";
    self->dimension [3].value = "asian";
    self->black [0] = &self->dimension [0];
    self->cross [0] = &self->dimension [1];
    self->cross [1] = &self->dimension [2];
    self->asian [0] = &self->dimension [3];

    self->total = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    s_cell_counts (&self->total, 168, 410);
    for (size_t i = 0; i < 3; i++) {
        self->cell [i] = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
        self->cells [i] = &self->cell [i];
    }
    self->cell [0].n_dimensions = 1;
    self->cell [0].dimensions = self->black;
    s_cell_counts (&self->cell [0], 52, 160);
    self->cell [1].n_dimensions = 2;
    self->cell [1].dimensions = self->cross;
    s_cell_counts (&self->cell [1], 20, 70);
    self->cell [2].n_dimensions = 1;
    self->cell [2].dimensions = self->asian;
    self->cell [2].has_suppressed = self->cell [2].suppressed = 1;
    self->cell [2].has_denominator = 1;
    self->cell [2].denominator = 6;
    self->data.total = &self->total;
    self->data.n_cells = 3;
    self->data.cells = self->cells;
    self->data.has_status = 1;
    self->data.status = CIBUS__VALUE_STATUS__FINAL;
    self->data.source = "district sis";
    self->data.extracted_on = "2026-09-15";
}

static void
s_sample_note (sample_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "n-1";
    self->env.topic = "north/note";
    self->env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    self->env.note = &self->note;

    self->note = (Cibus__MeetingNote) CIBUS__MEETING_NOTE__INIT;
    self->note.title = "Quarterly review";
    self->note.body = "Reading scores are up.\nAttendance is flat.";
    self->note.held_on = "2026-09-15";
    self->attendees [0] = "Ana Ruiz";
    self->attendees [1] = "Sam Lee";
    self->note.n_attendees = 2;
    self->note.attendees = self->attendees;
    self->decisions [0] = "Extend the tutoring pilot to grade 3";
    self->note.n_decisions = 1;
    self->note.decisions = self->decisions;
}

static void
s_sample_commitment (sample_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "c-1";
    self->env.topic = "north/commitment";
    self->env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    self->env.commitment = &self->commitment;

    self->commitment = (Cibus__ActionCommitment) CIBUS__ACTION_COMMITMENT__INIT;
    self->commitment.action = "Hire two reading coaches";
    self->commitment.due = "2026-12-15";
    self->indicators [0] = "k3-reading";
    self->indicators [1] = "attendance";
    self->commitment.n_indicators = 2;
    self->commitment.indicators = self->indicators;
}

static void
s_sample_update (sample_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "u-1";
    self->env.topic = "north/commitment";
    self->env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    self->env.update = &self->update;

    self->update = (Cibus__CommitmentUpdate) CIBUS__COMMITMENT_UPDATE__INIT;
    self->update.commitment_id = "c-1";
    self->update.has_status = 1;
    self->update.status = CIBUS__COMMITMENT_STATUS__AT_RISK;
    self->update.comment = "One coach hired so far";
}

//  A string of n copies of c, to be freed by the caller.
static char *
s_repeat (char c, size_t n)
{
    char *text = malloc (n + 1);
    assert_non_null (text);
    memset (text, c, n);
    text [n] = 0;
    return text;
}

//  A list of n copies of one item, for the count limits.
#define MANY (CIBUS_MAX_LIST + 1)

static void
s_many (char **items, const char *item)
{
    for (size_t i = 0; i < MANY; i++)
        items [i] = (char *) item;
}

//  Validation must refuse env naming field, with exactly message.
#define assert_refused(env, expected_field, expected_message) \
    do { \
        codec_problem_t problem_; \
        memset (&problem_, 0, sizeof problem_); \
        assert_int_equal (codec_validate_envelope ((env), &problem_), CIBUS_ERR_BAD_FIELD); \
        assert_int_equal (problem_.code, CIBUS_ERR_BAD_FIELD); \
        assert_string_equal (problem_.field, (expected_field)); \
        assert_string_equal (problem_.message, (expected_message)); \
    } while (0)

#define assert_valid(env) \
    do { \
        codec_problem_t problem_; \
        memset (&problem_, 0, sizeof problem_); \
        cibus_err_t rc_ = codec_validate_envelope ((env), &problem_); \
        if (rc_ != CIBUS_OK) \
            print_error ("refused: field=%s message=%s\n", problem_.field, problem_.message); \
        assert_int_equal (rc_, CIBUS_OK); \
    } while (0)

//  ------------------------------------------------------------ round trips

//  Pack, decode, and pack the decoded message again: the second encoding
//  must be the first, byte for byte.
static envelope_t *
s_envelope_round_trip (const envelope_t *env)
{
    codec_buf_t first = {0}, second = {0};
    assert_int_equal (codec_pack_envelope (env, &first), CIBUS_OK);
    assert_true (first.size > 0);
    envelope_t *decoded = codec_envelope_decode (first.data, first.size);
    assert_non_null (decoded);
    assert_int_equal (codec_pack_envelope (decoded, &second), CIBUS_OK);
    assert_int_equal (second.size, first.size);
    assert_memory_equal (second.data, first.data, first.size);
    codec_buf_release (&first);
    codec_buf_release (&second);
    return decoded;
}

static void
test_codec_envelope_with_data_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    //  The fields the broker stamps travel too.
    sample.env.has_seq = 1;
    sample.env.seq = 42;
    sample.env.partner = "north-isd";
    sample.env.has_received_at = 1;
    sample.env.received_at = INT64_C (1789000000123456);

    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_true (env->has_seq);
    assert_int_equal (env->seq, 42);
    assert_string_equal (env->partner, "north-isd");
    assert_true (env->has_received_at);
    assert_int_equal (env->received_at, INT64_C (1789000000123456));
    assert_string_equal (env->id, "d-2026-001");
    assert_string_equal (env->topic, "north/data");
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_DATA);
    const Cibus__DataSubmission *data = env->data;
    assert_string_equal (data->indicator, "k3-reading");
    assert_string_equal (data->period, "2025-26");
    assert_string_equal (data->unit, "lincoln-elementary");
    assert_string_equal (data->owner, "north-isd");
    assert_non_null (data->total);
    assert_int_equal (data->total->n_dimensions, 0);
    assert_true (data->total->has_numerator && data->total->has_denominator);
    assert_int_equal (data->total->numerator, 168);
    assert_int_equal (data->total->denominator, 410);
    assert_false (data->total->has_value);
    assert_int_equal (data->n_cells, 3);
    const Cibus__DataCell *black = data->cells [0];
    assert_int_equal (black->n_dimensions, 1);
    assert_string_equal (black->dimensions [0]->key, "race");
    assert_string_equal (black->dimensions [0]->value, "black");
    assert_int_equal (black->numerator, 52);
    assert_int_equal (black->denominator, 160);
    const Cibus__DataCell *cross = data->cells [1];
    assert_int_equal (cross->n_dimensions, 2);
    assert_string_equal (cross->dimensions [0]->key, "race");
    assert_string_equal (cross->dimensions [0]->value, "hispanic");
    assert_string_equal (cross->dimensions [1]->key, "income");
    assert_string_equal (cross->dimensions [1]->value, "low");
    assert_int_equal (cross->numerator, 20);
    assert_int_equal (cross->denominator, 70);
    const Cibus__DataCell *asian = data->cells [2];
    assert_string_equal (asian->dimensions [0]->value, "asian");
    assert_true (asian->has_suppressed && asian->suppressed);
    assert_false (asian->has_numerator);
    assert_true (asian->has_denominator);
    assert_int_equal (asian->denominator, 6);
    assert_false (data->has_version || data->has_masked || data->has_superseded);
    assert_true (data->has_status);
    assert_int_equal (data->status, CIBUS__VALUE_STATUS__FINAL);
    assert_string_equal (data->source, "district sis");
    assert_string_equal (data->extracted_on, "2026-09-15");
    codec_envelope_free (env);
}

//  The masked copy the broker makes: its stamps and each cell's decision
//  travel, and so does a superseded version's marker.
static void
test_codec_envelope_with_masked_table_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.has_version = 1;
    sample.data.version = 2;
    sample.data.has_masked = sample.data.masked = 1;
    sample.total.has_disclosure = 1;
    sample.total.disclosure = CIBUS__DISCLOSURE__SHOWN;
    sample.cell [0].has_disclosure = 1;
    sample.cell [0].disclosure = CIBUS__DISCLOSURE__CODED;
    sample.cell [0].has_numerator = sample.cell [0].has_denominator = 0;
    sample.cell [0].has_low = sample.cell [0].has_high = 1;
    sample.cell [0].low = 95;
    sample.cell [0].high = 100;
    sample.cell [1].has_disclosure = 1;
    sample.cell [1].disclosure = CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT;
    sample.cell [1].has_numerator = sample.cell [1].has_denominator = 0;
    sample.cell [1].has_suppressed = sample.cell [1].suppressed = 1;
    sample.cell [2].has_disclosure = 1;
    sample.cell [2].disclosure = CIBUS__DISCLOSURE__HIDDEN_SMALL;
    sample.cell [2].has_denominator = 0;
    envelope_t *env = s_envelope_round_trip (&sample.env);
    const Cibus__DataSubmission *data = env->data;
    assert_true (data->has_version);
    assert_int_equal (data->version, 2);
    assert_true (data->has_masked && data->masked);
    assert_false (data->has_superseded);
    assert_int_equal (data->total->disclosure, CIBUS__DISCLOSURE__SHOWN);
    assert_int_equal (data->total->numerator, 168);
    assert_int_equal (data->cells [0]->disclosure, CIBUS__DISCLOSURE__CODED);
    assert_false (data->cells [0]->has_numerator);
    assert_true (data->cells [0]->has_low && data->cells [0]->has_high);
    assert_true (data->cells [0]->low == 95 && data->cells [0]->high == 100);
    assert_int_equal (data->cells [1]->disclosure, CIBUS__DISCLOSURE__HIDDEN_COMPLEMENT);
    assert_true (data->cells [1]->suppressed);
    assert_false (data->cells [1]->has_numerator || data->cells [1]->has_denominator);
    assert_int_equal (data->cells [2]->disclosure, CIBUS__DISCLOSURE__HIDDEN_SMALL);
    assert_false (data->cells [2]->has_denominator);
    codec_envelope_free (env);

    //  A marker: the table's name and version, superseded, no cell.
    s_sample_data (&sample);
    sample.data.total = NULL;
    sample.data.n_cells = 0;
    sample.data.cells = NULL;
    sample.data.has_version = 1;
    sample.data.version = 1;
    sample.data.has_masked = sample.data.masked = 1;
    sample.data.has_superseded = sample.data.superseded = 1;
    env = s_envelope_round_trip (&sample.env);
    assert_true (env->data->has_superseded && env->data->superseded);
    assert_int_equal (env->data->version, 1);
    assert_null (env->data->total);
    assert_int_equal (env->data->n_cells, 0);
    codec_envelope_free (env);
}

static void
test_codec_envelope_with_note_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_string_equal (env->id, "n-1");
    assert_string_equal (env->topic, "north/note");
    assert_false (env->has_seq);
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_NOTE);
    assert_string_equal (env->note->title, "Quarterly review");
    assert_string_equal (env->note->body, "Reading scores are up.\nAttendance is flat.");
    assert_string_equal (env->note->held_on, "2026-09-15");
    assert_int_equal (env->note->n_attendees, 2);
    assert_string_equal (env->note->attendees [0], "Ana Ruiz");
    assert_string_equal (env->note->attendees [1], "Sam Lee");
    assert_int_equal (env->note->n_decisions, 1);
    assert_string_equal (env->note->decisions [0], "Extend the tutoring pilot to grade 3");
    codec_envelope_free (env);
}

static void
test_codec_envelope_with_commitment_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_string_equal (env->id, "c-1");
    assert_string_equal (env->topic, "north/commitment");
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_COMMITMENT);
    assert_string_equal (env->commitment->action, "Hire two reading coaches");
    assert_string_equal (env->commitment->due, "2026-12-15");
    assert_int_equal (env->commitment->n_indicators, 2);
    assert_string_equal (env->commitment->indicators [0], "k3-reading");
    assert_string_equal (env->commitment->indicators [1], "attendance");
    codec_envelope_free (env);
}

static void
test_codec_envelope_with_update_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_string_equal (env->id, "u-1");
    assert_string_equal (env->topic, "north/commitment");
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_UPDATE);
    assert_string_equal (env->update->commitment_id, "c-1");
    assert_true (env->update->has_status);
    assert_int_equal (env->update->status, CIBUS__COMMITMENT_STATUS__AT_RISK);
    assert_string_equal (env->update->comment, "One coach hired so far");
    codec_envelope_free (env);
}

static request_t *
s_request_round_trip (const request_t *request)
{
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_request (request, &buf), CIBUS_OK);
    request_t *decoded = codec_request_decode (buf.data, buf.size);
    codec_buf_release (&buf);
    assert_non_null (decoded);
    assert_int_equal (decoded->kind_case, request->kind_case);
    return decoded;
}

static void
test_codec_request_publish_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = &sample.env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;

    request_t *decoded = s_request_round_trip (&request);
    const envelope_t *env = decoded->publish->envelope;
    assert_non_null (env);
    assert_string_equal (env->id, "c-1");
    assert_string_equal (env->topic, "north/commitment");
    assert_int_equal (env->body_case, CIBUS__ENVELOPE__BODY_COMMITMENT);
    assert_string_equal (env->commitment->due, "2026-12-15");
    codec_request_free (decoded);
}

static void
test_codec_request_subscribe_round_trips (void **state)
{
    (void) state;
    char *prefixes [] = {"north/", "south/data"};
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = 2;
    subscribe.prefixes = prefixes;
    subscribe.has_from_seq = 1;
    subscribe.from_seq = 17;
    subscribe.has_credit = 1;
    subscribe.credit = 256;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;

    request_t *decoded = s_request_round_trip (&request);
    assert_int_equal (decoded->subscribe->n_prefixes, 2);
    assert_string_equal (decoded->subscribe->prefixes [0], "north/");
    assert_string_equal (decoded->subscribe->prefixes [1], "south/data");
    assert_true (decoded->subscribe->has_from_seq);
    assert_int_equal (decoded->subscribe->from_seq, 17);
    assert_true (decoded->subscribe->has_credit);
    assert_int_equal (decoded->subscribe->credit, 256);
    codec_request_free (decoded);
}

static void
test_codec_request_credit_round_trips (void **state)
{
    (void) state;
    Cibus__Credit credit = CIBUS__CREDIT__INIT;
    credit.has_credit = 1;
    credit.credit = 65536;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_CREDIT;
    request.credit = &credit;

    request_t *decoded = s_request_round_trip (&request);
    assert_true (decoded->credit->has_credit);
    assert_int_equal (decoded->credit->credit, 65536);
    codec_request_free (decoded);
}

static void
test_codec_request_ping_round_trips (void **state)
{
    (void) state;
    Cibus__Ping ping = CIBUS__PING__INIT;
    ping.has_token = 1;
    ping.token = UINT64_MAX;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;

    request_t *decoded = s_request_round_trip (&request);
    assert_true (decoded->ping->has_token);
    assert_true (decoded->ping->token == UINT64_MAX);
    codec_request_free (decoded);
}

static void
test_codec_request_status_round_trips (void **state)
{
    (void) state;
    Cibus__Status status = CIBUS__STATUS__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_STATUS;
    request.status = &status;

    request_t *decoded = s_request_round_trip (&request);
    assert_non_null (decoded->status);
    codec_request_free (decoded);
}

static reply_t *
s_reply_round_trip (const reply_t *reply)
{
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_reply (reply, &buf), CIBUS_OK);
    reply_t *decoded = codec_reply_decode (buf.data, buf.size);
    codec_buf_release (&buf);
    assert_non_null (decoded);
    assert_int_equal (decoded->kind_case, reply->kind_case);
    return decoded;
}

static void
test_codec_reply_ack_round_trips (void **state)
{
    (void) state;
    Cibus__Ack ack = CIBUS__ACK__INIT;
    ack.id = "d-2026-001";
    ack.has_seq = 1;
    ack.seq = 9;
    ack.has_duplicate = 1;
    ack.duplicate = 1;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_ACK;
    reply.ack = &ack;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_string_equal (decoded->ack->id, "d-2026-001");
    assert_true (decoded->ack->has_seq);
    assert_int_equal (decoded->ack->seq, 9);
    assert_true (decoded->ack->has_duplicate);
    assert_true (decoded->ack->duplicate);
    codec_reply_free (decoded);
}

static void
test_codec_reply_error_round_trips (void **state)
{
    (void) state;
    Cibus__Error error = CIBUS__ERROR__INIT;
    error.code = "bad-field";
    error.field = "data.value";
    error.message = "field 'data.value' is required";
    error.id = "d-1";
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_ERROR;
    reply.error = &error;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_string_equal (decoded->error->code, "bad-field");
    assert_string_equal (decoded->error->field, "data.value");
    assert_string_equal (decoded->error->message, "field 'data.value' is required");
    assert_string_equal (decoded->error->id, "d-1");
    codec_reply_free (decoded);
}

//  A Deliver carries several stored entries, each byte for byte, in order.
static void
test_codec_reply_deliver_carries_envelope_bytes_unchanged (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    codec_buf_t stored [2] = {{0}};
    assert_int_equal (codec_pack_envelope (&sample.env, &stored [0]), CIBUS_OK);
    sample.env.note->title = "Annual review";
    assert_int_equal (codec_pack_envelope (&sample.env, &stored [1]), CIBUS_OK);
    ProtobufCBinaryData envelopes [2] = {{stored [0].size, stored [0].data},
                                         {stored [1].size, stored [1].data}};
    Cibus__Deliver deliver = CIBUS__DELIVER__INIT;
    deliver.n_envelopes = 2;
    deliver.envelopes = envelopes;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_DELIVER;
    reply.deliver = &deliver;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_int_equal (decoded->deliver->n_envelopes, 2);
    const char *titles [2] = {"Quarterly review", "Annual review"};
    for (size_t i = 0; i < 2; i++) {
        const ProtobufCBinaryData *bytes = &decoded->deliver->envelopes [i];
        assert_int_equal (bytes->len, stored [i].size);
        assert_memory_equal (bytes->data, stored [i].data, stored [i].size);
        envelope_t *env = codec_envelope_decode (bytes->data, bytes->len);
        assert_non_null (env);
        assert_string_equal (env->note->title, titles [i]);
        codec_envelope_free (env);
    }
    codec_reply_free (decoded);
    codec_buf_release (&stored [0]);
    codec_buf_release (&stored [1]);
}

//  A Deliver of S_LARGE_ENTRIES entries of 1 KiB each, every byte telling
//  its entry and place, packed into buf.
#define S_LARGE_ENTRIES 300
static void
s_pack_large_deliver (codec_buf_t *buf)
{
    static uint8_t bytes [S_LARGE_ENTRIES][1024];
    ProtobufCBinaryData envelopes [S_LARGE_ENTRIES];
    for (size_t i = 0; i < S_LARGE_ENTRIES; i++) {
        for (size_t j = 0; j < sizeof bytes [i]; j++)
            bytes [i][j] = (uint8_t)(i * 31 + j);
        envelopes [i] = (ProtobufCBinaryData){sizeof bytes [i], bytes [i]};
    }
    Cibus__Deliver deliver = CIBUS__DELIVER__INIT;
    deliver.n_envelopes = S_LARGE_ENTRIES;
    deliver.envelopes = envelopes;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_DELIVER;
    reply.deliver = &deliver;
    assert_int_equal (codec_pack_reply (&reply, buf), CIBUS_OK);
}

static void
s_check_large_deliver (const reply_t *reply)
{
    assert_non_null (reply);
    assert_int_equal (reply->kind_case, CIBUS__REPLY__KIND_DELIVER);
    assert_int_equal (reply->deliver->n_envelopes, S_LARGE_ENTRIES);
    for (size_t i = 0; i < S_LARGE_ENTRIES; i++) {
        const ProtobufCBinaryData *entry = &reply->deliver->envelopes [i];
        assert_int_equal (entry->len, 1024);
        for (size_t j = 0; j < entry->len; j++)
            assert_int_equal (entry->data [j], (uint8_t)(i * 31 + j));
    }
}

//  The same check on another thread, which may not fail a cmocka assert:
//  whether every decode there was whole.
static bool
s_large_deliver_whole (const reply_t *reply)
{
    bool whole = reply && reply->kind_case == CIBUS__REPLY__KIND_DELIVER
                 && reply->deliver->n_envelopes == S_LARGE_ENTRIES;
    for (size_t i = 0; whole && i < S_LARGE_ENTRIES; i++) {
        const ProtobufCBinaryData *entry = &reply->deliver->envelopes [i];
        whole = entry->len == 1024;
        for (size_t j = 0; whole && j < entry->len; j++)
            whole = entry->data [j] == (uint8_t)(i * 31 + j);
    }
    return whole;
}

typedef struct {
    const codec_buf_t *buf;
    bool whole;
} s_decoder_t;

static void *
s_decode_large (void *arg)
{
    s_decoder_t *decoder = arg;
    decoder->whole = true;
    for (int round = 0; round < 3; round++) {
        reply_t *reply = codec_reply_decode (decoder->buf->data, decoder->buf->size);
        decoder->whole &= s_large_deliver_whole (reply);
        codec_reply_free (reply);
    }
    return NULL;
}

//  A message decodes into blocks that its thread keeps when it is freed:
//  the next decode of a message of that size on that thread takes them
//  again (it lands where the one before it was) rather than malloc's, and
//  every decode, on this thread or another, is whole.
static void
test_codec_decodes_reuse_their_thread_s_blocks (void **state)
{
    (void)state;
    codec_buf_t buf = {0};
    s_pack_large_deliver (&buf);
    assert_true (buf.size > 256 * 1024);
    reply_t *first = codec_reply_decode (buf.data, buf.size);
    s_check_large_deliver (first);
    void *where = first;
    codec_reply_free (first);
    reply_t *again = codec_reply_decode (buf.data, buf.size);
    assert_ptr_equal (again, where);
    s_check_large_deliver (again);
    //  Another thread's decodes, while this one's message lives.
    pthread_t thread;
    s_decoder_t decoder = {&buf, false};
    assert_int_equal (pthread_create (&thread, NULL, s_decode_large, &decoder), 0);
    assert_int_equal (pthread_join (thread, NULL), 0);
    assert_true (decoder.whole);
    s_check_large_deliver (again);
    codec_reply_free (again);
    //  A small one's single block too.
    Cibus__Pong pong = CIBUS__PONG__INIT;
    pong.has_token = true;
    pong.token = 42;
    reply_t small = CIBUS__REPLY__INIT;
    small.kind_case = CIBUS__REPLY__KIND_PONG;
    small.pong = &pong;
    assert_int_equal (codec_pack_reply (&small, &buf), CIBUS_OK);
    reply_t *one = codec_reply_decode (buf.data, buf.size);
    assert_non_null (one);
    where = one;
    codec_reply_free (one);
    one = codec_reply_decode (buf.data, buf.size);
    assert_ptr_equal (one, where);
    assert_int_equal (one->pong->token, 42);
    codec_reply_free (one);
    codec_buf_release (&buf);
}

static void
test_codec_reply_subscribed_round_trips (void **state)
{
    (void) state;
    Cibus__Subscribed subscribed = CIBUS__SUBSCRIBED__INIT;
    subscribed.has_next_seq = 1;
    subscribed.next_seq = 1001;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_SUBSCRIBED;
    reply.subscribed = &subscribed;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_true (decoded->subscribed->has_next_seq);
    assert_int_equal (decoded->subscribed->next_seq, 1001);
    codec_reply_free (decoded);
}

static void
test_codec_reply_pong_round_trips (void **state)
{
    (void) state;
    Cibus__Pong pong = CIBUS__PONG__INIT;
    pong.has_token = 1;
    pong.token = 7;
    pong.partner = "north-isd";
    pong.role = "integrator";
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_PONG;
    reply.pong = &pong;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_true (decoded->pong->has_token);
    assert_int_equal (decoded->pong->token, 7);
    assert_string_equal (decoded->pong->partner, "north-isd");
    assert_string_equal (decoded->pong->role, "integrator");
    codec_reply_free (decoded);
}

static void
test_codec_reply_status_round_trips (void **state)
{
    (void) state;
    Cibus__StatusReply status = CIBUS__STATUS_REPLY__INIT;
    status.has_last_seq = 1;
    status.last_seq = 5000;
    status.has_transactions = 1;
    status.transactions = 40;
    status.has_appended = 1;
    status.appended = 4999;
    status.has_subscriptions = 1;
    status.subscriptions = 3;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_STATUS;
    reply.status = &status;

    reply_t *decoded = s_reply_round_trip (&reply);
    assert_int_equal (decoded->status->last_seq, 5000);
    assert_int_equal (decoded->status->transactions, 40);
    assert_int_equal (decoded->status->appended, 4999);
    assert_int_equal (decoded->status->subscriptions, 3);
    codec_reply_free (decoded);
}

static void
test_codec_pack_replaces_the_buffer_content (void **state)
{
    (void) state;
    sample_t big, small;
    s_sample_note (&big);
    s_sample_update (&small);
    codec_buf_t buf = {0};
    codec_buf_t alone = {0};
    assert_int_equal (codec_pack_envelope (&big.env, &buf), CIBUS_OK);
    size_t capacity = buf.capacity;
    assert_int_equal (codec_pack_envelope (&small.env, &buf), CIBUS_OK);
    assert_int_equal (codec_pack_envelope (&small.env, &alone), CIBUS_OK);
    assert_int_equal (buf.size, alone.size);
    assert_memory_equal (buf.data, alone.data, alone.size);
    //  A smaller message reuses the buffer rather than shrinking it.
    assert_int_equal (buf.capacity, capacity);
    codec_buf_release (&buf);
    codec_buf_release (&alone);
}

static void
test_codec_pack_grows_the_buffer_for_a_large_message (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *body = s_repeat ('b', CIBUS_MAX_BODY);
    sample.note.body = body;
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    assert_true (buf.size > CIBUS_MAX_BODY);
    assert_true (buf.capacity >= buf.size);
    envelope_t *env = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (env);
    assert_string_equal (env->note->body, body);
    codec_envelope_free (env);
    codec_buf_release (&buf);
    free (body);
}

static void
test_codec_buf_release_empties_the_buffer (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    codec_buf_release (&buf);
    assert_null (buf.data);
    assert_int_equal (buf.size, 0);
    assert_int_equal (buf.capacity, 0);
    codec_buf_release (&buf);
    codec_buf_release (NULL);
}

static void
test_codec_decode_of_garbage_returns_null (void **state)
{
    (void) state;
    //  An unterminated varint tag.
    static const uint8_t ones [] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff};
    //  Field 1, length-delimited, claiming 127 bytes that are not there.
    static const uint8_t overrun [] = {0x0a, 0x7f, 0x01, 0x02};
    assert_null (codec_request_decode (ones, sizeof ones));
    assert_null (codec_reply_decode (ones, sizeof ones));
    assert_null (codec_envelope_decode (ones, sizeof ones));
    assert_null (codec_request_decode (overrun, sizeof overrun));
    assert_null (codec_reply_decode (overrun, sizeof overrun));
    assert_null (codec_envelope_decode (overrun, sizeof overrun));
}

static void
test_codec_decode_of_truncated_envelope_returns_null (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    assert_null (codec_envelope_decode (buf.data, buf.size - 1));
    codec_buf_release (&buf);
}

//  A decoded message is carved from an arena of its own, which grows by
//  blocks: a table of many small cells decodes into structs several times
//  its size on the wire, across many blocks, every one of them read back
//  whole; cut anywhere, the same bytes decode to nothing (and leak
//  nothing: the sanitizer's leak check runs with the test).
#define S_MANY_CELLS 3000

static void
test_codec_decode_of_a_table_larger_than_its_bytes (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__DataCell *cells = calloc (S_MANY_CELLS, sizeof *cells);
    Cibus__DataCell **list = calloc (S_MANY_CELLS, sizeof *list);
    Cibus__Dimension *dims = calloc (S_MANY_CELLS, sizeof *dims);
    Cibus__Dimension **dim_list = calloc (S_MANY_CELLS, sizeof *dim_list);
    char (*values) [8] = calloc (S_MANY_CELLS, sizeof *values);
    assert_non_null (cells);
    assert_non_null (list);
    assert_non_null (dims);
    assert_non_null (dim_list);
    assert_non_null (values);
    for (size_t i = 0; i < S_MANY_CELLS; i++) {
        dims [i] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
        snprintf (values [i], sizeof values [i], "s%zu", i);
        dims [i].key = "school";
        dims [i].value = values [i];
        dim_list [i] = &dims [i];
        cells [i] = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
        cells [i].n_dimensions = 1;
        cells [i].dimensions = &dim_list [i];
        cells [i].has_n = 1;
        cells [i].n = i;
        list [i] = &cells [i];
    }
    sample.data.n_cells = S_MANY_CELLS;
    sample.data.cells = list;
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);

    envelope_t *env = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (env);
    assert_true (S_MANY_CELLS * (sizeof (Cibus__DataCell) + sizeof (Cibus__Dimension))
                 > 4 * buf.size);
    assert_string_equal (env->id, "d-2026-001");
    assert_string_equal (env->data->unit, "lincoln-elementary");
    assert_int_equal (env->data->n_cells, S_MANY_CELLS);
    for (size_t i = 0; i < S_MANY_CELLS; i++) {
        const Cibus__DataCell *cell = env->data->cells [i];
        assert_int_equal (cell->n, i);
        assert_int_equal (cell->n_dimensions, 1);
        assert_string_equal (cell->dimensions [0]->key, "school");
        assert_string_equal (cell->dimensions [0]->value, values [i]);
    }
    codec_envelope_free (env);
    //  Cut at the end, in the middle, and where the cells begin.
    size_t cuts [] = {buf.size - 1, buf.size / 2, 40};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts [0]; i++)
        assert_null (codec_envelope_decode (buf.data, cuts [i]));

    //  The same table, delivered: a Reply whose envelopes are its bytes.
    ProtobufCBinaryData copies [3];
    for (size_t i = 0; i < 3; i++)
        copies [i] = (ProtobufCBinaryData){buf.size, buf.data};
    Cibus__Deliver deliver = CIBUS__DELIVER__INIT;
    deliver.n_envelopes = 3;
    deliver.envelopes = copies;
    reply_t reply = CIBUS__REPLY__INIT;
    reply.kind_case = CIBUS__REPLY__KIND_DELIVER;
    reply.deliver = &deliver;
    codec_buf_t wire = {0};
    assert_int_equal (codec_pack_reply (&reply, &wire), CIBUS_OK);
    reply_t *decoded = codec_reply_decode (wire.data, wire.size);
    assert_non_null (decoded);
    assert_int_equal (decoded->deliver->n_envelopes, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (decoded->deliver->envelopes [i].len, buf.size);
        assert_memory_equal (decoded->deliver->envelopes [i].data, buf.data, buf.size);
    }
    codec_reply_free (decoded);
    assert_null (codec_reply_decode (wire.data, wire.size - 1));

    codec_buf_release (&wire);
    codec_buf_release (&buf);
    free (values);
    free (dim_list);
    free (dims);
    free (list);
    free (cells);
}

static void
test_codec_free_accepts_null (void **state)
{
    (void) state;
    codec_request_free (NULL);
    codec_reply_free (NULL);
    codec_envelope_free (NULL);
}

//  ------------------------------------------------------------ body kinds

static void
test_codec_body_kind_and_name_follow_the_body (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    assert_string_equal (codec_body_topic_kind (&sample.env), "data");
    assert_string_equal (codec_body_name (&sample.env), "data");
    s_sample_note (&sample);
    assert_string_equal (codec_body_topic_kind (&sample.env), "note");
    assert_string_equal (codec_body_name (&sample.env), "note");
    s_sample_commitment (&sample);
    assert_string_equal (codec_body_topic_kind (&sample.env), "commitment");
    assert_string_equal (codec_body_name (&sample.env), "commitment");
    //  An update travels on its commitment's topic under its own name.
    s_sample_update (&sample);
    assert_string_equal (codec_body_topic_kind (&sample.env), "commitment");
    assert_string_equal (codec_body_name (&sample.env), "update");
    envelope_t empty = CIBUS__ENVELOPE__INIT;
    assert_null (codec_body_topic_kind (&empty));
    assert_null (codec_body_name (&empty));
}

//  ------------------------------------------------------------ validation: accepted

static void
test_codec_validate_accepts_data_submission (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    assert_valid (&sample.env);
}

static void
test_codec_validate_accepts_minimal_data_submission (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    //  A count's total alone: its value, without n, unit, owner or cells.
    sample.data.unit = NULL;
    sample.data.owner = NULL;
    sample.data.n_cells = 0;
    sample.data.cells = NULL;
    sample.total = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    sample.total.has_value = 1;
    sample.total.value = 31;
    sample.data.has_status = 0;
    sample.data.source = NULL;
    sample.data.extracted_on = NULL;
    assert_valid (&sample.env);
}

//  Each way a cell may carry its counts: numerator/denominator, a value
//  with n, a value alone, '*' suppressed at source with or without its
//  size (a denominator or an n).
static void
test_codec_validate_accepts_every_shape_of_cell (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__DataCell *cell = &sample.cell [0];
    *cell = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    cell->n_dimensions = 1;
    cell->dimensions = sample.black;
    s_cell_counts (cell, 0, 160);
    assert_valid (&sample.env);
    cell->has_numerator = cell->has_denominator = 0;
    cell->has_value = cell->has_n = 1;
    cell->value = 412.5;
    cell->n = 160;
    assert_valid (&sample.env);
    cell->has_n = 0;
    assert_valid (&sample.env);
    cell->has_value = 0;
    cell->has_suppressed = cell->suppressed = 1;
    assert_valid (&sample.env);
    cell->has_n = 1;
    assert_valid (&sample.env);
    cell->has_n = 0;
    cell->has_denominator = 1;
    assert_valid (&sample.env);
    //  The total may be suppressed at source too.
    sample.total = (Cibus__DataCell) CIBUS__DATA_CELL__INIT;
    sample.total.has_suppressed = sample.total.suppressed = 1;
    assert_valid (&sample.env);
}

//  Crosses of up to CIBUS_MAX_CROSS dimensions, and up to CIBUS_MAX_CELLS
//  cells besides the total.
static void
test_codec_validate_accepts_a_table_at_its_limits (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__Dimension dimension [CIBUS_MAX_CROSS];
    Cibus__Dimension *dimensions [CIBUS_MAX_CROSS];
    static const char *keys [] = {"race", "income", "gender"};
    assert_int_equal (sizeof keys / sizeof keys [0], CIBUS_MAX_CROSS);
    for (size_t i = 0; i < CIBUS_MAX_CROSS; i++) {
        dimension [i] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
        dimension [i].key = (char *) keys [i];
        dimension [i].value = "x";
        dimensions [i] = &dimension [i];
    }
    sample.cell [1].n_dimensions = CIBUS_MAX_CROSS;
    sample.cell [1].dimensions = dimensions;
    assert_valid (&sample.env);
    Cibus__DataCell *cells [CIBUS_MAX_CELLS];
    for (size_t i = 0; i < CIBUS_MAX_CELLS; i++)
        cells [i] = &sample.cell [0];
    sample.data.n_cells = CIBUS_MAX_CELLS;
    sample.data.cells = cells;
    assert_valid (&sample.env);
}

static void
test_codec_validate_accepts_every_period_shape (void **state)
{
    (void) state;
    static const char *periods [] = {"2025-26", "2099-00", "2026-Q1", "2026-Q4",
                                     "2026-01", "2026-12", "2026-09-15", "2024-02-29"};
    sample_t sample;
    s_sample_data (&sample);
    for (size_t i = 0; i < sizeof periods / sizeof periods [0]; i++) {
        sample.data.period = (char *) periods [i];
        assert_valid (&sample.env);
    }
}

static void
test_codec_validate_accepts_note (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    assert_valid (&sample.env);
}

static void
test_codec_validate_accepts_commitment (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    assert_valid (&sample.env);
}

static void
test_codec_validate_accepts_update (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    assert_valid (&sample.env);
}

static void
test_codec_validate_accepts_values_at_their_limits (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *id = s_repeat ('i', CIBUS_MAX_ID);
    char *network = s_repeat ('n', CIBUS_MAX_NETWORK);
    char topic [CIBUS_MAX_NETWORK + 16];
    snprintf (topic, sizeof topic, "%s/note", network);
    char *title = s_repeat ('t', CIBUS_MAX_TEXT);
    char *body = s_repeat ('b', CIBUS_MAX_BODY);
    char *attendee = s_repeat ('a', CIBUS_MAX_NAME);
    char *attendees [CIBUS_MAX_LIST];
    for (size_t i = 0; i < CIBUS_MAX_LIST; i++)
        attendees [i] = attendee;
    sample.env.id = id;
    sample.env.topic = topic;
    sample.note.title = title;
    sample.note.body = body;
    sample.note.n_attendees = CIBUS_MAX_LIST;
    sample.note.attendees = attendees;
    assert_valid (&sample.env);
    free (id);
    free (network);
    free (title);
    free (body);
    free (attendee);
}

//  ------------------------------------------------------------ validation: envelope

static void
test_codec_validate_refuses_missing_id (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.id = NULL;
    assert_refused (&sample.env, "id", "field 'id' is required");
    sample.env.id = "";
    assert_refused (&sample.env, "id", "field 'id' is required");
}

//  Fields this protocol does not know would be stored and relayed unchecked.
static void
test_codec_validate_refuses_unknown_fields (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    uint8_t bytes [4096];
    assert_true (buf.size + 3 <= sizeof bytes);
    memcpy (bytes, buf.data, buf.size);
    memcpy (bytes + buf.size, "\x98\x06\x01", 3); //  field 99, varint 1
    envelope_t *env = codec_envelope_decode (bytes, buf.size + 3);
    assert_non_null (env);
    assert_refused (env, "envelope",
                    "'envelope' carries field number 99, which is not part of the cibus "
                    "protocol");
    codec_envelope_free (env);
    codec_buf_release (&buf);
}

static void
test_codec_validate_refuses_id_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *id = s_repeat ('i', CIBUS_MAX_ID + 1);
    sample.env.id = id;
    assert_refused (&sample.env, "id", "field 'id' is 129 bytes, over its limit of 128");
    free (id);
}

static void
test_codec_validate_refuses_id_with_space_or_slash (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.id = "d 1";
    assert_refused (&sample.env, "id",
                    "field 'id' must be printable text without spaces or '/', got 'd 1'");
    sample.env.id = "d/1";
    assert_refused (&sample.env, "id",
                    "field 'id' must be printable text without spaces or '/', got 'd/1'");
}

static void
test_codec_validate_refuses_missing_topic (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = NULL;
    assert_refused (&sample.env, "topic", "field 'topic' is required");
    sample.env.topic = "";
    assert_refused (&sample.env, "topic", "field 'topic' is required");
}

static void
test_codec_validate_refuses_topic_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char topic [CIBUS_MAX_TOPIC + 2];
    memset (topic, 'x', sizeof topic);
    memcpy (topic, "north/", 6);
    topic [CIBUS_MAX_TOPIC + 1] = 0;
    sample.env.topic = topic;
    assert_refused (&sample.env, "topic", "field 'topic' is 129 bytes, over its limit of 128");
}

static void
test_codec_validate_refuses_topic_without_slash (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = "northdata";
    assert_refused (&sample.env, "topic",
                    "field 'topic' must be <network>/data with a network of at most 64 bytes, "
                    "got 'northdata'");
}

static void
test_codec_validate_refuses_network_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *network = s_repeat ('n', CIBUS_MAX_NETWORK + 1);
    char topic [CIBUS_MAX_NETWORK + 16];
    snprintf (topic, sizeof topic, "%s/data", network);
    sample.env.topic = topic;
    char expected [256];
    //  The topic is quoted cut to its first 64 bytes: all of them 'n'.
    snprintf (expected, sizeof expected,
              "field 'topic' must be <network>/data with a network of at most 64 bytes, "
              "got '%.64s'",
              network);
    assert_refused (&sample.env, "topic", expected);
    free (network);
}

static void
test_codec_validate_refuses_topic_with_empty_network (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = "/data";
    assert_refused (&sample.env, "topic",
                    "field 'topic' has an empty network: expected <network>/data");
}

static void
test_codec_validate_refuses_network_with_space (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.env.topic = "north side/note";
    assert_refused (&sample.env, "topic",
                    "field 'topic' has a network with spaces or control characters: "
                    "'north side'");
}

static void
test_codec_validate_refuses_data_body_on_note_topic (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = "north/note";
    assert_refused (&sample.env, "topic",
                    "field 'topic' is 'north/note' but a data body goes to 'north/data'");
}

static void
test_codec_validate_refuses_note_body_on_data_topic (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.env.topic = "north/data";
    assert_refused (&sample.env, "topic",
                    "field 'topic' is 'north/data' but a note body goes to 'north/note'");
}

static void
test_codec_validate_refuses_update_body_off_the_commitment_topic (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    sample.env.topic = "north/update";
    assert_refused (&sample.env, "topic",
                    "field 'topic' is 'north/update' but an update body goes to "
                    "'north/commitment'");
}

static void
test_codec_validate_refuses_topic_with_extra_segment (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = "north/data/extra";
    assert_refused (&sample.env, "topic",
                    "field 'topic' is 'north/data/extra' but a data body goes to 'north/data'");
}

static void
test_codec_validate_refuses_envelope_without_body (void **state)
{
    (void) state;
    envelope_t env = CIBUS__ENVELOPE__INIT;
    env.id = "x-1";
    env.topic = "north/data";
    assert_refused (&env, "body",
                    "field 'body' is required: one of data, note, commitment, "
                    "update, indicator, practice");
}

//  ------------------------------------------------------------ validation: data

static void
test_codec_validate_refuses_missing_indicator (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.indicator = NULL;
    assert_refused (&sample.env, "data.indicator", "field 'data.indicator' is required");
}

static void
test_codec_validate_refuses_indicator_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *indicator = s_repeat ('k', CIBUS_MAX_NAME + 1);
    sample.data.indicator = indicator;
    assert_refused (&sample.env, "data.indicator",
                    "field 'data.indicator' is 129 bytes, over its limit of 128");
    free (indicator);
}

static void
test_codec_validate_refuses_indicator_with_slash (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.indicator = "k3/reading";
    assert_refused (&sample.env, "data.indicator",
                    "field 'data.indicator' must be printable text without spaces or '/', "
                    "got 'k3/reading'");
}

static void
test_codec_validate_refuses_missing_period (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.period = NULL;
    assert_refused (&sample.env, "data.period", "field 'data.period' is required");
}

static void
test_codec_validate_refuses_bad_period_shapes (void **state)
{
    (void) state;
    static const char *periods [] = {
        "2026",       /* a year alone */
        "26-27",      /* a two-digit year */
        "2025-27",    /* neither the next year nor a month */
        "2026-13",    /* month 13 */
        "2026-00",    /* month 0 */
        "2026-Q0",    /* quarter 0 */
        "2026-Q5",    /* quarter 5 */
        "2026-q3",    /* lower-case q */
        "2026-9",     /* one-digit month */
        "2026-09-1",  /* one-digit day */
        "2026-02-30", /* no such day */
        "2026-02-29", /* not a leap year */
        "2026/09/15", /* wrong separator */
        "2026-Q3 ",   /* trailing space */
    };
    sample_t sample;
    s_sample_data (&sample);
    for (size_t i = 0; i < sizeof periods / sizeof periods [0]; i++) {
        char expected [256];
        snprintf (expected, sizeof expected,
                  "field 'data.period' expects a school year like 2025-26, a quarter like "
                  "2026-Q3, a month like 2026-09 or a date like 2026-09-15, got '%s'",
                  periods [i]);
        sample.data.period = (char *) periods [i];
        assert_refused (&sample.env, "data.period", expected);
    }
}

//  A cell carries its counts, or is marked suppressed at source.
static void
test_codec_validate_refuses_a_cell_without_counts (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.total.has_numerator = sample.total.has_denominator = 0;
    assert_refused (&sample.env, "data.total",
                    "the total needs numerator and denominator (percent, rate) or a value and n "
                    "(count, score, currency), or to be marked suppressed at source");
    s_sample_data (&sample);
    sample.cell [1].has_numerator = sample.cell [1].has_denominator = 0;
    assert_refused (&sample.env, "data.cells",
                    "cell race=hispanic,income=low needs numerator and denominator (percent, "
                    "rate) or a value and n (count, score, currency), or to be marked "
                    "suppressed at source");
    //  n alone is a size, not a result.
    s_sample_data (&sample);
    sample.cell [0].has_numerator = sample.cell [0].has_denominator = 0;
    sample.cell [0].has_n = 1;
    sample.cell [0].n = 160;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black needs numerator and denominator (percent, rate) or a value "
                    "and n (count, score, currency), or to be marked suppressed at source");
    //  suppressed=false is not a mark.
    s_sample_data (&sample);
    sample.cell [2].suppressed = 0;
    assert_refused (&sample.env, "data.cells",
                    "cell race=asian needs numerator and denominator (percent, rate) or a value "
                    "and n (count, score, currency), or to be marked suppressed at source");
}

//  A rate or percent may come as its counts alone: the broker derives it.
static void
test_codec_validate_accepts_counts_without_value (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    assert_false (sample.total.has_value || sample.cell [0].has_value);
    codec_problem_t problem;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
}

//  A '*' in a state file hides the result at source: a cell that says so
//  and still carries its numerator or value would publish what it hides.
static void
test_codec_validate_refuses_a_suppressed_cell_carrying_a_result (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [2].has_numerator = 1;
    sample.cell [2].numerator = 3;
    assert_refused (&sample.env, "data.cells",
                    "cell race=asian is suppressed at source and must carry no numerator or "
                    "value, only its size when known");
    s_sample_data (&sample);
    sample.cell [2].has_value = 1;
    sample.cell [2].value = 50;
    assert_refused (&sample.env, "data.cells",
                    "cell race=asian is suppressed at source and must carry no numerator or "
                    "value, only its size when known");
    s_sample_data (&sample);
    sample.total.has_suppressed = sample.total.suppressed = 1;
    assert_refused (&sample.env, "data.total",
                    "the total is suppressed at source and must carry no numerator or value, "
                    "only its size when known");
}

//  The broker decides how each cell is disclosed and stamps the table; a
//  publisher that set any of it would decide in the broker's place.
static void
test_codec_validate_refuses_broker_set_fields_from_a_publisher (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.has_version = 1;
    sample.data.version = 1;
    assert_refused (&sample.env, "data.version",
                    "fields 'data.version', 'data.masked' and 'data.superseded' are set by the "
                    "broker, not by a publisher");
    s_sample_data (&sample);
    sample.data.has_masked = 1;
    assert_refused (&sample.env, "data.masked",
                    "fields 'data.version', 'data.masked' and 'data.superseded' are set by the "
                    "broker, not by a publisher");
    s_sample_data (&sample);
    sample.data.has_superseded = sample.data.superseded = 1;
    assert_refused (&sample.env, "data.superseded",
                    "fields 'data.version', 'data.masked' and 'data.superseded' are set by the "
                    "broker, not by a publisher");
    //  Present is set, whatever the value: masked=false is the broker's too.
    s_sample_data (&sample);
    sample.data.has_masked = 1;
    sample.data.masked = 0;
    assert_refused (&sample.env, "data.masked",
                    "fields 'data.version', 'data.masked' and 'data.superseded' are set by the "
                    "broker, not by a publisher");

    s_sample_data (&sample);
    sample.cell [0].has_disclosure = 1;
    sample.cell [0].disclosure = CIBUS__DISCLOSURE__SHOWN;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black: 'disclosure', 'low' and 'high' are set by the broker, not "
                    "by a publisher");
    s_sample_data (&sample);
    sample.cell [1].has_low = 1;
    sample.cell [1].low = 0;
    assert_refused (&sample.env, "data.cells",
                    "cell race=hispanic,income=low: 'disclosure', 'low' and 'high' are set by "
                    "the broker, not by a publisher");
    s_sample_data (&sample);
    sample.cell [2].has_high = 1;
    sample.cell [2].high = 100;
    assert_refused (&sample.env, "data.cells",
                    "cell race=asian: 'disclosure', 'low' and 'high' are set by the broker, not "
                    "by a publisher");
    s_sample_data (&sample);
    sample.total.has_disclosure = 1;
    sample.total.disclosure = CIBUS__DISCLOSURE__HIDDEN_SMALL;
    assert_refused (&sample.env, "data.total",
                    "the total: 'disclosure', 'low' and 'high' are set by the broker, not by a "
                    "publisher");
}

//  A table is released with its total: a breakdown without it is refused.
static void
test_codec_validate_refuses_a_table_without_its_total (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.total = NULL;
    assert_refused (&sample.env, "data.total",
                    "field 'data.total' is required: a table is released with its total");
    //  Without cells too: a table is never empty.
    sample.data.n_cells = 0;
    sample.data.cells = NULL;
    assert_refused (&sample.env, "data.total",
                    "field 'data.total' is required: a table is released with its total");
}

static void
test_codec_validate_refuses_a_total_with_dimensions (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.total.n_dimensions = 1;
    sample.total.dimensions = sample.black;
    assert_refused (&sample.env, "data.total.dimensions",
                    "the total has no categories; a cell with categories goes in 'data.cells'");
}

static void
test_codec_validate_refuses_a_cell_without_dimensions (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [1].n_dimensions = 0;
    sample.cell [1].dimensions = NULL;
    assert_refused (&sample.env, "data.cells.dimensions",
                    "a cell of a breakdown needs at least one category (dimension=category); the "
                    "total goes in 'data.total'");
}

static void
test_codec_validate_refuses_a_cross_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__Dimension dimension [CIBUS_MAX_CROSS + 1];
    Cibus__Dimension *dimensions [CIBUS_MAX_CROSS + 1];
    static const char *keys [] = {"race", "income", "gender", "grade"};
    assert_int_equal (sizeof keys / sizeof keys [0], CIBUS_MAX_CROSS + 1);
    for (size_t i = 0; i <= CIBUS_MAX_CROSS; i++) {
        dimension [i] = (Cibus__Dimension) CIBUS__DIMENSION__INIT;
        dimension [i].key = (char *) keys [i];
        dimension [i].value = "x";
        dimensions [i] = &dimension [i];
    }
    sample.cell [1].n_dimensions = CIBUS_MAX_CROSS + 1;
    sample.cell [1].dimensions = dimensions;
    assert_refused (&sample.env, "data.cells.dimensions",
                    "cell race=x,income=x,gender=x,grade=x crosses 4 dimensions, over the limit "
                    "of 3");
}

static void
test_codec_validate_refuses_more_cells_than_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__DataCell *cells [CIBUS_MAX_CELLS + 1];
    for (size_t i = 0; i <= CIBUS_MAX_CELLS; i++)
        cells [i] = &sample.cell [0];
    sample.data.n_cells = CIBUS_MAX_CELLS + 1;
    sample.data.cells = cells;
    assert_refused (&sample.env, "data.cells",
                    "field 'data.cells' has 257 items, over its limit of 256");
}

//  ------------------------------------------------------------ indicator definitions

typedef struct {
    envelope_t env;
    Cibus__IndicatorDefinition def;
    Cibus__Milestone baseline, target;
    Cibus__Milestone *targets [1];
    char *dimensions [2];
} s_def_t;

static void
s_sample_indicator (s_def_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "def-1";
    self->env.topic = "catalog/indicator";
    self->env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    self->env.indicator = &self->def;
    self->def = (Cibus__IndicatorDefinition) CIBUS__INDICATOR_DEFINITION__INIT;
    self->def.indicator = "k3-reading";
    self->def.name = "3rd-grade reading proficiency";
    self->def.has_unit = self->def.has_direction = self->def.has_period_kind = 1;
    self->def.unit = CIBUS__UNIT__PERCENT;
    self->def.direction = CIBUS__DIRECTION__UP;
    self->def.period_kind = CIBUS__PERIOD_KIND__SCHOOL_YEAR;
    self->def.has_min = self->def.has_max = 1;
    self->def.min = 0;
    self->def.max = 100;
    self->dimensions [0] = "race";
    self->dimensions [1] = "income";
    self->def.dimensions = self->dimensions;
    self->def.n_dimensions = 2;
    self->baseline = (Cibus__Milestone) CIBUS__MILESTONE__INIT;
    self->baseline.period = "2024-25";
    self->baseline.has_value = 1;
    self->baseline.value = 48;
    self->def.baseline = &self->baseline;
    self->target = (Cibus__Milestone) CIBUS__MILESTONE__INIT;
    self->target.period = "2027-28";
    self->target.has_value = 1;
    self->target.value = 60;
    self->targets [0] = &self->target;
    self->def.targets = self->targets;
    self->def.n_targets = 1;
}

static void
test_codec_validate_accepts_an_indicator_definition (void **state)
{
    (void) state;
    s_def_t sample;
    s_sample_indicator (&sample);
    codec_problem_t problem;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
    assert_string_equal (codec_body_name (&sample.env), "indicator");
}

static void
test_codec_validate_refuses_bad_indicator_definitions (void **state)
{
    (void) state;
    s_def_t sample;
    s_sample_indicator (&sample);
    sample.env.topic = "north/indicator";
    assert_refused (&sample.env, "topic",
                    "an indicator definition goes to 'catalog/indicator', not 'north/indicator'");
    s_sample_indicator (&sample);
    sample.def.has_unit = 0;
    assert_refused (&sample.env, "indicator.unit",
                    "field 'indicator.unit' must be percent, count, rate, score or currency");
    s_sample_indicator (&sample);
    sample.def.min = 101;
    assert_refused (&sample.env, "indicator.min",
                    "field 'indicator.min' (101) is greater than 'indicator.max' (100)");
    s_sample_indicator (&sample);
    sample.baseline.period = "2026-Q3";
    assert_refused (&sample.env, "indicator.baseline",
                    "field 'indicator.baseline' needs a period that is a school year like "
                    "2025-26, got '2026-Q3'");
    s_sample_indicator (&sample);
    sample.dimensions [1] = "home language";
    assert_refused (&sample.env, "indicator.dimensions",
                    "dimension 'home language' must be printable text without spaces or '/'");
}

//  The categories of a dimension: race=asian,black,hispanic,white.
static void
test_codec_validate_judges_the_categories_of_dimensions (void **state)
{
    (void) state;
    s_def_t sample;
    char *race [] = {"asian", "black", "hispanic", "white"};
    char *income [] = {"low", "high"};
    Cibus__DimensionCategories lists [2] = {CIBUS__DIMENSION_CATEGORIES__INIT,
                                            CIBUS__DIMENSION_CATEGORIES__INIT};
    Cibus__DimensionCategories *pointers [2] = {&lists [0], &lists [1]};
    s_sample_indicator (&sample);
    lists [0].dimension = sample.dimensions [0];
    lists [0].categories = race;
    lists [0].n_categories = 4;
    lists [1].dimension = sample.dimensions [1];
    lists [1].categories = income;
    lists [1].n_categories = 2;
    sample.def.categories = pointers;
    sample.def.n_categories = 2;
    codec_problem_t problem;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
    //  The reference group is one of its dimension's categories.
    lists [0].reference = "white";
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
    lists [0].reference = "low";
    assert_refused (&sample.env, "indicator.categories.reference",
                    "the reference group 'low' is not one of the categories of 'race'");
    lists [0].reference = NULL;

    lists [1].dimension = "gender";
    assert_refused (&sample.env, "indicator.categories.dimension",
                    "categories are given for 'gender', which is not one of the indicator's "
                    "dimensions");
    lists [1].dimension = sample.dimensions [0];
    assert_refused (&sample.env, "indicator.categories.dimension",
                    "the categories of 'race' are given twice");
    lists [1].dimension = sample.dimensions [1];
    income [1] = "hispanic";
    assert_refused (&sample.env, "indicator.categories.categories",
                    "category 'hispanic' is listed under both 'race' and 'income'");
    income [1] = "low";
    assert_refused (&sample.env, "indicator.categories.categories",
                    "category 'low' is listed twice under 'income'");
    income [1] = "very high";
    assert_refused (&sample.env, "indicator.categories.categories",
                    "category 'very high' must be printable text without spaces or '/'");
    lists [1].n_categories = 0;
    assert_refused (&sample.env, "indicator.categories.categories",
                    "dimension 'income' is given no categories");
}

static void
test_codec_validate_keeps_the_catalog_network_for_definitions (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.env.topic = "catalog/data";
    assert_refused (&sample.env, "topic",
                    "network 'catalog' carries the indicator catalogue only: publish a data "
                    "table to another network");
    //  The same words for every role: the backbone has no networks of its
    //  own to be sent to.
    s_sample_note (&sample);
    sample.env.topic = "catalog/note";
    assert_refused (&sample.env, "topic",
                    "network 'catalog' carries the indicator catalogue only: publish a note to "
                    "another network");
    s_sample_update (&sample);
    sample.env.topic = "catalog/commitment";
    assert_refused (&sample.env, "topic",
                    "network 'catalog' carries the indicator catalogue only: publish an update "
                    "to another network");
}

static void
test_codec_validate_refuses_unknown_fields_in_milestones (void **state)
{
    (void) state;
    s_def_t sample;
    s_sample_indicator (&sample);
    ProtobufCMessageUnknownField unknown = {99, PROTOBUF_C_WIRE_TYPE_VARINT, 1,
                                            (uint8_t *) "\x01"};
    sample.target.base.n_unknown_fields = 1;
    sample.target.base.unknown_fields = &unknown;
    assert_refused (&sample.env, "indicator.targets",
                    "'indicator.targets' carries field number 99, which is not part of the "
                    "cibus protocol");
}

static void
test_codec_period_is_checks_each_kind (void **state)
{
    (void) state;
    assert_true (codec_period_is ("2025-26", CIBUS__PERIOD_KIND__SCHOOL_YEAR));
    assert_false (codec_period_is ("2025-27", CIBUS__PERIOD_KIND__SCHOOL_YEAR));
    assert_true (codec_period_is ("2099-00", CIBUS__PERIOD_KIND__SCHOOL_YEAR));
    assert_true (codec_period_is ("2026-Q3", CIBUS__PERIOD_KIND__QUARTER));
    assert_false (codec_period_is ("2026-Q5", CIBUS__PERIOD_KIND__QUARTER));
    assert_true (codec_period_is ("2026-09", CIBUS__PERIOD_KIND__MONTH));
    assert_false (codec_period_is ("2026-13", CIBUS__PERIOD_KIND__MONTH));
    assert_false (codec_period_is ("2025-26", CIBUS__PERIOD_KIND__MONTH));
    assert_true (codec_period_is ("2026-09-15", CIBUS__PERIOD_KIND__DATE));
    assert_false (codec_period_is ("2026-09-31", CIBUS__PERIOD_KIND__DATE));
    assert_false (codec_period_is ("2026-Q3", CIBUS__PERIOD_KIND__DATE));
    Cibus__Unit unit;
    assert_true (codec_unit_parse ("currency", &unit));
    assert_string_equal (codec_unit_name (unit), "currency");
    assert_false (codec_unit_parse ("percentage", &unit));
    Cibus__PeriodKind kind;
    assert_true (codec_period_kind_parse ("school-year", &kind));
    assert_int_equal (kind, CIBUS__PERIOD_KIND__SCHOOL_YEAR);
}

static void
test_codec_validate_refuses_nan_value (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.total.has_value = 1;
    sample.total.value = NAN;
    assert_refused (&sample.env, "data.total", "the total: its value must be a finite number, got nan");
    s_sample_data (&sample);
    sample.cell [0].has_value = 1;
    sample.cell [0].value = NAN;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black: its value must be a finite number, got nan");
}

static void
test_codec_validate_refuses_infinite_value (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [1].has_value = 1;
    sample.cell [1].value = INFINITY;
    assert_refused (&sample.env, "data.cells",
                    "cell race=hispanic,income=low: its value must be a finite number, got inf");
    sample.cell [1].value = -INFINITY;
    assert_refused (&sample.env, "data.cells",
                    "cell race=hispanic,income=low: its value must be a finite number, got -inf");
}

static void
test_codec_validate_refuses_numerator_without_denominator (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [0].has_denominator = 0;
    sample.cell [0].has_value = 1;
    sample.cell [0].value = 32.5;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black has a numerator without its denominator");
    s_sample_data (&sample);
    sample.total.has_denominator = 0;
    sample.total.has_value = 1;
    sample.total.value = 41;
    assert_refused (&sample.env, "data.total",
                    "the total has a numerator without its denominator");
    //  Without a value either, it has no result at all.
    s_sample_data (&sample);
    sample.cell [0].has_denominator = 0;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black needs numerator and denominator (percent, rate) or a value "
                    "and n (count, score, currency), or to be marked suppressed at source");
}

//  A denominator alone is a size: a result needs its numerator too, unless
//  the cell is suppressed at source.
static void
test_codec_validate_refuses_denominator_without_numerator (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [0].has_numerator = 0;
    assert_refused (&sample.env, "data.cells",
                    "cell race=black needs numerator and denominator (percent, rate) or a value "
                    "and n (count, score, currency), or to be marked suppressed at source");
    sample.cell [0].has_suppressed = sample.cell [0].suppressed = 1;
    assert_valid (&sample.env);
}

//  The codec judges structure; what counts must agree on (a numerator
//  above its denominator, n against the denominator, cells against the
//  total) depends on the indicator's unit, and is the table check of the
//  disclosure module, which the store runs with the catalogue in hand and
//  which names the cell. The codec lets such a table through; the check
//  refuses it.
static void
s_assert_table_refused (uint64_t numerator, uint64_t denominator, bool has_n, uint64_t n,
                        const char *expected)
{
    static const char *races [] = {"black", "hispanic", "asian"};
    const disclosure_dimension_t dimensions [] = {{"race", races, 3}};
    const disclosure_coord_t black = {"race", "black"};
    disclosure_cell_t cell = {.coords = &black,
                              .coord_count = 1,
                              .has_numerator = true,
                              .numerator = numerator,
                              .has_denominator = true,
                              .denominator = denominator,
                              .has_n = has_n,
                              .n = n};
    disclosure_table_t table = {.indicator = "k3-reading",
                                .period = "2025-26",
                                .kind = DISCLOSURE_RATIO,
                                .dimensions = dimensions,
                                .dimension_count = 1,
                                .cells = &cell,
                                .cell_count = 1};
    table.total = (disclosure_cell_t) {.has_numerator = true,
                                       .numerator = 168,
                                       .has_denominator = true,
                                       .denominator = 410};
    disclosure_problem_t problem;
    memset (&problem, 0, sizeof problem);
    assert_int_equal (disclosure_table_check (&table, &problem), CIBUS_ERR_BAD_FIELD);
    assert_int_equal (problem.cell, 0);
    assert_string_equal (problem.message, expected);
}

static void
test_codec_validate_leaves_counts_that_disagree_to_the_table_check (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.cell [0].numerator = 161;
    assert_valid (&sample.env);
    s_assert_table_refused (161, 160, false, 0,
                            "cell race=black: 161/160 has a numerator above its denominator");
    s_sample_data (&sample);
    sample.cell [0].has_n = 1;
    sample.cell [0].n = 38;
    assert_valid (&sample.env);
    s_assert_table_refused (52, 160, true, 38,
                            "cell race=black: n 38 disagrees with its denominator 160");
}

//  A cell names its categories, at most CIBUS_MAX_CROSS of them; a list
//  of 65 (the old limit of a value's dimensions, CIBUS_MAX_LIST, and one)
//  is refused like any cross over the limit, and the refusal still says
//  how many and what the limit is: the cell's name in it is cut short to
//  leave room for that.
static void
test_codec_validate_refuses_too_many_dimensions (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    Cibus__Dimension *dimensions [MANY];
    for (size_t i = 0; i < MANY; i++)
        dimensions [i] = &sample.dimension [0];
    sample.cell [0].n_dimensions = MANY;
    sample.cell [0].dimensions = dimensions;
    codec_problem_t problem;
    memset (&problem, 0, sizeof problem);
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_ERR_BAD_FIELD);
    assert_string_equal (problem.field, "data.cells.dimensions");
    const char *start = "cell race=black,race=black,";
    assert_memory_equal (problem.message, start, strlen (start));
    const char *end = " crosses 65 dimensions, over the limit of 3";
    size_t len = strlen (problem.message);
    assert_true (len > strlen (end));
    assert_string_equal (problem.message + len - strlen (end), end);
}

static void
test_codec_validate_refuses_dimension_without_key_or_value (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.dimension [2].key = NULL;
    assert_refused (&sample.env, "data.cells.dimensions.key",
                    "field 'data.cells.dimensions.key' is required");
    s_sample_data (&sample);
    sample.dimension [2].value = "";
    assert_refused (&sample.env, "data.cells.dimensions.value",
                    "field 'data.cells.dimensions.value' is required");
}

static void
test_codec_validate_refuses_dimension_value_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *value = s_repeat ('v', CIBUS_MAX_NAME + 1);
    sample.dimension [0].value = value;
    assert_refused (&sample.env, "data.cells.dimensions.value",
                    "field 'data.cells.dimensions.value' is 129 bytes, over its limit of 128");
    free (value);
}

static void
test_codec_validate_refuses_dimension_given_twice (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.dimension [2].key = "race";
    assert_refused (&sample.env, "data.cells.dimensions",
                    "cell race=hispanic,race=low names dimension 'race' twice");
}

//  Fields this protocol does not know, one message down and two: in a
//  cell (the total or a breakdown's) and in a cell's dimension.
static void
test_codec_validate_refuses_unknown_fields_inside_a_data_cell (void **state)
{
    (void) state;
    uint8_t varint = 1;
    ProtobufCMessageUnknownField unknown = {99, PROTOBUF_C_WIRE_TYPE_VARINT, 1, &varint};
    static const struct {
        int where; /* 0 the total, 1 a cell, 2 a cell's dimension */
        const char *field;
    } cases [] = {{0, "data.total"}, {1, "data.cells"}, {2, "data.cells.dimensions"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        sample_t sample;
        s_sample_data (&sample);
        ProtobufCMessage *base = cases [i].where == 0   ? &sample.total.base
                                 : cases [i].where == 1 ? &sample.cell [1].base
                                                        : &sample.dimension [2].base;
        base->n_unknown_fields = 1;
        base->unknown_fields = &unknown;
        //  Through the wire, as a client would send it.
        codec_buf_t buf = {0};
        assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
        envelope_t *env = codec_envelope_decode (buf.data, buf.size);
        assert_non_null (env);
        char expected [160];
        snprintf (expected, sizeof expected,
                  "'%s' carries field number 99, which is not part of the cibus protocol",
                  cases [i].field);
        assert_refused (env, cases [i].field, expected);
        codec_envelope_free (env);
        codec_buf_release (&buf);
    }
}

static void
test_codec_validate_refuses_bad_unit_or_owner (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.unit = "lincoln elementary";
    assert_refused (&sample.env, "data.unit",
                    "field 'data.unit' must be printable text without spaces or '/', got "
                    "'lincoln elementary'");
    s_sample_data (&sample);
    sample.data.owner = "north/isd";
    assert_refused (&sample.env, "data.owner",
                    "field 'data.owner' must be printable text without spaces or '/', got "
                    "'north/isd'");
}

static void
test_codec_validate_refuses_unspecified_data_status (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.status = CIBUS__VALUE_STATUS__VALUE_STATUS_UNSPECIFIED;
    assert_refused (&sample.env, "data.status",
                    "field 'data.status' must be final, provisional or estimated");
}

static void
test_codec_validate_refuses_data_status_out_of_range (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.status = (Cibus__ValueStatus) 9;
    //  protobuf-c decodes an enum value it does not know as is, so such a
    //  status reaches the check from the wire.
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    envelope_t *env = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (env);
    assert_true (env->data->has_status);
    assert_int_equal (env->data->status, 9);
    assert_refused (env, "data.status",
                    "field 'data.status' must be final, provisional or estimated");
    codec_envelope_free (env);
    codec_buf_release (&buf);
}

static void
test_codec_validate_refuses_source_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *source = s_repeat ('s', CIBUS_MAX_NAME + 1);
    sample.data.source = source;
    assert_refused (&sample.env, "data.source",
                    "field 'data.source' is 129 bytes, over its limit of 128");
    free (source);
}

static void
test_codec_validate_refuses_bad_extracted_on_date (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    sample.data.extracted_on = "2026-02-30";
    assert_refused (&sample.env, "data.extracted_on",
                    "field 'data.extracted_on' expects a date like 2026-12-15, got '2026-02-30'");
    sample.data.extracted_on = "15/09/2026";
    assert_refused (&sample.env, "data.extracted_on",
                    "field 'data.extracted_on' expects a date like 2026-12-15, got '15/09/2026'");
}

//  ------------------------------------------------------------ validation: note

static void
test_codec_validate_refuses_missing_note_title (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.note.title = NULL;
    assert_refused (&sample.env, "note.title", "field 'note.title' is required");
}

static void
test_codec_validate_refuses_note_title_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *title = s_repeat ('t', CIBUS_MAX_TEXT + 1);
    sample.note.title = title;
    assert_refused (&sample.env, "note.title",
                    "field 'note.title' is 1025 bytes, over its limit of 1024");
    free (title);
}

static void
test_codec_validate_refuses_note_body_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *body = s_repeat ('b', CIBUS_MAX_BODY + 1);
    sample.note.body = body;
    assert_refused (&sample.env, "note.body",
                    "field 'note.body' is 65537 bytes, over its limit of 65536");
    free (body);
}

static void
test_codec_validate_refuses_bad_held_on_date (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.note.held_on = "2026-13-01";
    assert_refused (&sample.env, "note.held_on",
                    "field 'note.held_on' expects a date like 2026-12-15, got '2026-13-01'");
}

static void
test_codec_validate_refuses_too_many_attendees (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *attendees [MANY];
    s_many (attendees, "Ana Ruiz");
    sample.note.n_attendees = MANY;
    sample.note.attendees = attendees;
    assert_refused (&sample.env, "note.attendees",
                    "field 'note.attendees' has 65 items, over its limit of 64");
}

static void
test_codec_validate_refuses_attendee_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *attendee = s_repeat ('a', CIBUS_MAX_NAME + 1);
    sample.attendees [1] = attendee;
    assert_refused (&sample.env, "note.attendees",
                    "field 'note.attendees' is 129 bytes, over its limit of 128");
    free (attendee);
}

static void
test_codec_validate_refuses_too_many_decisions (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *decisions [MANY];
    s_many (decisions, "Extend the pilot");
    sample.note.n_decisions = MANY;
    sample.note.decisions = decisions;
    assert_refused (&sample.env, "note.decisions",
                    "field 'note.decisions' has 65 items, over its limit of 64");
}

static void
test_codec_validate_refuses_decision_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char *decision = s_repeat ('d', CIBUS_MAX_TEXT + 1);
    sample.decisions [0] = decision;
    assert_refused (&sample.env, "note.decisions",
                    "field 'note.decisions' is 1025 bytes, over its limit of 1024");
    free (decision);
}

//  ------------------------------------------------------------ validation: commitment

static void
test_codec_validate_refuses_missing_commitment_action (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.action = "";
    assert_refused (&sample.env, "commitment.action", "field 'commitment.action' is required");
}

static void
test_codec_validate_refuses_missing_commitment_due (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.due = NULL;
    assert_refused (&sample.env, "commitment.due", "field 'commitment.due' is required");
}

static void
test_codec_validate_refuses_bad_commitment_due_date (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.due = "2026-02-29";
    assert_refused (&sample.env, "commitment.due",
                    "field 'commitment.due' expects a date like 2026-12-15, got '2026-02-29'");
    sample.commitment.due = "2026-Q4";
    assert_refused (&sample.env, "commitment.due",
                    "field 'commitment.due' expects a date like 2026-12-15, got '2026-Q4'");
}

static void
test_codec_validate_refuses_too_many_commitment_indicators (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    char *indicators [MANY];
    s_many (indicators, "k3-reading");
    sample.commitment.n_indicators = MANY;
    sample.commitment.indicators = indicators;
    assert_refused (&sample.env, "commitment.indicators",
                    "field 'commitment.indicators' has 65 items, over its limit of 64");
}

static void
test_codec_validate_refuses_commitment_action_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    char *action = s_repeat ('a', CIBUS_MAX_TEXT + 1);
    sample.commitment.action = action;
    assert_refused (&sample.env, "commitment.action",
                    "field 'commitment.action' is 1025 bytes, over its limit of 1024");
    free (action);
}

//  A commitment names the note it came from by the note's envelope id, and
//  which of its decisions by number, from 1: both travel and come back.
static void
test_codec_commitment_from_note_round_trips (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.from_note = "n-1";
    sample.commitment.has_decision = 1;
    sample.commitment.decision = 2;
    codec_problem_t problem;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_string_equal (env->commitment->from_note, "n-1");
    assert_true (env->commitment->has_decision);
    assert_int_equal (env->commitment->decision, 2);
    codec_envelope_free (env);
    //  The note alone: the commitment came from the meeting as a whole.
    sample.commitment.has_decision = 0;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
}

//  from_note is an envelope id: a token of at most 128 bytes.
static void
test_codec_validate_refuses_a_from_note_that_is_no_id (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.from_note = "n 1";
    assert_refused (&sample.env, "commitment.from_note",
                    "field 'commitment.from_note' must be printable text without spaces or "
                    "'/', got 'n 1'");
    sample.commitment.from_note = "north/n-1";
    assert_refused (&sample.env, "commitment.from_note",
                    "field 'commitment.from_note' must be printable text without spaces or "
                    "'/', got 'north/n-1'");
    char *id = s_repeat ('n', CIBUS_MAX_ID + 1);
    sample.commitment.from_note = id;
    assert_refused (&sample.env, "commitment.from_note",
                    "field 'commitment.from_note' is 129 bytes, over its limit of 128");
    id [CIBUS_MAX_ID] = 0;
    codec_problem_t problem;
    assert_int_equal (codec_validate_envelope (&sample.env, &problem), CIBUS_OK);
    free (id);
}

//  A decision is a decision of the note named beside it: without the note
//  it names nothing (an empty from_note is absent, 2.1), and the first
//  decision is 1.
static void
test_codec_validate_refuses_a_decision_without_its_note_or_zero (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_commitment (&sample);
    sample.commitment.has_decision = 1;
    sample.commitment.decision = 1;
    assert_refused (&sample.env, "commitment.decision",
                    "field 'commitment.decision' numbers a decision of the note in "
                    "'commitment.from_note', which is absent");
    sample.commitment.from_note = "";
    assert_refused (&sample.env, "commitment.decision",
                    "field 'commitment.decision' numbers a decision of the note in "
                    "'commitment.from_note', which is absent");
    sample.commitment.from_note = "n-1";
    sample.commitment.decision = 0;
    assert_refused (&sample.env, "commitment.decision",
                    "field 'commitment.decision' counts a note's decisions from 1, got 0");
}

//  ------------------------------------------------------------ validation: update

static void
test_codec_validate_refuses_missing_update_commitment_id (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    sample.update.commitment_id = NULL;
    assert_refused (&sample.env, "update.commitment_id",
                    "field 'update.commitment_id' is required");
}

static void
test_codec_validate_refuses_update_commitment_id_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    char *id = s_repeat ('c', CIBUS_MAX_ID + 1);
    sample.update.commitment_id = id;
    assert_refused (&sample.env, "update.commitment_id",
                    "field 'update.commitment_id' is 129 bytes, over its limit of 128");
    free (id);
}

static void
test_codec_validate_refuses_missing_update_status (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    sample.update.has_status = 0;
    assert_refused (&sample.env, "update.status", "field 'update.status' is required");
}

static void
test_codec_validate_refuses_update_status_committed (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    sample.update.status = CIBUS__COMMITMENT_STATUS__COMMITTED;
    assert_refused (&sample.env, "update.status",
                    "field 'update.status' must be on-track, at-risk, done or dropped");
    sample.update.status = (Cibus__CommitmentStatus) 6;
    assert_refused (&sample.env, "update.status",
                    "field 'update.status' must be on-track, at-risk, done or dropped");
}

static void
test_codec_validate_refuses_update_comment_over_its_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_update (&sample);
    char *comment = s_repeat ('c', CIBUS_MAX_TEXT + 1);
    sample.update.comment = comment;
    assert_refused (&sample.env, "update.comment",
                    "field 'update.comment' is 1025 bytes, over its limit of 1024");
    free (comment);
}

//  ------------------------------------------------------------ text encoding

static void
test_codec_valid_utf8_accepts_well_formed_text (void **state)
{
    (void) state;
    static const char *const good [] = {
        "",
        "plain ASCII",
        "Bogot\xc3\xa1",            /* Bogotá */
        "\xe6\x9d\xb1\xe4\xba\xac", /* 東京 */
        "\xf0\x9f\x98\x80",         /* an emoji, U+1F600 */
        "\xc2\x80",                 /* U+0080, the first of two bytes */
        "\xdf\xbf",                 /* U+07FF */
        "\xe0\xa0\x80",             /* U+0800, the first of three */
        "\xed\x9f\xbf",             /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",             /* U+E000, just above them */
        "\xef\xbf\xbf",             /* U+FFFF */
        "\xf0\x90\x80\x80",         /* U+10000, the first of four */
        "\xf4\x8f\xbf\xbf",         /* U+10FFFF, the last code point */
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        if (!codec_valid_utf8 (good [i], strlen (good [i])))
            print_error ("refused good text %zu\n", i);
        assert_true (codec_valid_utf8 (good [i], strlen (good [i])));
    }
}

static void
test_codec_valid_utf8_refuses_malformed_text (void **state)
{
    (void) state;
    static const char *const bad [] = {
        "\xff\xfe",         /* bytes that never occur in UTF-8 */
        "\xc0\xaf",         /* '/' overlong in two bytes */
        "\xc1\xbf",         /* U+007F overlong */
        "\xe0\x80\xaf",     /* '/' overlong in three bytes */
        "\xf0\x80\x80\xaf", /* '/' overlong in four bytes */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF, a surrogate */
        "\xf4\x90\x80\x80", /* U+110000, past Unicode */
        "\xf5\x80\x80\x80", /* a lead byte past Unicode */
        "\xe2\x82",         /* the euro sign cut short */
        "caf\xc3",          /* a character cut at the end */
        "\x80",             /* a continuation byte alone */
        "\xe2\x28\xa1",     /* a lead byte without its continuation */
        "Bogot\xe1",        /* Latin-1, not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        if (codec_valid_utf8 (bad [i], strlen (bad [i])))
            print_error ("accepted bad text %zu\n", i);
        assert_false (codec_valid_utf8 (bad [i], strlen (bad [i])));
    }
    //  Only len bytes are read: a whole character is cut by a shorter len.
    assert_true (codec_valid_utf8 ("\xe2\x82\xac", 3));
    assert_false (codec_valid_utf8 ("\xe2\x82\xac", 2));
}

static void
test_codec_validate_refuses_invalid_utf8_naming_the_field (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.note.body = "\xff\xfe";
    assert_refused (&sample.env, "note.body", "field 'note.body' is not valid UTF-8");
    s_sample_note (&sample);
    sample.note.title = "Review \xe2\x82";
    assert_refused (&sample.env, "note.title", "field 'note.title' is not valid UTF-8");
    s_sample_note (&sample);
    sample.decisions [0] = "\xc0\xaf";
    assert_refused (&sample.env, "note.decisions", "field 'note.decisions' is not valid UTF-8");
    s_sample_note (&sample);
    sample.attendees [1] = "\xed\xa0\x80";
    assert_refused (&sample.env, "note.attendees", "field 'note.attendees' is not valid UTF-8");

    s_sample_data (&sample);
    sample.dimension [2].value = "\xed\xa0\x80";
    assert_refused (&sample.env, "data.cells.dimensions.value",
                    "field 'data.cells.dimensions.value' is not valid UTF-8");
    s_sample_data (&sample);
    sample.dimension [0].key = "r\xc3";
    assert_refused (&sample.env, "data.cells.dimensions.key",
                    "field 'data.cells.dimensions.key' is not valid UTF-8");
    //  The walk goes into the total too, wherever a string may be.
    s_sample_data (&sample);
    sample.total.n_dimensions = 1;
    sample.total.dimensions = sample.black;
    sample.dimension [0].value = "\xff";
    assert_refused (&sample.env, "data.total.dimensions.value",
                    "field 'data.total.dimensions.value' is not valid UTF-8");
    s_sample_data (&sample);
    sample.data.unit = "Lincoln-\xc3";
    assert_refused (&sample.env, "data.unit", "field 'data.unit' is not valid UTF-8");
    s_sample_data (&sample);
    sample.data.owner = "\xe2\x82";
    assert_refused (&sample.env, "data.owner", "field 'data.owner' is not valid UTF-8");
    s_sample_data (&sample);
    sample.data.source = "SIS \xff";
    assert_refused (&sample.env, "data.source", "field 'data.source' is not valid UTF-8");
    s_sample_data (&sample);
    sample.data.period = "2025-\xe2\x82";
    assert_refused (&sample.env, "data.period", "field 'data.period' is not valid UTF-8");

    s_sample_commitment (&sample);
    sample.commitment.action = "Hire \xc0\xaf coaches";
    assert_refused (&sample.env, "commitment.action",
                    "field 'commitment.action' is not valid UTF-8");
    s_sample_commitment (&sample);
    sample.indicators [1] = "\xf4\x90\x80\x80";
    assert_refused (&sample.env, "commitment.indicators",
                    "field 'commitment.indicators' is not valid UTF-8");
    s_sample_update (&sample);
    sample.update.comment = "\xe2\x82";
    assert_refused (&sample.env, "update.comment", "field 'update.comment' is not valid UTF-8");

    //  The envelope's own fields, the one the broker overwrites included:
    //  it is a string of the request like any other.
    s_sample_note (&sample);
    sample.env.id = "n-\xff";
    assert_refused (&sample.env, "id", "field 'id' is not valid UTF-8");
    s_sample_note (&sample);
    sample.env.topic = "nor\xc3th/note";
    assert_refused (&sample.env, "topic", "field 'topic' is not valid UTF-8");
    s_sample_note (&sample);
    sample.env.partner = "\xff\xfe";
    assert_refused (&sample.env, "partner", "field 'partner' is not valid UTF-8");
}

static void
test_codec_validate_refuses_invalid_utf8_in_an_indicator_definition (void **state)
{
    (void) state;
    s_def_t sample;
    s_sample_indicator (&sample);
    sample.def.name = "Tasa de graduaci\xf3n";
    assert_refused (&sample.env, "indicator.name", "field 'indicator.name' is not valid UTF-8");
    s_sample_indicator (&sample);
    sample.dimensions [1] = "\xed\xa0\x80";
    assert_refused (&sample.env, "indicator.dimensions",
                    "field 'indicator.dimensions' is not valid UTF-8");
    //  Inside the milestones, one message further down.
    s_sample_indicator (&sample);
    sample.baseline.period = "2024-\xc0\xaf";
    assert_refused (&sample.env, "indicator.baseline.period",
                    "field 'indicator.baseline.period' is not valid UTF-8");
    s_sample_indicator (&sample);
    sample.target.period = "\xe2\x82";
    assert_refused (&sample.env, "indicator.targets.period",
                    "field 'indicator.targets.period' is not valid UTF-8");
}

static void
test_codec_validate_accepts_multibyte_text (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    //  Reunión en Bogotá; 東京 and an emoji; José Núñez; the euro sign.
    sample.note.title = "Reuni\xc3\xb3n en Bogot\xc3\xa1";
    sample.note.body = "\xe6\x9d\xb1\xe4\xba\xac\tTokyo\r\n\xf0\x9f\x98\x80";
    sample.attendees [0] = "Jos\xc3\xa9 N\xc3\xba\xc3\xb1\x65z";
    sample.decisions [0] = "\xe2\x82\xac 10 000 for books \xf0\x9f\x93\x9a";
    assert_valid (&sample.env);
    //  A table's text (its source) may be any language; its categories are
    //  identifiers (below).
    s_sample_data (&sample);
    sample.data.source = "Secretar\xc3\xad\x61 de Educaci\xc3\xb3n \xe6\x9d\xb1\xe4\xba\xac";
    assert_valid (&sample.env);
    s_sample_update (&sample);
    sample.update.comment = "Avanzamos \xf0\x9f\x8e\x89";
    assert_valid (&sample.env);
    s_def_t def;
    s_sample_indicator (&def);
    def.def.name = "Tasa de graduaci\xc3\xb3n";
    assert_valid (&def.env);
}

//  A cell's category names which dimension it belongs to, as the
//  catalogue's categories do: it is an identifier like them (a token),
//  where a data value's dimension used to take any text. A school named
//  in another script goes in as an identifier ("tokyo-3").
static void
test_codec_validate_refuses_a_category_that_is_not_a_token (void **state)
{
    (void) state;
    static const char *values [] = {"\xe6\x9d\xb1\xe4\xba\xac", "low income", "k/3"};
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        sample_t sample;
        s_sample_data (&sample);
        sample.dimension [2].value = (char *) values [i];
        char expected [160];
        snprintf (expected, sizeof expected,
                  "field 'data.cells.dimensions.value' must be printable text without spaces "
                  "or '/', got '%s'",
                  values [i]);
        assert_refused (&sample.env, "data.cells.dimensions.value", expected);
    }
    sample_t sample;
    s_sample_data (&sample);
    sample.dimension [2].key = "home language";
    assert_refused (&sample.env, "data.cells.dimensions.key",
                    "field 'data.cells.dimensions.key' must be printable text without spaces or "
                    "'/', got 'home language'");
}

static void
test_codec_validate_refuses_control_characters_in_text (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.note.title = "\x1b[2JAll clear";
    assert_refused (&sample.env, "note.title",
                    "field 'note.title' holds the control character U+001B: text may hold tab, "
                    "newline and carriage return, no other");
    s_sample_note (&sample);
    sample.note.body = "deleted\x7f";
    assert_refused (&sample.env, "note.body",
                    "field 'note.body' holds the control character U+007F: text may hold tab, "
                    "newline and carriage return, no other");
    //  C1 controls are well-formed UTF-8, and some terminals obey them.
    s_sample_data (&sample);
    sample.dimension [0].value = "\xc2\x9b[31m";
    assert_refused (&sample.env, "data.cells.dimensions.value",
                    "field 'data.cells.dimensions.value' holds the control character U+009B: "
                    "text may hold tab, newline and carriage return, no other");
    s_sample_update (&sample);
    sample.update.comment = "a\x1f-b";
    assert_refused (&sample.env, "update.comment",
                    "field 'update.comment' holds the control character U+001F: text may hold "
                    "tab, newline and carriage return, no other");
    //  Tab, newline and carriage return are text.
    s_sample_note (&sample);
    sample.note.title = "Review\tQ3";
    sample.note.body = "line one\r\nline two\n";
    assert_valid (&sample.env);
}

//  Bytes that are not UTF-8 reach the validator as they were sent:
//  protobuf-c does not check strings, so the codec must.
static void
test_codec_invalid_utf8_survives_decoding_and_is_refused (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.note.body = "\xff\xfe";
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    envelope_t *decoded = codec_envelope_decode (buf.data, buf.size);
    codec_buf_release (&buf);
    assert_non_null (decoded);
    assert_string_equal (decoded->note->body, "\xff\xfe");
    assert_refused (decoded, "note.body", "field 'note.body' is not valid UTF-8");
    codec_envelope_free (decoded);
}

//  Validate a request that must be refused with field and message.
#define assert_request_refused(request, expected_field, expected_message) \
    do { \
        codec_problem_t problem_; \
        memset (&problem_, 0, sizeof problem_); \
        assert_int_equal (codec_validate_request ((request), &problem_), CIBUS_ERR_BAD_FIELD); \
        assert_int_equal (problem_.code, CIBUS_ERR_BAD_FIELD); \
        assert_string_equal (problem_.field, (expected_field)); \
        assert_string_equal (problem_.message, (expected_message)); \
    } while (0)

#define assert_request_valid(request) \
    do { \
        codec_problem_t problem_; \
        memset (&problem_, 0, sizeof problem_); \
        cibus_err_t rc_ = codec_validate_request ((request), &problem_); \
        if (rc_ != CIBUS_OK) \
            print_error ("refused: field=%s message=%s\n", problem_.field, problem_.message); \
        assert_int_equal (rc_, CIBUS_OK); \
    } while (0)

static void
test_codec_validate_request_checks_a_publish (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = &sample.env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    assert_request_valid (&request);
    //  The envelope's fields keep the names they have in a publish's refusal.
    sample.decisions [0] = "\xed\xa0\x80";
    assert_request_refused (&request, "note.decisions",
                            "field 'note.decisions' is not valid UTF-8");
    s_sample_note (&sample);
    sample.note.title = NULL;
    assert_request_refused (&request, "note.title", "field 'note.title' is required");
    publish.envelope = NULL;
    assert_request_refused (&request, "envelope", "field 'envelope' is required");
}

static void
test_codec_validate_request_checks_a_subscribe (void **state)
{
    (void) state;
    char *prefixes [MANY] = {"north/", "Bogot\xc3\xa1/"};
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = 2;
    subscribe.prefixes = prefixes;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    request.subscribe = &subscribe;
    assert_request_valid (&request);
    prefixes [1] = "north\xff/";
    assert_request_refused (&request, "prefixes", "field 'prefixes' is not valid UTF-8");
    prefixes [1] = "north\n/";
    assert_request_valid (&request);
    prefixes [1] = "north\x1b/";
    assert_request_refused (&request, "prefixes",
                            "field 'prefixes' holds the control character U+001B: text may "
                            "hold tab, newline and carriage return, no other");
    char *longest = s_repeat ('p', CIBUS_MAX_TOPIC + 1);
    prefixes [1] = longest;
    assert_request_refused (&request, "prefixes", "field 'prefixes' has a prefix over 128 bytes");
    free (longest);
    s_many (prefixes, "north/");
    subscribe.n_prefixes = MANY;
    assert_request_refused (&request, "prefixes",
                            "field 'prefixes' has 65 items, over its limit of 64");
}

static void
test_codec_validate_request_checks_a_query (void **state)
{
    (void) state;
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "values";
    query.indicator = "k3-reading";
    query.owner = "Bogot\xc3\xa1 Unida";
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_QUERY;
    request.query = &query;
    assert_request_valid (&request);
    query.owner = "Bogot\xe1";
    assert_request_refused (&request, "query.owner", "field 'query.owner' is not valid UTF-8");
    query.owner = NULL;
    query.kind = "\xc0\xaf";
    assert_request_refused (&request, "query.kind", "field 'query.kind' is not valid UTF-8");
    query.kind = "values";
    query.since = "2026-\xe2\x82";
    assert_request_refused (&request, "query.since", "field 'query.since' is not valid UTF-8");
    query.since = NULL;
    char *network = s_repeat ('n', CIBUS_MAX_NETWORK + 1);
    query.network = network;
    assert_request_refused (&request, "query.network",
                            "field 'query.network' is 65 bytes, over its limit of 64");
    free (network);
    query.network = NULL;
    char *by = s_repeat ('b', CIBUS_MAX_NAME + 1);
    query.by = by;
    assert_request_refused (&request, "query.by",
                            "field 'query.by' is 129 bytes, over its limit of 128");
    free (by);
}

static void
test_codec_validate_request_checks_the_other_kinds (void **state)
{
    (void) state;
    Cibus__Credit credit = CIBUS__CREDIT__INIT;
    Cibus__Ping ping = CIBUS__PING__INIT;
    Cibus__Status status = CIBUS__STATUS__INIT;
    request_t request = CIBUS__REQUEST__INIT;
    assert_request_refused (&request, "kind",
                            "unknown or missing request kind: expected publish, subscribe, "
                            "credit, ping, status or query");
    request.kind_case = CIBUS__REQUEST__KIND_CREDIT;
    request.credit = &credit;
    assert_request_valid (&request);
    request.kind_case = CIBUS__REQUEST__KIND_PING;
    request.ping = &ping;
    assert_request_valid (&request);
    request.kind_case = CIBUS__REQUEST__KIND_STATUS;
    request.status = &status;
    assert_request_valid (&request);
}

//  Pack a request and turn the '~' of the string `text` in the frame into a
//  NUL, as a client in another language may send it (only inside that
//  string: a length byte elsewhere may happen to be '~').
static void
s_pack_with_nul (const request_t *request, const char *text, codec_buf_t *buf)
{
    assert_int_equal (codec_pack_request (request, buf), CIBUS_OK);
    size_t len = strlen (text), at = 0;
    while (at + len <= buf->size && memcmp (buf->data + at, text, len) != 0)
        at++;
    assert_true (at + len <= buf->size);
    uint8_t *mark = memchr (buf->data + at, '~', len);
    assert_non_null (mark);
    *mark = 0;
}

//  Refused alike with the decoded request (whose decode noted the NUL as
//  it copied the string) and without it (the bytes searched).
#define assert_bytes_refused(buf, expected_field, expected_id_cut) \
    do { \
        request_t *decoded_ = codec_request_decode ((buf)->data, (buf)->size); \
        assert_non_null (decoded_); \
        for (int with_ = 0; with_ < 2; with_++) { \
            codec_problem_t problem_; \
            bool id_cut_ = !(expected_id_cut); \
            memset (&problem_, 0, sizeof problem_); \
            assert_int_equal (codec_validate_request_bytes (with_ ? decoded_ : NULL, (buf)->data, \
                                                            (buf)->size, &problem_, &id_cut_), \
                              CIBUS_ERR_BAD_FIELD); \
            assert_string_equal (problem_.field, (expected_field)); \
            char message_ [256]; \
            snprintf (message_, sizeof message_, \
                      "field '%s' holds the control character U+0000: text may hold tab, " \
                      "newline and carriage return, no other", \
                      (expected_field)); \
            assert_string_equal (problem_.message, message_); \
            assert_int_equal (id_cut_, (expected_id_cut)); \
        } \
        codec_request_free (decoded_); \
    } while (0)

//  protobuf lets a string carry a NUL; the decoded C string would end
//  there and hide it, so an id "k<NUL>1" would be acked as "k". The frame's
//  bytes are read instead, and the field named as any text refusal names it.
static void
test_codec_validate_request_bytes_refuses_a_nul_in_any_string (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    sample.env.id = "n~1";
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = &sample.env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    codec_buf_t buf = {0};
    //  Without a NUL, nothing to say.
    assert_int_equal (codec_pack_request (&request, &buf), CIBUS_OK);
    codec_problem_t problem;
    bool id_cut = true;
    request_t *whole = codec_request_decode (buf.data, buf.size);
    assert_non_null (whole);
    assert_int_equal (codec_validate_request_bytes (whole, buf.data, buf.size, &problem, &id_cut),
                      CIBUS_OK);
    assert_false (id_cut);
    id_cut = true;
    assert_int_equal (codec_validate_request_bytes (NULL, buf.data, buf.size, &problem, &id_cut),
                      CIBUS_OK);
    assert_false (id_cut);
    codec_request_free (whole);
    //  The id: refused, and said to be cut, so that no refusal echoes "n".
    s_pack_with_nul (&request, "n~1", &buf);
    request_t *decoded = codec_request_decode (buf.data, buf.size);
    assert_non_null (decoded);
    assert_string_equal (decoded->publish->envelope->id, "n");
    codec_request_free (decoded);
    assert_bytes_refused (&buf, "id", true);
    //  The same frame twice: a request given twice is protobuf-c's to
    //  decode (its publish taken from the second), not the decoder's in
    //  one pass, and its bytes are searched as before.
    codec_buf_t twice = {0};
    twice.data = malloc (2 * buf.size);
    assert_non_null (twice.data);
    memcpy (twice.data, buf.data, buf.size);
    memcpy (twice.data + buf.size, buf.data, buf.size);
    twice.size = twice.capacity = 2 * buf.size;
    assert_bytes_refused (&twice, "id", true);
    codec_buf_release (&twice);
    //  A field deeper in the body, and an item of a list.
    sample.env.id = "n-1";
    sample.note.title = "Quarterly~review";
    s_pack_with_nul (&request, "Quarterly~review", &buf);
    assert_bytes_refused (&buf, "note.title", false);
    sample.note.title = "Quarterly review";
    sample.decisions [0] = "Extend~the pilot";
    s_pack_with_nul (&request, "Extend~the pilot", &buf);
    assert_bytes_refused (&buf, "note.decisions", false);
    //  A data table's dimension, three messages down.
    s_sample_data (&sample);
    sample.dimension [3].value = "asi~n";
    publish.envelope = &sample.env;
    s_pack_with_nul (&request, "asi~n", &buf);
    assert_bytes_refused (&buf, "data.cells.dimensions.value", false);
    //  A subscription's prefixes go by their own name, a query's fields by
    //  'query.<name>'.
    char *prefixes [] = {"north/", "south~/"};
    Cibus__Subscribe subscribe = CIBUS__SUBSCRIBE__INIT;
    subscribe.n_prefixes = 2;
    subscribe.prefixes = prefixes;
    request_t subscription = CIBUS__REQUEST__INIT;
    subscription.kind_case = CIBUS__REQUEST__KIND_SUBSCRIBE;
    subscription.subscribe = &subscribe;
    s_pack_with_nul (&subscription, "south~/", &buf);
    assert_bytes_refused (&buf, "prefixes", false);
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "notes";
    query.since = "2026-01-01~";
    request_t question = CIBUS__REQUEST__INIT;
    question.kind_case = CIBUS__REQUEST__KIND_QUERY;
    question.query = &query;
    s_pack_with_nul (&question, "2026-01-01~", &buf);
    assert_bytes_refused (&buf, "query.since", false);
    codec_buf_release (&buf);
}

//  An empty optional string is absent (PROTOCOL.md 2.1): it is cleared
//  while the entry is encoded, and put back for its owner afterwards.
static void
test_codec_envelope_clear_empty_encodes_an_empty_string_as_absent (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_data (&sample);
    char *source = "", *unit = "";
    sample.data.source = source;
    sample.data.unit = unit;
    codec_cleared_t cleared = {0};
    assert_int_equal (codec_envelope_clear_empty (&sample.env, &cleared), CIBUS_OK);
    assert_int_equal (cleared.count, 2);
    assert_null (sample.data.source);
    assert_null (sample.data.unit);
    //  What is not empty stays, and lists are not touched.
    assert_string_equal (sample.data.indicator, "k3-reading");
    assert_string_equal (sample.data.extracted_on, "2026-09-15");
    codec_buf_t buf = {0};
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    envelope_t *decoded = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (decoded);
    assert_null (decoded->data->source);
    assert_null (decoded->data->unit);
    assert_string_equal (decoded->data->cells [0]->dimensions [0]->value, "black");
    codec_envelope_free (decoded);
    codec_envelope_restore_empty (&cleared);
    assert_int_equal (cleared.count, 0);
    assert_ptr_equal (sample.data.source, source);
    assert_ptr_equal (sample.data.unit, unit);
    //  Inside a cell's list of dimensions too, the second of the second
    //  cell's (source and unit again).
    char *value = "";
    sample.data.cells [1]->dimensions [1]->value = value;
    assert_int_equal (codec_envelope_clear_empty (&sample.env, &cleared), CIBUS_OK);
    assert_int_equal (cleared.count, 3);
    assert_null (sample.data.cells [1]->dimensions [1]->value);
    assert_non_null (sample.data.cells [1]->dimensions [1]->key);
    assert_non_null (sample.data.cells [1]->dimensions [0]->value);
    codec_envelope_restore_empty (&cleared);
    assert_ptr_equal (sample.data.cells [1]->dimensions [1]->value, value);
    //  A note's body and date, reusing the same memory; an empty item of
    //  a list of strings stays (a list's items are refused empty, 6.2).
    s_sample_note (&sample);
    sample.note.body = "";
    sample.note.held_on = "";
    char *decisions [] = {"Fund the pilot", ""};
    sample.note.decisions = decisions;
    sample.note.n_decisions = 2;
    assert_int_equal (codec_envelope_clear_empty (&sample.env, &cleared), CIBUS_OK);
    assert_int_equal (cleared.count, 2);
    assert_null (sample.note.body);
    assert_null (sample.note.held_on);
    assert_string_equal (sample.note.title, "Quarterly review");
    assert_string_equal (sample.note.decisions [1], "");
    codec_envelope_restore_empty (&cleared);
    assert_string_equal (sample.note.body, "");
    codec_cleared_release (&cleared);
    codec_buf_release (&buf);
}

static void
test_codec_problem_set_never_cuts_a_character_in_two (void **state)
{
    (void) state;
    codec_problem_t problem;
    //  A precision counts bytes: six of "Bogotá" end inside the "á".
    codec_problem_set (&problem, CIBUS_ERR_BAD_FIELD, "topic", "got '%.6s'", "Bogot\xc3\xa1/x");
    assert_string_equal (problem.message, "got 'Bogot'");
    assert_true (codec_valid_utf8 (problem.message, strlen (problem.message)));
    //  The same at the end of the buffer.
    char *text = malloc (sizeof problem.message + 2);
    assert_non_null (text);
    memset (text, 'a', sizeof problem.message - 2);
    strcpy (text + sizeof problem.message - 2, "\xe6\x9d\xb1");
    codec_problem_set (&problem, CIBUS_ERR_BAD_FIELD, NULL, "%s", text);
    assert_int_equal (strlen (problem.message), sizeof problem.message - 2);
    assert_true (codec_valid_utf8 (problem.message, strlen (problem.message)));
    free (text);
}

//  ------------------------------------------------------------ problems

static void
test_codec_problem_set_fills_and_returns_the_code (void **state)
{
    (void) state;
    codec_problem_t problem;
    assert_int_equal (codec_problem_set (&problem, CIBUS_ERR_FORBIDDEN, "topic",
                                         "partner '%s' may not publish to '%s'", "a", "b/data"),
                      CIBUS_ERR_FORBIDDEN);
    assert_int_equal (problem.code, CIBUS_ERR_FORBIDDEN);
    assert_string_equal (problem.field, "topic");
    assert_string_equal (problem.message, "partner 'a' may not publish to 'b/data'");
    assert_int_equal (codec_problem_set (&problem, CIBUS_ERR_MALFORMED, NULL, "bad frame"),
                      CIBUS_ERR_MALFORMED);
    assert_string_equal (problem.field, "");
    assert_string_equal (problem.message, "bad frame");
}

//  ------------------------------------------------------------ status names

static void
test_codec_value_status_names_round_trip (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        Cibus__ValueStatus status;
    } cases [] = {
        {"final", CIBUS__VALUE_STATUS__FINAL},
        {"provisional", CIBUS__VALUE_STATUS__PROVISIONAL},
        {"estimated", CIBUS__VALUE_STATUS__ESTIMATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        Cibus__ValueStatus status = CIBUS__VALUE_STATUS__VALUE_STATUS_UNSPECIFIED;
        assert_string_equal (codec_value_status_name (cases [i].status), cases [i].name);
        assert_true (codec_value_status_parse (cases [i].name, &status));
        assert_int_equal (status, cases [i].status);
    }
}

static void
test_codec_value_status_parse_refuses_unknown_names (void **state)
{
    (void) state;
    Cibus__ValueStatus status = CIBUS__VALUE_STATUS__FINAL;
    assert_false (codec_value_status_parse ("unspecified", &status));
    assert_false (codec_value_status_parse ("Final", &status));
    assert_false (codec_value_status_parse ("", &status));
    assert_false (codec_value_status_parse ("done", &status));
    assert_int_equal (status, CIBUS__VALUE_STATUS__FINAL);
    assert_string_equal (
        codec_value_status_name (CIBUS__VALUE_STATUS__VALUE_STATUS_UNSPECIFIED), "unspecified");
    assert_string_equal (codec_value_status_name ((Cibus__ValueStatus) 4), "unspecified");
}

static void
test_codec_commitment_status_names_round_trip (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        Cibus__CommitmentStatus status;
    } cases [] = {
        {"committed", CIBUS__COMMITMENT_STATUS__COMMITTED},
        {"on-track", CIBUS__COMMITMENT_STATUS__ON_TRACK},
        {"at-risk", CIBUS__COMMITMENT_STATUS__AT_RISK},
        {"done", CIBUS__COMMITMENT_STATUS__DONE},
        {"dropped", CIBUS__COMMITMENT_STATUS__DROPPED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        Cibus__CommitmentStatus status = CIBUS__COMMITMENT_STATUS__COMMITMENT_STATUS_UNSPECIFIED;
        assert_string_equal (codec_commitment_status_name (cases [i].status), cases [i].name);
        assert_true (codec_commitment_status_parse (cases [i].name, &status));
        assert_int_equal (status, cases [i].status);
    }
}

static void
test_codec_commitment_status_parse_refuses_unknown_names (void **state)
{
    (void) state;
    Cibus__CommitmentStatus status = CIBUS__COMMITMENT_STATUS__DONE;
    assert_false (codec_commitment_status_parse ("unspecified", &status));
    assert_false (codec_commitment_status_parse ("on_track", &status));
    assert_false (codec_commitment_status_parse ("at risk", &status));
    assert_false (codec_commitment_status_parse ("", &status));
    assert_false (codec_commitment_status_parse ("final", &status));
    assert_int_equal (status, CIBUS__COMMITMENT_STATUS__DONE);
    assert_string_equal (codec_commitment_status_name ((Cibus__CommitmentStatus) 6),
                         "unspecified");
}

//  The bytes of an Envelope a program encoded itself are read the same
//  way, each field named from the envelope.
static void
test_codec_validate_envelope_bytes_refuses_a_nul_in_any_string (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    codec_buf_t buf = {0};
    codec_problem_t problem;
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    envelope_t *decoded = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (decoded);
    assert_int_equal (codec_validate_envelope_bytes (decoded, buf.data, buf.size, &problem),
                      CIBUS_OK);
    assert_int_equal (codec_validate_envelope_bytes (NULL, buf.data, buf.size, &problem), CIBUS_OK);
    codec_envelope_free (decoded);
    sample.decisions [0] = "Extend~the pilot";
    assert_int_equal (codec_pack_envelope (&sample.env, &buf), CIBUS_OK);
    uint8_t *mark = memchr (buf.data, '~', buf.size);
    assert_non_null (mark);
    *mark = 0;
    //  With the decoded envelope, and the bytes alone.
    decoded = codec_envelope_decode (buf.data, buf.size);
    assert_non_null (decoded);
    for (int with = 0; with < 2; with++) {
        memset (&problem, 0, sizeof problem);
        assert_int_equal (
            codec_validate_envelope_bytes (with ? decoded : NULL, buf.data, buf.size, &problem),
            CIBUS_ERR_BAD_FIELD);
        assert_string_equal (problem.field, "note.decisions");
        assert_string_equal (problem.message, "field 'note.decisions' holds the control "
                                              "character U+0000: text may hold tab, newline "
                                              "and carriage return, no other");
    }
    codec_envelope_free (decoded);
    codec_buf_release (&buf);
}

//  ------------------------------------------------------------ topics

static void
test_codec_topic_puts_the_body_kind_after_the_network (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_note (&sample);
    char topic [32];
    assert_true (codec_topic ("north", &sample.env, topic, sizeof topic));
    assert_string_equal (topic, "north/note");
    //  An update goes with its commitment.
    sample.env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    assert_true (codec_topic ("north", &sample.env, topic, sizeof topic));
    assert_string_equal (topic, "north/commitment");
    //  Cut by the buffer, or without a body: false.
    assert_false (codec_topic ("north", &sample.env, topic, 16));
    assert_string_equal (topic, "north/commitmen");
    sample.env.body_case = CIBUS__ENVELOPE__BODY__NOT_SET;
    assert_false (codec_topic ("north", &sample.env, topic, sizeof topic));
}

static void
test_codec_topic_network_splits_at_the_first_slash (void **state)
{
    (void) state;
    char network [CIBUS_MAX_NETWORK + 1];
    assert_true (codec_topic_network ("north/data", network, sizeof network));
    assert_string_equal (network, "north");
    assert_true (codec_topic_network ("a/b/c", network, sizeof network));
    assert_string_equal (network, "a");
    assert_true (codec_topic_network ("/data", network, sizeof network));
    assert_string_equal (network, "");
    assert_true (codec_topic_network ("north/", network, sizeof network));
    assert_string_equal (network, "north");
}

static void
test_codec_topic_network_refuses_topic_without_slash (void **state)
{
    (void) state;
    char network [CIBUS_MAX_NETWORK + 1];
    assert_false (codec_topic_network ("northdata", network, sizeof network));
    assert_false (codec_topic_network ("", network, sizeof network));
    assert_false (codec_topic_network (NULL, network, sizeof network));
}

static void
test_codec_topic_network_refuses_network_longer_than_buffer (void **state)
{
    (void) state;
    char network [CIBUS_MAX_NETWORK + 1];
    char topic [CIBUS_MAX_NETWORK + 16];
    memset (topic, 'n', CIBUS_MAX_NETWORK);
    strcpy (topic + CIBUS_MAX_NETWORK, "/data");
    assert_true (codec_topic_network (topic, network, sizeof network));
    assert_int_equal (strlen (network), CIBUS_MAX_NETWORK);

    memset (topic, 'n', CIBUS_MAX_NETWORK + 1);
    strcpy (topic + CIBUS_MAX_NETWORK + 1, "/data");
    assert_false (codec_topic_network (topic, network, sizeof network));
}

//  ------------------------------------------------------------ dates

static void
test_codec_is_date_accepts_calendar_dates (void **state)
{
    (void) state;
    assert_true (codec_is_date ("2026-09-15"));
    assert_true (codec_is_date ("2026-01-01"));
    assert_true (codec_is_date ("2026-01-31"));
    assert_true (codec_is_date ("2026-04-30"));
    assert_true (codec_is_date ("2026-12-31"));
    assert_true (codec_is_date ("2026-02-28"));
}

static void
test_codec_is_date_accepts_feb_29_only_in_leap_years (void **state)
{
    (void) state;
    assert_true (codec_is_date ("2024-02-29"));
    assert_true (codec_is_date ("2028-02-29"));
    assert_true (codec_is_date ("2000-02-29")); /* divisible by 400 */
    assert_false (codec_is_date ("2026-02-29"));
    assert_false (codec_is_date ("2025-02-29"));
    assert_false (codec_is_date ("1900-02-29")); /* divisible by 100, not by 400 */
    assert_false (codec_is_date ("2100-02-29"));
}

static void
test_codec_is_date_refuses_days_past_the_end_of_the_month (void **state)
{
    (void) state;
    assert_false (codec_is_date ("2026-02-30"));
    assert_false (codec_is_date ("2024-02-30"));
    assert_false (codec_is_date ("2026-02-31"));
    assert_false (codec_is_date ("2026-04-31"));
    assert_false (codec_is_date ("2026-06-31"));
    assert_false (codec_is_date ("2026-09-31"));
    assert_false (codec_is_date ("2026-11-31"));
    assert_false (codec_is_date ("2026-01-32"));
    assert_false (codec_is_date ("2026-01-00"));
}

static void
test_codec_is_date_refuses_bad_months (void **state)
{
    (void) state;
    assert_false (codec_is_date ("2026-00-10"));
    assert_false (codec_is_date ("2026-13-10"));
    assert_false (codec_is_date ("2026-99-10"));
}

static void
test_codec_is_date_refuses_other_shapes (void **state)
{
    (void) state;
    assert_false (codec_is_date (NULL));
    assert_false (codec_is_date (""));
    assert_false (codec_is_date ("2026-9-15"));
    assert_false (codec_is_date ("2026-09-5"));
    assert_false (codec_is_date ("2026/09/15"));
    assert_false (codec_is_date ("20260915"));
    assert_false (codec_is_date ("2026-09-15x"));
    assert_false (codec_is_date ("2026-09-15 "));
    assert_false (codec_is_date (" 2026-09-1"));
    assert_false (codec_is_date ("2026-0a-15"));
    assert_false (codec_is_date ("2026-09-1a"));
    assert_false (codec_is_date ("+026-09-15"));
    assert_false (codec_is_date ("2026-Q3-15"));
}

//  ------------------------------------------------------------ practice tags

//  A practice tag: the backbone's record that a school under a district
//  took up leveled libraries on 2026-01-05.
typedef struct {
    envelope_t env;
    Cibus__PracticeTag tag;
} s_practice_t;

static void
s_sample_practice (s_practice_t *self)
{
    memset (self, 0, sizeof *self);
    self->env = (envelope_t) CIBUS__ENVELOPE__INIT;
    self->env.id = "p-1";
    self->env.topic = "north/practice";
    self->env.body_case = CIBUS__ENVELOPE__BODY_PRACTICE;
    self->env.practice = &self->tag;
    self->tag = (Cibus__PracticeTag) CIBUS__PRACTICE_TAG__INIT;
    self->tag.unit = "north-isd/lincoln-elementary";
    self->tag.practice = "leveled-libraries";
    self->tag.since = "2026-01-05";
}

static void
test_codec_practice_tag_round_trips_on_its_topic (void **state)
{
    (void) state;
    s_practice_t sample;
    s_sample_practice (&sample);
    assert_valid (&sample.env);
    sample.tag.until = "2026-06-01";
    assert_valid (&sample.env);
    envelope_t *env = s_envelope_round_trip (&sample.env);
    assert_string_equal (env->practice->unit, "north-isd/lincoln-elementary");
    assert_string_equal (env->practice->practice, "leveled-libraries");
    assert_string_equal (env->practice->since, "2026-01-05");
    assert_string_equal (env->practice->until, "2026-06-01");
    codec_envelope_free (env);
    char topic [32];
    assert_true (codec_topic ("north", &sample.env, topic, sizeof topic));
    assert_string_equal (topic, "north/practice");
    assert_string_equal (codec_body_name (&sample.env), "practice");
    //  A partner as a whole is a unit too.
    sample.tag.unit = "north-isd";
    assert_valid (&sample.env);
}

//  The unit as the values query names it: a partner, or partner/unit.
static void
test_codec_validate_refuses_a_practice_tag_s_unit (void **state)
{
    (void) state;
    s_practice_t sample;
    s_sample_practice (&sample);
    sample.tag.unit = NULL;
    assert_refused (&sample.env, "practice.unit", "field 'practice.unit' is required");
    const char *bad [] = {"north isd", "north-isd/", "/lincoln", "north-isd/lincoln/room-4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char message [256];
        snprintf (message, sizeof message,
                  "field 'practice.unit' must be a partner or partner/unit, printable text "
                  "without spaces, got '%s'",
                  bad [i]);
        sample.tag.unit = (char *) bad [i];
        assert_refused (&sample.env, "practice.unit", message);
    }
    char *owner = s_repeat ('o', CIBUS_MAX_NAME + 1);
    sample.tag.unit = owner;
    assert_refused (&sample.env, "practice.unit",
                    "field 'practice.unit' names a partner or a unit of over 128 bytes");
    char *long_unit = s_repeat ('u', 2 * CIBUS_MAX_NAME + 2);
    long_unit [CIBUS_MAX_NAME] = '/';
    sample.tag.unit = long_unit;
    assert_refused (&sample.env, "practice.unit",
                    "field 'practice.unit' is 258 bytes, over its limit of 257");
    long_unit [2 * CIBUS_MAX_NAME + 1] = 0;
    assert_valid (&sample.env);
    free (owner);
    free (long_unit);
}

static void
test_codec_validate_refuses_a_practice_tag_s_name_and_dates (void **state)
{
    (void) state;
    s_practice_t sample;
    s_sample_practice (&sample);
    sample.tag.practice = "";
    assert_refused (&sample.env, "practice.practice", "field 'practice.practice' is required");
    sample.tag.practice = "leveled libraries";
    assert_refused (&sample.env, "practice.practice",
                    "field 'practice.practice' must be printable text without spaces or '/', "
                    "got 'leveled libraries'");
    s_sample_practice (&sample);
    sample.tag.since = NULL;
    assert_refused (&sample.env, "practice.since", "field 'practice.since' is required");
    sample.tag.since = "2026-02-30";
    assert_refused (&sample.env, "practice.since",
                    "field 'practice.since' expects a date like 2026-12-15, got '2026-02-30'");
    s_sample_practice (&sample);
    sample.tag.until = "2026-13-01";
    assert_refused (&sample.env, "practice.until",
                    "field 'practice.until' expects a date like 2026-12-15, got '2026-13-01'");
    //  until is the first day without it: on or before since, it never ran.
    sample.tag.until = "2026-01-05";
    assert_refused (&sample.env, "practice.until",
                    "field 'practice.until' is 2026-01-05, not after 'practice.since' "
                    "(2026-01-05): it is the first day without the practice");
    sample.tag.until = "2026-01-06";
    assert_valid (&sample.env);
}

static void
test_codec_validate_refuses_a_practice_tag_off_its_topic (void **state)
{
    (void) state;
    s_practice_t sample;
    s_sample_practice (&sample);
    sample.env.topic = "north/note";
    assert_refused (&sample.env, "topic",
                    "field 'topic' is 'north/note' but a practice body goes to "
                    "'north/practice'");
    sample.env.topic = "catalog/practice";
    assert_refused (&sample.env, "topic",
                    "network 'catalog' carries the indicator catalogue only: publish a "
                    "practice tag to another network");
    s_sample_practice (&sample);
    ProtobufCMessageUnknownField unknown = {99, PROTOBUF_C_WIRE_TYPE_VARINT, 1,
                                            (uint8_t *) "\x01"};
    sample.tag.base.n_unknown_fields = 1;
    sample.tag.base.unknown_fields = &unknown;
    assert_refused (&sample.env, "practice",
                    "'practice' carries field number 99, which is not part of the cibus "
                    "protocol");
}

//  The brightspots query's practice is a string of a query like the
//  others: at most 128 bytes of text.
static void
test_codec_validate_request_checks_a_query_s_practice (void **state)
{
    (void) state;
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = "brightspots";
    query.indicator = "k3-reading";
    query.period = "2026-Q2";
    query.practice = "leveled-libraries";
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_QUERY;
    request.query = &query;
    assert_request_valid (&request);
    char *practice = s_repeat ('p', CIBUS_MAX_NAME + 1);
    query.practice = practice;
    assert_request_refused (&request, "query.practice",
                            "field 'query.practice' is 129 bytes, over its limit of 128");
    query.practice = "libr\xe1ries";
    assert_request_refused (&request, "query.practice",
                            "field 'query.practice' is not valid UTF-8");
    free (practice);
}

//  ------------------------------------------------------ values decoded

//  A request encoded, then decoded: NULL and errno when it is refused.
static request_t *
s_round_trip (const Cibus__Envelope *env, codec_buf_t *buf)
{
    Cibus__Publish publish = CIBUS__PUBLISH__INIT;
    publish.envelope = (Cibus__Envelope *)env;
    request_t request = CIBUS__REQUEST__INIT;
    request.kind_case = CIBUS__REQUEST__KIND_PUBLISH;
    request.publish = &publish;
    assert_int_equal (codec_pack_request (&request, buf), CIBUS_OK);
    errno = 0;
    return codec_request_decode (buf->data, buf->size);
}

//  The largest requests the rules allow decode within CIBUS_MAX_VALUES: an
//  indicator's definition with every list at its limit (64 dimensions of
//  64 categories), a table of 256 cells each crossing 3 dimensions. A
//  table of empty cells past it is refused (E2BIG), in protobuf-c's form
//  and in two runs, which protobuf-c decodes rather than the one-pass
//  decoder; bytes that are no request are EPROTO.
static void
test_codec_a_request_decodes_into_at_most_its_values (void **state)
{
    (void)state;
    enum { L = CIBUS_MAX_LIST };
    static char names [L][16];
    static char *list [L];
    static Cibus__DimensionCategories lists [L], *list_of [L];
    static Cibus__Milestone targets [L], *target_of [L];
    for (int i = 0; i < L; i++) {
        snprintf (names [i], sizeof names [i], "d%d", i);
        list [i] = names [i];
        cibus__dimension_categories__init (&lists [i]);
        lists [i].dimension = names [i];
        lists [i].categories = list;
        lists [i].n_categories = L;
        lists [i].reference = names [0];
        list_of [i] = &lists [i];
        cibus__milestone__init (&targets [i]);
        targets [i].period = names [i];
        target_of [i] = &targets [i];
    }
    Cibus__IndicatorDefinition def = CIBUS__INDICATOR_DEFINITION__INIT;
    def.indicator = "k3-reading";
    def.name = "reading";
    def.dimensions = list;
    def.n_dimensions = L;
    def.networks = list;
    def.n_networks = L;
    def.targets = target_of;
    def.n_targets = L;
    def.categories = list_of;
    def.n_categories = L;
    Cibus__Envelope env = CIBUS__ENVELOPE__INIT;
    env.id = "i-1";
    env.topic = "catalog/indicator";
    env.body_case = CIBUS__ENVELOPE__BODY_INDICATOR;
    env.indicator = &def;
    codec_buf_t buf = {0};
    request_t *decoded = s_round_trip (&env, &buf);
    assert_non_null (decoded);
    assert_int_equal (decoded->publish->envelope->indicator->categories [L - 1]->n_categories, L);
    codec_request_free (decoded);

    enum { C = CIBUS_MAX_CELLS, X = CIBUS_MAX_CROSS };
    static Cibus__Dimension dims [X], *dim_of [X];
    static Cibus__DataCell cells [C], *cell_of [C];
    for (int d = 0; d < X; d++) {
        cibus__dimension__init (&dims [d]);
        dims [d].key = names [d];
        dims [d].value = names [d + 1];
        dim_of [d] = &dims [d];
    }
    for (int c = 0; c < C; c++) {
        cibus__data_cell__init (&cells [c]);
        cells [c].dimensions = dim_of;
        cells [c].n_dimensions = X;
        cells [c].has_n = true;
        cells [c].n = 1;
        cell_of [c] = &cells [c];
    }
    Cibus__DataSubmission data = CIBUS__DATA_SUBMISSION__INIT;
    data.indicator = "k3-reading";
    data.period = "2026-Q3";
    data.cells = cell_of;
    data.n_cells = C;
    env.topic = "early-literacy/data";
    env.body_case = CIBUS__ENVELOPE__BODY_DATA;
    env.data = &data;
    assert_non_null (decoded = s_round_trip (&env, &buf));
    assert_int_equal (decoded->publish->envelope->data->n_cells, C);
    codec_request_free (decoded);

    //  Empty cells, two bytes each: past the values any request has.
    size_t many = CIBUS_MAX_VALUES;
    Cibus__DataCell empty = CIBUS__DATA_CELL__INIT, **empties = malloc (many * sizeof *empties);
    assert_non_null (empties);
    for (size_t c = 0; c < many; c++)
        empties [c] = &empty;
    data.cells = empties;
    data.n_cells = many;
    assert_null (s_round_trip (&env, &buf));
    assert_int_equal (errno, E2BIG);
    free (empties);
    //  The same cells in two runs, with the period between them: the
    //  one-pass decoder leaves such bytes to protobuf-c, whose decode is
    //  held to the same bound. Field 2 of a DataSubmission is its period.
    uint8_t *twice = malloc (buf.size + 16);
    assert_non_null (twice);
    size_t at = 0;
    twice [at++] = 0x0a; //  Request.publish, its length below
    size_t publish_len_at = at;
    at += 3;
    twice [at++] = 0x0a; //  Publish.envelope
    size_t envelope_len_at = at;
    at += 3;
    twice [at++] = 0x52; //  Envelope.data
    size_t data_len_at = at;
    at += 3;
    size_t data_start = at;
    for (size_t c = 0; c < many; c++) {
        if (c == many / 2) {
            memcpy (twice + at, "\x12\x01q", 3);
            at += 3;
        }
        twice [at++] = 0x32; //  DataSubmission.cells, empty
        twice [at++] = 0x00;
    }
    //  Lengths as varints of three bytes (over 16 KiB, under 2 MiB).
    size_t data_len = at - data_start, envelope_len = data_len + 4, publish_len = envelope_len + 4;
    const size_t lens [3] = {publish_len, envelope_len, data_len};
    const size_t ats [3] = {publish_len_at, envelope_len_at, data_len_at};
    for (int k = 0; k < 3; k++) {
        assert_true (lens [k] >= 1u << 14 && lens [k] < 1u << 21);
        twice [ats [k]] = (uint8_t)(lens [k] | 0x80);
        twice [ats [k] + 1] = (uint8_t)(lens [k] >> 7 | 0x80);
        twice [ats [k] + 2] = (uint8_t)(lens [k] >> 14);
    }
    errno = 0;
    assert_null (codec_request_decode (twice, at));
    assert_int_equal (errno, E2BIG);
    free (twice);
    errno = 0;
    assert_null (codec_request_decode ("\x0a\xff\xff", 3));
    assert_int_equal (errno, EPROTO);
    codec_buf_release (&buf);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_codec_envelope_with_data_round_trips),
        cmocka_unit_test (test_codec_decodes_reuse_their_thread_s_blocks),
        cmocka_unit_test (test_codec_envelope_with_masked_table_round_trips),
        cmocka_unit_test (test_codec_envelope_with_note_round_trips),
        cmocka_unit_test (test_codec_envelope_with_commitment_round_trips),
        cmocka_unit_test (test_codec_envelope_with_update_round_trips),
        cmocka_unit_test (test_codec_request_publish_round_trips),
        cmocka_unit_test (test_codec_request_subscribe_round_trips),
        cmocka_unit_test (test_codec_request_credit_round_trips),
        cmocka_unit_test (test_codec_request_ping_round_trips),
        cmocka_unit_test (test_codec_request_status_round_trips),
        cmocka_unit_test (test_codec_reply_ack_round_trips),
        cmocka_unit_test (test_codec_reply_error_round_trips),
        cmocka_unit_test (test_codec_reply_deliver_carries_envelope_bytes_unchanged),
        cmocka_unit_test (test_codec_reply_subscribed_round_trips),
        cmocka_unit_test (test_codec_reply_pong_round_trips),
        cmocka_unit_test (test_codec_reply_status_round_trips),
        cmocka_unit_test (test_codec_pack_replaces_the_buffer_content),
        cmocka_unit_test (test_codec_pack_grows_the_buffer_for_a_large_message),
        cmocka_unit_test (test_codec_buf_release_empties_the_buffer),
        cmocka_unit_test (test_codec_decode_of_garbage_returns_null),
        cmocka_unit_test (test_codec_decode_of_truncated_envelope_returns_null),
        cmocka_unit_test (test_codec_decode_of_a_table_larger_than_its_bytes),
        cmocka_unit_test (test_codec_free_accepts_null),
        cmocka_unit_test (test_codec_body_kind_and_name_follow_the_body),
        cmocka_unit_test (test_codec_validate_accepts_data_submission),
        cmocka_unit_test (test_codec_validate_accepts_minimal_data_submission),
        cmocka_unit_test (test_codec_validate_accepts_every_shape_of_cell),
        cmocka_unit_test (test_codec_validate_accepts_a_table_at_its_limits),
        cmocka_unit_test (test_codec_validate_accepts_every_period_shape),
        cmocka_unit_test (test_codec_validate_accepts_note),
        cmocka_unit_test (test_codec_validate_accepts_commitment),
        cmocka_unit_test (test_codec_validate_accepts_update),
        cmocka_unit_test (test_codec_validate_accepts_values_at_their_limits),
        cmocka_unit_test (test_codec_validate_refuses_missing_id),
        cmocka_unit_test (test_codec_validate_refuses_unknown_fields),
        cmocka_unit_test (test_codec_validate_refuses_id_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_id_with_space_or_slash),
        cmocka_unit_test (test_codec_validate_refuses_missing_topic),
        cmocka_unit_test (test_codec_validate_refuses_topic_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_topic_without_slash),
        cmocka_unit_test (test_codec_validate_refuses_network_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_topic_with_empty_network),
        cmocka_unit_test (test_codec_validate_refuses_network_with_space),
        cmocka_unit_test (test_codec_validate_refuses_data_body_on_note_topic),
        cmocka_unit_test (test_codec_validate_refuses_note_body_on_data_topic),
        cmocka_unit_test (test_codec_validate_refuses_update_body_off_the_commitment_topic),
        cmocka_unit_test (test_codec_validate_refuses_topic_with_extra_segment),
        cmocka_unit_test (test_codec_validate_refuses_envelope_without_body),
        cmocka_unit_test (test_codec_validate_refuses_missing_indicator),
        cmocka_unit_test (test_codec_validate_refuses_indicator_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_indicator_with_slash),
        cmocka_unit_test (test_codec_validate_refuses_missing_period),
        cmocka_unit_test (test_codec_validate_refuses_bad_period_shapes),
        cmocka_unit_test (test_codec_validate_refuses_a_cell_without_counts),
        cmocka_unit_test (test_codec_validate_accepts_counts_without_value),
        cmocka_unit_test (test_codec_validate_refuses_a_suppressed_cell_carrying_a_result),
        cmocka_unit_test (test_codec_validate_refuses_broker_set_fields_from_a_publisher),
        cmocka_unit_test (test_codec_validate_refuses_a_table_without_its_total),
        cmocka_unit_test (test_codec_validate_refuses_a_total_with_dimensions),
        cmocka_unit_test (test_codec_validate_refuses_a_cell_without_dimensions),
        cmocka_unit_test (test_codec_validate_refuses_a_cross_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_more_cells_than_its_limit),
        cmocka_unit_test (test_codec_validate_accepts_an_indicator_definition),
        cmocka_unit_test (test_codec_validate_refuses_bad_indicator_definitions),
        cmocka_unit_test (test_codec_validate_judges_the_categories_of_dimensions),
        cmocka_unit_test (test_codec_period_is_checks_each_kind),
        cmocka_unit_test (test_codec_validate_keeps_the_catalog_network_for_definitions),
        cmocka_unit_test (test_codec_validate_refuses_unknown_fields_in_milestones),
        cmocka_unit_test (test_codec_validate_refuses_nan_value),
        cmocka_unit_test (test_codec_validate_refuses_infinite_value),
        cmocka_unit_test (test_codec_validate_refuses_numerator_without_denominator),
        cmocka_unit_test (test_codec_validate_refuses_denominator_without_numerator),
        cmocka_unit_test (test_codec_validate_leaves_counts_that_disagree_to_the_table_check),
        cmocka_unit_test (test_codec_validate_refuses_too_many_dimensions),
        cmocka_unit_test (test_codec_validate_refuses_dimension_without_key_or_value),
        cmocka_unit_test (test_codec_validate_refuses_dimension_value_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_dimension_given_twice),
        cmocka_unit_test (test_codec_validate_refuses_unknown_fields_inside_a_data_cell),
        cmocka_unit_test (test_codec_validate_refuses_bad_unit_or_owner),
        cmocka_unit_test (test_codec_validate_refuses_unspecified_data_status),
        cmocka_unit_test (test_codec_validate_refuses_data_status_out_of_range),
        cmocka_unit_test (test_codec_validate_refuses_source_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_bad_extracted_on_date),
        cmocka_unit_test (test_codec_validate_refuses_missing_note_title),
        cmocka_unit_test (test_codec_validate_refuses_note_title_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_note_body_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_bad_held_on_date),
        cmocka_unit_test (test_codec_validate_refuses_too_many_attendees),
        cmocka_unit_test (test_codec_validate_refuses_attendee_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_too_many_decisions),
        cmocka_unit_test (test_codec_validate_refuses_decision_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_missing_commitment_action),
        cmocka_unit_test (test_codec_validate_refuses_missing_commitment_due),
        cmocka_unit_test (test_codec_validate_refuses_bad_commitment_due_date),
        cmocka_unit_test (test_codec_validate_refuses_too_many_commitment_indicators),
        cmocka_unit_test (test_codec_validate_refuses_commitment_action_over_its_limit),
        cmocka_unit_test (test_codec_commitment_from_note_round_trips),
        cmocka_unit_test (test_codec_validate_refuses_a_from_note_that_is_no_id),
        cmocka_unit_test (test_codec_validate_refuses_a_decision_without_its_note_or_zero),
        cmocka_unit_test (test_codec_validate_refuses_missing_update_commitment_id),
        cmocka_unit_test (test_codec_validate_refuses_update_commitment_id_over_its_limit),
        cmocka_unit_test (test_codec_validate_refuses_missing_update_status),
        cmocka_unit_test (test_codec_validate_refuses_update_status_committed),
        cmocka_unit_test (test_codec_validate_refuses_update_comment_over_its_limit),
        cmocka_unit_test (test_codec_valid_utf8_accepts_well_formed_text),
        cmocka_unit_test (test_codec_valid_utf8_refuses_malformed_text),
        cmocka_unit_test (test_codec_validate_refuses_invalid_utf8_naming_the_field),
        cmocka_unit_test (test_codec_validate_refuses_invalid_utf8_in_an_indicator_definition),
        cmocka_unit_test (test_codec_validate_accepts_multibyte_text),
        cmocka_unit_test (test_codec_validate_refuses_a_category_that_is_not_a_token),
        cmocka_unit_test (test_codec_validate_refuses_control_characters_in_text),
        cmocka_unit_test (test_codec_invalid_utf8_survives_decoding_and_is_refused),
        cmocka_unit_test (test_codec_validate_request_checks_a_publish),
        cmocka_unit_test (test_codec_validate_request_checks_a_subscribe),
        cmocka_unit_test (test_codec_validate_request_checks_a_query),
        cmocka_unit_test (test_codec_validate_request_checks_a_query_s_practice),
        cmocka_unit_test (test_codec_practice_tag_round_trips_on_its_topic),
        cmocka_unit_test (test_codec_validate_refuses_a_practice_tag_s_unit),
        cmocka_unit_test (test_codec_validate_refuses_a_practice_tag_s_name_and_dates),
        cmocka_unit_test (test_codec_validate_refuses_a_practice_tag_off_its_topic),
        cmocka_unit_test (test_codec_validate_request_checks_the_other_kinds),
        cmocka_unit_test (test_codec_validate_request_bytes_refuses_a_nul_in_any_string),
        cmocka_unit_test (test_codec_a_request_decodes_into_at_most_its_values),
        cmocka_unit_test (test_codec_validate_envelope_bytes_refuses_a_nul_in_any_string),
        cmocka_unit_test (test_codec_envelope_clear_empty_encodes_an_empty_string_as_absent),
        cmocka_unit_test (test_codec_problem_set_never_cuts_a_character_in_two),
        cmocka_unit_test (test_codec_problem_set_fills_and_returns_the_code),
        cmocka_unit_test (test_codec_value_status_names_round_trip),
        cmocka_unit_test (test_codec_value_status_parse_refuses_unknown_names),
        cmocka_unit_test (test_codec_commitment_status_names_round_trip),
        cmocka_unit_test (test_codec_commitment_status_parse_refuses_unknown_names),
        cmocka_unit_test (test_codec_topic_network_splits_at_the_first_slash),
        cmocka_unit_test (test_codec_topic_network_refuses_topic_without_slash),
        cmocka_unit_test (test_codec_topic_puts_the_body_kind_after_the_network),
        cmocka_unit_test (test_codec_topic_network_refuses_network_longer_than_buffer),
        cmocka_unit_test (test_codec_is_date_accepts_calendar_dates),
        cmocka_unit_test (test_codec_is_date_accepts_feb_29_only_in_leap_years),
        cmocka_unit_test (test_codec_is_date_refuses_days_past_the_end_of_the_month),
        cmocka_unit_test (test_codec_is_date_refuses_bad_months),
        cmocka_unit_test (test_codec_is_date_refuses_other_shapes),
    };
    return cmocka_run_group_tests_name ("codec", tests, NULL, NULL);
}
