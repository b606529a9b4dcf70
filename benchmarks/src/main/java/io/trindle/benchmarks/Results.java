package io.trindle.benchmarks;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;

/** The figures of one benchmark run, and the table that shows them. */
final class Results
{
    /** The design's throughput target: a Trindle pipe moves at least this many times a Unix pipe's messages. */
    static final double TARGET_THROUGHPUT_RATIO = 15.0;

    private final Config config;
    private final Map<Transport, double[]> throughput = new EnumMap<>(Transport.class);
    private final Map<Transport, RoundTrips[]> roundTrips = new EnumMap<>(Transport.class);
    private RoundTrips[] cacheLine;
    private RoundTrips[] probes;

    Results(final Config config)
    {
        this.config = config;
    }

    void throughput(final Transport transport, final double[] messagesPerSecond)
    {
        throughput.put(transport, messagesPerSecond.clone());
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

    /** Records the cache-line probe that opened each throughput turn. */
    void probes(final RoundTrips[] runs)
    {
        probes = runs.clone();
    }

    /** @return the median over the runs of the messages per second. */
    double throughput(final Transport transport)
    {
        return Stats.median(throughput.get(transport));
    }

    /** @return the median over the runs of each run's median round trip, in ns. */
    double medianRoundTrip(final Transport transport)
    {
        return Stats.median(roundTrips.get(transport), RoundTrips::medianNanos);
    }

    /** @return the median over the runs of each run's median cache-line round trip, in ns. */
    double medianCacheLineRoundTrip()
    {
        return Stats.median(cacheLine, RoundTrips::medianNanos);
    }

    /** @return Trindle's throughput divided by {@code other}'s. */
    double throughputRatio(final Transport other)
    {
        return throughput(Transport.TRINDLE) / throughput(other);
    }

    /** @return {@code other}'s median round trip divided by Trindle's: how many times shorter Trindle's is. */
    double roundTripRatio(final Transport other)
    {
        return medianRoundTrip(other) / medianRoundTrip(Transport.TRINDLE);
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

    void print(final PrintStream out)
    {
        final int runs = config.runs();
        final String runsSaid = runs + " run" + (runs == 1 ? "" : "s") + " after " + config.warmups() +
            " warm-up" + (config.warmups() == 1 ? "" : "s");

        out.println();
        out.printf("THROUGHPUT: one sender process, one receiver process, 64-byte messages (M msg/s; %s)%n",
            runsSaid);
        out.printf("  %-13s %12s", "transport", "msgs/run");
        for (int run = 1; run <= runs; run++)
        {
            out.printf(" %8s", "run " + run);
        }
        out.printf(" %9s%n", "MEDIAN");
        for (final Transport transport : Transport.values())
        {
            out.printf("  %-13s %,12d", transport.label, config.messages(transport));
            for (final double rate : throughput.get(transport))
            {
                out.printf(" %8.2f", rate / 1e6);
            }
            out.printf(" %9.2f%n", throughput(transport) / 1e6);
        }
        out.printf("  %-13s %,12d", CacheLine.LABEL + " *", config.probeRoundTrips());
        for (final RoundTrips probe : probes)
        {
            out.printf(" %,8.0f", probe.medianNanos());
        }
        out.printf(" %,9.0f%n", Stats.median(probes, RoundTrips::medianNanos));
        out.println("  * not a throughput: the median cache-line round trip in ns (see ROUND TRIP), measured at the " +
            "start of each turn,");
        out.println("    to show the state of the machine the turn met");

        out.println();
        out.printf("ROUND TRIP: 64 bytes there and back, one message in flight (ns; %s)%n", runsSaid);
        out.printf("  %-13s %12s", "transport", "trips/run");
        for (int run = 1; run <= runs; run++)
        {
            out.printf(" %8s", "run " + run);
        }
        out.printf(" %9s %9s %9s%n", "MEDIAN", "mean", "p99");
        for (final Transport transport : Transport.values())
        {
            printRoundTrips(out, transport.label, config.roundTrips(transport), roundTrips.get(transport));
        }
        printRoundTrips(out, CacheLine.LABEL + " *", config.roundTrips(Transport.TRINDLE), cacheLine);
        out.println("  (run columns: each run's median; MEDIAN, mean, p99: the median over the runs of each)");
        out.println("  * the floor, not a transport: one number bounced through a shared segment, a cache line each " +
            "way");

        out.println();
        out.println("RATIOS (medians of this run)");
        out.printf("  throughput   Trindle pipe / Unix pipe     %8.1fx%n", throughputRatio(Transport.PIPE));
        out.printf("  throughput   Trindle pipe / Unix socket   %8.1fx%n", throughputRatio(Transport.SOCKET));
        out.printf("  round trip   Unix pipe / Trindle pipe     %8.1fx  (Trindle's is that many times shorter)%n",
            roundTripRatio(Transport.PIPE));
        out.printf("  round trip   Unix socket / Trindle pipe   %8.1fx%n", roundTripRatio(Transport.SOCKET));
        out.printf("  round trip   Trindle pipe / cache line    %8.1fx  (how far above the floor)%n",
            roundTripOverFloor());

        out.println();
        out.printf("TARGET  Trindle pipe throughput >= %.0fx Unix pipe: %s (%.1fx)%n", TARGET_THROUGHPUT_RATIO,
            targetMet() ? "MET" : "NOT MET", throughputRatio(Transport.PIPE));
    }

    private static void printRoundTrips(final PrintStream out, final String label, final int count,
        final RoundTrips[] runs)
    {
        out.printf("  %-13s %,12d", label, count);
        for (final RoundTrips run : runs)
        {
            out.printf(" %,8.0f", run.medianNanos());
        }
        out.printf(" %,9.0f %,9.0f %,9.0f%n", Stats.median(runs, RoundTrips::medianNanos),
            Stats.median(runs, RoundTrips::meanNanos), Stats.median(runs, RoundTrips::p99Nanos));
    }
}
