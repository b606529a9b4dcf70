package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Processes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

import static io.trindle.ipc.BroadcastDescriptor.CURSOR_ABSENT;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_POSITION_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_SLEEPING_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.GATE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.HEADER_LENGTH;
import static io.trindle.ipc.BroadcastDescriptor.NEXT_SEQUENCE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.OLDEST_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.POLICY_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.POLICY_SLOWEST_READER;
import static io.trindle.ipc.BroadcastDescriptor.RECORD_HEADER_LENGTH;
import static io.trindle.ipc.BroadcastDescriptor.RECORD_LENGTH_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.RECORD_SEQUENCE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.RECORD_TYPE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.SCAN_EPOCH_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.SIGNAL_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.STATE_ENDED;
import static io.trindle.ipc.BroadcastDescriptor.STATE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.STATE_OPEN;
import static io.trindle.ipc.BroadcastDescriptor.TAIL_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.TYPE_MESSAGE;
import static io.trindle.ipc.BroadcastDescriptor.TYPE_PADDING;
import static io.trindle.ipc.BroadcastDescriptor.WRITER_PID_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.WRITER_WAITING_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.recordLength;
import static io.trindle.ipc.Broadcast.LE_INT;
import static io.trindle.ipc.Broadcast.LE_LONG;
import static io.trindle.ipc.Broadcast.LE_SHORT;
import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.Lane.LONG;

/**
 * The one writer of a broadcast (docs/broadcast-format.md §4): writes each message once, for every reader. Under
 * {@code slowest-reader} it waits for the slowest joined reader before overwriting what that reader has not read;
 * under {@code lap} it never waits. One thread writes at a time.
 *
 * <p>The fast path writes the record, publishes the tail and looks at each reader's sleeping word; it reads the
 * readers' positions only when its last bound (a scan) would be passed, about once a lap.
 */
public final class BroadcastWriter implements AutoCloseable
{
    /** How many scans a writer out of room spins through before it sleeps on the slowest reader. */
    private static final int SPINS = 200;
    /** The longest single sleep: the protocol needs no timeout; this only bounds the cost of a bug. */
    private static final long SLEEP_NANOS = 1_000_000_000L;

    private final String name;
    private final Mapping ringMapping;
    private final Mapping[] cursorMappings;
    private final MemorySegment header;
    private final MemorySegment ring;
    private final MemorySegment[] cursors;
    private final int capacity;
    private final int mask;
    private final int maxPayloadLength;
    private final boolean slowestReader;
    private long tail;
    /** Where the message {@link #claim} made room for ends: the tail once it is committed. */
    private long claimedEnd;
    private long nextSequence;
    private long oldest;
    private long scanEpoch;
    /** The writer may write up to {@code limit + capacity}: the least position its last scan found. */
    private long limit;
    private int slowest = -1;
    private boolean closed;

