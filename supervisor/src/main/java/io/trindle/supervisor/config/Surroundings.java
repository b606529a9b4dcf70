package io.trindle.supervisor.config;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What a config is read against besides its own text: the supervisor's environment, which {@code ${VAR}} in a
 * value expands from and whose {@code PATH} finds a worker's program, and whether to look at this machine's files
 * for each worker's program and, on the Java workers' class path, for each main class. {@code trindle validate}
 * and {@code trindle run} read a config against {@link #current()}; a test passes its own, so that it neither
 * reads nor changes the real environment.
 *
 * @param environment     the supervisor's environment variables.
 * @param checksFiles     whether a program that does not exist or cannot be executed, or a main class on no entry
 *                        of {@code workerClassPath}, is a problem.
 * @param workerClassPath the class path Java workers run with, each entry as given (a jar, a directory, or
 *                        {@code dir/*} for every jar in it).
 */
public record Surroundings(Map<String, String> environment, boolean checksFiles, List<String> workerClassPath)
{
    /**
     * The system property giving Java workers' class path, entries separated by {@code :}; the supervisor's own
     * class path when it is not set. The {@code ./trindle} script sets it to the worker runtime, the samples and
     * {@code $TRINDLE_WORKER_CLASSPATH}.
     */
    public static final String WORKER_CLASSPATH_PROPERTY = "trindle.worker.classpath";

    /** The config's text alone: no variable is set, and no file is looked at. */
    public static final Surroundings NONE = new Surroundings(Map.of(), false, List.of());

    public Surroundings
    {
        environment = Map.copyOf(environment);
        workerClassPath = List.copyOf(workerClassPath);
    }

    /**
     * @return the supervisor's own environment, files and worker class path ({@link #WORKER_CLASSPATH_PROPERTY}).
     */
    public static Surroundings current()
    {
        final String classPath = Objects.requireNonNullElse(System.getProperty(WORKER_CLASSPATH_PROPERTY),
            System.getProperty("java.class.path", ""));
        return new Surroundings(System.getenv(), true,
            Stream.of(classPath.split(File.pathSeparator)).filter(entry -> !entry.isEmpty()).toList());
    }

    /**
     * @return these surroundings with {@code environment} instead, and no file looked at: for a config's text
     *         alone, whose variables are given.
     */
    public static Surroundings ofEnvironment(final Map<String, String> environment)
    {
        return new Surroundings(environment, false, List.of());
    }

    /** @return the directory {@code entry} of the worker class path means, resolved against the current one. */
    static Path entryPath(final String entry)
    {
        return Path.of(entry.endsWith("/*") ? entry.substring(0, entry.length() - 2) : entry);
    }
}
