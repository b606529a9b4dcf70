/*
 * trindle-receiver.c — reading the lanes of one or several pipes (docs/pipe-format.md §5, §6, §8), and the
 * inbox that holds a batch of what was read until it is released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trindle-internal.h"

/* What reader_next returns besides a payload length. */
#define READ_EMPTY (-1)
#define READ_STOPPED (-2)

/** With more open lanes than one futex_waitv takes (or none to sleep on), look again this often. */
#define POLL_WHEN_TOO_MANY_LANES_NANOS 1000000LL

/* ------------------------------------------------------------------------------------------------------------
 * One lane
 * ------------------------------------------------------------------------------------------------------------ */

static void corrupt(struct trindle_lane_reader *reader, const char *format, ...) __attribute__((format(printf, 2, 3)));

/** Marks the lane corrupt with the reason; the receiver reports it once and reads the lane no more. */
static void corrupt(struct trindle_lane_reader *reader, const char *format, ...)
{
    int length = snprintf(reader->fault, sizeof reader->fault, "lane %" PRIu32 " of pipe 0x%" PRIx64 " is corrupt: ",
        reader->lane.lane_id, reader->lane.pipe_id);
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

/** @return whether the tail moved on; marks the lane corrupt if the new tail is impossible (§5 step 1). */
static bool refresh_tail(struct trindle_lane_reader *reader)
{
    const uint64_t tail = atomic_load_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_TAIL_OFFSET),
        memory_order_acquire);
    if (tail == reader->tail)
    {
        return false;
    }
    if (tail < reader->position || tail - reader->released > reader->lane.capacity ||
        (tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        corrupt(reader, "tail=%" PRIu64 " is impossible: read position=%" PRIu64 ", released=%" PRIu64
            ", capacity=%" PRIu32, tail, reader->position, reader->released, reader->lane.capacity);
        return false;
    }
    reader->tail = tail;
    return true;
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
    while (next < limit && atomic_load_explicit(trindle_u64(lane->ring + (next & lane->mask),
        TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) != next + 1)
    {
        next += TRINDLE_RECORD_ALIGNMENT;
    }
    const uint64_t gap = (next < limit ? next : limit) - position;
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET),
        (uint32_t)(gap - TRINDLE_RECORD_HEADER_LENGTH), memory_order_relaxed);
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), TRINDLE_RECORD_TYPE_PADDING,
        memory_order_relaxed);
    atomic_store_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), position + 1, memory_order_release);
}

/**
 * Called when nothing is committed at the read position (§5, "at the end of what was committed"): if the lane's
 * ended word is set, either the lane has ended here, or something is still to be read after all.
 *
 * @return whether to look at the read position again: the tail moved on, or a claim its sender never committed
 *         was turned into padding. When false, the lane is empty for now, or no longer open.
 */
