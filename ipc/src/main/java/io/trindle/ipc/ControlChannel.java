package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;
import io.trindle.ipc.linux.SystemCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's control channel to the supervisor: one end of a Unix {@code SOCK_SEQPACKET} socket pair, the
 * worker's end inherited as fd {@value #WORKER_FD}. Each message is one frame; handles travel as
 * {@code SCM_RIGHTS} fds described by entries after the body. The format is specified in
 * {@code docs/control-protocol.md}; the offsets below are the ones it names.
 *
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                  Magic 'TCTL' (0x4c544354)                    |  0
 *  +-------------------------------+-------------------------------+
 *  |          Version (1)          |             Kind              |  4
 *  +-------------------------------+-------------------------------+
 *  |                      Body length (u32)                        |  8
 *  +-------------------------------+-------------------------------+
 *  |        Handle count           |          Reserved (0)         | 12
 *  +-------------------------------+-------------------------------+
 *  |                     Body ...                                 ... 16
 *  +---------------------------------------------------------------+
 *  |               Handle entries, 32 bytes each                  ... 16 + body length
 *  +---------------------------------------------------------------+
 * </pre>
 * Strings in bodies are a u16 byte count and that many bytes of UTF-8.
 *
 * <p>Sending a frame moves its handles (they are closed here once the send is attempted). Receiving trusts
 * nothing: a frame that breaks the format is refused whole with {@link MalformedMessageException} and every
 * fd that came with it is closed. One thread sends and one thread receives at a time.
 */
public final class ControlChannel implements AutoCloseable
{
    /** The fd a worker inherits its end of the channel on. */
    public static final int WORKER_FD = 3;
    /** The environment variable that names that fd for workers, so they need not assume it. */
    public static final String WORKER_FD_ENVIRONMENT = "TRINDLE_CONTROL_FD";

    public static final int MAGIC = 0x4c54_4354;
    public static final short VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int KIND_OFFSET = 6;
    public static final int BODY_LENGTH_OFFSET = 8;
    public static final int HANDLE_COUNT_OFFSET = 12;
    public static final int HEADER_LENGTH = 16;
    /** The largest frame, header to last entry. */
    public static final int MAX_FRAME_LENGTH = 64 * 1024;
    /** The most handles one frame carries. */
    public static final int MAX_HANDLES = 64;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int fd;
    private volatile boolean closed;

    private ControlChannel(final int fd)
    {
        this.fd = fd;
    }

    /** @return a connected pair: the supervisor keeps the first, the worker inherits the second. */
    public static ControlChannel[] pair()
    {
        final int[] fds = Sockets.socketpair();
        return new ControlChannel[] {new ControlChannel(fds[0]), new ControlChannel(fds[1])};
    }

    /** Wraps a socket fd this process holds, such as the one a worker inherits; the channel owns it. */
    public static ControlChannel adopt(final int fd)
    {
        return new ControlChannel(fd);
    }

    /**
     * @return the worker's channel on the fd the environment names ({@value #WORKER_FD_ENVIRONMENT}), or on
     * {@value #WORKER_FD}.
     */
    public static ControlChannel inherited()
    {
        final String value = System.getenv(WORKER_FD_ENVIRONMENT);
        return adopt(value == null ? WORKER_FD : Integer.parseInt(value.strip()));
    }

    /** @return the socket's fd, e.g. to pass to a child process. */
    public int fd()
    {
        return fd;
    }

