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
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The Linux calls Trindle makes, bound through the Foreign Function &amp; Memory API (no JNI).
 *
 * <p>Every binding is a {@code private static final} method handle built by {@link #downcall}, which adds
 * errno capture; a symbol missing from the C library fails class initialisation with a {@link LinkageError}
 * naming it. A failing call throws {@link SystemCallException} naming the call, its arguments and the errno.
 * The errno capture buffer is per thread, so concurrent calls never read each other's errno.
 *
 * <p>Constants are the x86-64 / generic Linux values, named as in the man pages.
 *
 * @see <a href="https://man7.org/linux/man-pages/man2/memfd_create.2.html">memfd_create(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/mmap.2.html">mmap(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/fcntl.2.html">fcntl(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man2/futex.2.html">futex(2)</a>
 * @see <a href="https://man7.org/linux/man-pages/man7/unix.7.html">unix(7)</a> (SCM_RIGHTS)
 */
public final class Linux
{
    // memfd_create(2)
    public static final int MFD_CLOEXEC = 0x0001;
    public static final int MFD_ALLOW_SEALING = 0x0002;
    /** The mode of every memfd made here: read and write for its creator's uid only. */
    public static final int MEMFD_MODE = 0600;

    // mmap(2), mprotect(2)
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    private static final long MAP_FAILED = -1L;

    // fcntl(2)
    public static final int F_GETFD = 1;
    public static final int F_GETFL = 3;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;
    public static final int F_SEAL_WRITE = 0x0008;
    public static final int F_SEAL_FUTURE_WRITE = 0x0010;

    // open(2)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0x40;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_CLOEXEC = 0x80000;

    // lseek(2), fallocate(2)
    public static final int SEEK_END = 2;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    // socket(2), unix(7), sendmsg(2), recvmsg(2)
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SHUT_RDWR = 2;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x08;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // futex(2): the non-private operations, because the futex word lives in memory shared between processes.
    public static final int FUTEX_WAIT = 0;
    public static final int FUTEX_WAKE = 1;

    // signal(7), wait(2)
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    // syscall(2) numbers for calls glibc does not wrap (x86-64).
    private static final long SYS_FUTEX = 202;
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;
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

    private static final int SC_PAGESIZE = 30;

    /**
     * struct msghdr (x86-64), 56 bytes:
     * <pre>
     *   0  void   *msg_name        8  socklen_t msg_namelen (+4 pad)
     *  16  struct iovec *msg_iov  24  size_t msg_iovlen
     *  32  void   *msg_control    40  size_t msg_controllen
     *  48  int     msg_flags (+4 pad)
     * </pre>
     */
    private static final long MSGHDR_IOV_OFFSET = 16;
    private static final long MSGHDR_IOVLEN_OFFSET = 24;
    private static final long MSGHDR_CONTROL_OFFSET = 32;
    private static final long MSGHDR_CONTROLLEN_OFFSET = 40;
    private static final long MSGHDR_FLAGS_OFFSET = 48;
    private static final long MSGHDR_LENGTH = 56;

    /** struct iovec: {@code void *iov_base} at 0, {@code size_t iov_len} at 8. */
    private static final long IOVEC_BASE_OFFSET = 0;
    private static final long IOVEC_LEN_OFFSET = 8;
    private static final long IOVEC_LENGTH = 16;

    /**
     * struct cmsghdr: {@code size_t cmsg_len} at 0, {@code int cmsg_level} at 8, {@code int cmsg_type} at 12,
     * data from 16; each header is aligned to 8 bytes ({@code CMSG_ALIGN}).
     */
    private static final long CMSG_LEN_OFFSET = 0;
    private static final long CMSG_LEVEL_OFFSET = 8;
    private static final long CMSG_TYPE_OFFSET = 12;
    private static final long CMSG_DATA_OFFSET = 16;

    /** struct timespec: {@code tv_sec} at 0, {@code tv_nsec} at 8. */
    private static final long TIMESPEC_LENGTH = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final AddressLayout C_STRING = ADDRESS.withTargetLayout(
        MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));

    /** Per-thread errno capture and timespec: a wait or wake allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));
    private static final ThreadLocal<MemorySegment> TIMESPEC =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(TIMESPEC_LENGTH, 8));

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
    private static final MethodHandle MMAP = downcall("mmap",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MPROTECT = downcall("mprotect",
        FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
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
    private static final MethodHandle SHUTDOWN = downcall("shutdown",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = downcall("socketpair",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SENDMSG = downcall("sendmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = downcall("recvmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SYSCALL_FUTEX = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG),
        Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_2 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_4 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_5 = downcall("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(1));
    private static final MethodHandle KILL = downcall("kill",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WAITPID = downcall("waitpid",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETPID = downcall("getpid",
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEUID = downcall("geteuid",
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SYSCONF = downcall("sysconf",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    private static final MethodHandle STRERROR = plainDowncall("strerror",
        FunctionDescriptor.of(C_STRING, JAVA_INT));

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

    private static final long PAGE_SIZE = sysconf(SC_PAGESIZE);

    private Linux()
    {
    }

    /**
     * @return the size of a memory page, from {@code sysconf(_SC_PAGESIZE)}.
     */
    public static long pageSize()
    {
        return PAGE_SIZE;
    }

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
            close(fd);
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

    /**
     * {@code mmap(NULL, length, prot, flags, fd, offset)}.
     *
     * @return the address of the new mapping.
     */
    public static long mmap(final long length, final int prot, final int flags, final int fd, final long offset)
    {
        final MemorySegment errno = capture();
        final long address;
        try
        {
            address = (long)MMAP.invokeExact(errno, 0L, length, prot, flags, fd, offset);
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

    /** {@code fcntl(fd, F_ADD_SEALS, seals)}. */
    public static void addSeals(final int fd, final int seals)
    {
        fcntl(fd, F_ADD_SEALS, seals);
    }

    /** @return {@code fcntl(fd, F_GET_SEALS)}: the seals on a memfd. */
    public static int seals(final int fd)
    {
        return fcntl(fd, F_GET_SEALS, 0);
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
     * {@code socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)}: a connected pair that keeps message
     * boundaries.
     *
     * @return the two fds.
     */
    public static int[] socketpair()
    {
        return socketpair(SOCK_SEQPACKET);
    }

    /**
     * {@code socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0)}.
     *
     * @return the two fds.
     */
    public static int[] socketpair(final int type)
    {
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment fds = arena.allocate(JAVA_INT, 2);
            final int result;
            try
            {
                result = (int)SOCKETPAIR.invokeExact(errno, AF_UNIX, type | SOCK_CLOEXEC, 0, fds);
            }
            catch (final Throwable t)
            {
                throw unexpected(t);
            }
            if (result != 0)
            {
                throw failure(errno, "socketpair", "domain=AF_UNIX, type=" + type + "|SOCK_CLOEXEC");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * {@code shutdown(socket, how)}: ends the connection in one or both directions; a thread blocked reading
     * the socket returns, and the peer reads the end.
     */
    public static void shutdown(final int socket, final int how)
    {
        final MemorySegment errno = capture();
        final int result;
        try
        {
            result = (int)SHUTDOWN.invokeExact(errno, socket, how);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        if (result != 0)
        {
            throw failure(errno, "shutdown", "socket=" + socket + ", how=" + how);
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

    /** @return the space {@code CMSG_SPACE} reserves for a control message of {@code dataLength} bytes. */
    private static long cmsgSpace(final long dataLength)
    {
        return CMSG_DATA_OFFSET + align8(dataLength);
    }

    private static long align8(final long value)
    {
        return (value + 7) & ~7L;
    }

    /**
     * Sends one message: {@code data} as its bytes and {@code fds} as an SCM_RIGHTS control message, with
     * {@code sendmsg(socket, msg, MSG_NOSIGNAL)} retried on EINTR. On a SOCK_SEQPACKET socket the message
     * arrives whole or not at all.
     */
    public static void sendWithFds(final int socket, final MemorySegment data, final int[] fds)
    {
        requireNative(data);
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment iov = arena.allocate(IOVEC_LENGTH, 8);
            iov.set(JAVA_LONG, IOVEC_BASE_OFFSET, data.address());
            iov.set(JAVA_LONG, IOVEC_LEN_OFFSET, data.byteSize());

            final MemorySegment msg = arena.allocate(MSGHDR_LENGTH, 8);
            msg.set(JAVA_LONG, MSGHDR_IOV_OFFSET, iov.address());
            msg.set(JAVA_LONG, MSGHDR_IOVLEN_OFFSET, 1L);
            if (fds.length > 0)
            {
                final long dataLength = (long)fds.length * Integer.BYTES;
                final MemorySegment control = arena.allocate(cmsgSpace(dataLength), 8);
                control.set(JAVA_LONG, CMSG_LEN_OFFSET, CMSG_DATA_OFFSET + dataLength);
                control.set(JAVA_INT, CMSG_LEVEL_OFFSET, SOL_SOCKET);
                control.set(JAVA_INT, CMSG_TYPE_OFFSET, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++)
                {
                    control.set(JAVA_INT, CMSG_DATA_OFFSET + (long)i * Integer.BYTES, fds[i]);
                }
                msg.set(JAVA_LONG, MSGHDR_CONTROL_OFFSET, control.address());
                msg.set(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET, control.byteSize());
            }
            while (true)
            {
                final long sent;
                try
                {
                    sent = (long)SENDMSG.invokeExact(errno, socket, msg, MSG_NOSIGNAL);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (sent >= 0)
                {
                    return;
                }
                if (errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "sendmsg",
                        "socket=" + socket + ", length=" + data.byteSize() + ", fds=" + fds.length);
                }
            }
        }
        finally
        {
            // The kernel reads data during the call: keep its owner reachable until then.
            java.lang.ref.Reference.reachabilityFence(data);
        }
    }

    /**
     * What {@link #receiveWithFds} read: the number of bytes placed in the buffer and the fds that came with
     * them (already close-on-exec). A length of 0 with no fds means the peer closed its end.
     */
    public record Received(int length, int[] fds)
    {
    }

    /**
     * Receives one message into {@code buffer} with {@code recvmsg(socket, msg, MSG_CMSG_CLOEXEC)}, accepting
     * up to {@code maxFds} fds with it. A message whose bytes or fds did not fit is refused: every fd that did
     * arrive is closed first, so nothing leaks.
     */
    public static Received receiveWithFds(final int socket, final MemorySegment buffer, final int maxFds)
    {
        requireNative(buffer);
        final MemorySegment errno = capture();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment iov = arena.allocate(IOVEC_LENGTH, 8);
            iov.set(JAVA_LONG, IOVEC_BASE_OFFSET, buffer.address());
            iov.set(JAVA_LONG, IOVEC_LEN_OFFSET, buffer.byteSize());
            final long controlLength = cmsgSpace((long)maxFds * Integer.BYTES);
            final MemorySegment control = arena.allocate(controlLength, 8);
            final MemorySegment msg = arena.allocate(MSGHDR_LENGTH, 8);

            long received;
            while (true)
            {
                msg.fill((byte)0);
                msg.set(JAVA_LONG, MSGHDR_IOV_OFFSET, iov.address());
                msg.set(JAVA_LONG, MSGHDR_IOVLEN_OFFSET, 1L);
                msg.set(JAVA_LONG, MSGHDR_CONTROL_OFFSET, control.address());
                msg.set(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET, controlLength);
                try
                {
                    received = (long)RECVMSG.invokeExact(errno, socket, msg, MSG_CMSG_CLOEXEC);
                }
                catch (final Throwable t)
                {
                    throw unexpected(t);
                }
                if (received >= 0)
                {
                    break;
                }
                if (errno(errno) != Errno.EINTR)
                {
                    throw failure(errno, "recvmsg", "socket=" + socket + ", buffer=" + buffer.byteSize());
                }
            }

            final int[] fds = parseRights(control, msg.get(JAVA_LONG, MSGHDR_CONTROLLEN_OFFSET));
            final int flags = msg.get(JAVA_INT, MSGHDR_FLAGS_OFFSET);
            if ((flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
            {
                for (final int fd : fds)
                {
                    close(fd);
                }
                throw new SystemCallException("recvmsg", "socket=" + socket + ", buffer=" + buffer.byteSize() +
                    ", maxFds=" + maxFds, Errno.EINVAL, (flags & MSG_TRUNC) != 0 ?
                    "message longer than the buffer; it was discarded" :
                    "more fds than allowed arrived; they were closed");
            }
            return new Received((int)received, fds);
        }
        finally
        {
            java.lang.ref.Reference.reachabilityFence(buffer);
        }
    }

    private static int[] parseRights(final MemorySegment control, final long controlLength)
    {
        int[] fds = new int[0];
        long offset = 0;
        while (offset + CMSG_DATA_OFFSET <= controlLength)
        {
            final long length = control.get(JAVA_LONG, offset + CMSG_LEN_OFFSET);
            if (length < CMSG_DATA_OFFSET || offset + length > controlLength)
            {
                break;
            }
            if (control.get(JAVA_INT, offset + CMSG_LEVEL_OFFSET) == SOL_SOCKET &&
                control.get(JAVA_INT, offset + CMSG_TYPE_OFFSET) == SCM_RIGHTS)
            {
                final int count = (int)((length - CMSG_DATA_OFFSET) / Integer.BYTES);
                final int[] more = java.util.Arrays.copyOf(fds, fds.length + count);
                for (int i = 0; i < count; i++)
                {
                    more[fds.length + i] = control.get(JAVA_INT, offset + CMSG_DATA_OFFSET + (long)i * Integer.BYTES);
                }
                fds = more;
            }
            offset += align8(length);
        }
        return fds;
    }

    /**
     * Waits on a futex word in shared memory: sleeps while the int at {@code address} equals
     * {@code expected}, for at most {@code timeoutNanos} (negative for no limit). Uses the non-private
     * operation because the word is shared between processes. Allocates nothing.
     *
     * @return 0 when woken (or the word had already changed: {@code EAGAIN}), or the errno
     * {@link Errno#ETIMEDOUT} or {@link Errno#EINTR}; the caller re-checks its condition in every case.
     */
    public static int futexWait(final long address, final int expected, final long timeoutNanos)
    {
        final MemorySegment errno = capture();
        long timeout = 0L;
        if (timeoutNanos >= 0)
        {
            final MemorySegment timespec = TIMESPEC.get();
            timespec.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            timeout = timespec.address();
        }
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
    public static int futexWake(final long address, final int count)
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
    public static int futexWaitv(final long waiters, final int count, final long deadlineNanos)
    {
        final MemorySegment errno = capture();
        long timeout = 0L;
        if (deadlineNanos >= 0)
        {
            final MemorySegment timespec = TIMESPEC.get();
            timespec.set(JAVA_LONG, 0, deadlineNanos / 1_000_000_000L);
            timespec.set(JAVA_LONG, 8, deadlineNanos % 1_000_000_000L);
            timeout = timespec.address();
        }
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
            result = (long)SYSCALL_4.invokeExact(capture(), SYS_MEMBARRIER, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0L, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw unexpected(t);
        }
        return result == 0;
    }

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
        return spawn(argv, environment, stdoutPath, -1, stderrPath, -1, inherited);
    }

    /**
     * As {@link #spawn(String[], String[], String, String, int[])}, with fds 1 and 2 copied from
     * {@code stdoutFd} and {@code stderrFd} (the write ends of pipes, say), or this process's own when -1.
     */
    public static int spawn(final String[] argv, final String[] environment, final int stdoutFd,
        final int stderrFd, final int[] inherited)
    {
        return spawn(argv, environment, null, stdoutFd, null, stderrFd, inherited);
    }

    private static int spawn(final String[] argv, final String[] environment, final String stdoutPath,
        final int stdoutFd, final String stderrPath, final int stderrFd, final int[] inherited)
    {
        final int firstFree = 3 + inherited.length;
        // Copies numbered above every target, so no dup2 in the child can overwrite a source it still needs
        // and no source equals its target (dup2 onto itself would leave close-on-exec set).
        final int[] staged = new int[inherited.length];
        try (Arena arena = Arena.ofConfined())
        {
            for (int i = 0; i < inherited.length; i++)
            {
                staged[i] = dupAtLeast(inherited[i], firstFree);
            }
            final MemorySegment actions = arena.allocate(SPAWN_FILE_ACTIONS_SIZE, 16);
            final MemorySegment attributes = arena.allocate(SPAWNATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", "", (int)SPAWN_FILE_ACTIONS_INIT.invokeExact(actions));
            check("posix_spawnattr_init", "", (int)SPAWNATTR_INIT.invokeExact(attributes));
            try
            {
                check("posix_spawn_file_actions_addopen", "fd=0, path=/dev/null",
                    (int)SPAWN_FILE_ACTIONS_ADDOPEN.invokeExact(actions, 0, arena.allocateFrom("/dev/null"),
                        O_RDONLY, 0));
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
                check("posix_spawnattr_setflags", "SETSIGMASK|SETSIGDEF",
                    (int)SPAWNATTR_SETFLAGS.invokeExact(attributes,
                        (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)));

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
                    close(fd);
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
                    O_WRONLY | O_CREAT | O_APPEND, 0644));
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

    /** For the calls that return an error number rather than setting errno. */
    private static void check(final String call, final String arguments, final int error)
    {
        if (error != 0)
        {
            throw new SystemCallException(call, arguments, error, describe(error));
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

    private static MethodHandle downcall(
        final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        final Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    private static MethodHandle plainDowncall(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(final String name)
    {
        return LIBC.find(name).orElseThrow(() -> new LinkageError(
            "the C library has no symbol '" + name + "'; Trindle needs glibc 2.34 or later on Linux"));
    }

    private static void requireNative(final MemorySegment segment)
    {
        if (!segment.isNative())
        {
            throw new IllegalArgumentException("a native memory segment is required, not " + segment);
        }
    }

    private static MemorySegment capture()
    {
        return CAPTURE.get();
    }

    private static int errno(final MemorySegment capture)
    {
        return (int)ERRNO.get(capture, 0L);
    }

    private static SystemCallException failure(final MemorySegment capture, final String call, final String arguments)
    {
        final int errno = errno(capture);
        return new SystemCallException(call, arguments, errno, describe(errno));
    }

    private static String describe(final int errno)
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

    private static RuntimeException unexpected(final Throwable t)
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

    private static String fcntlCommandName(final int command)
    {
        return switch (command)
        {
            case F_GETFD -> "F_GETFD";
            case F_GETFL -> "F_GETFL";
            case F_DUPFD_CLOEXEC -> "F_DUPFD_CLOEXEC";
            case F_ADD_SEALS -> "F_ADD_SEALS";
            case F_GET_SEALS -> "F_GET_SEALS";
            default -> Integer.toString(command);
        };
    }
}
