/*
 * trindle.h — the C client of Trindle: pipes, segments and the worker side of the control protocol.
 *
 * A C (or, through it, Python) worker links libtrindle to do what a Java worker does with child-runtime:
 *
 *     trindle_t *t;
 *     if (trindle_connect(&t) != TRINDLE_OK) { fprintf(stderr, "%s\n", trindle_last_error()); return 1; }
 *     trindle_pipe_sender_t *words;  trindle_sender(t, "words", &words);
 *     trindle_ready(t);
 *     ...  while ((n = trindle_exchange(t, outbox, inbox, -1)) != TRINDLE_END_OF_STREAM) { ... }
 *     trindle_close(t);
 *
 * The layouts it reads and writes are specified in docs/pipe-format.md and docs/control-protocol.md (their
 * constants are in trindle-layout.h); docs/workers-in-c-and-python.md is the guide, with a complete worker.
 *
 * Conventions, for every function here:
 *   - Functions that can fail return an int: TRINDLE_OK (0) on success, or a negative trindle_code. Some return
 *     a count (0 or more) on success instead; each says so. No function aborts the process on bad input.
 *   - On failure, trindle_last_error() gives this thread's description of it: the call, the values involved
 *     and, for a failed system call, the errno by name and number (trindle_last_errno()).
 *   - Timeouts are int64_t nanoseconds: negative waits without limit, 0 does not wait.
 *   - Objects are opaque and owned by whoever opened or created them; each has one close or destroy function
 *     that unmaps and closes everything it holds (NULL is accepted and ignored).
 *   - Threads: a lane sender may be used by any number of threads at once. Everything else (a pipe receiver,
 *     its inboxes, an outbox, a pipe sender's round-robin turn, a trindle_t) is for one thread at a time.
 *
 * Linux only (memfd, futex, futex_waitv, SCM_RIGHTS), little-endian only.
 */
#ifndef TRINDLE_H
#define TRINDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trindle-checkpoint-layout.h"
#include "trindle-layout.h"
#include "trindle-request-layout.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TRINDLE_API __attribute__((visibility("default")))
#else
#define TRINDLE_API
#endif

/* ============================================================================================================
 * Result codes. Fixed numbers that cross language boundaries (the Python module uses them too): 0 is success,
 * new codes get new numbers, and no code is ever renumbered.
 * ============================================================================================================ */
enum trindle_code
{
    /** Success. */
    TRINDLE_OK = 0,
    /** An argument is invalid: NULL where an object is needed, a length over the limit, an index out of range,
     *  an object used after it was ended. Fix the call. */
    TRINDLE_E_INVALID = -1,
    /** A system call failed; trindle_last_errno() is its errno and trindle_last_error() names the call. */
    TRINDLE_E_SYSTEM = -2,
    /** Memory for the library's own bookkeeping could not be allocated. */
    TRINDLE_E_NO_MEMORY = -3,
    /** The lane has no room now (claim, try_send), or the outbox is full (exchange first). Not a failure:
     *  retry later, or use a call that waits. */
    TRINDLE_E_FULL = -4,
    /** The time given ran out before the lane had room; nothing was sent. */
    TRINDLE_E_TIMEOUT = -5,
    /** Every lane being received has ended (or broke) and everything before its end was delivered. Not a
     *  failure: the input is finished. */
    TRINDLE_END_OF_STREAM = -6,
    /** A lane broke the format after it was opened (impossible tail, stamp, length or type). A receiver
     *  reports each broken lane once with this code, the reason in trindle_last_error(), and reads it no
     *  more while the other lanes go on; a sender refuses to send on it. */
    TRINDLE_E_CORRUPT = -7,
    /** Refused at open: the fd is not a ready lane of this version (the reason names both versions), or not a
     *  memfd sealed against shrinking, or a window outside the file. */
    TRINDLE_E_FORMAT = -8,
    /** A control frame broke the protocol (docs/control-protocol.md §2) or came out of order; the frame was
     *  refused whole and every fd that came with it closed. */
    TRINDLE_E_PROTOCOL = -9,
    /** The handle lacks the right this needs (e.g. a lane without SEND, a segment without READ). */
    TRINDLE_E_ACCESS = -10,
    /** The lane's stream was ended by this sender: nothing more can be sent on it. For a requester: the reply
     *  pipe ended, so the responder is gone and will not answer (trindle_requester_receive). */
    TRINDLE_E_ENDED = -11,
    /** No grant of that name and kind (trindle_last_error() lists the grants there are), or no input at all. */
    TRINDLE_E_NOT_FOUND = -12,
    /** The supervisor closed the control channel: it is gone. Exit at once, with TRINDLE_SUPERVISOR_GONE_EXIT. */
    TRINDLE_E_SUPERVISOR_GONE = -13,
    /** The supervisor refused to create from an allocator: its quota cannot hold what was asked for
     *  (trindle_last_error() carries the supervisor's reason, naming the quota, the use and what was asked).
     *  Nothing was created or charged. */
    TRINDLE_E_OVER_QUOTA = -14,
    /** A table's snapshot or transaction read what a later commit changed, or a commit found an entry it writes
     *  locked by another writer: nothing was committed. Not a failure: start it again (trindle_txn_restart;
     *  trindle_table_read and trindle_table_write do). */
    TRINDLE_E_CONFLICT = -15,
};

/** The exit status of a worker whose supervisor went away (the Java runtime's too). */
#define TRINDLE_SUPERVISOR_GONE_EXIT 70

/** How waits begin: this many polls with a CPU pause, then this many with sched_yield, then futex sleeps. */
#define TRINDLE_WAIT_SPINS 2000
#define TRINDLE_WAIT_YIELDS 50

/**
 * @return a fixed text for a result code: its name and what it means, e.g.
 * "TRINDLE_E_FULL: the lane has no room now". Never NULL; an unknown code gets "unknown trindle code".
 */
TRINDLE_API const char *trindle_strerror(int code);

/**
 * @return this thread's description of its last failure: the function, what went wrong with the values
 * involved, and for a failed system call "call(args): strerror (errno N)". Empty if nothing failed yet.
 * Valid until this thread's next failing call.
 */
TRINDLE_API const char *trindle_last_error(void);

/** @return the errno of this thread's last failure with TRINDLE_E_SYSTEM (or of a system call inside another
 *  failure), or 0. */
TRINDLE_API int trindle_last_errno(void);

/* ============================================================================================================
 * Lane sender: the sending end of one lane (docs/pipe-format.md §4, §6, §7).
 *
 * Sending a message makes no system call unless the receiver announced that it sleeps (then one futex wake)
 * or the lane is full and a waiting call must sleep. Any number of threads of this process may send at once:
 * each claims its record by compare-and-swap on the tail, so records are whole and ordered by claim.
 * ============================================================================================================ */
typedef struct trindle_lane_sender trindle_lane_sender_t;

/**
 * A claimed record: write `length` bytes at `payload`, then commit (or abort) it. Filled by a claim call; the
 * fields are for reading (commit and abort use `position`).
 */
typedef struct trindle_claim
{
    /** Where the payload goes, inside the lane's ring. */
    uint8_t *payload;
    /** The payload length claimed. */
    uint32_t length;
    /** The record's position in the lane; the receiver sees it as the message's sequence. */
    uint64_t position;
} trindle_claim_t;

/**
 * Maps a lane to send into: the whole file, read-write and shared, then checks the header once as
 * pipe-format.md §3.2 says (ready, magic, version, capacity, largest payload, file size) and keeps its own copy
 * of what it read.
 *
 * @param fd     the lane's memfd (a pipe handle with SEND). On success the sender owns it and closes it on
 *               close; on failure it is left open and still the caller's.
 * @param sender where the new sender is stored; untouched on failure.
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL or fd negative; TRINDLE_E_FORMAT if the file is
 *         not a ready lane of version 1 or not a memfd sealed against shrinking (a holder could otherwise shrink
 *         it under this mapping); TRINDLE_E_SYSTEM if fstat, fcntl or mmap failed; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_lane_sender_open(int fd, trindle_lane_sender_t **sender);

/**
 * Declares that from now on exactly one thread sends on this lane (claims, commits, aborts, sends): each claim
 * then stores the lane's tail instead of compare-and-setting it, and never reads it back, which is cheaper
 * (pipe-format.md §4; Java's LaneSender.openExclusive). Call it before the first claim, or with no claim open,
 * from the thread that will send; claiming from two threads afterwards breaks the lane's order. Declaring it
 * again does nothing.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if `sender` is NULL; TRINDLE_E_CORRUPT if the lane's tail is misaligned
 *         or behind its head (the sender stays as it was, and its claims report the same).
 */
TRINDLE_API int trindle_lane_sender_set_exclusive(trindle_lane_sender_t *sender);

/** @return the id of the pipe the lane belongs to (0 for NULL). */
TRINDLE_API uint64_t trindle_lane_sender_pipe_id(const trindle_lane_sender_t *sender);
/** @return the lane's id within its pipe (0 for NULL). */
TRINDLE_API uint32_t trindle_lane_sender_lane_id(const trindle_lane_sender_t *sender);
/** @return the ring's capacity in bytes (0 for NULL). */
TRINDLE_API uint32_t trindle_lane_sender_capacity(const trindle_lane_sender_t *sender);
/** @return the largest payload a message may have on this lane: capacity / 8 − 16 (0 for NULL). */
TRINDLE_API uint32_t trindle_lane_sender_max_payload_length(const trindle_lane_sender_t *sender);

/**
 * Claims room for a message of `length` bytes, without waiting (pipe-format.md §4). Every claim must be
 * followed by a commit or an abort: an open claim blocks the lane for the receiver.
 *
 * @param claim filled with where to write the payload and the record's position.
 * @return TRINDLE_OK; TRINDLE_E_FULL if the lane has no room now; TRINDLE_E_INVALID if an argument is NULL or
 *         length exceeds the largest payload; TRINDLE_E_ENDED after end_stream; TRINDLE_E_CORRUPT if the tail
 *         is misaligned or behind the head (nothing was claimed).
 */
TRINDLE_API int trindle_lane_sender_claim(trindle_lane_sender_t *sender, uint32_t length, trindle_claim_t *claim);

/**
 * As trindle_lane_sender_claim, but waits up to `timeout_ns` for room: spins, yields, then sleeps on the
 * lane's sender-sleeping futex word in sleeps of at most 100 ms (pipe-format.md §6).
 *
 * @return as trindle_lane_sender_claim, with TRINDLE_E_TIMEOUT instead of TRINDLE_E_FULL when the time ran
 *         out (TRINDLE_E_FULL only for a timeout of 0); TRINDLE_E_SYSTEM if the futex wait failed.
 */
TRINDLE_API int trindle_lane_sender_claim_wait(
    trindle_lane_sender_t *sender, uint32_t length, int64_t timeout_ns, trindle_claim_t *claim);

/**
 * Commits a claimed message: release-stores its stamp, after which the receiver may read it, then wakes the
 * receiver if it announced that it sleeps.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL.
 */
TRINDLE_API int trindle_lane_sender_commit(trindle_lane_sender_t *sender, const trindle_claim_t *claim);

/**
 * Gives a claimed message up: turns the record into padding, which the receiver skips.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL.
 */
TRINDLE_API int trindle_lane_sender_abort(trindle_lane_sender_t *sender, const trindle_claim_t *claim);

/**
 * Sends `length` bytes from `data` if the lane has room now (claim, copy, commit).
 *
 * @return as trindle_lane_sender_claim; `data` may be NULL only when length is 0.
 */
TRINDLE_API int trindle_lane_sender_try_send(trindle_lane_sender_t *sender, const void *data, uint32_t length);

/**
 * Sends `length` bytes from `data`, waiting up to `timeout_ns` for room.
 *
 * @return as trindle_lane_sender_claim_wait: TRINDLE_OK, or TRINDLE_E_TIMEOUT and nothing was sent.
 */
TRINDLE_API int trindle_lane_sender_send(
    trindle_lane_sender_t *sender, const void *data, uint32_t length, int64_t timeout_ns);

/**
 * Ends the stream: stores the lane's ended word after every message committed, then wakes the receiver
 * (pipe-format.md §7). The receiver sees the end once it has read everything before it. It needs no room in
 * the ring and never waits. Nothing can be sent afterwards; ending again does nothing and returns TRINDLE_OK.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if `sender` is NULL.
 */
TRINDLE_API int trindle_lane_sender_end_stream(trindle_lane_sender_t *sender);

/**
 * Ends the stream (trindle_lane_sender_end_stream), then unmaps the lane and closes its fd. No other thread may
 * use the sender now or later. NULL is ignored.
 */
TRINDLE_API void trindle_lane_sender_close(trindle_lane_sender_t *sender);

/* ============================================================================================================
 * Pipe receiver: reads the lanes of one or several pipes (docs/pipe-format.md §5, §6, §8).
 *
 * It trusts nothing in a lane after opening it: every tail, stamp, length and type is checked against its own
 * copies of the capacity, read position and released position, so a broken or hostile sender yields a corrupt
 * lane with a reason — never an out-of-bounds read, a crash or a hang. Batches are fair: each pass takes at
 * most one message from each lane, and each batch starts one lane further than the one before.
 * ============================================================================================================ */
