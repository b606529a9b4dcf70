/*
 * trindle-layout.h — the binary layouts Trindle's C client reads and writes, as named constants.
 *
 * These mirror the specifications, byte for byte:
 *   - docs/pipe-format.md        (Java: io.trindle.ipc.LaneDescriptor)      the lane file and its records;
 *   - docs/control-protocol.md   (Java: io.trindle.ipc.ControlFrame,
 *                                       io.trindle.ipc.HandleEntries)      control frames and handle entries;
 *   - docs/table-format.md       (Java: io.trindle.ipc.TableDescriptor)     the table file;
 *   - docs/broadcast-format.md   (Java: io.trindle.ipc.BroadcastDescriptor) a broadcast's ring and cursor files.
 * Every integer is little-endian at the offset given, never a dumped struct. A test (HeaderConstantsTest)
 * keeps each value here equal to its Java twin, so a change on one side that misses the other fails the build.
 */
#ifndef TRINDLE_LAYOUT_H
#define TRINDLE_LAYOUT_H

/* ------------------------------------------------------------------------------------------------------------
 * Lane file (docs/pipe-format.md §3)
 *
 *    0                  4096                                   4096 + capacity
 *    +------------------+---------------------------------------+
 *    |  header (1 page) |  ring: records, 16-byte aligned        |
 *    +------------------+---------------------------------------+
 *
 * Header. Fields written by different parties sit 128 bytes (two cache lines) apart, so that adjacent-line
 * prefetch does not couple a sender's writes with the receiver's.
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                     Magic 'TLAN' (0x4e414c54)                 |   0
 *   +-------------------------------+-------------------------------+
 *   |      Version (u16) = 1        |          Reserved             |   4
 *   +-------------------------------+-------------------------------+
 *   |                   Capacity of the ring (u32)                  |   8
 *   +---------------------------------------------------------------+
 *   |                 Largest payload length (u32)                  |  12
 *   +---------------------------------------------------------------+
 *   |                      Pipe object id (u64)                     |  16
 *   +---------------------------------------------------------------+
 *   |                          Lane id (u32)                        |  24
 *   +---------------------------------------------------------------+
 *   |          Ready (u32) = 1, written last by the creator         |  28
 *   +---------------------------------------------------------------+
 *   |          Tail: claim position (u64), senders' CAS             | 128
 *   +---------------------------------------------------------------+
 *   |        Head: release position (u64), receiver's release      | 256
 *   +---------------------------------------------------------------+
 *   |          Released messages count (u64), status only           | 264
 *   +---------------------------------------------------------------+
 *   |             Receiver sleeping: futex word (u32)               | 384
 *   +---------------------------------------------------------------+
 *   |              Sender sleeping: futex word (u32)                | 512
 *   +---------------------------------------------------------------+
 *   |                        Ended (u32)                            | 640
 *   +---------------------------------------------------------------+
 * ------------------------------------------------------------------------------------------------------------ */

/** "TLAN" read as a little-endian u32: the first word of every lane file. */
#define TRINDLE_LANE_MAGIC 0x4e414c54u
/** The lane layout version this library reads and writes; any other is refused, naming both. Version 2 ends a
 *  lane by its ended word instead of version 1's end-of-stream record. */
#define TRINDLE_LANE_VERSION 2
/** Distance between fields written by different parties: two cache lines. */
#define TRINDLE_LANE_CACHE_LINE_PAIR 128

