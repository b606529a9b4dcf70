package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

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
import static io.trindle.ipc.LaneDescriptor.TYPE_MESSAGE;
import static io.trindle.ipc.LaneDescriptor.TYPE_PADDING;

/**
 * The receiving side of one lane. It trusts nothing it reads from the lane: the tail, every record's stamp,
 * length and type are checked against the capacity and positions it keeps itself, so a broken or hostile
 * sender yields a {@link LaneState#CORRUPT} lane with a reason, never an out-of-bounds read or a hang.
 */
final class LaneReader
{
    /** {@link #next} found nothing to read now. */
    static final int EMPTY = -1;
    /** {@link #next} found the end of the stream, or the lane is not open. */
    static final int STOPPED = -2;
    /** {@link #next} found a moved record and opened the lane it moved to: see {@link #successor}. */
    static final int MOVED = -3;
    /** The lane id of a lane broken before it was opened: its header's id is not to be trusted. */
    static final int UNKNOWN_LANE_ID = -1;

    final Lane lane;
    final MemorySegment header;
    final MemorySegment ring;
    final long pipeId;
    final int laneId;
    private final int capacity;
    private final int mask;
    private final int maxPayloadLength;
    private final LaneFaultListener faultListener;
    /** Where the new lanes of lanes that move wait for their moved records; null: this lane never moves. */
    private final LaneMoves moves;
    /** The reader of the lane this one moved to, once its moved record was read; null until then. */
    LaneReader successor;
    /**
     * Once the moved record was read, the end of the last message before it: when the receiver released that far, it
     * holds nothing of this lane any more, which closes. -1 until then.
     */
    private long retireAt = -1;
    /** The last run of padding read in the slow path, from and to: whether padding lies just before a moved record. */
    private long paddingFrom;
    private long paddingTo = -1;
    private boolean closed;

    /** The next record to read. */
    private long position;
    /** Everything before this was released; this reader's own copy is the one it trusts. */
    private long released;
    private LaneState state = LaneState.OPEN;
    private String fault;
    /** Used by {@link Inbox#release()} to gather a batch's releases per lane. */
    long pendingRelease = Inbox.none();
    /** Used by {@link Inbox#release()}: how many of the batch's messages are this lane's. */
    int pendingCount;
    /** Messages released so far, as published in the header. */
    private long releasedCount;

    LaneReader(final Lane lane, final LaneFaultListener faultListener)
    {
        this(lane, faultListener, null);
    }

    LaneReader(final Lane lane, final LaneFaultListener faultListener, final LaneMoves moves)
    {
        this.moves = moves;
        this.lane = lane;
        this.header = lane.header;
        this.ring = lane.ring;
        this.pipeId = lane.pipeId;
        this.laneId = lane.laneId;
        this.capacity = lane.capacity;
        this.mask = lane.mask;
        this.maxPayloadLength = lane.maxPayloadLength;
        this.faultListener = faultListener;

        // A new receiver starts where the last one released: everything after is delivered (again).
        final long head = (long)LONG.getAcquire(header, (long)HEAD_OFFSET);
        released = head;
        releasedCount = (long)LONG.getAcquire(header, (long)LaneDescriptor.RELEASED_COUNT_OFFSET);
        position = head;
        if (head < 0 || (head & (RECORD_ALIGNMENT - 1)) != 0)
        {
            corrupt("head=" + head + " is not a valid release position");
        }
        // An earlier receiver may have died between releasing and waking a sender that waits for room.
        wakeSenders();
    }

    /** A lane found broken before it could be opened: nothing is mapped, nothing is read. */
    private LaneReader(final long pipeId, final String reason, final LaneFaultListener faultListener)
    {
        this.lane = null;
        this.header = null;
        this.ring = null;
        this.pipeId = pipeId;
        this.laneId = UNKNOWN_LANE_ID;
        this.capacity = 0;
        this.mask = 0;
        this.maxPayloadLength = 0;
        this.faultListener = faultListener;
        this.moves = null;
        corrupt(reason);
    }

