package io.trindle.ipc.linux;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * What every binding in this package shares: the C library's symbols, the one helper that builds a downcall
 * with errno capture, the per-thread capture memory, and the failure that names the call.
 *
 * <p>Each subject class ({@link Fds}, {@link Memfd}, {@link Memory}, {@link Sockets}, {@link Futex},
 * {@link Processes}) holds its bindings as {@code private static final} method handles built by
 * {@link #downcall}, so a symbol missing from the C library fails that class's initialisation with a
 * {@link LinkageError} naming it, before any call is made.
 */
final class Libc
{
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final AddressLayout C_STRING = ADDRESS.withTargetLayout(
        MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));

    /**
     * Per-thread errno capture: concurrent calls never read each other's errno, and a call allocates nothing
     * for it.
     */
    private static final ThreadLocal<MemorySegment> CAPTURE =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static final MethodHandle STRERROR = plainDowncall("strerror",
        FunctionDescriptor.of(C_STRING, JAVA_INT));

    /** For the calls that return an error number rather than setting errno. */
    static void check(final String call, final String arguments, final int error)
    {
        if (error != 0)
        {
            throw new SystemCallException(call, arguments, error, describe(error));
        }
    }

    static MethodHandle downcall(
        final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        final Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    /** For the calls that report an error by their result alone (posix_spawn and its helpers, strerror). */
    static MethodHandle plainDowncall(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(final String name)
    {
        return LIBC.find(name).orElseThrow(() -> new LinkageError(
            "the C library has no symbol '" + name + "'; Trindle needs glibc 2.34 or later on Linux"));
    }

    /** The kernel reads and writes the buffer by address: a heap segment has none. */
    static void requireNative(final MemorySegment segment)
    {
        if (!segment.isNative())
        {
            throw new IllegalArgumentException("a native memory segment is required, not " + segment);
        }
    }

    /** @return this thread's errno capture segment. */
    static MemorySegment capture()
    {
        return CAPTURE.get();
    }

    /** @return the errno the last call on this capture segment left. */
    static int errno(final MemorySegment capture)
    {
        return (int)ERRNO.get(capture, 0L);
    }

    /** @return the exception for a failed call, with the errno its capture segment holds. */
    static SystemCallException failure(final MemorySegment capture, final String call, final String arguments)
    {
        final int errno = errno(capture);
        return new SystemCallException(call, arguments, errno, describe(errno));
    }

    static String describe(final int errno)
    {
        try
        {
            final MemorySegment text = (MemorySegment)STRERROR.invokeExact(errno);
            return text.getString(0);
        }
        catch (final Throwable t)
        {
            return "no description";
        }
    }

    /**
     * A downcall declares {@code Throwable}; none is expected but a {@link RuntimeException} or {@link Error},
     * which pass through unchanged.
     */
    static RuntimeException unexpected(final Throwable t)
    {
        if (t instanceof RuntimeException e)
        {
            return e;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a native call", t);
    }

    private Libc()
    {
    }
}