static bool ended_here(struct trindle_lane_reader *reader)
{
    if (reader->state != TRINDLE_LANE_OPEN ||
        atomic_load_explicit(trindle_u32(reader->lane.header, TRINDLE_LANE_ENDED_OFFSET), memory_order_acquire) == 0)
    {
        return false;
    }
    /* Loaded after the ended word (acquire): everything the sender committed before ending is visible now. */
    (void)refresh_tail(reader);
    if (reader->state != TRINDLE_LANE_OPEN)
    {
        return false;
    }
    const uint64_t position = reader->position;
    if (position == reader->tail)
    {
        /* Ended is never cleared, and the head stays where it was released: a later receiver sees the end too. */
        reader->state = TRINDLE_LANE_ENDED;
        return false;
    }
    if (atomic_load_explicit(trindle_u64(reader->lane.ring + (position & reader->lane.mask),
        TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) != position + 1)
    {
        pad_dead_claim(reader, reader->tail); /* claimed, never committed: its sender will send no more */
    }
    return true;
}

/**
 * Reads the next message of the lane into `message`, skipping padding (§5).
 *
 * @return the payload length (0 or more), READ_EMPTY, or READ_STOPPED (ended, corrupt, or found so now).
 */
static int64_t reader_next(struct trindle_lane_reader *reader, uint32_t lane_index, trindle_message_t *message)
{
    struct trindle_lane *lane = &reader->lane;
    while (reader->state == TRINDLE_LANE_OPEN)
    {
        const uint64_t position = reader->position;
        const uint32_t index = (uint32_t)(position & lane->mask);
        uint8_t *record = lane->ring + index;
        if ((position == reader->tail && !refresh_tail(reader)) ||
            atomic_load_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) !=
            position + 1) /* nothing more, or claimed and not yet committed */
        {
            if (!ended_here(reader))
            {
                return reader->state == TRINDLE_LANE_OPEN ? READ_EMPTY : READ_STOPPED;
            }
            continue;
        }
        /* Each loaded once: a hostile sender changing them now cannot make a checked value differ from the used. */
        const uint32_t length = atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET),
            memory_order_relaxed);
        const uint32_t type = atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET),
            memory_order_relaxed);
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
            default:
                corrupt(reader, "record at position=%" PRIu64 " has unknown type=%" PRIu32 " (length=%" PRIu32 ")",
                    position, type, length);
                return READ_STOPPED;
        }
        if (length > limit)
        {
            corrupt(reader, "record at position=%" PRIu64 " of type=%" PRIu32 ": length=%" PRIu32
                " exceeds its limit=%" PRIu32, position, type, length, limit);
            return READ_STOPPED;
        }
        const uint32_t record_length = trindle_record_length(length);
        if ((uint64_t)index + record_length > lane->capacity || position + record_length > reader->tail)
        {
            corrupt(reader, "record at position=%" PRIu64 ": length=%" PRIu32 " runs past the ring's end "
                "(capacity=%" PRIu32 ") or the tail=%" PRIu64, position, length, lane->capacity, reader->tail);
            return READ_STOPPED;
        }
        uint8_t *payload = record + TRINDLE_RECORD_HEADER_LENGTH;
        uint32_t attachments = 0;
        if (type == TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES)
        {
            /* §3.4: the block must hold 1 … 64 entries and fit the record; the count is loaded once. */
            const uint32_t count = length < TRINDLE_ATTACHMENT_ENTRIES_OFFSET ? 0 : atomic_load_explicit(
                trindle_u32(payload, TRINDLE_ATTACHMENT_COUNT_OFFSET), memory_order_relaxed);
            if (count < 1 || count > TRINDLE_MAX_ATTACHMENTS ||
                TRINDLE_ATTACHMENT_ENTRIES_OFFSET + count * TRINDLE_ATTACHMENT_ENTRY_LENGTH > length)
            {
                corrupt(reader, "record at position=%" PRIu64 " with handles: count=%" PRIu32 " does not fit "
                    "length=%" PRIu32 " (1..%d handles)", position, count, length, TRINDLE_MAX_ATTACHMENTS);
                return READ_STOPPED;
            }
            attachments = count;
        }
        switch (type)
        {
            case TRINDLE_RECORD_TYPE_MESSAGE:
            case TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES:
            {
                const uint32_t block = attachments == 0 ? 0 :
                    TRINDLE_ATTACHMENT_ENTRIES_OFFSET + attachments * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
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
                message->attachment_token = attachments == 0 ? 0 : atomic_load_explicit(
                    trindle_u64(payload, TRINDLE_ATTACHMENT_TOKEN_OFFSET), memory_order_relaxed);
                message->attachments = attachments == 0 ? NULL : payload + TRINDLE_ATTACHMENT_ENTRIES_OFFSET;
                return message->length;
            }
            default: /* padding: the types were checked above */
                reader->position = position + record_length;
                break;
        }
    }
    return READ_STOPPED;
}

