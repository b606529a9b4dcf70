package io.trindle.ipc;

/**
 * A handle (or a segment mapped from it) was used after it was closed, moved to another process, or consumed
 * by split or join.
 */
public final class ClosedHandleException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public ClosedHandleException(final String message)
    {
        super(message);
    }
}
