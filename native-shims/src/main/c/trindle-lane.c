/*
 * trindle-lane.c — mapping a lane (docs/pipe-format.md §3) and sending into it (§4, §6, §7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trindle-internal.h"

/* ------------------------------------------------------------------------------------------------------------
 * Mapping and checking a lane (§3.2)
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_lane_map(const char *call, int fd, struct trindle_lane *lane)
{
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, errno, "%s: fd %d is not a lane's memfd: fcntl(F_GET_SEALS)", call, fd);
    }
    if ((seals & F_SEAL_SHRINK) == 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: lane fd %d is not sealed against shrinking (seals=0x%x); "
            "mapping it would let another holder fault this process",
            call, fd, (unsigned)seals);
    }
    struct stat status;
    if (fstat(fd, &status) != 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: fstat(fd=%d)", call, fd);
    }
    const uint64_t size = (uint64_t)status.st_size;
    if (size < TRINDLE_LANE_HEADER_LENGTH + (uint64_t)TRINDLE_LANE_MIN_CAPACITY || size > SIZE_MAX)
    {
        return trindle_fail(
            TRINDLE_E_FORMAT, 0, "%s: fd %d is too small to be a lane: size=%llu", call, fd, (unsigned long long)size);
    }
    /* The whole file, read-write and shared: the sender writes records and the tail, the receiver the head and
     * its wake-up words. */
    uint8_t *file = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (file == MAP_FAILED)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno,
            "%s: mmap(lane fd=%d, size=%llu, PROT_READ|PROT_WRITE, "
            "MAP_SHARED)",
            call, fd, (unsigned long long)size);
    }
    /* Ready first, with acquire: it is stored last by the creator, so the fields below are complete. */
    const uint32_t ready = atomic_load_explicit(trindle_u32(file, TRINDLE_LANE_READY_OFFSET), memory_order_acquire);
    const uint32_t magic = trindle_get_u32(file + TRINDLE_LANE_MAGIC_OFFSET);
    uint16_t version;
    memcpy(&version, file + TRINDLE_LANE_VERSION_OFFSET, sizeof version);
    const uint32_t capacity = trindle_get_u32(file + TRINDLE_LANE_CAPACITY_OFFSET);
    const uint32_t max_payload = trindle_get_u32(file + TRINDLE_LANE_MAX_PAYLOAD_LENGTH_OFFSET);
    int result = TRINDLE_OK;
    if (ready != 1 || magic != TRINDLE_LANE_MAGIC)
    {
        result = trindle_fail(
            TRINDLE_E_FORMAT, 0, "%s: fd %d is not a ready lane: magic=0x%x, ready=%u", call, fd, magic, ready);
    }
    else if (version != TRINDLE_LANE_VERSION)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: lane fd %d: version mismatch: file=%u, app=%u", call, fd,
            (unsigned)version, (unsigned)TRINDLE_LANE_VERSION);
    }
    else if (capacity < TRINDLE_LANE_MIN_CAPACITY || capacity > TRINDLE_LANE_MAX_CAPACITY ||
        (capacity & (capacity - 1)) != 0)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: lane fd %d: capacity=%u must be a power of two from %u to %u",
            call, fd, capacity, TRINDLE_LANE_MIN_CAPACITY, TRINDLE_LANE_MAX_CAPACITY);
    }
    else if (size < TRINDLE_LANE_HEADER_LENGTH + (uint64_t)capacity ||
        max_payload != trindle_max_payload_length(capacity))
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: lane fd %d: capacity=%u, maxPayloadLength=%u do not fit "
            "size=%llu",
            call, fd, capacity, max_payload, (unsigned long long)size);
    }
    if (result != TRINDLE_OK)
    {
        munmap(file, (size_t)size);
        return result;
    }
    lane->fd = fd;
    lane->file = file;
    lane->file_size = (size_t)size;
    lane->header = file;
    lane->ring = file + TRINDLE_LANE_HEADER_LENGTH;
    lane->pipe_id = trindle_get_u64(file + TRINDLE_LANE_PIPE_ID_OFFSET);
    lane->lane_id = trindle_get_u32(file + TRINDLE_LANE_LANE_ID_OFFSET);
    lane->capacity = capacity;
    lane->mask = capacity - 1;
    lane->max_payload_length = max_payload;
    lane->generation = trindle_get_u32(file + TRINDLE_LANE_GENERATION_OFFSET);
    return TRINDLE_OK;
}

