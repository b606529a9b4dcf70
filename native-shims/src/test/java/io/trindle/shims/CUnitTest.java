package io.trindle.shims;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs libtrindle's C unit tests (src/test/c/trindle-c-unit.c, and trindle-table-unit.c for tables), and checks that
 * the C library spreads keys over replicas exactly as the Java runtime does, so C and Java senders of one pipe agree
 * on where a key goes.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CUnitTest
{
    @Test
    void shouldPassTheCUnitTests() throws Exception
    {
        try (CWorker unit = CWorker.start("c-unit", "trindle-c-unit", List.of()))
        {
            unit.assertExits(0, Duration.ofSeconds(50));
            final List<String> lines = unit.stdoutLines();
            assertEquals("all passed", lines.getLast(), unit.logs());
            lines.stream().filter(line -> line.contains("threads sent")).forEach(System.out::println);
        }
    }

    @Test
    void shouldPassTheTableUnitTests() throws Exception
    {
        try (CWorker unit = CWorker.start("table-unit", "trindle-table-unit", List.of()))
        {
            unit.assertExits(0, Duration.ofSeconds(50));
            assertEquals("all passed", unit.stdoutLines().getLast(), unit.logs());
        }
    }

    @Test
    void shouldSpreadKeysOverReplicasAsTheJavaRuntimeDoes() throws Exception
    {
        try (CWorker unit = CWorker.start("c-unit-keys", "trindle-c-unit", List.of()))
        {
            unit.assertExits(0, Duration.ofSeconds(50));
            final List<String> keyLanes = unit.stdoutLines().stream().filter(line -> line.startsWith(
                "key-lane ")).toList();
            assertTrue(keyLanes.size() >= 10, unit.logs());
            for (final String line : keyLanes)
            {
                final String[] fields = line.split(" ");
                final long key = Long.parseLong(fields[1]);
                final int replicas = Integer.parseInt(fields[2]);
                assertEquals(javaReplica(key, replicas), Integer.parseInt(fields[3]), line);
            }
        }
    }

    /** io.trindle.runtime.PipeSender#lane for a pipe partitioned by key (its mix is private there). */
    private static int javaReplica(final long key, final int replicas)
    {
        long x = key * 0x9E3779B97F4A7C15L;
        x ^= x >>> 32;
        return (int)Math.floorMod(x, (long)replicas);
    }
}
