package io.trindle.ipc;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Sockets;
import io.trindle.ipc.linux.SystemCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A worker's control channel to the supervisor: one end of a Unix {@code SOCK_SEQPACKET} socket pair, the
 * worker's end inherited as fd {@value #WORKER_FD}. It moves frames and their fds, nothing more: each message
 * is one frame ({@link ControlFrame} lays it out, the message kind its body), one {@code sendmsg}, with the
 * message's handles as {@code SCM_RIGHTS} fds in the order of their entries. The format is specified in
 * {@code docs/control-protocol.md}.
 *
 * <p>Sending a frame moves its handles (they are closed here once the send is attempted). Receiving trusts
 * nothing: a frame that breaks the format is refused whole with {@link MalformedMessageException} and every
 * fd that came with it is closed. Several threads may send at once (each frame is one {@code sendmsg} of buffers
 * of its own, whole on a {@code SOCK_SEQPACKET} socket); one thread receives at a time.
 */
public final class ControlChannel implements AutoCloseable
{
    /** The fd a worker inherits its end of the channel on. */
    public static final int WORKER_FD = 3;
    /** The environment variable that names that fd for workers, so they need not assume it. */
    public static final String WORKER_FD_ENVIRONMENT = "TRINDLE_CONTROL_FD";

    private final int fd;
    private volatile boolean closed;
    /** The buffer {@link #receive} reads frames into, made at the first receive. */
    private MemorySegment receiveBuffer;

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
        final List<Handle> handles = message.handles();
        ControlFrame.checkHandleCount(handles.size()); // too many: refused before anything moves
        try (Arena frameArena = Arena.ofConfined())
        {
            final MemorySegment frame = ControlFrame.encode(message, frameArena);
            final int[] fds = new int[handles.size()];
            for (int i = 0; i < fds.length; i++)
            {
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
        // One buffer for all the channel's frames, not a fresh zeroed 64 KiB for each: one thread receives at a
        // time. The garbage collector frees it, never close(), which may run on another thread while this one
        // waits in recvmsg: no memory the kernel is about to write into is freed under it.
        MemorySegment buffer = receiveBuffer;
        if (buffer == null)
        {
            buffer = Arena.ofAuto().allocate(ControlFrame.MAX_FRAME_LENGTH, 8);
            receiveBuffer = buffer;
        }
        final Sockets.Received received;
        try
        {
            received = Sockets.receiveWithFds(fd, buffer, ControlFrame.MAX_HANDLES);
        }
        catch (final SystemCallException e)
        {
            // A frame too long, or with too many fds, was cut off by the kernel (and its fds closed): that is
            // the peer breaking the format, not the channel failing.
            if (e.errno() == Errno.EINVAL)
            {
                throw new MalformedMessageException("control frame of more than " +
                    ControlFrame.MAX_FRAME_LENGTH + " bytes or " + ControlFrame.MAX_HANDLES + " fds: " +
                    e.getMessage(), e);
            }
            throw e;
        }
        if (received.length() == 0 && received.fds().length == 0)
        {
            return null;
        }
        return ControlFrame.decode(buffer, received.length(), received.fds());
    }

    /**
     * Ends the connection in both directions without closing the fd: a thread of this process blocked in
     * {@link #receive()} returns {@code null}, and the peer reads the end. It acts on the socket itself, so do
     * not call it on a copy of an end given to another process.
     */
    public void shutdown()
    {
        if (closed)
        {
            return; // its fd number may belong to something else by now
        }
        try
        {
            Sockets.shutdown(fd, Sockets.SHUT_RDWR);
        }
        catch (final SystemCallException ignored)
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
