package io.trindle.it.workers;

import io.trindle.ipc.RightsException;
import io.trindle.ipc.Segment;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * For MetricsTest: first tries to move the segment {@code secret}, which it holds without TRANSFER (the
 * supervisor refuses, and counts the refusal), then sends numbered 16-byte messages on {@code work} at a modest
 * pace (a millisecond's pause every 16 messages) until the file {@code enough} appears in its working directory,
 * and says how many it sent; then it exits, and the supervisor ends its stream.
 *
 * <p>prints: "moving secret refused: REASON", then "sent N messages".
 */
public final class PacedSource
{
    private PacedSource()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender work = trindle.sender("work");
            final Segment secret = trindle.segment("secret");
            trindle.ready();
            try
            {
                final byte[] text = "secret".getBytes(StandardCharsets.UTF_8);
                trindle.send(work, text, 0, text.length, Trindle.move(secret.handle()));
                System.out.println("moving secret ALLOWED");
            }
            catch (final RightsException e)
            {
                System.out.println("moving secret refused: " + e.getMessage());
            }
            final ByteBuffer message = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            long sent = 0;
            while (!Files.exists(Path.of("enough")))
            {
                message.putLong(0, sent).putLong(8, ~sent);
                work.send(message.array(), 0, 16, -1);
                sent++;
                if ((sent & 15) == 0)
                {
                    Thread.sleep(1);
                }
            }
            System.out.printf("sent %d messages%n", sent);
        }
    }
}
