package io.trindle.ipc;

import io.trindle.ipc.linux.Futex;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Processes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.trindle.ipc.BroadcastDescriptor.CURSOR_ABSENT;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_DELIVERED_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_LENGTH;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_LOST_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_PID_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_POSITION_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.CURSOR_SLEEPING_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.GATE_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.HEADER_LENGTH;
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
import static io.trindle.ipc.BroadcastDescriptor.WRITER_WAITING_OFFSET;
import static io.trindle.ipc.BroadcastDescriptor.recordLength;
import static io.trindle.ipc.Broadcast.LE_INT;
import static io.trindle.ipc.Broadcast.LE_LONG;
import static io.trindle.ipc.Broadcast.LE_SHORT;
import static io.trindle.ipc.Lane.INT;
import static io.trindle.ipc.Lane.LONG;

/**
 * One reader of a broadcast (docs/broadcast-format.md §5): maps the ring read-only (the kernel refuses it a writable
 * mapping) and its own cursor read-write, and reads every message at its own pace. Each message is copied out of the
 * ring and checked afterwards against the writer's {@code oldest} position, so a reader the writer lapped under the
 * {@code lap} policy never takes a torn message: it goes on from the oldest one still there and counts exactly how
 * many it lost. One thread reads at a time.
 */
public final class BroadcastReader implements AutoCloseable
{
    /** What {@link #read} returns once the writer has ended the stream and everything was read. */
    public static final int END = -1;
    /** What {@link #read} returns once the writer's process is gone for good, having not ended the stream. */
    public static final int WRITER_GONE = -2;

    /** Where a reader starts when it joins. */
    public enum From
    {
        /** With the next message written. */
        NOW,
        /** With the oldest message still in the ring. */
        OLDEST
    }

    /** Takes each message: {@code buffer} holds it from 0 for {@code length} bytes until the handler returns. */
    @FunctionalInterface
    public interface Handler
    {
        void onMessage(MemorySegment buffer, int length, long sequence);
    }

    /** As libtrindle's TRINDLE_WAIT_SPINS and _YIELDS: a few microseconds of spinning before a futex sleep. */
    private static final int SPINS = 2000;
    private static final int YIELDS = 50;

    private final String name;
    private final Mapping ringMapping;
    private final Mapping cursorMapping;
    private final MemorySegment header;
    private final MemorySegment ring;
    private final MemorySegment cursor;
    private final MemorySegment buffer;
    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final int mask;
    private final int maxPayloadLength;
    private final boolean slowestReader;
    private boolean joined;
    private long position;
    private long expected;
    private boolean deliveredAny;
    private long delivered;
    private long lost;

    private BroadcastReader(final String name, final Mapping ringMapping, final Mapping cursorMapping,
        final int capacity)
    {
        this.name = name;
        this.ringMapping = ringMapping;
        this.cursorMapping = cursorMapping;
        final MemorySegment file = ringMapping.memory();
        this.header = file.asSlice(0, HEADER_LENGTH);
        this.ring = file.asSlice(HEADER_LENGTH, capacity);
        this.cursor = cursorMapping.memory();
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxPayloadLength = BroadcastDescriptor.maxPayloadLength(capacity);
        this.buffer = arena.allocate(Math.max(maxPayloadLength, 1), 16);
        this.slowestReader = header.get(LE_SHORT, POLICY_OFFSET) == POLICY_SLOWEST_READER;
        this.delivered = (long)LONG.getAcquire(cursor, (long)CURSOR_DELIVERED_OFFSET);
        this.lost = (long)LONG.getAcquire(cursor, (long)CURSOR_LOST_OFFSET);
    }

    /**
     * Opens a broadcast as a reader: maps the ring read-only and its cursor read-write. It has not joined yet.
     *
     * @param ring   the ring file's handle (READ; its fd may be read-only).
     * @param cursor this reader's cursor file (a segment handle with READ and WRITE).
     */
    public static BroadcastReader open(final String name, final Handle ring, final Handle cursor)
    {
        final Mapping ringMapping = Mapping.map(ring.fd(), 0, ring.size(), Memory.PROT_READ);
        Mapping cursorMapping = null;
        try
        {
            final int capacity = Broadcast.checkHeader(ringMapping.memory(), ring.size(), name);
            cursorMapping = Mapping.map(cursor.fd(), 0, CURSOR_LENGTH, Memory.PROT_READ | Memory.PROT_WRITE);
            return new BroadcastReader(name, ringMapping, cursorMapping, capacity);
        }
        catch (final RuntimeException e)
        {
            ringMapping.close();
            if (cursorMapping != null)
            {
                cursorMapping.close();
            }
            throw e;
        }
    }

