package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.Lane.LONG;
import static io.trindle.ipc.LaneDescriptor.ENDED_OFFSET;
import static io.trindle.ipc.LaneDescriptor.HEAD_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_ALIGNMENT;
import static io.trindle.ipc.LaneDescriptor.RECORD_HEADER_LENGTH;
import static io.trindle.ipc.LaneDescriptor.RECORD_LENGTH_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_STAMP_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_TYPE_OFFSET;
import static io.trindle.ipc.LaneDescriptor.SENDER_SLEEPING_OFFSET;
import static io.trindle.ipc.LaneDescriptor.TAIL_OFFSET;
import static io.trindle.ipc.LaneDescriptor.TAP_HEAD_OFFSET;

/**
 * A second reader of one lane that takes nothing from its receiver (docs/pipe-format.md §5.1): it reads every record
 * committed from the moment it attached, in order, while the receiver reads and releases them as ever. It holds the
 * lane's tap head, so the sender cannot overwrite a record the tap has not yet released: a tap that reads slowly slows
 * the sender, never loses a message. Only the supervisor taps (it holds every lane); one tap per lane at a time.
 * <p>
 * Like the receiver it trusts nothing in the lane: every stamp, length and type is checked against its own copies of
 * the capacity and positions, so a hostile sender yields {@link #CORRUPT}, never a read outside the ring.
 */
public final class LaneTap implements AutoCloseable
{
    /** {@link #next} handed a message to the sink. */
    public static final int MESSAGE = 1;
    /** {@link #next} found nothing to read now. */
    public static final int EMPTY = 0;
    /** The lane has ended: everything committed before its end was read. */
    public static final int ENDED = -1;
    /** The lane moved to a new lane (a resize): the tap has read all of this one. */
    public static final int MOVED = -2;
    /** The lane failed a check: {@link #fault()} says which. */
    public static final int CORRUPT = -3;

    /** Receives each message the tap reads; the payload is valid only until the next {@link #release()}. */
    @FunctionalInterface
    public interface Sink
    {
        /**
         * @param laneId   the lane, which names the sending process.
         * @param sequence the message's position in the lane, as its receiver sees it.
         * @param handles  how many handles it carries (0: none).
         * @param payload  the sender's bytes (after the attachment block, for a message with handles).
         */
        void message(int laneId, long sequence, int handles, MemorySegment payload);
    }

    private final Lane lane;
    private final MemorySegment header;
    private final MemorySegment ring;
    private final int capacity;
    private final int mask;
    private long position;
    private long released;
    private int state = EMPTY;
    private String fault;

    private LaneTap(final Lane lane)
    {
        this.lane = lane;
        this.header = lane.header;
        this.ring = lane.ring;
        this.capacity = lane.capacity;
        this.mask = lane.mask;
    }

    /**
     * Maps a copy of {@code lane} and holds it from the receiver's head on: every record committed from here is read.
     * The caller must know no other tap holds the lane.
     *
     * @throws MalformedMessageException if the lane's header fails the checks of a receiver's open.
     */
    public static LaneTap attach(final Handle lane)
    {
        final LaneTap tap = new LaneTap(Lane.map(lane.duplicate(Rights.of(Right.RECEIVE)), Right.RECEIVE));
        // First hold at a head read before the hold, then start at a head read after it (with a full store and a full
        // load between): a sender that found no hold read its head earlier still, so it cannot fill past our start.
        final long before = (long)LONG.getAcquire(tap.header, (long)HEAD_OFFSET);
        LONG.setVolatile(tap.header, (long)TAP_HEAD_OFFSET, Math.max(before, 0) + 1);
        final long start = (long)LONG.getVolatile(tap.header, (long)HEAD_OFFSET);
        if (start < 0 || (start & (RECORD_ALIGNMENT - 1)) != 0)
        {
            tap.corrupt("head=" + start + " is not a valid release position");
            return tap;
        }
        tap.position = start;
        tap.released = start;
        LONG.setVolatile(tap.header, (long)TAP_HEAD_OFFSET, start + 1);
        return tap;
    }

    /** @return the lane id its header gave at open. */
    public int laneId()
    {
        return lane.laneId;
    }

    /** @return the next position the tap reads. */
    public long position()
    {
        return position;
    }

    /** @return the lane's head: everything before it was released by its receiver (a value its receiver wrote). */
    public long receiverHead()
    {
        return (long)LONG.getAcquire(header, (long)HEAD_OFFSET);
    }

