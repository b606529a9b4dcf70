package io.trindle.ipc.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.errno;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Sleeping and waking on words in shared memory: {@code futex} wait and wake, {@code futex_waitv} over many
 * words, and {@code membarrier}. None of these is wrapped by glibc; they go through {@code syscall(2)}. Waits and
 * wakes allocate nothing: they are on the pipe's path whenever one side sleeps.
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/futex.2.html">futex(2)</a>
 * @see <a href="https://docs.kernel.org/userspace-api/futex2.html">futex2 (futex_waitv)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/membarrier.2.html">membarrier(2)</a>
 */
public final class Futex
{
    // futex(2): the non-private operations, because the futex word lives in memory shared between processes.
    public static final int FUTEX_WAIT = 0;
    public static final int FUTEX_WAKE = 1;

    // syscall(2) numbers (x86-64): glibc wraps none of these calls.
    private static final long SYS_FUTEX = 202;
    private static final long SYS_FUTEX_WAITV = 449;
    private static final long SYS_MEMBARRIER = 324;
    private static final long MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
    private static final long MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;

    /**
     * struct futex_waitv, 24 bytes: {@code u64 val} at 0, {@code u64 uaddr} at 8, {@code u32 flags} at 16,
     * {@code u32 __reserved} at 20. Without {@link #FUTEX2_PRIVATE} in the flags the wait is shared between
     * processes.
     */
    public static final long FUTEX_WAITV_VAL_OFFSET = 0;
    public static final long FUTEX_WAITV_UADDR_OFFSET = 8;
    public static final long FUTEX_WAITV_FLAGS_OFFSET = 16;
    public static final long FUTEX_WAITV_LENGTH = 24;
    public static final int FUTEX2_SIZE_U32 = 0x02;
    public static final int FUTEX2_PRIVATE = 128;
    /** The most futexes one {@code futex_waitv} call waits on. */
    public static final int FUTEX_WAITV_MAX = 128;
    private static final long CLOCK_MONOTONIC = 1;

    /** struct timespec: {@code tv_sec} at 0, {@code tv_nsec} at 8. */
    private static final long TIMESPEC_LENGTH = 16;

    /** Per-thread timespec for the timeouts: a wait allocates nothing. */
    private static final ThreadLocal<MemorySegment> TIMESPEC =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(TIMESPEC_LENGTH, 8));

    private static final MethodHandle SYSCALL_FUTEX = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG),
        Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_4 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_5 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(1));

    /**
     * @return the address of this thread's timespec holding {@code nanos} (a duration or a deadline, as the call
     * reads it), or 0 (NULL: no limit) when {@code nanos} is negative. Allocates nothing.
     */
    private static long timespec(final long nanos)
    {
        if (nanos < 0)
        {
            return 0L;
        }
        final MemorySegment timespec = TIMESPEC.get();
        timespec.set(JAVA_LONG, 0, nanos / 1_000_000_000L);
        timespec.set(JAVA_LONG, 8, nanos % 1_000_000_000L);
        return timespec.address();
    }

    /**
     * Waits on a futex word in shared memory: sleeps while the int at {@code address} equals
     * {@code expected}, for at most {@code timeoutNanos} (negative for no limit). Uses the non-private
     * operation because the word is shared between processes. Allocates nothing.
     *
     * @return 0 when woken (or the word had already changed: {@code EAGAIN}), or the errno
     * {@link Errno#ETIMEDOUT} or {@link Errno#EINTR}; the caller re-checks its condition in every case.
     */
    public static int wait(final long address, final int expected, final long timeoutNanos)
    {
        final MemorySegment errno = capture();
        final long timeout = timespec(timeoutNanos);
        final long result;
        try
        {
            result = (long)SYSCALL_FUTEX.invokeExact(errno, SYS_FUTEX, address, (long)FUTEX_WAIT,
                (long)expected, timeout, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result == 0)
        {
            return 0;
        }
        final int error = errno(errno);
        if (error == Errno.EAGAIN)
        {
            return 0;
        }
        if (error == Errno.ETIMEDOUT || error == Errno.EINTR)
        {
            return error;
        }
        throw failure(errno, "futex", "op=FUTEX_WAIT, address=0x" + Long.toHexString(address) + ", expected=" +
            expected);
    }

    /**
     * Wakes up to {@code count} processes sleeping on the futex word at {@code address}. Allocates nothing.
     *
     * @return the number woken.
     */
    public static int wake(final long address, final int count)
    {
        final MemorySegment errno = capture();
        final long result;
        try
        {
            result = (long)SYSCALL_FUTEX.invokeExact(errno, SYS_FUTEX, address, (long)FUTEX_WAKE, (long)count,
                0L, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result < 0)
        {
            throw failure(errno, "futex", "op=FUTEX_WAKE, address=0x" + Long.toHexString(address) + ", count=" +
                count);
        }
        return (int)result;
    }

    /**
     * {@code futex_waitv(waiters, count, 0, deadline, CLOCK_MONOTONIC)}: sleeps until any of {@code count}
     * futex words described by the {@code struct futex_waitv} array at {@code waiters} is woken, or one of
     * them no longer holds its expected value, or the deadline passes. Allocates nothing.
     *
     * @param deadlineNanos an absolute {@link System#nanoTime()} value (HotSpot reads CLOCK_MONOTONIC for
     *                      it on Linux), or negative for no limit.
     * @return the index of the word that was woken (0 or more), or minus the errno: {@code -EAGAIN} (a word
     * had already changed), {@code -ETIMEDOUT} or {@code -EINTR}; the caller re-checks its condition in
     * every case.
     */
    public static int waitv(final long waiters, final int count, final long deadlineNanos)
    {
        final MemorySegment errno = capture();
        final long timeout = timespec(deadlineNanos);
        final long result;
        try
        {
            result = (long)SYSCALL_5.invokeExact(errno, SYS_FUTEX_WAITV, waiters, (long)count, 0L, timeout,
                CLOCK_MONOTONIC);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result >= 0)
        {
            return (int)result;
        }
        final int error = errno(errno);
        if (error == Errno.EAGAIN || error == Errno.ETIMEDOUT || error == Errno.EINTR)
        {
            return -error;
        }
        throw failure(errno, "futex_waitv", "waiters=0x" + Long.toHexString(waiters) + ", count=" + count);
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0)}: lets other processes make every thread
     * of this one execute a full memory barrier (see {@link #membarrierGlobalExpedited()}).
     *
     * @return whether the kernel accepted it; if not, this process must keep its own fences.
     */
    public static boolean membarrierRegisterGlobalExpedited()
    {
        final long result;
        try
        {
            result = (long)SYSCALL_4.invokeExact(capture(), SYS_MEMBARRIER, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
                0L, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        return result == 0;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0)}: when it returns, every running thread of every
     * process registered with {@link #membarrierRegisterGlobalExpedited()} has executed a full memory barrier
     * (threads not running will pass one before they run again). One side of an asymmetric Dekker handshake:
     * the registered side then needs no fence of its own.
     *
     * @return whether the kernel did it; if it cannot, no process can have registered either.
     */
    public static boolean membarrierGlobalExpedited()
    {
        final long result;
        try
        {
            result = (long)SYSCALL_4.invokeExact(capture(), SYS_MEMBARRIER, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0L, 0L,
                0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        return result == 0;
    }

    private Futex()
    {
    }
}
