package io.trindle.ipc;

import java.util.List;

/**
 * How the tests move handles to a child process: as one handles frame of the control channel (request 0,
 * status OK), the same frame the supervisor answers a worker's request with.
 */
final class HandleFrames
{
    private HandleFrames()
    {
    }

    /** Moves {@code handles} to the other end in one frame; they are closed here. */
    static void send(final ControlChannel channel, final List<Handle> handles)
    {
        channel.send(new ControlMessage.Handles(0, ControlMessage.Status.OK, "", handles));
    }

    /**
     * Waits for a handles frame.
     *
     * @return its handles, now held by this process, or none if the other end closed the channel.
     * @throws IllegalStateException if another kind of message came.
     */
    static List<Handle> receive(final ControlChannel channel)
    {
        final ControlMessage message = channel.receive();
        if (message == null)
        {
            return List.of();
        }
        if (!(message instanceof ControlMessage.Handles handles))
        {
            message.handles().forEach(Handle::close);
            throw new IllegalStateException("expected a handles frame, got " + message);
        }
        return handles.handles();
    }
}
