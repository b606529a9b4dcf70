package io.trindle.supervisor;

import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.BroadcastConfig;
import io.trindle.supervisor.config.Launch;
import io.trindle.supervisor.config.PipeConfig;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.RestartPolicy;
import io.trindle.supervisor.config.SandboxConfig;
import io.trindle.supervisor.config.SegmentConfig;
import io.trindle.supervisor.config.TableConfig;
import io.trindle.supervisor.config.WorkerConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code trindle run-worker FILE WORKER --input PIPE=DIR}: the pipeline that runs one worker of a config alone. Each
 * pipe it receives is fed by a {@link ReplayWorker} sending a recording; each pipe it sends into is received by a
 * {@link ReplayWorker} that prints every message. Its segments and allocators are the config's. The pipeline is named
 * {@code NAME-WORKER}, so that it can run beside the pipeline itself. It runs on this machine, with the config's
 * hosts left aside: a worker the config places on another host is run here alone all the same.
 */
final class WorkerAlone
{
    /** Where the JVM flags that Chronicle Queue needs are written once (journal/README.md). */
    private static final String JVM_OPTIONS = "/io/trindle/journal/jvm.options";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** The file every Chronicle Queue directory holds. */
    private static final String RECORDING_METADATA = "metadata.cq4t";

    private WorkerAlone()
    {
    }

    /**
     * @param inputs pipe → the directory of the recording that feeds it; one for each pipe the worker receives.
     * @param pace   {@code null} (as fast as the worker takes them), a rate in messages per second, or
     *               {@value ReplayWorker#AS_RECORDED}.
     * @throws IllegalArgumentException naming what is wrong: no such worker, an input missing or not received.
     */
    static PipelineConfig derive(final PipelineConfig config, final String name, final Map<String, Path> inputs,
        final String pace)
    {
        final WorkerConfig worker = config.workers().get(name);
        if (worker == null)
        {
            throw new IllegalArgumentException(config.file() + " has no worker '" + name + "' (its workers: " +
                String.join(", ", config.workers().keySet()) + ")");
        }
        final Map<String, PipeConfig> pipes = new LinkedHashMap<>();
        final Map<String, SegmentConfig> segments = new LinkedHashMap<>();
        final Map<String, TableConfig> tables = new LinkedHashMap<>();
        final Map<String, BroadcastConfig> broadcasts = new LinkedHashMap<>();
        final Map<String, WorkerConfig> workers = new LinkedHashMap<>();
        workers.put(name, worker.withHosts(List.of()));
        for (final Map.Entry<String, Rights> grant : worker.grants().entrySet())
        {
            final String object = grant.getKey();
            final PipeConfig pipe = config.pipes().get(object);
            if (pipe == null)
            {
                if (config.segments().containsKey(object))
                {
                    segments.put(object, config.segments().get(object));
                }
                if (config.tables().containsKey(object))
                {
                    tables.put(object, config.tables().get(object));
                }
                // Alone, a broadcast's writer has no reader to wait for, and a reader no writer: it finds the end.
                if (config.broadcasts().containsKey(object))
                {
                    broadcasts.put(object, config.broadcasts().get(object));
                }
                continue;
            }
            pipes.put(object, pipe);
            if (grant.getValue().contains(Right.RECEIVE))
            {
                final Path recording = inputs.get(object);
                if (recording == null)
                {
                    throw new IllegalArgumentException("worker '" + name + "' receives pipe '" + object + "': give " +
                        "--input " + object + "=DIR, a recording of it (trindle record, or trindle run --record)");
                }
                if (!Files.isRegularFile(recording.resolve(RECORDING_METADATA)))
                {
                    throw new IllegalArgumentException("--input " + object + "=" + recording + ": no recording there " +
                        "(a recording's directory holds " + RECORDING_METADATA + "; make one with trindle record or " +
                        "trindle run --record)");
                }
                // One replay process per sending process of the pipe, in the config's order: replica i sends what
                // was recorded on lane i, into lane i.
                final int senders = config.workers().values().stream().filter(w -> w.grants().containsKey(object) &&
                    w.grants().get(object).contains(Right.SEND)).mapToInt(WorkerConfig::replicas).sum();
                add(workers, helper(worker, "replay-" + object, object, Right.SEND, Math.max(senders, 1), pace == null ?
                    List.of(ReplayWorker.REPLAY, recording.toAbsolutePath().toString()) :
                    List.of(ReplayWorker.REPLAY, recording.toAbsolutePath().toString(), pace)));
            }
            else
            {
                add(workers, helper(worker, "print-" + object, object, Right.RECEIVE, 1, List.of(ReplayWorker.PRINT)));
            }
        }
        for (final String input : inputs.keySet())
        {
            final Rights rights = worker.grants().get(input);
            if (rights == null || !config.pipes().containsKey(input) || !rights.contains(Right.RECEIVE))
            {
                throw new IllegalArgumentException("--input " + input + "=...: worker '" + name + "' receives no " +
                    "pipe '" + input + "' (it receives: " + String.join(", ", worker.grants().entrySet().stream()
                        .filter(g -> config.pipes().containsKey(g.getKey()) && g.getValue().contains(Right.RECEIVE))
                        .map(Map.Entry::getKey).toList()) + ")");
            }
        }
        return new PipelineConfig(config.file(), config.name() + "-" + name, pipes, segments, workers,
            config.metrics(), config.allocators(), config.journal(), tables, Map.of(), null, broadcasts);
    }

    private static void add(final Map<String, WorkerConfig> workers, final WorkerConfig helper)
    {
        if (workers.putIfAbsent(helper.name(), helper) != null)
        {
            throw new IllegalArgumentException("the config has a worker named '" + helper.name() + "' already");
        }
    }

    /** A {@link ReplayWorker} process granted {@code right} on {@code pipe}: this JVM's Java, flags and class path. */
    private static WorkerConfig helper(final WorkerConfig beside, final String name, final String pipe,
        final Right right, final int replicas, final List<String> arguments)
    {
        final List<String> argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED"));
        argv.addAll(jvmOptions());
        final String jnaDirectory = System.getProperty("jna.tmpdir");
        if (jnaDirectory != null)
        {
            argv.add("-Djna.tmpdir=" + jnaDirectory);
        }
        argv.addAll(List.of("-cp", classPath(), ReplayWorker.class.getName()));
        argv.addAll(arguments);
        final RestartPolicy never = new RestartPolicy(RestartPolicy.Policy.NEVER, RestartPolicy.DEFAULT.backoffMin(),
            RestartPolicy.DEFAULT.backoffMax(), RestartPolicy.DEFAULT.intensityMaxRestarts(),
            RestartPolicy.DEFAULT.intensityPeriod());
        return new WorkerConfig(name, new Launch.Command(argv), Map.of(), null, replicas,
            Map.of(pipe, Rights.of(right)), never, WorkerConfig.DEFAULT_STOP_TIMEOUT, READY_TIMEOUT, SandboxConfig.NONE,
            beside.position());
    }

    private static List<String> jvmOptions()
    {
        try (InputStream in = WorkerAlone.class.getResourceAsStream(JVM_OPTIONS))
        {
            if (in == null)
            {
                return List.of();
            }
            return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\s+"))
                .filter(option -> !option.isEmpty()).toList();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** @return this JVM's class path, every entry absolute: the helper starts in the config's directory. */
    private static String classPath()
    {
        return String.join(":", Arrays.stream(System.getProperty("java.class.path").split(":"))
            .filter(entry -> !entry.isEmpty()).map(entry -> Path.of(entry).toAbsolutePath().toString()).toList());
    }
}
