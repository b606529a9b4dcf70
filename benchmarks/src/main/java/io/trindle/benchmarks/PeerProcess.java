package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The measuring side's hold on the other process: a second JVM running {@link Peer}, holding stdin
 * ({@code /dev/null}), this process's stdout and stderr, the write end of its report pipe on fd 3, the read
 * end of its command pipe on fd 4, and the role's own fds as 5, 6, …
 *
 * <p>The peer writes a report on fd 3 when it is ready and after each run: two native-order longs, the
 * number of messages it checked in that run and the sequence number of the last ({@code 0, -1} for ready).
 * A report that is missing or does not add up fails the benchmark. Between runs the peer waits, blocked in
 * {@code read(2)} on fd 4, for one byte that starts the next run; end of file there tells it to exit.
 */
final class PeerProcess implements AutoCloseable
{
    /** The report pipe's fd in the peer. */
    static final int REPORT_FD = 3;
    /** The command pipe's fd in the peer; the role's fds follow it. */
    static final int COMMAND_FD = 4;
    /** Bytes in one report. */
    static final int REPORT_LENGTH = 2 * Long.BYTES;
    /** How many idle spins a waiting loop makes between checks that the peer still lives. */
    static final long IDLE_CHECK_MASK = (1 << 20) - 1;
    /** Longest a run may take before the benchmark gives up on it. */
    private static final long RUN_TIMEOUT_NANOS = 120_000_000_000L;
    private static final long EXIT_TIMEOUT_NANOS = 30_000_000_000L;

    private final String role;
    private final int pid;
    private final int reportFd;
    private final int commandFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment report = arena.allocate(REPORT_LENGTH, Long.BYTES);
    private final MemorySegment command = arena.allocate(1);
    private int status = Processes.STILL_RUNNING;
    private long runDeadline = Long.MAX_VALUE;
    private boolean ready;
    private boolean commandPipeClosed;
    private boolean closed;

    private PeerProcess(final String role, final int pid, final int reportFd, final int commandFd)
    {
        this.role = role;
        this.pid = pid;
        this.reportFd = reportFd;
        this.commandFd = commandFd;
    }

    /**
     * Starts a peer in {@code role}, checking {@code count} messages (or round trips) in each of {@code runs}
     * runs, holding {@code fds} as 5, 6, … The caller still owns {@code fds} and closes its copies.
     */
    static PeerProcess start(final Config config, final String role, final long count, final int runs,
        final int... fds)
    {
        return start(config, role, count, runs, List.of(), fds);
    }

    /**
     * Starts a peer as {@link #start(Config, String, long, int, int...)} does, with the role's own
     * {@code arguments} after the count and runs (a file to map, the sender's number...).
     */
    static PeerProcess start(final Config config, final String role, final long count, final int runs,
        final List<String> arguments, final int... fds)
    {
        final int[] reportPipe = Fds.pipe();
        final int[] commandPipe;
        try
        {
            commandPipe = Fds.pipe();
        }
        catch (final RuntimeException e)
        {
            Fds.close(reportPipe[0]);
            Fds.close(reportPipe[1]);
            throw e;
        }
        try
        {
            final int[] inherited = new int[2 + fds.length];
            inherited[0] = reportPipe[1];
            inherited[1] = commandPipe[0];
            System.arraycopy(fds, 0, inherited, 2, fds.length);
            final List<String> argv = new ArrayList<>();
            argv.add(config.java());
            argv.addAll(config.jvmFlags());
            argv.addAll(List.of("-cp", config.classPath(), Peer.class.getName(), role, Long.toString(count),
                Integer.toString(runs)));
            argv.addAll(arguments);
            final String[] environment = System.getenv().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
            final int pid = Processes.spawn(argv.toArray(String[]::new), environment, null, null, inherited);
            return new PeerProcess(role, pid, reportPipe[0], commandPipe[1]);
        }
        catch (final RuntimeException e)
        {
            Fds.close(reportPipe[0]);
            Fds.close(commandPipe[1]);
            throw e;
        }
        finally
        {
            // Only the peer holds these ends now: its death reads as end of file here, and ours there.
            Fds.close(reportPipe[1]);
            Fds.close(commandPipe[0]);
        }
    }

    /**
     * Starts a peer whose fd 5 is a control channel, and moves {@code handles} to it in one handles frame (request
     * 0, status OK: the frame the supervisor answers a request with).
     */
    static PeerProcess startWithHandles(final Config config, final String role, final long count, final int runs,
        final Handle... handles)
    {
        return startWithHandles(config, role, count, runs, List.of(), handles);
    }

