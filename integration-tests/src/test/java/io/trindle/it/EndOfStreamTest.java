package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The end of a stream reaches its receiver whatever state the sender left its lane in: full to the brim (a
 * Java, a C and a Python sender each fill their lane and exit while the receiver is busy elsewhere), or
 * scribbled over by a hostile sender (its header or its ring) before it exited. The pipeline ends, every honest
 * message is delivered, and the damaged lanes are reported broken.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EndOfStreamTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Pattern SENT = Pattern.compile("(\\S+) +\\| lane (\\d+) sent (\\d+)");
    private static final Pattern RECEIVED = Pattern.compile(
        "sink +\\| lane (\\d+) received (\\d+) out-of-order (\\d+)");

    @TempDir
    Path directory;

    @Test
    void shouldEndFullLanesOfJavaCAndPythonSendersThatExitedWhileTheReceiverWasBusy() throws Exception
    {
        final Path bin = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();
        final Path tests = Path.of("..", "native-shims", "src", "test", "python").toAbsolutePath().normalize();
        final Path python = Path.of("..", "python").toAbsolutePath().normalize();
        final Path library = Path.of("..", "native-shims", "target", "lib", "libtrindle.so").toAbsolutePath(
            ).normalize();
        Files.writeString(directory.resolve("full.yaml"), """
            pipes:
              numbers: { lane: 8KiB }
            workers:
              java-source:
                java: io.trindle.it.workers.LaneFiller
                ready-timeout: 600s
                grants: { numbers: send }
              c-source:
                command: [%s/trindle-c-sender, fill]
                grants: { numbers: send }
              python-source:
                command: [/usr/bin/python3, %s/python-sender.py, fill]
                env: { PYTHONPATH: "%s", TRINDLE_LIBRARY: "%s" }
                grants: { numbers: send }
              sink:
                java: io.trindle.it.workers.GatedSink
                ready-timeout: 600s
                grants: { numbers: receive }
            """.formatted(bin, tests, python, library));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "full.yaml"))
        {
            awaitExited(trindle, "full", List.of("java-source", "c-source", "python-source"));
            Files.createFile(directory.resolve("go")); // the sink may read now: every sender is gone
            assertEquals(0, trindle.waitFor(DEADLINE), "the pipeline ends by itself. " + trindle.output());

            final Map<Integer, Long> sent = sent(trindle);
            assertEquals(3, sent.size(), trindle.output());
            sent.values().forEach(count -> assertTrue(count > 10, "each sender filled its lane: " + sent));
            assertEquals(sent, received(trindle), "every message of every lane, in order. " + trindle.output());
            assertTrue(Pattern.compile("sink +\\| end of stream").matcher(trindle.stdout()).find(), trindle.output());
            assertFalse(trindle.stderr().contains("cannot end"), trindle.output());
        }
    }

    @Test
    void shouldEndTheLanesOfHostileSendersReportThemBrokenAndDeliverTheRest() throws Exception
    {
        final List<String> fields = List.of("magic", "version", "capacity", "tail", "head", "ring");
        final StringBuilder scribblers = new StringBuilder();
        for (final String field : fields)
        {
            scribblers.append("""
                  scribble-%s:
                    java: io.trindle.it.workers.Scribbler %s
                    ready-timeout: 600s
                    grants: { numbers: send }
                """.formatted(field, field));
        }
        Files.writeString(directory.resolve("hostile.yaml"), """
            pipes:
              numbers: { lane: 64KiB }
            workers:
              honest:
                java: io.trindle.it.workers.LaneFiller
                ready-timeout: 600s
                grants: { numbers: send }
            %s
              sink:
                java: io.trindle.it.workers.GatedSink --fail-once
                ready-timeout: 600s
                grants: { numbers: receive }
                restart: { policy: on-failure, backoff: 10ms..10ms }
                restart-safe: true             # it released nothing before it failed: its restart reads it all
            """.formatted(scribblers.toString().stripTrailing()));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "hostile.yaml"))
        {
            final List<String> senders = new java.util.ArrayList<>(List.of("honest"));
            fields.forEach(field -> senders.add("scribble-" + field));
            awaitExited(trindle, "hostile", senders);
            // The sink fails once and is restarted: the new one opens lanes that were damaged before it started.
            Files.createFile(directory.resolve("go"));
            assertEquals(0, trindle.waitFor(DEADLINE), "the pipeline ends by itself. " + trindle.output());

            final String out = trindle.stdout();
            final String err = trindle.stderr();
            for (final String field : fields)
            {
                assertTrue(Pattern.compile("scribble-" + field + " +\\| damaged the lane's " + field).matcher(
                    out).find(),
                    trindle.output());
            }
            assertTrue(Pattern.compile("sink +\\| failing once").matcher(out).find(), trindle.output());
            final Map<Integer, Long> sent = sent(trindle);
            final Map<Integer, Long> received = received(trindle);
            assertEquals(1, sent.size(), trindle.output());
            sent.forEach((lane, count) -> assertEquals(count, received.get(lane),
                "the honest lane, whole and in order. " + trindle.output()));
            assertTrue(Pattern.compile("sink +\\| end of stream").matcher(out).find(), trindle.output());
            // The supervisor reports each header it finds damaged when it ends that lane, and ends it anyway.
            for (final String field : fields)
            {
                assertTrue(err.contains("the lane worker scribble-" + field + " sends on in pipe"), trindle.output());
            }
            assertFalse(err.contains("cannot end"), trindle.output());
            // The restarted receiver set the damaged lanes aside at its start, and said so.
            final long setAside = err.lines().filter(line -> line.contains("sink") && line.contains(
                "is broken")).count();
            assertTrue(setAside >= 5, "the receiver reported the lanes it set aside or found broken (the ring's " +
                "scribbled stamps read as never committed, and that lane just ends). " + trindle.output());
        }
    }

    /** Waits (on the status socket) until each of {@code names} has exited with status 0. */
    private static void awaitExited(final SupervisorProcess trindle, final String pipeline, final List<String> names)
        throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline)
        {
            try
            {
                final List<SupervisorProcess.Worker> workers = trindle.workers(pipeline);
                if (workers.stream().filter(w -> names.contains(w.name())).count() == names.size() &&
                    workers.stream().filter(w -> names.contains(w.name())).allMatch(w -> w.state().equals("exited")))
                {
                    return;
                }
            }
            catch (final java.io.IOException notYet)
            {
                // the status socket is not bound yet
            }
            if (!trindle.isAlive())
            {
                fail("trindle ended early\n" + trindle.output());
            }
            Thread.sleep(20);
        }
        fail(names + " did not all exit within " + DEADLINE + "\n" + trindle.output());
    }

    private static Map<Integer, Long> sent(final SupervisorProcess trindle)
    {
        final Map<Integer, Long> sent = new HashMap<>();
        final Matcher matcher = SENT.matcher(trindle.stdout());
        while (matcher.find())
        {
            sent.put(Integer.parseInt(matcher.group(2)), Long.parseLong(matcher.group(3)));
        }
        return sent;
    }

    private static Map<Integer, Long> received(final SupervisorProcess trindle)
    {
        final Map<Integer, Long> received = new HashMap<>();
        final Matcher matcher = RECEIVED.matcher(trindle.stdout());
        while (matcher.find())
        {
            assertEquals("0", matcher.group(3), "lane " + matcher.group(1) + " out of order. " + trindle.output());
            received.put(Integer.parseInt(matcher.group(1)), Long.parseLong(matcher.group(2)));
        }
        return received;
    }
}