#define TRINDLE_LANE_MAGIC_OFFSET 0
#define TRINDLE_LANE_VERSION_OFFSET 4
#define TRINDLE_LANE_CAPACITY_OFFSET 8
#define TRINDLE_LANE_MAX_PAYLOAD_LENGTH_OFFSET 12
#define TRINDLE_LANE_PIPE_ID_OFFSET 16
#define TRINDLE_LANE_LANE_ID_OFFSET 24
/** Release-stored last by the creator, acquire-loaded first by every opener: a lane is usable once it is 1. */
#define TRINDLE_LANE_READY_OFFSET 28
/** How many times the lane's id moved to a new lane before this one: 0 for a pipe's first lanes (§9). */
#define TRINDLE_LANE_GENERATION_OFFSET 32
/** The claim position: senders advance it by CAS; the receiver acquire-loads it and trusts it only after checks. */
#define TRINDLE_LANE_TAIL_OFFSET TRINDLE_LANE_CACHE_LINE_PAIR
/** The release position: the receiver release-stores it; senders acquire-load it when the ring looks full. */
#define TRINDLE_LANE_HEAD_OFFSET (TRINDLE_LANE_TAIL_OFFSET + TRINDLE_LANE_CACHE_LINE_PAIR)
/** Messages released in all, release-stored after the head; for status tools, never read by the protocol. */
#define TRINDLE_LANE_RELEASED_COUNT_OFFSET (TRINDLE_LANE_HEAD_OFFSET + 8)
/** 1 while the receiver sleeps or is about to; a sender that sees 1 CASes it to 0 and wakes one sleeper. */
#define TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET (TRINDLE_LANE_HEAD_OFFSET + TRINDLE_LANE_CACHE_LINE_PAIR)
/** 1 while a sender waits for room or is about to; the receiver that sees 1 CASes it to 0 and wakes them all. */
#define TRINDLE_LANE_SENDER_SLEEPING_OFFSET (TRINDLE_LANE_RECEIVER_SLEEPING_OFFSET + TRINDLE_LANE_CACHE_LINE_PAIR)
/** 1 once nothing more will be committed: stored by the sender when it ends, or by the supervisor when the sending
 *  process exited for good (§7). Outside the ring, so a full lane ends too; never cleared. The receiver
 *  acquire-loads it only when it finds nothing to read. */
#define TRINDLE_LANE_ENDED_OFFSET (TRINDLE_LANE_SENDER_SLEEPING_OFFSET + TRINDLE_LANE_CACHE_LINE_PAIR)
/** Written by the supervisor while a tap reads the lane (§5.1): 0 when no tap holds it, else the tap's release
 *  position plus one. Senders fill up to a capacity beyond the smaller of the head and the tap's position. */
#define TRINDLE_LANE_TAP_HEAD_OFFSET (TRINDLE_LANE_ENDED_OFFSET + TRINDLE_LANE_CACHE_LINE_PAIR)
/** The header fills one page, so the ring starts page-aligned. */
#define TRINDLE_LANE_HEADER_LENGTH 4096

/* ------------------------------------------------------------------------------------------------------------
 * Record (docs/pipe-format.md §3.3). A record is committed exactly when its stamp equals its position + 1: the
 * sender release-stores the stamp last and the receiver acquire-loads it first, so never-written memory (zero)
 * and a record left from an earlier lap of the ring are never taken for committed ones.
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                 Stamp = position + 1 (u64)                    |   0
 *   +---------------------------------------------------------------+
 *   |                     Payload length (u32)                      |   8
 *   +---------------------------------------------------------------+
 *   |                          Type (u32)                           |  12
 *   +---------------------------------------------------------------+
 *   |                      Payload ...                             ...  16
 *   +---------------------------------------------------------------+
 *
 * A record occupies align16(16 + length) bytes and never crosses the end of the ring.
 * ------------------------------------------------------------------------------------------------------------ */

#define TRINDLE_RECORD_STAMP_OFFSET 0
#define TRINDLE_RECORD_LENGTH_OFFSET 8
#define TRINDLE_RECORD_TYPE_OFFSET 12
#define TRINDLE_RECORD_HEADER_LENGTH 16
/** Every record starts at a position that is a multiple of this. */
#define TRINDLE_RECORD_ALIGNMENT 16

/** The payload is the sender's message; its length is at most the lane's largest payload. */
#define TRINDLE_RECORD_TYPE_MESSAGE 1
/** Skipped by the receiver: fills the end of the ring before a wrap, or marks an aborted claim. */
#define TRINDLE_RECORD_TYPE_PADDING 2
/* Type 3 was version 1's end-of-stream record: retired, never reused; a record of type 3 is corrupt. */
/** A message with handles: the payload opens with an attachment block, then the sender's bytes. */
#define TRINDLE_RECORD_TYPE_MESSAGE_WITH_HANDLES 4
/** The lane's last record: the sender goes on in a new lane of the same pipe and lane id (pipe-format.md §9). */
#define TRINDLE_RECORD_TYPE_MOVED 5
/** A moved record's payload: 0 the new lane's generation (u32), 4 its capacity (u32), 8 its start position (u64). */
#define TRINDLE_MOVED_LENGTH 16
#define TRINDLE_MOVED_GENERATION_OFFSET 0
#define TRINDLE_MOVED_CAPACITY_OFFSET 4
#define TRINDLE_MOVED_START_OFFSET 8