typedef struct trindle_pipe_receiver trindle_pipe_receiver_t;
typedef struct trindle_inbox trindle_inbox_t;

/** A lane's state, as a receiver sees it. */
enum trindle_lane_state
{
    /** Being read. */
    TRINDLE_LANE_OPEN = 0,
    /** Its sender ended the stream, and everything before the end was read. */
    TRINDLE_LANE_ENDED = 1,
    /** It broke the format and is no longer read (the reason is in trindle_lane_info_t.fault). */
    TRINDLE_LANE_CORRUPT = 2,
};

/** The lane id a receiver gives a lane it set aside at open: its header's id is not to be trusted. */
#define TRINDLE_LANE_ID_UNKNOWN UINT32_MAX

/**
 * One received message, read in place from its lane: valid until it is released (directly or through its
 * inbox) or its inbox is refilled; after that the sender may overwrite its bytes. Fields are for reading.
 * A record of type message-with-handles arrives as a message too, its attachment block checked (1 … 64 handles
 * that fit its length, else the lane is corrupt) and described by the attachment fields.
 */
typedef struct trindle_message
{
    /** The payload, inside the lane's ring. Multi-byte values in Trindle layouts are little-endian. */
    const uint8_t *payload;
    /** The payload length in bytes. */
    uint32_t length;
    /** The lane it came on: one lane per sending process, so this names the sender. */
    uint32_t lane_id;
    /** The id of the pipe it came through. */
    uint64_t pipe_id;
    /** Its position in the lane: unique within the lane and increasing in send order, so a message delivered
     *  again after a receiver restarted (delivery is at-least-once) is recognised by (lane_id, sequence). */
    uint64_t sequence;
    /** The lane's index in the receiver that read it (see trindle_pipe_receiver_lane_info). */
    uint32_t lane_index;
    uint32_t reserved;
    /** The position just after the message: releasing it releases everything before this in its lane. */
    uint64_t release_position;
    /** The lane's released-messages count once this message is released (published for status tools). */
    uint64_t release_count;
    /** How many handles the message carries (pipe-format.md §3.4); 0 for most. `payload` then starts after
     *  the attachment block. Read them with trindle_message_attachment. */
    uint32_t attachment_count;
    uint32_t reserved2;
    /** The token the supervisor issued for the handles (copied out of the lane at read time), or 0. */
    uint64_t attachment_token;
    /** The attachment entries in the lane (private: use trindle_message_attachment), or NULL. */
    const uint8_t *attachments;
} trindle_message_t;

/** One handle a message carries, as its sender declared it: only the supervisor's answer to redeem is
 *  authority (control-protocol.md §4). */
typedef struct trindle_attachment
{
    /** TRINDLE_OBJECT_SEGMENT, _PIPE or _BUNDLE (or an unknown code: the sender's word). */
    uint32_t kind;
    /** The rights the receiver would hold (TRINDLE_RIGHT_*). */
    uint32_t rights;
    /** The object's size in bytes. */
    uint64_t size;
} trindle_attachment_t;

/**
 * Reads attachment `index` of a message with handles. The values are read from the lane now: the sender
 * declared them and could change them until the message is released; treat them as a description, and redeem
 * the token for the handles themselves (trindle_redeem).
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL or `index` is not below attachment_count.
 */
TRINDLE_API int trindle_message_attachment(
    const trindle_message_t *message, uint32_t index, trindle_attachment_t *attachment);

/** What a receiver knows of one of its lanes. */
typedef struct trindle_lane_info
{
    uint64_t pipe_id;
    uint32_t lane_id;
    /** An enum trindle_lane_state. */
    int state;
    /** The next position to read. */
    uint64_t position;
    /** Everything before this was released. */
    uint64_t released;
    /** Why the lane is corrupt (with the values read), or NULL. Valid until the receiver is closed. */
    const char *fault;
} trindle_lane_info_t;

/**
 * Creates a receiver with no lanes; add them with trindle_pipe_receiver_add_lane.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if `receiver` is NULL; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_pipe_receiver_open(trindle_pipe_receiver_t **receiver);

/**
 * Adds the lane of a sender: maps the whole file read-write, checks the header as pipe-format.md §3.2 says,
 * starts reading at the lane's head (where the last receiver released), and wakes senders that sleep waiting
 * for room (an earlier receiver may have died before waking them).
 *
 * A lane that fails the checks of §3.2 (not a sealed memfd, too small, not ready, another version, an
 * impossible capacity: its sender may have scribbled over it) is set aside as a lane found broken later is: it
 * takes an index, its state is TRINDLE_LANE_CORRUPT (pipe id 0, lane id TRINDLE_LANE_ID_UNKNOWN), the next
 * poll or receive reports it once with TRINDLE_E_CORRUPT and the reason, and the other lanes go on.
 *
 * @param fd the lane's memfd (a pipe handle with RECEIVE). On success the receiver owns it (a lane set aside is
 *           closed at once); on failure it is left open and still the caller's.
 * @return the lane's index in this receiver (0, 1, … in order of adding); TRINDLE_E_INVALID if `receiver` is
 *         NULL, fd negative, or the same lane (pipe id and lane id) is already here; TRINDLE_E_SYSTEM if mmap
 *         failed; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_pipe_receiver_add_lane(trindle_pipe_receiver_t *receiver, int fd);

/** @return the number of lanes (0 for NULL). */
TRINDLE_API uint32_t trindle_pipe_receiver_lane_count(const trindle_pipe_receiver_t *receiver);

/**
 * Describes lane `index`.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL or the index out of range.
 */
TRINDLE_API int trindle_pipe_receiver_lane_info(
    const trindle_pipe_receiver_t *receiver, uint32_t index, trindle_lane_info_t *info);

/**
 * Adds to `inbox` what is waiting now, fairly across lanes, without waiting. The inbox must be empty or
 * hold messages of this receiver only.
 *
 * @return the number of messages added (0 or more); TRINDLE_E_CORRUPT once for each lane found broken (the
 *         reason in trindle_last_error(); nothing is added by that call, and later calls go on with the other
 *         lanes); TRINDLE_END_OF_STREAM once every lane has ended or broken, each break has been reported, and
 *         nothing is left; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_pipe_receiver_poll(trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox);

/**
 * Adds to `inbox` what is waiting, waiting up to `timeout_ns` for at least one message: polls, spins, yields,
 * then announces on every open lane that it sleeps, polls once more, and sleeps in one futex_waitv on up to
 * 128 lanes' receiver-sleeping words for at most 100 ms at a time (pipe-format.md §6).
 *
 * @return as trindle_pipe_receiver_poll, with 0 when the time ran out (at once if the inbox is already full);
 *         TRINDLE_E_SYSTEM if futex_waitv failed other than by timing out, being interrupted or finding the word
 *         changed.
 */
TRINDLE_API int trindle_pipe_receiver_receive(
    trindle_pipe_receiver_t *receiver, trindle_inbox_t *inbox, int64_t timeout_ns);

/**
 * Releases `message` and every earlier record of its lane (release is cumulative per lane): stores the head
 * (release), then the released-messages count (release), then a full fence, then wakes senders that sleep
 * waiting for room. A message leaves its lane only when released. Releasing what was already released does
 * nothing.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if an argument is NULL or the message is not of this receiver.
 */
TRINDLE_API int trindle_pipe_receiver_release(trindle_pipe_receiver_t *receiver, const trindle_message_t *message);

/**
 * Clears a record on lane `index` that was claimed but never committed because its sender died mid-send: the
 * span from it to the next committed record (or the tail, or the ring's end) becomes padding, so the lane
 * moves on (pipe-format.md §8). Call it only when that sender is known to be dead or stuck.
 *
 * @return 1 if something was cleared, 0 if there was nothing to clear; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_pipe_receiver_unblock(trindle_pipe_receiver_t *receiver, uint32_t index);

/**
 * Gives the receiver `fd`, the lane that lane `lane_id` of pipe `pipe_id` moves to when its pipe is resized
 * (pipe-format.md §9; the supervisor's "lane moving" frame, which trindle_exchange handles itself): the receiver
 * reads the old lane up to its moved record naming `generation`, then reads on in this one. The receiver owns `fd`
 * from now on, also on failure.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_pipe_receiver_lane_moving(
    trindle_pipe_receiver_t *receiver, uint64_t pipe_id, uint32_t lane_id, uint32_t generation, int fd);

/**
 * Unmaps every lane and closes their fds. Messages not released stay in their lanes for the next receiver.
 * Inboxes that still hold messages of this receiver are emptied (without releasing). NULL is ignored.
 */
TRINDLE_API void trindle_pipe_receiver_close(trindle_pipe_receiver_t *receiver);

/* ------------------------------------------------------------------------------------------------------------
 * Inbox: a batch of received messages, filled by a receiver, read, then released (the Trindle notes' separate
 * struct for incoming messages). It allocates only when created.
 * ------------------------------------------------------------------------------------------------------------ */

/**
 * @param capacity the most messages one batch holds (at least 1).
 * @return TRINDLE_OK; TRINDLE_E_INVALID; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_inbox_create(uint32_t capacity, trindle_inbox_t **inbox);

/** @return the number of messages in the batch (0 for NULL). */
TRINDLE_API uint32_t trindle_inbox_size(const trindle_inbox_t *inbox);

/** @return the most messages a batch holds (0 for NULL). */
TRINDLE_API uint32_t trindle_inbox_capacity(const trindle_inbox_t *inbox);

/** @return message `index` of the batch, valid until release or refill, or NULL if out of range. */
TRINDLE_API const trindle_message_t *trindle_inbox_message(const trindle_inbox_t *inbox, uint32_t index);

/**
 * Releases every message of the batch back to its lane (one cumulative release per lane touched) and empties
 * the batch.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if `inbox` is NULL.
 */
TRINDLE_API int trindle_inbox_release(trindle_inbox_t *inbox);

/** Frees the inbox. Messages it holds are not released: they stay in their lanes. NULL is ignored. */
TRINDLE_API void trindle_inbox_destroy(trindle_inbox_t *inbox);

/* ============================================================================================================
 * Segment: a block of shared memory this process was granted, mapped with exactly the protection its rights
 * allow. A handle without WRITE comes as a read-only fd, so the kernel itself refuses a writable mapping or an
 * mprotect to write (EACCES), whatever this process tries.
 *
 * Revocation (docs/control-protocol.md §4): the library follows the supervisor's revoke and rehome frames for the
 * segments granted to the connection, whenever it reads the control channel (trindle_exchange,
 * trindle_stop_requested, any request). Revoked, a granted segment's range becomes an inaccessible reservation in
 * one step (PROT_NONE: a pointer the worker kept into it faults with SIGSEGV; nothing else is mapped there until
 * trindle_close) and its fd is closed; every call on it is refused with TRINDLE_E_ACCESS, and trindle_segment_address
 * gives NULL. Rehomed (another holder's handle was revoked), it maps the fresh copy at the same address and keeps
 * its fd number: the worker's pointers go on working, on the same contents. A segment mapped from a handle that came
 * in a message (trindle_handle_map) is not followed: its mapping stays on the old copy.
 * ============================================================================================================ */
typedef struct trindle_segment trindle_segment_t;

/**
 * Maps a segment: `size` bytes at `offset` of the memfd, shared, with PROT_READ, plus PROT_WRITE if the rights
 * hold WRITE and PROT_EXEC if they hold EXECUTE. A read-only fd never yields WRITE, whatever `rights` says.
 *
 * @param fd     the segment's memfd. On success the segment owns it; on failure it is left open.
 * @param offset where the segment starts in the memfd: a multiple of the page size.
 * @param size   its size: a positive multiple of the page size, within the file.
 * @param rights the handle's rights (TRINDLE_RIGHT_*); READ is required.
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL or an unaligned window; TRINDLE_E_ACCESS without READ or
 *         with a write-only fd; TRINDLE_E_FORMAT if the fd is not a memfd sealed against shrinking or the window
 *         lies outside it; TRINDLE_E_SYSTEM if mmap failed; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_segment_map(
    int fd, uint64_t offset, uint64_t size, uint32_t rights, trindle_segment_t **segment);

/** @return the mapping's first byte (NULL for NULL, and for a revoked segment: trindle_last_error() says so).
 *  Writable only if the rights hold WRITE. */
TRINDLE_API void *trindle_segment_address(const trindle_segment_t *segment);
/** @return the segment's size in bytes (0 for NULL). */
TRINDLE_API uint64_t trindle_segment_size(const trindle_segment_t *segment);
/** @return the rights the mapping was made with, after any reduction for a read-only fd (0 for NULL). */
TRINDLE_API uint32_t trindle_segment_rights(const trindle_segment_t *segment);
/** @return the memfd behind the segment, still owned by it (-1 for NULL or a revoked segment). */
TRINDLE_API int trindle_segment_fd(const trindle_segment_t *segment);

/** Unmaps the segment (or a revoked one's reservation) and closes its fd. NULL is ignored. */
TRINDLE_API void trindle_segment_close(trindle_segment_t *segment);

