package io.trindle.runtime;

/**
 * The supervisor refused to create an object from an allocator: over its quota (the message names the quota,
 * the use and what was asked), no ALLOCATE right, no such allocator held, or a size it cannot make. Nothing was
 * created and nothing was charged.
 */
public final class AllocationException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the control protocol's status code ({@code ControlMessage.Status}), e.g. 10 over quota.
     */
    public AllocationException(final int status, final String message)
    {
        super(message);
        this.status = status;
    }

    /** @return the control protocol's status code: 10 over quota, 11 no ALLOCATE right, 1 not held, 9 invalid. */
    public int status()
    {
        return status;
    }
}