/*
 * Attachment block (docs/pipe-format.md §3.4), at the start of a message-with-handles payload: 16 + 16 × count
 * bytes. The handles never pass through the lane; the token redeems them from the supervisor.
 *
 *   0: token (u64)   8: count (u32), 1 … 64   12: reserved
 *   16 + 16·i: handle i — 0: object kind (u32)   4: rights (u32)   8: size in bytes (u64)
 */
#define TRINDLE_ATTACHMENT_TOKEN_OFFSET 0
#define TRINDLE_ATTACHMENT_COUNT_OFFSET 8
#define TRINDLE_ATTACHMENT_ENTRIES_OFFSET 16
#define TRINDLE_ATTACHMENT_ENTRY_LENGTH 16
#define TRINDLE_ATTACHMENT_KIND_OFFSET 0
#define TRINDLE_ATTACHMENT_RIGHTS_OFFSET 4
#define TRINDLE_ATTACHMENT_SIZE_OFFSET 8
/** The most handles one message carries. */
#define TRINDLE_MAX_ATTACHMENTS 64

/** The smallest ring: one page. */
#define TRINDLE_LANE_MIN_CAPACITY 4096u
/** The largest ring: 1 GiB. */
#define TRINDLE_LANE_MAX_CAPACITY (1u << 30)
/** A payload is at most capacity / 8 − 16 bytes, so a record always fits after any padding. */
#define TRINDLE_LANE_MAX_PAYLOAD_DIVISOR 8u

/**
 * The longest one futex sleep lasts, in nanoseconds, before the sleeper looks again: a peer killed between its
 * store and its wake-up call delays the other side by at most this much, never forever (pipe-format.md §6).
 */
#define TRINDLE_MAX_SLEEP_NANOS 100000000LL
/** The most futex words one futex_waitv call takes; a receiver with more open lanes also polls every 1 ms. */
#define TRINDLE_FUTEX_WAITV_MAX 128

/* ------------------------------------------------------------------------------------------------------------
 * Control frame (docs/control-protocol.md §2). One sendmsg is one frame on a SOCK_SEQPACKET socket.
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                  Magic 'TCTL' (0x4c544354)                    |  0
 *   +-------------------------------+-------------------------------+
 *   |          Version (1)          |             Kind              |  4
 *   +-------------------------------+-------------------------------+
 *   |                      Body length (u32)                        |  8
 *   +-------------------------------+-------------------------------+
 *   |        Handle count           |          Reserved (0)         | 12
 *   +-------------------------------+-------------------------------+
 *   |                     Body ...                                 ... 16
 *   +---------------------------------------------------------------+
 *   |               Handle entries, 32 bytes each                  ... 16 + body length
 *   +---------------------------------------------------------------+
 *
 * A frame's length is exactly 16 + body length + 32 × handle count; strings in bodies are a u16 byte count and
 * that many bytes of UTF-8.
 * ------------------------------------------------------------------------------------------------------------ */

/** The fd a worker inherits its end of the control channel on, unless TRINDLE_CONTROL_FD names another. */
#define TRINDLE_CONTROL_WORKER_FD 3
/** The environment variable that names the control channel's fd. */
#define TRINDLE_CONTROL_FD_ENVIRONMENT "TRINDLE_CONTROL_FD"

