package io.trindle.runtime;

import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The messages a worker wants sent at its next {@link Trindle#exchange}: each added message is copied into the
 * outbox's own buffer at once, so the caller may reuse its bytes; or the caller {@link #claim claims} room in that
 * buffer and writes the message there itself, one copy fewer. Distinct from the {@link io.trindle.ipc.Inbox}
 * (the Trindle notes' improvement over a shared mailbox). Allocates only when created. One thread at a time.
 *
 * <p>The buffer holds each message as the record it becomes in a lane ({@link LaneSender#layOutRecord}), one after
 * the other, so that messages added one after the other for the same lane are copied into it in one piece.
 */
public final class Outbox implements AutoCloseable
{
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer;
    private final PipeSender[] pipes;
    private final long[] keys;
    private final long[] offsets;
    private final int[] lengths;
    private final boolean[] keyed;
    private final long maxBytes;
    private int size;
    /** The bytes of records laid out in the buffer. */
    private long used;
    /** The payload bytes held, each message's rounded up to 8 as it always was: what {@code maxBytes} bounds. */
    private long payloadBytes;

    /**
     * @param maxMessages the most messages one exchange sends.
     * @param maxBytes    the most payload bytes they may hold together.
     */
    public Outbox(final int maxMessages, final long maxBytes)
    {
        if (maxMessages < 1 || maxBytes < 1)
        {
            throw new IllegalArgumentException("outbox maxMessages=" + maxMessages + ", maxBytes=" + maxBytes +
                " must be positive");
        }
        this.maxBytes = maxBytes;
        // Room for the payloads and, per message, a record header and the padding to the next record.
        buffer = arena.allocate(maxBytes + (long)maxMessages *
            (LaneDescriptor.RECORD_HEADER_LENGTH + LaneDescriptor.RECORD_ALIGNMENT), LaneDescriptor.RECORD_ALIGNMENT);
        pipes = new PipeSender[maxMessages];
        keys = new long[maxMessages];
        offsets = new long[maxMessages];
        lengths = new int[maxMessages];
        keyed = new boolean[maxMessages];
    }

    /**
     * Adds a message for {@code pipe}.
     *
     * @return whether it fit; {@code false} means the outbox is full: exchange first.
     */
    public boolean add(final PipeSender pipe, final byte[] bytes, final int offset, final int length)
    {
        if (!reserve(pipe, length))
        {
            return false;
        }
        MemorySegment.copy(bytes, offset, buffer, ValueLayout.JAVA_BYTE, used + LaneDescriptor.RECORD_HEADER_LENGTH,
            length);
        commit(length, false, 0);
        return true;
    }

    /**
     * Adds a message for {@code pipe} that goes to the replica {@code key} belongs to.
     *
     * @return whether it fit; {@code false} means the outbox is full: exchange first.
     */
    public boolean add(final PipeSender pipe, final long key, final byte[] bytes, final int offset, final int length)
    {
        if (!reserve(pipe, length))
        {
            return false;
        }
        MemorySegment.copy(bytes, offset, buffer, ValueLayout.JAVA_BYTE, used + LaneDescriptor.RECORD_HEADER_LENGTH,
            length);
        commit(length, true, key);
        return true;
    }

    /**
     * Adds a message of {@code length} bytes for {@code pipe} and says where to write it: at the returned offset of
     * {@link #buffer()}, before the next {@link Trindle#exchange}, which copies it into the lane as it stands. The
     * message is added whatever is written: bytes left unwritten are whatever the buffer held.
     *
     * @return the offset of the message in {@link #buffer()}, or -1 if the outbox is full: exchange first.
     */
    public long claim(final PipeSender pipe, final int length)
    {
        if (!reserve(pipe, length))
        {
            return -1;
        }
        final long at = used + LaneDescriptor.RECORD_HEADER_LENGTH;
        commit(length, false, 0);
        return at;
    }

    /**
     * Claims room for a message for {@code pipe} that goes to the replica {@code key} belongs to; as
     * {@link #claim(PipeSender, int)}.
     */
    public long claim(final PipeSender pipe, final long key, final int length)
    {
        if (!reserve(pipe, length))
        {
            return -1;
        }
        final long at = used + LaneDescriptor.RECORD_HEADER_LENGTH;
        commit(length, true, key);
        return at;
    }

    /** @return the outbox's buffer, where a {@link #claim claimed} message is written. */
    public MemorySegment buffer()
    {
        return buffer;
    }

    /** @return the number of messages waiting. */
    public int size()
    {
        return size;
    }

    public boolean isEmpty()
    {
        return size == 0;
    }

    private boolean reserve(final PipeSender pipe, final int length)
    {
        if (length < 0 || length > pipe.maxPayloadLength())
        {
            throw new IllegalArgumentException("message length=" + length + " exceeds pipe '" + pipe.name() +
                "' maxPayloadLength=" + pipe.maxPayloadLength());
        }
        if (size == pipes.length || payloadBytes + length > maxBytes)
        {
            return false;
        }
        pipes[size] = pipe;
        return true;
    }

    private void commit(final int length, final boolean hasKey, final long key)
    {
        offsets[size] = used;
        lengths[size] = length;
        keyed[size] = hasKey;
        keys[size] = key;
        used = LaneSender.layOutRecord(buffer, used, length);
        payloadBytes += (length + 7) & ~7;
        size++;
    }

    /**
     * Sends every message in order, each waiting for room as long as it must, then empties the outbox. Consecutive
     * messages bound for the same lane go as one run ({@link LaneSender#claimRun}): one claim, one copy and one
     * wake-up for the run instead of one each per message.
     */
    void sendAll()
    {
        int sent = 0;
        try
        {
            // Each message's lane is chosen once, in order, as sending them one by one would: round-robin
            // spreading moves on at every choice.
            LaneSender lane = size > 0 ? laneOf(0) : null;
            while (sent < size)
            {
                final int maxRunLength = lane.maxRunLength();
                int runLength = LaneDescriptor.recordLength(lengths[sent]);
                int end = sent + 1;
                LaneSender next = end < size ? laneOf(end) : null;
                while (next == lane && runLength + LaneDescriptor.recordLength(lengths[end]) <= maxRunLength)
                {
                    runLength += LaneDescriptor.recordLength(lengths[end]);
                    end++;
                    next = end < size ? laneOf(end) : null;
                }
                // The run's records lie one after the other in the buffer: one copy puts them all in the lane.
                final long run = lane.claimRun(runLength, -1);
                try
                {
                    lane.putRun(run, buffer, offsets[sent], runLength);
                }
                catch (final RuntimeException | Error e)
                {
                    // A run claimed and never committed would block the lane: give it up, and keep its messages.
                    lane.abortRun(run, run + runLength);
                    throw e;
                }
                lane.commitRun(run, run + runLength);
                sent = end;
                lane = next;
            }
        }
        finally
        {
            // Keep what was not sent, in order, so a retry sends each message once.
            final int left = size - sent;
            System.arraycopy(pipes, sent, pipes, 0, left);
            System.arraycopy(keys, sent, keys, 0, left);
            System.arraycopy(offsets, sent, offsets, 0, left);
            System.arraycopy(lengths, sent, lengths, 0, left);
            System.arraycopy(keyed, sent, keyed, 0, left);
            java.util.Arrays.fill(pipes, left, size, null);
            size = left;
            if (left == 0)
            {
                used = 0;
                payloadBytes = 0;
            }
        }
    }

    private LaneSender laneOf(final int message)
    {
        return pipes[message].lane(keyed[message] ? keys[message] : 0);
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
