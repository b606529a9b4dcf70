package io.trindle.ipc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs of messages claimed at once ({@link LaneSender#claimRun}): whole and in order across the ring's wrap, unseen
 * until committed, refused when they cannot fit, given up whole or in part.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LaneRunTest
{
    private static final int CAPACITY = 4096;
    private static final Rights SEND = Rights.of(Right.SEND);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Arena arena = Arena.ofConfined();
    /** Message {@code i} of a test is {@link #length}(i) bytes of {@link #source} from {@code i}. */
    private final MemorySegment source = arena.allocate(8192, 8);
    private Handle lane;

    LaneRunTest()
    {
        for (int i = 0; i < source.byteSize(); i++)
        {
            source.set(ValueLayout.JAVA_BYTE, i, (byte)(i * 7 + 3));
        }
    }

    @AfterEach
    void closeAll() throws Exception
    {
        for (final AutoCloseable resource : resources.reversed())
        {
            resource.close();
        }
        arena.close();
    }

    private <T extends AutoCloseable> T closeLater(final T resource)
    {
        resources.add(resource);
        return resource;
    }

    private LaneSender sender(final boolean exclusive)
    {
        lane = closeLater(Pipe.create(CAPACITY).newLane());
        return closeLater(exclusive ? LaneSender.openExclusive(lane.duplicate(SEND), WaitStrategy.DEFAULT) :
            LaneSender.open(lane.duplicate(SEND)));
    }

    private PipeReceiver receiver()
    {
        return closeLater(PipeReceiver.open(List.of(lane.duplicate(RECEIVE)), null));
    }

    /** Lengths that cover both ways of copying (by longs up to 128 bytes, in bulk above) and odd tails. */
    private static int length(final int message)
    {
        return message % 5 == 4 ? 129 + message % 300 : message % 131;
    }

    private byte[] expected(final int message)
    {
        return source.asSlice(message, length(message)).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void shouldDeliverRunsWholeAndInOrderAcrossManyWraps()
    {
        for (final boolean exclusive : new boolean[] {false, true})
        {
            final LaneSender sender = sender(exclusive);
            final PipeReceiver receiver = receiver();
            final Inbox inbox = new Inbox(64);
            final int total = 5000;
            int sent = 0;
            int received = 0;
            int wrapsCrossed = 0;
            while (received < total)
            {
                // Runs, as many as fit now.
                while (sent < total)
                {
                    // Up to 7 messages, as long as they stay within the longest run.
                    int count = 1;
                    int runLength = LaneDescriptor.recordLength(length(sent));
                    while (count < 1 + sent % 7 && sent + count < total &&
                        runLength + LaneDescriptor.recordLength(length(sent + count)) <= sender.maxRunLength())
                    {
                        runLength += LaneDescriptor.recordLength(length(sent + count));
                        count++;
                    }
                    final long run = sender.claimRun(runLength, 0);
                    if (run == LaneSender.FULL)
                    {
                        break;
                    }
                    assertTrue((run & (CAPACITY - 1)) + runLength <= CAPACITY, "a run lies in one piece");
                    if (run % CAPACITY == 0 && run > 0)
                    {
                        wrapsCrossed++;
                    }
                    long at = run;
                    for (int i = sent; i < sent + count; i++)
                    {
                        at = sender.putRecord(at, source, i, length(i));
                    }
                    assertEquals(run + runLength, at);
                    sender.commitRun(run, at);
                    sent += count;
                }
                receiver.poll(inbox);
                for (int i = 0; i < inbox.size(); i++)
                {
                    assertArrayEquals(expected(received), inbox.get(i).toByteArray(), "message " + received);
                    received++;
                }
                inbox.release();
            }
            assertEquals(total, received);
            assertTrue(wrapsCrossed > 10, "runs started at the ring's start " + wrapsCrossed + " times");
        }
    }

    @Test
    void shouldPadBeforeARunThatWouldCrossTheRingsEnd()
    {
        final LaneSender sender = sender(false);
        final PipeReceiver receiver = receiver();
        final Inbox inbox = new Inbox(64);
        // Records of 7 * 512 + 416 bytes leave 96 before the end; a run of two 128-byte records does not fit there.
        for (int i = 0; i < 7; i++)
        {
            assertTrue(sender.trySend(source, 0, 496));
        }
        assertTrue(sender.trySend(source, 0, 400));
        assertEquals(8, receiver.poll(inbox));
        inbox.release();
        final long run = sender.claimRun(2 * LaneDescriptor.recordLength(100), 0);
        assertEquals(CAPACITY, run, "the run starts at the ring's start, after padding to its end");
        final long at = sender.putRecord(sender.putRecord(run, source, 1, 100), source, 2, 100);
        sender.commitRun(run, at);
        assertEquals(2, receiver.poll(inbox));
        assertArrayEquals(source.asSlice(1, 100).toArray(ValueLayout.JAVA_BYTE), inbox.get(0).toByteArray());
        assertArrayEquals(source.asSlice(2, 100).toArray(ValueLayout.JAVA_BYTE), inbox.get(1).toByteArray());
        assertEquals(CAPACITY, inbox.get(0).sequence());
        inbox.release();
    }

    @Test
    void shouldShowNoMessageOfARunBeforeItIsCommitted()
    {
        final LaneSender sender = sender(false);
        final PipeReceiver receiver = receiver();
        final Inbox inbox = new Inbox(8);
        final long run = sender.claimRun(3 * LaneDescriptor.recordLength(8), -1);
        long at = sender.putRecord(run, source, 0, 8);
        at = sender.putRecord(at, source, 8, 8);
        assertEquals(0, receiver.poll(inbox), "a run half laid out shows nothing");
        at = sender.putRecord(at, 8);
        sender.buffer().set(ValueLayout.JAVA_LONG, sender.payloadOffset(at - LaneDescriptor.recordLength(8)), 42L);
        assertEquals(0, receiver.poll(inbox), "a run laid out and not committed shows nothing");
        sender.commitRun(run, at);
        assertEquals(3, receiver.poll(inbox));
        assertEquals(source.get(ValueLayout.JAVA_LONG, 0), inbox.get(0).getLong(0));
        assertEquals(source.get(ValueLayout.JAVA_LONG, 8), inbox.get(1).getLong(0));
        assertEquals(42L, inbox.get(2).getLong(0));
        assertTrue(inbox.get(0).sequence() < inbox.get(1).sequence() &&
            inbox.get(1).sequence() < inbox.get(2).sequence());
        inbox.release();
    }

    @Test
    void shouldRefuseARunThatCannotFit()
    {
        final LaneSender sender = sender(false);
        final PipeReceiver receiver = receiver();
        assertEquals(CAPACITY / 8, sender.maxRunLength());
        assertThrows(IllegalArgumentException.class, () -> sender.claimRun(sender.maxRunLength() + 16, 0));
        assertThrows(IllegalArgumentException.class, () -> sender.claimRun(0, 0));
        assertThrows(IllegalArgumentException.class, () -> sender.claimRun(24, 0), "not a whole number of records");

        // Fill the lane: a run finds no room now, nor within a millisecond, and finds it once the receiver releases.
        while (sender.trySend(source, 0, 496))
        {
            continue;
        }
        assertEquals(LaneSender.FULL, sender.claimRun(sender.maxRunLength(), 0));
        assertEquals(LaneSender.FULL, sender.claimRun(sender.maxRunLength(), TimeUnit.MILLISECONDS.toNanos(1)));
        final Inbox inbox = new Inbox(64);
        assertEquals(CAPACITY / 512, receiver.poll(inbox));
        inbox.release();
        final long run = sender.claimRun(sender.maxRunLength(), 0);
        assertTrue(run != LaneSender.FULL);
        sender.commitRun(run, sender.putRecord(run, source, 0, sender.maxPayloadLength()));
        assertEquals(1, receiver.poll(inbox));
        inbox.release();

        sender.endStream();
        assertThrows(IllegalStateException.class, () -> sender.claimRun(16, 0), "nothing is sent after the end");
    }

    @Test
    void shouldSkipARunGivenUpWholeOrInPart()
    {
        final LaneSender sender = sender(false);
        final PipeReceiver receiver = receiver();
        final Inbox inbox = new Inbox(8);
        final int record = LaneDescriptor.recordLength(8);

        final long aborted = sender.claimRun(2 * record, 0);
        sender.putRecord(sender.putRecord(aborted, source, 0, 8), source, 8, 8);
        sender.abortRun(aborted, aborted + 2 * record);

        // Committed with its second record never laid out: the first is delivered, the rest given up.
        final long broken = sender.claimRun(2 * record, 0);
        final long afterFirst = sender.putRecord(broken, source, 16, 8);
        assertThrows(IllegalArgumentException.class, () -> sender.commitRun(broken, afterFirst + record));

        assertTrue(sender.trySend(source, 32, 8));
        assertEquals(2, receiver.poll(inbox));
        assertEquals(source.get(ValueLayout.JAVA_LONG, 16), inbox.get(0).getLong(0));
        assertEquals(source.get(ValueLayout.JAVA_LONG, 32), inbox.get(1).getLong(0));
        inbox.release();
    }

    @Test
    void shouldCopyARunLaidOutAsRecordsInOnePieceAndRefuseOneThatIsNot()
    {
        final LaneSender sender = sender(false);
        final PipeReceiver receiver = receiver();
        final Inbox inbox = new Inbox(8);
        final MemorySegment records = arena.allocate(512, LaneDescriptor.RECORD_ALIGNMENT);
        long end = 0;
        for (int i = 0; i < 3; i++)
        {
            MemorySegment.copy(source, i, records, end + LaneDescriptor.RECORD_HEADER_LENGTH, length(i));
            end = LaneSender.layOutRecord(records, end, length(i));
        }
        final int runLength = (int)end;
        final long run = sender.claimRun(runLength, 0);
        assertEquals(run + runLength, sender.putRun(run, records, 0, runLength));
        assertEquals(0, receiver.poll(inbox), "copied and not committed: nothing to see");
        sender.commitRun(run, run + runLength);
        assertEquals(3, receiver.poll(inbox));
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(expected(i), inbox.get(i).toByteArray());
        }
        inbox.release();

        // A stamp word that is not 0 (it could read as committed while being copied), a record that is not a
        // message, a run that ends within a record: refused before anything is copied.
        final long next = sender.claimRun(runLength, 0);
        records.set(ValueLayout.JAVA_LONG, 0, next + 1);
        assertThrows(IllegalArgumentException.class, () -> sender.putRun(next, records, 0, runLength));
        records.set(ValueLayout.JAVA_LONG, 0, 0L);
        records.set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_TYPE_OFFSET, LaneDescriptor.TYPE_PADDING);
        assertThrows(IllegalArgumentException.class, () -> sender.putRun(next, records, 0, runLength));
        records.set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_TYPE_OFFSET, LaneDescriptor.TYPE_MESSAGE);
        assertThrows(IllegalArgumentException.class, () -> sender.putRun(next, records, 0, runLength - 16));
        sender.abortRun(next, next + runLength);
        assertTrue(sender.trySend(source, 5, 8));
        assertEquals(1, receiver.poll(inbox), "the run given up is skipped");
        assertEquals(source.get(ValueLayout.JAVA_LONG_UNALIGNED, 5), inbox.get(0).getLong(0));
        inbox.release();
    }
}
