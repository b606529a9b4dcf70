package io.trindle.benchmarks;

import io.trindle.ipc.LaneDescriptor;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Measures, in one run on one machine, how fast separate processes (JVMs) move 64-byte messages through a
 * Trindle pipe, an Agrona ring buffer, a Chronicle Queue, a Unix pipe and a Unix socket: throughput one way (one
 * sender, then several into one receiver), and the round trip of one message there and back. Prints every run,
 * the medians, the ratios Trindle / peer, and whether the design's target (a Trindle pipe moves at least 15 times
 * what a Unix pipe does) was met; writes a chart and Markdown tables of the run. Beside them it measures the floor
 * of any shared-memory round trip on this machine at this moment ({@link CacheLine}), so that a slow figure
 * can be told apart from a slow machine.
 *
 * <p>This process measures; for each figure a second JVM ({@link Peer}, started with the same java binary, flags
 * and class path) receives and checks every message, or echoes it back; in the many-senders tables one peer JVM
 * per sender sends and this process receives and checks. The figures of a table take
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
        usage: benchmarks/run [--runs N] [--warmups N] [--lane-capacity BYTES] [--quick] [--divide N]
                              [--out DIRECTORY]

        Measures throughput (one sender, then 2 and 4 senders into one receiver) and round trip of 64-byte
        messages between JVMs through a Trindle pipe, an Agrona ring buffer, a Chronicle Queue, a Unix pipe
        and a Unix socket, and compares them; also the round trip of one number through shared memory, the
        floor under any of them. Takes about five minutes.

          --runs N                measured runs of each figure; the median is reported (default %d)
          --warmups N             unmeasured runs before them, in the same processes (default %d)
          --lane-capacity BYTES   bytes in each Trindle lane's ring and each Agrona ring, a power of two
                                  (default %d)
          --quick                 a hundredth of the messages: checks that everything works (a minute or two:
                                  some forty JVMs start); its figures are not worth keeping
          --divide N              every message and round-trip count divided by N: shorter runs, for a
                                  machine so busy that the full counts would take too long
          --out DIRECTORY         write the chart (benchmarks.svg) and the tables in Markdown
                                  (benchmarks.md) there (benchmarks/run: benchmarks/target)
          --help                  show this help

        Other measurements, each its own command (benchmarks/README.md): benchmarks/run cross [COUNT [RUNS]]
        (Java and C on both ends of a lane, and a plain C ring), benchmarks/run c [COUNT [RUNS]] (C -> C
        through libtrindle beside the plain C ring, turn by turn, and their ratio), and cli, bridge, metrics,
        runtime, segments, handles, journal, receive-cost, fastpath, table, hosts, broadcast (one writer, 1, 2
        and 4 reader processes: Trindle's broadcast beside Aeron IPC and Agrona's broadcast buffer).

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
        final Options options;
        try
        {
            options = parse(args);
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("benchmark: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(EXIT_USAGE);
            return;
        }
        if (options == null)
        {
            System.out.print(USAGE);
            return;
        }
        final Config config = options.config();
        try
        {
            printHeader(config, System.out);
            final Results results = measure(config, System.out);
            results.print(System.out);
            if (options.out() != null)
            {
                write(results, options.out(), System.out);
            }
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
     * Measures every figure, printing a line to {@code progress} after each turn: first the one-sender throughputs,
     * each turn opened by a short cache-line probe that shows the machine's state, then the throughputs of several
     * senders into one receiver, then the round trips; the figures of each table take turns, one run each.
     *
     * @throws BenchmarkFailure if any run was broken.
     */
    static Results measure(final Config config, final PrintStream progress) throws InterruptedException
    {
        final int runs = config.warmups() + config.runs();
        final Results results = new Results(config);
        final Function<Double, String> rate = value -> String.format("%.2f", value / 1e6);

        final Turns<Double> rates = takeTurns(config, progress, "throughput (M msg/s)", rate,
            List.<Supplier<Figure<Double>>>of(
                () -> new TrindleTransport.Throughput(config, runs),
                () -> new AgronaTransport.Throughput(config, runs),
                () -> new ChronicleTransport.Throughput(config, runs),
                () -> new FdTransport.Throughput(config, Transport.PIPE, runs),
                () -> new FdTransport.Throughput(config, Transport.SOCKET, runs)),
            () -> new CacheLine.RoundTrip(config, config.probeRoundTrips(), runs));
        for (int i = 0; i < Transport.values().length; i++)
        {
            results.throughput(Transport.values()[i], 1, toArray(rates.measured().get(i)));
        }
        results.probes(rates.probes().toArray(RoundTrips[]::new));

        for (final int senders : Config.SENDER_COUNTS.subList(1, Config.SENDER_COUNTS.size()))
        {
            final List<Transport> transports = List.of(Transport.TRINDLE, Transport.AGRONA, Transport.CHRONICLE,
                Transport.SOCKET);
            final Turns<Double> many = takeTurns(config, progress, senders + " senders (M msg/s)", rate,
                List.<Supplier<Figure<Double>>>of(
                    () -> TrindleTransport.manySenders(config, senders, runs),
                    () -> AgronaTransport.manySenders(config, senders, runs),
                    () -> ChronicleTransport.manySenders(config, senders, runs),
                    () -> FdTransport.manySenders(config, senders, runs)),
                null);
            for (int i = 0; i < transports.size(); i++)
            {
                results.throughput(transports.get(i), senders, toArray(many.measured().get(i)));
            }
        }

        // The cache line takes its turn right after the Trindle pipe, so that the two meet the same machine.
        final Turns<RoundTrips> roundTrips = takeTurns(config, progress, "round trip (median ns)",
            run -> String.format("%,.0f", run.medianNanos()), List.<Supplier<Figure<RoundTrips>>>of(
                () -> new TrindleTransport.RoundTrip(config, runs),
                () -> new CacheLine.RoundTrip(config, config.roundTrips(Transport.TRINDLE), runs),
                () -> new AgronaTransport.RoundTrip(config, runs),
                () -> new ChronicleTransport.RoundTrip(config, runs),
                () -> new FdTransport.RoundTrip(config, Transport.PIPE, runs),
                () -> new FdTransport.RoundTrip(config, Transport.SOCKET, runs)),
            null);
        results.roundTrips(Transport.TRINDLE, roundTrips.measured().get(0).toArray(RoundTrips[]::new));
        results.cacheLine(roundTrips.measured().get(1).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.AGRONA, roundTrips.measured().get(2).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.CHRONICLE, roundTrips.measured().get(3).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.PIPE, roundTrips.measured().get(4).toArray(RoundTrips[]::new));
        results.roundTrips(Transport.SOCKET, roundTrips.measured().get(5).toArray(RoundTrips[]::new));
        return results;
    }

    /**
     * Writes the chart ({@code benchmarks.svg}) and the Markdown tables ({@code benchmarks.md}) of {@code results}
     * into {@code directory}.
     */
    static void write(final Results results, final Path directory, final PrintStream out)
    {
        try
        {
            Files.createDirectories(directory);
            final String date = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            final Path svg = directory.resolve("benchmarks.svg");
            Files.writeString(svg, Chart.svg(results, "Trindle beside Agrona, Chronicle Queue and Unix pipes and " +
                "sockets: 64-byte messages between JVMs, " + Runtime.getRuntime().availableProcessors() +
                " CPUs, " + date));
            final Path md = directory.resolve("benchmarks.md");
            Files.writeString(md, results.markdown());
            out.println();
            out.println("chart            " + svg);
            out.println("markdown tables  " + md);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not write the chart and tables into " + directory, e);
        }
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

    /**
     * What the command line asked for.
     *
     * @param config what to measure.
     * @param out    where to write the chart and the Markdown tables; {@code null} for nowhere.
     */
    record Options(Config config, Path out)
    {
    }

    /** @return the options, or {@code null} if help was asked for. */
    static Options parse(final String[] args)
    {
        Config config = Config.defaults();
        Path out = null;
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
                case "--divide" -> config = config.scaledDown(positive(args, ++i));
                case "--out" -> out = Path.of(stringValue(args, ++i));
                case "--help", "-h" ->
                {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        // Checked here, before any process starts, rather than when the first lane is made.
        LaneDescriptor.checkCapacity(config.laneCapacity());
        return new Options(config.withRuns(runs, warmups), out);
    }

    private static int positive(final String[] args, final int index)
    {
        final int value = intValue(args, index);
        if (value < 1)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number of at least 1, not " + value);
        }
        return value;
    }

    private static String stringValue(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a value");
        }
        return args[index];
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
        out.println("Trindle pipe benchmark: 64-byte messages between JVMs, Trindle beside Agrona, Chronicle Queue " +
            "and Unix pipes and sockets, in one run on one machine");
        out.printf("  date        %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.printf("  machine     %d CPUs, %s %s %s%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("  java        %s (%s %s)%n", config.java(), System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version"));
        out.printf("  jvm flags   %s (every JVM)%n", String.join(" ", config.jvmFlags()));
        out.printf("  trindle     lane capacity %,d bytes, inbox %d; sender claims, writes in place, commits; " +
            "receiver polls and releases; both spin%n", config.laneCapacity(), TrindleTransport.INBOX_CAPACITY);
        out.printf("  agrona      OneToOneRingBuffer (ManyToOneRingBuffer for several senders) of the same capacity " +
            "over a file in /dev/shm; tryClaim, write in place, commit; read up to %d a call; both spin; bounds " +
            "checks on%n", TrindleTransport.INBOX_CAPACITY);
        out.printf("  chronicle   SingleChronicleQueue in /dev/shm (a fresh one per throughput run); appender " +
            "writingDocument, tailer readingDocument; both spin%n");
        out.printf("  unix        one write(2) per message; throughput reader reads up to 64 KiB per read(2); " +
            "reads block; several senders: one socket and one reading thread each%n");
        out.printf("  runs        %d warm-up + %d measured per figure; each figure has its own peer JVMs, and the " +
            "figures of a table take turns, one run each; no CPU pinning for any%n", config.warmups(), config.runs());
        out.println();
        out.flush();
    }
}
