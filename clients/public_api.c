/*  public_api.c - the client library's calls in cibus's own types; see
    cibus.h.

    Design
    ------
    The public header names no type of protobuf-c: a note, a commitment,
    an update and a question are plain structs of strings, an entry is
    opaque, and what the broker answers comes back as JSON text. Each call
    here only translates. It builds the wire's message on its stack,
    pointing into the caller's strings, and hands it to the wire-level
    call of cibus_wire.h that the cibus command uses too: cibus_publish,
    cibus_publish_async, cibus_next, cibus_query. So an entry a program
    publishes meets the same checks, in the same words, as one the command
    publishes, and every rule stays where it is (the codec's check of an
    envelope, the broker's access) instead of being written again here.
    The JSON is render_json.c's, the one the command prints.              */

#include "cibus_wire.h"

#include "codec.h"
#include "render_json.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct cibus_entry_t {
    cibus_envelope_t *env; /* owned: as cibus_next returned it */
    codec_buf_t bytes;     /* its encoding, made when first asked for */
};

//  ---------------------------------------------------------------- publish

//  Publish env, whose body is set, to network under id (NULL: a fresh
//  one), waiting for the ack or not (async). The topic gets a buffer of
//  its own length, never a cut one: the codec judges all of it, an empty
//  or overlong network included, in the words the broker would use.
static cibus_err_t
s_publish (cibus_t *self, const char *network, const char *id, cibus_envelope_t *env,
           cibus_ack_t *ack, bool async)
{
    assert (self);
    network = network ? network : "";
    size_t size = strlen (network) + 1 + strlen (codec_body_topic_kind (env)) + 1;
    char *topic = malloc (size);
    if (!topic)
        return cibus_fail (self, CIBUS_ERR_NOMEM, NULL, "out of memory");
    codec_topic (network, env, topic, size);
    env->topic = topic;
    env->id = (char *) id;
    cibus_err_t err = async ? cibus_publish_async (self, env) : cibus_publish (self, env, ack);
    free (topic);
    return err;
}

cibus_err_t
cibus_publish_note (cibus_t *self, const cibus_note_t *note, cibus_ack_t *ack)
{
    assert (note);
    assert (note->attendees || note->attendee_count == 0);
    assert (note->decisions || note->decision_count == 0);
    Cibus__MeetingNote body = CIBUS__MEETING_NOTE__INIT;
    body.title = (char *) note->title;
    body.body = (char *) note->body;
    body.held_on = (char *) note->held_on;
    body.n_attendees = note->attendee_count;
    body.attendees = (char **) note->attendees;
    body.n_decisions = note->decision_count;
    body.decisions = (char **) note->decisions;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.body_case = CIBUS__ENVELOPE__BODY_NOTE;
    env.note = &body;
    return s_publish (self, note->network, note->id, &env, ack, false);
}

cibus_err_t
cibus_publish_commitment (cibus_t *self, const cibus_commitment_t *commitment, cibus_ack_t *ack)
{
    assert (commitment);
    assert (commitment->indicators || commitment->indicator_count == 0);
    Cibus__ActionCommitment body = CIBUS__ACTION_COMMITMENT__INIT;
    body.action = (char *) commitment->action;
    body.due = (char *) commitment->due;
    body.n_indicators = commitment->indicator_count;
    body.indicators = (char **) commitment->indicators;
    body.from_note = (char *) commitment->from_note;
    //  0 is no decision: the first is 1 (PROTOCOL.md 6.4).
    body.has_decision = commitment->decision > 0;
    body.decision = commitment->decision;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.body_case = CIBUS__ENVELOPE__BODY_COMMITMENT;
    env.commitment = &body;
    return s_publish (self, commitment->network, commitment->id, &env, ack, false);
}

cibus_err_t
cibus_publish_update (cibus_t *self, const cibus_update_t *update, cibus_ack_t *ack)
{
    assert (update);
    Cibus__CommitmentUpdate body = CIBUS__COMMITMENT_UPDATE__INIT;
    body.commitment_id = (char *) update->commitment_id;
    //  A status that is not one of the names goes to the codec's check as
    //  unspecified, which it refuses with the words it has for every
    //  status an update may not carry (committed among them).
    body.has_status = update->status != NULL;
    if (update->status && !codec_commitment_status_parse (update->status, &body.status))
        body.status = CIBUS__COMMITMENT_STATUS__COMMITMENT_STATUS_UNSPECIFIED;
    body.comment = (char *) update->comment;
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    env.body_case = CIBUS__ENVELOPE__BODY_UPDATE;
    env.update = &body;
    return s_publish (self, update->network, update->id, &env, ack, false);
}

cibus_err_t
cibus_publish_table (cibus_t *self, const char *network, const char *id, cibus_table_t *table,
                     cibus_ack_t *ack)
{
    assert (table);
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    if (cibus_table_envelope (table, &env))
        return cibus_fail (self, CIBUS_ERR_NOMEM, NULL, "%s", cibus_table_error (table));
    return s_publish (self, network, id, &env, ack, false);
}

