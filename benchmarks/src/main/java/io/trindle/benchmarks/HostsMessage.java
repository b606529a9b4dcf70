package io.trindle.benchmarks;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The message of {@code benchmarks/run hosts}, of any size from 16 bytes that is a multiple of 8: {@link Payload}'s
 * words, as many as fit ({@code sequence ^ (k * SPREAD)} in word {@code k}), so a sender writes every byte of it, as
 * a real one would, and a receiver reads it all, checking its length and every word against the sequence it
 * expects. Both ends of every contender (the Trindle workers and the plain Aeron processes) write and check it alike:
 * in place, in a lane's {@link MemorySegment} or an Aeron claim's {@link MutableDirectBuffer}, native order
 * (little-endian) both.
 *
 * <p>Two sequence numbers say something else: {@link #PHASE_END} (the round trips are over: what follows is the
 * throughput stream) and {@link #STREAM_END} (plain Aeron's end of stream, which a Trindle pipe has of its own).
 */
final class HostsMessage
{
    /** The last ping: the receiver answers no more and counts what follows. */
    static final long PHASE_END = -1;
    /** The end of the throughput stream over plain Aeron (a Trindle pipe ends its stream itself). */
    static final long STREAM_END = -2;
    /** The smallest message: the sequence word and the last word. */
    static final int MIN_SIZE = 2 * Long.BYTES;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;

    private HostsMessage()
    {
    }

    /** @throws IllegalArgumentException unless {@code size} is a multiple of 8 and at least {@link #MIN_SIZE}. */
    static int checkSize(final int size)
    {
        if (size < MIN_SIZE || size % Long.BYTES != 0)
        {
            throw new IllegalArgumentException("a message size must be a multiple of 8 bytes, at least " + MIN_SIZE +
                ": " + size);
        }
        return size;
    }

    /** Writes message {@code sequence} of {@code size} bytes at {@code offset} of {@code memory} (8-byte aligned). */
    static void write(final MemorySegment memory, final long offset, final int size, final long sequence)
    {
        final int words = size / Long.BYTES;
        for (int k = 0; k < words; k++)
        {
            memory.set(WORD, offset + (long)k * Long.BYTES, Payload.word(sequence, k));
        }
    }

    /** Writes message {@code sequence} of {@code size} bytes at {@code offset} of {@code buffer}. */
    static void write(final MutableDirectBuffer buffer, final int offset, final int size, final long sequence)
    {
        final int words = size / Long.BYTES;
        for (int k = 0; k < words; k++)
        {
            buffer.putLong(offset + k * Long.BYTES, Payload.word(sequence, k), ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** @return the sequence word of the message at {@code offset} of {@code buffer}. */
    static long sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads every word of the message at {@code offset} of {@code buffer}, as a receiver that uses its message would.
     *
     * @throws BenchmarkFailure unless it is message {@code expected} of {@code size} bytes.
     */
    static void check(final DirectBuffer buffer, final int offset, final int length, final int size,
        final long expected)
    {
        if (length != size)
        {
            throw damaged(expected, size, buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN), length, -1);
        }
        final int words = size / Long.BYTES;
        for (int k = 0; k < words; k++)
        {
            if (buffer.getLong(offset + k * Long.BYTES, ByteOrder.LITTLE_ENDIAN) != Payload.word(expected, k))
            {
                throw damaged(expected, size, buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN), length, k);
            }
        }
    }

    /** As {@link #check(DirectBuffer, int, int, int, long)}, for a message in a lane. */
    static void check(final MemorySegment memory, final long offset, final int length, final int size,
        final long expected)
    {
        if (length != size)
        {
            throw damaged(expected, size, memory.get(WORD, offset), length, -1);
        }
        final int words = size / Long.BYTES;
        for (int k = 0; k < words; k++)
        {
            if (memory.get(WORD, offset + (long)k * Long.BYTES) != Payload.word(expected, k))
            {
                throw damaged(expected, size, memory.get(WORD, offset), length, k);
            }
        }
    }

    private static BenchmarkFailure damaged(final long expected, final int size, final long sequence,
        final int length, final int word)
    {
        return new BenchmarkFailure("message out of order or damaged: expected sequence=" + expected + " of " + size +
            " bytes, got sequence=" + sequence + " of " + length + " bytes" + (word < 0 ? "" : ", word " + word +
            " wrong"));
    }
}
