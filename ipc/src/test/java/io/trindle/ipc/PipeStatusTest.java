package io.trindle.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Pipe#status}, what {@code trindle status} reads of each lane: an honest lane is counted, at rest and
 * while it is busy; a lane whose header or records a receiver would refuse is reported broken, whichever field
 * was damaged.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PipeStatusTest
{
    private static final int CAPACITY = 4096;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);
    /** Three messages of 10 bytes: records of 32 bytes each. */
    private static final int MESSAGES = 3;
    private static final int RECORD = 32;

    @Test
    void shouldCountTheQueuedMessagesOfAnHonestLane()
    {
        final Pipe pipe = Pipe.create(CAPACITY);
        try (Handle lane = pipe.newLane(); LaneSender sender = LaneSender.open(lane.duplicate(SEND)))
        {
            for (int i = 0; i < MESSAGES; i++)
            {
                assertTrue(sender.trySend(new byte[10], 0, 10));
            }
            assertEquals(new Pipe.LaneStatus(MESSAGES, 0, MESSAGES * RECORD, MESSAGES, MESSAGES * RECORD, 0, false,
                false, false), Pipe.status(lane));
            sender.endStream();
            assertEquals(new Pipe.LaneStatus(MESSAGES, 0, MESSAGES * RECORD, MESSAGES, MESSAGES * RECORD, 0, false,
                false, true), Pipe.status(lane), "the end of stream is no message, and takes no room");
        }
    }

    @Test
    void shouldReportEveryKindOfHeaderDamageAsBroken()
    {
        final long head = LaneDescriptor.HEAD_OFFSET;
        final Map<String, Consumer<LaneTamper>> damage = new LinkedHashMap<>();
        damage.put("garbage tail", lane -> lane.setTail(0x0123_4567_89ab_cdefL));
        damage.put("garbage tail, a multiple of 16", lane -> lane.setTail(0x0123_4567_89ab_cde0L));
        damage.put("tail not a multiple of 16", lane -> lane.setTail(MESSAGES * RECORD - 8));
        damage.put("tail behind the head", lane ->
        {
            lane.putLong(head, 2 * RECORD);
            lane.setTail(RECORD);
        });
        damage.put("tail more than the capacity past the head", lane -> lane.setTail(CAPACITY + 16));
        damage.put("negative tail", lane -> lane.setTail(-16));
        damage.put("negative head", lane -> lane.putLong(head, -16));
        damage.put("head not a multiple of 16", lane -> lane.putLong(head, 8));
        damage.put("head past the tail", lane -> lane.putLong(head, MESSAGES * RECORD + 16));
        damage.put("magic", lane -> lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.MAGIC_OFFSET, 0xdeadbeef));
        damage.put("version", lane -> lane.file().set(ValueLayout.JAVA_SHORT, LaneDescriptor.VERSION_OFFSET,
            (short)(LaneDescriptor.VERSION + 1)));
        damage.put("capacity larger than the file", lane ->
            lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, 2 * CAPACITY));
        damage.put("capacity not a power of two", lane ->
            lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, CAPACITY - 16));
        damage.put("capacity negative", lane ->
            lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.CAPACITY_OFFSET, -1));
        damage.put("largest payload", lane ->
            lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET, CAPACITY));
        damage.put("not ready", lane -> lane.file().set(ValueLayout.JAVA_INT, LaneDescriptor.READY_OFFSET, 0));
        damage.put("record length past the tail", lane ->
            lane.ring().set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_LENGTH_OFFSET, 200));
        damage.put("record length negative", lane ->
            lane.ring().set(ValueLayout.JAVA_INT, RECORD + LaneDescriptor.RECORD_LENGTH_OFFSET, -1));
        damage.put("record of unknown type", lane ->
            lane.ring().set(ValueLayout.JAVA_INT, RECORD + LaneDescriptor.RECORD_TYPE_OFFSET, 99));
        damage.put("record with handles but no attachment block", lane ->
            lane.ring().set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_TYPE_OFFSET,
                LaneDescriptor.TYPE_MESSAGE_WITH_HANDLES));
        damage.put("record of the retired type 3 (version 1's end of stream)", lane ->
            lane.ring().set(ValueLayout.JAVA_INT, LaneDescriptor.RECORD_TYPE_OFFSET, 3));

        for (final Map.Entry<String, Consumer<LaneTamper>> kind : damage.entrySet())
        {
            final Pipe pipe = Pipe.create(CAPACITY);
            try (Handle lane = pipe.newLane(); LaneSender sender = LaneSender.open(lane.duplicate(SEND));
                LaneTamper tamper = new LaneTamper(lane))
            {
                for (int i = 0; i < MESSAGES; i++)
                {
                    assertTrue(sender.trySend(new byte[10], 0, 10));
                }
                kind.getValue().accept(tamper);
                final MalformedMessageException broken = assertThrows(MalformedMessageException.class,
                    () -> Pipe.status(lane), kind.getKey() + ": the lane is broken");
                assertTrue(!broken.getMessage().isBlank(), kind.getKey());
                assertTrue(!lane.isClosed(), kind.getKey() + ": the caller's handle stays open");
            }
        }
    }

    /**
     * A busy lane moves while its status is read: the receiver releases, and the sender fills the room at once.
     * With a ring kept full, a reader that took the head before the tail and trusted both would see a tail more
     * than the capacity past the head; one that trusted a record without checking the head again would read
     * a newer record's length at an older position. Neither may make an honest lane look broken.
     */
    @Test
    void shouldNeverCallABusyHonestLaneBroken() throws Exception
    {
        final Pipe pipe = Pipe.create(CAPACITY);
        final int total = 300_000;
        // A thread each: the common pool may have one thread only, and the sender would wait for room forever.
        try (ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory());
            Handle lane = pipe.newLane(); LaneSender sender = LaneSender.open(lane.duplicate(SEND)))
        {
            final CompletableFuture<Void> sending = CompletableFuture.runAsync(() ->
            {
                final byte[] bytes = new byte[sender.maxPayloadLength()];
                for (int i = 0; i < total; i++)
                {
                    // Sizes that vary, so records straddle the ring's end and padding is written.
                    final int length = i % 7 == 0 ? sender.maxPayloadLength() : 1 + i % 100;
                    if (!sender.send(bytes, 0, length, TimeUnit.SECONDS.toNanos(30)))
                    {
                        throw new IllegalStateException("the lane stayed full at message " + i);
                    }
                }
            }, threads);
            // A receiver is used by the thread that opened it.
            final Handle receiverLane = lane.duplicate(RECEIVE);
            final CompletableFuture<Integer> receiving = CompletableFuture.supplyAsync(() ->
            {
                try (PipeReceiver receiver = PipeReceiver.open(List.of(receiverLane), null))
                {
                    final Inbox inbox = new Inbox(4);
                    int received = 0;
                    while (received < total && !sending.isCompletedExceptionally())
                    {
                        received += receiver.receive(inbox, TimeUnit.MILLISECONDS.toNanos(100));
                        inbox.release();
                    }
                    return received;
                }
            }, threads);
            // Mapped once, so the status is read millions of times while the lane moves, not thousands.
            long reads = 0;
            try (Lane mapped = Lane.map(lane.duplicate(lane.rights()), Right.RECEIVE))
            {
                while (!receiving.isDone())
                {
                    final Pipe.LaneStatus status = Pipe.status(mapped);
                    assertTrue(status.bytes() >= 0 && status.bytes() <= CAPACITY, status.toString());
                    assertTrue(status.queued() >= 0 && status.released() >= 0, status.toString());
                    // Read while both ends move, a count may fall short, but never counts a message twice.
                    assertTrue(status.sent() <= total, status.toString());
                    assertTrue(status.bytesReleased() <= status.bytesSent(), status.toString());
                    reads++;
                }
            }
            final int received = receiving.get();
            sending.get();
            assertEquals(total, received);
            assertTrue(reads > 0);
            final Pipe.LaneStatus rest = Pipe.status(lane);
            assertEquals(0, rest.queued(), "at rest again: nothing queued");
            assertEquals(0, rest.bytes(), rest.toString());
            assertEquals(total, rest.released(), rest.toString());
            assertEquals(total, rest.sent(), "at rest, every message sent is counted: " + rest);
            assertEquals(rest.bytesSent(), rest.bytesReleased(), rest.toString());
        }
    }
}
