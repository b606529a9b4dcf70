package io.trindle.benchmarks;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
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
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Trindle's table beside LMDB and Chronicle Map, between processes: {@code benchmarks/run table}. Each store is
 * held by three worker JVMs ({@link TableWorker}) made for it at the start, which wait blocked between runs; this
 * process makes and fills the stores, tells the workers what to do for each run, and checks the stores after it.
 *
 * <p>Four workloads on small keys (16 bytes) and values (32-byte records, 8-byte accounts): one writer incrementing
 * random records while one reader, then two, read random records; two writers incrementing records of their own
 * (even and odd: disjoint keys); two writers moving money between two random accounts of 16 (read two, write two,
 * in one transaction). Every run of every store lasts the same seconds, and the stores take turns workload by
 * workload (Trindle, LMDB, Chronicle; then LMDB, Chronicle, Trindle; ...) so that all three meet the same machine.
 * After every run the counters of all records must add up to the increments committed and the accounts to what
 * they held at the start; a reader that reads a record torn fails the benchmark.
 */
public final class TableBenchmark
{
    static final String USAGE = """
        usage: benchmarks/run table [--seconds S] [--turns N] [--warm-up S] [--dir DIRECTORY]

        Trindle's table beside LMDB (lmdbjava) and Chronicle Map, every reader and writer a JVM of its own,
        on 1,024 records (16-byte keys, 32-byte values) and 16 accounts (8-byte values):
          1 writer + 1 reader, 1 writer + 2 readers   reads/s per reader, commits/s of the writer
          2 writers on disjoint keys                   commits/s of both, p99 commit latency
          2 writers moving money between accounts      commits/s of both, p99 commit latency, retries, and
                                                       whether the accounts still add up
        The stores take turns, run by run; the medians of the turns and the ratios Trindle / peer are printed,
        also as Markdown. About %s with the defaults.

          --seconds S      seconds of each run (default %s)
          --turns N        measured turns: runs of each store in each workload (default %d)
          --warm-up S      seconds of each run of the one unmeasured turn before them; 0 for none (default %s)
          --dir DIRECTORY  where LMDB's environment and Chronicle Map's files go, in a directory of their own
                           that is deleted at the end (default target; benchmarks/run: benchmarks/target)
          --help           show this help

        exit status: 0 measured and every check held, 1 the benchmark failed or a check did not hold, 2 usage
        """;

    private static final double DEFAULT_SECONDS = 2;
    private static final int DEFAULT_TURNS = 5;
    private static final double DEFAULT_WARM_UP = 1;
    private static final int EXIT_FAILED = 1;
    private static final int EXIT_USAGE = 2;
    /** How much longer than its seconds a run may take before the watchdog kills every worker. */
    private static final long STALL_NANOS = 60_000_000_000L;
    private static final int WORKERS = 3;

    /** The stores, in the order of the first turn. */
    enum Contender
    {
        TRINDLE(TrindleTableStore.LABEL, TableWorker.TRINDLE),
        LMDB(LmdbStore.LABEL, TableWorker.LMDB),
        CHRONICLE(ChronicleMapStore.LABEL, TableWorker.CHRONICLE);

        final String label;
        final String worker;

        Contender(final String label, final String worker)
        {
            this.label = label;
            this.worker = worker;
        }
    }

    /** What the workers of a run do: worker 0 first. */
    enum Workload
    {
        ONE_READER("1 writer + 1 reader"),
        TWO_READERS("1 writer + 2 readers"),
        DISJOINT("2 writers, disjoint keys"),
        TRANSFER("2 writers, transfers");

        final String label;

        Workload(final String label)
        {
            this.label = label;
        }

        List<String> commands(final double seconds, final long seed)
        {
            final String run = " " + seconds + " ";
            return switch (this)
            {
                case ONE_READER -> List.of("increment" + run + seed + " 0 1", "read" + run + (seed + 1));
                case TWO_READERS -> List.of("increment" + run + seed + " 0 1", "read" + run + (seed + 1),
                    "read" + run + (seed + 2));
                case DISJOINT -> List.of("increment" + run + seed + " 0 2", "increment" + run + (seed + 1) + " 1 2");
                case TRANSFER -> List.of("transfer" + run + seed, "transfer" + run + (seed + 1));
            };
        }
    }