    /**
     * Sends one message. Its handles (a grant's, say) are gone from this process once the send is attempted.
     * The channel checks no rights: it is the supervisor's, which gives each worker exactly the handles its
     * capability table says.
     */
    public void send(final ControlMessage message)
    {
        checkOpen();
        final List<Handle> handles = switch (message)
        {
            case ControlMessage.Grant grant -> grant.handles();
            case ControlMessage.Handles reply -> reply.handles();
            case ControlMessage.Bounce bounce -> bounce.handles();
            default -> List.<Handle>of();
        };
        if (handles.size() > MAX_HANDLES)
        {
            throw new IllegalArgumentException("a frame carries at most " + MAX_HANDLES + " handles, not " +
                handles.size());
        }
        try (Arena frameArena = Arena.ofConfined())
        {
            final byte[] body = encodeBody(message);
            final long length = HEADER_LENGTH + (long)body.length + (long)handles.size() * HandleEntries.LENGTH;
            if (length > MAX_FRAME_LENGTH)
            {
                throw new IllegalArgumentException("frame of " + length + " bytes exceeds " + MAX_FRAME_LENGTH);
            }
            final MemorySegment frame = frameArena.allocate(length, 8);
            frame.set(INT, MAGIC_OFFSET, MAGIC);
            frame.set(SHORT, VERSION_OFFSET, VERSION);
            frame.set(SHORT, KIND_OFFSET, (short)message.kind());
            frame.set(INT, BODY_LENGTH_OFFSET, body.length);
            frame.set(SHORT, HANDLE_COUNT_OFFSET, (short)handles.size());
            MemorySegment.copy(body, 0, frame, ValueLayout.JAVA_BYTE, HEADER_LENGTH, body.length);
            final int[] fds = new int[handles.size()];
            for (int i = 0; i < fds.length; i++)
            {
                HandleEntries.encode(frame, HEADER_LENGTH + body.length + (long)i * HandleEntries.LENGTH,
                    handles.get(i));
                fds[i] = handles.get(i).fd();
            }
            Sockets.sendWithFds(fd, frame, fds);
        }
        finally
        {
            handles.forEach(Handle::close);
        }
    }

