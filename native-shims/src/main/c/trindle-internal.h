/*
 * trindle-internal.h — what the files of libtrindle share and no user sees: the lane mapping, the objects'
 * structs, atomic access to shared memory, futex calls and error reporting.
 */
#ifndef TRINDLE_INTERNAL_H
#define TRINDLE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "trindle.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Trindle layouts are little-endian and are accessed atomically in native order"
#endif

/* Lanes are shared between processes, so their atomics must be lock-free: an address-based lock would live in
 * this process only and order nothing for the peer. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free to be shared between processes");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free to be shared between processes");
_Static_assert(sizeof(unsigned long long) == 8 && sizeof(unsigned int) == 4, "atomic widths");

#define TRINDLE_INTERNAL __attribute__((visibility("hidden")))

/* ------------------------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------------------------ */

/**
 * Records this thread's last failure ("call: what") and returns `code`, so a failing path is one statement:
 * `return trindle_fail(TRINDLE_E_INVALID, 0, "trindle_x: length=%u exceeds %u", ...)`. With `error` non-zero
 * the text ends in ": strerror (errno N)".
 */
TRINDLE_INTERNAL int trindle_fail(int code, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

/**
 * Puts `prefix` before and `suffix` after this thread's last error text, keeping its errno, and returns `code`:
 * for a caller that adds where a failure happened ("trindle_connect: ") to the reason a lower layer gave.
 */
TRINDLE_INTERNAL int trindle_fail_within(int code, const char *prefix, const char *suffix);

/* ------------------------------------------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------------------------------------------ */

/** @return CLOCK_MONOTONIC in nanoseconds. */
TRINDLE_INTERNAL int64_t trindle_now_nanos(void);

/** @return the deadline for a timeout from now: INT64_MAX for "no limit" (negative). */
TRINDLE_INTERNAL int64_t trindle_deadline(int64_t timeout_ns);

/* ------------------------------------------------------------------------------------------------------------
 * Shared memory: every access to a word the peer also touches goes through these, with the order the spec
 * names at the call. Lane memory is mapped from a memfd by several processes; C11 atomics on lock-free types
 * are address-free, so they order accesses between processes as between threads.
 * ------------------------------------------------------------------------------------------------------------ */

static inline _Atomic uint64_t *trindle_u64(uint8_t *base, size_t offset)
{
    return (_Atomic uint64_t *)(void *)(base + offset);
}

static inline _Atomic uint32_t *trindle_u32(uint8_t *base, size_t offset)
{
    return (_Atomic uint32_t *)(void *)(base + offset);
}

/* Plain loads and stores of little-endian integers at any offset (native order, checked above), for layouts read
 * and written by one side at a time: the control frames and the checkpoint slots. */
static inline uint16_t trindle_get_u16(const uint8_t *at)
{
    uint16_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static inline uint32_t trindle_get_u32(const uint8_t *at)
{
    uint32_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static inline uint64_t trindle_get_u64(const uint8_t *at)
{
    uint64_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static inline void trindle_put_u16(uint8_t *at, uint16_t value)
{
    memcpy(at, &value, sizeof value);
}

static inline void trindle_put_u32(uint8_t *at, uint32_t value)
{
    memcpy(at, &value, sizeof value);
}

static inline void trindle_put_u64(uint8_t *at, uint64_t value)
{
    memcpy(at, &value, sizeof value);
}

static inline uint32_t trindle_record_length(uint32_t payload_length)
{
    return (TRINDLE_RECORD_HEADER_LENGTH + payload_length + TRINDLE_RECORD_ALIGNMENT - 1) &
        ~(uint32_t)(TRINDLE_RECORD_ALIGNMENT - 1);
}

static inline uint32_t trindle_max_payload_length(uint32_t capacity)
{
    return capacity / TRINDLE_LANE_MAX_PAYLOAD_DIVISOR - TRINDLE_RECORD_HEADER_LENGTH;
}

/** Tells the CPU this is a spin-wait loop (cheaper for the sibling hyperthread, no memory-order effect). */
static inline void trindle_spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ------------------------------------------------------------------------------------------------------------
 * Futexes. Never FUTEX_PRIVATE_FLAG: the words live in memory shared with other processes.
 * ------------------------------------------------------------------------------------------------------------ */

/** futex(FUTEX_WAIT) for at most `timeout_ns`. @return 0, or the errno (EAGAIN, ETIMEDOUT, EINTR are normal). */
TRINDLE_INTERNAL int trindle_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t timeout_ns);

/** futex(FUTEX_WAKE) for up to `count` waiters. */
TRINDLE_INTERNAL void trindle_futex_wake(_Atomic uint32_t *word, int count);

/** One waiter of futex_waitv, laid out as the kernel's struct futex_waitv. */
struct trindle_futex_waiter
{
    uint64_t value;
    uint64_t address;
    uint32_t flags;
    uint32_t reserved;
};

/**
 * futex_waitv on `count` words (each expected to hold 1) until `deadline` (CLOCK_MONOTONIC nanoseconds).
 * @return 0, or the errno (EAGAIN, ETIMEDOUT, EINTR are normal; ENOSYS on kernels before 5.16).
 */
TRINDLE_INTERNAL int trindle_futex_waitv(struct trindle_futex_waiter *waiters, uint32_t count, int64_t deadline);

/* ------------------------------------------------------------------------------------------------------------
 * A lane mapped into this process, its header's fixed fields read once and checked at open: a sender that
 * later scribbles over its header changes nothing the other side relies on.
 * ------------------------------------------------------------------------------------------------------------ */
struct trindle_lane
{
    int fd;
    uint8_t *file;
    size_t file_size;
    uint8_t *header;
    uint8_t *ring;
    uint64_t pipe_id;
    uint32_t lane_id;
    uint32_t capacity;
    uint32_t mask;
    uint32_t max_payload_length;
    /** How many times this lane id moved before this lane (pipe-format.md §9). */
    uint32_t generation;
};

/**
 * Maps lane `fd` whole, read-write and shared, and checks it as pipe-format.md §3.2 says. Leaves `fd` open
 * and unowned on failure. `call` names the public function for error texts.
 */
TRINDLE_INTERNAL int trindle_lane_map(const char *call, int fd, struct trindle_lane *lane);

/** Unmaps the lane and closes its fd. */
TRINDLE_INTERNAL void trindle_lane_unmap(struct trindle_lane *lane);

/** Stores the ended word of the lane whose header is at `header`, then wakes its receiver if it sleeps (§7). */
TRINDLE_INTERNAL void trindle_lane_end(uint8_t *header);

/** Wakes every sender that announced it sleeps waiting for room on `lane` (pipe-format.md §6). */
TRINDLE_INTERNAL void trindle_lane_wake_senders(struct trindle_lane *lane);

/**
 * Checks an fd received as a handle: a memfd (F_GET_SEALS works) sealed F_SEAL_SHRINK, not write-only, with the
 * window [offset, offset + size) page-aligned, non-empty and inside the file. A read-only fd loses WRITE from
 * `*rights`. @return TRINDLE_OK, TRINDLE_E_FORMAT, TRINDLE_E_ACCESS or TRINDLE_E_INVALID, with the error set.
 */
TRINDLE_INTERNAL int trindle_check_memfd(
    const char *call, const char *what, int fd, uint64_t offset, uint64_t size, uint32_t *rights);

/* ------------------------------------------------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------------------------------------------------ */

struct trindle_lane_sender
{
    struct trindle_lane lane;
    /** The last head read from the lane, shared by this process's sending threads: free room is at least
     *  capacity − (tail − head_cache). Read before the tail (pipe-format.md §4). */
    _Atomic uint64_t head_cache;
    _Atomic bool ended;
    /** This process registered for membarrier: commits skip their full fence (pipe-format.md §6). */
    bool asymmetric_wake;
    /** One thread sends (trindle_lane_sender_set_exclusive): the tail is stored, never compared-and-set or read. */
    bool exclusive;
    /** An exclusive sender's own copy of the tail: nothing else writes it, so the sender never loads it back and
     *  stays off a cache line the receiver may be reading. */
    uint64_t own_tail;
};

/** One lane as the receiver reads it; every position here is the receiver's own, trusted copy. */
struct trindle_lane_reader
{
    struct trindle_lane lane;
    int state;
    /** The next record to read. */
    uint64_t position;
    /** Everything before this was released. */
    uint64_t released;
    /** Messages delivered so far, counting from the released count read at open. */
    uint64_t delivered_count;
    /** The released-messages count last published. */
    uint64_t released_count;
    /** Gathers one batch's release: the furthest end and count among the batch's messages of this lane. */
    uint64_t pending_end;
    uint64_t pending_count;
    bool pending;
    /** Whether the break (state CORRUPT) has been reported to the caller with TRINDLE_E_CORRUPT. */
    bool fault_reported;
    char fault[256];
    /** The lane this one replaced (its sender moved here, pipe-format.md §9), while the receiver may still hold
     *  messages of it; NULL otherwise. Releases up to `start` go to it. */
    struct trindle_lane_reader *previous;
    /** Where this lane's positions start: right after the previous lane's moved record (0 for a first lane). */
    uint64_t start;
    /** Of a lane left for another: the end of its last message before the moved record; released that far, it
     *  closes. */
    uint64_t retire_at;
    /** The last run of padding read, from and to: whether padding lies just before a moved record. */
    uint64_t padding_from;
    uint64_t padding_to;
    /** The moved record at the read position, once read (TRINDLE_READ_MOVED): the new lane's generation, capacity
     *  and start. */
    uint32_t moved_generation;
    uint32_t moved_capacity;
    uint64_t moved_start;
};

/* What trindle_lane_reader_next returns besides a payload length. */
#define TRINDLE_READ_EMPTY (-1)
#define TRINDLE_READ_STOPPED (-2)
/* A moved record is at the read position (pipe-format.md §9): the receiver follows it with
 * trindle_lane_reader_follow, once it has the new lane; the read position stays at the record until then. */
#define TRINDLE_READ_MOVED (-3)

/**
 * Opens `fd`, the lane `reader`'s sender moved to (its moved record was read: TRINDLE_READ_MOVED), checks it against
 * the record, and makes its reader, which reads on from the new lane's head and keeps `reader` as its previous
 * until every message of it is released. On a lane that does not match, marks `reader` corrupt and closes `fd`.
 *
 * @return the new lane's reader, or NULL (corrupt, or out of memory: the reason is in `reader`).
 */
TRINDLE_INTERNAL struct trindle_lane_reader *trindle_lane_reader_follow(struct trindle_lane_reader *reader, int fd);

/** Unmaps a lane reader and every lane it replaced, and frees them. */
TRINDLE_INTERNAL void trindle_lane_reader_free(struct trindle_lane_reader *reader);

/**
 * Starts reading the mapped lane where the last receiver released (§5): a new receiver gets everything after
 * that (again). A head that is no valid release position marks the lane corrupt. Wakes a sender waiting for room,
 * in case an earlier receiver died between releasing and waking it.
 */
TRINDLE_INTERNAL void trindle_lane_reader_start(struct trindle_lane_reader *reader);

/**
 * Reads the next message of the lane into `message`, skipping padding (§5); `lane_index` is the lane's index in
 * its receiver, recorded in the message.
 *
 * @return the payload length (0 or more), TRINDLE_READ_EMPTY, or TRINDLE_READ_STOPPED (ended, corrupt, or found
 *         so now).
 */
TRINDLE_INTERNAL int64_t trindle_lane_reader_next(
    struct trindle_lane_reader *reader, uint32_t lane_index, trindle_message_t *message);

/**
 * trindle_lane_reader_next's common case, small enough to inline into the receiver's loop: an open lane with a
 * plain message (no handles) committed at the read position, found by its stamp alone. The checks are those
 * of trindle_lane_reader_next (§5 steps 2 and 3), in the same order; anything else, a record that fails one
 * included, goes to trindle_lane_reader_next, which reads it again and says why.
 */
static inline int64_t trindle_lane_reader_next_inline(
    struct trindle_lane_reader *reader, uint32_t lane_index, trindle_message_t *message)
{
    struct trindle_lane *lane = &reader->lane;
    const uint64_t position = reader->position;
    const uint32_t index = (uint32_t)(position & lane->mask);
    uint8_t *record = lane->ring + index;
    if (reader->state != TRINDLE_LANE_OPEN || position - reader->released >= lane->capacity ||
        atomic_load_explicit(trindle_u64(record, TRINDLE_RECORD_STAMP_OFFSET), memory_order_acquire) != position + 1)
    {
        return trindle_lane_reader_next(reader, lane_index, message);
    }
    /* Each loaded once, as trindle_lane_reader_next does: the slow path loads them again if they fail. */
    const uint32_t length =
        atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_LENGTH_OFFSET), memory_order_relaxed);
    const uint32_t type = atomic_load_explicit(trindle_u32(record, TRINDLE_RECORD_TYPE_OFFSET), memory_order_relaxed);
    if (type != TRINDLE_RECORD_TYPE_MESSAGE || length > lane->max_payload_length)
    {
        return trindle_lane_reader_next(reader, lane_index, message);
    }
    const uint32_t record_length = trindle_record_length(length);
    if ((uint64_t)index + record_length > lane->capacity ||
        position + record_length - reader->released > lane->capacity)
    {
        return trindle_lane_reader_next(reader, lane_index, message);
    }
    reader->position = position + record_length;
    reader->delivered_count++;
    message->payload = record + TRINDLE_RECORD_HEADER_LENGTH;
    message->length = length;
    message->lane_id = lane->lane_id;
    message->pipe_id = lane->pipe_id;
    message->sequence = position;
    message->lane_index = lane_index;
    message->reserved = 0;
    message->release_position = reader->position;
    message->release_count = reader->delivered_count;
    message->attachment_count = 0;
    message->reserved2 = 0;
    message->attachment_token = 0;
    message->attachments = NULL;
    return length;
}

/** Releases everything before `end` (§5), publishing `count` as the released count, and wakes waiting senders. */
TRINDLE_INTERNAL void trindle_lane_reader_release(struct trindle_lane_reader *reader, uint64_t end, uint64_t count);

/**
 * Turns a record claimed at the read position and never committed into padding (§8), if the lane is open and
 * there is one. @return 1 if it did, else 0.
 */
TRINDLE_INTERNAL int trindle_lane_reader_unblock(struct trindle_lane_reader *reader);

/**
 * As trindle_pipe_receiver_add_lane, for lane `lane_id` of a receive grant (the i-th handle is lane i): a lane
 * whose header names another id is set aside as broken. TRINDLE_LANE_ID_UNKNOWN accepts any id.
 */
TRINDLE_INTERNAL int trindle_pipe_receiver_add_granted_lane(
    trindle_pipe_receiver_t *receiver, int fd, uint32_t lane_id);

struct trindle_pipe_receiver
{
    struct trindle_lane_reader **lanes;
    uint32_t count;
    uint32_t allocated;
    /** The lane the next batch starts at: one further each batch, for fairness. */
    uint32_t next_lane;
    struct trindle_futex_waiter waiters[TRINDLE_FUTEX_WAITV_MAX];
    /** Inboxes holding this receiver's messages, emptied when it closes so they never point into freed lanes. */
    struct trindle_inbox *inboxes;
    /** New lanes given for lanes that move (pipe-format.md §9), until their moved records are read. */
    struct trindle_lane_move *moves;
    uint32_t move_count;
    uint32_t moves_allocated;
    /** How many moved records were followed: a sleep announced before one must not wait on the old lane's word. */
    uint64_t follows;
};

/** A new lane waiting for the moved record of lane `lane_id` of pipe `pipe_id` that names `generation`. */
struct trindle_lane_move
{
    uint64_t pipe_id;
    uint32_t lane_id;
    uint32_t generation;
    int fd;
};

struct trindle_inbox
{
    trindle_message_t *messages;
    uint32_t capacity;
    uint32_t size;
    /** The receiver whose messages this holds (NULL when empty), and the links of its list of inboxes. */
    struct trindle_pipe_receiver *receiver;
    struct trindle_inbox *previous;
    struct trindle_inbox *next;
    /** Lane indexes with a pending release, gathered by trindle_inbox_release. */
    uint32_t *touched;
};

/** Links a filling inbox into its receiver's list, so that closing the receiver empties it. */
TRINDLE_INTERNAL void trindle_inbox_attach(trindle_inbox_t *inbox, trindle_pipe_receiver_t *receiver);

/** Unlinks an inbox from its receiver's list (nothing if it holds no receiver's messages). */
TRINDLE_INTERNAL void trindle_inbox_detach(trindle_inbox_t *inbox);

/**
 * As trindle_pipe_receiver_receive, but calls `interrupted(context)` after each futex sleep that ends with
 * nothing read; when it returns non-zero, returns it (a stop or a gone supervisor ends the wait).
 */
TRINDLE_INTERNAL int trindle_pipe_receiver_receive_interruptibly(trindle_pipe_receiver_t *receiver,
    trindle_inbox_t *inbox, int64_t timeout_ns, int (*interrupted)(void *context), void *context);

/** The mapping of a segment handle. */
struct trindle_segment
{
    int fd;
    uint8_t *address;
    uint64_t size;
    uint32_t rights;
    /** Where the window starts in the memfd, and the supervisor's id of the object (0 if not known): what
     *  trindle_segment_handle gives to attach it to a message. */
    uint64_t offset;
    uint64_t object_id;
    /** The supervisor revoked it (trindle-revoke.c): its range is an inaccessible reservation, its fd closed (-1),
     *  and every call on it is refused. */
    bool revoked;
};

struct trindle_pipe_sender
{
    char *name;
    trindle_lane_sender_t **lanes;
    uint32_t count;
    bool by_key;
    /** The round-robin turn; atomic so that threads sharing a pipe sender never race on it. */
    _Atomic uint32_t next;
};

/**
 * Moves `sender` onto lane `fd` (pipe-format.md §9): claims a moved record in its lane (waiting for room without
 * limit), starts the new lane's head and tail after it, commits it, and sends on the new lane from then on. From the
 * thread that sends, with no claim in flight. Takes `fd` whatever happens.
 */
TRINDLE_INTERNAL int trindle_lane_sender_move(trindle_lane_sender_t *sender, int fd, uint32_t generation);

/** Creates a pipe sender over `lanes` (which it owns from now on, even on failure). */
TRINDLE_INTERNAL int trindle_pipe_sender_create(const char *name, size_t name_length, trindle_lane_sender_t **lanes,
    uint32_t count, bool by_key, trindle_pipe_sender_t **sender);

/** Ends nothing: unmaps every lane of the pipe sender and frees it (trindle_close ends the streams first). */
TRINDLE_INTERNAL void trindle_pipe_sender_destroy(trindle_pipe_sender_t *sender);

/** Closes a lane sender without writing the end of stream. */
TRINDLE_INTERNAL void trindle_lane_sender_discard(trindle_lane_sender_t *sender);

/* ------------------------------------------------------------------------------------------------------------
 * Control channel frames (docs/control-protocol.md §2, §3)
 * ------------------------------------------------------------------------------------------------------------ */

/** One handle entry of a received frame, with its fd (-1 once moved elsewhere or closed). */
struct trindle_handle_entry
{
    uint64_t object_id;
    uint32_t kind;
    uint32_t rights;
    uint64_t offset;
    uint64_t size;
    int fd;
};

/** A received frame, checked and decoded; strings point into the receive buffer (not NUL-terminated). */
struct trindle_frame
{
    uint16_t kind;
    /* hello */
    const char *pipeline;
    uint16_t pipeline_length;
    const char *worker;
    uint16_t worker_length;
    uint16_t replica;
    uint16_t replicas;
    /* grant */
    const char *name;
    uint16_t name_length;
    uint32_t rights;
    uint16_t object_kind;
    uint16_t partition;
    /* move lane, lane moving */
    uint64_t pipe_id;
    uint32_t lane_id;
    uint32_t generation;
    /* every kind: the body, in the receive buffer, checked as BODY_FIELDS says */
    const uint8_t *body;
    uint32_t body_length;
    /* transfer reply, handles, bounce (the bounce's pipe name is `name`) */
    uint64_t request;
    uint32_t status;
    uint64_t token;
    uint64_t sequence;
    const char *reason;
    uint16_t reason_length;
    const uint8_t *head;
    uint16_t head_length;
    uint32_t handle_count;
    struct trindle_handle_entry handles[TRINDLE_CONTROL_MAX_HANDLES];
};

/**
 * Receives one frame into `buffer` (TRINDLE_CONTROL_MAX_FRAME_LENGTH bytes) and checks it whole; a refused
 * frame's fds are all closed. Blocks if `wait`, else returns at once.
 *
 * @return 1 with `frame` filled (its fds now the caller's); 0 if `wait` is false and nothing is there;
 *         TRINDLE_E_SUPERVISOR_GONE if the peer closed the channel; TRINDLE_E_PROTOCOL; TRINDLE_E_SYSTEM.
 */
TRINDLE_INTERNAL int trindle_control_receive(int fd, uint8_t *buffer, bool wait, struct trindle_frame *frame);

/** Closes every fd still held by `frame`. */
TRINDLE_INTERNAL void trindle_frame_close(struct trindle_frame *frame);

/** Sends a frame of `kind` with an empty body and no handles (ready). */
TRINDLE_INTERNAL int trindle_control_send_empty(int fd, uint16_t kind);

/* ------------------------------------------------------------------------------------------------------------
 * Allocators and notices (trindle-allocator.c, trindle-notice.c): state a connection keeps for them, and the
 * hooks through which the worker's connection (trindle-worker.c) hands them what it reads.
 * ------------------------------------------------------------------------------------------------------------ */

/** Notices read from the channel and not yet taken, oldest first (a ring that grows up to a bound). */
struct trindle_notices
{
    trindle_notice_t *ring;
    uint32_t capacity;
    uint32_t head;
    uint32_t count;
};

/** Queues the notice `frame` carries (closing any handles it has). */
TRINDLE_INTERNAL void trindle_notices_push(struct trindle_notices *notices, struct trindle_frame *frame);

/**
 * Takes a notice frame: a notice 4 (granted) first becomes a grant of the connection under the name its details
 * carry, as if the config had granted it (trindle_segment, trindle_allocator, trindle_granted_table find it); then the notice is queued.
 * Every fd of the frame is taken or closed.
 */
TRINDLE_INTERNAL void trindle_notice_take(trindle_t *trindle, struct trindle_frame *frame);

/** Decodes a notice frame's body into `notice` (the frame was checked whole on receipt). */
TRINDLE_INTERNAL void trindle_notice_decode(const struct trindle_frame *frame, trindle_notice_t *notice);

/** Frees the queue. */
TRINDLE_INTERNAL void trindle_notices_free(struct trindle_notices *notices);

struct trindle_made_segment
{
    uint64_t object_id;
    trindle_segment_t *segment;
};

/** The allocators a connection holds (granted, then made) and the segments it made from them. */
struct trindle_allocators
{
    trindle_allocator_t **held;
    uint32_t held_count;
    struct trindle_made_segment *segments;
    uint32_t segment_count;
};

/** Takes an allocator grant (every fd of the frame is taken or closed, whatever happens). */
TRINDLE_INTERNAL int trindle_allocators_add_grant(struct trindle_allocators *allocators, struct trindle_frame *frame);

/** Appends ", NAME (allocator)" for each granted allocator to `text`, for a list of grants. */
TRINDLE_INTERNAL size_t trindle_allocators_list(
    const struct trindle_allocators *allocators, char *text, size_t size, size_t used);

/** Unmaps and closes everything held. */
TRINDLE_INTERNAL void trindle_allocators_free(struct trindle_allocators *allocators);

/** Hooks into the connection (trindle-worker.c). */
TRINDLE_INTERNAL struct trindle_notices *trindle_notices_of(trindle_t *trindle);
TRINDLE_INTERNAL struct trindle_allocators *trindle_allocators_of(trindle_t *trindle);
TRINDLE_INTERNAL uint8_t *trindle_receive_buffer(trindle_t *trindle);
/** @return the next request id of the connection: one counter for every request it makes, so no two share one. */
TRINDLE_INTERNAL uint64_t trindle_next_request(trindle_t *trindle);
/** Reads every frame waiting on the channel without blocking (stops, notices), if the last look was at least
 *  10 ms ago, as trindle_stop_requested does: a clock read otherwise, no system call. */
TRINDLE_INTERNAL int trindle_look_at_channel_when_due(trindle_t *trindle);
/** Maps what a grant carries and keeps it under its name (every fd of the frame is taken or closed, whatever
 *  happens): a segment, an allocator, a pipe's lanes. */
TRINDLE_INTERNAL int trindle_add_grant(trindle_t *trindle, struct trindle_frame *frame);
/** Does what look_at_channel does with one frame that is no awaited reply: a stop, a notice, or one dropped. */
TRINDLE_INTERNAL void trindle_take_frame(trindle_t *trindle, struct trindle_frame *frame);
/**
 * Sends the frame of `kind` whose body is `body_length` bytes at `frame + TRINDLE_CONTROL_HEADER_LENGTH`,
 * writing its header into the first TRINDLE_CONTROL_HEADER_LENGTH bytes of `frame`; no handles.
 */
TRINDLE_INTERNAL int trindle_control_send(int fd, uint16_t kind, uint8_t *frame, size_t body_length);

/* ------------------------------------------------------------------------------------------------------------
 * Tables (trindle-table.c)
 * ------------------------------------------------------------------------------------------------------------ */

/** The points of a commit where trindle_table_commit_hook is called: every entry locked (the redo record written,
 *  the commit point not passed); the commit point passed; the first record applied. */
enum
{
    TRINDLE_TABLE_HOOK_LOCKED = 1,
    TRINDLE_TABLE_HOOK_COMMITTED = 2,
    TRINDLE_TABLE_HOOK_APPLYING = 3,
};

/** For tests only (NULL otherwise): called at each point of a commit, so a forked child can _exit there as if
 *  killed (trindle-table-unit.c). */
TRINDLE_INTERNAL extern void (*trindle_table_commit_hook)(int point);

/** For tests only: sets how long one entry may stay locked before a wait for it is reported (2 s otherwise). */
TRINDLE_INTERNAL void trindle_table_set_lock_wait(trindle_table *table, int64_t nanos);

/* ------------------------------------------------------------------------------------------------------------
 * Revocation (trindle-revoke.c): the revoke and rehome frames, on the segments granted to the connection.
 * ------------------------------------------------------------------------------------------------------------ */

/** Unmaps a revoked granted segment or moves it to its copy, and answers (or, not vouching for it, does not). */
TRINDLE_INTERNAL void trindle_take_revocation(trindle_t *trindle, struct trindle_frame *frame);
/** @return the segment granted to the connection whose object id is `object_id`, or NULL (trindle-worker.c). */
TRINDLE_INTERNAL trindle_segment_t *trindle_granted_segment(trindle_t *trindle, uint64_t object_id);

/** @return whether `table` is one of the connection's granted tables, which it closes itself. */
TRINDLE_INTERNAL bool trindle_owns_table(const trindle_t *trindle, const trindle_table *table);
/** Refuses `call` on a revoked segment: @return TRINDLE_E_ACCESS, with the error saying it was revoked. */
TRINDLE_INTERNAL int trindle_segment_refuse_revoked(const char *call, const trindle_segment_t *segment);
/** @return the mmap protection a segment's rights allow: PROT_READ, plus PROT_WRITE and PROT_EXEC as granted. */
TRINDLE_INTERNAL int trindle_segment_protection(uint32_t rights);

/**
 * As trindle_lane_sender_claim_wait, for a record of type message-with-handles (pipe-format.md §3.4): the
 * caller writes the attachment block, then its bytes, then commits.
 */
TRINDLE_INTERNAL int trindle_lane_sender_claim_handles(
    trindle_lane_sender_t *sender, uint32_t length, int64_t timeout_ns, trindle_claim_t *claim);

/* ------------------------------------------------------------------------------------------------------------
 * Broadcasts (trindle-broadcast.c): the writers and readers granted to the connection, by name.
 * ------------------------------------------------------------------------------------------------------------ */

struct trindle_named_broadcast
{
    char *name;
    /** One of the two, as the grant's rights say: SEND a writer, READ a reader. */
    trindle_broadcast_writer_t *writer;
    trindle_broadcast_reader_t *reader;
};

struct trindle_broadcasts
{
    struct trindle_named_broadcast *held;
    uint32_t count;
};

/** Maps a broadcast grant (docs/broadcast-format.md §7) and keeps it under its name; every fd of the frame is taken
 *  or closed, whatever happens. */
TRINDLE_INTERNAL int trindle_broadcasts_add_grant(struct trindle_broadcasts *broadcasts, struct trindle_frame *frame);

/** Appends ", NAME (broadcast send)" or ", NAME (broadcast read)" for each one held to `text`, for a list of
 *  grants. */
TRINDLE_INTERNAL size_t trindle_broadcasts_list(
    const struct trindle_broadcasts *broadcasts, char *text, size_t size, size_t used);

/** Ends every writer's stream and makes every reader leave: a closing worker holds no writer back. */
TRINDLE_INTERNAL void trindle_broadcasts_finish(struct trindle_broadcasts *broadcasts);

/** Unmaps and closes everything held, without ending or leaving anything. */
TRINDLE_INTERNAL void trindle_broadcasts_free(struct trindle_broadcasts *broadcasts);

/** Closes a grant frame's fds not yet taken and reports why the grant was refused (trindle-worker.c). */
TRINDLE_INTERNAL int trindle_grant_refused(struct trindle_frame *frame, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** Hook into the connection (trindle-worker.c). */
TRINDLE_INTERNAL struct trindle_broadcasts *trindle_broadcasts_of(trindle_t *trindle);
/** Reports a missing grant as the connection's other lookups do, listing the grants there are. */
TRINDLE_INTERNAL int trindle_missing_grant(trindle_t *trindle, const char *call, const char *what, const char *name);

#endif
