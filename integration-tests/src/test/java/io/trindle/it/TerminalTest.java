package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code trindle run} at a terminal, as a user runs it: in a pseudo-terminal ({@code terminal.py}), where Ctrl-C
 * is the byte 0x03 typed into the terminal, which sends SIGINT to its whole foreground process group. The
 * workers must never get it: the supervisor alone turns it into a graceful stop, and a second one into an
 * immediate one.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TerminalTest
{
    /** The fields of {@code /proc/PID/stat} used here, numbered from 0 at the state, after the command's name. */
    private static final int PARENT = 1;
    private static final int SESSION = 3;

    @TempDir
    Path directory;

    @Test
    void shouldDrainAndPrintTheResultsWhenCtrlCIsPressed() throws Exception
    {
        // The demo as shipped (a Java reader, two C splitters, a Python counter), with an input that outlasts the
        // test: only the stop ends it.
        Files.writeString(directory.resolve("demo.yaml"),
            WordcountSample.config("wordcount.yaml").replace("--repeat 500", "--repeat 100000000"));
        try (SupervisorProcess trindle = atTerminal("run", "demo.yaml"))
        {
            final List<SupervisorProcess.Worker> workers = trindle.awaitRunning("demo", Duration.ofSeconds(120));
            assertEquals(4, workers.size(), trindle.output());
            for (final SupervisorProcess.Worker worker : workers)
            {
                final String[] stat = SupervisorProcess.stat(worker.pid());
                assertEquals(Integer.toString(worker.pid()), stat[SESSION], worker + " leads a session of its own");
                assertNotEquals(SupervisorProcess.stat(Long.parseLong(stat[PARENT]))[SESSION], stat[SESSION],
                    worker + " is not in the supervisor's session, which the terminal signals");
            }
            pressCtrlC(trindle);
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(120)), "status 3: stopped on request. " +
                trindle.output());
            final String out = screen(trindle);
            final Matcher sent = Pattern.compile("reader +\\| sent (\\d+) lines \\(stopped early\\)").matcher(out);
            final Matcher counted = Pattern.compile("counter +\\| \\d+ words, \\d+ distinct, from (\\d+) lines")
                .matcher(out);
            assertTrue(sent.find(), "the reader stopped on request. " + out);
            assertTrue(counted.find(), "the counter saw the end of stream and printed its counts. " + out);
            assertEquals(sent.group(1), counted.group(1), "every line sent was counted");
            assertTrue(out.contains("counter    |   the "), "the top words were printed. " + out);
            assertTrue(out.contains("trindle: stopping: SIGINT (Ctrl-C); the pipes drain"), out);
            for (final String sign : new String[] {"SIGINT;", "by SIGINT", "KeyboardInterrupt", "restarting",
                "status 130"})
            {
                assertFalse(out.replace("stopping: SIGINT", "").contains(sign),
                    "no worker got the terminal's SIGINT (" + sign + "). " + out);
            }
        }
    }

    @Test
    void shouldStopAtOnceOnASecondCtrlCDuringASlowDrain() throws Exception
    {
        // The sink never reads until the file 'go' appears, which it never does, and has ten minutes to stop.
        Files.writeString(directory.resolve("stuck.yaml"), """
            pipes:
              work: { lane: 64KiB }
            workers:
              source:
                java: io.trindle.it.workers.ChecksumSource
                ready-timeout: 600s
                grants: { work: send }
              sink:
                java: io.trindle.it.workers.GatedSink
                ready-timeout: 600s
                stop-timeout: 10m
                grants: { work: receive }
            """);
        try (SupervisorProcess trindle = atTerminal("run", "stuck.yaml"))
        {
            trindle.awaitRunning("stuck", Duration.ofSeconds(120));
            pressCtrlC(trindle);
            awaitOutput(trindle, "trindle: stopping: SIGINT (Ctrl-C)");
            pressCtrlC(trindle);
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "a second Ctrl-C stops at once. " +
                trindle.output());
            final String out = screen(trindle);
            // The source too, if it is still blocked on its full lane.
            assertTrue(Pattern.compile("trindle: stopping at once: SIGINT again; killing [12] running worker\\(s\\), " +
                "whose results are lost").matcher(out).find(), out);
            assertTrue(out.contains("trindle: pipeline 'stuck' stopped on request"), out);
        }
    }

    /** @return what the terminal shows, without its colours and carriage returns. */
    private static String screen(final SupervisorProcess trindle)
    {
        return trindle.stdout().replaceAll("\u001b\\[[0-9;]*m", "").replace("\r", "");
    }

    private SupervisorProcess atTerminal(final String... arguments) throws Exception
    {
        final Path terminal = Path.of(TerminalTest.class.getResource("/terminal.py").toURI());
        return SupervisorProcess.start(directory, List.of("/usr/bin/python3", terminal.toString(), "--"),
            SupervisorProcess.classPath(), arguments);
    }

    /** Types Ctrl-C into the supervisor's terminal: {@code terminal.py} does on SIGUSR1. */
    private static void pressCtrlC(final SupervisorProcess trindle)
    {
        final int sigusr1 = 10;
        try
        {
            new ProcessBuilder("kill", "-" + sigusr1, Long.toString(trindle.pid())).inheritIO().start().waitFor();
        }
        catch (final IOException | InterruptedException e)
        {
            fail("cannot signal the terminal: " + e);
        }
    }

    private static void awaitOutput(final SupervisorProcess trindle, final String text) throws InterruptedException
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!screen(trindle).contains(text))
        {
            if (System.nanoTime() > deadline || !trindle.isAlive())
            {
                fail("no '" + text + "' in the output. " + trindle.output());
            }
            Thread.sleep(20);
        }
    }
}
