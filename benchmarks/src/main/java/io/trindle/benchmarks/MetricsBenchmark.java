package io.trindle.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether serving metrics costs the fast path anything: {@code benchmarks/run metrics [COUNT [TURNS]]}. The same
 * supervised pipeline — a Java sender ({@link CrossSource}) writing COUNT messages of 64 bytes in place on one
 * lane as fast as it can, a Java receiver ({@link CrossSink}) reading them in place, checking each, and timing
 * itself from its first message to its last — is run under {@code trindle run} with metrics off, and with metrics
 * on ({@code metrics: { listen: 127.0.0.1:0 }}) and scraped every {@link #SCRAPE_INTERVAL} from the moment the
 * supervisor says where, far more often than Prometheus's usual 15 s. The two take turns (off, on, off, on, …) after
 * one warm-up of each, so that both meet the same states of the machine; each figure is the receiver's, and the
 * result is the median of each and their ratio, and the median of the turns' own ratios.
 */
public final class MetricsBenchmark
{
    /** How often the metrics are scraped while the pipeline runs. */
    static final Duration SCRAPE_INTERVAL = Duration.ofMillis(100);

    /** How close to the supervisor's exit a cut connection counts as the end of the pipeline. */
    private static final Duration END = Duration.ofSeconds(2);
    private static final Pattern RECEIVED = Pattern.compile("sink +\\| received (\\d+) messages in (\\d+) ns");
    private static final Pattern LISTENING = Pattern.compile("trindle: metrics at (http://[^ ]+/metrics)");

    /**
     * One run: the receiver's throughput, and for a run with metrics, the scrapes made, how long they took, those
     * answered with an error, and those cut short (the connection closed: the one under way when the pipeline ended
     * and its endpoint closed).
     */
    private record Run(double messagesPerSecond, int scrapes, int failedScrapes, int cutScrapes, long scrapeNanos,
        Duration supervisorCpu)
    {
    }

    private MetricsBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long count = args.length > 0 ? Long.parseLong(args[0]) : 40_000_000L;
        final int turns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classPath = System.getProperty("java.class.path");
        final Path directory = Files.createTempDirectory("trindle-metrics-benchmark");
        System.out.printf("metrics off and on: one lane, 64-byte messages, %,d per run, Java -> Java under trindle " +
            "run; %d turns after one warm-up; scraped every %d ms when on%n", count, turns,
            SCRAPE_INTERVAL.toMillis());
        System.out.printf("machine: %d CPUs, %s, %s%n", Runtime.getRuntime().availableProcessors(), cpuModel(),
            System.getProperty("os.version"));
        final List<Double> off = new ArrayList<>();
        final List<Double> on = new ArrayList<>();
        final List<Run> onRuns = new ArrayList<>();
        final List<Run> offRuns = new ArrayList<>();
        for (int turn = 0; turn <= turns; turn++) // turn 0: the warm-up, not counted
        {
            final Run without = run(java, classPath, directory, count, false);
            final Run with = run(java, classPath, directory, count, true);
            System.out.printf("  %-8s off %7.2f M msg/s   on %7.2f M msg/s   (%d scrapes, mean %.1f ms; %d failed, " +
                "%d cut short)%n", turn == 0 ? "warm-up" : "turn " + turn, without.messagesPerSecond() / 1e6,
                with.messagesPerSecond() / 1e6, with.scrapes(), with.scrapes() == 0 ? 0 :
                with.scrapeNanos() / 1e6 / with.scrapes(), with.failedScrapes(), with.cutScrapes());
            if (turn > 0)
            {
                off.add(without.messagesPerSecond());
                on.add(with.messagesPerSecond());
                onRuns.add(with);
                offRuns.add(without);
            }
        }
        final double medianOff = median(off);
        final double medianOn = median(on);
        final List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < off.size(); i++)
        {
            ratios.add(on.get(i) / off.get(i));
        }
        System.out.printf("median: metrics off %.2f M msg/s, metrics on %.2f M msg/s; ratio on/off %.3f%n",
            medianOff / 1e6, medianOn / 1e6, medianOn / medianOff);
        // A turn's two runs follow each other, so its ratio is the least touched by the machine's slow drifts.
        System.out.printf("median of the turns' ratios on/off: %.3f (turns: %s)%n", median(ratios),
            ratios.stream().map(ratio -> String.format("%.2f", ratio)).toList());
        final double cpuOff = median(offRuns.stream().map(run -> run.supervisorCpu().toNanos() / 1e9).toList());
        final double cpuOn = median(onRuns.stream().map(run -> run.supervisorCpu().toNanos() / 1e9).toList());
        final double scrapesPerRun = median(onRuns.stream().map(run -> (double)run.scrapes()).toList());
        System.out.printf("supervisor JVM CPU per run (median): off %.2f s, on %.2f s: %.1f ms per scrape (%.0f " +
            "scrapes per run)%n", cpuOff, cpuOn, (cpuOn - cpuOff) * 1e3 / scrapesPerRun, scrapesPerRun);
        System.out.printf("scrapes while on: %d in all, %d answered with an error, %d cut short by the end of the " +
            "pipeline%n", onRuns.stream().mapToInt(Run::scrapes).sum(), onRuns.stream().mapToInt(Run::failedScrapes)
            .sum(), onRuns.stream().mapToInt(Run::cutScrapes).sum());
    }

    /** Runs the pipeline once, with metrics scraped every {@link #SCRAPE_INTERVAL} or without metrics. */
    private static Run run(final String java, final String classPath, final Path directory, final long count,
        final boolean metrics) throws IOException, InterruptedException
    {
        Files.writeString(directory.resolve("throughput.yaml"), (metrics ? "metrics: { listen: 127.0.0.1:0 }\n" : "") +
            """
            pipes:
              out: { lane: 256KiB }
            workers:
              source:
                java: io.trindle.benchmarks.CrossSource %d
                grants: { out: send }
                restart: never
              sink:
                java: io.trindle.benchmarks.CrossSink
                grants: { out: receive }
                restart: never
            """.formatted(count));
        final Process supervisor = Supervised.start(java, classPath, directory, "throughput.yaml");
        final StringBuilder output = new StringBuilder();
        final AtomicInteger scrapes = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final Queue<Long> cuts = new ConcurrentLinkedQueue<>();
        final AtomicLong scrapeNanos = new AtomicLong();
        final ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("scraper").factory());
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final CompletableFuture<Void> reading = CompletableFuture.runAsync(() ->
            read(supervisor.getInputStream(), output, line ->
            {
                final Matcher listening = LISTENING.matcher(line);
                if (metrics && listening.find())
                {
                    final URI uri = URI.create(listening.group(1));
                    scraper.scheduleAtFixedRate(() -> scrape(http, uri, scrapes, failed, cuts, scrapeNanos), 0,
                        SCRAPE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                }
            }));
        // The supervisor's CPU time, read as long as it runs: the last reading is its whole run but the last moments.
        final AtomicLong cpuNanos = new AtomicLong();
        final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sampler").factory());
        sampler.scheduleAtFixedRate(() -> supervisor.toHandle().info().totalCpuDuration()
            .ifPresent(cpu -> cpuNanos.set(cpu.toNanos())), 0, SCRAPE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        final int status = supervisor.waitFor();
        final long exited = System.nanoTime();
        sampler.shutdownNow();
        scraper.shutdownNow();
        scraper.awaitTermination(10, TimeUnit.SECONDS);
        reading.join();
        http.close();
        if (status != 0)
        {
            throw new IllegalStateException("the pipeline failed with status " + status + ":\n" + output);
        }
        if (metrics && scrapes.get() == 0)
        {
            throw new IllegalStateException("metrics were on but never scraped:\n" + output);
        }
        final Matcher received = RECEIVED.matcher(output);
        if (!received.find() || Long.parseLong(received.group(1)) != count)
        {
            throw new IllegalStateException("expected the sink to receive " + count + " messages:\n" + output);
        }
        // A connection cut within the last moments of the supervisor is the scrape the end of the pipeline closed;
        // one earlier is a failure like any other.
        final int atTheEnd = (int)cuts.stream().filter(at -> exited - at < END.toNanos()).count();
        return new Run(count * 1e9 / Long.parseLong(received.group(2)), scrapes.get(),
            failed.get() + cuts.size() - atTheEnd, atTheEnd, scrapeNanos.get(), Duration.ofNanos(cpuNanos.get()));
    }

    /** One scrape, its time counted; an answer other than 200, or a connection cut, counted as such. */
    private static void scrape(final HttpClient http, final URI uri, final AtomicInteger scrapes,
        final AtomicInteger failed, final Queue<Long> cuts, final AtomicLong nanos)
    {
        final long start = System.nanoTime();
        try
        {
            final HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200 || response.body().length == 0)
            {
                failed.incrementAndGet();
            }
        }
        catch (final IOException e)
        {
            // The supervisor closed the endpoint as the pipeline ended: the last scrape may meet that.
            cuts.add(System.nanoTime());
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return;
        }
        scrapes.incrementAndGet();
        nanos.addAndGet(System.nanoTime() - start);
    }

    /** Reads the supervisor's output line by line into {@code output}, handing each line to {@code each}. */
    private static void read(final InputStream in, final StringBuilder output,
        final Consumer<String> each)
    {
        try
        {
            final StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0)
            {
                if (b == '\n')
                {
                    final String text = line.toString();
                    synchronized (output)
                    {
                        output.append(text).append('\n');
                    }
                    each.accept(text);
                    line.setLength(0);
                }
                else
                {
                    line.append((char)b);
                }
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static String cpuModel()
    {
        try
        {
            return Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith("model name")).findFirst()
                .map(line -> line.substring(line.indexOf(':') + 1).strip()).orElse("unknown CPU");
        }
        catch (final IOException e)
        {
            return "unknown CPU";
        }
    }

    private static double median(final List<Double> values)
    {
        final double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] :
            (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
