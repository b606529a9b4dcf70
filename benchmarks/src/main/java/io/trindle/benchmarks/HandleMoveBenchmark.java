package io.trindle.benchmarks;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Processes;
import io.trindle.ipc.linux.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What moving one handle between two worker processes costs, beside a Unix-socket round trip between two
 * processes measured in the same run, turn by turn: {@code benchmarks/run handles [ROUNDS [TURNS]]}.
 *
 * <p>A move is: the sender asks the supervisor to move the handle (a control-channel round trip), writes the
 * message with the token into its lane, the receiver reads it and redeems the token (another round trip, with
 * the fd passed by SCM_RIGHTS). So a move costs about two socket round trips through a third process; the
 * figure says how close it comes. The pipeline runs under the real supervisor ({@code trindle run}).
 */
public final class HandleMoveBenchmark
{
    static final int MESSAGE_LENGTH = 64;
    private static final Pattern MOVE = Pattern.compile("handle-move run \\d+: median (\\d+) ns per move");

    private HandleMoveBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        final int turns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");

        // Turn by turn, a socket run and then a pipeline's run, so that both see the same state of a shared host.
        final List<Long> sockets = new ArrayList<>();
        final List<Long> moves = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        for (int turn = 0; turn < turns; turn++)
        {
            final long socket = socketRoundTrip(java, classPath, rounds * 4, 1);
            final long move = handleMoves(java, classPath, rounds, 1, "4KiB").getFirst();
            sockets.add(socket);
            moves.add(move);
            ratios.add((double)move / socket);
            System.out.printf("turn %d: socket round trip %,d ns, move %,d ns: %.2f round trips%n", turn, socket, move,
                (double)move / socket);
        }
        final long socket = median(sockets);
        final long move = median(moves);
        final List<Double> sortedRatios = new ArrayList<>(ratios);
        sortedRatios.sort(null);
        System.out.println();
        System.out.println("figure                                         median of turns");
        System.out.printf("Unix socket round trip, 64 bytes, 2 processes  %,10d ns%n", socket);
        System.out.printf("moving one handle between 2 workers            %,10d ns   (%.1f socket round trips; " +
            "median of the turns' ratios %.2f)%n", move, (double)move / socket, sortedRatios.get(turns / 2));
        System.out.println("turns: " + turns + ", each " + rounds * 4 + " socket round trips then a pipeline of " +
            rounds + " round trips of two moves; socket " + sockets + " ns; move " + moves + " ns");
    }

    /** @return the median over runs of the median round trip of a 64-byte message through a socket pair. */
    private static long socketRoundTrip(final String java, final String classPath, final int count, final int runs)
        throws Exception
    {
        final int[] pair = Sockets.socketpair(Sockets.SOCK_STREAM);
        final int pid = Processes.spawn(new String[] {java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            SocketEcho.class.getName()}, environment(), null, null, new int[] {pair[1]});
        Fds.close(pair[1]);
        final List<Long> medians = new ArrayList<>();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(MESSAGE_LENGTH);
            final long[] times = new long[count];
            for (int run = -1; run < runs; run++)
            {
                for (int i = 0; i < count; i++)
                {
                    final long start = System.nanoTime();
                    Fds.writeFully(pair[0], message);
                    if (!readFully(pair[0], message))
                    {
                        throw new IllegalStateException("the echo process went away");
                    }
                    times[i] = System.nanoTime() - start;
                }
                if (run >= 0)
                {
                    Arrays.sort(times);
                    medians.add(times[count / 2]);
                }
            }
        }
        finally
        {
            Fds.close(pair[0]);
            Processes.waitpid(pid);
        }
        return median(medians);
    }

    /**
     * @param segmentSize the size of the segment whose handle moves, as the config writes it ("4KiB", "1GiB").
     * @return each run's median time of one move, from the ping worker's report.
     */
    static List<Long> handleMoves(final String java, final String classPath, final int rounds, final int runs,
        final String segmentSize) throws IOException, InterruptedException
    {
        return handleMoves(java, classPath, rounds, runs, segmentSize, List.of());
    }

    /** As {@link #handleMoves(String, String, int, int, String)}, with {@code options} for {@code trindle run}. */
    static List<Long> handleMoves(final String java, final String classPath, final int rounds, final int runs,
        final String segmentSize, final List<String> options) throws IOException, InterruptedException
    {
        final Path directory = Files.createTempDirectory("trindle-handle-benchmark");
        Files.writeString(directory.resolve("handles.yaml"), """
            pipes:
              there: { lane: 64KiB }
              back: { lane: 64KiB }
            segments:
              token: { size: %s }
            workers:
              ping:
                java: io.trindle.benchmarks.HandlePing %d %d %d
                grants: { there: send, back: receive, token: [read, transfer] }
                restart: never
              pong:
                java: io.trindle.benchmarks.HandlePong
                grants: { there: receive, back: send }
                restart: never
            """.formatted(segmentSize, rounds, runs, rounds / 5));
        final Process supervisor = Supervised.start(java, classPath, directory, "handles.yaml", options);
        final String output = new String(supervisor.getInputStream().readAllBytes());
        if (supervisor.waitFor() != 0)
        {
            throw new IllegalStateException("the handle pipeline failed:\n" + output);
        }
        output.lines().filter(line -> line.contains("handle-move run")).forEach(System.out::println);
        final List<Long> moves = new ArrayList<>();
        final Matcher matcher = MOVE.matcher(output);
        while (matcher.find())
        {
            moves.add(Long.parseLong(matcher.group(1)));
        }
        if (moves.size() != runs)
        {
            throw new IllegalStateException("expected " + runs + " runs in:\n" + output);
        }
        return moves;
    }

    static boolean readFully(final int fd, final MemorySegment message)
    {
        long read = 0;
        while (read < message.byteSize())
        {
            final long n = Fds.read(fd, message.asSlice(read));
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    static long median(final List<Long> values)
    {
        final List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    static String[] environment()
    {
        return System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }
}
