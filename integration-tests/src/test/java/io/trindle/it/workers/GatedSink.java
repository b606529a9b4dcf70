package io.trindle.it.workers;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * For EndOfStreamTest: a receiver busy with something else until the file {@code go} appears in its working
 * directory, then reads the pipe {@code numbers} to its end, checking that each lane's messages are numbered
 * 0, 1, 2, … (the index, an i64 at 0, as every test sender writes it), and prints per lane how many came.
 *
 * <p>With {@code --fail-once}, its first run exits 1 as soon as {@code go} appears, so that a restarted
 * receiver opens lanes its senders damaged and exited from.
 *
 * <p>prints: "lane ID received N out-of-order K" per lane with messages, then "end of stream".
 */
public final class GatedSink
{
    private GatedSink()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final boolean failOnce = args.length > 0 && args[0].equals("--fail-once");
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            while (!Files.exists(Path.of("go")))
            {
                LockSupport.parkNanos(1_000_000L); // waiting for a state: the test makes the file
            }
            if (failOnce && !Files.exists(Path.of("failed-once")))
            {
                Files.createFile(Path.of("failed-once"));
                System.out.println("failing once");
                System.exit(1);
            }
            final Map<Integer, long[]> lanes = new TreeMap<>();
            final Inbox inbox = new Inbox(64);
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final long[] lane = lanes.computeIfAbsent(message.laneId(), id -> new long[2]);
                    if (message.length() < 8 || message.getLong(0) != lane[0])
                    {
                        lane[1]++;
                    }
                    lane[0]++;
                }
            }
            lanes.forEach((id, lane) -> System.out.printf("lane %d received %d out-of-order %d%n", id, lane[0],
                lane[1]));
            System.out.println("end of stream");
        }
    }
}
