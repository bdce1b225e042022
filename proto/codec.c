/*  codec.c - encode, decode and structurally validate cibus messages.

    This is the only file that calls protobuf-c. A frame that does not
    decode is reported by the caller as "malformed" and never reaches the
    store.

    Each decoded message lives in an arena of its own (s_arena_t): a few
    large blocks from malloc, carved in order for every string, message and
    array protobuf-c asks for, and freed together with the message. With
    malloc itself, a data table asked for some thirty blocks and freed
    them one by one, and a process reading entries spent more time in
    malloc and free than in decoding (scenario 6's subscribers: 43 % of
    their CPU). The arena is a bump allocator of forty lines, the shape
    protobuf-c's ProtobufCAllocator asks for; a pooled allocator from a
    library (talloc) would add a header of about a hundred bytes to each
    block and a dependency for no gain. Every block is preceded by the
    address of its arena, so that the message alone, whichever block
    protobuf-c gave it, finds what to free.

    Blocks are of seven sizes, 1 to 64 KiB, and each thread keeps those
    it frees for its next decodes (up to 4 MiB of them) instead of giving
    them back to malloc. A subscriber decodes a Deliver's hundreds of
    entries at once and frees them one by one as they are read; given
    back, glibc returned the top of its heap to the kernel each time, so
    that the next Deliver's entries faulted every page in again (with the
    heap's growth, a fifth of scenario 6's subscribers' CPU).             */

#include "codec.h"

#include "pack.h"
#include "unpack.h"
#include "utf8.h"
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
codec_buf_release (codec_buf_t *buf)
{
    if (!buf)
        return;
    free (buf->data);
    buf->data = NULL;
    buf->size = buf->capacity = 0;
}

cibus_err_t
codec_pack_message (const ProtobufCMessage *msg, codec_buf_t *buf)
{
    switch (pack_message (msg, &buf->data, &buf->capacity, &buf->size)) {
    case PACK_OK:
        return CIBUS_OK;
    case PACK_NOMEM:
        return CIBUS_ERR_NOMEM;
    case PACK_UNLABELLED:
        break;
    }
    //  A proto3 field, which none of cibus's messages has: protobuf-c's
    //  own two walks.
    size_t size = protobuf_c_message_get_packed_size (msg);
    if (size > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity : 256;
        while (capacity < size)
            capacity *= 2;
        uint8_t *data = realloc (buf->data, capacity);
        if (!data)
            return CIBUS_ERR_NOMEM;
        buf->data = data;
        buf->capacity = capacity;
    }
    buf->size = protobuf_c_message_pack (msg, buf->data);
    return CIBUS_OK;
}

cibus_err_t
codec_pack_request (const request_t *msg, codec_buf_t *buf)
{
    return codec_pack_message (&msg->base, buf);
}

cibus_err_t
codec_pack_reply (const reply_t *msg, codec_buf_t *buf)
{
    return codec_pack_message (&msg->base, buf);
}

cibus_err_t
codec_pack_envelope (const envelope_t *msg, codec_buf_t *buf)
{
    return codec_pack_message (&msg->base, buf);
}

//  ---------------------------------------------------------------- arena

//  A block of an arena: its bytes follow it, carved from the front.
typedef struct s_chunk_t {
    struct s_chunk_t *next; /* the block carved before this one */
    size_t size;            /* bytes after the header */
    size_t used;
    _Alignas(max_align_t) unsigned char bytes [];
} s_chunk_t;

typedef struct {
    ProtobufCAllocator allocator; /* allocator_data: this arena */
    s_chunk_t *chunk;             /* the block being carved; the first is last */
    size_t next_size;             /* the size of the next block */
    bool strings_whole;           /* decoded in one pass, no string held a NUL */
    size_t blocks_left;           /* blocks the decode may still take */
} s_arena_t;

//  What precedes every block handed out: the address of its arena, padded
//  so that the block keeps the strictest alignment.
#define S_PREFIX     sizeof (max_align_t)
#define S_BLOCK_MAX  (64 * 1024)
#define S_ALIGNED(n) (((n) + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1))

//  The blocks a thread keeps, by size class: 1, 2, 4, ... 64 KiB
//  (S_BLOCK_MAX), each a list through their next, at most S_KEPT_BYTES in
//  all; freed when the thread ends (the key's destructor). A block is at
//  most twice what was asked for.
#define S_CLASS_MIN   1024
#define S_CLASSES     7
#define S_KEPT_BYTES  (4 * 1024 * 1024)
_Static_assert (S_CLASS_MIN << (S_CLASSES - 1) == S_BLOCK_MAX, "the classes end at a block");

typedef struct {
    s_chunk_t *chunks [S_CLASSES];
    size_t bytes;
} s_kept_t;

static pthread_key_t s_kept_key;
static pthread_once_t s_kept_once = PTHREAD_ONCE_INIT;
static bool s_kept_ready;

static void
s_kept_free (void *data)
{
    s_kept_t *kept = data;
    for (int c = 0; kept && c < S_CLASSES; c++)
        while (kept->chunks [c]) {
            s_chunk_t *next = kept->chunks [c]->next;
            free (kept->chunks [c]);
            kept->chunks [c] = next;
        }
    free (kept);
}

static void
s_kept_init (void)
{
    s_kept_ready = pthread_key_create (&s_kept_key, s_kept_free) == 0;
}

//  This thread's kept blocks, made on first use; NULL when they cannot be.
static s_kept_t *
s_kept (void)
{
    pthread_once (&s_kept_once, s_kept_init);
    if (!s_kept_ready)
        return NULL;
    s_kept_t *kept = pthread_getspecific (s_kept_key);
    if (!kept && (kept = calloc (1, sizeof *kept)) && pthread_setspecific (s_kept_key, kept)) {
        free (kept);
        kept = NULL;
    }
    return kept;
}

//  The class of a block of size bytes, -1 for one larger than S_BLOCK_MAX.
static int
s_class_of (size_t size)
{
    int c = 0;
    while (c < S_CLASSES && (size_t)S_CLASS_MIN << c < size)
        c++;
    return c < S_CLASSES ? c : -1;
}

//  A block of at least size bytes: of its class's size, the thread's own
//  when it keeps one, else malloc's.
static s_chunk_t *
s_chunk_new (size_t size, s_chunk_t *next)
{
    int c = s_class_of (size);
    s_kept_t *kept = c >= 0 ? s_kept () : NULL;
    s_chunk_t *chunk = NULL;
    if (c >= 0)
        size = (size_t)S_CLASS_MIN << c;
    if (kept && kept->chunks [c]) {
        chunk = kept->chunks [c];
        kept->chunks [c] = chunk->next;
        kept->bytes -= size;
    } else
        chunk = malloc (sizeof *chunk + size);
    if (chunk)
        *chunk = (s_chunk_t){next, size, 0};
    return chunk;
}

//  Give a block back: kept when the thread has room for it.
static void
s_chunk_free (s_chunk_t *chunk)
{
    int c = s_class_of (chunk->size);
    s_kept_t *kept = c >= 0 && (size_t)S_CLASS_MIN << c == chunk->size ? s_kept () : NULL;
    if (kept && kept->bytes + chunk->size <= S_KEPT_BYTES) {
        chunk->next = kept->chunks [c];
        kept->chunks [c] = chunk;
        kept->bytes += chunk->size;
    } else
        free (chunk);
}

static void *
s_arena_alloc (void *data, size_t size)
{
    s_arena_t *arena = data;
    if (size > SIZE_MAX / 2 || arena->blocks_left == 0)
        return NULL;
    arena->blocks_left--;
    size_t need = S_PREFIX + S_ALIGNED (size);
    s_chunk_t *chunk = arena->chunk;
    if (chunk->size - chunk->used < need) {
        size_t next = arena->next_size > need ? arena->next_size : need;
        if (!(chunk = s_chunk_new (next, arena->chunk)))
            return NULL;
        arena->chunk = chunk;
        arena->next_size = 2 * arena->next_size < S_BLOCK_MAX ? 2 * arena->next_size : S_BLOCK_MAX;
    }
    unsigned char *block = chunk->bytes + chunk->used;
    chunk->used += need;
    memcpy (block, &arena, sizeof arena);
    return block + S_PREFIX;
}