/* ============================================================================================================
 * Table: a key-value store in one memfd that processes read through snapshots and write through optimistic
 * transactions (docs/table-format.md; its constants are TRINDLE_TABLE_* in trindle-layout.h). Keys are 1 … key max
 * bytes, values 0 … value max bytes; entries are placed by the FNV-1a hash of their key, so iteration is in hash
 * order. A reader never writes the file (a read-only fd: the kernel refuses it a writable mapping); a writer holds
 * one of the table's writer slots, whose liveness the kernel keeps as a lock on one byte of the file, held by the
 * writer's open file description (F_OFD_SETLK) and dropped when the last fd of that description is closed.
 *
 * A snapshot (trindle_txn_begin with write = 0) sees exactly the commits made before it began, or reports
 * TRINDLE_E_CONFLICT when a later commit wrote what it reads; a transaction (write = 1) is a snapshot plus puts and
 * deletes, committed all or nothing, or refused with TRINDLE_E_CONFLICT when something it read changed. Either is
 * simply started again (trindle_txn_restart); trindle_table_read and trindle_table_write do so in a loop.
 *
 * Nothing read from the file is trusted: every length and index is checked against the header as it was at map
 * time, every probe is bounded by the entry count and every wait by the lock wait (2 s), so a hostile writer's
 * garbage gives TRINDLE_E_CORRUPT or TRINDLE_E_TIMEOUT, never a crash or a hang. Gets and puts allocate nothing
 * but the growth of their transaction's own buffers.
 *
 * Every holder of a table needs an open file description of its own (docs/table-format.md §6): the supervisor
 * gives each handle a fresh one, and a process that passes a table to a child passes a fresh one too (reopened from
 * /proc/self/fd), never the fd its own writer holds, whose copy in the child would keep the writer looking alive
 * after its death, and share its lock. libtrindle makes the fds it maps close-on-exec.
 *
 * Threads: a table and its transactions are for one thread at a time. Another thread maps the table again, from
 * another fd of the same file, and gets a writer slot of its own (libtrindle keeps a record of the slots its process
 * holds, so even two tables of one description never take each other's for dead).
 * ============================================================================================================ */
typedef struct trindle_table trindle_table;
typedef struct trindle_txn trindle_txn;

/** How many times trindle_table_read takes a new snapshot after a conflict before it reports the conflict. */
#define TRINDLE_TABLE_READ_ATTEMPTS 1000
/** How many times trindle_table_write runs a transaction again after a conflict before it reports the conflict. */
#define TRINDLE_TABLE_WRITE_ATTEMPTS 10000

/**
 * Makes a standalone table in a new memfd (for tests and tools; a pipeline's tables come from the supervisor) and
 * maps it writable, with the first writer slot. The file is sealed against shrinking, growing and further seals.
 * Another process maps it from the fd (trindle_table_fd), inherited or reopened from /proc/PID/fd.
 *
 * @param size         the most bytes the file may have, rounded up to whole pages; 0: TRINDLE_TABLE_DEFAULT_SIZE
 *                     (1 MiB). The entries are the most, a power of two, that fit after the header and the writer
 *                     slots (at least TRINDLE_TABLE_MIN_ENTRY_COUNT), and the file is cut to the pages they need.
 * @param key_max      the longest key, 1 … 4096; 0: TRINDLE_TABLE_DEFAULT_KEY_MAX (64).
 * @param value_max    the longest value, 1 … 1 MiB; 0: TRINDLE_TABLE_DEFAULT_VALUE_MAX (256).
 * @param writer_count how many processes may write at once, 1 … 255; 0: TRINDLE_TABLE_DEFAULT_WRITER_COUNT (16).
 * @param out          where the table is stored; close it with trindle_table_close.
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL, a limit out of range or a size too small for 8 entries (the error
 *         says the least size); TRINDLE_E_SYSTEM; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_table_create(
    uint64_t size, uint32_t key_max, uint32_t value_max, uint32_t writer_count, trindle_table **out);

/**
 * Maps the table in `fd` whole, after checking its header as docs/table-format.md §3.1 says, and keeps its own copy
 * of what it read (a header rewritten later changes nothing here). Writable, it opens a writer slot (§6): takes the
 * lock of the first slot no live writer holds, recovering it first if its last writer died.
 *
 * @param fd       the table's memfd, sealed against shrinking, an open file description of this holder's own. The
 *                 table takes it, also on failure (then it closes it): never close it yourself. It is made
 *                 close-on-exec, and never dup'ed: the writer's lock lives as long as the description.
 * @param writable 1 to write (needs an fd opened read-write), 0 to read only (the mapping is then PROT_READ only,
 *                 and nothing of the file is ever written).
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL or a negative fd; TRINDLE_E_FORMAT if the fd is not a sealed memfd
 *         or its header is not a table's of version 1 (the error names the field and its value); TRINDLE_E_ACCESS
 *         if writable and the fd is not read-write; TRINDLE_E_FULL if every writer slot is held by a live process;
 *         TRINDLE_E_SYSTEM; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_table_map(int fd, int writable, trindle_table **out);

/** @return the table's memfd, still owned by it (-1 for NULL). */
TRINDLE_API int trindle_table_fd(const trindle_table *table);
/** @return the writer slot this table holds (0 … writer count − 1), or -1 if it is read-only (or NULL). */
TRINDLE_API int trindle_table_writer(const trindle_table *table);
/** @return the table's id, the same for every holder (0 for NULL). */
TRINDLE_API uint64_t trindle_table_id(const trindle_table *table);
/** @return the supervisor's object id of a table mapped from its handle, or 0 (a table of trindle_table_create). */
TRINDLE_API uint64_t trindle_table_object_id(const trindle_table *table);
/** @return the longest key (0 for NULL). */
TRINDLE_API uint32_t trindle_table_key_max(const trindle_table *table);
/** @return the longest value (0 for NULL). */
TRINDLE_API uint32_t trindle_table_value_max(const trindle_table *table);
/** @return the number of entries E; at most E − E/8 keys fit (0 for NULL). */
TRINDLE_API uint32_t trindle_table_entry_count(const trindle_table *table);
/** @return how many writer slots the table has (0 for NULL). */
TRINDLE_API uint32_t trindle_table_writer_count(const trindle_table *table);

/**
 * Recovers every writer slot that is not free and whose writer is dead (its slot's lock can be taken), as the
 * supervisor does when a worker exits (§6): finishes a commit that passed its commit point, undoes one that did
 * not, frees the slot. Slots this process holds are never taken for dead.
 *
 * @return how many slots it recovered (0 or more); TRINDLE_E_ACCESS if the table is read-only; TRINDLE_E_CORRUPT if
 *         a slot's records broke the format (the slot was recovered all the same, its bad record and what follows
 *         not replayed); TRINDLE_E_SYSTEM; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_table_recover(trindle_table *table);

/**
 * Frees the writer slot (state free, then its lock dropped), unmaps the table and closes its fd. Transactions still
 * open on it must not be used again. NULL is ignored.
 */
TRINDLE_API void trindle_table_close(trindle_table *table);

/**
 * Begins a snapshot (`write` = 0) or a transaction (`write` = 1, on a writable table): takes the table's clock as
 * its read version. Allocates the transaction; the buffers it grows are kept across trindle_txn_restart.
 *
 * @param out where it is stored; free it with trindle_txn_free (before closing the table).
 * @return TRINDLE_OK; TRINDLE_E_ACCESS for a transaction on a read-only table; TRINDLE_E_INVALID; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_txn_begin(trindle_table *table, int write, trindle_txn **out);

/**
 * Starts `txn` again as a new snapshot or transaction of the same kind: a new read version, no reads and no writes
 * (after a conflict, a commit, or to drop its writes).
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_txn_restart(trindle_txn *txn);

/**
 * Reads the value of `key` as of the read version, or, in a transaction, as its own last put or delete of the key
 * left it. Waits for an entry a writer is copying into (spins, yields, then sleeps briefly); a transaction that
 * finds the writer dead recovers its slot and goes on.
 *
 * @param value        where the value is copied (may be NULL when `capacity` is 0).
 * @param value_length set to the value's length, also when it does not fit (may be NULL).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND if the key is absent or deleted; TRINDLE_E_CONFLICT if a commit after the
 *         read version wrote it (the transaction is then doomed: every later call says so, until restart);
 *         TRINDLE_E_INVALID for NULL, a key of 0 or more than key max bytes, a transaction already committed, or a
 *         value longer than `capacity` (nothing copied, its length in *value_length); TRINDLE_E_TIMEOUT if the
 *         entry stayed locked for the lock wait (the error names the entry and the writer); TRINDLE_E_CORRUPT.
 */
TRINDLE_API int trindle_txn_get(
    trindle_txn *txn, const void *key, size_t key_length, void *value, size_t capacity, size_t *value_length);

/**
 * Reads `count` keys in one call, each as trindle_txn_get reads one: the value of keys[i] (key_lengths[i] bytes) goes
 * to values + i × value_capacity and its length to value_lengths[i], or SIZE_MAX when the key has no value. For a
 * caller in a slow language: a snapshot of many keys read in one call meets far fewer newer commits than one read a
 * key per call (docs/table-format.md §8).
 *
 * @return TRINDLE_OK; as trindle_txn_get (TRINDLE_E_CONFLICT: start again), the first failure ending the call;
 *         TRINDLE_E_INVALID for NULL arrays with a count.
 */
TRINDLE_API int trindle_txn_get_many(trindle_txn *txn, size_t count, const void *const *keys, const size_t *key_lengths,
    void *values, size_t value_capacity, size_t *value_lengths);

/**
 * Puts `value` under `key`, in the transaction only until it commits. Copies both into the transaction's buffer.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL, a snapshot, a key of 0 or more than key max bytes, a value over
 *         value max, a transaction already committed, or writes that would no longer fit the writer's redo area
 *         (docs/table-format.md §3.2: by default 16 records of the largest key and value): commit in smaller
 *         transactions; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_txn_put(
    trindle_txn *txn, const void *key, size_t key_length, const void *value, size_t value_length);

/** Deletes `key` (deleting an absent key is no error), in the transaction until it commits. As trindle_txn_put. */
TRINDLE_API int trindle_txn_delete(trindle_txn *txn, const void *key, size_t key_length);

/**
 * Iterates over the keys that have a value as of the read version, in hash order (entry 0 to entry E − 1), each
 * read as trindle_txn_get reads one; a transaction's own puts and deletes are not seen. Start with *cursor = 0 and
 * call until it returns 0: each call copies the next key and value and moves *cursor past it. In a transaction,
 * every entry looked at joins the read set, so a commit that inserted a key meanwhile fails its commit.
 *
 * @param key, key_capacity       where the key goes, and the room there (key max always suffices).
 * @param value, value_capacity   where the value goes, and the room there (value max always suffices).
 * @param key_length, value_length set to the lengths (also when they do not fit).
 * @return 1 with a key and value; 0 at the end; TRINDLE_E_INVALID for NULL or too little room (nothing copied);
 *         TRINDLE_E_CONFLICT; TRINDLE_E_TIMEOUT; TRINDLE_E_CORRUPT. After a failure *cursor is the entry that failed:
 *         the next call tries it again (one more skips it).
 */
TRINDLE_API int trindle_txn_next(trindle_txn *txn, uint32_t *cursor, void *key, size_t key_capacity, size_t *key_length,
    void *value, size_t value_capacity, size_t *value_length);

/**
 * Commits the transaction's writes (docs/table-format.md §5.1): locks the entry of each key written (claiming an
 * empty one for a new key), takes a version from the clock, checks that nothing it read has changed, marks its redo
 * record committed — the commit point — and writes the entries. Either every write is made, visible to snapshots
 * that begin after it, or none is. A snapshot, or a transaction without writes, commits at once. Frees nothing:
 * restart or free the transaction afterwards.
 *
 * @return TRINDLE_OK; TRINDLE_E_CONFLICT (nothing was written: start again); TRINDLE_E_FULL if a new key found the
 *         table holding its key limit already (nothing was written); TRINDLE_E_INVALID for NULL or a transaction
 *         committed already; TRINDLE_E_CORRUPT.
 */
TRINDLE_API int trindle_txn_commit(trindle_txn *txn);

/** Ends the transaction without committing it and frees it. NULL is ignored. */
TRINDLE_API void trindle_txn_free(trindle_txn *txn);

/** What trindle_table_read and trindle_table_write run: TRINDLE_OK to end (to commit), a code to give up with. */
typedef int (*trindle_txn_fn)(trindle_txn *txn, void *context);

/**
 * Runs `fn(snapshot, context)` on a new snapshot, and again on a newer one as long as it returns TRINDLE_E_CONFLICT
 * (backing off a little more each time, as trindle_table_write), at most TRINDLE_TABLE_READ_ATTEMPTS times.
 *
 * @return what `fn` returned last; TRINDLE_E_CONFLICT after too many conflicts; as trindle_txn_begin.
 */
TRINDLE_API int trindle_table_read(trindle_table *table, trindle_txn_fn fn, void *context);

