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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lane ends by its header's ended word (docs/pipe-format.md §7), which needs no room in the ring and trusts
 * nothing the sender wrote: a full lane ends, a lane whose sender died mid-send ends, a lane its sender scribbled
 * over ends, and a receiver opening a lane damaged before it came sets that lane aside instead of failing.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LaneEndTest
{
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

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

    private PipeReceiver receiver(final LaneFaultListener listener, final Handle... lanes)
    {
        final List<Handle> handles = new ArrayList<>();
        for (final Handle lane : lanes)
        {
            handles.add(lane.duplicate(RECEIVE));
        }
        return closeLater(PipeReceiver.open(handles, listener));
    }

    @Test
    void shouldEndALaneFullToTheBrimForASenderThatExited()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        int sent = 0;
        while (sender.trySend(new byte[] {(byte)sent}, 0, 1))
        {
            sent++;
        }
        assertEquals(4096 / 32, sent, "full: not even a 16-byte record more fits");
        sender.release(); // the process goes without ending its stream

        Pipe.endLane(lane); // as the supervisor does when it sees the process exit for good
        final PipeReceiver receiver = receiver(null, lane);
        final Inbox inbox = new Inbox(16);
        int received = 0;
        int count;
        while ((count = receiver.receive(inbox, TimeUnit.SECONDS.toNanos(10))) != PipeReceiver.END_OF_STREAM)
        {
            assertTrue(count > 0, "the end arrives without a wait");
            for (int i = 0; i < count; i++)
            {
                assertEquals((byte)received++, inbox.get(i).getByte(0));
            }
            inbox.release();
        }
        assertEquals(sent, received, "every message, then the end");
        assertEquals(LaneState.ENDED, receiver.laneState(0));
        assertEquals(PipeReceiver.END_OF_STREAM, receiver(null, lane).receive(inbox, 0),
            "the end is never cleared: a later receiver sees it too");
    }

    @Test
    void shouldWakeASleepingReceiverWhenTheLaneIsEnded() throws Exception
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneTamper view = closeLater(new LaneTamper(lane));
        final PipeReceiver receiver = receiver(null, lane);
        final Inbox inbox = new Inbox(4);
        final CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> receiver.receive(inbox, -1));
        // The receiver announces its sleep in the lane before it sleeps: wait for that, not for time.
        while ((int)Lane.INT.getVolatile(view.file(), (long)LaneDescriptor.RECEIVER_SLEEPING_OFFSET) != 1)
        {
            Thread.onSpinWait();
        }
        Pipe.endLane(lane);
        assertEquals(PipeReceiver.END_OF_STREAM, received.get(30, TimeUnit.SECONDS));
    }

    @Test
    void shouldSkipAClaimItsSenderNeverCommittedOnceTheLaneEnded()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        sender.trySend(new byte[] {1}, 0, 1);
        sender.claim(100); // a thread claimed, and its process died before it committed
        sender.trySend(new byte[] {2}, 0, 1);
        final PipeReceiver receiver = receiver(null, lane);
        final Inbox inbox = new Inbox(8);
        assertEquals(1, receiver.poll(inbox), "the claim blocks the lane while its sender may still commit it");
        inbox.release();
        assertEquals(0, receiver.poll(inbox));

        Pipe.endLane(lane);
        assertEquals(1, receiver.receive(inbox, 0), "ended: the claim is skipped, the message after it read");
        assertEquals(2, inbox.get(0).getByte(0));
        inbox.release();
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, 0));
    }

    @Test
    void shouldSetAsideALaneDamagedBeforeItWasOpenedAndReadTheOthers()
    {
        final Pipe pipe = Pipe.create(4096);
        final Handle good = closeLater(pipe.newLane());
        final Handle bad = closeLater(pipe.newLane());
        final LaneSender goodSender = closeLater(LaneSender.open(good.duplicate(SEND)));
        try (LaneTamper view = new LaneTamper(bad))
        {
            view.file().set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, 0xdeadbeef);
        }
        final List<String> faults = new ArrayList<>();
        final PipeReceiver receiver = receiver((pipeId, laneId, reason) -> faults.add(pipeId + " " + laneId + " " +
            reason), good, bad);

        assertEquals(2, receiver.laneCount());
        assertEquals(1, faults.size(), "reported once: " + faults);
        assertTrue(faults.getFirst().startsWith(pipe.objectId() + " -1 lane of pipe 0x" +
            Long.toHexString(pipe.objectId())) && faults.getFirst().endsWith(
            " is not a ready lane: magic=0xdeadbeef, ready=1"), "with its pipe and why: " + faults);
        assertEquals(LaneState.CORRUPT, receiver.laneState(pipe.objectId(), LaneReader.UNKNOWN_LANE_ID));
        goodSender.trySend(new byte[] {9}, 0, 1);
        goodSender.endStream();
        final Inbox inbox = new Inbox(4);
        assertEquals(1, receiver.receive(inbox, 0));
        inbox.release();
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, 0), "the set-aside lane does not hold it");
        assertEquals(1, faults.size());
    }

    @Test
    void shouldEndALaneItsSenderScribbledOverAndSayWhatIsWrong()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = receiver(null, lane);
        sender.trySend(new byte[] {5}, 0, 1);
        assertNull(Pipe.damage(lane), "a sound lane");
        try (LaneTamper view = new LaneTamper(lane))
        {
            view.file().set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, 0x12345678);
            view.file().set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, 1 << 30);
        }
        assertEquals("header changed: magic=0x12345678, ready=1, version=" + LaneDescriptor.VERSION +
            ", capacity=1073741824, maxPayloadLength=496, pipe=0x" + Long.toHexString(lane.objectId()) +
            " (made as capacity=4096, pipe=0x" + Long.toHexString(lane.objectId()) + ")", Pipe.damage(lane));

        Pipe.endLane(lane); // reads none of it
        final Inbox inbox = new Inbox(4);
        assertEquals(1, receiver.receive(inbox, 0), "the receiver kept its own copy of the header");
        inbox.release();
        assertEquals(PipeReceiver.END_OF_STREAM, receiver.receive(inbox, 0));
    }

    @Test
    void shouldFindDamageInTheTailAndTheRingAndNoneInASoundLaneThatWrapped()
    {
        final Handle lane = closeLater(Pipe.create(4096).newLane());
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(SEND)));
        final PipeReceiver receiver = receiver(null, lane);
        final Inbox inbox = new Inbox(64);
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 30; i++)
            {
                assertTrue(sender.trySend(new byte[200], 0, 20 + i * 3));
            }
            assertNull(Pipe.damage(lane), "round " + round + ": committed messages, padding at the wrap");
            while (receiver.poll(inbox) > 0)
            {
                inbox.release();
            }
        }
        final long claim = sender.claim(8);
        assertTrue(Pipe.damage(lane).startsWith("the record at position=" + claim + " was claimed and never committed"),
            Pipe.damage(lane));
        sender.commit(claim);
        assertNull(Pipe.damage(lane));
        try (LaneTamper view = new LaneTamper(lane))
        {
            final long tail = view.tail();
            view.setTail(tail + 8);
            assertTrue(Pipe.damage(lane).contains("are impossible for capacity=4096"), Pipe.damage(lane));
            view.setTail(tail);
            view.ring().set(ValueLayout.JAVA_INT, (claim & 4095) + LaneDescriptor.RECORD_TYPE_OFFSET, 3);
            assertTrue(Pipe.damage(lane).endsWith("has unknown type=3"), Pipe.damage(lane));
        }
        assertFalse(lane.isClosed(), "looking changes nothing");
    }
}