//  A block goes back with the whole arena, never alone.
static void
s_arena_free_block (void *data, void *block)
{
    (void)data;
    (void)block;
}

//  An arena for decoding size bytes: its first block holds the arena and,
//  for most messages, all they decode into (strings gain a NUL, messages
//  and arrays their structs). No block is larger than S_BLOCK_MAX unless
//  one field needs it: malloc serves larger ones from mappings of their
//  own, which cost page faults each time (a Deliver may be a megabyte).
static s_arena_t *
s_arena_new (size_t size, size_t blocks)
{
    size_t header = S_ALIGNED (sizeof (s_arena_t));
    //  A message decodes into its bytes and more (a data table of 260
    //  bytes into 2.6 KB of structs, arrays and strings, a long note into
    //  little more than its text); a second block, kept by the thread,
    //  costs little, and a message held long (a delivery waiting to be
    //  read) holds no more than about twice what it needs.
    size_t first = size < S_BLOCK_MAX ? size + size / 8 + 1024 : S_BLOCK_MAX;
    if (header + first > S_BLOCK_MAX)
        first = S_BLOCK_MAX - header;
    s_chunk_t *chunk = s_chunk_new (header + first, NULL);
    if (!chunk)
        return NULL;
    s_arena_t *arena = (s_arena_t *)chunk->bytes;
    chunk->used = S_ALIGNED (sizeof *arena);
    arena->allocator = (ProtobufCAllocator){s_arena_alloc, s_arena_free_block, arena};
    arena->chunk = chunk;
    arena->next_size = chunk->size; //  of its class, which may be larger
    arena->strings_whole = false;
    arena->blocks_left = blocks;
    return arena;
}

//  Free every block of an arena, the one that holds the arena last.
static void
s_arena_destroy (s_arena_t *arena)
{
    s_chunk_t *chunk = arena->chunk;
    while (chunk) {
        s_chunk_t *next = chunk->next;
        s_chunk_free (chunk);
        chunk = next;
    }
}

//  The arena a decoded message (any block of it) was carved from.
static s_arena_t *
s_arena_of (const void *block)
{
    s_arena_t *arena;
    memcpy (&arena, (const unsigned char *)block - S_PREFIX, sizeof arena);
    return arena;
}

//  Decode a message of descriptor into an arena of its own, of at most
//  `blocks` blocks (messages, strings, bytes, arrays, and protobuf-c's own
//  work); NULL when the bytes do not decode (errno EPROTO), would take
//  more blocks (E2BIG) or memory ran out (ENOMEM), with the arena gone.
static void *
s_decode (const ProtobufCMessageDescriptor *descriptor, const void *data, size_t size,
          size_t blocks)
{
    s_arena_t *arena = s_arena_new (size, blocks);
    if (!arena) {
        errno = ENOMEM;
        return NULL;
    }
    bool nul = true;
    ProtobufCMessage *msg = unpack_message (descriptor, &arena->allocator, size, data, &nul);
    if (msg) {
        arena->strings_whole = !nul;
        return msg;
    }
    //  Bytes not in protobuf-c's own form are protobuf-c's to decode (or
    //  refuse), in a fresh arena: what the first try made is dropped.
    //  Bytes the first try ran out of blocks for are refused as they are:
    //  protobuf-c would make as many.
    bool over = arena->blocks_left == 0;
    s_arena_destroy (arena);
    if (over || !(arena = s_arena_new (size, blocks))) {
        errno = over ? E2BIG : ENOMEM;
        return NULL;
    }
    msg = protobuf_c_message_unpack (descriptor, &arena->allocator, size, data);
    if (!msg) {
        errno = arena->blocks_left == 0 ? E2BIG : EPROTO;
        s_arena_destroy (arena);
    }
    return msg;
}

static void
s_decoded_free (void *msg)
{
    if (msg)
        s_arena_destroy (s_arena_of (msg));
}

request_t *
codec_request_decode (const void *data, size_t size)
{
    return s_decode (&cibus__request__descriptor, data, size, CIBUS_MAX_VALUES);
}

void
codec_request_free (request_t *msg)
{
    s_decoded_free (msg);
}

reply_t *
codec_reply_decode (const void *data, size_t size)
{
    return s_decode (&cibus__reply__descriptor, data, size, SIZE_MAX);
}

void
codec_reply_free (reply_t *msg)
{
    s_decoded_free (msg);
}

envelope_t *
codec_envelope_decode (const void *data, size_t size)
{
    return s_decode (&cibus__envelope__descriptor, data, size, SIZE_MAX);
}

void
codec_envelope_free (envelope_t *msg)
{
    s_decoded_free (msg);
}

const char *
codec_body_topic_kind (const envelope_t *env)
{
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return "data";
        case CIBUS__ENVELOPE__BODY_NOTE:
            return "note";
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return "commitment";
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            return "indicator";
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            return "practice";
        default:
            return NULL;
    }
}

const char *
codec_body_name (const envelope_t *env)
{
    if (env->body_case == CIBUS__ENVELOPE__BODY_UPDATE)
        return "update";
    return codec_body_topic_kind (env);
}

static const char *s_value_status [] = {"unspecified", "final", "provisional", "estimated"};
static const char *s_commitment_status [] = {"unspecified", "committed", "on-track",
                                             "at-risk",     "done",      "dropped"};
static const char *s_unit [] = {"unspecified", "percent", "count", "rate", "score", "currency"};
static const char *s_direction [] = {"unspecified", "up", "down"};
static const char *s_period_kind [] = {"unspecified", "school-year", "quarter", "month", "date"};
#define S_COUNT(a) (sizeof (a) / sizeof ((a) [0]))

//  The name of an enum value, or "unspecified" out of range.
static const char *
s_enum_name (const char **names, size_t count, int value)
{
    return value >= 0 && (size_t)value < count ? names [value] : names [0];
}

//  The value of a name (never the unspecified 0); false when unknown.
static bool
s_enum_parse (const char **names, size_t count, const char *name, int *value)
{
    for (size_t i = 1; name && i < count; i++)
        if (strcmp (name, names [i]) == 0) {
            *value = (int)i;
            return true;
        }
    return false;
}

const char *
codec_unit_name (Cibus__Unit unit)
{
    return s_enum_name (s_unit, S_COUNT (s_unit), (int)unit);
}

bool
codec_unit_parse (const char *name, Cibus__Unit *unit)
{
    int value;
    if (!s_enum_parse (s_unit, S_COUNT (s_unit), name, &value))
        return false;
    *unit = (Cibus__Unit)value;
    return true;
}

const char *
codec_direction_name (Cibus__Direction direction)
{
    return s_enum_name (s_direction, S_COUNT (s_direction), (int)direction);
}

bool
codec_direction_parse (const char *name, Cibus__Direction *direction)
{
    int value;
    if (!s_enum_parse (s_direction, S_COUNT (s_direction), name, &value))
        return false;
    *direction = (Cibus__Direction)value;
    return true;
}

const char *
codec_period_kind_name (Cibus__PeriodKind kind)
{
    return s_enum_name (s_period_kind, S_COUNT (s_period_kind), (int)kind);
}

bool
codec_period_kind_parse (const char *name, Cibus__PeriodKind *kind)
{
    int value;
    if (!s_enum_parse (s_period_kind, S_COUNT (s_period_kind), name, &value))
        return false;
    *kind = (Cibus__PeriodKind)value;
    return true;
}

const char *
codec_value_status_name (Cibus__ValueStatus status)
{
    return (size_t)status < S_COUNT (s_value_status) ? s_value_status [status] : "unspecified";
}

bool
codec_value_status_parse (const char *name, Cibus__ValueStatus *status)
{
    for (size_t i = 1; i < S_COUNT (s_value_status); i++)
        if (strcmp (name, s_value_status [i]) == 0) {
            *status = (Cibus__ValueStatus)i;
            return true;
        }
    return false;
}

const char *
codec_commitment_status_name (Cibus__CommitmentStatus status)
{
    return (size_t)status < S_COUNT (s_commitment_status) ? s_commitment_status [status]
                                                          : "unspecified";
}