/**
 * Runs `fn(txn, context)` on a new transaction and commits it when `fn` returns TRINDLE_OK; on a conflict (from
 * `fn` or the commit) runs it again on a restarted one, backing off a little more each time, at most
 * TRINDLE_TABLE_WRITE_ATTEMPTS times. `fn` must do only what may be repeated.
 *
 * @return TRINDLE_OK once committed; what `fn` returned, if neither TRINDLE_OK nor TRINDLE_E_CONFLICT (nothing
 *         committed); TRINDLE_E_CONFLICT after too many conflicts; as trindle_txn_commit and trindle_txn_begin.
 */
TRINDLE_API int trindle_table_write(trindle_table *table, trindle_txn_fn fn, void *context);

/* ============================================================================================================
 * The worker side of the control protocol (docs/control-protocol.md): connect, grants by name, ready, stop,
 * and exchange.
 * ============================================================================================================ */
typedef struct trindle trindle_t;
typedef struct trindle_pipe_sender trindle_pipe_sender_t;
typedef struct trindle_outbox trindle_outbox_t;

/**
 * Connects to the supervisor over the control channel this process inherited: the fd named by the
 * environment variable TRINDLE_CONTROL_FD, or 3. Reads the hello, then grants until grants-done, checking
 * every frame as control-protocol.md §2 says (a refused frame's fds are closed), and maps every lane and
 * segment granted. Then call trindle_ready.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if TRINDLE_CONTROL_FD is not a number; TRINDLE_E_PROTOCOL if a frame
 *         is refused or the frames are not hello, grants, grants-done; TRINDLE_E_SUPERVISOR_GONE if the
 *         channel closed first; otherwise as trindle_lane_sender_open, trindle_pipe_receiver_add_lane or
 *         trindle_segment_map for a grant that cannot be mapped. On failure everything received is closed,
 *         the control fd too.
 */
TRINDLE_API int trindle_connect(trindle_t **trindle);

/** As trindle_connect, over control channel fd `fd` (which the connection owns from now on, even on failure). */
TRINDLE_API int trindle_connect_fd(int fd, trindle_t **trindle);

/** @return the pipeline's name, from the hello ("" for NULL). */
TRINDLE_API const char *trindle_pipeline(const trindle_t *trindle);
/** @return this worker's name in the pipeline's config ("" for NULL). */
TRINDLE_API const char *trindle_worker(const trindle_t *trindle);
/** @return this process's replica number, 0-based. */
TRINDLE_API uint32_t trindle_replica(const trindle_t *trindle);
/** @return how many replicas the worker has. */
TRINDLE_API uint32_t trindle_replicas(const trindle_t *trindle);
/** @return the control channel's fd, e.g. to watch it in a poll loop of the worker's own (-1 for NULL). */
TRINDLE_API int trindle_control_fd(const trindle_t *trindle);

/**
 * Finds the pipe this worker may send on under `name` (a grant with SEND).
 *
 * @param sender where the pipe sender is stored; it belongs to the connection (closed by trindle_close).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND (trindle_last_error() lists the grants there are); TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_sender(trindle_t *trindle, const char *name, trindle_pipe_sender_t **sender);

/**
 * Finds the worker's combined input: one receiver over every lane of every pipe it was granted RECEIVE on.
 *
 * @param receiver where it is stored; it belongs to the connection (closed by trindle_close).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND if the worker receives nothing; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_receiver(trindle_t *trindle, trindle_pipe_receiver_t **receiver);

/**
 * Finds the segment granted under `name`, mapped with the rights granted.
 *
 * @param segment where it is stored; it belongs to the connection (closed by trindle_close).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND; TRINDLE_E_ACCESS if the supervisor revoked it (`*segment` is still
 *         set, to the revoked segment); TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_segment(trindle_t *trindle, const char *name, trindle_segment_t **segment);

/**
 * Finds the table granted under `name` (object kind 5, docs/table-format.md), mapped at connect: writable, with a
 * writer slot this process holds until trindle_close, if the grant holds WRITE (its fd is then read-write);
 * read-only otherwise (a grant without WRITE comes as a read-only fd).
 *
 * @param table where it is stored; it belongs to the connection (closed by trindle_close): never close it yourself.
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND (trindle_last_error() lists the grants there are); TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_granted_table(trindle_t *trindle, const char *name, trindle_table **table);

/** @return the config's name of the pipe `message` came through, or NULL if it is not one of this worker's. */
TRINDLE_API const char *trindle_input_name(const trindle_t *trindle, const trindle_message_t *message);

/**
 * Tells the supervisor this worker has set itself up (a ready frame). A worker that does not within its
 * ready-timeout is killed.
 *
 * @return TRINDLE_OK; TRINDLE_E_SUPERVISOR_GONE if the channel is closed; TRINDLE_E_SYSTEM; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_ready(trindle_t *trindle);

/**
 * Reads, without blocking, what the supervisor sent since the last look, and says whether it asked this
 * worker to stop (stop producing, end the output streams, exit). A source should call it (or exchange, which
 * looks too) in its loop: it looks at the channel at most every 10 ms (one recvmsg), so calling it for every
 * message costs a clock read, not a system call.
 *
 * @return 1 if a stop was requested (now or before), 0 if not; TRINDLE_E_SUPERVISOR_GONE if the channel closed
 *         (exit at once with TRINDLE_SUPERVISOR_GONE_EXIT); TRINDLE_E_SYSTEM; TRINDLE_E_INVALID. A frame that
 *         breaks the protocol is refused (its fds closed) and otherwise ignored.
 */
TRINDLE_API int trindle_stop_requested(trindle_t *trindle);

/**
 * The Trindle drafts' single call: sends every message in `outbox` (each waiting for room as long as it must),
 * releases the messages of `inbox`'s last batch back to their lanes, then looks at the control channel
 * (without blocking, at most every 10 ms) and waits up to `timeout_ns` to fill `inbox` with a batch from all the
 * pipes this worker receives. While it sleeps it looks at the control channel again after every sleep that
 * ends empty-handed (at most every 100 ms). With messages flowing, it makes no system call.
 *
 * The order matters for at-least-once delivery: what a batch produced is sent before the batch is released, so
 * a worker killed in between sends it again on restart rather than losing it. Either of `outbox` and `inbox`
 * may be NULL.
 *
 * @return the number of messages received: 0 if none came in time, if the worker receives nothing, or if a
 *         stop request or a notice arrived while waiting (see trindle_stop_requested, trindle_next_notice; a
 *         notice already queued keeps it from waiting at all); TRINDLE_END_OF_STREAM once every pipe
 *         it receives has ended; TRINDLE_E_CORRUPT once for each input lane found broken (reason in
 *         trindle_last_error(); go on calling); TRINDLE_E_SUPERVISOR_GONE; or the error of a send (the outbox
 *         then still holds the messages not yet sent, first the one that failed).
 */
TRINDLE_API int trindle_exchange(
    trindle_t *trindle, trindle_outbox_t *outbox, trindle_inbox_t *inbox, int64_t timeout_ns);

/**
 * Ends every output stream (the lanes' ended words: it never waits), so receivers downstream see the end; unmaps every pipe and segment; closes the control channel; frees the connection
 * and everything trindle_sender, trindle_receiver and trindle_segment returned. NULL is ignored.
 */
TRINDLE_API void trindle_close(trindle_t *trindle);

/* ------------------------------------------------------------------------------------------------------------
 * Handles in motion (control-protocol.md §4): send a message with handles (the supervisor moves or copies them
 * and issues a token the record carries), redeem the handles of a received one, reject one (its sender gets a
 * bounce with the handles back), create a pipe of one's own, pack handles into a bundle and unpack one.
 *
 * Each request is synchronous: it sends its frame, then reads the control channel (blocking) until the reply
 * with its request id arrives. A stop read meanwhile is kept for trindle_stop_requested and exchange, and a
 * bounce is queued for trindle_next_bounce. Requests allocate nothing but a bounce's copy; they are not for the
 * fast path (each is a round trip to the supervisor).
 * ------------------------------------------------------------------------------------------------------------ */

/** An attachment's mode: the sender gives its handle up (needs TRANSFER), or keeps it (needs DUPLICATE). */
#define TRINDLE_MOVE 0u
#define TRINDLE_DUPLICATE 1u

/** The longest reason a reject carries, in bytes; the first bytes of the message it returns, at most. */
#define TRINDLE_MAX_REASON_LENGTH 1024
#define TRINDLE_MAX_BOUNCE_HEAD 256

/**
 * A handle this process holds, as the supervisor described it with its fd (control-protocol.md §2, handle
 * entry). Whoever holds the struct owns the fd: trindle_handle_close closes it, trindle_handle_map hands it to a
 * segment. An fd of -1 holds nothing.
 */
typedef struct trindle_handle
{
    /** The supervisor's id of the object: what a transfer names. */
    uint64_t object_id;
    /** TRINDLE_OBJECT_SEGMENT, _PIPE, _BUNDLE, _ALLOCATOR or _TABLE. */
    uint32_t kind;
    /** The rights of this handle (TRINDLE_RIGHT_*); a read-only fd has lost WRITE already. */
    uint32_t rights;
    /** Where the object starts in its memfd (a segment's window; 0 for a pipe's lane or a bundle). */
    uint64_t offset;
    /** The object's size in bytes. */
    uint64_t size;
    /** The memfd, close-on-exec; -1 once taken or closed. */
    int32_t fd;
    uint32_t reserved;
} trindle_handle_t;

/** One handle to attach to a message, and how. */
typedef struct trindle_attach
{
    /** The handle: its object id, kind and size go into the message (trindle_segment_handle describes a mapped
     *  segment). Not closed by the send: the caller closes its own, even a moved one. */
    const trindle_handle_t *handle;
    /** The rights the receiver will hold: those of the handle, or fewer. */
    uint32_t rights;
    /** TRINDLE_MOVE or TRINDLE_DUPLICATE. */
    uint32_t mode;
} trindle_attach_t;

/** A message this worker sent that its receiver rejected, with the handles it carried, this worker's again. */
typedef struct trindle_bounce
{
    /** The config's name of the pipe it was sent on (NUL-terminated). */
    const char *pipe;
    /** Its sequence in its lane. */
    uint64_t sequence;
    /** Why the receiver rejected it, in the receiver's words (NUL-terminated). */
    const char *reason;
    /** Its first bytes (at most TRINDLE_MAX_BOUNCE_HEAD; the attachment block not included). */
    const uint8_t *head;
    uint32_t head_length;
    /** The handles returned: owned by the bounce until taken (copy one and set its fd to -1 to keep it). */
    uint32_t handle_count;
    trindle_handle_t *handles;
} trindle_bounce_t;

/**
 * Describes a mapped segment as a handle to attach: its object id (known for a segment granted by the config or
 * mapped with trindle_handle_map), kind, rights, window and fd. The fd stays the segment's.
 *
 * @return TRINDLE_OK; TRINDLE_E_ACCESS for a revoked segment; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_segment_handle(const trindle_segment_t *segment, trindle_handle_t *handle);

/**
 * Maps a segment handle (e.g. one redeemed) with exactly its rights, as trindle_segment_map, and remembers its
 * object id so that it can be attached again. On success the segment owns the fd and `handle->fd` becomes -1.
 *
 * @return as trindle_segment_map; TRINDLE_E_INVALID if the handle is not a segment's.
 */
TRINDLE_API int trindle_handle_map(trindle_handle_t *handle, trindle_segment_t **segment);

/**
 * Maps a table handle (e.g. one redeemed): writable, with a writer slot of its own, if the handle holds WRITE and
 * its fd was opened read-write; read-only otherwise (trindle_table_map). Once it is mapped, the fd is the table's,
 * also if mapping fails: `handle->fd` becomes -1.
 *
 * @return as trindle_table_map; TRINDLE_E_INVALID if the handle is not a table's (the handle keeps its fd);
 *         TRINDLE_E_ACCESS without READ (the handle keeps its fd).
 */
TRINDLE_API int trindle_table_from_handle(trindle_handle_t *handle, trindle_table **table);

/** Closes a handle's fd (if it holds one) and sets it to -1. NULL is ignored. */
TRINDLE_API void trindle_handle_close(trindle_handle_t *handle);

