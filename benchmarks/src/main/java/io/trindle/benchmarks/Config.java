package io.trindle.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one benchmark run measures and how the peer processes are started.
 *
 * @param runs         measured runs of each figure; the median is reported.
 * @param warmups      unmeasured runs before them, in the same processes.
 * @param messages     messages per throughput run, by transport (split evenly among the senders when there are
 *                     several).
 * @param roundTrips   round trips per ping-pong run, by transport.
 * @param laneCapacity bytes in each Trindle lane's ring, and in each Agrona ring.
 * @param java         the java binary to start the peers with.
 * @param jvmFlags     the peer JVMs' flags (from {@code jvm.options}, set in the module pom).
 * @param classPath    the peer JVMs' class path.
 */
record Config(
    int runs,
    int warmups,
    Map<Transport, Long> messages,
    Map<Transport, Integer> roundTrips,
    int laneCapacity,
    String java,
    List<String> jvmFlags,
    String classPath)
{
    /** The argument file, filtered from the module pom's {@code benchmark.jvm.flags}, next to this class. */
    static final String JVM_OPTIONS_RESOURCE = "jvm.options";

    static final int DEFAULT_RUNS = 5;
    static final int DEFAULT_WARMUPS = 1;
    static final int DEFAULT_LANE_CAPACITY = 256 * 1024;
    /** The sender counts of the throughput tables: one sender process, then several into one receiver. */
    static final List<Integer> SENDER_COUNTS = List.of(1, 2, 4);
    /** How many times fewer messages a many-senders run moves than a one-sender run. */
    static final int MANY_SENDERS_DIVISOR = 2;

    Config
    {
        if (runs < 1 || warmups < 0)
        {
            throw new IllegalArgumentException("runs=" + runs + " must be at least 1, warmups=" + warmups +
                " not negative");
        }
        for (final Transport transport : Transport.values())
        {
            if (messages.getOrDefault(transport, 0L) < 1 || roundTrips.getOrDefault(transport, 0) < 1)
            {
                throw new IllegalArgumentException("every count must be at least 1: transport=" + transport +
                    ", messages=" + messages + ", roundTrips=" + roundTrips);
            }
        }
        messages = Map.copyOf(messages);
        roundTrips = Map.copyOf(roundTrips);
        jvmFlags = List.copyOf(jvmFlags);
    }

    /** The defaults, with this JVM's java binary and class path and the flags from {@code jvm.options}. */
    static Config defaults()
    {
        final Map<Transport, Long> messages = new EnumMap<>(Transport.class);
        final Map<Transport, Integer> roundTrips = new EnumMap<>(Transport.class);
        for (final Transport transport : Transport.values())
        {
            messages.put(transport, transport.defaultMessages);
            roundTrips.put(transport, transport.defaultRoundTrips);
        }
        return new Config(DEFAULT_RUNS, DEFAULT_WARMUPS, messages, roundTrips, DEFAULT_LANE_CAPACITY, currentJava(),
            jvmOptions(), System.getProperty("java.class.path"));
    }

    /**
     * Every message and round-trip count divided by {@code divisor}, kept at least the largest sender count so
     * that every sender sends something.
     */
    Config scaledDown(final int divisor)
    {
        final long least = SENDER_COUNTS.getLast();
        final Map<Transport, Long> fewerMessages = new EnumMap<>(Transport.class);
        final Map<Transport, Integer> fewerRoundTrips = new EnumMap<>(Transport.class);
        for (final Transport transport : Transport.values())
        {
            fewerMessages.put(transport, Math.max(least, messages.get(transport) / divisor));
            fewerRoundTrips.put(transport, Math.max(1, roundTrips.get(transport) / divisor));
        }
        return new Config(runs, warmups, fewerMessages, fewerRoundTrips, laneCapacity, java, jvmFlags, classPath);
    }

    Config withRuns(final int newRuns, final int newWarmups)
    {
        return new Config(newRuns, newWarmups, messages, roundTrips, laneCapacity, java, jvmFlags, classPath);
    }

    Config withLaneCapacity(final int newLaneCapacity)
    {
        return new Config(runs, warmups, messages, roundTrips, newLaneCapacity, java, jvmFlags, classPath);
    }

    Config withClassPath(final String newClassPath)
    {
        return new Config(runs, warmups, messages, roundTrips, laneCapacity, java, jvmFlags, newClassPath);
    }

    /**
     * @return round trips per run of the cache-line probe that opens each throughput turn: a tenth of a
     * Trindle ping-pong run, enough to tell the machine's state, too few to cost much time.
     */
    int probeRoundTrips()
    {
        return Math.max(1, roundTrips(Transport.TRINDLE) / 10);
    }

    long messages(final Transport transport)
    {
        return messages.get(transport);
    }

    /**
     * @return messages each of {@code senders} senders sends per run: the transport's count, halved when there are
     * several senders (they share the CPUs with the receiver, so a run takes longer), split evenly.
     */
    long messagesPerSender(final Transport transport, final int senders)
    {
        return senders == 1 ? messages(transport) : Math.max(1, messages(transport) / MANY_SENDERS_DIVISOR / senders);
    }

    int roundTrips(final Transport transport)
    {
        return roundTrips.get(transport);
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
