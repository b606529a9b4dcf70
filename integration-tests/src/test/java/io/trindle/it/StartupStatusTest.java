package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The supervisor answers status while it is still starting its workers: it spawns them one at a time, between
 * the events it handles, and shows those not spawned yet as {@code pending}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StartupStatusTest
{
    private static final int REPLICAS = 64;
    private static final int ROUNDS = 3;

    /** 64 processes whose start is held back: they never say they are ready, so each stays starting. */
    private static final String PIPELINE = """
        workers:
          held:
            command: [sleep, "600"]
            replicas: 64
            ready-timeout: 600s
            stop-timeout: 1s
        """;

    @TempDir
    Path directory;

    @Test
    void shouldAnswerStatusWhileSixtyFourWorkersAreStillBeingStarted() throws Exception
    {
        // Seen by state, not timed: an answer in which some workers are pending (no pid yet) was given before
        // the last of them was spawned. The first answer can only come after the supervisor's JVM is up, so
        // on a slow machine a round may see every worker started already; that round proves nothing, and
        // another is run.
        final List<String> rounds = new ArrayList<>();
        boolean seen = false;
        for (int round = 0; round < ROUNDS && !seen; round++)
        {
            final Path run = Files.createDirectory(directory.resolve("round-" + round));
            Files.writeString(run.resolve("held.yaml"), PIPELINE);
            try (SupervisorProcess trindle = SupervisorProcess.start(run, "run", "held.yaml"))
            {
                final List<String> answers = new ArrayList<>();
                List<SupervisorProcess.Worker> workers = firstAnswer(trindle);
                while (true)
                {
                    final long pending = workers.stream().filter(w -> w.state().equals("pending")).count();
                    final long starting = workers.stream().filter(w -> w.state().equals("starting")).count();
                    answers.add(pending + " pending, " + starting + " starting");
                    assertEquals(REPLICAS, workers.size(), "every replica is shown, spawned or not");
                    assertEquals(REPLICAS, pending + starting, "pending or starting, nothing else: " + workers);
                    for (final SupervisorProcess.Worker worker : workers)
                    {
                        assertEquals(worker.state().equals("pending"), worker.pid() == 0, worker.toString());
                    }
                    seen |= pending > 0;
                    if (pending == 0)
                    {
                        break;
                    }
                    workers = trindle.workers("held");
                }
                assertEquals(REPLICAS,
                    new HashSet<>(workers.stream().map(SupervisorProcess.Worker::pid).toList()).size(),
                    "64 processes: " + workers);
                rounds.add("round " + round + ": " + answers);

                assertTrue(trindle.ask("held", "stop").startsWith("stopping"));
                assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());
            }
        }
        assertTrue(seen, "status answered while some of the 64 workers were still pending, in one of " + ROUNDS +
            " rounds: " + rounds);
    }

    /** @return the workers in the first answer of the status socket, asked for as soon as it is there. */
    private static List<SupervisorProcess.Worker> firstAnswer(final SupervisorProcess trindle) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            if (!trindle.isAlive())
            {
                fail("trindle ended early\n" + trindle.output());
            }
            try
            {
                return trindle.workers("held");
            }
            catch (final IOException notYetBound)
            {
                Thread.onSpinWait(); // the socket or its key is not there yet: ask again at once
            }
        }
        fail("the status socket did not answer within 60s\n" + trindle.output());
        return List.of();
    }
}
