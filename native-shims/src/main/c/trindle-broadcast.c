/*
 * trindle-broadcast.c — a broadcast (docs/broadcast-format.md): one writer's ring that any number of readers read,
 * each at its own pace, the ring mapped read-only by every reader and each reader's position in a cursor file of its
 * own. Writing (§4), reading (§5), the cursor files (§6) and the grants that carry them (§7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trindle-internal.h"

/** A reader stores its cursor at least every this many messages (§5.2 step 5). */
#define BATCH_MESSAGES 64

/** The ring file mapped into this process; its fixed header fields read once and checked at open (§5). */
struct broadcast_ring
{
    int fd;
    uint8_t *file;
    size_t file_size;
    uint8_t *header;
    uint8_t *ring;
    uint64_t object_id;
    uint32_t policy;
    uint32_t capacity;
    uint32_t mask;
    uint32_t max_payload_length;
    uint32_t slot_count;
};

struct trindle_broadcast_writer
{
    struct broadcast_ring ring;
    /** "broadcast 'NAME'" (granted) or "broadcast 0xID" (opened from fds), for messages. */
    char what[96];
    uint8_t *cursors[TRINDLE_BROADCAST_MAX_SLOTS];
    int cursor_fds[TRINDLE_BROADCAST_MAX_SLOTS];
    uint32_t cursor_count;
    /** The writer's own copies (§4): only it writes them, so it never reads them back from the ring. */
    uint64_t tail;
    uint64_t next_sequence;
    uint64_t oldest;
    uint64_t epoch;
    /** The bound its last scan found (§4.2): it may write up to limit + capacity. */
    uint64_t limit;
    bool ended;
    /** Held by the connection: its close only ends the stream, trindle_close unmaps it. */
    bool granted;
};

struct trindle_broadcast_reader
{
    struct broadcast_ring ring;
    char what[96];
    int cursor_fd;
    uint8_t *cursor;
    /** The next position to read, and the last tail loaded: records below it are readable without a new load. */
    uint64_t position;
    uint64_t tail;
    /** The sequence the next message should carry, once one was delivered since joining. */
    uint64_t expected;
    uint64_t delivered;
    uint64_t lost;
    /** Messages delivered since the cursor was last stored. */
    uint32_t unstored;
    bool joined;
    bool delivered_since_join;
    bool broken;
    bool granted;
    char fault[320];
};

static inline uint32_t record_length(uint32_t payload_length)
{
    return (TRINDLE_BROADCAST_RECORD_HEADER_LENGTH + payload_length + TRINDLE_BROADCAST_RECORD_ALIGNMENT - 1) &
        ~(uint32_t)(TRINDLE_BROADCAST_RECORD_ALIGNMENT - 1);
}

static inline _Atomic uint64_t *header_u64(const struct broadcast_ring *ring, size_t offset)
{
    return trindle_u64(ring->header, offset);
}

static inline _Atomic uint32_t *header_u32(const struct broadcast_ring *ring, size_t offset)
{
    return trindle_u32(ring->header, offset);
}

static inline int64_t sleep_nanos(int64_t deadline)
{
    const int64_t remaining = deadline - trindle_now_nanos();
    return remaining < TRINDLE_MAX_SLEEP_NANOS ? remaining : TRINDLE_MAX_SLEEP_NANOS;
}

/* ------------------------------------------------------------------------------------------------------------
 * Opening: the ring (§3.1, §5) and the cursor files (§6), checked once
 * ------------------------------------------------------------------------------------------------------------ */

/** @return 1 if `fd` was opened for writing, 0 if read-only, or -1 with the error set. */
static int opened_for_writing(const char *call, const char *what, int fd)
{
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: %s: fcntl(fd=%d, F_GETFL)", call, what, fd), -1;
    }
    return (flags & O_ACCMODE) != O_RDONLY;
}

/** Checks that `fd` is a memfd sealed against shrinking: a holder cannot then make another's mapping fault. */
static int check_sealed(const char *call, const char *what, int fd, uint64_t *size)
{
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
    {
        return trindle_fail(
            TRINDLE_E_FORMAT, errno, "%s: %s: fd %d is not a memfd: fcntl(F_GET_SEALS)", call, what, fd);
    }
    if ((seals & F_SEAL_SHRINK) == 0)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s: fd %d is not sealed against shrinking (seals=0x%x); mapping it would let another holder fault "
            "this process",
            call, what, fd, (unsigned)seals);
    }
    struct stat status;
    if (fstat(fd, &status) != 0)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: %s: fstat(fd=%d)", call, what, fd);
    }
    *size = (uint64_t)status.st_size;
    return TRINDLE_OK;
}

/**
 * Maps ring file `fd` whole, read-write for the writer and PROT_READ only for a reader, and checks its header. Leaves
 * `fd` open and unowned on failure.
 */
