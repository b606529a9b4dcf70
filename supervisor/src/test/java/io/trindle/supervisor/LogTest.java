package io.trindle.supervisor;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log of {@code trindle run}: its times (RFC 3339, never going back), its text lines as they were before times,
 * its JSON lines with every string escaped, and its lines whole and in time order when threads write to both streams
 * at once.
 */
class LogTest
{
    private static final Instant START = Instant.parse("2026-12-02T05:08:36.123456Z");

    /** Both streams into one buffer, as {@code 2>&1} puts them into one file. */
    private final ByteArrayOutputStream both = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(both, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(both, true, StandardCharsets.UTF_8);

    @Test
    void shouldWriteTimesAsRfc3339WithMillisecondsInTheZoneAsked()
    {
        final LogClock paris = new LogClock(Log.Time.LOCAL, ZoneId.of("Europe/Paris"), START, 1000);
        assertEquals("2026-12-02T06:08:36.123+01:00", paris.at(1000));
        assertEquals("2026-12-02T06:08:36.124+01:00", paris.at(1000 + 1_000_000), "the monotonic time since, added");
        assertEquals("2026-12-02T06:08:37.123+01:00", paris.at(1000 + 1_000_000_000));
        final LogClock utc = new LogClock(Log.Time.UTC, ZoneId.of("Europe/Paris"), START, 1000);
        assertEquals("2026-12-02T05:08:36.123Z", utc.at(1000));
        assertEquals("2026-12-02T05:08:36.123+00:00",
            new LogClock(Log.Time.LOCAL, ZoneOffset.UTC, START, 1000).at(1000), "local time says its offset, even 0");
        assertNull(new LogClock(Log.Time.NONE, ZoneOffset.UTC, START, 1000).at(1000));
        assertEquals(START.plusNanos(5_000_000).toEpochMilli(),
            OffsetDateTime.parse(paris.at(1000 + 5_000_000)).toInstant().toEpochMilli());
    }

    @Test
    void shouldWriteTextLinesAsBeforeAfterTheTime()
    {
        final Log log = new Log(out, err, Log.Format.TEXT, new LogClock(Log.Time.NONE), false, false);
        log.pipeline("p");
        log.worker("reader", 0, false, "reader | ", "sent 10 lines");
        new Reporter(log).say("starting pipeline '%s'", "p");
        new Reporter(log).event(LogEvent.SPAWN, null).say("not in the text log");
        new Reporter(log).sayAsIs("p.yaml:3:5: first\np.yaml:4:5: second");
        assertEquals("reader | sent 10 lines\ntrindle: starting pipeline 'p'\np.yaml:3:5: first\np.yaml:4:5: second\n",
            text());

        both.reset();
        final Log timed = new Log(out, err, Log.Format.TEXT, new LogClock(Log.Time.UTC), false, false);
        new Reporter(timed).sayAsIs("one\ntwo");
        for (final String line : text().split("\n"))
        {
            final int space = line.indexOf(' ');
            assertTrue(line.substring(0, space).endsWith("Z"), line);
            OffsetDateTime.parse(line.substring(0, space));
        }
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithItsFields()
    {
        final Log log = new Log(out, err, Log.Format.JSON, new LogClock(Log.Time.NONE), true, true);
        log.worker("splitter", 1, true, "ignored | ", "a \"quoted\" \\ back\tslash\u0001\u001b[31m\uFFFD\ud800");
        log.pipeline("p");
        final Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pid", 42);
        fields.put("signal", "SIGKILL");
        log.supervisor(LogEvent.EXIT, "splitter", 1, fields, "worker splitter.1 was killed by SIGKILL", "unused");
        assertEquals("{\"pipeline\":null,\"worker\":\"splitter\",\"replica\":1,\"stream\":\"stderr\",\"message\":" +
            "\"a \\\"quoted\\\" \\\\ back\\tslash\\u0001\\u001b[31m\uFFFD\uFFFD\"}\n" +
            "{\"pipeline\":\"p\",\"stream\":\"supervisor\",\"event\":\"exit\",\"message\":\"worker splitter.1 was " +
            "killed by SIGKILL\",\"worker\":\"splitter\",\"replica\":1,\"pid\":42,\"signal\":\"SIGKILL\"}\n", text());
    }

    @Test
    void shouldKeepTheEventNamesThatReadersMatchOn()
    {
        assertEquals(List.of("start", "spawn", "exit", "restart", "refused", "stop", "finish", "message", "transfer",
            "redeem", "bounce", "bundle", "unpack", "grant"),
            Stream.of(LogEvent.values()).map(event -> event.key).toList());
        assertEquals(List.of(LogEvent.SPAWN, LogEvent.EXIT, LogEvent.TRANSFER, LogEvent.REDEEM, LogEvent.BOUNCE,
            LogEvent.BUNDLE, LogEvent.UNPACK, LogEvent.GRANT),
            Stream.of(LogEvent.values()).filter(event -> !event.inText).toList());
    }

    @Test
    void shouldReadTheChoicesAsTyped()
    {
        assertEquals(Log.Format.JSON, Log.named(Log.Format.class, "json"));
        assertEquals(Log.Time.NONE, Log.named(Log.Time.class, "none"));
        assertNull(Log.named(Log.Format.class, "JSON"));
        assertNull(Log.named(Log.Time.class, "gmt"));
        assertEquals("local|utc|none", Log.choices(Log.Time.class));
    }

    @Test
    void shouldWriteWholeLinesWhoseTimesNeverGoBackWhenThreadsWriteToBothStreams() throws Exception
    {
        final Log log = new Log(out, err, Log.Format.TEXT, new LogClock(Log.Time.UTC), false, false);
        final int linesEach = 2000;
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++)
        {
            final int worker = t;
            threads.add(Thread.ofPlatform().start(() ->
            {
                for (int i = 0; i < linesEach; i++)
                {
                    log.worker("w" + worker, 0, i % 2 == 0, "w" + worker + " | ", "line " + i + " " + "x".repeat(100));
                }
            }));
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        final List<String> lines = text().lines().toList();
        assertEquals(4 * linesEach, lines.size());
        Instant last = Instant.MIN;
        for (final String line : lines)
        {
            assertTrue(line.matches("\\S+Z w[0-3] \\| line \\d+ x{100}"), "a whole line: " + line);
            final Instant time = OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant();
            assertFalse(time.isBefore(last), "times never go back: " + line + " after " + last);
            last = time;
        }
    }

    private String text()
    {
        return both.toString(StandardCharsets.UTF_8);
    }
}
