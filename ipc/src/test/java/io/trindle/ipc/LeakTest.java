package io.trindle.ipc;

import io.trindle.ipc.linux.Memory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Counts the fds in /proc/self/fd and the mappings in /proc/self/maps around a thousand cycles of every
 * segment operation: each cycle must give back everything it took.
 */
class LeakTest
{
    private static final long PAGE = Memory.pageSize();
    private static final int CYCLES = 1000;

    @Test
    void shouldLeakNoFdAndNoMappingOverAThousandCycles()
    {
        runCycles(50); // warm up: class loading and JIT open files and map code once, not per cycle
        final List<String> fdsBefore = ProcFs.fdTargets();
        final int mapsBefore = ProcFs.maps().size();
        final long segmentFdsBefore = ProcFs.memfdCount();
        final long segmentMapsBefore = ProcFs.segmentMappingCount();

        runCycles(CYCLES);

        assertEquals(segmentFdsBefore, ProcFs.memfdCount(), "segment memfds open");
        assertEquals(segmentMapsBefore, ProcFs.segmentMappingCount(), "segment mappings");
        assertEquals(fdsBefore.size(), ProcFs.fdTargets().size(),
            () -> "fds before " + fdsBefore + ", after " + ProcFs.fdTargets());
        // The JVM itself may map a few regions meanwhile (code cache, malloc arenas); a leak would show as
        // thousands: each cycle maps seven segments.
        final int mapsAfter = ProcFs.maps().size();
        assertTrue(mapsAfter <= mapsBefore + 16, "mappings before " + mapsBefore + ", after " + mapsAfter);
    }

    private static void runCycles(final int cycles)
    {
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel sender = pair[0]; ControlChannel receiver = pair[1])
        {
            for (int i = 0; i < cycles; i++)
            {
                final Segment segment = Segment.allocate(0, Source.bytes(new byte[] {1, 2, 3}), Source.zeros(PAGE));
                segment.grow(4 * PAGE);
                try (Segment reader = Segment.map(segment.duplicate(Rights.of(Right.READ))))
                {
                    assertEquals(1, reader.getByte(0));
                }
                HandleFrames.send(sender, List.of(segment.duplicate(Rights.of(Right.READ, Right.TRANSFER))));
                try (Segment received = Segment.map(HandleFrames.receive(receiver).getFirst()))
                {
                    assertEquals(3, received.getByte(2));
                }
                final Segment.Parts parts = segment.split(PAGE);
                try (Segment joined = Segment.join(parts.head(), parts.tail()))
                {
                    assertEquals(2, joined.getByte(1));
                    joined.seal();
                }
            }
        }
    }
}
