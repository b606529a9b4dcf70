package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The other process of every measurement: started by {@link PipeBenchmark} (see {@link PeerProcess}), it
 * receives and checks messages, or echoes them back, in the role it is given. It reports on fd 3 when it is
 * ready and after each run, and waits on fd 4 for the word to start each run.
 *
 * <p>Exit status: 0 every run checked out; 1 a message failed its check or a call failed; 2 usage;
 * 3 the measuring process went away.
 */
public final class Peer
{
    static final String USAGE = "usage: Peer ROLE COUNT RUNS [ARGUMENT...]   (ROLE: " + TrindleTransport.SINK +
        ", " + TrindleTransport.ECHO + ", " + TrindleTransport.SOURCE + " SENDER, " + FdTransport.SINK + ", " +
        FdTransport.ECHO + ", " + FdTransport.SOURCE + " SENDER, " + AgronaTransport.SINK + " FILE, " +
        AgronaTransport.ECHO + " PING-FILE PONG-FILE, " + AgronaTransport.SOURCE + " FILE SENDER, " +
        ChronicleTransport.SINK + " DIRECTORY, " + ChronicleTransport.ECHO + " PING-DIRECTORY PONG-DIRECTORY, " +
        ChronicleTransport.SOURCE + " DIRECTORY SENDER, " + CacheLine.ECHO + ", " + BroadcastReaders.TRINDLE +
        " SIZE, " + BroadcastReaders.AGRONA + " SIZE FILE, " + BroadcastReaders.AERON + " SIZE DIRECTORY)";
    /** The first of the role's own fds, after the report and command pipes. */
    static final int FIRST_ROLE_FD = PeerProcess.COMMAND_FD + 1;

    private static final int EXIT_FAILED = 1;
    private static final int EXIT_USAGE = 2;
    private static final int EXIT_ORPHANED = 3;

