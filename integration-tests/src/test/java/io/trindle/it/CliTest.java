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
                "declared pipe, segment, table, allocator or broadcast; did you mean 'lines'?"), trindle.stderr());
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

    @Test
    void shouldPrintTheProjectVersion() throws Exception
    {
        final SupervisorProcess version = SupervisorProcess.start(directory, "--version");
        assertEquals(0, version.waitFor(Duration.ofSeconds(30)), version.output());
        assertEquals("trindle " + System.getProperty("trindle.version") + "\n", version.stdout());
    }

    @Test
    void shouldAnswerHelpWithoutOpeningAFileOrStartingAnything() throws Exception
    {
        for (final String verb : new String[] {"run", "validate", "status", "top", "stop", "restart", "demo"})
        {
            final SupervisorProcess help = SupervisorProcess.start(directory, verb, "--help");
            assertEquals(0, help.waitFor(Duration.ofSeconds(30)), help.output());
            assertTrue(help.stdout().startsWith("usage: trindle " + verb + " [-h]"), help.stdout());
            assertEquals("", help.stderr());
            assertTrue(!Files.exists(directory.resolve("run")), "no supervisor started, none asked");
        }
    }

    @Test
    void shouldShowEveryRunningPipelineAndStopOnlyANamedOne() throws Exception
    {
        for (final String name : new String[] {"one", "two"})
        {
            Files.writeString(directory.resolve(name + ".yaml"), """
                workers:
                  idle:
                    command: [sleep, "600"]
                    ready-timeout: 600s
                    stop-timeout: 1s
                """);
        }
        try (SupervisorProcess one = SupervisorProcess.start(directory, output("one"), "run", "one.yaml");
            SupervisorProcess two = SupervisorProcess.start(directory, output("two"), "run", "two.yaml"))
        {
            for (final String name : new String[] {"one", "two"})
            {
                (name.equals("one") ? one : two).awaitWorkers(name, workers -> workers.size() == 1 &&
                    workers.getFirst().pid() > 0, "started", Duration.ofSeconds(60));
            }
            final SupervisorProcess status = SupervisorProcess.start(directory, output("status"), "status");
            assertEquals(0, status.waitFor(Duration.ofSeconds(30)), status.output());
            assertTrue(status.stdout().startsWith("pipeline one\nWORKER "), status.stdout());
            assertTrue(status.stdout().contains("\n\npipeline two\nWORKER "), status.stdout());

            final SupervisorProcess json = SupervisorProcess.start(directory, output("json"), "status", "--json");
            assertEquals(0, json.waitFor(Duration.ofSeconds(30)), json.output());
            assertTrue(json.stdout().matches("\\[\\{\"pipeline\":\"one\",.*\\},\\{\"pipeline\":\"two\",.*\\}\\]\n"),
                json.stdout());

            final SupervisorProcess stop = SupervisorProcess.start(directory, output("stop"), "stop");
            assertEquals(1, stop.waitFor(Duration.ofSeconds(30)), stop.output());
            assertEquals("trindle: several pipelines are running (one, two); name the one to stop: trindle stop " +
                "NAME\n", stop.stderr());
            assertTrue(one.isAlive() && two.isAlive(), "neither was stopped");

            for (final String name : new String[] {"one", "two"})
            {
                final SupervisorProcess named = SupervisorProcess.start(directory, output("stop-" + name), "stop",
                    name);
                assertEquals(0, named.waitFor(Duration.ofSeconds(30)), named.output());
                assertEquals(3, (name.equals("one") ? one : two).waitFor(Duration.ofSeconds(60)));
            }
        }
    }

    /** @return a directory of its own for the output of one of several processes run side by side. */
    private Path output(final String name) throws Exception
    {
        return Files.createDirectories(directory.resolve("output").resolve(name));
    }
}
