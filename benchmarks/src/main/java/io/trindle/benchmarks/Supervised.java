package io.trindle.benchmarks;

import java.io.IOException;
import java.nio.file.Path;

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
        final ProcessBuilder builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
            "-Dtrindle.launcher=" + System.getProperty("trindle.launcher"), "-cp", classPath,
            "io.trindle.supervisor.Main", "run", config).directory(directory.toFile())
            .redirectErrorStream(true);
        builder.environment().put("TRINDLE_RUN_DIR", directory.resolve("run").toString());
        return builder.start();
    }
}
