package io.trindle.benchmarks;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The floor under every shared-memory round trip: two processes bouncing one number through a shared
 * {@link Segment}, one cache line each way, with no message format, no ring and no checks. It is measured in
 * the same run as the pipes, taking turns with the Trindle round trip, so that a slow Trindle figure can be told
 * apart from a slow machine: on a virtual machine the host moves the two vCPUs around, and this figure moves
 * with it.
 * <pre>
 *   0            8                   128          136
 *   +------------+-------------------+------------+
 *   | ping (u64) |                   | pong (u64) |   ping written by the measuring side, pong by the peer,
 *   +------------+-------------------+------------+   two cache lines apart
 * </pre>
 */
final class CacheLine
{
    /** Peer role: waits for each ping number and writes it back as the pong, {@code count} per run. */
    static final String ECHO = "cache-line-echo";

    static final String LABEL = "cache line";

    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final long PING_OFFSET = 0;
    private static final long PONG_OFFSET = 128;

    private CacheLine()
    {
    }

    /** Round trips of one number. */
    static final class RoundTrip implements Figure<RoundTrips>
    {
        private final long[] samples;
        private final Segment segment;
        private final MemorySegment memory;
        private final PeerProcess peer;
        private long base;

        /** @param roundTrips round trips per run. */
        RoundTrip(final Config config, final int roundTrips, final int runs)
        {
            samples = new long[roundTrips];
            segment = Segment.allocate(Memory.pageSize());
            memory = segment.memory();
            try
            {
                peer = PeerProcess.startWithHandles(config, ECHO, samples.length, runs,
                    segment.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)));
            }
            catch (final RuntimeException e)
            {
                segment.close();
                throw e;
            }
        }

        @Override
        public String label()
        {
            return LABEL;
        }

        @Override
        public RoundTrips run()
        {
            peer.startRun();
            pingPong(memory, base, samples, peer);
            peer.expectReport(samples.length, base + samples.length - 1);
            base += samples.length;
            return RoundTrips.of(samples);
        }

        @Override
        public void finish() throws InterruptedException
        {
            peer.awaitExit();
        }

        @Override
        public void close()
        {
            try
            {
                peer.close();
            }
            finally
            {
                segment.close();
            }
        }
    }

    /** Echoes {@code count} pings per run, {@code runs} times, reporting after each run. */
    static void echo(final int count, final int runs)
    {
        try (Segment segment = Segment.map(Peer.receiveHandles(1).getFirst()))
        {
            final MemorySegment memory = segment.memory();
            Peer.reportReady();
            long base = 0;
            for (int run = 0; run < runs; run++)
            {
                Peer.awaitRun();
                echo(memory, base, count);
                Peer.report(count, base + count - 1);
                base += count;
            }
        }
    }

    private static void pingPong(final MemorySegment memory, final long base, final long[] samples,
        final PeerProcess peer)
    {
        long idle = 0;
        long before = System.nanoTime();
        for (int i = 0; i < samples.length; i++)
        {
            // Sequence + 1, so that the zero the segment starts with is never taken for a ping.
            final long ping = base + i + 1;
            WORD.setRelease(memory, PING_OFFSET, ping);
            while ((long)WORD.getAcquire(memory, PONG_OFFSET) != ping)
            {
                idle = peer.idle(idle);
            }
            final long after = System.nanoTime();
            samples[i] = after - before;
            before = after;
        }
    }

    private static void echo(final MemorySegment memory, final long base, final int count)
    {
        long idle = 0;
        for (int i = 0; i < count; i++)
        {
            final long expected = base + i + 1;
            long ping;
            while ((ping = (long)WORD.getAcquire(memory, PING_OFFSET)) != expected)
            {
                if (ping != expected - 1)
                {
                    throw new BenchmarkFailure("ping out of order: expected " + expected + ", got " + ping);
                }
                idle = Peer.idle(idle);
            }
            WORD.setRelease(memory, PONG_OFFSET, expected);
        }
    }
}