    /**
     * Waits for the next message.
     *
     * @return the message, or {@code null} if the other end closed the channel.
     * @throws MalformedMessageException if the frame broke the format (everything in it was closed).
     */
    public ControlMessage receive()
    {
        checkOpen();
        // A buffer per frame, not one kept for the channel: close() may run on another thread while this one
        // waits in recvmsg, and must not free memory the kernel is about to write into.
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(MAX_FRAME_LENGTH, 8);
            final Sockets.Received received;
            try
            {
                received = Sockets.receiveWithFds(fd, buffer, MAX_HANDLES);
            }
            catch (final SystemCallException e)
            {
                // A frame too long, or with too many fds, was cut off by the kernel (and its fds closed): that is
                // the peer breaking the format, not the channel failing.
                if (e.errno() == Errno.EINVAL)
                {
                    throw new MalformedMessageException("control frame of more than " + MAX_FRAME_LENGTH +
                        " bytes or " + MAX_HANDLES + " fds: " + e.getMessage(), e);
                }
                throw e;
            }
            if (received.length() == 0 && received.fds().length == 0)
            {
                return null;
            }
            final List<Handle> handles = new ArrayList<>();
            try
            {
                return decode(buffer, received, handles);
            }
            catch (final RuntimeException e)
            {
                HandleEntries.closeAll(received.fds(), handles);
                throw e;
            }
        }
    }

    private static ControlMessage decode(final MemorySegment frame, final Sockets.Received received,
        final List<Handle> handles)
    {
        final int length = received.length();
        final int[] fds = received.fds();
        if (length < HEADER_LENGTH)
        {
            throw new MalformedMessageException("control frame too short: length=" + length);
        }
        final int magic = frame.get(INT, MAGIC_OFFSET);
        final int version = frame.get(SHORT, VERSION_OFFSET) & 0xffff;
        final int kind = frame.get(SHORT, KIND_OFFSET) & 0xffff;
        final long bodyLength = frame.get(INT, BODY_LENGTH_OFFSET) & 0xffff_ffffL;
        final int count = frame.get(SHORT, HANDLE_COUNT_OFFSET) & 0xffff;
        if (magic != MAGIC)
        {
            throw new MalformedMessageException("control frame has magic=0x" + Integer.toHexString(magic) +
                ", expected=0x" + Integer.toHexString(MAGIC));
        }
        if (version != VERSION)
        {
            throw new MalformedMessageException("control protocol version mismatch: peer=" + version + ", app=" +
                VERSION);
        }
        if (count != fds.length || HEADER_LENGTH + bodyLength + (long)count * HandleEntries.LENGTH != length)
        {
            throw new MalformedMessageException("control frame kind=" + kind + ": handle count=" + count +
                ", fds=" + fds.length + ", body length=" + bodyLength + " disagree with frame length=" + length);
        }
        for (int i = 0; i < count; i++)
        {
            handles.add(HandleEntries.decode(frame,
                HEADER_LENGTH + bodyLength + (long)i * HandleEntries.LENGTH, fds[i], i));
        }
        final Body body = new Body(frame, HEADER_LENGTH, HEADER_LENGTH + bodyLength, kind);
        final ControlMessage message = switch (kind)
        {
            case ControlMessage.Hello.KIND ->
                new ControlMessage.Hello(body.string(), body.string(), body.u16(), body.u16());
            case ControlMessage.Grant.KIND -> decodeGrant(body, handles);
            case ControlMessage.GrantsDone.KIND -> new ControlMessage.GrantsDone();
            case ControlMessage.Ready.KIND -> new ControlMessage.Ready();
            case ControlMessage.Stop.KIND -> new ControlMessage.Stop();
            case ControlMessage.Transfer.KIND -> decodeTransfer(body);
            case ControlMessage.TransferReply.KIND ->
                new ControlMessage.TransferReply(body.u64(), body.u32(), body.u64(), body.string());
            case ControlMessage.Redeem.KIND ->
                new ControlMessage.Redeem(body.u64(), body.u64(), body.u64(), body.u32(), body.u64());
            case ControlMessage.Handles.KIND ->
                new ControlMessage.Handles(body.u64(), body.u32(), body.string(), handles);
            case ControlMessage.Reject.KIND ->
                new ControlMessage.Reject(body.u64(), body.u32(), body.u64(), body.u64(), body.string(), body.bytes());
            case ControlMessage.Bounce.KIND ->
                new ControlMessage.Bounce(body.string(), body.u64(), body.string(), body.bytes(), handles);
            case ControlMessage.CreatePipe.KIND -> new ControlMessage.CreatePipe(body.u64(), body.u32());
            case ControlMessage.CreateBundle.KIND ->
            {
                final long request = body.u64();
                final List<ControlMessage.Attachment> attachments = decodeAttachments(body);
                yield new ControlMessage.CreateBundle(request, attachments, body.bytes());
            }
            case ControlMessage.Unpack.KIND -> new ControlMessage.Unpack(body.u64(), body.u64());
            default -> throw new MalformedMessageException("control frame has unknown kind=" + kind);
        };
        body.end();
        if (count > 0 && kind != ControlMessage.Grant.KIND && kind != ControlMessage.Handles.KIND &&
            kind != ControlMessage.Bounce.KIND)
        {
            throw new MalformedMessageException("control frame kind=" + kind + " may not carry handles");
        }
        return message;
    }

    private static ControlMessage.Transfer decodeTransfer(final Body body)
    {
        final long request = body.u64();
        final long pipeId = body.u64();
        final int laneId = body.u32();
        return new ControlMessage.Transfer(request, pipeId, laneId, decodeAttachments(body));
    }

    private static List<ControlMessage.Attachment> decodeAttachments(final Body body)
    {
        final int count = body.u16();
        body.u16();
        if (count < 1 || count > MAX_HANDLES)
        {
            throw new MalformedMessageException("attachments: count=" + count + "; 1.." + MAX_HANDLES);
        }
        final List<ControlMessage.Attachment> attachments = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final long objectId = body.u64();
            final int rights = body.u32();
            final int mode = body.u16();
            body.u16();
            if ((rights & ~Rights.VALID_BITS) != 0 || mode > 1)
            {
                throw new MalformedMessageException("attachment " + i + ": rights=0x" + Integer.toHexString(rights) +
                    ", mode=" + mode + " are not valid");
            }
            attachments.add(new ControlMessage.Attachment(objectId, Rights.fromBits(rights), mode == 1));
        }
        return attachments;
    }

    private static ControlMessage.Grant decodeGrant(final Body body, final List<Handle> handles)
    {
        final String name = body.string();
        final int rightsBits = body.u32();
        final ObjectKind objectKind = ObjectKind.fromCode(body.u16());
        final int partition = body.u16();
        if (objectKind == null || (rightsBits & ~Rights.VALID_BITS) != 0 ||
            !Rights.fromBits(rightsBits).isSubsetOf(objectKind.validRights()) ||
            (partition != ControlMessage.Grant.ROUND_ROBIN && partition != ControlMessage.Grant.KEY))
        {
            throw new MalformedMessageException("grant '" + name + "': kind=" + objectKind + ", rights=0x" +
                Integer.toHexString(rightsBits) + ", partition=" + partition + " do not make a valid grant");
        }
        for (final Handle handle : handles)
        {
            if (handle.kind() != objectKind)
            {
                throw new MalformedMessageException("grant '" + name + "' of a " + objectKind + " carries a " +
                    handle.kind() + " handle");
            }
        }
        return new ControlMessage.Grant(name, Rights.fromBits(rightsBits), objectKind, partition, handles);
    }

    private static byte[] encodeBody(final ControlMessage message)
    {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        switch (message)
        {
            case ControlMessage.Hello hello ->
            {
                putString(bytes, hello.pipeline());
                putString(bytes, hello.worker());
                putU16(bytes, hello.replica());
                putU16(bytes, hello.replicas());
            }
            case ControlMessage.Grant grant ->
            {
                putString(bytes, grant.name());
                putU32(bytes, grant.rights().bits());
                putU16(bytes, grant.objectKind().code());
                putU16(bytes, grant.partition());
            }
            case ControlMessage.Transfer transfer ->
            {
                putU64(bytes, transfer.request());
                putU64(bytes, transfer.pipeId());
                putU32(bytes, transfer.laneId());
                putAttachments(bytes, transfer.attachments());
            }
            case ControlMessage.CreateBundle create ->
            {
                putU64(bytes, create.request());
                putAttachments(bytes, create.attachments());
                putBytes(bytes, create.bytes());
            }
            case ControlMessage.Unpack unpack ->
            {
                putU64(bytes, unpack.request());
                putU64(bytes, unpack.bundleId());
            }
            case ControlMessage.TransferReply reply ->
            {
                putU64(bytes, reply.request());
                putU32(bytes, reply.status());
                putU64(bytes, reply.token());
                putString(bytes, reply.reason());
            }
            case ControlMessage.Redeem redeem ->
            {
                putU64(bytes, redeem.request());
                putU64(bytes, redeem.token());
                putU64(bytes, redeem.pipeId());
                putU32(bytes, redeem.laneId());
                putU64(bytes, redeem.sequence());
            }
            case ControlMessage.Handles reply ->
            {
                putU64(bytes, reply.request());
                putU32(bytes, reply.status());
                putString(bytes, reply.reason());
            }
            case ControlMessage.Reject reject ->
            {
                putU64(bytes, reject.pipeId());
                putU32(bytes, reject.laneId());
                putU64(bytes, reject.sequence());
                putU64(bytes, reject.token());
                putString(bytes, reject.reason());
                putBytes(bytes, reject.head());
            }
            case ControlMessage.Bounce bounce ->
            {
                putString(bytes, bounce.pipe());
                putU64(bytes, bounce.sequence());
                putString(bytes, bounce.reason());
                putBytes(bytes, bounce.head());
            }
            case ControlMessage.CreatePipe create ->
            {
                putU64(bytes, create.request());
                putU32(bytes, create.laneCapacity());
            }
            case ControlMessage.GrantsDone ignored ->
            {
            }
            case ControlMessage.Ready ignored ->
            {
            }
            case ControlMessage.Stop ignored ->
            {
            }
        }
        return bytes.toByteArray();
    }

    private static void putU16(final java.io.ByteArrayOutputStream bytes, final int value)
    {
        if (value < 0 || value > 0xffff)
        {
            throw new IllegalArgumentException("value=" + value + " does not fit in 16 bits");
        }
        bytes.write(value & 0xff);
        bytes.write(value >>> 8);
    }

    private static void putU32(final java.io.ByteArrayOutputStream bytes, final int value)
    {
        putU16(bytes, value & 0xffff);
        putU16(bytes, value >>> 16);
    }

    private static void putAttachments(final java.io.ByteArrayOutputStream bytes,
        final List<ControlMessage.Attachment> attachments)
    {
        putU16(bytes, attachments.size());
        putU16(bytes, 0);
        for (final ControlMessage.Attachment attachment : attachments)
        {
            putU64(bytes, attachment.objectId());
            putU32(bytes, attachment.rights().bits());
            putU16(bytes, attachment.duplicate() ? 1 : 0);
            putU16(bytes, 0);
        }
    }

    private static void putU64(final java.io.ByteArrayOutputStream bytes, final long value)
    {
        putU32(bytes, (int)value);
        putU32(bytes, (int)(value >>> 32));
    }

    private static void putBytes(final java.io.ByteArrayOutputStream bytes, final byte[] value)
    {
        putU16(bytes, value.length);
        bytes.writeBytes(value);
    }

    private static void putString(final java.io.ByteArrayOutputStream bytes, final String value)
    {
        final byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        putU16(bytes, utf8.length);
        bytes.writeBytes(utf8);
    }

    /** Reads a body field by field, refusing to read past its end. */
    private static final class Body
    {
        private final MemorySegment frame;
        private final long end;
        private final int kind;
        private long position;

        Body(final MemorySegment frame, final long start, final long end, final int kind)
        {
            this.frame = frame;
            this.position = start;
            this.end = end;
            this.kind = kind;
        }

        int u16()
        {
            need(2);
            final int value = frame.get(SHORT, position) & 0xffff;
            position += 2;
            return value;
        }

        int u32()
        {
            return u16() | u16() << 16;
        }

        long u64()
        {
            return (u32() & 0xffff_ffffL) | (long)u32() << 32;
        }

        byte[] bytes()
        {
            final int length = u16();
            need(length);
            final byte[] value = new byte[length];
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, position, value, 0, length);
            position += length;
            return value;
        }

        String string()
        {
            final int length = u16();
            need(length);
            final byte[] utf8 = new byte[length];
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, position, utf8, 0, length);
            position += length;
            return new String(utf8, StandardCharsets.UTF_8);
        }

        void end()
        {
            if (position != end)
            {
                throw new MalformedMessageException("control frame kind=" + kind + " has " + (end - position) +
                    " bytes of body left over");
            }
        }

        private void need(final long bytes)
        {
            if (position + bytes > end)
            {
                throw new MalformedMessageException("control frame kind=" + kind + ": body ends at " + end +
                    ", a field needs " + bytes + " bytes at " + position);
            }
        }
    }

    /**
     * Ends the connection in both directions without closing the fd: a thread of this process blocked in
     * {@link #receive()} returns {@code null}, and the peer reads the end. It acts on the socket itself, so do
     * not call it on a copy of an end given to another process.
     */
    public void shutdown()
    {
        try
        {
            Sockets.shutdown(fd, Sockets.SHUT_RDWR);
        }
        catch (final io.trindle.ipc.linux.SystemCallException ignored)
        {
            // Already disconnected (ENOTCONN): there is nothing left to wake.
        }
    }

    /**
     * Closes this process's fd of the socket. Another process may still hold the same end (a worker that
     * inherited it); to end the connection for a thread blocked here, {@link #shutdown()} first.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Fds.close(fd);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new ClosedHandleException("control channel on fd " + fd + " was closed");
        }
    }
}
