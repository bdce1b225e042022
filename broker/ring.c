/*  ring.c - the last entries of the log, in memory; see ring.h.

    Slots are reused in place: each keeps the buffer its last entry needed,
    so once the ring has gone round, pushing an entry allocates nothing.   */

#include "ring.h"

#include "cibus_limits.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t seq;
    char topic [CIBUS_MAX_TOPIC + 1];
    char owner [CIBUS_MAX_NAME + 1];
    bool has_owner;
    uint8_t *data; /* the envelope, then its masked copy */
    size_t size;
    size_t masked_size;
    size_t capacity;
} s_slot_t;

struct ring_t {
    s_slot_t *slots;
    size_t capacity;
    size_t max_entry;
    uint64_t first;     /* seq of the oldest entry held; 0 when empty */
    uint64_t last;      /* seq of the newest entry held */
};

ring_t *
ring_new (size_t capacity, size_t max_entry)
{
    ring_t *self = calloc (1, sizeof *self);
    if (self)
        self->slots = calloc (capacity ? capacity : 1, sizeof (s_slot_t));
    if (!self || !self->slots) {
        free (self);
        return NULL;
    }
    self->capacity = capacity ? capacity : 1;
    self->max_entry = max_entry;
    return self;
}

void
ring_destroy (ring_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ring_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        free (self->slots [i].data);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static void
s_empty (ring_t *self)
{
    self->first = self->last = 0;
}

void
ring_clear (ring_t *self)
{
    s_empty (self);
}

bool
ring_push (ring_t *self, const store_entry_t *entry)
{
    uint64_t seq = entry->seq;
    if (self->first && seq != self->last + 1)
        s_empty (self);
    size_t topic_len = strlen (entry->topic);
    size_t owner_len = entry->owner ? strlen (entry->owner) : 0;
    size_t masked_size = entry->owner ? entry->masked_size : 0;
    size_t size = entry->size + masked_size;
    if (size > self->max_entry || topic_len > CIBUS_MAX_TOPIC || owner_len > CIBUS_MAX_NAME) {
        s_empty (self);
        return true;
    }
    s_slot_t *slot = &self->slots [seq % self->capacity];
    if (slot->capacity < size) {
        uint8_t *data = realloc (slot->data, size);
        if (!data) {
            s_empty (self);
            return false;
        }
        slot->data = data;
        slot->capacity = size;
    }
    memcpy (slot->data, entry->envelope, entry->size);
    if (masked_size)
        memcpy (slot->data + entry->size, entry->masked, masked_size);
    memcpy (slot->topic, entry->topic, topic_len + 1);
    slot->has_owner = entry->owner != NULL;
    if (entry->owner)
        memcpy (slot->owner, entry->owner, owner_len + 1);
    slot->size = entry->size;
    slot->masked_size = masked_size;
    slot->seq = seq;
    if (!self->first)
        self->first = seq;
    self->last = seq;
    if (self->last - self->first + 1 > self->capacity)
        self->first = self->last - self->capacity + 1;
    return true;
}

void
ring_truncate (ring_t *self, uint64_t seq)
{
    if (!self->first || seq >= self->last)
        return;
    if (seq < self->first)
        s_empty (self);
    else
        self->last = seq;
}

bool
ring_has (ring_t *self, uint64_t seq)
{
    return self->first && seq >= self->first && seq <= self->last;
}

size_t
ring_read_from (ring_t *self, uint64_t from, size_t max, store_read_fn *fn, void *arg)
{
    size_t read = 0;
    for (uint64_t seq = from; ring_has (self, seq) && read < max; seq++) {
        const s_slot_t *slot = &self->slots [seq % self->capacity];
        store_entry_t entry = {
            .seq = slot->seq,
            .topic = slot->topic,
            .envelope = slot->data,
            .size = slot->size,
            .owner = slot->has_owner ? slot->owner : NULL,
            .masked = slot->has_owner ? slot->data + slot->size : NULL,
            .masked_size = slot->masked_size,
        };
        read++;
        if (!fn (&entry, arg))
            break;
    }
    return read;
}
