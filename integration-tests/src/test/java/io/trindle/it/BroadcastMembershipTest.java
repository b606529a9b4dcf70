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
 * Readers of a broadcast come and go without disturbing the others (docs/broadcast-format.md §5.1, §5.4, §6): they
 * join late from now or from the oldest message still in the ring, leave and join again, and one SIGKILLed mid-stream
 * holds the writer no more — under slowest-reader its position is released when it dies.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BroadcastMembershipTest
{
    private static final long MESSAGES = 300_000;
    /** Under lap, enough that the 16 MiB ring (about 260 000 test messages) has wrapped before the late joins. */
    private static final long LAP_MESSAGES = 600_000;
    private static final Pattern REJOINED = Pattern.compile("(\\S+)\\s*\\| broadcast prices: rejoined first=(\\d+) " +
        "published=(\\d+)");
    private static final Pattern JOINED = Pattern.compile("(\\S+)\\s*\\| broadcast prices: joined at published=(\\d+)");

    @TempDir
    Path directory;

    private static long[] find(final Pattern pattern, final String out, final String worker)
    {
        final Matcher matcher = pattern.matcher(out);
        while (matcher.find())
        {
            if (matcher.group(1).equals(worker))
            {
                final long[] values = new long[matcher.groupCount() - 1];
                for (int i = 0; i < values.length; i++)
                {
                    values[i] = Long.parseLong(matcher.group(i + 2));
                }
                return values;
            }
        }
        return fail("no line of " + worker + " matching " + pattern + " in:\n" + out);
    }

    private static String worker(final String name, final String arguments)
    {
        return """
              %s:
                java: io.trindle.it.workers.BroadcastWatcher prices %s
                grants: { prices: read }
                restart: never
                ready-timeout: 600s
            """.formatted(name, arguments);
    }

    /** Both policies: a reader leaves and joins again from now, another from the oldest message; the others go on. */
    private static void assertRejoined(final String out, final long messages)
    {
        final long[] now = find(REJOINED, out, "leaver-now");
        assertTrue(now[0] >= now[1], "from now: the first message after joining again was published after: " +
            now[0] + " ≥ " + now[1]);
        final long[] oldest = find(REJOINED, out, "leaver-oldest");
        assertTrue(oldest[0] < oldest[1], "from the oldest: a message published before it joined again, still in " +
            "the ring: " + oldest[0] + " < " + oldest[1]);
        for (final String reader : new String[] {"leaver-now", "leaver-oldest"})
        {
            final Pattern left = Pattern.compile("(?m)^" + reader + "\\s*\\| broadcast prices: left at ");
            assertTrue(left.matcher(out).find(), out);
            final BroadcastPipelineTest.Summary summary = BroadcastPipelineTest.summaryOf(out, reader);
            assertEquals(0, summary.lost(), "passed over while away is not lost: " + summary);
            assertEquals(messages - 1, summary.last(), reader + ": " + summary);
        }
        assertEquals(new BroadcastPipelineTest.Summary(messages, 0, 0, messages - 1, 0, ""),
            BroadcastPipelineTest.summaryOf(out, "steady"), out);
    }

    @Test
    void shouldReleaseAReaderKilledMidStreamAndLetOthersLeaveAndJoinAgainUnderSlowestReader() throws Exception
    {
        Files.writeString(directory.resolve("members.yaml"), """
            broadcasts:
              prices: { size: 64KiB, policy: slowest-reader }
            workers:
              feed:
                java: io.trindle.it.workers.BroadcastFeed prices %d 50
                grants: { prices: send }
                restart: never
                ready-timeout: 600s
              victim:
                java: io.trindle.it.workers.BroadcastWatcher prices oldest 5
                grants: { prices: read }
                restart: { policy: on-failure, backoff: 1h..1h }
                ready-timeout: 600s
            %s%s%s""".formatted(MESSAGES, worker("steady", "oldest 0"),
            worker("leaver-now", "oldest 0 0 20000 30000 now"),
            worker("leaver-oldest", "oldest 0 0 20000 30000 oldest")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "members.yaml"))
        {
            // The victim, slowest of all, holds the writer: it has read some, and is far from done.
            awaitLine(trindle, "victim", "read 10000");
            final String before = trindle.ask("members", "status --json");
            final long published = publishedOf(before);
            assertTrue(published < MESSAGES / 2, "held by the slow victim: published " + published);
            assertTrue(before.contains("{\"worker\":\"victim\",\"state\":\"joined\""), before);
            final int victim = trindle.workers("members").stream().filter(w -> w.name().equals("victim"))
                .findFirst().orElseThrow().pid();
            ProcessHandle.of(victim).orElseThrow().destroyForcibly(); // SIGKILL, mid-stream

            // Dead, it holds the writer no more: its position was released, and the writer finishes without it.
            trindle.awaitStdout("| broadcast prices: sent=" + MESSAGES);
            final String after = trindle.ask("members", "status --json");
            assertTrue(after.contains("{\"worker\":\"victim\",\"state\":\"left\",\"behind\":0"), after);
            assertTrue(after.contains("\"published\":" + MESSAGES), after);
            for (final String reader : new String[] {"steady", "leaver-now", "leaver-oldest"})
            {
                awaitLine(trindle, reader, "broadcast prices: delivered=");
            }
            final String text = trindle.ask("members", "status");
            assertTrue(text.contains("BROADCAST") && text.contains("slowest-reader") &&
                text.contains("reader victim ") && text.contains("left"), text);
            trindle.ask("members", "stop");
            trindle.waitFor(Duration.ofMinutes(1));
            final String out = trindle.stdout();
            assertRejoined(out, MESSAGES);
            assertTrue(trindle.stderr().contains("worker victim was killed by SIGKILL"), trindle.stderr());
        }
    }

    @Test
    void shouldLetReadersJoinLateFromNowOrFromTheOldestAndLeaveAndJoinAgainUnderLap() throws Exception
    {
        Files.writeString(directory.resolve("members.yaml"), """
            broadcasts:
              prices: { size: 16MiB, policy: lap }
            workers:
              feed:
                java: io.trindle.it.workers.BroadcastFeed prices %d 50
                grants: { prices: send }
                restart: never
                ready-timeout: 600s
            %s%s%s%s%s""".formatted(LAP_MESSAGES, worker("steady", "oldest 0"),
            worker("late-now", "now 0 400000"), worker("late-oldest", "oldest 0 400000"),
            worker("leaver-now", "oldest 0 0 20000 30000 now"),
            worker("leaver-oldest", "oldest 0 0 20000 30000 oldest")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "members.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(3)), trindle.output());
            final String out = trindle.stdout();
            assertRejoined(out, LAP_MESSAGES);
            final long joinedNow = find(JOINED, out, "late-now")[0];
            final BroadcastPipelineTest.Summary now = BroadcastPipelineTest.summaryOf(out, "late-now");
            assertTrue(joinedNow >= 400_000 && now.first() >= joinedNow, "late, from now: " + now + " joined at " +
                joinedNow);
            final long joinedOldest = find(JOINED, out, "late-oldest")[0];
            final BroadcastPipelineTest.Summary oldest = BroadcastPipelineTest.summaryOf(out, "late-oldest");
            assertTrue(oldest.first() > 0 && oldest.first() < joinedOldest, "late, from the oldest still in the " +
                "ring (which has wrapped): " + oldest + " joined at " + joinedOldest);
            for (final BroadcastPipelineTest.Summary late : new BroadcastPipelineTest.Summary[] {now, oldest})
            {
                assertEquals(LAP_MESSAGES - 1, late.last());
                assertEquals(LAP_MESSAGES - late.first(), late.delivered() + late.lost(), late.toString());
            }
        }
    }

    /** Waits for a line of {@code worker}'s output that starts with {@code text}. */
    private static void awaitLine(final SupervisorProcess trindle, final String worker, final String text)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        final Pattern line = Pattern.compile("(?m)^" + worker + "\\s*\\| " + Pattern.quote(text));
        while (!line.matcher(trindle.stdout()).find())
        {
            if (System.nanoTime() > deadline || !trindle.isAlive())
            {
                fail("no line '" + text + "' from " + worker + " in:\n" + trindle.output());
            }
            Thread.sleep(20);
        }
    }

    private static long publishedOf(final String json)
    {
        final Matcher matcher = Pattern.compile("\"name\":\"prices\",\"policy\":\"[a-z-]+\",\"published\":(\\d+)")
            .matcher(json);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : fail("no broadcast in " + json);
    }
}
