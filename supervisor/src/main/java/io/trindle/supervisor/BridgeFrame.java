package io.trindle.supervisor;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The frames two supervisors' bridges exchange over Aeron (docs/hosts.md §4): a 24-byte header, then a body by type.
 * Every integer little-endian at the offset given; the names here are the document's.
 *
 * <pre>
 *  0      4   5    6      8                16                           24
 *  +------+---+----+------+----------------+----------------------------+-------
 *  |magic |ver|type| from | sender's epoch | receiver's epoch as known  | body
 *  +------+---+----+------+----------------+----------------------------+-------
 * </pre>
 */
final class BridgeFrame
{
    /** The bytes {@code T R D B}. */
    static final int MAGIC = 0x42445254;
    static final int VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int TYPE_OFFSET = 5;
    /** The sending host's place in the config's {@code hosts}, from 0. */
    static final int FROM_OFFSET = 6;
    /** The sending supervisor's epoch: a random number, new each time a supervisor starts, never 0. */
    static final int EPOCH_OFFSET = 8;
    /** The receiving supervisor's epoch as the sender last heard it (0: not heard yet); a frame for another is old. */
    static final int TO_EPOCH_OFFSET = 16;
    static final int HEADER_LENGTH = 24;

    /** A heartbeat, every {@link HostBridge#HELLO_INTERVAL}: body u64 the plan's fingerprint. Control stream. */
    static final int HELLO = 1;
    /** A lane to the receiver starts (again) at a position: body lane body. Control stream. */
    static final int START = 2;
    /** A message: lane body, then the payload. The lane's data stream. */
    static final int DATA = 3;
    /** The lane ended at a position: lane body. The lane's data stream, after its last DATA. */
    static final int END = 4;
    /** The receiver released everything before a position: lane body. Control stream. */
    static final int ACK = 5;
    /** The sender heard the ack of the lane's end: the lane is delivered. Control stream. */
    static final int DONE = 6;
    /** The receiver missed frames: send again from the last release. Control stream. */
    static final int RESEND = 7;

    /** HELLO: the fingerprint of the pipeline's bridge plan; both sides must agree. */
    static final int FINGERPRINT_OFFSET = 24;
    /** HELLO: how many lanes from the receiving host the sender of the HELLO holds open (not yet told DONE). */
    static final int OPEN_OFFSET = 32;
    static final int HELLO_LENGTH = 40;

    /** Lane body: the lane's stream (its place among every crossing lane of the config, from 0). */
    static final int STREAM_OFFSET = 24;
    /**
     * Lane body: DATA's payload length; START's flags; ACK's count of messages released since the last ACK, with
     * {@link #ACK_BLOCKED} set while the receiving host's lane has no room for what arrives.
     */
    static final int COUNT_OFFSET = 28;
    /** Lane body: the position (in the sending host's lane) the frame is about. */
    static final int POSITION_OFFSET = 32;
    /**
     * Lane body: DATA and END: where the sending host's last DATA ended (or its START position), so gaps show; ACK:
     * how far the receiving host has received (in the sending host's positions).
     */
    static final int PREVIOUS_OFFSET = 40;
    static final int LANE_LENGTH = 48;

    /** ACK flag, in the count: the receiving host's lane is full, so what is sent waits; a stall is no loss. */
    static final int ACK_BLOCKED = 0x8000_0000;

    /** START flag: the lane was delivered whole already (ended and acknowledged): the receiver ends its lane. */
    static final int START_DELIVERED = 1;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private BridgeFrame()
    {
    }

    static void putHeader(final MutableDirectBuffer buffer, final int type, final int from, final long epoch,
        final long toEpoch)
    {
        buffer.putInt(MAGIC_OFFSET, MAGIC, ORDER);
        buffer.putByte(VERSION_OFFSET, (byte)VERSION);
        buffer.putByte(TYPE_OFFSET, (byte)type);
        buffer.putShort(FROM_OFFSET, (short)from, ORDER);
        buffer.putLong(EPOCH_OFFSET, epoch, ORDER);
        buffer.putLong(TO_EPOCH_OFFSET, toEpoch, ORDER);
    }

    static void putLane(final MutableDirectBuffer buffer, final int stream, final int count, final long position,
        final long previous)
    {
        buffer.putInt(STREAM_OFFSET, stream, ORDER);
        buffer.putInt(COUNT_OFFSET, count, ORDER);
        buffer.putLong(POSITION_OFFSET, position, ORDER);
        buffer.putLong(PREVIOUS_OFFSET, previous, ORDER);
    }

    /** @return the frame's type, or 0 if it is no bridge frame of this version (too short, wrong magic). */
    static int type(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH || buffer.getInt(offset + MAGIC_OFFSET, ORDER) != MAGIC ||
            buffer.getByte(offset + VERSION_OFFSET) != VERSION)
        {
            return 0;
        }
        final int type = buffer.getByte(offset + TYPE_OFFSET);
        final int needed = type == HELLO ? HELLO_LENGTH : LANE_LENGTH;
        return type >= HELLO && type <= RESEND && length >= needed ? type : 0;
    }

    static int from(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + FROM_OFFSET, ORDER) & 0xffff;
    }

    static long epoch(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + EPOCH_OFFSET, ORDER);
    }

    static long toEpoch(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + TO_EPOCH_OFFSET, ORDER);
    }

    static int open(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + OPEN_OFFSET, ORDER);
    }

    static void putHello(final MutableDirectBuffer buffer, final long fingerprint, final int open)
    {
        buffer.putLong(FINGERPRINT_OFFSET, fingerprint, ORDER);
        buffer.putInt(OPEN_OFFSET, open, ORDER);
        buffer.putInt(OPEN_OFFSET + Integer.BYTES, 0, ORDER); // reserved: nothing of an earlier frame goes out
    }

    static long fingerprint(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + FINGERPRINT_OFFSET, ORDER);
    }

    static int stream(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + STREAM_OFFSET, ORDER);
    }

    static int count(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + COUNT_OFFSET, ORDER);
    }

    static long position(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + POSITION_OFFSET, ORDER);
    }

    static long previous(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + PREVIOUS_OFFSET, ORDER);
    }
}
