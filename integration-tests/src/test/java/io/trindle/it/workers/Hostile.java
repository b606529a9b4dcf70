package io.trindle.it.workers;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.linux.Errno;
import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Memory;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.Sockets;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The hostile Java worker of HostileWorkerTest: run sandboxed under the supervisor beside a well-behaved
 * pipeline, it tries what a Java program can reach — files, the {@code /proc} reopen of its read-only segment,
 * a writable mapping of it, tracing and killing the supervisor and a well-behaved worker, the network, forged
 * and replayed tokens and refused transfers through the runtime, garbage in its own lane, and a malformed control
 * frame — and prints one line per attempt: {@code refused NAME errno=N (ENAME)}, {@code refused NAME (WHAT)} for
 * a refusal that comes as an exception without an errno, or {@code ALLOWED NAME ...}; then {@code done}.
 *
 * <p>usage: {@code Hostile PIPE SEGMENT CWD_FILE MALFORMED}, as {@code trindle-hostile-worker}: the pipe it may
 * send on, the segment it may only read (whose first 16 bytes hold a well-behaved worker's pid and the
 * supervisor's, see {@link ChecksumSink}), a file in its working directory, and the malformed frame to send last
 * ({@code fds}: a frame that smuggles an fd; {@code oversize}: a frame past the largest).
 *
 * <p>The tokens it forges and replays go into its own lane, in order, for the receiver to present: the receiver
 * reads them before the garbage that ends the lane, so each is refused by the supervisor's capability table and
 * logged with this worker named as the sender.
 */
public final class Hostile
{
    private static final long FORGED_TOKEN = 0x5eed_f00d_dead_beefL;
    /** A handle entry's length in a control frame (docs/control-protocol.md, section 2). */
    private static final int HANDLE_ENTRY_LENGTH = 32;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle GETPPID = LINKER.downcallHandle(
        LINKER.defaultLookup().findOrThrow("getppid"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    /** glibc declares ptrace variadic after the request. */
    private static final MethodHandle PTRACE = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("ptrace"),
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("socket"),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        Linker.Option.captureCallState("errno"));
    private static final int PTRACE_ATTACH = 16;
    private static final int PTRACE_DETACH = 17;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private Hostile()
    {
    }

    public static void main(final String[] args) throws Throwable
    {
        if (args.length != 4)
        {
            System.err.println("usage: Hostile PIPE SEGMENT CWD_FILE MALFORMED");
            System.exit(100);
        }
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender pipe = trindle.sender(args[0]);
            final Segment segment = trindle.segment(args[1]);
            trindle.ready();
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while ((long)LONG.getAcquire(segment.memory(), 0L) == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            final int worker = (int)(long)LONG.getAcquire(segment.memory(), 0L);
            final int supervisor = (int)segment.getLong(8);
            if (worker == 0)
            {
                // kill(0) would signal its own process group: better not to try anything.
                System.err.println("Hostile: no pids in segment " + args[1]);
                System.exit(1);
            }

            tryFiles(args[2]);
            trySegment(segment);
            tryProcesses(worker, supervisor);
            tryNetwork();
            tryTransfers(trindle, pipe, segment);
            final LaneSender lane = pipe.laneForReplica(0);
            tryTokens(trindle, pipe, lane);
            scribble(lane);
            if (sendMalformed(args[3]))
            {
                // A supervisor that stopped reading the channel answers nothing more: ask, and see.
                final CompletableFuture<Handle> answer = CompletableFuture.supplyAsync(() -> trindle.createPipe(4096));
                try
                {
                    answer.get(1, TimeUnit.SECONDS).close();
                    System.out.println("the supervisor still answers after malformed-" + args[3]);
                }
                catch (final TimeoutException e)
                {
                    System.out.println("the supervisor no longer answers on this channel");
                }
            }
        }
        System.out.println("done");
    }

    private static void tryFiles(final String cwdFile)
    {
        reportOpen("open-file", "/etc/passwd", Fds.O_RDONLY);
        reportOpen("open-cwd-file", cwdFile, Fds.O_RDONLY);
        reportOpen("create-tmp-file", "/tmp/trindle-hostile-java-was-here", Fds.O_WRONLY | Fds.O_CREAT);
        try
        {
            Files.readAllBytes(Path.of("/etc/passwd"));
            System.out.println("ALLOWED read-file-nio");
        }
        catch (final IOException e)
        {
            System.out.println("refused read-file-nio (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The segment is read-only to this worker: the kernel must refuse every way to a writable view of it. */
    private static void trySegment(final Segment segment)
    {
        final int fd = segment.handle().fd();
        reportOpen("proc-reopen-segment", "/proc/self/fd/" + fd, Fds.O_RDWR);
        try
        {
            Memory.munmap(Memory.mmap(segment.size(), Memory.PROT_READ | Memory.PROT_WRITE, Memory.MAP_SHARED, fd, 0),
                segment.size());
            System.out.println("ALLOWED mmap-segment-writable");
        }
        catch (final SystemCallException e)
        {
            refused("mmap-segment-writable", e.errno());
        }
        try
        {
            Memory.mprotect(segment.memory().address(), segment.size(), Memory.PROT_READ | Memory.PROT_WRITE);
            System.out.println("ALLOWED mprotect-segment-writable");
        }
        catch (final SystemCallException e)
        {
            refused("mprotect-segment-writable", e.errno());
        }
        try
        {
            segment.putLong(0, 0);
            System.out.println("ALLOWED write-segment-api");
        }
        catch (final RuntimeException e)
        {
            System.out.println("refused write-segment-api (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Traces and kills the well-behaved worker and the supervisor, by pid and through ProcessHandle. */
    private static void tryProcesses(final int worker, final int supervisor) throws Throwable
    {
        for (final int pid : new int[]{worker, supervisor})
        {
            final String who = pid == worker ? "worker" : "supervisor";
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = arena.allocate(CAPTURED);
                final long traced = (long)PTRACE.invokeExact(errno, PTRACE_ATTACH, pid, MemorySegment.NULL,
                    MemorySegment.NULL);
                report("ptrace-" + who, traced != 0, (int)ERRNO.get(errno, 0L));
                if (traced == 0)
                {
                    final long ignored = (long)PTRACE.invokeExact(errno, PTRACE_DETACH, pid, MemorySegment.NULL,
                        MemorySegment.NULL);
                }
            }
            try
            {
                Processes.kill(pid, Processes.SIGKILL);
                System.out.println("ALLOWED kill-" + who);
            }
            catch (final SystemCallException e)
            {
                refused("kill-" + who, e.errno());
            }
        }
        final int parent = (int)GETPPID.invokeExact();
        System.out.println("parent is the supervisor: " + (parent == supervisor ? "yes" : "no"));
        // What a Java program would write: its parent, and the supervisor by pid, through ProcessHandle.
        destroy("destroy-parent", ProcessHandle.current().parent());
        destroy("destroy-supervisor", ProcessHandle.of(supervisor));
    }

    private static void destroy(final String name, final Optional<ProcessHandle> process)
    {
        if (process.isEmpty())
        {
            System.out.println("refused " + name + " (ProcessHandle cannot see it)");
        }
        else if (process.get().destroyForcibly())
        {
            System.out.println("ALLOWED " + name);
        }
        else
        {
            System.out.println("refused " + name + " (ProcessHandle.destroyForcibly returned false)");
        }
    }

    private static void tryNetwork() throws Throwable
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = arena.allocate(CAPTURED);
            for (final int family : new int[]{AF_INET, AF_INET6})
            {
                final int fd = (int)SOCKET.invokeExact(errno, family, 1, 0);
                report(family == AF_INET ? "socket-inet" : "socket-inet6", fd < 0, (int)ERRNO.get(errno, 0L));
                if (fd >= 0)
                {
                    Fds.close(fd);
                }
            }
        }
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", 9), 1000);
            System.out.println("ALLOWED java-net-socket");
        }
        catch (final IOException e)
        {
            System.out.println("refused java-net-socket (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                + ")");
        }
    }

    /** Asks the supervisor, through the runtime, to attach the read-only segment in ways its rights forbid. */
    private static void tryTransfers(final Trindle trindle, final PipeSender pipe, final Segment segment)
    {
        final byte[] text = "take my segment".getBytes(StandardCharsets.UTF_8);
        try
        {
            trindle.send(pipe, text, 0, text.length, Trindle.move(segment.handle()));
            System.out.println("ALLOWED transfer-without-right");
        }
        catch (final RuntimeException e)
        {
            System.out.println("refused transfer-without-right: " + e.getMessage());
        }
        try
        {
            trindle.send(pipe, text, 0, text.length, Trindle.duplicate(segment.handle(), Rights.of(Right.READ,
                Right.WRITE)));
            System.out.println("ALLOWED duplicate-widening");
        }
        catch (final RuntimeException e)
        {
            System.out.println("refused duplicate-widening: " + e.getMessage());
        }
    }

    /**
     * Writes a message with a token no one issued, then a real message with a pipe of its own, then a copy of that
     * message's token: the receiver redeems the real one, and the supervisor must refuse it the other two.
     */
    private static void tryTokens(final Trindle trindle, final PipeSender pipe, final LaneSender lane)
    {
        final long forged = forge(lane, FORGED_TOKEN, "forged");
        System.out.printf("forged a message with token 0x%x%n", FORGED_TOKEN);
        final Handle own = trindle.createPipe(4096);
        final byte[] legit = "legit".getBytes(StandardCharsets.UTF_8);
        trindle.send(pipe, legit, 0, legit.length, Trindle.move(own));
        // This thread alone sends on the lane, so the real message is the record right after the forged one; its
        // token is there for a process that can read its own lane.
        final long real = forged + LaneDescriptor.recordLength(LaneDescriptor.attachmentBlockLength(1)
            + "forged".length());
        final long at = lane.payloadOffset(real);
        final byte[] check = new byte[legit.length];
        MemorySegment.copy(lane.buffer(), ValueLayout.JAVA_BYTE, at + LaneDescriptor.attachmentBlockLength(1), check, 0,
            check.length);
        if (!new String(check, StandardCharsets.UTF_8).equals("legit"))
        {
            System.out.println("FAILED to find the real message's token in the lane");
            return;
        }
        final long token = lane.buffer().get(ValueLayout.JAVA_LONG_UNALIGNED, at
            + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET);
        forge(lane, token, "replay");
        System.out.println("replayed the token of its real message");
    }

    /** Writes a committed message with handles that carries {@code token}. @return its claim. */
    private static long forge(final LaneSender lane, final long token, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final int block = LaneDescriptor.attachmentBlockLength(1);
        final long claim = lane.claimWithHandles(block + bytes.length, -1);
        final long at = lane.payloadOffset(claim);
        final MemorySegment ring = lane.buffer();
        ring.set(ValueLayout.JAVA_LONG_UNALIGNED, at + LaneDescriptor.ATTACHMENT_TOKEN_OFFSET, token);
        ring.set(ValueLayout.JAVA_INT_UNALIGNED, at + LaneDescriptor.ATTACHMENT_COUNT_OFFSET, 1);
        final long entry = at + LaneDescriptor.ATTACHMENT_ENTRIES_OFFSET;
        ring.set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_KIND_OFFSET, 1);
        ring.set(ValueLayout.JAVA_INT_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_RIGHTS_OFFSET,
            Rights.of(Right.READ, Right.WRITE).bits());
        ring.set(ValueLayout.JAVA_LONG_UNALIGNED, entry + LaneDescriptor.ATTACHMENT_SIZE_OFFSET, 1L << 30);
        MemorySegment.copy(bytes, 0, ring, ValueLayout.JAVA_BYTE, at + block, bytes.length);
        lane.commit(claim);
        return claim;
    }

    /**
     * Commits a record whose length and type no receiver may accept: the receiver must report this lane broken
     * (after everything before it) and go on reading the others.
     */
    private static void scribble(final LaneSender lane)
    {
        final long claim = lane.claim(16, -1);
        final long record = lane.payloadOffset(claim) - LaneDescriptor.RECORD_HEADER_LENGTH;
        lane.buffer().set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_LENGTH_OFFSET, 0x7fff_0000);
        lane.buffer().set(ValueLayout.JAVA_INT, record + LaneDescriptor.RECORD_TYPE_OFFSET, 0x7e57);
        lane.buffer().asSlice(record + LaneDescriptor.RECORD_HEADER_LENGTH, 16).fill((byte)0xA5);
        lane.commit(claim);
        System.out.printf("scribbled a garbage record on lane %d%n", lane.laneId());
    }

    /**
     * Sends one malformed frame on the control channel, by hand: the runtime would never send one.
     *
     * @return whether it was sent.
     */
    private static boolean sendMalformed(final String kind)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment frame;
            final int[] fds;
            switch (kind)
            {
                case "fds" ->
                {
                    // A ready frame that carries a handle entry and an fd, as only grants and answers may.
                    frame = header(arena, ControlMessage.Ready.KIND, 0, HANDLE_ENTRY_LENGTH, 1);
                    fds = new int[]{1};
                }
                case "oversize" ->
                {
                    final int body = 2 * ControlFrame.MAX_FRAME_LENGTH;
                    frame = header(arena, ControlMessage.Ready.KIND, body, body, 0);
                    fds = new int[0];
                }
                default -> throw new IllegalArgumentException("unknown malformed frame " + kind);
            }
            Sockets.sendWithFds(ControlChannel.WORKER_FD, frame, fds);
            System.out.println("sent malformed-" + kind);
            return true;
        }
        catch (final RuntimeException e)
        {
            System.out.println("FAILED to send malformed-" + kind + ": " + e.getMessage());
            return false;
        }
    }

    private static MemorySegment header(final Arena arena, final int kind, final int bodyLength, final int extra,
        final int handleCount)
    {
        final MemorySegment frame = arena.allocate(ControlFrame.HEADER_LENGTH + extra, 8);
        frame.set(ValueLayout.JAVA_INT, ControlFrame.MAGIC_OFFSET, ControlFrame.MAGIC);
        frame.set(ValueLayout.JAVA_SHORT, ControlFrame.VERSION_OFFSET, ControlFrame.VERSION);
        frame.set(ValueLayout.JAVA_SHORT, ControlFrame.KIND_OFFSET, (short)kind);
        frame.set(ValueLayout.JAVA_INT, ControlFrame.BODY_LENGTH_OFFSET, bodyLength);
        frame.set(ValueLayout.JAVA_SHORT, ControlFrame.HANDLE_COUNT_OFFSET, (short)handleCount);
        return frame;
    }

    private static void reportOpen(final String name, final String path, final int flags)
    {
        try
        {
            Fds.close(Fds.open(path, flags | Fds.O_CLOEXEC, 0644));
            System.out.println("ALLOWED " + name);
        }
        catch (final SystemCallException e)
        {
            refused(name, e.errno());
        }
    }

    private static void report(final String name, final boolean failed, final int errno)
    {
        if (failed)
        {
            refused(name, errno);
        }
        else
        {
            System.out.println("ALLOWED " + name);
        }
    }

    private static void refused(final String name, final int errno)
    {
        System.out.println("refused " + name + " errno=" + errno + " (" + Errno.name(errno) + ")");
    }
}