static int map_ring(const char *call, const char *what, int fd, bool writable, struct broadcast_ring *ring)
{
    uint64_t size;
    int result = check_sealed(call, what, fd, &size);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (writable)
    {
        const int writing = opened_for_writing(call, what, fd);
        if (writing <= 0)
        {
            return writing < 0 ? TRINDLE_E_SYSTEM
                               : trindle_fail(TRINDLE_E_ACCESS, 0,
                                     "%s: %s: the ring's fd %d is read-only; writing needs a read-write fd (a grant "
                                     "with SEND)",
                                     call, what, fd);
        }
    }
    if (size < TRINDLE_BROADCAST_HEADER_LENGTH + (uint64_t)TRINDLE_BROADCAST_MIN_CAPACITY || size > SIZE_MAX)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: fd %d is too small to be a broadcast's ring: size=%" PRIu64,
            call, what, fd, size);
    }
    uint8_t *file = mmap(NULL, (size_t)size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (file == MAP_FAILED)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: %s: mmap(ring fd=%d, size=%" PRIu64 ", %s, MAP_SHARED)", call,
            what, fd, size, writable ? "PROT_READ|PROT_WRITE" : "PROT_READ");
    }
    /* Ready first, with acquire: the supervisor stores it last, so the fields below are complete. */
    const uint32_t ready =
        atomic_load_explicit(trindle_u32(file, TRINDLE_BROADCAST_READY_OFFSET), memory_order_acquire);
    const uint32_t magic = trindle_get_u32(file + TRINDLE_BROADCAST_MAGIC_OFFSET);
    const uint16_t version = trindle_get_u16(file + TRINDLE_BROADCAST_VERSION_OFFSET);
    const uint16_t policy = trindle_get_u16(file + TRINDLE_BROADCAST_POLICY_OFFSET);
    const uint32_t capacity = trindle_get_u32(file + TRINDLE_BROADCAST_CAPACITY_OFFSET);
    const uint32_t max_payload = trindle_get_u32(file + TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET);
    const uint32_t slots = trindle_get_u32(file + TRINDLE_BROADCAST_SLOT_COUNT_OFFSET);
    if (ready != 1)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: the ring is not ready: ready=%" PRIu32, call, what, ready);
    }
    else if (magic != TRINDLE_BROADCAST_MAGIC)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s: fd %d is not a broadcast's ring: magic=0x%" PRIx32 ", expected 0x%x", call, what, fd, magic,
            TRINDLE_BROADCAST_MAGIC);
    }
    else if (version != TRINDLE_BROADCAST_VERSION)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: version mismatch: file=%u, app=%u", call, what,
            (unsigned)version, (unsigned)TRINDLE_BROADCAST_VERSION);
    }
    else if (policy != TRINDLE_BROADCAST_POLICY_SLOWEST_READER && policy != TRINDLE_BROADCAST_POLICY_LAP)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: policy=%u is neither %d (slowest-reader) nor %d (lap)",
            call, what, (unsigned)policy, TRINDLE_BROADCAST_POLICY_SLOWEST_READER, TRINDLE_BROADCAST_POLICY_LAP);
    }
    else if (capacity < TRINDLE_BROADCAST_MIN_CAPACITY || capacity > TRINDLE_BROADCAST_MAX_CAPACITY ||
        (capacity & (capacity - 1)) != 0)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: capacity=%" PRIu32 " must be a power of two from %d to %d",
            call, what, capacity, TRINDLE_BROADCAST_MIN_CAPACITY, TRINDLE_BROADCAST_MAX_CAPACITY);
    }
    else if (max_payload != capacity / 8 - TRINDLE_BROADCAST_RECORD_HEADER_LENGTH)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s: maxPayloadLength=%" PRIu32 " must be capacity / 8 - %d = %" PRIu32 " (capacity=%" PRIu32 ")", call,
            what, max_payload, TRINDLE_BROADCAST_RECORD_HEADER_LENGTH,
            capacity / 8 - TRINDLE_BROADCAST_RECORD_HEADER_LENGTH, capacity);
    }
    else if (size != TRINDLE_BROADCAST_HEADER_LENGTH + (uint64_t)capacity)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s: the file's size=%" PRIu64 " is not %d + capacity=%" PRIu32 " bytes", call, what, size,
            TRINDLE_BROADCAST_HEADER_LENGTH, capacity);
    }
    else if (slots > TRINDLE_BROADCAST_MAX_SLOTS)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: reader slots=%" PRIu32 " exceeds %d", call, what, slots,
            TRINDLE_BROADCAST_MAX_SLOTS);
    }
    if (result != TRINDLE_OK)
    {
        munmap(file, (size_t)size);
        return result;
    }
    ring->fd = fd;
    ring->file = file;
    ring->file_size = (size_t)size;
    ring->header = file;
    ring->ring = file + TRINDLE_BROADCAST_HEADER_LENGTH;
    ring->object_id = trindle_get_u64(file + TRINDLE_BROADCAST_OBJECT_ID_OFFSET);
    ring->policy = policy;
    ring->capacity = capacity;
    ring->mask = capacity - 1;
    ring->max_payload_length = max_payload;
    ring->slot_count = slots;
    return TRINDLE_OK;
}

static void unmap_ring(struct broadcast_ring *ring)
{
    if (ring->file != NULL)
    {
        munmap(ring->file, ring->file_size);
        ring->file = NULL;
    }
    if (ring->fd >= 0)
    {
        close(ring->fd);
        ring->fd = -1;
    }
}

/** Maps cursor file `fd` (§6): read-write for its reader, read-only for the writer. Leaves `fd` unowned on failure. */
static int map_cursor(const char *call, const char *what, int fd, bool writable, uint8_t **cursor)
{
    uint64_t size;
    int result = check_sealed(call, what, fd, &size);
    if (result != TRINDLE_OK)
    {
        return result;
    }
    if (size != TRINDLE_BROADCAST_CURSOR_LENGTH)
    {
        return trindle_fail(TRINDLE_E_FORMAT, 0, "%s: %s: a cursor file is %d bytes, not size=%" PRIu64, call, what,
            TRINDLE_BROADCAST_CURSOR_LENGTH, size);
    }
    if (writable)
    {
        const int writing = opened_for_writing(call, what, fd);
        if (writing <= 0)
        {
            return writing < 0 ? TRINDLE_E_SYSTEM
                               : trindle_fail(TRINDLE_E_ACCESS, 0,
                                     "%s: %s: the cursor's fd %d is read-only; a reader needs its cursor read-write "
                                     "(a segment handle with READ and WRITE)",
                                     call, what, fd);
        }
    }
    void *address =
        mmap(NULL, TRINDLE_BROADCAST_CURSOR_LENGTH, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED)
    {
        return trindle_fail(TRINDLE_E_SYSTEM, errno, "%s: %s: mmap(cursor fd=%d, size=%d, %s, MAP_SHARED)", call, what,
            fd, TRINDLE_BROADCAST_CURSOR_LENGTH, writable ? "PROT_READ|PROT_WRITE" : "PROT_READ");
    }
    *cursor = address;
    return TRINDLE_OK;
}

static inline _Atomic uint64_t *cursor_position(uint8_t *cursor)
{
    return trindle_u64(cursor, TRINDLE_BROADCAST_CURSOR_POSITION_OFFSET);
}

/** The low 32 bits of a cursor's position word (little-endian: its first 4 bytes): the futex word of §4.3. */
static inline _Atomic uint32_t *cursor_position_futex(uint8_t *cursor)
{
    return trindle_u32(cursor, TRINDLE_BROADCAST_CURSOR_POSITION_OFFSET);
}

/* ------------------------------------------------------------------------------------------------------------
 * Writing (§4)
 * ------------------------------------------------------------------------------------------------------------ */

static void free_writer(trindle_broadcast_writer_t *writer)
{
    for (uint32_t i = 0; i < writer->cursor_count; i++)
    {
        if (writer->cursors[i] != NULL)
        {
            munmap(writer->cursors[i], TRINDLE_BROADCAST_CURSOR_LENGTH);
        }
        if (writer->cursor_fds[i] >= 0)
        {
            close(writer->cursor_fds[i]);
        }
    }
    unmap_ring(&writer->ring);
    free(writer);
}

