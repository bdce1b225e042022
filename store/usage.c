/*  usage.c - the bytes each partner has stored; see usage.h.

    Design
    ------
    The batch's sums are an open-addressing hash of partner names (linear
    probing), made at the first entry and kept: a batch of CIBUS_BATCH_MAX
    entries of as many partners fills it at most half. A store that
    writes longer batches (a replica catching up) writes its sums out
    whenever it is half full, in the same transaction, so that it never
    fills. A name too long to hold is added to the table at once.        */

#include "usage.h"

#include "store_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_SLOTS (2 * CIBUS_BATCH_MAX) /* a power of two */
_Static_assert((S_SLOTS & (S_SLOTS - 1)) == 0, "the slots are a power of two");

typedef struct {
    char name [CIBUS_MAX_NAME + 1]; /* "" is a free slot */
    uint64_t bytes;
} s_slot_t;

struct store_usage_t {
    s_slot_t slots [S_SLOTS];
    uint32_t used [S_SLOTS]; /* the slots taken, in the order they were */
    uint32_t count;
};

enum { S_ADD = 0, S_GET };

static const char *const s_sql [STORE_USAGE_STMTS] = {
    [S_ADD] = "INSERT INTO partner_usage (partner, bytes) VALUES (?1, ?2) "
              "ON CONFLICT (partner) DO UPDATE SET bytes = bytes + excluded.bytes",
    [S_GET] = "SELECT bytes FROM partner_usage WHERE partner = ?",
};

cibus_err_t
usage_prepare (store_t *self)
{
    return store_prepare_all (self, self->usage_stmts, s_sql, STORE_USAGE_STMTS);
}

void
usage_finalize (store_t *self)
{
    store_finalize_all (self->usage_stmts, STORE_USAGE_STMTS);
    free (self->usage);
    self->usage = NULL;
}

static cibus_err_t
s_put (store_t *self, const char *partner, uint64_t bytes)
{
    sqlite3_stmt *stmt = self->usage_stmts [S_ADD];
    sqlite3_bind_text (stmt, 1, partner, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)bytes);
    return store_step_done (self, stmt, "usage-add");
}

//  FNV-1a of the name, to a slot.
static uint32_t
s_slot_of (const char *name)
{
    uint32_t hash = 2166136261u;
    for (const unsigned char *at = (const unsigned char *)name; *at; at++)
        hash = (hash ^ *at) * 16777619u;
    return hash & (S_SLOTS - 1);
}

//  The slot of name: its own, or the free one it would take.
static s_slot_t *
s_find (struct store_usage_t *usage, const char *name)
{
    uint32_t at = s_slot_of (name);
    while (usage->slots [at].name [0] && strcmp (usage->slots [at].name, name) != 0)
        at = (at + 1) & (S_SLOTS - 1);
    return &usage->slots [at];
}

cibus_err_t
usage_add (store_t *self, const char *partner, size_t bytes)
{
    size_t len = strlen (partner);
    if (len == 0 || len > CIBUS_MAX_NAME)
        return s_put (self, partner, bytes);
    if (!self->usage && !(self->usage = calloc (1, sizeof *self->usage)))
        return CIBUS_ERR_NOMEM;
    struct store_usage_t *usage = self->usage;
    if (usage->count == S_SLOTS / 2) {
        cibus_err_t err = usage_write (self);
        if (err)
            return err;
    }
    s_slot_t *slot = s_find (usage, partner);
    if (!slot->name [0]) {
        memcpy (slot->name, partner, len + 1);
        slot->bytes = 0;
        usage->used [usage->count++] = (uint32_t)(slot - usage->slots);
    }
    slot->bytes += bytes;
    return CIBUS_OK;
}

cibus_err_t
usage_write (store_t *self)
{
    struct store_usage_t *usage = self->usage;
    cibus_err_t err = CIBUS_OK;
    for (uint32_t i = 0; usage && err == CIBUS_OK && i < usage->count; i++) {
        const s_slot_t *slot = &usage->slots [usage->used [i]];
        err = s_put (self, slot->name, slot->bytes);
    }
    //  Written or failed, the sums are the transaction's now: a failure
    //  rolls it back, and them with it.
    usage_forget (self);
    return err;
}

void
usage_forget (store_t *self)
{
    struct store_usage_t *usage = self->usage;
    for (uint32_t i = 0; usage && i < usage->count; i++)
        usage->slots [usage->used [i]].name [0] = 0;
    if (usage)
        usage->count = 0;
}

cibus_err_t
usage_of (store_t *self, const char *partner, uint64_t *bytes)
{
    sqlite3_stmt *stmt = self->usage_stmts [S_GET];
    sqlite3_bind_text (stmt, 1, partner, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    *bytes = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64 (stmt, 0) : 0;
    store_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail (self, "usage");
    size_t len = strlen (partner);
    if (self->usage && len && len <= CIBUS_MAX_NAME) {
        const s_slot_t *slot = s_find (self->usage, partner);
        if (slot->name [0])
            *bytes += slot->bytes;
    }
    return CIBUS_OK;
}
