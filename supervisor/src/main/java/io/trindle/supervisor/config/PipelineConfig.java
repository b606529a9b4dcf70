package io.trindle.supervisor.config;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A pipeline config file, parsed and validated: the pipes and segments the supervisor makes and the workers it
 * starts and grants them to. Every cross-reference holds (each grant names a declared object with rights that
 * apply to it; each pipe has one receiving worker and at least one sender), so the supervisor can act on it
 * without checking again. Made by {@link PipelineConfigParser}.
 *
 * @param file     the config file, as given to the parser.
 * @param name     the pipeline's name: the top-level {@code name:}, or else the file name without
 *                 {@code .yaml}/{@code .yml}; letters, digits, {@code -} and {@code _}. For the supervisor of one
 *                 host ({@link #forHost}) {@code NAME@HOST}, which names its status socket, journal and run files,
 *                 so that the supervisors of two hosts can run on one machine; {@link #pipelineName()} is
 *                 {@code NAME} alone.
 * @param pipes    pipe name → pipe, in file order.
 * @param segments segment name → segment, in file order.
 * @param workers  worker name → worker, in file order.
 * @param metrics  where the supervisor serves its metrics ({@code metrics: listen:}), or {@code null}: none.
 * @param allocators allocator name → root allocator ({@code allocators:}), in file order.
 * @param journal  where the journal is kept ({@code journal:}); {@link JournalConfig#DEFAULT} without it.
 * @param tables   table name → table ({@code tables:}), in file order.
 * @param hosts    host name → host ({@code hosts:}), in file order; empty when the pipeline runs on one machine.
 * @param host     the host this pipeline's supervisor runs as ({@code trindle run --host}; see {@link #forHost}), or
 *                 {@code null}: the whole pipeline, as the file declares it.
 * @param broadcasts broadcast name → broadcast ({@code broadcasts:}), in file order.
 */
public record PipelineConfig(
    Path file,
    String name,
    Map<String, PipeConfig> pipes,
    Map<String, SegmentConfig> segments,
    Map<String, WorkerConfig> workers,
    MetricsConfig metrics,
    Map<String, AllocatorConfig> allocators,
    JournalConfig journal,
    Map<String, TableConfig> tables,
    Map<String, HostConfig> hosts,
    String host,
    Map<String, BroadcastConfig> broadcasts)
{
    /**
     * @throws IllegalArgumentException if the pipeline passes a limit that spans workers: more than
     *                                  {@link Limits#MAX_WORKER_PROCESSES} processes in all, more than
     *                                  {@link Limits#MAX_SENDERS_PER_PIPE} sending processes on a pipe, or a
     *                                  receiving worker with more than {@link Limits#MAX_RECEIVER_REPLICAS}
     *                                  replicas; or if a worker is placed on a host the pipeline does not declare,
     *                                  on none while it declares some, or {@code host} is not one of them or not
     *                                  the suffix of {@code name}.
     */
    public PipelineConfig
    {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        pipes = Collections.unmodifiableMap(new LinkedHashMap<>(pipes));
        segments = Collections.unmodifiableMap(new LinkedHashMap<>(segments));
        workers = Collections.unmodifiableMap(new LinkedHashMap<>(workers));
        allocators = Collections.unmodifiableMap(new LinkedHashMap<>(allocators));
        Objects.requireNonNull(journal, "journal");
        tables = Collections.unmodifiableMap(new LinkedHashMap<>(tables));
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
        broadcasts = Collections.unmodifiableMap(new LinkedHashMap<>(broadcasts));
        checkPlacement(name, workers, hosts, host);
        final long processes = workers.values().stream().mapToLong(WorkerConfig::replicas).sum();
        if (processes > Limits.MAX_WORKER_PROCESSES)
        {
            throw new IllegalArgumentException("processes=" + processes + " exceeds " + Limits.MAX_WORKER_PROCESSES);
        }
        for (final String pipe : pipes.keySet())
        {
            int senders = 0;
            for (final WorkerConfig worker : workers.values())
            {
                final Rights rights = worker.grants().get(pipe);
                senders += rights != null && rights.contains(Right.SEND) ? worker.replicas() : 0;
                if (rights != null && rights.contains(Right.RECEIVE) && worker.replicas(
                    ) > Limits.MAX_RECEIVER_REPLICAS)
                {
                    throw new IllegalArgumentException("pipe " + pipe + ": receiver " + worker.name()
                        + " has replicas=" +
                        worker.replicas() + ", more than " + Limits.MAX_RECEIVER_REPLICAS);
                }
            }
            if (senders > Limits.MAX_SENDERS_PER_PIPE)
            {
                throw new IllegalArgumentException("pipe " + pipe + ": senders=" + senders + " exceeds " +
                    Limits.MAX_SENDERS_PER_PIPE);
            }
        }
    }

    /** A pipeline without broadcasts. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics, final Map<String, AllocatorConfig> allocators, final JournalConfig journal,
        final Map<String, TableConfig> tables, final Map<String, HostConfig> hosts, final String host)
    {
        this(file, name, pipes, segments, workers, metrics, allocators, journal, tables, hosts, host, Map.of());
    }

    /** The whole pipeline, as the file declares it (no {@link #host()} chosen). */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics, final Map<String, AllocatorConfig> allocators, final JournalConfig journal,
        final Map<String, TableConfig> tables, final Map<String, HostConfig> hosts)
    {
        this(file, name, pipes, segments, workers, metrics, allocators, journal, tables, hosts, null, Map.of());
    }

    /** A pipeline that runs on one machine: it declares no hosts. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics, final Map<String, AllocatorConfig> allocators, final JournalConfig journal,
        final Map<String, TableConfig> tables)
    {
        this(file, name, pipes, segments, workers, metrics, allocators, journal, tables, Map.of());
    }

    /** A pipeline without tables. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics, final Map<String, AllocatorConfig> allocators, final JournalConfig journal)
    {
        this(file, name, pipes, segments, workers, metrics, allocators, journal, Map.of());
    }

    /** A pipeline that keeps its journal in the run directory. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics, final Map<String, AllocatorConfig> allocators)
    {
        this(file, name, pipes, segments, workers, metrics, allocators, JournalConfig.DEFAULT);
    }

    /** A pipeline without metrics. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers)
    {
        this(file, name, pipes, segments, workers, null, Map.of());
    }

    /** A pipeline without allocators of its own. */
    public PipelineConfig(final Path file, final String name, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, WorkerConfig> workers,
        final MetricsConfig metrics)
    {
        this(file, name, pipes, segments, workers, metrics, Map.of());
    }

    /**
     * @return this pipeline with its metrics served at {@code listen} instead ({@code trindle run --metrics}).
     */
    public PipelineConfig withMetrics(final MetricsConfig listen)
    {
        return new PipelineConfig(file, name, pipes, segments, workers, listen, allocators, journal, tables, hosts,
            host, broadcasts);
    }

    /**
     * @param chosen one of {@link #hosts()}.
     * @return this pipeline as the supervisor of host {@code chosen} runs it: {@link #host()} is {@code chosen}
     *         and {@link #name()} is {@code NAME@HOST}; the rest is the whole pipeline's, so that each supervisor
     *         knows every worker and pipe, and starts the workers placed on its host
     *         ({@link WorkerConfig#hostOf}).
     * @throws IllegalArgumentException naming the declared hosts (and the nearest to {@code chosen}) if
     *                                  {@code chosen} is not one of them, or the pipeline declares none.
     */
    public PipelineConfig forHost(final String chosen)
    {
        Objects.requireNonNull(chosen, "host");
        if (hosts.isEmpty())
        {
            throw new IllegalArgumentException("pipeline '" + pipelineName() + "' declares no hosts: it runs on " +
                "one machine, with one supervisor");
        }
        if (!hosts.containsKey(chosen))
        {
            throw new IllegalArgumentException("pipeline '" + pipelineName() + "' has no host '" + chosen + "'" +
                Suggestions.didYouMean(chosen, hosts.keySet()) + " (its hosts: " + String.join(", ", hosts.keySet()) +
                ")");
        }
        return new PipelineConfig(file, pipelineName() + "@" + chosen, pipes, segments, workers, metrics, allocators,
            journal, tables, hosts, chosen, broadcasts);
    }

    /**
     * @return the pipeline's own name, as its file gives it: {@link #name()} without the {@code @HOST} of
     *         {@link #forHost}; {@link #name()} itself when no host is chosen.
     */
    public String pipelineName()
    {
        return host == null ? name : name.substring(0, name.length() - host.length() - 1);
    }

    /**
     * Checks that every worker is placed on declared hosts only, on at least one when there are hosts, and that
     * the chosen host is one of them and ends the name.
     */
    private static void checkPlacement(final String name, final Map<String, WorkerConfig> workers,
        final Map<String, HostConfig> hosts, final String host)
    {
        for (final WorkerConfig worker : workers.values())
        {
            if (!hosts.keySet().containsAll(worker.hosts()) || worker.hosts().isEmpty() != hosts.isEmpty())
            {
                throw new IllegalArgumentException("worker " + worker.name() + " has hosts=" + worker.hosts() +
                    ", but the pipeline's are hosts=" + hosts.keySet() + ": a worker is placed on the pipeline's " +
                    "hosts only, on at least one when there are any");
            }
        }
        if (host != null && (!hosts.containsKey(host) || !name.endsWith("@" + host)))
        {
            throw new IllegalArgumentException("host=" + host + " is not one of hosts=" + hosts.keySet() +
                " ending name=" + name);
        }
    }

    /**
     * @return the absolute directory that holds the config file, against which relative paths in it resolve.
     */
    public Path directory()
    {
        return file.toAbsolutePath().normalize().getParent();
    }

    /**
     * @return the absolute directory {@code worker}'s process starts in: its {@code cwd} resolved against
     *         {@link #directory()}, or that directory when it has none.
     */
    public Path workingDirectoryOf(final WorkerConfig worker)
    {
        return worker.workingDirectory() == null ?
            directory() : directory().resolve(worker.workingDirectory()).normalize();
    }

    /**
     * @return the {@code classpath} entries of a {@code java} worker, each resolved against {@link #directory()}
     *         ({@code dir/*} stays a wildcard: {@code /abs/dir/*}); empty for any other worker.
     */
    public List<Path> classPathOf(final WorkerConfig worker)
    {
        return worker.launch() instanceof Launch.Java java ?
            java.classPath().stream().map(entry -> directory().resolve(entry).normalize()).toList() : List.of();
    }
}
