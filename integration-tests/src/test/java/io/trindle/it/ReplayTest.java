package io.trindle.it;

import io.trindle.samples.wordcount.WordCount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recording a pipe of the word-count demo ({@code trindle run --record}) and replaying it into its counter started
 * alone ({@code trindle run-worker}): the counts are the original run's, exactly.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReplayTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path directory;

    private SupervisorProcess trindle(final String... arguments) throws Exception
    {
        final SupervisorProcess process = SupervisorProcess.start(directory, Files.createTempDirectory(directory,
            "out"), arguments);
        assertEquals(0, process.waitFor(DEADLINE), process.output());
        return process;
    }

    @Test
    void shouldCountTheSameFromARecordingAsInTheRecordedRun() throws Exception
    {
        Files.writeString(directory.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml")
            .replace("--top, \"10\",", "--top, \"10\", --output, counts.txt,"));
        final SupervisorProcess run = trindle("run", "wordcount.yaml", "--record", "words=recording");
        assertTrue(run.stderr().contains("recorded 10000 message(s) of pipe 'words' into recording"), run.output());
        final List<String> original = Files.readAllLines(directory.resolve("counts.txt"));
        assertEquals(WordCount.render(WordCount.reference(500), Integer.MAX_VALUE), original);
        Files.delete(directory.resolve("counts.txt"));

        // The counter alone, fed the recording: one replay process per splitter, each on its lane.
        final SupervisorProcess alone = trindle("run-worker", "wordcount.yaml", "counter", "--input",
            "words=recording");
        assertTrue(alone.stderr().contains("replay-words.0 | trindle: replayed 5000 message(s) of lane 0"),
            alone.output());
        assertTrue(alone.stdout().contains("(0 repeated deliveries ignored)"), alone.output());
        assertEquals(original, Files.readAllLines(directory.resolve("counts.txt")));
    }

    @Test
    void shouldReplayARecordingIntoAFreshCounterOfARunningPipeline() throws Exception
    {
        Files.writeString(directory.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml")
            .replace("--top, \"10\",", "--top, \"10\", --output, counts.txt,"));
        trindle("run", "wordcount.yaml", "--record", "words=recording", "--no-journal");
        final List<String> original = Files.readAllLines(directory.resolve("counts.txt"));

        // A pipeline of a fresh counter whose only sender sends nothing until told to end.
        Files.writeString(directory.resolve("fresh.yaml"), """
            pipes:
              words: { lane: 1MiB }
            workers:
              idle:
                command: [sh, -c, "while [ ! -e stop ]; do sleep 0.05; done"]
                stdout: words
              counter:
                command: [/usr/bin/python3, %s, --top, "3", --output, fresh-counts.txt]
                env: { PYTHONPATH: %s }
                grants: { words: receive }
            """.formatted(WordcountSample.SAMPLES.resolve("wordcount/counter.py"),
            WordcountSample.SAMPLES.resolveSibling("python")));
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "fresh.yaml"))
        {
            run.awaitRunning("fresh", DEADLINE);
            final SupervisorProcess replay = trindle("replay", "recording", "--into", "fresh", "words");
            assertTrue(replay.stdout().contains("replaying " + directory.resolve("recording") + " into pipe " +
                "'words': 2 lanes added to its receiver"), replay.output());
            run.awaitStderr("replayed 10000 message(s) from " + directory.resolve("recording") + " into pipe 'words'");
            Files.createFile(directory.resolve("stop"));
            assertEquals(0, run.waitFor(DEADLINE), run.output());
            assertTrue(run.stdout().contains("(0 repeated deliveries ignored)"), run.output());
        }
        assertEquals(original, Files.readAllLines(directory.resolve("fresh-counts.txt")));

        // A directory without a recording is refused before any supervisor is asked.
        final SupervisorProcess none = SupervisorProcess.start(directory, Files.createTempDirectory(directory, "out"),
            "replay", "nowhere", "--into", "fresh", "words");
        assertEquals(1, none.waitFor(DEADLINE));
        assertTrue(none.stderr().contains("nowhere holds no recording"), none.output());
    }

    @Test
    void shouldRunASplitterAloneOnARecordingAndPrintWhatItSends() throws Exception
    {
        Files.writeString(directory.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml"));
        trindle("run", "wordcount.yaml", "--record", "lines=lines", "--no-journal");
        final SupervisorProcess alone = trindle("run-worker", "wordcount.yaml", "splitter", "--input",
            "lines=lines", "--rate", "20000");
        // Both splitter replicas, each fed the lines the reader sent it; every message they send is printed.
        assertEquals(10_000, alone.stdout().lines().filter(line -> line.contains("print-words  | words lane ")).count(),
            alone.output());
        assertEquals(2, alone.stdout().lines().filter(line -> line.contains("| split 5000 lines (in C)")).count(),
            alone.output());

        final SupervisorProcess missing = SupervisorProcess.start(directory, Files.createTempDirectory(directory,
            "out"), "run-worker", "wordcount.yaml", "splitter", "--input", "lines=nowhere");
        assertEquals(2, missing.waitFor(DEADLINE));
        assertTrue(missing.stderr().contains("--input lines=nowhere: no recording there"), missing.output());
        final SupervisorProcess unfed = SupervisorProcess.start(directory, Files.createTempDirectory(directory,
            "out"), "run-worker", "wordcount.yaml", "counter", "--input", "lines=lines");
        assertEquals(2, unfed.waitFor(DEADLINE));
        assertTrue(unfed.stderr().contains("worker 'counter' receives pipe 'words': give --input words=DIR"),
            unfed.output());
    }
}
