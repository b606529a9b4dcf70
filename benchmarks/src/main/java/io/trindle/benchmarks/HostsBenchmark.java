package io.trindle.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Pipes across hosts: {@code benchmarks/run hosts}. In one run, the contenders taking turns run by run, over
 * loopback: a Trindle pipe bridged between two supervisors ({@code trindle run FILE --host a} and {@code --host b},
 * the worker {@link HostsNear} on a and {@link HostsFar} on b), the same two workers under one supervisor without
 * hosts, and plain Aeron between two processes ({@link AeronEnd}, each with an embedded media driver as the bridge
 * runs it). Each run measures both figures with the same two ends: first the round trip, one message in flight
 * (p50, p99, p99.9, max), then the throughput of a stream from the near end to the far one, timed by the far end
 * from its first message after a warm-up to its last. Every message is checked on arrival. Each figure is the median
 * of the measured turns; the ratios are bridged Trindle against local Trindle and against plain Aeron.
 */
public final class HostsBenchmark
{
    /** The contenders, in the order of the first turn (each turn starts one further on). */
    enum Contender
    {
        BRIDGED("Trindle, bridged (2 hosts)"),
        LOCAL("Trindle, one host"),
        AERON("plain Aeron");

        final String label;

        Contender(final String label)
        {
            this.label = label;
        }
    }

    /** The round trip line of {@link HostsNear} and the near {@link AeronEnd}. */
    static final Pattern ROUND_TRIPS = Pattern.compile("hosts round trips: (\\d+) in (\\d+) ns: p50 (\\d+) p99 " +
        "(\\d+) p99\\.9 (\\d+) max (\\d+) mean (\\d+) ns");
    /** The throughput line of {@link HostsFar} and the far {@link AeronEnd}. */
    static final Pattern STREAM = Pattern.compile("hosts stream: (\\d+) messages of (\\d+) bytes timed in (\\d+) ns " +
        "\\((\\d+) received\\)");
    /** The NAKs a plain Aeron end's driver sent ({@link AeronEnd#counters}). */
    static final Pattern NAKS = Pattern.compile("aeron driver \\(\\w+ end\\): NAKs sent (\\d+)");

    private HostsBenchmark()
    {
    }

    /**
     * What the command line asked for.
     *
     * @param turns         measured turns: each contender runs once per turn and size.
     * @param warmUpTurns   turns run first and not counted.
     * @param sizes         the message sizes, in bytes.
     * @param warmUpMillis  each phase's warm-up: round trips before the measured ones, stream not timed at first.
     * @param measureMillis how long the round trips are measured, and about how long the stream is timed.
     * @param laneCapacity  the capacity of each pipe's lane (and so of the bridge's Aeron terms: twice that).
     * @param timeoutSeconds the longest a run may take before it is stopped and counted as failed.
     * @param out           where the Markdown tables go; {@code null} for nowhere.
     */
    record Options(int turns, int warmUpTurns, List<Integer> sizes, int warmUpMillis, int measureMillis,
        int laneCapacity, int timeoutSeconds, Path out)
    {
        static Options defaults()
        {
            return new Options(5, 1, List.of(64, 1024), 500, 2_000, 256 * 1024, 120, null);
        }
    }

    static final String USAGE = """
        benchmarks/run hosts [--turns N] [--warm-up-turns N] [--sizes BYTES,...] [--warm-up MS] [--measure MS]
                             [--lane BYTES] [--timeout S] [--out DIRECTORY]

        A Trindle pipe bridged between two supervisors on this machine (hosts a and b on loopback), the same pipe in
        one supervisor, and plain Aeron between two processes: round trips (one in flight) and throughput, the
        contenders taking turns run by run.

          --turns N             measured turns (default 5); each runs every contender once per size
          --warm-up-turns N     turns first, not counted (default 1)
          --sizes BYTES,...     message sizes, multiples of 8 from 16 (default 64,1024)
          --warm-up MS          round trips before the measured ones, and the stream's untimed start (default 500)
          --measure MS          round trips measured for this long, the stream timed about as long (default 2000)
          --lane BYTES          each pipe's lane capacity, a power of two (default 262144); the bridge's and
                                plain Aeron's terms are twice that
          --timeout S           a run taking longer is stopped and counted as failed (default 120)
          --out DIRECTORY       write the tables in Markdown there, as hosts.md (benchmarks/run: benchmarks/target)
        """;