    /** @return the broadcast's name. */
    public String name()
    {
        return name;
    }

    /**
     * Joins (§5.1): from now, or from the oldest message still in the ring. Under {@code slowest-reader} the writer
     * does not overwrite anything from here on until this reader has read it. Joining again moves the reader.
     */
    public void join(final From from)
    {
        long at = (long)LONG.getAcquire(header, (long)(from == From.NOW ? TAIL_OFFSET : OLDEST_OFFSET));
        cursor.set(LE_INT, CURSOR_PID_OFFSET, Processes.getpid());
        if (!slowestReader)
        {
            LONG.setVolatile(cursor, (long)CURSOR_POSITION_OFFSET, at);
        }
        else
        {
            while (true)
            {
                LONG.setVolatile(cursor, (long)CURSOR_POSITION_OFFSET, at);
                final long epoch = (long)LONG.getVolatile(header, (long)SCAN_EPOCH_OFFSET);
                final long gate = (long)LONG.getAcquire(header, (long)GATE_OFFSET);
                if ((epoch & 1) != 0 || epoch != (long)LONG.getVolatile(header, (long)SCAN_EPOCH_OFFSET))
                {
                    if ((int)INT.getAcquire(header, (long)STATE_OFFSET) != STATE_OPEN)
                    {
                        break; // a writer that died scanning scans no more: nothing will be overwritten
                    }
                    Thread.onSpinWait();
                    continue;
                }
                if (gate <= at)
                {
                    break;
                }
                at = gate;
            }
        }
        position = at;
        deliveredAny = false;
        joined = true;
    }

    /**
     * Hands up to {@code limit} messages waiting now to {@code handler}, each copied out of the ring first.
     *
     * @return how many it handed over: 0 if none waits.
     * @throws IllegalStateException if it has not joined, or the ring is corrupt (naming the field and position).
     */
    public int poll(final Handler handler, final int limit)
    {
        if (!joined)
        {
            throw new IllegalStateException("broadcast '" + name + "': join before reading");
        }
        final long tail = (long)LONG.getAcquire(header, (long)TAIL_OFFSET);
        final long start = position;
        int count = 0;
        while (position < tail && count < limit)
        {
            final int index = (int)(position & mask);
            final int length = ring.get(LE_INT, index + RECORD_LENGTH_OFFSET);
            final int type = ring.get(LE_INT, index + RECORD_TYPE_OFFSET);
            final long sequence = ring.get(LE_LONG, index + RECORD_SEQUENCE_OFFSET);
            // A record read while the writer laps the reader may be anything: copy only what lies in the ring.
            final boolean message = type == TYPE_MESSAGE && length >= 0 && length <= maxPayloadLength &&
                index + RECORD_HEADER_LENGTH + length <= capacity;
            if (message)
            {
                MemorySegment.copy(ring, index + RECORD_HEADER_LENGTH, buffer, 0, length);
            }
            VarHandle.acquireFence();
            final long oldest = (long)LONG.getAcquire(header, (long)OLDEST_OFFSET);
            if (oldest > position)
            {
                position = oldest; // lapped: what was read may be torn; the next sequence tells what was lost
                continue;
            }
            if (!message)
            {
                position = skipPadding(index, type, length);
                continue;
            }
            if (deliveredAny && sequence != expected)
            {
                lost += sequence - expected;
            }
            expected = sequence + 1;
            deliveredAny = true;
            position += recordLength(length);
            count++;
            delivered++;
            handler.onMessage(buffer, length, sequence);
        }
        if (position != start)
        {
            publish();
        }
        return count;
    }

    private long skipPadding(final int index, final int type, final int length)
    {
        if (type != TYPE_PADDING || index + RECORD_HEADER_LENGTH + length != capacity)
        {
            throw new IllegalStateException("broadcast '" + name + "' is corrupt at position " + position +
                ": type=" + type + ", length=" + length + " (a message is at most " + maxPayloadLength +
                " bytes; padding reaches the ring's end)");
        }
        return position + RECORD_HEADER_LENGTH + length;
    }