    /**
     * What one run of one store yielded.
     *
     * @param readsPerSecond        reads per second of each reader, averaged over the readers (0 without readers).
     * @param commitsPerSecond      commits per second of all the writers together.
     * @param p50Nanos              the median commit, start to commit, retries included, over all writers.
     * @param p99Nanos              the 99th percentile of the same.
     * @param retriesPerCommit      conflicts (a start again) per commit.
     * @param bytesPerRead          bytes the readers allocated per read.
     * @param bytesPerCommit        bytes the writers allocated per commit.
     */
    record Run(double readsPerSecond, double commitsPerSecond, double p50Nanos, double p99Nanos,
        double retriesPerCommit, double bytesPerRead, double bytesPerCommit)
    {
    }

    /** One line of the summary: a figure of one workload, how to show it, and whether a ratio means anything. */
    private record Row(Workload workload, String label, ToDoubleFunction<Run> figure, double scale, String format,
        boolean ratio)
    {
    }

    private static final List<Row> ROWS = List.of(
        new Row(Workload.ONE_READER, "reads/s of the reader (M)", Run::readsPerSecond, 1e-6, "%.2f", true),
        new Row(Workload.ONE_READER, "commits/s of the writer (M)", Run::commitsPerSecond, 1e-6, "%.3f", true),
        new Row(Workload.TWO_READERS, "reads/s per reader (M)", Run::readsPerSecond, 1e-6, "%.2f", true),
        new Row(Workload.TWO_READERS, "commits/s of the writer (M)", Run::commitsPerSecond, 1e-6, "%.3f", true),
        new Row(Workload.DISJOINT, "commits/s, both writers (M)", Run::commitsPerSecond, 1e-6, "%.3f", true),
        new Row(Workload.DISJOINT, "p50 commit (µs)", Run::p50Nanos, 1e-3, "%.2f", true),
        new Row(Workload.DISJOINT, "p99 commit (µs)", Run::p99Nanos, 1e-3, "%.2f", true),
        new Row(Workload.TRANSFER, "commits/s, both writers (M)", Run::commitsPerSecond, 1e-6, "%.3f", true),
        new Row(Workload.TRANSFER, "p50 commit (µs)", Run::p50Nanos, 1e-3, "%.2f", true),
        new Row(Workload.TRANSFER, "p99 commit (µs)", Run::p99Nanos, 1e-3, "%.2f", true),
        new Row(Workload.TRANSFER, "retries per commit", Run::retriesPerCommit, 1, "%.4f", false));

    /**
     * What a whole benchmark measured.
     *
     * @param runs     each store's runs of each workload, one per measured turn.
     * @param failures every check that did not hold, in words; empty if all held.
     * @param checks   how many times the stores were checked.
     * @param notes    what the stores had to say after the runs ({@link TableStore#state}).
     */
    record Results(Map<Contender, Map<Workload, List<Run>>> runs, List<String> failures, int checks,
        List<String> notes)
    {
        double median(final Contender contender, final Workload workload, final ToDoubleFunction<Run> figure)
        {
            return Stats.median(runs.get(contender).get(workload).stream().mapToDouble(figure).toArray());
        }
    }

    /**
     * What to measure and how to start the workers.
     *
     * @param seconds   seconds of each measured run.
     * @param turns     measured turns.
     * @param warmUp    seconds of each run of the warm-up turn; 0 for none.
     * @param directory where the stores' directory is made.
     * @param java      the java binary of the workers.
     * @param jvmFlags  their flags.
     * @param classPath their class path.
     */
    record Options(double seconds, int turns, double warmUp, Path directory, String java, List<String> jvmFlags,
        String classPath)
    {
    }