bool
codec_commitment_status_parse (const char *name, Cibus__CommitmentStatus *status)
{
    for (size_t i = 1; i < S_COUNT (s_commitment_status); i++)
        if (strcmp (name, s_commitment_status [i]) == 0) {
            *status = (Cibus__CommitmentStatus)i;
            return true;
        }
    return false;
}

bool
codec_topic_network (const char *topic, char *network, size_t size)
{
    const char *slash = topic ? strchr (topic, '/') : NULL;
    if (!slash || (size_t)(slash - topic) >= size)
        return false;
    memcpy (network, topic, slash - topic);
    network [slash - topic] = 0;
    return true;
}

bool
codec_topic (const char *network, const envelope_t *env, char *topic, size_t size)
{
    const char *kind = codec_body_topic_kind (env);
    int len = snprintf (topic, size, "%s/%s", network, kind ? kind : "");
    return kind && len >= 0 && (size_t)len < size;
}

cibus_err_t
codec_problem_set (codec_problem_t *problem, cibus_err_t code, const char *field,
                   const char *format, ...)
{
    problem->code = code;
    snprintf (problem->field, sizeof problem->field, "%s", field ? field : "");
    va_list args;
    va_start (args, format);
    vsnprintf (problem->message, sizeof problem->message, format, args);
    va_end (args);
    //  A value quoted with a precision (%.64s) or cut by the buffer may end
    //  inside a character: drop what is left of it, so that the message
    //  stays valid UTF-8 like every other string on the wire.
    char *message = problem->message, *to = message;
    size_t len = strlen (message);
    for (size_t at = 0; at < len;) {
        uint32_t code_point;
        size_t size = utf8_decode (message + at, len - at, &code_point);
        if (size == 0)
            at++;
        else {
            memmove (to, message + at, size);
            to += size;
            at += size;
        }
    }
    *to = 0;
    return code;
}

//  ---------------------------------------------------------------- validation

static bool
s_is_digits (const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isdigit ((unsigned char)text [i]))
            return false;
    return true;
}

bool
codec_is_date (const char *text)
{
    if (!text || strlen (text) != 10 || text [4] != '-' || text [7] != '-' || !s_is_digits (text, 4)
        || !s_is_digits (text + 5, 2) || !s_is_digits (text + 8, 2))
        return false;
    int year = atoi (text), month = atoi (text + 5), day = atoi (text + 8);
    static const int days [] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > days [month - 1])
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return !(month == 2 && day == 29 && !leap);
}

//  A period is a school year 2025-26, a quarter 2026-Q3, a month 2026-09 or a
//  date 2026-09-15. Which of them an indicator takes is the catalogue's rule.
static bool
s_is_period (const char *text)
{
    size_t len = strlen (text);
    if (len < 7 || !s_is_digits (text, 4) || text [4] != '-')
        return false;
    if (len == 7 && text [5] == 'Q')
        return text [6] >= '1' && text [6] <= '4';
    if (len == 7 && s_is_digits (text + 5, 2)) {
        int two = atoi (text + 5), year = atoi (text);
        //  2025-26 is a school year; 2026-09 is a month. A two-digit part that
        //  follows the year is the school year's end, otherwise a month.
        if (two == (year + 1) % 100)
            return true;
        return two >= 1 && two <= 12;
    }
    return codec_is_date (text);
}

bool
codec_period_is (const char *text, Cibus__PeriodKind kind)
{
    if (!text || strlen (text) < 7 || !s_is_digits (text, 4) || text [4] != '-')
        return false;
    size_t len = strlen (text);
    switch (kind) {
        case CIBUS__PERIOD_KIND__SCHOOL_YEAR:
            return len == 7 && s_is_digits (text + 5, 2)
                   && atoi (text + 5) == (atoi (text) + 1) % 100;
        case CIBUS__PERIOD_KIND__QUARTER:
            return len == 7 && text [5] == 'Q' && text [6] >= '1' && text [6] <= '4';
        case CIBUS__PERIOD_KIND__MONTH:
            return len == 7 && s_is_digits (text + 5, 2) && atoi (text + 5) >= 1
                   && atoi (text + 5) <= 12;
        case CIBUS__PERIOD_KIND__DATE:
            return codec_is_date (text);
        default:
            return false;
    }
}

const char *
codec_period_example (Cibus__PeriodKind kind)
{
    switch (kind) {
        case CIBUS__PERIOD_KIND__SCHOOL_YEAR:
            return "a school year like 2025-26";
        case CIBUS__PERIOD_KIND__QUARTER:
            return "a quarter like 2026-Q3";
        case CIBUS__PERIOD_KIND__MONTH:
            return "a month like 2026-09";
        default:
            return "a date like 2026-09-15";
    }
}

//  Identifiers (ids, networks, indicator ids, dimension names) are printable
//  ASCII without spaces or slashes, so they read the same in every tool.
static bool
s_is_token (const char *text, bool allow_slash)
{
    for (const char *c = text; *c; c++)
        if (!isgraph ((unsigned char)*c) || (*c == '/' && !allow_slash))
            return false;
    return true;
}

static cibus_err_t
s_text (codec_problem_t *problem, const char *field, const char *value, size_t max, bool required)
{
    if (!value || !*value) {
        if (required)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field, "field '%s' is required",
                                      field);
        return CIBUS_OK;
    }
    size_t len = strlen (value);
    if (len > max)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' is %zu bytes, over its limit of %zu", field, len,
                                  max);
    return CIBUS_OK;
}

static cibus_err_t
s_token (codec_problem_t *problem, const char *field, const char *value, size_t max)
{
    cibus_err_t rc = s_text (problem, field, value, max, true);
    if (rc == CIBUS_OK && !s_is_token (value, false))
        rc = codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                "field '%s' must be printable text without spaces or '/', "
                                "got '%s'",
                                field, value);
    return rc;
}

static cibus_err_t
s_list (codec_problem_t *problem, const char *field, char **items, size_t count, size_t max_len)
{
    if (count > CIBUS_MAX_LIST)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' has %zu items, over its limit of %d", field, count,
                                  CIBUS_MAX_LIST);
    for (size_t i = 0; i < count; i++) {
        cibus_err_t rc = s_text (problem, field, items [i], max_len, true);
        if (rc)
            return rc;
    }
    return CIBUS_OK;
}

static cibus_err_t
s_optional_date (codec_problem_t *problem, const char *field, const char *value, bool required)
{
    if (!value || !*value)
        return required ? codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                             "field '%s' is required", field)
                        : CIBUS_OK;
    if (!codec_is_date (value))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' expects a date like 2026-12-15, got '%.64s'", field,
                                  value);
    return CIBUS_OK;
}

//  ---------------------------------------------------------------- plans

//  What a walk reads of a message type is worked out once for every type
//  a request holds, each with its inner types' plans: for clearing empty
//  strings (S_CLEAR), the strings that may be cleared (single, outside a
//  oneof) and the messages; for checking text (S_TEXT), every string and
//  every message. Most fields are numbers, and a table's cells are most
//  of an entry: a walk of every field of every message spent most of its
//  time passing them by. The room below holds the schema many times
//  over; were it too small, every clear and every text check would be
//  refused (USAGE), and with them every append and test.
#define S_PLAN_STEPS 32
#define S_PLANS      48

typedef enum { S_CLEAR, S_TEXT, S_PLAN_KINDS } s_plan_kind_t;

typedef struct s_plan_t s_plan_t;
typedef struct {
    const ProtobufCFieldDescriptor *field;
    const s_plan_t *plan; /* a message field's type; NULL for a string */
} s_step_t;

struct s_plan_t {
    const ProtobufCMessageDescriptor *descriptor;
    s_step_t steps [S_PLAN_STEPS];
    unsigned count;
};

static s_plan_t s_plans [S_PLAN_KINDS][S_PLANS];
static unsigned s_plan_count [S_PLAN_KINDS];
static const s_plan_t *s_envelope_plan; /* S_CLEAR's of an envelope; NULL: no room */
static pthread_once_t s_plans_once = PTHREAD_ONCE_INIT;

//  The plan of a type made already, or NULL.
static const s_plan_t *
s_plan_held (s_plan_kind_t kind, const ProtobufCMessageDescriptor *descriptor)
{
    for (unsigned i = 0; i < s_plan_count [kind]; i++)
        if (s_plans [kind][i].descriptor == descriptor)
            return &s_plans [kind][i];
    return NULL;
}