#define TRINDLE_CONTROL_MAGIC 0x4c544354u
#define TRINDLE_CONTROL_VERSION 1
#define TRINDLE_CONTROL_MAGIC_OFFSET 0
#define TRINDLE_CONTROL_VERSION_OFFSET 4
#define TRINDLE_CONTROL_KIND_OFFSET 6
#define TRINDLE_CONTROL_BODY_LENGTH_OFFSET 8
#define TRINDLE_CONTROL_HANDLE_COUNT_OFFSET 12
#define TRINDLE_CONTROL_HEADER_LENGTH 16
/** The largest frame, header to last entry. */
#define TRINDLE_CONTROL_MAX_FRAME_LENGTH 65536
/** The most handles (fds) one frame carries. */
#define TRINDLE_CONTROL_MAX_HANDLES 64

/** Frame kinds: fixed numbers, never renumbered (control-protocol.md §3). */
#define TRINDLE_CONTROL_KIND_HELLO 1
#define TRINDLE_CONTROL_KIND_GRANT 2
#define TRINDLE_CONTROL_KIND_GRANTS_DONE 3
#define TRINDLE_CONTROL_KIND_READY 4
#define TRINDLE_CONTROL_KIND_STOP 5
/* Handles in motion (control-protocol.md §4): libtrindle sends 6, 8, 10, 12, 13, 14 and the allocators' 15, 16,
 * 18 and 29, and reads their replies. */
#define TRINDLE_CONTROL_KIND_TRANSFER 6
#define TRINDLE_CONTROL_KIND_TRANSFER_REPLY 7
#define TRINDLE_CONTROL_KIND_REDEEM 8
#define TRINDLE_CONTROL_KIND_HANDLES 9
#define TRINDLE_CONTROL_KIND_REJECT 10
#define TRINDLE_CONTROL_KIND_BOUNCE 11
#define TRINDLE_CONTROL_KIND_CREATE_PIPE 12
#define TRINDLE_CONTROL_KIND_CREATE_BUNDLE 13
#define TRINDLE_CONTROL_KIND_UNPACK 14
#define TRINDLE_CONTROL_KIND_CREATE_SEGMENT 15
#define TRINDLE_CONTROL_KIND_CREATE_ALLOCATOR 16
#define TRINDLE_CONTROL_KIND_NOTICE 17
#define TRINDLE_CONTROL_KIND_RELEASE 18
/* Revocation (docs/control-protocol.md §4): the C client does not answer revoke, so a C worker holding a revoked
 * segment is killed and started again without it. */
#define TRINDLE_CONTROL_KIND_REVOKE 20
#define TRINDLE_CONTROL_KIND_REVOKED 21
#define TRINDLE_CONTROL_KIND_REHOME 22
#define TRINDLE_CONTROL_KIND_REHOMED 23
/* Resizing a pipe (control-protocol.md §4): the new lane for a sender, the new lane for a receiver, a request. */
#define TRINDLE_CONTROL_KIND_MOVE_LANE 25
#define TRINDLE_CONTROL_KIND_LANE_MOVING 26
#define TRINDLE_CONTROL_KIND_RESIZE 27
/* A lane added to a pipe a worker receives, whose sender is the supervisor (trindle replay; control-protocol.md §3). */
#define TRINDLE_CONTROL_KIND_LANE_ADDED 28
/* A table made from an allocator the worker holds (control-protocol.md §4, Allocators): answered by handles. */
#define TRINDLE_CONTROL_KIND_CREATE_TABLE 29

/** The status of a transfer reply or a handles frame (control-protocol.md §4): fixed, never renumbered. */
#define TRINDLE_STATUS_OK 0
#define TRINDLE_STATUS_NOT_HELD 1
#define TRINDLE_STATUS_NO_TRANSFER_RIGHT 2
#define TRINDLE_STATUS_NO_DUPLICATE_RIGHT 3
#define TRINDLE_STATUS_WIDENING 4
#define TRINDLE_STATUS_UNKNOWN_TOKEN 5
#define TRINDLE_STATUS_ALREADY_REDEEMED 6
#define TRINDLE_STATUS_NOT_YOURS 7
#define TRINDLE_STATUS_BAD_LANE 8
#define TRINDLE_STATUS_INVALID_REQUEST 9
#define TRINDLE_STATUS_OVER_QUOTA 10
#define TRINDLE_STATUS_NO_ALLOCATE_RIGHT 11

