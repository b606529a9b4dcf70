package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A worker's last lines, written just before it exits, are in the supervisor's output before it finishes: the
 * supervisor may learn of the exit before it has copied them (here a burst larger than a pipe holds, from workers
 * that exit at once), and waits for each output to end.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LastLinesTest
{
    private static final int LINES = 50_000;

    @TempDir
    Path directory;

    @Test
    void shouldCopyEveryLineOfEveryWorkerBeforeFinishing() throws Exception
    {
        Files.writeString(directory.resolve("burst.yaml"), """
            name: burst
            workers:
              out:
                command: [seq, 1, %d]
                replicas: 2
                restart: never
              err:
                command: [sh, -c, "seq 1 %d >&2"]
                restart: never
            """.formatted(LINES, LINES));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "burst.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.stderr());
            final String out = trindle.stdout();
            final String err = trindle.stderr();
            for (final String label : new String[] {"out.0", "out.1"})
            {
                assertEquals(LINES, out.lines().filter(line -> line.startsWith(label + " |")).count(), label);
                assertEquals(1, out.lines().filter(line -> line.equals(label + " | " + LINES)).count(), label);
            }
            assertEquals(LINES, err.lines().filter(line -> line.startsWith("err   |")).count(), "err");
            assertEquals(1, err.lines().filter(line -> line.equals("err   | " + LINES)).count(), "err");
        }
    }
}