/**
 * Sends a message with handles on the next lane of `pipe` (round-robin, as trindle_pipe_sender_send), in order
 * with every other message of that lane: asks the supervisor to move or copy the handles (transfer), then writes
 * a message-with-handles record carrying the token it issued (pipe-format.md §3.4), waiting for room as long as
 * it must. All or nothing: if the supervisor refuses one attachment, nothing is sent and nothing moves.
 *
 * A moved handle is no longer this worker's: a segment granted by the config that was moved is closed here (and
 * trindle_segment finds it no more); any other moved handle, the caller closes.
 *
 * @param count 1 … TRINDLE_MAX_ATTACHMENTS.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the supervisor refused (trindle_last_error() has its reason: which
 *         object, the rights, what is missing); TRINDLE_E_INVALID for NULL, a bad count or mode, or a message
 *         that with its attachment block (16 + 16 × count bytes) exceeds the pipe's largest; TRINDLE_E_ENDED
 *         (the stream was ended: if the supervisor had granted the transfer, the handles have left this worker and
 *         no message carries them); TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_send_handles(trindle_t *trindle, trindle_pipe_sender_t *pipe,
    const trindle_attach_t *attachments, uint32_t count, const void *data, uint32_t length);

/**
 * Redeems the handles a received message carries: the supervisor gives them to this worker, once, if the
 * message is really for it (its token was issued for this process and lane, and not redeemed before).
 *
 * @param handles  filled with the handles in order; the caller owns their fds.
 * @param capacity room in `handles`: at least the message's attachment_count.
 * @return the number of handles (0 for a message without any); TRINDLE_E_ACCESS if the supervisor refused (a
 *         forged or replayed token; trindle_last_error() says which); TRINDLE_E_INVALID for NULL or too small a
 *         capacity; TRINDLE_E_PROTOCOL if the reply was malformed; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_redeem(
    trindle_t *trindle, const trindle_message_t *message, trindle_handle_t *handles, uint32_t capacity);

/**
 * Rejects a received message instead of handling it: the supervisor cancels its token (if not redeemed), gives
 * its handles back to the sender, and sends the sender a bounce with `reason`, the sequence and the message's
 * first bytes. No reply: the frame is sent and the call returns. Release the message as usual.
 *
 * @param reason UTF-8, at most TRINDLE_MAX_REASON_LENGTH bytes.
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL or too long a reason; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_reject(trindle_t *trindle, const trindle_message_t *message, const char *reason);

/**
 * Takes the oldest bounce that arrived (read by exchange, stop_requested or a request), looking at the channel
 * once, without waiting, if none is queued. exchange returns early (with what it has) when a bounce arrives, so
 * a loop around it sees bounces promptly.
 *
 * @param bounce where the bounce is stored; free it with trindle_bounce_free.
 * @return 1 with a bounce; 0 if none; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_next_bounce(trindle_t *trindle, trindle_bounce_t **bounce);

/** Frees a bounce, closing the fds of the handles not taken. NULL is ignored. */
TRINDLE_API void trindle_bounce_free(trindle_bounce_t *bounce);

/**
 * Asks the supervisor for a pipe of this worker's own: one lane of `lane_capacity` bytes (a power of two from
 * 4096), with SEND, RECEIVE, DUPLICATE and TRANSFER. Fill it (trindle_lane_sender_open on a dup of the fd), then
 * move it in a message: the receiver reads what was queued.
 *
 * @param pipe filled with the lane's handle; the caller owns its fd.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the supervisor refused (reason in trindle_last_error());
 *         TRINDLE_E_INVALID; TRINDLE_E_PROTOCOL; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_create_pipe(trindle_t *trindle, uint32_t lane_capacity, trindle_handle_t *pipe);

/**
 * Resizes `pipe`, an input of this worker (granted receive; its name in the config): each of its lanes moves to a
 * new lane of `lane_capacity` bytes while its sender and this worker go on, and no message is lost, duplicated or
 * reordered (docs/pipe-format.md §9). Returns once the supervisor gave out the new lanes; each sender moves at its
 * next send, and this worker's receiver reads on in the new lane once it reaches the old one's moved record.
 * Messages already in an inbox stay valid until the inbox is released, as always.
 *
 * @param lane_capacity a power of two from 4096 to 2^30.
 * @return TRINDLE_OK; TRINDLE_E_INVALID if the supervisor refused with status 9, invalid request (the capacity is
 *         out of range, the last resize of the pipe is still under way, or a worker of the pipe is not running);
 *         TRINDLE_E_ACCESS if it refused with another status (1, not held: the worker does not receive the pipe).
 *         trindle_last_error() then says the supervisor's reason and status. TRINDLE_E_SUPERVISOR_GONE;
 *         TRINDLE_E_PROTOCOL; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_resize_pipe(trindle_t *trindle, const char *pipe, uint32_t lane_capacity);

/** The most bytes a bundle packs with its handles. */
#define TRINDLE_MAX_BUNDLE_BYTES 4096

/**
 * Packs handles this worker holds and up to TRINDLE_MAX_BUNDLE_BYTES bytes into a new bundle, to move in a message
 * as one handle: all of it arrives, or, rejected, all of it comes back. Each attachment is checked as for
 * trindle_send_handles (all or nothing); a moved granted segment is closed here, as there.
 *
 * @param bundle filled with the bundle's handle (READ and TRANSFER); the caller owns its fd.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the supervisor refused (reason in trindle_last_error());
 *         TRINDLE_E_INVALID; TRINDLE_E_PROTOCOL; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_bundle_create(trindle_t *trindle, const trindle_attach_t *attachments, uint32_t count,
    const void *bytes, uint32_t length, trindle_handle_t *bundle);

/**
 * Unpacks a bundle this worker holds (redeemed, or returned in a bounce): reads its bytes, then the supervisor
 * uses it up and gives its handles to this worker. On success the bundle's fd is closed (`bundle->fd` becomes -1).
 *
 * @param bytes, capacity   where the bytes go (at most TRINDLE_MAX_BUNDLE_BYTES), and the room there.
 * @param length            set to the number of bytes.
 * @param handles, handle_capacity  where the handles go (the caller owns their fds), and the room there.
 * @return the number of handles; TRINDLE_E_ACCESS if the supervisor refused; TRINDLE_E_FORMAT if the bundle's
 *         memory declares more bytes than it holds; TRINDLE_E_INVALID for NULL, a handle that is no bundle, or too
 *         little room (for the handles: the supervisor has then given them, and they are closed);
 *         TRINDLE_E_PROTOCOL; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM.
 */
TRINDLE_API int trindle_bundle_unpack(trindle_t *trindle, trindle_handle_t *bundle, void *bytes, uint32_t capacity,
    uint32_t *length, trindle_handle_t *handles, uint32_t handle_capacity);

/* ------------------------------------------------------------------------------------------------------------
 * Pipe sender: a pipe this worker may send on. When the receiving worker has replicas, the pipe has one
 * instance per replica and this worker one lane in each; messages are spread over them round-robin, or by a
 * key's hash (partition: key) so one replica sees every message of a key — the same hash as the Java runtime,
 * so C and Java senders agree on where a key goes.
 * ------------------------------------------------------------------------------------------------------------ */

/** @return the pipe's name in the config ("" for NULL). */
TRINDLE_API const char *trindle_pipe_sender_name(const trindle_pipe_sender_t *sender);
/** @return the number of receiving replicas (lanes) messages are spread over (0 for NULL). */
TRINDLE_API uint32_t trindle_pipe_sender_replicas(const trindle_pipe_sender_t *sender);
/** @return whether messages are spread by key rather than round-robin. */
TRINDLE_API bool trindle_pipe_sender_by_key(const trindle_pipe_sender_t *sender);
/** @return the largest message every lane of the pipe takes (0 for NULL). */
TRINDLE_API uint32_t trindle_pipe_sender_max_payload_length(const trindle_pipe_sender_t *sender);

/**
 * Picks the lane the next message goes to, for zero-copy sending with trindle_lane_sender_claim: on a pipe
 * partitioned by key, the lane of replica hash(key) mod replicas; otherwise the next lane in turn (advancing
 * the turn; `key` is ignored).
 *
 * @return the lane sender (owned by the pipe sender), or NULL for NULL.
 */
TRINDLE_API trindle_lane_sender_t *trindle_pipe_sender_lane(trindle_pipe_sender_t *sender, uint64_t key);

/**
 * Sends a message to the next replica in turn (on a pipe partitioned by key: to the replica of key 0, as the
 * Java runtime does), waiting up to `timeout_ns` for room.
 *
 * @return as trindle_lane_sender_send.
 */
TRINDLE_API int trindle_pipe_sender_send(
    trindle_pipe_sender_t *sender, const void *data, uint32_t length, int64_t timeout_ns);

/**
 * Sends a message to the replica `key` belongs to (on a round-robin pipe: to the next in turn).
 *
 * @return as trindle_lane_sender_send.
 */
TRINDLE_API int trindle_pipe_sender_send_key(
    trindle_pipe_sender_t *sender, uint64_t key, const void *data, uint32_t length, int64_t timeout_ns);

/**
 * Ends the stream on every lane of the pipe (trindle_lane_sender_end_stream); never waits.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID if `sender` is NULL.
 */
TRINDLE_API int trindle_pipe_sender_end_streams(trindle_pipe_sender_t *sender);

/* ------------------------------------------------------------------------------------------------------------
 * Outbox: the messages to send at the next exchange (the Trindle notes' separate struct for outgoing
 * messages). Each added message is copied into the outbox's own buffer at once, so the caller may reuse its
 * bytes. It allocates only when created.
 * ------------------------------------------------------------------------------------------------------------ */

/**
 * @param max_messages the most messages one exchange sends (at least 1).
 * @param max_bytes    the most payload bytes they hold together (at least 1).
 * @return TRINDLE_OK; TRINDLE_E_INVALID; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_outbox_create(uint32_t max_messages, size_t max_bytes, trindle_outbox_t **outbox);

/**
 * Adds a message for `pipe` (sent round-robin, as trindle_pipe_sender_send).
 *
 * @return TRINDLE_OK; TRINDLE_E_FULL if the outbox has no room left (exchange first); TRINDLE_E_INVALID if an
 *         argument is NULL or the length exceeds the pipe's largest message.
 */
TRINDLE_API int trindle_outbox_add(
    trindle_outbox_t *outbox, trindle_pipe_sender_t *pipe, const void *data, uint32_t length);

/** As trindle_outbox_add, for the replica `key` belongs to (as trindle_pipe_sender_send_key). */
TRINDLE_API int trindle_outbox_add_key(
    trindle_outbox_t *outbox, trindle_pipe_sender_t *pipe, uint64_t key, const void *data, uint32_t length);

/** @return the number of messages waiting to be sent (0 for NULL). */
TRINDLE_API uint32_t trindle_outbox_size(const trindle_outbox_t *outbox);

/**
 * Sends every message in order, each waiting up to `timeout_ns` for room, and empties the outbox.
 *
 * @return TRINDLE_OK; or the first send's error, and the outbox keeps the messages not yet sent (the failed one
 *         first), so a later call neither loses nor repeats any.
 */
TRINDLE_API int trindle_outbox_send_all(trindle_outbox_t *outbox, int64_t timeout_ns);

/** Frees the outbox (unsent messages are dropped). NULL is ignored. */
TRINDLE_API void trindle_outbox_destroy(trindle_outbox_t *outbox);

/* ============================================================================================================
 * Allocators and notices (docs/control-protocol.md §4, Allocators). An allocator is a byte quota held by the
 * supervisor: a worker granted one with ALLOCATE asks it for segments, pipes, tables and child allocators at run
 * time, and gives segments and allocators back with a release. Each such call is one request to the supervisor and
 * waits for its answer (a system call or two each way: not for the fast path); frames that arrive meanwhile (a
 * stop, notices) are kept for trindle_stop_requested and trindle_next_notice.
 *
 * Notices are what the supervisor tells a worker unasked: an allocator it holds crossed 80 % or 95 % of its
 * quota, up or down; a lane it receives ended; an object was granted to it at run time (trindle grant: kept as a
 * grant under its name before the notice is queued); the supervisor asks for bytes of an allocator back
 * (trindle reclaim: the worker releases segments or child allocators made from it). They are queued as they are read from the channel (by
 * trindle_exchange, trindle_stop_requested and the calls here), in the order they came; a notice waiting
 * cuts an exchange's wait short, as a stop does.
 * ============================================================================================================ */
typedef struct trindle_allocator trindle_allocator_t;

/** One notice (control-protocol.md §4, notice), copied out of its frame. */
typedef struct trindle_notice
{
    /** TRINDLE_NOTICE_PRESSURE_ABOVE, _PRESSURE_BELOW, _LANE_ENDED, _GRANTED or _GIVE_BACK. */
    uint32_t kind;
    /** For pressure, the threshold crossed: 80 or 95 (percent of the quota); else 0. */
    uint32_t percent;
    /** The object it is about: the allocator (pressure, give back), the pipe (a lane ended), the object granted. */
    uint64_t object_id;
    /** For pressure, the allocator's use in bytes after the change; for a lane that ended, its lane id; for a
     *  give back, the bytes the supervisor asks the allocator's holders to release. */
    uint64_t used;
    /** For pressure and give back, the allocator's quota in bytes; else 0. */
    uint64_t quota;
    /** For TRINDLE_NOTICE_GRANTED, the number of handles the frame carried (1): libtrindle keeps the handle as a
     *  grant under the name in `details`, so trindle_segment or trindle_allocator finds it. Else 0. */
    uint32_t handle_count;
    uint32_t reserved;
    /** The supervisor's words, for a log line; for TRINDLE_NOTICE_GRANTED, the name the object is granted under.
     *  NUL-terminated, cut at 255 bytes. */
    char details[256];
} trindle_notice_t;