//  The plan of a type, made with those of the types inside it (a type met
//  again, as by recursion, is the plan already begun); NULL past the room.
static const s_plan_t *
s_plan_of (s_plan_kind_t kind, const ProtobufCMessageDescriptor *descriptor)
{
    const s_plan_t *held = s_plan_held (kind, descriptor);
    if (held)
        return held;
    if (s_plan_count [kind] == S_PLANS)
        return NULL;
    s_plan_t *plan = &s_plans [kind][s_plan_count [kind]++];
    plan->descriptor = descriptor;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        bool oneof = field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
        const s_plan_t *inner = NULL;
        if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (!(inner = s_plan_of (kind, field->descriptor)))
                return NULL;
        } else if (field->type != PROTOBUF_C_TYPE_STRING
                   || (kind == S_CLEAR && (field->label == PROTOBUF_C_LABEL_REPEATED || oneof)))
            continue;
        if (plan->count == S_PLAN_STEPS)
            return NULL;
        plan->steps [plan->count++] = (s_step_t){field, inner};
    }
    return plan;
}

static void
s_plans_make (void)
{
    s_envelope_plan = s_plan_of (S_CLEAR, &cibus__envelope__descriptor);
    //  Every type a request holds, an envelope's among them.
    s_plan_of (S_TEXT, &cibus__request__descriptor);
}

//  The text plan of a type a request holds; NULL for any other.
static const s_plan_t *
s_text_plan (const ProtobufCMessageDescriptor *descriptor)
{
    pthread_once (&s_plans_once, s_plans_make);
    return s_plan_held (S_TEXT, descriptor);
}

//  ---------------------------------------------------------------- text

bool
codec_valid_utf8 (const char *text, size_t len)
{
    uint32_t code;
    for (size_t at = 0, size; at < len; at += size)
        if (!(size = utf8_decode (text + at, len - at, &code)))
            return false;
    return true;
}

//  Whether a code point is a control character that text may not hold. Text
//  is shown in terminals, written to logs and put in JSON: a control
//  character other than tab, newline and carriage return (C0, DEL, C1)
//  could move a terminal's cursor, rewrite a line or start an escape
//  sequence, and no field of the protocol has a use for one.
static bool
s_is_forbidden_control (uint32_t code)
{
    if (code == '\t' || code == '\n' || code == '\r')
        return false;
    return code < 0x20 || (code >= 0x7F && code <= 0x9F);
}

//  The path of a field from where a walk started: a prefix ("" or
//  "query") and the names of the fields passed to reach it. The walk
//  pushes a pointer per field; the text "data.cells.dimensions.key" is
//  made only when a field is refused.
#define S_PATH_DEPTH 16

typedef struct {
    const char *prefix;
    const char *names [S_PATH_DEPTH];
    size_t depth; /* names held; a deeper walk goes on unnamed past the last */
} s_path_t;

//  Append ".name" (or "name" to an empty path) to the path of length len
//  in a buffer of size bytes, cut to fit as snprintf would; returns the
//  new length.
static size_t
s_path_push (char *path, size_t size, size_t len, const char *name)
{
    size_t at = len;
    if (at > 0 && at + 1 < size)
        path [at++] = '.';
    size_t n = strlen (name);
    if (at + n >= size)
        n = at < size ? size - 1 - at : 0;
    memcpy (path + at, name, n);
    path [at + n] = 0;
    return at + n;
}

//  The path as text, into field (sizeof problem->field bytes).
static void
s_path_text (const s_path_t *path, char *field, size_t size)
{
    size_t len = s_path_push (field, size, 0, path->prefix);
    for (size_t i = 0; i < path->depth; i++)
        len = s_path_push (field, size, len, path->names [i]);
}

//  Whether text may be stored and shown: valid UTF-8, no control
//  character but tab, newline and carriage return; the refusal names
//  the field at path.
static cibus_err_t
s_valid_text (codec_problem_t *problem, const s_path_t *path, const char *value)
{
    //  Printable ASCII, tab, newline and carriage return, as nearly all
    //  text is, pass without being decoded: every publish passes here.
    size_t len = 0;
    for (unsigned char c; (c = (unsigned char)value [len]) != 0; len++)
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7F)
            break;
    if (value [len] == 0)
        return CIBUS_OK;
    len += strlen (value + len);
    char field [sizeof problem->field];
    s_path_text (path, field, sizeof field);
    if (!codec_valid_utf8 (value, len))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' is not valid UTF-8", field);
    uint32_t code = 0;
    for (size_t at = 0, size; at < len; at += size) {
        size = utf8_decode (value + at, len - at, &code);
        if (s_is_forbidden_control (code))
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                      "field '%s' holds the control character U+%04X: text may "
                                      "hold tab, newline and carriage return, no other",
                                      field, (unsigned)code);
    }
    return CIBUS_OK;
}

//  Every string field of a message and of the messages inside it, walked
//  through protobuf-c's descriptors (its type's S_TEXT plan) rather than
//  named one by one, so that a field added to the schema is checked
//  without anyone remembering to. A field is named by its path from where
//  the walk started (path "" for an envelope: "id", "note.decisions",
//  "data.dimensions.key"); a repeated field's items share its name. The
//  path is given back as it came.
static cibus_err_t
s_walk_text (const ProtobufCMessage *message, const s_plan_t *plan, s_path_t *path,
             codec_problem_t *problem)
{
    const char *base = (const char *)message;
    size_t depth = path->depth;
    for (unsigned i = 0; i < plan->count; i++) {
        const ProtobufCFieldDescriptor *field = plan->steps [i].field;
        //  Members of a oneof share their storage: only the one set is there.
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            && *(const uint32_t *)(base + field->quantifier_offset) != field->id)
            continue;
        const void *const *items = (const void *const *)(base + field->offset);
        size_t count = 1;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + field->quantifier_offset);
            items = *(const void *const *const *)(base + field->offset);
        }
        if (depth < S_PATH_DEPTH)
            path->names [depth] = field->name;
        path->depth = depth < S_PATH_DEPTH ? depth + 1 : depth;
        for (size_t j = 0; j < count; j++) {
            cibus_err_t rc = CIBUS_OK;
            if (items [j] && !plan->steps [i].plan)
                rc = s_valid_text (problem, path, items [j]);
            else if (items [j])
                rc = s_walk_text (items [j], plan->steps [i].plan, path, problem);
            if (rc)
                return rc;
        }
        path->depth = depth;
    }
    return CIBUS_OK;
}

//  s_walk_text from the top of a message, its fields named under prefix.
static cibus_err_t
s_walk_text_from (const ProtobufCMessage *message, const char *prefix, codec_problem_t *problem)
{
    const s_plan_t *plan = s_text_plan (message->descriptor);
    if (!plan)
        return codec_problem_set (problem, CIBUS_ERR_USAGE, NULL,
                                  "the codec has no room to plan the check of a %s",
                                  message->descriptor->name);
    s_path_t path = {prefix, {NULL}, 0};
    return s_walk_text (message, plan, &path, problem);
}

//  ---------------------------------------------------------------- NUL bytes

//  protobuf-c unpacks a string into a C string, so a NUL byte inside one
//  (which protobuf allows) would cut it there without anyone seeing: an id
//  "a<NUL>b" would be stored and acked as "a". The decoded structs cannot
//  show it, so the frame's own bytes are read, walking the schema as
//  protobuf-c did. The walk goes only where the schema leads (unknown
//  fields and bytes are stepped over), so its depth is the schema's. Its
//  varints are read as the decoder reads them (wire.h).

typedef struct {
    char first [128]; /* path of the first string holding a NUL, "" if none */
    bool id_cut;      /* the envelope's id is one of them */
} s_nul_t;

