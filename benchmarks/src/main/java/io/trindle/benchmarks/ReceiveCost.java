package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.WaitStrategy;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The receive path's cost in software, with no second core involved: {@code benchmarks/run receive-cost}. One
 * thread sends a batch of 64-byte messages (claim, write a long in place, commit), then receives the batch
 * (poll, read the long of every message, release) and times only the receiving; then it polls an empty ring and
 * times that. The same for Trindle ({@link LaneSender} / {@link PipeReceiver} over one lane) and for Agrona's
 * {@code OneToOneRingBuffer} ({@code tryClaim} / {@code commit}, {@code read}, which also releases), on rings of
 * the same capacity. The two take turns, after three unmeasured turns; the result is each one's median over the turns
 * and the ratio Trindle / Agrona.
 *
 * <p>Options: {@code --turns N} (default 7), {@code --batch N} messages per batch (default 256, the harness's
 * inbox), {@code --millis N} per contender and turn (default 500), {@code --only trindle} (to compare builds of
 * Trindle against each other, interleaved by the caller).
 */
public final class ReceiveCost
{
    private static final int PAYLOAD = 64;
    private static final int CAPACITY = 64 * 1024;
    private static final int EMPTY_POLLS = 1 << 16;

    private ReceiveCost()
    {
    }

    /** One contender: sends a batch, receives it (timed), polls an empty ring (timed). */
    private interface Contender extends AutoCloseable
    {
        String label();

        /** Sends {@code count} messages carrying {@code first}, {@code first + 1}, … */
        void send(long first, int count);

        /** @return the sum of the values of the {@code count} messages received. */
        long receive(int count);

        /** @return how many messages one poll of an empty ring found (0). */
        int pollEmpty();

        @Override
        void close();
    }

    /** ns per message received and per empty poll, over one turn. */
    private record Cost(double receiveNanos, double emptyPollNanos)
    {
    }

