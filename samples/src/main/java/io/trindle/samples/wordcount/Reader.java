package io.trindle.samples.wordcount;

import io.trindle.ipc.Inbox;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first stage: sends each line of the built-in text, {@code --repeat N} times over, on the pipe
 * {@code lines}, spread over the splitters. Stops early if the supervisor asks it to.
 */
public final class Reader
{
    private Reader()
    {
    }

    public static void main(final String[] args)
    {
        final int repeat = args.length == 2 && args[0].equals("--repeat") ? Integer.parseInt(args[1]) : 1;
        final List<String> text = WordCount.builtInText();
        try (Trindle trindle = Trindle.connect(); Outbox outbox = new Outbox(256, 64 * 1024))
        {
            final PipeSender lines = trindle.sender("lines");
            trindle.ready();
            final Inbox none = new Inbox(1);
            long sent = 0;
            for (int round = 0; round < repeat && !trindle.stopRequested(); round++)
            {
                for (final String line : text)
                {
                    final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                    if (!outbox.add(lines, bytes, 0, bytes.length))
                    {
                        trindle.exchange(outbox, none, 0);
                        outbox.add(lines, bytes, 0, bytes.length);
                    }
                    sent++;
                }
            }
            trindle.exchange(outbox, none, 0);
            System.out.printf("sent %d lines%s%n", sent, trindle.stopRequested() ? " (stopped early)" : "");
        }
    }
}