/**
 * Finds the allocator granted under `name` (a grant of an allocator, e.g. `scratch: allocate`).
 *
 * @param allocator where it is stored; it belongs to the connection (closed by trindle_close).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND (trindle_last_error() lists the allocators there are);
 *         TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_allocator(trindle_t *trindle, const char *name, trindle_allocator_t **allocator);

/** @return the allocator's object id, the supervisor's (0 for NULL). */
TRINDLE_API uint64_t trindle_allocator_id(const trindle_allocator_t *allocator);
/** @return the rights this worker holds it with (TRINDLE_RIGHT_ALLOCATE, _DUPLICATE, _TRANSFER; 0 for NULL). */
TRINDLE_API uint32_t trindle_allocator_rights(const trindle_allocator_t *allocator);
/** @return the allocator's quota in bytes, read from its sealed page (0 for NULL). */
TRINDLE_API uint64_t trindle_allocator_quota(const trindle_allocator_t *allocator);

/**
 * Asks the supervisor for a segment of `size` bytes (rounded up to whole pages) charged to `allocator`, and maps
 * it with READ and WRITE (it holds DUPLICATE and TRANSFER too).
 *
 * @param segment where it is stored; it belongs to the connection until trindle_release_segment (or
 *                trindle_close, which unmaps it).
 * @return TRINDLE_OK; TRINDLE_E_OVER_QUOTA; TRINDLE_E_ACCESS without ALLOCATE; TRINDLE_E_NOT_FOUND if the
 *         supervisor does not count this worker among the allocator's holders; TRINDLE_E_INVALID for NULL or a
 *         size of 0 (or over 64 TiB); TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_PROTOCOL; TRINDLE_E_SYSTEM. A refusal's
 *         trindle_last_error() holds the supervisor's reason. On failure nothing was created or charged.
 */
TRINDLE_API int trindle_allocator_create_segment(
    trindle_t *trindle, trindle_allocator_t *allocator, uint64_t size, trindle_segment_t **segment);

/**
 * As trindle_create_pipe, charged to `allocator` (held with ALLOCATE): its lane file, `4096 + lane_capacity` bytes
 * rounded up to whole pages, counts against the allocator's quota until the pipe is freed.
 *
 * @return TRINDLE_OK; TRINDLE_E_OVER_QUOTA (the reason names the quota, what is in use and what was asked; nothing
 *         was made); TRINDLE_E_ACCESS without ALLOCATE or if the allocator is not held; TRINDLE_E_INVALID (a NULL
 *         argument, or a capacity the supervisor refuses); TRINDLE_E_PROTOCOL; TRINDLE_E_SUPERVISOR_GONE.
 */
TRINDLE_API int trindle_allocator_create_pipe(
    trindle_t *trindle, trindle_allocator_t *allocator, uint32_t lane_capacity, trindle_handle_t *pipe);

/**
 * Asks the supervisor for a table (docs/table-format.md) charged to `allocator` (held with ALLOCATE), and maps it
 * writable, with a writer slot of its own: its memfd of at most `size` bytes rounded up to whole pages (the most
 * entries that fit, a power of two, at least TRINDLE_TABLE_MIN_ENTRY_COUNT, and the file cut to the pages they
 * need) counts against the allocator's quota until the table is freed. It is held with READ, WRITE, DUPLICATE and
 * TRANSFER. The supervisor keeps a mapping of it to recover the writers that die (§6 of the format). The fd came
 * with an open file description of this process's own, which holds the writer's liveness lock: never hand it to
 * another process (one that needs the table maps an fd of its own, reopened from /proc/PID/fd).
 *
 * @param key_max      the longest key, 1 … 4096; 0: 64.
 * @param value_max    the longest value, 1 … 1 MiB; 0: 256.
 * @param writer_count how many processes may write at once, 1 … 255; 0: 16.
 * @param table        where it is stored; it is the caller's: give it back with trindle_release_table (only
 *                     closed, with trindle_table_close, it stays charged until this worker exits).
 * @return TRINDLE_OK; TRINDLE_E_OVER_QUOTA (the reason names the quota, what is in use and what was asked);
 *         TRINDLE_E_INVALID for NULL or sizes the supervisor refuses (status 9: a size of 0 or over 64 TiB, limits
 *         out of range, a file too small for 8 entries; the reason says which); TRINDLE_E_ACCESS without ALLOCATE;
 *         TRINDLE_E_NOT_FOUND if the supervisor does not count this worker among the allocator's holders;
 *         TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_PROTOCOL; or what trindle_table_map reports. A refusal's
 *         trindle_last_error() holds the supervisor's reason; on a refusal nothing was created or charged.
 */
TRINDLE_API int trindle_allocator_create_table(trindle_t *trindle, trindle_allocator_t *allocator, uint64_t size,
    uint32_t key_max, uint32_t value_max, uint32_t writer_count, trindle_table **table);

/**
 * Asks the supervisor for a child of `parent` with `quota` bytes reserved from the parent's; the child comes
 * with ALLOCATE, DUPLICATE and TRANSFER.
 *
 * @param child where it is stored; it belongs to the connection until trindle_release_allocator.
 * @return as trindle_allocator_create_segment (a quota of 0 is TRINDLE_E_INVALID).
 */
TRINDLE_API int trindle_allocator_create_allocator(
    trindle_t *trindle, trindle_allocator_t *parent, uint64_t quota, trindle_allocator_t **child);

/**
 * Unmaps `segment`, made by trindle_allocator_create_segment, closes its fd and tells the supervisor (a release),
 * which frees it once no process holds it: its bytes return to its allocator. The segment is gone whatever the
 * answer. (A segment granted by the config lives as long as the pipeline: it is not released.)
 *
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND if the segment was not made on this connection, or the supervisor does
 *         not count this worker among its holders; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_release_segment(trindle_t *trindle, trindle_segment_t *segment);

/** As trindle_release_segment, for an allocator (a child's reservation returns to its parent once freed). */
TRINDLE_API int trindle_release_allocator(trindle_t *trindle, trindle_allocator_t *allocator);

/**
 * As trindle_release_segment, for a table made by trindle_allocator_create_table (or any table mapped from a handle
 * of the supervisor's): closes it (its writer slot freed, unmapped, its fd closed) and tells the supervisor, which
 * frees it once no process holds it; its bytes return to its allocator. The table is gone here whatever the answer.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL, a table granted by the config (the connection keeps it: nothing
 *         is done), or a table not mapped from a supervisor's handle (one made by trindle_table_create: it is
 *         closed); TRINDLE_E_NOT_FOUND if the supervisor does not count this worker among
 *         its holders; TRINDLE_E_SUPERVISOR_GONE.
 */
TRINDLE_API int trindle_release_table(trindle_t *trindle, trindle_table *table);

/**
 * Takes the oldest notice not yet taken. When none is queued, it looks at the channel (without blocking) for any
 * that arrived, at most every 10 ms as trindle_stop_requested does: calling it after every batch costs a clock
 * read, not a system call. A worker that waits for a notice can poll trindle_control_fd for input first.
 *
 * @return 1 with `notice` filled; 0 if none waits; TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_SYSTEM;
 *         TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_next_notice(trindle_t *trindle, trindle_notice_t *notice);

/* ============================================================================================================
 * Checkpoint: a worker's state and its per-lane positions, committed together into a segment granted to it
 * with READ and WRITE, which outlives the worker's restarts (docs/checkpoint-format.md is the layout,
 * docs/restart-safe-workers.md the pattern). A receiver handles a batch, skipping what trindle_checkpoint_is_new
 * says it handled before; then trindle_checkpoint_commit sends what the batch produced and commits the new state
 * with the batch's positions; the next exchange releases the batch. Killed anywhere in that cycle, the worker
 * restarts from the last commit, and the messages delivered again are exactly those whose effect was not
 * committed.
 *
 * One process at a time may use a region: each replica of a worker has a region of its own (the segment split
 * in equal parts). Opening allocates; is_new and commit allocate nothing and make no system call (commit's
 * sends aside).
 * ============================================================================================================ */
typedef struct trindle_checkpoint trindle_checkpoint_t;

/**
 * Opens the checkpoint kept in the segment granted under `segment_name`, in this replica's region (region
 * trindle_replica() of trindle_replicas()), and restores what was committed last: the state (see
 * trindle_checkpoint_state) and the per-lane positions. A segment nothing was ever committed to gives
 * generation 0 and an empty state.
 *
 * @param checkpoint where it is stored; the caller closes it with trindle_checkpoint_close (the segment stays
 *                   the connection's).
 * @return as trindle_checkpoint_open_segment, or TRINDLE_E_NOT_FOUND if no segment has that name.
 */
TRINDLE_API int trindle_checkpoint_open(
    trindle_t *trindle, const char *segment_name, trindle_checkpoint_t **checkpoint);

/**
 * Opens the checkpoint in region `region` of `regions` of a mapped segment and restores it.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL, region >= regions, or a region too small for a header and two
 *         slots; TRINDLE_E_ACCESS if the segment is not mapped writable or was revoked; TRINDLE_E_FORMAT if the
 *         region holds something else (magic), another version, or a slot length that does not match the region
 *         (the segment or the replica count changed); TRINDLE_E_CORRUPT if the committed slot fails its checks
 *         (generation, lengths, checksum): something wrote over it, and the worker must not guess (never falls back
 *         to the older slot, whose positions may lie behind messages already released); TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_checkpoint_open_segment(
    trindle_segment_t *segment, uint32_t region, uint32_t regions, trindle_checkpoint_t **checkpoint);

/** @return the generation committed last: 0 before the first commit, then 1, 2, … (0 for NULL). */
TRINDLE_API uint64_t trindle_checkpoint_generation(const trindle_checkpoint_t *checkpoint);

/**
 * @param length where the state's length is stored (may be NULL).
 * @return the state restored at open: a copy, valid until close (NULL, length 0, if none was committed).
 */
TRINDLE_API const uint8_t *trindle_checkpoint_state(const trindle_checkpoint_t *checkpoint, uint32_t *length);

/** @return the longest state a commit takes with the lanes recorded so far (0 for NULL). */
TRINDLE_API uint32_t trindle_checkpoint_max_state_length(const trindle_checkpoint_t *checkpoint);

/** @return the number of lanes with a committed position (0 for NULL). */
TRINDLE_API uint32_t trindle_checkpoint_lane_count(const trindle_checkpoint_t *checkpoint);

/**
 * The committed position of one lane: the last sequence handled on it.
 *
 * @return TRINDLE_OK with *sequence set; TRINDLE_E_NOT_FOUND if nothing was committed for that lane;
 *         TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_checkpoint_position(
    const trindle_checkpoint_t *checkpoint, uint64_t pipe_id, uint32_t lane_id, uint64_t *sequence);

/**
 * @return whether `message` lies above its lane's committed position, i.e. was not handled before: false for a
 *         message delivered again after a restart whose effect is already in the committed state. A lane with
 *         no committed position has every message new. False for NULL.
 */
TRINDLE_API bool trindle_checkpoint_is_new(const trindle_checkpoint_t *checkpoint, const trindle_message_t *message);

/**
 * Commits `state` together with the positions of every message in `batch` (the inbox about to be released),
 * after sending `outbox`:
 *   1. sends every message in `outbox` (waiting for room as long as it must), so what the batch produced is in
 *      its lanes before the batch counts as handled (a crash before step 3 sends it again; never loses it);
 *   2. writes the state and the positions — those committed before, raised to each lane's last sequence in the
 *      batch — into the slot that is not the committed one, with its generation and checksum;
 *   3. release-stores the new generation into the commit word: the commit.
 * Then release the batch (the next exchange does). Either of `outbox` and `batch` may be NULL: a source commits
 * its state alone.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL state with a length, more than TRINDLE_CHECKPOINT_MAX_LANES
 *         lanes, or a state longer than trindle_checkpoint_max_state_length allows (grant a larger segment);
 *         TRINDLE_E_CORRUPT if another process committed to this region since (two processes share it); or the
 *         error of a send (the outbox keeps what was not sent). On any failure nothing was committed.
 */
TRINDLE_API int trindle_checkpoint_commit(trindle_checkpoint_t *checkpoint, trindle_outbox_t *outbox,
    const trindle_inbox_t *batch, const void *state, uint32_t length);

/** Frees the checkpoint (what was committed stays in the segment). NULL is ignored. */
TRINDLE_API void trindle_checkpoint_close(trindle_checkpoint_t *checkpoint);

/* ============================================================================================================
 * Events (docs/events.md): one worker signals others without sending data ("a new file is ready"). An event is a
 * count word — a u32, little-endian, at an offset that is a multiple of 4 — in a segment the config declares and
 * grants as any other. A notifier adds 1 to it atomically (release) and wakes every process asleep on it
 * (futex FUTEX_WAKE, shared); a listener remembers the count it last saw and sleeps (FUTEX_WAIT) while the word
 * still holds it. Every listener sees every signal: they are counted, never consumed.
 *
 * Rights are the segment's: a listener needs READ, a notifier WRITE. A worker granted the segment `read` holds a
 * read-only fd, so the kernel refuses it a writable mapping: it can listen, never signal.
 *
 * Threads: a notifier may be used by any number of threads at once; a listener by one thread at a time. Both
 * borrow the segment, which must stay mapped while they are used.
 * ============================================================================================================ */