/** Opens a writer on the fds, which it takes whatever happens; `what` names the broadcast in messages. */
static int open_writer(const char *call, const char *what, int ring_fd, const int *cursor_fds, uint32_t cursor_count,
    trindle_broadcast_writer_t **out)
{
    trindle_broadcast_writer_t *writer = calloc(1, sizeof *writer);
    if (writer == NULL)
    {
        close(ring_fd);
        for (uint32_t i = 0; i < cursor_count; i++)
        {
            close(cursor_fds[i]);
        }
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    snprintf(writer->what, sizeof writer->what, "%s", what);
    writer->ring.fd = ring_fd;
    writer->cursor_count = cursor_count;
    for (uint32_t i = 0; i < cursor_count; i++)
    {
        writer->cursor_fds[i] = cursor_fds[i];
    }
    int result = map_ring(call, what, ring_fd, true, &writer->ring);
    if (result == TRINDLE_OK && cursor_count != writer->ring.slot_count)
    {
        result = trindle_fail(TRINDLE_E_FORMAT, 0,
            "%s: %s: the writer was given %" PRIu32 " cursor files, but the ring has reader slots=%" PRIu32, call, what,
            cursor_count, writer->ring.slot_count);
    }
    for (uint32_t i = 0; i < cursor_count && result == TRINDLE_OK; i++)
    {
        char slot[140];
        snprintf(slot, sizeof slot, "%s, reader slot %" PRIu32, what, i);
        result = map_cursor(call, slot, cursor_fds[i], false, &writer->cursors[i]);
    }
    const struct broadcast_ring *ring = &writer->ring;
    if (result == TRINDLE_OK)
    {
        /* A restarted writer carries on from what its predecessor published (§4): a record it left half written
         * lies past the tail and is written over. */
        writer->tail = atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_TAIL_OFFSET), memory_order_acquire);
        writer->next_sequence =
            atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_NEXT_SEQUENCE_OFFSET), memory_order_relaxed);
        writer->oldest = atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_OLDEST_OFFSET), memory_order_acquire);
        writer->epoch =
            atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_SCAN_EPOCH_OFFSET), memory_order_relaxed);
        if (writer->tail % TRINDLE_BROADCAST_RECORD_ALIGNMENT != 0 ||
            writer->oldest % TRINDLE_BROADCAST_RECORD_ALIGNMENT != 0 || writer->oldest > writer->tail ||
            writer->tail - writer->oldest > ring->capacity)
        {
            result = trindle_fail(TRINDLE_E_CORRUPT, 0,
                "%s: %s is corrupt: tail=%" PRIu64 ", oldest=%" PRIu64 ": both must be multiples of %d, with the "
                "oldest at most capacity=%" PRIu32 " behind the tail",
                call, what, writer->tail, writer->oldest, TRINDLE_BROADCAST_RECORD_ALIGNMENT, ring->capacity);
        }
    }
    if (result != TRINDLE_OK)
    {
        free_writer(writer);
        return result;
    }
    if ((writer->epoch & 1) != 0)
    {
        /* A writer died scanning: the epoch must be even for readers to join. */
        writer->epoch++;
        atomic_store_explicit(
            header_u64(ring, TRINDLE_BROADCAST_SCAN_EPOCH_OFFSET), writer->epoch, memory_order_release);
    }
    /* 0 is at most every cursor's position: a restarted writer scans before it overwrites anything. */
    writer->limit = 0;
    atomic_store_explicit(header_u32(ring, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET), 0, memory_order_seq_cst);
    atomic_store_explicit(
        header_u32(ring, TRINDLE_BROADCAST_WRITER_PID_OFFSET), (uint32_t)getpid(), memory_order_relaxed);
    atomic_store_explicit(
        header_u32(ring, TRINDLE_BROADCAST_STATE_OFFSET), TRINDLE_BROADCAST_STATE_OPEN, memory_order_release);
    *out = writer;
    return TRINDLE_OK;
}

int trindle_broadcast_writer_open(
    int ring_fd, const int *cursor_fds, uint32_t cursor_count, trindle_broadcast_writer_t **writer)
{
    static const char call[] = "trindle_broadcast_writer_open";
    if (writer == NULL || ring_fd < 0 || (cursor_fds == NULL && cursor_count > 0) ||
        cursor_count > TRINDLE_BROADCAST_MAX_SLOTS)
    {
        if (ring_fd >= 0)
        {
            close(ring_fd);
        }
        for (uint32_t i = 0; cursor_fds != NULL && i < cursor_count; i++)
        {
            close(cursor_fds[i]);
        }
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: ring_fd=%d, cursor_fds=%p, cursor_count=%" PRIu32 " (at most %d), writer=%p", call, ring_fd,
            (const void *)cursor_fds, cursor_count, TRINDLE_BROADCAST_MAX_SLOTS, (void *)writer);
    }
    char what[64];
    snprintf(what, sizeof what, "broadcast of ring fd %d", ring_fd);
    return open_writer(call, what, ring_fd, cursor_fds, cursor_count, writer);
}

/**
 * Scans the cursors (§4.2): the least position of every joined reader and of the tail becomes the limit and the
 * published gate. @return the slot of the reader that holds the limit, or UINT32_MAX if the tail does; its
 * position in `*seen`.
 */
static uint32_t scan(trindle_broadcast_writer_t *writer, uint64_t *seen)
{
    const struct broadcast_ring *ring = &writer->ring;
    _Atomic uint64_t *epoch = header_u64(ring, TRINDLE_BROADCAST_SCAN_EPOCH_OFFSET);
    atomic_store_explicit(epoch, ++writer->epoch, memory_order_release);
    /* The odd epoch before any cursor's load: a reader whose store this scan misses sees the scan (§5.1). */
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t limit = writer->tail;
    uint32_t slowest = UINT32_MAX;
    for (uint32_t i = 0; i < writer->cursor_count; i++)
    {
        const uint64_t position = atomic_load_explicit(cursor_position(writer->cursors[i]), memory_order_acquire);
        if (position != TRINDLE_BROADCAST_CURSOR_ABSENT && position < limit)
        {
            limit = position;
            slowest = i;
        }
    }
    atomic_store_explicit(header_u64(ring, TRINDLE_BROADCAST_GATE_OFFSET), limit, memory_order_relaxed);
    atomic_store_explicit(epoch, ++writer->epoch, memory_order_release);
    writer->limit = limit;
    *seen = limit;
    return slowest;
}

/** Waits until the slowest joined reader has read everything below `end` − capacity (§4.2, §4.3). */
static int wait_for_readers(trindle_broadcast_writer_t *writer, uint64_t end, int64_t timeout_ns)
{
    const struct broadcast_ring *ring = &writer->ring;
    _Atomic uint32_t *waiting = header_u32(ring, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET);
    const int64_t deadline = trindle_deadline(timeout_ns);
    for (uint64_t round = 0;; round++)
    {
        uint64_t seen;
        const uint32_t slowest = scan(writer, &seen);
        if (end <= writer->limit + ring->capacity)
        {
            return TRINDLE_OK;
        }
        if (timeout_ns == 0 || (round >= TRINDLE_WAIT_SPINS && trindle_now_nanos() >= deadline))
        {
            const uint32_t pid = atomic_load_explicit(
                trindle_u32(writer->cursors[slowest], TRINDLE_BROADCAST_CURSOR_PID_OFFSET), memory_order_relaxed);
            return trindle_fail(TRINDLE_E_TIMEOUT, 0,
                "trindle_broadcast_send: %s: reader slot %" PRIu32 " (pid %" PRIu32 ") at position %" PRIu64
                " held the writer for the timeout=%lld ns (slowest-reader; the message needs the ring up to "
                "position %" PRIu64 "); nothing was sent",
                writer->what, slowest, pid, seen, (long long)timeout_ns, end - ring->capacity);
        }
        if (round < TRINDLE_WAIT_SPINS)
        {
            trindle_spin_pause();
        }
        else if (round < TRINDLE_WAIT_SPINS + TRINDLE_WAIT_YIELDS)
        {
            sched_yield();
        }
        else
        {
            /* Announce, then look again: a reader stores its position, fences, then reads this word, so either it
             * sees the 1 and wakes the word waited on, or the load below sees its move (§4.3). */
            atomic_store_explicit(waiting, 1, memory_order_seq_cst);
            atomic_thread_fence(memory_order_seq_cst);
            uint8_t *cursor = writer->cursors[slowest];
            const int64_t nanos = sleep_nanos(deadline);
            if (atomic_load_explicit(cursor_position(cursor), memory_order_acquire) == seen)
            {
                const int error =
                    trindle_futex_wait(cursor_position_futex(cursor), (uint32_t)seen, nanos > 0 ? nanos : 1);
                if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
                {
                    atomic_store_explicit(waiting, 0, memory_order_seq_cst);
                    return trindle_fail(TRINDLE_E_SYSTEM, error,
                        "trindle_broadcast_send: %s: futex(FUTEX_WAIT) on the cursor of reader slot %" PRIu32,
                        writer->what, slowest);
                }
            }
            atomic_store_explicit(waiting, 0, memory_order_seq_cst);
        }
    }
}

