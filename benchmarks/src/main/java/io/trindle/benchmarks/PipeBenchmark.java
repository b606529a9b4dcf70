package io.trindle.benchmarks;

import io.trindle.ipc.LaneDescriptor;

import java.io.PrintStream;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Measures, in one run on one machine, how fast two separate processes (two JVMs) move 64-byte messages
 * through a Trindle pipe, a Unix pipe and a Unix socket: throughput one way, and the round trip of one
 * message there and back. Prints every run, the medians, the ratios, and whether the design's target
 * (a Trindle pipe moves at least 15 times what a Unix pipe does) was met. Beside them it measures the floor
 * of any shared-memory round trip on this machine at this moment ({@link CacheLine}), so that a slow figure
 * can be told apart from a slow machine.
 *
 * <p>This process measures; for each figure a second JVM ({@link Peer}, started with the same java binary,
 * flags and class path) receives and checks every message, or echoes it back. The figures of a table take
 * turns, one run each, warm-ups first, so that all of them meet the same machine (see {@link Figure}). A run
 * counts only if the receiver saw every message, in order and intact; anything else fails the whole benchmark
 * (exit status 1) rather than print a figure.
 *
 * <p>Run it with {@code benchmarks/run}, which builds the module and starts this class with the flags in
 * {@code jvm.options}. Exit status: 0 measured (whether or not the target was met), 1 failed, 2 usage.
 */
public final class PipeBenchmark
{
    static final String USAGE = """
        usage: benchmarks/run [--runs N] [--warmups N] [--lane-capacity BYTES] [--quick]

        Measures throughput and round trip of 64-byte messages between two JVMs through a Trindle pipe,
        a Unix pipe and a Unix socket, and compares them; also the round trip of one number through shared
        memory, the floor under any of them. Takes about two minutes.

          --runs N                measured runs of each figure; the median is reported (default %d)
          --warmups N             unmeasured runs before them, in the same processes (default %d)
          --lane-capacity BYTES   bytes in each Trindle lane's ring, a power of two (default %d)
          --quick                 a hundredth of the messages: checks that everything works, in seconds;
                                  its figures are not worth keeping
          --help                  show this help

        exit status: 0 measured (target met or not), 1 the benchmark failed, 2 usage error
        """.formatted(Config.DEFAULT_RUNS, Config.DEFAULT_WARMUPS, Config.DEFAULT_LANE_CAPACITY);

    private static final int EXIT_FAILED = 1;
    private static final int EXIT_USAGE = 2;
    private static final int QUICK_DIVISOR = 100;

    private PipeBenchmark()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final Config config;
        try
        {
            config = parse(args);
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("benchmark: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(EXIT_USAGE);
            return;
        }
        if (config == null)
        {
            System.out.print(USAGE);
            return;
        }
        try
        {
            printHeader(config, System.out);
            measure(config, System.out).print(System.out);
        }
        catch (final BenchmarkFailure e)
        {
            System.out.flush();
            System.err.println("benchmark FAILED, no figures: " + e.getMessage());
            System.exit(EXIT_FAILED);
        }
        catch (final RuntimeException e)
        {
            System.out.flush();
            System.err.println("benchmark FAILED, no figures:");
            e.printStackTrace();
            System.exit(EXIT_FAILED);
        }
    }

    /**
     * Measures every figure, printing a line to {@code progress} after each turn: first the three throughputs,
     * each turn opened by a short cache-line probe that shows the machine's state, then the four round trips;
     * the figures of each group take turns, one run each.
     *
     * @throws BenchmarkFailure if any run was broken.
     */
    static Results measure(final Config config, final PrintStream progress) throws InterruptedException
    {
        final int runs = config.warmups() + config.runs();
        final Results results = new Results(config);

        final Turns<Double> rates = takeTurns(config, progress, "throughput (M msg/s)",
            rate -> String.format("%.2f", rate / 1e6), List.<Supplier<Figure<Double>>>of(
                () -> new TrindleTransport.Throughput(config, runs),
                () -> new FdTransport.Throughput(config, Transport.PIPE, runs),
                () -> new FdTransport.Throughput(config, Transport.SOCKET, runs)),
            () -> new CacheLine.RoundTrip(config, config.probeRoundTrips(), runs));
        results.throughput(Transport.TRINDLE, toArray(rates.measured().get(0)));
        results.throughput(Transport.PIPE, toArray(rates.measured().get(1)));
        results.throughput(Transport.SOCKET, toArray(rates.measured().get(2)));
        results.probes(rates.probes().toArray(RoundTrips[]::new));

        // The cache line takes its turn right after the Trindle pipe, so that the two meet the same machine.
        final Turns<RoundTrips> roundTrips = takeTurns(config, progress, "round trip (median ns)",
            run -> String.format("%,.0f", run.medianNanos()), List.<Supplier<Figure<RoundTrips>>>of(
                () -> new TrindleTransport.RoundTrip(config, runs),
                () -> new CacheLine.RoundTrip(config, config.roundTrips(Transport.TRINDLE), runs),
                () -> new FdTransport.RoundTrip(config, Transport.PIPE, runs),
                () -> new FdTransport.RoundTrip(config, Transport.SOCKET, runs)),
            null);
        results.roundTrips(Transport.TRINDLE, roundTrips.measured().get(0).toArray(RoundTrips[]::new));
        results.cacheLine(roundTrips.measured().get(1).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.PIPE, roundTrips.measured().get(2).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.SOCKET, roundTrips.measured().get(3).toArray(RoundTrips[]::new));
        return results;
    }

