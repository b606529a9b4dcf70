package io.trindle.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The binary layout of a lane: one sender's ring of messages into a pipe, in a memfd of its own. This class
 * mirrors {@code docs/pipe-format.md}, which is the specification; every offset here is named there.
 *
 * <p>All fields are little-endian. Positions are byte counts since the lane was created: they only grow, and
 * a position's place in the ring is {@code position & (capacity - 1)}.
 *
 * <h2>Lane file</h2>
 * <pre>
 *   0                  4096                                   4096 + capacity
 *   +------------------+---------------------------------------+
 *   |  header (1 page) |  ring: records, 16-byte aligned        |
 *   +------------------+---------------------------------------+
 * </pre>
 *
 * <h2>Header</h2>
 * Fields written by different parties sit 128 bytes (two cache lines) apart, so neither side's writes evict
 * the line the other is reading.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                     Magic 'TLAN' (0x4e414c54)                 |   0
 *  +-------------------------------+-------------------------------+
 *  |      Version (u16) = 1        |          Reserved             |   4
 *  +-------------------------------+-------------------------------+
 *  |                   Capacity of the ring (u32)                  |   8
 *  +---------------------------------------------------------------+
 *  |                 Largest payload length (u32)                  |  12
 *  +---------------------------------------------------------------+
 *  |                      Pipe object id (u64)                     |  16
 *  +---------------------------------------------------------------+
 *  |                          Lane id (u32)                        |  24
 *  +---------------------------------------------------------------+
 *  |                       Ready (u32) = 1                         |  28
 *  +---------------------------------------------------------------+
 *  |                    Tail: claim position (u64)                 | 128
 *  +---------------------------------------------------------------+
 *  |                   Head: release position (u64)                | 256
 *  +---------------------------------------------------------------+
 *  |                  Released messages count (u64)                | 264
 *  +---------------------------------------------------------------+
 *  |             Receiver sleeping: futex word (u32)               | 384
 *  +---------------------------------------------------------------+
 *  |              Sender sleeping: futex word (u32)                | 512
 *  +---------------------------------------------------------------+
 *  |                        Ended (u32)                            | 640
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Record</h2>
 * A record is committed when its stamp equals its position plus one; the sender writes the stamp last, with
 * release semantics, and the receiver reads it first, with acquire. Never-written memory (zero) is therefore
 * never committed, and a record left from an earlier lap has another stamp.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                 Stamp = position + 1 (u64)                    |   0
 *  +---------------------------------------------------------------+
 *  |                     Payload length (u32)                      |   8
 *  +---------------------------------------------------------------+
 *  |                          Type (u32)                           |  12
 *  +---------------------------------------------------------------+
 *  |                      Payload ...                             ...  16
 *  +---------------------------------------------------------------+
 * </pre>
 * The record occupies {@code align(16 + length, 16)} bytes and never crosses the end of the ring: a sender that
 * would cross it first fills the rest of the ring with a padding record.
 */
public final class LaneDescriptor
{
    /** The magic number that opens every lane, "TLAN" in ASCII as read little-endian. */
    public static final int MAGIC = 0x4e41_4c54;
    /**
     * The layout version; a reader refuses any other. Version 2 ends a lane with the header's ended word
     * ({@link #ENDED_OFFSET}) instead of version 1's end-of-stream record, so that a full lane can end.
     */
    public static final short VERSION = 2;

