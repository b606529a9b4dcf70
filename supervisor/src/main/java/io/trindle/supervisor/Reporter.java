package io.trindle.supervisor;

import java.io.PrintStream;

/**
 * The supervisor's own lines on its stderr, each starting {@code trindle: }, beside its workers' prefixed output.
 */
final class Reporter
{
    private final PrintStream err;

    Reporter(final PrintStream err)
    {
        this.err = err;
    }

    /** Says one line, formatted as {@link String#format}. */
    void say(final String format, final Object... arguments)
    {
        // One println per line, so a line is never split by a worker's output interleaving with it.
        err.println("trindle: " + String.format(format, arguments));
    }

    /** @return an exception in one line, its kind and message, e.g. {@code OutOfMemoryError: unable to …}. */
    static String reason(final Throwable e)
    {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
