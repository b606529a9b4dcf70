package io.trindle.ipc.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Mappings: {@code mmap}, {@code munmap}, {@code mprotect}, and the page size.
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/mmap.2.html">mmap(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/mprotect.2.html">mprotect(2)</a>
 */
public final class Memory
{
    // mmap(2), mprotect(2)
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    /** Place the mapping at exactly the address given, replacing whatever was mapped there, in one step. */
    public static final int MAP_FIXED = 0x10;
    private static final long MAP_FAILED = -1L;

    // sysconf(3)
    private static final int SC_PAGESIZE = 30;

    private static final MethodHandle MMAP = downcall("mmap",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MPROTECT = downcall("mprotect",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SYSCONF = downcall("sysconf",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    private static final long PAGE_SIZE = sysconf(SC_PAGESIZE);

    /**
     * @return the size of a memory page, from {@code sysconf(_SC_PAGESIZE)}.
     */
    public static long pageSize()
    {
        return PAGE_SIZE;
    }

    /**
     * {@code mmap(NULL, length, prot, flags, fd, offset)}.
     *
     * @return the address of the new mapping.
     */
    public static long mmap(final long length, final int prot, final int flags, final int fd, final long offset)
    {
        return mmap(0L, length, prot, flags, fd, offset);
    }

    /**
     * {@code mmap(hint, length, prot, flags, fd, offset)}: with {@link #MAP_FIXED}, the new mapping replaces the
     * pages at {@code hint} atomically, so a thread touching them sees either the old file or the new one, never a
     * hole.
     *
     * @return the address of the new mapping.
     */
    public static long mmap(final long hint, final long length, final int prot, final int flags, final int fd,
        final long offset)
    {
        final MemorySegment errno = capture();
        final long address;
        try
        {
            address = (long)MMAP.invokeExact(errno, hint, length, prot, flags, fd, offset);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (address == MAP_FAILED)
        {
            throw failure(errno, "mmap", "length=" + length + ", prot=" + protToString(prot) + ", flags=" +
                (flags == MAP_SHARED ? "SHARED" : "0x" + Integer.toHexString(flags)) + ", fd=" + fd + ", offset=" +
                offset);
        }
        return address;
    }

    /** {@code munmap(address, length)}. */
    public static void munmap(final long address, final long length)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)MUNMAP.invokeExact(errno, address, length);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "munmap", "address=0x" + Long.toHexString(address) + ", length=" + length);
        }
    }

    /** {@code mprotect(address, length, prot)}. */
    public static void mprotect(final long address, final long length, final int prot)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)MPROTECT.invokeExact(errno, address, length, prot);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "mprotect",
                "address=0x" + Long.toHexString(address) + ", length=" + length + ", prot=" + protToString(prot));
        }
    }

    private static long sysconf(final int name)
    {
        final long result;
        try
        {
            result = (long)SYSCONF.invokeExact(capture(), name);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result <= 0)
        {
            throw new LinkageError("sysconf(" + name + ") returned " + result);
        }
        return result;
    }

    /** @return {@code "READ|WRITE"} and so on, for error messages. */
    public static String protToString(final int prot)
    {
        if (prot == PROT_NONE)
        {
            return "NONE";
        }
        final StringBuilder text = new StringBuilder();
        if ((prot & PROT_READ) != 0)
        {
            text.append("READ");
        }
        if ((prot & PROT_WRITE) != 0)
        {
            text.append(text.isEmpty() ? "" : "|").append("WRITE");
        }
        if ((prot & PROT_EXEC) != 0)
        {
            text.append(text.isEmpty() ? "" : "|").append("EXEC");
        }
        return text.toString();
    }

    private Memory()
    {
    }
}
