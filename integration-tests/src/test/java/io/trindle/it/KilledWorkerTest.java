package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A worker killed with SIGKILL is an exit like any other: the supervisor says how it ended and restarts it, and
 * says nothing about its control channel, which the kernel reset (ECONNRESET) because frames sent to the worker
 * were never read.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KilledWorkerTest
{
    private static final int KILLS = 10;

    @TempDir
    Path directory;

    @Test
    void shouldSayNothingOfTheControlChannelWhenAWorkerIsKilled() throws Exception
    {
        // sleep never reads its channel: its grants are still unread when it dies, so the channel is reset.
        Files.writeString(directory.resolve("killed.yaml"), """
            workers:
              sleeper:
                command: [sleep, "600"]
                ready-timeout: 600s
                stop-timeout: 1s
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 20/10s }
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "killed.yaml"))
        {
            for (int kill = 0; kill < KILLS; kill++)
            {
                final SupervisorProcess.Worker worker = awaitStarted(trindle, kill);
                ProcessHandle.of(worker.pid()).orElseThrow().destroyForcibly(); // SIGKILL
            }
            awaitStarted(trindle, KILLS);
            assertTrue(trindle.ask("killed", "stop").startsWith("stopping"));
            assertEquals(3, trindle.waitFor(Duration.ofSeconds(60)), "stopped on request. " + trindle.output());

            final String err = trindle.stderr();
            for (int restart = 1; restart <= KILLS; restart++)
            {
                assertTrue(err.contains("trindle: worker sleeper died before it was ready: it was killed by SIGKILL; " +
                    "restarting in 10ms (restart " + restart + ")"), err);
            }
            assertFalse(err.contains("control channel"), err);
            assertFalse(err.contains("ECONNRESET"), err);
        }
    }

    /** Waits until the sleeper's process after {@code restarts} restarts is spawned and alive, and returns it. */
    private static SupervisorProcess.Worker awaitStarted(final SupervisorProcess trindle, final int restarts)
        throws Exception
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
                final List<SupervisorProcess.Worker> workers = trindle.workers("killed");
                if (workers.size() == 1 && workers.getFirst().restarts() == restarts &&
                    workers.getFirst().state().equals("starting") && SupervisorProcess.alive(workers.getFirst().pid()))
                {
                    return workers.getFirst();
                }
            }
            catch (final IOException notYetBound)
            {
                // the socket or its key is not there yet
            }
            Thread.sleep(20);
        }
        fail("the sleeper was not started after " + restarts + " restarts within 60s\n" + trindle.output());
        return null;
    }
}