/** Releases everything before `end` (§5): head, then count, then a full fence, then wake senders. */
static void release_to(struct trindle_lane_reader *reader, uint64_t end, uint64_t count)
{
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
    atomic_store_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_RELEASED_COUNT_OFFSET),
        reader->released_count, memory_order_release);
    /* Pairs with a sender's announce-then-claim: the head store is visible before the load of its word. */
    atomic_thread_fence(memory_order_seq_cst);
    trindle_lane_wake_senders(&reader->lane);
}

/* ------------------------------------------------------------------------------------------------------------
 * The receiver
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_pipe_receiver_open(trindle_pipe_receiver_t **receiver)
{
    if (receiver == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_receiver_open: receiver=NULL");
    }
    trindle_pipe_receiver_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_pipe_receiver_open: calloc");
    }
    *receiver = opened;
    return TRINDLE_OK;
}

int trindle_pipe_receiver_add_lane(trindle_pipe_receiver_t *receiver, int fd)
{
    return trindle_pipe_receiver_add_granted_lane(receiver, fd, TRINDLE_LANE_ID_UNKNOWN);
}

int trindle_pipe_receiver_add_granted_lane(trindle_pipe_receiver_t *receiver, int fd, uint32_t lane_id)
{
    static const char call[] = "trindle_pipe_receiver_add_lane";
    if (receiver == NULL || fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, fd=%d", call, (void *)receiver, fd);
    }
    if (receiver->count == INT32_MAX)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: too many lanes", call);
    }
    if (receiver->count == receiver->allocated)
    {
        const uint32_t allocated = receiver->allocated == 0 ? 8 : receiver->allocated * 2;
        struct trindle_lane_reader **lanes = realloc(receiver->lanes, allocated * sizeof *lanes);
        if (lanes == NULL)
        {
            return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: realloc", call);
        }
        receiver->lanes = lanes;
        receiver->allocated = allocated;
    }
    struct trindle_lane_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    const int result = trindle_lane_map(call, fd, &reader->lane);
    if (result == TRINDLE_E_FORMAT)
    {
        /* Set aside, as a lane found broken later would be: reported once by the next poll, never read. */
        close(fd);
        reader->lane.fd = -1;
        reader->lane.pipe_id = 0;
        reader->lane.lane_id = TRINDLE_LANE_ID_UNKNOWN;
        snprintf(reader->fault, sizeof reader->fault, "a lane was set aside at open: %s", trindle_last_error());
        reader->state = TRINDLE_LANE_CORRUPT;
        reader->fault_reported = false;
        receiver->lanes[receiver->count] = reader;
        return (int)receiver->count++;
    }
    if (result != TRINDLE_OK)
    {
        free(reader);
        return result;
    }
    if (lane_id != TRINDLE_LANE_ID_UNKNOWN && reader->lane.lane_id != lane_id)
    {
        /* Its sender rewrote the id to pass for another lane: set it aside, as a lane that fails the checks. */
        snprintf(reader->fault, sizeof reader->fault, "a lane was set aside at open: %s: fd %d names itself lane %"
            PRIu32 " of pipe 0x%" PRIx64 ", but was granted as lane %" PRIu32, call, fd, reader->lane.lane_id,
            reader->lane.pipe_id, lane_id);
        trindle_lane_unmap(&reader->lane);
        reader->lane.header = NULL;
        reader->lane.pipe_id = 0;
        reader->lane.lane_id = TRINDLE_LANE_ID_UNKNOWN;
        reader->state = TRINDLE_LANE_CORRUPT;
        reader->fault_reported = false;
        receiver->lanes[receiver->count] = reader;
        return (int)receiver->count++;
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->lane.pipe_id == reader->lane.pipe_id &&
            receiver->lanes[i]->lane.lane_id == reader->lane.lane_id)
        {
            const int duplicate = trindle_fail(TRINDLE_E_INVALID, 0, "%s: lane %" PRIu32 " of pipe 0x%" PRIx64
                " is already being received (index %" PRIu32 ")", call, reader->lane.lane_id, reader->lane.pipe_id, i);
            reader->lane.fd = -1; /* still the caller's */
            trindle_lane_unmap(&reader->lane);
            free(reader);
            return duplicate;
        }
    }
    /* A new receiver starts where the last one released: everything after is delivered (again). */
    const uint64_t head = atomic_load_explicit(trindle_u64(reader->lane.header, TRINDLE_LANE_HEAD_OFFSET),
        memory_order_acquire);
    reader->state = TRINDLE_LANE_OPEN;
    reader->position = head;
    reader->released = head;
    reader->tail = head;
    reader->released_count = atomic_load_explicit(
        trindle_u64(reader->lane.header, TRINDLE_LANE_RELEASED_COUNT_OFFSET), memory_order_acquire);
    reader->delivered_count = reader->released_count;
    if (head > (uint64_t)INT64_MAX || (head & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        corrupt(reader, "head=%" PRIu64 " is not a valid release position", head);
    }
    /* An earlier receiver may have died between releasing and waking a sender that waits for room. */
    trindle_lane_wake_senders(&reader->lane);
    receiver->lanes[receiver->count] = reader;
    return (int)receiver->count++;
}

