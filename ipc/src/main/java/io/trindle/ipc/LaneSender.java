package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.Lane.LONG;
import static io.trindle.ipc.LaneDescriptor.ENDED_OFFSET;
import static io.trindle.ipc.LaneDescriptor.HEAD_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECEIVER_SLEEPING_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_HEADER_LENGTH;
import static io.trindle.ipc.LaneDescriptor.RECORD_LENGTH_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_STAMP_OFFSET;
import static io.trindle.ipc.LaneDescriptor.RECORD_TYPE_OFFSET;
import static io.trindle.ipc.LaneDescriptor.SENDER_SLEEPING_OFFSET;
import static io.trindle.ipc.LaneDescriptor.TAIL_OFFSET;
import static io.trindle.ipc.LaneDescriptor.TYPE_MESSAGE;
import static io.trindle.ipc.LaneDescriptor.TYPE_PADDING;

/**
 * The sending end of one lane of a pipe. Any number of threads of this process may send at once: each claims
 * its record by compare-and-set on the tail, so records are whole and ordered by claim.
 *
 * <p>Sending a message makes no system call and allocates nothing, unless the receiver announced that it
 * sleeps (then one {@code futex} wake) or the lane is full and {@link #send} must wait.
 *
 * <h2>Zero-copy sending</h2>
 * <pre>{@code
 * long claim = sender.claim(length);          // FULL if there is no room now
 * if (claim != LaneSender.FULL) {
 *     sender.buffer().set(JAVA_LONG, sender.payloadOffset(claim), value);   // write the payload in place
 *     sender.commit(claim);                   // or abort(claim): the receiver skips it
 * }
 * }</pre>
 *
 * <p>Longer than the ~400 lines a class here should stay under, on purpose: claim, commit, abort, the wait for room
 * and the end of the stream are one protocol (docs/pipe-format.md §4, §6, §7), and most of the length is its
 * documentation; the hot claim and commit stay small.
 */
public final class LaneSender implements AutoCloseable
{
    /** What {@link #claim} returns when the lane has no room now. */
    public static final long FULL = -1;

    /**
     * Whether this process registered for {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)}: then a receiver
     * about to sleep forces a full barrier on this process's threads itself, and a commit needs no fence of its
     * own (docs/pipe-format.md, section 6). Without it, every commit pays a full fence.
     */
    private static final boolean ASYMMETRIC_WAKE = Futex.membarrierRegisterGlobalExpedited();

    // Not final: a move (moveTo) puts the sender on a new lane. HotSpot does not trust instance finals to be
    // constant anyway, so the fast path loads them the same.
    private Lane lane;
    private MemorySegment header;
    private MemorySegment ring;
    private int capacity;
    private int mask;
    private int maxPayloadLength;
    private final WaitStrategy waitStrategy;
    /** One thread sends: the tail is stored, not compared-and-set, and never read back (see {@link #ownTail}). */
    private final boolean exclusive;
    /**
     * An exclusive sender's own copy of the tail: nothing else writes the tail, so it is stored at every claim and
     * never loaded again, which keeps the sender off a cache line the receiver may be reading.
     */
    private long ownTail;
    /**
     * Whether {@link #claimRoom} may take its short way: an exclusive sender whose tail passed the checks of
     * {@link #claimRoomSlowly} when the lane was opened (from then on the tail is its own). A tail found damaged at
     * open sends every claim the slow way, which refuses it.
     */
    private boolean shortClaims;
    /** The last head read from the lane: free space is at least {@code capacity - (tail - headCache)}. */
    private volatile long headCache;
    private volatile boolean ended;
    private boolean closed;
    /** The lane a move goes to, while its moved record waits for room in the old lane; null otherwise. */
    private Lane moving;

    private LaneSender(final Lane lane, final WaitStrategy waitStrategy, final boolean exclusive)
    {
        this.exclusive = exclusive;
        this.lane = lane;
        this.header = lane.header;
        this.ring = lane.ring;
        this.capacity = lane.capacity;
        this.mask = lane.mask;
        this.maxPayloadLength = lane.maxPayloadLength;
        this.waitStrategy = waitStrategy;
        final long head = (long)LONG.getAcquire(header, (long)HEAD_OFFSET);
        this.headCache = roomHead(header);
        this.ownTail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        this.shortClaims = exclusive && (ownTail & (LaneDescriptor.RECORD_ALIGNMENT - 1)) == 0 &&
            ownTail >= head && ownTail - head <= capacity;
    }

