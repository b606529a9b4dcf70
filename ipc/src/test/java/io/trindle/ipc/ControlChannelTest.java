package io.trindle.ipc;

import io.trindle.ipc.linux.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlChannelTest
{
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        assertEquals(new ControlMessage.TransferReply(7, ControlMessage.Status.WIDENING, 0, "would add WRITE"),
            worker.receive());

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
        assertRefused(frame(ControlChannel.MAGIC, 9, ControlMessage.Ready.KIND, 0), "version mismatch: peer=9, app=1");
        assertRefused(frame(ControlChannel.MAGIC, 1, 77, 0), "unknown kind=77");
        assertRefused(frame(ControlChannel.MAGIC, 1, ControlMessage.Hello.KIND, 2, (byte)50, (byte)0),
            "a field needs 50 bytes");
        assertRefused(frame(ControlChannel.MAGIC, 1, ControlMessage.Ready.KIND, 1, (byte)0), "bytes of body left over");
        assertEquals(fdsBefore, ProcFs.fdTargets().size());

        // A handle where none belongs: refused, and its fd closed.
        try (Segment segment = Segment.allocate(4096); Arena arena = Arena.ofConfined())
        {
            final MemorySegment frame = arena.allocate(ControlChannel.HEADER_LENGTH + HandleEntries.LENGTH, 8);
            writeHeader(frame, ControlChannel.MAGIC, 1, ControlMessage.Ready.KIND, 0);
            frame.set(SHORT, ControlChannel.HANDLE_COUNT_OFFSET, (short)1);
            HandleEntries.encode(frame, ControlChannel.HEADER_LENGTH, segment.handle());
            final long before = ProcFs.fdTargets().size();
            Sockets.sendWithFds(supervisor.fd(), frame, new int[] {segment.handle().fd()});
            final MalformedMessageException e = assertThrows(MalformedMessageException.class, worker::receive);
            assertTrue(e.getMessage().contains("may not carry handles"), e.getMessage());
            assertEquals(before, ProcFs.fdTargets().size(), "the fd that came with it was closed");
        }
        supervisor.send(new ControlMessage.Stop());
        assertEquals(new ControlMessage.Stop(), worker.receive(), "the channel goes on after a refused frame");
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
        final MemorySegment frame = MemorySegment.ofArray(new byte[ControlChannel.HEADER_LENGTH + body.length]);
        writeHeader(frame, magic, version, kind, bodyLength);
        MemorySegment.copy(body, 0, frame, ValueLayout.JAVA_BYTE, ControlChannel.HEADER_LENGTH, body.length);
        return frame.toArray(ValueLayout.JAVA_BYTE);
    }

    private static void writeHeader(final MemorySegment frame, final int magic, final int version, final int kind,
        final int bodyLength)
    {
        frame.set(INT, ControlChannel.MAGIC_OFFSET, magic);
        frame.set(SHORT, ControlChannel.VERSION_OFFSET, (short)version);
        frame.set(SHORT, ControlChannel.KIND_OFFSET, (short)kind);
        frame.set(INT, ControlChannel.BODY_LENGTH_OFFSET, bodyLength);
    }
}
