package io.trindle.it;

import io.trindle.supervisor.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code trindle top} as a script reads it ({@code --once --json}): during the demo every worker and every lane moves,
 * and once the demo's data has flowed through, top's counts are exactly what the workers say they sent and received.
 */
class TopTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path directory;

    @Test
    void shouldShowEveryWorkerAndLaneMovingDuringTheDemo() throws Exception
    {
        // The demo as shipped, with an input that outlasts the test: only the stop ends it.
        Files.writeString(directory.resolve("demo.yaml"),
            WordcountSample.config("wordcount.yaml").replace("--repeat 500", "--repeat 100000000"));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "demo.yaml"))
        {
            trindle.awaitRunning("demo", DEADLINE);
            final Map<String, Object> demo = once("demo");
            final List<Map<String, Object>> workers = rows(demo, "workers");
            assertEquals(4, workers.size(), demo.toString());
            for (final Map<String, Object> worker : workers)
            {
                final double moved = rate(worker, "messagesInPerSecond") + rate(worker, "messagesOutPerSecond");
                assertTrue(moved > 0, "worker " + worker.get("label") + " moves messages: " + worker);
                assertTrue(((Number)worker.get("rssBytes")).longValue() > 0, worker.toString());
                assertTrue(worker.containsKey("cpuPercent"), worker.toString());
            }
            final List<Map<String, Object>> pipes = rows(demo, "pipes");
            assertEquals(List.of("lines.0", "lines.1", "words"), pipes.stream().map(p -> p.get("name")).toList());
            int lanes = 0;
            for (final Map<String, Object> pipe : pipes)
            {
                assertTrue(rate(pipe, "messagesPerSecond") > 0 && rate(pipe, "bytesPerSecond") > 0, pipe.toString());
                assertTrue(((Number)pipe.get("capacity")).longValue() > 0, pipe.toString());
                for (final Map<String, Object> lane : rows(pipe, "lanes"))
                {
                    assertTrue(rate(lane, "messagesPerSecond") > 0, "lane moves: " + lane);
                    assertEquals(Boolean.FALSE, lane.get("broken"), lane.toString());
                    lanes++;
                }
            }
            assertEquals(4, lanes, "lines.0 and lines.1 from the reader, words from each splitter");
            assertTrue(trindle.ask("demo", "stop").startsWith("stopping"));
            assertEquals(3, trindle.waitFor(DEADLINE), trindle.output());
        }
    }

    @Test
    void shouldCountExactlyWhatTheWorkersSentAndReceived() throws Exception
    {
        // The demo as shipped, and one more worker that keeps the pipeline (and its counts) up until the test is
        // done reading them.
        Files.writeString(directory.resolve("counted.yaml"), WordcountSample.config("wordcount.yaml") + """
              linger:
                command: [sh, -c, 'while [ ! -e done ]; do sleep 0.05; done']
                ready: started
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "counted.yaml"))
        {
            trindle.awaitWorkers("counted", workers -> workers.stream().filter(w -> !w.name().equals("linger"))
                .allMatch(w -> w.state().equals("exited")) && workers.size() == 5, "the demo's workers finished",
                DEADLINE);
            final String out = trindle.stdout();
            final long sent = number(out, "reader +\\| sent (\\d+) lines");
            final long split0 = number(out, "splitter\\.0 +\\| split (\\d+) lines");
            final long split1 = number(out, "splitter\\.1 +\\| split (\\d+) lines");
            final long counted = number(out, "counter +\\| \\d+ words, \\d+ distinct, from (\\d+) lines");
            assertEquals(500L * 20, sent, out);

            final Map<String, Object> counts = once("counted");
            final Map<String, Map<String, Object>> workers = byLabel(rows(counts, "workers"));
            assertEquals(sent, number(workers.get("reader"), "messagesOut"), workers.toString());
            assertEquals(split0, number(workers.get("splitter.0"), "messagesIn"), workers.toString());
            assertEquals(split1, number(workers.get("splitter.1"), "messagesIn"), workers.toString());
            // One words message per line split.
            assertEquals(split0, number(workers.get("splitter.0"), "messagesOut"), workers.toString());
            assertEquals(split1, number(workers.get("splitter.1"), "messagesOut"), workers.toString());
            assertEquals(counted, number(workers.get("counter"), "messagesIn"), workers.toString());
            final Map<String, Map<String, Object>> pipes = byName(rows(counts, "pipes"));
            assertEquals(split0, number(pipes.get("lines.0"), "released"));
            assertEquals(split1, number(pipes.get("lines.1"), "released"));
            assertEquals(sent, number(pipes.get("lines.0"), "sent") + number(pipes.get("lines.1"), "sent"));
            assertEquals(counted, number(pipes.get("words"), "released"));
            for (final Map<String, Object> pipe : pipes.values())
            {
                assertEquals(0, number(pipe, "queued"), pipe.toString());
                long laneSent = 0;
                for (final Map<String, Object> lane : rows(pipe, "lanes"))
                {
                    assertEquals(number(lane, "sent"), number(lane, "released"), "all released: " + lane);
                    assertEquals(number(lane, "bytesSent"), number(lane, "bytesReleased"), lane.toString());
                    assertEquals(Boolean.TRUE, lane.get("ended"), lane.toString());
                    assertEquals(0.0, rate(lane, "messagesPerSecond"), "at rest: " + lane);
                    laneSent += number(lane, "sent");
                }
                assertEquals(number(pipe, "sent"), laneSent, pipe.toString());
            }
            Files.createFile(directory.resolve("done"));
            assertEquals(0, trindle.waitFor(DEADLINE), trindle.output());
        }
    }

    @Test
    void shouldTakeTheScreenAnswerKeysAndGiveTheTerminalBack() throws Exception
    {
        Files.writeString(directory.resolve("idle.yaml"), """
            workers:
              idle:
                command: [sleep, "600"]
                ready: started
                stop-timeout: 1s
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "idle.yaml"))
        {
            trindle.awaitRunning("idle", DEADLINE);
            final Path terminal = Path.of(TopTest.class.getResource("/terminal.py").toURI());
            final Path output = Files.createDirectories(directory.resolve("top-live"));
            try (SupervisorProcess top = SupervisorProcess.start(directory, output,
                List.of("/usr/bin/python3", terminal.toString(), "--keys", "slq", "--"),
                SupervisorProcess.classPath(), "top", "idle", "--interval", "200ms"))
            {
                awaitScreen(top, "workers sorted by name");
                assertTrue(top.stdout().startsWith("\u001b[?1049h"), "the alternate screen first: " + top.stdout());
                assertTrue(top.stdout().contains("pipeline idle (supervisor "), top.stdout());
                assertTrue(Pattern.compile("\nidle +\\d+  running ").matcher(top.stdout()).find(), top.stdout());
                typeKey(top);
                awaitScreen(top, "workers sorted by cpu");
                typeKey(top);
                typeKey(top);
                assertEquals(0, top.waitFor(DEADLINE), "q quits. " + top.output());
                assertTrue(top.stdout().endsWith("\u001b[?25h\u001b[?1049l"),
                    "the cursor and the main screen are given back last: " + top.stdout());
            }
            assertTrue(trindle.ask("idle", "stop").startsWith("stopping"));
            assertEquals(3, trindle.waitFor(DEADLINE), trindle.output());
        }
    }

    /** Waits until the terminal has shown {@code text}. */
    private static void awaitScreen(final SupervisorProcess top, final String text) throws Exception
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!top.stdout().contains(text))
        {
            if (!top.isAlive() || System.nanoTime() > deadline)
            {
                fail("the terminal never showed '" + text + "'\n" + top.output());
            }
            Thread.sleep(20);
        }
    }

    /** Types the next key given to terminal.py's --keys. */
    private static void typeKey(final SupervisorProcess top) throws Exception
    {
        final int sigusr2 = 12;
        assertEquals(0, new ProcessBuilder("kill", "-" + sigusr2, Long.toString(top.pid())).inheritIO().start()
            .waitFor());
    }

    /** @return the one pipeline of one frame of {@code trindle top NAME --once --json}, parsed. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> once(final String pipeline) throws Exception
    {
        final Path output = Files.createDirectories(directory.resolve("top-" + System.nanoTime()));
        final SupervisorProcess top = SupervisorProcess.start(directory, output, "top", pipeline, "--once", "--json");
        assertEquals(0, top.waitFor(DEADLINE), top.output());
        final List<String> lines = top.stdout().lines().toList();
        assertEquals(1, lines.size(), "one frame, one line: " + top.stdout());
        final Map<String, Object> frame = (Map<String, Object>)Json.parse(lines.getFirst());
        final List<Map<String, Object>> pipelines = rows(frame, "pipelines");
        assertEquals(1, pipelines.size(), frame.toString());
        assertEquals(pipeline, pipelines.getFirst().get("pipeline"));
        return pipelines.getFirst();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(final Map<String, Object> object, final String key)
    {
        return (List<Map<String, Object>>)object.get(key);
    }

    private static Map<String, Map<String, Object>> byLabel(final List<Map<String, Object>> rows)
    {
        return rows.stream().collect(java.util.stream.Collectors.toMap(r -> (String)r.get("label"), r -> r));
    }

    private static Map<String, Map<String, Object>> byName(final List<Map<String, Object>> rows)
    {
        return rows.stream().collect(java.util.stream.Collectors.toMap(r -> (String)r.get("name"), r -> r));
    }

    private static double rate(final Map<String, Object> row, final String key)
    {
        return ((Number)row.get(key)).doubleValue();
    }

    private static long number(final Map<String, Object> row, final String key)
    {
        return ((Number)row.get(key)).longValue();
    }

    private static long number(final String text, final String pattern)
    {
        final Matcher matcher = Pattern.compile(pattern).matcher(text);
        if (!matcher.find())
        {
            fail("no line matches " + pattern + " in:\n" + text);
        }
        return Long.parseLong(matcher.group(1));
    }
}