    /**
     * Maps a lane to send into. Needs {@link Right#SEND}; the sender owns the handle from now on.
     */
    public static LaneSender open(final Handle handle)
    {
        return open(handle, WaitStrategy.DEFAULT);
    }

    /**
     * Maps a lane to send into, waiting for room as {@code waitStrategy} says.
     */
    public static LaneSender open(final Handle handle, final WaitStrategy waitStrategy)
    {
        return new LaneSender(Lane.map(handle, Right.SEND), waitStrategy, false);
    }

    /**
     * Maps a lane that exactly one thread of this process will send on: each claim stores the tail instead of
     * compare-and-setting it, which is cheaper. Using it from two threads at once corrupts the lane's order.
     */
    public static LaneSender openExclusive(final Handle handle, final WaitStrategy waitStrategy)
    {
        return new LaneSender(Lane.map(handle, Right.SEND), waitStrategy, true);
    }

    /**
     * Moves this sender onto {@code handle}, the new lane its lane moves to when the pipe is resized
     * (docs/pipe-format.md §9): claims a moved record in the old lane (waiting up to {@code timeoutNanos} for room,
     * negative: no limit), starts the new lane's head and tail right after it, commits it, and from then on sends on
     * the new lane; the old lane is unmapped and closed. Messages keep their order: the receiver reads the old lane
     * to its moved record before the new one. The sender owns the handle from now on.
     *
     * <p>Call it from the thread that sends, with no claim of this process in flight on the lane: a claim made on
     * the old lane after the moved record would never be read.
     *
     * @param generation the new lane's generation, as the move frame names it.
     * @return whether the sender moved; {@code false} if the time ran out waiting for room for the moved record:
     * the move is then still to finish ({@link #isMoving()}), by {@link #finishMove} or another send's wait.
     * @throws IllegalArgumentException if {@code handle} is not a lane of this pipe with this lane id and
     *                                  {@code generation}, newer than this one, or a move is under way already.
     */
    public boolean moveTo(final Handle handle, final int generation, final long timeoutNanos)
    {
        if (ended || moving != null)
        {
            handle.close();
            throw new IllegalStateException("lane " + lane.laneId + " of pipe 0x" + Long.toHexString(lane.pipeId) +
                (ended ? " was ended: it cannot move" : " is moving already"));
        }
        final Lane next = Lane.map(handle, Right.SEND);
        if (next.pipeId != lane.pipeId || next.laneId != lane.laneId || next.generation != generation ||
            generation <= lane.generation)
        {
            next.close();
            throw new IllegalArgumentException("a lane of pipe 0x" + Long.toHexString(next.pipeId) + ", lane " +
                next.laneId + ", generation " + next.generation + " cannot replace lane " + lane.laneId +
                " of pipe 0x" + Long.toHexString(lane.pipeId) + ", generation " + lane.generation + " as generation " +
                generation);
        }
        moving = next;
        return finishMove(timeoutNanos);
    }

    /** @return whether a move ({@link #moveTo}) waits for room for its moved record. */
    public boolean isMoving()
    {
        return moving != null;
    }

    /**
     * Finishes a move that ran out of time waiting for room, waiting up to {@code timeoutNanos} more (negative: no
     * limit). From the thread that sends, as {@link #moveTo}.
     *
     * @return whether the sender is on its new lane now (also when no move was under way).
     */
    public boolean finishMove(final long timeoutNanos)
    {
        final Lane next = moving;
        if (next == null)
        {
            return true;
        }
        final long claim = claimWaiting(LaneDescriptor.MOVED_LENGTH, LaneDescriptor.TYPE_MOVED, timeoutNanos);
        if (claim == FULL)
        {
            return false;
        }
        final long start = claim + LaneDescriptor.recordLength(LaneDescriptor.MOVED_LENGTH);
        // The new lane's positions go on from here, so (lane id, sequence) stays unique and increasing. Stored
        // before the moved record is committed: the receiver opens the new lane only after reading that record.
        LONG.setRelease(next.header, (long)HEAD_OFFSET, start);
        LONG.setRelease(next.header, (long)TAIL_OFFSET, start);
        final long payload = payloadOffset(claim);
        ring.set(ValueLayout.JAVA_INT, payload + LaneDescriptor.MOVED_GENERATION_OFFSET, next.generation);
        ring.set(ValueLayout.JAVA_INT, payload + LaneDescriptor.MOVED_CAPACITY_OFFSET, next.capacity);
        ring.set(ValueLayout.JAVA_LONG, payload + LaneDescriptor.MOVED_START_OFFSET, start);
        commit(claim);
        final Lane old = lane;
        lane = next;
        header = next.header;
        ring = next.ring;
        capacity = next.capacity;
        mask = next.mask;
        maxPayloadLength = next.maxPayloadLength;
        headCache = start;
        ownTail = start;
        shortClaims = exclusive;
        moving = null;
        old.close();
        return true;
    }