void trindle_lane_unmap(struct trindle_lane *lane)
{
    if (lane->file != NULL)
    {
        munmap(lane->file, lane->file_size);
        lane->file = NULL;
    }
    if (lane->fd >= 0)
    {
        close(lane->fd);
        lane->fd = -1;
    }
}

void trindle_lane_wake_senders(struct trindle_lane *lane)
{
    _Atomic uint32_t *sleeping = trindle_u32(lane->header, TRINDLE_LANE_SENDER_SLEEPING_OFFSET);
    uint32_t expected = 1;
    if (atomic_load_explicit(sleeping, memory_order_seq_cst) != 0 &&
        atomic_compare_exchange_strong_explicit(sleeping, &expected, 0, memory_order_seq_cst, memory_order_seq_cst))
    {
        trindle_futex_wake(sleeping, INT_MAX);
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------------------------------------------ */

/**
 * Whether this process registered for membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED): then a receiver about to
 * sleep forces a full barrier on this process's threads itself, and a commit needs no fence of its own
 * (pipe-format.md §6). Registered once, at the first lane opened to send, before any commit: -1 not yet, 0 no,
 * 1 yes.
 */
static _Atomic int asymmetric_wake = -1;

static bool register_asymmetric_wake(void)
{
    int registered = atomic_load_explicit(&asymmetric_wake, memory_order_acquire);
    if (registered < 0)
    {
        registered = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0 ? 1 : 0;
        atomic_store_explicit(&asymmetric_wake, registered, memory_order_release);
    }
    return registered == 1;
}

/* The position a sender may fill up to a capacity beyond (docs/pipe-format.md §4, §5.1): the head, or a tap's
 * position if a tap holds an earlier one. The head is loaded first (acquire keeps the tap's load after it), the tap's
 * word with a full load: a sender that finds no tap read the head before the tap attached, so a tap that starts at a
 * head it reads after attaching never finds its records overwritten. */
static uint64_t room_head(const struct trindle_lane *lane)
{
    const uint64_t head =
        atomic_load_explicit(trindle_u64(lane->header, TRINDLE_LANE_HEAD_OFFSET), memory_order_acquire);
    const uint64_t tap =
        atomic_load_explicit(trindle_u64(lane->header, TRINDLE_LANE_TAP_HEAD_OFFSET), memory_order_seq_cst);
    return tap != 0 && tap - 1 < head ? tap - 1 : head;
}

int trindle_lane_sender_open(int fd, trindle_lane_sender_t **sender)
{
    if (sender == NULL || fd < 0)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_lane_sender_open: fd=%d, sender=%p", fd, (void *)sender);
    }
    trindle_lane_sender_t *opened = calloc(1, sizeof *opened);
    if (opened == NULL)
    {
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "trindle_lane_sender_open: calloc");
    }
    const int result = trindle_lane_map("trindle_lane_sender_open", fd, &opened->lane);
    if (result != TRINDLE_OK)
    {
        free(opened);
        return result;
    }
    opened->asymmetric_wake = register_asymmetric_wake();
    atomic_init(&opened->head_cache, room_head(&opened->lane));
    atomic_init(&opened->ended, false);
    *sender = opened;
    return TRINDLE_OK;
}

int trindle_lane_sender_set_exclusive(trindle_lane_sender_t *sender)
{
    if (sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_lane_sender_set_exclusive: sender=NULL");
    }
    if (sender->exclusive)
    {
        return TRINDLE_OK;
    }
    const struct trindle_lane *lane = &sender->lane;
    const uint64_t head = atomic_load_explicit(&sender->head_cache, memory_order_acquire);
    const uint64_t tail =
        atomic_load_explicit(trindle_u64(lane->header, TRINDLE_LANE_TAIL_OFFSET), memory_order_acquire);
    if ((tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0 || tail < head)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0,
            "lane %u of pipe 0x%llx is corrupt: tail=%llu, head=%llu: the tail must be a multiple of %d and not "
            "behind the head",
            lane->lane_id, (unsigned long long)lane->pipe_id, (unsigned long long)tail, (unsigned long long)head,
            TRINDLE_RECORD_ALIGNMENT);
    }
    sender->own_tail = tail;
    sender->exclusive = true;
    return TRINDLE_OK;
}

uint64_t trindle_lane_sender_pipe_id(const trindle_lane_sender_t *sender)
{
    return sender == NULL ? 0 : sender->lane.pipe_id;
}

uint32_t trindle_lane_sender_lane_id(const trindle_lane_sender_t *sender)
{
    return sender == NULL ? 0 : sender->lane.lane_id;
}

