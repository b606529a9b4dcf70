package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A graceful stop: sources stop first, the pipes drain, the end of stream flows downstream, workers exit, and
 * the exit status says the pipeline was stopped. Nothing sent is lost on the way.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StopTest
{
    private static final String ENDLESS = """
        pipes:
          lines: { lane: 64KiB }
          words: { lane: 256KiB }
        workers:
          reader:
            java: io.trindle.samples.wordcount.Reader --repeat 100000000
            ready-timeout: 600s
            grants: { lines: send }
          splitter:
            java: io.trindle.samples.wordcount.Splitter
            ready-timeout: 600s
            replicas: 2
            grants: { lines: receive, words: send }
          counter:
            java: io.trindle.samples.wordcount.Counter --top 3
            ready-timeout: 600s
            grants: { words: receive }
        """;

    @TempDir
    Path directory;

    @Test
    void shouldDrainInOrderOnTrindleStop() throws Exception
    {
        Files.writeString(directory.resolve("endless.yaml"), ENDLESS);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "endless.yaml"))
        {
            trindle.awaitRunning("endless", Duration.ofSeconds(60));
            Thread.sleep(500);
            // Its output in files of its own: sharing the running supervisor's, it would write over its first lines.
            final SupervisorProcess stop = SupervisorProcess.start(directory,
                Files.createDirectories(directory.resolve("stop")), "stop", "endless");
            assertEquals(0, stop.waitFor(Duration.ofSeconds(30)), stop.output());
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "status 3: stopped on request. "
                + trindle.output());
            assertDrained(trindle);
        }
    }

    @Test
    void shouldDrainInOrderOnSigterm() throws Exception
    {
        Files.writeString(directory.resolve("endless.yaml"), ENDLESS);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "endless.yaml"))
        {
            trindle.awaitRunning("endless", Duration.ofSeconds(60));
            Thread.sleep(500);
            ProcessHandle.of(trindle.pid()).orElseThrow().destroy(); // SIGTERM
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "status 3: stopped on request. "
                + trindle.output());
            assertDrained(trindle);
        }
    }

    /** Every line the reader sent was counted: the stop lost nothing, and every worker ended by itself. */
    private static void assertDrained(final SupervisorProcess trindle)
    {
        final String out = trindle.stdout();
        final Matcher sent = Pattern.compile("reader +\\| sent (\\d+) lines \\(stopped early\\)").matcher(out);
        final Matcher counted = Pattern.compile("counter +\\| \\d+ words, \\d+ distinct, from (\\d+) lines").matcher(
            out);
        assertTrue(sent.find(), "the reader stopped early on request. " + trindle.output());
        assertTrue(counted.find(), "the counter saw the end of stream and reported. " + trindle.output());
        assertEquals(sent.group(1), counted.group(1), "every line sent was counted");
        assertTrue(!trindle.stderr().contains("sending SIG") && !trindle.stderr().contains("killed by"),
            "no worker had to be signalled. " + trindle.stderr());
        // Order: the source finished before the stages downstream of it.
        assertTrue(out.indexOf("reader") < out.indexOf("counter    | "), out);
    }
}