/**
 * Moves `oldest` past every record below `floor` (§4 step 3), before any byte of them is written over, and on by an
 * eighth of the ring more where it may (up to the tail; under slowest-reader up to the limit, below which no joined
 * reader is): so the word readers check after every copy changes once an eighth of the ring, not at every message.
 */
static int move_oldest(trindle_broadcast_writer_t *writer, uint64_t floor)
{
    const struct broadcast_ring *ring = &writer->ring;
    const uint64_t most = ring->policy == TRINDLE_BROADCAST_POLICY_SLOWEST_READER && writer->limit < writer->tail
        ? writer->limit
        : writer->tail;
    const uint64_t ahead = floor + ring->capacity / TRINDLE_BROADCAST_OLDEST_STEP_DIVISOR;
    const uint64_t target = ahead < most ? ahead : (most > floor ? most : floor);
    uint64_t oldest = writer->oldest;
    while (oldest < target)
    {
        /* Only the writer writes records: the length read back is its own, checked only against a scribble. */
        const uint32_t length = atomic_load_explicit(
            trindle_u32(ring->ring + (oldest & ring->mask), TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET),
            memory_order_relaxed);
        const uint64_t step = record_length(length > ring->capacity ? ring->capacity : length);
        if (length > ring->capacity - TRINDLE_BROADCAST_RECORD_HEADER_LENGTH || oldest + step > writer->tail)
        {
            return trindle_fail(TRINDLE_E_CORRUPT, 0,
                "trindle_broadcast_send: %s is corrupt: the record at position %" PRIu64 " has length=%" PRIu32
                ", which passes the tail=%" PRIu64 " (capacity=%" PRIu32 "); nothing was sent",
                writer->what, oldest, length, writer->tail, ring->capacity);
        }
        oldest += step;
    }
    writer->oldest = oldest;
    atomic_store_explicit(header_u64(ring, TRINDLE_BROADCAST_OLDEST_OFFSET), oldest, memory_order_release);
    /* The new oldest before any byte of the overwrite: a reader that copied one of them finds oldest past its
     * record (§4.1). */
    atomic_thread_fence(memory_order_release);
    return TRINDLE_OK;
}

/**
 * After publishing (§4 step 6): wakes the readers asleep on the signal word, if any announced that it sleeps on the
 * signal's present value (one that announced an older value was woken already, or will not sleep: its wait returns).
 */
static void wake_readers(const trindle_broadcast_writer_t *writer)
{
    atomic_thread_fence(memory_order_seq_cst);
    _Atomic uint32_t *signal = header_u32(&writer->ring, TRINDLE_BROADCAST_SIGNAL_OFFSET);
    const uint32_t now = atomic_load_explicit(signal, memory_order_relaxed);
    for (uint32_t i = 0; i < writer->cursor_count; i++)
    {
        if (atomic_load_explicit(
                trindle_u32(writer->cursors[i], TRINDLE_BROADCAST_CURSOR_SLEEPING_OFFSET), memory_order_relaxed) != 0 &&
            atomic_load_explicit(trindle_u32(writer->cursors[i], TRINDLE_BROADCAST_CURSOR_SLEEP_SIGNAL_OFFSET),
                memory_order_relaxed) == now)
        {
            atomic_fetch_add_explicit(signal, 1, memory_order_seq_cst);
            trindle_futex_wake(signal, INT_MAX);
            return;
        }
    }
}

int trindle_broadcast_send(
    trindle_broadcast_writer_t *writer, const void *data, uint32_t length, int64_t timeout_ns, uint64_t *sequence)
{
    static const char call[] = "trindle_broadcast_send";
    if (writer == NULL || (data == NULL && length > 0))
    {
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "%s: writer=%p, data=%p, length=%" PRIu32, call, (void *)writer, data, length);
    }
    const struct broadcast_ring *ring = &writer->ring;
    if (writer->ended)
    {
        return trindle_fail(TRINDLE_E_ENDED, 0, "%s: %s was ended: nothing more can be sent on it", call, writer->what);
    }
    if (length > ring->max_payload_length)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: %s: message length=%" PRIu32 " exceeds the largest payload=%" PRIu32 " (capacity=%" PRIu32 ")", call,
            writer->what, length, ring->max_payload_length, ring->capacity);
    }
    const uint32_t record = record_length(length);
    const uint32_t index = (uint32_t)(writer->tail & ring->mask);
    const uint32_t room = ring->capacity - index;
    const uint32_t padding = room >= record ? 0 : room;
    const uint64_t end = writer->tail + padding + record;
    int result;
    if (ring->policy == TRINDLE_BROADCAST_POLICY_SLOWEST_READER && end > writer->limit + ring->capacity &&
        (result = wait_for_readers(writer, end, timeout_ns)) != TRINDLE_OK)
    {
        return result;
    }
    if (end > writer->oldest + ring->capacity && (result = move_oldest(writer, end - ring->capacity)) != TRINDLE_OK)
    {
        return result;
    }
    /* Plain stores in the spec's words (relaxed atomics for the header words): the tail's release publishes them. */
    if (padding > 0)
    {
        uint8_t *at = ring->ring + index;
        atomic_store_explicit(trindle_u32(at, TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET),
            padding - TRINDLE_BROADCAST_RECORD_HEADER_LENGTH, memory_order_relaxed);
        atomic_store_explicit(trindle_u32(at, TRINDLE_BROADCAST_RECORD_TYPE_OFFSET), TRINDLE_BROADCAST_TYPE_PADDING,
            memory_order_relaxed);
        atomic_store_explicit(trindle_u64(at, TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET), 0, memory_order_relaxed);
    }
    uint8_t *at = ring->ring + ((writer->tail + padding) & ring->mask);
    atomic_store_explicit(trindle_u32(at, TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET), length, memory_order_relaxed);
    atomic_store_explicit(
        trindle_u32(at, TRINDLE_BROADCAST_RECORD_TYPE_OFFSET), TRINDLE_BROADCAST_TYPE_MESSAGE, memory_order_relaxed);
    atomic_store_explicit(
        trindle_u64(at, TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET), writer->next_sequence, memory_order_relaxed);
    if (length > 0)
    {
        memcpy(at + TRINDLE_BROADCAST_RECORD_HEADER_LENGTH, data, length);
    }
    if (sequence != NULL)
    {
        *sequence = writer->next_sequence;
    }
    writer->next_sequence++;
    writer->tail = end;
    atomic_store_explicit(
        header_u64(ring, TRINDLE_BROADCAST_NEXT_SEQUENCE_OFFSET), writer->next_sequence, memory_order_relaxed);
    atomic_store_explicit(header_u64(ring, TRINDLE_BROADCAST_TAIL_OFFSET), end, memory_order_release);
    wake_readers(writer);
    return TRINDLE_OK;
}