    /**
     * @return a reader of a lane whose header failed the checks at open (its handle is already closed): it is
     * {@link LaneState#CORRUPT} from the start, reported once to the listener, and holds nothing.
     */
    static LaneReader broken(final long pipeId, final String reason, final LaneFaultListener faultListener)
    {
        return new LaneReader(pipeId, reason, faultListener);
    }

    boolean isClosed()
    {
        return closed;
    }

    /** Unmaps the lane and closes its handle, if it was ever opened. */
    void close()
    {
        if (lane != null && !closed)
        {
            closed = true;
            lane.close();
        }
    }

    /**
     * @return the lane's state. An ended lane is noticed here, not by {@link #next}: a poll of an empty lane then
     * reads one word, the stamp at the read position, and not the header's ended word as well.
     */
    LaneState state()
    {
        if (state == LaneState.OPEN && (position - released >= capacity ||
            (long)LONG.getAcquire(ring, (position & mask) + RECORD_STAMP_OFFSET) != position + 1))
        {
            endedHere();
        }
        return state;
    }

    String fault()
    {
        return fault;
    }

    /**
     * Reads the next message into {@code message}, skipping padding.
     *
     * <p>A record is found by its stamp alone (docs/pipe-format.md §5): the tail is read only once the lane has
     * ended, which {@link #state()} notices. The common case, a committed message record that passes every
     * check, stays small enough for the JIT to inline; anything else (padding, handles, a record that fails a
     * check) goes the slow way, which checks everything again.
     *
     * @return the payload length (0 or more), {@link #EMPTY}, or {@link #STOPPED}.
     */
    int next(final Message message)
    {
        if (state != LaneState.OPEN)
        {
            return STOPPED;
        }
        final long at = position;
        final long index = at & mask;
        if ((long)LONG.getAcquire(ring, index + RECORD_STAMP_OFFSET) != at + 1)
        {
            // Nothing committed: the common empty look. Whether the lane has ended is for state() to tell.
            return EMPTY;
        }
        // Length and type in one load (they share the record header's second long, length in its low half): loaded
        // once, so a hostile sender changing them now cannot make a checked value differ from the used.
        final long lengthAndType = ring.get(ValueLayout.JAVA_LONG_UNALIGNED, index + RECORD_LENGTH_OFFSET);
        final int length = (int)lengthAndType;
        final int recordLength = LaneDescriptor.recordLength(length);
        if (lengthAndType >>> Integer.SIZE == TYPE_MESSAGE && length >= 0 && length <= maxPayloadLength &&
            index + recordLength <= capacity && at + recordLength - released <= capacity)
        {
            position = at + recordLength;
            message.set(this, at, position, index + RECORD_HEADER_LENGTH, length);
            return length;
        }
        return nextSlowly(message);
    }

    /**
     * Reads messages into {@code views} from index {@code from} on, until the views run out or nothing more is
     * committed now: {@link #next} in a loop, for a receiver of one lane. The lane's fields are held in locals,
     * which the JIT keeps in registers across each stamp's acquiring load; fields it would load again after every
     * one. The position is stored once, at the end.
     *
     * @return the index after the last view filled ({@code from} when none was).
     */
    int fill(final Message[] views, final int from)
    {
        int next = from;
        while (next < views.length && state == LaneState.OPEN)
        {
            final MemorySegment ring = this.ring;
            final long mask = this.mask;
            final long capacity = this.capacity;
            final int maxPayloadLength = this.maxPayloadLength;
            // Nothing can be committed at or past released + capacity before this reader releases.
            final long limit = released + capacity;
            long at = position;
            while (next < views.length)
            {
                final long index = at & mask;
                if ((long)LONG.getAcquire(ring, index + RECORD_STAMP_OFFSET) != at + 1)
                {
                    position = at;
                    return next;
                }
                final long lengthAndType = ring.get(ValueLayout.JAVA_LONG_UNALIGNED, index + RECORD_LENGTH_OFFSET);
                final int length = (int)lengthAndType;
                final long end = at + LaneDescriptor.recordLength(length);
                if (lengthAndType >>> Integer.SIZE != TYPE_MESSAGE || length < 0 || length > maxPayloadLength ||
                    index + (end - at) > capacity || end > limit)
                {
                    break; // not a plain message, or it fails a check: the slow way tells which
                }
                views[next++].set(this, at, end, index + RECORD_HEADER_LENGTH, length);
                at = end;
            }
            position = at;
            if (next == views.length || nextSlowly(views[next]) < 0)
            {
                return next;
            }
            next++;
        }
        return next;
    }