    /** Fields are 128 bytes apart so that writers from different processes never share a cache line pair. */
    public static final int CACHE_LINE_PAIR = 128;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int CAPACITY_OFFSET = 8;
    public static final int MAX_PAYLOAD_LENGTH_OFFSET = 12;
    public static final int PIPE_ID_OFFSET = 16;
    public static final int LANE_ID_OFFSET = 24;
    /** Written last when a lane is created, with release: a lane whose ready word is not 1 is not yet usable. */
    public static final int READY_OFFSET = 28;
    /**
     * How many times the lane's id has moved to a new lane: 0 for a pipe's first lanes, the old lane's plus one for
     * a lane made to replace it when the pipe is resized (docs/pipe-format.md §9). Written by the creator.
     */
    public static final int GENERATION_OFFSET = 32;
    /** Written by senders (compare-and-set), read by the receiver (acquire). */
    public static final int TAIL_OFFSET = CACHE_LINE_PAIR;
    /** Written by the receiver (release) when it releases messages; read by senders (acquire). */
    public static final int HEAD_OFFSET = TAIL_OFFSET + CACHE_LINE_PAIR;
    /**
     * Written by the receiver (release) after the head: how many messages it has released in all. Only for
     * status tools (messages per second); nothing in the protocol depends on it.
     */
    public static final int RELEASED_COUNT_OFFSET = HEAD_OFFSET + Long.BYTES;
    /** Set to 1 by a receiver about to sleep; a sender that sees 1 sets it to 0 and wakes it. */
    public static final int RECEIVER_SLEEPING_OFFSET = HEAD_OFFSET + CACHE_LINE_PAIR;
    /** Set to 1 by a sender about to sleep for space; the receiver that sees 1 sets it to 0 and wakes all. */
    public static final int SENDER_SLEEPING_OFFSET = RECEIVER_SLEEPING_OFFSET + CACHE_LINE_PAIR;
    /**
     * 1 once the lane's sender will commit nothing more: stored (release) by the sender when it ends its stream,
     * or by the supervisor when the sending process exited for good. Outside the ring, so that a full lane ends
     * too; never cleared. The receiver reads it (acquire) only when it finds nothing to read.
     */
    public static final int ENDED_OFFSET = SENDER_SLEEPING_OFFSET + CACHE_LINE_PAIR;
    /**
     * Written by the supervisor while a tap reads the lane (docs/pipe-format.md §5.1): 0 when no tap holds it, else
     * the tap's release position plus one. Senders fill up to a capacity beyond the smaller of the head and the tap's
     * position, so a tap sees every record before it can be overwritten.
     */
    public static final int TAP_HEAD_OFFSET = ENDED_OFFSET + CACHE_LINE_PAIR;
    /** The header fills one page, so the ring starts page-aligned. */
    public static final int HEADER_LENGTH = 4096;

    public static final int RECORD_STAMP_OFFSET = 0;
    public static final int RECORD_LENGTH_OFFSET = 8;
    public static final int RECORD_TYPE_OFFSET = 12;
    public static final int RECORD_HEADER_LENGTH = 16;
    /** Every record starts at a multiple of this. */
    public static final int RECORD_ALIGNMENT = 16;

    /** A message: its payload is the sender's bytes. */
    public static final int TYPE_MESSAGE = 1;
    /** Padding: skipped by the receiver (fills the end of the ring at a wrap, or marks an aborted claim). */
    public static final int TYPE_PADDING = 2;
    /*
     * Type 3 was version 1's end-of-stream record. It is retired, never reused: a lane ends by its header's
     * ended word, and a record of type 3 is corrupt.
     */
    /**
     * A message with handles attached: its payload opens with an attachment block (a token the supervisor
     * issued, the count, and each handle's kind, rights and size), then the sender's bytes. The handles
     * themselves travel through the supervisor: the receiver redeems the token for them.
     */
    public static final int TYPE_MESSAGE_WITH_HANDLES = 4;
    /**
     * The lane's last record: its sender goes on in a new lane of the same pipe and lane id (the pipe was resized),
     * whose positions start right after this record (docs/pipe-format.md §9).
     */
    public static final int TYPE_MOVED = 5;
    /** The payload length of a moved record. */
    public static final int MOVED_LENGTH = 16;
    /** Moved record: the new lane's generation (u32). */
    public static final int MOVED_GENERATION_OFFSET = 0;
    /** Moved record: the new lane's capacity (u32). */
    public static final int MOVED_CAPACITY_OFFSET = 4;
    /** Moved record: the position the new lane starts at (u64), this record's position plus its length. */
    public static final int MOVED_START_OFFSET = 8;

