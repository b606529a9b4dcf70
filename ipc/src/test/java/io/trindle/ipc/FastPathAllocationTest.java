package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast path allocates nothing: sending (copy, claim/commit or a run), receiving into an inbox, reading a message
 * in place and releasing, once the JIT has compiled them. Measured with the JVM's per-thread allocation
 * counter, which counts every byte this thread allocates on the heap.
 */
class FastPathAllocationTest
{
    private static final int ROUNDS = 200_000;

    @Test
    void shouldAllocateNothingToSendReceiveAndRelease()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Pipe pipe = Pipe.create(64 * 1024);
        try (Handle lane = pipe.newLane();
            LaneSender sender = LaneSender.open(lane.duplicate(Rights.of(Right.SEND)));
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))), null);
            Arena arena = Arena.ofConfined())
        {
            final MemorySegment payload = arena.allocate(64);
            final Inbox inbox = new Inbox(16);
            for (int warmUp = 0; warmUp < 10; warmUp++)
            {
                roundTrips(sender, receiver, inbox, payload);
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            final long sum = roundTrips(sender, receiver, inbox, payload);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertEquals(ROUNDS * (ROUNDS - 1L) / 2, sum, "every message received once");
            assertEquals(0, allocated, "bytes allocated over " + ROUNDS + " sends, receives and releases");
        }
    }

    /**
     * The same with the exclusive sender (its own tail, never loaded back), a pipe of two lanes (the passes of
     * {@link PipeReceiver#poll} over several lanes), and an empty poll after every batch.
     */
    @Test
    void shouldAllocateNothingWithAnExclusiveSenderSeveralLanesAndEmptyPolls()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Pipe pipe = Pipe.create(64 * 1024);
        try (Handle lane = pipe.newLane(); Handle idle = pipe.newLane();
            LaneSender sender = LaneSender.openExclusive(lane.duplicate(Rights.of(Right.SEND)), WaitStrategy.SPIN);
            PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE)),
                idle.duplicate(Rights.of(Right.RECEIVE))), null);
            Arena arena = Arena.ofConfined())
        {
            final MemorySegment payload = arena.allocate(64);
            final Inbox inbox = new Inbox(16);
            for (int warmUp = 0; warmUp < 10; warmUp++)
            {
                roundTrips(sender, receiver, inbox, payload);
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            final long sum = roundTrips(sender, receiver, inbox, payload);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertEquals(ROUNDS * (ROUNDS - 1L) / 2, sum, "every message received once");
            assertEquals(0, allocated, "bytes allocated over " + ROUNDS + " rounds with empty polls");
        }
    }

    /**
     * A table's fast paths allocate nothing either: a snapshot's read into a segment, and a transaction that reads
     * two keys and writes two, committed (the explicit snapshot and transaction calls, with segment keys).
     */
    @Test
    void shouldAllocateNothingToReadASnapshotOrCommitATransaction()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Table table = Table.create(TableShape.of(1 << 20, 16, 16, 2)); Arena arena = Arena.ofConfined())
        {
            final MemorySegment a = arena.allocate(8).fill((byte)'a');
            final MemorySegment b = arena.allocate(8).fill((byte)'b');
            final MemorySegment value = arena.allocate(16);
            final Transaction first = table.begin();
            first.put(a, value);
            first.put(b, value);
            assertTrue(first.commit());
            final Snapshot snapshot = table.snapshot();
            for (int warmUp = 0; warmUp < 10; warmUp++)
            {
                transfers(table, snapshot, a, b, value);
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            final long sum = transfers(table, snapshot, a, b, value);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertEquals(ROUNDS * 16L, sum, "every read found its value");
            assertEquals(0, allocated, "bytes allocated over " + ROUNDS + " snapshot reads and commits");
        }
    }

    /** @return the value lengths read. */
    private static long transfers(final Table table, final Snapshot snapshot, final MemorySegment a,
        final MemorySegment b, final MemorySegment value)
    {
        long read = 0;
        for (int i = 0; i < ROUNDS; i++)
        {
            final Transaction transaction = table.begin();
            read += transaction.get(a, value);
            transaction.put(a, value);
            transaction.put(b, value);
            assertTrue(transaction.commit());
            if (i % 1000 == 0)
            {
                snapshot.end();
                snapshot.begin();
            }
            try
            {
                snapshot.get(b, value);
            }
            catch (final TableConflictException expected)
            {
                snapshot.end();
                snapshot.begin();
            }
        }
        return read;
    }

    /** @return the sum of the indexes received. */
    private static long roundTrips(final LaneSender sender, final PipeReceiver receiver, final Inbox inbox,
        final MemorySegment payload)
    {
        long sum = 0;
        for (int i = 0; i < ROUNDS; i++)
        {
            payload.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, i);
            if (i % 3 == 0)
            {
                sender.trySend(payload, 0, 64);
            }
            else if (i % 3 == 1)
            {
                final long claim = sender.claim(64);
                MemorySegment.copy(payload, 0, sender.buffer(), sender.payloadOffset(claim), 64);
                sender.commit(claim);
            }
            else
            {
                final long run = sender.claimRun(LaneDescriptor.recordLength(64), 0);
                sender.commitRun(run, sender.putRecord(run, payload, 0, 64));
            }
            receiver.poll(inbox);
            for (int m = 0; m < inbox.size(); m++)
            {
                sum += inbox.get(m).getLong(0);
            }
            inbox.release();
            assertEquals(0, receiver.poll(inbox), "nothing left after the batch");
        }
        return sum;
    }
}
