package io.trindle.it.workers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The test message of the broadcast tests, the same in the Java, C and Python test programs: message {@code i}
 * (from 0) is {@code 16 + i % 49} bytes; bytes 0–7 are {@code i}, bytes 8–15 {@code i × 0x9E3779B97F4A7C15} (both
 * little-endian u64), and byte {@code k ≥ 16} is {@code (i + k) & 0xff}. A reader checks every byte.
 */
public final class BroadcastCheck
{
    /** The longest test message. */
    public static final int LONGEST = 16 + 48;
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private BroadcastCheck()
    {
    }

    /** Writes message {@code i} into {@code bytes}. @return its length. */
    public static int fill(final byte[] bytes, final long i)
    {
        final int length = 16 + (int)(i % 49);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        segment.set(LE_LONG, 0, i);
        segment.set(LE_LONG, 8, i * GOLDEN);
        for (int k = 16; k < length; k++)
        {
            bytes[k] = (byte)(i + k);
        }
        return length;
    }

    /** @return the number message {@code buffer} carries, or -1 if any byte of it is not what that number's is. */
    public static long check(final MemorySegment buffer, final int length)
    {
        if (length < 16)
        {
            return -1;
        }
        final long i = buffer.get(LE_LONG, 0);
        if (length != 16 + (int)Long.remainderUnsigned(i, 49) || buffer.get(LE_LONG, 8) != i * GOLDEN)
        {
            return -1;
        }
        for (int k = 16; k < length; k++)
        {
            if (buffer.get(ValueLayout.JAVA_BYTE, k) != (byte)(i + k))
            {
                return -1;
            }
        }
        return i;
    }
}