uint32_t trindle_lane_sender_capacity(const trindle_lane_sender_t *sender)
{
    return sender == NULL ? 0 : sender->lane.capacity;
}

uint32_t trindle_lane_sender_max_payload_length(const trindle_lane_sender_t *sender)
{
    return sender == NULL ? 0 : sender->lane.max_payload_length;
}

static int check_sendable(
    const char *call, const trindle_lane_sender_t *sender, uint32_t length, const void *claim_or_data)
{
    if (sender == NULL || claim_or_data == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: sender=%p, %p: NULL", call, (const void *)sender, claim_or_data);
    }
    if (length > sender->lane.max_payload_length)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: message length=%u exceeds the lane's maxPayloadLength=%u "
            "(lane capacity=%u)",
            call, length, sender->lane.max_payload_length, sender->lane.capacity);
    }
    if (atomic_load_explicit(&sender->ended, memory_order_relaxed))
    {
        return trindle_fail(TRINDLE_E_ENDED, 0,
            "%s: lane %u of pipe 0x%llx was ended: nothing more can be sent on "
            "it",
            call, sender->lane.lane_id, (unsigned long long)sender->lane.pipe_id);
    }
    return TRINDLE_OK;
}

/** Claims a record of `type` with `length` bytes of payload now (pipe-format.md §4); TRINDLE_E_FULL if no room. */
static int claim_now(trindle_lane_sender_t *sender, uint32_t length, uint32_t type, trindle_claim_t *claim)
{
    struct trindle_lane *lane = &sender->lane;
    _Atomic uint64_t *tail_word = trindle_u64(lane->header, TRINDLE_LANE_TAIL_OFFSET);
    const uint64_t capacity = lane->capacity;
    const uint64_t required = trindle_record_length(length);
    bool refreshed = false;
    uint64_t tail;
    uint64_t padding;
    for (;;)
    {
        /* The head before the tail (acquire keeps the tail load after it): any head once read was at most the
         * tail then, and the tail only grows, so head <= tail here unless someone scribbled over the lane. */
        const uint64_t head = atomic_load_explicit(&sender->head_cache, memory_order_acquire);
        tail = sender->exclusive ? sender->own_tail : atomic_load_explicit(tail_word, memory_order_seq_cst);
        if ((tail & (TRINDLE_RECORD_ALIGNMENT - 1)) != 0 || tail < head)
        {
            return trindle_fail(TRINDLE_E_CORRUPT, 0,
                "lane %u of pipe 0x%llx is corrupt, nothing was sent: "
                "tail=%llu, head=%llu: the tail must be a multiple of %d and not behind the head",
                lane->lane_id, (unsigned long long)lane->pipe_id, (unsigned long long)tail, (unsigned long long)head,
                TRINDLE_RECORD_ALIGNMENT);
        }
        const uint64_t to_end = capacity - (tail & lane->mask);
        padding = required > to_end ? to_end : 0;
        const uint64_t needed = padding + required;
        /* With a stale head (another thread refreshed it and claimed since) tail - head may exceed the
         * capacity: that is "no room as far as this head tells", never a negative amount of room. */
        const uint64_t used = tail - head;
        if (used > capacity || needed > capacity - used)
        {
            if (refreshed)
            {
                return TRINDLE_E_FULL;
            }
            atomic_store_explicit(&sender->head_cache, room_head(lane), memory_order_release);
            refreshed = true;
            continue;
        }
        if (sender->exclusive)
        {
            /* No other thread claims: a store does what the compare-and-set does, without its locked
             * instruction, and the tail is never read back (§4). Release, as for Java's exclusive sender. */
            sender->own_tail = tail + needed;
            atomic_store_explicit(tail_word, tail + needed, memory_order_release);
            break;
        }
        if (atomic_compare_exchange_strong_explicit(
                tail_word, &tail, tail + needed, memory_order_seq_cst, memory_order_seq_cst))
        {
            break;
        }
    }
    if (padding > 0)
    {
        /* The padding record that fills the ring's end is complete at once. */
        uint8_t *record = lane->ring + (tail & lane->mask);
        atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET),
            (uint32_t)(padding - TRINDLE_RECORD_HEADER_LENGTH), memory_order_relaxed);
        atomic_store_explicit(
            trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), TRINDLE_RECORD_TYPE_PADDING, memory_order_relaxed);
        atomic_store_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), tail + 1, memory_order_release);
    }
    const uint64_t position = tail + padding;
    uint8_t *record = lane->ring + (position & lane->mask);
    /* Plain stores in the spec's words; relaxed atomics are plain stores on every target, and tell the compiler
     * the memory is shared. They become visible with the stamp's release store at commit. */
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET), length, memory_order_relaxed);
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), type, memory_order_relaxed);
    claim->payload = record + TRINDLE_RECORD_HEADER_LENGTH;
    claim->length = length;
    claim->position = position;
    return TRINDLE_OK;
}