    /** Attachment block: the token (u64). */
    public static final int ATTACHMENT_TOKEN_OFFSET = 0;
    /** Attachment block: how many handles (u32), 1 to {@link #MAX_ATTACHMENTS}. */
    public static final int ATTACHMENT_COUNT_OFFSET = 8;
    /** Attachment block: the first handle's entry; entries are {@link #ATTACHMENT_ENTRY_LENGTH} bytes apart. */
    public static final int ATTACHMENT_ENTRIES_OFFSET = 16;
    /** Attachment entry: object kind code (u32) at 0, rights mask (u32) at 4, size in bytes (u64) at 8. */
    public static final int ATTACHMENT_ENTRY_LENGTH = 16;
    public static final int ATTACHMENT_KIND_OFFSET = 0;
    public static final int ATTACHMENT_RIGHTS_OFFSET = 4;
    public static final int ATTACHMENT_SIZE_OFFSET = 8;
    /** The most handles one message carries. */
    public static final int MAX_ATTACHMENTS = 64;

    /**
     * The longest one futex sleep lasts before the sleeper looks again. A peer that dies between its store and
     * its wake-up call (a receiver killed mid-release, a sender mid-commit) can delay the other side by at most
     * this much, never forever.
     */
    public static final long MAX_SLEEP_NANOS = 100_000_000L;

    /** The smallest ring: one page. */
    public static final int MIN_CAPACITY = 4096;
    /** The largest ring: 1 GiB. */
    public static final int MAX_CAPACITY = 1 << 30;
    /** A payload may be at most this fraction of the ring, so a record always fits after any padding. */
    public static final int MAX_PAYLOAD_DIVISOR = 8;

    static
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new ExceptionInInitializerError("Trindle lanes are little-endian and are accessed atomically " +
                "in native order: this platform is " + ByteOrder.nativeOrder());
        }
    }

    private LaneDescriptor()
    {
    }

    /**
     * @return the bytes a record with {@code payloadLength} bytes of payload occupies.
     */
    public static int recordLength(final int payloadLength)
    {
        return align(RECORD_HEADER_LENGTH + payloadLength);
    }

    /**
     * @return the largest payload a ring of {@code capacity} bytes accepts.
     */
    public static int maxPayloadLength(final int capacity)
    {
        return capacity / MAX_PAYLOAD_DIVISOR - RECORD_HEADER_LENGTH;
    }

    /**
     * @throws IllegalArgumentException unless {@code capacity} is a power of two within
     *                                  [{@link #MIN_CAPACITY}, {@link #MAX_CAPACITY}].
     */
    public static void checkCapacity(final long capacity)
    {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || Long.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("lane capacity=" + capacity + " must be a power of two from " +
                MIN_CAPACITY + " to " + MAX_CAPACITY);
        }
    }

    /**
     * @param block  where a message with handles begins: its attachment block.
     * @param length the record's payload length.
     * @return the block's count of handles, or -1 if the count is outside 1 … {@link #MAX_ATTACHMENTS} or the block
     *         does not fit the payload (the record is corrupt: §3.4).
     */
    static int attachmentCount(final MemorySegment ring, final long block, final int length)
    {
        final int count = length < ATTACHMENT_ENTRIES_OFFSET ? -1 :
            ring.get(ValueLayout.JAVA_INT, block + ATTACHMENT_COUNT_OFFSET);
        return count < 1 || count > MAX_ATTACHMENTS || attachmentBlockLength(count) > length ? -1 : count;
    }

    /** @return the length of the attachment block for {@code count} handles. */
    public static int attachmentBlockLength(final int count)
    {
        return ATTACHMENT_ENTRIES_OFFSET + count * ATTACHMENT_ENTRY_LENGTH;
    }

    static int align(final int length)
    {
        return (length + RECORD_ALIGNMENT - 1) & -RECORD_ALIGNMENT;
    }
}
