package io.trindle.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the benchmark working: a tiny run of every figure through real peer processes, every message checked.
 * It asserts that the run completes and yields figures, never how fast anything is: timing belongs to
 * {@code benchmarks/run}, not to a test.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PipeBenchmarkTest
{
    @Test
    void shouldMeasureEveryFigureWithEveryMessageCheckedByASeparateProcess() throws Exception
    {
        final Config config = Config.defaults()
            .scaledDown(10_000)
            .withRuns(2, 1)
            .withClassPath(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        final ByteArrayOutputStream table = new ByteArrayOutputStream();

        final Results results = PipeBenchmark.measure(config, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        results.print(new PrintStream(table, true, StandardCharsets.UTF_8));

        for (final Transport transport : Transport.values())
        {
            assertTrue(results.throughput(transport) > 0, transport + " throughput");
            assertTrue(results.medianRoundTrip(transport) > 0, transport + " round trip");
        }
        assertTrue(results.medianCacheLineRoundTrip() > 0, "cache-line round trip");
        final String printed = table.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("TARGET  Trindle pipe throughput >= 15x Unix pipe: "), printed);
    }

    @Test
    void shouldRejectAMessageOutOfSequence()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(Payload.LENGTH, Long.BYTES);
            Payload.write(message, 0, 41);

            Payload.check(message, 0, 41);
            final BenchmarkFailure failure = assertThrows(BenchmarkFailure.class, () -> Payload.check(message, 0, 42));
            assertTrue(failure.getMessage().contains("expected sequence=42"), failure.getMessage());
        }
    }

    @Test
    void shouldRejectAMessageDamagedAtItsEnd()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(Payload.LENGTH, Long.BYTES);
            Payload.write(message, 0, 7);
            message.set(ValueLayout.JAVA_BYTE, Payload.LENGTH - 1, (byte)0x55);

            assertThrows(BenchmarkFailure.class, () -> Payload.check(message, 0, 7));
        }
    }

    @Test
    void shouldStartThePeerWithTheFlagsSetInThePom()
    {
        assertTrue(Config.jvmOptions().contains("--enable-native-access=ALL-UNNAMED"),
            Config.jvmOptions().toString());
        assertEquals(Config.jvmOptions(), Config.defaults().jvmFlags());
    }
}
