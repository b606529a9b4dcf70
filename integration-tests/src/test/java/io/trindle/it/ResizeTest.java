package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Resizing a pipe in use (docs/pipe-format.md §9): three sending processes and a receiver run while the pipe's lanes
 * grow and shrink, by the receiver's own request and by {@code trindle resize}; every one of a million checksummed
 * messages arrives once, in order, lane by lane. The receiver is written in each language (ResizeSink in Java,
 * trindle-c-resize-sink over libtrindle, python-resize-sink.py over the Python package); the senders are Java.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResizeTest
{
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Each source sends at least this many: a million and two in all. */
    private static final long PER_SOURCE = 333_334;
    private static final Pattern SENT = Pattern.compile("source\\.(\\d) +\\| sent (\\d+) messages, checksum (0x\\w+)");

    /** The language of the receiver: each runs the same checks and prints the same lines. */
    enum Receiver
    {
        JAVA, C, PYTHON;

        /** @return the receiver's command (and environment) in the config, with its two arguments. */
        String worker(final long resizeAfter, final int resizeTo)
        {
            final String after = Long.toString(resizeAfter);
            final String to = Integer.toString(resizeTo);
            return switch (this)
            {
                case JAVA -> "java: io.trindle.it.workers.ResizeSink %s %s".formatted(after, to);
                case C -> OtherLanguageWorkers.c("trindle-c-resize-sink", after, to);
                case PYTHON -> OtherLanguageWorkers.python("python-resize-sink.py", after, to);
            };
        }
    }

    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(Receiver.class)
    void shouldLoseDuplicateAndReorderNothingWhileLanesGrowAndShrink(final Receiver receiver) throws Exception
    {
        final String name = "resize-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        // A stop comes once the resizes are done, and a source still short of its count sends on after it: the
        // stop timeouts give the slowest receiver (Python's) the time to take every message rather than the
        // default 5 s, after which the supervisor would kill the workers.
        Files.writeString(directory.resolve("resize.yaml"), """
            name: %s
            pipes:
              work: { lane: 4KiB }
            workers:
              source:
                java: io.trindle.it.workers.ResizeSource %d
                replicas: 3
                grants: { work: send }
                restart: never
                ready-timeout: 600s
                stop-timeout: 120s
              sink:
                %s
                grants: { work: receive }
                restart: never
                ready-timeout: 600s
                stop-timeout: 120s
            """.formatted(name, PER_SOURCE, receiver.worker(20_000, 16384)));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "resize.yaml"))
        {
            trindle.awaitRunning(name, WAIT);
            trindle.awaitStdout("resized work to 16384 after ");
            // Up, down below what the lanes may hold, far up, and down again: each once the one before is done.
            for (final int size : new int[] {65536, 4096, 1 << 20, 8192})
            {
                resize(trindle, name, Integer.toString(size));
            }
            // And once by the command line, once the last move is done.
            while (true)
            {
                final SupervisorProcess client = SupervisorProcess.start(directory,
                    Files.createTempDirectory(directory, "client"), "resize", name, "work", "32k");
                final int status = client.waitFor(WAIT);
                if (status == 0)
                {
                    assertTrue(client.stdout().startsWith("resizing pipe 'work' to lanes of 32768 bytes: 3 lanes " +
                        "move"), client.output());
                    break;
                }
                assertTrue(client.stderr().contains("its last resize is still under way"), client.output());
            }
            assertEquals("stopping\n", trindle.ask(name, "stop"));
            assertEquals(3, trindle.waitFor(WAIT), "stopped on request. " + trindle.output());
            final String out = trindle.stdout();
            final Matcher sent = SENT.matcher(out);
            int sources = 0;
            long total = 0;
            while (sent.find())
            {
                final int lane = Integer.parseInt(sent.group(1)); // source replica i sends on lane i
                final long count = Long.parseLong(sent.group(2));
                assertTrue(count >= PER_SOURCE, sent.group());
                assertTrue(Pattern.compile("sink +\\| lane " + lane + ": received " + count + " messages, in order: " +
                    "true, checksum " + sent.group(3) + "\n").matcher(out).find(),
                    "lane " + lane + " as sent: " + sent.group() + "\n" + out);
                total += count;
                sources++;
            }
            assertEquals(3, sources, out);
            assertTrue(total >= 1_000_000, "a million messages: " + total);
            final String err = trindle.stderr();
            assertEquals(6, err.split("trindle: resizing pipe 'work' to lanes of", -1).length - 1, err);
        }
    }

    @Test
    void shouldMoveASenderRestartedBeforeItWroteItsMovedRecord() throws Exception
    {
        // The sender gets its move while it sends nothing, and is restarted before it ever sends: the restarted
        // process is granted the old lane and the move again, moves at its first send, and nothing is lost.
        final String name = "resize-restart-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        final Path go = directory.resolve("go");
        Files.writeString(directory.resolve("restart.yaml"), """
            name: %s
            pipes:
              work: { lane: 4KiB }
            workers:
              source:
                java: io.trindle.it.workers.ResizeSource 50000 %s
                grants: { work: send }
                restart-safe: true
                ready-timeout: 600s
              sink:
                java: io.trindle.it.workers.ResizeSink -1 0
                grants: { work: receive }
                restart: never
                ready-timeout: 600s
            """.formatted(name, go));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "restart.yaml"))
        {
            final int pid = trindle.awaitRunning(name, WAIT).getFirst().pid();
            assertTrue(trindle.ask(name, "resize work 65536").startsWith("resizing pipe 'work' to lanes of 65536 " +
                "bytes: 1 lane moves"));
            assertTrue(trindle.ask(name, "resize work 8192").contains("sender source has not moved yet"));
            assertEquals("restarting worker source\n", trindle.ask(name, "restart source"));
            trindle.awaitWorkers(name, workers -> workers.getFirst().pid() > 0 && workers.getFirst().pid() != pid &&
                workers.getFirst().state().equals("running"), "the source restarted", WAIT);
            Files.createFile(go);
            resize(trindle, name, "8192"); // accepted once the restarted source moved and the sink followed
            assertEquals("stopping\n", trindle.ask(name, "stop"));
            assertEquals(3, trindle.waitFor(WAIT), "stopped on request. " + trindle.output());
            final String out = trindle.stdout();
            final Matcher sent = Pattern.compile("source +\\| sent (\\d+) messages, checksum (0x\\w+)").matcher(out);
            assertTrue(sent.find(), out);
            assertTrue(Pattern.compile("sink +\\| lane 0: received " + sent.group(1) + " messages, in order: true, " +
                "checksum " + sent.group(2) + "\n").matcher(out).find(), out);
        }
    }

    /** Resizes through the status socket, asking again while the last resize is still under way. */
    private static void resize(final SupervisorProcess trindle, final String name, final String size) throws Exception
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline)
        {
            final String answer = trindle.ask(name, "resize work " + size);
            if (answer.startsWith("resizing pipe 'work' to lanes of " + size + " bytes: "))
            {
                return;
            }
            assertTrue(answer.contains("its last resize is still under way"), answer);
            Thread.sleep(20); // between looks at the state, as SupervisorProcess.awaitWorkers does
        }
        fail("the resize to " + size + " was refused until the end: the last one never finished\n" + trindle.output());
    }
}
