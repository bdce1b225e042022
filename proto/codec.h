/*  codec.h - the one wrapper around the generated protobuf-c code.

    The broker, the client library and the tools decode and encode through
    these functions only; they read the generated structs (the typedefs
    below) but never call protobuf-c themselves. codec_validate_envelope()
    is the structural check of a published entry, shared by the broker (the
    authority) and the clients (to refuse early with the same words);
    codec_validate_request() checks a request of any kind, the envelope of
    a publish included, and every string of it for UTF-8.                 */

#ifndef CIBUS_CODEC_H_INCLUDED
#define CIBUS_CODEC_H_INCLUDED

#include "cibus.pb-c.h"
#include "cibus_err.h"
#include "cibus_limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef Cibus__Request request_t;
typedef Cibus__Reply reply_t;
typedef Cibus__Envelope envelope_t;

/* A growable byte buffer, reused across encodes to keep the hot path free of
   per-message allocation. */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} codec_buf_t;

void codec_buf_release (codec_buf_t *buf);

/* Encode into buf (replacing its content): protobuf-c's bytes, written in
   one pass (pack.h). Return CIBUS_OK or NOMEM. */
cibus_err_t codec_pack_message (const ProtobufCMessage *msg, codec_buf_t *buf);
cibus_err_t codec_pack_request (const request_t *msg, codec_buf_t *buf);
cibus_err_t codec_pack_reply (const reply_t *msg, codec_buf_t *buf);
cibus_err_t codec_pack_envelope (const envelope_t *msg, codec_buf_t *buf);

/* Decode; NULL when the bytes are not a valid message (errno EPROTO), or
   memory ran out (ENOMEM). Free with the matching _free, which accepts
   NULL. A request is also NULL, with errno E2BIG, when it would decode
   into more than CIBUS_MAX_VALUES messages, strings, bytes and lists: the
   largest a broker accepts takes about 4,600 (an indicator's definition of
   64 dimensions of 64 categories), and a frame of a megabyte of empty
   cells would take 524,288 (100 MiB, and 70 ms of the reactor's). */
request_t *codec_request_decode (const void *data, size_t size);
void codec_request_free (request_t *msg);
reply_t *codec_reply_decode (const void *data, size_t size);
void codec_reply_free (reply_t *msg);
envelope_t *codec_envelope_decode (const void *data, size_t size);
void codec_envelope_free (envelope_t *msg);

/* The topic kind an envelope's body belongs to ("data", "note",
   "commitment"), or NULL when the body is not set. Commitment updates travel
   on the commitment topic with their commitment. */
const char *codec_body_topic_kind (const envelope_t *env);

/* The body's own name for output ("data", "note", "commitment", "update"). */
const char *codec_body_name (const envelope_t *env);

/* Enum names as users type them: final, provisional, estimated;
   committed, on-track, at-risk, done, dropped. The parsers return false
   for an unknown name. */
const char *codec_value_status_name (Cibus__ValueStatus status);
bool codec_value_status_parse (const char *name, Cibus__ValueStatus *status);
const char *codec_commitment_status_name (Cibus__CommitmentStatus status);
bool codec_commitment_status_parse (const char *name, Cibus__CommitmentStatus *status);

/* The same for the catalogue's enums: percent, count, rate, score,
   currency; up, down; school-year, quarter, month, date. */
const char *codec_unit_name (Cibus__Unit unit);
bool codec_unit_parse (const char *name, Cibus__Unit *unit);
const char *codec_direction_name (Cibus__Direction direction);
bool codec_direction_parse (const char *name, Cibus__Direction *direction);
const char *codec_period_kind_name (Cibus__PeriodKind kind);
bool codec_period_kind_parse (const char *name, Cibus__PeriodKind *kind);

/* Indicator definitions travel on CODEC_CATALOG_NETWORK "/indicator"; every
   partner may read that network, only the backbone may publish in it. */
#define CODEC_CATALOG_NETWORK "catalog"

/* Whether a period has the shape of a kind (2025-26 is a school year only
   when 26 follows 2025). */
bool codec_period_is (const char *text, Cibus__PeriodKind kind);

/* "a quarter like 2026-Q3", for messages. */
const char *codec_period_example (Cibus__PeriodKind kind);

/* Split a topic "<network>/<kind>" into its network (copied into network,
   of size CIBUS_MAX_NETWORK + 1). Returns false when the topic has no '/'. */
bool codec_topic_network (const char *topic, char *network, size_t size);

