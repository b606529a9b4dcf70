/*
 * trindle-pipe-sender.c — a pipe granted with SEND (its lanes, one per receiving replica, and how messages are
 * spread over them), and the outbox that gathers messages for the next exchange.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trindle-internal.h"

/* ------------------------------------------------------------------------------------------------------------
 * Pipe sender
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_pipe_sender_create(const char *name, size_t name_length, trindle_lane_sender_t **lanes, uint32_t count,
    bool by_key, trindle_pipe_sender_t **sender)
{
    trindle_pipe_sender_t *created = calloc(1, sizeof *created);
    char *copy = malloc(name_length + 1);
    trindle_lane_sender_t **owned = calloc(count == 0 ? 1 : count, sizeof *owned);
    if (created == NULL || copy == NULL || owned == NULL)
    {
        free(created);
        free(copy);
        free(owned);
        for (uint32_t i = 0; i < count; i++)
        {
            trindle_lane_sender_discard(lanes[i]);
        }
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_pipe_sender_create: calloc");
    }
    memcpy(copy, name, name_length);
    copy[name_length] = '\0';
    memcpy(owned, lanes, count * sizeof *owned);
    created->name = copy;
    created->lanes = owned;
    created->count = count;
    created->by_key = by_key;
    atomic_init(&created->next, 0);
    *sender = created;
    return TRINDLE_OK;
}

void trindle_pipe_sender_destroy(trindle_pipe_sender_t *sender)
{
    if (sender != NULL)
    {
        for (uint32_t i = 0; i < sender->count; i++)
        {
            trindle_lane_sender_discard(sender->lanes[i]);
        }
        free(sender->lanes);
        free(sender->name);
        free(sender);
    }
}

const char *trindle_pipe_sender_name(const trindle_pipe_sender_t *sender)
{
    return sender == NULL ? "" : sender->name;
}

uint32_t trindle_pipe_sender_replicas(const trindle_pipe_sender_t *sender)
{
    return sender == NULL ? 0 : sender->count;
}

bool trindle_pipe_sender_by_key(const trindle_pipe_sender_t *sender)
{
    return sender != NULL && sender->by_key;
}

uint32_t trindle_pipe_sender_max_payload_length(const trindle_pipe_sender_t *sender)
{
    if (sender == NULL || sender->count == 0)
    {
        return 0;
    }
    /* Every lane of a pipe has the same capacity; the smallest is still the safe answer if one did not. */
    uint32_t smallest = UINT32_MAX;
    for (uint32_t i = 0; i < sender->count; i++)
    {
        const uint32_t largest = trindle_lane_sender_max_payload_length(sender->lanes[i]);
        smallest = largest < smallest ? largest : smallest;
    }
    return smallest;
}

/**
 * The replica a key belongs to: exactly io.trindle.runtime.PipeSender's mix and Math.floorMod, so C and Java
 * senders of one pipe send a key to the same replica. Multiplying by the 64-bit golden ratio spreads keys that
 * differ only in a few bits (small integers) over all replicas.
 */
static uint32_t replica_of(uint64_t key, uint32_t replicas)
{
    uint64_t x = key * 0x9E3779B97F4A7C15ull;
    x ^= x >> 32;
    const int64_t mixed = (int64_t)x;
    int64_t replica = mixed % (int64_t)replicas;
    if (replica < 0)
    {
        replica += replicas;
    }
    return (uint32_t)replica;
}

trindle_lane_sender_t *trindle_pipe_sender_lane(trindle_pipe_sender_t *sender, uint64_t key)
{
    if (sender == NULL || sender->count == 0)
    {
        return NULL;
    }
    if (sender->count == 1)
    {
        return sender->lanes[0];
    }
    if (sender->by_key)
    {
        return sender->lanes[replica_of(key, sender->count)];
    }
    return sender->lanes[atomic_fetch_add_explicit(&sender->next, 1, memory_order_relaxed) % sender->count];
}

int trindle_pipe_sender_send(trindle_pipe_sender_t *sender, const void *data, uint32_t length, int64_t timeout_ns)
{
    return trindle_pipe_sender_send_key(sender, 0, data, length, timeout_ns);
}

int trindle_pipe_sender_send_key(
    trindle_pipe_sender_t *sender, uint64_t key, const void *data, uint32_t length, int64_t timeout_ns)
{
    if (sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_sender_send: sender=NULL");
    }
    return trindle_lane_sender_send(trindle_pipe_sender_lane(sender, key), data, length, timeout_ns);
}

int trindle_pipe_sender_end_streams(trindle_pipe_sender_t *sender)
{
    if (sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_sender_end_streams: sender=NULL");
    }
    for (uint32_t i = 0; i < sender->count; i++)
    {
        (void)trindle_lane_sender_end_stream(sender->lanes[i]); /* never fails for a lane of a sender */
    }
    return TRINDLE_OK;
}

