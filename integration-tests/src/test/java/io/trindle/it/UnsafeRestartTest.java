package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A result is never silently wrong: a pipeline that finishes after restarting a worker that is not restart-safe
 * says so in its final line and exits with status 4, not 0; restarts of workers marked {@code restart-safe: true}
 * change nothing.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class UnsafeRestartTest
{
    /** Fails the first time each replica runs, then succeeds. */
    private static final String FLAKY = "[sh, -c, \"m=ran-$0-$TRINDLE_REPLICA; if [ -e $m ]; then exit 0; fi; " +
        "touch $m; exit 3\", %s]";

    @TempDir
    Path directory;

    @Test
    void shouldSayWhichWorkersThatAreNotRestartSafeWereRestartedAndExitWithStatusFour() throws Exception
    {
        Files.writeString(directory.resolve("unsafe.yaml"), """
            workers:
              flaky:
                command: %s
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 5/10s }
              other:
                command: %s
                replicas: 2
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 5/10s }
              safe:
                command: %s
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 5/10s }
                restart-safe: true
            """.formatted(FLAKY.formatted("flaky"), FLAKY.formatted("other"), FLAKY.formatted("safe")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "unsafe.yaml"))
        {
            assertEquals(4, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains(
                "trindle: worker flaky died before it was ready: it exited with status 3; restarting in 10ms " +
                "(restart 1); it is not restart-safe, so what it did before may be lost or done again"), err);
            assertTrue(err.contains("trindle: worker safe died before it was ready: it exited with status 3; " +
                "restarting in 10ms (restart 1)\n"), err);
            assertTrue(err.contains(
                "trindle: pipeline 'unsafe' finished, but flaky was restarted once, other.0 once and " +
                "other.1 once, and they are not restart-safe: results may be incomplete or repeated"), err);
            assertFalse(err.contains("safe was restarted"), err);
        }
    }

    @Test
    void shouldFinishWithStatusZeroWhenOnlyRestartSafeWorkersWereRestarted() throws Exception
    {
        Files.writeString(directory.resolve("safe.yaml"), """
            workers:
              safe:
                command: %s
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 5/10s }
                restart-safe: true
            """.formatted(FLAKY.formatted("safe")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "safe.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertTrue(trindle.stderr().contains("trindle: worker safe died before it was ready: it exited with " +
                "status 3; restarting in 10ms (restart 1)\n"), trindle.stderr());
            assertTrue(trindle.stderr().contains(
                "trindle: pipeline 'safe' finished: every worker exited with status 0"),
                trindle.stderr());
        }
    }
}
