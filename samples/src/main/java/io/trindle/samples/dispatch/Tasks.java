package io.trindle.samples.dispatch;

/** What the dispatch sample's stages agree on: the value of each task, and the sum a job must come to. */
public final class Tasks
{
    private Tasks()
    {
    }

    /** @return task {@code index} of job {@code job}. */
    public static long value(final int job, final long index)
    {
        return job * 1_000_003L + index;
    }

    /** @return the sum of the first {@code tasks} tasks of {@code job}, computed in one place. */
    public static long expectedSum(final int job, final long tasks)
    {
        return job * 1_000_003L * tasks + tasks * (tasks - 1) / 2;
    }
}