/**
 * An exclusive sender's common claim, checked and made without a call: a message of a valid length on an open
 * lane, with room before the ring's end and, as far as the cached head tells, in the ring. Anything else (no
 * room, padding needed, a bad argument, a damaged lane) returns false and is left to the full path.
 */
static inline bool claim_short(trindle_lane_sender_t *sender, uint32_t length, trindle_claim_t *claim)
{
    struct trindle_lane *lane = &sender->lane;
    const uint64_t tail = sender->own_tail;
    /* Only this thread stores the cached head (the sender is exclusive): relaxed reads back its own store,
     * made after the acquire load of the lane's head. A head past the tail makes the difference wrap: no room. */
    const uint64_t head = atomic_load_explicit(&sender->head_cache, memory_order_relaxed);
    if (!sender->exclusive || length > lane->max_payload_length ||
        atomic_load_explicit(&sender->ended, memory_order_relaxed))
    {
        return false;
    }
    const uint32_t required = trindle_record_length(length);
    if (required > lane->capacity - (tail & lane->mask) || tail + required - head > lane->capacity)
    {
        return false;
    }
    sender->own_tail = tail + required;
    atomic_store_explicit(trindle_u64(lane->header, TRINDLE_LANE_TAIL_OFFSET), tail + required, memory_order_release);
    uint8_t *record = lane->ring + (tail & lane->mask);
    atomic_store_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET), length, memory_order_relaxed);
    atomic_store_explicit(
        trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), TRINDLE_RECORD_TYPE_MESSAGE, memory_order_relaxed);
    claim->payload = record + TRINDLE_RECORD_HEADER_LENGTH;
    claim->length = length;
    claim->position = tail;
    return true;
}

/** claim_now, waiting up to `timeout_ns` for room: spin, yield, then the sender-sleeping protocol (§6). */
static int claim_waiting(
    trindle_lane_sender_t *sender, uint32_t length, uint32_t type, int64_t timeout_ns, trindle_claim_t *claim)
{
    int result = claim_now(sender, length, type, claim);
    if (result != TRINDLE_E_FULL || timeout_ns == 0)
    {
        return result;
    }
    const int64_t deadline = trindle_deadline(timeout_ns);
    for (int i = 0; i < TRINDLE_WAIT_SPINS; i++)
    {
        trindle_spin_pause();
        if ((result = claim_now(sender, length, type, claim)) != TRINDLE_E_FULL)
        {
            return result;
        }
    }
    for (int i = 0; i < TRINDLE_WAIT_YIELDS; i++)
    {
        sched_yield();
        if ((result = claim_now(sender, length, type, claim)) != TRINDLE_E_FULL)
        {
            return result;
        }
    }
    _Atomic uint32_t *sleeping = trindle_u32(sender->lane.header, TRINDLE_LANE_SENDER_SLEEPING_OFFSET);
    for (;;)
    {
        /* Announce, then look again: the receiver stores the head, fences, then reads this word, so either it
         * sees the 1 and wakes us, or the claim below sees its release. A claim that succeeds leaves the 1 behind
         * on purpose: another thread may sleep on the same word, and clearing it would lose that thread's wake; a
         * stale 1 costs the next release one needless wake (§6). */
        atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
        if ((result = claim_now(sender, length, type, claim)) != TRINDLE_E_FULL)
        {
            return result;
        }
        const int64_t remaining = deadline - trindle_now_nanos();
        if (remaining <= 0)
        {
            return trindle_fail(TRINDLE_E_TIMEOUT, 0,
                "lane %u of pipe 0x%llx stayed full for the timeout=%lld ns "
                "(record of %u bytes, capacity=%u)",
                sender->lane.lane_id, (unsigned long long)sender->lane.pipe_id, (long long)timeout_ns,
                trindle_record_length(length), sender->lane.capacity);
        }
        const int error =
            trindle_futex_wait(sleeping, 1, remaining < TRINDLE_MAX_SLEEP_NANOS ? remaining : TRINDLE_MAX_SLEEP_NANOS);
        if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
        {
            return trindle_fail(TRINDLE_E_SYSTEM, error, "futex(FUTEX_WAIT) on the sender-sleeping word of lane %u",
                sender->lane.lane_id);
        }
    }
}

