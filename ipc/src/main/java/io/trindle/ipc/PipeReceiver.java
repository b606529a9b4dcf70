package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.LaneDescriptor.RECEIVER_SLEEPING_OFFSET;

/**
 * The receiving end of one or more pipes: reads the messages of all their lanes (one per sender) into an
 * {@link Inbox},
 * fairly — each pass takes at most one message from each lane in turn, starting one lane further each
 * batch, so no lane starves another.
 *
 * <p>A lane found broken is reported to the {@link LaneFaultListener}, marked {@link LaneState#CORRUPT} and
 * no longer read; the others go on. A lane whose sender ended its stream is {@link LaneState#ENDED} once
 * drained; when every lane has ended (or broken), {@link #receive} returns {@link #END_OF_STREAM}.
 *
 * <p>Waiting: {@link #receive} polls, spins and yields as its {@link WaitStrategy} says, then announces on every
 * open lane that it sleeps and sleeps in one {@code futex_waitv} call on all of them (up to
 * 128 lanes; with more, it also wakes every millisecond to look). Receiving
 * allocates nothing. One thread receives (one receiver per pipe, the Trindle rule).
 *
 * <p>Longer than the ~400 lines a class here should stay under, on purpose: opening lanes, the fair batch and the
 * announce-then-sleep handshake are one protocol (docs/pipe-format.md §5, §6) that reads best in one place; one
 * lane's checks live apart, in {@link LaneReader}.
 */
public final class PipeReceiver implements AutoCloseable
{
    /** What {@link #receive} returns when every lane has ended and been drained. */
    public static final int END_OF_STREAM = -1;

    private static final long POLL_WHEN_TOO_MANY_LANES_NANOS = 1_000_000L;
    /** For {@link #addLane(Handle, int)}: the lane may have any id. */
    private static final int ANY_LANE_ID = -1;

    private final LaneFaultListener faultListener;
    private final WaitStrategy waitStrategy;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment waiters =
        arena.allocate(Futex.FUTEX_WAITV_LENGTH * Futex.FUTEX_WAITV_MAX, 8);
    private LaneReader[] readers = new LaneReader[0];
    /** New lanes given for lanes that move, until their moved records are read (docs/pipe-format.md §9). */
    private final LaneMoves moves = new LaneMoves();
    /** Lanes left for the lanes they moved to: each closes itself once released, or when this receiver closes. */
    private final List<LaneReader> moved = new ArrayList<>();
    /** Lanes added while the pipe runs ({@link #laneAdded}), until the receiving thread takes them in. */
    private final ConcurrentLinkedQueue<Handle> added =
        new ConcurrentLinkedQueue<>();
    /** Their lane ids, in the same order. */
    private final ConcurrentLinkedQueue<Integer> addedIds =
        new ConcurrentLinkedQueue<>();
    /** How many lanes were added and not yet taken in: read at each poll, a plain load on x86-64. */
    private volatile int adding;
    /** How many moved records were followed: a sleep announced before one must not wait on an old lane's word. */
    private long follows;
    private int nextLane;
    private boolean closed;

    private PipeReceiver(final LaneFaultListener faultListener, final WaitStrategy waitStrategy)
    {
        this.faultListener = faultListener;
        this.waitStrategy = waitStrategy;
    }

    /**
     * @param lanes         lane handles with {@link Right#RECEIVE}, of one pipe or several; the receiver owns
     *                      them.
     * @param faultListener told of each lane found broken; may be {@code null}.
     */
    public static PipeReceiver open(final List<Handle> lanes, final LaneFaultListener faultListener)
    {
        return open(lanes, faultListener, WaitStrategy.DEFAULT);
    }

    /**
     * @param lanes         lane handles with {@link Right#RECEIVE}, of one pipe or several; the receiver owns
     *                      them.
     * @param faultListener told of each lane found broken; may be {@code null}.
     * @param waitStrategy  how {@link #receive} waits.
     */
    public static PipeReceiver open(final List<Handle> lanes, final LaneFaultListener faultListener,
        final WaitStrategy waitStrategy)
    {
        final PipeReceiver receiver = new PipeReceiver(faultListener, waitStrategy);
        try
        {
            for (final Handle lane : lanes)
            {
                receiver.addLane(lane);
            }
        }
        catch (final RuntimeException e)
        {
            receiver.close();
            for (final Handle lane : lanes)
            {
                lane.close();
            }
            throw e;
        }
        return receiver;
    }

