package io.trindle.runtime;

/**
 * The responder will not answer: the reply pipe has ended — the supervisor ends a worker's lanes once the worker
 * will not run again (it finished, or failed past its restart policy) — and every reply it sent before has been
 * received. Every request in flight fails with it at once, and every later {@link Requester#send} too.
 */
public final class ResponderGoneException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String pipe;
    private final long id;

    public ResponderGoneException(final String pipe, final long id, final String message)
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

    /** @return the correlation id of the oldest request left unanswered (0 when none was in flight). */
    public long id()
    {
        return id;
    }
}