    /** {@link #next} for everything but a plain committed message: padding, handles, damage, nothing there. */
    private int nextSlowly(final Message message)
    {
        while (state == LaneState.OPEN)
        {
            final long index = position & mask;
            // Nothing can be committed at or past released + capacity before this reader releases: its stamp
            // there would be an earlier lap's, so it is not even read.
            if (position - released >= capacity ||
                (long)LONG.getAcquire(ring, index + RECORD_STAMP_OFFSET) != position + 1) // nothing committed
            {
                if (!endedHere())
                {
                    return state == LaneState.OPEN ? EMPTY : STOPPED;
                }
                continue;
            }
            final int length = ring.get(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET);
            final int type = ring.get(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET);
            final int limit = type == TYPE_MESSAGE || type == LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES ?
                maxPayloadLength : type == TYPE_PADDING ? capacity - RECORD_HEADER_LENGTH :
                type == LaneDescriptor.TYPE_MOVED ? LaneDescriptor.MOVED_LENGTH : 0;
            if (length < 0 || length > limit)
            {
                corrupt("record at position=" + position + " of type=" + type + ": length=" + length +
                    " exceeds its limit=" + limit);
                break;
            }
            final int recordLength = LaneDescriptor.recordLength(length);
            if (index + recordLength > capacity || position + recordLength - released > capacity)
            {
                corrupt("record at position=" + position + ": length=" + length + " runs past the ring's end " +
                    "(capacity=" + capacity + ") or past the room the receiver released (released=" + released +
                    ")");
                break;
            }
            switch (type)
            {
                case TYPE_MESSAGE ->
                {
                    final long sequence = position;
                    position += recordLength;
                    message.set(this, sequence, position, index + RECORD_HEADER_LENGTH, length);
                    return length;
                }
                case LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES ->
                {
                    final long payload = index + RECORD_HEADER_LENGTH;
                    final int count = LaneDescriptor.attachmentCount(ring, payload, length);
                    if (count < 0)
                    {
                        final Object given = length < LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET ? "(none)" :
                            ring.get(ValueLayout.JAVA_INT, payload + LaneDescriptor.ATTACHMENT_COUNT_OFFSET);
                        corrupt("record at position=" + position + " with handles: count=" + given +
                            " does not fit length=" + length + " (1.." + LaneDescriptor.MAX_ATTACHMENTS + " handles)");
                        return STOPPED;
                    }
                    final long sequence = position;
                    position += recordLength;
                    message.set(this, sequence, position, payload, length);
                    message.attach(payload, count);
                    return length;
                }
                case TYPE_PADDING ->
                {
                    if (position != paddingTo)
                    {
                        paddingFrom = position;
                    }
                    position += recordLength;
                    paddingTo = position;
                }
                case LaneDescriptor.TYPE_MOVED ->
                {
                    return follow(index, length, recordLength);
                }
                default ->
                {
                    corrupt("record at position=" + position + " has unknown type=" + type);
                    return STOPPED;
                }
            }
        }
        return STOPPED;
    }

