package io.trindle.it.workers;

import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The well-behaved source of HostileWorkerTest: sends numbered, checksummed messages on {@code work} until the
 * supervisor asks it to stop, then says how many it sent and their checksum, which the sink must match exactly
 * however the hostile workers beside it behave.
 *
 * <p>A message is 16 bytes, little-endian: its number {@code i} (from 0), then {@link #mix}{@code (i)}. It sends
 * at a modest pace (a millisecond's pause every 256 messages), so that it is still sending while the hostile
 * workers are at work, without taking a core of the two the test machine may have.
 */
public final class ChecksumSource
{
    /** The message length. */
    public static final int LENGTH = 16;

    private ChecksumSource()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender work = trindle.sender("work");
            trindle.ready();
            final ByteBuffer message = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            long sent = 0;
            long checksum = 0;
            while (!trindle.stopRequested())
            {
                final long value = mix(sent);
                message.putLong(0, sent).putLong(8, value);
                work.send(message.array(), 0, LENGTH, -1);
                checksum = checksum(checksum, value);
                sent++;
                if ((sent & 255) == 0)
                {
                    Thread.sleep(1);
                }
            }
            System.out.printf("sent %d messages, checksum 0x%016x%n", sent, checksum);
        }
    }

    /** @return the value message {@code i} carries: SplitMix64's finaliser, so that no two are alike. */
    public static long mix(final long i)
    {
        long z = i + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** @return the running checksum after {@code value}: order matters, so a reordering changes it. */
    public static long checksum(final long checksum, final long value)
    {
        return Long.rotateLeft(checksum, 5) * 31 + value;
    }
}