uint32_t trindle_pipe_receiver_lane_count(const trindle_pipe_receiver_t *receiver)
{
    return receiver == NULL ? 0 : receiver->count;
}

int trindle_pipe_receiver_lane_info(const trindle_pipe_receiver_t *receiver, uint32_t index,
    trindle_lane_info_t *info)
{
    if (receiver == NULL || info == NULL || index >= receiver->count)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_receiver_lane_info: index=%" PRIu32 " of %" PRIu32
            " lanes (receiver=%p, info=%p)", index, receiver == NULL ? 0 : receiver->count, (const void *)receiver,
            (void *)info);
    }
    const struct trindle_lane_reader *reader = receiver->lanes[index];
    info->pipe_id = reader->lane.pipe_id;
    info->lane_id = reader->lane.lane_id;
    info->state = reader->state;
    info->position = reader->position;
    info->released = reader->released;
    info->fault = reader->state == TRINDLE_LANE_CORRUPT ? reader->fault : NULL;
    return TRINDLE_OK;
}

static void attach(trindle_inbox_t *inbox, trindle_pipe_receiver_t *receiver)
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

static void detach(trindle_inbox_t *inbox)
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

/** @return TRINDLE_E_CORRUPT with the reason of a break not yet reported, once per lane; else TRINDLE_OK. */
static int take_fault(trindle_pipe_receiver_t *receiver)
{
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        struct trindle_lane_reader *reader = receiver->lanes[i];
        if (reader->state == TRINDLE_LANE_CORRUPT && !reader->fault_reported)
        {
            reader->fault_reported = true;
            return trindle_fail(TRINDLE_E_CORRUPT, 0, "%s", reader->fault);
        }
    }
    return TRINDLE_OK;
}

static bool all_stopped(const trindle_pipe_receiver_t *receiver)
{
    if (receiver->count == 0)
    {
        return false;
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->state == TRINDLE_LANE_OPEN)
        {
            return false;
        }
    }
    return true;
}

static uint32_t open_lanes(const trindle_pipe_receiver_t *receiver)
{
    uint32_t open = 0;
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        open += receiver->lanes[i]->state == TRINDLE_LANE_OPEN;
    }
    return open;
}

static int check_inbox(const char *call, trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    if (receiver == NULL || inbox == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, inbox=%p", call, (void *)receiver, (void *)inbox);
    }
    if (inbox->receiver != NULL && inbox->receiver != receiver)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: the inbox holds %" PRIu32 " messages of another receiver: "
            "release it first", call, inbox->size);
    }
    return TRINDLE_OK;
}