    /**
     * What {@link #takeTurns} measured.
     *
     * @param measured for each figure, in order, its measured runs.
     * @param probes   the probe's measured runs, one per turn (empty without a probe).
     */
    private record Turns<T>(List<List<T>> measured, List<RoundTrips> probes)
    {
    }

    /**
     * Starts every figure's peer (and the probe's), runs the figures in turn, one run each per turn (warm-ups
     * first), each turn opened by a run of the probe if there is one; then waits for every peer to exit cleanly.
     */
    private static <T> Turns<T> takeTurns(final Config config, final PrintStream progress, final String what,
        final Function<T, String> format, final List<Supplier<Figure<T>>> makers,
        final Supplier<Figure<RoundTrips>> probeMaker) throws InterruptedException
    {
        final List<Figure<T>> figures = new ArrayList<>();
        Figure<RoundTrips> probe = null;
        try
        {
            final List<List<T>> measured = new ArrayList<>();
            final List<RoundTrips> probes = new ArrayList<>();
            for (final Supplier<Figure<T>> maker : makers)
            {
                figures.add(maker.get());
                measured.add(new ArrayList<>());
            }
            probe = probeMaker == null ? null : probeMaker.get();
            for (int run = -config.warmups(); run < config.runs(); run++)
            {
                final StringBuilder line = new StringBuilder(String.format("  %-23s %-9s", what,
                    run < 0 ? "warm-up" : "run " + (run + 1)));
                if (probe != null)
                {
                    final RoundTrips state = probe.run();
                    if (run >= 0)
                    {
                        probes.add(state);
                    }
                    line.append(String.format("  (%s %,.0f ns)", probe.label(), state.medianNanos()));
                }
                for (int i = 0; i < figures.size(); i++)
                {
                    final T figure = figures.get(i).run();
                    if (run >= 0)
                    {
                        measured.get(i).add(figure);
                    }
                    line.append(String.format("  %s %s", figures.get(i).label(), format.apply(figure)));
                }
                progress.println(line);
                progress.flush();
            }
            for (final Figure<T> figure : figures)
            {
                figure.finish();
            }
            if (probe != null)
            {
                probe.finish();
            }
            return new Turns<>(measured, probes);
        }
        finally
        {
            if (probe != null)
            {
                probe.close();
            }
            for (final Figure<T> figure : figures.reversed())
            {
                figure.close();
            }
        }
    }

    private static double[] toArray(final List<Double> values)
    {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** @return the configuration, or {@code null} if help was asked for. */
    static Config parse(final String[] args)
    {
        Config config = Config.defaults();
        int runs = config.runs();
        int warmups = config.warmups();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--runs" -> runs = intValue(args, ++i);
                case "--warmups" -> warmups = intValue(args, ++i);
                case "--lane-capacity" -> config = config.withLaneCapacity(intValue(args, ++i));
                case "--quick" -> config = config.scaledDown(QUICK_DIVISOR);
                case "--help", "-h" ->
                {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        // Checked here, before any process starts, rather than when the first lane is made.
        LaneDescriptor.checkCapacity(config.laneCapacity());
        return config.withRuns(runs, warmups);
    }

    private static int intValue(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number");
        }
        try
        {
            return Integer.parseInt(args[index]);
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number, not '" + args[index] + "'");
        }
    }

    private static void printHeader(final Config config, final PrintStream out)
    {
        out.println("Trindle pipe benchmark: 64-byte messages between two JVMs, in one run on one machine");
        out.printf("  date        %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.printf("  machine     %d CPUs, %s %s %s%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("  java        %s (%s %s)%n", config.java(), System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version"));
        out.printf("  jvm flags   %s (both JVMs)%n", String.join(" ", config.jvmFlags()));
        out.printf("  trindle     lane capacity %,d bytes, inbox %d; sender claims, writes in place, commits; " +
            "receiver polls and releases; both spin%n", config.laneCapacity(), TrindleTransport.INBOX_CAPACITY);
        out.printf("  unix        one write(2) per message; throughput reader reads up to 64 KiB per read(2); " +
            "reads block%n");
        out.printf("  runs        %d warm-up + %d measured per figure; each figure has its own peer JVM, and the " +
            "figures of a table take turns, one run each%n", config.warmups(), config.runs());
        out.println();
        out.flush();
    }
}
