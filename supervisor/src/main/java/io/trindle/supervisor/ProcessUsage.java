package io.trindle.supervisor;

import io.trindle.ipc.linux.Memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a worker process has used, as the kernel counts it in {@code /proc}: CPU time (user and system, every
 * thread) and resident memory. Read only when status is asked, never on a pipe's path.
 *
 * @param cpuSeconds the CPU time used so far, in seconds.
 * @param rssBytes   the memory resident now, in bytes.
 */
record ProcessUsage(double cpuSeconds, long rssBytes)
{
    /** What a process that is not there (never spawned, or gone) has used, as far as status can say. */
    static final ProcessUsage NONE = new ProcessUsage(0, 0);

    /**
     * The unit of the times in {@code /proc/PID/stat}: USER_HZ, which Linux fixes at 100 for user space on every
     * architecture ({@code sysconf(_SC_CLK_TCK)} says the same), whatever the kernel's own tick rate.
     */
    static final int TICKS_PER_SECOND = 100;

    /** The fields of {@code /proc/PID/stat} after the command's name, numbered from 0 at the state. */
    private static final int USER_TIME = 11;
    private static final int SYSTEM_TIME = 12;

    /** @return what {@code pid} has used, or {@link #NONE} when there is no such process (any more). */
    static ProcessUsage of(final int pid)
    {
        if (pid <= 0)
        {
            return NONE;
        }
        try
        {
            final String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            // The name is in parentheses and may hold spaces or parentheses: the fields start after the last ')'.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            final long ticks = Long.parseLong(fields[USER_TIME]) + Long.parseLong(fields[SYSTEM_TIME]);
            final String[] statm = Files.readString(Path.of("/proc", Integer.toString(pid), "statm")).split(" ");
            return new ProcessUsage((double)ticks / TICKS_PER_SECOND, Long.parseLong(statm[1]) * Memory.pageSize());
        }
        catch (final IOException | RuntimeException e)
        {
            return NONE; // it exited between the question and the answer
        }
    }
}
