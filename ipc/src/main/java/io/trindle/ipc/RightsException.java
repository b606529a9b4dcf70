package io.trindle.ipc;

/**
 * An operation needs a right the handle lacks, or asked for rights wider than the handle's. Nothing was
 * changed: the handle and the object are as they were.
 */
public final class RightsException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public RightsException(final String message)
    {
        super(message);
    }
}
