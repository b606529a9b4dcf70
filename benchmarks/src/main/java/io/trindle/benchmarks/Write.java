package io.trindle.benchmarks;

import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.SystemCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A stopgap {@code write(2)}, bound the way {@code io.trindle.ipc.linux} binds its calls, because
 * {@code Fds.writeFully} cannot be called at all in this version of ipc: it passes
 * {@code written == 0 ? bytes : bytes.asSlice(written)} to {@code invokeExact}, and javac types that
 * conditional as {@code Object}, so every call throws {@code WrongMethodTypeException}
 * ("handle's method type (MemorySegment,int,MemorySegment,long)long but found (MemorySegment,int,Object,long)long").
 * Delete this class and call {@code Fds.writeFully} once ipc is fixed.
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/write.2.html">write(2)</a>
 */
final class Write
{
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(groupElement("errno"));
    private static final MethodHandle WRITE = LINKER.downcallHandle(
        LINKER.defaultLookup().find("write").orElseThrow(() -> new LinkageError("write(2) not found in libc")),
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Linker.Option.captureCallState("errno"));
    /** errno capture per thread: a write allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private Write()
    {
    }

    /** {@code write(fd, bytes, length)}, looping over short writes and EINTR, as {@code Fds.writeFully}. */
    static void writeFully(final int fd, final MemorySegment bytes)
    {
        if (!bytes.isNative())
        {
            throw new IllegalArgumentException("a native memory segment is required, not " + bytes);
        }
        final MemorySegment capture = CAPTURE.get();
        long written = 0;
        while (written < bytes.byteSize())
        {
            final MemorySegment rest = written == 0 ? bytes : bytes.asSlice(written);
            final long result;
            try
            {
                result = (long)WRITE.invokeExact(capture, fd, rest, rest.byteSize());
            }
            catch (final Throwable t)
            {
                throw new IllegalStateException("write(2) downcall failed unexpectedly", t);
            }
            if (result < 0)
            {
                final int errno = (int)ERRNO.get(capture, 0L);
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                throw new SystemCallException("write", "fd=" + fd + ", length=" + rest.byteSize(), errno,
                    Errno.name(errno));
            }
            written += result;
        }
    }
}
