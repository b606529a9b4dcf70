package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.trindle.it.Expect.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The metrics endpoint of a running pipeline, scraped as Prometheus scrapes it and read with a strict parser of
 * the text format ({@link PrometheusText}): every metric that {@code docs/operations.md} lists is there with
 * exactly the labels it lists, and none that it does not; counters never go down from one scrape to the next while
 * messages flow; and at the end, with the pipeline at rest, the lane and worker counters are exactly what the
 * workers say they sent and received, and a refused capability operation is counted under its reason. Also: a
 * {@code listen} that cannot be served stops the run before any worker starts.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MetricsTest
{
    private static final Path DOC = Path.of("..").toAbsolutePath().normalize().resolve("docs/operations.md");
    /** A row of the metrics table: | `name` | type | `label`, `label` | meaning |. */
    private static final Pattern ROW =
        Pattern.compile("^\\| `(trindle_[a-z_]+)` \\| (counter|gauge) \\| ([^|]+) \\| .+\\|$");
    private static final Pattern LISTENING =
        Pattern.compile("trindle: metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics");
    private static final Pattern SENT = Pattern.compile("source +\\| sent (\\d+) messages");
    private static final Pattern RECEIVED = Pattern.compile("(sink\\.\\d) +\\| received (\\d+) messages, damaged 0");
    private static final int SCRAPES_WHILE_FLOWING = 5;

    @TempDir
    Path directory;

    /** A documented metric: its type and labels. */
    private record Documented(String type, Set<String> labels)
    {
    }

    @Test
    void shouldServeEveryDocumentedMetricWithCountersThatOnlyGrowAndEqualTheWorkersCountsAtRest() throws Exception
    {
        final Map<String, Documented> documented = documented();
        assertTrue(documented.size() >= 25, "the metrics table of " + DOC + ": " + documented.keySet());
        Files.writeString(directory.resolve("metered.yaml"), """
            metrics: { listen: 127.0.0.1:0 }
            pipes:
              work: { lane: 64KiB }
            segments:
              secret: { size: 4KiB }
            tables:
              ledger: { size: 1MiB }
            broadcasts:
              ticks: { policy: lap }
            workers:
              source:
                java: io.trindle.it.workers.PacedSource
                ready-timeout: 600s
                grants: { work: send, secret: read, ledger: read, ticks: send }
                restart: never
              sink:
                java: io.trindle.it.workers.HoldingSink
                replicas: 2
                ready-timeout: 600s
                grants: { work: receive, ticks: read }
                restart: never
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "metered.yaml"))
        {
            final int port = awaitPort(trindle);
            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

            // While messages flow: each scrape is well-formed and complete, and no counter goes down; scraped until
            // the source's count has moved between scrapes (it sends until the test says 'enough').
            Map<String, PrometheusText.Family> first = null;
            Map<String, PrometheusText.Family> previous = null;
            int scrapes = 0;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (scrapes < SCRAPES_WHILE_FLOWING || previous == null || first == null ||
                value(previous, "trindle_worker_messages_out_total", "worker", "source") <=
                value(first, "trindle_worker_messages_out_total", "worker", "source"))
            {
                if (System.nanoTime() > deadline)
                {
                    fail("the source's count did not move within 120s of scrapes\n" + trindle.output());
                }
                final Map<String, PrometheusText.Family> scrape = scrape(http, port, documented);
                if (previous != null)
                {
                    assertCountersDidNotDecrease(previous, scrape);
                }
                if (first == null && value(scrape, "trindle_worker_state", "worker", "source", "state", "running") == 1)
                {
                    first = scrape;
                }
                previous = scrape;
                scrapes++;
            }

            Files.createFile(directory.resolve("enough"));
            final Map<String, Long> received = new LinkedHashMap<>();
            final long sent = awaitCounts(trindle, received);

            // At rest: the source has exited, both sinks have read their pipe to its end and hold it open.
            final Map<String, PrometheusText.Family> last = scrape(http, port, documented);
            assertCountersDidNotDecrease(previous, last);
            assertEquals(sent, received.values().stream().mapToLong(Long::longValue).sum(), trindle.output());
            assertEquals(sent, sum(last, "trindle_lane_messages_sent_total", "sender", "source"));
            assertEquals(sent, (long)value(last, "trindle_worker_messages_out_total", "worker", "source"));
            for (final Map.Entry<String, Long> sink : received.entrySet())
            {
                final String replica = sink.getKey().substring("sink.".length());
                final long count = sink.getValue();
                assertEquals(count, sum(last, "trindle_lane_messages_released_total", "receiver",
                    sink.getKey()), sink.getKey());
                assertEquals(count, sum(last, "trindle_lane_messages_sent_total", "receiver",
                    sink.getKey()), sink.getKey());
                assertEquals(count, (long)value(last, "trindle_worker_messages_in_total", "worker", "sink",
                    "replica", replica), sink.getKey());
                assertEquals(1, value(last, "trindle_worker_up", "worker", "sink", "replica", replica));
                assertEquals(1, value(last, "trindle_worker_state", "worker", "sink", "replica", replica, "state",
                    "running"));
            }
            for (final PrometheusText.Sample lane : last.get("trindle_lane_messages_sent_total").samples())
            {
                final Map<String, String> labels = lane.labels();
                final long bytes = (long)value(last, "trindle_lane_bytes_sent_total", labels);
                assertEquals(bytes, (long)value(last, "trindle_lane_bytes_released_total", labels), labels.toString());
                // Each 16-byte message is a 32-byte record: its 16-byte header, then the payload.
                assertTrue(bytes >= 32 * (long)lane.value(), labels + ": " + bytes + " bytes");
                assertEquals(0, value(last, "trindle_lane_queued_messages", labels), labels.toString());
                assertEquals(0, value(last, "trindle_lane_queued_bytes", labels), labels.toString());
                assertEquals(65_536, value(last, "trindle_lane_capacity_bytes", labels), labels.toString());
                assertEquals(1, value(last, "trindle_lane_ended", labels), labels.toString());
                assertEquals(0, value(last, "trindle_lane_broken", labels), labels.toString());
                assertEquals(0, value(last, "trindle_lane_sender_waiting", labels), labels.toString());
            }
            assertEquals(Set.of("sink.0", "sink.1"), last.get("trindle_pipe_receiver_sleeping").samples().stream()
                .map(sample -> sample.labels().get("receiver")).collect(Collectors.toSet()));
            assertEquals(0, value(last, "trindle_worker_up", "worker", "source"));
            assertEquals(1, value(last, "trindle_worker_state", "worker", "source", "state", "exited"));
            assertEquals(0, value(last, "trindle_worker_state", "worker", "source", "state", "running"));
            assertEquals(0, sum(last, "trindle_worker_restarts_total"));
            // The source's one attempt to move a segment it holds without TRANSFER: asked, refused, counted.
            expect(trindle.stdout(), "source | moving secret refused: the supervisor refused to attach handles to a " +
                "message on 'work': moving object 0x");
            assertEquals(1, value(last, "trindle_capability_refused_total", "reason", "no_transfer_right"));
            assertEquals(1, sum(last, "trindle_capability_refused_total"));
            assertEquals(1, value(last, "trindle_capability_operations_total", "operation", "transfer"));
            // Granted at the starts: source work, secret, ledger and ticks, each sink its pipe instance and ticks.
            assertEquals(8, value(last, "trindle_capability_operations_total", "operation", "grant"));
            // A broadcast nobody writes or reads: its families are served, every count 0, one reader per sink.
            assertEquals(0, value(last, "trindle_broadcast_published_total", "broadcast", "ticks"));
            for (final String reader : new String[] {"sink.0", "sink.1"})
            {
                assertEquals(0, value(last, "trindle_broadcast_reader_delivered_total", "reader", reader));
                assertEquals(0, value(last, "trindle_broadcast_reader_lost_total", "reader", reader));
                assertEquals(0, value(last, "trindle_broadcast_reader_behind_bytes", "reader", reader));
            }
            assertEquals(0, value(last, "trindle_table_keys", "table", "ledger"));
            assertEquals(0, value(last, "trindle_table_writers", "table", "ledger"),
                "the source holds the table read-only: no writer slot");
            assertEquals(0, value(last, "trindle_bounces_total"));

            Files.createFile(directory.resolve("done"));
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            assertFalse(trindle.stderr().contains("Exception"), trindle.output());
        }
    }

    @Test
    void shouldStartNothingWhenTheAddressCannotBeServed() throws Exception
    {
        final String workers = """
            workers:
              early:
                command: [touch, started]
                restart: never
            """;
        Files.writeString(directory.resolve("bad.yaml"), "metrics: { listen: 127.0.0.1:99999 }\n" + workers);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "bad.yaml"))
        {
            assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            expect(trindle.stderr(), "bad.yaml:1:20: 'listen' of 'metrics': '127.0.0.1:99999': port 99999 is out " +
                "of range: a port is from 1 to 65535, or 0 for a free one\n");
            expect(trindle.stderr(), "trindle: nothing was started\n");
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")))
        {
            final int port = taken.getLocalPort();
            Files.writeString(directory.resolve("busy.yaml"), "metrics: { listen: 127.0.0.1:" + port + " }\n" +
                workers);
            try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "busy.yaml"))
            {
                assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
                expect(trindle.stderr(), "trindle: cannot serve metrics at 127.0.0.1:" + port + " ('metrics: " +
                    "listen' of busy.yaml): Address already in use (EADDRINUSE); another process listens there: " +
                    "choose another port, or port 0 for a free one; nothing was started\n");
            }
            // --metrics overrides the config, here one that asks for none.
            Files.writeString(directory.resolve("plain.yaml"), workers);
            try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "--metrics",
                "127.0.0.1:" + port, "plain.yaml"))
            {
                assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
                expect(trindle.stderr(), "trindle: cannot serve metrics at 127.0.0.1:" + port + " (--metrics): " +
                    "Address already in use (EADDRINUSE)");
            }
        }
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "--metrics", "9464", "plain.yaml"))
        {
            assertEquals(2, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            expect(trindle.stderr(), "trindle: wrong arguments for 'run': --metrics '9464' is not HOST:PORT: it has " +
                "no host; write HOST:PORT, e.g. 127.0.0.1:9464");
        }
        assertFalse(Files.exists(directory.resolve("started")), "no worker was started");
    }

    @Test
    void shouldRefuseWhatTheTextFormatDoesNotAllow()
    {
        final String good = "# HELP a_total A \\\\ \\n help.\n# TYPE a_total counter\n" +
            "a_total{x=\"q\\\"\\\\\\n\",y=\"\"} 1.5e3 1700000000000\nb NaN\n";
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(good), "b has no TYPE line");
        final Map<String, PrometheusText.Family> families =
            PrometheusText.parse(good.replace("b NaN\n", "# TYPE b gauge\nb +Inf\n"));
        assertEquals(Map.of("x", "q\"\\\n", "y", ""), families.get("a_total").samples().getFirst().labels());
        assertEquals("A \\ \n help.", families.get("a_total").help());
        assertEquals(Double.POSITIVE_INFINITY, families.get("b").samples().getFirst().value());
        for (final String bad : List.of(
            "# TYPE a gauge\na 1",                                   // no newline at the end
            "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",          // a series twice
            "# TYPE a gauge\na{x=\"\\t\"} 1\n",                      // an escape the format has not
            "# TYPE a gauge\na{x=1} 1\n",                            // an unquoted value
            "# TYPE a gauge\na{__x=\"1\"} 1\n",                      // a reserved label name
            "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",                // a label twice
            "# TYPE a gauge\na one\n",                               // not a float
            "# TYPE a gauge\na 1 1.5\n",                             // not a timestamp
            "# TYPE a gauge\n1a 1\n",                                // not a metric name
            "# TYPE a gauge\n# TYPE a counter\na 1\n",               // two TYPE lines
            "# TYPE a gauge\na 1\n# TYPE a gauge\n",                 // TYPE after the samples
            "# TYPE a wibble\na 1\n",                                // no such type
            "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"\"} 2\n", // a family in two groups
            "# HELP a x\\y\n# TYPE a gauge\na 1\n"))                 // an escape HELP has not
        {
            assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(bad), bad);
        }
    }

    /** @return the metrics table of docs/operations.md: each metric's type and labels. */
    private static Map<String, Documented> documented() throws IOException
    {
        final Map<String, Documented> documented = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(DOC))
        {
            final Matcher row = ROW.matcher(line);
            if (row.matches())
            {
                documented.put(row.group(1), new Documented(row.group(2), Arrays.stream(row.group(3).split(","))
                    .map(label -> label.strip().replace("`", "")).collect(Collectors.toCollection(TreeSet::new))));
            }
        }
        return documented;
    }

    /**
     * @return one scrape, read strictly, after checking it against the docs: every documented family there, with
     *         its type, a HELP text and exactly its labels on every sample; no family that is not documented.
     */
    private static Map<String, PrometheusText.Family> scrape(final HttpClient http, final int port,
        final Map<String, Documented> documented) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
            response.headers().firstValue("content-type").orElse(""));
        final Map<String, PrometheusText.Family> families = PrometheusText.parse(response.body());
        assertEquals(documented.keySet(), families.keySet(), "the families served against the docs' table");
        for (final Map.Entry<String, Documented> metric : documented.entrySet())
        {
            final PrometheusText.Family family = families.get(metric.getKey());
            assertEquals(metric.getValue().type(), family.type(), metric.getKey());
            assertTrue(family.help() != null && !family.help().isBlank(), metric.getKey() + " has a HELP text");
            assertFalse(family.samples().isEmpty(), metric.getKey() + " has samples");
            for (final PrometheusText.Sample sample : family.samples())
            {
                assertEquals(metric.getKey(), sample.name());
                assertEquals(metric.getValue().labels(), sample.labels().keySet(), sample.toString());
                assertEquals("metered", sample.labels().get("pipeline"), sample.toString());
            }
        }
        return families;
    }

    /**
     * Every counter series of {@code earlier} is in {@code later} with a value no lower, but for a worker's CPU
     * seconds, which are its current process's and start again from 0 when there is no process or a new one.
     */
    private static void assertCountersDidNotDecrease(final Map<String, PrometheusText.Family> earlier,
        final Map<String, PrometheusText.Family> later)
    {
        for (final PrometheusText.Family family : earlier.values())
        {
            if (!family.type().equals("counter"))
            {
                continue;
            }
            for (final PrometheusText.Sample sample : family.samples())
            {
                final double now = value(later, family.name(), sample.labels());
                if (family.name().equals("trindle_worker_cpu_seconds_total") &&
                    (value(later, "trindle_worker_up", sample.labels()) == 0 ||
                        value(later, "trindle_worker_restarts_total", sample.labels()) >
                            value(earlier, "trindle_worker_restarts_total", sample.labels())))
                {
                    continue;
                }
                assertTrue(now >= sample.value(), family.name() + sample.labels() + " went from " + sample.value() +
                    " down to " + now);
            }
        }
    }

    /** @return the value of the one sample of {@code family} with these labels (and any others). */
    private static double value(final Map<String, PrometheusText.Family> families, final String family,
        final String... labels)
    {
        final Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2)
        {
            wanted.put(labels[i], labels[i + 1]);
        }
        return value(families, family, wanted);
    }

    private static double value(final Map<String, PrometheusText.Family> families, final String family,
        final Map<String, String> labels)
    {
        final List<PrometheusText.Sample> found = new ArrayList<>();
        for (final PrometheusText.Sample sample : families.get(family).samples())
        {
            if (sample.labels().entrySet().containsAll(labels.entrySet()))
            {
                found.add(sample);
            }
        }
        assertEquals(1, found.size(), family + labels + ": " + found);
        return found.getFirst().value();
    }

    /** @return the sum of the samples of {@code family} with this label (all of them without one). */
    private static long sum(final Map<String, PrometheusText.Family> families, final String family,
        final String... label)
    {
        return (long)families.get(family).samples().stream()
            .filter(sample -> label.length == 0 || label[1].equals(sample.labels().get(label[0])))
            .mapToDouble(PrometheusText.Sample::value).sum();
    }

    private static int awaitPort(final SupervisorProcess trindle) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final Matcher line = LISTENING.matcher(trindle.stderr());
            if (line.find())
            {
                return Integer.parseInt(line.group(1));
            }
            if (!trindle.isAlive())
            {
                fail("trindle ended before it said where its metrics are\n" + trindle.output());
            }
            Thread.sleep(20);
        }
        fail("trindle did not say where its metrics are within 60s\n" + trindle.output());
        return 0;
    }

    /**
     * Waits until the source has said how many it sent and each sink how many it received.
     *
     * @param received filled with each sink's count, by its label.
     * @return the source's count.
     */
    private static long awaitCounts(final SupervisorProcess trindle, final Map<String, Long> received)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final String out = trindle.stdout();
            final Matcher sent = SENT.matcher(out);
            final Matcher sinks = RECEIVED.matcher(out);
            received.clear();
            while (sinks.find())
            {
                received.put(sinks.group(1), Long.parseLong(sinks.group(2)));
            }
            if (sent.find() && received.size() == 2)
            {
                return Long.parseLong(sent.group(1));
            }
            if (!trindle.isAlive())
            {
                fail("trindle ended before the workers said their counts\n" + trindle.output());
            }
            Thread.sleep(20);
        }
        fail("the workers did not say their counts within 60s\n" + trindle.output());
        return 0;
    }
}