    private static final MemorySegment REPORT = Arena.global().allocate(PeerProcess.REPORT_LENGTH, Long.BYTES);
    private static final MemorySegment COMMAND = Arena.global().allocate(1);
    private static final long PARENT_PID = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);

    private Peer()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length < 3)
        {
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        }
        final String role = args[0];
        try
        {
            final long count = Long.parseLong(args[1]);
            final int runs = Integer.parseInt(args[2]);
            final List<String> arguments = List.of(args).subList(3, args.length);
            switch (role)
            {
                case TrindleTransport.SINK -> TrindleTransport.sink(count, runs);
                case TrindleTransport.ECHO -> TrindleTransport.echo(Math.toIntExact(count), runs);
                case FdTransport.SINK -> FdTransport.sink(count, runs);
                case FdTransport.ECHO -> FdTransport.echo(Math.toIntExact(count), runs);
                case TrindleTransport.SOURCE -> TrindleTransport.source(count, runs, sender(arguments, 0));
                case FdTransport.SOURCE -> FdTransport.source(count, runs, sender(arguments, 0));
                case AgronaTransport.SINK -> AgronaTransport.sink(count, runs, argument(arguments, 0));
                case AgronaTransport.ECHO -> AgronaTransport.echo(Math.toIntExact(count), runs,
                    argument(arguments, 0), argument(arguments, 1));
                case AgronaTransport.SOURCE -> AgronaTransport.source(count, runs, argument(arguments, 0),
                    sender(arguments, 1));
                case ChronicleTransport.SINK -> ChronicleTransport.sink(count, runs, argument(arguments, 0));
                case ChronicleTransport.ECHO -> ChronicleTransport.echo(Math.toIntExact(count), runs,
                    argument(arguments, 0), argument(arguments, 1));
                case ChronicleTransport.SOURCE -> ChronicleTransport.source(count, runs, argument(arguments, 0),
                    sender(arguments, 1));
                case CacheLine.ECHO -> CacheLine.echo(Math.toIntExact(count), runs);
                case BroadcastReaders.TRINDLE -> BroadcastReaders.trindle(count, runs, size(arguments));
                case BroadcastReaders.AGRONA -> BroadcastReaders.agrona(count, runs, size(arguments),
                    argument(arguments, 1));
                case BroadcastReaders.AERON -> BroadcastReaders.aeron(count, runs, size(arguments),
                    argument(arguments, 1));
                default ->
                {
                    System.err.println("peer: unknown role '" + role + "'\n" + USAGE);
                    System.exit(EXIT_USAGE);
                }
            }
        }
        catch (final NumberFormatException | UsageException e)
        {
            System.err.println("peer: " + e.getMessage() + "\n" + USAGE);
            System.exit(EXIT_USAGE);
        }
        catch (final RuntimeException e)
        {
            System.err.println("peer " + role + ": " + e.getMessage());
            e.printStackTrace();
            System.exit(EXIT_FAILED);
        }
    }

    /** A role's argument is missing. */
    private static final class UsageException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        UsageException(final String message)
        {
            super(message);
        }
    }

    private static String argument(final List<String> arguments, final int index)
    {
        if (index >= arguments.size())
        {
            throw new UsageException("missing argument " + (index + 1) + " of the role");
        }
        return arguments.get(index);
    }

    /** @return a broadcast reader's message size, its first argument. */
    private static int size(final List<String> arguments)
    {
        return BroadcastReaders.checkSize(Integer.parseInt(argument(arguments, 0)));
    }

    private static int sender(final List<String> arguments, final int index)
    {
        return Integer.parseInt(argument(arguments, index));
    }

    /**
     * Takes the handles the measuring process moved to this peer, in one handles frame of the control channel
     * on fd 5.
     *
     * @throws BenchmarkFailure unless exactly {@code expected} came.
     */
    static List<Handle> receiveHandles(final int expected)
    {
        try (ControlChannel channel = ControlChannel.adopt(FIRST_ROLE_FD))
        {
            final List<Handle> handles = channel.receive() instanceof ControlMessage.Handles reply ?
                reply.handles() : List.of();
            if (handles.size() != expected)
            {
                throw new BenchmarkFailure("expected " + expected + " handles on fd " + FIRST_ROLE_FD + ", got " +
                    handles.size());
            }
            return handles;
        }
    }

    /** Tells the measuring process that this run checked {@code count} messages, ending at {@code last}. */
    static void report(final long count, final long last)
    {
        REPORT.set(ValueLayout.JAVA_LONG, 0, count);
        REPORT.set(ValueLayout.JAVA_LONG, Long.BYTES, last);
        Write.writeFully(PeerProcess.REPORT_FD, REPORT);
    }

    /** Tells the measuring process that this peer is set up and waits for the first run. */
    static void reportReady()
    {
        report(0, -1);
    }

    /**
     * Waits, blocked, for the measuring process to start the next run; exits if it has gone (end of file).
     * Called between runs, never in one.
     */
    static void awaitRun()
    {
        if (Fds.read(PeerProcess.COMMAND_FD, COMMAND) == 0)
        {
            System.err.println("peer: the measuring process closed the command pipe before the last run; exiting");
            System.exit(EXIT_ORPHANED);
        }
    }

    /**
     * One idle spin of a sender among several, finding no room: as {@link #idle(long)}, and gives up the CPU
     * ({@code sched_yield(2)}), so that on a machine with fewer CPUs than spinning processes the receiver gets to
     * run. Every contender's senders wait this way; a Chronicle appender never waits for room.
     *
     * @return {@code idle + 1}.
     */
    static long idleYielding(final long idle)
    {
        Thread.yield();
        return idle(idle);
    }

    /**
     * One idle spin of a waiting loop; every {@link PeerProcess#IDLE_CHECK_MASK} + 1 of them, checks that the
     * measuring process still lives (so a peer never spins on after it died) and exits if not.
     *
     * @return {@code idle + 1}.
     */
    static long idle(final long idle)
    {
        Thread.onSpinWait();
        if ((idle & PeerProcess.IDLE_CHECK_MASK) == PeerProcess.IDLE_CHECK_MASK &&
            ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) != PARENT_PID)
        {
            System.err.println("peer: the measuring process " + PARENT_PID + " went away; exiting");
            System.exit(EXIT_ORPHANED);
        }
        return idle + 1;
    }
}