/** A grant's partition: how a sender spreads messages over the lanes of several receiving replicas. */
#define TRINDLE_PARTITION_ROUND_ROBIN 0
#define TRINDLE_PARTITION_KEY 1

/*
 * Handle entry: 32 bytes, one per fd, in the order of the fds.
 *   0: object id (u64)   8: kind (u32)   12: rights mask (u32)   16: offset in the memfd (u64)   24: size (u64)
 */
#define TRINDLE_HANDLE_ENTRY_OBJECT_ID_OFFSET 0
#define TRINDLE_HANDLE_ENTRY_KIND_OFFSET 8
#define TRINDLE_HANDLE_ENTRY_RIGHTS_OFFSET 12
#define TRINDLE_HANDLE_ENTRY_OFFSET_OFFSET 16
#define TRINDLE_HANDLE_ENTRY_SIZE_OFFSET 24
#define TRINDLE_HANDLE_ENTRY_LENGTH 32

/** Object kinds: fixed numbers, never renumbered. */
#define TRINDLE_OBJECT_SEGMENT 1
#define TRINDLE_OBJECT_PIPE 2
#define TRINDLE_OBJECT_BUNDLE 3
#define TRINDLE_OBJECT_ALLOCATOR 4
#define TRINDLE_OBJECT_TABLE 5
/* One writer's ring that many readers read (docs/broadcast-format.md): its grants carry cursor files as segments. */
#define TRINDLE_OBJECT_BROADCAST 6

/** Rights: fixed bits, never renumbered. A handle's rights can only be reduced. */
#define TRINDLE_RIGHT_READ 0x01u
#define TRINDLE_RIGHT_WRITE 0x02u
#define TRINDLE_RIGHT_EXECUTE 0x04u
#define TRINDLE_RIGHT_SEND 0x08u
#define TRINDLE_RIGHT_RECEIVE 0x10u
#define TRINDLE_RIGHT_DUPLICATE 0x20u
#define TRINDLE_RIGHT_TRANSFER 0x40u
#define TRINDLE_RIGHT_ALLOCATE 0x80u
/** Every bit that names a right; anything else in a mask is invalid. */
#define TRINDLE_RIGHTS_VALID 0xffu
/** Every right a segment handle may carry. */
#define TRINDLE_RIGHTS_SEGMENT_ALL                                                                                     \
    (TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE | TRINDLE_RIGHT_EXECUTE | TRINDLE_RIGHT_DUPLICATE |                      \
        TRINDLE_RIGHT_TRANSFER)
/** Every right a pipe handle may carry. */
#define TRINDLE_RIGHTS_PIPE_ALL                                                                                        \
    (TRINDLE_RIGHT_SEND | TRINDLE_RIGHT_RECEIVE | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER)
/** Every right a bundle handle may carry. */
#define TRINDLE_RIGHTS_BUNDLE_ALL (TRINDLE_RIGHT_READ | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER)
/** Every right an allocator handle may carry. */
#define TRINDLE_RIGHTS_ALLOCATOR_ALL (TRINDLE_RIGHT_ALLOCATE | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER)
/** Every right a table handle may carry. */
#define TRINDLE_RIGHTS_TABLE_ALL                                                                                       \
    (TRINDLE_RIGHT_READ | TRINDLE_RIGHT_WRITE | TRINDLE_RIGHT_DUPLICATE | TRINDLE_RIGHT_TRANSFER)
/** Every right a broadcast handle may carry: SEND for its writer, READ for a reader; only the supervisor duplicates
 *  one (a worker's grant is never duplicated or moved on). */
#define TRINDLE_RIGHTS_BROADCAST_ALL (TRINDLE_RIGHT_READ | TRINDLE_RIGHT_SEND | TRINDLE_RIGHT_DUPLICATE)

/** What a notice frame says (control-protocol.md §4, notice): fixed numbers, never renumbered. */
#define TRINDLE_NOTICE_PRESSURE_ABOVE 1
#define TRINDLE_NOTICE_PRESSURE_BELOW 2
#define TRINDLE_NOTICE_LANE_ENDED 3
#define TRINDLE_NOTICE_GRANTED 4
#define TRINDLE_NOTICE_GIVE_BACK 5

