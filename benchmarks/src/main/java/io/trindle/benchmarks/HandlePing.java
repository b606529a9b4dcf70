package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.util.Arrays;

/**
 * A worker of HandleMoveBenchmark: moves its segment handle to the other worker over {@code there} and waits
 * for it to come back over {@code back}, round after round; two moves per round. Prints, per run, the
 * median time of one move in nanoseconds. Arguments: rounds per run, runs, warm-up rounds.
 */
public final class HandlePing
{
    private HandlePing()
    {
    }

    public static void main(final String[] args)
    {
        final int rounds = Integer.parseInt(args[0]);
        final int runs = Integer.parseInt(args[1]);
        final int warmUp = Integer.parseInt(args[2]);
        final byte[] note = {1};
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final PipeSender there = trindle.sender("there");
            Handle token = trindle.segment("token").handle();
            trindle.ready();
            final Inbox inbox = new Inbox(1);
            final long[] times = new long[rounds];
            final long[] sends = new long[rounds];
            final long[] takes = new long[rounds];
            for (int run = -1; run < runs; run++)
            {
                final int count = run < 0 ? warmUp : rounds;
                for (int i = 0; i < count; i++)
                {
                    final long start = System.nanoTime();
                    trindle.send(there, note, 0, 1, Trindle.move(token));
                    final long sent = System.nanoTime();
                    while (trindle.exchange(nothing, inbox, -1) == 0)
                    {
                        // wait for the handle to come back
                    }
                    final long arrived = System.nanoTime();
                    token = trindle.take(inbox.get(0)).getFirst();
                    if (run >= 0)
                    {
                        final long end = System.nanoTime();
                        times[i] = end - start;
                        sends[i] = sent - start;
                        takes[i] = end - arrived;
                    }
                }
                if (run >= 0)
                {
                    Arrays.sort(times);
                    Arrays.sort(sends);
                    Arrays.sort(takes);
                    System.out.printf("handle-move run %d: median %d ns per move (%d round trips of two moves; " +
                        "median send %d ns, take %d ns)%n", run, times[rounds / 2] / 2, rounds, sends[rounds / 2],
                        takes[rounds / 2]);
                }
            }
        }
    }
}