    /** @return why the lane is {@link #CORRUPT}, or null. */
    public String fault()
    {
        return fault;
    }

    /**
     * Reads the next message, skipping padding, and hands it to {@code sink}.
     *
     * @return {@link #MESSAGE}, {@link #EMPTY}, or, once and for ever after, {@link #ENDED}, {@link #MOVED} or
     *         {@link #CORRUPT}.
     */
    public int next(final Sink sink)
    {
        while (state == EMPTY)
        {
            if (position - released >= capacity)
            {
                return EMPTY; // the tap must release before anything more can be committed
            }
            final long index = position & mask;
            if ((long)LONG.getAcquire(ring, index + RECORD_STAMP_OFFSET) != position + 1)
            {
                return atEnd();
            }
            final int length = ring.get(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET);
            final int type = ring.get(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET);
            final int limit = type == LaneDescriptor.TYPE_PADDING ? capacity - RECORD_HEADER_LENGTH :
                type == LaneDescriptor.TYPE_MOVED ? LaneDescriptor.MOVED_LENGTH : lane.maxPayloadLength;
            final long recordLength = LaneDescriptor.recordLength(Math.max(length, 0));
            if (length < 0 || length > limit || index + recordLength > capacity ||
                position + recordLength - released > capacity)
            {
                corrupt("record at " + position + ": length=" + length + ", type=" + type + " does not fit the ring");
                break;
            }
            switch (type)
            {
                case LaneDescriptor.TYPE_PADDING -> position += recordLength;
                case LaneDescriptor.TYPE_MESSAGE ->
                {
                    sink.message(lane.laneId, position, 0, ring.asSlice(index + RECORD_HEADER_LENGTH, length));
                    position += recordLength;
                    return MESSAGE;
                }
                case LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES ->
                {
                    final long block = index + RECORD_HEADER_LENGTH;
                    final int count = LaneDescriptor.attachmentCount(ring, block, length);
                    if (count < 0)
                    {
                        corrupt("record at " + position + ": its handles do not fit length=" + length);
                        break;
                    }
                    final int blockLength = LaneDescriptor.attachmentBlockLength(count);
                    sink.message(lane.laneId, position, count, ring.asSlice(block + blockLength, length - blockLength));
                    position += recordLength;
                    return MESSAGE;
                }
                case LaneDescriptor.TYPE_MOVED ->
                {
                    state = MOVED;
                    position += recordLength;
                }
                default -> corrupt("record at " + position + " has type " + type);
            }
        }
        return state;
    }

    /** Nothing is committed at the tap's position: the lane is empty for now, has ended, or overran the tap. */
    private int atEnd()
    {
        final long tail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        if (tail - released > capacity || (tail & (RECORD_ALIGNMENT - 1)) != 0 || tail < position)
        {
            // An honest sender never fills past the tap's hold: someone cleared it, or scribbled over the tail.
            corrupt("tail=" + tail + " is not within a ring of the tap's position " + released +
                " (the lane's tap head was overwritten by a holder of the lane, or its tail)");
            return state;
        }
        if ((int)INT.getAcquire(header, (long)ENDED_OFFSET) != 0 &&
            position == (long)LONG.getAcquire(header, (long)TAIL_OFFSET))
        {
            state = ENDED;
        }
        // Ended but with a claim its dead sender never committed: its receiver (or the supervisor) turns it into
        // padding (§8), which this tap then reads past; the tap itself writes nothing in the ring.
        return state;
    }

    /** Lets the sender overwrite everything the tap has read so far, and wakes a sender that waits for room. */
    public void release()
    {
        if (position <= released)
        {
            return;
        }
        released = position;
        LONG.setVolatile(header, (long)TAP_HEAD_OFFSET, position + 1);
        wakeSenders();
    }

    private void wakeSenders()
    {
        if ((int)INT.getVolatile(header, (long)SENDER_SLEEPING_OFFSET) != 0 &&
            INT.compareAndSet(header, (long)SENDER_SLEEPING_OFFSET, 1, 0))
        {
            Futex.wake(lane.headerAddress(SENDER_SLEEPING_OFFSET), Integer.MAX_VALUE);
        }
    }

    private void corrupt(final String reason)
    {
        state = CORRUPT;
        fault = reason;
    }

    /** Lets go of the lane: the sender is held by its receiver alone again. Unmaps the copy. */
    @Override
    public void close()
    {
        LONG.setVolatile(header, (long)TAP_HEAD_OFFSET, 0L);
        wakeSenders();
        lane.close();
    }
}
