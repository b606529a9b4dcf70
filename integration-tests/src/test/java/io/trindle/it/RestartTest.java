package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Restart policies: backoff, the intensity limit, and what the supervisor says and returns when it gives up. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RestartTest
{
    @TempDir
    Path directory;

    @Test
    void shouldGiveUpWhenTheRestartIntensityIsExceeded() throws Exception
    {
        Files.writeString(directory.resolve("crashy.yaml"), """
            workers:
              crasher:
                command: [sh, -c, "echo starting; exit 3"]
                restart: { policy: on-failure, backoff: 10ms..60s, intensity: 3/10s }
              bystander:
                command: [sleep, "600"]
                ready-timeout: 600s
                stop-timeout: 1s
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "crashy.yaml"))
        {
            assertEquals(1, trindle.waitFor(Duration.ofSeconds(60)), "a worker failed for good. " + trindle.output());
            final String err = trindle.stderr();
            assertTrue(err.contains("trindle: worker crasher died before it was ready: it exited with status 3; " +
                "restarting in 10ms (restart 1)"), err);
            assertTrue(err.contains("restarting in 20ms (restart 2)"), err);
            assertTrue(err.contains("restarting in 40ms (restart 3)"), err);
            assertTrue(err.contains(
                "trindle: stopping: worker crasher was restarted 3 times within 10s (the limit is " +
                "3/10s); giving up: replica crasher died before it was ready: it exited with status 3"), err);
            assertTrue(err.contains(
                "trindle: worker bystander did not stop within its stop timeout; sending SIGTERM"), err);
            assertTrue(err.contains("trindle: pipeline 'crashy' stopped: a worker failed"), err);
            assertEquals(4, trindle.stdout().split("crasher +\\| starting", -1).length - 1, "started 1 + 3 times");
        }
    }

    @Test
    void shouldStopAtOnceWhenAWorkerThatMustNotRestartFails() throws Exception
    {
        Files.writeString(directory.resolve("once.yaml"), """
            workers:
              once:
                command: [sh, -c, "exit 7"]
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "once.yaml"))
        {
            assertEquals(1, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertTrue(trindle.stderr().contains(
                "trindle: stopping: worker once died before it was ready: it exited with status 7 and its " +
                "restart policy is never"), trindle.stderr());
        }
    }
}
