package io.trindle.supervisor;

import java.time.Duration;

/**
 * The workers' output streams still being copied: a worker's last lines are written just before it exits, and its
 * pump may not have read them when the supervisor learns of the exit, so the supervisor waits here for the pumps to
 * reach the ends of their pipes before it finishes. Bounded: a process the worker left behind may hold the pipe open.
 */
final class OpenOutputs
{
    private int open;

    synchronized void opened()
    {
        open++;
    }

    synchronized void closed()
    {
        open--;
        notifyAll();
    }

    /**
     * Waits until every stream opened has ended, or {@code limit} passed.
     *
     * @return how many are still open.
     */
    synchronized int awaitAllClosed(final Duration limit) throws InterruptedException
    {
        final long deadline = System.nanoTime() + limit.toNanos();
        long left;
        while (open > 0 && (left = deadline - System.nanoTime()) > 0)
        {
            wait(Math.max(1, left / 1_000_000));
        }
        return open;
    }
}
