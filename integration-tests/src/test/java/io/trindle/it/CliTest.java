package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's verbs and exit codes, run as a user runs them. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CliTest
{
    @TempDir
    Path directory;

    @Test
    void shouldRejectABadFileWithItsLineAndStartNothing() throws Exception
    {
        Files.writeString(directory.resolve("bad.yaml"), """
            pipes:
              lines: { lane: 64KiB }
            workers:
              reader:
                command: [sleep, "1"]
                grants: { lines: send }
              writer:
                command: [sleep, "1"]
                grants: { lnes: receive }
            """);
        for (final String verb : new String[] {"validate", "run"})
        {
            final SupervisorProcess trindle = SupervisorProcess.start(directory, verb, "bad.yaml");
            assertEquals(2, trindle.waitFor(Duration.ofSeconds(30)), trindle.output());
            assertTrue(trindle.stderr().startsWith("bad.yaml:9:15: worker 'writer' is granted 'lnes', which is not a " +
                "declared pipe or segment; did you mean 'lines'?"), trindle.stderr());
            assertTrue(!trindle.stdout().contains("sleep"), "nothing was started");
        }
    }

    @Test
    void shouldValidateAGoodFile() throws Exception
    {
        Files.copy(Path.of("..", "samples", "wordcount", "wordcount.yaml"), directory.resolve("wordcount.yaml"));
        final SupervisorProcess trindle = SupervisorProcess.start(directory, "validate", "wordcount.yaml");
        assertEquals(0, trindle.waitFor(Duration.ofSeconds(30)), trindle.output());
        assertEquals("wordcount.yaml: valid: pipeline 'wordcount' with 3 worker(s), 2 pipe(s), 2 segment(s)\n",
            trindle.stdout());
    }

    @Test
    void shouldSayWhenNoPipelineRuns() throws Exception
    {
        final SupervisorProcess status = SupervisorProcess.start(directory, "status");
        assertEquals(1, status.waitFor(Duration.ofSeconds(30)), status.output());
        assertTrue(status.stderr().startsWith("trindle: no pipeline is running"), status.stderr());
        final SupervisorProcess usage = SupervisorProcess.start(directory, "frobnicate");
        assertEquals(2, usage.waitFor(Duration.ofSeconds(30)), usage.output());
        assertTrue(usage.stderr().startsWith("trindle: unknown command 'frobnicate'\nusage: trindle COMMAND"));
    }
}
