package io.trindle.shims;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Message;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A million checksummed messages through pipes between separate processes, with libtrindle on one side or both:
 * Java to C (with some messages carrying an attachment block), C to Java, C to C. Each message arrives once,
 * intact, in order per lane, and the end of every stream arrives after the last message.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CPipeTest
{
    private static final int MESSAGES = 1_000_000;
    private static final int LANE_CAPACITY = 1 << 18;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void shouldDeliverAMillionMessagesFromJavaToC() throws Exception
    {
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
             CWorker receiver = CWorker.start("java-to-c-receiver", "trindle-c-receiver", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane0.duplicate(RECEIVE), lane1.duplicate(RECEIVE))));
            receiver.awaitReady(DEADLINE);

            final long start = System.nanoTime();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> senders = new ArrayList<>();
            for (final Handle lane : List.of(lane0, lane1))
            {
                final LaneSender sender = LaneSender.open(lane.duplicate(SEND));
                senders.add(Thread.ofPlatform().name("java-sender-" + sender.laneId()).start(() ->
                {
                    try (sender)
                    {
                        final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
                        for (long i = 0; i < MESSAGES / 2; i++)
                        {
                            final int length = TestMessages.fill(buffer, sender.laneId(), i);
                            if (sender.laneId() == 1 && i % 1000 == 999)
                            {
                                sendWithHandles(sender, buffer, length, i);
                                continue;
                            }
                            assertTrue(sender.send(buffer, 0, length, 30_000_000_000L), "lane full for 30 s");
                        }
                        sender.endStream();
                    }
                    catch (final Throwable e)
                    {
                        failure.set(e);
                    }
                }));
            }
            for (final Thread sender : senders)
            {
                sender.join();
            }
            assertNull(failure.get(), () -> "sending failed: " + failure.get());
            receiver.assertExits(0, DEADLINE);
            final long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("Java -> C: %,d messages over 2 lanes in %,d ms (%,.0f msg/s)%n", MESSAGES, millis,
                MESSAGES * 1000.0 / Math.max(1, millis));

            assertEquals(List.of(
                "lane 0 received 500000 bad 0 state ended",
                "lane 1 received 500000 bad 0 state ended",
                "lane 1 with handles 500",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), receiver.stdoutLines(), receiver.logs());
        }
    }

    @Test
    void shouldDeliverAMillionMessagesFromCToJava() throws Exception
    {
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
             PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(RECEIVE), lane1.duplicate(RECEIVE)),
                 (pipeId, laneId, reason) -> fail("lane " + laneId + " broken: " + reason));
             CWorker sender = CWorker.start("c-to-java-sender", "trindle-c-sender", List.of(Integer.toString(MESSAGES))))
        {
            sender.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE,
                List.of(lane0.duplicate(SEND), lane1.duplicate(SEND))));
            sender.awaitReady(DEADLINE);

            final long start = System.nanoTime();
            final long[] received = receiveAll(receiver, 2);
            final long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("C -> Java: %,d messages over 2 lanes in %,d ms (%,.0f msg/s)%n", MESSAGES, millis,
                MESSAGES * 1000.0 / Math.max(1, millis));
            assertEquals(MESSAGES / 2, received[0], "lane 0, round-robin");
            assertEquals(MESSAGES / 2, received[1], "lane 1, round-robin");
            sender.assertExits(0, DEADLINE);
            assertEquals(List.of(
                "lane 0 sent 500000",
                "lane 1 sent 500000",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), sender.stdoutLines(), sender.logs());
        }
    }

    @Test
    void shouldDeliverAMillionMessagesFromCToC() throws Exception
    {
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane = pipe.newLane();
             CWorker receiver = CWorker.start("c-to-c-receiver", "trindle-c-receiver", List.of());
             CWorker sender = CWorker.start("c-to-c-sender", "trindle-c-sender", List.of(Integer.toString(MESSAGES))))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane.duplicate(RECEIVE))));
            sender.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE, List.of(lane.duplicate(SEND))));
            receiver.awaitReady(DEADLINE);
            final long start = System.nanoTime();
            sender.awaitReady(DEADLINE);
            sender.assertExits(0, DEADLINE);
            receiver.assertExits(0, DEADLINE);
            final long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("C -> C: %,d messages over 1 lane in %,d ms (%,.0f msg/s)%n", MESSAGES, millis,
                MESSAGES * 1000.0 / Math.max(1, millis));
            assertEquals(List.of("lane 0 sent 1000000", "after close fds: 0 1 2", "after close memfd mappings: 0"),
                sender.stdoutLines(), sender.logs());
            assertEquals(List.of(
                "lane 0 received 1000000 bad 0 state ended",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), receiver.stdoutLines(), receiver.logs());
        }
    }

    @Test
    void shouldStopASourceThatIsAskedToAndEndItsStream() throws Exception
    {
        final Pipe pipe = Pipe.create(1 << 16);
        try (Handle lane = pipe.newLane();
             PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)),
                 (pipeId, laneId, reason) -> fail("lane " + laneId + " broken: " + reason));
             CWorker source = CWorker.start("c-source", "trindle-c-sender", List.of("0")))
        {
            source.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE, List.of(lane.duplicate(SEND))));
            source.awaitReady(DEADLINE);
            final Inbox inbox = new Inbox(256);
            final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
            long received = 0;
            boolean stopped = false;
            int count;
            while ((count = receiver.receive(inbox, 10_000_000_000L)) != PipeReceiver.END_OF_STREAM)
            {
                assertTrue(count > 0, "nothing for 10 s after " + received + " messages");
                for (int i = 0; i < count; i++)
                {
                    assertNull(TestMessages.check(inbox.get(i), 0, received++, scratch));
                }
                inbox.release();
                if (!stopped && received >= 10_000)
                {
                    source.send(new ControlMessage.Stop());
                    stopped = true;
                }
            }
            source.assertExits(0, DEADLINE);
            assertEquals("lane 0 sent " + received, source.stdoutLines().getFirst(), source.logs());
        }
    }

    /**
     * Sends test message {@code index} as a message with handles, as a Java runtime writes one: an attachment
     * block (token index + 1; 1 + index % 3 entries, entry i of kind 1 + i % 2, rights 0x41 + i, size
     * 4096 * (i + 1) — what test-support.h expects), then the message. No supervisor issued the token: this is
     * only the lane record.
     */
    private static void sendWithHandles(final LaneSender sender, final byte[] message, final int length,
        final long index)
    {
        final int count = 1 + (int)(index % 3);
        final int block = LaneDescriptor.attachmentBlockLength(count);
        final long claim = sender.claimWithHandles(block + length, 30_000_000_000L);
        assertTrue(claim != LaneSender.FULL, "lane full for 30 s");
        final MemorySegment ring = sender.buffer();
        final long at = sender.payloadOffset(claim);
        ring.set(ValueLayout.JAVA_LONG, at + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET, index + 1);
        ring.set(ValueLayout.JAVA_INT, at + LaneDescriptor.ATTACHMENT_COUNT_OFFSET, count);
        for (int i = 0; i < count; i++)
        {
            final long entry = at + LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET +
                (long)i * LaneDescriptor.ATTACHMENT_ENTRY_LENGTH;
            ring.set(ValueLayout.JAVA_INT, entry + LaneDescriptor.ATTACHMENT_KIND_OFFSET, 1 + i % 2);
            ring.set(ValueLayout.JAVA_INT, entry + LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET, 0x41 + i);
            ring.set(ValueLayout.JAVA_LONG, entry + LaneDescriptor.ATTACHMENT_SIZE_OFFSET, 4096L * (i + 1));
        }
        MemorySegment.copy(message, 0, ring, ValueLayout.JAVA_BYTE, at + block, length);
        sender.commit(claim);
    }

    /** Receives until the end of every stream, checking each message; @return the messages per lane. */
    private static long[] receiveAll(final PipeReceiver receiver, final int lanes)
    {
        final Inbox inbox = new Inbox(256);
        final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
        final long[] received = new long[lanes];
        int count;
        while ((count = receiver.receive(inbox, 30_000_000_000L)) != PipeReceiver.END_OF_STREAM)
        {
            assertTrue(count > 0, "nothing for 30 s");
            for (int i = 0; i < count; i++)
            {
                final Message message = inbox.get(i);
                final int lane = message.laneId();
                final String problem = TestMessages.check(message, lane, received[lane], scratch);
                if (problem != null)
                {
                    fail(problem);
                }
                received[lane]++;
            }
            inbox.release();
        }
        return received;
    }
}
