package io.trindle.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/** The figures of one benchmark run, and the tables that show them. */
final class Results
{
    /** The design's throughput target: a Trindle pipe moves at least this many times a Unix pipe's messages. */
    static final double TARGET_THROUGHPUT_RATIO = 15.0;

    /** The round-trip figures the summary shows, each the median over the runs of that figure of each run. */
    enum Percentile
    {
        P50("p50", RoundTrips::medianNanos),
        P99("p99", RoundTrips::p99Nanos),
        P999("p99.9", RoundTrips::p999Nanos),
        /** The longest round trip of all the measured runs (not a median). */
        MAX("max", RoundTrips::maxNanos);

        final String label;
        private final ToDoubleFunction<RoundTrips> figure;

        Percentile(final String label, final ToDoubleFunction<RoundTrips> figure)
        {
            this.label = label;
            this.figure = figure;
        }
    }

    private final Config config;
    private final Map<Transport, Map<Integer, double[]>> throughput = new EnumMap<>(Transport.class);
    private final Map<Transport, RoundTrips[]> roundTrips = new EnumMap<>(Transport.class);
    private RoundTrips[] cacheLine;
    private RoundTrips[] probes;

    Results(final Config config)
    {
        this.config = config;
    }

    Config config()
    {
        return config;
    }

    /** Records the runs of {@code transport} with {@code senders} sender processes. */
    void throughput(final Transport transport, final int senders, final double[] messagesPerSecond)
    {
        throughput.computeIfAbsent(transport, t -> new TreeMap<>()).put(senders, messagesPerSecond.clone());
    }

    void roundTrips(final Transport transport, final RoundTrips[] runs)
    {
        roundTrips.put(transport, runs.clone());
    }

    /** Records the floor: the round trips of one number through shared memory (see {@link CacheLine}). */
    void cacheLine(final RoundTrips[] runs)
    {
        cacheLine = runs.clone();
    }

    /** Records the cache-line probe that opened each one-sender throughput turn. */
    void probes(final RoundTrips[] runs)
    {
        probes = runs.clone();
    }

    /** @return whether {@code transport} was measured with {@code senders} senders. */
    boolean measured(final Transport transport, final int senders)
    {
        return throughput.getOrDefault(transport, Map.of()).containsKey(senders);
    }

    /** @return the median over the runs of the messages per second with one sender. */
    double throughput(final Transport transport)
    {
        return throughput(transport, 1);
    }

    /** @return the median over the runs of the messages per second with {@code senders} senders. */
    double throughput(final Transport transport, final int senders)
    {
        return Stats.median(throughput.get(transport).get(senders));
    }

    /** @return the median over the runs of each run's median round trip, in ns. */
    double medianRoundTrip(final Transport transport)
    {
        return roundTrip(transport, Percentile.P50);
    }

    /** @return the median over the runs of each run's {@code percentile} (the largest of all, for the max), in ns. */
    double roundTrip(final Transport transport, final Percentile percentile)
    {
        return roundTrip(roundTrips.get(transport), percentile);
    }

    private static double roundTrip(final RoundTrips[] runs, final Percentile percentile)
    {
        if (percentile == Percentile.MAX)
        {
            double max = 0;
            for (final RoundTrips run : runs)
            {
                max = Math.max(max, run.maxNanos());
            }
            return max;
        }
        return Stats.median(runs, percentile.figure);
    }

    /** @return the median over the runs of each run's median cache-line round trip, in ns. */
    double medianCacheLineRoundTrip()
    {
        return Stats.median(cacheLine, RoundTrips::medianNanos);
    }

    /** @return Trindle's throughput divided by {@code other}'s, one sender: above 1, Trindle moves more. */
    double throughputRatio(final Transport other)
    {
        return throughputRatio(other, 1);
    }

    /** @return Trindle's throughput divided by {@code other}'s with {@code senders} senders. */
    double throughputRatio(final Transport other, final int senders)
    {
        return throughput(Transport.TRINDLE, senders) / throughput(other, senders);
    }

