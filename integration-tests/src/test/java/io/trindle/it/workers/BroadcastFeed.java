package io.trindle.it.workers;

import io.trindle.ipc.BroadcastWriter;
import io.trindle.runtime.Trindle;

/**
 * A broadcast's writer for the broadcast tests: sends {@code COUNT} test messages ({@link BroadcastCheck}) on the
 * broadcast {@code NAME}, then ends the stream. With {@code PACE} above 0 it pauses a millisecond after every
 * {@code PACE} messages, so that readers that are not slow keep up under the lap policy.
 *
 * <p>Arguments: {@code NAME COUNT [PACE]}. Prints {@code broadcast NAME: sent=COUNT}.
 */
public final class BroadcastFeed
{
    private BroadcastFeed()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final String name = args[0];
        final long count = Long.parseLong(args[1]);
        final int pace = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        try (Trindle trindle = Trindle.connect())
        {
            final BroadcastWriter writer = trindle.broadcastWriter(name);
            trindle.ready();
            final byte[] bytes = new byte[BroadcastCheck.LONGEST];
            for (long i = writer.published(); i < count; i++)
            {
                final long sequence = writer.send(bytes, 0, BroadcastCheck.fill(bytes, i));
                if (sequence != i)
                {
                    throw new IllegalStateException("message " + i + " got sequence " + sequence);
                }
                if (pace > 0 && (i + 1) % pace == 0)
                {
                    Thread.sleep(1);
                }
            }
            writer.end();
            System.out.println("broadcast " + name + ": sent=" + count);
        }
    }
}
