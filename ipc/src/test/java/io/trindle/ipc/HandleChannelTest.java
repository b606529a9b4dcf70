package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memfd;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandleChannelTest
{
    private static final long PAGE = Memory.pageSize();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HandleChannel sender;
    private HandleChannel receiver;

    @BeforeEach
    void connect()
    {
        final HandleChannel[] pair = HandleChannel.pair();
        sender = pair[0];
        receiver = pair[1];
    }

    @AfterEach
    void disconnect()
    {
        sender.close();
        receiver.close();
    }

    @Test
    void shouldMoveHandlesWithTheirRights()
    {
        try (Segment owner = Segment.allocate(2 * PAGE, Source.bytes("moved".getBytes())))
        {
            final Handle readOnly = owner.duplicate(Rights.of(Right.READ, Right.TRANSFER));
            final Handle writable = owner.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER));
            sender.send(readOnly, writable);
            assertTrue(readOnly.isClosed() && writable.isClosed(), "sending moves the handles");

            final List<Handle> received = receiver.receive();
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
    void shouldRefuseToSendWithoutTransferAndMoveNothing()
    {
        try (Segment owner = Segment.allocate(PAGE);
            Handle transferable = owner.duplicate(Rights.of(Right.READ, Right.TRANSFER));
            Handle kept = owner.duplicate(Rights.of(Right.READ)))
        {
            final RightsException e = assertThrows(RightsException.class, () -> sender.send(transferable, kept));
            assertTrue(e.getMessage().startsWith("send needs TRANSFER"), e.getMessage());
            assertFalse(transferable.isClosed());
            assertFalse(kept.isClosed());
            // Nothing reached the receiver: the next message it gets is the one sent now.
            sender.send(transferable);
            assertEquals(1, receiver.receive().size());
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
            final MemorySegment message = entryMessage(arena, owner.handle().objectId(), 1, 0x03, 0, PAGE);
            Sockets.sendWithFds(sender.fd(), message, new int[] {readOnly.fd()});
            try (Handle received = receiver.receive().getFirst())
            {
                assertEquals(Rights.of(Right.READ), received.rights());
            }
        }
    }

    @Test
    void shouldRefuseMalformedMessagesAndCloseWhatCameWithThem() throws Exception
    {
        try (Segment owner = Segment.allocate(PAGE); Arena arena = Arena.ofConfined())
        {
            final long fdsBefore = ProcFs.fdTargets().size();
            final int fd = owner.handle().fd();
            final long id = owner.handle().objectId();

            assertRefused(arena, entryMessage(arena, id, 99, 0x01, 0, PAGE), fd, "unknown kind=99");
            assertRefused(arena, entryMessage(arena, id, 1, 0x08, 0, PAGE), fd, "not valid for a SEGMENT");
            assertRefused(arena, entryMessage(arena, id, 1, 0x01, 0, 2 * PAGE), fd, "lies outside the memfd");
            assertRefused(arena, entryMessage(arena, id, 1, 0x01, 100, PAGE), fd, "must be page-aligned");
            final MemorySegment badMagic = entryMessage(arena, id, 1, 0x01, 0, PAGE);
            badMagic.set(INT, HandleChannel.MAGIC_OFFSET, 0x12345678);
            assertRefused(arena, badMagic, fd, "magic=0x12345678");
            final MemorySegment badVersion = entryMessage(arena, id, 1, 0x01, 0, PAGE);
            badVersion.set(SHORT, HandleChannel.VERSION_OFFSET, (short)2);
            assertRefused(arena, badVersion, fd, "version mismatch: file=2, app=1");

            // Not a memfd at all.
            final int devNull = Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
            assertRefused(arena, entryMessage(arena, id, 1, 0x01, 0, PAGE), devNull, "fd is not a memfd");
            Fds.close(devNull);

            // A memfd the sender could still shrink under the receiver's mapping.
            final int unsealed = Memfd.memfdCreate("trindle-segment", Memfd.MFD_CLOEXEC | Memfd.MFD_ALLOW_SEALING);
            Memfd.ftruncate(unsealed, PAGE);
            assertRefused(arena, entryMessage(arena, id, 1, 0x01, 0, PAGE), unsealed, "not sealed against shrinking");
            Fds.close(unsealed);

            // Fewer fds than entries.
            Sockets.sendWithFds(sender.fd(), entryMessage(arena, id, 1, 0x01, 0, PAGE), new int[0]);
            final MalformedMessageException e = assertThrows(MalformedMessageException.class, receiver::receive);
            assertTrue(e.getMessage().contains("disagrees with fds=0"), e.getMessage());

            assertEquals(fdsBefore, ProcFs.fdTargets().size(), "every fd of a refused message was closed");
        }
    }

    @Test
    void shouldReportThePeerClosing()
    {
        sender.close();
        assertEquals(List.of(), receiver.receive());
    }

    private void assertRefused(final Arena arena, final MemorySegment message, final int fd, final String reason)
    {
        Sockets.sendWithFds(sender.fd(), message, new int[] {fd});
        final MalformedMessageException e = assertThrows(MalformedMessageException.class, receiver::receive);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    private static MemorySegment entryMessage(final Arena arena, final long objectId, final int kind,
        final int rights, final long offset, final long size)
    {
        final MemorySegment message = arena.allocate(HandleChannel.HEADER_LENGTH + HandleChannel.ENTRY_LENGTH, 8);
        message.set(INT, HandleChannel.MAGIC_OFFSET, HandleChannel.MAGIC);
        message.set(SHORT, HandleChannel.VERSION_OFFSET, HandleChannel.VERSION);
        message.set(SHORT, HandleChannel.COUNT_OFFSET, (short)1);
        final long entry = HandleChannel.HEADER_LENGTH;
        message.set(LONG, entry + HandleChannel.ENTRY_OBJECT_ID_OFFSET, objectId);
        message.set(INT, entry + HandleChannel.ENTRY_KIND_OFFSET, kind);
        message.set(INT, entry + HandleChannel.ENTRY_RIGHTS_OFFSET, rights);
        message.set(LONG, entry + HandleChannel.ENTRY_OFFSET_OFFSET, offset);
        message.set(LONG, entry + HandleChannel.ENTRY_SIZE_OFFSET, size);
        return message;
    }
}
