/*
 * trindle-lane-reader.c — reading one lane as its receiver (docs/pipe-format.md §5, §8): every position checked
 * against the receiver's own copies, a broken lane marked corrupt with the reason, a claim whose sender died
 * turned into padding, and releases published for the sender.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "trindle-internal.h"

static void corrupt(struct trindle_lane_reader *reader, const char *format, ...) __attribute__((format(printf, 2, 3)));

/** Marks the lane corrupt with the reason; the receiver reports it once and reads the lane no more. */
static void corrupt(struct trindle_lane_reader *reader, const char *format, ...)
{
    int length = snprintf(reader->fault, sizeof reader->fault,
        "lane %" PRIu32 " of pipe 0x%" PRIx64 " is corrupt: ", reader->lane.lane_id, reader->lane.pipe_id);
    if (length > 0 && (size_t)length < sizeof reader->fault)
    {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(reader->fault + length, sizeof reader->fault - (size_t)length, format, arguments);
        va_end(arguments);
    }
    reader->state = TRINDLE_LANE_CORRUPT;
    reader->fault_reported = false;
}

/**
 * Turns the record claimed at the read position and never committed (its sender died mid-send) into padding that
 * reaches the next committed record, or the tail, or the ring's end, whichever is first (§8). `tail` was checked.
 */
static void pad_dead_claim(struct trindle_lane_reader *reader, uint64_t tail)
{
    struct trindle_lane *lane = &reader->lane;
    const uint64_t position = reader->position;
    uint8_t *record = lane->ring + (position & lane->mask);
    const uint64_t to_end = lane->capacity - (position & lane->mask);
    const uint64_t limit = tail < position + to_end ? tail : position + to_end;
    uint64_t next = position + TRINDLE_RECORD_ALIGNMENT;
    while (next < limit &&
        atomic_load_explicit(trindle_u64(lane->ring + (next & lane->mask), TRINDLE_RECORD_STAMP_OFFSET),
            memory_order_acquire) != next + 1)
    {
        next += TRINDLE_RECORD_ALIGNMENT;
    }
    const uint64_t gap = (next < limit ? next : limit) - position;
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET),
        (uint32_t)(gap - TRINDLE_RECORD_HEADER_LENGTH), memory_order_relaxed);
    atomic_store_explicit(
        trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), TRINDLE_RECORD_TYPE_PADDING, memory_order_relaxed);
    atomic_store_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), position + 1, memory_order_release);
}

/**
 * Called when nothing is committed at the read position (§5, "at the end of what was committed"): if the lane's
 * ended word is set, either the lane has ended here, or something is still to be read after all. The tail is read
 * here alone, and checked every time: the sender stores it at every claim, so a receiver that watched it while the
 * lane is busy would share a second cache line with the sender.
 *
 * @return whether to look at the read position again: something committed is still to be read, or a claim its
 *         sender never committed was turned into padding. When false, the lane is empty for now, or no longer open.
 */
static bool ended_here(struct trindle_lane_reader *reader)
{
    if (reader->state != TRINDLE_LANE_OPEN ||
        atomic_load_explicit(trindle_u32(reader->lane.header, TRINDLE_LANE_ENDED_OFFSET), memory_order_acquire) == 0)
    {
        return false;
    }
    /* Loaded after the ended word (acquire): everything the sender committed before ending is visible now. */
    const uint64_t tail =
        atomic_load_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_TAIL_OFFSET), memory_order_acquire);
    const uint64_t position = reader->position;
    if (tail < position || tail - reader->released > reader->lane.capacity ||
        (tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        corrupt(reader,
            "tail=%" PRIu64 " is impossible: read position=%" PRIu64 ", released=%" PRIu64 ", capacity=%" PRIu32, tail,
            position, reader->released, reader->lane.capacity);
        return false;
    }
    if (position == tail)
    {
        /* Ended is never cleared, and the head stays where it was released: a later receiver sees the end too. */
        reader->state = TRINDLE_LANE_ENDED;
        return false;
    }
    if (atomic_load_explicit(
            trindle_u64(reader->lane.ring + (position & reader->lane.mask), TRINDLE_RECORD_STAMP_OFFSET),
            memory_order_acquire) != position + 1)
    {
        pad_dead_claim(reader, tail); /* claimed, never committed: its sender will send no more */
    }
    return true;
}

