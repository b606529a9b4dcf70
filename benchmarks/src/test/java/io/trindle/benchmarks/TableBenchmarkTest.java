package io.trindle.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps {@code benchmarks/run table} working: a short run of every workload of every store through real worker
 * processes, with every check. It asserts that the checks held and that figures came out, never how fast anything
 * is.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TableBenchmarkTest
{
    @Test
    void shouldRunEveryWorkloadOfEveryStoreAndFindEveryCheckHeld(@TempDir final Path directory) throws Exception
    {
        final TableBenchmark.Options parsed = TableBenchmark.parse(new String[] {"--seconds", "0.2", "--turns", "1",
            "--warm-up", "0.1", "--dir", directory.toString()});
        final TableBenchmark.Options options = new TableBenchmark.Options(parsed.seconds(), parsed.turns(),
            parsed.warmUp(), parsed.directory(), parsed.java(), parsed.jvmFlags(),
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));

        final TableBenchmark.Results results = TableBenchmark.measure(options, new PrintStream(
            new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        assertEquals(List.of(), results.failures());
        assertEquals(2 * TableBenchmark.Contender.values().length * TableBenchmark.Workload.values().length,
            results.checks(), "every run of the warm-up and the measured turn was checked");
        for (final TableBenchmark.Contender contender : TableBenchmark.Contender.values())
        {
            for (final TableBenchmark.Workload workload : TableBenchmark.Workload.values())
            {
                assertTrue(results.median(contender, workload, TableBenchmark.Run::commitsPerSecond) > 0,
                    contender + " " + workload + " commits");
                final boolean reads = workload == TableBenchmark.Workload.ONE_READER ||
                    workload == TableBenchmark.Workload.TWO_READERS;
                assertEquals(reads, results.median(contender, workload, TableBenchmark.Run::readsPerSecond) > 0,
                    contender + " " + workload + " reads");
            }
        }
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        TableBenchmark.print(results, options, new PrintStream(printed, true, StandardCharsets.UTF_8));
        final String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("CHECKS held after all 24 runs"), text);
        assertTrue(text.contains("| 2 writers, transfers | p99 commit (µs) |"), text);
        try (Stream<Path> left = Files.list(directory))
        {
            assertEquals(List.of(), left.toList(), "the stores' directory is deleted");
        }
    }

    @Test
    void shouldParseTheOptionsAndRefuseWrongOnes()
    {
        assertNull(TableBenchmark.parse(new String[] {"--help"}));
        final TableBenchmark.Options options = TableBenchmark.parse(new String[] {"--seconds", "1.5", "--turns",
            "3", "--warm-up", "0"});
        assertEquals(1.5, options.seconds());
        assertEquals(3, options.turns());
        assertEquals(0, options.warmUp());
        assertThrows(IllegalArgumentException.class, () -> TableBenchmark.parse(new String[] {"--turns", "0"}));
        assertThrows(IllegalArgumentException.class, () -> TableBenchmark.parse(new String[] {"--turns", "2.5"}));
        assertThrows(IllegalArgumentException.class, () -> TableBenchmark.parse(new String[] {"--seconds"}));
        assertThrows(IllegalArgumentException.class, () -> TableBenchmark.parse(new String[] {"--bogus"}));
    }
}