    /**
     * Reads the moved record at the read position (docs/pipe-format.md §9) and opens the lane it names, which
     * {@link PipeReceiver} then reads in this one's place. The record stays unread while the new lane has not been
     * given yet: the lane is empty for now.
     *
     * @return {@link #MOVED}, {@link #EMPTY} (the new lane is not here yet) or {@link #STOPPED} (corrupt).
     */
    private int follow(final long index, final int length, final int recordLength)
    {
        final long payload = index + RECORD_HEADER_LENGTH;
        final int generation = ring.get(ValueLayout.JAVA_INT, payload + LaneDescriptor.MOVED_GENERATION_OFFSET);
        final int newCapacity = ring.get(ValueLayout.JAVA_INT, payload + LaneDescriptor.MOVED_CAPACITY_OFFSET);
        final long start = ring.get(ValueLayout.JAVA_LONG, payload + LaneDescriptor.MOVED_START_OFFSET);
        if (length != LaneDescriptor.MOVED_LENGTH || start != position + recordLength)
        {
            corrupt("moved record at position=" + position + ": length=" + length + ", start=" + start +
                " (must be " + LaneDescriptor.MOVED_LENGTH + " and " + (position + recordLength) + ")");
            return STOPPED;
        }
        final Handle handle = moves == null ? null : moves.take(pipeId, laneId, generation);
        if (handle == null)
        {
            return EMPTY; // the new lane was not given (yet): look again later, at the same record
        }
        final Lane next;
        try
        {
            next = Lane.map(handle, Right.RECEIVE);
        }
        catch (final MalformedMessageException e)
        {
            corrupt("the lane it moved to is broken: " + e.getMessage());
            return STOPPED;
        }
        final long head = (long)LONG.getAcquire(next.header, (long)HEAD_OFFSET);
        if (next.pipeId != pipeId || next.laneId != laneId || next.generation != generation ||
            next.capacity != newCapacity || head < start)
        {
            next.close();
            corrupt("moved record at position=" + position + " names generation=" + generation + ", capacity=" +
                newCapacity + ", start=" + start + ", but the new lane has pipe=0x" + Long.toHexString(next.pipeId) +
                ", lane=" + next.laneId + ", generation=" + next.generation + ", capacity=" + next.capacity +
                ", head=" + head);
            return STOPPED;
        }
        successor = new LaneReader(next, faultListener, moves);
        successor.releasedCount = releasedCount;
        // Padding just before the record holds no message: the last message, if the receiver still holds it, ends
        // where that padding starts.
        retireAt = paddingTo == position ? paddingFrom : position;
        position = start;
        state = LaneState.MOVED;
        retireIfDrained();
        return MOVED;
    }

    /**
     * Once a moved lane has nothing the receiver still holds (every message before the moved record is released),
     * releases the moved record too, so the head reaches the new lane's start, and unmaps and closes the lane.
     */
    private void retireIfDrained()
    {
        if (retireAt >= 0 && released >= retireAt && !closed)
        {
            released = position;
            LONG.setRelease(header, (long)HEAD_OFFSET, position);
            VarHandle.fullFence();
            wakeSenders();
            close();
        }
    }

    /**
     * Called when nothing is committed at the read position: if the sender has ended the lane (its header's
     * ended word, docs/pipe-format.md section 7), either the lane has ended here, or something is still to be
     * read after it.
     *
     * @return whether to look at the read position again: a record was committed there before the end, or a
     * claim its sender never committed was turned into padding. When {@code false}, the lane is empty for now,
     * or no longer open.
     */
    private boolean endedHere()
    {
        if (state != LaneState.OPEN || (int)INT.getAcquire(header, (long)ENDED_OFFSET) == 0)
        {
            return false;
        }
        // Read after the ended word (acquire): everything the sender committed before ending is visible now.
        final long tail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        if (tail < position || tail - released > capacity || (tail & (RECORD_ALIGNMENT - 1)) != 0)
        {
            corrupt("tail=" + tail + " is impossible: read position=" + position + ", released=" + released +
                ", capacity=" + capacity);
            return false;
        }
        if (position == tail)
        {
            // Ended is never cleared, and the head stays where it was released: a later receiver sees the end too.
            state = LaneState.ENDED;
            return false;
        }
        if ((long)LONG.getAcquire(ring, (position & mask) + RECORD_STAMP_OFFSET) != position + 1)
        {
            // Claimed and never committed: the sender died mid-send, and will send no more.
            padDeadClaim(ring, capacity, position, tail);
        }
        return true;
    }