#define TRINDLE_EVENT_WORD_LENGTH 4
#define TRINDLE_EVENT_WORD_ALIGNMENT 4

typedef struct trindle_event_notifier trindle_event_notifier_t;
typedef struct trindle_event_listener trindle_event_listener_t;

/**
 * Opens the notifier of the event whose count word is at `offset` in `segment`.
 *
 * @param offset   a multiple of TRINDLE_EVENT_WORD_ALIGNMENT, with the word inside the segment.
 * @param notifier where it is stored; the caller closes it with trindle_event_notifier_close.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the segment is mapped without WRITE (granted `read`: grant the notifier
 *         `[read, write]`) or was revoked; TRINDLE_E_INVALID for NULL or an offset that is not an aligned word
 *         inside the segment; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_event_notifier_open(
    trindle_segment_t *segment, uint64_t offset, trindle_event_notifier_t **notifier);

/**
 * Signals: adds 1 to the count (release order: what this thread wrote before is visible to a listener that sees the
 * new count), then wakes every listener asleep on it. One system call (futex FUTEX_WAKE), whether anyone sleeps or
 * not: the listeners cannot write to the segment to say that they sleep.
 *
 * @param count where the count after this signal is stored (modulo 2^32); may be NULL.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the segment was revoked since; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_event_signal(trindle_event_notifier_t *notifier, uint32_t *count);

/** Frees the notifier (the segment stays mapped). NULL is ignored. */
TRINDLE_API void trindle_event_notifier_close(trindle_event_notifier_t *notifier);

/**
 * Opens a listener on the event whose count word is at `offset` in `segment`, from the count there now: signals
 * made before are not counted. Needs only READ.
 *
 * @param listener where it is stored; the caller closes it with trindle_event_listener_close.
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the segment was revoked; TRINDLE_E_INVALID for NULL or an offset that is
 *         not an aligned word inside the segment; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_event_listener_open(
    trindle_segment_t *segment, uint64_t offset, trindle_event_listener_t **listener);

/**
 * Looks without waiting: stores how many signals came since the listener last looked (0 if none, modulo 2^32);
 * they count as seen from now on.
 *
 * @return TRINDLE_OK; TRINDLE_E_ACCESS if the segment was revoked; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_event_poll(trindle_event_listener_t *listener, uint32_t *signals);

/**
 * Waits up to `timeout_ns` (negative: no limit; 0: do not wait) until at least one signal came since the listener
 * last looked, and stores how many came. Wake-ups that bring no signal (an interrupted sleep, a FUTEX_WAKE some
 * other process made on the word) are waited through. An event says nothing of its notifier's life: a notifier
 * that died simply signals no more, so wait with a timeout where that matters.
 *
 * @return TRINDLE_OK with `*signals` 1 or more; TRINDLE_E_TIMEOUT with `*signals` 0 when none came in time;
 *         TRINDLE_E_ACCESS if the segment was revoked; TRINDLE_E_SYSTEM if the futex call failed otherwise;
 *         TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_event_wait(trindle_event_listener_t *listener, int64_t timeout_ns, uint32_t *signals);

/** @return the count the listener last saw (0 for NULL). */
TRINDLE_API uint32_t trindle_event_seen(const trindle_event_listener_t *listener);

/** Frees the listener (the segment stays mapped). NULL is ignored. */
TRINDLE_API void trindle_event_listener_close(trindle_event_listener_t *listener);

/* ============================================================================================================
 * Request-response (docs/request-response.md): a requester sends requests on one pipe and receives their replies on
 * another; a responder receives requests and sends each reply on the reply pipe paired with the request's pipe.
 * Each message opens with the header of trindle-request-layout.h: a correlation id the requester chose, which the
 * reply carries back, then the kind and version.
 *
 * Ids start at the wall clock's nanoseconds when the requester opens and go up by one, so a restarted requester's
 * ids lie beyond those of its earlier runs. A reply whose id is not in flight — it came after its request timed
 * out, or twice, because a restarted responder answered a request delivered again — is dropped and counted
 * (trindle_requester_dropped), never handed to a later call.
 *
 * The requester receives through trindle_exchange: the reply pipe must be the worker's only input (a message from
 * another pipe is rejected: its sender gets a bounce). When the reply pipe ends — the supervisor ends the
 * responder's lane once the responder will not run again, after every reply it sent — the requests in flight fail
 * at once with TRINDLE_E_ENDED, not at their timeouts. A responder restarted instead gets again the requests it
 * had not released, and answers them.
 *
 * A requester and a responder are for one thread at a time. Sending, taking a reply of the batch received, and
 * replying allocate nothing and make no system call unless a lane's peer sleeps.
 * ============================================================================================================ */
typedef struct trindle_requester trindle_requester_t;
typedef struct trindle_responder trindle_responder_t;

/** A reply, read in place in the reply pipe's lane: valid until the requester's next receive or call. */
typedef struct trindle_reply
{
    /** The correlation id of the request it answers (what trindle_requester_send stored). */
    uint64_t id;
    /** The responder's payload (after the header), and its length. */
    const uint8_t *payload;
    uint32_t length;
    uint32_t reserved;
} trindle_reply_t;

/**
 * Opens a requester sending on `request_pipe` (granted `send`) and receiving replies on `reply_pipe` (granted
 * `receive`, the worker's only input).
 *
 * @param max_in_flight the most requests sent and not yet answered (1 or more).
 * @param requester     where it is stored; the caller closes it with trindle_requester_close.
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND if either pipe is not granted so (trindle_last_error() says which);
 *         TRINDLE_E_INVALID for NULL or a max_in_flight of 0; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_requester_open(trindle_t *trindle, const char *request_pipe, const char *reply_pipe,
    uint32_t max_in_flight, trindle_requester_t **requester);

/**
 * Sends a request, waiting up to `timeout_ns` (negative: no limit) for room; its reply is due within the same time
 * from now. The header and `data` are written straight into the lane.
 *
 * @param id where the request's correlation id is stored.
 * @return TRINDLE_OK; TRINDLE_E_FULL if max_in_flight requests are in flight already (receive first);
 *         TRINDLE_E_TIMEOUT if the pipe had no room in time (nothing was sent); TRINDLE_E_ENDED if the responder is
 *         gone already; TRINDLE_E_INVALID for NULL or a request that with its header exceeds the pipe's largest
 *         message; or as trindle_lane_sender_claim_wait.
 */
TRINDLE_API int trindle_requester_send(
    trindle_requester_t *requester, const void *data, uint32_t length, int64_t timeout_ns, uint64_t *id);

/**
 * Waits up to `wait_ns` (negative: no limit) for the reply to any request in flight.
 *
 * @return 1 with `reply` filled; 0 if none came in time, or none is in flight; TRINDLE_E_TIMEOUT if a request in
 *         flight passed its timeout first (the one due first: its id in reply->id, its payload NULL; it is
 *         forgotten, and so is its reply if it comes; trindle_last_error() names the pipe, the id and the timeout);
 *         TRINDLE_E_ENDED if the responder is gone (reply->id the oldest request unanswered; every request in flight
 *         is forgotten; trindle_last_error() says so); TRINDLE_E_SUPERVISOR_GONE; TRINDLE_E_CORRUPT if the reply
 *         lane broke; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_requester_receive(trindle_requester_t *requester, int64_t wait_ns, trindle_reply_t *reply);

/**
 * Sends a request and waits for its reply: send, then receive, for one request at a time.
 *
 * @return TRINDLE_OK with `reply` filled; TRINDLE_E_INVALID if other requests are in flight (use send and receive
 *         for several); otherwise as trindle_requester_send and trindle_requester_receive (TRINDLE_E_TIMEOUT when no
 *         reply came within `timeout_ns`, TRINDLE_E_ENDED when the responder is gone).
 */
TRINDLE_API int trindle_requester_call(
    trindle_requester_t *requester, const void *data, uint32_t length, int64_t timeout_ns, trindle_reply_t *reply);

/** @return how many requests are in flight: sent, and not yet answered, timed out or failed (0 for NULL). */
TRINDLE_API uint32_t trindle_requester_in_flight(const trindle_requester_t *requester);

/** @return how many replies were dropped: late (their request timed out) or repeated (0 for NULL). */
TRINDLE_API uint64_t trindle_requester_dropped(const trindle_requester_t *requester);

/** Frees the requester; a reply it handed out is released by the connection's next exchange. NULL is ignored. */
TRINDLE_API void trindle_requester_close(trindle_requester_t *requester);

/**
 * Opens a responder with no pairs; add them with trindle_responder_pair. The worker receives its requests with
 * trindle_exchange as any worker does; each reply is sent at once, so it leaves before the next exchange releases
 * the request.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_responder_open(trindle_t *trindle, trindle_responder_t **responder);

/**
 * Pairs a request pipe (granted `receive`) with its reply pipe (granted `send`).
 *
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND if either pipe is not granted so; TRINDLE_E_INVALID for NULL or a
 *         request pipe paired already; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_responder_pair(
    trindle_responder_t *responder, const char *request_pipe, const char *reply_pipe);

/**
 * Reads a request: whether `message` came through a paired pipe and opens with a request's header. Its payload is
 * `message->payload + TRINDLE_REQUEST_HEADER_LENGTH`, `message->length - TRINDLE_REQUEST_HEADER_LENGTH` bytes.
 *
 * @param id where its correlation id is stored.
 * @return TRINDLE_OK; TRINDLE_E_FORMAT if it is not a request (trindle_last_error() says why: reject it, and its
 *         sender gets it back); TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_responder_request(
    trindle_responder_t *responder, const trindle_message_t *message, uint64_t *id);

/**
 * Sends the reply to `request` on the reply pipe paired with the pipe it came through, waiting up to `timeout_ns`
 * for room (negative: no limit). The header and `data` are written straight into the lane.
 *
 * @return TRINDLE_OK; TRINDLE_E_FORMAT if `request` is not a request; TRINDLE_E_TIMEOUT if the pipe had no room in
 *         time (nothing was sent); TRINDLE_E_INVALID for NULL or a reply that with its header exceeds the pipe's
 *         largest message; or as trindle_lane_sender_claim_wait.
 */
TRINDLE_API int trindle_responder_reply(trindle_responder_t *responder, const trindle_message_t *request,
    const void *data, uint32_t length, int64_t timeout_ns);

/**
 * Sends a reply to the request of correlation id `id` that came through `request_pipe`: for an answer given after
 * the request was released (a request released unanswered is not delivered again if this worker dies: the
 * requester's timeout covers it).
 *
 * @return as trindle_responder_reply; TRINDLE_E_NOT_FOUND if `request_pipe` is not paired.
 */
TRINDLE_API int trindle_responder_reply_to(trindle_responder_t *responder, const char *request_pipe, uint64_t id,
    const void *data, uint32_t length, int64_t timeout_ns);

/** Frees the responder. NULL is ignored. */
TRINDLE_API void trindle_responder_close(trindle_responder_t *responder);

/* ============================================================================================================
 * Broadcast (docs/broadcast-format.md): one writer's messages, read by any number of readers, each at its own pace.
 * A reader maps the ring read-only (its handle is an O_RDONLY fd, so the kernel refuses it a writable mapping) and
 * keeps its position in a cursor file of its own; the writer maps every cursor read-only.
 *
 * The policy is the broadcast's, from the config: under slowest-reader the writer waits for the slowest joined
 * reader and no reader loses a message; under lap the writer never waits, and a reader that falls a whole ring
 * behind goes on from the oldest message still there and counts exactly how many it lost.
 *
 * Sending and reading make no system call but to wake a sleeper or to sleep. A writer is for one thread at a time,
 * and so is a reader.
 * ============================================================================================================ */
typedef struct trindle_broadcast_writer trindle_broadcast_writer_t;
typedef struct trindle_broadcast_reader trindle_broadcast_reader_t;

/** Where a reader joins: at the tail (only messages sent from now on), or at the oldest message still in the ring. */
#define TRINDLE_BROADCAST_FROM_NOW 0
#define TRINDLE_BROADCAST_FROM_OLDEST 1

