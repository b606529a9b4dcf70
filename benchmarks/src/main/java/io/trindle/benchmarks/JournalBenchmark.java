package io.trindle.benchmarks;

import io.trindle.journal.Journal;
import io.trindle.journal.JournalEntry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the journal costs the control path: {@code benchmarks/run journal [ROUNDS [TURNS]]}. Turn by turn, the
 * handle pipeline of {@link HandleMoveBenchmark} under {@code trindle run} and under {@code trindle run
 * --no-journal}: each move is two control operations (a transfer and a redemption), each a journal entry. Then the
 * cost of one append in one thread, for an entry the size of a transfer's. Then a pipe's throughput with and without
 * a tap or a recording attached ({@link TapBenchmark}).
 */
public final class JournalBenchmark
{
    private static final int APPENDS = 1_000_000;

    private JournalBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h")))
        {
            System.out.println("usage: benchmarks/run journal [ROUNDS [TURNS [MESSAGES]]]\n  control operations " +
                "per second (handle moves under trindle run) with the journal and without (--no-journal), taking " +
                "turns;\n  then the cost of one journal append in one thread;\n  then a pipe's throughput without a " +
                "tap, with a tap (trindle tap) and with a recording tap (trindle record), taking turns");
            return;
        }
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        final int turns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final int messages = args.length > 2 ? Integer.parseInt(args[2]) : 2_000_000;
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");

        final List<Long> with = new ArrayList<>();
        final List<Long> without = new ArrayList<>();
        for (int turn = 0; turn < turns; turn++)
        {
            // Alternate which goes first, so that neither always meets the machine as the other left it.
            final boolean journalFirst = turn % 2 == 0;
            for (int k = 0; k < 2; k++)
            {
                final boolean journal = (k == 0) == journalFirst;
                final long move = HandleMoveBenchmark.handleMoves(java, classPath, rounds, 1, "4KiB",
                    journal ? List.of() : List.of("--no-journal")).getFirst();
                (journal ? with : without).add(move);
            }
            System.out.printf(Locale.ROOT, "turn %d: move with journal %,d ns, without %,d ns: %.3f%n", turn + 1,
                with.getLast(), without.getLast(), (double)with.getLast() / without.getLast());
        }
        final long withMedian = HandleMoveBenchmark.median(with);
        final long withoutMedian = HandleMoveBenchmark.median(without);
        final double[] ratios = new double[turns];
        for (int turn = 0; turn < turns; turn++)
        {
            ratios[turn] = (double)with.get(turn) / without.get(turn);
        }
        Arrays.sort(ratios);
        System.out.println();
        System.out.println("figure                                        with journal   without   with / without");
        System.out.printf(Locale.ROOT, "moving one handle (ns, median of turns)       %,12d  %,8d   %.3f (median of " +
            "the turns' ratios %.3f)%n", withMedian, withoutMedian, (double)withMedian / withoutMedian,
            ratios[turns / 2]);
        System.out.printf(Locale.ROOT, "control operations per second (2 a move)     %,12.0f  %,8.0f%n",
            2e9 / withMedian, 2e9 / withoutMedian);
        System.out.println();
        appendCost();
        System.out.println();
        TapBenchmark.run(messages, turns);
    }

    /** Times {@link #APPENDS} appends of a transfer-sized entry, in one thread, to a fresh journal. */
    private static void appendCost() throws Exception
    {
        final Path directory = Files.createTempDirectory("trindle-journal-benchmark");
        final String fields = "{\"pid\":384,\"pipe\":\"mail\",\"lane\":0,\"to\":\"bob\",\"handles\":1,\"moved\":1," +
            "\"duplicated\":0,\"token\":\"0x942b54ebab523f3c\"}";
        final String message = "worker alice attached 1 handle(s) to a message on lane 0 of pipe 'mail' for bob";
        try (Journal journal = Journal.open(directory.resolve("bench.journal")))
        {
            for (int warmUp = 0; warmUp < 2; warmUp++)
            {
                final long start = System.nanoTime();
                for (int i = 0; i < APPENDS; i++)
                {
                    journal.append(new JournalEntry(System.nanoTime(), "transfer", "alice", 0, fields, message));
                }
                final long nanos = System.nanoTime() - start;
                System.out.printf(Locale.ROOT, "%s: %,d appends of a %d-byte transfer entry in %,d ms: %.0f ns " +
                    "each%n", warmUp == 0 ? "first pass (warming up)" : "second pass", APPENDS,
                    fields.length() + message.length() + 30, nanos / 1_000_000, (double)nanos / APPENDS);
            }
        }
        finally
        {
            try (var files = Files.walk(directory))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