int trindle_broadcast_end(trindle_broadcast_writer_t *writer)
{
    if (writer == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_broadcast_end: writer=NULL");
    }
    if (!writer->ended)
    {
        writer->ended = true;
        atomic_store_explicit(header_u32(&writer->ring, TRINDLE_BROADCAST_STATE_OFFSET), TRINDLE_BROADCAST_STATE_ENDED,
            memory_order_release);
        atomic_thread_fence(memory_order_seq_cst);
        _Atomic uint32_t *signal = header_u32(&writer->ring, TRINDLE_BROADCAST_SIGNAL_OFFSET);
        atomic_fetch_add_explicit(signal, 1, memory_order_seq_cst);
        trindle_futex_wake(signal, INT_MAX);
    }
    return TRINDLE_OK;
}

uint32_t trindle_broadcast_writer_max_payload_length(const trindle_broadcast_writer_t *writer)
{
    return writer == NULL ? 0 : writer->ring.max_payload_length;
}

void trindle_broadcast_writer_close(trindle_broadcast_writer_t *writer)
{
    if (writer != NULL)
    {
        (void)trindle_broadcast_end(writer);
        if (!writer->granted)
        {
            free_writer(writer);
        }
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * Reading (§5)
 * ------------------------------------------------------------------------------------------------------------ */

static void free_reader(trindle_broadcast_reader_t *reader)
{
    if (reader->cursor != NULL)
    {
        munmap(reader->cursor, TRINDLE_BROADCAST_CURSOR_LENGTH);
    }
    if (reader->cursor_fd >= 0)
    {
        close(reader->cursor_fd);
    }
    unmap_ring(&reader->ring);
    free(reader);
}

static int open_reader(const char *call, const char *what, int ring_fd, int cursor_fd, trindle_broadcast_reader_t **out)
{
    trindle_broadcast_reader_t *reader = calloc(1, sizeof *reader);
    if (reader == NULL)
    {
        close(ring_fd);
        close(cursor_fd);
        return trindle_fail(TRINDLE_E_NO_MEMORY, ENOMEM, "%s: calloc", call);
    }
    snprintf(reader->what, sizeof reader->what, "%s", what);
    reader->ring.fd = ring_fd;
    reader->cursor_fd = cursor_fd;
    int result = map_ring(call, what, ring_fd, false, &reader->ring);
    if (result == TRINDLE_OK)
    {
        result = map_cursor(call, what, cursor_fd, true, &reader->cursor);
    }
    if (result != TRINDLE_OK)
    {
        free_reader(reader);
        return result;
    }
    *out = reader;
    return TRINDLE_OK;
}

int trindle_broadcast_reader_open(int ring_fd, int cursor_fd, trindle_broadcast_reader_t **reader)
{
    static const char call[] = "trindle_broadcast_reader_open";
    if (reader == NULL || ring_fd < 0 || cursor_fd < 0)
    {
        if (ring_fd >= 0)
        {
            close(ring_fd);
        }
        if (cursor_fd >= 0)
        {
            close(cursor_fd);
        }
        return trindle_fail(
            TRINDLE_E_INVALID, 0, "%s: ring_fd=%d, cursor_fd=%d, reader=%p", call, ring_fd, cursor_fd, (void *)reader);
    }
    char what[64];
    snprintf(what, sizeof what, "broadcast of ring fd %d", ring_fd);
    return open_reader(call, what, ring_fd, cursor_fd, reader);
}

static int corrupt(trindle_broadcast_reader_t *reader, const char *format, ...) __attribute__((format(printf, 2, 3)));

/** Marks the reader broken with the reason (it reads no more) and reports it. */
static int corrupt(trindle_broadcast_reader_t *reader, const char *format, ...)
{
    const int length = snprintf(reader->fault, sizeof reader->fault, "%s is corrupt: ", reader->what);
    if (length > 0 && (size_t)length < sizeof reader->fault)
    {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(reader->fault + length, sizeof reader->fault - (size_t)length, format, arguments);
        va_end(arguments);
    }
    reader->broken = true;
    return trindle_fail(TRINDLE_E_CORRUPT, 0, "trindle_broadcast_read: %s", reader->fault);
}

/** Stores the position and the counts in the cursor (§5.2 step 5), and wakes the writer if it waits. */
static void store_cursor(trindle_broadcast_reader_t *reader)
{
    atomic_store_explicit(cursor_position(reader->cursor), reader->position, memory_order_seq_cst);
    atomic_store_explicit(trindle_u64(reader->cursor, TRINDLE_BROADCAST_CURSOR_DELIVERED_OFFSET), reader->delivered,
        memory_order_release);
    atomic_store_explicit(
        trindle_u64(reader->cursor, TRINDLE_BROADCAST_CURSOR_LOST_OFFSET), reader->lost, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    reader->unstored = 0;
    if (atomic_load_explicit(
            header_u32(&reader->ring, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET), memory_order_relaxed) != 0)
    {
        trindle_futex_wake(cursor_position_futex(reader->cursor), INT_MAX);
    }
}

int trindle_broadcast_join(trindle_broadcast_reader_t *reader, int from)
{
    static const char call[] = "trindle_broadcast_join";
    if (reader == NULL || (from != TRINDLE_BROADCAST_FROM_NOW && from != TRINDLE_BROADCAST_FROM_OLDEST))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: reader=%p, from=%d (%d now, %d oldest)", call, (void *)reader,
            from, TRINDLE_BROADCAST_FROM_NOW, TRINDLE_BROADCAST_FROM_OLDEST);
    }
    const struct broadcast_ring *ring = &reader->ring;
    uint64_t position = atomic_load_explicit(
        header_u64(
            ring, from == TRINDLE_BROADCAST_FROM_NOW ? TRINDLE_BROADCAST_TAIL_OFFSET : TRINDLE_BROADCAST_OLDEST_OFFSET),
        memory_order_acquire);
    _Atomic uint64_t *word = cursor_position(reader->cursor);
    atomic_store_explicit(
        trindle_u32(reader->cursor, TRINDLE_BROADCAST_CURSOR_SLEEPING_OFFSET), 0, memory_order_relaxed);
    atomic_store_explicit(
        trindle_u32(reader->cursor, TRINDLE_BROADCAST_CURSOR_PID_OFFSET), (uint32_t)getpid(), memory_order_relaxed);
    _Atomic uint64_t *epoch = header_u64(ring, TRINDLE_BROADCAST_SCAN_EPOCH_OFFSET);
    for (uint32_t round = 0;; round++)
    {
        if (position % TRINDLE_BROADCAST_RECORD_ALIGNMENT != 0 || position == TRINDLE_BROADCAST_CURSOR_ABSENT)
        {
            return trindle_fail(TRINDLE_E_CORRUPT, 0,
                "%s: %s is corrupt: the position to join at, %" PRIu64 ", is not a multiple of %d", call, reader->what,
                position, TRINDLE_BROADCAST_RECORD_ALIGNMENT);
        }
        atomic_store_explicit(word, position, memory_order_seq_cst);
        atomic_thread_fence(memory_order_seq_cst);
        if (ring->policy == TRINDLE_BROADCAST_POLICY_LAP)
        {
            break; /* the writer never reads a position under lap */
        }
        /* A sequence lock on the scan (§4.2): the gate is one scan's whole result only if the epoch was even and
         * the same before and after it. */
        const uint64_t before = atomic_load_explicit(epoch, memory_order_acquire);
        const uint64_t gate =
            atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_GATE_OFFSET), memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        const uint64_t after = atomic_load_explicit(epoch, memory_order_relaxed);
        if ((before & 1) != 0 || before != after)
        {
            /* A writer that died mid-scan leaves the epoch odd; with no writer there, nothing overwrites, and the
             * next writer scans (and sees this cursor) before it overwrites anything. */
            if (round >= TRINDLE_WAIT_SPINS &&
                atomic_load_explicit(header_u32(ring, TRINDLE_BROADCAST_STATE_OFFSET), memory_order_acquire) !=
                    TRINDLE_BROADCAST_STATE_OPEN)
            {
                break;
            }
            if (round < TRINDLE_WAIT_SPINS)
            {
                trindle_spin_pause();
            }
            else
            {
                sched_yield();
            }
            continue;
        }
        if (gate > position)
        {
            position = gate; /* the writer may overwrite below its gate: start there */
            continue;
        }
        break;
    }
    reader->position = position;
    reader->tail = position;
    reader->joined = true;
    reader->delivered_since_join = false;
    reader->unstored = 0;
    return TRINDLE_OK;
}

