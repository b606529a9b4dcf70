package io.trindle.it;

import io.trindle.supervisor.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The log of {@code trindle run}, read back whole: as JSON every line is one valid object with its fields, whatever
 * bytes the workers wrote, and the supervisor's events say the start, each process's start and end, the restart and
 * the finish; as text every line starts with an RFC 3339 time. In both, the times never go back, in either stream.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LogFormatTest
{
    /** The time as the tests' own supervisors have it: none. Taken out here, for the default. */
    private static final Map<String, String> DEFAULT_TIME = new HashMap<>();

    static
    {
        DEFAULT_TIME.put(SupervisorProcess.LOG_TIME, null);
    }

    @TempDir
    Path directory;

    /**
     * Two workers that print on stdout and stderr; {@code flaky} fails the first time (status 3) and is restarted,
     * then finishes.
     */
    private void writePipeline() throws IOException
    {
        final Path once = directory.resolve("once");
        final String flaky = "echo try; echo oops >&2; if [ -e " + once + " ]; then echo again; exit 0; fi; touch " +
            once + "; exit 3";
        Files.writeString(directory.resolve("two.yaml"), """
            name: two
            workers:
              talker:
                command: [sh, -c, "for i in 1 2 3 4 5; do echo out $i; echo err $i >&2; done"]
                ready: started
              flaky:
                command: [sh, -c, "%s"]
                ready: started
                restart: { policy: on-failure, backoff: 10ms..1s, intensity: 3/10s }
            """.formatted(flaky));
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheEventsAndTimesInOrder() throws Exception
    {
        writePipeline();
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, DEFAULT_TIME, "run", "--log-format",
            "json", "two.yaml"))
        {
            final int status = trindle.waitFor(Duration.ofSeconds(60));
            final List<Map<String, Object>> out = jsonLines(directory.resolve("supervisor.out"));
            final List<Map<String, Object>> err = jsonLines(directory.resolve("supervisor.err"));
            final String all = trindle.output();
            assertTimesInOrder(out, all);
            assertTimesInOrder(err, all);

            for (final Map<String, Object> line : out)
            {
                assertEquals(List.of("time", "pipeline", "worker", "replica", "stream", "message"),
                    List.copyOf(line.keySet()), all);
                assertEquals("two", line.get("pipeline"));
                assertEquals("stdout", line.get("stream"));
                assertEquals(0L, line.get("replica"));
            }
            assertEquals(List.of("out 1", "out 2", "out 3", "out 4", "out 5"), messages(out, "talker"), all);
            assertEquals(List.of("try", "try", "again"), messages(out, "flaky"), all);

            final List<Map<String, Object>> workerErr = err.stream().filter(l -> l.get("stream").equals("stderr"))
                .toList();
            assertEquals(List.of("err 1", "err 2", "err 3", "err 4", "err 5"), messages(workerErr, "talker"), all);
            assertEquals(List.of("oops", "oops"), messages(workerErr, "flaky"), all);

            final List<Map<String, Object>> events = err.stream().filter(l -> l.get("stream").equals("supervisor"))
                .toList();
            // The workers' events interleave as their processes go; each worker's own are in the order checked below.
            final Map<Object, Long> counts = new HashMap<>();
            for (final Map<String, Object> event : events)
            {
                assertEquals(List.of("time", "pipeline", "stream", "event", "message"),
                    List.copyOf(event.keySet()).subList(0, 5), all);
                counts.merge(event.get("event"), 1L, Long::sum);
            }
            counts.remove("message");
            assertEquals(Map.of("start", 1L, "spawn", 3L, "exit", 3L, "restart", 1L, "finish", 1L), counts, all);
            assertEquals("start", events.getFirst().get("event"), all);
            assertEquals(2L, events.getFirst().get("workers"), all);
            final Map<String, Object> finish = events.getLast();
            assertEquals("finish", finish.get("event"), all);
            assertEquals((long)status, finish.get("status"), all);
            assertTrue(status == 0 || status == 4, "finished, flaky being restarted once. " + all);

            final List<Map<String, Object>> flaky = events.stream().filter(e -> "flaky".equals(e.get("worker")))
                .toList();
            assertEquals(List.of("spawn", "exit", "restart", "spawn", "exit"),
                flaky.stream().map(e -> e.get("event")).toList(), all);
            final Object firstPid = flaky.get(0).get("pid");
            assertTrue((Long)firstPid > 0, all);
            assertEquals(firstPid, flaky.get(1).get("pid"), "the exit names the process that started. " + all);
            assertEquals(3L, flaky.get(1).get("exit"), all);
            assertEquals(1L, flaky.get(2).get("restart"), all);
            assertEquals(10L, flaky.get(2).get("delayMs"), all);
            assertFalse(firstPid.equals(flaky.get(3).get("pid")), "a new process. " + all);
            assertEquals(0L, flaky.get(4).get("exit"), all);
            for (final Map<String, Object> event : flaky)
            {
                assertEquals(0L, event.get("replica"), all);
                assertTrue(event.get("message") instanceof String text && text.contains("flaky"), all);
            }
            assertEquals(List.of("spawn", "exit"), events.stream().filter(e -> "talker".equals(e.get("worker")))
                .map(e -> e.get("event")).toList(), all);
        }
    }

    @Test
    void shouldStartEveryTextLineWithItsTimeInTheZoneAsked() throws Exception
    {
        writePipeline();
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, DEFAULT_TIME, "run", "two.yaml"))
        {
            trindle.waitFor(Duration.ofSeconds(60));
            final List<String> lines = textLines(directory, trindle.output());
            assertTrue(lines.stream().anyMatch(l -> l.contains(" trindle: starting pipeline 'two'")), lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.contains(" talker | out 5")), lines.toString());
            for (final String line : lines)
            {
                assertTrue(line.substring(0, line.indexOf(' ')).matches(".*\\.\\d{3}[+-]\\d\\d:\\d\\d"),
                    "local time, with its offset: " + line);
            }
        }
        Files.delete(directory.resolve("once"));
        // The option wins over the environment (none, as every test's supervisor has it).
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "--log-time", "utc", "two.yaml"))
        {
            trindle.waitFor(Duration.ofSeconds(60));
            for (final String line : textLines(directory, trindle.output()))
            {
                assertTrue(line.substring(0, line.indexOf(' ')).matches(".*\\.\\d{3}Z"), "UTC: " + line);
            }
        }
    }

    @Test
    void shouldWriteValidJsonWhateverBytesAWorkerPrints() throws Exception
    {
        final Path script = Files.write(directory.resolve("bytes.sh"), ("""
            printf 'bad \\377\\376 bytes\\n'
            printf 'q "x" \\\\ back \\001\\033[31m tab\\there\\n' >&2
            printf 'no newline at the end'
            """).getBytes(StandardCharsets.UTF_8));
        Files.writeString(directory.resolve("bytes.yaml"), """
            name: bytes
            workers:
              printer:
                command: [sh, %s]
                ready: started
            """.formatted(script));
        final Map<String, String> json = new HashMap<>();
        json.put("TRINDLE_LOG_FORMAT", "json");
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, json, "run", "bytes.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            final List<Map<String, Object>> out = jsonLines(directory.resolve("supervisor.out"));
            final List<Map<String, Object>> err = jsonLines(directory.resolve("supervisor.err"));
            assertEquals(List.of("bad \uFFFD\uFFFD bytes", "no newline at the end"), messages(out, "printer"),
                trindle.output());
            assertEquals(List.of("q \"x\" \\ back \u0001\u001b[31m tab\there"),
                messages(err.stream().filter(l -> l.get("stream").equals("stderr")).toList(), "printer"),
                trindle.output());
            assertFalse(out.getFirst().containsKey("time"), "no time, as the environment says");
        }
    }

    @Test
    void shouldSayAConfigsProblemsAndThatNothingStartedAsJson() throws Exception
    {
        Files.writeString(directory.resolve("bad.yaml"), """
            workers:
              writer:
                command: [sh, -c, "true"]
                grants: { lnes: send }
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "--log-format", "json",
            "bad.yaml"))
        {
            assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertEquals(List.of(), jsonLines(directory.resolve("supervisor.out")), trindle.output());
            final List<Map<String, Object>> err = jsonLines(directory.resolve("supervisor.err"));
            assertTrue(err.size() >= 2, trindle.output());
            for (final Map<String, Object> line : err)
            {
                assertTrue(line.containsKey("pipeline") && line.get("pipeline") == null, "no pipeline yet: " + line);
                assertEquals("supervisor", line.get("stream"), trindle.output());
            }
            assertEquals("message", err.getFirst().get("event"), trindle.output());
            assertTrue(((String)err.getFirst().get("message")).startsWith("bad.yaml:4:"), trindle.output());
            assertEquals(Map.of("pipeline", "null", "stream", "supervisor", "event", "finish", "message",
                "nothing was started", "status", "2"), strings(err.getLast()), trindle.output());
        }
    }

    @Test
    void shouldSayEachRefusedOperationAsAnEventWithItsWorkerAndReason() throws Exception
    {
        // CapabilityTest's pipeline: alice tries a widening and a move without TRANSFER, mallory forges a token
        // that bob presents.
        Files.writeString(directory.resolve("caps.yaml"), "name: caps\n" +
            CapabilityPipeline.config(CapabilityPipeline.JAVA_BOB, ""));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "--log-format", "json",
            "caps.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final List<Map<String, Object>> refused = jsonLines(directory.resolve("supervisor.err")).stream()
                .filter(l -> "refused".equals(l.get("event"))).toList();
            final Map<String, Object> transfer = refused.stream().filter(l -> "transfer".equals(l.get("operation")))
                .findFirst().orElseThrow(() -> new AssertionError("no refused transfer. " + trindle.output()));
            assertEquals("alice", transfer.get("worker"), trindle.output());
            assertTrue((Long)transfer.get("pid") > 0, trindle.output());
            assertTrue(((String)transfer.get("reason")).startsWith("moving object 0x") ||
                ((String)transfer.get("reason")).startsWith("worker alice asked to give"), trindle.output());
            assertEquals("refused a transfer by worker alice: " + transfer.get("reason"), transfer.get("message"));
            final Map<String, Object> redeem = refused.stream().filter(l -> "redeem".equals(l.get("operation")))
                .findFirst().orElseThrow(() -> new AssertionError("no refused redeem. " + trindle.output()));
            assertEquals("bob", redeem.get("worker"), trindle.output());
            assertTrue(((String)redeem.get("reason")).contains("token 0x5eedf00ddeadbeef was never issued"),
                trindle.output());
        }
    }

    /** @return the object with every value as a string, {@code null} as {@code "null"}. */
    private static Map<String, String> strings(final Map<String, Object> object)
    {
        final Map<String, String> strings = new HashMap<>();
        object.forEach((key, value) -> strings.put(key, String.valueOf(value)));
        return strings;
    }

    /** @return the messages of {@code worker}'s lines, in order. */
    private static List<Object> messages(final List<Map<String, Object>> lines, final String worker)
    {
        return lines.stream().filter(l -> worker.equals(l.get("worker")) && !"supervisor".equals(l.get("stream")))
            .map(l -> l.get("message")).toList();
    }

    /** Fails unless every line's time parses as RFC 3339 and none is before the one above it. */
    private static void assertTimesInOrder(final List<Map<String, Object>> lines, final String output)
    {
        OffsetDateTime last = null;
        for (final Map<String, Object> line : lines)
        {
            final OffsetDateTime time = OffsetDateTime.parse((String)line.get("time"));
            assertTrue(last == null || !time.isBefore(last), "the times go back at " + line + "\n" + output);
            last = time;
        }
    }

    /** @return the lines of both files, each checked to have a time before its first space, in order. */
    private static List<String> textLines(final Path directory, final String output) throws IOException
    {
        final List<String> all = new ArrayList<>();
        for (final String file : List.of("supervisor.out", "supervisor.err"))
        {
            OffsetDateTime last = null;
            for (final String line : Files.readAllLines(directory.resolve(file)))
            {
                final int space = line.indexOf(' ');
                assertTrue(space > 0, "a time, then a space: " + line + "\n" + output);
                final OffsetDateTime time = OffsetDateTime.parse(line.substring(0, space));
                assertTrue(last == null || !time.isBefore(last), "the times go back at " + line + "\n" + output);
                last = time;
                all.add(line);
            }
        }
        assertFalse(all.isEmpty(), output);
        return all;
    }

    /** @return every line of {@code file} as a JSON object; fails unless the file is UTF-8 and each line one. */
    private static List<Map<String, Object>> jsonLines(final Path file) throws IOException
    {
        final String text;
        try
        {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(file)))
                .toString();
        }
        catch (final CharacterCodingException e)
        {
            fail(file + " is not UTF-8: " + e);
            return List.of();
        }
        assertTrue(text.isEmpty() || text.endsWith("\n"), file + " ends with a whole line");
        final List<Map<String, Object>> lines = new ArrayList<>();
        for (final String line : text.lines().toList())
        {
            final Object value = Json.parse(line);
            if (!(value instanceof Map<?, ?>))
            {
                fail("not a JSON object: " + line);
            }
            @SuppressWarnings("unchecked")
            final Map<String, Object> object = (Map<String, Object>)value;
            lines.add(object);
        }
        return lines;
    }
}
