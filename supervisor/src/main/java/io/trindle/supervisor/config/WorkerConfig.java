package io.trindle.supervisor.config;

import io.trindle.ipc.Rights;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A worker as the config declares it: how to start its process, in what environment, how many replicas, which
 * objects it is granted with which rights, and how it is restarted and stopped.
 *
 * @param name             the worker's name.
 * @param launch           how its process is started.
 * @param environment      variables added to the worker's environment, in file order.
 * @param workingDirectory the directory the process starts in, as written (a relative one is relative to the
 *                         config file's directory), or {@code null} for the config file's directory itself; see
 *                         {@link PipelineConfig#workingDirectoryOf(WorkerConfig)}.
 * @param replicas         how many copies of the process run; at least 1.
 * @param grants           object name → the rights the worker is granted on it, in file order: READ, WRITE,
 *                         EXECUTE, DUPLICATE, TRANSFER (segments), SEND or RECEIVE (pipes); exactly what the
 *                         worker's handles carry.
 * @param restart          when and how fast the process is restarted.
 * @param stopTimeout      how long a worker has to exit once the supervisor has told it to stop (the control
 *                         protocol's Stop) before it is killed; positive.
 * @param readyTimeout     how long a started worker has to report Ready on its control channel before the start
 *                         counts as a failure; positive.
 * @param sandbox          how the worker is sandboxed; {@link SandboxConfig#NONE} when the config says nothing.
 * @param restartSafe      whether the worker says a restart neither loses nor repeats an effect (it keeps its
 *                         state in a checkpoint, or keeps none, and what it sends again is recognised downstream);
 *                         when it is not, its restarts are reported at the end and change the exit status.
 * @param stdin            the pipe the program's stdin reads through the stdio bridge, or {@code null}.
 * @param stdout           the pipe the program's stdout writes through the stdio bridge, or {@code null}.
 * @param ready            when a started process counts as ready.
 * @param hosts            the hosts its replicas run on, as written ({@code host: a}, or {@code host: [a, b]}:
 *                         replica r on the host at r modulo the list's length, see {@link #hostOf}); the first host
 *                         the config declares when it names none; empty when the config has no {@code hosts}
 *                         section (every worker runs on the one machine). At most {@code replicas} long.
 * @param position         where the worker is declared (its name).
 */
public record WorkerConfig(
    String name,
    Launch launch,
    Map<String, String> environment,
    Path workingDirectory,
    int replicas,
    Map<String, Rights> grants,
    RestartPolicy restart,
    Duration stopTimeout,
    Duration readyTimeout,
    SandboxConfig sandbox,
    boolean restartSafe,
    Stdio stdin,
    Stdio stdout,
    Readiness ready,
    List<String> hosts,
    Position position)
{
    /**
     * The stop timeout when the config gives none. A stop waits up to twice the longest stop timeout (SIGTERM
     * after one, SIGKILL after two), within {@link Limits#MAX_DURATION}.
     */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(5);

    /** The ready timeout when the config gives none. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(10);

    /** A worker that is not restart-safe (the default). */
    public WorkerConfig(final String name, final Launch launch, final Map<String, String> environment,
        final Path workingDirectory, final int replicas, final Map<String, Rights> grants, final RestartPolicy restart,
        final Duration stopTimeout, final Duration readyTimeout, final SandboxConfig sandbox, final Position position)
    {
        this(name, launch, environment, workingDirectory, replicas, grants, restart, stopTimeout, readyTimeout, sandbox,
            false, position);
    }

    /** A worker with no stdio bridge, counted ready when it says so. */
    public WorkerConfig(final String name, final Launch launch, final Map<String, String> environment,
        final Path workingDirectory, final int replicas, final Map<String, Rights> grants, final RestartPolicy restart,
        final Duration stopTimeout, final Duration readyTimeout, final SandboxConfig sandbox,
        final boolean restartSafe, final Position position)
    {
        this(name, launch, environment, workingDirectory, replicas, grants, restart, stopTimeout, readyTimeout, sandbox,
            restartSafe, null, null, Readiness.MESSAGE, position);
    }

    /** A worker of a pipeline that runs on one machine: it names no host. */
    public WorkerConfig(final String name, final Launch launch, final Map<String, String> environment,
        final Path workingDirectory, final int replicas, final Map<String, Rights> grants, final RestartPolicy restart,
        final Duration stopTimeout, final Duration readyTimeout, final SandboxConfig sandbox,
        final boolean restartSafe, final Stdio stdin, final Stdio stdout, final Readiness ready,
        final Position position)
    {
        this(name, launch, environment, workingDirectory, replicas, grants, restart, stopTimeout, readyTimeout, sandbox,
            restartSafe, stdin, stdout, ready, List.of(), position);
    }

    /**
     * @throws IllegalArgumentException if {@code replicas} is not within [1, {@link Limits#MAX_WORKER_PROCESSES}],
     *                                  a timeout is not within (0, {@link Limits#MAX_DURATION}], or there are more
     *                                  hosts than replicas.
     */
    public WorkerConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(launch, "launch");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(position, "position");
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        grants = Collections.unmodifiableMap(new LinkedHashMap<>(grants));
        hosts = List.copyOf(hosts);
        if (replicas < 1 || replicas > Limits.MAX_WORKER_PROCESSES)
        {
            throw new IllegalArgumentException("replicas=" + replicas + " must be from 1 to " +
                Limits.MAX_WORKER_PROCESSES);
        }
        Limits.checkDuration("stopTimeout", stopTimeout);
        Limits.checkDuration("readyTimeout", readyTimeout);
        if (hosts.size() > replicas)
        {
            throw new IllegalArgumentException("hosts=" + hosts + " are more than replicas=" + replicas);
        }
    }

    /**
     * @param replica a replica of the worker, from 0 to {@code replicas - 1}.
     * @return the host that replica runs on: {@code hosts().get(replica % hosts().size())}; {@code null} when the
     *         worker names no host (the config has no {@code hosts} section).
     * @throws IllegalArgumentException if {@code replica} is not one of the worker's.
     */
    public String hostOf(final int replica)
    {
        if (replica < 0 || replica >= replicas)
        {
            throw new IllegalArgumentException("replica=" + replica + " is not from 0 to " + (replicas - 1) +
                " (worker " + name + ")");
        }
        return hosts.isEmpty() ? null : hosts.get(replica % hosts.size());
    }

    /**
     * @return this worker placed on {@code hosts} instead ({@code List.of()}: on no host, as {@code trindle
     *         run-worker} runs it, on this machine alone).
     */
    public WorkerConfig withHosts(final List<String> hosts)
    {
        return new WorkerConfig(name, launch, environment, workingDirectory, replicas, grants, restart, stopTimeout,
            readyTimeout, sandbox, restartSafe, stdin, stdout, ready, hosts, position);
    }

    /**
     * @return whether the program runs under the stdio bridge: its stdin or stdout is a pipe.
     */
    public boolean bridged()
    {
        return stdin != null || stdout != null;
    }
}
