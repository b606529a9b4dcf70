package io.trindle.ipc.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Terminals, for a full-screen view ({@code trindle top}): a terminal's size, and its line discipline switched to
 * keys without echo and back. Whether an fd is a terminal at all is {@link Fds#isTerminal}.
 *
 * @see <a href="https://man7.org/linux/man-pages/man3/termios.3.html">termios(3)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/TIOCGWINSZ.2const.html">TIOCGWINSZ(2const)</a>
 */
public final class Terminals
{
    /** {@code sizeof(struct termios)} on x86-64 and aarch64 glibc: four flag words, c_line, c_cc[32], two speeds. */
    public static final int TERMIOS_LENGTH = 60;
    /** Offset of {@code c_lflag} in {@code struct termios}. */
    public static final int LOCAL_FLAGS_OFFSET = 12;
    /** Offset of {@code c_cc} in {@code struct termios}. */
    public static final int CONTROL_CHARS_OFFSET = 17;
    /** {@code c_lflag} bits: canonical (line by line) input, and echo. */
    public static final int ICANON = 0x2;
    public static final int ECHO = 0x8;
    /** Indices into {@code c_cc}: a read's timeout and the least bytes it waits for. */
    public static final int VTIME = 5;
    public static final int VMIN = 6;
    /** {@code tcsetattr} now. */
    public static final int TCSANOW = 0;
    /** {@code ioctl} request for the window size. */
    public static final long TIOCGWINSZ = 0x5413;

    private static final MethodHandle TCGETATTR = downcall("tcgetattr",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle TCSETATTR = downcall("tcsetattr",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle IOCTL = downcall("ioctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));

    private Terminals()
    {
    }

    /**
     * @return the terminal's size as {rows, columns}; {0, 0} where the terminal does not know it.
     * @throws SystemCallException if {@code fd} is no terminal.
     */
    public static int[] size(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            // struct winsize: unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel.
            final MemorySegment winsize = arena.allocate(8);
            final MemorySegment errno = capture();
            final int result = (int)IOCTL.invokeExact(errno, fd, TIOCGWINSZ, winsize);
            if (result < 0)
            {
                throw failure(errno, "ioctl", "fd=" + fd + ", TIOCGWINSZ");
            }
            return new int[] {winsize.get(ValueLayout.JAVA_SHORT, 0) & 0xffff,
                winsize.get(ValueLayout.JAVA_SHORT, 2) & 0xffff};
        }
        catch (final SystemCallException e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /** @return the terminal's settings, to give back to {@link #setAttributes} later. */
    public static byte[] attributes(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment termios = arena.allocate(TERMIOS_LENGTH);
            final MemorySegment errno = capture();
            if ((int)TCGETATTR.invokeExact(errno, fd, termios) < 0)
            {
                throw failure(errno, "tcgetattr", "fd=" + fd);
            }
            return termios.toArray(ValueLayout.JAVA_BYTE);
        }
        catch (final SystemCallException e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /** Sets the terminal's settings now. */
    public static void setAttributes(final int fd, final byte[] attributes)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment termios = arena.allocate(TERMIOS_LENGTH);
            MemorySegment.copy(attributes, 0, termios, ValueLayout.JAVA_BYTE, 0, TERMIOS_LENGTH);
            final MemorySegment errno = capture();
            if ((int)TCSETATTR.invokeExact(errno, fd, TCSANOW, termios) < 0)
            {
                throw failure(errno, "tcsetattr", "fd=" + fd);
            }
        }
        catch (final SystemCallException e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /**
     * @return {@code attributes} changed to hand over each key as it is typed, without echo: canonical mode and
     *         echo off, a read waits for one byte. Signals (Ctrl-C) still work.
     */
    public static byte[] keys(final byte[] attributes)
    {
        final byte[] keys = attributes.clone();
        final int flags = (keys[LOCAL_FLAGS_OFFSET] & 0xff) | (keys[LOCAL_FLAGS_OFFSET + 1] & 0xff) << 8;
        final int cleared = flags & ~(ICANON | ECHO);
        keys[LOCAL_FLAGS_OFFSET] = (byte)cleared;
        keys[LOCAL_FLAGS_OFFSET + 1] = (byte)(cleared >> 8);
        keys[CONTROL_CHARS_OFFSET + VMIN] = 1;
        keys[CONTROL_CHARS_OFFSET + VTIME] = 0;
        return keys;
    }
}