    /** @return Trindle's round trip divided by {@code other}'s: below 1, Trindle's is shorter. */
    double roundTripRatio(final Transport other, final Percentile percentile)
    {
        return roundTrip(Transport.TRINDLE, percentile) / roundTrip(other, percentile);
    }

    /** @return Trindle's median round trip divided by the cache line's: how far above the floor it is. */
    double roundTripOverFloor()
    {
        return medianRoundTrip(Transport.TRINDLE) / medianCacheLineRoundTrip();
    }

    boolean targetMet()
    {
        return throughputRatio(Transport.PIPE) >= TARGET_THROUGHPUT_RATIO;
    }

    /** @return the transports other than Trindle, in table order. */
    static List<Transport> peers()
    {
        final List<Transport> peers = new ArrayList<>(List.of(Transport.values()));
        peers.remove(Transport.TRINDLE);
        return peers;
    }

    void print(final PrintStream out)
    {
        final int runs = config.runs();
        final String runsSaid = runs + " run" + (runs == 1 ? "" : "s") + " after " + config.warmups() +
            " warm-up" + (config.warmups() == 1 ? "" : "s");

        for (final int senders : Config.SENDER_COUNTS)
        {
            out.println();
            out.printf("THROUGHPUT: %s, one receiver process, 64-byte messages (M msg/s; %s)%n",
                senders == 1 ? "one sender process" : senders + " sender processes", runsSaid);
            out.printf("  %-16s %12s", "transport", "msgs/run");
            for (int run = 1; run <= runs; run++)
            {
                out.printf(" %8s", "run " + run);
            }
            out.printf(" %9s%n", "MEDIAN");
            for (final Transport transport : Transport.values())
            {
                if (!measured(transport, senders))
                {
                    continue;
                }
                out.printf("  %-16s %,12d", transport.label,
                    config.messagesPerSender(transport, senders) * senders);
                for (final double rate : throughput.get(transport).get(senders))
                {
                    out.printf(" %8.2f", rate / 1e6);
                }
                out.printf(" %9.2f%n", throughput(transport, senders) / 1e6);
            }
            if (senders == 1)
            {
                out.printf("  %-16s %,12d", CacheLine.LABEL + " *", config.probeRoundTrips());
                for (final RoundTrips probe : probes)
                {
                    out.printf(" %,8.0f", probe.medianNanos());
                }
                out.printf(" %,9.0f%n", Stats.median(probes, RoundTrips::medianNanos));
                out.println("  * not a throughput: the median cache-line round trip in ns (see ROUND TRIP), measured " +
                    "at the start of each turn,");
                out.println("    to show the state of the machine the turn met");
            }
        }

        out.println();
        out.printf("ROUND TRIP: 64 bytes there and back, one message in flight (ns; %s)%n", runsSaid);
        out.printf("  %-16s %12s", "transport", "trips/run");
        for (int run = 1; run <= runs; run++)
        {
            out.printf(" %8s", "run " + run);
        }
        out.printf(" %9s %9s %9s %9s %10s%n", "MEDIAN", "mean", "p99", "p99.9", "max");
        for (final Transport transport : Transport.values())
        {
            printRoundTrips(out, transport.label, config.roundTrips(transport), roundTrips.get(transport));
        }
        printRoundTrips(out, CacheLine.LABEL + " *", config.roundTrips(Transport.TRINDLE), cacheLine);
        out.println("  (run columns: each run's median; MEDIAN, mean, p99, p99.9: the median over the runs of each; " +
            "max: the longest of all runs)");
        out.println("  * the floor, not a transport: one number bounced through a shared segment, a cache line each " +
            "way");

        out.println();
        out.println("RATIOS Trindle / peer (medians of this run; throughput: above 1 Trindle moves more; round trip: " +
            "below 1 Trindle's is shorter)");
        out.printf("  %-16s", "Trindle /");
        for (final int senders : Config.SENDER_COUNTS)
        {
            out.printf(" %9s", "tput " + senders + "s");
        }
        for (final Percentile percentile : Percentile.values())
        {
            out.printf(" %9s", "rt " + percentile.label);
        }
        out.println();
        for (final Transport peer : peers())
        {
            out.printf("  %-16s", peer.label);
            for (final int senders : Config.SENDER_COUNTS)
            {
                out.printf(" %9s", measured(peer, senders) ? String.format("%.2fx", throughputRatio(peer, senders)) :
                    "-");
            }
            for (final Percentile percentile : Percentile.values())
            {
                out.printf(" %9s", String.format("%.2fx", roundTripRatio(peer, percentile)));
            }
            out.println();
        }
        out.printf("  %-16s %s%n", CacheLine.LABEL, String.format("round trip p50 %.1fx the floor",
            roundTripOverFloor()));

        out.println();
        out.printf("TARGET  Trindle pipe throughput >= %.0fx Unix pipe: %s (%.1fx)%n", TARGET_THROUGHPUT_RATIO,
            targetMet() ? "MET" : "NOT MET", throughputRatio(Transport.PIPE));
    }