/** Wakes the receiver if it announced that it sleeps (§6), after a commit or an abort. */
static void wake_receiver(trindle_lane_sender_t *sender)
{
    /* The stamp store must be visible before the load below, or both sides could miss each other: either this
     * side fences, or (registered) the receiver's membarrier fences this thread for it before its last look;
     * then only the compiler must keep the order. */
    if (sender->asymmetric_wake)
    {
        atomic_signal_fence(memory_order_seq_cst);
    }
    else
    {
        atomic_thread_fence(memory_order_seq_cst);
    }
    _Atomic uint32_t *sleeping = trindle_u32(sender->lane.header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET);
    uint32_t expected = 1;
    if (atomic_load_explicit(sleeping, memory_order_relaxed) != 0 &&
        atomic_compare_exchange_strong_explicit(sleeping, &expected, 0, memory_order_seq_cst, memory_order_seq_cst))
    {
        trindle_futex_wake(sleeping, 1);
    }
}

int trindle_lane_sender_move(trindle_lane_sender_t *sender, int fd, uint32_t generation)
{
    static const char call[] = "trindle_lane_sender_move";
    struct trindle_lane next;
    int result = trindle_lane_map(call, fd, &next);
    if (result != TRINDLE_OK)
    {
        close(fd);
        return result;
    }
    struct trindle_lane *lane = &sender->lane;
    if (next.pipe_id != lane->pipe_id || next.lane_id != lane->lane_id || next.generation != generation ||
        generation <= lane->generation || atomic_load_explicit(&sender->ended, memory_order_relaxed))
    {
        trindle_lane_unmap(&next);
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: a lane of pipe 0x%" PRIx64 ", lane %" PRIu32 ", generation %" PRIu32 " cannot replace lane %" PRIu32
            " of pipe 0x%" PRIx64 ", generation %" PRIu32 " as generation %" PRIu32 " (or the lane was ended)",
            call, next.pipe_id, next.lane_id, next.generation, lane->lane_id, lane->pipe_id, lane->generation,
            generation);
    }
    trindle_claim_t claim;
    if ((result = claim_waiting(sender, TRINDLE_MOVED_LENGTH, TRINDLE_RECORD_TYPE_MOVED, -1, &claim)) != TRINDLE_OK)
    {
        trindle_lane_unmap(&next);
        return result;
    }
    const uint64_t start = claim.position + trindle_record_length(TRINDLE_MOVED_LENGTH);
    /* The new lane's positions go on from here, stored before the moved record is committed: the receiver opens the
     * new lane only after reading that record (pipe-format.md §9). */
    atomic_store_explicit(trindle_u64(next.header, TRINDLE_LANE_HEAD_OFFSET), start, memory_order_release);
    atomic_store_explicit(trindle_u64(next.header, TRINDLE_LANE_TAIL_OFFSET), start, memory_order_release);
    atomic_store_explicit(
        trindle_u32(claim.payload, TRINDLE_MOVED_GENERATION_OFFSET), next.generation, memory_order_relaxed);
    atomic_store_explicit(
        trindle_u32(claim.payload, TRINDLE_MOVED_CAPACITY_OFFSET), next.capacity, memory_order_relaxed);
    atomic_store_explicit(trindle_u64(claim.payload, TRINDLE_MOVED_START_OFFSET), start, memory_order_relaxed);
    if ((result = trindle_lane_sender_commit(sender, &claim)) != TRINDLE_OK)
    {
        trindle_lane_unmap(&next);
        return result;
    }
    trindle_lane_unmap(lane);
    *lane = next;
    atomic_store_explicit(&sender->head_cache, start, memory_order_release);
    sender->own_tail = start;
    return TRINDLE_OK;
}

int trindle_lane_sender_claim(trindle_lane_sender_t *sender, uint32_t length, trindle_claim_t *claim)
{
    if (sender != NULL && claim != NULL && claim_short(sender, length, claim))
    {
        return TRINDLE_OK;
    }
    const int result = check_sendable("trindle_lane_sender_claim", sender, length, claim);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    return claim_now(sender, length, TRINDLE_RECORD_TYPE_MESSAGE, claim);
}

