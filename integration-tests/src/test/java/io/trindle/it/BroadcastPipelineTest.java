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
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Broadcasts under the supervisor (docs/broadcast-format.md): one writer, readers in Java, C and Python, each checking
 * every byte of every message and that the gaps it saw add up to the loss its library counted.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BroadcastPipelineTest
{
    private static final long MESSAGES = 1_000_000;
    private static final Pattern SUMMARY = Pattern.compile(
        "(\\S+)\\s*\\| broadcast prices: delivered=(\\d+) lost=(\\d+) first=(-?\\d+) last=(-?\\d+) bad=(\\d+)(.*)");

    @TempDir
    Path directory;

    /** One reader's last line. */
    record Summary(long delivered, long lost, long first, long last, long bad, String rest)
    {
    }

    static Summary summaryOf(final String out, final String worker)
    {
        final Matcher matcher = SUMMARY.matcher(out);
        while (matcher.find())
        {
            if (matcher.group(1).equals(worker))
            {
                return new Summary(Long.parseLong(matcher.group(2)), Long.parseLong(matcher.group(3)),
                    Long.parseLong(matcher.group(4)), Long.parseLong(matcher.group(5)),
                    Long.parseLong(matcher.group(6)), matcher.group(7));
            }
        }
        return fail("no summary from reader '" + worker + "' in:\n" + out);
    }

    private String readers(final String from, final String slowEvery)
    {
        return """
              java-fast:
                java: io.trindle.it.workers.BroadcastWatcher prices %1$s 0
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
              java-slow:
                java: io.trindle.it.workers.BroadcastWatcher prices %1$s %2$s
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
              c:
                %3$s
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
              python:
                %4$s
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
            """.formatted(from, slowEvery, OtherLanguageWorkers.c("trindle-c-broadcast-reader", "prices", from, "0"),
            OtherLanguageWorkers.python("python-broadcast-reader.py", "prices", from, "0"));
    }

    private String run(final String config) throws Exception
    {
        Files.writeString(directory.resolve("broadcast.yaml"), config);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "broadcast.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(4)), trindle.output());
            return trindle.stdout();
        }
    }

    @Test
    void shouldHandEveryReaderEveryMessageInOrderUnderSlowestReader() throws Exception
    {
        final String out = run("""
            broadcasts:
              prices: { size: 256KiB, policy: slowest-reader }
            workers:
              feed:
                java: io.trindle.it.workers.BroadcastFeed prices %d
                grants: { prices: send }
                restart: never
                ready-timeout: 600s
            %s""".formatted(MESSAGES, readers("oldest", "1000")));
        assertTrue(out.contains("feed      | broadcast prices: sent=" + MESSAGES), out);
        for (final String reader : new String[] {"java-fast", "java-slow", "c", "python"})
        {
            final Summary summary = summaryOf(out, reader);
            assertEquals(new Summary(MESSAGES, 0, 0, MESSAGES - 1, 0, ""), summary, reader + " in:\n" + out);
        }
    }

    @Test
    void shouldTellTheSlowReaderExactlyHowManyItLostAndTheOthersNothingUnderLap() throws Exception
    {
        final String out = run("""
            broadcasts:
              prices: { size: 16MiB, policy: lap }
            workers:
              feed:
                java: io.trindle.it.workers.BroadcastFeed prices %d 50
                grants: { prices: send }
                restart: never
                ready-timeout: 600s
            %s""".formatted(MESSAGES, readers("oldest", "20")));
        assertTrue(out.contains("feed      | broadcast prices: sent=" + MESSAGES), out);
        for (final String reader : new String[] {"java-fast", "c", "python"})
        {
            assertEquals(new Summary(MESSAGES, 0, 0, MESSAGES - 1, 0, ""), summaryOf(out, reader),
                reader + " in:\n" + out);
        }
        // The slow one: lapped, and told exactly (its own gaps matched the count, or it would have failed).
        final Summary slow = summaryOf(out, "java-slow");
        assertTrue(slow.lost() > 0, "the slow reader was lapped: " + slow);
        assertEquals(MESSAGES - 1, slow.last(), "the last message is never lost: " + slow);
        assertEquals(MESSAGES - slow.first(), slow.delivered() + slow.lost(), "delivered + lost: " + slow);
        assertEquals(0, slow.bad());
    }
}
