package io.trindle.it;

import io.trindle.supervisor.Json;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trindle tap} and {@code trindle record} beside a running pipeline (docs/pipe-format.md §5.1): the tap shows
 * exactly the messages the receiver gets, in order per lane, and the receiver's result is what it is without a tap.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TapTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int COUNT = 40_000;

    @TempDir
    Path directory;

    /**
     * Two ordinary programs send numbered lines into one pipe (two lanes), once the file {@code go} exists; an ordinary
     * program writes what it receives to {@code out.txt}.
     */
    private void writeConfig() throws Exception
    {
        Files.writeString(directory.resolve("taps.yaml"), """
            pipes:
              lines: {}
            workers:
              a:
                command: [sh, -c, "while [ ! -e go ]; do sleep 0.02; done; seq 1 %1$d | sed s/^/a/"]
                stdout: lines
              b:
                command: [sh, -c, "while [ ! -e go ]; do sleep 0.02; done; seq 1 %1$d | sed s/^/b/"]
                stdout: lines
              sink:
                command: [sh, -c, "cat > out.txt"]
                stdin: lines
            """.formatted(COUNT));
    }

    private SupervisorProcess cli(final String... arguments) throws Exception
    {
        return SupervisorProcess.start(directory, Files.createTempDirectory(directory, "cli"), arguments);
    }

    private static List<String> expected(final String prefix)
    {
        return IntStream.rangeClosed(1, COUNT).mapToObj(i -> prefix + i).toList();
    }

    private static List<String> only(final List<String> lines, final String prefix)
    {
        return lines.stream().filter(line -> line.startsWith(prefix)).toList();
    }

    @Test
    void shouldShowExactlyWhatTheReceiverGetsInOrderPerLaneAndChangeNothing() throws Exception
    {
        writeConfig();
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "taps.yaml"))
        {
            run.awaitRunning("taps", DEADLINE);
            final SupervisorProcess tap = cli("tap", "taps", "lines", "--format", "json");
            tap.awaitStderr("trindle: tapping pipe 'lines' of pipeline 'taps' (2 lanes)");
            Files.createFile(directory.resolve("go"));
            assertEquals(0, run.waitFor(DEADLINE), run.output());
            assertEquals(0, tap.waitFor(DEADLINE), tap.output());
            assertTrue(tap.stderr().contains("trindle: pipe 'lines' ended: " + 2 * COUNT + " message(s)"),
                tap.stderr());

            // The receiver's result is unchanged: every line of each sender, in its order.
            final List<String> received = Files.readAllLines(directory.resolve("out.txt"));
            assertEquals(2 * COUNT, received.size());
            assertEquals(expected("a"), only(received, "a"));
            assertEquals(expected("b"), only(received, "b"));

            // The tap saw the same messages, each lane in its order with its sender and increasing sequences.
            final List<String> tapped = new ArrayList<>();
            final long[] lastSequence = {-1, -1};
            for (final String line : tap.stdout().lines().toList())
            {
                @SuppressWarnings("unchecked")
                final Map<String, Object> message = (Map<String, Object>)Json.parse(line);
                final String text = (String)message.get("text");
                final int lane = ((Number)message.get("lane")).intValue();
                assertEquals(text.startsWith("a") ? 0 : 1, lane, line);
                assertEquals(text.startsWith("a") ? "a.0" : "b.0", message.get("sender"), line);
                final long sequence = ((Number)message.get("sequence")).longValue();
                assertTrue(sequence > lastSequence[lane], line);
                lastSequence[lane] = sequence;
                tapped.add(text);
            }
            assertEquals(expected("a"), only(tapped, "a"));
            assertEquals(expected("b"), only(tapped, "b"));
            assertTrue(run.stderr().contains("pipe 'lines' is no longer tapped"), run.output());
        }
    }

    @Test
    void shouldStopAtTheLimitLetGoAndLetAnotherTapIn() throws Exception
    {
        writeConfig();
        try (SupervisorProcess run = SupervisorProcess.start(directory, "run", "taps.yaml"))
        {
            run.awaitRunning("taps", DEADLINE);
            final SupervisorProcess first = cli("tap", "taps", "lines", "--limit", "5");
            first.awaitStderr("trindle: tapping pipe 'lines'");
            final SupervisorProcess refused = cli("record", "taps", "lines", "--to", "recording");
            assertEquals(1, refused.waitFor(DEADLINE));
            assertTrue(refused.stderr().contains("refused: pipe 'lines' is already tapped"), refused.output());
            final SupervisorProcess resize = cli("resize", "taps", "lines", "64k");
            assertEquals(1, resize.waitFor(DEADLINE));
            assertTrue(resize.stderr().contains("a tap reads it"), resize.output());

            Files.createFile(directory.resolve("go"));
            assertEquals(0, first.waitFor(DEADLINE), first.output());
            assertEquals(5, first.stdout().lines().count(), first.output());
            final String shown =
                "\\d\\d:\\d\\d:\\d\\d\\.\\d{6} lines lane [01] \\([ab]\\.0\\) #\\d+ \\d bytes: [ab]\\d";
            assertTrue(first.stdout().lines().allMatch(line -> line.matches(shown)), first.output());
            // Let go: the senders are no longer held, the pipeline runs to its end with every message delivered.
            assertEquals(0, run.waitFor(DEADLINE), run.output());
            assertEquals(2 * COUNT, Files.readAllLines(directory.resolve("out.txt")).size());
        }
        final SupervisorProcess none = cli("tap", "taps", "lines");
        assertEquals(1, none.waitFor(DEADLINE));
        assertTrue(none.stderr().contains("no pipeline 'taps' is running"), none.output());
    }
}
