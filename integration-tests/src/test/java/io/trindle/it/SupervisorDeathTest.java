package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A supervisor killed with SIGKILL leaves no worker behind: within a second, every one is gone. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SupervisorDeathTest
{
    @TempDir
    Path directory;

    @Test
    void shouldLeaveNoWorkerWhenTheSupervisorIsKilled() throws Exception
    {
        Files.writeString(directory.resolve("forever.yaml"), """
            pipes:
              lines: { lane: 64KiB }
              words: { lane: 64KiB }
            workers:
              reader:
                java: io.trindle.samples.wordcount.Reader --repeat 100000000
                ready-timeout: 600s
                grants: { lines: send }
              splitter:
                java: io.trindle.samples.wordcount.Splitter
                ready-timeout: 600s
                replicas: 2
                grants: { lines: receive, words: send }
              counter:
                java: io.trindle.samples.wordcount.Counter
                ready-timeout: 600s
                grants: { words: receive }
              sleeper:
                command: [sleep, "600"]
                ready-timeout: 600s
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "forever.yaml"))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<SupervisorProcess.Worker> workers = List.of();
            while (System.nanoTime() < deadline)
            {
                try
                {
                    workers = trindle.workers("forever");
                }
                catch (final java.io.IOException notYetBound)
                {
                    Thread.sleep(50);
                    continue;
                }
                if (workers.size() == 5 && workers.stream().allMatch(w -> w.pid() > 0 && SupervisorProcess.alive(
                    w.pid())) &&
                    workers.stream().filter(w -> !w.name().equals("sleeper")).allMatch(w -> w.state().equals(
                        "running")))
                {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals(5, workers.size(), trindle.output());

            ProcessHandle.of(trindle.pid()).orElseThrow().destroyForcibly(); // SIGKILL
            final long killed = System.nanoTime();
            while (workers.stream().anyMatch(w -> SupervisorProcess.alive(w.pid())) &&
                System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(1))
            {
                Thread.sleep(5);
            }
            for (final SupervisorProcess.Worker worker : workers)
            {
                assertTrue(!SupervisorProcess.alive(worker.pid()), worker + " outlived its supervisor by a second");
            }
        }
    }
}