int trindle_lane_sender_claim_wait(
    trindle_lane_sender_t *sender, uint32_t length, int64_t timeout_ns, trindle_claim_t *claim)
{
    if (sender != NULL && claim != NULL && claim_short(sender, length, claim))
    {
        return TRINDLE_OK;
    }
    const int result = check_sendable("trindle_lane_sender_claim_wait", sender, length, claim);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    return claim_waiting(sender, length, TRINDLE_RECORD_TYPE_MESSAGE, timeout_ns, claim);
}

int trindle_lane_sender_claim_handles(
    trindle_lane_sender_t *sender, uint32_t length, int64_t timeout_ns, trindle_claim_t *claim)
{
    const int result = check_sendable("trindle_send_handles", sender, length, claim);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    return claim_waiting(sender, length, TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES, timeout_ns, claim);
}

int trindle_lane_sender_commit(trindle_lane_sender_t *sender, const trindle_claim_t *claim)
{
    if (sender == NULL || claim == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_lane_sender_commit: sender=%p, claim=%p", (void *)sender,
            (const void *)claim);
    }
    uint8_t *record = sender->lane.ring + (claim->position & sender->lane.mask);
    atomic_store_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), claim->position + 1, memory_order_release);
    wake_receiver(sender);
    return TRINDLE_OK;
}

int trindle_lane_sender_abort(trindle_lane_sender_t *sender, const trindle_claim_t *claim)
{
    if (sender == NULL || claim == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_lane_sender_abort: sender=%p, claim=%p", (void *)sender,
            (const void *)claim);
    }
    uint8_t *record = sender->lane.ring + (claim->position & sender->lane.mask);
    atomic_store_explicit(
        trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), TRINDLE_RECORD_TYPE_PADDING, memory_order_relaxed);
    atomic_store_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), claim->position + 1, memory_order_release);
    wake_receiver(sender);
    return TRINDLE_OK;
}

int trindle_lane_sender_try_send(trindle_lane_sender_t *sender, const void *data, uint32_t length)
{
    static const uint8_t nothing[1];
    trindle_claim_t claim;
    int result =
        check_sendable("trindle_lane_sender_try_send", sender, length, data == NULL && length == 0 ? nothing : data);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if ((result = claim_now(sender, length, TRINDLE_RECORD_TYPE_MESSAGE, &claim)) != TRINDLE_OK)
    {
        return result;
    }
    if (length > 0)
    {
        memcpy(claim.payload, data, length);
    }
    return trindle_lane_sender_commit(sender, &claim);
}

int trindle_lane_sender_send(trindle_lane_sender_t *sender, const void *data, uint32_t length, int64_t timeout_ns)
{
    static const uint8_t nothing[1];
    trindle_claim_t claim;
    int result =
        check_sendable("trindle_lane_sender_send", sender, length, data == NULL && length == 0 ? nothing : data);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if ((result = claim_waiting(sender, length, TRINDLE_RECORD_TYPE_MESSAGE, timeout_ns, &claim)) != TRINDLE_OK)
    {
        return result;
    }
    if (length > 0)
    {
        memcpy(claim.payload, data, length);
    }
    return trindle_lane_sender_commit(sender, &claim);
}

int trindle_lane_sender_end_stream(trindle_lane_sender_t *sender)
{
    if (sender == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_lane_sender_end_stream: sender=NULL");
    }
    if (!atomic_exchange_explicit(&sender->ended, true, memory_order_relaxed))
    {
        trindle_lane_end(sender->lane.header);
    }
    return TRINDLE_OK;
}

void trindle_lane_end(uint8_t *header)
{
    /* §7: sequentially consistent, so every earlier commit is before it and it is before the load below. */
    atomic_store_explicit(trindle_u32(header, TRINDLE_LANE_ENDED_OFFSET), 1, memory_order_seq_cst);
    _Atomic uint32_t *sleeping = trindle_u32(header, TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET);
    uint32_t expected = 1;
    if (atomic_load_explicit(sleeping, memory_order_seq_cst) != 0 &&
        atomic_compare_exchange_strong_explicit(sleeping, &expected, 0, memory_order_seq_cst, memory_order_seq_cst))
    {
        trindle_futex_wake(sleeping, 1);
    }
}

void trindle_lane_sender_discard(trindle_lane_sender_t *sender)
{
    if (sender != NULL)
    {
        trindle_lane_unmap(&sender->lane);
        free(sender);
    }
}

void trindle_lane_sender_close(trindle_lane_sender_t *sender)
{
    if (sender != NULL)
    {
        (void)trindle_lane_sender_end_stream(sender);
        trindle_lane_sender_discard(sender);
    }
}
