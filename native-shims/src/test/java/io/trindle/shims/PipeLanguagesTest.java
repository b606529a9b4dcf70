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
import io.trindle.ipc.TestMessages;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
 * A million checksummed messages through pipes between separate processes, with libtrindle (C) or the Python
 * module on one side or both: Java to each (some messages carrying an attachment block), each to Java, C to each.
 * Each message arrives once, intact, in order per lane, and the end of every stream arrives after the last
 * message. A source asked to stop ends its stream.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PipeLanguagesTest
{
    private static final int MESSAGES = 1_000_000;
    private static final int LANE_CAPACITY = 1 << 18;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

    /** How long a worker may take to start, or to finish its part: Python reads and writes more slowly. */
    private static Duration deadline(final Language language)
    {
        return switch (language)
        {
            case C -> Duration.ofSeconds(60);
            case PYTHON -> Duration.ofSeconds(90);
        };
    }

    /** How long a Java sender may wait for room in a lane the worker of {@code language} reads, in seconds. */
    private static long sendTimeoutSeconds(final Language language)
    {
        return switch (language)
        {
            case C -> 30;
            case PYTHON -> 60;
        };
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldDeliverAMillionMessagesFromJava(final Language language) throws Exception
    {
        final Duration deadline = deadline(language);
        final long timeoutSeconds = sendTimeoutSeconds(language);
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
             CWorker receiver = language.start("java-to-" + language.prefix() + "-receiver", "receiver", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane0.duplicate(RECEIVE), lane1.duplicate(RECEIVE))));
            receiver.awaitReady(deadline);

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
                                sendWithHandles(sender, buffer, length, i, timeoutSeconds);
                                continue;
                            }
                            assertTrue(sender.send(buffer, 0, length, timeoutSeconds * 1_000_000_000L),
                                "lane full for " + timeoutSeconds + " s");
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
            assertNull(failure.get(), () -> "sending failed: " + failure.get() + ". " + receiver.logs());
            receiver.assertExits(0, deadline);
            report("Java -> " + language.label(), 2, start);

            assertEquals(List.of(
                "lane 0 received 500000 bad 0 state ended",
                "lane 1 received 500000 bad 0 state ended",
                "lane 1 with handles 500",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), receiver.stdoutLines(), receiver.logs());
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldDeliverAMillionMessagesToJava(final Language language) throws Exception
    {
        final Duration deadline = deadline(language);
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane();
             PipeReceiver receiver = PipeReceiver.open(List.of(lane0.duplicate(RECEIVE), lane1.duplicate(RECEIVE)),
                 (pipeId, laneId, reason) -> fail("lane " + laneId + " broken: " + reason));
             CWorker sender = language.start(language.prefix() + "-to-java-sender", "sender",
                 List.of(Integer.toString(MESSAGES))))
        {
            sender.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE,
                List.of(lane0.duplicate(SEND), lane1.duplicate(SEND))));
            sender.awaitReady(deadline);

            final long start = System.nanoTime();
            final long[] received = receiveAll(receiver, 2, sender);
            report(language.label() + " -> Java", 2, start);
            assertEquals(MESSAGES / 2, received[0], "lane 0, round-robin");
            assertEquals(MESSAGES / 2, received[1], "lane 1, round-robin");
            sender.assertExits(0, deadline);
            assertEquals(List.of(
                "lane 0 sent 500000",
                "lane 1 sent 500000",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), sender.stdoutLines(), sender.logs());
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldDeliverAMillionMessagesFromC(final Language language) throws Exception
    {
        final Duration deadline = deadline(language);
        final String path = "c-to-" + language.prefix();
        final Pipe pipe = Pipe.create(LANE_CAPACITY);
        try (Handle lane = pipe.newLane();
             CWorker receiver = language.start(path + "-receiver", "receiver", List.of());
             CWorker sender = Language.C.start(path + "-sender", "sender", List.of(Integer.toString(MESSAGES))))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane.duplicate(RECEIVE))));
            sender.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE,
                List.of(lane.duplicate(SEND))));
            receiver.awaitReady(deadline);
            final long start = System.nanoTime();
            sender.awaitReady(deadline);
            sender.assertExits(0, deadline);
            receiver.assertExits(0, deadline);
            report("C -> " + language.label(), 1, start);
            assertEquals(List.of("lane 0 sent 1000000", "after close fds: 0 1 2", "after close memfd mappings: 0"),
                sender.stdoutLines(), sender.logs());
            assertEquals(List.of(
                "lane 0 received 1000000 bad 0 state ended",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), receiver.stdoutLines(), receiver.logs());
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldStopASourceThatIsAskedToAndEndItsStream(final Language language) throws Exception
    {
        final Duration deadline = deadline(language);
        final Pipe pipe = Pipe.create(1 << 16);
        try (Handle lane = pipe.newLane();
             PipeReceiver receiver = PipeReceiver.open(List.of(lane.duplicate(RECEIVE)),
                 (pipeId, laneId, reason) -> fail("lane " + laneId + " broken: " + reason));
             CWorker source = language.start(language.prefix() + "-source", "sender", List.of("0")))
        {
            source.setUp(CWorker.grant("numbers", Rights.of(Right.SEND), ObjectKind.PIPE,
                List.of(lane.duplicate(SEND))));
            source.awaitReady(deadline);
            final Inbox inbox = new Inbox(256);
            final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
            long received = 0;
            boolean stopped = false;
            int count;
            while ((count = receiver.receive(inbox, 10_000_000_000L)) != PipeReceiver.END_OF_STREAM)
            {
                assertTrue(count > 0, "nothing for 10 s after " + received + " messages. " + source.logs());
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
            source.assertExits(0, deadline);
            assertEquals("lane 0 sent " + received, source.stdoutLines().getFirst(), source.logs());
        }
    }

    private static void report(final String what, final int lanes, final long start)
    {
        final long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("%s: %,d messages over %d lane(s) in %,d ms (%,.0f msg/s)%n", what, MESSAGES, lanes, millis,
            MESSAGES * 1000.0 / Math.max(1, millis));
    }

    /**
     * Sends test message {@code index} as a message with handles, as a Java runtime writes one: an attachment
     * block (token index + 1; 1 + index % 3 entries, entry i of kind 1 + i % 2, rights 0x41 + i, size
     * 4096 * (i + 1) — what test-support.h and test_messages.py expect), then the message. No supervisor issued
     * the token: this is only the lane record.
     */
    private static void sendWithHandles(final LaneSender sender, final byte[] message, final int length,
        final long index, final long timeoutSeconds)
    {
        final int count = 1 + (int)(index % 3);
        final int block = LaneDescriptor.attachmentBlockLength(count);
        final long claim = sender.claimWithHandles(block + length, timeoutSeconds * 1_000_000_000L);
        assertTrue(claim != LaneSender.FULL, "lane full for " + timeoutSeconds + " s");
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
    private static long[] receiveAll(final PipeReceiver receiver, final int lanes, final CWorker sender)
    {
        final Inbox inbox = new Inbox(256);
        final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
        final long[] received = new long[lanes];
        int count;
        while ((count = receiver.receive(inbox, 30_000_000_000L)) != PipeReceiver.END_OF_STREAM)
        {
            assertTrue(count > 0, "nothing for 30 s. " + sender.logs());
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
