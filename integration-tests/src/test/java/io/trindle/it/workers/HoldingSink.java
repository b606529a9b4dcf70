package io.trindle.it.workers;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * For MetricsTest: reads the pipe {@code work} to its end, counting the messages a {@link PacedSource} sent (each
 * 16 bytes, its number then the number's complement), says how many came, and then holds its pipe — and so the
 * pipeline — open until the file {@code done} appears in its working directory, so that the test can read the
 * final counts while the pipeline still runs.
 *
 * <p>prints: "received N messages, damaged K", then "done".
 */
public final class HoldingSink
{
    private HoldingSink()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(64);
            long received = 0;
            long damaged = 0;
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    if (message.length() != 16 || message.getLong(8) != ~message.getLong(0))
                    {
                        damaged++;
                    }
                    received++;
                }
            }
            System.out.printf("received %d messages, damaged %d%n", received, damaged);
            while (!Files.exists(Path.of("done")))
            {
                LockSupport.parkNanos(1_000_000L); // waiting for a state: the test makes the file
            }
            System.out.println("done");
        }
    }
}
