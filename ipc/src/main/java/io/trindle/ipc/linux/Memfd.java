package io.trindle.ipc.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.errno;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Anonymous files in memory, the backing of every segment and lane: {@code memfd_create} (always mode 0600),
 * their size, seals, and the copies and holes made inside the kernel.
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/memfd_create.2.html">memfd_create(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/fcntl.2.html">fcntl(2)</a> (file seals)
 * @see <a href="https://man7.org/linux/man-pages/man2/copy_file_range.2.html">copy_file_range(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/fallocate.2.html">fallocate(2)</a>
 */
public final class Memfd
{
    // memfd_create(2)
    public static final int MFD_CLOEXEC = 0x0001;
    public static final int MFD_ALLOW_SEALING = 0x0002;
    /** The mode of every memfd made here: read and write for its creator's uid only. */
    public static final int MEMFD_MODE = 0600;

    // fcntl(2): file seals
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;
    public static final int F_SEAL_WRITE = 0x0008;
    public static final int F_SEAL_FUTURE_WRITE = 0x0010;

    // lseek(2), fallocate(2)
    public static final int SEEK_END = 2;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    private static final MethodHandle MEMFD_CREATE = downcall("memfd_create",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCHMOD = downcall("fchmod",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = downcall("ftruncate",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FALLOCATE = downcall("fallocate",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle COPY_FILE_RANGE = downcall("copy_file_range",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LSEEK = downcall("lseek",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

    /**
     * {@code memfd_create(name, flags)}: an anonymous file in memory.
     *
     * @return the new fd.
     */
    public static int memfdCreate(final String name, final int flags)
    {
        final MemorySegment errno = capture();
        final int fd;
        try (Arena arena = Arena.ofConfined())
        {
            fd = (int)MEMFD_CREATE.invokeExact(errno, arena.allocateFrom(name), flags);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (fd < 0)
        {
            throw failure(errno, "memfd_create", "name=" + name + ", flags=0x" + Integer.toHexString(flags));
        }
        // A memfd is made 0777; whoever reaches /proc/<pid>/fd/N could then reopen it read-write. Only its
        // creator's uid may: a worker running as another uid (a sandboxed one, under a root supervisor) cannot
        // turn a read-only handle into a writable one that way, even where /proc is in reach.
        try
        {
            fchmod(fd, MEMFD_MODE);
        }
        catch (final SystemCallException e)
        {
            Fds.close(fd);
            throw e;
        }
        return fd;
    }

    /** {@code fchmod(fd, mode)}. */
    public static void fchmod(final int fd, final int mode)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)FCHMOD.invokeExact(errno, fd, mode);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "fchmod", "fd=" + fd + ", mode=0" + Integer.toOctalString(mode));
        }
    }

    /** {@code ftruncate(fd, length)}. */
    public static void ftruncate(final int fd, final long length)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)FTRUNCATE.invokeExact(errno, fd, length);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "ftruncate", "fd=" + fd + ", length=" + length);
        }
    }

    /** {@code fallocate(fd, mode, offset, length)}. */
    public static void fallocate(final int fd, final int mode, final long offset, final long length)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)FALLOCATE.invokeExact(errno, fd, mode, offset, length);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "fallocate",
                "fd=" + fd + ", mode=0x" + Integer.toHexString(mode) + ", offset=" + offset + ", length=" + length);
        }
    }

    /**
     * Copies {@code length} bytes between two files inside the kernel with {@code copy_file_range}, looping
     * over short copies. No byte passes through user space.
     */
    public static void copyFileRange(
        final int fdIn, final long offsetIn, final int fdOut, final long offsetOut, final long length)
    {
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment in = arena.allocateFrom(JAVA_LONG, offsetIn);
            final MemorySegment out = arena.allocateFrom(JAVA_LONG, offsetOut);
            long remaining = length;
            while (remaining > 0)
            {
                final long copied;
                try
                {
                    copied = (long)COPY_FILE_RANGE.invokeExact(errno, fdIn, in, fdOut, out, remaining, 0);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (copied < 0 && errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "copy_file_range", "fd_in=" + fdIn + ", off_in=" + in.get(JAVA_LONG, 0) +
                        ", fd_out=" + fdOut + ", off_out=" + out.get(JAVA_LONG, 0) + ", length=" + remaining);
                }
                if (copied == 0)
                {
                    throw new SystemCallException("copy_file_range", "fd_in=" + fdIn + ", off_in=" +
                        in.get(JAVA_LONG, 0) + ", length=" + remaining, Errno.EINVAL,
                        "source ended before the requested length was copied");
                }
                if (copied > 0)
                {
                    remaining -= copied;
                }
            }
        }
    }

    /**
     * @return the size of the file behind {@code fd}, from {@code lseek(fd, 0, SEEK_END)}.
     */
    public static long fileSize(final int fd)
    {
        final MemorySegment errno = capture();
        final long result;
        try
        {
            result = (long)LSEEK.invokeExact(errno, fd, 0L, SEEK_END);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result < 0)
        {
            throw failure(errno, "lseek", "fd=" + fd + ", offset=0, whence=SEEK_END");
        }
        return result;
    }

    /** {@code fcntl(fd, F_ADD_SEALS, seals)}. */
    public static void addSeals(final int fd, final int seals)
    {
        Fds.fcntl(fd, F_ADD_SEALS, seals);
    }

    /** @return {@code fcntl(fd, F_GET_SEALS)}: the seals on a memfd. */
    public static int seals(final int fd)
    {
        return Fds.fcntl(fd, F_GET_SEALS, 0);
    }

    private Memfd()
    {
    }
}