/** One fair pass over the lanes: poll's meaning, without the argument checks. */
static int poll_lanes(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    int result = take_fault(receiver);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    const uint32_t count = receiver->count;
    int added = 0;
    if (count > 0 && inbox->size < inbox->capacity)
    {
        const uint32_t start = receiver->next_lane < count ? receiver->next_lane : 0;
        receiver->next_lane = start + 1 >= count ? 0 : start + 1;
        bool progress = true;
        while (progress && inbox->size < inbox->capacity)
        {
            progress = false;
            for (uint32_t k = 0, i = start; k < count && inbox->size < inbox->capacity;
                k++, i = i + 1 == count ? 0 : i + 1)
            {
                if (reader_next(receiver->lanes[i], i, &inbox->messages[inbox->size]) >= 0)
                {
                    if (inbox->receiver == NULL)
                    {
                        attach(inbox, receiver);
                    }
                    inbox->size++;
                    added++;
                    progress = true;
                }
            }
        }
    }
    if (added > 0)
    {
        return added;
    }
    if ((result = take_fault(receiver)) != TRINDLE_OK)
    {
        return result;
    }
    return all_stopped(receiver) ? TRINDLE_END_OF_STREAM : 0;
}

int trindle_pipe_receiver_poll(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox)
{
    const int result = check_inbox("trindle_pipe_receiver_poll", receiver, inbox);
    return result != TRINDLE_OK ? result : poll_lanes(receiver, inbox);
}

/** @return the number of lanes now marked "receiver sleeping" and listed in the waiters, at most 128. */
static uint32_t announce_sleep(trindle_pipe_receiver_t *receiver)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < receiver->count && count < TRINDLE_FUTEX_WAITV_MAX; i++)
    {
        struct trindle_lane_reader *reader = receiver->lanes[i];
        if (reader->state != TRINDLE_LANE_OPEN)
        {
            continue;
        }
        _Atomic uint32_t *sleeping = trindle_u32(reader->lane.header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET);
        atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
        /* On the way to sleep anyway: repair a wake-up lost to a receiver that died mid-release. */
        trindle_lane_wake_senders(&reader->lane);
        receiver->waiters[count].value = 1;
        receiver->waiters[count].address = (uint64_t)(uintptr_t)sleeping;
        count++;
    }
    /* The announcements before the last poll's loads: this side's half of the store-fence-load handshake. */
    atomic_thread_fence(memory_order_seq_cst);
    return count;
}

/** Clears every "receiver sleeping" word, so senders stop making wake-up calls while this side is awake. */
static void cancel_sleep(trindle_pipe_receiver_t *receiver)
{
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        if (receiver->lanes[i]->lane.header != NULL) /* NULL: a lane set aside at open, never mapped */
        {
            atomic_store_explicit(trindle_u32(receiver->lanes[i]->lane.header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET),
                0, memory_order_release);
        }
    }
}

static void sleep_until(int64_t deadline)
{
    const int64_t nanos = deadline - trindle_now_nanos();
    if (nanos > 0)
    {
        const struct timespec pause = {.tv_sec = (time_t)(nanos / 1000000000LL), .tv_nsec = (long)(nanos % 1000000000LL)};
        nanosleep(&pause, NULL);
    }
}

