package io.trindle.benchmarks;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import org.agrona.DirectBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The worker of {@code benchmarks/run hosts} on host b (or alone, in one supervisor), {@link HostsNear}'s other end:
 * answers each ping on {@code ab} with its bytes on {@code ba} until {@link HostsMessage#PHASE_END}, then reads the
 * throughput stream to its end, checking every message, and times itself: from the first batch that arrived WARM_MS
 * or more after the stream's first message to the last, in batches of up to 256
 * ({@link HostsBenchmark#throughputLine}).
 *
 * <p>Arguments: SIZE WARM_MS.
 */
public final class HostsFar
{
    private HostsFar()
    {
    }

    public static void main(final String[] args)
    {
        final int size = HostsMessage.checkSize(Integer.parseInt(args[0]));
        final long warmNanos = Long.parseLong(args[1]) * 1_000_000L;
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            final LaneSender back = trindle.sender("ba").laneForReplica(0);
            trindle.ready();
            final Inbox inbox = new Inbox(256);
            final Stream stream = new Stream(size, warmNanos);
            long pings = 0;
            boolean answering = true;
            int count;
            while ((count = trindle.exchange(nothing, inbox, -1)) != Trindle.END_OF_STREAM)
            {
                int i = 0;
                while (answering && i < count)
                {
                    final Message ping = inbox.get(i++);
                    final MemorySegment ring = ping.buffer();
                    if (ring.get(ValueLayout.JAVA_LONG, ping.offset()) == HostsMessage.PHASE_END)
                    {
                        answering = false;
                        break;
                    }
                    HostsMessage.check(ring, ping.offset(), ping.length(), size, pings++);
                    final long claim = back.claim(size, -1);
                    MemorySegment.copy(ring, ping.offset(), back.buffer(), back.payloadOffset(claim), size);
                    back.commit(claim);
                }
                if (i < count)
                {
                    final long now = System.nanoTime();
                    for (; i < count; i++)
                    {
                        final Message message = inbox.get(i);
                        stream.check(message.buffer(), message.offset(), message.length());
                    }
                    stream.batch(now);
                }
            }
            System.out.println(stream.line());
        }
    }

    /** The receiving end's count and clock of the throughput stream, shared with the plain Aeron receiver. */
    static final class Stream
    {
        private final int size;
        private final long warmNanos;
        private long expected;
        private long first;
        private long start;
        private long startCount;
        private long last;
        private long lastCount;

        Stream(final int size, final long warmNanos)
        {
            this.size = size;
            this.warmNanos = warmNanos;
        }

        void check(final MemorySegment memory, final long offset, final int length)
        {
            HostsMessage.check(memory, offset, length, size, expected++);
        }

        void check(final DirectBuffer buffer, final int offset, final int length)
        {
            HostsMessage.check(buffer, offset, length, size, expected++);
        }

        /**
         * A batch arrived at {@code now} (read before its messages were checked): the clock starts with the first
         * batch WARM_MS after the first message, and what came with it and before it is not timed.
         */
        void batch(final long now)
        {
            if (first == 0)
            {
                first = now;
            }
            if (start == 0 && now - first >= warmNanos)
            {
                start = now;
                startCount = expected;
            }
            last = now;
            lastCount = expected;
        }

        String line()
        {
            if (start == 0 || lastCount == startCount)
            {
                throw new BenchmarkFailure("the stream of " + expected + " messages was over before its warm-up " +
                    "(" + warmNanos / 1_000_000 + " ms) was: nothing was timed");
            }
            return HostsBenchmark.throughputLine(lastCount - startCount, size, last - start, expected);
        }
    }
}