    /**
     * Starts a new lane at {@code position} instead of 0, as a lane that replaces another does (docs/pipe-format.md
     * §9), so that its messages take the positions they had in a lane elsewhere: for the bridge that fills a lane with
     * what another host's lane carried (docs/hosts.md). Only an exclusive sender, before anything was sent and before
     * any receiver opened the lane (a receiver starts at the head it reads when it opens).
     *
     * @throws IllegalStateException    if the lane was used already.
     * @throws IllegalArgumentException if {@code position} is negative or not a multiple of 16.
     */
    public void startAt(final long position)
    {
        if (position < 0 || (position & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("position=" + position + " is not a record position (a multiple of " +
                LaneDescriptor.RECORD_ALIGNMENT + ", not negative)");
        }
        if (!exclusive || ended || ownTail != 0 || (long)LONG.getAcquire(header, (long)TAIL_OFFSET) != 0 ||
            (long)LONG.getAcquire(header, (long)HEAD_OFFSET) != 0)
        {
            throw new IllegalStateException("lane " + lane.laneId + " of pipe 0x" + Long.toHexString(lane.pipeId) +
                " was used already, or its sender is not exclusive: it cannot start at " + position);
        }
        LONG.setRelease(header, (long)HEAD_OFFSET, position);
        LONG.setRelease(header, (long)TAIL_OFFSET, position);
        headCache = position;
        ownTail = position;
    }

    /** @return the lane's head: everything before it was released by its receiver (a value its receiver wrote). */
    public long head()
    {
        return (long)LONG.getAcquire(header, (long)HEAD_OFFSET);
    }

    /** @return how many messages the lane's receiver has released in all (the header's count, for status). */
    public long releasedCount()
    {
        return (long)LONG.getAcquire(header, (long)LaneDescriptor.RELEASED_COUNT_OFFSET);
    }

    /** @return where the next claim of this sender starts, before any padding to the ring's end. */
    public long tail()
    {
        return exclusive ? ownTail : (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
    }

    /**
     * Fills the lane with padding up to {@code position}, waiting for room up to {@code timeoutNanos} (negative: no
     * limit), so that the next message is claimed there (or at the ring's start, if it would not fit before the end):
     * the bridge's way of keeping another lane's positions when that lane skipped some (a message that did not
     * cross, padding its sender left). Records of padding never cross the ring's end. An exclusive sender only.
     *
     * @return whether the tail reached {@code position}; {@code false} if the time ran out (padding made so far
     *         stays, and a later call goes on from it).
     */
    public boolean padTo(final long position, final long timeoutNanos)
    {
        if (!exclusive)
        {
            throw new IllegalStateException("only an exclusive sender pads to a position");
        }
        while (ownTail < position)
        {
            final long toEnd = capacity - (ownTail & mask);
            final int chunk = (int)Math.min(position - ownTail, toEnd);
            final long claim = claimWaiting(chunk - RECORD_HEADER_LENGTH, TYPE_PADDING, timeoutNanos);
            if (claim == FULL)
            {
                return false;
            }
            commit(claim);
        }
        return true;
    }

    /** @return the generation of the lane this sender sends on: how many times it moved (see {@link #moveTo}). */
    public int generation()
    {
        return lane.generation;
    }

    /** @return the capacity of the lane this sender sends on. */
    public int capacity()
    {
        return capacity;
    }

    /** @return the id of the pipe this lane belongs to. */
    public long pipeId()
    {
        return lane.pipeId;
    }

    /** @return this lane's id within its pipe. */
    public int laneId()
    {
        return lane.laneId;
    }

    /** @return the largest payload a message may have on this lane. */
    public int maxPayloadLength()
    {
        return maxPayloadLength;
    }

    /**
     * Claims room for a message of {@code length} bytes, without waiting.
     *
     * @return the claim (the record's position), or {@link #FULL} if the lane has no room now.
     * @throws IllegalArgumentException if {@code length} is negative or above {@link #maxPayloadLength()}.
     */
    public long claim(final int length)
    {
        checkSendable(length);
        return claim(length, TYPE_MESSAGE);
    }

    /**
     * Claims room for a message that carries handles: {@code length} bytes of payload, which must open with
     * an attachment block (see {@link LaneDescriptor#TYPE_MESSAGE_WITH_HANDLES}). The runtime fills the block
     * with the token the supervisor issued; a message with handles keeps its place among the others.
     *
     * @return the claim, or {@link #FULL}.
     */
    public long claimWithHandles(final int length)
    {
        checkSendable(length);
        return claim(length, LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES);
    }

    /**
     * @return the offset in {@link #buffer()} where the payload of {@code claim} goes.
     */
    public long payloadOffset(final long claim)
    {
        return (claim & mask) + RECORD_HEADER_LENGTH;
    }

    /**
     * @return the ring, to write a claimed payload in place at {@link #payloadOffset}.
     */
    public MemorySegment buffer()
    {
        return ring;
    }

    /**
     * Commits a claimed message: from now on the receiver may read it.
     */
    public void commit(final long claim)
    {
        LONG.setRelease(ring, (claim & mask) + RECORD_STAMP_OFFSET, claim + 1);
        wakeReceiver();
    }

    /**
     * Gives up a claimed message: the receiver skips it.
     */
    public void abort(final long claim)
    {
        final long index = claim & mask;
        ring.set(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET, TYPE_PADDING);
        LONG.setRelease(ring, index + RECORD_STAMP_OFFSET, claim + 1);
        wakeReceiver();
    }

    /**
     * @return the most bytes a run of records may take (see {@link #claimRun}): the length of the largest record,
     * so that a run, like a record, always fits a ring its receiver has emptied.
     */
    public int maxRunLength()
    {
        return LaneDescriptor.recordLength(maxPayloadLength);
    }

    /**
     * Claims room for a run of messages at once, waiting up to {@code timeoutNanos} for room (negative: no limit):
     * one check for room and one update of the tail for the whole run, where claiming them one by one costs one of
     * each per message. The run lies in one piece of the ring (padding before it, like a record's, if it would
     * cross the ring's end). Then, in order, each message is laid out with {@link #putRecord(long, int)} (payload
     * written in place at {@link #payloadOffset}) or {@link #putRecord(long, MemorySegment, long, int)}, or all of
     * them copied at once with {@link #putRun}, and the run committed with {@link #commitRun} or given up with
     * {@link #abortRun}. The lane's format is unchanged: a run is records claimed together, each committed by its
     * own stamp, so the receiver sees each message only once it is whole, in order (docs/pipe-format.md, section 4).
     * <pre>{@code
     * long run = sender.claimRun(LaneDescriptor.recordLength(8) * 2, -1);
     * long at = sender.putRecord(run, source, 0, 8);
     * at = sender.putRecord(at, source, 8, 8);
     * sender.commitRun(run, at);
     * }</pre>
     *
     * @param runLength the sum of {@link LaneDescriptor#recordLength} of the messages' payload lengths.
     * @return the position of the run's first record, or {@link #FULL} if the time ran out.
     * @throws IllegalArgumentException if {@code runLength} is not a positive multiple of
     *                                  {@link LaneDescriptor#RECORD_ALIGNMENT} up to {@link #maxRunLength()}.
     */
    public long claimRun(final int runLength, final long timeoutNanos)
    {
        if (runLength <= 0 || runLength > maxRunLength() || (runLength & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("run length=" + runLength + " must be a positive multiple of " +
                LaneDescriptor.RECORD_ALIGNMENT + " up to the lane's maxRunLength=" + maxRunLength());
        }
        checkSendable(0);
        return claimRoomWaiting(runLength, timeoutNanos);
    }

    /**
     * Lays out a message of {@code length} bytes at position {@code at} of a claimed run (see {@link #claimRun}):
     * writes its header; its payload goes at {@link #payloadOffset payloadOffset(at)}.
     *
     * @return the position of the run's next record.
     */
    public long putRecord(final long at, final int length)
    {
        checkLength(length);
        putHeader(at & mask, length, TYPE_MESSAGE);
        return at + LaneDescriptor.recordLength(length);
    }

    /**
     * Lays out a message at position {@code at} of a claimed run (see {@link #claimRun}): its header, then
     * {@code length} bytes of {@code source} from {@code offset} as its payload.
     *
     * @return the position of the run's next record.
     */
    public long putRecord(final long at, final MemorySegment source, final long offset, final int length)
    {
        checkLength(length);
        final long index = at & mask;
        putHeader(index, length, TYPE_MESSAGE);
        MemorySegment.copy(source, offset, ring, index + RECORD_HEADER_LENGTH, length);
        return at + LaneDescriptor.recordLength(length);
    }

    /**
     * Lays out the header of a message of {@code length} bytes at {@code at} of {@code records}, a buffer of records
     * to be copied into a run whole with {@link #putRun}: as in the lane (docs/pipe-format.md, section 3), its stamp
     * word 0, which no record's commit ever stores. The payload goes at {@code at + RECORD_HEADER_LENGTH}.
     *
     * @return the offset of the next record in {@code records}.
     */
    public static long layOutRecord(final MemorySegment records, final long at, final int length)
    {
        records.set(ValueLayout.JAVA_LONG_UNALIGNED, at + RECORD_STAMP_OFFSET, 0L);
        records.set(ValueLayout.JAVA_INT_UNALIGNED, at + RECORD_LENGTH_OFFSET, length);
        records.set(ValueLayout.JAVA_INT_UNALIGNED, at + RECORD_TYPE_OFFSET, TYPE_MESSAGE);
        return at + LaneDescriptor.recordLength(length);
    }

    /**
     * Copies {@code runLength} bytes of records laid out with {@link #layOutRecord} in {@code records} from
     * {@code offset} into the run claimed at {@code at}, in one bulk copy: where {@link #putRecord} copies each
     * message on its own, whose fixed cost is most of the cost of a small one. The records are checked first
     * (messages of allowed lengths, stamp words 0, ending exactly at {@code runLength}), so that the receiver sees
     * none of them before {@link #commitRun} stores their stamps.
     *
     * @return the position after the records: what {@link #commitRun} takes as the run's end.
     * @throws IllegalArgumentException if the records are not so laid out; nothing was copied.
     */
    public long putRun(final long at, final MemorySegment records, final long offset, final int runLength)
    {
        final long end = offset + runLength;
        long record = offset;
        while (record < end)
        {
            final long stamp = records.get(ValueLayout.JAVA_LONG_UNALIGNED, record + RECORD_STAMP_OFFSET);
            final int length = records.get(ValueLayout.JAVA_INT_UNALIGNED, record + RECORD_LENGTH_OFFSET);
            final int type = records.get(ValueLayout.JAVA_INT_UNALIGNED, record + RECORD_TYPE_OFFSET);
            if (stamp != 0 || type != TYPE_MESSAGE || length < 0 || length > maxPayloadLength ||
                record + LaneDescriptor.recordLength(length) > end)
            {
                throw new IllegalArgumentException("the record at " + (record - offset) + " of a run of " + runLength +
                    " bytes (stamp=" + stamp + ", type=" + type + ", length=" + length + ") is not a message laid " +
                    "out by layOutRecord within the run; nothing was copied");
            }
            record += LaneDescriptor.recordLength(length);
        }
        MemorySegment.copy(records, offset, ring, at & mask, runLength);
        return at + runLength;
    }

    /**
     * Commits the run claimed at {@code start}, laid out up to {@code end} (what the last {@link #putRecord}, or
     * {@link #putRun}, returned): stores each record's stamp in order, so the receiver may read each message from
     * then on, then wakes the receiver once.
     *
     * @throws IllegalArgumentException if the records laid out from {@code start} do not end at {@code end}; the
     *                                  whole records before are committed, the rest is given up as padding.
     */
    public void commitRun(final long start, final long end)
    {
        long at = start;
        while (at < end)
        {
            final long index = at & mask;
            // The header this sender wrote, read back before the stamp gives the record to the receiver.
            final int length = ring.get(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET);
            final int type = ring.get(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET);
            if (type != TYPE_MESSAGE || length < 0 || length > maxPayloadLength ||
                at + LaneDescriptor.recordLength(length) > end)
            {
                abortRun(at, end);
                throw new IllegalArgumentException("run from " + start + " to " + end + ": the record at " + at +
                    " (type=" + type + ", length=" + length + ") was not laid out by putRecord or putRun, or does " +
                    "not end within the run; the rest of the run was given up");
            }
            LONG.setRelease(ring, index + RECORD_STAMP_OFFSET, at + 1);
            at += LaneDescriptor.recordLength(length);
        }
        wakeReceiver();
    }

    /**
     * Gives up the run claimed at {@code start} up to {@code end} (its claimed length added to {@code start}):
     * it becomes one padding record, which the receiver skips.
     */
    public void abortRun(final long start, final long end)
    {
        final long index = start & mask;
        putHeader(index, (int)(end - start) - RECORD_HEADER_LENGTH, TYPE_PADDING);
        LONG.setRelease(ring, index + RECORD_STAMP_OFFSET, start + 1);
        wakeReceiver();
    }

    /**
     * Sends {@code length} bytes of {@code source} from {@code offset} if the lane has room now.
     *
     * @return whether the message was sent.
     */
    public boolean trySend(final MemorySegment source, final long offset, final int length)
    {
        final long claim = claim(length);
        if (claim == FULL)
        {
            return false;
        }
        MemorySegment.copy(source, offset, ring, payloadOffset(claim), length);
        commit(claim);
        return true;
    }

    /**
     * Sends {@code length} bytes of {@code source} from {@code offset} if the lane has room now.
     *
     * @return whether the message was sent.
     */
    public boolean trySend(final byte[] source, final int offset, final int length)
    {
        final long claim = claim(length);
        if (claim == FULL)
        {
            return false;
        }
        MemorySegment.copy(source, offset, ring, ValueLayout.JAVA_BYTE, payloadOffset(claim), length);
        commit(claim);
        return true;
    }

    /**
     * Sends a message, waiting up to {@code timeoutNanos} for room (negative: no limit).
     *
     * @return whether the message was sent; {@code false} means the time ran out and nothing was sent.
     */
    public boolean send(final MemorySegment source, final long offset, final int length, final long timeoutNanos)
    {
        final long claim = claimWaiting(length, TYPE_MESSAGE, timeoutNanos);
        if (claim == FULL)
        {
            return false;
        }
        MemorySegment.copy(source, offset, ring, payloadOffset(claim), length);
        commit(claim);
        return true;
    }

    /**
     * Sends a message, waiting up to {@code timeoutNanos} for room (negative: no limit).
     *
     * @return whether the message was sent; {@code false} means the time ran out and nothing was sent.
     */
    public boolean send(final byte[] source, final int offset, final int length, final long timeoutNanos)
    {
        final long claim = claimWaiting(length, TYPE_MESSAGE, timeoutNanos);
        if (claim == FULL)
        {
            return false;
        }
        MemorySegment.copy(source, offset, ring, ValueLayout.JAVA_BYTE, payloadOffset(claim), length);
        commit(claim);
        return true;
    }

    /**
     * Ends the stream: stores the header's ended word after every message this process committed, then wakes
     * the receiver, which sees the lane end once it has read everything before. It needs no room in the ring,
     * so it never waits. Nothing can be sent afterwards; ending again does nothing.
     */
    public void endStream()
    {
        if (!ended)
        {
            ended = true;
            endLane(header, lane.headerAddress(RECEIVER_SLEEPING_OFFSET));
        }
    }

    /**
     * Stores the ended word of a lane's header and wakes its receiver if it sleeps: docs/pipe-format.md, section
     * 7. The volatile store orders every earlier commit before it and is a full fence before the load of the
     * sleeping word, as a commit's wake-up needs.
     */
    static void endLane(final MemorySegment header, final long receiverSleepingAddress)
    {
        INT.setVolatile(header, (long)ENDED_OFFSET, 1);
        if ((int)INT.getVolatile(header, (long)RECEIVER_SLEEPING_OFFSET) != 0 &&
            INT.compareAndSet(header, (long)RECEIVER_SLEEPING_OFFSET, 1, 0))
        {
            Futex.wake(receiverSleepingAddress, 1);
        }
    }

    /**
     * Ends the stream (see {@link #endStream}), then unmaps the lane and closes the handle. Closing again does
     * nothing.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                endStream();
            }
            finally
            {
                lane.close();
                closeMoving();
            }
        }
    }

    /**
     * Unmaps the lane and closes the handle <em>without</em> ending the stream: for a sending process that
     * leaves its lane to be carried on (by a restart of itself) or ended by the supervisor. Closing or releasing
     * again does nothing.
     */
    public void release()
    {
        if (!closed)
        {
            closed = true;
            lane.close();
            closeMoving();
        }
    }

    private void closeMoving()
    {
        if (moving != null)
        {
            moving.close();
            moving = null;
        }
    }

    private void checkLength(final int length)
    {
        if (length < 0 || length > maxPayloadLength)
        {
            throw new IllegalArgumentException("message length=" + length + " exceeds the lane's " +
                "maxPayloadLength=" + maxPayloadLength + " (lane capacity=" + capacity + ")");
        }
    }

    private void checkSendable(final int length)
    {
        if (length < 0 || length > maxPayloadLength)
        {
            throw new IllegalArgumentException("message length=" + length + " exceeds the lane's " +
                "maxPayloadLength=" + maxPayloadLength + " (lane capacity=" + capacity + ")");
        }
        if (ended)
        {
            throw new IllegalStateException("lane " + lane.laneId + " of pipe 0x" + Long.toHexString(lane.pipeId) +
                " was ended: nothing more can be sent on it");
        }
    }

    /**
     * As {@link #claim(int)}, waiting up to {@code timeoutNanos} for room (negative: no limit).
     *
     * @return the claim, or {@link #FULL} if the time ran out.
     */
    public long claim(final int length, final long timeoutNanos)
    {
        return claimWaiting(length, TYPE_MESSAGE, timeoutNanos);
    }

    /**
     * As {@link #claimWithHandles}, waiting up to {@code timeoutNanos} for room (negative: no limit).
     */
    public long claimWithHandles(final int length, final long timeoutNanos)
    {
        checkSendable(length);
        return claimWaiting(length, LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES, timeoutNanos);
    }

    private long claimWaiting(final int length, final int type, final long timeoutNanos)
    {
        if (type == TYPE_MESSAGE)
        {
            checkSendable(length);
        }
        final long claim = claimRoomWaiting(LaneDescriptor.recordLength(length), timeoutNanos);
        if (claim != FULL)
        {
            putHeader(claim & mask, length, type);
        }
        return claim;
    }

    /**
     * Claims {@code required} bytes of records, waiting up to {@code timeoutNanos} for room (negative: no limit):
     * spinning, then yielding, then sleeping on the sender's futex word (docs/pipe-format.md, section 6).
     *
     * @return the position of the room, or {@link #FULL} if the time ran out.
     */
    private long claimRoomWaiting(final int required, final long timeoutNanos)
    {
        long claim = claimRoom(required);
        if (claim != FULL || timeoutNanos == 0)
        {
            return claim;
        }
        final long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        for (int i = 0; i < waitStrategy.spins(); i++)
        {
            Thread.onSpinWait();
            if ((claim = claimRoom(required)) != FULL)
            {
                return claim;
            }
        }
        for (int i = 0; i < waitStrategy.yields(); i++)
        {
            Thread.yield();
            if ((claim = claimRoom(required)) != FULL)
            {
                return claim;
            }
        }
        final long sleepingWord = lane.headerAddress(SENDER_SLEEPING_OFFSET);
        while (true)
        {
            // Announce the sleep, then look again: the receiver releases, then reads this word (both with a
            // full fence between), so either it sees the 1 and wakes us, or we see its release here. A claim
            // that succeeds leaves the 1 behind on purpose: another thread may sleep on the same word, and
            // clearing it would lose that thread's wake; a stale 1 costs the next release one needless wake.
            INT.setVolatile(header, (long)SENDER_SLEEPING_OFFSET, 1);
            if ((claim = claimRoom(required)) != FULL)
            {
                return claim;
            }
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0)
            {
                return FULL;
            }
            Futex.wait(sleepingWord, 1, Math.min(remaining, LaneDescriptor.MAX_SLEEP_NANOS));
        }
    }

    /**
     * Claims a record now, or returns {@link #FULL}.
     */
    private long claim(final int length, final int type)
    {
        final long claim = claimRoom(LaneDescriptor.recordLength(length));
        if (claim != FULL)
        {
            putHeader(claim & mask, length, type);
        }
        return claim;
    }

    private void putHeader(final long index, final int length, final int type)
    {
        ring.set(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET, length);
        ring.set(ValueLayout.JAVA_INT, index + RECORD_TYPE_OFFSET, type);
    }

    /**
     * Claims {@code required} bytes of records (one record, or a run) now, or returns {@link #FULL}. The common case
     * (an exclusive sender with room before the ring's end, as far as its cached head tells) stays small enough for
     * the JIT to inline; the rest is {@link #claimRoomSlowly}.
     */
    private long claimRoom(final int required)
    {
        final long at = ownTail;
        if (shortClaims && required <= capacity - (int)(at & mask) && at + required - headCache <= capacity)
        {
            ownTail = at + required;
            LONG.setRelease(header, (long)TAIL_OFFSET, at + required);
            return at;
        }
        return claimRoomSlowly(required);
    }

    private long claimRoomSlowly(final int required)
    {
        boolean refreshed = false;
        long tail;
        int padding;
        while (true)
        {
            // The head is read before the tail: any head once stored was at most the tail then, and the tail only
            // grows, so head <= tail here unless someone scribbled over the lane.
            final long head = headCache;
            tail = exclusive ? ownTail : (long)LONG.getVolatile(header, (long)TAIL_OFFSET);
            if ((tail & (LaneDescriptor.RECORD_ALIGNMENT - 1)) != 0 || tail < head)
            {
                throw corrupt("tail=" + tail + ", head=" + head + ": the tail must be a multiple of " +
                    LaneDescriptor.RECORD_ALIGNMENT + " and not behind the head");
            }
            final int index = (int)(tail & mask);
            final int toEnd = capacity - index;
            padding = required > toEnd ? toEnd : 0;
            final long needed = (long)padding + required;
            if (needed > capacity - (tail - head))
            {
                if (refreshed)
                {
                    return FULL;
                }
                headCache = roomHead(header);
                refreshed = true;
                continue;
            }
            if (exclusive)
            {
                ownTail = tail + needed;
                LONG.setRelease(header, (long)TAIL_OFFSET, tail + needed);
                break;
            }
            if (LONG.compareAndSet(header, (long)TAIL_OFFSET, tail, tail + needed))
            {
                break;
            }
        }
        if (padding > 0)
        {
            final long index = tail & mask;
            putHeader(index, padding - RECORD_HEADER_LENGTH, TYPE_PADDING);
            LONG.setRelease(ring, index + RECORD_STAMP_OFFSET, tail + 1);
        }
        return tail + padding;
    }

    /**
     * The position this sender may fill up to a capacity beyond (docs/pipe-format.md §4, §5.1): the head, or a tap's
     * position if a tap holds an earlier one. The head is loaded first, and the tap's word after it with a full load,
     * so that a sender that finds no tap read the head before the tap attached: a tap that starts at a head it reads
     * after attaching can never find its records overwritten.
     */
    static long roomHead(final MemorySegment header)
    {
        final long head = (long)LONG.getAcquire(header, (long)HEAD_OFFSET);
        final long tap = (long)LONG.getVolatile(header, (long)LaneDescriptor.TAP_HEAD_OFFSET);
        return tap > 0 && tap - 1 < head ? tap - 1 : head;
    }

    private IllegalStateException corrupt(final String reason)
    {
        return new IllegalStateException("lane " + lane.laneId + " of pipe 0x" + Long.toHexString(lane.pipeId) +
            " is corrupt, nothing was sent: " + reason);
    }

    private void wakeReceiver()
    {
        // Pairs with the receiver's announce-then-recheck: the stamp store above must be visible before this
        // load, or both sides could miss each other. Either this side fences, or (registered) the receiver's
        // membarrier fences this thread for it before its last look. The opaque load is a compiler barrier.
        if (!ASYMMETRIC_WAKE)
        {
            VarHandle.fullFence();
        }
        if ((int)INT.getOpaque(header, (long)RECEIVER_SLEEPING_OFFSET) != 0 &&
            INT.compareAndSet(header, (long)RECEIVER_SLEEPING_OFFSET, 1, 0))
        {
            Futex.wake(lane.headerAddress(RECEIVER_SLEEPING_OFFSET), 1);
        }
    }

    @Override
    public String toString()
    {
        return "LaneSender{pipe=0x" + Long.toHexString(lane.pipeId) + ", lane=" + lane.laneId + ", capacity=" +
            capacity + "}";
    }
}