int64_t trindle_lane_reader_next(struct trindle_lane_reader *reader, uint32_t lane_index, trindle_message_t *message)
{
    struct trindle_lane *lane = &reader->lane;
    while (reader->state == TRINDLE_LANE_OPEN)
    {
        const uint64_t position = reader->position;
        const uint32_t index = (uint32_t)(position & lane->mask);
        uint8_t *record = lane->ring + index;
        /* Found by its stamp alone, bounded by the room this receiver released (§5 steps 1 and 2). */
        if (position - reader->released >= lane->capacity ||
            atomic_load_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) !=
                position + 1) /* nothing more, or claimed and not yet committed */
        {
            if (!ended_here(reader))
            {
                return reader->state == TRINDLE_LANE_OPEN ? TRINDLE_READ_EMPTY : TRINDLE_READ_STOPPED;
            }
            continue;
        }
        /* Each loaded once: a hostile sender changing them now cannot make a checked value differ from the used. */
        const uint32_t length =
            atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET), memory_order_relaxed);
        const uint32_t type =
            atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), memory_order_relaxed);
        uint32_t limit;
        switch (type)
        {
            case TRINDLE_RECORD_TYPE_MESSAGE:
            case TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES:
                limit = lane->max_payload_length;
                break;
            case TRINDLE_RECORD_TYPE_PADDING:
                limit = lane->capacity - TRINDLE_RECORD_HEADER_LENGTH;
                break;
            case TRINDLE_RECORD_TYPE_MOVED:
                limit = TRINDLE_MOVED_LENGTH;
                break;
            default:
                corrupt(reader, "record at position=%" PRIu64 " has unknown type=%" PRIu32 " (length=%" PRIu32 ")",
                    position, type, length);
                return TRINDLE_READ_STOPPED;
        }
        if (length > limit)
        {
            corrupt(reader,
                "record at position=%" PRIu64 " of type=%" PRIu32 ": length=%" PRIu32 " exceeds its limit=%" PRIu32,
                position, type, length, limit);
            return TRINDLE_READ_STOPPED;
        }
        const uint32_t record_length = trindle_record_length(length);
        if ((uint64_t)index + record_length > lane->capacity ||
            position + record_length - reader->released > lane->capacity)
        {
            corrupt(reader,
                "record at position=%" PRIu64 ": length=%" PRIu32 " runs past the ring's end "
                "(capacity=%" PRIu32 ") or past the room the receiver released (released=%" PRIu64 ")",
                position, length, lane->capacity, reader->released);
            return TRINDLE_READ_STOPPED;
        }
        uint8_t *payload = record + TRINDLE_RECORD_HEADER_LENGTH;
        uint32_t attachments = 0;
        if (type == TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES)
        {
            /* §3.4: the block must hold 1 … 64 entries and fit the record; the count is loaded once. */
            const uint32_t count = length < TRINDLE_ATTACHMENT_ENTRIES_OFFSET
                ? 0
                : atomic_load_explicit(trindle_u32(payload, TRINDLE_ATTACHMENT_COUNT_OFFSET), memory_order_relaxed);
            if (count < 1 || count > TRINDLE_MAX_ATTACHMENTS ||
                TRINDLE_ATTACHMENT_ENTRIES_OFFSET + count * TRINDLE_ATTACHMENT_ENTRY_LENGTH > length)
            {
                corrupt(reader,
                    "record at position=%" PRIu64 " with handles: count=%" PRIu32 " does not fit "
                    "length=%" PRIu32 " (1..%d handles)",
                    position, count, length, TRINDLE_MAX_ATTACHMENTS);
                return TRINDLE_READ_STOPPED;
            }
            attachments = count;
        }
        switch (type)
        {
            case TRINDLE_RECORD_TYPE_MESSAGE:
            case TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES:
            {
                const uint32_t block = attachments == 0
                    ? 0
                    : TRINDLE_ATTACHMENT_ENTRIES_OFFSET + attachments * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
                reader->position = position + record_length;
                reader->delivered_count++;
                message->payload = payload + block;
                message->length = length - block;
                message->lane_id = lane->lane_id;
                message->pipe_id = lane->pipe_id;
                message->sequence = position;
                message->lane_index = lane_index;
                message->reserved = 0;
                message->release_position = reader->position;
                message->release_count = reader->delivered_count;
                message->attachment_count = attachments;
                message->reserved2 = 0;
                message->attachment_token = attachments == 0
                    ? 0
                    : atomic_load_explicit(trindle_u64(payload, TRINDLE_ATTACHMENT_TOKEN_OFFSET), memory_order_relaxed);
                message->attachments = attachments == 0 ? NULL : payload + TRINDLE_ATTACHMENT_ENTRIES_OFFSET;
                return message->length;
            }
            case TRINDLE_RECORD_TYPE_MOVED:
            {
                const uint64_t start =
                    atomic_load_explicit(trindle_u64(payload, TRINDLE_MOVED_START_OFFSET), memory_order_relaxed);
                if (length != TRINDLE_MOVED_LENGTH || start != position + record_length)
                {
                    corrupt(reader,
                        "moved record at position=%" PRIu64 ": length=%" PRIu32 ", start=%" PRIu64
                        " (must be %d and %" PRIu64 ")",
                        position, length, start, TRINDLE_MOVED_LENGTH, position + record_length);
                    return TRINDLE_READ_STOPPED;
                }
                reader->moved_generation =
                    atomic_load_explicit(trindle_u32(payload, TRINDLE_MOVED_GENERATION_OFFSET), memory_order_relaxed);
                reader->moved_capacity =
                    atomic_load_explicit(trindle_u32(payload, TRINDLE_MOVED_CAPACITY_OFFSET), memory_order_relaxed);
                reader->moved_start = start;
                return TRINDLE_READ_MOVED; /* the read position stays at the record until the receiver follows it */
            }
            default: /* padding: the types were checked above */
                if (position != reader->padding_to)
                {
                    reader->padding_from = position;
                }
                reader->position = position + record_length;
                reader->padding_to = reader->position;
                break;
        }
    }
    return TRINDLE_READ_STOPPED;
}

