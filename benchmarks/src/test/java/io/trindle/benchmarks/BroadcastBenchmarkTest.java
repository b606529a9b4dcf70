package io.trindle.benchmarks;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code benchmarks/run broadcast} decides without measuring: its options, and how a reader checks and counts
 * the messages it is handed. The runs themselves are the benchmark's, never a test's.
 */
final class BroadcastBenchmarkTest
{
    @Test
    void optionsDefaultAndParse()
    {
        final BroadcastBenchmark.Options defaults = BroadcastBenchmark.parse(new String[0]);
        assertEquals(new BroadcastBenchmark.Options(5, 1, List.of(1, 2, 4), List.of(64, 1024),
            Map.of(64, 16_000_000L, 1024, 4_000_000L), 1 << 20, 120, null), defaults);
        final BroadcastBenchmark.Options options = BroadcastBenchmark.parse(new String[] {"--turns", "3",
            "--warm-up-turns", "0", "--readers", "1, 3", "--sizes", "16,512", "--messages", "5000000000", "--capacity",
            "65536", "--timeout", "30", "--out", "somewhere"});
        assertEquals(new BroadcastBenchmark.Options(3, 0, List.of(1, 3), List.of(16, 512),
            Map.of(16, 5_000_000_000L, 512, 5_000_000_000L), 65536, 30, Path.of("somewhere")), options);
        assertNull(BroadcastBenchmark.parse(new String[] {"--help"}));
    }

    @Test
    void optionsRefuseWhatCannotRun()
    {
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--capacity",
            "100000"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--capacity",
            "4096", "--sizes", "1024"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--sizes", "20"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--readers", "0"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--readers", "64"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--turns"}));
        assertThrows(IllegalArgumentException.class, () -> BroadcastBenchmark.parse(new String[] {"--bogus"}));
    }

    @Test
    void aReaderCountsWhatItIsHandedAndRefusesWhatIsDamagedOrOutOfOrder()
    {
        final int size = 64;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(size, 8);
            final BroadcastReaders.Tally tally = new BroadcastReaders.Tally(size);
            tally.start(100, 10);
            take(tally, message, size, 100);
            take(tally, message, size, 104); // a lossy reader may skip messages
            assertFalse(tally.done());
            assertThrows(BenchmarkFailure.class, () -> take(tally, message, size, 104)); // repeated
            assertThrows(BenchmarkFailure.class, () -> take(tally, message, size, 103)); // backwards
            assertThrows(BenchmarkFailure.class, () -> take(tally, message, size, 110)); // past the run's end
            assertThrows(BenchmarkFailure.class, () -> tally.take(105, Payload.lastWord(106), size)); // torn
            assertThrows(BenchmarkFailure.class, () -> tally.take(105, Payload.lastWord(105), size - 8)); // short
            take(tally, message, size, 109);
            assertTrue(tally.done());
            assertEquals(3, tally.delivered());
            assertEquals(109, tally.last());
        }
    }

    private static void take(final BroadcastReaders.Tally tally, final MemorySegment message, final int size,
        final long sequence)
    {
        BroadcastReaders.write(message, size, sequence);
        tally.take(message.get(ValueLayout.JAVA_LONG, 0), message.get(ValueLayout.JAVA_LONG, size - Long.BYTES),
            size);
    }
}
