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
    void shouldRefuseHostileFilesQuicklyWithAClearMessage() throws Exception
    {
        // Each of these once hung, ran out of memory or overflowed the stack in validate, and again in run.
        Files.writeString(directory.resolve("nested.yaml"), "[".repeat(20_000));
        Files.writeString(directory.resolve("huge.yaml"), "#" + "x".repeat(16 << 20));
        assertEquals(0, new ProcessBuilder("mkfifo", directory.resolve("fifo.yaml").toString()).start().waitFor());
        final String[][] cases = {
            {"nested.yaml", "nested.yaml:1:33: mappings and lists nest more than 32 deep here, deeper than a config " +
                "may: at most 32 (a valid config nests at most 5 deep); check the brackets and indentation\n"},
            {"/dev/zero", "/dev/zero:1:1: cannot read the file: it is a character device, not a regular file\n"},
            {"huge.yaml", "huge.yaml:1:1: the file has 16777217 bytes, more than a config may: at most 1MiB " +
                "(1048576 bytes); a pipeline config is a few KiB, so this is most likely not the file meant\n"},
            {"fifo.yaml", "fifo.yaml:1:1: cannot read the file: it is a FIFO, not a regular file\n"},
        };
        for (final String verb : new String[] {"validate", "run"})
        {
            for (final String[] file : cases)
            {
                final SupervisorProcess trindle = SupervisorProcess.start(directory, verb, file[0]);
                // The deadline only keeps a hang from stalling the build; a refusal takes a JVM start.
                assertEquals(2, trindle.waitFor(Duration.ofSeconds(30)), trindle.output());
                assertEquals(file[1] + (verb.equals("run") ? "trindle: nothing was started\n" : ""), trindle.stderr());
            }
        }
    }

    @Test
    void shouldValidateAGoodFile() throws Exception
    {
        // Its programs are looked for: with its paths made absolute, they are found from here as from the sample.
        Files.writeString(directory.resolve("wordcount.yaml"), WordcountSample.config("wordcount.yaml"));
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
