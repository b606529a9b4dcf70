package io.trindle.benchmarks;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.linux.Processes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pipe throughput across languages, in one run: Java→Java, Java→C, C→C and C→Java, each a sending and a
 * receiving process on one lane, 64-byte messages ({@link Payload}) written in place and read in place, the
 * receiver checking every message; beside them a plain C single-producer single-consumer ring between two
 * processes (native-shims' trindle-bench-ring, no libtrindle), the yardstick for C→C:
 * {@code benchmarks/run cross [COUNT [RUNS]]}, or only the ring and C→C, turn by turn, with their ratio:
 * {@code benchmarks/run c [COUNT [RUNS]]}. This process plays the supervisor (it makes the lane and hands it over
 * the control protocol); the C side is native-shims' libtrindle, the Java side child-runtime. Throughput is the
 * receiver's: messages over the time from its first message to its last.
 */
public final class CrossLanguageBenchmark
{
    private static final Pattern RECEIVED = Pattern.compile("received (\\d+) messages in (\\d+) ns");
    private static final String C_TO_C = "C -> C";
    private static final String RING = "C ring";
    /** The least share of the plain ring's throughput C→C through libtrindle is meant to reach. */
    private static final double RING_TARGET = 0.9;

    private CrossLanguageBenchmark()
    {
    }

    /** One row: a source and a sink on one lane, or (sink null) one program that measures itself. */
    private record Row(String name, List<String> source, List<String> sink)
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final boolean cOnly = args.length > 0 && args[0].equals("--c");
        final int first = cOnly ? 1 : 0;
        final long count = args.length > first ? Long.parseLong(args[first]) : 20_000_000L;
        final int runs = args.length > first + 1 ? Integer.parseInt(args[first + 1]) : cOnly ? 7 : 3;
        final Path bin = Path.of(System.getProperty("trindle.native.bin", "native-shims/target/bin"));
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        final List<String> javaSource = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            CrossSource.class.getName(), Long.toString(count));
        final List<String> javaSink = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            CrossSink.class.getName());
        final List<String> cSource = List.of(bin.resolve("trindle-bench-source").toString(), Long.toString(count));
        final List<String> cSink = List.of(bin.resolve("trindle-bench-sink").toString());
        final Row ring = new Row(RING, List.of(bin.resolve("trindle-bench-ring").toString(), Long.toString(count)),
            null);
        final Row cToC = new Row(C_TO_C, cSource, cSink);
        // The ring just before C -> C, so that the two a ratio compares run one after the other.
        final List<Row> rows = cOnly ? List.of(ring, cToC) : List.of(new Row("Java -> Java", javaSource, javaSink),
            new Row("Java -> C", javaSource, cSink), ring, cToC, new Row("C -> Java", cSource, javaSink));

        final double[][] rates = new double[rows.size()][runs];
        for (int run = -1; run < runs; run++) // run -1: warm-up, not counted
        {
            for (int row = 0; row < rows.size(); row++)
            {
                final double rate = measure(rows.get(row), count);
                if (run >= 0)
                {
                    rates[row][run] = rate;
                }
            }
        }
        System.out.printf(
            "PIPE THROUGHPUT ACROSS LANGUAGES: one lane, 64-byte messages, %,d per run (M msg/s; %d runs " +
            "after 1 warm-up)%n", count, runs);
        final int baseRow = cOnly ? rows.indexOf(ring) : 0;
        final double base = median(rates[baseRow]);
        for (int row = 0; row < rows.size(); row++)
        {
            final StringBuilder line = new StringBuilder(String.format("  %-14s", rows.get(row).name()));
            for (final double rate : rates[row])
            {
                line.append(String.format(" %8.2f", rate / 1e6));
            }
            line.append(String.format("   MEDIAN %8.2f   %.2fx %s", median(rates[row]) / 1e6,
                median(rates[row]) / base, rows.get(baseRow).name()));
            System.out.println(line);
        }
        printRingRatio(rates[rows.indexOf(cToC)], rates[rows.indexOf(ring)]);
    }

    /** C→C over the plain ring: turn by turn (each pair measured seconds apart) and of the medians. */
    private static void printRingRatio(final double[] trindle, final double[] ring)
    {
        final double[] turns = new double[trindle.length];
        final StringBuilder line = new StringBuilder(String.format("  %-14s", "C -> C / ring"));
        for (int run = 0; run < trindle.length; run++)
        {
            turns[run] = trindle[run] / ring[run];
            line.append(String.format(" %8.2f", turns[run]));
        }
        final double ratio = median(turns);
        line.append(String.format("   MEDIAN %8.2f   ratio of medians %.2f: %s %.2fx of the plain C ring", ratio,
            median(trindle) / median(ring), ratio >= RING_TARGET ? "meets" : "DOES NOT MEET", RING_TARGET));
        System.out.println(line);
    }

    private static double measure(final Row row, final long count) throws Exception
    {
        if (row.sink() != null)
        {
            return measure(row.source(), row.sink(), count);
        }
        final Path logs = Files.createTempDirectory("trindle-cross");
        final Path output = logs.resolve("ring.out");
        final int status = Processes.waitpid(Processes.spawn(row.source().toArray(String[]::new),
            environment().toArray(String[]::new), output.toString(), output + ".err", new int[0]));
        return rate(row.source(), status, 0, output, logs.resolve("ring.out.err"), count);
    }

    private static double measure(final List<String> source, final List<String> sink, final long count)
        throws Exception
    {
        final Pipe pipe = Pipe.create(1 << 20);
        final Path logs = Files.createTempDirectory("trindle-cross");
        try (Handle lane = pipe.newLane())
        {
            final ControlChannel[] sinkChannel = ControlChannel.pair();
            final ControlChannel[] sourceChannel = ControlChannel.pair();
            final int sinkPid = spawn(sink, sinkChannel[1], logs.resolve("sink.out"));
            final int sourcePid = spawn(source, sourceChannel[1], logs.resolve("source.out"));
            grant(sinkChannel[0], "in", Right.RECEIVE, lane);
            grant(sourceChannel[0], "out", Right.SEND, lane);
            final int sinkStatus = Processes.waitpid(sinkPid);
            final int sourceStatus = Processes.waitpid(sourcePid);
            sinkChannel[0].close();
            sourceChannel[0].close();
            return rate(source, sourceStatus, sinkStatus, logs.resolve("sink.out"), logs.resolve("source.out"), count);
        }
    }

    /** @return the receiver's messages per second, as it printed them, once both programs ended well. */
    private static double rate(final List<String> source, final int sourceStatus, final int sinkStatus,
        final Path output, final Path otherOutput, final long count) throws Exception
    {
        final String printed = Files.readString(output);
        final Matcher matcher = RECEIVED.matcher(printed);
        if (Processes.exitCode(sinkStatus) != 0 || Processes.exitCode(sourceStatus) != 0 || !matcher.find() ||
            Long.parseLong(matcher.group(1)) != count)
        {
            throw new IllegalStateException("a run failed: " + source.getFirst() + ", statuses " + sourceStatus +
                "/" + sinkStatus + ": " + printed + Files.readString(otherOutput) +
                (Files.exists(Path.of(output + ".err")) ? Files.readString(Path.of(output + ".err")) : ""));
        }
        return count / (Long.parseLong(matcher.group(2)) / 1e9);
    }

    private static int spawn(final List<String> argv, final ControlChannel workerEnd, final Path output)
    {
        final List<String> environment = environment();
        environment.add(ControlChannel.WORKER_FD_ENVIRONMENT + "=3");
        try (workerEnd)
        {
            return Processes.spawn(argv.toArray(String[]::new), environment.toArray(String[]::new), output.toString(),
                output.toString() + ".err", new int[] {workerEnd.fd()});
        }
    }

    private static List<String> environment()
    {
        final List<String> environment = new ArrayList<>();
        System.getenv().forEach((key, value) -> environment.add(key + "=" + value));
        return environment;
    }

    private static void grant(final ControlChannel channel, final String name, final Right right, final Handle lane)
    {
        channel.send(new ControlMessage.Hello("cross", name.equals("in") ? "sink" : "source", 0, 1));
        channel.send(new ControlMessage.Grant(name, Rights.of(right), ObjectKind.PIPE, ControlMessage.Grant.ROUND_ROBIN,
            List.of(lane.duplicate(Rights.of(right)))));
        channel.send(new ControlMessage.GrantsDone());
        final ControlMessage ready = channel.receive();
        if (!(ready instanceof ControlMessage.Ready))
        {
            throw new IllegalStateException(name + " did not get ready: " + ready);
        }
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
