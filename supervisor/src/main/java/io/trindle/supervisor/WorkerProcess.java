package io.trindle.supervisor;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.Rights;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.SystemCallException;
import io.trindle.supervisor.config.WorkerConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One process of a worker (one replica) as the supervisor tracks it across restarts: its current pid and
 * control channel, its state, and its restart history. Touched only by the supervisor's loop thread, except
 * the fields marked volatile, which status readers see and the control channels' reader threads check (the state,
 * before answering a move, {@link HandleBroker#answer}).
 */
final class WorkerProcess
{
    /** Where a worker process stands. */
    enum State
    {
        /** Not started yet: the supervisor spawns workers one at a time, between the events it handles. */
        PENDING,
        /** Spawned; its grants are sent; it has not said it is ready. */
        STARTING,
        /** It said it is ready. */
        RUNNING,
        /** It exited and waits for its backoff to pass before it is started again. */
        BACKOFF,
        /** It exited with status 0 and will not be started again. */
        EXITED,
        /** It failed and will not be started again. */
        FAILED,
        /** It was stopped on request, or the pipeline stopped before it was started. */
        STOPPED
    }

    final WorkerConfig config;
    final int replica;
    final String label;
    volatile State state = State.PENDING;
    volatile int pid;
    volatile Instant startedAt;
    volatile int restarts;
    volatile String lastExit = "";
    ControlChannel channel;
    /** The last lines of the current process's stderr, or {@code null} before its first start. */
    volatile StderrTail stderrTail;
    /** Failures since the last time it ran long enough to count as healthy. */
    int consecutiveFailures;
    /** Set when the supervisor itself signalled it, so its exit is not a failure to restart. */
    boolean stopping;
    /** Set when {@code trindle restart} asked for it: its exit starts it again at once, whatever its policy. */
    boolean restarting;
    /** Why it is restarted at once, for the line that says so: {@code as asked}, unless a revocation killed it. */
    String restartWhy = "as asked";
    /**
     * The segments revoked from this process ({@code trindle revoke}): its later starts are not granted them. Kept
     * for as long as the supervisor runs; a new run of the pipeline grants them again.
     */
    final Set<String> revoked = new HashSet<>();
    /**
     * The segments and allocators granted to this process at run time ({@code trindle grant}), by name, with their
     * rights: its later starts are granted them after the config's grants. Kept as long as the supervisor runs.
     */
    final Map<String, Rights> grantedAtRunTime = new LinkedHashMap<>();
    long generation;

    WorkerProcess(final WorkerConfig config, final int replica)
    {
        this.config = config;
        this.replica = replica;
        this.label = label(config, replica);
    }

    /** @return how the supervisor names replica {@code replica} of {@code config}: "worker", or "worker.N". */
    static String label(final WorkerConfig config, final int replica)
    {
        return config.replicas() == 1 ? config.name() : config.name() + "." + replica;
    }

    /** @return how long the current process has run, or zero. */
    Duration uptime()
    {
        final Instant started = startedAt;
        return started == null || (state != State.STARTING && state != State.RUNNING) ? Duration.ZERO :
            Duration.between(started, Instant.now());
    }

    boolean alive()
    {
        return state == State.STARTING || state == State.RUNNING;
    }

    boolean finished()
    {
        return state == State.EXITED || state == State.FAILED || state == State.STOPPED;
    }

    /** @return how a process ended, from its wait status: "exited with status 1", "was killed by SIGKILL". */
    static String describeExit(final int status)
    {
        final int signal = Processes.terminatingSignal(status);
        if (signal == 0)
        {
            return "exited with status " + Processes.exitCode(status);
        }
        return "was killed by " + signalName(signal);
    }

    /** @return the name of a signal that kills a worker, e.g. {@code SIGKILL}, or {@code signal N}. */
    static String signalName(final int signal)
    {
        return switch (signal)
        {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            default -> "signal " + signal;
        };
    }

    /**
     * Sends a signal to the current process and every process it started that stayed in its process group (a
     * shell's pipeline, a bridge's program), if there is one; one that is already gone is no error. The worker
     * leads a session of its own ({@link WorkerSpawner#spawn}), so its pid is its group's id.
     */
    void signal(final int signal)
    {
        if (pid <= 0)
        {
            return; // never spawned: kill(0, …) would signal the supervisor's own process group
        }
        try
        {
            Processes.kill(-pid, signal);
        }
        catch (final SystemCallException e)
        {
            // Already gone: its exit event is on the way.
        }
    }

    /** @return the process of replica {@code replica} of the worker named {@code worker}, or null if there is none. */
    static WorkerProcess find(final List<WorkerProcess> workers, final String worker, final int replica)
    {
        for (final WorkerProcess process : workers)
        {
            if (process.config.name().equals(worker) && process.replica == replica)
            {
                return process;
            }
        }
        return null;
    }
}
