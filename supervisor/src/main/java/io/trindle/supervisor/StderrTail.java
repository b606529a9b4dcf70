package io.trindle.supervisor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The last lines one worker process wrote on its stderr, kept so that a worker that dies before it is ready can be
 * reported with them. Bounded: at most {@link #MAX_LINES} lines of at most {@link #MAX_LINE_LENGTH} characters
 * each, whatever the process writes. Its {@link OutputPump} adds the lines and says when the stream ended.
 */
final class StderrTail
{
    /** Lines kept. */
    static final int MAX_LINES = 10;
    /** Characters kept of one line; a longer one ends in "…". */
    static final int MAX_LINE_LENGTH = 300;

    private final Deque<String> lines = new ArrayDeque<>(MAX_LINES);
    private final CountDownLatch ended = new CountDownLatch(1);

    synchronized void add(final String line)
    {
        if (lines.size() == MAX_LINES)
        {
            lines.removeFirst();
        }
        lines.addLast(line.length() > MAX_LINE_LENGTH ? line.substring(0, MAX_LINE_LENGTH) + "…" : line);
    }

    /** Called by the pump when the process's stderr reached its end. */
    void end()
    {
        ended.countDown();
    }

    /**
     * Waits for the end of the stream (a process's stderr ends when it exits, unless a child of it holds it
     * open), at most {@code timeout}, so that the lines written just before an exit are in.
     *
     * @return the last lines, oldest first.
     */
    List<String> lastLines(final Duration timeout)
    {
        try
        {
            ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        synchronized (this)
        {
            return List.copyOf(lines);
        }
    }
}
