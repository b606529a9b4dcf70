package io.trindle.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hostile sender writes random bytes over its own lane while another lane carries good traffic: for every
 * seed, the receiver reports the bad lane, stops reading it, and delivers every good message intact and in
 * order. Nothing crashes, throws or hangs. The receiver finds records by their stamps and reads the tail only at
 * the end of the stream (docs/pipe-format.md §5), so some damage (a scribbled tail, a record longer than its claim)
 * is found when the bad lane ends, as it does when its sender exits: the test ends it after the scribbling.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LaneFuzzTest
{
    private static final int SEEDS = 200;
    private static final int GOOD_MESSAGES = 2_000;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

    @Test
    void shouldIsolateALaneFullOfGarbageAndKeepDeliveringTheGoodOne() throws Exception
    {
        for (int seed = 0; seed < SEEDS; seed++)
        {
            runSeed(seed);
        }
    }

    private static void runSeed(final int seed) throws Exception
    {
        final Random random = new Random(seed);
        final Pipe pipe = Pipe.create(8192);
        final List<String> faults = new ArrayList<>();
        try (Handle good = pipe.newLane(); Handle bad = pipe.newLane();
            LaneSender goodSender = LaneSender.open(good.duplicate(SEND));
            PipeReceiver receiver = PipeReceiver.open(List.of(good.duplicate(RECEIVE), bad.duplicate(RECEIVE)),
                (pipeId, lane, reason) -> faults.add(reason));
            LaneTamper tamper = new LaneTamper(bad))
        {
            final LaneSender badSender = LaneSender.open(bad.duplicate(SEND));
            for (int i = random.nextInt(5); i > 0; i--)
            {
                badSender.trySend(new byte[] {1, 2, 3}, 0, 3);
            }
            final CompletableFuture<Void> goodTraffic = CompletableFuture.runAsync(() ->
            {
                final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
                for (int i = 0; i < GOOD_MESSAGES; i++)
                {
                    final int length = TestMessages.fill(buffer, goodSender.laneId(), i);
                    if (!goodSender.send(buffer, 0, length, TimeUnit.SECONDS.toNanos(20)))
                    {
                        throw new IllegalStateException("seed " + seed + ": good lane stayed full at " + i);
                    }
                }
                goodSender.endStream();
            });
            final long tamperSeed = random.nextLong();
            final CompletableFuture<Void> garbage = CompletableFuture.runAsync(() -> scribble(seed, tamperSeed,
                tamper));

            final Inbox inbox = new Inbox(32);
            final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
            long expected = 0;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (receiver.laneState(goodSender.laneId()) == LaneState.OPEN)
            {
                if (System.nanoTime() > deadline)
                {
                    fail("seed " + seed + ": the good lane did not finish within 30 s; received " + expected);
                }
                final int count = receiver.receive(inbox, TimeUnit.MILLISECONDS.toNanos(10));
                for (int i = 0; i < count; i++)
                {
                    final Message message = inbox.get(i);
                    if (message.laneId() == goodSender.laneId())
                    {
                        assertNull(TestMessages.check(message, message.laneId(), expected, scratch), "seed " + seed);
                        expected++;
                    }
                }
                inbox.release();
            }
            goodTraffic.get(30, TimeUnit.SECONDS);
            garbage.get(30, TimeUnit.SECONDS);
            if (seed % 4 < 2)
            {
                // A scribbled tail stops its own sender too: it refuses to write (corrupt, or no room), never faults.
                boolean sent;
                try
                {
                    sent = badSender.trySend(new byte[] {1}, 0, 1);
                }
                catch (final IllegalStateException e)
                {
                    assertTrue(e.getMessage().contains("is corrupt, nothing was sent"), e.getMessage());
                    sent = false;
                }
                assertFalse(sent, "seed " + seed);
            }
            badSender.endStream(); // as the supervisor ends the lanes of a sender that exited
            // Drain anything the bad lane still offers until the corruption is found.
            while (receiver.laneState(badSender.laneId()) == LaneState.OPEN && System.nanoTime() < deadline)
            {
                receiver.receive(inbox, TimeUnit.MILLISECONDS.toNanos(1));
                inbox.release();
            }

            assertEquals(GOOD_MESSAGES, expected, "seed " + seed + ": every good message, once, in order");
            assertEquals(LaneState.ENDED, receiver.laneState(goodSender.laneId()), "seed " + seed);
            assertEquals(LaneState.CORRUPT, receiver.laneState(badSender.laneId()), "seed " + seed +
                ": the bad lane is reported");
            assertEquals(1, faults.size(), "seed " + seed + ": reported once: " + faults);
            assertEquals(faults.getFirst(), receiver.laneFault(badSender.laneId()));
            badSender.close();
        }
    }

    /**
     * Writes garbage over the bad lane as a hostile sender could: random bytes over the ring while the receiver
     * reads it, then one of four breakages, each of which the receiver must detect.
     */
    private static void scribble(final int seed, final long tamperSeed, final LaneTamper tamper)
    {
        final Random random = new Random(tamperSeed);
        final MemorySegment ring = tamper.ring();
        final int capacity = (int)ring.byteSize();
        for (int i = random.nextInt(20_000); i > 0; i--)
        {
            ring.set(ValueLayout.JAVA_BYTE, random.nextInt(capacity), (byte)random.nextInt());
        }
        final long tail = tamper.tail();
        final long record = tail & (capacity - 1);
        switch (seed % 4)
        {
            case 0 -> tamper.setTail(random.nextLong());
            case 1 ->
            {
                final byte[] noise = new byte[capacity];
                random.nextBytes(noise);
                MemorySegment.copy(MemorySegment.ofArray(noise), 0, ring, 0, capacity);
                tamper.setTail(random.nextLong() | 1);
            }
            case 2 ->
            {
                // A committed-looking record with a random length and type where the receiver reads next.
                ring.set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_LENGTH_OFFSET, random.nextInt());
                ring.set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_TYPE_OFFSET, 4 + random.nextInt(1000));
                forge(tamper, ring, tail, record);
            }
            default ->
            {
                // A message that claims more bytes than the lane allows or than were claimed.
                final boolean tooLong = random.nextBoolean();
                ring.set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_LENGTH_OFFSET,
                    tooLong ? capacity / 8 + random.nextInt(100_000) : 100);
                ring.set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_TYPE_OFFSET,
                    LaneDescriptor.TYPE_MESSAGE);
                forge(tamper, ring, tail, record);
            }
        }
    }

    private static void forge(final LaneTamper tamper, final MemorySegment ring, final long tail, final long record)
    {
        Lane.LONG.setRelease(ring, record + LaneDescriptor.RECORD_STAMP_OFFSET, tail + 1);
        tamper.setTail(tail + 2L * LaneDescriptor.RECORD_HEADER_LENGTH);
        assertTrue(tail + 2L * LaneDescriptor.RECORD_HEADER_LENGTH > tail);
    }
}
