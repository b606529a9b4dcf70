package io.trindle.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the benchmark working: a tiny run of every figure through real peer processes, every message checked.
 * It asserts that the run completes and yields figures, never how fast anything is: timing belongs to
 * {@code benchmarks/run}, not to a test.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
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
            for (final Results.Percentile percentile : Results.Percentile.values())
            {
                assertTrue(results.roundTrip(transport, percentile) > 0, transport + " round trip " + percentile);
            }
            for (final int senders : Config.SENDER_COUNTS)
            {
                assertEquals(senders == 1 || transport.manySenders, results.measured(transport, senders),
                    transport + " with " + senders + " senders");
            }
        }
        assertTrue(results.throughput(Transport.AGRONA, 4) > 0, "Agrona with four senders");
        assertTrue(results.throughput(Transport.CHRONICLE, 2) > 0, "Chronicle with two senders");
        assertTrue(results.medianCacheLineRoundTrip() > 0, "cache-line round trip");
        final String printed = table.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("TARGET  Trindle pipe throughput >= 15x Unix pipe: "), printed);
        assertTrue(printed.contains("RATIOS Trindle / peer"), printed);
        final String markdown = results.markdown();
        assertTrue(markdown.contains("| Agrona ring |") && markdown.contains("| Chronicle Queue |"), markdown);
        final String svg = Chart.svg(results, "test");
        assertTrue(svg.startsWith("<svg ") && svg.endsWith("</svg>\n") && !svg.contains("NaN"), svg);
        // Every Agrona ring file and Chronicle queue directory is gone.
        try (Stream<Path> files = Files.list(Path.of("/dev/shm")))
        {
            final String mine = "-" + ProcessHandle.current().pid() + "-";
            assertEquals(List.of(), files.map(path -> path.getFileName().toString())
                .filter(name -> name.startsWith("trindle-bench-") && name.contains(mine)).toList());
        }
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
