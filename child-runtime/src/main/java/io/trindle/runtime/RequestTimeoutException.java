package io.trindle.runtime;

/**
 * A request got no reply within its timeout, or found no room in its pipe within it. The {@link Requester} forgets
 * the request: a reply to it that comes later is recognised by its id and dropped ({@link Requester#dropped}).
 */
public final class RequestTimeoutException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String pipe;
    private final long id;

    public RequestTimeoutException(final String pipe, final long id, final String message)
    {
        super(message);
        this.pipe = pipe;
        this.id = id;
    }

    /** @return the request pipe, as the config names it. */
    public String pipe()
    {
        return pipe;
    }

    /** @return the correlation id of the request that timed out. */
    public long id()
    {
        return id;
    }
}
