package io.trindle.benchmarks;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The sending half of the runtime path in one thread, with no second core involved, so that a loaded machine's
 * scheduler does not decide the figure: one thread sends a batch of 64-byte messages one of four ways (timed), then
 * receives and releases it (not timed). The ways: the raw lane (claim, a long written in place, commit, as
 * {@link CrossSource}); and three that send from an outbox-like buffer where each message was first written (as
 * {@code Outbox.claim} does): one by one with {@code LaneSender.send} (claim, copy, commit: what
 * {@code Outbox.sendAll} did), as runs copying each message ({@code claimRun}, {@code putRecord}, {@code commitRun}),
 * and as runs copied whole from a buffer laid out as records ({@code claimRun}, {@code putRun}, {@code commitRun}:
 * what {@code Outbox.sendAll} does now). The ways take turns; printed by {@code benchmarks/run runtime} before the
 * pipeline turns.
 */
final class SendCost implements AutoCloseable
{
    private static final int PAYLOAD = 64;
    private static final int BATCH = 256;
    private static final int CAPACITY = 256 * 1024;
    private static final String[] WAYS = {"raw lane", "one by one", "run, a copy each", "run, one copy"};
    private static final int RECORD = LaneDescriptor.recordLength(PAYLOAD);

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment outbox = arena.allocate((long)BATCH * RECORD, LaneDescriptor.RECORD_ALIGNMENT);
    private final Handle lane = Pipe.create(CAPACITY).newLane();
    private final LaneSender sender = LaneSender.open(lane.duplicate(Rights.of(Right.SEND)));
    private final PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null);
    private final Inbox inbox = new Inbox(BATCH);
    private long next;
    private long checksum;

    /** Prints the cost per message of each way over {@code turns} turns of {@code millis} each, after a warm-up. */
    static void print(final int turns, final long millis)
    {
        try (SendCost cost = new SendCost())
        {
            System.out.printf(Locale.ROOT, "send cost, one thread: batches of %d messages of %d bytes, a lane of " +
                "%d KiB, %d turns of %d ms after a warm-up; ns per message%n", BATCH, PAYLOAD, CAPACITY / 1024, turns,
                millis);
            for (int warmUp = 0; warmUp < 3; warmUp++)
            {
                for (int way = 0; way < WAYS.length; way++)
                {
                    cost.measure(way, millis);
                }
            }
            final double[][] nanos = new double[WAYS.length][turns];
            for (int turn = 0; turn < turns; turn++)
            {
                final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  turn %d", turn + 1));
                for (int w = 0; w < WAYS.length; w++)
                {
                    // Alternate the order, so that no way always runs first in a turn.
                    final int way = turn % 2 == 0 ? w : WAYS.length - 1 - w;
                    nanos[way][turn] = cost.measure(way, millis);
                }
                for (int way = 0; way < WAYS.length; way++)
                {
                    line.append(String.format(Locale.ROOT, "   %s %.2f", WAYS[way], nanos[way][turn]));
                }
                System.out.println(line);
            }
            final StringBuilder line = new StringBuilder("median:");
            final double raw = median(nanos[0]);
            for (int way = 0; way < WAYS.length; way++)
            {
                final double median = median(nanos[way]);
                line.append(String.format(Locale.ROOT, " %s %.2f ns (%.2fx the raw lane's rate)%s", WAYS[way], median,
                    raw / median, way == WAYS.length - 1 ? "" : ";"));
            }
            System.out.println(line);
            if (cost.checksum == 42)
            {
                System.out.println(); // keeps the received values alive
            }
        }
    }

    /** @return ns per message sent {@code way} over about {@code millis}. */
    private double measure(final int way, final long millis)
    {
        final long end = System.nanoTime() + millis * 1_000_000L;
        long elapsed = 0;
        long messages = 0;
        while (System.nanoTime() < end)
        {
            final long start = System.nanoTime();
            send(way);
            elapsed += System.nanoTime() - start;
            messages += BATCH;
            receive();
        }
        return (double)elapsed / messages;
    }

    private void send(final int way)
    {
        final long first = next;
        next += BATCH;
        if (way == 0)
        {
            for (int i = 0; i < BATCH; i++)
            {
                final long claim = sender.claim(PAYLOAD, -1);
                sender.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, sender.payloadOffset(claim), first + i);
                sender.commit(claim);
            }
            return;
        }
        if (way == 3)
        {
            // Laid out as records, as the outbox holds them now: the run goes into the lane in one copy.
            long record = 0;
            for (int i = 0; i < BATCH; i++)
            {
                outbox.set(ValueLayout.JAVA_LONG_UNALIGNED, record + LaneDescriptor.RECORD_HEADER_LENGTH, first + i);
                record = LaneSender.layOutRecord(outbox, record, PAYLOAD);
            }
            final int perRun = sender.maxRunLength() / RECORD;
            for (int i = 0; i < BATCH; i += perRun)
            {
                final int runLength = Math.min(perRun, BATCH - i) * RECORD;
                final long run = sender.claimRun(runLength, -1);
                sender.commitRun(run, sender.putRun(run, outbox, (long)i * RECORD, runLength));
            }
            return;
        }
        for (int i = 0; i < BATCH; i++)
        {
            outbox.set(ValueLayout.JAVA_LONG_UNALIGNED, (long)i * PAYLOAD, first + i);
        }
        if (way == 1)
        {
            for (int i = 0; i < BATCH; i++)
            {
                sender.send(outbox, (long)i * PAYLOAD, PAYLOAD, -1);
            }
            return;
        }
        final int perRun = sender.maxRunLength() / RECORD;
        for (int i = 0; i < BATCH;)
        {
            final int end = Math.min(i + perRun, BATCH);
            final long run = sender.claimRun((end - i) * RECORD, -1);
            long at = run;
            for (; i < end; i++)
            {
                at = sender.putRecord(at, outbox, (long)i * PAYLOAD, PAYLOAD);
            }
            sender.commitRun(run, at);
        }
    }

    private void receive()
    {
        int received = 0;
        while (received < BATCH)
        {
            final int count = receiver.poll(inbox);
            for (int i = 0; i < count; i++)
            {
                checksum += inbox.get(i).getLong(0);
            }
            received += count;
            inbox.release();
        }
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @Override
    public void close()
    {
        receiver.close();
        sender.close();
        lane.close();
        arena.close();
    }
}