/* ------------------------------------------------------------------------------------------------------------
 * Table file (docs/table-format.md; Java: io.trindle.ipc.TableDescriptor): a key-value store in one memfd,
 * read through snapshots and written through optimistic transactions.
 *
 *    0            4096                       entries offset                      file length
 *    +------------+--------------------------+-----------------------------------+
 *    | header     | writer slots             | entries                           |
 *    +------------+--------------------------+-----------------------------------+
 *
 * Header (§3.1): the creator's fields, then the clock and the count of keys in use, each on a line of its own.
 *
 *    0: magic 'TRTB' (u32)   4: version (u32)   8: file length (u64)   16: entry count E, a power of two (u32)
 *   20: entry length L = 32 + K + V to 64 (u32)   24: key max K (u32)   28: value max V (u32)
 *   32: writer count W (u32)   36: redo length R (u32)   40: entries offset (u64)   48: key limit (u64)
 *   56: table id (u64)   128: clock (u64)   256: keys in use (u64)
 *
 * Writer slot w (§3.2), at 4096 + w × (64 + R): 0 state (u32)   4 record count (u32)   8 commit version (u64)
 *   16 record bytes (u64)   64 the records (R bytes). A record: 0 entry index (u32)   4 key length (u32)
 *   8 value length or DELETED (u32)   16 the key, the value, zeros to a multiple of 8.
 *
 * Entry i (§3.3), at entries offset + i × L: 0 lock word (u64)   8 key length (u32)
 *   12 value length or DELETED (u32)   16 key hash (u64)   32 the key (K bytes), then the value (V bytes).
 *
 * A lock word: bit 63 locked, bits 55-62 the locking writer, bits 0-54 the version (0: an empty entry).
 * ------------------------------------------------------------------------------------------------------------ */

/** 'TRTB' read as a little-endian u32. */
#define TRINDLE_TABLE_MAGIC 0x42545254u
#define TRINDLE_TABLE_VERSION 1
#define TRINDLE_TABLE_HEADER_LENGTH 4096
#define TRINDLE_TABLE_MAGIC_OFFSET 0
#define TRINDLE_TABLE_VERSION_OFFSET 4
#define TRINDLE_TABLE_FILE_LENGTH_OFFSET 8
#define TRINDLE_TABLE_ENTRY_COUNT_OFFSET 16
#define TRINDLE_TABLE_ENTRY_LENGTH_OFFSET 20
#define TRINDLE_TABLE_KEY_MAX_OFFSET 24
#define TRINDLE_TABLE_VALUE_MAX_OFFSET 28
#define TRINDLE_TABLE_WRITER_COUNT_OFFSET 32
#define TRINDLE_TABLE_REDO_LENGTH_OFFSET 36
#define TRINDLE_TABLE_ENTRIES_OFFSET_OFFSET 40
#define TRINDLE_TABLE_KEY_LIMIT_OFFSET 48
#define TRINDLE_TABLE_TABLE_ID_OFFSET 56
/** Every writer's fetch-add, every reader's acquire load: the version of the last commit that took one (from 1). */
#define TRINDLE_TABLE_CLOCK_OFFSET 128
/** Every inserting writer's fetch-add: the entries claimed for a key. */
#define TRINDLE_TABLE_KEYS_IN_USE_OFFSET 256

#define TRINDLE_TABLE_SLOT_HEADER_LENGTH 64
#define TRINDLE_TABLE_SLOT_STATE_OFFSET 0
#define TRINDLE_TABLE_SLOT_RECORD_COUNT_OFFSET 4
#define TRINDLE_TABLE_SLOT_COMMIT_VERSION_OFFSET 8
#define TRINDLE_TABLE_SLOT_RECORD_BYTES_OFFSET 16
/** Slot states: nobody holds it; a live writer holds it; its records are a commit being applied. */
#define TRINDLE_TABLE_SLOT_FREE 0
#define TRINDLE_TABLE_SLOT_OPEN 1
#define TRINDLE_TABLE_SLOT_COMMITTED 2