/* The topic env's body goes to in network, "<network>/<kind>" (an update
   goes with its commitment), into topic of the given size. Returns false,
   having written what fits, when the body is not set or the topic is cut:
   the network is not judged here, codec_validate_envelope judges the
   topic. */
bool codec_topic (const char *network, const envelope_t *env, char *topic, size_t size);

/* A refusal: which rule, which field, and one line for a person. */
typedef struct {
    cibus_err_t code;
    char field [64];
    char message [256];
} codec_problem_t;

/* Fill a problem; returns problem->code for tail calls. */
cibus_err_t codec_problem_set (codec_problem_t *problem, cibus_err_t code,
                               const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Whether len bytes at text are well-formed UTF-8 (RFC 3629): no overlong
   form, no surrogate (U+D800 to U+DFFF), nothing above U+10FFFF, no
   sequence cut short. The empty text is. */
bool codec_valid_utf8 (const char *text, size_t len);

/* Check a publisher's envelope: every string field valid UTF-8 (below),
   id, topic shape and kind, every body field's presence, size and range.
   Does not check who may publish where (that is the broker's access
   control). Returns CIBUS_OK or fills problem. */
cibus_err_t codec_validate_envelope (const envelope_t *env, codec_problem_t *problem);

/* Check a request of any kind as it was decoded, before it is served:
     - every string field of the request, found by walking the schema (so
       a field added to proto/cibus.proto is covered without a change
       here), is valid UTF-8 and holds no control character but tab,
       newline and carriage return; the refusal names the field by its
       path, as in "field 'note.decisions' is not valid UTF-8" (a query's
       fields are 'query.<name>', a subscription's and an envelope's go by
       their own names);
     - a publish carries an envelope, which codec_validate_envelope accepts;
     - a subscribe has at most CIBUS_MAX_LIST prefixes of at most
       CIBUS_MAX_TOPIC bytes each;
     - a query's strings are within their limits (CIBUS_MAX_NETWORK for
       its network, CIBUS_MAX_NAME for the others);
     - the kind is one of publish, subscribe, credit, ping, status, query.
   Access is the broker's to judge, after this. Every refusal is BAD_FIELD
   with the field named; returns CIBUS_OK or fills problem. */
cibus_err_t codec_validate_request (const request_t *request, codec_problem_t *problem);

/* Look in the bytes of a Request frame (one that codec_request_decode
   accepted) for a string holding a NUL byte, which protobuf allows but the
   decoded C string would hide by ending there. Refuses the first one found,
   as BAD_FIELD naming the field as codec_validate_request does, with the
   message of a control character (U+0000); run it before
   codec_validate_request, which would judge the cut string. *id_cut (may
   be NULL) is set when a publish's envelope id holds one: the decoded id
   is then not the id that was sent, and must not be echoed. request (may
   be NULL) is what codec_request_decode made of these bytes: when its
   decode saw every string whole (a decode in one pass looks as it
   copies), the bytes are not read again. */
cibus_err_t codec_validate_request_bytes (const request_t *request, const void *data, size_t size,
                                          codec_problem_t *problem, bool *id_cut);

/* The same for the bytes of an Envelope (one that codec_envelope_decode
   accepted, and made env of), the field named from the envelope
   (note.title): for an entry a program encoded itself, whose decoded
   strings are what the client sends on. */
cibus_err_t codec_validate_envelope_bytes (const envelope_t *env, const void *data, size_t size,
                                           codec_problem_t *problem);

/* Optional strings that are present but empty, set aside while an entry is
   encoded: an empty string means absent (PROTOCOL.md 2.1), so it is
   stored and relayed as absent. */
typedef struct {
    char **slot; /* where the string was */
    char *value; /* the empty string, put back by restore */
} codec_cleared_slot_t;

typedef struct {
    codec_cleared_slot_t *slots;
    size_t count;
    size_t capacity;
} codec_cleared_t;

/* Clear (set to NULL) every non-repeated string of env and of the messages
   inside it that is present but empty, remembering each in cleared (its
   memory is reused across calls; free it with codec_cleared_release).
   The strings stay the caller's: codec_envelope_restore_empty puts every
   one back, and must be called before env is freed. Returns CIBUS_OK or
   NOMEM (then nothing stays cleared). */
cibus_err_t codec_envelope_clear_empty (envelope_t *env, codec_cleared_t *cleared);
void codec_envelope_restore_empty (codec_cleared_t *cleared);
void codec_cleared_release (codec_cleared_t *cleared);

/* Validate a calendar date YYYY-MM-DD. */
bool codec_is_date (const char *text);

#endif
