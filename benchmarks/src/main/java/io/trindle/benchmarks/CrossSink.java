package io.trindle.benchmarks;

import io.trindle.ipc.Inbox;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

/**
 * The Java receiving side of CrossLanguageBenchmark, the twin of native-shims' trindle-bench-sink: reads "in"
 * to its end, checks every message against the {@link Payload} expected next, prints "received N messages in T ns".
 */
public final class CrossSink
{
    private CrossSink()
    {
    }

    public static void main(final String[] args)
    {
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            long expected = 0;
            long first = 0;
            long last = 0;
            int count;
            while ((count = trindle.exchange(nothing, inbox, -1)) != Trindle.END_OF_STREAM)
            {
                if (first == 0 && count > 0)
                {
                    first = System.nanoTime();
                }
                for (int i = 0; i < count; i++)
                {
                    Payload.check(inbox.get(i), expected++);
                }
                last = System.nanoTime();
            }
            System.out.printf("received %d messages in %d ns%n", expected, last - first);
        }
    }
}