/**
 * Finds the broadcast this worker writes under `name` (a grant of kind 6 with SEND), mapped at connect: the ring
 * read-write, every reader's cursor read-only. Opening it set the ring's state to open and its writer pid to this
 * process; a restarted writer carries on from the tail and the sequence its predecessor published.
 *
 * @param writer where it is stored; it belongs to the connection (trindle_close ends its stream and unmaps it).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND (trindle_last_error() lists the grants there are); TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_broadcast_writer(trindle_t *trindle, const char *name, trindle_broadcast_writer_t **writer);

/**
 * Finds the broadcast this worker reads under `name` (a grant of kind 6 with READ), mapped at connect: the ring
 * read-only, its own cursor read-write. It has not joined yet: call trindle_broadcast_join.
 *
 * @param reader where it is stored; it belongs to the connection (trindle_close leaves and unmaps it).
 * @return TRINDLE_OK; TRINDLE_E_NOT_FOUND (trindle_last_error() lists the grants there are); TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_broadcast_reader(trindle_t *trindle, const char *name, trindle_broadcast_reader_t **reader);

/**
 * Opens a writer over a ring file and its readers' cursor files without a supervisor (for tests and tools): checks
 * the ring's header as docs/broadcast-format.md §5 says (ready, magic, version, policy, capacity, largest payload,
 * reader slots, file size) and each cursor (a sealed memfd of 4096 bytes), maps them, sets the state to open.
 *
 * @param ring_fd      the ring's memfd, opened read-write. Taken, also on failure.
 * @param cursor_fds   one fd per reader slot, in slot order (read-only suffices). Taken, also on failure.
 * @param cursor_count how many: the header's reader slots.
 * @return TRINDLE_OK; TRINDLE_E_FORMAT if a file is not what the spec says (the error names the field and its value);
 *         TRINDLE_E_ACCESS if the ring's fd is read-only; TRINDLE_E_CORRUPT if the tail or oldest position is
 *         impossible; TRINDLE_E_INVALID; TRINDLE_E_SYSTEM; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_broadcast_writer_open(
    int ring_fd, const int *cursor_fds, uint32_t cursor_count, trindle_broadcast_writer_t **writer);

/**
 * Sends `length` bytes (at most the largest payload: capacity / 8 − 16) as the broadcast's next message
 * (docs/broadcast-format.md §4): pads the ring's end if the record would not fit before it, moves the oldest
 * position past what it overwrites before overwriting it, publishes the tail, and wakes readers that sleep. Under
 * slowest-reader it first waits, up to `timeout_ns`, until every joined reader has read what it would overwrite:
 * spins, yields, then sleeps on the slowest reader's cursor.
 *
 * @param sequence where the message's sequence number is stored (0 for the broadcast's first); may be NULL.
 * @return TRINDLE_OK; TRINDLE_E_TIMEOUT if the slowest reader held the writer for the whole timeout (nothing was
 *         sent; the error names the reader's slot, pid and position); TRINDLE_E_ENDED after trindle_broadcast_end;
 *         TRINDLE_E_INVALID for NULL or too long a message; TRINDLE_E_CORRUPT if the ring was written over by
 *         another.
 */
TRINDLE_API int trindle_broadcast_send(
    trindle_broadcast_writer_t *writer, const void *data, uint32_t length, int64_t timeout_ns, uint64_t *sequence);

/**
 * Ends the stream: readers read what was sent, then find the end (TRINDLE_END_OF_STREAM). Wakes readers that sleep.
 * Nothing more can be sent. Ending twice is no error.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_broadcast_end(trindle_broadcast_writer_t *writer);

/** @return the largest message the writer may send (0 for NULL). */
TRINDLE_API uint32_t trindle_broadcast_writer_max_payload_length(const trindle_broadcast_writer_t *writer);

/**
 * Ends the stream (trindle_broadcast_end), then unmaps the ring and the cursors and closes their fds. A writer the
 * connection holds (trindle_broadcast_writer) is only ended here: the connection unmaps it at trindle_close. NULL is
 * ignored.
 */
TRINDLE_API void trindle_broadcast_writer_close(trindle_broadcast_writer_t *writer);

/**
 * Opens a reader over a ring file and its own cursor file without a supervisor (for tests and tools), checking the
 * ring's header as trindle_broadcast_writer_open does. The ring is mapped PROT_READ only, whatever its fd allows.
 *
 * @param ring_fd   the ring's memfd (read-only suffices). Taken, also on failure.
 * @param cursor_fd this reader's cursor file, opened read-write. Taken, also on failure.
 * @return TRINDLE_OK; TRINDLE_E_FORMAT; TRINDLE_E_ACCESS if the cursor's fd is read-only; TRINDLE_E_INVALID;
 *         TRINDLE_E_SYSTEM; TRINDLE_E_NO_MEMORY.
 */
TRINDLE_API int trindle_broadcast_reader_open(int ring_fd, int cursor_fd, trindle_broadcast_reader_t **reader);

/**
 * Joins (docs/broadcast-format.md §5.1): from now (`from` = TRINDLE_BROADCAST_FROM_NOW, the next message sent) or
 * from the oldest message still in the ring (TRINDLE_BROADCAST_FROM_OLDEST), and stores the position in the cursor,
 * from when on a slowest-reader writer waits for this reader. Under slowest-reader the position moves forward past
 * anything the writer may already overwrite. Messages passed over do not count as lost. A reader that joined before
 * joins again from the new position.
 *
 * @return TRINDLE_OK; TRINDLE_E_CORRUPT if the ring's tail or oldest position is not a record's; TRINDLE_E_INVALID.
 */
TRINDLE_API int trindle_broadcast_join(trindle_broadcast_reader_t *reader, int from);

/**
 * Copies the next message into `buffer`, waiting up to `timeout_ns` for one (polls, spins, yields, then sleeps on
 * the ring's signal word). A reader that was lapped (only under lap) goes on from the oldest message still in the
 * ring; the messages it missed are added to trindle_broadcast_lost. The cursor is stored every 64 messages, when the
 * reader catches up with the tail, and whenever the writer waits for it.
 *
 * @param buffer   where the payload goes: `capacity` bytes (the largest payload always suffices).
 * @param length   set to the payload's length (also when it does not fit: TRINDLE_E_INVALID).
 * @param sequence set to the message's sequence number; may be NULL.
 * @return TRINDLE_OK; TRINDLE_E_TIMEOUT if no message came in time; TRINDLE_END_OF_STREAM once everything before
 *         the writer's end was read; TRINDLE_E_ENDED once everything was read and the writer's process is gone
 *         without ending the stream (a restarted writer carries on: read again later); TRINDLE_E_CORRUPT if a record
 *         breaks the format (the error names the field, its value and the position; the reader reads no more);
 *         TRINDLE_E_INVALID for NULL, a reader that has not joined, or a message longer than `capacity` (it stays
 *         the next one).
 */
TRINDLE_API int trindle_broadcast_read(trindle_broadcast_reader_t *reader, void *buffer, uint32_t capacity,
    uint32_t *length, uint64_t *sequence, int64_t timeout_ns);

/** @return how many messages this reader lost, lapped by the writer, since it opened (0 for NULL). */
TRINDLE_API uint64_t trindle_broadcast_lost(const trindle_broadcast_reader_t *reader);

/** @return how many messages this reader was given since it opened (0 for NULL). */
TRINDLE_API uint64_t trindle_broadcast_delivered(const trindle_broadcast_reader_t *reader);

/** @return the largest message of the broadcast: a buffer of this many bytes holds any (0 for NULL). */
TRINDLE_API uint32_t trindle_broadcast_reader_max_payload_length(const trindle_broadcast_reader_t *reader);

/**
 * Leaves (docs/broadcast-format.md §5.4): stores the cursor's position as absent, so the writer waits for this reader
 * no more, and wakes the writer if it waits. Join again to read on. Leaving a reader that has not joined is no error.
 *
 * @return TRINDLE_OK; TRINDLE_E_INVALID for NULL.
 */
TRINDLE_API int trindle_broadcast_leave(trindle_broadcast_reader_t *reader);

/** @return the ring's fd, still the reader's (for inspection: it is read-only); -1 for NULL. */
TRINDLE_API int trindle_broadcast_ring_fd(const trindle_broadcast_reader_t *reader);

/**
 * Leaves (if joined), then unmaps the ring and the cursor and closes their fds. A reader the connection holds
 * (trindle_broadcast_reader) only leaves here: the connection unmaps it at trindle_close. NULL is ignored.
 */
TRINDLE_API void trindle_broadcast_reader_close(trindle_broadcast_reader_t *reader);

/* ============================================================================================================
 * The public structs' layout on LP64 (x86_64, aarch64), checked at compile time: the language bindings mirror
 * these sizes and offsets (python/trindle/_native.py), so a change here is a change of the ABI (a new soname)
 * and of every binding, never a silent one.
 * ============================================================================================================ */
#if defined(__LP64__)
#ifdef __cplusplus
#define TRINDLE_STATIC_ASSERT static_assert
#else
#define TRINDLE_STATIC_ASSERT _Static_assert
#endif
#define TRINDLE_ASSERT_FIELD(type, field, offset)                                                                      \
    TRINDLE_STATIC_ASSERT(offsetof(type, field) == (offset), #type "." #field " is at offset " #offset)
#define TRINDLE_ASSERT_SIZE(type, size) TRINDLE_STATIC_ASSERT(sizeof(type) == (size), #type " is " #size " bytes")

TRINDLE_ASSERT_SIZE(trindle_claim_t, 24);
TRINDLE_ASSERT_FIELD(trindle_claim_t, payload, 0);
TRINDLE_ASSERT_FIELD(trindle_claim_t, length, 8);
TRINDLE_ASSERT_FIELD(trindle_claim_t, position, 16);

TRINDLE_ASSERT_SIZE(trindle_message_t, 80);
TRINDLE_ASSERT_FIELD(trindle_message_t, payload, 0);
TRINDLE_ASSERT_FIELD(trindle_message_t, length, 8);
TRINDLE_ASSERT_FIELD(trindle_message_t, lane_id, 12);
TRINDLE_ASSERT_FIELD(trindle_message_t, pipe_id, 16);
TRINDLE_ASSERT_FIELD(trindle_message_t, sequence, 24);
TRINDLE_ASSERT_FIELD(trindle_message_t, lane_index, 32);
TRINDLE_ASSERT_FIELD(trindle_message_t, reserved, 36);
TRINDLE_ASSERT_FIELD(trindle_message_t, release_position, 40);
TRINDLE_ASSERT_FIELD(trindle_message_t, release_count, 48);
TRINDLE_ASSERT_FIELD(trindle_message_t, attachment_count, 56);
TRINDLE_ASSERT_FIELD(trindle_message_t, reserved2, 60);
TRINDLE_ASSERT_FIELD(trindle_message_t, attachment_token, 64);
TRINDLE_ASSERT_FIELD(trindle_message_t, attachments, 72);

TRINDLE_ASSERT_SIZE(trindle_attachment_t, 16);
TRINDLE_ASSERT_FIELD(trindle_attachment_t, kind, 0);
TRINDLE_ASSERT_FIELD(trindle_attachment_t, rights, 4);
TRINDLE_ASSERT_FIELD(trindle_attachment_t, size, 8);

TRINDLE_ASSERT_SIZE(trindle_notice_t, 296);
TRINDLE_ASSERT_FIELD(trindle_notice_t, kind, 0);
TRINDLE_ASSERT_FIELD(trindle_notice_t, percent, 4);
TRINDLE_ASSERT_FIELD(trindle_notice_t, object_id, 8);
TRINDLE_ASSERT_FIELD(trindle_notice_t, used, 16);
TRINDLE_ASSERT_FIELD(trindle_notice_t, quota, 24);
TRINDLE_ASSERT_FIELD(trindle_notice_t, handle_count, 32);
TRINDLE_ASSERT_FIELD(trindle_notice_t, reserved, 36);
TRINDLE_ASSERT_FIELD(trindle_notice_t, details, 40);

TRINDLE_ASSERT_SIZE(trindle_handle_t, 40);
TRINDLE_ASSERT_FIELD(trindle_handle_t, object_id, 0);
TRINDLE_ASSERT_FIELD(trindle_handle_t, kind, 8);
TRINDLE_ASSERT_FIELD(trindle_handle_t, rights, 12);
TRINDLE_ASSERT_FIELD(trindle_handle_t, offset, 16);
TRINDLE_ASSERT_FIELD(trindle_handle_t, size, 24);
TRINDLE_ASSERT_FIELD(trindle_handle_t, fd, 32);

TRINDLE_ASSERT_SIZE(trindle_attach_t, 16);
TRINDLE_ASSERT_FIELD(trindle_attach_t, handle, 0);
TRINDLE_ASSERT_FIELD(trindle_attach_t, rights, 8);
TRINDLE_ASSERT_FIELD(trindle_attach_t, mode, 12);

TRINDLE_ASSERT_SIZE(trindle_bounce_t, 48);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, pipe, 0);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, sequence, 8);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, reason, 16);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, head, 24);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, head_length, 32);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, handle_count, 36);
TRINDLE_ASSERT_FIELD(trindle_bounce_t, handles, 40);

TRINDLE_ASSERT_SIZE(trindle_reply_t, 24);
TRINDLE_ASSERT_FIELD(trindle_reply_t, id, 0);
TRINDLE_ASSERT_FIELD(trindle_reply_t, payload, 8);
TRINDLE_ASSERT_FIELD(trindle_reply_t, length, 16);
TRINDLE_ASSERT_FIELD(trindle_reply_t, reserved, 20);

TRINDLE_ASSERT_SIZE(trindle_lane_info_t, 40);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, pipe_id, 0);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, lane_id, 8);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, state, 12);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, position, 16);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, released, 24);
TRINDLE_ASSERT_FIELD(trindle_lane_info_t, fault, 32);

#undef TRINDLE_ASSERT_SIZE
#undef TRINDLE_ASSERT_FIELD
#undef TRINDLE_STATIC_ASSERT
#endif

#ifdef __cplusplus
}
#endif

#endif
