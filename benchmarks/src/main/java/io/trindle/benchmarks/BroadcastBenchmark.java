package io.trindle.benchmarks;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.trindle.ipc.Broadcast;
import io.trindle.ipc.BroadcastDescriptor;
import io.trindle.ipc.BroadcastWriter;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastBufferDescriptor;
import org.agrona.concurrent.broadcast.BroadcastTransmitter;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One writer, many readers: {@code benchmarks/run broadcast}. A Trindle broadcast under each policy beside Aeron's
 * IPC publication and Agrona's broadcast buffer, each with 1, 2 and 4 readers, every reader a JVM of its own
 * ({@link BroadcastReaders}, started by {@link Peer}) and the writer this JVM. For each message size and reader
 * count, the four contenders' readers are started together and wait; then the contenders take turns, one run each,
 * turn after turn. A run sends a fixed number of messages as fast as the writer can and ends when every reader has
 * the last one; each reader checks every message it is handed. Each figure is the median of the measured turns.
 */
public final class BroadcastBenchmark
{
    /** The contenders, in the order they take their turns. */
    enum Kind
    {
        TRINDLE_SLOWEST("Trindle slowest-reader", false),
        AERON("Aeron IPC", false),
        TRINDLE_LAP("Trindle lap", true),
        AGRONA("Agrona broadcast", true);

        final String label;
        /** Whether a reader may be handed fewer messages than were sent: the writer never waits for it. */
        final boolean lossy;

        Kind(final String label, final boolean lossy)
        {
            this.label = label;
            this.lossy = lossy;
        }
    }

    /**
     * What the command line asked for.
     *
     * @param turns          measured turns: each contender runs once per turn, size and reader count.
     * @param warmUpTurns    turns run first and not counted.
     * @param readers        the reader counts.
     * @param sizes          the message sizes, in bytes.
     * @param messages       messages per run, by size.
     * @param capacity       the ring's bytes, for every contender (Aeron's terms are twice that; see the header).
     * @param timeoutSeconds the longest a run may take before the benchmark gives up.
     * @param out            where the Markdown tables go; {@code null} for nowhere.
     */
    record Options(int turns, int warmUpTurns, List<Integer> readers, List<Integer> sizes, Map<Integer, Long> messages,
        int capacity, int timeoutSeconds, Path out)
    {
        static final int DEFAULT_CAPACITY = 1 << 20;
        static final long DEFAULT_MESSAGES_SMALL = 16_000_000;
        static final long DEFAULT_MESSAGES_LARGE = 4_000_000;

        /** @return the default count of {@code size}-byte messages per run: fewer for messages over 256 bytes. */
        static long defaultMessages(final int size)
        {
            return size <= 256 ? DEFAULT_MESSAGES_SMALL : DEFAULT_MESSAGES_LARGE;
        }

        long messages(final int size)
        {
            return messages.get(size);
        }
    }

    static final String USAGE = """
        benchmarks/run broadcast [--turns N] [--warm-up-turns N] [--readers N,...] [--sizes BYTES,...]
                                 [--messages N] [--capacity BYTES] [--timeout S] [--out DIRECTORY]

        One writer (this JVM), many reader JVMs: a Trindle broadcast under slowest-reader and under lap, Aeron's IPC
        publication (an embedded media driver) and Agrona's broadcast buffer, the contenders taking turns run by run.

          --turns N             measured turns (default 5); each runs every contender once per size and reader count
          --warm-up-turns N     turns first, not counted (default 1)
          --readers N,...       reader counts (default 1,2,4)
          --sizes BYTES,...     message sizes, multiples of 8 from 16 (default 64,1024)
          --messages N          messages per run, every size (default 16000000 up to 256 bytes, 4000000 above)
          --capacity BYTES      the ring of every contender, a power of two (default 1048576); Aeron's terms are
                                twice that, so that its publication may run as far ahead of its slowest reader
          --timeout S           a run taking longer stops the benchmark (default 120)
          --out DIRECTORY       write the tables in Markdown there, as broadcast.md (benchmarks/run: benchmarks/target)
        """;

    private static final int EXIT_FAILED = 1;
    private static final int EXIT_USAGE = 2;
    private static final String NAME = "benchmark";

    private BroadcastBenchmark()
    {
    }

    // ---------------------------------------------------------------------------------------------------- options

