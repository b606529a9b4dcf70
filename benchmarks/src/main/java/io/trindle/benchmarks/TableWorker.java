package io.trindle.benchmarks;

import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;

/**
 * One reader or writer process of {@link TableBenchmark}: it opens one store ({@link TableStore}) and then, for
 * each command line it reads on fd 4, reads or writes it for a number of seconds and answers one line on fd 3.
 * Started by {@link TableWorkerProcess}; a Trindle worker takes its table handles on a control channel on fd 5.
 *
 * <p>Commands: {@code read SECONDS SEED} (random records, each read in a snapshot of its own), {@code increment
 * SECONDS SEED FIRST STEP} (random records among FIRST, FIRST + STEP, …, each a transaction adding one to its
 * counter), {@code transfer SECONDS SEED} (random amounts of 1 to 100 between two random accounts, each a
 * transaction), {@code exit}. The answer: {@code ops nanos retries allocated-bytes histogram}, the histogram of the
 * operations' latencies in ns (writes only; {@code -} for reads) as a compressed HdrHistogram in Base64. A check that
 * fails (a torn record, a missing key) ends the process with status 1, which fails the benchmark.
 */
public final class TableWorker
{
    static final String TRINDLE = "trindle";
    static final String LMDB = "lmdb";
    static final String CHRONICLE = "chronicle";
    /** Reads between two looks at the clock: a look costs as much as a read. */
    private static final int READ_BATCH = 64;
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int HANDLES = 4;
    private static final int EXIT_FAILED = 1;
    private static final int EXIT_USAGE = 2;

    private final TableStore store;
    private final Histogram latencies = new Histogram(HIGHEST_NANOS, 3);
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private TableWorker(final TableStore store)
    {
        this.store = store;
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            System.err.println("usage: TableWorker trindle|lmdb|chronicle DIRECTORY");
            System.exit(EXIT_USAGE);
        }
        final Path directory = Path.of(args[1]);
        try (PrintStream results = new PrintStream(new FileOutputStream("/proc/self/fd/" + PeerProcess.REPORT_FD),
            true, StandardCharsets.UTF_8);
            BufferedReader commands = new BufferedReader(new InputStreamReader(
                new FileInputStream("/proc/self/fd/" + PeerProcess.COMMAND_FD), StandardCharsets.UTF_8));
            TableStore store = switch (args[0])
            {
                case TRINDLE -> TrindleTableStore.adopt(Peer.receiveHandles(HANDLES));
                case LMDB -> LmdbStore.open(directory);
                case CHRONICLE -> ChronicleMapStore.open(directory);
                default -> throw new IllegalArgumentException("unknown store '" + args[0] + "'");
            })
        {
            final TableWorker worker = new TableWorker(store);
            results.println("ready");
            for (String line = commands.readLine(); line != null && !line.equals("exit"); line = commands.readLine())
            {
                results.println(worker.run(line.split(" ")));
            }
        }
        catch (final RuntimeException e)
        {
            System.err.println("table worker " + args[0] + ": " + e);
            e.printStackTrace();
            System.exit(EXIT_FAILED);
        }
    }

    private String run(final String[] command)
    {
        final long nanos = (long)(Double.parseDouble(command[1]) * 1e9);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(command[2]));
        latencies.reset();
        final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        final long start = System.nanoTime();
        final long end = start + nanos;
        long ops = 0;
        long retries = 0;
        long now = start;
        switch (command[0])
        {
            case "read" ->
            {
                while (now - end < 0)
                {
                    for (int i = 0; i < READ_BATCH; i++)
                    {
                        store.read(random.nextInt(TableStore.RECORDS));
                    }
                    ops += READ_BATCH;
                    now = System.nanoTime();
                }
            }
            case "increment" ->
            {
                final int first = Integer.parseInt(command[3]);
                final int step = Integer.parseInt(command[4]);
                final int mine = (TableStore.RECORDS - first + step - 1) / step;
                while (now - end < 0)
                {
                    retries += store.increment(first + step * random.nextInt(mine));
                    final long then = now;
                    now = System.nanoTime();
                    latencies.recordValue(Math.min(now - then, HIGHEST_NANOS));
                    ops++;
                }
            }
            case "transfer" ->
            {
                while (now - end < 0)
                {
                    final int from = random.nextInt(TableStore.ACCOUNTS);
                    final int other = random.nextInt(TableStore.ACCOUNTS - 1);
                    retries += store.transfer(from, other < from ? other : other + 1, 1 + random.nextInt(100));
                    final long then = now;
                    now = System.nanoTime();
                    latencies.recordValue(Math.min(now - then, HIGHEST_NANOS));
                    ops++;
                }
            }
            default -> throw new IllegalArgumentException("unknown command '" + String.join(" ", command) + "'");
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        return ops + " " + (now - start) + " " + retries + " " + allocated + " " +
            (command[0].equals("read") ? "-" : encode(latencies));
    }

    private static String encode(final Histogram histogram)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
    }

    /** @return the histogram a worker answered with. */
    static Histogram decode(final String encoded)
    {
        try
        {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(encoded)), 0);
        }
        catch (final DataFormatException e)
        {
            throw new BenchmarkFailure("a table worker answered a histogram that does not decode: " + e.getMessage());
        }
    }
}