#define TRINDLE_TABLE_RECORD_HEADER_LENGTH 16
#define TRINDLE_TABLE_RECORD_ENTRY_OFFSET 0
#define TRINDLE_TABLE_RECORD_KEY_LENGTH_OFFSET 4
#define TRINDLE_TABLE_RECORD_VALUE_LENGTH_OFFSET 8
#define TRINDLE_TABLE_RECORD_ALIGNMENT 8

#define TRINDLE_TABLE_ENTRY_HEADER_LENGTH 32
#define TRINDLE_TABLE_ENTRY_LOCK_OFFSET 0
#define TRINDLE_TABLE_ENTRY_KEY_LENGTH_OFFSET 8
#define TRINDLE_TABLE_ENTRY_VALUE_LENGTH_OFFSET 12
#define TRINDLE_TABLE_ENTRY_HASH_OFFSET 16
#define TRINDLE_TABLE_ENTRY_KEY_OFFSET 32
#define TRINDLE_TABLE_ENTRY_ALIGNMENT 64

/** A value length meaning "no value": the key was deleted. */
#define TRINDLE_TABLE_DELETED 0xffffffffu

#define TRINDLE_TABLE_LOCKED (1ull << 63)
#define TRINDLE_TABLE_WRITER_SHIFT 55
#define TRINDLE_TABLE_WRITER_MASK (0xffull << 55)
#define TRINDLE_TABLE_VERSION_MASK 0x7fffffffffffffull

#define TRINDLE_TABLE_KEY_MAX_LIMIT 4096
#define TRINDLE_TABLE_VALUE_MAX_LIMIT (1 << 20)
#define TRINDLE_TABLE_WRITER_COUNT_LIMIT 255
/** The fewest entries a table has: with fewer, the key limit E − E/8 would leave no entry empty (§3.1). */
#define TRINDLE_TABLE_MIN_ENTRY_COUNT 8
#define TRINDLE_TABLE_DEFAULT_KEY_MAX 64
#define TRINDLE_TABLE_DEFAULT_VALUE_MAX 256
#define TRINDLE_TABLE_DEFAULT_WRITER_COUNT 16
/** A default redo area holds this many records of the largest key and value, and at least this many bytes. */
#define TRINDLE_TABLE_DEFAULT_REDO_RECORDS 16
#define TRINDLE_TABLE_MIN_DEFAULT_REDO_LENGTH 4096
/** The size trindle_table_create takes when asked for 0 bytes: 1 MiB (libtrindle's own choice; the file is cut to the
 *  entries that fit). */
#define TRINDLE_TABLE_DEFAULT_SIZE (1 << 20)

/** 64-bit FNV-1a (§2): the hash of a key, whose low bits name its home entry. */
#define TRINDLE_TABLE_FNV_OFFSET_BASIS 0xcbf29ce484222325ull
#define TRINDLE_TABLE_FNV_PRIME 0x100000001b3ull

/** How long one wait for an entry a writer holds locked lasts before it is reported (§4), in nanoseconds. */
#define TRINDLE_TABLE_LOCK_WAIT_NANOS 2000000000LL

/* ------------------------------------------------------------------------------------------------------------
 * Broadcast (docs/broadcast-format.md; Java: io.trindle.ipc.BroadcastDescriptor): one writer's ring that any number
 * of readers read at their own pace, each with a cursor file of its own.
 *
 * Ring file: a 4096-byte header, then the ring (capacity bytes). Header (§3.1), words of different writers or rates
 * 128 bytes apart:
 *
 *      0 magic 'TBRD' (u32)   4 version (u16)   6 policy (u16)   8 capacity (u32)   12 largest payload (u32)
 *     16 object id (u64)   24 reader slots (u32)   28 ready (u32), stored last
 *    128 tail (u64)   136 next sequence (u64)   256 oldest (u64)   384 scan epoch (u64)   392 gate (u64)
 *    512 writer waiting (u32)   640 signal (u32), the readers' futex word   768 state (u32)   772 writer pid (u32)
 *
 * Record (§3.2), at a multiple of 16, never wrapping: 0 length (u32)   4 type (u32)   8 sequence (u64)   16 payload.
 *
 * Cursor file (§6), 4096 bytes: 0 position (u64; all ones: absent)   8 pid (u32)   16 delivered (u64)
 *   24 lost (u64)   128 sleeping (u32).
 * ------------------------------------------------------------------------------------------------------------ */

