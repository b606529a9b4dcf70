package io.trindle.ipc.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.trindle.ipc.linux.Libc.capture;
import static io.trindle.ipc.linux.Libc.check;
import static io.trindle.ipc.linux.Libc.downcall;
import static io.trindle.ipc.linux.Libc.errno;
import static io.trindle.ipc.linux.Libc.failure;
import static io.trindle.ipc.linux.Libc.plainDowncall;
import static io.trindle.ipc.linux.Libc.unexpected;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Processes: starting one with exactly the fds it should hold ({@code posix_spawnp}), waiting for it,
 * signalling it by pid or pidfd, and this process's own ids.
 *
 * @see <a href="https://man7.org/linux/man-pages/man3/posix_spawn.3.html">posix_spawn(3)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/waitpid.2.html">waitpid(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/pidfd_open.2.html">pidfd_open(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html">pidfd_send_signal(2)</a>
 */
public final class Processes
{
    // signal(7), wait(2)
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    // syscall(2) numbers (x86-64): glibc wraps neither call.
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;

    private static final MethodHandle SYSCALL_2 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_4 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(1));

    private static final MethodHandle KILL = downcall("kill",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WAITPID = downcall("waitpid",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETPID = downcall("getpid",
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEUID = downcall("geteuid",
        FunctionDescriptor.of(JAVA_INT));

    // posix_spawn(3) and its helpers return an error number instead of setting errno.
    private static final MethodHandle SPAWN_FILE_ACTIONS_INIT = plainDowncall("posix_spawn_file_actions_init",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN_FILE_ACTIONS_DESTROY = plainDowncall(
        "posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN_FILE_ACTIONS_ADDOPEN = plainDowncall(
        "posix_spawn_file_actions_addopen",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPAWN_FILE_ACTIONS_ADDDUP2 = plainDowncall(
        "posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPAWN_FILE_ACTIONS_ADDCLOSEFROM = plainDowncall(
        "posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SPAWNATTR_INIT = plainDowncall("posix_spawnattr_init",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWNATTR_DESTROY = plainDowncall("posix_spawnattr_destroy",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWNATTR_SETFLAGS = plainDowncall("posix_spawnattr_setflags",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle SPAWNATTR_SETSIGMASK = plainDowncall("posix_spawnattr_setsigmask",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SPAWNATTR_SETSIGDEFAULT = plainDowncall("posix_spawnattr_setsigdefault",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGEMPTYSET = plainDowncall("sigemptyset",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGFILLSET = plainDowncall("sigfillset",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle POSIX_SPAWNP = plainDowncall("posix_spawnp",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; room is left to spare. */
    private static final long SPAWN_FILE_ACTIONS_SIZE = 256;
    private static final long SPAWNATTR_SIZE = 512;
    /** sigset_t is 128 bytes in glibc. */
    private static final long SIGSET_SIZE = 128;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** glibc's flag (since 2.26) for a child that calls setsid() before it execs. */
    private static final short POSIX_SPAWN_SETSID = 0x80;

    /**
     * {@code pidfd_open(pid, 0)}: an fd that refers to the process itself, not to a pid that may be reused.
     */
    public static int pidfdOpen(final int pid)
    {
        final MemorySegment errno = capture();
        final long result;
        try
        {
            result = (long)SYSCALL_2.invokeExact(errno, SYS_PIDFD_OPEN, (long)pid, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result < 0)
        {
            throw failure(errno, "pidfd_open", "pid=" + pid);
        }
        return (int)result;
    }

    /** {@code pidfd_send_signal(pidfd, signal, NULL, 0)}. */
    public static void pidfdSendSignal(final int pidfd, final int signal)
    {
        final MemorySegment errno = capture();
        final long result;
        try
        {
            result = (long)SYSCALL_4.invokeExact(errno, SYS_PIDFD_SEND_SIGNAL, (long)pidfd, (long)signal, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result < 0)
        {
            throw failure(errno, "pidfd_send_signal", "pidfd=" + pidfd + ", signal=" + signal);
        }
    }

    /** {@code kill(pid, signal)}. */
    public static void kill(final int pid, final int signal)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)KILL.invokeExact(errno, pid, signal);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "kill", "pid=" + pid + ", signal=" + signal);
        }
    }

    /** What {@link #tryWaitpid} returns while the process still runs. */
    public static final int STILL_RUNNING = -1;
    private static final int WNOHANG = 1;

    /**
     * {@code waitpid(pid, &status, 0)}, retried on EINTR.
     *
     * @return the raw wait status; see {@link #exitCode(int)} and {@link #terminatingSignal(int)}.
     */
    public static int waitpid(final int pid)
    {
        return waitpid(pid, 0);
    }

    /**
     * {@code waitpid(pid, &status, WNOHANG)}: reaps the process if it has ended, without waiting.
     *
     * @return the raw wait status, or {@link #STILL_RUNNING}.
     */
    public static int tryWaitpid(final int pid)
    {
        return waitpid(pid, WNOHANG);
    }

    private static int waitpid(final int pid, final int options)
    {
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment status = arena.allocate(JAVA_INT);
            while (true)
            {
                final int result;
                try
                {
                    result = (int)WAITPID.invokeExact(errno, pid, status, options);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (result == pid)
                {
                    return status.get(JAVA_INT, 0);
                }
                if (result == 0)
                {
                    return STILL_RUNNING;
                }
                if (errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "waitpid", "pid=" + pid + ", options=" + options);
                }
            }
        }
    }

    /** @return the exit code in a wait status, or -1 if the process did not exit normally. */
    public static int exitCode(final int waitStatus)
    {
        return (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : -1;
    }

    /** @return the signal that ended the process in a wait status, or 0 if it exited normally. */
    public static int terminatingSignal(final int waitStatus)
    {
        return waitStatus & 0x7f;
    }

    /** @return {@code getpid()}. */
    public static int getpid()
    {
        try
        {
            return (int)GETPID.invokeExact(capture());
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /** @return {@code geteuid()}: 0 when the process runs as root. */
    public static int geteuid()
    {
        try
        {
            return (int)GETEUID.invokeExact(capture());
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
    }

    /**
     * Starts a program with {@code posix_spawnp} so that it holds exactly the fds named here: fd 0 from
     * {@code /dev/null}, fds 1 and 2 from the given files (or this process's own when {@code null}), and
     * {@code inherited[i]} as fd {@code 3 + i}. Every other fd is closed in the child with
     * {@code posix_spawn_file_actions_addclosefrom_np} before the program runs, so no fd of this JVM leaks
     * into it. Signal dispositions are reset to default and the signal mask is cleared.
     *
     * @return the pid of the new process.
     */
    public static int spawn(final String[] argv, final String[] environment, final String stdoutPath,
        final String stderrPath, final int[] inherited)
    {
        return spawn(argv, environment, stdoutPath, -1, stderrPath, -1, inherited, false);
    }

    /**
     * As {@link #spawn(String[], String[], String, String, int[])}, with fds 1 and 2 copied from
     * {@code stdoutFd} and {@code stderrFd} (the write ends of pipes, say), or this process's own when -1.
     */
    public static int spawn(final String[] argv, final String[] environment, final int stdoutFd,
        final int stderrFd, final int[] inherited)
    {
        return spawn(argv, environment, null, stdoutFd, null, stderrFd, inherited, false);
    }

    /**
     * As {@link #spawn(String[], String[], int, int, int[])}, the child in a session of its own when
     * {@code newSession}: it is then the leader of its own process group, with no controlling terminal, so the
     * signals a terminal sends its foreground group (Ctrl-C's SIGINT, SIGQUIT, SIGTSTP, a hang-up's SIGHUP) never
     * reach it. The child calls setsid() before it execs, so there is no moment in which they could.
     */
    public static int spawn(final String[] argv, final String[] environment, final int stdoutFd,
        final int stderrFd, final int[] inherited, final boolean newSession)
    {
        return spawn(argv, environment, null, stdoutFd, null, stderrFd, inherited, newSession);
    }

    private static int spawn(final String[] argv, final String[] environment, final String stdoutPath,
        final int stdoutFd, final String stderrPath, final int stderrFd, final int[] inherited,
        final boolean newSession)
    {
        final int firstFree = 3 + inherited.length;
        // Copies numbered above every target, so no dup2 in the child can overwrite a source it still needs
        // and no source equals its target (dup2 onto itself would leave close-on-exec set).
        final int[] staged = new int[inherited.length];
        try (Arena arena = Arena.ofConfined())
        {
            for (int i = 0; i < inherited.length; i++)
            {
                staged[i] = Fds.dupAtLeast(inherited[i], firstFree);
            }
            final MemorySegment actions = arena.allocate(SPAWN_FILE_ACTIONS_SIZE, 16);
            final MemorySegment attributes = arena.allocate(SPAWNATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", "", (int)SPAWN_FILE_ACTIONS_INIT.invokeExact(actions));
            check("posix_spawnattr_init", "", (int)SPAWNATTR_INIT.invokeExact(attributes));
            try
            {
                check("posix_spawn_file_actions_addopen", "fd=0, path=/dev/null",
                    (int)SPAWN_FILE_ACTIONS_ADDOPEN.invokeExact(actions, 0, arena.allocateFrom("/dev/null"),
                        Fds.O_RDONLY, 0));
                addOutput(arena, actions, 1, stdoutPath, stdoutFd);
                addOutput(arena, actions, 2, stderrPath, stderrFd);
                for (int i = 0; i < staged.length; i++)
                {
                    check("posix_spawn_file_actions_adddup2", "fd=" + staged[i] + ", newfd=" + (3 + i),
                        (int)SPAWN_FILE_ACTIONS_ADDDUP2.invokeExact(actions, staged[i], 3 + i));
                }
                check("posix_spawn_file_actions_addclosefrom_np", "lowfd=" + firstFree,
                    (int)SPAWN_FILE_ACTIONS_ADDCLOSEFROM.invokeExact(actions, firstFree));

                final MemorySegment empty = arena.allocate(SIGSET_SIZE, 8);
                final MemorySegment all = arena.allocate(SIGSET_SIZE, 8);
                check("sigemptyset", "", (int)SIGEMPTYSET.invokeExact(empty));
                check("sigfillset", "", (int)SIGFILLSET.invokeExact(all));
                check("posix_spawnattr_setsigmask", "", (int)SPAWNATTR_SETSIGMASK.invokeExact(attributes, empty));
                check("posix_spawnattr_setsigdefault", "",
                    (int)SPAWNATTR_SETSIGDEFAULT.invokeExact(attributes, all));
                final short flags = (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                    (newSession ? POSIX_SPAWN_SETSID : 0));
                check("posix_spawnattr_setflags", newSession ? "SETSIGMASK|SETSIGDEF|SETSID" : "SETSIGMASK|SETSIGDEF",
                    (int)SPAWNATTR_SETFLAGS.invokeExact(attributes, flags));

                final MemorySegment pid = arena.allocate(JAVA_INT);
                final int error = (int)POSIX_SPAWNP.invokeExact(pid, arena.allocateFrom(argv[0]), actions,
                    attributes, cStringArray(arena, argv), cStringArray(arena, environment));
                check("posix_spawnp", "file=" + argv[0], error);
                return pid.get(JAVA_INT, 0);
            }
            finally
            {
                final int ignoredActions = (int)SPAWN_FILE_ACTIONS_DESTROY.invokeExact(actions);
                final int ignoredAttributes = (int)SPAWNATTR_DESTROY.invokeExact(attributes);
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
        finally
        {
            for (final int fd : staged)
            {
                if (fd > 0)
                {
                    Fds.close(fd);
                }
            }
        }
    }

    private static void addOutput(final Arena arena, final MemorySegment actions, final int fd, final String path,
        final int source) throws Throwable
    {
        if (path != null)
        {
            check("posix_spawn_file_actions_addopen", "fd=" + fd + ", path=" + path,
                (int)SPAWN_FILE_ACTIONS_ADDOPEN.invokeExact(actions, fd, arena.allocateFrom(path),
                    Fds.O_WRONLY | Fds.O_CREAT | Fds.O_APPEND, 0644));
        }
        else if (source >= 0)
        {
            check("posix_spawn_file_actions_adddup2", "fd=" + source + ", newfd=" + fd,
                (int)SPAWN_FILE_ACTIONS_ADDDUP2.invokeExact(actions, source, fd));
        }
    }

    private static MemorySegment cStringArray(final Arena arena, final String[] strings)
    {
        final MemorySegment array = arena.allocate(ADDRESS, strings.length + 1L);
        for (int i = 0; i < strings.length; i++)
        {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings[i]));
        }
        array.setAtIndex(ADDRESS, strings.length, MemorySegment.NULL);
        return array;
    }

    private Processes()
    {
    }
}