struct trindle_lane_reader *trindle_lane_reader_follow(struct trindle_lane_reader *reader, int fd)
{
    struct trindle_lane_reader *next = calloc(1, sizeof *next);
    if (next == NULL)
    {
        close(fd);
        corrupt(reader, "no memory to open the lane it moved to");
        return NULL;
    }
    if (trindle_lane_map("trindle_pipe_receiver (a moved lane)", fd, &next->lane) != TRINDLE_OK)
    {
        close(fd);
        free(next);
        corrupt(reader, "the lane it moved to is broken: %s", trindle_last_error());
        return NULL;
    }
    trindle_lane_reader_start(next);
    const struct trindle_lane *lane = &next->lane;
    if (next->state != TRINDLE_LANE_OPEN || lane->pipe_id != reader->lane.pipe_id ||
        lane->lane_id != reader->lane.lane_id || lane->generation != reader->moved_generation ||
        lane->capacity != reader->moved_capacity || next->position < reader->moved_start)
    {
        corrupt(reader,
            "moved record at position=%" PRIu64 " names generation=%" PRIu32 ", capacity=%" PRIu32 ", start=%" PRIu64
            ", but the new lane has pipe=0x%" PRIx64 ", lane=%" PRIu32 ", generation=%" PRIu32 ", capacity=%" PRIu32
            ", head=%" PRIu64,
            reader->position, reader->moved_generation, reader->moved_capacity, reader->moved_start, lane->pipe_id,
            lane->lane_id, lane->generation, lane->capacity, next->position);
        trindle_lane_unmap(&next->lane);
        free(next);
        return NULL;
    }
    /* Counts go on from the old lane's, for status tools. */
    next->delivered_count = reader->delivered_count;
    next->released_count = reader->released_count;
    next->start = reader->moved_start;
    /* Padding just before the record holds no message: the last message ends where that padding starts. */
    reader->retire_at = reader->padding_to == reader->position ? reader->padding_from : reader->position;
    reader->position = reader->moved_start;
    next->previous = reader;
    if (reader->released >= reader->retire_at)
    {
        trindle_lane_reader_release(next, next->start, next->released_count);
    }
    return next;
}