//  The next length-delimited field of a message's bytes from *at: its
//  field number and value. False at the end of the bytes, or where they
//  stop being what protobuf-c would have decoded.
static bool
s_wire_next (const uint8_t **at, const uint8_t *end, unsigned *number, const uint8_t **value,
             size_t *size)
{
    while (*at < end) {
        uint64_t tag, length;
        if (!wire_varint (at, end, &tag))
            return false;
        switch (tag & 7) {
            case 0:
                if (!wire_varint (at, end, &length))
                    return false;
                continue;
            case 1:
                *at = (size_t)(end - *at) >= 8 ? *at + 8 : end;
                continue;
            case 5:
                *at = (size_t)(end - *at) >= 4 ? *at + 4 : end;
                continue;
            case 2:
                break;
            default:
                return false; //  a group: protobuf-c would not have decoded this
        }
        if (!wire_varint (at, end, &length) || length > (uint64_t)(end - *at))
            return false;
        *value = *at;
        *size = (size_t)length;
        *at += length;
        if (tag >> 3 <= UINT32_MAX) {
            *number = (unsigned)(tag >> 3);
            return true;
        }
    }
    return false;
}

//  Whether a string of the message's bytes holds a NUL. With `found`, each
//  such string is named in it (path holds the names down to here, len
//  bytes of them); without, the walk names nothing and ends at the first:
//  the walk of every frame, which only a frame holding one walks again.
static bool
s_wire_nul (const uint8_t *data, size_t size, const ProtobufCMessageDescriptor *descriptor,
            char *path, size_t len, s_nul_t *found)
{
    const uint8_t *at = data, *end = data + size, *value;
    unsigned number;
    size_t length;
    bool any = false;
    while (s_wire_next (&at, end, &number, &value, &length)) {
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field (descriptor, number);
        if (!field)
            continue;
        size_t name_len = found ? s_path_push (path, sizeof found->first, len, field->name) : 0;
        bool nul = false;
        if (field->type == PROTOBUF_C_TYPE_MESSAGE)
            nul = s_wire_nul (value, length, field->descriptor, path, name_len, found);
        else if (field->type == PROTOBUF_C_TYPE_STRING && memchr (value, 0, length)) {
            nul = true;
            if (found && !*found->first)
                snprintf (found->first, sizeof found->first, "%s", path);
            if (found && strcmp (path, "publish.envelope.id") == 0)
                found->id_cut = true;
        }
        if (found)
            path [len] = 0;
        else if (nul)
            return true;
        any |= nul;
    }
    return any;
}

//  The refusal of the first string found holding a NUL, if any.
static cibus_err_t
s_nul_refusal (const s_nul_t *found, codec_problem_t *problem)
{
    if (!*found->first)
        return CIBUS_OK;
    //  Named as codec_validate_request names a field: an envelope's from
    //  the envelope, a subscription's by their own names, 'query.<name>'.
    const char *field = found->first;
    static const char *const strip [] = {"publish.envelope.", "subscribe."};
    for (size_t i = 0; i < S_COUNT (strip); i++)
        if (strncmp (field, strip [i], strlen (strip [i])) == 0)
            field += strlen (strip [i]);
    return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                              "field '%s' holds the control character U+0000: text may hold "
                              "tab, newline and carriage return, no other",
                              field);
}

//  Whether the decode of a message saw each of its strings whole.
static bool
s_strings_whole (const void *msg)
{
    return msg && s_arena_of (msg)->strings_whole;
}

cibus_err_t
codec_validate_request_bytes (const request_t *request, const void *data, size_t size,
                              codec_problem_t *problem, bool *id_cut)
{
    s_nul_t found = {"", false};
    char path [sizeof found.first] = "";
    if (!s_strings_whole (request)
        && s_wire_nul (data, size, &cibus__request__descriptor, NULL, 0, NULL))
        s_wire_nul (data, size, &cibus__request__descriptor, path, 0, &found);
    if (id_cut)
        *id_cut = found.id_cut;
    return s_nul_refusal (&found, problem);
}

cibus_err_t
codec_validate_envelope_bytes (const envelope_t *env, const void *data, size_t size,
                               codec_problem_t *problem)
{
    s_nul_t found = {"", false};
    char path [sizeof found.first] = "";
    if (!s_strings_whole (env)
        && s_wire_nul (data, size, &cibus__envelope__descriptor, NULL, 0, NULL))
        s_wire_nul (data, size, &cibus__envelope__descriptor, path, 0, &found);
    return s_nul_refusal (&found, problem);
}

//  ---------------------------------------------------------------- empty strings

//  Every optional string of a message and of the messages inside it that
//  is present but empty is set to NULL (absent) with its slot remembered,
//  as its S_CLEAR plan reads it.
static cibus_err_t
s_clear_planned (ProtobufCMessage *message, const s_plan_t *plan, codec_cleared_t *cleared)
{
    char *base = (char *)message;
    for (unsigned i = 0; i < plan->count; i++) {
        const ProtobufCFieldDescriptor *field = plan->steps [i].field;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            && *(const uint32_t *)(base + field->quantifier_offset) != field->id)
            continue;
        void **items = (void **)(base + field->offset);
        if (plan->steps [i].plan) {
            size_t count = 1;
            if (field->label == PROTOBUF_C_LABEL_REPEATED) {
                count = *(const size_t *)(base + field->quantifier_offset);
                items = *(void ***)(base + field->offset);
            }
            for (size_t j = 0; j < count; j++) {
                cibus_err_t rc = items [j]
                                     ? s_clear_planned (items [j], plan->steps [i].plan, cleared)
                                     : CIBUS_OK;
                if (rc)
                    return rc;
            }
            continue;
        }
        if (!*items || **(char **)items)
            continue;
        if (cleared->count == cleared->capacity) {
            size_t capacity = cleared->capacity ? 2 * cleared->capacity : 8;
            codec_cleared_slot_t *slots = realloc (cleared->slots, capacity * sizeof *slots);
            if (!slots)
                return CIBUS_ERR_NOMEM;
            cleared->slots = slots;
            cleared->capacity = capacity;
        }
        cleared->slots [cleared->count].slot = (char **)items;
        cleared->slots [cleared->count].value = *(char **)items;
        cleared->count++;
        *items = NULL;
    }
    return CIBUS_OK;
}

cibus_err_t
codec_envelope_clear_empty (envelope_t *env, codec_cleared_t *cleared)
{
    cleared->count = 0;
    pthread_once (&s_plans_once, s_plans_make);
    if (!s_envelope_plan)
        return CIBUS_ERR_USAGE;
    cibus_err_t rc = s_clear_planned (&env->base, s_envelope_plan, cleared);
    if (rc)
        codec_envelope_restore_empty (cleared);
    return rc;
}

void
codec_envelope_restore_empty (codec_cleared_t *cleared)
{
    //  Last cleared first, though no slot is cleared twice.
    while (cleared->count > 0) {
        cleared->count--;
        *cleared->slots [cleared->count].slot = cleared->slots [cleared->count].value;
    }
}

void
codec_cleared_release (codec_cleared_t *cleared)
{
    if (!cleared)
        return;
    free (cleared->slots);
    *cleared = (codec_cleared_t){0};
}

//  A cell's name in a message: "the total", or "cell race=hispanic,income=low"
//  (each part cut at 48 bytes, the whole at S_CELL_NAME bytes with "..."),
//  short enough that the sentence around it still fits in a problem's
//  message: a cell of 65 dimensions must still be told how many it has.
#define S_CELL_NAME 160

static const char *
s_cell_name (const Cibus__DataCell *cell, bool total, char *name, size_t size)
{
    if (total || cell->n_dimensions == 0)
        return snprintf (name, size, "the total"), name;
    size_t used = (size_t)snprintf (name, size, "cell ");
    for (size_t i = 0; i < cell->n_dimensions && used < size; i++) {
        const Cibus__Dimension *dim = cell->dimensions [i];
        used += (size_t)snprintf (name + used, size - used, "%s%.48s=%.48s", i ? "," : "",
                                  dim->key ? dim->key : "", dim->value ? dim->value : "");
    }
    if (used >= size)
        memcpy (name + size - 4, "...", 4);
    return name;
}

