package io.trindle.ipc;

/**
 * A message from another process broke the format: wrong magic or version, counts that disagree, an fd that
 * is not a sealed memfd, a window outside its file. Everything that arrived with it was closed; the channel
 * itself can go on.
 */
public final class MalformedMessageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(final String message)
    {
        super(message);
    }

    public MalformedMessageException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