    /** @return the options, or {@code null} if help was asked for. */
    static Options parse(final String[] args)
    {
        int turns = 5;
        int warmUpTurns = 1;
        List<Integer> readers = List.of(1, 2, 4);
        List<Integer> sizes = List.of(64, 1024);
        long messages = 0;
        int capacity = Options.DEFAULT_CAPACITY;
        int timeout = 120;
        Path out = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--turns" -> turns = (int)number(args, ++i, 1, Integer.MAX_VALUE);
                case "--warm-up-turns" -> warmUpTurns = (int)number(args, ++i, 0, Integer.MAX_VALUE);
                case "--readers" -> readers = numbers(args, ++i, 1, BroadcastDescriptor.MAX_SLOTS);
                case "--sizes" -> sizes = numbers(args, ++i, 16, Integer.MAX_VALUE);
                case "--messages" -> messages = number(args, ++i, 1, Long.MAX_VALUE / 2);
                case "--capacity" -> capacity = (int)number(args, ++i, BroadcastDescriptor.MIN_CAPACITY, 1 << 29);
                case "--timeout" -> timeout = (int)number(args, ++i, 1, Integer.MAX_VALUE);
                case "--out" -> out = Path.of(value(args, ++i));
                case "--help", "-h" ->
                {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' (try --help)");
            }
        }
        // Aeron's terms, twice the ring, are at most 1 GiB: hence the largest capacity, 2^29.
        if (Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("--capacity needs a power of two, not " + capacity);
        }
        final Map<Integer, Long> counts = new TreeMap<>();
        for (final int size : sizes)
        {
            BroadcastReaders.checkSize(size);
            // The largest message of every contender's ring is an eighth of it (Trindle's less its 16-byte header).
            if (size > BroadcastDescriptor.maxPayloadLength(capacity))
            {
                throw new IllegalArgumentException("a message of " + size + " bytes does not fit a ring of " +
                    capacity + " bytes (at most an eighth of it, less 16): give a larger --capacity");
            }
            counts.put(size, messages > 0 ? messages : Options.defaultMessages(size));
        }
        return new Options(turns, warmUpTurns, readers, sizes, counts, capacity, timeout, out);
    }

    private static String value(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a value");
        }
        return args[index];
    }

    private static long number(final String[] args, final int index, final long least, final long most)
    {
        final long value;
        try
        {
            value = Long.parseLong(value(args, index));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number, not '" + args[index] + "'");
        }
        if (value < least || value > most)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number from " + least + " to " + most +
                ", not " + value);
        }
        return value;
    }

    private static List<Integer> numbers(final String[] args, final int index, final int least, final int most)
    {
        final List<Integer> numbers = new ArrayList<>();
        for (final String number : value(args, index).split(","))
        {
            final int value;
            try
            {
                value = Integer.parseInt(number.strip());
            }
            catch (final NumberFormatException e)
            {
                throw new IllegalArgumentException(args[index - 1] + " needs numbers separated by commas, not '" +
                    args[index] + "'");
            }
            if (value < least || value > most)
            {
                throw new IllegalArgumentException(args[index - 1] + " needs numbers from " + least + " to " + most +
                    ", not " + value);
            }
            numbers.add(value);
        }
        return List.copyOf(numbers);
    }

    // ------------------------------------------------------------------------------------------------------ a run

    /**
     * One run's figures.
     *
     * @param sent         messages the writer sent.
     * @param sendNanos    from the first message sent to the last.
     * @param elapsedNanos from the first message sent to the last reader's report that it had the last one.
     * @param delivered    messages each reader was handed (and checked).
     */
    record Run(long sent, long sendNanos, long elapsedNanos, long[] delivered)
    {
        /** @return messages handed to each reader per second, the mean over the readers. */
        double perReader()
        {
            return total() / delivered.length;
        }

        /** @return messages handed to the readers per second, all together. */
        double total()
        {
            return Arrays.stream(delivered).sum() * 1e9 / elapsedNanos;
        }

        /** @return the share of the messages sent that a reader was not handed, the mean over the readers. */
        double lostShare()
        {
            return 1 - Arrays.stream(delivered).average().orElse(0) / sent;
        }

        /** @return the largest share of the messages sent that one reader was not handed. */
        double mostLostShare()
        {
            return 1 - (double)Arrays.stream(delivered).min().orElse(0) / sent;
        }

        /** @return messages the writer sent per second, from its first to its last. */
        double sendRate()
        {
            return sent * 1e9 / sendNanos;
        }
    }

    /**
     * A contender with its readers: the writer here, each reader a peer JVM started with the role of the contender
     * and holding its end, waiting for the first run.
     */
    private abstract static class Contender implements AutoCloseable
    {
        final Kind kind;
        final int size;
        final long count;
        final List<PeerProcess> readers = new ArrayList<>();
        private long base;

        Contender(final Kind kind, final int size, final long count)
        {
            this.kind = kind;
            this.size = size;
            this.count = count;
        }

        /**
         * Runs once: tells every reader to start, sends {@code count} messages, and reads every reader's report.
         *
         * @throws BenchmarkFailure if a reader found a message damaged or out of order, did not end with the last,
         *                          or (a lossless contender's) was not handed every message.
         */
        final Run run(final Watchdog watchdog)
        {
            for (final PeerProcess reader : readers)
            {
                reader.startRun();
            }
            watchdog.arm();
            final long start = System.nanoTime();
            send(base, count);
            final long sent = System.nanoTime();
            final long[] delivered = new long[readers.size()];
            for (int i = 0; i < delivered.length; i++)
            {
                delivered[i] = readers.get(i).expectLast(base + count - 1);
            }
            final long end = System.nanoTime();
            watchdog.disarm();
            for (int i = 0; i < delivered.length; i++)
            {
                if (delivered[i] > count || !kind.lossy && delivered[i] != count)
                {
                    throw new BenchmarkFailure(kind.label + ": reader " + (i + 1) + " was handed " + delivered[i] +
                        " of the " + count + " messages sent");
                }
            }
            base += count;
            return new Run(count, sent - start, end - start, delivered);
        }

        /** Sends messages {@code first} … {@code first + messages - 1}: the writer's loop, one per contender. */
        abstract void send(long first, long messages);

        /** Waits for every reader to exit after its last run. */
        final void finish() throws InterruptedException
        {
            for (final PeerProcess reader : readers)
            {
                reader.awaitExit();
            }
        }

        /** Closes the writer's side, once the readers are gone. */
        abstract void closeWriter();

        @Override
        public final void close()
        {
            try
            {
                readers.forEach(PeerProcess::close);
            }
            finally
            {
                closeWriter();
            }
        }
    }

    /** A Trindle broadcast: the maker and the writer here, each reader given the ring (READ) and its own cursor. */
    private static final class TrindleContender extends Contender
    {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment source;
        private final Broadcast broadcast;
        private final BroadcastWriter writer;

        TrindleContender(final Kind kind, final Config config, final int size, final long count, final int readerCount,
            final int runs, final int capacity)
        {
            super(kind, size, count);
            source = arena.allocate(size, 64);
            broadcast = Broadcast.create(capacity, kind == Kind.TRINDLE_LAP ? BroadcastDescriptor.POLICY_LAP :
                BroadcastDescriptor.POLICY_SLOWEST_READER, readerCount);
            final List<Handle> views = new ArrayList<>();
            for (int slot = 0; slot < readerCount; slot++)
            {
                views.add(broadcast.cursorView(slot));
            }
            writer = BroadcastWriter.open(NAME, broadcast.ring(), views);
            for (int slot = 0; slot < readerCount; slot++)
            {
                try (Handle ring = broadcast.ring().duplicate(Rights.of(Right.READ));
                    Handle cursor = broadcast.cursor(slot).duplicate(Rights.of(Right.READ, Right.WRITE)))
                {
                    readers.add(PeerProcess.startWithHandles(config, BroadcastReaders.TRINDLE, count, runs,
                        List.of(Integer.toString(size)), ring, cursor));
                }
            }
        }

        @Override
        void send(final long first, final long messages)
        {
            final long end = first + messages;
            for (long sequence = first; sequence < end; sequence++)
            {
                BroadcastReaders.write(source, size, sequence);
                if (writer.send(source, 0, size) != sequence)
                {
                    throw new BenchmarkFailure("the Trindle writer numbered message " + sequence + " otherwise");
                }
            }
        }

        @Override
        void closeWriter()
        {
            try
            {
                writer.end();
                writer.close();
            }
            finally
            {
                broadcast.close();
                arena.close();
            }
        }
    }

    /**
     * Aeron IPC: a media driver embedded here (as the supervisor's bridge runs one: SHARED, the back-off parked up to
     * 1 ms), an exclusive publication on {@code aeron:ipc} with terms twice the ring, so that it runs at most the
     * ring's bytes ahead of its slowest subscriber; each reader a client of this driver with one subscription. The
     * writer offers each message (a copy into the term); back-pressured, it yields the CPU and offers again.
     */
    private static final class AeronContender extends Contender
    {
        private final UnsafeBuffer source;
        private final MediaDriver driver;
        private final Aeron aeron;
        private final ExclusivePublication publication;

        AeronContender(final Config config, final int size, final long count, final int readerCount, final int runs,
            final int capacity, final Path directory)
        {
            super(Kind.AERON, size, count);
            source = new UnsafeBuffer(BufferUtil.allocateDirectAligned(size, 64));
            final String aeronDirectory = directory.toString();
            driver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(aeronDirectory)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(AeronEnd.backoff()));
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDirectory));
            publication = aeron.addExclusivePublication(BroadcastReaders.AERON_CHANNEL + "?term-length=" +
                2 * capacity, BroadcastReaders.AERON_STREAM);
            for (int i = 0; i < readerCount; i++)
            {
                readers.add(PeerProcess.start(config, BroadcastReaders.AERON, count, runs,
                    List.of(Integer.toString(size), aeronDirectory)));
            }
        }

        @Override
        void send(final long first, final long messages)
        {
            final long end = first + messages;
            for (long sequence = first; sequence < end; sequence++)
            {
                source.putLong(0, sequence);
                source.putLong(size - Long.BYTES, Payload.lastWord(sequence));
                long result;
                while ((result = publication.offer(source, 0, size)) < 0)
                {
                    if (result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION)
                    {
                        throw new BenchmarkFailure("Aeron refused message " + sequence + ": " +
                            Publication.errorString(result));
                    }
                    Thread.yield();
                }
            }
        }

        @Override
        void closeWriter()
        {
            try
            {
                publication.close();
                aeron.close();
            }
            finally
            {
                driver.close();
            }
        }
    }

    /**
     * Agrona's broadcast buffer over a file in the run's directory (tmpfs) that every process maps: the writer
     * transmits each message (a copy into the buffer) and never waits; each reader a {@code BroadcastReceiver}.
     */
    private static final class AgronaContender extends Contender
    {
        private final UnsafeBuffer source;
        private final File file;
        private final MappedByteBuffer mapped;
        private final BroadcastTransmitter transmitter;

        AgronaContender(final Config config, final int size, final long count, final int readerCount, final int runs,
            final int capacity, final Path path)
        {
            super(Kind.AGRONA, size, count);
            source = new UnsafeBuffer(BufferUtil.allocateDirectAligned(size, 64));
            file = path.toFile();
            mapped = IoUtil.mapNewFile(file, capacity + BroadcastBufferDescriptor.TRAILER_LENGTH);
            transmitter = new BroadcastTransmitter(new UnsafeBuffer(mapped));
            for (int i = 0; i < readerCount; i++)
            {
                readers.add(PeerProcess.start(config, BroadcastReaders.AGRONA, count, runs,
                    List.of(Integer.toString(size), file.getPath())));
            }
        }

        @Override
        void send(final long first, final long messages)
        {
            final long end = first + messages;
            for (long sequence = first; sequence < end; sequence++)
            {
                source.putLong(0, sequence);
                source.putLong(size - Long.BYTES, Payload.lastWord(sequence));
                transmitter.transmit(1, source, 0, size);
            }
        }

        @Override
        void closeWriter()
        {
            IoUtil.unmap(mapped);
            IoUtil.delete(file, true);
        }
    }

    /**
     * Stops the whole benchmark if a run takes longer than the timeout: a Trindle slowest-reader writer whose reader
     * died would otherwise wait for it for ever. The readers notice this JVM gone and exit.
     */
    private static final class Watchdog
    {
        private final long timeoutNanos;
        private volatile long armedAt;
        private volatile boolean armed;

        Watchdog(final int timeoutSeconds)
        {
            this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
            final Thread thread = new Thread(this::watch, "broadcast-benchmark-watchdog");
            thread.setDaemon(true);
            thread.start();
        }

        void arm()
        {
            armedAt = System.nanoTime();
            armed = true;
        }

        void disarm()
        {
            armed = false;
        }

        private void watch()
        {
            while (true)
            {
                try
                {
                    Thread.sleep(1_000);
                }
                catch (final InterruptedException e)
                {
                    return;
                }
                if (armed && System.nanoTime() - armedAt > timeoutNanos)
                {
                    System.err.println("benchmarks/run broadcast: a run took over " + timeoutNanos / 1_000_000_000L +
                        " s; stopping (a reader stalled or died: see its output above)");
                    System.err.flush();
                    Runtime.getRuntime().halt(EXIT_FAILED);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- the run

    public static void main(final String[] args) throws Exception
    {
        final Options options;
        try
        {
            options = parse(args);
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("benchmarks/run broadcast: " + e.getMessage());
            System.exit(EXIT_USAGE);
            return;
        }
        if (options == null)
        {
            System.out.print(USAGE);
            return;
        }
        final Config config = Config.defaults();
        final PrintStream out = System.out;
        printHeader(options, config, out);
        // Agrona's file and Aeron's directories on tmpfs, as both advise, in one directory deleted at the end.
        final Path shm = Path.of("/dev/shm");
        final Path directory = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "trindle-broadcast-benchmark-") :
            Files.createTempDirectory("trindle-broadcast-benchmark-");
        final Map<Integer, Map<Integer, Map<Kind, List<Run>>>> results = new TreeMap<>();
        final Watchdog watchdog = new Watchdog(options.timeoutSeconds());
        final long started = System.nanoTime();
        String failure = null;
        try
        {
            for (final int size : options.sizes())
            {
                for (final int readers : options.readers())
                {
                    results.computeIfAbsent(size, s -> new TreeMap<>()).put(readers,
                        measure(options, config, size, readers, directory, watchdog, out));
                }
            }
        }
        catch (final BenchmarkFailure e)
        {
            failure = e.getMessage();
        }
        finally
        {
            deleteTree(directory);
        }
        if (failure != null)
        {
            System.err.println("benchmarks/run broadcast: FAILED: " + failure);
            System.exit(EXIT_FAILED);
        }
        out.printf(Locale.ROOT, "  (%.0f s in all; load average at the end %s)%n%n",
            (System.nanoTime() - started) / 1e9, loadAverage());
        final String markdown = markdown(options, results);
        printTables(options, results, out);
        if (options.out() != null)
        {
            Files.createDirectories(options.out());
            final Path md = options.out().resolve("broadcast.md");
            Files.writeString(md, markdown, StandardCharsets.UTF_8);
            out.println("Markdown tables: " + md);
        }
    }

    /** Starts every contender's readers for {@code size} and {@code readers}, then runs their turns. */
    private static Map<Kind, List<Run>> measure(final Options options, final Config config, final int size,
        final int readers, final Path directory, final Watchdog watchdog, final PrintStream out)
        throws InterruptedException
    {
        final int runs = options.warmUpTurns() + options.turns();
        final long count = options.messages(size);
        final Map<Kind, List<Run>> measured = new EnumMap<>(Kind.class);
        final List<Contender> contenders = new ArrayList<>();
        try
        {
            for (final Kind kind : Kind.values())
            {
                final String name = size + "-" + readers + "-" + kind.name().toLowerCase(Locale.ROOT);
                contenders.add(switch (kind)
                {
                    case TRINDLE_SLOWEST, TRINDLE_LAP ->
                        new TrindleContender(kind, config, size, count, readers, runs, options.capacity());
                    case AERON -> new AeronContender(config, size, count, readers, runs, options.capacity(),
                        directory.resolve("aeron-" + name));
                    case AGRONA -> new AgronaContender(config, size, count, readers, runs, options.capacity(),
                        directory.resolve("agrona-" + name));
                });
            }
            for (int turn = 0; turn < runs; turn++)
            {
                final boolean counted = turn >= options.warmUpTurns();
                final String name = counted ? "turn " + (turn - options.warmUpTurns() + 1) : "warm-up " + (turn + 1);
                for (final Contender contender : contenders)
                {
                    final Run run = contender.run(watchdog);
                    printRun(out, name, size, readers, contender.kind, run);
                    if (counted)
                    {
                        measured.computeIfAbsent(contender.kind, k -> new ArrayList<>()).add(run);
                    }
                }
            }
            for (final Contender contender : contenders)
            {
                contender.finish();
            }
        }
        finally
        {
            for (final Contender contender : contenders)
            {
                contender.close();
            }
        }
        return measured;
    }

    private static void printRun(final PrintStream out, final String name, final int size, final int readers,
        final Kind kind, final Run run)
    {
        out.printf(Locale.ROOT, "  %-10s %5d B  %d reader%s  %-23s %8.2f M msg/s per reader  %8.2f M total  " +
            "lost %6.2f %% (most %6.2f %%)  writer sent %8.2f M/s  %5.2f s%n", name, size, readers,
            readers == 1 ? " " : "s", kind.label, run.perReader() / 1e6, run.total() / 1e6, run.lostShare() * 100,
            run.mostLostShare() * 100, run.sendRate() / 1e6, run.elapsedNanos() / 1e9);
    }

    // -------------------------------------------------------------------------------------------------- the tables

    /** The medians and the spread of one contender's measured runs. */
    private record Summary(double perReader, double least, double most, double total, double lostShare,
        double mostLostShare, double sendRate)
    {
        static Summary of(final List<Run> runs)
        {
            final double[] perReader = runs.stream().mapToDouble(Run::perReader).toArray();
            return new Summary(Stats.median(perReader), Arrays.stream(perReader).min().orElse(0),
                Arrays.stream(perReader).max().orElse(0), Stats.median(runs.stream().mapToDouble(Run::total).toArray()),
                Stats.median(runs.stream().mapToDouble(Run::lostShare).toArray()),
                runs.stream().mapToDouble(Run::mostLostShare).max().orElse(0),
                Stats.median(runs.stream().mapToDouble(Run::sendRate).toArray()));
        }
    }

    /** The ratios reported: each Trindle policy against each peer, by the median messages per reader per second. */
    private static final List<Kind[]> RATIOS = List.of(new Kind[] {Kind.TRINDLE_SLOWEST, Kind.AERON},
        new Kind[] {Kind.TRINDLE_SLOWEST, Kind.AGRONA}, new Kind[] {Kind.TRINDLE_LAP, Kind.AERON},
        new Kind[] {Kind.TRINDLE_LAP, Kind.AGRONA});

    private static void printTables(final Options options,
        final Map<Integer, Map<Integer, Map<Kind, List<Run>>>> results, final PrintStream out)
    {
        for (final Map.Entry<Integer, Map<Integer, Map<Kind, List<Run>>>> bySize : results.entrySet())
        {
            final int size = bySize.getKey();
            out.printf(Locale.ROOT, "BROADCAST: one writer, %d-byte messages, %,d a run (M msg/s delivered; medians " +
                "of %d turns after %d warm-up)%n", size, options.messages(size), options.turns(),
                options.warmUpTurns());
            out.printf("  %-7s  %-23s %10s %19s %9s %12s %12s %11s%n", "readers", "contender", "per reader",
                "[least - most]", "total", "lost/reader", "most lost", "writer sent");
            for (final Map.Entry<Integer, Map<Kind, List<Run>>> byReaders : bySize.getValue().entrySet())
            {
                for (final Map.Entry<Kind, List<Run>> byKind : byReaders.getValue().entrySet())
                {
                    final Summary summary = Summary.of(byKind.getValue());
                    out.printf(Locale.ROOT, "  %-7d  %-23s %10.2f   [%6.2f - %6.2f] %9.2f %10.2f %% %10.2f %% %11.2f%n",
                        byReaders.getKey(), byKind.getKey().label, summary.perReader() / 1e6, summary.least() / 1e6,
                        summary.most() / 1e6, summary.total() / 1e6, summary.lostShare() * 100,
                        summary.mostLostShare() * 100, summary.sendRate() / 1e6);
                }
            }
            out.println("  RATIOS of the medians per reader (above 1: Trindle's readers are handed more)");
            out.printf("  %-7s", "readers");
            for (final Kind[] ratio : RATIOS)
            {
                out.printf("  %26s", ratio[0].label.replace("Trindle ", "") + " / " + ratio[1].label);
            }
            out.println();
            for (final Map.Entry<Integer, Map<Kind, List<Run>>> byReaders : bySize.getValue().entrySet())
            {
                out.printf("  %-7d", byReaders.getKey());
                for (final Kind[] ratio : RATIOS)
                {
                    out.printf(Locale.ROOT, "  %25.2fx", ratio(byReaders.getValue(), ratio));
                }
                out.println();
            }
            out.println();
        }
    }

    private static double ratio(final Map<Kind, List<Run>> runs, final Kind[] ratio)
    {
        return Summary.of(runs.get(ratio[0])).perReader() / Summary.of(runs.get(ratio[1])).perReader();
    }

    /** @return the tables in Markdown, to paste into docs/benchmarks.md. */
    static String markdown(final Options options, final Map<Integer, Map<Integer, Map<Kind, List<Run>>>> results)
    {
        final StringBuilder md = new StringBuilder();
        for (final Map.Entry<Integer, Map<Integer, Map<Kind, List<Run>>>> bySize : results.entrySet())
        {
            final int size = bySize.getKey();
            md.append(String.format(Locale.ROOT, "%n**%d-byte messages**, %,d a run, medians of %d turns:%n%n", size,
                options.messages(size), options.turns()));
            md.append("| Readers | Contender | Per reader, M msg/s (least – most) | Total, M msg/s | Lost per reader " +
                "(most) | Writer sent, M msg/s |\n|---:|---|---:|---:|---:|---:|\n");
            for (final Map.Entry<Integer, Map<Kind, List<Run>>> byReaders : bySize.getValue().entrySet())
            {
                for (final Map.Entry<Kind, List<Run>> byKind : byReaders.getValue().entrySet())
                {
                    final Summary summary = Summary.of(byKind.getValue());
                    md.append(String.format(Locale.ROOT, "| %d | %s | %.2f (%.2f – %.2f) | %.2f | %.1f %% (%.1f %%) " +
                        "| %.2f |%n", byReaders.getKey(), byKind.getKey().label, summary.perReader() / 1e6,
                        summary.least() / 1e6, summary.most() / 1e6, summary.total() / 1e6, summary.lostShare() * 100,
                        summary.mostLostShare() * 100, summary.sendRate() / 1e6));
                }
            }
            md.append("\n| Readers |");
            for (final Kind[] ratio : RATIOS)
            {
                md.append(' ').append(ratio[0].label).append(" ÷ ").append(ratio[1].label).append(" |");
            }
            md.append("\n|---:|---:|---:|---:|---:|\n");
            for (final Map.Entry<Integer, Map<Kind, List<Run>>> byReaders : bySize.getValue().entrySet())
            {
                md.append("| ").append(byReaders.getKey()).append(" |");
                for (final Kind[] ratio : RATIOS)
                {
                    md.append(String.format(Locale.ROOT, " %.2f× |", ratio(byReaders.getValue(), ratio)));
                }
                md.append('\n');
            }
        }
        return md.toString();
    }

    private static void printHeader(final Options options, final Config config, final PrintStream out)
    {
        out.println("Broadcast: one writer, many readers, each reader a JVM of its own: a Trindle broadcast " +
            "(slowest-reader, lap), Aeron IPC and Agrona's broadcast buffer, in one run on one machine");
        out.printf("  date        %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.printf("  machine     %d CPUs, %s %s %s; load average %s%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"),
            loadAverage());
        out.printf("  java        %s (%s)%n", config.java(), System.getProperty("java.runtime.version"));
        out.printf("  jvm flags   %s (every JVM)%n", String.join(" ", config.jvmFlags()));
        out.printf("  ring        %,d bytes for every contender (Aeron: terms of %,d, so its publication runs at " +
            "most %,d bytes ahead of its slowest reader)%n", options.capacity(), 2 * options.capacity(),
            options.capacity());
        out.println("  writer      this JVM: writes the sequence number and a check word into a buffer, then sends " +
            "it (Trindle send, Aeron offer, Agrona transmit: each a copy into the ring); Trindle slowest-reader " +
            "waits inside send (spins, then sleeps on the slowest reader's futex), Aeron back-pressured yields and " +
            "offers again, Trindle lap and Agrona never wait");
        out.println("  readers     one JVM each: poll up to 256 messages (Trindle poll, copying out; Aeron " +
            "subscription poll, read in place; Agrona receiveNext, copy out, validate), check each, and yield the " +
            "CPU when none waits; aeron: a media driver embedded in the writer's JVM (SHARED, back-off parked up " +
            "to 1 ms), one client per reader");
        out.printf("  runs        %d warm-up + %d measured turns; each turn runs every contender once, in the order " +
            "%s; sizes %s; readers %s; no CPU pinning%n", options.warmUpTurns(), options.turns(),
            String.join(", ", Stream.of(Kind.values()).map(k -> k.label).toList()), options.sizes(),
            options.readers());
        out.println();
    }

    private static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (final IOException e)
        {
            return "?";
        }
    }

    private static void deleteTree(final Path directory)
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
