package io.trindle.it;

import io.trindle.samples.wordcount.WordCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The word-count pipeline on a large input while a splitter is SIGKILLed again and again: each time the
 * supervisor restarts it, it carries on from its pipe's unreleased lines, and the final counts equal a
 * single-process reference count exactly — nothing lost, and the lines delivered twice counted once.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SplitterCrashTest
{
    private static final int REPEAT = 4000; // 80 000 lines
    private static final int KILLS = 6;

    @TempDir
    Path directory;

    @Test
    void shouldCountExactlyWhileASplitterIsKilledRepeatedly() throws Exception
    {
        Files.writeString(directory.resolve("crashing.yaml"), """
            pipes:
              lines: { lane: 64KiB }
              words: { lane: 256KiB }
            workers:
              reader:
                java: io.trindle.samples.wordcount.Reader --repeat %d
                ready-timeout: 600s
                grants: { lines: send }
              splitter:
                java: io.trindle.samples.wordcount.Splitter
                ready-timeout: 600s
                replicas: 2
                grants: { lines: receive, words: send }
                restart: { policy: on-failure, backoff: 50ms..200ms, intensity: 20/10s }
                restart-safe: true     # it keeps nothing; the counter counts a line sent again once
              counter:
                java: io.trindle.samples.wordcount.Counter --output counts.txt
                ready-timeout: 600s
                grants: { words: receive }
            """.formatted(REPEAT));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "crashing.yaml"))
        {
            int kills = 0;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (kills < KILLS && System.nanoTime() < deadline)
            {
                final List<SupervisorProcess.Worker> workers;
                try
                {
                    workers = trindle.workers("crashing");
                }
                catch (final java.io.IOException notYetBound)
                {
                    Thread.sleep(20);
                    continue;
                }
                if (workers.stream().anyMatch(w -> w.name().equals("counter") && !w.state().equals("running")))
                {
                    Thread.sleep(20);
                    continue;
                }
                final int replica = kills % 2;
                final SupervisorProcess.Worker splitter = workers.stream()
                    .filter(w -> w.name().equals("splitter") && w.replica() == replica && w.state().equals("running"))
                    .findFirst().orElse(null);
                if (splitter != null)
                {
                    ProcessHandle.of(splitter.pid()).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
                    kills++;
                    Thread.sleep(300);
                }
                else
                {
                    Thread.sleep(20);
                }
            }
            assertEquals(KILLS, kills, "the pipeline ended before every kill. " + trindle.output());
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(180)), trindle.output());

            final String err = trindle.stderr();
            final Matcher restarts = Pattern.compile(
                "worker splitter\\.\\d was killed by SIGKILL; restarting").matcher(err);
            int restarted = 0;
            while (restarts.find())
            {
                restarted++;
            }
            assertEquals(KILLS, restarted, "every kill was a restart. " + err);
            assertEquals(WordCount.render(WordCount.reference(REPEAT), Integer.MAX_VALUE),
                Files.readAllLines(directory.resolve("counts.txt")), "the counts equal the single-process reference");
            assertTrue(trindle.stdout().contains("from " + 20 * REPEAT + " lines"), trindle.stdout());
        }
    }
}