    /** Starts a peer as {@link #startWithHandles(Config, String, long, int, Handle...)} does, with arguments. */
    static PeerProcess startWithHandles(final Config config, final String role, final long count, final int runs,
        final List<String> arguments, final Handle... handles)
    {
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel ours = pair[0])
        {
            final PeerProcess peer;
            try (ControlChannel theirs = pair[1])
            {
                peer = start(config, role, count, runs, arguments, theirs.fd());
            }
            try
            {
                ours.send(new ControlMessage.Handles(0, ControlMessage.Status.OK, "", List.of(handles)));
            }
            catch (final RuntimeException e)
            {
                peer.close();
                throw e;
            }
            return peer;
        }
    }

    /** Waits, the first time, for the peer to say it is set up (its JVM started, its end mapped or opened). */
    void awaitReady()
    {
        if (!ready)
        {
            expectReport(0, -1);
            ready = true;
        }
    }

    /**
     * Tells the peer to start a run (the first time, once it has said it is set up), and starts the clock after
     * which a stalled run fails the benchmark.
     */
    void startRun()
    {
        awaitReady();
        Write.writeFully(commandFd, command);
        runDeadline = System.nanoTime() + RUN_TIMEOUT_NANOS;
    }

    /**
     * Reads the peer's report on a run (blocking) and checks it.
     *
     * @throws BenchmarkFailure if the peer checked another number of messages, ended at another sequence
     *                          number, or died.
     */
    void expectReport(final long count, final long lastSequence)
    {
        final long reportedCount = expectLast(lastSequence);
        if (reportedCount != count)
        {
            throw new BenchmarkFailure("peer " + role + " reported count=" + reportedCount + ", last sequence=" +
                lastSequence + "; expected count=" + count + ", last sequence=" + lastSequence);
        }
    }

    /**
     * Reads the peer's report on a run (blocking) and checks its last sequence number only: for a peer that may be
     * handed fewer messages than were sent (a reader of a lossy broadcast).
     *
     * @return the number of messages it checked.
     * @throws BenchmarkFailure if the peer ended at another sequence number, or died.
     */
    long expectLast(final long lastSequence)
    {
        long got = 0;
        while (got < REPORT_LENGTH)
        {
            final long read = Fds.read(reportFd, got == 0 ? report : report.asSlice(got));
            if (read == 0)
            {
                throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") closed its report pipe without " +
                    "reporting: " + describeExit());
            }
            got += read;
        }
        final long reportedCount = report.get(ValueLayout.JAVA_LONG, 0);
        final long reportedLast = report.get(ValueLayout.JAVA_LONG, Long.BYTES);
        if (reportedLast != lastSequence)
        {
            throw new BenchmarkFailure("peer " + role + " reported count=" + reportedCount + ", last sequence=" +
                reportedLast + "; expected last sequence=" + lastSequence);
        }
        return reportedCount;
    }

    /**
     * One idle spin of a waiting loop; every {@link #IDLE_CHECK_MASK} + 1 of them, {@link #checkAlive()}.
     *
     * @return {@code idle + 1}.
     */
    long idle(final long idle)
    {
        Thread.onSpinWait();
        if ((idle & IDLE_CHECK_MASK) == IDLE_CHECK_MASK)
        {
            checkAlive();
        }
        return idle + 1;
    }

    /**
     * Called by a waiting loop now and then (every {@link #IDLE_CHECK_MASK} + 1 idle spins), never per message.
     *
     * @throws BenchmarkFailure if the peer has ended or the run has taken too long.
     */
    void checkAlive()
    {
        if (hasExited())
        {
            throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") ended mid-run: " + describeExit());
        }
        if (System.nanoTime() - runDeadline > 0)
        {
            throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") made no progress for " +
                RUN_TIMEOUT_NANOS / 1_000_000_000L + " s");
        }
    }

    /**
     * As {@link #checkAlive()}, for a sender among several whose receiver is here: such a peer may have sent its
     * share of the last run and exited (status 0) while the others still send.
     *
     * @throws BenchmarkFailure if the peer has failed or the run has taken too long.
     */
    void checkNotFailed()
    {
        if (hasExited() && (Processes.terminatingSignal(status) != 0 || Processes.exitCode(status) != 0))
        {
            throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") failed mid-run: " + describeExit());
        }
        if (System.nanoTime() - runDeadline > 0)
        {
            throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") made no progress for " +
                RUN_TIMEOUT_NANOS / 1_000_000_000L + " s");
        }
    }

    /**
     * Waits for the peer to exit after its last run (it exits once it sees the command pipe's end).
     *
     * @throws BenchmarkFailure unless it exits with status 0 in time.
     */
    void awaitExit() throws InterruptedException
    {
        closeCommandPipe();
        final long deadline = System.nanoTime() + EXIT_TIMEOUT_NANOS;
        while (!hasExited())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") still running " +
                    EXIT_TIMEOUT_NANOS / 1_000_000_000L + " s after its last run");
            }
            Thread.sleep(1);
        }
        if (Processes.exitCode(status) != 0)
        {
            throw new BenchmarkFailure("peer " + role + " (pid " + pid + ") failed: " + describeExit());
        }
    }

    /** Kills the peer if it still runs, reaps it and closes both pipes. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                if (!hasExited())
                {
                    Processes.kill(pid, Processes.SIGKILL);
                    status = Processes.waitpid(pid);
                }
            }
            finally
            {
                closeCommandPipe();
                Fds.close(reportFd);
                arena.close();
            }
        }
    }

    private void closeCommandPipe()
    {
        if (!commandPipeClosed)
        {
            commandPipeClosed = true;
            Fds.close(commandFd);
        }
    }

    private boolean hasExited()
    {
        if (status == Processes.STILL_RUNNING)
        {
            status = Processes.tryWaitpid(pid);
        }
        return status != Processes.STILL_RUNNING;
    }

    private String describeExit()
    {
        if (!hasExited())
        {
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (!hasExited())
        {
            return "it is still running";
        }
        final int signal = Processes.terminatingSignal(status);
        return signal != 0 ? "killed by signal " + signal : "exit code " + Processes.exitCode(status) +
            " (its stderr is above)";
    }
}