int trindle_broadcast_leave(trindle_broadcast_reader_t *reader)
{
    if (reader == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_broadcast_leave: reader=NULL");
    }
    if (reader->joined)
    {
        reader->joined = false;
        atomic_store_explicit(
            trindle_u32(reader->cursor, TRINDLE_BROADCAST_CURSOR_PID_OFFSET), 0, memory_order_relaxed);
        reader->position = TRINDLE_BROADCAST_CURSOR_ABSENT;
        store_cursor(reader);
    }
    return TRINDLE_OK;
}

/**
 * Reads the record at the read position (§5.2 steps 2 to 4), below the last tail loaded. @return 1 with a message
 * delivered, 0 if the position moved past padding or a lap, or a failure.
 */
static int take_record(
    trindle_broadcast_reader_t *reader, uint8_t *buffer, uint32_t capacity, uint32_t *length, uint64_t *sequence)
{
    const struct broadcast_ring *ring = &reader->ring;
    const uint64_t position = reader->position;
    const uint32_t index = (uint32_t)(position & ring->mask);
    uint8_t *at = ring->ring + index;
    const uint32_t size =
        atomic_load_explicit(trindle_u32(at, TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET), memory_order_relaxed);
    const uint32_t type =
        atomic_load_explicit(trindle_u32(at, TRINDLE_BROADCAST_RECORD_TYPE_OFFSET), memory_order_relaxed);
    const uint64_t number =
        atomic_load_explicit(trindle_u64(at, TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET), memory_order_relaxed);
    /* Copied only when it lies inside the ring and the buffer: a record being overwritten can say anything. */
    const bool whole = type == TRINDLE_BROADCAST_TYPE_MESSAGE && size <= ring->max_payload_length &&
        index + record_length(size) <= ring->capacity;
    if (whole && size <= capacity && size > 0)
    {
        memcpy(buffer, at + TRINDLE_BROADCAST_RECORD_HEADER_LENGTH, size);
    }
    atomic_thread_fence(memory_order_acquire);
    const uint64_t oldest =
        atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_OLDEST_OFFSET), memory_order_acquire);
    if (oldest > position)
    {
        /* Lapped (§5.2 step 3): what was copied may be torn. The next message's sequence tells how many were lost.
         * The tail loaded after the oldest is at or past it (the writer moves oldest only below a tail it stored). */
        reader->tail = atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_TAIL_OFFSET), memory_order_acquire);
        if (oldest % TRINDLE_BROADCAST_RECORD_ALIGNMENT != 0 || oldest > reader->tail)
        {
            return corrupt(reader, "oldest=%" PRIu64 " is not a record's position at or below the tail=%" PRIu64,
                oldest, reader->tail);
        }
        reader->position = oldest;
        return 0;
    }
    if (type == TRINDLE_BROADCAST_TYPE_PADDING)
    {
        if (size > ring->capacity || (uint64_t)index + TRINDLE_BROADCAST_RECORD_HEADER_LENGTH + size != ring->capacity)
        {
            return corrupt(reader,
                "the padding at position %" PRIu64 " has length=%" PRIu32 ", which does not reach the ring's end "
                "(capacity=%" PRIu32 ")",
                position, size, ring->capacity);
        }
        reader->position = position + TRINDLE_BROADCAST_RECORD_HEADER_LENGTH + size;
        return 0;
    }
    if (type != TRINDLE_BROADCAST_TYPE_MESSAGE)
    {
        return corrupt(reader, "the record at position %" PRIu64 " has type=%" PRIu32 " (%d message, %d padding)",
            position, type, TRINDLE_BROADCAST_TYPE_MESSAGE, TRINDLE_BROADCAST_TYPE_PADDING);
    }
    if (!whole || position + record_length(size) > reader->tail)
    {
        return corrupt(reader,
            "the message at position %" PRIu64 " has length=%" PRIu32 ": over the largest payload=%" PRIu32
            ", or past the ring's end or the tail=%" PRIu64,
            position, size, ring->max_payload_length, reader->tail);
    }
    if (reader->delivered_since_join && number < reader->expected)
    {
        return corrupt(reader,
            "the message at position %" PRIu64 " has sequence=%" PRIu64 ", before the expected %" PRIu64, position,
            number, reader->expected);
    }
    *length = size;
    if (size > capacity)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "trindle_broadcast_read: %s: the message of sequence %" PRIu64 " has length=%" PRIu32
            ", more than capacity=%" PRIu32 " (the largest payload is %" PRIu32 ")",
            reader->what, number, size, capacity, ring->max_payload_length);
    }
    if (reader->delivered_since_join)
    {
        reader->lost += number - reader->expected; /* §5.2 step 4: the gap is what the lap took */
    }
    if (sequence != NULL)
    {
        *sequence = number;
    }
    reader->expected = number + 1;
    reader->delivered_since_join = true;
    reader->delivered++;
    reader->position = position + record_length(size);
    if (++reader->unstored >= BATCH_MESSAGES || reader->position == reader->tail ||
        (ring->policy == TRINDLE_BROADCAST_POLICY_SLOWEST_READER &&
            atomic_load_explicit(header_u32(ring, TRINDLE_BROADCAST_WRITER_WAITING_OFFSET), memory_order_relaxed) != 0))
    {
        store_cursor(reader);
    }
    return 1;
}

/**
 * At the tail (§5.2, §5.3): stores the cursor, tells the end of the stream, or waits one step (`round` counts the
 * steps of this read: spins, then yields, then sleeps). @return TRINDLE_OK to look again, or what read returns.
 */
