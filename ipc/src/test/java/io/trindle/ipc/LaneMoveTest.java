package io.trindle.ipc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Moving a lane to a new one of another capacity while both sides run (docs/pipe-format.md §9): the moved record,
 * the receiver's switch, the order and sequences across it, a move that waits for room, a new lane given late, and a
 * sender that dies before its moved record.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LaneMoveTest
{
    private static final Rights SEND = Rights.of(Right.SEND);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    private <T extends AutoCloseable> T closeLater(final T resource)
    {
        toClose.add(resource);
        return resource;
    }

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    private static byte[] number(final int n)
    {
        return new byte[] {(byte)n, (byte)(n >>> 8), (byte)(n >>> 16), (byte)(n >>> 24)};
    }

    /** Receives everything waiting now (up to {@code expected} in all), checking numbers and sequences go up. */
    private static int drain(final PipeReceiver receiver, final Inbox inbox, final int from, final long[] lastSequence)
    {
        int next = from;
        while (receiver.poll(inbox) > 0)
        {
            for (int i = 0; i < inbox.size(); i++)
            {
                final Message message = inbox.get(i);
                assertEquals(next, message.getInt(0), "message order");
                assertTrue(message.sequence() > lastSequence[0], "sequences increase across the move");
                lastSequence[0] = message.sequence();
                next++;
            }
            inbox.release();
        }
        return next;
    }

    @Test
    void shouldGoOnInTheNewLaneInOrderWithSequencesThatGoOn()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
        final Inbox inbox = new Inbox(7);
        final long[] last = {-1};
        int sent = 0;
        for (; sent < 50; sent++)
        {
            assertTrue(sender.send(number(sent), 0, 4, -1));
        }
        int received = drain(receiver, inbox, 0, last);
        for (; sent < 60; sent++)
        {
            assertTrue(sender.send(number(sent), 0, 4, -1));
        }
        final Handle grown = closeLater(Pipe.newLaneAfter(lane, 65536));
        receiver.laneMoving(lane.objectId(), 0, 1, grown.duplicate(RECEIVE));
        assertTrue(sender.moveTo(grown.duplicate(SEND), 1, 0));
        assertEquals(1, sender.generation());
        assertEquals(65536, sender.capacity());
        for (; sent < 2000; sent++)
        {
            // 2000 messages of 32 bytes do not fit the old lane: they can only be in the new one
            assertTrue(sender.send(number(sent), 0, 4, 0));
        }
        received = drain(receiver, inbox, received, last);
        assertEquals(sent, received);
        assertEquals(LaneState.OPEN, receiver.laneState(0));
        try (LaneTamper old = new LaneTamper(lane); LaneTamper now = new LaneTamper(grown))
        {
            final long start = (long)Lane.LONG.getVolatile(old.file(), (long)LaneDescriptor.HEAD_OFFSET);
            assertEquals(60 * 32 + 32, start, "the old lane is released through its moved record");
            assertEquals(start + (sent - 60) * 32L, now.tail(), "the new lane's positions start after it");
        }
        sender.endStream();
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, -1));
    }

    @Test
    void shouldWaitAtTheMovedRecordUntilTheNewLaneIsGiven()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final Handle other = closeLater(Pipe.create(4096).newLane()); // a second pipe: the fair, many-lane path
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE),
            other.duplicate(RECEIVE)), null));
        final Handle shrunk = closeLater(Pipe.newLaneAfter(lane, 4096));
        assertTrue(sender.send(number(0), 0, 4, 0));
        assertTrue(sender.moveTo(shrunk.duplicate(SEND), 1, 0));
        assertTrue(sender.send(number(1), 0, 4, 0));
        final Inbox inbox = new Inbox(8);
        final long[] last = {-1};
        assertEquals(1, drain(receiver, inbox, 0, last), "stops at the moved record");
        assertEquals(0, receiver.poll(inbox), "and stays there");
        assertEquals(LaneState.OPEN, receiver.laneState(lane.objectId(), 0));
        receiver.laneMoving(lane.objectId(), 0, 1, shrunk.duplicate(RECEIVE));
        assertEquals(2, drain(receiver, inbox, 1, last));
    }

    @Test
    void shouldShrinkBelowTheDepthWithoutLosingWhatTheOldLaneHolds()
    {
        final Handle lane = closeLater(Pipe.create(16384).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
        int sent = 0;
        while (sender.trySend(number(sent), 0, 4))
        {
            sent++;
        }
        final Handle shrunk = closeLater(Pipe.newLaneAfter(lane, 4096));
        receiver.laneMoving(lane.objectId(), 0, 1, shrunk.duplicate(RECEIVE));
        assertFalse(sender.moveTo(shrunk.duplicate(SEND), 1, 0), "no room for the moved record: the move waits");
        assertTrue(sender.isMoving());
        final Inbox inbox = new Inbox(1);
        assertEquals(1, receiver.poll(inbox));
        assertEquals(0, inbox.get(0).getInt(0));
        inbox.release();
        assertTrue(sender.finishMove(0));
        final int depth = sent - 1;
        for (int i = 0; i < 100; i++, sent++)
        {
            assertTrue(sender.send(number(sent), 0, 4, 0));
        }
        assertTrue(depth * 32L > 4096, "the old lane held more than the new one can");
        final Inbox big = new Inbox(64);
        assertEquals(sent, drain(receiver, big, 1, new long[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> sender.send(new byte[497], 0, 497, 0),
            "the new lane's largest payload holds");
    }

    @Test
    void shouldEndInTheOldLaneWhenTheSenderDiesBeforeItsMovedRecord()
    {
        // The supervisor gave both sides the new lane; the sender died before writing its moved record, and exits for
        // good: the supervisor ends both lanes. The receiver reads the old lane to its end and loses nothing.
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = LaneSender.open(lane.duplicate(SEND));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
        final Handle grown = closeLater(Pipe.newLaneAfter(lane, 8192));
        receiver.laneMoving(lane.objectId(), 0, 1, grown.duplicate(RECEIVE));
        for (int i = 0; i < 10; i++)
        {
            assertTrue(sender.send(number(i), 0, 4, 0));
        }
        sender.release(); // dies: the lane is left as it is
        Pipe.endLane(lane);
        Pipe.endLane(grown);
        final Inbox inbox = new Inbox(4);
        assertEquals(10, drain(receiver, inbox, 0, new long[] {-1}));
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, -1));
        assertEquals(LaneState.ENDED, receiver.laneState(0));
    }

    @Test
    void shouldSetTheLaneAsideWhenTheMovedRecordLies()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final List<String> faults = new ArrayList<>();
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)),
            (pipe, id, reason) -> faults.add(reason)));
        final Handle grown = closeLater(Pipe.newLaneAfter(lane, 8192));
        receiver.laneMoving(lane.objectId(), 0, 1, grown.duplicate(RECEIVE));
        try (LaneTamper view = new LaneTamper(lane))
        {
            // A moved record whose start is not right after it.
            final long ring = LaneDescriptor.HEADER_LENGTH;
            view.file().set(ValueLayout.JAVA_INT, ring + LaneDescriptor.RECORD_LENGTH_OFFSET, 16);
            view.file().set(ValueLayout.JAVA_INT, ring + LaneDescriptor.RECORD_TYPE_OFFSET, LaneDescriptor.TYPE_MOVED);
            view.file().set(ValueLayout.JAVA_INT, ring + 16 + LaneDescriptor.MOVED_GENERATION_OFFSET, 1);
            view.file().set(ValueLayout.JAVA_INT, ring + 16 + LaneDescriptor.MOVED_CAPACITY_OFFSET, 8192);
            view.file().set(ValueLayout.JAVA_LONG, ring + 16 + LaneDescriptor.MOVED_START_OFFSET, 4096);
            view.setTail(32);
            Lane.LONG.setRelease(view.file(), ring + LaneDescriptor.RECORD_STAMP_OFFSET, 1L);
        }
        assertEquals(0, receiver.poll(new Inbox(1)));
        assertEquals(LaneState.CORRUPT, receiver.laneState(0));
        assertTrue(faults.getFirst().contains("moved record at position=0"), faults.toString());
    }

    @Test
    void shouldTellTheSupervisorWhereAMoveStands()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
        final Handle grown = closeLater(Pipe.newLaneAfter(lane, 8192));
        receiver.laneMoving(lane.objectId(), 0, 1, grown.duplicate(RECEIVE));
        assertTrue(sender.send(number(0), 0, 4, 0));
        assertEquals(Pipe.MOVE_PENDING, Pipe.moveState(lane, 1));
        final long claim = sender.claim(4); // a sender that dies with its moved record claimed, not committed
        sender.abort(claim);
        assertEquals(Pipe.MOVE_PENDING, Pipe.moveState(lane, 1));
        assertTrue(sender.moveTo(grown.duplicate(SEND), 1, 0));
        assertEquals(Pipe.MOVE_SENT, Pipe.moveState(lane, 1));
        assertEquals(Pipe.MOVE_PENDING, Pipe.moveState(lane, 2), "another generation's move");
        final Inbox inbox = new Inbox(4);
        assertEquals(1, receiver.poll(inbox));
        assertEquals(0, receiver.poll(inbox), "the batch holds a message of the old lane: it stays mapped");
        assertEquals(Pipe.MOVE_SENT, Pipe.moveState(lane, 1));
        inbox.release();
        assertEquals(Pipe.MOVE_DONE, Pipe.moveState(lane, 1));
    }

    @Test
    void shouldRefuseALaneOfAnotherLaneId()
    {
        final Pipe pipe = Pipe.create(4096);
        final Handle lane = closeLater(pipe.newLane());
        final Handle other = closeLater(pipe.newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final Handle wrong = closeLater(Pipe.newLaneAfter(other, 8192));
        assertThrows(IllegalArgumentException.class, () -> sender.moveTo(wrong.duplicate(SEND), 1, -1));
        assertTrue(sender.send(number(0), 0, 4, 0), "the sender goes on in its lane");
    }

    @Test
    void shouldMoveWhileTheReceiverRunsInAnotherThread() throws Exception
    {
        // Three moves, up and down, while a receiver thread reads: every message once, in order.
        final int total = 200_000;
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.openExclusive(lane.duplicate(SEND), WaitStrategy.DEFAULT));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
        final CompletableFuture<Integer> reading = CompletableFuture.supplyAsync(() ->
        {
            final Inbox inbox = new Inbox(64);
            final long[] last = {-1};
            int next = 0;
            while (receiver.receive(inbox, -1) != PipeReceiver.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    if (message.getInt(0) != next || message.sequence() <= last[0])
                    {
                        throw new AssertionError("message " + message.getInt(0) + " at sequence " +
                            message.sequence() + ", expected " + next + " after " + last[0]);
                    }
                    last[0] = message.sequence();
                    next++;
                }
                inbox.release();
            }
            return next;
        });
        Handle current = lane;
        final int[] sizes = {65536, 4096, 1 << 20, 8192};
        for (int i = 0; i < total; i++)
        {
            if (i % (total / 4) == total / 8)
            {
                final int move = i / (total / 4) + 1;
                current = closeLater(Pipe.newLaneAfter(current, sizes[move - 1]));
                receiver.laneMoving(lane.objectId(), 0, move, current.duplicate(RECEIVE));
                assertTrue(sender.moveTo(current.duplicate(SEND), move, -1));
            }
            assertTrue(sender.send(number(i), 0, 4, -1));
        }
        sender.endStream();
        assertEquals(total, reading.get(1, TimeUnit.MINUTES));
    }
}
