package io.trindle.it.workers;

import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A source of ResizeTest: sends numbered, checksummed messages on {@code work} (as {@link ChecksumSource} makes them)
 * until the supervisor asks it to stop and it has sent at least its first argument's count, then says how many it
 * sent and their checksum. It pauses a millisecond every 1024 messages, so that it is still sending while the pipe
 * is resized under it. With a second argument, a file, it sends nothing until that file exists.
 */
public final class ResizeSource
{
    private ResizeSource()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final long least = Long.parseLong(args[0]);
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender work = trindle.sender("work");
            trindle.ready();
            while (args.length > 1 && !java.nio.file.Files.exists(java.nio.file.Path.of(args[1])))
            {
                Thread.sleep(5); // a worker waiting for the test's go, not a test waiting for time
            }
            final ByteBuffer message = ByteBuffer.allocate(ChecksumSource.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            long sent = 0;
            long checksum = 0;
            while (sent < least || !trindle.stopRequested())
            {
                final long value = ChecksumSource.mix(sent);
                message.putLong(0, sent).putLong(8, value);
                if (!work.send(message.array(), 0, ChecksumSource.LENGTH, -1))
                {
                    throw new IllegalStateException("a send without a time limit returned");
                }
                checksum = ChecksumSource.checksum(checksum, value);
                sent++;
                if ((sent & 1023) == 0)
                {
                    Thread.sleep(1);
                }
            }
            System.out.printf("sent %d messages, checksum 0x%016x%n", sent, checksum);
        }
    }
}
