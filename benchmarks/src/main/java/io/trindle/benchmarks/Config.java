package io.trindle.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * What one benchmark run measures and how the peer process is started.
 *
 * @param runs                measured runs of each figure; the median is reported.
 * @param warmups             unmeasured runs before them, in the same two processes.
 * @param trindleMessages     messages per throughput run over a Trindle lane.
 * @param pipeMessages        messages per throughput run over a Unix pipe.
 * @param socketMessages      messages per throughput run over a Unix socket.
 * @param trindleRoundTrips   round trips per ping-pong run over two Trindle lanes.
 * @param pipeRoundTrips      round trips per ping-pong run over two Unix pipes.
 * @param socketRoundTrips    round trips per ping-pong run over one Unix socket pair.
 * @param laneCapacity        bytes in each Trindle lane's ring.
 * @param java                the java binary to start the peer with.
 * @param jvmFlags            the peer JVM's flags (from {@code jvm.options}, set in the module pom).
 * @param classPath           the peer JVM's class path.
 */
record Config(
    int runs,
    int warmups,
    long trindleMessages,
    long pipeMessages,
    long socketMessages,
    int trindleRoundTrips,
    int pipeRoundTrips,
    int socketRoundTrips,
    int laneCapacity,
    String java,
    List<String> jvmFlags,
    String classPath)
{
    /** The argument file, filtered from the module pom's {@code benchmark.jvm.flags}, next to this class. */
    static final String JVM_OPTIONS_RESOURCE = "jvm.options";

    static final int DEFAULT_RUNS = 5;
    static final int DEFAULT_WARMUPS = 1;
    /** About 1 s per run at 20 M msg/s; the syscall transports get counts that take about as long. */
    static final long DEFAULT_TRINDLE_MESSAGES = 20_000_000;
    static final long DEFAULT_PIPE_MESSAGES = 3_000_000;
    static final long DEFAULT_SOCKET_MESSAGES = 1_500_000;
    static final int DEFAULT_TRINDLE_ROUND_TRIPS = 1_000_000;
    static final int DEFAULT_PIPE_ROUND_TRIPS = 100_000;
    static final int DEFAULT_SOCKET_ROUND_TRIPS = 100_000;
    static final int DEFAULT_LANE_CAPACITY = 256 * 1024;

    Config
    {
        if (runs < 1 || warmups < 0)
        {
            throw new IllegalArgumentException("runs=" + runs + " must be at least 1, warmups=" + warmups +
                " not negative");
        }
        if (trindleMessages < 1 || pipeMessages < 1 || socketMessages < 1 || trindleRoundTrips < 1 ||
            pipeRoundTrips < 1 || socketRoundTrips < 1)
        {
            throw new IllegalArgumentException("every count must be at least 1: " + this);
        }
        jvmFlags = List.copyOf(jvmFlags);
    }

    /** The defaults, with this JVM's java binary and class path and the flags from {@code jvm.options}. */
    static Config defaults()
    {
        return new Config(DEFAULT_RUNS, DEFAULT_WARMUPS, DEFAULT_TRINDLE_MESSAGES, DEFAULT_PIPE_MESSAGES,
            DEFAULT_SOCKET_MESSAGES, DEFAULT_TRINDLE_ROUND_TRIPS, DEFAULT_PIPE_ROUND_TRIPS,
            DEFAULT_SOCKET_ROUND_TRIPS, DEFAULT_LANE_CAPACITY, currentJava(), jvmOptions(),
            System.getProperty("java.class.path"));
    }

    /** Every message and round-trip count divided by {@code divisor} (at least 1 each). */
    Config scaledDown(final int divisor)
    {
        return new Config(runs, warmups, Math.max(1, trindleMessages / divisor), Math.max(1, pipeMessages / divisor),
            Math.max(1, socketMessages / divisor), Math.max(1, trindleRoundTrips / divisor),
            Math.max(1, pipeRoundTrips / divisor), Math.max(1, socketRoundTrips / divisor), laneCapacity, java,
            jvmFlags, classPath);
    }

    Config withRuns(final int newRuns, final int newWarmups)
    {
        return new Config(newRuns, newWarmups, trindleMessages, pipeMessages, socketMessages, trindleRoundTrips,
            pipeRoundTrips, socketRoundTrips, laneCapacity, java, jvmFlags, classPath);
    }

    Config withLaneCapacity(final int newLaneCapacity)
    {
        return new Config(runs, warmups, trindleMessages, pipeMessages, socketMessages, trindleRoundTrips,
            pipeRoundTrips, socketRoundTrips, newLaneCapacity, java, jvmFlags, classPath);
    }

    Config withClassPath(final String newClassPath)
    {
        return new Config(runs, warmups, trindleMessages, pipeMessages, socketMessages, trindleRoundTrips,
            pipeRoundTrips, socketRoundTrips, laneCapacity, java, jvmFlags, newClassPath);
    }

    /**
     * @return round trips per run of the cache-line probe that opens each throughput turn: a tenth of a
     * Trindle ping-pong run, enough to tell the machine's state, too few to cost much time.
     */
    int probeRoundTrips()
    {
        return Math.max(1, trindleRoundTrips / 10);
    }

    long messages(final Transport transport)
    {
        return switch (transport)
        {
            case TRINDLE -> trindleMessages;
            case PIPE -> pipeMessages;
            case SOCKET -> socketMessages;
        };
    }

    int roundTrips(final Transport transport)
    {
        return switch (transport)
        {
            case TRINDLE -> trindleRoundTrips;
            case PIPE -> pipeRoundTrips;
            case SOCKET -> socketRoundTrips;
        };
    }

    /** @return the java binary running this JVM, to start the peer with the same one. */
    static String currentJava()
    {
        return ProcessHandle.current().info().command().orElseThrow(() ->
            new IllegalStateException("cannot tell which java binary runs this JVM, to start the peer with it"));
    }

    /** @return the flags in {@code jvm.options}: the ones benchmarks/run started this JVM with. */
    static List<String> jvmOptions()
    {
        try (InputStream in = Config.class.getResourceAsStream(JVM_OPTIONS_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException(JVM_OPTIONS_RESOURCE + " is missing from the class path next to " +
                    Config.class.getName() + ": build the benchmarks module with Maven");
            }
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            if (text.contains("${"))
            {
                throw new IllegalStateException(JVM_OPTIONS_RESOURCE + " was not filtered by Maven: " + text);
            }
            return Arrays.stream(text.split("\\s+")).filter(flag -> !flag.isEmpty()).toList();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