void trindle_lane_reader_free(struct trindle_lane_reader *reader)
{
    while (reader != NULL)
    {
        struct trindle_lane_reader *previous = reader->previous;
        trindle_lane_unmap(&reader->lane);
        free(reader);
        reader = previous;
    }
}

/**
 * Every message of the lanes `reader` replaced is released: releases each through its moved record (its head then
 * reaches the start of the lane after it, which tells the supervisor the move is done), and closes them.
 */
static void retire_previous(struct trindle_lane_reader *reader)
{
    for (struct trindle_lane_reader *old = reader->previous; old != NULL; old = old->previous)
    {
        atomic_store_explicit(
            trindle_u64(old->lane.header, TRINDLE_LANE_HEAD_OFFSET), old->position, memory_order_release);
        atomic_thread_fence(memory_order_seq_cst);
        trindle_lane_wake_senders(&old->lane);
    }
    trindle_lane_reader_free(reader->previous);
    reader->previous = NULL;
}

/* Head, then count, then a full fence, then wake senders. */
void trindle_lane_reader_release(struct trindle_lane_reader *reader, uint64_t end, uint64_t count)
{
    if (reader->previous != NULL)
    {
        /* Release is cumulative over the lane id: a message of this lane releases every one of the lanes before. */
        struct trindle_lane_reader *old = reader->previous;
        if (end < reader->start)
        {
            trindle_lane_reader_release(old, end, count);
            if (old->released >= old->retire_at && old->previous == NULL)
            {
                retire_previous(reader);
            }
            return;
        }
        retire_previous(reader);
    }
    if (end <= reader->released)
    {
        return;
    }
    reader->released = end;
    if (count > reader->released_count)
    {
        reader->released_count = count;
    }
    atomic_store_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_HEAD_OFFSET), end, memory_order_release);
    atomic_store_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_RELEASED_COUNT_OFFSET), reader->released_count,
        memory_order_release);
    /* Pairs with a sender's announce-then-claim: the head store is visible before the load of its word. */
    atomic_thread_fence(memory_order_seq_cst);
    trindle_lane_wake_senders(&reader->lane);
}

void trindle_lane_reader_start(struct trindle_lane_reader *reader)
{
    /* A new receiver starts where the last one released: everything after is delivered (again). */
    const uint64_t head =
        atomic_load_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_HEAD_OFFSET), memory_order_acquire);
    reader->state = TRINDLE_LANE_OPEN;
    reader->position = head;
    reader->released = head;
    reader->released_count = atomic_load_explicit(
        trindle_u64(reader->lane.header, TRINDLE_LANE_RELEASED_COUNT_OFFSET), memory_order_acquire);
    reader->delivered_count = reader->released_count;
    if (head > (uint64_t)INT64_MAX || (head & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        corrupt(reader, "head=%" PRIu64 " is not a valid release position", head);
    }
    /* An earlier receiver may have died between releasing and waking a sender that waits for room. */
    trindle_lane_wake_senders(&reader->lane);
}

int trindle_lane_reader_unblock(struct trindle_lane_reader *reader)
{
    struct trindle_lane *lane = &reader->lane;
    if (reader->state != TRINDLE_LANE_OPEN)
    {
        return 0;
    }
    const uint64_t position = reader->position;
    const uint64_t tail =
        atomic_load_explicit(trindle_u64(lane->header, TRINDLE_LANE_TAIL_OFFSET), memory_order_acquire);
    uint8_t *record = lane->ring + (position & lane->mask);
    if (tail <= position || tail - reader->released > lane->capacity || (tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0 ||
        atomic_load_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) == position + 1)
    {
        return 0;
    }
    pad_dead_claim(reader, tail);
    return 1;
}