    /** Stores the position and counts in the cursor (§5.2 step 5), waking a writer that waits on this reader. */
    private void publish()
    {
        LONG.setRelease(cursor, (long)CURSOR_DELIVERED_OFFSET, delivered);
        LONG.setRelease(cursor, (long)CURSOR_LOST_OFFSET, lost);
        LONG.setVolatile(cursor, (long)CURSOR_POSITION_OFFSET, position);
        if (slowestReader && (int)INT.getVolatile(header, (long)WRITER_WAITING_OFFSET) != 0)
        {
            Futex.wake(cursor.address() + CURSOR_POSITION_OFFSET, Integer.MAX_VALUE);
        }
    }

    /**
     * Hands over up to {@code limit} messages, waiting up to {@code timeoutNanos} (negative: no limit) for the
     * first: spins a little, then sleeps on the ring's signal word.
     *
     * @return how many it handed over (0: the time ran out), or {@link #END} or {@link #WRITER_GONE} once everything
     *         was read and nothing more will come.
     */
    public int read(final Handler handler, final int limit, final long timeoutNanos)
    {
        final long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        for (int idle = 0; ; idle++)
        {
            final int count = poll(handler, limit);
            if (count > 0)
            {
                return count;
            }
            final int state = (int)INT.getAcquire(header, (long)STATE_OFFSET);
            if (state != STATE_OPEN && position >= (long)LONG.getAcquire(header, (long)TAIL_OFFSET))
            {
                return state == STATE_ENDED ? END : WRITER_GONE;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                return 0;
            }
            if (idle < SPINS)
            {
                Thread.onSpinWait();
            }
            else if (idle < SPINS + YIELDS)
            {
                Thread.yield();
            }
            else
            {
                sleep(left);
            }
        }
    }

    /** Sleeps on the signal word unless the tail or the state moved meanwhile (§5.3). */
    private void sleep(final long timeoutNanos)
    {
        final int signal = (int)INT.getVolatile(header, (long)SIGNAL_OFFSET);
        INT.setVolatile(cursor, (long)BroadcastDescriptor.CURSOR_SLEEP_SIGNAL_OFFSET, signal);
        INT.setVolatile(cursor, (long)CURSOR_SLEEPING_OFFSET, 1);
        VarHandle.fullFence();
        if ((long)LONG.getVolatile(header, (long)TAIL_OFFSET) == position &&
            (int)INT.getVolatile(header, (long)STATE_OFFSET) == STATE_OPEN)
        {
            Futex.wait(header.address() + SIGNAL_OFFSET, signal, timeoutNanos == Long.MAX_VALUE ? -1 : timeoutNanos);
        }
        INT.setVolatile(cursor, (long)CURSOR_SLEEPING_OFFSET, 0);
    }

    /** @return messages lost to the writer lapping this reader, since it was first opened (kept in its cursor). */
    public long lost()
    {
        return lost;
    }

    /** @return messages handed over, since it was first opened (kept in its cursor). */
    public long delivered()
    {
        return delivered;
    }

    /** @return the next position it reads. */
    public long position()
    {
        return position;
    }

    /** @return the sequence of the next message it expects, or -1 before its first since joining. */
    public long expected()
    {
        return deliveredAny ? expected : -1;
    }

    /** @return how many messages the writer has published: the next one's sequence. */
    public long published()
    {
        return header.get(LE_LONG, BroadcastDescriptor.NEXT_SEQUENCE_OFFSET);
    }

    /** Leaves (§5.4): holds the writer back from nothing until it joins again. */
    public void leave()
    {
        if (joined)
        {
            joined = false;
            cursor.set(LE_INT, CURSOR_PID_OFFSET, 0);
            LONG.setVolatile(cursor, (long)CURSOR_POSITION_OFFSET, CURSOR_ABSENT);
            if ((int)INT.getVolatile(header, (long)WRITER_WAITING_OFFSET) != 0)
            {
                Futex.wake(cursor.address() + CURSOR_POSITION_OFFSET, Integer.MAX_VALUE);
            }
        }
    }

    /** Leaves and unmaps. */
    @Override
    public void close()
    {
        leave();
        ringMapping.close();
        cursorMapping.close();
        arena.close();
    }
}