    private BroadcastWriter(final String name, final Mapping ringMapping, final Mapping[] cursorMappings,
        final int capacity)
    {
        this.name = name;
        this.ringMapping = ringMapping;
        this.cursorMappings = cursorMappings;
        final MemorySegment file = ringMapping.memory();
        this.header = file.asSlice(0, HEADER_LENGTH);
        this.ring = file.asSlice(HEADER_LENGTH, capacity);
        this.cursors = new MemorySegment[cursorMappings.length];
        for (int i = 0; i < cursors.length; i++)
        {
            cursors[i] = cursorMappings[i].memory();
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxPayloadLength = BroadcastDescriptor.maxPayloadLength(capacity);
        this.slowestReader = header.get(LE_SHORT, POLICY_OFFSET) == POLICY_SLOWEST_READER;
        // A restarted writer carries on where the last one published; what it left half written is past the tail.
        this.tail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        this.nextSequence = header.get(LE_LONG, NEXT_SEQUENCE_OFFSET);
        this.oldest = (long)LONG.getAcquire(header, (long)OLDEST_OFFSET);
        final long epoch = (long)LONG.getAcquire(header, (long)SCAN_EPOCH_OFFSET);
        this.scanEpoch = (epoch & 1) == 0 ? epoch : epoch + 1;
        LONG.setRelease(header, (long)SCAN_EPOCH_OFFSET, scanEpoch);
        INT.setVolatile(header, (long)WRITER_WAITING_OFFSET, 0);
        header.set(LE_INT, WRITER_PID_OFFSET, Processes.getpid());
        INT.setRelease(header, (long)STATE_OFFSET, STATE_OPEN);
        this.limit = slowestReader ? scan() : Long.MAX_VALUE / 2;
    }

    /**
     * Opens the broadcast as its writer: maps the ring read-write and every reader's cursor read-only.
     *
     * @param name    the broadcast's name, for messages.
     * @param ring    the ring file's handle, with SEND.
     * @param cursors one read-only handle per reader slot, in slot order.
     * @throws RightsException if {@code ring} lacks SEND.
     * @throws IllegalStateException if the file is no broadcast (naming the field).
     */
    public static BroadcastWriter open(final String name, final Handle ring, final List<Handle> cursors)
    {
        if (!ring.rights().contains(Right.SEND))
        {
            throw new RightsException("broadcast '" + name + "': writing needs SEND, and this handle has " +
                ring.rights());
        }
        final Mapping ringMapping = Mapping.map(ring.fd(), 0, ring.size(), Memory.PROT_READ | Memory.PROT_WRITE);
        final Mapping[] cursorMappings = new Mapping[cursors.size()];
        try
        {
            final int capacity = Broadcast.checkHeader(ringMapping.memory(), ring.size(), name);
            for (int i = 0; i < cursorMappings.length; i++)
            {
                cursorMappings[i] = Mapping.map(cursors.get(i).fd(), 0, BroadcastDescriptor.CURSOR_LENGTH,
                    Memory.PROT_READ);
            }
            return new BroadcastWriter(name, ringMapping, cursorMappings, capacity);
        }
        catch (final RuntimeException e)
        {
            ringMapping.close();
            for (final Mapping mapping : cursorMappings)
            {
                if (mapping != null)
                {
                    mapping.close();
                }
            }
            throw e;
        }
    }

    /** @return the broadcast's name. */
    public String name()
    {
        return name;
    }

    /** @return the largest message it takes: an eighth of the ring, less a record header. */
    public int maxPayloadLength()
    {
        return maxPayloadLength;
    }

    /** @return how many messages it has published, over every writer of this broadcast: the next one's sequence. */
    public long published()
    {
        return nextSequence;
    }

    /**
     * Writes one message for every reader; under {@code slowest-reader}, first waits for room.
     *
     * @return the message's sequence number.
     * @throws IllegalArgumentException if {@code length} is over {@link #maxPayloadLength()}.
     */
    public long send(final byte[] bytes, final int offset, final int length)
    {
        final int index = claim(length);
        MemorySegment.copy(bytes, offset, ring, ValueLayout.JAVA_BYTE, index + RECORD_HEADER_LENGTH, length);
        return commit();
    }

    /**
     * Writes {@code length} bytes of {@code source} from {@code offset} as one message.
     *
     * @return the message's sequence number.
     */
    public long send(final MemorySegment source, final long offset, final int length)
    {
        final int index = claim(length);
        MemorySegment.copy(source, offset, ring, index + RECORD_HEADER_LENGTH, length);
        return commit();
    }

    /**
     * Makes room for a message of {@code length} bytes (§4 steps 1 to 3: waiting under slowest-reader, moving
     * {@code oldest}, padding the ring's end) and writes its record header; {@link #commit} publishes it once the
     * caller has copied the payload in.
     *
     * @return where the record starts in the ring.
     */
    private int claim(final int length)
    {
        if (length < 0 || length > maxPayloadLength || closed)
        {
            throw refused(length);
        }
        final int record = recordLength(length);
        int index = (int)(tail & mask);
        final int room = capacity - index;
        final long end = tail + (room >= record ? record : room + record);
        if (slowestReader && end - capacity > limit)
        {
            awaitRoom(end);
        }
        if (end - capacity > oldest)
        {
            moveOldest(end - capacity);
        }
        if (room < record)
        {
            ring.set(LE_INT, index + RECORD_LENGTH_OFFSET, room - RECORD_HEADER_LENGTH);
            ring.set(LE_INT, index + RECORD_TYPE_OFFSET, TYPE_PADDING);
            ring.set(LE_LONG, index + RECORD_SEQUENCE_OFFSET, 0L);
            index = 0;
        }
        ring.set(LE_INT, index + RECORD_LENGTH_OFFSET, length);
        ring.set(LE_INT, index + RECORD_TYPE_OFFSET, TYPE_MESSAGE);
        ring.set(LE_LONG, index + RECORD_SEQUENCE_OFFSET, nextSequence);
        claimedEnd = end;
        return index;
    }

    /** Publishes the message claimed last (§4 steps 5 and 6). @return its sequence number. */
    private long commit()
    {
        final long sequence = nextSequence;
        nextSequence = sequence + 1;
        header.set(LE_LONG, NEXT_SEQUENCE_OFFSET, nextSequence);
        tail = claimedEnd;
        LONG.setRelease(header, (long)TAIL_OFFSET, claimedEnd);
        // Pairs with a reader's fence between raising its sleeping word and looking at the tail again (§5.3).
        VarHandle.fullFence();
        if (cursors.length > 0)
        {
            wakeSleepers();
        }
        return sequence;
    }

    private IllegalArgumentException refused(final int length)
    {
        return closed ? new IllegalArgumentException("broadcast '" + name + "' is closed for writing") :
            new IllegalArgumentException("broadcast '" + name + "': a message of " + length + " bytes does not " +
                "fit: length=" + length + ", largest=" + maxPayloadLength + " (an eighth of the ring, less 16)");
    }

    /**
     * Moves {@code oldest} past every record that starts below {@code bound}, before any byte is overwritten, and on by
     * an eighth of the ring more where it may (up to the tail; under slowest-reader up to the limit, below which no
     * joined reader is): so the word readers check after every copy changes once an eighth of the ring, not at every
     * message (docs/broadcast-format.md §4 step 3).
     */
    private void moveOldest(final long bound)
    {
        final long most = slowestReader ? Math.min(limit, tail) : tail;
        final long target = Math.max(bound, Math.min(bound + capacity / BroadcastDescriptor.OLDEST_STEP_DIVISOR, most));
        long position = oldest;
        while (position < target)
        {
            final int index = (int)(position & mask);
            final int length = ring.get(LE_INT, index + RECORD_LENGTH_OFFSET);
            position += ring.get(LE_INT, index + RECORD_TYPE_OFFSET) == TYPE_PADDING ?
                RECORD_HEADER_LENGTH + length : recordLength(length);
        }
        oldest = position;
        LONG.setRelease(header, (long)OLDEST_OFFSET, position);
        VarHandle.storeStoreFence();
    }

    /**
     * Reads every joined reader's position (§4.2) between an odd and an even scan epoch, so that a reader joining
     * meanwhile knows whether this scan saw it.
     *
     * @return the least of those positions and the tail.
     */
    private long scan()
    {
        LONG.setRelease(header, (long)SCAN_EPOCH_OFFSET, ++scanEpoch);
        VarHandle.fullFence();
        long least = tail;
        slowest = -1;
        for (int i = 0; i < cursors.length; i++)
        {
            final long position = (long)LONG.getAcquire(cursors[i], (long)CURSOR_POSITION_OFFSET);
            if (position != CURSOR_ABSENT && position < least)
            {
                least = position;
                slowest = i;
            }
        }
        header.set(LE_LONG, GATE_OFFSET, least);
        LONG.setRelease(header, (long)SCAN_EPOCH_OFFSET, ++scanEpoch);
        limit = least;
        return least;
    }

    /** Waits until no joined reader is below {@code end - capacity} (§4.3). */
    private void awaitRoom(final long end)
    {
        int spins = 0;
        while (end - capacity > scan())
        {
            if (spins++ < SPINS)
            {
                Thread.onSpinWait();
                continue;
            }
            final MemorySegment cursor = cursors[slowest];
            final long seen = limit;
            INT.setVolatile(header, (long)WRITER_WAITING_OFFSET, 1);
            VarHandle.fullFence();
            if ((long)LONG.getAcquire(cursor, (long)CURSOR_POSITION_OFFSET) == seen)
            {
                Futex.wait(cursor.address() + CURSOR_POSITION_OFFSET, (int)seen, SLEEP_NANOS);
            }
            INT.setVolatile(header, (long)WRITER_WAITING_OFFSET, 0);
        }
    }

    /** Wakes the readers asleep on the signal's present value, if any (§4 step 6); one woken already is not again. */
    private void wakeSleepers()
    {
        final int signal = (int)INT.getAcquire(header, (long)SIGNAL_OFFSET);
        for (final MemorySegment cursor : cursors)
        {
            if ((int)INT.getAcquire(cursor, (long)CURSOR_SLEEPING_OFFSET) != 0 &&
                (int)INT.getAcquire(cursor, (long)BroadcastDescriptor.CURSOR_SLEEP_SIGNAL_OFFSET) == signal)
            {
                wakeReaders();
                return;
            }
        }
    }

    private void wakeReaders()
    {
        INT.getAndAdd(header, (long)SIGNAL_OFFSET, 1);
        Futex.wake(header.address() + SIGNAL_OFFSET, Integer.MAX_VALUE);
    }

    /** Ends the stream: readers that have read everything learn that nothing more comes. Idempotent. */
    public void end()
    {
        if (!closed)
        {
            closed = true;
            INT.setRelease(header, (long)STATE_OFFSET, STATE_ENDED);
            VarHandle.fullFence();
            wakeReaders();
        }
    }

    /** Unmaps it without ending the stream: a writer started again carries on. */
    @Override
    public void close()
    {
        closed = true;
        ringMapping.close();
        for (final Mapping mapping : cursorMappings)
        {
            mapping.close();
        }
    }
}