cibus_err_t
cibus_publish_table_async (cibus_t *self, const char *network, const char *id, cibus_table_t *table)
{
    assert (table);
    cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
    if (cibus_table_envelope (table, &env))
        return cibus_fail (self, CIBUS_ERR_NOMEM, NULL, "%s", cibus_table_error (table));
    return s_publish (self, network, id, &env, NULL, true);
}

cibus_err_t
cibus_publish_bytes (cibus_t *self, const void *envelope, size_t size, cibus_ack_t *ack)
{
    assert (self);
    cibus_envelope_t *env = codec_envelope_decode (envelope, size);
    if (!env)
        return cibus_fail (self, CIBUS_ERR_MALFORMED, NULL,
                           "the %zu bytes given do not decode as an Envelope of "
                           "proto/cibus.proto",
                           size);
    //  A string holding a NUL decodes cut short at it, and the entry sent
    //  on would not be the one the program wrote: refused, as the broker
    //  refuses such a string in a frame it receives.
    codec_problem_t problem;
    cibus_err_t err = codec_validate_envelope_bytes (env, envelope, size, &problem);
    if (err)
        err = cibus_fail (self, err, problem.field, "%s", problem.message);
    else {
        //  The fresh id cibus_publish gives an envelope without one is the
        //  library's string: it must not be freed with the envelope.
        char *id = env->id;
        err = cibus_publish (self, env, ack);
        env->id = id;
    }
    cibus_envelope_free (env);
    return err;
}

//  ---------------------------------------------------------------- read

cibus_err_t
cibus_read (cibus_t *self, int timeout_msec, cibus_entry_t **entry)
{
    assert (self);
    *entry = NULL;
    //  Made before the entry is taken off the cursor: out of memory later
    //  would lose an entry the cursor has moved past.
    cibus_entry_t *read = calloc (1, sizeof *read);
    if (!read)
        return cibus_fail (self, CIBUS_ERR_NOMEM, NULL, "out of memory");
    cibus_err_t err = cibus_next (self, timeout_msec, &read->env);
    if (err) {
        free (read);
        return err;
    }
    *entry = read;
    return CIBUS_OK;
}

void
cibus_entry_destroy (cibus_entry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cibus_entry_t *self = *self_p;
    cibus_envelope_free (self->env);
    codec_buf_release (&self->bytes);
    free (self);
    *self_p = NULL;
}

static const char *
s_text (const char *value)
{
    return value ? value : "";
}

uint64_t
cibus_entry_seq (const cibus_entry_t *self)
{
    assert (self);
    return self->env->seq;
}

const char *
cibus_entry_topic (const cibus_entry_t *self)
{
    assert (self);
    return s_text (self->env->topic);
}

const char *
cibus_entry_id (const cibus_entry_t *self)
{
    assert (self);
    return s_text (self->env->id);
}

const char *
cibus_entry_partner (const cibus_entry_t *self)
{
    assert (self);
    return s_text (self->env->partner);
}

int64_t
cibus_entry_received_at (const cibus_entry_t *self)
{
    assert (self);
    return self->env->received_at;
}

const char *
cibus_entry_kind (const cibus_entry_t *self)
{
    assert (self);
    return s_text (codec_body_name (self->env));
}

char *
cibus_entry_json (const cibus_entry_t *self)
{
    assert (self);
    json_t *json = render_envelope_json (self->env);
    char *text = cibus_json_text (json);
    json_decref (json);
    return text;
}

const void *
cibus_entry_bytes (cibus_entry_t *self, size_t *size)
{
    assert (self);
    *size = 0;
    if (!self->bytes.size && codec_pack_envelope (self->env, &self->bytes))
        return NULL;
    *size = self->bytes.size;
    return self->bytes.data;
}

//  ---------------------------------------------------------------- questions

cibus_err_t
cibus_ask (cibus_t *self, const cibus_question_t *question, char **json)
{
    assert (self);
    assert (question);
    *json = NULL;
    Cibus__Query query = CIBUS__QUERY__INIT;
    query.kind = (char *) question->kind;
    query.indicator = (char *) question->indicator;
    query.by = (char *) question->by;
    query.network = (char *) question->network;
    query.owner = (char *) question->owner;
    query.has_overdue = query.overdue = question->overdue;
    query.since = (char *) question->since;
    query.period = (char *) question->period;
    query.today = (char *) question->today;
    query.has_history = query.history = question->history;
    query.has_units = query.units = question->units;
    query.practice = (char *) question->practice;
    Cibus__Reply *reply;
    cibus_err_t err = cibus_query (self, &query, &reply);
    if (err)
        return err;
    json_t *answer = render_tables_json (reply->result);
    *json = cibus_json_text (answer);
    json_decref (answer);
    cibus_reply_free (reply);
    if (!*json)
        return cibus_fail (self, CIBUS_ERR_NOMEM, NULL, "out of memory");
    return CIBUS_OK;
}