//  One cell's structure: its dimensions and which counts it carries. What
//  the counts must agree on (a numerator above its denominator, n against
//  the denominator, sums against the total) is the disclosure module's
//  check, which knows the indicator's unit.
static cibus_err_t
s_validate_cell (const Cibus__DataCell *cell, bool total, const char *field,
                 codec_problem_t *problem)
{
    //  Named only when refused: every cell of every publish passes here.
    char name [S_CELL_NAME];
    if (total && cell->n_dimensions)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.total.dimensions",
                                  "the total has no categories; a cell with categories goes "
                                  "in 'data.cells'");
    if (!total && cell->n_dimensions == 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.cells.dimensions",
                                  "a cell of a breakdown needs at least one category "
                                  "(dimension=category); the total goes in 'data.total'");
    if (cell->n_dimensions > CIBUS_MAX_CROSS)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.cells.dimensions",
                                  "%s crosses %zu dimensions, over the limit of %d",
                                  s_cell_name (cell, total, name, sizeof name), cell->n_dimensions,
                                  CIBUS_MAX_CROSS);
    for (size_t i = 0; i < cell->n_dimensions; i++) {
        const Cibus__Dimension *dim = cell->dimensions [i];
        cibus_err_t rc;
        if ((rc = s_token (problem, "data.cells.dimensions.key", dim->key, CIBUS_MAX_NAME))
            || (rc = s_token (problem, "data.cells.dimensions.value", dim->value, CIBUS_MAX_NAME)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp (cell->dimensions [j]->key, dim->key) == 0)
                return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.cells.dimensions",
                                          "%s names dimension '%.64s' twice",
                                          s_cell_name (cell, total, name, sizeof name), dim->key);
    }
    if (cell->has_disclosure || cell->has_low || cell->has_high)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s: 'disclosure', 'low' and 'high' are set by the broker, "
                                  "not by a publisher",
                                  s_cell_name (cell, total, name, sizeof name));
    if (cell->has_value && !isfinite (cell->value))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s: its value must be a finite number, got %g",
                                  s_cell_name (cell, total, name, sizeof name), cell->value);
    if (cell->has_suppressed && cell->suppressed && (cell->has_numerator || cell->has_value))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s is suppressed at source and must carry no numerator "
                                  "or value, only its size when known",
                                  s_cell_name (cell, total, name, sizeof name));
    if (!(cell->has_suppressed && cell->suppressed) && !cell->has_value
        && !(cell->has_numerator && cell->has_denominator))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s needs numerator and denominator (percent, rate) or a "
                                  "value and n (count, score, currency), or to be marked "
                                  "suppressed at source",
                                  s_cell_name (cell, total, name, sizeof name));
    if (cell->has_numerator && !cell->has_denominator)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "%s has a numerator without its denominator",
                                  s_cell_name (cell, total, name, sizeof name));
    return CIBUS_OK;
}

static cibus_err_t
s_validate_data (const Cibus__DataSubmission *data, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_token (problem, "data.indicator", data->indicator, CIBUS_MAX_NAME)))
        return rc;
    if ((rc = s_text (problem, "data.period", data->period, CIBUS_MAX_NAME, true)))
        return rc;
    if (!s_is_period (data->period))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.period",
                                  "field 'data.period' expects a school year like 2025-26, "
                                  "a quarter like 2026-Q3, a month like 2026-09 or a date "
                                  "like 2026-09-15, got '%.64s'",
                                  data->period);
    //  An empty string is absent, as everywhere on the wire.
    if (data->unit && *data->unit
        && (rc = s_token (problem, "data.unit", data->unit, CIBUS_MAX_NAME)))
        return rc;
    if (data->owner && *data->owner
        && (rc = s_token (problem, "data.owner", data->owner, CIBUS_MAX_NAME)))
        return rc;
    if (data->has_version || data->has_masked || data->has_superseded)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                  data->has_version  ? "data.version"
                                  : data->has_masked ? "data.masked"
                                                     : "data.superseded",
                                  "fields 'data.version', 'data.masked' and 'data.superseded' "
                                  "are set by the broker, not by a publisher");
    if (!data->total)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.total",
                                  "field 'data.total' is required: a table is released with "
                                  "its total");
    if ((rc = s_validate_cell (data->total, true, "data.total", problem)))
        return rc;
    if (data->n_cells > CIBUS_MAX_CELLS)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.cells",
                                  "field 'data.cells' has %zu items, over its limit of %d",
                                  data->n_cells, CIBUS_MAX_CELLS);
    for (size_t i = 0; i < data->n_cells; i++)
        if ((rc = s_validate_cell (data->cells [i], false, "data.cells", problem)))
            return rc;
    //  protobuf-c decodes an enum value it does not know as is: check the range,
    //  not only for UNSPECIFIED, as for update.status.
    if (data->has_status
        && (data->status < CIBUS__VALUE_STATUS__FINAL
            || data->status > CIBUS__VALUE_STATUS__ESTIMATED))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "data.status",
                                  "field 'data.status' must be final, provisional or estimated");
    if ((rc = s_text (problem, "data.source", data->source, CIBUS_MAX_NAME, false)))
        return rc;
    return s_optional_date (problem, "data.extracted_on", data->extracted_on, false);
}

static cibus_err_t
s_validate_note (const Cibus__MeetingNote *note, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_text (problem, "note.title", note->title, CIBUS_MAX_TEXT, true))
        || (rc = s_text (problem, "note.body", note->body, CIBUS_MAX_BODY, false))
        || (rc = s_optional_date (problem, "note.held_on", note->held_on, false))
        || (rc = s_list (problem, "note.attendees", note->attendees, note->n_attendees,
                         CIBUS_MAX_NAME)))
        return rc;
    return s_list (problem, "note.decisions", note->decisions, note->n_decisions, CIBUS_MAX_TEXT);
}

static cibus_err_t
s_validate_commitment (const Cibus__ActionCommitment *commitment, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_text (problem, "commitment.action", commitment->action, CIBUS_MAX_TEXT, true))
        || (rc = s_optional_date (problem, "commitment.due", commitment->due, true))
        || (rc = s_list (problem, "commitment.indicators", commitment->indicators,
                         commitment->n_indicators, CIBUS_MAX_NAME)))
        return rc;
    //  The note is named by its envelope id, so it is a token like any id;
    //  whether it exists, and has that many decisions, is the store's to
    //  judge (PROTOCOL.md 7.4). An empty string is absent (2.1).
    bool from_note = commitment->from_note && *commitment->from_note;
    if (from_note
        && (rc = s_token (problem, "commitment.from_note", commitment->from_note, CIBUS_MAX_ID)))
        return rc;
    if (commitment->has_decision && !from_note)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                                  "field 'commitment.decision' numbers a decision of the note "
                                  "in 'commitment.from_note', which is absent");
    if (commitment->has_decision && commitment->decision == 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "commitment.decision",
                                  "field 'commitment.decision' counts a note's decisions from 1, "
                                  "got 0");
    return CIBUS_OK;
}

static cibus_err_t
s_validate_update (const Cibus__CommitmentUpdate *update, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_token (problem, "update.commitment_id", update->commitment_id, CIBUS_MAX_ID)))
        return rc;
    if (!update->has_status)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "update.status",
                                  "field 'update.status' is required");
    if (update->status < CIBUS__COMMITMENT_STATUS__ON_TRACK
        || update->status > CIBUS__COMMITMENT_STATUS__DROPPED)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "update.status",
                                  "field 'update.status' must be on-track, at-risk, done or "
                                  "dropped");
    return s_text (problem, "update.comment", update->comment, CIBUS_MAX_TEXT, false);
}

//  A practice tag names a unit as the values query does (a partner, or
//  partner/unit for a table of a unit under it), the practice as a token,
//  and the days it ran from and, when it stopped, to. Whether the partner
//  belongs to the network is the store's to judge (PROTOCOL.md 7.4).
static cibus_err_t
s_validate_practice (const Cibus__PracticeTag *practice, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_text (problem, "practice.unit", practice->unit, 2 * CIBUS_MAX_NAME + 1, true)))
        return rc;
    const char *slash = strchr (practice->unit, '/');
    size_t owner = slash ? (size_t)(slash - practice->unit) : strlen (practice->unit);
    if (owner == 0 || (slash && (!slash [1] || strchr (slash + 1, '/')))
        || !s_is_token (practice->unit, true))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "practice.unit",
                                  "field 'practice.unit' must be a partner or partner/unit, "
                                  "printable text without spaces, got '%.64s'",
                                  practice->unit);
    if (owner > CIBUS_MAX_NAME || (slash && strlen (slash + 1) > CIBUS_MAX_NAME))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "practice.unit",
                                  "field 'practice.unit' names a partner or a unit of over %d "
                                  "bytes",
                                  CIBUS_MAX_NAME);
    if ((rc = s_token (problem, "practice.practice", practice->practice, CIBUS_MAX_NAME))
        || (rc = s_optional_date (problem, "practice.since", practice->since, true))
        || (rc = s_optional_date (problem, "practice.until", practice->until, false)))
        return rc;
    //  until is the first day without it: a practice that stopped the day
    //  it began never ran. Both are YYYY-MM-DD: byte order is date order.
    if (practice->until && *practice->until && strcmp (practice->until, practice->since) <= 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "practice.until",
                                  "field 'practice.until' is %s, not after 'practice.since' "
                                  "(%s): it is the first day without the practice",
                                  practice->until, practice->since);
    return CIBUS_OK;
}

