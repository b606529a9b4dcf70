package io.trindle.ipc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tap reads every message its lane's receiver gets, in order, from the moment it attached, and holds the sender so
 * that nothing is overwritten before it read it; letting go frees the sender (docs/pipe-format.md §5.1).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LaneTapTest
{
    private static final int CAPACITY = 4096;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Handle lane = closeLater(Pipe.create(CAPACITY).newLane());
    private int count;
    /** A sink that keeps nothing but a count. */
    private final LaneTap.Sink ignore = (laneId, sequence, handles, payload) -> count++;

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

    /** Message {@code i}: its number, then {@code i % 300} bytes that depend on it. */
    private static byte[] message(final int i)
    {
        final byte[] bytes = new byte[4 + i % 300];
        for (int b = 0; b < bytes.length; b++)
        {
            bytes[b] = (byte)(b < 4 ? i >>> (8 * b) : i * 31 + b);
        }
        return bytes;
    }

    private static String describe(final long sequence, final MemorySegment payload)
    {
        return sequence + ":" + Arrays.hashCode(payload.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void shouldSeeEveryMessageTheReceiverGetsInOrderWhileItSlowsTheSenderOnly() throws Exception
    {
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(Rights.of(Right.SEND))));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))),
            null));
        final LaneTap tap = closeLater(LaneTap.attach(lane));
        final int total = 20_000;
        final Thread sending = Thread.ofPlatform().start(() ->
        {
            for (int i = 0; i < total; i++)
            {
                final byte[] bytes = message(i);
                assertTrue(sender.send(bytes, 0, bytes.length, TimeUnit.SECONDS.toNanos(30)), "message " + i);
            }
            sender.endStream();
        });
        final List<String> tapped = new ArrayList<>();
        final Thread tapping = Thread.ofPlatform().start(() ->
        {
            int result;
            // Releasing every seventh message only keeps the ring full of what the tap holds, so the sender waits for
            // the tap as often as for the receiver.
            while ((result = tap.next((laneId, sequence, handles, payload) ->
                tapped.add(describe(sequence, payload)))) != LaneTap.ENDED)
            {
                assertFalse(result == LaneTap.CORRUPT, tap.fault());
                if (result == LaneTap.EMPTY || tapped.size() % 7 == 0)
                {
                    tap.release();
                }
                if (result == LaneTap.EMPTY)
                {
                    Thread.onSpinWait();
                }
            }
        });
        final List<String> received = new ArrayList<>();
        final Inbox inbox = new Inbox(16);
        while (receiver.receive(inbox, TimeUnit.SECONDS.toNanos(1)) != PipeReceiver.END_OF_STREAM)
        {
            for (int i = 0; i < inbox.size(); i++)
            {
                received.add(describe(inbox.get(i).sequence(), inbox.get(i).payload()));
            }
            inbox.release();
        }
        sending.join();
        tapping.join();
        assertEquals(total, received.size());
        assertEquals(received, tapped, "the tap saw what the receiver got, in the same order");
    }

    @Test
    void shouldHoldTheSenderUntilTheTapReleasesOrLetsGo()
    {
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(Rights.of(Right.SEND))));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))),
            null));
        final LaneTap tap = LaneTap.attach(lane);
        final byte[] bytes = new byte[496];
        int sent = 0;
        while (sender.trySend(bytes, 0, bytes.length))
        {
            sent++;
        }
        assertEquals(CAPACITY / 512, sent, "a ring's worth");
        final Inbox inbox = new Inbox(64);
        assertEquals(sent, receiver.poll(inbox));
        inbox.release();
        assertFalse(sender.trySend(bytes, 0, bytes.length), "the receiver released all, but the tap holds the ring");
        assertEquals(LaneTap.MESSAGE, tap.next(ignore));
        tap.release();
        assertTrue(sender.trySend(bytes, 0, bytes.length), "room for the one message the tap released");
        assertFalse(sender.trySend(bytes, 0, bytes.length));
        tap.close();
        assertEquals(1, receiver.poll(inbox));
        inbox.release();
        assertTrue(sender.trySend(bytes, 0, bytes.length), "without the tap, the receiver's release is enough");
    }

    @Test
    void shouldStartFromTheReceiversHeadAndEndWithTheLane()
    {
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(Rights.of(Right.SEND))));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))),
            null));
        final byte[] before = message(1);
        assertTrue(sender.trySend(before, 0, before.length));
        final Inbox inbox = new Inbox(4);
        assertEquals(1, receiver.poll(inbox));
        inbox.release();
        final LaneTap tap = closeLater(LaneTap.attach(lane));
        final byte[] after = message(2);
        assertTrue(sender.trySend(after, 0, after.length));
        sender.endStream();
        final List<String> tapped = new ArrayList<>();
        final LaneTap.Sink sink = (laneId, sequence, handles, payload) -> tapped.add(describe(sequence, payload));
        assertEquals(LaneTap.MESSAGE, tap.next(sink));
        assertEquals(LaneTap.ENDED, tap.next(sink));
        assertEquals(List.of(describe(LaneDescriptor.recordLength(before.length), MemorySegment.ofArray(after))),
            tapped, "only what was committed after the tap attached");
    }

    @Test
    void shouldReportALaneWhoseHoldWasClearedInsteadOfReadingOverwrittenRecords()
    {
        final LaneSender sender = closeLater(LaneSender.open(lane.duplicate(Rights.of(Right.SEND))));
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(lane.duplicate(Rights.of(Right.RECEIVE))),
            null));
        final LaneTap tap = closeLater(LaneTap.attach(lane));
        try (Lane hostile = Lane.map(lane.duplicate(Rights.of(Right.SEND)), Right.SEND))
        {
            // A holder of the lane clears the tap's hold; the sender then overwrites what the tap had not read.
            Lane.LONG.setVolatile(hostile.header, (long)LaneDescriptor.TAP_HEAD_OFFSET, 0L);
        }
        final byte[] bytes = new byte[496];
        final Inbox inbox = new Inbox(64);
        for (int round = 0; round < 3; round++)
        {
            while (sender.trySend(bytes, 0, bytes.length))
            {
                bytes[0]++;
            }
            receiver.poll(inbox);
            inbox.release();
        }
        int result;
        int read = 0;
        while ((result = tap.next(ignore)) == LaneTap.MESSAGE)
        {
            read++;
        }
        assertEquals(LaneTap.CORRUPT, result, "after " + read + " messages: " + tap.fault());
        assertTrue(tap.fault().contains("tap head was overwritten"), tap.fault());
    }
}