static int at_tail(trindle_broadcast_reader_t *reader, int64_t timeout_ns, int64_t deadline, uint64_t round)
{
    const struct broadcast_ring *ring = &reader->ring;
    if (reader->unstored > 0)
    {
        store_cursor(reader);
    }
    _Atomic uint32_t *state_word = header_u32(ring, TRINDLE_BROADCAST_STATE_OFFSET);
    _Atomic uint64_t *tail_word = header_u64(ring, TRINDLE_BROADCAST_TAIL_OFFSET);
    const uint32_t state = atomic_load_explicit(state_word, memory_order_acquire);
    if (state != TRINDLE_BROADCAST_STATE_OPEN)
    {
        /* The state is stored after the last tail: loaded after it, the tail is final. */
        reader->tail = atomic_load_explicit(tail_word, memory_order_acquire);
        if (reader->position < reader->tail)
        {
            return TRINDLE_OK;
        }
        if (state == TRINDLE_BROADCAST_STATE_ENDED)
        {
            return TRINDLE_END_OF_STREAM;
        }
        if (state == TRINDLE_BROADCAST_STATE_WRITER_GONE)
        {
            return trindle_fail(TRINDLE_E_ENDED, 0,
                "trindle_broadcast_read: %s: its writer is gone (its process exited without ending the stream) after "
                "%" PRIu64 " messages; everything it sent was read. A restarted writer carries on: read again later",
                reader->what,
                atomic_load_explicit(header_u64(ring, TRINDLE_BROADCAST_NEXT_SEQUENCE_OFFSET), memory_order_relaxed));
        }
        return corrupt(reader, "state=%" PRIu32 " (%d open, %d ended, %d writer gone)", state,
            TRINDLE_BROADCAST_STATE_OPEN, TRINDLE_BROADCAST_STATE_ENDED, TRINDLE_BROADCAST_STATE_WRITER_GONE);
    }
    if (timeout_ns == 0 || (round >= TRINDLE_WAIT_SPINS && trindle_now_nanos() >= deadline))
    {
        return trindle_fail(TRINDLE_E_TIMEOUT, 0,
            "trindle_broadcast_read: %s: no message came within the timeout=%lld ns (position %" PRIu64 ")",
            reader->what, (long long)timeout_ns, reader->position);
    }
    if (round < TRINDLE_WAIT_SPINS)
    {
        trindle_spin_pause();
        return TRINDLE_OK;
    }
    if (round < TRINDLE_WAIT_SPINS + TRINDLE_WAIT_YIELDS)
    {
        sched_yield();
        return TRINDLE_OK;
    }
    /* Load the signal, announce, then look again: the writer publishes, fences, then reads the sleeping word, so
     * either it sees the 1 and changes the signal, or the loads below see what it published (§5.3). */
    _Atomic uint32_t *signal = header_u32(ring, TRINDLE_BROADCAST_SIGNAL_OFFSET);
    _Atomic uint32_t *sleeping = trindle_u32(reader->cursor, TRINDLE_BROADCAST_CURSOR_SLEEPING_OFFSET);
    const uint32_t seen = atomic_load_explicit(signal, memory_order_seq_cst);
    atomic_store_explicit(
        trindle_u32(reader->cursor, TRINDLE_BROADCAST_CURSOR_SLEEP_SIGNAL_OFFSET), seen, memory_order_seq_cst);
    atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    int error = 0;
    if (atomic_load_explicit(tail_word, memory_order_acquire) == reader->tail &&
        atomic_load_explicit(state_word, memory_order_acquire) == TRINDLE_BROADCAST_STATE_OPEN)
    {
        const int64_t nanos = sleep_nanos(deadline);
        error = trindle_futex_wait(signal, seen, nanos > 0 ? nanos : 1);
    }
    atomic_store_explicit(sleeping, 0, memory_order_relaxed);
    if (error != 0 && error != EAGAIN && error != ETIMEDOUT && error != EINTR)
    {
        return trindle_fail(
            TRINDLE_E_SYSTEM, error, "trindle_broadcast_read: %s: futex(FUTEX_WAIT) on the signal word", reader->what);
    }
    return TRINDLE_OK;
}

int trindle_broadcast_read(trindle_broadcast_reader_t *reader, void *buffer, uint32_t capacity, uint32_t *length,
    uint64_t *sequence, int64_t timeout_ns)
{
    static const char call[] = "trindle_broadcast_read";
    if (reader == NULL || length == NULL || (buffer == NULL && capacity > 0))
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "%s: reader=%p, buffer=%p, capacity=%" PRIu32 ", length=%p", call,
            (void *)reader, buffer, capacity, (void *)length);
    }
    if (reader->broken)
    {
        return trindle_fail(TRINDLE_E_CORRUPT, 0, "%s: %s", call, reader->fault);
    }
    if (!reader->joined)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0,
            "%s: %s: the reader has not joined: call trindle_broadcast_join first", call, reader->what);
    }
    int64_t deadline = 0;
    uint64_t waits = 0;
    for (;;)
    {
        if (reader->position >= reader->tail)
        {
            reader->tail =
                atomic_load_explicit(header_u64(&reader->ring, TRINDLE_BROADCAST_TAIL_OFFSET), memory_order_acquire);
            if (reader->position > reader->tail || reader->tail % TRINDLE_BROADCAST_RECORD_ALIGNMENT != 0)
            {
                return corrupt(reader,
                    "tail=%" PRIu64 " is behind the read position %" PRIu64 " or not a multiple of %d", reader->tail,
                    reader->position, TRINDLE_BROADCAST_RECORD_ALIGNMENT);
            }
            if (reader->position == reader->tail)
            {
                if (waits == 0)
                {
                    deadline = trindle_deadline(timeout_ns);
                }
                const int result = at_tail(reader, timeout_ns, deadline, waits++);
                if (result != TRINDLE_OK)
                {
                    return result;
                }
                continue;
            }
        }
        const int taken = take_record(reader, buffer, capacity, length, sequence);
        if (taken != 0)
        {
            return taken > 0 ? TRINDLE_OK : taken;
        }
    }
}

uint64_t trindle_broadcast_lost(const trindle_broadcast_reader_t *reader)
{
    return reader == NULL ? 0 : reader->lost;
}

uint64_t trindle_broadcast_delivered(const trindle_broadcast_reader_t *reader)
{
    return reader == NULL ? 0 : reader->delivered;
}

uint32_t trindle_broadcast_reader_max_payload_length(const trindle_broadcast_reader_t *reader)
{
    return reader == NULL ? 0 : reader->ring.max_payload_length;
}

int trindle_broadcast_ring_fd(const trindle_broadcast_reader_t *reader)
{
    return reader == NULL ? -1 : reader->ring.fd;
}

void trindle_broadcast_reader_close(trindle_broadcast_reader_t *reader)
{
    if (reader != NULL)
    {
        (void)trindle_broadcast_leave(reader);
        if (!reader->granted)
        {
            free_reader(reader);
        }
    }
}

/* ------------------------------------------------------------------------------------------------------------
 * Grants (§7), kept by the connection under their names
 * ------------------------------------------------------------------------------------------------------------ */