    /** @return the options, or {@code null} if help was asked for. */
    static Options parse(final String[] args)
    {
        final Options defaults = Options.defaults();
        int turns = defaults.turns();
        int warmUpTurns = defaults.warmUpTurns();
        List<Integer> sizes = defaults.sizes();
        int warmUp = defaults.warmUpMillis();
        int measure = defaults.measureMillis();
        int lane = defaults.laneCapacity();
        int timeout = defaults.timeoutSeconds();
        Path out = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--turns" -> turns = number(args, ++i, 1);
                case "--warm-up-turns" -> warmUpTurns = number(args, ++i, 0);
                case "--sizes" -> sizes = sizes(args, ++i);
                case "--warm-up" -> warmUp = number(args, ++i, 0);
                case "--measure" -> measure = number(args, ++i, 1);
                case "--lane" -> lane = number(args, ++i, 1);
                case "--timeout" -> timeout = number(args, ++i, 1);
                case "--out" -> out = Path.of(value(args, ++i));
                case "--help", "-h" ->
                {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' (try --help)");
            }
        }
        if (Integer.bitCount(lane) != 1)
        {
            throw new IllegalArgumentException("--lane needs a power of two, not " + lane);
        }
        for (final int size : sizes)
        {
            // A lane's largest message is an eighth of its capacity, less 16 bytes (docs/pipe-format.md).
            if (size > lane / 8 - 16)
            {
                throw new IllegalArgumentException("a message of " + size + " bytes does not fit a lane of " + lane +
                    " bytes (at most an eighth of it, less 16): give a larger --lane");
            }
        }
        return new Options(turns, warmUpTurns, sizes, warmUp, measure, lane, timeout, out);
    }

    private static List<Integer> sizes(final String[] args, final int index)
    {
        final List<Integer> sizes = new ArrayList<>();
        for (final String size : value(args, index).split(","))
        {
            try
            {
                sizes.add(HostsMessage.checkSize(Integer.parseInt(size.strip())));
            }
            catch (final NumberFormatException e)
            {
                throw new IllegalArgumentException("--sizes needs numbers separated by commas, not '" +
                    args[index] + "'");
            }
        }
        return List.copyOf(sizes);
    }

    private static String value(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a value");
        }
        return args[index];
    }

    private static int number(final String[] args, final int index, final int least)
    {
        final int value;
        try
        {
            value = Integer.parseInt(value(args, index));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number, not '" + args[index] + "'");
        }
        if (value < least)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number of at least " + least + ", not " +
                value);
        }
        return value;
    }

    // ------------------------------------------------------------------------------------------ the workers' lines

    /** @return the line the near end prints: its measured round trips. */
    static String roundTripLine(final int count, final long elapsedNanos, final RoundTrips roundTrips)
    {
        return String.format(Locale.ROOT, "hosts round trips: %d in %d ns: p50 %d p99 %d p99.9 %d max %d mean %d ns",
            count, elapsedNanos, (long)roundTrips.medianNanos(), (long)roundTrips.p99Nanos(),
            (long)roundTrips.p999Nanos(), (long)roundTrips.maxNanos(), (long)roundTrips.meanNanos());
    }

    /** @return the line the far end prints: the stream's messages timed, their size and time, and all it received. */
    static String throughputLine(final long timed, final int size, final long nanos, final long received)
    {
        return String.format(Locale.ROOT, "hosts stream: %d messages of %d bytes timed in %d ns (%d received)", timed,
            size, nanos, received);
    }

    /**
     * One run's figures.
     *
     * @param roundTrips        how many round trips were measured.
     * @param roundTrip         their summary.
     * @param messagesPerSecond the stream's messages per second at the far end.
     * @param received          the stream's messages received in all (timed or not).
     */
    record Run(int roundTrips, RoundTrips roundTrip, double messagesPerSecond, long received)
    {
    }

    /**
     * Reads a run's figures from the near end's output and the far end's.
     *
     * @throws BenchmarkFailure if a line is missing, or the far end's size is not {@code size}.
     */
    static Run parseRun(final CharSequence near, final CharSequence far, final int size)
    {
        final Matcher trips = ROUND_TRIPS.matcher(near);
        if (!trips.find())
        {
            throw new BenchmarkFailure("the near end printed no round trips");
        }
        final Matcher stream = STREAM.matcher(far);
        if (!stream.find())
        {
            throw new BenchmarkFailure("the far end printed no stream figures");
        }
        if (Integer.parseInt(stream.group(2)) != size)
        {
            throw new BenchmarkFailure("the far end received messages of " + stream.group(2) + " bytes, not " + size);
        }
        final int count = Integer.parseInt(trips.group(1));
        final RoundTrips roundTrip = new RoundTrips(Double.parseDouble(trips.group(3)),
            Double.parseDouble(trips.group(7)), Double.parseDouble(trips.group(4)), Double.parseDouble(trips.group(5)),
            Double.parseDouble(trips.group(6)));
        final long timed = Long.parseLong(stream.group(1));
        final long nanos = Long.parseLong(stream.group(3));
        return new Run(count, roundTrip, timed * 1e9 / nanos, Long.parseLong(stream.group(4)));
    }

    // ------------------------------------------------------------------------------------------------------ the run

    public static void main(final String[] args) throws Exception
    {
        final Options options;
        try
        {
            options = parse(args);
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("benchmarks/run hosts: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options == null)
        {
            System.out.print(USAGE);
            return;
        }
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        // Every Aeron directory and the supervisors' run directory on tmpfs, as Aeron advises, for every contender.
        final Path shm = Path.of("/dev/shm");
        final Path directory = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "trindle-hosts-benchmark-") :
            Files.createTempDirectory("trindle-hosts-benchmark-");
        final PrintStream out = System.out;
        printHeader(options, out);
        final Map<Integer, Map<Contender, List<Run>>> runs = new TreeMap<>();
        final List<String> failures = new ArrayList<>();
        final StringBuilder log = new StringBuilder();
        final long started = System.nanoTime();
        try
        {
            final Contender[] contenders = Contender.values();
            for (int turn = 0; turn < options.warmUpTurns() + options.turns(); turn++)
            {
                final boolean counted = turn >= options.warmUpTurns();
                final String name = counted ? "turn " + (turn - options.warmUpTurns() + 1) : "warm-up " + (turn + 1);
                for (final int size : options.sizes())
                {
                    for (int k = 0; k < contenders.length; k++)
                    {
                        final Contender contender = contenders[(turn + k) % contenders.length];
                        final long runStart = System.nanoTime();
                        try
                        {
                            final Outcome outcome = run(contender, size, options, java, classPath, directory);
                            final Run run = outcome.run();
                            final long naks = naks(outcome.output());
                            out.printf(Locale.ROOT, "  %-10s %5d B  %-26s %12.0f msg/s %9.1f MB/s   round trip p50 " +
                                "%11s p99 %11s (%d)   %4.1f s%s%n", name, size, contender.label,
                                run.messagesPerSecond(), run.messagesPerSecond() * size / 1e6,
                                micros(run.roundTrip().medianNanos()), micros(run.roundTrip().p99Nanos()),
                                run.roundTrips(), (System.nanoTime() - runStart) / 1e9,
                                naks < 0 ? "" : "   NAKs " + naks);
                            log.append(String.format("==== %s, %d B, %s%n%s", name, size, contender.label,
                                outcome.output()));
                            if (counted)
                            {
                                runs.computeIfAbsent(size, s -> new EnumMap<>(Contender.class))
                                    .computeIfAbsent(contender, c -> new ArrayList<>()).add(run);
                            }
                        }
                        catch (final BenchmarkFailure e)
                        {
                            final String failure = String.format("%s, %d B, %s: %s", name, size, contender.label,
                                e.getMessage());
                            failures.add(failure);
                            log.append(String.format("==== FAILED %s%n", failure));
                            out.printf("  FAILED %s%n", failure);
                        }
                        out.flush();
                    }
                }
            }
        }
        finally
        {
            delete(directory);
        }
        out.println();
        final String summary = summary(options, runs, failures);
        out.print(summary);
        out.printf(Locale.ROOT, "the whole run took %.0f s%n", (System.nanoTime() - started) / 1e9);
        if (options.out() != null)
        {
            Files.createDirectories(options.out());
            final Path md = options.out().resolve("hosts.md");
            Files.writeString(md, markdown(options, runs, failures));
            final Path outputs = options.out().resolve("hosts.log");
            Files.writeString(outputs, log);
            out.println("tables in Markdown: " + md + "; every process's output, run by run: " + outputs);
        }
        if (runs.isEmpty())
        {
            System.exit(1);
        }
    }

    private static Outcome run(final Contender contender, final int size, final Options options, final String java,
        final String classPath, final Path directory) throws IOException, InterruptedException
    {
        final int warm = options.warmUpMillis();
        final int measure = options.measureMillis();
        final String near = "io.trindle.benchmarks.HostsNear " + size + " " + warm + " " + measure;
        final String far = "io.trindle.benchmarks.HostsFar " + size + " " + warm;
        final int[] ports = freeUdpPorts(2);
        final List<Ended> ends = switch (contender)
        {
            case BRIDGED ->
            {
                Files.writeString(directory.resolve("bridged.yaml"), """
                    name: hosts-bench
                    hosts:
                      a: { address: 127.0.0.1:%d }
                      b: { address: 127.0.0.1:%d }
                    pipes:
                      ab: { lane: %d }
                      ba: { lane: %d }
                    workers:
                      near:
                        java: %s
                        host: a
                        grants: { ab: send, ba: receive }
                        restart: never
                      far:
                        java: %s
                        host: b
                        grants: { ab: receive, ba: send }
                        restart: never
                    """.formatted(ports[0], ports[1], options.laneCapacity(), options.laneCapacity(), near, far));
                final Process a = Supervised.start(java, classPath, directory, "bridged.yaml", List.of("--host", "a"));
                final Process b = Supervised.start(java, classPath, directory, "bridged.yaml", List.of("--host", "b"));
                yield awaitAll(List.of(new Started("host a", a), new Started("host b", b)), options);
            }
            case LOCAL ->
            {
                Files.writeString(directory.resolve("local.yaml"), """
                    name: hosts-bench-local
                    pipes:
                      ab: { lane: %d }
                      ba: { lane: %d }
                    workers:
                      near:
                        java: %s
                        grants: { ab: send, ba: receive }
                        restart: never
                      far:
                        java: %s
                        grants: { ab: receive, ba: send }
                        restart: never
                    """.formatted(options.laneCapacity(), options.laneCapacity(), near, far));
                final Process supervisor = Supervised.start(java, classPath, directory, "local.yaml");
                final List<Ended> one = awaitAll(List.of(new Started("supervisor", supervisor)), options);
                yield List.of(one.getFirst(), one.getFirst());
            }
            case AERON ->
            {
                // Terms as the bridge gives a lane of this capacity (HostBridge.channel): twice the capacity.
                final String term = Integer.toString(Math.max(64 * 1024, options.laneCapacity() * 2));
                final String nearAddress = "127.0.0.1:" + ports[0];
                final String farAddress = "127.0.0.1:" + ports[1];
                final Process farEnd = aeron(java, classPath, directory, List.of("far", Integer.toString(size),
                    Integer.toString(warm), Integer.toString(measure), farAddress, nearAddress,
                    directory.resolve("aeron-far").toString(), term));
                final Process nearEnd = aeron(java, classPath, directory, List.of("near", Integer.toString(size),
                    Integer.toString(warm), Integer.toString(measure), nearAddress, farAddress,
                    directory.resolve("aeron-near").toString(), term));
                yield awaitAll(List.of(new Started("near", nearEnd), new Started("far", farEnd)), options);
            }
        };
        try
        {
            return new Outcome(parseRun(ends.get(0).output(), ends.get(1).output(), size), outputs(ends));
        }
        catch (final BenchmarkFailure e)
        {
            throw new BenchmarkFailure(e.getMessage() + "; output:\n" + outputs(ends));
        }
    }

    /** A run's figures and everything its processes printed. */
    private record Outcome(Run run, String output)
    {
    }

    /** @return the NAKs both plain Aeron ends' drivers sent (a frame lost and asked again), or -1 for none said. */
    static long naks(final CharSequence output)
    {
        final Matcher naks = NAKS.matcher(output);
        long sum = -1;
        while (naks.find())
        {
            sum = Math.max(sum, 0) + Long.parseLong(naks.group(1));
        }
        return sum;
    }

    /** Starts a plain Aeron end with the flags the supervisors get (see {@link Supervised}). */
    private static Process aeron(final String java, final String classPath, final Path directory,
        final List<String> arguments) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(flag -> flag.startsWith("--add-") || flag.startsWith("--sun-misc")).toList());
        command.addAll(List.of("-cp", classPath, AeronEnd.class.getName()));
        command.addAll(arguments);
        return new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    }

    private record Started(String name, Process process)
    {
    }

    private record Ended(String name, int status, String output)
    {
    }

    /**
     * Waits for every process to end, reading their output as they run; one that fails, or a run that outlasts the
     * timeout (every process and its children killed then), fails the run with everything they printed.
     */
    private static List<Ended> awaitAll(final List<Started> processes, final Options options)
        throws InterruptedException
    {
        final List<CompletableFuture<String>> outputs = new ArrayList<>();
        for (final Started started : processes)
        {
            outputs.add(CompletableFuture.supplyAsync(() -> read(started.process().getInputStream())));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeoutSeconds());
        boolean timedOut = false;
        for (final Started started : processes)
        {
            final long left = deadline - System.nanoTime();
            if (!started.process().waitFor(Math.max(0, left), TimeUnit.NANOSECONDS))
            {
                timedOut = true;
                break;
            }
        }
        if (timedOut)
        {
            for (final Started started : processes)
            {
                started.process().descendants().forEach(ProcessHandle::destroyForcibly);
                started.process().destroyForcibly();
            }
            for (final Started started : processes)
            {
                started.process().waitFor(10, TimeUnit.SECONDS);
            }
        }
        final List<Ended> ended = new ArrayList<>();
        for (int i = 0; i < processes.size(); i++)
        {
            final Started started = processes.get(i);
            ended.add(new Ended(started.name(), started.process().isAlive() ? -1 : started.process().exitValue(),
                outputs.get(i).join()));
        }
        if (timedOut)
        {
            throw new BenchmarkFailure("not over after " + options.timeoutSeconds() + " s, stopped; output:\n" +
                outputs(ended));
        }
        for (final Ended end : ended)
        {
            if (end.status() != 0)
            {
                throw new BenchmarkFailure(end.name() + " exited with status " + end.status() + "; output:\n" +
                    outputs(ended));
            }
        }
        return ended;
    }

    private static String outputs(final List<Ended> ended)
    {
        final StringBuilder text = new StringBuilder();
        ended.stream().distinct().forEach(end -> text.append("---- ").append(end.name()).append(" (status ")
            .append(end.status()).append(")\n").append(end.output()));
        return text.toString();
    }

    private static String read(final InputStream in)
    {
        try (in)
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return {@code count} UDP ports on 127.0.0.1 that the system found free (each held until all are chosen, so they
     *         differ); a process may still take one before the run binds it.
     */
    static int[] freeUdpPorts(final int count) throws IOException
    {
        final List<DatagramSocket> sockets = new ArrayList<>();
        try
        {
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++)
            {
                final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    0));
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        }
        finally
        {
            sockets.forEach(DatagramSocket::close);
        }
    }

    private static void delete(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }

    // -------------------------------------------------------------------------------------------------- the tables

    private static String micros(final double nanos)
    {
        return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
    }

    private static double median(final List<Run> runs, final ToDoubleFunction<Run> figure)
    {
        return Stats.median(runs.stream().mapToDouble(figure).toArray());
    }

    /** The figures of one size and contender: medians of the measured turns (the max: the largest of all). */
    private record Medians(int turns, double messagesPerSecond, double p50, double p99, double p999, double max,
        double roundTrips)
    {
        static Medians of(final List<Run> runs)
        {
            return new Medians(runs.size(), median(runs, Run::messagesPerSecond),
                median(runs, run -> run.roundTrip().medianNanos()), median(runs, run -> run.roundTrip().p99Nanos()),
                median(runs, run -> run.roundTrip().p999Nanos()),
                runs.stream().mapToDouble(run -> run.roundTrip().maxNanos()).max().orElse(0),
                median(runs, Run::roundTrips));
        }
    }

    static String summary(final Options options, final Map<Integer, Map<Contender, List<Run>>> runs,
        final List<String> failures)
    {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "MEDIANS of %d turns (throughput at the far end; round trips one in " +
            "flight, the max the longest of all turns)%n", options.turns()));
        text.append(String.format(Locale.ROOT, "  %6s  %-26s %14s %10s %11s %11s %11s %11s %12s%n", "size",
            "contender", "msg/s", "MB/s", "rtt p50", "rtt p99", "rtt p99.9", "rtt max", "round trips"));
        for (final Map.Entry<Integer, Map<Contender, List<Run>>> bySize : runs.entrySet())
        {
            final int size = bySize.getKey();
            for (final Contender contender : Contender.values())
            {
                final List<Run> list = bySize.getValue().get(contender);
                if (list == null)
                {
                    text.append(String.format(Locale.ROOT, "  %4d B  %-26s no run succeeded%n", size,
                        contender.label));
                    continue;
                }
                final Medians m = Medians.of(list);
                text.append(String.format(Locale.ROOT, "  %4d B  %-26s %14.0f %10.1f %11s %11s %11s %11s %12.0f%s%n",
                    size, contender.label, m.messagesPerSecond(), m.messagesPerSecond() * size / 1e6,
                    micros(m.p50()), micros(m.p99()), micros(m.p999()), micros(m.max()), m.roundTrips(),
                    m.turns() == options.turns() ? "" : "  (" + m.turns() + " of " + options.turns() + " turns)"));
            }
        }
        text.append(String.format("RATIOS (medians): throughput above 1 = bridged moves more; round trips above 1 = " +
            "bridged takes longer%n"));
        for (final Map.Entry<Integer, Map<Contender, List<Run>>> bySize : runs.entrySet())
        {
            for (final Contender other : List.of(Contender.LOCAL, Contender.AERON))
            {
                final List<Run> bridged = bySize.getValue().get(Contender.BRIDGED);
                final List<Run> peer = bySize.getValue().get(other);
                if (bridged == null || peer == null)
                {
                    continue;
                }
                final Medians b = Medians.of(bridged);
                final Medians p = Medians.of(peer);
                text.append(String.format(Locale.ROOT, "  %4d B  bridged / %-18s throughput %7.3fx   rtt p50 " +
                    "%8.2fx   rtt p99 %8.2fx%n", bySize.getKey(), other == Contender.LOCAL ? "one host" : "plain Aeron",
                    b.messagesPerSecond() / p.messagesPerSecond(), b.p50() / p.p50(), b.p99() / p.p99()));
            }
        }
        if (!failures.isEmpty())
        {
            text.append(String.format("FAILED runs: %d (above, with their output)%n", failures.size()));
        }
        return text.toString();
    }

    static String markdown(final Options options, final Map<Integer, Map<Contender, List<Run>>> runs,
        final List<String> failures)
    {
        final StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Medians of %d turns after %d warm-up turn(s); round trips one in " +
            "flight, measured for %d ms a run; throughput at the far end, timed about %d ms a run after %d ms.%n%n",
            options.turns(), options.warmUpTurns(), options.measureMillis(), options.measureMillis(),
            options.warmUpMillis()));
        md.append("| Size | Contender | Messages/s | MB/s | Round trip p50 | p99 | p99.9 | max | Round trips a run " +
            "|\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final Map.Entry<Integer, Map<Contender, List<Run>>> bySize : runs.entrySet())
        {
            for (final Contender contender : Contender.values())
            {
                final List<Run> list = bySize.getValue().get(contender);
                if (list == null)
                {
                    md.append(String.format(Locale.ROOT, "| %d B | %s | failed | | | | | | |%n", bySize.getKey(),
                        contender.label));
                    continue;
                }
                final Medians m = Medians.of(list);
                md.append(String.format(Locale.ROOT, "| %d B | %s | %,.0f | %.1f | %s | %s | %s | %s | %,.0f |%n",
                    bySize.getKey(), contender.label, m.messagesPerSecond(), m.messagesPerSecond() *
                    bySize.getKey() / 1e6, micros(m.p50()), micros(m.p99()), micros(m.p999()), micros(m.max()),
                    m.roundTrips()));
            }
        }
        md.append("\n| Size | Ratio | Throughput | Round trip p50 | Round trip p99 |\n|---:|---|---:|---:|---:|\n");
        for (final Map.Entry<Integer, Map<Contender, List<Run>>> bySize : runs.entrySet())
        {
            for (final Contender other : List.of(Contender.LOCAL, Contender.AERON))
            {
                final List<Run> bridged = bySize.getValue().get(Contender.BRIDGED);
                final List<Run> peer = bySize.getValue().get(other);
                if (bridged == null || peer == null)
                {
                    continue;
                }
                final Medians b = Medians.of(bridged);
                final Medians p = Medians.of(peer);
                md.append(String.format(Locale.ROOT, "| %d B | bridged / %s | %.3f× | %.2f× | %.2f× |%n",
                    bySize.getKey(), other == Contender.LOCAL ? "one host" : "plain Aeron",
                    b.messagesPerSecond() / p.messagesPerSecond(), b.p50() / p.p50(), b.p99() / p.p99()));
            }
        }
        if (!failures.isEmpty())
        {
            md.append(String.format("%nFailed runs: %d%n", failures.size()));
            for (final String failure : failures)
            {
                md.append("- ").append(failure.lines().findFirst().orElse("")).append('\n');
            }
        }
        return md.toString();
    }

    private static void printHeader(final Options options, final PrintStream out)
    {
        out.println("Pipes across hosts: a Trindle pipe bridged between two supervisors over Aeron (UDP loopback), " +
            "the same pipe in one supervisor, and plain Aeron between two processes");
        out.printf("  date        %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.printf("  machine     %d CPUs, %s %s %s%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("  java        %s (%s)%n", ProcessHandle.current().info().command().orElse("?"),
            System.getProperty("java.runtime.version"));
        out.printf("  trindle     workers HostsNear (host a) and HostsFar (host b), Java, the runtime's default " +
            "waits; lanes of %,d bytes; bridge: embedded media driver, SHARED, back-off parked up to 1 ms%n",
            options.laneCapacity());
        out.printf("  aeron       AeronEnd near and far, each its own embedded media driver (SHARED, the same " +
            "back-off), tryClaim in place, polls with the same back-off; terms of %,d bytes%n",
            Math.max(64 * 1024, options.laneCapacity() * 2));
        out.printf("  runs        %d warm-up + %d measured turns; per run: round trips (first answer, %d ms warm-up, " +
            "%d ms measured), then the stream (%d ms untimed, about %d ms timed); sizes %s%n",
            options.warmUpTurns(), options.turns(), options.warmUpMillis(), options.measureMillis(),
            options.warmUpMillis(), options.measureMillis(), options.sizes());
        out.println();
        out.flush();
    }
}