    public static void main(final String[] args)
    {
        int turns = 7;
        int batch = 256;
        long millis = 500;
        boolean onlyTrindle = false;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--turns" -> turns = Integer.parseInt(value(args, ++i));
                case "--batch" -> batch = Integer.parseInt(value(args, ++i));
                case "--millis" -> millis = Long.parseLong(value(args, ++i));
                case "--only" ->
                {
                    if (!"trindle".equals(value(args, ++i)))
                    {
                        throw new IllegalArgumentException("--only takes trindle, not " + args[i]);
                    }
                    onlyTrindle = true;
                }
                case "--help", "-h" ->
                {
                    System.out.println("usage: benchmarks/run receive-cost [--turns N] [--batch N] [--millis N] " +
                        "[--only trindle]\n  prints the single-thread cost of receiving a message (poll + release) " +
                        "and of an empty poll,\n  for Trindle and Agrona's OneToOneRingBuffer, taking turns");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
            }
        }
        if (batch < 1 || batch > 256)
        {
            throw new IllegalArgumentException("--batch " + batch + " must be 1..256 (a batch must fit both rings)");
        }
        final List<Contender> contenders = onlyTrindle ? List.of(new TrindleContender()) :
            List.of(new TrindleContender(), new AgronaContender());
        try
        {
            System.out.printf(Locale.ROOT, "receive cost, one thread: batches of %d messages of %d bytes, rings of " +
                "%d KiB, %d turns of %d ms each%n", batch, PAYLOAD, CAPACITY / 1024, turns, millis);
            for (int warmUp = 0; warmUp < 3; warmUp++)
            {
                // Three turns unmeasured: on a loaded machine the JIT needs them to finish compiling both.
                for (final Contender contender : contenders)
                {
                    measure(contender, batch, millis);
                }
            }
            final Cost[][] costs = new Cost[contenders.size()][turns];
            for (int turn = 0; turn < turns; turn++)
            {
                final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "turn %d:", turn + 1));
                for (int c = 0; c < contenders.size(); c++)
                {
                    // Alternate the order, so that neither always runs first in a turn.
                    final int k = turn % 2 == 0 ? c : contenders.size() - 1 - c;
                    costs[k][turn] = measure(contenders.get(k), batch, millis);
                }
                for (int c = 0; c < contenders.size(); c++)
                {
                    line.append(String.format(Locale.ROOT, "  %s %.2f ns/message, empty poll %.2f ns",
                        contenders.get(c).label(), costs[c][turn].receiveNanos(), costs[c][turn].emptyPollNanos()));
                }
                System.out.println(line);
            }
            final double[] receive = new double[contenders.size()];
            final double[] empty = new double[contenders.size()];
            for (int c = 0; c < contenders.size(); c++)
            {
                receive[c] = median(Arrays.stream(costs[c]).mapToDouble(Cost::receiveNanos).toArray());
                empty[c] = median(Arrays.stream(costs[c]).mapToDouble(Cost::emptyPollNanos).toArray());
                System.out.printf(Locale.ROOT, "%-8s median: receive %.2f ns/message, empty poll %.2f ns%n",
                    contenders.get(c).label(), receive[c], empty[c]);
            }
            if (contenders.size() == 2)
            {
                System.out.printf(Locale.ROOT, "Trindle / Agrona: receive %.2f, empty poll %.2f%n",
                    receive[0] / receive[1], empty[0] / empty[1]);
            }
        }
        finally
        {
            for (final Contender contender : contenders)
            {
                contender.close();
            }
        }
    }

    private static String value(final String[] args, final int i)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException(args[i - 1] + " needs a value (try --help)");
        }
        return args[i];
    }

    private static Cost measure(final Contender contender, final int batch, final long millis)
    {
        final long until = System.nanoTime() + millis * 1_000_000L;
        long value = 0;
        long receiveNanos = 0;
        long received = 0;
        while (System.nanoTime() < until)
        {
            for (int r = 0; r < 64; r++)
            {
                contender.send(value, batch);
                final long start = System.nanoTime();
                final long sum = contender.receive(batch);
                receiveNanos += System.nanoTime() - start;
                final long expected = batch * value + (long)batch * (batch - 1) / 2;
                if (sum != expected)
                {
                    throw new IllegalStateException(contender.label() + " received messages summing to " + sum +
                        ", expected " + expected + " (batch from " + value + ")");
                }
                value += batch;
                received += batch;
            }
        }
        final long start = System.nanoTime();
        int found = 0;
        for (int i = 0; i < EMPTY_POLLS; i++)
        {
            found += contender.pollEmpty();
        }
        final long emptyNanos = System.nanoTime() - start;
        if (found != 0)
        {
            throw new IllegalStateException(contender.label() + " found " + found + " messages in an empty ring");
        }
        return new Cost((double)receiveNanos / received, (double)emptyNanos / EMPTY_POLLS);
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** One lane: an exclusive sender (claim, write in place, commit) and a receiver polling into an inbox. */
    private static final class TrindleContender implements Contender
    {
        private final LaneSender sender;
        private final PipeReceiver receiver;
        private final Inbox inbox = new Inbox(256);

        TrindleContender()
        {
            try (Handle lane = Pipe.create(CAPACITY).newLane())
            {
                sender = LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)), WaitStrategy.SPIN);
                receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null,
                    WaitStrategy.SPIN);
            }
        }

        @Override
        public String label()
        {
            return "Trindle";
        }

        @Override
        public void send(final long first, final int count)
        {
            final MemorySegment ring = sender.buffer();
            for (int i = 0; i < count; i++)
            {
                final long claim = sender.claim(PAYLOAD);
                if (claim == LaneSender.FULL)
                {
                    throw new IllegalStateException("the lane is full: a batch must fit it");
                }
                ring.set(ValueLayout.JAVA_LONG_UNALIGNED, sender.payloadOffset(claim), first + i);
                sender.commit(claim);
            }
        }

        @Override
        public long receive(final int count)
        {
            long sum = 0;
            int left = count;
            while (left > 0)
            {
                receiver.poll(inbox);
                final int size = inbox.size();
                for (int m = 0; m < size; m++)
                {
                    sum += inbox.get(m).getLong(0);
                }
                inbox.release();
                left -= size;
            }
            return sum;
        }

        @Override
        public int pollEmpty()
        {
            return receiver.poll(inbox);
        }

        @Override
        public void close()
        {
            receiver.close();
            sender.close();
        }
    }

    /** Agrona's one-to-one ring buffer over direct memory: tryClaim, write in place, commit; read (and release). */
    private static final class AgronaContender implements Contender, MessageHandler
    {
        private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
        private long sum;

        @Override
        public String label()
        {
            return "Agrona";
        }

        @Override
        public void send(final long first, final int count)
        {
            for (int i = 0; i < count; i++)
            {
                final int index = ring.tryClaim(1, PAYLOAD);
                if (index < 0)
                {
                    throw new IllegalStateException("the ring is full: a batch must fit it");
                }
                ring.buffer().putLong(index, first + i);
                ring.commit(index);
            }
        }

        @Override
        public long receive(final int count)
        {
            sum = 0;
            int left = count;
            while (left > 0)
            {
                left -= ring.read(this, 256);
            }
            return sum;
        }

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            sum += buffer.getLong(index);
        }

        @Override
        public int pollEmpty()
        {
            return ring.read(this, 256);
        }

        @Override
        public void close()
        {
        }
    }
}
