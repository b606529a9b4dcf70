package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * samples/broadcast runs as shipped: the audit reads every tick of the ticker's broadcast, and the slow dashboard is
 * told exactly how many were written over before it could read them.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BroadcastSampleTest
{
    @TempDir
    Path directory;

    @Test
    void shouldHandTheAuditEveryTickAndTellTheDashboardWhatItMissed() throws Exception
    {
        final Path sample = Path.of("..", "samples", "broadcast").toAbsolutePath().normalize();
        Files.writeString(directory.resolve("prices.yaml"), ReadyTimeouts.generous(
            Files.readString(sample.resolve("prices.yaml"))
                .replace("ticker.py", sample.resolve("ticker.py").toString())
                .replace("dashboard.py", sample.resolve("dashboard.py").toString())
                .replace("../../python", sample.resolve("../../python").normalize().toString())));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "prices.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(150)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("ticker    | ticker: wrote 100000 ticks"), out);
            assertTrue(out.contains("audit     | audit: 100000 ticks in order, 0 lost, 0 out of order; last prices:"),
                out);
            final Matcher dashboard = Pattern.compile("dashboard: read (\\d+) ticks from tick (\\d+); (\\d+) were " +
                "written over").matcher(out);
            assertTrue(dashboard.find(), out);
            final long read = Long.parseLong(dashboard.group(1));
            final long first = Long.parseLong(dashboard.group(2));
            final long lost = Long.parseLong(dashboard.group(3));
            assertEquals(100_000 - first, read + lost, "read + lost = written since its first. " + out);
            assertTrue(lost > 0, "the dashboard is slow on purpose, and lapped. " + out);
        }
    }
}
