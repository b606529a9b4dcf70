package io.trindle.ipc.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.errno;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.requireNative;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Unix sockets and the fds that travel over them: {@code socketpair}, {@code shutdown}, and {@code sendmsg} /
 * {@code recvmsg} with an SCM_RIGHTS control message. The C structs are laid out by hand at their x86-64
 * offsets, drawn beside each.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/unix.7.html">unix(7)</a> (SCM_RIGHTS)
 * @see <a href="https://man7.org/linux/man-pages/man2/sendmsg.2.html">sendmsg(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/recvmsg.2.html">recvmsg(2)</a>
 */
public final class Sockets
{
    // socket(2), unix(7), sendmsg(2), recvmsg(2)
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SHUT_RDWR = 2;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x08;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    /**
     * struct msghdr (x86-64), 56 bytes:
     * <pre>
     *   0  void   *msg_name        8  socklen_t msg_namelen (+4 pad)
     *  16  struct iovec *msg_iov  24  size_t msg_iovlen
     *  32  void   *msg_control    40  size_t msg_controllen
     *  48  int     msg_flags (+4 pad)
     * </pre>
     */
    private static final long MSGHDR_IOV_OFFSET = 16;
    private static final long MSGHDR_IOVLEN_OFFSET = 24;
    private static final long MSGHDR_CONTROL_OFFSET = 32;
    private static final long MSGHDR_CONTROLLEN_OFFSET = 40;
    private static final long MSGHDR_FLAGS_OFFSET = 48;
    private static final long MSGHDR_LENGTH = 56;

    /** struct iovec: {@code void *iov_base} at 0, {@code size_t iov_len} at 8. */
    private static final long IOVEC_BASE_OFFSET = 0;
    private static final long IOVEC_LEN_OFFSET = 8;
    private static final long IOVEC_LENGTH = 16;

    /**
     * struct cmsghdr: {@code size_t cmsg_len} at 0, {@code int cmsg_level} at 8, {@code int cmsg_type} at 12,
     * data from 16; each header is aligned to 8 bytes ({@code CMSG_ALIGN}).
     */
    private static final long CMSG_LEN_OFFSET = 0;
    private static final long CMSG_LEVEL_OFFSET = 8;
    private static final long CMSG_TYPE_OFFSET = 12;
    private static final long CMSG_DATA_OFFSET = 16;

    private static final MethodHandle SHUTDOWN = downcall("shutdown",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = downcall("socketpair",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SENDMSG = downcall("sendmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = downcall("recvmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * {@code socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)}: a connected pair that keeps message
     * boundaries.
     *
     * @return the two fds.
     */
    public static int[] socketpair()
    {
        return socketpair(SOCK_SEQPACKET);
    }

    /**
     * {@code socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0)}.
     *
     * @return the two fds.
     */
    public static int[] socketpair(final int type)
    {
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment fds = arena.allocate(JAVA_INT, 2);
            final int result;
            try
            {
                result = (int)SOCKETPAIR.invokeExact(errno, AF_UNIX, type | SOCK_CLOEXEC, 0, fds);
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result != 0)
            {
                throw failure(errno, "socketpair", "domain=AF_UNIX, type=" + type + "|SOCK_CLOEXEC");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * {@code shutdown(socket, how)}: ends the connection in one or both directions; a thread blocked reading
     * the socket returns, and the peer reads the end.
     */
    public static void shutdown(final int socket, final int how)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)SHUTDOWN.invokeExact(errno, socket, how);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "shutdown", "socket=" + socket + ", how=" + how);
        }
    }

    /** @return the space {@code CMSG_SPACE} reserves for a control message of {@code dataLength} bytes. */
    private static long cmsgSpace(final long dataLength)
    {
        return CMSG_DATA_OFFSET + align8(dataLength);
    }

    private static long align8(final long value)
    {
        return (value + 7) & ~7L;
    }

    /**
     * Sends one message: {@code data} as its bytes and {@code fds} as an SCM_RIGHTS control message, with
     * {@code sendmsg(socket, msg, MSG_NOSIGNAL)} retried on EINTR. On a SOCK_SEQPACKET socket the message
     * arrives whole or not at all.
     */
    public static void sendWithFds(final int socket, final MemorySegment data, final int[] fds)
    {
        requireNative(data);
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment iov = arena.allocate(IOVEC_LENGTH, 8);
            iov.set(JAVA_LONG, IOVEC_BASE_OFFSET, data.address());
            iov.set(JAVA_LONG, IOVEC_LEN_OFFSET, data.byteSize());

            final MemorySegment msg = arena.allocate(MSGHDR_LENGTH, 8);
            msg.set(JAVA_LONG, MSGHDR_IOV_OFFSET, iov.address());
            msg.set(JAVA_LONG, MSGHDR_IOVLEN_OFFSET, 1L);
            if (fds.length > 0)
            {
                final long dataLength = (long)fds.length * Integer.BYTES;
                final MemorySegment control = arena.allocate(cmsgSpace(dataLength), 8);
                control.set(JAVA_LONG, CMSG_LEN_OFFSET, CMSG_DATA_OFFSET + dataLength);
                control.set(JAVA_INT, CMSG_LEVEL_OFFSET, SOL_SOCKET);
                control.set(JAVA_INT, CMSG_TYPE_OFFSET, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++)
                {
                    control.set(JAVA_INT, CMSG_DATA_OFFSET + (long)i * Integer.BYTES, fds[i]);
                }
                msg.set(JAVA_LONG, MSGHDR_CONTROL_OFFSET, control.address());
                msg.set(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET, control.byteSize());
            }
            while (true)
            {
                final long sent;
                try
                {
                    sent = (long)SENDMSG.invokeExact(errno, socket, msg, MSG_NOSIGNAL);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (sent >= 0)
                {
                    return;
                }
                if (errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "sendmsg",
                        "socket=" + socket + ", length=" + data.byteSize() + ", fds=" + fds.length);
                }
            }
        }
        finally
        {
            // The kernel reads data during the call: keep its owner reachable until then.
            java.lang.ref.Reference.reachabilityFence(data);
        }
    }

    /**
     * What {@link #receiveWithFds} read: the number of bytes placed in the buffer and the fds that came with
     * them (already close-on-exec). A length of 0 with no fds means the peer closed its end.
     */
    public record Received(int length, int[] fds)
    {
    }

    /**
     * Receives one message into {@code buffer} with {@code recvmsg(socket, msg, MSG_CMSG_CLOEXEC)}, accepting
     * up to {@code maxFds} fds with it. A message whose bytes or fds did not fit is refused: every fd that did
     * arrive is closed first, so nothing leaks.
     */
    public static Received receiveWithFds(final int socket, final MemorySegment buffer, final int maxFds)
    {
        requireNative(buffer);
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment iov = arena.allocate(IOVEC_LENGTH, 8);
            iov.set(JAVA_LONG, IOVEC_BASE_OFFSET, buffer.address());
            iov.set(JAVA_LONG, IOVEC_LEN_OFFSET, buffer.byteSize());
            final long controlLength = cmsgSpace((long)maxFds * Integer.BYTES);
            final MemorySegment control = arena.allocate(controlLength, 8);
            final MemorySegment msg = arena.allocate(MSGHDR_LENGTH, 8);

            long received;
            while (true)
            {
                msg.fill((byte)0);
                msg.set(JAVA_LONG, MSGHDR_IOV_OFFSET, iov.address());
                msg.set(JAVA_LONG, MSGHDR_IOVLEN_OFFSET, 1L);
                msg.set(JAVA_LONG, MSGHDR_CONTROL_OFFSET, control.address());
                msg.set(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET, controlLength);
                try
                {
                    received = (long)RECVMSG.invokeExact(errno, socket, msg, MSG_CMSG_CLOEXEC);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (received >= 0)
                {
                    break;
                }
                if (errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "recvmsg", "socket=" + socket + ", buffer=" + buffer.byteSize());
                }
            }

            final int[] fds = parseRights(control, msg.get(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET));
            final int flags = msg.get(JAVA_INT, MSGHDR_FLAGS_OFFSET);
            if ((flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
            {
                for (final int fd : fds)
                {
                    Fds.close(fd);
                }
                throw new SystemCallException("recvmsg", "socket=" + socket + ", buffer=" + buffer.byteSize() +
                    ", maxFds=" + maxFds, Errno.EINVAL, (flags & MSG_TRUNC) != 0 ?
                    "message longer than the buffer; it was discarded" :
                    "more fds than allowed arrived; they were closed");
            }
            return new Received((int)received, fds);
        }
        finally
        {
            java.lang.ref.Reference.reachabilityFence(buffer);
        }
    }

    private static int[] parseRights(final MemorySegment control, final long controlLength)
    {
        int[] fds = new int[0];
        long offset = 0;
        while (offset + CMSG_DATA_OFFSET <= controlLength)
        {
            final long length = control.get(JAVA_LONG, offset + CMSG_LEN_OFFSET);
            if (length < CMSG_DATA_OFFSET || offset + length > controlLength)
            {
                break;
            }
            if (control.get(JAVA_INT, offset + CMSG_LEVEL_OFFSET) == SOL_SOCKET &&
                control.get(JAVA_INT, offset + CMSG_TYPE_OFFSET) == SCM_RIGHTS)
            {
                final int count = (int)((length - CMSG_DATA_OFFSET) / Integer.BYTES);
                final int[] more = java.util.Arrays.copyOf(fds, fds.length + count);
                for (int i = 0; i < count; i++)
                {
                    more[fds.length + i] = control.get(JAVA_INT, offset + CMSG_DATA_OFFSET + (long)i * Integer.BYTES);
                }
                fds = more;
            }
            offset += align8(length);
        }
        return fds;
    }

    private Sockets()
    {
    }
}
