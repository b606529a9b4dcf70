package io.trindle.supervisor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run of the command line's ahead-of-time cache (JDK 25's {@code -XX:AOTCacheOutput}, JEP 483, 514,
 * 515): the {@code trindle} script runs this class once per build, with the flags the short verbs run with, and
 * the JVM writes into the cache the classes it loaded and linked and the profiles of what it ran; every later
 * {@code trindle status}, {@code validate}, {@code stop}, {@code restart} or {@code sandbox explain} then starts
 * from it, and so do {@code run} and {@code demo} (with their own flags: the cache holds classes, not code, and
 * the JVM accepts it under another collector).
 * <p>
 * It runs what those verbs run, with their output thrown away: {@code validate} and {@code sandbox explain} of
 * each config named on its command line, and {@code status}, {@code stop} and {@code restart} against the run
 * directory (the script gives it an empty one, so they find no pipeline), each several times so that their
 * methods are profiled; then {@code --help} and a usage error, for the verbs that go through picocli; last, once,
 * {@code run} of a pipeline of one worker running {@code true}, for what starting and stopping a pipeline loads
 * (it needs the launcher, {@code -Dtrindle.launcher}, as {@code run} does). Its exit status is 0 whatever the
 * verbs said: a config that is not valid trains as well as one that is.
 * <p>
 * usage: {@code java -XX:AOTCacheOutput=FILE … io.trindle.supervisor.CliTraining [CONFIG...]}
 */
final class CliTraining
{
    /** How many times each verb runs: enough for its methods to be profiled, little enough to take a second. */
    private static final int ROUNDS = 20;

    /** The pipeline {@code run} is trained on: it starts, its one worker exits at once, it ends. */
    private static final String PIPELINE = """
        name: training
        workers:
          nothing:
            command: ["true"]
        """;

    private CliTraining()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        final List<List<String>> verbs = new ArrayList<>();
        for (final String config : args)
        {
            verbs.add(List.of("validate", config));
            verbs.add(List.of("sandbox", "explain", config));
        }
        verbs.add(List.of("status"));
        verbs.add(List.of("status", "--json"));
        verbs.add(List.of("status", "training"));
        verbs.add(List.of("stop"));
        verbs.add(List.of("restart", "training", "worker.0"));
        for (int round = 0; round < ROUNDS; round++)
        {
            for (final List<String> verb : verbs)
            {
                Main.run(verb, discard, discard);
            }
        }
        Main.run(List.of("--help"), discard, discard);
        Main.run(List.of("status", "--help"), discard, discard);
        Main.run(List.of("frobnicate"), discard, discard);
        final Path directory = Files.createTempDirectory("trindle-training");
        try
        {
            final Path pipeline = Files.writeString(directory.resolve("training.yaml"), PIPELINE);
            // No journal: the cache is for the command line's start; a journal's queue would only slow the training.
            Main.run(List.of("run", "--no-journal", pipeline.toString()), discard, discard);
        }
        finally
        {
            try (Stream<Path> files = Files.walk(directory))
            {
                for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(file);
                }
            }
        }
    }
}
