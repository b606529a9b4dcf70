package io.trindle.ipc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pipes within one process: the lane format, ordering, release, blocking, end of stream, unblocking. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeTest
{
    private static final long MS = 1_000_000L;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        for (final AutoCloseable resource : resources.reversed())
        {
            resource.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(final T resource)
    {
        resources.add(resource);
        return resource;
    }

    /** A pipe with {@code lanes} lanes: senders, and duplicates for receivers kept by the "supervisor". */
    private final class Fixture
    {
        final Pipe pipe;
        final List<Handle> lanes = new ArrayList<>();
        final List<LaneSender> senders = new ArrayList<>();

        Fixture(final int capacity, final int laneCount)
        {
            pipe = Pipe.create(capacity);
            for (int i = 0; i < laneCount; i++)
            {
                final Handle lane = closeLater(pipe.newLane());
                lanes.add(lane);
                senders.add(closeLater(LaneSender.open(lane.duplicate(SEND))));
            }
        }

        PipeReceiver receiver(final LaneFaultListener listener)
        {
            final List<Handle> handles = new ArrayList<>();
            for (final Handle lane : lanes)
            {
                handles.add(lane.duplicate(RECEIVE));
            }
            return closeLater(PipeReceiver.open(handles, listener));
        }
    }

    private static byte[] message(final int lane, final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(lane * 31 + index * 7 + i);
        }
        return bytes;
    }

    @Test
    void shouldDeliverMessagesOfEverySizeInOrderAcrossManyWraps()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(16);
        assertEquals(4096 / 8 - 16, sender.maxPayloadLength());

        int sent = 0;
        int received = 0;
        long lastSequence = -1;
        final int total = 5000;
        while (received < total)
        {
            while (sent < total && sender.trySend(message(0, sent, sent % (sender.maxPayloadLength() + 1)), 0,
                sent % (sender.maxPayloadLength() + 1)))
            {
                sent++;
            }
            receiver.poll(inbox);
            for (int i = 0; i < inbox.size(); i++)
            {
                final Message m = inbox.get(i);
                assertEquals(received % (sender.maxPayloadLength() + 1), m.length());
                assertArrayEquals(message(0, received, m.length()), m.toByteArray());
                assertTrue(m.sequence() > lastSequence, "sequences increase");
                assertEquals(fixture.pipe.objectId(), m.pipeId());
                lastSequence = m.sequence();
                received++;
            }
            inbox.release();
        }
        assertEquals(total, received);
        try (LaneTamper lane = new LaneTamper(fixture.lanes.getFirst()))
        {
            assertEquals(total, lane.file().get(ValueLayout.JAVA_LONG, LaneDescriptor.RELEASED_COUNT_OFFSET),
                "the receiver publishes how many messages it released");
        }
    }

    @Test
    void shouldDeliverInOrderFromAnExclusiveSender()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(16);
        try (LaneSender exclusive = closeLater(LaneSender.openExclusive(fixture.lanes.getFirst().duplicate(SEND),
            WaitStrategy.DEFAULT)))
        {
            int sent = 0;
            int received = 0;
            while (received < 20_000)
            {
                while (sent < 20_000 && exclusive.trySend(message(0, sent, 1 + sent % 200), 0, 1 + sent % 200))
                {
                    sent++;
                }
                receiver.poll(inbox);
                for (int i = 0; i < inbox.size(); i++)
                {
                    assertArrayEquals(message(0, received, 1 + received % 200), inbox.get(i).toByteArray());
                    received++;
                }
                inbox.release();
            }
        }
    }

    @Test
    void shouldKeepWholeRecordsWhenManyThreadsSendOnOneLane() throws Exception
    {
        final Fixture fixture = new Fixture(8192, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final PipeReceiver receiver = fixture.receiver(null);
        final int threads = 4;
        final int perThread = 50_000;
        final List<CompletableFuture<Void>> sending = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            sending.add(CompletableFuture.runAsync(() ->
            {
                final byte[] bytes = new byte[16];
                final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(bytes).order(
                    java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < perThread; i++)
                {
                    view.putInt(0, thread).putInt(4, i).putLong(8, thread * 1_000_003L + i);
                    assertTrue(sender.send(bytes, 0, 4 + 4 + (i % 2 == 0 ? 8 : 4), TimeUnit.SECONDS.toNanos(30)));
                }
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
        }
        final int[] next = new int[threads];
        final Inbox inbox = new Inbox(64);
        int received = 0;
        while (received < threads * perThread)
        {
            final int count = receiver.receive(inbox, TimeUnit.SECONDS.toNanos(30));
            assertTrue(count > 0, "messages stopped coming after " + received);
            for (int i = 0; i < count; i++)
            {
                final Message m = inbox.get(i);
                final int thread = m.getInt(0);
                final int index = m.getInt(4);
                assertEquals(next[thread]++, index, "each thread's messages arrive whole and in its order");
                assertEquals(index % 2 == 0 ? 16 : 12, m.length());
                if (m.length() == 16)
                {
                    assertEquals(thread * 1_000_003L + index, m.getLong(8));
                }
            }
            received += count;
            inbox.release();
        }
        for (final CompletableFuture<Void> thread : sending)
        {
            thread.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldRefuseAMessageLargerThanTheLaneAllows()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> sender.trySend(new byte[497], 0, 497));
        assertEquals("message length=497 exceeds the lane's maxPayloadLength=496 (lane capacity=4096)",
            e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sender.claim(-1));
        assertThrows(IllegalArgumentException.class, () -> Pipe.create(5000));
    }

    @Test
    void shouldSendInPlaceWithClaimCommitAndAbort()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(8);

        final long aborted = sender.claim(8);
        final long kept = sender.claim(8);
        sender.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, sender.payloadOffset(kept), 42L);
        sender.commit(kept);
        assertEquals(0, receiver.poll(inbox), "the earlier claim holds the lane until it is done");
        sender.abort(aborted);
        assertEquals(1, receiver.poll(inbox));
        assertEquals(42L, inbox.get(0).getLong(0));
        assertThrows(IndexOutOfBoundsException.class, () -> inbox.get(0).getLong(1));
        inbox.release();
    }

    @Test
    void shouldRedeliverEveryUnreleasedMessageToTheNextReceiver()
    {
        final Fixture fixture = new Fixture(64 * 1024, 2);
        for (int i = 0; i < 100; i++)
        {
            fixture.senders.get(i % 2).trySend(message(i % 2, i, 12), 0, 12);
        }
        final Inbox inbox = new Inbox(30);
        final PipeReceiver first = fixture.receiver(null);
        assertEquals(30, first.poll(inbox));
        inbox.release(); // 30 done
        assertEquals(30, first.poll(inbox));
        final java.util.Set<String> unreleased = new java.util.HashSet<>();
        for (int i = 0; i < inbox.size(); i++)
        {
            unreleased.add(inbox.get(i).laneId() + ":" + inbox.get(i).sequence());
        }
        first.close(); // "dies" holding 30 messages it never released

        final PipeReceiver second = fixture.receiver(null);
        final Inbox all = new Inbox(100);
        assertEquals(70, second.poll(all), "everything not released comes again, nothing released does");
        final java.util.Set<String> redelivered = new java.util.HashSet<>();
        for (int i = 0; i < all.size(); i++)
        {
            redelivered.add(all.get(i).laneId() + ":" + all.get(i).sequence());
        }
        assertTrue(redelivered.containsAll(unreleased), "a message is recognised again by its lane and sequence");
        all.release();
    }

    @Test
    void shouldTakeFromEveryLaneFairly()
    {
        final Fixture fixture = new Fixture(64 * 1024, 3);
        for (int i = 0; i < 300; i++)
        {
            fixture.senders.get(0).trySend(message(0, i, 8), 0, 8);
        }
        fixture.senders.get(1).trySend(message(1, 0, 8), 0, 8);
        fixture.senders.get(2).trySend(message(2, 0, 8), 0, 8);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(3);
        assertEquals(3, receiver.poll(inbox));
        final boolean[] seen = new boolean[3];
        for (int i = 0; i < 3; i++)
        {
            seen[inbox.get(i).laneId()] = true;
        }
        assertArrayEquals(new boolean[] {true, true, true}, seen, "a busy lane does not starve the others");
        inbox.release();
    }

    @Test
    void shouldWakeASleepingReceiverForOneMessage() throws Exception
    {
        final Fixture fixture = new Fixture(4096, 2);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(4);
        final LaneTamper view = closeLater(new LaneTamper(fixture.lanes.get(1)));
        final CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() ->
            receiver.receive(inbox, TimeUnit.SECONDS.toNanos(30)));
        // Past spinning and yielding, the receiver announces its sleep in every lane before its last look.
        view.awaitWord(LaneDescriptor.RECEIVER_SLEEPING_OFFSET, 1);
        assertFalse(received.isDone());
        fixture.senders.get(1).trySend(new byte[] {9}, 0, 1);
        assertEquals(1, received.get(10, TimeUnit.SECONDS));
        assertEquals(9, inbox.get(0).getByte(0));
        assertEquals(1, inbox.get(0).laneId());
        inbox.release();
    }

    @Test
    void shouldReturnNothingWhenTheTimeRunsOut()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(4);
        final long start = System.nanoTime();
        assertEquals(0, receiver.receive(inbox, 50 * MS));
        assertTrue(System.nanoTime() - start >= 50 * MS, "waited the whole timeout");
        assertEquals(0, receiver.receive(inbox, 0));
    }

    @Test
    void shouldWakeABlockedSenderWhenRoomIsReleased() throws Exception
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final byte[] payload = new byte[496];
        int sent = 0;
        while (sender.trySend(payload, 0, payload.length))
        {
            sent++;
        }
        assertEquals(4096 / 512, sent, "the ring holds capacity / record length messages");
        assertFalse(sender.send(payload, 0, payload.length, 20 * MS), "a full lane times out");

        // The sender that timed out left its announcement behind (pipe-format §6, a stale sleeping word): clear
        // it, so that the 1 awaited below is the blocked sender's own.
        final LaneTamper view = closeLater(new LaneTamper(fixture.lanes.getFirst()));
        view.putWord(LaneDescriptor.SENDER_SLEEPING_OFFSET, 0);
        final CompletableFuture<Boolean> blocked = CompletableFuture.supplyAsync(() ->
            sender.send(payload, 0, payload.length, TimeUnit.SECONDS.toNanos(30)));
        view.awaitWord(LaneDescriptor.SENDER_SLEEPING_OFFSET, 1);
        assertFalse(blocked.isDone(), "the sender waits for room");
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(1);
        assertEquals(1, receiver.poll(inbox));
        Thread.sleep(50);
        assertFalse(blocked.isDone(), "reading without releasing frees no room");
        inbox.release();
        assertTrue(blocked.get(10, TimeUnit.SECONDS));
    }

    @Test
    void shouldEndEachLaneAndThenThePipe()
    {
        final Fixture fixture = new Fixture(4096, 2);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(8);
        fixture.senders.get(0).trySend(new byte[] {1}, 0, 1);
        fixture.senders.get(0).endStream();
        assertThrows(IllegalStateException.class, () -> fixture.senders.get(0).trySend(new byte[1], 0, 1));

        assertEquals(1, receiver.receive(inbox, 0), "the message before the end is delivered");
        inbox.release();
        assertEquals(0, receiver.receive(inbox, 10 * MS), "one lane ended, the other is still open");
        assertEquals(LaneState.ENDED, receiver.laneState(0));
        assertEquals(LaneState.OPEN, receiver.laneState(1));

        fixture.senders.get(1).close();
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, TimeUnit.SECONDS.toNanos(10)));
        assertEquals(LaneState.ENDED, receiver.laneState(1));

        // The end is never released, so a later receiver sees it too.
        final PipeReceiver later = fixture.receiver(null);
        assertEquals(PipeReceiver.END_OF_STREAM, later.receive(inbox, 0));
    }

    @Test
    void shouldWakeASleepingReceiverAtTheEndOfTheStream() throws Exception
    {
        final Fixture fixture = new Fixture(4096, 1);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(4);
        final LaneTamper view = closeLater(new LaneTamper(fixture.lanes.getFirst()));
        final CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> receiver.receive(inbox, -1));
        view.awaitWord(LaneDescriptor.RECEIVER_SLEEPING_OFFSET, 1);
        assertFalse(received.isDone());
        fixture.senders.getFirst().close();
        assertEquals(PipeReceiver.END_OF_STREAM, received.get(10, TimeUnit.SECONDS));
    }

    @Test
    void shouldUnblockARecordWhoseSenderDiedBeforeCommitting()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender sender = fixture.senders.getFirst();
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(8);

        sender.claim(100); // claimed by a thread that "dies" and never commits
        sender.trySend(new byte[] {7}, 0, 1);
        assertEquals(0, receiver.poll(inbox), "the dead claim blocks the lane");
        assertTrue(receiver.unblock(0));
        assertEquals(1, receiver.poll(inbox));
        assertEquals(7, inbox.get(0).getByte(0));
        inbox.release();
        assertFalse(receiver.unblock(0), "nothing left to clear");
    }

    @Test
    void shouldClearEveryDeadClaimSoARestartedSenderCarriesOnInTheSameLane()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final LaneSender dying = fixture.senders.getFirst();
        dying.trySend(new byte[] {1}, 0, 1);
        dying.claim(40);                      // claimed by threads of a process that is then killed
        dying.trySend(new byte[] {2}, 0, 1);
        dying.claim(8);
        final PipeReceiver receiver = fixture.receiver(null);
        final Inbox inbox = new Inbox(8);
        assertEquals(1, receiver.poll(inbox));
        inbox.release();

        assertEquals(2, Pipe.clearDeadClaims(fixture.lanes.getFirst()));
        assertEquals(0, Pipe.clearDeadClaims(fixture.lanes.getFirst()), "nothing left to clear");
        try (LaneSender restarted = LaneSender.open(fixture.lanes.getFirst().duplicate(SEND)))
        {
            restarted.trySend(new byte[] {3}, 0, 1);
            assertEquals(2, receiver.poll(inbox));
            assertEquals(2, inbox.get(0).getByte(0));
            assertEquals(3, inbox.get(1).getByte(0));
            inbox.release();
        }
    }

    @Test
    void shouldRefuseToOpenAHandleWithoutTheRight()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final Handle receiveOnly = fixture.lanes.getFirst().duplicate(RECEIVE);
        final RightsException e = assertThrows(RightsException.class, () -> LaneSender.open(receiveOnly));
        assertTrue(e.getMessage().startsWith("send needs SEND"), e.getMessage());
        assertFalse(receiveOnly.isClosed(), "a refusal for a missing right leaves the handle as it was");
        receiveOnly.close();
        final Handle sendOnly = fixture.lanes.getFirst().duplicate(SEND);
        assertThrows(RightsException.class, () -> PipeReceiver.open(List.of(sendOnly), null));
        assertTrue(sendOnly.isClosed(), "a receiver that fails to open closes every lane handle it was given");
    }

    /**
     * The receiver finds records by their stamps alone and reads the tail only once the lane has ended (to tell
     * the end from a claim never committed): a scribbled tail costs nothing before, and is caught then.
     */
    @Test
    void shouldReportAnImpossibleTailAtTheEndAndKeepReadingTheOtherLanes()
    {
        final Fixture fixture = new Fixture(4096, 2);
        final List<String> faults = new ArrayList<>();
        final PipeReceiver receiver = fixture.receiver((pipe, lane, reason) -> faults.add(lane + ": " + reason));
        fixture.senders.get(1).trySend(new byte[] {1}, 0, 1);
        try (LaneTamper tamper = new LaneTamper(fixture.lanes.get(1)))
        {
            tamper.setTail(1L << 40); // far beyond anything the capacity allows
        }
        fixture.senders.get(0).trySend(new byte[] {5}, 0, 1);

        final Inbox inbox = new Inbox(8);
        assertEquals(2, receiver.poll(inbox), "both committed messages, whatever the tail says");
        inbox.release();
        assertEquals(LaneState.OPEN, receiver.laneState(1));
        assertTrue(faults.isEmpty(), faults.toString());

        Pipe.endLane(fixture.lanes.get(1));
        fixture.senders.get(0).trySend(new byte[] {6}, 0, 1);
        assertEquals(1, receiver.poll(inbox));
        assertEquals(0, inbox.get(0).laneId());
        assertEquals(LaneState.CORRUPT, receiver.laneState(1));
        assertTrue(receiver.laneFault(1).startsWith("tail=1099511627776 is impossible"), receiver.laneFault(1));
        assertEquals(List.of("1: " + receiver.laneFault(1)), faults);
        assertEquals(LaneState.OPEN, receiver.laneState(0));
        assertNull(receiver.laneFault(0));
    }

    /**
     * A committed record that would reach past the room the receiver released (released + capacity) is corrupt,
     * though it stays inside the ring: no honest sender can have claimed it. The receiver bounds records by its
     * own released position, not by anything the sender wrote.
     */
    @Test
    void shouldReportARecordPastTheRoomReleased()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final List<String> faults = new ArrayList<>();
        final PipeReceiver receiver = fixture.receiver((pipe, lane, reason) -> faults.add(reason));
        final LaneSender sender = fixture.senders.getFirst();
        final Inbox inbox = new Inbox(16);
        final byte[] payload = new byte[496]; // a record of 512 bytes
        for (int i = 0; i < 7; i++)
        {
            assertTrue(sender.trySend(payload, 0, payload.length));
        }
        assertEquals(7, receiver.poll(inbox));
        inbox.release(); // released = 3584
        assertTrue(sender.trySend(payload, 0, payload.length)); // 3584 .. 4096, read and not released
        assertEquals(1, receiver.poll(inbox));
        try (LaneTamper tamper = new LaneTamper(fixture.lanes.getFirst()))
        {
            // At position 4096 (index 0): padding to the ring's end, 4096 bytes, past released + capacity = 7680.
            final MemorySegment ring = tamper.ring();
            ring.set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_LENGTH_OFFSET, 4096 - 16);
            ring.set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_TYPE_OFFSET, LaneDescriptor.TYPE_PADDING);
            Lane.LONG.setRelease(ring, (long)LaneDescriptor.RECORD_STAMP_OFFSET, 4096L + 1);
        }
        assertEquals(0, receiver.poll(inbox));
        assertEquals(LaneState.CORRUPT, receiver.laneState(0));
        assertTrue(receiver.laneFault(0).contains("past the room the receiver released (released=3584)"),
            receiver.laneFault(0));
        assertEquals(List.of(receiver.laneFault(0)), faults);
    }

    /** An exclusive sender keeps its own tail and never loads it back: a scribbled tail does not move its claims. */
    @Test
    void shouldKeepAnExclusiveSendersClaimsInPlaceWhateverTheTailSays()
    {
        final Fixture fixture = new Fixture(4096, 1);
        final PipeReceiver receiver = fixture.receiver(null);
        try (LaneSender sender = LaneSender.openExclusive(fixture.lanes.getFirst().duplicate(SEND),
            WaitStrategy.SPIN))
        {
            assertTrue(sender.trySend(new byte[] {1}, 0, 1));
            try (LaneTamper tamper = new LaneTamper(fixture.lanes.getFirst()))
            {
                tamper.setTail(1L << 40);
                assertTrue(sender.trySend(new byte[] {2}, 0, 1));
                assertEquals(64, tamper.tail(), "the next claim stored the tail from the sender's own copy");
            }
            final Inbox inbox = new Inbox(8);
            assertEquals(2, receiver.poll(inbox));
            assertEquals(1, inbox.get(0).getByte(0));
            assertEquals(2, inbox.get(1).getByte(0));
            assertEquals(32, inbox.get(1).sequence());
            inbox.release();
        }
    }
}