    /**
     * Adds the lane of a new sender. Needs {@link Right#RECEIVE}; the receiver owns the handle from now on. A
     * lane whose header fails the checks (its sender may have scribbled over it) is set aside as it would be
     * later: reported to the fault listener, {@link LaneState#CORRUPT}, never read; the other lanes go on.
     *
     * @throws IllegalArgumentException if the lane is already here, or the handle is not a pipe's with RECEIVE.
     */
    public void addLane(final Handle handle)
    {
        addLane(handle, ANY_LANE_ID);
    }

    /**
     * As {@link #addLane(Handle)}, for a lane that must be lane {@code laneId} of its pipe, as its grant says (the
     * i-th handle of a receive grant is lane i): a lane whose header names another id — its sender rewrote it, to
     * pass for another lane — is set aside as broken too.
     */
    public void addLane(final Handle handle, final int laneId)
    {
        checkOpen();
        final long pipeId = handle.objectId();
        final Lane lane;
        try
        {
            lane = Lane.map(handle, Right.RECEIVE);
        }
        catch (final MalformedMessageException e)
        {
            addReader(LaneReader.broken(pipeId, e.getMessage(), faultListener));
            return;
        }
        if (laneId != ANY_LANE_ID && lane.laneId != laneId)
        {
            final String reason = "lane of " + handle.describe() + " names itself lane " + lane.laneId +
                ", but was granted as lane " + laneId;
            lane.close();
            addReader(LaneReader.broken(pipeId, reason, faultListener));
            return;
        }
        for (final LaneReader reader : readers)
        {
            if (reader.pipeId == lane.pipeId && reader.laneId == lane.laneId)
            {
                lane.close();
                throw new IllegalArgumentException("lane " + lane.laneId + " of pipe 0x" +
                    Long.toHexString(lane.pipeId) + " is already being received");
            }
        }
        addReader(new LaneReader(lane, faultListener, moves));
    }

    /**
     * Gives this receiver the lane that lane {@code laneId} of pipe {@code pipeId} moves to when its pipe is resized
     * (docs/pipe-format.md §9): the receiver reads it once it has read the old lane up to its moved record, whose
     * generation must be {@code generation}. Needs {@link Right#RECEIVE}; the receiver owns the handle from now on.
     * Any thread may call it, also while another receives; the receiving thread looks again within
     * {@link LaneDescriptor#MAX_SLEEP_NANOS} if it waits at the moved record already.
     */
    public void laneMoving(final long pipeId, final int laneId, final int generation, final Handle handle)
    {
        if (handle.kind() != ObjectKind.PIPE || handle.objectId() != pipeId)
        {
            handle.close();
            throw new IllegalArgumentException("the lane that lane " + laneId + " of pipe 0x" +
                Long.toHexString(pipeId) + " moves to must be a lane of that pipe, not " + handle.describe());
        }
        moves.add(pipeId, laneId, generation, handle);
    }

    /**
     * Gives this receiver a lane added to a pipe while it runs (the control protocol's <em>lane added</em>): the
     * receiving thread takes it in at its next poll, and reads it as any other. Any thread may call it. Needs
     * {@link Right#RECEIVE}; the receiver owns the handle from now on.
     */
    public synchronized void laneAdded(final Handle handle, final int laneId)
    {
        added.add(handle);
        addedIds.add(laneId);
        adding = adding + 1;
    }

    /** Takes in the lanes {@link #laneAdded} gave, on the receiving thread. */
    private synchronized void takeAdded()
    {
        Handle handle;
        while ((handle = added.poll()) != null)
        {
            addLane(handle, addedIds.poll());
        }
        adding = 0;
    }

    private void addReader(final LaneReader reader)
    {
        readers = Arrays.copyOf(readers, readers.length + 1);
        readers[readers.length - 1] = reader;
    }

    /** @return the number of lanes. */
    public int laneCount()
    {
        return readers.length;
    }

    /**
     * @return the state of lane {@code laneId}, when only one pipe here has a lane of that id.
     * @throws IllegalArgumentException if no such lane is here, or several pipes have one.
     */
    public LaneState laneState(final int laneId)
    {
        return reader(laneId).state();
    }

    /**
     * @return the state of lane {@code laneId} of pipe {@code pipeId}.
     * @throws IllegalArgumentException if no such lane is here.
     */
    public LaneState laneState(final long pipeId, final int laneId)
    {
        return reader(pipeId, laneId).state();
    }