    /** @return the next position this reader reads. */
    long position()
    {
        return position;
    }

    /** @return everything before this position was released. */
    long released()
    {
        return released;
    }

    /**
     * Reads again from the release position: everything read since the last release is read once more. Its records
     * are still in the ring, since no sender fills past the head.
     */
    void rewind()
    {
        // An ended lane is read again too: its end is found again once the reader reaches its tail once more.
        if (state == LaneState.OPEN || state == LaneState.ENDED)
        {
            state = LaneState.OPEN;
            position = released;
        }
    }

    /**
     * Releases everything before {@code end}: stores the head with release, then wakes senders waiting for
     * room, if any announced that they sleep.
     */
    void releaseTo(final long end, final int messages)
    {
        if (end <= released)
        {
            return;
        }
        released = end;
        releasedCount += messages;
        LONG.setRelease(header, (long)HEAD_OFFSET, end);
        LONG.setRelease(header, (long)LaneDescriptor.RELEASED_COUNT_OFFSET, releasedCount);
        // Pairs with a sender's announce-then-recheck (see LaneSender.claimWaiting).
        VarHandle.fullFence();
        wakeSenders();
        if (retireAt >= 0)
        {
            retireIfDrained();
        }
    }

    /** Wakes every sender that announced it sleeps waiting for room. */
    void wakeSenders()
    {
        if ((int)INT.getVolatile(header, (long)SENDER_SLEEPING_OFFSET) != 0 &&
            INT.compareAndSet(header, (long)SENDER_SLEEPING_OFFSET, 1, 0))
        {
            Futex.wake(lane.headerAddress(SENDER_SLEEPING_OFFSET), Integer.MAX_VALUE);
        }
    }

    /**
     * Clears a record that was claimed but never committed (its sender died mid-send), so the lane moves on:
     * the span from it to the next committed record (or to the tail, or the ring's end) becomes padding.
     * Call it only when the sender is known dead or stuck: a live sender would still write there.
     *
     * @return whether anything was cleared.
     */
    boolean unblock()
    {
        if (state != LaneState.OPEN)
        {
            return false;
        }
        final long currentTail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        final long index = position & mask;
        if (currentTail <= position || currentTail - released > capacity ||
            (long)LONG.getAcquire(ring, index + RECORD_STAMP_OFFSET) == position + 1)
        {
            return false;
        }
        padDeadClaim(ring, capacity, position, currentTail);
        return true;
    }

    /**
     * Turns the claimed, uncommitted record at {@code position} into padding that reaches the next committed
     * record (or the tail, or the ring's end): see docs/pipe-format.md, section 8.
     */
    static void padDeadClaim(final MemorySegment ring, final int capacity, final long position, final long tail)
    {
        final int mask = capacity - 1;
        final long index = position & mask;
        final long limit = Math.min(tail, position + (capacity - index));
        long next = position + RECORD_ALIGNMENT;
        while (next < limit && (long)LONG.getAcquire(ring, (next & mask) + RECORD_STAMP_OFFSET) != next + 1)
        {
            next += RECORD_ALIGNMENT;
        }
        final long gap = Math.min(next, limit) - position;
        ring.set(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET, (int)(gap - RECORD_HEADER_LENGTH));
        ring.set(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET, TYPE_PADDING);
        LONG.setRelease(ring, index + RECORD_STAMP_OFFSET, position + 1);
    }

    private void corrupt(final String reason)
    {
        state = LaneState.CORRUPT;
        fault = reason;
        if (faultListener != null)
        {
            faultListener.onLaneFault(pipeId, laneId, reason);
        }
    }
}
