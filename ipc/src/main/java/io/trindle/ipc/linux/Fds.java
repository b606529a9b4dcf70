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
import static io.trindle.ipc.linux.Libc.plainDowncall;
import static io.trindle.ipc.linux.Libc.requireNative;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * File descriptors: open, close, read, write, Unix pipes, and the integer {@code fcntl} commands (duplicate,
 * access mode).
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/open.2.html">open(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/fcntl.2.html">fcntl(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/pipe.2.html">pipe(2)</a>
 */
public final class Fds
{
    // fcntl(2)
    public static final int F_GETFD = 1;
    public static final int F_GETFL = 3;
    public static final int F_DUPFD_CLOEXEC = 1030;

    // open(2)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0x40;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle FCNTL = downcall("fcntl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPEN = downcall("open",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle WRITE = downcall("write",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = downcall("read",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PIPE2 = downcall("pipe2",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle ISATTY = plainDowncall("isatty",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /**
     * {@code fcntl(fd, command, argument)}, for the integer-argument commands.
     *
     * @return the call's non-negative result.
     */
    public static int fcntl(final int fd, final int command, final int argument)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)FCNTL.invokeExact(errno, fd, command, argument);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result < 0)
        {
            throw failure(errno, "fcntl", "fd=" + fd + ", cmd=" + fcntlCommandName(command) + ", arg=0x" +
                Integer.toHexString(argument));
        }
        return result;
    }

    /** @return the access mode the fd was opened with: {@link #O_RDONLY}, {@link #O_WRONLY} or {@link #O_RDWR}. */
    public static int accessMode(final int fd)
    {
        return fcntl(fd, F_GETFL, 0) & O_ACCMODE;
    }

    /**
     * {@code dup(fd)}, as {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)} so the copy is never inherited by accident.
     *
     * @return the new fd.
     */
    public static int dup(final int fd)
    {
        return fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }

    /**
     * {@code fcntl(fd, F_DUPFD_CLOEXEC, lowest)}: a close-on-exec copy numbered at least {@code lowest}.
     */
    public static int dupAtLeast(final int fd, final int lowest)
    {
        return fcntl(fd, F_DUPFD_CLOEXEC, lowest);
    }

    /**
     * {@code isatty(fd)}: whether {@code fd} is a terminal. Its failures (ENOTTY for a file or a pipe, EBADF for a
     * closed fd) all mean no.
     *
     * @see <a href="https://man7.org/linux/man-pages/man3/isatty.3.html">isatty(3)</a>
     */
    public static boolean isTerminal(final int fd)
    {
        try
        {
            return (int)ISATTY.invokeExact(fd) == 1;
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /**
     * {@code open(path, flags, mode)}.
     *
     * @return the new fd.
     */
    public static int open(final String path, final int flags, final int mode)
    {
        final MemorySegment errno = capture();
        final int fd;
        try (Arena arena = Arena.ofConfined())
        {
            fd = (int)OPEN.invokeExact(errno, arena.allocateFrom(path), flags, mode);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (fd < 0)
        {
            throw failure(errno, "open", "path=" + path + ", flags=0x" + Integer.toHexString(flags));
        }
        return fd;
    }

    /** {@code close(fd)}. Never retried on EINTR: on Linux the fd is released even then. */
    public static void close(final int fd)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)CLOSE.invokeExact(errno, fd);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0 && errno(errno) != Errno.EINTR)
        {
            throw failure(errno, "close", "fd=" + fd);
        }
    }

    /**
     * {@code write(fd, bytes, length)}, looping over short writes and EINTR.
     */
    public static void writeFully(final int fd, final MemorySegment bytes)
    {
        requireNative(bytes);
        final MemorySegment errno = capture();
        long written = 0;
        while (written < bytes.byteSize())
        {
            final long result;
            try
            {
                // invokeExact needs the argument typed MemorySegment, not the conditional's Object.
                final MemorySegment rest = written == 0 ? bytes : bytes.asSlice(written);
                result = (long)WRITE.invokeExact(errno, fd, rest, bytes.byteSize() - written);
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result < 0)
            {
                if (errno(errno) == Errno.EINTR)
                {
                    continue;
                }
                throw failure(errno, "write", "fd=" + fd + ", length=" + (bytes.byteSize() - written));
            }
            written += result;
        }
    }

    /**
     * {@code pipe2(fds, O_CLOEXEC)}: a Unix pipe.
     *
     * @return the read end and the write end.
     */
    public static int[] pipe()
    {
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment fds = arena.allocate(JAVA_INT, 2);
            final int result;
            try
            {
                result = (int)PIPE2.invokeExact(errno, fds, O_CLOEXEC);
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result != 0)
            {
                throw failure(errno, "pipe2", "flags=O_CLOEXEC");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * {@code read(fd, buffer, length)}, retried on EINTR. Allocates nothing.
     *
     * @return the number of bytes read; 0 at end of file.
     */
    public static long read(final int fd, final MemorySegment buffer)
    {
        requireNative(buffer);
        final MemorySegment errno = capture();
        while (true)
        {
            final long result;
            try
            {
                result = (long)READ.invokeExact(errno, fd, buffer, buffer.byteSize());
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result >= 0)
            {
                return result;
            }
            if (errno(errno) != Errno.EINTR)
            {
                throw failure(errno, "read", "fd=" + fd + ", length=" + buffer.byteSize());
            }
        }
    }

    private static String fcntlCommandName(final int command)
    {
        return switch (command)
        {
            case F_GETFD -> "F_GETFD";
            case F_GETFL -> "F_GETFL";
            case F_DUPFD_CLOEXEC -> "F_DUPFD_CLOEXEC";
            case Memfd.F_ADD_SEALS -> "F_ADD_SEALS";
            case Memfd.F_GET_SEALS -> "F_GET_SEALS";
            default -> Integer.toString(command);
        };
    }

    private Fds()
    {
    }
}
