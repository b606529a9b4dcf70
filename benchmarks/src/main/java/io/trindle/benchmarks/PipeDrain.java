package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The other process of SegmentHandoverBenchmark's pipe copy: says it is ready with one byte on fd 4, reads the
 * Unix pipe on fd 3 into its own memory until the writer closes it, then writes the number of bytes it read on
 * fd 4 (8 bytes), so that the writer stops its clock only once every byte has arrived.
 */
public final class PipeDrain
{
    static final int CHUNK = 1 << 20;

    private PipeDrain()
    {
    }

    public static void main(final String[] args)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment chunk = arena.allocate(CHUNK);
            final MemorySegment word = arena.allocate(8);
            Fds.writeFully(4, word.asSlice(0, 1));
            long total = 0;
            long n;
            while ((n = Fds.read(3, chunk)) > 0)
            {
                total += n;
            }
            word.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, total);
            Fds.writeFully(4, word);
        }
    }
}