static cibus_err_t
s_milestone (codec_problem_t *problem, const char *field, const Cibus__Milestone *milestone,
             Cibus__PeriodKind kind)
{
    if (!milestone->period || !codec_period_is (milestone->period, kind))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' needs a period that is %s, got '%.64s'", field,
                                  codec_period_example (kind),
                                  milestone->period ? milestone->period : "");
    if (!milestone->has_value || !isfinite (milestone->value))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, field,
                                  "field '%s' needs a finite value", field);
    return CIBUS_OK;
}

//  The categories of a definition's dimensions: each list names one of its
//  dimensions, once; its categories are tokens, each once; and no category
//  is listed under two dimensions, so that a cell's category says which
//  dimension it belongs to.
static cibus_err_t
s_categories (codec_problem_t *problem, const Cibus__IndicatorDefinition *def)
{
    if (def->n_categories > CIBUS_MAX_LIST)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.categories",
                                  "field 'indicator.categories' has %zu items, over its limit "
                                  "of %d",
                                  def->n_categories, CIBUS_MAX_LIST);
    for (size_t i = 0; i < def->n_categories; i++) {
        const Cibus__DimensionCategories *list = def->categories [i];
        cibus_err_t rc =
            s_token (problem, "indicator.categories.dimension", list->dimension, CIBUS_MAX_NAME);
        if (rc)
            return rc;
        bool known = false;
        for (size_t d = 0; d < def->n_dimensions; d++)
            known |= strcmp (def->dimensions [d], list->dimension) == 0;
        if (!known)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                      "indicator.categories.dimension",
                                      "categories are given for '%.64s', which is not one of "
                                      "the indicator's dimensions",
                                      list->dimension);
        if (list->n_categories == 0)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                      "indicator.categories.categories",
                                      "dimension '%.64s' is given no categories", list->dimension);
        if ((rc = s_list (problem, "indicator.categories.categories", list->categories,
                          list->n_categories, CIBUS_MAX_NAME)))
            return rc;
        for (size_t c = 0; c < list->n_categories; c++) {
            if (!s_is_token (list->categories [c], false))
                return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                          "indicator.categories.categories",
                                          "category '%.64s' must be printable text without "
                                          "spaces or '/'",
                                          list->categories [c]);
            for (size_t e = 0; e < c; e++)
                if (strcmp (list->categories [e], list->categories [c]) == 0)
                    return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                              "indicator.categories.categories",
                                              "category '%.64s' is listed twice under '%.64s'",
                                              list->categories [c], list->dimension);
        }
        //  The reference group, when one is named, is one of the categories.
        bool listed = !list->reference || !*list->reference;
        for (size_t c = 0; !listed && c < list->n_categories; c++)
            listed = strcmp (list->categories [c], list->reference) == 0;
        if (!listed)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                      "indicator.categories.reference",
                                      "the reference group '%.64s' is not one of the categories "
                                      "of '%.64s'",
                                      list->reference, list->dimension);
        for (size_t j = 0; j < i; j++) {
            const Cibus__DimensionCategories *other = def->categories [j];
            if (strcmp (other->dimension, list->dimension) == 0)
                return codec_problem_set (
                    problem, CIBUS_ERR_BAD_FIELD, "indicator.categories.dimension",
                    "the categories of '%.64s' are given twice", list->dimension);
            for (size_t c = 0; c < list->n_categories; c++)
                for (size_t e = 0; e < other->n_categories; e++)
                    if (strcmp (other->categories [e], list->categories [c]) == 0)
                        return codec_problem_set (
                            problem, CIBUS_ERR_BAD_FIELD, "indicator.categories.categories",
                            "category '%.64s' is listed under both '%.64s' and '%.64s'",
                            list->categories [c], other->dimension, list->dimension);
        }
    }
    return CIBUS_OK;
}

static cibus_err_t
s_validate_indicator (const Cibus__IndicatorDefinition *def, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_token (problem, "indicator.indicator", def->indicator, CIBUS_MAX_NAME))
        || (rc = s_text (problem, "indicator.name", def->name, CIBUS_MAX_TEXT, true)))
        return rc;
    if (!def->has_unit || def->unit < CIBUS__UNIT__PERCENT || def->unit > CIBUS__UNIT__CURRENCY)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.unit",
                                  "field 'indicator.unit' must be percent, count, rate, score "
                                  "or currency");
    if (!def->has_direction || def->direction < CIBUS__DIRECTION__UP
        || def->direction > CIBUS__DIRECTION__DOWN)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.direction",
                                  "field 'indicator.direction' must be up or down");
    if (!def->has_period_kind || def->period_kind < CIBUS__PERIOD_KIND__SCHOOL_YEAR
        || def->period_kind > CIBUS__PERIOD_KIND__DATE)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.period_kind",
                                  "field 'indicator.period_kind' must be school-year, quarter, "
                                  "month or date");
    if ((def->has_min && !isfinite (def->min)) || (def->has_max && !isfinite (def->max)))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD,
                                  def->has_min && !isfinite (def->min) ? "indicator.min"
                                                                       : "indicator.max",
                                  "the range of an indicator must be finite numbers");
    if (def->has_min && def->has_max && def->min > def->max)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.min",
                                  "field 'indicator.min' (%g) is greater than 'indicator.max' "
                                  "(%g)",
                                  def->min, def->max);
    if ((rc = s_list (problem, "indicator.dimensions", def->dimensions, def->n_dimensions,
                      CIBUS_MAX_NAME))
        || (rc = s_list (problem, "indicator.networks", def->networks, def->n_networks,
                         CIBUS_MAX_NETWORK)))
        return rc;
    for (size_t i = 0; i < def->n_dimensions; i++)
        if (!s_is_token (def->dimensions [i], false))
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.dimensions",
                                      "dimension '%.64s' must be printable text without spaces "
                                      "or '/'",
                                      def->dimensions [i]);
    for (size_t i = 0; i < def->n_networks; i++)
        if (!s_is_token (def->networks [i], false))
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.networks",
                                      "network '%.64s' must be printable text without spaces "
                                      "or '/'",
                                      def->networks [i]);
    if ((rc = s_categories (problem, def)))
        return rc;
    if (def->baseline
        && (rc = s_milestone (problem, "indicator.baseline", def->baseline, def->period_kind)))
        return rc;
    if (def->n_targets > CIBUS_MAX_LIST)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "indicator.targets",
                                  "field 'indicator.targets' has %zu items, over its limit of %d",
                                  def->n_targets, CIBUS_MAX_LIST);
    for (size_t i = 0; i < def->n_targets; i++)
        if ((rc = s_milestone (problem, "indicator.targets", def->targets [i], def->period_kind)))
            return rc;
    return CIBUS_OK;
}

//  protobuf-c keeps fields it does not know and encodes them again: they
//  would be stored and relayed unchecked, past every limit. Refuse them.
static cibus_err_t
s_no_unknown (codec_problem_t *problem, const char *where, const ProtobufCMessage *base)
{
    if (base->n_unknown_fields == 0)
        return CIBUS_OK;
    return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, where,
                              "'%s' carries field number %u, which is not part of the cibus "
                              "protocol",
                              where, (unsigned)base->unknown_fields [0].tag);
}

