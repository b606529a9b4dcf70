package io.trindle.benchmarks;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.util.Arrays;

/**
 * The worker of {@code benchmarks/run hosts} on host a (or alone, in one supervisor): first the round trips — a ping
 * of SIZE bytes on pipe {@code ab}, one in flight, and {@link HostsFar}'s answer awaited on {@code ba} — until the
 * first has come back (the far host may still be starting), then for WARM_MS, then measured for MEASURE_MS; then
 * {@link HostsMessage#PHASE_END}, and the throughput stream: messages of SIZE bytes written in place on {@code ab}
 * as fast as the pipe takes them, for WARM_MS + MEASURE_MS, and the end of the stream. It reads {@code ba} to its end
 * before it exits and prints its round trips ({@link HostsBenchmark#roundTripLine}).
 *
 * <p>Arguments: SIZE WARM_MS MEASURE_MS.
 */
public final class HostsNear
{
    /** The most round trips a run keeps (8 bytes each). */
    static final int MAX_SAMPLES = 10_000_000;
    /** Messages sent between two looks at the clock in the throughput stream. */
    static final int CLOCK_EVERY = 256;

    private HostsNear()
    {
    }

    public static void main(final String[] args)
    {
        final int size = HostsMessage.checkSize(Integer.parseInt(args[0]));
        final long warmNanos = Long.parseLong(args[1]) * 1_000_000L;
        final long measureNanos = Long.parseLong(args[2]) * 1_000_000L;
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final LaneSender out = trindle.sender("ab").laneForReplica(0);
            trindle.ready();
            final Inbox inbox = new Inbox(1);
            final long[] samples = new long[MAX_SAMPLES];
            long sequence = 0;
            roundTrip(trindle, nothing, inbox, out, size, sequence++);
            final long warmEnd = System.nanoTime() + warmNanos;
            while (System.nanoTime() < warmEnd)
            {
                roundTrip(trindle, nothing, inbox, out, size, sequence++);
            }
            int count = 0;
            final long start = System.nanoTime();
            final long end = start + measureNanos;
            long now = start;
            while (now < end && count < MAX_SAMPLES)
            {
                roundTrip(trindle, nothing, inbox, out, size, sequence++);
                final long then = now;
                now = System.nanoTime();
                samples[count++] = now - then;
            }
            final long elapsed = now - start;
            send(out, size, HostsMessage.PHASE_END);
            final long streamEnd = System.nanoTime() + warmNanos + measureNanos;
            long sent = 0;
            do
            {
                for (int i = 0; i < CLOCK_EVERY; i++)
                {
                    send(out, size, sent++);
                }
            }
            while (System.nanoTime() < streamEnd);
            out.endStream();
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                // the far worker's answers are over: wait for its end of stream
            }
            System.out.println(HostsBenchmark.roundTripLine(count, elapsed, RoundTrips.of(Arrays.copyOf(samples,
                count))));
            System.out.printf("sent %d messages of %d bytes in the stream%n", sent, size);
        }
    }

    private static void send(final LaneSender out, final int size, final long sequence)
    {
        final long claim = out.claim(size, -1);
        HostsMessage.write(out.buffer(), out.payloadOffset(claim), size, sequence);
        out.commit(claim);
    }

    /** Sends ping {@code sequence} and waits for its answer, which it checks. */
    private static void roundTrip(final Trindle trindle, final Outbox nothing, final Inbox inbox, final LaneSender out,
        final int size, final long sequence)
    {
        send(out, size, sequence);
        int received;
        while ((received = trindle.exchange(nothing, inbox, -1)) == 0)
        {
            // wait for the answer
        }
        if (received == Trindle.END_OF_STREAM)
        {
            throw new BenchmarkFailure("pipe ba ended while ping " + sequence + " waited for its answer");
        }
        final var answer = inbox.get(0);
        HostsMessage.check(answer.buffer(), answer.offset(), answer.length(), size, sequence);
    }
}
