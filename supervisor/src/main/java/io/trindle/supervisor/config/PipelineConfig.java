package io.trindle.supervisor.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
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
 *                 {@code .yaml}/{@code .yml}; letters, digits, {@code -} and {@code _}.
 * @param pipes    pipe name → pipe, in file order.
 * @param segments segment name → segment, in file order.
 * @param workers  worker name → worker, in file order.
 */
public record PipelineConfig(
    Path file,
    String name,
    Map<String, PipeConfig> pipes,
    Map<String, SegmentConfig> segments,
    Map<String, WorkerConfig> workers)
{
    public PipelineConfig
    {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        pipes = Collections.unmodifiableMap(new LinkedHashMap<>(pipes));
        segments = Collections.unmodifiableMap(new LinkedHashMap<>(segments));
        workers = Collections.unmodifiableMap(new LinkedHashMap<>(workers));
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
}