int trindle_broadcasts_add_grant(struct trindle_broadcasts *broadcasts, struct trindle_frame *frame)
{
    for (uint32_t i = 0; i < broadcasts->count; i++)
    {
        const char *held = broadcasts->held[i].name;
        if (strlen(held) == frame->name_length && memcmp(held, frame->name, frame->name_length) == 0)
        {
            return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL, "a broadcast of that name was granted already");
        }
    }
    const bool send = (frame->rights & TRINDLE_RIGHT_SEND) != 0;
    if (!send && (frame->rights & TRINDLE_RIGHT_READ) == 0)
    {
        return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL,
            "a broadcast grant needs SEND (its writer) or READ (a reader); rights=0x%" PRIx32, frame->rights);
    }
    /* The control decoder checked the kinds: the ring first (kind 6), then cursor files (kind 1). */
    const uint32_t count = frame->handle_count;
    if (count == 0 || (send && count - 1 > TRINDLE_BROADCAST_MAX_SLOTS) || (!send && count != 2))
    {
        return trindle_grant_refused(frame, TRINDLE_E_PROTOCOL,
            send ? "a writer's broadcast grant carries the ring, then one cursor per reader slot (at most %d), not "
                   "%" PRIu32 " handles"
                 : "a reader's broadcast grant carries the ring and its own cursor (%d handles), not %" PRIu32,
            send ? TRINDLE_BROADCAST_MAX_SLOTS : 2, count);
    }
    for (uint32_t i = 0; i < count; i++)
    {
        const struct trindle_handle_entry *handle = &frame->handles[i];
        const uint32_t needed = i == 0 ? (send ? TRINDLE_RIGHT_SEND : TRINDLE_RIGHT_READ)
            : send                     ? TRINDLE_RIGHT_READ
                                       : TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE;
        if (handle->offset != 0 || (handle->rights & needed) != needed)
        {
            return trindle_grant_refused(frame, handle->offset != 0 ? TRINDLE_E_PROTOCOL : TRINDLE_E_ACCESS,
                "handle %" PRIu32 " (%s) has rights=0x%" PRIx32 ", offset=%" PRIu64 "; it needs rights 0x%" PRIx32
                " on a whole file%s",
                i, i == 0 ? "the ring" : "a cursor", handle->rights, handle->offset, needed,
                i > 0 && !send ? " (a reader writes its own cursor: its fd must be read-write)" : "");
        }
    }
    struct trindle_named_broadcast *held = realloc(broadcasts->held, (broadcasts->count + 1) * sizeof *held);
    if (held == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "realloc");
    }
    broadcasts->held = held;
    char *name = malloc((size_t)frame->name_length + 1);
    if (name == NULL)
    {
        return trindle_grant_refused(frame, TRINDLE_E_NO_MEMORY, "malloc");
    }
    memcpy(name, frame->name, frame->name_length);
    name[frame->name_length] = '\0';
    char what[96];
    snprintf(what, sizeof what, "broadcast '%s'", name);
    char call[160];
    snprintf(call, sizeof call, "trindle_connect: grant '%s'", name);
    struct trindle_named_broadcast *entry = &held[broadcasts->count];
    *entry = (struct trindle_named_broadcast){ .name = name, .writer = NULL, .reader = NULL };
    int fds[TRINDLE_CONTROL_MAX_HANDLES];
    for (uint32_t i = 0; i < count; i++)
    {
        fds[i] = frame->handles[i].fd;
        frame->handles[i].fd = -1; /* the writer or reader takes them, whatever happens */
    }
    const int result = send ? open_writer(call, what, fds[0], fds + 1, count - 1, &entry->writer)
                            : open_reader(call, what, fds[0], fds[1], &entry->reader);
    trindle_frame_close(frame);
    if (result != TRINDLE_OK)
    {
        free(name);
        return result;
    }
    if (entry->writer != NULL)
    {
        entry->writer->granted = true;
    }
    else
    {
        entry->reader->granted = true;
    }
    broadcasts->count++;
    return TRINDLE_OK;
}

size_t trindle_broadcasts_list(const struct trindle_broadcasts *broadcasts, char *text, size_t size, size_t used)
{
    for (uint32_t i = 0; i < broadcasts->count && used < size; i++)
    {
        used += (size_t)snprintf(text + used, size - used, "%s%s (broadcast %s)", used == 0 ? "" : ", ",
            broadcasts->held[i].name, broadcasts->held[i].writer != NULL ? "send" : "read");
    }
    return used;
}

void trindle_broadcasts_finish(struct trindle_broadcasts *broadcasts)
{
    for (uint32_t i = 0; i < broadcasts->count; i++)
    {
        if (broadcasts->held[i].writer != NULL)
        {
            (void)trindle_broadcast_end(broadcasts->held[i].writer);
        }
        else
        {
            (void)trindle_broadcast_leave(broadcasts->held[i].reader);
        }
    }
}

void trindle_broadcasts_free(struct trindle_broadcasts *broadcasts)
{
    for (uint32_t i = 0; i < broadcasts->count; i++)
    {
        if (broadcasts->held[i].writer != NULL)
        {
            free_writer(broadcasts->held[i].writer);
        }
        else
        {
            free_reader(broadcasts->held[i].reader);
        }
        free(broadcasts->held[i].name);
    }
    free(broadcasts->held);
    broadcasts->held = NULL;
    broadcasts->count = 0;
}

/** Finds the broadcast granted under `name`, as a writer (`writer`) or a reader. */
static struct trindle_named_broadcast *find(trindle_t *trindle, const char *name, bool writer)
{
    struct trindle_broadcasts *broadcasts = trindle_broadcasts_of(trindle);
    for (uint32_t i = 0; i < broadcasts->count; i++)
    {
        struct trindle_named_broadcast *held = &broadcasts->held[i];
        if (strcmp(held->name, name) == 0 && (writer ? held->writer != NULL : held->reader != NULL))
        {
            return held;
        }
    }
    return NULL;
}

int trindle_broadcast_writer(trindle_t *trindle, const char *name, trindle_broadcast_writer_t **writer)
{
    if (trindle == NULL || name == NULL || writer == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_broadcast_writer: trindle=%p, name=%p, writer=%p",
            (void *)trindle, (const void *)name, (void *)writer);
    }
    const struct trindle_named_broadcast *held = find(trindle, name, true);
    if (held == NULL)
    {
        return trindle_missing_grant(trindle, "trindle_broadcast_writer", "a broadcast to send on", name);
    }
    *writer = held->writer;
    return TRINDLE_OK;
}

int trindle_broadcast_reader(trindle_t *trindle, const char *name, trindle_broadcast_reader_t **reader)
{
    if (trindle == NULL || name == NULL || reader == NULL)
    {
        return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_broadcast_reader: trindle=%p, name=%p, reader=%p",
            (void *)trindle, (const void *)name, (void *)reader);
    }
    const struct trindle_named_broadcast *held = find(trindle, name, false);
    if (held == NULL)
    {
        return trindle_missing_grant(trindle, "trindle_broadcast_reader", "a broadcast to read", name);
    }
    *reader = held->reader;
    return TRINDLE_OK;
}
