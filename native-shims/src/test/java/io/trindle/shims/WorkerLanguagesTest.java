package io.trindle.shims;

import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Source;
import io.trindle.ipc.TestMessages;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Sockets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Workers in C (on libtrindle) and Python (on the trindle module), with this test as their supervisor: in both, a
 * broken lane is reported and isolated while the good one is read to its end, and a segment granted read-only
 * stays read-only whatever the worker tries while one granted read-write is written. In C: bad control frames are
 * refused with their fds closed, a frame nobody asked for is dropped, and a worker whose supervisor goes away exits.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class WorkerLanguagesTest
{
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int EACCES = 13;

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldReportCorruptLanesAndKeepReadingTheGoodOne(final Language language) throws Exception
    {
        final Pipe pipe = Pipe.create(1 << 16);
        try (Handle good = pipe.newLane(); Handle badTail = pipe.newLane(); Handle badRecord = pipe.newLane();
             LaneView tailView = new LaneView(badTail); LaneView recordView = new LaneView(badRecord);
             CWorker receiver = language.start(language.prefix() + "-corrupt-receiver", "receiver", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(good.duplicate(RECEIVE), badTail.duplicate(RECEIVE), badRecord.duplicate(RECEIVE))));
            receiver.awaitReady(DEADLINE);
            final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
            try (LaneSender sender0 = LaneSender.open(good.duplicate(SEND));
                 LaneSender sender1 = LaneSender.open(badTail.duplicate(SEND));
                 LaneSender sender2 = LaneSender.open(badRecord.duplicate(SEND)))
            {
                for (int i = 0; i < 1000; i++)
                {
                    assertTrue(sender1.send(buffer, 0, TestMessages.fill(buffer, 1, i), 10_000_000_000L));
                    assertTrue(sender2.send(buffer, 0, TestMessages.fill(buffer, 2, i), 10_000_000_000L));
                }
                // Once the worker has read and released everything, scribble: a tail that is no record boundary
                // on lane 1, a "committed" record far longer than a message may be on lane 2.
                awaitReleased(tailView, receiver, language);
                awaitReleased(recordView, receiver, language);
                tailView.setTail(tailView.tail() + 8);
                // A receiver finds records by their stamps and reads the tail once the lane has ended (§5).
                sender1.endStream();
                final long position = recordView.tail();
                recordView.writeRecord(position, 0x7fff_0000, LaneDescriptor.TYPE_MESSAGE);
                recordView.setTail(position + 4096);

                for (int i = 0; i < 100_000; i++)
                {
                    assertTrue(sender0.send(buffer, 0, TestMessages.fill(buffer, 0, i), 10_000_000_000L));
                }
                sender0.endStream();
                receiver.assertExits(0, DEADLINE);
            }
            final List<String> lines = receiver.stdoutLines();
            final String faults = String.join("\n", lines.subList(0, 2));
            assertTrue(faults.matches("(?s).*fault lane 1 of pipe 0x[0-9a-f]+ is corrupt: tail=\\d+ is impossible: " +
                "read position=\\d+, released=\\d+, capacity=65536.*"), receiver.logs());
            assertTrue(faults.matches("(?s).*fault lane 2 of pipe 0x[0-9a-f]+ is corrupt: record at position=\\d+ " +
                "of type=1: length=2147418112 exceeds its limit=8176.*"), receiver.logs());
            assertEquals(List.of(
                "lane 0 received 100000 bad 0 state ended",
                "lane 1 received 1000 bad 0 state corrupt",
                "lane 2 received 1000 bad 0 state corrupt",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), lines.subList(2, lines.size()), receiver.logs());
        }
    }

    private static void awaitReleased(final LaneView lane, final CWorker receiver, final Language language)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (lane.head() != lane.tail())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the " + language.label() + " receiver did not release its lane: head=" + lane.head() +
                    ", tail=" + lane.tail() + ". " + receiver.logs());
            }
            Thread.sleep(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldKeepAReadOnlySegmentReadOnlyWhateverTheWorkerTries(final Language language) throws Exception
    {
        final String name = language.prefix() + "-probe";
        final byte[] words = "the\nand\nof\nto\na\nin\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        try (Segment stopwords = Segment.allocate(0, Source.bytes(words));
             Segment scratch = Segment.allocate(4096);
             CWorker probe = language.start(name, "probe", List.of("stopwords", "scratch")))
        {
            probe.setUp(
                CWorker.grant("stopwords", Rights.of(Right.READ), ObjectKind.SEGMENT,
                    List.of(stopwords.duplicate(Rights.of(Right.READ, Right.TRANSFER)))),
                CWorker.grant("scratch", Rights.of(Right.READ, Right.WRITE), ObjectKind.SEGMENT,
                    List.of(scratch.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)))));
            probe.awaitReady(DEADLINE);
            probe.assertExits(0, DEADLINE);

            final byte[] contents = new byte[(int)stopwords.size()];
            stopwords.getBytes(0, contents, 0, contents.length);
            final CRC32 crc = new CRC32();
            crc.update(contents);
            final CRC32 zeros = new CRC32();
            zeros.update(new byte[4096]);
            final String hello = "hello pipeline=test worker=" + name + " replica=0 replicas=1";
            final String readOnly = "segment stopwords rights=0x41 size=" + contents.length + " crc=" + crc.getValue();
            final String writable = "segment scratch rights=0x43 size=4096 crc=" + zeros.getValue();
            final String missing = "trindle_segment: worker '" + name + "' has no grant of a segment named " +
                "'never-granted'; its grants are [stopwords (segment), scratch (segment)]: add it under grants in " +
                "the pipeline config";
            // Each says the refusals its own way: C with errno numbers, Python with names and its memoryview.
            assertEquals(switch (language)
            {
                case C -> List.of(
                    hello,
                    readOnly,
                    "mmap_write_errno=" + EACCES,
                    "mprotect_write_errno=" + EACCES,
                    "remap_rights=0x1",
                    writable,
                    "wrote scratch",
                    "missing " + missing,
                    "after close fds: 0 1 2",
                    "after close memfd mappings: 0");
                case PYTHON -> List.of(
                    hello,
                    readOnly + " readonly=True",
                    "memoryview write: cannot modify read-only memory",
                    "mmap_write_errno=EACCES",
                    "mprotect_write_errno=EACCES",
                    writable + " readonly=False",
                    "wrote scratch",
                    "missing TRINDLE_E_NOT_FOUND -12: " + missing,
                    "after close fds: 0 1 2",
                    "after close memfd mappings: 0");
            }, probe.stdoutLines(), probe.logs());
            final String writtenBy = "written by " + language.label();
            final byte[] written = new byte[writtenBy.length()];
            scratch.getBytes(0, written, 0, written.length);
            assertEquals(writtenBy, new String(written, StandardCharsets.US_ASCII));
            assertEquals(words[0], stopwords.getByte(0), "the read-only segment is unchanged");
        }
    }

    @Test
    void shouldRefuseAFrameOfAnotherVersionNamingBoth() throws Exception
    {
        try (CWorker probe = CWorker.start("c-probe-version", "trindle-c-probe", List.of()))
        {
            sendRaw(probe, frame(2, ControlMessage.Hello.KIND, new byte[0], 0, new byte[0]), new int[0]);
            assertRefused(probe, "error trindle_connect: control frame refused: version mismatch: peer=2, app=1");
        }
    }

    @Test
    void shouldRefuseGrantsBeforeTheHello() throws Exception
    {
        try (CWorker probe = CWorker.start("c-probe-order", "trindle-c-probe", List.of()))
        {
            probe.send(new ControlMessage.GrantsDone());
            assertRefused(probe, "error trindle_connect: expected a hello from the supervisor, got grants done");
        }
    }

    @Test
    void shouldRefuseAGrantWhoseFdIsNoMemfdAndCloseIt() throws Exception
    {
        final int[] pipeFds = Fds.pipe();
        try (CWorker probe = CWorker.start("c-probe-not-memfd", "trindle-c-probe", List.of()))
        {
            probe.send(new ControlMessage.Hello("test", "c-probe-not-memfd", 0, 1));
            sendRaw(probe, grantFrame("lines", Right.SEND.bit() | Right.TRANSFER.bit(), 8192), new int[] {pipeFds[0]});
            assertRefused(probe,
                "error trindle_connect: control frame refused: handle entry 0 (object 0x77) fd 4 is not a memfd: " +
                "fcntl(F_GET_SEALS): Invalid argument (EINVAL, errno 22)");
        }
        finally
        {
            Fds.close(pipeFds[0]);
            Fds.close(pipeFds[1]);
        }
    }

    @Test
    void shouldRefuseAGrantOfAnUnsealedMemfdAndCloseIt() throws Exception
    {
        final int memfd = Memfd.memfdCreate("unsealed", Memfd.MFD_CLOEXEC);
        try (CWorker probe = CWorker.start("c-probe-unsealed", "trindle-c-probe", List.of()))
        {
            Memfd.ftruncate(memfd, 8192);
            probe.send(new ControlMessage.Hello("test", "c-probe-unsealed", 0, 1));
            sendRaw(probe, grantFrame("lines", Right.SEND.bit() | Right.TRANSFER.bit(), 8192), new int[] {memfd});
            assertRefused(probe, "error trindle_connect: control frame refused: handle entry 0 (object 0x77) fd 4 is " +
                "not sealed against shrinking (seals=0x1); mapping it would let another holder fault this process");
        }
        finally
        {
            Fds.close(memfd);
        }
    }

    @Test
    void shouldRefuseHandlesOnAFrameOtherThanAGrant() throws Exception
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane();
             CWorker probe = CWorker.start("c-probe-handles", "trindle-c-probe", List.of()))
        {
            final byte[] entry = entry(lane.objectId(), ObjectKind.PIPE.code(), Right.SEND.bit(), lane.size());
            sendRaw(probe, frame(1, ControlMessage.Hello.KIND, helloBody(), 1, entry), new int[] {lane.fd()});
            assertRefused(probe,
                "error trindle_connect: control frame refused: kind=1 may not carry handles (it has 1)");
        }
    }

    @Test
    void shouldDropAFrameItMadeNoRequestForAndCloseItsHandles() throws Exception
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane(); Segment stray = Segment.allocate(4096);
             CWorker receiver = CWorker.start("c-stray-handles", "trindle-c-receiver", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane.duplicate(RECEIVE))));
            receiver.awaitReady(DEADLINE);
            receiver.send(new ControlMessage.Handles(7, 0, "",
                List.of(stray.duplicate(Rights.of(Right.READ, Right.TRANSFER)))));
            // The worker looks at its channel after each empty-handed sleep: wait until it has dropped the frame.
            receiver.awaitStderr("trindle: dropped a control frame of kind 9 (handles) with 1 handles", DEADLINE);
            try (LaneSender sender = LaneSender.open(lane.duplicate(SEND)))
            {
                sender.endStream();
            }
            receiver.assertExits(0, DEADLINE);
            assertTrue(receiver.stderr().contains(
                "trindle: dropped a control frame of kind 9 (handles) with 1 handles"),
                receiver.logs());
            assertEquals(List.of(
                "lane 0 received 0 bad 0 state ended",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), receiver.stdoutLines(), receiver.logs());
        }
    }

    @Test
    void shouldExitWhenTheSupervisorGoesAway() throws Exception
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane();
             CWorker receiver = CWorker.start("c-orphan", "trindle-c-receiver", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(lane.duplicate(RECEIVE))));
            receiver.awaitReady(DEADLINE);
            try (LaneView view = new LaneView(lane))
            {
                view.awaitWord(LaneDescriptor.RECEIVER_SLEEPING_OFFSET, 1); // asleep in trindle_exchange
            }
            final long start = System.nanoTime();
            receiver.closeChannel();
            receiver.assertExits(70, DEADLINE);
            final long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2000, "exited " + millis + " ms after the channel closed");
            assertTrue(receiver.stderr().contains("TRINDLE_E_SUPERVISOR_GONE"), receiver.logs());
        }
    }

    private static void assertRefused(final CWorker probe, final String error) throws InterruptedException
    {
        probe.assertExits(2, DEADLINE);
        final List<String> lines = probe.stdoutLines();
        // Refused whole: the frame's fds are closed, and so is the control channel; nothing is left open.
        assertEquals(List.of(
            "connect -9 TRINDLE_E_PROTOCOL: a control frame broke the protocol",
            error,
            "after refused connect fds: 0 1 2",
            "after refused connect memfd mappings: 0"), lines, probe.logs());
    }

    private static void sendRaw(final CWorker probe, final byte[] frame, final int[] fds)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment bytes = arena.allocate(frame.length);
            MemorySegment.copy(frame, 0, bytes, ValueLayout.JAVA_BYTE, 0, frame.length);
            Sockets.sendWithFds(probe.channelFd(), bytes, fds);
        }
    }

    /** A frame as control-protocol.md §2 draws it; the fields are the caller's, right or wrong. */
    private static byte[] frame(final int version, final int kind, final byte[] body, final int handles,
        final byte[] entries)
    {
        final ByteBuffer frame = ByteBuffer.allocate(ControlFrame.HEADER_LENGTH + body.length + entries.length)
            .order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(ControlFrame.MAGIC).putShort((short)version).putShort((short)kind).putInt(body.length)
            .putShort((short)handles).putShort((short)0).put(body).put(entries);
        return frame.array();
    }

    private static byte[] grantFrame(final String name, final int rights, final long size)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        body.writeBytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short)utf8.length).array());
        body.writeBytes(utf8);
        body.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Right.SEND.bit())
            .putShort((short)ObjectKind.PIPE.code()).putShort((short)0).array());
        return frame(1, ControlMessage.Grant.KIND, body.toByteArray(), 1, entry(0x77, ObjectKind.PIPE.code(), rights,
            size));
    }

    private static byte[] helloBody()
    {
        final ByteBuffer body = ByteBuffer.allocate(2 + 4 + 2 + 1 + 4).order(ByteOrder.LITTLE_ENDIAN);
        body.putShort((short)4).put("test".getBytes(StandardCharsets.US_ASCII)).putShort((short)1).put((byte)'w')
            .putShort((short)0).putShort((short)1);
        return body.array();
    }

    private static byte[] entry(final long objectId, final int kind, final int rights, final long size)
    {
        return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(objectId).putInt(kind).putInt(rights)
            .putLong(0).putLong(size).array();
    }
}
