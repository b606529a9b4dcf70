package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code trindle interpose}: an upper-casing stage put between a running sender and its receiver, and taken out again,
 * while messages flow; the sink sees every message once, in order: lower case, then upper case, then lower again.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class InterposeTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path directory;

    private SupervisorProcess trindle(final String... arguments) throws Exception
    {
        final SupervisorProcess cli = SupervisorProcess.start(directory, Files.createTempDirectory(directory, "cli"),
            arguments);
        cli.waitFor(DEADLINE);
        return cli;
    }

    private List<String> received() throws IOException
    {
        final Path out = directory.resolve("out.txt");
        if (!Files.exists(out))
        {
            return List.of();
        }
        final String text = Files.readString(out);
        final List<String> lines = new ArrayList<>(text.lines().toList());
        if (!text.endsWith("\n") && !lines.isEmpty())
        {
            lines.removeLast(); // a line still being written
        }
        return lines;
    }

    /** Waits until what the sink received so far satisfies {@code condition}. */
    private void awaitReceived(final String what, final Predicate<List<String>> condition) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.test(received()))
        {
            if (System.nanoTime() > deadline)
            {
                fail("the sink never received " + what + "; it has " + received().size() + " lines");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void shouldPutAStageInAndTakeItOutWithNoMessageLostRepeatedOrReordered() throws Exception
    {
        // A source that numbers its lines until the file 'stop' exists, and a sink that keeps them.
        Files.writeString(directory.resolve("ip.yaml"), """
            pipes:
              lines: {}
            workers:
              source:
                command: [sh, -c, "i=0; while [ ! -e stop ]; do i=$((i+1)); echo m$i; sleep 0.001; done"]
                stdout: lines
              sink:
                command: [sh, -c, "cat > out.txt"]
                stdin: lines
            """);
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "ip.yaml"))
        {
            awaitReceived("200 lines", lines -> lines.size() >= 200);
            final SupervisorProcess insert = trindle("interpose", "ip", "lines", "--", "sed", "-u", "s/.*/\\U&/");
            assertEquals(0, insert.waitFor(DEADLINE), insert.output());
            assertTrue(insert.stdout().contains("interposed 'sed -u s/.*/\\U&/' on pipe 'lines': 1 lane"),
                insert.output());

            final SupervisorProcess again = trindle("interpose", "ip", "lines", "--", "cat");
            assertEquals(1, again.waitFor(DEADLINE), again.output());
            assertTrue(again.stderr().contains("has had a stage interposed already"), again.output());
            final SupervisorProcess resize = trindle("resize", "ip", "lines", "64k");
            assertEquals(1, resize.waitFor(DEADLINE), resize.output());
            assertTrue(resize.stderr().contains("a stage is interposed on it"), resize.output());

            awaitReceived("200 upper-case lines",
                lines -> lines.stream().filter(line -> line.startsWith("M")).count() >= 200);
            final SupervisorProcess remove = trindle("interpose", "ip", "lines", "--remove");
            assertEquals(0, remove.waitFor(DEADLINE), remove.output());
            run.awaitStderr("the stage of lane 0 of pipe 'lines' is removed");
            final int removedAt = received().size();
            awaitReceived("200 lines after the stage's removal", lines -> lines.size() >= removedAt + 200 &&
                lines.getLast().startsWith("m"));
            Files.createFile(directory.resolve("stop"));
            assertEquals(0, run.waitFor(DEADLINE), run.output());
        }

        final List<String> lines = received();
        for (int i = 0; i < lines.size(); i++)
        {
            assertEquals("m" + (i + 1), lines.get(i).toLowerCase(java.util.Locale.ROOT),
                "message " + (i + 1) + " of " + lines.size() + ": none lost, repeated or reordered");
        }
        // The mix: lower case, then upper case while the stage was in, then lower case again.
        final StringBuilder runs = new StringBuilder();
        for (final String line : lines)
        {
            final char kind = line.charAt(0);
            if (runs.isEmpty() || runs.charAt(runs.length() - 1) != kind)
            {
                runs.append(kind);
            }
        }
        assertEquals("mMm", runs.toString());
    }
}