    /** @return the summary and the ratios as Markdown tables, to paste into docs/benchmarks.md. */
    String markdown()
    {
        final StringBuilder md = new StringBuilder();
        md.append("| transport |");
        for (final int senders : Config.SENDER_COUNTS)
        {
            md.append(" ").append(senders).append(senders == 1 ? " sender" : " senders").append(", M msg/s |");
        }
        for (final Percentile percentile : Percentile.values())
        {
            md.append(" round trip ").append(percentile.label).append(", ns |");
        }
        md.append('\n').append("|---|").append("---:|".repeat(Config.SENDER_COUNTS.size() +
            Percentile.values().length)).append('\n');
        for (final Transport transport : Transport.values())
        {
            md.append("| ").append(transport.label).append(" |");
            for (final int senders : Config.SENDER_COUNTS)
            {
                md.append(' ').append(measured(transport, senders) ?
                    String.format("%.2f", throughput(transport, senders) / 1e6) : "–").append(" |");
            }
            for (final Percentile percentile : Percentile.values())
            {
                md.append(String.format(" %,.0f |", roundTrip(transport, percentile)));
            }
            md.append('\n');
        }
        md.append(String.format("| %s (the floor) |", CacheLine.LABEL))
            .append(" |".repeat(Config.SENDER_COUNTS.size()));
        for (final Percentile percentile : Percentile.values())
        {
            md.append(String.format(" %,.0f |", roundTrip(cacheLine, percentile)));
        }
        md.append("\n\n");

        md.append("Trindle / peer, medians of the run: for throughput above 1 means Trindle moves more, for round " +
            "trips below 1 means Trindle's is shorter.\n\n");
        md.append("| Trindle / peer |");
        for (final int senders : Config.SENDER_COUNTS)
        {
            md.append(" throughput, ").append(senders).append(senders == 1 ? " sender |" : " senders |");
        }
        for (final Percentile percentile : Percentile.values())
        {
            md.append(" round trip ").append(percentile.label).append(" |");
        }
        md.append('\n').append("|---|").append("---:|".repeat(Config.SENDER_COUNTS.size() +
            Percentile.values().length)).append('\n');
        for (final Transport peer : peers())
        {
            md.append("| ").append(peer.label).append(" |");
            for (final int senders : Config.SENDER_COUNTS)
            {
                md.append(' ').append(measured(peer, senders) ?
                    String.format("%.2f×", throughputRatio(peer, senders)) : "–").append(" |");
            }
            for (final Percentile percentile : Percentile.values())
            {
                md.append(String.format(" %.2f× |", roundTripRatio(peer, percentile)));
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static void printRoundTrips(final PrintStream out, final String label, final int count,
        final RoundTrips[] runs)
    {
        out.printf("  %-16s %,12d", label, count);
        for (final RoundTrips run : runs)
        {
            out.printf(" %,8.0f", run.medianNanos());
        }
        out.printf(" %,9.0f %,9.0f %,9.0f %,9.0f %,10.0f%n", Stats.median(runs, RoundTrips::medianNanos),
            Stats.median(runs, RoundTrips::meanNanos), Stats.median(runs, RoundTrips::p99Nanos),
            Stats.median(runs, RoundTrips::p999Nanos), roundTrip(runs, Percentile.MAX));
    }
}
