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
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Write locks on single bytes of a file, which the kernel drops when their owner goes. Open file description locks
 * ({@code F_OFD_SETLK}) belong to one open file description and go when its last fd is closed — so with a
 * description of its own, a process holds its locks until it dies, whatever other fds of the file it closes. (POSIX
 * record locks, {@code F_SETLK}, belong to a process and go when it closes <em>any</em> fd of the file: a
 * duplicate closed by a library would drop them.) A table tells a live writer from a dead one by them
 * (docs/table-format.md §6).
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/fcntl.2.html">fcntl(2), "Advisory record locking"</a>
 */
public final class RecordLocks
{
    static final int F_OFD_SETLK = 37;
    static final short F_WRLCK = 1;
    static final short F_UNLCK = 2;
    static final short SEEK_SET = 0;

    /** {@code struct flock} on x86-64 and aarch64: l_type, l_whence, l_start, l_len, l_pid. */
    private static final long FLOCK_LENGTH = 32;
    private static final long L_TYPE_OFFSET = 0;
    private static final long L_WHENCE_OFFSET = 2;
    private static final long L_START_OFFSET = 8;
    private static final long L_LEN_OFFSET = 16;

    private static final MethodHandle FCNTL = downcall("fcntl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));

    private RecordLocks()
    {
    }

    /**
     * Tries to write-lock the byte at {@code offset} of the file for the fd's open file description, without
     * waiting.
     *
     * @return true if the lock is now held (or was held already through the same description), false if another
     *         description holds it.
     * @throws SystemCallException for any other failure (EBADF, or a read-only fd: a write lock needs write
     *                             access).
     */
    public static boolean tryLock(final int fd, final long offset)
    {
        return set(fd, offset, F_WRLCK);
    }

    /** Drops the lock on the byte at {@code offset}; dropping a lock not held does nothing. */
    public static void unlock(final int fd, final long offset)
    {
        set(fd, offset, F_UNLCK);
    }

    private static boolean set(final int fd, final long offset, final short type)
    {
        final MemorySegment errnoCapture = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment flock = arena.allocate(FLOCK_LENGTH, 8); // zeroed: l_pid 0, as F_OFD_SETLK needs
            flock.set(JAVA_SHORT, L_TYPE_OFFSET, type);
            flock.set(JAVA_SHORT, L_WHENCE_OFFSET, SEEK_SET);
            flock.set(JAVA_LONG, L_START_OFFSET, offset);
            flock.set(JAVA_LONG, L_LEN_OFFSET, 1L);
            final int result;
            try
            {
                result = (int)FCNTL.invokeExact(errnoCapture, fd, F_OFD_SETLK, flock);
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result == 0)
            {
                return true;
            }
            final int errno = errno(errnoCapture);
            if (type == F_WRLCK && (errno == Errno.EAGAIN || errno == Errno.EACCES))
            {
                return false;
            }
            throw failure(errnoCapture, "fcntl", "fd=" + fd + ", cmd=F_OFD_SETLK " +
                (type == F_WRLCK ? "F_WRLCK" : "F_UNLCK") + ", byte " + offset);
        }
    }
}