int trindle_pipe_receiver_receive_interruptibly(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox,
    int64_t timeout_ns, int (*interrupted)(void *context), void *context)
{
    int result = check_inbox("trindle_pipe_receiver_receive", receiver, inbox);
    /* A full inbox can take nothing: waiting would only run out the clock. */
    if (result != TRINDLE_OK || (result = poll_lanes(receiver, inbox)) != 0 || timeout_ns == 0 ||
        inbox->size == inbox->capacity)
    {
        return result;
    }
    const int64_t deadline = trindle_deadline(timeout_ns);
    for (int i = 0; i < TRINDLE_WAIT_SPINS; i++)
    {
        trindle_spin_pause();
        if ((result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
    }
    for (int i = 0; i < TRINDLE_WAIT_YIELDS; i++)
    {
        sched_yield();
        if ((result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
    }
    for (;;)
    {
        if (trindle_now_nanos() >= deadline)
        {
            return 0;
        }
        const uint32_t waiting = announce_sleep(receiver);
        /* Senders registered for membarrier skip their fence after a commit: force one on their threads now,
         * before the last look (§6). If the kernel cannot, no sender can have registered either. */
        (void)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
        /* Announce, then look again: a sender commits, fences, then reads the word, so either it sees our 1 and
         * wakes us, or this poll sees its message. */
        result = poll_lanes(receiver, inbox);
        if (result == 0)
        {
            const int64_t now = trindle_now_nanos();
            int64_t wake_by = deadline - now < TRINDLE_MAX_SLEEP_NANOS ? deadline : now + TRINDLE_MAX_SLEEP_NANOS;
            if (waiting == 0 || waiting < open_lanes(receiver))
            {
                /* No lane to sleep on (none yet), or more open lanes than one futex_waitv takes: look again
                 * every millisecond. */
                if (wake_by > now + POLL_WHEN_TOO_MANY_LANES_NANOS)
                {
                    wake_by = now + POLL_WHEN_TOO_MANY_LANES_NANOS;
                }
            }
            int error = 0;
            if (waiting > 0)
            {
                error = trindle_futex_waitv(receiver->waiters, waiting, wake_by);
                if (error == ENOSYS)
                {
                    /* A kernel before 5.16: no futex_waitv. Poll every millisecond instead. */
                    sleep_until(now + POLL_WHEN_TOO_MANY_LANES_NANOS < wake_by ? now + POLL_WHEN_TOO_MANY_LANES_NANOS :
                        wake_by);
                    error = 0;
                }
            }
            else
            {
                sleep_until(wake_by);
            }
            if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
            {
                cancel_sleep(receiver);
                return trindle_fail(TRINDLE_E_SYSTEM, error, "trindle_pipe_receiver_receive: futex_waitv(%" PRIu32
                    " lanes)", waiting);
            }
        }
        cancel_sleep(receiver);
        if (result != 0 || (result = poll_lanes(receiver, inbox)) != 0)
        {
            return result;
        }
        if (interrupted != NULL)
        {
            const int stop = interrupted(context);
            if (stop != 0)
            {
                return stop < 0 ? stop : 0;
            }
        }
    }
}

int trindle_pipe_receiver_receive(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox, int64_t timeout_ns)
{
    return trindle_pipe_receiver_receive_interruptibly(receiver, inbox, timeout_ns, NULL, NULL);
}

/** @return the lane a message came from, or NULL (with the error set) if it is not one of this receiver's. */
static struct trindle_lane_reader *reader_of(const char *call, trindle_pipe_receiver_t *receiver,
    const trindle_message_t *message)
{
    if (receiver == NULL || message == NULL)
    {
        trindle_fail(TRINDLE_E_INVALID, 0, "%s: receiver=%p, message=%p", call, (void *)receiver,
            (const void *)message);
        return NULL;
    }
    struct trindle_lane_reader *reader = message->lane_index < receiver->count ?
        receiver->lanes[message->lane_index] : NULL;
    if (reader == NULL || reader->lane.pipe_id != message->pipe_id || reader->lane.lane_id != message->lane_id ||
        message->release_position > reader->position ||
        (message->release_position & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0)
    {
        trindle_fail(TRINDLE_E_INVALID, 0, "%s: message (pipe 0x%" PRIx64 ", lane %" PRIu32 ", index %" PRIu32
            ", sequence %" PRIu64 ") was not read by this receiver", call, message->pipe_id, message->lane_id,
            message->lane_index, message->sequence);
        return NULL;
    }
    return reader;
}

int trindle_pipe_receiver_release(trindle_pipe_receiver_t *receiver, const trindle_message_t *message)
{
    struct trindle_lane_reader *reader = reader_of("trindle_pipe_receiver_release", receiver, message);
    if (reader == NULL)
    {
        return TRINDLE_E_INVALID;
    }
    release_to(reader, message->release_position, message->release_count);
    return TRINDLE_OK;
}

int trindle_pipe_receiver_unblock(trindle_pipe_receiver_t *receiver, uint32_t index)
{
    if (receiver == NULL || index >= receiver->count)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_pipe_receiver_unblock: index=%" PRIu32 " of %" PRIu32
            " lanes", index, receiver == NULL ? 0 : receiver->count);
    }
    struct trindle_lane_reader *reader = receiver->lanes[index];
    struct trindle_lane *lane = &reader->lane;
    if (reader->state != TRINDLE_LANE_OPEN)
    {
        return 0;
    }
    const uint64_t position = reader->position;
    const uint64_t tail = atomic_load_explicit(trindle_u64(lane->header, TRINDLE_LANE_TAIL_OFFSET),
        memory_order_acquire);
    uint8_t *record = lane->ring + (position & lane->mask);
    if (tail <= position || tail - reader->released > lane->capacity || (tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0 ||
        atomic_load_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) == position + 1)
    {
        return 0;
    }
    pad_dead_claim(reader, tail);
    return 1;
}

void trindle_pipe_receiver_close(trindle_pipe_receiver_t *receiver)
{
    if (receiver == NULL)
    {
        return;
    }
    while (receiver->inboxes != NULL)
    {
        trindle_inbox_t *inbox = receiver->inboxes;
        inbox->size = 0;
        detach(inbox);
    }
    for (uint32_t i = 0; i < receiver->count; i++)
    {
        trindle_lane_unmap(&receiver->lanes[i]->lane);
        free(receiver->lanes[i]);
    }
    free(receiver->lanes);
    free(receiver);
}

/* ------------------------------------------------------------------------------------------------------------
 * Inbox
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_inbox_create(uint32_t capacity, trindle_inbox_t **inbox)
{
    if (inbox == NULL || capacity < 1)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_inbox_create: capacity=%" PRIu32 " must be at least 1 "
            "(inbox=%p)", capacity, (void *)inbox);
    }
    trindle_inbox_t *created = calloc(1, sizeof *created);
    trindle_message_t *messages = calloc(capacity, sizeof *messages);
    uint32_t *touched = calloc(capacity, sizeof *touched);
    if (created == NULL || messages == NULL || touched == NULL)
    {
        free(created);
        free(messages);
        free(touched);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_inbox_create: calloc(capacity=%" PRIu32 ")",
            capacity);
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
            release_to(reader, reader->pending_end, reader->pending_count);
            reader->pending = false;
        }
        detach(inbox);
    }
    inbox->size = 0;
    return TRINDLE_OK;
}

void trindle_inbox_destroy(trindle_inbox_t *inbox)
{
    if (inbox != NULL)
    {
        detach(inbox);
        free(inbox->messages);
        free(inbox->touched);
        free(inbox);
    }
}

int trindle_message_attachment(const trindle_message_t *message, uint32_t index, trindle_attachment_t *attachment)
{
    if (message == NULL || attachment == NULL || index >= message->attachment_count || message->attachments == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_message_attachment: index=%" PRIu32 " of %" PRIu32
            " attachments", index, message == NULL ? 0 : message->attachment_count);
    }
    uint8_t *entry = (uint8_t *)(uintptr_t)message->attachments + (size_t)index * TRINDLE_ATTACHMENT_ENTRY_LENGTH;
    attachment->kind = atomic_load_explicit(trindle_u32(entry, TRINDLE_ATTACHMENT_KIND_OFFSET), memory_order_relaxed);
    attachment->rights = atomic_load_explicit(trindle_u32(entry, TRINDLE_ATTACHMENT_RIGHTS_OFFSET),
        memory_order_relaxed);
    attachment->size = atomic_load_explicit(trindle_u64(entry, TRINDLE_ATTACHMENT_SIZE_OFFSET), memory_order_relaxed);
    return TRINDLE_OK;
}