/** 'TBRD' read as a little-endian u32. */
#define TRINDLE_BROADCAST_MAGIC 0x44524254u
#define TRINDLE_BROADCAST_VERSION 1

/** Policies: the writer waits for the slowest joined reader; or never waits, and a lapped reader counts its loss. */
#define TRINDLE_BROADCAST_POLICY_SLOWEST_READER 1
#define TRINDLE_BROADCAST_POLICY_LAP 2

/** States: open; ended by the writer (end of stream); the writer's process exited for good without ending it. */
#define TRINDLE_BROADCAST_STATE_OPEN 0
#define TRINDLE_BROADCAST_STATE_ENDED 1
#define TRINDLE_BROADCAST_STATE_WRITER_GONE 2

#define TRINDLE_BROADCAST_TYPE_MESSAGE 1
#define TRINDLE_BROADCAST_TYPE_PADDING 2

#define TRINDLE_BROADCAST_MAGIC_OFFSET 0
#define TRINDLE_BROADCAST_VERSION_OFFSET 4
#define TRINDLE_BROADCAST_POLICY_OFFSET 6
#define TRINDLE_BROADCAST_CAPACITY_OFFSET 8
#define TRINDLE_BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET 12
#define TRINDLE_BROADCAST_OBJECT_ID_OFFSET 16
#define TRINDLE_BROADCAST_SLOT_COUNT_OFFSET 24
#define TRINDLE_BROADCAST_READY_OFFSET 28
#define TRINDLE_BROADCAST_TAIL_OFFSET 128
#define TRINDLE_BROADCAST_NEXT_SEQUENCE_OFFSET 136
#define TRINDLE_BROADCAST_OLDEST_OFFSET 256
#define TRINDLE_BROADCAST_SCAN_EPOCH_OFFSET 384
#define TRINDLE_BROADCAST_GATE_OFFSET 392
#define TRINDLE_BROADCAST_WRITER_WAITING_OFFSET 512
#define TRINDLE_BROADCAST_SIGNAL_OFFSET 640
#define TRINDLE_BROADCAST_STATE_OFFSET 768
#define TRINDLE_BROADCAST_WRITER_PID_OFFSET 772
#define TRINDLE_BROADCAST_HEADER_LENGTH 4096

#define TRINDLE_BROADCAST_RECORD_LENGTH_OFFSET 0
#define TRINDLE_BROADCAST_RECORD_TYPE_OFFSET 4
#define TRINDLE_BROADCAST_RECORD_SEQUENCE_OFFSET 8
#define TRINDLE_BROADCAST_RECORD_HEADER_LENGTH 16
#define TRINDLE_BROADCAST_RECORD_ALIGNMENT 16

#define TRINDLE_BROADCAST_CURSOR_POSITION_OFFSET 0
#define TRINDLE_BROADCAST_CURSOR_PID_OFFSET 8
#define TRINDLE_BROADCAST_CURSOR_DELIVERED_OFFSET 16
#define TRINDLE_BROADCAST_CURSOR_LOST_OFFSET 24
#define TRINDLE_BROADCAST_CURSOR_SLEEPING_OFFSET 128
#define TRINDLE_BROADCAST_CURSOR_SLEEP_SIGNAL_OFFSET 132
#define TRINDLE_BROADCAST_OLDEST_STEP_DIVISOR 8
#define TRINDLE_BROADCAST_CURSOR_LENGTH 4096
/** A cursor's position while its reader has not joined or has left: it holds the writer back from nothing. */
#define TRINDLE_BROADCAST_CURSOR_ABSENT 0xffffffffffffffffull

#define TRINDLE_BROADCAST_MIN_CAPACITY 4096
#define TRINDLE_BROADCAST_MAX_CAPACITY (1 << 30)
/** The most reader processes one broadcast has: one cursor file each, all handed to the writer in one grant beside
 *  the ring (a control frame carries at most TRINDLE_CONTROL_MAX_HANDLES = 64 handles). */
#define TRINDLE_BROADCAST_MAX_SLOTS 63

#endif