    /**
     * @return why lane {@code laneId} was found broken, or {@code null} if it was not.
     */
    public String laneFault(final int laneId)
    {
        return reader(laneId).fault();
    }

    /**
     * Fills {@code inbox} with what is waiting now, fairly across lanes, without waiting.
     *
     * @return the number of messages added.
     */
    public int poll(final Inbox inbox)
    {
        checkOpen();
        if (adding != 0)
        {
            takeAdded();
        }
        final LaneReader[] lanes = readers;
        final int count = lanes.length;
        if (count == 0 || inbox.isFull())
        {
            return 0;
        }
        if (count == 1)
        {
            final int added = inbox.fill(lanes[0]);
            // Its sender moved to a new lane: read on there (a lane that moved again is followed at the next poll).
            // Not by calling poll again: a recursive poll keeps the JIT from compiling the empty look as tightly.
            return added == 0 && lanes[0].successor != null ? inbox.fill(follow(0)) : added;
        }
        final int start = nextLane;
        nextLane = start + 1 >= count ? 0 : start + 1;
        int added = 0;
        boolean progress = true;
        while (progress)
        {
            progress = false;
            for (int k = 0, i = start; k < count; k++, i = i + 1 == count ? 0 : i + 1)
            {
                if (lanes[i].next(inbox.nextSlot()) >= 0)
                {
                    inbox.added();
                    added++;
                    progress = true;
                    if (inbox.isFull())
                    {
                        return added;
                    }
                }
                else if (lanes[i].successor != null)
                {
                    lanes[i] = follow(i);
                    progress = true;
                }
            }
        }
        return added;
    }

    /** Reads lane {@code i}'s successor in its place, from now on: its sender moved there. */
    private LaneReader follow(final int i)
    {
        final LaneReader old = readers[i];
        readers[i] = old.successor;
        old.successor = null;
        moved.add(old);
        moved.removeIf(LaneReader::isClosed);
        follows++;
        return readers[i];
    }

    /**
     * Fills {@code inbox}, waiting up to {@code timeoutNanos} (negative: no limit) for at least one message.
     *
     * @return the number of messages added (0 when the time ran out), or {@link #END_OF_STREAM} once every lane
     * has ended or broken and nothing is left.
     */
    public int receive(final Inbox inbox, final long timeoutNanos)
    {
        if (inbox.isFull())
        {
            return 0; // nothing fits: waiting would only wait out the timeout
        }
        int added = poll(inbox);
        if (added > 0)
        {
            return added;
        }
        if (allStopped())
        {
            return END_OF_STREAM;
        }
        final long deadline = timeoutNanos < 0 ? -1 : System.nanoTime() + timeoutNanos;
        for (int i = 0; i < waitStrategy.spins(); i++)
        {
            Thread.onSpinWait();
            if ((added = poll(inbox)) > 0)
            {
                return added;
            }
            if ((i & 1023) == 1023 && (allStopped() || expired(deadline)))
            {
                return allStopped() ? END_OF_STREAM : 0;
            }
        }
        for (int i = 0; i < waitStrategy.yields(); i++)
        {
            Thread.yield();
            if ((added = poll(inbox)) > 0)
            {
                return added;
            }
        }
        while (true)
        {
            if (allStopped())
            {
                return END_OF_STREAM;
            }
            if (expired(deadline))
            {
                return 0;
            }
            final int waiting = announceSleep();
            final long followed = follows;
            // Senders that registered for it skip their fence after a commit: force one on them now, before
            // the last look, so that a message committed before it is seen below (docs/pipe-format.md §6).
            Futex.membarrierGlobalExpedited();
            // Announce, then look again: a sender commits, then reads the word (a full fence between), so
            // either it sees our 1 and wakes us, or we see its message here.
            added = poll(inbox);
            // A lane followed its moved record meanwhile: the words announced may be unmapped now; look again.
            if (added == 0 && follows == followed)
            {
                final long now = System.nanoTime();
                long wakeBy = deadline < 0 ? now + LaneDescriptor.MAX_SLEEP_NANOS :
                    Math.min(deadline, now + LaneDescriptor.MAX_SLEEP_NANOS);
                if (waiting == 0 || waiting < openLanes())
                {
                    // No lane to sleep on (none yet), or more open lanes than one futex_waitv takes: look again
                    // every millisecond.
                    wakeBy = Math.min(wakeBy, now + POLL_WHEN_TOO_MANY_LANES_NANOS);
                }
                if (waiting > 0)
                {
                    Futex.waitv(waiters.address(), waiting, wakeBy);
                }
                else
                {
                    LockSupport.parkNanos(wakeBy - System.nanoTime());
                }
            }
            cancelSleep();
            added = added > 0 ? added : poll(inbox);
            if (added > 0)
            {
                return added;
            }
        }
    }