/* ------------------------------------------------------------------------------------------------------------
 * Outbox
 * ------------------------------------------------------------------------------------------------------------ */

struct trindle_outbox_entry
{
    trindle_pipe_sender_t *pipe;
    uint64_t key;
    size_t offset;
    uint32_t length;
    bool keyed;
};

struct trindle_outbox
{
    uint8_t *buffer;
    size_t max_bytes;
    size_t used;
    struct trindle_outbox_entry *entries;
    uint32_t max_messages;
    /** Messages [first, size) wait to be sent; a failed send_all leaves first at the one that failed. */
    uint32_t first;
    uint32_t size;
};

int trindle_outbox_create(uint32_t max_messages, size_t max_bytes, trindle_outbox_t **outbox)
{
    if (outbox == NULL || max_messages < 1 || max_bytes < 1)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_outbox_create: max_messages=%" PRIu32 ", max_bytes=%zu "
            "must be positive (outbox=%p)",
            max_messages, max_bytes, (void *)outbox);
    }
    trindle_outbox_t *created = calloc(1, sizeof *created);
    uint8_t *buffer = malloc(max_bytes);
    struct trindle_outbox_entry *entries = calloc(max_messages, sizeof *entries);
    if (created == NULL || buffer == NULL || entries == NULL)
    {
        free(created);
        free(buffer);
        free(entries);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM,
            "trindle_outbox_create: max_messages=%" PRIu32 ", max_bytes=%zu", max_messages, max_bytes);
    }
    created->buffer = buffer;
    created->max_bytes = max_bytes;
    created->entries = entries;
    created->max_messages = max_messages;
    *outbox = created;
    return TRINDLE_OK;
}

static int add(
    trindle_outbox_t *outbox, trindle_pipe_sender_t *pipe, bool keyed, uint64_t key, const void *data, uint32_t length)
{
    if (outbox == NULL || pipe == NULL || (data == NULL && length > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_outbox_add: outbox=%p, pipe=%p, data=%p", (void *)outbox,
            (void *)pipe, data);
    }
    const uint32_t largest = trindle_pipe_sender_max_payload_length(pipe);
    if (length > largest)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_outbox_add: message length=%" PRIu32 " exceeds pipe '%s' "
            "maxPayloadLength=%" PRIu32,
            length, pipe->name, largest);
    }
    if (outbox->size == outbox->max_messages || outbox->used > outbox->max_bytes ||
        length > outbox->max_bytes - outbox->used)
    {
        return TRINDLE_E_FULL;
    }
    struct trindle_outbox_entry *entry = &outbox->entries[outbox->size++];
    entry->pipe = pipe;
    entry->key = key;
    entry->keyed = keyed;
    entry->offset = outbox->used;
    entry->length = length;
    if (length > 0)
    {
        memcpy(outbox->buffer + outbox->used, data, length);
    }
    outbox->used += ((size_t)length + 7) & ~(size_t)7;
    return TRINDLE_OK;
}

int trindle_outbox_add(trindle_outbox_t *outbox, trindle_pipe_sender_t *pipe, const void *data, uint32_t length)
{
    return add(outbox, pipe, false, 0, data, length);
}

int trindle_outbox_add_key(
    trindle_outbox_t *outbox, trindle_pipe_sender_t *pipe, uint64_t key, const void *data, uint32_t length)
{
    return add(outbox, pipe, true, key, data, length);
}

uint32_t trindle_outbox_size(const trindle_outbox_t *outbox)
{
    return outbox == NULL ? 0 : outbox->size - outbox->first;
}

int trindle_outbox_send_all(trindle_outbox_t *outbox, int64_t timeout_ns)
{
    if (outbox == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_outbox_send_all: outbox=NULL");
    }
    for (uint32_t i = outbox->first; i < outbox->size; i++)
    {
        const struct trindle_outbox_entry *entry = &outbox->entries[i];
        const int result =
            trindle_lane_sender_send(trindle_pipe_sender_lane(entry->pipe, entry->keyed ? entry->key : 0),
                outbox->buffer + entry->offset, entry->length, timeout_ns);
        if (result != TRINDLE_OK)
        {
            outbox->first = i;
            return result;
        }
    }
    outbox->first = 0;
    outbox->size = 0;
    outbox->used = 0;
    return TRINDLE_OK;
}

void trindle_outbox_destroy(trindle_outbox_t *outbox)
{
    if (outbox != NULL)
    {
        free(outbox->buffer);
        free(outbox->entries);
        free(outbox);
    }
}
