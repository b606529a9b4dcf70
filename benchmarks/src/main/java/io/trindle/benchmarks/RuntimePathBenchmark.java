package io.trindle.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java runtime's sending path beside the raw lane, turn by turn in the same run:
 * {@code benchmarks/run runtime [COUNT [TURNS]]}. The same supervised pipeline of one lane carries COUNT messages of
 * 64 bytes from a sender to a receiver ({@link CrossSink}, which reads with {@code Trindle.exchange}, checks each
 * message and times itself from its first message to its last), the sender being {@link CrossSource} (raw
 * {@code LaneSender} claim and commit, written in place) or {@link OutboxSource} (the runtime's {@code Outbox} and
 * {@code exchange}, as a worker written against the runtime sends: each message added from a byte array, or
 * claimed in the outbox and written there). Both receive the same way: {@code exchange}'s
 * receiving half is the {@code PipeReceiver} itself. First, the sending half alone in one thread ({@link SendCost}),
 * which the machine's load moves far less.
 */
public final class RuntimePathBenchmark
{
    private static final Pattern RECEIVED = Pattern.compile("sink +\\| received (\\d+) messages in (\\d+) ns");

    private RuntimePathBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String usage = "usage: benchmarks/run runtime [COUNT [TURNS]]\n  COUNT messages per run (default " +
            "20000000) and TURNS measured turns (default 5), both at least 1: the sending half alone in one thread,\n" +
            "  then a raw lane and the runtime's outbox + exchange taking turns in one supervised pipeline";
        if (args.length > 0 && ("--help".equals(args[0]) || "-h".equals(args[0])))
        {
            System.out.println(usage);
            return;
        }
        final long count;
        final int turns;
        try
        {
            count = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
            turns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        }
        catch (final NumberFormatException e)
        {
            System.err.println("benchmarks/run runtime: COUNT and TURNS are whole numbers, not \"" +
                String.join(" ", args) + "\"\n" + usage);
            System.exit(2);
            return;
        }
        if (args.length > 2 || count < 1 || turns < 1)
        {
            System.err.println("benchmarks/run runtime: " + String.join(" ", args) + ": out of range\n" + usage);
            System.exit(2);
        }
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        final Path directory = Files.createTempDirectory("trindle-runtime-benchmark");
        SendCost.print(turns, 300);
        System.out.printf("runtime path and raw lane: one lane, 64-byte messages, %,d per run, Java -> Java under " +
            "trindle run; %d turns after one warm-up%n", count, turns);
        final List<Double> raw = new ArrayList<>();
        final List<Double> copied = new ArrayList<>();
        final List<Double> claimed = new ArrayList<>();
        final List<Double> copiedRatios = new ArrayList<>();
        final List<Double> claimedRatios = new ArrayList<>();
        for (int turn = 0; turn <= turns; turn++) // turn 0: the warm-up, not counted
        {
            final double lane = run(java, classPath, directory, CrossSource.class.getName(), "", count);
            final double copy = run(java, classPath, directory, OutboxSource.class.getName(), " copy", count);
            final double claim = run(java, classPath, directory, OutboxSource.class.getName(), " claim", count);
            System.out.printf("  %-8s raw lane %7.2f M msg/s   outbox add %7.2f (%.2f)   outbox claim %7.2f (%.2f)%n",
                turn == 0 ? "warm-up" : "turn " + turn, lane / 1e6, copy / 1e6, copy / lane, claim / 1e6,
                claim / lane);
            if (turn > 0)
            {
                raw.add(lane);
                copied.add(copy);
                claimed.add(claim);
                copiedRatios.add(copy / lane);
                claimedRatios.add(claim / lane);
            }
        }
        System.out.printf("median: raw lane %.2f M msg/s; outbox add + exchange %.2f M msg/s, ratio %.3f (median of " +
            "the turns' ratios %.3f); outbox claim + exchange %.2f M msg/s, ratio %.3f (median of the turns' ratios " +
            "%.3f)%n", median(raw) / 1e6, median(copied) / 1e6, median(copied) / median(raw), median(copiedRatios),
            median(claimed) / 1e6, median(claimed) / median(raw), median(claimedRatios));
    }

    /**
     * @param after what follows COUNT on {@code source}'s command line.
     * @return the receiver's messages per second in one run of the pipeline with {@code source} sending.
     */
    private static double run(final String java, final String classPath, final Path directory, final String source,
        final String after, final long count) throws IOException, InterruptedException
    {
        Files.writeString(directory.resolve("runtime.yaml"), """
            pipes:
              out: { lane: 256KiB }
            workers:
              source:
                java: %s %d%s
                grants: { out: send }
                restart: never
              sink:
                java: io.trindle.benchmarks.CrossSink
                grants: { out: receive }
                restart: never
            """.formatted(source, count, after));
        final Process supervisor = Supervised.start(java, classPath, directory, "runtime.yaml");
        final String output = new String(supervisor.getInputStream().readAllBytes());
        if (supervisor.waitFor() != 0)
        {
            throw new IllegalStateException("the pipeline failed:\n" + output);
        }
        final Matcher received = RECEIVED.matcher(output);
        if (!received.find() || Long.parseLong(received.group(1)) != count)
        {
            throw new IllegalStateException("expected the sink to receive " + count + " messages:\n" + output);
        }
        return count * 1e9 / Long.parseLong(received.group(2));
    }

    private static double median(final List<Double> values)
    {
        final List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
