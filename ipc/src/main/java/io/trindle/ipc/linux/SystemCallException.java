package io.trindle.ipc.linux;

/**
 * A Linux call failed. The message names the call, the arguments that matter, and the errno by name and
 * number with the C library's description, e.g.
 * {@code mmap(length=4096, prot=READ|WRITE, flags=SHARED, fd=7, offset=0) failed: EACCES (13, Permission denied)}.
 */
public final class SystemCallException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public SystemCallException(final String call, final String arguments, final int errno, final String description)
    {
        super(call + "(" + arguments + ") failed: " + Errno.name(errno) + " (" + errno + ", " + description + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * @return the name of the call that failed, e.g. {@code "mprotect"}.
     */
    public String call()
    {
        return call;
    }

    /**
     * @return the errno the call reported (or, for calls that return an error number, that number).
     */
    public int errno()
    {
        return errno;
    }

    /**
     * @return the symbolic name of {@link #errno()}, e.g. {@code "EACCES"}.
     */
    public String errnoName()
    {
        return Errno.name(errno);
    }
}
