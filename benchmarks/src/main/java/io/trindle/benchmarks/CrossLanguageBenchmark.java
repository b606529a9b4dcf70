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
 * receiving process on one lane, 64-byte messages written in place and read in place, the receiver checking
 * every index: {@code benchmarks/run cross [COUNT [RUNS]]}. This process plays the supervisor (it makes the
 * lane and hands it over the control protocol); the C side is native-shims' libtrindle, the Java side
 * child-runtime. Throughput is the receiver's: messages over the time from its first message to its last.
 */
public final class CrossLanguageBenchmark
{
    private static final Pattern RECEIVED = Pattern.compile("received (\\d+) messages in (\\d+) ns");

    private CrossLanguageBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long count = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
        final int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final Path bin = Path.of(System.getProperty("trindle.native.bin", "native-shims/target/bin"));
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        final List<String> javaSource = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            CrossSource.class.getName(), Long.toString(count));
        final List<String> javaSink = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
            CrossSink.class.getName());
        final List<String> cSource = List.of(bin.resolve("trindle-bench-source").toString(), Long.toString(count));
        final List<String> cSink = List.of(bin.resolve("trindle-bench-sink").toString());

        final String[] names = {"Java -> Java", "Java -> C", "C -> C", "C -> Java"};
        final List<List<List<String>>> pairs = List.of(List.of(javaSource, javaSink), List.of(javaSource, cSink),
            List.of(cSource, cSink), List.of(cSource, javaSink));
        final double[][] rates = new double[names.length][runs];
        for (int run = -1; run < runs; run++) // run -1: warm-up, not counted
        {
            for (int pair = 0; pair < names.length; pair++)
            {
                final double rate = measure(pairs.get(pair).get(0), pairs.get(pair).get(1), count);
                if (run >= 0)
                {
                    rates[pair][run] = rate;
                }
            }
        }
        System.out.printf(
            "PIPE THROUGHPUT ACROSS LANGUAGES: one lane, 64-byte messages, %,d per run (M msg/s; %d runs " +
            "after 1 warm-up)%n", count, runs);
        final double base = median(rates[0]);
        for (int pair = 0; pair < names.length; pair++)
        {
            final StringBuilder line = new StringBuilder(String.format("  %-14s", names[pair]));
            for (final double rate : rates[pair])
            {
                line.append(String.format(" %8.2f", rate / 1e6));
            }
            line.append(String.format("   MEDIAN %8.2f   %.2fx Java -> Java", median(rates[pair]) / 1e6,
                median(rates[pair]) / base));
            System.out.println(line);
        }
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
            final String output = Files.readString(logs.resolve("sink.out"));
            final Matcher matcher = RECEIVED.matcher(output);
            if (Processes.exitCode(sinkStatus) != 0 || Processes.exitCode(sourceStatus) != 0 || !matcher.find() ||
                Long.parseLong(matcher.group(1)) != count)
            {
                throw new IllegalStateException("a run failed: " + source.getFirst() + " -> " + sink.getFirst() +
                    ", statuses " + sourceStatus + "/" + sinkStatus + ": " + output +
                    Files.readString(logs.resolve("source.out")));
            }
            return count / (Long.parseLong(matcher.group(2)) / 1e9);
        }
    }

    private static int spawn(final List<String> argv, final ControlChannel workerEnd, final Path output)
    {
        final List<String> environment = new ArrayList<>();
        System.getenv().forEach((key, value) -> environment.add(key + "=" + value));
        environment.add(ControlChannel.WORKER_FD_ENVIRONMENT + "=3");
        try (workerEnd)
        {
            return Processes.spawn(argv.toArray(String[]::new), environment.toArray(String[]::new), output.toString(),
                output.toString() + ".err", new int[] {workerEnd.fd()});
        }
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
