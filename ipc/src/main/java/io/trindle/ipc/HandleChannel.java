package io.trindle.ipc;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One end of a Unix {@code SOCK_SEQPACKET} socket that carries handles between processes: the fds travel as
 * {@code SCM_RIGHTS}, and the object id, kind, rights and window of each travel beside them in a small
 * versioned message. Sending <em>moves</em> the handles: the sender's are closed once the send is attempted.
 *
 * <h2>Handle message layout</h2>
 * All fields little-endian; one message per {@code sendmsg}, fds in entry order.
 * <pre>
 *   0               1               2               3
 *   0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *  +---------------------------------------------------------------+
 *  |                      Magic 'THND' (0x444e4854)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |          Version (1)          |        Count (1..64)          |  4
 *  +-------------------------------+-------------------------------+
 *  |                        Entry 0 (32 bytes)                     |  8
 *  |                              ...                              |
 *
 *  Entry:
 *  +---------------------------------------------------------------+
 *  |                         Object id (u64)                       |  0
 *  +---------------------------------------------------------------+
 *  |                        Kind code (u32)                        |  8
 *  +---------------------------------------------------------------+
 *  |                       Rights mask (u32)                       | 12
 *  +---------------------------------------------------------------+
 *  |              Offset of the object in its memfd (u64)          | 16
 *  +---------------------------------------------------------------+
 *  |                       Size in bytes (u64)                     | 24
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>The receiver trusts none of it: the kind must be known, the rights valid for the kind, the window
 * page-aligned and inside the file, and the fd a memfd sealed against shrinking (so the sender cannot make
 * the receiver's mapping fault later). A read-only fd never yields WRITE, whatever the rights field says.
 * A message that fails any check is refused whole and every fd that came with it is closed.
 */
public final class HandleChannel implements AutoCloseable
{
    /** Most handles one message carries. */
    public static final int MAX_HANDLES = 64;

    public static final int MAGIC = 0x444e_4854;
    public static final short VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int COUNT_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    public static final int ENTRY_OBJECT_ID_OFFSET = HandleEntries.OBJECT_ID_OFFSET;
    public static final int ENTRY_KIND_OFFSET = HandleEntries.KIND_OFFSET;
    public static final int ENTRY_RIGHTS_OFFSET = HandleEntries.RIGHTS_OFFSET;
    public static final int ENTRY_OFFSET_OFFSET = HandleEntries.OFFSET_OFFSET;
    public static final int ENTRY_SIZE_OFFSET = HandleEntries.SIZE_OFFSET;
    public static final int ENTRY_LENGTH = HandleEntries.LENGTH;

    public static final int MAX_MESSAGE_LENGTH = HEADER_LENGTH + MAX_HANDLES * ENTRY_LENGTH;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int fd;
    private boolean closed;

    private HandleChannel(final int fd)
    {
        this.fd = fd;
    }

    /**
     * @return two connected channels, e.g. one to keep and one whose fd a child process inherits.
     */
    public static HandleChannel[] pair()
    {
        final int[] fds = Sockets.socketpair();
        return new HandleChannel[] {new HandleChannel(fds[0]), new HandleChannel(fds[1])};
    }

    /**
     * Wraps a socket fd this process already holds (such as one inherited at spawn); the channel owns it.
     */
    public static HandleChannel adopt(final int fd)
    {
        return new HandleChannel(fd);
    }

    /**
     * @return the socket's fd, e.g. to pass to a child process.
     */
    public int fd()
    {
        checkOpen();
        return fd;
    }

    /**
     * Moves handles to the process at the other end, in one message. Every handle must be open and hold
     * {@link Right#TRANSFER}; if one does not, nothing is sent and nothing is closed. Once those checks pass,
     * the handles are gone from this process whether or not the send succeeds (the Zircon rule): keep a
     * {@link Handle#duplicate} if you need one.
     *
     * @throws RightsException if a handle lacks TRANSFER (nothing moved).
     */
    public void send(final Handle... handles)
    {
        checkOpen();
        if (handles.length == 0 || handles.length > MAX_HANDLES)
        {
            throw new IllegalArgumentException("send: count=" + handles.length + " must be 1.." + MAX_HANDLES);
        }
        final Map<Handle, Boolean> seen = new IdentityHashMap<>();
        for (final Handle handle : handles)
        {
            handle.checkOpen();
            handle.require(Right.TRANSFER, "send");
            if (seen.put(handle, Boolean.TRUE) != null)
            {
                throw new IllegalArgumentException("send: " + handle.describe() + " appears twice");
            }
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(HEADER_LENGTH + (long)handles.length * ENTRY_LENGTH, 8);
            message.set(INT, MAGIC_OFFSET, MAGIC);
            message.set(SHORT, VERSION_OFFSET, VERSION);
            message.set(SHORT, COUNT_OFFSET, (short)handles.length);
            final int[] fds = new int[handles.length];
            for (int i = 0; i < handles.length; i++)
            {
                final Handle handle = handles[i];
                HandleEntries.encode(message, HEADER_LENGTH + (long)i * ENTRY_LENGTH, handle);
                fds[i] = handle.fd();
            }
            Sockets.sendWithFds(fd, message, fds);
        }
        finally
        {
            for (final Handle handle : handles)
            {
                handle.close();
            }
        }
    }

    /**
     * Waits for the next message and returns the handles it carried, now held by this process.
     *
     * @return the handles in the order they were sent, or an empty list if the peer closed its end.
     * @throws MalformedMessageException if the message broke the format (everything in it was closed).
     */
    public List<Handle> receive()
    {
        checkOpen();
        final Sockets.Received received;
        final MemorySegment message;
        try (Arena arena = Arena.ofConfined())
        {
            message = arena.allocate(MAX_MESSAGE_LENGTH, 8);
            received = Sockets.receiveWithFds(fd, message, MAX_HANDLES);
            if (received.length() == 0 && received.fds().length == 0)
            {
                return List.of();
            }
            return decode(message, received);
        }
    }

    private static List<Handle> decode(final MemorySegment message, final Sockets.Received received)
    {
        final int[] fds = received.fds();
        final List<Handle> handles = new ArrayList<>(fds.length);
        try
        {
            final int length = received.length();
            if (length < HEADER_LENGTH)
            {
                throw new MalformedMessageException("handle message too short: length=" + length +
                    ", header=" + HEADER_LENGTH);
            }
            final int magic = message.get(INT, MAGIC_OFFSET);
            final int version = message.get(SHORT, VERSION_OFFSET) & 0xffff;
            final int count = message.get(SHORT, COUNT_OFFSET) & 0xffff;
            if (magic != MAGIC)
            {
                throw new MalformedMessageException("handle message has magic=0x" + Integer.toHexString(magic) +
                    ", expected=0x" + Integer.toHexString(MAGIC));
            }
            if (version != VERSION)
            {
                throw new MalformedMessageException("handle message version mismatch: file=" + version +
                    ", app=" + VERSION);
            }
            if (count != fds.length || length != HEADER_LENGTH + count * ENTRY_LENGTH)
            {
                throw new MalformedMessageException("handle message count=" + count + " disagrees with fds=" +
                    fds.length + " or length=" + length);
            }
            for (int i = 0; i < count; i++)
            {
                handles.add(HandleEntries.decode(message, HEADER_LENGTH + (long)i * ENTRY_LENGTH, fds[i], i));
            }
            return handles;
        }
        catch (final RuntimeException e)
        {
            HandleEntries.closeAll(fds, handles);
            throw e;
        }
    }

    /**
     * Closes the socket; the peer's next receive sees the end.
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
            throw new ClosedHandleException("handle channel on fd " + fd + " was closed");
        }
    }
}
