package io.trindle.it.workers;

import io.trindle.ipc.BroadcastReader;
import io.trindle.runtime.Trindle;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * A broadcast's reader for the broadcast tests: joins, reads to the end of the stream, checks every message
 * ({@link BroadcastCheck}: its bytes, and that its number is its sequence), and checks that the gaps it saw while
 * joined add up to the loss the library counted.
 *
 * <p>Arguments: {@code NAME FROM SLOW_EVERY [JOIN_AFTER [LEAVE_AT REJOIN_AFTER REJOIN_FROM]]}. FROM is {@code now} or
 * {@code oldest}; with SLOW_EVERY above 0 it pauses a millisecond after every SLOW_EVERY messages; it joins once the
 * writer has published JOIN_AFTER messages; with LEAVE_AT above 0 it leaves after LEAVE_AT messages, and joins again
 * (from REJOIN_FROM) once the writer has published REJOIN_AFTER more. Prints {@code broadcast NAME: joined at
 * published=P} (and {@code rejoined first=S published=P}), {@code read N} every 10 000, and at the end
 * {@code broadcast NAME: delivered=D lost=L first=F last=X bad=B}; exits 1 if any message was bad or the gaps differ
 * from the loss counted.
 */
public final class BroadcastWatcher
{
    private long first = -1;
    private long last = -1;
    private long gaps;
    private long bad;
    private long count;
    private final int slowEvery;

    private BroadcastWatcher(final int slowEvery)
    {
        this.slowEvery = slowEvery;
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final String name = args[0];
        final BroadcastReader.From from = BroadcastReader.From.valueOf(args[1].toUpperCase(Locale.ROOT));
        final long joinAfter = args.length > 3 ? Long.parseLong(args[3]) : 0;
        final long leaveAt = args.length > 4 ? Long.parseLong(args[4]) : 0;
        try (Trindle trindle = Trindle.connect())
        {
            final BroadcastReader reader = trindle.broadcastReader(name);
            // Its cursor keeps the count over restarts: a reader started again reads on at full speed.
            final boolean restarted = reader.delivered() > 0;
            final BroadcastWatcher watcher = new BroadcastWatcher(restarted ? 0 : Integer.parseInt(args[2]));
            trindle.ready();
            awaitPublished(reader, joinAfter);
            final long published = reader.published();
            reader.join(from);
            System.out.println("broadcast " + name + ": joined" + (restarted ? " again, restarted," : "") +
                " at published=" + published);
            int result;
            boolean left = false;
            while ((result = reader.read(watcher::onMessage, 64, -1)) > 0)
            {
                if (leaveAt > 0 && watcher.count >= leaveAt && !left)
                {
                    left = true;
                    reader.leave();
                    System.out.println("broadcast " + name + ": left at " + watcher.last);
                    awaitPublished(reader, reader.published() + Long.parseLong(args[5]));
                    final long publishedAtRejoin = reader.published();
                    reader.join(BroadcastReader.From.valueOf(args[6].toUpperCase(Locale.ROOT)));
                    watcher.last = -1; // messages passed over while away are not lost
                    final long[] rejoined = {-1};
                    result = reader.read((buffer, length, sequence) ->
                    {
                        rejoined[0] = sequence;
                        watcher.onMessage(buffer, length, sequence);
                    }, 1, -1);
                    System.out.println("broadcast " + name + ": rejoined first=" + rejoined[0] + " published=" +
                        publishedAtRejoin);
                    if (result <= 0)
                    {
                        break;
                    }
                }
            }
            final long lost = reader.lost();
            final boolean gapsMatch = watcher.gaps == lost;
            System.out.printf("broadcast %s: delivered=%d lost=%d first=%d last=%d bad=%d%s%s%n", name,
                watcher.count, lost, watcher.first, watcher.last, watcher.bad,
                result == BroadcastReader.WRITER_GONE ? " writer-gone" : "",
                gapsMatch ? "" : " gaps=" + watcher.gaps);
            System.out.flush();
            if (watcher.bad > 0 || !gapsMatch)
            {
                System.exit(1);
            }
        }
    }

    private static void awaitPublished(final BroadcastReader reader, final long published) throws InterruptedException
    {
        while (reader.published() < published)
        {
            Thread.sleep(1);
        }
    }

    private void onMessage(final MemorySegment buffer, final int length, final long sequence)
    {
        final long number = BroadcastCheck.check(buffer, length);
        if (number != sequence)
        {
            bad++;
        }
        if (first < 0)
        {
            first = sequence;
        }
        if (last >= 0)
        {
            gaps += sequence - last - 1;
        }
        last = sequence;
        count++;
        if (count % 10_000 == 0)
        {
            System.out.println("read " + count);
        }
        if (slowEvery > 0 && count % slowEvery == 0)
        {
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
