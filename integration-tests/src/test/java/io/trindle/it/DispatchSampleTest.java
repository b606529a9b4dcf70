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

/** samples/dispatch runs as shipped: every job's pipe reaches a worker whole, and every sum is right. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DispatchSampleTest
{
    @TempDir
    Path directory;

    @Test
    void shouldHandOutWorkPipesAndGetEverySumRight() throws Exception
    {
        Files.writeString(directory.resolve("dispatch.yaml"),
            ReadyTimeouts.generous(Files.readString(Path.of("..", "samples", "dispatch", "dispatch.yaml"))));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "dispatch.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("dispatcher | handed out 8 jobs of 10000 tasks, each in a pipe of its own"), out);
            assertTrue(out.contains("collector  | 8 of 8 jobs done, every sum right"), out);
            assertTrue(out.contains("by worker.0: right") && out.contains("by worker.1: right"),
                "both workers got work. " + out);
        }
    }
}
