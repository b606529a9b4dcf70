package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Handing a 1 GiB segment to another worker beside copying 1 GiB through a Unix pipe to another process,
 * turn by turn in the same run: {@code benchmarks/run segments [ROUNDS [TURNS]]}.
 *
 * <p>The hand-over is a move of the segment's handle under the real supervisor (HandleMoveBenchmark's pipeline
 * with a 1 GiB segment): the bytes stay where they are and the receiver gets an fd to them, which it maps with one
 * mmap. The copy writes 1 GiB from a 1 MiB buffer into a pipe that another process reads into its own memory,
 * and ends when that process has counted every byte.
 */
public final class SegmentHandoverBenchmark
{
    private static final long COPY_BYTES = 1L << 30;

    private SegmentHandoverBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        final int turns = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        final List<Long> copies = new ArrayList<>();
        final List<Long> handovers = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        for (int turn = 0; turn < turns; turn++)
        {
            final long copy = pipeCopy(java, classPath);
            final long handover = HandleMoveBenchmark.handleMoves(java, classPath, rounds, 1, "1GiB").getFirst();
            copies.add(copy);
            handovers.add(handover);
            ratios.add((double)copy / handover);
            System.out.printf("turn %d: pipe copy of 1 GiB %,d ns, hand-over of a 1 GiB segment %,d ns: %,.0fx%n",
                turn, copy, handover, (double)copy / handover);
        }
        final long copy = HandleMoveBenchmark.median(copies);
        final long handover = HandleMoveBenchmark.median(handovers);
        final List<Double> sorted = new ArrayList<>(ratios);
        sorted.sort(null);
        System.out.println();
        System.out.println("figure                                              median of turns");
        System.out.printf("copying 1 GiB through a Unix pipe, 2 processes      %,15d ns%n", copy);
        System.out.printf("handing a 1 GiB segment to another worker           %,15d ns   (%,.0fx faster; median of " +
            "the turns' ratios %,.0fx)%n", handover, (double)copy / handover, sorted.get(turns / 2));
        System.out.println("turns: " + turns + ", each one pipe copy then a pipeline of " + rounds + " round trips " +
            "of two moves (median move); copy " + copies + " ns; hand-over " + handovers + " ns");
    }

    /** @return the time to copy 1 GiB through a pipe into another process, until it has read every byte. */
    private static long pipeCopy(final String java, final String classPath)
    {
        final int[] pipe = Fds.pipe();
        final int[] pair = Sockets.socketpair(Sockets.SOCK_STREAM);
        final int pid = Processes.spawn(new String[] {java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            PipeDrain.class.getName()}, HandleMoveBenchmark.environment(), null, null, new int[] {pipe[0], pair[1]});
        Fds.close(pipe[0]);
        Fds.close(pair[1]);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment chunk = arena.allocate(PipeDrain.CHUNK);
            chunk.fill((byte)0x5a);
            final MemorySegment word = arena.allocate(8);
            if (!HandleMoveBenchmark.readFully(pair[0], word.asSlice(0, 1)))
            {
                throw new IllegalStateException("the pipe's reader exited before it was ready");
            }
            final long start = System.nanoTime();
            for (long sent = 0; sent < COPY_BYTES; sent += PipeDrain.CHUNK)
            {
                Fds.writeFully(pipe[1], chunk);
            }
            Fds.close(pipe[1]);
            pipe[1] = -1;
            if (!HandleMoveBenchmark.readFully(pair[0], word))
            {
                throw new IllegalStateException("the pipe's reader exited before it counted the bytes");
            }
            final long elapsed = System.nanoTime() - start;
            final long read = word.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            if (read != COPY_BYTES)
            {
                throw new IllegalStateException("the pipe's reader counted " + read + " bytes, not " + COPY_BYTES);
            }
            return elapsed;
        }
        finally
        {
            if (pipe[1] >= 0)
            {
                Fds.close(pipe[1]);
            }
            Fds.close(pair[0]);
            Processes.waitpid(pid);
        }
    }
}
