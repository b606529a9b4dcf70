package io.trindle.ipc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
 * What the bridge between hosts needs of a lane (docs/hosts.md): a forwarder reads ahead of its release, releases only
 * what the far side acknowledged and reads again from the release after a loss; a mirror lane started at a position
 * and padded over gaps gives every message the position it had in the lane it copies.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LaneForwarderTest
{
    private static final int CAPACITY = 4096;

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

    private static byte[] message(final int i)
    {
        final byte[] bytes = new byte[4 + i % 200];
        for (int b = 0; b < bytes.length; b++)
        {
            bytes[b] = (byte)(b < 4 ? i >>> (8 * b) : i * 31 + b);
        }
        return bytes;
    }

    @Test
    void mirrorKeepsEveryPositionAcrossWrapsAndGaps()
    {
        final Handle source = closeLater(Pipe.create(CAPACITY).newLane());
        final Handle target = closeLater(Pipe.create(CAPACITY).newLane());
        final LaneSender sender = closeLater(LaneSender.openExclusive(source, WaitStrategy.DEFAULT));
        final LaneForwarder forwarder = closeLater(LaneForwarder.open(source));
        final LaneSender mirror = closeLater(LaneSender.openExclusive(target, WaitStrategy.DEFAULT));
        // The mirror starts where the source's receiver stands, as after a restart of the far side: here, a position
        // reached after a few laps of the source.
        long start = 0;
        for (int i = 0; i < 100; i++)
        {
            final long claim = sender.claim(message(i).length, 0);
            if (i % 7 == 3)
            {
                sender.abort(claim); // padding in the source: a gap the mirror must keep
            }
            else
            {
                sender.commit(claim);
            }
            while (forwarder.next() >= 0)
            {
                start = forwarder.message().end();
            }
            forwarder.releaseTo(forwarder.position(), 1);
        }
        mirror.startAt(start);
        final PipeReceiver receiver = closeLater(PipeReceiver.open(List.of(target.duplicate(Rights.of(Right.RECEIVE))),
            null));
        final Inbox inbox = new Inbox(1);
        int sent = 0;
        int claims = 0;
        int received = 0;
        final List<Long> sourcePositions = new ArrayList<>();
        final List<Long> mirrorPositions = new ArrayList<>();
        while (received < 3000)
        {
            // The sender fills what room it has, some claims given up; the forwarder copies what it reads into the
            // mirror at the same positions; the mirror's receiver releases, and its release is the acknowledgement.
            if (sent < 3000)
            {
                final byte[] bytes = message(sent);
                final long claim = sender.claim(bytes.length);
                if (claim != LaneSender.FULL)
                {
                    if (++claims % 11 == 5)
                    {
                        sender.abort(claim);
                        continue;
                    }
                    MemorySegment.copy(bytes, 0, sender.buffer(), ValueLayout.JAVA_BYTE, sender.payloadOffset(claim),
                        bytes.length);
                    sender.commit(claim);
                    sent++;
                }
            }
            int length;
            while ((length = forwarder.next()) >= 0)
            {
                final Message m = forwarder.message();
                assertTrue(mirror.padTo(m.sequence(), TimeUnit.SECONDS.toNanos(5)));
                final long claim = mirror.claim(length, TimeUnit.SECONDS.toNanos(5));
                assertEquals(m.sequence(), claim, "the mirror's claim lands where the source's message was");
                mirror.buffer().asSlice(mirror.payloadOffset(claim), length).copyFrom(m.payload());
                mirror.commit(claim);
                sourcePositions.add(m.sequence());
            }
            assertEquals(LaneForwarder.EMPTY, length);
            final int got = receiver.poll(inbox);
            if (got > 0)
            {
                final Message m = inbox.get(0);
                mirrorPositions.add(m.sequence());
                assertArrayEquals(message(received), m.toByteArray(), "message " + received);
                received++;
                final long end = m.end();
                inbox.release();
                forwarder.releaseTo(end, 1);
            }
        }
        assertEquals(sourcePositions.subList(0, mirrorPositions.size()), mirrorPositions);
        assertTrue(mirrorPositions.getFirst() >= start);
    }

    @Test
    void readsAheadReleasesOnlyWhatWasAcknowledgedAndReadsAgainAfterRewind()
    {
        final Handle lane = closeLater(Pipe.create(CAPACITY).newLane());
        final LaneSender sender = closeLater(LaneSender.openExclusive(lane, WaitStrategy.DEFAULT));
        final LaneForwarder forwarder = closeLater(LaneForwarder.open(lane));
        final long[] ends = new long[10];
        for (int i = 0; i < 10; i++)
        {
            assertTrue(sender.trySend(message(i), 0, message(i).length));
        }
        for (int i = 0; i < 10; i++)
        {
            assertTrue(forwarder.next() >= 0);
            assertArrayEquals(message(i), forwarder.message().toByteArray());
            ends[i] = forwarder.message().end();
        }
        assertEquals(LaneForwarder.EMPTY, forwarder.next());
        assertEquals(0, forwarder.released(), "nothing released before an acknowledgement");
        forwarder.releaseTo(ends[3], 4);
        assertEquals(ends[3], forwarder.released());
        forwarder.releaseTo(ends[9] + 4096, 1);
        assertEquals(ends[3], forwarder.released(), "a release past what was read changes nothing");
        forwarder.rewind();
        assertEquals(ends[3], forwarder.position());
        for (int i = 4; i < 10; i++)
        {
            assertTrue(forwarder.next() >= 0);
            assertArrayEquals(message(i), forwarder.message().toByteArray(), "read again: " + i);
        }
        sender.endStream();
        assertEquals(LaneForwarder.ENDED, forwarder.next());
        assertEquals(LaneForwarder.ENDED, forwarder.next(), "ended once and for ever after");
        // The far side lost everything after the release: an ended lane is read again to its end.
        forwarder.rewind();
        for (int i = 4; i < 10; i++)
        {
            assertTrue(forwarder.next() >= 0);
            assertArrayEquals(message(i), forwarder.message().toByteArray(), "read again after the end: " + i);
        }
        assertEquals(LaneForwarder.ENDED, forwarder.next());
    }

    @Test
    void startAtRefusesAUsedLaneOrAPositionThatIsNoRecordsPlace()
    {
        final LaneSender sender = closeLater(LaneSender.openExclusive(closeLater(Pipe.create(CAPACITY).newLane()),
            WaitStrategy.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> sender.startAt(17));
        assertTrue(sender.trySend(new byte[8], 0, 8));
        assertThrows(IllegalStateException.class, () -> sender.startAt(64));
    }
}