    /**
     * Clears a record on lane {@code laneId} that was claimed but never committed, because its sender died
     * mid-send, so the lane moves on past it (Agrona calls this unblocking). Call it only when that sender is
     * known to be dead or stuck.
     *
     * @return whether anything was cleared.
     */
    public boolean unblock(final int laneId)
    {
        return reader(laneId).unblock();
    }

    /** Unmaps every lane and closes their handles. Messages not released stay in the lanes. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            for (final LaneReader reader : readers)
            {
                reader.close();
            }
            moved.forEach(LaneReader::close);
            moves.close();
            readers = new LaneReader[0];
            arena.close();
        }
    }

    private boolean allStopped()
    {
        if (readers.length == 0 || adding != 0)
        {
            return false;
        }
        for (final LaneReader reader : readers)
        {
            if (reader.state() == LaneState.OPEN)
            {
                return false;
            }
        }
        return true;
    }

    private int openLanes()
    {
        int open = 0;
        for (final LaneReader reader : readers)
        {
            if (reader.state() == LaneState.OPEN)
            {
                open++;
            }
        }
        return open;
    }

    private static boolean expired(final long deadline)
    {
        return deadline >= 0 && System.nanoTime() - deadline >= 0;
    }

    /** @return the number of lanes this receiver will sleep on, each now marked "receiver sleeping". */
    private int announceSleep()
    {
        int count = 0;
        for (final LaneReader reader : readers)
        {
            if (reader.state() != LaneState.OPEN || count == Futex.FUTEX_WAITV_MAX)
            {
                continue;
            }
            INT.setVolatile(reader.header, (long)RECEIVER_SLEEPING_OFFSET, 1);
            reader.wakeSenders(); // on the way to sleep anyway: repair a wake-up lost to a dead receiver
            final long entry = count * Futex.FUTEX_WAITV_LENGTH;
            waiters.set(ValueLayout.JAVA_LONG, entry + Futex.FUTEX_WAITV_VAL_OFFSET, 1L);
            waiters.set(ValueLayout.JAVA_LONG, entry + Futex.FUTEX_WAITV_UADDR_OFFSET,
                reader.lane.headerAddress(RECEIVER_SLEEPING_OFFSET));
            waiters.set(ValueLayout.JAVA_INT, entry + Futex.FUTEX_WAITV_FLAGS_OFFSET, Futex.FUTEX2_SIZE_U32);
            count++;
        }
        return count;
    }

    /** Clears every "receiver sleeping" word, so senders stop making wake-up calls while this side is awake. */
    private void cancelSleep()
    {
        for (final LaneReader reader : readers)
        {
            if (reader.state() == LaneState.OPEN)
            {
                INT.setRelease(reader.header, (long)RECEIVER_SLEEPING_OFFSET, 0);
            }
        }
    }

    private LaneReader reader(final int laneId)
    {
        LaneReader found = null;
        for (final LaneReader reader : readers)
        {
            if (reader.laneId == laneId)
            {
                if (found != null)
                {
                    throw new IllegalArgumentException("lane " + laneId + " exists in pipes 0x" +
                        Long.toHexString(found.pipeId) + " and 0x" + Long.toHexString(reader.pipeId) +
                        ": name the pipe too");
                }
                found = reader;
            }
        }
        if (found == null)
        {
            throw new IllegalArgumentException("no lane " + laneId + " in this receiver");
        }
        return found;
    }

    private LaneReader reader(final long pipeId, final int laneId)
    {
        for (final LaneReader reader : readers)
        {
            if (reader.pipeId == pipeId && reader.laneId == laneId)
            {
                return reader;
            }
        }
        throw new IllegalArgumentException("no lane " + laneId + " of pipe 0x" + Long.toHexString(pipeId) +
            " in this receiver");
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("this pipe receiver was closed");
        }
    }
}