static cibus_err_t
s_known_fields_only (const envelope_t *env, codec_problem_t *problem)
{
    cibus_err_t rc = s_no_unknown (problem, "envelope", &env->base);
    if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_DATA) {
        const Cibus__DataSubmission *data = env->data;
        rc = s_no_unknown (problem, "data", &data->base);
        for (size_t i = 0; rc == CIBUS_OK && i <= data->n_cells; i++) {
            const Cibus__DataCell *cell = i < data->n_cells ? data->cells [i] : data->total;
            const char *where = i < data->n_cells ? "data.cells" : "data.total";
            if (!cell)
                continue;
            rc = s_no_unknown (problem, where, &cell->base);
            for (size_t d = 0; rc == CIBUS_OK && d < cell->n_dimensions; d++)
                rc = s_no_unknown (problem, "data.cells.dimensions", &cell->dimensions [d]->base);
        }
    } else if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_NOTE)
        rc = s_no_unknown (problem, "note", &env->note->base);
    else if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_COMMITMENT)
        rc = s_no_unknown (problem, "commitment", &env->commitment->base);
    else if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_UPDATE)
        rc = s_no_unknown (problem, "update", &env->update->base);
    else if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_PRACTICE)
        rc = s_no_unknown (problem, "practice", &env->practice->base);
    else if (rc == CIBUS_OK && env->body_case == CIBUS__ENVELOPE__BODY_INDICATOR) {
        const Cibus__IndicatorDefinition *def = env->indicator;
        rc = s_no_unknown (problem, "indicator", &def->base);
        if (rc == CIBUS_OK && def->baseline)
            rc = s_no_unknown (problem, "indicator.baseline", &def->baseline->base);
        for (size_t i = 0; rc == CIBUS_OK && i < def->n_targets; i++)
            rc = s_no_unknown (problem, "indicator.targets", &def->targets [i]->base);
        for (size_t i = 0; rc == CIBUS_OK && i < def->n_categories; i++)
            rc = s_no_unknown (problem, "indicator.categories", &def->categories [i]->base);
    }
    return rc;
}

//  A body as a message names it: "a data table", "a note", "an update".
static const char *
s_body_noun (const envelope_t *env)
{
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return "a data table";
        case CIBUS__ENVELOPE__BODY_NOTE:
            return "a note";
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return "a commitment";
        case CIBUS__ENVELOPE__BODY_UPDATE:
            return "an update";
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            return "a practice tag";
        default:
            return "an indicator definition";
    }
}

cibus_err_t
codec_validate_envelope (const envelope_t *env, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_known_fields_only (env, problem)))
        return rc;
    //  Before any rule that quotes a value back: a refusal is text too.
    if ((rc = s_walk_text_from (&env->base, "", problem)))
        return rc;
    if ((rc = s_token (problem, "id", env->id, CIBUS_MAX_ID)))
        return rc;
    if ((rc = s_text (problem, "topic", env->topic, CIBUS_MAX_TOPIC, true)))
        return rc;
    const char *kind = codec_body_topic_kind (env);
    if (!kind)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "body",
                                  "field 'body' is required: one of data, note, commitment, "
                                  "update, indicator, practice");
    char network [CIBUS_MAX_NETWORK + 1];
    if (!codec_topic_network (env->topic, network, sizeof network))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' must be <network>/%s with a network of at "
                                  "most %d bytes, got '%.64s'",
                                  kind, CIBUS_MAX_NETWORK, env->topic);
    if (!*network)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' has an empty network: expected <network>/%s",
                                  kind);
    if (!s_is_token (network, false))
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' has a network with spaces or control "
                                  "characters: '%.64s'",
                                  network);
    if (strcmp (env->topic + strlen (network) + 1, kind) != 0)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "field 'topic' is '%.64s' but %s %s body goes to '%s/%s'",
                                  env->topic,
                                  env->body_case == CIBUS__ENVELOPE__BODY_UPDATE
                                          || env->body_case == CIBUS__ENVELOPE__BODY_INDICATOR
                                      ? "an"
                                      : "a",
                                  codec_body_name (env), network, kind);
    //  Refused from the backbone too, which has no networks of its own:
    //  the words must hold for every role, since this rule knows none.
    if (strcmp (network, CODEC_CATALOG_NETWORK) == 0
        && env->body_case != CIBUS__ENVELOPE__BODY_INDICATOR)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                  "network '%s' carries the indicator catalogue only: publish "
                                  "%s to another network",
                                  CODEC_CATALOG_NETWORK, s_body_noun (env));
    switch (env->body_case) {
        case CIBUS__ENVELOPE__BODY_DATA:
            return s_validate_data (env->data, problem);
        case CIBUS__ENVELOPE__BODY_NOTE:
            return s_validate_note (env->note, problem);
        case CIBUS__ENVELOPE__BODY_COMMITMENT:
            return s_validate_commitment (env->commitment, problem);
        case CIBUS__ENVELOPE__BODY_PRACTICE:
            return s_validate_practice (env->practice, problem);
        case CIBUS__ENVELOPE__BODY_INDICATOR:
            if (strcmp (network, CODEC_CATALOG_NETWORK) != 0)
                return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "topic",
                                          "an indicator definition goes to '%s/indicator', "
                                          "not '%.64s'",
                                          CODEC_CATALOG_NETWORK, env->topic);
            return s_validate_indicator (env->indicator, problem);
        default:
            return s_validate_update (env->update, problem);
    }
}

//  ---------------------------------------------------------------- requests

static cibus_err_t
s_validate_subscribe (const Cibus__Subscribe *subscribe, codec_problem_t *problem)
{
    if (subscribe->n_prefixes > CIBUS_MAX_LIST)
        return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "prefixes",
                                  "field 'prefixes' has %zu items, over its limit of %d",
                                  subscribe->n_prefixes, CIBUS_MAX_LIST);
    for (size_t i = 0; i < subscribe->n_prefixes; i++)
        if (strlen (subscribe->prefixes [i]) > CIBUS_MAX_TOPIC)
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "prefixes",
                                      "field 'prefixes' has a prefix over %d bytes",
                                      CIBUS_MAX_TOPIC);
    return CIBUS_OK;
}

static cibus_err_t
s_validate_query (const Cibus__Query *query, codec_problem_t *problem)
{
    cibus_err_t rc;
    if ((rc = s_text (problem, "query.kind", query->kind, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.indicator", query->indicator, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.by", query->by, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.network", query->network, CIBUS_MAX_NETWORK, false))
        || (rc = s_text (problem, "query.owner", query->owner, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.since", query->since, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.period", query->period, CIBUS_MAX_NAME, false))
        || (rc = s_text (problem, "query.today", query->today, CIBUS_MAX_NAME, false)))
        return rc;
    return s_text (problem, "query.practice", query->practice, CIBUS_MAX_NAME, false);
}

cibus_err_t
codec_validate_request (const request_t *request, codec_problem_t *problem)
{
    const ProtobufCMessage *kind = NULL;
    switch (request->kind_case) {
        case CIBUS__REQUEST__KIND_PUBLISH:
            if (!request->publish->envelope)
                return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "envelope",
                                          "field 'envelope' is required");
            //  The envelope's own walk names its fields from the envelope.
            return codec_validate_envelope (request->publish->envelope, problem);
        case CIBUS__REQUEST__KIND_SUBSCRIBE:
            kind = &request->subscribe->base;
            break;
        case CIBUS__REQUEST__KIND_CREDIT:
            kind = &request->credit->base;
            break;
        case CIBUS__REQUEST__KIND_PING:
            kind = &request->ping->base;
            break;
        case CIBUS__REQUEST__KIND_STATUS:
            kind = &request->status->base;
            break;
        case CIBUS__REQUEST__KIND_QUERY:
            kind = &request->query->base;
            break;
        default:
            return codec_problem_set (problem, CIBUS_ERR_BAD_FIELD, "kind",
                                      "unknown or missing request kind: expected publish, "
                                      "subscribe, credit, ping, status or query");
    }
    //  A query's fields have always been named 'query.<name>' in refusals, a
    //  subscription's by their own names ('prefixes'): the walk keeps that.
    bool query = request->kind_case == CIBUS__REQUEST__KIND_QUERY;
    cibus_err_t rc = s_walk_text_from (kind, query ? "query" : "", problem);
    if (rc == CIBUS_OK && query)
        rc = s_validate_query (request->query, problem);
    else if (rc == CIBUS_OK && request->kind_case == CIBUS__REQUEST__KIND_SUBSCRIBE)
        rc = s_validate_subscribe (request->subscribe, problem);
    return rc;
}
