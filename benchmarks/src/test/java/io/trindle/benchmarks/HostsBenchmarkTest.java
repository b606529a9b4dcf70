package io.trindle.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What {@code benchmarks/run hosts} decides without measuring: its options, the lines its ends print and how they are
 * read back, and the message every end writes and checks. The runs themselves are the benchmark's, never a test's.
 */
final class HostsBenchmarkTest
{
    @Test
    void optionsDefaultAndParse()
    {
        assertEquals(HostsBenchmark.Options.defaults(), HostsBenchmark.parse(new String[0]));
        final HostsBenchmark.Options options = HostsBenchmark.parse(new String[] {"--turns", "3", "--warm-up-turns",
            "0", "--sizes", "16, 512", "--warm-up", "100", "--measure", "700", "--lane", "65536", "--timeout", "30",
            "--out", "somewhere"});
        assertEquals(new HostsBenchmark.Options(3, 0, List.of(16, 512), 100, 700, 65536, 30, Path.of("somewhere")),
            options);
        assertNull(HostsBenchmark.parse(new String[] {"--help"}));
    }

    @Test
    void optionsRefuseWhatCannotRun()
    {
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--turns", "0"}));
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--turns"}));
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--sizes", "64,100"}));
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--sizes", "8"}));
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--lane", "100000"}));
        // A lane's largest message is an eighth of it, less 16 bytes: 8 176 in 64 KiB.
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--lane", "65536",
            "--sizes", "8184"}));
        assertThrows(IllegalArgumentException.class, () -> HostsBenchmark.parse(new String[] {"--bogus"}));
    }

    @Test
    void theEndsLinesReadBack()
    {
        final RoundTrips trips = RoundTrips.of(new long[] {1_000, 2_000, 3_000, 4_000, 100_000});
        final String near = "2026-12-03T07:35:47.050+00:00 near | " + HostsBenchmark.roundTripLine(5, 2_000_000_000L,
            trips) + "\n";
        final String far = "far  | " + HostsBenchmark.throughputLine(1_000_000, 64, 500_000_000L, 1_200_000) + "\n";
        final HostsBenchmark.Run run = HostsBenchmark.parseRun(near, far, 64);
        assertEquals(5, run.roundTrips());
        assertEquals(2_000_000.0, run.messagesPerSecond(), 1e-6);
        assertEquals(1_200_000, run.received());
        assertEquals((long)trips.medianNanos(), (long)run.roundTrip().medianNanos());
        assertEquals((long)trips.p99Nanos(), (long)run.roundTrip().p99Nanos());
        assertEquals((long)trips.maxNanos(), (long)run.roundTrip().maxNanos());
        assertThrows(BenchmarkFailure.class, () -> HostsBenchmark.parseRun(near, far, 1024));
        assertThrows(BenchmarkFailure.class, () -> HostsBenchmark.parseRun("", far, 64));
        assertThrows(BenchmarkFailure.class, () -> HostsBenchmark.parseRun(near, "", 64));
    }

    @Test
    void naksAreSummedOverBothEnds()
    {
        final String output = "aeron driver (near end): NAKs sent 0, NAKs received 3, retransmits sent 3\n" +
            "aeron driver (far end): NAKs sent 3, NAKs received 0, retransmits sent 0\n";
        assertEquals(3, HostsBenchmark.naks(output));
        assertEquals(-1, HostsBenchmark.naks("host a | nothing of Aeron's own"));
    }

    @Test
    void messagesAreWrittenAndCheckedAlikeInALaneAndInAnAeronBuffer()
    {
        final int size = 1024;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment lane = arena.allocate(2 * size, Long.BYTES);
            HostsMessage.write(lane, size, size, 41);
            HostsMessage.check(lane, size, size, size, 41);
            final UnsafeBuffer aeron = new UnsafeBuffer(ByteBuffer.allocateDirect(size));
            HostsMessage.write(aeron, 0, size, 41);
            assertArrayEquals(lane.asSlice(size, size).toArray(ValueLayout.JAVA_BYTE),
                bytes(aeron, size));
            HostsMessage.check(aeron, 0, size, size, 41);
            assertEquals(41, HostsMessage.sequence(aeron, 0));
            assertThrows(BenchmarkFailure.class, () -> HostsMessage.check(lane, size, size, size, 42));
            assertThrows(BenchmarkFailure.class, () -> HostsMessage.check(aeron, 0, size - 8, size, 41));
            // A word in the middle torn: found, as a receiver reads every word.
            aeron.putLong(512, aeron.getLong(512, ByteOrder.LITTLE_ENDIAN) + 1, ByteOrder.LITTLE_ENDIAN);
            assertThrows(BenchmarkFailure.class, () -> HostsMessage.check(aeron, 0, size, size, 41));
            assertNotEquals(HostsMessage.PHASE_END, HostsMessage.STREAM_END);
        }
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }
}