    private TableBenchmark()
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
            System.err.print(usage());
            System.exit(EXIT_USAGE);
            return;
        }
        if (options == null)
        {
            System.out.print(usage());
            return;
        }
        try
        {
            printHeader(options, System.out);
            final Results results = measure(options, System.out);
            print(results, options, System.out);
            if (!results.failures().isEmpty())
            {
                System.exit(EXIT_FAILED);
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

    private static String usage()
    {
        final double cells = (double)Contender.values().length * Workload.values().length;
        final double seconds = cells * (DEFAULT_TURNS * DEFAULT_SECONDS + DEFAULT_WARM_UP) + 15;
        return USAGE.formatted(String.format(Locale.ROOT, "%.0f minutes", Math.ceil(seconds / 60)),
            format(DEFAULT_SECONDS), DEFAULT_TURNS, format(DEFAULT_WARM_UP));
    }

    private static String format(final double seconds)
    {
        return seconds == Math.rint(seconds) ? Long.toString((long)seconds) : Double.toString(seconds);
    }

    /**
     * Makes the three stores, starts their workers, runs the turns (printing a line after each run to
     * {@code progress}) and checks the stores after every run.
     *
     * @throws BenchmarkFailure if a worker failed or stalled.
     */
    static Results measure(final Options options, final PrintStream progress) throws InterruptedException
    {
        final Path directory = options.directory().toAbsolutePath().resolve("table-bench-" +
            ProcessHandle.current().pid());
        final Map<Contender, TableStore> stores = new EnumMap<>(Contender.class);
        final Map<Contender, List<TableWorkerProcess>> workers = new EnumMap<>(Contender.class);
        final Watchdog watchdog = new Watchdog(workers);
        try
        {
            Files.createDirectories(directory.resolve("lmdb"));
            Files.createDirectories(directory.resolve("chronicle"));
            stores.put(Contender.TRINDLE, TrindleTableStore.create());
            stores.put(Contender.LMDB, LmdbStore.create(directory.resolve("lmdb")));
            stores.put(Contender.CHRONICLE, ChronicleMapStore.create(directory.resolve("chronicle")));
            for (final TableStore store : stores.values())
            {
                progress.printf("  %-14s %s%n", store.label(), store.describe());
            }
            progress.println();
            for (final Contender contender : Contender.values())
            {
                final List<TableWorkerProcess> started = new ArrayList<>();
                workers.put(contender, started);
                for (int w = 0; w < WORKERS; w++)
                {
                    started.add(TableWorkerProcess.start(contender.worker + "-" + w, options.java(),
                        options.jvmFlags(), options.classPath(), contender.worker,
                        directory.resolve(contender == Contender.LMDB ? "lmdb" : "chronicle"),
                        contender == Contender.TRINDLE ?
                            ((TrindleTableStore)stores.get(contender)).handlesForWorker() : List.of()));
                }
            }
            watchdog.arm(STALL_NANOS);
            for (final List<TableWorkerProcess> started : workers.values())
            {
                for (final TableWorkerProcess worker : started)
                {
                    final String ready = worker.receive();
                    if (!ready.equals("ready"))
                    {
                        throw new BenchmarkFailure("table worker " + worker.name() + " said '" + ready + "'");
                    }
                }
            }
            final Results results = takeTurns(options, stores, workers, watchdog, progress);
            watchdog.disarm();
            for (final List<TableWorkerProcess> started : workers.values())
            {
                for (final TableWorkerProcess worker : started)
                {
                    worker.finish();
                }
            }
            return results;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not make the stores' directory " + directory, e);
        }
        finally
        {
            watchdog.stop();
            for (final List<TableWorkerProcess> started : workers.values())
            {
                started.forEach(TableWorkerProcess::close);
            }
            for (final TableStore store : stores.values())
            {
                store.close();
            }
            delete(directory);
        }
    }

    private static Results takeTurns(final Options options, final Map<Contender, TableStore> stores,
        final Map<Contender, List<TableWorkerProcess>> workers, final Watchdog watchdog, final PrintStream progress)
    {
        final Map<Contender, Map<Workload, List<Run>>> runs = new EnumMap<>(Contender.class);
        final Map<Contender, Long> increments = new EnumMap<>(Contender.class);
        for (final Contender contender : Contender.values())
        {
            runs.put(contender, new EnumMap<>(Workload.class));
            for (final Workload workload : Workload.values())
            {
                runs.get(contender).put(workload, new ArrayList<>());
            }
            increments.put(contender, 0L);
        }
        final List<String> failures = new ArrayList<>();
        int checks = 0;
        long seed = 1;
        final int warmUps = options.warmUp() > 0 ? 1 : 0;
        for (int turn = -warmUps; turn < options.turns(); turn++)
        {
            final double seconds = turn < 0 ? options.warmUp() : options.seconds();
            for (final Workload workload : Workload.values())
            {
                final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-8s %-25s",
                    turn < 0 ? "warm-up" : "turn " + (turn + 1), workload.label));
                for (int k = 0; k < Contender.values().length; k++)
                {
                    // Rotate which store goes first, so that none always meets the machine as another left it.
                    final int first = Math.max(turn, 0) % Contender.values().length;
                    final Contender contender = Contender.values()[(first + k) % Contender.values().length];
                    watchdog.arm((long)(seconds * 1e9) + STALL_NANOS);
                    final Run run = run(workers.get(contender), workload, seconds, seed, increments, contender);
                    seed += WORKERS;
                    if (turn >= 0)
                    {
                        runs.get(contender).get(workload).add(run);
                    }
                    checks++;
                    check(contender, stores.get(contender), increments.get(contender), failures);
                    line.append(String.format(Locale.ROOT, "  %s %s", contender.label, brief(workload, run)));
                }
                progress.println(line);
                progress.flush();
            }
        }
        final List<String> notes = new ArrayList<>();
        for (final TableStore store : stores.values())
        {
            if (!store.state().isEmpty())
            {
                notes.add(store.label() + ": " + store.state());
            }
        }
        return new Results(runs, failures, checks, notes);
    }

    /** One run of one store: every worker of the workload at once, each for {@code seconds}. */
    private static Run run(final List<TableWorkerProcess> workers, final Workload workload, final double seconds,
        final long seed, final Map<Contender, Long> increments, final Contender contender)
    {
        final List<String> commands = workload.commands(seconds, seed);
        for (int w = 0; w < commands.size(); w++)
        {
            workers.get(w).send(commands.get(w));
        }
        double readRate = 0;
        long reads = 0;
        long readBytes = 0;
        int readers = 0;
        double commitRate = 0;
        long commits = 0;
        long commitBytes = 0;
        long retries = 0;
        final Histogram latencies = new Histogram(3);
        for (int w = 0; w < commands.size(); w++)
        {
            final String answer = workers.get(w).receive();
            final String[] fields = answer.split(" ");
            if (fields.length != 5)
            {
                throw new BenchmarkFailure("table worker " + workers.get(w).name() + " answered '" + answer + "'");
            }
            final long ops = Long.parseLong(fields[0]);
            final long nanos = Long.parseLong(fields[1]);
            final long allocated = Long.parseLong(fields[3]);
            if (commands.get(w).startsWith("read"))
            {
                readers++;
                reads += ops;
                readBytes += allocated;
                readRate += ops * 1e9 / nanos;
            }
            else
            {
                commits += ops;
                commitBytes += allocated;
                commitRate += ops * 1e9 / nanos;
                retries += Long.parseLong(fields[2]);
                latencies.add(TableWorker.decode(fields[4]));
                if (commands.get(w).startsWith("increment"))
                {
                    increments.merge(contender, ops, Long::sum);
                }
            }
        }
        return new Run(readers == 0 ? 0 : readRate / readers, commitRate,
            latencies.getValueAtPercentile(50), latencies.getValueAtPercentile(99),
            commits == 0 ? 0 : (double)retries / commits, reads == 0 ? 0 : (double)readBytes / reads,
            commits == 0 ? 0 : (double)commitBytes / commits);
    }

    /** After a run: every increment ever committed is in the counters, and the accounts hold what they did. */
    private static void check(final Contender contender, final TableStore store, final long increments,
        final List<String> failures)
    {
        final long counters = store.counterSum();
        if (counters != increments)
        {
            failures.add(contender.label + ": the records' counters add up to " + counters + ", but " + increments +
                " increments were committed");
        }
        final long balances = store.balanceSum();
        final long expected = TableStore.ACCOUNTS * TableStore.INITIAL_BALANCE;
        if (balances != expected)
        {
            failures.add(contender.label + ": the accounts add up to " + balances + ", not " + expected);
        }
    }

    private static String brief(final Workload workload, final Run run)
    {
        return switch (workload)
        {
            case ONE_READER, TWO_READERS -> String.format(Locale.ROOT, "%.2f/%.3f", run.readsPerSecond() / 1e6,
                run.commitsPerSecond() / 1e6);
            case DISJOINT, TRANSFER -> String.format(Locale.ROOT, "%.3f p99 %.1f", run.commitsPerSecond() / 1e6,
                run.p99Nanos() / 1e3);
        };
    }

    /** Prints the medians, the ratios and the checks, as text and as Markdown. */
    static void print(final Results results, final Options options, final PrintStream out)
    {
        final Contender[] all = Contender.values();
        out.println();
        out.printf(Locale.ROOT, "MEDIANS of %d turns of %s s each; ratios Trindle / peer (throughput: above 1 " +
            "Trindle does more; latency: below 1 Trindle's is shorter)%n", options.turns(), format(options.seconds()));
        out.printf("  %-26s %-28s", "workload", "figure");
        for (final Contender contender : all)
        {
            out.printf(" %14s", contender.label);
        }
        for (final Contender peer : peers())
        {
            out.printf(" %17s", "Trindle / " + peer.label);
        }
        out.println();
        for (final Row row : ROWS)
        {
            out.printf("  %-26s %-28s", row.workload().label, row.label());
            for (final Contender contender : all)
            {
                out.printf(" %14s", value(results, contender, row));
            }
            for (final Contender peer : peers())
            {
                out.printf(" %17s", ratio(results, peer, row));
            }
            out.println();
        }
        out.println();
        out.println("ALLOCATION, bytes per operation in the measuring loop (median of the turns; the allocation of a " +
            "store's own calls, as shipped)");
        for (final Workload workload : Workload.values())
        {
            out.printf("  %-26s", workload.label);
            for (final Contender contender : all)
            {
                final boolean reads = workload == Workload.ONE_READER || workload == Workload.TWO_READERS;
                out.printf(Locale.ROOT, "  %s %s%.0f per commit", contender.label,
                    reads ? String.format(Locale.ROOT, "%.0f per read, ", results.median(contender, workload,
                        Run::bytesPerRead)) : "", results.median(contender, workload, Run::bytesPerCommit));
            }
            out.println();
        }
        out.println();
        if (results.failures().isEmpty())
        {
            out.printf(Locale.ROOT, "CHECKS held after all %d runs of every store: no record read torn, the records' " +
                "counters add up to the increments committed, and the %d accounts to %,d%n", results.checks(),
                TableStore.ACCOUNTS, TableStore.ACCOUNTS * TableStore.INITIAL_BALANCE);
        }
        else
        {
            out.println("CHECKS FAILED:");
            results.failures().forEach(failure -> out.println("  " + failure));
        }
        results.notes().forEach(note -> out.println("NOTE " + note));
        out.println();
        out.println("Markdown:");
        out.println();
        out.print(markdown(results));
        out.flush();
    }

    /** @return the medians and ratios as a Markdown table. */
    static String markdown(final Results results)
    {
        final StringBuilder md = new StringBuilder("| workload | figure |");
        for (final Contender contender : Contender.values())
        {
            md.append(' ').append(contender.label).append(" |");
        }
        for (final Contender peer : peers())
        {
            md.append(" Trindle / ").append(peer.label).append(" |");
        }
        md.append("\n|---|---|").append("---:|".repeat(Contender.values().length + peers().size())).append('\n');
        for (final Row row : ROWS)
        {
            md.append("| ").append(row.workload().label).append(" | ").append(row.label()).append(" |");
            for (final Contender contender : Contender.values())
            {
                md.append(' ').append(value(results, contender, row)).append(" |");
            }
            for (final Contender peer : peers())
            {
                md.append(' ').append(ratio(results, peer, row).replace('x', '×')).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static List<Contender> peers()
    {
        return List.of(Contender.LMDB, Contender.CHRONICLE);
    }

    private static String value(final Results results, final Contender contender, final Row row)
    {
        return String.format(Locale.ROOT, row.format(), results.median(contender, row.workload(), row.figure()) *
            row.scale());
    }

    private static String ratio(final Results results, final Contender peer, final Row row)
    {
        final double peerValue = results.median(peer, row.workload(), row.figure());
        if (!row.ratio() || peerValue == 0)
        {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2fx", results.median(Contender.TRINDLE, row.workload(), row.figure()) /
            peerValue);
    }

    /** @return the options, or {@code null} if help was asked for. */
    static Options parse(final String[] args)
    {
        double seconds = DEFAULT_SECONDS;
        int turns = DEFAULT_TURNS;
        double warmUp = DEFAULT_WARM_UP;
        Path directory = Path.of("target");
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--seconds" -> seconds = number(args, ++i, 0.01);
                case "--turns" ->
                {
                    turns = (int)number(args, ++i, 1);
                    if (turns != Double.parseDouble(args[i]))
                    {
                        throw new IllegalArgumentException("--turns needs a whole number, not " + args[i]);
                    }
                }
                case "--warm-up" -> warmUp = number(args, ++i, 0);
                case "--dir" ->
                {
                    if (++i >= args.length)
                    {
                        throw new IllegalArgumentException("--dir needs a directory");
                    }
                    directory = Path.of(args[i]);
                }
                case "--help", "-h" ->
                {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        return new Options(seconds, turns, warmUp, directory, Config.currentJava(), Config.jvmOptions(),
            System.getProperty("java.class.path"));
    }

    private static double number(final String[] args, final int index, final double least)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number");
        }
        final double value;
        try
        {
            value = Double.parseDouble(args[index]);
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number, not '" + args[index] + "'");
        }
        if (!(value >= least) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a number of at least " + format(least) +
                ", not " + args[index]);
        }
        return value;
    }

    private static void printHeader(final Options options, final PrintStream out)
    {
        out.println("Trindle table benchmark: Trindle's table beside LMDB and Chronicle Map, every reader and writer " +
            "a JVM of its own, in one run on one machine");
        out.printf("  date        %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        out.printf("  machine     %d CPUs, %s %s %s%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("  java        %s (%s %s)%n", options.java(), System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version"));
        out.printf("  jvm flags   %s (every JVM)%n", String.join(" ", options.jvmFlags()));
        out.printf("  data        %,d records (%d-byte keys, %d-byte values: a counter four times), %d accounts " +
            "(%d-byte values); keys and accounts picked at random%n", TableStore.RECORDS, TableStore.KEY_LENGTH,
            TableStore.RECORD_LENGTH, TableStore.ACCOUNTS, TableStore.ACCOUNT_LENGTH);
        out.printf(Locale.ROOT, "  runs        %s s each, %d measured turns after %s; in each turn the stores take " +
            "turns workload by workload, the first store rotating; no CPU pinning%n", format(options.seconds()),
            options.turns(), options.warmUp() > 0 ? "a warm-up turn of " + format(options.warmUp()) + " s runs" :
            "no warm-up");
        out.println();
        out.flush();
    }

    /** Deletes {@code directory} and everything in it, if it exists. */
    private static void delete(final Path directory)
    {
        if (!Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(directory))
        {
            for (final Path path : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }

    /**
     * Kills every worker if a run goes on far longer than it should (a worker stuck in a lock, say), so that the
     * measuring process, blocked reading an answer, sees the worker end and fails instead of waiting forever.
     */
    private static final class Watchdog
    {
        private final Map<Contender, List<TableWorkerProcess>> workers;
        private final Thread thread;
        private volatile long deadline;
        private volatile boolean armed;
        private volatile boolean stopped;

        Watchdog(final Map<Contender, List<TableWorkerProcess>> workers)
        {
            this.workers = workers;
            thread = Thread.ofPlatform().daemon().name("table-benchmark-watchdog").start(this::watch);
        }

        void arm(final long nanos)
        {
            deadline = System.nanoTime() + nanos;
            armed = true;
        }

        void disarm()
        {
            armed = false;
        }

        void stop()
        {
            stopped = true;
            thread.interrupt();
        }

        private void watch()
        {
            while (!stopped)
            {
                try
                {
                    Thread.sleep(1000);
                }
                catch (final InterruptedException e)
                {
                    return;
                }
                if (armed && System.nanoTime() - deadline > 0)
                {
                    System.err.println("benchmark: a run has stalled; killing every table worker");
                    for (final List<TableWorkerProcess> started : workers.values())
                    {
                        started.forEach(TableWorkerProcess::kill);
                    }
                    return;
                }
            }
        }
    }
}
