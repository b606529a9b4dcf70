package io.trindle.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code trindle run} on a config the benchmark wrote, the way every supervised benchmark does: the same java
 * binary and class path as the benchmark's own JVM, the launcher it was given, a run directory of its own inside
 * {@code directory} (so it never meets a user's pipelines), and its stdout and stderr as one stream.
 */
final class Supervised
{
    private Supervised()
    {
    }

    /**
     * @param config the config's file name, in {@code directory}, which is also the supervisor's working directory.
     * @return the supervisor's process; its output is its input stream.
     */
    static Process start(final String java, final String classPath, final Path directory, final String config)
        throws IOException
    {
        return start(java, classPath, directory, config, List.of());
    }

    /** As {@link #start(String, String, Path, String)}, with {@code options} after {@code run} (--no-journal, say). */
    static Process start(final String java, final String classPath, final Path directory, final String config,
        final List<String> options) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        // The flags the supervisor's journal needs (Chronicle Queue), which this JVM was started with too.
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(flag -> flag.startsWith("--add-") || flag.startsWith("--sun-misc") ||
                flag.startsWith("-Dchronicle.") || flag.startsWith("-Djna."))
            .toList());
        command.addAll(List.of("-Dtrindle.launcher=" + System.getProperty("trindle.launcher"), "-cp", classPath,
            "io.trindle.supervisor.Main", "run"));
        command.addAll(options);
        command.add(config);
        final ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
            .redirectErrorStream(true);
        builder.environment().put("TRINDLE_RUN_DIR", directory.resolve("run").toString());
        return builder.start();
    }
}
