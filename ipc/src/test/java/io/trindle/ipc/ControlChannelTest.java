package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlChannelTest
{
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long PAGE = Memory.pageSize();
    /** A handles frame's body: request (u64) 0, status (u32) OK, reason "" (u16 0). */
    private static final int HANDLES_BODY_LENGTH = 14;

    private ControlChannel supervisor;
    private ControlChannel worker;

    @BeforeEach
    void connect()
    {
        final ControlChannel[] pair = ControlChannel.pair();
        supervisor = pair[0];
        worker = pair[1];
    }

    @AfterEach
    void disconnect()
    {
        supervisor.close();
        worker.close();
    }

    @Test
    void shouldCarryEveryKindOfMessage()
    {
        supervisor.send(new ControlMessage.Hello("wordcount", "splitter", 1, 2));
        supervisor.send(new ControlMessage.GrantsDone());
        supervisor.send(new ControlMessage.Stop());
        worker.send(new ControlMessage.Ready());

        assertEquals(new ControlMessage.Hello("wordcount", "splitter", 1, 2), worker.receive());
        assertEquals(new ControlMessage.GrantsDone(), worker.receive());
        assertEquals(new ControlMessage.Stop(), worker.receive());
        assertEquals(new ControlMessage.Ready(), supervisor.receive());
    }

    @Test
    void shouldCarryTheMessagesOfHandlesInMotion()
    {
        final List<ControlMessage.Attachment> attachments = List.of(
            new ControlMessage.Attachment(0x1234_0000_0001L, Rights.of(Right.READ), true),
            new ControlMessage.Attachment(-2L, Rights.of(Right.SEND, Right.RECEIVE), false));
        worker.send(new ControlMessage.Transfer(7, 0xabcdefL, 3, attachments));
        worker.send(new ControlMessage.Redeem(8, 0x8000_0000_0000_0001L, 0xabcdefL, 3, 4096));
        worker.send(new ControlMessage.Reject(0xabcdefL, 3, 4096, 99, "no thanks", new byte[] {1, 2, 3}));
        worker.send(new ControlMessage.CreatePipe(9, 4096));
        supervisor.send(new ControlMessage.TransferReply(7, ControlMessage.Status.WIDENING, 0, "would add WRITE"));

        assertEquals(new ControlMessage.Transfer(7, 0xabcdefL, 3, attachments), supervisor.receive());
        assertEquals(new ControlMessage.Redeem(8, 0x8000_0000_0000_0001L, 0xabcdefL, 3, 4096), supervisor.receive());
        assertEquals(new ControlMessage.Reject(0xabcdefL, 3, 4096, 99, "no thanks", new byte[] {1, 2, 3}),
            supervisor.receive());
        assertEquals(new ControlMessage.CreatePipe(9, 4096), supervisor.receive());
        // The body that names an allocator, and the first form without one, both read.
        worker.send(new ControlMessage.CreatePipe(10, 4096, 0x1234));
        assertEquals(new ControlMessage.CreatePipe(10, 4096, 0x1234), supervisor.receive());
        worker.send(new ControlMessage.CreateSegment(11, 0x1234, 5000));
        assertEquals(new ControlMessage.CreateSegment(11, 0x1234, 5000), supervisor.receive());
        worker.send(new ControlMessage.CreateAllocator(12, 0x1234, 1 << 20));
        assertEquals(new ControlMessage.CreateAllocator(12, 0x1234, 1 << 20), supervisor.receive());
        worker.send(new ControlMessage.Release(13, 0x99));
        assertEquals(new ControlMessage.Release(13, 0x99), supervisor.receive());
        assertEquals(new ControlMessage.TransferReply(7, ControlMessage.Status.WIDENING, 0, "would add WRITE"),
            worker.receive());
        supervisor.send(new ControlMessage.Notice(ControlMessage.Notice.PRESSURE_ABOVE, 80, 0x1234, 900, 1000,
            "above 80%", List.of()));
        assertEquals(new ControlMessage.Notice(ControlMessage.Notice.PRESSURE_ABOVE, 80, 0x1234, 900, 1000,
            "above 80%", List.of()), worker.receive());

        try (Segment segment = Segment.allocate(4096))
        {
            supervisor.send(new ControlMessage.Handles(8, ControlMessage.Status.OK, "",
                List.of(segment.duplicate(Rights.of(Right.READ)))));
            final ControlMessage.Handles handles = assertInstanceOf(ControlMessage.Handles.class, worker.receive());
            assertEquals(Rights.of(Right.READ), handles.handles().getFirst().rights());
            handles.handles().getFirst().close();
            supervisor.send(new ControlMessage.Bounce("mail", 4096, "no thanks", new byte[] {1},
                List.of(segment.duplicate(Rights.of(Right.READ, Right.WRITE)))));
            final ControlMessage.Bounce bounce = assertInstanceOf(ControlMessage.Bounce.class, worker.receive());
            assertEquals("mail", bounce.pipe());
            assertEquals(4096, bounce.sequence());
            assertEquals(Rights.of(Right.READ, Right.WRITE), bounce.handles().getFirst().rights());
            bounce.handles().getFirst().close();
        }
    }

    @Test
    void shouldCarryTheMessagesOfBundles()
    {
        final List<ControlMessage.Attachment> attachments =
            List.of(new ControlMessage.Attachment(0x42L, Rights.of(Right.READ, Right.TRANSFER), false));
        worker.send(new ControlMessage.CreateBundle(10, attachments, new byte[] {4, 5}));
        worker.send(new ControlMessage.Unpack(11, 0x8000_0000_0000_0042L));

        assertEquals(new ControlMessage.CreateBundle(10, attachments, new byte[] {4, 5}), supervisor.receive());
        assertEquals(new ControlMessage.Unpack(11, 0x8000_0000_0000_0042L), supervisor.receive());
    }

    @Test
    void shouldCarryTheFramesOfAMove()
    {
        final Handle lane = Pipe.create(4096).newLane();
        try (lane; Handle grown = Pipe.newLaneAfter(lane, 8192))
        {
            supervisor.send(new ControlMessage.LaneMoving(lane.objectId(), 0, 1,
                List.of(grown.duplicate(Rights.of(Right.RECEIVE)))));
            supervisor.send(new ControlMessage.MoveLane(lane.objectId(), 0, 1,
                List.of(grown.duplicate(Rights.of(Right.SEND)))));
            worker.send(new ControlMessage.Resize(7, "lines", 8192));
            final ControlMessage.LaneMoving moving = (ControlMessage.LaneMoving)worker.receive();
            final ControlMessage.MoveLane move = (ControlMessage.MoveLane)worker.receive();
            assertEquals(lane.objectId(), moving.pipeId());
            assertEquals(1, move.generation());
            assertEquals(Rights.of(Right.RECEIVE), moving.handles().getFirst().rights());
            assertEquals(Rights.of(Right.SEND), move.handles().getFirst().rights());
            assertEquals(4096 + 8192, move.handles().getFirst().size());
            moving.handles().getFirst().close();
            move.handles().getFirst().close();
            assertEquals(new ControlMessage.Resize(7, "lines", 8192), supervisor.receive());
        }
    }

    @Test
    void shouldCarryALaneAddedWithItsLane()
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane = pipe.newLane(); Handle added = pipe.newLane())
        {
            assertEquals(pipe.objectId(), lane.objectId());
            supervisor.send(new ControlMessage.LaneAdded(pipe.objectId(), 1, 0,
                List.of(added.duplicate(Rights.of(Right.RECEIVE)))));
            final ControlMessage.LaneAdded received = (ControlMessage.LaneAdded)worker.receive();
            assertEquals(pipe.objectId(), received.pipeId());
            assertEquals(1, received.laneId());
            assertEquals(Rights.of(Right.RECEIVE), received.handles().getFirst().rights());
            received.handles().getFirst().close();
        }
    }

    @Test
    void shouldKnowEveryKindByItsOwnCode() throws ReflectiveOperationException
    {
        final List<Class<?>> kinds = new ArrayList<>();
        final ArrayDeque<Class<?>> types = new ArrayDeque<>(List.of(ControlMessage.class));
        while (!types.isEmpty())
        {
            for (final Class<?> permitted : types.pop().getPermittedSubclasses())
            {
                if (permitted.isInterface())
                {
                    types.push(permitted); // Request, Reply
                }
                else
                {
                    kinds.add(permitted);
                }
            }
        }
        final Set<Integer> codes = new HashSet<>();
        for (final Class<?> kind : kinds)
        {
            final int code = kind.getField("KIND").getInt(null);
            assertTrue(codes.add(code), kind.getSimpleName() + " reuses code " + code);
            // An empty body is too short for most kinds, but the kind must be known.
            try (Arena arena = Arena.ofConfined())
            {
                final ControlFrame.BodyReader body = new ControlFrame.BodyReader(arena.allocate(1), 0, 0, code);
                final ControlMessage decoded = ControlMessage.decode(code, body, List.of());
                assertEquals(kind, decoded.getClass());
            }
            catch (final MalformedMessageException e)
            {
                assertTrue(e.getMessage().contains("a field needs"), kind.getSimpleName() + ": " + e.getMessage());
            }
        }
        assertEquals(27, codes.size());
    }

    @Test
    void shouldMoveTheHandlesOfAGrant()
    {
        final Pipe pipe = Pipe.create(4096);
        try (Handle lane0 = pipe.newLane(); Handle lane1 = pipe.newLane())
        {
            final Handle first = lane0.duplicate(Rights.of(Right.SEND, Right.TRANSFER));
            final Handle second = lane1.duplicate(Rights.of(Right.SEND, Right.TRANSFER));
            supervisor.send(new ControlMessage.Grant("wörds", Rights.of(Right.SEND), ObjectKind.PIPE,
                ControlMessage.Grant.KEY, List.of(first, second)));
            assertTrue(first.isClosed() && second.isClosed(), "sending moves the handles");

            final ControlMessage.Grant grant = assertInstanceOf(ControlMessage.Grant.class, worker.receive());
            assertEquals("wörds", grant.name());
            assertEquals(Rights.of(Right.SEND), grant.rights());
            assertEquals(ObjectKind.PIPE, grant.objectKind());
            assertEquals(ControlMessage.Grant.KEY, grant.partition());
            assertEquals(2, grant.handles().size());
            assertEquals(Rights.of(Right.SEND, Right.TRANSFER), grant.handles().get(1).rights());
            try (LaneSender sender = LaneSender.open(grant.handles().get(1)))
            {
                assertEquals(1, sender.laneId());
            }
            grant.handles().getFirst().close();
        }
    }

    @Test
    void shouldCarryTheRevocationFramesAndRefuseARehomeWithoutItsSegment()
    {
        supervisor.send(new ControlMessage.Revoke(0x1234L, "board"));
        assertEquals(new ControlMessage.Revoke(0x1234L, "board"), worker.receive());
        worker.send(new ControlMessage.Revoked(0x1234L));
        assertEquals(new ControlMessage.Revoked(0x1234L), supervisor.receive());
        try (Segment copy = Segment.allocate(4096))
        {
            supervisor.send(new ControlMessage.Rehome(0x1234L, "board",
                List.of(copy.duplicate(Rights.of(Right.READ)))));
            final ControlMessage.Rehome rehome = assertInstanceOf(ControlMessage.Rehome.class, worker.receive());
            assertEquals(0x1234L, rehome.oldObjectId());
            assertEquals(copy.handle().objectId(), rehome.handles().getFirst().objectId());
            assertEquals(Rights.of(Right.READ), rehome.handles().getFirst().rights());
            rehome.handles().getFirst().close();
        }
        worker.send(new ControlMessage.Rehomed(0x1234L, 0x5678L));
        assertEquals(new ControlMessage.Rehomed(0x1234L, 0x5678L), supervisor.receive());
        supervisor.send(new ControlMessage.Rehome(0x1234L, "board", List.of()));
        final MalformedMessageException refused = assertThrows(MalformedMessageException.class, worker::receive);
        assertTrue(refused.getMessage().contains("rehome of 'board' must carry one segment handle"),
            refused.getMessage());
    }

    @Test
    void shouldReportTheOtherEndClosing()
    {
        supervisor.close();
        assertNull(worker.receive());
    }

    @Test
    void shouldRefuseMalformedFramesAndCloseTheirFds()
    {
        final long fdsBefore = ProcFs.fdTargets().size();
        assertRefused(frame(0x1234, 1, ControlMessage.Ready.KIND, 0), "magic=0x1234");
        assertRefused(frame(ControlFrame.MAGIC, 9, ControlMessage.Ready.KIND, 0), "version mismatch: peer=9, app=1");
        assertRefused(frame(ControlFrame.MAGIC, 1, 77, 0), "unknown kind=77");
        assertRefused(frame(ControlFrame.MAGIC, 1, ControlMessage.Hello.KIND, 2, (byte)50, (byte)0),
            "a field needs 50 bytes");
        assertRefused(frame(ControlFrame.MAGIC, 1, ControlMessage.Ready.KIND, 1, (byte)0), "bytes of body left over");
        assertEquals(fdsBefore, ProcFs.fdTargets().size());

        // A handle where none belongs: refused, and its fd closed.
        try (Segment segment = Segment.allocate(4096); Arena arena = Arena.ofConfined())
        {
            final MemorySegment frame = arena.allocate(ControlFrame.HEADER_LENGTH + HandleEntries.LENGTH, 8);
            writeHeader(frame, ControlFrame.MAGIC, 1, ControlMessage.Ready.KIND, 0);
            frame.set(SHORT, ControlFrame.HANDLE_COUNT_OFFSET, (short)1);
            HandleEntries.encode(frame, ControlFrame.HEADER_LENGTH, segment.handle());
            final long before = ProcFs.fdTargets().size();
            Sockets.sendWithFds(supervisor.fd(), frame, new int[] {segment.handle().fd()});
            final MalformedMessageException e = assertThrows(MalformedMessageException.class, worker::receive);
            assertTrue(e.getMessage().contains("may not carry handles"), e.getMessage());
            assertEquals(before, ProcFs.fdTargets().size(), "the fd that came with it was closed");
        }
        supervisor.send(new ControlMessage.Stop());
        assertEquals(new ControlMessage.Stop(), worker.receive(), "the channel goes on after a refused frame");
    }

    @Test
    void shouldMoveHandlesWithTheirRights()
    {
        try (Segment owner = Segment.allocate(2 * PAGE, Source.bytes("moved".getBytes())))
        {
            final Handle readOnly = owner.duplicate(Rights.of(Right.READ, Right.TRANSFER));
            final Handle writable = owner.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER));
            supervisor.send(new ControlMessage.Handles(1, ControlMessage.Status.OK, "", List.of(readOnly, writable)));
            assertTrue(readOnly.isClosed() && writable.isClosed(), "sending moves the handles");

            final List<Handle> received =
                assertInstanceOf(ControlMessage.Handles.class, worker.receive()).handles();
            assertEquals(2, received.size());
            try (Segment first = Segment.map(received.get(0)); Segment second = Segment.map(received.get(1)))
            {
                assertEquals(Rights.of(Right.READ, Right.TRANSFER), first.rights());
                assertEquals(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER), second.rights());
                assertEquals(owner.handle().objectId(), first.handle().objectId());
                assertEquals(2 * PAGE, first.size());
                final byte[] bytes = new byte[5];
                first.getBytes(0, bytes, 0, 5);
                assertArrayEquals("moved".getBytes(), bytes);
                second.putByte(0, (byte)'M');
                assertEquals('M', owner.getByte(0));
            }
        }
    }

    @Test
    void shouldNeverGrantWriteThroughAReadOnlyFd()
    {
        try (Segment owner = Segment.allocate(PAGE);
            Handle readOnly = owner.duplicate(Rights.of(Right.READ, Right.TRANSFER));
            Arena arena = Arena.ofConfined())
        {
            // A lying sender claims READ|WRITE for a read-only fd.
            final MemorySegment frame = handlesFrame(arena, owner.handle().objectId(), 1, 0x03, 0, PAGE);
            Sockets.sendWithFds(supervisor.fd(), frame, new int[] {readOnly.fd()});
            try (Handle received = worker.receive().handles().getFirst())
            {
                assertEquals(Rights.of(Right.READ), received.rights());
            }
        }
    }

    @Test
    void shouldRefuseLyingHandleEntriesAndCloseWhatCameWithThem()
    {
        try (Segment owner = Segment.allocate(PAGE); Arena arena = Arena.ofConfined())
        {
            final long fdsBefore = ProcFs.fdTargets().size();
            final int fd = owner.handle().fd();
            final long id = owner.handle().objectId();

            assertRefused(handlesFrame(arena, id, 99, 0x01, 0, PAGE), fd, "unknown kind=99");
            assertRefused(handlesFrame(arena, id, 1, 0x08, 0, PAGE), fd, "not valid for a SEGMENT");
            assertRefused(handlesFrame(arena, id, 1, 0x01, 0, 2 * PAGE), fd, "lies outside the memfd");
            assertRefused(handlesFrame(arena, id, 1, 0x01, 100, PAGE), fd, "must be page-aligned");

            // Not a memfd at all.
            final int devNull = Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
            assertRefused(handlesFrame(arena, id, 1, 0x01, 0, PAGE), devNull, "fd is not a memfd");
            Fds.close(devNull);

            // A memfd the sender could still shrink under the receiver's mapping.
            final int unsealed = Memfd.memfdCreate("trindle-segment", Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
            Memfd.ftruncate(unsealed, PAGE);
            assertRefused(handlesFrame(arena, id, 1, 0x01, 0, PAGE), unsealed, "not sealed against shrinking");
            Fds.close(unsealed);

            // Fewer fds than entries.
            Sockets.sendWithFds(supervisor.fd(), handlesFrame(arena, id, 1, 0x01, 0, PAGE), new int[0]);
            final MalformedMessageException e = assertThrows(MalformedMessageException.class, worker::receive);
            assertTrue(e.getMessage().contains("handle count=1, fds=0"), e.getMessage());

            assertEquals(fdsBefore, ProcFs.fdTargets().size(), "every fd of a refused frame was closed");
        }
        supervisor.send(new ControlMessage.Stop());
        assertEquals(new ControlMessage.Stop(), worker.receive(), "the channel goes on after a refused frame");
    }

    private void assertRefused(final MemorySegment frame, final int fd, final String reason)
    {
        Sockets.sendWithFds(supervisor.fd(), frame, new int[] {fd});
        final MalformedMessageException e = assertThrows(MalformedMessageException.class, worker::receive);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    /** A handles frame whose one entry says what the caller likes, true or not. */
    private static MemorySegment handlesFrame(final Arena arena, final long objectId, final int kind,
        final int rights, final long offset, final long size)
    {
        final MemorySegment frame =
            arena.allocate(ControlFrame.HEADER_LENGTH + HANDLES_BODY_LENGTH + HandleEntries.LENGTH, 8);
        writeHeader(frame, ControlFrame.MAGIC, ControlFrame.VERSION, ControlMessage.Handles.KIND, HANDLES_BODY_LENGTH);
        frame.set(SHORT, ControlFrame.HANDLE_COUNT_OFFSET, (short)1);
        final long entry = ControlFrame.HEADER_LENGTH + HANDLES_BODY_LENGTH;
        frame.set(LONG, entry + HandleEntries.OBJECT_ID_OFFSET, objectId);
        frame.set(INT, entry + HandleEntries.KIND_OFFSET, kind);
        frame.set(INT, entry + HandleEntries.RIGHTS_OFFSET, rights);
        frame.set(LONG, entry + HandleEntries.OFFSET_OFFSET, offset);
        frame.set(LONG, entry + HandleEntries.SIZE_OFFSET, size);
        return frame;
    }

    private void assertRefused(final byte[] frame, final String reason)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment native_ = arena.allocate(frame.length, 8);
            MemorySegment.copy(frame, 0, native_, ValueLayout.JAVA_BYTE, 0, frame.length);
            Sockets.sendWithFds(supervisor.fd(), native_, new int[0]);
        }
        final MalformedMessageException e = assertThrows(MalformedMessageException.class, worker::receive);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    private static byte[] frame(final int magic, final int version, final int kind, final int bodyLength,
        final byte... body)
    {
        final MemorySegment frame = MemorySegment.ofArray(new byte[ControlFrame.HEADER_LENGTH + body.length]);
        writeHeader(frame, magic, version, kind, bodyLength);
        MemorySegment.copy(body, 0, frame, ValueLayout.JAVA_BYTE, ControlFrame.HEADER_LENGTH, body.length);
        return frame.toArray(ValueLayout.JAVA_BYTE);
    }

    private static void writeHeader(final MemorySegment frame, final int magic, final int version, final int kind,
        final int bodyLength)
    {
        frame.set(INT, ControlFrame.MAGIC_OFFSET, magic);
        frame.set(SHORT, ControlFrame.VERSION_OFFSET, (short)version);
        frame.set(SHORT, ControlFrame.KIND_OFFSET, (short)kind);
        frame.set(INT, ControlFrame.BODY_LENGTH_OFFSET, bodyLength);
    }
}
