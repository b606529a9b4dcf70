/*
 * trindle-inbox.c — the inbox: a batch of received messages, held in place in their lanes until released
 * together (one release per lane per batch), and the attachments a message carries (docs/pipe-format.md §3.4).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "trindle-internal.h"

void trindle_inbox_attach(trindle_inbox_t *inbox, trindle_pipe_receiver_t *receiver)
{
    inbox->receiver = receiver;
    inbox->previous = NULL;
    inbox->next = receiver->inboxes;
    if (receiver->inboxes != NULL)
    {
        receiver->inboxes->previous = inbox;
    }
    receiver->inboxes = inbox;
}

void trindle_inbox_detach(trindle_inbox_t *inbox)
{
    trindle_pipe_receiver_t *receiver = inbox->receiver;
    if (receiver == NULL)
    {
        return;
    }
    if (inbox->previous != NULL)
    {
        inbox->previous->next = inbox->next;
    }
    else
    {
        receiver->inboxes = inbox->next;
    }
    if (inbox->next != NULL)
    {
        inbox->next->previous = inbox->previous;
    }
    inbox->receiver = NULL;
    inbox->previous = NULL;
    inbox->next = NULL;
}

int trindle_inbox_create(uint32_t capacity, trindle_inbox_t **inbox)
{
    if (inbox == NULL || capacity < 1)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_inbox_create: capacity=%" PRIu32 " must be at least 1 "
            "(inbox=%p)",
            capacity, (void *)inbox);
    }
    trindle_inbox_t *created = calloc(1, sizeof *created);
    trindle_message_t *messages = calloc(capacity, sizeof *messages);
    uint32_t *touched = calloc(capacity, sizeof *touched);
    if (created == NULL || messages == NULL || touched == NULL)
    {
        free(created);
        free(messages);
        free(touched);
        return trindle_fail(
            TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_inbox_create: calloc(capacity=%" PRIu32 ")", capacity);
    }
    created->messages = messages;
    created->touched = touched;
    created->capacity = capacity;
    *inbox = created;
    return TRINDLE_OK;
}

uint32_t trindle_inbox_size(const trindle_inbox_t *inbox)
{
    return inbox == NULL ? 0 : inbox->size;
}

uint32_t trindle_inbox_capacity(const trindle_inbox_t *inbox)
{
    return inbox == NULL ? 0 : inbox->capacity;
}

const trindle_message_t *trindle_inbox_message(const trindle_inbox_t *inbox, uint32_t index)
{
    return inbox == NULL || index >= inbox->size ? NULL : &inbox->messages[index];
}

int trindle_inbox_release(trindle_inbox_t *inbox)
{
    if (inbox == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_inbox_release: inbox=NULL");
    }
    trindle_pipe_receiver_t *receiver = inbox->receiver;
    if (receiver != NULL)
    {
        /* Gather the furthest end per lane, then release each lane once: one head store and at most one wake-up
         * per lane per batch. */
        uint32_t touched = 0;
        for (uint32_t i = 0; i < inbox->size; i++)
        {
            const trindle_message_t *message = &inbox->messages[i];
            struct trindle_lane_reader *reader = receiver->lanes[message->lane_index];
            if (!reader->pending)
            {
                reader->pending = true;
                reader->pending_end = message->release_position;
                reader->pending_count = message->release_count;
                inbox->touched[touched++] = message->lane_index;
            }
            else
            {
                if (message->release_position > reader->pending_end)
                {
                    reader->pending_end = message->release_position;
                }
                if (message->release_count > reader->pending_count)
                {
                    reader->pending_count = message->release_count;
                }
            }
        }
        for (uint32_t i = 0; i < touched; i++)
        {
            struct trindle_lane_reader *reader = receiver->lanes[inbox->touched[i]];
            trindle_lane_reader_release(reader, reader->pending_end, reader->pending_count);
            reader->pending = false;
        }
        trindle_inbox_detach(inbox);
    }
    inbox->size = 0;
    return TRINDLE_OK;
}

void trindle_inbox_destroy(trindle_inbox_t *inbox)
{
    if (inbox != NULL)
    {
        trindle_inbox_detach(inbox);
        free(inbox->messages);
        free(inbox->touched);
        free(inbox);
    }
}

int trindle_message_attachment(const trindle_message_t *message, uint32_t index, trindle_attachment_t *attachment)
{
    if (message == NULL || attachment == NULL || index >= message->attachment_count || message->attachments == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_message_attachment: index=%" PRIu32 " of %" PRIu32 " attachments", index,
            message == NULL ? 0 : message->attachment_count);
    }
    uint8_t *entry = (uint8_t *)(uintptr_t)message->attachments + (size_t)index * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
    attachment->kind = atomic_load_explicit(trindle_u32(entry, TRINDLE_ATTACHMENT_KIND_OFFSET), memory_order_relaxed);
    attachment->rights =
        atomic_load_explicit(trindle_u32(entry, TRINDLE_ATTACHMENT_RIGHTS_OFFSET), memory_order_relaxed);
    attachment->size = atomic_load_explicit(trindle_u64(entry, TRINDLE_ATTACHMENT_SIZE_OFFSET), memory_order_relaxed);
    return TRINDLE_OK;
}
