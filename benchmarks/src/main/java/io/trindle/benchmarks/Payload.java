package io.trindle.benchmarks;

import io.trindle.ipc.Message;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 64-byte message every benchmark moves, whatever carries it: eight 64-bit words, little-endian, where
 * word {@code k} is {@code sequence ^ (k * SPREAD)}, so word 0 is the sequence number itself.
 * <pre>
 *   0       8       16      24      32      40      48      56      64
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 *   |  seq  | seq^S | seq^2S| seq^3S| seq^4S| seq^5S| seq^6S| seq^7S|
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 * </pre>
 * A receiver checks the length and the first and last word against the sequence number it expects next, so a
 * message lost, repeated, reordered, truncated or torn at either end fails the run instead of counting.
 */
final class Payload
{
    /** Bytes in every message. */
    static final int LENGTH = 64;
    /** Offset of the last word, the one checked beside the sequence number. */
    static final int LAST_WORD_OFFSET = LENGTH - Long.BYTES;

    /** Words in every message. */
    static final int WORDS = LENGTH / Long.BYTES;
    private static final long SPREAD = 0x9e37_79b9_7f4a_7c15L;
    /** Native order (little-endian on the only platform ipc supports), 8-byte aligned. */
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;

    private Payload()
    {
    }

    /** Writes message {@code sequence} at {@code offset} of {@code memory} (8-byte aligned). */
    static void write(final MemorySegment memory, final long offset, final long sequence)
    {
        for (int k = 0; k < WORDS; k++)
        {
            memory.set(WORD, offset + (long)k * Long.BYTES, word(sequence, k));
        }
    }

    /** @return word {@code k} of message {@code sequence}: for the peers that write through their own API. */
    static long word(final long sequence, final int k)
    {
        return sequence ^ (k * SPREAD);
    }

    /** @throws BenchmarkFailure unless the message at {@code offset} of {@code memory} is {@code expected}. */
    static void check(final MemorySegment memory, final long offset, final long expected)
    {
        check(memory.get(WORD, offset), memory.get(WORD, offset + LAST_WORD_OFFSET), LENGTH, expected);
    }

    /** @throws BenchmarkFailure unless {@code message} is message {@code expected}. */
    static void check(final Message message, final long expected)
    {
        final int length = message.length();
        if (length != LENGTH)
        {
            check(-1, -1, length, expected);
        }
        check(message.getLong(0), message.getLong(LAST_WORD_OFFSET), length, expected);
    }

    /**
     * Checks a message read through another API by its first and last words and its length.
     *
     * @throws BenchmarkFailure unless they are those of message {@code expected}.
     */
    static void check(final long first, final long last, final int length, final long expected)
    {
        if (first != expected || last != lastWord(expected) || length != LENGTH)
        {
            throw new BenchmarkFailure("message out of order or damaged: expected sequence=" + expected +
                " (last word 0x" + Long.toHexString(lastWord(expected)) + "), got sequence=" + first +
                ", last word=0x" + Long.toHexString(last) + ", length=" + length);
        }
    }

    /** @return the last word of message {@code sequence}: the check word of every message that carries one. */
    static long lastWord(final long sequence)
    {
        return sequence ^ ((WORDS - 1) * SPREAD);
    }
}
